//! An ingest killed at any moment leaves the case readable, and running the
//! same command again completes it with no duplicate and no missing row.

mod common;
use common::*;

use std::path::Path;
use std::time::Duration;

fn count(case: &Path) -> (u64, u64) {
    let out = sql_csv(case, "SELECT count(*), count(DISTINCT input_id * 10000000 + source_line) FROM web_requests");
    let row = out.lines().nth(1).unwrap().to_string();
    let (a, b) = row.split_once(',').unwrap();
    (a.parse().unwrap(), b.parse().unwrap())
}

#[test]
fn crash_at_every_commit_step_then_rerun_completes() {
    let dir = tempfile::tempdir().unwrap();
    // Several files spanning several days, so there are many parts to rename.
    let mut files = Vec::new();
    for k in 0..3u64 {
        let f = dir.path().join(format!("access{k}.log"));
        let s: String = (0..20_000).map(|i| squid_line(k * 1_000_000 + i * 5)).collect();
        std::fs::write(&f, s).unwrap();
        files.push(f.to_str().unwrap().to_string());
    }
    for point in ["before-commit", "after-commit", "mid-rename", "before-done"] {
        let case = dir.path().join(format!("case-{point}"));
        let mut args = vec!["ingest".to_string(), "--quiet".into(), "--case".into(), case.to_str().unwrap().into()];
        args.extend(files.iter().cloned());
        let o = kensa().args(&args).env("KENSA_CRASH_POINT", point).output().unwrap();
        assert!(!o.status.success(), "{point}: the process must have died");
        // Readable right after the crash (opening repairs it).
        let (n, distinct) = count(&case);
        assert_eq!(n, distinct, "{point}: no duplicate row after the crash");
        assert!(n == 0 || n == 20_000, "{point}: the first input is all or nothing, got {n}");
        let o = kensa().args(&args).output().unwrap();
        assert!(o.status.success(), "{point}: rerun: {}", stderr(&o));
        assert_eq!(count(&case), (60_000, 60_000), "{point}: complete, no duplicates");
        assert!(std::fs::read_dir(case.join("staging")).unwrap().next().is_none(), "{point}: staging cleaned");
    }
}

#[test]
fn kill_9_at_random_moments_then_rerun_completes() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for k in 0..4u64 {
        let f = dir.path().join(format!("big{k}.log"));
        let s: String = (0..60_000).map(|i| squid_line(k * 10_000_000 + i * 3)).collect();
        std::fs::write(&f, s).unwrap();
        files.push(f.to_str().unwrap().to_string());
    }
    let case = dir.path().join("case");
    let mut args = vec!["ingest".to_string(), "--quiet".into(), "--case".into(), case.to_str().unwrap().into()];
    args.extend(files.iter().cloned());
    for delay_ms in [30u64, 120, 250, 400] {
        let mut child = kensa().args(&args).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let (n, distinct) = count(&case);
        assert_eq!(n, distinct, "after kill at {delay_ms} ms: no duplicate rows");
        assert_eq!(n % 60_000, 0, "after kill at {delay_ms} ms: whole inputs only, got {n}");
    }
    let o = kensa().args(&args).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(count(&case), (240_000, 240_000));
}
