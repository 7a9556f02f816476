#![no_main]
//! Fuzzes lookups: the first line is a plain list to load, every further
//! line is looked up as host, IP, URL, hash and "any".

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (feed, queries) = text.split_once("\n--\n").unwrap_or((text, ""));
    let Ok((inds, _)) = kensa_intel::parse_bytes(kensa_intel::FeedFormat::PlainList, "fuzz", feed.as_bytes()) else { return };
    let m = kensa_intel::Matcher::new(inds);
    for q in queries.lines() {
        let _ = m.match_host(q);
        let _ = m.match_ip_str(q);
        let _ = m.match_url(q);
        let _ = m.match_url_host(q);
        let _ = m.match_any(q);
        for k in kensa_intel::IndicatorKind::ALL {
            let _ = m.match_hash(k, q);
        }
    }
});
