//! Packet decoder: first two bytes pick the link type, the rest is the frame.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let link = match data[0] % 8 {
        0 => 0,
        1 => 1,
        2 => 101,
        3 => 113,
        4 => 276,
        5 => 108,
        6 => 228,
        _ => u16::from_be_bytes([data[0], data[1]]) as u32,
    };
    if let Ok(d) = kensa_pcap::decode::decode(link, &data[2..]) {
        assert!(d.payload.len() <= data.len());
    }
});
