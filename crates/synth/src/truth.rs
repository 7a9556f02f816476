//! The ground-truth file (`ground_truth.json`): every planted item with what
//! a detector should report. These types are the file's schema; read it back
//! with `serde_json::from_str::<GroundTruth>`.

use serde::{Deserialize, Serialize};

/// Version of the `ground_truth.json` layout. Bumped on breaking changes.
pub const GROUND_TRUTH_VERSION: u32 = 1;

/// The whole ground-truth document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroundTruth {
    /// Layout version, [`GROUND_TRUTH_VERSION`].
    pub schema_version: u32,
    /// `kensa-synth <version>`.
    pub generator: String,
    /// The seed the week was generated from.
    pub seed: u64,
    /// First instant of the week (inclusive), RFC 3339 UTC.
    pub start: String,
    /// End of the week (exclusive), RFC 3339 UTC.
    pub end: String,
    /// `start` in ms since the epoch.
    pub start_ms: i64,
    /// `end` in ms since the epoch.
    pub end_ms: i64,
    /// The organisation's local time zone (`Asia/Tokyo`, UTC+9).
    pub timezone: String,
    /// Number of internal hosts.
    pub hosts: usize,
    /// Total events (rows per format) in the week, benign and planted.
    pub events: u64,
    /// Every planted item.
    pub items: Vec<ThreatItem>,
}

/// What kind of planted activity an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreatKind {
    /// Periodic C2 callbacks (HTTP requests or CONNECT tunnels).
    Beacon,
    /// Cobalt Strike default-profile beacon (specific URIs, `/submit.php`).
    CobaltStrike,
    /// A stager download whose 4-character URI passes the checksum8 test.
    Stager,
    /// Large uploads in equal chunks to a rare destination, at night.
    Exfil,
    /// Upload far above normal to a cloud-storage service.
    CloudUpload,
    /// Upload to a paste site.
    PasteUpload,
    /// Large prompts / files posted to a generative-AI service.
    GenaiUpload,
    /// Large attachments through personal webmail.
    WebmailUpload,
    /// A burst of requests to random names that fail to resolve.
    DgaBurst,
    /// Malware without proxy credentials: a storm of 407 replies.
    AuthStorm,
    /// CONNECT to a raw IP address.
    ConnectRawIp,
    /// CONNECT to a port other than 443.
    ConnectNonstdPort,
    /// A CONNECT tunnel held open for hours.
    LongTunnel,
    /// An executable downloaded with an image content type.
    ExeAsImage,
    /// Requests to a destination listed in `iocs.txt`.
    IntelHit,
}

/// Beacon schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    /// Only while the user is at the machine (office hours, weekdays).
    OfficeHours,
    /// Around the clock.
    AlwaysOn,
}

/// Parameters of a planted item; unused ones are omitted from the JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ThreatParams {
    /// Beacon sleep in seconds (before any sleep change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_s: Option<f64>,
    /// Beacon sleep after the mid-week change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period2_s: Option<f64>,
    /// When the sleep changed (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sleep_change_ms: Option<i64>,
    /// Cobalt Strike-style jitter: each sleep is `period × (1 − jitter × U[0,1))`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter: Option<f64>,
    /// Probability that a callback is skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub miss_rate: Option<f64>,
    /// Beacon schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    /// `http` (plain requests) or `connect` (tunnels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<String>,
    /// Beacon-grid cell label, e.g. `p300_j30`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid_cell: Option<String>,
    /// Size of each upload chunk in bytes (body).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk_bytes: Option<u64>,
    /// Number of requests / chunks / names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// User-Agent the planted traffic uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// URI paths used (beacons, stager, downloads).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uris: Vec<String>,
    /// All destination names, when there are many (DGA burst).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dest_hosts: Vec<String>,
    /// Free-form notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One planted item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreatItem {
    /// Stable id (`T03-beacon`); the same seed and config give the same ids.
    pub id: String,
    /// What was planted.
    pub kind: ThreatKind,
    /// One-line human description.
    pub description: String,
    /// MITRE ATT&CK technique ids.
    pub attack: Vec<String>,
    /// kensa detector families expected to fire: `beacon`,
    /// `rare_destination`, `dga`, `exfil_volume`, `leak_risk`,
    /// `proxy_signals`, `c2_traits`, `intel`.
    pub detectors: Vec<String>,
    /// Internal client address.
    pub src_ip: String,
    /// Internal client host name.
    pub src_host: String,
    /// Directory user of the host (the proxy shows it only on authenticated rows).
    pub user: Option<String>,
    /// Destination host name or IP literal.
    pub dest_host: String,
    /// Destination address (what the proxy connected to), if any.
    pub dest_ip: Option<String>,
    /// Destination port.
    pub dest_port: u16,
    /// First event start (ms since the epoch).
    pub first_ms: i64,
    /// Last event end (ms since the epoch).
    pub last_ms: i64,
    /// `first_ms` as RFC 3339 UTC.
    pub first_seen: String,
    /// `last_ms` as RFC 3339 UTC.
    pub last_seen: String,
    /// Number of events (rows per format).
    pub events: u64,
    /// Total bytes client → server over all events.
    pub bytes_up: u64,
    /// Total bytes server → client over all events.
    pub bytes_down: u64,
    /// Whether the destination is listed in `iocs.txt`.
    pub in_ioc_list: bool,
    /// Kind-specific parameters.
    pub params: ThreatParams,
}

/// RFC 3339 UTC text of a ms timestamp (`2026-11-16T00:00:00.000Z`).
pub(crate) fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_else(|| ms.to_string())
}
