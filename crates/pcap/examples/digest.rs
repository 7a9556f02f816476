//! Order-independent digest of everything the engine outputs (flows, TLS,
//! DNS, HTTP, SSH records and stats) for before/after comparisons.
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use kensa_pcap::{CaptureReader, Engine, EngineConfig};

fn h<T: std::fmt::Debug>(v: &T) -> u64 {
    let mut s = DefaultHasher::new();
    format!("{v:?}").hash(&mut s);
    s.finish()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for path in std::env::args().skip(1) {
        println!("== {path}");
        if let Err(e) = one(&path) {
            println!("error: {e}");
        }
    }
    Ok(())
}

fn one(path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut r = CaptureReader::open(path)?;
    let mut e = Engine::new(EngineConfig::default());
    let mut v: [Vec<u64>; 5] = Default::default();
    let mut take = |o: kensa_pcap::EngineOutput| {
        v[0].extend(o.flows.iter().map(h));
        v[1].extend(o.tls.iter().map(h));
        v[2].extend(o.dns.iter().map(h));
        v[3].extend(o.http.iter().map(h));
        v[4].extend(o.ssh.iter().map(h));
    };
    while let Some(p) = r.next_packet()? {
        e.process(&p);
        if e.stats().packets.is_multiple_of(65536) {
            take(e.drain_output());
        }
    }
    take(e.finish());
    for (name, mut x) in ["flows", "tls", "dns", "http", "ssh"].into_iter().zip(v) {
        x.sort_unstable();
        println!("{name}: {} records, digest {:016x}", x.len(), h(&x));
    }
    println!("stats: {:?}", e.stats());
    println!("reader: {:?}", r.stats());
    Ok(())
}
