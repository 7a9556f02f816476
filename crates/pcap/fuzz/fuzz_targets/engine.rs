//! Whole engine: the input is a sequence of frames `[link u8][len u16][bytes]`
//! with increasing timestamps, so flow state, reassembly and every parser run.
#![no_main]
use kensa_pcap::{Engine, EngineConfig, Packet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut e = Engine::new(EngineConfig {
        max_flows: 64,
        reassembly_window: 4096,
        ..Default::default()
    });
    let mut p = data;
    let mut ts = 1_700_000_000_000_000_000i64;
    while p.len() >= 3 {
        let link = [1u32, 101, 113, 276, 0][p[0] as usize % 5];
        let len = (u16::from_be_bytes([p[1], p[2]]) as usize).min(p.len() - 3);
        let frame = &p[3..3 + len];
        ts += (p[0] as i64) * 10_000_000_000;
        e.process(&Packet {
            file_offset: 0,
            ts_ns: ts,
            link_type: link,
            interface: 0,
            caplen: len as u32,
            origlen: len as u32,
            data: frame,
        });
        p = &p[3 + len..];
    }
    let _ = e.finish();
});
