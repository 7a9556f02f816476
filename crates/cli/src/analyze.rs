//! `kensa analyze` / `kensa findings`: feeds the case's `web_requests` rows
//! to every detector of `kensa-detect` and keeps the findings in the case.
//! Re-running replaces the findings; analysts' verdicts, keyed by the
//! stable finding key, survive.

use std::borrow::Cow;
use std::collections::HashMap;

use anyhow::{Context as _, Result};
use kensa_detect::{Context, DETECTORS, EventTable, Finding, FindingsDoc, IntelHit, IntelHow, Ioc, Locator, RowIn, Severity};
use kensa_model::WebRecord;
use kensa_store::Case;
use kensa_store::arrow::array::{Array, BooleanArray, Int32Array, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray};

/// What one analysis did.
#[derive(Debug, serde::Serialize)]
pub struct AnalyzeSummary {
    /// Rows read.
    pub rows: u64,
    /// Findings by severity.
    pub by_severity: std::collections::BTreeMap<String, usize>,
    /// Findings in all.
    pub findings: usize,
    /// Findings suppressed by allowlist rules (kept, with status `suppressed`).
    pub suppressed: usize,
    /// Allowlist rules in force.
    pub allow_rules: usize,
    /// Seconds spent.
    pub seconds: f64,
    /// Where threat-intel hits came from (see [`IntelChoice`]).
    pub intel: String,
    /// Rows with at least one threat-intel hit.
    pub intel_rows: u64,
    /// Plain-language notes on what the data allows (no records, one
    /// client, under a day, one destination).
    pub notes: Vec<String>,
}

/// What the shape of the data means for the detectors, in words.
fn data_notes(t: &EventTable) -> Vec<String> {
    let mut notes = Vec::new();
    let Some((lo, hi)) = t.time_range() else {
        notes.push("the case has no web records: nothing to analyse (ingest proxy logs first; `kensa info` shows what was read and rejected)".into());
        return notes;
    };
    let h = (hi - lo) as f64 / 3.6e6;
    if h < 24.0 {
        notes.push(format!("the records span {h:.1} h: beaconing, first-seen and per-host baselines need several days, so long periods and slow exfiltration cannot be judged"));
    }
    if t.srcs.len() <= 1 {
        notes.push("one client only: destination prevalence (how many internal hosts use a destination) cannot tell rare from common destinations".into());
    }
    if t.hosts.len() <= 1 {
        notes.push("a single destination host: rarity and per-destination comparisons have nothing to compare against".into());
    }
    notes
}

/// Which threat intelligence `kensa analyze` matches the case against.
///
/// Decision: hits are **re-evaluated at analysis time** against the
/// current intel store, so feeds imported after ingest count and removed
/// feeds stop counting. This is cheap: hosts and server addresses are
/// matched once per distinct value (cached), and URLs only for hosts that
/// serve a listed URL. The store is, in order: `--intel-dir`, the store
/// recorded in the case at ingest, `$KENSA_INTEL_DIR`, the default store.
/// When none exists (or `--no-intel`), the hits recorded at ingest in the
/// `intel` column are used (`--no-intel` ignores those too).
#[derive(Debug, Clone, Default)]
pub struct IntelChoice {
    /// An explicit store directory.
    pub dir: Option<std::path::PathBuf>,
    /// Ignore threat intelligence entirely.
    pub off: bool,
}

/// Analysis-time intel matching with per-value caches.
struct LiveIntel {
    m: kensa_intel::Matcher,
    has_urls: bool,
    /// intel indicator id → table ioc id.
    ids: HashMap<u32, u32>,
    host_cache: HashMap<Box<str>, Box<[kensa_intel::Hit]>>,
    ip_cache: HashMap<Box<str>, Box<[kensa_intel::Hit]>>,
    url_host_cache: HashMap<Box<str>, Box<[kensa_intel::Hit]>>,
}

impl LiveIntel {
    fn new(m: kensa_intel::Matcher) -> LiveIntel {
        let has_urls = m.indicators().iter().any(|i| i.kind == kensa_intel::IndicatorKind::Url);
        LiveIntel { m, has_urls, ids: HashMap::new(), host_cache: HashMap::new(), ip_cache: HashMap::new(), url_host_cache: HashMap::new() }
    }

    fn cached<'c>(cache: &'c mut HashMap<Box<str>, Box<[kensa_intel::Hit]>>, key: &str, f: impl FnOnce() -> Vec<kensa_intel::Hit>) -> &'c [kensa_intel::Hit] {
        if !cache.contains_key(key) {
            cache.insert(key.into(), f().into_boxed_slice());
        }
        &cache[key]
    }

    /// The hits of one record (host or SNI, server address, URL), in table ids.
    fn hits(&mut self, t: &mut EventTable, host: Option<&str>, sni: Option<&str>, server_ip: Option<&str>, url: Option<&str>, out: &mut Vec<IntelHit>) {
        out.clear();
        let mut raw: Vec<kensa_intel::Hit> = Vec::new();
        let m = &self.m;
        for h in [host, sni].into_iter().flatten() {
            let bare = h.trim_start_matches('[').trim_end_matches(']');
            raw.extend_from_slice(Self::cached(&mut self.host_cache, h, || {
                if bare.parse::<std::net::IpAddr>().is_ok() { m.match_ip_str(bare) } else { m.match_host(h) }
            }));
        }
        if let Some(ip) = server_ip {
            raw.extend_from_slice(Self::cached(&mut self.ip_cache, ip, || m.match_ip_str(ip)));
        }
        if self.has_urls
            && let Some(h) = host.or(sni)
        {
            // Only hosts that serve a listed URL need the (costlier) URL match.
            let by_host = Self::cached(&mut self.url_host_cache, h, || m.match_url_host(h));
            if !by_host.is_empty() {
                match url.filter(|u| u.contains("://")) {
                    Some(u) => raw.extend(m.match_url(u)),
                    // HTTPS through CONNECT: only the host is known.
                    None => raw.extend_from_slice(by_host),
                }
            }
        }
        for h in raw {
            let id = match self.ids.get(&h.id.0) {
                Some(&id) => id,
                None => {
                    let i = m.indicator(h.id);
                    let id = t.add_ioc(Ioc {
                        source: i.source.to_string(),
                        kind: i.kind.as_str().to_string(),
                        value: i.value.clone(),
                        confidence: i.confidence,
                        threat_type: i.threat_type.as_deref().map(String::from),
                        malware: i.malware.as_deref().map(String::from),
                        tags: i.tags.clone(),
                        port: i.port,
                        alerting: i.alerting,
                    });
                    self.ids.insert(h.id.0, id);
                    id
                }
            };
            let how = match h.how {
                kensa_intel::MatchHow::Exact => IntelHow::Exact,
                kensa_intel::MatchHow::Subdomain => IntelHow::Subdomain,
                kensa_intel::MatchHow::Cidr { prefix_len } => IntelHow::Cidr(prefix_len),
                kensa_intel::MatchHow::UrlPrefix => IntelHow::UrlPrefix,
                kensa_intel::MatchHow::UrlHost => IntelHow::UrlHost,
            };
            out.push(IntelHit { ioc: id, how });
        }
        out.sort();
        out.dedup();
    }
}

/// How rows get their intel hits in this analysis.
enum IntelMode {
    Off,
    Recorded(HashMap<Box<str>, Vec<IntelHit>>),
    Live(Box<LiveIntel>),
}

/// Opens the intel store per [`IntelChoice`]; returns the mode and a line
/// for the summary.
fn intel_mode(case: &Case, choice: &IntelChoice) -> Result<(IntelMode, String)> {
    if choice.off {
        return Ok((IntelMode::Off, "off (--no-intel)".into()));
    }
    let recorded = case.meta("intel_dir").ok().flatten().map(std::path::PathBuf::from);
    let env = std::env::var_os("KENSA_INTEL_DIR").map(std::path::PathBuf::from);
    let candidates = [choice.dir.clone(), recorded, env, kensa_intel::IntelStore::default_dir()];
    for dir in candidates.into_iter().flatten() {
        if !dir.is_dir() {
            if choice.dir.as_ref() == Some(&dir) {
                anyhow::bail!("--intel-dir {}: no such directory", dir.display());
            }
            continue;
        }
        let st = kensa_intel::IntelStore::open(&dir).with_context(|| format!("intel store {}", dir.display()))?;
        let sources = st.sources().with_context(|| format!("intel store {}", dir.display()))?;
        if sources.is_empty() {
            continue;
        }
        let m = st.matcher().with_context(|| format!("loading intel from {}", dir.display()))?;
        let n = m.indicators().len();
        let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
        let line = format!("re-matched against the current store {} ({} source(s): {}; {n} indicators)", dir.display(), sources.len(), names.join(", "));
        return Ok((IntelMode::Live(Box::new(LiveIntel::new(m))), line));
    }
    Ok((IntelMode::Recorded(HashMap::new()), "hits recorded at ingest (no intel store found)".into()))
}

fn col<'b, T: 'static>(b: &'b RecordBatch, name: &str) -> Result<&'b T> {
    b.column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .with_context(|| format!("web_requests column {name} missing or of the wrong type"))
}

fn s(a: &StringArray, i: usize) -> Option<&str> {
    if a.is_null(i) { None } else { Some(a.value(i)) }
}

fn u16o(a: &Int32Array, i: usize) -> Option<u16> {
    if a.is_null(i) { None } else { u16::try_from(a.value(i)).ok() }
}

fn u64o(a: &Int64Array, i: usize) -> Option<u64> {
    if a.is_null(i) { None } else { u64::try_from(a.value(i)).ok() }
}

fn b(a: &BooleanArray, i: usize) -> bool {
    !a.is_null(i) && a.value(i)
}

/// Runs every detector over the case and stores the findings.
pub fn analyze_with(case: &mut Case, intel: &IntelChoice) -> Result<AnalyzeSummary> {
    let t0 = std::time::Instant::now();
    let ctx = Context::default();
    let mut passes: Vec<_> = DETECTORS.iter().filter_map(|d| d.stream(&ctx)).collect();
    let mut t = EventTable::with_capacity(1 << 16);
    let (mut mode, intel_line) = intel_mode(case, intel)?;
    let rows = kensa_store::scan::scan(case, kensa_store::schema::WEB_REQUESTS, |batch| {
        push_batch(batch, &mut t, &mut passes, &mut mode).map_err(|e| kensa_store::StoreError::Corrupt(format!("{e:#}")))
    })?;
    let intel_rows = t.intel_rows().count() as u64;
    let notes = data_notes(&t);
    let mut findings: Vec<Finding> = DETECTORS.iter().flat_map(|d| d.run(&t, &ctx)).collect();
    for p in passes {
        findings.extend(p.finish(&t, &ctx));
    }
    // Packet detectors over the capture tables (empty for log-only cases).
    let include_mail = case.meta("include_mail")?.as_deref() == Some("true");
    let pt = crate::packet_tables::load(case, include_mail)?;
    if !pt.is_empty() {
        findings.extend(kensa_detect::PACKET_DETECTORS.iter().flat_map(|d| d.run(&pt, &ctx)));
    }
    findings.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.key.cmp(&b.key)));
    kensa_detect::annotate::user_agents(&t, &mut findings);
    let rules = crate::triage::case_rules(case)?;
    let suppressed = kensa_detect::allow::apply(&rules, &mut findings);
    // Name each sample's source file.
    let paths: HashMap<i64, String> = case.inputs()?.into_iter().map(|i| (i.id, i.path)).collect();
    for f in &mut findings {
        for smp in &mut f.evidence.samples {
            smp.path = paths.get(&i64::from(smp.file)).cloned();
        }
    }
    let mut by_severity = std::collections::BTreeMap::new();
    let mut stored = Vec::with_capacity(findings.len());
    for f in &findings {
        *by_severity.entry(f.severity.as_str().to_string()).or_insert(0) += 1;
        stored.push((
            f.key.clone(),
            f.id.clone(),
            f.detector.clone(),
            f.severity.as_str().to_string(),
            f.score,
            serde_json::to_string(f).context("serialising a finding")?,
        ));
    }
    case.replace_findings(None, &stored)?;
    Ok(AnalyzeSummary {
        rows,
        by_severity,
        findings: findings.len(),
        suppressed,
        allow_rules: rules.len(),
        seconds: t0.elapsed().as_secs_f64(),
        intel: intel_line,
        intel_rows,
        notes,
    })
}

fn push_batch(batch: &RecordBatch, t: &mut EventTable, passes: &mut [Box<dyn kensa_detect::StreamPass>], mode: &mut IntelMode) -> Result<()> {
    let ts = col::<TimestampMillisecondArray>(batch, "ts")?;
    let client = col::<StringArray>(batch, "client_ip")?;
    let user = col::<StringArray>(batch, "user")?;
    let method = col::<StringArray>(batch, "method")?;
    let scheme = col::<StringArray>(batch, "scheme")?;
    let host = col::<StringArray>(batch, "host")?;
    let port = col::<Int32Array>(batch, "port")?;
    let path = col::<StringArray>(batch, "path")?;
    let query = col::<StringArray>(batch, "query")?;
    let url = col::<StringArray>(batch, "url")?;
    let status = col::<Int32Array>(batch, "status")?;
    let server_ip = col::<StringArray>(batch, "server_ip")?;
    let sni = col::<StringArray>(batch, "sni")?;
    let up = col::<Int64Array>(batch, "bytes_up")?;
    let down = col::<Int64Array>(batch, "bytes_down")?;
    let ctype = col::<StringArray>(batch, "content_type")?;
    let referer = col::<StringArray>(batch, "referer")?;
    let ua = col::<StringArray>(batch, "user_agent")?;
    let category = col::<StringArray>(batch, "category")?;
    let duration = col::<Int64Array>(batch, "duration_ms")?;
    let line = col::<Int64Array>(batch, "source_line")?;
    let input = col::<Int64Array>(batch, "input_id")?;
    let domain = col::<StringArray>(batch, "registered_domain")?;
    let is_ip = col::<BooleanArray>(batch, "host_is_ip")?;
    let src_internal = col::<BooleanArray>(batch, "src_internal")?;
    let service = col::<StringArray>(batch, "service")?;
    let service_cat = col::<StringArray>(batch, "service_category")?;
    let sanctioned = col::<StringArray>(batch, "sanctioned")?;
    let upload = col::<BooleanArray>(batch, "upload_action")?;
    // Cases written before the column existed have no intel hits.
    let intel_col = batch.column_by_name("intel").and_then(|c| c.as_any().downcast_ref::<StringArray>());
    let mut hits: Vec<IntelHit> = Vec::new();
    for i in 0..batch.num_rows() {
        fn cw(a: &StringArray, i: usize) -> Option<Cow<'_, str>> {
            s(a, i).map(Cow::Borrowed)
        }
        let c = |a| cw(a, i);
        let rec = WebRecord {
            ts_ms: ts.value(i),
            duration_ms: if duration.is_null(i) { None } else { Some(duration.value(i)) },
            client_ip: c(client),
            user: c(user),
            method: c(method),
            scheme: c(scheme),
            host: c(host),
            port: u16o(port, i),
            path: c(path),
            query: c(query),
            url: c(url),
            status: u16o(status, i),
            server_ip: c(server_ip),
            sni: c(sni),
            bytes_up: u64o(up, i),
            bytes_down: u64o(down, i),
            content_type: c(ctype),
            referer: c(referer),
            user_agent: c(ua),
            category: c(category),
            ..Default::default()
        };
        // Proxies that log CONNECT host:port with SNI: the host is the name.
        let row = RowIn {
            ts_ms: rec.ts_ms,
            src_ip: s(client, i),
            user: s(user, i),
            host: s(host, i).or(s(sni, i)),
            domain: s(domain, i),
            dst_ip: s(server_ip, i),
            port: rec.port,
            method: s(method, i),
            status: rec.status,
            bytes_up: rec.bytes_up,
            bytes_down: rec.bytes_down,
            user_agent: s(ua, i),
            content_type: s(ctype, i),
            has_referer: !referer.is_null(i),
            is_ip_literal: b(is_ip, i),
            service: s(service, i),
            service_category: s(service_cat, i),
            category: s(category, i),
            src_internal: b(src_internal, i),
            duration_ms: rec.duration_ms,
            upload_action: b(upload, i),
            sanctioned: s(sanctioned, i) == Some("sanctioned"),
            locator: Locator { file: u16::try_from(input.value(i)).unwrap_or(u16::MAX), line: u32::try_from(line.value(i)).unwrap_or(u32::MAX) },
            intel: &[],
        };
        match mode {
            IntelMode::Off => hits.clear(),
            IntelMode::Recorded(cache) => {
                hits.clear();
                if let Some(v) = intel_col.and_then(|a| s(a, i)) {
                    if !cache.contains_key(v) {
                        let parsed = t.parse_intel_column(v);
                        cache.insert(v.into(), parsed);
                    }
                    hits.extend_from_slice(&cache[v]);
                }
            }
            IntelMode::Live(live) => live.hits(t, s(host, i), s(sni, i), s(server_ip, i), s(url, i), &mut hits),
        }
        let row = RowIn { intel: &hits, ..row };
        t.push(&row);
        for p in passes.iter_mut() {
            p.observe(&rec, &row);
        }
    }
    Ok(())
}


/// Loads the stored findings with analysts' verdicts applied, at or above
/// `min_severity`.
pub fn load_findings(case: &Case, min_severity: &str) -> Result<Vec<Finding>> {
    let min = kensa_triage::parse_severity(min_severity).unwrap_or(Severity::Info);
    kensa_triage::load_findings(case, min)
}

/// Renders findings as JSON (`{"findings": […]}`), CSV or a terminal table.
pub fn render_findings(findings: Vec<Finding>, fmt: &str) -> Result<String> {
    use crate::output::term;
    match fmt {
        "json" => Ok(serde_json::to_string_pretty(&FindingsDoc { findings })?),
        "csv" => Ok(kensa_triage::csv::findings_csv(findings.iter().map(kensa_triage::csv::Row::of), false)),
        _ => {
            let mut out = String::new();
            for f in &findings {
                let src = f.src.user.as_deref().or(f.src.ip.as_deref()).unwrap_or("-");
                let dst = f.dst.host.as_deref().or(f.dst.domain.as_deref()).or(f.dst.ip.as_deref()).unwrap_or("-");
                out.push_str(&format!(
                    "{:<8} {:>5.1} {:<16} {:<20} {:<40} {}\n",
                    f.severity.as_str(),
                    f.score,
                    f.detector,
                    term(src),
                    term(dst),
                    term(&f.title)
                ));
            }
            out.push_str(&format!("{} finding(s)\n", findings.len()));
            Ok(out)
        }
    }
}
