//! abuse.ch CSV feeds: URLhaus, Feodo Tracker, ThreatFox, SSLBL.
//!
//! All four map columns by the header's names when a header is present
//! (commented or not), and fall back to the documented column order.

use super::{LineFeed, Out, opt, split_csv, tags, timestamp};
use crate::IndicatorKind;
use crate::normalize::{self, IpOrNet};

/// Column positions learned from a header line.
#[derive(Debug, Default)]
struct Columns {
    names: Vec<String>,
}

impl Columns {
    fn new(default: &[&str]) -> Columns {
        Columns { names: default.iter().map(|s| s.to_string()).collect() }
    }

    /// If `fields` looks like a header containing `key`, adopt it.
    fn learn(&mut self, fields: &[String], key: &str) -> bool {
        if fields.iter().any(|f| f.trim().eq_ignore_ascii_case(key)) {
            self.names = fields.iter().map(|f| f.trim().to_ascii_lowercase()).collect();
            true
        } else {
            false
        }
    }

    fn get<'f>(&self, fields: &'f [String], name: &str) -> Option<&'f str> {
        let i = self.names.iter().position(|n| n == name)?;
        fields.get(i).map(String::as_str)
    }
}

/// Handles a `#` line: learns the header if it holds `key`, else ignores it.
fn comment(cols: &mut Columns, line: &str, key: &str) {
    let body = line.trim_start_matches('#').trim();
    if body.to_ascii_lowercase().contains(key)
        && let Ok(fields) = split_csv(body)
    {
        cols.learn(&fields, key);
    }
}

fn row(no: u64, line: &str, out: &mut Out<'_>) -> Option<Vec<String>> {
    match split_csv(line) {
        Ok(f) => Some(f),
        Err(e) => {
            out.rejected.add(no, None, e, line);
            None
        }
    }
}

/// URLhaus CSV: `id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter`.
pub(crate) struct UrlhausCsv {
    cols: Columns,
}

impl Default for UrlhausCsv {
    fn default() -> Self {
        UrlhausCsv {
            cols: Columns::new(&[
                "id",
                "dateadded",
                "url",
                "url_status",
                "last_online",
                "threat",
                "tags",
                "urlhaus_link",
                "reporter",
            ]),
        }
    }
}

impl LineFeed for UrlhausCsv {
    fn line(&mut self, no: u64, line: &str, out: &mut Out<'_>) {
        if line.is_empty() {
            return;
        }
        if line.starts_with('#') {
            comment(&mut self.cols, line, "dateadded");
            return;
        }
        let Some(f) = row(no, line, out) else { return };
        if self.cols.learn(&f, "dateadded") {
            return;
        }
        let Some(raw) = self.cols.get(&f, "url") else {
            out.rejected.add(no, Some("url"), "missing column", line);
            return;
        };
        let value = match normalize::url(raw) {
            Ok(v) => v,
            Err(e) => {
                out.rejected.add(no, Some("url"), e, line);
                return;
            }
        };
        let mut ind = out.indicator(IndicatorKind::Url, value);
        ind.first_seen = self.cols.get(&f, "dateadded").and_then(timestamp);
        ind.last_seen = self.cols.get(&f, "last_online").and_then(timestamp);
        ind.threat_type = self.cols.get(&f, "threat").and_then(opt).map(|t| out.intern(t));
        ind.tags = self.cols.get(&f, "tags").map(tags).unwrap_or_default();
        ind.reference = self.cols.get(&f, "urlhaus_link").and_then(opt).map(str::to_owned);
        out.push(ind);
    }
}

/// Feodo Tracker CSV, both layouts: `first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware`.
pub(crate) struct FeodoCsv {
    cols: Columns,
}

impl Default for FeodoCsv {
    fn default() -> Self {
        FeodoCsv {
            cols: Columns::new(&["first_seen_utc", "dst_ip", "dst_port", "c2_status", "last_online", "malware"]),
        }
    }
}

impl LineFeed for FeodoCsv {
    fn line(&mut self, no: u64, line: &str, out: &mut Out<'_>) {
        if line.is_empty() {
            return;
        }
        if line.starts_with('#') {
            comment(&mut self.cols, line, "dst_ip");
            return;
        }
        let Some(f) = row(no, line, out) else { return };
        if self.cols.learn(&f, "dst_ip") {
            return;
        }
        let Some(raw) = self.cols.get(&f, "dst_ip") else {
            out.rejected.add(no, Some("dst_ip"), "missing column", line);
            return;
        };
        let Some(ip) = normalize::ip(raw) else {
            out.rejected.add(no, Some("dst_ip"), "not an IP address", line);
            return;
        };
        let mut ind = out.indicator(IndicatorKind::Ip, ip.to_string());
        match self.cols.get(&f, "dst_port").and_then(opt) {
            None => {}
            Some(p) => match p.parse::<u16>() {
                Ok(p) => ind.port = Some(p),
                Err(_) => {
                    out.rejected.add(no, Some("dst_port"), "not a port number", line);
                    return;
                }
            },
        }
        ind.first_seen = self.cols.get(&f, "first_seen_utc").and_then(timestamp);
        ind.last_seen = self.cols.get(&f, "last_online").and_then(timestamp);
        ind.malware = self.cols.get(&f, "malware").and_then(opt).map(|m| out.intern(m));
        ind.threat_type = Some(out.intern("botnet_cc"));
        if let Some(s) = self.cols.get(&f, "c2_status").and_then(opt) {
            ind.tags.push(format!("c2_status:{s}"));
        }
        out.push(ind);
    }
}

/// ThreatFox CSV export (header mapped by name; `", "` separators).
pub(crate) struct ThreatfoxCsv {
    cols: Columns,
}

impl Default for ThreatfoxCsv {
    fn default() -> Self {
        ThreatfoxCsv {
            cols: Columns::new(&[
                "first_seen_utc",
                "ioc_id",
                "ioc_value",
                "ioc_type",
                "threat_type",
                "fk_malware",
                "malware_alias",
                "malware_printable",
                "last_seen_utc",
                "confidence_level",
                "is_compromised",
                "reference",
                "tags",
                "anonymous",
                "reporter",
            ]),
        }
    }
}

/// Turns a ThreatFox `ioc_type` + `ioc_value` into kind, value and port.
pub(crate) fn threatfox_ioc(ioc_type: &str, value: &str) -> Result<(IndicatorKind, String, Option<u16>), (&'static str, &'static str)> {
    let t = ioc_type.trim().to_ascii_lowercase();
    let bad_value = |e| ("ioc_value", e);
    match t.as_str() {
        "ip:port" | "ip" => {
            let v = value.trim();
            let (ip, port) = match normalize::ip(v) {
                Some(ip) => (ip, None),
                None => {
                    let (a, p) = v.rsplit_once(':').ok_or(("ioc_value", "not ip:port"))?;
                    let ip = normalize::ip(a).ok_or(("ioc_value", "not an IP address"))?;
                    let port = p.parse::<u16>().map_err(|_| ("ioc_value", "not a port number"))?;
                    (ip, Some(port))
                }
            };
            Ok((IndicatorKind::Ip, ip.to_string(), port))
        }
        "domain" => Ok((IndicatorKind::Domain, normalize::domain(value).map_err(bad_value)?, None)),
        "url" => Ok((IndicatorKind::Url, normalize::url(value).map_err(bad_value)?, None)),
        "md5_hash" | "sha1_hash" | "sha256_hash" => {
            let kind = match t.as_str() {
                "md5_hash" => IndicatorKind::Md5,
                "sha1_hash" => IndicatorKind::Sha1,
                _ => IndicatorKind::Sha256,
            };
            Ok((kind, normalize::hash(kind, value).map_err(bad_value)?, None))
        }
        _ => Err(("ioc_type", "unknown ioc_type")),
    }
}

impl LineFeed for ThreatfoxCsv {
    fn line(&mut self, no: u64, line: &str, out: &mut Out<'_>) {
        if line.is_empty() {
            return;
        }
        if line.starts_with('#') {
            comment(&mut self.cols, line, "ioc_value");
            return;
        }
        let Some(f) = row(no, line, out) else { return };
        if self.cols.learn(&f, "ioc_value") {
            return;
        }
        let (Some(value), Some(ty)) = (self.cols.get(&f, "ioc_value"), self.cols.get(&f, "ioc_type")) else {
            out.rejected.add(no, Some("ioc_value"), "missing column", line);
            return;
        };
        let (kind, value, port) = match threatfox_ioc(ty, value) {
            Ok(v) => v,
            Err((field, why)) => {
                out.rejected.add(no, Some(field), why, line);
                return;
            }
        };
        let mut ind = out.indicator(kind, value);
        ind.port = port;
        ind.first_seen = self.cols.get(&f, "first_seen_utc").and_then(timestamp);
        ind.last_seen = self.cols.get(&f, "last_seen_utc").and_then(timestamp);
        ind.threat_type = self.cols.get(&f, "threat_type").and_then(opt).map(|t| out.intern(t));
        ind.malware = self.cols.get(&f, "malware_printable").and_then(opt).map(|t| out.intern(t));
        ind.confidence = self.cols.get(&f, "confidence_level").and_then(|c| c.trim().parse::<u8>().ok()).map(|c| c.min(100));
        ind.tags = self.cols.get(&f, "tags").map(tags).unwrap_or_default();
        ind.reference = self
            .cols
            .get(&f, "reference")
            .and_then(opt)
            .map(str::to_owned)
            .or_else(|| self.cols.get(&f, "ioc_id").and_then(opt).map(|id| format!("https://threatfox.abuse.ch/ioc/{id}/")));
        out.push(ind);
    }
}

/// SSLBL JA3 (`ja3_md5,Firstseen,Lastseen,Listingreason`) and certificate
/// SHA-1 (`Listingdate,SHA1,Listingreason`) lists.
pub(crate) struct Sslbl {
    kind: IndicatorKind,
}

impl Sslbl {
    pub(crate) fn ja3() -> Sslbl {
        Sslbl { kind: IndicatorKind::Ja3 }
    }
    pub(crate) fn sha1() -> Sslbl {
        Sslbl { kind: IndicatorKind::CertSha1 }
    }
}

impl LineFeed for Sslbl {
    fn line(&mut self, no: u64, line: &str, out: &mut Out<'_>) {
        if line.is_empty() || line.starts_with('#') {
            return;
        }
        let Some(f) = row(no, line, out) else { return };
        let (value, first, last, reason) = match (self.kind, f.as_slice()) {
            (IndicatorKind::Ja3, [h, first, last, reason, ..]) => (h, Some(first), Some(last), reason),
            (IndicatorKind::CertSha1, [date, h, reason, ..]) => (h, Some(date), None, reason),
            _ => {
                out.rejected.add(no, None, "too few columns", line);
                return;
            }
        };
        let field = if self.kind == IndicatorKind::Ja3 { "ja3_md5" } else { "SHA1" };
        let value = match normalize::hash(self.kind, value) {
            Ok(v) => v,
            Err(e) => {
                out.rejected.add(no, Some(field), e, line);
                return;
            }
        };
        let mut ind = out.indicator(self.kind, value);
        ind.first_seen = first.and_then(|s| timestamp(s));
        ind.last_seen = last.and_then(|s| timestamp(s));
        let reason = reason.trim();
        // Certificate listings read `<Malware> C&C`.
        let (malware, threat) = match reason.strip_suffix(" C&C") {
            Some(m) => (m, Some("botnet_cc")),
            None => (reason, None),
        };
        ind.malware = opt(malware).map(|m| out.intern(m));
        ind.threat_type = threat.map(|t| out.intern(t));
        ind.reference = Some(match self.kind {
            IndicatorKind::Ja3 => "https://sslbl.abuse.ch/ja3-fingerprints/".to_owned() + &ind.value + "/",
            _ => "https://sslbl.abuse.ch/ssl-certificates/sha1/".to_owned() + &ind.value + "/",
        });
        out.push(ind);
    }
}

/// Used by plain lists too: an IP or CIDR value into kind + text.
pub(crate) fn ip_indicator(v: IpOrNet) -> (IndicatorKind, String) {
    match v {
        IpOrNet::Ip(ip) => (IndicatorKind::Ip, ip.to_string()),
        IpOrNet::Net(n) => (IndicatorKind::Cidr, n.to_string()),
    }
}
