//! IPv4/IPv6 fragment reassembly with a timeout and memory caps.
//!
//! Each datagram is collected in an `etherparse::defrag::IpDefragBuf` (which
//! checks overlaps, alignment and the 64 KiB limit); the pool around it is
//! ours because etherparse's `IpDefragPool` has no memory bound. A completed
//! datagram is rebuilt as a plain IP packet (fresh header, no fragmentation)
//! so it goes through the normal decoder.

use std::collections::HashMap;
use std::net::IpAddr;

use etherparse::defrag::IpDefragBuf;
use etherparse::{IpNumber, Ipv6ExtensionSlice, LaxNetSlice, LaxSlicedPacket};
use serde::Serialize;

/// Fragment reassembly counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DefragStats {
    /// Fragments received.
    pub fragments: u64,
    /// Datagrams completed.
    pub reassembled: u64,
    /// Datagrams dropped unfinished by the timeout.
    pub timed_out: u64,
    /// Fragments refused because a cap was reached.
    pub over_cap: u64,
    /// Fragments rejected as inconsistent (overlap/end conflict, misaligned, too big).
    pub invalid: u64,
}

/// Limits. Defaults: 30 s (RFC 791 suggests 15–120 s), 4096 datagrams, 32 MiB.
#[derive(Debug, Clone)]
pub struct DefragConfig {
    /// Drop unfinished datagrams older than this (ns).
    pub timeout_ns: i64,
    /// Datagrams in progress at once.
    pub max_datagrams: usize,
    /// Bytes buffered across all datagrams.
    pub max_bytes: usize,
}

impl Default for DefragConfig {
    fn default() -> Self {
        DefragConfig {
            timeout_ns: 30_000_000_000,
            max_datagrams: 4096,
            max_bytes: 32 << 20,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    id: u32,
    proto: u8,
}

/// One fragment, as sliced from a packet.
#[derive(Debug, Clone, Copy)]
pub struct Fragment<'a> {
    src: IpAddr,
    dst: IpAddr,
    id: u32,
    proto: u8,
    ttl: u8,
    offset: etherparse::IpFragOffset,
    more: bool,
    payload: &'a [u8],
}

/// Extract fragment information from an already-sliced packet.
pub(crate) fn fragment_of<'a>(p: &LaxSlicedPacket<'a>) -> Option<Fragment<'a>> {
    match p.net.as_ref()? {
        LaxNetSlice::Ipv4(v4) => {
            let h = v4.header();
            if !h.is_fragmenting_payload() {
                return None;
            }
            let pl = v4.payload();
            Some(Fragment {
                src: IpAddr::V4(h.source_addr()),
                dst: IpAddr::V4(h.destination_addr()),
                id: h.identification() as u32,
                proto: pl.ip_number.0,
                ttl: h.ttl(),
                offset: h.fragments_offset(),
                more: h.more_fragments(),
                payload: pl.payload,
            })
        }
        LaxNetSlice::Ipv6(v6) => {
            let h = v6.header();
            let frag = v6.extensions().clone().into_iter().find_map(|e| match e {
                Ipv6ExtensionSlice::Fragment(f) if f.is_fragmenting_payload() => Some(f),
                _ => None,
            })?;
            let pl = v6.payload();
            Some(Fragment {
                src: IpAddr::V6(h.source_addr()),
                dst: IpAddr::V6(h.destination_addr()),
                id: frag.identification(),
                proto: pl.ip_number.0,
                ttl: h.hop_limit(),
                offset: frag.fragment_offset(),
                more: frag.more_fragments(),
                payload: pl.payload,
            })
        }
        LaxNetSlice::Arp(_) => None,
    }
}

/// Fast path of [`fragment_of`] for a complete IPv4 fragment (header and
/// total length within the captured bytes, no AH): the same [`Fragment`]
/// without slicing the frame with etherparse. `None` for anything else.
pub(crate) fn fast_ipv4_fragment(ip: &[u8]) -> Option<Fragment<'_>> {
    let h = ip.get(..20)?;
    let hl = ((h[0] & 0x0f) as usize) * 4;
    let total = u16::from_be_bytes([h[2], h[3]]) as usize;
    let fragmenting = h[6] & 0x3f != 0 || h[7] != 0;
    if h[0] >> 4 != 4
        || hl < 20
        || total < hl
        || total > ip.len()
        || !fragmenting
        || h[9] == IpNumber::AUTHENTICATION_HEADER.0
    {
        return None;
    }
    Some(Fragment {
        src: IpAddr::V4([h[12], h[13], h[14], h[15]].into()),
        dst: IpAddr::V4([h[16], h[17], h[18], h[19]].into()),
        id: u16::from_be_bytes([h[4], h[5]]) as u32,
        proto: h[9],
        ttl: h[8],
        offset: etherparse::IpFragOffset::try_new(u16::from_be_bytes([h[6] & 0x1f, h[7]])).ok()?,
        more: h[6] & 0x20 != 0,
        payload: &ip[hl..total],
    })
}

/// The reassembly pool.
#[derive(Debug, Default)]
pub struct Defragmenter {
    cfg: DefragConfig,
    active: HashMap<Key, (IpDefragBuf, i64, usize, u8), foldhash::fast::RandomState>,
    bytes: usize,
    /// Counters.
    pub stats: DefragStats,
}

impl Defragmenter {
    /// A pool with the given limits.
    pub fn new(cfg: DefragConfig) -> Self {
        Defragmenter {
            cfg,
            ..Default::default()
        }
    }

    /// Drop datagrams older than the timeout relative to `now`.
    pub fn expire(&mut self, now: i64) {
        let timeout = self.cfg.timeout_ns;
        let before = self.active.len();
        let mut freed = 0;
        self.active.retain(|_, (_, t, b, _)| {
            let keep = now.saturating_sub(*t) <= timeout;
            if !keep {
                freed += *b;
            }
            keep
        });
        self.bytes -= freed;
        self.stats.timed_out += (before - self.active.len()) as u64;
    }

    /// Add a fragment; returns the rebuilt, unfragmented IP packet when complete.
    pub fn add(&mut self, f: Fragment<'_>, ts: i64) -> Option<Vec<u8>> {
        self.stats.fragments += 1;
        let key = Key {
            src: f.src,
            dst: f.dst,
            id: f.id,
            proto: f.proto,
        };
        if !self.active.contains_key(&key) {
            if self.active.len() >= self.cfg.max_datagrams {
                self.expire(ts);
            }
            if self.active.len() >= self.cfg.max_datagrams {
                self.stats.over_cap += 1;
                return None;
            }
            self.active.insert(
                key,
                (
                    IpDefragBuf::new(IpNumber(f.proto), Vec::new(), Vec::new()),
                    ts,
                    0,
                    f.ttl,
                ),
            );
        }
        if self.bytes + f.payload.len() > self.cfg.max_bytes {
            self.stats.over_cap += 1;
            return None;
        }
        let entry = self.active.get_mut(&key).expect("present");
        if entry.0.add(f.offset, f.more, f.payload).is_err() {
            self.stats.invalid += 1;
            let (_, _, b, _) = self.active.remove(&key).expect("present");
            self.bytes -= b;
            return None;
        }
        entry.2 += f.payload.len();
        self.bytes += f.payload.len();
        if !entry.0.is_complete() {
            return None;
        }
        let (buf, _, b, ttl) = self.active.remove(&key).expect("present");
        self.bytes -= b;
        self.stats.reassembled += 1;
        let (data, _) = buf.take_bufs();
        Some(rebuild(key, ttl, &data))
    }
}

/// A fresh IP header (checksum left zero: nothing downstream verifies it).
fn rebuild(k: Key, ttl: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(40 + payload.len());
    match (k.src, k.dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let total = (20 + payload.len()).min(0xffff) as u16;
            v.extend_from_slice(&[0x45, 0]);
            v.extend_from_slice(&total.to_be_bytes());
            v.extend_from_slice(&[0, 0, 0, 0, ttl, k.proto, 0, 0]);
            v.extend_from_slice(&s.octets());
            v.extend_from_slice(&d.octets());
        }
        (s, d) => {
            let to16 = |a: IpAddr| match a {
                IpAddr::V6(x) => x.octets(),
                IpAddr::V4(x) => x.to_ipv6_mapped().octets(),
            };
            v.extend_from_slice(&[0x60, 0, 0, 0]);
            v.extend_from_slice(&(payload.len().min(0xffff) as u16).to_be_bytes());
            v.extend_from_slice(&[k.proto, ttl]);
            v.extend_from_slice(&to16(s));
            v.extend_from_slice(&to16(d));
        }
    }
    v.extend_from_slice(payload);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode;
    use crate::reader::linktype;

    fn frag(id: u16, off8: u16, more: bool, payload: &[u8]) -> Vec<u8> {
        let total = 20 + payload.len();
        let fo = off8 | if more { 0x2000 } else { 0 };
        let mut v = vec![0x45, 0, (total >> 8) as u8, total as u8];
        v.extend_from_slice(&id.to_be_bytes());
        v.extend_from_slice(&fo.to_be_bytes());
        v.extend_from_slice(&[64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn two_fragments_make_one_udp_datagram_in_any_order() {
        let mut udp = vec![0x30, 0x39, 0x00, 0x35, 0, 40, 0, 0];
        udp.extend_from_slice(&[b'x'; 32]);
        let a = frag(7, 0, true, &udp[..16]);
        let b = frag(7, 2, false, &udp[16..]);
        let mut d = Defragmenter::new(DefragConfig::default());
        for order in [[&b, &a], [&a, &b]] {
            let f0 = fragment_of(&LaxSlicedPacket::from_ip(order[0]).unwrap()).unwrap();
            assert!(d.add(f0, 1).is_none());
            let f1 = fragment_of(&LaxSlicedPacket::from_ip(order[1]).unwrap()).unwrap();
            let whole = d.add(f1, 2).expect("complete");
            let dec = decode(linktype::RAW, &whole).unwrap();
            assert_eq!((dec.sport, dec.dport, dec.payload.len()), (12345, 53, 32));
        }
        assert_eq!(d.stats.reassembled, 2);
        assert_eq!(d.bytes, 0);
    }

    #[test]
    fn caps_and_timeouts_bound_memory() {
        let mut d = Defragmenter::new(DefragConfig {
            timeout_ns: 10,
            max_datagrams: 2,
            max_bytes: 1 << 20,
        });
        for id in 0..3u16 {
            let p = frag(id, 0, true, &[0u8; 16]);
            assert!(
                d.add(
                    fragment_of(&LaxSlicedPacket::from_ip(&p).unwrap()).unwrap(),
                    0
                )
                .is_none()
            );
        }
        assert_eq!(d.stats.over_cap, 1);
        d.expire(100);
        assert_eq!((d.stats.timed_out, d.active.len(), d.bytes), (2, 0, 0));
        // Misaligned non-final fragment is invalid.
        let p = frag(9, 0, true, &[0u8; 13]);
        assert!(
            d.add(
                fragment_of(&LaxSlicedPacket::from_ip(&p).unwrap()).unwrap(),
                0
            )
            .is_none()
        );
        assert_eq!(d.stats.invalid, 1);
    }
}
