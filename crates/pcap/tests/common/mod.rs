//! Shared helpers for the corpus tests (the corpus is used in place, never copied).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use kensa_pcap::{CaptureReader, Engine, EngineConfig, EngineOutput, EngineStats, ReaderStats};

/// The shared pcap corpus, or `None` (with a note) when absent outside CI.
/// `KENSA_CORPUS` (the corpus root) overrides the default location, for
/// git worktrees that do not sit beside `shared/`.
pub fn corpus() -> Option<PathBuf> {
    if let Some(c) = std::env::var_os("KENSA_CORPUS") {
        return Some(PathBuf::from(c).join("pcap"));
    }
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/pcap"
    ));
    if p.is_dir() {
        return Some(p);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "corpus not found at {} (required when CI is set)",
            p.display()
        );
    }
    eprintln!("note: corpus not found at {}; skipping", p.display());
    None
}

/// Every capture file under `dir`, sorted.
pub fn captures(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("pcap" | "pcapng" | "cap")
            ) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Everything one capture produced.
pub struct Run {
    pub out: EngineOutput,
    pub reader: ReaderStats,
    pub engine: EngineStats,
}

/// Read and process one capture fully.
pub fn run(path: &Path) -> Run {
    let mut r = CaptureReader::open(path).unwrap_or_else(|e| panic!("{e}"));
    let mut eng = Engine::new(EngineConfig::default());
    while let Some(p) = r.next_packet().unwrap_or_else(|e| panic!("{e}")) {
        eng.process(&p);
    }
    let out = eng.finish();
    Run {
        out,
        reader: r.stats().clone(),
        engine: eng.stats().clone(),
    }
}

impl Run {
    /// TLS records with the flow's (client ip, client port, server ip, server port).
    pub fn tls_with_tuple(&self) -> Vec<(String, u16, String, u16, &kensa_pcap::TlsRecord)> {
        self.out
            .tls
            .iter()
            .filter_map(|t| {
                let f = self.out.flows.iter().find(|f| f.flow_id == t.flow_id)?;
                Some((
                    f.client_ip.to_string(),
                    f.client_port,
                    f.server_ip.to_string(),
                    f.server_port,
                    t,
                ))
            })
            .collect()
    }
}
