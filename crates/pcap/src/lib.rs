//! # kensa-pcap
//!
//! The packet-capture engine core of kensa: it turns a week of mirrored
//! egress traffic (pcap/pcapng, optionally `.gz`/`.zst`) into flows and
//! application metadata, streaming with bounded memory.
//!
//! Pipeline, one module each:
//! - [`reader`]: [`CaptureReader`] yields [`Packet`]s (file offset, ns
//!   timestamp, link type, caplen/origlen, bytes); truncation and corruption
//!   are counted in [`ReaderStats`], never panics or loops.
//! - [`decode`]: link layer (Ethernet/VLAN/QinQ, SLL, SLL2, raw IP,
//!   NULL/LOOP) → IPv4/IPv6 → TCP/UDP/ICMP, with GRE, VXLAN and GTP-U
//!   decapsulation; [`defrag`] reassembles IP fragments with caps.
//! - [`engine`]: [`Engine`] keeps bidirectional flows (idle/active timeouts,
//!   a flow cap with counted eviction), reassembles TCP per direction and
//!   feeds the parsers; [`Engine::finish`] returns [`EngineOutput`]:
//!   [`FlowRecord`]s, [`TlsRecord`]s, [`dns::DnsRecord`]s, [`http::HttpRecord`]s,
//!   [`ssh::SshRecord`]s (banners, HASSH).
//! - [`tls`], [`dns`], [`http`], [`ssh`]: pure parsers (`parser.rs`) plus per-flow
//!   state; [`tls::fingerprint`] computes JA3, JA3S and JA4 (the other JA4+
//!   methods only with the `ja4plus` feature, see below).
//! - [`quic`]: decrypts client Initials for the QUIC ClientHello (JA4 `q`).
//! - [`extract`]: writes a flow's packets (from [`PacketRefs`]) to a new pcap.
//! - [`ident`]: protocol identification by payload ([`IdentMethod::Content`]):
//!   HTTP/1.x, TLS on any port (also mid-stream records), DNS over UDP/TCP,
//!   QUIC (IETF and Google), SSH, SMTP, POP3, IMAP, FTP, SMB 1/2/3, RDP,
//!   SOCKS 4/4a/5, OpenVPN (TCP/UDP), WireGuard, Tor (TLS link handshake
//!   heuristics) and "unknown, encrypted" (entropy); the server port only when
//!   no payload decided ([`IdentMethod::Port`]). Port/protocol mismatches
//!   (`non_tls_on_443`, `tls_on_53`, `ssh_off_22`, …) go to
//!   [`FlowRecord::risks`].
//! - [`socks`]: SOCKS handshakes; after a SOCKS success or an HTTP CONNECT
//!   2xx the engine identifies and parses the tunnelled protocol
//!   ([`FlowRecord::inner_proto`], e.g. TLS with its SNI and JA4).
//!
//! ```
//! use kensa_pcap::{CaptureReader, Engine, EngineConfig};
//! // A one-packet classic pcap (Ethernet, IPv4/UDP DNS query), built in memory.
//! let mut pcap = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0];
//! let dns = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x07example\x03com\x00\x00\x01\x00\x01";
//! let mut frame = vec![0u8; 12];
//! frame.extend_from_slice(&[0x08, 0x00]);
//! let ip_len = 20 + 8 + dns.len();
//! frame.extend_from_slice(&[0x45, 0, 0, ip_len as u8, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 53]);
//! frame.extend_from_slice(&[0xc0, 0x00, 0, 53, 0, (8 + dns.len()) as u8, 0, 0]);
//! frame.extend_from_slice(dns);
//! for v in [1_700_000_000u32, 0, frame.len() as u32, frame.len() as u32] {
//!     pcap.extend_from_slice(&v.to_le_bytes());
//! }
//! pcap.extend_from_slice(&frame);
//!
//! let mut reader = CaptureReader::from_reader(std::io::Cursor::new(pcap))?;
//! let mut engine = Engine::new(EngineConfig::default());
//! while let Some(p) = reader.next_packet()? {
//!     engine.process(&p);
//! }
//! let out = engine.finish();
//! assert_eq!(out.flows.len(), 1);
//! assert_eq!(out.flows[0].server_port, 53);
//! assert_eq!(out.dns[0].query.as_deref(), Some("www.example.com"));
//! # Ok::<(), kensa_pcap::CaptureError>(())
//! ```
//!
//! ## Bounds (never panic, never unbounded)
//! Reader: one buffer, grown only up to [`ReaderConfig::max_block`]; a truncated
//! tail or an absurd length ends the file with a counter, never a loop.
//! Engine: [`EngineConfig::max_flows`] live flows (10 % least recently seen
//! evicted and counted), a reassembly window per direction, ≤ 32 out-of-order
//! segments, a packet-reference budget per flow, and fragment reassembly caps
//! ([`defrag::DefragConfig`]). Every skipped thing has a counter in
//! [`ReaderStats`] or [`EngineStats`].
//!
//! ## Accuracy
//! `tests/conformance.rs` checks 537 JA3/JA3S/JA4/JA4_r/JA4_o/JA4_ro/HASSH/
//! certificate-SHA-1 expectations from FoxIO ja4 (python and rust), nDPI and
//! suricata-verify in the shared corpus, TLS over TCP and QUIC; all match
//! (nDPI's own JA4 deviations are listed there).
//!
//! ## JA4+ (cargo feature `ja4plus`, off by default)
//! JA3, JA3S and JA4 are always computed: JA3/JA3S are Salesforce's
//! (BSD-3-Clause), JA4 is FoxIO's under BSD-3-Clause. The other JA4+ methods
//! are FoxIO, LLC's under the **FoxIO License 1.1**
//! (<https://github.com/FoxIO-LLC/ja4/blob/main/License%20FAQ.md>), which
//! allows academic and internal business use but not monetisation (selling
//! them in a product or service needs an OEM licence from FoxIO). They are
//! compiled only with `--features ja4plus`; without it the FoxIO-licensed
//! code is not built at all and the fields below do not exist:
//! - JA4S / JA4S_r of each ServerHello (`TlsRecord::ja4s`), TLS over TCP and
//!   QUIC (`q…`, from the server's Initial, which the feature also decrypts;
//!   a QUIC handshake record is then emitted when its ServerHello arrives or
//!   its flow ends);
//! - JA4X / JA4X_r of each certificate (`CertInfo::ja4x`);
//! - JA4H / JA4H_r / JA4H_o / JA4H_ro of each HTTP/1.x request
//!   (`HttpRecord::ja4h`);
//! - JA4SSH per window of 200 SSH packets (`SshRecord::ja4ssh`).
//!
//! The code is in the `ja4plus` module. `tests/conformance.rs` (with the
//! feature) checks every JA4S/JA4H/JA4X/JA4SSH value that FoxIO's python and
//! rust tools give in the corpus; the few it cannot reproduce (TLS 1.3 and
//! HTTP/2 content that FoxIO's tools decrypted with a key log embedded in the
//! capture, one tshark dissection artefact) are listed there with the reason.
//!
//! ## Not yet
//! Google QUIC (Q0xx) CHLO parsing (identified, SNI not extracted),
//! JA4L/JA4T (not implemented), STARTTLS upgrade parsing (the
//! flow is identified as SMTP/IMAP/POP3/FTP, the TLS inside is not parsed),
//! RDP's TLS phase, fragments inside tunnels, TLS decryption (TLS 1.3
//! certificates are encrypted on the wire, so no JA4X for them; HTTP/2 inside
//! TLS, so no JA4H for it), JA4SSH across an active-timeout split (the
//! continuation record is not re-identified as SSH).
//!
//! ## Agreement with nDPI
//! `tests/ndpi_agreement.rs` matches every corpus flow with nDPI's output by
//! 5-tuple: protocol 122/122 (100 %), SNI/Host 62/64 (96.9 %); every
//! difference is explained in EVALUATION.md.
#![deny(missing_docs)]

pub mod decode;
pub mod defrag;
pub mod dns;
pub mod engine;
pub mod extract;
pub mod http;
pub mod ident;
#[cfg(feature = "ja4plus")]
pub mod ja4plus;
pub mod quic;
pub mod reader;
pub mod socks;
pub mod ssh;
pub mod tls;

pub use engine::{
    AppProto, EndReason, Engine, EngineConfig, EngineOutput, EngineStats, FlowRecord, LiveFlow, PacketRefs,
};
pub use ident::IdentMethod;
pub use reader::{
    CaptureError, CaptureFormat, CaptureReader, Compression, Packet, ReaderConfig, ReaderStats,
};
pub use tls::{CertInfo, TlsRecord};
