//! [`FeedFormat`] and the format sniffer.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A feed layout kensa can import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeedFormat {
    /// abuse.ch URLhaus CSV dump (`csv`, `csv_recent`, `csv_online`).
    UrlhausCsv,
    /// abuse.ch URLhaus plain-text URL list.
    UrlhausText,
    /// abuse.ch Feodo Tracker CSV, current (quoted header) or older
    /// (commented header) layout.
    FeodoCsv,
    /// abuse.ch Feodo Tracker `ipblocklist.txt` (one IP per line).
    FeodoText,
    /// abuse.ch Feodo Tracker JSON (array of objects with `ip_address`).
    FeodoJson,
    /// abuse.ch ThreatFox CSV export.
    ThreatfoxCsv,
    /// abuse.ch ThreatFox JSON export (`{id: [record]}`) or API answer
    /// (`{"data": [record]}`).
    ThreatfoxJson,
    /// abuse.ch SSLBL JA3 fingerprint CSV.
    SslblJa3,
    /// abuse.ch SSLBL certificate SHA-1 blacklist CSV.
    SslblSha1,
    /// Spamhaus DROP/EDROP text (`CIDR ; SBLnnn`, or bare CIDRs).
    SpamhausDrop,
    /// Spamhaus DROP JSON lines (`{"cidr":…,"sblid":…}`).
    SpamhausDropJson,
    /// MISP event JSON (exported, REST `response`, or bare).
    Misp,
    /// STIX 2.1 bundle.
    Stix,
    /// One IP, CIDR, domain or URL per line, or hosts-file lines.
    PlainList,
    /// CSV with a `type,indicator[,…]` header (stalkerware-indicators).
    TypedCsv,
    /// Tor exit list: one address per line.
    TorExitList,
    /// Tor Project `exit-addresses` records (`ExitAddress <ip> <time>`).
    TorExitAddresses,
}

impl FeedFormat {
    /// Every format, in the order `--format` help lists them.
    pub const ALL: [FeedFormat; 17] = [
        FeedFormat::UrlhausCsv,
        FeedFormat::UrlhausText,
        FeedFormat::FeodoCsv,
        FeedFormat::FeodoText,
        FeedFormat::FeodoJson,
        FeedFormat::ThreatfoxCsv,
        FeedFormat::ThreatfoxJson,
        FeedFormat::SslblJa3,
        FeedFormat::SslblSha1,
        FeedFormat::SpamhausDrop,
        FeedFormat::SpamhausDropJson,
        FeedFormat::Misp,
        FeedFormat::Stix,
        FeedFormat::PlainList,
        FeedFormat::TypedCsv,
        FeedFormat::TorExitList,
        FeedFormat::TorExitAddresses,
    ];

    /// The name used on the command line and on disk.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedFormat::UrlhausCsv => "urlhaus-csv",
            FeedFormat::UrlhausText => "urlhaus-text",
            FeedFormat::FeodoCsv => "feodo-csv",
            FeedFormat::FeodoText => "feodo-text",
            FeedFormat::FeodoJson => "feodo-json",
            FeedFormat::ThreatfoxCsv => "threatfox-csv",
            FeedFormat::ThreatfoxJson => "threatfox-json",
            FeedFormat::SslblJa3 => "sslbl-ja3",
            FeedFormat::SslblSha1 => "sslbl-sha1",
            FeedFormat::SpamhausDrop => "spamhaus-drop",
            FeedFormat::SpamhausDropJson => "spamhaus-drop-json",
            FeedFormat::Misp => "misp",
            FeedFormat::Stix => "stix",
            FeedFormat::PlainList => "plain-list",
            FeedFormat::TypedCsv => "typed-csv",
            FeedFormat::TorExitList => "tor-exit-list",
            FeedFormat::TorExitAddresses => "tor-exit-addresses",
        }
    }

    /// True for formats read as one JSON document (streamed element by
    /// element) rather than line by line.
    pub fn is_json_document(self) -> bool {
        matches!(
            self,
            FeedFormat::FeodoJson | FeedFormat::ThreatfoxJson | FeedFormat::Misp | FeedFormat::Stix
        )
    }
}

impl fmt::Display for FeedFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FeedFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FeedFormat::ALL.into_iter().find(|f| f.as_str().eq_ignore_ascii_case(s)).ok_or_else(|| {
            let names: Vec<&str> = FeedFormat::ALL.iter().map(|f| f.as_str()).collect();
            format!("unknown feed format `{s}` (known: {})", names.join(", "))
        })
    }
}

/// How many bytes of a file the sniffer looks at.
pub const SNIFF_LEN: usize = 64 * 1024;

/// Guesses a feed's format from its first bytes (up to [`SNIFF_LEN`]) and
/// its file name (used only to tell Tor and Spamhaus lists from other plain
/// lists). `None` when nothing fits. Never panics.
///
/// ```
/// use kensa_intel::{sniff, FeedFormat};
/// let head = b"# ja3_md5,Firstseen,Lastseen,Listingreason\n51c64c77e60f3980eea90869b68c58a8,2018-08-30 21:04:57,2021-04-13 11:49:20,Dridex\n";
/// assert_eq!(sniff(head, "ja3.csv"), Some(FeedFormat::SslblJa3));
/// ```
pub fn sniff(head: &[u8], file_name: &str) -> Option<FeedFormat> {
    let head = &head[..head.len().min(SNIFF_LEN)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    // Cut a multi-byte character split by the length limit.
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
        Err(_) => return None,
    };
    let name = file_name.to_ascii_lowercase();
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return sniff_json(trimmed);
    }
    let lower = text.to_ascii_lowercase();
    let comments: String = text
        .lines()
        .filter(|l| l.trim_start().starts_with('#'))
        .take(40)
        .map(|l| l.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("\n");
    if comments.contains("urlhaus") || lower.contains("# id,dateadded,url") {
        return Some(if lower.contains("dateadded") { FeedFormat::UrlhausCsv } else { FeedFormat::UrlhausText });
    }
    if lower.contains("ioc_value") && lower.contains("ioc_type") {
        return Some(FeedFormat::ThreatfoxCsv);
    }
    if lower.contains("ja3_md5") {
        return Some(FeedFormat::SslblJa3);
    }
    if lower.contains("listingdate,sha1") {
        return Some(FeedFormat::SslblSha1);
    }
    if lower.contains("dst_ip") && lower.contains("first_seen") {
        return Some(FeedFormat::FeodoCsv);
    }
    if comments.contains("feodo") {
        return Some(FeedFormat::FeodoText);
    }
    if text.lines().any(|l| l.starts_with("ExitAddress ")) {
        return Some(FeedFormat::TorExitAddresses);
    }
    let first_data = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'));
    if let Some(first) = first_data {
        let fl = first.to_ascii_lowercase();
        if fl.starts_with("type,indicator") || fl.starts_with("type,value") {
            return Some(FeedFormat::TypedCsv);
        }
    }
    if lower.contains("; sbl") || lower.contains("spamhaus") {
        return Some(FeedFormat::SpamhausDrop);
    }
    // Plain lists: most of the first data lines must hold an indicator.
    let mut good = 0usize;
    let mut bad = 0usize;
    let mut all_ip = true;
    let mut all_cidr = true;
    let complete = if text.len() == head.len() && head.len() < SNIFF_LEN { text } else { text.rsplit_once('\n').map_or(text, |(a, _)| a) };
    for line in complete.lines().take(200) {
        let l = crate::parse::lists::strip_comment(line);
        if l.is_empty() {
            continue;
        }
        match crate::parse::lists::classify_plain(l) {
            Some(k) => {
                good += 1;
                all_ip &= k == crate::IndicatorKind::Ip;
                all_cidr &= k == crate::IndicatorKind::Cidr;
            }
            None => bad += 1,
        }
    }
    if good == 0 || bad * 4 > good {
        return None;
    }
    if all_ip && name.contains("tor") {
        return Some(FeedFormat::TorExitList);
    }
    if all_ip && (name.contains("feodo") || name.contains("ipblocklist")) {
        return Some(FeedFormat::FeodoText);
    }
    if all_cidr && (name.contains("drop") || name.contains("spamhaus")) {
        return Some(FeedFormat::SpamhausDrop);
    }
    Some(FeedFormat::PlainList)
}

fn sniff_json(t: &str) -> Option<FeedFormat> {
    let compact: String = t.chars().filter(|c| !c.is_whitespace()).take(SNIFF_LEN).collect();
    if compact.contains("\"type\":\"bundle\"") || (compact.contains("\"objects\":[") && compact.contains("\"spec_version\"")) {
        return Some(FeedFormat::Stix);
    }
    if compact.starts_with("{\"Event\"")
        || compact.starts_with("{\"response\"")
        || compact.contains("\"Attribute\":[")
        || compact.contains("\"Object\":[")
    {
        return Some(FeedFormat::Misp);
    }
    if compact.contains("\"ioc_value\"") || compact.contains("\"ioc_type\"") {
        return Some(FeedFormat::ThreatfoxJson);
    }
    if compact.contains("\"ip_address\"") {
        return Some(FeedFormat::FeodoJson);
    }
    if compact.starts_with("{\"cidr\"") || compact.contains("\"sblid\"") {
        return Some(FeedFormat::SpamhausDropJson);
    }
    None
}
