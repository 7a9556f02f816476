//! DNS metadata: [`DnsRecord`] per message, over UDP and TCP.

pub mod parser;

pub use parser::{DnsError, Message, parse_message};
use serde::Serialize;

/// One DNS message seen on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsRecord {
    /// Flow carrying the message.
    pub flow_id: u64,
    /// Packet time (ns).
    pub ts_ns: i64,
    /// Sent by the flow's client.
    pub from_client: bool,
    /// Transaction id.
    pub id: u16,
    /// Response bit.
    pub is_response: bool,
    /// Opcode.
    pub opcode: u8,
    /// RCODE.
    pub rcode: u8,
    /// TC bit.
    pub truncated: bool,
    /// First question name.
    pub query: Option<String>,
    /// First question type.
    pub qtype: Option<u16>,
    /// Answer (type, TTL, text) triples; text empty for unrendered types.
    pub answers: Vec<(u16, u32, String)>,
    /// Message size in bytes.
    pub size: usize,
}

impl DnsRecord {
    /// Build from a parsed message.
    pub fn from_message(
        m: &Message<'_>,
        flow_id: u64,
        ts_ns: i64,
        from_client: bool,
        size: usize,
    ) -> Self {
        DnsRecord {
            flow_id,
            ts_ns,
            from_client,
            id: m.id,
            is_response: m.is_response,
            opcode: m.opcode,
            rcode: m.rcode,
            truncated: m.truncated,
            query: m.questions.first().map(|q| q.name.clone()),
            qtype: m.questions.first().map(|q| q.qtype),
            answers: m
                .answers
                .iter()
                .map(|a| (a.rtype, a.ttl, a.text.clone().unwrap_or_default()))
                .collect(),
            size,
        }
    }
}

impl DnsRecord {
    /// Build from a parsed message (from `parse_message` or the engine's
    /// `parse_message_lite`), moving its strings instead of copying.
    pub fn from_owned(
        m: Message<'_>,
        flow_id: u64,
        ts_ns: i64,
        from_client: bool,
        size: usize,
    ) -> Self {
        let qtype = m.questions.first().map(|q| q.qtype);
        DnsRecord {
            flow_id,
            ts_ns,
            from_client,
            id: m.id,
            is_response: m.is_response,
            opcode: m.opcode,
            rcode: m.rcode,
            truncated: m.truncated,
            query: m.questions.into_iter().next().map(|q| q.name),
            qtype,
            answers: m
                .answers
                .into_iter()
                .map(|a| (a.rtype, a.ttl, a.text.unwrap_or_default()))
                .collect(),
            size,
        }
    }
}

/// Parse length-prefixed DNS messages from a TCP stream; returns bytes consumed.
pub fn tcp_messages(
    buf: &[u8],
    flow_id: u64,
    ts: i64,
    from_client: bool,
    out: &mut Vec<DnsRecord>,
    malformed: &mut u64,
) -> usize {
    let mut pos = 0;
    while pos + 2 <= buf.len() {
        let len = u16::from_be_bytes([buf[pos], buf[pos + 1]]) as usize;
        let Some(msg) = buf.get(pos + 2..pos + 2 + len) else {
            break;
        };
        match parser::parse_message_lite(msg) {
            Ok(m) => out.push(DnsRecord::from_owned(m, flow_id, ts, from_client, len)),
            Err(_) => *malformed += 1,
        }
        pos += 2 + len;
    }
    pos
}
