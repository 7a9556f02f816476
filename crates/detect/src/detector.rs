//! The [`Detector`] trait, its self-description ([`DetectorInfo`]) and the
//! run [`Context`]. The contract is written out in `docs/detector.md`.

use crate::finding::{Destination, Finding, Sample, Source};
use crate::table::{EventTable, NONE, RowIn, Sym};
use kensa_model::WebRecord;
use std::collections::BTreeMap;

/// A tunable threshold, with its default and the reason for that default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    /// Parameter name (`snake_case`), as used in [`Context::params`].
    pub name: &'static str,
    /// Default value.
    pub default: f64,
    /// Why this default.
    pub reason: &'static str,
}

/// Everything an analyst or the report needs to know about a detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectorInfo {
    /// Stable id (`kebab-case`); part of every finding key.
    pub id: &'static str,
    /// Title in English.
    pub title_en: &'static str,
    /// Title in Japanese.
    pub title_ja: &'static str,
    /// What it detects, in a few sentences.
    pub detects: &'static str,
    /// The features it computes.
    pub features: &'static [&'static str],
    /// Thresholds with defaults and reasons.
    pub thresholds: &'static [Threshold],
    /// MITRE ATT&CK technique ids.
    pub attack: &'static [&'static str],
    /// Known false positives.
    pub false_positives: &'static [&'static str],
    /// Cost in time and memory.
    pub cost: &'static str,
}

/// Run-wide settings: parameter overrides.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Overrides, keyed `"<detector id>.<threshold name>"`.
    pub params: BTreeMap<String, f64>,
}

impl Context {
    /// The value of threshold `name` of detector `info`: the override if set
    /// and finite, else the default (or `NaN` if `name` is not declared,
    /// which the compliance test catches).
    pub fn param(&self, info: &DetectorInfo, name: &str) -> f64 {
        let key = format!("{}.{}", info.id, name);
        if let Some(v) = self.params.get(&key).filter(|v| v.is_finite()) {
            return *v;
        }
        info.thresholds
            .iter()
            .find(|t| t.name == name)
            .map_or(f64::NAN, |t| t.default)
    }
}

/// A streaming per-record pass (for features the table does not keep, such
/// as full URLs). Created per run by [`Detector::stream`].
pub trait StreamPass: Send {
    /// Sees one record with its enrichment row, in any order.
    fn observe(&mut self, rec: &WebRecord<'_>, row: &RowIn<'_>);
    /// Turns what it saw into findings, with access to the whole table.
    fn finish(self: Box<Self>, table: &EventTable, ctx: &Context) -> Vec<Finding>;
}

/// One detection method. Implementations are stateless values that live in
/// [`crate::DETECTORS`].
///
/// # Example
/// ```
/// use kensa_detect::{Context, Detector, DetectorInfo, EventTable, Finding, Threshold};
///
/// struct ManyRequests;
/// static INFO: DetectorInfo = DetectorInfo {
///     id: "many-requests",
///     title_en: "Many requests",
///     title_ja: "大量のリクエスト",
///     detects: "Clients making more requests than a limit.",
///     features: &["requests per client"],
///     thresholds: &[Threshold { name: "min_requests", default: 2.0, reason: "demo" }],
///     attack: &["T1071.001"],
///     false_positives: &["busy proxies"],
///     cost: "O(n)",
/// };
/// impl Detector for ManyRequests {
///     fn info(&self) -> &'static DetectorInfo { &INFO }
///     fn run(&self, t: &EventTable, ctx: &Context) -> Vec<Finding> {
///         let min = ctx.param(&INFO, "min_requests") as usize;
///         if t.len() < min.max(1) { return Vec::new(); }
///         let mut f = Finding::new(INFO.id, "all", "all", "Many requests".into(), 50.0);
///         f.count = t.len() as u64;
///         f.explanation.en = "Many requests.".into();
///         f.explanation.ja = "大量のリクエスト。".into();
///         vec![f]
///     }
/// }
/// kensa_detect::compliance::assert_detector_compliance(&ManyRequests);
/// ```
pub trait Detector: Sync {
    /// The detector's self-description.
    fn info(&self) -> &'static DetectorInfo;
    /// The batch pass over the whole table. MUST be deterministic and MUST
    /// NOT panic on any table.
    fn run(&self, table: &EventTable, ctx: &Context) -> Vec<Finding>;
    /// An optional streaming pass over the raw records (default: none).
    fn stream(&self, _ctx: &Context) -> Option<Box<dyn StreamPass>> {
        None
    }
}

/// Fills a finding's source and destination from table ids and returns the
/// `(src_key, dst_key)` text used in finding keys.
pub fn describe_pair(t: &EventTable, src: Sym, host: Sym, ip: Sym) -> (Source, Destination) {
    let s = |i: &crate::table::Interner, id: Sym| {
        if id == NONE {
            None
        } else {
            i.get(id).map(str::to_string)
        }
    };
    let src = Source {
        ip: s(&t.srcs, src),
        user: None,
        hostname: None,
    };
    let domain = t.host_domain.get(host as usize).copied().unwrap_or(NONE);
    let service = t.host_service.get(host as usize).copied().unwrap_or(NONE);
    let dst = Destination {
        host: s(&t.hosts, host),
        domain: s(&t.domains, domain),
        ip: s(&t.ips, ip),
        port: None,
        service: s(&t.services, service),
        category: None,
    };
    (src, dst)
}

/// The user of the series: the first authenticated user among `rows`.
pub fn user_of(t: &EventTable, rows: &[u32]) -> Option<String> {
    rows.iter()
        .map(|&r| t.user.get(r as usize).copied().unwrap_or(NONE))
        .find(|&u| u != NONE)
        .and_then(|u| t.users.get(u))
        .map(str::to_string)
}

/// Picks up to `n` evidence samples spread evenly over `rows`.
pub fn samples(t: &EventTable, rows: &[u32], n: usize) -> Vec<Sample> {
    if rows.is_empty() || n == 0 {
        return Vec::new();
    }
    let k = n.min(rows.len());
    (0..k)
        .map(|i| {
            let r = rows[if k == 1 {
                0
            } else {
                i * (rows.len() - 1) / (k - 1)
            }];
            let l = t.locator(r);
            Sample {
                file: l.file,
                path: None,
                line: l.line,
                ts_ms: t.ts_ms[r as usize],
            }
        })
        .collect()
}
