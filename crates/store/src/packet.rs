//! The packet tables of a case: `flows`, `flow_packets`, `dns`, `tls`,
//! `http`, `ssh` and `quic`, written from packet captures.
//!
//! Rows are plain structs ([`FlowRow`], [`DnsRow`], …) turned into Arrow
//! batches with `arrow-json`'s serde decoder (one code path per table and no
//! hand-written column builders: these tables hold one row per flow or per
//! application message, far fewer than packets, so the serde step is not on
//! a hot path). Every table starts with `ts` (ms, UTC) so the
//! [`crate::writer::PartitionedWriter`] splits it by day like `web_requests`.
//!
//! `flow_packets` keeps, per flow, the capture files (manifest input ids)
//! and the byte offsets of the flow's packets in them, so `kensa stream` and
//! `kensa pcap-extract` re-read a flow from the captures without copying
//! any payload into the case.

use std::sync::{Arc, LazyLock};

use arrow::array::{
    ArrayRef, BinaryBuilder, Int64Builder, ListBuilder, RecordBatch, StringBuilder,
    TimestampMillisecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde::Serialize;

use crate::Result;

/// Name of the flow table.
pub const FLOWS: &str = "flows";
/// Name of the per-flow packet index.
pub const FLOW_PACKETS: &str = "flow_packets";
/// Name of the DNS message table.
pub const DNS: &str = "dns";
/// Name of the TLS handshake table.
pub const TLS: &str = "tls";
/// Name of the HTTP transaction table.
pub const HTTP: &str = "http";
/// Name of the SSH connection table.
pub const SSH: &str = "ssh";
/// Name of the QUIC handshake table.
pub const QUIC: &str = "quic";

/// Every packet table with its schema, for registration in `kensa sql`.
pub fn tables() -> [(&'static str, SchemaRef); 7] {
    [
        (FLOWS, FLOWS_SCHEMA.clone()),
        (FLOW_PACKETS, FLOW_PACKETS_SCHEMA.clone()),
        (DNS, DNS_SCHEMA.clone()),
        (TLS, TLS_SCHEMA.clone()),
        (HTTP, HTTP_SCHEMA.clone()),
        (SSH, SSH_SCHEMA.clone()),
        (QUIC, QUIC_SCHEMA.clone()),
    ]
}

fn ts(n: &str, nullable: bool) -> Field {
    Field::new(n, DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), nullable)
}
fn s(n: &str) -> Field {
    Field::new(n, DataType::Utf8, true)
}
fn i64f(n: &str) -> Field {
    Field::new(n, DataType::Int64, true)
}
fn i32f(n: &str) -> Field {
    Field::new(n, DataType::Int32, true)
}
fn b(n: &str) -> Field {
    Field::new(n, DataType::Boolean, true)
}
fn list(n: &str, t: DataType) -> Field {
    Field::new(n, DataType::List(Arc::new(Field::new("item", t, true))), true)
}
fn endpoints() -> Vec<Field> {
    vec![s("client_ip"), i32f("client_port"), s("server_ip"), i32f("server_port")]
}

/// `flows`: one row per flow record (a flow longer than the engine's active
/// timeout, 1 h, continues in a new record with a new id).
pub static FLOWS_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let mut f = vec![ts("ts", false), ts("last_ts", false), i64f("duration_ms"), Field::new("flow_id", DataType::Utf8, false)];
    f.push(s("transport"));
    f.extend(endpoints());
    f.extend([
        i64f("pkts_c2s"),
        i64f("bytes_c2s"),
        i64f("payload_c2s"),
        i64f("pkts_s2c"),
        i64f("bytes_s2c"),
        i64f("payload_s2c"),
        s("tcp_state"),
        s("history"),
        s("end_reason"),
        s("orientation"),
        s("app_proto"),
        s("app_method"),
        s("server_name"),
        list("risks", DataType::Utf8),
        b("mail"),
        s("mail_proto"),
        i64f("snaplen_cut"),
        i64f("reassembly_gaps"),
        i32f("tunnel_depth"),
        Field::new("input_id", DataType::Int64, false),
        list("capture_inputs", DataType::Int64),
        s("source_file"),
        i64f("first_packet"),
    ]);
    Arc::new(Schema::new(f))
});

/// `flow_packets`: per flow, the capture inputs and varint-coded offsets of
/// its packets (see [`encode_refs`]).
pub static FLOW_PACKETS_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        ts("ts", false),
        Field::new("flow_id", DataType::Utf8, false),
        list("capture_inputs", DataType::Int64),
        i64f("packets"),
        i64f("packets_not_indexed"),
        Field::new("refs", DataType::Binary, true),
    ]))
});

/// `dns`: one row per DNS message.
pub static DNS_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let mut f = vec![ts("ts", false), Field::new("flow_id", DataType::Utf8, false), s("transport")];
    f.extend(endpoints());
    f.extend([
        b("from_client"),
        i32f("trans_id"),
        b("is_response"),
        i32f("opcode"),
        i32f("rcode"),
        s("rcode_name"),
        b("truncated"),
        s("query"),
        i32f("qtype"),
        s("qtype_name"),
        list("answers", DataType::Utf8),
        list("answer_types", DataType::Int32),
        list("ttls", DataType::Int64),
        i64f("size"),
        b("mail"),
        Field::new("input_id", DataType::Int64, false),
    ]);
    Arc::new(Schema::new(f))
});

/// `tls`: one row per TLS handshake over TCP (QUIC handshakes go to `quic`).
pub static TLS_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let mut f = vec![ts("ts", false), Field::new("flow_id", DataType::Utf8, false)];
    f.extend(endpoints());
    f.extend([
        i32f("handshake"),
        s("version"),
        s("client_version"),
        list("client_versions", DataType::Utf8),
        s("sni"),
        list("alpn_offered", DataType::Utf8),
        s("alpn"),
        s("cipher"),
        s("ja3"),
        s("ja3s"),
        s("ja4"),
        s("ja4_r"),
        s("cert_subject"),
        s("cert_issuer"),
        s("cert_serial"),
        ts("cert_not_before", true),
        ts("cert_not_after", true),
        list("cert_sans", DataType::Utf8),
        s("cert_sha1"),
        s("cert_sha256"),
        i32f("cert_chain_len"),
        b("self_signed"),
        b("sni_cert_mismatch"),
        b("mail"),
        Field::new("input_id", DataType::Int64, false),
    ]);
    Arc::new(Schema::new(f))
});

/// `http`: one row per HTTP/1.x transaction.
pub static HTTP_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let mut f = vec![ts("ts", false), Field::new("flow_id", DataType::Utf8, false)];
    f.extend(endpoints());
    f.extend([
        s("method"),
        s("host"),
        s("uri"),
        s("version"),
        s("user_agent"),
        s("referer"),
        s("request_content_type"),
        i64f("request_body_len"),
        i32f("status"),
        s("response_content_type"),
        s("server"),
        s("location"),
        i64f("response_body_len"),
        Field::new("input_id", DataType::Int64, false),
    ]);
    Arc::new(Schema::new(f))
});

/// `ssh`: one row per SSH connection.
pub static SSH_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let mut f = vec![ts("ts", false), Field::new("flow_id", DataType::Utf8, false)];
    f.extend(endpoints());
    f.extend([
        s("client_banner"),
        s("server_banner"),
        s("hassh"),
        s("hassh_server"),
        s("hassh_string"),
        s("hassh_server_string"),
        Field::new("input_id", DataType::Int64, false),
    ]);
    Arc::new(Schema::new(f))
});

/// `quic`: one row per QUIC handshake whose client Initial was decrypted.
pub static QUIC_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let mut f = vec![ts("ts", false), Field::new("flow_id", DataType::Utf8, false)];
    f.extend(endpoints());
    f.extend([
        s("sni"),
        list("alpn_offered", DataType::Utf8),
        list("client_versions", DataType::Utf8),
        s("ja4"),
        s("ja4_r"),
        s("ja3"),
        Field::new("input_id", DataType::Int64, false),
    ]);
    Arc::new(Schema::new(f))
});

/// One `flows` row.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default, Serialize)]
pub struct FlowRow {
    pub ts: i64,
    pub last_ts: i64,
    pub duration_ms: i64,
    pub flow_id: String,
    pub transport: String,
    pub client_ip: String,
    pub client_port: i32,
    pub server_ip: String,
    pub server_port: i32,
    pub pkts_c2s: i64,
    pub bytes_c2s: i64,
    pub payload_c2s: i64,
    pub pkts_s2c: i64,
    pub bytes_s2c: i64,
    pub payload_s2c: i64,
    /// `attempt`, `rejected`, `established`, `closed`, `reset`, `partial` (no
    /// handshake seen), or null for UDP/ICMP.
    pub tcp_state: Option<String>,
    pub history: String,
    pub end_reason: String,
    pub orientation: String,
    /// Protocol identified (`tls`, `http`, `dns`, `ssh`, `quic`, or a port
    /// guess such as `smtp`), null when neither content nor port says.
    pub app_proto: Option<String>,
    /// `content` (payload inspection) or `port` (guessed from the server port).
    pub app_method: Option<String>,
    /// SNI or HTTP Host seen in the flow.
    pub server_name: Option<String>,
    pub risks: Vec<String>,
    pub mail: bool,
    pub mail_proto: Option<String>,
    pub snaplen_cut: i64,
    pub reassembly_gaps: i64,
    pub tunnel_depth: i32,
    /// Input (capture file) holding the flow's first packet.
    pub input_id: i64,
    /// Every capture input the flow's indexed packets come from.
    pub capture_inputs: Vec<i64>,
    pub source_file: String,
    /// 1-based number of the flow's first packet in `source_file`.
    pub first_packet: Option<i64>,
}

/// One `flow_packets` row.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default)]
pub struct FlowPacketsRow {
    pub ts: i64,
    pub flow_id: String,
    pub capture_inputs: Vec<i64>,
    pub packets: i64,
    pub packets_not_indexed: i64,
    pub refs: Vec<u8>,
}

/// One `dns` row.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default, Serialize)]
pub struct DnsRow {
    pub ts: i64,
    pub flow_id: String,
    pub transport: String,
    pub client_ip: String,
    pub client_port: i32,
    pub server_ip: String,
    pub server_port: i32,
    pub from_client: bool,
    pub trans_id: i32,
    pub is_response: bool,
    pub opcode: i32,
    pub rcode: i32,
    pub rcode_name: String,
    pub truncated: bool,
    pub query: Option<String>,
    pub qtype: Option<i32>,
    pub qtype_name: Option<String>,
    pub answers: Vec<String>,
    pub answer_types: Vec<i32>,
    pub ttls: Vec<i64>,
    pub size: i64,
    pub mail: bool,
    pub input_id: i64,
}

/// One `tls` row.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default, Serialize)]
pub struct TlsRow {
    pub ts: i64,
    pub flow_id: String,
    pub client_ip: String,
    pub client_port: i32,
    pub server_ip: String,
    pub server_port: i32,
    pub handshake: i32,
    pub version: Option<String>,
    pub client_version: String,
    pub client_versions: Vec<String>,
    pub sni: Option<String>,
    pub alpn_offered: Vec<String>,
    pub alpn: Option<String>,
    pub cipher: Option<String>,
    pub ja3: String,
    pub ja3s: Option<String>,
    pub ja4: String,
    pub ja4_r: String,
    pub cert_subject: Option<String>,
    pub cert_issuer: Option<String>,
    pub cert_serial: Option<String>,
    pub cert_not_before: Option<i64>,
    pub cert_not_after: Option<i64>,
    pub cert_sans: Vec<String>,
    pub cert_sha1: Option<String>,
    pub cert_sha256: Option<String>,
    pub cert_chain_len: i32,
    pub self_signed: Option<bool>,
    pub sni_cert_mismatch: Option<bool>,
    pub mail: bool,
    pub input_id: i64,
}

/// One `http` row.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default, Serialize)]
pub struct HttpRow {
    pub ts: i64,
    pub flow_id: String,
    pub client_ip: String,
    pub client_port: i32,
    pub server_ip: String,
    pub server_port: i32,
    pub method: String,
    pub host: Option<String>,
    pub uri: String,
    pub version: String,
    pub user_agent: Option<String>,
    pub referer: Option<String>,
    pub request_content_type: Option<String>,
    pub request_body_len: Option<i64>,
    pub status: Option<i32>,
    pub response_content_type: Option<String>,
    pub server: Option<String>,
    pub location: Option<String>,
    pub response_body_len: Option<i64>,
    pub input_id: i64,
}

/// One `ssh` row.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default, Serialize)]
pub struct SshRow {
    pub ts: i64,
    pub flow_id: String,
    pub client_ip: String,
    pub client_port: i32,
    pub server_ip: String,
    pub server_port: i32,
    pub client_banner: Option<String>,
    pub server_banner: Option<String>,
    pub hassh: Option<String>,
    pub hassh_server: Option<String>,
    pub hassh_string: Option<String>,
    pub hassh_server_string: Option<String>,
    pub input_id: i64,
}

/// One `quic` row.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default, Serialize)]
pub struct QuicRow {
    pub ts: i64,
    pub flow_id: String,
    pub client_ip: String,
    pub client_port: i32,
    pub server_ip: String,
    pub server_port: i32,
    pub sni: Option<String>,
    pub alpn_offered: Vec<String>,
    pub client_versions: Vec<String>,
    pub ja4: String,
    pub ja4_r: String,
    pub ja3: String,
    pub input_id: i64,
}

/// Serialises rows into a batch of `schema` (field names must match).
pub fn to_batch<S: Serialize>(schema: &SchemaRef, rows: &[S]) -> Result<RecordBatch> {
    let mut d = arrow::json::ReaderBuilder::new(schema.clone()).with_batch_size(rows.len().max(1)).build_decoder()?;
    d.serialize(rows)?;
    Ok(d.flush()?.unwrap_or_else(|| RecordBatch::new_empty(schema.clone())))
}

/// Builds a `flow_packets` batch (binary column: built by hand, the JSON
/// decoder has no binary type).
pub fn flow_packets_batch(rows: &[FlowPacketsRow]) -> Result<RecordBatch> {
    let mut ts = TimestampMillisecondBuilder::with_capacity(rows.len()).with_timezone("UTC");
    let mut id = StringBuilder::new();
    let mut inputs = ListBuilder::new(Int64Builder::new());
    let mut pk = Int64Builder::new();
    let mut ni = Int64Builder::new();
    let mut refs = BinaryBuilder::new();
    for r in rows {
        ts.append_value(r.ts);
        id.append_value(&r.flow_id);
        for i in &r.capture_inputs {
            inputs.values().append_value(*i);
        }
        inputs.append(true);
        pk.append_value(r.packets);
        ni.append_value(r.packets_not_indexed);
        refs.append_value(&r.refs);
    }
    let cols: Vec<ArrayRef> = vec![
        Arc::new(ts.finish()),
        Arc::new(id.finish()),
        Arc::new(inputs.finish()),
        Arc::new(pk.finish()),
        Arc::new(ni.finish()),
        Arc::new(refs.finish()),
    ];
    Ok(RecordBatch::try_new(FLOW_PACKETS_SCHEMA.clone(), cols)?)
}

/// Packet references of `flow_packets.refs` (one codec with the engine).
pub use kensa_model::refs::{decode_refs, encode_refs};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_roundtrip() {
        let r = vec![(0, 24), (0, 100), (1, 24), (0, 5000), (1, 300)];
        assert_eq!(decode_refs(&encode_refs(&r)), r);
        assert!(decode_refs(&[0x80]).is_empty());
    }

    #[test]
    fn rows_become_batches_of_their_schema() {
        let f = FlowRow { ts: 1_700_000_000_000, flow_id: "ab".into(), risks: vec!["x".into()], capture_inputs: vec![1, 2], ..Default::default() };
        let b = to_batch(&FLOWS_SCHEMA, &[f]).unwrap();
        assert_eq!(b.num_rows(), 1);
        assert_eq!(b.schema(), *FLOWS_SCHEMA);
        let d = DnsRow { ts: 1, flow_id: "x".into(), answers: vec!["1.2.3.4".into()], ttls: vec![60], ..Default::default() };
        assert_eq!(to_batch(&DNS_SCHEMA, &[d]).unwrap().num_rows(), 1);
        assert_eq!(to_batch(&TLS_SCHEMA, &[TlsRow::default()]).unwrap().num_rows(), 1);
        assert_eq!(to_batch(&HTTP_SCHEMA, &[HttpRow::default()]).unwrap().num_rows(), 1);
        assert_eq!(to_batch(&SSH_SCHEMA, &[SshRow::default()]).unwrap().num_rows(), 1);
        assert_eq!(to_batch(&QUIC_SCHEMA, &[QuicRow::default()]).unwrap().num_rows(), 1);
        let p = FlowPacketsRow { ts: 1, flow_id: "x".into(), capture_inputs: vec![3], packets: 2, packets_not_indexed: 0, refs: encode_refs(&[(0, 24)]) };
        assert_eq!(flow_packets_batch(&[p]).unwrap().num_rows(), 1);
    }
}
