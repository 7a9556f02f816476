//! Conformance: every Squid sample in the shared corpus parses with zero
//! rejects, and concrete values of several lines per file are right.
//! The corpus is read by path and never copied. Without it the tests fail
//! under `CI` and print a note otherwise.

use std::path::PathBuf;

use kensa_formats::{ParseOptions, Parsed, parser_for};
use kensa_model::{SourceFormat, Verdict, WebRecord};

fn corpus(name: &str) -> Option<String> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/proxy/squid"
    ));
    let path = dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(e) => {
            if std::env::var_os("CI").is_some() {
                panic!("corpus file {} missing under CI: {e}", path.display());
            }
            eprintln!(
                "note: skipping, corpus file {} not found ({e})",
                path.display()
            );
            None
        }
    }
}

/// Parses every line; panics naming the first reject.
fn parse_all(text: &str, format: SourceFormat, logformat: Option<&str>) -> Vec<WebRecord<'static>> {
    let opts = ParseOptions {
        squid_logformat: logformat.map(str::to_string),
        ..Default::default()
    };
    let mut p = parser_for(format, &opts).unwrap();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        match p.parse_line(line) {
            Parsed::Record(r) => out.push(r.into_owned()),
            Parsed::Skip => {}
            Parsed::Reject(r) => panic!("line {}: {r}\n{line}", i + 1),
        }
    }
    out
}

fn s<'b>(v: &'b Option<std::borrow::Cow<'_, str>>) -> Option<&'b str> {
    v.as_deref()
}

fn count(recs: &[WebRecord<'_>], v: Verdict) -> usize {
    recs.iter().filter(|r| r.verdict == Some(v)).count()
}

/// The logformat the synthetic custom file was written with (its SOURCES.md).
const ANALYZER: &str = r#"logformat analyzer %ts.%03tu %6tr %>a %>p %Ss/%03>Hs %>st %<st %rm %ru %[un %Sh/%<a %mt "%{User-Agent}>h" "%{Referer}>h" %ssl::>sni"#;

#[test]
fn elastic_native() {
    let Some(text) = corpus("elastic-integrations__test-access.log") else {
        return;
    };
    let r = parse_all(&text, SourceFormat::SquidNative, None);
    assert_eq!(r.len(), 46);
    assert_eq!(count(&r, Verdict::AuthRequired), 7);
    assert_eq!(count(&r, Verdict::Pass), 39);
    assert!(
        r.iter().all(|x| x.bytes_up.is_none()),
        "native has no upload size"
    );

    let c = &r[0]; // CONNECT, Squid 2.x hierarchy
    assert_eq!(c.ts_ms, 1_157_689_312_049);
    assert_eq!(c.duration_ms, Some(5006));
    assert_eq!(s(&c.client_ip), Some("10.105.21.199"));
    assert_eq!(s(&c.method), Some("CONNECT"));
    assert_eq!(s(&c.host), Some("login.yahoo.com"));
    assert_eq!(c.port, Some(443));
    assert_eq!(c.scheme, None);
    assert_eq!(c.path, None);
    assert_eq!(c.status, Some(200));
    assert_eq!(c.bytes_down, Some(19763));
    assert_eq!(s(&c.user), Some("badeyek"));
    assert_eq!(s(&c.action), Some("TCP_MISS"));
    assert_eq!(s(&c.hierarchy), Some("DIRECT"));
    assert_eq!(s(&c.server_ip), Some("175.16.199.115"));
    assert_eq!(c.content_type, None);
    assert_eq!(c.verdict, Some(Verdict::Pass));

    let g = &r[6]; // stripped query
    assert_eq!(
        s(&g.url),
        Some("http://www.google-analytics.com/__utm.gif?")
    );
    assert_eq!(s(&g.host), Some("www.google-analytics.com"));
    assert_eq!(s(&g.path), Some("/__utm.gif"));
    assert_eq!(s(&g.query), Some(""));
    assert_eq!(g.port, Some(80));
    assert_eq!(s(&g.content_type), Some("image/gif"));

    let d = &r[21]; // proxy auth required
    assert_eq!(d.ts_ms, 1_157_689_337_481);
    assert_eq!(s(&d.client_ip), Some("10.105.47.218"));
    assert_eq!(s(&d.action), Some("TCP_DENIED"));
    assert_eq!(d.status, Some(407));
    assert_eq!(d.user, None);
    assert_eq!(s(&d.hierarchy), Some("NONE"));
    assert_eq!(d.server_ip, None);
    assert_eq!(d.verdict, Some(Verdict::AuthRequired));

    let k = r
        .iter()
        .find(|x| s(&x.host) == Some("natrocket.kmip.net"))
        .unwrap();
    assert_eq!(k.port, Some(5288));
    assert_eq!(s(&k.path), Some("/iesocks"));

    let last = &r[45];
    assert_eq!(s(&last.client_ip), Some("81.2.69.145"));
    assert_eq!(s(&last.action), Some("TCP_HIT"));
    assert_eq!(last.bytes_down, Some(68733));
    assert_eq!(last.duration_ms, Some(80));
}

fn check_synthetic_clf(r: &[WebRecord<'_>], combined: bool) {
    assert_eq!(r.len(), 21);
    assert_eq!(count(r, Verdict::AuthRequired), 2);
    assert_eq!(count(r, Verdict::Block), 1);
    assert_eq!(count(r, Verdict::Error), 2);
    assert_eq!(count(r, Verdict::Pass), 16);
    assert!(
        r.iter()
            .all(|x| x.duration_ms.is_none() && x.bytes_up.is_none() && x.server_ip.is_none())
    );

    let a = &r[0];
    assert_eq!(a.ts_ms, 1_729_126_800_000, "10:00:00 +0900 = 01:00:00Z");
    assert_eq!(s(&a.client_ip), Some("10.20.1.15"));
    assert_eq!(s(&a.user), Some("yamada"));
    assert_eq!(s(&a.method), Some("GET"));
    assert_eq!(s(&a.host), Some("www.example.com"));
    assert_eq!(s(&a.path), Some("/"));
    assert_eq!(a.status, Some(200));
    assert_eq!(a.bytes_down, Some(1386));
    assert_eq!(s(&a.action), Some("TCP_MISS"));
    assert_eq!(s(&a.hierarchy), Some("HIER_DIRECT"));

    let v6 = &r[5];
    assert_eq!(s(&v6.client_ip), Some("2001:db8:10:20::1f"));
    assert_eq!(s(&v6.user), Some("tanaka@CORP.EXAMPLE"));
    assert_eq!(s(&v6.host), Some("search.example.co.jp"));
    assert_eq!(s(&v6.query), Some(""));
    assert_eq!(v6.ts_ms, 1_729_126_804_000);

    let connect = &r[3];
    assert_eq!(s(&connect.method), Some("CONNECT"));
    assert_eq!(s(&connect.host), Some("login.example.net"));
    assert_eq!(connect.port, Some(443));
    assert_eq!(connect.verdict, Some(Verdict::AuthRequired));

    let beacon = &r[7];
    assert_eq!(s(&beacon.host), Some("192.0.2.77"));
    assert_eq!(beacon.port, Some(8080));
    assert_eq!(s(&beacon.path), Some("/gate.php"));
    assert_eq!(r[8].ts_ms - beacon.ts_ms, 60_000);

    let ioc = &r[12];
    assert_eq!(s(&ioc.url), Some("http://176.65.139.212/eclipse.sh4"));
    assert_eq!(ioc.status, Some(403));
    assert_eq!(ioc.verdict, Some(Verdict::Block));

    let err = &r[13];
    assert_eq!(s(&err.method), Some("NONE"));
    assert_eq!(s(&err.url), Some("error:transaction-end-before-headers"));
    assert_eq!(err.host, None);
    assert_eq!(err.status, None);
    assert_eq!(err.bytes_down, Some(0));
    assert_eq!(s(&err.action), Some("NONE_NONE"));
    assert_eq!(err.verdict, Some(Verdict::Error));

    let aborted = &r[17];
    assert_eq!(s(&aborted.action), Some("TCP_MISS_ABORTED"));
    assert_eq!(aborted.status, Some(503));
    assert_eq!(aborted.verdict, Some(Verdict::Error));

    let last = &r[20];
    assert_eq!(s(&last.client_ip), Some("2001:db8:10:20::2a"));
    assert_eq!(s(&last.action), Some("TCP_NEGATIVE_HIT"));
    assert_eq!(last.status, Some(404));

    if combined {
        assert_eq!(
            s(&a.user_agent),
            Some(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.0.0"
            )
        );
        assert_eq!(a.referer, None);
        assert_eq!(s(&r[1].referer), Some("http://www.example.com/"));
        assert_eq!(s(&aborted.user_agent), Some("Feed \"Reader\" 1.0 'beta'"));
        assert_eq!(r[18].user_agent, None, "empty UA is '-'");
        assert_eq!(err.user_agent, None);
    } else {
        assert!(
            r.iter()
                .all(|x| x.user_agent.is_none() && x.referer.is_none())
        );
    }
}

#[test]
fn synthetic_common() {
    let Some(text) = corpus("synthetic-common.log") else {
        return;
    };
    check_synthetic_clf(&parse_all(&text, SourceFormat::SquidCommon, None), false);
}

#[test]
fn synthetic_combined() {
    let Some(text) = corpus("synthetic-combined.log") else {
        return;
    };
    check_synthetic_clf(&parse_all(&text, SourceFormat::SquidCombined, None), true);
}

#[test]
fn synthetic_custom_analyzer() {
    let Some(text) = corpus("synthetic-custom-analyzer.log") else {
        return;
    };
    let r = parse_all(&text, SourceFormat::SquidCustom, Some(ANALYZER));
    assert_eq!(r.len(), 21);
    assert_eq!(
        r.iter().map(|x| x.bytes_up.unwrap()).sum::<u64>(),
        52_521_392
    );
    assert_eq!(count(&r, Verdict::AuthRequired), 2);
    assert_eq!(count(&r, Verdict::Block), 1);
    assert_eq!(count(&r, Verdict::Error), 2);

    let a = &r[0];
    assert_eq!(a.ts_ms, 1_729_126_800_112);
    assert_eq!(a.duration_ms, Some(84));
    assert_eq!(a.client_port, Some(50000));
    assert_eq!(a.bytes_up, Some(612));
    assert_eq!(a.bytes_down, Some(1386));
    assert_eq!(s(&a.server_ip), Some("203.0.113.10"));
    assert_eq!(s(&a.content_type), Some("text/html"));
    assert_eq!(a.sni, None);

    let tunnel = &r[4];
    assert_eq!(s(&tunnel.method), Some("CONNECT"));
    assert_eq!(s(&tunnel.host), Some("mail.example.org"));
    assert_eq!(tunnel.port, Some(443));
    assert_eq!(tunnel.duration_ms, Some(60125));
    assert_eq!(s(&tunnel.sni), Some("mail.example.org"));
    assert_eq!(s(&tunnel.action), Some("TCP_TUNNEL"));
    assert_eq!(s(&tunnel.server_ip), Some("198.51.100.20"));

    let v6 = &r[5];
    assert_eq!(s(&v6.client_ip), Some("2001:db8:10:20::1f"));
    assert_eq!(s(&v6.server_ip), Some("2001:db8:ffff::45"));
    assert_eq!(s(&v6.query), Some("q=%E7%A4%BE%E5%A4%96%E7%A7%98&hl=ja"));
    assert_eq!(s(&v6.referer), Some("http://search.example.co.jp/"));

    let upload = &r[11];
    assert_eq!(s(&upload.method), Some("POST"));
    assert_eq!(upload.bytes_up, Some(52_431_012));
    assert_eq!(upload.duration_ms, Some(95_122));
    assert_eq!(s(&upload.host), Some("upload.storage.example.com"));
    assert_eq!(s(&upload.path), Some("/v2/files/upload"));
    assert_eq!(s(&upload.sni), Some("upload.storage.example.com"));
    assert_eq!(
        s(&upload.referer),
        Some("https://storage.example.com/drive/my")
    );

    let err = &r[13];
    assert_eq!(err.status, None);
    assert_eq!(err.host, None);
    assert_eq!(err.verdict, Some(Verdict::Error));
    assert_eq!(err.user_agent, None);

    let bare_ip = &r[15];
    assert_eq!(s(&bare_ip.host), Some("203.0.113.50"));
    assert_eq!(s(&bare_ip.sni), Some("cdn.example.net"));

    assert_eq!(s(&r[17].user_agent), Some("Feed \"Reader\" 1.0 'beta'"));
    assert_eq!(s(&r[17].action), Some("TCP_MISS_ABORTED"));
    assert_eq!(r[18].user_agent, None);
    assert_eq!(
        s(&r[18].query),
        Some("d=ZXhmaWx0cmF0ZWQtZGF0YS1jaHVuay0wMDE%3D")
    );
    assert_eq!(r[19].status, Some(201));
    assert_eq!(s(&r[19].user), Some("yoshida"));
}

/// The Elastic "extensive" sample's logformat is not published; these two
/// lines are reconstructed from Elastic's expected output (reply bytes,
/// request bytes, reply/request header sizes, body bytes, …, Referer, UA,
/// Host, X-Forwarded-For, server time). Its last two lines carry one more
/// quoted field, the SNI, so they were written by a second format.
const EXTENSIVE: &str = r#"%ts.%03tu %6tr %>a %>p %Ss/%03>Hs %<st %>st %<sh %>sh %<bs %rm %ru %rv %[un %Sh/%<a %<p %mt %err_code %err_detail "%{Referer}>h" "%{User-Agent}>h" "%{Host}>h" "%{X-Forwarded-For}>h" %<pt %note"#;
const EXTENSIVE_SNI: &str = r#"%ts.%03tu %6tr %>a %>p %Ss/%03>Hs %<st %>st %<sh %>sh %<bs %rm %ru %rv %[un %Sh/%<a %<p %mt %err_code %err_detail "%{Referer}>h" "%{User-Agent}>h" "%{Host}>h" "%{X-Forwarded-For}>h" "%ssl::>sni" %<pt %note"#;

#[test]
fn elastic_extensive_custom() {
    let Some(text) = corpus("elastic-integrations__test-access-extensive.log") else {
        return;
    };
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 11);
    let r = parse_all(
        &lines[..9].join("\n"),
        SourceFormat::SquidCustom,
        Some(EXTENSIVE),
    );
    let r2 = parse_all(
        &lines[9..].join("\n"),
        SourceFormat::SquidCustom,
        Some(EXTENSIVE_SNI),
    );
    assert_eq!((r.len(), r2.len()), (9, 2));

    let a = &r[0];
    assert_eq!(a.ts_ms, 1_773_416_922_391);
    assert_eq!(a.client_port, Some(58938));
    assert_eq!(a.bytes_down, Some(904));
    assert_eq!(a.bytes_up, Some(123));
    assert_eq!(s(&a.user), Some("badeyek"));
    assert_eq!(s(&a.host), Some("example.com"));
    assert_eq!(a.port, Some(80));
    assert_eq!(s(&a.user_agent), Some("curl/8.14.1"));
    assert_eq!(a.referer, None);
    assert_eq!(s(&a.server_ip), Some("203.0.113.10"));

    let t = &r[1];
    assert_eq!(s(&t.method), Some("CONNECT"));
    assert_eq!(s(&t.host), Some("www.google.com"));
    assert_eq!(t.port, Some(443));
    assert_eq!(t.bytes_up, Some(2051));
    assert_eq!(t.content_type, None);

    assert_eq!(s(&r[2].referer), Some("http://test.example.com/"));
    assert_eq!(r[3].status, Some(404));
    assert_eq!(r[4].server_ip, None);
    assert_eq!(s(&r[4].hierarchy), Some("HIER_NONE"));
    assert_eq!(
        s(&r[6].user_agent),
        Some("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
        "raw UA with spaces inside quotes"
    );
    assert_eq!(s(&r[6].referer), Some("https://www.google.com/"));

    assert_eq!(s(&r2[0].sni), Some("secure.example.com"));
    assert_eq!(s(&r2[0].host), Some("secure.example.com"));
    assert_eq!(r2[0].bytes_up, Some(1980));
    assert_eq!(s(&r2[1].sni), Some("httpbin.org"));
    assert_eq!(r2[1].bytes_down, Some(1200));
    assert!(r.iter().all(|x| x.sni.is_none()));
}
