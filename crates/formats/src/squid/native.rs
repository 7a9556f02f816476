//! Squid native format (`logformat squid`):
//! `%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`,
//! optionally followed by `log_mime_hdrs` `[…]` blocks (ignored).
//!
//! This is the hot path (250 MB/s target): fields are borrowed slices found
//! with `memchr`, numbers and the time stamp are parsed by hand, and nothing
//! is allocated unless a host has upper-case letters or a user name has
//! `%XX` escapes.
//!
//! A line with more than ten fields takes a slower, tolerant path
//! ([`parse_wide`]) for what real deployments write: a URL with a raw
//! space (`relaxed_header_parser`), a content type with parameters
//! (`text/html; charset=UTF-8`), and the widespread local variant that
//! appends quoted `"%{Referer}>h" "%{User-Agent}>h"` (in either order) to
//! the native layout.

use std::borrow::Cow;

use super::{checked_ts, fill_url, number, reject, split_pair, status, verdict};
use crate::elff::lex::{self, Tok, TokOpts};
use crate::text::{Fields, dash_none, decode_quoted, parse_epoch_ms, pct_decode, snippet};
use kensa_model::{Reject, RejectReason, WebRecord};

const NAMES: [&str; 10] = [
    "field 1 (%ts.%03tu time)",
    "field 2 (%tr duration)",
    "field 3 (%>a client)",
    "field 4 (%Ss/%>Hs result/status)",
    "field 5 (%<st bytes)",
    "field 6 (%rm method)",
    "field 7 (%ru URL)",
    "field 8 (%un user)",
    "field 9 (%Sh/%<a hierarchy/server)",
    "field 10 (%mt content type)",
];

pub(super) fn parse(line: &str) -> Result<WebRecord<'_>, Reject> {
    let mut it = Fields::new(line);
    let mut f = [""; 10];
    for (i, slot) in f.iter_mut().enumerate() {
        *slot = it.next().ok_or_else(|| {
            reject(
                RejectReason::FieldCount,
                format!("native line has {i} fields, needs 10"),
            )
        })?;
    }
    if let Some(extra) = it.next() {
        // `log_mime_hdrs on` appends `[request headers] [reply headers]`.
        if !extra.starts_with('[') {
            return parse_wide(line, &f).ok_or_else(|| {
                reject(
                    RejectReason::FieldCount,
                    format!(
                        "native line has more than 10 fields (field 11 is {}) and no Squid hierarchy field (like HIER_DIRECT/…) after the URL and user",
                        snippet(extra)
                    ),
                )
            })?;
        }
    }
    let mut rec = head(&f)?;
    fill_url(&mut rec, f[6], f[5].eq_ignore_ascii_case("CONNECT"));
    rec.user = dash_none(f[7]).map(pct_decode);
    hierarchy(&mut rec, f[8])?;
    rec.content_type = dash_none(f[9]).map(Cow::Borrowed);
    Ok(rec)
}

/// Fields 1–6 (time, duration, client, result/status, bytes, method) and
/// the verdict, which every shape of the line shares.
fn head<'a>(f: &[&'a str; 10]) -> Result<WebRecord<'a>, Reject> {
    let mut rec = WebRecord {
        ts_ms: checked_ts(parse_epoch_ms(f[0]), f[0], NAMES[0])?,
        ..Default::default()
    };
    rec.duration_ms = number(f[1], NAMES[1])?.map(|v| v.min(i64::MAX as u64) as i64);
    rec.client_ip = dash_none(f[2]).map(Cow::Borrowed);
    let (code, st) = split_pair(f[3], b'/').ok_or_else(|| {
        reject(
            RejectReason::Malformed,
            format!("{} {} has no '/'", NAMES[3], snippet(f[3])),
        )
    })?;
    if code.is_empty()
        || !code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(reject(
            RejectReason::Malformed,
            format!("{} {} is not a Squid result code", NAMES[3], snippet(code)),
        ));
    }
    rec.status = status(st, NAMES[3])?;
    rec.action = Some(Cow::Borrowed(code));
    rec.bytes_down = number(f[4], NAMES[4])?;
    rec.method = dash_none(f[5]).map(Cow::Borrowed);
    rec.verdict = verdict(Some(code), rec.status);
    Ok(rec)
}

fn hierarchy<'a>(rec: &mut WebRecord<'a>, field: &'a str) -> Result<(), Reject> {
    match split_pair(field, b'/') {
        Some((h, ip)) => {
            rec.hierarchy = dash_none(h).map(Cow::Borrowed);
            rec.server_ip = dash_none(ip).map(Cow::Borrowed);
            Ok(())
        }
        None => Err(reject(
            RejectReason::Malformed,
            format!("{} {} has no '/'", NAMES[8], snippet(field)),
        )),
    }
}

/// Whether a field reads as Squid's `%Sh/%<a`: an upper-case hierarchy code
/// (`HIER_DIRECT`, `DIRECT`, `FIRSTUP_PARENT`, `TIMEOUT_DIRECT`, `NONE`…)
/// and a `/`.
fn is_hierarchy(field: &str) -> bool {
    let Some(slash) = memchr::memchr(b'/', field.as_bytes()) else {
        return false;
    };
    let code = &field.as_bytes()[..slash];
    code.len() >= 4
        && code[0].is_ascii_uppercase()
        && code.iter().all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// The shared quote- and bracket-aware splitter (ELFF's), for the tail of
/// a wide line: `"…"` values may hold spaces and `\"`, `[…]` blocks are
/// `log_mime_hdrs`.
const TAIL: TokOpts = TokOpts { quote_escapes: true, brackets: true };

/// The tolerant reading of a native line with more than ten fields.
/// The first six fields are fixed; the hierarchy field (`HIER_DIRECT/…`) is
/// then the anchor: the field before it is the user, everything between the
/// method and the user is the URL (raw spaces kept), the unquoted fields
/// after it are the content type (parameters kept), and quoted fields after
/// that are the referer (an absolute URL) and the user agent (anything
/// else). `[…]` blocks are ignored. `None` when the line is not native
/// at all: no method in field 6, or no hierarchy after the URL and user.
fn parse_wide<'a>(line: &'a str, f: &[&'a str; 10]) -> Option<Result<WebRecord<'a>, Reject>> {
    // Only a line whose sixth field is a method is native at all; this
    // keeps other layouts (with numbers there) from being read as one.
    if f[5].is_empty() || !f[5].bytes().all(|b| b.is_ascii_uppercase() || b == b'_' || b == b'-') {
        return None;
    }
    // f[6] (the URL's first field) is a sub-slice of `line`.
    let tail = &line[f[6].as_ptr() as usize - line.as_ptr() as usize..];
    let mut toks = Vec::new();
    if let Err(u) = lex::tokenize(tail, TAIL, &mut toks) {
        return Some(Err(reject(
            RejectReason::Malformed,
            format!("native line has a '{}' after the method that never closes", u.what),
        )));
    }
    let h = (2..toks.len()).find(|&i| is_plain(&toks[i]) && is_hierarchy(&tail[toks[i].start..toks[i].end]))?;
    Some(wide_record(tail, &toks, h, f))
}

/// A field written neither `"quoted"` nor `[bracketed]`.
fn is_plain(t: &Tok) -> bool {
    t.flags & (lex::QUOTED | lex::BRACKETED) == 0
}

/// [`parse_wide`] once the hierarchy field (`toks[h]`) is found.
fn wide_record<'a>(tail: &'a str, toks: &[Tok], h: usize, f: &[&'a str; 10]) -> Result<WebRecord<'a>, Reject> {
    let text = |t: &Tok| &tail[t.start..t.end];
    let mut rec = head(f)?;
    fill_url(&mut rec, &tail[..toks[h - 2].end], f[5].eq_ignore_ascii_case("CONNECT"));
    rec.user = dash_none(text(&toks[h - 1])).map(pct_decode);
    hierarchy(&mut rec, text(&toks[h]))?;
    let rest = &toks[h + 1..];
    let plain = rest.iter().take_while(|t| is_plain(t)).count();
    // A content type spans fields only through its parameters
    // (`text/html; charset=UTF-8`); any other unquoted field is not part of
    // this layout.
    if let Some(odd) = rest[..plain].iter().skip(1).find(|t| !text(t).contains('=')) {
        return Err(reject(
            RejectReason::FieldCount,
            format!(
                "native line has an extra field {} after the content type; is this a custom logformat? (name it with --squid-logformat)",
                snippet(text(odd))
            ),
        ));
    }
    if plain > 0 {
        rec.content_type = dash_none(&tail[rest[0].start..rest[plain - 1].end]).map(Cow::Borrowed);
    }
    for t in &rest[plain..] {
        if t.flags & lex::BRACKETED != 0 {
            continue;
        }
        if is_plain(t) {
            return Err(reject(
                RejectReason::FieldCount,
                format!("native line has an unquoted field {} after its quoted values", snippet(text(t))),
            ));
        }
        let Some(v) = dash_none(text(t)) else { continue };
        let v = decode_quoted(v);
        if rec.referer.is_none() && v.contains("://") {
            rec.referer = Some(v);
        } else if rec.user_agent.is_none() {
            rec.user_agent = Some(v);
        }
    }
    Ok(rec)
}
