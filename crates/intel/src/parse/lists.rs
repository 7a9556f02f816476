//! Plain lists (IP, CIDR, domain, URL; hosts-file lines), Spamhaus DROP,
//! `type,indicator` CSV and Tor exit lists.

use super::abuse::ip_indicator;
use super::{LineFeed, Out, opt, split_csv, timestamp};
use crate::IndicatorKind;
use crate::normalize;

/// The line without a `#` comment (whole-line, or inline after white
/// space), trimmed. A `#` inside a URL (fragment) is kept.
pub(crate) fn strip_comment(line: &str) -> &str {
    let l = line.trim();
    if l.starts_with('#') {
        return "";
    }
    let cut = l.find(" #").or_else(|| l.find("\t#")).unwrap_or(l.len());
    l[..cut].trim()
}

const HOSTS_SKIP: [&str; 7] =
    ["localhost", "localhost.localdomain", "local", "broadcasthost", "ip6-localhost", "ip6-loopback", "0.0.0.0"];

/// What one plain-list value is, if anything.
fn plain_value(v: &str) -> Result<(IndicatorKind, String), &'static str> {
    if v.contains("://") {
        return normalize::url(v).map(|u| (IndicatorKind::Url, u));
    }
    if let Some(x) = normalize::ip_or_cidr(v) {
        return Ok(ip_indicator(x));
    }
    if v.contains('/') {
        // `1.2.3.4/99` or `host/path` without a scheme.
        return Err("neither a CIDR nor a URL with a scheme");
    }
    normalize::domain(v).map(|d| (IndicatorKind::Domain, d))
}

/// Used by the sniffer: the kind a plain-list line would give.
pub(crate) fn classify_plain(line: &str) -> Option<IndicatorKind> {
    let mut tokens = line.split_whitespace();
    let first = tokens.next()?;
    let second = tokens.next();
    match second {
        None => plain_value(first).ok().map(|(k, _)| k),
        Some(name) if normalize::ip(first).is_some() => {
            (HOSTS_SKIP.contains(&name) || normalize::domain(name).is_ok()).then_some(IndicatorKind::Domain)
        }
        Some(_) => None,
    }
}

/// One value per line, or hosts-file lines (`0.0.0.0 a.com b.com`).
#[derive(Default)]
pub(crate) struct Plain {
    threat: Option<&'static str>,
}

impl Plain {
    pub(crate) fn with_threat(t: &'static str) -> Plain {
        Plain { threat: Some(t) }
    }
}

impl LineFeed for Plain {
    fn line(&mut self, no: u64, line: &str, out: &mut Out<'_>) {
        let l = strip_comment(line);
        if l.is_empty() {
            return;
        }
        let tokens: Vec<&str> = l.split_whitespace().take(256).collect();
        let hosts = tokens.len() > 1;
        let values: Vec<&str> = if hosts {
            if normalize::ip(tokens[0]).is_none() {
                out.rejected.add(no, None, "more than one value on the line (and not a hosts-file line)", line);
                return;
            }
            tokens[1..].to_vec()
        } else {
            tokens
        };
        for v in values {
            if hosts && HOSTS_SKIP.contains(&v.to_ascii_lowercase().as_str()) {
                out.skipped.add(no, None, "hosts-file loopback name", line);
                continue;
            }
            let res = if hosts {
                normalize::domain(v).map(|d| (IndicatorKind::Domain, d))
            } else {
                plain_value(v)
            };
            match res {
                Ok((kind, value)) => {
                    let mut ind = out.indicator(kind, value);
                    ind.threat_type = self.threat.map(|t| out.intern(t));
                    out.push(ind);
                }
                Err(e) => out.rejected.add(no, None, e, line),
            }
        }
    }
}

/// Spamhaus DROP/EDROP text: `CIDR ; SBLnnn`, `;` comments, bare CIDRs.
pub(crate) struct SpamhausDrop;

fn drop_indicator(no: u64, cidr: &str, sbl: Option<&str>, line: &str, out: &mut Out<'_>) {
    match normalize::ip_or_cidr(cidr) {
        Some(v) => {
            let (kind, value) = ip_indicator(v);
            let mut ind = out.indicator(kind, value);
            ind.threat_type = Some(out.intern("spamhaus_drop"));
            if let Some(id) = sbl.and_then(opt) {
                ind.tags.push(id.to_owned());
                ind.reference = Some(format!("https://check.spamhaus.org/sbl/query/{id}"));
            }
            out.push(ind);
        }
        None => out.rejected.add(no, Some("cidr"), "not a CIDR", line),
    }
}

impl LineFeed for SpamhausDrop {
    fn line(&mut self, no: u64, line: &str, out: &mut Out<'_>) {
        let l = line.trim();
        if l.is_empty() || l.starts_with(';') || l.starts_with('#') {
            return;
        }
        let (cidr, sbl) = match l.split_once(';') {
            Some((c, s)) => (c.trim(), Some(s.trim())),
            None => (l, None),
        };
        drop_indicator(no, cidr, sbl, line, out);
    }
}

/// Spamhaus DROP JSON lines: `{"cidr":"…","sblid":"…","rir":"…"}`, plus a
/// final metadata object (`{"type":"metadata",…}`) that is skipped.
pub(crate) struct SpamhausDropJson;

impl LineFeed for SpamhausDropJson {
    fn line(&mut self, no: u64, line: &str, out: &mut Out<'_>) {
        let l = line.trim();
        if l.is_empty() {
            return;
        }
        let v: serde_json::Value = match serde_json::from_str(l) {
            Ok(v) => v,
            Err(_) => {
                out.rejected.add(no, None, "not a JSON object", line);
                return;
            }
        };
        if v.get("type").and_then(|t| t.as_str()) == Some("metadata") {
            return;
        }
        let Some(cidr) = v.get("cidr").and_then(|c| c.as_str()) else {
            out.rejected.add(no, Some("cidr"), "missing cidr", line);
            return;
        };
        drop_indicator(no, cidr, v.get("sblid").and_then(|s| s.as_str()), line, out);
    }
}

/// `type,indicator[,app…]` CSV (stalkerware-indicators `network.csv`).
#[derive(Default)]
pub(crate) struct TypedCsv {
    /// Column of the value, and of an optional label (`app`/`malware`).
    header: Option<(usize, usize, Option<usize>)>,
}

impl LineFeed for TypedCsv {
    fn line(&mut self, no: u64, line: &str, out: &mut Out<'_>) {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            return;
        }
        let f = match split_csv(l) {
            Ok(f) => f,
            Err(e) => {
                out.rejected.add(no, None, e, line);
                return;
            }
        };
        let Some((ti, vi, ai)) = self.header else {
            let lower: Vec<String> = f.iter().map(|s| s.to_ascii_lowercase()).collect();
            let ti = lower.iter().position(|c| c == "type");
            let vi = lower.iter().position(|c| c == "indicator" || c == "value" || c == "ioc");
            match (ti, vi) {
                (Some(ti), Some(vi)) => {
                    let ai = lower.iter().position(|c| c == "app" || c == "malware" || c == "family");
                    self.header = Some((ti, vi, ai));
                }
                _ => out.rejected.add(no, None, "expected a `type,indicator` header", line),
            }
            return;
        };
        let (Some(ty), Some(val)) = (f.get(ti), f.get(vi)) else {
            out.rejected.add(no, None, "too few columns", line);
            return;
        };
        let res = match ty.trim().to_ascii_lowercase().as_str() {
            "domain" | "hostname" | "host" => normalize::domain(val).map(|d| (IndicatorKind::Domain, d)),
            "ip" | "ipv4" | "ipv6" | "cidr" | "ip-dst" => {
                normalize::ip_or_cidr(val).map(ip_indicator).ok_or("not an IP address or CIDR")
            }
            "url" => normalize::url(val).map(|u| (IndicatorKind::Url, u)),
            other => match other.parse::<IndicatorKind>() {
                Ok(k) if k.is_hash() => normalize::hash(k, val).map(|h| (k, h)),
                _ => {
                    out.skipped.add(no, Some("type"), "indicator type not used for matching", line);
                    return;
                }
            },
        };
        match res {
            Ok((kind, value)) => {
                let mut ind = out.indicator(kind, value);
                ind.malware = ai.and_then(|i| f.get(i)).and_then(|a| opt(a)).map(|a| out.intern(a));
                out.push(ind);
            }
            Err(e) => out.rejected.add(no, Some("indicator"), e, line),
        }
    }
}

/// Tor Project `exit-addresses`: takes every `ExitAddress <ip> <date> <time>`.
#[derive(Default)]
pub(crate) struct TorExitAddresses {
    node: Option<String>,
}

impl LineFeed for TorExitAddresses {
    fn line(&mut self, no: u64, line: &str, out: &mut Out<'_>) {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            return;
        }
        let (key, rest) = l.split_once(' ').unwrap_or((l, ""));
        match key {
            "ExitNode" => self.node = Some(rest.trim().chars().take(64).collect()),
            "Published" | "LastStatus" => {}
            "ExitAddress" => {
                let mut parts = rest.split_whitespace();
                let Some(ip) = parts.next().and_then(normalize::ip) else {
                    out.rejected.add(no, Some("ExitAddress"), "not an IP address", line);
                    return;
                };
                let when: Vec<&str> = parts.take(2).collect();
                let mut ind = out.indicator(IndicatorKind::Ip, ip.to_string());
                ind.last_seen = timestamp(&when.join(" "));
                ind.threat_type = Some(out.intern("tor_exit"));
                ind.reference = self.node.as_ref().map(|n| format!("https://metrics.torproject.org/rs.html#details/{n}"));
                out.push(ind);
            }
            _ => out.rejected.add(no, None, "unknown exit-addresses keyword", line),
        }
    }
}
