//! Packet captures end to end: ingest, the packet tables in `kensa sql`,
//! derived web rows, stream/pcap-extract, mixed cases, mail exclusion,
//! rotated captures, malformed captures, and the DNS-tunnel detector over
//! the corpus.

mod common;

use std::path::{Path, PathBuf};

use common::*;

use kensa_synth::pcap::PcapBuilder as PcapBuf;

fn case_arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

const HTTP_REQ: &[u8] = b"GET /index.html?a=1 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: curl/8.0\r\n\r\n";
const HTTP_RESP: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello";

#[test]
fn synthetic_capture_tables_web_rows_stream_extract_and_mail() {
    let d = tempfile::tempdir().unwrap();
    let mut p = PcapBuf::new();
    p.conversation(1_700_000_000, [10, 0, 0, 1], 40000, [93, 184, 216, 34], 80, HTTP_REQ, HTTP_RESP);
    p.conversation(1_700_000_010, [10, 0, 0, 1], 40001, [192, 0, 2, 25], 25, b"EHLO me\r\n", b"250 ok\r\n");
    let cap = d.path().join("week.pcap");
    std::fs::write(&cap, p.bytes()).unwrap();
    let case = d.path().join("case");
    let (v, code) = ingest_json(&case, &[cap.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    let o = &v["inputs"][0];
    assert_eq!(o["status"], "ingested");
    assert_eq!(o["format"], "pcap");
    assert_eq!(o["packets"], 14);
    assert_eq!(o["capture_group"]["flows"], 2);
    assert_eq!(o["capture_group"]["mail_flows"], 1);
    assert_eq!(o["capture_group"]["mail"][0]["mail_proto"], "smtp");

    let flows = sql_csv(&case, "SELECT server_port, transport, tcp_state, app_proto, app_method, mail, pkts_c2s, pkts_s2c, first_packet FROM flows ORDER BY server_port");
    assert_eq!(flows.lines().nth(1).unwrap(), "25,tcp,closed,smtp,content,true,4,3,8");
    assert_eq!(flows.lines().nth(2).unwrap(), "80,tcp,closed,http,content,false,4,3,1");
    let http = sql_csv(&case, "SELECT method, host, uri, status, user_agent FROM http");
    assert_eq!(http.lines().nth(1).unwrap(), "GET,www.example.com,/index.html?a=1,200,curl/8.0");
    // Web rows: the HTTP transaction only (mail is left out).
    let web = sql_csv(&case, "SELECT source_format, scheme, host, path, query, status, user_agent, source_line, port FROM web_requests");
    assert_eq!(web.lines().count(), 2, "{web}");
    assert_eq!(web.lines().nth(1).unwrap(), "pcap,http,www.example.com,/index.html,a=1,200,curl/8.0,1,80");

    // kensa info lists the excluded mail.
    let info = run(&["info", "--case", case_arg(&case), "--json"]);
    let iv: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(iv["mail_excluded"][0]["server_ip"], "192.0.2.25");
    assert_eq!(iv["mail_excluded"][0]["flows"], 1);
    let text = stdout(&run(&["info", "--case", case_arg(&case)]));
    assert!(text.contains("mail flows     1"), "{text}");

    // Stream the HTTP flow: both directions, escaped text.
    let id = sql_csv(&case, "SELECT flow_id FROM flows WHERE server_port = 80");
    let id = id.lines().nth(1).unwrap().to_string();
    let s = run(&["stream", "--case", case_arg(&case), &id]);
    assert!(s.status.success(), "{}", stderr(&s));
    let out = stdout(&s);
    assert!(out.contains(">> 78 bytes") || out.contains(">> "), "{out}");
    assert!(out.contains("GET /index.html?a=1 HTTP/1.1"), "{out}");
    assert!(out.contains("HTTP/1.1 200 OK"), "{out}");
    let c2s = run(&["stream", "--case", case_arg(&case), &id, "--direction", "c2s", "--raw"]);
    assert_eq!(c2s.stdout, HTTP_REQ);
    let s2c = run(&["stream", "--case", case_arg(&case), &id, "--direction", "s2c", "--raw", "--max-bytes", "8"]);
    assert_eq!(s2c.stdout, &HTTP_RESP[..8]);
    let bad = run(&["stream", "--case", case_arg(&case), "00000000deadbeef"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("no flow"));

    // Extract the flow and read the written pcap back.
    let out_pcap = d.path().join("flow.pcap");
    let e = run(&["pcap-extract", "--case", case_arg(&case), &id, "-o", out_pcap.to_str().unwrap()]);
    assert!(e.status.success(), "{}", stderr(&e));
    let mut r = kensa_pcap::CaptureReader::open(&out_pcap).unwrap();
    let mut n = 0;
    while let Some(pk) = r.next_packet().unwrap() {
        let dcd = kensa_pcap::decode::decode(pk.link_type, pk.data).unwrap();
        assert!(dcd.sport == 80 || dcd.dport == 80);
        n += 1;
    }
    assert_eq!(n, 7);
}

#[test]
fn include_mail_derives_nothing_new_but_is_recorded() {
    let d = tempfile::tempdir().unwrap();
    let mut p = PcapBuf::new();
    p.conversation(1_700_000_000, [10, 0, 0, 1], 40001, [192, 0, 2, 25], 587, b"EHLO me\r\n", b"250 ok\r\n");
    let cap = d.path().join("mail.pcap");
    std::fs::write(&cap, p.bytes()).unwrap();
    let case = d.path().join("case");
    let (v, code) = ingest_json(&case, &["--include-mail", cap.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(v["inputs"][0]["capture_group"]["include_mail"], true);
    assert_eq!(v["inputs"][0]["capture_group"]["mail"][0]["mail_proto"], "submission");
}

#[test]
fn rotated_captures_continue_one_flow_across_files_in_time_order() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("rot");
    std::fs::create_dir(&dir).unwrap();
    let (c, s) = ([10, 0, 0, 9], [198, 51, 100, 1]);
    // The later half is in the file whose name sorts first.
    let mut early = PcapBuf::new();
    early.tcp(1_700_000_000, c, 50000, s, 80, 1000, 0x02, b"");
    early.tcp(1_700_000_000, s, 80, c, 50000, 5000, 0x12, b"");
    early.tcp(1_700_000_001, c, 50000, s, 80, 1001, 0x18, b"GET / HTTP/1.1\r\nHost: a.example\r\n\r\n");
    let mut late = PcapBuf::new();
    late.tcp(1_700_000_002, s, 80, c, 50000, 5001, 0x18, b"HTTP/1.1 204 No Content\r\n\r\n");
    late.tcp(1_700_000_003, c, 50000, s, 80, 1035, 0x11, b"");
    std::fs::write(dir.join("a-late.pcap"), late.bytes()).unwrap();
    // The early half compressed: captures are recognised by content.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, early.bytes()).unwrap();
    std::fs::write(dir.join("b-early.pcap.gz"), gz.finish().unwrap()).unwrap();
    let case = d.path().join("case");
    let (v, code) = ingest_json(&case, &[dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    // Ordered by first packet time, not by name.
    assert!(v["inputs"][0]["path"].as_str().unwrap().ends_with("b-early.pcap.gz"), "{v}");
    assert_eq!(v["inputs"][0]["compression"], "gzip");
    let o = run(&["sql", "--case", case_arg(&case), "--output", "json", "SELECT capture_inputs, pkts_c2s + pkts_s2c AS pk FROM flows"]);
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1, "one flow across both files: {rows}");
    assert_eq!(rows[0]["capture_inputs"].as_array().unwrap().len(), 2, "{rows}");
    assert_eq!(rows[0]["pk"], 5);
    let web = sql_csv(&case, "SELECT status, host FROM web_requests");
    assert_eq!(web.lines().nth(1).unwrap(), "204,a.example");
    // The stream re-reads both files (one compressed).
    let id = sql_csv(&case, "SELECT flow_id FROM flows");
    let id = id.lines().nth(1).unwrap();
    let s = run(&["stream", "--case", case_arg(&case), id, "--direction", "s2c", "--raw"]);
    assert_eq!(stdout(&s), "HTTP/1.1 204 No Content\r\n\r\n");
    // Re-ingesting is a no-op.
    let (v2, _) = ingest_json(&case, &[dir.to_str().unwrap()]);
    assert!(v2["inputs"].as_array().unwrap().iter().all(|o| o["status"] == "already_ingested"), "{v2}");
}

#[test]
fn malformed_captures_are_counted_not_fatal() {
    let d = tempfile::tempdir().unwrap();
    let mut p = PcapBuf::new();
    p.tcp(1_700_000_000, [10, 0, 0, 1], 1, [10, 0, 0, 2], 80, 1, 0x02, b"");
    // A record claiming 60 bytes with a 14-byte body: the file is cut.
    for v in [1_700_000_001u32, 0, 60, 60] {
        p.raw(&v.to_le_bytes());
    }
    p.raw(&[0u8; 14]);
    let cap = d.path().join("cut.pcap");
    std::fs::write(&cap, p.bytes()).unwrap();
    // A frame shorter than its Ethernet header.
    let mut q = PcapBuf::new();
    for v in [1_700_000_000u32, 0, 6, 6] {
        q.raw(&v.to_le_bytes());
    }
    q.raw(&[1, 2, 3, 4, 5, 6]);
    let cap2 = d.path().join("short.pcap");
    std::fs::write(&cap2, q.bytes()).unwrap();
    let case = d.path().join("case");
    let (v, code) = ingest_json(&case, &[cap.to_str().unwrap(), cap2.to_str().unwrap()]);
    assert_ne!(code, 101, "no panic");
    let by_path = |suffix: &str| v["inputs"].as_array().unwrap().iter().find(|o| o["path"].as_str().unwrap().ends_with(suffix)).unwrap().clone();
    assert_eq!(by_path("cut.pcap")["reject_counts"]["truncated_tail"], 1, "{v}");
    assert_eq!(by_path("short.pcap")["reject_counts"]["link_truncated"], 1, "{v}");
    let info = run(&["info", "--case", case_arg(&case)]);
    let text = stdout(&info);
    assert!(text.contains("packet 1: link_truncated"), "{text}");
    assert!(text.contains("packet 2: truncated_tail"), "{text}");

    // The corpus' malformed captures: every one read, none fatal.
    let Some(corpus) = corpus() else { return };
    let m = corpus.join("pcap/malformed");
    let mut files: Vec<PathBuf> = Vec::new();
    for e in walk(&m) {
        if e.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
            files.push(e);
        }
    }
    assert!(files.len() >= 10);
    let case2 = d.path().join("case2");
    let args: Vec<&str> = files.iter().map(|p| p.to_str().unwrap()).collect();
    let (v, code) = ingest_json(&case2, &args);
    assert!(code == 0 || code == 1, "{v}");
    let total: u64 = v["inputs"].as_array().unwrap().iter().map(|o| o["rejected"].as_u64().unwrap_or(0)).sum();
    assert!(total > 0, "malformed captures report decode problems: {v}");
}

fn walk(p: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(p).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn corpus_dns_tunnels_found_ordinary_dns_not_and_mixed_case() {
    let Some(corpus) = corpus() else { return };
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("run");
    let tun = corpus.join("pcap/dns_tunnel_exfil");
    let caps = ["ndpi__dns-tunnel-iodine.pcap", "ndpi__dns2tcp_tunnel.pcap", "ndpi__dns_exfiltration.pcap", "ndpi__dns-exf.pcap"];
    let squid = corpus.join("proxy/squid/synthetic-combined.log");
    let mut args = vec!["run".to_string(), "--quiet".into(), "--json".into(), "--out".into(), out.display().to_string(), squid.display().to_string()];
    args.extend(caps.iter().map(|c| tun.join(c).display().to_string()));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&a);
    assert!(o.status.success(), "{}", stderr(&o));
    let case = out.join("case");
    // Mixed case: log rows and packet-derived rows side by side.
    let fmts = sql_csv(&case, "SELECT DISTINCT source_format FROM web_requests ORDER BY 1");
    assert!(fmts.contains("pcap") && fmts.contains("squid"), "{fmts}");
    let tls = sql_csv(&case, "SELECT count(*) FROM tls WHERE ja4 IS NOT NULL");
    assert_ne!(tls.lines().nth(1).unwrap(), "0");
    let f: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("findings.json")).unwrap()).unwrap();
    let dns: Vec<&serde_json::Value> = f["findings"].as_array().unwrap().iter().filter(|x| x["detector"] == "dns-tunnel").collect();
    let srcs: Vec<&str> = dns.iter().map(|x| x["src"]["ip"].as_str().unwrap_or("")).collect();
    // iodine, dnscat-style exfiltration, the single base64 query, and
    // dns2tcp's DNS-over-HTTPS channel to 1.1.1.1.
    let clients = sql_csv(&case, "SELECT DISTINCT client_ip FROM flows ORDER BY 1");
    assert!(dns.len() >= 4, "one finding per tunnel capture: {srcs:?} (clients {clients})");
    assert!(dns.iter().any(|x| x["evidence"]["notes"]["channel"] == "doh-dot" && x["dst"]["ip"] == "1.1.1.1"), "{srcs:?}");
    assert!(dns.iter().any(|x| x["dst"]["domain"] == "pirate.sea"), "iodine: {srcs:?}");
    assert!(dns.iter().any(|x| x["dst"]["host"] == "dnscat.*"), "dnscat exfiltration: {srcs:?}");
    assert!(dns.iter().any(|x| x["src"]["ip"] == "192.168.2.225"), "the single base64 query: {srcs:?}");

    // Ordinary DNS (telegram, dropbox, anydesk, multi-interface) gives none.
    let out2 = d.path().join("run2");
    let plain = [
        "pcap/cloud_storage_remote_access/ndpi__telegram.pcap",
        "pcap/cloud_storage_remote_access/ndpi__dropbox.pcap",
        "pcap/cloud_storage_remote_access/ndpi__anydesk.pcapng",
        "pcap/pcapng_misc/zeek__pcapng-multi-interface.pcapng",
        "pcap/http/ndpi__http_ipv6.pcap",
    ];
    let mut args = vec!["run".to_string(), "--quiet".into(), "--json".into(), "--out".into(), out2.display().to_string()];
    args.extend(plain.iter().map(|c| corpus.join(c).display().to_string()));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&a);
    assert!(o.status.success(), "{}", stderr(&o));
    let f: serde_json::Value = serde_json::from_slice(&std::fs::read(out2.join("findings.json")).unwrap()).unwrap();
    let dns: Vec<&serde_json::Value> = f["findings"].as_array().unwrap().iter().filter(|x| x["detector"] == "dns-tunnel").collect();
    assert!(dns.is_empty(), "{dns:?}");
}

#[test]
fn ja3_from_a_capture_matches_sslbl_intel() {
    let Some(corpus) = corpus() else { return };
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("run");
    let o = run(&[
        "run",
        "--quiet",
        "--json",
        "--out",
        out.to_str().unwrap(),
        "--intel",
        corpus.join("intel/sslbl__ja3_fingerprints__excerpt.csv").to_str().unwrap(),
        corpus.join("pcap/malware_c2/ndpi__emotet.pcap").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let case = out.join("case");
    // The corpus README: JA3 51c64c77e60f3980eea90869b68c58a8 (Dridex in SSLBL) is in this capture.
    let hits = sql_csv(&case, "SELECT count(*) FROM web_requests WHERE intel LIKE '%51c64c77e60f3980eea90869b68c58a8%'");
    assert_ne!(hits.lines().nth(1).unwrap(), "0", "{hits}");
    let tls = sql_csv(&case, "SELECT count(*) FROM tls WHERE ja3 = '51c64c77e60f3980eea90869b68c58a8'");
    assert_ne!(tls.lines().nth(1).unwrap(), "0");
}
