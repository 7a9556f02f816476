//! Default or suspicious C2 server certificates (`c2-certificate`).
//!
//! **What.** C2 frameworks ship default TLS certificates that operators often
//! leave in place: Cobalt Strike's (subject and issuer "Major Cobalt
//! Strike", serial 146473198 = 0x08bb00ee), (Sliver, Metasploit and others randomise theirs, so
//! they show only as self-signed). Self-signed certificates
//! on external servers, and certificates that do not cover the requested
//! SNI, are weaker signs.
//!
//! **Features.** Leaf certificate subject, issuer, serial, self-signed flag,
//! SNI/certificate mismatch, per client and server.
//!
//! **Thresholds.** None tunable beyond `self_signed_score` (the score of a
//! self-signed certificate alone, default 35: worth a look, not an alert).
//!
//! **ATT&CK.** T1573.002 (Encrypted Channel: Asymmetric Cryptography),
//! T1587.003 (Develop Capabilities: Digital Certificates), T1071.001.

use std::collections::BTreeMap;

use super::{PacketDetector, PacketTables, TlsEvent, sample, sort, spread};
use crate::detector::{Context, DetectorInfo, Threshold};
use crate::finding::{Destination, Finding, Source};

/// The detector.
pub struct C2Certificate;

/// Self-description.
pub static INFO: DetectorInfo = DetectorInfo {
    id: "c2-certificate",
    title_en: "Default or suspicious C2 certificate",
    title_ja: "C2 フレームワーク既定または不審なサーバ証明書",
    detects: "TLS servers presenting a C2 framework's default certificate (Cobalt Strike 'Major Cobalt Strike', serial 146473198), or a self-signed certificate, or one that does not cover the requested name.",
    features: &["leaf certificate subject/issuer/serial", "self-signed flag", "SNI not covered by the certificate"],
    thresholds: &[Threshold { name: "self_signed_score", default: 35.0, reason: "self-signed certificates are common on appliances and test servers: a low-severity lead, raised by the other signs" }],
    attack: &["T1573.002", "T1587.003", "T1071.001"],
    false_positives: &["internal appliances, lab servers and IoT devices with self-signed certificates", "CDN edge certificates that cover the SNI only through a wildcard the matcher did not expand"],
    cost: "O(n log n) in TLS handshakes",
};

/// Cobalt Strike's default keystore certificate: its subject/issuer CN and
/// its serial (146473198 = 0x08bb00ee) in the forms certificate printers use.
const CS_MARKER: &str = "major cobalt strike";
const CS_SERIALS: &[&str] = &["146473198", "08bb00ee", "8bb00ee"];

fn default_match(e: &TlsEvent) -> Option<&'static str> {
    let subj = e.cert_subject.as_deref().unwrap_or("").to_ascii_lowercase();
    let iss = e.cert_issuer.as_deref().unwrap_or("").to_ascii_lowercase();
    let serial: String = e.cert_serial.as_deref().unwrap_or("").to_ascii_lowercase().trim_start_matches("0x").chars().filter(|c| *c != ':').collect();
    let serial_hit = CS_SERIALS.contains(&serial.as_str());
    if subj.contains(CS_MARKER) || iss.contains(CS_MARKER) || (serial_hit && e.self_signed == Some(true)) {
        return Some("Cobalt Strike default certificate");
    }
    None
}

impl PacketDetector for C2Certificate {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }

    fn run(&self, t: &PacketTables, ctx: &Context) -> Vec<Finding> {
        let ss = ctx.param(&INFO, "self_signed_score");
        let mut groups: BTreeMap<(String, String, u16), Vec<&TlsEvent>> = BTreeMap::new();
        for e in &t.tls {
            if e.cert_subject.is_some() || e.cert_issuer.is_some() {
                groups.entry((e.client.clone(), e.server.clone(), e.server_port)).or_default().push(e);
            }
        }
        let mut out = Vec::new();
        for ((client, server, port), rows) in groups {
            let first = rows[0];
            let default = rows.iter().find_map(|e| default_match(e));
            let self_signed = rows.iter().any(|e| e.self_signed == Some(true));
            let mismatch = rows.iter().any(|e| e.sni_cert_mismatch == Some(true));
            let (score, what) = if let Some(d) = default {
                (95.0, d.to_string())
            } else if self_signed && mismatch {
                (ss + 15.0, "self-signed certificate that does not cover the requested name".to_string())
            } else if self_signed {
                (ss, "self-signed certificate".to_string())
            } else if mismatch {
                (ss - 10.0, "certificate does not cover the requested name".to_string())
            } else {
                continue;
            };
            let host = rows.iter().find_map(|e| e.sni.clone());
            let dst_key = format!("{server}:{port}");
            let mut f = Finding::new(INFO.id, &client, &dst_key, format!("{what} on {dst_key}"), score);
            f.src = Source { ip: Some(client.clone()), ..Default::default() };
            f.dst = Destination { host: host.clone(), ip: Some(server.clone()), port: Some(port), ..Default::default() };
            f.first_seen = rows.iter().map(|e| e.ts_ms).min().unwrap_or(0);
            f.last_seen = rows.iter().map(|e| e.ts_ms).max().unwrap_or(0);
            f.count = rows.len() as u64;
            f.attack = INFO.attack.iter().map(|s| s.to_string()).collect();
            f.figure("handshakes", rows.len() as f64);
            f.figure("self_signed", f64::from(u8::from(self_signed)));
            f.figure("sni_mismatch", f64::from(u8::from(mismatch)));
            for (k, v) in [("subject", &first.cert_subject), ("issuer", &first.cert_issuer), ("serial", &first.cert_serial), ("sha1", &first.cert_sha1)] {
                if let Some(v) = v {
                    f.evidence.notes.insert(k.into(), v.chars().take(300).collect());
                }
            }
            f.evidence.notes.insert("ja3".into(), first.ja3.clone());
            f.evidence.samples = spread(&rows, 5, |e| sample(e.file, e.line, e.ts_ms));
            let subj = first.cert_subject.clone().unwrap_or_default();
            f.explanation.en = format!("{client} connected to {dst_key}{} which presented a {what} (subject {subj:?}).", host.as_deref().map(|h| format!(" ({h})")).unwrap_or_default());
            f.explanation.ja = format!("{client} が接続した {dst_key}{} は {what}（サブジェクト {subj:?}）を提示しました。", host.as_deref().map(|h| format!("（{h}）")).unwrap_or_default());
            out.push(f);
        }
        sort(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls(server: &str, subject: &str, serial: &str, self_signed: bool) -> TlsEvent {
        TlsEvent { ts_ms: 1, client: "10.0.0.1".into(), server: server.into(), server_port: 443, cert_subject: Some(subject.into()), cert_issuer: Some(subject.into()), cert_serial: Some(serial.into()), self_signed: Some(self_signed), sni_cert_mismatch: Some(false), file: 1, line: 3, ..Default::default() }
    }

    #[test]
    fn cobalt_strike_default_is_critical_and_ordinary_cert_is_silent() {
        let mut t = PacketTables::default();
        t.tls.push(tls("198.51.100.7", "C=Earth, ST=Cyberspace, L=Somewhere, O=cobaltstrike, OU=AdvancedPenTesting, CN=Major Cobalt Strike", "146473198", true));
        t.tls.push(TlsEvent { cert_issuer: Some("CN=R3, O=Let's Encrypt".into()), ..tls("203.0.113.9", "CN=www.example.com", "03aa", false) });
        t.tls.push(tls("192.0.2.44", "CN=localhost", "01", true));
        let f = C2Certificate.run(&t, &Context::default());
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].dst.ip.as_deref(), Some("198.51.100.7"));
        assert!(f[0].score >= 90.0);
        assert!(f[0].title.contains("Cobalt Strike"));
        assert_eq!(f[1].dst.ip.as_deref(), Some("192.0.2.44"));
        assert!(f[1].score < 50.0);
        // The serial alone on a self-signed certificate also identifies it.
        let mut t2 = PacketTables::default();
        t2.tls.push(tls("198.51.100.8", "CN=renamed", "08bb00ee", true));
        assert!(C2Certificate.run(&t2, &Context::default())[0].score >= 90.0);
        super::super::assert_packet_detector_compliance(&C2Certificate, &t);
    }
}
