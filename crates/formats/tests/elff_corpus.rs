//! Conformance: every ProxySG sample in the shared corpus parses, with
//! concrete field values checked on several lines per file. The corpus is
//! read in place (never copied): `../../../shared/corpus` from this crate.
//! Without the corpus the tests skip with a note, unless `CI` is set.

use kensa_formats::elff::{self, ElffParser};
use kensa_formats::{LineParser, ParseOptions, Parsed};
use kensa_model::{Reject, SourceFormat, Verdict, WebRecord};

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/proxy/bluecoat_proxysg/"
);
const MAIN: &str = "elastic-integrations__test-proxy-main.log";
const BCR: &str = "elastic-integrations__test-proxy-bcreportermainv1.log";

fn read(name: &str) -> Option<String> {
    let path = format!("{DIR}{name}");
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("corpus file {path} is missing ({e}) and CI is set")
        }
        Err(e) => {
            eprintln!("note: skipping, corpus file {path} not found ({e})");
            None
        }
    }
}

type Parsed1 = (
    Vec<(usize, WebRecord<'static>)>,
    Vec<(usize, Reject)>,
    SourceFormat,
);

/// Parses a whole file: records and rejects keyed by 1-based line number.
fn parse_all(format: SourceFormat, text: &str) -> Parsed1 {
    let mut p = ElffParser::new(format, &ParseOptions::default()).unwrap();
    let (mut recs, mut rejs) = (Vec::new(), Vec::new());
    for (i, line) in text.lines().enumerate() {
        match p.parse_line(line) {
            Parsed::Record(r) => recs.push((i + 1, r.into_owned())),
            Parsed::Reject(r) => rejs.push((i + 1, r)),
            Parsed::Skip => {}
        }
    }
    (recs, rejs, p.format())
}

fn at<'r>(recs: &'r [(usize, WebRecord<'static>)], line: usize) -> &'r WebRecord<'static> {
    &recs
        .iter()
        .find(|(n, _)| *n == line)
        .unwrap_or_else(|| panic!("no record for line {line}"))
        .1
}

const UA_122: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36";
const CATS: &str = "FastwebRes_CallCntr;Web Ads/Analytics";

#[test]
fn elff_with_header() {
    let Some(text) = read(MAIN) else { return };
    for start in [SourceFormat::ProxySgElff, SourceFormat::W3c] {
        let (recs, rejs, fmt) = parse_all(start, &text);
        assert!(rejs.is_empty(), "{rejs:?}");
        assert_eq!(recs.len(), 11);
        assert_eq!(
            fmt,
            SourceFormat::ProxySgElff,
            "a W3C parser recognises the SGOS header"
        );
        // all rows are 2024-03-22 16:16:01 GMT from one client, allowed
        assert!(recs.iter().all(|(_, r)| r.ts_ms == 1_711_124_161_000
            && r.client_ip.as_deref() == Some("10.82.255.36")
            && r.user.as_deref() == Some("aeinstein")
            && r.verdict == Some(Verdict::Pass)));

        // The #Fields line lacks cs(User-Agent); this row carries it after the referer.
        let r = at(&recs, 7);
        assert_eq!(r.duration_ms, Some(48));
        assert_eq!(
            (r.status, r.action.as_deref()),
            (Some(302), Some("TCP_NC_MISS"))
        );
        assert_eq!((r.bytes_down, r.bytes_up), (Some(1242), Some(969)));
        assert_eq!(r.method.as_deref(), Some("GET"));
        assert_eq!(
            (r.scheme.as_deref(), r.host.as_deref(), r.port),
            (Some("https"), Some("pixel.tapad.com"), Some(443))
        );
        assert_eq!(r.path.as_deref(), Some("/idsync/ex/push"));
        assert!(
            r.query
                .as_deref()
                .unwrap()
                .starts_with("partner_id=2499&partner_device_id=")
        );
        assert!(
            r.url
                .as_deref()
                .unwrap()
                .starts_with("https://pixel.tapad.com/idsync/ex/push?partner_id=2499&")
        );
        assert_eq!(r.referer.as_deref(), Some("https://vid.vidoomy.com/"));
        assert_eq!(r.user_agent.as_deref(), Some(UA_122));
        assert_eq!(r.category.as_deref(), Some(CATS));
        assert_eq!(r.content_type, None);
        assert_eq!(
            r.server_ip, None,
            "s-supplier-name is a host name, s-ip the proxy"
        );

        let r = at(&recs, 8);
        assert_eq!(
            (r.referer.as_deref(), r.user_agent.as_deref()),
            (Some("https://ads.pubmatic.com/"), None)
        );
        assert_eq!(r.category.as_deref(), Some(CATS));

        // CONNECT
        let r = at(&recs, 9);
        assert_eq!(
            (
                r.method.as_deref(),
                r.scheme.as_deref(),
                r.action.as_deref()
            ),
            (Some("CONNECT"), Some("tcp"), Some("TCP_ACCELERATED"))
        );
        assert_eq!(
            (r.host.as_deref(), r.port, r.path.as_deref()),
            (Some("token.rubiconproject.com"), Some(443), Some("/"))
        );
        assert_eq!(r.url.as_deref(), Some("token.rubiconproject.com:443"));
        assert_eq!(
            (r.status, r.bytes_down, r.bytes_up),
            (Some(200), Some(39), Some(356))
        );

        // SSL tunnel record: status 0 means none was sent
        let r = at(&recs, 10);
        assert_eq!(
            (r.method.as_deref(), r.scheme.as_deref(), r.status),
            (Some("unknown"), Some("ssl"), None)
        );
        assert_eq!(r.action.as_deref(), Some("TUNNELED"));
        assert_eq!((r.bytes_down, r.bytes_up), (Some(4897), Some(5784)));

        // percent-encoded content type
        let r = at(&recs, 14);
        assert_eq!(
            r.content_type.as_deref(),
            Some("application/json; charset=UTF-8")
        );
        assert_eq!(r.query.as_deref(), Some("khaos=LERH3RQR-10-H6DO"));

        // the row with 3 extra trailing values is not rejected and stays aligned
        let r = at(&recs, 15);
        assert_eq!(
            (r.status, r.action.as_deref()),
            (Some(200), Some("TCP_MISS"))
        );
        assert_eq!(r.content_type.as_deref(), Some("application/javascript"));
        assert_eq!(
            (r.referer.as_deref(), r.user_agent.as_deref()),
            (Some("https://www.cnn.com/"), None)
        );
        assert_eq!(r.category.as_deref(), Some(CATS));
        assert_eq!(r.path.as_deref(), Some("/rules-p-D1yc5zQgjmqr5.js"));
        assert_eq!(r.query, None);

        let r = at(&recs, 17);
        assert_eq!(r.user_agent.as_deref(), Some(UA_122));
        assert_eq!(r.category.as_deref(), Some("Web Ads/Analytics"));
    }
}

#[test]
fn headerless_bcreportermain_v1() {
    let Some(text) = read(BCR) else { return };
    let (recs, rejs, fmt) = parse_all(SourceFormat::ProxySgBcreportermainV1, &text);
    assert!(rejs.is_empty(), "{rejs:?}");
    assert_eq!(recs.len(), 4);
    assert_eq!(fmt, SourceFormat::ProxySgBcreportermainV1);
    assert!(
        recs.iter()
            .all(|(_, r)| r.client_ip.as_deref() == Some("10.0.1.2") && r.user.is_none())
    );

    let r = at(&recs, 1);
    assert_eq!(r.ts_ms, 1_730_471_034_000);
    assert_eq!(r.duration_ms, Some(1));
    assert_eq!(
        (r.status, r.action.as_deref()),
        (Some(302), Some("TCP_AUTH_REDIRECT"))
    );
    assert_eq!(r.verdict, Some(Verdict::AuthRequired));
    assert_eq!(r.category.as_deref(), Some("Web Infrastructure"));
    assert_eq!(r.referer, None);
    assert_eq!(r.method.as_deref(), Some("GET"));
    assert_eq!(
        (r.scheme.as_deref(), r.host.as_deref(), r.port),
        (Some("http"), Some("www.msftconnecttest.com"), Some(80))
    );
    assert_eq!(
        (r.path.as_deref(), r.query.as_deref()),
        (Some("/connecttest.txt"), None)
    );
    assert_eq!(
        r.url.as_deref(),
        Some("http://www.msftconnecttest.com/connecttest.txt")
    );
    assert_eq!(r.user_agent.as_deref(), Some("Microsoft NCSI"));
    assert_eq!((r.bytes_down, r.bytes_up), (Some(1033), Some(111)));

    // referer followed by the double space
    let r = at(&recs, 2);
    assert_eq!(r.ts_ms, 1_730_471_068_000);
    assert_eq!(r.referer.as_deref(), Some("https://www.regions.com/"));
    assert_eq!(
        (r.status, r.verdict),
        (Some(401), Some(Verdict::AuthRequired))
    );
    assert_eq!(r.method.as_deref(), Some("OPTIONS"));
    assert_eq!(
        (r.scheme.as_deref(), r.host.as_deref(), r.port),
        (Some("https"), Some("tr6.snapchat.com"), Some(443))
    );
    assert_eq!(
        r.category.as_deref(),
        Some("Chat (IM)/SMS;Social Networking")
    );
    assert!(
        r.user_agent
            .as_deref()
            .unwrap()
            .ends_with("Chrome/130.0.0.0 Safari/537.36")
    );
    assert_eq!((r.bytes_down, r.bytes_up), (Some(1297), Some(582)));

    let r = at(&recs, 3);
    assert_eq!(r.query.as_deref(), Some("1fcb4f4be3fc14ce"));
    assert_eq!(r.user_agent.as_deref(), Some("Microsoft-CryptoAPI/10.0"));
    assert_eq!(
        r.url.as_deref(),
        Some(
            "http://ctldl.windowsupdate.com/msdownload/update/v3/static/trustedr/en/pinrulesstl.cab?1fcb4f4be3fc14ce"
        )
    );
}

#[test]
fn headerless_stream_behind_a_syslog_relay() {
    let Some(text) = read(BCR) else { return };
    let relayed: Vec<String> = text
        .lines()
        .map(|l| format!("<134>Nov  1 14:30:00 10.9.8.7 {l}"))
        .collect();
    let mut p = ElffParser::new(
        SourceFormat::ProxySgBcreportermainV1,
        &ParseOptions::default(),
    )
    .unwrap();
    let hosts: Vec<String> = relayed
        .iter()
        .map(|l| match p.parse_line(l) {
            Parsed::Record(r) => r.host.unwrap().into_owned(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        hosts,
        [
            "www.msftconnecttest.com",
            "tr6.snapchat.com",
            "ctldl.windowsupdate.com",
            "www.msftconnecttest.com"
        ]
    );
}

#[test]
fn without_a_preset_headerless_rows_are_no_header() {
    let Some(text) = read(BCR) else { return };
    let (recs, rejs, _) = parse_all(SourceFormat::ProxySgElff, &text);
    assert!(recs.is_empty());
    assert_eq!(rejs.len(), 4);
    assert!(
        rejs.iter()
            .all(|(_, r)| r.reason == kensa_model::RejectReason::NoHeader)
    );
}

#[test]
fn sniffs_each_sample() {
    let Some(main) = read(MAIN) else { return };
    let Some(bcr) = read(BCR) else { return };
    let lines: Vec<&str> = main.lines().collect();
    assert_eq!(elff::sniff(&lines), Some((SourceFormat::ProxySgElff, 100)));
    assert_eq!(kensa_formats::ifilter::sniff(&lines), None);
    let lines: Vec<&str> = bcr.lines().collect();
    assert_eq!(
        elff::sniff(&lines),
        Some((SourceFormat::ProxySgBcreportermainV1, 100))
    );
    assert_eq!(kensa_formats::ifilter::sniff(&lines), None);
}

/// Every truncation and many single-character edits of every sample line
/// parse or reject with a reason; none panics, and records keep a sane time.
#[test]
fn mutated_lines_never_panic() {
    for (file, format) in [
        (MAIN, SourceFormat::ProxySgElff),
        (BCR, SourceFormat::ProxySgBcreportermainV1),
    ] {
        let Some(text) = read(file) else { return };
        let headers: Vec<&str> = text.lines().filter(|l| l.starts_with('#')).collect();
        let mut checked = 0;
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let mut variants: Vec<String> = Vec::new();
            for (i, _) in line.char_indices().step_by(3) {
                variants.push(line[..i].to_string());
                for rep in ["\"", " ", "\t", "%", "-", "é", "\\", "#"] {
                    let end = line[i..].chars().next().map_or(i, |c| i + c.len_utf8());
                    variants.push(format!("{}{rep}{}", &line[..i], &line[end..]));
                }
            }
            for v in &variants {
                let mut p = ElffParser::new(format, &ParseOptions::default()).unwrap();
                for h in &headers {
                    let _ = p.parse_line(h);
                }
                match p.parse_line(v) {
                    Parsed::Record(r) => assert!(kensa_model::plausible_ts(r.ts_ms), "{v}"),
                    Parsed::Reject(r) => assert!(!r.detail.is_empty(), "{v}"),
                    Parsed::Skip => {}
                }
                checked += 1;
            }
        }
        assert!(checked > 1000, "{file}: {checked}");
    }
}
