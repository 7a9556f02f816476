//! End-to-end evaluation on a synthetic week with ground truth.
//!
//! kensa-synth builds a week (hosts, browsing, cloud use, background
//! software, benign look-alikes and planted threats); it is rendered as
//! Squid native and Blue Coat ProxySG text, parsed by kensa-formats,
//! enriched by kensa-enrich with the built-in catalog, pushed into an
//! `EventTable` (and every streaming pass), and all `DETECTORS` run. Each
//! planted item is checked against the detectors its `detectors` field
//! names (matched by source address and destination), and precision is
//! measured over the top 20 findings by score. Run with `--nocapture` to
//! see the table.

use kensa_detect::{
    Context, DETECTORS, EventTable, Finding, IntelHit, IntelHow, Ioc, Locator, RowIn, Severity,
};
use kensa_enrich::{Catalog, EnrichConfig, Enricher, Policy, Sanction};
use kensa_formats::{ParseOptions, Parsed, parser_for};
use kensa_model::SourceFormat;
use kensa_synth::{GroundTruth, SynthConfig, SynthFormat, ThreatItem, Week};
use std::collections::BTreeMap;

/// The organisation's sanction policy for the synthetic company: its
/// Microsoft 365 tenant, Box, Slack, Zoom, Salesforce and Chatwork.
const POLICY: &str = r#"
[services]
microsoft-onedrive-business = "sanctioned"
microsoft-sharepoint = "sanctioned"
microsoft-teams = "sanctioned"
outlook = "sanctioned"
box = "sanctioned"
slack = "sanctioned"
zoom = "sanctioned"
salesforce = "sanctioned"
chatwork = "sanctioned"
"#;

struct Run {
    findings: Vec<Finding>,
    rows: usize,
    rejects: usize,
}

/// The week's `iocs.txt` as a matcher (what `kensa intel import` builds).
fn matcher(week: &Week) -> kensa_intel::Matcher {
    let (iocs, _) = kensa_intel::parse_bytes(
        kensa_intel::FeedFormat::PlainList,
        "synth-iocs",
        week.iocs_text().as_bytes(),
    )
    .expect("iocs.txt parses");
    kensa_intel::Matcher::new(iocs)
}

/// A record's intel hits, as `kensa analyze` computes them: host (or IP
/// literal), server address, and the full URL for hosts serving a listed
/// URL (the host alone for CONNECT).
fn intel_hits(m: &kensa_intel::Matcher, t: &mut EventTable, rec: &kensa_model::WebRecord<'_>, host: Option<&str>) -> Vec<IntelHit> {
    let mut raw = Vec::new();
    if let Some(h) = host {
        if h.parse::<std::net::IpAddr>().is_ok() {
            raw.extend(m.match_ip_str(h));
        } else {
            raw.extend(m.match_host(h));
        }
        let by_host = m.match_url_host(h);
        if !by_host.is_empty() {
            match rec.url.as_deref().filter(|u| u.contains("://")) {
                Some(u) => raw.extend(m.match_url(u)),
                None => raw.extend(by_host),
            }
        }
    }
    if let Some(ip) = rec.server_ip.as_deref() {
        raw.extend(m.match_ip_str(ip));
    }
    let mut out: Vec<IntelHit> = raw
        .into_iter()
        .map(|h| {
            let i = m.indicator(h.id);
            let ioc = t.add_ioc(Ioc {
                source: i.source.to_string(),
                kind: i.kind.as_str().to_string(),
                value: i.value.clone(),
                alerting: i.alerting,
                ..Default::default()
            });
            let how = match h.how {
                kensa_intel::MatchHow::Exact => IntelHow::Exact,
                kensa_intel::MatchHow::Subdomain => IntelHow::Subdomain,
                kensa_intel::MatchHow::Cidr { prefix_len } => IntelHow::Cidr(prefix_len),
                kensa_intel::MatchHow::UrlPrefix => IntelHow::UrlPrefix,
                kensa_intel::MatchHow::UrlHost => IntelHow::UrlHost,
            };
            IntelHit { ioc, how }
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn run_format(week: &Week, synth: SynthFormat, fmt: SourceFormat, enricher: &Enricher) -> Run {
    let intel = matcher(week);
    let mut text = Vec::new();
    week.render(synth, &mut text).expect("render");
    let text = String::from_utf8(text).expect("synth writes UTF-8");
    let mut parser = parser_for(fmt, &ParseOptions::default()).expect("parser");
    let ctx = Context::default();
    let mut passes: Vec<_> = DETECTORS.iter().filter_map(|d| d.stream(&ctx)).collect();
    let mut t = EventTable::with_capacity(week.len());
    let mut rejects = 0;
    if let Ok(pat) = std::env::var("EVAL_GREP") {
        for l in text.lines().filter(|l| l.contains(&pat)).take(4) {
            println!("GREP {l}");
        }
    }
    for (i, line) in text.lines().enumerate() {
        let rec = match parser.parse_line(line) {
            Parsed::Record(r) => r,
            Parsed::Skip => continue,
            Parsed::Reject(_) => {
                rejects += 1;
                continue;
            }
        };
        let e = enricher.enrich(&rec);
        let host = rec.host.as_deref().map(str::to_ascii_lowercase);
        let hits = intel_hits(&intel, &mut t, &rec, host.as_deref());
        let row = RowIn {
            ts_ms: rec.ts_ms,
            src_ip: rec.client_ip.as_deref(),
            user: rec.user.as_deref(),
            host: host.as_deref(),
            domain: e.registered_domain.as_deref(),
            dst_ip: rec.server_ip.as_deref(),
            port: rec.port,
            method: rec.method.as_deref(),
            status: rec.status,
            bytes_up: rec.bytes_up,
            bytes_down: rec.bytes_down,
            user_agent: rec.user_agent.as_deref(),
            content_type: rec.content_type.as_deref(),
            has_referer: rec.referer.is_some(),
            is_ip_literal: e.host_is_ip,
            service: e.service.map(|s| s.id.as_str()),
            service_category: e.service.map(|s| s.category.as_str()),
            category: rec.category.as_deref(),
            src_internal: e.src_internal.unwrap_or(false),
            duration_ms: rec.duration_ms,
            upload_action: e.is_upload(),
            sanctioned: e.status == Some(Sanction::Sanctioned),
            locator: Locator {
                file: 0,
                line: i as u32 + 1,
            },
            intel: &hits,
        };
        t.push(&row);
        for p in &mut passes {
            p.observe(&rec, &row);
        }
    }
    let mut findings: Vec<Finding> = DETECTORS.iter().flat_map(|d| d.run(&t, &ctx)).collect();
    for p in passes {
        findings.extend(p.finish(&t, &ctx));
    }
    findings.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.key.cmp(&b.key)));
    Run {
        findings,
        rows: t.len(),
        rejects,
    }
}

/// Whether `f` is about item `it`: same client (address, or user for
/// per-user findings) and the same destination (host, or a registered
/// domain the destination host belongs to, or one of a DGA burst's names).
fn matches(f: &Finding, it: &ThreatItem) -> bool {
    let src_ok = f.src.ip.as_deref() == Some(it.src_ip.as_str())
        || (f.src.user.is_some() && f.src.user == it.user);
    if !src_ok {
        return false;
    }
    let names: Vec<&str> = std::iter::once(it.dest_host.as_str())
        .chain(it.params.dest_hosts.iter().map(String::as_str))
        .collect();
    // A DGA burst finding lists its names in `notes.domains`.
    let burst: Vec<&str> = f.evidence.notes.get("domains").map(|d| d.split(' ').collect()).unwrap_or_default();
    names.iter().any(|h| {
        burst.contains(h)
            || f.dst.host.as_deref() == Some(*h)
            || f.dst
                .domain
                .as_deref()
                .is_some_and(|d| *h == d || h.ends_with(&format!(".{d}")))
    })
}

fn family_id(family: &str) -> String {
    family.replace('_', "-")
}

const IMPLEMENTED: &[&str] = &[
    "intel",
    "beacon",
    "dga",
    "proxy-signals",
    "exfil-volume",
    "leak-risk",
    "rare-destination",
    "c2-traits",
];

struct Score {
    /// (item id, kind, family) → found.
    cells: BTreeMap<(String, String, String), bool>,
    precision_at_20: f64,
    /// Distinct planted items among the top 50 lines of the grouped ranking.
    items_in_top50: usize,
    /// High/critical findings that match no planted item: (detector, text).
    unexplained_high: Vec<(String, String)>,
}

fn evaluate(truth: &GroundTruth, run: &Run) -> Score {
    let mut cells = BTreeMap::new();
    for it in &truth.items {
        for fam in &it.detectors {
            let id = family_id(fam);
            if !IMPLEMENTED.contains(&id.as_str()) {
                continue;
            }
            let found = run
                .findings
                .iter()
                .any(|f| f.detector == id && matches(f, it));
            cells.insert((it.id.clone(), format!("{:?}", it.kind), id), found);
        }
    }
    // The ranking an analyst reads: one line per (detector, client), as the
    // report groups findings (a DGA burst is one line, not 300).
    let mut seen = std::collections::HashSet::new();
    let ranked: Vec<&Finding> = run
        .findings
        .iter()
        .filter(|f| seen.insert((f.detector.clone(), f.src.ip.clone(), f.src.user.clone())))
        .collect();
    let top: Vec<&Finding> = ranked.iter().take(20).copied().collect();
    let tp = top
        .iter()
        .filter(|f| truth.items.iter().any(|it| matches(f, it)))
        .count();
    let unexplained_high = run
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::High)
        .filter(|f| !truth.items.iter().any(|it| matches(f, it)))
        .map(|f| {
            (
                f.detector.clone(),
                format!("{} ({:.0}) {}", f.key, f.score, f.explanation.en),
            )
        })
        .collect();
    let items_in_top50 = truth
        .items
        .iter()
        .filter(|it| ranked.iter().take(50).any(|f| matches(f, it)))
        .count();
    Score {
        cells,
        precision_at_20: tp as f64 / top.len().max(1) as f64,
        items_in_top50,
        unexplained_high,
    }
}

/// The built-in catalog with the test organisation's policy, as `kensa run` enriches.
fn enricher() -> Enricher {
    let catalog = Catalog::builtin().expect("catalog");
    let policy = Policy::from_toml("policy.toml", POLICY, &catalog).expect("policy");
    Enricher::new(catalog, policy, EnrichConfig::default()).expect("enricher")
}

#[test]
fn synthetic_week_end_to_end() {
    let t0 = std::time::Instant::now();
    let cfg = SynthConfig {
        hosts: 40,
        days: 7,
        ..SynthConfig::default()
    };
    let week = Week::build(&cfg).expect("week");
    let truth = week.ground_truth().clone();
    let enricher = enricher();
    let formats = [
        ("squid", SynthFormat::SquidNative, SourceFormat::SquidNative),
        (
            "proxysg",
            SynthFormat::ProxySgElff,
            SourceFormat::ProxySgElff,
        ),
        (
            "ifilter",
            SynthFormat::IfilterV10Access,
            SourceFormat::IfilterV10Access,
        ),
    ];
    let mut scores = Vec::new();
    for (name, sf, mf) in formats {
        let run = run_format(&week, sf, mf, &enricher);
        assert_eq!(run.rows as u64, truth.events, "{name}: every line parsed");
        assert_eq!(run.rejects, 0, "{name}");
        let s = evaluate(&truth, &run);
        println!(
            "{name}: {} rows, {} findings, precision@20 {:.2}, planted items in top 50: {} of {}",
            run.rows,
            run.findings.len(),
            s.precision_at_20,
            s.items_in_top50,
            truth.items.len()
        );
        if std::env::var("EVAL_DEBUG").is_ok() {
            let mut seen = std::collections::HashSet::new();
            for f in run
                .findings
                .iter()
                .filter(|f| seen.insert((f.detector.clone(), f.src.ip.clone(), f.src.user.clone())))
                .take(50)
            {
                let ok = truth.items.iter().any(|it| matches(f, it));
                println!(
                    "  {:5.1} {:?} {} {}",
                    f.score,
                    f.severity,
                    f.key,
                    if ok { "TP" } else { "" }
                );
            }
        }
        if std::env::var("EVAL_DEBUG").is_ok() {
            for it in &truth.items {
                let hits: Vec<String> = run
                    .findings
                    .iter()
                    .filter(|f| matches(f, it))
                    .map(|f| format!("{}:{:.0}", f.detector, f.score))
                    .collect();
                println!(
                    "  {} (+{:.0} h) {} {} → {}: {:?}",
                    it.id,
                    (it.first_ms - truth.start_ms) as f64 / 3.6e6,
                    it.description,
                    it.src_ip,
                    it.dest_host,
                    hits
                );
            }
        }
        for (_, u) in &s.unexplained_high {
            println!("  UNEXPLAINED HIGH: {u}");
        }
        scores.push((name, s));
    }
    // The table: item, kind, family, found per format.
    println!(
        "{:<22} {:<18} {:<17} squid proxysg ifilter",
        "item", "kind", "detector"
    );
    let keys: Vec<_> = scores[0].1.cells.keys().cloned().collect();
    let yes = |i: usize, k: &(String, String, String)| {
        if scores[i].1.cells.get(k).copied().unwrap_or(false) { "yes" } else { "-" }
    };
    for k in &keys {
        println!(
            "{:<22} {:<18} {:<17} {:<5} {:<7} {}",
            k.0,
            k.1,
            k.2,
            yes(0, k),
            yes(1, k),
            yes(2, k)
        );
    }
    // Every planted threat kind is found (by at least one of its expected
    // detectors, for at least one of its items) in every rendering.
    let kinds: std::collections::BTreeSet<&String> = keys.iter().map(|k| &k.1).collect();
    for (name, s) in &scores {
        let missing: Vec<&&String> = kinds
            .iter()
            .filter(|kind| !s.cells.iter().any(|(k, &found)| &&k.1 == *kind && found))
            .collect();
        println!("{name}: planted kinds not found: {missing:?}");
        assert!(missing.is_empty(), "{name}: planted kinds not found: {missing:?}");
    }
    println!("elapsed {:?}", t0.elapsed());

    // What this version achieves (seed 20261116, 40 hosts, 7 days); a
    // regression turns a "yes" into a failure. Cells not listed here are
    // known misses, explained in docs/evaluation.md ("Synthetic week").
    for (item, det, squid, proxysg) in EXPECTED {
        let k = keys
            .iter()
            .find(|k| k.0 == *item && k.2 == *det)
            .unwrap_or_else(|| panic!("ground truth no longer has {item} / {det}"));
        for (i, want) in [(0, *squid), (1, *proxysg)] {
            if want {
                assert!(
                    scores[i].1.cells[k],
                    "{}: {item} no longer found by {det}",
                    scores[i].0
                );
            }
        }
    }
    for (name, s) in &scores {
        // Measured: Squid native 0.85 / 16 items, ProxySG 0.95 / 20 items.
        assert!(
            s.precision_at_20 >= 0.8,
            "{name}: precision@20 {}",
            s.precision_at_20
        );
        assert!(
            s.items_in_top50 >= 15,
            "{name}: {} items in top 50",
            s.items_in_top50
        );
        // Benign look-alikes (fleet pollers, the 60 s monitoring agent, the
        // nightly backup, Teams relays by raw IP, CloudFront names) are never
        // high or critical. One known DGA-model false positive remains
        // (`seiwasangyo.cojp`, a mistyped dead link).
        let bad: Vec<&String> = s
            .unexplained_high
            .iter()
            .filter(|(d, _)| d != "dga")
            .map(|(_, t)| t)
            .collect();
        assert!(bad.is_empty(), "{name}: benign rated high: {bad:#?}");
        assert!(
            s.unexplained_high.len() <= 1,
            "{name}: {:#?}",
            s.unexplained_high
        );
    }
}

/// (item id, detector, found in Squid native, found in ProxySG).
const EXPECTED: &[(&str, &str, bool, bool)] = &[
    ("T01-cobaltstrike", "beacon", true, true),
    ("T01-cobaltstrike", "c2-traits", true, true),
    ("T02-stager", "c2-traits", true, true),
    ("T03-beacon", "beacon", true, true),
    ("T03-beacon", "dga", true, true),
    ("T04-beacon", "beacon", true, true),
    ("T05-beacon", "beacon", true, true),
    ("T06-beacon", "beacon", true, true),
    ("T07-exfil", "exfil-volume", false, true),
    ("T07-exfil", "rare-destination", true, true),
    ("T08-cloud-upload", "exfil-volume", false, true),
    ("T08-cloud-upload", "leak-risk", true, true),
    ("T09-cloud-upload", "exfil-volume", false, true),
    ("T09-cloud-upload", "leak-risk", true, true),
    ("T10-cloud-upload", "exfil-volume", true, true),
    ("T10-cloud-upload", "leak-risk", true, true),
    ("T11-cloud-upload", "exfil-volume", false, true),
    ("T11-cloud-upload", "leak-risk", true, true),
    ("T12-paste-upload", "leak-risk", true, true),
    ("T13-genai-upload", "leak-risk", true, true),
    ("T14-webmail-upload", "exfil-volume", false, true),
    ("T14-webmail-upload", "leak-risk", false, true),
    ("T15-dga-burst", "dga", true, true),
    ("T15-dga-burst", "proxy-signals", true, true),
    ("T16-auth-storm", "beacon", true, true),
    ("T16-auth-storm", "proxy-signals", true, true),
    ("T17-connect-raw-ip", "proxy-signals", true, true),
    ("T18-connect-nonstd-port", "proxy-signals", true, true),
    ("T18-connect-nonstd-port", "rare-destination", true, true),
    ("T19-connect-nonstd-port", "proxy-signals", true, true),
    ("T20-long-tunnel", "exfil-volume", false, true),
    ("T20-long-tunnel", "proxy-signals", true, true),
    ("T20-long-tunnel", "rare-destination", false, true),
    ("T21-exe-as-image", "c2-traits", true, true),
    ("T23-intel-hit", "rare-destination", true, true),
];

/// The issue's 500-host week: precision among the top 20 (one line per
/// detector and client, as the report ranks them) of at least 0.9 in each
/// rendering, every planted kind found in each, and no finding rated high
/// or critical that matches no planted item unless it is a DGA-model
/// false positive (listed). Heavy (≈1 M rows per format): run in release,
///
/// `cargo test --release -p kensa-detect --test eval_synth -- --ignored --nocapture`
///
/// (figures in EVALUATION.md, "500-host week").
#[test]
#[ignore = "heavy: a 500-host week in three formats; run in release"]
fn week_of_500_hosts() {
    let t0 = std::time::Instant::now();
    let cfg = SynthConfig {
        hosts: 500,
        days: 7,
        seed: std::env::var("EVAL_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(500),
        ..SynthConfig::default()
    };
    let week = Week::build(&cfg).expect("week");
    let truth = week.ground_truth().clone();
    let enricher = enricher();
    let mut failures = Vec::new();
    for (name, sf, mf) in [
        ("squid", SynthFormat::SquidNative, SourceFormat::SquidNative),
        ("proxysg", SynthFormat::ProxySgElff, SourceFormat::ProxySgElff),
        ("ifilter", SynthFormat::IfilterV10Access, SourceFormat::IfilterV10Access),
    ] {
        let t = std::time::Instant::now();
        let run = run_format(&week, sf, mf, &enricher);
        let s = evaluate(&truth, &run);
        let kinds: std::collections::BTreeSet<&String> = s.cells.keys().map(|k| &k.1).collect();
        let missing: Vec<&&String> = kinds
            .iter()
            .filter(|kind| !s.cells.iter().any(|(k, &found)| &&k.1 == *kind && found))
            .collect();
        let high_by_dga = s.unexplained_high.iter().filter(|(d, _)| d == "dga").count();
        let high_other: Vec<&String> = s.unexplained_high.iter().filter(|(d, _)| d != "dga").map(|(_, t)| t).collect();
        println!(
            "{name}: {} rows, {} findings, precision@20 {:.2}, planted items in top 50: {} of {}, \
             kinds missed {missing:?}, unexplained high/critical: {} dga + {} other ({:.1} s)",
            run.rows,
            run.findings.len(),
            s.precision_at_20,
            s.items_in_top50,
            truth.items.len(),
            high_by_dga,
            high_other.len(),
            t.elapsed().as_secs_f64()
        );
        for h in &s.unexplained_high {
            println!("  unexplained: {} {}", h.0, h.1);
        }
        // The top 20 as ranked (one line per detector and client).
        let mut seen = std::collections::HashSet::new();
        for f in run.findings.iter().filter(|f| seen.insert((f.detector.clone(), f.src.ip.clone(), f.src.user.clone()))).take(20) {
            let tp = truth.items.iter().any(|it| matches(f, it));
            println!("  {} {:5.1} {:<16} {}", if tp { "TP" } else { "--" }, f.score, f.detector, f.explanation.en.chars().take(150).collect::<String>());
        }
        if s.precision_at_20 < 0.9 {
            failures.push(format!("{name}: precision@20 {:.2}", s.precision_at_20));
        }
        if !missing.is_empty() {
            failures.push(format!("{name}: kinds not found {missing:?}"));
        }
        if !high_other.is_empty() {
            failures.push(format!("{name}: benign rated high {high_other:#?}"));
        }
    }
    println!("elapsed {:?}", t0.elapsed());
    assert!(failures.is_empty(), "{failures:#?}");
}
