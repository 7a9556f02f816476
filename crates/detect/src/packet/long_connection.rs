//! Long connections (`long-connection`).
//!
//! **What.** A client holding a connection to one external server for hours
//! (interactive C2, reverse shells, tunnels), the RITA "long connection"
//! analytic. The engine cuts flows at an active timeout (1 h), so durations
//! are summed per client, server and port.
//!
//! **Features.** Total flow time per (client, server, port), longest single
//! flow record, bytes both ways.
//!
//! **Thresholds.** `min_hours` 4 hours in all; `min_single_minutes` 50 for
//! at least one flow record (so many short flows are not mistaken for one
//! long one).
//!
//! **ATT&CK.** T1071 (Application Layer Protocol), T1572 (Protocol
//! Tunneling), T1219 (Remote Access Software).

use std::collections::BTreeMap;

use super::{FlowEvent, PacketDetector, PacketTables, sample, sort, spread};
use crate::detector::{Context, DetectorInfo, Threshold};
use crate::finding::{Destination, Finding, Source};

/// The detector.
pub struct LongConnection;

/// Self-description.
pub static INFO: DetectorInfo = DetectorInfo {
    id: "long-connection",
    title_en: "Long-lived connection",
    title_ja: "長時間接続",
    detects: "Connections held open for hours to one server: interactive C2 sessions, reverse shells and tunnels.",
    features: &["summed flow duration per client/server/port", "longest flow record", "bytes both ways"],
    thresholds: &[
        Threshold { name: "min_hours", default: 4.0, reason: "RITA flags connections over a few hours; work sessions to one external server rarely keep one socket that long" },
        Threshold { name: "min_single_minutes", default: 50.0, reason: "at least one flow record close to the engine's 1 h active timeout, so frequent short flows do not add up to a 'long' one" },
    ],
    attack: &["T1071", "T1572", "T1219"],
    false_positives: &["push/notification channels (Apple, Google, Microsoft) and messaging clients", "VPN and remote-desktop sessions that are sanctioned"],
    cost: "O(n log n) in flows",
};

impl PacketDetector for LongConnection {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }

    fn run(&self, t: &PacketTables, ctx: &Context) -> Vec<Finding> {
        let min_ms = ctx.param(&INFO, "min_hours") * 3_600_000.0;
        let single_ms = ctx.param(&INFO, "min_single_minutes") * 60_000.0;
        let mut groups: BTreeMap<(String, String, u16), Vec<&FlowEvent>> = BTreeMap::new();
        for f in t.flows.iter().filter(|f| f.transport == "tcp") {
            groups.entry((f.client.clone(), f.server.clone(), f.server_port)).or_default().push(f);
        }
        let mut out = Vec::new();
        for ((client, server, port), flows) in groups {
            let total: i64 = flows.iter().map(|f| (f.last_ms - f.ts_ms).max(0)).sum();
            let longest = flows.iter().map(|f| (f.last_ms - f.ts_ms).max(0)).max().unwrap_or(0);
            if (total as f64) < min_ms || (longest as f64) < single_ms {
                continue;
            }
            let hours = total as f64 / 3_600_000.0;
            let score = 40.0 + (hours * 2.0).min(45.0);
            let dst_key = format!("{server}:{port}");
            let mut f = Finding::new(INFO.id, &client, &dst_key, format!("{hours:.1} h connected to {dst_key}"), score);
            f.src = Source { ip: Some(client.clone()), ..Default::default() };
            f.dst = Destination { ip: Some(server.clone()), port: Some(port), host: flows.iter().find_map(|f| f.server_name.clone()), ..Default::default() };
            f.first_seen = flows.iter().map(|f| f.ts_ms).min().unwrap_or(0);
            f.last_seen = flows.iter().map(|f| f.last_ms).max().unwrap_or(0);
            f.count = flows.len() as u64;
            f.bytes_up = Some(flows.iter().map(|f| f.bytes_up).sum());
            f.bytes_down = Some(flows.iter().map(|f| f.bytes_down).sum());
            f.attack = INFO.attack.iter().map(|s| s.to_string()).collect();
            f.figure("hours", hours);
            f.figure("longest_flow_minutes", longest as f64 / 60_000.0);
            f.figure("flows", flows.len() as f64);
            f.evidence.samples = spread(&flows, 5, |x| sample(x.file, x.line, x.ts_ms));
            f.explanation.en = format!("{client} kept connections to {dst_key} open for {hours:.1} hours in {} flow record(s).", flows.len());
            f.explanation.ja = format!("{client} が {dst_key} への接続を {} フローで合計 {hours:.1} 時間維持しました。", flows.len());
            out.push(f);
        }
        sort(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_long_session_found_short_ones_not() {
        let mut t = PacketTables::default();
        let h = 3_600_000;
        for i in 0..6 {
            t.flows.push(FlowEvent { ts_ms: i * h, last_ms: (i + 1) * h - 1000, client: "10.0.0.1".into(), server: "198.51.100.1".into(), server_port: 4444, transport: "tcp".into(), file: 1, line: 1, ..Default::default() });
        }
        for i in 0..500 {
            t.flows.push(FlowEvent { ts_ms: i * 60_000, last_ms: i * 60_000 + 50_000, client: "10.0.0.2".into(), server: "198.51.100.2".into(), server_port: 443, transport: "tcp".into(), file: 1, line: 1, ..Default::default() });
        }
        let f = LongConnection.run(&t, &Context::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].dst.port, Some(4444));
        assert!((f[0].evidence.figures["hours"] - 5.998).abs() < 0.01);
        super::super::assert_packet_detector_compliance(&LongConnection, &t);
    }
}
