//! Re-reading one flow from the capture files: its reassembled payload
//! ([`flow_stream`], `kensa stream`) or its packets as a new pcap
//! ([`flow_pcap`], `kensa pcap-extract`).
//!
//! The case keeps no payload: `flow_packets` holds, per flow, the capture
//! inputs and the byte offsets of the flow's packets, and the manifest's
//! `capture_files` the absolute path of each input. These functions read
//! the captures again (plain files are streamed from the start; offsets are
//! in the decompressed stream, so `.gz`/`.zst` captures work the same way).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;

use kensa_pcap::CaptureReader;
use kensa_pcap::decode::decode;
use kensa_store::arrow::array::{Array, BinaryArray, Int32Array, Int64Array, ListArray, StringArray, TimestampMillisecondArray};
use kensa_store::packet::{FLOW_PACKETS, FLOWS, decode_refs};
use kensa_store::{Case, StoreError};

/// Which direction(s) of a flow to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Client to server.
    C2s,
    /// Server to client.
    S2c,
    /// Both, in capture order.
    Both,
}

/// Errors of flow re-reading.
#[derive(Debug, thiserror::Error)]
pub enum FlowDataError {
    /// No flow with this id in the case.
    #[error("no flow {0:?} in the case (ids are the 16-hex-digit flow_id of the flows table)")]
    NotFound(String),
    /// The case could not be read.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// A capture file could not be read again.
    #[error("capture file {path}: {reason}")]
    Capture {
        /// Stored path.
        path: String,
        /// Why.
        reason: String,
    },
    /// Writing the output failed.
    #[error("writing output: {0}")]
    Output(std::io::Error),
}

/// One piece of payload, in capture order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Segment {
    /// Sent by the flow's client.
    pub from_client: bool,
    /// Capture time of the packet (ns).
    pub ts_ns: i64,
    /// Payload bytes (TCP: new bytes only, retransmitted overlap removed).
    pub data: Vec<u8>,
    /// Bytes missing before this segment (TCP sequence gap).
    pub gap_before: u64,
}

/// A flow's payload as [`flow_stream`] returns it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StreamData {
    /// The flow id.
    pub flow_id: String,
    /// `tcp`, `udp`, …
    pub transport: String,
    /// Client `ip:port`.
    pub client: String,
    /// Server `ip:port`.
    pub server: String,
    /// Segments in capture order (the requested directions only).
    pub segments: Vec<Segment>,
    /// Payload bytes returned.
    pub bytes: u64,
    /// The byte cap cut the output.
    pub capped: bool,
    /// Packets indexed for the flow.
    pub packets_indexed: u64,
    /// Packets past the per-flow index budget (not re-readable).
    pub packets_not_indexed: u64,
    /// Indexed packets not found again in the captures.
    pub packets_missing: u64,
}

struct FlowLoc {
    transport: String,
    client_ip: String,
    client_port: u16,
    server_ip: String,
    server_port: u16,
    /// (input id, offset) in capture order.
    refs: Vec<(i64, u64)>,
    not_indexed: u64,
}

fn locate(case: &Case, flow_id: &str) -> Result<FlowLoc, FlowDataError> {
    let want = flow_id.trim().to_ascii_lowercase();
    let mut loc: Option<FlowLoc> = None;
    let mut parts: Vec<(i64, Vec<(i64, u64)>, u64)> = Vec::new();
    kensa_store::scan::scan(case, FLOWS, |b| {
        let id = col::<StringArray>(b, "flow_id")?;
        for i in 0..b.num_rows() {
            if id.value(i) == want && loc.is_none() {
                let s = |n: &str| col::<StringArray>(b, n).map(|a| if a.is_null(i) { String::new() } else { a.value(i).to_string() });
                let p = |n: &str| col::<Int32Array>(b, n).map(|a| a.value(i).clamp(0, 65535) as u16);
                loc = Some(FlowLoc {
                    transport: s("transport")?,
                    client_ip: s("client_ip")?,
                    client_port: p("client_port")?,
                    server_ip: s("server_ip")?,
                    server_port: p("server_port")?,
                    refs: Vec::new(),
                    not_indexed: 0,
                });
            }
        }
        Ok(())
    })?;
    let Some(mut loc) = loc else { return Err(FlowDataError::NotFound(flow_id.to_string())) };
    kensa_store::scan::scan(case, FLOW_PACKETS, |b| {
        let id = col::<StringArray>(b, "flow_id")?;
        let ts = col::<TimestampMillisecondArray>(b, "ts")?;
        let inputs = col::<ListArray>(b, "capture_inputs")?;
        let refs = col::<BinaryArray>(b, "refs")?;
        let ni = col::<Int64Array>(b, "packets_not_indexed")?;
        for i in 0..b.num_rows() {
            if id.value(i) != want {
                continue;
            }
            let ins = inputs.value(i);
            let ins = ins.as_any().downcast_ref::<Int64Array>().ok_or_else(|| StoreError::Corrupt("flow_packets.capture_inputs".into()))?;
            let mapped = decode_refs(refs.value(i))
                .into_iter()
                .filter_map(|(li, off)| ((li as usize) < ins.len()).then(|| (ins.value(li as usize), off)))
                .collect();
            parts.push((ts.value(i), mapped, ni.value(i).max(0) as u64));
        }
        Ok(())
    })?;
    // An hour-split flow may have several records with one id: in time order.
    parts.sort_by_key(|p| p.0);
    for (_, r, n) in parts {
        loc.refs.extend(r);
        loc.not_indexed += n;
    }
    Ok(loc)
}

fn col<'b, T: 'static>(b: &'b kensa_store::arrow::array::RecordBatch, name: &str) -> Result<&'b T, StoreError> {
    b.column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .ok_or_else(|| StoreError::Corrupt(format!("column {name} missing or of the wrong type")))
}

/// Visits the flow's packets in capture order: `(input id, packet)`.
fn visit(case: &Case, loc: &FlowLoc, mut f: impl FnMut(&kensa_pcap::Packet<'_>) -> Result<(), FlowDataError>) -> Result<u64, FlowDataError> {
    // Inputs in order of first appearance (= capture order of the group).
    let mut order: Vec<i64> = Vec::new();
    let mut by_input: BTreeMap<i64, BTreeSet<u64>> = BTreeMap::new();
    for (inp, off) in &loc.refs {
        if !by_input.contains_key(inp) {
            order.push(*inp);
        }
        by_input.entry(*inp).or_default().insert(*off);
    }
    let mut missing = 0u64;
    for inp in order {
        let mut want = by_input.remove(&inp).unwrap_or_default();
        let stored = case.capture_file(inp)?;
        let path = PathBuf::from(&stored.path);
        let mut r = CaptureReader::open(&path).map_err(|e| FlowDataError::Capture { path: stored.path.clone(), reason: e.to_string() })?;
        while !want.is_empty() {
            let p = match r.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => break,
                Err(e) => return Err(FlowDataError::Capture { path: stored.path.clone(), reason: e.to_string() }),
            };
            if want.remove(&p.file_offset) {
                f(&p)?;
            }
        }
        missing += want.len() as u64;
    }
    Ok(missing)
}

/// The flow's payload, reassembled per direction (TCP: in sequence order
/// of arrival, retransmitted bytes dropped, gaps counted; UDP: datagrams),
/// re-read from the capture files. `cap` bounds the bytes returned
/// (`0` = no limit).
pub fn flow_stream(case: &Case, flow_id: &str, dir: Direction, cap: usize) -> Result<StreamData, FlowDataError> {
    let loc = locate(case, flow_id)?;
    let mut out = StreamData {
        flow_id: flow_id.trim().to_ascii_lowercase(),
        transport: loc.transport.clone(),
        client: endpoint(&loc.client_ip, loc.client_port),
        server: endpoint(&loc.server_ip, loc.server_port),
        segments: Vec::new(),
        bytes: 0,
        capped: false,
        packets_indexed: loc.refs.len() as u64,
        packets_not_indexed: loc.not_indexed,
        packets_missing: 0,
    };
    // Next expected sequence number per direction (client, server).
    let mut next: [Option<u32>; 2] = [None, None];
    let client_ip: Option<std::net::IpAddr> = loc.client_ip.parse().ok();
    let missing = visit(case, &loc, |p| {
        if out.capped {
            return Ok(());
        }
        let Ok(d) = decode(p.link_type, p.data) else { return Ok(()) };
        let from_client = Some(d.src) == client_ip && d.sport == loc.client_port;
        let k = usize::from(!from_client);
        let mut data: &[u8] = d.payload;
        let mut gap = 0u64;
        if let Some(t) = &d.tcp {
            let syn_or_fin = (t.flags & 0x02 != 0) as u32;
            let seq = t.seq;
            match next[k] {
                None => {
                    next[k] = Some(seq.wrapping_add(syn_or_fin).wrapping_add(data.len() as u32));
                }
                Some(n) => {
                    let diff = seq.wrapping_sub(n) as i32;
                    if diff < 0 {
                        // Overlap with what was already delivered: keep only new bytes.
                        let skip = (-(diff as i64)) as usize;
                        data = data.get(skip..).unwrap_or(&[]);
                    } else if diff > 0 {
                        gap = diff as u64;
                    }
                    if !data.is_empty() || syn_or_fin == 1 {
                        let end = seq.wrapping_add(syn_or_fin).wrapping_add(d.payload.len() as u32);
                        if (end.wrapping_sub(n) as i32) > 0 {
                            next[k] = Some(end);
                        }
                    }
                }
            }
        }
        let wanted = match dir {
            Direction::Both => true,
            Direction::C2s => from_client,
            Direction::S2c => !from_client,
        };
        if !wanted || data.is_empty() {
            return Ok(());
        }
        let mut take = data.len();
        if cap > 0 && out.bytes as usize + take > cap {
            take = cap.saturating_sub(out.bytes as usize);
            out.capped = true;
        }
        out.bytes += take as u64;
        out.segments.push(Segment { from_client, ts_ns: p.ts_ns, data: data[..take].to_vec(), gap_before: gap });
        Ok(())
    })?;
    out.packets_missing = missing;
    Ok(out)
}

/// What [`flow_pcap`] wrote.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PcapSummary {
    /// Packets written.
    pub written: u64,
    /// Packets of another link type than the first (a classic pcap has one).
    pub skipped_link_type: u64,
    /// Indexed packets not found again.
    pub missing: u64,
    /// Packets past the per-flow index budget (not extractable).
    pub not_indexed: u64,
}

/// Writes the flow's packets, re-read from the captures, as a classic
/// nanosecond pcap to `out`. (`kensa_pcap::extract::write_pcap_subset`
/// reads one capture; a flow may span several rotated files, hence this
/// loop over inputs writing the same record layout.)
pub fn flow_pcap(case: &Case, flow_id: &str, mut out: impl Write) -> Result<PcapSummary, FlowDataError> {
    let loc = locate(case, flow_id)?;
    let mut sum = PcapSummary { not_indexed: loc.not_indexed, ..Default::default() };
    let mut link: Option<u32> = None;
    let o = &mut out;
    let missing = visit(case, &loc, |p| {
        let lt = *link.get_or_insert_with(|| p.link_type);
        if sum.written == 0 && sum.skipped_link_type == 0 {
            let mut h = Vec::with_capacity(24);
            h.extend_from_slice(&0xa1b2_3c4du32.to_le_bytes());
            h.extend_from_slice(&2u16.to_le_bytes());
            h.extend_from_slice(&4u16.to_le_bytes());
            h.extend_from_slice(&[0; 8]);
            h.extend_from_slice(&262_144u32.to_le_bytes());
            h.extend_from_slice(&lt.to_le_bytes());
            o.write_all(&h).map_err(FlowDataError::Output)?;
        }
        if p.link_type != lt {
            sum.skipped_link_type += 1;
            return Ok(());
        }
        let secs = p.ts_ns.div_euclid(1_000_000_000).clamp(0, u32::MAX as i64) as u32;
        let nanos = p.ts_ns.rem_euclid(1_000_000_000) as u32;
        let mut r = Vec::with_capacity(16 + p.data.len());
        r.extend_from_slice(&secs.to_le_bytes());
        r.extend_from_slice(&nanos.to_le_bytes());
        r.extend_from_slice(&p.caplen.to_le_bytes());
        r.extend_from_slice(&p.origlen.max(p.caplen).to_le_bytes());
        r.extend_from_slice(p.data);
        o.write_all(&r).map_err(FlowDataError::Output)?;
        sum.written += 1;
        Ok(())
    })?;
    sum.missing = missing;
    out.flush().map_err(FlowDataError::Output)?;
    Ok(sum)
}

fn endpoint(ip: &str, port: u16) -> String {
    if ip.contains(':') { format!("[{ip}]:{port}") } else { format!("{ip}:{port}") }
}
