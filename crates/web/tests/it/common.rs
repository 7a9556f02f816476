//! A case full of hostile strings, built with the real ingest pipeline, plus
//! findings that carry the same strings, for the workbench tests.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kensa_detect::{Finding, Severity};
use kensa_ingest::source::InputSpec;
use kensa_ingest::{IngestOptions, NoProgress};
use kensa_store::Case;

/// Payloads: each would run script (setting `window.__pwned`) if a page
/// wrote it unescaped.
pub const XSS_USER: &str = "<script>window.__pwned=1</script>";
pub const XSS_UA: &str = "Mozilla/5.0 <img src=x onerror=window.__pwned=2>";
pub const XSS_HOST: &str = "evil.example";
pub const XSS_PATH: &str = "/<script>window.__pwned=3</script>";
pub const XSS_TITLE: &str = "Beacon to <svg onload=window.__pwned=4>";

const HEADER: &str = "#Software: SGOS 7.3.1.1\n#Version: 1.0\n#Fields: date time time-taken c-ip cs-username cs-auth-group x-exception-id sc-filter-result cs-categories cs(Referer) sc-status s-action cs-method rs(Content-Type) cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query cs-uri-extension cs(User-Agent) s-ip sc-bytes cs-bytes x-virus-id\n";

/// A ProxySG log: a beacon from 10.0.0.5 to evil.example every 5 minutes
/// for two days with hostile user, UA and path; benign traffic from other
/// hosts to a few destinations.
pub fn proxysg_log() -> String {
    let mut s = String::from(HEADER);
    for i in 0..576u32 {
        let (d, rem) = (1 + i / 288, (i % 288) * 300 + (i * 7) % 11);
        let (h, m, sec) = (rem / 3600, rem / 60 % 60, rem % 60);
        s.push_str(&format!(
            "2026-03-{d:02} {h:02}:{m:02}:{sec:02} 120 10.0.0.5 {XSS_USER} - - OBSERVED \"Technology/Internet\" - 200 TCP_NC_MISS GET text/html http {XSS_HOST} 80 {XSS_PATH} ?q=%22%3E%3Cscript%3Ewindow.__pwned=5%3C/script%3E - \"{XSS_UA}\" 192.0.2.1 512 {} -\n",
            300 + i % 7
        ));
    }
    for i in 0..600u32 {
        let host = ["www.example.com", "docs.example.org", "cdn.example.net"][(i % 3) as usize];
        let (d, rem) = (1 + i % 2, (i * 137) % 86400);
        let (h, m, sec) = (rem / 3600, rem / 60 % 60, rem % 60);
        s.push_str(&format!(
            "2026-03-{d:02} {h:02}:{m:02}:{sec:02} 80 10.0.1.{} user{} - - OBSERVED \"Technology/Internet\" - 200 TCP_NC_MISS GET text/html https {host} 443 /page/{i} - - \"Mozilla/5.0 (Windows NT 10.0)\" 192.0.2.2 4000 600 -\n",
            i % 20,
            i % 20
        ));
    }
    s
}

fn finding(det: &str, src: &str, user: Option<&str>, dst: &str, title: &str, score: f64, i: i64) -> Finding {
    let mut f = Finding::new(det, src, dst, title.to_string(), score);
    f.src.ip = Some(src.to_string());
    f.src.user = user.map(str::to_string);
    f.dst.host = Some(dst.to_string());
    f.dst.domain = Some(dst.to_string());
    f.first_seen = 1_772_323_200_000 + i * 3_600_000;
    f.last_seen = f.first_seen + 86_400_000;
    f.count = 100 + i as u64;
    f.attack = vec!["T1071.001".into()];
    f.explanation.en = format!("{title} explained <b>bold?</b>");
    f.explanation.ja = format!("{title} の説明");
    f.figure("period_s", 300.0);
    f
}

/// The findings stored in the fixture case.
pub fn findings() -> Vec<Finding> {
    let mut v = vec![finding("beacon", "10.0.0.5", Some(XSS_USER), XSS_HOST, XSS_TITLE, 92.0, 0)];
    v[0].evidence.notes.insert("<b>note</b>".into(), XSS_UA.into());
    let t0 = v[0].first_seen;
    v[0].evidence.samples.push(kensa_detect::Sample { file: 1, path: None, line: 5, ts_ms: t0 });
    v[0].evidence.samples.push(kensa_detect::Sample { file: 1, path: None, line: 6, ts_ms: t0 });
    for i in 0..20 {
        let det = if i % 2 == 0 { "rare-destination" } else { "dga" };
        let mut f = finding(det, &format!("10.0.1.{i}"), Some(&format!("user{i}")), &format!("d{i}.example.net"), &format!("finding {i}"), 30.0 + i as f64, i);
        if i % 4 == 0 {
            f.dst.service = Some("examplebox".into());
        }
        f.severity = if i < 5 { Severity::Low } else { Severity::Medium };
        v.push(f);
    }
    // Two findings to the same destination from different hosts (allowlist tests).
    v.push(finding("rare-destination", "10.0.1.1", None, "cdn.example.net", "cdn one", 55.0, 1));
    v.push(finding("rare-destination", "10.0.1.2", None, "img.cdn.example.net", "cdn two", 56.0, 2));
    v
}

/// The packet host of the fixture (not in the proxy log).
pub const PCAP_CLIENT: &str = "10.0.9.9";
/// A request whose path and user agent would run script if shown raw.
pub const PCAP_REQ: &[u8] = b"GET /<script>window.__pwned=6</script> HTTP/1.1\r\nHost: c2.example\r\nUser-Agent: <img src=x onerror=window.__pwned=7>\r\n\r\n";
/// Its response.
pub const PCAP_RESP: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 20\r\n\r\n<b>bold payload</b>!";

/// A capture with one HTTP conversation from [`PCAP_CLIENT`].
pub fn capture() -> Vec<u8> {
    let mut p = kensa_synth::pcap::PcapBuilder::new();
    p.conversation(1_772_400_000, [10, 0, 9, 9], 40000, [192, 0, 2, 66], 80, PCAP_REQ, PCAP_RESP);
    p.bytes().to_vec()
}

/// Builds the case under `root/case` (the proxy log and the capture) and
/// returns its path.
pub fn build_case(root: &Path) -> PathBuf {
    let log = root.join("proxysg.log");
    std::fs::write(&log, proxysg_log()).unwrap();
    let cap = root.join("exit.pcap");
    std::fs::write(&cap, capture()).unwrap();
    let dir = root.join("case");
    let (mut case, _) = Case::open(&dir, true).unwrap();
    let run = case.begin_run("test").unwrap();
    let out = kensa_ingest::ingest(&mut case, run, &[InputSpec::File(log), InputSpec::File(cap)], &IngestOptions::default(), &NoProgress).unwrap();
    assert!(out.iter().all(|o| o.status == "ingested"), "{out:?}");
    assert_eq!(out.len(), 2, "{out:?}");
    let rows: Vec<_> = findings()
        .iter()
        .map(|f| (f.key.clone(), f.id.clone(), f.detector.clone(), format!("{:?}", f.severity).to_lowercase(), f.score, serde_json::to_string(f).unwrap()))
        .collect();
    case.replace_findings(None, &rows).unwrap();
    dir
}

pub const TOKEN: &str = "test-token-0123456789abcdef";

/// Opens the workbench over a fresh fixture case.
pub fn app(root: &Path, password: Option<&str>) -> Arc<kensa_web::App> {
    let dir = build_case(root);
    let (case, _) = Case::open(&dir, false).unwrap();
    let cfg = kensa_web::ServeConfig { token: Some(TOKEN.into()), password: password.map(str::to_string), analyst: "tester".into(), ..Default::default() };
    kensa_web::App::with(case, cfg).unwrap()
}
