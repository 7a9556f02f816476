//! Small lexing helpers shared by the ELFF and i-FILTER parsers (and the tail
//! of Squid's wide native lines): a quote- and
//! bracket-aware tokenizer that records spans (so nothing is copied), percent
//! decoding with a UTF-8 → CP932 fallback, and fixed-width date/time readers.
//!
//! The tokenizer and the time readers are hand-written on purpose: the
//! layouts are fixed-width ASCII, and a general CSV or date-format crate
//! would allocate or re-validate per field on the hot path. Calendar math is
//! left to `chrono`.

use std::borrow::Cow;

use chrono::NaiveDate;

/// A token's text is `line[start..end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tok {
    pub start: usize,
    pub end: usize,
    pub flags: u8,
}

/// The token was written inside double quotes (the span excludes them).
pub(crate) const QUOTED: u8 = 1;
/// The quoted token contains an escaped quote (`""` or `\"`) to undo.
pub(crate) const ESCAPED: u8 = 2;
/// The token was written inside `[` `]` (the span excludes them).
pub(crate) const BRACKETED: u8 = 4;

/// How to split a line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokOpts {
    /// Inside quotes, `""` and `\"` stand for a literal quote (W3C/ELFF).
    /// When false, a closing quote always ends the token, even if another
    /// quote follows at once (i-FILTER D-SPA glues quoted columns).
    pub quote_escapes: bool,
    /// `[ ... ]` is one token (i-FILTER's start time).
    pub brackets: bool,
}

/// A quote or bracket that never closes; `at` is the byte offset it opened at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unterminated {
    pub at: usize,
    pub what: char,
}

#[inline]
fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Splits `line` on runs of spaces/tabs outside quotes (and brackets),
/// pushing token spans into `out` (cleared first). Runs of separators never
/// make empty tokens (the ProxySG double-space quirk).
pub(crate) fn tokenize(line: &str, opts: TokOpts, out: &mut Vec<Tok>) -> Result<(), Unterminated> {
    match tokenize_inner(line, opts, true, out) {
        Ok(()) => Ok(()),
        // A backslash right before the closing quote is more likely a literal
        // backslash than an escape: retry treating backslashes as text.
        Err(e) if opts.quote_escapes && line.contains('\\') => {
            tokenize_inner(line, opts, false, out).map_err(|_| e)
        }
        Err(e) => Err(e),
    }
}

fn tokenize_inner(
    line: &str,
    opts: TokOpts,
    backslash: bool,
    out: &mut Vec<Tok>,
) -> Result<(), Unterminated> {
    out.clear();
    let b = line.as_bytes();
    let n = b.len();
    let mut i = 0;
    while i < n {
        if is_ws(b[i]) {
            i += 1;
            continue;
        }
        if b[i] == b'"' {
            let start = i + 1;
            let mut j = start;
            let mut flags = QUOTED;
            loop {
                let hit = if opts.quote_escapes && backslash {
                    memchr::memchr2(b'"', b'\\', &b[j..])
                } else {
                    memchr::memchr(b'"', &b[j..])
                };
                let Some(k) = hit else {
                    return Err(Unterminated { at: i, what: '"' });
                };
                let k = j + k;
                if b[k] == b'\\' {
                    if k + 1 < n && b[k + 1] == b'"' {
                        flags |= ESCAPED;
                        j = k + 2;
                    } else {
                        j = k + 1;
                    }
                    continue;
                }
                if opts.quote_escapes && k + 1 < n && b[k + 1] == b'"' {
                    flags |= ESCAPED;
                    j = k + 2;
                    continue;
                }
                out.push(Tok {
                    start,
                    end: k,
                    flags,
                });
                i = k + 1;
                break;
            }
            continue;
        }
        if opts.brackets && b[i] == b'[' {
            let Some(k) = memchr::memchr(b']', &b[i + 1..]) else {
                return Err(Unterminated { at: i, what: '[' });
            };
            let k = i + 1 + k;
            // `[2001:db8::1]:443` (an IPv6 address with a port) is one plain
            // value, not a bracketed one: a bracket closes a value only
            // where the value ends. Taking it as bracketed split the
            // address from its port and shifted every later column.
            if b.get(k + 1).is_none_or(|&c| is_ws(c) || c == b'"') {
                out.push(Tok {
                    start: i + 1,
                    end: k,
                    flags: BRACKETED,
                });
                i = k + 1;
                continue;
            }
        }
        let end = memchr::memchr2(b' ', b'\t', &b[i..]).map_or(n, |k| i + k);
        out.push(Tok {
            start: i,
            end,
            flags: 0,
        });
        i = end;
    }
    Ok(())
}

/// The text of a token, with escaped quotes undone (allocates only then).
pub(crate) fn tok_text<'a>(line: &'a str, t: Tok) -> Cow<'a, str> {
    let s = line.get(t.start..t.end).unwrap_or("");
    if t.flags & ESCAPED == 0 {
        return Cow::Borrowed(s);
    }
    let mut o = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if (c == '"' || c == '\\') && chars.peek() == Some(&'"') {
            chars.next();
            o.push('"');
        } else {
            o.push(c);
        }
    }
    Cow::Owned(o)
}

/// `-` and empty mean "no value"; for a borrowed-or-owned value.
pub(crate) fn dash(c: Cow<'_, str>) -> Option<Cow<'_, str>> {
    if c.is_empty() || c == "-" {
        None
    } else {
        Some(c)
    }
}

/// Percent-decodes `s` (and, with `plus`, form-decodes `+` as a space).
/// Bytes that form valid UTF-8 are kept as UTF-8; otherwise the bytes are
/// read as CP932 (Windows Shift_JIS, `encoding_rs::SHIFT_JIS` is the WHATWG
/// windows-31j). Borrows when there is nothing to decode. Never fails:
/// malformed escapes (`%zz`) stay as written, undecodable bytes become U+FFFD.
pub fn decode_text(s: &str, plus: bool) -> Cow<'_, str> {
    let b = s.as_bytes();
    let has_pct = memchr::memchr(b'%', b).is_some();
    let has_plus = plus && memchr::memchr(b'+', b).is_some();
    if !has_pct && !has_plus {
        return Cow::Borrowed(s);
    }
    // One pass, one allocation. Hand-written because `percent-encoding`
    // does not read `+` as a space and `form_urlencoded` splits on `&`/`=`.
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        // copy the plain run up to the next `%` (or `+`) in one go
        let next = if plus {
            memchr::memchr2(b'%', b'+', &b[i..])
        } else {
            memchr::memchr(b'%', &b[i..])
        };
        let Some(k) = next else {
            out.extend_from_slice(&b[i..]);
            break;
        };
        out.extend_from_slice(&b[i..i + k]);
        i += k;
        if b[i] == b'+' {
            out.push(b' ');
            i += 1;
        } else if let (Some(h), Some(l)) = (
            b.get(i + 1).and_then(|&c| hex(c)),
            b.get(i + 2).and_then(|&c| hex(c)),
        ) {
            out.push(h << 4 | l);
            i += 3;
        } else {
            out.push(b'%');
            i += 1;
        }
    }
    match String::from_utf8(out) {
        Ok(t) if t.len() == s.len() && t == s => Cow::Borrowed(s),
        Ok(t) => Cow::Owned(t),
        Err(e) => Cow::Owned(sjis(e.as_bytes())),
    }
}

#[inline]
fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn sjis(b: &[u8]) -> String {
    let (s, _had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(b);
    s.into_owned()
}

/// Lower-cases ASCII letters, borrowing when already lower-case.
pub(crate) fn lower(c: Cow<'_, str>) -> Cow<'_, str> {
    if c.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(c.to_ascii_lowercase())
    } else {
        c
    }
}

/// Reads exactly `s.len()` ASCII digits.
#[inline]
pub(crate) fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 9 {
        return None;
    }
    let mut v: u32 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// `YYYY-MM-DD` → (year, month, day), checked to be a real date later.
pub(crate) fn parse_ymd(s: &str) -> Option<(i32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    Some((
        digits(&b[0..4])? as i32,
        digits(&b[5..7])?,
        digits(&b[8..10])?,
    ))
}

/// `HH:MM[:SS[.fff]]` → milliseconds since midnight (leap second 60 allowed).
pub(crate) fn parse_hms_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 5 || b[2] != b':' {
        return None;
    }
    let h = digits(&b[0..2])?;
    let m = digits(&b[3..5])?;
    let (sec, frac_ms) = if b.len() == 5 {
        (0, 0)
    } else {
        if b.len() < 8 || b[5] != b':' {
            return None;
        }
        let sec = digits(&b[6..8])?;
        let frac = if b.len() > 8 {
            if b[8] != b'.' || b.len() == 9 {
                return None;
            }
            let f = &b[9..b.len().min(12)];
            if !b[9..].iter().all(u8::is_ascii_digit) {
                return None;
            }
            let v = digits(f)?;
            match f.len() {
                1 => v * 100,
                2 => v * 10,
                _ => v,
            }
        } else {
            0
        };
        (sec, frac)
    };
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some(i64::from(h * 3600 + m * 60 + sec) * 1000 + i64::from(frac_ms))
}

/// Milliseconds since the epoch of a UTC calendar day.
pub(crate) fn day_ms(y: i32, m: u32, d: u32) -> Option<i64> {
    let date = NaiveDate::from_ymd_opt(y, m, d)?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// `Jan`..`Dec` (case-insensitive) → 1..=12.
pub(crate) fn month_abbr(s: &str) -> Option<u32> {
    const M: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    if s.len() != 3 {
        return None;
    }
    M.iter()
        .position(|m| m.eq_ignore_ascii_case(s))
        .map(|i| i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ELFF: TokOpts = TokOpts {
        quote_escapes: true,
        brackets: false,
    };
    const IFIL: TokOpts = TokOpts {
        quote_escapes: false,
        brackets: true,
    };

    fn texts<'a>(line: &'a str, o: TokOpts) -> Vec<Cow<'a, str>> {
        let mut v = Vec::new();
        tokenize(line, o, &mut v).unwrap();
        v.into_iter().map(|t| tok_text(line, t)).collect()
    }

    #[test]
    fn splits_quotes_runs_and_escapes() {
        assert_eq!(
            texts(r#"a  "b c" -  "x ""y"" z" "" e"#, ELFF),
            ["a", "b c", "-", r#"x "y" z"#, "", "e"]
        );
        assert_eq!(texts(r#""a \"q\" b" c"#, ELFF), [r#"a "q" b"#, "c"]);
        // a trailing backslash is literal when escapes would leave the quote open
        assert_eq!(texts(r#""C:\dir\" next"#, ELFF), [r#"C:\dir\"#, "next"]);
        let mut v = Vec::new();
        assert_eq!(
            tokenize(r#"a "open"#, ELFF, &mut v),
            Err(Unterminated { at: 2, what: '"' })
        );
    }

    #[test]
    fn splits_glued_quotes_and_brackets() {
        assert_eq!(
            texts(
                r#"x [17/Oct/2024:09:00:02 +0900] "GET / HTTP/1.1""-"UA%2F1 7"#,
                IFIL
            ),
            [
                "x",
                "17/Oct/2024:09:00:02 +0900",
                "GET / HTTP/1.1",
                "-",
                "UA%2F1",
                "7"
            ]
        );
        let mut v = Vec::new();
        assert!(tokenize("a [b c", IFIL, &mut v).is_err());
        assert_eq!(
            texts("- [2001:db8::80]:443 [::1] [x y]", IFIL),
            ["-", "[2001:db8::80]:443", "::1", "x y"]
        );
    }

    #[test]
    fn decodes_utf8_cp932_and_plus() {
        assert_eq!(
            decode_text("text%2Fhtml%3B+charset%3DUTF-8", true),
            "text/html; charset=UTF-8"
        );
        assert_eq!(
            decode_text("application/json;%20charset=UTF-8", false),
            "application/json; charset=UTF-8"
        );
        assert_eq!(decode_text("a+b", false), "a+b");
        assert!(matches!(decode_text("plain", true), Cow::Borrowed("plain")));
        assert_eq!(decode_text("%E7%A4%BE%E5%A4%96%E7%A7%98", true), "社外秘");
        // 機密 資料 in CP932: not UTF-8, so the fallback applies
        assert_eq!(decode_text("%8B%40%96%A7+%8E%91%97%BF", true), "機密 資料");
        assert_eq!(decode_text("100%zz%", true), "100%zz%");
        assert_eq!(decode_text("a%41", false), "aA");
        assert_eq!(decode_text("%4", false), "%4");
        // bytes that are neither UTF-8 nor CP932: replacement characters, no panic
        assert!(decode_text("%ff%fe", false).contains('\u{FFFD}'));
    }

    #[test]
    fn reads_times() {
        assert_eq!(parse_ymd("2024-03-22"), Some((2024, 3, 22)));
        assert_eq!(parse_ymd("2024-3-22"), None);
        assert_eq!(parse_hms_ms("16:16:01"), Some(58_561_000));
        assert_eq!(parse_hms_ms("16:16:01.25"), Some(58_561_250));
        assert_eq!(parse_hms_ms("24:00:00"), None);
        assert_eq!(parse_hms_ms("16:16:0x"), None);
        assert_eq!(day_ms(2024, 2, 30), None);
        assert_eq!(month_abbr("oct"), Some(10));
    }

    #[test]
    fn strips_syslog_prefix() {
        assert_eq!(
            crate::text::strip_syslog_header("Nov  1 14:23:55 10.0.0.9 2024-11-01 14:23:54 1"),
            "2024-11-01 14:23:54 1"
        );
        assert_eq!(
            crate::text::strip_syslog_header("<134>Nov 01 14:23:55 relay #Fields: date"),
            "#Fields: date"
        );
        assert_eq!(
            crate::text::strip_syslog_header("2024-11-01 14:23:54 1"),
            "2024-11-01 14:23:54 1"
        );
        assert_eq!(crate::text::strip_syslog_header("Nov"), "Nov");
    }
}
