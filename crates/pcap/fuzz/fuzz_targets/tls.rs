//! TLS: pure parsers plus the per-flow state fed in two directions.
#![no_main]
use kensa_pcap::tls::{TlsState, parser};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(ch) = parser::parse_client_hello(data) {
        let _ = kensa_pcap::tls::fingerprint::ja3_string(&ch);
        let _ =
            kensa_pcap::tls::fingerprint::ja4(&ch, kensa_pcap::tls::fingerprint::Ja4Transport::Tcp);
    }
    let _ = parser::parse_server_hello(data);
    let _ = parser::certificate_chain(data);
    let _ = kensa_pcap::tls::cert_info(data);
    // Split at the first 0xff: left = client stream, right = server stream.
    let cut = data.iter().position(|b| *b == 0xff).unwrap_or(data.len());
    let mut st = TlsState::default();
    let mut c = &data[..cut];
    let mut s = data.get(cut + 1..).unwrap_or(&[]);
    for _ in 0..4 {
        let n = st.on_data(true, c, 0, 1);
        c = &c[n.min(c.len())..];
        let n = st.on_data(false, s, 0, 1);
        s = &s[n.min(s.len())..];
    }
});
