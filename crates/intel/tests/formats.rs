//! Feed layouts not in the shared corpus, written here by hand from the
//! format notes (values are documentation ranges and invented names).

use kensa_intel::{FeedFormat, IndicatorKind, parse_bytes, sniff};

fn parse(format: FeedFormat, data: &str) -> (Vec<kensa_intel::Indicator>, kensa_intel::ParseStats) {
    assert_eq!(sniff(data.as_bytes(), "feed"), Some(format), "sniffed format of:\n{data}");
    parse_bytes(format, "t", data.as_bytes()).unwrap()
}

#[test]
fn feodo_older_layout() {
    let data = "# Feodo Tracker\n# first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware\n2021-01-17 07:44:46,198.51.100.7,447,online,2021-03-01,QakBot\n2021-01-17 07:44:46,198.51.100.8,notaport,online,2021-03-01,QakBot\n# END 2 entries\n";
    let (v, s) = parse(FeedFormat::FeodoCsv, data);
    assert_eq!(v.len(), 1);
    assert_eq!((v[0].value.as_str(), v[0].port, v[0].malware.as_deref()), ("198.51.100.7", Some(447), Some("QakBot")));
    assert_eq!(s.rejected.count, 1);
    assert_eq!(s.rejected.samples[0].line, 4);
    assert_eq!(s.rejected.samples[0].field.as_deref(), Some("dst_port"));
}

#[test]
fn feodo_text_and_json() {
    let (v, _) = parse_bytes(FeedFormat::FeodoText, "t", b"# Feodo Tracker Botnet C2 IP Blocklist\n203.0.113.9\n").unwrap();
    assert_eq!((v[0].kind, v[0].threat_type.as_deref()), (IndicatorKind::Ip, Some("botnet_cc")));
    let json = r#"[{"ip_address":"203.0.113.10","port":443,"status":"offline","hostname":null,"as_number":64500,"first_seen":"2023-01-02 03:04:05","last_online":"2023-02-01","malware":"Emotet"},{"ip_address":"nope"}]"#;
    let (v, s) = parse(FeedFormat::FeodoJson, json);
    assert_eq!(v.len(), 1);
    assert_eq!((v[0].port, v[0].malware.as_deref(), v[0].last_seen.as_deref()), (Some(443), Some("Emotet"), Some("2023-02-01T00:00:00Z")));
    assert_eq!((s.rejected.count, s.rejected.samples[0].line), (1, 2));
}

#[test]
fn threatfox_json_both_shapes() {
    let export = r#"{"41": [{"ioc_value": "198.51.100.20:8080", "ioc_type": "ip:port", "threat_type": "botnet_cc", "malware_printable": "Mirai", "confidence_level": 80, "tags": "mirai,elf", "first_seen_utc": "2024-01-01 00:00:00"}],
                     "42": [{"ioc_value": "bad.example.org", "ioc_type": "domain", "threat_type": "botnet_cc", "tags": null}]}"#;
    let (v, _) = parse(FeedFormat::ThreatfoxJson, export);
    assert_eq!(v.len(), 2);
    assert_eq!((v[0].value.as_str(), v[0].port, v[0].confidence), ("198.51.100.20", Some(8080), Some(80)));
    assert_eq!(v[0].tags, ["mirai", "elf"]);
    assert_eq!(v[0].reference.as_deref(), Some("https://threatfox.abuse.ch/ioc/41/"));
    let api = r#"{"query_status": "ok", "data": [{"id": "7", "ioc": "https://bad.example.org/x", "ioc_type": "url", "tags": ["a", "b"]}, {"ioc": "x", "ioc_type": "sha3_hash"}]}"#;
    let (v, s) = parse(FeedFormat::ThreatfoxJson, api);
    assert_eq!((v.len(), v[0].tags.len()), (1, 2));
    assert_eq!(v[0].reference.as_deref(), Some("https://threatfox.abuse.ch/ioc/7/"));
    assert_eq!(s.rejected.samples[0].field.as_deref(), Some("ioc_type"));
}

#[test]
fn sslbl_certificates() {
    let data = "# abuse.ch SSLBL\n# Listingdate,SHA1,Listingreason\n2024-09-02 06:17:52,0123456789abcdef0123456789abcdef01234567,AsyncRAT C&C\n";
    let (v, _) = parse(FeedFormat::SslblSha1, data);
    assert_eq!(v[0].kind, IndicatorKind::CertSha1);
    assert_eq!((v[0].malware.as_deref(), v[0].threat_type.as_deref()), (Some("AsyncRAT"), Some("botnet_cc")));
}

#[test]
fn spamhaus_official_text_and_json() {
    let data = "; Spamhaus DROP List 2024/01/01\n; Last-Modified: x\n192.0.2.0/24 ; SBL000001\n2001:db8::/32 ; SBL000002\n300.0.0.0/8 ; SBL000003\n";
    let (v, s) = parse(FeedFormat::SpamhausDrop, data);
    assert_eq!(v.len(), 2);
    assert_eq!((v[0].kind, v[0].tags[0].as_str()), (IndicatorKind::Cidr, "SBL000001"));
    assert_eq!(v[1].value, "2001:db8::/32");
    assert_eq!((s.rejected.count, s.rejected.samples[0].line), (1, 5));
    let json = "{\"cidr\":\"192.0.2.0/24\",\"sblid\":\"SBL000001\",\"rir\":\"arin\"}\n{\"type\":\"metadata\",\"timestamp\":1,\"size\":1}\n";
    let (v, s) = parse(FeedFormat::SpamhausDropJson, json);
    assert_eq!((v.len(), s.rejected.count), (1, 0));
}

#[test]
fn hosts_file_and_plain_list() {
    let data = "# hosts\n127.0.0.1 localhost\n0.0.0.0 ads.example.com tracker.example.net # inline\n::1 ip6-localhost\n\n";
    let (v, s) = parse(FeedFormat::PlainList, data);
    let vals: Vec<&str> = v.iter().map(|i| i.value.as_str()).collect();
    assert_eq!(vals, ["ads.example.com", "tracker.example.net"]);
    assert_eq!(s.skipped.count, 2);
    let data = "198.51.100.1\n198.51.100.0/25\n*.Example.ORG.\nhttps://x.example.com/a b\nnot a line at all\n";
    let (v, s) = parse_bytes(FeedFormat::PlainList, "t", data.as_bytes()).unwrap();
    let got: Vec<(IndicatorKind, &str)> = v.iter().map(|i| (i.kind, i.value.as_str())).collect();
    assert_eq!(got, [(IndicatorKind::Ip, "198.51.100.1"), (IndicatorKind::Cidr, "198.51.100.0/25"), (IndicatorKind::Domain, "example.org")]);
    assert_eq!(s.rejected.count, 2);
    assert_eq!(s.rejected.samples[0].line, 4);
}

#[test]
fn tor_exit_addresses() {
    let data = "ExitNode 0011BD2485AD45D984EC4159C88FC066E5E3300E\nPublished 2024-01-01 10:00:00\nLastStatus 2024-01-01 11:00:00\nExitAddress 198.51.100.44 2024-01-01 11:05:00\nExitAddress bogus 2024-01-01 11:05:00\n";
    let (v, s) = parse(FeedFormat::TorExitAddresses, data);
    assert_eq!(v.len(), 1);
    assert_eq!((v[0].value.as_str(), v[0].last_seen.as_deref()), ("198.51.100.44", Some("2024-01-01T11:05:00Z")));
    assert_eq!(v[0].threat_type.as_deref(), Some("tor_exit"));
    assert_eq!(s.rejected.samples[0].line, 5);
}

#[test]
fn urlhaus_text() {
    let data = "################\n# abuse.ch URLhaus Database Dump (text)\n################\nhttp://198.51.100.3/bins/x.arm7\n";
    let (v, _) = parse(FeedFormat::UrlhausText, data);
    assert_eq!((v[0].kind, v[0].threat_type.as_deref()), (IndicatorKind::Url, Some("malware_download")));
}

#[test]
fn misp_wrappers_and_to_ids() {
    let event = r#"{"Event": {"uuid": "e1", "Tag": [{"name": "tlp:white"}], "Attribute": [
        {"type": "ip-dst|port", "value": "198.51.100.5|8443", "to_ids": true, "category": "Network activity"},
        {"type": "domain|ip", "value": "c2.example.com|198.51.100.6", "to_ids": false},
        {"type": "url", "value": "http://c2.example.com/gate.php", "to_ids": "1"},
        {"type": "ja3-fingerprint-md5", "value": "51c64c77e60f3980eea90869b68c58a8", "to_ids": true},
        {"type": "x509-fingerprint-sha256", "value": "not-hex", "to_ids": true},
        {"type": "comment", "value": "hello", "to_ids": false},
        {"type": "ip-src", "value": "198.51.100.99", "to_ids": true, "deleted": true}
    ]}}"#;
    let (v, s) = parse(FeedFormat::Misp, event);
    let got: Vec<(IndicatorKind, &str, Option<u16>, bool)> = v.iter().map(|i| (i.kind, i.value.as_str(), i.port, i.alerting)).collect();
    assert_eq!(
        got,
        [
            (IndicatorKind::Ip, "198.51.100.5", Some(8443), true),
            (IndicatorKind::Domain, "c2.example.com", None, false),
            (IndicatorKind::Ip, "198.51.100.6", None, false),
            (IndicatorKind::Url, "http://c2.example.com/gate.php", None, true),
            (IndicatorKind::Ja3, "51c64c77e60f3980eea90869b68c58a8", None, true),
        ]
    );
    assert_eq!(s.non_alerting, 2);
    assert_eq!(s.rejected.count, 1);
    assert_eq!(s.rejected.samples[0].line, 5);
    assert_eq!(s.skipped.count, 2);
    assert!(v.iter().all(|i| i.tags.contains(&"tlp:white".to_string()) && i.reference.as_deref() == Some("misp-event:e1")));
    let rest = format!(r#"{{"response": [{event}, {event}]}}"#);
    let (v, _) = parse(FeedFormat::Misp, &rest);
    assert_eq!(v.len(), 10);
}

#[test]
fn stix_unsupported_expired_revoked() {
    let bundle = r#"{"type": "bundle", "id": "bundle--1", "objects": [
      {"type": "identity", "id": "identity--1", "name": "x"},
      {"type": "indicator", "id": "indicator--1", "pattern_type": "stix", "pattern": "[domain-name:value = 'c2.example.com'] OR [url:value = 'http://c2.example.com/a']", "valid_from": "2020-01-01T00:00:00Z", "confidence": 85, "labels": ["apt"]},
      {"type": "indicator", "id": "indicator--2", "pattern_type": "stix", "pattern": "[file:name = 'evil.exe']", "valid_from": "2020-01-01T00:00:00Z"},
      {"type": "indicator", "id": "indicator--3", "pattern_type": "sigma", "pattern": "title: x", "valid_from": "2020-01-01T00:00:00Z"},
      {"type": "indicator", "id": "indicator--4", "pattern_type": "stix", "pattern": "[ipv4-addr:value = '198.51.100.1']", "valid_from": "2020-01-01T00:00:00Z", "valid_until": "2021-01-01T00:00:00Z"},
      {"type": "indicator", "id": "indicator--5", "pattern_type": "stix", "pattern": "[ipv4-addr:value = '198.51.100.2']", "valid_from": "2020-01-01T00:00:00Z", "revoked": true},
      {"type": "indicator", "id": "indicator--6", "pattern_type": "stix", "pattern": "[ipv4-addr:value = '198.51.100.3'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.4']", "valid_from": "2020-01-01T00:00:00Z"},
      {"type": "indicator", "id": "indicator--7", "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}
    ]}"#;
    let (v, s) = parse(FeedFormat::Stix, bundle);
    assert_eq!(v.len(), 2);
    assert_eq!((v[0].confidence, v[0].tags[0].as_str()), (Some(85), "apt"));
    assert_eq!(s.unsupported.count, 3);
    let reasons: Vec<&str> = s.unsupported.samples.iter().map(|i| i.reason.as_str()).collect();
    assert_eq!(reasons[0], "object path file:name not supported");
    assert_eq!(reasons[1], "pattern_type `sigma` not supported");
    assert!(reasons[2].contains("FOLLOWEDBY"));
    assert_eq!(s.unsupported.samples[0].line, 3);
    assert_eq!(s.unsupported.samples[0].excerpt, "[file:name = 'evil.exe']");
    assert_eq!(s.skipped.count, 2);
    assert_eq!(s.rejected.count, 1);
}
