//! The DGA model: standardised features → logistic regression, plus its
//! compact binary file format and the trainer used by `train_dga`.
//!
//! File layout (little-endian): `b"KDGA"`, version `u8` = 1, feature count
//! `u8`, then per feature `mean f32, sd f32, weight f32`, then `bias f32`,
//! `threshold f32`, then the 38³ trigram −ln p table (`u8`, 0.05 nat steps).

use super::features::{NF, TRIGRAMS, features};

/// A loaded DGA model.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Per-feature mean (standardisation).
    pub mean: [f64; NF],
    /// Per-feature standard deviation.
    pub sd: [f64; NF],
    /// Logistic weights on standardised features.
    pub weights: [f64; NF],
    /// Logistic bias.
    pub bias: f64,
    /// Probability above which a label is called DGA-like.
    pub threshold: f64,
    /// Trigram −ln p table.
    pub nll: Vec<u8>,
}

/// Why a model file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelError(pub String);

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bad DGA model file: {}", self.0)
    }
}
impl std::error::Error for ModelError {}

const MAGIC: &[u8; 4] = b"KDGA";

impl Model {
    /// Serialises to the file format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(6 + NF * 12 + 8 + TRIGRAMS);
        v.extend_from_slice(MAGIC);
        v.push(1);
        v.push(NF as u8);
        for i in 0..NF {
            for x in [self.mean[i], self.sd[i], self.weights[i]] {
                v.extend_from_slice(&(x as f32).to_le_bytes());
            }
        }
        v.extend_from_slice(&(self.bias as f32).to_le_bytes());
        v.extend_from_slice(&(self.threshold as f32).to_le_bytes());
        v.extend_from_slice(&self.nll);
        v
    }

    /// Parses the file format, checking every size and value.
    pub fn from_bytes(b: &[u8]) -> Result<Model, ModelError> {
        let want = 6 + NF * 12 + 8 + TRIGRAMS;
        if b.len() != want {
            return Err(ModelError(format!("{} bytes, expected {want}", b.len())));
        }
        if &b[..4] != MAGIC || b[4] != 1 || b[5] as usize != NF {
            return Err(ModelError("wrong magic, version or feature count".into()));
        }
        let f = |o: usize| f32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]) as f64;
        let mut m = Model {
            mean: [0.0; NF],
            sd: [1.0; NF],
            weights: [0.0; NF],
            bias: 0.0,
            threshold: 0.5,
            nll: Vec::new(),
        };
        for i in 0..NF {
            let o = 6 + i * 12;
            m.mean[i] = f(o);
            m.sd[i] = f(o + 4);
            m.weights[i] = f(o + 8);
        }
        let o = 6 + NF * 12;
        m.bias = f(o);
        m.threshold = f(o + 4);
        let all_finite = m
            .mean
            .iter()
            .chain(&m.sd)
            .chain(&m.weights)
            .chain([&m.bias, &m.threshold])
            .all(|x| x.is_finite());
        if !all_finite || m.sd.iter().any(|&s| s <= 0.0) || !(0.0..=1.0).contains(&m.threshold) {
            return Err(ModelError("non-finite or out-of-range parameter".into()));
        }
        m.nll = b[o + 8..].to_vec();
        Ok(m)
    }

    /// Probability that the feature vector is DGA.
    pub fn prob_features(&self, x: &[f64; NF]) -> f64 {
        let z = self.bias
            + (0..NF)
                .map(|i| self.weights[i] * (x[i] - self.mean[i]) / self.sd[i])
                .sum::<f64>();
        1.0 / (1.0 + (-z).exp())
    }

    /// Probability that `label` (one DNS label, no dots) is DGA, `None` if
    /// it cannot be scored (IDN, characters outside `[a-z0-9-]`, empty).
    pub fn prob(&self, label: &str, buf: &mut Vec<usize>) -> Option<f64> {
        features(label, &self.nll, buf).map(|x| self.prob_features(&x))
    }
}

/// Fits standardisation and an L2-regularised logistic regression by full
/// batch gradient descent. `x` rows with labels `y` (true = DGA), equal
/// class weighting. Deterministic.
pub fn fit_logistic(
    x: &[[f64; NF]],
    y: &[bool],
    epochs: usize,
    lr: f64,
    l2: f64,
) -> ([f64; NF], [f64; NF], [f64; NF], f64) {
    let n = x.len().max(1) as f64;
    let mut mean = [0.0; NF];
    let mut sd = [0.0; NF];
    for r in x {
        for i in 0..NF {
            mean[i] += r[i] / n;
        }
    }
    for r in x {
        for i in 0..NF {
            sd[i] += (r[i] - mean[i]).powi(2) / n;
        }
    }
    for s in &mut sd {
        *s = s.sqrt().max(1e-6);
    }
    let pos = y.iter().filter(|&&v| v).count().max(1) as f64;
    let neg = (y.len() as f64 - pos).max(1.0);
    let (wp, wn) = (0.5 / pos, 0.5 / neg);
    let mut w = [0.0; NF];
    let mut b = 0.0;
    for _ in 0..epochs {
        let mut gw = [0.0; NF];
        let mut gb = 0.0;
        for (r, &lab) in x.iter().zip(y) {
            let mut z = b;
            let mut s = [0.0; NF];
            for i in 0..NF {
                s[i] = (r[i] - mean[i]) / sd[i];
                z += w[i] * s[i];
            }
            let p = 1.0 / (1.0 + (-z).exp());
            let (t, cw) = if lab { (1.0, wp) } else { (0.0, wn) };
            let g = (p - t) * cw;
            for i in 0..NF {
                gw[i] += g * s[i];
            }
            gb += g;
        }
        for i in 0..NF {
            w[i] -= lr * (gw[i] + l2 * w[i]);
        }
        b -= lr * gb;
    }
    (mean, sd, w, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_corruption() {
        let m = Model {
            mean: [0.5; NF],
            sd: [2.0; NF],
            weights: [0.25; NF],
            bias: -1.0,
            threshold: 0.75,
            nll: vec![7; TRIGRAMS],
        };
        let b = m.to_bytes();
        assert_eq!(Model::from_bytes(&b).unwrap(), m);
        assert!(Model::from_bytes(&b[..b.len() - 1]).is_err());
        let mut bad = b.clone();
        bad[0] = b'X';
        assert!(Model::from_bytes(&bad).is_err());
        let mut nan = b.clone();
        nan[6..10].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(Model::from_bytes(&nan).is_err());
        assert!(Model::from_bytes(&[]).is_err());
    }

    #[test]
    fn logistic_separates_a_toy_problem() {
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..200 {
            let mut r = [0.0; NF];
            r[0] = if i % 2 == 0 {
                1.0 + (i % 7) as f64 * 0.1
            } else {
                -1.0 - (i % 5) as f64 * 0.1
            };
            x.push(r);
            y.push(i % 2 == 0);
        }
        let (mean, sd, w, b) = fit_logistic(&x, &y, 300, 0.5, 1e-4);
        let m = Model {
            mean,
            sd,
            weights: w,
            bias: b,
            threshold: 0.5,
            nll: vec![0; TRIGRAMS],
        };
        let mut r = [0.0; NF];
        r[0] = 1.2;
        assert!(m.prob_features(&r) > 0.9);
        r[0] = -1.2;
        assert!(m.prob_features(&r) < 0.1);
    }
}
