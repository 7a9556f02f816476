#![no_main]
//! Squid native lines. Also checks the native parser's fast URL splitter
//! against `kensa_model::split_url` on every whitespace-separated token.
use kensa_formats::{ParseOptions, squid::SquidParser};
use kensa_model::SourceFormat;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let text = common::text(data);
    let mut p = SquidParser::new(SourceFormat::SquidNative, &ParseOptions::default()).unwrap();
    common::feed(&mut p, &text);
    for tok in text.split_ascii_whitespace() {
        if let Some(fast) = kensa_formats::squid::fast_split_url_for_fuzzing(tok) {
            assert_eq!(fast, kensa_model::split_url(tok), "{tok:?}");
        }
    }
});
