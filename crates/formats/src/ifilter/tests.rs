//! Unit tests on hand-written lines (the corpus files are read by
//! `tests/ifilter_corpus.rs`).
use super::*;
use chrono_tz::Tz;

fn opts() -> ParseOptions {
    ParseOptions::default()
}

fn rec<'a>(p: &mut IfilterParser, line: &'a str) -> WebRecord<'a> {
    match p.parse_line(line) {
        Parsed::Record(r) => r,
        other => panic!("{line}: {other:?}"),
    }
}

fn rej(p: &mut IfilterParser, line: &str) -> Reject {
    match p.parse_line(line) {
        Parsed::Reject(r) => r,
        other => panic!("{line}: expected a reject, got {other:?}"),
    }
}

fn custom(toml: &str, o: ParseOptions) -> IfilterParser {
    IfilterParser::new(
        SourceFormat::IfilterCustom,
        &ParseOptions {
            ifilter_mapping: Some(toml.into()),
            ..o
        },
    )
    .unwrap()
}

// An invented Ver.10 line: user 山田 太郎 in CP932 form-encoding, XFF client.
const V10: &str = r#"Jun  3 10:20:42 700 1050/01/ - 198.51.100.5:8443 10.1.1.1 10.2.2.2 pc-1 %8ER%93c+%91%BE%98Y [03/Jun/2024:10:20:30 +0900] 201 9000 120 pass 0 57 57/109 -1 0 12 0 sales - 0 - "POST https://Up.Example.net:8443/v1/put?n=%E8%B3%87%E6%96%99&x=1 HTTP/1.1" https://up.example.net/ curl%2F8.0+%28x%29 application%2Fjson%3B+charset%3DUTF-8 0A1B2C3D"#;

#[test]
fn v10_line_all_fields() {
    let mut p = IfilterParser::new(SourceFormat::IfilterV10Access, &opts()).unwrap();
    let r = rec(&mut p, V10);
    assert_eq!(r.ts_ms, 1_717_377_630_000, "start time is the event time");
    assert_eq!(r.duration_ms, Some(12_000));
    assert_eq!(r.client_ip.as_deref(), Some("10.2.2.2"));
    assert_eq!(r.user.as_deref(), Some("山田 太郎"));
    assert_eq!(r.status, Some(201));
    assert_eq!((r.bytes_up, r.bytes_down), (Some(9000), Some(120)));
    assert_eq!(r.action.as_deref(), Some("pass"));
    assert_eq!(r.verdict, Some(Verdict::Pass));
    assert_eq!(r.category.as_deref(), Some("57;109"));
    assert_eq!(r.method.as_deref(), Some("POST"));
    assert_eq!(
        r.url.as_deref(),
        Some("https://Up.Example.net:8443/v1/put?n=%E8%B3%87%E6%96%99&x=1")
    );
    assert_eq!(
        (r.scheme.as_deref(), r.host.as_deref(), r.port),
        (Some("https"), Some("up.example.net"), Some(8443))
    );
    assert_eq!(
        (r.path.as_deref(), r.query.as_deref()),
        (Some("/v1/put"), Some("n=%E8%B3%87%E6%96%99&x=1"))
    );
    assert_eq!(decode_text(r.query.as_deref().unwrap(), true), "n=資料&x=1");
    assert_eq!(r.referer.as_deref(), Some("https://up.example.net/"));
    assert_eq!(r.user_agent.as_deref(), Some("curl/8.0 (x)"));
    assert_eq!(
        r.content_type.as_deref(),
        Some("application/json; charset=UTF-8")
    );
    assert_eq!(r.server_ip.as_deref(), Some("198.51.100.5"));
}

#[test]
fn v10_truncated_and_extra_columns_are_field_count() {
    let mut p = IfilterParser::new(SourceFormat::IfilterV10Access, &opts()).unwrap();
    let cut: String = V10.split(' ').take(22).collect::<Vec<_>>().join(" ");
    let e = rej(&mut p, &cut);
    assert_eq!(e.reason, RejectReason::FieldCount);
    // ("Jun  3" splits into an extra empty piece: 21 real columns)
    assert!(e.detail.contains("column 22"), "{e}");
    let e = rej(&mut p, &format!("{V10} extra"));
    assert_eq!(e.reason, RejectReason::FieldCount);
    let e = rej(&mut p, &V10.replace("201 9000", "201 9k"));
    assert_eq!(e.reason, RejectReason::BadNumber);
    assert!(e.detail.contains("bytes_up"), "{e}");
    let e = rej(&mut p, &V10.replace("03/Jun/2024", "03/Jux/2024"));
    assert_eq!(e.reason, RejectReason::BadTimestamp);
    assert_eq!(
        rej(&mut p, &V10.replace("HTTP/1.1\"", "HTTP/1.1")).reason,
        RejectReason::UnterminatedQuote
    );
}

#[test]
fn dspa_glued_columns() {
    let mut p = IfilterParser::new(SourceFormat::IfilterDspaAccess, &opts()).unwrap();
    let line = r#"Jun 03 10:20:31 42 104/01/ 192.0.2.9:80 172.16.0.9 - - [03/Jun/2024:10:20:30 +0900] "GET http://a.example/x HTTP/1.0""http://r.example/"Mozilla%2F4.0 200 10 20 pass 0 0 31 GRP text%2Fhtml 0 - - FFFFFFFF"#;
    let r = rec(&mut p, line);
    assert_eq!(r.referer.as_deref(), Some("http://r.example/"));
    assert_eq!(r.user_agent.as_deref(), Some("Mozilla/4.0"));
    assert_eq!(r.status, Some(200));
    assert_eq!((r.bytes_up, r.bytes_down), (Some(10), Some(20)));
    assert_eq!(r.category.as_deref(), Some("0"));
    assert_eq!(r.user, None);
    assert_eq!(r.duration_ms, Some(1000));
    let no_ref = line.replace(r#""http://r.example/""#, r#""-""#);
    assert_eq!(rec(&mut p, &no_ref).referer, None);
}

#[test]
fn block_log_line() {
    let mut p = IfilterParser::new(SourceFormat::IfilterBlock, &opts()).unwrap();
    let r = rec(
        &mut p,
        "9 10.0.0.7 %89c%8B%C6%95%94 g 7 03/Jun/2024:10:20:30 +0900 bad.example:443 block 143 1 99 28 0 -1 0 Trojan.X",
    );
    assert_eq!(r.ts_ms, 1_717_377_630_000);
    assert_eq!(r.user.as_deref(), Some("営業部"));
    assert_eq!(
        (r.host.as_deref(), r.port, r.method),
        (Some("bad.example"), Some(443), None)
    );
    assert_eq!(r.verdict, Some(Verdict::Block));
    assert_eq!(r.category.as_deref(), Some("143"));
    assert_eq!(r.duration_ms, None);
}

#[test]
fn year_from_start_time_across_new_year() {
    let mut p = IfilterParser::new(SourceFormat::IfilterV10Access, &opts()).unwrap();
    let line = V10
        .replace("Jun  3 10:20:42", "Jan  1 00:00:15")
        .replace("03/Jun/2024:10:20:30", "31/Dec/2024:23:59:50");
    let r = rec(&mut p, &line);
    assert_eq!(r.ts_ms, 1_735_657_190_000);
    assert_eq!(r.duration_ms, Some(25_000), "output time is in 2025");
}

const OUT_ONLY: &str = "[columns]\n1 = \"output_time\"\n4 = \"client_ip\"\n5 = \"url\"";

#[test]
fn year_from_option_then_rollover() {
    let mut p = custom(
        OUT_ONLY,
        ParseOptions {
            year: Some(2024),
            ..opts()
        },
    );
    assert_eq!(
        rec(&mut p, "Dec 31 23:59:59 10.0.0.1 http://a.example/").ts_ms,
        1_735_657_199_000
    );
    assert_eq!(
        rec(&mut p, "Jan  1 00:00:05 10.0.0.1 http://a.example/").ts_ms,
        1_735_657_205_000
    );
    // and stays in 2025 for the next line
    assert_eq!(
        rec(&mut p, "Jan 01 00:00:05 10.0.0.1 http://a.example/").ts_ms,
        1_735_657_205_000
    );

    let mut p = custom(OUT_ONLY, opts());
    let e = rej(&mut p, "Dec 31 23:59:59 10.0.0.1 http://a.example/");
    assert_eq!(e.reason, RejectReason::BadTimestamp);
    assert!(e.detail.contains("--year"), "{e}");
    assert_eq!(
        rej(&mut p, "Feb 30 00:00:00 10.0.0.1 x").reason,
        RejectReason::BadTimestamp
    );
}

#[test]
fn tz_option_and_mapping_zone() {
    let line = "Jan  1 00:00:05 10.0.0.1 http://a.example/";
    let utc: Tz = "UTC".parse().unwrap();
    // default Asia/Tokyo
    let mut p = custom(
        OUT_ONLY,
        ParseOptions {
            year: Some(2025),
            ..opts()
        },
    );
    assert_eq!(rec(&mut p, line).ts_ms, 1_735_657_205_000);
    // --tz
    let mut p = custom(
        OUT_ONLY,
        ParseOptions {
            year: Some(2025),
            tz: Some(utc),
            ..opts()
        },
    );
    assert_eq!(rec(&mut p, line).ts_ms, 1_735_689_605_000);
    // mapping zone, overridden by --tz
    let zoned = format!("time_zone = \"UTC\"\n{OUT_ONLY}");
    let mut p = custom(
        &zoned,
        ParseOptions {
            year: Some(2025),
            ..opts()
        },
    );
    assert_eq!(rec(&mut p, line).ts_ms, 1_735_689_605_000);
    let mut p = custom(
        &zoned,
        ParseOptions {
            year: Some(2025),
            tz: Some(chrono_tz::Asia::Tokyo),
            ..opts()
        },
    );
    assert_eq!(rec(&mut p, line).ts_ms, 1_735_657_205_000);
    // an offset written in the log beats --tz
    let mut p = IfilterParser::new(
        SourceFormat::IfilterBlock,
        &ParseOptions {
            tz: Some(utc),
            ..opts()
        },
    )
    .unwrap();
    let r = rec(
        &mut p,
        "9 10.0.0.7 - g 7 03/Jun/2024:10:20:30 +0900 http://a.example/ block 1 1 1 1 0 -1 0 -",
    );
    assert_eq!(r.ts_ms, 1_717_377_630_000);
}

#[test]
fn custom_mapping_space_and_tab() {
    let toml = r#"
        column_count = 9
        [columns]
        1 = "start_time"
        3 = "client_ip"
        4 = "user"
        5 = "request"
        8 = "status"
        9 = "action"
    "#;
    let mut p = custom(toml, opts());
    let r = rec(
        &mut p,
        "03/Jun/2024:10:20:30 +0900 10.0.0.3 bob GET http://a.example/p HTTP/1.1 407 block",
    );
    assert_eq!(r.ts_ms, 1_717_377_630_000);
    assert_eq!(
        (r.method.as_deref(), r.path.as_deref()),
        (Some("GET"), Some("/p"))
    );
    assert_eq!(r.status, Some(407));
    assert_eq!(r.verdict, Some(Verdict::AuthRequired));
    assert_eq!(
        rej(
            &mut p,
            "03/Jun/2024:10:20:30 +0900 10.0.0.3 bob GET http://a.example/p HTTP/1.1 407 block x"
        )
        .reason,
        RejectReason::FieldCount
    );

    let tab =
        "separator = \"tab\"\n[columns]\n1 = \"output_time\"\n2 = \"user_agent\"\n3 = \"request\"";
    let mut p = custom(
        tab,
        ParseOptions {
            year: Some(2024),
            ..opts()
        },
    );
    let r = rec(
        &mut p,
        "Jun  3 01:20:30\tMy Agent 1.0\t\"GET http://a.example/a b HTTP/1.1\"\tignored",
    );
    assert_eq!(r.ts_ms, 1_717_345_230_000);
    assert_eq!(r.user_agent.as_deref(), Some("My Agent 1.0"));
    assert_eq!(r.url.as_deref(), Some("http://a.example/a b"));

    assert!(IfilterParser::new(SourceFormat::IfilterCustom, &opts()).is_err());
    assert!(IfilterParser::new(SourceFormat::SquidNative, &opts()).is_err());
}

#[test]
fn strips_a_syslog_forwarding_header() {
    let mut p = IfilterParser::new(SourceFormat::IfilterV10Access, &opts()).unwrap();
    let fwd = format!("<134>Jun  3 10:20:43 relay01 ifilter[77]: {V10}");
    assert_eq!(rec(&mut p, &fwd).ts_ms, 1_717_377_630_000);
    let mut p = IfilterParser::new(SourceFormat::IfilterBlock, &opts()).unwrap();
    let r = rec(
        &mut p,
        "Jun  3 10:20:43 relay01 9 10.0.0.7 - g 7 03/Jun/2024:10:20:30 +0900 http://a.example/ block 1 1 1 1 0 -1 0 -",
    );
    assert_eq!(r.client_ip.as_deref(), Some("10.0.0.7"));
}

#[test]
fn parses_time_pieces() {
    assert_eq!(parse_offset("+0900"), Some(32_400));
    assert_eq!(parse_offset("-05:30"), Some(-19_800));
    assert_eq!(parse_offset("0900"), None);
    assert_eq!(parse_syslog_time("Oct  1 00:00:01"), Some((10, 1, 1000)));
    assert_eq!(parse_syslog_time("Oct 32 00:00:01"), None);
    assert_eq!(
        split_request("CONNECT h.example:443 HTTP/1.1"),
        (Some("CONNECT"), Some("h.example:443"))
    );
    assert_eq!(split_request("GET"), (Some("GET"), None));
}

#[test]
fn sniffs_own_layouts_only() {
    assert_eq!(
        sniff(&[V10, V10]),
        Some((SourceFormat::IfilterV10Access, 100))
    );
    assert_eq!(
        sniff(&[V10, "junk"]),
        Some((SourceFormat::IfilterV10Access, 50))
    );
    assert_eq!(sniff(&[V10, "junk", "junk"]), None);
    assert_eq!(sniff(&["#Fields: date time", "2024-01-01 00:00:00"]), None);
}

#[test]
fn never_panics_on_odd_input() {
    for f in [
        SourceFormat::IfilterV10Access,
        SourceFormat::IfilterDspaAccess,
        SourceFormat::IfilterBlock,
    ] {
        let mut p = IfilterParser::new(f, &opts()).unwrap();
        for l in [
            "",
            "Oct",
            "Oct 1",
            "<1>",
            "Jan  1 00:00:00 h",
            "Jan  1 00:00:00 h t: Jan",
            "[",
            "\"",
            "é é é",
            "1 2 3 4 5 6 [x y] 8",
        ] {
            let _ = p.parse_line(l);
        }
        let cut = &V10[..V10.len() / 2];
        let _ = p.parse_line(cut);
    }
}

#[test]
fn ipv6_destination_with_port_keeps_the_columns_aligned() {
    let mut p =
        IfilterParser::new(SourceFormat::IfilterV10Access, &ParseOptions::default()).unwrap();
    let line = r#"Oct 17 09:00:06 3121 1050/01/ - [2001:db8::80]:443 2001:db8::15 2001:db8::15 - yamada [17/Oct/2024:09:00:05 +0900] 200 310 5120 pass 0 44 44 -1 0 3 0 eigyo - 0 - "GET https://v6.example/x?a=1 HTTP/1.1" - curl%2F8.4.0 text%2Fplain 0A1B2C3D"#;
    let r = rec(&mut p, line);
    assert_eq!(r.ts_ms, 1_729_123_205_000);
    assert_eq!(r.duration_ms, Some(1000));
    assert_eq!(r.server_ip.as_deref(), Some("2001:db8::80"));
    assert_eq!(r.client_ip.as_deref(), Some("2001:db8::15"));
    assert_eq!(r.user.as_deref(), Some("yamada"));
    assert_eq!(r.status, Some(200));
    assert_eq!((r.bytes_up, r.bytes_down), (Some(310), Some(5120)));
    assert_eq!((r.host.as_deref(), r.port), (Some("v6.example"), Some(443)));
    assert_eq!(r.query.as_deref(), Some("a=1"));
    assert_eq!(r.user_agent.as_deref(), Some("curl/8.4.0"));
    assert_eq!(r.verdict, Some(Verdict::Pass));
}

#[test]
fn rfc5424_and_iso_syslog_headers_are_stripped() {
    let row = r#"Oct 17 09:00:03 3121 1050/01/ - 203.0.113.10:80 10.20.1.15 10.20.1.15 - yamada [17/Oct/2024:09:00:02 +0900] 503 0 1207 block 63 87 87/127 -1 0 4 0 soumu - 0 - "GET http://games.example.net/ HTTP/1.1" - - text%2Fhtml D43E5583"#;
    for pre in [
        "<134>1 2024-10-17T09:00:03+09:00 ifilter01 i-FILTER - - - ",
        "<134>1 2024-10-17T00:00:03.120Z ifilter01 proxyIfilter 3121 access [origin ip=\"10.0.0.2\"] ",
        "2024-10-17T09:00:03.120411+09:00 ifilter01 i-FILTER[3121]: ",
        "2024-10-17T09:00:03+09:00 ifilter01 ",
    ] {
        let line = format!("{pre}{row}");
        let mut p = IfilterParser::new(SourceFormat::IfilterV10Access, &opts()).unwrap();
        let r = rec(&mut p, &line);
        assert_eq!(r.ts_ms, 1_729_123_202_000, "{pre}");
        assert_eq!(r.duration_ms, Some(1000));
        assert_eq!(r.client_ip.as_deref(), Some("10.20.1.15"));
        assert_eq!(r.host.as_deref(), Some("games.example.net"));
        assert_eq!(r.category.as_deref(), Some("87;127"));
        assert_eq!(r.verdict, Some(Verdict::Block));
        assert_eq!(
            sniff(&[line.as_str()]),
            Some((SourceFormat::IfilterV10Access, 100)),
            "{pre}"
        );
    }
}
