//! Streams the committed rows of a table as Arrow batches, straight from
//! the Parquet parts the manifest lists (no SQL engine: detectors want
//! every row once, in bounded memory).

use std::fs::File;

use arrow::array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::{Case, Result, StoreError};

/// Rows per batch handed to the callback.
pub const SCAN_BATCH_ROWS: usize = 64 * 1024;

/// Calls `f` with every batch of `table`'s committed parts, in commit order.
/// Returns the number of rows read.
pub fn scan(case: &Case, table: &str, mut f: impl FnMut(&RecordBatch) -> Result<()>) -> Result<u64> {
    let mut rows = 0u64;
    for (rel, _day, _n) in case.committed_parts(table)? {
        let path = case.dir().join(&rel);
        let file = File::open(&path).map_err(|e| StoreError::io(&path, e))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.with_batch_size(SCAN_BATCH_ROWS).build()?;
        for batch in reader {
            let batch = batch?;
            rows += batch.num_rows() as u64;
            f(&batch)?;
        }
    }
    Ok(rows)
}
