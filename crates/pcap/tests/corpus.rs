//! Whole-corpus tests: every capture is read without a panic and with its
//! problems counted; per-flow SNI/Host agreement with nDPI.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{captures, corpus, run};

#[test]
fn every_capture_is_read_and_problems_are_counted() {
    let Some(root) = corpus() else { return };
    let mut runs = BTreeMap::new();
    let all = captures(&root);
    assert!(all.len() >= 89, "only {} captures found", all.len());
    for cap in all {
        let r = run(&cap);
        // Every packet the reader returned reached the engine, and every
        // decoded packet is in exactly one flow (reassembled datagrams count once).
        assert_eq!(r.reader.packets, r.engine.packets, "{}", cap.display());
        let in_flows: u64 = r.out.flows.iter().map(|f| f.pkts_c2s + f.pkts_s2c).sum();
        assert_eq!(
            in_flows,
            r.engine.decode.decoded,
            "{} {:?}",
            cap.display(),
            r.engine
        );
        for f in &r.out.flows {
            assert!(f.first_ts_ns <= f.last_ts_ns);
            assert_eq!(f.packet_refs.decode().len() as u32, f.packet_refs.count);
        }
        runs.insert(cap.file_name().unwrap().to_string_lossy().to_string(), r);
    }
    let s = |n: &str| {
        runs.get(n)
            .unwrap_or_else(|| panic!("capture {n} not in corpus"))
    };
    // Zeek truncation traces.
    assert_eq!(s("trunc-hdr.pcap").engine.decode.link_truncated, 1);
    assert_eq!(s("ip4-trunc.pcap").engine.decode.bad_ip, 1);
    assert_eq!(s("ip6-trunc.pcap").engine.decode.bad_ip, 1);
    assert_eq!(
        s("ipv4-internally-truncated-header.pcap")
            .engine
            .decode
            .bad_ip,
        1
    );
    assert_eq!(s("ip6-ext-trunc.pcap").engine.decode.snaplen_cut, 1);
    assert_eq!(s("icmp-payload-trunc.pcap").engine.decode.snaplen_cut, 4);
    // suricata-verify ipv4-truncated: one packet cut by the snaplen, still decoded.
    assert_eq!(s("truncated.pcap").engine.decode.snaplen_cut, 1);
    // nDPI fuzz capture: the first record claims 524 501 bytes in a 239-byte file.
    let f = s("ndpi__fuzz-2021-10-13.pcap");
    assert_eq!(
        (
            f.reader.packets,
            f.reader.truncated_tail,
            f.reader.truncated_tail_bytes
        ),
        (0, 1, 215)
    );
    // Fragments: snaplen-cut fragments cannot be reassembled and are counted.
    let b = s("ndpi__badpackets.pcap");
    assert_eq!(b.engine.defrag.fragments, 93);
    assert_eq!(b.engine.defrag.reassembled, 0);
    assert_eq!(b.engine.defrag.invalid + b.engine.defrag.timed_out, 92);
    assert!(
        s("ndpi__ip_fragmented_garbage.pcap")
            .engine
            .defrag
            .reassembled
            >= 1
    );
    assert!(s("ndpi__malformed_dns.pcap").engine.dns_malformed >= 1);
    // GTP-U: nDPI reports the tunnelled TLS flow with 2 + 1 packets.
    assert_eq!(s("ndpi__tls_invalid_reads.pcap").engine.decode.tunnelled, 3);
    assert_eq!(s("zeek__empty.pcap").reader.packets, 0);
    assert_eq!(s("zeek__pcapng-multi-interface.pcapng").reader.packets, 6);
}

/// (client, server) endpoints and Hostname/SNI from an nDPI flow line.
type Endpoint = (String, u16);

fn ndpi_hosts(path: &Path) -> Vec<(Endpoint, Endpoint, String)> {
    let mut out = Vec::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        if !line.starts_with('\t') || !(line.contains("\tTCP ") || line.contains("\tUDP ")) {
            continue;
        }
        // Only TLS/HTTP over TCP and DNS/QUIC over UDP: nDPI also puts SSH
        // banners and SMTP greetings in this field.
        let proto = line.find("[proto: ").map(|i| &line[i..]).unwrap_or("");
        let proto = &proto[..proto.find(']').unwrap_or(proto.len())];
        let tcp = line.contains("\tTCP ");
        if !((tcp && (proto.contains("TLS") || proto.contains("HTTP")))
            || (!tcp && (proto.contains("/DNS") || proto.contains("QUIC"))))
        {
            continue;
        }
        // Google QUIC (Q0xx versions, cleartext CHLO) is not parsed: obsolete
        // since 2021 and absent from current traffic. Listed in the report.
        if line.contains("[QUIC ver: Q0") {
            continue;
        }
        let Some(i) = line.find("[Hostname/SNI: ") else {
            continue;
        };
        let host = &line[i + 15..];
        let host = host[..host.find(']').unwrap_or(host.len())].to_string();
        let toks: Vec<&str> = line.split_whitespace().take(5).collect();
        let ep = |s: &str| {
            let (ip, port) = s.rsplit_once(':')?;
            Some((
                ip.trim_start_matches('[').trim_end_matches(']').to_string(),
                port.parse::<u16>().ok()?,
            ))
        };
        if let (Some(a), Some(b)) = (ep(toks[2]), ep(toks[4])) {
            out.push((a, b, host));
        }
    }
    out
}

fn line_is_tcp(ndpi: &Path, a: &(String, u16), b: &(String, u16)) -> bool {
    let text = std::fs::read_to_string(ndpi).unwrap();
    let needle = |(ip, p): &(String, u16)| {
        if ip.contains(':') {
            format!("[{ip}]:{p}")
        } else {
            format!("{ip}:{p}")
        }
    };
    text.lines()
        .any(|l| l.contains("\tTCP ") && l.contains(&needle(a)) && l.contains(&needle(b)))
}

#[test]
fn sni_and_host_agree_with_ndpi() {
    let Some(root) = corpus() else { return };
    // Captures whose every nDPI Hostname/SNI must be reproduced.
    let strict = [
        "ndpi__443-chrome.pcap",
        "ndpi__443-curl.pcap",
        "ndpi__trickbot.pcap",
        "ndpi__exe_download_as_png.pcap",
        "ndpi__http_ipv6.pcap",
        "ndpi__dropbox.pcap",
        "ndpi__log4j-webapp-exploit.pcap",
        "ndpi__dns-tunnel-iodine.pcap",
        "ndpi__dns_exfiltration.pcap",
        "ndpi__malware.pcap",
        "ndpi__doq.pcapng",
    ];
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for cap in captures(&root) {
        let name = cap.file_name().unwrap().to_string_lossy().to_string();
        let ndpi = cap.with_file_name(format!("{name}.ndpi.out"));
        if !ndpi.exists() {
            continue;
        }
        let r = run(&cap);
        for (a, b, host) in ndpi_hosts(&ndpi) {
            let flow = r.out.flows.iter().find(|f| {
                let c = (f.client_ip.to_string(), f.client_port);
                let s = (f.server_ip.to_string(), f.server_port);
                (c == a && s == b) || (c == b && s == a)
            });
            let Some(flow) = flow else {
                mismatches.push((name.clone(), format!("no flow for {a:?} {b:?}")));
                continue;
            };
            let ours: Vec<String> = r
                .out
                .tls
                .iter()
                .filter(|t| t.flow_id == flow.flow_id)
                .filter_map(|t| t.sni.clone())
                .chain(
                    r.out
                        .http
                        .iter()
                        .filter(|h| h.flow_id == flow.flow_id)
                        .filter_map(|h| h.host.clone()),
                )
                .chain(
                    r.out
                        .dns
                        .iter()
                        .filter(|d| d.flow_id == flow.flow_id)
                        .filter_map(|d| d.query.clone()),
                )
                .map(|h| {
                    let h = h.to_ascii_lowercase();
                    // Host header may carry a port; nDPI strips it.
                    match h.rsplit_once(':') {
                        Some((x, p))
                            if p.chars().all(|c| c.is_ascii_digit()) && !x.contains(':') =>
                        {
                            x.to_string()
                        }
                        _ => h,
                    }
                })
                .collect();
            compared += 1;
            // nDPI keeps at most ~80 bytes of a name and rewrites characters
            // outside [a-z0-9.-] to '_': for DNS, accept its value as a
            // substring of ours after the same rewrite.
            let norm = |h: &str| -> String {
                h.chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect()
            };
            let want = host.to_ascii_lowercase();
            let is_dns = !line_is_tcp(&ndpi, &a, &b);
            let ok = ours.iter().any(|h| {
                *h == want || (is_dns && want.len() >= 16 && norm(h).contains(&norm(&want)))
            });
            if !ok {
                mismatches.push((
                    name.clone(),
                    format!("{a:?} -> {b:?}: nDPI {host:?}, ours {ours:?}"),
                ));
            }
        }
    }
    for (n, m) in &mismatches {
        eprintln!("  {n}: {m}");
    }
    eprintln!(
        "compared {compared} nDPI Hostname/SNI values, {} differ",
        mismatches.len()
    );
    let strict_bad: Vec<_> = mismatches
        .iter()
        .filter(|(n, _)| strict.contains(&n.as_str()))
        .collect();
    assert!(compared >= 40, "too few comparisons: {compared}");
    assert!(strict_bad.is_empty(), "{strict_bad:?}");
}

/// Per-direction packet counts agree with nDPI's `[N pkts/… <-> M pkts/…]`.
#[test]
fn packet_counts_agree_with_ndpi() {
    let Some(root) = corpus() else { return };
    let (mut compared, mut bad) = (0, Vec::new());
    for cap in captures(&root) {
        let name = cap.file_name().unwrap().to_string_lossy().to_string();
        let ndpi = cap.with_file_name(format!("{name}.ndpi.out"));
        if !ndpi.exists() {
            continue;
        }
        let r = run(&cap);
        for line in std::fs::read_to_string(&ndpi).unwrap().lines() {
            if !line.starts_with('\t') || !(line.contains("\tTCP ") || line.contains("\tUDP ")) {
                continue;
            }
            let toks: Vec<&str> = line.split_whitespace().take(5).collect();
            // Compare addresses parsed, not as text (nDPI compresses a single
            // zero IPv6 group, Rust follows RFC 5952).
            let ep = |s: &str| {
                let (ip, port) = s.rsplit_once(':')?;
                Some((
                    ip.trim_start_matches('[')
                        .trim_end_matches(']')
                        .parse::<std::net::IpAddr>()
                        .ok()?,
                    port.parse::<u16>().ok()?,
                ))
            };
            let (Some(a), Some(b)) = (ep(toks[2]), ep(toks[4])) else {
                continue;
            };
            // Known, explained differences (not counted):
            // - nDPI turns unreassembled IP fragments into port-0 flows; we
            //   count fragments in `defrag` and make no flow of them.
            // - the fuzzed nDPI capture whose first record claims 524 501 bytes
            //   in a 239-byte file: libpcap salvages a packet, we stop (counted).
            if (a.1 == 0 && b.1 == 0) || name == "ndpi__fuzz-2021-10-13.pcap" {
                continue;
            }
            let Some(i) = line.find(" pkts/") else {
                continue;
            };
            let head = &line[..i];
            let n_a: u64 = head[head.rfind('[').unwrap() + 1..].parse().unwrap();
            let rest = &line[i..];
            let n_b: u64 = rest
                .find("<-> ")
                .and_then(|j| rest[j + 4..].split(' ').next()?.parse().ok())
                .unwrap_or(0);
            let flows: Vec<_> = r
                .out
                .flows
                .iter()
                .filter(|f| {
                    let c = (f.client_ip, f.client_port);
                    let s = (f.server_ip, f.server_port);
                    (c == a && s == b) || (c == b && s == a)
                })
                .collect();
            // - nDPI ignores packets cut short of their IP length; we count them.
            if flows.iter().any(|f| f.snaplen_cut > 0) {
                continue;
            }
            let ours: Option<(u64, u64)> = flows.first().map(|f| {
                let fwd = (f.client_ip, f.client_port) == a;
                let (c, s) = flows
                    .iter()
                    .fold((0, 0), |acc, f| (acc.0 + f.pkts_c2s, acc.1 + f.pkts_s2c));
                if fwd { (c, s) } else { (s, c) }
            });
            compared += 1;
            if ours != Some((n_a, n_b)) {
                bad.push(format!(
                    "{name}: {a:?} <-> {b:?}: nDPI {n_a}/{n_b}, ours {ours:?}"
                ));
            }
        }
    }
    for b in &bad {
        eprintln!("  {b}");
    }
    eprintln!("compared {compared} nDPI flows, {} differ", bad.len());
    assert!(compared > 200, "too few comparisons: {compared}");
    assert!(bad.is_empty(), "{bad:?}");
}
