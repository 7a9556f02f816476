//! # kensa-ingest
//!
//! Turns what the customer handed over into rows of a kensa case. The
//! caller names inputs (files, directories, globs, `-`); this crate
//! resolves them ([`source::expand_inputs`]), skips what the case already
//! holds, opens each with transparent decompression and tar unpacking,
//! sniffs its format, parses it in parallel ([`pipeline`]) and commits it
//! with the case's all-or-nothing protocol.
//!
//! Packet captures (pcap/pcapng, plain or compressed) are recognised by
//! content and read together as one group per call ([`capture`]): one flow
//! engine across rotated files, the packet tables plus derived web rows,
//! committed all-or-nothing. [`flowdata::flow_stream`] and
//! [`flowdata::flow_pcap`] re-read one flow from the captures afterwards.
//!
//! A bad line never stops an input: it is counted by reason with samples.
//! An input that cannot be read at all is reported with the reason and the
//! run goes on with the next one.
#![deny(missing_docs)]

pub mod capture;
pub mod flowdata;
pub mod pipeline;
pub mod source;

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use kensa_formats::ParseOptions;
use kensa_formats::sniff::{SNIFF_LINES, sniff};
use kensa_model::SourceFormat;
use kensa_store::schema::Provenance;
use kensa_store::{Case, InputResult, StoreError};
use serde::Serialize;

pub use pipeline::Enrich;
use source::{InputSpec, decompress, hashing, is_pcap, is_tar, quick_hash};

/// How to ingest.
#[derive(Clone, Default)]
pub struct IngestOptions {
    /// Force a format instead of sniffing.
    pub format: Option<SourceFormat>,
    /// Parser options (time zone, year, custom layouts).
    pub parse: ParseOptions,
    /// Worker threads (0 = one per core).
    pub threads: usize,
    /// Per-record enrichment.
    pub enricher: Option<Arc<dyn Enrich>>,
    /// Derive `web_requests` rows from mail flows too (SMTP, submission,
    /// SMTPS, POP3(S), IMAP(S)); by default they are only counted and listed.
    pub include_mail: bool,
}

/// What happened to one input.
#[derive(Debug, Clone, Serialize)]
pub struct InputOutcome {
    /// Display path (archive members as `archive!member`).
    pub path: String,
    /// `ingested`, `already_ingested`, `duplicate`, `empty`, `failed`.
    pub status: &'static str,
    /// Manifest id, when the input was recorded.
    pub input_id: Option<i64>,
    /// Format used.
    pub format: Option<String>,
    /// Whether the format was sniffed (else forced).
    pub sniffed: bool,
    /// Sniffer confidence 0–100.
    pub confidence: Option<u32>,
    /// Compression found.
    pub compression: &'static str,
    /// Bytes read as stored.
    pub bytes: u64,
    /// Rows written.
    pub rows: u64,
    /// Lines rejected.
    pub rejected: u64,
    /// Header/comment/blank lines.
    pub skipped: u64,
    /// Reject counts by reason.
    pub reject_counts: std::collections::BTreeMap<String, u64>,
    /// Why it failed, or a warning (e.g. truncated compressed stream).
    pub message: Option<String>,
    /// Seconds spent.
    pub seconds: f64,
    /// Packets read (capture files only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packets: Option<u64>,
    /// The capture group's totals and mail listing (on the group's first file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture_group: Option<capture::CaptureGroupSummary>,
}

impl InputOutcome {
    fn new(path: String) -> Self {
        InputOutcome {
            path,
            status: "failed",
            input_id: None,
            format: None,
            sniffed: false,
            confidence: None,
            compression: "none",
            bytes: 0,
            rows: 0,
            rejected: 0,
            skipped: 0,
            reject_counts: Default::default(),
            message: None,
            seconds: 0.0,
            packets: None,
            capture_group: None,
        }
    }
}

/// Receives progress events (the CLI draws bars from them).
pub trait ProgressSink: Sync {
    /// An input is about to be read; `counter` counts its raw bytes read.
    fn started(&self, _path: &str, _size: Option<u64>, _counter: Arc<AtomicU64>) {}
    /// An input is finished.
    fn finished(&self, _outcome: &InputOutcome) {}
}

/// A sink that ignores everything.
pub struct NoProgress;
impl ProgressSink for NoProgress {}

/// Ingests every input into `case` within run `run_id`.
pub fn ingest(
    case: &mut Case,
    run_id: i64,
    specs: &[InputSpec],
    opts: &IngestOptions,
    sink: &dyn ProgressSink,
) -> Result<Vec<InputOutcome>, StoreError> {
    let mut out = Vec::new();
    // Capture files are read together, after the logs, as one group (one
    // flow engine across files, so flows continue across rotated captures).
    let mut captures = Vec::new();
    for spec in specs {
        match spec {
            InputSpec::File(p) if capture::is_capture_file(p) => captures.push(p.clone()),
            _ => ingest_one(case, run_id, spec, opts, sink, &mut out)?,
        }
    }
    if !captures.is_empty() {
        capture::ingest_captures(case, run_id, &captures, opts, sink, &mut out, capture::DRAIN_EVERY)?;
    }
    Ok(out)
}

fn ingest_one(
    case: &mut Case,
    run_id: i64,
    spec: &InputSpec,
    opts: &IngestOptions,
    sink: &dyn ProgressSink,
    out: &mut Vec<InputOutcome>,
) -> Result<(), StoreError> {
    let display = spec.display();
    let t0 = Instant::now();
    let (quick, size) = match spec {
        InputSpec::File(p) => match quick_hash(p) {
            Ok((q, s)) => (q, Some(s)),
            Err(e) => {
                let mut o = InputOutcome::new(display.clone());
                o.message = Some(format!("cannot read: {e}"));
                sink.finished(&o);
                out.push(o);
                return Ok(());
            }
        },
        InputSpec::Stdin => (format!("stdin-{}", chrono_like_now()), None),
    };
    if let Some(id) = case.done_by_quick_hash(&quick)? {
        let mut o = InputOutcome::new(display);
        o.status = "already_ingested";
        o.input_id = Some(id);
        o.message = Some(format!("same content as input {id}, already in the case"));
        sink.finished(&o);
        out.push(o);
        return Ok(());
    }
    // A ZIP is read through its directory at the end, not as a stream: go
    // there before the streaming reader would hash the whole archive once
    // for nothing.
    if let InputSpec::File(p) = spec
        && source::file_is_zip(p)
    {
        return ingest_zip(case, run_id, p, &display, size, &quick, opts, t0, sink, out);
    }
    let counter = Arc::new(AtomicU64::new(0));
    sink.started(&display, size, counter.clone());
    let raw: Box<dyn Read + Send> = match spec {
        InputSpec::File(p) => match std::fs::File::open(p) {
            Ok(f) => Box::new(f),
            Err(e) => {
                let mut o = InputOutcome::new(display);
                o.message = Some(format!("cannot open: {e}"));
                sink.finished(&o);
                out.push(o);
                return Ok(());
            }
        },
        InputSpec::Stdin => Box::new(std::io::stdin()),
    };
    let (hashed, slot) = hashing(raw, counter.clone());
    let (mut rd, comp) = match decompress(hashed) {
        Ok(x) => x,
        Err(e) => {
            let mut o = InputOutcome::new(display);
            o.message = Some(format!("cannot read: {e}"));
            sink.finished(&o);
            out.push(o);
            return Ok(());
        }
    };
    let head = match rd.fill_buf() {
        Ok(h) => h.to_vec(),
        Err(e) => {
            let mut o = InputOutcome::new(display);
            o.compression = comp.as_str();
            o.message = Some(format!("cannot decompress ({}): {e}", comp.as_str()));
            sink.finished(&o);
            out.push(o);
            return Ok(());
        }
    };
    if is_tar(&head) {
        let mut ar = tar::Archive::new(rd);
        let entries = match ar.entries() {
            Ok(e) => e,
            Err(e) => {
                let mut o = InputOutcome::new(display);
                o.message = Some(format!("bad tar archive: {e}"));
                sink.finished(&o);
                out.push(o);
                return Ok(());
            }
        };
        for entry in entries {
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let mut o = InputOutcome::new(format!("{display}!?"));
                    o.message = Some(format!("bad tar entry (archive truncated?): {e}"));
                    sink.finished(&o);
                    out.push(o);
                    break;
                }
            };
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = entry.path().map(|p| p.display().to_string()).unwrap_or_else(|_| "?".into());
            let msize = entry.header().size().ok();
            let mquick = blake3::hash(format!("{quick}\0{name}\0{msize:?}").as_bytes()).to_hex().to_string();
            let member = Member { display: format!("{display}!{name}"), size: msize, quick: mquick };
            ingest_member(case, run_id, &mut entry, member, opts, t0, sink, out)?;
        }
        return Ok(());
    }
    if comp == source::Compression::None && source::is_zip(&head) {
        let mut o = InputOutcome::new(display);
        o.compression = "zip";
        o.message = Some("ZIP archive on standard input: a ZIP's directory is at its end, so name the file instead".into());
        sink.finished(&o);
        out.push(o);
        return Ok(());
    }
    if is_pcap(&head) {
        let mut o = InputOutcome::new(display);
        o.compression = comp.as_str();
        o.format = Some("pcap".into());
        o.message = Some("packet capture on standard input: captures are read from files (name the file); input skipped".into());
        sink.finished(&o);
        out.push(o);
        return Ok(());
    }
    let text = Stored { quick: &quick, slot, decompressed: comp != source::Compression::None };
    let mut o = ingest_stream(case, run_id, rd, &display, size, text, opts, t0)?;
    o.compression = comp.as_str();
    o.bytes = counter.load(std::sync::atomic::Ordering::Relaxed);
    sink.finished(&o);
    out.push(o);
    Ok(())
}

/// One member of an archive, named and fingerprinted for the manifest.
struct Member {
    /// `archive!path/in/archive`.
    display: String,
    size: Option<u64>,
    /// Archive fingerprint + member name + size: re-ingesting the archive
    /// skips members already in the case.
    quick: String,
}

/// Ingests one archive member (itself possibly compressed: a tar or ZIP of
/// `.gz` files) and reports it.
#[allow(clippy::too_many_arguments)]
fn ingest_member<R: Read>(
    case: &mut Case,
    run_id: i64,
    reader: R,
    m: Member,
    opts: &IngestOptions,
    t0: Instant,
    sink: &dyn ProgressSink,
    out: &mut Vec<InputOutcome>,
) -> Result<(), StoreError> {
    if let Some(id) = case.done_by_quick_hash(&m.quick)? {
        let mut o = InputOutcome::new(m.display);
        o.status = "already_ingested";
        o.input_id = Some(id);
        sink.finished(&o);
        out.push(o);
        return Ok(());
    }
    let (mh, mslot) = hashing(reader, Arc::new(AtomicU64::new(0)));
    let o = match decompress(mh) {
        Ok((mrd, mcomp)) => {
            let text = Stored { quick: &m.quick, slot: mslot, decompressed: mcomp != source::Compression::None };
            let mut o = ingest_stream(case, run_id, mrd, &m.display, m.size, text, opts, t0)?;
            if o.compression == "none" {
                o.compression = mcomp.as_str();
            }
            o
        }
        Err(e) => {
            let mut o = InputOutcome::new(m.display);
            o.message = Some(format!("cannot read member: {e}"));
            o
        }
    };
    sink.finished(&o);
    out.push(o);
    Ok(())
}

/// Ingests every file of a ZIP archive (a file; on stdin a ZIP is refused,
/// as ZIP keeps its directory at the end). Member names that are not UTF-8 are read as CP932,
/// as Japanese Windows writes them. An encrypted or damaged member is
/// reported and the others go on.
#[allow(clippy::too_many_arguments)]
fn ingest_zip(
    case: &mut Case,
    run_id: i64,
    path: &std::path::Path,
    display: &str,
    size: Option<u64>,
    quick: &str,
    opts: &IngestOptions,
    t0: Instant,
    sink: &dyn ProgressSink,
    out: &mut Vec<InputOutcome>,
) -> Result<(), StoreError> {
    let fail = |msg: String, out: &mut Vec<InputOutcome>| {
        let mut o = InputOutcome::new(display.to_string());
        o.compression = "zip";
        o.message = Some(msg);
        sink.finished(&o);
        out.push(o);
    };
    let counter = Arc::new(AtomicU64::new(0));
    sink.started(display, size, counter.clone());
    let file = match std::fs::File::open(path) {
        Ok(f) => source::CountingHasher::counting(std::io::BufReader::new(f), counter),
        Err(e) => {
            fail(format!("cannot open: {e}"), out);
            return Ok(());
        }
    };
    let mut ar = match zip::ZipArchive::new(file) {
        Ok(a) => a,
        Err(e) => {
            fail(format!("bad ZIP archive (truncated?): {e}"), out);
            return Ok(());
        }
    };
    for i in 0..ar.len() {
        let listed = ar.name_for_index(i).and_then(Result::ok).map(|n| n.into_owned()).unwrap_or_else(|| format!("#{i}"));
        let mut zf = match ar.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                let mut o = InputOutcome::new(format!("{display}!{listed}"));
                o.compression = "zip";
                o.message = Some(format!("cannot read ZIP member: {e}"));
                sink.finished(&o);
                out.push(o);
                continue;
            }
        };
        if !zf.is_file() {
            continue;
        }
        let name = zip_member_name(zf.name_raw());
        let size = zf.size();
        let mquick = blake3::hash(format!("{quick}\0{name}\0{size}\0{:08x}", zf.crc32()).as_bytes()).to_hex().to_string();
        let member = Member { display: format!("{display}!{name}"), size: Some(size), quick: mquick };
        ingest_member(case, run_id, &mut zf, member, opts, t0, sink, out)?;
    }
    Ok(())
}

/// A ZIP member's name: UTF-8 when it is, else CP932 (Japanese Windows
/// Explorer and most Japanese archivers do not set the UTF-8 flag).
fn zip_member_name(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::SHIFT_JIS.decode_without_bom_handling(raw).0.into_owned(),
    }
}

pub(crate) fn chrono_like_now() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

/// How a stream's stored bytes are fingerprinted.
struct Stored<'a> {
    /// Size-and-ends fingerprint for the re-ingest check before reading.
    quick: &'a str,
    /// Receives the blake3 of the stored bytes when they have been read.
    slot: source::HashSlot,
    /// Whether the text differs from the stored bytes (it was compressed),
    /// so it gets a hash of its own.
    decompressed: bool,
}

/// Sniffs, parses and commits one decompressed stream; UTF-16 text (a
/// byte-order mark first) is read as UTF-8. A stream whose log text is
/// already in the case (the same log plain and gzipped, or loose and in an
/// archive) is dropped as a duplicate.
#[allow(clippy::too_many_arguments)]
fn ingest_stream<'r, R: std::io::BufRead + 'r>(
    case: &mut Case,
    run_id: i64,
    mut rd: R,
    display: &str,
    size: Option<u64>,
    stored: Stored<'_>,
    opts: &IngestOptions,
    t0: Instant,
) -> Result<InputOutcome, StoreError> {
    let Stored { quick, slot, decompressed } = stored;
    let mut hash_text = decompressed;
    let mut rd: Box<dyn std::io::BufRead + 'r> = match rd.fill_buf().ok().and_then(source::utf16_bom) {
        Some(enc) => {
            hash_text = true;
            Box::new(std::io::BufReader::with_capacity(1 << 20, source::Utf16ToUtf8::new(rd, enc)))
        }
        None => Box::new(rd),
    };
    let mut o = InputOutcome::new(display.to_string());
    // Read a head for sniffing, then put it back in front of the stream.
    let mut head = Vec::with_capacity(64 * 1024);
    let head_err = (&mut rd).take(64 * 1024).read_to_end(&mut head).err();
    let (format, confidence) = match opts.format {
        Some(f) => (f, None),
        None => {
            let text = String::from_utf8_lossy(&head);
            let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(SNIFF_LINES).collect();
            // The last line of the head may be cut in the middle.
            if head.len() == 64 * 1024 && lines.len() > 1 {
                lines.pop();
            }
            match sniff(&lines) {
                Some(s) => (s.format, Some(s.confidence)),
                None => {
                    o.message = Some(if head.is_empty() {
                        "empty input".to_string()
                    } else if head.iter().take(4096).filter(|b| **b == 0 || (**b < 9)).count() > 16 {
                        "binary data, not a text log (unknown format)".to_string()
                    } else {
                        let first = lines.first().map(|l| l.chars().take(120).collect::<String>()).unwrap_or_default();
                        format!(
                            "unknown format: no supported log format fits the first lines (first: {:?}); name it with --format",
                            first
                        )
                    });
                    if head.is_empty() {
                        o.status = "empty";
                    }
                    o.seconds = t0.elapsed().as_secs_f64();
                    return Ok(o);
                }
            }
        }
    };
    o.format = Some(format.as_str().to_string());
    o.sniffed = opts.format.is_none();
    o.confidence = confidence;
    let id = {
        let staging_token = format!("in-{}-{}", std::process::id(), chrono_like_now());
        let staging = case.new_staging_dir(&staging_token)?;
        let id = case.begin_input(run_id, display, size, quick, &staging)?;
        (id, staging)
    };
    let (input_id, staging) = id;
    o.input_id = Some(input_id);
    let prov = Provenance { format: format.as_str(), file: display, input_id };
    let chained = std::io::Cursor::new(head).chain(rd);
    let mut chained = source::CountingHasher::text(chained, hash_text);
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
    } else {
        opts.threads
    };
    let res = pipeline::run_lines(&mut chained, format, &opts.parse, &staging, &prov, threads, opts.enricher.as_deref());
    let text_hash = chained.finish();
    let content_hash = slot.lock().ok().and_then(|s| s.clone()).unwrap_or_default();
    let res = match res {
        Ok(r) => r,
        Err(pipeline::PipelineError::Store(e)) => return Err(e),
        Err(e) => {
            case.fail_input(input_id, &e.to_string(), None)?;
            let _ = std::fs::remove_dir_all(&staging);
            o.message = Some(e.to_string());
            o.seconds = t0.elapsed().as_secs_f64();
            return Ok(o);
        }
    };
    o.rows = res.rows;
    o.rejected = res.rejected;
    o.skipped = res.skipped;
    o.reject_counts = res.reject_counts.clone();
    if let Some(f) = res.format {
        o.format = Some(f.as_str().to_string());
    }
    let read_error = res.read_error.clone().or(head_err.map(|e| e.to_string()));
    let ir = InputResult {
        content_hash: content_hash.clone(),
        text_hash: text_hash.clone(),
        format: o.format.clone(),
        sniff_confidence: confidence,
        rows: res.rows,
        rejected: res.rejected,
        first_ts: res.first_ts,
        last_ts: res.last_ts,
        reject_counts: res.reject_counts,
        reject_samples: res.reject_samples,
        parts: res.parts,
    };
    let same_file = case.done_by_content_hash(&content_hash)?;
    let same_text = match (&same_file, &text_hash) {
        (None, Some(h)) if res.read_error.is_none() => case.done_by_text_hash(h)?,
        (None, None) => case.done_by_text_hash(&content_hash)?,
        _ => None,
    };
    if let Some(dup) = same_file.or(same_text) {
        case.skip_input(input_id, &content_hash, dup)?;
        let _ = std::fs::remove_dir_all(&staging);
        o.status = "duplicate";
        o.rows = 0;
        o.message = Some(if same_file.is_some() {
            format!("same content as input {dup}, already in the case")
        } else {
            format!("same log text as input {dup} (there compressed or archived differently), already in the case")
        });
    } else if res.rows == 0 && res.rejected > 0 {
        let first = ir.reject_samples.first().map(|s| format!(" (line {}: {})", s.line, s.detail)).unwrap_or_default();
        let msg = format!(
            "no line could be read as {}: {} rejected{first}; is the format right? (use --format)",
            format.as_str(),
            res.rejected
        );
        case.fail_input(input_id, &msg, Some(&ir))?;
        let _ = std::fs::remove_dir_all(&staging);
        o.message = Some(msg);
    } else {
        case.commit_input(input_id, &ir)?;
        let _ = std::fs::remove_dir_all(&staging);
        o.status = if res.rows == 0 { "empty" } else { "ingested" };
        if let Some(e) = read_error {
            let msg = format!("input ended early: {e}; {} rows before the error were kept", res.rows);
            case.db().execute("UPDATE inputs SET error=?2 WHERE id=?1", (input_id, msg.as_str()))?;
            o.message = Some(msg);
        }
    }
    o.seconds = t0.elapsed().as_secs_f64();
    Ok(o)
}


#[cfg(test)]
mod zip_name_tests {
    #[test]
    fn zip_member_names_in_cp932_are_read() {
        // "アクセス.log" as Japanese Windows Explorer writes it (CP932, no UTF-8 flag).
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("アクセス.log");
        assert!(std::str::from_utf8(&sjis).is_err());
        assert_eq!(super::zip_member_name(&sjis), "アクセス.log");
        assert_eq!(super::zip_member_name("logs/a.log".as_bytes()), "logs/a.log");
    }
}
