//! Every registered detector on hostile tables: random bytes as strings,
//! extreme timestamps and sizes, huge single pairs. Must not panic, must
//! stay deterministic and produce well-formed findings.

use kensa_detect::beacon::sim::Rng;
use kensa_detect::compliance::check_findings;
use kensa_detect::{Context, DETECTORS, EventTable, Locator, RowIn};

fn junk(r: &mut Rng) -> String {
    let len = r.below(40) as usize;
    let bytes: Vec<u8> = (0..len).map(|_| r.below(256) as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn random_strings_and_extreme_values() {
    let mut r = Rng::new(42);
    let extremes = [i64::MIN, i64::MAX, 0, -1, 1, i64::MAX / 2, i64::MIN / 2];
    for round in 0..4 {
        let mut t = EventTable::new();
        let pool: Vec<String> = (0..30).map(|_| junk(&mut r)).collect();
        for i in 0..3000u32 {
            let pick = |r: &mut Rng| Some(pool[r.below(pool.len() as u64) as usize].as_str());
            let ts = if r.below(10) == 0 {
                extremes[r.below(extremes.len() as u64) as usize]
            } else {
                1_700_000_000_000 + (r.below(20) as i64) * 60_000 * (round + 1)
            };
            t.push(&RowIn {
                ts_ms: ts,
                src_ip: pick(&mut r),
                user: pick(&mut r),
                host: pick(&mut r),
                domain: pick(&mut r),
                dst_ip: pick(&mut r),
                method: pick(&mut r),
                port: Some(r.below(65536) as u16),
                status: Some(r.below(1000) as u16),
                bytes_up: [None, Some(0), Some(u64::MAX)][r.below(3) as usize],
                bytes_down: Some(r.next_u64()),
                user_agent: pick(&mut r),
                content_type: pick(&mut r),
                category: pick(&mut r),
                service: if r.below(2) == 0 { None } else { pick(&mut r) },
                is_ip_literal: r.below(5) == 0,
                service_category: pick(&mut r),
                duration_ms: [
                    None,
                    Some(i64::MIN),
                    Some(i64::MAX),
                    Some(-1),
                    Some(86_400_000),
                ][r.below(5) as usize],
                upload_action: r.below(2) == 0,
                sanctioned: r.below(3) == 0,
                locator: Locator {
                    file: u16::MAX,
                    line: i,
                },
                ..Default::default()
            });
        }
        let ctx = Context::default();
        // Streaming passes on junk records (paths, methods, content types).
        for d in DETECTORS {
            let Some(mut pass) = d.stream(&ctx) else {
                continue;
            };
            for i in 0..3000u32 {
                let s = |r: &mut Rng| pool[r.below(pool.len() as u64) as usize].clone();
                let path = match r.below(4) {
                    0 => "/submit.php".to_string(),
                    1 => "/9vXU".to_string(),
                    2 => format!("/{}.gif", s(&mut r)),
                    _ => s(&mut r),
                };
                let (src, host, ct) = (s(&mut r), s(&mut r), s(&mut r));
                let method = ["GET", "POST", "", "\u{0}"][r.below(4) as usize];
                let rec = kensa_model::WebRecord {
                    ts_ms: extremes[r.below(extremes.len() as u64) as usize],
                    method: Some(std::borrow::Cow::Borrowed(method)),
                    path: Some(std::borrow::Cow::Owned(path)),
                    content_type: Some(std::borrow::Cow::Owned(ct.clone())),
                    bytes_down: Some(r.next_u64()),
                    ..Default::default()
                };
                let row = RowIn {
                    ts_ms: rec.ts_ms,
                    src_ip: Some(&src),
                    host: Some(&host),
                    content_type: Some(&ct),
                    bytes_down: rec.bytes_down,
                    bytes_up: Some(u64::MAX),
                    locator: Locator { file: 0, line: i },
                    ..Default::default()
                };
                pass.observe(&rec, &row);
            }
            let f = pass.finish(&t, &ctx);
            check_findings(d.info(), &f);
            serde_json::to_string(&f).expect("serialisable");
        }
        for d in DETECTORS {
            let a = d.run(&t, &ctx);
            check_findings(d.info(), &a);
            let b = d.run(&t, &ctx);
            assert_eq!(a, b, "{} not deterministic", d.info().id);
            serde_json::to_string(&a).expect("serialisable");
        }
    }
}

#[test]
fn sparse_extreme_time_range_is_fast() {
    // Two clusters 290 million years apart: RITA's per-day windows must not
    // walk every empty day in between.
    let mut t = EventTable::new();
    for i in 0..50i64 {
        for base in [i64::MIN / 2, i64::MAX / 2] {
            t.push(&RowIn {
                ts_ms: base + i * 60_000,
                src_ip: Some("10.0.0.1"),
                host: Some("a.example"),
                ..Default::default()
            });
        }
    }
    let start = std::time::Instant::now();
    for d in DETECTORS {
        let f = d.run(&t, &Context::default());
        check_findings(d.info(), &f);
    }
    assert!(start.elapsed().as_secs() < 20);
}
