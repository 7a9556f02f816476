//! `assert_detector_compliance`: the executable half of `docs/detector.md`.
//!
//! Every detector's tests call it. It checks the self-description, that an
//! empty table gives no findings, that a run is deterministic, and that every
//! finding is well-formed (finite scores in 0–100, both explanations, ATT&CK
//! ids shaped `T1234` / `T1234.001`, key prefixed by the detector id).

use crate::detector::{Context, Detector, DetectorInfo};
use crate::finding::Finding;
use crate::table::{EventTable, Locator, RowIn};

fn valid_attack(id: &str) -> bool {
    let b = id.as_bytes();
    let base = b.len() >= 5 && b[0] == b'T' && b[1..5].iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => base,
        9 => base && b[5] == b'.' && b[6..9].iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// Panics with a message naming the first problem in `info`.
pub fn check_info(info: &DetectorInfo) {
    assert!(
        !info.id.is_empty()
            && info
                .id
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-'),
        "detector id {:?} must be kebab-case",
        info.id
    );
    for (what, v) in [
        ("title_en", info.title_en),
        ("title_ja", info.title_ja),
        ("detects", info.detects),
        ("cost", info.cost),
    ] {
        assert!(!v.trim().is_empty(), "{}: {what} is empty", info.id);
    }
    assert!(!info.features.is_empty(), "{}: no features listed", info.id);
    assert!(
        !info.false_positives.is_empty(),
        "{}: no known false positives listed",
        info.id
    );
    assert!(!info.attack.is_empty(), "{}: no ATT&CK technique", info.id);
    for a in info.attack {
        assert!(valid_attack(a), "{}: bad ATT&CK id {a:?}", info.id);
    }
    for t in info.thresholds {
        assert!(
            !t.name.is_empty() && !t.reason.trim().is_empty(),
            "{}: threshold without name/reason",
            info.id
        );
        assert!(
            t.default.is_finite(),
            "{}: threshold {} default not finite",
            info.id,
            t.name
        );
    }
}

/// Panics with a message naming the first malformed finding.
pub fn check_findings(info: &DetectorInfo, findings: &[Finding]) {
    for f in findings {
        assert_eq!(
            f.detector, info.id,
            "finding {} has the wrong detector",
            f.key
        );
        assert!(
            f.key.starts_with(&format!("{}|", info.id)),
            "key {:?} not prefixed by the id",
            f.key
        );
        assert!(
            f.score.is_finite() && (0.0..=100.0).contains(&f.score),
            "{}: score {}",
            f.key,
            f.score
        );
        assert!(!f.title.is_empty(), "{}: empty title", f.key);
        assert!(
            !f.explanation.en.is_empty() && !f.explanation.ja.is_empty(),
            "{}: explanation missing",
            f.key
        );
        assert!(
            f.first_seen <= f.last_seen,
            "{}: first_seen after last_seen",
            f.key
        );
        for a in &f.attack {
            assert!(valid_attack(a), "{}: bad ATT&CK id {a:?}", f.key);
        }
        for (k, v) in &f.evidence.figures {
            assert!(v.is_finite(), "{}: figure {k} is {v}", f.key);
        }
    }
}

/// A small mixed table: a 5-minute beacon, random browsing and hostile
/// strings (control characters, huge labels, non-ASCII, missing fields).
pub fn fixture_table() -> EventTable {
    let mut t = EventTable::new();
    let base = 1_700_000_000_000i64;
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let long = "a".repeat(300);
    let hosts = [
        "news.example.jp",
        "qxjzkvbwpt.com",
        long.as_str(),
        "例え.jp",
        "\u{0}\t\"|",
        "",
    ];
    for i in 0..300i64 {
        t.push(&RowIn {
            ts_ms: base + i * 300_000 + (next() % 20_000) as i64,
            src_ip: Some("10.1.1.5"),
            host: Some("c2.evil.example"),
            domain: Some("evil.example"),
            dst_ip: Some("203.0.113.9"),
            method: Some("GET"),
            bytes_up: Some(320),
            bytes_down: Some(1200),
            port: Some(80),
            locator: Locator {
                file: 0,
                line: i as u32 + 1,
            },
            ..Default::default()
        });
    }
    for i in 0..400u32 {
        let h = hosts[(next() % hosts.len() as u64) as usize];
        t.push(&RowIn {
            ts_ms: base + (next() % 86_400_000) as i64,
            src_ip: if i % 17 == 0 { None } else { Some("10.1.1.6") },
            host: Some(h),
            domain: Some(h),
            method: Some(if i % 5 == 0 { "CONNECT" } else { "POST" }),
            bytes_up: if i % 3 == 0 {
                None
            } else {
                Some(next() % 100_000)
            },
            bytes_down: Some(next()),
            port: Some(443),
            locator: Locator {
                file: 1,
                line: i + 1,
            },
            ..Default::default()
        });
    }
    t
}

/// Runs the whole compliance suite on `d`. Panics on the first violation.
pub fn assert_detector_compliance(d: &dyn Detector) {
    let info = d.info();
    check_info(info);
    let ctx = Context::default();
    for th in info.thresholds {
        assert_eq!(ctx.param(info, th.name), th.default);
    }
    let empty = EventTable::new();
    let none = d.run(&empty, &ctx);
    assert!(none.is_empty(), "{}: findings on an empty table", info.id);
    let t = fixture_table();
    let a = d.run(&t, &ctx);
    let b = d.run(&t, &ctx);
    check_findings(info, &a);
    let ja = serde_json::to_string(&a).expect("findings serialise");
    let jb = serde_json::to_string(&b).expect("findings serialise");
    assert_eq!(ja, jb, "{}: two runs differ", info.id);
    if let Some(pass) = d.stream(&ctx) {
        let f = pass.finish(&empty, &ctx);
        assert!(
            f.is_empty(),
            "{}: streaming pass found something in nothing",
            info.id
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attack_ids() {
        assert!(valid_attack("T1071"));
        assert!(valid_attack("T1071.001"));
        assert!(!valid_attack("T107"));
        assert!(!valid_attack("t1071"));
        assert!(!valid_attack("T1071.1"));
    }

    #[test]
    fn every_registered_detector_complies() {
        assert!(!crate::DETECTORS.is_empty());
        let mut ids: Vec<&str> = crate::DETECTORS.iter().map(|d| d.info().id).collect();
        for d in crate::DETECTORS {
            assert_detector_compliance(*d);
        }
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate detector ids");
    }
}
