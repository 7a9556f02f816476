//! Squid parse throughput over a generated in-memory buffer of realistic
//! native lines. Reports MB/s (criterion `Throughput::Bytes`) and lines/s.
//! Run: `CARGO_TARGET_DIR=/work/target-squid cargo bench -p kensa-formats --bench parse`
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kensa_formats::{ParseOptions, Parsed, parser_for};
use kensa_model::SourceFormat;
use std::hint::black_box;

fn native_buffer(lines: usize) -> String {
    // Deterministic LCG so the buffer is the same on every run.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        x >> 33
    };
    let hosts = [
        "www.example.com",
        "cdn.Example-CDN.net",
        "login.example.org",
        "api.example.app",
        "static.example.co.jp",
    ];
    let paths = [
        "/",
        "/index.html",
        "/assets/app.3f9c2a.js",
        "/api/v2/items?page=2&sort=desc",
        "/images/logo.png",
        "/__utm.gif?",
    ];
    let codes = [
        "TCP_MISS/200",
        "TCP_HIT/200",
        "TCP_MEM_HIT/200",
        "TCP_TUNNEL/200",
        "TCP_DENIED/407",
        "TCP_MISS/304",
    ];
    let types = [
        "text/html",
        "application/javascript",
        "image/png",
        "-",
        "application/json",
    ];
    let mut out = String::with_capacity(lines * 140);
    let mut t = 1_729_000_000_000u64;
    for _ in 0..lines {
        t += next() % 900;
        let code = codes[(next() % 6) as usize];
        let host = hosts[(next() % 5) as usize];
        let (method, url) = if code.starts_with("TCP_TUNNEL") {
            ("CONNECT", format!("{}:443", host.to_ascii_lowercase()))
        } else {
            (
                "GET",
                format!("http://{host}{}", paths[(next() % 6) as usize]),
            )
        };
        let user = if next() % 3 == 0 {
            "-".to_string()
        } else {
            format!("user{}", next() % 500)
        };
        let hier = if code.contains("HIT") || code.contains("DENIED") {
            "HIER_NONE/-".to_string()
        } else {
            format!("HIER_DIRECT/203.0.113.{}", next() % 250)
        };
        out.push_str(&format!(
            "{}.{:03} {:>6} 10.20.{}.{} {} {} {} {} {} {} {}\n",
            t / 1000,
            t % 1000,
            next() % 60_000,
            next() % 40,
            next() % 250,
            code,
            next() % 200_000,
            method,
            url,
            user,
            hier,
            types[(next() % 5) as usize]
        ));
    }
    out
}

fn bench(c: &mut Criterion) {
    let buf = native_buffer(20_000);
    let lines = buf.lines().count() as u64;
    let mut g = c.benchmark_group("squid_native");
    g.throughput(Throughput::Bytes(buf.len() as u64));
    g.bench_function("parse_20k_lines_bytes", |b| {
        let mut p = parser_for(SourceFormat::SquidNative, &ParseOptions::default()).unwrap();
        b.iter(|| {
            let mut n = 0u64;
            for l in buf.lines() {
                if let Parsed::Record(r) = p.parse_line(black_box(l)) {
                    n += r.bytes_down.unwrap_or(0);
                }
            }
            black_box(n)
        })
    });
    g.throughput(Throughput::Elements(lines));
    g.bench_function("parse_20k_lines_elems", |b| {
        let mut p = parser_for(SourceFormat::SquidNative, &ParseOptions::default()).unwrap();
        b.iter(|| {
            for l in buf.lines() {
                black_box(p.parse_line(black_box(l)));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
