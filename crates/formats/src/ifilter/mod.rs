//! Digital Arts i-FILTER access and block logs.
//!
//! [`IfilterParser`] reads four layouts (field notes: `shared/formats/ifilter.md`):
//!
//! | format | columns | notes |
//! |---|---|---|
//! | [`SourceFormat::IfilterV10Access`] | 35 | Ver.10 / D-SPA Ver.4 default access log |
//! | [`SourceFormat::IfilterDspaAccess`] | 29 | D-SPA Ver.1/2; the request line, quoted referer and UA are glued (`…HTTP/1.1""-"Mozilla%2F4.0`) |
//! | [`SourceFormat::IfilterBlock`] | 17 | `block.log000N`; unbracketed start time, last column a threat name |
//! | [`SourceFormat::IfilterCustom`] | any | the user's column mapping ([`ParseOptions::ifilter_mapping`]) |
//!
//! Column numbers are the vendor's: the output time counts as 3 columns,
//! the start time as 2, the request line as 3. Values are split on runs of
//! spaces (so `Oct  1` and `Oct 01` both read), `"quoted"` and `[bracketed]`
//! values are single columns, and a closing quote always ends a column.
//! Preset lines must have exactly the layout's columns; anything else is a
//! `field_count` reject naming the column where the line ran out.
//!
//! ## Time
//! * The access **start** time (`[17/Oct/2024:09:00:02 +0900]`) is the event
//!   time `ts_ms` when the layout has it (it carries its own offset, and it
//!   is what packet captures line up with); otherwise the output time is.
//! * The output time (`Oct 17 09:00:15`) has no year and no zone. Its zone is
//!   the start time's offset on the same line, else `--tz`
//!   ([`ParseOptions::tz`]), else the mapping's `time_zone`, else
//!   Asia/Tokyo. Its year is taken from the start time (a December start
//!   with a January output is next year); without a start time, from the
//!   previous line (a month going back by more than six, Dec → Jan, adds a
//!   year); for the first such line, from [`ParseOptions::year`]; with none
//!   of these the line is rejected `bad_timestamp`.
//! * `duration_ms` = output − start when both are present and not negative
//!   (whole seconds: both are logged to the second).
//!
//! ## Fields
//! * `client_ip`: the client column (X-Forwarded-For value in XFF mode),
//!   else the directly connected peer. `server_ip`: the destination
//!   (`IP[:port]`, port dropped), else the upstream proxy.
//! * `method`, `url`, `scheme`, `host`, `port`, `path`, `query` come from the
//!   request line (or the block log's URL) **as the client sent it**:
//!   percent-escapes in the URL are kept, like every other format, so IOC
//!   matching works on the raw URL. [`decode_text`] shows them as text
//!   (`q=%8B%40%96%A7` → `q=機密`).
//! * `referer` is kept as logged (a URL, like the request URL).
//! * `user`, `user_agent`, `content_type` are i-FILTER-encoded (`+` = space,
//!   `%XX` bytes); they are decoded as UTF-8, falling back to CP932.
//! * `category`: all matched category numbers, `/` turned into `;`
//!   (`87/127` → `87;127`), else the single matched category.
//! * `action`: as logged (`pass`, `block`). `verdict`: HTTP 407 →
//!   `AuthRequired`; `block`/`deny` → `Block`; `pass`/`allow` → `Pass`;
//!   `warn`/`warning` → `Warn`; anything else → null.
//! * The group, client host name and threat name are read but kensa's record
//!   has no column for them yet.
//!
//! ## Custom mapping
//! `ifilter_mapping` is TOML: column number (1-based, the vendor's numbering)
//! = field. Unlisted columns are skipped as single columns, so a field that
//! spans several columns (`output_time`, `start_time`, `request`) must be
//! listed when present. Fields: `output_time`, `start_time`, `client_ip`,
//! `source_ip`, `client_host`, `user`, `group`, `server`, `upstream`,
//! `status`, `bytes_up`, `bytes_down`, `action`, `category`, `categories`,
//! `request`, `method`, `url`, `referer`, `user_agent`, `content_type`,
//! `threat`, `skip`. Any mistake is a [`FormatError::InvalidOption`].
//!
//! ```toml
//! separator = "space"        # or "tab": one column per tab field, spaces allowed inside
//! time_zone = "Asia/Tokyo"   # times without an offset (--tz wins over this)
//! column_count = 12          # optional: lines must have exactly this many columns;
//!                            # without it, extra trailing columns are ignored
//! [columns]
//! 1 = "output_time"          # Oct 17 09:00:03   (columns 1-3)
//! 4 = "client_ip"
//! 5 = "user"
//! 6 = "status"
//! 7 = "bytes_up"
//! 8 = "bytes_down"
//! 9 = "action"
//! 10 = "request"             # "GET http://… HTTP/1.1"   (columns 10-12)
//! ```
//!
//! ```
//! use kensa_formats::{ifilter::IfilterParser, LineParser, ParseOptions, Parsed};
//! use kensa_model::{SourceFormat, Verdict};
//! let opts = ParseOptions { ifilter_mapping: Some(r#"
//!     [columns]
//!     1 = "output_time"
//!     4 = "client_ip"
//!     5 = "action"
//!     6 = "url"
//! "#.into()), year: Some(2024), ..Default::default() };
//! let mut p = IfilterParser::new(SourceFormat::IfilterCustom, &opts).unwrap();
//! let Parsed::Record(r) = p.parse_line("Oct 17 09:00:03 10.0.0.5 block http://Bad.example/x") else { panic!() };
//! assert_eq!(r.ts_ms, 1_729_123_203_000); // 2024-10-17 00:00:03 UTC (Asia/Tokyo by default)
//! assert_eq!(r.host.as_deref(), Some("bad.example"));
//! assert_eq!(r.verdict, Some(Verdict::Block));
//! ```

mod layout;

use std::borrow::Cow;

use chrono::TimeZone;
use kensa_model::{
    Reject, RejectReason, SourceFormat, Verdict, WebRecord, plausible_ts, split_url,
};

pub use crate::elff::decode_text;
use crate::elff::lex::{self, BRACKETED, QUOTED, Tok, TokOpts};
use crate::elff::{bad_number, clip};
use crate::{FormatError, LineParser, MAX_LINE_LEN, ParseOptions, Parsed};
use layout::{Col, Layout};

const TOK: TokOpts = TokOpts {
    quote_escapes: false,
    brackets: true,
};

/// Parser for i-FILTER access/block log lines.
pub struct IfilterParser {
    format: SourceFormat,
    layout: Layout,
    /// Zone for times without an offset.
    tz: chrono_tz::Tz,
    /// Year of the first output time when nothing else tells it.
    year: Option<i32>,
    /// (year, month) of the previous line's output time, for rollover.
    last: Option<(i32, u32)>,
    toks: Vec<Tok>,
}

impl IfilterParser {
    /// Builds a parser for one of the i-FILTER layouts. `IfilterCustom`
    /// needs `opts.ifilter_mapping` (see the module docs).
    pub fn new(format: SourceFormat, opts: &ParseOptions) -> Result<Self, FormatError> {
        let layout = match format {
            SourceFormat::IfilterCustom => {
                let Some(m) = opts.ifilter_mapping.as_deref() else {
                    return Err(FormatError::InvalidOption {
                        what: "ifilter_mapping",
                        detail: "ifilter-custom needs a column mapping".into(),
                    });
                };
                Layout::custom(m)?
            }
            f => Layout::preset(f).ok_or_else(|| FormatError::InvalidOption {
                what: "format",
                detail: format!("{f} is not an i-FILTER format"),
            })?,
        };
        let tz = opts.tz.or(layout.tz).unwrap_or(chrono_tz::Asia::Tokyo);
        Ok(IfilterParser {
            format,
            layout,
            tz,
            year: opts.year,
            last: None,
            toks: Vec::with_capacity(40),
        })
    }

    fn split(&mut self, line: &str) -> Result<(), Reject> {
        if self.layout.tab {
            self.toks.clear();
            let mut start = 0;
            for end in
                memchr::memchr_iter(b'\t', line.as_bytes()).chain(std::iter::once(line.len()))
            {
                let mut t = Tok {
                    start,
                    end,
                    flags: 0,
                };
                let s = &line.as_bytes()[start..end];
                if s.len() >= 2 && s[0] == b'"' && s[s.len() - 1] == b'"' {
                    t = Tok {
                        start: start + 1,
                        end: end - 1,
                        flags: QUOTED,
                    };
                } else if s.len() >= 2 && s[0] == b'[' && s[s.len() - 1] == b']' {
                    t = Tok {
                        start: start + 1,
                        end: end - 1,
                        flags: BRACKETED,
                    };
                }
                self.toks.push(t);
                start = end + 1;
            }
            return Ok(());
        }
        lex::tokenize(line, TOK, &mut self.toks).map_err(|u| {
            let r = if u.what == '"' {
                RejectReason::UnterminatedQuote
            } else {
                RejectReason::Malformed
            };
            Reject::new(
                r,
                format!("{:?} opened at byte {} is never closed", u.what, u.at),
            )
        })
    }

    /// Walks the layout over the tokens, collecting the values.
    fn collect<'a>(&self, line: &'a str) -> Result<Raw<'a>, Reject> {
        let toks = &self.toks;
        let mut raw = Raw::default();
        let mut i = 0usize;
        let short = |col: u16| {
            Reject::new(
                RejectReason::FieldCount,
                format!(
                    "line ends before column {col} of the {} layout",
                    self.format
                ),
            )
        };
        let span = |a: usize, b: usize| line.get(toks[a].start..toks[b].end).unwrap_or("");
        for &(col, num) in &self.layout.cols {
            let Some(t) = toks.get(i) else {
                return Err(short(num));
            };
            // How many tokens this column takes.
            let n = if self.layout.tab {
                1
            } else {
                match col {
                    Col::OutputTime => 3,
                    Col::StartTime if t.flags & BRACKETED == 0 => 2,
                    Col::Request if t.flags & QUOTED == 0 => 3,
                    _ => 1,
                }
            };
            if i + n > toks.len() {
                return Err(short(num));
            }
            let v = if n == 1 {
                line.get(t.start..t.end).unwrap_or("")
            } else {
                span(i, i + n - 1)
            };
            i += n;
            let v = if v.is_empty() || v == "-" {
                None
            } else {
                Some(v)
            };
            match col {
                Col::Skip | Col::Group | Col::ClientHost | Col::Threat => {}
                Col::OutputTime => raw.output = v,
                Col::StartTime => raw.start = v,
                Col::Upstream => raw.upstream = v,
                Col::Server => raw.server = v,
                Col::SourceIp => raw.source_ip = v,
                Col::ClientIp => raw.client_ip = v,
                Col::User => raw.user = v,
                Col::Status => raw.status = v,
                Col::BytesUp => raw.bytes_up = v,
                Col::BytesDown => raw.bytes_down = v,
                Col::Action => raw.action = v,
                Col::Category => raw.category = v,
                Col::Categories => raw.categories = v,
                Col::Request => raw.request = v,
                Col::Method => raw.method = v,
                Col::Url => raw.url = v,
                Col::Referer => raw.referer = v,
                Col::UserAgent => raw.user_agent = v,
                Col::ContentType => raw.content_type = v,
            }
        }
        if let Some(n) = self.layout.exact
            && i < toks.len()
        {
            return Err(Reject::new(
                RejectReason::FieldCount,
                format!(
                    "{} more values after column {n} of the {} layout",
                    toks.len() - i,
                    self.format
                ),
            ));
        }
        Ok(raw)
    }

    /// Local civil time → UTC ms in the parser's zone.
    fn local_to_utc(&self, y: i32, m: u32, d: u32, ms: i64) -> Option<i64> {
        let midnight = chrono::NaiveDate::from_ymd_opt(y, m, d)?.and_hms_opt(0, 0, 0)?;
        let naive = midnight.checked_add_signed(chrono::TimeDelta::try_milliseconds(ms)?)?;
        Some(
            self.tz
                .from_local_datetime(&naive)
                .earliest()?
                .timestamp_millis(),
        )
    }

    fn finish<'a>(&mut self, raw: Raw<'a>) -> Result<WebRecord<'a>, Reject> {
        let start = match raw.start {
            None => None,
            Some(s) => Some(parse_clf(s).ok_or_else(|| {
                Reject::new(
                    RejectReason::BadTimestamp,
                    format!("start time {:?} is not dd/Mon/yyyy:HH:MM:SS +zzzz", clip(s)),
                )
            })?),
        };
        let start_utc = match start {
            None => None,
            Some(c) => {
                let utc = match c.offset_s {
                    Some(off) => lex::day_ms(c.year, c.month, c.day)
                        .map(|d| d + c.ms - i64::from(off) * 1000),
                    None => self.local_to_utc(c.year, c.month, c.day, c.ms),
                };
                Some(utc.ok_or_else(|| {
                    Reject::new(
                        RejectReason::BadTimestamp,
                        format!(
                            "start time {:?} does not exist",
                            clip(raw.start.unwrap_or(""))
                        ),
                    )
                })?)
            }
        };
        let output_utc = match raw.output {
            None => None,
            Some(s) => {
                let Some((month, day, ms)) = parse_syslog_time(s) else {
                    return Err(Reject::new(
                        RejectReason::BadTimestamp,
                        format!("output time {:?} is not Mon dd HH:MM:SS", clip(s)),
                    ));
                };
                let Some(year) = self.output_year(month, start.map(|c| (c.year, c.month))) else {
                    return Err(Reject::new(
                        RejectReason::BadTimestamp,
                        format!(
                            "output time {s:?} has no year and the line has no start time: give the year (--year)"
                        ),
                    ));
                };
                let utc = match start.and_then(|c| c.offset_s) {
                    Some(off) => {
                        lex::day_ms(year, month, day).map(|d| d + ms - i64::from(off) * 1000)
                    }
                    None => self.local_to_utc(year, month, day, ms),
                };
                let Some(utc) = utc else {
                    return Err(Reject::new(
                        RejectReason::BadTimestamp,
                        format!("output time {s:?} is not a real time in {year}"),
                    ));
                };
                self.last = Some((year, month));
                Some(utc)
            }
        };
        let Some(ts_ms) = start_utc.or(output_utc) else {
            return Err(Reject::new(
                RejectReason::BadTimestamp,
                "no time value in this line",
            ));
        };
        if !plausible_ts(ts_ms) {
            return Err(Reject::new(
                RejectReason::BadTimestamp,
                format!("{ts_ms} ms is outside 2000..2100"),
            ));
        }
        let duration_ms = match (start_utc, output_utc) {
            (Some(s), Some(o)) if o >= s => Some(o - s),
            _ => None,
        };

        let status: Option<u16> = num(raw.status, "status")?;
        if status.is_some_and(|s| s > 999) {
            return Err(bad_number("status", raw.status.unwrap_or("")));
        }
        let status = status.filter(|s| *s != 0);
        let bytes_up = num(raw.bytes_up, "bytes_up")?;
        let bytes_down = num(raw.bytes_down, "bytes_down")?;

        let (mut method, mut target) = (raw.method, raw.url);
        if let Some(req) = raw.request {
            let (m, u) = split_request(req);
            method = method.or(m);
            target = target.or(u);
        }
        let parts = target.map(split_url).unwrap_or_default();
        let host_of = |s: &'a str| split_url(s).host;
        let server_ip = raw
            .server
            .and_then(host_of)
            .or_else(|| raw.upstream.and_then(host_of));
        let category = match raw.categories {
            Some(c) if c.contains('/') => Some(Cow::Owned(c.replace('/', ";"))),
            Some(c) => Some(Cow::Borrowed(c)),
            None => raw.category.map(Cow::Borrowed),
        };
        let verdict = match raw.action {
            _ if status == Some(407) => Some(Verdict::AuthRequired),
            Some(a) if a.eq_ignore_ascii_case("block") || a.eq_ignore_ascii_case("deny") => {
                Some(Verdict::Block)
            }
            Some(a) if a.eq_ignore_ascii_case("pass") || a.eq_ignore_ascii_case("allow") => {
                Some(Verdict::Pass)
            }
            Some(a) if a.eq_ignore_ascii_case("warn") || a.eq_ignore_ascii_case("warning") => {
                Some(Verdict::Warn)
            }
            _ => None,
        };
        let b = |s: &'a str| Cow::Borrowed(s);
        Ok(WebRecord {
            ts_ms,
            duration_ms,
            client_ip: raw.client_ip.or(raw.source_ip).map(b),
            client_port: None,
            user: raw.user.map(|u| decode_text(u, true)),
            method: method.map(b),
            scheme: parts.scheme.map(b),
            host: parts.host.map(|h| lex::lower(Cow::Borrowed(h))),
            port: parts.port,
            path: parts.path.map(b),
            query: parts.query.map(b),
            url: target.map(b),
            status,
            action: raw.action.map(b),
            hierarchy: None,
            server_ip: server_ip.map(b),
            sni: None,
            bytes_up,
            bytes_down,
            content_type: raw.content_type.map(|c| decode_text(c, true)),
            referer: raw.referer.map(b),
            user_agent: raw.user_agent.map(|u| decode_text(u, true)),
            category,
            verdict,
        })
    }

    /// The year of an output time in `month` (see the module docs).
    fn output_year(&self, month: u32, start: Option<(i32, u32)>) -> Option<i32> {
        let (y, m) = match start {
            Some(s) => s,
            None => match self.last {
                Some(l) => l,
                None => return self.year,
            },
        };
        Some(if m >= month + 6 {
            y + 1
        } else if month >= m + 6 {
            y - 1
        } else {
            y
        })
    }
}

impl LineParser for IfilterParser {
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
        let line = line.trim_end_matches(['\r', '\n']);
        if line.trim_start_matches([' ', '\t']).is_empty() {
            return Parsed::Skip;
        }
        let starts_with_output = self
            .layout
            .cols
            .first()
            .is_some_and(|c| c.0 == Col::OutputTime);
        let line = strip_forwarding_header(line, starts_with_output);
        if let Err(e) = self.split(line) {
            return Parsed::Reject(e);
        }
        let raw = match self.collect(line) {
            Ok(r) => r,
            Err(e) => return Parsed::Reject(e),
        };
        match self.finish(raw) {
            Ok(r) => Parsed::Record(r),
            Err(e) => Parsed::Reject(e),
        }
    }
}

/// The values of one line, by column kind (all borrowed from the line).
#[derive(Default)]
struct Raw<'a> {
    output: Option<&'a str>,
    start: Option<&'a str>,
    upstream: Option<&'a str>,
    server: Option<&'a str>,
    source_ip: Option<&'a str>,
    client_ip: Option<&'a str>,
    user: Option<&'a str>,
    status: Option<&'a str>,
    bytes_up: Option<&'a str>,
    bytes_down: Option<&'a str>,
    action: Option<&'a str>,
    category: Option<&'a str>,
    categories: Option<&'a str>,
    request: Option<&'a str>,
    method: Option<&'a str>,
    url: Option<&'a str>,
    referer: Option<&'a str>,
    user_agent: Option<&'a str>,
    content_type: Option<&'a str>,
}

fn num<T: std::str::FromStr>(v: Option<&str>, field: &str) -> Result<Option<T>, Reject> {
    match v {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| bad_number(field, s)),
    }
}

/// `METHOD URL HTTP/x.y` → (method, URL). The URL is everything between the
/// method and a trailing `HTTP/` version, so a URL with spaces stays whole.
fn split_request(req: &str) -> (Option<&str>, Option<&str>) {
    let req = req.trim();
    let Some(sp) = req.find([' ', '\t']) else {
        return (Some(req).filter(|s| !s.is_empty() && *s != "-"), None);
    };
    let method = &req[..sp];
    let mut rest = req[sp..].trim();
    if let Some(v) = rest.rfind([' ', '\t'])
        && rest[v + 1..].starts_with("HTTP/")
    {
        rest = rest[..v].trim_end();
    }
    (
        Some(method),
        Some(rest).filter(|s| !s.is_empty() && *s != "-"),
    )
}

/// A parsed CLF time; `offset_s` is `None` when the zone was not written.
#[derive(Debug, Clone, Copy)]
struct Clf {
    year: i32,
    month: u32,
    day: u32,
    ms: i64,
    offset_s: Option<i32>,
}

/// `dd/Mon/yyyy:HH:MM:SS[ +zzzz]`.
fn parse_clf(s: &str) -> Option<Clf> {
    let s = s.trim();
    let (dt, zone) = match s.find(' ') {
        Some(i) => (&s[..i], Some(s[i + 1..].trim())),
        None => (s, None),
    };
    let b = dt.as_bytes();
    if b.len() != 20 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' {
        return None;
    }
    let day = lex::digits(&b[0..2])?;
    let month = lex::month_abbr(&dt[3..6])?;
    let year = lex::digits(&b[7..11])? as i32;
    let ms = lex::parse_hms_ms(&dt[12..])?;
    let offset_s = match zone {
        None => None,
        Some(z) => Some(parse_offset(z)?),
    };
    Some(Clf {
        year,
        month,
        day,
        ms,
        offset_s,
    })
}

/// `+0900` / `-0530` / `+09:00` → seconds east of UTC.
fn parse_offset(z: &str) -> Option<i32> {
    let b = z.as_bytes();
    let sign = match b.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = match b.len() {
        5 => (lex::digits(&b[1..3])?, lex::digits(&b[3..5])?),
        6 if b[3] == b':' => (lex::digits(&b[1..3])?, lex::digits(&b[4..6])?),
        _ => return None,
    };
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * (h as i32 * 3600 + m as i32 * 60))
}

/// `Mon dd HH:MM:SS` (day space- or zero-padded) → (month, day, ms of day).
fn parse_syslog_time(s: &str) -> Option<(u32, u32, i64)> {
    let mut it = s.split_ascii_whitespace();
    let month = lex::month_abbr(it.next()?)?;
    let d = it.next()?;
    let day = lex::digits(d.as_bytes()).filter(|d| (1..=31).contains(d))?;
    let hms = it.next()?;
    if hms.len() != 8 || it.next().is_some() {
        return None;
    }
    Some((month, day, lex::parse_hms_ms(hms)?))
}

/// Length in bytes of a `Mon dd HH:MM:SS` prefix of `s` (runs of spaces
/// allowed between the parts), if `s` starts with one. Allocation-free: it
/// runs on every line.
fn syslog_time_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.len() < 14 || !b[0].is_ascii_alphabetic() {
        return None;
    }
    lex::month_abbr(s.get(0..3)?)?;
    let mut i = 3;
    let skip_ws = |mut i: usize| {
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        i
    };
    let j = skip_ws(i);
    if j == i {
        return None;
    }
    i = j;
    let d0 = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if !(1..=2).contains(&(i - d0)) {
        return None;
    }
    let j = skip_ws(i);
    if j == i {
        return None;
    }
    let t = s.get(j..j + 8)?;
    lex::parse_hms_ms(t)?;
    let end = j + 8;
    (end == b.len() || b[end] == b' ' || b[end] == b'\t').then_some(end)
}

/// Strips what a syslog relay puts before an i-FILTER line: an optional
/// `<PRI>`, then an RFC 5424 header, or a `Mon dd HH:MM:SS host [tag:]` or
/// rsyslog ISO-time `YYYY-MM-DDTHH:MM:SS…±hh:mm host [tag:]` header. For
/// layouts that start with their own output time, the `Mon dd` header is
/// only taken off when another output time follows it.
fn strip_forwarding_header(line: &str, starts_with_output: bool) -> &str {
    let s = crate::text::strip_syslog_pri(line);
    if let Some(msg) = s.strip_prefix("1 ").and_then(crate::text::rfc5424_msg) {
        return msg;
    }
    if crate::text::iso_syslog_time_len(s).is_some() {
        // No i-FILTER line starts with an ISO time: the header is a relay's.
        return crate::text::strip_syslog_header(s);
    }
    let Some(n) = syslog_time_len(s) else {
        return s;
    };
    // skip the host token
    let rest = s[n..].trim_start_matches([' ', '\t']);
    let e = rest.find([' ', '\t']).unwrap_or(rest.len());
    let mut rest = rest[e..].trim_start_matches([' ', '\t']);
    // an optional tag such as `i-FILTER[123]:`
    if let Some(first) = rest.split_ascii_whitespace().next()
        && first.len() > 1
        && first.ends_with(':')
    {
        rest = rest[first.len()..].trim_start_matches([' ', '\t']);
    }
    if starts_with_output && syslog_time_len(rest).is_none() {
        return s;
    }
    rest
}

/// Scores how well `lines` fit one of the preset i-FILTER layouts: the
/// percentage (0–100) of non-blank sample lines that parse with it. Custom
/// layouts are not sniffed. Never returns a score below 50.
pub fn sniff(lines: &[&str]) -> Option<(SourceFormat, u32)> {
    let mut best: Option<(SourceFormat, u32)> = None;
    for f in [
        SourceFormat::IfilterV10Access,
        SourceFormat::IfilterDspaAccess,
        SourceFormat::IfilterBlock,
    ] {
        let Ok(mut p) = IfilterParser::new(f, &ParseOptions::default()) else {
            continue;
        };
        let (mut data, mut ok) = (0u32, 0u32);
        for l in lines {
            if l.trim().is_empty() || l.starts_with('#') {
                continue;
            }
            data += 1;
            if let Parsed::Record(_) = p.parse_line(l) {
                ok += 1;
            }
        }
        let score = (ok * 100).checked_div(data).unwrap_or(0);
        if score >= 50 && best.is_none_or(|(_, b)| score > b) {
            best = Some((f, score));
        }
    }
    best
}

#[cfg(test)]
mod tests;
