#![no_main]
//! The crate-wide sniffer over arbitrary sample lines: never panics, never
//! reports a confidence outside 50..=100.
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let text = common::text(data);
    let lines: Vec<&str> = text
        .split('\n')
        .take(kensa_formats::sniff::SNIFF_LINES)
        .collect();
    if let Some(s) = kensa_formats::sniff::sniff(&lines) {
        assert!((50..=100).contains(&s.confidence), "{s:?}");
    }
    let _ = kensa_formats::squid::sniff(&lines);
});
