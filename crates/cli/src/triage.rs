//! Triage commands: `kensa hosts` (the per-host roll-up) and `kensa allow`
//! (allowlist rules kept in the case, applied retroactively).
//!
//! Allowlist rules come from two places, both applied at every analysis:
//! the case's `allow_rules` table, and an allowlist file given to
//! `kensa analyze|run --allowlist FILE`, whose text is copied into the case
//! (meta `allowlist.toml`) so later re-applications (a rule added from the
//! CLI or the web UI) use the same file without it being passed again.

use anyhow::Result;
use kensa_detect::Finding;
use kensa_detect::hosts::HostSummary;

pub use kensa_triage::{adopt_allowlist_file, case_rules, host_rollup, reapply};

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
pub fn add_rule(case: &mut kensa_store::Case, rule: &kensa_store::case::NewAllowRule<'_>) -> Result<(i64, usize, usize)> {
    kensa_triage::add_rule(case, rule)
}

/// `kensa allow preview`: the findings a rule would cover.
pub fn preview_rule(case: &kensa_store::Case, kind: &str, value: &str, dst: Option<&str>, detector: Option<&str>) -> Result<Vec<Finding>> {
    let r = kensa_triage::make_rule(kind, value, dst, detector)?;
    kensa_triage::preview_rule(case, &r)
}
