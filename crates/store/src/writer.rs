//! Writes record batches into per-day Parquet parts in a staging directory.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::{Array, RecordBatch, TimestampMillisecondArray, UInt32Array};
use arrow::compute::take_record_batch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{WriterProperties, WriterVersion};

use crate::case::StagedPart;
use crate::schema::{day_number, civil_from_days};
use crate::{Result, StoreError};

/// Rows per Parquet row group: large enough for good compression and
/// scans, small enough to bound the writer's memory (one open row group per
/// day partition per worker).
pub const ROW_GROUP_ROWS: usize = 128 * 1024;
/// Rows per part file before a new file is started.
pub const PART_ROWS: u64 = 8 * 1024 * 1024;
/// Day partitions a writer keeps open at once. Each open file buffers one
/// row group in memory, so this bounds memory whatever the span of the
/// input; logs are roughly time-ordered, so the least recently written day
/// is closed (a later row for it starts a new part file).
pub const MAX_OPEN_DAYS: usize = 2;
/// A batch that splits into at most this many same-day runs is written as
/// slices of itself; more runs (days interleaved) are regrouped by day.
const MAX_SLICED_RUNS: usize = 8;

/// The maximal runs of consecutive rows on the same UTC day, as
/// `(day, first row, row count)`. Stops counting once there are more than
/// [`MAX_SLICED_RUNS`] runs (the caller then regroups instead).
fn day_runs(ts: &[i64]) -> Vec<(i64, usize, usize)> {
    let mut runs = Vec::new();
    let mut start = 0;
    while start < ts.len() {
        let day = day_number(ts[start]);
        // At least 1 (the row at `start` is on `day`), so the loop advances.
        let len = ts[start..].iter().position(|&t| day_number(t) != day).unwrap_or(ts.len() - start);
        runs.push((day, start, len));
        if runs.len() > MAX_SLICED_RUNS {
            break;
        }
        start += len;
    }
    runs
}

/// The Parquet settings of a part of `schema`: zstd level 1 (fast; the
/// data is dictionary-heavy so higher levels gain little), v2 pages,
/// statistics on the numeric, time and boolean columns only.
///
/// Why no statistics on strings: Parquet computes a column's min/max by
/// comparing every value with both (two `memcmp` per value per string column,
/// 10 % of a Squid ingest), and over 128 Ki rows of URLs, hosts, addresses or
/// hashed flow ids they span nearly the whole range, so no query could prune
/// a row group with them. Time ranges (`ts`) are what prunes.
pub fn writer_properties(schema: &arrow::datatypes::Schema) -> WriterProperties {
    use arrow::datatypes::DataType;
    use parquet::file::properties::EnabledStatistics;
    use parquet::schema::types::ColumnPath;
    let mut b = WriterProperties::builder();
    // Nearly unique per row: a dictionary costs hashing and comparing every
    // value and is then abandoned; plain encoding + zstd is faster and as small.
    for col in ["url", "path", "query", "referer", "source_line", "ts", "duration_ms", "bytes_down", "bytes_up", "client_port"] {
        b = b.set_column_dictionary_enabled(ColumnPath::from(col), false);
    }
    let stringy = |t: &DataType| {
        matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Binary | DataType::LargeBinary)
    };
    for f in schema.fields() {
        // A list's leaf column is `name.list.item`; statistics are per leaf.
        let path = match f.data_type() {
            t if stringy(t) => ColumnPath::from(f.name().as_str()),
            DataType::List(item) | DataType::LargeList(item) if stringy(item.data_type()) => {
                ColumnPath::new(vec![f.name().clone(), "list".into(), item.name().clone()])
            }
            _ => continue,
        };
        b = b.set_column_statistics_enabled(path, EnabledStatistics::None);
    }
    b
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()))
        .set_writer_version(WriterVersion::PARQUET_2_0)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        // Values handed to the column writers at a time (default 1 024):
        // fewer rounds of page-size checks and level encoding per batch;
        // a page ends after the round that takes it past 20 000 rows or 1 MiB.
        .set_write_batch_size(8192)
        .set_created_by(format!("kensa {}", env!("CARGO_PKG_VERSION")))
        .build()
}

struct Open {
    writer: ArrowWriter<File>,
    path: PathBuf,
    file_name: String,
    rows: u64,
    last_use: u64,
}

/// A per-day partitioned writer for one table, owned by one worker thread.
pub struct PartitionedWriter {
    table: String,
    dir: PathBuf,
    prefix: String,
    open: HashMap<i64, Open>,
    seq: u32,
    done: Vec<StagedPart>,
    tick: u64,
}

impl PartitionedWriter {
    /// A writer that puts files named `<prefix>-<seq>.parquet` under
    /// `staging_dir/<table>/day=…/`.
    pub fn new(staging_dir: &Path, table: &str, prefix: &str) -> Self {
        PartitionedWriter {
            table: table.to_string(),
            dir: staging_dir.join(table),
            prefix: prefix.to_string(),
            open: HashMap::new(),
            seq: 0,
            done: Vec::new(),
            tick: 0,
        }
    }

    /// Writes a batch whose first column is the event time (ms, UTC),
    /// splitting it by UTC day.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let ts = batch
            .column(0)
            .as_any()
            .downcast_ref::<TimestampMillisecondArray>()
            .ok_or_else(|| StoreError::Corrupt("first column is not a ms timestamp".into()))?;
        // Logs are time-ordered, so a batch almost always holds one day, or
        // two days as one contiguous run each: write zero-copy slices of the
        // runs. Only a batch whose days interleave a lot (an unordered log)
        // is regrouped with `take`, which copies every column.
        let runs = day_runs(ts.values());
        if runs.len() <= MAX_SLICED_RUNS {
            for (day, start, len) in runs {
                if start == 0 && len == batch.num_rows() {
                    self.write_day(day, batch)?;
                } else {
                    self.write_day(day, &batch.slice(start, len))?;
                }
            }
            return Ok(());
        }
        let mut by_day: HashMap<i64, Vec<u32>> = HashMap::new();
        for (i, &t) in ts.values().iter().enumerate() {
            by_day.entry(day_number(t)).or_default().push(i as u32);
        }
        let mut days: Vec<_> = by_day.into_iter().collect();
        days.sort_by_key(|(d, _)| *d);
        for (day, idx) in days {
            let sub = take_record_batch(batch, &UInt32Array::from(idx))?;
            self.write_day(day, &sub)?;
        }
        Ok(())
    }

    fn write_day(&mut self, day: i64, batch: &RecordBatch) -> Result<()> {
        self.tick += 1;
        if !self.open.contains_key(&day) && self.open.len() >= MAX_OPEN_DAYS {
            let lru = self.open.iter().min_by_key(|(_, o)| o.last_use).map(|(d, _)| *d);
            if let Some(d) = lru {
                let o = self.open.remove(&d).expect("present");
                self.close_one(d, o)?;
            }
        }
        if !self.open.contains_key(&day) {
            let (y, m, d) = civil_from_days(day);
            let dir = self.dir.join(format!("day={y:04}-{m:02}-{d:02}"));
            std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
            self.seq += 1;
            let file_name = format!("{}-{:04}.parquet", self.prefix, self.seq);
            let path = dir.join(&file_name);
            let f = File::create(&path).map_err(|e| StoreError::io(&path, e))?;
            let writer = ArrowWriter::try_new(f, batch.schema(), Some(writer_properties(&batch.schema())))?;
            self.open.insert(day, Open { writer, path, file_name, rows: 0, last_use: 0 });
        }
        let o = self.open.get_mut(&day).expect("inserted above");
        o.last_use = self.tick;
        o.writer.write(batch)?;
        o.rows += batch.num_rows() as u64;
        if o.rows >= PART_ROWS {
            let o = self.open.remove(&day).expect("present");
            self.close_one(day, o)?;
        }
        Ok(())
    }

    fn close_one(&mut self, day: i64, o: Open) -> Result<()> {
        let f = o.writer.into_inner()?;
        f.sync_all().map_err(|e| StoreError::io(&o.path, e))?;
        let (y, m, d) = civil_from_days(day);
        self.done.push(StagedPart {
            table: self.table.clone(),
            day: format!("{y:04}-{m:02}-{d:02}"),
            staged: o.path,
            file_name: o.file_name,
            rows: o.rows,
        });
        Ok(())
    }

    /// Closes every open file and returns the staged parts.
    pub fn finish(mut self) -> Result<Vec<StagedPart>> {
        let open: Vec<_> = self.open.drain().collect();
        for (day, o) in open {
            self.close_one(day, o)?;
        }
        Ok(self.done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Provenance, RowExtras, WEB_SCHEMA, WebBatchBuilder};
    use kensa_model::WebRecord;

    fn batch(days: &[i64]) -> RecordBatch {
        let mut b = WebBatchBuilder::with_capacity(days.len());
        let prov = Provenance { format: "squid-native", file: "x", input_id: 1 };
        for (i, d) in days.iter().enumerate() {
            let r = WebRecord { ts_ms: d * 86_400_000 + i as i64, ..Default::default() };
            b.append(&r, i as u64 + 1, &prov, &RowExtras::default());
        }
        b.finish()
    }

    #[test]
    fn many_days_keep_few_files_open_and_lose_no_row() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = PartitionedWriter::new(dir.path(), "web_requests", "p");
        // Twenty days, then a late row for day 0 again.
        for d in 20_000..20_020 {
            w.write(&batch(&[d, d, d])).unwrap();
            assert!(w.open.len() <= MAX_OPEN_DAYS);
        }
        w.write(&batch(&[20_000])).unwrap();
        let parts = w.finish().unwrap();
        assert_eq!(parts.iter().map(|p| p.rows).sum::<u64>(), 61);
        assert_eq!(parts.iter().filter(|p| p.day == "2024-10-04").count(), 2, "day 0 reopened as a new part");
        let _ = WEB_SCHEMA.clone();
    }

    #[test]
    fn day_runs_slice_ordered_batches_and_give_up_on_interleaved_ones() {
        let d = 86_400_000;
        assert_eq!(day_runs(&[]), vec![]);
        assert_eq!(day_runs(&[5, 6, d + 1, d + 2, 2 * d]), vec![(0, 0, 2), (1, 2, 2), (2, 4, 1)]);
        let interleaved: Vec<i64> = (0..40).map(|i| (i % 2) * d).collect();
        assert_eq!(day_runs(&interleaved).len(), MAX_SLICED_RUNS + 1);
        // Both paths keep every row, each under its own day.
        let dir = tempfile::tempdir().unwrap();
        let mut w = PartitionedWriter::new(dir.path(), "web_requests", "p");
        let days: Vec<i64> = (0..40).map(|i| 20_000 + i % 2).collect();
        w.write(&batch(&days)).unwrap();
        w.write(&batch(&[20_001, 20_001, 20_002])).unwrap();
        let parts = w.finish().unwrap();
        let rows = |day: &str| parts.iter().filter(|p| p.day == day).map(|p| p.rows).sum::<u64>();
        assert_eq!((rows("2024-10-04"), rows("2024-10-05"), rows("2024-10-06")), (20, 22, 1));
    }
}
