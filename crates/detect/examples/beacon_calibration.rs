//! Checks the beacon test's false-alarm rate on random (Poisson) series:
//! the share of series with p below 1e-2, 1e-3, 1e-4 should not exceed
//! those levels.
//!
//! ```text
//! cargo run --release -p kensa-detect --example beacon_calibration [TRIALS]
//! ```
use kensa_detect::beacon::robust::{RobustParams, Scratch, analyze};
use kensa_detect::beacon::sim::{Rng, WEEK_MS, WEEK_START_MS};

fn main() {
    let trials: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50_000);
    let mut r = Rng::new(5);
    let mut s = Scratch::default();
    println!("| events | p < 1e-2 | p < 1e-3 | p < 1e-4 |\n|---|---|---|---|");
    for n in [11usize, 16, 24, 50, 100, 200, 500] {
        let mut hits = [0usize; 3];
        for _ in 0..trials {
            let mut ts: Vec<i64> = (0..n)
                .map(|_| WEEK_START_MS + r.below(WEEK_MS as u64) as i64)
                .collect();
            ts.sort_unstable();
            if let Some(b) = analyze(&ts, &RobustParams::default(), &mut s).best() {
                for (h, lim) in hits.iter_mut().zip([1e-2, 1e-3, 1e-4]) {
                    *h += (b.p_value < lim) as usize;
                }
            }
        }
        let f = |h: usize| h as f64 / trials as f64;
        println!(
            "| {n} | {:.5} | {:.5} | {:.6} |",
            f(hits[0]),
            f(hits[1]),
            f(hits[2])
        );
    }
}
