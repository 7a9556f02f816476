//! # kensa-store
//!
//! The case: where everything kensa learns about one engagement lives.
//! A case is a directory holding Hive-partitioned Parquet tables (zstd,
//! one folder per table and UTC day, readable by DuckDB, Spark or pandas as
//! they are) and an embedded SQLite manifest (inputs with size and content
//! hash, runs, committed parts, rejected-line counts and samples; later
//! stages add findings and verdicts).
//!
//! * [`Case`]: opens/creates a case, repairs interrupted ingests, records
//!   inputs with an all-or-nothing commit protocol (see [`case`]).
//! * [`schema::WebBatchBuilder`]: appends `WebRecord`s to Arrow columns.
//! * [`writer::PartitionedWriter`]: writes batches as per-day Parquet parts.
//! * [`query::CaseQuery`]: read-only SQL over the case with DataFusion.
//!
//! ```no_run
//! use kensa_store::{Case, query::{CaseQuery, render, OutputFormat}};
//! let (case, _recovered) = Case::open(std::path::Path::new("my.case"), false)?;
//! let q = CaseQuery::new(&case)?;
//! let rows = q.sql("SELECT host, count(*) n FROM web_requests GROUP BY host ORDER BY n DESC LIMIT 10")?;
//! println!("{}", render(&rows, OutputFormat::Table)?);
//! # Ok::<(), kensa_store::StoreError>(())
//! ```
#![deny(missing_docs)]

pub mod case;
pub mod group;
pub mod packet;
pub mod query;
pub mod scan;
pub mod schema;
pub mod writer;

pub use arrow;
pub use case::{Case, InputInfo, InputResult, Recovery, RejectSample, StagedPart};

use std::path::{Path, PathBuf};

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file-system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The directory holds no case.
    #[error("{0}: not a kensa case (no case.sqlite); run `kensa ingest --case DIR …` first")]
    NotACase(PathBuf),
    /// The case was written by an incompatible kensa.
    #[error("case schema version {found} is not supported (expected {expected})")]
    SchemaVersion {
        /// Version found.
        found: String,
        /// Version this build reads.
        expected: i64,
    },
    /// Another process holds the case.
    #[error("{0}: the case is in use by another kensa process")]
    Busy(PathBuf),
    /// The manifest and the files disagree.
    #[error("case is inconsistent: {0}")]
    Corrupt(String),
    /// SQLite failed.
    #[error("case manifest: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Arrow failed.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// Parquet failed.
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// DataFusion failed (planning or execution; SQL errors land here).
    #[error("{0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
}

impl StoreError {
    /// Wraps an I/O error with its path.
    pub fn io(path: &Path, source: std::io::Error) -> StoreError {
        StoreError::Io { path: path.to_path_buf(), source }
    }
}

/// Result alias of the store.
pub type Result<T> = std::result::Result<T, StoreError>;
