use super::*;

fn parser(f: SourceFormat) -> ElffParser {
    ElffParser::new(f, &ParseOptions::default()).unwrap()
}

fn rec<'a>(p: &mut ElffParser, line: &'a str) -> WebRecord<'a> {
    match p.parse_line(line) {
        Parsed::Record(r) => r,
        other => panic!("{line}: {other:?}"),
    }
}

fn rej(p: &mut ElffParser, line: &str) -> Reject {
    match p.parse_line(line) {
        Parsed::Reject(r) => r,
        other => panic!("{line}: expected a reject, got {other:?}"),
    }
}

#[test]
fn rekeys_on_a_new_fields_header() {
    let mut p = parser(SourceFormat::ProxySgElff);
    assert_eq!(
        rej(&mut p, "2024-01-01 00:00:00 10.0.0.1").reason,
        RejectReason::NoHeader
    );
    assert!(matches!(
        p.parse_line("#Fields: date time c-ip cs-host sc-bytes"),
        Parsed::Skip
    ));
    let r = rec(&mut p, "2024-01-01 00:00:01 10.0.0.1 a.example 100");
    assert_eq!(
        (r.client_ip.as_deref(), r.host.as_deref(), r.bytes_down),
        (Some("10.0.0.1"), Some("a.example"), Some(100))
    );
    // appliance restart with another layout: same line shape, new meaning
    assert!(matches!(p.parse_line("#Software: SGOS 7.3"), Parsed::Skip));
    assert!(matches!(
        p.parse_line("#Fields: date time cs-host c-ip cs-bytes"),
        Parsed::Skip
    ));
    let r = rec(&mut p, "2024-01-01 00:00:02 b.example 10.0.0.2 200");
    assert_eq!(r.ts_ms, 1_704_067_202_000);
    assert_eq!(
        (r.client_ip.as_deref(), r.host.as_deref()),
        (Some("10.0.0.2"), Some("b.example"))
    );
    assert_eq!((r.bytes_up, r.bytes_down), (Some(200), None));
}

#[test]
fn quoted_values_keep_spaces_and_double_spaces_collapse() {
    let mut p = parser(SourceFormat::ProxySgElff);
    p.parse_line("#Fields: date time cs(Referer) sc-status cs(User-Agent) cs-categories");
    let r = rec(
        &mut p,
        r#"2024-01-01 00:00:00 https://r.example/  302 "Mozilla/5.0 (X; ""Y"")" "Chat (IM)/SMS;Social Networking""#,
    );
    assert_eq!(r.referer.as_deref(), Some("https://r.example/"));
    assert_eq!(r.status, Some(302));
    assert_eq!(r.user_agent.as_deref(), Some(r#"Mozilla/5.0 (X; "Y")"#));
    assert_eq!(
        r.category.as_deref(),
        Some("Chat (IM)/SMS;Social Networking")
    );
    let e = rej(&mut p, r#"2024-01-01 00:00:00 - 200 "unterminated"#);
    assert_eq!(e.reason, RejectReason::UnterminatedQuote);
}

#[test]
fn rejects_bad_numbers_and_times_naming_the_field() {
    let mut p = parser(SourceFormat::W3c);
    p.parse_line("#Fields: date time time-taken sc-status sc-bytes");
    let e = rej(&mut p, "2024-01-01 00:00:00 5 2OO 1");
    assert_eq!(e.reason, RejectReason::BadNumber);
    assert!(e.detail.contains("sc-status"), "{e}");
    let e = rej(&mut p, "2024-01-01 00:00:00 5 200 -7");
    assert!(e.detail.contains("sc-bytes"), "{e}");
    assert_eq!(
        rej(&mut p, "2024-13-01 00:00:00 5 200 1").reason,
        RejectReason::BadTimestamp
    );
    assert_eq!(
        rej(&mut p, "1999-12-31 23:59:59 5 200 1").reason,
        RejectReason::BadTimestamp
    );
    assert_eq!(
        rej(&mut p, "2024-01-01 25:00:00 5 200 1").reason,
        RejectReason::BadTimestamp
    );
    // fewer values than names: the missing ones are null
    let r = rec(&mut p, "2024-01-01 00:00:00 5");
    assert_eq!(
        (r.duration_ms, r.status, r.bytes_down),
        (Some(5), None, None)
    );
    // fractional time-taken is seconds (W3C draft)
    let r = rec(&mut p, "2024-01-01 00:00:00 1.5 0 -");
    assert_eq!((r.duration_ms, r.status), (Some(1500), None));
}

#[test]
fn iis_w3c_fields() {
    let mut p = parser(SourceFormat::W3c);
    p.parse_line("#Software: Microsoft Internet Information Services 10.0");
    p.parse_line("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken");
    let r = rec(
        &mut p,
        "2024-05-01 12:00:00 192.0.2.10 GET /owa/auth.aspx a=1&b=2 443 CORP\\bob 10.1.2.3 Mozilla/5.0+(Windows+NT+10.0) - 200 0 0 15",
    );
    assert_eq!(p.format(), SourceFormat::W3c);
    assert_eq!(r.method.as_deref(), Some("GET"));
    assert_eq!(
        (r.path.as_deref(), r.query.as_deref(), r.port),
        (Some("/owa/auth.aspx"), Some("a=1&b=2"), Some(443))
    );
    assert_eq!(r.user.as_deref(), Some("CORP\\bob"));
    assert_eq!(
        r.user_agent.as_deref(),
        Some("Mozilla/5.0 (Windows NT 10.0)")
    );
    assert_eq!(r.server_ip.as_deref(), Some("192.0.2.10"));
    assert_eq!(r.duration_ms, Some(15));
    assert_eq!(r.verdict, None);
    assert_eq!(r.url, None, "no host: no URL to rebuild");
}

#[test]
fn full_uri_and_host_header() {
    let mut p = parser(SourceFormat::W3c);
    p.parse_line("#Fields: date time cs-uri cs(Host)");
    let r = rec(
        &mut p,
        "2024-05-01 12:00:00 http://WWW.Example.com:8080/a?b=1 ignored.example:81",
    );
    assert_eq!(r.host.as_deref(), Some("ignored.example"));
    assert_eq!(r.port, Some(81));
    assert_eq!(
        (r.path.as_deref(), r.query.as_deref()),
        (Some("/a"), Some("b=1"))
    );
    assert_eq!(r.url.as_deref(), Some("http://WWW.Example.com:8080/a?b=1"));
}

#[test]
fn headerless_preset_with_syslog_prefix_and_mid_stream_header() {
    let mut p = parser(SourceFormat::ProxySgMain);
    let line = r#"Mar 22 16:16:02 10.9.9.9 2024-03-22 16:16:01 48 10.82.255.36 alice GRP - OBSERVED "News" - 200 TCP_MISS GET text/html http www.example.com 80 /a.html ?x=1 html "UA 1" 10.0.0.1 2000 300 -"#;
    let r = rec(&mut p, line);
    assert_eq!(r.ts_ms, 1_711_124_161_000);
    assert_eq!(r.user.as_deref(), Some("alice"));
    assert_eq!(r.url.as_deref(), Some("http://www.example.com/a.html?x=1"));
    assert_eq!((r.bytes_down, r.bytes_up), (Some(2000), Some(300)));
    assert_eq!(r.server_ip, None, "s-ip is the proxy itself");
    assert_eq!(r.verdict, Some(Verdict::Pass));
    assert_eq!(
        rej(&mut p, "2024-03-22 16:16:01 48 10.82.255.36").reason,
        RejectReason::FieldCount
    );
    p.parse_line("Mar 22 16:17:00 10.9.9.9 #Fields: date time c-ip");
    let r = rec(&mut p, "2024-03-22 16:16:01 10.1.1.1");
    assert_eq!(r.client_ip.as_deref(), Some("10.1.1.1"));
    assert_eq!(p.format(), SourceFormat::ProxySgMain);
}

#[test]
fn syslog_headers_with_a_program_tag_rfc5424_or_iso_time() {
    // The same bcreportermain_v1 row as a syslog collector files it: BSD
    // header with a program tag, RFC 5424, and rsyslog's ISO time stamp.
    let row = r#"2024-11-26 01:02:03 15 10.1.2.3 jdoe - - - "None" - policy_denied DENIED "Malicious Sources/Malnets" -  403 TCP_DENIED GET text/html http evil.example 80 /gate.php ?id=1 php "WinHTTP" 10.0.0.10 900 300 -"#;
    let lines: Vec<String> = [
        "Nov 26 10:02:03 proxysg01 bluecoat: ",
        "<134>Nov 26 10:02:03 proxysg01 ProxySG[77]: ",
        "<134>1 2024-11-26T01:02:03.412Z proxysg01 bluecoat - - - ",
        "2024-11-26T10:02:03.412345+09:00 proxysg01 bluecoat: ",
    ]
    .iter()
    .map(|pre| format!("{pre}{row}"))
    .collect();
    let sample: Vec<&str> = lines.iter().map(String::as_str).collect();
    assert_eq!(
        sniff(&sample),
        Some((SourceFormat::ProxySgBcreportermainV1, 100))
    );
    let mut p = parser(SourceFormat::ProxySgBcreportermainV1);
    for l in &sample {
        let r = rec(&mut p, l);
        assert_eq!(r.ts_ms, 1_732_582_923_000, "{l}");
        assert_eq!(r.user.as_deref(), Some("jdoe"));
        assert_eq!(r.host.as_deref(), Some("evil.example"));
        assert_eq!(r.query.as_deref(), Some("id=1"));
        assert_eq!(r.status, Some(403));
        assert_eq!((r.bytes_up, r.bytes_down), (Some(300), Some(900)));
        assert_eq!(r.verdict, Some(Verdict::Block));
    }
}

#[test]
fn bracketed_ipv6_host_loses_its_brackets() {
    let mut p = parser(SourceFormat::ProxySgElff);
    p.parse_line("#Fields: date time c-ip cs-method cs-uri-scheme cs-host cs-uri-port cs-uri-path sc-status s-action");
    let r = rec(
        &mut p,
        "2024-11-26 00:00:05 10.1.2.3 CONNECT tcp [2001:DB8::5] 443 / 200 TCP_TUNNELED",
    );
    assert_eq!(r.host.as_deref(), Some("2001:db8::5"));
    assert_eq!(r.port, Some(443));
    assert_eq!(r.url.as_deref(), Some("[2001:db8::5]:443"));
    let r = rec(
        &mut p,
        "2024-11-26 00:00:06 10.1.2.3 GET http [2001:db8::5] 8080 /x 200 TCP_MISS",
    );
    assert_eq!(r.host.as_deref(), Some("2001:db8::5"));
    assert_eq!(r.url.as_deref(), Some("http://[2001:db8::5]:8080/x"));
}

#[test]
fn tab_separated_isa_tmg_web_proxy_log() {
    // Forefront TMG / ISA Server W3C web-proxy log: tab-separated, values
    // with unquoted spaces, its own field names, Windows error codes in
    // sc-status for failed requests.
    let header = "#Fields: c-ip\tcs-username\tc-agent\tsc-authenticated\tdate\ttime\ts-svcname\ts-computername\tcs-referred\tr-host\tr-ip\tr-port\ttime-taken\tcs-bytes\tsc-bytes\tcs-protocol\tcs-transport\ts-operation\tcs-uri\tcs-mime-type\ts-object-source\tsc-status\ts-cache-info\trule#1\trule#2\tsessionid\tconnectionid";
    let ok = "10.1.2.3\tCORP\\jdoe\tMozilla/5.0 (Windows NT 10.0; Win64; x64)\tY\t2024-11-26\t00:00:01\tw3proxy\tTMG01\thttp://ref.example/\twww.example.com\t93.184.216.34\t80\t120\t480\t5120\thttp\tTCP\tGET\thttp://www.example.com/index.html?a=1\ttext/html\tInternet\t200\t0x40\tAllow Web\t-\t1234\t5678";
    let failed = "10.1.2.4\tanonymous\tcurl/8.4.0\tN\t2024-11-26\t00:00:02\tw3proxy\tTMG01\t-\tdead.example\t-\t443\t21000\t300\t0\t-\tTCP\tCONNECT\tdead.example:443\t-\t-\t10060\t0x0\tAllow Web\t-\t1235\t5679";
    assert_eq!(
        sniff(&[
            "#Software: Microsoft Forefront Threat Management Gateway",
            header,
            ok,
            failed
        ]),
        Some((SourceFormat::W3c, 100))
    );
    let mut p = parser(SourceFormat::W3c);
    p.parse_line(header);
    let r = rec(&mut p, ok);
    assert_eq!(r.ts_ms, 1_732_579_201_000);
    assert_eq!(r.client_ip.as_deref(), Some("10.1.2.3"));
    assert_eq!(r.user.as_deref(), Some("CORP\\jdoe"));
    assert_eq!(
        r.user_agent.as_deref(),
        Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
    );
    assert_eq!(r.referer.as_deref(), Some("http://ref.example/"));
    assert_eq!(r.method.as_deref(), Some("GET"));
    assert_eq!(
        (r.scheme.as_deref(), r.host.as_deref(), r.port),
        (Some("http"), Some("www.example.com"), Some(80))
    );
    assert_eq!(
        (r.path.as_deref(), r.query.as_deref()),
        (Some("/index.html"), Some("a=1"))
    );
    assert_eq!(r.server_ip.as_deref(), Some("93.184.216.34"));
    assert_eq!((r.bytes_up, r.bytes_down), (Some(480), Some(5120)));
    assert_eq!(r.content_type.as_deref(), Some("text/html"));
    assert_eq!((r.status, r.duration_ms), (Some(200), Some(120)));
    let r = rec(&mut p, failed);
    assert_eq!(
        r.status, None,
        "10060 is a Windows error, not an HTTP status"
    );
    assert_eq!(r.method.as_deref(), Some("CONNECT"));
    assert_eq!(
        (r.host.as_deref(), r.port),
        (Some("dead.example"), Some(443))
    );
    assert_eq!(r.url.as_deref(), Some("dead.example:443"));
    assert_eq!(r.server_ip, None);
    // A space-separated header switches back to whitespace splitting.
    p.parse_line("#Fields: date time c-ip cs(User-Agent)");
    let r = rec(&mut p, "2024-11-26 00:00:03 10.1.2.5 \"curl/8 x\"");
    assert_eq!(r.user_agent.as_deref(), Some("curl/8 x"));
}

#[test]
fn cisco_wsa_w3c_access_log() {
    let lines = [
        "#Version: 1.0",
        "#Date: 2024-11-26 00:00:00",
        "#Fields: timestamp x-elapsed-time c-ip x-resultcode-httpstatus sc-bytes cs-method cs-url cs-username x-hierarchy-origin cs-mime-type x-webcat-code-full cs(User-Agent)",
        r#"1732579201.123 250 10.1.2.3 TCP_MISS/200 5120 GET http://www.example.com/a?b=1 "CORP\jdoe" DIRECT/www.example.com text/html "Computers and Internet" "Mozilla/5.0 (X11; Linux)""#,
        r#"1732579202.500 3 10.1.2.4 TCP_DENIED/403 0 CONNECT tunnel://evil.example:443/ - NONE/- - "Malware Sites" -"#,
    ];
    assert_eq!(sniff(&lines), Some((SourceFormat::W3c, 100)));
    let mut p = parser(SourceFormat::W3c);
    for l in &lines[..3] {
        p.parse_line(l);
    }
    let r = rec(&mut p, lines[3]);
    assert_eq!(r.ts_ms, 1_732_579_201_123);
    assert_eq!(r.duration_ms, Some(250));
    assert_eq!(
        (r.action.as_deref(), r.status),
        (Some("TCP_MISS"), Some(200))
    );
    assert_eq!(r.bytes_down, Some(5120));
    assert_eq!(
        (r.host.as_deref(), r.path.as_deref(), r.query.as_deref()),
        (Some("www.example.com"), Some("/a"), Some("b=1"))
    );
    assert_eq!(r.user.as_deref(), Some("CORP\\jdoe"));
    assert_eq!(r.content_type.as_deref(), Some("text/html"));
    assert_eq!(r.category.as_deref(), Some("Computers and Internet"));
    assert_eq!(r.verdict, Some(Verdict::Pass));
    let r = rec(&mut p, lines[4]);
    assert_eq!(
        (r.action.as_deref(), r.status),
        (Some("TCP_DENIED"), Some(403))
    );
    assert_eq!(r.method.as_deref(), Some("CONNECT"));
    assert_eq!(
        (r.host.as_deref(), r.port),
        (Some("evil.example"), Some(443))
    );
    assert_eq!(r.verdict, Some(Verdict::Block));
}

#[test]
fn verdicts() {
    use Verdict::*;
    assert_eq!(
        verdict(Some("OBSERVED"), None, Some("TCP_NC_MISS"), Some(200)),
        Some(Pass)
    );
    assert_eq!(verdict(Some("PROXIED"), None, None, None), Some(Pass));
    assert_eq!(
        verdict(
            Some("DENIED"),
            Some("policy_denied"),
            Some("TCP_DENIED"),
            Some(403)
        ),
        Some(Block)
    );
    assert_eq!(
        verdict(
            Some("DENIED"),
            Some("authentication_failed"),
            Some("TCP_DENIED"),
            Some(401)
        ),
        Some(AuthRequired)
    );
    assert_eq!(
        verdict(Some("DENIED"), None, Some("TCP_DENIED"), Some(407)),
        Some(AuthRequired)
    );
    assert_eq!(
        verdict(
            Some("DENIED"),
            Some("dns_unresolved_hostname"),
            None,
            Some(503)
        ),
        Some(Error)
    );
    assert_eq!(verdict(None, None, Some("TCP_DENIED"), None), Some(Block));
    assert_eq!(verdict(None, None, Some("TUNNELED"), None), Some(Pass));
    assert_eq!(verdict(None, None, None, Some(200)), None);
}

#[test]
fn rebuilds_urls() {
    assert_eq!(
        rebuild_url(
            Some("https"),
            Some("h.example"),
            Some(443),
            Some("/p"),
            Some("q=1"),
            Some("GET")
        )
        .as_deref(),
        Some("https://h.example/p?q=1")
    );
    assert_eq!(
        rebuild_url(
            Some("http"),
            Some("h.example"),
            Some(8080),
            None,
            None,
            None
        )
        .as_deref(),
        Some("http://h.example:8080/")
    );
    assert_eq!(
        rebuild_url(
            Some("tcp"),
            Some("h.example"),
            Some(443),
            Some("/"),
            None,
            Some("CONNECT")
        )
        .as_deref(),
        Some("h.example:443")
    );
    assert_eq!(
        rebuild_url(
            Some("http"),
            Some("2001:db8::1"),
            Some(80),
            Some("/"),
            None,
            None
        )
        .as_deref(),
        Some("http://[2001:db8::1]/")
    );
    assert_eq!(
        rebuild_url(None, Some("h"), None, None, None, Some("GET")),
        None
    );
}

#[test]
fn sniffs_headers_and_presets() {
    let w3c = [
        "#Version: 1.0",
        "#Fields: date time c-ip cs-method cs-uri-stem sc-status",
        "2024-01-01 00:00:00 10.0.0.1 GET / 200",
    ];
    assert_eq!(sniff(&w3c), Some((SourceFormat::W3c, 100)));
    let sg = [
        "#Fields: date time c-ip s-action",
        "2024-01-01 00:00:00 10.0.0.1 TCP_MISS",
        "garbage",
    ];
    assert_eq!(sniff(&sg), Some((SourceFormat::ProxySgElff, 50)));
    assert_eq!(
        sniff(&[
            "1700000000.123 250 10.0.0.5 TCP_MISS/200 1234 GET http://e.example/ - HIER_DIRECT/1.2.3.4 text/html"
        ]),
        None
    );
    assert_eq!(sniff(&[]), None);
}

#[test]
fn never_panics_on_odd_input() {
    let mut p = parser(SourceFormat::ProxySgBcreportermainV1);
    for l in [
        "",
        " ",
        "#",
        "#Fields:",
        "\"",
        "[",
        "2024-01-01",
        "<1>",
        "<999999>x",
        "Jan  1 00:00:00",
        "é \u{0} \"é",
        "2024-01-01 00:00:00 ä ö ü",
    ] {
        let _ = p.parse_line(l);
        let _ = sniff(&[l]);
    }
    let long = "x ".repeat(40_000);
    assert_eq!(rej(&mut p, &long).reason, RejectReason::TooLong);
}

#[test]
fn bracketed_localtime_and_gmttime_give_the_event_time() {
    // SGOS custom formats may carry `localtime` (with its offset) instead of
    // `date time`; its `[… +0900]` holds a space and stays one value.
    let mut p = parser(SourceFormat::ProxySgElff);
    assert!(matches!(
        p.parse_line("#Fields: localtime time-taken c-ip cs-username s-action sc-status cs-method cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query cs(User-Agent) sc-bytes cs-bytes"),
        Parsed::Skip
    ));
    let r = rec(
        &mut p,
        r#"[20/Nov/2026:09:00:01 +0900] 15 10.1.2.3 tanaka TCP_NC_MISS 200 GET http www.example.co.jp 80 /index.html - "Mozilla/5.0 (Windows NT 10.0)" 5120 410"#,
    );
    assert_eq!(r.ts_ms, 1_795_132_801_000); // 2026-11-20T00:00:01Z
    assert_eq!(r.duration_ms, Some(15));
    assert_eq!(r.user.as_deref(), Some("tanaka"));
    assert_eq!(r.host.as_deref(), Some("www.example.co.jp"));
    assert_eq!(r.user_agent.as_deref(), Some("Mozilla/5.0 (Windows NT 10.0)"));
    assert_eq!((r.bytes_down, r.bytes_up), (Some(5120), Some(410)));
    assert!(matches!(p.parse_line("#Fields: gmttime c-ip cs-host"), Parsed::Skip));
    let r = rec(&mut p, "[20/Nov/2026:00:00:01 GMT] 10.1.2.3 a.example");
    assert_eq!(r.ts_ms, 1_795_132_801_000);
    let r = rej(&mut p, "[20/Nov/2026 00:00:01] 10.1.2.3 a.example");
    assert_eq!(r.reason, RejectReason::BadTimestamp);
    assert!(r.detail.contains("localtime"), "{}", r.detail);
}
