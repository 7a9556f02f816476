//! The sniffer picks the right format for every proxy file in the shared
//! corpus (all three vendors), looking at the first `SNIFF_LINES` lines as
//! ingest does. The corpus is read by path and never copied. Without it the
//! test fails under `CI` and prints a note otherwise.

use std::path::PathBuf;

use kensa_formats::sniff::{SNIFF_LINES, sniff};
use kensa_model::SourceFormat;

fn proxy_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/proxy"
    ));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!("corpus {} missing under CI", dir.display());
    }
    eprintln!("note: skipping, corpus {} not found", dir.display());
    None
}

/// Sniffs one corpus file from its first lines (decoded like ingest: UTF-8,
/// else CP932).
fn sniff_file(rel: &str) -> Option<(SourceFormat, u32)> {
    let dir = proxy_dir()?;
    let bytes = std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let lines: Vec<String> = bytes
        .split(|&b| b == b'\n')
        .take(SNIFF_LINES)
        .map(|l| {
            kensa_formats::text::decode_line(l)
                .map(|c| c.into_owned())
                .unwrap_or_default()
        })
        .collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let s = sniff(&refs).unwrap_or_else(|| panic!("{rel}: no format recognised"));
    Some((s.format, s.confidence))
}

fn expect(rel: &str, want: SourceFormat) {
    if let Some((got, conf)) = sniff_file(rel) {
        assert_eq!(got, want, "{rel} (confidence {conf})");
        assert!(conf >= 50, "{rel}: confidence {conf}");
    }
}

#[test]
fn squid_native() {
    expect(
        "squid/elastic-integrations__test-access.log",
        SourceFormat::SquidNative,
    );
}

#[test]
fn squid_common() {
    expect("squid/synthetic-common.log", SourceFormat::SquidCommon);
}

#[test]
fn squid_combined() {
    expect("squid/synthetic-combined.log", SourceFormat::SquidCombined);
}

#[test]
fn squid_custom_files_are_not_claimed_as_built_ins() {
    // A custom logformat is never guessed; these two files must not be
    // mistaken for a built-in Squid layout (the other vendors' sniffers must
    // not claim them either).
    for rel in [
        "squid/synthetic-custom-analyzer.log",
        "squid/elastic-integrations__test-access-extensive.log",
    ] {
        let Some(dir) = proxy_dir() else { return };
        let text = std::fs::read_to_string(dir.join(rel)).unwrap();
        let lines: Vec<&str> = text.lines().take(SNIFF_LINES).collect();
        assert_eq!(sniff(&lines), None, "{rel}");
    }
}

#[test]
fn proxysg_elff_with_header() {
    expect(
        "bluecoat_proxysg/elastic-integrations__test-proxy-main.log",
        SourceFormat::ProxySgElff,
    );
}

#[test]
fn proxysg_bcreportermain_v1_headerless() {
    expect(
        "bluecoat_proxysg/elastic-integrations__test-proxy-bcreportermainv1.log",
        SourceFormat::ProxySgBcreportermainV1,
    );
}

#[test]
fn ifilter_v10_access() {
    expect(
        "ifilter/synthetic-v10-default35.access.log0000",
        SourceFormat::IfilterV10Access,
    );
}

#[test]
fn ifilter_dspa_access() {
    expect(
        "ifilter/synthetic-dspa-v1v2-29col.access.log0000",
        SourceFormat::IfilterDspaAccess,
    );
}

#[test]
fn ifilter_block() {
    expect(
        "ifilter/synthetic-block17.block.log0000",
        SourceFormat::IfilterBlock,
    );
}
