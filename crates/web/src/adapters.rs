//! Seams to parts of kensa built elsewhere: packet streams (`kensa-pcap`)
//! and the report (`kensa-report`). The server holds one boxed
//! implementation of each; the defaults say plainly that the feature is not
//! available, and `kensa serve` (crates/cli/src/serve.rs) is where real
//! implementations are plugged in.
//!
//! TODO(lead): implement [`StreamSource`] over `kensa_pcap`'s
//! `flow_stream`/`flow_pcap` once they are on main, and [`ReportSource`]
//! over `kensa-report`; then pass them in `ServeConfig` from serve.rs.

use kensa_store::Case;

use crate::i18n::Lang;

/// Direction of a chunk of a reassembled flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the client (initiator) to the server.
    ClientToServer,
    /// From the server back to the client.
    ServerToClient,
}

/// One flow in the case's packet data, for the flow list.
#[derive(Debug, Clone)]
pub struct FlowSummary {
    /// Stable flow id (opaque to the UI; only ever looked up, never a path).
    pub id: String,
    /// Client address:port.
    pub client: String,
    /// Server address:port.
    pub server: String,
    /// Transport and application protocol, e.g. `tcp/tls`.
    pub protocol: String,
    /// First packet (ms since epoch).
    pub first_ms: i64,
    /// Bytes client → server.
    pub bytes_up: u64,
    /// Bytes server → client.
    pub bytes_down: u64,
}

/// The reassembled payload of one flow, in arrival order, capped.
#[derive(Debug, Clone)]
pub struct FlowStream {
    /// The flow.
    pub summary: FlowSummary,
    /// Payload chunks in order, each with its direction.
    pub chunks: Vec<(Direction, Vec<u8>)>,
    /// Whether the payload was cut at the byte cap.
    pub truncated: bool,
}

/// Packet-flow access for the stream view.
pub trait StreamSource: Send + Sync {
    /// Whether the case has any packet data at all.
    fn has_packets(&self) -> bool;
    /// Flows, most recent first, at most `limit`.
    fn flows(&self, limit: usize) -> Vec<FlowSummary>;
    /// The flow's payload, up to `cap` bytes in all.
    fn stream(&self, id: &str, cap: usize) -> Option<FlowStream>;
    /// The flow's packets as a pcap file.
    fn pcap(&self, id: &str) -> Option<Vec<u8>>;
}

/// The default: no packet data in this case.
pub struct NoPackets;

impl StreamSource for NoPackets {
    fn has_packets(&self) -> bool {
        false
    }
    fn flows(&self, _limit: usize) -> Vec<FlowSummary> {
        Vec::new()
    }
    fn stream(&self, _id: &str, _cap: usize) -> Option<FlowStream> {
        None
    }
    fn pcap(&self, _id: &str) -> Option<Vec<u8>> {
        None
    }
}

/// Report output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// One self-contained HTML file.
    Html,
    /// PDF.
    Pdf,
}

impl ReportFormat {
    /// File extension.
    pub fn ext(self) -> &'static str {
        match self {
            ReportFormat::Html => "html",
            ReportFormat::Pdf => "pdf",
        }
    }
    /// MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            ReportFormat::Html => "text/html; charset=utf-8",
            ReportFormat::Pdf => "application/pdf",
        }
    }
}

/// Report generation for the report page.
pub trait ReportSource: Send + Sync {
    /// Whether reports can be generated in this build.
    fn available(&self) -> bool;
    /// Renders the case's report (called on a blocking thread; the server
    /// holds the case's lock, so the generator gets the open case).
    fn generate(&self, case: &Case, lang: Lang, format: ReportFormat) -> Result<Vec<u8>, String>;
}

/// The default: no report generator wired in.
pub struct NoReport;

impl ReportSource for NoReport {
    fn available(&self) -> bool {
        false
    }
    fn generate(&self, _case: &Case, _lang: Lang, _format: ReportFormat) -> Result<Vec<u8>, String> {
        Err("the report generator is not available in this build".into())
    }
}
