//! Store behaviour and the bad-input rules: counted and sampled rejects,
//! unknown formats, empty feeds, re-import, remove, streaming.

use std::io::Write;

use kensa_intel::{Error, FeedFormat, ImportOptions, IntelStore, MatchHow};

fn store() -> (tempfile::TempDir, IntelStore) {
    let d = tempfile::tempdir().unwrap();
    let s = IntelStore::open(d.path().join("intel")).unwrap();
    (d, s)
}

fn write(dir: &tempfile::TempDir, name: &str, data: &[u8]) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, data).unwrap();
    p
}

#[test]
fn malformed_lines_are_counted_with_line_and_reason() {
    let (d, s) = store();
    let feed = "################\n# abuse.ch URLhaus Database Dump (CSV)\n# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n\
\"1\",\"2024-01-01 00:00:00\",\"http://ok.example/a\",\"online\",\"\",\"malware_download\",\"None\",\"https://urlhaus.abuse.ch/url/1/\",\"r\"\n\
\"2\",\"2024-01-01 00:00:00\",\"http://broken.example/a,\"online\"\n\
\"3\",\"2024-01-01 00:00:00\",\"no-scheme.example/a\",\"online\",\"\",\"malware_download\",\"None\",\"x\",\"r\"\r\n";
    let p = write(&d, "urlhaus.csv", feed.as_bytes());
    let r = s.import(&p, ImportOptions::default()).unwrap();
    assert_eq!(r.source.format, FeedFormat::UrlhausCsv);
    assert_eq!(r.source.indicators, 1);
    assert_eq!(r.source.rejected, 2);
    let samples = &r.stats.rejected.samples;
    assert_eq!((samples[0].line, samples[0].reason.as_str()), (5, "text after a closing quote"));
    assert_eq!((samples[1].line, samples[1].field.as_deref(), samples[1].reason.as_str()), (6, Some("url"), "URL without scheme"));
    assert!(samples[1].excerpt.starts_with("\"3\","));
}

#[test]
fn samples_are_capped_but_counts_are_not() {
    let (d, s) = store();
    let mut feed = String::from("good.example.com\n");
    for i in 0..50 {
        feed.push_str(&format!("bad value {i}\n"));
    }
    // Sniffing would refuse a list that is mostly junk; name the format.
    let p = write(&d, "list.txt", feed.as_bytes());
    let r = s.import(&p, ImportOptions { format: Some(FeedFormat::PlainList), ..Default::default() }).unwrap();
    assert_eq!(r.stats.rejected.count, 50);
    assert_eq!(r.stats.rejected.samples.len(), 10);
    assert_eq!(r.stats.rejected.samples[9].line, 11);
}

#[test]
fn unknown_format_names_the_file() {
    let (d, s) = store();
    let p = write(&d, "notes.txt", b"Dear analyst,\nplease block the usual suspects.\nThanks!\n");
    let e = s.import(&p, ImportOptions::default()).unwrap_err();
    assert!(matches!(e, Error::UnknownFormat { .. }));
    let msg = e.to_string();
    assert!(msg.contains("notes.txt") && msg.contains("unknown feed format"), "{msg}");
    let p = write(&d, "blob.bin", &[0u8, 159, 146, 150, 255, 0, 1, 2]);
    assert!(matches!(s.import(&p, ImportOptions::default()), Err(Error::UnknownFormat { .. })));
    let p = write(&d, "other.json", br#"{"hello": "world"}"#);
    assert!(matches!(s.import(&p, ImportOptions::default()), Err(Error::UnknownFormat { .. })));
    assert!(s.sources().unwrap().is_empty());
}

#[test]
fn zero_indicators_is_an_error() {
    let (d, s) = store();
    let p = write(&d, "empty.txt", b"# only comments\n\n# here\n");
    let e = s.import(&p, ImportOptions { format: Some(FeedFormat::PlainList), ..Default::default() }).unwrap_err();
    assert!(matches!(e, Error::Empty { .. }), "{e}");
    let p = write(&d, "bad.csv", b"# ja3_md5,Firstseen,Lastseen,Listingreason\nnothex,2020-01-01 00:00:00,2020-01-01 00:00:00,X\n");
    let e = s.import(&p, ImportOptions::default()).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("bad.csv") && msg.contains("1 rejected") && msg.contains("line 2: wrong hash length"), "{msg}");
    match e {
        Error::Empty { stats, format, .. } => {
            assert_eq!(format, FeedFormat::SslblJa3);
            assert_eq!(stats.rejected.samples[0].field.as_deref(), Some("ja3_md5"));
        }
        other => panic!("{other}"),
    }
    let p = write(&d, "nothing.json", br#"{"type": "bundle", "id": "bundle--1", "objects": []}"#);
    assert!(matches!(s.import(&p, ImportOptions::default()), Err(Error::Empty { .. })));
    // Nothing was stored, no temp file left behind.
    assert!(s.sources().unwrap().is_empty());
    assert_eq!(std::fs::read_dir(s.dir().join("sources")).unwrap().count(), 0);
}

#[test]
fn broken_json_is_a_clear_error() {
    let (d, s) = store();
    let p = write(&d, "bundle.json", b"{\"type\": \"bundle\", \"objects\": [\n{\"type\": \"indicator\",, }\n");
    let msg = s.import(&p, ImportOptions::default()).unwrap_err().to_string();
    assert!(msg.contains("bundle.json") && msg.contains("line 2"), "{msg}");
}

#[test]
fn missing_file_and_bad_names() {
    let (d, s) = store();
    let msg = s.import(d.path().join("nope.txt"), ImportOptions::default()).unwrap_err().to_string();
    assert!(msg.contains("nope.txt"), "{msg}");
    let p = write(&d, "l.txt", b"evil.example.com\n");
    for bad in ["", "../x", ".hidden", "a/b", "x y", &"n".repeat(65)] {
        let e = s.import(&p, ImportOptions { source: Some(bad.to_string()), ..Default::default() }).unwrap_err();
        assert!(matches!(e, Error::BadName(_)), "{bad}: {e}");
    }
    assert!(matches!(s.remove("absent"), Err(Error::NoSuchSource(_))));
    assert!(matches!(s.remove("../etc"), Err(Error::BadName(_))));
}

#[test]
fn reimport_replaces_and_remove_deletes() {
    let (d, s) = store();
    let p = write(&d, "mine.txt", b"a.example.com\nb.example.com\n");
    let opts = || ImportOptions { source: Some("mine".into()), ..Default::default() };
    let r1 = s.import(&p, opts()).unwrap();
    assert_eq!(r1.source.indicators, 2);
    std::fs::write(&p, b"c.example.com\n").unwrap();
    let r2 = s.import(&p, opts()).unwrap();
    assert_ne!(r1.source.content_hash, r2.source.content_hash);
    assert_eq!(r2.source.content_hash, blake3::hash(b"c.example.com\n").to_hex().to_string());
    assert!(r2.source.version.starts_with(&r2.source.content_hash[..16]));
    let srcs = s.sources().unwrap();
    assert_eq!(srcs.len(), 1);
    assert_eq!(srcs[0], r2.source);
    let m = s.matcher().unwrap();
    assert!(m.match_host("a.example.com").is_empty());
    assert_eq!(m.match_host("c.example.com").len(), 1);
    let hits = s.lookup("www.c.example.com").unwrap();
    assert_eq!((hits[0].indicator.value.as_str(), hits[0].how), ("c.example.com", MatchHow::Subdomain));
    s.remove("mine").unwrap();
    assert!(s.sources().unwrap().is_empty());
    assert!(s.matcher().unwrap().indicators().is_empty());
}

#[test]
fn subdomain_option_per_feed() {
    let (d, s) = store();
    let p = write(&d, "exact.txt", b"exact.example.com\n");
    s.import(&p, ImportOptions { subdomains: false, ..Default::default() }).unwrap();
    let m = s.matcher().unwrap();
    assert_eq!(m.match_host("exact.example.com").len(), 1);
    assert!(m.match_host("x.exact.example.com").is_empty());
}

#[test]
fn corrupt_store_file_is_reported() {
    let (d, s) = store();
    let p = write(&d, "l.txt", b"evil.example.com\n");
    s.import(&p, ImportOptions::default()).unwrap();
    let data = s.dir().join("sources/l.jsonl");
    let mut f = std::fs::OpenOptions::new().append(true).open(&data).unwrap();
    f.write_all(b"{not json\n").unwrap();
    let msg = s.matcher().unwrap_err().to_string();
    assert!(msg.contains("l.jsonl:2"), "{msg}");
}

#[test]
fn default_dir_follows_xdg() {
    // Only read the environment; do not modify it (tests run in parallel).
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        assert_eq!(IntelStore::default_dir().unwrap(), std::path::PathBuf::from(x).join("kensa/intel"));
    } else if let Some(h) = std::env::var_os("HOME") {
        assert_eq!(IntelStore::default_dir().unwrap(), std::path::PathBuf::from(h).join(".local/share/kensa/intel"));
    }
}
