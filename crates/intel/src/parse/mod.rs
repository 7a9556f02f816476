//! Feed parsers. Each turns a feed into [`Indicator`]s pushed to an [`Out`],
//! and counts what it could not use (with samples) instead of failing.
//!
//! Line formats (`abuse`, `lists`) read through `read_lines`, which caps a
//! line at [`MAX_LINE_LEN`] and never holds more than one line. JSON document
//! formats (`json`: MISP, STIX, ThreatFox/Feodo JSON) are streamed element by
//! element with serde, so a huge array never becomes one in-memory tree.

pub(crate) mod abuse;
pub(crate) mod json;
pub(crate) mod lists;
pub(crate) mod stix;

use std::collections::HashSet;
use std::io::{self, BufRead};
use std::sync::Arc;

use serde::Serialize;

use crate::{FeedFormat, Indicator};

/// The longest feed line accepted (64 KiB); longer lines are rejected.
pub const MAX_LINE_LEN: usize = 64 * 1024;
/// How many samples an [`Issues`] keeps.
pub const MAX_SAMPLES: usize = 10;

/// One sampled problem: where and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// 1-based line number (for JSON documents: the element's 1-based
    /// position in its array).
    pub line: u64,
    /// The field concerned, if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Why.
    pub reason: String,
    /// The start of the offending text (at most 120 characters).
    pub excerpt: String,
}

/// A count of problems of one class, with the first [`MAX_SAMPLES`] samples.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Issues {
    /// How many.
    pub count: u64,
    /// The first few.
    pub samples: Vec<Issue>,
}

impl Issues {
    /// Counts one, sampling it while there is room.
    pub fn add(&mut self, line: u64, field: Option<&str>, reason: &str, excerpt: &str) {
        self.count += 1;
        if self.samples.len() < MAX_SAMPLES {
            self.samples.push(Issue {
                line,
                field: field.map(str::to_owned),
                reason: reason.to_owned(),
                excerpt: excerpt.chars().take(120).collect(),
            });
        }
    }
}

/// Where a parser puts its results.
pub struct Out<'s> {
    /// Source name stamped on each indicator.
    pub source: Arc<str>,
    sink: Box<dyn FnMut(Indicator) -> io::Result<()> + 's>,
    io_error: Option<io::Error>,
    interned: HashSet<Arc<str>>,
    /// Indicators pushed.
    pub emitted: u64,
    /// Indicators pushed with `alerting == false`.
    pub non_alerting: u64,
    /// Malformed lines or records.
    pub rejected: Issues,
    /// STIX patterns (or other constructs) that could not be evaluated.
    pub unsupported: Issues,
    /// Well-formed records that carry no usable indicator (MISP `text`
    /// attributes, revoked or expired STIX indicators, `localhost`, …).
    pub skipped: Issues,
    /// Per-feed option: whether domain indicators match sub-domains.
    pub subdomains: bool,
}

impl<'s> Out<'s> {
    /// A new output calling `sink` for every indicator.
    pub fn new(source: &str, sink: impl FnMut(Indicator) -> io::Result<()> + 's) -> Out<'s> {
        Out {
            source: Arc::from(source),
            sink: Box::new(sink),
            io_error: None,
            interned: HashSet::new(),
            emitted: 0,
            non_alerting: 0,
            rejected: Issues::default(),
            unsupported: Issues::default(),
            skipped: Issues::default(),
            subdomains: true,
        }
    }

    /// Shares repeated strings (threat type, malware family).
    pub fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.interned.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        if self.interned.len() < 100_000 {
            self.interned.insert(a.clone());
        }
        a
    }

    /// A fresh indicator stamped with this source.
    pub fn indicator(&self, kind: crate::IndicatorKind, value: String) -> Indicator {
        let mut i = Indicator::new(kind, value, self.source.clone());
        if kind == crate::IndicatorKind::Domain {
            i.subdomains = self.subdomains;
        }
        i
    }

    /// Pushes one indicator to the sink.
    pub fn push(&mut self, ind: Indicator) {
        if self.io_error.is_some() {
            return;
        }
        if !ind.alerting {
            self.non_alerting += 1;
        }
        self.emitted += 1;
        if let Err(e) = (self.sink)(ind) {
            self.io_error = Some(e);
        }
    }

    /// The first write error from the sink, if any.
    pub fn take_io_error(&mut self) -> Option<io::Error> {
        self.io_error.take()
    }
}

/// A line-format parser: called once per line (comments included, without
/// line terminator, trailing white space or BOM).
pub(crate) trait LineFeed {
    fn line(&mut self, no: u64, line: &str, out: &mut Out<'_>);
}

/// Reads `r` line by line into `feed`. Lines longer than [`MAX_LINE_LEN`]
/// and lines that are not UTF-8 are rejected and skipped.
pub(crate) fn read_lines(mut r: impl BufRead, feed: &mut dyn LineFeed, out: &mut Out<'_>) -> io::Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut no = 0u64;
    loop {
        buf.clear();
        let mut too_long = false;
        let mut saw_any = false;
        // Read one line without ever buffering more than MAX_LINE_LEN bytes.
        loop {
            let chunk = r.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            saw_any = true;
            let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            if !too_long {
                let room = MAX_LINE_LEN + 1 - buf.len().min(MAX_LINE_LEN + 1);
                let keep = take.min(room);
                buf.extend_from_slice(&chunk[..keep]);
                if buf.len() > MAX_LINE_LEN {
                    too_long = true;
                    buf.truncate(120);
                }
            }
            r.consume(take);
            if done {
                break;
            }
        }
        if !saw_any {
            return Ok(());
        }
        no += 1;
        if too_long {
            let ex = String::from_utf8_lossy(&buf).into_owned();
            out.rejected.add(no, None, "line longer than 64 KiB", &ex);
            continue;
        }
        let mut bytes: &[u8] = &buf;
        if no == 1 {
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        let Ok(text) = std::str::from_utf8(bytes) else {
            let ex = String::from_utf8_lossy(bytes).into_owned();
            out.rejected.add(no, None, "line is not UTF-8", &ex);
            continue;
        };
        let text = text.trim_end();
        feed.line(no, text, out);
    }
}

/// Splits one CSV line. Fields may be double-quoted (`""` escapes a quote);
/// white space after a separator is skipped (ThreatFox writes `", "`).
///
/// Hand-written rather than with the `csv` crate: every feed here is one
/// record per line (no embedded newlines), and the same splitter has to read
/// the commented header lines (`# "first_seen_utc",…`) a CSV reader treats
/// as comments.
pub(crate) fn split_csv(line: &str) -> Result<Vec<String>, &'static str> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("unterminated quoted field"),
                    Some('"') => {
                        if chars.peek() == Some(&'"') {
                            chars.next();
                            field.push('"');
                        } else {
                            break;
                        }
                    }
                    Some(c) => field.push(c),
                }
            }
            while chars.peek() == Some(&' ') {
                chars.next();
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(_) => return Err("text after a closing quote"),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field.trim_end().to_owned());
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some(c) => field.push(c),
                }
            }
            fields.push(field.trim_end().to_owned());
        }
        if fields.len() > 1024 {
            return Err("more than 1024 fields");
        }
    }
}

/// Parses a feed timestamp (`YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DD`, RFC 3339,
/// or Unix seconds) as UTC and returns RFC 3339 text. Empty, `None`, `null`
/// and unparsable values give `None`.
pub(crate) fn timestamp(s: &str) -> Option<String> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};
    let s = s.trim();
    if s.is_empty() || s.eq_ignore_ascii_case("none") || s.eq_ignore_ascii_case("null") {
        return None;
    }
    let dt: DateTime<Utc> = if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        d.with_timezone(&Utc)
    } else if let Ok(d) = NaiveDateTime::parse_from_str(s.trim_end_matches(" UTC"), "%Y-%m-%d %H:%M:%S") {
        Utc.from_utc_datetime(&d)
    } else if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?)
    } else if s.len() <= 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        Utc.timestamp_opt(s.parse().ok()?, 0).single()?
    } else {
        return None;
    };
    Some(dt.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// `None`, `none`, `null`, `-` and empty mean "no value" in abuse.ch feeds.
pub(crate) fn opt(s: &str) -> Option<&str> {
    let s = s.trim();
    match s {
        "" | "-" => None,
        _ if s.eq_ignore_ascii_case("none") || s.eq_ignore_ascii_case("null") || s.eq_ignore_ascii_case("n/a") => None,
        _ => Some(s),
    }
}

/// Splits a comma list (`a,b,c`) into tags, dropping `None` and empties.
pub(crate) fn tags(s: &str) -> Vec<String> {
    match opt(s) {
        None => Vec::new(),
        Some(s) => s.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).take(64).collect(),
    }
}

/// Runs the parser for `format` over `r`. Line formats are streamed; JSON
/// documents are streamed element by element. Errors are I/O errors (from
/// the reader or the sink) and JSON syntax errors that stop a document.
pub fn parse_feed(format: FeedFormat, r: impl BufRead, out: &mut Out<'_>) -> Result<(), crate::Error> {
    let res = match format {
        FeedFormat::Misp | FeedFormat::Stix | FeedFormat::ThreatfoxJson | FeedFormat::FeodoJson => {
            json::parse_document(format, r, out)
        }
        _ => {
            let mut feed: Box<dyn LineFeed> = match format {
                FeedFormat::UrlhausCsv => Box::new(abuse::UrlhausCsv::default()),
                FeedFormat::FeodoCsv => Box::new(abuse::FeodoCsv::default()),
                FeedFormat::ThreatfoxCsv => Box::new(abuse::ThreatfoxCsv::default()),
                FeedFormat::SslblJa3 => Box::new(abuse::Sslbl::ja3()),
                FeedFormat::SslblSha1 => Box::new(abuse::Sslbl::sha1()),
                FeedFormat::SpamhausDrop => Box::new(lists::SpamhausDrop),
                FeedFormat::SpamhausDropJson => Box::new(lists::SpamhausDropJson),
                FeedFormat::TypedCsv => Box::new(lists::TypedCsv::default()),
                FeedFormat::TorExitAddresses => Box::new(lists::TorExitAddresses::default()),
                FeedFormat::UrlhausText => Box::new(lists::Plain::with_threat("malware_download")),
                FeedFormat::FeodoText => Box::new(lists::Plain::with_threat("botnet_cc")),
                FeedFormat::TorExitList => Box::new(lists::Plain::with_threat("tor_exit")),
                _ => Box::new(lists::Plain::default()),
            };
            read_lines(r, feed.as_mut(), out).map_err(crate::Error::Io)
        }
    };
    if let Some(e) = out.take_io_error() {
        return Err(crate::Error::Io(e));
    }
    res
}

/// Parses a whole feed held in memory and returns the indicators with the
/// counters. Convenient for tests and fuzzing; the store streams instead.
pub fn parse_bytes(format: FeedFormat, source: &str, data: &[u8]) -> Result<(Vec<Indicator>, ParseStats), crate::Error> {
    let mut v = Vec::new();
    let stats = {
        let mut out = Out::new(source, |i| {
            v.push(i);
            Ok(())
        });
        parse_feed(format, data, &mut out)?;
        ParseStats::from(&out)
    };
    Ok((v, stats))
}

/// The counters of one parse.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ParseStats {
    /// Indicators produced.
    pub indicators: u64,
    /// Of which not for alerting (MISP `to_ids: false`).
    pub non_alerting: u64,
    /// Malformed lines/records.
    pub rejected: Issues,
    /// Constructs that could not be evaluated (STIX patterns).
    pub unsupported: Issues,
    /// Well-formed records without a usable indicator.
    pub skipped: Issues,
}

impl From<&Out<'_>> for ParseStats {
    fn from(o: &Out<'_>) -> ParseStats {
        ParseStats {
            indicators: o.emitted,
            non_alerting: o.non_alerting,
            rejected: o.rejected.clone(),
            unsupported: o.unsupported.clone(),
            skipped: o.skipped.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_split() {
        assert_eq!(split_csv(r#""a", "b,c", "d""e""#).unwrap(), vec!["a", "b,c", "d\"e"]);
        assert_eq!(split_csv("a,b,,c").unwrap(), vec!["a", "b", "", "c"]);
        assert_eq!(split_csv(r#""a","#).unwrap(), vec!["a", ""]);
        assert!(split_csv(r#""a"#).is_err());
        assert!(split_csv(r#""a"x,b"#).is_err());
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp("2024-04-01").as_deref(), Some("2024-04-01T00:00:00Z"));
        assert_eq!(timestamp("2023-05-23 17:51:44").as_deref(), Some("2023-05-23T17:51:44Z"));
        assert_eq!(timestamp("2014-05-08T09:00:00.000000Z").as_deref(), Some("2014-05-08T09:00:00Z"));
        assert_eq!(timestamp("None"), None);
        assert_eq!(timestamp("yesterday"), None);
    }

    #[test]
    fn long_and_binary_lines_are_rejected() {
        struct Count(u64);
        impl LineFeed for Count {
            fn line(&mut self, _: u64, _: &str, _: &mut Out<'_>) {
                self.0 += 1;
            }
        }
        let mut data = vec![b'a'; MAX_LINE_LEN + 10];
        data.extend_from_slice(b"\nok\n\xff\xfe\nlast");
        let mut out = Out::new("t", |_| Ok(()));
        let mut c = Count(0);
        read_lines(&data[..], &mut c, &mut out).unwrap();
        assert_eq!(c.0, 2);
        assert_eq!(out.rejected.count, 2);
        assert_eq!(out.rejected.samples[0].line, 1);
        assert_eq!(out.rejected.samples[1].line, 3);
        assert_eq!(out.rejected.samples[1].reason, "line is not UTF-8");
    }
}
