#![no_main]
//! Fuzzes the format sniffer, then parses with whatever it picked.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(f) = kensa_intel::sniff(data, "fuzz.txt") {
        let _ = kensa_intel::parse_bytes(f, "fuzz", data);
    }
});
