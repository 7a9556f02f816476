//! Write a large benchmark capture: every Ethernet packet of the corpus,
//! replayed N times, each copy time-shifted and with rewritten IPv4
//! addresses (second octet = copy number) so flows stay distinct.
//! Each corpus file's clock is made relative to its first packet, and a file
//! longer than five minutes is compressed linearly into five minutes (order
//! kept), so the capture covers a contiguous stretch of time like a real
//! exit tap's rotation, not the corpus's decades of unrelated clocks.
//! Checksums are not updated (kensa, nDPI and tshark do not verify them).
//!
//! `cargo run --release -p kensa-pcap --example mkbench -- CORPUS_PCAP_DIR OUT.pcap MIB`
use std::io::{BufWriter, Write};

use kensa_pcap::CaptureReader;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (dir, out, mib) = match (args.next(), args.next(), args.next()) {
        (Some(d), Some(o), Some(m)) => (d, o, m.parse::<u64>()?),
        _ => return Err("usage: mkbench CORPUS_PCAP_DIR OUT.pcap MIB".into()),
    };
    // Load every Ethernet packet once, with its time relative to its file.
    let mut files = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)?.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("pcap" | "pcapng")
            ) {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut pkts: Vec<(i64, Vec<u8>)> = Vec::new();
    for f in &files {
        let Ok(mut r) = CaptureReader::open(f) else {
            continue;
        };
        let mut t0 = None;
        let first = pkts.len();
        while let Ok(Some(p)) = r.next_packet() {
            if p.link_type != 1 {
                continue;
            }
            let t = *t0.get_or_insert(p.ts_ns);
            pkts.push((p.ts_ns.saturating_sub(t).max(0), p.data.to_vec()));
        }
        const MAX_FILE_SPAN: i64 = 300_000_000_000;
        let span = pkts[first..].iter().map(|p| p.0).max().unwrap_or(0);
        if span > MAX_FILE_SPAN {
            for p in &mut pkts[first..] {
                p.0 = (p.0 as i128 * MAX_FILE_SPAN as i128 / span as i128) as i64;
            }
        }
    }
    pkts.sort_by_key(|p| p.0);
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&out)?);
    w.write_all(&[
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ])?;
    let limit = mib << 20;
    let (mut written, mut copies, mut n) = (24u64, 0u64, 0u64);
    let span = pkts.last().map_or(1, |p| p.0) + 1_000_000_000;
    let base = 1_700_000_000_000_000_000i64;
    'outer: loop {
        for (t, data) in &pkts {
            let ts = base + copies as i64 * 60_000_000_000 + (t % span);
            let mut d = data.clone();
            // IPv4 (optionally behind one VLAN tag): rewrite the 2nd octet
            // of both addresses.
            let ip = match (d.get(12), d.get(13)) {
                (Some(8), Some(0)) => Some(14),
                (Some(0x81), Some(0)) if d.get(16..18) == Some(&[8, 0]) => Some(18),
                _ => None,
            };
            if let Some(o) = ip
                && d.len() >= o + 20
            {
                d[o + 13] ^= copies as u8;
                d[o + 17] ^= copies as u8;
            }
            let rec = [
                (ts / 1_000_000_000) as u32,
                ((ts % 1_000_000_000) / 1000) as u32,
                d.len() as u32,
                d.len() as u32,
            ];
            for v in rec {
                w.write_all(&v.to_le_bytes())?;
            }
            w.write_all(&d)?;
            written += 16 + d.len() as u64;
            n += 1;
            if written >= limit {
                break 'outer;
            }
        }
        copies += 1;
    }
    w.flush()?;
    eprintln!(
        "{out}: {n} packets, {written} bytes, {} copies of {} packets",
        copies + 1,
        pkts.len()
    );
    Ok(())
}
