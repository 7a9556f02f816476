//! Per-host roll-up: the answer to "which machines need action?".
//!
//! [`rollup`] groups findings by internal source (IP, or user where the
//! log has no IP) and gives each a [`HostVerdict`]:
//!
//! * **likely compromised**: an active C2-class finding (ATT&CK command
//!   and control: T1071, T1573, T1568, T1571, T1572, T1090, T1095, T1105,
//!   T1102, T1132, T1001, T1008, T1204) rated high or critical, or
//!   confirmed by an analyst at any severity, or C2-class findings of at
//!   least medium severity from two different detectors;
//! * **leak risk**: an active exfiltration-class finding (T1041, T1048,
//!   T1567, T1030, T1029, T1020, T1537, T1052) of at least medium severity,
//!   or confirmed;
//! * **policy**: only other active findings (low severity, or classes
//!   such as unsanctioned use that are matters of policy);
//! * **nothing found**: every finding was dismissed (false positive,
//!   benign, suppressed), or the host is listed by [`with_quiet_hosts`].
//!
//! The class comes from the finding's ATT&CK techniques, not from the
//! detector's name, so detectors added later roll up without changes here.

use crate::finding::{Finding, Severity, Status};
use serde::Serialize;
use std::collections::BTreeMap;

/// The verdict for one internal host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HostVerdict {
    /// Command-and-control evidence: isolate and investigate first.
    LikelyCompromised,
    /// Data is leaving: check what and why.
    LeakRisk,
    /// Policy matters only.
    Policy,
    /// Nothing (left) to act on.
    NothingFound,
}

impl HostVerdict {
    /// The verdict in English.
    pub fn label_en(self) -> &'static str {
        match self {
            HostVerdict::LikelyCompromised => "likely compromised",
            HostVerdict::LeakRisk => "leak risk",
            HostVerdict::Policy => "policy",
            HostVerdict::NothingFound => "nothing found",
        }
    }
    /// The verdict in Japanese.
    pub fn label_ja(self) -> &'static str {
        match self {
            HostVerdict::LikelyCompromised => "感染の疑い",
            HostVerdict::LeakRisk => "情報漏えいリスク",
            HostVerdict::Policy => "ポリシー違反",
            HostVerdict::NothingFound => "問題なし",
        }
    }
    /// `snake_case` name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            HostVerdict::LikelyCompromised => "likely_compromised",
            HostVerdict::LeakRisk => "leak_risk",
            HostVerdict::Policy => "policy",
            HostVerdict::NothingFound => "nothing_found",
        }
    }
}

/// What kind of problem a finding shows, from its ATT&CK techniques.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingClass {
    /// Command and control.
    C2,
    /// Exfiltration / data leaving.
    Leak,
    /// Anything else.
    Policy,
}

const C2_TECHNIQUES: &[&str] = &[
    "T1071", "T1573", "T1568", "T1571", "T1572", "T1090", "T1095", "T1105", "T1102", "T1132", "T1001", "T1008", "T1204",
];
const LEAK_TECHNIQUES: &[&str] = &["T1041", "T1048", "T1567", "T1030", "T1029", "T1020", "T1537", "T1052"];

/// The class of a finding: C2 wins over leak when both apply.
pub fn class_of(f: &Finding) -> FindingClass {
    let base = |t: &String| t.split('.').next().unwrap_or("").to_ascii_uppercase();
    if f.attack.iter().any(|t| C2_TECHNIQUES.contains(&base(t).as_str())) {
        FindingClass::C2
    } else if f.attack.iter().any(|t| LEAK_TECHNIQUES.contains(&base(t).as_str())) {
        FindingClass::Leak
    } else {
        FindingClass::Policy
    }
}

/// Is the finding still something to act on?
pub fn is_active(f: &Finding) -> bool {
    !matches!(f.status, Status::FalsePositive | Status::Benign | Status::Suppressed)
}

/// One internal host and what was found on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostSummary {
    /// The source key: IP address, or user name when no IP is known.
    pub host: String,
    /// Its IP address, if known.
    pub ip: Option<String>,
    /// Host name, if known.
    pub hostname: Option<String>,
    /// Users seen in its findings.
    pub users: Vec<String>,
    /// The verdict.
    pub verdict: HostVerdict,
    /// Highest score among active findings (0 if none).
    pub score: f64,
    /// Highest severity among active findings.
    pub severity: Option<Severity>,
    /// Keys of the findings behind the verdict (active, best first).
    pub reasons: Vec<String>,
    /// Keys of every finding on the host, best first.
    pub findings: Vec<String>,
    /// Active findings per severity name.
    pub by_severity: BTreeMap<String, usize>,
    /// Detectors with active findings.
    pub detectors: Vec<String>,
    /// Number of dismissed findings (false positive, benign, suppressed).
    pub dismissed: usize,
    /// First and last event time over all its findings (ms).
    pub first_seen: i64,
    /// See `first_seen`.
    pub last_seen: i64,
}

/// The source key a finding belongs to.
pub fn host_key(f: &Finding) -> String {
    f.src
        .ip
        .clone()
        .or_else(|| f.src.user.clone())
        .or_else(|| f.src.hostname.clone())
        .unwrap_or_else(|| "(unknown)".into())
}

/// Rolls findings up per internal host, most urgent first (verdict, then
/// score, then host).
pub fn rollup(findings: &[Finding]) -> Vec<HostSummary> {
    let mut groups: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        groups.entry(host_key(f)).or_default().push(f);
    }
    let mut out: Vec<HostSummary> = groups.into_iter().map(|(host, fs)| summarise(host, fs)).collect();
    sort(&mut out);
    out
}

fn sort(v: &mut [HostSummary]) {
    v.sort_by(|a, b| {
        a.verdict
            .cmp(&b.verdict)
            .then_with(|| b.score.total_cmp(&a.score))
            .then_with(|| a.host.cmp(&b.host))
    });
}

fn summarise(host: String, mut fs: Vec<&Finding>) -> HostSummary {
    fs.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.key.cmp(&b.key)));
    let active: Vec<&Finding> = fs.iter().copied().filter(|f| is_active(f)).collect();
    let at_least = |f: &Finding, s: Severity| f.severity >= s;
    let c2: Vec<&Finding> = active.iter().copied().filter(|f| class_of(f) == FindingClass::C2).collect();
    let leak: Vec<&Finding> = active.iter().copied().filter(|f| class_of(f) == FindingClass::Leak).collect();
    let c2_strong: Vec<&Finding> = c2
        .iter()
        .copied()
        .filter(|f| at_least(f, Severity::High) || f.status == Status::Confirmed)
        .collect();
    let c2_medium_detectors: std::collections::BTreeSet<&str> =
        c2.iter().filter(|f| at_least(f, Severity::Medium)).map(|f| f.detector.as_str()).collect();
    let leak_strong: Vec<&Finding> = leak
        .iter()
        .copied()
        .filter(|f| at_least(f, Severity::Medium) || f.status == Status::Confirmed)
        .collect();
    let (verdict, reasons): (HostVerdict, Vec<&Finding>) = if !c2_strong.is_empty() {
        (HostVerdict::LikelyCompromised, c2_strong)
    } else if c2_medium_detectors.len() >= 2 {
        (
            HostVerdict::LikelyCompromised,
            c2.iter().copied().filter(|f| at_least(f, Severity::Medium)).collect(),
        )
    } else if !leak_strong.is_empty() {
        (HostVerdict::LeakRisk, leak_strong)
    } else if !active.is_empty() {
        (HostVerdict::Policy, active.clone())
    } else {
        (HostVerdict::NothingFound, Vec::new())
    };
    let mut by_severity = BTreeMap::new();
    for f in &active {
        *by_severity.entry(f.severity.as_str().to_string()).or_insert(0) += 1;
    }
    let mut users: Vec<String> = fs.iter().filter_map(|f| f.src.user.clone()).collect();
    users.sort();
    users.dedup();
    let mut detectors: Vec<String> = active.iter().map(|f| f.detector.clone()).collect();
    detectors.sort();
    detectors.dedup();
    HostSummary {
        ip: fs.iter().find_map(|f| f.src.ip.clone()),
        hostname: fs.iter().find_map(|f| f.src.hostname.clone()),
        users,
        verdict,
        score: active.first().map_or(0.0, |f| f.score),
        severity: active.iter().map(|f| f.severity).max(),
        reasons: reasons.iter().map(|f| f.key.clone()).collect(),
        findings: fs.iter().map(|f| f.key.clone()).collect(),
        by_severity,
        detectors,
        dismissed: fs.len() - active.len(),
        first_seen: fs.iter().map(|f| f.first_seen).min().unwrap_or(0),
        last_seen: fs.iter().map(|f| f.last_seen).max().unwrap_or(0),
        host,
    }
}

/// Adds every host in `all_hosts` that has no finding as "nothing found"
/// (so the roll-up covers the whole network), keeping the order.
pub fn with_quiet_hosts(mut summaries: Vec<HostSummary>, all_hosts: impl IntoIterator<Item = String>) -> Vec<HostSummary> {
    let known: std::collections::HashSet<String> = summaries.iter().map(|h| h.host.clone()).collect();
    let mut quiet: Vec<String> = all_hosts.into_iter().filter(|h| !known.contains(h)).collect();
    quiet.sort();
    quiet.dedup();
    for host in quiet {
        summaries.push(HostSummary {
            ip: host.parse::<std::net::IpAddr>().ok().map(|_| host.clone()),
            hostname: None,
            users: Vec::new(),
            verdict: HostVerdict::NothingFound,
            score: 0.0,
            severity: None,
            reasons: Vec::new(),
            findings: Vec::new(),
            by_severity: BTreeMap::new(),
            detectors: Vec::new(),
            dismissed: 0,
            first_seen: 0,
            last_seen: 0,
            host,
        });
    }
    sort(&mut summaries);
    summaries
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(det: &str, src: &str, dst: &str, score: f64, attack: &[&str]) -> Finding {
        let mut f = Finding::new(det, src, dst, "t".into(), score);
        f.src.ip = Some(src.into());
        f.attack = attack.iter().map(|s| s.to_string()).collect();
        f.first_seen = 1000;
        f.last_seen = 2000;
        f
    }

    #[test]
    fn verdicts_follow_class_and_severity() {
        let fs = vec![
            f("beacon", "10.0.0.1", "evil.test", 85.0, &["T1071.001"]),
            f("leak-risk", "10.0.0.1", "mega.nz", 60.0, &["T1567.002"]),
            f("leak-risk", "10.0.0.2", "mega.nz", 60.0, &["T1567.002"]),
            f("proxy-signals", "10.0.0.3", "x.test", 20.0, &["T1071.001"]),
            f("beacon", "10.0.0.4", "a.test", 50.0, &["T1071.001"]),
            f("dga", "10.0.0.4", "qwxzv.test", 55.0, &["T1568.002"]),
        ];
        let hs = rollup(&fs);
        let v: Vec<(&str, HostVerdict)> = hs.iter().map(|h| (h.host.as_str(), h.verdict)).collect();
        assert_eq!(
            v,
            vec![
                ("10.0.0.1", HostVerdict::LikelyCompromised),
                ("10.0.0.4", HostVerdict::LikelyCompromised),
                ("10.0.0.2", HostVerdict::LeakRisk),
                ("10.0.0.3", HostVerdict::Policy),
            ]
        );
        assert_eq!(hs[0].reasons, vec![fs[0].key.clone()]);
        assert_eq!(hs[0].findings.len(), 2);
        assert_eq!(hs[1].reasons.len(), 2, "two medium C2 detectors make the verdict together");
        assert_eq!(hs[0].severity, Some(Severity::High));
    }

    #[test]
    fn dismissed_findings_do_not_count_but_confirmed_do() {
        let mut a = f("beacon", "10.0.0.1", "evil.test", 90.0, &["T1071.001"]);
        a.status = Status::FalsePositive;
        let mut b = f("beacon", "10.0.0.2", "evil.test", 30.0, &["T1071.001"]);
        b.status = Status::Confirmed;
        let hs = rollup(&[a, b]);
        assert_eq!(hs[0].host, "10.0.0.2");
        assert_eq!(hs[0].verdict, HostVerdict::LikelyCompromised);
        assert_eq!(hs[1].verdict, HostVerdict::NothingFound);
        assert_eq!(hs[1].dismissed, 1);
        assert_eq!(hs[1].score, 0.0);
    }

    #[test]
    fn user_keyed_and_quiet_hosts() {
        let mut a = Finding::new("leak-risk", "alice", "box.com", "t".into(), 55.0);
        a.src.user = Some("alice".into());
        a.attack = vec!["T1567.002".into()];
        let hs = with_quiet_hosts(rollup(&[a]), vec!["10.0.0.9".to_string(), "alice".to_string()]);
        assert_eq!(hs.len(), 2);
        assert_eq!(hs[0].host, "alice");
        assert_eq!(hs[0].users, vec!["alice"]);
        assert_eq!(hs[1].verdict, HostVerdict::NothingFound);
        assert_eq!(hs[1].ip.as_deref(), Some("10.0.0.9"));
        assert!(rollup(&[]).is_empty());
    }
}
