//! The findings contract: what every detector emits.
//!
//! A [`Finding`] serialises to the JSON described by
//! `schema/findings.schema.json` (`{"findings": [...]}`). Its [`Finding::key`]
//! is stable across re-runs (detector + source + destination), so an
//! analyst's verdict ([`Status`]) can be carried over to a new run.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How urgent a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Informational.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// The lower-case name, as written in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
    /// The default mapping from a 0–100 score: ≥90 critical, ≥75 high,
    /// ≥50 medium, ≥25 low, else info.
    pub fn from_score(score: f64) -> Severity {
        match score {
            s if s >= 90.0 => Severity::Critical,
            s if s >= 75.0 => Severity::High,
            s if s >= 50.0 => Severity::Medium,
            s if s >= 25.0 => Severity::Low,
            _ => Severity::Info,
        }
    }
}

/// The analyst's verdict on a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not yet reviewed.
    #[default]
    Open,
    /// Confirmed malicious / policy violation.
    Confirmed,
    /// The detector was wrong.
    FalsePositive,
    /// Real, but allowed (e.g. a sanctioned updater).
    Benign,
    /// Hidden by a suppression rule.
    Suppressed,
    /// An analyst wants a second look.
    NeedsReview,
}

/// The internal side of a finding.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// Client address.
    pub ip: Option<String>,
    /// Authenticated user.
    pub user: Option<String>,
    /// Host name, if known.
    pub hostname: Option<String>,
}

/// The external side of a finding.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Destination {
    /// FQDN (or IP literal used as a host).
    pub host: Option<String>,
    /// Registered domain.
    pub domain: Option<String>,
    /// Server IP.
    pub ip: Option<String>,
    /// Port.
    pub port: Option<u16>,
    /// Cloud service name.
    pub service: Option<String>,
    /// URL category.
    pub category: Option<String>,
}

/// An analyst-readable explanation in English and Japanese.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// English.
    pub en: String,
    /// Japanese.
    pub ja: String,
}

/// A source record cited as evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Source file id (index into the case's file list).
    pub file: u16,
    /// The source file's path, filled in by the case when it exports findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Line number in that file.
    pub line: u32,
    /// Event time (ms since epoch).
    pub ts_ms: i64,
}

/// Figures backing a finding.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Named sub-scores and measurements (all finite).
    pub figures: BTreeMap<String, f64>,
    /// Named textual facts (e.g. the DGA label scored).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub notes: BTreeMap<String, String>,
    /// A few source records.
    pub samples: Vec<Sample>,
}

/// One detection result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Unique id of this finding (hex hash of `key`).
    pub id: String,
    /// Stable identity: `detector|source|destination`.
    pub key: String,
    /// Detector id.
    pub detector: String,
    /// Short title.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    /// Score 0–100.
    pub score: f64,
    /// Internal side.
    pub src: Source,
    /// External side.
    pub dst: Destination,
    /// First event time (ms).
    pub first_seen: i64,
    /// Last event time (ms).
    pub last_seen: i64,
    /// Number of events.
    pub count: u64,
    /// Bytes uploaded, if known.
    pub bytes_up: Option<u64>,
    /// Bytes downloaded, if known.
    pub bytes_down: Option<u64>,
    /// MITRE ATT&CK technique ids.
    pub attack: Vec<String>,
    /// Analyst-readable explanation.
    pub explanation: Explanation,
    /// Supporting figures and samples.
    pub evidence: Evidence,
    /// Analyst verdict.
    pub status: Status,
}

/// FNV-1a 64: a tiny, stable, dependency-free hash for finding ids (stability
/// across versions matters more than speed here, so no `std` hasher).
pub fn stable_hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Finding {
    /// Builds the stable key from its parts; `|` inside parts is escaped.
    pub fn make_key(detector: &str, src: &str, dst: &str) -> String {
        let esc = |s: &str| s.replace('%', "%25").replace('|', "%7C");
        format!("{}|{}|{}", esc(detector), esc(src), esc(dst))
    }
    /// A finding with the given identity and defaults elsewhere; the id is
    /// derived from the key. Score is clamped to 0–100 (NaN → 0).
    pub fn new(detector: &str, src_key: &str, dst_key: &str, title: String, score: f64) -> Finding {
        let key = Finding::make_key(detector, src_key, dst_key);
        let score = if score.is_finite() {
            score.clamp(0.0, 100.0)
        } else {
            0.0
        };
        Finding {
            id: format!("{:016x}", stable_hash(&key)),
            key,
            detector: detector.to_string(),
            title,
            severity: Severity::from_score(score),
            score,
            src: Source::default(),
            dst: Destination::default(),
            first_seen: 0,
            last_seen: 0,
            count: 0,
            bytes_up: None,
            bytes_down: None,
            attack: Vec::new(),
            explanation: Explanation::default(),
            evidence: Evidence::default(),
            status: Status::Open,
        }
    }
    /// Inserts a figure, replacing non-finite values by 0 (JSON has no NaN).
    pub fn figure(&mut self, name: &str, v: f64) {
        self.evidence
            .figures
            .insert(name.to_string(), if v.is_finite() { v } else { 0.0 });
    }
}

/// The document shape the schema describes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FindingsDoc {
    /// All findings.
    pub findings: Vec<Finding>,
}

/// The JSON Schema for [`FindingsDoc`], as shipped in `schema/`.
pub const FINDINGS_SCHEMA: &str = include_str!("../schema/findings.schema.json");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_stable_and_escaped() {
        let a = Finding::new("beacon", "10.0.0.1", "evil|x.com", "t".into(), 50.0);
        let b = Finding::new("beacon", "10.0.0.1", "evil|x.com", "other".into(), 10.0);
        assert_eq!(a.key, "beacon|10.0.0.1|evil%7Cx.com");
        assert_eq!(a.id, b.id);
        assert_eq!(a.id.len(), 16);
        // Known FNV-1a value: pins the id so it never silently changes.
        assert_eq!(stable_hash("a"), 0xaf63dc4c8601ec8c);
    }

    #[test]
    fn score_is_clamped_and_maps_to_severity() {
        assert_eq!(
            Finding::new("d", "s", "t", String::new(), f64::NAN).score,
            0.0
        );
        assert_eq!(
            Finding::new("d", "s", "t", String::new(), 150.0).severity,
            Severity::Critical
        );
        assert_eq!(Severity::from_score(60.0), Severity::Medium);
        assert_eq!(Severity::from_score(10.0), Severity::Info);
    }
}
