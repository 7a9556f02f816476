//! Helpers for the CLI tests: run the real `kensa` binary on real files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn kensa() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kensa"));
    c.env_remove("KENSA_CRASH_POINT");
    c
}

pub fn run(args: &[&str]) -> Output {
    kensa().args(args).output().expect("run kensa")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The shared conformance corpus. Missing corpus: fail under CI, else skip (None).
pub fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if p.is_dir() {
        return Some(p.canonicalize().expect("canonical corpus path"));
    }
    if std::env::var_os("CI").is_some() {
        panic!("conformance corpus not found at {} (CI is set)", p.display());
    }
    eprintln!("note: corpus not found at {}; skipping", p.display());
    None
}

pub fn ingest_json(case: &Path, args: &[&str]) -> (serde_json::Value, i32) {
    let mut a = vec!["ingest", "--quiet", "--json", "--case", case.to_str().unwrap()];
    a.extend_from_slice(args);
    let o = run(&a);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("ingest --json output is JSON ({e}): {}\n{}", stdout(&o), stderr(&o)));
    (v, o.status.code().unwrap_or(-1))
}

pub fn sql_csv(case: &Path, q: &str) -> String {
    let o = run(&["sql", "--case", case.to_str().unwrap(), "--output", "csv", q]);
    assert!(o.status.success(), "sql failed: {}", stderr(&o));
    stdout(&o)
}

/// A synthetic native Squid line.
pub fn squid_line(i: u64) -> String {
    format!(
        "{}.{:03} {:>6} 10.1.{}.{} TCP_MISS/200 {} GET http://host{}.example.com/p/{i}?q={i} user{} HIER_DIRECT/203.0.113.{} text/html\n",
        1_700_000_000 + i * 7,
        i % 1000,
        i % 5000,
        (i / 250) % 250,
        i % 250,
        500 + i % 10_000,
        i % 97,
        i % 13,
        i % 200
    )
}

pub fn squid_file(path: &Path, n: u64) {
    let mut s = String::with_capacity(n as usize * 130);
    for i in 0..n {
        s.push_str(&squid_line(i));
    }
    std::fs::write(path, s).unwrap();
}
