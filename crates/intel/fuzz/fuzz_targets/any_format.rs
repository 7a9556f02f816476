#![no_main]
//! One harness for every parser (Suricata style): the first byte picks the
//! format, the rest is the feed.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, feed)) = data.split_first() else { return };
    let all = kensa_intel::FeedFormat::ALL;
    let format = all[pick as usize % all.len()];
    let _ = kensa_intel::parse_bytes(format, "fuzz", feed);
});
