//! Text helpers shared by the parsers: decoding bytes to text (UTF-8 with a
//! CP932 fallback), whitespace splitting, `-` as null, fast numbers and
//! time stamps, percent-decoding and host lower-casing.
//!
//! Everything here is written for the hot path: no allocation unless a value
//! really has to change (a `%XX` to decode, an upper-case host to fold), and
//! never a panic on any input.

use std::borrow::Cow;

/// The UTF-8 byte-order mark that Windows tools (IIS with UTF-8 logging,
/// Notepad, PowerShell 7 `Out-File -Encoding utf8BOM`) write at the start of
/// a file.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decodes a raw line: UTF-8 when valid (borrowed), else CP932/Shift_JIS
/// (owned). A leading UTF-8 byte-order mark is dropped: it is not part of
/// the first field, and left in place it made the first line of such a file
/// a bad time stamp (Squid) or hid its `#Fields:` header (W3C/ELFF). Returns
/// `None` if the line holds NUL bytes, which no text log format carries.
pub fn decode_line(bytes: &[u8]) -> Option<Cow<'_, str>> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if memchr::memchr(0, bytes).is_some() {
        return None;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Some(Cow::Borrowed(s)),
        Err(_) => {
            let (s, _, _had_errors) = encoding_rs::SHIFT_JIS.decode(bytes);
            Some(s)
        }
    }
}

/// `-` (and the empty string) mean "no value" in every format kensa reads.
pub fn dash_none(s: &str) -> Option<&str> {
    if s.is_empty() || s == "-" {
        None
    } else {
        Some(s)
    }
}

/// Whether `b` separates fields (space or tab).
#[inline]
pub fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Splits a line into fields separated by **runs** of spaces or tabs
/// (Squid right-aligns its time and duration columns, so single-space
/// splitting would make empty fields). Borrows; never allocates.
///
/// ```
/// use kensa_formats::text::Fields;
/// let v: Vec<&str> = Fields::new("  1.0    25 a\tb ").collect();
/// assert_eq!(v, ["1.0", "25", "a", "b"]);
/// ```
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    rest: &'a str,
}

impl<'a> Fields<'a> {
    /// Starts splitting `line`.
    pub fn new(line: &'a str) -> Self {
        Fields { rest: line }
    }

    /// What has not been consumed yet (leading whitespace included).
    pub fn remainder(&self) -> &'a str {
        self.rest
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let bytes = self.rest.as_bytes();
        let start = bytes.iter().position(|&b| !is_ws(b))?;
        let end = memchr::memchr2(b' ', b'\t', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        // Both cut points sit next to an ASCII byte, so they are char boundaries.
        let field = &self.rest[start..end];
        self.rest = &self.rest[end..];
        Some(field)
    }
}

/// Parses an unsigned decimal of 1..=19 ASCII digits (no sign, no spaces).
/// Hand-written rather than `str::parse` because it is on the per-field hot
/// path and refuses `+`, which `parse` accepts.
#[inline]
pub fn parse_u64(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u64::from(d);
    }
    Some(v)
}

/// [`parse_u64`] narrowed to `u16` (ports, statuses).
#[inline]
pub fn parse_u16(s: &str) -> Option<u16> {
    parse_u64(s).and_then(|v| u16::try_from(v).ok())
}

/// Parses Squid's `%ts.%03tu` (`1157689312.049`): epoch seconds, an optional
/// `.` and fraction (any number of digits; the first three are milliseconds,
/// fewer are scaled: `.5` = 500 ms). Returns milliseconds. No range check.
pub fn parse_epoch_ms(s: &str) -> Option<i64> {
    let (sec, frac) = match memchr::memchr(b'.', s.as_bytes()) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    if sec.len() > 12 {
        return None;
    }
    let secs = parse_u64(sec)? as i64;
    let mut ms: i64 = 0;
    if let Some(f) = frac {
        let fb = f.as_bytes();
        if fb.is_empty() || fb.len() > 9 {
            return None;
        }
        let mut scale = 100;
        for (i, &c) in fb.iter().enumerate() {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            if i < 3 {
                ms += i64::from(d) * scale;
                scale /= 10;
            }
        }
    }
    Some(secs * 1000 + ms)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`). Written here because it is three lines and is called
/// once per line on the `common`/`combined` hot path, where building a
/// chrono value would cost more than the rest of the parse.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn month_from_abbr(m: &[u8]) -> Option<u32> {
    let m = [
        m[0].to_ascii_lowercase(),
        m[1].to_ascii_lowercase(),
        m[2].to_ascii_lowercase(),
    ];
    Some(match &m {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    })
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u32::from(d);
    }
    Some(v)
}

/// Parses the NCSA/Squid `%tl`/`%tg` stamp `17/Oct/2024:10:00:00 +0900`
/// (exactly 26 bytes) into epoch milliseconds UTC, honouring the offset.
pub fn parse_clf_time(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 26
        || b[2] != b'/'
        || b[6] != b'/'
        || b[11] != b':'
        || b[14] != b':'
        || b[17] != b':'
        || b[20] != b' '
    {
        return None;
    }
    let day = digits(&b[0..2])?;
    let mon = month_from_abbr(&b[3..6])?;
    let year = digits(&b[7..11])?;
    let (h, mi, sec) = (
        digits(&b[12..14])?,
        digits(&b[15..17])?,
        digits(&b[18..20])?,
    );
    let sign = match b[21] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (oh, om) = (digits(&b[22..24])?, digits(&b[24..26])?);
    if !(1..=31).contains(&day) || h > 23 || mi > 59 || sec > 60 || oh > 23 || om > 59 {
        return None;
    }
    let days = days_from_civil(i64::from(year), mon, day);
    let local = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(sec);
    let offset = sign * (i64::from(oh) * 3600 + i64::from(om) * 60);
    Some((local - offset) * 1000)
}

/// Strips the header a syslog daemon or relay puts before a log line, and
/// returns the message. Recognised, each after an optional `<PRI>`:
///
/// * RFC 5424: `1 TIMESTAMP HOST APP PROCID MSGID SD MSG` (SD `-` or
///   `[…]` elements; a BOM before MSG is dropped);
/// * RFC 3164 / rsyslog's traditional file format: `Mon dd HH:MM:SS HOST `;
/// * rsyslog's high-precision file format: `YYYY-MM-DDTHH:MM:SS[.f](Z|±hh:mm) HOST `;
///
/// the last two followed by an optional program tag (`squid[1234]:`,
/// `bluecoat:`). A tag starts with a letter, holds no `:` before its last
/// character and ends in `:`, so a log line's own first value (a number, a
/// date, an IP address, a `#` directive) is never taken for one. A line
/// without such a header comes back unchanged, except for a lone `<PRI>`.
///
/// Used by formats whose own lines never start with a month name, an ISO
/// `…T…` time stamp or `<`: Squid's built-in layouts and ELFF/W3C.
///
/// ```
/// use kensa_formats::text::strip_syslog_header;
/// assert_eq!(strip_syslog_header("Nov 26 10:00:00 proxy1 squid[811]: 1700000000.123 5 …"), "1700000000.123 5 …");
/// assert_eq!(strip_syslog_header("<134>1 2024-11-26T10:00:00Z sg01 bluecoat - - - 2024-11-26 10:00:00 5"), "2024-11-26 10:00:00 5");
/// assert_eq!(strip_syslog_header("1700000000.123 5 …"), "1700000000.123 5 …");
/// ```
pub fn strip_syslog_header(line: &str) -> &str {
    let s = strip_syslog_pri(line);
    if let Some(msg) = s.strip_prefix("1 ").and_then(rfc5424_msg) {
        return msg;
    }
    let Some(n) = bsd_syslog_time_len(s).or_else(|| iso_syslog_time_len(s)) else {
        return s;
    };
    // The relay's host name (or IP), then an optional program tag.
    let rest = s[n..].trim_start_matches([' ', '\t']);
    let Some(sp) = rest.find([' ', '\t']) else {
        return s;
    };
    let rest = rest[sp..].trim_start_matches([' ', '\t']);
    let tag_end = rest.find([' ', '\t']).unwrap_or(rest.len());
    if is_syslog_tag(&rest[..tag_end]) {
        return rest[tag_end..].trim_start_matches([' ', '\t']);
    }
    rest
}

/// Drops a leading `<PRI>` (1 to 3 digits).
pub fn strip_syslog_pri(line: &str) -> &str {
    if let Some(rest) = line.strip_prefix('<')
        && let Some(close) = rest.find('>')
        && (1..=3).contains(&close)
        && rest[..close].bytes().all(|b| b.is_ascii_digit())
    {
        return &rest[close + 1..];
    }
    line
}

/// The MSG of an RFC 5424 record, given what follows its `1 ` version:
/// `TIMESTAMP HOST APP PROCID MSGID SD [MSG]`. `None` unless the time stamp
/// is `-` or ISO 8601 and the structured data is well formed.
pub fn rfc5424_msg(s: &str) -> Option<&str> {
    let mut rest = s;
    for i in 0..5 {
        let end = rest.find(' ')?;
        let tok = &rest[..end];
        if tok.is_empty() || (i == 0 && tok != "-" && iso_syslog_time_len(rest) != Some(end)) {
            return None;
        }
        rest = &rest[end + 1..];
    }
    let b = rest.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i = 1;
    } else {
        // One or more `[id param="value" …]`; `\]` and `\"` are escapes.
        while b.get(i) == Some(&b'[') {
            i += 1;
            let mut quoted = false;
            loop {
                match b.get(i)? {
                    b'\\' => i += 1,
                    b'"' => quoted = !quoted,
                    b']' if !quoted => break,
                    _ => {}
                }
                i += 1;
            }
            i += 1;
        }
        if i == 0 {
            return None;
        }
    }
    match b.get(i) {
        None => Some(""),
        Some(b' ') => {
            let msg = &rest[i + 1..];
            Some(msg.strip_prefix('\u{FEFF}').unwrap_or(msg))
        }
        Some(_) => None,
    }
}

/// Length of a leading `Mon dd HH:MM:SS` (day space- or zero-padded)
/// followed by a space or tab.
fn bsd_syslog_time_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.len() < 16 || !b[0].is_ascii_alphabetic() || month_from_abbr(&b[..3]).is_none() {
        return None;
    }
    let mut i = 3;
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    let d0 = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i == 3 || !(1..=2).contains(&(i - d0)) || b.get(i) != Some(&b' ') {
        return None;
    }
    let t = b.get(i + 1..i + 9)?;
    let ok = t[2] == b':'
        && t[5] == b':'
        && digits(&t[0..2]).is_some_and(|h| h < 24)
        && digits(&t[3..5]).is_some_and(|m| m < 60)
        && digits(&t[6..8]).is_some_and(|s| s <= 60);
    (ok && b.get(i + 9).is_some_and(|&c| is_ws(c))).then_some(i + 9)
}

/// Length of a leading `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±hh:mm|±hhmm)`
/// followed by a space or tab (or the end of `s`).
pub(crate) fn iso_syslog_time_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let shape = b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':';
    if !shape {
        return None;
    }
    for r in [0..4, 5..7, 8..10, 11..13, 14..16, 17..19] {
        digits(&b[r])?;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let f0 = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == f0 {
            return None;
        }
    }
    match b.get(i)? {
        b'Z' => i += 1,
        b'+' | b'-' => {
            let z = b.get(i + 1..)?;
            let n = if z.len() >= 5 && z[2] == b':' {
                digits(&z[0..2])?;
                digits(&z[3..5])?;
                5
            } else {
                digits(z.get(0..4)?)?;
                4
            };
            i += 1 + n;
        }
        _ => return None,
    }
    (b.get(i).is_none_or(|&c| is_ws(c))).then_some(i)
}

/// A syslog program tag: a letter, then letters, digits, `_ - . /`, an
/// optional `[pid]`, and a final `:`.
fn is_syslog_tag(t: &str) -> bool {
    let Some(body) = t.strip_suffix(':') else {
        return false;
    };
    let name = match body.find('[') {
        Some(i) => {
            let pid = &body[i + 1..];
            if !pid
                .strip_suffix(']')
                .is_some_and(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
            {
                return false;
            }
            &body[..i]
        }
        None => body,
    };
    name.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'/'))
}

/// Lower-cases ASCII letters, borrowing when there is nothing to change.
#[inline]
pub fn lower_ascii(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// Percent-decodes `%XX` escapes (Squid's RFC 1738 escaping of URLs and
/// header values). Borrows when there is no `%`. Decoded bytes that are not
/// UTF-8 are read as CP932 (Japanese clients), which never fails.
pub fn pct_decode(s: &str) -> Cow<'_, str> {
    // One decoder for every format: the ELFF/i-FILTER one, without `+` → space.
    crate::elff::lex::decode_text(s, false)
}

/// Removes C-style backslash escapes (`\"`, `\\`, `\n`, `\t`, `\r`, any
/// other `\x` → `x`), as written by Squid's `%"` encoding. Borrows when there
/// is no backslash.
pub fn unbackslash(s: &str) -> Cow<'_, str> {
    if memchr::memchr(b'\\', s.as_bytes()).is_none() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Decodes a quoted header value (`"%{User-Agent}>h"`, a combined log's
/// referer): backslash escapes as Apache and Squid's `%"` encoding write
/// them, then `%XX` as Squid's default encoding writes them. A literal `\`
/// or `%` in Squid's output is itself `%XX`-escaped, so the order is safe.
pub fn decode_quoted(v: &str) -> Cow<'_, str> {
    match unbackslash(v) {
        Cow::Borrowed(s) => pct_decode(s),
        Cow::Owned(s) => match pct_decode(&s) {
            Cow::Borrowed(_) => Cow::Owned(s),
            Cow::Owned(d) => Cow::Owned(d),
        },
    }
}

/// A short, escaped excerpt of an attacker-controlled value for a reject
/// detail: at most 40 characters, Debug-quoted so control characters,
/// newlines and bidi overrides cannot forge log output.
pub fn snippet(s: &str) -> String {
    let mut out = String::new();
    out.push('"');
    for (n, c) in s.chars().enumerate() {
        if n == 40 {
            out.push('…');
            break;
        }
        if c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
        {
            out.extend(c.escape_unicode());
        } else if c == '"' || c == '\\' {
            out.push('\\');
            out.push(c);
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf8_and_cp932() {
        assert_eq!(decode_line("検査".as_bytes()).unwrap(), "検査");
        // "検査" in Shift_JIS
        let sjis = [0x8c, 0x9f, 0x8d, 0xb8];
        assert_eq!(decode_line(&sjis).unwrap(), "検査");
        assert!(decode_line(b"a\0b").is_none());
        // a byte-order mark at the start of a file is not part of the line
        assert_eq!(
            decode_line(b"\xEF\xBB\xBF#Fields: date").unwrap(),
            "#Fields: date"
        );
        let sjis_bom = [0xEF, 0xBB, 0xBF, 0x8c, 0x9f, 0x8d, 0xb8];
        assert_eq!(decode_line(&sjis_bom).unwrap(), "検査");
        assert_eq!(dash_none("-"), None);
        assert_eq!(dash_none("x"), Some("x"));
    }

    #[test]
    fn splits_on_runs_of_whitespace() {
        let v: Vec<&str> = Fields::new("1157689312.049   5006 10.0.0.1\t\tX").collect();
        assert_eq!(v, ["1157689312.049", "5006", "10.0.0.1", "X"]);
        assert_eq!(Fields::new("   ").next(), None);
        assert_eq!(Fields::new("").next(), None);
        let v: Vec<&str> = Fields::new("検 査").collect();
        assert_eq!(v, ["検", "査"]);
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_u64("0"), Some(0));
        assert_eq!(parse_u64("18446744073709551615"), None); // 20 digits: refused, not wrapped
        assert_eq!(
            parse_u64("9999999999999999999"),
            Some(9_999_999_999_999_999_999)
        );
        assert_eq!(parse_u64("+1"), None);
        assert_eq!(parse_u64(""), None);
        assert_eq!(parse_u64("1a"), None);
        assert_eq!(parse_u16("65535"), Some(65535));
        assert_eq!(parse_u16("65536"), None);
    }

    #[test]
    fn epoch_ms() {
        assert_eq!(parse_epoch_ms("1157689312.049"), Some(1_157_689_312_049));
        assert_eq!(parse_epoch_ms("1157689312"), Some(1_157_689_312_000));
        assert_eq!(parse_epoch_ms("1157689312.5"), Some(1_157_689_312_500));
        assert_eq!(parse_epoch_ms("1157689312.123456"), Some(1_157_689_312_123));
        assert_eq!(parse_epoch_ms("1157689312."), None);
        assert_eq!(parse_epoch_ms(".5"), None);
        assert_eq!(parse_epoch_ms("12a.000"), None);
        assert_eq!(parse_epoch_ms("9999999999999999.000"), None);
    }

    #[test]
    fn clf_time_uses_the_offset() {
        // 2024-10-17 10:00:00 +0900 = 01:00:00Z = 1729126800
        assert_eq!(
            parse_clf_time("17/Oct/2024:10:00:00 +0900"),
            Some(1_729_126_800_000)
        );
        assert_eq!(
            parse_clf_time("17/Oct/2024:01:00:00 +0000"),
            Some(1_729_126_800_000)
        );
        assert_eq!(
            parse_clf_time("16/Oct/2024:20:30:00 -0430"),
            Some(1_729_126_800_000)
        );
        assert_eq!(
            parse_clf_time("29/Feb/2024:00:00:00 +0000"),
            Some(1_709_164_800_000)
        );
        assert_eq!(parse_clf_time("17/Foo/2024:10:00:00 +0900"), None);
        assert_eq!(parse_clf_time("17/Oct/2024:25:00:00 +0900"), None);
        assert_eq!(parse_clf_time("17/Oct/2024:10:00:00"), None);
        assert_eq!(parse_clf_time("17/Oct/2024:10:00:00 09000"), None);
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn strips_syslog_headers() {
        let native = "1700000000.123    250 10.0.0.5 TCP_MISS/200 1234 GET http://a.example/ - HIER_DIRECT/192.0.2.1 text/html";
        for pre in [
            "Nov 26 10:00:00 proxy1 squid[1234]: ",
            "Nov  6 10:00:00 proxy1 squid: ",
            "<134>Nov 26 10:00:00 10.0.0.9 ",
            "Nov 26 10:00:00 proxy1 ",
            "2024-11-26T10:00:00.123456+09:00 proxy1 squid[1234]: ",
            "2024-11-26T01:00:00Z proxy1 ",
            "<134>1 2024-11-26T10:00:00.000Z proxy1 squid 1234 - - ",
            "<134>1 - proxy1 squid - access [meta sequenceId=\"7\" note=\"a \\] b\"][x@1 y=\"z\"] ",
            "<134>1 2024-11-26T10:00:00+09:00 proxy1 squid - - - \u{FEFF}",
            "<134>",
        ] {
            let line = format!("{pre}{native}");
            assert_eq!(strip_syslog_header(&line), native, "{pre:?}");
        }
        // Lines that only look a bit like a header are left alone.
        for line in [
            native,
            "10.20.1.15 - yamada [17/Oct/2024:10:00:00 +0900] \"GET http://a.example/ HTTP/1.1\" 200 1 TCP_MISS:HIER_DIRECT",
            "2024-11-26 10:00:00 5 10.0.0.1 OBSERVED",
            "#Fields: date time",
            "Nov 26 10:00:00",
            "<1234>x",
        ] {
            assert_eq!(strip_syslog_header(line), line);
        }
        // An IPv6 client right after the host is not a tag.
        assert_eq!(
            strip_syslog_header("Nov 26 10:00:00 relay fe80::1 - - [x]"),
            "fe80::1 - - [x]"
        );
        assert_eq!(strip_syslog_header("<13>1 - - - - - -"), "");
        assert_eq!(rfc5424_msg("2024-11-26 x y z w - m"), None);
        assert_eq!(rfc5424_msg("- h a p m [open m"), None);
    }

    #[test]
    fn decoding_helpers() {
        assert!(matches!(lower_ascii("example.com"), Cow::Borrowed(_)));
        assert_eq!(lower_ascii("WWW.Example.COM"), "www.example.com");
        assert!(matches!(pct_decode("curl/8"), Cow::Borrowed(_)));
        assert_eq!(
            pct_decode("Mozilla/5.0%20(X11;%20Linux)"),
            "Mozilla/5.0 (X11; Linux)"
        );
        assert_eq!(pct_decode("%E7%A4%BE"), "社");
        assert_eq!(pct_decode("%8c%9f"), "検"); // CP932 bytes
        assert_eq!(pct_decode("100%"), "100%");
        assert_eq!(pct_decode("%zz"), "%zz");
        assert_eq!(unbackslash(r#"a \"b\" c\\"#), r#"a "b" c\"#);
        assert_eq!(unbackslash("end\\"), "end\\");
        assert_eq!(snippet("a\u{202E}b\n\""), "\"a\\u{202e}b\\u{a}\\\"\"");
        assert_eq!(snippet(&"x".repeat(50)).chars().count(), 43);
    }
}
