//! Detectors over packet data: the `dns`, `flows` and `tls` tables that
//! packet captures add to a case.
//!
//! Web detectors ([`crate::Detector`]) read the interned [`crate::EventTable`]
//! of web rows; captures also derive web rows, so those run on packet data
//! too. What web rows cannot carry (every DNS message, every flow whatever
//! its protocol, certificates) reaches the detectors here through a second
//! input, [`PacketTables`], and a sibling trait, [`PacketDetector`], with the
//! same contract (`docs/detector.md`): the same [`DetectorInfo`]
//! self-description, [`Context`] thresholds and [`Finding`] output; no I/O;
//! deterministic; never panics. The store's glue (the CLI's `analyze.rs`)
//! fills the tables; mail flows are left out unless the case was ingested
//! with `--include-mail`.

use crate::detector::{Context, DetectorInfo};
use crate::finding::{Finding, Sample};

pub mod c2_cert;
pub mod dns_tunnel;
pub mod long_connection;
pub mod nxdomain;
pub mod port_mismatch;
pub mod tor;

/// One DNS message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DnsEvent {
    /// Time (ms).
    pub ts_ms: i64,
    /// Client address (the flow's client).
    pub client: String,
    /// Resolver address.
    pub server: String,
    /// Query name (first question), lower-cased by the caller or not.
    pub query: String,
    /// Registered domain of `query` (eTLD+1), from the caller's PSL; `None`
    /// when unknown (the detector then uses the last two labels).
    pub domain: Option<String>,
    /// Query type.
    pub qtype: u16,
    /// RCODE (responses).
    pub rcode: u8,
    /// A response (else a query).
    pub is_response: bool,
    /// Message size.
    pub size: u32,
    /// Capture input id (evidence sample file).
    pub file: u16,
    /// Packet number (evidence sample line), 0 when unknown.
    pub line: u32,
}

/// One flow record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlowEvent {
    /// First packet (ms).
    pub ts_ms: i64,
    /// Last packet (ms).
    pub last_ms: i64,
    /// Flow id.
    pub flow_id: String,
    /// `tcp`, `udp`, …
    pub transport: String,
    /// Client address.
    pub client: String,
    /// Server address.
    pub server: String,
    /// Server port.
    pub server_port: u16,
    /// Identified protocol (`tls`, `http`, …).
    pub app_proto: Option<String>,
    /// `content` or `port`.
    pub app_method: Option<String>,
    /// SNI or HTTP host seen.
    pub server_name: Option<String>,
    /// Flow risks (`non_tls_on_443`, …).
    pub risks: Vec<String>,
    /// Payload bytes client → server.
    pub bytes_up: u64,
    /// Payload bytes server → client.
    pub bytes_down: u64,
    /// TCP state summary.
    pub tcp_state: Option<String>,
    /// Capture input id.
    pub file: u16,
    /// Packet number of the first packet.
    pub line: u32,
}

/// One TLS handshake (TCP) with the server's leaf certificate, if seen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TlsEvent {
    /// Time (ms).
    pub ts_ms: i64,
    /// Flow id.
    pub flow_id: String,
    /// Client address.
    pub client: String,
    /// Server address.
    pub server: String,
    /// Server port.
    pub server_port: u16,
    /// SNI.
    pub sni: Option<String>,
    /// JA3.
    pub ja3: String,
    /// JA4.
    pub ja4: String,
    /// Leaf certificate subject (RFC 4514 text).
    pub cert_subject: Option<String>,
    /// Leaf certificate issuer.
    pub cert_issuer: Option<String>,
    /// Leaf certificate serial (as the engine prints it).
    pub cert_serial: Option<String>,
    /// Leaf certificate SHA-1.
    pub cert_sha1: Option<String>,
    /// Self-signed leaf.
    pub self_signed: Option<bool>,
    /// The certificate does not cover the SNI.
    pub sni_cert_mismatch: Option<bool>,
    /// Capture input id.
    pub file: u16,
    /// Packet number of the flow's first packet.
    pub line: u32,
}

/// The packet tables of a case, as rows.
#[derive(Debug, Clone, Default)]
pub struct PacketTables {
    /// DNS messages, in time order.
    pub dns: Vec<DnsEvent>,
    /// Flows, in time order.
    pub flows: Vec<FlowEvent>,
    /// TLS handshakes, in time order.
    pub tls: Vec<TlsEvent>,
}

impl PacketTables {
    /// Whether there is nothing to look at.
    pub fn is_empty(&self) -> bool {
        self.dns.is_empty() && self.flows.is_empty() && self.tls.is_empty()
    }
}

/// A detection method over [`PacketTables`]; same contract as
/// [`crate::Detector`].
pub trait PacketDetector: Sync {
    /// Self-description.
    fn info(&self) -> &'static DetectorInfo;
    /// The pass over the tables. Deterministic; never panics.
    fn run(&self, t: &PacketTables, ctx: &Context) -> Vec<Finding>;
}

/// Every packet detector, in report order.
pub static PACKET_DETECTORS: &[&dyn PacketDetector] = &[
    &dns_tunnel::DnsTunnel,
    &nxdomain::NxdomainBurst,
    &c2_cert::C2Certificate,
    &tor::Tor,
    &port_mismatch::PortMismatch,
    &long_connection::LongConnection,
];

/// A sample citing a capture file and packet number.
pub(crate) fn sample(file: u16, line: u32, ts_ms: i64) -> Sample {
    Sample { file, path: None, line, ts_ms }
}

/// Up to `n` samples spread over `items` (already in time order).
pub(crate) fn spread<T>(items: &[T], n: usize, f: impl Fn(&T) -> Sample) -> Vec<Sample> {
    if items.is_empty() || n == 0 {
        return Vec::new();
    }
    let k = n.min(items.len());
    (0..k).map(|i| f(&items[if k == 1 { 0 } else { i * (items.len() - 1) / (k - 1) }])).collect()
}

/// Sorts findings by descending score, then key (the contract's order).
pub(crate) fn sort(v: &mut [Finding]) {
    v.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.key.cmp(&b.key)));
}

/// Checks a packet detector against the mechanical parts of the contract
/// (info, thresholds, empty input, determinism, finding shape).
pub fn assert_packet_detector_compliance(d: &dyn PacketDetector, sample_tables: &PacketTables) {
    let info = d.info();
    crate::compliance::check_info(info);
    let ctx = Context::default();
    for th in info.thresholds {
        assert_eq!(ctx.param(info, th.name), th.default);
    }
    assert!(d.run(&PacketTables::default(), &ctx).is_empty(), "{}: findings on empty tables", info.id);
    let a = d.run(sample_tables, &ctx);
    let b = d.run(sample_tables, &ctx);
    crate::compliance::check_findings(info, &a);
    assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap(), "{}: two runs differ", info.id);
    // Hostile strings must not panic.
    let mut hostile = sample_tables.clone();
    for e in &mut hostile.dns {
        e.query = format!("{}\u{202e}|\x1b[31m.{}", "x".repeat(300), e.query);
        e.domain = None;
    }
    for e in &mut hostile.tls {
        e.sni = Some("|\u{0}é".into());
        e.cert_subject = Some("CN=\u{202e}".into());
    }
    let _ = d.run(&hostile, &ctx);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_packet_detector_complies_and_ids_are_unique() {
        let mut ids: Vec<&str> = PACKET_DETECTORS.iter().map(|d| d.info().id).collect();
        ids.extend(crate::DETECTORS.iter().map(|d| d.info().id));
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "detector ids are unique across both registries");
        let t = dns_tunnel::tests::iodine_like();
        for d in PACKET_DETECTORS {
            assert_packet_detector_compliance(*d, &t);
        }
    }
}
