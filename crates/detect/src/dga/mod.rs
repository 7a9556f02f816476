//! DGA-looking domains: a lexical model of registered-domain labels.
//!
//! The model ([`model::Model`]) scores one label (the registered domain
//! without its public suffix: `d1a2b3c4.cloudfront.net` is scored as
//! `cloudfront`, which is why CDN hosts with random-looking sub-domains do
//! not fire). Features ([`features`]): the mean and worst −ln p of the
//! label's character trigrams under a benign language model, length,
//! entropy, digit and vowel ratios, longest consonant run, hex-only,
//! digit/letter switches, hyphens, distinct-character ratio; combined by a
//! logistic regression. It is trained offline by `examples/train_dga.rs`
//! from local word lists and locally generated DGA families ([`synth`]) and
//! embedded from `model/dga-v1.bin`.

pub mod features;
pub mod model;
pub mod romaji;
pub mod synth;

use crate::detector::{Context, Detector, DetectorInfo, Threshold, describe_pair, samples};
use crate::finding::Finding;
use crate::group::{GroupKey, Groups};
use crate::table::{EventTable, NONE};
use model::Model;
use std::collections::HashMap;
use std::sync::OnceLock;

static MODEL_BYTES: &[u8] = include_bytes!("../../model/dga-v1.bin");

/// The embedded model, or why it could not be loaded.
pub fn embedded_model() -> Result<&'static Model, &'static model::ModelError> {
    static M: OnceLock<Result<Model, model::ModelError>> = OnceLock::new();
    M.get_or_init(|| Model::from_bytes(MODEL_BYTES)).as_ref()
}

/// The label of a registered domain that the model scores: the text before
/// the first dot, lower-cased. When the domain sits under a multi-label
/// suffix of the public-suffix list's *private* section (hosting platforms
/// such as `cloudfront.net`, `herokuapp.com`), the first label is the
/// platform's or its customer's choice, not a registered name, so the
/// platform label is scored instead (`d1a2b3.cloudfront.net` →
/// `cloudfront`). `None` for IDN (`xn--`), empty or non-`[a-z0-9-]`
/// labels.
pub fn label_of(registered_domain: &str) -> Option<String> {
    let lower = registered_domain.to_ascii_lowercase();
    let mut scored: &str = &lower;
    if let Some(sfx) = psl::suffix(lower.as_bytes())
        && sfx.typ() == Some(psl::Type::Private)
        && let Ok(s) = std::str::from_utf8(sfx.as_bytes())
        && s.contains('.')
        && s.len() < lower.len()
    {
        scored = &lower[lower.len() - s.len()..];
    }
    let l = scored.split('.').next()?.to_string();
    if l.is_empty()
        || l.starts_with("xn--")
        || !l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return None;
    }
    Some(l)
}

/// Probability (0–1) that a registered domain is DGA-generated, `None` if
/// it cannot be scored or the model is unavailable.
pub fn score_domain(registered_domain: &str) -> Option<f64> {
    let m = embedded_model().ok()?;
    let l = label_of(registered_domain)?;
    if romaji::is_romaji(&l) {
        return Some(0.0);
    }
    m.prob(&l, &mut Vec::new())
}

/// The DGA detector (registered as `dga`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Dga;

static INFO: DetectorInfo = DetectorInfo {
    id: "dga",
    title_en: "Algorithmically generated domain (DGA)",
    title_ja: "アルゴリズム生成ドメイン (DGA)",
    detects: "Clients requesting registered domains whose name looks machine-generated \
              (random letters, hex or base-36 strings, pronounceable gibberish), as malware \
              domain generation algorithms produce. One finding per client and domain; a \
              client reaching several such domains scores higher. A burst (a client trying \
              many such names) is one finding for the client listing the names that never \
              answered; the names that did answer keep their own finding, scored as the \
              likely live C2 domain.",
    features: &[
        "character-trigram log-likelihood (mean, worst) under a benign model",
        "length, entropy, digit ratio, vowel ratio, longest consonant run",
        "hex-only, digit/letter switches, hyphens, distinct-character ratio",
        "logistic regression trained offline (examples/train_dga.rs)",
        "distinct DGA-like domains per client",
        "hosts with a named service (enrichment) are skipped",
        "labels that split entirely into Hepburn romaji syllables (Japanese names) are skipped",
        "per name in a burst: whether any request got an answer (HTTP status below 400)",
    ],
    thresholds: &[
        Threshold {
            name: "prob_threshold",
            default: 0.66,
            reason: "The 99th percentile of the model's probability on held-out benign names \
                     (words, brand-like and romaji names), so ~1 % false positives per name; \
                     train_dga writes the same value into the model file (a test checks).",
        },
        Threshold {
            name: "min_label_len",
            default: 7.0,
            reason: "Labels of 6 characters or fewer (acronyms, short brands) carry too little \
                     signal; DGA families mostly emit 8+ characters.",
        },
        Threshold {
            name: "max_samples",
            default: 3.0,
            reason: "A few source lines per finding are enough to pivot.",
        },
        Threshold {
            name: "shared_fraction",
            default: 0.1,
            reason: "DGA domains are per infection; a registered domain reached by 10 % or more \
                     of the clients (and at least 3) is a popular service with an odd name \
                     (jsdelivr, akamaihd), so its score is capped at `shared_cap`.",
        },
        Threshold {
            name: "burst_min_domains",
            default: 10.0,
            reason: "Ten distinct machine-generated-looking names from one client in the data \
                     is a domain-generation run, not a handful of odd brand names; below it \
                     every name keeps its own finding.",
        },
        Threshold {
            name: "burst_list",
            default: 50.0,
            reason: "Names listed in a burst finding's evidence (all are counted).",
        },
        Threshold {
            name: "shared_cap",
            default: 30.0,
            reason: "Low: still listed for completeness, never ranked with real DGA hits.",
        },
    ],
    attack: &["T1568.002", "T1071.001"],
    false_positives: &[
        "CDN, tracking and cloud hosts whose registered domain itself is random-looking \
         (e.g. akamaihd.net) when the enrich stage does not name the service",
        "short acronym domains and non-English brand names the word lists do not cover",
        "dictionary-word DGAs (Suppobox-like) are mostly MISSED, not false positives",
    ],
    cost: "O(distinct registered domains × label length) for scoring, then one sort of the \
           flagged rows; the 55 KB model is embedded.",
};

impl Detector for Dga {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }

    fn run(&self, t: &EventTable, ctx: &Context) -> Vec<Finding> {
        let Ok(m) = embedded_model() else {
            return Vec::new();
        };
        let thr = ctx.param(&INFO, "prob_threshold");
        let min_len = ctx.param(&INFO, "min_label_len").max(1.0) as usize;
        let max_samples = ctx.param(&INFO, "max_samples").max(0.0) as usize;
        // Score each registered domain once.
        let mut buf = Vec::new();
        let probs: Vec<Option<f64>> = (0..t.domains.len() as u32)
            .map(|d| {
                let l = label_of(t.domains.get(d)?)?;
                if l.len() < min_len || romaji::is_romaji(&l) {
                    return None;
                }
                m.prob(&l, &mut buf).filter(|&p| p >= thr)
            })
            .collect();
        if probs.iter().all(Option::is_none) {
            return Vec::new();
        }
        let flagged = |row: u32| {
            let d = t.domain(row);
            // A host the enrich stage recognised as a named service (CDN,
            // SaaS) is not a DGA domain, however random its name looks.
            d != NONE
                && !t.is_ip_literal(row)
                && t.service(row) == NONE
                && probs.get(d as usize).is_some_and(Option::is_some)
        };
        let groups = Groups::build(t, GroupKey::SrcDomain, flagged);
        let prev = crate::common::Prevalence::build(t);
        let shared_fraction = ctx.param(&INFO, "shared_fraction");
        let shared_cap = ctx.param(&INFO, "shared_cap");
        let is_shared = |dom: u32| {
            let c = prev.domains.get(dom as usize).copied().unwrap_or(0);
            c >= 3 && c as f64 >= shared_fraction * prev.clients as f64
        };
        let mut per_src: HashMap<u32, u32> = HashMap::new();
        for g in &groups.groups {
            let (s, d, _) = GroupKey::unpack(g.key);
            // Popular odd-looking domains do not count towards a burst.
            if !is_shared(d) {
                *per_src.entry(s).or_default() += 1;
            }
        }
        let burst_min = ctx.param(&INFO, "burst_min_domains").max(2.0) as u32;
        let answered = |rows: &[u32]| rows.iter().any(|&r| t.status(r).is_some_and(|s| s < 400));
        // Per client in a burst: the names that never answered, folded
        // into one finding (probability, domain, rows).
        let mut bursts: HashMap<u32, Vec<(f64, u32, &[u32])>> = HashMap::new();
        let mut out = Vec::new();
        for g in &groups.groups {
            let (src, dom, _) = GroupKey::unpack(g.key);
            let Some(p) = probs.get(dom as usize).copied().flatten() else {
                continue;
            };
            let rows = groups.rows(g);
            let first = rows[0];
            if per_src.get(&src).copied().unwrap_or(0) >= burst_min && !is_shared(dom) && !answered(rows) {
                bursts.entry(src).or_default().push((p, dom, rows));
                continue;
            }
            let (s, mut d) =
                describe_pair(t, src, t.host[first as usize], t.dst_ip[first as usize]);
            let n_dga = per_src.get(&src).copied().unwrap_or(1).max(1);
            let base = 40.0 + 40.0 * ((p - thr) / (1.0 - thr).max(1e-9)).clamp(0.0, 1.0);
            let mut score = base + (4.0 * (n_dga as f64 - 1.0)).min(20.0);
            let clients = prev.domains.get(dom as usize).copied().unwrap_or(0);
            if is_shared(dom) {
                score = score.min(shared_cap);
            }
            let domain = t.domains.get(dom).unwrap_or("").to_string();
            d.domain = Some(domain.clone());
            let src_key = s.ip.clone().unwrap_or_default();
            let mut f = Finding::new(INFO.id, &src_key, &domain, INFO.title_en.to_string(), score);
            f.src = s;
            f.src.user = crate::detector::user_of(t, rows);
            f.dst = d;
            f.first_seen = t.ts_ms[first as usize];
            f.last_seen = t.ts_ms[rows[rows.len() - 1] as usize];
            f.count = rows.len() as u64;
            let up: Option<u64> = rows
                .iter()
                .filter_map(|&r| t.bytes_up(r))
                .reduce(|a, b| a.saturating_add(b));
            let down: Option<u64> = rows
                .iter()
                .filter_map(|&r| t.bytes_down(r))
                .reduce(|a, b| a.saturating_add(b));
            f.bytes_up = up;
            f.bytes_down = down;
            f.attack = INFO.attack.iter().map(|s| s.to_string()).collect();
            f.figure("dga_probability", p);
            f.figure("dga_domains_from_client", n_dga as f64);
            f.figure("destination_clients", clients as f64);
            if let Some(label) = label_of(&domain) {
                if let Some(x) = features::features(&label, &m.nll, &mut buf) {
                    for (name, v) in features::FEATURE_NAMES.iter().zip(x) {
                        f.figure(name, v);
                    }
                }
                f.evidence.notes.insert("label".into(), label);
            }
            f.evidence.samples = samples(t, rows, max_samples);
            let src_txt = f.src.ip.as_deref().unwrap_or("?");
            f.explanation.en = format!(
                "{src_txt} requested {domain} {} times; its name looks machine-generated \
                 (DGA probability {:.0} %). The client reached {n_dga} such domain(s).",
                rows.len(),
                p * 100.0
            );
            f.explanation.ja = format!(
                "{src_txt} が {domain} に {} 回アクセスしました。ドメイン名が機械生成 (DGA) のように見えます \
                 (DGA 確率 {:.0} %)。この端末は同様のドメインに計 {n_dga} 件アクセスしています。",
                rows.len(),
                p * 100.0
            );
            out.push(f);
        }
        let list_max = ctx.param(&INFO, "burst_list").max(1.0) as usize;
        for (src, mut names) in bursts {
            out.push(burst_finding(t, src, &mut names, per_src[&src], thr, list_max, max_samples));
        }
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.key.cmp(&b.key)));
        out
    }
}

/// One finding for a client's burst of unanswered DGA-like names.
fn burst_finding(t: &EventTable, src: u32, names: &mut [(f64, u32, &[u32])], n_dga: u32, thr: f64, list_max: usize, max_samples: usize) -> Finding {
    names.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut rows: Vec<u32> = names.iter().flat_map(|n| n.2.iter().copied()).collect();
    rows.sort_unstable_by_key(|&r| (t.ts_ms[r as usize], r));
    let first = rows[0];
    let (s, _) = describe_pair(t, src, t.host[first as usize], t.dst_ip[first as usize]);
    let mean_p = names.iter().map(|n| n.0).sum::<f64>() / names.len() as f64;
    let base = 40.0 + 40.0 * ((mean_p - thr) / (1.0 - thr).max(1e-9)).clamp(0.0, 1.0);
    let score = base + (4.0 * (names.len() as f64 - 1.0)).min(20.0);
    let src_key = s.ip.clone().unwrap_or_default();
    let n = names.len();
    let mut f = Finding::new(INFO.id, &src_key, "dga-burst", format!("{} ({n})", INFO.title_en), score);
    f.src = s;
    f.src.user = crate::detector::user_of(t, &rows);
    f.first_seen = t.ts_ms[first as usize];
    f.last_seen = t.ts_ms[rows[rows.len() - 1] as usize];
    f.count = rows.len() as u64;
    f.bytes_up = rows.iter().filter_map(|&r| t.bytes_up(r)).reduce(|a, b| a.saturating_add(b));
    f.bytes_down = rows.iter().filter_map(|&r| t.bytes_down(r)).reduce(|a, b| a.saturating_add(b));
    f.attack = INFO.attack.iter().map(|s| s.to_string()).collect();
    f.figure("dga_probability", mean_p);
    f.figure("burst_domains", n as f64);
    f.figure("dga_domains_from_client", n_dga as f64);
    f.figure("burst_span_s", (f.last_seen - f.first_seen) as f64 / 1000.0);
    let listed: Vec<&str> = names.iter().take(list_max).filter_map(|n| t.domains.get(n.1)).collect();
    f.evidence.notes.insert("domains".into(), listed.join(" "));
    f.evidence.samples = samples(t, &rows, max_samples);
    let src_txt = f.src.ip.as_deref().unwrap_or("?");
    let span = crate::beacon::human_period((f.last_seen - f.first_seen) as f64);
    let shown = listed.iter().take(5).copied().collect::<Vec<_>>().join(", ");
    f.explanation.en = format!(
        "{src_txt} tried {n} machine-generated-looking domains within {span} (mean DGA probability \
         {:.0} %), none of which answered: the pattern of malware searching for its live C2 \
         domain. First names: {shown}.",
        mean_p * 100.0
    );
    f.explanation.ja = format!(
        "{src_txt} が {span} の間に機械生成 (DGA) のようなドメイン {n} 件にアクセスを試み、いずれも応答が\
         ありませんでした (平均 DGA 確率 {:.0} %)。マルウェアが稼働中の C2 ドメインを探索する典型的な挙動です。\
         最初の例: {shown}。",
        mean_p * 100.0
    );
    f
}
