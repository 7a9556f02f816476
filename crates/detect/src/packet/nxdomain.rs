//! Bursts of NXDOMAIN answers (`nxdomain-burst`): the DGA signature seen
//! from the network side.
//!
//! **What.** Malware with a domain-generation algorithm tries many generated
//! names until one resolves; almost all of them answer NXDOMAIN, in a burst.
//!
//! **Features.** Per client: NXDOMAIN responses to distinct names of distinct
//! registered domains inside a sliding window of `window_s` seconds; the
//! largest such burst.
//!
//! **Thresholds.** `min_names` 10 distinct failed names from `min_domains` 5
//! registered domains within `window_s` 300 s.
//!
//! **ATT&CK.** T1568.002 (Dynamic Resolution: Domain Generation Algorithms).

use std::collections::BTreeMap;

use super::{DnsEvent, PacketDetector, PacketTables, sample, sort, spread};
use crate::detector::{Context, DetectorInfo, Threshold};
use crate::finding::{Destination, Finding, Source};

/// The detector.
pub struct NxdomainBurst;

/// Self-description.
pub static INFO: DetectorInfo = DetectorInfo {
    id: "nxdomain-burst",
    title_en: "Burst of failed DNS lookups (DGA)",
    title_ja: "DNS 名前解決失敗の集中（DGA）",
    detects: "A client receiving NXDOMAIN for many different generated-looking domains within minutes, as malware with a domain-generation algorithm does while looking for its C2.",
    features: &["distinct NXDOMAIN names per client in a sliding window", "distinct registered domains among them"],
    thresholds: &[
        Threshold { name: "min_names", default: 10.0, reason: "typos and stale links give one or two NXDOMAINs at a time; DGAs try tens to thousands" },
        Threshold { name: "min_domains", default: 5.0, reason: "many failing names under one domain are a broken service or a search-suffix list, not a DGA" },
        Threshold { name: "window_s", default: 300.0, reason: "DGA clients walk their list within minutes" },
    ],
    attack: &["T1568.002"],
    false_positives: &["search-domain suffix expansion on misconfigured hosts", "security scanners and crawlers resolving lists of dead domains"],
    cost: "O(n log n) in DNS responses",
};

fn domain_of(e: &DnsEvent) -> String {
    e.domain.clone().unwrap_or_else(|| {
        let q = e.query.trim_end_matches('.').to_ascii_lowercase();
        let l: Vec<&str> = q.rsplit('.').take(2).collect();
        l.into_iter().rev().collect::<Vec<_>>().join(".")
    })
}

impl PacketDetector for NxdomainBurst {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }

    fn run(&self, t: &PacketTables, ctx: &Context) -> Vec<Finding> {
        let min_names = ctx.param(&INFO, "min_names");
        let min_domains = ctx.param(&INFO, "min_domains");
        let window = (ctx.param(&INFO, "window_s") * 1000.0) as i64;
        let mut by_client: BTreeMap<&str, Vec<&DnsEvent>> = BTreeMap::new();
        for e in t.dns.iter().filter(|e| e.is_response && e.rcode == 3 && !e.query.is_empty()) {
            by_client.entry(e.client.as_str()).or_default().push(e);
        }
        let mut out = Vec::new();
        for (client, mut rows) in by_client {
            rows.sort_by(|a, b| a.ts_ms.cmp(&b.ts_ms).then_with(|| a.query.cmp(&b.query)));
            // Largest window by distinct names (two pointers).
            let (mut best, mut best_range) = (0usize, (0usize, 0usize));
            let mut lo = 0;
            for hi in 0..rows.len() {
                while rows[hi].ts_ms - rows[lo].ts_ms > window {
                    lo += 1;
                }
                let mut names: Vec<&str> = rows[lo..=hi].iter().map(|r| r.query.as_str()).collect();
                names.sort_unstable();
                names.dedup();
                if names.len() > best {
                    best = names.len();
                    best_range = (lo, hi);
                }
                if hi - lo > 5000 {
                    lo += 1;
                }
            }
            let burst = &rows[best_range.0..=best_range.1];
            let mut domains: Vec<String> = burst.iter().map(|r| domain_of(r)).collect();
            domains.sort();
            domains.dedup();
            if (best as f64) < min_names || (domains.len() as f64) < min_domains {
                continue;
            }
            let score = 55.0 + (best as f64).min(40.0);
            let mut f = Finding::new(INFO.id, client, "(generated domains)", format!("{best} failed DNS lookups in a burst"), score);
            f.src = Source { ip: Some(client.to_string()), ..Default::default() };
            f.dst = Destination { host: Some("(generated domains)".into()), ip: burst.first().map(|r| r.server.clone()), port: Some(53), ..Default::default() };
            f.first_seen = burst[0].ts_ms;
            f.last_seen = burst[burst.len() - 1].ts_ms;
            f.count = rows.len() as u64;
            f.attack = INFO.attack.iter().map(|s| s.to_string()).collect();
            f.figure("burst_names", best as f64);
            f.figure("burst_domains", domains.len() as f64);
            f.figure("nxdomain_total", rows.len() as f64);
            f.evidence.notes.insert("examples".into(), domains.iter().take(5).cloned().collect::<Vec<_>>().join(", "));
            f.evidence.samples = spread(burst, 5, |r| sample(r.file, r.line, r.ts_ms));
            f.explanation.en = format!("{client} got NXDOMAIN for {best} different names in {} domains within {} s, as a domain-generation algorithm does.", domains.len(), (f.last_seen - f.first_seen) / 1000);
            f.explanation.ja = format!("{client} が {} 秒間に {} ドメインの {best} 個の異なる名前で NXDOMAIN を受け取りました。ドメイン生成アルゴリズム（DGA）の挙動です。", (f.last_seen - f.first_seen) / 1000, domains.len());
            out.push(f);
        }
        sort(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nx(client: &str, name: &str, ts: i64) -> DnsEvent {
        DnsEvent { ts_ms: ts, client: client.into(), server: "10.0.0.53".into(), query: name.into(), rcode: 3, is_response: true, qtype: 1, size: 90, file: 1, line: 1, ..Default::default() }
    }

    #[test]
    fn burst_found_typos_not() {
        let mut t = PacketTables::default();
        for i in 0..15 {
            t.dns.push(nx("10.0.0.2", &format!("q{i}xkzpwv{}.com", i * 7), 1000 + i * 100));
        }
        t.dns.push(nx("10.0.0.3", "gooogle.com", 1000));
        t.dns.push(nx("10.0.0.3", "wpad.corp.local", 900_000));
        let f = NxdomainBurst.run(&t, &Context::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].src.ip.as_deref(), Some("10.0.0.2"));
        assert_eq!(f[0].evidence.figures["burst_names"], 15.0);
        super::super::assert_packet_detector_compliance(&NxdomainBurst, &t);
    }
}
