//! Reads a case into a [`Report`]: findings with verdicts, the host roll-up,
//! the leak-risk inventory, data coverage, and the event series behind the
//! charts. One pass over `web_requests` collects everything row-level.
//!
//! Strings stay raw here; each renderer escapes what it writes.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use anyhow::{Context as _, Result};
use kensa_charts as charts;
use kensa_detect::leak_risk::{self, InventoryRow};
use kensa_detect::{Context, DETECTORS, EventTable, Finding, Locator, RowIn, Severity, Status};
use kensa_store::Case;
use kensa_store::arrow::array::{Array, BooleanArray, Int32Array, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray};
use serde::Serialize;

use crate::i18n::{T, sev_label, t};
use crate::{Lang, ReportOptions};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;
/// Event times kept per charted finding (the timeline draws one tick per
/// pixel column anyway; the interval histogram needs no more).
const MAX_EVENTS_PER_FINDING: usize = 50_000;

/// Everything the report shows, gathered once; serialised as the JSON export.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// kensa version that wrote it.
    pub kensa_version: String,
    /// When (UTC, RFC 3339).
    pub generated_at: String,
    /// Language of the texts.
    pub lang: Lang,
    /// Offset of the clock used for times and charts, seconds east of UTC.
    pub tz_offset_s: i32,
    /// The case directory.
    pub case_dir: String,
    /// Organisation (config).
    pub organization: Option<String>,
    /// Analyst (config).
    pub analyst: Option<String>,
    /// Period covered as printed.
    pub period: String,
    /// Logo, if configured (not exported to JSON).
    #[serde(skip)]
    pub logo: Option<Logo>,
    /// Cover and executive summary.
    pub summary: Summary,
    /// Per-host roll-up (every host with a finding in the body).
    pub hosts: Vec<HostSummary>,
    /// Findings in the body (open, confirmed, benign), best first.
    pub findings: Vec<FindingView>,
    /// False positives and suppressed findings (annex).
    pub annex: Vec<FindingView>,
    /// Leak-risk section.
    pub leak: LeakSection,
    /// Overview charts (SVG).
    pub charts: OverviewCharts,
    /// IOC appendix.
    pub iocs: Vec<Ioc>,
    /// ATT&CK techniques seen in the body.
    pub attack: Vec<AttackRow>,
    /// Methodology and data coverage.
    pub coverage: Coverage,
    /// The detectors that ran.
    pub detectors: Vec<DetectorRow>,
}

/// A logo image embedded in HTML/PDF.
#[derive(Debug, Clone)]
pub struct Logo {
    /// MIME type (`image/png`, `image/jpeg`, `image/svg+xml`).
    pub mime: &'static str,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// A yes/possibly/no answer in plain language.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    /// `yes`, `possible` or `no`.
    pub level: String,
    /// One or two sentences.
    pub text: String,
}

/// The executive summary.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// "Are we infected?"
    pub infected: Answer,
    /// "Is information leaving?"
    pub leaking: Answer,
    /// First record (ms).
    pub first_ts: Option<i64>,
    /// Last record (ms).
    pub last_ts: Option<i64>,
    /// Bytes of input read.
    pub input_bytes: u64,
    /// Input files.
    pub inputs: usize,
    /// Records stored.
    pub records: u64,
    /// Records rejected.
    pub rejected: u64,
    /// Distinct client addresses.
    pub hosts: usize,
    /// Distinct authenticated users.
    pub users: usize,
    /// Body findings by severity (`critical` … `info`).
    pub by_severity: BTreeMap<String, usize>,
    /// Confirmed findings.
    pub confirmed: usize,
    /// Findings in the annex (false positives, suppressed).
    pub annexed: usize,
    /// Hosts likely compromised.
    pub compromised_hosts: usize,
    /// Hosts with a leak risk.
    pub leak_hosts: usize,
    /// Hosts to act on first (ids into `Report::hosts`, at most 10).
    pub priority: Vec<usize>,
}

/// The verdict on one host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HostVerdict {
    /// C2-like findings (beacon, DGA, C2 traits, intel, …).
    LikelyCompromised,
    /// Uploads to risky or unsanctioned services, volume anomalies.
    LeakRisk,
    /// Policy findings only.
    Policy,
    /// Nothing actionable.
    NothingFound,
}

/// One host (client) and what was found on it.
#[derive(Debug, Clone, Serialize)]
pub struct HostSummary {
    /// The host's identity as shown (address, else host name, else user).
    pub host: String,
    /// Host names seen.
    pub hostnames: Vec<String>,
    /// Users seen.
    pub users: Vec<String>,
    /// Verdict.
    pub verdict: HostVerdict,
    /// Highest severity.
    pub severity: Severity,
    /// Highest score.
    pub score: f64,
    /// Body findings on it (indices into `Report::findings`, best first).
    pub findings: Vec<usize>,
    /// Indexes of the findings that make the verdict (highest score first).
    pub reasons: Vec<usize>,
    /// Confirmed findings.
    pub confirmed: usize,
    /// Recommended action.
    pub action: String,
    /// Weekday × hour activity heatmap (SVG), for detailed hosts.
    pub heatmap_svg: Option<String>,
    /// Shown in detail in the report.
    pub detailed: bool,
}

/// A finding with everything the report shows about it.
#[derive(Debug, Clone, Serialize)]
pub struct FindingView {
    /// The finding (contract), with the verdict applied.
    pub finding: Finding,
    /// Detector title in the report language.
    pub detector_title: String,
    /// Severity in the report language.
    pub severity_label: String,
    /// Analyst's note.
    pub note: Option<String>,
    /// Analyst's name.
    pub analyst: Option<String>,
    /// Verdict label in the report language.
    pub status_label: String,
    /// The finding's explanation in the report language.
    pub explanation: String,
    /// Distinct user agents seen (most frequent first, at most 5) with counts.
    pub user_agents: Vec<(String, u64)>,
    /// Intel sources that matched its records.
    pub intel: Vec<String>,
    /// Evidence records (from the sample locators) with their source.
    pub records: Vec<RecordView>,
    /// Callback timeline (SVG).
    pub timeline_svg: Option<String>,
    /// Interval histogram (SVG), for beacons.
    pub interval_svg: Option<String>,
    /// Key figures, formatted (name, value).
    pub figures: Vec<(String, String)>,
}

/// One source record cited as evidence.
#[derive(Debug, Clone, Serialize)]
pub struct RecordView {
    /// Source file path.
    pub file: String,
    /// Line in it.
    pub line: i64,
    /// Time (ms).
    pub ts_ms: i64,
    /// Method.
    pub method: Option<String>,
    /// URL (or host:port).
    pub url: Option<String>,
    /// HTTP status.
    pub status: Option<i32>,
    /// User agent.
    pub user_agent: Option<String>,
    /// Bytes up.
    pub bytes_up: Option<i64>,
    /// Bytes down.
    pub bytes_down: Option<i64>,
}

/// The leak-risk section.
#[derive(Debug, Clone, Serialize, Default)]
pub struct LeakSection {
    /// One row per category.
    pub categories: Vec<CategoryRow>,
    /// One row per service (largest upload first, capped).
    pub services: Vec<ServiceRow>,
    /// Services seen in all.
    pub services_total: usize,
    /// Unsanctioned services with uploads or upload actions.
    pub unsanctioned: Vec<ServiceRow>,
    /// The largest uploaders to cloud services.
    pub uploaders: Vec<UploaderRow>,
    /// The raw inventory (user × service), for the CSV/JSON exports.
    pub inventory: Vec<InventoryRow>,
    /// Whether any input carried upload sizes.
    pub upload_sizes_known: bool,
}

/// Inventory totals of one category.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryRow {
    /// Category id.
    pub category: String,
    /// Label in the report language.
    pub label: String,
    /// Services.
    pub services: usize,
    /// Users (or clients).
    pub users: usize,
    /// Hosts.
    pub hosts: usize,
    /// Requests.
    pub requests: u64,
    /// Bytes uploaded (upload actions and POST/PUT), if known.
    pub upload_bytes: Option<u64>,
    /// Upload actions.
    pub upload_actions: u64,
}

/// Inventory totals of one service.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceRow {
    /// Service id.
    pub service: String,
    /// Category label.
    pub category: String,
    /// Sanctioned by policy.
    pub sanctioned: bool,
    /// Users.
    pub users: usize,
    /// Hosts.
    pub hosts: usize,
    /// Requests.
    pub requests: u64,
    /// Bytes uploaded, if known.
    pub upload_bytes: Option<u64>,
    /// Upload actions.
    pub upload_actions: u64,
}

/// A user (or client) and what they uploaded to cloud services.
#[derive(Debug, Clone, Serialize)]
pub struct UploaderRow {
    /// User or client.
    pub who: String,
    /// Client addresses.
    pub hosts: Vec<String>,
    /// Bytes uploaded.
    pub upload_bytes: u64,
    /// Upload actions.
    pub upload_actions: u64,
    /// Services used for uploads.
    pub services: Vec<String>,
}

/// Overview charts.
#[derive(Debug, Clone, Serialize, Default)]
pub struct OverviewCharts {
    /// Findings by severity.
    pub by_severity: String,
    /// Findings by detector.
    pub by_detector: String,
    /// Bytes uploaded per hour.
    pub upload_volume: Option<String>,
}

/// One indicator of compromise found in the body.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ioc {
    /// `domain`, `ip`, `url`.
    pub kind: String,
    /// The value.
    pub value: String,
    /// From a confirmed finding.
    pub confirmed: bool,
    /// Finding ids it came from.
    pub findings: Vec<String>,
    /// First seen (ms).
    pub first_seen: i64,
    /// Last seen (ms).
    pub last_seen: i64,
    /// Events.
    pub count: u64,
}

/// One ATT&CK technique.
#[derive(Debug, Clone, Serialize)]
pub struct AttackRow {
    /// Technique id.
    pub id: String,
    /// Name (English, as MITRE publishes it).
    pub name: String,
    /// Detectors that map to it.
    pub detectors: Vec<String>,
    /// Body findings with it.
    pub findings: usize,
}

/// One detector as the methodology lists it.
#[derive(Debug, Clone, Serialize)]
pub struct DetectorRow {
    /// Id.
    pub id: String,
    /// Title in the report language.
    pub title: String,
    /// What it detects (English).
    pub detects: String,
    /// ATT&CK ids.
    pub attack: Vec<String>,
}

/// What was ingested and what the data could not show.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Coverage {
    /// Inputs.
    pub inputs: Vec<InputView>,
    /// Formats seen, with record counts.
    pub formats: BTreeMap<String, u64>,
    /// Records per day (local days, `YYYY-MM-DD`).
    pub days: BTreeMap<String, u64>,
    /// Periods of ≥ 3 hours without any record inside the span (start ms, end ms).
    pub gaps: Vec<(i64, i64)>,
    /// Rejected records by reason.
    pub reject_reasons: BTreeMap<String, u64>,
    /// A few rejected lines (file, line, reason, detail, text).
    pub reject_samples: Vec<(String, u64, String, String, String)>,
    /// Intel sources and versions used at ingest (from the case).
    pub intel_sources: Vec<serde_json::Value>,
    /// The policy file applied, if any.
    pub policy: Option<String>,
    /// What the data could not show (sentences in the report language).
    pub limitations: Vec<String>,
}

/// One input as the coverage table shows it.
#[derive(Debug, Clone, Serialize)]
pub struct InputView {
    /// Path as given.
    pub path: String,
    /// Format.
    pub format: Option<String>,
    /// Status (`done`, `failed`, …).
    pub status: String,
    /// Bytes.
    pub size: Option<i64>,
    /// Records stored.
    pub rows: i64,
    /// Records rejected.
    pub rejected: i64,
    /// First record (ms).
    pub first_ts: Option<i64>,
    /// Last record (ms).
    pub last_ts: Option<i64>,
    /// Error, if it failed.
    pub error: Option<String>,
}

/// The kind of problem a finding shows, as a host verdict (from its
/// ATT&CK class, the same rule as `kensa hosts`).
fn detector_kind(f: &Finding) -> HostVerdict {
    match kensa_detect::hosts::class_of(f) {
        kensa_detect::hosts::FindingClass::C2 => HostVerdict::LikelyCompromised,
        kensa_detect::hosts::FindingClass::Leak => HostVerdict::LeakRisk,
        kensa_detect::hosts::FindingClass::Policy => HostVerdict::Policy,
    }
}

/// The host a finding is about (the same key as `kensa hosts`).
pub fn host_of(f: &Finding) -> String {
    kensa_detect::hosts::host_key(f)
}

/// Groups body findings by host and gives each host the verdict of
/// `kensa_detect::hosts::rollup` (the same as `kensa hosts` and the web UI):
/// (host, verdict, every finding, the findings that make the verdict).
pub fn host_rollup(findings: &[FindingView]) -> Vec<(String, HostVerdict, Vec<usize>, Vec<usize>)> {
    let fs: Vec<Finding> = findings.iter().map(|v| v.finding.clone()).collect();
    let idx: HashMap<&str, usize> = findings.iter().enumerate().map(|(i, v)| (v.finding.key.as_str(), i)).collect();
    kensa_detect::hosts::rollup(&fs)
        .into_iter()
        .map(|h| {
            let v = match h.verdict {
                kensa_detect::hosts::HostVerdict::LikelyCompromised => HostVerdict::LikelyCompromised,
                kensa_detect::hosts::HostVerdict::LeakRisk => HostVerdict::LeakRisk,
                kensa_detect::hosts::HostVerdict::Policy => HostVerdict::Policy,
                kensa_detect::hosts::HostVerdict::NothingFound => HostVerdict::NothingFound,
            };
            let ix: Vec<usize> = h.findings.iter().filter_map(|k| idx.get(k.as_str()).copied()).collect();
            let reasons: Vec<usize> = h.reasons.iter().filter_map(|k| idx.get(k.as_str()).copied()).collect();
            (h.host, v, ix, reasons)
        })
        .collect()
}

/// Per-finding accumulators filled during the scan.
#[derive(Default)]
struct Series {
    events: Vec<i64>,
    uas: HashMap<String, u64>,
    intel: BTreeSet<String>,
}

/// Column accessors of one batch.
struct Cols<'a> {
    ts: &'a TimestampMillisecondArray,
    client: &'a StringArray,
    user: &'a StringArray,
    method: &'a StringArray,
    host: &'a StringArray,
    port: &'a Int32Array,
    url: &'a StringArray,
    status: &'a Int32Array,
    server_ip: &'a StringArray,
    sni: &'a StringArray,
    up: &'a Int64Array,
    down: &'a Int64Array,
    ctype: &'a StringArray,
    referer: &'a StringArray,
    ua: &'a StringArray,
    category: &'a StringArray,
    duration: &'a Int64Array,
    format: &'a StringArray,
    line: &'a Int64Array,
    input: &'a Int64Array,
    domain: &'a StringArray,
    is_ip: &'a BooleanArray,
    src_internal: &'a BooleanArray,
    service: &'a StringArray,
    service_cat: &'a StringArray,
    sanctioned: &'a StringArray,
    upload: &'a BooleanArray,
    intel: &'a StringArray,
}

fn col<'b, T: 'static>(b: &'b RecordBatch, name: &str) -> Result<&'b T> {
    b.column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .with_context(|| format!("web_requests column {name} missing or of the wrong type"))
}

impl<'a> Cols<'a> {
    fn of(b: &'a RecordBatch) -> Result<Cols<'a>> {
        Ok(Cols {
            ts: col(b, "ts")?,
            client: col(b, "client_ip")?,
            user: col(b, "user")?,
            method: col(b, "method")?,
            host: col(b, "host")?,
            port: col(b, "port")?,
            url: col(b, "url")?,
            status: col(b, "status")?,
            server_ip: col(b, "server_ip")?,
            sni: col(b, "sni")?,
            up: col(b, "bytes_up")?,
            down: col(b, "bytes_down")?,
            ctype: col(b, "content_type")?,
            referer: col(b, "referer")?,
            ua: col(b, "user_agent")?,
            category: col(b, "category")?,
            duration: col(b, "duration_ms")?,
            format: col(b, "source_format")?,
            line: col(b, "source_line")?,
            input: col(b, "input_id")?,
            domain: col(b, "registered_domain")?,
            is_ip: col(b, "host_is_ip")?,
            src_internal: col(b, "src_internal")?,
            service: col(b, "service")?,
            service_cat: col(b, "service_category")?,
            sanctioned: col(b, "sanctioned")?,
            upload: col(b, "upload_action")?,
            intel: col(b, "intel")?,
        })
    }
}

fn s(a: &StringArray, i: usize) -> Option<&str> {
    if a.is_null(i) { None } else { Some(a.value(i)) }
}
fn i64o(a: &Int64Array, i: usize) -> Option<i64> {
    if a.is_null(i) { None } else { Some(a.value(i)) }
}
fn i32o(a: &Int32Array, i: usize) -> Option<i32> {
    if a.is_null(i) { None } else { Some(a.value(i)) }
}
fn b(a: &BooleanArray, i: usize) -> bool {
    !a.is_null(i) && a.value(i)
}

/// Row-level facts collected in one pass.
#[derive(Default)]
struct Scan {
    clients: HashSet<String>,
    users: HashSet<String>,
    hours: BTreeMap<i64, u64>,
    upload_hours: BTreeMap<i64, f64>,
    any_bytes_up: bool,
    /// Per input: (rows, rows with bytes_up, rows with user, rows with UA).
    per_input: HashMap<i64, [u64; 4]>,
    formats: BTreeMap<String, u64>,
    heat: HashMap<String, [[u64; 24]; 7]>,
    series: Vec<Series>,
    records: HashMap<(i64, i64), RecordView>,
}

/// Reads the case in `case_dir` into a [`Report`].
pub fn gather(case_dir: &Path, opts: &ReportOptions) -> Result<Report> {
    if !case_dir.join("case.sqlite").exists() && !case_dir.join("case.db").exists() {
        anyhow::bail!("{} is not a kensa case (no case.sqlite): run `kensa ingest` or `kensa run` first", case_dir.display());
    }
    let (case, _) = Case::open(case_dir, false).with_context(|| format!("opening case {}", case_dir.display()))?;
    gather_open(&case, opts)
}

/// [`gather`] over a case the caller already holds open (the web UI).
pub fn gather_open(case: &Case, opts: &ReportOptions) -> Result<Report> {
    let lang = opts.lang;
    let case_dir = case.dir();
    let tz_offset_s = (opts.config.timezone_offset_hours.unwrap_or(if lang == Lang::Ja { 9.0 } else { 0.0 }) * 3600.0).round() as i32;

    // Findings with verdicts, notes and analysts.
    let verdicts: HashMap<String, (String, Option<String>, Option<String>)> = {
        let mut st = case.db().prepare("SELECT key, status, note, analyst FROM verdicts")?;
        st.query_map([], |r| Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))?.collect::<std::result::Result<_, _>>()?
    };
    let inputs = case.inputs()?;
    let paths: HashMap<i64, String> = inputs.iter().map(|i| (i.id, i.path.clone())).collect();
    let mut body = Vec::new();
    let mut annex = Vec::new();
    for (json, _, _) in case.findings()? {
        let mut f: Finding = serde_json::from_str(&json).context("a stored finding does not match the findings contract")?;
        let (mut note, mut analyst) = (None, None);
        if let Some((st, n, a)) = verdicts.get(&f.key) {
            if let Ok(st) = serde_json::from_value::<Status>(serde_json::Value::String(st.clone())) {
                f.status = st;
            }
            note = n.clone().filter(|n| !n.is_empty());
            analyst = a.clone();
        }
        let v = view(f, note, analyst, lang);
        if matches!(v.finding.status, Status::FalsePositive | Status::Suppressed) {
            annex.push(v);
        } else {
            body.push(v);
        }
    }
    let by_score = |a: &FindingView, b: &FindingView| {
        (b.finding.status == Status::Confirmed)
            .cmp(&(a.finding.status == Status::Confirmed))
            .then(b.finding.score.total_cmp(&a.finding.score))
            .then_with(|| a.finding.key.cmp(&b.finding.key))
    };
    body.sort_by(by_score);
    annex.sort_by(by_score);

    // Hosts and which get details (charts).
    let rolled = host_rollup(&body);
    let mut hosts: Vec<HostSummary> = rolled
        .into_iter()
        .map(|(host, verdict, mut idx, reasons)| {
            idx.sort_unstable();
            let fs: Vec<&Finding> = idx.iter().map(|&i| &body[i].finding).collect();
            let mut users = BTreeSet::new();
            let mut names = BTreeSet::new();
            for f in &fs {
                users.extend(f.src.user.clone());
                names.extend(f.src.hostname.clone());
            }
            HostSummary {
                host,
                hostnames: names.into_iter().collect(),
                users: users.into_iter().collect(),
                verdict,
                severity: fs.iter().map(|f| f.severity).max().unwrap_or(Severity::Info),
                score: fs.iter().map(|f| f.score).fold(0.0, f64::max),
                confirmed: fs.iter().filter(|f| f.status == Status::Confirmed).count(),
                findings: idx,
                reasons,
                action: String::new(),
                heatmap_svg: None,
                detailed: false,
            }
        })
        .collect();
    hosts.sort_by(|a, b| {
        a.verdict
            .cmp(&b.verdict)
            .then(b.confirmed.cmp(&a.confirmed))
            .then(b.severity.cmp(&a.severity))
            .then(b.score.total_cmp(&a.score))
            .then_with(|| a.host.cmp(&b.host))
    });
    for (n, h) in hosts.iter_mut().enumerate() {
        h.action = action_text(h, &body, lang);
        h.detailed = n < opts.limits.detailed_hosts && h.verdict != HostVerdict::NothingFound;
    }

    // Which findings get charts and evidence records: those shown in detail.
    let mut charted: HashMap<(String, String), usize> = HashMap::new();
    let mut charted_domain: HashMap<(String, String), usize> = HashMap::new();
    let mut wanted_records: HashSet<(i64, i64)> = HashSet::new();
    let mut series_of: Vec<Option<usize>> = vec![None; body.len()];
    let mut nseries = 0;
    for h in hosts.iter().filter(|h| h.detailed) {
        for &i in h.findings.iter().take(opts.limits.findings_per_host) {
            let f = &body[i].finding;
            for smp in &f.evidence.samples {
                wanted_records.insert((i64::from(smp.file), i64::from(smp.line)));
            }
            let Some(ip) = f.src.ip.clone() else { continue };
            let slot = if let Some(h) = &f.dst.host {
                *charted.entry((ip, h.to_ascii_lowercase())).or_insert_with(|| {
                    nseries += 1;
                    nseries - 1
                })
            } else if let Some(d) = &f.dst.domain {
                *charted_domain.entry((ip, d.to_ascii_lowercase())).or_insert_with(|| {
                    nseries += 1;
                    nseries - 1
                })
            } else {
                continue;
            };
            series_of[i] = Some(slot);
        }
    }
    for f in &annex {
        for smp in f.finding.evidence.samples.iter().take(2) {
            wanted_records.insert((i64::from(smp.file), i64::from(smp.line)));
        }
    }
    let heat_hosts: HashSet<String> = hosts.iter().filter(|h| h.detailed).map(|h| h.host.clone()).collect();

    // One pass over the rows.
    let mut sc = Scan { series: (0..nseries).map(|_| Series::default()).collect(), ..Default::default() };
    let mut table = EventTable::with_capacity(1 << 16);
    kensa_store::scan::scan(case, kensa_store::schema::WEB_REQUESTS, |batch| {
        scan_batch(batch, &mut sc, &mut table, &charted, &charted_domain, &wanted_records, &heat_hosts, &paths, tz_offset_s)
            .map_err(|e| kensa_store::StoreError::Corrupt(format!("{e:#}")))
    })?;

    // Attach series, records and charts to findings.
    for (i, v) in body.iter_mut().enumerate() {
        if let Some(slot) = series_of[i] {
            let ser = &mut sc.series[slot];
            attach_series(v, ser, lang, tz_offset_s);
        }
        attach_records(v, &sc.records, &paths);
    }
    for v in annex.iter_mut() {
        attach_records(v, &sc.records, &paths);
    }
    for h in hosts.iter_mut().filter(|h| h.detailed) {
        if let Some(hm) = sc.heat.get(&h.host) {
            let days = crate::i18n::weekdays(lang);
            h.heatmap_svg = Some(charts::heatmap(hm, &days, &charts::Frame::new(&format!("{} — {}", t(lang, T::HeatmapTitle), h.host)).size(640, 190)));
        }
    }

    // Coverage.
    let first_ts = inputs.iter().filter_map(|i| i.first_ts).min();
    let last_ts = inputs.iter().filter_map(|i| i.last_ts).max();
    let mut coverage = Coverage { formats: sc.formats.clone(), ..Default::default() };
    for i in &inputs {
        coverage.inputs.push(InputView {
            path: i.path.clone(),
            format: i.format.clone(),
            status: i.status.clone(),
            size: i.size,
            rows: i.rows,
            rejected: i.rejected,
            first_ts: i.first_ts,
            last_ts: i.last_ts,
            error: i.error.clone(),
        });
        for (r, n) in &i.reject_counts {
            *coverage.reject_reasons.entry(r.clone()).or_insert(0) += *n as u64;
        }
        for smp in i.reject_samples.iter().take(3) {
            if coverage.reject_samples.len() < 12 {
                coverage.reject_samples.push((i.path.clone(), smp.line, smp.reason.clone(), smp.detail.clone(), smp.text.clone()));
            }
        }
    }
    for (&h, &n) in &sc.hours {
        let (y, m, d) = charts::civil_from_days((h * HOUR + tz_offset_s as i64 * 1000).div_euclid(DAY));
        *coverage.days.entry(format!("{y:04}-{m:02}-{d:02}")).or_insert(0) += n;
    }
    if let (Some(&a), Some(&z)) = (sc.hours.keys().next(), sc.hours.keys().next_back()) {
        let mut prev = a;
        for &h in sc.hours.keys().skip(1) {
            if h - prev > 3 {
                coverage.gaps.push(((prev + 1) * HOUR, h * HOUR));
            }
            prev = h;
        }
        let _ = z;
    }
    coverage.intel_sources = case
        .meta("intel_sources")?
        .and_then(|s| serde_json::from_str::<Vec<serde_json::Value>>(&s).ok())
        .unwrap_or_default();
    coverage.policy = case.meta("policy")?;
    coverage.limitations = limitations(&sc, &inputs, &coverage, lang);

    // Leak-risk inventory.
    let inventory = leak_risk::inventory(&table, &Context::default());
    let leak = leak_section(inventory, sc.any_bytes_up, lang, opts.limits.services);

    // Overview charts.
    let mut by_sev: BTreeMap<Severity, usize> = BTreeMap::new();
    let mut by_det: BTreeMap<String, usize> = BTreeMap::new();
    for v in &body {
        *by_sev.entry(v.finding.severity).or_insert(0) += 1;
        *by_det.entry(v.detector_title.clone()).or_insert(0) += 1;
    }
    let sev_bars: Vec<charts::Bar> = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info]
        .iter()
        .map(|s| charts::Bar::new(&sev_label(lang, *s), *by_sev.get(s).unwrap_or(&0) as f64).color(charts::severity_color(s.as_str())))
        .collect();
    let mut det_bars: Vec<(String, usize)> = by_det.into_iter().collect();
    det_bars.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let det_bars: Vec<charts::Bar> = det_bars.iter().map(|(k, v)| charts::Bar::new(k, *v as f64)).collect();
    let upload_volume = if sc.any_bytes_up && !sc.upload_hours.is_empty() {
        let pts: Vec<(i64, f64)> = sc.upload_hours.iter().map(|(h, v)| (h * HOUR, *v)).collect();
        let (a, z) = (first_ts.unwrap_or(0), last_ts.unwrap_or(0) + HOUR);
        Some(charts::columns(&pts, HOUR, a, z, tz_offset_s, &|v| charts::fmt_bytes(v as u64), &charts::Frame::new(t(lang, T::UploadChartTitle)).size(640, 200)))
    } else {
        None
    };
    let overview = OverviewCharts {
        by_severity: charts::bars(&sev_bars, &charts::Frame::new(t(lang, T::BySeverityTitle)).size(320, 120)),
        by_detector: charts::bars(&det_bars, &charts::Frame::new(t(lang, T::ByDetectorTitle)).size(320, 120)),
        upload_volume,
    };

    // IOCs and ATT&CK.
    let iocs = iocs_of(&body);
    let attack = attack_rows(&body);
    let detectors = DETECTORS
        .iter()
        .map(|d| {
            let i = d.info();
            DetectorRow {
                id: i.id.into(),
                title: if lang == Lang::Ja { i.title_ja.into() } else { i.title_en.into() },
                detects: i.detects.into(),
                attack: i.attack.iter().map(|s| s.to_string()).collect(),
            }
        })
        .collect();

    // Summary.
    let mut by_severity = BTreeMap::new();
    for v in &body {
        *by_severity.entry(v.finding.severity.as_str().to_string()).or_insert(0) += 1;
    }
    let compromised_hosts = hosts.iter().filter(|h| h.verdict == HostVerdict::LikelyCompromised).count();
    let leak_hosts = hosts.iter().filter(|h| h.verdict == HostVerdict::LeakRisk).count();
    let confirmed = body.iter().filter(|v| v.finding.status == Status::Confirmed).count();
    let priority: Vec<usize> = hosts.iter().enumerate().filter(|(_, h)| h.verdict <= HostVerdict::LeakRisk).map(|(i, _)| i).take(10).collect();
    let summary = Summary {
        infected: infected_answer(&hosts, &body, lang),
        leaking: leaking_answer(&hosts, &body, &leak, lang),
        first_ts,
        last_ts,
        input_bytes: inputs.iter().filter(|i| i.status == "done").filter_map(|i| i.size).map(|s| s.max(0) as u64).sum(),
        inputs: inputs.len(),
        records: inputs.iter().map(|i| i.rows.max(0) as u64).sum(),
        rejected: inputs.iter().map(|i| i.rejected.max(0) as u64).sum(),
        hosts: sc.clients.len(),
        users: sc.users.len(),
        by_severity,
        confirmed,
        annexed: annex.len(),
        compromised_hosts,
        leak_hosts,
        priority,
    };
    let period = opts.config.period.clone().unwrap_or_else(|| match (first_ts, last_ts) {
        (Some(a), Some(z)) => format!("{} – {}", crate::i18n::fmt_day(a, tz_offset_s), crate::i18n::fmt_day(z, tz_offset_s)),
        _ => "-".into(),
    });
    let logo = match &opts.config.logo {
        Some(p) => Some(load_logo(p)?),
        None => None,
    };
    Ok(Report {
        kensa_version: env!("CARGO_PKG_VERSION").into(),
        generated_at: now_rfc3339(),
        lang,
        tz_offset_s,
        case_dir: case_dir.display().to_string(),
        organization: opts.config.organization.clone(),
        analyst: opts.config.analyst.clone(),
        period,
        logo,
        summary,
        hosts,
        findings: body,
        annex,
        leak,
        charts: overview,
        iocs,
        attack,
        coverage,
        detectors,
    })
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn load_logo(p: &Path) -> Result<Logo> {
    let bytes = std::fs::read(p).with_context(|| format!("reading logo {}", p.display()))?;
    let mime = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        "image/jpeg"
    } else if std::str::from_utf8(&bytes[..bytes.len().min(1024)]).is_ok_and(|s| s.contains("<svg")) {
        "image/svg+xml"
    } else {
        anyhow::bail!("logo {}: not a PNG, JPEG or SVG image", p.display());
    };
    Ok(Logo { mime, bytes })
}

#[allow(clippy::too_many_arguments)]
fn scan_batch(
    batch: &RecordBatch,
    sc: &mut Scan,
    table: &mut EventTable,
    charted: &HashMap<(String, String), usize>,
    charted_domain: &HashMap<(String, String), usize>,
    wanted: &HashSet<(i64, i64)>,
    heat_hosts: &HashSet<String>,
    _paths: &HashMap<i64, String>,
    tz_offset_s: i32,
) -> Result<()> {
    let c = Cols::of(batch)?;
    let off = tz_offset_s as i64 * 1000;
    let mut key = (String::new(), String::new());
    for i in 0..batch.num_rows() {
        let ts = c.ts.value(i);
        let client = s(c.client, i);
        let user = s(c.user, i);
        let host = s(c.host, i).or(s(c.sni, i));
        let up = i64o(c.up, i);
        let input = c.input.value(i);
        let line = c.line.value(i);
        if let Some(cl) = client {
            if !sc.clients.contains(cl) {
                sc.clients.insert(cl.to_string());
            }
            if heat_hosts.contains(cl) {
                let local = ts + off;
                // 1970-01-01 was a Thursday; row 0 is Monday.
                let wd = ((local.div_euclid(DAY) + 3).rem_euclid(7)) as usize;
                let hr = (local.rem_euclid(DAY) / HOUR) as usize;
                sc.heat.entry(cl.to_string()).or_insert([[0; 24]; 7])[wd][hr] += 1;
            }
        }
        if let Some(u) = user.filter(|u| !u.is_empty() && *u != "-") {
            if !sc.users.contains(u) {
                sc.users.insert(u.to_string());
            }
        }
        *sc.hours.entry(ts.div_euclid(HOUR)).or_insert(0) += 1;
        if let Some(u) = up {
            sc.any_bytes_up = true;
            if u > 0 {
                *sc.upload_hours.entry(ts.div_euclid(HOUR)).or_insert(0.0) += u as f64;
            }
        }
        let pi = sc.per_input.entry(input).or_insert([0; 4]);
        pi[0] += 1;
        pi[1] += up.is_some() as u64;
        pi[2] += user.is_some_and(|u| !u.is_empty() && u != "-") as u64;
        pi[3] += s(c.ua, i).is_some() as u64;
        if let Some(f) = s(c.format, i) {
            if let Some(n) = sc.formats.get_mut(f) {
                *n += 1;
            } else {
                sc.formats.insert(f.to_string(), 1);
            }
        }
        // Charted findings: match (client, host), else (client, domain).
        if let (Some(cl), Some(h)) = (client, host) {
            key.0.clear();
            key.0.push_str(cl);
            key.1.clear();
            key.1.push_str(h);
            key.1.make_ascii_lowercase();
            let mut slot = charted.get(&key).copied();
            if slot.is_none() {
                if let Some(d) = s(c.domain, i) {
                    key.1.clear();
                    key.1.push_str(d);
                    key.1.make_ascii_lowercase();
                    slot = charted_domain.get(&key).copied();
                }
            }
            if let Some(slot) = slot {
                let ser = &mut sc.series[slot];
                if ser.events.len() < MAX_EVENTS_PER_FINDING {
                    ser.events.push(ts);
                }
                let ua = s(c.ua, i).unwrap_or("");
                if let Some(n) = ser.uas.get_mut(ua) {
                    *n += 1;
                } else if ser.uas.len() < 200 {
                    ser.uas.insert(ua.to_string(), 1);
                }
                if let Some(iv) = s(c.intel, i) {
                    for src in iv.split(',').filter(|x| !x.is_empty()) {
                        if !ser.intel.contains(src) && ser.intel.len() < 20 {
                            ser.intel.insert(src.to_string());
                        }
                    }
                }
            }
        }
        if wanted.contains(&(input, line)) {
            sc.records.insert(
                (input, line),
                RecordView {
                    file: String::new(),
                    line,
                    ts_ms: ts,
                    method: s(c.method, i).map(String::from),
                    url: s(c.url, i).map(String::from).or_else(|| host.map(|h| h.to_string())),
                    status: i32o(c.status, i),
                    user_agent: s(c.ua, i).map(String::from),
                    bytes_up: up,
                    bytes_down: i64o(c.down, i),
                },
            );
        }
        // The event table, for the leak-risk inventory (as `kensa analyze` fills it).
        let row = RowIn {
            ts_ms: ts,
            src_ip: client,
            user,
            host,
            domain: s(c.domain, i),
            dst_ip: s(c.server_ip, i),
            port: i32o(c.port, i).and_then(|p| u16::try_from(p).ok()),
            method: s(c.method, i),
            status: i32o(c.status, i).and_then(|p| u16::try_from(p).ok()),
            bytes_up: up.and_then(|v| u64::try_from(v).ok()),
            bytes_down: i64o(c.down, i).and_then(|v| u64::try_from(v).ok()),
            user_agent: s(c.ua, i),
            content_type: s(c.ctype, i),
            has_referer: !c.referer.is_null(i),
            is_ip_literal: b(c.is_ip, i),
            service: s(c.service, i),
            service_category: s(c.service_cat, i),
            category: s(c.category, i),
            src_internal: b(c.src_internal, i),
            duration_ms: i64o(c.duration, i),
            upload_action: b(c.upload, i),
            sanctioned: s(c.sanctioned, i) == Some("sanctioned"),
            intel: &[],
            locator: Locator { file: u16::try_from(input).unwrap_or(u16::MAX), line: u32::try_from(line).unwrap_or(u32::MAX) },
        };
        table.push(&row);
    }
    Ok(())
}

fn view(f: Finding, note: Option<String>, analyst: Option<String>, lang: Lang) -> FindingView {
    let det = DETECTORS.iter().map(|d| d.info()).find(|i| i.id == f.detector);
    let detector_title = match (det, lang) {
        (Some(i), Lang::Ja) => i.title_ja.to_string(),
        (Some(i), Lang::En) => i.title_en.to_string(),
        (None, _) => f.detector.clone(),
    };
    let explanation = match lang {
        Lang::Ja if !f.explanation.ja.is_empty() => f.explanation.ja.clone(),
        _ if !f.explanation.en.is_empty() => f.explanation.en.clone(),
        _ => f.explanation.ja.clone(),
    };
    let figures = f.evidence.figures.iter().map(|(k, v)| (crate::i18n::figure_label(lang, k), crate::i18n::figure_value(k, *v))).collect();
    FindingView {
        detector_title,
        severity_label: sev_label(lang, f.severity),
        status_label: crate::i18n::status_label(lang, f.status).to_string(),
        note,
        analyst,
        explanation,
        user_agents: Vec::new(),
        intel: Vec::new(),
        records: Vec::new(),
        timeline_svg: None,
        interval_svg: None,
        figures,
        finding: f,
    }
}

fn attach_series(v: &mut FindingView, ser: &mut Series, lang: Lang, tz: i32) {
    let f = &v.finding;
    let mut uas: Vec<(String, u64)> = ser.uas.iter().map(|(k, v)| (k.clone(), *v)).collect();
    uas.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    uas.truncate(5);
    v.user_agents = uas;
    v.intel = ser.intel.iter().cloned().collect();
    if ser.events.is_empty() {
        return;
    }
    ser.events.sort_unstable();
    let (a, z) = (f.first_seen.min(ser.events[0]), f.last_seen.max(*ser.events.last().unwrap_or(&0)));
    let pad = ((z - a) / 50).max(60_000);
    v.timeline_svg = Some(charts::timeline(&ser.events, a - pad, z + pad, tz, &charts::Frame::new(t(lang, T::TimelineTitle)).size(640, 90)));
    if f.detector == "beacon" || f.evidence.figures.contains_key("period_s") {
        let gaps: Vec<f64> = ser.events.windows(2).map(|w| (w[1] - w[0]) as f64 / 1000.0).filter(|g| *g > 0.0).collect();
        if gaps.len() >= 2 {
            let period = f.evidence.figures.get("period_s").copied().filter(|p| *p > 0.0);
            // Up to 3 periods (missed callbacks show as multiples), else the 95th percentile.
            let mut sorted = gaps.clone();
            sorted.sort_by(f64::total_cmp);
            let p95 = sorted[(sorted.len() * 95 / 100).min(sorted.len() - 1)];
            let hi = period.map(|p| p * 3.0).unwrap_or(p95 * 1.2).max(1.0);
            v.interval_svg = Some(charts::histogram(
                &gaps,
                48,
                0.0,
                hi,
                &crate::i18n::fmt_secs,
                &charts::Frame::new(t(lang, T::IntervalTitle)).size(640, 150).axes(t(lang, T::IntervalAxis), ""),
            ));
        }
    }
}

fn attach_records(v: &mut FindingView, records: &HashMap<(i64, i64), RecordView>, paths: &HashMap<i64, String>) {
    for smp in &v.finding.evidence.samples {
        let k = (i64::from(smp.file), i64::from(smp.line));
        let file = smp.path.clone().or_else(|| paths.get(&k.0).cloned()).unwrap_or_else(|| format!("#{}", smp.file));
        match records.get(&k) {
            Some(r) => v.records.push(RecordView { file, ..r.clone() }),
            None => v.records.push(RecordView { file, line: k.1, ts_ms: smp.ts_ms, method: None, url: None, status: None, user_agent: None, bytes_up: None, bytes_down: None }),
        }
    }
}

/// The recommended action, naming the destinations to block or ask about:
/// only those of the findings that make the verdict, never a destination
/// that many hosts use (blocking a CDN or an update server because a
/// low-rated finding mentions it would be the report's worst advice).
fn action_text(h: &HostSummary, body: &[FindingView], lang: Lang) -> String {
    let mut seen = BTreeSet::new();
    let dsts: Vec<String> = h
        .reasons
        .iter()
        .map(|&i| &body[i].finding)
        .filter(|f| f.evidence.figures.get("destination_clients").is_none_or(|&n| n < 3.0))
        .filter_map(|f| f.dst.host.clone().or_else(|| f.dst.domain.clone()).or_else(|| f.dst.ip.clone()))
        .filter(|d| seen.insert(d.clone()))
        .take(3)
        .collect();
    crate::i18n::action(lang, h.verdict, &dsts.join(", "))
}

fn infected_answer(hosts: &[HostSummary], body: &[FindingView], lang: Lang) -> Answer {
    let comp: Vec<&HostSummary> = hosts.iter().filter(|h| h.verdict == HostVerdict::LikelyCompromised).collect();
    let confirmed = comp.iter().filter(|h| h.findings.iter().any(|&i| body[i].finding.status == Status::Confirmed && detector_kind(&body[i].finding) == HostVerdict::LikelyCompromised)).count();
    let high = comp.iter().filter(|h| h.severity >= Severity::High).count();
    let level = if confirmed > 0 || high > 0 { "yes" } else if !comp.is_empty() { "possible" } else { "no" };
    Answer { level: level.into(), text: crate::i18n::infected_text(lang, level, comp.len(), confirmed) }
}

fn leaking_answer(hosts: &[HostSummary], body: &[FindingView], leak: &LeakSection, lang: Lang) -> Answer {
    let lh: Vec<&HostSummary> = hosts.iter().filter(|h| h.findings.iter().any(|&i| detector_kind(&body[i].finding) == HostVerdict::LeakRisk && body[i].finding.severity >= Severity::Low)).collect();
    let confirmed = lh.iter().filter(|h| h.findings.iter().any(|&i| body[i].finding.status == Status::Confirmed && detector_kind(&body[i].finding) == HostVerdict::LeakRisk)).count();
    let high = lh.iter().filter(|h| h.findings.iter().any(|&i| detector_kind(&body[i].finding) == HostVerdict::LeakRisk && body[i].finding.severity >= Severity::High)).count();
    let level = if confirmed > 0 || high > 0 { "yes" } else if !lh.is_empty() || !leak.unsanctioned.is_empty() { "possible" } else { "no" };
    Answer { level: level.into(), text: crate::i18n::leaking_text(lang, level, lh.len(), leak.unsanctioned.len(), leak.upload_sizes_known) }
}

fn leak_section(inventory: Vec<InventoryRow>, sizes_known: bool, lang: Lang, cap: usize) -> LeakSection {
    #[derive(Default)]
    struct Agg {
        cat: String,
        sanctioned: bool,
        users: HashSet<String>,
        hosts: HashSet<String>,
        services: HashSet<String>,
        requests: u64,
        upload: Option<u64>,
        actions: u64,
    }
    fn add(a: &mut Agg, r: &InventoryRow) {
        a.users.insert(r.who.clone());
        a.hosts.extend(r.src_ips.iter().cloned());
        a.services.insert(r.service.clone());
        a.requests += r.requests;
        if let Some(u) = r.upload_bytes {
            a.upload = Some(a.upload.unwrap_or(0).saturating_add(u));
        }
        a.actions += r.upload_actions;
    }
    let mut cats: BTreeMap<String, Agg> = BTreeMap::new();
    let mut svcs: BTreeMap<String, Agg> = BTreeMap::new();
    let mut who: BTreeMap<String, (BTreeSet<String>, u64, u64, BTreeSet<String>)> = BTreeMap::new();
    for r in &inventory {
        let cat = r.category.clone().unwrap_or_else(|| "other".into());
        add(cats.entry(cat.clone()).or_default(), r);
        let s = svcs.entry(r.service.clone()).or_default();
        s.cat = cat;
        s.sanctioned = r.sanctioned;
        add(s, r);
        if r.upload_bytes.unwrap_or(0) > 0 || r.upload_actions > 0 {
            let w = who.entry(r.who.clone()).or_default();
            w.0.extend(r.src_ips.iter().cloned());
            w.1 += r.upload_bytes.unwrap_or(0);
            w.2 += r.upload_actions;
            w.3.insert(r.service.clone());
        }
    }
    let mut categories: Vec<CategoryRow> = cats
        .into_iter()
        .map(|(k, a)| CategoryRow {
            label: crate::i18n::category_label(lang, &k),
            category: k,
            services: a.services.len(),
            users: a.users.len(),
            hosts: a.hosts.len(),
            requests: a.requests,
            upload_bytes: a.upload,
            upload_actions: a.actions,
        })
        .collect();
    categories.sort_by(|a, b| b.upload_bytes.cmp(&a.upload_bytes).then(b.requests.cmp(&a.requests)).then_with(|| a.category.cmp(&b.category)));
    let mut services: Vec<ServiceRow> = svcs
        .into_iter()
        .map(|(k, a)| ServiceRow {
            service: k,
            category: crate::i18n::category_label(lang, &a.cat),
            sanctioned: a.sanctioned,
            users: a.users.len(),
            hosts: a.hosts.len(),
            requests: a.requests,
            upload_bytes: a.upload,
            upload_actions: a.actions,
        })
        .collect();
    services.sort_by(|a, b| b.upload_bytes.cmp(&a.upload_bytes).then(b.upload_actions.cmp(&a.upload_actions)).then(b.requests.cmp(&a.requests)).then_with(|| a.service.cmp(&b.service)));
    let services_total = services.len();
    let unsanctioned: Vec<ServiceRow> = services.iter().filter(|s| !s.sanctioned && (s.upload_bytes.unwrap_or(0) > 0 || s.upload_actions > 0)).take(cap).cloned().collect();
    services.truncate(cap);
    let mut uploaders: Vec<UploaderRow> = who
        .into_iter()
        .map(|(k, (h, b, a, s))| UploaderRow { who: k, hosts: h.into_iter().collect(), upload_bytes: b, upload_actions: a, services: s.into_iter().collect() })
        .collect();
    uploaders.sort_by(|a, b| b.upload_bytes.cmp(&a.upload_bytes).then(b.upload_actions.cmp(&a.upload_actions)).then_with(|| a.who.cmp(&b.who)));
    uploaders.truncate(cap.min(20));
    LeakSection { categories, services, services_total, unsanctioned, uploaders, inventory, upload_sizes_known: sizes_known }
}

fn limitations(sc: &Scan, inputs: &[kensa_store::InputInfo], cov: &Coverage, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    for i in inputs {
        if let Some(c) = sc.per_input.get(&i.id) {
            let fmt = i.format.clone().unwrap_or_else(|| "?".into());
            if c[0] > 0 && c[1] == 0 {
                out.push(crate::i18n::limit_no_upload_sizes(lang, &i.path, &fmt));
            }
            if c[0] > 0 && c[2] == 0 {
                out.push(crate::i18n::limit_no_users(lang, &i.path));
            }
            if c[0] > 0 && c[3] == 0 {
                out.push(crate::i18n::limit_no_ua(lang, &i.path));
            }
        }
        if i.status == "failed" {
            out.push(crate::i18n::limit_failed(lang, &i.path, i.error.as_deref().unwrap_or("")));
        }
    }
    if cov.intel_sources.is_empty() {
        out.push(t(lang, T::LimitNoIntel).to_string());
    }
    if !cov.gaps.is_empty() {
        out.push(crate::i18n::limit_gaps(lang, cov.gaps.len()));
    }
    out.push(t(lang, T::LimitMail).to_string());
    out.push(t(lang, T::LimitTls).to_string());
    out
}

fn iocs_of(body: &[FindingView]) -> Vec<Ioc> {
    let mut m: BTreeMap<(String, String), Ioc> = BTreeMap::new();
    for v in body {
        let f = &v.finding;
        if detector_kind(f) != HostVerdict::LikelyCompromised || (f.severity < Severity::Medium && f.status != Status::Confirmed) {
            continue;
        }
        let mut push = |kind: &str, value: &str| {
            let e = m.entry((kind.to_string(), value.to_string())).or_insert_with(|| Ioc {
                kind: kind.into(),
                value: value.into(),
                confirmed: false,
                findings: Vec::new(),
                first_seen: f.first_seen,
                last_seen: f.last_seen,
                count: 0,
            });
            e.confirmed |= f.status == Status::Confirmed;
            e.findings.push(f.id.clone());
            e.first_seen = e.first_seen.min(f.first_seen);
            e.last_seen = e.last_seen.max(f.last_seen);
            e.count += f.count;
        };
        if let Some(h) = &f.dst.host {
            if h.parse::<std::net::IpAddr>().is_ok() {
                push("ip", h);
            } else {
                push("domain", h);
            }
        } else if let Some(d) = &f.dst.domain {
            push("domain", d);
        }
        if let Some(ip) = &f.dst.ip {
            if ip.parse::<std::net::IpAddr>().is_ok() {
                push("ip", ip);
            }
        }
        for r in &v.records {
            if let Some(u) = &r.url {
                if u.contains("://") {
                    push("url", u);
                }
            }
        }
    }
    let mut v: Vec<Ioc> = m.into_values().collect();
    v.sort_by(|a, b| b.confirmed.cmp(&a.confirmed).then_with(|| a.kind.cmp(&b.kind)).then_with(|| a.value.cmp(&b.value)));
    v
}

fn attack_rows(body: &[FindingView]) -> Vec<AttackRow> {
    let mut m: BTreeMap<String, (BTreeSet<String>, usize)> = BTreeMap::new();
    for v in body {
        for a in &v.finding.attack {
            let e = m.entry(a.clone()).or_default();
            e.0.insert(v.detector_title.clone());
            e.1 += 1;
        }
    }
    m.into_iter()
        .map(|(id, (d, n))| AttackRow { name: crate::i18n::attack_name(&id).to_string(), id, detectors: d.into_iter().collect(), findings: n })
        .collect()
}
