#![no_main]
//! Every field of a web record is attacker-controlled: split the input at
//! 0xFF bytes into host, SNI, client, server, method, path, query and URL,
//! enrich, and read every column. Must never panic.
use std::borrow::Cow;
use std::sync::OnceLock;

use kensa_enrich::{COLUMNS, Catalog, EnrichConfig, Enricher, Policy};
use kensa_model::WebRecord;
use libfuzzer_sys::fuzz_target;

fn enricher() -> &'static Enricher {
    static E: OnceLock<Enricher> = OnceLock::new();
    E.get_or_init(|| Enricher::new(Catalog::builtin().unwrap(), Policy::default(), EnrichConfig::default()).unwrap())
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0xff).map(|p| String::from_utf8_lossy(p).into_owned());
    let mut next = || parts.next().map(Cow::Owned);
    let rec = WebRecord {
        host: next(),
        sni: next(),
        client_ip: next(),
        server_ip: next(),
        method: next(),
        path: next(),
        query: next(),
        url: next(),
        ..Default::default()
    };
    let out = enricher().enrich(&rec);
    for i in 0..=COLUMNS.len() {
        let _ = out.value(i);
    }
});
