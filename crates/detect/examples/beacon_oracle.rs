//! How close is kensa's beacon test to the best possible one?
//!
//! ```text
//! cargo run --release -p kensa-detect --example beacon_oracle [TRIALS]
//! ```
//!
//! For the grid cells where kensa misses its recall targets, this runs two
//! *oracles*, likelihood-ratio tests of "this exact beacon" against a Poisson
//! process, at kensa's significance (1e-4, null quantile simulated per
//! series length):
//! * **period known**: jitter, miss rate and period known, as the simulator
//!   draws them, against a Poisson process of the maximum-likelihood rate.
//!   By the Neyman–Pearson lemma a likelihood ratio is the most powerful
//!   test of one model against another (approximately so here, the Poisson
//!   rate being estimated), so a test that must work without knowing them
//!   should not do better: where this oracle's recall is well below a
//!   target, the target is out of reach at that false-positive rate.
//! * **period unknown**: jitter and miss rate known, the likelihoods
//!   integrated over the period (scale-free, like kensa's test, which must
//!   find beacons from 30 s to hours). A tighter bound for a test that does
//!   not know the period.
//!
//! The oracle sees intervals between logged callbacks. Each is a sum of
//! `k ≥ 1` sleeps, uniform in `period × (1 ± jitter)`, with
//! `P(k) = (1 − miss) · miss^(k−1)`; its density is computed on a grid by
//! repeated convolution with the sleep's box density
//! (`robust::interval_density`, shared with kensa's likelihood-ratio
//! statistic, which must *not* know the jitter and the miss rate). For office-hours
//! cells the oracle also knows the schedule: intervals that span a night
//! (the machine was off) are left out, which only helps it.
//!
//! It also scores every series with the RITA v5 baseline, at its usual
//! threshold (0.7) and at a threshold matched to kensa's false-positive
//! rate on 2 000 simulated 24×7 Poisson browsing pairs (the grid's
//! negatives), so the two are compared at the same false-alarm cost.
//!
//! Prints one markdown row per cell: mean callbacks, kensa's recall, the
//! oracles' recall, RITA's recall at both thresholds.

use kensa_detect::beacon::eval::rita_score;
use kensa_detect::beacon::robust::{RobustParams, Scratch, analyze, interval_density};
use kensa_detect::beacon::sim::{self, BeaconSpec, Rng, WEEK_MS, WEEK_START_MS};
use std::collections::HashMap;

/// Grid step of the interval density, in periods.
const H: f64 = 0.0005;
/// Most sleeps summed in one interval (P(k > 14) < 1e-7 at 30 % missed).
const KMAX: usize = 14;
const ALPHA: f64 = 1e-4;
const NULL_SIMS: usize = 400_000;

/// Log density of an interval of `x` periods under the beacon model.
struct Density {
    logg: Vec<f64>,
}

impl Density {
    fn new(jitter: f64, miss: f64) -> Density {
        let g = interval_density(jitter, miss, H, KMAX);
        Density {
            logg: g.iter().map(|v| v.max(1e-300).ln()).collect(),
        }
    }

    fn log(&self, x: f64) -> f64 {
        let i = (x / H) as usize;
        self.logg.get(i).copied().unwrap_or(-690.0)
    }

    /// Scale-free log-likelihood ratio: the beacon likelihood integrated
    /// over the period `s` (uniform in `ln s`, 81 points over ±0.8 around
    /// the period the data's mean implies) against the exponential
    /// likelihood integrated the same way (`Γ(n) / (Σd)^n`). The grid moves
    /// with the data, so the statistic does not depend on the time unit.
    fn llr_scale_free(&self, d: &[f64], mean_periods: f64) -> f64 {
        let n = d.len() as f64;
        let sum: f64 = d.iter().sum();
        let centre = (sum / n / mean_periods).ln();
        const STEPS: usize = 81;
        let du = 1.6 / (STEPS - 1) as f64;
        let ls: Vec<f64> = (0..STEPS)
            .map(|i| {
                let u = centre - 0.8 + i as f64 * du;
                let inv = (-u).exp();
                d.iter().map(|&x| self.log(x * inv)).sum::<f64>() - n * u
            })
            .collect();
        let m = ls.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let alt = m + ls.iter().map(|l| (l - m).exp()).sum::<f64>().ln() + du.ln();
        let null = ln_gamma(n) - n * sum.ln();
        alt - null
    }

    /// Log-likelihood ratio of intervals `d` (in periods) against the
    /// exponential with the maximum-likelihood rate.
    fn llr(&self, d: &[f64]) -> f64 {
        let n = d.len() as f64;
        let sum: f64 = d.iter().sum();
        let alt: f64 = d.iter().map(|&x| self.log(x)).sum();
        let null = n * (n / sum).ln() - n;
        alt - null
    }
}

/// `ln Γ(x)` by Stirling's series (x ≥ 3 here).
fn ln_gamma(x: f64) -> f64 {
    (x - 0.5) * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI).ln() + 1.0 / (12.0 * x)
        - 1.0 / (360.0 * x.powi(3))
}

/// Intervals (in periods) between the logged callbacks; for office hours
/// only those within one day.
fn intervals(ts: &[i64], period_ms: f64, office: bool) -> Vec<f64> {
    ts.windows(2)
        .filter(|w| {
            !office || (w[0] - WEEK_START_MS) / 86_400_000 == (w[1] - WEEK_START_MS) / 86_400_000
        })
        .map(|w| (w[1] - w[0]) as f64 / period_ms)
        .collect()
}

fn main() {
    let trials: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let cells: &[(bool, f64, f64, f64)] = &[
        (false, 14_400.0, 0.3, 0.5),
        (false, 14_400.0, 0.3, 0.75),
        (false, 14_400.0, 0.1, 0.75),
        (false, 14_400.0, 0.0, 0.9),
        (false, 14_400.0, 0.1, 0.9),
        (false, 14_400.0, 0.3, 0.9),
        (false, 3_600.0, 0.3, 0.9),
        (true, 3_600.0, 0.3, 0.5),
        (true, 3_600.0, 0.3, 0.75),
        (true, 3_600.0, 0.1, 0.75),
        (true, 3_600.0, 0.0, 0.9),
        (true, 3_600.0, 0.1, 0.9),
        (true, 3_600.0, 0.3, 0.9),
        (true, 1_800.0, 0.3, 0.9),
    ];
    // RITA's threshold at kensa's false-positive rate on 24×7 Poisson pairs.
    let (mut kensa_fp, mut rita_neg) = (0usize, Vec::new());
    {
        let mut r = Rng::new(9);
        let mut s = Scratch::default();
        for i in 0..2000 {
            let ts = sim::poisson(
                [60.0, 300.0, 900.0, 3600.0][i % 4],
                WEEK_START_MS,
                WEEK_MS,
                false,
                &mut r,
            );
            kensa_fp += analyze(&ts, &RobustParams::default(), &mut s)
                .best()
                .is_some_and(|b| b.p_value < ALPHA) as usize;
            rita_neg.push(rita_score(&ts, true));
        }
    }
    rita_neg.sort_unstable_by(|a, b| b.total_cmp(a));
    let rita_matched = rita_neg[kensa_fp];
    let rita_fp = rita_neg.iter().filter(|&&x| x >= 0.7).count();
    println!(
        "24×7 Poisson pairs flagged (of 2 000): kensa {kensa_fp}, RITA at 0.7 {rita_fp}; \
         RITA's threshold at kensa's rate: score > {rita_matched:.3}\n"
    );
    println!(
        "| schedule | period | missed | jitter | callbacks | kensa | oracle, period unknown | oracle, period known | RITA ≥ 0.7 | RITA at kensa's FP rate |\n|---|---|---|---|---|---|---|---|---|---|"
    );
    let mut rng = Rng::new(7);
    let mut nrng = Rng::new(8);
    let mut s = Scratch::default();
    for &(office, period_s, miss, jitter) in cells {
        let dens = Density::new(jitter, miss);
        // Null: exponential intervals with the beacon's mean interval
        // (1 / (1 − miss) periods); the 1e-4 upper quantile per length.
        let mean = 1.0 / (1.0 - miss);
        let mut thresholds: HashMap<(usize, bool), f64> = HashMap::new();
        let mut threshold = |n: usize, free: bool, nrng: &mut Rng| -> f64 {
            *thresholds.entry((n, free)).or_insert_with(|| {
                let sims = if free { NULL_SIMS / 4 } else { NULL_SIMS };
                let mut v: Vec<f64> = (0..sims)
                    .map(|_| {
                        let d: Vec<f64> = (0..n).map(|_| nrng.exp(mean)).collect();
                        if free {
                            dens.llr_scale_free(&d, mean)
                        } else {
                            dens.llr(&d)
                        }
                    })
                    .collect();
                v.sort_unstable_by(|a, b| b.total_cmp(a));
                v[(ALPHA * sims as f64) as usize]
            })
        };
        let spec = BeaconSpec {
            period_s,
            jitter,
            miss,
            office_only: office,
        };
        let (mut ours, mut oracle, mut free, mut cb) = (0usize, 0usize, 0usize, 0usize);
        let (mut rita, mut rita_m) = (0usize, 0usize);
        for _ in 0..trials {
            let ts = sim::beacon(&spec, WEEK_START_MS, WEEK_MS, &mut rng);
            cb += ts.len();
            let rs = rita_score(&ts, false);
            rita += (rs >= 0.7) as usize;
            rita_m += (rs > rita_matched) as usize;
            ours += analyze(&ts, &RobustParams::default(), &mut s)
                .best()
                .is_some_and(|b| b.p_value < ALPHA) as usize;
            let d = intervals(&ts, period_s * 1000.0, office);
            if d.len() >= 3 && dens.llr(&d) > threshold(d.len(), false, &mut nrng) {
                oracle += 1;
            }
            if d.len() >= 3 && dens.llr_scale_free(&d, mean) > threshold(d.len(), true, &mut nrng) {
                free += 1;
            }
        }
        let n = trials as f64;
        println!(
            "| {} | {} | {:.0} % | {:.0} % | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            if office { "office hours" } else { "24×7" },
            if period_s >= 3600.0 {
                format!("{} h", period_s / 3600.0)
            } else {
                format!("{} min", period_s / 60.0)
            },
            miss * 100.0,
            jitter * 100.0,
            cb as f64 / n,
            ours as f64 / n,
            free as f64 / n,
            oracle as f64 / n,
            rita as f64 / n,
            rita_m as f64 / n
        );
    }
}
