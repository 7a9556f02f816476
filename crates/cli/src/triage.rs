//! Triage commands: `kensa hosts` (the per-host roll-up) and `kensa allow`
//! (allowlist rules kept in the case, applied retroactively).
//!
//! Allowlist rules come from two places, both applied at every analysis:
//! the case's `allow_rules` table, and an allowlist file given to
//! `kensa analyze|run --allowlist FILE`, whose text is copied into the case
//! (meta `allowlist.toml`) so later re-applications (a rule added from the
//! CLI or the web UI) use the same file without it being passed again.

use anyhow::{Context as _, Result, anyhow};
use kensa_detect::allow::{self, AllowKind, AllowRule};
use kensa_detect::hosts::{self, HostSummary};
use kensa_detect::Finding;
use kensa_store::Case;
use kensa_store::case::{NewAllowRule, StoredAllowRule};

/// Meta key holding the allowlist file's text.
pub const META_ALLOWLIST: &str = "allowlist.toml";
/// Meta key holding the allowlist file's path (for messages).
pub const META_ALLOWLIST_PATH: &str = "allowlist.path";

/// Reads, checks and records an allowlist file in the case.
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

/// Re-applies every rule to the stored findings (after a rule was added
/// or removed); returns how many findings are suppressed now.
pub fn reapply(case: &mut Case) -> Result<usize> {
    let rules = case_rules(case)?;
    let mut findings: Vec<Finding> = Vec::new();
    for (json, _, _) in case.findings()? {
        findings.push(serde_json::from_str(&json).context("stored finding")?);
    }
    // Only findings whose suppression changed are rewritten.
    let before: Vec<(kensa_detect::Status, Option<String>)> =
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

/// The roll-up of the stored findings (verdicts applied), optionally with
/// every client of the case that has no finding.
pub fn host_rollup(case: &Case, all: bool) -> Result<Vec<HostSummary>> {
    let findings = crate::analyze::load_findings(case, "info")?;
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

/// Prints the roll-up as a table (escaped for the terminal) or JSON.
pub fn print_hosts(hs: &[HostSummary], json: bool, findings: &[Finding]) -> Result<()> {
    use crate::output::term;
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "hosts": hs }))?);
        return Ok(());
    }
    if hs.is_empty() {
        println!("no findings in this case (run `kensa analyze` first?)");
        return Ok(());
    }
    let by_key: std::collections::HashMap<&str, &Finding> = findings.iter().map(|f| (f.key.as_str(), f)).collect();
    println!("{:<20} {:<20} {:>5}  {:<26} reasons", "verdict", "host", "score", "users");
    for h in hs {
        let users = if h.users.is_empty() { "-".to_string() } else { h.users.join(",") };
        println!(
            "{:<20} {:<20} {:>5.0}  {:<26} {}",
            h.verdict.label_en(),
            term(&h.host),
            h.score,
            term(&users),
            h.detectors.join(", ")
        );
        for k in h.reasons.iter().take(3) {
            if let Some(f) = by_key.get(k.as_str()) {
                println!("    {:>3.0} {:<16} {}", f.score, f.detector, term(&f.title));
            }
        }
    }
    let mut counts = std::collections::BTreeMap::new();
    for h in hs {
        *counts.entry(h.verdict.label_en()).or_insert(0usize) += 1;
    }
    let parts: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    println!("\n{} host(s): {}", hs.len(), parts.join(", "));
    Ok(())
}

/// `kensa allow add`: checks the rule, shows what it covers, stores it and
/// re-applies the allowlist. Returns (rule id, findings covered, suppressed now).
pub fn add_rule(case: &mut Case, rule: &NewAllowRule<'_>) -> Result<(i64, usize, usize)> {
    let kind = AllowKind::parse(rule.kind).ok_or_else(|| {
        anyhow!(
            "unknown rule kind {:?} (expected one of {})",
            rule.kind,
            AllowKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
        )
    })?;
    let mut r = AllowRule::new(kind, rule.value, rule.dst).map_err(|e| anyhow!("{e}"))?;
    r.detector = rule.detector.map(String::from);
    let findings = crate::analyze::load_findings(case, "info")?;
    let covered = allow::preview(&r, &findings).len();
    let stored = NewAllowRule { kind: kind.as_str(), ..*rule };
    let id = case.add_allow_rule(&stored)?;
    let now = reapply(case)?;
    Ok((id, covered, now))
}

/// `kensa allow preview`: the findings a rule would cover.
pub fn preview_rule(case: &Case, kind: &str, value: &str, dst: Option<&str>, detector: Option<&str>) -> Result<Vec<Finding>> {
    let kind = AllowKind::parse(kind).ok_or_else(|| anyhow!("unknown rule kind {kind:?}"))?;
    let mut r = AllowRule::new(kind, value, dst).map_err(|e| anyhow!("{e}"))?;
    r.detector = detector.map(String::from);
    let findings = crate::analyze::load_findings(case, "info")?;
    Ok(allow::preview(&r, &findings).into_iter().map(|i| findings[i].clone()).collect())
}
