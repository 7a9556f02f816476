//! A small, deterministic timestamp generator for evaluating beacon
//! detectors: jittered beacons (with missed callbacks, office hours, sleep
//! changes) and benign negatives (Poisson browsing, office-hours bursts,
//! exact pollers). Used by the `beacon_grid` example and the tests; no
//! detector logic depends on it.

/// xorshift64* PRNG: deterministic, dependency-free, good enough for
/// simulation (not for anything secret).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded generator (seed 0 is remapped).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in (0, 1).
    pub fn f64(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// Exponential with the given mean.
    pub fn exp(&mut self, mean: f64) -> f64 {
        -self.f64().ln() * mean
    }
    /// Uniform integer in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// Start of the simulated week: Monday 2024-01-01 00:00 UTC.
pub const WEEK_START_MS: i64 = 1_704_067_200_000;
/// One week in ms.
pub const WEEK_MS: i64 = 7 * 86_400_000;

/// Whether `t` falls in office hours (Mon–Fri 09:00–18:00 of the sim clock).
pub fn office_hours(t: i64) -> bool {
    let off = t - WEEK_START_MS;
    let day = off.div_euclid(86_400_000);
    let hour = off.rem_euclid(86_400_000) / 3_600_000;
    day.rem_euclid(7) < 5 && (9..18).contains(&hour)
}

/// A beacon to simulate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BeaconSpec {
    /// Sleep time (s).
    pub period_s: f64,
    /// Jitter fraction: each sleep is uniform in `period × (1 ± jitter)`.
    pub jitter: f64,
    /// Probability a callback is not logged.
    pub miss: f64,
    /// Only logged in office hours (machine off otherwise).
    pub office_only: bool,
}

/// Callback times (ms) of a beacon over `[start, start + len)`.
pub fn beacon(spec: &BeaconSpec, start: i64, len: i64, rng: &mut Rng) -> Vec<i64> {
    let mut out = Vec::new();
    let p = spec.period_s * 1000.0;
    let mut t = start as f64 + rng.f64() * p;
    while t < (start + len) as f64 {
        let ti = t as i64;
        if rng.f64() >= spec.miss && (!spec.office_only || office_hours(ti)) {
            out.push(ti);
        }
        t += (p * (1.0 + spec.jitter * (2.0 * rng.f64() - 1.0))).max(1000.0);
    }
    out
}

/// A beacon whose sleep changes from `a` to `b` at `switch_at`.
pub fn sleep_change(
    a: &BeaconSpec,
    b: &BeaconSpec,
    start: i64,
    switch_at: i64,
    end: i64,
    rng: &mut Rng,
) -> Vec<i64> {
    let mut v = beacon(a, start, switch_at - start, rng);
    v.extend(beacon(b, switch_at, end - switch_at, rng));
    v
}

/// Homogeneous Poisson arrivals with the given mean gap (s), optionally
/// only in office hours.
pub fn poisson(
    mean_gap_s: f64,
    start: i64,
    len: i64,
    office_only: bool,
    rng: &mut Rng,
) -> Vec<i64> {
    let mut out = Vec::new();
    let mut t = start as f64;
    loop {
        t += rng.exp(mean_gap_s * 1000.0).max(1.0);
        if t >= (start + len) as f64 {
            break;
        }
        if !office_only || office_hours(t as i64) {
            out.push(t as i64);
        }
    }
    out
}

/// Human browsing of one site: sessions start as a Poisson process in
/// office hours (`sessions_per_day`), each a geometric number of page loads
/// (mean `pages`) seconds to minutes apart.
pub fn office_bursts(
    sessions_per_day: f64,
    pages: f64,
    start: i64,
    len: i64,
    rng: &mut Rng,
) -> Vec<i64> {
    let mut out = Vec::new();
    let starts = poisson(
        86_400.0 / sessions_per_day / (9.0 / 24.0 * 5.0 / 7.0),
        start,
        len,
        true,
        rng,
    );
    for s in starts {
        let mut t = s as f64;
        loop {
            out.push(t as i64);
            if rng.f64() < 1.0 / pages {
                break;
            }
            // Mixture: quick sub-requests and reading time.
            t += if rng.f64() < 0.5 {
                rng.exp(4_000.0)
            } else {
                rng.exp(90_000.0)
            };
        }
    }
    out.sort_unstable();
    out
}

/// An exact poller (e.g. an update or monitoring agent): every `period_s`,
/// no jitter, 24×7. Periodic and benign: context must clear it.
pub fn poller(period_s: f64, start: i64, len: i64, rng: &mut Rng) -> Vec<i64> {
    beacon(
        &BeaconSpec {
            period_s,
            jitter: 0.0,
            miss: 0.0,
            office_only: false,
        },
        start,
        len,
        rng,
    )
}

/// Merges two sorted series.
pub fn merge(a: &[i64], b: &[i64]) -> Vec<i64> {
    let mut v = Vec::with_capacity(a.len() + b.len());
    v.extend_from_slice(a);
    v.extend_from_slice(b);
    v.sort_unstable();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_shapes() {
        let mut r = Rng::new(1);
        let b = beacon(
            &BeaconSpec {
                period_s: 60.0,
                jitter: 0.0,
                miss: 0.0,
                office_only: false,
            },
            WEEK_START_MS,
            WEEK_MS,
            &mut r,
        );
        assert!((10_079..=10_080).contains(&b.len()), "{}", b.len());
        let o = beacon(
            &BeaconSpec {
                period_s: 60.0,
                jitter: 0.0,
                miss: 0.0,
                office_only: true,
            },
            WEEK_START_MS,
            WEEK_MS,
            &mut r,
        );
        assert!((2699..=2701).contains(&o.len()), "{}", o.len()); // 5 days × 9 h × 60
        assert!(o.iter().all(|&t| office_hours(t)));
        let p = poisson(60.0, WEEK_START_MS, WEEK_MS, false, &mut r);
        assert!((9_500..10_700).contains(&p.len()), "{}", p.len());
        assert!(office_hours(WEEK_START_MS + 9 * 3_600_000));
        assert!(!office_hours(
            WEEK_START_MS + 5 * 86_400_000 + 10 * 3_600_000
        )); // Saturday
    }
}
