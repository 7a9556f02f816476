//! Threat-intelligence hits: requests whose host, address or URL is listed
//! in an imported feed.
//!
//! **What.** Every row the caller tagged with [`IntelHit`]s (host, SNI,
//! server address or full URL matched against the intel store, at ingest
//! or again at analysis time) is grouped by (client, destination host — or
//! server address when the host is unknown). One finding per pair lists the
//! matched indicators with their feed, kind, value, threat type and malware
//! family, how they matched (exact, sub-domain, CIDR /n, URL prefix, host of
//! a listed URL), how many requests matched each, how many got through the
//! proxy, and sample source lines.
//!
//! **Features.** Per indicator: threat class (from the feed's threat type,
//! tags and malware family), match strength, feed confidence, whether the
//! feed marks it as alerting, port agreement (Feodo / ThreatFox tie an IP
//! to a port); per pair: requests, allowed vs blocked, bytes, first/last
//! seen; per indicator across the case: distinct clients that hit it.
//!
//! **Score** (0–100) = the strongest indicator's weight, where
//!
//! * class base: command-and-control (`botnet_cc`, `c2`, a malware family
//!   named) 95; malware delivery (`malware_download`, `payload_delivery`)
//!   90; phishing 75; other or unknown threat type 80 (an analyst imported
//!   the feed for a reason); anonymiser (`tor_exit`, `proxy`, `vpn`) 45;
//! * match strength: exact / URL prefix ±0, sub-domain −5, CIDR −5 (/24 or
//!   longer), −15 (/16–/23), −25 (shorter), host of a listed URL −35, hit
//!   recorded at ingest with unknown match −0 (a `cidr` kind −10);
//! * confidence `c` (if the feed gives one): × (0.5 + c/200);
//! * a feed port that agrees with the request +3;
//!
//! then −15 when no request to the pair got through the proxy (every status
//! 4xx/5xx: the proxy denied it or the site was gone — attempted, not
//! established), and −20 when more than `max_clients_share` of the case's
//! clients (and more than `min_shared_clients`) hit the same indicator (a
//! feed entry covering shared infrastructure is the usual cause). Context
//! indicators (`alerting: false`) are capped at 20 (info).
//! Severity follows the score: C2 exact hits are critical, delivery hits
//! high, CIDR and anonymiser hits medium or low.
//!
//! **ATT&CK.** T1071.001 (C2 over web protocols), T1105 (tool transfer,
//! delivery indicators), T1566.002 (phishing links), T1090.003 (multi-hop
//! proxy, Tor exits).
//!
//! **Where hits come from.** The CLI re-matches the case against the
//! *current* intel store at analysis time (feeds imported after ingest
//! count, removed feeds stop counting) and falls back to the `intel`
//! column written at ingest when no store is available; see
//! `kensa analyze --help`. The detector itself only reads the table.

use crate::common::{fill_common, sort_findings};
use crate::detector::{Context, Detector, DetectorInfo, Threshold, describe_pair};
use crate::finding::{Finding, Severity};
use crate::table::{EventTable, IntelHow, Ioc, NONE, Sym};
use std::collections::{BTreeMap, BTreeSet};

pub use crate::table::IntelHit;

/// The threat-intel detector (registered as `intel`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Intel;

static INFO: DetectorInfo = DetectorInfo {
    id: "intel",
    title_en: "Threat-intelligence match",
    title_ja: "脅威インテリジェンスとの一致",
    detects: "Requests to a host, domain, IP address or URL listed in an imported threat-intel \
              feed (URLhaus, Feodo Tracker, ThreatFox, Spamhaus DROP, MISP, STIX, plain lists). \
              One finding per client and destination names every matched indicator with its \
              feed, kind, threat type and how it matched; severity follows the threat type, \
              the match strength and the feed's confidence.",
    features: &[
        "matched indicators per (client, destination) with feed, kind, value, match kind",
        "threat class from the feed's threat type, tags and malware family",
        "feed confidence; alerting flag; feed port vs request port",
        "requests allowed vs blocked by the proxy; bytes; first/last seen",
        "distinct clients that hit the same indicator",
    ],
    thresholds: &[
        Threshold {
            name: "max_clients_share",
            default: 0.2,
            reason: "A C2 server or a malicious download reaches a handful of victims; an \
                     indicator hit by more than a fifth of all clients usually covers shared \
                     infrastructure (a CDN address in a network list), so it is demoted.",
        },
        Threshold {
            name: "min_shared_clients",
            default: 5.0,
            reason: "In small cases a fifth of the clients is one or two machines: never demote \
                     an indicator hit by five clients or fewer.",
        },
        Threshold {
            name: "max_samples",
            default: 5.0,
            reason: "Enough source lines to open in the log viewer.",
        },
        Threshold {
            name: "max_iocs_listed",
            default: 10.0,
            reason: "Keeps the evidence readable when a destination matches a whole feed's \
                     worth of URLs; the count of all matched indicators is still given.",
        },
    ],
    attack: &["T1071.001", "T1105", "T1566.002", "T1090.003"],
    false_positives: &[
        "feed entries for shared hosting, CDNs or sinkholes (many clients hit them: demoted)",
        "a compromised legitimate site whose one listed URL makes its host match (host-of-URL \
         matches are scored low)",
        "security tools and analysts fetching listed URLs on purpose",
    ],
    cost: "O(h log h) in the h rows with intel hits (a tiny fraction of the table); memory for \
           those rows only.",
};

/// What an indicator is about, from its feed metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ThreatClass {
    /// Command-and-control.
    C2,
    /// Malware or payload delivery.
    Delivery,
    /// Phishing.
    Phishing,
    /// Listed, threat type unknown or other.
    Other,
    /// Anonymisers (Tor exits, open proxies, VPN).
    Anonymizer,
}

impl ThreatClass {
    /// Classifies an indicator from its threat type, tags and malware name.
    pub fn of(ioc: &Ioc) -> ThreatClass {
        let mut words: Vec<String> = Vec::new();
        if let Some(t) = &ioc.threat_type {
            words.push(t.to_ascii_lowercase());
        }
        words.extend(ioc.tags.iter().map(|t| t.to_ascii_lowercase()));
        let has = |needles: &[&str]| {
            words
                .iter()
                .any(|w| needles.iter().any(|n| w.contains(n)))
        };
        if has(&["botnet_cc", "c2", "c&c", "command", "cnc", "beacon"]) {
            ThreatClass::C2
        } else if has(&["malware_download", "payload", "download", "dropper", "loader"]) {
            ThreatClass::Delivery
        } else if has(&["phish"]) {
            ThreatClass::Phishing
        } else if has(&["tor", "exit", "proxy", "vpn", "anonym"]) {
            ThreatClass::Anonymizer
        } else if ioc.malware.is_some() {
            ThreatClass::C2
        } else {
            ThreatClass::Other
        }
    }
    fn base(self) -> f64 {
        match self {
            ThreatClass::C2 => 95.0,
            ThreatClass::Delivery => 90.0,
            ThreatClass::Phishing => 75.0,
            ThreatClass::Other => 80.0,
            ThreatClass::Anonymizer => 45.0,
        }
    }
    fn name(self) -> &'static str {
        match self {
            ThreatClass::C2 => "command-and-control",
            ThreatClass::Delivery => "malware delivery",
            ThreatClass::Phishing => "phishing",
            ThreatClass::Other => "listed",
            ThreatClass::Anonymizer => "anonymiser",
        }
    }
    fn name_ja(self) -> &'static str {
        match self {
            ThreatClass::C2 => "C2 サーバー",
            ThreatClass::Delivery => "マルウェア配布",
            ThreatClass::Phishing => "フィッシング",
            ThreatClass::Other => "脅威リスト掲載",
            ThreatClass::Anonymizer => "匿名化サービス",
        }
    }
    fn attack(self) -> &'static str {
        match self {
            ThreatClass::C2 | ThreatClass::Other => "T1071.001",
            ThreatClass::Delivery => "T1105",
            ThreatClass::Phishing => "T1566.002",
            ThreatClass::Anonymizer => "T1090.003",
        }
    }
}

fn how_name(h: IntelHow) -> String {
    match h {
        IntelHow::Exact => "exact".into(),
        IntelHow::Subdomain => "subdomain".into(),
        IntelHow::Cidr(p) => format!("cidr/{p}"),
        IntelHow::UrlPrefix => "url-prefix".into(),
        IntelHow::UrlHost => "host-of-listed-url".into(),
        IntelHow::Recorded => "recorded-at-ingest".into(),
    }
}

fn how_penalty(h: IntelHow, kind: &str) -> f64 {
    match h {
        IntelHow::Exact | IntelHow::UrlPrefix => 0.0,
        IntelHow::Subdomain => 5.0,
        IntelHow::Cidr(p) if p >= 24 => 5.0,
        IntelHow::Cidr(p) if p >= 16 => 15.0,
        IntelHow::Cidr(_) => 25.0,
        IntelHow::UrlHost => 35.0,
        IntelHow::Recorded if kind == "cidr" => 10.0,
        IntelHow::Recorded => 0.0,
    }
}

/// The weight (0–100) of one indicator matched a given way; `port_ok` is
/// whether a feed port agrees with the request.
pub fn ioc_weight(ioc: &Ioc, how: IntelHow, port_ok: bool) -> f64 {
    let mut w = ThreatClass::of(ioc).base() - how_penalty(how, &ioc.kind);
    if let Some(c) = ioc.confidence {
        w *= 0.5 + f64::from(c.min(100)) / 200.0;
    }
    if port_ok {
        w += 3.0;
    }
    if !ioc.alerting {
        w = w.min(20.0);
    }
    w.clamp(0.0, 100.0)
}

/// Per-indicator tally inside one pair.
#[derive(Default)]
struct Tally {
    rows: u64,
    port_ok: bool,
    how: BTreeSet<IntelHow>,
}

impl Detector for Intel {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }

    fn run(&self, t: &EventTable, ctx: &Context) -> Vec<Finding> {
        let share = ctx.param(&INFO, "max_clients_share");
        let min_shared = ctx.param(&INFO, "min_shared_clients");
        let max_samples = ctx.param(&INFO, "max_samples").max(0.0) as usize;
        let max_listed = ctx.param(&INFO, "max_iocs_listed").max(1.0) as usize;
        // Pair key: (client, 0 = host id / 1 = server IP id, id).
        let mut pairs: BTreeMap<(Sym, u8, Sym), Vec<u32>> = BTreeMap::new();
        let mut ioc_clients: BTreeMap<u32, BTreeSet<Sym>> = BTreeMap::new();
        for (r, hits) in t.intel_rows() {
            let i = r as usize;
            let (src, host, ip) = (t.src[i], t.host[i], t.dst_ip[i]);
            let key = if host != NONE {
                (src, 0, host)
            } else if ip != NONE {
                (src, 1, ip)
            } else {
                (src, 2, NONE)
            };
            pairs.entry(key).or_default().push(r);
            for h in hits {
                ioc_clients.entry(h.ioc).or_default().insert(src);
            }
        }
        let all_clients = {
            let mut s: Vec<Sym> = t.src.iter().copied().filter(|&s| s != NONE).collect();
            s.sort_unstable();
            s.dedup();
            s.len().max(1) as f64
        };
        let widespread = |n: usize| n as f64 > min_shared && n as f64 > share * all_clients;
        let mut out = Vec::new();
        for ((src, kind, dst), rows) in pairs {
            let mut tallies: BTreeMap<u32, Tally> = BTreeMap::new();
            let mut allowed = 0u64;
            for &r in &rows {
                let port = t.port(r);
                if t.status(r).is_none_or(|s| s < 400) {
                    allowed += 1;
                }
                for h in t.intel_hits(r) {
                    let e = tallies.entry(h.ioc).or_default();
                    e.rows += 1;
                    e.how.insert(h.how);
                    if let (Some(ip), Some(p)) = (t.ioc(h.ioc).and_then(|i| i.port), port)
                        && ip == p
                    {
                        e.port_ok = true;
                    }
                }
            }
            // Weight each indicator by its strongest match.
            let mut ranked: Vec<(f64, u32, IntelHow, &Tally)> = tallies
                .iter()
                .filter_map(|(&id, tl)| {
                    let ioc = t.ioc(id)?;
                    let (w, how) = tl
                        .how
                        .iter()
                        .map(|&h| (ioc_weight(ioc, h, tl.port_ok), h))
                        .max_by(|a, b| a.0.total_cmp(&b.0))?;
                    Some((w, id, how, tl))
                })
                .collect();
            ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let Some(&(top_w, top_id, top_how, _)) = ranked.first() else {
                continue;
            };
            let Some(top) = t.ioc(top_id) else { continue };
            let class = ThreatClass::of(top);
            let top_clients = ioc_clients.get(&top_id).map_or(0, |s| s.len());
            let mut score = top_w;
            let blocked_all = allowed == 0;
            if blocked_all {
                score -= 15.0;
            }
            let demoted = widespread(top_clients);
            if demoted {
                score -= 20.0;
            }
            let first = rows[0] as usize;
            let (host, ip) = match kind {
                0 => (dst, t.dst_ip[first]),
                _ => (NONE, t.dst_ip[first]),
            };
            let (s, d) = describe_pair(t, src, host, ip);
            let src_key = s.ip.clone().unwrap_or_default();
            let dst_txt = d
                .host
                .clone()
                .or_else(|| d.ip.clone())
                .unwrap_or_else(|| "(unknown destination)".into());
            let mut f = Finding::new(
                INFO.id,
                &src_key,
                &dst_txt,
                format!("{} ({})", INFO.title_en, class.name()),
                score,
            );
            if !top.alerting {
                f.severity = Severity::Info;
            }
            f.src = s;
            f.dst = d;
            fill_common(&mut f, t, &INFO, &rows, max_samples);
            let mut attack: Vec<String> = ranked
                .iter()
                .filter_map(|(_, id, _, _)| t.ioc(*id))
                .map(|i| ThreatClass::of(i).attack().to_string())
                .collect();
            attack.sort();
            attack.dedup();
            f.attack = attack;
            f.figure("ioc_count", ranked.len() as f64);
            f.figure("top_ioc_weight", top_w);
            f.figure(
                "top_ioc_confidence",
                top.confidence.map_or(-1.0, f64::from),
            );
            f.figure("requests_allowed", allowed as f64);
            f.figure("requests_blocked", (rows.len() as u64 - allowed) as f64);
            f.figure("clients_hitting_top_ioc", top_clients as f64);
            f.figure("demoted_widespread", if demoted { 1.0 } else { 0.0 });
            let mut listed = Vec::new();
            for (w, id, how, tl) in ranked.iter().take(max_listed) {
                let Some(i) = t.ioc(*id) else { continue };
                let mut s = format!(
                    "{}:{}:{} ({}, {} request(s), weight {:.0}",
                    i.source,
                    i.kind,
                    i.value,
                    how_name(*how),
                    tl.rows,
                    w
                );
                if let Some(tt) = &i.threat_type {
                    s.push_str(&format!(", {tt}"));
                }
                if let Some(m) = &i.malware {
                    s.push_str(&format!(", {m}"));
                }
                if let Some(c) = i.confidence {
                    s.push_str(&format!(", confidence {c}"));
                }
                if !i.alerting {
                    s.push_str(", context only");
                }
                s.push(')');
                listed.push(s);
            }
            let sources: BTreeSet<&str> = ranked
                .iter()
                .filter_map(|(_, id, _, _)| t.ioc(*id).map(|i| i.source.as_str()))
                .collect();
            let kinds: BTreeSet<&str> = ranked
                .iter()
                .filter_map(|(_, id, _, _)| t.ioc(*id).map(|i| i.kind.as_str()))
                .collect();
            let n = &mut f.evidence.notes;
            n.insert("iocs".into(), listed.join("; "));
            n.insert(
                "sources".into(),
                sources.into_iter().collect::<Vec<_>>().join(", "),
            );
            n.insert(
                "kinds".into(),
                kinds.into_iter().collect::<Vec<_>>().join(", "),
            );
            n.insert("threat_class".into(), class.name().into());
            n.insert("match".into(), how_name(top_how));
            let src_txt = f
                .src
                .user
                .clone()
                .or_else(|| f.src.ip.clone())
                .unwrap_or_else(|| "?".into());
            let extra = ranked.len().saturating_sub(1);
            let more_en = if extra > 0 {
                format!(" and {extra} more indicator(s)")
            } else {
                String::new()
            };
            let more_ja = if extra > 0 {
                format!("（ほか {extra} 件の指標）")
            } else {
                String::new()
            };
            let state_en = if blocked_all {
                "every request was blocked or failed"
            } else {
                "at least one request got through"
            };
            let state_ja = if blocked_all {
                "すべてのリクエストはブロックまたは失敗"
            } else {
                "少なくとも 1 件のリクエストは通過"
            };
            let widespread_en = if demoted {
                format!(
                    " The indicator is hit by {top_clients} clients, which suggests shared \
                     infrastructure; severity lowered."
                )
            } else {
                String::new()
            };
            let widespread_ja = if demoted {
                format!(
                    " この指標には {top_clients} 台の端末が一致しており共有基盤の可能性があるため、\
                     重大度を下げています。"
                )
            } else {
                String::new()
            };
            f.explanation.en = format!(
                "{src_txt} made {} request(s) to {dst_txt}, which matches {} indicator {} from \
                 feed {} ({}){more_en}; {state_en}.{widespread_en}",
                f.count,
                class.name(),
                top.value,
                top.source,
                how_name(top_how),
            );
            f.explanation.ja = format!(
                "{src_txt} は {dst_txt} へ {} 件のリクエストを送信しました。この宛先はフィード {} の\
                 {}指標 {} に一致します（{}）{more_ja}。{state_ja}。{widespread_ja}",
                f.count,
                top.source,
                class.name_ja(),
                top.value,
                how_name(top_how),
            );
            out.push(f);
        }
        sort_findings(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compliance::assert_detector_compliance;
    use crate::table::{Locator, RowIn};

    const T0: i64 = 1_763_251_200_000;

    fn row<'a>(ts: i64, src: &'a str, host: &'a str, intel: &'a [IntelHit]) -> RowIn<'a> {
        RowIn {
            ts_ms: ts,
            src_ip: Some(src),
            host: Some(host),
            domain: Some(host),
            dst_ip: Some("203.0.113.9"),
            method: Some("GET"),
            status: Some(200),
            port: Some(443),
            bytes_down: Some(1000),
            locator: Locator { file: 1, line: 7 },
            intel,
            ..Default::default()
        }
    }

    fn ioc(source: &str, kind: &str, value: &str, tt: Option<&str>) -> Ioc {
        Ioc {
            source: source.into(),
            kind: kind.into(),
            value: value.into(),
            threat_type: tt.map(String::from),
            alerting: true,
            ..Default::default()
        }
    }

    #[test]
    fn complies() {
        assert_detector_compliance(&Intel);
    }

    #[test]
    fn empty_and_no_hits_are_silent() {
        let mut t = EventTable::new();
        assert!(Intel.run(&t, &Context::default()).is_empty());
        t.push(&row(T0, "10.0.0.1", "example.com", &[]));
        assert!(Intel.run(&t, &Context::default()).is_empty());
    }

    #[test]
    fn c2_exact_is_critical_with_evidence() {
        let mut t = EventTable::new();
        let c2 = t.add_ioc(Ioc {
            malware: Some("Pikabot".into()),
            confidence: Some(100),
            port: Some(443),
            ..ioc("feodo", "ip", "203.0.113.9", Some("botnet_cc"))
        });
        let url = t.add_ioc(ioc("urlhaus", "url", "http://evil.example/dl/", Some("malware_download")));
        let hc2 = [IntelHit { ioc: c2, how: IntelHow::Exact }];
        let both = [
            IntelHit { ioc: c2, how: IntelHow::Exact },
            IntelHit { ioc: url, how: IntelHow::UrlPrefix },
        ];
        for k in 0..4 {
            t.push(&row(T0 + k * 60_000, "10.0.0.5", "evil.example", if k == 2 { &both } else { &hc2 }));
        }
        // Unrelated traffic from another client.
        t.push(&row(T0, "10.0.0.6", "good.example", &[]));
        let f = Intel.run(&t, &Context::default());
        assert_eq!(f.len(), 1, "{f:#?}");
        let f = &f[0];
        assert_eq!(f.key, "intel|10.0.0.5|evil.example");
        assert_eq!(f.severity, Severity::Critical);
        assert_eq!(f.count, 4);
        assert_eq!(f.first_seen, T0);
        assert_eq!(f.last_seen, T0 + 3 * 60_000);
        assert_eq!(f.evidence.figures["ioc_count"], 2.0);
        assert_eq!(f.evidence.figures["requests_allowed"], 4.0);
        assert!(f.evidence.notes["iocs"].starts_with("feodo:ip:203.0.113.9 (exact, 4 request(s)"));
        assert!(f.evidence.notes["iocs"].contains("Pikabot"));
        assert!(f.evidence.notes["iocs"].contains("urlhaus:url:http://evil.example/dl/ (url-prefix, 1 request(s)"));
        assert_eq!(f.evidence.notes["sources"], "feodo, urlhaus");
        assert_eq!(f.attack, vec!["T1071.001", "T1105"]);
        assert_eq!(f.evidence.samples[0].line, 7);
        assert!(f.explanation.en.contains("203.0.113.9") && f.explanation.en.contains("feodo"));
        assert!(f.explanation.ja.contains("feodo"));
    }

    #[test]
    fn strength_confidence_blocking_and_context() {
        let mut t = EventTable::new();
        let drop = t.add_ioc(ioc("spamhaus", "cidr", "198.51.0.0/16", None));
        let tor = t.add_ioc(ioc("tor", "ip", "192.0.2.1", Some("tor_exit")));
        let weak = t.add_ioc(Ioc { confidence: Some(20), ..ioc("tf", "domain", "low.example", Some("botnet_cc")) });
        let ctxo = t.add_ioc(Ioc { alerting: false, ..ioc("misp", "domain", "ctx.example", Some("botnet_cc")) });
        let h = |ioc, how| [IntelHit { ioc, how }];
        let (a, b, c, d) = (h(drop, IntelHow::Cidr(16)), h(tor, IntelHow::Exact), h(weak, IntelHow::Exact), h(ctxo, IntelHow::Exact));
        t.push(&row(T0, "10.0.0.1", "198.51.3.4", &a));
        t.push(&row(T0, "10.0.0.1", "192.0.2.1", &b));
        let mut blocked = row(T0, "10.0.0.1", "low.example", &c);
        blocked.status = Some(403);
        t.push(&blocked);
        t.push(&row(T0, "10.0.0.1", "ctx.example", &d));
        let f = Intel.run(&t, &Context::default());
        let by = |dst: &str| f.iter().find(|f| f.dst.host.as_deref() == Some(dst)).unwrap();
        assert_eq!(by("198.51.3.4").score, 65.0); // 80 − 15
        assert_eq!(by("198.51.3.4").severity, Severity::Medium);
        assert_eq!(by("192.0.2.1").severity, Severity::Low); // 45
        assert_eq!(by("192.0.2.1").attack, vec!["T1090.003"]);
        // 95 × 0.6 − 15 (blocked) = 42
        assert!((by("low.example").score - 42.0).abs() < 1e-9);
        assert_eq!(by("low.example").evidence.figures["requests_blocked"], 1.0);
        assert_eq!(by("ctx.example").severity, Severity::Info);
        assert!(f.iter().all(|f| f.score.is_finite()));
    }

    #[test]
    fn widespread_indicator_is_demoted() {
        let mut t = EventTable::new();
        let cdn = t.add_ioc(ioc("list", "ip", "203.0.113.9", Some("botnet_cc")));
        let hit = [IntelHit { ioc: cdn, how: IntelHow::Exact }];
        let srcs: Vec<String> = (0..20).map(|i| format!("10.0.1.{i}")).collect();
        for (i, s) in srcs.iter().enumerate() {
            t.push(&row(T0 + i as i64, s, "cdn.example", if i < 10 { &hit } else { &[] }));
        }
        let f = Intel.run(&t, &Context::default());
        assert_eq!(f.len(), 10);
        assert!(f.iter().all(|f| f.score == 75.0 && f.evidence.figures["demoted_widespread"] == 1.0));
        assert!(f[0].explanation.en.contains("10 clients"));
    }

    #[test]
    fn ingest_column_round_trip() {
        let mut t = EventTable::new();
        let hits = t.parse_intel_column(
            "feed:domain:evil.example;urlhaus:url:http://evil.example/a;b.php;junk",
        );
        assert_eq!(hits.len(), 2);
        assert_eq!(t.ioc(hits[1].ioc).unwrap().value, "http://evil.example/a;b.php;junk");
        assert_eq!(t.parse_intel_column("feed:domain:evil.example"), vec![hits[0]]);
        assert!(t.parse_intel_column("").is_empty());
        assert!(t.parse_intel_column("nonsense").is_empty());
        let r = t.push(&row(T0, "10.0.0.1", "evil.example", &hits)).unwrap();
        assert_eq!(t.intel_hits(r), &hits[..]);
        // Hits naming an unregistered indicator are not stored.
        let bogus = [IntelHit { ioc: 99, how: IntelHow::Exact }];
        let r2 = t.push(&row(T0, "10.0.0.1", "evil.example", &bogus)).unwrap();
        assert!(t.intel_hits(r2).is_empty());
        let f = Intel.run(&t, &Context::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].count, 1);
        assert_eq!(f[0].evidence.notes["match"], "recorded-at-ingest");
        assert_eq!(f[0].severity, Severity::High); // unknown type: 80
    }
}
