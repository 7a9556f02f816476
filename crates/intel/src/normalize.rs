//! Normalisation of indicator values, shared by the feed parsers (at import)
//! and the [`crate::Matcher`] (at lookup), so both sides compare the same text.
//!
//! * IPs: canonical text (`std`), IPv4 octets with leading zeros accepted
//!   and dropped, IPv4-mapped IPv6 turned into IPv4, brackets stripped.
//! * CIDRs: host bits cleared; a /32 (/128) becomes an IP.
//! * Domains: lower-case ASCII, trailing dot and a leading `*.` removed,
//!   labels checked. Non-ASCII names are refused (give the `xn--` form).
//! * URLs: see [`url`].
//! * Hashes: colons and spaces removed, lower-case, length checked.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::IndicatorKind;

/// Parses an IP address leniently (see the module docs).
pub fn ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    let s = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')).unwrap_or(s);
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if let Ok(a) = s.parse::<IpAddr>() {
        return Some(canonical(a));
    }
    // IPv4 with leading zeros (`010.001.002.003`), which std refuses.
    // Written by hand: four decimal parts, each at most 255.
    let mut octets = [0u8; 4];
    let mut n = 0;
    for part in s.split('.') {
        if n == 4 || part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        octets[n] = part.parse::<u8>().ok()?;
        n += 1;
    }
    (n == 4).then(|| IpAddr::V4(Ipv4Addr::from(octets)))
}

/// IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes IPv4; everything else is kept.
pub fn canonical(a: IpAddr) -> IpAddr {
    match a {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// An address or network: what an IP-ish feed value turned into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpOrNet {
    /// A single address.
    Ip(IpAddr),
    /// A network with host bits cleared (never a /32 or /128).
    Net(IpNet),
}

/// Parses an IP or a CIDR (`a.b.c.d/n`, `x::/n`).
pub fn ip_or_cidr(s: &str) -> Option<IpOrNet> {
    let s = s.trim();
    let Some((addr, len)) = s.split_once('/') else {
        return ip(s).map(IpOrNet::Ip);
    };
    let addr = ip(addr)?;
    if len.is_empty() || len.len() > 3 || !len.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let len: u8 = len.parse().ok()?;
    let net = IpNet::new(addr, len).ok()?.trunc();
    if net.prefix_len() == net.max_prefix_len() {
        Some(IpOrNet::Ip(net.addr()))
    } else {
        Some(IpOrNet::Net(net))
    }
}

/// Why a domain was refused.
pub fn domain(s: &str) -> Result<String, &'static str> {
    let s = s.trim();
    let s = s.strip_prefix("*.").unwrap_or(s);
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() {
        return Err("empty domain");
    }
    if !s.is_ascii() {
        return Err("non-ASCII domain (give the xn-- form)");
    }
    if s.len() > 253 {
        return Err("domain longer than 253 characters");
    }
    let lower = s.to_ascii_lowercase();
    let mut labels = 0;
    for label in lower.split('.') {
        labels += 1;
        if label.is_empty() || label.len() > 63 {
            return Err("empty or over-long domain label");
        }
        if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err("invalid character in domain");
        }
    }
    if labels < 2 {
        return Err("single-label name");
    }
    if ip(&lower).is_some() {
        return Err("an IP address, not a domain");
    }
    Ok(lower)
}

/// Lower-case hex (or JA4 text) for a fingerprint/hash kind; colons and
/// spaces are removed (nDPI prints certificate SHA-1s as `43:A2:…`).
pub fn hash(kind: IndicatorKind, s: &str) -> Result<String, &'static str> {
    let mut out = String::with_capacity(s.len());
    for c in s.trim().chars() {
        if c == ':' || c == ' ' {
            continue;
        }
        out.push(c.to_ascii_lowercase());
    }
    if kind == IndicatorKind::Ja4 {
        let parts: Vec<&str> = out.split('_').collect();
        let ok = parts.len() == 3
            && parts[0].len() == 10
            && parts[0].bytes().all(|b| b.is_ascii_alphanumeric())
            && parts[1..].iter().all(|p| p.len() == 12 && p.bytes().all(|b| b.is_ascii_hexdigit()));
        return if ok { Ok(out) } else { Err("not a JA4 fingerprint") };
    }
    let Some(want) = kind.hex_len() else {
        return Err("not a hash kind");
    };
    if out.len() != want {
        return Err("wrong hash length");
    }
    if !out.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("non-hex character in hash");
    }
    Ok(out)
}

/// The default port of a URL scheme, dropped by [`url`].
fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        "ftp" => Some(21),
        _ => None,
    }
}

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn hexval(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Appends `s` with percent-escapes of unreserved characters decoded and the
/// remaining escapes' hex upper-cased (RFC 3986 §6.2.2.2).
fn push_pct_normalised(out: &mut String, s: &str) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hexval(b[i + 1]), hexval(b[i + 2]))
        {
            let v = h * 16 + l;
            if unreserved(v) {
                out.push(v as char);
            } else {
                out.push('%');
                out.push(b[i + 1].to_ascii_uppercase() as char);
                out.push(b[i + 2].to_ascii_uppercase() as char);
            }
            i += 3;
            continue;
        }
        // Copy one whole UTF-8 character.
        let ch_len = s[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&s[i..i + ch_len]);
        i += ch_len;
    }
}

/// Normalises a URL into `out` (cleared first):
/// `scheme://host[:port]/path[?query]` with scheme and host lower-cased,
/// user-info, fragment and default port dropped, an empty path written `/`,
/// a trailing `/` removed from any longer path, and percent-escapes of
/// unreserved characters decoded (other escapes upper-cased).
///
/// Written by hand rather than with the `url` crate: WHATWG parsing does not
/// decode unreserved escapes, rewrites hosts in ways feeds do not, and
/// allocates a full `Url` per lookup; this is one pass into a reused buffer.
pub fn url_into(s: &str, out: &mut String) -> Result<(), &'static str> {
    out.clear();
    let s = s.trim();
    let (scheme, rest) = s.split_once("://").ok_or("URL without scheme")?;
    if scheme.is_empty()
        || !scheme.as_bytes()[0].is_ascii_alphabetic()
        || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return Err("bad URL scheme");
    }
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..auth_end];
    let tail = &rest[auth_end..];
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = if let Some(r) = hostport.strip_prefix('[') {
        let (h, after) = r.split_once(']').ok_or("unclosed [ in URL host")?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or("junk after ] in URL host")?),
        };
        (h, port)
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    let host = host.trim_end_matches('.');
    if host.is_empty() {
        return Err("URL without host");
    }
    let bracketed = hostport.starts_with('[');
    if bracketed {
        if !matches!(ip(host), Some(IpAddr::V6(_)) | Some(IpAddr::V4(_))) {
            return Err("bad IPv6 address in URL host");
        }
    } else if host.bytes().any(|b| b <= b' ' || matches!(b, b'\\' | b'"' | b'<' | b'>' | b':' | b'@' | b'[' | b']' | b'%' | 0x7f)) {
        return Err("bad character in URL host");
    }
    let port = match port {
        None | Some("") => None,
        Some(p) => {
            if p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err("bad URL port");
            }
            Some(p.parse::<u16>().map_err(|_| "bad URL port")?)
        }
    };
    for b in scheme.bytes() {
        out.push(b.to_ascii_lowercase() as char);
    }
    out.push_str("://");
    match ip(host) {
        Some(IpAddr::V6(v6)) => {
            out.push('[');
            push_display(out, &v6);
            out.push(']');
        }
        Some(IpAddr::V4(v4)) => push_display(out, &v4),
        None => {
            for c in host.chars() {
                out.push(c.to_ascii_lowercase());
            }
        }
    }
    let scheme_lc = &out[..scheme.len()];
    if let Some(p) = port
        && default_port(scheme_lc) != Some(p)
    {
        out.push(':');
        push_display(out, &p);
    }
    let tail = tail.split_once('#').map_or(tail, |(a, _)| a);
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (tail, None),
    };
    let path_start = out.len();
    if path.is_empty() {
        out.push('/');
    } else {
        push_pct_normalised(out, path);
        while out.len() > path_start + 1 && out.ends_with('/') {
            out.pop();
        }
    }
    if let Some(q) = query
        && !q.is_empty()
    {
        out.push('?');
        push_pct_normalised(out, q);
    }
    Ok(())
}

/// [`url_into`] returning a new string.
pub fn url(s: &str) -> Result<String, &'static str> {
    let mut out = String::with_capacity(s.len() + 8);
    url_into(s, &mut out)?;
    Ok(out)
}

fn push_display(out: &mut String, v: &dyn std::fmt::Display) {
    use std::fmt::Write;
    let _ = write!(out, "{v}");
}

/// Canonical text of an IPv6 address (compressed, lower-case).
pub fn ipv6_text(a: Ipv6Addr) -> String {
    a.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ips() {
        assert_eq!(ip("010.001.002.003"), Some("10.1.2.3".parse().unwrap()));
        assert_eq!(
            ip("2001:0470:001d:03b0:0000:0000:00ac:ce55").unwrap().to_string(),
            "2001:470:1d:3b0::ac:ce55"
        );
        assert_eq!(ip("::ffff:1.2.3.4"), Some("1.2.3.4".parse().unwrap()));
        assert_eq!(ip("[::1]"), Some("::1".parse().unwrap()));
        assert_eq!(ip("1.2.3.256"), None);
        assert_eq!(ip("1.2.3"), None);
        assert_eq!(ip("example.com"), None);
    }

    #[test]
    fn cidrs() {
        assert_eq!(ip_or_cidr("1.2.3.4/24"), Some(IpOrNet::Net("1.2.3.0/24".parse().unwrap())));
        assert_eq!(ip_or_cidr("1.2.3.4/32"), Some(IpOrNet::Ip("1.2.3.4".parse().unwrap())));
        assert_eq!(ip_or_cidr("1.2.3.4/33"), None);
        assert_eq!(ip_or_cidr("1.2.3.4/"), None);
        assert_eq!(ip_or_cidr("2001:db8::1/32"), Some(IpOrNet::Net("2001:db8::/32".parse().unwrap())));
    }

    #[test]
    fn domains() {
        assert_eq!(domain("Evil.Example.COM.").unwrap(), "evil.example.com");
        assert_eq!(domain("*.example.com").unwrap(), "example.com");
        assert!(domain("localhost").is_err());
        assert!(domain("a..b").is_err());
        assert!(domain("bad domain.com").is_err());
        assert!(domain("例え.jp").is_err());
        assert!(domain("1.2.3.4").is_err());
    }

    #[test]
    fn hashes() {
        assert_eq!(
            hash(IndicatorKind::CertSha1, "43:A2:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11").unwrap(),
            "43a200112233445566778899aabbccddeeff0011"
        );
        assert!(hash(IndicatorKind::Ja3, "abc").is_err());
        assert!(hash(IndicatorKind::Ja3, "zzc64c77e60f3980eea90869b68c58a8").is_err());
        assert_eq!(
            hash(IndicatorKind::Ja4, "T13D1516H2_8daaf6152771_b186095e22b6").unwrap(),
            "t13d1516h2_8daaf6152771_b186095e22b6"
        );
        assert!(hash(IndicatorKind::Ja4, "t13d1516h2_8daaf6152771").is_err());
    }

    #[test]
    fn urls() {
        let n = |s| url(s).unwrap();
        assert_eq!(n("HTTP://Example.COM:80"), "http://example.com/");
        assert_eq!(n("https://example.com:443/a/"), "https://example.com/a");
        assert_eq!(n("https://example.com:8443/a"), "https://example.com:8443/a");
        assert_eq!(n("http://u:p@Ex.com/%7euser/%2fx?q=%41%2f#frag"), "http://ex.com/~user/%2Fx?q=A%2F");
        assert_eq!(n("http://[2001:DB8:0::1]:8080/x"), "http://[2001:db8::1]:8080/x");
        assert_eq!(n("http://176.65.139.212/eclipse.sh4"), "http://176.65.139.212/eclipse.sh4");
        assert_eq!(n("http://a.com/%zz%4"), "http://a.com/%zz%4");
        assert_eq!(n("http://a.com/日本"), "http://a.com/日本");
        assert!(url("example.com/a").is_err());
        assert!(url("http:///a").is_err());
        assert!(url("http://a.com:99999/").is_err());
        assert!(url("http://a b.com/").is_err());
    }
}
