//! HTTP heads, chunked framing and the per-flow state; also the SSH parsers.
#![no_main]
use kensa_pcap::http::{HttpState, parser};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parser::parse_request(data);
    let _ = parser::parse_response(data, false);
    let (used, _, _) = parser::chunked_step(parser::Chunked::Size, data);
    assert!(used <= data.len());
    let _ = kensa_pcap::ssh::parser::banner(data);
    let _ = kensa_pcap::ssh::parser::packet(data);
    let cut = data.len() / 2;
    let mut st = HttpState::new(1);
    let a = st.on_data(true, &data[..cut], 0);
    assert!(a <= cut);
    let b = st.on_data(false, &data[cut..], 0);
    assert!(b <= data.len() - cut);
});
