//! Throughput check: fills an `EventTable` with N synthetic rows (default
//! 5 M; 3 000 clients × 20 000 hosts, 1 % of pairs beaconing) and times
//! `push`, the beacon and DGA detectors, then every other batch detector.
//!
//! ```text
//! cargo run --release -p kensa-detect --example scale [ROWS]
//! ```
use kensa_detect::beacon::sim::{Rng, WEEK_MS, WEEK_START_MS};
use kensa_detect::{Context, Detector, EventTable, Locator, RowIn};
use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5_000_000);
    let srcs: Vec<String> = (0..3000)
        .map(|i| format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256))
        .collect();
    let hosts: Vec<String> = (0..20_000)
        .map(|i| format!("h{i}.site{}.example", i % 5000))
        .collect();
    let doms: Vec<String> = (0..20_000)
        .map(|i| format!("site{}.example", i % 5000))
        .collect();
    let mut rng = Rng::new(1);
    let t0 = Instant::now();
    let mut t = EventTable::with_capacity(n);
    let mut i = 0usize;
    while i < n {
        // A pair emits a run of rows: beacons every 5 min, others at random.
        let s = rng.below(srcs.len() as u64) as usize;
        let h = (rng.below(400) * rng.below(50)) as usize % hosts.len();
        let beacon = rng.below(100) == 0;
        let k = if beacon {
            2016
        } else {
            1 + rng.below(60) as usize
        };
        let mut ts = WEEK_START_MS + rng.below(WEEK_MS as u64) as i64;
        for _ in 0..k.min(n - i) {
            ts = if beacon {
                ts + 300_000
            } else {
                WEEK_START_MS + rng.below(WEEK_MS as u64) as i64
            };
            t.push(&RowIn {
                ts_ms: ts,
                src_ip: Some(&srcs[s]),
                host: Some(&hosts[h]),
                domain: Some(&doms[h]),
                method: Some("GET"),
                bytes_up: Some(300 + rng.below(500)),
                bytes_down: Some(rng.below(100_000)),
                status: Some(200),
                port: Some(443),
                locator: Locator {
                    file: 0,
                    line: i as u32,
                },
                ..Default::default()
            });
            i += 1;
        }
    }
    let push = t0.elapsed();
    println!(
        "rows {n}: push {push:.2?} ({:.1} M rows/s), table {:.1} bytes/row",
        n as f64 / push.as_secs_f64() / 1e6,
        t.approx_bytes() as f64 / n as f64
    );
    let ctx = Context::default();
    let t1 = Instant::now();
    let f = kensa_detect::beacon::Beacon.run(&t, &ctx);
    let at_period = f
        .iter()
        .filter(|f| (f.evidence.figures["period_s"] - 300.0).abs() < 30.0)
        .count();
    println!(
        "beacon: {:.2?}, {} findings, {at_period} at the planted 5 min period",
        t1.elapsed(),
        f.len()
    );
    for x in f
        .iter()
        .filter(|f| (f.evidence.figures["period_s"] - 300.0).abs() >= 30.0)
        .take(3)
    {
        println!("  other: {} n={} {:?}", x.key, x.count, x.evidence.figures);
    }
    let t2 = Instant::now();
    let f = kensa_detect::dga::Dga.run(&t, &ctx);
    println!("dga: {:.2?}, {} findings", t2.elapsed(), f.len());
    for d in kensa_detect::DETECTORS
        .iter()
        .filter(|d| !matches!(d.info().id, "beacon" | "dga"))
    {
        let t3 = Instant::now();
        let f = d.run(&t, &ctx);
        println!(
            "{}: {:.2?}, {} findings",
            d.info().id,
            t3.elapsed(),
            f.len()
        );
    }
}
