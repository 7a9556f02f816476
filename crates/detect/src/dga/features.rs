//! Lexical features of one domain label, and the character trigram model.

/// Alphabet size: `a-z`, `0-9`, `-`, and the boundary mark.
pub const ALPHA: usize = 38;
/// Index of the boundary mark (start/end of label).
pub const BOUNDARY: usize = 37;
/// Number of trigram cells.
pub const TRIGRAMS: usize = ALPHA * ALPHA * ALPHA;
/// Quantisation step of the stored −ln p values (nats).
pub const LP_STEP: f64 = 0.05;

/// Names of the features, in vector order (also written in evidence).
pub const FEATURE_NAMES: [&str; 11] = [
    "trigram_nll",
    "trigram_worst",
    "ln_length",
    "entropy",
    "digit_ratio",
    "vowel_ratio",
    "max_consonant_run",
    "hex_only",
    "digit_letter_switches",
    "hyphens",
    "unique_ratio",
];
/// Feature count.
pub const NF: usize = FEATURE_NAMES.len();

/// Maps a byte to the alphabet, `None` for anything else.
#[inline]
pub fn code(b: u8) -> Option<usize> {
    match b {
        b'a'..=b'z' => Some((b - b'a') as usize),
        b'A'..=b'Z' => Some((b - b'A') as usize),
        b'0'..=b'9' => Some(26 + (b - b'0') as usize),
        b'-' => Some(36),
        _ => None,
    }
}

/// Trigram cell of (a, b, c).
#[inline]
pub fn cell(a: usize, b: usize, c: usize) -> usize {
    (a * ALPHA + b) * ALPHA + c
}

/// Codes of `label` for the trigram model, framed by two boundary marks
/// before and one after, or `None` if it holds a character outside
/// `[a-z0-9-]` (IDN, underscore, garbage). All digits share one code (that
/// of `0`): which digits a name holds says nothing about how it was made,
/// and separate digit codes would leave most digit trigrams unseen in
/// training and make any number look random.
pub fn encode(label: &str, out: &mut Vec<usize>) -> Option<()> {
    out.clear();
    out.push(BOUNDARY);
    out.push(BOUNDARY);
    for b in label.bytes() {
        let c = code(b)?;
        out.push(if (26..36).contains(&c) { 26 } else { c });
    }
    out.push(BOUNDARY);
    Some(())
}

fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// Computes the feature vector of `label` (ASCII, already lower-case) given
/// the trigram −ln p table. `None` if the label cannot be scored.
pub fn features(label: &str, nll: &[u8], buf: &mut Vec<usize>) -> Option<[f64; NF]> {
    if label.is_empty() || label.len() > 253 || nll.len() != TRIGRAMS {
        return None;
    }
    encode(label, buf)?;
    let b = label.as_bytes();
    let n = b.len() as f64;
    let (mut sum, mut worst) = (0.0, 0.0f64);
    let steps = buf.len() - 2;
    for w in buf.windows(3) {
        let v = nll[cell(w[0], w[1], w[2])] as f64 * LP_STEP;
        sum += v;
        worst = worst.max(v);
    }
    let mut counts = [0u32; ALPHA];
    for &c in b {
        if let Some(c) = code(c) {
            counts[c] += 1;
        }
    }
    let entropy = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum::<f64>();
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count() as f64;
    let letters = b.iter().filter(|c| c.is_ascii_alphabetic()).count() as f64;
    let vowels = b
        .iter()
        .filter(|&&c| is_vowel(c.to_ascii_lowercase()))
        .count() as f64;
    let (mut run, mut max_run) = (0u32, 0u32);
    for &c in b {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphabetic() && !is_vowel(c) && c != b'y' {
            run += 1;
            max_run = max_run.max(run);
        } else {
            run = 0;
        }
    }
    let hex_only = b.iter().all(|c| c.is_ascii_hexdigit()) && b.len() >= 8 && digits > 0.0;
    let switches = b
        .windows(2)
        .filter(|w| w[0].is_ascii_digit() != w[1].is_ascii_digit())
        .count() as f64;
    let hyphens = b.iter().filter(|&&c| c == b'-').count() as f64;
    let unique = counts.iter().filter(|&&c| c > 0).count() as f64;
    Some([
        sum / steps as f64,
        worst,
        n.ln(),
        entropy,
        digits / n,
        if letters > 0.0 { vowels / letters } else { 0.0 },
        (max_run as f64).min(12.0),
        hex_only as u8 as f64,
        switches / n,
        hyphens.min(4.0),
        unique / n,
    ])
}

/// Trigram counts from benign labels, for training.
#[derive(Debug, Clone)]
pub struct TrigramCounts {
    counts: Vec<u32>,
}

impl Default for TrigramCounts {
    fn default() -> Self {
        TrigramCounts {
            counts: vec![0; TRIGRAMS],
        }
    }
}

impl TrigramCounts {
    /// Adds one label (ignored if it holds characters outside the alphabet).
    pub fn add(&mut self, label: &str, buf: &mut Vec<usize>) {
        if encode(label, buf).is_none() {
            return;
        }
        for w in buf.windows(3) {
            let c = &mut self.counts[cell(w[0], w[1], w[2])];
            *c = c.saturating_add(1);
        }
    }
    /// Quantised −ln P(c | a b) with add-`k` smoothing, capped at 255 steps.
    pub fn to_nll(&self, k: f64) -> Vec<u8> {
        let mut out = vec![0u8; TRIGRAMS];
        for a in 0..ALPHA {
            for b in 0..ALPHA {
                let base = cell(a, b, 0);
                let tot: f64 = self.counts[base..base + ALPHA]
                    .iter()
                    .map(|&c| c as f64)
                    .sum();
                for c in 0..ALPHA {
                    let p = (self.counts[base + c] as f64 + k) / (tot + k * ALPHA as f64);
                    out[base + c] = (-p.ln() / LP_STEP).round().clamp(0.0, 255.0) as u8;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_checked_features() {
        let nll = vec![20u8; TRIGRAMS]; // flat 1.0 nat
        let mut buf = Vec::new();
        let f = features("ab12", &nll, &mut buf).unwrap();
        assert!((f[0] - 1.0).abs() < 1e-12);
        assert!((f[2] - 4f64.ln()).abs() < 1e-12);
        assert!((f[3] - 2.0).abs() < 1e-12); // 4 distinct chars
        assert_eq!(f[4], 0.5);
        assert_eq!(f[5], 0.5); // a / (a, b)
        assert_eq!(f[6], 1.0);
        assert_eq!(f[7], 0.0); // too short for hex_only
        assert_eq!(f[8], 0.25);
        assert!(features("例え", &nll, &mut buf).is_none());
        assert!(features("a_b", &nll, &mut buf).is_none());
        assert!(features("", &nll, &mut buf).is_none());
        let f = features("deadbeef1234", &nll, &mut buf).unwrap();
        assert_eq!(f[7], 1.0);
    }

    #[test]
    fn counts_to_nll() {
        let mut t = TrigramCounts::default();
        let mut buf = Vec::new();
        for _ in 0..100 {
            t.add("abc", &mut buf);
        }
        let nll = t.to_nll(0.01);
        let seen = nll[cell(0, 1, 2)];
        let unseen = nll[cell(0, 1, 3)];
        assert!(seen < 2 && unseen > 150, "{seen} {unseen}");
    }
}
