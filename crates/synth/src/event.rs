//! The format-neutral transaction every renderer reads.
//!
//! One [`Event`] is one row in every format (formats differ only in what they
//! can carry). Strings that repeat (destinations, user agents, content types)
//! are interned in the [`crate::world::World`] tables and referenced by index,
//! so a week of events stays small and rendering is a table lookup.

/// HTTP method of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Put,
    Connect,
}

impl Method {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Connect => "CONNECT",
        }
    }
}

/// How the request reached the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// Plain `http://` request.
    Http,
    /// Decrypted (TLS-inspected) `https://` request.
    Https,
    /// A `CONNECT host:port` tunnel the proxy did not open.
    Tunnel,
}

/// What the proxy did with the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Fetched from the origin.
    Miss,
    /// Served from cache.
    Hit,
    /// Revalidated, 304.
    Refresh,
    /// A CONNECT tunnel that was opened.
    Tunnel,
    /// Refused by category / URL policy.
    Blocked,
    /// Refused with 407: no (valid) proxy credentials.
    AuthRequired,
    /// The proxy could not resolve the host (DNS failure).
    DnsFail,
}

/// Content types used by the generator (index = discriminant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ct {
    None,
    Html,
    Css,
    Js,
    Json,
    Png,
    Jpeg,
    Gif,
    Webp,
    Svg,
    Woff2,
    Octet,
    Plain,
    Xml,
    Cab,
    Mp4,
    Ocsp,
    Crl,
}

impl Ct {
    /// Every content type, in discriminant order (index = `ct as usize`).
    pub(crate) const ALL: [Ct; 18] = [
        Ct::None,
        Ct::Html,
        Ct::Css,
        Ct::Js,
        Ct::Json,
        Ct::Png,
        Ct::Jpeg,
        Ct::Gif,
        Ct::Webp,
        Ct::Svg,
        Ct::Woff2,
        Ct::Octet,
        Ct::Plain,
        Ct::Xml,
        Ct::Cab,
        Ct::Mp4,
        Ct::Ocsp,
        Ct::Crl,
    ];

    /// The header value as a server sends it (`None` = no Content-Type).
    pub(crate) fn value(self) -> Option<&'static str> {
        Some(match self {
            Ct::None => return None,
            Ct::Html => "text/html; charset=utf-8",
            Ct::Css => "text/css",
            Ct::Js => "application/javascript",
            Ct::Json => "application/json",
            Ct::Png => "image/png",
            Ct::Jpeg => "image/jpeg",
            Ct::Gif => "image/gif",
            Ct::Webp => "image/webp",
            Ct::Svg => "image/svg+xml",
            Ct::Woff2 => "font/woff2",
            Ct::Octet => "application/octet-stream",
            Ct::Plain => "text/plain",
            Ct::Xml => "application/xml",
            Ct::Cab => "application/vnd.ms-cab-compressed",
            Ct::Mp4 => "video/mp4",
            Ct::Ocsp => "application/ocsp-response",
            Ct::Crl => "application/pkix-crl",
        })
    }
}

/// Marker for "not part of a planted threat".
pub(crate) const NO_THREAT: u16 = u16::MAX;

/// One web transaction.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    /// Start of the transaction, ms since the epoch (UTC).
    pub start_ms: i64,
    /// Duration in ms; the logged (end) time is `start_ms + dur_ms`.
    pub dur_ms: u32,
    /// Index of the client host in `World::hosts`.
    pub host: u32,
    /// Whether the proxy knew the user (authenticated request).
    pub authed: bool,
    pub method: Method,
    pub scheme: Scheme,
    /// Index of the destination in `World::dests`.
    pub dest: u32,
    pub port: u16,
    /// Path plus optional `?query`; empty for tunnels.
    pub path: String,
    pub outcome: Outcome,
    /// HTTP status sent to the client.
    pub status: u16,
    /// Bytes client → server (request headers + body).
    pub up: u64,
    /// Bytes server → client (reply headers + body).
    pub down: u64,
    pub ct: Ct,
    pub referer: Option<String>,
    /// Index of the User-Agent in `World::uas`.
    pub ua: u16,
    /// Index of the ground-truth item, or [`NO_THREAT`].
    pub threat: u16,
}

impl Event {
    /// The time the proxy logs the line (end of the transaction).
    pub(crate) fn end_ms(&self) -> i64 {
        self.start_ms + i64::from(self.dur_ms)
    }
}
