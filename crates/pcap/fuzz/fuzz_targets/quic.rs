//! QUIC Initial decryption and ClientHello extraction, plus payload
//! identification and the SOCKS handshake parser on the same bytes.
#![no_main]
use kensa_pcap::quic::{QuicState, is_initial};
use kensa_pcap::socks::SocksState;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = is_initial(data);
    let mut q = QuicState::default();
    for chunk in data.split(|b| *b == 0xfe).take(4) {
        let _ = q.on_datagram(chunk, 1, 0);
    }
    for proto in [6u8, 17] {
        for from_client in [true, false] {
            let _ = kensa_pcap::ident::identify(data, proto, from_client);
        }
    }
    let _ = kensa_pcap::ident::looks_encrypted(data);
    let cut = data.iter().position(|b| *b == 0xff).unwrap_or(data.len());
    let mut s = SocksState::default();
    let (mut c, mut v) = (&data[..cut], data.get(cut + 1..).unwrap_or(&[]));
    for _ in 0..4 {
        let n = s.on_data(true, c);
        c = &c[n.min(c.len())..];
        let n = s.on_data(false, v);
        v = &v[n.min(v.len())..];
    }
});
