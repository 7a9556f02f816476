#![no_main]
//! Fuzzes the STIX patterning parser.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = kensa_intel::stix_pattern(s);
    }
});
