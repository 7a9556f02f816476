//! `kensa analyze` on awkward cases (no records, one client, one day,
//! timestamps out of order, a single destination) and threat-intel hits
//! re-evaluated at analysis time. Every run must exit cleanly, say what the
//! data cannot support, and never put a NaN (or null) into a score.
mod common;

use common::{stderr, stdout};
use std::path::Path;

/// One native Squid line.
fn line(ts: i64, client: &str, host: &str, path: &str) -> String {
    format!("{ts}.000    120 {client} TCP_MISS/200 1500 GET http://{host}{path} - HIER_DIRECT/203.0.113.7 text/html\n")
}

fn ingest(dir: &Path, log: &str, extra: &[&str]) -> std::path::PathBuf {
    let f = dir.join("access.log");
    std::fs::write(&f, log).unwrap();
    let case = dir.join("case");
    let mut a = vec!["ingest", "--quiet", "--format", "squid-native", "--case", case.to_str().unwrap()];
    a.extend_from_slice(extra);
    a.push(f.to_str().unwrap());
    let o = no_user_intel(dir).args(&a).output().unwrap();
    assert!(o.status.success() || o.status.code() == Some(1), "ingest: {}", stderr(&o));
    case
}

/// A `kensa` command that never sees the machine's own intel store.
fn no_user_intel(dir: &Path) -> std::process::Command {
    let mut c = common::kensa();
    c.env("XDG_DATA_HOME", dir.join("xdg")).env("HOME", dir.join("home")).env_remove("KENSA_INTEL_DIR");
    c
}

/// Runs `analyze --json` then `findings --json`; checks both and returns
/// (summary, findings).
fn analyze(dir: &Path, case: &Path, extra: &[&str]) -> (serde_json::Value, Vec<serde_json::Value>) {
    let mut a = vec!["analyze", "--json", "--case", case.to_str().unwrap()];
    a.extend_from_slice(extra);
    let o = no_user_intel(dir).args(&a).output().unwrap();
    assert!(o.status.success(), "analyze failed: {}\n{}", stdout(&o), stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    let sum: serde_json::Value = serde_json::from_slice(&o.stdout).expect("analyze --json is JSON");
    let o = no_user_intel(dir).args(["findings", "--json", "--case", case.to_str().unwrap()]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("findings JSON");
    let fs = doc["findings"].as_array().expect("findings array").clone();
    for f in &fs {
        let score = f["score"].as_f64().unwrap_or_else(|| panic!("score not a number: {f}"));
        assert!((0.0..=100.0).contains(&score), "{f}");
        for (k, v) in f["evidence"]["figures"].as_object().unwrap() {
            assert!(v.as_f64().is_some_and(f64::is_finite), "figure {k} = {v} in {}", f["key"]);
        }
    }
    (sum, fs)
}

fn notes(sum: &serde_json::Value) -> String {
    sum["notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect::<Vec<_>>().join("\n")
}

const T0: i64 = 1_763_942_400; // 2025-11-24 00:00 UTC, a Monday

#[test]
fn no_records() {
    let d = tempfile::tempdir().unwrap();
    let case = ingest(d.path(), "", &["--no-intel"]);
    let (sum, fs) = analyze(d.path(), &case, &[]);
    assert_eq!(sum["rows"], 0);
    assert!(fs.is_empty());
    assert!(notes(&sum).contains("no web records"), "{sum}");
    // The text output says so too.
    let o = no_user_intel(d.path()).args(["analyze", "--case", case.to_str().unwrap()]).output().unwrap();
    assert!(o.status.success());
    assert!(stdout(&o).contains("note: the case has no web records"), "{}", stdout(&o));
}

#[test]
fn one_host_one_day_single_destination() {
    let d = tempfile::tempdir().unwrap();
    // One client polling one destination every 5 minutes for 20 hours.
    let log: String = (0..240).map(|k| line(T0 + k * 300, "10.0.0.5", "poll.example.net", "/api")).collect();
    let case = ingest(d.path(), &log, &["--no-intel"]);
    let (sum, fs) = analyze(d.path(), &case, &[]);
    assert_eq!(sum["rows"], 240);
    let n = notes(&sum);
    assert!(n.contains("span 19.9 h"), "{n}"); // 239 × 5 min
    assert!(n.contains("one client only"), "{n}");
    assert!(n.contains("a single destination"), "{n}");
    // The poll is still periodic, and reported with a finite period.
    let b = fs.iter().find(|f| f["detector"] == "beacon").expect("beacon finding");
    assert!((b["evidence"]["figures"]["period_s"].as_f64().unwrap() - 300.0).abs() < 5.0, "{b}");
}

#[test]
fn timestamps_out_of_order_give_the_same_findings() {
    let d = tempfile::tempdir().unwrap();
    let mut lines: Vec<String> = Vec::new();
    for day in 0..3 {
        for k in 0..100 {
            lines.push(line(T0 + day * 86_400 + k * 600 + (k * 37) % 60, "10.0.0.9", "c2.example.org", "/b"));
        }
        for c in 0..6 {
            lines.push(line(T0 + day * 86_400 + 3600 * (c + 8), &format!("10.0.0.{}", 20 + c), "www.example.com", "/"));
        }
    }
    let sorted: String = lines.concat();
    // Reverse order, then a shuffle by a fixed stride.
    let n = lines.len();
    let shuffled: String = (0..n).map(|i| lines[(i * 7919) % n].clone()).rev().collect();
    let a = tempfile::tempdir().unwrap();
    let ca = ingest(a.path(), &sorted, &["--no-intel"]);
    let cb = ingest(d.path(), &shuffled, &["--no-intel"]);
    let (_, fa) = analyze(a.path(), &ca, &[]);
    let (_, fb) = analyze(d.path(), &cb, &[]);
    let keys = |fs: &[serde_json::Value]| {
        let mut k: Vec<(String, String)> =
            fs.iter().map(|f| (f["key"].as_str().unwrap().to_string(), format!("{:.3}", f["score"].as_f64().unwrap()))).collect();
        k.sort();
        k
    };
    assert_eq!(keys(&fa), keys(&fb));
    assert!(fa.iter().any(|f| f["key"] == "beacon|10.0.0.9|c2.example.org"), "{fa:#?}");
}

#[test]
fn intel_imported_after_ingest_counts_and_ingest_hits_are_the_fallback() {
    let d = tempfile::tempdir().unwrap();
    let mut log = String::new();
    for k in 0..3 {
        log.push_str(&line(T0 + k * 60, "10.0.0.7", "dl.evil-example.net", "/x.ps1"));
    }
    for c in 0..4 {
        log.push_str(&line(T0 + 30 + c, &format!("10.0.0.{}", 30 + c), "www.example.com", "/"));
    }
    let feed = d.path().join("blocklist.txt");
    std::fs::write(&feed, "# test feed\nevil-example.net\n").unwrap();
    let store = d.path().join("intel");
    let sd = store.to_str().unwrap();
    // 1. Ingest with no intel at all: nothing recorded.
    let case = ingest(d.path(), &log, &["--no-intel"]);
    let (sum, fs) = analyze(d.path(), &case, &[]);
    assert_eq!(sum["intel_rows"], 0, "{sum}");
    assert!(!fs.iter().any(|f| f["detector"] == "intel"));
    // 2. The feed is imported later: analysis re-matches and finds the hits.
    let o = no_user_intel(d.path()).args(["intel", "--intel-dir", sd, "import", feed.to_str().unwrap()]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let (sum, fs) = analyze(d.path(), &case, &["--intel-dir", sd]);
    assert_eq!(sum["intel_rows"], 3, "{sum}");
    assert!(sum["intel"].as_str().unwrap().contains("re-matched"), "{sum}");
    let f = fs.iter().find(|f| f["detector"] == "intel").expect("intel finding");
    assert_eq!(f["key"], "intel|10.0.0.7|dl.evil-example.net");
    assert_eq!(f["count"], 3);
    assert_eq!(f["severity"], "high");
    let iocs = f["evidence"]["notes"]["iocs"].as_str().unwrap();
    assert!(iocs.starts_with("blocklist:domain:evil-example.net (subdomain, 3 request(s)"), "{iocs}");
    assert!(f["evidence"]["samples"][0]["line"].as_u64().unwrap() >= 1);
    // --no-intel turns it off.
    let (_, fs) = analyze(d.path(), &case, &["--no-intel"]);
    assert!(!fs.iter().any(|f| f["detector"] == "intel"));
    // 3. A case ingested with the store keeps its hits when the store is gone.
    let d2 = tempfile::tempdir().unwrap();
    let case2 = ingest(d2.path(), &log, &["--intel-dir", sd]);
    std::fs::remove_dir_all(&store).unwrap();
    let (sum, fs) = analyze(d2.path(), &case2, &[]);
    assert!(sum["intel"].as_str().unwrap().contains("recorded at ingest"), "{sum}");
    let f = fs.iter().find(|f| f["detector"] == "intel").expect("intel finding from ingest-time hits");
    assert_eq!(f["count"], 3);
    assert_eq!(f["evidence"]["notes"]["match"], "recorded-at-ingest");
}
