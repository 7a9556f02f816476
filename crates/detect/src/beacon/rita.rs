//! RITA v5's beacon score, re-implemented as a baseline.
//!
//! Written from reading RITA v5's `analysis/beacons.go` (activecm/rita) and
//! its default config; no code was copied. Formulas, with RITA's rounding:
//!
//! * **Timestamp score** = round3((skew_score + mad_score) / 2) over the sorted
//!   non-zero inter-arrival deltas (seconds). `skew_score = 1 − |Bowley|`,
//!   Bowley = (Q1 + Q3 − 2·Q2)/(Q3 − Q1), forced to 0 when Q3 − Q1 < 10 or the
//!   median equals a quartile. Quartiles are montanaflynn/stats' method
//!   (medians of the lower and upper halves, the median excluded for odd n).
//!   `mad_score = (median − MAD)/median` (0 if negative; 1 if median < 1).
//! * **Data-size score**: the same over the per-connection byte counts, with a
//!   default MAD score of 0 when the median is below 1.
//! * **Histogram score** = max(CV score, bimodal fit) over 24 equal bins of
//!   the window. CV score = round3(1 − σ/μ) (0 if CV > 1, population σ).
//!   Bimodal fit: bars bucketed by floor(count / ⌈max·0.05⌉)·⌈max·0.05⌉; if
//!   at least 11 bins are non-empty, (largest + second-largest bucket
//!   count)/(non-empty bins − 1), capped at 1.
//! * **Duration score**: only if ≥ 6 bins are non-empty: max(coverage,
//!   consistency), coverage = ceil3((last − first)/(window length)) capped at
//!   1, consistency = ceil3(longest run of non-empty bins, with wrap-around,
//!   / 12) capped at 1.
//! * **Beacon score** = round3(0.25·ts + 0.25·ds + 0.25·dur + 0.25·hist).
//!
//! Interpretations (RITA reads Zeek `conn.log`, kensa reads proxy logs):
//! 1. RITA scores the last 24 h. Over a week we score each 24 h window
//!    (aligned on the data set's first event) and keep the best day
//!    ([`rita_best_window`]); a pair needs ≥ 4 unique timestamps in the day.
//! 2. RITA's byte list is `orig_ip_bytes` per connection; we use the upload
//!    bytes per request, or the download bytes when the log has no upload
//!    size (Squid), or a constant when neither is logged.
//! 3. Timestamps are whole seconds, as RITA's `uint32` lists.
//! 4. RITA errors out (no score) on under-sized input; we return `None`.

/// RITA v5 defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RitaConfig {
    /// Weight of the timestamp score.
    pub ts_weight: f64,
    /// Weight of the data-size score.
    pub ds_weight: f64,
    /// Weight of the duration score.
    pub dur_weight: f64,
    /// Weight of the histogram score.
    pub hist_weight: f64,
    /// Histogram bucket size as a fraction of the largest bar.
    pub hist_mode_sensitivity: f64,
    /// Bars thrown out as outliers in the bimodal fit.
    pub hist_bimodal_outlier_removal: i64,
    /// Minimum non-empty hours for the bimodal fit.
    pub hist_bimodal_min_hours: i64,
    /// Minimum non-empty hours for the duration score.
    pub dur_min_hours: i64,
    /// Ideal run of consecutive hours.
    pub dur_ideal_consistent_hours: i64,
    /// Minimum unique timestamps for a pair to be scored.
    pub unique_threshold: usize,
}

impl Default for RitaConfig {
    fn default() -> Self {
        RitaConfig {
            ts_weight: 0.25,
            ds_weight: 0.25,
            dur_weight: 0.25,
            hist_weight: 0.25,
            hist_mode_sensitivity: 0.05,
            hist_bimodal_outlier_removal: 1,
            hist_bimodal_min_hours: 11,
            dur_min_hours: 6,
            dur_ideal_consistent_hours: 12,
            unique_threshold: 4,
        }
    }
}

/// RITA's sub-scores for one pair and window.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RitaScores {
    /// Final weighted score, 0–1.
    pub score: f64,
    /// Timestamp score.
    pub ts_score: f64,
    /// Bowley skewness of the deltas.
    pub ts_skew: f64,
    /// MAD of the deltas (s).
    pub ts_mad: f64,
    /// Data-size score.
    pub ds_score: f64,
    /// Bowley skewness of the sizes.
    pub ds_skew: f64,
    /// MAD of the sizes.
    pub ds_mad: f64,
    /// Histogram score.
    pub hist_score: f64,
    /// Coefficient-of-variation part of the histogram score.
    pub cv_score: f64,
    /// Bimodal-fit part of the histogram score.
    pub bimodal_score: f64,
    /// Duration score.
    pub dur_score: f64,
    /// Coverage part of the duration score.
    pub coverage: f64,
    /// Consistency part of the duration score.
    pub consistency: f64,
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
fn ceil3(x: f64) -> f64 {
    (x * 1000.0).ceil() / 1000.0
}

/// Median of sorted data (mean of the middle two for even length).
fn median_sorted(v: &[f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Quartiles as montanaflynn/stats `Quartile` computes them (sorted input).
fn quartiles(v: &[f64]) -> (f64, f64, f64) {
    let n = v.len();
    let (c1, c2) = if n.is_multiple_of(2) {
        (n / 2, n / 2)
    } else {
        ((n - 1) / 2, (n - 1) / 2 + 1)
    };
    (
        median_sorted(&v[..c1]),
        median_sorted(v),
        median_sorted(&v[c2..]),
    )
}

/// (skewness, skew score). Needs ≥ 3 values, sorted.
fn bowley(v: &[f64]) -> Option<(f64, f64)> {
    if v.len() < 3 {
        return None;
    }
    let (q1, q2, q3) = quartiles(v);
    let num = q1 + q3 - 2.0 * q2;
    let den = q3 - q1;
    let skew = if den >= 10.0 && q2 != q1 && q2 != q3 {
        num / den
    } else {
        0.0
    };
    Some((skew, 1.0 - skew.abs()))
}

/// (MAD, MAD score). Sorted input, non-empty.
fn mad(v: &[f64], default_score: f64, scratch: &mut Vec<f64>) -> (f64, f64) {
    let m = median_sorted(v);
    scratch.clear();
    scratch.extend(v.iter().map(|x| (x - m).abs()));
    scratch.sort_unstable_by(f64::total_cmp);
    let mad = median_sorted(scratch);
    let mut score = default_score;
    if m >= 1.0 {
        score = (m - mad) / m;
    }
    if score < 0.0 || score.is_nan() {
        score = 0.0;
    }
    (mad, score)
}

/// RITA's "statistical score": (score, skew, mad).
fn statistical(v: &[f64], default_mad: f64, scratch: &mut Vec<f64>) -> Option<(f64, f64, f64)> {
    let (skew, skew_score) = bowley(v)?;
    let (m, mad_score) = mad(v, default_mad, scratch);
    Some((round3((skew_score + mad_score) / 2.0), skew, m))
}

/// Scores one pair over one window `[win_start, win_end]` (seconds).
/// `ts` are the connection times in seconds, sorted; `bytes` one size per
/// connection. Returns `None` where RITA would refuse to score.
pub fn rita_score(
    ts: &[i64],
    bytes: &[f64],
    win_start: i64,
    win_end: i64,
    cfg: &RitaConfig,
) -> Option<RitaScores> {
    if ts.len() < 4 || win_end <= win_start || bytes.len() < 3 {
        return None;
    }
    let mut unique = 1;
    let mut deltas: Vec<f64> = Vec::with_capacity(ts.len());
    for w in ts.windows(2) {
        let d = w[1] - w[0];
        if d > 0 {
            unique += 1;
            deltas.push(d as f64);
        }
    }
    if unique < cfg.unique_threshold || deltas.len() < 3 {
        return None;
    }
    deltas.sort_unstable_by(f64::total_cmp);
    let mut scratch = Vec::with_capacity(ts.len());
    let (ts_score, ts_skew, ts_mad) = statistical(&deltas, 1.0, &mut scratch)?;
    let mut sizes = bytes.to_vec();
    sizes.sort_unstable_by(f64::total_cmp);
    let (ds_score, ds_skew, ds_mad) = statistical(&sizes, 0.0, &mut scratch)?;

    // Histogram over 24 equal bins of the window.
    const BINS: usize = 24;
    let step = (win_end - win_start) as f64 / BINS as f64;
    let mut hist = [0i64; BINS];
    let mut bin = 0usize;
    for &t in ts {
        let t = t as f64;
        while bin < BINS - 1 && t >= win_start as f64 + (bin + 1) as f64 * step {
            bin += 1;
        }
        hist[bin] += 1;
    }
    let total: i64 = hist.iter().sum();
    let total_bars = hist.iter().filter(|&&c| c > 0).count() as i64;
    let largest = hist.iter().copied().max().unwrap_or(0);
    let mut longest = 0i64;
    let mut run = 0i64;
    for i in 0..2 * BINS {
        if hist[i % BINS] > 0 {
            run += 1;
        } else {
            longest = longest.max(run);
            run = 0;
        }
    }
    longest = longest.max(run).min(BINS as i64);
    // CV score.
    let mean = total as f64 / BINS as f64;
    let sd = (hist.iter().map(|&c| (c as f64 - mean).powi(2)).sum::<f64>() / BINS as f64).sqrt();
    let cv = if mean > 0.0 { sd / mean } else { f64::INFINITY };
    let cv_score = if cv > 1.0 {
        0.0
    } else {
        round3(1.0 - cv).min(1.0)
    };
    // Bimodal fit.
    let bucket = (largest as f64 * cfg.hist_mode_sensitivity).ceil().max(1.0);
    let mut freq: Vec<(i64, i64)> = Vec::new();
    for &c in &hist {
        if c > 0 {
            let b = ((c as f64 / bucket).floor() * bucket) as i64;
            match freq.iter_mut().find(|(k, _)| *k == b) {
                Some((_, n)) => *n += 1,
                None => freq.push((b, 1)),
            }
        }
    }
    let mut min_hours = cfg.hist_bimodal_min_hours;
    if min_hours < 6 {
        min_hours = 11;
    }
    let mut bimodal = 0.0;
    if total_bars >= min_hours {
        let mut counts: Vec<i64> = freq.iter().map(|f| f.1).collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let top2 = counts.iter().take(2).sum::<i64>() as f64;
        let adj = ((total_bars - cfg.hist_bimodal_outlier_removal) as f64).max(1.0);
        bimodal = top2 / adj;
    }
    let bimodal_score = round3(bimodal).min(1.0);
    let hist_score = cv_score.max(bimodal_score);

    // Duration.
    let first = ts[0];
    let last = ts[ts.len() - 1];
    let (mut coverage, mut consistency, mut dur_score) = (0.0, 0.0, 0.0);
    if last > first && total_bars >= cfg.dur_min_hours {
        coverage = ceil3((last - first) as f64 / (win_end - win_start) as f64).min(1.0);
        consistency = ceil3(longest as f64 / cfg.dur_ideal_consistent_hours as f64).min(1.0);
        dur_score = coverage.max(consistency);
    }
    let score = round3(
        ts_score * cfg.ts_weight
            + ds_score * cfg.ds_weight
            + dur_score * cfg.dur_weight
            + hist_score * cfg.hist_weight,
    );
    Some(RitaScores {
        score,
        ts_score,
        ts_skew,
        ts_mad,
        ds_score,
        ds_skew,
        ds_mad,
        hist_score,
        cv_score,
        bimodal_score,
        dur_score,
        coverage,
        consistency,
    })
}

/// Applies [`rita_score`] to each 24 h window of `[data_start, data_end]`
/// (seconds) and returns the best-scoring window's scores.
/// `ts` sorted seconds, `bytes` parallel to `ts`.
pub fn rita_best_window(
    ts: &[i64],
    bytes: &[f64],
    data_start: i64,
    data_end: i64,
    cfg: &RitaConfig,
) -> Option<RitaScores> {
    const DAY: i64 = 86_400;
    if ts.len() != bytes.len() || ts.is_empty() {
        return None;
    }
    let mut best: Option<RitaScores> = None;
    let mut i = 0;
    while i < ts.len() {
        // Jump straight to the window holding ts[i]: empty days cost nothing.
        let w = data_start.saturating_add(ts[i].saturating_sub(data_start).max(0) / DAY * DAY);
        if w > data_end {
            break;
        }
        let end = w.saturating_add(DAY);
        let j = (i + ts[i..].partition_point(|&t| t < end)).max(i + 1);
        if let Some(s) = rita_score(&ts[i..j], &bytes[i..j], w, end, cfg)
            && best.is_none_or(|b| s.score > b.score)
        {
            best = Some(s);
        }
        i = j;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_match_montanaflynn() {
        // Even: halves [1,2,3] [4,5,6] → Q1 = 2, Q2 = 3.5, Q3 = 5.
        assert_eq!(quartiles(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), (2.0, 3.5, 5.0));
        // Odd: median excluded: [1,2,3] 4 [5,6,7] → 2, 4, 6.
        assert_eq!(
            quartiles(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]),
            (2.0, 4.0, 6.0)
        );
    }

    #[test]
    fn bowley_and_mad_by_hand() {
        // Q1=10 Q2=20 Q3=60: (10+60-40)/50 = 0.6, score 0.4.
        let v = [5.0, 10.0, 15.0, 20.0, 40.0, 60.0, 80.0];
        let (s, sc) = bowley(&v).unwrap();
        assert!((s - 0.6).abs() < 1e-12 && (sc - 0.4).abs() < 1e-12);
        // Spread under 10: skew forced to 0.
        assert_eq!(bowley(&[1.0, 2.0, 5.0, 6.0]).unwrap(), (0.0, 1.0));
        // median 20, |x-20| = 15,10,5,0,20,40,60 → MAD 15, score 0.25.
        let mut sc = Vec::new();
        assert_eq!(mad(&v, 1.0, &mut sc), (15.0, 0.25));
    }

    #[test]
    fn perfect_beacon_scores_one() {
        // One request per minute for 24 h, same size: every sub-score 1.
        let ts: Vec<i64> = (0..1440).map(|i| i * 60).collect();
        let bytes = vec![500.0; ts.len()];
        let s = rita_score(&ts, &bytes, 0, 86_400, &RitaConfig::default()).unwrap();
        assert_eq!(
            (s.ts_score, s.ds_score, s.hist_score, s.dur_score, s.score),
            (1.0, 1.0, 1.0, 1.0, 1.0)
        );
        assert_eq!(s.coverage, 1.0);
    }

    #[test]
    fn refuses_small_input_and_scores_partial_day() {
        let cfg = RitaConfig::default();
        assert!(rita_score(&[1, 2, 3], &[1.0; 3], 0, 100, &cfg).is_none());
        assert!(rita_score(&[5, 5, 5, 5, 5], &[1.0; 5], 0, 100, &cfg).is_none());
        // 4 hours of 10-minute beacons: only 4 bins lit → no duration score,
        // CV score 0 (CV = sqrt(5) > 1), bimodal needs 11 bins → 0.
        let ts: Vec<i64> = (0..24).map(|i| i * 600).collect();
        let s = rita_score(&ts, &[300.0; 24], 0, 86_400, &cfg).unwrap();
        assert_eq!(s.dur_score, 0.0);
        assert_eq!(s.hist_score, 0.0);
        assert_eq!(s.ts_score, 1.0);
        assert_eq!(s.score, 0.5);
        let best = rita_best_window(&ts, &[300.0; 24], 0, 7 * 86_400, &cfg).unwrap();
        assert_eq!(best, s);
    }
}
