//! End-to-end tests of `kensa hosts` and `kensa allow` on a synthetic week.

mod common;
use common::*;

use std::path::Path;

fn findings(case: &Path) -> Vec<serde_json::Value> {
    let o = run(&["findings", "--case", case.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    doc["findings"].as_array().unwrap().clone()
}

fn status_of(case: &Path, id: &str) -> String {
    findings(case).iter().find(|f| f["id"] == id).expect("finding still there")["status"].as_str().unwrap().to_string()
}

#[test]
fn hosts_rollup_and_retroactive_allowlist() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = run(&["synth", "--quiet", "--out", data.to_str().unwrap(), "--hosts", "12", "--days", "7", "--seed", "5", "--formats", "squid-native"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let case = dir.path().join("case");
    let c = case.to_str().unwrap();
    let (_, code) = ingest_json(&case, &["--no-intel", data.join("squid").to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(run(&["analyze", "--case", c]).status.success());

    // The roll-up: every planted C2 source is "likely compromised".
    let o = run(&["hosts", "--case", c, "--json", "--all"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let hosts: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let hosts = hosts["hosts"].as_array().unwrap();
    let truth: serde_json::Value = serde_json::from_slice(&std::fs::read(data.join("ground_truth.json")).unwrap()).unwrap();
    let items = truth["items"].as_array().or_else(|| truth.as_array()).unwrap();
    let beacon_srcs: std::collections::BTreeSet<&str> = items
        .iter()
        .filter(|i| i["kind"].as_str().is_some_and(|k| k.contains("beacon")))
        .filter_map(|i| i["src_ip"].as_str())
        .collect();
    assert!(!beacon_srcs.is_empty(), "{truth}");
    for src in &beacon_srcs {
        let h = hosts.iter().find(|h| h["host"] == *src).unwrap_or_else(|| panic!("{src} in the roll-up"));
        assert_eq!(h["verdict"], "likely_compromised", "{h}");
        assert!(!h["reasons"].as_array().unwrap().is_empty());
    }
    // --all lists every client (those without findings as "nothing found", last).
    let o = run(&["hosts", "--case", c, "--json"]);
    let plain: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(hosts.len() >= plain["hosts"].as_array().unwrap().len());
    let clients = sql_csv(&case, "SELECT count(DISTINCT client_ip) FROM web_requests");
    let n_clients: usize = clients.lines().nth(1).unwrap().trim().parse().unwrap();
    assert!(hosts.len() >= n_clients, "{} hosts for {n_clients} clients", hosts.len());
    let order: Vec<&str> = hosts.iter().map(|h| h["verdict"].as_str().unwrap()).collect();
    let rank = |v: &str| ["likely_compromised", "leak_risk", "policy", "nothing_found"].iter().position(|x| *x == v).unwrap();
    assert!(order.windows(2).all(|w| rank(w[0]) <= rank(w[1])), "{order:?}");
    let o = run(&["hosts", "--case", c]);
    assert!(stdout(&o).contains("likely compromised"), "{}", stdout(&o));

    // Allowlist a beacon's destination for its host: preview, add, suppressed.
    let fs = findings(&case);
    let target = fs
        .iter()
        .find(|f| f["detector"] == "beacon" && f["dst"]["host"].is_string() && f["src"]["ip"].is_string())
        .expect("a beacon finding");
    let id = target["id"].as_str().unwrap().to_string();
    let src = target["src"]["ip"].as_str().unwrap().to_string();
    let dst = target["dst"]["host"].as_str().unwrap().to_string();
    let o = run(&["allow", "--case", c, "preview", "--kind", "host_dst", &src, "--dst", &dst]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains(&id), "{}", stdout(&o));
    assert_eq!(status_of(&case, &id), "open", "preview stores nothing");
    let o = run(&["allow", "--case", c, "add", "--kind", "host_dst", &src, "--dst", &dst, "--note", "test"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("rule #1 added"), "{}", stdout(&o));
    assert_eq!(status_of(&case, &id), "suppressed", "applied retroactively, without re-analysis");
    let f = findings(&case).into_iter().find(|f| f["id"] == id.as_str()).unwrap();
    assert_eq!(f["evidence"]["notes"]["suppressed_by"], format!("#1 host_dst={src}→{dst}"));
    // Kept across re-analysis.
    assert!(run(&["analyze", "--case", c]).status.success());
    assert_eq!(status_of(&case, &id), "suppressed");
    // An analyst's verdict wins over a suppression.
    assert!(run(&["verdict", "--case", c, &id, "confirmed"]).status.success());
    assert_eq!(status_of(&case, &id), "confirmed");
    assert!(run(&["verdict", "--case", c, &id, "open"]).status.success());
    assert_eq!(status_of(&case, &id), "open", "an explicit 'open' verdict also wins");
    // Removing the rule reopens what only it covered.
    let o = run(&["allow", "--case", c, "remove", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!findings(&case).iter().any(|f| f["status"] == "suppressed"));
    let o = run(&["allow", "--case", c, "remove", "1"]);
    assert_eq!(o.status.code(), Some(1));

    // An allowlist file: recorded in the case and applied by analyze.
    let file = dir.path().join("allow.toml");
    std::fs::write(&file, format!("[[allow]]\nkind = \"domain\"\nvalue = \"{dst}\"\nnote = \"known\"\n")).unwrap();
    let o = run(&["analyze", "--case", c, "--allowlist", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("allowlist: 1 rule(s) suppressed"), "{}", stdout(&o));
    let o = run(&["allow", "--case", c, "list", "--json"]);
    let rules: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rules["rules"][0]["kind"], "domain");
    assert!(rules["rules"][0]["origin"].as_str().unwrap().ends_with("allow.toml"));
    // Without --allowlist the recorded file still applies.
    let o = run(&["analyze", "--case", c, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let sum: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(sum["suppressed"].as_u64().unwrap() >= 1, "{sum}");
    assert_eq!(sum["allow_rules"], 1);

    // Bad rules: clear messages, nothing stored.
    std::fs::write(&file, "[[allow]]\nkind = \"domain\"\nvalue = \"a.test\"\n[[allow]]\nkind = \"cidr\"\nvalue = \"10.0.0.0/99\"\n").unwrap();
    let o = run(&["analyze", "--case", c, "--allowlist", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("allowlist rule 2 in"), "{}", stderr(&o));
    let o = run(&["allow", "--case", c, "add", "--kind", "domain", "*"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("must not match everything"), "{}", stderr(&o));
    let o = run(&["allow", "--case", c, "add", "--kind", "colour", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown rule kind"), "{}", stderr(&o));
}
