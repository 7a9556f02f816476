//! Pure TLS parsing over `&[u8]`: record walking, handshake message framing,
//! and extraction of the ClientHello/ServerHello fields fingerprints need.
//!
//! Hello bodies are parsed with `tls-parser`; the extension list is walked
//! here because JA3/JA4 need every extension id in wire order, GREASE and
//! unknown ones included, and must survive a malformed extension body.

use tls_parser::{parse_tls_handshake_client_hello, parse_tls_handshake_server_hello};

/// TLS record content types.
pub const CT_CHANGE_CIPHER_SPEC: u8 = 20;
/// Alert.
pub const CT_ALERT: u8 = 21;
/// Handshake.
pub const CT_HANDSHAKE: u8 = 22;
/// Application data.
pub const CT_APPLICATION_DATA: u8 = 23;

/// Handshake types.
pub const HS_CLIENT_HELLO: u8 = 1;
/// ServerHello.
pub const HS_SERVER_HELLO: u8 = 2;
/// Certificate.
pub const HS_CERTIFICATE: u8 = 11;

/// A TLS record header at the head of `b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    /// Content type.
    pub content_type: u8,
    /// Record-layer version.
    pub version: u16,
    /// Fragment length.
    pub len: usize,
}

/// Outcome of looking at the bytes at a record boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordPeek {
    /// A plausible record header.
    Record(RecordHeader),
    /// Fewer than 5 bytes.
    Short,
    /// Not a TLS record (wrong type/version/length).
    NotTls,
}

/// Read a record header, validating type, major version and length (≤ 2^14 + 2048).
pub fn peek_record(b: &[u8]) -> RecordPeek {
    if b.len() < 5 {
        return RecordPeek::Short;
    }
    let content_type = b[0];
    let version = u16::from_be_bytes([b[1], b[2]]);
    let len = u16::from_be_bytes([b[3], b[4]]) as usize;
    if !(20..=24).contains(&content_type) || b[1] != 3 || b[2] > 4 || len > 16384 + 2048 {
        return RecordPeek::NotTls;
    }
    RecordPeek::Record(RecordHeader {
        content_type,
        version,
        len,
    })
}

/// Does this look like the start of a TLS handshake (record type 22, a known
/// version, then a ClientHello or ServerHello)?
pub fn looks_like_tls(b: &[u8]) -> bool {
    matches!(peek_record(b), RecordPeek::Record(h) if h.content_type == CT_HANDSHAKE)
        && b.get(5)
            .is_some_and(|t| *t == HS_CLIENT_HELLO || *t == HS_SERVER_HELLO)
}

/// Split one handshake message off `hs` (4-byte header + body), or `None` if incomplete.
pub fn next_handshake(hs: &[u8]) -> Option<(u8, &[u8], usize)> {
    if hs.len() < 4 {
        return None;
    }
    let len = u32::from_be_bytes([0, hs[1], hs[2], hs[3]]) as usize;
    let body = hs.get(4..4 + len)?;
    Some((hs[0], body, 4 + len))
}

/// Is `v` a GREASE value (RFC 8701: 0x?a?a with both bytes equal)?
pub fn is_grease(v: u16) -> bool {
    (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// The ClientHello fields fingerprints and logs need (owned: it outlives the stream buffer).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientHello {
    /// `client_version` from the hello body.
    pub legacy_version: u16,
    /// Cipher suites in wire order (GREASE included).
    pub ciphers: Vec<u16>,
    /// Extension types in wire order (GREASE included).
    pub extensions: Vec<u16>,
    /// server_name (host_name entry), lossily decoded.
    pub sni: Option<String>,
    /// ALPN protocol names in order (raw bytes).
    pub alpn: Vec<Vec<u8>>,
    /// supported_groups (elliptic curves) in order.
    pub groups: Vec<u16>,
    /// ec_point_formats.
    pub point_formats: Vec<u8>,
    /// signature_algorithms in order.
    pub sig_algs: Vec<u16>,
    /// supported_versions in order.
    pub supported_versions: Vec<u16>,
}

/// The ServerHello fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerHello {
    /// `server_version` from the hello body.
    pub legacy_version: u16,
    /// Selected cipher suite.
    pub cipher: u16,
    /// Extension types in wire order.
    pub extensions: Vec<u16>,
    /// supported_versions selection (TLS 1.3), if present.
    pub selected_version: Option<u16>,
    /// Selected ALPN protocol.
    pub alpn: Option<Vec<u8>>,
}

fn u16_list(b: &[u8], len_bytes: usize) -> Vec<u16> {
    // A length prefix (1 or 2 bytes) followed by big-endian u16 values.
    let (len, rest) = match len_bytes {
        1 if !b.is_empty() => (b[0] as usize, &b[1..]),
        2 if b.len() >= 2 => (u16::from_be_bytes([b[0], b[1]]) as usize, &b[2..]),
        _ => return Vec::new(),
    };
    let body = &rest[..len.min(rest.len())];
    body.chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect()
}

/// Walk an extension block: (type, body) pairs, stopping at the first truncated one.
pub fn extensions(mut b: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        if b.len() < 4 {
            return None;
        }
        let t = u16::from_be_bytes([b[0], b[1]]);
        let l = u16::from_be_bytes([b[2], b[3]]) as usize;
        let body = b.get(4..4 + l)?;
        b = &b[4 + l..];
        Some((t, body))
    })
}

/// Parse a ClientHello body (after the 4-byte handshake header).
pub fn parse_client_hello(body: &[u8]) -> Option<ClientHello> {
    let (_, ch) = parse_tls_handshake_client_hello(body).ok()?;
    let mut out = ClientHello {
        legacy_version: ch.version.0,
        ciphers: ch.ciphers.iter().map(|c| c.0).collect(),
        ..Default::default()
    };
    for (t, e) in extensions(ch.ext.unwrap_or(&[])) {
        out.extensions.push(t);
        match t {
            0
                // server_name_list: u16 len, then (type u8, u16 len, name)*.
                if out.sni.is_none() && e.len() >= 5 && e[2] == 0 => {
                    let l = u16::from_be_bytes([e[3], e[4]]) as usize;
                    if let Some(name) = e.get(5..5 + l) {
                        out.sni = Some(String::from_utf8_lossy(name).into_owned());
                    }
                }
            10 => out.groups = u16_list(e, 2),
            11 => {
                if let Some((&l, rest)) = e.split_first() {
                    out.point_formats = rest[..(l as usize).min(rest.len())].to_vec();
                }
            }
            13 => out.sig_algs = u16_list(e, 2),
            16 => out.alpn = alpn_list(e),
            43 => out.supported_versions = u16_list(e, 1),
            _ => {}
        }
    }
    Some(out)
}

fn alpn_list(e: &[u8]) -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    if e.len() < 2 {
        return v;
    }
    let total = u16::from_be_bytes([e[0], e[1]]) as usize;
    let mut b = &e[2..(2 + total).min(e.len())];
    while let Some((&l, rest)) = b.split_first() {
        let Some(name) = rest.get(..l as usize) else {
            break;
        };
        v.push(name.to_vec());
        b = &rest[l as usize..];
    }
    v
}

/// Parse a ServerHello body (after the 4-byte handshake header).
pub fn parse_server_hello(body: &[u8]) -> Option<ServerHello> {
    let (_, sh) = parse_tls_handshake_server_hello(body).ok()?;
    let mut out = ServerHello {
        legacy_version: sh.version.0,
        cipher: sh.cipher.0,
        ..Default::default()
    };
    for (t, e) in extensions(sh.ext.unwrap_or(&[])) {
        out.extensions.push(t);
        match t {
            43 if e.len() >= 2 => out.selected_version = Some(u16::from_be_bytes([e[0], e[1]])),
            16 => out.alpn = alpn_list(e).into_iter().next(),
            _ => {}
        }
    }
    Some(out)
}

/// Split a Certificate message body into DER certificates (TLS 1.0–1.2
/// layout: u24 list length, then u24-prefixed certificates).
pub fn certificate_chain(body: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    if body.len() < 3 {
        return out;
    }
    let total = u32::from_be_bytes([0, body[0], body[1], body[2]]) as usize;
    let mut b = &body[3..(3 + total).min(body.len())];
    while b.len() >= 3 {
        let l = u32::from_be_bytes([0, b[0], b[1], b[2]]) as usize;
        let Some(c) = b.get(3..3 + l) else { break };
        out.push(c);
        b = &b[3 + l..];
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A ClientHello handshake message (with header) built by hand.
    pub(crate) fn client_hello(ciphers: &[u16], exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut body = vec![0x03, 0x03];
        body.extend_from_slice(&[0x11; 32]);
        body.push(0);
        body.extend_from_slice(&((ciphers.len() * 2) as u16).to_be_bytes());
        for c in ciphers {
            body.extend_from_slice(&c.to_be_bytes());
        }
        body.extend_from_slice(&[1, 0]);
        let mut eb = Vec::new();
        for (t, d) in exts {
            eb.extend_from_slice(&t.to_be_bytes());
            eb.extend_from_slice(&(d.len() as u16).to_be_bytes());
            eb.extend_from_slice(d);
        }
        body.extend_from_slice(&(eb.len() as u16).to_be_bytes());
        body.extend_from_slice(&eb);
        let mut m = vec![1, 0, (body.len() >> 8) as u8, body.len() as u8];
        m.extend_from_slice(&body);
        m
    }

    pub(crate) fn sni_ext(name: &str) -> (u16, Vec<u8>) {
        let mut d = ((name.len() + 3) as u16).to_be_bytes().to_vec();
        d.push(0);
        d.extend_from_slice(&(name.len() as u16).to_be_bytes());
        d.extend_from_slice(name.as_bytes());
        (0, d)
    }

    #[test]
    fn grease_values() {
        assert!(is_grease(0x0a0a));
        assert!(is_grease(0xfafa));
        assert!(!is_grease(0x0a1a));
        assert!(!is_grease(0x1301));
    }

    #[test]
    fn client_hello_fields() {
        let m = client_hello(
            &[0x1a1a, 0x1301, 0xc02b],
            &[
                sni_ext("example.org"),
                (16, vec![0, 6, 2, b'h', b'2', 2, b'h', b'3']),
                (43, vec![4, 0x03, 0x04, 0x03, 0x03]),
                (0x2a2a, vec![]),
            ],
        );
        let (t, body, used) = next_handshake(&m).unwrap();
        assert_eq!((t, used), (HS_CLIENT_HELLO, m.len()));
        let ch = parse_client_hello(body).unwrap();
        assert_eq!(ch.sni.as_deref(), Some("example.org"));
        assert_eq!(ch.alpn, vec![b"h2".to_vec(), b"h3".to_vec()]);
        assert_eq!(ch.supported_versions, vec![0x0304, 0x0303]);
        assert_eq!(ch.extensions, vec![0, 16, 43, 0x2a2a]);
        assert_eq!(ch.ciphers, vec![0x1a1a, 0x1301, 0xc02b]);
    }

    #[test]
    fn truncated_inputs_do_not_parse() {
        let m = client_hello(&[0x1301], &[sni_ext("a.b")]);
        assert!(next_handshake(&m[..m.len() - 1]).is_none());
        assert!(parse_client_hello(&m[4..20]).is_none());
        assert_eq!(peek_record(&[0x16, 3]), RecordPeek::Short);
        assert_eq!(peek_record(b"GET / HTTP/1.1"), RecordPeek::NotTls);
        assert!(certificate_chain(&[0, 0, 9, 0, 0, 20, 1]).is_empty());
    }
}
