//! Simulates the Poisson null of the beacon test and writes
//! `model/beacon-null-v4.bin` (embedded by `beacon::robust::null_table`).
//!
//! ```text
//! cargo run --release -p kensa-detect --example gen_beacon_null [SMALL LARGE]
//! ```
//! By default 200 000 series per size up to 64 intervals and 50 000 above:
//! enough for the empirical CDF down to p ≈ 1e-5 where it matters (small
//! samples). `SMALL LARGE` override the two counts (quick experiments).
use kensa_detect::beacon::robust::simulate_null;

fn main() -> std::io::Result<()> {
    let arg = |i: usize, d: usize| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(d)
    };
    let (small, large) = (arg(1, 200_000), arg(2, 50_000));
    let t0 = std::time::Instant::now();
    let t = simulate_null(|m| if m <= 64 { small } else { large });
    let out = concat!(env!("CARGO_MANIFEST_DIR"), "/model/beacon-null-v4.bin");
    std::fs::write(out, t.to_bytes())?;
    eprintln!("wrote {out} in {:.1?}", t0.elapsed());
    Ok(())
}
