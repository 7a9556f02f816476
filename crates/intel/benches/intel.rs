//! Load and lookup rates over 1 million generated indicators.
//!
//! `cargo bench -p kensa-intel` (criterion). Groups:
//! * `load/matcher_new_1m`: `Matcher::new` over 1M indicators in memory.
//! * `load/store_matcher_1m`: `IntelStore::matcher` (read JSON lines from
//!   disk + build) for the same 1M.
//! * `lookup/*`: host and IP lookups, half hits, half misses; throughput is
//!   reported per lookup.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kensa_intel::{ImportOptions, Indicator, IndicatorKind, IntelStore, Matcher};

const N: u32 = 1_000_000;

/// Deterministic scrambler (splitmix-style) so values look random.
fn mix(i: u32) -> u32 {
    let mut x = i.wrapping_mul(0x9E37_79B9) ^ 0x5bd1_e995;
    x ^= x >> 15;
    x = x.wrapping_mul(0x2c1b_3c6d);
    x ^= x >> 12;
    x
}

fn ip(i: u32) -> Ipv4Addr {
    Ipv4Addr::from(mix(i) | 0x0100_0000)
}

/// 1M indicators: 45% domains, 30% IPs, 5% CIDRs, 15% URLs, 5% JA3.
fn indicators() -> Vec<Indicator> {
    let src: Arc<str> = Arc::from("bench");
    (0..N)
        .map(|i| {
            let (kind, value) = match i % 20 {
                0..=8 => (IndicatorKind::Domain, format!("h{:x}.example{}.com", mix(i), i % 97)),
                9..=14 => (IndicatorKind::Ip, ip(i).to_string()),
                15 => (IndicatorKind::Cidr, format!("{}/{}", Ipv4Addr::from(u32::from(ip(i)) & 0xffff_ff00), 24)),
                16..=18 => (IndicatorKind::Url, format!("http://u{:x}.example.net/p/{i}.bin", mix(i))),
                _ => (IndicatorKind::Ja3, format!("{:08x}{:08x}{:08x}{:08x}", mix(i), mix(i + 1), mix(i + 2), mix(i + 3))),
            };
            Indicator::new(kind, value, src.clone())
        })
        .collect()
}

fn queries_host() -> Vec<String> {
    (0..10_000u32)
        .map(|j| {
            let i = (j * 7919) % N;
            if j % 2 == 0 && i % 20 <= 8 {
                format!("www.h{:x}.example{}.com", mix(i), i % 97)
            } else {
                format!("cdn{j}.static.example-miss.org")
            }
        })
        .collect()
}

fn queries_ip() -> Vec<IpAddr> {
    (0..10_000u32).map(|j| IpAddr::V4(if j % 2 == 0 { ip((j * 20) + 9) } else { Ipv4Addr::from(mix(j + 7_777_777)) })).collect()
}

fn bench(c: &mut Criterion) {
    let inds = indicators();
    let mut g = c.benchmark_group("load");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("matcher_new_1m", |b| b.iter_batched(|| inds.clone(), |v| black_box(Matcher::new(v)), criterion::BatchSize::LargeInput));

    // Store round trip: write the 1M as a `type,indicator` CSV, import, then load.
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("bench.csv");
    let mut text = String::from("type,indicator\n");
    for i in &inds {
        text.push_str(i.kind.as_str());
        text.push(',');
        text.push_str(&i.value);
        text.push('\n');
    }
    std::fs::write(&list, text).unwrap();
    let store = IntelStore::open(dir.path().join("intel")).unwrap();
    let r = store.import(&list, ImportOptions::default()).unwrap();
    assert_eq!(r.source.indicators, N as u64);
    g.bench_function("store_matcher_1m", |b| b.iter(|| black_box(store.matcher().unwrap())));
    g.finish();

    let m = Matcher::new(inds);
    let hosts = queries_host();
    let ips = queries_ip();
    let mut g = c.benchmark_group("lookup");
    g.throughput(Throughput::Elements(hosts.len() as u64));
    g.bench_function("match_host", |b| {
        b.iter(|| {
            let mut n = 0;
            for h in &hosts {
                n += m.match_host(h).len();
            }
            black_box(n)
        })
    });
    g.throughput(Throughput::Elements(ips.len() as u64));
    g.bench_function("match_ip", |b| {
        b.iter(|| {
            let mut n = 0;
            for a in &ips {
                n += m.match_ip(*a).len();
            }
            black_box(n)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
