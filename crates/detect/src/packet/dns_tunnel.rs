//! DNS tunnelling and exfiltration (`dns-tunnel`).
//!
//! **What.** Data carried in DNS query names (iodine, dnscat2, DNSExfiltrator,
//! ad-hoc `base64.evil.example` exfiltration), and DNS moved to encrypted
//! channels that bypass the organisation's resolver (DNS over HTTPS/TLS to
//! public resolvers, as dns2tcp-over-DoH setups do).
//!
//! **Features**, per client and registered domain over the client's queries:
//! unique names, unique subdomain strings and the information they carry
//! (`Σ length × Shannon entropy per character` over unique subdomains, in
//! bits), mean subdomain length, "encoded" names (a label ≥ 24 characters
//! with entropy ≥ 3.3 bits/char, or a label ≥ 20 characters holding base64
//! or other characters invalid in host names: `= + / *`), and the share of
//! TXT/NULL/ANY/private-type queries. A client-level pass catches tools that
//! rotate the "domain" (dnscat2 without a domain: `dnscat.<hex>.<hex>`).
//! Separately: TCP/UDP flows to well-known public DoH/DoT resolvers on 443/853.
//!
//! **Thresholds** (each in [`INFO`]): `min_unique` 30 unique subdomains with
//! mean length ≥ `min_mean_len` 12 and entropy ≥ `min_entropy` 3.5;
//! `min_encoded` 10 encoded names; `min_tunnel_types` 20 TXT/NULL queries
//! making ≥ half of the group; a single name with a label ≥ `single_label`
//! 40 characters that is encoded.
//!
//! **ATT&CK**: T1071.004 (Application Layer Protocol: DNS), T1048.003
//! (Exfiltration Over Unencrypted Non-C2 Protocol), T1572 (Protocol
//! Tunneling).

use std::collections::BTreeMap;

use super::{DnsEvent, PacketDetector, PacketTables, sample, sort, spread};
use crate::detector::{Context, DetectorInfo, Threshold};
use crate::finding::{Destination, Finding, Source};

/// The detector.
pub struct DnsTunnel;

/// Self-description.
pub static INFO: DetectorInfo = DetectorInfo {
    id: "dns-tunnel",
    title_en: "DNS tunnelling or exfiltration",
    title_ja: "DNSトンネリング・DNS経由の情報持ち出し",
    detects: "Data hidden in DNS query names (many unique, long, random-looking subdomains of one domain; encoded labels; TXT/NULL floods) and DNS moved to DNS-over-HTTPS/TLS at public resolvers, bypassing the organisation's resolver.",
    features: &[
        "unique subdomains per client and registered domain",
        "information in unique subdomains (length x Shannon entropy, bits)",
        "mean subdomain length, character entropy",
        "encoded labels (long high-entropy or base64 labels)",
        "TXT/NULL/ANY query share",
        "flows to public DoH/DoT resolvers on 443/853",
    ],
    thresholds: &[
        Threshold { name: "min_unique", default: 30.0, reason: "ordinary domains (CDNs, telemetry) rarely show 30 distinct subdomains from one client in a capture; iodine/dnscat produce hundreds per minute" },
        Threshold { name: "min_mean_len", default: 12.0, reason: "human-chosen subdomains average under 10 characters; encoders fill labels towards 63" },
        Threshold { name: "min_entropy", default: 3.5, reason: "English-like hostnames sit near 3 bits/char; base32/hex/base64 payloads at 3.8-6" },
        Threshold { name: "min_encoded", default: 10.0, reason: "a few long random labels occur in CDN and anti-virus lookups; ten unique ones from one client to one place is a channel" },
        Threshold { name: "min_tunnel_types", default: 20.0, reason: "TXT/NULL answers carry the downstream of most DNS tunnels; ordinary clients ask a handful (SPF, verification)" },
        Threshold { name: "single_label", default: 40.0, reason: "one 40+ character encoded label already holds ~30 bytes of data (nDPI flags long/invalid names in the same way)" },
    ],
    attack: &["T1071.004", "T1048.003", "T1572"],
    false_positives: &[
        "anti-virus and reputation lookups that encode file hashes in names (e.g. McAfee GTI, Sophos, ESET)",
        "DKIM/DMARC and service-discovery lookups with long labels",
        "browsers or OS configured for DNS over HTTPS (Firefox, Chrome Secure DNS, Windows 11)",
    ],
    cost: "O(n log n) in DNS messages; memory proportional to unique query names per client",
};

/// Public resolvers that serve DNS over HTTPS (443) or TLS (853).
const PUBLIC_DOH: &[&str] = &[
    "1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4", "9.9.9.9", "149.112.112.112", "208.67.222.222", "208.67.220.220",
    "94.140.14.14", "94.140.15.15", "185.228.168.9", "76.76.2.0", "76.76.10.0", "45.90.28.0", "45.90.30.0",
    "2606:4700:4700::1111", "2606:4700:4700::1001", "2001:4860:4860::8888", "2001:4860:4860::8844", "2620:fe::fe",
];

fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    let mut n = 0u32;
    for b in s.bytes() {
        counts[b as usize] += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = f64::from(n);
    counts.iter().filter(|c| **c > 0).map(|&c| {
        let p = f64::from(c) / n;
        -p * p.log2()
    }).sum()
}

fn base_domain(e: &DnsEvent) -> String {
    if let Some(d) = &e.domain {
        return d.to_ascii_lowercase();
    }
    let q = e.query.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = q.rsplit('.').take(2).collect();
    labels.into_iter().rev().collect::<Vec<_>>().join(".")
}

/// The part of `q` before `domain` (empty when `q` is the domain).
fn subdomain<'a>(q: &'a str, domain: &str) -> &'a str {
    let q = q.trim_end_matches('.');
    if q.len() > domain.len() && q.to_ascii_lowercase().ends_with(domain) {
        q[..q.len() - domain.len()].trim_end_matches('.')
    } else {
        ""
    }
}

fn encoded_label(label: &str, min_len: usize) -> bool {
    let n = label.chars().count();
    if n < min_len.min(20) {
        return false;
    }
    let invalid = label.bytes().any(|b| matches!(b, b'=' | b'+' | b'/' | b'*'));
    (n >= 20 && invalid) || (n >= min_len && entropy(label) >= 3.3)
}

fn is_encoded(q: &str, min_len: usize) -> bool {
    q.split('.').any(|l| encoded_label(l, min_len))
}

#[derive(Default)]
struct Group<'a> {
    rows: Vec<&'a DnsEvent>,
    names: BTreeMap<String, ()>,
    subs: BTreeMap<String, ()>,
    encoded: BTreeMap<String, ()>,
    tunnel_types: u64,
    long_single: Option<&'a DnsEvent>,
}

impl PacketDetector for DnsTunnel {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }

    fn run(&self, t: &PacketTables, ctx: &Context) -> Vec<Finding> {
        let p = |n| ctx.param(&INFO, n);
        let (min_unique, min_mean, min_ent, min_enc, min_types, single) =
            (p("min_unique"), p("min_mean_len"), p("min_entropy"), p("min_encoded"), p("min_tunnel_types"), p("single_label"));
        let mut groups: BTreeMap<(String, String), Group<'_>> = BTreeMap::new();
        for e in t.dns.iter().filter(|e| !e.is_response && !e.query.is_empty()) {
            let dom = base_domain(e);
            let g = groups.entry((e.client.clone(), dom.clone())).or_default();
            g.rows.push(e);
            let q = e.query.trim_end_matches('.').to_ascii_lowercase();
            if matches!(e.qtype, 10 | 16 | 255) || e.qtype >= 65280 {
                g.tunnel_types += 1;
            }
            if is_encoded(&e.query, 24) {
                g.encoded.insert(q.clone(), ());
                if g.long_single.is_none() && e.query.split('.').any(|l| l.len() as f64 >= single && encoded_label(l, 24)) {
                    g.long_single = Some(e);
                }
            }
            let sub = subdomain(&q, &dom).to_string();
            if !sub.is_empty() {
                g.subs.insert(sub, ());
            }
            g.names.insert(q, ());
        }
        // Encoded names per client over all its domains (for tools that
        // rotate the domain, see the client-level pass below).
        let mut client_encoded: BTreeMap<&str, usize> = BTreeMap::new();
        for ((client, _), g) in &groups {
            *client_encoded.entry(client.as_str()).or_default() += g.encoded.len();
        }
        let mut out = Vec::new();
        let mut flagged_clients: BTreeMap<String, ()> = BTreeMap::new();
        for ((client, dom), g) in &groups {
            let uniq = g.subs.len() as f64;
            let joined: String = g.subs.keys().map(String::as_str).collect::<Vec<_>>().join("");
            let ent = entropy(&joined.replace('.', ""));
            let mean_len = if g.subs.is_empty() { 0.0 } else { g.subs.keys().map(|s| s.len() as f64).sum::<f64>() / uniq };
            let bits: f64 = g.subs.keys().map(|s| s.len() as f64 * entropy(s)).sum();
            let enc = g.encoded.len() as f64;
            let n = g.rows.len() as f64;
            let mut reasons = Vec::new();
            let mut score: f64 = 0.0;
            if uniq >= min_unique && mean_len >= min_mean && ent >= min_ent {
                reasons.push(format!("{uniq:.0} unique subdomains, mean length {mean_len:.0}, entropy {ent:.1} bits/char"));
                score = score.max(70.0 + (bits / 8.0 / 1024.0).min(25.0));
            }
            if enc >= min_enc {
                reasons.push(format!("{enc:.0} names with encoded labels"));
                score = score.max(65.0 + enc.min(100.0) / 10.0);
            }
            if g.tunnel_types as f64 >= min_types && g.tunnel_types as f64 >= n / 2.0 && uniq >= min_unique / 2.0 {
                reasons.push(format!("{} TXT/NULL/ANY queries of {n:.0}", g.tunnel_types));
                score = score.max(65.0);
            }
            let strong = !reasons.is_empty();
            if let Some(e) = g.long_single {
                let client_wide = client_encoded.get(client.as_str()).copied().unwrap_or(0) as f64 >= min_enc;
                if reasons.is_empty() && !client_wide {
                    let longest = e.query.split('.').map(str::len).max().unwrap_or(0);
                    reasons.push(format!("an encoded label of {longest} characters in one query"));
                    score = score.max(60.0);
                }
            }
            if reasons.is_empty() {
                continue;
            }
            if strong {
                flagged_clients.insert(client.clone(), ());
            }
            let mut f = Finding::new(INFO.id, client, dom, format!("DNS tunnelling/exfiltration via {dom}"), score);
            fill(&mut f, client, Some(dom.clone()), &g.rows);
            f.figure("queries", n);
            f.figure("unique_subdomains", uniq);
            f.figure("mean_subdomain_len", mean_len);
            f.figure("entropy_bits_per_char", ent);
            f.figure("information_bytes", bits / 8.0);
            f.figure("encoded_names", enc);
            f.figure("tunnel_type_queries", g.tunnel_types as f64);
            f.evidence.notes.insert("channel".into(), "dns-query-names".into());
            f.evidence.notes.insert("why".into(), reasons.join("; "));
            if let Some(ex) = g.encoded.keys().next() {
                f.evidence.notes.insert("example".into(), ex.chars().take(200).collect());
            }
            f.explanation.en = format!(
                "{client} sent {n:.0} DNS queries under {dom} that look like data, not names: {}. About {:.0} bytes of information are encoded in the query names.",
                reasons.join("; "),
                bits / 8.0
            );
            f.explanation.ja = format!(
                "{client} が {dom} 配下に、名前ではなくデータのように見える DNS クエリを {n:.0} 件送信しました（{}）。クエリ名に約 {:.0} バイトの情報が埋め込まれています。",
                reasons.join("; "),
                bits / 8.0
            );
            out.push(f);
        }
        // Client level: encoded names spread over rotating "domains".
        let mut per_client: BTreeMap<&str, Vec<&DnsEvent>> = BTreeMap::new();
        for ((client, _), g) in &groups {
            if flagged_clients.contains_key(client) {
                continue;
            }
            for r in &g.rows {
                if is_encoded(&r.query, 24) {
                    per_client.entry(client.as_str()).or_default().push(*r);
                }
            }
        }
        for (client, mut rows) in per_client {
            let mut uniq: Vec<String> = rows.iter().map(|r| r.query.to_ascii_lowercase()).collect();
            uniq.sort();
            uniq.dedup();
            if (uniq.len() as f64) < min_enc {
                continue;
            }
            rows.sort_by_key(|r| r.ts_ms);
            let mut first: BTreeMap<String, usize> = BTreeMap::new();
            for q in &uniq {
                *first.entry(q.split('.').next().unwrap_or("").to_string()).or_default() += 1;
            }
            let (lead, lead_n) = first.iter().max_by_key(|(k, v)| (**v, std::cmp::Reverse((*k).clone()))).map(|(k, v)| (k.clone(), *v)).unwrap_or_default();
            let dst = if lead_n * 2 >= uniq.len() && !lead.is_empty() && lead.len() < 24 { format!("{lead}.*") } else { "(many domains)".to_string() };
            let mut f = Finding::new(INFO.id, client, &dst, format!("DNS tunnelling/exfiltration via {dst}"), 70.0);
            fill(&mut f, client, None, &rows);
            f.dst.host = Some(dst.clone());
            f.figure("queries", rows.len() as f64);
            f.figure("encoded_names", uniq.len() as f64);
            f.evidence.notes.insert("channel".into(), "dns-query-names".into());
            f.evidence.notes.insert("example".into(), uniq[0].chars().take(200).collect());
            f.explanation.en = format!("{client} sent {} DNS queries with encoded, random-looking labels ({dst}); the names change domain, as tools like dnscat2 do.", uniq.len());
            f.explanation.ja = format!("{client} がエンコードされたランダムなラベルを含む DNS クエリを {} 件送信しました（{dst}）。dnscat2 などのツールと同様にドメインが変化しています。", uniq.len());
            out.push(f);
        }
        // DNS over HTTPS/TLS to public resolvers.
        let mut doh: BTreeMap<(String, String), Vec<&super::FlowEvent>> = BTreeMap::new();
        for fl in &t.flows {
            if matches!(fl.server_port, 443 | 853) && PUBLIC_DOH.contains(&fl.server.as_str()) {
                doh.entry((fl.client.clone(), fl.server.clone())).or_default().push(fl);
            }
        }
        for ((client, server), flows) in doh {
            let up: u64 = flows.iter().map(|f| f.bytes_up).sum();
            let down: u64 = flows.iter().map(|f| f.bytes_down).sum();
            let score = 45.0 + ((up + down) as f64 / 1e6).min(20.0);
            let mut f = Finding::new(INFO.id, &client, &server, format!("DNS over HTTPS/TLS to public resolver {server}"), score);
            f.src = Source { ip: Some(client.clone()), ..Default::default() };
            f.dst = Destination { ip: Some(server.clone()), host: flows.iter().find_map(|f| f.server_name.clone()), port: Some(flows[0].server_port), ..Default::default() };
            f.first_seen = flows.iter().map(|f| f.ts_ms).min().unwrap_or(0);
            f.last_seen = flows.iter().map(|f| f.last_ms).max().unwrap_or(0);
            f.count = flows.len() as u64;
            f.bytes_up = Some(up);
            f.bytes_down = Some(down);
            f.attack = INFO.attack.iter().map(|s| s.to_string()).collect();
            f.figure("flows", flows.len() as f64);
            f.evidence.notes.insert("channel".into(), "doh-dot".into());
            f.evidence.samples = spread(&flows, 5, |x| sample(x.file, x.line, x.ts_ms));
            f.explanation.en = format!("{client} talked to the public DNS resolver {server} over an encrypted channel (port {}) in {} flow(s): its DNS, and any DNS tunnel inside it, bypasses the organisation's resolver and logs.", flows[0].server_port, flows.len());
            f.explanation.ja = format!("{client} が公開 DNS リゾルバ {server} と暗号化された通信路（ポート {}）で {} 回通信しました。DNS（およびその中の DNS トンネル）が組織のリゾルバとログを迂回しています。", flows[0].server_port, flows.len());
            out.push(f);
        }
        sort(&mut out);
        out
    }
}

fn fill(f: &mut Finding, client: &str, domain: Option<String>, rows: &[&DnsEvent]) {
    f.src = Source { ip: Some(client.to_string()), ..Default::default() };
    f.dst = Destination { host: domain.clone(), domain, ip: rows.first().map(|r| r.server.clone()), port: Some(53), ..Default::default() };
    f.first_seen = rows.iter().map(|r| r.ts_ms).min().unwrap_or(0);
    f.last_seen = rows.iter().map(|r| r.ts_ms).max().unwrap_or(0);
    f.count = rows.len() as u64;
    f.bytes_up = Some(rows.iter().map(|r| u64::from(r.size)).sum());
    f.attack = INFO.attack.iter().map(|s| s.to_string()).collect();
    f.evidence.samples = spread(rows, 5, |r| sample(r.file, r.line, r.ts_ms));
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn q(client: &str, name: &str, qtype: u16, ts: i64) -> DnsEvent {
        DnsEvent { ts_ms: ts, client: client.into(), server: "10.0.0.53".into(), query: name.into(), qtype, size: 80, file: 1, line: ts as u32, ..Default::default() }
    }

    /// An iodine-like session (base32 labels under one domain, NULL queries)
    /// plus ordinary browsing from another client.
    pub(crate) fn iodine_like() -> PacketTables {
        let mut t = PacketTables::default();
        let alphabet: Vec<char> = "abcdefghijklmnopqrstuvwxyz012345".chars().collect();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for i in 0..80 {
            let mut label = String::new();
            for _ in 0..50 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                label.push(alphabet[(x % 32) as usize]);
            }
            t.dns.push(q("10.0.0.5", &format!("{label}.t.pirate.sea"), 10, i));
        }
        for (i, h) in ["www.example.com", "mail.example.com", "www.example.com", "cdn.example.net", "api.github.com"].iter().enumerate() {
            t.dns.push(q("10.0.0.6", h, 1, i as i64));
        }
        t.flows.push(FlowEventBuilder::doh());
        t
    }

    struct FlowEventBuilder;
    impl FlowEventBuilder {
        fn doh() -> super::super::FlowEvent {
            super::super::FlowEvent { ts_ms: 5, last_ms: 9, client: "10.0.0.7".into(), server: "1.1.1.1".into(), server_port: 443, transport: "tcp".into(), bytes_up: 2000, bytes_down: 6000, file: 1, line: 1, ..Default::default() }
        }
    }

    #[test]
    fn tunnel_found_and_browsing_not() {
        let f = DnsTunnel.run(&iodine_like(), &Context::default());
        let tun: Vec<_> = f.iter().filter(|f| f.evidence.notes.get("channel").map(String::as_str) == Some("dns-query-names")).collect();
        assert_eq!(tun.len(), 1);
        assert_eq!(tun[0].src.ip.as_deref(), Some("10.0.0.5"));
        assert_eq!(tun[0].dst.domain.as_deref(), Some("pirate.sea"));
        assert!(tun[0].score >= 70.0);
        assert!(f.iter().all(|f| f.src.ip.as_deref() != Some("10.0.0.6")));
        let doh: Vec<_> = f.iter().filter(|f| f.evidence.notes.get("channel").map(String::as_str) == Some("doh-dot")).collect();
        assert_eq!(doh.len(), 1);
        assert_eq!(doh[0].dst.ip.as_deref(), Some("1.1.1.1"));
    }

    #[test]
    fn one_long_base64_query_is_enough() {
        let mut t = PacketTables::default();
        t.dns.push(q("10.0.0.9", "H4sICN03*2QAA3Rlc3QudHh0AAvJyCxWAKJEheLU5KLUEoW0zJxULgAge-.4S2FgAAAA==-.test.txt", 1, 1));
        let f = DnsTunnel.run(&t, &Context::default());
        assert_eq!(f.len(), 1);
        assert!(f[0].evidence.notes["why"].contains("encoded label"));
    }

    #[test]
    fn rotating_domains_caught_per_client() {
        let mut t = PacketTables::default();
        // dnscat2 without a domain: `dnscat.<hex>.<hex>`, random hex.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut hex = |n: usize| -> String {
            (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    char::from_digit((x % 16) as u32, 16).unwrap_or('0')
                })
                .collect()
        };
        for i in 0..20 {
            let h = format!("dnscat.{}.{}", hex(60), hex(26));
            t.dns.push(q("10.0.0.8", &h, 16, i as i64));
        }
        let f = DnsTunnel.run(&t, &Context::default());
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].dst.host.as_deref(), Some("dnscat.*"));
    }

    #[test]
    fn entropy_is_sane() {
        assert_eq!(entropy(""), 0.0);
        assert_eq!(entropy("aaaa"), 0.0);
        assert!((entropy("abcd") - 2.0).abs() < 1e-9);
    }
}
