//! Beacon evaluation grid: kensa's jitter-robust test vs the RITA v5
//! baseline on simulated weeks.
//!
//! ```text
//! cargo run --release -p kensa-detect --example beacon_grid [TRIALS]
//! ```
//!
//! Prints recall per cell (`kensa / RITA`) as markdown, the special
//! scenarios (sleep change, two beacons) and false-positive rates on benign
//! negatives. Detection rules: kensa p < 1e-4; RITA score ≥ 0.70 (best
//! 24 h window, constant request size, i.e. RITA's most favourable case).
use kensa_detect::beacon::eval::{Rules, markdown, run_grid, run_negatives, run_scenarios};

fn main() {
    let trials: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let rules = Rules::default();
    let t0 = std::time::Instant::now();
    let cells = run_grid(trials, &rules, 1);
    println!("## Recall per cell, kensa / RITA ({trials} simulated weeks per cell)");
    println!("{}", markdown(&cells));
    println!("\n## Scenarios (recall, kensa / RITA)\n\n| scenario | kensa | RITA |\n|---|---|---|");
    for (n, a, b) in run_scenarios(trials, &rules, 2) {
        let rita = if b.is_nan() { "n/a".to_string() } else { format!("{b:.2}") };
        println!("| {n} | {a:.2} | {rita} |");
    }
    println!(
        "\n## Benign negatives (flag rate over {} series each, kensa / RITA)\n\n| negatives | kensa | RITA |\n|---|---|---|",
        trials * 20
    );
    for (n, a, b) in run_negatives(trials * 20, &rules, 3) {
        println!("| {n} | {a:.4} | {b:.4} |");
    }
    eprintln!("done in {:.1?}", t0.elapsed());
}
