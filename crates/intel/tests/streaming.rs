//! A huge feed must not be held in memory: import files far larger than
//! the allowed growth of the process's peak RSS. Alone in its own test
//! binary so that no other test moves the peak.

use std::io::Write;

use kensa_intel::{FeedFormat, ImportOptions, IntelStore};

/// Peak resident set size (Linux `VmHWM`), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn huge_feeds_stream() {
    let dir = tempfile::tempdir().unwrap();
    let store = IntelStore::open(dir.path().join("intel")).unwrap();

    // 1. A 58 MB plain list, and a single 32 MB line without a newline.
    let list = dir.path().join("big.txt");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&list).unwrap());
        let pad = "p".repeat(200);
        for i in 0..250_000u32 {
            writeln!(w, "http://host{i}.example.com/{pad}/{i}.bin").unwrap();
        }
        // Written in chunks: a 32 MB buffer here would raise the peak RSS
        // before the measurement starts.
        let chunk = [b'x'; 64 * 1024];
        for _ in 0..512 {
            w.write_all(&chunk).unwrap();
        }
    }
    // 2. A 67 MB STIX bundle.
    let bundle = dir.path().join("big.json");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&bundle).unwrap());
        w.write_all(b"{\"type\": \"bundle\", \"id\": \"bundle--x\", \"objects\": [").unwrap();
        for i in 0..60_000u32 {
            if i > 0 {
                w.write_all(b",").unwrap();
            }
            write!(w, "{{\"type\": \"indicator\", \"id\": \"indicator--{i}\", \"pattern_type\": \"stix\", \"pattern\": \"[domain-name:value = 'd{i}.example.net']\", \"valid_from\": \"2020-01-01T00:00:00Z\", \"description\": \"{}\"}}", "p".repeat(1000)).unwrap();
        }
        w.write_all(b"]}").unwrap();
    }
    let before = peak_rss_kib();
    let r = store.import(&list, ImportOptions { format: Some(FeedFormat::PlainList), ..Default::default() }).unwrap();
    assert_eq!(r.source.indicators, 250_000);
    assert_eq!(r.stats.rejected.count, 1);
    assert_eq!(r.stats.rejected.samples[0].reason, "line longer than 64 KiB");
    assert_eq!(r.stats.rejected.samples[0].line, 250_001);
    let r = store.import(&bundle, ImportOptions::default()).unwrap();
    assert_eq!(r.source.format, FeedFormat::Stix);
    assert_eq!(r.source.indicators, 60_000);
    if let (Some(b), Some(a)) = (before, peak_rss_kib()) {
        let grew_mib = (a.saturating_sub(b)) / 1024;
        eprintln!("peak RSS growth: {grew_mib} MiB");
        assert!(grew_mib < 40, "peak RSS grew by {grew_mib} MiB importing 58+32+67 MB feeds");
    }
}
