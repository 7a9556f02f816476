//! The [`Indicator`] record and its [`IndicatorKind`].

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// What an indicator's `value` is, and so how it is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IndicatorKind {
    /// One IPv4 or IPv6 address (`value` in canonical text form).
    Ip,
    /// An IPv4 or IPv6 network, `addr/len` with host bits cleared.
    Cidr,
    /// A DNS name, lower-case, no trailing dot. Matches sub-domains unless
    /// [`Indicator::subdomains`] is false.
    Domain,
    /// A URL, normalised by [`crate::normalize::url`].
    Url,
    /// JA3 TLS client fingerprint (MD5, lower-case hex).
    Ja3,
    /// JA3S TLS server fingerprint (MD5, lower-case hex).
    Ja3s,
    /// JA4 TLS client fingerprint (`t13d1516h2_8daaf6152771_b186095e22b6`).
    Ja4,
    /// SHA-1 of a DER certificate (lower-case hex, no colons).
    #[serde(rename = "sha1-cert")]
    CertSha1,
    /// SHA-256 of a DER certificate (lower-case hex, no colons).
    #[serde(rename = "sha256-cert")]
    CertSha256,
    /// MD5 of a file.
    Md5,
    /// SHA-1 of a file.
    Sha1,
    /// SHA-256 of a file.
    Sha256,
    /// SHA-512 of a file.
    Sha512,
}

impl IndicatorKind {
    /// Every kind, in a stable order (also the order of [`IndicatorKind::index`]).
    pub const ALL: [IndicatorKind; 13] = [
        IndicatorKind::Ip,
        IndicatorKind::Cidr,
        IndicatorKind::Domain,
        IndicatorKind::Url,
        IndicatorKind::Ja3,
        IndicatorKind::Ja3s,
        IndicatorKind::Ja4,
        IndicatorKind::CertSha1,
        IndicatorKind::CertSha256,
        IndicatorKind::Md5,
        IndicatorKind::Sha1,
        IndicatorKind::Sha256,
        IndicatorKind::Sha512,
    ];

    /// The kind's name as written on disk and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorKind::Ip => "ip",
            IndicatorKind::Cidr => "cidr",
            IndicatorKind::Domain => "domain",
            IndicatorKind::Url => "url",
            IndicatorKind::Ja3 => "ja3",
            IndicatorKind::Ja3s => "ja3s",
            IndicatorKind::Ja4 => "ja4",
            IndicatorKind::CertSha1 => "sha1-cert",
            IndicatorKind::CertSha256 => "sha256-cert",
            IndicatorKind::Md5 => "md5",
            IndicatorKind::Sha1 => "sha1",
            IndicatorKind::Sha256 => "sha256",
            IndicatorKind::Sha512 => "sha512",
        }
    }

    /// Position in [`IndicatorKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// True for the fingerprint and hash kinds (matched exactly, as hex or
    /// JA4 text).
    pub fn is_hash(self) -> bool {
        !matches!(
            self,
            IndicatorKind::Ip | IndicatorKind::Cidr | IndicatorKind::Domain | IndicatorKind::Url
        )
    }

    /// For hex-digest kinds, the number of hex digits; `None` otherwise.
    pub fn hex_len(self) -> Option<usize> {
        match self {
            IndicatorKind::Ja3 | IndicatorKind::Ja3s | IndicatorKind::Md5 => Some(32),
            IndicatorKind::CertSha1 | IndicatorKind::Sha1 => Some(40),
            IndicatorKind::CertSha256 | IndicatorKind::Sha256 => Some(64),
            IndicatorKind::Sha512 => Some(128),
            _ => None,
        }
    }
}

impl fmt::Display for IndicatorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IndicatorKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IndicatorKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown indicator kind `{s}`"))
    }
}

/// One indicator of compromise from one source.
///
/// Text fields come from feeds and are attacker-controlled: display them
/// escaped. `source`, `threat_type` and `malware` are shared (`Arc<str>`)
/// because a feed repeats them on every row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    /// What `value` is.
    pub kind: IndicatorKind,
    /// The normalised value (see [`crate::normalize`]).
    pub value: String,
    /// Name of the source (feed) it came from, as given at import.
    pub source: Arc<str>,
    /// Destination port the feed ties to an IP or CIDR (Feodo `dst_port`,
    /// ThreatFox `ip:port`, STIX `dst_port`). The matcher ignores it; a
    /// detector may compare it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// First seen, RFC 3339 UTC (`2024-04-01T00:00:00Z`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    /// Last seen / last online, RFC 3339 UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    /// Confidence 0–100 when the feed gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<u8>,
    /// Threat type (`botnet_cc`, `malware_download`, `tor_exit`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threat_type: Option<Arc<str>>,
    /// Malware family (`Pikabot`, `Dridex`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub malware: Option<Arc<str>>,
    /// Free tags from the feed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Link to the feed's own record (URLhaus page, MISP event, STIX id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// False when the feed says the value is context, not for detection
    /// (MISP `to_ids: false`). Such indicators still match; the detector
    /// decides whether to alert.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub alerting: bool,
    /// For [`IndicatorKind::Domain`]: whether sub-domains match too.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub subdomains: bool,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

impl Indicator {
    /// A new indicator with only kind, value and source set (alerting, and
    /// matching sub-domains).
    pub fn new(kind: IndicatorKind, value: impl Into<String>, source: Arc<str>) -> Indicator {
        Indicator {
            kind,
            value: value.into(),
            source,
            port: None,
            first_seen: None,
            last_seen: None,
            confidence: None,
            threat_type: None,
            malware: None,
            tags: Vec::new(),
            reference: None,
            alerting: true,
            subdomains: true,
        }
    }
}
