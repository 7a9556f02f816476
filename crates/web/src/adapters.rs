//! Seams to parts of kensa built elsewhere: packet streams (re-read from the
//! capture files by `kensa_ingest::flowdata`) and the report
//! (`kensa-report`). The server holds one boxed implementation of each: by
//! default the real ones ([`CaptureStreams`], [`Reports`]); [`NoPackets`]
//! and [`NoReport`] say plainly that the feature is not available.
//!
//! Every method gets the open case: a case is opened by one process at a
//! time (its lock file), so the adapters read through the server's handle.

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
    fn has_packets(&self, case: &Case) -> bool;
    /// The flow's payload, up to `cap` bytes in all (`None`: no such flow).
    fn stream(&self, case: &Case, id: &str, cap: usize) -> Result<Option<FlowStream>, String>;
    /// The flow's packets as a pcap file (`None`: no such flow).
    fn pcap(&self, case: &Case, id: &str) -> Result<Option<Vec<u8>>, String>;
}

/// The default: no packet data in this case.
pub struct NoPackets;

impl StreamSource for NoPackets {
    fn has_packets(&self, _case: &Case) -> bool {
        false
    }
    fn stream(&self, _case: &Case, _id: &str, _cap: usize) -> Result<Option<FlowStream>, String> {
        Ok(None)
    }
    fn pcap(&self, _case: &Case, _id: &str) -> Result<Option<Vec<u8>>, String> {
        Ok(None)
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

/// Flow payloads and pcaps, re-read from the case's capture files
/// (`kensa_ingest::flowdata`, as `kensa stream` and `kensa pcap-extract`).
pub struct CaptureStreams;

impl StreamSource for CaptureStreams {
    fn has_packets(&self, case: &Case) -> bool {
        case.committed_parts("flows").is_ok_and(|p| !p.is_empty())
    }

    fn stream(&self, case: &Case, id: &str, cap: usize) -> Result<Option<FlowStream>, String> {
        use kensa_ingest::flowdata::{self, FlowDataError, flow_stream};
        let d = match flow_stream(case, id, flowdata::Direction::Both, cap) {
            Ok(d) => d,
            Err(FlowDataError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        let mut chunks: Vec<(Direction, Vec<u8>)> = Vec::new();
        for seg in d.segments {
            let dir = if seg.from_client { Direction::ClientToServer } else { Direction::ServerToClient };
            // Consecutive segments of one direction read as one chunk.
            match chunks.last_mut() {
                Some((last, buf)) if *last == dir && seg.gap_before == 0 => buf.extend_from_slice(&seg.data),
                _ => chunks.push((dir, seg.data)),
            }
        }
        let (up, down) = chunks.iter().fold((0u64, 0u64), |(u, dn), (dir, b)| match dir {
            Direction::ClientToServer => (u + b.len() as u64, dn),
            Direction::ServerToClient => (u, dn + b.len() as u64),
        });
        Ok(Some(FlowStream {
            summary: FlowSummary {
                id: d.flow_id,
                client: d.client,
                server: d.server,
                protocol: d.transport,
                first_ms: 0,
                bytes_up: up,
                bytes_down: down,
            },
            chunks,
            truncated: d.capped,
        }))
    }

    fn pcap(&self, case: &Case, id: &str) -> Result<Option<Vec<u8>>, String> {
        use kensa_ingest::flowdata::{FlowDataError, flow_pcap};
        let mut out = Vec::new();
        match flow_pcap(case, id, &mut out) {
            Ok(_) => Ok(Some(out)),
            Err(FlowDataError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Reports generated from the UI, by `kensa-report` over the open case.
pub struct Reports {
    /// Organisation, analyst, logo, … (`kensa report --config`).
    pub config: kensa_report::ReportConfig,
    /// Extra font directories for the PDF.
    pub font_dirs: Vec<std::path::PathBuf>,
}

impl ReportSource for Reports {
    fn available(&self) -> bool {
        true
    }

    fn generate(&self, case: &Case, lang: Lang, format: ReportFormat) -> Result<Vec<u8>, String> {
        let lang = match lang {
            Lang::Ja => kensa_report::Lang::Ja,
            Lang::En => kensa_report::Lang::En,
        };
        let format = match format {
            ReportFormat::Html => kensa_report::Format::Html,
            ReportFormat::Pdf => kensa_report::Format::Pdf,
        };
        let mut o = kensa_report::ReportOptions::new(lang, format);
        o.config = self.config.clone();
        o.font_dirs = self.font_dirs.clone();
        let r = kensa_report::gather::gather_open(case, &o).map_err(|e| format!("{e:#}"))?;
        kensa_report::render_report(&r, &o).map_err(|e| format!("{e:#}"))
    }
}

