//! Throughput of the ProxySG ELFF and i-FILTER parsers on generated lines
//! (invented values in the shapes of the real layouts; the corpus is not
//! read here). Run: `cargo bench -p kensa-formats --bench elff_ifilter`.
//! Each iteration splits a ~8 MB buffer into lines and parses every line,
//! as ingest does; criterion reports bytes/s.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kensa_formats::elff::ElffParser;
use kensa_formats::ifilter::IfilterParser;
use kensa_formats::{LineParser, ParseOptions, Parsed};
use kensa_model::SourceFormat;

const TARGET_BYTES: usize = 8 << 20;

fn proxysg_buffer() -> String {
    let mut s = String::from(
        "#Software: SGOS 7.3.1.1\n#Version: 1.0\n#Fields: date time time-taken c-ip cs-username cs-auth-group x-exception-id sc-filter-result cs-categories cs(Referer) sc-status s-action cs-method rs(Content-Type) cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query cs-uri-extension cs(User-Agent) s-ip sc-bytes cs-bytes x-virus-id\n",
    );
    let mut i = 0u64;
    while s.len() < TARGET_BYTES {
        let (verdict, action, status) = if i.is_multiple_of(17) {
            ("DENIED", "TCP_DENIED", 403)
        } else {
            ("OBSERVED", "TCP_NC_MISS", 200)
        };
        s.push_str(&format!(
            "2024-06-{:02} {:02}:{:02}:{:02} {} 10.{}.{}.{} user{} \"CN=Staff,OU=Tokyo\" - {verdict} \"Technology/Internet;Web Ads/Analytics\" https://portal{}.example.com/home  {status} {action} GET application/json;%20charset=UTF-8 https api{}.example.net 443 /v2/items/{} ?page={}&sort=desc&session=8f1c2e77a9b34d{} - \"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36\" 192.0.2.1 {} {} -\n",
            1 + i % 28, i % 24, i % 60, (i * 7) % 60, i % 5000, i % 250, (i / 7) % 250, i % 200, i % 900, i % 30, i % 90, i, i % 40, i % 1000, 1000 + i % 90_000, 300 + i % 4000
        ));
        i += 1;
    }
    s
}

fn ifilter_buffer() -> String {
    const MON: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut s = String::new();
    let mut i = 0u64;
    while s.len() < TARGET_BYTES {
        let m = MON[(i / 1000 % 12) as usize];
        let d = 10 + i % 18;
        let (h, mi, se) = (i % 24, i % 60, (i * 7) % 59);
        let (action, status) = if i.is_multiple_of(13) {
            ("block", 503)
        } else {
            ("pass", 200)
        };
        s.push_str(&format!(
            "{m} {d} {h:02}:{mi:02}:{:02} {} 1050/01/ - 203.0.113.{}:443 10.20.{}.{} 10.20.{}.{} - user{} [{d}/{m}/2024:{h:02}:{mi:02}:{se:02} +0900] {status} {} {} {action} 0 44 44/109 -1 0 {} 0 eigyo - 0 - \"GET https://www{}.example.co.jp/products/list?id={}&lang=ja&q=%E8%A3%BD%E5%93%81 HTTP/1.1\" https://www.example.co.jp/ Mozilla%2F5.0+%28Windows+NT+10.0%3B+Win64%3B+x64%29+AppleWebKit%2F537.36+%28KHTML%2C+like+Gecko%29+Chrome%2F129.0.0.0+Safari%2F537.36 text%2Fhtml%3B+charset%3DUTF-8 {:08X}\n",
            se + 1, 3000 + i % 200, i % 250, i % 250, (i / 3) % 250, i % 250, (i / 3) % 250, i % 3000, 200 + i % 5000, 1000 + i % 80_000, i % 900, i % 40, i, i.wrapping_mul(2_654_435_761) & 0xffff_ffff
        ));
        i += 1;
    }
    s
}

fn run(p: &mut dyn LineParser, buf: &str) -> usize {
    let mut records = 0;
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', buf.as_bytes()) {
        if let Parsed::Record(r) = p.parse_line(&buf[start..end]) {
            black_box(&r);
            records += 1;
        }
        start = end + 1;
    }
    records
}

fn bench(c: &mut Criterion) {
    let opts = ParseOptions::default();
    let mut g = c.benchmark_group("parse");
    let sg = proxysg_buffer();
    let lines = sg.lines().count() as u64 - 3;
    assert_eq!(
        run(
            &mut ElffParser::new(SourceFormat::ProxySgElff, &opts).unwrap(),
            &sg
        ) as u64,
        lines
    );
    eprintln!(
        "proxysg: {lines} lines, {} bytes, {} bytes/line",
        sg.len(),
        sg.len() as u64 / lines
    );
    g.throughput(Throughput::Bytes(sg.len() as u64));
    g.bench_function("proxysg_elff", |b| {
        b.iter(|| {
            run(
                &mut ElffParser::new(SourceFormat::ProxySgElff, &opts).unwrap(),
                black_box(&sg),
            )
        })
    });
    let ifl = ifilter_buffer();
    let lines = ifl.lines().count() as u64;
    assert_eq!(
        run(
            &mut IfilterParser::new(SourceFormat::IfilterV10Access, &opts).unwrap(),
            &ifl
        ) as u64,
        lines
    );
    eprintln!(
        "ifilter: {lines} lines, {} bytes, {} bytes/line",
        ifl.len(),
        ifl.len() as u64 / lines
    );
    g.throughput(Throughput::Bytes(ifl.len() as u64));
    g.bench_function("ifilter_v10", |b| {
        b.iter(|| {
            run(
                &mut IfilterParser::new(SourceFormat::IfilterV10Access, &opts).unwrap(),
                black_box(&ifl),
            )
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
