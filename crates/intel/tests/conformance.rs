//! Conformance: import every sample in the shared corpus (`shared/corpus/intel`)
//! through the store, with format sniffing, and check counts and values.
//! The corpus is read in place, never copied. Without it the tests skip,
//! unless `CI` is set, where they fail.

use std::path::PathBuf;

use kensa_intel::{FeedFormat, ImportOptions, ImportReport, Indicator, IndicatorKind, IntelStore, MatchHow};

fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/intel"));
    if p.join("SOURCES.md").exists() {
        return Some(p);
    }
    if std::env::var_os("CI").is_some() {
        panic!("intel corpus not found at {} (CI is set)", p.display());
    }
    eprintln!("note: intel corpus not found at {}; skipping", p.display());
    None
}

struct Imported {
    report: ImportReport,
    inds: Vec<Indicator>,
    _dir: tempfile::TempDir,
    store: IntelStore,
}

fn import(file: &str) -> Option<Imported> {
    let path = corpus()?.join(file);
    let dir = tempfile::tempdir().unwrap();
    let store = IntelStore::open(dir.path()).unwrap();
    let report = store.import(&path, ImportOptions::default()).unwrap_or_else(|e| panic!("{file}: {e}"));
    let inds = store.source_indicators(&report.source.name).unwrap();
    assert_eq!(inds.len() as u64, report.source.indicators);
    assert!(report.format_detected);
    Some(Imported { report, inds, _dir: dir, store })
}

fn find<'a>(inds: &'a [Indicator], value: &str) -> &'a Indicator {
    inds.iter().find(|i| i.value == value).unwrap_or_else(|| panic!("{value} not imported"))
}

#[test]
fn every_corpus_file_is_covered() {
    let Some(dir) = corpus() else { return };
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).filter(|n| n != "SOURCES.md").collect();
    names.sort();
    // Each of these has its own test below; a new corpus file must get one.
    assert_eq!(
        names,
        [
            "feodotracker__ipblocklist.csv",
            "misp_event__stalkerware-indicators__reduced.json",
            "spamhaus_drop__processed_excerpt.txt",
            "sslbl__ja3_fingerprints__excerpt.csv",
            "stalkerware-indicators__hosts__head15.txt",
            "stalkerware-indicators__network__head20.csv",
            "stix21__oasis__indicator-for-c2-ip-address.json",
            "threatfox__export__SYNTHETIC.csv",
            "tor_exit_nodes__excerpt.lst",
            "urlhaus__csv_online__excerpt.csv",
        ]
    );
}

#[test]
fn feodo_current_layout() {
    let Some(x) = import("feodotracker__ipblocklist.csv") else { return };
    assert_eq!(x.report.source.format, FeedFormat::FeodoCsv);
    assert_eq!(x.report.source.indicators, 28);
    assert_eq!(x.report.stats.rejected.count, 0);
    let i = find(&x.inds, "192.9.135.73");
    assert_eq!(i.kind, IndicatorKind::Ip);
    assert_eq!(i.port, Some(1194));
    assert_eq!(i.malware.as_deref(), Some("Pikabot"));
    assert_eq!(i.first_seen.as_deref(), Some("2023-05-23T17:51:44Z"));
    assert_eq!(i.last_seen.as_deref(), Some("2024-04-01T00:00:00Z"));
    assert_eq!(i.threat_type.as_deref(), Some("botnet_cc"));
    assert_eq!(i.tags, ["c2_status:online"]);
    assert_eq!(find(&x.inds, "172.233.221.61").port, Some(5938));
    assert!(x.inds.iter().all(|i| i.malware.as_deref() == Some("Pikabot")));
}

#[test]
fn urlhaus_csv() {
    let Some(x) = import("urlhaus__csv_online__excerpt.csv") else { return };
    assert_eq!(x.report.source.format, FeedFormat::UrlhausCsv);
    assert_eq!(x.report.source.indicators, 10);
    assert_eq!(x.report.source.by_kind.get(&IndicatorKind::Url), Some(&10));
    let i = find(&x.inds, "http://176.65.139.212/eclipse.sh4");
    assert_eq!(i.threat_type.as_deref(), Some("malware_download"));
    assert_eq!(i.tags, ["176-65-139-212", "elf", "mirai", "ua-wget"]);
    assert_eq!(i.reference.as_deref(), Some("https://urlhaus.abuse.ch/url/3905435/"));
    assert_eq!(i.first_seen.as_deref(), Some("2026-08-18T16:05:19Z"));
    // `None` tags give no tags; a port is kept.
    assert!(find(&x.inds, "http://120.84.215.27:44835/i").tags.is_empty());
    let m = x.store.matcher().unwrap();
    let hits = m.match_url("HTTP://176.65.139.212:80/eclipse.sh4");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].how, MatchHow::Exact);
    assert_eq!(m.indicator(hits[0].id).value, "http://176.65.139.212/eclipse.sh4");
}

#[test]
fn sslbl_ja3() {
    let Some(x) = import("sslbl__ja3_fingerprints__excerpt.csv") else { return };
    assert_eq!(x.report.source.format, FeedFormat::SslblJa3);
    // 18 rows; the "# END (98) entries" trailer is not trusted.
    assert_eq!(x.report.source.indicators, 18);
    let i = find(&x.inds, "51c64c77e60f3980eea90869b68c58a8");
    assert_eq!(i.kind, IndicatorKind::Ja3);
    assert_eq!(i.malware.as_deref(), Some("Dridex"));
    assert_eq!(i.first_seen.as_deref(), Some("2018-08-30T21:04:57Z"));
    assert_eq!(i.last_seen.as_deref(), Some("2021-04-13T11:49:20Z"));
    let m = x.store.matcher().unwrap();
    let hits = m.match_hash(IndicatorKind::Ja3, "51C64C77E60F3980EEA90869B68C58A8");
    assert_eq!(hits.len(), 1);
    assert_eq!(m.indicator(hits[0].id).malware.as_deref(), Some("Dridex"));
    assert!(m.match_hash(IndicatorKind::Ja4, "51c64c77e60f3980eea90869b68c58a8").is_empty());
}

#[test]
fn threatfox_csv() {
    let Some(x) = import("threatfox__export__SYNTHETIC.csv") else { return };
    assert_eq!(x.report.source.format, FeedFormat::ThreatfoxCsv);
    assert_eq!(x.report.source.indicators, 4);
    let d = find(&x.inds, "c2.example.net");
    assert_eq!(d.kind, IndicatorKind::Domain);
    assert_eq!(d.malware.as_deref(), Some("Cobalt Strike"));
    assert_eq!(d.confidence, Some(100));
    assert_eq!(d.reference.as_deref(), Some("https://threatfox.abuse.ch/ioc/1000001/"));
    let ip = find(&x.inds, "192.0.2.55");
    assert_eq!((ip.kind, ip.port, ip.confidence), (IndicatorKind::Ip, Some(8443), Some(75)));
    assert_eq!(ip.tags, ["AsyncRAT", "RAT"]);
    assert_eq!(ip.reference.as_deref(), Some("https://example.org/report"));
    assert_eq!(find(&x.inds, "http://payload.example.org/dl/stage2.bin").threat_type.as_deref(), Some("payload_delivery"));
    assert_eq!(find(&x.inds, "d41d8cd98f00b204e9800998ecf8427e").kind, IndicatorKind::Md5);
}

#[test]
fn spamhaus_processed_mirror() {
    let Some(x) = import("spamhaus_drop__processed_excerpt.txt") else { return };
    assert_eq!(x.report.source.format, FeedFormat::SpamhausDrop);
    assert_eq!(x.report.source.indicators, 10);
    assert_eq!(x.report.source.by_kind.get(&IndicatorKind::Cidr), Some(&10));
    find(&x.inds, "1.10.16.0/20");
    let m = x.store.matcher().unwrap();
    let hits = m.match_ip("1.10.31.255".parse().unwrap());
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].how, MatchHow::Cidr { prefix_len: 20 });
    assert!(m.match_ip("1.10.32.0".parse().unwrap()).is_empty());
    assert_eq!(m.match_ip("23.92.95.1".parse().unwrap()).len(), 1);
}

#[test]
fn tor_exit_list() {
    let Some(x) = import("tor_exit_nodes__excerpt.lst") else { return };
    assert_eq!(x.report.source.format, FeedFormat::TorExitList);
    assert_eq!(x.report.source.indicators, 15);
    // Fully expanded IPv6 is stored compressed.
    let i = find(&x.inds, "2001:470:1d:3b0::ac:ce55");
    assert_eq!(i.threat_type.as_deref(), Some("tor_exit"));
    find(&x.inds, "2001:67c:6ec:203:218:33ff:fe44:5513");
    let m = x.store.matcher().unwrap();
    assert_eq!(m.match_ip_str("2001:0620:20d0:0000:0000:0000:0000:0019").len(), 1);
    assert_eq!(m.match_host("185.220.101.1").len(), 1);
}

#[test]
fn misp_event() {
    let Some(x) = import("misp_event__stalkerware-indicators__reduced.json") else { return };
    assert_eq!(x.report.source.format, FeedFormat::Misp);
    assert_eq!(x.report.source.indicators, 14);
    assert_eq!(x.report.source.by_kind.get(&IndicatorKind::Domain), Some(&13));
    assert_eq!(x.report.source.by_kind.get(&IndicatorKind::Sha1), Some(&1));
    // link + 3 app names + 1 appid are not matchable.
    assert_eq!(x.report.stats.skipped.count, 5);
    assert_eq!(x.report.source.non_alerting, 0);
    let d = find(&x.inds, "protocol-a748.thetruthspy.com");
    assert!(d.alerting);
    assert_eq!(d.malware.as_deref(), Some("TheTruthSpy"));
    assert_eq!(d.threat_type.as_deref(), Some("Network activity"));
    assert_eq!(d.reference.as_deref(), Some("misp-event:a7d60a6a-f4ec-4e9a-ae3b-2cf5e05cd01e"));
    assert!(d.tags.contains(&"misp-object:android-app".to_string()));
    assert_eq!(find(&x.inds, "spyadvice.com").malware.as_deref(), Some("SpyAdvice"));
    assert_eq!(find(&x.inds, "b374a75f87f992a6f57cf99a24197abceb17a1e7").kind, IndicatorKind::Sha1);
}

#[test]
fn stix_bundle() {
    let Some(x) = import("stix21__oasis__indicator-for-c2-ip-address.json") else { return };
    assert_eq!(x.report.source.format, FeedFormat::Stix);
    assert_eq!(x.report.source.indicators, 1);
    let i = find(&x.inds, "10.0.0.0");
    assert_eq!(i.kind, IndicatorKind::Ip);
    assert_eq!(i.reference.as_deref(), Some("indicator--33fe3b22-0201-47cf-85d0-97c02164528d"));
    assert_eq!(i.threat_type.as_deref(), Some("malicious-activity"));
    assert_eq!(i.first_seen.as_deref(), Some("2014-05-08T09:00:00Z"));
    assert_eq!(x.report.stats.unsupported.count, 0);
}

#[test]
fn stalkerware_domain_list() {
    let Some(x) = import("stalkerware-indicators__hosts__head15.txt") else { return };
    assert_eq!(x.report.source.format, FeedFormat::PlainList);
    assert_eq!(x.report.source.indicators, 15);
    find(&x.inds, "97.logger.mobi");
    find(&x.inds, "4-dot-all-tracker.appspot.com");
    let m = x.store.matcher().unwrap();
    // Listed sub-domain of appspot.com matches itself and below...
    assert_eq!(m.match_host("x.12d60.appspot.com")[0].how, MatchHow::Subdomain);
    // ...but nothing makes all of appspot.com match.
    assert!(m.match_host("other.appspot.com").is_empty());
}

#[test]
fn stalkerware_typed_csv() {
    let Some(x) = import("stalkerware-indicators__network__head20.csv") else { return };
    assert_eq!(x.report.source.format, FeedFormat::TypedCsv);
    // 20 lines with CRLF endings: a header and 19 domains.
    assert_eq!(x.report.source.indicators, 19);
    let i = find(&x.inds, "copy9.com");
    assert_eq!(i.malware.as_deref(), Some("TheTruthSpy"));
    let m = x.store.matcher().unwrap();
    let hits = m.match_host("media-sync-a.copy9.com");
    // Listed itself, and a sub-domain of listed copy9.com.
    assert_eq!(hits.iter().filter(|h| h.how == MatchHow::Exact).count(), 1);
    assert_eq!(hits.iter().filter(|h| h.how == MatchHow::Subdomain).count(), 1);
}

#[test]
fn all_sources_in_one_store() {
    let Some(dir) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let store = IntelStore::open(tmp.path()).unwrap();
    let mut total = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().unwrap() == "SOURCES.md" {
            continue;
        }
        total += store.import(&p, ImportOptions::default()).unwrap().source.indicators;
    }
    assert_eq!(total, 28 + 10 + 18 + 4 + 10 + 15 + 14 + 1 + 15 + 19);
    let sources = store.sources().unwrap();
    assert_eq!(sources.len(), 10);
    assert!(sources.iter().all(|s| s.version.len() == 16 + 1 + 20 && s.content_hash.len() == 64));
    let m = store.matcher().unwrap();
    assert_eq!(m.indicators().len() as u64, total);
    // The cross-links the corpus README promises.
    let hits = store.lookup("51c64c77e60f3980eea90869b68c58a8").unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].indicator.source.as_ref(), "sslbl__ja3_fingerprints__excerpt");
    let hits = store.lookup("http://176.65.139.212/eclipse.sh4").unwrap();
    assert_eq!(hits[0].indicator.source.as_ref(), "urlhaus__csv_online__excerpt");
    // 1topspy.com is in the domain list; flushdata.1topspy.com is in MISP.
    let hits = store.lookup("flushdata.1topspy.com").unwrap();
    let mut srcs: Vec<_> = hits.iter().map(|h| (h.indicator.source.to_string(), h.how)).collect();
    srcs.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        srcs,
        [
            ("misp_event__stalkerware-indicators__reduced".to_string(), MatchHow::Exact),
            ("stalkerware-indicators__hosts__head15".to_string(), MatchHow::Subdomain),
        ]
    );
}
