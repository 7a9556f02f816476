//! Run reader + engine (decode, flows, identification, TLS/DNS/HTTP/SSH/QUIC
//! metadata) over one capture on one thread and print throughput and counts.
//!
//! `cargo run --release -p kensa-pcap --example runfile -- FILE`
use std::time::Instant;

use kensa_pcap::{CaptureReader, Engine, EngineConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: runfile CAPTURE")?;
    let t = Instant::now();
    let mut r = CaptureReader::open(&path)?;
    let mut e = Engine::new(EngineConfig::default());
    let (mut flows, mut tls, mut dns, mut http) = (0usize, 0usize, 0usize, 0usize);
    while let Some(p) = r.next_packet()? {
        e.process(&p);
        if e.stats().packets.is_multiple_of(65536) {
            let o = e.drain_output();
            (flows, tls, dns, http) = (
                flows + o.flows.len(),
                tls + o.tls.len(),
                dns + o.dns.len(),
                http + o.http.len(),
            );
        }
    }
    let o = e.finish();
    (flows, tls, dns, http) = (
        flows + o.flows.len(),
        tls + o.tls.len(),
        dns + o.dns.len(),
        http + o.http.len(),
    );
    let secs = t.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&path)?.len() as f64;
    println!(
        "{path}: {:.0} MB in {secs:.2} s = {:.0} MB/s; packets {}, flows {flows}, tls {tls}, dns {dns}, http {http}, evicted {}",
        bytes / 1e6,
        bytes / 1e6 / secs,
        e.stats().packets,
        e.stats().flows_evicted
    );
    Ok(())
}
