//! Renderers: one [`Event`] → one log line per format.
//!
//! Every renderer writes into a reusable `Vec<u8>` with hand-rolled
//! concatenation and `itoa` (no `format!` per line) and caches the last
//! rendered second, so bulk output stays fast. Each format drops what it
//! cannot carry; see [`SynthFormat`].

use chrono::{Datelike, Timelike};
use serde::{Deserialize, Serialize};

use kensa_model::SourceFormat;

use crate::event::{Ct, Event, Method, Outcome, Scheme};
use crate::world::{World, ifilter_escape, squid_user_escape};

/// A log format the generator can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SynthFormat {
    /// Squid `logformat squid` (the default): end time, duration, client,
    /// code/status, bytes to client, method, URL (query stripped, `?` kept),
    /// user, hierarchy/peer, MIME type. No upload bytes, UA, referer or
    /// category.
    SquidNative,
    /// Squid `logformat combined`: local time (`+0900`), request line,
    /// status, bytes to client, referer, UA, `code:hierarchy`. No duration,
    /// upload bytes, server IP or MIME type.
    SquidCombined,
    /// Squid `logformat common`: like combined without referer and UA.
    SquidCommon,
    /// Blue Coat ProxySG ELFF with a `#Fields:` header in the `main` order
    /// (25 fields: categories, filter result, `cs-bytes`/`sc-bytes`, UA,
    /// referer, query; UTC times). No server IP.
    ProxySgElff,
    /// i-FILTER Ver.10 default 35-column access log: syslog-style local
    /// output time, bracketed local start time, upload/download bytes,
    /// pass/block, category numbers, percent-encoded UA and content type.
    IfilterV10Access,
}

impl SynthFormat {
    /// Every format, in the order `generate` writes them.
    pub const ALL: &'static [SynthFormat] = &[
        SynthFormat::SquidNative,
        SynthFormat::SquidCombined,
        SynthFormat::SquidCommon,
        SynthFormat::ProxySgElff,
        SynthFormat::IfilterV10Access,
    ];

    /// The matching [`SourceFormat`] a parser should report.
    pub fn source_format(self) -> SourceFormat {
        match self {
            SynthFormat::SquidNative => SourceFormat::SquidNative,
            SynthFormat::SquidCombined => SourceFormat::SquidCombined,
            SynthFormat::SquidCommon => SourceFormat::SquidCommon,
            SynthFormat::ProxySgElff => SourceFormat::ProxySgElff,
            SynthFormat::IfilterV10Access => SourceFormat::IfilterV10Access,
        }
    }

    /// File path under the output directory (before any `.gz`).
    pub fn file_name(self) -> &'static str {
        match self {
            SynthFormat::SquidNative => "squid/access.log",
            SynthFormat::SquidCombined => "squid/access_combined.log",
            SynthFormat::SquidCommon => "squid/access_common.log",
            SynthFormat::ProxySgElff => "proxysg/SG_main.log",
            SynthFormat::IfilterV10Access => "ifilter/access.log0001",
        }
    }

    /// The stable name (same as [`SourceFormat::as_str`]).
    pub fn as_str(self) -> &'static str {
        self.source_format().as_str()
    }

    /// Parses a stable name (`squid-native`, `proxysg-elff`, …).
    pub fn from_name(s: &str) -> Option<SynthFormat> {
        SynthFormat::ALL.iter().copied().find(|f| f.as_str() == s)
    }
}

impl std::fmt::Display for SynthFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The ProxySG `main` field list written in the `#Fields:` header.
pub const PROXYSG_MAIN_FIELDS: &str = "date time time-taken c-ip cs-username cs-auth-group x-exception-id sc-filter-result cs-categories cs(Referer) sc-status s-action cs-method rs(Content-Type) cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query cs-uri-extension cs(User-Agent) s-ip sc-bytes cs-bytes x-virus-id";

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const JST_S: i64 = 9 * 3600;
/// The ProxySG appliance address (`s-ip`).
const SG_IP: &str = "10.1.0.5";

/// Caches the text of the last second rendered.
struct SecCache {
    sec: i64,
    text: String,
}

impl SecCache {
    fn new() -> SecCache {
        SecCache {
            sec: i64::MIN,
            text: String::new(),
        }
    }
    fn get(&mut self, sec: i64, f: fn(i64, &mut String)) -> &str {
        if sec != self.sec {
            self.sec = sec;
            self.text.clear();
            f(sec, &mut self.text);
        }
        &self.text
    }
}

fn civil(sec: i64) -> chrono::NaiveDateTime {
    chrono::DateTime::from_timestamp(sec, 0)
        .unwrap_or_default()
        .naive_utc()
}

fn push2(s: &mut String, v: u32) {
    s.push(char::from(b'0' + (v / 10 % 10) as u8));
    s.push(char::from(b'0' + (v % 10) as u8));
}

fn push_hms(s: &mut String, d: &chrono::NaiveDateTime) {
    push2(s, d.hour());
    s.push(':');
    push2(s, d.minute());
    s.push(':');
    push2(s, d.second());
}

/// `17/Nov/2026:09:00:03 +0900` (Squid `%tl`, i-FILTER start time).
fn fmt_clf_jst(sec: i64, s: &mut String) {
    let d = civil(sec + JST_S);
    push2(s, d.day());
    s.push('/');
    s.push_str(MONTHS[d.month0() as usize]);
    s.push('/');
    s.push_str(itoa::Buffer::new().format(d.year()));
    s.push(':');
    push_hms(s, &d);
    s.push_str(" +0900");
}

/// `Nov 17 09:00:03` / `Nov  3 09:00:03` (syslog style, JST, no year).
fn fmt_syslog_jst(sec: i64, s: &mut String) {
    let d = civil(sec + JST_S);
    s.push_str(MONTHS[d.month0() as usize]);
    s.push(' ');
    if d.day() < 10 {
        s.push(' ');
        s.push(char::from(b'0' + d.day() as u8));
    } else {
        push2(s, d.day());
    }
    s.push(' ');
    push_hms(s, &d);
}

/// `2026-11-17 00:00:03` (ELFF `date time`, UTC).
fn fmt_elff_utc(sec: i64, s: &mut String) {
    let d = civil(sec);
    s.push_str(itoa::Buffer::new().format(d.year()));
    s.push('-');
    push2(s, d.month());
    s.push('-');
    push2(s, d.day());
    s.push(' ');
    push_hms(s, &d);
}

/// Renders events of one world in one format.
pub(crate) struct Renderer<'w> {
    fmt: SynthFormat,
    w: &'w World,
    strip_query: bool,
    t_end: SecCache,
    t_start: SecCache,
    squid_users: Vec<String>,
    ifilter_users: Vec<String>,
    dest_ips: Vec<String>,
    ct_sg: Vec<String>,
    ct_ifilter: Vec<String>,
    num: itoa::Buffer,
}

fn squid_code(e: &Event) -> (&'static str, bool) {
    // (result code, contacted the origin)
    match e.outcome {
        Outcome::Miss => ("TCP_MISS", true),
        Outcome::Hit => (
            if e.down < 20_000 {
                "TCP_MEM_HIT"
            } else {
                "TCP_HIT"
            },
            false,
        ),
        Outcome::Refresh => ("TCP_REFRESH_UNMODIFIED", true),
        Outcome::Tunnel => ("TCP_TUNNEL", true),
        Outcome::Blocked | Outcome::AuthRequired => ("TCP_DENIED", false),
        Outcome::DnsFail => ("TCP_MISS", false),
    }
}

impl<'w> Renderer<'w> {
    pub(crate) fn new(fmt: SynthFormat, w: &'w World, strip_query: bool) -> Renderer<'w> {
        Renderer {
            fmt,
            w,
            strip_query,
            t_end: SecCache::new(),
            t_start: SecCache::new(),
            squid_users: w
                .hosts
                .iter()
                .map(|h| {
                    h.user
                        .as_deref()
                        .map(squid_user_escape)
                        .unwrap_or_else(|| "-".into())
                })
                .collect(),
            ifilter_users: w
                .hosts
                .iter()
                .map(|h| {
                    h.user
                        .as_deref()
                        .map(ifilter_escape)
                        .unwrap_or_else(|| "-".into())
                })
                .collect(),
            dest_ips: w.dests.iter().map(|d| d.ip.to_string()).collect(),
            ct_sg: Ct::ALL
                .iter()
                .map(|c| {
                    c.value()
                        .map(|v| v.replace(' ', "%20"))
                        .unwrap_or_else(|| "-".into())
                })
                .collect(),
            ct_ifilter: Ct::ALL
                .iter()
                .map(|c| c.value().map(ifilter_escape).unwrap_or_else(|| "-".into()))
                .collect(),
            num: itoa::Buffer::new(),
        }
    }

    /// The header lines a file of this format starts with (may be empty).
    pub(crate) fn header(&self, first_ms: i64) -> String {
        match self.fmt {
            SynthFormat::ProxySgElff => {
                let mut d = String::new();
                fmt_elff_utc(first_ms.div_euclid(1000), &mut d);
                format!(
                    "#Software: SGOS 7.3.16.1\n#Version: 1.0\n#Start-Date: {d}\n#Date: {d}\n#Fields: {PROXYSG_MAIN_FIELDS}\n#Remark: 4915260021 \"PROXYSG-TKY01\" \"{SG_IP}\" \"main\"\n"
                )
            }
            _ => String::new(),
        }
    }

    fn n(&mut self, out: &mut Vec<u8>, v: u64) {
        out.extend_from_slice(self.num.format(v).as_bytes());
    }

    fn url(&self, e: &Event, out: &mut Vec<u8>, strip: bool) {
        let host = &self.w.dests[e.dest as usize].name;
        if e.scheme == Scheme::Tunnel {
            out.extend_from_slice(host.as_bytes());
            out.push(b':');
            out.extend_from_slice(itoa::Buffer::new().format(e.port).as_bytes());
            return;
        }
        let (sch, def) = if e.scheme == Scheme::Http {
            ("http://", 80)
        } else {
            ("https://", 443)
        };
        out.extend_from_slice(sch.as_bytes());
        out.extend_from_slice(host.as_bytes());
        if e.port != def {
            out.push(b':');
            out.extend_from_slice(itoa::Buffer::new().format(e.port).as_bytes());
        }
        let path = if e.path.is_empty() {
            "/"
        } else {
            e.path.as_str()
        };
        match (strip, path.find('?')) {
            (true, Some(q)) => out.extend_from_slice(&path.as_bytes()[..=q]),
            _ => out.extend_from_slice(path.as_bytes()),
        }
    }

    /// Appends one line (with `\n`) for `e`. `shift_ms` moves the event in
    /// time and `client` overrides the client address (bulk mode).
    pub(crate) fn line(
        &mut self,
        e: &Event,
        shift_ms: i64,
        client: Option<&str>,
        out: &mut Vec<u8>,
    ) {
        match self.fmt {
            SynthFormat::SquidNative => self.squid_native(e, shift_ms, client, out),
            SynthFormat::SquidCombined => self.squid_clf(e, shift_ms, client, out, true),
            SynthFormat::SquidCommon => self.squid_clf(e, shift_ms, client, out, false),
            SynthFormat::ProxySgElff => self.proxysg(e, shift_ms, client, out),
            SynthFormat::IfilterV10Access => self.ifilter(e, shift_ms, client, out),
        }
        out.push(b'\n');
    }

    fn client<'a>(&'a self, e: &Event, client: Option<&'a str>) -> &'a str {
        client.unwrap_or(&self.w.hosts[e.host as usize].ip_str)
    }

    fn squid_native(&mut self, e: &Event, shift: i64, client: Option<&str>, out: &mut Vec<u8>) {
        let end = e.end_ms() + shift;
        let sec = end.div_euclid(1000);
        let ms = end.rem_euclid(1000) as u32;
        let s = self.num.format(sec);
        for _ in s.len()..9 {
            out.push(b' ');
        }
        out.extend_from_slice(s.as_bytes());
        out.push(b'.');
        out.push(b'0' + (ms / 100) as u8);
        out.push(b'0' + (ms / 10 % 10) as u8);
        out.push(b'0' + (ms % 10) as u8);
        out.push(b' ');
        let d = self.num.format(e.dur_ms);
        for _ in d.len()..6 {
            out.push(b' ');
        }
        out.extend_from_slice(d.as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.client(e, client).as_bytes());
        out.push(b' ');
        let (code, origin) = squid_code(e);
        out.extend_from_slice(code.as_bytes());
        out.push(b'/');
        out.push(b'0' + (e.status / 100 % 10) as u8);
        out.push(b'0' + (e.status / 10 % 10) as u8);
        out.push(b'0' + (e.status % 10) as u8);
        out.push(b' ');
        self.n(out, e.down);
        out.push(b' ');
        out.extend_from_slice(e.method.as_str().as_bytes());
        out.push(b' ');
        self.url(e, out, self.strip_query);
        out.push(b' ');
        if e.authed {
            out.extend_from_slice(self.squid_users[e.host as usize].as_bytes());
        } else {
            out.push(b'-');
        }
        out.push(b' ');
        if origin {
            out.extend_from_slice(b"HIER_DIRECT/");
            out.extend_from_slice(self.dest_ips[e.dest as usize].as_bytes());
        } else {
            out.extend_from_slice(b"HIER_NONE/-");
        }
        out.push(b' ');
        // Squid logs the MIME type without parameters.
        match e.ct.value() {
            Some(v) if e.method != Method::Connect => {
                out.extend_from_slice(v.split(';').next().unwrap_or(v).as_bytes())
            }
            _ => out.push(b'-'),
        }
    }

    fn squid_clf(
        &mut self,
        e: &Event,
        shift: i64,
        client: Option<&str>,
        out: &mut Vec<u8>,
        combined: bool,
    ) {
        let end = e.end_ms() + shift;
        out.extend_from_slice(self.client(e, client).as_bytes());
        out.extend_from_slice(b" - ");
        if e.authed {
            out.extend_from_slice(self.squid_users[e.host as usize].as_bytes());
        } else {
            out.push(b'-');
        }
        out.extend_from_slice(b" [");
        out.extend_from_slice(self.t_end.get(end.div_euclid(1000), fmt_clf_jst).as_bytes());
        out.extend_from_slice(b"] \"");
        out.extend_from_slice(e.method.as_str().as_bytes());
        out.push(b' ');
        self.url(e, out, self.strip_query);
        out.extend_from_slice(b" HTTP/1.1\" ");
        self.n(out, u64::from(e.status));
        out.push(b' ');
        self.n(out, e.down);
        if combined {
            out.extend_from_slice(b" \"");
            match &e.referer {
                // Generated URLs are already escaped; only escape what needs it.
                Some(r)
                    if r.bytes()
                        .all(|b| b.is_ascii_graphic() && !b"\"#<>{}|\\^~[]`'".contains(&b)) =>
                {
                    out.extend_from_slice(r.as_bytes())
                }
                Some(r) => out.extend_from_slice(crate::world::squid_escape(r).as_bytes()),
                None => out.push(b'-'),
            }
            out.extend_from_slice(b"\" \"");
            out.extend_from_slice(self.w.uas[e.ua as usize].squid.as_bytes());
            out.push(b'"');
        }
        out.push(b' ');
        let (code, origin) = squid_code(e);
        out.extend_from_slice(code.as_bytes());
        out.extend_from_slice(if origin {
            b":HIER_DIRECT"
        } else {
            b":HIER_NONE"
        });
    }

    fn proxysg(&mut self, e: &Event, shift: i64, client: Option<&str>, out: &mut Vec<u8>) {
        let end = e.end_ms() + shift;
        out.extend_from_slice(
            self.t_end
                .get(end.div_euclid(1000), fmt_elff_utc)
                .as_bytes(),
        );
        out.push(b' ');
        self.n(out, u64::from(e.dur_ms));
        out.push(b' ');
        out.extend_from_slice(self.client(e, client).as_bytes());
        out.push(b' ');
        let host = &self.w.hosts[e.host as usize];
        match (&host.user, e.authed) {
            (Some(u), true) => {
                out.extend_from_slice(u.as_bytes());
                out.extend_from_slice(b" CORP\\");
                out.extend_from_slice(host.dept.as_bytes());
            }
            _ => out.extend_from_slice(b"- -"),
        }
        let (exc, filt, action, status) = match e.outcome {
            Outcome::Miss => (
                "-",
                "OBSERVED",
                if matches!(e.ct, Ct::Html | Ct::Json | Ct::None | Ct::Plain) {
                    "TCP_NC_MISS"
                } else {
                    "TCP_MISS"
                },
                e.status,
            ),
            Outcome::Hit => ("-", "OBSERVED", "TCP_HIT", e.status),
            Outcome::Refresh => ("-", "OBSERVED", "TCP_REFRESH_MISS", e.status),
            Outcome::Tunnel => ("-", "OBSERVED", "TCP_TUNNELED", 200),
            Outcome::Blocked => ("policy_denied", "DENIED", "TCP_DENIED", 403),
            Outcome::AuthRequired => ("authentication_failed", "DENIED", "TCP_DENIED", 407),
            Outcome::DnsFail => ("dns_unresolved_hostname", "OBSERVED", "TCP_ERR_MISS", 503),
        };
        out.push(b' ');
        out.extend_from_slice(exc.as_bytes());
        out.push(b' ');
        out.extend_from_slice(filt.as_bytes());
        out.extend_from_slice(b" \"");
        out.extend_from_slice(self.w.dests[e.dest as usize].cat.sg_name().as_bytes());
        out.extend_from_slice(b"\" ");
        match &e.referer {
            Some(r) => out.extend_from_slice(r.replace('"', "%22").as_bytes()),
            None => out.push(b'-'),
        }
        out.push(b' ');
        self.n(out, u64::from(status));
        out.push(b' ');
        out.extend_from_slice(action.as_bytes());
        out.push(b' ');
        out.extend_from_slice(e.method.as_str().as_bytes());
        out.push(b' ');
        if e.outcome == Outcome::Tunnel {
            out.push(b'-');
        } else {
            out.extend_from_slice(self.ct_sg[e.ct as usize].as_bytes());
        }
        out.push(b' ');
        out.extend_from_slice(match e.scheme {
            Scheme::Http => b"http".as_slice(),
            Scheme::Https => b"https",
            Scheme::Tunnel => b"tcp",
        });
        out.push(b' ');
        out.extend_from_slice(self.w.dests[e.dest as usize].name.as_bytes());
        out.push(b' ');
        self.n(out, u64::from(e.port));
        out.push(b' ');
        let (path, query) = match e.path.find('?') {
            _ if e.scheme == Scheme::Tunnel || e.path.is_empty() => ("/", None),
            Some(q) => (&e.path[..q], Some(&e.path[q..])),
            None => (e.path.as_str(), None),
        };
        out.extend_from_slice(path.as_bytes());
        out.push(b' ');
        out.extend_from_slice(query.unwrap_or("-").as_bytes());
        out.push(b' ');
        let last = path.rsplit('/').next().unwrap_or("");
        match last.rsplit_once('.') {
            Some((stem, ext))
                if !stem.is_empty()
                    && !ext.is_empty()
                    && ext.len() <= 8
                    && ext.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                out.extend_from_slice(ext.as_bytes())
            }
            _ => out.push(b'-'),
        }
        out.push(b' ');
        let ua = &self.w.uas[e.ua as usize].raw;
        if ua.contains(' ') {
            out.push(b'"');
            out.extend_from_slice(ua.as_bytes());
            out.push(b'"');
        } else {
            out.extend_from_slice(ua.as_bytes());
        }
        out.push(b' ');
        out.extend_from_slice(SG_IP.as_bytes());
        out.push(b' ');
        self.n(out, e.down);
        out.push(b' ');
        self.n(out, e.up);
        out.extend_from_slice(b" -");
    }

    fn ifilter(&mut self, e: &Event, shift: i64, client: Option<&str>, out: &mut Vec<u8>) {
        let end = e.end_ms() + shift;
        let start = e.start_ms + shift;
        out.extend_from_slice(
            self.t_end
                .get(end.div_euclid(1000), fmt_syslog_jst)
                .as_bytes(),
        );
        out.extend_from_slice(b" 3121 1050/01/ - ");
        let passed = matches!(
            e.outcome,
            Outcome::Miss | Outcome::Hit | Outcome::Refresh | Outcome::Tunnel
        );
        if passed {
            out.extend_from_slice(self.dest_ips[e.dest as usize].as_bytes());
            out.push(b':');
            self.n(out, u64::from(e.port));
        } else {
            out.push(b'-');
        }
        let c = self.client(e, client).as_bytes();
        out.push(b' ');
        out.extend_from_slice(c);
        out.push(b' ');
        out.extend_from_slice(c);
        out.push(b' ');
        out.extend_from_slice(self.w.hosts[e.host as usize].name.as_bytes());
        out.push(b' ');
        if e.authed {
            out.extend_from_slice(self.ifilter_users[e.host as usize].as_bytes());
        } else {
            out.push(b'-');
        }
        out.extend_from_slice(b" [");
        out.extend_from_slice(
            self.t_start
                .get(start.div_euclid(1000), fmt_clf_jst)
                .as_bytes(),
        );
        out.extend_from_slice(b"] ");
        let cat = self.w.dests[e.dest as usize].cat.ifilter_no();
        let (status, action, reason, up) = match e.outcome {
            Outcome::Blocked => (503, "block", 63, 0),
            Outcome::AuthRequired => (407, "block", 90, 0),
            Outcome::DnsFail => (502, "pass", 0, e.up),
            Outcome::Tunnel => (200, "pass", 0, e.up),
            _ => (e.status, "pass", 0, e.up),
        };
        self.n(out, u64::from(status));
        out.push(b' ');
        self.n(out, up);
        out.push(b' ');
        self.n(out, e.down);
        out.push(b' ');
        out.extend_from_slice(action.as_bytes());
        out.push(b' ');
        self.n(out, reason);
        out.push(b' ');
        self.n(out, u64::from(cat));
        out.push(b' ');
        self.n(out, u64::from(cat));
        out.extend_from_slice(b" -1 0 ");
        self.n(out, u64::from(e.dur_ms));
        out.extend_from_slice(b" 0 ");
        out.extend_from_slice(self.w.hosts[e.host as usize].dept.as_bytes());
        out.extend_from_slice(b" - 0 - \"");
        out.extend_from_slice(e.method.as_str().as_bytes());
        out.push(b' ');
        self.url(e, out, false);
        out.extend_from_slice(b" HTTP/1.1\" ");
        match &e.referer {
            Some(r) => out.extend_from_slice(r.as_bytes()),
            None => out.push(b'-'),
        }
        out.push(b' ');
        out.extend_from_slice(self.w.uas[e.ua as usize].ifilter.as_bytes());
        out.push(b' ');
        if e.outcome == Outcome::Tunnel {
            out.push(b'-');
        } else {
            out.extend_from_slice(self.ct_ifilter[e.ct as usize].as_bytes());
        }
        out.push(b' ');
        let h = crate::rng::splitmix((start as u64) ^ (u64::from(e.host) << 40) ^ e.down);
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        for i in (0..8).rev() {
            out.push(HEX[((h >> (i * 4)) & 0xf) as usize]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::NO_THREAT;
    use crate::world::Cat;

    /// A world with one known host and one known destination.
    fn world() -> (World, u32, u16) {
        let mut w = World::new(1, 3);
        let h = &mut w.hosts[0];
        h.ip = "10.20.1.15".parse().unwrap();
        h.ip_str = "10.20.1.15".into();
        h.name = "PC-EIGYO-0100".into();
        h.user = Some("CORP\\suzuki".into());
        h.dept = "eigyo";
        let d = w.dest("files.example.co.jp", Cat::Storage);
        w.dests[d as usize].ip = "203.0.113.7".parse().unwrap();
        let ua = w.ua("Mozilla/5.0 (Windows NT 10.0; Win64; x64)");
        (w, d, ua)
    }

    fn upload(d: u32, ua: u16) -> Event {
        Event {
            // 2026-11-17T15:30:00.250Z = 2026-11-18 00:30:00 JST
            start_ms: 1_794_929_400_250,
            dur_ms: 4_321,
            host: 0,
            authed: true,
            method: Method::Post,
            scheme: Scheme::Https,
            dest: d,
            port: 443,
            path: "/api/upload?name=a%20b&x=1".into(),
            outcome: Outcome::Miss,
            status: 200,
            up: 10_485_760,
            down: 512,
            ct: Ct::Json,
            referer: Some("https://files.example.co.jp/".into()),
            ua,
            threat: NO_THREAT,
        }
    }

    fn render(f: SynthFormat, w: &World, e: &Event) -> String {
        let mut r = Renderer::new(f, w, true);
        let mut out = Vec::new();
        r.line(e, 0, None, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn exact_lines_for_an_upload() {
        let (w, d, ua) = world();
        let e = upload(d, ua);
        assert_eq!(
            render(SynthFormat::SquidNative, &w, &e),
            "1794929404.571   4321 10.20.1.15 TCP_MISS/200 512 POST https://files.example.co.jp/api/upload? CORP%5Csuzuki HIER_DIRECT/203.0.113.7 application/json\n"
        );
        assert_eq!(
            render(SynthFormat::SquidCombined, &w, &e),
            "10.20.1.15 - CORP%5Csuzuki [18/Nov/2026:00:30:04 +0900] \"POST https://files.example.co.jp/api/upload? HTTP/1.1\" 200 512 \"https://files.example.co.jp/\" \"Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)\" TCP_MISS:HIER_DIRECT\n"
        );
        assert_eq!(
            render(SynthFormat::SquidCommon, &w, &e),
            "10.20.1.15 - CORP%5Csuzuki [18/Nov/2026:00:30:04 +0900] \"POST https://files.example.co.jp/api/upload? HTTP/1.1\" 200 512 TCP_MISS:HIER_DIRECT\n"
        );
        assert_eq!(
            render(SynthFormat::ProxySgElff, &w, &e),
            "2026-11-17 15:30:04 4321 10.20.1.15 CORP\\suzuki CORP\\eigyo - OBSERVED \"Online Storage\" https://files.example.co.jp/ 200 TCP_NC_MISS POST application/json https files.example.co.jp 443 /api/upload ?name=a%20b&x=1 - \"Mozilla/5.0 (Windows NT 10.0; Win64; x64)\" 10.1.0.5 512 10485760 -\n"
        );
        let i = render(SynthFormat::IfilterV10Access, &w, &e);
        let expect_prefix = "Nov 18 00:30:04 3121 1050/01/ - 203.0.113.7:443 10.20.1.15 10.20.1.15 PC-EIGYO-0100 CORP%5Csuzuki [18/Nov/2026:00:30:00 +0900] 200 10485760 512 pass 0 109 109 -1 0 4321 0 eigyo - 0 - \"POST https://files.example.co.jp/api/upload?name=a%20b&x=1 HTTP/1.1\" https://files.example.co.jp/ Mozilla%2F5.0+%28Windows+NT+10.0%3B+Win64%3B+x64%29 application%2Fjson ";
        assert!(i.starts_with(expect_prefix), "{i}");
        let id = i.trim_end().rsplit(' ').next().unwrap();
        assert_eq!(id.len(), 8);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
        );
    }

    #[test]
    fn denials_tunnels_and_dns_failures() {
        let (w, d, ua) = world();
        let mut e = upload(d, ua);
        e.method = Method::Connect;
        e.scheme = Scheme::Tunnel;
        e.path.clear();
        e.outcome = Outcome::AuthRequired;
        e.status = 407;
        e.authed = false;
        e.up = 260;
        e.down = 3_900;
        e.ct = Ct::Html;
        e.referer = None;
        let sq = render(SynthFormat::SquidNative, &w, &e);
        assert!(
            sq.contains(" TCP_DENIED/407 3900 CONNECT files.example.co.jp:443 - HIER_NONE/- -\n"),
            "{sq}"
        );
        let sg = render(SynthFormat::ProxySgElff, &w, &e);
        assert!(sg.contains(" - - authentication_failed DENIED \"Online Storage\" - 407 TCP_DENIED CONNECT text/html;%20charset=utf-8 tcp files.example.co.jp 443 / - - "), "{sg}");
        let ifl = render(SynthFormat::IfilterV10Access, &w, &e);
        assert!(
            ifl.contains(" - 10.20.1.15 10.20.1.15 PC-EIGYO-0100 - [")
                && ifl.contains("] 407 0 3900 block 90 "),
            "{ifl}"
        );
        assert!(
            ifl.contains("\"CONNECT files.example.co.jp:443 HTTP/1.1\" - "),
            "{ifl}"
        );

        e.outcome = Outcome::Tunnel;
        e.status = 200;
        e.authed = true;
        e.ct = Ct::None;
        let sq = render(SynthFormat::SquidNative, &w, &e);
        assert!(sq.contains(" TCP_TUNNEL/200 3900 CONNECT files.example.co.jp:443 CORP%5Csuzuki HIER_DIRECT/203.0.113.7 -\n"), "{sq}");

        let mut f = upload(d, ua);
        f.method = Method::Get;
        f.scheme = Scheme::Http;
        f.port = 80;
        f.path = "/".into();
        f.outcome = Outcome::DnsFail;
        f.status = 503;
        f.ct = Ct::Html;
        let sq = render(SynthFormat::SquidNative, &w, &f);
        assert!(sq.contains(" TCP_MISS/503 512 GET http://files.example.co.jp/ CORP%5Csuzuki HIER_NONE/- text/html\n"), "{sq}");
        let sg = render(SynthFormat::ProxySgElff, &w, &f);
        assert!(
            sg.contains(" dns_unresolved_hostname OBSERVED ")
                && sg.contains(" 503 TCP_ERR_MISS GET "),
            "{sg}"
        );
        let ifl = render(SynthFormat::IfilterV10Access, &w, &f);
        assert!(
            ifl.contains(" 3121 1050/01/ - - 10.20.1.15 ") && ifl.contains("] 502 "),
            "{ifl}"
        );
    }

    #[test]
    fn proxysg_header_and_nonstandard_port() {
        let (w, d, ua) = world();
        let r = Renderer::new(SynthFormat::ProxySgElff, &w, true);
        let h = r.header(1_794_787_200_000);
        assert_eq!(h.lines().count(), 6);
        assert!(h.starts_with("#Software: SGOS "));
        assert!(h.contains(
            "#Version: 1.0\n#Start-Date: 2026-11-16 00:00:00\n#Date: 2026-11-16 00:00:00\n"
        ));
        assert!(h.contains(&format!("#Fields: {PROXYSG_MAIN_FIELDS}\n")));
        assert_eq!(PROXYSG_MAIN_FIELDS.split(' ').count(), 25);
        let mut e = upload(d, ua);
        e.scheme = Scheme::Http;
        e.port = 8080;
        e.path = "/gate.php".into();
        let sq = render(SynthFormat::SquidNative, &w, &e);
        assert!(
            sq.contains(" POST http://files.example.co.jp:8080/gate.php "),
            "{sq}"
        );
        let sg = render(SynthFormat::ProxySgElff, &w, &e);
        assert!(
            sg.contains(" http files.example.co.jp 8080 /gate.php - php "),
            "{sg}"
        );
    }

    #[test]
    fn syslog_day_is_space_padded() {
        let mut s = String::new();
        // 2026-12-02T00:00:00Z = Dec  2 09:00:00 JST
        fmt_syslog_jst(1_796_169_600, &mut s);
        assert_eq!(s, "Dec  2 09:00:00");
    }
}
