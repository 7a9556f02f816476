//! # kensa-synth
//!
//! A deterministic generator of a realistic **synthetic week of web-proxy
//! logs**, rendered into every proxy format kensa reads, with **planted
//! threats** and a machine-readable **ground truth**. It feeds the README's
//! demo data, tests, the detection evaluation (recall per beacon-grid cell,
//! precision@k) and benchmarks (multi-GB files via [`write_bulk`]).
//!
//! Same seed and config → same bytes, on every platform (the PRNG is fixed,
//! see `rng.rs`).
//!
//! ## The world
//! * **Hosts**: N machines in RFC 1918 ranges (`10.<20+dept>.x.y` for
//!   workstations, `172.16.10.x` for servers), host names like
//!   `PC-EIGYO-0123` / `NB-KAIHATSU-0145` / `SRV-FILE01`, users like
//!   `yamada.taro` or `CORP\suzuki` (servers have none), one primary browser
//!   User-Agent per workstation, departments (`eigyo`, `kaihatsu`, …).
//! * **Rhythm** (Asia/Tokyo, UTC+9): arrival 8–10 h, a lunch dip at 12 h,
//!   departure 17:30 plus per-person overtime, weekends mostly idle (a few
//!   people on Saturday), some desktops left on overnight, laptops off.
//! * **Browsing**: sessions to ~50 popular Japanese and global sites (page +
//!   a burst of sub-resources with referers: own assets, CDNs, analytics and
//!   ad trackers — including benign `/__utm.gif`, `/ga.js`, `/en_US/all.js`,
//!   `/pixel.gif` that share Cobalt Strike's default URIs), OCSP checks,
//!   video streaming, a long tail of generated small-business / blog domains
//!   (`sakura-koumuten.co.jp`, `hikari-dental.jp`, `….hatenablog.com`) each
//!   seen by one or two hosts, and attempts at blocked categories.
//! * **Cloud services**: Microsoft 365 (Outlook, SharePoint, OneDrive,
//!   Teams), Box, Slack, Zoom, Salesforce, Chatwork (sanctioned), and Google
//!   Workspace, Google Drive, Dropbox, LINE, Yahoo!メール, GigaFile便,
//!   firestorage, ChatGPT (personal / ad-hoc) with normal-sized uploads —
//!   sales staff send 10–100 MB files through GigaFile便 in equal chunks.
//! * **Background software** on many hosts: Windows Update, Defender
//!   definitions (`go.microsoft.com/fwlink`) and cloud lookups, NCSI
//!   connectivity checks, Chrome/Edge updaters, Office telemetry, Teams
//!   presence, OneDrive, Trend Micro URL lookups and patterns, CRL fetches; on
//!   servers a monitoring agent posting **every 60 s exactly**, apt, OCSP and
//!   a **nightly backup** of equal 4 MiB blocks to Azure Blob storage.
//! * **Benign look-alikes** of the planted signals: Teams websockets held
//!   open for hours and Teams call media relays reached by **raw IP**
//!   (`52.112.0.0/14`), Zoom meetings moving hundreds of MB, an IT team's
//!   partner SSL-VPN on port **10443**, random-looking CloudFront names,
//!   dead links that **fail DNS**, the nightly equal-chunk backup, and the
//!   exact 60 s monitoring agent.
//! * **Proxy authentication**: every new connection of an authenticated user
//!   first gets a `407`, then the retry carries the user; background agents
//!   run auth-exempt (no user).
//! * **TLS inspection** (default on): HTTPS requests appear decrypted with
//!   full URLs, except finance/government sites, which stay `CONNECT`
//!   tunnels; with inspection off every HTTPS session is one `CONNECT` row.
//!
//! ## Planted threats (see [`ThreatKind`])
//! Beacons over HTTP and CONNECT (raw IP, DGA-like and look-alike domains,
//! scripting UAs, office-hours-only vs 24x7, a mid-week sleep change, two
//! beacons on one host, and with [`SynthConfig::beacon_grid`] a 6 × 5 grid of
//! period 30 s–4 h × jitter 0–90 % with 0–30 % missed callbacks), a Cobalt
//! Strike default-profile beacon with `/submit.php?id=` and a checksum8
//! stager, chunked night-time exfiltration to a rare domain, uploads far
//! above normal to Dropbox / Google Drive / MEGA / GigaFile便 / pastebin /
//! ChatGPT / Yahoo!メール, a DGA burst of DNS failures, a 407 storm,
//! CONNECT to raw IPs and ports 22 / 4444, hours-long tunnels, an `.exe`
//! served as `image/gif`, and hits on destinations listed in `iocs.txt`.
//!
//! ## Ground truth → detectors
//! `ground_truth.json` ([`GroundTruth`]) lists every item with a stable id,
//! kind, source (IP, host, user), destination, first/last time, event count,
//! bytes, parameters and ATT&CK ids, plus `detectors`, the kensa detector
//! families expected to fire:
//! `beacon` (periodicity), `rare_destination` (few hosts, new), `dga`
//! (random names, DNS failures), `exfil_volume` (bytes up, chunking, night),
//! `leak_risk` (cloud/paste/gen-AI/webmail uploads), `proxy_signals` (407
//! storms, raw-IP / non-443 CONNECT, long tunnels), `c2_traits` (Cobalt
//! Strike URIs, checksum8, scripting UAs, type mismatch) and `intel`
//! (`iocs.txt`).
//!
//! ## Format choices (where the notes in `shared/formats` leave room)
//! * Every file is ordered by the time the proxy writes the line (end of
//!   the transaction); i-FILTER also carries the start time.
//! * Squid: `strip_query_terms on` (query dropped, `?` kept), `%mt` without
//!   parameters, `%[un` escaping (`CORP\suzuki` → `CORP%5Csuzuki`), DNS
//!   failures as `TCP_MISS/503 … HIER_NONE/-`, 407 and policy blocks as
//!   `TCP_DENIED`, decrypted HTTPS as `https://` URLs (ssl-bump).
//! * ProxySG: the `main` field order, UTC, categories always quoted,
//!   `TCP_DENIED`+`authentication_failed` for 407, `TCP_ERR_MISS`+
//!   `dns_unresolved_hostname` for DNS failures, CONNECT as scheme `tcp`.
//! * i-FILTER: action `pass`/`block`, block page `503`, 407 as `block` with
//!   reason 90, DNS failure as `502 … pass` with no destination (assumption:
//!   undocumented), syslog-style output day space-padded (`Dec  2`),
//!   category numbers stable but not the vendor's table.
//!
//! ## Output layout
//! `generate` writes under the output directory: `squid/access.log`
//! (native), `squid/access_combined.log`, `squid/access_common.log`,
//! `proxysg/SG_main.log`, `ifilter/access.log0001` (each optionally `.gz`),
//! `ground_truth.json` and `iocs.txt` (one domain, IP or URL per line, `#`
//! comments).
//!
//! ## Entry points
//! * [`generate`]`(&SynthConfig, out_dir)` → [`SynthSummary`]: the files.
//! * [`Week::build`] then [`Week::render`] / [`Week::ground_truth`] /
//!   [`Week::iocs_text`]: the same week in memory (tests, evaluation).
//! * [`write_bulk`]`(format, target_bytes, seed, writer)` and
//!   [`write_bulk_with`]: fast streaming for benchmark files.
//!
//! ```
//! use kensa_synth::{SynthConfig, SynthFormat, Week};
//!
//! let cfg = SynthConfig { hosts: 12, days: 2, formats: vec![SynthFormat::SquidNative], ..SynthConfig::default() };
//! let week = Week::build(&cfg).unwrap();
//! let mut out = Vec::new();
//! week.render(SynthFormat::SquidNative, &mut out).unwrap();
//! let text = String::from_utf8(out).unwrap();
//! assert!(text.lines().count() > 1000);
//! assert!(week.ground_truth().items.iter().any(|t| t.kind == kensa_synth::ThreatKind::Beacon));
//! ```
#![deny(missing_docs)]

mod benign;
mod catalog;
mod event;
pub mod pcap;
mod render;
mod rng;
mod threats;
mod truth;
mod world;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use render::{PROXYSG_MAIN_FIELDS, SynthFormat};
pub use threats::{CS_DEFAULT_URIS, is_checksum8_uri};
pub use truth::{
    GROUND_TRUTH_VERSION, GroundTruth, Schedule, ThreatItem, ThreatKind, ThreatParams,
};

use benign::{DAY, Gen, GenParams};
use event::{Event, NO_THREAT};
use render::Renderer;
use world::World;

/// What to generate. `Default` gives a small week: 50 hosts, 7 days from
/// Monday 2026-11-16 (UTC), all formats, threats on, no beacon grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SynthConfig {
    /// PRNG seed; the same seed and config give the same bytes.
    pub seed: u64,
    /// Number of internal hosts (about 1 in 20 is a server, at least 2).
    pub hosts: usize,
    /// Length of the period in days (1..=366).
    pub days: u32,
    /// First day (UTC). The period is `[start 00:00Z, start + days)`;
    /// 00:00Z is 09:00 in Tokyo.
    pub start: NaiveDate,
    /// Formats to write.
    pub formats: Vec<SynthFormat>,
    /// Plant threats (and write `ground_truth.json` / `iocs.txt`).
    pub threats: bool,
    /// Also plant the 30-beacon evaluation grid (period × jitter).
    pub beacon_grid: bool,
    /// Mean browsing requests per workstation per working hour.
    pub scale: f64,
    /// Gzip the log files (`.gz` appended to the names).
    pub compress: bool,
    /// Decrypt HTTPS (full `https://` URLs) instead of showing tunnels.
    pub tls_inspection: bool,
    /// Proxy authentication in use (407 then retry with a user).
    pub proxy_auth: bool,
    /// Squid's default `strip_query_terms on`: drop the query, keep `?`.
    pub squid_strip_query: bool,
}

impl Default for SynthConfig {
    fn default() -> SynthConfig {
        SynthConfig {
            seed: 20_261_116,
            hosts: 50,
            days: 7,
            start: NaiveDate::from_ymd_opt(2026, 11, 16).unwrap_or_default(),
            formats: SynthFormat::ALL.to_vec(),
            threats: true,
            beacon_grid: false,
            // Low on purpose: the default week is demo data of a few MB.
            scale: 15.0,
            compress: false,
            tls_inspection: true,
            proxy_auth: true,
            squid_strip_query: true,
        }
    }
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SynthError {
    /// A config value out of range.
    #[error("invalid synth config: {0}")]
    Config(String),
    /// Writing a file failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// Writing to a caller's writer failed.
    #[error("write failed: {0}")]
    Write(#[from] io::Error),
}

/// One file written by [`generate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynthFile {
    /// Path of the file.
    pub path: PathBuf,
    /// The log format, `None` for `ground_truth.json` / `iocs.txt`.
    pub format: Option<SynthFormat>,
    /// Data lines (log records; IOC entries; 1 for the JSON).
    pub records: u64,
    /// Bytes written (compressed size when gzipped).
    pub bytes: u64,
}

/// What [`generate`] did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynthSummary {
    /// Every file written.
    pub files: Vec<SynthFile>,
    /// Events in the week (= records per log file).
    pub events: u64,
    /// Planted items in the ground truth.
    pub threats: usize,
    /// Events that belong to planted items.
    pub threat_events: u64,
}

/// A generated week held in memory: render it, read its ground truth.
pub struct Week {
    cfg: SynthConfig,
    world: World,
    events: Vec<Event>,
    truth: GroundTruth,
    iocs: Vec<String>,
}

impl std::fmt::Debug for Week {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Week")
            .field("events", &self.events.len())
            .field("items", &self.truth.items.len())
            .finish()
    }
}

fn validate(cfg: &SynthConfig) -> Result<(i64, i64), SynthError> {
    if cfg.hosts == 0 || cfg.hosts > 50_000 {
        return Err(SynthError::Config(format!(
            "hosts must be 1..=50000, got {}",
            cfg.hosts
        )));
    }
    if cfg.days == 0 || cfg.days > 366 {
        return Err(SynthError::Config(format!(
            "days must be 1..=366, got {}",
            cfg.days
        )));
    }
    if !(cfg.scale.is_finite() && (0.0..=2_000.0).contains(&cfg.scale)) {
        return Err(SynthError::Config(format!(
            "scale must be 0..=2000 requests/hour, got {}",
            cfg.scale
        )));
    }
    let t0 = cfg
        .start
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc().timestamp_millis())
        .unwrap_or(0);
    if !kensa_model::plausible_ts(t0) || !kensa_model::plausible_ts(t0 + i64::from(cfg.days) * DAY)
    {
        return Err(SynthError::Config(format!(
            "start {} is outside 2000..2100",
            cfg.start
        )));
    }
    Ok((t0, t0 + i64::from(cfg.days) * DAY))
}

impl Week {
    /// Generates the week described by `cfg` in memory.
    pub fn build(cfg: &SynthConfig) -> Result<Week, SynthError> {
        let (t0, t1) = validate(cfg)?;
        let mut world = World::new(cfg.seed, cfg.hosts);
        let plan = cfg.threats.then(|| {
            threats::plan(
                &mut world,
                cfg.seed,
                t0,
                t1,
                cfg.beacon_grid,
                cfg.proxy_auth,
            )
        });
        let params = GenParams {
            seed: cfg.seed,
            t0,
            t1,
            scale: cfg.scale,
            tls_inspection: cfg.tls_inspection,
            proxy_auth: cfg.proxy_auth,
        };
        let mut g = Gen::new(params, &mut world);
        g.benign();
        if let Some(plan) = &plan {
            threats::emit(plan, &mut g);
        }
        let mut events = std::mem::take(&mut g.events);
        events.retain(|e| e.start_ms >= t0 && e.end_ms() < t1);
        // Proxies write a line when a transaction ends: order by end time.
        events.sort_by_key(|e| (e.end_ms(), e.host, e.start_ms));
        let (items, iocs) = match plan {
            Some(plan) => {
                let mut items: Vec<ThreatItem> = plan.items.into_iter().map(|p| p.item).collect();
                for e in &events {
                    if e.threat != NO_THREAT {
                        let it = &mut items[e.threat as usize];
                        if it.events == 0 || e.start_ms < it.first_ms {
                            it.first_ms = e.start_ms;
                        }
                        it.last_ms = it.last_ms.max(e.end_ms());
                        it.events += 1;
                        it.bytes_up += e.up;
                        it.bytes_down += e.down;
                    }
                }
                for it in &mut items {
                    it.first_seen = truth::rfc3339(it.first_ms);
                    it.last_seen = truth::rfc3339(it.last_ms);
                }
                (items, plan.iocs)
            }
            None => (Vec::new(), Vec::new()),
        };
        // Items whose whole activity fell outside a short window are dropped
        // (ids stay stable for the rest).
        let items: Vec<ThreatItem> = items.into_iter().filter(|i| i.events > 0).collect();
        let truth = GroundTruth {
            schema_version: GROUND_TRUTH_VERSION,
            generator: format!("kensa-synth {}", env!("CARGO_PKG_VERSION")),
            seed: cfg.seed,
            start: truth::rfc3339(t0),
            end: truth::rfc3339(t1),
            start_ms: t0,
            end_ms: t1,
            timezone: "Asia/Tokyo".into(),
            hosts: cfg.hosts,
            events: events.len() as u64,
            items,
        };
        Ok(Week {
            cfg: cfg.clone(),
            world,
            events,
            truth,
            iocs,
        })
    }

    /// The ground truth of the planted items.
    pub fn ground_truth(&self) -> &GroundTruth {
        &self.truth
    }

    /// Number of events (= data lines of every rendered log).
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether the week has no events.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The IOC list (`iocs.txt` content without comments).
    pub fn iocs(&self) -> &[String] {
        &self.iocs
    }

    /// Writes the whole week in one format (header included), ordered by
    /// log time. Returns the number of data lines.
    pub fn render(&self, format: SynthFormat, w: &mut dyn Write) -> io::Result<u64> {
        let mut r = Renderer::new(format, &self.world, self.cfg.squid_strip_query);
        let first = self
            .events
            .first()
            .map(|e| e.end_ms())
            .unwrap_or(self.truth.start_ms);
        let mut buf = Vec::with_capacity(1 << 20);
        buf.extend_from_slice(r.header(first).as_bytes());
        for e in &self.events {
            r.line(e, 0, None, &mut buf);
            if buf.len() >= 1 << 20 {
                w.write_all(&buf)?;
                buf.clear();
            }
        }
        w.write_all(&buf)?;
        Ok(self.events.len() as u64)
    }

    /// The `iocs.txt` text.
    pub fn iocs_text(&self) -> String {
        let mut s = String::from(
            "# kensa-synth IOC list (synthetic). One domain, IPv4 address or URL per line.\n",
        );
        s.push_str(&format!(
            "# seed {} — some entries are contacted in the week, others are decoys.\n",
            self.cfg.seed
        ));
        for i in &self.iocs {
            s.push_str(i);
            s.push('\n');
        }
        // URL-form entries for the planted downloads, as feeds publish them.
        for it in &self.truth.items {
            if it.kind == ThreatKind::IntelHit && it.dest_host.parse::<std::net::Ipv4Addr>().is_ok()
            {
                for u in &it.params.uris {
                    s.push_str(&format!("http://{}{}\n", it.dest_host, u));
                }
            }
        }
        s
    }
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SynthError + '_ {
    move |source| SynthError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A writer that counts bytes.
struct Counting<W> {
    inner: W,
    n: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let k = self.inner.write(b)?;
        self.n += k as u64;
        Ok(k)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Generates the week described by `cfg` and writes the log files,
/// `ground_truth.json` and `iocs.txt` under `out_dir` (created if needed).
pub fn generate(cfg: &SynthConfig, out_dir: &Path) -> Result<SynthSummary, SynthError> {
    let week = Week::build(cfg)?;
    let mut files = Vec::new();
    for &f in &cfg.formats {
        let mut path = out_dir.join(f.file_name());
        if cfg.compress {
            path.as_mut_os_string().push(".gz");
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        let file = File::create(&path).map_err(io_err(&path))?;
        let mut counting = Counting {
            inner: BufWriter::new(file),
            n: 0,
        };
        let records = if cfg.compress {
            let mut gz = flate2::write::GzEncoder::new(&mut counting, flate2::Compression::fast());
            let n = week.render(f, &mut gz).map_err(io_err(&path))?;
            gz.finish().map_err(io_err(&path))?;
            n
        } else {
            week.render(f, &mut counting).map_err(io_err(&path))?
        };
        counting.flush().map_err(io_err(&path))?;
        files.push(SynthFile {
            path,
            format: Some(f),
            records,
            bytes: counting.n,
        });
    }
    if cfg.threats {
        std::fs::create_dir_all(out_dir).map_err(io_err(out_dir))?;
        let path = out_dir.join("ground_truth.json");
        let json = serde_json::to_string_pretty(&week.truth).map_err(|e| SynthError::Io {
            path: path.clone(),
            source: e.into(),
        })?;
        std::fs::write(&path, &json).map_err(io_err(&path))?;
        files.push(SynthFile {
            path,
            format: None,
            records: 1,
            bytes: json.len() as u64,
        });
        let path = out_dir.join("iocs.txt");
        let text = week.iocs_text();
        std::fs::write(&path, &text).map_err(io_err(&path))?;
        let n = text.lines().filter(|l| !l.starts_with('#')).count() as u64;
        files.push(SynthFile {
            path,
            format: None,
            records: n,
            bytes: text.len() as u64,
        });
    }
    let threat_events = week.events.iter().filter(|e| e.threat != NO_THREAT).count() as u64;
    Ok(SynthSummary {
        files,
        events: week.events.len() as u64,
        threats: week.truth.items.len(),
        threat_events,
    })
}

/// What [`write_bulk`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkStats {
    /// Data lines written.
    pub lines: u64,
    /// Bytes written (header included).
    pub bytes: u64,
    /// Replays of the base week begun (the last one may be partial).
    pub weeks: u64,
}

/// Streams at least `target_bytes` of realistic log lines in `format` to
/// `w`, for benchmarks. A 200-host week (threats and beacon grid included)
/// is generated once and replayed week after week: each replay moves the
/// time forward by one period and maps hosts onto a fresh address block
/// (`10.x.y.z`, a different /16 per replay), so the files keep the real
/// record mix, stay time-ordered and grow the host population. Stops at the
/// first line boundary at or past `target_bytes`.
pub fn write_bulk(
    format: SynthFormat,
    target_bytes: u64,
    seed: u64,
    w: &mut dyn Write,
) -> Result<BulkStats, SynthError> {
    let cfg = SynthConfig {
        seed,
        hosts: 200,
        days: 7,
        beacon_grid: true,
        scale: 40.0,
        formats: vec![format],
        ..SynthConfig::default()
    };
    write_bulk_with(&cfg, format, target_bytes, w)
}

/// [`write_bulk`] with a caller-chosen base week (`cfg.formats` is ignored).
pub fn write_bulk_with(
    cfg: &SynthConfig,
    format: SynthFormat,
    target_bytes: u64,
    w: &mut dyn Write,
) -> Result<BulkStats, SynthError> {
    let week = Week::build(cfg)?;
    let mut r = Renderer::new(format, &week.world, cfg.squid_strip_query);
    let first = week
        .events
        .first()
        .map(|e| e.end_ms())
        .unwrap_or(week.truth.start_ms);
    let mut buf = Vec::with_capacity(1 << 21);
    buf.extend_from_slice(r.header(first).as_bytes());
    let period = i64::from(cfg.days) * DAY;
    let mut stats = BulkStats {
        lines: 0,
        bytes: 0,
        weeks: 0,
    };
    let n_hosts = week.world.hosts.len();
    let mut clients: Vec<String> = Vec::with_capacity(n_hosts);
    if week.events.is_empty() {
        w.write_all(&buf)?;
        stats.bytes = buf.len() as u64;
        return Ok(stats);
    }
    'outer: for k in 0u64.. {
        stats.weeks = k + 1;
        clients.clear();
        for h in &week.world.hosts {
            if k == 0 {
                clients.push(h.ip_str.clone());
            } else {
                let o = h.ip.octets();
                // A fresh private /16 per replay: 10.(100 + k mod 150).x.y keeps the host part.
                clients.push(format!(
                    "10.{}.{}.{}",
                    100 + (k % 150),
                    o[2].wrapping_add((k / 150) as u8),
                    o[3]
                ));
            }
        }
        let shift = period * k as i64;
        for e in &week.events {
            r.line(e, shift, Some(&clients[e.host as usize]), &mut buf);
            stats.lines += 1;
            if buf.len() >= 1 << 20 {
                w.write_all(&buf)?;
                stats.bytes += buf.len() as u64;
                buf.clear();
                if stats.bytes >= target_bytes {
                    break 'outer;
                }
            }
            if stats.bytes + buf.len() as u64 >= target_bytes {
                break 'outer;
            }
        }
    }
    w.write_all(&buf)?;
    stats.bytes += buf.len() as u64;
    Ok(stats)
}
