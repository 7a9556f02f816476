//! The ingest pipeline for one line-oriented input.
//!
//! ```text
//! reader (this thread)          workers (N threads)                    case
//! raw ─▶ hash ─▶ decompress ─▶  chunk of whole lines ─▶ parse ─▶ enrich ─▶ Arrow ─▶ Parquet parts (staging) ─▶ commit
//! ```
//! The reader cuts the stream into ~4 MiB chunks of whole lines, numbering
//! them, and hands them to a bounded channel (so memory stays bounded
//! whatever the input size). Each worker owns its own parser, Arrow builder
//! and per-day Parquet writer, so parsing and encoding scale with cores.
//! Header-driven formats (`#Fields:`) get the header in force at the start
//! of each chunk as its *preamble*.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use kensa_formats::{LineParser, MAX_LINE_LEN, ParseOptions, Parsed, parser_for, text::decode_line};
use kensa_model::{RejectReason, SourceFormat, WebRecord, plausible_ts};
use kensa_store::case::RejectSample;
use kensa_store::schema::{Provenance, RowExtras, WEB_REQUESTS, WebBatchBuilder};
use kensa_store::writer::PartitionedWriter;
use kensa_store::{StagedPart, StoreError};

/// Target size of one chunk handed to a worker.
pub const CHUNK_BYTES: usize = 4 << 20;
/// Rows per Arrow batch built by a worker before it is written.
pub const BATCH_ROWS: usize = 64 * 1024;
/// Reject samples kept per reason per input.
pub const SAMPLES_PER_REASON: usize = 5;
/// Reject samples kept per input in all.
pub const SAMPLES_PER_INPUT: usize = 40;

/// Adds per-record context (registered domain, service, intel…) during
/// ingest. Implemented by the enrichment layer. The extras are handed to a
/// callback so they may borrow from temporaries of the enricher.
pub trait Enrich: Send + Sync {
    /// Computes the extra columns of one record and passes them to `sink`.
    fn enrich(&self, rec: &WebRecord<'_>, sink: &mut dyn FnMut(&RowExtras<'_>));
}

/// What the line pipeline produced for one input.
#[derive(Debug, Default)]
pub struct StreamResult {
    /// Rows written.
    pub rows: u64,
    /// Lines rejected.
    pub rejected: u64,
    /// Header, comment and blank lines.
    pub skipped: u64,
    /// Lines seen in all.
    pub lines: u64,
    /// Reject counts by reason.
    pub reject_counts: BTreeMap<String, u64>,
    /// First rejected lines.
    pub reject_samples: Vec<RejectSample>,
    /// Earliest event time.
    pub first_ts: Option<i64>,
    /// Latest event time.
    pub last_ts: Option<i64>,
    /// Parquet parts in staging.
    pub parts: Vec<StagedPart>,
    /// A read error that ended the input early (e.g. a truncated gzip).
    pub read_error: Option<String>,
    /// The format the parser reported at the end (header-driven formats may
    /// refine what the sniffer said).
    pub format: Option<SourceFormat>,
}

struct Chunk {
    data: Vec<u8>,
    first_line: u64,
    preamble: Option<Arc<str>>,
}

#[derive(Default)]
struct Stats {
    rows: u64,
    rejected: u64,
    skipped: u64,
    lines: u64,
    counts: BTreeMap<RejectReason, u64>,
    samples: Vec<RejectSample>,
    per_reason: BTreeMap<RejectReason, usize>,
    first_ts: Option<i64>,
    last_ts: Option<i64>,
}

impl Stats {
    fn reject(&mut self, line: u64, reason: RejectReason, detail: &str, raw: &[u8]) {
        self.rejected += 1;
        *self.counts.entry(reason).or_default() += 1;
        let n = self.per_reason.entry(reason).or_default();
        if *n < SAMPLES_PER_REASON {
            *n += 1;
            self.samples.push(RejectSample {
                line,
                reason: reason.as_str().to_string(),
                detail: truncate(detail, 300),
                text: truncate(&String::from_utf8_lossy(&raw[..raw.len().min(1024)]), 300),
            });
        }
    }

    fn merge(&mut self, o: Stats) {
        self.rows += o.rows;
        self.rejected += o.rejected;
        self.skipped += o.skipped;
        self.lines += o.lines;
        for (k, v) in o.counts {
            *self.counts.entry(k).or_default() += v;
        }
        self.samples.extend(o.samples);
        self.first_ts = min_opt(self.first_ts, o.first_ts);
        self.last_ts = max_opt(self.last_ts, o.last_ts);
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

fn truncate(s: &str, max_chars: usize) -> String {
    let mut out: String = s.chars().take(max_chars).collect();
    if s.chars().nth(max_chars).is_some() {
        out.push('…');
    }
    out
}

/// Errors that stop an input before any line is parsed.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The parser could not be built (bad options).
    #[error("{0}")]
    Format(#[from] kensa_formats::FormatError),
    /// Writing the case failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// A worker thread died (a bug: parsers must not panic).
    #[error("internal error: a parser thread panicked on {0}")]
    WorkerPanic(String),
}

/// Parses `reader` (already decompressed) as `format` into Parquet parts
/// under `staging`.
#[allow(clippy::too_many_arguments)]
pub fn run_lines(
    reader: &mut dyn Read,
    format: SourceFormat,
    parse: &ParseOptions,
    staging: &Path,
    prov: &Provenance<'_>,
    threads: usize,
    enricher: Option<&dyn Enrich>,
) -> Result<StreamResult, PipelineError> {
    let threads = threads.max(1);
    // Build every parser up front so option errors surface before reading.
    let mut parsers: Vec<Box<dyn LineParser>> = Vec::with_capacity(threads);
    for _ in 0..threads {
        parsers.push(parser_for(format, parse)?);
    }
    let (tx, rx) = crossbeam_channel::bounded::<Chunk>(threads * 2);
    // Spent chunk buffers go back to the reader, so the steady state
    // allocates (and page-faults in) no new 4 MiB buffer per chunk.
    let (pool_tx, pool_rx) = crossbeam_channel::bounded::<Vec<u8>>(threads * 2 + 2);
    let mut reader_stats = Stats::default();
    let mut read_error = None;
    let results: Vec<Result<(Stats, Vec<StagedPart>, SourceFormat), PipelineError>> = std::thread::scope(|s| {
        let mut handles = Vec::new();
        for (wid, parser) in parsers.into_iter().enumerate() {
            let rx = rx.clone();
            let pool = pool_tx.clone();
            let prefix = format!("part-{}-w{wid}", prov.input_id);
            handles.push(s.spawn(move || worker(rx, pool, parser, staging, &prefix, prov, enricher)));
        }
        drop(rx);
        drop(pool_tx);
        // Only header-driven formats carry a `#Fields:` preamble worth tracking.
        let header_driven = matches!(
            format,
            SourceFormat::W3c | SourceFormat::ProxySgElff | SourceFormat::ProxySgMain | SourceFormat::ProxySgBcreportermainV1
        );
        read_error = read_chunks(reader, &tx, &pool_rx, &mut reader_stats, header_driven);
        drop(tx);
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(PipelineError::WorkerPanic(prov.file.to_string()))))
            .collect()
    });
    let mut total = reader_stats;
    let mut parts = Vec::new();
    let mut fmt = None;
    for r in results {
        let (st, p, f) = r?;
        total.merge(st);
        parts.extend(p);
        if fmt.is_none() || f != format {
            fmt = Some(f);
        }
    }
    // Keep the first samples by line, at most SAMPLES_PER_REASON per reason.
    total.samples.sort_by_key(|s| s.line);
    let mut per: BTreeMap<String, usize> = BTreeMap::new();
    total.samples.retain(|s| {
        let n = per.entry(s.reason.clone()).or_default();
        *n += 1;
        *n <= SAMPLES_PER_REASON
    });
    total.samples.truncate(SAMPLES_PER_INPUT);
    Ok(StreamResult {
        rows: total.rows,
        rejected: total.rejected,
        skipped: total.skipped,
        lines: total.lines,
        reject_counts: total.counts.into_iter().map(|(k, v)| (k.as_str().to_string(), v)).collect(),
        reject_samples: total.samples,
        first_ts: total.first_ts,
        last_ts: total.last_ts,
        parts,
        read_error,
        format: fmt,
    })
}

/// Finds the last `#Fields:` line in `data`, if any. A header that opens
/// the file after a UTF-8 byte-order mark counts (IIS writes one); missing
/// it left every chunk after the first without a header, all `no_header`.
fn last_fields_line(data: &[u8]) -> Option<&[u8]> {
    let finder = memchr::memmem::FinderRev::new(b"#Fields:");
    let mut end = data.len();
    while let Some(pos) = finder.rfind(&data[..end]) {
        if pos == 0 || data[pos - 1] == b'\n' || data[..pos] == *kensa_formats::text::UTF8_BOM {
            let stop = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |e| pos + e);
            let line = &data[pos..stop];
            return Some(line.strip_suffix(b"\r").unwrap_or(line));
        }
        end = pos;
    }
    None
}

/// Reads whole-line chunks and sends them; returns the read error that
/// ended the stream early, if any. Over-long lines are rejected here.
fn read_chunks(
    reader: &mut dyn Read,
    tx: &crossbeam_channel::Sender<Chunk>,
    pool: &crossbeam_channel::Receiver<Vec<u8>>,
    stats: &mut Stats,
    header_driven: bool,
) -> Option<String> {
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK_BYTES + 64 * 1024);
    let mut next_line: u64 = 1;
    let mut preamble: Option<Arc<str>> = None;
    let mut skipping_long = false;
    let mut eof = false;
    let mut error = None;
    let send = |data: Vec<u8>, next_line: &mut u64, preamble: &mut Option<Arc<str>>| -> bool {
        let n = memchr::memchr_iter(b'\n', &data).count() as u64 + u64::from(!data.ends_with(b"\n"));
        let new_pre = if header_driven {
            last_fields_line(&data).map(|l| Arc::<str>::from(String::from_utf8_lossy(l).as_ref()))
        } else {
            None
        };
        let chunk = Chunk { data, first_line: *next_line, preamble: preamble.clone() };
        *next_line += n;
        if new_pre.is_some() {
            *preamble = new_pre;
        }
        tx.send(chunk).is_ok()
    };
    loop {
        if !eof && buf.len() < CHUNK_BYTES {
            let want = CHUNK_BYTES - buf.len();
            // read_to_end fills spare capacity without zeroing it first.
            match (&mut *reader).take(want as u64).read_to_end(&mut buf) {
                Ok(n) if n < want => eof = true,
                Ok(_) => {}
                Err(e) => {
                    error = Some(e.to_string());
                    eof = true;
                }
            }
        }
        if skipping_long {
            // Drop the rest of an over-long line.
            match memchr::memchr(b'\n', &buf) {
                Some(p) => {
                    buf.drain(..=p);
                    skipping_long = false;
                }
                None => {
                    buf.clear();
                    if eof {
                        break;
                    }
                    continue;
                }
            }
        }
        if buf.is_empty() {
            if eof {
                break;
            }
            continue;
        }
        match memchr::memrchr(b'\n', &buf) {
            Some(p) => {
                // Carry the partial last line over into a recycled buffer.
                let mut next = pool.try_recv().unwrap_or_default();
                next.clear();
                next.reserve(CHUNK_BYTES + 64 * 1024);
                next.extend_from_slice(&buf[p + 1..]);
                buf.truncate(p + 1);
                let data = std::mem::replace(&mut buf, next);
                if !send(data, &mut next_line, &mut preamble) {
                    return error;
                }
            }
            None if eof => {
                // A last line without a terminator: still a line.
                let data = std::mem::take(&mut buf);
                if !send(data, &mut next_line, &mut preamble) {
                    return error;
                }
            }
            None if buf.len() > MAX_LINE_LEN => {
                stats.lines += 1;
                stats.reject(
                    next_line,
                    RejectReason::TooLong,
                    &format!("line is longer than {MAX_LINE_LEN} bytes"),
                    &buf[..256.min(buf.len())],
                );
                next_line += 1;
                buf.clear();
                skipping_long = true;
            }
            None => {}
        }
    }
    error
}

fn worker(
    rx: crossbeam_channel::Receiver<Chunk>,
    pool: crossbeam_channel::Sender<Vec<u8>>,
    mut parser: Box<dyn LineParser>,
    staging: &Path,
    prefix: &str,
    prov: &Provenance<'_>,
    enricher: Option<&dyn Enrich>,
) -> Result<(Stats, Vec<StagedPart>, SourceFormat), PipelineError> {
    let mut st = Stats::default();
    let mut builder = WebBatchBuilder::with_capacity(BATCH_ROWS);
    let mut writer = PartitionedWriter::new(staging, WEB_REQUESTS, prefix);
    let mut last_pre: Option<Arc<str>> = None;
    let none = RowExtras::default();
    for chunk in rx.iter() {
        if let Some(p) = &chunk.preamble {
            if last_pre.as_ref().is_none_or(|l| !Arc::ptr_eq(l, p)) {
                let _ = parser.parse_line(p);
                last_pre = Some(p.clone());
            }
        }
        let data = &chunk.data[..];
        let mut line_no = chunk.first_line;
        let mut start = 0usize;
        while start < data.len() {
            let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |e| start + e);
            let mut raw = &data[start..end];
            start = end + 1;
            if let Some(r) = raw.strip_suffix(b"\r") {
                raw = r;
            }
            let ln = line_no;
            line_no += 1;
            st.lines += 1;
            if raw.len() > MAX_LINE_LEN {
                st.reject(ln, RejectReason::TooLong, &format!("line is {} bytes (limit {MAX_LINE_LEN})", raw.len()), &raw[..256]);
                continue;
            }
            let Some(line) = decode_line(raw) else {
                let col = memchr::memchr(0, raw).unwrap_or(0) + 1;
                st.reject(ln, RejectReason::BadEncoding, &format!("NUL byte at column {col}"), raw);
                continue;
            };
            if line.trim().is_empty() {
                st.skipped += 1;
                continue;
            }
            match parser.parse_line(&line) {
                Parsed::Record(rec) => {
                    if !plausible_ts(rec.ts_ms) {
                        st.reject(ln, RejectReason::BadTimestamp, &format!("time {} ms is outside 2000–2100", rec.ts_ms), raw);
                        continue;
                    }
                    st.rows += 1;
                    st.first_ts = min_opt(st.first_ts, Some(rec.ts_ms));
                    st.last_ts = max_opt(st.last_ts, Some(rec.ts_ms));
                    match enricher {
                        Some(e) => e.enrich(&rec, &mut |x| builder.append(&rec, ln, prov, x)),
                        None => builder.append(&rec, ln, prov, &none),
                    }
                    if builder.len() >= BATCH_ROWS {
                        writer.write(&builder.finish())?;
                    }
                }
                Parsed::Skip => st.skipped += 1,
                Parsed::Reject(r) => st.reject(ln, r.reason, &r.detail, raw),
            }
        }
        // Full pool or reader gone: just drop the buffer.
        let _ = pool.try_send(chunk.data);
    }
    if !builder.is_empty() {
        writer.write(&builder.finish())?;
    }
    let parts = writer.finish()?;
    Ok((st, parts, parser.format()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_last_fields_header() {
        let d = b"a\n#Fields: x y\n1 2\n#Fields: a b c\r\n1 2 3\n";
        assert_eq!(last_fields_line(d), Some(&b"#Fields: a b c"[..]));
        assert_eq!(last_fields_line(b"no header # Fields:\n"), None);
        assert_eq!(last_fields_line(b"x #Fields: inside\n"), None);
        assert_eq!(last_fields_line(b"\xEF\xBB\xBF#Fields: a b\r\n1 2\n"), Some(&b"#Fields: a b"[..]));
    }
}
