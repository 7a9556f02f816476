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
                locator: Locator {
                    file: u16::MAX,
                    line: i,
                },
                ..Default::default()
            });
        }
        let ctx = Context::default();
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
