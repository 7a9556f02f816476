//! Protocol/port mismatch (`port-mismatch`).
//!
//! **What.** A flow whose payload is one protocol on another protocol's
//! port: non-TLS on 443, non-HTTP on 80, DNS off port 53, TLS on 53, HTTP on
//! 443, and whatever risk flags the packet engine adds. C2 and tunnels hide
//! on allowed ports; firewalls that filter by port alone let them through.
//!
//! **Features.** The engine's per-flow risk flags (`*_on_*`, `*_off_*`,
//! `non_*`), per client, server and port.
//!
//! **Thresholds.** `min_flows` 1: one mismatched flow is already a fact;
//! the score grows with the number of flows and bytes.
//!
//! **ATT&CK.** T1571 (Non-Standard Port), T1572 (Protocol Tunneling).

use std::collections::BTreeMap;

use super::{FlowEvent, PacketDetector, PacketTables, sample, sort, spread};
use crate::detector::{Context, DetectorInfo, Threshold};
use crate::finding::{Destination, Finding, Source};

/// The detector.
pub struct PortMismatch;

/// Self-description.
pub static INFO: DetectorInfo = DetectorInfo {
    id: "port-mismatch",
    title_en: "Protocol on an unexpected port",
    title_ja: "想定外ポートでのプロトコル使用",
    detects: "Flows whose payload is not the protocol their port implies (non-TLS on 443, non-HTTP on 80, DNS away from 53, TLS on 53): tunnels and C2 hiding on allowed ports.",
    features: &["per-flow protocol identified from payload", "engine risk flags for port/protocol mismatch"],
    thresholds: &[Threshold { name: "min_flows", default: 1.0, reason: "the mismatch is observed, not inferred: one flow suffices; repetition raises the score" }],
    attack: &["T1571", "T1572"],
    false_positives: &["SSH or VPN deliberately run on 443 by administrators", "captures cut mid-flow where identification saw only a fragment"],
    cost: "O(n log n) in flows",
};

fn is_mismatch(r: &str) -> bool {
    r.contains("_on_") || r.contains("_off_") || r.starts_with("non_") || r.contains("mismatch")
}

impl PacketDetector for PortMismatch {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }

    fn run(&self, t: &PacketTables, ctx: &Context) -> Vec<Finding> {
        let min = ctx.param(&INFO, "min_flows");
        let mut groups: BTreeMap<(String, String, u16), (Vec<&FlowEvent>, Vec<String>)> = BTreeMap::new();
        for f in &t.flows {
            let risks: Vec<&String> = f.risks.iter().filter(|r| is_mismatch(r)).collect();
            if risks.is_empty() {
                continue;
            }
            let g = groups.entry((f.client.clone(), f.server.clone(), f.server_port)).or_default();
            g.0.push(f);
            for r in risks {
                if !g.1.contains(r) {
                    g.1.push(r.clone());
                }
            }
        }
        let mut out = Vec::new();
        for ((client, server, port), (flows, mut risks)) in groups {
            if (flows.len() as f64) < min {
                continue;
            }
            risks.sort();
            let up: u64 = flows.iter().map(|f| f.bytes_up).sum();
            let down: u64 = flows.iter().map(|f| f.bytes_down).sum();
            let protos: Vec<String> = {
                let mut p: Vec<String> = flows.iter().filter_map(|f| f.app_proto.clone()).collect();
                p.sort();
                p.dedup();
                p
            };
            let score = 40.0 + (flows.len() as f64).ln_1p() * 5.0 + ((up + down) as f64 / 1e6).min(15.0);
            let dst_key = format!("{server}:{port}");
            let mut f = Finding::new(INFO.id, &client, &dst_key, format!("{} on port {port}", protos.join("/")), score);
            f.src = Source { ip: Some(client.clone()), ..Default::default() };
            f.dst = Destination { ip: Some(server.clone()), port: Some(port), host: flows.iter().find_map(|f| f.server_name.clone()), ..Default::default() };
            f.first_seen = flows.iter().map(|f| f.ts_ms).min().unwrap_or(0);
            f.last_seen = flows.iter().map(|f| f.last_ms).max().unwrap_or(0);
            f.count = flows.len() as u64;
            f.bytes_up = Some(up);
            f.bytes_down = Some(down);
            f.attack = INFO.attack.iter().map(|s| s.to_string()).collect();
            f.figure("flows", flows.len() as f64);
            f.evidence.notes.insert("risks".into(), risks.join(", "));
            f.evidence.notes.insert("protocols".into(), protos.join(", "));
            f.evidence.notes.insert("flow_ids".into(), flows.iter().take(5).map(|f| f.flow_id.as_str()).collect::<Vec<_>>().join(", "));
            f.evidence.samples = spread(&flows, 5, |x| sample(x.file, x.line, x.ts_ms));
            f.explanation.en = format!("{client} spoke {} to {dst_key} in {} flow(s) ({}): the protocol does not match the port.", protos.join("/"), flows.len(), risks.join(", "));
            f.explanation.ja = format!("{client} が {dst_key} に {} を {} フロー使用しました（{}）。ポートとプロトコルが一致しません。", protos.join("/"), flows.len(), risks.join(", "));
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
    fn mismatched_flows_found() {
        let mut t = PacketTables::default();
        let base = FlowEvent { ts_ms: 1, last_ms: 2, client: "10.0.0.1".into(), server: "203.0.113.5".into(), server_port: 443, transport: "tcp".into(), app_proto: Some("ssh".into()), risks: vec!["non_tls_on_443".into()], bytes_up: 10, bytes_down: 20, file: 1, line: 1, ..Default::default() };
        t.flows.push(base.clone());
        t.flows.push(FlowEvent { ts_ms: 5, last_ms: 9, ..base.clone() });
        t.flows.push(FlowEvent { server: "203.0.113.6".into(), app_proto: Some("tls".into()), risks: vec![], ..base });
        let f = PortMismatch.run(&t, &Context::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].count, 2);
        assert_eq!(f[0].evidence.notes["risks"], "non_tls_on_443");
        super::super::assert_packet_detector_compliance(&PortMismatch, &t);
    }
}
