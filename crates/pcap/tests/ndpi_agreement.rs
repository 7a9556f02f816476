//! Protocol and SNI/Host agreement with nDPI (`ndpiReader` output beside
//! each corpus capture). Flows are matched by (L4, unordered endpoints).
//! Run with `--nocapture` to print the table and every disagreement (this is
//! what EVALUATION.md "Packet captures: agreement with nDPI" reproduces).
mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{captures, corpus, run};
use kensa_pcap::AppProto;

struct NdpiFlow {
    tcp: bool,
    a: (String, u16),
    b: (String, u16),
    /// e.g. `TLS.Google`, `HTTP_Connect`.
    proto: String,
    confidence: String,
    host: Option<String>,
    /// Google QUIC (cleartext CHLO, not parsed by kensa).
    gquic: bool,
}

fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let i = line.find(key)? + key.len();
    let rest = &line[i..];
    Some(&rest[..rest.find(']')?])
}

fn parse_ndpi(path: &Path) -> Vec<NdpiFlow> {
    let mut out = Vec::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        if !line.starts_with('\t') || !(line.contains("\tTCP ") || line.contains("\tUDP ")) {
            continue;
        }
        let toks: Vec<&str> = line.split_whitespace().take(5).collect();
        let ep = |s: &str| {
            let (ip, port) = s.rsplit_once(':')?;
            let ip = ip.trim_start_matches('[').trim_end_matches(']');
            // Canonical text (nDPI writes `b00c::25de` for one zero group;
            // Rust follows RFC 5952 and writes `b00c:0:25de`).
            let ip = ip.parse::<std::net::IpAddr>().ok()?;
            Some((ip.to_string(), port.parse::<u16>().ok()?))
        };
        let (Some(a), Some(b)) = (ep(toks[2]), ep(toks[4])) else {
            continue;
        };
        let proto = field(line, "[proto: ").unwrap_or("");
        let proto = proto.split_once('/').map_or("", |x| x.1).to_string();
        out.push(NdpiFlow {
            tcp: toks[1] == "TCP",
            a,
            b,
            proto,
            confidence: field(line, "[Confidence: ").unwrap_or("").to_string(),
            host: field(line, "[Hostname/SNI: ").map(str::to_string),
            gquic: line.contains("[QUIC ver: Q0") || line.contains("[QUIC ver: T0"),
        });
    }
    out
}

/// The kensa protocol an nDPI master protocol corresponds to, for the
/// protocols kensa identifies (`None`: not a kensa protocol).
fn kensa_name(ndpi: &str) -> Option<&'static str> {
    let master = ndpi.split('.').next().unwrap_or("");
    Some(match master {
        "TLS" | "SMTPS" | "IMAPS" | "POPS" | "FTPS" | "DoH_DoT" => "tls",
        "HTTP" | "HTTP_Proxy" | "HTTP_Connect" => "http",
        "DNS" => "dns",
        "QUIC" => "quic",
        "SSH" => "ssh",
        "SMTP" => "smtp",
        "POP3" => "pop3",
        "IMAP" => "imap",
        "FTP_CONTROL" => "ftp",
        "SMBv1" | "SMBv23" => "smb",
        "RDP" => "rdp",
        "SOCKS" => "socks",
        "OpenVPN" => "openvpn",
        "WireGuard" => "wireguard",
        "Tor" => "tor",
        _ => return None,
    })
}

/// kensa's protocol folded to nDPI's level (Tor is TLS to nDPI unless its
/// IP list knows the relay).
fn family(p: AppProto) -> &'static str {
    match p {
        AppProto::Tor => "tls",
        p => p.name(),
    }
}

#[derive(Default)]
struct Row {
    n: u32,
    agree: u32,
}

#[test]
fn protocol_and_host_agree_with_ndpi() {
    let Some(root) = corpus() else { return };
    let mut proto_rows: BTreeMap<String, Row> = BTreeMap::new();
    let mut host_rows: BTreeMap<String, Row> = BTreeMap::new();
    let mut port_row = Row::default();
    let mut disagreements = Vec::new();
    let mut unmatched = 0;
    let mut captures_seen = 0;
    let mut gquic_hosts = 0;
    for cap in captures(&root) {
        let ndpi = cap.with_file_name(format!(
            "{}.ndpi.out",
            cap.file_name().unwrap().to_string_lossy()
        ));
        if !ndpi.exists() {
            continue;
        }
        captures_seen += 1;
        let name = cap.file_name().unwrap().to_string_lossy().to_string();
        let r = run(&cap);
        for nf in parse_ndpi(&ndpi) {
            let Some(want) = kensa_name(&nf.proto) else {
                continue;
            };
            let l4 = if nf.tcp { 6 } else { 17 };
            let ep = |ip: &std::net::IpAddr, port: u16| (ip.to_string(), port);
            let Some(f) = r.out.flows.iter().find(|f| {
                let c = ep(&f.client_ip, f.client_port);
                let s = ep(&f.server_ip, f.server_port);
                f.proto == l4 && ((c == nf.a && s == nf.b) || (c == nf.b && s == nf.a))
            }) else {
                unmatched += 1;
                disagreements.push(format!(
                    "{name} {}:{} <-> {}:{} nDPI {}: no kensa flow",
                    nf.a.0, nf.a.1, nf.b.0, nf.b.1, nf.proto
                ));
                continue;
            };
            let by_port = nf.confidence.contains("port");
            let got = family(f.app_proto);
            let got_full = match f.inner_proto {
                Some(i) => format!("{}({})[{:?}]", f.app_proto.name(), i.name(), f.app_method),
                None => format!("{}[{:?}]", f.app_proto.name(), f.app_method),
            };
            if by_port {
                port_row.n += 1;
                port_row.agree += (got == want) as u32;
                continue;
            }
            if !nf.confidence.starts_with("DPI") {
                continue;
            }
            let row = proto_rows.entry(want.to_string()).or_default();
            row.n += 1;
            if got == want {
                row.agree += 1;
            } else {
                disagreements.push(format!(
                    "{name} {}:{} <-> {}:{} proto: nDPI {} ({}), kensa {}",
                    nf.a.0, nf.a.1, nf.b.0, nf.b.1, nf.proto, nf.confidence, got_full
                ));
            }
            // Tor: compare kensa's heuristic with nDPI's relay list.
            if nf.proto == "TLS.Tor" || f.app_proto == AppProto::Tor {
                let row = proto_rows.entry("tor (within tls)".into()).or_default();
                row.n += 1;
                if (nf.proto == "TLS.Tor") == (f.app_proto == AppProto::Tor) {
                    row.agree += 1;
                } else {
                    disagreements.push(format!(
                        "{name} {}:{} <-> {}:{} tor: nDPI {}, kensa {}",
                        nf.a.0, nf.a.1, nf.b.0, nf.b.1, nf.proto, got_full
                    ));
                }
            }
            // Host / SNI, for the protocols that carry one in the same sense.
            let Some(host) = nf.host.as_deref() else {
                continue;
            };
            if nf.gquic {
                gquic_hosts += 1;
                continue;
            }
            let mine: Option<String> = match want {
                "tls" | "quic" => r
                    .out
                    .tls
                    .iter()
                    .find(|t| t.flow_id == f.flow_id)
                    .and_then(|t| t.sni.clone()),
                "http" => r
                    .out
                    .http
                    .iter()
                    .find(|h| h.flow_id == f.flow_id)
                    .and_then(|h| h.host.clone()),
                "dns" => r
                    .out
                    .dns
                    .iter()
                    .find(|d| d.flow_id == f.flow_id)
                    .and_then(|d| d.query.clone()),
                _ => continue,
            };
            let row = host_rows.entry(want.to_string()).or_default();
            row.n += 1;
            let norm = |s: &str| {
                let s = s.trim_end_matches('.').to_ascii_lowercase();
                // nDPI drops the port from Host for HTTP.
                match s.rsplit_once(':') {
                    Some((h, p)) if p.bytes().all(|c| c.is_ascii_digit()) && !h.contains(':') => {
                        h.to_string()
                    }
                    _ => s,
                }
            };
            if mine.as_deref().map(norm) == Some(norm(host)) {
                row.agree += 1;
            } else {
                disagreements.push(format!(
                    "{name} {}:{} <-> {}:{} host ({}): nDPI {host:?}, kensa {mine:?}",
                    nf.a.0, nf.a.1, nf.b.0, nf.b.1, nf.proto
                ));
            }
        }
    }
    let total = |rows: &BTreeMap<String, Row>| {
        rows.values()
            .filter(|_| true)
            .fold((0, 0), |(n, a), r| (n + r.n, a + r.agree))
    };
    println!("| protocol (nDPI, DPI confidence) | flows | kensa agrees | % |");
    println!("|---|---:|---:|---:|");
    for (p, r) in &proto_rows {
        println!(
            "| {p} | {} | {} | {:.1} |",
            r.n,
            r.agree,
            100.0 * r.agree as f64 / r.n as f64
        );
    }
    let (pn, pa) = total(
        &proto_rows
            .iter()
            .filter(|(k, _)| !k.starts_with("tor "))
            .map(|(k, r)| {
                (
                    k.clone(),
                    Row {
                        n: r.n,
                        agree: r.agree,
                    },
                )
            })
            .collect(),
    );
    println!(
        "| **all** | {pn} | {pa} | {:.1} |",
        100.0 * pa as f64 / pn as f64
    );
    println!();
    println!("| SNI / Host (nDPI field) | flows | kensa agrees | % |");
    println!("|---|---:|---:|---:|");
    for (p, r) in &host_rows {
        println!(
            "| {p} | {} | {} | {:.1} |",
            r.n,
            r.agree,
            100.0 * r.agree as f64 / r.n as f64
        );
    }
    let (hn, ha) = total(&host_rows);
    println!(
        "| **all** | {hn} | {ha} | {:.1} |",
        100.0 * ha as f64 / hn as f64
    );
    println!();
    println!(
        "nDPI 'Match by port' flows: {} (kensa agrees on {}); captures: {captures_seen}; nDPI flows without a kensa flow: {unmatched}; Google QUIC SNIs not compared: {gquic_hosts}",
        port_row.n, port_row.agree
    );
    println!("\nDisagreements:");
    for d in &disagreements {
        println!("- {d}");
    }
    assert!(
        captures_seen >= 50,
        "only {captures_seen} captures with nDPI output"
    );
    assert!(pn >= 100, "only {pn} comparable flows");
    let p = pa as f64 / pn as f64;
    let h = ha as f64 / hn as f64;
    assert!(p >= 0.95, "protocol agreement {:.1} % < 95 %", 100.0 * p);
    assert!(h >= 0.95, "SNI/Host agreement {:.1} % < 95 %", 100.0 * h);
}

/// Tunnels and VPNs in real captures: what runs inside CONNECT/SOCKS, Tor,
/// SMB, OpenVPN, WireGuard, with the identification method.
#[test]
fn tunnels_and_vpns_are_identified_in_corpus_captures() {
    use kensa_pcap::IdentMethod;
    let Some(root) = corpus() else { return };
    let flows = |rel: &str| run(&root.join(rel)).out.flows;
    let socks = flows("anonymizer_vpn_proxy/ja4__socks4-https.pcap");
    let f = socks
        .iter()
        .find(|f| f.app_proto == AppProto::Socks)
        .expect("a SOCKS flow");
    assert_eq!(f.inner_proto, Some(AppProto::Tls));
    assert!(
        f.tunnel_target
            .as_deref()
            .is_some_and(|t| t.ends_with(":443")),
        "{:?}",
        f.tunnel_target
    );
    let connect = flows("anonymizer_vpn_proxy/ndpi__http_connect.pcap");
    assert!(connect.iter().any(|f| f.app_proto == AppProto::Http
        && f.inner_proto == Some(AppProto::Tls)
        && f.app_method == IdentMethod::Content));
    let tor = flows("anonymizer_vpn_proxy/ndpi__tor.pcap");
    assert!(tor.iter().filter(|f| f.app_proto == AppProto::Tor).count() >= 3);
    let smb = flows("smb/ndpi__smb_deletefile.pcap");
    assert!(smb.iter().any(|f| f.app_proto == AppProto::Smb));
    let wg = flows("anonymizer_vpn_proxy/ndpi__wireguard.pcap");
    assert!(wg.iter().any(|f| f.app_proto == AppProto::WireGuard));
    let ovpn = flows("anonymizer_vpn_proxy/ndpi__openvpn.pcap");
    // OpenVPN on TCP 443 is a port mismatch.
    assert!(ovpn.iter().any(|f| f.app_proto == AppProto::OpenVpn
        && f.server_port == 443
        && f.proto == 6
        && f.risks.contains(&"non_tls_on_443")));
}
