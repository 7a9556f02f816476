//! Glue: the case's `dns`, `flows` and `tls` tables → `kensa-detect`'s
//! [`PacketTables`] (registered domains from `kensa-enrich`'s PSL). Mail
//! flows stay out unless the case was ingested with `--include-mail`.

use anyhow::{Context as _, Result};
use kensa_detect::PacketTables;
use kensa_detect::packet::{DnsEvent, FlowEvent, TlsEvent};
use kensa_store::Case;
use kensa_store::arrow::array::{Array, BooleanArray, Int32Array, Int64Array, ListArray, RecordBatch, StringArray, TimestampMillisecondArray};
use kensa_store::packet::{DNS, FLOWS, TLS};

fn col<'b, T: 'static>(b: &'b RecordBatch, name: &str) -> Result<&'b T> {
    b.column_by_name(name).and_then(|c| c.as_any().downcast_ref::<T>()).with_context(|| format!("packet table column {name} missing or of the wrong type"))
}

fn s(a: &StringArray, i: usize) -> Option<String> {
    if a.is_null(i) { None } else { Some(a.value(i).to_string()) }
}

fn port(a: &Int32Array, i: usize) -> u16 {
    if a.is_null(i) { 0 } else { u16::try_from(a.value(i)).unwrap_or(0) }
}

fn file(a: &Int64Array, i: usize) -> u16 {
    u16::try_from(a.value(i)).unwrap_or(u16::MAX)
}

fn corrupt(e: anyhow::Error) -> kensa_store::StoreError {
    kensa_store::StoreError::Corrupt(format!("{e:#}"))
}

/// Reads the packet tables of `case`.
pub fn load(case: &Case, include_mail: bool) -> Result<PacketTables> {
    let mut t = PacketTables::default();
    // Packet number of each flow's first packet, for evidence samples.
    let mut first: std::collections::HashMap<String, u32> = Default::default();
    kensa_store::scan::scan(case, FLOWS, |b| {
        (|| -> Result<()> {
            let ts = col::<TimestampMillisecondArray>(b, "ts")?;
            let last = col::<TimestampMillisecondArray>(b, "last_ts")?;
            let id = col::<StringArray>(b, "flow_id")?;
            let tr = col::<StringArray>(b, "transport")?;
            let ci = col::<StringArray>(b, "client_ip")?;
            let si = col::<StringArray>(b, "server_ip")?;
            let sp = col::<Int32Array>(b, "server_port")?;
            let app = col::<StringArray>(b, "app_proto")?;
            let how = col::<StringArray>(b, "app_method")?;
            let name = col::<StringArray>(b, "server_name")?;
            let risks = col::<ListArray>(b, "risks")?;
            let up = col::<Int64Array>(b, "payload_c2s")?;
            let down = col::<Int64Array>(b, "payload_s2c")?;
            let state = col::<StringArray>(b, "tcp_state")?;
            let mail = col::<BooleanArray>(b, "mail")?;
            let input = col::<Int64Array>(b, "input_id")?;
            let fp = col::<Int64Array>(b, "first_packet")?;
            for i in 0..b.num_rows() {
                let line = if fp.is_null(i) { 0 } else { u32::try_from(fp.value(i)).unwrap_or(u32::MAX) };
                first.insert(id.value(i).to_string(), line);
                if !include_mail && !mail.is_null(i) && mail.value(i) {
                    continue;
                }
                let r = risks.value(i);
                let r = r.as_any().downcast_ref::<StringArray>().map(|a| (0..a.len()).filter(|j| !a.is_null(*j)).map(|j| a.value(j).to_string()).collect()).unwrap_or_default();
                t.flows.push(FlowEvent {
                    ts_ms: ts.value(i),
                    last_ms: last.value(i),
                    flow_id: id.value(i).to_string(),
                    transport: tr.value(i).to_string(),
                    client: ci.value(i).to_string(),
                    server: si.value(i).to_string(),
                    server_port: port(sp, i),
                    app_proto: s(app, i),
                    app_method: s(how, i),
                    server_name: s(name, i),
                    risks: r,
                    bytes_up: u64::try_from(up.value(i)).unwrap_or(0),
                    bytes_down: u64::try_from(down.value(i)).unwrap_or(0),
                    tcp_state: s(state, i),
                    file: file(input, i),
                    line,
                });
            }
            Ok(())
        })()
        .map_err(corrupt)
    })?;
    kensa_store::scan::scan(case, DNS, |b| {
        (|| -> Result<()> {
            let ts = col::<TimestampMillisecondArray>(b, "ts")?;
            let id = col::<StringArray>(b, "flow_id")?;
            let ci = col::<StringArray>(b, "client_ip")?;
            let si = col::<StringArray>(b, "server_ip")?;
            let q = col::<StringArray>(b, "query")?;
            let qt = col::<Int32Array>(b, "qtype")?;
            let rc = col::<Int32Array>(b, "rcode")?;
            let resp = col::<BooleanArray>(b, "is_response")?;
            let size = col::<Int64Array>(b, "size")?;
            let mail = col::<BooleanArray>(b, "mail")?;
            let input = col::<Int64Array>(b, "input_id")?;
            for i in 0..b.num_rows() {
                if (!include_mail && !mail.is_null(i) && mail.value(i)) || q.is_null(i) {
                    continue;
                }
                let query = q.value(i).to_string();
                let host = query.trim_end_matches('.').to_ascii_lowercase();
                let domain = kensa_enrich::registered_domain(&host).0.map(str::to_string);
                t.dns.push(DnsEvent {
                    ts_ms: ts.value(i),
                    client: ci.value(i).to_string(),
                    server: si.value(i).to_string(),
                    query,
                    domain,
                    qtype: port(qt, i),
                    rcode: u8::try_from(rc.value(i)).unwrap_or(0),
                    is_response: resp.value(i),
                    size: u32::try_from(size.value(i)).unwrap_or(0),
                    file: file(input, i),
                    line: first.get(id.value(i)).copied().unwrap_or(0),
                });
            }
            Ok(())
        })()
        .map_err(corrupt)
    })?;
    kensa_store::scan::scan(case, TLS, |b| {
        (|| -> Result<()> {
            let ts = col::<TimestampMillisecondArray>(b, "ts")?;
            let id = col::<StringArray>(b, "flow_id")?;
            let ci = col::<StringArray>(b, "client_ip")?;
            let si = col::<StringArray>(b, "server_ip")?;
            let sp = col::<Int32Array>(b, "server_port")?;
            let sni = col::<StringArray>(b, "sni")?;
            let ja3 = col::<StringArray>(b, "ja3")?;
            let ja4 = col::<StringArray>(b, "ja4")?;
            let subj = col::<StringArray>(b, "cert_subject")?;
            let iss = col::<StringArray>(b, "cert_issuer")?;
            let serial = col::<StringArray>(b, "cert_serial")?;
            let sha1 = col::<StringArray>(b, "cert_sha1")?;
            let ss = col::<BooleanArray>(b, "self_signed")?;
            let mm = col::<BooleanArray>(b, "sni_cert_mismatch")?;
            let mail = col::<BooleanArray>(b, "mail")?;
            let input = col::<Int64Array>(b, "input_id")?;
            let ob = |a: &BooleanArray, i: usize| if a.is_null(i) { None } else { Some(a.value(i)) };
            for i in 0..b.num_rows() {
                if !include_mail && !mail.is_null(i) && mail.value(i) {
                    continue;
                }
                t.tls.push(TlsEvent {
                    ts_ms: ts.value(i),
                    flow_id: id.value(i).to_string(),
                    client: ci.value(i).to_string(),
                    server: si.value(i).to_string(),
                    server_port: port(sp, i),
                    sni: s(sni, i),
                    ja3: s(ja3, i).unwrap_or_default(),
                    ja4: s(ja4, i).unwrap_or_default(),
                    cert_subject: s(subj, i),
                    cert_issuer: s(iss, i),
                    cert_serial: s(serial, i),
                    cert_sha1: s(sha1, i),
                    self_signed: ob(ss, i),
                    sni_cert_mismatch: ob(mm, i),
                    file: file(input, i),
                    line: first.get(id.value(i)).copied().unwrap_or(0),
                });
            }
            Ok(())
        })()
        .map_err(corrupt)
    })?;
    t.dns.sort_by_key(|e| e.ts_ms);
    t.flows.sort_by_key(|e| e.ts_ms);
    t.tls.sort_by_key(|e| e.ts_ms);
    Ok(t)
}
