//! DNS message parser and the TCP length-prefixed framing.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = kensa_pcap::dns::parse_message(data) {
        for a in &m.answers {
            assert!(a.rdata.len() <= data.len());
        }
    }
    let mut out = Vec::new();
    let mut bad = 0;
    let used = kensa_pcap::dns::tcp_messages(data, 1, 0, true, &mut out, &mut bad);
    assert!(used <= data.len());
});
