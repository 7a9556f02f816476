//! Cost of `Enricher::enrich` per record, and of the host lookup alone.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-enrich cargo bench -p kensa-enrich`.

use std::borrow::Cow;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kensa_enrich::{Catalog, EnrichConfig, Enricher, Policy};
use kensa_model::WebRecord;

fn rec<'a>(
    client: &'a str,
    method: &'a str,
    host: &'a str,
    path: &'a str,
    server: &'a str,
) -> WebRecord<'a> {
    WebRecord {
        client_ip: Some(Cow::Borrowed(client)),
        method: Some(Cow::Borrowed(method)),
        host: Some(Cow::Borrowed(host)),
        path: Some(Cow::Borrowed(path)),
        server_ip: Some(Cow::Borrowed(server)),
        ..Default::default()
    }
}

/// A mix shaped like a proxy log: mostly unknown sites, some services,
/// a few uploads and IP literals.
fn mix() -> Vec<WebRecord<'static>> {
    vec![
        rec(
            "10.20.1.15",
            "GET",
            "www.example.com",
            "/index.html",
            "203.0.113.10",
        ),
        rec(
            "10.20.1.15",
            "GET",
            "cdn.static.example.net",
            "/js/app.js",
            "203.0.113.11",
        ),
        rec(
            "10.20.1.16",
            "GET",
            "www.yahoo.co.jp",
            "/",
            "183.79.219.252",
        ),
        rec(
            "10.20.1.16",
            "POST",
            "content.dropboxapi.com",
            "/2/files/upload",
            "162.125.6.20",
        ),
        rec(
            "10.20.1.17",
            "GET",
            "www.dropbox.com",
            "/home",
            "162.125.6.18",
        ),
        rec(
            "10.20.1.17",
            "POST",
            "contoso-my.sharepoint.com",
            "/personal/a/_api/v2.0/drive/items/1/uploadSession",
            "13.107.136.9",
        ),
        rec("10.20.1.18", "CONNECT", "chatgpt.com", "", "104.18.32.47"),
        rec(
            "10.20.1.18",
            "GET",
            "203.0.113.99",
            "/payload.bin",
            "203.0.113.99",
        ),
        rec(
            "10.20.1.19",
            "GET",
            "news.example.co.jp",
            "/article/1",
            "198.51.100.20",
        ),
        rec(
            "10.20.1.19",
            "POST",
            "mail.google.com",
            "/sync/u/0/i/s",
            "142.250.196.101",
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let catalog = Catalog::builtin().unwrap();
    let enricher =
        Enricher::new(catalog.clone(), Policy::default(), EnrichConfig::default()).unwrap();
    let records = mix();
    let mut i = 0usize;
    c.bench_function("enrich_per_record_mix", |b| {
        b.iter(|| {
            i = (i + 1) % records.len();
            black_box(enricher.enrich(black_box(&records[i])).is_upload())
        })
    });
    let upload = &records[3];
    c.bench_function("enrich_upload_record", |b| {
        b.iter(|| black_box(enricher.enrich(black_box(upload)).is_upload()))
    });
    let hosts = [
        "www.example.com",
        "content.dropboxapi.com",
        "a.b.c.d.e.example.co.jp",
        "contoso-my.sharepoint.com",
        "dropbox.com.evil.example",
    ];
    let mut j = 0usize;
    c.bench_function("catalog_lookup", |b| {
        b.iter(|| {
            j = (j + 1) % hosts.len();
            black_box(catalog.lookup(black_box(hosts[j])).is_some())
        })
    });
    c.bench_function("catalog_build", |b| {
        b.iter(|| black_box(Catalog::builtin().unwrap().len()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
