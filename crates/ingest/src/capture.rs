//! Packet captures (pcap/pcapng, plain, `.gz` or `.zst`) into a case.
//!
//! All capture files of one ingest call form a *group*: they are ordered by
//! their first packet's time stamp (rotated captures such as
//! `trace-00.pcap`, `trace-01.pcap`… in time order whatever their names) and
//! read by one [`kensa_pcap::Engine`], so a flow that crosses a file
//! boundary stays one flow. The group is committed all-or-nothing
//! ([`Case::commit_capture_group`]).
//!
//! Written per group: the packet tables of [`kensa_store::packet`] (`flows`,
//! `flow_packets`, `dns`, `tls`, `http`, `ssh`, `quic`) and derived
//! `web_requests` rows, so every web detector also runs on packet data:
//!
//! * one row per HTTP/1.x transaction (`scheme` http, method, host, path,
//!   status, user agent, referer, body sizes as `bytes_up`/`bytes_down`);
//! * one row per TLS session (first handshake of a TCP flow) and per QUIC
//!   connection: `host` = SNI (else the server address), `scheme` https,
//!   `method` **null** (the method is encrypted; a proxy would log
//!   `CONNECT`, but nothing on the wire says so), `url` `https://host[:port]/`,
//!   `bytes_up`/`bytes_down` = the flow's payload bytes per direction,
//!   `duration_ms` = the flow's duration, and the JA4 fingerprint in place
//!   of a user agent as `user_agent = "ja4:<JA4> ja3:<JA3>"` (the web table
//!   has no fingerprint column; rare-agent logic then works on the client
//!   fingerprint for free, and the intel layer matches both against JA3/JA4
//!   indicators such as abuse.ch SSLBL).
//!
//! `source_format` is `pcap`; `source_file`/`input_id` name the capture
//! file holding the flow's first packet and `source_line` is that packet's
//! 1-based number in the file.
//!
//! Mail (SMTP 25, submission 587, SMTPS 465, POP3 110, POP3S 995, IMAP 143,
//! IMAPS 993, over TCP) is flagged `mail` in `flows`/`dns`/`tls`, summed per
//! client/server in the manifest (`kensa info` lists it) and left out of
//! `web_requests` unless [`IngestOptions::include_mail`].
//!
//! With `--threads` ≥ 2 (the default on a multi-core machine) a group is
//! read in two stages: the calling thread reads, decodes and tracks flows
//! (the [`kensa_pcap::Engine`]); a sink thread turns the engine's finished
//! records into Arrow batches and encodes Parquet. They meet in a bounded
//! channel of drained records, so memory stays bounded by the engine's flow
//! cap plus a couple of drains, whatever the capture size. With one thread
//! both stages alternate on the calling thread; the case is the same.
//!
//! Decode problems (unsupported link type, truncated link/IP/transport
//! headers, packets cut by the snaplen, a truncated last record, corrupt
//! blocks) are counted per file by reason with samples (packet number and
//! reason), like rejected log lines; no packet stops the run.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use kensa_model::WebRecord;
use kensa_model::refs::single_file;
use kensa_pcap::{AppProto, CaptureReader, Engine, EngineConfig, EngineOutput, FlowRecord, Packet, ReaderConfig};
use kensa_store::arrow::record_batch::RecordBatch;
use kensa_store::case::RejectSample;
use kensa_store::group::{CaptureFile, MailRow};
use kensa_store::packet::{
    self as pt, DnsBuilder, DnsRow, FlowPacketsBuilder, FlowPacketsRow, FlowRow, FlowsBuilder, HttpBuilder, HttpRow, QuicBuilder,
    QuicRow, SshBuilder, SshRow, Text, TlsBuilder, TlsRow,
};
use kensa_store::schema::{Provenance, RowExtras, WEB_REQUESTS, WebBatchBuilder};
use kensa_store::writer::PartitionedWriter;
use kensa_store::{Case, InputResult, StoreError};

use crate::pipeline::{SAMPLES_PER_INPUT, SAMPLES_PER_REASON};
use crate::source::{ReadAhead, hashing, quick_hash};
use crate::{IngestOptions, InputOutcome, ProgressSink};

/// Rows buffered per table before they are written. Each written batch is
/// split by UTC day and the writer keeps only a couple of days open, so a
/// capture whose flows scatter over many days (clock jumps, replayed or
/// corrupt time stamps) closes and reopens day files on every batch: large
/// batches keep the number of part files (each one a Parquet footer, a set
/// of zstd contexts and an fsync) small. 64 Ki rows of the widest packet
/// table are a few tens of MB.
const FLUSH_ROWS: usize = 64 * 1024;
/// Packets between two drains of the engine's finished records. Small
/// drains keep the sink thread fed evenly: with 64 Ki packets per drain the
/// two threads took turns waiting for each other, and a two-thread ingest
/// of the bench capture took ≈ 10 % longer (BENCHMARKS.md, session 8).
pub(crate) const DRAIN_EVERY: u64 = 4 * 1024;
/// Drains queued between the reading thread and the sink thread (each is
/// the records finished during [`DRAIN_EVERY`] packets, a few hundred kB):
/// enough to smooth out bursts, few enough to keep memory bounded.
const PIPELINE_DEPTH: usize = 32;

/// Keeps the process heap from growing with the capture size.
///
/// Parquet's column writers allocate 1 MiB encoder buffers for every string
/// column chunk they open (one set per part file and row group). glibc
/// raises its mmap threshold each time such a block is freed, so later ones
/// come from the main heap, where the small long-lived allocations between
/// them keep freed space from going back to the system: peak RSS grew with
/// the capture (561 MB on a 4 GiB bench capture). A fixed threshold keeps big
/// blocks in their own mappings, unmapped when freed (247 MB on the same
/// capture). Process-wide and set once; other allocators are unaffected.
fn fix_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            unsafe extern "C" {
                fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
            }
            /// glibc's `M_MMAP_THRESHOLD` parameter (malloc.h).
            const M_MMAP_THRESHOLD: std::ffi::c_int = -3;
            // SAFETY: mallopt only sets an allocator tunable, from any thread,
            // at any time; 128 KiB is glibc's own default threshold.
            unsafe {
                mallopt(M_MMAP_THRESHOLD, 128 * 1024);
            }
        });
    }
}

/// The mail protocol of a TCP server port, if it is one.
pub fn mail_proto(proto: u8, server_port: u16) -> Option<&'static str> {
    if proto != 6 {
        return None;
    }
    Some(match server_port {
        25 => "smtp",
        587 => "submission",
        465 => "smtps",
        110 => "pop3",
        995 => "pop3s",
        143 => "imap",
        993 => "imaps",
        _ => return None,
    })
}

/// A protocol guessed from the server port alone (flows whose payload said
/// nothing), for the `app_method = port` column.
fn port_guess(proto: u8, port: u16) -> Option<&'static str> {
    if let Some(m) = mail_proto(proto, port) {
        return Some(m);
    }
    Some(match (proto, port) {
        (6, 80) | (6, 8080) => "http",
        (6, 443) | (6, 8443) => "tls",
        (17, 443) => "quic",
        (_, 53) => "dns",
        (6, 22) => "ssh",
        (6, 445) | (6, 139) => "smb",
        (6, 3389) => "rdp",
        (6, 1080) => "socks",
        (17, 1194) | (6, 1194) => "openvpn",
        (17, 51820) => "wireguard",
        (6, 9001) | (6, 9030) => "tor",
        (17, 123) => "ntp",
        _ => return None,
    })
}

fn transport(proto: u8) -> Text<'static> {
    match proto {
        6 => "tcp".into(),
        17 => "udp".into(),
        1 => "icmp".into(),
        58 => "icmpv6".into(),
        n => n.to_string().into(),
    }
}

/// The stable text form of a flow id (16 hex digits), as stored in every
/// packet table and accepted by `kensa stream`.
pub fn flow_id_text(id: u64) -> String {
    FlowIdText::new(id).as_str().to_string()
}

/// [`flow_id_text`] on the stack: every row of every packet table carries a
/// flow id, so the per-row `String` is worth avoiding.
struct FlowIdText([u8; 16]);

impl FlowIdText {
    fn new(id: u64) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut b = [0u8; 16];
        for (i, c) in b.iter_mut().enumerate() {
            *c = HEX[((id >> ((15 - i) * 4)) & 0xf) as usize];
        }
        FlowIdText(b)
    }

    fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever written.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

fn tcp_state(f: &FlowRecord) -> Option<&'static str> {
    if f.proto != 6 {
        return None;
    }
    let h = &f.history;
    let has = |c: char| h.contains(c);
    Some(
        if has('R') || has('r') {
            if has('D') || has('d') { "reset" } else if has('S') && !has('h') && !has('H') { "rejected" } else { "reset" }
        } else if (has('F') || has('f')) && (has('D') || has('d') || has('h') || has('H')) {
            "closed"
        } else if has('S') && (has('h') || has('H')) {
            "established"
        } else if has('S') {
            "attempt"
        } else {
            "partial"
        },
    )
}

fn tls_version(v: u16) -> Text<'static> {
    match v {
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        v if v & 0x0f0f == 0x0a0a => "GREASE".into(),
        v => format!("0x{v:04x}").into(),
    }
}

fn rcode_name(r: u8) -> &'static str {
    match r {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        _ => "OTHER",
    }
}

fn qtype_name(t: u16) -> Text<'static> {
    match t {
        1 => "A".into(),
        2 => "NS".into(),
        5 => "CNAME".into(),
        6 => "SOA".into(),
        10 => "NULL".into(),
        12 => "PTR".into(),
        15 => "MX".into(),
        16 => "TXT".into(),
        28 => "AAAA".into(),
        33 => "SRV".into(),
        35 => "NAPTR".into(),
        43 => "DS".into(),
        46 => "RRSIG".into(),
        48 => "DNSKEY".into(),
        64 => "SVCB".into(),
        65 => "HTTPS".into(),
        99 => "SPF".into(),
        255 => "ANY".into(),
        t => format!("TYPE{t}").into(),
    }
}

/// Does a certificate name (CN or SAN, maybe a wildcard) cover `host`?
fn name_covers(pattern: &str, host: &str) -> bool {
    let p = pattern.trim_end_matches('.').to_ascii_lowercase();
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    if let Some(rest) = p.strip_prefix("*.") {
        return h.split_once('.').is_some_and(|(_, tail)| tail == rest);
    }
    p == h
}

fn cn_of(dn: &str) -> Option<&str> {
    dn.split([',', '/']).map(str::trim).find_map(|p| p.strip_prefix("CN="))
}

struct FileState {
    display: String,
    path: PathBuf,
    input_id: i64,
    size: u64,
    quick: String,
    packets: u64,
    first_ts: Option<i64>,
    last_ts: Option<i64>,
    rejected: u64,
    skipped: u64,
    counts: BTreeMap<String, u64>,
    samples: Vec<RejectSample>,
    per_reason: BTreeMap<String, usize>,
    link_types: BTreeSet<u32>,
    stats: serde_json::Value,
    content_hash: String,
    format: String,
    compression: &'static str,
    message: Option<String>,
    seconds: f64,
}

impl FileState {
    fn reject(&mut self, n: u64, packet: u64, reason: &str, detail: String, text: String) {
        if n == 0 {
            return;
        }
        self.rejected += n;
        *self.counts.entry(reason.to_string()).or_default() += n;
        let k = self.per_reason.entry(reason.to_string()).or_default();
        if *k < SAMPLES_PER_REASON && self.samples.len() < SAMPLES_PER_INPUT {
            *k += 1;
            self.samples.push(RejectSample { line: packet, reason: reason.to_string(), detail, text });
        }
    }
}

/// The engine's per-packet problem counters, by reject reason.
fn problems(s: &kensa_pcap::EngineStats) -> [(&'static str, u64); 6] {
    let d = &s.decode;
    [
        ("unsupported_link_type", d.unsupported_link_type),
        ("link_truncated", d.link_truncated),
        ("bad_ip", d.bad_ip),
        ("bad_transport", d.bad_transport),
        ("tunnel_too_deep", d.tunnel_too_deep),
        ("snaplen_cut", d.snaplen_cut),
    ]
}

fn detail_of(reason: &str) -> &'static str {
    match reason {
        "unsupported_link_type" => "link type not supported by the decoder; packet skipped",
        "link_truncated" => "shorter than its link-layer header; packet skipped",
        "bad_ip" => "IP header missing or malformed; packet skipped",
        "bad_transport" => "TCP/UDP header cut or malformed; packet skipped",
        "tunnel_too_deep" => "too many nested tunnels; packet skipped",
        "snaplen_cut" => "packet cut by the capture snaplen; decoded as far as captured",
        _ => "",
    }
}

/// One drain of the engine's finished records, handed from the reading
/// side to the [`Sink`] (possibly on another thread).
struct Drained {
    out: EngineOutput,
    /// Per flow of `out.flows`, the 1-based number of its first packet in
    /// its capture file (resolved on the reading side, which numbers packets).
    lines: Vec<Option<u64>>,
    /// The same for the still-open flows of `out.live`.
    live_lines: Vec<Option<u64>>,
}

/// Takes the first-packet numbers of `flows` out of `first_packet` (keyed by
/// the flow's first packet reference).
fn resolve_lines(first_packet: &mut HashMap<(u32, u64), u64>, flows: &[FlowRecord]) -> Vec<Option<u64>> {
    flows
        .iter()
        .map(|f| first_packet.remove(&f.packet_refs.first().unwrap_or((0, 0))))
        .collect()
}

/// Arrow builders and Parquet writers for every table of one group: turns
/// drained engine records into rows. Owns everything it needs, so it can
/// run on its own thread while the engine reads on.
struct Sink<'a> {
    staging: PathBuf,
    prefix: String,
    writers: HashMap<&'static str, PartitionedWriter>,
    flows: FlowsBuilder,
    packets: FlowPacketsBuilder,
    dns: DnsBuilder,
    tls: TlsBuilder,
    http: HttpBuilder,
    ssh: SshBuilder,
    quic: QuicBuilder,
    web: WebBatchBuilder,
    web_rows: u64,
    /// Flow records per capture file (by group index).
    flows_per_file: Vec<u64>,
    files: Vec<(String, i64)>,
    mail: BTreeMap<(String, String, String, u16), (u64, u64)>,
    /// HTTP Host of flows still open when their first request was drained.
    early_names: HashMap<u64, String>,
    include_mail: bool,
    opts: &'a IngestOptions,
}

impl Sink<'_> {
    /// The group's file index of a packet reference, clamped to the files
    /// there are (a reference is never out of range; this keeps it so).
    fn file_idx(&self, fi: u32) -> usize {
        (fi as usize).min(self.files.len().saturating_sub(1))
    }

    fn writer(&mut self, table: &'static str) -> &mut PartitionedWriter {
        let (staging, prefix) = (&self.staging, &self.prefix);
        self.writers.entry(table).or_insert_with(|| PartitionedWriter::new(staging, table, prefix))
    }

    /// Writes every table holding `FLUSH_ROWS` rows or more.
    fn flush(&mut self) -> Result<(), StoreError> {
        for (table, batch) in self.due_batches(false)? {
            self.writer(table).write(&batch)?;
        }
        Ok(())
    }

    /// The pending rows of every table holding `FLUSH_ROWS` rows or more
    /// (all non-empty ones when `all`) as batches, with their tables'
    /// writers created.
    fn due_batches(&mut self, all: bool) -> Result<Vec<(&'static str, RecordBatch)>, StoreError> {
        let due = |n: usize| n > 0 && (all || n >= FLUSH_ROWS);
        let mut out = Vec::new();
        macro_rules! take_table {
            ($buf:ident, $name:expr) => {
                if due(self.$buf.len()) {
                    out.push(($name, self.$buf.finish()?));
                }
            };
        }
        take_table!(flows, pt::FLOWS);
        take_table!(dns, pt::DNS);
        take_table!(tls, pt::TLS);
        take_table!(http, pt::HTTP);
        take_table!(ssh, pt::SSH);
        take_table!(quic, pt::QUIC);
        take_table!(packets, pt::FLOW_PACKETS);
        if due(self.web.len()) {
            out.push((WEB_REQUESTS, self.web.finish()));
        }
        for (table, _) in &out {
            self.writer(table);
        }
        Ok(out)
    }

    fn push_web(&mut self, rec: &WebRecord<'_>, file_idx: usize, line: u64) {
        let f = &self.files[file_idx];
        let prov = Provenance { format: "pcap", file: &f.0, input_id: f.1 };
        let web = &mut self.web;
        match &self.opts.enricher {
            Some(e) => e.enrich(rec, &mut |x: &RowExtras<'_>| web.append(rec, line, &prov, x)),
            None => web.append(rec, line, &prov, &RowExtras::default()),
        }
        self.web_rows += 1;
    }

    /// Turns one drained engine output into rows. Rows borrow the engine's
    /// strings; the Arrow builders copy each once.
    fn take(&mut self, d: Drained) -> Result<(), StoreError> {
        struct Meta {
            ci: String,
            cp: i32,
            si: String,
            sp: i32,
            proto: u8,
            file_idx: usize,
            line: u64,
            mail: bool,
            first_ms: i64,
            dur_ms: i64,
            up: u64,
            down: u64,
        }
        let Drained { out, lines, live_lines } = d;
        let mut meta: HashMap<u64, Meta> = HashMap::with_capacity(out.flows.len());
        // A flow's name: its TLS SNI, else the Host of its first HTTP request,
        // which may have come in an earlier drain than the flow.
        let mut names: HashMap<u64, Cow<'_, str>> = HashMap::new();
        for t in &out.tls {
            if let Some(s) = &t.sni {
                names.entry(t.flow_id).or_insert(Cow::Borrowed(s));
            }
        }
        for f in &out.flows {
            if let Some(n) = self.early_names.remove(&f.flow_id) {
                names.entry(f.flow_id).or_insert(Cow::Owned(n));
            }
        }
        let ending: std::collections::HashSet<u64> = out.flows.iter().map(|f| f.flow_id).collect();
        for h in &out.http {
            if let Some(s) = &h.host {
                if ending.contains(&h.flow_id) {
                    names.entry(h.flow_id).or_insert(Cow::Borrowed(s));
                } else {
                    // Kept until the flow ends (bounded by the open flows).
                    self.early_names.entry(h.flow_id).or_insert_with(|| s.clone());
                }
            }
        }
        let mut inputs: Vec<i64> = Vec::new();
        let mut local: Vec<(u32, u64)> = Vec::new();
        for (f, line) in out.flows.iter().zip(lines) {
            // Map group-wide file indices to this flow's own list of inputs.
            inputs.clear();
            let (fi, refs) = match single_file(&f.packet_refs.bytes) {
                // The common case: one file, so one input and the same deltas.
                Some((fi, local)) => {
                    inputs.push(self.files.get(fi as usize).map_or(-1, |s| s.1));
                    (fi, local)
                }
                None => {
                    let refs = f.packet_refs.decode();
                    local.clear();
                    for (gf, off) in &refs {
                        let id = self.files.get(*gf as usize).map_or(-1, |s| s.1);
                        let li = match inputs.iter().position(|x| *x == id) {
                            Some(i) => i,
                            None => {
                                inputs.push(id);
                                inputs.len() - 1
                            }
                        };
                        local.push((li as u32, *off));
                    }
                    (refs.first().map_or(0, |r| r.0), Cow::Owned(pt::encode_refs(&local)))
                }
            };
            let file_idx = self.file_idx(fi);
            self.flows_per_file[file_idx] += 1;
            let id = FlowIdText::new(f.flow_id);
            let ts = f.first_ts_ns.div_euclid(1_000_000);
            let mailp = mail_proto(f.proto, f.server_port);
            let (app_proto, app_method) = match f.app_proto {
                AppProto::Unknown => match port_guess(f.proto, f.server_port) {
                    Some(g) => (Some(g), Some("port")),
                    None => (None, None),
                },
                app => (Some(app.name()), Some("content")),
            };
            let risks: Vec<&str> = [f.port_mismatch, (f.snaplen_cut > 0).then_some("snaplen_cut")].into_iter().flatten().collect();
            let (ci, si) = (f.client_ip.to_string(), f.server_ip.to_string());
            if let Some(m) = mailp {
                let e = self.mail.entry((m.to_string(), ci.clone(), si.clone(), f.server_port)).or_default();
                e.0 += 1;
                e.1 += f.bytes_c2s + f.bytes_s2c;
            }
            self.packets.append(&FlowPacketsRow {
                ts,
                flow_id: id.as_str(),
                capture_inputs: &inputs,
                packets: i64::from(f.packet_refs.count),
                packets_not_indexed: i64::from(f.packet_refs.truncated),
                refs: &refs,
            });
            let dur_ms = (f.last_ts_ns - f.first_ts_ns).max(0) / 1_000_000;
            let (file_display, file_input) = (&self.files[file_idx].0, self.files[file_idx].1);
            self.flows.append(&FlowRow {
                ts,
                last_ts: f.last_ts_ns.div_euclid(1_000_000),
                duration_ms: dur_ms,
                flow_id: id.as_str(),
                transport: transport(f.proto),
                client_ip: &ci,
                client_port: i32::from(f.client_port),
                server_ip: &si,
                server_port: i32::from(f.server_port),
                pkts_c2s: clamp(f.pkts_c2s),
                bytes_c2s: clamp(f.bytes_c2s),
                payload_c2s: clamp(f.payload_c2s),
                pkts_s2c: clamp(f.pkts_s2c),
                bytes_s2c: clamp(f.bytes_s2c),
                payload_s2c: clamp(f.payload_s2c),
                tcp_state: tcp_state(f),
                history: &f.history,
                end_reason: f.end_reason.name(),
                orientation: f.orientation.name(),
                app_proto,
                app_method,
                server_name: names.get(&f.flow_id).map(|n| n.as_ref()),
                risks: &risks,
                mail: mailp.is_some(),
                mail_proto: mailp,
                snaplen_cut: i64::from(f.snaplen_cut),
                reassembly_gaps: i64::from(f.reassembly_gaps),
                tunnel_depth: i32::from(f.tunnel_depth),
                input_id: file_input,
                capture_inputs: &inputs,
                source_file: file_display,
                first_packet: line.map(|l| l as i64),
            });
            meta.insert(
                f.flow_id,
                Meta {
                    ci,
                    cp: i32::from(f.client_port),
                    si,
                    sp: i32::from(f.server_port),
                    proto: f.proto,
                    file_idx,
                    line: line.unwrap_or(0),
                    mail: mailp.is_some(),
                    first_ms: ts,
                    dur_ms,
                    up: f.payload_c2s,
                    down: f.payload_s2c,
                },
            );
        }
        // DNS and HTTP records of flows still open: their endpoints as of
        // now (a flow's own row comes in the drain where it ends).
        for (l, line) in out.live.iter().zip(live_lines) {
            let fi = l.first_ref.map_or(0, |r| r.0);
            meta.entry(l.flow_id).or_insert_with(|| Meta {
                ci: l.client_ip.to_string(),
                cp: i32::from(l.client_port),
                si: l.server_ip.to_string(),
                sp: i32::from(l.server_port),
                proto: l.proto,
                file_idx: self.file_idx(fi),
                line: line.unwrap_or(0),
                mail: mail_proto(l.proto, l.server_port).is_some(),
                first_ms: l.first_ts_ns.div_euclid(1_000_000),
                dur_ms: 0,
                up: 0,
                down: 0,
            });
        }
        let unknown = Meta { ci: String::new(), cp: 0, si: String::new(), sp: 0, proto: 0, file_idx: 0, line: 0, mail: false, first_ms: 0, dur_ms: 0, up: 0, down: 0 };
        let input_of = |m: &Meta, files: &[(String, i64)]| files.get(m.file_idx).map_or(0, |f| f.1);
        for d in &out.dns {
            let m = meta.get(&d.flow_id).unwrap_or(&unknown);
            self.dns.append(&DnsRow {
                ts: d.ts_ns.div_euclid(1_000_000),
                flow_id: FlowIdText::new(d.flow_id).as_str(),
                transport: transport(m.proto),
                client_ip: &m.ci,
                client_port: m.cp,
                server_ip: &m.si,
                server_port: m.sp,
                from_client: d.from_client,
                trans_id: i32::from(d.id),
                is_response: d.is_response,
                opcode: i32::from(d.opcode),
                rcode: i32::from(d.rcode),
                rcode_name: rcode_name(d.rcode),
                truncated: d.truncated,
                query: d.query.as_deref(),
                qtype: d.qtype.map(i32::from),
                qtype_name: d.qtype.map(qtype_name),
                answers: &d.answers,
                size: d.size as i64,
                mail: m.mail,
                input_id: input_of(m, &self.files),
            });
        }
        for t in &out.tls {
            let m = meta.get(&t.flow_id).unwrap_or(&unknown);
            let input_id = input_of(m, &self.files);
            let quic = t.ja4.starts_with('q');
            let versions: Vec<Text<'static>> = t.client_supported_versions.iter().map(|v| tls_version(*v)).collect();
            let id = FlowIdText::new(t.flow_id);
            let ts = t.ts_ns.div_euclid(1_000_000);
            if quic {
                self.quic.append(&QuicRow {
                    ts,
                    flow_id: id.as_str(),
                    client_ip: &m.ci,
                    client_port: m.cp,
                    server_ip: &m.si,
                    server_port: m.sp,
                    sni: t.sni.as_deref(),
                    alpn_offered: &t.alpn_offered,
                    client_versions: &versions,
                    ja4: &t.ja4,
                    ja4_r: &t.ja4_r,
                    ja3: &t.ja3,
                    input_id,
                });
            } else {
                let leaf = t.certificates.first();
                let mismatch = match (&t.sni, leaf) {
                    (Some(sni), Some(c)) if !c.parse_error => {
                        let mut names: Vec<&str> = c.san.iter().map(String::as_str).collect();
                        if let Some(cn) = c.subject.as_deref().and_then(cn_of) {
                            names.push(cn);
                        }
                        Some(!names.iter().any(|n| name_covers(n, sni)))
                    }
                    _ => None,
                };
                self.tls.append(&TlsRow {
                    ts,
                    flow_id: id.as_str(),
                    client_ip: &m.ci,
                    client_port: m.cp,
                    server_ip: &m.si,
                    server_port: m.sp,
                    handshake: t.handshake as i32,
                    version: t.server_version.map(tls_version),
                    client_version: tls_version(t.client_version),
                    client_versions: &versions,
                    sni: t.sni.as_deref(),
                    alpn_offered: &t.alpn_offered,
                    alpn: t.alpn_selected.as_deref(),
                    cipher: t.cipher.map(|c| format!("0x{c:04x}").into()),
                    ja3: &t.ja3,
                    ja3s: t.ja3s.as_deref(),
                    ja4: &t.ja4,
                    ja4_r: &t.ja4_r,
                    cert_subject: leaf.and_then(|c| c.subject.as_deref()),
                    cert_issuer: leaf.and_then(|c| c.issuer.as_deref()),
                    cert_serial: leaf.and_then(|c| c.serial.as_deref()),
                    cert_not_before: leaf.and_then(|c| c.not_before).map(|s| s.saturating_mul(1000)),
                    cert_not_after: leaf.and_then(|c| c.not_after).map(|s| s.saturating_mul(1000)),
                    cert_sans: leaf.map(|c| c.san.as_slice()).unwrap_or_default(),
                    cert_sha1: leaf.map(|c| c.sha1.as_str()),
                    cert_sha256: leaf.map(|c| c.sha256.as_str()),
                    cert_chain_len: t.certificates.len() as i32,
                    self_signed: leaf.map(|c| c.self_signed),
                    sni_cert_mismatch: mismatch,
                    mail: m.mail,
                    input_id,
                });
            }
            if t.handshake == 1 && (!m.mail || self.include_mail) && !m.si.is_empty() {
                let host = t.sni.as_deref().unwrap_or(&m.si);
                let port = u16::try_from(m.sp).unwrap_or(0);
                let url = if port == 443 { format!("https://{host}/") } else { format!("https://{host}:{port}/") };
                let rec = WebRecord {
                    ts_ms: m.first_ms,
                    duration_ms: Some(m.dur_ms),
                    client_ip: Some(m.ci.as_str().into()),
                    client_port: u16::try_from(m.cp).ok(),
                    scheme: Some("https".into()),
                    host: Some(host.into()),
                    port: Some(port),
                    path: Some("/".into()),
                    url: Some(url.into()),
                    server_ip: Some(m.si.as_str().into()),
                    sni: t.sni.as_deref().map(Into::into),
                    bytes_up: Some(m.up),
                    bytes_down: Some(m.down),
                    user_agent: Some(format!("ja4:{} ja3:{}", t.ja4, t.ja3).into()),
                    ..Default::default()
                };
                let (fi, line) = (m.file_idx, m.line);
                self.push_web(&rec, fi, line);
            }
        }
        for h in &out.http {
            let m = meta.get(&h.flow_id).unwrap_or(&unknown);
            let input_id = input_of(m, &self.files);
            let version: Text<'static> = match h.version {
                0 => "HTTP/1.0".into(),
                1 => "HTTP/1.1".into(),
                v => format!("HTTP/1.{v}").into(),
            };
            if (!m.mail || self.include_mail) && !m.si.is_empty() {
                let port = u16::try_from(m.sp).unwrap_or(0);
                let absolute = h.uri.contains("://");
                let host = h.host.as_deref().unwrap_or(&m.si);
                let url = if absolute {
                    h.uri.clone()
                } else if port == 80 {
                    format!("http://{host}{}", h.uri)
                } else {
                    format!("http://{host}:{port}{}", h.uri)
                };
                let parts = kensa_model::split_url(&url);
                let rec = WebRecord {
                    ts_ms: h.ts_ns.div_euclid(1_000_000),
                    client_ip: Some(m.ci.as_str().into()),
                    client_port: u16::try_from(m.cp).ok(),
                    method: Some(h.method.as_str().into()),
                    scheme: Some(parts.scheme.unwrap_or("http").into()),
                    host: Some(parts.host.unwrap_or(host).to_ascii_lowercase().into()),
                    port: parts.port.or(Some(port)),
                    path: parts.path.map(Into::into),
                    query: parts.query.map(Into::into),
                    url: Some(url.as_str().into()),
                    status: h.status,
                    server_ip: Some(m.si.as_str().into()),
                    bytes_up: h.request_body_len,
                    bytes_down: h.response_body_len,
                    content_type: h.response_content_type.as_deref().map(Into::into),
                    referer: h.referer.as_deref().map(Into::into),
                    user_agent: h.user_agent.as_deref().map(Into::into),
                    ..Default::default()
                };
                let (fi, line) = (m.file_idx, m.line);
                self.push_web(&rec, fi, line);
            }
            self.http.append(&HttpRow {
                ts: h.ts_ns.div_euclid(1_000_000),
                flow_id: FlowIdText::new(h.flow_id).as_str(),
                client_ip: &m.ci,
                client_port: m.cp,
                server_ip: &m.si,
                server_port: m.sp,
                method: &h.method,
                host: h.host.as_deref(),
                uri: &h.uri,
                version,
                user_agent: h.user_agent.as_deref(),
                referer: h.referer.as_deref(),
                request_content_type: h.request_content_type.as_deref(),
                request_body_len: h.request_body_len.map(clamp),
                status: h.status.map(i32::from),
                response_content_type: h.response_content_type.as_deref(),
                server: h.server.as_deref(),
                location: h.location.as_deref(),
                response_body_len: h.response_body_len.map(clamp),
                input_id,
            });
        }
        for s in &out.ssh {
            let m = meta.get(&s.flow_id).unwrap_or(&unknown);
            self.ssh.append(&SshRow {
                ts: m.first_ms,
                flow_id: FlowIdText::new(s.flow_id).as_str(),
                client_ip: &m.ci,
                client_port: m.cp,
                server_ip: &m.si,
                server_port: m.sp,
                client_banner: s.client_banner.as_deref(),
                server_banner: s.server_banner.as_deref(),
                hassh: s.hassh.as_deref(),
                hassh_server: s.hassh_server.as_deref(),
                hassh_string: s.hassh_string.as_deref(),
                hassh_server_string: s.hassh_server_string.as_deref(),
                input_id: input_of(m, &self.files),
            });
        }
        self.flush()
    }
}

fn clamp(v: u64) -> i64 {
    v.min(i64::MAX as u64) as i64
}

/// Reads the group's capture files in order through `engine`, filling each
/// file's counters, and hands the engine's finished records to `emit`
/// every [`DRAIN_EVERY`] packets and at the end. With `read_ahead`, each
/// file is read and hashed on a thread of its own ([`ReadAhead`]).
fn read_group(
    files: &mut [FileState],
    engine: &mut Engine,
    drain_every: u64,
    read_ahead: bool,
    sink: &dyn ProgressSink,
    emit: &mut dyn FnMut(Drained) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    // Packet number (in its file) of each live flow's first packet, keyed
    // by that packet's (file index, offset) reference.
    let mut first_packet: HashMap<(u32, u64), u64> = HashMap::new();
    for idx in 0..files.len() {
        let tf = Instant::now();
        engine.set_file_index(idx as u32);
        let counter = Arc::new(AtomicU64::new(0));
        sink.started(&files[idx].display, Some(files[idx].size), counter.clone());
        let f = match std::fs::File::open(&files[idx].path) {
            Ok(f) => f,
            Err(e) => {
                files[idx].message = Some(format!("cannot open: {e}"));
                continue;
            }
        };
        let (hashed, slot) = hashing(f, counter);
        // With a second core, reading and hashing overlap with decoding.
        let src: Box<dyn Read + Send> = if read_ahead {
            match ReadAhead::spawn(hashed) {
                Ok(r) => Box::new(r),
                Err(e) => {
                    files[idx].message = Some(format!("cannot start a reading thread: {e}"));
                    continue;
                }
            }
        } else {
            Box::new(hashed)
        };
        let mut reader = match CaptureReader::with_config(src, &files[idx].path, ReaderConfig::default()) {
            Ok(r) => r,
            Err(e) => {
                files[idx].message = Some(format!("unreadable capture: {e}"));
                continue;
            }
        };
        let fs = &mut files[idx];
        fs.format = match reader.format() {
            kensa_pcap::CaptureFormat::PcapNg => "pcapng".into(),
            _ => "pcap".into(),
        };
        fs.compression = match reader.compression() {
            kensa_pcap::Compression::Gzip => "gzip",
            kensa_pcap::Compression::Zstd => "zstd",
            _ => "none",
        };
        let mut not_ip_before = engine.stats().decode.not_ip;
        let mut last_link = None;
        loop {
            let p: Packet<'_> = match reader.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => break,
                Err(e) => {
                    fs.message = Some(format!("capture ended early after packet {}: {e}", fs.packets));
                    break;
                }
            };
            fs.packets += 1;
            let n = fs.packets;
            let ms = p.ts_ns.div_euclid(1_000_000);
            fs.first_ts = Some(fs.first_ts.map_or(ms, |t| t.min(ms)));
            fs.last_ts = Some(fs.last_ts.map_or(ms, |t| t.max(ms)));
            if last_link != Some(p.link_type) {
                fs.link_types.insert(p.link_type);
                last_link = Some(p.link_type);
            }
            let before = problems(engine.stats());
            let created = engine.stats().flows_created;
            engine.process(&p);
            let st = engine.stats();
            if st.flows_created > created {
                first_packet.insert((idx as u32, p.file_offset), n);
            }
            let after = problems(st);
            for (b, a) in before.iter().zip(after.iter()) {
                if a.1 > b.1 {
                    let text = format!(
                        "offset {} caplen {} origlen {} link type {}",
                        p.file_offset, p.caplen, p.origlen, p.link_type
                    );
                    fs.reject(a.1 - b.1, n, a.0, format!("packet {n}: {}", detail_of(a.0)), text);
                }
            }
            if st.decode.not_ip > not_ip_before {
                fs.skipped += st.decode.not_ip - not_ip_before;
                not_ip_before = st.decode.not_ip;
            }
            if n % drain_every == 0 {
                // Rows of finished flows go out now: memory stays bounded by
                // the live flows, not by the capture.
                let out = engine.drain_output();
                let lines = resolve_lines(&mut first_packet, &out.flows);
                let live_lines = out.live.iter().map(|l| l.first_ref.and_then(|r| first_packet.get(&r).copied())).collect();
                emit(Drained { out, lines, live_lines })?;
            }
        }
        let rs = reader.stats().clone();
        let next = fs.packets + 1;
        for (reason, n, detail) in [
            ("truncated_tail", rs.truncated_tail, "the capture ends in the middle of a packet record (file cut short)"),
            ("malformed_block", rs.malformed_blocks, "a malformed pcapng block was skipped"),
            ("corrupt_stop", rs.corrupt_stop, "reading stopped at a corrupt record header (absurd length)"),
            ("caplen_over_origlen", rs.caplen_over_origlen, "record caplen exceeds origlen (kept)"),
            ("unknown_interface", rs.unknown_interface, "packet names an interface the file never described; skipped"),
        ] {
            fs.reject(n, next, reason, format!("after packet {}: {detail}", next - 1), String::new());
        }
        fs.stats = serde_json::json!({ "reader": rs });
        drop(reader);
        fs.content_hash = slot.lock().ok().and_then(|s| s.clone()).unwrap_or_default();
        fs.seconds = tf.elapsed().as_secs_f64();
    }
    let out = engine.finish();
    let lines = resolve_lines(&mut first_packet, &out.flows);
    emit(Drained { out, lines, live_lines: Vec::new() })
}

/// Writes each writer's last batch, if any, and closes it; the staged parts.
fn finish_all(
    writers: Vec<(PartitionedWriter, Option<RecordBatch>)>,
) -> Result<Vec<kensa_store::case::StagedPart>, StoreError> {
    let mut parts = Vec::new();
    for (mut w, last) in writers {
        if let Some(b) = last {
            w.write(&b)?;
        }
        parts.extend(w.finish()?);
    }
    Ok(parts)
}

/// Splits `items` into two lists of about equal total `work`: largest
/// first, each to the lighter list (the greedy rule; within the largest
/// item of the optimum).
fn split_by_work<T>(mut items: Vec<T>, work: impl Fn(&T) -> usize) -> [Vec<T>; 2] {
    items.sort_by_key(|x| std::cmp::Reverse(work(x)));
    let mut lists: [Vec<T>; 2] = [Vec::new(), Vec::new()];
    let mut load = [0usize; 2];
    for x in items {
        let i = usize::from(load[1] < load[0]);
        load[i] += work(&x);
        lists[i].push(x);
    }
    lists
}

/// A writer's share of the closing work: its last batch's rows plus a fixed
/// share for compressing its last pages and writing its footer.
fn closing_work(w: &(PartitionedWriter, Option<RecordBatch>)) -> usize {
    const CLOSE_ROWS: usize = 4096;
    CLOSE_ROWS + w.1.as_ref().map_or(0, RecordBatch::num_rows)
}

struct Candidate {
    path: PathBuf,
    display: String,
    quick: String,
    size: u64,
    first_ts: Option<i64>,
}

/// Ingests the capture files `paths` as one group (see the module docs),
/// draining the engine every `drain_every` packets ([`DRAIN_EVERY`]; tests
/// drain after every packet to prove the rows do not depend on it).
pub(crate) fn ingest_captures(
    case: &mut Case,
    run_id: i64,
    paths: &[PathBuf],
    opts: &IngestOptions,
    sink: &dyn ProgressSink,
    out: &mut Vec<InputOutcome>,
    drain_every: u64,
) -> Result<(), StoreError> {
    let drain_every = drain_every.max(1);
    let t0 = Instant::now();
    fix_mmap_threshold();
    let mut cands: Vec<Candidate> = Vec::new();
    let mut seen_quick = BTreeSet::new();
    for p in paths {
        let display = p.display().to_string();
        let (quick, size) = match quick_hash(p) {
            Ok(x) => x,
            Err(e) => {
                let mut o = InputOutcome::new(display);
                o.message = Some(format!("cannot read: {e}"));
                sink.finished(&o);
                out.push(o);
                continue;
            }
        };
        if let Some(id) = case.done_by_quick_hash(&quick)? {
            let mut o = InputOutcome::new(display);
            o.status = "already_ingested";
            o.input_id = Some(id);
            o.format = Some("pcap".into());
            o.message = Some(format!("same content as input {id}, already in the case"));
            sink.finished(&o);
            out.push(o);
            continue;
        }
        if !seen_quick.insert(quick.clone()) {
            let mut o = InputOutcome::new(display);
            o.status = "duplicate";
            o.message = Some("same content as another capture of this ingest".into());
            sink.finished(&o);
            out.push(o);
            continue;
        }
        // The first packet's time orders rotated captures.
        let first_ts = match CaptureReader::open(p) {
            Ok(mut r) => match r.next_packet() {
                Ok(Some(pk)) => Some(pk.ts_ns),
                _ => None,
            },
            Err(e) => {
                let mut o = InputOutcome::new(display);
                o.format = Some("pcap".into());
                o.message = Some(format!("unreadable capture: {e}"));
                sink.finished(&o);
                out.push(o);
                continue;
            }
        };
        cands.push(Candidate { path: p.clone(), display, quick, size, first_ts });
    }
    if cands.is_empty() {
        return Ok(());
    }
    cands.sort_by(|a, b| (a.first_ts.is_none(), a.first_ts, &a.path).cmp(&(b.first_ts.is_none(), b.first_ts, &b.path)));
    let token = format!("cap-{}-{}", std::process::id(), crate::chrono_like_now());
    let staging = case.new_staging_dir(&token)?;
    let mut files: Vec<FileState> = Vec::with_capacity(cands.len());
    for c in &cands {
        let id = case.begin_input(run_id, &c.display, Some(c.size), &c.quick, &staging)?;
        let abs = std::fs::canonicalize(&c.path).unwrap_or_else(|_| c.path.clone());
        files.push(FileState {
            display: c.display.clone(),
            path: abs,
            input_id: id,
            size: c.size,
            quick: c.quick.clone(),
            packets: 0,
            first_ts: None,
            last_ts: None,
            rejected: 0,
            skipped: 0,
            counts: BTreeMap::new(),
            samples: Vec::new(),
            per_reason: BTreeMap::new(),
            link_types: BTreeSet::new(),
            stats: serde_json::Value::Null,
            content_hash: String::new(),
            format: "pcap".into(),
            compression: "none",
            message: None,
            seconds: 0.0,
        });
    }
    let mut engine = Engine::new(EngineConfig::default());
    let mut rows = Sink {
        staging: staging.clone(),
        prefix: format!("cap-{}", files[0].input_id),
        writers: HashMap::new(),
        flows: FlowsBuilder::default(),
        packets: FlowPacketsBuilder::default(),
        dns: DnsBuilder::default(),
        tls: TlsBuilder::default(),
        http: HttpBuilder::default(),
        ssh: SshBuilder::default(),
        quic: QuicBuilder::default(),
        web: WebBatchBuilder::with_capacity(1024),
        web_rows: 0,
        flows_per_file: vec![0u64; files.len()],
        files: files.iter().map(|f| (f.display.clone(), f.input_id)).collect(),
        mail: BTreeMap::new(),
        early_names: HashMap::new(),
        include_mail: opts.include_mail,
        opts,
    };
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    let last: Vec<(&'static str, RecordBatch)>;
    if threads > 1 {
        // Two stages: this thread reads, decodes and tracks flows; the sink
        // thread builds Arrow batches and encodes Parquet. The channel is
        // bounded, so a slow sink stalls the reader instead of queueing
        // drained records without limit.
        (rows, last) = std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Drained>(PIPELINE_DEPTH);
            let worker = scope.spawn(move || {
                for d in rx {
                    rows.take(d)?;
                }
                // The last rows are encoded below, with the writers' closing.
                let last = rows.due_batches(true)?;
                Ok::<_, StoreError>((rows, last))
            });
            let read = read_group(&mut files, &mut engine, drain_every, true, sink, &mut |d| {
                // A closed channel means the sink failed; its error is
                // the one reported (below).
                tx.send(d).map_err(|_| StoreError::Corrupt("capture sink stopped".into()))
            });
            drop(tx);
            let rows = match worker.join() {
                Ok(r) => r?,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            read.map(|()| rows)
        })?;
    } else {
        read_group(&mut files, &mut engine, drain_every, false, sink, &mut |d| rows.take(d))?;
        last = rows.due_batches(true)?;
    }
    let engine_stats = engine.stats().clone();
    // Encoding the last rows of each table, compressing its last pages and
    // writing its footers: the one stretch of a capture ingest that nothing
    // else overlaps, so with two threads it runs on two, split by work.
    let mut last: HashMap<&str, RecordBatch> = last.into_iter().collect();
    let mut writers: Vec<(PartitionedWriter, Option<RecordBatch>)> =
        rows.writers.drain().map(|(table, w)| (w, last.remove(table))).collect();
    let mut parts = Vec::new();
    if threads > 1 && writers.len() > 1 {
        let [mine, other] = split_by_work(std::mem::take(&mut writers), closing_work);
        let (a, b) = std::thread::scope(|scope| {
            let other = scope.spawn(move || finish_all(other));
            let mine = finish_all(mine);
            (mine, other.join())
        });
        parts.extend(a?);
        match b {
            Ok(b) => parts.extend(b?),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    } else {
        parts.extend(finish_all(writers)?);
    }
    let flows_per_file = std::mem::take(&mut rows.flows_per_file);
    let web_rows = rows.web_rows;
    let mail: Vec<MailRow> = rows
        .mail
        .iter()
        .map(|((p, c, sv, port), (n, b))| MailRow { mail_proto: p.clone(), client_ip: c.clone(), server_ip: sv.clone(), server_port: *port, flows: *n, bytes: *b })
        .collect();
    drop(rows);
    let mut commit: Vec<CaptureFile> = Vec::with_capacity(files.len());
    for (i, fs) in files.iter().enumerate() {
        let res = InputResult {
            content_hash: if fs.content_hash.is_empty() { format!("unread-{}", fs.quick) } else { fs.content_hash.clone() },
            text_hash: None,
            format: Some(fs.format.clone()),
            sniff_confidence: Some(100),
            rows: flows_per_file[i],
            rejected: fs.rejected,
            first_ts: fs.first_ts,
            last_ts: fs.last_ts,
            reject_counts: fs.counts.clone(),
            reject_samples: fs.samples.clone(),
            parts: if i == 0 { parts.clone() } else { Vec::new() },
        };
        let link_types: Vec<String> = fs.link_types.iter().map(|l| l.to_string()).collect();
        commit.push(CaptureFile {
            input_id: fs.input_id,
            path: fs.path.display().to_string(),
            packets: fs.packets,
            link_types: link_types.join(","),
            stats: fs.stats.to_string(),
            result: res,
        });
    }
    case.commit_capture_group(&commit, &mail)?;
    for (i, fs) in files.iter().enumerate() {
        if let Some(m) = &fs.message {
            case.db().execute("UPDATE inputs SET error=?2 WHERE id=?1", (fs.input_id, m.as_str()))?;
        }
        let mut o = InputOutcome::new(fs.display.clone());
        o.status = if fs.packets == 0 { "empty" } else { "ingested" };
        o.input_id = Some(fs.input_id);
        o.format = Some(fs.format.clone());
        o.sniffed = true;
        o.confidence = Some(100);
        o.compression = fs.compression;
        o.bytes = fs.size;
        o.rows = flows_per_file[i];
        o.rejected = fs.rejected;
        o.skipped = fs.skipped;
        o.reject_counts = fs.counts.clone();
        o.message = fs.message.clone();
        o.seconds = fs.seconds;
        o.packets = Some(fs.packets);
        if i == 0 {
            o.capture_group = Some(CaptureGroupSummary {
                files: files.len(),
                packets: engine_stats.packets,
                flows: flows_per_file.iter().sum(),
                web_rows,
                mail_flows: mail.iter().map(|m| m.flows).sum(),
                mail: mail.clone(),
                include_mail: opts.include_mail,
                engine: serde_json::to_value(&engine_stats).unwrap_or_default(),
                seconds: t0.elapsed().as_secs_f64(),
            });
        }
        sink.finished(&o);
        out.push(o);
    }
    let _ = std::fs::remove_dir_all(&staging);
    Ok(())
}

/// What one group of captures produced (on the first file's outcome).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaptureGroupSummary {
    /// Capture files read as one group.
    pub files: usize,
    /// Packets read.
    pub packets: u64,
    /// Flow records written.
    pub flows: u64,
    /// `web_requests` rows derived from HTTP/TLS/QUIC.
    pub web_rows: u64,
    /// Mail flows (listed in `mail`, kept out of `web_requests` and analysis).
    pub mail_flows: u64,
    /// Mail traffic by protocol, client and server.
    pub mail: Vec<MailRow>,
    /// Mail was included in `web_requests` (`--include-mail`).
    pub include_mail: bool,
    /// The flow engine's counters.
    pub engine: serde_json::Value,
    /// Seconds for the whole group.
    pub seconds: f64,
}

/// Whether `path` is a capture file: its (decompressed) first bytes are a
/// pcap or pcapng magic. Unreadable files are not captures (the log path
/// reports them).
pub fn is_capture_file(path: &Path) -> bool {
    let Ok(f) = std::fs::File::open(path) else { return false };
    use std::io::BufRead as _;
    let Ok((mut rd, _)) = crate::source::decompress(f) else { return false };
    match rd.fill_buf() {
        Ok(h) => crate::source::is_pcap(h),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_work_is_split_evenly_and_nothing_is_lost() {
        let items = vec![65_536usize, 4_096, 30_000, 4_096, 20_000, 4_096, 12_000];
        let [a, b] = split_by_work(items.clone(), |&w| w);
        let mut all: Vec<usize> = a.iter().chain(&b).copied().collect();
        all.sort_unstable();
        let mut want = items;
        want.sort_unstable();
        assert_eq!(all, want, "every writer is closed, once");
        let (sa, sb) = (a.iter().sum::<usize>(), b.iter().sum::<usize>());
        assert_eq!((sa, sb), (69_632, 70_192));
        let [c, d] = split_by_work(vec![3usize, 2, 4, 3], |&w| w);
        assert_eq!((c, d), (vec![4, 2], vec![3, 3]));
        let [e, f] = split_by_work(Vec::<usize>::new(), |&w| w);
        assert!(e.is_empty() && f.is_empty());
    }

    /// The capture files of one corpus category (`../shared/corpus` from the
    /// repository root, or `KENSA_CORPUS`), if the corpus is there.
    fn corpus_captures(category: &str) -> Option<Vec<PathBuf>> {
        let root = std::env::var_os("KENSA_CORPUS")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
        let mut v: Vec<PathBuf> = std::fs::read_dir(root.join("pcap").join(category))
            .ok()?
            .flatten()
            .map(|e| e.path())
            // Some corpus entries named `*.pcap` are directories (Zeek's test layout).
            .filter(|p| p.is_file() && matches!(p.extension().and_then(|x| x.to_str()), Some("pcap" | "pcapng")))
            .collect();
        v.sort();
        (!v.is_empty()).then_some(v)
    }

    /// Ingests `caps` as one group with `threads` and returns the rows
    /// written per table.
    fn rows_per_table(threads: usize, caps: &[PathBuf]) -> Vec<(String, i64)> {
        let dir = tempfile::tempdir().unwrap();
        let case = ingest_into(dir.path(), threads, caps, DRAIN_EVERY);
        rows_of(&case)
    }

    fn ingest_into(dir: &Path, threads: usize, caps: &[PathBuf], drain_every: u64) -> Case {
        let (mut case, _) = Case::open(dir, true).unwrap();
        let run = case.begin_run("test").unwrap();
        let opts = IngestOptions { threads, ..Default::default() };
        let mut out = Vec::new();
        ingest_captures(&mut case, run, caps, &opts, &crate::NoProgress, &mut out, drain_every).unwrap();
        // The corpus holds byte-identical copies of some captures ("duplicate").
        for o in &out {
            assert!(matches!(o.status, "ingested" | "empty" | "duplicate"), "{}: {} {:?}", o.path, o.status, o.message);
        }
        case
    }

    fn rows_of(case: &Case) -> Vec<(String, i64)> {
        let mut st = case.db().prepare("SELECT table_name, SUM(rows) FROM parts GROUP BY table_name ORDER BY table_name").unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    }

    /// Every value of the string columns `cols` of `table`, one sorted line per row.
    fn dump(case: &Case, table: &str, cols: &[&str]) -> Vec<String> {
        use kensa_store::arrow::array::{Array, AsArray};
        let mut rows = Vec::new();
        kensa_store::scan::scan(case, table, |b| {
            let arrays: Vec<_> = cols.iter().map(|c| b.column_by_name(c).unwrap_or_else(|| panic!("{table}.{c}")).clone()).collect();
            for i in 0..b.num_rows() {
                let vals: Vec<String> = arrays
                    .iter()
                    .map(|a| match a.as_string_opt::<i32>() {
                        Some(s) if !s.is_null(i) => s.value(i).to_string(),
                        Some(_) => "∅".into(),
                        None => kensa_store::arrow::util::display::array_value_to_string(a, i).unwrap_or_default(),
                    })
                    .collect();
                rows.push(vals.join("|"));
            }
            Ok(())
        })
        .unwrap();
        rows.sort();
        rows
    }

    /// DNS and HTTP records are emitted as they are parsed, their flow only
    /// when it ends, so a drain often holds records of flows still open.
    /// They must get their endpoints (and HTTP its web row) all the same: the
    /// case must not depend on where the drains fall. Draining after every
    /// packet is the harshest case; a DNS tunnel is one long UDP flow.
    #[test]
    fn rows_do_not_depend_on_where_the_engine_is_drained() {
        let mut caps = Vec::new();
        for cat in ["dns_tunnel_exfil", "http", "quic"] {
            match corpus_captures(cat) {
                Some(v) => caps.extend(v),
                None if std::env::var_os("CI").is_some() => panic!("corpus category {cat} not found (CI is set)"),
                None => {
                    eprintln!("note: corpus not found; skipping");
                    return;
                }
            }
        }
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let whole = ingest_into(a.path(), 1, &caps, u64::MAX);
        let each = ingest_into(b.path(), 2, &caps, 1);
        assert_eq!(rows_of(&whole), rows_of(&each));
        let dns_cols = ["flow_id", "client_ip", "server_ip", "query", "transport", "input_id", "client_port", "server_port"];
        let dns = dump(&whole, pt::DNS, &dns_cols);
        assert!(dns.len() > 500, "{} DNS rows", dns.len());
        assert!(dns == dump(&each, pt::DNS, &dns_cols), "DNS rows differ by drain interval");
        let web_cols = ["url", "client_ip", "server_ip", "source_line", "user_agent", "bytes_up", "bytes_down", "duration_ms"];
        let web = dump(&whole, WEB_REQUESTS, &web_cols);
        assert!(web.iter().any(|r| r.starts_with("http://")) && web.iter().any(|r| r.starts_with("https://")), "web rows from HTTP and QUIC");
        assert!(web == dump(&each, WEB_REQUESTS, &web_cols), "web rows differ by drain interval");
        let flow_cols = ["flow_id", "server_name", "app_proto", "client_ip", "server_ip", "first_packet"];
        let flows = dump(&whole, pt::FLOWS, &flow_cols);
        assert!(flows.iter().any(|r| r.split('|').nth(2) == Some("http") && r.split('|').nth(1) != Some("∅")), "named HTTP flows");
        assert!(flows == dump(&each, pt::FLOWS, &flow_cols), "flow rows differ by drain interval");
        let quic_cols = ["flow_id", "client_ip", "server_ip", "ja4"];
        assert!(dump(&whole, pt::QUIC, &quic_cols) == dump(&each, pt::QUIC, &quic_cols), "QUIC rows differ by drain interval");
        // Every DNS row has its endpoints.
        assert!(dns.iter().all(|r| !r.split('|').nth(1).unwrap_or("").is_empty()), "a DNS row without its client address");
    }

    #[test]
    fn pipelined_ingest_writes_what_single_threaded_ingest_writes() {
        let Some(caps) = corpus_captures("tls_sni_ja3_ja4") else {
            eprintln!("note: corpus not found; skipping");
            return;
        };
        let one = rows_per_table(1, &caps);
        assert!(one.iter().any(|(t, n)| t == pt::FLOWS && *n > 0), "{one:?}");
        assert!(one.iter().any(|(t, n)| t == pt::TLS && *n > 0), "{one:?}");
        assert_eq!(one, rows_per_table(2, &caps));
    }

    #[test]
    fn flow_id_text_is_sixteen_hex_digits() {
        assert_eq!(flow_id_text(0), "0000000000000000");
        assert_eq!(flow_id_text(0x0123_4567_89ab_cdef), "0123456789abcdef");
        assert_eq!(FlowIdText::new(u64::MAX).as_str(), format!("{:016x}", u64::MAX));
    }
}
