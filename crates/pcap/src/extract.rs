//! Write a subset of a capture (e.g. one flow's packets, from
//! [`crate::PacketRefs`]) to a new classic pcap file for Wireshark.

use std::collections::BTreeSet;
use std::io::{self, Write};

use crate::reader::{CaptureError, CaptureReader};

/// What [`write_pcap_subset`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtractSummary {
    /// Packets written.
    pub written: u64,
    /// Requested offsets whose packet had a different link type than the
    /// first one written (a classic pcap has one link type).
    pub skipped_link_type: u64,
    /// Requested offsets not found in the capture.
    pub not_found: u64,
}

/// Stream through `reader` and write the packets whose `file_offset` is in
/// `offsets` as a nanosecond pcap to `out`.
pub fn write_pcap_subset(
    mut reader: CaptureReader,
    offsets: &[u64],
    mut out: impl Write,
) -> Result<ExtractSummary, CaptureError> {
    let io_err = |e: io::Error| CaptureError::Io {
        path: "<output>".into(),
        source: e,
    };
    let mut want: BTreeSet<u64> = offsets.iter().copied().collect();
    let mut sum = ExtractSummary::default();
    let mut link: Option<u32> = None;
    while !want.is_empty() {
        let Some(p) = reader.next_packet()? else {
            break;
        };
        if !want.remove(&p.file_offset) {
            continue;
        }
        let lt = *link.get_or_insert(p.link_type);
        if sum.written == 0 && sum.skipped_link_type == 0 {
            // Global header: magic for ns timestamps, v2.4, snaplen 262144.
            let mut h = Vec::with_capacity(24);
            h.extend_from_slice(&0xa1b2_3c4du32.to_le_bytes());
            h.extend_from_slice(&2u16.to_le_bytes());
            h.extend_from_slice(&4u16.to_le_bytes());
            h.extend_from_slice(&[0; 8]);
            h.extend_from_slice(&262_144u32.to_le_bytes());
            h.extend_from_slice(&lt.to_le_bytes());
            out.write_all(&h).map_err(io_err)?;
        }
        if p.link_type != lt {
            sum.skipped_link_type += 1;
            continue;
        }
        let secs = p.ts_ns.div_euclid(1_000_000_000).clamp(0, u32::MAX as i64) as u32;
        let nanos = p.ts_ns.rem_euclid(1_000_000_000) as u32;
        let mut r = Vec::with_capacity(16);
        r.extend_from_slice(&secs.to_le_bytes());
        r.extend_from_slice(&nanos.to_le_bytes());
        r.extend_from_slice(&p.caplen.to_le_bytes());
        r.extend_from_slice(&p.origlen.to_le_bytes());
        out.write_all(&r).map_err(io_err)?;
        out.write_all(p.data).map_err(io_err)?;
        sum.written += 1;
    }
    sum.not_found = want.len() as u64;
    out.flush().map_err(io_err)?;
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::tests::eth_ipv4_tcp;
    use crate::{Engine, EngineConfig};

    #[test]
    fn one_flow_is_extracted_and_reads_back() {
        // Two flows interleaved in one capture.
        let mut cap = vec![
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0,
            0,
        ];
        for i in 0..6u32 {
            let sport = if i % 2 == 0 { 1111 } else { 2222 };
            let f = eth_ipv4_tcp(
                [10, 0, 0, 1],
                [10, 0, 0, 2],
                sport,
                80,
                0x18,
                i * 10,
                b"data",
            );
            for v in [100 + i, 0, f.len() as u32, f.len() as u32] {
                cap.extend_from_slice(&v.to_le_bytes());
            }
            cap.extend_from_slice(&f);
        }
        let mut r = CaptureReader::from_reader(io::Cursor::new(cap.clone())).unwrap();
        let mut e = Engine::new(EngineConfig::default());
        while let Some(p) = r.next_packet().unwrap() {
            e.process(&p);
        }
        let out = e.finish();
        let flow = out.flows.iter().find(|f| f.client_port == 2222).unwrap();
        let offsets: Vec<u64> = flow
            .packet_refs
            .decode()
            .into_iter()
            .map(|(_, o)| o)
            .collect();
        assert_eq!(offsets.len(), 3);
        let mut buf = Vec::new();
        let r = CaptureReader::from_reader(io::Cursor::new(cap)).unwrap();
        let sum =
            write_pcap_subset(r, &[offsets[0], offsets[1], offsets[2], 999_999], &mut buf).unwrap();
        assert_eq!(
            sum,
            ExtractSummary {
                written: 3,
                skipped_link_type: 0,
                not_found: 1
            }
        );
        let mut back = CaptureReader::from_reader(io::Cursor::new(buf)).unwrap();
        let mut secs = Vec::new();
        while let Some(p) = back.next_packet().unwrap() {
            assert_eq!(
                crate::decode::decode(p.link_type, p.data).unwrap().sport,
                2222
            );
            secs.push(p.ts_ns / 1_000_000_000);
        }
        assert_eq!(secs, vec![101, 103, 105]);
    }
}
