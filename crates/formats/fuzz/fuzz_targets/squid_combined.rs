#![no_main]
//! Squid combined lines.
use kensa_formats::{ParseOptions, squid::SquidParser};
use kensa_model::SourceFormat;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let mut p = SquidParser::new(SourceFormat::SquidCombined, &ParseOptions::default()).unwrap();
    common::feed(&mut p, &common::text(data));
});
