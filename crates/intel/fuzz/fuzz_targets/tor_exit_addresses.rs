#![no_main]
//! Fuzzes the `tor-exit-addresses` feed parser: it must never panic, and
//! every indicator it emits must be accepted by the matcher.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((inds, _)) = kensa_intel::parse_bytes(kensa_intel::FeedFormat::TorExitAddresses, "fuzz", data) {
        let m = kensa_intel::Matcher::new(inds);
        for i in m.indicators() {
            assert!(!m.match_any(&i.value).is_empty(), "{:?} does not match itself", i);
        }
    }
});
