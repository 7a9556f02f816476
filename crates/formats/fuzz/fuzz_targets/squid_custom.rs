#![no_main]
//! Squid custom logformat: the first line of the input is the `logformat`
//! (compiled; errors are fine, panics are not), the rest are log lines. The
//! whole input is also read with a fixed, realistic format so that mutated
//! log lines are exercised even when the first line is not a usable format.
use kensa_formats::{ParseOptions, squid::SquidParser};
use kensa_model::SourceFormat;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

const FIXED: &str = r#"%ts.%03tu %6tr %>a %>p %Ss/%03>Hs %>st %<st %rm %ru %[un %Sh/%<a %mt "%{User-Agent}>h" "%{Referer}>h" %ssl::>sni %"note %#{Host}>h [%tl] %{%Y-%m-%d %H:%M:%S}tg"#;

fuzz_target!(|data: &[u8]| {
    let text = common::text(data);
    let (spec, lines) = text.split_once('\n').unwrap_or((&text, ""));
    let opts = ParseOptions {
        squid_logformat: Some(spec.to_string()),
        ..Default::default()
    };
    if let Ok(mut p) = SquidParser::new(SourceFormat::SquidCustom, &opts) {
        common::feed(&mut p, lines);
    }
    let opts = ParseOptions {
        squid_logformat: Some(FIXED.to_string()),
        ..Default::default()
    };
    let mut p = SquidParser::new(SourceFormat::SquidCustom, &opts).unwrap();
    common::feed(&mut p, &text);
});
