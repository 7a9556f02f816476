//! The flow engine: decoded packets → bidirectional flows, with per-direction
//! TCP reassembly feeding the application parsers.
//!
//! Memory is bounded by [`EngineConfig::max_flows`] (oldest-idle flows are
//! evicted in bulk and counted), the per-direction reassembly window, and the
//! per-flow packet-reference budget.

use std::collections::HashMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::decode::{DecodeStats, Decoded, Skip, decode, decode_keep_fragment, ipproto, tcpflag};
use crate::defrag::{DefragConfig, DefragStats, Defragmenter};
use crate::ident::IdentMethod;
use crate::quic::{self, QuicState};
use crate::reader::Packet;
use crate::reader::linktype;
use crate::socks::SocksState;
use crate::ssh::{SshRecord, SshState};
use crate::tls::TlsRecord;
use crate::tls::TlsState;
use crate::{dns, http, ident};

/// Engine settings. Defaults are chosen for a week of egress traffic on a
/// workstation (see each field).
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// TCP idle timeout (ns). 300 s: longer than typical keep-alives.
    pub tcp_idle_ns: i64,
    /// Idle timeout for a TCP flow that saw FIN from both sides or RST (ns). 15 s.
    pub tcp_closed_ns: i64,
    /// UDP/ICMP/other idle timeout (ns). 60 s (DNS and QUIC idle quickly).
    pub udp_idle_ns: i64,
    /// Active timeout: a flow older than this is emitted and restarted (ns). 1 h,
    /// so week-long tunnels become hourly records.
    pub active_ns: i64,
    /// Maximum live flows; above it, the 10 % least recently seen are evicted.
    pub max_flows: usize,
    /// Reassembly window per direction (bytes kept unconsumed). 64 KiB.
    pub reassembly_window: usize,
    /// Maximum out-of-order segments held per direction.
    pub max_ooo_segments: usize,
    /// Bytes of compact packet references kept per flow (≈ 3–4 bytes/packet;
    /// 16 KiB ≈ the first 4 000+ packets).
    pub max_ref_bytes: usize,
    /// Reassembly bytes held across all flows; above it, flows stop
    /// payload parsing (counted in `buffer_budget_drops`). 512 MiB.
    pub max_buffer_bytes: usize,
    /// Index of the capture file being processed (goes into packet refs).
    pub file_index: u32,
    /// IP fragment reassembly limits.
    pub defrag: DefragConfig,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            tcp_idle_ns: 300_000_000_000,
            tcp_closed_ns: 15_000_000_000,
            udp_idle_ns: 60_000_000_000,
            active_ns: 3_600_000_000_000,
            max_flows: 1_000_000,
            reassembly_window: 64 * 1024,
            max_ooo_segments: 32,
            max_ref_bytes: 16 * 1024,
            max_buffer_bytes: 512 << 20,
            file_index: 0,
            defrag: DefragConfig::default(),
        }
    }
}

/// Why a flow record was emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// Idle timeout.
    Idle,
    /// Active timeout (the flow continues in a new record).
    Active,
    /// Evicted by the memory cap.
    Evicted,
    /// Still open when the capture ended.
    EndOfCapture,
}

impl EndReason {
    /// Lower-case name as serialised (`idle`, `end_of_capture`, …).
    pub fn name(self) -> &'static str {
        match self {
            EndReason::Idle => "idle",
            EndReason::Active => "active",
            EndReason::Evicted => "evicted",
            EndReason::EndOfCapture => "end_of_capture",
        }
    }
}

/// How client and server were told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Orientation {
    /// By a SYN (or SYN-ACK).
    Syn,
    /// By a well-known / lower port.
    Port,
    /// The first packet's sender is the client.
    FirstPacket,
}

impl Orientation {
    /// Lower-case name as serialised (`syn`, `port`, `first_packet`).
    pub fn name(self) -> &'static str {
        match self {
            Orientation::Syn => "syn",
            Orientation::Port => "port",
            Orientation::FirstPacket => "first_packet",
        }
    }
}

/// Protocol identified from payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AppProto {
    /// No payload seen, or unrecognised.
    #[default]
    Unknown,
    /// TLS.
    Tls,
    /// HTTP/1.x.
    Http,
    /// DNS.
    Dns,
    /// SSH.
    Ssh,
    /// QUIC (IETF v1/v2/drafts, Initial decrypted).
    Quic,
    /// SMTP or submission (greeting or EHLO/HELO).
    Smtp,
    /// POP3 (`+OK` greeting or CAPA/STLS).
    Pop3,
    /// IMAP (`* OK` greeting or a tagged command).
    Imap,
    /// FTP control channel.
    Ftp,
    /// SMB (1, 2/3 or SMB3-encrypted) over NetBIOS or direct TCP.
    Smb,
    /// RDP (TPKT + X.224 connection request/confirm).
    Rdp,
    /// SOCKS 4/4a/5 proxy; the tunnelled protocol is in
    /// [`FlowRecord::inner_proto`].
    Socks,
    /// OpenVPN (TCP or UDP, control hard reset).
    #[serde(rename = "openvpn")]
    OpenVpn,
    /// WireGuard (message types and sizes).
    #[serde(rename = "wireguard")]
    WireGuard,
    /// TLS that looks like a Tor link handshake (random `www.*.com` SNI, no ALPN).
    Tor,
    /// Payload of no known protocol that looks like ciphertext (high entropy).
    Encrypted,
}

impl AppProto {
    /// Lower-case name as serialised (`tls`, `openvpn`, `encrypted`, …).
    pub fn name(self) -> &'static str {
        match self {
            AppProto::Unknown => "unknown",
            AppProto::Tls => "tls",
            AppProto::Http => "http",
            AppProto::Dns => "dns",
            AppProto::Ssh => "ssh",
            AppProto::Quic => "quic",
            AppProto::Smtp => "smtp",
            AppProto::Pop3 => "pop3",
            AppProto::Imap => "imap",
            AppProto::Ftp => "ftp",
            AppProto::Smb => "smb",
            AppProto::Rdp => "rdp",
            AppProto::Socks => "socks",
            AppProto::OpenVpn => "openvpn",
            AppProto::WireGuard => "wireguard",
            AppProto::Tor => "tor",
            AppProto::Encrypted => "encrypted",
        }
    }
}

/// One finished flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowRecord {
    /// Stable id: hash of (proto, client, server, first timestamp).
    pub flow_id: u64,
    /// First packet (ns since epoch).
    pub first_ts_ns: i64,
    /// Last packet.
    pub last_ts_ns: i64,
    /// IP protocol.
    pub proto: u8,
    /// Client address.
    pub client_ip: IpAddr,
    /// Client port (ICMP: 0).
    pub client_port: u16,
    /// Server address.
    pub server_ip: IpAddr,
    /// Server port (ICMP: 0).
    pub server_port: u16,
    /// How the orientation was decided.
    pub orientation: Orientation,
    /// Packets client → server.
    pub pkts_c2s: u64,
    /// IP bytes (wire lengths) client → server.
    pub bytes_c2s: u64,
    /// Transport payload bytes client → server.
    pub payload_c2s: u64,
    /// Packets server → client.
    pub pkts_s2c: u64,
    /// IP bytes server → client.
    pub bytes_s2c: u64,
    /// Transport payload bytes server → client.
    pub payload_s2c: u64,
    /// OR of TCP flags sent by the client.
    pub tcp_flags_c2s: u8,
    /// OR of TCP flags sent by the server.
    pub tcp_flags_s2c: u8,
    /// Zeek-style history (upper case = client): S SYN, H SYN-ACK, A ACK,
    /// D data, F FIN, R RST; each letter once, in order of first sight.
    pub history: String,
    /// Why the record was emitted.
    pub end_reason: EndReason,
    /// Protocol identified from payload.
    pub app_proto: AppProto,
    /// Port/protocol mismatch (e.g. `non_http_on_80`), if any: the first of
    /// [`FlowRecord::risks`].
    pub port_mismatch: Option<&'static str>,
    /// How [`FlowRecord::app_proto`] was decided (payload or port).
    pub app_method: IdentMethod,
    /// The protocol inside the flow's tunnel: after an HTTP CONNECT 2xx or a
    /// SOCKS success, what the tunnelled bytes are (identified by payload);
    /// for TLS on an implicit-TLS mail port (465/993/995/990), the mail
    /// protocol (by port).
    pub inner_proto: Option<AppProto>,
    /// `host:port` a SOCKS client asked for (HTTP CONNECT targets are in the
    /// HTTP record).
    pub tunnel_target: Option<String>,
    /// Every protocol/port mismatch ([`ident::port_risks`]): `non_http_on_80`,
    /// `non_tls_on_443`, `http_on_443`, `tls_on_53`, `non_dns_on_53`,
    /// `dns_off_53`, `ssh_off_22`, `non_ssh_on_22`.
    pub risks: Vec<&'static str>,
    /// Packets cut by the snaplen.
    pub snaplen_cut: u32,
    /// TCP sequence gaps (lost or out-of-window data) per flow.
    pub reassembly_gaps: u32,
    /// Tunnel layers removed to reach this flow.
    pub tunnel_depth: u8,
    /// Compact packet references: see [`PacketRefs`].
    pub packet_refs: PacketRefs,
}

/// Compact list of (file index, file offset) for a flow's packets, in the
/// codec of [`kensa_model::refs`] (shared with the case's `flow_packets`): varint
/// pairs (file index, offset delta from the previous packet of the same
/// file). Capped per flow; `truncated` counts packets not recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PacketRefs {
    /// Encoded bytes.
    pub bytes: Vec<u8>,
    /// Packets recorded.
    pub count: u32,
    /// Packets past the cap (not recorded).
    pub truncated: u32,
    #[serde(skip)]
    last: Option<(u32, u64)>,
}

impl PacketRefs {
    fn push(&mut self, file: u32, offset: u64, cap: usize) {
        if self.bytes.len() + 20 > cap {
            self.truncated += 1;
            return;
        }
        kensa_model::refs::push_ref(&mut self.bytes, &mut self.last, file, offset);
        self.count += 1;
    }

    /// Decode to (file index, byte offset) pairs.
    pub fn decode(&self) -> Vec<(u32, u64)> {
        kensa_model::refs::decode_refs(&self.bytes)
    }

    /// The first reference: (file index, absolute offset) of the flow's
    /// first packet, without decoding the rest.
    pub fn first(&self) -> Option<(u32, u64)> {
        let mut pos = 0;
        let file = kensa_model::refs::get_varint(&self.bytes, &mut pos)?;
        let offset = kensa_model::refs::get_varint(&self.bytes, &mut pos)?;
        Some((u32::try_from(file).ok()?, offset))
    }
}

/// Everything the engine skipped or dropped, plus totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EngineStats {
    /// Packets given to [`Engine::process`].
    pub packets: u64,
    /// Captured bytes given to the engine.
    pub bytes: u64,
    /// Decoder outcomes (reassembled datagrams are decoded and counted again).
    pub decode: DecodeStats,
    /// IP fragment reassembly.
    pub defrag: DefragStats,
    /// Flows created.
    pub flows_created: u64,
    /// Flows emitted by idle timeout.
    pub flows_idle: u64,
    /// Flows split by the active timeout.
    pub flows_active: u64,
    /// Flows evicted by the memory cap.
    pub flows_evicted: u64,
    /// Flows open at the end.
    pub flows_end_of_capture: u64,
    /// Packets older than the engine clock by more than the idle timeout.
    pub out_of_order_packets: u64,
    /// Out-of-order TCP segments dropped (over the per-direction limit).
    pub ooo_dropped: u64,
    /// Bytes dropped because the reassembly window was full.
    pub window_overflow_bytes: u64,
    /// Malformed TLS messages.
    pub tls_malformed: u64,
    /// Malformed DNS messages on port 53 / DNS flows.
    pub dns_malformed: u64,
    /// Malformed HTTP heads.
    pub http_malformed: u64,
    /// QUIC Initial packets that did not decrypt.
    pub quic_undecryptable: u64,
    /// Payload segments not reassembled because the global buffer budget was full.
    pub buffer_budget_drops: u64,
}

/// Engine output.
#[derive(Debug, Default)]
pub struct EngineOutput {
    /// Finished flows.
    pub flows: Vec<FlowRecord>,
    /// TLS handshakes.
    pub tls: Vec<TlsRecord>,
    /// DNS messages.
    pub dns: Vec<dns::DnsRecord>,
    /// HTTP transactions.
    pub http: Vec<http::HttpRecord>,
    /// SSH connections.
    pub ssh: Vec<SshRecord>,
    /// Flows still open that DNS, HTTP or TLS records of this output belong
    /// to (DNS and HTTP records are emitted as they are parsed, their flow
    /// only when it ends): their endpoints as of the drain, so that a
    /// consumer streaming drains can place every record. Filled by
    /// [`Engine::drain_output`]; empty from [`Engine::finish`], which ends
    /// every flow.
    pub live: Vec<LiveFlow>,
}

/// An open flow's endpoints, for records drained before it ends (see
/// [`EngineOutput::live`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveFlow {
    /// The flow's id (as in its records and, later, its [`FlowRecord`]).
    pub flow_id: u64,
    /// First packet (ns since epoch).
    pub first_ts_ns: i64,
    /// IP protocol.
    pub proto: u8,
    /// Client address (a flow's orientation is fixed when it starts, so
    /// this is the client its [`FlowRecord`] will name).
    pub client_ip: IpAddr,
    /// Client port.
    pub client_port: u16,
    /// Server address.
    pub server_ip: IpAddr,
    /// Server port.
    pub server_port: u16,
    /// (file index, offset) of the flow's first packet.
    pub first_ref: Option<(u32, u64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FlowKey {
    proto: u8,
    a: IpAddr,
    ap: u16,
    b: IpAddr,
    bp: u16,
}

impl FlowKey {
    /// Canonical key and whether `src` is the `a` side.
    fn new(d: &Decoded<'_>) -> (FlowKey, bool) {
        let (sport, dport) = match d.proto {
            // ICMP: type/code are not a conversation key.
            ipproto::ICMP | ipproto::ICMPV6 => (0, 0),
            _ => (d.sport, d.dport),
        };
        if (d.src, sport) <= (d.dst, dport) {
            (
                FlowKey {
                    proto: d.proto,
                    a: d.src,
                    ap: sport,
                    b: d.dst,
                    bp: dport,
                },
                true,
            )
        } else {
            (
                FlowKey {
                    proto: d.proto,
                    a: d.dst,
                    ap: dport,
                    b: d.src,
                    bp: sport,
                },
                false,
            )
        }
    }
}

#[derive(Debug, Default)]
struct Stream {
    /// Next expected sequence number.
    next: Option<u32>,
    buf: Vec<u8>,
    ooo: Vec<(u32, Vec<u8>)>,
    /// Reassembly given up for this direction.
    stopped: bool,
    fin: bool,
}

#[derive(Debug)]
struct Flow {
    id: u64,
    first_ts: i64,
    last_ts: i64,
    /// `a` side of the key is the client.
    a_is_client: bool,
    orientation: Orientation,
    pkts: [u64; 2],
    bytes: [u64; 2],
    payload: [u64; 2],
    flags: [u8; 2],
    history: String,
    closed: bool,
    app: AppProto,
    app_decided: [bool; 2],
    snaplen_cut: u32,
    gaps: u32,
    tunnel_depth: u8,
    refs: PacketRefs,
    /// Indexed by 0 = client, 1 = server.
    streams: [Stream; 2],
    tls: Option<TlsState>,
    http: Option<http::HttpState>,
    ssh: Option<SshState>,
    quic: Option<QuicState>,
    dns_tcp: bool,
    /// All payload parsing finished.
    parse_done: bool,
    method: IdentMethod,
    inner: Option<AppProto>,
    /// A CONNECT or SOCKS tunnel is established: identification fills `inner`.
    in_tunnel: bool,
    socks: Option<SocksState>,
    /// The CONNECT transaction's HTTP state, kept for its records.
    http_outer: Option<http::HttpState>,
    target: Option<String>,
    /// JA4SSH accounting, once the flow is identified as SSH.
    #[cfg(feature = "ja4plus")]
    ja4ssh: Option<Box<crate::ja4plus::Ja4Ssh>>,
    /// Bare ACKs per direction before the flow was identified (JA4SSH's
    /// first window counts them).
    #[cfg(feature = "ja4plus")]
    early_acks: [u32; 2],
}

/// The flow engine.
///
/// ```
/// use kensa_pcap::{Engine, EngineConfig};
/// let mut engine = Engine::new(EngineConfig::default());
/// // for each packet from a CaptureReader: engine.process(&packet);
/// let out = engine.finish();
/// assert!(out.flows.is_empty());
/// assert_eq!(engine.stats().packets, 0);
/// ```
#[derive(Debug)]
pub struct Engine {
    cfg: EngineConfig,
    /// Boxed: probing the table then touches small buckets, not whole flows.
    flows: HashMap<FlowKey, Box<Flow>, foldhash::fast::RandomState>,
    /// The key of each live flow by flow id, for [`EngineOutput::live`].
    ids: HashMap<u64, FlowKey, foldhash::fast::RandomState>,
    out: EngineOutput,
    stats: EngineStats,
    clock: i64,
    next_sweep: i64,
    defrag: Defragmenter,
    /// Reassembly bytes held across all flows.
    buffered: usize,
}

const SWEEP_EVERY_NS: i64 = 5_000_000_000;

impl Engine {
    /// A new engine.
    pub fn new(cfg: EngineConfig) -> Self {
        let defrag = Defragmenter::new(cfg.defrag.clone());
        Engine {
            cfg,
            flows: HashMap::default(),
            ids: HashMap::default(),
            out: EngineOutput::default(),
            stats: EngineStats::default(),
            clock: i64::MIN,
            next_sweep: i64::MIN,
            defrag,
            buffered: 0,
        }
    }

    /// Set the file index recorded in packet references from now on.
    pub fn set_file_index(&mut self, idx: u32) {
        self.cfg.file_index = idx;
    }

    /// Counters so far.
    pub fn stats(&self) -> &EngineStats {
        &self.stats
    }

    /// Live flows.
    pub fn live_flows(&self) -> usize {
        self.flows.len()
    }

    /// Take the records finished so far (flows expire as time advances), so a
    /// caller can stream them out while processing.
    pub fn drain_output(&mut self) -> EngineOutput {
        let mut out = std::mem::take(&mut self.out);
        let ended: std::collections::HashSet<u64, foldhash::fast::RandomState> =
            out.flows.iter().map(|f| f.flow_id).collect();
        let mut seen = std::collections::HashSet::<u64, foldhash::fast::RandomState>::default();
        let ids = out.dns.iter().map(|d| d.flow_id).chain(out.http.iter().map(|h| h.flow_id)).chain(out.tls.iter().map(|t| t.flow_id));
        for id in ids {
            if ended.contains(&id) || !seen.insert(id) {
                continue;
            }
            if let Some(live) = self.live_flow(id) {
                out.live.push(live);
            }
        }
        out
    }

    /// The endpoints of the open flow `id`, if there is one.
    fn live_flow(&self, id: u64) -> Option<LiveFlow> {
        let k = self.ids.get(&id)?;
        let f = self.flows.get(k).filter(|f| f.id == id)?;
        let (ci, cp, si, sp) = if f.a_is_client { (k.a, k.ap, k.b, k.bp) } else { (k.b, k.bp, k.a, k.ap) };
        Some(LiveFlow {
            flow_id: id,
            first_ts_ns: f.first_ts,
            proto: k.proto,
            client_ip: ci,
            client_port: cp,
            server_ip: si,
            server_port: sp,
            first_ref: f.refs.first(),
        })
    }

    /// Removes a flow from the table (and its id from the index).
    fn take_flow(&mut self, k: &FlowKey) -> Option<Box<Flow>> {
        let f = self.flows.remove(k)?;
        if self.ids.get(&f.id) == Some(k) {
            self.ids.remove(&f.id);
        }
        Some(f)
    }

    /// Process one captured packet.
    pub fn process(&mut self, p: &Packet<'_>) {
        self.stats.packets += 1;
        self.stats.bytes += p.data.len() as u64;
        let (r, frag) = decode_keep_fragment(p.link_type, p.data);
        self.stats.decode.count(&r);
        let ts = p.ts_ns;
        let d = match r {
            Ok(d) => d,
            Err(Skip::Fragment) => {
                self.advance_clock(ts);
                let Some(frag) = frag else {
                    return;
                };
                let whole = self.defrag.add(frag, ts);
                self.stats.defrag = self.defrag.stats.clone();
                if let Some(whole) = whole {
                    let r = decode(linktype::RAW, &whole);
                    self.stats.decode.count(&r);
                    if let Ok(d) = r {
                        self.on_decoded(&d, ts, p.file_offset);
                    }
                }
                return;
            }
            Err(_) => return,
        };
        self.advance_clock(ts);
        self.on_decoded(&d, ts, p.file_offset);
    }

    fn advance_clock(&mut self, ts: i64) {
        if ts > self.clock {
            self.clock = ts;
        } else if ts < self.clock.saturating_sub(self.cfg.tcp_idle_ns) {
            self.stats.out_of_order_packets += 1;
        }
        if self.clock >= self.next_sweep {
            self.sweep(false);
            self.defrag.expire(self.clock);
            self.stats.defrag = self.defrag.stats.clone();
            self.next_sweep = self.clock.saturating_add(SWEEP_EVERY_NS);
        }
    }

    /// Create the flow of `key`, or restart it after its active timeout: the
    /// rare path of [`Engine::on_decoded`].
    fn start_flow(&mut self, key: FlowKey, src_is_a: bool, d: &Decoded<'_>, ts: i64) {
        // Active timeout: emit and restart.
        if let Some(f) = self.flows.get(&key)
            && ts.saturating_sub(f.first_ts) > self.cfg.active_ns
        {
            let f = self.take_flow(&key).expect("present");
            self.stats.flows_active += 1;
            self.emit(key, *f, EndReason::Active);
        }
        if !self.flows.contains_key(&key) {
            if self.flows.len() >= self.cfg.max_flows {
                self.evict();
            }
            let f = new_flow(&key, src_is_a, d, ts);
            self.stats.flows_created += 1;
            self.ids.insert(f.id, key);
            self.flows.insert(key, Box::new(f));
        }
    }

    fn on_decoded(&mut self, d: &Decoded<'_>, ts: i64, offset: u64) {
        let (key, src_is_a) = FlowKey::new(d);
        // One table lookup for the common case: a live flow within its
        // active timeout.
        let f = match self.flows.get_mut(&key) {
            Some(f) if ts.saturating_sub(f.first_ts) <= self.cfg.active_ns => f,
            _ => {
                self.start_flow(key, src_is_a, d, ts);
                self.flows.get_mut(&key).expect("inserted")
            }
        };
        let from_client = src_is_a == f.a_is_client;
        let dir = if from_client { 0 } else { 1 };
        f.last_ts = f.last_ts.max(ts);
        f.pkts[dir] += 1;
        f.bytes[dir] += d.ip_len as u64;
        f.payload[dir] += d.payload_wire_len as u64;
        f.tunnel_depth = f.tunnel_depth.max(d.tunnel_depth);
        if d.truncated {
            f.snaplen_cut += 1;
        }
        f.refs
            .push(self.cfg.file_index, offset, self.cfg.max_ref_bytes);
        if let Some(t) = d.tcp {
            f.flags[dir] |= t.flags;
            history(f, from_client, t.flags, !d.payload.is_empty());
            if t.flags & tcpflag::RST != 0 {
                f.closed = true;
            }
            if t.flags & tcpflag::FIN != 0 {
                f.streams[dir].fin = true;
                if f.streams[0].fin && f.streams[1].fin {
                    f.closed = true;
                }
            }
            if !f.parse_done {
                if self.buffered > self.cfg.max_buffer_bytes && !d.payload.is_empty() {
                    // Global reassembly budget exhausted: this flow's
                    // payload parsing stops; flow accounting continues.
                    self.stats.buffer_budget_drops += 1;
                    f.gaps += 1;
                    f.streams[dir].stopped = true;
                } else {
                    let before = buffered_bytes(f);
                    tcp_data(
                        f,
                        dir,
                        d,
                        t.seq,
                        t.flags,
                        ts,
                        &self.cfg,
                        &mut self.stats,
                        &mut self.out,
                    );
                    self.buffered = (self.buffered + buffered_bytes(f)).saturating_sub(before);
                }
            }
            #[cfg(feature = "ja4plus")]
            ja4ssh_packet(f, from_client, &t, d.payload_wire_len);
        } else if d.proto == ipproto::UDP && !d.payload.is_empty() {
            udp_data(f, dir, d, ts, &mut self.stats, &mut self.out);
        }
    }

    fn sweep(&mut self, all: bool) {
        let clock = self.clock;
        let cfg = &self.cfg;
        let mut expired: Vec<((i64, Option<(u32, u64)>, u64), FlowKey)> = self
            .flows
            .iter()
            .filter(|(k, f)| {
                all || {
                    let idle = if k.proto == ipproto::TCP {
                        if f.closed {
                            cfg.tcp_closed_ns
                        } else {
                            cfg.tcp_idle_ns
                        }
                    } else {
                        cfg.udp_idle_ns
                    };
                    clock.saturating_sub(f.last_ts) > idle
                }
            })
            .map(|(k, f)| ((f.first_ts, f.refs.first(), f.id), *k))
            .collect();
        // The table iterates in the order of its per-process random hash
        // seed (kept: flow keys are attacker-chosen); ending flows in the
        // order they began (first packet's time, then its place in the
        // input) makes a case's row order, and so its part files, the same
        // from run to run.
        expired.sort_unstable_by_key(|x| x.0);
        for (_, k) in expired {
            if let Some(f) = self.take_flow(&k) {
                let why = if all {
                    self.stats.flows_end_of_capture += 1;
                    EndReason::EndOfCapture
                } else {
                    self.stats.flows_idle += 1;
                    EndReason::Idle
                };
                self.emit(k, *f, why);
            }
        }
    }

    fn evict(&mut self) {
        let mut seen: Vec<((i64, Option<(u32, u64)>, u64), FlowKey)> =
            self.flows.iter().map(|(k, f)| ((f.last_ts, f.refs.first(), f.id), *k)).collect();
        let n = (seen.len() / 10).max(1);
        // Least recently seen first, ties by first packet's place in the
        // input, emitted in that order: the same flows go, in the same
        // order, whatever the table's hash seed.
        seen.select_nth_unstable_by_key(n - 1, |x| x.0);
        seen.truncate(n);
        seen.sort_unstable_by_key(|x| x.0);
        for (_, k) in seen {
            if let Some(f) = self.take_flow(&k) {
                self.stats.flows_evicted += 1;
                self.emit(k, *f, EndReason::Evicted);
            }
        }
    }

    fn emit(&mut self, k: FlowKey, mut f: Flow, why: EndReason) {
        self.buffered = self.buffered.saturating_sub(buffered_bytes(&f));
        let mut tor = false;
        if let Some(t) = f.tls.take() {
            self.stats.tls_malformed += t.malformed as u64;
            tor = t.records.first().is_some_and(|r| {
                r.alpn_offered.is_empty() && r.sni.as_deref().is_some_and(ident::tor_like_sni)
            });
            self.out.tls.extend(t.records);
        }
        for h in [f.http_outer.take(), f.http.take()].into_iter().flatten() {
            self.stats.http_malformed += h.malformed as u64;
            self.out.http.extend(h.finish());
        }
        if let Some(s) = f.ssh.take() {
            #[cfg(not(feature = "ja4plus"))]
            self.out.ssh.push(s.finish());
            #[cfg(feature = "ja4plus")]
            {
                let mut rec = s.finish();
                if let Some(j) = f.ja4ssh.take() {
                    (rec.ja4ssh, rec.ja4ssh_windows_dropped) = j.finish();
                }
                self.out.ssh.push(rec);
            }
        }
        if let Some(q) = f.quic.take() {
            self.stats.quic_undecryptable += q.undecryptable as u64;
            // The QUIC handshake record, held until now.
            self.out.tls.extend(q.pending);
        }
        let (ci, cp, si, sp) = if f.a_is_client {
            (k.a, k.ap, k.b, k.bp)
        } else {
            (k.b, k.bp, k.a, k.ap)
        };
        let (mut app, mut method, mut inner) = (f.app, f.method, f.inner);
        if tor {
            if f.in_tunnel {
                inner = Some(AppProto::Tor);
            } else if app == AppProto::Tls {
                app = AppProto::Tor;
            }
        }
        if app == AppProto::Tls && inner.is_none() && !f.in_tunnel {
            inner = ident::tls_port_service(sp);
        }
        let payload_seen = f.payload[0] + f.payload[1] > 0;
        if app == AppProto::Unknown
            && !payload_seen
            && let Some(p) = ident::by_port(k.proto, sp)
        {
            app = p;
            method = IdentMethod::Port;
        }
        // Unknown payload counts as a mismatch on 80/443/22 only when the
        // connection start was seen (a capture cut mid-stream is not evidence).
        let risks = if method == IdentMethod::Content
            || (app == AppProto::Unknown
                && payload_seen
                && (k.proto != ipproto::TCP || f.orientation == Orientation::Syn))
        {
            ident::port_risks(app, IdentMethod::Content, k.proto, sp)
        } else {
            Vec::new()
        };
        let mismatch = risks.first().copied();
        self.out.flows.push(FlowRecord {
            flow_id: f.id,
            first_ts_ns: f.first_ts,
            last_ts_ns: f.last_ts,
            proto: k.proto,
            client_ip: ci,
            client_port: cp,
            server_ip: si,
            server_port: sp,
            orientation: f.orientation,
            pkts_c2s: f.pkts[0],
            bytes_c2s: f.bytes[0],
            payload_c2s: f.payload[0],
            pkts_s2c: f.pkts[1],
            bytes_s2c: f.bytes[1],
            payload_s2c: f.payload[1],
            tcp_flags_c2s: f.flags[0],
            tcp_flags_s2c: f.flags[1],
            history: f.history,
            end_reason: why,
            app_proto: app,
            port_mismatch: mismatch,
            app_method: method,
            inner_proto: inner,
            tunnel_target: f.target,
            risks,
            snaplen_cut: f.snaplen_cut,
            reassembly_gaps: f.gaps,
            tunnel_depth: f.tunnel_depth,
            packet_refs: f.refs,
        });
    }

    /// Flush every open flow and return all remaining output.
    pub fn finish(&mut self) -> EngineOutput {
        self.sweep(true);
        let mut out = std::mem::take(&mut self.out);
        out.flows.sort_by_key(|f| (f.first_ts_ns, f.flow_id));
        out
    }
}

/// Well-known server ports used for orientation when no SYN was seen.
fn is_service_port(p: u16) -> bool {
    p < 1024
        || matches!(
            p,
            1080 | 1194
                | 1433
                | 1521
                | 3128
                | 3306
                | 3389
                | 4444
                | 5222
                | 5228
                | 5432
                | 5900
                | 6379
                | 8000
                | 8008
                | 8080
                | 8443
                | 8888
                | 9001
                | 9030
                | 9050
                | 27017
                | 51820
        )
}

fn flow_id(proto: u8, c: IpAddr, cp: u16, s: IpAddr, sp: u16, ts: i64) -> u64 {
    let mut h = blake3::Hasher::new();
    h.update(&[proto]);
    for (ip, port) in [(c, cp), (s, sp)] {
        match ip {
            IpAddr::V4(v) => h.update(&v.octets()),
            IpAddr::V6(v) => h.update(&v.octets()),
        };
        h.update(&port.to_be_bytes());
    }
    h.update(&ts.to_be_bytes());
    let b = h.finalize();
    u64::from_be_bytes(b.as_bytes()[..8].try_into().expect("8 bytes"))
}

fn new_flow(k: &FlowKey, src_is_a: bool, d: &Decoded<'_>, ts: i64) -> Flow {
    let (src_port, dst_port) = if src_is_a { (k.ap, k.bp) } else { (k.bp, k.ap) };
    let (src_is_client, orientation) = match d.tcp {
        Some(t) if t.flags & (tcpflag::SYN | tcpflag::ACK) == tcpflag::SYN => {
            (true, Orientation::Syn)
        }
        Some(t) if t.flags & (tcpflag::SYN | tcpflag::ACK) == (tcpflag::SYN | tcpflag::ACK) => {
            (false, Orientation::Syn)
        }
        _ => {
            let (s, dd) = (is_service_port(src_port), is_service_port(dst_port));
            if s && !dd {
                (false, Orientation::Port)
            } else if dd && !s {
                (true, Orientation::Port)
            } else if s && dd && src_port != dst_port {
                (src_port > dst_port, Orientation::Port)
            } else {
                (true, Orientation::FirstPacket)
            }
        }
    };
    let a_is_client = src_is_a == src_is_client;
    let (ci, cp, si, sp) = if a_is_client {
        (k.a, k.ap, k.b, k.bp)
    } else {
        (k.b, k.bp, k.a, k.ap)
    };
    Flow {
        id: flow_id(k.proto, ci, cp, si, sp, ts),
        first_ts: ts,
        last_ts: ts,
        a_is_client,
        orientation,
        pkts: [0; 2],
        bytes: [0; 2],
        payload: [0; 2],
        flags: [0; 2],
        history: String::new(),
        closed: false,
        app: AppProto::Unknown,
        app_decided: [false; 2],
        snaplen_cut: 0,
        gaps: 0,
        tunnel_depth: d.tunnel_depth,
        refs: PacketRefs::default(),
        streams: Default::default(),
        tls: None,
        http: None,
        ssh: None,
        quic: None,
        dns_tcp: false,
        parse_done: false,
        method: IdentMethod::None,
        inner: None,
        in_tunnel: false,
        socks: None,
        http_outer: None,
        target: None,
        #[cfg(feature = "ja4plus")]
        ja4ssh: None,
        #[cfg(feature = "ja4plus")]
        early_acks: [0; 2],
    }
}

/// Payload bytes a flow holds for reassembly (window plus out-of-order queue).
fn buffered_bytes(f: &Flow) -> usize {
    f.streams
        .iter()
        .map(|s| s.buf.len() + s.ooo.iter().map(|(_, d)| d.len()).sum::<usize>())
        .sum()
}

fn history(f: &mut Flow, from_client: bool, flags: u8, data: bool) {
    let mut add = |c: char| {
        let c = if from_client {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        };
        if !f.history.contains(c) && f.history.len() < 16 {
            f.history.push(c);
        }
    };
    if flags & tcpflag::SYN != 0 {
        add(if flags & tcpflag::ACK != 0 { 'h' } else { 's' });
    } else if flags & tcpflag::ACK != 0 && !data {
        add('a');
    }
    if data {
        add('d');
    }
    if flags & tcpflag::FIN != 0 {
        add('f');
    }
    if flags & tcpflag::RST != 0 {
        add('r');
    }
}

/// JA4SSH accounting for one TCP packet: bare ACKs are remembered until the
/// flow is identified; once it is SSH, every packet goes to its [`Ja4Ssh`].
///
/// [`Ja4Ssh`]: crate::ja4plus::Ja4Ssh
#[cfg(feature = "ja4plus")]
fn ja4ssh_packet(f: &mut Flow, from_client: bool, t: &crate::decode::TcpInfo, payload_len: u32) {
    let dir = usize::from(!from_client);
    if f.ssh.is_none() {
        if payload_len == 0 && t.flags == tcpflag::ACK {
            f.early_acks[dir] = f.early_acks[dir].saturating_add(1);
        }
        return;
    }
    let acks = f.early_acks;
    f.ja4ssh
        .get_or_insert_with(|| Box::new(crate::ja4plus::Ja4Ssh::with_acks(acks)))
        .packet(from_client, t.seq, t.flags, payload_len);
}

#[allow(clippy::too_many_arguments)]
fn tcp_data(
    f: &mut Flow,
    dir: usize,
    d: &Decoded<'_>,
    seq: u32,
    flags: u8,
    ts: i64,
    cfg: &EngineConfig,
    stats: &mut EngineStats,
    out: &mut EngineOutput,
) {
    let s = &mut f.streams[dir];
    if s.stopped {
        return;
    }
    if flags & tcpflag::SYN != 0 {
        s.next = Some(seq.wrapping_add(1));
        return;
    }
    if d.payload.is_empty() {
        return;
    }
    let next = *s.next.get_or_insert(seq);
    let rel = seq.wrapping_sub(next) as i32;
    let mut appended = false;
    if rel <= 0 {
        let skip = (-(rel as i64)) as usize;
        if skip < d.payload.len() {
            let data = &d.payload[skip..];
            append(s, data, cfg, stats);
            s.next = Some(next.wrapping_add(data.len() as u32));
            appended = true;
            if d.truncated {
                // Bytes past the snaplen are lost: the stream has a hole.
                s.stopped = true;
                f.gaps += 1;
            }
        }
        // Pull in queued segments that are now in order.
        while let Some(i) = s
            .ooo
            .iter()
            .position(|(sq, _)| (sq.wrapping_sub(s.next.unwrap_or(0)) as i32) <= 0)
        {
            let (sq, data) = s.ooo.swap_remove(i);
            let n = s.next.unwrap_or(0);
            let skip = n.wrapping_sub(sq) as usize;
            if skip < data.len() {
                append(s, &data[skip..], cfg, stats);
                s.next = Some(n.wrapping_add((data.len() - skip) as u32));
            }
        }
    } else if (rel as usize) < cfg.reassembly_window * 4 && s.ooo.len() < cfg.max_ooo_segments {
        s.ooo.push((seq, d.payload.to_vec()));
    } else {
        stats.ooo_dropped += 1;
        // A segment far ahead (or too many queued): accept the hole.
        f.gaps += 1;
        s.ooo.clear();
        s.stopped = true;
    }
    if appended {
        parse_stream(f, dir, d, ts, stats, out);
    }
}

fn append(s: &mut Stream, data: &[u8], cfg: &EngineConfig, stats: &mut EngineStats) {
    let room = cfg.reassembly_window.saturating_sub(s.buf.len());
    if data.len() > room {
        stats.window_overflow_bytes += (data.len() - room) as u64;
        s.buf.extend_from_slice(&data[..room]);
        s.stopped = true;
    } else {
        s.buf.extend_from_slice(data);
    }
}

/// Record an identification: the flow's protocol, or inside an established
/// tunnel the inner protocol.
fn set_app(f: &mut Flow, g: AppProto) {
    if f.in_tunnel {
        if f.inner.is_none() {
            f.inner = Some(g);
        }
    } else if f.app == AppProto::Unknown {
        f.app = g;
        f.method = IdentMethod::Content;
    }
}

/// Run the application parsers over one direction's reassembled bytes.
fn parse_stream(
    f: &mut Flow,
    dir: usize,
    d: &Decoded<'_>,
    ts: i64,
    stats: &mut EngineStats,
    out: &mut EngineOutput,
) {
    let from_client = dir == 0;
    if !f.app_decided[dir] && !f.streams[dir].buf.is_empty() {
        let b = &f.streams[dir].buf;
        let mut guess = ident::identify(b, d.proto, from_client);
        match guess {
            Some(AppProto::Tls) if crate::tls::parser::looks_like_tls(b) => {
                f.tls.get_or_insert_with(TlsState::default);
            }
            Some(AppProto::Http) => {
                let id = f.id;
                f.http.get_or_insert_with(|| http::HttpState::new(id));
            }
            Some(AppProto::Dns) => f.dns_tcp = true,
            Some(AppProto::Ssh) => {
                let id = f.id;
                f.ssh.get_or_insert_with(|| SshState::new(id));
            }
            Some(AppProto::Socks) if !f.in_tunnel => {
                f.socks.get_or_insert_with(SocksState::default);
            }
            None if b.len() >= 16
                && f.orientation == Orientation::Syn
                && ident::looks_encrypted(b) =>
            {
                // Only from the connection start: a capture cut mid-stream
                // shows ciphertext of any protocol.
                guess = Some(AppProto::Encrypted);
            }
            _ => {}
        }
        let decided = guess.is_some() || b.len() >= 16;
        if let Some(g) = guess {
            set_app(f, g);
        }
        f.app_decided[dir] = decided;
    }
    let id = f.id;
    let buf = std::mem::take(&mut f.streams[dir].buf);
    let mut used = buf.len();
    if let Some(s) = f.socks.as_mut().filter(|_| !f.in_tunnel) {
        used = s.on_data(from_client, &buf);
        if f.target.is_none() {
            f.target.clone_from(&s.target);
        }
        if s.established {
            start_tunnel(f, dir, buf, used, d, ts, stats, out);
            return;
        }
    } else if let Some(t) = f.tls.as_mut() {
        used = t.on_data(from_client, &buf, ts, id);
    } else if let Some(h) = f.http.as_mut() {
        used = h.on_data(from_client, &buf, ts);
        out.http.extend(h.drain_completed());
        if h.is_tunnel() && !f.in_tunnel {
            // CONNECT succeeded: the remaining bytes of both directions are
            // the tunnelled protocol.
            start_tunnel(f, dir, buf, used, d, ts, stats, out);
            return;
        }
    } else if let Some(sh) = f.ssh.as_mut() {
        used = sh.on_data(from_client, &buf);
    } else if f.dns_tcp {
        used = dns::tcp_messages(
            &buf,
            id,
            ts,
            from_client,
            &mut out.dns,
            &mut stats.dns_malformed,
        );
    } else if !f.app_decided[dir] {
        used = 0; // keep bytes until the protocol can be decided
    }
    let mut buf = buf;
    buf.drain(..used.min(buf.len()));
    f.streams[dir].buf = buf;
    let done = match (&f.tls, &f.http, &f.ssh) {
        _ if f.socks.as_ref().is_some_and(|s| !s.is_done()) => false,
        (Some(t), _, _) => t.is_done(),
        (None, Some(_), _) => false,
        (None, None, Some(s)) => s.is_done(),
        (None, None, None) => !f.dns_tcp && f.app_decided[0] && f.app_decided[1],
    };
    if done {
        f.parse_done = true;
        for s in &mut f.streams {
            s.buf = Vec::new();
            s.ooo = Vec::new();
        }
    }
}

/// A CONNECT or SOCKS tunnel is up: identify and parse what follows, in
/// both directions (the other side may hold bytes sent before the reply).
#[allow(clippy::too_many_arguments)]
fn start_tunnel(
    f: &mut Flow,
    dir: usize,
    buf: Vec<u8>,
    used: usize,
    d: &Decoded<'_>,
    ts: i64,
    stats: &mut EngineStats,
    out: &mut EngineOutput,
) {
    f.in_tunnel = true;
    f.app_decided = [false; 2];
    if let Some(h) = f.http.take() {
        f.http_outer = Some(h);
    }
    f.tls = None;
    f.streams[dir].buf = buf.get(used..).unwrap_or_default().to_vec();
    for side in [dir, 1 - dir] {
        if !f.streams[side].buf.is_empty() && !f.parse_done {
            parse_stream(f, side, d, ts, stats, out);
        }
    }
}

fn udp_data(
    f: &mut Flow,
    dir: usize,
    d: &Decoded<'_>,
    ts: i64,
    stats: &mut EngineStats,
    out: &mut EngineOutput,
) {
    let from_client = dir == 0;
    if !f.app_decided[dir] {
        f.app_decided[dir] = true;
        let guess = ident::identify(d.payload, ipproto::UDP, from_client)
            .or_else(|| ident::looks_encrypted(d.payload).then_some(AppProto::Encrypted));
        if let Some(g) = guess {
            set_app(f, g);
        }
    }
    if from_client && (f.quic.is_some() || quic::is_initial(d.payload)) {
        let q = f.quic.get_or_insert_with(QuicState::default);
        if !q.is_done()
            && let Some(r) = q.on_datagram(d.payload, f.id, ts)
        {
            f.app = AppProto::Quic;
            f.method = IdentMethod::Content;
            // Held until the flow ends, as a TCP handshake's record is: the
            // web row derived from it carries the flow's duration and bytes
            // (and with `ja4plus` the server's Initial adds its JA4S).
            q.pending = Some(r);
        }
        return;
    }
    #[cfg(feature = "ja4plus")]
    if !from_client
        && let Some(q) = f.quic.as_mut()
        && let Some(sh) = q.on_server_datagram(d.payload)
        && let Some(mut r) = q.pending.take()
    {
        let j = crate::ja4plus::ja4s(&sh, crate::tls::fingerprint::Ja4Transport::Quic);
        r.ja4s = Some(j.ja4s);
        r.ja4s_r = Some(j.ja4s_r);
        q.pending = Some(r);
    }
    if f.app == AppProto::Dns
        || d.sport == 53
        || d.dport == 53
        || d.sport == 5353
        || d.dport == 5353
    {
        match dns::parser::parse_message_lite(d.payload) {
            Ok(m) => out.dns.push(dns::DnsRecord::from_owned(
                m,
                f.id,
                ts,
                from_client,
                d.payload.len(),
            )),
            Err(_) => stats.dns_malformed += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::tests::eth_ipv4_tcp;
    use crate::tls::parser::tests::{client_hello, sni_ext};

    const C: [u8; 4] = [10, 0, 0, 5];
    const S: [u8; 4] = [93, 184, 216, 34];

    fn pkt(data: &[u8], ts: i64, off: u64) -> Packet<'_> {
        Packet {
            file_offset: off,
            ts_ns: ts,
            link_type: 1,
            interface: 0,
            caplen: data.len() as u32,
            origlen: data.len() as u32,
            data,
        }
    }

    #[test]
    fn names_are_the_serde_names() {
        let json = |v: serde_json::Value| v.as_str().unwrap_or_default().to_string();
        for e in [EndReason::Idle, EndReason::Active, EndReason::Evicted, EndReason::EndOfCapture] {
            assert_eq!(e.name(), json(serde_json::to_value(e).unwrap()));
        }
        for o in [Orientation::Syn, Orientation::Port, Orientation::FirstPacket] {
            assert_eq!(o.name(), json(serde_json::to_value(o).unwrap()));
        }
    }

    #[test]
    fn out_of_order_segments_are_reassembled_for_tls() {
        let hs = client_hello(&[0x1301, 0xc02b], &[sni_ext("ooo.example")]);
        let mut rec = vec![0x16, 3, 1, (hs.len() >> 8) as u8, hs.len() as u8];
        rec.extend_from_slice(&hs);
        let (a, b) = rec.split_at(30);
        let mut e = Engine::new(EngineConfig::default());
        let syn = eth_ipv4_tcp(C, S, 50000, 443, tcpflag::SYN, 999, b"");
        let synack = eth_ipv4_tcp(S, C, 443, 50000, tcpflag::SYN | tcpflag::ACK, 5000, b"");
        let seg2 = eth_ipv4_tcp(
            C,
            S,
            50000,
            443,
            tcpflag::ACK | tcpflag::PSH,
            1000 + a.len() as u32,
            b,
        );
        let seg1 = eth_ipv4_tcp(C, S, 50000, 443, tcpflag::ACK | tcpflag::PSH, 1000, a);
        let retx = seg1.clone();
        for (i, f) in [&syn, &synack, &seg2, &seg1, &retx].into_iter().enumerate() {
            e.process(&pkt(f, 1_000_000_000 + i as i64, 100 * i as u64));
        }
        let out = e.finish();
        assert_eq!(out.flows.len(), 1);
        let f = &out.flows[0];
        assert_eq!(
            (f.client_port, f.server_port, f.orientation),
            (50000, 443, Orientation::Syn)
        );
        assert_eq!((f.pkts_c2s, f.pkts_s2c), (4, 1));
        assert_eq!(f.payload_c2s, 2 * a.len() as u64 + b.len() as u64);
        assert_eq!(f.history, "ShD");
        assert_eq!(f.app_proto, AppProto::Tls);
        assert_eq!(
            f.packet_refs.decode(),
            vec![(0, 0), (0, 100), (0, 200), (0, 300), (0, 400)]
        );
        assert_eq!(out.tls.len(), 1);
        assert_eq!(out.tls[0].sni.as_deref(), Some("ooo.example"));
        assert_eq!(out.tls[0].flow_id, f.flow_id);
    }

    #[test]
    fn orientation_by_port_and_timeouts() {
        let mut e = Engine::new(EngineConfig {
            udp_idle_ns: 10,
            tcp_idle_ns: 10,
            active_ns: 1_000,
            ..Default::default()
        });
        // Mid-stream TCP from the server side (no SYN): port 443 makes it the server.
        let p = eth_ipv4_tcp(S, C, 443, 50001, tcpflag::ACK, 1, b"x");
        e.process(&pkt(&p, 0, 0));
        // Same 5-tuple again after the active timeout: a second record.
        e.process(&pkt(&p, 2_000, 1));
        // Something much later expires everything idle.
        let q = eth_ipv4_tcp(C, S, 40000, 80, tcpflag::SYN, 1, b"");
        e.process(&pkt(&q, 100_000_000_000, 2));
        let mid = e.drain_output();
        let out = e.finish();
        let all: Vec<_> = mid.flows.iter().chain(out.flows.iter()).collect();
        assert_eq!(all.len(), 3);
        assert!(all.iter().all(|f| f.client_ip.to_string() == "10.0.0.5"));
        assert_eq!(all[0].orientation, Orientation::Port);
        assert_eq!(all[0].end_reason, EndReason::Active);
        assert_eq!(all[1].end_reason, EndReason::Idle);
        assert_ne!(all[0].flow_id, all[1].flow_id);
        assert_eq!(out.flows[0].end_reason, EndReason::EndOfCapture);
        assert_eq!(
            (
                e.stats().flows_active,
                e.stats().flows_idle,
                e.stats().flows_end_of_capture
            ),
            (1, 1, 1)
        );
    }

    /// Flows ended together (end of capture, eviction) come out in the
    /// order they began, not in the hash table's order, which differs from
    /// engine to engine (each table draws its own seed).
    #[test]
    fn flows_ending_together_come_out_in_the_order_they_began() {
        let hello = |i: u16| {
            let hs = client_hello(&[0x1301], &[sni_ext(&format!("h{i}.example"))]);
            let mut rec = vec![0x16, 3, 1, (hs.len() >> 8) as u8, hs.len() as u8];
            rec.extend_from_slice(&hs);
            rec
        };
        let run = |max_flows: usize| {
            let mut e = Engine::new(EngineConfig { max_flows, ..Default::default() });
            let mut sni = Vec::new();
            for i in 0..64u16 {
                let p = eth_ipv4_tcp(C, S, 30000 + i, 443, tcpflag::ACK | tcpflag::PSH, 1, &hello(i));
                // Pairs share a timestamp: ties go by place in the input.
                e.process(&pkt(&p, 1_000 + i64::from(i / 2), u64::from(i) * 100));
                sni.extend(e.drain_output().tls.into_iter().filter_map(|t| t.sni));
            }
            sni.extend(e.finish().tls.into_iter().filter_map(|t| t.sni));
            sni
        };
        let began: Vec<String> = (0..64).map(|i| format!("h{i}.example")).collect();
        for max_flows in [1000, 16] {
            for _ in 0..4 {
                assert_eq!(run(max_flows), began, "max_flows {max_flows}");
            }
        }
    }

    #[test]
    fn flow_cap_evicts_and_counts() {
        let mut e = Engine::new(EngineConfig {
            max_flows: 10,
            ..Default::default()
        });
        for port in 0..25u16 {
            let p = eth_ipv4_tcp(C, S, 20000 + port, 443, tcpflag::SYN, 1, b"");
            e.process(&pkt(&p, port as i64, 0));
        }
        assert!(e.live_flows() <= 10);
        let out = e.finish();
        assert_eq!(out.flows.len(), 25);
        assert_eq!(e.stats().flows_evicted, 15);
        assert!(
            out.flows
                .iter()
                .filter(|f| f.end_reason == EndReason::Evicted)
                .all(|f| f.client_port < 20000 + 15)
        );
    }

    #[test]
    fn global_buffer_budget_is_enforced_and_released() {
        let mut e = Engine::new(EngineConfig {
            max_buffer_bytes: 10,
            ..Default::default()
        });
        // Undecided protocol, fewer than 16 bytes: held in the window.
        let a = eth_ipv4_tcp(
            C,
            S,
            30000,
            9999,
            tcpflag::ACK | tcpflag::PSH,
            1,
            b"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c",
        );
        e.process(&pkt(&a, 1, 0));
        assert_eq!(e.buffered, 12);
        let b = eth_ipv4_tcp(
            C,
            S,
            30001,
            9999,
            tcpflag::ACK | tcpflag::PSH,
            1,
            b"\x01\x02",
        );
        e.process(&pkt(&b, 2, 1));
        assert_eq!(e.stats().buffer_budget_drops, 1);
        let out = e.finish();
        assert_eq!(e.buffered, 0);
        assert_eq!(out.flows.iter().map(|f| f.reassembly_gaps).sum::<u32>(), 1);
    }

    #[test]
    fn packet_refs_roundtrip_across_files_and_cap() {
        let mut r = PacketRefs::default();
        r.push(0, 24, 1 << 10);
        r.push(0, 1_000_000, 1 << 10);
        r.push(3, 24, 1 << 10);
        r.push(3, 90, 1 << 10);
        assert_eq!(r.decode(), vec![(0, 24), (0, 1_000_000), (3, 24), (3, 90)]);
        let mut small = PacketRefs::default();
        for i in 0..100 {
            small.push(0, i * 100, 64);
        }
        assert_eq!(small.count as usize, small.decode().len());
        assert_eq!(small.count + small.truncated, 100);
        assert!(small.truncated > 0);
    }
}
