//! Tor (`tor`).
//!
//! **What.** Connections into the Tor network from inside the organisation:
//! anonymised browsing, or malware using Tor for C2. Tor relays speak TLS
//! with tell-tale names: the client sends a random SNI `www.<base32>.com`,
//! the relay's link certificate is issued by `www.<base32>.com` to
//! `www.<base32>.net`, none matching the SNI.
//!
//! **Features.** SNI shape (`www.` + 4–25 lower-case base32 characters +
//! `.com`/`.net`), certificate issuer/subject of the same shape, number of
//! distinct relays per client. (Relay lists from the intel store, matched on
//! web rows by the intel layer, complement this.)
//!
//! **Thresholds.** `min_relays` 1 relay whose certificate also has the Tor
//! shape, or `min_sni_only` 3 distinct relays when only the SNI is seen
//! (TLS 1.3 hides certificates).
//!
//! **ATT&CK.** T1090.003 (Proxy: Multi-hop Proxy), T1573.

use std::collections::BTreeMap;

use super::{PacketDetector, PacketTables, TlsEvent, sample, sort, spread};
use crate::detector::{Context, DetectorInfo, Threshold};
use crate::finding::{Destination, Finding, Source};

/// The detector.
pub struct Tor;

/// Self-description.
pub static INFO: DetectorInfo = DetectorInfo {
    id: "tor",
    title_en: "Tor network use",
    title_ja: "Tor ネットワークの利用",
    detects: "TLS connections to Tor relays, recognised by Tor's random www.<base32>.com SNI and its www.<base32>.com/.net link certificates.",
    features: &["SNI shape", "certificate issuer/subject shape", "distinct relays per client"],
    thresholds: &[
        Threshold { name: "min_relays", default: 1.0, reason: "SNI and certificate both in Tor's generated shape is specific: one relay suffices" },
        Threshold { name: "min_sni_only", default: 3.0, reason: "random www.X.com SNIs alone also come from some malware and ad tech; three distinct relays from one client is Tor's circuit building" },
    ],
    attack: &["T1090.003", "T1573"],
    false_positives: &["Tor Browser used with permission (research, journalism)", "other software imitating Tor's TLS names"],
    cost: "O(n log n) in TLS handshakes",
};

/// `www.<4–25 base32 chars>.<com|net>`.
fn tor_name(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("www.") else { return false };
    let Some(mid) = rest.strip_suffix(".com").or_else(|| rest.strip_suffix(".net")) else { return false };
    (4..=25).contains(&mid.len()) && mid.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
        && mid.bytes().any(|b| b.is_ascii_digit())
}

fn cn(dn: &Option<String>) -> Option<String> {
    dn.as_deref()?.split([',', '/']).map(str::trim).find_map(|p| p.strip_prefix("CN=")).map(str::to_string)
}

impl PacketDetector for Tor {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }

    fn run(&self, t: &PacketTables, ctx: &Context) -> Vec<Finding> {
        let min_relays = ctx.param(&INFO, "min_relays");
        let min_sni = ctx.param(&INFO, "min_sni_only");
        let mut by_client: BTreeMap<&str, Vec<(&TlsEvent, bool)>> = BTreeMap::new();
        for e in &t.tls {
            let sni_ok = e.sni.as_deref().is_some_and(tor_name);
            if !sni_ok {
                continue;
            }
            let cert_ok = cn(&e.cert_issuer).is_some_and(|c| tor_name(&c)) && cn(&e.cert_subject).is_some_and(|c| tor_name(&c));
            by_client.entry(e.client.as_str()).or_default().push((e, cert_ok));
        }
        let mut out = Vec::new();
        for (client, rows) in by_client {
            let mut relays: Vec<&str> = rows.iter().map(|(e, _)| e.server.as_str()).collect();
            relays.sort_unstable();
            relays.dedup();
            let mut cert_relays: Vec<&str> = rows.iter().filter(|(_, c)| *c).map(|(e, _)| e.server.as_str()).collect();
            cert_relays.sort_unstable();
            cert_relays.dedup();
            let confirmed = cert_relays.len() as f64 >= min_relays;
            if !confirmed && (relays.len() as f64) < min_sni {
                continue;
            }
            let score = if confirmed { 70.0 } else { 55.0 } + (relays.len() as f64).min(20.0);
            let mut f = Finding::new(INFO.id, client, "tor-network", format!("Tor: {} relay(s)", relays.len()), score);
            f.src = Source { ip: Some(client.to_string()), ..Default::default() };
            f.dst = Destination { host: Some("Tor network".into()), ip: relays.first().map(|s| s.to_string()), ..Default::default() };
            let evs: Vec<&TlsEvent> = rows.iter().map(|(e, _)| *e).collect();
            f.first_seen = evs.iter().map(|e| e.ts_ms).min().unwrap_or(0);
            f.last_seen = evs.iter().map(|e| e.ts_ms).max().unwrap_or(0);
            f.count = evs.len() as u64;
            f.attack = INFO.attack.iter().map(|s| s.to_string()).collect();
            f.figure("relays", relays.len() as f64);
            f.figure("relays_with_tor_certificate", cert_relays.len() as f64);
            f.evidence.notes.insert("relays".into(), relays.iter().take(10).copied().collect::<Vec<_>>().join(", "));
            f.evidence.samples = spread(&evs, 5, |e| sample(e.file, e.line, e.ts_ms));
            f.explanation.en = format!("{client} made {} TLS connection(s) to {} Tor relay(s) (random www.*.com names{}).", evs.len(), relays.len(), if confirmed { ", Tor link certificates" } else { "" });
            f.explanation.ja = format!("{client} が {} 個の Tor リレーに {} 回 TLS 接続しました（ランダムな www.*.com 名{}）。", relays.len(), evs.len(), if confirmed { "、Tor のリンク証明書" } else { "" });
            out.push(f);
        }
        sort(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tor_names_and_relays() {
        assert!(tor_name("www.q4cyamnc6mtokjurvdclt.com"));
        assert!(tor_name("www.g6ghvisevf3ibuu5.net"));
        assert!(!tor_name("www.google.com"));
        assert!(!tor_name("www.example.org"));
        let mut t = PacketTables::default();
        t.tls.push(TlsEvent { ts_ms: 1, client: "10.0.0.1".into(), server: "38.229.70.53".into(), server_port: 443, sni: Some("www.jmts2id.com".into()), cert_issuer: Some("CN=www.xkgk7fdx362yyyxib.com".into()), cert_subject: Some("CN=www.g6ghvisevf3ibuu5.net".into()), file: 1, line: 1, ..Default::default() });
        t.tls.push(TlsEvent { ts_ms: 1, client: "10.0.0.2".into(), server: "93.184.216.34".into(), server_port: 443, sni: Some("www.example.com".into()), file: 1, line: 1, ..Default::default() });
        let f = Tor.run(&t, &Context::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].src.ip.as_deref(), Some("10.0.0.1"));
        super::super::assert_packet_detector_compliance(&Tor, &t);
    }
}
