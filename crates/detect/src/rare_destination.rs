//! Rare, new destinations, reported only together with other evidence.
//!
//! A registered domain (or IP literal) that very few internal clients
//! contact and that first appears after the first day of the data is
//! common in any network (small shops, blogs), so rarity alone is never a
//! finding. It becomes one when the same (client, destination) pair also
//! shows periodicity ([`crate::beacon::robust`]), a scripting or empty
//! User-Agent, a raw IP, a DGA-like name ([`crate::dga`]) or uploads; the
//! explanation names which evidence combined. Destinations the catalog names
//! (cloud services, also by published address ranges) are known, not rare.
//! A DGA-like name that is the
//! only other evidence is left to the `dga` detector, which already reports
//! that pair (or folds it into a burst), so one name never counts twice.
//!
//! Score: 35 + 20 per kind of evidence (max 95): one corroborating trait is
//! medium (55), two are high (75), three or more critical.

use crate::beacon::robust::{RobustParams, Scratch, analyze};
use crate::common::{Prevalence, UaClass, fill_common, human_bytes, sort_findings, ua_class};
use crate::detector::{Context, Detector, DetectorInfo, Threshold, describe_pair};
use crate::finding::Finding;
use crate::group::{GroupKey, Groups};
use crate::table::{EventTable, Method, NONE, Sym};
use std::collections::HashSet;

/// The rare-destination detector (registered as `rare-destination`).
#[derive(Debug, Clone, Copy, Default)]
pub struct RareDestination;

static INFO: DetectorInfo = DetectorInfo {
    id: "rare-destination",
    title_en: "Rare new destination with suspicious traits",
    title_ja: "不審な特徴を持つ希少な新規宛先",
    detects: "A destination (registered domain, or IP address) that at most a couple of \
              internal clients contact and that first appears after the first day of the data, \
              on a pair that also shows periodic callbacks, a scripting or empty User-Agent, a \
              raw IP address, a machine-generated name or uploads. Never reported on rarity \
              alone; the explanation lists the evidence that combined.",
    features: &[
        "distinct internal clients per destination; first time seen",
        "jitter-robust periodicity p-value of the pair's requests",
        "User-Agent class (scripting, empty) of the pair",
        "IP-literal destination",
        "DGA probability of the registered domain",
        "bytes up (≥ 1 MB) or POST/PUT share of the pair",
    ],
    thresholds: &[
        Threshold {
            name: "max_hosts",
            default: 2.0,
            reason: "C2 and staging servers serve one or two victims in a network; shared \
                     business sites are used by many.",
        },
        Threshold {
            name: "max_fraction",
            default: 0.01,
            reason: "In large networks, under 1 % of the clients is still rare.",
        },
        Threshold {
            name: "new_after_h",
            default: 24.0,
            reason: "Destinations already seen on the first day are part of the baseline.",
        },
        Threshold {
            name: "periodic_alpha",
            default: 1e-3,
            reason: "Looser than the beacon detector's 1e-4 because the test runs only on \
                     the few rare pairs and is combined with rarity.",
        },
        Threshold {
            name: "dga_threshold",
            default: 0.66,
            reason: "The DGA model's 1 % false-positive operating point (see `dga`).",
        },
        Threshold {
            name: "min_upload_mb",
            default: 1.0,
            reason: "A megabyte sent to a site nobody else uses is more than form posts.",
        },
        Threshold {
            name: "max_samples",
            default: 5.0,
            reason: "Enough source lines to open in the log viewer.",
        },
    ],
    attack: &["T1071.001", "T1102", "T1568"],
    false_positives: &[
        "a new SaaS trial by one team with an API client (scripting agent, periodic sync)",
        "personal devices' apps polling a niche service",
        "IoT and appliances talking to their vendor by IP",
    ],
    cost: "O(n) prevalence counts plus a sort of the rows of rare destinations; the \
           periodicity test runs only on rare pairs with 10+ callbacks.",
};

impl Detector for RareDestination {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }

    fn run(&self, t: &EventTable, ctx: &Context) -> Vec<Finding> {
        let Some((t0, _)) = t.time_range() else {
            return Vec::new();
        };
        let max_hosts = ctx.param(&INFO, "max_hosts");
        let max_frac = ctx.param(&INFO, "max_fraction");
        let new_after = t0.saturating_add((ctx.param(&INFO, "new_after_h") * 3_600_000.0) as i64);
        let alpha = ctx.param(&INFO, "periodic_alpha");
        let dga_thr = ctx.param(&INFO, "dga_threshold");
        let min_up = ctx.param(&INFO, "min_upload_mb") * 1e6;
        let max_samples = ctx.param(&INFO, "max_samples").max(0.0) as usize;
        let prev = Prevalence::build(t);
        // A destination the catalog names (a cloud service, also by its
        // published address ranges) is known, not rare: its use is the
        // leak-risk inventory's business.
        let rare_row = |r: u32| {
            t.host.get(r as usize).is_some_and(|&h| h != NONE)
                && t.service(r) == NONE
                && prev.is_rare(prev.of_row(t, r), max_hosts, max_frac)
                && prev.first_of_row(t, r) >= new_after
        };
        let mut logs_ua: HashSet<Sym> = HashSet::new();
        for r in 0..t.len() {
            if t.ua[r] != NONE {
                logs_ua.insert(t.src[r]);
            }
        }
        let by_domain = Groups::build(t, GroupKey::SrcDomain, rare_row);
        let by_host = Groups::build(t, GroupKey::SrcHost, |r| t.domain(r) == NONE && rare_row(r));
        let params = RobustParams::default();
        let mut scratch = Scratch::default();
        let mut times = Vec::new();
        let mut out = Vec::new();
        for (groups, is_domain) in [(&by_domain, true), (&by_host, false)] {
            for g in &groups.groups {
                let (src, dst, _) = GroupKey::unpack(g.key);
                let rows = groups.rows(g);
                let first = rows[0];
                let n = rows.len() as f64;
                let dest = if is_domain {
                    t.domains.get(dst).unwrap_or("")
                } else {
                    t.hosts.get(dst).unwrap_or("")
                }
                .to_string();
                let mut en: Vec<String> = Vec::new();
                let mut ja: Vec<String> = Vec::new();
                // 1. Periodicity.
                groups.times_into(t, g, &mut times);
                let mut p_value = 1.0;
                if times.len() >= params.min_callbacks {
                    let a = analyze(&times, &params, &mut scratch);
                    if let Some(b) = a.best().filter(|b| b.p_value < alpha) {
                        p_value = b.p_value;
                        en.push(format!(
                            "periodic callbacks every ~{} (p = {:.1e})",
                            crate::beacon::human_period(b.period_ms),
                            b.p_value
                        ));
                        ja.push(format!(
                            "約{}間隔の周期的な接続 (p = {:.1e})",
                            crate::beacon::human_period(b.period_ms),
                            b.p_value
                        ));
                    }
                }
                // 2. Agent.
                let mut n_script = 0.0;
                let mut n_empty = 0.0;
                let mut script_name = "";
                for &r in rows {
                    match ua_class(t.uas.get(t.ua[r as usize])) {
                        UaClass::Scripting(s) => {
                            n_script += 1.0;
                            script_name = s;
                        }
                        UaClass::Empty if logs_ua.contains(&src) => n_empty += 1.0,
                        _ => {}
                    }
                }
                if n_script >= 0.5 * n {
                    en.push(format!("scripting User-Agent ({script_name})"));
                    ja.push(format!("スクリプト系 User-Agent ({script_name})"));
                } else if n_empty >= 0.5 * n {
                    en.push("no User-Agent".into());
                    ja.push("User-Agent なし".into());
                }
                // 3. Raw IP.
                let raw_ip = rows.iter().any(|&r| t.is_ip_literal(r));
                if raw_ip {
                    en.push("a raw IP address as destination".into());
                    ja.push("IP アドレス直指定の宛先".into());
                }
                // 4. DGA-like name.
                let mut dga_p = 0.0;
                if is_domain
                    && t.service(first) == NONE
                    && let Some(p) = crate::dga::score_domain(&dest).filter(|&p| p >= dga_thr)
                {
                    dga_p = p;
                    en.push(format!(
                        "a machine-generated-looking name (DGA {:.0} %)",
                        p * 100.0
                    ));
                    ja.push(format!(
                        "機械生成のようなドメイン名 (DGA {:.0} %)",
                        p * 100.0
                    ));
                }
                // 5. Uploads.
                let up: u64 = rows
                    .iter()
                    .filter_map(|&r| t.bytes_up(r))
                    .fold(0u64, u64::saturating_add);
                let posts = rows
                    .iter()
                    .filter(|&&r| matches!(t.method(r), Method::Post | Method::Put))
                    .count() as f64;
                if up as f64 >= min_up {
                    en.push(format!("{} uploaded", human_bytes(up)));
                    ja.push(format!("{} の送信", human_bytes(up)));
                } else if posts >= 10.0 && posts >= 0.5 * n {
                    en.push(format!("{posts:.0} POST/PUT requests"));
                    ja.push(format!("POST/PUT が {posts:.0} 回"));
                }
                // Nothing, or a DGA-like name alone: the `dga` detector owns
                // that finding (one per name, or one per burst), so a second
                // finding on the same pair would only double the count.
                if en.is_empty() || (en.len() == 1 && dga_p > 0.0) {
                    continue;
                }
                let k = en.len() as f64;
                let score = (35.0 + 20.0 * k).min(95.0);
                let clients = prev.of_row(t, first);
                let (s, mut d) =
                    describe_pair(t, src, t.host[first as usize], t.dst_ip[first as usize]);
                if is_domain {
                    d.domain = Some(dest.clone());
                }
                let src_key = s.ip.clone().unwrap_or_default();
                let mut f = Finding::new(INFO.id, &src_key, &dest, INFO.title_en.into(), score);
                f.src = s;
                f.dst = d;
                fill_common(&mut f, t, &INFO, rows, max_samples);
                f.figure("destination_clients", clients as f64);
                f.figure("evidence_count", k);
                f.figure("periodic_p_value", p_value);
                f.figure("dga_probability", dga_p);
                f.figure("scripting_ua_requests", n_script);
                f.figure("empty_ua_requests", n_empty);
                f.figure("posts", posts);
                f.figure(
                    "first_seen_after_start_h",
                    (prev.first_of_row(t, first) - t0) as f64 / 3.6e6,
                );
                let src_txt = f.src.ip.as_deref().unwrap_or("?").to_string();
                f.explanation.en = format!(
                    "{dest} is contacted by only {clients} client(s) and first appeared {:.0} h \
                     into the data; {src_txt}'s traffic to it also shows: {}.",
                    (prev.first_of_row(t, first) - t0) as f64 / 3.6e6,
                    en.join("; ")
                );
                f.explanation.ja = format!(
                    "{dest} は {clients} 台の端末だけが接続する、データ開始から {:.0} 時間後に初出の宛先です。\
                     {src_txt} の通信には次の特徴もあります: {}。",
                    (prev.first_of_row(t, first) - t0) as f64 / 3.6e6,
                    ja.join("、")
                );
                out.push(f);
            }
        }
        sort_findings(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compliance::assert_detector_compliance;
    use crate::finding::Severity;
    use crate::table::{Locator, RowIn};

    const T0: i64 = 1_763_251_200_000;
    const H: i64 = 3_600_000;

    fn r<'a>(ts: i64, src: &'a str, host: &'a str, ua: &'a str) -> RowIn<'a> {
        RowIn {
            ts_ms: ts,
            src_ip: Some(src),
            host: Some(host),
            domain: Some(host),
            method: Some("GET"),
            user_agent: Some(ua),
            bytes_up: Some(300),
            locator: Locator { file: 0, line: 9 },
            ..Default::default()
        }
    }

    const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0";

    fn world(t: &mut EventTable) {
        // 20 clients browse a popular site from the first hour on.
        for c in 0..20 {
            let src = format!("10.0.2.{c}");
            for k in 0..5 {
                t.push(&r(
                    T0 + c * 1000 + k * 7 * H,
                    &src,
                    "portal.example.jp",
                    CHROME,
                ));
            }
        }
    }

    #[test]
    fn complies() {
        assert_detector_compliance(&RareDestination);
    }

    #[test]
    fn rare_alone_is_silent_combined_is_reported() {
        let mut t = EventTable::new();
        world(&mut t);
        // A new small-business site one person browses on day 3: silent.
        for k in 0..8 {
            t.push(&r(
                T0 + 50 * H + k * 40_000,
                "10.0.2.3",
                "sakura-koumuten.co.jp",
                CHROME,
            ));
        }
        // A periodic PowerShell poll to a new rare domain from day 2.
        for k in 0..60 {
            t.push(&r(
                T0 + 30 * H + k * 600_000,
                "10.0.2.7",
                "cdn-sync.example.net",
                "Mozilla/5.0 WindowsPowerShell/5.1",
            ));
        }
        // The same poll to a domain seen on the first day: not new.
        for k in 0..60 {
            t.push(&r(
                T0 + 2 * H + k * 600_000,
                "10.0.2.8",
                "old-sync.example.net",
                "curl/8.0",
            ));
        }
        let f = RareDestination.run(&t, &Context::default());
        assert_eq!(f.len(), 1, "{f:#?}");
        let f = &f[0];
        assert_eq!(f.key, "rare-destination|10.0.2.7|cdn-sync.example.net");
        assert_eq!(f.evidence.figures["evidence_count"], 2.0);
        assert!(f.evidence.figures["periodic_p_value"] < 1e-3);
        assert_eq!(f.score, 75.0);
        assert_eq!(f.severity, Severity::High);
        assert!(f.explanation.en.contains("PowerShell"));
        assert!(f.explanation.en.contains("periodic"));
    }

    #[test]
    fn raw_ip_upload() {
        let mut t = EventTable::new();
        world(&mut t);
        for k in 0..3 {
            let mut x = r(T0 + 40 * H + k * 1000, "10.0.2.9", "203.0.113.50", CHROME);
            x.domain = None;
            x.is_ip_literal = true;
            x.method = Some("POST");
            x.bytes_up = Some(2_000_000);
            t.push(&x);
        }
        let f = RareDestination.run(&t, &Context::default());
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].key, "rare-destination|10.0.2.9|203.0.113.50");
        assert_eq!(f[0].evidence.figures["evidence_count"], 2.0);
        assert!(f[0].explanation.en.contains("6.0 MB uploaded"));
    }
}
