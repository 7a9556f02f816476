//! The packet tables of a case: `flows`, `flow_packets`, `dns`, `tls`,
//! `http`, `ssh` and `quic`, written from packet captures.
//!
//! Rows are borrowed views ([`FlowRow`], [`DnsRow`], …) appended straight
//! into typed Arrow column builders ([`FlowsBuilder`], [`DnsBuilder`], …):
//! the ingest fills a row from the engine's records without copying their
//! strings, and the builder copies each value once, into the Arrow buffer.
//! (An earlier version serialised owned rows to JSON and decoded them with
//! `arrow-json`; that bridge cost more CPU than the whole packet engine.)
//! Every table starts with `ts` (ms, UTC) so the
//! [`crate::writer::PartitionedWriter`] splits it by day like `web_requests`.
//!
//! `flow_packets` keeps, per flow, the capture files (manifest input ids)
//! and the byte offsets of the flow's packets in them, so `kensa stream` and
//! `kensa pcap-extract` re-read a flow from the captures without copying
//! any payload into the case.

use std::borrow::Cow;
use std::sync::{Arc, LazyLock};

use arrow::array::{
    ArrayBuilder, ArrayRef, BinaryBuilder, BooleanBuilder, Int32Builder, Int64Builder, ListBuilder, RecordBatch,
    StringBuilder, TimestampMillisecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

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

/// A string cell of a row: borrowed from the engine's records when it can
/// be, owned when it is computed (`"TLS 1.2"`, a formatted cipher id…).
pub type Text<'a> = Cow<'a, str>;

/// One `flows` row.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default)]
pub struct FlowRow<'a> {
    pub ts: i64,
    pub last_ts: i64,
    pub duration_ms: i64,
    pub flow_id: &'a str,
    pub transport: Text<'a>,
    pub client_ip: &'a str,
    pub client_port: i32,
    pub server_ip: &'a str,
    pub server_port: i32,
    pub pkts_c2s: i64,
    pub bytes_c2s: i64,
    pub payload_c2s: i64,
    pub pkts_s2c: i64,
    pub bytes_s2c: i64,
    pub payload_s2c: i64,
    /// `attempt`, `rejected`, `established`, `closed`, `reset`, `partial` (no
    /// handshake seen), or null for UDP/ICMP.
    pub tcp_state: Option<&'a str>,
    pub history: &'a str,
    pub end_reason: &'a str,
    pub orientation: &'a str,
    /// Protocol identified (`tls`, `http`, `dns`, `ssh`, `quic`, or a port
    /// guess such as `smtp`), null when neither content nor port says.
    pub app_proto: Option<&'a str>,
    /// `content` (payload inspection) or `port` (guessed from the server port).
    pub app_method: Option<&'a str>,
    /// SNI or HTTP Host seen in the flow.
    pub server_name: Option<&'a str>,
    pub risks: &'a [&'a str],
    pub mail: bool,
    pub mail_proto: Option<&'a str>,
    pub snaplen_cut: i64,
    pub reassembly_gaps: i64,
    pub tunnel_depth: i32,
    /// Input (capture file) holding the flow's first packet.
    pub input_id: i64,
    /// Every capture input the flow's indexed packets come from.
    pub capture_inputs: &'a [i64],
    pub source_file: &'a str,
    /// 1-based number of the flow's first packet in `source_file`.
    pub first_packet: Option<i64>,
}

/// One `flow_packets` row.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default)]
pub struct FlowPacketsRow<'a> {
    pub ts: i64,
    pub flow_id: &'a str,
    pub capture_inputs: &'a [i64],
    pub packets: i64,
    pub packets_not_indexed: i64,
    pub refs: &'a [u8],
}

/// One DNS answer: (record type, TTL, rendered data).
pub type DnsAnswer = (u16, u32, String);

/// One `dns` row.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default)]
pub struct DnsRow<'a> {
    pub ts: i64,
    pub flow_id: &'a str,
    pub transport: Text<'a>,
    pub client_ip: &'a str,
    pub client_port: i32,
    pub server_ip: &'a str,
    pub server_port: i32,
    pub from_client: bool,
    pub trans_id: i32,
    pub is_response: bool,
    pub opcode: i32,
    pub rcode: i32,
    pub rcode_name: &'a str,
    pub truncated: bool,
    pub query: Option<&'a str>,
    pub qtype: Option<i32>,
    pub qtype_name: Option<Text<'a>>,
    /// Fills `answers`, `answer_types` and `ttls` (one list entry each).
    pub answers: &'a [DnsAnswer],
    pub size: i64,
    pub mail: bool,
    pub input_id: i64,
}

/// One `tls` row.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default)]
pub struct TlsRow<'a> {
    pub ts: i64,
    pub flow_id: &'a str,
    pub client_ip: &'a str,
    pub client_port: i32,
    pub server_ip: &'a str,
    pub server_port: i32,
    pub handshake: i32,
    pub version: Option<Text<'a>>,
    pub client_version: Text<'a>,
    pub client_versions: &'a [Text<'a>],
    pub sni: Option<&'a str>,
    pub alpn_offered: &'a [String],
    pub alpn: Option<&'a str>,
    pub cipher: Option<Text<'a>>,
    pub ja3: &'a str,
    pub ja3s: Option<&'a str>,
    pub ja4: &'a str,
    pub ja4_r: &'a str,
    pub cert_subject: Option<&'a str>,
    pub cert_issuer: Option<&'a str>,
    pub cert_serial: Option<&'a str>,
    pub cert_not_before: Option<i64>,
    pub cert_not_after: Option<i64>,
    pub cert_sans: &'a [String],
    pub cert_sha1: Option<&'a str>,
    pub cert_sha256: Option<&'a str>,
    pub cert_chain_len: i32,
    pub self_signed: Option<bool>,
    pub sni_cert_mismatch: Option<bool>,
    pub mail: bool,
    pub input_id: i64,
}

/// One `http` row.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default)]
pub struct HttpRow<'a> {
    pub ts: i64,
    pub flow_id: &'a str,
    pub client_ip: &'a str,
    pub client_port: i32,
    pub server_ip: &'a str,
    pub server_port: i32,
    pub method: &'a str,
    pub host: Option<&'a str>,
    pub uri: &'a str,
    pub version: Text<'a>,
    pub user_agent: Option<&'a str>,
    pub referer: Option<&'a str>,
    pub request_content_type: Option<&'a str>,
    pub request_body_len: Option<i64>,
    pub status: Option<i32>,
    pub response_content_type: Option<&'a str>,
    pub server: Option<&'a str>,
    pub location: Option<&'a str>,
    pub response_body_len: Option<i64>,
    pub input_id: i64,
}

/// One `ssh` row.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default)]
pub struct SshRow<'a> {
    pub ts: i64,
    pub flow_id: &'a str,
    pub client_ip: &'a str,
    pub client_port: i32,
    pub server_ip: &'a str,
    pub server_port: i32,
    pub client_banner: Option<&'a str>,
    pub server_banner: Option<&'a str>,
    pub hassh: Option<&'a str>,
    pub hassh_server: Option<&'a str>,
    pub hassh_string: Option<&'a str>,
    pub hassh_server_string: Option<&'a str>,
    pub input_id: i64,
}

/// One `quic` row.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default)]
pub struct QuicRow<'a> {
    pub ts: i64,
    pub flow_id: &'a str,
    pub client_ip: &'a str,
    pub client_port: i32,
    pub server_ip: &'a str,
    pub server_port: i32,
    pub sni: Option<&'a str>,
    pub alpn_offered: &'a [String],
    pub client_versions: &'a [Text<'a>],
    pub ja4: &'a str,
    pub ja4_r: &'a str,
    pub ja3: &'a str,
    pub input_id: i64,
}

/// A `ts`-like column builder (ms, UTC).
fn ts_col() -> TimestampMillisecondBuilder {
    TimestampMillisecondBuilder::new().with_timezone("UTC")
}

/// Appends one list of strings (an empty list, never null, as every list
/// column of these tables has always been written).
fn push_strs<S: AsRef<str>>(b: &mut ListBuilder<StringBuilder>, items: impl IntoIterator<Item = S>) {
    for s in items {
        b.values().append_value(s);
    }
    b.append(true);
}

/// Appends the four endpoint columns every table shares.
struct Endpoints {
    client_ip: StringBuilder,
    client_port: Int32Builder,
    server_ip: StringBuilder,
    server_port: Int32Builder,
}

impl Endpoints {
    fn new() -> Self {
        Endpoints { client_ip: StringBuilder::new(), client_port: Int32Builder::new(), server_ip: StringBuilder::new(), server_port: Int32Builder::new() }
    }
    fn append(&mut self, ci: &str, cp: i32, si: &str, sp: i32) {
        self.client_ip.append_value(ci);
        self.client_port.append_value(cp);
        self.server_ip.append_value(si);
        self.server_port.append_value(sp);
    }
    fn finish_into(&mut self, cols: &mut Vec<ArrayRef>) {
        cols.push(Arc::new(self.client_ip.finish()));
        cols.push(Arc::new(self.client_port.finish()));
        cols.push(Arc::new(self.server_ip.finish()));
        cols.push(Arc::new(self.server_port.finish()));
    }
}

/// Finishes builders (in schema order) into a batch of `schema`; the batch
/// constructor checks every column's type and nullability against it.
fn batch(schema: &SchemaRef, cols: Vec<ArrayRef>) -> Result<RecordBatch> {
    Ok(RecordBatch::try_new(schema.clone(), cols)?)
}

/// Finishes any Arrow builder into an [`ArrayRef`].
fn fin(b: &mut dyn ArrayBuilder) -> ArrayRef {
    b.finish()
}

/// `len`/`is_empty` of every packet-table builder: the pending rows are
/// the entries of its first column, `ts` (every row appends one).
macro_rules! pending_rows {
    ($($b:ty),*) => {$(
        impl $b {
            /// Rows appended since the last `finish`.
            pub fn len(&self) -> usize {
                self.ts.len()
            }
            /// Whether no row is pending.
            pub fn is_empty(&self) -> bool {
                self.ts.is_empty()
            }
        }
    )*};
}
pending_rows!(FlowsBuilder, FlowPacketsBuilder, DnsBuilder, TlsBuilder, HttpBuilder, SshBuilder, QuicBuilder);

/// Column builders of `flows`.
pub struct FlowsBuilder {
    ts: TimestampMillisecondBuilder,
    last_ts: TimestampMillisecondBuilder,
    duration_ms: Int64Builder,
    flow_id: StringBuilder,
    transport: StringBuilder,
    ep: Endpoints,
    counters: [Int64Builder; 6],
    tcp_state: StringBuilder,
    history: StringBuilder,
    end_reason: StringBuilder,
    orientation: StringBuilder,
    app_proto: StringBuilder,
    app_method: StringBuilder,
    server_name: StringBuilder,
    risks: ListBuilder<StringBuilder>,
    mail: BooleanBuilder,
    mail_proto: StringBuilder,
    snaplen_cut: Int64Builder,
    reassembly_gaps: Int64Builder,
    tunnel_depth: Int32Builder,
    input_id: Int64Builder,
    capture_inputs: ListBuilder<Int64Builder>,
    source_file: StringBuilder,
    first_packet: Int64Builder,
}

impl Default for FlowsBuilder {
    fn default() -> Self {
        FlowsBuilder {
            ts: ts_col(),
            last_ts: ts_col(),
            duration_ms: Int64Builder::new(),
            flow_id: StringBuilder::new(),
            transport: StringBuilder::new(),
            ep: Endpoints::new(),
            counters: std::array::from_fn(|_| Int64Builder::new()),
            tcp_state: StringBuilder::new(),
            history: StringBuilder::new(),
            end_reason: StringBuilder::new(),
            orientation: StringBuilder::new(),
            app_proto: StringBuilder::new(),
            app_method: StringBuilder::new(),
            server_name: StringBuilder::new(),
            risks: ListBuilder::new(StringBuilder::new()),
            mail: BooleanBuilder::new(),
            mail_proto: StringBuilder::new(),
            snaplen_cut: Int64Builder::new(),
            reassembly_gaps: Int64Builder::new(),
            tunnel_depth: Int32Builder::new(),
            input_id: Int64Builder::new(),
            capture_inputs: ListBuilder::new(Int64Builder::new()),
            source_file: StringBuilder::new(),
            first_packet: Int64Builder::new(),
        }
    }
}

impl FlowsBuilder {
    /// Appends one row.
    pub fn append(&mut self, r: &FlowRow<'_>) {
        self.ts.append_value(r.ts);
        self.last_ts.append_value(r.last_ts);
        self.duration_ms.append_value(r.duration_ms);
        self.flow_id.append_value(r.flow_id);
        self.transport.append_value(&r.transport);
        self.ep.append(r.client_ip, r.client_port, r.server_ip, r.server_port);
        let counters = [r.pkts_c2s, r.bytes_c2s, r.payload_c2s, r.pkts_s2c, r.bytes_s2c, r.payload_s2c];
        for (b, v) in self.counters.iter_mut().zip(counters) {
            b.append_value(v);
        }
        self.tcp_state.append_option(r.tcp_state);
        self.history.append_value(r.history);
        self.end_reason.append_value(r.end_reason);
        self.orientation.append_value(r.orientation);
        self.app_proto.append_option(r.app_proto);
        self.app_method.append_option(r.app_method);
        self.server_name.append_option(r.server_name);
        push_strs(&mut self.risks, r.risks);
        self.mail.append_value(r.mail);
        self.mail_proto.append_option(r.mail_proto);
        self.snaplen_cut.append_value(r.snaplen_cut);
        self.reassembly_gaps.append_value(r.reassembly_gaps);
        self.tunnel_depth.append_value(r.tunnel_depth);
        self.input_id.append_value(r.input_id);
        self.capture_inputs.values().append_slice(r.capture_inputs);
        self.capture_inputs.append(true);
        self.source_file.append_value(r.source_file);
        self.first_packet.append_option(r.first_packet);
    }


    /// The pending rows as a batch of [`FLOWS_SCHEMA`]; the builder is
    /// emptied and reusable.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        let mut c: Vec<ArrayRef> = vec![fin(&mut self.ts), fin(&mut self.last_ts), fin(&mut self.duration_ms), fin(&mut self.flow_id), fin(&mut self.transport)];
        self.ep.finish_into(&mut c);
        for b in &mut self.counters {
            c.push(fin(b));
        }
        c.extend([
            fin(&mut self.tcp_state),
            fin(&mut self.history),
            fin(&mut self.end_reason),
            fin(&mut self.orientation),
            fin(&mut self.app_proto),
            fin(&mut self.app_method),
            fin(&mut self.server_name),
            fin(&mut self.risks),
            fin(&mut self.mail),
            fin(&mut self.mail_proto),
            fin(&mut self.snaplen_cut),
            fin(&mut self.reassembly_gaps),
            fin(&mut self.tunnel_depth),
            fin(&mut self.input_id),
            fin(&mut self.capture_inputs),
            fin(&mut self.source_file),
            fin(&mut self.first_packet),
        ]);
        batch(&FLOWS_SCHEMA, c)
    }
}

/// Column builders of `flow_packets`.
pub struct FlowPacketsBuilder {
    ts: TimestampMillisecondBuilder,
    flow_id: StringBuilder,
    capture_inputs: ListBuilder<Int64Builder>,
    packets: Int64Builder,
    packets_not_indexed: Int64Builder,
    refs: BinaryBuilder,
}

impl Default for FlowPacketsBuilder {
    fn default() -> Self {
        FlowPacketsBuilder {
            ts: ts_col(),
            flow_id: StringBuilder::new(),
            capture_inputs: ListBuilder::new(Int64Builder::new()),
            packets: Int64Builder::new(),
            packets_not_indexed: Int64Builder::new(),
            refs: BinaryBuilder::new(),
        }
    }
}

impl FlowPacketsBuilder {
    /// Appends one row.
    pub fn append(&mut self, r: &FlowPacketsRow<'_>) {
        self.ts.append_value(r.ts);
        self.flow_id.append_value(r.flow_id);
        self.capture_inputs.values().append_slice(r.capture_inputs);
        self.capture_inputs.append(true);
        self.packets.append_value(r.packets);
        self.packets_not_indexed.append_value(r.packets_not_indexed);
        self.refs.append_value(r.refs);
    }


    /// The pending rows as a batch of [`FLOW_PACKETS_SCHEMA`].
    pub fn finish(&mut self) -> Result<RecordBatch> {
        let c = vec![
            fin(&mut self.ts),
            fin(&mut self.flow_id),
            fin(&mut self.capture_inputs),
            fin(&mut self.packets),
            fin(&mut self.packets_not_indexed),
            fin(&mut self.refs),
        ];
        batch(&FLOW_PACKETS_SCHEMA, c)
    }
}

/// Column builders of `dns`.
pub struct DnsBuilder {
    ts: TimestampMillisecondBuilder,
    flow_id: StringBuilder,
    transport: StringBuilder,
    ep: Endpoints,
    from_client: BooleanBuilder,
    trans_id: Int32Builder,
    is_response: BooleanBuilder,
    opcode: Int32Builder,
    rcode: Int32Builder,
    rcode_name: StringBuilder,
    truncated: BooleanBuilder,
    query: StringBuilder,
    qtype: Int32Builder,
    qtype_name: StringBuilder,
    answers: ListBuilder<StringBuilder>,
    answer_types: ListBuilder<Int32Builder>,
    ttls: ListBuilder<Int64Builder>,
    size: Int64Builder,
    mail: BooleanBuilder,
    input_id: Int64Builder,
}

impl Default for DnsBuilder {
    fn default() -> Self {
        DnsBuilder {
            ts: ts_col(),
            flow_id: StringBuilder::new(),
            transport: StringBuilder::new(),
            ep: Endpoints::new(),
            from_client: BooleanBuilder::new(),
            trans_id: Int32Builder::new(),
            is_response: BooleanBuilder::new(),
            opcode: Int32Builder::new(),
            rcode: Int32Builder::new(),
            rcode_name: StringBuilder::new(),
            truncated: BooleanBuilder::new(),
            query: StringBuilder::new(),
            qtype: Int32Builder::new(),
            qtype_name: StringBuilder::new(),
            answers: ListBuilder::new(StringBuilder::new()),
            answer_types: ListBuilder::new(Int32Builder::new()),
            ttls: ListBuilder::new(Int64Builder::new()),
            size: Int64Builder::new(),
            mail: BooleanBuilder::new(),
            input_id: Int64Builder::new(),
        }
    }
}

impl DnsBuilder {
    /// Appends one row.
    pub fn append(&mut self, r: &DnsRow<'_>) {
        self.ts.append_value(r.ts);
        self.flow_id.append_value(r.flow_id);
        self.transport.append_value(&r.transport);
        self.ep.append(r.client_ip, r.client_port, r.server_ip, r.server_port);
        self.from_client.append_value(r.from_client);
        self.trans_id.append_value(r.trans_id);
        self.is_response.append_value(r.is_response);
        self.opcode.append_value(r.opcode);
        self.rcode.append_value(r.rcode);
        self.rcode_name.append_value(r.rcode_name);
        self.truncated.append_value(r.truncated);
        self.query.append_option(r.query);
        self.qtype.append_option(r.qtype);
        self.qtype_name.append_option(r.qtype_name.as_deref());
        push_strs(&mut self.answers, r.answers.iter().map(|a| a.2.as_str()));
        for a in r.answers {
            self.answer_types.values().append_value(i32::from(a.0));
            self.ttls.values().append_value(i64::from(a.1));
        }
        self.answer_types.append(true);
        self.ttls.append(true);
        self.size.append_value(r.size);
        self.mail.append_value(r.mail);
        self.input_id.append_value(r.input_id);
    }


    /// The pending rows as a batch of [`DNS_SCHEMA`].
    pub fn finish(&mut self) -> Result<RecordBatch> {
        let mut c = vec![fin(&mut self.ts), fin(&mut self.flow_id), fin(&mut self.transport)];
        self.ep.finish_into(&mut c);
        c.extend([
            fin(&mut self.from_client),
            fin(&mut self.trans_id),
            fin(&mut self.is_response),
            fin(&mut self.opcode),
            fin(&mut self.rcode),
            fin(&mut self.rcode_name),
            fin(&mut self.truncated),
            fin(&mut self.query),
            fin(&mut self.qtype),
            fin(&mut self.qtype_name),
            fin(&mut self.answers),
            fin(&mut self.answer_types),
            fin(&mut self.ttls),
            fin(&mut self.size),
            fin(&mut self.mail),
            fin(&mut self.input_id),
        ]);
        batch(&DNS_SCHEMA, c)
    }
}

/// Column builders of `tls`.
pub struct TlsBuilder {
    ts: TimestampMillisecondBuilder,
    flow_id: StringBuilder,
    ep: Endpoints,
    handshake: Int32Builder,
    version: StringBuilder,
    client_version: StringBuilder,
    client_versions: ListBuilder<StringBuilder>,
    sni: StringBuilder,
    alpn_offered: ListBuilder<StringBuilder>,
    alpn: StringBuilder,
    cipher: StringBuilder,
    ja3: StringBuilder,
    ja3s: StringBuilder,
    ja4: StringBuilder,
    ja4_r: StringBuilder,
    cert_subject: StringBuilder,
    cert_issuer: StringBuilder,
    cert_serial: StringBuilder,
    cert_not_before: TimestampMillisecondBuilder,
    cert_not_after: TimestampMillisecondBuilder,
    cert_sans: ListBuilder<StringBuilder>,
    cert_sha1: StringBuilder,
    cert_sha256: StringBuilder,
    cert_chain_len: Int32Builder,
    self_signed: BooleanBuilder,
    sni_cert_mismatch: BooleanBuilder,
    mail: BooleanBuilder,
    input_id: Int64Builder,
}

impl Default for TlsBuilder {
    fn default() -> Self {
        TlsBuilder {
            ts: ts_col(),
            flow_id: StringBuilder::new(),
            ep: Endpoints::new(),
            handshake: Int32Builder::new(),
            version: StringBuilder::new(),
            client_version: StringBuilder::new(),
            client_versions: ListBuilder::new(StringBuilder::new()),
            sni: StringBuilder::new(),
            alpn_offered: ListBuilder::new(StringBuilder::new()),
            alpn: StringBuilder::new(),
            cipher: StringBuilder::new(),
            ja3: StringBuilder::new(),
            ja3s: StringBuilder::new(),
            ja4: StringBuilder::new(),
            ja4_r: StringBuilder::new(),
            cert_subject: StringBuilder::new(),
            cert_issuer: StringBuilder::new(),
            cert_serial: StringBuilder::new(),
            cert_not_before: ts_col(),
            cert_not_after: ts_col(),
            cert_sans: ListBuilder::new(StringBuilder::new()),
            cert_sha1: StringBuilder::new(),
            cert_sha256: StringBuilder::new(),
            cert_chain_len: Int32Builder::new(),
            self_signed: BooleanBuilder::new(),
            sni_cert_mismatch: BooleanBuilder::new(),
            mail: BooleanBuilder::new(),
            input_id: Int64Builder::new(),
        }
    }
}

impl TlsBuilder {
    /// Appends one row.
    pub fn append(&mut self, r: &TlsRow<'_>) {
        self.ts.append_value(r.ts);
        self.flow_id.append_value(r.flow_id);
        self.ep.append(r.client_ip, r.client_port, r.server_ip, r.server_port);
        self.handshake.append_value(r.handshake);
        self.version.append_option(r.version.as_deref());
        self.client_version.append_value(&r.client_version);
        push_strs(&mut self.client_versions, r.client_versions);
        self.sni.append_option(r.sni);
        push_strs(&mut self.alpn_offered, r.alpn_offered);
        self.alpn.append_option(r.alpn);
        self.cipher.append_option(r.cipher.as_deref());
        self.ja3.append_value(r.ja3);
        self.ja3s.append_option(r.ja3s);
        self.ja4.append_value(r.ja4);
        self.ja4_r.append_value(r.ja4_r);
        self.cert_subject.append_option(r.cert_subject);
        self.cert_issuer.append_option(r.cert_issuer);
        self.cert_serial.append_option(r.cert_serial);
        self.cert_not_before.append_option(r.cert_not_before);
        self.cert_not_after.append_option(r.cert_not_after);
        push_strs(&mut self.cert_sans, r.cert_sans);
        self.cert_sha1.append_option(r.cert_sha1);
        self.cert_sha256.append_option(r.cert_sha256);
        self.cert_chain_len.append_value(r.cert_chain_len);
        self.self_signed.append_option(r.self_signed);
        self.sni_cert_mismatch.append_option(r.sni_cert_mismatch);
        self.mail.append_value(r.mail);
        self.input_id.append_value(r.input_id);
    }


    /// The pending rows as a batch of [`TLS_SCHEMA`].
    pub fn finish(&mut self) -> Result<RecordBatch> {
        let mut c = vec![fin(&mut self.ts), fin(&mut self.flow_id)];
        self.ep.finish_into(&mut c);
        c.extend([
            fin(&mut self.handshake),
            fin(&mut self.version),
            fin(&mut self.client_version),
            fin(&mut self.client_versions),
            fin(&mut self.sni),
            fin(&mut self.alpn_offered),
            fin(&mut self.alpn),
            fin(&mut self.cipher),
            fin(&mut self.ja3),
            fin(&mut self.ja3s),
            fin(&mut self.ja4),
            fin(&mut self.ja4_r),
            fin(&mut self.cert_subject),
            fin(&mut self.cert_issuer),
            fin(&mut self.cert_serial),
            fin(&mut self.cert_not_before),
            fin(&mut self.cert_not_after),
            fin(&mut self.cert_sans),
            fin(&mut self.cert_sha1),
            fin(&mut self.cert_sha256),
            fin(&mut self.cert_chain_len),
            fin(&mut self.self_signed),
            fin(&mut self.sni_cert_mismatch),
            fin(&mut self.mail),
            fin(&mut self.input_id),
        ]);
        batch(&TLS_SCHEMA, c)
    }
}

/// Column builders of `http`.
pub struct HttpBuilder {
    ts: TimestampMillisecondBuilder,
    flow_id: StringBuilder,
    ep: Endpoints,
    method: StringBuilder,
    host: StringBuilder,
    uri: StringBuilder,
    version: StringBuilder,
    user_agent: StringBuilder,
    referer: StringBuilder,
    request_content_type: StringBuilder,
    request_body_len: Int64Builder,
    status: Int32Builder,
    response_content_type: StringBuilder,
    server: StringBuilder,
    location: StringBuilder,
    response_body_len: Int64Builder,
    input_id: Int64Builder,
}

impl Default for HttpBuilder {
    fn default() -> Self {
        HttpBuilder {
            ts: ts_col(),
            flow_id: StringBuilder::new(),
            ep: Endpoints::new(),
            method: StringBuilder::new(),
            host: StringBuilder::new(),
            uri: StringBuilder::new(),
            version: StringBuilder::new(),
            user_agent: StringBuilder::new(),
            referer: StringBuilder::new(),
            request_content_type: StringBuilder::new(),
            request_body_len: Int64Builder::new(),
            status: Int32Builder::new(),
            response_content_type: StringBuilder::new(),
            server: StringBuilder::new(),
            location: StringBuilder::new(),
            response_body_len: Int64Builder::new(),
            input_id: Int64Builder::new(),
        }
    }
}

impl HttpBuilder {
    /// Appends one row.
    pub fn append(&mut self, r: &HttpRow<'_>) {
        self.ts.append_value(r.ts);
        self.flow_id.append_value(r.flow_id);
        self.ep.append(r.client_ip, r.client_port, r.server_ip, r.server_port);
        self.method.append_value(r.method);
        self.host.append_option(r.host);
        self.uri.append_value(r.uri);
        self.version.append_value(&r.version);
        self.user_agent.append_option(r.user_agent);
        self.referer.append_option(r.referer);
        self.request_content_type.append_option(r.request_content_type);
        self.request_body_len.append_option(r.request_body_len);
        self.status.append_option(r.status);
        self.response_content_type.append_option(r.response_content_type);
        self.server.append_option(r.server);
        self.location.append_option(r.location);
        self.response_body_len.append_option(r.response_body_len);
        self.input_id.append_value(r.input_id);
    }


    /// The pending rows as a batch of [`HTTP_SCHEMA`].
    pub fn finish(&mut self) -> Result<RecordBatch> {
        let mut c = vec![fin(&mut self.ts), fin(&mut self.flow_id)];
        self.ep.finish_into(&mut c);
        c.extend([
            fin(&mut self.method),
            fin(&mut self.host),
            fin(&mut self.uri),
            fin(&mut self.version),
            fin(&mut self.user_agent),
            fin(&mut self.referer),
            fin(&mut self.request_content_type),
            fin(&mut self.request_body_len),
            fin(&mut self.status),
            fin(&mut self.response_content_type),
            fin(&mut self.server),
            fin(&mut self.location),
            fin(&mut self.response_body_len),
            fin(&mut self.input_id),
        ]);
        batch(&HTTP_SCHEMA, c)
    }
}

/// Column builders of `ssh`.
pub struct SshBuilder {
    ts: TimestampMillisecondBuilder,
    flow_id: StringBuilder,
    ep: Endpoints,
    /// client_banner, server_banner, hassh, hassh_server, hassh_string,
    /// hassh_server_string, in schema order.
    text: [StringBuilder; 6],
    input_id: Int64Builder,
}

impl Default for SshBuilder {
    fn default() -> Self {
        SshBuilder {
            ts: ts_col(),
            flow_id: StringBuilder::new(),
            ep: Endpoints::new(),
            text: std::array::from_fn(|_| StringBuilder::new()),
            input_id: Int64Builder::new(),
        }
    }
}

impl SshBuilder {
    /// Appends one row.
    pub fn append(&mut self, r: &SshRow<'_>) {
        self.ts.append_value(r.ts);
        self.flow_id.append_value(r.flow_id);
        self.ep.append(r.client_ip, r.client_port, r.server_ip, r.server_port);
        let text = [r.client_banner, r.server_banner, r.hassh, r.hassh_server, r.hassh_string, r.hassh_server_string];
        for (b, v) in self.text.iter_mut().zip(text) {
            b.append_option(v);
        }
        self.input_id.append_value(r.input_id);
    }


    /// The pending rows as a batch of [`SSH_SCHEMA`].
    pub fn finish(&mut self) -> Result<RecordBatch> {
        let mut c = vec![fin(&mut self.ts), fin(&mut self.flow_id)];
        self.ep.finish_into(&mut c);
        for b in &mut self.text {
            c.push(fin(b));
        }
        c.push(fin(&mut self.input_id));
        batch(&SSH_SCHEMA, c)
    }
}

/// Column builders of `quic`.
pub struct QuicBuilder {
    ts: TimestampMillisecondBuilder,
    flow_id: StringBuilder,
    ep: Endpoints,
    sni: StringBuilder,
    alpn_offered: ListBuilder<StringBuilder>,
    client_versions: ListBuilder<StringBuilder>,
    ja4: StringBuilder,
    ja4_r: StringBuilder,
    ja3: StringBuilder,
    input_id: Int64Builder,
}

impl Default for QuicBuilder {
    fn default() -> Self {
        QuicBuilder {
            ts: ts_col(),
            flow_id: StringBuilder::new(),
            ep: Endpoints::new(),
            sni: StringBuilder::new(),
            alpn_offered: ListBuilder::new(StringBuilder::new()),
            client_versions: ListBuilder::new(StringBuilder::new()),
            ja4: StringBuilder::new(),
            ja4_r: StringBuilder::new(),
            ja3: StringBuilder::new(),
            input_id: Int64Builder::new(),
        }
    }
}

impl QuicBuilder {
    /// Appends one row.
    pub fn append(&mut self, r: &QuicRow<'_>) {
        self.ts.append_value(r.ts);
        self.flow_id.append_value(r.flow_id);
        self.ep.append(r.client_ip, r.client_port, r.server_ip, r.server_port);
        self.sni.append_option(r.sni);
        push_strs(&mut self.alpn_offered, r.alpn_offered);
        push_strs(&mut self.client_versions, r.client_versions);
        self.ja4.append_value(r.ja4);
        self.ja4_r.append_value(r.ja4_r);
        self.ja3.append_value(r.ja3);
        self.input_id.append_value(r.input_id);
    }


    /// The pending rows as a batch of [`QUIC_SCHEMA`].
    pub fn finish(&mut self) -> Result<RecordBatch> {
        let mut c = vec![fin(&mut self.ts), fin(&mut self.flow_id)];
        self.ep.finish_into(&mut c);
        c.extend([
            fin(&mut self.sni),
            fin(&mut self.alpn_offered),
            fin(&mut self.client_versions),
            fin(&mut self.ja4),
            fin(&mut self.ja4_r),
            fin(&mut self.ja3),
            fin(&mut self.input_id),
        ]);
        batch(&QUIC_SCHEMA, c)
    }
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
        use arrow::array::{Array, AsArray};
        let mut fb = FlowsBuilder::default();
        let f = FlowRow { ts: 1_700_000_000_000, flow_id: "ab", risks: &["x"], capture_inputs: &[1, 2], ..Default::default() };
        fb.append(&f);
        fb.append(&FlowRow { tcp_state: Some("closed"), ..f.clone() });
        assert_eq!(fb.len(), 2);
        let b = fb.finish().unwrap();
        assert!(fb.is_empty());
        assert_eq!(b.num_rows(), 2);
        assert_eq!(b.schema(), *FLOWS_SCHEMA);
        assert!(b.column_by_name("tcp_state").unwrap().is_null(0));
        assert_eq!(b.column_by_name("tcp_state").unwrap().as_string::<i32>().value(1), "closed");
        assert_eq!(b.column_by_name("risks").unwrap().as_list::<i32>().value(0).len(), 1);
        // A reused builder starts empty.
        fb.append(&f);
        assert_eq!(fb.finish().unwrap().num_rows(), 1);

        let answers = [(1u16, 60u32, "1.2.3.4".to_string())];
        let mut db = DnsBuilder::default();
        db.append(&DnsRow { ts: 1, flow_id: "x", answers: &answers, ..Default::default() });
        let d = db.finish().unwrap();
        assert_eq!(d.schema(), *DNS_SCHEMA);
        assert_eq!(d.column_by_name("ttls").unwrap().as_list::<i32>().value(0).len(), 1);

        let mut tb = TlsBuilder::default();
        tb.append(&TlsRow::default());
        assert_eq!(tb.finish().unwrap().schema(), *TLS_SCHEMA);
        let mut hb = HttpBuilder::default();
        hb.append(&HttpRow::default());
        assert_eq!(hb.finish().unwrap().schema(), *HTTP_SCHEMA);
        let mut sb = SshBuilder::default();
        sb.append(&SshRow::default());
        assert_eq!(sb.finish().unwrap().schema(), *SSH_SCHEMA);
        let mut qb = QuicBuilder::default();
        qb.append(&QuicRow::default());
        assert_eq!(qb.finish().unwrap().schema(), *QUIC_SCHEMA);
        let refs = encode_refs(&[(0, 24)]);
        let mut pb = FlowPacketsBuilder::default();
        pb.append(&FlowPacketsRow { ts: 1, flow_id: "x", capture_inputs: &[3], packets: 2, packets_not_indexed: 0, refs: &refs });
        assert_eq!(pb.finish().unwrap().schema(), *FLOW_PACKETS_SCHEMA);
    }
}
