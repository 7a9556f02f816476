//! Allowlists: analyst rules that suppress findings, retroactively.
//!
//! A rule never deletes a finding: [`apply`] sets a matching open finding's
//! status to [`Status::Suppressed`] and records which rule did it in
//! `evidence.notes["suppressed_by"]`, so suppressed findings stay visible
//! (in `kensa findings`, the report's annex and the web UI). Rules come
//! from a TOML file (`kensa analyze --allowlist FILE`, see [`parse_config`])
//! and from the case itself (`kensa allow add`, the web UI); both apply at
//! every analysis and whenever a rule is added ([`reapply`]).
//!
//! Rule kinds ([`AllowKind`]):
//! * `domain`: the destination host is the domain or one of its subdomains
//!   (`example.com` matches `example.com` and `a.b.example.com`, never
//!   `badexample.com`); also matches the finding's registered domain.
//! * `dst_cidr` (alias `cidr`): the destination IP (or IP-literal host)
//!   lies in the CIDR; a bare IP is a /32 or /128.
//! * `src_cidr`: the internal source IP lies in the CIDR (e.g. a
//!   vulnerability scanner or a proxy health checker).
//! * `user_agent`: one of the finding's user agents
//!   (`evidence.notes["user_agents"]`, one per line) matches the pattern;
//!   `*` is a wildcard, otherwise the match is exact.
//! * `service`: the destination's catalogued service name or id
//!   (case-insensitive).
//! * `host_dst`: a source (IP, CIDR or user name) together with a
//!   destination (domain with subdomains, or IP/CIDR) in `dst`.
//!
//! Any rule may be narrowed to one detector (`detector = "beacon"`).
//! Analysts' verdicts (confirmed, false positive, …) override a
//! suppression: the case stores them separately and they win when findings
//! are loaded.

use crate::finding::{Finding, Status};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// What a rule matches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllowKind {
    /// Destination domain with its subdomains.
    Domain,
    /// Destination IP in a CIDR.
    #[serde(alias = "cidr")]
    DstCidr,
    /// Source IP in a CIDR.
    SrcCidr,
    /// A user-agent pattern (`*` wildcard).
    UserAgent,
    /// A catalogued cloud service.
    Service,
    /// A source together with a destination.
    HostDst,
}

impl AllowKind {
    /// Every kind, for help texts and UIs.
    pub const ALL: [AllowKind; 6] = [
        AllowKind::Domain,
        AllowKind::DstCidr,
        AllowKind::SrcCidr,
        AllowKind::UserAgent,
        AllowKind::Service,
        AllowKind::HostDst,
    ];

    /// The kind's name as written in files and the case (`snake_case`).
    pub fn as_str(self) -> &'static str {
        match self {
            AllowKind::Domain => "domain",
            AllowKind::DstCidr => "dst_cidr",
            AllowKind::SrcCidr => "src_cidr",
            AllowKind::UserAgent => "user_agent",
            AllowKind::Service => "service",
            AllowKind::HostDst => "host_dst",
        }
    }

    /// Parses a kind name (`cidr` is accepted for `dst_cidr`).
    pub fn parse(s: &str) -> Option<AllowKind> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "domain" => Some(AllowKind::Domain),
            "dst_cidr" | "cidr" => Some(AllowKind::DstCidr),
            "src_cidr" => Some(AllowKind::SrcCidr),
            "user_agent" | "ua" => Some(AllowKind::UserAgent),
            "service" => Some(AllowKind::Service),
            "host_dst" => Some(AllowKind::HostDst),
            _ => None,
        }
    }
}

/// One allowlist rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowRule {
    /// Id in the case (`None` for rules from a config file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// What it matches on.
    pub kind: AllowKind,
    /// The pattern (domain, CIDR, user agent, service, or source for `host_dst`).
    pub value: String,
    /// The destination of a `host_dst` rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dst: Option<String>,
    /// Restricts the rule to one detector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detector: Option<String>,
    /// Why the rule exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Where the rule comes from (`case` or the config file's path).
    #[serde(default)]
    pub origin: String,
}

/// A rule that cannot be used, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// Which rule (1-based position in the file, or the case id).
    pub rule: String,
    /// Why.
    pub reason: String,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "allowlist rule {}: {}", self.rule, self.reason)
    }
}

impl std::error::Error for RuleError {}

fn parse_net(s: &str) -> Option<IpNet> {
    let s = s.trim();
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

fn norm_domain(s: &str) -> String {
    s.trim().trim_end_matches('.').trim_start_matches("*.").trim_start_matches('.').to_ascii_lowercase()
}

/// `host` is `domain` or a subdomain of it.
fn in_domain(host: &str, domain: &str) -> bool {
    let host = host.trim_end_matches('.');
    if host.len() < domain.len() {
        return false;
    }
    let (head, tail) = host.split_at(host.len() - domain.len());
    tail.eq_ignore_ascii_case(domain) && (head.is_empty() || head.ends_with('.'))
}

/// Glob match with `*` only (case-insensitive); no other metacharacters, so
/// a user agent full of regex syntax is just text.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

fn dst_ip(f: &Finding) -> Option<IpAddr> {
    f.dst
        .ip
        .as_deref()
        .and_then(|s| s.parse().ok())
        .or_else(|| f.dst.host.as_deref().and_then(|h| h.trim_matches(['[', ']']).parse().ok()))
}

fn src_ip(f: &Finding) -> Option<IpAddr> {
    f.src.ip.as_deref().and_then(|s| s.parse().ok())
}

/// The destination host or registered domain lies in `pattern`'s domain.
fn dst_in_domain(pattern: &str, f: &Finding) -> bool {
    let d = norm_domain(pattern);
    !d.is_empty()
        && (f.dst.host.as_deref().is_some_and(|h| in_domain(h, &d))
            || f.dst.domain.as_deref().is_some_and(|h| in_domain(h, &d)))
}

fn dst_matches(pattern: &str, f: &Finding) -> bool {
    match parse_net(pattern) {
        Some(net) => dst_ip(f).is_some_and(|ip| net.contains(&ip)),
        None => dst_in_domain(pattern, f),
    }
}

fn src_matches(pattern: &str, f: &Finding) -> bool {
    if let Some(net) = parse_net(pattern) {
        return src_ip(f).is_some_and(|ip| net.contains(&ip));
    }
    let p = pattern.trim();
    f.src.user.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(p))
        || f.src.hostname.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(p))
}

impl AllowRule {
    /// A case rule or a rule typed by an analyst, checked.
    pub fn new(kind: AllowKind, value: &str, dst: Option<&str>) -> Result<AllowRule, RuleError> {
        let r = AllowRule {
            id: None,
            kind,
            value: value.trim().to_string(),
            dst: dst.map(|d| d.trim().to_string()).filter(|d| !d.is_empty()),
            detector: None,
            note: None,
            origin: "case".into(),
        };
        r.validate().map_err(|reason| RuleError { rule: format!("{} {:?}", kind.as_str(), value), reason })?;
        Ok(r)
    }

    /// Checks that the rule can match something sensible.
    pub fn validate(&self) -> Result<(), String> {
        let v = self.value.trim();
        if v.is_empty() || v == "*" {
            return Err("empty pattern (a rule must not match everything)".into());
        }
        match self.kind {
            AllowKind::Domain => {
                let d = norm_domain(v);
                if d.is_empty() || d.contains('/') || d.contains(char::is_whitespace) {
                    return Err(format!("{v:?} is not a domain"));
                }
            }
            AllowKind::DstCidr | AllowKind::SrcCidr => {
                let net = parse_net(v).ok_or_else(|| format!("{v:?} is not an IP address or CIDR"))?;
                if net.prefix_len() == 0 {
                    return Err(format!("{v:?} would match every address"));
                }
            }
            AllowKind::HostDst => {
                let d = self.dst.as_deref().map(str::trim).unwrap_or("");
                if d.is_empty() {
                    return Err("host_dst needs a destination (`dst`)".into());
                }
                if d.contains('/') && parse_net(d).is_none() {
                    return Err(format!("{d:?} is not a domain, IP or CIDR"));
                }
            }
            AllowKind::UserAgent | AllowKind::Service => {}
        }
        Ok(())
    }

    /// Does this rule cover `f`?
    pub fn matches(&self, f: &Finding) -> bool {
        if let Some(d) = &self.detector {
            if !d.eq_ignore_ascii_case(&f.detector) {
                return false;
            }
        }
        let v = self.value.trim();
        match self.kind {
            AllowKind::Domain => dst_in_domain(v, f),
            AllowKind::DstCidr => parse_net(v).is_some_and(|n| dst_ip(f).is_some_and(|ip| n.contains(&ip))),
            AllowKind::SrcCidr => parse_net(v).is_some_and(|n| src_ip(f).is_some_and(|ip| n.contains(&ip))),
            AllowKind::UserAgent => f
                .evidence
                .notes
                .get("user_agents")
                .is_some_and(|uas| uas.lines().any(|ua| glob(v, ua))),
            AllowKind::Service => f.dst.service.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(v)),
            AllowKind::HostDst => {
                src_matches(v, f) && self.dst.as_deref().is_some_and(|d| dst_matches(d, f))
            }
        }
    }

    /// A one-line description (`domain=example.com`, `host_dst=10.0.0.5→x.com`).
    pub fn describe(&self) -> String {
        let mut s = match (&self.id, self.kind) {
            (Some(id), k) => format!("#{id} {}={}", k.as_str(), self.value),
            (None, k) => format!("{}={}", k.as_str(), self.value),
        };
        if let Some(d) = &self.dst {
            s.push('→');
            s.push_str(d);
        }
        if let Some(d) = &self.detector {
            s.push_str(&format!(" (detector {d})"));
        }
        s
    }
}

/// The allowlist file: `[[allow]]` tables with `kind`, `value`, and
/// optional `dst`, `detector`, `note`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    allow: Vec<ConfigRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigRule {
    kind: String,
    value: String,
    #[serde(default)]
    dst: Option<String>,
    #[serde(default)]
    detector: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

/// Parses an allowlist file. `origin` (its path) is recorded in each rule.
/// Every rule is checked; the first bad one is reported with its position.
///
/// ```
/// let rules = kensa_detect::allow::parse_config(r#"
/// [[allow]]
/// kind = "domain"
/// value = "windowsupdate.com"
/// note = "OS updates"
/// "#, "allow.toml").unwrap();
/// assert_eq!(rules[0].kind, kensa_detect::allow::AllowKind::Domain);
/// ```
pub fn parse_config(text: &str, origin: &str) -> Result<Vec<AllowRule>, RuleError> {
    let file: ConfigFile = toml::from_str(text).map_err(|e| RuleError { rule: origin.into(), reason: e.to_string() })?;
    let mut out = Vec::with_capacity(file.allow.len());
    for (i, r) in file.allow.into_iter().enumerate() {
        let at = format!("{} in {origin}", i + 1);
        let kind = AllowKind::parse(&r.kind).ok_or_else(|| RuleError {
            rule: at.clone(),
            reason: format!(
                "unknown kind {:?} (expected one of {})",
                r.kind,
                AllowKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
            ),
        })?;
        let rule = AllowRule {
            id: None,
            kind,
            value: r.value,
            dst: r.dst,
            detector: r.detector,
            note: r.note,
            origin: origin.to_string(),
        };
        rule.validate().map_err(|reason| RuleError { rule: at, reason })?;
        out.push(rule);
    }
    Ok(out)
}

/// Indices of the findings `rule` would cover (whatever their status): the
/// preview shown before a rule is saved.
pub fn preview(rule: &AllowRule, findings: &[Finding]) -> Vec<usize> {
    findings.iter().enumerate().filter(|(_, f)| rule.matches(f)).map(|(i, _)| i).collect()
}

/// Marks open findings covered by any rule as suppressed, naming the rule.
/// Returns how many findings were suppressed.
pub fn apply(rules: &[AllowRule], findings: &mut [Finding]) -> usize {
    let mut n = 0;
    for f in findings.iter_mut() {
        if f.status != Status::Open {
            continue;
        }
        if let Some(r) = rules.iter().find(|r| r.matches(f)) {
            f.status = Status::Suppressed;
            f.evidence.notes.insert("suppressed_by".into(), r.describe());
            n += 1;
        }
    }
    n
}

/// Re-evaluates suppressions after the rules changed: findings suppressed
/// by an earlier rule set are reopened, then [`apply`] runs. Returns how
/// many findings are suppressed now.
pub fn reapply(rules: &[AllowRule], findings: &mut [Finding]) -> usize {
    for f in findings.iter_mut() {
        if f.status == Status::Suppressed {
            f.status = Status::Open;
            f.evidence.notes.remove("suppressed_by");
        }
    }
    apply(rules, findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(src: &str, host: &str, ip: Option<&str>) -> Finding {
        let mut f = Finding::new("beacon", src, host, "t".into(), 80.0);
        f.src.ip = Some(src.into());
        f.dst.host = Some(host.into());
        f.dst.domain = Some(host.rsplitn(3, '.').take(2).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("."));
        f.dst.ip = ip.map(String::from);
        f
    }

    #[test]
    fn domain_rule_covers_subdomains_only() {
        let r = AllowRule::new(AllowKind::Domain, "Example.com.", None).unwrap();
        assert!(r.matches(&finding("10.0.0.1", "a.b.example.com", None)));
        assert!(r.matches(&finding("10.0.0.1", "example.com", None)));
        let mut f = finding("10.0.0.1", "badexample.com", None);
        f.dst.domain = Some("badexample.com".into());
        assert!(!r.matches(&f));
    }

    #[test]
    fn cidr_rules_match_ip_and_ip_literal_hosts() {
        let dst = AllowRule::new(AllowKind::DstCidr, "203.0.113.0/24", None).unwrap();
        assert!(dst.matches(&finding("10.0.0.1", "x.example", Some("203.0.113.9"))));
        assert!(dst.matches(&finding("10.0.0.1", "203.0.113.7", None)));
        assert!(!dst.matches(&finding("10.0.0.1", "x.example", Some("198.51.100.1"))));
        let src = AllowRule::new(AllowKind::SrcCidr, "10.9.0.0/16", None).unwrap();
        assert!(src.matches(&finding("10.9.3.4", "x.example", None)));
        assert!(!src.matches(&finding("10.8.3.4", "x.example", None)));
        assert!(AllowRule::new(AllowKind::DstCidr, "0.0.0.0/0", None).is_err());
        assert!(AllowRule::new(AllowKind::DstCidr, "not-an-ip", None).is_err());
    }

    #[test]
    fn user_agent_rule_is_a_glob_not_a_regex() {
        let mut f = finding("10.0.0.1", "x.example", None);
        f.evidence.notes.insert("user_agents".into(), "Mozilla/5.0 (x)\nZoomUpdater/5.1 (.*)".into());
        assert!(AllowRule::new(AllowKind::UserAgent, "zoomupdater/*", None).unwrap().matches(&f));
        assert!(AllowRule::new(AllowKind::UserAgent, "ZoomUpdater/5.1 (.*)", None).unwrap().matches(&f));
        assert!(!AllowRule::new(AllowKind::UserAgent, "Zoom", None).unwrap().matches(&f));
        assert!(!AllowRule::new(AllowKind::UserAgent, "curl/*", None).unwrap().matches(&f));
        assert!(AllowRule::new(AllowKind::UserAgent, "*", None).is_err());
    }

    #[test]
    fn host_dst_needs_both_sides() {
        let r = AllowRule::new(AllowKind::HostDst, "10.0.0.5", Some("monitor.example.net")).unwrap();
        assert!(r.matches(&finding("10.0.0.5", "api.monitor.example.net", None)));
        assert!(!r.matches(&finding("10.0.0.6", "api.monitor.example.net", None)));
        assert!(!r.matches(&finding("10.0.0.5", "other.example.net", None)));
        let mut by_user = finding("10.0.0.7", "monitor.example.net", None);
        by_user.src.user = Some("SVC-Backup".into());
        let u = AllowRule::new(AllowKind::HostDst, "svc-backup", Some("example.net")).unwrap();
        assert!(u.matches(&by_user));
        assert!(AllowRule::new(AllowKind::HostDst, "10.0.0.5", None).is_err());
    }

    #[test]
    fn apply_suppresses_open_only_and_reapply_reopens() {
        let mut fs = vec![
            finding("10.0.0.1", "cdn.example.com", None),
            finding("10.0.0.2", "cdn.example.com", None),
            finding("10.0.0.3", "evil.test", None),
        ];
        fs[1].status = Status::Confirmed;
        let mut rule = AllowRule::new(AllowKind::Domain, "example.com", None).unwrap();
        rule.id = Some(7);
        assert_eq!(preview(&rule, &fs), vec![0, 1]);
        assert_eq!(apply(std::slice::from_ref(&rule), &mut fs), 1);
        assert_eq!(fs[0].status, Status::Suppressed);
        assert_eq!(fs[0].evidence.notes["suppressed_by"], "#7 domain=example.com");
        assert_eq!(fs[1].status, Status::Confirmed, "an analyst's verdict is not overridden");
        assert_eq!(fs[2].status, Status::Open);
        // The rule is removed: the finding comes back.
        assert_eq!(reapply(&[], &mut fs), 0);
        assert_eq!(fs[0].status, Status::Open);
        assert!(!fs[0].evidence.notes.contains_key("suppressed_by"));
    }

    #[test]
    fn detector_scope_narrows_a_rule() {
        let f = finding("10.0.0.1", "cdn.example.com", None);
        let mut r = AllowRule::new(AllowKind::Domain, "example.com", None).unwrap();
        r.detector = Some("dga".into());
        assert!(!r.matches(&f));
        r.detector = Some("beacon".into());
        assert!(r.matches(&f));
    }

    #[test]
    fn config_file_errors_name_the_rule() {
        let ok = parse_config(
            "[[allow]]\nkind='cidr'\nvalue='192.0.2.0/24'\n[[allow]]\nkind='host_dst'\nvalue='10.1.1.1'\ndst='x.example'\ndetector='beacon'\n",
            "a.toml",
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].kind, AllowKind::DstCidr);
        assert_eq!(ok[1].origin, "a.toml");
        let e = parse_config("[[allow]]\nkind='domain'\nvalue='a.com'\n[[allow]]\nkind='color'\nvalue='x'\n", "b.toml").unwrap_err();
        assert_eq!(e.rule, "2 in b.toml");
        assert!(e.reason.contains("unknown kind"), "{e}");
        let e = parse_config("[[allow]]\nkind='domain'\nvalue=''\n", "c.toml").unwrap_err();
        assert!(e.reason.contains("empty"), "{e}");
        assert!(parse_config("[[allow]]\nkind='domain'\nvalu='x'\n", "d.toml").is_err());
    }
}
