//! Proxy-level signals of malware: 407 storms, odd CONNECTs, direct-to-IP
//! HTTP, hours-long tunnels and scripting / empty / rare User-Agents.
//!
//! One finding per (client, destination host) that shows at least one
//! signal; the signals' weights are combined as a noisy-OR
//! ([`crate::common::noisy_or`]), and every single weight is below the
//! "high" line (75), so one weak signal alone is never high.
//!
//! Weights: 407 storm 40–55 (by count over `min_407`), CONNECT to a raw IP
//! 35, CONNECT to a port other than 443 35, direct-to-IP HTTP 25, longest
//! tunnel 15 / 25 / 35 / 45 for 1 / 4 / 8 / 12 h (halved for catalog
//! services), scripting agent 25, empty agent 20, rare agent 15; CONNECT
//! and tunnel weights are halved on shared destinations; a destination of
//! 1–2 clients adds 15 to other signals. The 407 storm is judged over the
//! whole period per (client, host) (a browser's 407s are each followed by
//! an authenticated retry to the same host). DNS-failure bursts are a
//! separate per-client finding, 45–55.

use crate::common::{Prevalence, UaClass, fill_common, noisy_or, sort_findings, ua_class};
use crate::detector::{Context, Detector, DetectorInfo, Threshold, describe_pair};
use crate::finding::Finding;
use crate::group::{GroupKey, Groups};
use crate::table::{EventTable, NONE, Sym};
use std::collections::HashMap;

/// The proxy-signals detector (registered as `proxy-signals`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ProxySignals;

static INFO: DetectorInfo = DetectorInfo {
    id: "proxy-signals",
    title_en: "Suspicious proxy behaviour",
    title_ja: "プロキシ上の不審な挙動",
    detects: "Per client and destination host: storms of 407 proxy-authentication failures \
              with (almost) no authenticated success (malware that does not know the user's \
              credentials); CONNECT tunnels to raw IP addresses or to ports other than 443; \
              plain HTTP straight to an IP address; tunnels held open for 1 / 4 / 8 / 12 hours \
              or more; scripting or empty User-Agents and agents seen on this client only; and, \
              per client, bursts of many distinct names that fail to resolve. \
              Signals are combined; one weak signal alone never rates high.",
    features: &[
        "407 replies vs authenticated successes per (client, host)",
        "CONNECT to an IP literal; CONNECT port other than 443",
        "non-CONNECT request to an IP literal",
        "longest CONNECT duration (tiers 1 h, 4 h, 8 h, 12 h)",
        "User-Agent class (scripting library, empty) of the pair's requests",
        "User-Agent used by this client only, to few destinations, unlike its usual agent",
        "distinct host names failing DNS (5xx, no server address) per client within a window",
        "destination prevalence (distinct clients): damps shared infrastructure; a destination \
         of 1–2 clients adds weight 15 to other signals (never alone)",
    ],
    thresholds: &[
        Threshold {
            name: "min_407",
            default: 20.0,
            reason: "A browser meets one 407 per new connection and then retries with \
                     credentials; 20 unanswered challenges to one host is far beyond a user \
                     mistyping a password a few times.",
        },
        Threshold {
            name: "max_auth_ratio",
            default: 0.1,
            reason: "Authenticated successes to the same host at most 10 % of the 407s: a \
                     browser's 407s are each followed by a success (ratio ~1).",
        },
        Threshold {
            name: "shared_fraction",
            default: 0.05,
            reason: "A destination used by 5 % or more of the clients (and at least 3) is \
                     shared infrastructure (Teams relays, VPN concentrators): its CONNECT and \
                     tunnel signals are halved.",
        },
        Threshold {
            name: "dns_burst_hosts",
            default: 20.0,
            reason: "Dead links and typos make a few failed lookups a day; 20 distinct names \
                     failing within the window is a generator walking its list (T1568.002).",
        },
        Threshold {
            name: "dns_burst_window_min",
            default: 10.0,
            reason: "DGA malware tries its candidate names back to back, within minutes.",
        },
        Threshold {
            name: "min_score",
            default: 30.0,
            reason: "Below 30 only a 1-hour tunnel or a rare agent alone remains, which is \
                     ordinary (chat, streaming) and would flood the report.",
        },
        Threshold {
            name: "max_samples",
            default: 5.0,
            reason: "Enough source lines to open in the log viewer.",
        },
    ],
    attack: &["T1090", "T1071.001", "T1571", "T1568.002"],
    false_positives: &[
        "a user who cancels the proxy password dialog while an application keeps retrying",
        "partner SSL-VPNs and appliances on ports like 10443 or 8443",
        "conferencing media relays reached by raw IP, websockets held open for hours",
        "admin scripts and software updaters that use curl, PowerShell or WinHTTP",
    ],
    cost: "O(n log n): one sort of all rows by (client, host, time), plus sorts of the \
           distinct (agent, client) and (client, agent, host) triples.",
};

/// Tiered weight of the longest tunnel (seconds).
fn tunnel_weight(secs: u32) -> (f64, u32) {
    match secs {
        s if s >= 12 * 3600 => (45.0, 12),
        s if s >= 8 * 3600 => (35.0, 8),
        s if s >= 4 * 3600 => (25.0, 4),
        s if s >= 3600 => (15.0, 1),
        _ => (0.0, 0),
    }
}

struct UaStats {
    /// Distinct clients per agent id.
    srcs_per_ua: HashMap<Sym, u32>,
    /// Distinct hosts per (client, agent).
    hosts_per_src_ua: HashMap<(Sym, Sym), u32>,
    /// Most used agent per client.
    usual: HashMap<Sym, Sym>,
}

fn ua_stats(t: &EventTable) -> UaStats {
    // Distinct triples only (memory per distinct triple, not per row).
    let mut tri_set: std::collections::HashSet<(Sym, Sym, Sym)> = std::collections::HashSet::new();
    let mut counts: HashMap<(Sym, Sym), u64> = HashMap::new();
    for r in 0..t.len() {
        let (s, u) = (t.src[r], t.ua[r]);
        if s != NONE && u != NONE {
            tri_set.insert((s, u, t.host[r]));
            *counts.entry((s, u)).or_default() += 1;
        }
    }
    let mut tri: Vec<(Sym, Sym, Sym)> = tri_set.into_iter().collect();
    let mut usual: HashMap<Sym, (u64, Sym)> = HashMap::new();
    for (&(s, u), &n) in &counts {
        let e = usual.entry(s).or_insert((0, u));
        // Ties broken by the smaller id, so the result is deterministic.
        if n > e.0 || (n == e.0 && u < e.1) {
            *e = (n, u);
        }
    }
    tri.sort_unstable();
    tri.dedup();
    let mut hosts_per_src_ua: HashMap<(Sym, Sym), u32> = HashMap::new();
    for &(s, u, _) in &tri {
        *hosts_per_src_ua.entry((s, u)).or_default() += 1;
    }
    let mut srcs_per_ua: HashMap<Sym, u32> = HashMap::new();
    for &(_, u) in counts.keys() {
        *srcs_per_ua.entry(u).or_default() += 1;
    }
    UaStats {
        srcs_per_ua,
        hosts_per_src_ua,
        usual: usual.into_iter().map(|(s, (_, u))| (s, u)).collect(),
    }
}

impl Detector for ProxySignals {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }

    fn run(&self, t: &EventTable, ctx: &Context) -> Vec<Finding> {
        if t.is_empty() {
            return Vec::new();
        }
        let min_407 = ctx.param(&INFO, "min_407").max(1.0);
        let max_ratio = ctx.param(&INFO, "max_auth_ratio").max(0.0);
        let shared = ctx.param(&INFO, "shared_fraction");
        let min_score = ctx.param(&INFO, "min_score");
        let max_samples = ctx.param(&INFO, "max_samples").max(0.0) as usize;
        let prev = Prevalence::build(t);
        let uas = ua_stats(t);
        // Clients that log agents at all (Squid native does not): only
        // there does a missing agent mean "empty".
        let mut logs_ua: HashMap<Sym, bool> = HashMap::new();
        for r in 0..t.len() {
            if t.ua[r] != NONE {
                logs_ua.insert(t.src[r], true);
            }
        }
        let groups = Groups::build(t, GroupKey::SrcHost, |_| true);
        let mut out = Vec::new();
        for g in &groups.groups {
            let (src, host, _) = GroupKey::unpack(g.key);
            let rows = groups.rows(g);
            let mut n407 = 0u64;
            let mut n_cred = 0u64;
            let mut connect_ip = 0u64;
            let mut connect_port: Option<u16> = None;
            let mut direct_ip = 0u64;
            let mut longest = 0u32;
            let mut n_script = 0u64;
            let mut script_name = "";
            let mut n_empty = 0u64;
            let mut n_rare_ua = 0u64;
            for &r in rows {
                let ri = r as usize;
                if t.status(r) == Some(407) {
                    n407 += 1;
                } else if t.user[ri] != NONE {
                    n_cred += 1;
                }
                let denied = t.status(r) == Some(407);
                if t.is_connect(r) && !denied {
                    if t.is_ip_literal(r) {
                        connect_ip += 1;
                    }
                    if let Some(p) = t.port(r).filter(|&p| p != 443) {
                        connect_port = Some(connect_port.map_or(p, |q: u16| q.min(p)));
                    }
                    longest = longest.max(t.duration_s(r).unwrap_or(0));
                } else if t.is_ip_literal(r) && !denied {
                    direct_ip += 1;
                }
                let ua = t.ua[ri];
                match ua_class(t.uas.get(ua)) {
                    UaClass::Scripting(n) => {
                        n_script += 1;
                        script_name = n;
                    }
                    UaClass::Empty if logs_ua.contains_key(&src) => n_empty += 1,
                    _ => {}
                }
                if ua != NONE
                    && uas.srcs_per_ua.get(&ua) == Some(&1)
                    && uas
                        .hosts_per_src_ua
                        .get(&(src, ua))
                        .is_some_and(|&h| h <= 2)
                    && uas.usual.get(&src).is_some_and(|&u| u != ua)
                {
                    n_rare_ua += 1;
                }
            }
            let n = rows.len() as f64;
            let first = rows[0];
            let clients = prev.hosts.get(host as usize).copied().unwrap_or(0);
            let is_shared = clients >= 3 && (clients as f64) >= shared * prev.clients as f64;
            let damp = if is_shared { 0.5 } else { 1.0 };
            let mut w: Vec<f64> = Vec::new();
            let mut en: Vec<String> = Vec::new();
            let mut ja: Vec<String> = Vec::new();
            let auth_storm = n407 as f64 >= min_407 && (n_cred as f64) <= max_ratio * n407 as f64;
            if auth_storm {
                w.push((40.0 + 10.0 * (n407 as f64 / min_407).log2()).min(55.0));
                en.push(format!(
                    "{n407} proxy-authentication failures (407) with {n_cred} authenticated request(s)"
                ));
                ja.push(format!(
                    "プロキシ認証失敗 (407) が {n407} 回、認証済みリクエストは {n_cred} 回"
                ));
            }
            if connect_ip > 0 {
                w.push(35.0 * damp);
                en.push(format!(
                    "{connect_ip} CONNECT tunnel(s) to a raw IP address"
                ));
                ja.push(format!("IP アドレス直指定の CONNECT が {connect_ip} 回"));
            }
            if let Some(p) = connect_port {
                w.push(35.0 * damp);
                en.push(format!("CONNECT to port {p} (not 443)"));
                ja.push(format!("443 以外のポート {p} への CONNECT"));
            }
            if direct_ip > 0 {
                w.push(25.0 * damp);
                en.push(format!(
                    "{direct_ip} plain HTTP request(s) straight to an IP address"
                ));
                ja.push(format!(
                    "IP アドレスへの直接 HTTP リクエストが {direct_ip} 回"
                ));
            }
            let (tw, tier) = tunnel_weight(longest);
            if tw > 0.0 {
                let known = t
                    .host_service
                    .get(host as usize)
                    .is_some_and(|&s| s != NONE);
                w.push(tw * damp * if known { 0.5 } else { 1.0 });
                en.push(format!(
                    "a tunnel held open {:.1} h (tier ≥ {tier} h)",
                    longest as f64 / 3600.0
                ));
                ja.push(format!(
                    "{:.1} 時間継続したトンネル ({tier} 時間以上)",
                    longest as f64 / 3600.0
                ));
            }
            if n_script as f64 >= 0.5 * n {
                w.push(25.0);
                en.push(format!("scripting User-Agent ({script_name})"));
                ja.push(format!("スクリプト系 User-Agent ({script_name})"));
            } else if n_empty as f64 >= 0.5 * n {
                w.push(20.0);
                en.push("no User-Agent".into());
                ja.push("User-Agent なし".into());
            }
            if n_rare_ua as f64 >= 0.5 * n {
                w.push(15.0);
                en.push("a User-Agent seen on this client only, unlike its usual one".into());
                ja.push("この端末だけが使う、普段と異なる User-Agent".into());
            }
            if w.is_empty() {
                continue;
            }
            // Rarity amplifies the other signals, never stands alone.
            let rare = (1..=2).contains(&clients) && !is_shared;
            if rare {
                w.push(15.0);
                en.push(format!("a destination only {clients} client(s) use"));
                ja.push(format!("利用端末が {clients} 台だけの宛先"));
            }
            let score = noisy_or(&w);
            if score < min_score {
                continue;
            }
            let (s, mut d) = describe_pair(t, src, host, t.dst_ip[first as usize]);
            d.port = rows.iter().find_map(|&r| t.port(r));
            let src_key = s.ip.clone().unwrap_or_default();
            let dst_key = d.host.clone().unwrap_or_default();
            let title = if auth_storm {
                "407 proxy-authentication storm"
            } else if tw >= 25.0 {
                "Long-lived tunnel"
            } else if connect_ip > 0 || connect_port.is_some() {
                "Unusual CONNECT"
            } else {
                INFO.title_en
            };
            let mut f = Finding::new(INFO.id, &src_key, &dst_key, title.into(), score);
            f.src = s;
            f.dst = d;
            fill_common(&mut f, t, &INFO, rows, max_samples);
            f.figure("signals", w.len() as f64);
            f.figure("n_407", n407 as f64);
            f.figure("n_authenticated", n_cred as f64);
            f.figure("connect_raw_ip", connect_ip as f64);
            f.figure("connect_port", connect_port.unwrap_or(0) as f64);
            f.figure("direct_ip_http", direct_ip as f64);
            f.figure("longest_tunnel_s", longest as f64);
            f.figure("scripting_ua_requests", n_script as f64);
            f.figure("empty_ua_requests", n_empty as f64);
            f.figure("rare_ua_requests", n_rare_ua as f64);
            f.figure("destination_clients", clients as f64);
            let src_txt = f.src.ip.as_deref().unwrap_or("?").to_string();
            f.explanation.en = format!(
                "{src_txt} → {dst_key}: {}.{}",
                en.join("; "),
                if is_shared {
                    format!(
                        " The destination is shared by {clients} clients, so CONNECT/tunnel signals were halved."
                    )
                } else {
                    String::new()
                }
            );
            f.explanation.ja = format!(
                "{src_txt} → {dst_key}: {}。{}",
                ja.join("、"),
                if is_shared {
                    format!(
                        "宛先は {clients} 台の端末が利用する共有先のため、CONNECT/トンネルの重みを半分にしています。"
                    )
                } else {
                    String::new()
                }
            );
            out.push(f);
        }
        out.extend(dns_bursts(t, ctx, max_samples));
        sort_findings(&mut out);
        out
    }
}

/// Per client: the largest number of distinct host names that failed to
/// resolve (502/503/504 with no server address) within the window.
fn dns_bursts(t: &EventTable, ctx: &Context, max_samples: usize) -> Vec<Finding> {
    let min_hosts = ctx.param(&INFO, "dns_burst_hosts").max(2.0) as usize;
    let window = (ctx.param(&INFO, "dns_burst_window_min").max(0.0) * 60_000.0) as i64;
    let mut fails: Vec<(Sym, i64, Sym, u32)> = (0..t.len() as u32)
        .filter(|&r| {
            let ri = r as usize;
            matches!(t.status(r), Some(502..=504))
                && t.dst_ip[ri] == NONE
                && t.host[ri] != NONE
                && t.src[ri] != NONE
        })
        .map(|r| {
            (
                t.src[r as usize],
                t.ts_ms[r as usize],
                t.host[r as usize],
                r,
            )
        })
        .collect();
    fails.sort_unstable();
    let mut out = Vec::new();
    let mut i = 0;
    while i < fails.len() {
        let src = fails[i].0;
        let mut j = i;
        while j < fails.len() && fails[j].0 == src {
            j += 1;
        }
        let run = &fails[i..j];
        // Sliding window over time with a count per host.
        let mut counts: HashMap<Sym, u32> = HashMap::new();
        let (mut best, mut best_at) = (0usize, (0usize, 0usize));
        let mut lo = 0;
        for hi in 0..run.len() {
            *counts.entry(run[hi].2).or_default() += 1;
            while run[hi].1.saturating_sub(run[lo].1) > window {
                if let Some(c) = counts.get_mut(&run[lo].2) {
                    *c -= 1;
                    if *c == 0 {
                        counts.remove(&run[lo].2);
                    }
                }
                lo += 1;
            }
            if counts.len() > best {
                best = counts.len();
                best_at = (lo, hi);
            }
        }
        if best >= min_hosts {
            let rows: Vec<u32> = run[best_at.0..=best_at.1].iter().map(|x| x.3).collect();
            let w = (45.0 + 5.0 * (best as f64 / min_hosts as f64).log2()).min(55.0);
            let first = rows[0];
            let (s, mut d) = describe_pair(t, src, t.host[first as usize], NONE);
            d.domain = None;
            d.service = None;
            let src_key = s.ip.clone().unwrap_or_default();
            let mut f = Finding::new(
                INFO.id,
                &src_key,
                "(dns-failure-burst)",
                "Burst of failed DNS lookups".into(),
                w,
            );
            f.src = s;
            f.dst = d;
            fill_common(&mut f, t, &INFO, &rows, max_samples);
            f.attack = vec!["T1568.002".into()];
            f.figure("failed_hosts_in_window", best as f64);
            f.figure("window_min", window as f64 / 60_000.0);
            f.figure("failed_lookups_total", run.len() as f64);
            let mins = (t.ts_ms[rows[rows.len() - 1] as usize] - t.ts_ms[first as usize]) as f64
                / 60_000.0;
            f.explanation.en = format!(
                "{src_key} requested {best} distinct host names that failed to resolve within \
                 {mins:.1} min (e.g. {}): a domain generation algorithm trying its list?",
                f.dst.host.as_deref().unwrap_or("?")
            );
            f.explanation.ja = format!(
                "{src_key} が {mins:.1} 分間に名前解決できないホスト名 {best} 件 (例: {}) にアクセスしました。\
                 DGA による候補ドメインの総当たりの可能性があります。",
                f.dst.host.as_deref().unwrap_or("?")
            );
            out.push(f);
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compliance::assert_detector_compliance;
    use crate::finding::Severity;
    use crate::table::{Locator, RowIn};

    const T0: i64 = 1_763_251_200_000; // 2025-11-16T00:00:00Z

    fn base<'a>(ts: i64, src: &'a str, host: &'a str) -> RowIn<'a> {
        RowIn {
            ts_ms: ts,
            src_ip: Some(src),
            host: Some(host),
            domain: Some(host),
            method: Some("GET"),
            status: Some(200),
            port: Some(80),
            user_agent: Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0"),
            locator: Locator { file: 0, line: 1 },
            ..Default::default()
        }
    }

    fn background(t: &mut EventTable) {
        // Ten users browsing with 407 → authenticated retry, as proxies do.
        for c in 0..10 {
            let src = format!("10.0.0.{}", 10 + c);
            for i in 0..40i64 {
                let mut r = base(T0 + i * 60_000 + c, &src, "news.example.jp");
                r.status = Some(407);
                t.push(&r);
                let mut r = base(T0 + i * 60_000 + c + 5, &src, "news.example.jp");
                r.user = Some("CORP\\user");
                t.push(&r);
            }
        }
    }

    #[test]
    fn complies() {
        assert_detector_compliance(&ProxySignals);
    }

    #[test]
    fn auth_storm_with_scripting_agent() {
        let mut t = EventTable::new();
        background(&mut t);
        for i in 0..60i64 {
            let mut r = base(T0 + i * 30_000, "10.0.0.99", "c2.example.net");
            r.status = Some(407);
            r.user_agent = Some("python-requests/2.31");
            t.push(&r);
        }
        let f = ProxySignals.run(&t, &Context::default());
        assert_eq!(f.len(), 1, "{f:#?}");
        let f = &f[0];
        assert_eq!(f.key, "proxy-signals|10.0.0.99|c2.example.net");
        assert_eq!(f.title, "407 proxy-authentication storm");
        assert_eq!(f.evidence.figures["n_407"], 60.0);
        assert_eq!(f.evidence.figures["n_authenticated"], 0.0);
        // 40 + 10·log2(3) = 55.8 → capped 55; with the scripting agent (25)
        // and the rare destination (15): 100·(1 − 0.45·0.75·0.85) = 71.3.
        assert!((f.score - 71.3125).abs() < 1e-6, "{}", f.score);
        assert_eq!(f.severity, Severity::Medium);
        assert!(f.explanation.en.contains("python-requests"));
    }

    #[test]
    fn connect_raw_ip_nonstandard_port_long_tunnel() {
        let mut t = EventTable::new();
        background(&mut t);
        let mut r = base(T0, "10.0.0.50", "198.51.100.7");
        r.method = Some("CONNECT");
        r.port = Some(4444);
        r.is_ip_literal = true;
        r.domain = None;
        r.duration_ms = Some(9 * 3_600_000);
        t.push(&r);
        // The same shape on a host many clients share is damped.
        for c in 0..10 {
            let src = format!("10.0.0.{}", 10 + c);
            let mut r = base(T0, &src, "52.112.0.9");
            r.method = Some("CONNECT");
            r.port = Some(443);
            r.is_ip_literal = true;
            r.duration_ms = Some(2 * 3_600_000);
            t.push(&r);
        }
        let f = ProxySignals.run(&t, &Context::default());
        let top = &f[0];
        assert_eq!(top.key, "proxy-signals|10.0.0.50|198.51.100.7");
        // raw IP 35, port 35, 8-h tier 35, rare 15: 100·(1 − 0.65³·0.85) = 76.7:
        // four signals together rate high.
        assert!((top.score - 76.656875).abs() < 1e-3, "{}", top.score);
        assert_eq!(top.evidence.figures["connect_port"], 4444.0);
        assert_eq!(top.evidence.figures["longest_tunnel_s"], 9.0 * 3600.0);
        assert_eq!(top.severity, Severity::High);
        // Shared relay: raw IP 17.5 + 1-h tier 7.5 → 23.7, below min_score.
        assert!(f.iter().all(|x| !x.key.ends_with("52.112.0.9")), "{f:#?}");
    }

    #[test]
    fn dns_failure_burst() {
        let mut t = EventTable::new();
        background(&mut t);
        let names: Vec<String> = (0..40).map(|i| format!("q{i}x7kz.example")).collect();
        for (i, n) in names.iter().enumerate() {
            let mut r = base(T0 + i as i64 * 5_000, "10.0.0.77", n);
            r.status = Some(503);
            t.push(&r);
        }
        // A dead link retried all day is not a burst.
        for i in 0..50i64 {
            let mut r = base(T0 + i * 600_000, "10.0.0.10", "dead.example.org");
            r.status = Some(503);
            t.push(&r);
        }
        let f = ProxySignals.run(&t, &Context::default());
        let b: Vec<_> = f
            .iter()
            .filter(|x| x.title == "Burst of failed DNS lookups")
            .collect();
        assert_eq!(b.len(), 1, "{f:#?}");
        assert_eq!(b[0].key, "proxy-signals|10.0.0.77|(dns-failure-burst)");
        // 40 names within 195 s: 45 + 5·log2(2) = 50.
        assert_eq!(b[0].evidence.figures["failed_hosts_in_window"], 40.0);
        assert_eq!(b[0].score, 50.0);
        assert_eq!(b[0].dst.host.as_deref(), Some("q0x7kz.example"));
    }

    #[test]
    fn browsing_alone_is_quiet_and_squid_without_agents_is_not_empty_ua() {
        let mut t = EventTable::new();
        background(&mut t);
        for i in 0..30i64 {
            let mut r = base(T0 + i, "10.0.0.60", "plain.example.org");
            r.user_agent = None;
            t.push(&r);
        }
        assert!(ProxySignals.run(&t, &Context::default()).is_empty());
    }
}
