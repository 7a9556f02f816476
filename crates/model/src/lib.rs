//! # kensa-model
//!
//! The normalised record types every stage of kensa speaks. A parser in
//! `kensa-formats` turns one line of a proxy log into a [`WebRecord`]; the
//! store writes it as one row of the `web_requests` table; detectors read the
//! rows back. Nothing here does I/O or knows about Arrow, Parquet or SQL.
//!
//! ## Honest nulls
//! Every field a source format may not carry is an `Option`. `None` means
//! "the format did not say", never zero: Squid's native format has no upload
//! size, so `bytes_up` is `None` there, not `Some(0)`.
//!
//! ## Borrowing
//! [`WebRecord`] borrows from the line it was parsed from (`Cow<'a, str>`), so
//! the common case allocates nothing; decoded text (percent-decoding, CP932)
//! is owned.
#![deny(missing_docs)]

pub mod cidr;
pub mod days;
pub mod refs;

use std::borrow::Cow;
use std::fmt;

/// One web transaction as seen by a proxy (or, later, derived from packets).
///
/// Field names match the columns of the `web_requests` table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebRecord<'a> {
    /// Event time in milliseconds since the Unix epoch, UTC. For formats that
    /// log the end of a transaction (Squid native) this is the logged time.
    pub ts_ms: i64,
    /// Transaction duration in milliseconds.
    pub duration_ms: Option<i64>,
    /// Client (internal host) address as logged: IPv4/IPv6 text, or a name.
    pub client_ip: Option<Cow<'a, str>>,
    /// Client source port, if the format logs it.
    pub client_port: Option<u16>,
    /// Authenticated user name (proxy auth, directory user).
    pub user: Option<Cow<'a, str>>,
    /// HTTP method (`GET`, `POST`, `CONNECT`, …).
    pub method: Option<Cow<'a, str>>,
    /// URL scheme (`http`, `https`, `ftp`, `tcp` for raw tunnels).
    pub scheme: Option<Cow<'a, str>>,
    /// Destination host name or IP literal (lower-cased, no port, no brackets).
    pub host: Option<Cow<'a, str>>,
    /// Destination port (explicit, or the scheme's default).
    pub port: Option<u16>,
    /// URL path, without the query.
    pub path: Option<Cow<'a, str>>,
    /// URL query without the leading `?`.
    pub query: Option<Cow<'a, str>>,
    /// The URL exactly as logged.
    pub url: Option<Cow<'a, str>>,
    /// HTTP status sent to the client. `None` when the log says none was sent
    /// (Squid `000`, ProxySG `-`).
    pub status: Option<u16>,
    /// The proxy's action / result code (`TCP_MISS`, `TCP_DENIED`,
    /// `OBSERVED`, `TCP_TUNNELED`, …).
    pub action: Option<Cow<'a, str>>,
    /// Hierarchy / upstream code (`HIER_DIRECT`, `DIRECT`, `HIER_NONE`, …).
    pub hierarchy: Option<Cow<'a, str>>,
    /// Address of the server (or upstream peer) the proxy talked to.
    pub server_ip: Option<Cow<'a, str>>,
    /// TLS SNI, where logged (Squid `ssl::>sni`, ProxySG `x-rs-...`).
    pub sni: Option<Cow<'a, str>>,
    /// Bytes client → server (upload), if the format logs them.
    pub bytes_up: Option<u64>,
    /// Bytes server → client (download), if the format logs them.
    pub bytes_down: Option<u64>,
    /// Reply content type.
    pub content_type: Option<Cow<'a, str>>,
    /// Request `Referer`.
    pub referer: Option<Cow<'a, str>>,
    /// Request `User-Agent`.
    pub user_agent: Option<Cow<'a, str>>,
    /// The proxy's URL category (several joined with `;`).
    pub category: Option<Cow<'a, str>>,
    /// The filter's verdict on the request.
    pub verdict: Option<Verdict>,
}

impl<'a> WebRecord<'a> {
    /// Copies every borrowed field so the record outlives its line.
    pub fn into_owned(self) -> WebRecord<'static> {
        fn o(c: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
            c.map(|c| Cow::Owned(c.into_owned()))
        }
        WebRecord {
            ts_ms: self.ts_ms,
            duration_ms: self.duration_ms,
            client_ip: o(self.client_ip),
            client_port: self.client_port,
            user: o(self.user),
            method: o(self.method),
            scheme: o(self.scheme),
            host: o(self.host),
            port: self.port,
            path: o(self.path),
            query: o(self.query),
            url: o(self.url),
            status: self.status,
            action: o(self.action),
            hierarchy: o(self.hierarchy),
            server_ip: o(self.server_ip),
            sni: o(self.sni),
            bytes_up: self.bytes_up,
            bytes_down: self.bytes_down,
            content_type: o(self.content_type),
            referer: o(self.referer),
            user_agent: o(self.user_agent),
            category: o(self.category),
            verdict: self.verdict,
        }
    }
}

/// What the proxy or filter decided about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Allowed through.
    Pass,
    /// Refused by policy (ACL, category, filter).
    Block,
    /// Shown a warning / coaching page.
    Warn,
    /// Refused because the proxy wanted credentials (HTTP 407).
    AuthRequired,
    /// Failed for a technical reason (DNS failure, connect error, abort).
    Error,
}

impl Verdict {
    /// The lower-case name stored in the `verdict` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Block => "block",
            Verdict::Warn => "warn",
            Verdict::AuthRequired => "auth_required",
            Verdict::Error => "error",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The log formats kensa reads. The name is what `--format` accepts and what
/// the `source_format` column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceFormat {
    /// Squid native `logformat squid`.
    SquidNative,
    /// Squid `logformat common` (NCSA common).
    SquidCommon,
    /// Squid `logformat combined` (NCSA combined + `%Ss:%Sh`).
    SquidCombined,
    /// Squid with a user-supplied `logformat` line.
    SquidCustom,
    /// Blue Coat ProxySG ELFF with a `#Fields:` header.
    ProxySgElff,
    /// ProxySG headerless `main` syslog preset.
    ProxySgMain,
    /// ProxySG headerless `bcreportermain_v1` preset.
    ProxySgBcreportermainV1,
    /// i-FILTER Ver.10 default 35-column access log.
    IfilterV10Access,
    /// i-FILTER older D-SPA 29-column access log.
    IfilterDspaAccess,
    /// i-FILTER 17-column block log.
    IfilterBlock,
    /// i-FILTER with a user-supplied column mapping.
    IfilterCustom,
    /// Generic W3C extended log (`#Fields:`), e.g. IIS.
    W3c,
    /// Web records derived from packet captures.
    Pcap,
}

impl SourceFormat {
    /// Every format, in the order the sniffer reports them.
    pub const ALL: &'static [SourceFormat] = &[
        SourceFormat::SquidNative,
        SourceFormat::SquidCommon,
        SourceFormat::SquidCombined,
        SourceFormat::SquidCustom,
        SourceFormat::ProxySgElff,
        SourceFormat::ProxySgMain,
        SourceFormat::ProxySgBcreportermainV1,
        SourceFormat::IfilterV10Access,
        SourceFormat::IfilterDspaAccess,
        SourceFormat::IfilterBlock,
        SourceFormat::IfilterCustom,
        SourceFormat::W3c,
        SourceFormat::Pcap,
    ];

    /// The stable name (`squid-native`, `proxysg-elff`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::SquidNative => "squid-native",
            SourceFormat::SquidCommon => "squid-common",
            SourceFormat::SquidCombined => "squid-combined",
            SourceFormat::SquidCustom => "squid-custom",
            SourceFormat::ProxySgElff => "proxysg-elff",
            SourceFormat::ProxySgMain => "proxysg-main",
            SourceFormat::ProxySgBcreportermainV1 => "proxysg-bcreportermain-v1",
            SourceFormat::IfilterV10Access => "ifilter-v10-access",
            SourceFormat::IfilterDspaAccess => "ifilter-dspa-access",
            SourceFormat::IfilterBlock => "ifilter-block",
            SourceFormat::IfilterCustom => "ifilter-custom",
            SourceFormat::W3c => "w3c",
            SourceFormat::Pcap => "pcap",
        }
    }

    /// Parses a stable name back.
    pub fn from_name(s: &str) -> Option<SourceFormat> {
        SourceFormat::ALL.iter().copied().find(|f| f.as_str() == s)
    }

    /// Whether this format logs client→server byte counts at all.
    pub fn logs_upload_bytes(self) -> bool {
        !matches!(
            self,
            SourceFormat::SquidNative | SourceFormat::SquidCommon | SourceFormat::SquidCombined
        )
    }
}

impl fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a line was rejected. Stored by name in the case's reject counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectReason {
    /// Fewer or more fields than the layout needs.
    FieldCount,
    /// A timestamp that could not be parsed or is out of range.
    BadTimestamp,
    /// A number (status, bytes, duration, port) that is not a number.
    BadNumber,
    /// Bytes that are not text in the expected encoding, or NUL bytes.
    BadEncoding,
    /// A line longer than the limit (64 KiB).
    TooLong,
    /// A quoted field with no closing quote.
    UnterminatedQuote,
    /// A data line before any `#Fields:` header in a header-driven format.
    NoHeader,
    /// Anything else the parser could not make sense of.
    Malformed,
}

impl RejectReason {
    /// The stable name stored in the case.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::FieldCount => "field_count",
            RejectReason::BadTimestamp => "bad_timestamp",
            RejectReason::BadNumber => "bad_number",
            RejectReason::BadEncoding => "bad_encoding",
            RejectReason::TooLong => "too_long",
            RejectReason::UnterminatedQuote => "unterminated_quote",
            RejectReason::NoHeader => "no_header",
            RejectReason::Malformed => "malformed",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rejected line: why, plus a human detail (which field, what value).
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    /// The class of problem.
    pub reason: RejectReason,
    /// A short explanation naming the field, e.g. `field 4 "abc" is not a status`.
    pub detail: String,
}

impl Reject {
    /// Builds a reject.
    pub fn new(reason: RejectReason, detail: impl Into<String>) -> Reject {
        Reject { reason, detail: detail.into() }
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason, self.detail)
    }
}

/// Earliest accepted event time (2000-01-01T00:00:00Z), in ms. Anything older
/// is an impossible timestamp for a proxy log.
pub const MIN_TS_MS: i64 = 946_684_800_000;
/// Latest accepted event time (2100-01-01T00:00:00Z), in ms.
pub const MAX_TS_MS: i64 = 4_102_444_800_000;

/// Whether `ts_ms` is a plausible event time.
pub fn plausible_ts(ts_ms: i64) -> bool {
    (MIN_TS_MS..MAX_TS_MS).contains(&ts_ms)
}

/// Splits a URL as logged into `(scheme, host, port, path, query)`.
///
/// Handles absolute URLs (`http://h:8080/p?q`), CONNECT authorities
/// (`host:443`, `[::1]:443`), and origin-form paths (`/p?q`, host unknown).
/// The host is returned as found (callers lower-case it); IPv6 brackets are
/// removed. Never fails: what cannot be recognised is left `None`.
pub fn split_url(url: &str) -> UrlParts<'_> {
    let mut out = UrlParts::default();
    let mut rest = url;
    if let Some(i) = rest.find("://") {
        let scheme = &rest[..i];
        if !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.') {
            out.scheme = Some(scheme);
            rest = &rest[i + 3..];
        }
    } else if rest.starts_with('/') {
        let (p, q) = split_path_query(rest);
        out.path = Some(p);
        out.query = q;
        return out;
    }
    // authority ends at the first '/', '?' or '#'
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let mut authority = &rest[..end];
    let tail = &rest[end..];
    if let Some(at) = authority.rfind('@') {
        authority = &authority[at + 1..];
    }
    if let Some(stripped) = authority.strip_prefix('[') {
        if let Some(close) = stripped.find(']') {
            out.host = Some(&stripped[..close]);
            let after = &stripped[close + 1..];
            if let Some(p) = after.strip_prefix(':') {
                out.port = p.parse().ok();
            }
        } else {
            out.host = Some(authority);
        }
    } else if let Some(c) = authority.rfind(':') {
        // A bare IPv6 address without brackets has several colons: keep it whole.
        if authority[..c].contains(':') {
            out.host = Some(authority);
        } else {
            out.host = Some(&authority[..c]);
            out.port = authority[c + 1..].parse().ok();
        }
    } else if !authority.is_empty() {
        out.host = Some(authority);
    }
    if out.host == Some("") {
        out.host = None;
    }
    if !tail.is_empty() {
        let tail = tail.split('#').next().unwrap_or("");
        let (p, q) = split_path_query(tail);
        if !p.is_empty() {
            out.path = Some(p);
        }
        out.query = q;
    }
    if out.port.is_none() {
        out.port = out.scheme.and_then(default_port);
    }
    out
}

fn split_path_query(s: &str) -> (&str, Option<&str>) {
    match s.find('?') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

/// The default port of a URL scheme.
pub fn default_port(scheme: &str) -> Option<u16> {
    match scheme.to_ascii_lowercase().as_str() {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        "ftp" => Some(21),
        _ => None,
    }
}

/// The parts of a URL, borrowed from it. See [`split_url`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UrlParts<'a> {
    /// Scheme without `://`.
    pub scheme: Option<&'a str>,
    /// Host without brackets or port.
    pub host: Option<&'a str>,
    /// Explicit port, else the scheme's default.
    pub port: Option<u16>,
    /// Path (starts with `/`).
    pub path: Option<&'a str>,
    /// Query without `?`.
    pub query: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_absolute_url() {
        let p = split_url("http://Example.com:8080/a/b?x=1&y=2#frag");
        assert_eq!(p.scheme, Some("http"));
        assert_eq!(p.host, Some("Example.com"));
        assert_eq!(p.port, Some(8080));
        assert_eq!(p.path, Some("/a/b"));
        assert_eq!(p.query, Some("x=1&y=2"));
    }

    #[test]
    fn split_connect_authority() {
        let p = split_url("www.example.org:443");
        assert_eq!(p.scheme, None);
        assert_eq!(p.host, Some("www.example.org"));
        assert_eq!(p.port, Some(443));
        assert_eq!(p.path, None);
        let p = split_url("[2001:db8::1]:8443");
        assert_eq!(p.host, Some("2001:db8::1"));
        assert_eq!(p.port, Some(8443));
    }

    #[test]
    fn split_default_port_and_userinfo() {
        let p = split_url("https://user:pw@host.example/");
        assert_eq!(p.host, Some("host.example"));
        assert_eq!(p.port, Some(443));
        assert_eq!(p.path, Some("/"));
        assert_eq!(p.query, None);
    }

    #[test]
    fn split_origin_form_and_garbage() {
        let p = split_url("/index.html?q");
        assert_eq!(p.host, None);
        assert_eq!(p.path, Some("/index.html"));
        assert_eq!(p.query, Some("q"));
        let p = split_url("error:transaction-end-before-headers");
        assert_eq!(p.scheme, None);
        // Not a URL: nothing sensible, but no panic.
        let _ = split_url("");
        let _ = split_url("://");
        let _ = split_url("[::1");
        let _ = split_url("http://[");
    }

    #[test]
    fn format_names_round_trip() {
        for f in SourceFormat::ALL {
            assert_eq!(SourceFormat::from_name(f.as_str()), Some(*f));
        }
        assert!(!SourceFormat::SquidNative.logs_upload_bytes());
        assert!(SourceFormat::ProxySgElff.logs_upload_bytes());
    }

    #[test]
    fn plausibility_bounds() {
        assert!(plausible_ts(1_700_000_000_000));
        assert!(!plausible_ts(0));
        assert!(!plausible_ts(i64::MAX));
    }
}
