#![no_main]
//! One harness for every line parser (Suricata style): the first byte picks
//! the format from `SourceFormat::ALL` via `parser_for`, the rest is lines.
//! Custom formats get a fixed logformat / column mapping.
use kensa_formats::{FormatError, ParseOptions, parser_for};
use kensa_model::SourceFormat;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

const LOGFORMAT: &str = r#"%ts.%03tu %6tr %>a %>p %Ss/%03>Hs %>st %<st %rm %ru %[un %Sh/%<a %mt "%{User-Agent}>h" "%{Referer}>h" %ssl::>sni"#;
const MAPPING: &str =
    "[columns]\n1 = \"output_time\"\n4 = \"client_ip\"\n5 = \"action\"\n6 = \"url\"\n";

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let format = SourceFormat::ALL[pick as usize % SourceFormat::ALL.len()];
    let opts = ParseOptions {
        squid_logformat: Some(LOGFORMAT.into()),
        ifilter_mapping: Some(MAPPING.into()),
        year: (pick & 0x80 != 0).then_some(2024),
        ..Default::default()
    };
    let mut p = match parser_for(format, &opts) {
        Ok(p) => p,
        Err(FormatError::NotLineFormat(_)) => return,
        Err(e) => panic!("{format}: {e}"),
    };
    common::feed(p.as_mut(), &common::text(rest));
});
