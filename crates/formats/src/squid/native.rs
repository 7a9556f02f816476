//! Squid native format (`logformat squid`):
//! `%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`,
//! optionally followed by `log_mime_hdrs` `[…]` blocks (ignored).
//!
//! This is the hot path (250 MB/s target): fields are borrowed slices found
//! with `memchr`, numbers and the time stamp are parsed by hand, and nothing
//! is allocated unless a host has upper-case letters or a user name has
//! `%XX` escapes.

use std::borrow::Cow;

use super::{checked_ts, fill_url, number, reject, split_pair, status, verdict};
use crate::text::{Fields, dash_none, parse_epoch_ms, pct_decode, snippet};
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
            return Err(reject(
                RejectReason::FieldCount,
                format!(
                    "native line has more than 10 fields (field 11 is {})",
                    snippet(extra)
                ),
            ));
        }
    }
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
    let method = f[5];
    rec.method = dash_none(method).map(Cow::Borrowed);
    fill_url(&mut rec, f[6], method.eq_ignore_ascii_case("CONNECT"));
    rec.user = dash_none(f[7]).map(pct_decode);
    match split_pair(f[8], b'/') {
        Some((h, ip)) => {
            rec.hierarchy = dash_none(h).map(Cow::Borrowed);
            rec.server_ip = dash_none(ip).map(Cow::Borrowed);
        }
        None => {
            return Err(reject(
                RejectReason::Malformed,
                format!("{} {} has no '/'", NAMES[8], snippet(f[8])),
            ));
        }
    }
    rec.content_type = dash_none(f[9]).map(Cow::Borrowed);
    rec.verdict = verdict(Some(code), rec.status);
    Ok(rec)
}
