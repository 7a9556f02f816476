//! Squid access logs: the native format, `common`, `combined` (with Squid's
//! trailing `%Ss:%Sh`) and any custom `logformat`.
//!
//! [`SquidParser`] is one parser for the four [`SourceFormat`] variants. Build
//! it with [`SquidParser::new`]. For [`SourceFormat::SquidCustom`], pass the
//! `logformat` line in [`ParseOptions::squid_logformat`]. [`sniff`] tells
//! native, `common` and `combined` apart. A custom format is never guessed:
//! it needs its `logformat` line.
//!
//! ## Field mapping (all variants)
//! * `ts_ms`: the logged time, which for Squid is the **end** of the
//!   transaction (`%ts.%03tu`, or `%tl`/`%tg` with their UTC offset).
//! * `host`: taken from the URL and lower-cased (IPv6 without brackets).
//!   `port` is the URL's port, else the scheme's default. A CONNECT
//!   `host:port` gives host and port but no scheme, because the log does not
//!   say which protocol ran in the tunnel. `error:…` URLs (Squid's
//!   `error:transaction-end-before-headers` and friends) keep `url` only.
//! * `query`: `Some("")` when the URL ends in `?`. Squid's default
//!   `strip_query_terms on` cuts the query but keeps the `?`, so an empty
//!   query means "there was one, but it was stripped".
//! * `status`: `000`/`0` (no reply sent) is `None`.
//! * `bytes_down` is `%<st`, the reply size to the client. `bytes_up` is
//!   `%>st`, which only a custom format can carry (native/common/combined
//!   have no upload size, so it stays `None`).
//! * `user_agent`, `referer`, `user`: percent-decoded, because Squid
//!   RFC-1738-escapes header values (`%20` for spaces) and `%[` escapes names;
//!   quoted values also lose backslash escapes (`\"`, as Apache writes them).
//! * Native lines wider than ten fields (a raw space in the URL, a content
//!   type with `; charset=…`, an appended quoted referer and user agent) are
//!   read by anchoring on the hierarchy field; see `native.rs`.
//! * `action` is the raw result code (`TCP_MISS_ABORTED`, Squid 2.x
//!   `TCP_REFRESH_HIT`, …: any code is accepted). `hierarchy` is the hierarchy
//!   code (`HIER_DIRECT`, 2.x `DIRECT`). `server_ip` is the upstream address
//!   (`%<a`), which with a parent proxy is the parent's.
//! * `-` is null everywhere.
//! * A syslog header before the line (`access_log syslog:…`, or a relay:
//!   `Nov 26 10:00:00 proxy1 squid[811]: `, RFC 5424, rsyslog ISO time) is
//!   skipped ([`crate::text::strip_syslog_header`]).
//!
//! ## Verdict mapping ([`verdict`])
//! | result code / status | verdict |
//! |---|---|
//! | code contains `DENIED` and status 407 | `AuthRequired` |
//! | any other code containing `DENIED` (`TCP_DENIED`, `TCP_DENIED_REPLY`, `UDP_DENIED`) | `Block` |
//! | code starts with `NONE` (`NONE_NONE`, `NONE`) or Squid 3.5/4's `TAG_NONE`, ends in or contains `_ABORTED` / `_TIMEDOUT`, is `UDP_INVALID`; or status `000` | `Error` |
//! | anything else (`TCP_MISS`, `TCP_TUNNEL`, hits, `TCP_REDIRECT`, …) | `Pass` |
//! | no result code at all (custom format without `%Ss`) | `None` |
//!
//! A `503` that Squid made itself after a failed connect is logged like an
//! origin's `503` (`TCP_MISS/503`), so it stays `Pass`: the log cannot tell
//! them apart.
//!
//! ```
//! use kensa_formats::{squid::SquidParser, LineParser, ParseOptions, Parsed};
//! use kensa_model::{SourceFormat, Verdict};
//! let mut p = SquidParser::new(SourceFormat::SquidNative, &ParseOptions::default()).unwrap();
//! let line = "1700000123.045      3 192.0.2.9 TCP_DENIED/407 3900 GET http://Intranet.Example/login - HIER_NONE/- text/html";
//! let Parsed::Record(r) = p.parse_line(line) else { panic!() };
//! assert_eq!(r.ts_ms, 1_700_000_123_045);
//! assert_eq!(r.host.as_deref(), Some("intranet.example"));
//! assert_eq!(r.verdict, Some(Verdict::AuthRequired));
//! assert_eq!(r.user, None);
//! ```

mod clf;
pub mod logformat;
mod native;

use std::borrow::Cow;

use crate::text::{lower_ascii, parse_u16, strip_syslog_header};
use crate::{FormatError, LineParser, ParseOptions, Parsed};
use kensa_model::{Reject, RejectReason, SourceFormat, Verdict, WebRecord};

pub use logformat::LogFormat;

/// Parser for Squid access-log lines. See the [module docs](self) for the
/// field and verdict mapping.
#[derive(Debug)]
pub struct SquidParser {
    format: SourceFormat,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Native,
    Common,
    Combined,
    Custom(Box<LogFormat>),
}

impl SquidParser {
    /// Builds a parser for one of the Squid formats. `SquidCustom` needs
    /// `opts.squid_logformat` and fails with [`FormatError::InvalidOption`]
    /// naming the bad code when the line cannot be compiled. `opts.tz` is
    /// used only for a custom `%tl{…}` stamp without a `%z` offset (default
    /// UTC). A `squid_logformat` that is just a built-in name (`squid`,
    /// `common`, `combined`, `referrer`, `useragent`) selects that format.
    pub fn new(format: SourceFormat, opts: &ParseOptions) -> Result<Self, FormatError> {
        let kind = match format {
            SourceFormat::SquidNative => Kind::Native,
            SourceFormat::SquidCommon => Kind::Common,
            SourceFormat::SquidCombined => Kind::Combined,
            SourceFormat::SquidCustom => {
                let Some(spec) = opts.squid_logformat.as_deref() else {
                    return Err(FormatError::InvalidOption {
                        what: "squid logformat",
                        detail: "squid-custom needs a logformat line (`logformat NAME %ts.%03tu …` or just the codes)".into(),
                    });
                };
                // A built-in name (`squid`, `logformat combined`, …) means that format.
                let name = spec
                    .trim()
                    .strip_prefix("logformat")
                    .map_or(spec.trim(), str::trim);
                match name {
                    "squid" => Kind::Native,
                    "common" => Kind::Common,
                    "combined" => Kind::Combined,
                    "referrer" => Kind::Custom(Box::new(LogFormat::compile(
                        "%ts.%03tu %>a %{Referer}>h %ru",
                        opts.tz,
                    )?)),
                    "useragent" => Kind::Custom(Box::new(LogFormat::compile(
                        r#"%>a [%tl] "%{User-Agent}>h""#,
                        opts.tz,
                    )?)),
                    _ => Kind::Custom(Box::new(LogFormat::compile(spec, opts.tz)?)),
                }
            }
            other => {
                return Err(FormatError::InvalidOption {
                    what: "format",
                    detail: format!("{other} is not a Squid format"),
                });
            }
        };
        Ok(SquidParser { format, kind })
    }
}

impl LineParser for SquidParser {
    fn format(&self) -> SourceFormat {
        self.format
    }

    fn parse_line<'a>(&mut self, line: &'a str) -> Parsed<'a> {
        let raw = line.trim_end_matches(['\r', '\n']);
        // `access_log syslog:…` lines arrive behind a syslog header.
        let body = strip_syslog_header(raw);
        if body.bytes().all(crate::text::is_ws) || body.trim_start().starts_with('#') {
            return Parsed::Skip;
        }
        let res = match &self.kind {
            Kind::Native => native::parse(body),
            Kind::Common => clf::parse(body, false),
            Kind::Combined => clf::parse(body, true),
            // A custom layout may itself open with a syslog-like time
            // (`%{%b %d %H:%M:%S}tl`), so the line as written comes first.
            Kind::Custom(f) => match f.parse(raw) {
                Err(e) if body.len() != raw.len() => f.parse(body).map_err(|_| e),
                r => r,
            },
        };
        match res {
            Ok(r) => Parsed::Record(r),
            Err(e) => Parsed::Reject(e),
        }
    }
}

/// Scores how well `lines` fit the built-in Squid formats: the percentage
/// (0..=100) of non-blank, non-`#` lines each of native, `common` and
/// `combined` parses. Returns the best one, preferring `combined` over
/// `common` over native on a tie, or `None` when none reaches 50 %.
/// A custom `logformat` is never guessed.
pub fn sniff(lines: &[&str]) -> Option<(SourceFormat, u32)> {
    let sample: Vec<&str> = lines
        .iter()
        .map(|l| strip_syslog_header(l.trim_end_matches(['\r', '\n'])))
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect();
    if sample.is_empty() {
        return None;
    }
    let score = |f: &dyn Fn(&str) -> bool| -> u32 {
        let ok = sample.iter().filter(|l| f(l)).count();
        (ok * 100 / sample.len()) as u32
    };
    let candidates = [
        (
            SourceFormat::SquidCombined,
            score(&|l| clf::parse(l, true).is_ok()),
        ),
        (
            SourceFormat::SquidCommon,
            score(&|l| clf::parse(l, false).is_ok()),
        ),
        (
            SourceFormat::SquidNative,
            score(&|l| native::parse(l).is_ok()),
        ),
    ];
    let mut best: Option<(SourceFormat, u32)> = None;
    for (f, s) in candidates {
        if s >= 50 && best.is_none_or(|(_, b)| s > b) {
            best = Some((f, s));
        }
    }
    best
}

/// Maps a Squid result code (`%Ss`) and client status to a [`Verdict`];
/// see the table in the [module docs](self).
pub fn verdict(action: Option<&str>, status: Option<u16>) -> Option<Verdict> {
    let a = action?;
    if status.is_some()
        && matches!(
            a,
            "TCP_MISS"
                | "TCP_HIT"
                | "TCP_MEM_HIT"
                | "TCP_TUNNEL"
                | "TCP_REFRESH_UNMODIFIED"
                | "TCP_IMS_HIT"
                | "TCP_REFRESH_MODIFIED"
        )
    {
        return Some(Verdict::Pass);
    }
    Some(if a.contains("DENIED") {
        if status == Some(407) {
            Verdict::AuthRequired
        } else {
            Verdict::Block
        }
    } else if a.starts_with("NONE")
        // Squid 3.5/4 name for what 5+ logs as `NONE_NONE`: no transaction
        // tag, e.g. `TAG_NONE/503` for a CONNECT that could not connect.
        || a.starts_with("TAG_NONE")
        || a.contains("_ABORTED")
        || a.contains("_TIMEDOUT")
        || a == "UDP_INVALID"
        || status.is_none()
    {
        Verdict::Error
    } else {
        Verdict::Pass
    })
}

/// Reject with a detail naming the field.
pub(crate) fn reject(reason: RejectReason, detail: impl Into<String>) -> Reject {
    Reject::new(reason, detail)
}

/// Parses a status: `000`/`0` (no reply sent) and `-` are `None`.
pub(crate) fn status(s: &str, field: &str) -> Result<Option<u16>, Reject> {
    if s == "-" {
        return Ok(None);
    }
    match parse_u16(s) {
        Some(0) => Ok(None),
        Some(v) if v <= 999 => Ok(Some(v)),
        _ => Err(reject(
            RejectReason::BadNumber,
            format!("{field} {} is not an HTTP status", crate::text::snippet(s)),
        )),
    }
}

/// Parses a byte count or duration; `-` is `None`.
pub(crate) fn number(s: &str, field: &str) -> Result<Option<u64>, Reject> {
    if s == "-" {
        return Ok(None);
    }
    crate::text::parse_u64(s).map(Some).ok_or_else(|| {
        reject(
            RejectReason::BadNumber,
            format!("{field} {} is not a number", crate::text::snippet(s)),
        )
    })
}

/// Checks a time stamp is plausible (2000..2100).
pub(crate) fn checked_ts(ms: Option<i64>, raw: &str, field: &str) -> Result<i64, Reject> {
    match ms {
        Some(ms) if kensa_model::plausible_ts(ms) => Ok(ms),
        Some(_) => Err(reject(
            RejectReason::BadTimestamp,
            format!(
                "{field} {} is outside 2000..2100",
                crate::text::snippet(raw)
            ),
        )),
        None => Err(reject(
            RejectReason::BadTimestamp,
            format!("{field} {} is not a time stamp", crate::text::snippet(raw)),
        )),
    }
}

/// Fills `url`, `scheme`, `host`, `port`, `path` and `query` from a URL as
/// Squid logs it (absolute URL, CONNECT authority, origin-form path, or an
/// `error:…` pseudo-URL).
pub(crate) fn fill_url<'a>(rec: &mut WebRecord<'a>, url: &'a str, is_connect: bool) {
    rec.url = Some(Cow::Borrowed(url));
    let p = match fast_split_url(url) {
        Some(p) => p,
        None => {
            let absolute = has_scheme_sep(url);
            if !(absolute || url.starts_with('/') || is_connect || looks_like_authority(url)) {
                // `error:transaction-end-before-headers`, `NONE`, junk: not a URL.
                return;
            }
            kensa_model::split_url(url)
        }
    };
    rec.scheme = p.scheme.map(lower_ascii);
    rec.host = p.host.map(lower_ascii);
    rec.port = p.port;
    rec.path = p.path.map(Cow::Borrowed);
    rec.query = p.query.map(Cow::Borrowed);
}

/// Whether `url` has `scheme://` (the first `:` is followed by `//`).
fn has_scheme_sep(url: &str) -> bool {
    let b = url.as_bytes();
    memchr::memchr(b':', b).is_some_and(|i| b[i + 1..].starts_with(b"//"))
}

/// The common shapes, `http(s)://host[:port][/path][?query]` and CONNECT
/// `host:port`, split without the substring searches of
/// [`kensa_model::split_url`] (which costs more than the rest of a native
/// line). Gives exactly what `split_url` gives (a differential test checks
/// this); returns `None` for anything else (userinfo, IPv6 brackets, other
/// schemes, odd ports), which then takes the general path.
fn fast_split_url(url: &str) -> Option<kensa_model::UrlParts<'_>> {
    let b = url.as_bytes();
    let (scheme, rest, default) = if b.starts_with(b"http://") {
        (Some(&url[..4]), &url[7..], Some(80))
    } else if b.starts_with(b"https://") {
        (Some(&url[..5]), &url[8..], Some(443))
    } else {
        // CONNECT authority: letters, digits, '-', '.', then ':port'.
        let colon = memchr::memchr(b':', b)?;
        let (h, port) = (&url[..colon], &url[colon + 1..]);
        if h.is_empty()
            || !h
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.' || c == b'_')
        {
            return None;
        }
        let port = parse_u16(port)?;
        return Some(kensa_model::UrlParts {
            host: Some(h),
            port: Some(port),
            ..Default::default()
        });
    };
    let rb = rest.as_bytes();
    let end = memchr::memchr3(b'/', b'?', b'#', rb).unwrap_or(rb.len());
    let authority = &rest[..end];
    if authority.is_empty() || memchr::memchr2(b'@', b'[', authority.as_bytes()).is_some() {
        return None;
    }
    let (host, port) = match memchr::memchr(b':', authority.as_bytes()) {
        Some(c) => {
            let p = &authority[c + 1..];
            if memchr::memchr(b':', p.as_bytes()).is_some() {
                return None; // bare IPv6: general path
            }
            match parse_u16(p) {
                Some(v) => (&authority[..c], Some(v)),
                None => return None,
            }
        }
        None => (authority, default),
    };
    if host.is_empty() {
        return None;
    }
    let mut tail = &rest[end..];
    if let Some(h) = memchr::memchr(b'#', tail.as_bytes()) {
        tail = &tail[..h];
    }
    let (path, query) = match memchr::memchr(b'?', tail.as_bytes()) {
        Some(q) => (&tail[..q], Some(&tail[q + 1..])),
        None => (tail, None),
    };
    Some(kensa_model::UrlParts {
        scheme,
        host: Some(host),
        port,
        path: (!path.is_empty()).then_some(path),
        query,
    })
}

/// The fast URL splitter, exposed only so the fuzzers can check it against
/// [`kensa_model::split_url`]. Not part of the API.
#[doc(hidden)]
pub fn fast_split_url_for_fuzzing(url: &str) -> Option<kensa_model::UrlParts<'_>> {
    fast_split_url(url)
}

/// `host:port` (or `[v6]:port`) with a numeric port.
fn looks_like_authority(s: &str) -> bool {
    match s.rfind(':') {
        Some(i) if i > 0 => {
            let port = &s[i + 1..];
            !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && !s[..i].contains(['/', '?'])
        }
        _ => false,
    }
}

/// Splits `%Ss/%03>Hs`-like `CODE/STATUS` and `%Sh/%<a`-like `HIER/ADDR`
/// pairs at the first `sep`.
pub(crate) fn split_pair(s: &str, sep: u8) -> Option<(&str, &str)> {
    let i = memchr::memchr(sep, s.as_bytes())?;
    Some((&s[..i], &s[i + 1..]))
}

#[cfg(test)]
mod tests;
