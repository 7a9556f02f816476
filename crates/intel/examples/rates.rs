//! Measures load and lookup rates over 1M generated indicators in *CPU
//! time of this thread* (Linux `/proc/thread-self/schedstat`), so the
//! figures hold on a busy machine where wall-clock benches are noisy.
//!
//! `cargo run --release -p kensa-intel --example rates`

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use kensa_intel::{Indicator, IndicatorKind, Matcher};

fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

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

fn main() {
    const N: u32 = 1_000_000;
    let src: Arc<str> = Arc::from("bench");
    let inds: Vec<Indicator> = (0..N)
        .map(|i| {
            let (kind, value) = match i % 20 {
                0..=8 => (IndicatorKind::Domain, format!("h{:x}.example{}.com", mix(i), i % 97)),
                9..=14 => (IndicatorKind::Ip, ip(i).to_string()),
                15 => (IndicatorKind::Cidr, format!("{}/24", Ipv4Addr::from(u32::from(ip(i)) & 0xffff_ff00))),
                16..=18 => (IndicatorKind::Url, format!("http://u{:x}.example.net/p/{i}.bin", mix(i))),
                _ => (IndicatorKind::Ja3, format!("{:08x}{:08x}{:08x}{:08x}", mix(i), mix(i + 1), mix(i + 2), mix(i + 3))),
            };
            Indicator::new(kind, value, src.clone())
        })
        .collect();
    let t = cpu_ns();
    let m = Matcher::new(inds);
    println!("Matcher::new(1M): {:.0} ms CPU  {:?}", (cpu_ns() - t) as f64 / 1e6, m.stats());

    let hosts: Vec<String> = (0..100_000u32)
        .map(|j| {
            let i = (j * 7919) % N;
            if j % 2 == 0 && i % 20 <= 8 { format!("www.h{:x}.example{}.com", mix(i), i % 97) } else { format!("cdn{j}.static.example-miss.org") }
        })
        .collect();
    let ips: Vec<IpAddr> =
        (0..100_000u32).map(|j| IpAddr::V4(if j % 2 == 0 { ip(j * 20 + 9) } else { Ipv4Addr::from(mix(j + 7_777_777)) })).collect();
    for round in 0..3 {
        let t = cpu_ns();
        let mut n = 0;
        for _ in 0..10 {
            for h in &hosts {
                n += m.match_host(black_box(h)).len();
            }
        }
        let host_rate = 1e6 / ((cpu_ns() - t) as f64 / 1e9) ;
        let t = cpu_ns();
        for _ in 0..10 {
            for a in &ips {
                n += m.match_ip(black_box(*a)).len();
            }
        }
        let ip_rate = 1e6 / ((cpu_ns() - t) as f64 / 1e9);
        println!("round {round}: match_host {:.2} M/s, match_ip {:.2} M/s per core (hits {n})", host_rate / 1e6, ip_rate / 1e6);
    }
}
