//! Packet decoder: link layer → IP → TCP/UDP/ICMP, with GRE and VXLAN
//! decapsulation.
//!
//! Header slicing is done by `etherparse`'s *lax* slicer, which keeps going
//! on snaplen-cut packets (the payload is then whatever was captured). The
//! link-layer shims etherparse lacks (Linux SLL2, BSD NULL/LOOP) and the
//! tunnel headers (GRE, VXLAN, GTP-U) are a few bytes each and are stripped here.
//!
//! IP fragments come back as [`Skip::Fragment`]; the engine reassembles
//! outer-layer fragments with [`crate::defrag`] and decodes the result.
//! Fragments inside a tunnel are counted, not reassembled.

use std::net::IpAddr;

use etherparse::{EtherType, IpNumber, LaxNetSlice, LaxSlicedPacket, TransportSlice};
use serde::Serialize;

use crate::defrag::Fragment;
use crate::reader::linktype;

/// IP protocol numbers used by the engine.
pub mod ipproto {
    /// ICMP.
    pub const ICMP: u8 = 1;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// GRE.
    pub const GRE: u8 = 47;
    /// ICMPv6.
    pub const ICMPV6: u8 = 58;
}

/// TCP flag bits as on the wire (byte 13).
pub mod tcpflag {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
    /// URG.
    pub const URG: u8 = 0x20;
}

/// A decoded IP packet (innermost IP layer after decapsulation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// IP protocol number (after IPv6 extension headers).
    pub proto: u8,
    /// Source port (TCP/UDP), ICMP type for ICMP, else 0.
    pub sport: u16,
    /// Destination port (TCP/UDP), ICMP code for ICMP, else 0.
    pub dport: u16,
    /// TCP details.
    pub tcp: Option<TcpInfo>,
    /// Transport payload as captured (may be cut by the snaplen).
    pub payload: &'a [u8],
    /// Transport payload length according to the headers (≥ `payload.len()`
    /// when the capture was cut).
    pub payload_wire_len: u32,
    /// IP packet length on the wire according to the IP header.
    pub ip_len: u32,
    /// The capture cut this packet short of its IP length.
    pub truncated: bool,
    /// TTL / hop limit.
    pub ttl: u8,
    /// Number of tunnel layers removed (GRE, VXLAN).
    pub tunnel_depth: u8,
}

/// TCP header fields the flow table needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpInfo {
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Flag byte (see [`tcpflag`]).
    pub flags: u8,
    /// Window.
    pub window: u16,
}

/// Why a packet produced no [`Decoded`]; each maps to a counter in
/// [`DecodeStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Link type not supported.
    UnsupportedLinkType,
    /// Shorter than its link-layer header.
    LinkTruncated,
    /// Not IP (ARP, LLDP, STP, …).
    NotIp,
    /// IP header missing or malformed.
    BadIp,
    /// An IP fragment (not reassembled yet).
    Fragment,
    /// TCP/UDP header cut or malformed.
    BadTransport,
    /// Too many nested tunnels.
    TunnelTooDeep,
}

/// Decoder counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DecodeStats {
    /// Packets decoded to IP + transport.
    pub decoded: u64,
    /// Unsupported link types.
    pub unsupported_link_type: u64,
    /// Truncated link headers.
    pub link_truncated: u64,
    /// Non-IP frames.
    pub not_ip: u64,
    /// Bad or missing IP headers.
    pub bad_ip: u64,
    /// IP fragments skipped.
    pub fragments: u64,
    /// Bad TCP/UDP headers.
    pub bad_transport: u64,
    /// Tunnel nesting above the limit.
    pub tunnel_too_deep: u64,
    /// Packets cut by the snaplen (decoded anyway).
    pub snaplen_cut: u64,
    /// Decoded packets that came out of a tunnel (GRE, VXLAN, GTP-U).
    pub tunnelled: u64,
}

impl DecodeStats {
    /// Count one decode outcome.
    pub fn count(&mut self, r: &Result<Decoded<'_>, Skip>) {
        match r {
            Ok(d) => {
                self.decoded += 1;
                if d.truncated {
                    self.snaplen_cut += 1;
                }
                if d.tunnel_depth > 0 {
                    self.tunnelled += 1;
                }
            }
            Err(Skip::UnsupportedLinkType) => self.unsupported_link_type += 1,
            Err(Skip::LinkTruncated) => self.link_truncated += 1,
            Err(Skip::NotIp) => self.not_ip += 1,
            Err(Skip::BadIp) => self.bad_ip += 1,
            Err(Skip::Fragment) => self.fragments += 1,
            Err(Skip::BadTransport) => self.bad_transport += 1,
            Err(Skip::TunnelTooDeep) => self.tunnel_too_deep += 1,
        }
    }
}

const MAX_TUNNEL_DEPTH: u8 = 4;
const VXLAN_PORT: u16 = 4789;
const GTPU_PORT: u16 = 2152;

/// The IP packet inside a GTP-U (v1) G-PDU, if `b` is one.
fn gtpu_inner(b: &[u8]) -> Option<&[u8]> {
    if b.len() < 8 || b[0] >> 5 != 1 || b[0] & 0x10 == 0 || b[1] != 0xff {
        return None;
    }
    let mut off = 8;
    if b[0] & 0x07 != 0 {
        // Sequence number, N-PDU number and next-extension-type fields.
        let mut next = *b.get(11)?;
        off = 12;
        let mut hops = 0;
        while next != 0 && hops < 8 {
            let units = *b.get(off)? as usize;
            if units == 0 {
                return None;
            }
            off += units * 4;
            next = *b.get(off - 1)?;
            hops += 1;
        }
    }
    let inner = b.get(off..)?;
    matches!(inner.first().map(|v| v >> 4), Some(4 | 6)).then_some(inner)
}

/// Decode one frame of the given LINKTYPE.
pub fn decode(link_type: u32, data: &[u8]) -> Result<Decoded<'_>, Skip> {
    if let Some(d) = fast_decode(link_type, data) {
        return Ok(d);
    }
    from_sliced(&slice_link(link_type, data)?, 0)
}

/// [`decode`] that, for an IP fragment, also hands back the sliced frame so
/// the caller can reassemble it without slicing the frame a second time.
pub(crate) fn decode_keep_fragment(
    link_type: u32,
    data: &[u8],
) -> (Result<Decoded<'_>, Skip>, Option<Fragment<'_>>) {
    if let Some(ip) = fast_link(link_type, data) {
        if let Some(d) = fast_decode_ip(ip) {
            return (Ok(d), None);
        }
        if let Some(f) = crate::defrag::fast_ipv4_fragment(ip) {
            return (Err(Skip::Fragment), Some(f));
        }
    }
    let p = match slice_link(link_type, data) {
        Ok(p) => p,
        Err(e) => return (Err(e), None),
    };
    match from_sliced(&p, 0) {
        Err(Skip::Fragment) => (Err(Skip::Fragment), crate::defrag::fragment_of(&p)),
        r => (r, None),
    }
}

/// Fast path for the common frame: Ethernet II (at most one 802.1Q tag) or
/// raw IP → a complete, unfragmented IPv4 (no AH) or IPv6 (no extension
/// headers) packet → a well-formed TCP or UDP header, not a tunnel port.
/// `None` for anything else, which the etherparse path then decodes. For the
/// frames it accepts the result is exactly what the etherparse path gives
/// (`fast_path_matches_etherparse` checks this); it exists because moving
/// etherparse's large `LaxSlicedPacket` around cost more than the parsing.
#[inline]
fn fast_decode(link_type: u32, data: &[u8]) -> Option<Decoded<'_>> {
    fast_decode_ip(fast_link(link_type, data)?)
}

/// The IP packet inside an Ethernet II frame (at most one 802.1Q tag, IPv4
/// or IPv6 ethertype) or a raw-IP frame; `None` for anything else.
#[inline]
fn fast_link(link_type: u32, data: &[u8]) -> Option<&[u8]> {
    Some(match link_type {
        linktype::ETHERNET => {
            let et = u16::from_be_bytes([*data.get(12)?, *data.get(13)?]);
            match et {
                0x0800 | 0x86dd => &data[14..],
                0x8100 => {
                    let inner = u16::from_be_bytes([*data.get(16)?, *data.get(17)?]);
                    if inner != 0x0800 && inner != 0x86dd {
                        return None;
                    }
                    &data[18..]
                }
                _ => return None,
            }
        }
        linktype::RAW
        | linktype::RAW_BSD
        | linktype::RAW_OPENBSD
        | linktype::IPV4
        | linktype::IPV6 => data,
        _ => return None,
    })
}

#[inline]
fn fast_decode_ip(ip: &[u8]) -> Option<Decoded<'_>> {
    let (src, dst, ttl, ip_len, proto, l4) = match ip.first()? >> 4 {
        4 => {
            let h = ip.get(..20)?;
            let hl = ((h[0] & 0x0f) as usize) * 4;
            let total = u16::from_be_bytes([h[2], h[3]]) as usize;
            // Fragment offset or MF set: fragmented.
            if hl < 20 || total < hl || total > ip.len() || h[6] & 0x3f != 0 || h[7] != 0 {
                return None;
            }
            let s = IpAddr::V4([h[12], h[13], h[14], h[15]].into());
            let t = IpAddr::V4([h[16], h[17], h[18], h[19]].into());
            (s, t, h[8], total as u32, h[9], &ip[hl..total])
        }
        6 => {
            let h = ip.get(..40)?;
            let plen = u16::from_be_bytes([h[4], h[5]]) as usize;
            if plen == 0 || 40 + plen > ip.len() {
                return None;
            }
            let s: [u8; 16] = h[8..24].try_into().ok()?;
            let t: [u8; 16] = h[24..40].try_into().ok()?;
            (
                IpAddr::V6(s.into()),
                IpAddr::V6(t.into()),
                h[7],
                40 + plen as u32,
                h[6],
                &ip[40..40 + plen],
            )
        }
        _ => return None,
    };
    let sport = u16::from_be_bytes([*l4.first()?, *l4.get(1)?]);
    let dport = u16::from_be_bytes([*l4.get(2)?, *l4.get(3)?]);
    let (tcp, payload) = match proto {
        ipproto::TCP => {
            let h = l4.get(..20)?;
            let hl = ((h[12] >> 4) as usize) * 4;
            if hl < 20 || hl > l4.len() {
                return None;
            }
            let tcp = TcpInfo {
                seq: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
                ack: u32::from_be_bytes([h[8], h[9], h[10], h[11]]),
                flags: h[13],
                window: u16::from_be_bytes([h[14], h[15]]),
            };
            (Some(tcp), &l4[hl..])
        }
        ipproto::UDP => {
            let ulen = u16::from_be_bytes([*l4.get(4)?, *l4.get(5)?]) as usize;
            if ulen < 8
                || ulen > l4.len()
                || sport == GTPU_PORT
                || dport == GTPU_PORT
                || dport == VXLAN_PORT
            {
                return None;
            }
            (None, &l4[8..ulen])
        }
        _ => return None,
    };
    Some(Decoded {
        src,
        dst,
        proto,
        sport,
        dport,
        tcp,
        payload,
        payload_wire_len: payload.len() as u32,
        ip_len,
        truncated: false,
        ttl,
        tunnel_depth: 0,
    })
}

/// Strip the link layer and slice the rest with etherparse.
pub(crate) fn slice_link(link_type: u32, data: &[u8]) -> Result<LaxSlicedPacket<'_>, Skip> {
    Ok(match link_type {
        linktype::ETHERNET => {
            LaxSlicedPacket::from_ethernet(data).map_err(|_| Skip::LinkTruncated)?
        }
        linktype::RAW
        | linktype::RAW_BSD
        | linktype::RAW_OPENBSD
        | linktype::IPV4
        | linktype::IPV6 => LaxSlicedPacket::from_ip(data).map_err(|_| Skip::BadIp)?,
        linktype::NULL | linktype::LOOP => {
            if data.len() < 4 {
                return Err(Skip::LinkTruncated);
            }
            // Address family in host order (NULL) or network order (LOOP);
            // the writer's byte order is unknown, so accept both.
            let le = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
            let be = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
            let fam = if le < 256 { le } else { be };
            match fam {
                // AF_INET = 2; AF_INET6 = 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
                2 | 10 | 24 | 28 | 30 => {
                    LaxSlicedPacket::from_ip(&data[4..]).map_err(|_| Skip::BadIp)?
                }
                _ => return Err(Skip::NotIp),
            }
        }
        linktype::LINUX_SLL => {
            if data.len() < 16 {
                return Err(Skip::LinkTruncated);
            }
            let et = u16::from_be_bytes([data[14], data[15]]);
            LaxSlicedPacket::from_ether_type(EtherType(et), &data[16..])
        }
        linktype::LINUX_SLL2 => {
            if data.len() < 20 {
                return Err(Skip::LinkTruncated);
            }
            let et = u16::from_be_bytes([data[0], data[1]]);
            LaxSlicedPacket::from_ether_type(EtherType(et), &data[20..])
        }
        _ => return Err(Skip::UnsupportedLinkType),
    })
}

fn from_sliced<'a>(p: &LaxSlicedPacket<'a>, depth: u8) -> Result<Decoded<'a>, Skip> {
    let Some(net) = &p.net else {
        return Err(if p.stop_err.is_some() {
            Skip::BadIp
        } else {
            Skip::NotIp
        });
    };
    let (src, dst, ttl, ip_len, ip_payload) = match net {
        LaxNetSlice::Ipv4(v4) => {
            let h = v4.header();
            (
                IpAddr::V4(h.source_addr()),
                IpAddr::V4(h.destination_addr()),
                h.ttl(),
                h.total_len() as u32,
                v4.payload(),
            )
        }
        LaxNetSlice::Ipv6(v6) => {
            let h = v6.header();
            (
                IpAddr::V6(h.source_addr()),
                IpAddr::V6(h.destination_addr()),
                h.hop_limit(),
                40 + h.payload_length() as u32,
                v6.payload(),
            )
        }
        LaxNetSlice::Arp(_) => return Err(Skip::NotIp),
    };
    if ip_payload.fragmented {
        return Err(Skip::Fragment);
    }
    let proto = ip_payload.ip_number.0;
    let truncated = ip_payload.incomplete;
    let mut d = Decoded {
        src,
        dst,
        proto,
        sport: 0,
        dport: 0,
        tcp: None,
        payload: ip_payload.payload,
        payload_wire_len: ip_payload.payload.len() as u32,
        ip_len,
        truncated,
        ttl,
        tunnel_depth: depth,
    };
    match &p.transport {
        Some(TransportSlice::Tcp(t)) => {
            d.sport = t.source_port();
            d.dport = t.destination_port();
            let hl = t.header_slice().len();
            let hdr = t.header_slice();
            d.tcp = Some(TcpInfo {
                seq: t.sequence_number(),
                ack: t.acknowledgment_number(),
                flags: hdr.get(13).copied().unwrap_or(0),
                window: t.window_size(),
            });
            d.payload = t.payload();
            d.payload_wire_len = wire_payload_len(net, hl).unwrap_or(d.payload.len() as u32);
        }
        Some(TransportSlice::Udp(u)) => {
            d.sport = u.source_port();
            d.dport = u.destination_port();
            d.payload = u.payload();
            d.payload_wire_len = (u.length() as u32)
                .saturating_sub(8)
                .max(d.payload.len() as u32);
            if (d.dport == GTPU_PORT || d.sport == GTPU_PORT)
                && let Some(inner) = gtpu_inner(d.payload)
            {
                if depth >= MAX_TUNNEL_DEPTH {
                    return Err(Skip::TunnelTooDeep);
                }
                if let Ok(inner) = LaxSlicedPacket::from_ip(inner)
                    && inner.net.is_some()
                {
                    return from_sliced(&inner, depth + 1);
                }
            }
            if d.dport == VXLAN_PORT && d.payload.len() >= 8 + 14 && d.payload[0] & 0x08 != 0 {
                if depth >= MAX_TUNNEL_DEPTH {
                    return Err(Skip::TunnelTooDeep);
                }
                if let Ok(inner) = LaxSlicedPacket::from_ethernet(&d.payload[8..])
                    && inner.net.is_some()
                {
                    return from_sliced(&inner, depth + 1);
                }
            }
        }
        Some(TransportSlice::Icmpv4(i)) => {
            d.sport = i.type_u8() as u16;
            d.dport = i.code_u8() as u16;
            d.payload = i.payload();
        }
        Some(TransportSlice::Icmpv6(i)) => {
            d.sport = i.type_u8() as u16;
            d.dport = i.code_u8() as u16;
            d.payload = i.payload();
        }
        Some(_) => {}
        None => {
            if proto == IpNumber::TCP.0 || proto == IpNumber::UDP.0 {
                return Err(Skip::BadTransport);
            }
            if proto == ipproto::GRE {
                if depth >= MAX_TUNNEL_DEPTH {
                    return Err(Skip::TunnelTooDeep);
                }
                if let Some(inner) = gre_inner(ip_payload.payload) {
                    return from_sliced(&inner, depth + 1);
                }
            }
        }
    }
    Ok(d)
}

fn wire_payload_len(net: &LaxNetSlice<'_>, tcp_hdr_len: usize) -> Option<u32> {
    let ip_payload_len = match net {
        LaxNetSlice::Ipv4(v4) => {
            let h = v4.header();
            (h.total_len() as u32).checked_sub(h.ihl() as u32 * 4)?
        }
        LaxNetSlice::Ipv6(v6) => {
            // Payload length covers the extension headers too.
            let ext_len = v6.extensions().slice().len() as u32;
            (v6.header().payload_length() as u32).checked_sub(ext_len)?
        }
        LaxNetSlice::Arp(_) => return None,
    };
    ip_payload_len.checked_sub(tcp_hdr_len as u32)
}

/// Strip a GRE header (RFC 2784/2890, plus ERSPAN type II) and slice what it carries.
fn gre_inner(b: &[u8]) -> Option<LaxSlicedPacket<'_>> {
    if b.len() < 4 {
        return None;
    }
    let flags = b[0];
    let version = b[1] & 0x07;
    if version != 0 {
        return None; // GRE v1 is PPTP (enhanced GRE + PPP): not decapsulated.
    }
    let mut off = 4;
    if flags & 0x80 != 0 {
        off += 4; // checksum + reserved
    }
    if flags & 0x20 != 0 {
        off += 4; // key
    }
    if flags & 0x10 != 0 {
        off += 4; // sequence
    }
    let proto = u16::from_be_bytes([b[2], b[3]]);
    let rest = b.get(off..)?;
    match proto {
        // Transparent Ethernet bridging.
        0x6558 => LaxSlicedPacket::from_ethernet(rest).ok(),
        // ERSPAN type II: 8-byte header then Ethernet.
        0x88be => LaxSlicedPacket::from_ethernet(rest.get(8..)?).ok(),
        0x0800 | 0x86dd => LaxSlicedPacket::from_ip(rest).ok(),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    /// Ethernet + IPv4 + TCP (SYN|ACK) with a payload, built by hand.
    pub(crate) fn eth_ipv4_tcp(
        src: [u8; 4],
        dst: [u8; 4],
        sp: u16,
        dp: u16,
        flags: u8,
        seq: u32,
        payload: &[u8],
    ) -> Vec<u8> {
        let mut v = vec![0u8; 12];
        v.extend_from_slice(&[0x08, 0x00]);
        v.extend_from_slice(&ipv4_tcp(src, dst, sp, dp, flags, seq, payload));
        v
    }

    pub(crate) fn ipv4_tcp(
        src: [u8; 4],
        dst: [u8; 4],
        sp: u16,
        dp: u16,
        flags: u8,
        seq: u32,
        payload: &[u8],
    ) -> Vec<u8> {
        let total = 20 + 20 + payload.len();
        let mut v = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            1,
            0x40,
            0,
            64,
            6,
            0,
            0,
        ];
        v.extend_from_slice(&src);
        v.extend_from_slice(&dst);
        v.extend_from_slice(&sp.to_be_bytes());
        v.extend_from_slice(&dp.to_be_bytes());
        v.extend_from_slice(&seq.to_be_bytes());
        v.extend_from_slice(&0u32.to_be_bytes());
        v.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn ethernet_ipv4_tcp() {
        let f = eth_ipv4_tcp(
            [10, 0, 0, 1],
            [8, 8, 8, 8],
            40000,
            443,
            tcpflag::PSH | tcpflag::ACK,
            1000,
            b"hello",
        );
        let d = decode(linktype::ETHERNET, &f).unwrap();
        assert_eq!(d.src, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!((d.proto, d.sport, d.dport), (6, 40000, 443));
        assert_eq!(d.tcp.unwrap().seq, 1000);
        assert_eq!(d.tcp.unwrap().flags, 0x18);
        assert_eq!(d.payload, b"hello");
        assert!(!d.truncated);
    }

    #[test]
    fn snaplen_cut_keeps_captured_payload() {
        let f = eth_ipv4_tcp(
            [10, 0, 0, 1],
            [8, 8, 8, 8],
            40000,
            80,
            0x18,
            1,
            &[b'A'; 100],
        );
        let d = decode(linktype::ETHERNET, &f[..14 + 40 + 10]).unwrap();
        assert!(d.truncated);
        assert_eq!(d.payload.len(), 10);
        assert_eq!(d.payload_wire_len, 100);
    }

    #[test]
    fn vlan_qinq_sll_sll2_null_raw() {
        let ip = ipv4_tcp([1, 2, 3, 4], [5, 6, 7, 8], 1, 2, 2, 0, b"");
        let mut qinq = vec![0u8; 12];
        qinq.extend_from_slice(&[0x88, 0xa8, 0, 10, 0x81, 0x00, 0, 20, 0x08, 0x00]);
        qinq.extend_from_slice(&ip);
        assert_eq!(decode(linktype::ETHERNET, &qinq).unwrap().dport, 2);
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[0x08, 0x00]);
        sll.extend_from_slice(&ip);
        assert_eq!(decode(linktype::LINUX_SLL, &sll).unwrap().sport, 1);
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0u8; 18]);
        sll2.extend_from_slice(&ip);
        assert_eq!(decode(linktype::LINUX_SLL2, &sll2).unwrap().sport, 1);
        let mut null = 2u32.to_le_bytes().to_vec();
        null.extend_from_slice(&ip);
        assert_eq!(decode(linktype::NULL, &null).unwrap().dport, 2);
        assert_eq!(decode(linktype::RAW, &ip).unwrap().dport, 2);
        assert_eq!(decode(999, &ip), Err(Skip::UnsupportedLinkType));
        assert_eq!(
            decode(linktype::LINUX_SLL, &sll[..10]),
            Err(Skip::LinkTruncated)
        );
    }

    #[test]
    fn gre_and_vxlan_are_decapsulated() {
        let inner = ipv4_tcp([192, 168, 0, 1], [192, 168, 0, 2], 5555, 80, 2, 0, b"");
        // GRE (key present) carrying IPv4.
        let mut gre = vec![0x20, 0x00, 0x08, 0x00, 0, 0, 0, 7];
        gre.extend_from_slice(&inner);
        let total = 20 + gre.len();
        let mut outer = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            1,
            0x40,
            0,
            64,
            47,
            0,
            0,
            1,
            1,
            1,
            1,
            2,
            2,
            2,
            2,
        ];
        outer.extend_from_slice(&gre);
        let d = decode(linktype::RAW, &outer).unwrap();
        assert_eq!((d.dport, d.tunnel_depth), (80, 1));
        // VXLAN: UDP/4789 + 8-byte header + Ethernet.
        let mut vx = vec![0x08, 0, 0, 0, 0, 0, 1, 0];
        vx.extend_from_slice(&[0u8; 12]);
        vx.extend_from_slice(&[0x08, 0x00]);
        vx.extend_from_slice(&inner);
        let ulen = 8 + vx.len();
        let total = 20 + ulen;
        let mut outer = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            1,
            0x40,
            0,
            64,
            17,
            0,
            0,
            1,
            1,
            1,
            1,
            2,
            2,
            2,
            2,
        ];
        outer.extend_from_slice(&1234u16.to_be_bytes());
        outer.extend_from_slice(&4789u16.to_be_bytes());
        outer.extend_from_slice(&(ulen as u16).to_be_bytes());
        outer.extend_from_slice(&[0, 0]);
        outer.extend_from_slice(&vx);
        let d = decode(linktype::RAW, &outer).unwrap();
        assert_eq!(d.src, IpAddr::V4(Ipv4Addr::new(192, 168, 0, 1)));
        assert_eq!(d.tunnel_depth, 1);
    }

    #[test]
    fn gtpu_is_decapsulated() {
        let inner = ipv4_tcp([10, 1, 1, 1], [10, 2, 2, 2], 4000, 443, 2, 0, b"");
        let mut gtp = vec![
            0x32,
            0xff,
            0,
            (inner.len() + 4) as u8,
            0,
            0,
            0,
            1,
            0,
            7,
            0,
            0,
        ];
        gtp.extend_from_slice(&inner);
        let ulen = 8 + gtp.len();
        let total = 20 + ulen;
        let mut outer = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            1,
            0x40,
            0,
            64,
            17,
            0,
            0,
            1,
            1,
            1,
            1,
            2,
            2,
            2,
            2,
        ];
        outer.extend_from_slice(&2152u16.to_be_bytes());
        outer.extend_from_slice(&2152u16.to_be_bytes());
        outer.extend_from_slice(&(ulen as u16).to_be_bytes());
        outer.extend_from_slice(&[0, 0]);
        outer.extend_from_slice(&gtp);
        let d = decode(linktype::RAW, &outer).unwrap();
        assert_eq!((d.dport, d.tunnel_depth), (443, 1));
        assert_eq!(gtpu_inner(&[0x32, 0xff, 0, 0]), None);
    }

    /// The fast path must agree with etherparse on every frame it accepts:
    /// IPv4/IPv6 × TCP/UDP, plain and VLAN-tagged, every truncation, and
    /// many single- and double-byte header corruptions.
    #[test]
    fn fast_path_matches_etherparse() {
        let tcp4 = eth_ipv4_tcp(
            [10, 0, 0, 1],
            [8, 8, 8, 8],
            40000,
            443,
            0x18,
            7,
            b"payload!",
        );
        let mut udp4 = tcp4.clone();
        udp4[14 + 9] = 17;
        udp4[14 + 20 + 4..14 + 20 + 6].copy_from_slice(&16u16.to_be_bytes());
        let mut tcp6 = vec![0u8; 12];
        tcp6.extend_from_slice(&[0x86, 0xdd, 0x60, 0, 0, 0, 0, 28, 6, 64]);
        tcp6.extend((0..32).map(|i| i as u8));
        tcp6.extend_from_slice(&tcp4[14 + 20..]);
        let mut udp6 = tcp6.clone();
        udp6[14 + 6] = 17;
        udp6[14 + 40 + 4..14 + 40 + 6].copy_from_slice(&28u16.to_be_bytes());
        let vlan = |f: &[u8]| {
            let mut v = f[..12].to_vec();
            v.extend_from_slice(&[0x81, 0x00, 0, 5]);
            v.extend_from_slice(&f[12..]);
            v
        };
        let mut frames = vec![tcp4.clone(), udp4.clone(), tcp6.clone(), udp6.clone()];
        frames.extend([vlan(&tcp4), vlan(&udp6)]);
        let padded = [tcp4.clone(), vec![0; 6]].concat();
        frames.push(padded);
        // IPv4 fragments: first (MF), middle (MF + offset), last (offset).
        for (b6, b7) in [(0x20, 0), (0x20, 3), (0x00, 0x81)] {
            let mut f = udp4.clone();
            f[14 + 6] = b6;
            f[14 + 7] = b7;
            frames.push(f);
        }
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let (mut checked, mut fast, mut frags) = (0, 0, 0);
        for base in &frames {
            let mut variants: Vec<Vec<u8>> = (0..=base.len()).map(|n| base[..n].to_vec()).collect();
            for _ in 0..4000 {
                let mut v = base.clone();
                for _ in 0..1 + next() % 2 {
                    let i = (next() % 80) as usize % v.len();
                    v[i] = next() as u8;
                }
                variants.push(v);
            }
            for v in &variants {
                for lt in [linktype::ETHERNET, linktype::RAW] {
                    let f = if lt == linktype::RAW {
                        v.get(14..).unwrap_or(&[])
                    } else {
                        v
                    };
                    checked += 1;
                    if let Some(d) = fast_decode(lt, f) {
                        fast += 1;
                        let slow = slice_link(lt, f).and_then(|p| from_sliced(&p, 0));
                        assert_eq!(Ok(d), slow, "frame {f:02x?}");
                    }
                    if let Some(frag) = fast_link(lt, f).and_then(crate::defrag::fast_ipv4_fragment)
                    {
                        frags += 1;
                        let p = slice_link(lt, f).unwrap();
                        assert_eq!(from_sliced(&p, 0), Err(Skip::Fragment), "frame {f:02x?}");
                        let slow = crate::defrag::fragment_of(&p).unwrap();
                        assert_eq!(format!("{frag:?}"), format!("{slow:?}"), "frame {f:02x?}");
                    }
                }
            }
        }
        assert!(fast > checked / 4, "{fast} of {checked}");
        assert!(frags > 100, "{frags} fragments");
    }

    #[test]
    fn fragments_and_garbage_are_skipped() {
        let mut ip = ipv4_tcp([1, 2, 3, 4], [5, 6, 7, 8], 1, 2, 2, 0, b"xxxxxxxx");
        ip[6] = 0x20; // MF
        assert_eq!(decode(linktype::RAW, &ip), Err(Skip::Fragment));
        assert_eq!(decode(linktype::RAW, &[0x45, 0, 0]), Err(Skip::BadIp));
        let mut arp = vec![0u8; 12];
        arp.extend_from_slice(&[0x08, 0x06]);
        arp.extend_from_slice(&[0u8; 28]);
        assert!(decode(linktype::ETHERNET, &arp).is_err());
    }
}
