//! Print a capture's flows and application records as JSON lines.
//!
//! `cargo run -p kensa-pcap --example dump -- capture.pcapng`
use kensa_pcap::{CaptureReader, Engine, EngineConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: dump CAPTURE")?;
    let mut r = CaptureReader::open(&path)?;
    let mut e = Engine::new(EngineConfig::default());
    while let Some(p) = r.next_packet()? {
        e.process(&p);
    }
    let out = e.finish();
    for f in &out.flows {
        println!("flow {}", serde_json::to_string(f)?);
    }
    for t in &out.tls {
        println!("tls {}", serde_json::to_string(t)?);
    }
    for d in &out.dns {
        println!("dns {}", serde_json::to_string(d)?);
    }
    for h in &out.http {
        println!("http {}", serde_json::to_string(h)?);
    }
    println!("reader {}", serde_json::to_string(r.stats())?);
    println!("engine {}", serde_json::to_string(e.stats())?);
    Ok(())
}
