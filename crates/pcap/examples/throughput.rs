//! Single-core throughput: the largest corpus captures, loaded in memory and
//! replayed through reader + engine until ~1 GiB of capture bytes was processed.
//!
//! `cargo run --release -p kensa-pcap --example throughput -- DIR [MIB]`
use std::time::Instant;

use kensa_pcap::{CaptureReader, Engine, EngineConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: throughput CORPUS_PCAP_DIR [MIB]")?;
    let target_mib: u64 = std::env::args()
        .nth(2)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1024);
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
                let len = e.metadata()?.len();
                files.push((len, p));
            }
        }
    }
    files.sort();
    files.reverse();
    files.truncate(10);
    let blobs: Vec<Vec<u8>> = files
        .iter()
        .map(|(_, p)| std::fs::read(p))
        .collect::<Result<_, _>>()?;
    let total: u64 = blobs.iter().map(|b| b.len() as u64).sum();
    println!("{} captures, {} bytes per round", blobs.len(), total);
    let (mut bytes, mut pkts, mut flows, mut tls) = (0u64, 0u64, 0usize, 0usize);
    let start = Instant::now();
    while bytes < target_mib << 20 {
        for b in &blobs {
            let mut r = CaptureReader::from_reader(std::io::Cursor::new(b.clone()))?;
            let mut e = Engine::new(EngineConfig::default());
            while let Some(p) = r.next_packet()? {
                e.process(&p);
            }
            let out = e.finish();
            pkts += r.stats().packets;
            flows += out.flows.len();
            tls += out.tls.len();
            bytes += b.len() as u64;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{:.0} MiB in {secs:.2} s: {:.0} MB/s, {:.2} Mpkt/s ({pkts} packets, {flows} flows, {tls} TLS handshakes)",
        bytes as f64 / 1048576.0,
        bytes as f64 / 1e6 / secs,
        pkts as f64 / 1e6 / secs
    );
    Ok(())
}
