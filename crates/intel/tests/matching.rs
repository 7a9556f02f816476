//! Matcher semantics: domain suffixes, CIDR longest prefix, IPv6, URL
//! normalisation and prefixes, hashes.

use std::sync::Arc;

use kensa_intel::{Hit, Indicator, IndicatorKind as K, MatchHow, Matcher};

fn ind(kind: K, value: &str) -> Indicator {
    Indicator::new(kind, value, Arc::from("test"))
}

fn values(m: &Matcher, hits: &[Hit]) -> Vec<(String, MatchHow)> {
    hits.iter().map(|h| (m.indicator(h.id).value.clone(), h.how)).collect()
}

fn v(s: &str, how: MatchHow) -> (String, MatchHow) {
    (s.to_string(), how)
}

#[test]
fn matcher_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Matcher>();
}

#[test]
fn domain_suffix() {
    let mut exact_only = ind(K::Domain, "exact.example.org");
    exact_only.subdomains = false;
    let m = Matcher::new(vec![
        ind(K::Domain, "evil.com"),
        ind(K::Domain, "b.evil.com"),
        ind(K::Domain, "co.uk"),
        ind(K::Domain, "appspot.com"),
        exact_only,
    ]);
    assert_eq!(
        values(&m, &m.match_host("A.B.EVIL.com.")),
        [v("b.evil.com", MatchHow::Subdomain), v("evil.com", MatchHow::Subdomain)]
    );
    assert_eq!(values(&m, &m.match_host("evil.com")), [v("evil.com", MatchHow::Exact)]);
    assert!(m.match_host("notevil.com").is_empty());
    assert!(m.match_host("evil.com.au").is_empty());
    assert!(m.match_host("com").is_empty());
    // A listed public suffix matches only itself.
    assert_eq!(values(&m, &m.match_host("co.uk")), [v("co.uk", MatchHow::Exact)]);
    assert!(m.match_host("bbc.co.uk").is_empty());
    assert!(m.match_host("myapp.appspot.com").is_empty());
    // Per-indicator sub-domain switch.
    assert_eq!(m.match_host("exact.example.org").len(), 1);
    assert!(m.match_host("www.exact.example.org").is_empty());
    // Over-long and odd input does not panic and does not match wrongly.
    let long = format!("{}.evil.com", "a".repeat(300));
    assert_eq!(m.match_host(&long).len(), 1);
    assert!(m.match_host("").is_empty());
    assert!(m.match_host(".").is_empty());
    assert!(m.match_host("ÉVIL.com").is_empty());
    assert_eq!(Matcher::registered_domain("a.b.example.co.uk"), Some("example.co.uk"));
}

#[test]
fn cidr_longest_prefix_first() {
    let m = Matcher::new(vec![
        ind(K::Cidr, "10.0.0.0/8"),
        ind(K::Cidr, "10.1.0.0/16"),
        ind(K::Ip, "10.1.2.3"),
        ind(K::Cidr, "10.1.2.0/24"),
        ind(K::Cidr, "192.0.2.0/24"),
    ]);
    assert_eq!(
        values(&m, &m.match_ip("10.1.2.3".parse().unwrap())),
        [
            v("10.1.2.3", MatchHow::Exact),
            v("10.1.2.0/24", MatchHow::Cidr { prefix_len: 24 }),
            v("10.1.0.0/16", MatchHow::Cidr { prefix_len: 16 }),
            v("10.0.0.0/8", MatchHow::Cidr { prefix_len: 8 }),
        ]
    );
    assert_eq!(values(&m, &m.match_ip("10.9.9.9".parse().unwrap())), [v("10.0.0.0/8", MatchHow::Cidr { prefix_len: 8 })]);
    assert!(m.match_ip("11.0.0.0".parse().unwrap()).is_empty());
    assert!(m.match_ip("192.0.3.0".parse().unwrap()).is_empty());
    // IPv4-mapped IPv6 and text forms with leading zeros.
    assert_eq!(m.match_ip("::ffff:192.0.2.9".parse().unwrap()).len(), 1);
    assert_eq!(m.match_ip_str("010.001.002.003").len(), 4);
    assert_eq!(m.match_host("10.1.2.3").len(), 4);
}

#[test]
fn ipv6() {
    let m = Matcher::new(vec![ind(K::Cidr, "2001:db8::/32"), ind(K::Ip, "2001:db8::1"), ind(K::Cidr, "2001:db8:ff00::/40")]);
    assert_eq!(
        values(&m, &m.match_ip_str("2001:0DB8:0000:0000:0000:0000:0000:0001")),
        [v("2001:db8::1", MatchHow::Exact), v("2001:db8::/32", MatchHow::Cidr { prefix_len: 32 })]
    );
    assert_eq!(m.match_ip_str("2001:db8:ff12::9").len(), 2);
    assert_eq!(m.match_host("[2001:db8::1]").len(), 2);
    assert!(m.match_ip_str("2001:db9::1").is_empty());
}

#[test]
fn url_normalisation_and_prefix() {
    let m = Matcher::new(vec![
        ind(K::Url, "http://evil.example/dl"),
        ind(K::Url, "http://evil.example/gate.php?id=1"),
        ind(K::Url, "https://cdn.example/"),
        ind(K::Url, "http://198.51.100.7:8080/x/~user"),
    ]);
    assert_eq!(values(&m, &m.match_url("HTTP://EVIL.example:80/dl/")), [v("http://evil.example/dl", MatchHow::Exact)]);
    assert_eq!(values(&m, &m.match_url("http://evil.example/dl/a/b.exe")), [v("http://evil.example/dl", MatchHow::UrlPrefix)]);
    assert_eq!(values(&m, &m.match_url("http://evil.example/dl?x=1")), [v("http://evil.example/dl", MatchHow::UrlPrefix)]);
    assert!(m.match_url("http://evil.example/dlx").is_empty());
    assert!(m.match_url("https://evil.example/dl").is_empty());
    assert_eq!(values(&m, &m.match_url("http://evil.example/gate.php?id=1#top")), [v("http://evil.example/gate.php?id=1", MatchHow::Exact)]);
    assert!(m.match_url("http://evil.example/gate.php?id=2").is_empty());
    assert_eq!(values(&m, &m.match_url("https://CDN.example:443")), [v("https://cdn.example/", MatchHow::Exact)]);
    assert_eq!(values(&m, &m.match_url("https://cdn.example/any/thing")), [v("https://cdn.example/", MatchHow::UrlPrefix)]);
    assert_eq!(m.match_url("http://198.51.100.7:8080/%78/%7Euser").len(), 1);
    assert!(m.match_url("not a url").is_empty());
    // Host-only lookups (HTTPS CONNECT) find URL indicators on that host.
    let on_host = values(&m, &m.match_url_host("EVIL.example."));
    assert_eq!(on_host, [v("http://evil.example/dl", MatchHow::UrlHost), v("http://evil.example/gate.php?id=1", MatchHow::UrlHost)]);
    assert_eq!(values(&m, &m.match_url_host("198.51.100.7")), [v("http://198.51.100.7:8080/x/~user", MatchHow::UrlHost)]);
    assert!(m.match_url_host("example").is_empty());
    let v6 = Matcher::new(vec![ind(K::Url, "http://[2001:db8::5]:81/a")]);
    assert_eq!(v6.match_url_host("[2001:0db8::0005]").len(), 1);
}

#[test]
fn hashes_and_fingerprints() {
    let m = Matcher::new(vec![
        ind(K::CertSha1, "43a200112233445566778899aabbccddeeff0011"),
        ind(K::Ja4, "t13d1516h2_8daaf6152771_b186095e22b6"),
        ind(K::Sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ]);
    assert_eq!(m.match_hash(K::CertSha1, "43:A2:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11").len(), 1);
    assert!(m.match_hash(K::Sha1, "43a200112233445566778899aabbccddeeff0011").is_empty());
    assert_eq!(m.match_hash(K::Ja4, "T13D1516H2_8DAAF6152771_B186095E22B6").len(), 1);
    assert!(m.match_hash(K::Domain, "t13d1516h2_8daaf6152771_b186095e22b6").is_empty());
    assert!(m.match_hash(K::Sha256, &"f".repeat(5000)).is_empty());
    assert_eq!(m.match_any("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855").len(), 1);
    assert_eq!(m.match_any("t13d1516h2_8daaf6152771_b186095e22b6").len(), 1);
}

#[test]
fn same_value_from_two_sources() {
    let a = Indicator::new(K::Domain, "evil.com", Arc::from("a"));
    let b = Indicator::new(K::Domain, "evil.com", Arc::from("b"));
    let m = Matcher::new(vec![a, b]);
    let hits = m.match_host("x.evil.com");
    let mut srcs: Vec<&str> = hits.iter().map(|h| m.indicator(h.id).source.as_ref()).collect();
    srcs.sort();
    assert_eq!(srcs, ["a", "b"]);
}
