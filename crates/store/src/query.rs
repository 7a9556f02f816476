//! Read-only SQL over a case with Apache DataFusion.
//!
//! Every table of the case is registered as a Hive-partitioned Parquet
//! listing table (partition column `day`). Statements that write (DDL, DML,
//! `COPY`, `SET`) are refused: hunting never changes the case.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::ListingOptions;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::schema::{WEB_REQUESTS, WEB_SCHEMA};
use crate::{Case, Result, StoreError};

/// Output shapes of `kensa sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// An aligned text table, control characters escaped.
    Table,
    /// RFC 4180 CSV with spreadsheet-formula cells neutralised.
    Csv,
    /// A JSON array of objects.
    Json,
}

/// A DataFusion session over one case.
pub struct CaseQuery {
    ctx: SessionContext,
    rt: tokio::runtime::Runtime,
}

impl CaseQuery {
    /// Registers the case's tables.
    pub fn new(case: &Case) -> Result<CaseQuery> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2))
            .enable_all()
            .build()
            .map_err(|e| StoreError::io(case.dir(), e))?;
        let cfg = SessionConfig::new().with_information_schema(true);
        let ctx = SessionContext::new_with_config(cfg);
        // web_requests, then the packet tables (empty for a log-only case, so
        // queries over them work on every case).
        let mut all = vec![(WEB_REQUESTS, WEB_SCHEMA.clone())];
        all.extend(crate::packet::tables());
        for (name, schema) in all {
            let dir = case.table_dir(name);
            std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
            let opts = ListingOptions::new(Arc::new(ParquetFormat::default()))
                .with_file_extension(".parquet")
                .with_table_partition_cols(vec![("day".to_string(), DataType::Utf8)]);
            let url = format!("{}/", dir.canonicalize().map_err(|e| StoreError::io(&dir, e))?.display());
            rt.block_on(ctx.register_listing_table(name, &url, opts, Some(schema), None))?;
        }
        Ok(CaseQuery { ctx, rt })
    }

    /// The underlying DataFusion context (for later stages' plans).
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Runs a blocking future on the session's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// Runs one read-only SQL statement and collects the result.
    pub fn sql(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        let opts = SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false);
        self.rt.block_on(async {
            let df = self.ctx.sql_with_options(sql, opts).await?;
            Ok(df.collect().await?)
        })
    }
}

/// Replaces characters that would let a logged string drive a terminal or
/// reorder displayed text: C0/C1 controls, DEL, and Unicode bidi controls are
/// shown as `\u{…}` escapes.
pub fn escape_terminal(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if bad(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Neutralises a CSV cell that a spreadsheet would run as a formula
/// (OWASP: leading `=`, `+`, `-`, `@`, tab, CR) by prefixing `'`.
pub fn escape_csv_formula(s: &str) -> std::borrow::Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => std::borrow::Cow::Owned(format!("'{s}")),
        _ => std::borrow::Cow::Borrowed(s),
    }
}

/// One RFC 4180 CSV cell with formula prefixes neutralised (the one cell
/// writer for every CSV kensa writes: findings, report tables, web exports).
pub fn csv_cell(s: &str) -> String {
    let s = escape_csv_formula(s);
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.into_owned() }
}

/// Formats every column as display strings, passing each through `f`.
fn stringify(batches: &[RecordBatch], f: impl Fn(&str) -> String) -> Result<Vec<RecordBatch>> {
    let opts = FormatOptions::default().with_null("");
    let mut out = Vec::with_capacity(batches.len());
    for b in batches {
        let mut cols: Vec<ArrayRef> = Vec::with_capacity(b.num_columns());
        let mut fields = Vec::with_capacity(b.num_columns());
        for (i, col) in b.columns().iter().enumerate() {
            let fmt = ArrayFormatter::try_new(col.as_ref(), &opts)?;
            let vals: StringArray = (0..col.len())
                .map(|r| if col.is_null(r) { None } else { Some(f(&fmt.value(r).to_string())) })
                .collect();
            cols.push(Arc::new(vals));
            fields.push(Field::new(b.schema().field(i).name(), DataType::Utf8, true));
        }
        out.push(RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)?);
    }
    Ok(out)
}

/// Renders query results.
pub fn render(batches: &[RecordBatch], fmt: OutputFormat) -> Result<String> {
    match fmt {
        OutputFormat::Table => {
            let safe = stringify(batches, |s| escape_terminal(s).into_owned())?;
            Ok(arrow::util::pretty::pretty_format_batches(&safe)?.to_string())
        }
        OutputFormat::Csv => {
            let safe = stringify(batches, |s| escape_csv_formula(s).into_owned())?;
            let mut buf = Vec::new();
            {
                let mut w = arrow::csv::WriterBuilder::new().with_header(true).build(&mut buf);
                for b in &safe {
                    w.write(b)?;
                }
            }
            Ok(String::from_utf8_lossy(&buf).into_owned())
        }
        OutputFormat::Json => {
            let mut buf = Vec::new();
            {
                let mut w = arrow::json::ArrayWriter::new(&mut buf);
                let refs: Vec<&RecordBatch> = batches.iter().collect();
                w.write_batches(&refs)?;
                w.finish()?;
            }
            if buf.is_empty() {
                buf.extend_from_slice(b"[]");
            }
            Ok(String::from_utf8_lossy(&buf).into_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_controls_and_bidi() {
        assert_eq!(escape_terminal("plain"), "plain");
        assert_eq!(escape_terminal("a\x1b[31mb"), "a\\u{1b}[31mb");
        assert_eq!(escape_terminal("x\u{202e}gpj.exe"), "x\\u{202e}gpj.exe");
        assert_eq!(escape_terminal("l1\nl2"), "l1\\nl2");
    }

    #[test]
    fn csv_formulas_neutralised() {
        assert_eq!(escape_csv_formula("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(escape_csv_formula("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(escape_csv_formula("example.com"), "example.com");
    }
}
