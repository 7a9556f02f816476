//! W3C extended logs and Blue Coat / Symantec ProxySG ELFF.
//!
//! [`ElffParser`] reads four formats:
//!
//! * [`SourceFormat::ProxySgElff`] and [`SourceFormat::W3c`]: driven by the
//!   `#Fields:` directive. The column map is rebuilt whenever a new
//!   `#Fields:` line appears (appliance restart, format change). A data line
//!   before any `#Fields:` is rejected as `no_header`. A `W3c` parser whose
//!   header carries ProxySG-only fields (`s-action`, `sc-filter-result`, …) or
//!   a `#Software: SGOS` line reports itself as `ProxySgElff` from then on.
//! * [`SourceFormat::ProxySgMain`] and [`SourceFormat::ProxySgBcreportermainV1`]:
//!   headerless syslog/TCP streams read with a fixed field list (see
//!   `fields.rs`; `main` is the SGOS default order, `bcreportermain_v1` the
//!   29 base fields plus the 13 newer ones). A syslog header
//!   (`<PRI>Mon dd HH:MM:SS host [tag:]`, RFC 5424, rsyslog's ISO time; see
//!   [`crate::text::strip_syslog_header`]) is stripped, in every ELFF/W3C
//!   format, and a `#Fields:` line in the stream replaces the preset.
//!
//! ## Tokens
//! Values are separated by runs of spaces or tabs, so the double space after
//! `cs(Referer)` makes no empty column. `"quoted values"` keep their spaces;
//! `""` and `\"` inside them are literal quotes. `-` is null. Rows may carry
//! more values than `#Fields` names (the extras are ignored) or fewer (the
//! missing ones are null). One known producer quirk is repaired: when the
//! header has no `cs(User-Agent)` but `cs(Referer)` is directly followed by
//! `sc-filter-result`, a row whose value there is not a filter result while
//! the next value is, is read with the user agent after the referer (the
//! layout Elastic's `main` pipeline expects; the corpus has such a file).
//!
//! ## Field mapping
//! Times are GMT in every ELFF/W3C log, so [`ParseOptions::tz`] does not apply here.
//!
//! | record | ELFF / W3C fields |
//! |---|---|
//! | `ts_ms` | `date` + `time` (GMT, as ELFF and IIS write them), else `x-timestamp-unix` (Cisco WSA `timestamp`), else `localtime`/`gmttime` (`[dd/Mon/yyyy:HH:MM:SS +zzzz]`, one bracketed value) |
//! | `duration_ms` | `time-taken` (milliseconds; a value with a `.` is read as seconds, per the W3C draft) |
//! | `client_ip`, `client_port` | `c-ip`, `c-port` |
//! | `user` | `cs-username` |
//! | `method`, `scheme`, `host`, `port`, `path`, `query` | `cs-method`, `cs-uri-scheme`, `cs-host` (else `cs(Host)`), `cs-uri-port` (else `s-port`, else the scheme default), `cs-uri-path`/`cs-uri-stem`, `cs-uri-query` (leading `?` removed); `cs-uri` fills whatever is missing |
//! | `url` | `cs-uri` as logged; otherwise rebuilt as `scheme://host[:port]path[?query]` (`host:port` for `tcp`/`ssl` tunnels and CONNECT) |
//! | `status` | `sc-status`; `0` and `-` (no response sent) are null |
//! | `action`, `hierarchy` | `s-action`, `s-hierarchy` |
//! | (Cisco WSA) | `timestamp` (epoch), `x-elapsed-time`, `cs-url`, `sc-http-status`, `sc-result-code`, `x-resultcode-httpstatus` (`TCP_MISS/200`), `x-webcat-code-full` |
//! | (ISA / Forefront TMG, tab-separated) | `c-agent`, `cs-referred`, `r-host`, `r-port`, `s-operation`, `cs-mime-type`, `cs-protocol` |
//! | `server_ip` | `s-supplier-ip` / `r-ip`, else `s-supplier-name` when it is an IP literal, else (W3C only, where the log is the web server's own) `s-ip` |
//! | `bytes_up` / `bytes_down` | `cs-bytes` (client → proxy) / `sc-bytes` (proxy → client) |
//! | `content_type` | `rs(Content-Type)` / `sc(Content-Type)`, percent-decoded |
//! | `user_agent`, `referer` | `cs(User-Agent)` (W3C: `+` read as space when the value has no space, as IIS writes it), `cs(Referer)` |
//! | `category` | `cs-categories` (already `;`-separated) |
//! | `verdict` | see below |
//!
//! ## Verdict
//! * `sc-status` 407, an `x-exception-id` starting with `authentication`, or
//!   `s-action` `TCP_AUTH_REDIRECT` → [`Verdict::AuthRequired`];
//! * `x-exception-id` naming a technical failure (`dns_unresolved_hostname`,
//!   `dns_server_failure`, `tcp_error`, `gateway_error`, `gateway_timeout`,
//!   `internal_error`, `invalid_request`, `unsupported_protocol`, …) or
//!   `s-action` `TCP_ERR_MISS` → [`Verdict::Error`];
//! * `sc-filter-result` `DENIED` → [`Verdict::Block`]; `OBSERVED` / `PROXIED` → [`Verdict::Pass`];
//! * with no `sc-filter-result`: an `s-action` containing `DENIED` → `Block`,
//!   any other action → `Pass`; no action either (a plain IIS log) → null.
//!
//! ```
//! use kensa_formats::{elff::ElffParser, LineParser, ParseOptions, Parsed};
//! use kensa_model::{SourceFormat, Verdict};
//! let mut p = ElffParser::new(SourceFormat::ProxySgElff, &ParseOptions::default()).unwrap();
//! assert!(matches!(p.parse_line("#Fields: date time c-ip sc-filter-result cs-host cs-bytes"), Parsed::Skip));
//! let Parsed::Record(r) = p.parse_line(r#"2024-03-22 16:16:01 10.0.0.5 DENIED "Evil.Example" 512"#) else { panic!() };
//! assert_eq!(r.ts_ms, 1_711_124_161_000);
//! assert_eq!(r.host.as_deref(), Some("evil.example"));
//! assert_eq!(r.bytes_up, Some(512));
//! assert_eq!(r.verdict, Some(Verdict::Block));
//! ```

mod fields;
pub(crate) mod lex;

use std::borrow::Cow;
use std::net::IpAddr;

use kensa_model::{
    Reject, RejectReason, SourceFormat, Verdict, WebRecord, default_port, plausible_ts, split_url,
};

use crate::{FormatError, LineParser, MAX_LINE_LEN, ParseOptions, Parsed};
use fields::Slot;
pub use lex::decode_text;
use lex::{Tok, TokOpts, dash, tok_text};

const TOK: TokOpts = TokOpts {
    quote_escapes: true,
    brackets: false,
};
/// With a `localtime`/`gmttime` column, whose `[… +0900]` holds a space.
const TOK_BRACKETS: TokOpts = TokOpts {
    quote_escapes: true,
    brackets: true,
};

/// Parser for W3C extended and ProxySG ELFF lines (header-driven or preset).
pub struct ElffParser {
    format: SourceFormat,
    /// Slot of each column; empty until a header (or preset) gives one.
    map: Vec<Slot>,
    /// Rows need at least this many values (presets only; 0 with a header).
    min_values: usize,
    /// Column of `cs(Referer)` when the header lacks `cs(User-Agent)` right
    /// before `sc-filter-result` (see the module docs).
    ua_repair: Option<usize>,
    /// Column of `sc-filter-result`, for the sniffer's strict check.
    filter_col: Option<usize>,
    /// Sniffing: reject rows whose `sc-filter-result` is not a known value.
    strict: bool,
    /// The `#Fields:` line was tab-separated (Microsoft ISA/Forefront TMG):
    /// rows are split on single tabs, and values may hold unquoted spaces.
    tabs: bool,
    /// A column is a bracketed NCSA time (`localtime`, `gmttime`), so
    /// `[…]` groups one value.
    brackets: bool,
    toks: Vec<Tok>,
}

impl ElffParser {
    /// Builds a parser for one of the ELFF formats (`ProxySgElff`, `W3c`,
    /// `ProxySgMain`, `ProxySgBcreportermainV1`).
    pub fn new(format: SourceFormat, _opts: &ParseOptions) -> Result<Self, FormatError> {
        let mut p = ElffParser {
            format,
            map: Vec::new(),
            min_values: 0,
            ua_repair: None,
            filter_col: None,
            strict: false,
            tabs: false,
            brackets: false,
            toks: Vec::with_capacity(64),
        };
        match format {
            SourceFormat::ProxySgElff | SourceFormat::W3c => {}
            SourceFormat::ProxySgMain => {
                p.set_fields(fields::MAIN.iter().copied());
                p.min_values = fields::MAIN_MIN;
            }
            SourceFormat::ProxySgBcreportermainV1 => {
                p.set_fields(fields::BCREPORTERMAIN_V1.iter().copied());
                p.min_values = fields::BCREPORTERMAIN_V1_MIN;
            }
            other => {
                return Err(FormatError::InvalidOption {
                    what: "format",
                    detail: format!("{other} is not an ELFF/W3C format"),
                });
            }
        }
        Ok(p)
    }

    fn set_fields<'n>(&mut self, names: impl Iterator<Item = &'n str>) {
        self.map.clear();
        let mut sg = false;
        for n in names {
            sg |= fields::is_proxysg_field(n);
            self.map.push(fields::slot_for(n));
        }
        if sg && self.format == SourceFormat::W3c {
            self.format = SourceFormat::ProxySgElff;
        }
        self.filter_col = self.map.iter().position(|s| *s == Slot::FilterResult);
        self.brackets = self.map.contains(&Slot::ClfTime);
        self.ua_repair = None;
        if !self.map.contains(&Slot::UserAgent)
            && let Some(r) = self.map.iter().position(|s| *s == Slot::Referer)
            && self.map.get(r + 1) == Some(&Slot::FilterResult)
        {
            self.ua_repair = Some(r);
        }
    }

    fn directive<'a>(&mut self, body: &str) -> Parsed<'a> {
        let (name, value) = match body.find(':') {
            Some(i) => (body[..i].trim(), &body[i + 1..]),
            None => (body.trim(), ""),
        };
        if name.eq_ignore_ascii_case("fields") {
            self.set_fields(value.split_ascii_whitespace());
            self.min_values = 0;
            self.tabs = value.trim().contains('\t');
        } else if name.eq_ignore_ascii_case("software")
            && value.trim_start().starts_with("SGOS")
            && self.format == SourceFormat::W3c
        {
            self.format = SourceFormat::ProxySgElff;
        }
        Parsed::Skip
    }

    fn record<'a>(&mut self, line: &'a str) -> Result<WebRecord<'a>, Reject> {
        if self.tabs {
            tab_split(line, &mut self.toks);
        } else if let Err(u) = lex::tokenize(line, if self.brackets { TOK_BRACKETS } else { TOK }, &mut self.toks) {
            return Err(Reject::new(
                RejectReason::UnterminatedQuote,
                format!("quote opened at byte {} is never closed", u.at),
            ));
        }
        if self.toks.len() < self.min_values {
            return Err(Reject::new(
                RejectReason::FieldCount,
                format!(
                    "{} values, the {} preset needs at least {}",
                    self.toks.len(),
                    self.format,
                    self.min_values
                ),
            ));
        }
        // The missing-User-Agent repair: decide per row (see module docs).
        let mut shift_after = usize::MAX;
        if let Some(r) = self.ua_repair
            && self.toks.len() > self.map.len()
        {
            let at = |i: usize| self.toks.get(i).map(|t| tok_text(line, *t));
            if !at(r + 1).is_some_and(|v| is_filter_result(&v))
                && at(r + 2).is_some_and(|v| is_filter_result(&v))
            {
                shift_after = r + 1;
            }
        }
        let mut raw = Raw::default();
        for (i, t) in self.toks.iter().enumerate() {
            let slot = if i < shift_after {
                self.map.get(i)
            } else if i == shift_after {
                Some(&Slot::UserAgent)
            } else {
                self.map.get(i - 1)
            };
            let Some(&slot) = slot else { break };
            if slot == Slot::Ignore {
                continue;
            }
            raw.set(slot, dash(tok_text(line, *t)));
        }
        if self.strict {
            let ok =
                self.filter_col.is_some() && raw.filter.as_deref().is_some_and(is_filter_result);
            if !ok {
                return Err(Reject::new(
                    RejectReason::Malformed,
                    "sc-filter-result is not OBSERVED/PROXIED/DENIED",
                ));
            }
        }
        raw.finish(self.format)
    }
}

impl LineParser for ElffParser {
    fn format(&self) -> SourceFormat {
        self.format
    }

    fn parse_line<'a>(&mut self, line: &'a str) -> Parsed<'a> {
        if line.len() > MAX_LINE_LEN {
            return Parsed::Reject(Reject::new(
                RejectReason::TooLong,
                format!("{} bytes", line.len()),
            ));
        }
        let line = crate::text::strip_syslog_header(line.trim_end_matches(['\r', '\n']));
        let trimmed = line.trim_start_matches([' ', '\t']);
        if trimmed.is_empty() {
            return Parsed::Skip;
        }
        if let Some(body) = trimmed.strip_prefix('#') {
            return self.directive(body);
        }
        if self.map.is_empty() {
            return Parsed::Reject(Reject::new(
                RejectReason::NoHeader,
                "data line before any #Fields: header",
            ));
        }
        match self.record(trimmed) {
            Ok(r) => Parsed::Record(r),
            Err(e) => Parsed::Reject(e),
        }
    }
}

/// One value per tab (an empty value between two tabs is a column too);
/// a value wholly in double quotes loses them.
fn tab_split(line: &str, out: &mut Vec<Tok>) {
    out.clear();
    let b = line.as_bytes();
    let mut start = 0;
    for end in memchr::memchr_iter(b'\t', b).chain(std::iter::once(b.len())) {
        let (mut s, mut e) = (start, end);
        while s < e && b[s] == b' ' {
            s += 1;
        }
        while e > s && b[e - 1] == b' ' {
            e -= 1;
        }
        let mut flags = 0;
        if e - s >= 2 && b[s] == b'"' && b[e - 1] == b'"' {
            (s, e, flags) = (s + 1, e - 1, lex::QUOTED);
        }
        out.push(Tok {
            start: s,
            end: e,
            flags,
        });
        start = end + 1;
    }
}

fn is_filter_result(v: &str) -> bool {
    ["OBSERVED", "PROXIED", "DENIED"]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(v))
}

/// The raw values of one row, by slot.
#[derive(Default)]
struct Raw<'a> {
    date: Option<Cow<'a, str>>,
    time: Option<Cow<'a, str>>,
    taken: Option<Cow<'a, str>>,
    unix: Option<Cow<'a, str>>,
    clf: Option<Cow<'a, str>>,
    client_ip: Option<Cow<'a, str>>,
    client_port: Option<Cow<'a, str>>,
    user: Option<Cow<'a, str>>,
    server_ip: Option<Cow<'a, str>>,
    supplier: Option<Cow<'a, str>>,
    local_ip: Option<Cow<'a, str>>,
    status: Option<Cow<'a, str>>,
    action: Option<Cow<'a, str>>,
    filter: Option<Cow<'a, str>>,
    exception: Option<Cow<'a, str>>,
    method: Option<Cow<'a, str>>,
    content_type: Option<Cow<'a, str>>,
    scheme: Option<Cow<'a, str>>,
    host: Option<Cow<'a, str>>,
    host_header: Option<Cow<'a, str>>,
    port: Option<Cow<'a, str>>,
    server_port: Option<Cow<'a, str>>,
    path: Option<Cow<'a, str>>,
    query: Option<Cow<'a, str>>,
    uri: Option<Cow<'a, str>>,
    user_agent: Option<Cow<'a, str>>,
    referer: Option<Cow<'a, str>>,
    bytes_down: Option<Cow<'a, str>>,
    bytes_up: Option<Cow<'a, str>>,
    categories: Option<Cow<'a, str>>,
    hierarchy: Option<Cow<'a, str>>,
    action_status: Option<Cow<'a, str>>,
}

impl<'a> Raw<'a> {
    fn set(&mut self, slot: Slot, v: Option<Cow<'a, str>>) {
        let f = match slot {
            Slot::Ignore => return,
            Slot::Date => &mut self.date,
            Slot::Time => &mut self.time,
            Slot::TimeTaken => &mut self.taken,
            Slot::TimestampUnix => &mut self.unix,
            Slot::ClfTime => &mut self.clf,
            Slot::ClientIp => &mut self.client_ip,
            Slot::ClientPort => &mut self.client_port,
            Slot::User => &mut self.user,
            Slot::ServerIp => &mut self.server_ip,
            Slot::SupplierName => &mut self.supplier,
            Slot::LocalIp => &mut self.local_ip,
            Slot::Status => &mut self.status,
            Slot::Action => &mut self.action,
            Slot::FilterResult => &mut self.filter,
            Slot::ExceptionId => &mut self.exception,
            Slot::Method => &mut self.method,
            Slot::ContentType => &mut self.content_type,
            Slot::Scheme => &mut self.scheme,
            Slot::Host => &mut self.host,
            Slot::HostHeader => &mut self.host_header,
            Slot::Port => &mut self.port,
            Slot::ServerPort => &mut self.server_port,
            Slot::Path => &mut self.path,
            Slot::Query => &mut self.query,
            Slot::Uri => &mut self.uri,
            Slot::UserAgent => &mut self.user_agent,
            Slot::Referer => &mut self.referer,
            Slot::BytesDown => &mut self.bytes_down,
            Slot::BytesUp => &mut self.bytes_up,
            Slot::Categories => &mut self.categories,
            Slot::Hierarchy => &mut self.hierarchy,
            Slot::ActionStatus => &mut self.action_status,
        };
        *f = v;
    }

    fn finish(mut self, format: SourceFormat) -> Result<WebRecord<'a>, Reject> {
        // `TCP_MISS/200` fills the action and status that have no column.
        if let Some((a, st)) = self.action_status.take().and_then(split_slash) {
            self.action = self.action.or_else(|| dash(a));
            self.status = self.status.or_else(|| dash(st));
        }
        let ts_ms = timestamp(
            self.date.as_deref(),
            self.time.as_deref(),
            self.unix.as_deref(),
            self.clf.as_deref(),
        )?;
        let duration_ms = match self.taken.as_deref() {
            None => None,
            Some(v) => Some(time_taken(v).ok_or_else(|| bad_number("time-taken", v))?),
        };
        // ISA/Forefront TMG logs a Windows or WinINet error code in place of
        // the HTTP status when the request failed (`10060`, `12209`): no
        // response was sent, so that is no status, not a bad line.
        let status: Option<u32> = number(self.status.as_deref(), "sc-status")?;
        let status = status.filter(|s| *s != 0 && *s <= 999).map(|s| s as u16);
        let bytes_up = number(self.bytes_up.as_deref(), "cs-bytes")?;
        let bytes_down = number(self.bytes_down.as_deref(), "sc-bytes")?;
        let client_port = number(self.client_port.as_deref(), "c-port")?;
        let mut port: Option<u16> = number(self.port.as_deref(), "cs-uri-port")?;
        if port.is_none() {
            port = number(self.server_port.as_deref(), "s-port")?;
        }

        let mut scheme = self.scheme;
        let mut host = self.host;
        let mut path = self.path;
        let mut query = self.query.map(|q| match q {
            Cow::Borrowed(s) => Cow::Borrowed(s.strip_prefix('?').unwrap_or(s)),
            Cow::Owned(s) => Cow::Owned(s.strip_prefix('?').unwrap_or(&s).to_owned()),
        });
        let query_empty = query.as_deref() == Some("");
        if query_empty {
            query = None;
        }
        if host.is_none()
            && let Some(h) = self.host_header
        {
            let (hh, hp) = split_host_port(h);
            host = Some(hh);
            port = port.or(hp);
        }
        if let Some(uri) = self.uri.as_deref() {
            let u = split_url(uri);
            // The parts borrow from `uri`; copy only the ones still missing.
            let own = |s: Option<&str>| s.map(|s| Cow::Owned(s.to_owned()));
            if scheme.is_none() {
                scheme = own(u.scheme);
            }
            if host.is_none() {
                host = own(u.host);
            }
            if path.is_none() {
                path = own(u.path);
            }
            if query.is_none() {
                query = own(u.query);
            }
            port = port.or(u.port);
        }
        // An IPv6 literal may be logged as in a Host header, `[2001:db8::1]`;
        // hosts are kept without brackets in every format.
        let host = host
            .map(|h| match h {
                Cow::Borrowed(s) => Cow::Borrowed(unbracket(s)),
                Cow::Owned(s) => match unbracket(&s) {
                    u if u.len() == s.len() => Cow::Owned(s),
                    u => Cow::Owned(u.to_owned()),
                },
            })
            .map(lex::lower);
        if port.is_none() {
            port = scheme.as_deref().and_then(default_port);
        }
        let method = self.method;
        let url = match self.uri {
            Some(u) => Some(u),
            None => rebuild_url(
                scheme.as_deref(),
                host.as_deref(),
                port,
                path.as_deref(),
                query.as_deref(),
                method.as_deref(),
            )
            .map(Cow::Owned),
        };
        let server_ip = self
            .server_ip
            .or_else(|| self.supplier.filter(|s| s.parse::<IpAddr>().is_ok()))
            .or_else(|| {
                if format == SourceFormat::W3c {
                    self.local_ip
                } else {
                    None
                }
            });
        let verdict = verdict(
            self.filter.as_deref(),
            self.exception.as_deref(),
            self.action.as_deref(),
            status,
        );
        let user_agent = match self.user_agent {
            Some(Cow::Borrowed(s))
                if format == SourceFormat::W3c && !s.contains(' ') && s.contains('+') =>
            {
                Some(Cow::Owned(s.replace('+', " ")))
            }
            other => other,
        };
        let content_type = self.content_type.map(|c| match c {
            Cow::Borrowed(s) => decode_text(s, false),
            Cow::Owned(s) => Cow::Owned(decode_text(&s, false).into_owned()),
        });
        Ok(WebRecord {
            ts_ms,
            duration_ms,
            client_ip: self.client_ip,
            client_port,
            user: self.user,
            method,
            scheme,
            host,
            port,
            path,
            query,
            url,
            status,
            action: self.action,
            hierarchy: self.hierarchy,
            server_ip,
            sni: None,
            bytes_up,
            bytes_down,
            content_type,
            referer: self.referer,
            user_agent,
            category: self.categories,
            verdict,
        })
    }
}

/// Keeps attacker-controlled text in reject details short.
pub(crate) fn clip(s: &str) -> &str {
    match s.char_indices().nth(64) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

pub(crate) fn bad_number(field: &str, v: &str) -> Reject {
    Reject::new(
        RejectReason::BadNumber,
        format!("{field} {:?} is not a valid number", clip(v)),
    )
}

fn number<T: std::str::FromStr>(v: Option<&str>, field: &str) -> Result<Option<T>, Reject> {
    match v {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| bad_number(field, s)),
    }
}

fn time_taken(v: &str) -> Option<i64> {
    if v.contains('.') {
        let secs: f64 = v.parse().ok()?;
        (secs.is_finite() && (0.0..1e9).contains(&secs)).then(|| (secs * 1000.0).round() as i64)
    } else {
        v.parse::<u32>().ok().map(i64::from)
    }
}

fn timestamp(date: Option<&str>, time: Option<&str>, unix: Option<&str>, clf: Option<&str>) -> Result<i64, Reject> {
    let ts = match (date, time) {
        (Some(d), Some(t)) => {
            let day = lex::parse_ymd(d).and_then(|(y, m, dd)| lex::day_ms(y, m, dd));
            let Some(day) = day else {
                return Err(Reject::new(
                    RejectReason::BadTimestamp,
                    format!("date {:?} is not YYYY-MM-DD", clip(d)),
                ));
            };
            let Some(t) = lex::parse_hms_ms(t) else {
                return Err(Reject::new(
                    RejectReason::BadTimestamp,
                    format!("time {:?} is not HH:MM:SS", clip(t)),
                ));
            };
            day + t
        }
        _ => match unix {
            Some(u) => match u.parse::<f64>() {
                Ok(s) if s.is_finite() && s.abs() < 1e13 => (s * 1000.0).round() as i64,
                _ => {
                    return Err(Reject::new(
                        RejectReason::BadTimestamp,
                        format!("x-timestamp-unix {:?}", clip(u)),
                    ));
                }
            },
            None => match clf {
                // `[20/Nov/2026:09:00:01 +0900]`; `gmttime` may end in `GMT`.
                Some(c) => {
                    let c = c.trim_matches(|ch| ch == '[' || ch == ']');
                    let fixed;
                    let c = match c.strip_suffix(" GMT").or_else(|| c.strip_suffix(" UTC")) {
                        Some(head) => {
                            fixed = format!("{head} +0000");
                            fixed.as_str()
                        }
                        None => c,
                    };
                    crate::text::parse_clf_time(c).ok_or_else(|| {
                        Reject::new(
                            RejectReason::BadTimestamp,
                            format!("localtime {:?} is not [dd/Mon/yyyy:HH:MM:SS +zzzz]", clip(c)),
                        )
                    })?
                }
                None => {
                    return Err(Reject::new(
                        RejectReason::BadTimestamp,
                        "no date and time values in this row",
                    ));
                }
            },
        },
    };
    if !plausible_ts(ts) {
        return Err(Reject::new(
            RejectReason::BadTimestamp,
            format!("{ts} ms is outside 2000..2100"),
        ));
    }
    Ok(ts)
}

/// `CODE/STATUS` → (`CODE`, `STATUS`).
fn split_slash(c: Cow<'_, str>) -> Option<(Cow<'_, str>, Cow<'_, str>)> {
    match c {
        Cow::Borrowed(s) => s
            .split_once('/')
            .map(|(a, b)| (Cow::Borrowed(a), Cow::Borrowed(b))),
        Cow::Owned(s) => s
            .split_once('/')
            .map(|(a, b)| (Cow::Owned(a.to_owned()), Cow::Owned(b.to_owned()))),
    }
}

/// `[v6]` → `v6`; anything else unchanged.
fn unbracket(s: &str) -> &str {
    s.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(s)
}

fn split_host_port(h: Cow<'_, str>) -> (Cow<'_, str>, Option<u16>) {
    let u = split_url(&h);
    match (u.host, u.port) {
        (Some(hh), p) if hh.len() != h.len() => {
            let owned = hh.to_owned();
            (Cow::Owned(owned), p)
        }
        _ => (h, None),
    }
}

fn rebuild_url(
    scheme: Option<&str>,
    host: Option<&str>,
    port: Option<u16>,
    path: Option<&str>,
    query: Option<&str>,
    method: Option<&str>,
) -> Option<String> {
    use std::fmt::Write;
    let host = host?;
    let mut s = String::with_capacity(
        host.len() + path.map_or(1, str::len) + query.map_or(0, |q| q.len() + 1) + 16,
    );
    let bracket = host.contains(':');
    let tunnel = method.is_some_and(|m| m.eq_ignore_ascii_case("CONNECT"))
        || scheme.is_some_and(|s| s.eq_ignore_ascii_case("tcp") || s.eq_ignore_ascii_case("ssl"));
    let push_host = |s: &mut String| {
        if bracket {
            s.push('[');
            s.push_str(host);
            s.push(']');
        } else {
            s.push_str(host);
        }
    };
    if tunnel {
        push_host(&mut s);
        if let Some(p) = port {
            let _ = write!(s, ":{p}");
        }
        return Some(s);
    }
    let scheme = scheme?;
    s.push_str(scheme);
    s.push_str("://");
    push_host(&mut s);
    if let Some(p) = port
        && default_port(scheme) != Some(p)
    {
        let _ = write!(s, ":{p}");
    }
    s.push_str(path.unwrap_or("/"));
    if let Some(q) = query {
        s.push('?');
        s.push_str(q);
    }
    Some(s)
}

/// Exception ids that mean the request failed for a technical reason.
const ERROR_EXCEPTIONS: &[&str] = &[
    "dns_unresolved_hostname",
    "dns_server_failure",
    "tcp_error",
    "gateway_error",
    "gateway_timeout",
    "internal_error",
    "invalid_request",
    "invalid_response",
    "unsupported_protocol",
    "unsupported_encoding",
    "server_request_limit_exceeded",
    "connect_method_denied",
];

fn verdict(
    filter: Option<&str>,
    exception: Option<&str>,
    action: Option<&str>,
    status: Option<u16>,
) -> Option<Verdict> {
    let exception = exception.filter(|e| !e.eq_ignore_ascii_case("none"));
    let auth = status == Some(407)
        || exception
            .is_some_and(|e| e.len() >= 14 && e[..14].eq_ignore_ascii_case("authentication"))
        || action.is_some_and(|a| a.eq_ignore_ascii_case("TCP_AUTH_REDIRECT"));
    if auth {
        return Some(Verdict::AuthRequired);
    }
    let error = exception
        .is_some_and(|e| ERROR_EXCEPTIONS.iter().any(|k| k.eq_ignore_ascii_case(e)))
        || action.is_some_and(|a| a.eq_ignore_ascii_case("TCP_ERR_MISS"));
    if error {
        return Some(Verdict::Error);
    }
    match filter {
        Some(f) if f.eq_ignore_ascii_case("DENIED") => Some(Verdict::Block),
        Some(f) if f.eq_ignore_ascii_case("OBSERVED") || f.eq_ignore_ascii_case("PROXIED") => {
            Some(Verdict::Pass)
        }
        _ => action.map(|a| {
            if a.to_ascii_uppercase().contains("DENIED") {
                Verdict::Block
            } else {
                Verdict::Pass
            }
        }),
    }
}

/// Scores how well `lines` fit an ELFF format: the percentage (0–100) of the
/// non-blank, non-directive lines that parse. With a `#Fields:` header in the
/// sample the header decides (`ProxySgElff` when it names ProxySG fields,
/// else `W3c`; a sample of directives only scores 100). Without one, the
/// headerless presets are tried with a strict check that `sc-filter-result`
/// sits where the preset puts it, so the two 25+-column orders are never told
/// apart by column count alone. Never returns a score below 50.
pub fn sniff(lines: &[&str]) -> Option<(SourceFormat, u32)> {
    let has_header = lines.iter().any(|l| {
        let l = crate::text::strip_syslog_header(l).trim_start();
        l.get(..8)
            .is_some_and(|h| h.eq_ignore_ascii_case("#fields:"))
    });
    let candidates: &[SourceFormat] = if has_header {
        &[SourceFormat::W3c]
    } else {
        &[
            SourceFormat::ProxySgBcreportermainV1,
            SourceFormat::ProxySgMain,
        ]
    };
    let mut best: Option<(SourceFormat, u32)> = None;
    for &f in candidates {
        let Ok(mut p) = ElffParser::new(f, &ParseOptions::default()) else {
            continue;
        };
        p.strict = !has_header;
        let (mut data, mut ok) = (0u32, 0u32);
        for l in lines {
            let stripped = crate::text::strip_syslog_header(l).trim();
            if stripped.is_empty() || stripped.starts_with('#') {
                let _ = p.parse_line(l);
                continue;
            }
            data += 1;
            if let Parsed::Record(_) = p.parse_line(l) {
                ok += 1;
            }
        }
        let score = (ok * 100)
            .checked_div(data)
            .unwrap_or(if has_header { 100 } else { 0 });
        if score >= 50 && best.is_none_or(|(_, b)| score > b) {
            best = Some((p.format(), score));
        }
    }
    best
}

#[cfg(test)]
mod tests;
