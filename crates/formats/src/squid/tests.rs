//! Unit tests on invented lines (the corpus is exercised in tests/).
use super::*;
use crate::text::pct_decode;

fn rec(format: SourceFormat, line: &str) -> WebRecord<'_> {
    let mut p = SquidParser::new(format, &ParseOptions::default()).unwrap();
    match p.parse_line(line) {
        Parsed::Record(r) => r,
        other => panic!("{line}: {other:?}"),
    }
}

fn rej(format: SourceFormat, opts: &ParseOptions, line: &str) -> Reject {
    let mut p = SquidParser::new(format, opts).unwrap();
    match p.parse_line(line) {
        Parsed::Reject(r) => r,
        other => panic!("{line}: expected a reject, got {other:?}"),
    }
}

#[test]
fn native_fields() {
    let r = rec(
        SourceFormat::SquidNative,
        "1700000000.007  12345 192.0.2.10 TCP_MISS/200 4321 POST http://API.Example.ORG:8080/v1/up?id=7 alice%40corp HIER_DIRECT/198.51.100.7 application/json",
    );
    assert_eq!(r.ts_ms, 1_700_000_000_007);
    assert_eq!(r.duration_ms, Some(12345));
    assert_eq!(r.client_ip.as_deref(), Some("192.0.2.10"));
    assert_eq!(r.action.as_deref(), Some("TCP_MISS"));
    assert_eq!(r.status, Some(200));
    assert_eq!(r.bytes_down, Some(4321));
    assert_eq!(r.bytes_up, None);
    assert_eq!(r.method.as_deref(), Some("POST"));
    assert_eq!(r.scheme.as_deref(), Some("http"));
    assert_eq!(r.host.as_deref(), Some("api.example.org"));
    assert_eq!(r.port, Some(8080));
    assert_eq!(r.path.as_deref(), Some("/v1/up"));
    assert_eq!(r.query.as_deref(), Some("id=7"));
    assert_eq!(
        r.url.as_deref(),
        Some("http://API.Example.ORG:8080/v1/up?id=7")
    );
    assert_eq!(r.user.as_deref(), Some("alice@corp"));
    assert_eq!(r.hierarchy.as_deref(), Some("HIER_DIRECT"));
    assert_eq!(r.server_ip.as_deref(), Some("198.51.100.7"));
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    assert_eq!(r.verdict, Some(Verdict::Pass));
}

#[test]
fn native_borrows_in_the_common_case() {
    let line = "1700000000.007 5 192.0.2.10 TCP_MISS/200 10 GET http://a.example/x?y bob HIER_DIRECT/198.51.100.7 text/html";
    let r = rec(SourceFormat::SquidNative, line);
    for f in [
        &r.client_ip,
        &r.host,
        &r.path,
        &r.query,
        &r.url,
        &r.user,
        &r.action,
        &r.hierarchy,
        &r.server_ip,
    ] {
        assert!(matches!(f, Some(Cow::Borrowed(_))), "{f:?} was copied");
    }
}

#[test]
fn native_connect_ipv6_error_and_stripped_query() {
    let r = rec(
        SourceFormat::SquidNative,
        "1700000001.000 600000 2001:db8::5 TCP_TUNNEL/200 99999 CONNECT [2001:DB8::80]:8443 - HIER_DIRECT/2001:db8::80 -",
    );
    assert_eq!(r.client_ip.as_deref(), Some("2001:db8::5"));
    assert_eq!(r.host.as_deref(), Some("2001:db8::80"));
    assert_eq!(r.port, Some(8443));
    assert_eq!(r.scheme, None);
    assert_eq!(r.server_ip.as_deref(), Some("2001:db8::80"));
    assert_eq!(r.content_type, None);
    let r = rec(
        SourceFormat::SquidNative,
        "1700000002.000 0 192.0.2.1 NONE_NONE/000 0 NONE error:invalid-request - HIER_NONE/- -",
    );
    assert_eq!(r.status, None);
    assert_eq!(r.host, None);
    assert_eq!(r.path, None);
    assert_eq!(r.url.as_deref(), Some("error:invalid-request"));
    assert_eq!(r.verdict, Some(Verdict::Error));
    let r = rec(
        SourceFormat::SquidNative,
        "1700000003.000 1 192.0.2.1 TCP_MISS/200 5 GET http://t.example/p.gif? - HIER_DIRECT/192.0.2.2 image/gif",
    );
    assert_eq!(r.query.as_deref(), Some(""), "stripped query = Some(\"\")");
    // Squid 2.x tags and hierarchy without HIER_ prefix, mime headers appended.
    let r = rec(
        SourceFormat::SquidNative,
        "1700000004.100 10 192.0.2.1 TCP_REFRESH_HIT/304 200 GET http://t.example/ - DIRECT/192.0.2.2 - [Host:%20t.example\\r\\n] [HTTP/1.1%20304]",
    );
    assert_eq!(r.action.as_deref(), Some("TCP_REFRESH_HIT"));
    assert_eq!(r.hierarchy.as_deref(), Some("DIRECT"));
    assert_eq!(r.verdict, Some(Verdict::Pass));
}

#[test]
fn native_wide_lines_of_real_deployments() {
    // A raw space in the URL (relaxed_header_parser) and a content type with
    // parameters: the hierarchy field anchors the tail.
    let r = rec(
        SourceFormat::SquidNative,
        "1700000002.123    120 10.0.0.5 TCP_MISS/200 5120 GET http://example.com/a b.html?q=x y alice HIER_DIRECT/93.184.216.34 text/html; charset=utf-8",
    );
    assert_eq!(r.url.as_deref(), Some("http://example.com/a b.html?q=x y"));
    assert_eq!(r.host.as_deref(), Some("example.com"));
    assert_eq!(r.path.as_deref(), Some("/a b.html"));
    assert_eq!(r.query.as_deref(), Some("q=x y"));
    assert_eq!(r.user.as_deref(), Some("alice"));
    assert_eq!(r.hierarchy.as_deref(), Some("HIER_DIRECT"));
    assert_eq!(r.server_ip.as_deref(), Some("93.184.216.34"));
    assert_eq!(r.content_type.as_deref(), Some("text/html; charset=utf-8"));
    assert_eq!(r.status, Some(200));
    // Native plus quoted referer and user agent, in either order, escaped
    // the way Squid's quoted encoding writes them.
    for line in [
        r#"1700000004.123 120 10.0.0.5 TCP_MISS/200 5120 GET http://example.com/x.html - HIER_DIRECT/93.184.216.34 text/html "http://ref.example/p?a=1" "Mozilla/5.0 (Windows NT 10.0; \"x\")""#,
        r#"1700000004.123 120 10.0.0.5 TCP_MISS/200 5120 GET http://example.com/x.html - HIER_DIRECT/93.184.216.34 text/html "Mozilla/5.0%20(Windows%20NT%2010.0;%20\"x\")" "http://ref.example/p?a=1""#,
    ] {
        let r = rec(SourceFormat::SquidNative, line);
        assert_eq!(r.referer.as_deref(), Some("http://ref.example/p?a=1"), "{line}");
        assert_eq!(r.user_agent.as_deref(), Some(r#"Mozilla/5.0 (Windows NT 10.0; "x")"#), "{line}");
        assert_eq!(r.content_type.as_deref(), Some("text/html"), "{line}");
        assert_eq!(r.user, None);
    }
    let r = rec(
        SourceFormat::SquidNative,
        r#"1700000004.123 120 10.0.0.5 TCP_DENIED/403 0 CONNECT evil.example:443 - HIER_NONE/- - "-" "curl/8.1""#,
    );
    assert_eq!(r.host.as_deref(), Some("evil.example"));
    assert_eq!(r.port, Some(443));
    assert_eq!(r.referer, None);
    assert_eq!(r.user_agent.as_deref(), Some("curl/8.1"));
    assert_eq!(r.content_type, None);
    // With no hierarchy-shaped field the line stays rejected, naming why.
    let r = rej(
        SourceFormat::SquidNative,
        &ParseOptions::default(),
        "1700000000.000 1 192.0.2.1 TCP_MISS/200 5 GET http://a/ b c d e f",
    );
    assert_eq!(r.reason, RejectReason::FieldCount);
    assert!(r.detail.contains("hierarchy"), "{}", r.detail);
    let r = rej(
        SourceFormat::SquidNative,
        &ParseOptions::default(),
        "1700000000.000 1 192.0.2.1 TCP_MISS/200 5 GET http://a/ - HIER_NONE/- text/html 1.1 443",
    );
    assert_eq!(r.reason, RejectReason::FieldCount);
    assert!(r.detail.contains("--squid-logformat"), "{}", r.detail);
    // An unclosed quote is malformed; fields left over after the quoted
    // values are not this layout.
    let r = rej(
        SourceFormat::SquidNative,
        &ParseOptions::default(),
        r#"1700000000.000 1 192.0.2.1 TCP_MISS/200 5 GET http://a/ - HIER_NONE/- text/html "Mozilla/5.0 (X"#,
    );
    assert_eq!(r.reason, RejectReason::Malformed);
    assert!(r.detail.contains("never closes"), "{}", r.detail);
    let evil = format!(
        "1700000000.000 1 192.0.2.1 TCP_MISS/200 5 GET http://a/ - HIER_NONE/- text/html {}",
        "\"a ".repeat(20_000)
    );
    let mut p = SquidParser::new(SourceFormat::SquidNative, &ParseOptions::default()).unwrap();
    match p.parse_line(&evil) {
        Parsed::Reject(r) => {
            assert_eq!(r.reason, RejectReason::FieldCount);
            assert!(r.detail.contains("after its quoted values"), "{}", r.detail);
        }
        _ => panic!("a line of stray quotes was not rejected"),
    }
}

#[test]
fn native_rejects_name_the_field() {
    let o = ParseOptions::default();
    let r = rej(
        SourceFormat::SquidNative,
        &o,
        "1700000000.000 1 192.0.2.1 TCP_MISS/200",
    );
    assert_eq!(r.reason, RejectReason::FieldCount);
    let r = rej(
        SourceFormat::SquidNative,
        &o,
        "17000x0000.000 1 192.0.2.1 TCP_MISS/200 5 GET http://a/ - HIER_NONE/- -",
    );
    assert_eq!(r.reason, RejectReason::BadTimestamp);
    assert!(r.detail.contains("field 1"), "{}", r.detail);
    let r = rej(
        SourceFormat::SquidNative,
        &o,
        "100.000 1 192.0.2.1 TCP_MISS/200 5 GET http://a/ - HIER_NONE/- -",
    );
    assert_eq!(r.reason, RejectReason::BadTimestamp);
    let r = rej(
        SourceFormat::SquidNative,
        &o,
        "1700000000.000 1 192.0.2.1 TCP_MISS/2x0 5 GET http://a/ - HIER_NONE/- -",
    );
    assert_eq!(r.reason, RejectReason::BadNumber);
    assert!(r.detail.contains("field 4"), "{}", r.detail);
    let r = rej(
        SourceFormat::SquidNative,
        &o,
        "1700000000.000 1 192.0.2.1 TCP_MISS/200 -5 GET http://a/ - HIER_NONE/- -",
    );
    assert_eq!(r.reason, RejectReason::BadNumber);
    assert!(r.detail.contains("field 5"), "{}", r.detail);
    let r = rej(
        SourceFormat::SquidNative,
        &o,
        "1700000000.000 1 192.0.2.1 TCP_MISS/200 5 GET http://a/ - HIER_NONE/- - extra",
    );
    assert_eq!(r.reason, RejectReason::FieldCount);
    let r = rej(
        SourceFormat::SquidNative,
        &o,
        "1700000000.000 1 192.0.2.1 tcp_miss/200 5 GET http://a/ - HIER_NONE/- -",
    );
    assert_eq!(r.reason, RejectReason::Malformed);
}

#[test]
fn blank_and_comment_lines_are_skipped() {
    let mut p = SquidParser::new(SourceFormat::SquidNative, &ParseOptions::default()).unwrap();
    assert!(matches!(p.parse_line(""), Parsed::Skip));
    assert!(matches!(p.parse_line("   \t"), Parsed::Skip));
    assert!(matches!(p.parse_line("# rotated"), Parsed::Skip));
}

#[test]
fn verdict_table() {
    assert_eq!(
        verdict(Some("TCP_DENIED"), Some(407)),
        Some(Verdict::AuthRequired)
    );
    assert_eq!(verdict(Some("TCP_DENIED"), Some(403)), Some(Verdict::Block));
    assert_eq!(
        verdict(Some("TCP_DENIED_REPLY"), Some(403)),
        Some(Verdict::Block)
    );
    assert_eq!(verdict(Some("NONE_NONE"), None), Some(Verdict::Error));
    // Squid 4 writes `TAG_NONE` where 5+ writes `NONE_NONE`.
    let r = rec(
        SourceFormat::SquidNative,
        "1700000014.100  60012 10.0.0.8 TAG_NONE/503 0 CONNECT dead.example:443 - HIER_NONE/- text/html",
    );
    assert_eq!(r.action.as_deref(), Some("TAG_NONE"));
    assert_eq!(r.status, Some(503));
    assert_eq!(
        (r.host.as_deref(), r.port),
        (Some("dead.example"), Some(443))
    );
    assert_eq!(r.verdict, Some(Verdict::Error));
    assert_eq!(
        verdict(Some("TCP_MISS_ABORTED"), Some(503)),
        Some(Verdict::Error)
    );
    assert_eq!(
        verdict(Some("TCP_MISS_TIMEDOUT"), Some(200)),
        Some(Verdict::Error)
    );
    assert_eq!(verdict(Some("TCP_MISS"), None), Some(Verdict::Error));
    assert_eq!(verdict(Some("TCP_TUNNEL"), Some(200)), Some(Verdict::Pass));
    assert_eq!(verdict(Some("TCP_MISS"), Some(503)), Some(Verdict::Pass));
    assert_eq!(verdict(None, Some(200)), None);
}

#[test]
fn common_and_combined() {
    let r = rec(
        SourceFormat::SquidCommon,
        "192.0.2.44 - carol [01/Jan/2025:00:00:09 -0100] \"GET http://News.Example/a?b=1 HTTP/1.1\" 200 777 TCP_MISS:HIER_DIRECT",
    );
    assert_eq!(r.ts_ms, 1_735_693_209_000);
    assert_eq!(r.user.as_deref(), Some("carol"));
    assert_eq!(r.host.as_deref(), Some("news.example"));
    assert_eq!(r.query.as_deref(), Some("b=1"));
    assert_eq!(r.status, Some(200));
    assert_eq!(r.bytes_down, Some(777));
    assert_eq!(r.action.as_deref(), Some("TCP_MISS"));
    assert_eq!(r.hierarchy.as_deref(), Some("HIER_DIRECT"));
    assert_eq!(r.duration_ms, None);
    let r = rec(
        SourceFormat::SquidCombined,
        "192.0.2.44 - - [01/Jan/2025:09:00:09 +0900] \"CONNECT vpn.example:443 HTTP/1.1\" 407 10 \"-\" \"Agent%20%22X%22/1.0\" TCP_DENIED:HIER_NONE",
    );
    assert_eq!(r.ts_ms, 1_735_689_609_000);
    assert_eq!(r.user, None);
    assert_eq!(r.host.as_deref(), Some("vpn.example"));
    assert_eq!(r.port, Some(443));
    assert_eq!(r.referer, None);
    assert_eq!(r.user_agent.as_deref(), Some("Agent \"X\"/1.0"));
    assert_eq!(r.verdict, Some(Verdict::AuthRequired));
    // A raw UA with spaces and an inner quote still parses.
    let r = rec(
        SourceFormat::SquidCombined,
        "192.0.2.44 - - [01/Jan/2025:09:00:09 +0900] \"GET /x HTTP/1.0\" 0 0 \"http://r.example/\" \"My \"Agent\" 2\" NONE_NONE:HIER_NONE",
    );
    assert_eq!(r.user_agent.as_deref(), Some("My \"Agent\" 2"));
    assert_eq!(r.path.as_deref(), Some("/x"));
    assert_eq!(r.host, None);
    assert_eq!(r.status, None);
    assert_eq!(r.verdict, Some(Verdict::Error));
    // Backslash-escaped quotes (Apache, Squid's `%"`) and a raw space in the
    // request's URL.
    let r = rec(
        SourceFormat::SquidCombined,
        r#"192.0.2.4 - alice [01/Jan/2025:00:00:01 +0000] "GET http://a.example/x y.html HTTP/1.1" 200 1 "http://r.example/" "curl \"q\" 1" TCP_MISS:HIER_DIRECT"#,
    );
    assert_eq!(r.user_agent.as_deref(), Some(r#"curl "q" 1"#));
    assert_eq!(r.path.as_deref(), Some("/x y.html"));
    assert_eq!(r.host.as_deref(), Some("a.example"));
    // Apache-style common without %Ss:%Sh.
    let r = rec(
        SourceFormat::SquidCommon,
        "192.0.2.4 - - [01/Jan/2025:00:00:00 +0000] \"GET http://a.example/ HTTP/1.1\" 200 1",
    );
    assert_eq!(r.action, None);
    assert_eq!(r.verdict, None);
}

#[test]
fn common_and_combined_reject_each_other() {
    let o = ParseOptions::default();
    let comb = "192.0.2.4 - - [01/Jan/2025:00:00:00 +0000] \"GET http://a.example/ HTTP/1.1\" 200 1 \"-\" \"ua\" TCP_MISS:HIER_DIRECT";
    let comm = "192.0.2.4 - - [01/Jan/2025:00:00:00 +0000] \"GET http://a.example/ HTTP/1.1\" 200 1 TCP_MISS:HIER_DIRECT";
    assert_eq!(
        rej(SourceFormat::SquidCommon, &o, comb).reason,
        RejectReason::FieldCount
    );
    assert_eq!(
        rej(SourceFormat::SquidCombined, &o, comm).reason,
        RejectReason::FieldCount
    );
    let r = rej(
        SourceFormat::SquidCombined,
        &o,
        "192.0.2.4 - - [01/Jan/2025:00:00:00 +0000] \"GET http://a.example/ HTTP/1.1\" 200 1 \"-\" \"ua",
    );
    assert_eq!(r.reason, RejectReason::UnterminatedQuote);
    let r = rej(
        SourceFormat::SquidCommon,
        &o,
        "192.0.2.4 - - [01/Jan/2025:00:00:00 +0000 \"GET / HTTP/1.1\" 200 1",
    );
    assert_eq!(r.reason, RejectReason::UnterminatedQuote);
}

fn custom(fmt: &str) -> SquidParser {
    let o = ParseOptions {
        squid_logformat: Some(fmt.into()),
        ..Default::default()
    };
    SquidParser::new(SourceFormat::SquidCustom, &o).unwrap()
}

fn crec<'a>(p: &mut SquidParser, line: &'a str) -> WebRecord<'a> {
    match p.parse_line(line) {
        Parsed::Record(r) => r,
        other => panic!("{line}: {other:?}"),
    }
}

#[test]
fn custom_logformat_fields() {
    let mut p = custom(
        "logformat full %ts.%03tu %6tr %>a %>p %Ss/%03>Hs %>st %<st %rm %ru %[un %Sh/%<a %mt \"%{User-Agent}>h\" \"%{Referer}>h\" %ssl::>sni",
    );
    let r = crec(
        &mut p,
        "1700000000.100     42 192.0.2.5 50123 TCP_MISS/200 900 1200 POST https://Up.Example/f?x=%41 dave HIER_DIRECT/203.0.113.9 text/plain \"Tool%201.0\" \"https://r.example/\" up.example",
    );
    assert_eq!(r.ts_ms, 1_700_000_000_100);
    assert_eq!(r.duration_ms, Some(42));
    assert_eq!(r.client_port, Some(50123));
    assert_eq!(r.bytes_up, Some(900));
    assert_eq!(r.bytes_down, Some(1200));
    assert_eq!(r.host.as_deref(), Some("up.example"));
    assert_eq!(r.port, Some(443));
    assert_eq!(r.query.as_deref(), Some("x=%41"));
    assert_eq!(r.user_agent.as_deref(), Some("Tool 1.0"));
    assert_eq!(r.referer.as_deref(), Some("https://r.example/"));
    assert_eq!(r.sni.as_deref(), Some("up.example"));
    assert_eq!(r.server_ip.as_deref(), Some("203.0.113.9"));
    assert_eq!(r.verdict, Some(Verdict::Pass));
}

#[test]
fn custom_time_codes() {
    let mut p = custom("%>a [%tl] %rm %ru");
    let r = crec(
        &mut p,
        "192.0.2.1 [02/Jan/2025:03:04:05 +0900] GET http://a.example/",
    );
    assert_eq!(r.ts_ms, 1_735_754_645_000);
    let mut p = custom("%tl %>a %ru");
    let r = crec(
        &mut p,
        "02/Jan/2025:03:04:05 +0900 192.0.2.1 http://a.example/",
    );
    assert_eq!(r.ts_ms, 1_735_754_645_000);
    assert_eq!(r.client_ip.as_deref(), Some("192.0.2.1"));
    let mut p = custom("%{%Y-%m-%d %H:%M:%S}tg %>a");
    assert_eq!(
        crec(&mut p, "2025-01-01 18:04:05 192.0.2.1").ts_ms,
        1_735_754_645_000
    );
    let o = ParseOptions {
        squid_logformat: Some("%{%Y-%m-%dT%H:%M:%S}tl %>a".into()),
        tz: Some(chrono_tz::Asia::Tokyo),
        ..Default::default()
    };
    let mut p = SquidParser::new(SourceFormat::SquidCustom, &o).unwrap();
    assert_eq!(
        crec(&mut p, "2025-01-02T03:04:05 192.0.2.1").ts_ms,
        1_735_754_645_000
    );
    let mut p = custom("%ts %tr %>a");
    assert_eq!(
        crec(&mut p, "1700000000 5 192.0.2.1").ts_ms,
        1_700_000_000_000
    );
    let mut p = custom("%tS %tr %>a");
    assert_eq!(
        crec(&mut p, "1700000000.500 250 192.0.2.1").ts_ms,
        1_700_000_000_750
    );
}

#[test]
fn custom_widths_encodings_and_opaque_codes() {
    let mut p = custom("%ts.%03tu %-12un| %\"{User-Agent}>h| %#ru %note %<pt %>sh %>h");
    let r = crec(
        &mut p,
        "1700000000.001 erin        | Say \\\"hi\\\" now| http://a.example/%7Euser n=1 17 300 -",
    );
    assert_eq!(r.ts_ms, 1_700_000_000_001);
    assert_eq!(r.user.as_deref(), Some("erin"));
    assert_eq!(r.user_agent.as_deref(), Some("Say \"hi\" now"));
    assert_eq!(r.url.as_deref(), Some("http://a.example/~user"));
    assert_eq!(r.path.as_deref(), Some("/~user"));
    let mut p = custom("%ts %'{User-Agent}>h|%>rd %rp %<p %st %>st %{Host}>h %ul %ue");
    let r = crec(
        &mut p,
        "1700000000 raw%20ua|WWW.Example /p?q=1 8443 1500 500 ignored.example:8 - ext",
    );
    assert_eq!(r.user_agent.as_deref(), Some("raw%20ua"));
    assert_eq!(r.host.as_deref(), Some("www.example"));
    assert_eq!(r.path.as_deref(), Some("/p"));
    assert_eq!(r.query.as_deref(), Some("q=1"));
    assert_eq!(r.port, Some(8443));
    assert_eq!(r.bytes_up, Some(500));
    assert_eq!(r.bytes_down, Some(1000));
    assert_eq!(r.user.as_deref(), Some("ext"));
    assert_eq!(r.verdict, None);
    let mut p = custom("%ts %{Host}>h %>A %<A");
    let r = crec(&mut p, "1700000000 Host.Example:8080 pc1.corp up.example");
    assert_eq!(r.host.as_deref(), Some("host.example"));
    assert_eq!(r.client_ip.as_deref(), Some("pc1.corp"));
    assert_eq!(r.server_ip.as_deref(), Some("up.example"));
}

#[test]
fn custom_format_errors_name_the_code() {
    let bad = |f: &str| match SquidParser::new(
        SourceFormat::SquidCustom,
        &ParseOptions {
            squid_logformat: Some(f.into()),
            ..Default::default()
        },
    ) {
        Err(FormatError::InvalidOption { detail, .. }) => detail,
        Ok(_) => panic!("{f} compiled"),
        Err(e) => panic!("{e}"),
    };
    assert!(bad("%ts %>a %zz").contains("%zz"));
    assert!(bad("logformat x %ts %{User-Agent").contains("unclosed"));
    assert!(bad("%>a %ru").contains("no time code"));
    assert!(bad("%ts%>a").contains("no text between"));
    assert!(bad("logformat empty").contains("no codes"));
    assert!(bad("%ts %bogus::x").contains("%bogus"));
    assert!(SquidParser::new(SourceFormat::SquidCustom, &ParseOptions::default()).is_err());
    assert!(SquidParser::new(SourceFormat::IfilterBlock, &ParseOptions::default()).is_err());
}

#[test]
fn custom_rejects() {
    let o = ParseOptions {
        squid_logformat: Some("%ts.%03tu %>a \"%{User-Agent}>h\" %>Hs".into()),
        ..Default::default()
    };
    assert_eq!(
        rej(
            SourceFormat::SquidCustom,
            &o,
            "1700000000.000 192.0.2.1 \"ua 200"
        )
        .reason,
        RejectReason::UnterminatedQuote
    );
    assert_eq!(
        rej(
            SourceFormat::SquidCustom,
            &o,
            "1700000000.000 192.0.2.1 \"ua\" 200 more"
        )
        .reason,
        RejectReason::FieldCount
    );
    assert_eq!(
        rej(SourceFormat::SquidCustom, &o, "1700000000.000 192.0.2.1").reason,
        RejectReason::FieldCount
    );
    assert_eq!(
        rej(
            SourceFormat::SquidCustom,
            &o,
            "1700000000.000 192.0.2.1 \"ua\" 2000"
        )
        .reason,
        RejectReason::BadNumber
    );
    assert_eq!(
        rej(
            SourceFormat::SquidCustom,
            &o,
            "1700000000.9999 192.0.2.1 \"ua\" 200"
        )
        .reason,
        RejectReason::BadTimestamp
    );
    assert_eq!(
        rej(
            SourceFormat::SquidCustom,
            &o,
            "17x.000 192.0.2.1 \"ua\" 200"
        )
        .reason,
        RejectReason::BadTimestamp
    );
}

#[test]
fn sniff_tells_the_built_ins_apart() {
    let native =
        ["1700000000.000 1 192.0.2.1 TCP_MISS/200 5 GET http://a/ - HIER_DIRECT/192.0.2.2 -"; 3];
    assert_eq!(sniff(&native), Some((SourceFormat::SquidNative, 100)));
    let comm = "192.0.2.4 - - [01/Jan/2025:00:00:00 +0000] \"GET http://a.example/ HTTP/1.1\" 200 1 TCP_MISS:HIER_DIRECT";
    let comb = "192.0.2.4 - - [01/Jan/2025:00:00:00 +0000] \"GET http://a.example/ HTTP/1.1\" 200 1 \"-\" \"ua\" TCP_MISS:HIER_DIRECT";
    assert_eq!(
        sniff(&[comm, "# c", "", comm]),
        Some((SourceFormat::SquidCommon, 100))
    );
    assert_eq!(
        sniff(&[comb, comb, comm]),
        Some((SourceFormat::SquidCombined, 66))
    );
    assert_eq!(sniff(&[comb, "junk", "junk"]), None);
    assert_eq!(sniff(&[]), None);
    assert_eq!(sniff(&["#Fields: date time"]), None);
    assert_eq!(pct_decode("a%20b"), "a b");
}

#[test]
fn fast_url_split_matches_the_model() {
    let urls = [
        "http://a.example/",
        "http://a.example",
        "https://A.Example:8443/p/q?x=1&y=2#frag",
        "http://a.example?q",
        "http://a.example#f",
        "http://a.example:/x",
        "http://a.example:99999/x",
        "http://a.example:+80/x",
        "http://:80/x",
        "http:///x",
        "http://u:p@a.example/",
        "http://[2001:db8::1]:8080/x",
        "http://2001:db8::1/x",
        "https://192.0.2.1/updates/check?",
        "http://h/p?a?b#c?d",
        "login.example.net:443",
        "login.example.net:",
        "login.example.net:0",
        "a_b.example:443",
        "[::1]:443",
        "error:transaction-end-before-headers",
        "/relative?x",
        "ftp://f.example/pub",
        "HTTP://UPPER.example/",
        "http://検査.example/パス?値",
    ];
    for u in urls {
        if let Some(fast) = super::fast_split_url(u) {
            assert_eq!(fast, kensa_model::split_url(u), "{u}");
        }
    }
    assert!(super::fast_split_url("http://u:p@a.example/").is_none());
    assert!(super::fast_split_url("error:transaction-end-before-headers").is_none());
    assert!(super::fast_split_url("http://a.example/x").is_some());
}

#[test]
fn custom_spec_naming_a_built_in() {
    let mut p = custom("logformat squid");
    let r = crec(
        &mut p,
        "1700000000.000 1 192.0.2.1 TCP_MISS/200 5 GET http://a.example/ - HIER_DIRECT/192.0.2.2 -",
    );
    assert_eq!(r.host.as_deref(), Some("a.example"));
    let mut p = custom("useragent");
    let r = crec(
        &mut p,
        "192.0.2.1 [01/Jan/2025:00:00:00 +0000] \"Agent/1 (X; Y)\"",
    );
    assert_eq!(r.ts_ms, 1_735_689_600_000);
    assert_eq!(r.user_agent.as_deref(), Some("Agent/1 (X; Y)"));
    let mut p = custom("referrer");
    let r = crec(
        &mut p,
        "1700000000.000 192.0.2.1 http://from.example/ http://to.example/x",
    );
    assert_eq!(r.referer.as_deref(), Some("http://from.example/"));
    assert_eq!(r.host.as_deref(), Some("to.example"));
}

#[test]
fn lines_logged_through_syslog() {
    // `access_log syslog:local4.info squid` as syslogd writes it to a file.
    let line = "Nov 26 10:00:00 proxy1 squid[1234]: 1700000000.123    250 10.0.0.5 TCP_TUNNEL/200 48213 CONNECT www.example.com:443 CORP%5Cjdoe HIER_DIRECT/93.184.216.34 -";
    let r = rec(SourceFormat::SquidNative, line);
    assert_eq!(r.ts_ms, 1_700_000_000_123);
    assert_eq!(r.duration_ms, Some(250));
    assert_eq!(r.client_ip.as_deref(), Some("10.0.0.5"));
    assert_eq!(r.user.as_deref(), Some("CORP\\jdoe"));
    assert_eq!(
        (r.host.as_deref(), r.port),
        (Some("www.example.com"), Some(443))
    );
    assert_eq!(r.bytes_down, Some(48213));
    assert_eq!(r.server_ip.as_deref(), Some("93.184.216.34"));
    let r = rec(
        SourceFormat::SquidCombined,
        r#"<134>1 2024-11-26T10:00:00.000+09:00 proxy1 squid 1234 - - 10.20.1.15 - yamada [17/Oct/2024:10:00:00 +0900] "GET http://www.example.com/a?b=1 HTTP/1.1" 200 1386 "-" "curl/8.4.0" TCP_MISS:HIER_DIRECT"#,
    );
    assert_eq!(r.ts_ms, 1_729_126_800_000);
    assert_eq!(r.client_ip.as_deref(), Some("10.20.1.15"));
    assert_eq!(r.user_agent.as_deref(), Some("curl/8.4.0"));
    assert_eq!(r.query.as_deref(), Some("b=1"));
    assert_eq!(sniff(&[line, line]), Some((SourceFormat::SquidNative, 100)));
    // A custom layout that opens with a syslog-style time keeps it.
    let opts = ParseOptions {
        squid_logformat: Some("%{%b %d %H:%M:%S %Y}tl %>a %rm %ru %>Hs".into()),
        ..Default::default()
    };
    let mut p = SquidParser::new(SourceFormat::SquidCustom, &opts).unwrap();
    let Parsed::Record(r) = p.parse_line("Nov 26 10:00:00 2024 10.0.0.5 GET http://a.example/ 200")
    else {
        panic!()
    };
    assert_eq!(
        (r.ts_ms, r.client_ip.as_deref()),
        (1_732_615_200_000, Some("10.0.0.5"))
    );
    let Parsed::Record(r) = p.parse_line(
        "Nov 26 10:00:01 proxy1 squid[9]: Nov 26 10:00:00 2024 10.0.0.6 GET http://a.example/ 200",
    ) else {
        panic!()
    };
    assert_eq!(
        (r.ts_ms, r.client_ip.as_deref()),
        (1_732_615_200_000, Some("10.0.0.6"))
    );
}
