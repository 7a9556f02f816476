//! kensa's jitter-robust beacon test.
//!
//! RITA scores how *tight* the inter-arrival distribution is, which fails as
//! soon as an implant randomises its sleep (Cobalt Strike, Sliver and Mythic
//! all take a jitter percentage). This test instead asks: *are these
//! intervals more regular than a Poisson process with the same rate?* and
//! answers with a p-value, so 90 % jitter over a week is still a signal.
//!
//! Per series (the times of one client → destination pair):
//! 0. **Whole-second clocks** (ProxySG, i-FILTER, common log format):
//!    each time is spread uniformly over its second, because equal
//!    intervals of a coarse clock would otherwise read as regularity.
//! 1. **Bursts** closer than `burst_gap` collapse into one callback (a
//!    callback often makes several requests).
//! 2. **Sleep changes**: binary segmentation on the *ranks* of the intervals
//!    (a Mann–Whitney-style scan, robust to overnight gaps), depth 2, so a
//!    change of sleep time gives separate segments with their own period.
//! 3. Per segment, five scale-free regularity statistics. Two are Moran's
//!    statistic `M = ln(mean d) − mean(ln d)` (the likelihood-ratio test of
//!    exponential against gamma intervals: 0 for a perfect clock, ≈ 0.577
//!    for Poisson):
//!    * `raw`: on the intervals, those beyond 5.5 × the median dropped as
//!      gaps (night, weekend, machine off), at most 8 or a tenth of them;
//!    * `fold`: after folding each interval by its nearest multiple k ≤ 5
//!      of the period (missed callbacks), intervals beyond 5.5 periods
//!      dropped (as many as for `raw`; the rest count as 5 periods). The period is the median of the folded intervals, refined
//!      3 times.
//!
//!
//!    The third, `floor`, is `1 − min(d) / mean(d)` over the gap-trimmed
//!    intervals: the likelihood-ratio test of exponential against a
//!    *shifted* exponential. A jittered sleep has a floor — no interval is
//!    shorter than `period × (1 − jitter)` — and missed callbacks only add
//!    long intervals, never short ones, so this statistic keeps its power
//!    where misses blur the Moran statistics (e.g. 30 callbacks of a 4 h
//!    beacon with ±50 % jitter and 30 % of callbacks missed). For Poisson
//!    intervals `min/mean` is Beta(1, n − 1)-distributed, so a floor at a
//!    third of the mean is already rare at 30 intervals.
//!
//!    The fourth, `entropy`, is `exp(H) / mean` of the gap-trimmed
//!    intervals, `H` Vasicek's spacing estimate of their entropy: the
//!    exponential is the most disordered distribution of a given mean
//!    (`e` for Poisson), so any sleep with a bounded spread scores lower,
//!    whatever its shape; it sees floor and ceiling together, which a
//!    ±90 % jitter with few callbacks needs.
//!
//!    The fifth, `glr`, is `exp(−GLR / n)`, GLR the grid-averaged
//!    log-likelihood ratio of a beacon model against the exponential: a
//!    sleep uniform in `period × (1 ± jitter)`, each callback logged with
//!    probability `1 − miss`, 5 % of intervals allowed anywhere; the
//!    likelihood ratio is averaged over jitter {0.5, 0.7, 0.9}, miss
//!    {0, 0.15, 0.3} and 13 periods around the one the mean implies. It keeps its power where ±90 % jitter *and*
//!    missed callbacks blur every single feature ([`glr_ratio`]).
//!
//!    Intervals are measured minus `burst_gap`: for a Poisson process the
//!    time from a kept callback to the next one beyond the gap is exactly
//!    `gap + Exp`, so the null stays exponential.
//! 4. **Significance**: under a homogeneous Poisson null the statistics
//!    depend only on the number of intervals (the exponential is
//!    scale-free). Their null distributions are simulated offline for a
//!    grid of sizes ([`null_table`]). Each statistic gets its own p-value;
//!    the smallest of those of `raw`, `floor` and `glr` ([`COMBINED`]) is
//!    then referred to its own simulated null (the statistics are
//!    correlated, so this costs less than Bonferroni's factor of 3, which
//!    stays as the upper bound), and the result is Bonferroni-corrected for
//!    the number of segments. `fold` and `entropy` are reported as evidence
//!    but no longer vote: the likelihood ratio finds what they found, and
//!    every statistic in the minimum widens its null (with all five voting,
//!    grid recall at ±90 % jitter with misses was 0.05–0.1 lower).
//!
//! Cost: O(n log n) per series (a few sorts), plus 117 table-lookup passes
//! over the intervals for the likelihood ratio when a segment has at most
//! 256 of them; one reusable scratch buffer.

use std::sync::OnceLock;

/// Tunables of [`analyze`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RobustParams {
    /// Requests closer than this (ms) are one callback.
    pub burst_gap_ms: i64,
    /// Minimum callbacks in a segment to test it.
    pub min_callbacks: usize,
    /// Largest number of missed callbacks bridged by one interval, plus one.
    pub max_fold: u32,
    /// Minimum intervals on each side of a sleep-time change.
    pub min_segment: usize,
    /// |Z| of the rank scan needed to accept a sleep-time change.
    pub split_z: f64,
}

impl Default for RobustParams {
    fn default() -> Self {
        RobustParams {
            burst_gap_ms: 2_000,
            min_callbacks: 10,
            max_fold: 5,
            min_segment: 12,
            split_z: 5.0,
        }
    }
}

/// The verdict on one segment of a series.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Segment {
    /// First callback time (ms).
    pub start_ms: i64,
    /// Last callback time (ms).
    pub end_ms: i64,
    /// Callbacks observed (after burst collapse).
    pub callbacks: usize,
    /// Estimated period (ms).
    pub period_ms: f64,
    /// Estimated jitter as a fraction of the period (half-width of the
    /// central 90 % of folded intervals, / 0.9): 0.5 means ±50 %.
    pub jitter: f64,
    /// Callbacks inferred missing (intervals near k·period, k > 1).
    pub missed: u64,
    /// Share of intervals within the jitter band of some k·period, k ≤ 5.
    pub coverage: f64,
    /// Moran statistic of the gap-trimmed raw intervals (0 = clockwork,
    /// ≈ 0.58 = Poisson).
    pub stat_raw: f64,
    /// Moran statistic of the folded intervals.
    pub stat_fold: f64,
    /// `1 − min/mean` of the gap-trimmed intervals (0 = a hard floor at the
    /// mean, i.e. clockwork; near 1 for Poisson).
    pub stat_floor: f64,
    /// `exp(entropy) / mean` of the gap-trimmed intervals (0 = clockwork,
    /// ≈ e = 2.72 for Poisson).
    pub stat_entropy: f64,
    /// `exp(−GLR / n)` of the gap-trimmed intervals: how much better a
    /// jittered sleep with missed callbacks explains them than a Poisson
    /// process (≈ 1 or above for Poisson, 0.66 for a perfect ±90 % sleep).
    pub stat_glr: f64,
    /// Corrected p-value against a Poisson process (smaller = more periodic).
    pub p_value: f64,
}

/// Result for a whole series.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Analysis {
    /// Callbacks after burst collapse.
    pub callbacks: usize,
    /// Tested segments, in time order.
    pub segments: Vec<Segment>,
}

impl Analysis {
    /// The most significant segment.
    pub fn best(&self) -> Option<&Segment> {
        self.segments
            .iter()
            .min_by(|a, b| a.p_value.total_cmp(&b.p_value))
    }
}

/// Reusable buffers so analysing millions of series allocates little.
#[derive(Debug, Default)]
pub struct Scratch {
    cb: Vec<i64>,
    dither: Vec<i64>,
    d: Vec<f64>,
    a: Vec<f64>,
    b: Vec<f64>,
    idx: Vec<u32>,
    ranks: Vec<f64>,
}

/// Standard normal CDF (Abramowitz–Stegun 7.1.26 erfc, |error| < 1.5e-7;
/// written here because only this one function is needed).
pub fn norm_cdf(z: f64) -> f64 {
    if !z.is_finite() {
        return if z > 0.0 { 1.0 } else { 0.0 };
    }
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erfc = poly * (-x * x).exp();
    // For very negative z, use the asymptotic tail to keep tiny p-values.
    if z < -6.0 {
        let zz = -z;
        return (-(zz * zz) / 2.0).exp() / (zz * (2.0 * std::f64::consts::PI).sqrt());
    }
    if z >= 0.0 {
        1.0 - erfc / 2.0
    } else {
        erfc / 2.0
    }
}

/// Quantile of sorted data by linear interpolation.
fn quantile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let pos = q * (v.len() - 1) as f64;
    let i = pos.floor() as usize;
    let f = pos - i as f64;
    if i + 1 < v.len() {
        v[i] * (1.0 - f) + v[i + 1] * f
    } else {
        v[i]
    }
}

/// Moran's statistic `ln(mean) − mean(ln x)` (≥ 0; 0 iff all equal).
/// Values are floored at 1e-12 of the mean so zeros cannot give −∞.
fn moran(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    if mean.is_nan() || mean <= 0.0 || !mean.is_finite() {
        return 0.0;
    }
    let floor = mean * 1e-12;
    let ml = v.iter().map(|&x| x.max(floor).ln()).sum::<f64>() / n;
    (mean.ln() - ml).max(0.0)
}

/// Most intervals treated as gaps: enough for the nights and weekend of a
/// week of office-hours beacons (≤ 8), at most a quarter of a short series,
/// and a tenth of a long one. Dropping gaps selects the regular part, so
/// the null simulation applies the same rule and pays for it in p-value.
fn max_gaps(m: usize) -> usize {
    (m / 10).max(8.min(m / 4))
}

/// The sorted intervals without gaps (> 5.5 × median, at most a tenth).
fn trimmed(sorted: &[f64]) -> &[f64] {
    let lim = 5.5 * quantile(sorted, 0.5);
    let keep = sorted
        .partition_point(|&x| x <= lim)
        .max(sorted.len() - max_gaps(sorted.len()));
    &sorted[..keep]
}

/// Folds `d` around a period estimate. Returns (period, folded sorted in
/// `out`). `out` holds only non-gap intervals.
fn fold(d: &[f64], max_fold: u32, out: &mut Vec<f64>) -> f64 {
    out.clear();
    out.extend_from_slice(d);
    out.sort_unstable_by(f64::total_cmp);
    let mut p = quantile(out, 0.5);
    // Only the largest few may be dropped as gaps (see `max_gaps`).
    let g = max_gaps(d.len());
    let gap_cut = if g == 0 {
        f64::INFINITY
    } else {
        out[d.len() - g]
    };
    for _ in 0..3 {
        if p.is_nan() || p <= 0.0 {
            break;
        }
        out.clear();
        for &x in d {
            let k = (x / p).round().max(1.0);
            if k <= max_fold as f64 {
                out.push(x / k);
            } else if x < gap_cut {
                out.push(x / max_fold as f64);
            }
        }
        if out.is_empty() {
            break;
        }
        out.sort_unstable_by(f64::total_cmp);
        p = quantile(out, 0.5);
    }
    p
}

/// The statistics of the test, in the order of the null table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    /// Moran's statistic of the gap-trimmed raw intervals.
    Raw = 0,
    /// Moran's statistic of the intervals folded by the period.
    Fold = 1,
    /// `1 − min/mean` of the gap-trimmed intervals.
    Floor = 2,
    /// `exp(entropy) / mean` of the gap-trimmed intervals.
    Entropy = 3,
    /// `exp(−GLR / n)`: the grid-averaged likelihood ratio of a jittered
    /// sleep with missed callbacks against the exponential.
    Glr = 4,
}

/// Number of statistics computed (and simulated) per segment.
pub const NSTATS: usize = 5;
/// The statistics whose p-values make the test's. Fold and entropy are
/// still computed and reported as evidence, but each statistic added to
/// the minimum costs every other one power (its null widens): over the
/// grid, the likelihood ratio finds what they found and more.
pub const COMBINED: [Stat; 3] = [Stat::Raw, Stat::Floor, Stat::Glr];

/// The statistics of one series of intervals, as the test and the
/// null simulation both compute them. `d` is the intervals in time order;
/// `sorted` and `folded` are scratch. Returns (stats, period).
fn statistics(
    d: &[f64],
    max_fold: u32,
    sorted: &mut Vec<f64>,
    folded: &mut Vec<f64>,
) -> ([f64; NSTATS], f64) {
    sorted.clear();
    sorted.extend_from_slice(d);
    sorted.sort_unstable_by(f64::total_cmp);
    let t = trimmed(sorted);
    let raw = moran(t);
    let floor = if t.is_empty() {
        1.0
    } else {
        let mean = t.iter().sum::<f64>() / t.len() as f64;
        if mean > 0.0 && mean.is_finite() {
            (1.0 - t[0] / mean).clamp(0.0, 1.0)
        } else {
            1.0
        }
    };
    let entropy = entropy_ratio(t);
    let glr = glr_ratio(t);
    let period = fold(d, max_fold, folded);
    ([raw, moran(folded), floor, entropy, glr], period)
}

/// `exp(H) / mean` of sorted intervals, `H` being Vasicek's spacing
/// estimate of their differential entropy with window `m = 1.5 √n`
/// (interpolated between the two integer windows around it):
/// `H = mean over i of ln(n / (2m) · (x[i+m] − x[i−m]))`, indices clamped
/// to the sample.
///
/// Why: among distributions on `[0, ∞)` with a given mean the exponential
/// has the largest entropy (`exp(H) / mean = e` for it), so intervals of
/// any more regular process score lower: a uniform sleep of ±90 % jitter
/// scores `1.8`, a clock 0. This is the entropy test of exponentiality
/// (Ebrahimi, Habibullah and Soofi, 1992), made one-sided: intervals more
/// dispersed than exponential (CV ≥ 1: bursts) score `e`. It uses the whole shape of the
/// intervals — flat density, floor *and* ceiling — where Moran's statistic
/// sees a gamma-like summary and the floor only the minimum, which is what
/// 40 callbacks of a ±90 % beacon need (grid recall 0.58 → 0.99 at 4 h, 24×7).
/// Written here: it is ten lines over the already sorted intervals.
fn entropy_ratio(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n < 3 {
        // Too few to say anything: the exponential's own value.
        return std::f64::consts::E;
    }
    let mean = sorted.iter().sum::<f64>() / n as f64;
    if !(mean > 0.0 && mean.is_finite()) {
        return 0.0;
    }
    // One-sided: every departure from the exponential lowers the entropy,
    // bursts of page loads (over-dispersed, CV > 1) as much as a regular
    // sleep (CV < 1). Only the regular direction is evidence of a beacon, so
    // over-dispersed intervals get the exponential's own value; the null
    // simulation applies the same rule, so p-values stay calibrated.
    let var = sorted.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    if var >= mean * mean {
        return std::f64::consts::E;
    }
    // The window grows continuously with n (the two integer windows around
    // 1.5 √n, weighted), so the statistic's null narrows smoothly as n
    // grows: `NullTable::p_value` reads this statistic at the next smaller
    // grid size, which is conservative only if the null does not jump
    // between sizes as a rounded window would make it.
    let w = (1.5 * (n as f64).sqrt()).clamp(1.0, ((n - 1) / 2).max(1) as f64);
    let m0 = (w.floor() as usize).max(1);
    let frac = if m0 + 1 > (n - 1) / 2 { 0.0 } else { w - m0 as f64 };
    let floor = mean * 1e-12;
    let vasicek = |m: usize| {
        let scale = n as f64 / (2.0 * m as f64);
        (0..n)
            .map(|i| {
                let hi = sorted[(i + m).min(n - 1)];
                let lo = sorted[i.saturating_sub(m)];
                (scale * (hi - lo)).max(floor).ln()
            })
            .sum::<f64>()
            / n as f64
    };
    let h = if frac > 0.0 {
        (1.0 - frac) * vasicek(m0) + frac * vasicek(m0 + 1)
    } else {
        vasicek(m0)
    };
    (h.exp() / mean).max(0.0)
}

/// Half-widths of the sleeps the likelihood-ratio statistic tries, as a
/// fraction of the period (`sleep ∈ period × (1 ± jitter)`). Jitters below
/// ±50 % are left to the Moran and floor statistics, which already find
/// them; every model added widens this statistic's null.
const GLR_JITTER: [f64; 3] = [0.5, 0.7, 0.9];
/// Miss rates tried: each callback unlogged with this probability, so an
/// interval is a sum of `k` sleeps with `P(k) = (1 − miss) · miss^(k − 1)`.
const GLR_MISS: [f64; 3] = [0.0, 0.15, 0.3];
/// Most sleeps summed in one modelled interval; the rest of the mass (at
/// most `0.3^6`, 0.07 %) is left to the outlier component.
const GLR_KMAX: usize = 6;
/// Density table step, in periods.
const GLR_STEP: f64 = 1.0 / 256.0;
/// Share of intervals the model lets fall anywhere (an exponential of the
/// data's mean): a user's own visit to the C2 host, a retry, a bad clock.
/// Without it one interval outside the sleep band would rule a beacon out.
const GLR_OUTLIER: f64 = 0.05;
/// Period scan: `PERIOD_STEPS` log-spaced factors within `±PERIOD_SPAN` (in
/// `ln`) around the period the model's miss rate implies from the mean.
const GLR_PERIOD_STEPS: usize = 13;
const GLR_PERIOD_SPAN: f64 = 0.3;
/// Longest series the statistic is computed for (more intervals: the other
/// statistics have the power, and the cost grows with `n`).
pub const GLR_MAX_INTERVALS: usize = 256;
/// The statistic's value where it is not computed (too few or too many
/// intervals): above any computed value, so it is never evidence. (1.0,
/// the neutral-looking value, is far in the lower tail of the null at 256
/// intervals, where a Poisson series scores ≈ 1.25: series just above the
/// limit read at that size were flagged.)
const GLR_NOT_COMPUTED: f64 = 1e6;

/// The interval density of one beacon model, in periods, on a grid of
/// [`GLR_STEP`]: `g(u) = Σ_k P(k) · box^{*k}(u)`, the box being the sleep's
/// uniform density on `[1 − jitter, 1 + jitter]`.
struct GlrModel {
    miss: f64,
    dens: Vec<f64>,
}

impl GlrModel {
    fn new(jitter: f64, miss: f64) -> GlrModel {
        GlrModel { miss, dens: interval_density(jitter, miss, GLR_STEP, GLR_KMAX) }
    }
}

/// The density of an interval between two logged callbacks, in periods, on
/// a grid of `step` (cell `i` holds it at `(i + 0.5) · step`), for a sleep
/// uniform in `1 ± jitter` periods with each callback logged with
/// probability `1 − miss`: `Σ_{k ≤ kmax} (1 − miss) · miss^(k−1) · box^{*k}`.
/// Each convolution with the box is a difference of the running integral.
/// Used by the likelihood-ratio statistic and by `examples/beacon_oracle.rs`.
pub fn interval_density(jitter: f64, miss: f64, step: f64, kmax: usize) -> Vec<f64> {
    let n = ((kmax as f64 * (1.0 + jitter) + 1.0) / step) as usize;
    let (lo, hi) = (1.0 - jitter, 1.0 + jitter);
    let w = hi - lo;
    let mut hk: Vec<f64> = (0..n)
        .map(|i| {
            let x = (i as f64 + 0.5) * step;
            if x >= lo && x <= hi { 1.0 / w } else { 0.0 }
        })
        .collect();
    let mut dens: Vec<f64> = hk.iter().map(|v| v * (1.0 - miss)).collect();
    let mut pk = 1.0 - miss;
    let mut c = vec![0.0; n + 1];
    for _ in 2..=kmax {
        if miss == 0.0 {
            break;
        }
        for i in 0..n {
            c[i + 1] = c[i] + hk[i] * step;
        }
        let at = |x: f64| if x <= 0.0 { 0.0 } else { c[((x / step) as usize).min(n)] };
        hk = (0..n)
            .map(|i| {
                let x = (i as f64 + 0.5) * step;
                (at(x - lo) - at(x - hi)) / w
            })
            .collect();
        pk *= miss;
        for (d, h) in dens.iter_mut().zip(&hk) {
            *d += pk * h;
        }
    }
    dens
}

fn glr_models() -> &'static [GlrModel] {
    static M: OnceLock<Vec<GlrModel>> = OnceLock::new();
    M.get_or_init(|| {
        GLR_JITTER
            .iter()
            .flat_map(|&j| GLR_MISS.iter().map(move |&m| GlrModel::new(j, m)))
            .collect()
    })
}

/// `exp(−GLR / n)` of the gap-trimmed intervals, GLR being the log of the
/// likelihood ratio of "a sleep uniform in `period × (1 ± jitter)`, each
/// callback logged with probability `1 − miss`, plus a few stray
/// intervals" against "exponential intervals" (Poisson), averaged over a
/// grid of jitters, miss rates and periods (an integrated likelihood, a
/// uniform prior on the grid, as the oracle example integrates over the
/// period; taking the maximum instead scored the same in a trial). ≈ 1 or above for Poisson, lower
/// the better a jittered sleep explains the intervals (0.66 for a
/// perfect ±90 % sleep, 0.04 for a ±5 % one).
///
/// Why: the other statistics each see one feature of a beacon (shape,
/// folding, floor, flatness); with ±90 % jitter *and* missed callbacks
/// none of those features is sharp, but the likelihood of the whole model
/// still is (the best test that knows jitter and miss rate reaches 0.8
/// recall there at 38 callbacks; the entropy statistic 0.4). Uniform sleeps
/// are how Cobalt Strike, Sliver, Mythic and Empire jitter (a one-sided
/// `sleep × (1 − U·jitter)` is the same family re-centred). The period is
/// integrated over a grid relative to the data's mean, so the statistic
/// is scale-free and its Poisson null depends on `n` only. Written here:
/// a few table lookups per interval and model; no library does this.
fn glr_ratio(t: &[f64]) -> f64 {
    let n = t.len();
    if !(3..=GLR_MAX_INTERVALS).contains(&n) {
        return GLR_NOT_COMPUTED;
    }
    let mean = t.iter().sum::<f64>() / n as f64;
    if !(mean > 0.0 && mean.is_finite()) {
        return GLR_NOT_COMPUTED;
    }
    // Stray-interval density at each x, and the exponential's log-likelihood.
    let mut stray = [0f64; GLR_MAX_INTERVALS];
    for (s, &x) in stray.iter_mut().zip(t) {
        *s = GLR_OUTLIER * (-x / mean).exp() / mean;
    }
    let stray = &stray[..n];
    let null = -(n as f64) * (mean.ln() + 1.0);
    let keep = 1.0 - GLR_OUTLIER;
    let mut lls = Vec::with_capacity(GLR_JITTER.len() * GLR_MISS.len() * GLR_PERIOD_STEPS);
    for model in glr_models() {
        let last = model.dens.len() - 1;
        let centre = mean * (1.0 - model.miss);
        for k in 0..GLR_PERIOD_STEPS {
            let f = -GLR_PERIOD_SPAN + 2.0 * GLR_PERIOD_SPAN * k as f64 / (GLR_PERIOD_STEPS - 1) as f64;
            let period = centre * f.exp();
            let (inv, scale) = (1.0 / (period * GLR_STEP), keep / period);
            let ll: f64 = t
                .iter()
                .zip(stray)
                .map(|(&x, &s)| {
                    let i = ((x * inv) as usize).min(last);
                    (scale * model.dens[i] + s).ln()
                })
                .sum();
            lls.push(ll);
        }
    }
    let best = lls.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mix = best + (lls.iter().map(|l| (l - best).exp()).sum::<f64>() / lls.len() as f64).ln();
    let glr = mix - null;
    if glr.is_finite() { (-glr / n as f64).exp().min(GLR_NOT_COMPUTED) } else { GLR_NOT_COMPUTED }
}

/// The Poisson null of the statistics for a grid of sizes: lower-tail
/// quantiles of the simulated `ln(S + EPS)` (empirical CDF) plus their mean
/// and sd (normal approximation, used only beyond the simulated range).
///
/// Why both: in small samples the gap/fold steps give the statistics a
/// heavier lower tail than any simple parametric form, so the empirical CDF
/// decides wherever it has data; the normal tail only ranks values more
/// extreme than every simulation (and then never reports a p-value above
/// the smallest simulated probability).
///
/// Simulating enough series for p ≈ 1e-5 takes about a minute, so the table
/// is computed offline by `examples/gen_beacon_null.rs` and embedded from
/// `model/beacon-null-v4.bin` ([`null_table`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NullTable {
    sizes: Vec<u32>,
    /// Per size: (mean, sd) of each statistic, in [`Stat`] order (the
    /// floor's are stored but unused: its tail has a closed form).
    moments: Vec<[f32; 2 * NSTATS]>,
    /// Per statistic, per size: quantiles at [`tail_prob`]`(k)`.
    q: [Vec<Vec<f32>>; NSTATS],
    /// Per size: quantiles of `ln(min_p)`, the smallest of the
    /// [`COMBINED`] p-values of a null series ([`NullTable::combined_p`]).
    q_min: Vec<Vec<f32>>,
}

const EPS: f64 = 1e-4;
/// Most intervals fed to the statistics per segment (evenly subsampled).
pub const MAX_TEST_INTERVALS: usize = 1024;
/// Sizes (intervals) of the null grid.
pub const NULL_SIZES: [u32; 39] = [
    6, 7, 8, 9, 10, 11, 13, 14, 16, 18, 20, 23, 26, 29, 32, 36, 40, 45, 51, 57, 64, 72, 81, 91, 102,
    114, 128, 152, 181, 215, 256, 304, 362, 431, 512, 609, 724, 861, 1024,
];
/// Quantiles stored per size and statistic.
pub const NULL_QUANTILES: usize = 256;

/// The probability of stored quantile `k`: log-spaced from 1e-5 to 1.
pub fn tail_prob(k: usize) -> f64 {
    10f64.powf(-5.0 + 5.0 * k as f64 / (NULL_QUANTILES - 1) as f64)
}

struct XorShift(u64);
impl XorShift {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn next_f64(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
}

/// Simulates the null: `sims(m)` Poisson series per grid size. Deterministic
/// (each size has its own seeded generator), run on all cores, sizes
/// handed out largest first.
pub fn simulate_null(sims: impl Fn(u32) -> usize + Sync) -> NullTable {
    let mut t = NullTable {
        sizes: NULL_SIZES.to_vec(),
        moments: Vec::new(),
        q: Default::default(),
        q_min: Vec::new(),
    };
    // First pass: each statistic's own null.
    let first = per_size(|m| {
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d ^ (m as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let (mut d, mut s, mut f) = (Vec::new(), Vec::new(), Vec::new());
        let n = sims(m).max(2);
        let mut xs: [Vec<f64>; NSTATS] = Default::default();
        for _ in 0..n {
            d.clear();
            d.extend((0..m).map(|_| -rng.next_f64().ln()));
            let (st, _) = statistics(&d, 5, &mut s, &mut f);
            for (x, v) in xs.iter_mut().zip(st) {
                x.push((v + EPS).ln());
            }
        }
        let mut mom = [0f32; 2 * NSTATS];
        let mut qs: [Vec<f32>; NSTATS] = Default::default();
        for (i, x) in xs.iter_mut().enumerate() {
            let (a, b) = mean_sd(x);
            mom[2 * i] = a as f32;
            mom[2 * i + 1] = b as f32;
            qs[i] = null_quantiles(x);
        }
        (mom, qs)
    });
    for (mom, qs) in first {
        t.moments.push(mom);
        for (q, v) in t.q.iter_mut().zip(qs) {
            q.push(v);
        }
    }
    // Second pass, on fresh series: the null of the smallest per-statistic
    // p-value, so the statistics are combined at their real dependence
    // rather than by a Bonferroni factor (with three statistics the factor
    // measured 2.4–2.6 at 23–32 intervals and 3 from 100 up: a small gain
    // where series are short).
    let tr = &t;
    let q_min = per_size(|m| {
        let mut rng = XorShift(0x9e6c_63d0_676a_9a99 ^ (m as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let (mut d, mut s, mut f) = (Vec::new(), Vec::new(), Vec::new());
        let n = sims(m).max(2);
        let mut v: Vec<f64> = (0..n)
            .map(|_| {
                d.clear();
                d.extend((0..m).map(|_| -rng.next_f64().ln()));
                let (st, _) = statistics(&d, 5, &mut s, &mut f);
                tr.min_p(m as usize, st).max(1e-300).ln()
            })
            .collect();
        null_quantiles(&mut v)
    });
    t.q_min = q_min;
    t
}

/// `f(m)` for every size of [`NULL_SIZES`], in that order, computed on all
/// cores (largest sizes first, so the slow ones do not come last).
fn per_size<R: Send>(f: impl Fn(u32) -> R + Sync) -> Vec<R> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<R>>> = Mutex::new((0..NULL_SIZES.len()).map(|_| None).collect());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|sc| {
        for _ in 0..threads {
            sc.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= NULL_SIZES.len() {
                        break;
                    }
                    let j = NULL_SIZES.len() - 1 - k;
                    let r = f(NULL_SIZES[j]);
                    out.lock().unwrap_or_else(|e| e.into_inner())[j] = Some(r);
                }
            });
        }
    });
    out.into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.expect("every size computed"))
        .collect()
}

/// Sorts `v` and keeps its values at the stored probabilities [`tail_prob`].
fn null_quantiles(v: &mut [f64]) -> Vec<f32> {
    v.sort_unstable_by(f64::total_cmp);
    (0..NULL_QUANTILES)
        .map(|k| v[((tail_prob(k) * v.len() as f64) as usize).min(v.len() - 1)] as f32)
        .collect()
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, var.sqrt().max(1e-6))
}

const NULL_MAGIC: &[u8; 4] = b"KBNL";
const NULL_VERSION: u8 = 4;

impl NullTable {
    /// Serialises (little-endian): `b"KBNL"`, version `u8` = 3, sizes `u16`,
    /// quantiles `u16`, then per size: size `u32`, `2 × NSTATS` moments
    /// `f32`, the quantiles `f32` of each statistic in [`Stat`] order, then
    /// the quantiles of `ln(min_p)`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(NULL_MAGIC);
        v.push(NULL_VERSION);
        v.extend_from_slice(&(self.sizes.len() as u16).to_le_bytes());
        v.extend_from_slice(&(NULL_QUANTILES as u16).to_le_bytes());
        for j in 0..self.sizes.len() {
            v.extend_from_slice(&self.sizes[j].to_le_bytes());
            let qs = self
                .q
                .iter()
                .flat_map(|q| q[j].iter())
                .chain(&self.q_min[j]);
            for x in self.moments[j].iter().chain(qs) {
                v.extend_from_slice(&x.to_le_bytes());
            }
        }
        v
    }

    /// Parses [`NullTable::to_bytes`] output, checking sizes, order and
    /// finiteness.
    pub fn from_bytes(b: &[u8]) -> Result<NullTable, String> {
        let per = 4 + 4 * (2 * NSTATS + (NSTATS + 1) * NULL_QUANTILES);
        if b.len() < 9 || &b[..4] != NULL_MAGIC || b[4] != NULL_VERSION {
            return Err("not a beacon null table (magic/version)".into());
        }
        let n = u16::from_le_bytes([b[5], b[6]]) as usize;
        let k = u16::from_le_bytes([b[7], b[8]]) as usize;
        if n == 0 || k != NULL_QUANTILES || b.len() != 9 + n * per {
            return Err(format!(
                "bad shape: {n} sizes, {k} quantiles, {} bytes",
                b.len()
            ));
        }
        let f = |o: usize| f32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let mut t = NullTable {
            sizes: Vec::new(),
            moments: Vec::new(),
            q: Default::default(),
            q_min: Vec::new(),
        };
        for j in 0..n {
            let o = 9 + j * per;
            t.sizes
                .push(u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]));
            let mut mom = [0f32; 2 * NSTATS];
            for (i, m) in mom.iter_mut().enumerate() {
                *m = f(o + 4 + 4 * i);
            }
            t.moments.push(mom);
            let q0 = o + 4 + 4 * 2 * NSTATS;
            for (i, q) in t.q.iter_mut().enumerate() {
                q.push((0..k).map(|x| f(q0 + 4 * (i * k + x))).collect());
            }
            t.q_min
                .push((0..k).map(|x| f(q0 + 4 * (NSTATS * k + x))).collect());
        }
        let finite = t
            .moments
            .iter()
            .flatten()
            .chain(t.q.iter().flatten().flatten())
            .chain(t.q_min.iter().flatten())
            .all(|x| x.is_finite());
        let sorted = t.sizes.windows(2).all(|w| w[0] < w[1])
            && t.q
                .iter()
                .flatten()
                .chain(&t.q_min)
                .all(|q| q.windows(2).all(|w| w[0] <= w[1]));
        let degenerate = t
            .moments
            .iter()
            .any(|m| (0..NSTATS).any(|i| m[2 * i + 1] <= 0.0));
        if !finite || !sorted || degenerate {
            return Err("non-finite, unsorted or degenerate values".into());
        }
        Ok(t)
    }

    /// One-sided p-value that statistic `which` is this small for `m`
    /// Poisson intervals.
    ///
    /// Between two grid sizes the p-value is interpolated log-linearly in
    /// `m`. Taking the smaller size instead would be conservative but costs
    /// much of the power at 20–40 intervals, where the null narrows fast
    /// with `m` (for the floor statistic of untrimmed intervals
    /// `P(min/mean > r) = (1 − r)^(m − 1)`, whose logarithm is exactly
    /// linear in `m`; the Moran statistics' tails behave alike). The
    /// calibration test checks the result on fresh Poisson series.
    pub fn p_value(&self, m: usize, stat: f64, which: Stat) -> f64 {
        if which == Stat::Glr && stat >= GLR_NOT_COMPUTED {
            return 1.0;
        }
        let last = self.sizes.len() - 1;
        let m = (m as u32).clamp(self.sizes[0], self.sizes[last]);
        let j = self.sizes.partition_point(|&s| s < m).min(last);
        if self.sizes[j] == m || j == 0 {
            return self.p_at(j, stat, which);
        }
        if matches!(which, Stat::Entropy | Stat::Glr) {
            // Not interpolated: the spacing estimate's null is not
            // log-linear between grid sizes (interpolating it gave 1.5× the
            // nominal rate at 1e-3). The smaller size is conservative: the
            // null narrows as the sample grows.
            return self.p_at(j - 1, stat, which);
        }
        let (a, b) = (self.sizes[j - 1] as f64, self.sizes[j] as f64);
        let (lo, hi) = (self.p_at(j - 1, stat, which), self.p_at(j, stat, which));
        let f = (m as f64 - a) / (b - a);
        (lo.max(1e-300).ln() * (1.0 - f) + hi.max(1e-300).ln() * f)
            .exp()
            .min(1.0)
    }

    /// The smallest of the per-statistic p-values of `stats` (in [`Stat`]
    /// order) for `m` intervals.
    pub fn min_p(&self, m: usize, stats: [f64; NSTATS]) -> f64 {
        COMBINED
            .iter()
            .map(|&w| self.p_value(m, stats[w as usize], w))
            .fold(1.0, f64::min)
    }

    /// The p-value of a series whose smallest per-statistic p-value is
    /// `min_p`: the simulated null of that minimum (the larger of the two
    /// grid sizes around `m`: conservative), never above the Bonferroni
    /// bound `NSTATS × min_p`, which is also used beyond the simulations.
    pub fn combined_p(&self, m: usize, min_p: f64) -> f64 {
        let bonferroni = (COMBINED.len() as f64 * min_p).min(1.0);
        if self.q_min.is_empty() || min_p.is_nan() {
            return bonferroni;
        }
        let last = self.sizes.len() - 1;
        let m = (m as u32).clamp(self.sizes[0], self.sizes[last]);
        let j = self.sizes.partition_point(|&s| s < m).min(last);
        let x = min_p.max(1e-300).ln();
        let at = |j: usize| empirical(&self.q_min[j], x).unwrap_or(tail_prob(0));
        let emp = if self.sizes[j] == m || j == 0 {
            at(j)
        } else {
            at(j - 1).max(at(j))
        };
        emp.min(bonferroni)
    }

    /// The p-value of `stat` at grid size index `j`.
    fn p_at(&self, j: usize, stat: f64, which: Stat) -> f64 {
        let w = which as usize;
        let x = (stat + EPS).ln();
        if which == Stat::Floor {
            // Beyond the simulations, the closed form for `n` untrimmed
            // intervals, `(1 − r)^(n − 1)`, taken with `n` reduced by the
            // intervals trimming may drop: conservative (checked against
            // 400 000 simulations per size; the normal approximation of the
            // Moran statistics does not fit this skewed statistic).
            let size = self.sizes[j] as usize;
            return empirical(&self.q[w][j], x).unwrap_or_else(|| {
                let e = size.saturating_sub(1 + max_gaps(size)).max(1) as i32;
                stat.clamp(0.0, 1.0).powi(e).min(tail_prob(0))
            });
        }
        if which == Stat::Glr {
            return self.glr_tail(j, x);
        }
        let v = self.moments[j];
        let p_norm = norm_cdf((x - v[2 * w] as f64) / v[2 * w + 1] as f64);
        // The empirical CDF where the simulation has data, the normal tail
        // only beyond it.
        match empirical(&self.q[w][j], x) {
            Some(e) => p_norm.max(e),
            None => p_norm.min(tail_prob(0)),
        }
    }
}

impl NullTable {
    /// The p-value of the beacon-model ratio at `x = ln(S + EPS)`, grid
    /// size index `j`.
    ///
    /// Its null is far from log-normal (a mixture over models, bounded by
    /// the outlier share): a normal fit overstated the tail tenfold at 30
    /// intervals. Above the simulated 1e-4 quantile the empirical CDF
    /// decides; below it, the tail of `GLR = −n ln S` is taken as
    /// exponential through the 1e-3 and 1e-4 quantiles (a log-likelihood
    /// ratio's tail is chi-square-like, whose log-density steepens
    /// further out, so the extrapolation overstates p: conservative).
    /// Without this, 50 000 simulations per size stop the p-value at
    /// ≈ 4e-5, which the combination with the other statistics then lifts
    /// over 1e-4.
    fn glr_tail(&self, j: usize, x: f64) -> f64 {
        let q = &self.q[Stat::Glr as usize][j];
        let (k3, k4) = (102, 51);
        let (x3, x4) = (q[k3] as f64, q[k4] as f64);
        if x >= x4 || x4 >= x3 {
            return empirical(q, x).unwrap_or(tail_prob(0));
        }
        let (l3, l4) = (tail_prob(k3).ln(), tail_prob(k4).ln());
        let slope = (l4 - l3) / (x4 - x3);
        (l4 + slope * (x - x4)).exp().min(tail_prob(k4))
    }
}

/// Where `x` falls among stored null quantiles `q`: the stored probability
/// just above it (1 past the last quantile), or `None` when `x` is below
/// every simulation (rarer than [`tail_prob`]`(0)`; the caller decides).
fn empirical(q: &[f32], x: f64) -> Option<f64> {
    let below = q.partition_point(|&y| (y as f64) <= x);
    if below == 0 {
        None
    } else if below >= q.len() {
        Some(1.0)
    } else {
        Some(tail_prob(below))
    }
}

static NULL_BYTES: &[u8] = include_bytes!("../../model/beacon-null-v4.bin");

/// The embedded Poisson null. If the embedded file is missing or corrupt
/// (a build problem, caught by the tests) a small table is simulated at
/// run time instead (≈ 1 s, coarser tail).
pub fn null_table() -> &'static NullTable {
    static T: OnceLock<NullTable> = OnceLock::new();
    T.get_or_init(|| NullTable::from_bytes(NULL_BYTES).unwrap_or_else(|_| simulate_null(|_| 2_000)))
}

/// Whether the embedded null table loads.
pub fn embedded_null_ok() -> bool {
    NullTable::from_bytes(NULL_BYTES).is_ok()
}

/// Analyses one series of sorted event times (ms).
pub fn analyze(ts_ms: &[i64], p: &RobustParams, s: &mut Scratch) -> Analysis {
    // 0. Whole-second clocks (ProxySG, i-FILTER, common log format): spread
    //    each time uniformly over its second. Equal intervals of a coarse
    //    clock are not a regular sleep, yet to every statistic here they
    //    look like one (a busy random pair logged in seconds read as
    //    clockwork at p < 1e-100). For a Poisson process this is exact: given
    //    the count in a second, its events are uniform within it. The
    //    offsets are a fixed function of the series, so results repeat.
    if ts_ms.len() < 2 || ts_ms.iter().any(|t| t.rem_euclid(1000) != 0) {
        return analyze_sorted(ts_ms, p, s);
    }
    let mut dithered = std::mem::take(&mut s.dither);
    dithered.clear();
    let mut rng = XorShift(((ts_ms.len() as u64) ^ (ts_ms[0] as u64).rotate_left(17)) | 1);
    dithered.extend(ts_ms.iter().map(|&t| t.saturating_add((rng.next_u64() % 1000) as i64)));
    dithered.sort_unstable();
    let out = analyze_sorted(&dithered, p, s);
    s.dither = dithered;
    out
}

/// [`analyze`] on times that need no dithering.
fn analyze_sorted(ts_ms: &[i64], p: &RobustParams, s: &mut Scratch) -> Analysis {
    // 1. Burst collapse.
    s.cb.clear();
    for &t in ts_ms {
        if s.cb
            .last()
            .is_none_or(|&l| t.saturating_sub(l) > p.burst_gap_ms)
        {
            s.cb.push(t);
        }
    }
    let mut out = Analysis {
        callbacks: s.cb.len(),
        segments: Vec::new(),
    };
    if s.cb.len() < p.min_callbacks.max(3) {
        return out;
    }
    s.d.clear();
    let g = p.burst_gap_ms.max(0);
    s.d.extend(
        s.cb.windows(2)
            .map(|w| (w[1].saturating_sub(w[0]).saturating_sub(g)).max(1) as f64),
    );
    // 2. Segmentation on ranks.
    let mut cuts = vec![0usize, s.d.len()];
    split(
        &s.d,
        0,
        s.d.len(),
        2,
        p,
        &mut cuts,
        &mut s.idx,
        &mut s.ranks,
    );
    cuts.sort_unstable();
    cuts.dedup();
    let nseg = cuts.len() - 1;
    let null = null_table();
    for w in cuts.windows(2) {
        let (lo, hi) = (w[0], w[1]);
        let m = hi - lo;
        if m + 1 < p.min_callbacks {
            continue;
        }
        let seg = &s.d[lo..hi];
        // Subsample evenly for the statistics when huge.
        s.b.clear();
        if m > MAX_TEST_INTERVALS {
            s.b.extend((0..MAX_TEST_INTERVALS).map(|i| seg[i * m / MAX_TEST_INTERVALS]));
        } else {
            s.b.extend_from_slice(seg);
        }
        let mt = s.b.len();
        let mut folded = std::mem::take(&mut s.a);
        let mut sorted = std::mem::take(&mut s.ranks);
        let ([stat_raw, stat_fold, stat_floor, stat_entropy, stat_glr], period) =
            statistics(&s.b, p.max_fold, &mut sorted, &mut folded);
        let jitter = if period > 0.0 && !folded.is_empty() {
            ((quantile(&folded, 0.95) - quantile(&folded, 0.05)) / (2.0 * period) / 0.9).max(0.0)
        } else {
            0.0
        };
        s.a = folded;
        s.ranks = sorted;
        let pmin = null.min_p(mt, [stat_raw, stat_fold, stat_floor, stat_entropy, stat_glr]);
        let p_value = (null.combined_p(mt, pmin) * nseg as f64).min(1.0);
        // Coverage and missed callbacks over all intervals of the segment.
        let band = jitter.max(0.05);
        let (mut inband, mut missed) = (0usize, 0u64);
        if period > 0.0 {
            for &x in seg {
                let k = (x / period).round().max(1.0);
                if k <= p.max_fold as f64 && (x / k - period).abs() <= band * period {
                    inband += 1;
                    missed += k as u64 - 1;
                }
            }
        }
        out.segments.push(Segment {
            start_ms: s.cb[lo],
            end_ms: s.cb[hi],
            callbacks: m + 1,
            period_ms: period + g as f64,
            jitter,
            missed,
            coverage: inband as f64 / m as f64,
            stat_raw,
            stat_fold,
            stat_floor,
            stat_entropy,
            stat_glr,
            p_value,
        });
    }
    out
}

/// Binary segmentation of `d[lo..hi]` by a rank scan; pushes accepted cuts.
#[allow(clippy::too_many_arguments)]
fn split(
    d: &[f64],
    lo: usize,
    hi: usize,
    depth: u32,
    p: &RobustParams,
    cuts: &mut Vec<usize>,
    idx: &mut Vec<u32>,
    ranks: &mut Vec<f64>,
) {
    let m = hi - lo;
    if depth == 0 || m < 2 * p.min_segment {
        return;
    }
    idx.clear();
    idx.extend(0..m as u32);
    idx.sort_unstable_by(|&a, &b| d[lo + a as usize].total_cmp(&d[lo + b as usize]));
    ranks.clear();
    ranks.resize(m, 0.0);
    for (r, &i) in idx.iter().enumerate() {
        ranks[i as usize] = r as f64 + 1.0;
    }
    let mf = m as f64;
    let mut best = (0.0f64, 0usize);
    let mut acc = 0.0;
    for k in 1..m {
        acc += ranks[k - 1];
        if k < p.min_segment || m - k < p.min_segment {
            continue;
        }
        let kf = k as f64;
        let z = (acc - kf * (mf + 1.0) / 2.0) / (kf * (mf - kf) * (mf + 1.0) / 12.0).sqrt();
        if z.abs() > best.0 {
            best = (z.abs(), k);
        }
    }
    if best.0 < p.split_z {
        return;
    }
    // Require a material change of level: medians differ by ≥ 1.5×.
    let k = best.1;
    let med = |v: &[f64]| {
        let mut t = v.to_vec();
        t.sort_unstable_by(f64::total_cmp);
        quantile(&t, 0.5)
    };
    let (a, b) = (med(&d[lo..lo + k]), med(&d[lo + k..hi]));
    if !(a > 0.0 && b > 0.0) || (a / b).ln().abs() < 1.5f64.ln() {
        return;
    }
    cuts.push(lo + k);
    split(d, lo, lo + k, depth - 1, p, cuts, idx, ranks);
    split(d, lo + k, hi, depth - 1, p, cuts, idx, ranks);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norm_cdf_values() {
        assert!((norm_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((norm_cdf(1.96) - 0.975).abs() < 1e-4);
        assert!((norm_cdf(-3.0) - 0.00135).abs() < 1e-5);
        assert!(norm_cdf(-40.0) < 1e-300 || norm_cdf(-40.0) == 0.0);
        assert_eq!(norm_cdf(f64::NEG_INFINITY), 0.0);
    }

    #[test]
    fn exact_beacon_with_misses_and_bursts() {
        // 5-minute period, every 4th callback missed, each callback 2 requests.
        let mut ts = Vec::new();
        for i in 0..200i64 {
            if i % 4 == 3 {
                continue;
            }
            ts.push(i * 300_000);
            ts.push(i * 300_000 + 400);
        }
        let a = analyze(&ts, &RobustParams::default(), &mut Scratch::default());
        assert_eq!(a.callbacks, 150);
        let b = a.best().unwrap();
        assert!((b.period_ms - 300_000.0).abs() < 1.0, "{b:?}");
        assert!(b.p_value < 1e-6);
        assert_eq!(b.missed, 49);
        assert!(b.coverage > 0.99);
        assert!(b.jitter < 0.01);
    }

    #[test]
    fn sleep_change_is_segmented() {
        let mut ts = Vec::new();
        let mut t = 0i64;
        for i in 0..120 {
            t += if i < 60 { 60_000 } else { 600_000 };
            ts.push(t + (i * 7919 % 5000));
        }
        let a = analyze(&ts, &RobustParams::default(), &mut Scratch::default());
        assert_eq!(a.segments.len(), 2, "{a:?}");
        assert!((a.segments[0].period_ms - 60_000.0).abs() < 6_000.0);
        assert!((a.segments[1].period_ms - 600_000.0).abs() < 6_000.0);
    }

    #[test]
    fn short_and_degenerate_input() {
        let mut s = Scratch::default();
        let p = RobustParams::default();
        assert!(analyze(&[], &p, &mut s).segments.is_empty());
        assert!(analyze(&[5; 100], &p, &mut s).segments.is_empty()); // one burst
        assert!(
            analyze(&[1, 10_000, 20_000], &p, &mut s)
                .segments
                .is_empty()
        );
        // Extreme values do not panic or produce NaN.
        let ts = [i64::MIN / 4, 0, 1, i64::MAX / 4, i64::MAX / 4 + 10_000];
        let a = analyze(
            &ts,
            &RobustParams {
                min_callbacks: 3,
                ..p
            },
            &mut s,
        );
        for seg in a.segments {
            assert!(!seg.p_value.is_nan());
        }
    }

    #[test]
    fn embedded_null_loads_and_round_trips() {
        assert!(embedded_null_ok());
        let t = null_table();
        assert_eq!(NullTable::from_bytes(&t.to_bytes()).as_ref(), Ok(t));
        assert!(NullTable::from_bytes(&t.to_bytes()[..100]).is_err());
        assert!(NullTable::from_bytes(b"").is_err());
        // A clock (M = 0) is far beyond every simulation; a Poisson-like M
        // (≈ 0.5) is unremarkable.
        assert!(t.p_value(100, 0.0, Stat::Raw) < 1e-5);
        assert!(t.p_value(100, 0.5, Stat::Raw) > 0.1);
        // A small simulated table agrees with the embedded one in the body.
        let small = simulate_null(|_| 800);
        for m in [10, 50, 300] {
            for stat in [0.2, 0.3, 0.45] {
                let (a, b) = (
                    t.p_value(m, stat, Stat::Raw),
                    small.p_value(m, stat, Stat::Raw),
                );
                assert!(
                    (a - b).abs() < 0.05 + 0.3 * a,
                    "m={m} stat={stat}: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn floor_finds_sparse_beacons_with_misses() {
        // 4 h sleep, ±50 % jitter, 30 % of callbacks missed: ~30 callbacks a
        // week. Misses blur the Moran statistics, but no interval is shorter
        // than half the period, which the floor statistic sees.
        use crate::beacon::sim::{self, BeaconSpec, Rng, WEEK_MS, WEEK_START_MS};
        let spec = BeaconSpec {
            period_s: 14_400.0,
            jitter: 0.5,
            miss: 0.3,
            office_only: false,
        };
        let (mut rng, mut s) = (Rng::new(42), Scratch::default());
        let t = null_table();
        let (mut found, mut without_floor, trials) = (0, 0, 40);
        for _ in 0..trials {
            let ts = sim::beacon(&spec, WEEK_START_MS, WEEK_MS, &mut rng);
            let a = analyze(&ts, &RobustParams::default(), &mut s);
            let Some(b) = a.best() else { continue };
            if b.p_value < 1e-4 {
                found += 1;
            }
            // The same series judged by the two Moran statistics alone.
            let m = b.callbacks - 1;
            let moran_p =
                t.p_value(m, b.stat_raw, Stat::Raw)
                    .min(t.p_value(m, b.stat_fold, Stat::Fold));
            if 2.0 * moran_p < 1e-4 {
                without_floor += 1;
            }
            assert!(b.stat_floor > 0.0 && b.stat_floor < 0.8, "{b:?}");
        }
        assert!(found >= 28, "{found}/{trials} found");
        assert!(
            found >= without_floor + 4,
            "floor adds too little: {found} vs {without_floor} of {trials}"
        );
    }

    #[test]
    fn p_values_interpolate_between_grid_sizes() {
        let t = null_table();
        for which in [Stat::Raw, Stat::Fold, Stat::Floor] {
            let stat = match which {
                Stat::Floor => 0.6,
                _ => 0.1,
            };
            let ps: Vec<f64> = (23..=32).map(|m| t.p_value(m, stat, which)).collect();
            assert!(
                ps.iter().all(|p| p.is_finite() && *p > 0.0 && *p <= 1.0),
                "{ps:?}"
            );
            // Between the sizes 23 and 32 (grid points 23, 26, 29, 32) the p-value moves monotonically
            // from one grid value to the other.
            assert!(
                ps.windows(2).all(|w| w[1] <= w[0] * (1.0 + 1e-9)),
                "{which:?}: {ps:?}"
            );
        }
        // The combined p-value never exceeds the Bonferroni bound.
        for m in [10, 29, 100, 1000] {
            for p in [1e-6, 1e-4, 0.01, 0.5] {
                let c = t.combined_p(m, p);
                assert!(
                    c > 0.0 && c <= (COMBINED.len() as f64 * p).min(1.0) + 1e-12,
                    "m={m} p={p}: {c}"
                );
            }
        }
    }

    #[test]
    fn entropy_ratio_separates_exponential_from_bounded_sleeps() {
        let mut rng = XorShift(11);
        let sorted = |f: &mut dyn FnMut() -> f64| {
            let mut v: Vec<f64> = (0..20_000).map(|_| f()).collect();
            v.sort_unstable_by(f64::total_cmp);
            v
        };
        let exp = sorted(&mut || -rng.next_f64().ln());
        let mut rng2 = XorShift(12);
        let uni = sorted(&mut || 0.1 + 1.8 * rng2.next_f64());
        // exp(H) / mean: e for the exponential, the width 1.8 for U[0.1, 1.9].
        assert!((entropy_ratio(&exp) - std::f64::consts::E).abs() < 0.08, "{}", entropy_ratio(&exp));
        assert!((entropy_ratio(&uni) - 1.8).abs() < 0.05, "{}", entropy_ratio(&uni));
        assert!(entropy_ratio(&[5.0; 40]) < 1e-9, "a clock has no spread");
        assert_eq!(entropy_ratio(&[1.0, 2.0]), std::f64::consts::E, "too few: neutral");
    }

    #[test]
    fn whole_second_timestamps_are_not_regularity() {
        // ProxySG, i-FILTER and common-format logs keep whole seconds, so a
        // busy random series has many equal intervals; they must not read
        // as a clock. (Before the dithering step every one of the 3 s
        // series below was flagged at p < 1e-100.)
        let mut rng = XorShift(31);
        let mut s = Scratch::default();
        let mut flagged = Vec::new();
        for mean_s in [3.0, 6.0, 12.0, 30.0, 300.0] {
            for _ in 0..10 {
                let mut t = 1_704_067_200_000f64;
                let ts: Vec<i64> = (0..3000)
                    .map(|_| {
                        t += -rng.next_f64().ln() * mean_s * 1000.0;
                        (t as i64).div_euclid(1000) * 1000
                    })
                    .collect();
                let a = analyze(&ts, &RobustParams::default(), &mut s);
                if let Some(b) = a.best().filter(|b| b.p_value < 1e-4) {
                    flagged.push((mean_s, b.p_value));
                }
            }
        }
        assert!(flagged.is_empty(), "random whole-second series flagged: {flagged:?}");
        // A real beacon logged in whole seconds is still found.
        let mut t = 1_704_067_200_000f64;
        let ts: Vec<i64> = (0..500)
            .map(|_| {
                t += 60_000.0 * (1.0 + 0.3 * (2.0 * rng.next_f64() - 1.0));
                (t as i64).div_euclid(1000) * 1000
            })
            .collect();
        let b = analyze(&ts, &RobustParams::default(), &mut s);
        let b = b.best().expect("tested");
        assert!(b.p_value < 1e-10, "{b:?}");
        assert!((b.period_ms - 60_000.0).abs() < 3_000.0, "{b:?}");
    }

    #[test]
    fn heavy_jitter_with_few_callbacks_is_found() {
        // A 4 h sleep with ±90 % jitter over a week: ~42 callbacks. The
        // floor (0.1 period) and Moran's statistic alone found about half of
        // these weeks.
        use super::super::sim::{self, BeaconSpec, Rng, WEEK_MS, WEEK_START_MS};
        let spec = BeaconSpec { period_s: 14_400.0, jitter: 0.9, miss: 0.0, office_only: false };
        let mut rng = Rng::new(21);
        let mut s = Scratch::default();
        let found = (0..40)
            .filter(|_| {
                let ts = sim::beacon(&spec, WEEK_START_MS, WEEK_MS, &mut rng);
                let a = analyze(&ts, &RobustParams::default(), &mut s);
                a.best().expect("tested").p_value < 1e-4
            })
            .count();
        assert!(found >= 34, "{found}/40 weeks found");
    }

    #[test]
    fn likelihood_ratio_finds_jitter_with_missed_callbacks() {
        // A 4 h sleep, ±90 % jitter, 10 % of callbacks missed: ~38 a week.
        // The misses blur the entropy statistic's flat shape.
        use super::super::sim::{self, BeaconSpec, Rng, WEEK_MS, WEEK_START_MS};
        let spec = BeaconSpec { period_s: 14_400.0, jitter: 0.9, miss: 0.1, office_only: false };
        let mut rng = Rng::new(23);
        let mut s = Scratch::default();
        let null = null_table();
        let (mut found, mut by_glr) = (0, 0);
        for _ in 0..60 {
            let ts = sim::beacon(&spec, WEEK_START_MS, WEEK_MS, &mut rng);
            let a = analyze(&ts, &RobustParams::default(), &mut s);
            let b = a.best().expect("tested");
            found += (b.p_value < 1e-4) as usize;
            let m = b.callbacks - 1;
            let pg = null.p_value(m, b.stat_glr, Stat::Glr);
            let others = null.p_value(m, b.stat_raw, Stat::Raw).min(null.p_value(m, b.stat_floor, Stat::Floor));
            by_glr += (pg < 1e-4 && 2.0 * others >= 1e-4) as usize;
        }
        // Seed 23: 22 found, 17 of them only through the likelihood ratio
        // (Moran and floor, Bonferroni-corrected, find 5).
        assert!(found >= 18, "{found}/60 weeks found");
        assert!(by_glr >= 12, "only {by_glr} of {found} found through the likelihood ratio");
    }

    #[test]
    fn glr_ratio_scores_shapes() {
        let mut rng = XorShift(31);
        let mut draw = |n: usize, f: &mut dyn FnMut(f64) -> f64| -> Vec<f64> {
            let mut v: Vec<f64> = (0..n).map(|_| f(rng.next_f64())).collect();
            v.sort_unstable_by(f64::total_cmp);
            v
        };
        // Poisson: the beacon models explain nothing (≈ 1 or above).
        let exp = draw(200, &mut |u| -u.ln());
        assert!(glr_ratio(&exp) > 0.95, "{}", glr_ratio(&exp));
        // A ±90 % uniform sleep: exp(−KL) ≈ 0.66, a little above (the
        // outlier share and the period grid cost some likelihood).
        let wide = draw(200, &mut |u| 0.1 + 1.8 * u);
        let g = glr_ratio(&wide);
        assert!((0.6..0.8).contains(&g), "{g}");
        // ±50 % with two stray short intervals: still clearly a sleep.
        let mut half = draw(100, &mut |u| 0.5 + u);
        half[0] = 0.01;
        half[1] = 0.02;
        assert!(glr_ratio(&half) < 0.6, "{}", glr_ratio(&half));
        // Scale-free: the same intervals in other units score the same.
        let scaled: Vec<f64> = half.iter().map(|x| x * 3_600_000.0).collect();
        assert!((glr_ratio(&scaled) - glr_ratio(&half)).abs() < 1e-9);
        // Not computed (too few, too many, degenerate): never evidence.
        assert_eq!(glr_ratio(&[1.0, 2.0]), GLR_NOT_COMPUTED);
        assert_eq!(glr_ratio(&vec![1.0; GLR_MAX_INTERVALS + 1]), GLR_NOT_COMPUTED);
        assert_eq!(glr_ratio(&[0.0; 10]), GLR_NOT_COMPUTED);
        let t = null_table();
        assert_eq!(t.p_value(300, GLR_NOT_COMPUTED, Stat::Glr), 1.0);
        assert_eq!(t.p_value(100, GLR_NOT_COMPUTED, Stat::Glr), 1.0);
    }

    #[test]
    fn null_is_calibrated_on_poisson() {
        // Fresh Poisson series: the share with p < 0.01 must be near 1 %.
        let mut rng = XorShift(77);
        let mut hits = 0;
        let trials = 400;
        let mut s = Scratch::default();
        for _ in 0..trials {
            let mut t = 0i64;
            let ts: Vec<i64> = (0..100)
                .map(|_| {
                    t += (-rng.next_f64().ln() * 600_000.0) as i64 + 3_000;
                    t
                })
                .collect();
            let a = analyze(&ts, &RobustParams::default(), &mut s);
            if a.best().is_some_and(|b| b.p_value < 0.01) {
                hits += 1;
            }
        }
        assert!(hits <= 12, "{hits}/{trials} Poisson series at p < 0.01");
    }
}
