//! The query thread: owns the case's DataFusion session ([`CaseQuery`]).
//!
//! `CaseQuery` carries its own Tokio runtime and blocks on it, which must
//! not happen on the server's runtime threads; so one plain thread owns it
//! and handlers send it closures. Queries run one at a time, which suits a
//! single analyst's workbench and bounds memory.

use std::sync::mpsc;

use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::scalar::ScalarValue;
use kensa_store::query::CaseQuery;
use kensa_store::{Case, StoreError};

use crate::WebError;

type Job = Box<dyn FnOnce(&CaseQuery) + Send>;

/// Handle to the query thread.
pub struct QueryWorker {
    tx: mpsc::Sender<Job>,
}

impl QueryWorker {
    /// Starts the thread; the case is lent to it to register its tables and
    /// handed back.
    pub fn start(case: Case) -> Result<(QueryWorker, Case), StoreError> {
        let (tx, rx) = mpsc::channel::<Job>();
        let (init_tx, init_rx) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("kensa-web-query".into())
            .spawn(move || {
                let q = CaseQuery::new(&case);
                match q {
                    Ok(q) => {
                        let _ = init_tx.send(Ok(case));
                        while let Ok(job) = rx.recv() {
                            job(&q);
                        }
                    }
                    Err(e) => {
                        let _ = init_tx.send(Err(e));
                    }
                }
            })
            .map_err(|e| StoreError::io(std::path::Path::new("query thread"), e))?;
        let case = init_rx.recv().map_err(|_| StoreError::Corrupt("query thread died".into()))??;
        Ok((QueryWorker { tx }, case))
    }

    /// Runs `f` on the query thread and waits for its result.
    pub async fn run<T: Send + 'static>(&self, f: impl FnOnce(&CaseQuery) -> T + Send + 'static) -> Result<T, WebError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.tx
            .send(Box::new(move |q| {
                let _ = tx.send(f(q));
            }))
            .map_err(|_| WebError::Internal("query thread is gone".into()))?;
        rx.await.map_err(|_| WebError::Internal("query thread dropped a job".into()))
    }

    /// Runs a parameterised statement (`$1`, `$2`, …) written by kensa
    /// itself (not the analyst), returning rows as display strings.
    pub async fn table(&self, sql: &'static str, params: Vec<String>) -> Result<Table, WebError> {
        self.run(move |q| {
            let vals: Vec<ScalarValue> = params.into_iter().map(|p| ScalarValue::Utf8(Some(p))).collect();
            let batches = q.block_on(async {
                let df = q.context().sql(sql).await?;
                let df = if vals.is_empty() { df } else { df.with_param_values(vals)? };
                df.collect().await
            })?;
            Table::from_batches(&batches)
        })
        .await?
    }

    /// Runs an analyst's statement through the read-only path.
    pub async fn hunt(&self, sql: String) -> Result<Vec<RecordBatch>, WebError> {
        self.run(move |q| q.sql(&sql)).await?.map_err(|e| WebError::Query(e.to_string()))
    }
}

/// Query results as strings (`None` for SQL NULL).
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<Option<String>>>,
}

impl Table {
    /// Formats Arrow batches.
    pub fn from_batches(batches: &[RecordBatch]) -> Result<Table, WebError> {
        let mut t = Table::default();
        let opts = FormatOptions::default();
        for b in batches {
            if t.columns.is_empty() {
                t.columns = b.schema().fields().iter().map(|f| f.name().clone()).collect();
            }
            let fmts = b
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &opts))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| WebError::Query(e.to_string()))?;
            for r in 0..b.num_rows() {
                t.rows.push(
                    b.columns()
                        .iter()
                        .zip(&fmts)
                        .map(|(c, f)| if c.is_null(r) { None } else { Some(f.value(r).to_string()) })
                        .collect(),
                );
            }
        }
        Ok(t)
    }

    /// Cell `c` of row `r` as text ("" for NULL).
    pub fn s(&self, r: usize, c: usize) -> &str {
        self.rows.get(r).and_then(|row| row.get(c)).and_then(|v| v.as_deref()).unwrap_or("")
    }

    /// Cell `c` of row `r` as a number (0 for NULL or text).
    pub fn n(&self, r: usize, c: usize) -> f64 {
        self.s(r, c).parse().unwrap_or(0.0)
    }
}

impl From<datafusion::error::DataFusionError> for WebError {
    fn from(e: datafusion::error::DataFusionError) -> WebError {
        WebError::Query(e.to_string())
    }
}
