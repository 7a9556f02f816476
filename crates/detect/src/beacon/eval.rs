//! The beacon evaluation grid shared by `examples/beacon_grid.rs` and the
//! `beacon_grid` test: recall per (schedule, period, missed, jitter) cell for
//! kensa's test and the RITA v5 baseline, and false-positive rates on benign
//! negatives.

use super::rita::{RitaConfig, rita_best_window};
use super::robust::{RobustParams, Scratch, analyze};
use super::sim::{self, BeaconSpec, Rng, WEEK_MS, WEEK_START_MS};

/// Periods evaluated (s): 30 s, 5 min, 30 min, 1 h, 4 h.
pub const PERIODS: [f64; 5] = [30.0, 300.0, 1800.0, 3600.0, 14_400.0];
/// Jitter fractions evaluated.
pub const JITTERS: [f64; 6] = [0.0, 0.1, 0.25, 0.5, 0.75, 0.9];
/// Missed-callback rates evaluated.
pub const MISSES: [f64; 3] = [0.0, 0.1, 0.3];

/// One cell's outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    /// Office-hours-only schedule.
    pub office: bool,
    /// Period (s).
    pub period_s: f64,
    /// Jitter fraction.
    pub jitter: f64,
    /// Missed-callback rate.
    pub miss: f64,
    /// Mean callbacks per trial.
    pub callbacks: f64,
    /// kensa's recall.
    pub ours: f64,
    /// RITA's recall at the threshold.
    pub rita: f64,
}

/// Detection rules compared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    /// kensa: p-value threshold.
    pub alpha: f64,
    /// RITA: score threshold (0–1).
    pub rita_threshold: f64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            alpha: 1e-4,
            rita_threshold: 0.7,
        }
    }
}

/// Per-series outcome: (ours detected, RITA detected). Beacons are given a
/// constant request size (the most favourable case for RITA's data-size
/// score); benign series (`varied_sizes`) sizes spread over 200 B–40 kB.
pub fn judge(ts: &[i64], varied_sizes: bool, rules: &Rules, s: &mut Scratch) -> (bool, bool) {
    let ours = analyze(ts, &RobustParams::default(), s)
        .best()
        .is_some_and(|b| b.p_value < rules.alpha);
    (ours, rita_score(ts, varied_sizes) >= rules.rita_threshold)
}

/// RITA's best-24 h-window score of a simulated series (0 when it cannot
/// score it): constant 350 B requests for beacons, sizes spread over
/// 200 B–40 kB for benign series (`varied_sizes`), as in [`judge`].
pub fn rita_score(ts: &[i64], varied_sizes: bool) -> f64 {
    let secs: Vec<i64> = ts.iter().map(|t| t.div_euclid(1000)).collect();
    let bytes: Vec<f64> = if varied_sizes {
        let mut r = Rng::new(ts.len() as u64);
        ts.iter()
            .map(|_| (200.0 * (r.f64() * 5.3).exp()).round())
            .collect()
    } else {
        vec![350.0; secs.len()]
    };
    let start = WEEK_START_MS / 1000;
    rita_best_window(
        &secs,
        &bytes,
        start,
        start + WEEK_MS / 1000,
        &RitaConfig::default(),
    )
    .map_or(0.0, |r| r.score)
}

/// Runs the whole grid with `trials` series per cell.
pub fn run_grid(trials: usize, rules: &Rules, seed: u64) -> Vec<Cell> {
    let mut out = Vec::new();
    let mut s = Scratch::default();
    let mut rng = Rng::new(seed);
    for office in [false, true] {
        for &period_s in &PERIODS {
            for &miss in &MISSES {
                for &jitter in &JITTERS {
                    let spec = BeaconSpec {
                        period_s,
                        jitter,
                        miss,
                        office_only: office,
                    };
                    let (mut o, mut r, mut cb) = (0, 0, 0usize);
                    for _ in 0..trials {
                        let ts = sim::beacon(&spec, WEEK_START_MS, WEEK_MS, &mut rng);
                        cb += ts.len();
                        let (a, b) = judge(&ts, false, rules, &mut s);
                        o += a as usize;
                        r += b as usize;
                    }
                    let n = trials.max(1) as f64;
                    out.push(Cell {
                        office,
                        period_s,
                        jitter,
                        miss,
                        callbacks: cb as f64 / n,
                        ours: o as f64 / n,
                        rita: r as f64 / n,
                    });
                }
            }
        }
    }
    out
}

/// Special scenarios: (name, ours recall, RITA recall).
pub fn run_scenarios(trials: usize, rules: &Rules, seed: u64) -> Vec<(&'static str, f64, f64)> {
    let mut s = Scratch::default();
    let mut rng = Rng::new(seed);
    let mut res = Vec::new();
    let n = trials.max(1) as f64;
    // Sleep change: 5 min with 30 % jitter, then 1 h with 30 % jitter.
    let (mut o, mut r, mut seg_ok) = (0, 0, 0);
    for _ in 0..trials {
        let a = BeaconSpec {
            period_s: 300.0,
            jitter: 0.3,
            miss: 0.1,
            office_only: false,
        };
        let b = BeaconSpec {
            period_s: 3600.0,
            ..a
        };
        let ts = sim::sleep_change(
            &a,
            &b,
            WEEK_START_MS,
            WEEK_START_MS + 2 * 86_400_000,
            WEEK_START_MS + WEEK_MS,
            &mut rng,
        );
        let (x, y) = judge(&ts, false, rules, &mut s);
        o += x as usize;
        r += y as usize;
        let an = analyze(&ts, &RobustParams::default(), &mut s);
        if an.segments.len() >= 2 {
            seg_ok += 1;
        }
    }
    res.push((
        "sleep change 5 min → 1 h (30 % jitter)",
        o as f64 / n,
        r as f64 / n,
    ));
    res.push((
        "  … of which segmented into ≥ 2 periods",
        seg_ok as f64 / n,
        f64::NAN,
    ));
    // Two beacons on one host (to different destinations: judged separately).
    let (mut o, mut r) = (0, 0);
    for _ in 0..trials {
        let a = sim::beacon(
            &BeaconSpec {
                period_s: 60.0,
                jitter: 0.2,
                miss: 0.05,
                office_only: false,
            },
            WEEK_START_MS,
            WEEK_MS,
            &mut rng,
        );
        let b = sim::beacon(
            &BeaconSpec {
                period_s: 1800.0,
                jitter: 0.5,
                miss: 0.1,
                office_only: false,
            },
            WEEK_START_MS,
            WEEK_MS,
            &mut rng,
        );
        let (a1, b1) = judge(&a, false, rules, &mut s);
        let (a2, b2) = judge(&b, false, rules, &mut s);
        o += (a1 && a2) as usize;
        r += (b1 && b2) as usize;
    }
    res.push((
        "two beacons on one host (60 s + 30 min), both found",
        o as f64 / n,
        r as f64 / n,
    ));
    // Two beacons to the SAME destination (superposed): one finding needed.
    let (mut o, mut r) = (0, 0);
    for _ in 0..trials {
        let a = sim::beacon(
            &BeaconSpec {
                period_s: 300.0,
                jitter: 0.2,
                miss: 0.0,
                office_only: false,
            },
            WEEK_START_MS,
            WEEK_MS,
            &mut rng,
        );
        let b = sim::beacon(
            &BeaconSpec {
                period_s: 3600.0,
                jitter: 0.2,
                miss: 0.0,
                office_only: false,
            },
            WEEK_START_MS,
            WEEK_MS,
            &mut rng,
        );
        let (x, y) = judge(&sim::merge(&a, &b), false, rules, &mut s);
        o += x as usize;
        r += y as usize;
    }
    res.push((
        "two beacons superposed on one pair (5 min + 1 h)",
        o as f64 / n,
        r as f64 / n,
    ));
    res
}

/// Benign negatives: (name, ours FP rate, RITA FP rate).
pub fn run_negatives(trials: usize, rules: &Rules, seed: u64) -> Vec<(&'static str, f64, f64)> {
    let mut s = Scratch::default();
    let mut rng = Rng::new(seed);
    let n = trials.max(1) as f64;
    let mut res = Vec::new();
    type Gen = fn(&mut Rng, usize) -> Vec<i64>;
    let gens: [(&'static str, Gen); 5] = [
        ("Poisson browsing 24×7 (mean gap 1–60 min)", |r, i| {
            sim::poisson(
                [60.0, 300.0, 900.0, 3600.0][i % 4],
                WEEK_START_MS,
                WEEK_MS,
                false,
                r,
            )
        }),
        ("Poisson browsing, office hours only", |r, i| {
            sim::poisson([30.0, 120.0, 600.0][i % 3], WEEK_START_MS, WEEK_MS, true, r)
        }),
        ("office-hours bursts (sessions of page loads)", |r, i| {
            sim::office_bursts(
                [2.0, 6.0, 20.0][i % 3],
                [5.0, 15.0, 40.0][i % 3],
                WEEK_START_MS,
                WEEK_MS,
                r,
            )
        }),
        (
            "exact pollers 60 s / 300 s (periodic but benign)",
            |r, i| sim::poller([60.0, 300.0][i % 2], WEEK_START_MS, WEEK_MS, r),
        ),
        ("poller superposed on browsing (same pair)", |r, i| {
            let a = sim::poller(900.0, WEEK_START_MS, WEEK_MS, r);
            let b = sim::office_bursts(4.0, 10.0 + i as f64 % 3.0, WEEK_START_MS, WEEK_MS, r);
            sim::merge(&a, &b)
        }),
    ];
    for (name, g) in gens {
        let (mut o, mut r) = (0, 0);
        for i in 0..trials {
            let ts = g(&mut rng, i);
            let (a, b) = judge(&ts, true, rules, &mut s);
            o += a as usize;
            r += b as usize;
        }
        res.push((name, o as f64 / n, r as f64 / n));
    }
    res
}

/// Renders the grid as markdown tables (one per schedule), each cell
/// `ours / RITA`.
pub fn markdown(cells: &[Cell]) -> String {
    let mut s = String::new();
    for office in [false, true] {
        s.push_str(if office {
            "\n### Office hours only (Mon–Fri 09–18)\n\n"
        } else {
            "\n### 24×7\n\n"
        });
        s.push_str("| period | missed | callbacks |");
        for j in JITTERS {
            s.push_str(&format!(" jitter {:.0} % |", j * 100.0));
        }
        s.push_str("\n|---|---|---|");
        for _ in JITTERS {
            s.push_str("---|");
        }
        s.push('\n');
        for &p in &PERIODS {
            for &m in &MISSES {
                let row: Vec<&Cell> = cells
                    .iter()
                    .filter(|c| c.office == office && c.period_s == p && c.miss == m)
                    .collect();
                let cb = row.iter().map(|c| c.callbacks).sum::<f64>() / row.len().max(1) as f64;
                s.push_str(&format!(
                    "| {} | {:.0} % | {:.0} |",
                    super::human_period(p * 1000.0),
                    m * 100.0,
                    cb
                ));
                for c in row {
                    s.push_str(&format!(" {:.2} / {:.2} |", c.ours, c.rita));
                }
                s.push('\n');
            }
        }
    }
    s
}
