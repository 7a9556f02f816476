//! Capture reader on arbitrary bytes: must end (no spin) and never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cfg = kensa_pcap::ReaderConfig {
        initial_buffer: 4096,
        max_block: 1 << 20,
    };
    let Ok(mut r) = kensa_pcap::CaptureReader::with_config(
        std::io::Cursor::new(data.to_vec()),
        "fuzz".as_ref(),
        cfg,
    ) else {
        return;
    };
    let mut n = 0u64;
    while let Ok(Some(p)) = r.next_packet() {
        assert!(p.data.len() <= data.len());
        n += 1;
        assert!(n <= data.len() as u64, "more packets than input bytes");
    }
});
