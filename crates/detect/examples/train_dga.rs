//! Trains the embedded DGA model and writes `model/dga-v1.bin`.
//!
//! ```text
//! apt-get install wamerican wbritish     # word lists (Debian)
//! cargo run --release -p kensa-detect --example train_dga [WORDLIST...]
//! ```
//!
//! Data (all local, nothing downloaded):
//! * benign: dictionary words (80 % of them by a stable hash; the other 20 %
//!   are only used for the final report) plus generated brand-like names;
//! * DGA: four character-level families from `kensa_detect::dga::synth`
//!   (seeds 1–4000); `banjori-like` is held out entirely to measure how the
//!   model generalises to a family it never saw, and `word-concat` is left
//!   out on purpose (see below).
//!
//! The benign training names are split in two: half builds the trigram
//! language model, the other half trains the logistic regression, so the
//! regression never sees labels the language model memorised. The decision
//! threshold is the 99th percentile of DGA probability on held-out benign
//! names (≈ 1 % false positives), rounded up to 0.01.
use kensa_detect::beacon::sim::Rng;
use kensa_detect::dga::features::{NF, TrigramCounts, features};
use kensa_detect::dga::model::{Model, fit_logistic};
use kensa_detect::dga::synth::{Family, benign_label, clean_words, dga_label};
use kensa_detect::finding::stable_hash;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        paths = vec![
            "/usr/share/dict/american-english".into(),
            "/usr/share/dict/british-english".into(),
        ];
    }
    let mut text = String::new();
    for p in &paths {
        let t = std::fs::read_to_string(p)
            .map_err(|e| format!("{p}: {e} (apt-get install wamerican wbritish)"))?;
        text.push_str(&t);
        text.push('\n');
    }
    let words = clean_words(text.lines());
    let (train_words, test_words): (Vec<String>, Vec<String>) = words
        .iter()
        .cloned()
        .partition(|w| !stable_hash(w).is_multiple_of(5));
    eprintln!(
        "{} words: {} train, {} test",
        words.len(),
        train_words.len(),
        test_words.len()
    );

    // Benign labels: the training words plus generated brand-like names.
    let mut rng = Rng::new(1);
    let mut benign: Vec<String> = train_words.clone();
    for _ in 0..train_words.len() {
        benign.push(benign_label(&train_words, &mut rng));
    }
    // Split: A → language model, B → regression (90 %) and calibration (10 %).
    let (lm_part, rest): (Vec<String>, Vec<String>) = benign
        .into_iter()
        .partition(|w| stable_hash(w).is_multiple_of(2));
    let (calib, reg_benign): (Vec<String>, Vec<String>) =
        rest.into_iter().partition(|w| stable_hash(w) % 10 == 3);
    let mut counts = TrigramCounts::default();
    let mut buf = Vec::new();
    for w in &lm_part {
        counts.add(w, &mut buf);
    }
    let nll = counts.to_nll(0.05);

    // Dictionary-word DGAs are lexically the same as benign compound brand
    // names ("bluesky", "getmail"): training on them only teaches the model
    // to distrust long compounds. They are left out and reported as missed.
    let train_families: Vec<Family> = Family::ALL
        .iter()
        .copied()
        .filter(|f| !matches!(f, Family::BanjoriLike | Family::WordConcat))
        .collect();
    let mut x: Vec<[f64; NF]> = Vec::new();
    let mut y: Vec<bool> = Vec::new();
    for w in &reg_benign {
        if let Some(f) = features(w, &nll, &mut buf) {
            x.push(f);
            y.push(false);
        }
    }
    let per_family = reg_benign.len() / train_families.len();
    for fam in &train_families {
        for i in 0..per_family as u64 {
            let l = dga_label(*fam, 1 + i % 4000, i, &train_words);
            if let Some(f) = features(&l, &nll, &mut buf) {
                x.push(f);
                y.push(true);
            }
        }
    }
    eprintln!("training on {} labels", x.len());
    let (mean, sd, weights, bias) = fit_logistic(&x, &y, 600, 1.0, 1e-4);
    let mut model = Model {
        mean,
        sd,
        weights,
        bias,
        threshold: 0.5,
        nll,
    };

    let mut cal: Vec<f64> = calib
        .iter()
        .filter_map(|w| model.prob(w, &mut buf))
        .collect();
    cal.sort_by(f64::total_cmp);
    let q99 = cal[(cal.len() as f64 * 0.99) as usize];
    model.threshold = ((q99 * 100.0).ceil() / 100.0).clamp(0.5, 0.99);
    eprintln!(
        "threshold {:.2} (q99 of {} calibration names = {q99:.4})",
        model.threshold,
        cal.len()
    );
    for (n, w) in kensa_detect::dga::features::FEATURE_NAMES
        .iter()
        .zip(model.weights)
    {
        eprintln!("  weight {n:<24} {w:+.3}");
    }

    // Report on held-out data: unseen words, new brands, new seeds.
    let thr = model.threshold;
    let rate = |labels: &[String], buf: &mut Vec<usize>| {
        let scored: Vec<f64> = labels.iter().filter_map(|l| model.prob(l, buf)).collect();
        scored.iter().filter(|&&p| p >= thr).count() as f64 / scored.len().max(1) as f64
    };
    let long_test: Vec<String> = test_words
        .iter()
        .filter(|w| w.len() >= 7)
        .cloned()
        .collect();
    eprintln!(
        "held-out words (≥7 chars): FPR {:.3}",
        rate(&long_test, &mut buf)
    );
    let mut r2 = Rng::new(99);
    let brands: Vec<String> = (0..20_000)
        .map(|_| benign_label(&test_words, &mut r2))
        .filter(|l| l.len() >= 7)
        .collect();
    eprintln!(
        "held-out brand-like (≥7 chars): FPR {:.3}",
        rate(&brands, &mut buf)
    );
    for fam in Family::ALL {
        let l: Vec<String> = (0..5000u64)
            .map(|i| dga_label(fam, 100_000 + i, i, &test_words))
            .collect();
        eprintln!(
            "held-out {:<14} recall {:.3}",
            fam.name(),
            rate(&l, &mut buf)
        );
    }

    let out = concat!(env!("CARGO_MANIFEST_DIR"), "/model/dga-v1.bin");
    std::fs::write(out, model.to_bytes())?;
    eprintln!("wrote {out}");
    Ok(())
}
