//! Squid `common` and `combined`:
//!
//! ```text
//! common   : %>a - %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st %Ss:%Sh
//! combined : %>a - %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st "%{Referer}>h" "%{User-Agent}>h" %Ss:%Sh
//! ```
//!
//! The trailing `%Ss:%Sh` is Squid's addition to the NCSA layouts; it is
//! optional here so that Apache-style files without it still parse (then
//! `action`, `hierarchy` and `verdict` are null). `log_mime_hdrs` `[…]`
//! blocks after it are ignored.

use std::borrow::Cow;

use super::{checked_ts, fill_url, number, reject, split_pair, status, verdict};
use crate::text::{Fields, dash_none, decode_quoted, is_ws, parse_clf_time, pct_decode, snippet};
use kensa_model::{Reject, RejectReason, WebRecord};

/// Skips whitespace, then reads a `"…"` value. The closing quote is the
/// first `"` followed by whitespace or the end of the line, so a stray quote
/// inside a raw header value does not cut the field short. For the `last`
/// quoted field of the line (the User-Agent) it is the last such quote, so a
/// raw UA may even hold `" `.
fn quoted<'a>(rest: &'a str, what: &str, last: bool) -> Result<(&'a str, &'a str), Reject> {
    let rest = rest.trim_start_matches([' ', '\t']);
    let Some(body) = rest.strip_prefix('"') else {
        return Err(reject(
            RejectReason::FieldCount,
            format!("expected a quoted {what}, found {}", snippet(rest)),
        ));
    };
    let b = body.as_bytes();
    if last {
        let mut end = b.len();
        while let Some(q) = memchr::memrchr(b'"', &b[..end]) {
            if q + 1 == b.len() || is_ws(b[q + 1]) {
                return Ok((&body[..q], &body[q + 1..]));
            }
            end = q;
        }
    }
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'"', &b[from..]) {
        let q = from + i;
        if q + 1 == b.len() || is_ws(b[q + 1]) {
            return Ok((&body[..q], &body[q + 1..]));
        }
        from = q + 1;
    }
    Err(reject(
        RejectReason::UnterminatedQuote,
        format!("{what} has no closing quote"),
    ))
}

pub(super) fn parse(line: &str, combined: bool) -> Result<WebRecord<'_>, Reject> {
    let mut it = Fields::new(line);
    let missing = |n: &str| {
        reject(
            RejectReason::FieldCount,
            format!("line ends before the {n}"),
        )
    };
    let client = it.next().ok_or_else(|| missing("client"))?;
    let _ident = it.next().ok_or_else(|| missing("ident field"))?;
    let user = it.next().ok_or_else(|| missing("user"))?;
    let rest = it.remainder().trim_start_matches([' ', '\t']);
    let Some(rest) = rest.strip_prefix('[') else {
        return Err(reject(
            RejectReason::FieldCount,
            format!("expected [time] as field 4, found {}", snippet(rest)),
        ));
    };
    let close = memchr::memchr(b']', rest.as_bytes())
        .ok_or_else(|| reject(RejectReason::UnterminatedQuote, "[time] has no closing ']'"))?;
    let raw_ts = &rest[..close];
    let mut rec = WebRecord {
        ts_ms: checked_ts(parse_clf_time(raw_ts), raw_ts, "field 4 ([%tl] time)")?,
        ..Default::default()
    };
    rec.client_ip = dash_none(client).map(Cow::Borrowed);
    rec.user = dash_none(user).map(pct_decode);

    let (request, rest) = quoted(&rest[close + 1..], "request line", false)?;
    let mut req = Fields::new(request);
    let method = req.next().unwrap_or("");
    let mut url = req.remainder().trim_matches([' ', '\t']);
    if let Some(sp) = url.rfind([' ', '\t']) {
        if url[sp + 1..].starts_with("HTTP/") {
            url = url[..sp].trim_end_matches([' ', '\t']);
        }
    } else if url.starts_with("HTTP/") {
        url = "";
    }
    rec.method = dash_none(method).map(Cow::Borrowed);
    if !url.is_empty() {
        fill_url(&mut rec, url, method.eq_ignore_ascii_case("CONNECT"));
    }

    let mut it = Fields::new(rest);
    let st = it.next().ok_or_else(|| missing("status"))?;
    rec.status = status(st, "status field")?;
    let bytes = it.next().ok_or_else(|| missing("byte count"))?;
    rec.bytes_down = number(bytes, "byte-count field")?;
    let mut rest = it.remainder();
    if combined {
        let (referer, r) = quoted(rest, "Referer", false)?;
        let (ua, r) = quoted(r, "User-Agent", true)?;
        rec.referer = dash_none(referer).map(decode_quoted);
        rec.user_agent = dash_none(ua).map(decode_quoted);
        rest = r;
    }
    let mut it = Fields::new(rest);
    if let Some(tags) = it.next() {
        if tags.starts_with('"') {
            return Err(reject(
                RejectReason::FieldCount,
                format!(
                    "unexpected quoted field {} after the byte count",
                    snippet(tags)
                ),
            ));
        }
        if !tags.starts_with('[') {
            let (code, hier) = split_pair(tags, b':').ok_or_else(|| {
                reject(
                    RejectReason::Malformed,
                    format!("last field {} is not %Ss:%Sh", snippet(tags)),
                )
            })?;
            rec.action = dash_none(code).map(Cow::Borrowed);
            rec.hierarchy = dash_none(hier).map(Cow::Borrowed);
            if let Some(extra) = it.next()
                && !extra.starts_with('[')
            {
                return Err(reject(
                    RejectReason::FieldCount,
                    format!("extra field {} after %Ss:%Sh", snippet(extra)),
                ));
            }
        }
    }
    rec.verdict = verdict(rec.action.as_deref(), rec.status);
    Ok(rec)
}
