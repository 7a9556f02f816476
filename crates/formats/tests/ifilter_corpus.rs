//! Conformance: every i-FILTER sample in the shared corpus parses, with
//! concrete field values checked on several lines per file. The corpus is
//! read in place (never copied): `../../../shared/corpus` from this crate.
//! Without the corpus the tests skip with a note, unless `CI` is set.

use kensa_formats::ifilter::{self, IfilterParser, decode_text};
use kensa_formats::{LineParser, ParseOptions, Parsed};
use kensa_model::{Reject, RejectReason, SourceFormat, Verdict, WebRecord};

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/proxy/ifilter/"
);

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

type Lines<T> = Vec<(usize, T)>;

/// Parses a whole file: records and rejects keyed by 1-based line number.
fn parse_all(format: SourceFormat, text: &str) -> (Lines<WebRecord<'static>>, Lines<Reject>) {
    let mut p = IfilterParser::new(format, &ParseOptions::default()).unwrap();
    let (mut recs, mut rejs) = (Vec::new(), Vec::new());
    for (i, line) in text.lines().enumerate() {
        match p.parse_line(line) {
            Parsed::Record(r) => recs.push((i + 1, r.into_owned())),
            Parsed::Reject(r) => rejs.push((i + 1, r)),
            Parsed::Skip => {}
        }
    }
    (recs, rejs)
}

fn at<'r>(recs: &'r [(usize, WebRecord<'static>)], line: usize) -> &'r WebRecord<'static> {
    &recs
        .iter()
        .find(|(n, _)| *n == line)
        .unwrap_or_else(|| panic!("no record for line {line}"))
        .1
}

const JST_2024_10_17_090002: i64 = 1_729_123_202_000;
const UA_EDGE: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.0.0";

#[test]
fn v10_default_35_columns() {
    let Some(text) = read("synthetic-v10-default35.access.log0000") else {
        return;
    };
    let (recs, rejs) = parse_all(SourceFormat::IfilterV10Access, &text);
    assert_eq!(recs.len(), 38);
    // exactly the one truncated line the sample is meant to have
    assert_eq!(rejs.len(), 1, "{rejs:?}");
    assert_eq!(rejs[0].0, 19);
    assert_eq!(rejs[0].1.reason, RejectReason::FieldCount);

    let r = at(&recs, 1);
    assert_eq!(r.ts_ms, JST_2024_10_17_090002);
    assert_eq!(r.duration_ms, Some(1000));
    assert_eq!(r.client_ip.as_deref(), Some("10.20.1.15"));
    assert_eq!(r.user.as_deref(), Some("yamada"));
    assert_eq!(r.method.as_deref(), Some("GET"));
    assert_eq!(
        (r.scheme.as_deref(), r.host.as_deref(), r.port),
        (Some("http"), Some("www.example.com"), Some(80))
    );
    assert_eq!((r.path.as_deref(), r.query.as_deref()), (Some("/"), None));
    assert_eq!(r.status, Some(200));
    assert_eq!((r.bytes_up, r.bytes_down), (Some(512), Some(1256)));
    assert_eq!(r.user_agent.as_deref(), Some(UA_EDGE));
    assert_eq!(r.content_type.as_deref(), Some("text/html; charset=UTF-8"));
    assert_eq!(r.referer, None);
    assert_eq!(r.category.as_deref(), Some("44"));
    assert_eq!(
        (r.action.as_deref(), r.verdict),
        (Some("pass"), Some(Verdict::Pass))
    );
    assert_eq!(r.server_ip.as_deref(), Some("203.0.113.10"));

    let r = at(&recs, 2);
    assert_eq!(r.referer.as_deref(), Some("http://www.example.com/"));
    assert_eq!(r.path.as_deref(), Some("/images/logo.png"));

    // 503 block page
    let r = at(&recs, 3);
    assert_eq!(
        (r.action.as_deref(), r.verdict),
        (Some("block"), Some(Verdict::Block))
    );
    assert_eq!(
        (r.status, r.bytes_up, r.server_ip.as_deref()),
        (Some(503), Some(0), None)
    );
    assert_eq!(r.category.as_deref(), Some("87;127"));

    // long CONNECT, written after later-starting lines
    let r = at(&recs, 10);
    assert_eq!(r.ts_ms, 1_729_123_320_000);
    assert_eq!(r.duration_ms, Some(312_000));
    assert_eq!(r.method.as_deref(), Some("CONNECT"));
    assert_eq!(
        (r.host.as_deref(), r.port, r.path.as_deref()),
        (Some("mail.example.org"), Some(443), None)
    );
    assert_eq!(r.url.as_deref(), Some("mail.example.org:443"));
    assert_eq!(r.content_type, None);

    // IOC from the URLhaus sample
    let r = at(&recs, 13);
    assert_eq!(r.url.as_deref(), Some("http://176.65.139.212/eclipse.sh4"));
    assert_eq!(r.host.as_deref(), Some("176.65.139.212"));
    assert_eq!(r.user_agent.as_deref(), Some("curl/8.9.1"));
    assert_eq!(r.verdict, Some(Verdict::Block));

    // upstream proxy set, no destination
    assert_eq!(at(&recs, 14).server_ip.as_deref(), Some("10.0.0.254"));

    // 50 MiB upload
    let r = at(&recs, 16);
    assert_eq!(
        (r.method.as_deref(), r.bytes_up, r.bytes_down),
        (Some("POST"), Some(52_428_800), Some(4096))
    );
    assert_eq!(r.duration_ms, Some(95_000));
    assert_eq!(r.host.as_deref(), Some("upload.storage.example.com"));
    assert_eq!(
        r.query.as_deref(),
        Some("uploadType=resumable&name=%E9%A1%A7%E5%AE%A2%E5%90%8D%E7%B0%BF.xlsx")
    );
    assert_eq!(
        decode_text(r.query.as_deref().unwrap(), true),
        "uploadType=resumable&name=顧客名簿.xlsx"
    );

    // downstream proxy: the XFF client wins over the connected peer
    let r = at(&recs, 18);
    assert_eq!(r.client_ip.as_deref(), Some("10.20.4.17"));
    assert_eq!(
        r.user_agent.as_deref(),
        Some("Microsoft Office Protocol Discovery")
    );
    assert_eq!(
        (r.method.as_deref(), r.content_type.as_deref()),
        (Some("PUT"), None)
    );

    // CP932 percent-encoded query
    let r = at(&recs, 27);
    assert_eq!(r.ts_ms, 1_729_124_520_000);
    assert_eq!(r.query.as_deref(), Some("q=%8B%40%96%A7+%8E%91%97%BF"));
    assert_eq!(
        decode_text(r.query.as_deref().unwrap(), true),
        "q=機密 資料"
    );
    assert_eq!(
        r.content_type.as_deref(),
        Some("text/html; charset=Shift_JIS")
    );

    // 407
    let r = at(&recs, 29);
    assert_eq!(
        (r.status, r.verdict),
        (Some(407), Some(Verdict::AuthRequired))
    );
    assert_eq!(r.user, None);
    assert_eq!(r.user_agent.as_deref(), Some("python-requests/2.32.3"));

    // empty UA
    assert_eq!(at(&recs, 34).user_agent, None);

    // output time crosses midnight into Oct 18
    let r = at(&recs, 39);
    assert_eq!(r.ts_ms, 1_729_177_190_000);
    assert_eq!(r.duration_ms, Some(25_000));
}

#[test]
fn dspa_29_columns() {
    let Some(text) = read("synthetic-dspa-v1v2-29col.access.log0000") else {
        return;
    };
    let (recs, rejs) = parse_all(SourceFormat::IfilterDspaAccess, &text);
    assert!(rejs.is_empty(), "{rejs:?}");
    assert_eq!(recs.len(), 10);
    let r = at(&recs, 1);
    assert_eq!(r.ts_ms, 1_729_224_000_000);
    assert_eq!(r.duration_ms, Some(1000));
    assert_eq!(r.client_ip.as_deref(), Some("172.16.5.21"));
    assert_eq!(r.user.as_deref(), Some("kimura"));
    assert_eq!(r.server_ip.as_deref(), Some("10.0.0.1"));
    assert_eq!(
        (r.method.as_deref(), r.url.as_deref()),
        (Some("GET"), Some("http://www.example.co.jp/"))
    );
    assert_eq!(r.referer, None);
    assert_eq!(
        r.user_agent.as_deref(),
        Some("Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1; Trident/4.0)")
    );
    assert_eq!(
        (r.status, r.bytes_up, r.bytes_down),
        (Some(200), Some(512), Some(8812))
    );
    assert_eq!(r.verdict, Some(Verdict::Pass));
    assert_eq!(
        r.content_type.as_deref(),
        Some("text/html; charset=Shift_JIS")
    );

    let r = at(&recs, 3);
    assert_eq!((r.verdict, r.status), (Some(Verdict::Block), Some(503)));
    assert_eq!(r.user.as_deref(), Some("hayashi"));
    assert_eq!(r.category.as_deref(), Some("19"));

    let r = at(&recs, 5);
    assert_eq!(
        (r.method.as_deref(), r.host.as_deref(), r.port),
        (Some("CONNECT"), Some("secure.example.com"), Some(443))
    );
    assert_eq!(r.content_type, None);

    let r = at(&recs, 9);
    assert_eq!(r.bytes_up, Some(1_843_200));
    assert_eq!(
        r.referer.as_deref(),
        Some("http://webmail.example.jp/compose")
    );
    assert_eq!(
        decode_text(r.query.as_deref().unwrap(), true),
        "f=見積書.doc"
    );
}

#[test]
fn block_17_columns() {
    let Some(text) = read("synthetic-block17.block.log0000") else {
        return;
    };
    let (recs, rejs) = parse_all(SourceFormat::IfilterBlock, &text);
    assert!(rejs.is_empty(), "{rejs:?}");
    assert_eq!(recs.len(), 10);
    assert!(recs.iter().all(|(_, r)| r.verdict == Some(Verdict::Block)
        && r.status.is_none()
        && r.method.is_none()));
    let r = at(&recs, 1);
    assert_eq!(r.ts_ms, 1_729_473_300_000);
    assert_eq!(
        (r.client_ip.as_deref(), r.user.as_deref()),
        (Some("10.20.1.16"), Some("suzuki"))
    );
    assert_eq!(
        r.url.as_deref(),
        Some("http://games.example.net/play/index.html")
    );
    assert_eq!(r.category.as_deref(), Some("87"));
    let r = at(&recs, 5);
    assert_eq!(
        (r.host.as_deref(), r.port),
        (Some("ads.tracker.example"), Some(443))
    );
    assert_eq!(at(&recs, 8).user, None);
    let r = at(&recs, 10);
    assert_eq!(r.ts_ms, 1_729_473_300_000 + 481_000);
    assert_eq!(
        (r.host.as_deref(), r.port, r.path.as_deref()),
        (Some("192.0.2.77"), Some(8080), Some("/gate.php"))
    );
}

#[test]
fn sniffs_each_sample() {
    for (file, format, score) in [
        (
            "synthetic-v10-default35.access.log0000",
            SourceFormat::IfilterV10Access,
            97,
        ),
        (
            "synthetic-dspa-v1v2-29col.access.log0000",
            SourceFormat::IfilterDspaAccess,
            100,
        ),
        (
            "synthetic-block17.block.log0000",
            SourceFormat::IfilterBlock,
            100,
        ),
    ] {
        let Some(text) = read(file) else { return };
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(ifilter::sniff(&lines), Some((format, score)), "{file}");
        assert_eq!(kensa_formats::elff::sniff(&lines), None, "{file}");
    }
}

#[test]
fn other_layouts_reject_with_field_count() {
    let Some(text) = read("synthetic-dspa-v1v2-29col.access.log0000") else {
        return;
    };
    let (recs, rejs) = parse_all(SourceFormat::IfilterV10Access, &text);
    assert!(recs.is_empty());
    assert!(
        rejs.iter()
            .all(|(_, r)| r.reason == RejectReason::FieldCount),
        "{rejs:?}"
    );
}

/// Every truncation and many single-character edits of every sample line
/// parse or reject with a reason; none panics, and records keep a sane time.
#[test]
fn mutated_lines_never_panic() {
    for (file, format) in [
        (
            "synthetic-v10-default35.access.log0000",
            SourceFormat::IfilterV10Access,
        ),
        (
            "synthetic-dspa-v1v2-29col.access.log0000",
            SourceFormat::IfilterDspaAccess,
        ),
        (
            "synthetic-block17.block.log0000",
            SourceFormat::IfilterBlock,
        ),
    ] {
        let Some(text) = read(file) else { return };
        let mut p = IfilterParser::new(format, &ParseOptions::default()).unwrap();
        let mut checked = 0;
        for line in text.lines() {
            for (i, _) in line.char_indices().step_by(3) {
                let end = line[i..].chars().next().map_or(i, |c| i + c.len_utf8());
                let mut variants = vec![line[..i].to_string()];
                for rep in ["\"", " ", "\t", "[", "]", "%", "+", "-", "é", "<1>"] {
                    variants.push(format!("{}{rep}{}", &line[..i], &line[end..]));
                }
                for v in &variants {
                    match p.parse_line(v) {
                        Parsed::Record(r) => assert!(kensa_model::plausible_ts(r.ts_ms), "{v}"),
                        Parsed::Reject(r) => assert!(!r.detail.is_empty(), "{v}"),
                        Parsed::Skip => {}
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 1000, "{file}: {checked}");
    }
}
