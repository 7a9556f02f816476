//! `kensa serve`: the real binary refuses unsafe binds, prints a login
//! link, and serves only with the token.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;

use common::*;

fn http(addr: &str, path: &str, cookie: Option<&str>) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    let c = cookie.map(|c| format!("Cookie: {c}\r\n")).unwrap_or_default();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{c}Connection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn serve_refuses_remote_without_flag_and_password() {
    let tmp = tempfile::tempdir().unwrap();
    let case = tmp.path().join("case");
    let log = tmp.path().join("a.log");
    std::fs::write(&log, (0..50).map(squid_line).collect::<String>()).unwrap();
    let (_, code) = ingest_json(&case, &[log.to_str().unwrap()]);
    assert_eq!(code, 0);
    let o = kensa().env_remove("KENSA_WEB_PASSWORD").args(["serve", "--case", case.to_str().unwrap(), "--listen", "0.0.0.0:0"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--allow-remote"), "{}", stderr(&o));
    let o = kensa()
        .env_remove("KENSA_WEB_PASSWORD")
        .args(["serve", "--case", case.to_str().unwrap(), "--listen", "0.0.0.0:0", "--allow-remote"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("password"), "{}", stderr(&o));
    let o = kensa().args(["serve", "--case", tmp.path().join("nope").to_str().unwrap()]).output().unwrap();
    assert_eq!(o.status.code(), Some(3));
}

#[test]
fn serve_prints_a_login_link_and_requires_it() {
    let tmp = tempfile::tempdir().unwrap();
    let case = tmp.path().join("case");
    let log = tmp.path().join("a.log");
    std::fs::write(&log, (0..300).map(squid_line).collect::<String>()).unwrap();
    let (_, code) = ingest_json(&case, &[log.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(run(&["analyze", "--case", case.to_str().unwrap()]).status.success());
    let mut child = kensa()
        .args(["serve", "--case", case.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let l = lines.next().expect("serve printed its link").unwrap();
        if let Some(u) = l.strip_prefix("open: ") {
            break u.to_string();
        }
    };
    let rest = url.strip_prefix("http://").unwrap();
    let (addr, path) = rest.split_once('/').unwrap();
    assert!(addr.starts_with("127.0.0.1:"));
    assert!(path.starts_with("login?token=") && path.len() > 40, "{path}");
    let r = http(addr, "/", None);
    assert!(r.starts_with("HTTP/1.1 401"), "{r}");
    assert!(r.contains("content-security-policy: default-src 'self'"));
    let r = http(addr, "/login?token=wrong", None);
    assert!(r.starts_with("HTTP/1.1 401"), "{r}");
    let r = http(addr, &format!("/{path}"), None);
    assert!(r.starts_with("HTTP/1.1 303"), "{r}");
    let cookie = r.lines().find_map(|l| l.strip_prefix("set-cookie: ")).unwrap().split(';').next().unwrap().to_string();
    let r = http(addr, "/", Some(&cookie));
    assert!(r.starts_with("HTTP/1.1 200") && r.contains("Overview"), "{r}");
    let r = http(addr, "/findings", Some(&cookie));
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    let _ = child.kill();
    let _ = child.wait();
}
