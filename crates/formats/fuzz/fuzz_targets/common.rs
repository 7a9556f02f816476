//! Shared by the fuzz targets: decode bytes like ingest does, feed every
//! line to a parser, and check the parser's promises.
use kensa_formats::{LineParser, Parsed};

/// Decodes like ingest (UTF-8, else CP932; NUL bytes become U+FFFD so the
/// parsers still see them as odd text instead of the line being dropped).
pub fn text(data: &[u8]) -> String {
    let cleaned: Vec<u8> = data
        .iter()
        .map(|&b| if b == 0 { b'?' } else { b })
        .collect();
    kensa_formats::text::decode_line(&cleaned)
        .map(|c| c.into_owned())
        .unwrap_or_default()
}

/// Parses every line; a record must have a plausible time, a reject a detail.
#[allow(dead_code)] // not every target feeds a parser
pub fn feed(p: &mut dyn LineParser, text: &str) {
    for line in text.split('\n') {
        match p.parse_line(line) {
            Parsed::Record(r) => assert!(
                kensa_model::plausible_ts(r.ts_ms),
                "implausible ts {}",
                r.ts_ms
            ),
            Parsed::Reject(r) => {
                assert!(!r.detail.is_empty(), "reject {:?} without detail", r.reason)
            }
            Parsed::Skip => {}
        }
    }
}
