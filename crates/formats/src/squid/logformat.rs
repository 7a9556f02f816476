//! Custom Squid `logformat` lines: compiling them ([`LogFormat::compile`])
//! and reading lines written with them.
//!
//! The grammar is Squid's: `%[encoding][-][[0]width][.precision][{arg}]code[{arg}]`,
//! with `%%` for a literal `%` and anything else literal text. Encodings:
//! `"` (backslash-escaped), `[` (Squid `%XX` escaping), `#` (URL encoding),
//! `/` (shell quoting), `'` (raw). Whitespace in the format matches a run of
//! one or more spaces/tabs in the line, so width padding (`%6tr`, `%-10un`)
//! needs nothing special. A field ends where the literal text after it
//! starts; two fields with no text between them are refused, because the
//! line could not be split.
//!
//! ## Codes that fill the record
//! | code | field |
//! |---|---|
//! | `%ts` (+ `%tu` ms), `%tl`/`%tg` (default `dd/Mon/yyyy:HH:MM:SS ±zzzz`, or `{strftime}`), `%tS` (+ `%tr`) | `ts_ms` (priority in that order) |
//! | `%tr` | `duration_ms` |
//! | `%>a` (else `%>A`), `%>p` | `client_ip`, `client_port` |
//! | `%<a` (else `%<A`) | `server_ip` |
//! | `%un`, else `%ul`, else `%ue` (`%[un` etc. too) | `user` |
//! | `%rm` / `%>rm` | `method` |
//! | `%ru`, else `%>ru` | `url`, `scheme`, `host`, `port`, `path`, `query` |
//! | `%>rd`/`%rd`, else `%{Host}>h` | `host` when the URL has none |
//! | `%rp`/`%>rp` | `path`/`query` when the URL has none |
//! | `%<p` | `port` when the URL has none |
//! | `%Ss`, `%Sh` | `action`, `hierarchy` |
//! | `%>Hs` (or 2.x `%Hs`), else `%<Hs` | `status` |
//! | `%>st`, `%<st` | `bytes_up`, `bytes_down`; `%st` (total) fills the missing one |
//! | `%mt`, else `%{Content-Type}<h` | `content_type` |
//! | `%{User-Agent}>h`, `%{Referer}>h` | `user_agent`, `referer` (percent-decoded) |
//! | `%ssl::>sni` | `sni` |
//!
//! ## Codes read but not kept (opaque)
//! `%rv` `%>rv` `%<rv` `%rs` `%>rs` `%<rm` `%<ru` `%<rp` `%<rs` `%<rd` `%<pt`
//! `%<tt` `%<tS` `%dt` `%busy_time` `%la` `%lp` `%>la` `%>lp` `%<la` `%<lp`
//! `%>qos` `%<qos` `%>nfmark` `%<nfmark` `%>eui` `%ui` `%us` `%credentials`
//! `%>sh` `%<sh` `%<bs` `%>h`/`%<h`/`%>ha` (all headers, or any other header
//! name) `%et` `%ea` `%note` `%err_code` `%err_detail` `%master_xaction`
//! `%sn` `%>handshake`, and every namespaced code (`%ssl::…`, `%adapt::…`,
//! `%icap::…`, `%proxy_protocol::…`, `%transport::…`) other than
//! `%ssl::>sni`. Any other code is an error naming it.

use std::borrow::Cow;

use super::{fill_url, reject, verdict};
use crate::FormatError;
use crate::text::{
    dash_none, is_ws, lower_ascii, parse_clf_time, parse_epoch_ms, parse_u16, parse_u64,
    pct_decode, snippet, unbackslash,
};
use kensa_model::{Reject, RejectReason, WebRecord};

/// How a value was encoded by Squid (`%"…`, `%[…`, `%#…`, `%/…`, `%'…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Enc {
    Default,
    Quoted,
    Squid,
    Url,
    Shell,
    Raw,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Code {
    Ts,
    Tu,
    Tl,
    Tg,
    Tr,
    TStart,
    ClientIp,
    ClientName,
    ClientPort,
    ServerIp,
    ServerName,
    ServerPort,
    User,
    UserAuth,
    UserExt,
    Method,
    Url,
    UrlClient,
    UrlPath,
    ReqDomain,
    Action,
    Hierarchy,
    StatusClient,
    StatusServer,
    BytesUp,
    BytesDown,
    BytesTotal,
    Mime,
    UserAgent,
    Referer,
    HostHeader,
    ReplyContentType,
    Sni,
    Opaque,
}

/// Squid's plain (non-namespaced) codes. Matched longest-first.
const CODES: &[(&str, Code)] = {
    use Code::*;
    &[
        ("ts", Ts),
        ("tu", Tu),
        ("tl", Tl),
        ("tg", Tg),
        ("tr", Tr),
        ("tS", TStart),
        ("dt", Opaque),
        ("<tt", Opaque),
        ("<pt", Opaque),
        ("<tS", Opaque),
        ("busy_time", Opaque),
        (">a", ClientIp),
        (">A", ClientName),
        (">p", ClientPort),
        (">eui", Opaque),
        ("<a", ServerIp),
        ("<A", ServerName),
        ("<p", ServerPort),
        ("la", Opaque),
        ("lp", Opaque),
        (">la", Opaque),
        (">lp", Opaque),
        ("<la", Opaque),
        ("<lp", Opaque),
        (">qos", Opaque),
        ("<qos", Opaque),
        (">nfmark", Opaque),
        ("<nfmark", Opaque),
        (">handshake", Opaque),
        ("un", User),
        ("ul", UserAuth),
        ("ue", UserExt),
        ("ui", Opaque),
        ("us", Opaque),
        ("credentials", Opaque),
        ("rm", Method),
        (">rm", Method),
        ("<rm", Opaque),
        ("ru", Url),
        (">ru", UrlClient),
        ("<ru", Opaque),
        ("rp", UrlPath),
        (">rp", UrlPath),
        ("<rp", Opaque),
        ("rv", Opaque),
        (">rv", Opaque),
        ("<rv", Opaque),
        ("rs", Opaque),
        (">rs", Opaque),
        ("<rs", Opaque),
        ("rd", ReqDomain),
        (">rd", ReqDomain),
        ("<rd", Opaque),
        ("Ss", Action),
        ("Sh", Hierarchy),
        ("Hs", StatusClient),
        (">Hs", StatusClient),
        ("<Hs", StatusServer),
        (">st", BytesUp),
        ("<st", BytesDown),
        ("st", BytesTotal),
        (">sh", Opaque),
        ("<sh", Opaque),
        ("<bs", Opaque),
        ("mt", Mime),
        (">h", Opaque),
        ("<h", Opaque),
        (">ha", Opaque),
        ("et", Opaque),
        ("ea", Opaque),
        ("note", Opaque),
        ("err_code", Opaque),
        ("err_detail", Opaque),
        ("master_xaction", Opaque),
        ("sn", Opaque),
    ]
};

const NAMESPACES: &[&str] = &["ssl", "adapt", "icap", "proxy_protocol", "transport", "ext"];

#[derive(Debug, Clone)]
struct Field {
    code: Code,
    enc: Enc,
    /// strftime pattern for `%tl`/`%tg`.
    strftime: Option<Box<str>>,
    /// The code as written, for messages (`%>st`).
    label: Box<str>,
    /// 1-based position among the fields, for messages.
    n: usize,
    /// Whitespace runs the value itself contains (`%tl` has one).
    inner_spaces: usize,
    /// Sits between literal quotes: spaces are part of the value.
    in_quotes: bool,
}

#[derive(Debug, Clone)]
enum Item {
    Lit(Box<str>),
    Field(Field),
}

/// A compiled custom `logformat`.
///
/// ```
/// use kensa_formats::squid::LogFormat;
/// let f = LogFormat::compile("logformat mine %ts.%03tu %>a %Ss/%03>Hs %<st %rm %ru", None).unwrap();
/// assert_eq!(f.name(), Some("mine"));
/// let r = f.parse("1700000000.250 10.1.2.3 TCP_MISS/200 512 GET http://a.example/x").unwrap();
/// assert_eq!(r.ts_ms, 1_700_000_000_250);
/// assert_eq!(r.bytes_down, Some(512));
/// assert!(LogFormat::compile("%ts %bogus", None).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct LogFormat {
    items: Vec<Item>,
    name: Option<String>,
    tz: Option<chrono_tz::Tz>,
}

fn bad(detail: String) -> FormatError {
    FormatError::InvalidOption {
        what: "squid logformat",
        detail,
    }
}

impl LogFormat {
    /// Compiles a `logformat NAME codes…` line from squid.conf, or just the
    /// codes. `tz` is the zone for a `%tl{…}` pattern without `%z` (default
    /// UTC). Errors name the offending code.
    pub fn compile(spec: &str, tz: Option<chrono_tz::Tz>) -> Result<LogFormat, FormatError> {
        let spec = spec.trim();
        let mut name = None;
        let mut fmt = spec;
        if let Some(rest) = spec.strip_prefix("logformat")
            && rest.starts_with([' ', '\t'])
        {
            let rest = rest.trim_start();
            let end = rest.find([' ', '\t']).unwrap_or(rest.len());
            name = Some(rest[..end].to_string());
            fmt = rest[end..].trim_start();
        }
        if fmt.is_empty() {
            return Err(bad("the logformat has no codes".into()));
        }
        let b = fmt.as_bytes();
        let mut items: Vec<Item> = Vec::new();
        let mut lit = String::new();
        let mut i = 0;
        let mut n = 0;
        while i < b.len() {
            if b[i] != b'%' {
                let next = memchr::memchr(b'%', &b[i..]).map_or(b.len(), |k| i + k);
                lit.push_str(&fmt[i..next]);
                i = next;
                continue;
            }
            if b.get(i + 1) == Some(&b'%') {
                lit.push('%');
                i += 2;
                continue;
            }
            let start = i;
            i += 1;
            let enc = match b.get(i) {
                Some(b'"') => Enc::Quoted,
                Some(b'[') => Enc::Squid,
                Some(b'#') => Enc::Url,
                Some(b'/') => Enc::Shell,
                Some(b'\'') => Enc::Raw,
                _ => Enc::Default,
            };
            if enc != Enc::Default {
                i += 1;
            }
            if b.get(i) == Some(&b'-') {
                i += 1;
            }
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                i += 1;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            let mut arg: Option<&str> = None;
            if b.get(i) == Some(&b'{') {
                let close = memchr::memchr(b'}', &b[i..])
                    .ok_or_else(|| bad(format!("unclosed {{ in {}", snippet(&fmt[start..]))))?;
                arg = Some(&fmt[i + 1..i + close]);
                i += close + 1;
            }
            let code_start = i;
            let code = match namespaced(&fmt[i..]) {
                Some((len, code)) => {
                    i += len;
                    code
                }
                None => {
                    let rest = &fmt[i..];
                    let best = CODES
                        .iter()
                        .filter(|(c, _)| rest.starts_with(c))
                        .max_by_key(|(c, _)| c.len());
                    match best {
                        Some((c, code)) => {
                            i += c.len();
                            *code
                        }
                        None => {
                            let end = fmt[start..]
                                .find(|c: char| c.is_whitespace() || c == '"')
                                .map_or(fmt.len(), |k| start + k);
                            return Err(bad(format!(
                                "unknown code {} in the logformat",
                                snippet(&fmt[start..end.max(start + 1)])
                            )));
                        }
                    }
                }
            };
            let code_text = &fmt[code_start..i];
            if arg.is_none() && b.get(i) == Some(&b'{') {
                let close = memchr::memchr(b'}', &b[i..])
                    .ok_or_else(|| bad(format!("unclosed {{ in {}", snippet(&fmt[start..]))))?;
                arg = Some(&fmt[i + 1..i + close]);
                i += close + 1;
            }
            let code = match (code, code_text, arg) {
                (_, ">h", Some(h)) if h.eq_ignore_ascii_case("user-agent") => Code::UserAgent,
                (_, ">h", Some(h))
                    if h.eq_ignore_ascii_case("referer") || h.eq_ignore_ascii_case("referrer") =>
                {
                    Code::Referer
                }
                (_, ">h", Some(h)) if h.eq_ignore_ascii_case("host") => Code::HostHeader,
                (_, "<h", Some(h)) if h.eq_ignore_ascii_case("content-type") => {
                    Code::ReplyContentType
                }
                (c, _, _) => c,
            };
            let strftime = match code {
                Code::Tl | Code::Tg => arg.map(Box::from),
                _ => None,
            };
            let inner_spaces = match (code, &strftime) {
                (Code::Tl | Code::Tg, None) => 1,
                (Code::Tl | Code::Tg, Some(p)) => ws_runs(p),
                _ => 0,
            };
            if !lit.is_empty() {
                items.push(Item::Lit(std::mem::take(&mut lit).into()));
            } else if let Some(Item::Field(prev)) = items.last() {
                return Err(bad(format!(
                    "fields {} and {} have no text between them, so lines cannot be split",
                    prev.label,
                    &fmt[start..i]
                )));
            }
            n += 1;
            let in_quotes = matches!(items.last(), Some(Item::Lit(l)) if l.ends_with('"'));
            items.push(Item::Field(Field {
                code,
                enc,
                strftime,
                label: fmt[start..i].into(),
                n,
                inner_spaces,
                in_quotes,
            }));
        }
        if !lit.is_empty() {
            items.push(Item::Lit(lit.into()));
        }
        // Leading/trailing whitespace of the format matches nothing: lines are trimmed.
        if let Some(Item::Lit(l)) = items.first_mut() {
            *l = l.trim_start().into();
        }
        if let Some(Item::Lit(l)) = items.last_mut() {
            *l = l.trim_end().into();
        }
        items.retain(|it| !matches!(it, Item::Lit(l) if l.is_empty()));
        let has_time = items
            .iter()
            .any(|it| matches!(it, Item::Field(f) if matches!(f.code, Code::Ts | Code::Tl | Code::Tg | Code::TStart)));
        if !has_time {
            return Err(bad(
                "the logformat has no time code (%ts, %tl, %tg or %tS)".into()
            ));
        }
        Ok(LogFormat { items, name, tz })
    }

    /// The name after `logformat`, if the line had one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Reads one line (without its terminator).
    pub fn parse<'a>(&self, line: &'a str) -> Result<WebRecord<'a>, Reject> {
        let line = line.trim_matches([' ', '\t', '\r', '\n']);
        let b = line.as_bytes();
        let mut acc = Acc::default();
        let mut rec = WebRecord::default();
        let mut pos = 0;
        let last = self.items.len() - 1;
        for (idx, item) in self.items.iter().enumerate() {
            match item {
                Item::Lit(l) => {
                    let len = match_lit_at(&b[pos..], l.as_bytes()).ok_or_else(|| {
                        reject(
                            RejectReason::Malformed,
                            format!(
                                "expected {} at byte {pos}, found {}",
                                snippet(l),
                                snippet(&line[pos..])
                            ),
                        )
                    })?;
                    pos += len;
                }
                Item::Field(f) => {
                    let end = match self.items.get(idx + 1) {
                        Some(Item::Lit(next)) => {
                            let from = skip_ws_runs(
                                b,
                                pos,
                                if next.starts_with([' ', '\t']) {
                                    f.inner_spaces
                                } else {
                                    0
                                },
                            );
                            let escapes = matches!(f.enc, Enc::Quoted | Enc::Shell);
                            find_lit(b, from, next.as_bytes(), escapes, idx + 1 == last)
                                .ok_or_else(|| {
                                    if pos >= b.len() {
                                        reject(
                                            RejectReason::FieldCount,
                                            format!("line ends before field {} ({})", f.n, f.label),
                                        )
                                    } else if f.in_quotes {
                                        reject(
                                            RejectReason::UnterminatedQuote,
                                            format!(
                                                "field {} ({}) has no closing {}",
                                                f.n,
                                                f.label,
                                                snippet(next)
                                            ),
                                        )
                                    } else {
                                        reject(
                                            RejectReason::FieldCount,
                                            format!(
                                                "no {} after field {} ({})",
                                                snippet(next),
                                                f.n,
                                                f.label
                                            ),
                                        )
                                    }
                                })?
                        }
                        _ => {
                            // Last item: the value runs to the next whitespace and nothing may follow.
                            let end = skip_ws_runs(b, pos, f.inner_spaces);
                            let end = memchr::memchr2(b' ', b'\t', &b[end..])
                                .map_or(b.len(), |k| end + k);
                            if end < b.len() {
                                return Err(reject(
                                    RejectReason::FieldCount,
                                    format!(
                                        "extra text {} after the last field ({})",
                                        snippet(line[end..].trim_start()),
                                        f.label
                                    ),
                                ));
                            }
                            end
                        }
                    };
                    if pos > end {
                        return Err(reject(
                            RejectReason::FieldCount,
                            format!("line ends before field {} ({})", f.n, f.label),
                        ));
                    }
                    let raw = &line[pos..end];
                    let raw = if f.in_quotes {
                        raw
                    } else {
                        raw.trim_matches([' ', '\t'])
                    };
                    self.assign(f, raw, &mut acc, &mut rec)?;
                    pos = end;
                }
            }
        }
        if pos < b.len() {
            return Err(reject(
                RejectReason::FieldCount,
                format!("extra text {} after the last field", snippet(&line[pos..])),
            ));
        }
        acc.finish(rec)
    }

    fn assign<'a>(
        &self,
        f: &Field,
        raw: &'a str,
        acc: &mut Acc<'a>,
        rec: &mut WebRecord<'a>,
    ) -> Result<(), Reject> {
        let what = || format!("field {} ({})", f.n, f.label);
        let Some(v) = dash_none(raw) else {
            return Ok(());
        };
        let num = |s: &str| {
            parse_u64(s).ok_or_else(|| {
                reject(
                    RejectReason::BadNumber,
                    format!("{} {} is not a number", what(), snippet(s)),
                )
            })
        };
        let text = |s: &'a str| -> Cow<'a, str> {
            match f.enc {
                Enc::Quoted => unbackslash(s),
                Enc::Shell => {
                    let t = s
                        .strip_prefix('"')
                        .and_then(|t| t.strip_suffix('"'))
                        .or_else(|| s.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')))
                        .unwrap_or(s);
                    unbackslash(t)
                }
                Enc::Squid | Enc::Url => pct_decode(s),
                Enc::Raw | Enc::Default => Cow::Borrowed(s),
            }
        };
        // Header and user values are %-escaped by Squid's default encoding too.
        let decoded = |s: &'a str| -> Cow<'a, str> {
            match f.enc {
                Enc::Default => pct_decode(s),
                _ => match text(s) {
                    Cow::Borrowed(b) => Cow::Borrowed(b),
                    Cow::Owned(o) => Cow::Owned(o),
                },
            }
        };
        match f.code {
            Code::Ts => {
                acc.ts_had_fraction = v.contains('.');
                acc.ts = Some(parse_epoch_ms(v).ok_or_else(|| {
                    reject(
                        RejectReason::BadTimestamp,
                        format!("{} {} is not epoch seconds", what(), snippet(v)),
                    )
                })?);
                acc.ts_raw = v;
            }
            Code::Tu => {
                let ms = num(v)?;
                if ms > 999 {
                    return Err(reject(
                        RejectReason::BadTimestamp,
                        format!("{} {} is not 0..999 ms", what(), snippet(v)),
                    ));
                }
                acc.tu = Some(ms as i64);
            }
            Code::Tl | Code::Tg => {
                acc.tl = Some(self.wall_time(f, v).ok_or_else(|| {
                    reject(
                        RejectReason::BadTimestamp,
                        format!("{} {} is not a time stamp", what(), snippet(v)),
                    )
                })?);
                acc.ts_raw = v;
            }
            Code::TStart => {
                acc.t_start = Some(parse_epoch_ms(v).ok_or_else(|| {
                    reject(
                        RejectReason::BadTimestamp,
                        format!("{} {} is not epoch seconds", what(), snippet(v)),
                    )
                })?);
                acc.ts_raw = v;
            }
            Code::Tr => {
                let int = v.split('.').next().unwrap_or(v);
                rec.duration_ms = Some(num(int)?.min(i64::MAX as u64) as i64);
            }
            Code::ClientIp => rec.client_ip = Some(text(v)),
            Code::ClientName => acc.client_name = Some(text(v)),
            Code::ClientPort => {
                rec.client_port = Some(parse_u16(v).ok_or_else(|| {
                    reject(
                        RejectReason::BadNumber,
                        format!("{} {} is not a port", what(), snippet(v)),
                    )
                })?)
            }
            Code::ServerIp => rec.server_ip = Some(text(v)),
            Code::ServerName => acc.server_name = Some(text(v)),
            Code::ServerPort => {
                acc.server_port = Some(parse_u16(v).ok_or_else(|| {
                    reject(
                        RejectReason::BadNumber,
                        format!("{} {} is not a port", what(), snippet(v)),
                    )
                })?)
            }
            Code::User => acc.users[0] = Some(decoded(v)),
            Code::UserAuth => acc.users[1] = Some(decoded(v)),
            Code::UserExt => acc.users[2] = Some(decoded(v)),
            Code::Method => rec.method = Some(text(v)),
            Code::Url => acc.url = Some(text(v)),
            Code::UrlClient => acc.url_client = Some(text(v)),
            Code::UrlPath => acc.path = Some(text(v)),
            Code::ReqDomain => acc.domain = Some(text(v)),
            Code::HostHeader => acc.host_header = Some(decoded(v)),
            Code::Action => rec.action = Some(text(v)),
            Code::Hierarchy => rec.hierarchy = Some(text(v)),
            Code::StatusClient => acc.status_client = super::status(v, &what())?,
            Code::StatusServer => acc.status_server = super::status(v, &what())?,
            Code::BytesUp => rec.bytes_up = Some(num(v)?),
            Code::BytesDown => rec.bytes_down = Some(num(v)?),
            Code::BytesTotal => acc.total = Some(num(v)?),
            Code::Mime => rec.content_type = Some(text(v)),
            Code::ReplyContentType => acc.reply_ct = Some(decoded(v)),
            Code::UserAgent => rec.user_agent = Some(decoded(v)),
            Code::Referer => rec.referer = Some(decoded(v)),
            Code::Sni => rec.sni = Some(text(v)),
            Code::Opaque => {}
        }
        Ok(())
    }

    /// `%tl`/`%tg` → epoch ms.
    fn wall_time(&self, f: &Field, v: &str) -> Option<i64> {
        let Some(pat) = f.strftime.as_deref() else {
            return parse_clf_time(v);
        };
        if pat.contains("%z") || pat.contains("%:z") || pat.contains("%#z") {
            return chrono::DateTime::parse_from_str(v, pat)
                .ok()
                .map(|d| d.timestamp_millis());
        }
        let naive = chrono::NaiveDateTime::parse_from_str(v, pat).ok()?;
        if f.code == Code::Tg {
            return Some(naive.and_utc().timestamp_millis());
        }
        match self.tz {
            Some(tz) => {
                use chrono::TimeZone;
                tz.from_local_datetime(&naive)
                    .earliest()
                    .map(|d| d.timestamp_millis())
            }
            None => Some(naive.and_utc().timestamp_millis()),
        }
    }
}

/// Values collected from one line before they become a record.
#[derive(Default)]
struct Acc<'a> {
    ts: Option<i64>,
    ts_had_fraction: bool,
    tu: Option<i64>,
    tl: Option<i64>,
    t_start: Option<i64>,
    ts_raw: &'a str,
    client_name: Option<Cow<'a, str>>,
    server_name: Option<Cow<'a, str>>,
    server_port: Option<u16>,
    users: [Option<Cow<'a, str>>; 3],
    url: Option<Cow<'a, str>>,
    url_client: Option<Cow<'a, str>>,
    path: Option<Cow<'a, str>>,
    domain: Option<Cow<'a, str>>,
    host_header: Option<Cow<'a, str>>,
    status_client: Option<u16>,
    status_server: Option<u16>,
    total: Option<u64>,
    reply_ct: Option<Cow<'a, str>>,
}

impl<'a> Acc<'a> {
    fn finish(self, mut rec: WebRecord<'a>) -> Result<WebRecord<'a>, Reject> {
        let ts = if let Some(s) = self.ts {
            Some(if self.ts_had_fraction {
                s
            } else {
                s + self.tu.unwrap_or(0)
            })
        } else if let Some(t) = self.tl {
            Some(t)
        } else {
            self.t_start.map(|t| t + rec.duration_ms.unwrap_or(0))
        };
        rec.ts_ms = super::checked_ts(ts, self.ts_raw, "time field")?;
        if rec.client_ip.is_none() {
            rec.client_ip = self.client_name;
        }
        if rec.server_ip.is_none() {
            rec.server_ip = self.server_name;
        }
        rec.user = self.users.into_iter().flatten().next();
        let is_connect = rec
            .method
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case("CONNECT"));
        match self.url.or(self.url_client) {
            Some(Cow::Borrowed(u)) => fill_url(&mut rec, u, is_connect),
            Some(Cow::Owned(u)) => {
                let mut tmp = WebRecord::default();
                fill_url(&mut tmp, &u, is_connect);
                let t = tmp.into_owned();
                (rec.url, rec.scheme, rec.host, rec.port, rec.path, rec.query) =
                    (t.url, t.scheme, t.host, t.port, t.path, t.query);
            }
            None => {}
        }
        if rec.host.is_none() {
            let host = self.domain.or_else(|| {
                self.host_header.map(|h| match h {
                    Cow::Borrowed(b) => Cow::Borrowed(kensa_model::split_url(b).host.unwrap_or(b)),
                    Cow::Owned(o) => {
                        Cow::Owned(kensa_model::split_url(&o).host.unwrap_or(&o).to_string())
                    }
                })
            });
            rec.host = host.map(|h| match h {
                Cow::Borrowed(b) => lower_ascii(b),
                Cow::Owned(o) => Cow::Owned(o.to_ascii_lowercase()),
            });
        }
        if rec.path.is_none()
            && let Some(p) = self.path
        {
            match p {
                Cow::Borrowed(b) => match b.split_once('?') {
                    Some((path, q)) => {
                        rec.path = Some(Cow::Borrowed(path));
                        rec.query = Some(Cow::Borrowed(q));
                    }
                    None => rec.path = Some(Cow::Borrowed(b)),
                },
                Cow::Owned(o) => match o.split_once('?') {
                    Some((path, q)) => {
                        rec.query = Some(Cow::Owned(q.to_string()));
                        rec.path = Some(Cow::Owned(path.to_string()));
                    }
                    None => rec.path = Some(Cow::Owned(o)),
                },
            }
        }
        if rec.port.is_none() {
            rec.port = self.server_port;
        }
        rec.status = self.status_client.or(self.status_server);
        if let Some(total) = self.total {
            match (rec.bytes_up, rec.bytes_down) {
                (Some(up), None) => rec.bytes_down = total.checked_sub(up),
                (None, Some(down)) => rec.bytes_up = total.checked_sub(down),
                _ => {}
            }
        }
        if rec.content_type.is_none() {
            rec.content_type = self.reply_ct;
        }
        rec.verdict = verdict(rec.action.as_deref(), rec.status);
        Ok(rec)
    }
}

/// `ns::code` (e.g. `ssl::>sni`): returns the length consumed and the code.
fn namespaced(s: &str) -> Option<(usize, Code)> {
    let sep = s.find("::")?;
    let ns = &s[..sep];
    if !NAMESPACES.contains(&ns) {
        return None;
    }
    let rest = &s[sep + 2..];
    let len = rest
        .bytes()
        .position(|c| !(c.is_ascii_alphanumeric() || c == b'_' || c == b'<' || c == b'>'))
        .unwrap_or(rest.len());
    if len == 0 {
        return None;
    }
    let code = if ns == "ssl" && &rest[..len] == ">sni" {
        Code::Sni
    } else {
        Code::Opaque
    };
    Some((sep + 2 + len, code))
}

fn ws_runs(s: &str) -> usize {
    let b = s.as_bytes();
    (0..b.len())
        .filter(|&i| is_ws(b[i]) && (i == 0 || !is_ws(b[i - 1])))
        .count()
}

/// From `pos`, skips `n` values-with-inner-whitespace: moves past `n`
/// whitespace runs that are part of the value itself (`%tl`'s space).
fn skip_ws_runs(b: &[u8], mut pos: usize, n: usize) -> usize {
    for _ in 0..n {
        match memchr::memchr2(b' ', b'\t', &b[pos..]) {
            Some(k) => {
                pos += k;
                while pos < b.len() && is_ws(b[pos]) {
                    pos += 1;
                }
            }
            None => return pos,
        }
    }
    pos
}

/// How many bytes of `s` the literal `lit` matches at its start; whitespace
/// in `lit` matches a run of one or more spaces/tabs.
fn match_lit_at(s: &[u8], lit: &[u8]) -> Option<usize> {
    let (mut i, mut j) = (0, 0);
    while j < lit.len() {
        if is_ws(lit[j]) {
            while j < lit.len() && is_ws(lit[j]) {
                j += 1;
            }
            let st = i;
            while i < s.len() && is_ws(s[i]) {
                i += 1;
            }
            if i == st {
                return None;
            }
        } else {
            if s.get(i) != Some(&lit[j]) {
                return None;
            }
            i += 1;
            j += 1;
        }
    }
    Some(i)
}

/// Finds the first place at or after `from` where `lit` matches; returns
/// where the match starts. With `escapes`, a first byte preceded by an odd
/// run of backslashes is skipped. With `at_end`, the match must end the line.
fn find_lit(b: &[u8], from: usize, lit: &[u8], escapes: bool, at_end: bool) -> Option<usize> {
    let first = *lit.first()?;
    let mut k = from;
    while k <= b.len() {
        let hit = if is_ws(first) {
            memchr::memchr2(b' ', b'\t', &b[k..])
        } else {
            memchr::memchr(first, &b[k..])
        }?;
        let at = k + hit;
        let escaped = escapes && {
            let mut n = 0;
            while at > n + from && b[at - n - 1] == b'\\' {
                n += 1;
            }
            n % 2 == 1
        };
        if !escaped
            && let Some(len) = match_lit_at(&b[at..], lit)
            && (!at_end || at + len == b.len())
        {
            return Some(at);
        }
        k = at + 1;
    }
    None
}
