//! # kensa-triage
//!
//! The analyst's layer over a case, shared by the CLI (`kensa findings`,
//! `kensa hosts`, `kensa allow`, `kensa verdict`), the report and the
//! workbench (`kensa serve`), so all three see the same thing:
//!
//! * [`load_findings`]: the stored findings with analysts' verdicts applied
//!   (a verdict always beats what analysis or an allowlist decided).
//! * [`set_verdict`]: a checked verdict change, recorded in the case's audit
//!   trail (`verdict_audit`: who, when, old and new status and note).
//! * Allowlists: [`case_rules`] (the case's `allow_rules` table plus the
//!   allowlist file recorded by [`adopt_allowlist_file`]), [`preview_rule`],
//!   [`add_rule`], [`remove_rule`] and [`reapply`]. Rules apply
//!   retroactively: a covered finding becomes `suppressed` with
//!   `evidence.notes.suppressed_by`, it is never deleted, and removing the
//!   rule reopens it.
//! * [`host_rollup`]: likely compromised / leak risk / policy / nothing
//!   found per internal host ([`kensa_detect::hosts`]).
//! * [`csv::findings_csv`]: the one findings CSV of every export.
//!
//! *Invariant:* this crate never changes a finding's detection content, only
//! its triage state; re-running analysis keeps every verdict, rule and note
//! because they are keyed by the stable finding key.

pub mod csv;

use anyhow::{Context as _, Result, anyhow, bail};
use kensa_detect::allow::{self, AllowKind, AllowRule};
use kensa_detect::hosts::{self, HostSummary};
use kensa_detect::{Finding, Severity, Status};
use kensa_store::Case;
use kensa_store::case::{NewAllowRule, StoredAllowRule};

/// Meta key holding the allowlist file's text.
pub const META_ALLOWLIST: &str = "allowlist.toml";
/// Meta key holding the allowlist file's path (for messages).
pub const META_ALLOWLIST_PATH: &str = "allowlist.path";

/// Parses a severity name (`critical`, `high`, `medium`, `low`, `info`).
pub fn parse_severity(s: &str) -> Option<Severity> {
    serde_json::from_value(serde_json::Value::String(s.to_ascii_lowercase())).ok()
}

/// Parses a status name as stored (`open`, `confirmed`, `false_positive`,
/// `benign`, `needs_review`, `suppressed`).
pub fn parse_status(s: &str) -> Option<Status> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

/// The stored name of a status.
pub fn status_name(s: Status) -> String {
    serde_json::to_value(s).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

/// The stored findings with analysts' verdicts applied, at or above `min`,
/// highest score first.
pub fn load_findings(case: &Case, min: Severity) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    for (json, verdict, _note) in case.findings()? {
        let mut f: Finding = serde_json::from_str(&json).context("a stored finding is not valid JSON")?;
        if let Some(st) = verdict.as_deref().and_then(parse_status) {
            f.status = st;
        }
        if f.severity >= min {
            out.push(f);
        }
    }
    Ok(out)
}

/// Sets an analyst's verdict on a finding (by key), with the audit row.
/// Refuses unknown keys and `suppressed` (that status belongs to allowlist
/// rules, so removing a rule can reopen what it covered).
pub fn set_verdict(case: &mut Case, key: &str, status: Status, note: Option<&str>, analyst: Option<&str>) -> Result<()> {
    if status == Status::Suppressed {
        bail!("`suppressed` is set by allowlist rules; add a rule (kensa allow add) instead");
    }
    let known: bool = case.db().query_row("SELECT EXISTS(SELECT 1 FROM findings WHERE key=?1)", [key], |r| r.get(0))?;
    if !known {
        bail!("no finding with key {key:?} in this case");
    }
    case.set_verdict(key, &status_name(status), note, analyst)?;
    Ok(())
}

/// Reads, checks and records an allowlist file in the case (meta
/// [`META_ALLOWLIST`]), so later re-applications use it without it being
/// passed again. Returns the number of rules.
pub fn adopt_allowlist_file(case: &Case, path: &std::path::Path) -> Result<usize> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading allowlist {}", path.display()))?;
    let origin = path.display().to_string();
    let rules = allow::parse_config(&text, &origin).map_err(|e| anyhow!("{e}"))?;
    case.set_meta(META_ALLOWLIST, &text)?;
    case.set_meta(META_ALLOWLIST_PATH, &origin)?;
    Ok(rules.len())
}

fn from_stored(r: &StoredAllowRule) -> Result<AllowRule> {
    let kind = AllowKind::parse(&r.kind).ok_or_else(|| anyhow!("allowlist rule #{}: unknown kind {:?}", r.id, r.kind))?;
    Ok(AllowRule {
        id: Some(r.id),
        kind,
        value: r.value.clone(),
        dst: r.dst.clone(),
        detector: r.detector.clone(),
        note: r.note.clone(),
        origin: "case".into(),
    })
}

/// Every rule in force for the case: the recorded file's, then the case's.
pub fn case_rules(case: &Case) -> Result<Vec<AllowRule>> {
    let mut rules = Vec::new();
    if let Some(text) = case.meta(META_ALLOWLIST)? {
        let origin = case.meta(META_ALLOWLIST_PATH)?.unwrap_or_else(|| "allowlist".into());
        rules.extend(allow::parse_config(&text, &origin).map_err(|e| anyhow!("{e}"))?);
    }
    for r in case.allow_rules()? {
        rules.push(from_stored(&r)?);
    }
    Ok(rules)
}

/// The rules stored in the case (not the file's), as stored.
pub fn stored_rules(case: &Case) -> Result<Vec<StoredAllowRule>> {
    Ok(case.allow_rules()?)
}

/// Re-applies every rule to the stored findings (after a rule was added
/// or removed); returns how many findings are suppressed now. Only findings
/// whose suppression changed are rewritten.
pub fn reapply(case: &mut Case) -> Result<usize> {
    let rules = case_rules(case)?;
    let mut findings: Vec<Finding> = Vec::new();
    for (json, _, _) in case.findings()? {
        findings.push(serde_json::from_str(&json).context("a stored finding is not valid JSON")?);
    }
    let before: Vec<(Status, Option<String>)> =
        findings.iter().map(|f| (f.status, f.evidence.notes.get("suppressed_by").cloned())).collect();
    let n = allow::reapply(&rules, &mut findings);
    let mut updates = Vec::new();
    for (f, old) in findings.iter().zip(before) {
        if (f.status, f.evidence.notes.get("suppressed_by").cloned()) != old {
            updates.push((f.key.clone(), serde_json::to_string(f).context("serialising a finding")?));
        }
    }
    case.rewrite_findings(&updates)?;
    Ok(n)
}

/// Builds and checks a rule from its parts (kind name, pattern, destination
/// of a `host_dst` rule, detector limit).
pub fn make_rule(kind: &str, value: &str, dst: Option<&str>, detector: Option<&str>) -> Result<AllowRule> {
    let k = AllowKind::parse(kind).ok_or_else(|| {
        anyhow!(
            "unknown rule kind {kind:?} (expected one of {})",
            AllowKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
        )
    })?;
    let mut r = AllowRule::new(k, value, dst).map_err(|e| anyhow!("{e}"))?;
    r.detector = detector.filter(|d| !d.is_empty()).map(String::from);
    Ok(r)
}

/// The findings (verdicts applied) a rule would cover.
pub fn preview_rule(case: &Case, rule: &AllowRule) -> Result<Vec<Finding>> {
    let findings = load_findings(case, Severity::Info)?;
    Ok(allow::preview(rule, &findings).into_iter().map(|i| findings[i].clone()).collect())
}

/// Checks a rule, stores it and re-applies the allowlist. Returns (rule id,
/// findings covered, findings suppressed now in the whole case).
pub fn add_rule(case: &mut Case, rule: &NewAllowRule<'_>) -> Result<(i64, usize, usize)> {
    let r = make_rule(rule.kind, rule.value, rule.dst, rule.detector)?;
    let covered = preview_rule(case, &r)?.len();
    let stored = NewAllowRule { kind: r.kind.as_str(), detector: r.detector.as_deref(), ..*rule };
    let id = case.add_allow_rule(&stored)?;
    let now = reapply(case)?;
    Ok((id, covered, now))
}

/// Removes a stored rule and re-applies the rest (what only it covered is
/// reopened). Returns whether the rule existed and the suppressed count.
pub fn remove_rule(case: &mut Case, id: i64) -> Result<(bool, usize)> {
    let existed = case.remove_allow_rule(id)?;
    let now = reapply(case)?;
    Ok((existed, now))
}

/// The roll-up of the stored findings (verdicts applied), optionally with
/// every client of the case that has no finding.
pub fn host_rollup(case: &Case, all: bool) -> Result<Vec<HostSummary>> {
    let findings = load_findings(case, Severity::Info)?;
    let mut hs = hosts::rollup(&findings);
    if all {
        use kensa_store::arrow::array::Array as _;
        let q = kensa_store::query::CaseQuery::new(case)?;
        let batches = q.sql("SELECT DISTINCT client_ip FROM web_requests WHERE client_ip IS NOT NULL")?;
        let mut clients = Vec::new();
        for b in &batches {
            let a = b
                .column(0)
                .as_any()
                .downcast_ref::<kensa_store::arrow::array::StringArray>()
                .ok_or_else(|| anyhow!("client_ip is not a string column"))?;
            for i in 0..a.len() {
                clients.push(a.value(i).to_string());
            }
        }
        hs = hosts::with_quiet_hosts(hs, clients);
    }
    Ok(hs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(det: &str, src: &str, dst: &str, score: f64) -> Finding {
        let mut f = Finding::new(det, src, dst, format!("{det} {src} -> {dst}"), score);
        f.src.ip = Some(src.into());
        f.dst.host = Some(dst.into());
        f.dst.domain = Some(dst.into());
        f.attack = vec!["T1071.001".into()];
        f
    }

    fn case_with(findings: &[Finding]) -> (tempfile::TempDir, Case) {
        let d = tempfile::tempdir().unwrap();
        let (mut c, _) = Case::open(&d.path().join("c"), true).unwrap();
        let rows: Vec<_> = findings
            .iter()
            .map(|f| (f.key.clone(), f.id.clone(), f.detector.clone(), f.severity.as_str().to_string(), f.score, serde_json::to_string(f).unwrap()))
            .collect();
        c.replace_findings(None, &rows).unwrap();
        (d, c)
    }

    #[test]
    fn verdicts_are_checked_audited_and_applied() {
        let f = finding("beacon", "10.0.0.5", "evil.example", 80.0);
        let (_d, mut c) = case_with(std::slice::from_ref(&f));
        let err = set_verdict(&mut c, "nope", Status::Confirmed, None, Some("a")).unwrap_err();
        assert!(err.to_string().contains("no finding with key"), "{err}");
        let err = set_verdict(&mut c, &f.key, Status::Suppressed, None, Some("a")).unwrap_err();
        assert!(err.to_string().contains("allowlist"), "{err}");
        set_verdict(&mut c, &f.key, Status::NeedsReview, Some("check proxy"), Some("aiko")).unwrap();
        set_verdict(&mut c, &f.key, Status::Confirmed, Some("C2 confirmed"), Some("ken")).unwrap();
        let h = c.verdict_history(&f.key).unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].old_status, None);
        assert_eq!(h[0].new_status, "needs_review");
        assert_eq!(h[1].old_status.as_deref(), Some("needs_review"));
        assert_eq!(h[1].new_status, "confirmed");
        assert_eq!(h[1].old_note.as_deref(), Some("check proxy"));
        assert_eq!(h[1].analyst.as_deref(), Some("ken"));
        let all = load_findings(&c, Severity::Info).unwrap();
        assert_eq!(all[0].status, Status::Confirmed);
    }

    #[test]
    fn rules_suppress_retroactively_and_removal_reopens() {
        let a = finding("beacon", "10.0.0.5", "updates.vendor.example", 60.0);
        let b = finding("beacon", "10.0.0.6", "evil.example", 70.0);
        let (_d, mut c) = case_with(&[a.clone(), b.clone()]);
        let r = make_rule("domain", "vendor.example", None, None).unwrap();
        let p = preview_rule(&c, &r).unwrap();
        assert_eq!(p.iter().map(|f| f.key.as_str()).collect::<Vec<_>>(), vec![a.key.as_str()]);
        let new = NewAllowRule { kind: "domain", value: "vendor.example", dst: None, detector: None, note: Some("updater"), created_by: Some("aiko") };
        let (id, covered, now) = add_rule(&mut c, &new).unwrap();
        assert_eq!((covered, now), (1, 1));
        let fs = load_findings(&c, Severity::Info).unwrap();
        let sa = fs.iter().find(|f| f.key == a.key).unwrap();
        assert_eq!(sa.status, Status::Suppressed);
        assert!(sa.evidence.notes.get("suppressed_by").is_some_and(|s| s.contains("vendor.example")));
        assert_eq!(fs.iter().find(|f| f.key == b.key).unwrap().status, Status::Open);
        // The roll-up no longer counts the suppressed finding.
        let hs = host_rollup(&c, false).unwrap();
        assert!(hs.iter().all(|h| h.host != "10.0.0.5" || h.verdict == hosts::HostVerdict::NothingFound), "{hs:?}");
        let (existed, now) = remove_rule(&mut c, id).unwrap();
        assert!(existed);
        assert_eq!(now, 0);
        let fs = load_findings(&c, Severity::Info).unwrap();
        assert_eq!(fs.iter().find(|f| f.key == a.key).unwrap().status, Status::Open);
        assert!(make_rule("regex", "x", None, None).unwrap_err().to_string().contains("unknown rule kind"));
        assert!(make_rule("domain", "*", None, None).is_err());
    }
}
