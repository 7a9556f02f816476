//! Host names: normalisation, IP literals, registered domains and the small
//! host-pattern language of the catalog.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr};

/// Longest host name DNS allows; longer "hosts" never match a service.
pub(crate) const MAX_HOST_LEN: usize = 253;

/// Lower-cases `host`, strips IPv6 brackets, a `:port` that a log left on
/// the name, surrounding blanks and one trailing dot. Borrows when nothing
/// needs changing (the common case).
pub fn normalize_host(host: &str) -> Cow<'_, str> {
    let mut h = host.trim();
    if let Some(inner) = h.strip_prefix('[') {
        // `[v6]` or `[v6]:port`.
        h = inner.split_once(']').map_or(inner, |(v6, _)| v6);
    } else if let Some((name, port)) = h.rsplit_once(':')
        && !name.contains(':')
        && !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
    {
        h = name;
    }
    if let Some(x) = h.strip_suffix('.') {
        h = x;
    }
    if h.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(h.to_ascii_lowercase())
    } else {
        Cow::Borrowed(h)
    }
}

/// Parses a host that is an IP literal.
///
/// Besides the usual dotted quad and IPv6 text (with or without brackets and
/// an IPv6 zone), this accepts the IPv4 spellings a browser accepts under the
/// WHATWG URL standard — `3232235777`, `0xc0a80101`, `0300.0250.1.1`,
/// `192.168.257` — because malware and phishing URLs use them to dodge
/// naive "is this an IP?" checks. Returns `None` for names.
pub fn parse_ip_literal(host: &str) -> Option<IpAddr> {
    let h = host.trim();
    if let Some(ip) = canonical_ipv4(h.as_bytes()) {
        return Some(IpAddr::V4(ip));
    }
    let h = h
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(h);
    if h.contains(':') {
        // IPv6, possibly with a zone (`fe80::1%eth0`).
        let addr = h.split('%').next().unwrap_or(h);
        return addr.parse::<IpAddr>().ok();
    }
    if let Ok(ip) = h.parse::<Ipv4Addr>() {
        return Some(IpAddr::V4(ip));
    }
    whatwg_ipv4(h).map(IpAddr::V4)
}

/// The common spelling, `a.b.c.d` with decimal octets and no leading zeros,
/// read in one pass; `None` for anything else (the caller then tries the
/// general parsers, which accept a superset).
///
/// Why hand-written: every proxy-log row carries a client and usually a
/// server address, and `str::parse::<Ipv4Addr>` was ≈ 2 % of a Squid ingest.
fn canonical_ipv4(s: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut i = 0;
    for (n, o) in octets.iter_mut().enumerate() {
        if n > 0 {
            if s.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let start = i;
        let mut v: u32 = 0;
        while let Some(d) = s.get(i).filter(|b| b.is_ascii_digit()) {
            v = v * 10 + u32::from(d - b'0');
            i += 1;
            if i - start > 3 {
                return None;
            }
        }
        let len = i - start;
        if len == 0 || (len > 1 && s[start] == b'0') {
            return None;
        }
        *o = u8::try_from(v).ok()?;
    }
    (i == s.len()).then_some(Ipv4Addr::from(octets))
}

/// The WHATWG "IPv4 parser", applied only when the last label is numeric
/// ("ends in a number"). Written here because it is 30 lines and the URL
/// crates only expose it inside a full URL parse.
fn whatwg_ipv4(h: &str) -> Option<Ipv4Addr> {
    let h = h.strip_suffix('.').unwrap_or(h);
    if h.is_empty() || h.len() > 64 {
        return None;
    }
    // Decide on the last label before splitting: almost every host is a
    // name, and this runs for every record.
    let last = h.rsplit('.').next()?;
    let ends_in_number = last.bytes().all(|b| b.is_ascii_digit())
        || (last.len() >= 2
            && (last.starts_with("0x") || last.starts_with("0X"))
            && last[2..].bytes().all(|b| b.is_ascii_hexdigit()));
    if !ends_in_number {
        return None;
    }
    let parts: Vec<&str> = h.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let mut nums = Vec::with_capacity(parts.len());
    for p in &parts {
        nums.push(whatwg_number(p)?);
    }
    let (last, init) = nums.split_last()?;
    if init.iter().any(|&n| n > 255) {
        return None;
    }
    let limit = 256u64.checked_pow(5 - nums.len() as u32)?;
    if *last >= limit {
        return None;
    }
    let mut v = *last;
    for (i, n) in init.iter().enumerate() {
        v += n * 256u64.pow(3 - i as u32);
    }
    u32::try_from(v).ok().map(Ipv4Addr::from)
}

fn whatwg_number(p: &str) -> Option<u64> {
    if p.is_empty() {
        return None;
    }
    let (digits, radix) = if let Some(x) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
        (x, 16)
    } else if p.len() > 1 && p.starts_with('0') {
        (&p[1..], 8)
    } else {
        (p, 10)
    };
    if digits.is_empty() {
        return Some(0);
    }
    if digits.len() > 12 {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// The registered domain (eTLD+1) and public suffix of a host name, from the
/// Public Suffix List compiled into the `psl` crate. Hosts the list does not
/// know fall under the list's implicit `*` rule (the last label is the
/// suffix). IP literals and single labels have no registered domain.
pub fn registered_domain(host: &str) -> (Option<&str>, Option<&str>) {
    // A single label (`intranet`, `localhost`) is a local name, not a domain.
    if host.is_empty()
        || host.len() > MAX_HOST_LEN
        || !host.contains('.')
        || parse_ip_literal(host).is_some()
    {
        return (None, None);
    }
    let bytes = host.as_bytes();
    // `psl` returns suffixes of its input: map their lengths back onto `host`
    // so the caller can borrow.
    let back = |len: usize| -> Option<&str> { host.get(host.len().checked_sub(len)?..) };
    match psl::domain(bytes) {
        // One walk of the list gives both.
        Some(d) => (back(d.as_bytes().len()), back(d.suffix().as_bytes().len())),
        None => (
            None,
            psl::suffix(bytes).and_then(|s| back(s.as_bytes().len())),
        ),
    }
}

/// A host pattern of the catalog language.
///
/// * `example.com` in `domains`: that name and every name below it.
/// * `api.example.com` in `hosts`: exactly that name.
/// * `*.example.com` in `patterns`: every name strictly below `example.com`.
/// * `*-my.sharepoint.com` in `patterns`: names one label below
///   `sharepoint.com` whose first label matches the glob (`*` = any run of
///   characters other than `.`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostPattern {
    /// Exactly this host.
    Exact(String),
    /// Strictly below this name.
    Below(String),
    /// One label below `suffix`, the label matching `glob`.
    LabelGlob { glob: String, suffix: String },
}

impl HostPattern {
    /// The name the index files this pattern under.
    pub(crate) fn key(&self) -> &str {
        match self {
            HostPattern::Exact(s) | HostPattern::Below(s) => s,
            HostPattern::LabelGlob { suffix, .. } => suffix,
        }
    }

    /// Parses a pattern that may contain `*` (upload-rule hosts and
    /// `patterns`); a pattern without `*` is an exact host.
    pub(crate) fn parse_glob(p: &str) -> Result<HostPattern, String> {
        let Some((first, rest)) = p.split_once('.') else {
            return Err(format!(
                "pattern {p:?} needs a domain after its first label"
            ));
        };
        if !first.contains('*') {
            check_name(p)?;
            return Ok(HostPattern::Exact(p.to_string()));
        }
        check_name(rest)?;
        if is_icann_suffix(rest) {
            return Err(format!(
                "pattern {p:?} is too broad: {rest:?} is a public suffix"
            ));
        }
        if first == "*" {
            return Ok(HostPattern::Below(rest.to_string()));
        }
        let literal = first.replace('*', "");
        if literal.is_empty()
            || !literal
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            return Err(format!(
                "pattern {p:?}: the first label may hold `*` and lower-case letters, digits, `-`, `_` only"
            ));
        }
        Ok(HostPattern::LabelGlob {
            glob: first.to_string(),
            suffix: rest.to_string(),
        })
    }

    /// Whether a normalised host matches.
    pub(crate) fn matches(&self, host: &str) -> bool {
        match self {
            HostPattern::Exact(s) => host == s,
            HostPattern::Below(s) => is_below(host, s),
            HostPattern::LabelGlob { glob, suffix } => {
                is_below(host, suffix) && {
                    let label = &host[..host.len() - suffix.len() - 1];
                    !label.contains('.') && glob_label(glob, label)
                }
            }
        }
    }
}

/// Whether `host` is strictly below `name` (at a label boundary).
pub(crate) fn is_below(host: &str, name: &str) -> bool {
    host.len() > name.len() + 1
        && host.ends_with(name)
        && host.as_bytes()[host.len() - name.len() - 1] == b'.'
}

/// Matches one DNS label against a glob whose only metacharacter is `*`.
/// Hand-written: a glob crate would bring path semantics we do not want.
pub(crate) fn glob_label(glob: &str, label: &str) -> bool {
    let mut parts = glob.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = label.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = parts.collect();
    if pieces.is_empty() {
        return rest.is_empty();
    }
    let (last, middle) = pieces.split_last().unwrap_or((&"", &[]));
    for piece in middle {
        match rest.find(piece) {
            Some(i) => rest = &rest[i + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Whether `name` is itself an ICANN public suffix (`com`, `co.jp`): no
/// single service may claim it. Private-section suffixes (`github.io`,
/// `duckdns.org`) belong to one operator and may be claimed.
pub(crate) fn is_icann_suffix(name: &str) -> bool {
    if SPECIAL_USE_TLDS.contains(&name) {
        return false;
    }
    psl::suffix(name.as_bytes())
        .is_some_and(|s| s.as_bytes() == name.as_bytes() && s.typ() == Some(psl::Type::Icann))
}

/// Top-level names outside the DNS that a catalog may claim whole
/// (RFC 7686 `.onion`; I2P's `.i2p`).
const SPECIAL_USE_TLDS: &[&str] = &["onion", "i2p"];

/// Validates a literal host name of the catalog: lower-case ASCII letters,
/// digits, `-`, `_` and dots, no empty label, at least two labels.
pub(crate) fn check_name(n: &str) -> Result<(), String> {
    if n.is_empty() || n.len() > MAX_HOST_LEN {
        return Err(format!("{n:?} is not a host name (empty or too long)"));
    }
    if n.split('.').any(str::is_empty) {
        return Err(format!("{n:?} has an empty label"));
    }
    if !n.contains('.') && !SPECIAL_USE_TLDS.contains(&n) {
        return Err(format!("{n:?} is a single label: write the whole domain"));
    }
    if let Some(c) = n.chars().find(|&c| {
        !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_' || c == '.')
    }) {
        return Err(format!(
            "{n:?} contains {c:?}: write host names in lower case, IDNs in punycode (xn--…)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dotted_quad_fast_path_accepts_exactly_what_std_accepts() {
        // Every string over a small alphabet up to 9 bytes would be too many;
        // take the edge cases plus a deterministic sweep of mutations.
        let mut cases: Vec<String> = [
            "0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.", ".1.2.3.4", "1..2.3",
            "01.2.3.4", "1.2.3.04", "1.2.3.0", "10.0.0.1", "1.2.3.4 ", "1.2.3.4:80", "1234.1.1.1",
            "1.2.3.999", "1.2.3.-1", "+1.2.3.4", "1.2.3.4a", "a.b.c.d", "", "0x1.2.3.4", "00.0.0.0",
            "192.168.001.1", "4294967295", "1.2.3.4\u{0}",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let alphabet = b"0123459.x ";
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = 1 + (x % 16) as usize;
            let s: String = (0..len)
                .map(|k| char::from(alphabet[((x >> (4 * k % 60)) % alphabet.len() as u64) as usize]))
                .collect();
            cases.push(s);
        }
        for c in &cases {
            let fast = canonical_ipv4(c.as_bytes());
            let std = c.parse::<Ipv4Addr>().ok();
            assert_eq!(fast, std, "{c:?}");
        }
        // The general path still takes what the fast path leaves.
        assert_eq!(parse_ip_literal("0300.0250.1.1"), Some(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 1))));
        assert_eq!(parse_ip_literal(" 10.1.2.3 "), Some(IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3))));
    }

    #[test]
    fn normalisation() {
        assert_eq!(normalize_host("WWW.Dropbox.COM."), "www.dropbox.com");
        assert!(matches!(
            normalize_host("www.dropbox.com"),
            Cow::Borrowed(_)
        ));
        assert_eq!(normalize_host("[2001:DB8::1]"), "2001:db8::1");
        assert_eq!(normalize_host(" a.example "), "a.example");
        assert_eq!(normalize_host(""), "");
        assert_eq!(
            normalize_host("content.dropboxapi.com:443"),
            "content.dropboxapi.com"
        );
        assert_eq!(normalize_host("[2001:db8::1]:8443"), "2001:db8::1");
        assert_eq!(
            normalize_host("2001:db8::1"),
            "2001:db8::1",
            "bare IPv6 keeps its colons"
        );
        assert_eq!(normalize_host("host:"), "host:", "not a port");
        assert_eq!(normalize_host("["), "");
    }

    #[test]
    fn ip_literals_including_browser_spellings() {
        let v4 = |s: &str| parse_ip_literal(s).map(|i| i.to_string());
        assert_eq!(v4("192.168.1.1").as_deref(), Some("192.168.1.1"));
        assert_eq!(v4("3232235777").as_deref(), Some("192.168.1.1"));
        assert_eq!(v4("0xc0a80101").as_deref(), Some("192.168.1.1"));
        assert_eq!(v4("0300.0250.1.1").as_deref(), Some("192.168.1.1"));
        assert_eq!(v4("192.168.257").as_deref(), Some("192.168.1.1"));
        assert_eq!(v4("127.1").as_deref(), Some("127.0.0.1"));
        assert_eq!(v4("[::1]").as_deref(), Some("::1"));
        assert_eq!(v4("fe80::1%eth0").as_deref(), Some("fe80::1"));
        assert_eq!(v4("256.1.1.1"), None);
        assert_eq!(v4("4294967296"), None);
        assert_eq!(v4("1.2.3.4.5"), None);
        assert_eq!(v4("example.com"), None);
        assert_eq!(v4("1.2.3.com"), None);
        assert_eq!(v4("09.1.1.1"), None, "9 is not an octal digit");
        assert_eq!(v4("99999999999999999999999"), None);
        assert_eq!(v4(""), None);
        assert_eq!(v4("."), None);
        assert_eq!(v4("0x"), Some("0.0.0.0".into()));
    }

    #[test]
    fn registered_domains() {
        assert_eq!(
            registered_domain("www.yahoo.co.jp"),
            (Some("yahoo.co.jp"), Some("co.jp"))
        );
        assert_eq!(
            registered_domain("shop.example.com.au"),
            (Some("example.com.au"), Some("com.au"))
        );
        assert_eq!(
            registered_domain("a.b.dropbox.com"),
            (Some("dropbox.com"), Some("com"))
        );
        assert_eq!(registered_domain("10.0.0.1"), (None, None));
        assert_eq!(registered_domain("2001:db8::1"), (None, None));
        assert_eq!(registered_domain("3232235777"), (None, None));
        // 日本語.jp in punycode.
        assert_eq!(
            registered_domain("www.xn--wgv71a119e.jp"),
            (Some("xn--wgv71a119e.jp"), Some("jp"))
        );
        // A private-section suffix of the PSL: each user's name is a registrable domain.
        assert_eq!(
            registered_domain("a.myhome.duckdns.org"),
            (Some("myhome.duckdns.org"), Some("duckdns.org"))
        );
        // Prefecture-level Japanese names.
        assert_eq!(
            registered_domain("www.city.shibuya.tokyo.jp").0,
            Some("city.shibuya.tokyo.jp")
        );
        assert_eq!(registered_domain("").0, None);
        assert_eq!(registered_domain("jp"), (None, None));
        assert_eq!(registered_domain("localhost"), (None, None));
        // Names under an unknown TLD follow the PSL's implicit `*` rule.
        assert_eq!(
            registered_domain("fs01.corp.internal"),
            (Some("corp.internal"), Some("internal"))
        );
    }

    #[test]
    fn patterns_and_globs() {
        let p = HostPattern::parse_glob("*-my.sharepoint.com").unwrap();
        assert!(p.matches("contoso-my.sharepoint.com"));
        assert!(!p.matches("contoso.sharepoint.com"));
        assert!(!p.matches("a.contoso-my.sharepoint.com"));
        assert!(!p.matches("sharepoint.com"));
        let p = HostPattern::parse_glob("*.userstorage.mega.co.nz").unwrap();
        assert!(p.matches("gfs270n102.userstorage.mega.co.nz"));
        assert!(!p.matches("userstorage.mega.co.nz"));
        assert!(!p.matches("evil-userstorage.mega.co.nz"));
        assert_eq!(
            HostPattern::parse_glob("content.dropboxapi.com").unwrap(),
            HostPattern::Exact("content.dropboxapi.com".into())
        );
        assert!(HostPattern::parse_glob("*.com").is_err());
        assert!(
            HostPattern::parse_glob("*.co.jp")
                .unwrap_err()
                .contains("public suffix")
        );
        assert!(
            HostPattern::parse_glob("*.duckdns.org").is_ok(),
            "private-section suffix"
        );
        assert!(
            is_icann_suffix("co.jp") && is_icann_suffix("com") && !is_icann_suffix("dropbox.com")
        );
        assert!(!is_icann_suffix("onion") && !is_icann_suffix("github.io"));
        assert!(HostPattern::parse_glob("*").is_err());
        assert!(HostPattern::parse_glob("a*b.*.example.com").is_err());
        assert!(HostPattern::parse_glob("*.Example.com").is_err());
        assert!(glob_label("up*-*", "up12-x"));
        assert!(glob_label("*", "anything"));
        assert!(!glob_label("up*", "down"));
        assert!(glob_label("a*a", "aa"));
        assert!(!glob_label("a*a", "a"));
    }
}
