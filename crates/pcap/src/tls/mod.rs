//! TLS metadata: per-flow handshake state, [`TlsRecord`] output, certificates.
//!
//! [`parser`] is pure; [`fingerprint`] computes JA3/JA3S/JA4; this module
//! reassembles handshake messages across records and keeps per-flow state.

pub mod fingerprint;
pub mod parser;

use serde::Serialize;
use sha1::Sha1;
use sha2::{Digest as _, Sha256};

use fingerprint::{Ja4, Ja4Transport, hex, ja3_string, ja3s_string, ja4, md5_hex};
use parser::{
    CT_CHANGE_CIPHER_SPEC, CT_HANDSHAKE, ClientHello, HS_CERTIFICATE, HS_CLIENT_HELLO,
    HS_SERVER_HELLO, RecordPeek, certificate_chain, next_handshake, parse_client_hello,
    parse_server_hello, peek_record,
};

/// One TLS handshake seen in a flow (one per ClientHello; a second
/// ClientHello after a HelloRetryRequest gives a second record). QUIC
/// handshakes (ClientHello from the decrypted Initial) use the same record
/// with a `q` JA4 and no server fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TlsRecord {
    /// Flow this handshake belongs to.
    pub flow_id: u64,
    /// 1-based handshake index within the flow.
    pub handshake: u32,
    /// Time of the packet completing the ClientHello (ns since epoch).
    pub ts_ns: i64,
    /// Server Name Indication.
    pub sni: Option<String>,
    /// ALPN values offered by the client (lossy UTF-8).
    pub alpn_offered: Vec<String>,
    /// ALPN selected by the server.
    pub alpn_selected: Option<String>,
    /// ClientHello `client_version`.
    pub client_version: u16,
    /// Versions from the client's supported_versions extension.
    pub client_supported_versions: Vec<u16>,
    /// Negotiated version (supported_versions selection, else ServerHello version).
    pub server_version: Option<u16>,
    /// Negotiated cipher suite.
    pub cipher: Option<u16>,
    /// JA3 string.
    pub ja3_string: String,
    /// JA3 (MD5 of the string).
    pub ja3: String,
    /// JA3S string.
    pub ja3s_string: Option<String>,
    /// JA3S.
    pub ja3s: Option<String>,
    /// JA4.
    pub ja4: String,
    /// JA4_r.
    pub ja4_r: String,
    /// JA4_o.
    pub ja4_o: String,
    /// JA4_ro.
    pub ja4_ro: String,
    /// JA4S of the ServerHello (`ja4plus` feature, FoxIO License 1.1).
    #[cfg(feature = "ja4plus")]
    pub ja4s: Option<String>,
    /// JA4S_r (`ja4plus` feature, FoxIO License 1.1).
    #[cfg(feature = "ja4plus")]
    pub ja4s_r: Option<String>,
    /// Server certificate chain, leaf first (TLS ≤ 1.2 only: 1.3 encrypts it).
    pub certificates: Vec<CertInfo>,
}

/// Facts about one X.509 certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    /// Subject DN (RFC 4514 style as printed by x509-parser).
    pub subject: Option<String>,
    /// Issuer DN.
    pub issuer: Option<String>,
    /// Serial number (hex).
    pub serial: Option<String>,
    /// notBefore, seconds since epoch.
    pub not_before: Option<i64>,
    /// notAfter, seconds since epoch.
    pub not_after: Option<i64>,
    /// DNS names and IP addresses from subjectAltName.
    pub san: Vec<String>,
    /// SHA-1 of the DER (lower-case hex).
    pub sha1: String,
    /// SHA-256 of the DER.
    pub sha256: String,
    /// Subject equals issuer (signature not verified).
    pub self_signed: bool,
    /// DER length in bytes.
    pub der_len: usize,
    /// The DER did not parse (hashes still given).
    pub parse_error: bool,
    /// JA4X (`ja4plus` feature, FoxIO License 1.1); `None` if the DER is
    /// not a certificate.
    #[cfg(feature = "ja4plus")]
    pub ja4x: Option<String>,
    /// JA4X_r (`ja4plus` feature, FoxIO License 1.1).
    #[cfg(feature = "ja4plus")]
    pub ja4x_r: Option<String>,
}

/// Parse a DER certificate into [`CertInfo`].
pub fn cert_info(der: &[u8]) -> CertInfo {
    let mut ci = CertInfo {
        sha1: hex(&Sha1::digest(der)),
        sha256: hex(&Sha256::digest(der)),
        der_len: der.len(),
        ..Default::default()
    };
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, c)) => {
            ci.subject = Some(c.subject().to_string());
            ci.issuer = Some(c.issuer().to_string());
            ci.serial = Some(c.raw_serial_as_string());
            ci.not_before = Some(c.validity().not_before.timestamp());
            ci.not_after = Some(c.validity().not_after.timestamp());
            ci.self_signed = c.subject().as_raw() == c.issuer().as_raw();
            if let Ok(Some(san)) = c.subject_alternative_name() {
                for n in &san.value.general_names {
                    match n {
                        x509_parser::extensions::GeneralName::DNSName(d) => {
                            ci.san.push(d.to_string())
                        }
                        x509_parser::extensions::GeneralName::IPAddress(ip) => match ip.len() {
                            4 => ci.san.push(
                                std::net::Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]).to_string(),
                            ),
                            16 => {
                                let mut a = [0u8; 16];
                                a.copy_from_slice(ip);
                                ci.san.push(std::net::Ipv6Addr::from(a).to_string());
                            }
                            _ => {}
                        },
                        _ => {}
                    }
                }
            }
        }
        Err(_) => ci.parse_error = true,
    }
    #[cfg(feature = "ja4plus")]
    if let Some(j) = crate::ja4plus::ja4x(der) {
        ci.ja4x = Some(j.ja4x);
        ci.ja4x_r = Some(j.ja4x_r);
    }
    ci
}

/// [`cert_info`] through a small per-thread cache keyed by the exact DER:
/// the same few server certificates recur across thousands of handshakes,
/// and X.509 parsing plus two digests was the largest cost of TLS metadata.
/// Bounded: certificates up to 8 KiB, at most 512 entries (then cleared).
fn cert_info_cached(der: &[u8]) -> CertInfo {
    use std::cell::RefCell;
    use std::collections::HashMap;
    type Cache = HashMap<Box<[u8]>, CertInfo, foldhash::fast::RandomState>;
    thread_local! {
        static CACHE: RefCell<Cache> = RefCell::new(HashMap::default());
    }
    if der.len() > 8192 {
        return cert_info(der);
    }
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(ci) = c.get(der) {
            return ci.clone();
        }
        let ci = cert_info(der);
        if c.len() >= 512 {
            c.clear();
        }
        c.insert(der.into(), ci.clone());
        ci
    })
}

/// Cap on buffered handshake bytes per direction (a certificate chain fits).
const MAX_HS_BYTES: usize = 128 * 1024;

#[derive(Debug, Default)]
struct Dir {
    hs: Vec<u8>,
    /// Handshake bytes no longer plaintext (after ChangeCipherSpec / TLS 1.3 keys).
    encrypted: bool,
    /// The buffered handshake bytes came after ChangeCipherSpec (may be ciphertext).
    after_ccs_probe: bool,
    done: bool,
}

/// Per-flow TLS state fed with each direction's reassembled bytes.
#[derive(Debug, Default)]
pub struct TlsState {
    client: Dir,
    server: Dir,
    /// Records produced so far (the last one is still being completed).
    pub records: Vec<TlsRecord>,
    /// Malformed hellos/records seen.
    pub malformed: u32,
}

impl TlsState {
    /// Feed contiguous bytes for one direction; returns bytes consumed (whole
    /// records only). `ts_ns` is the time of the packet that delivered them.
    pub fn on_data(
        &mut self,
        from_client: bool,
        mut data: &[u8],
        ts_ns: i64,
        flow_id: u64,
    ) -> usize {
        let mut used = 0;
        loop {
            let d = if from_client {
                &mut self.client
            } else {
                &mut self.server
            };
            if d.done {
                return used + data.len();
            }
            match peek_record(data) {
                RecordPeek::Short => return used,
                RecordPeek::NotTls => {
                    d.done = true;
                    if !self.records.is_empty() || used > 0 {
                        // Garbage after a valid start: count once.
                        self.malformed += 1;
                    }
                    return used + data.len();
                }
                RecordPeek::Record(h) => {
                    let Some(frag) = data.get(5..5 + h.len) else {
                        return used;
                    };
                    if h.content_type == CT_HANDSHAKE && (!d.encrypted || d.after_ccs_probe) {
                        if d.hs.len() + frag.len() > MAX_HS_BYTES {
                            d.done = true;
                        } else {
                            d.hs.extend_from_slice(frag);
                        }
                    } else if h.content_type == CT_HANDSHAKE
                        && from_client
                        && d.hs.is_empty()
                        && frag.first() == Some(&HS_CLIENT_HELLO)
                    {
                        // A second ClientHello after a HelloRetryRequest follows
                        // the client's (TLS 1.3 compatibility) ChangeCipherSpec.
                        // Ciphertext that happens to start with 0x01 is dropped
                        // by the length check in drain_handshakes or fails to parse.
                        d.hs.extend_from_slice(frag);
                        d.after_ccs_probe = true;
                    } else if h.content_type == CT_CHANGE_CIPHER_SPEC {
                        d.encrypted = true;
                    } else if h.content_type == 23 {
                        d.encrypted = true;
                        d.done = true;
                    }
                    used += 5 + h.len;
                    data = &data[5 + h.len..];
                    self.drain_handshakes(from_client, ts_ns, flow_id);
                }
            }
        }
    }

    fn drain_handshakes(&mut self, from_client: bool, ts_ns: i64, flow_id: u64) {
        let mut pos = 0;
        let hs = std::mem::take(if from_client {
            &mut self.client.hs
        } else {
            &mut self.server.hs
        });
        while let Some((t, body, len)) = next_handshake(&hs[pos..]) {
            pos += len;
            match (from_client, t) {
                (true, HS_CLIENT_HELLO) => match parse_client_hello(body) {
                    Some(ch) => self.records.push(record_from_hello(
                        &ch,
                        flow_id,
                        ts_ns,
                        self.records.len() as u32 + 1,
                        Ja4Transport::Tcp,
                    )),
                    None if self.client.after_ccs_probe => {}
                    None => self.malformed += 1,
                },
                (false, HS_SERVER_HELLO) => match parse_server_hello(body) {
                    Some(sh) => {
                        if let Some(r) = self.records.last_mut() {
                            let s = ja3s_string(&sh);
                            r.ja3s = Some(md5_hex(&s));
                            r.ja3s_string = Some(s);
                            r.cipher = Some(sh.cipher);
                            r.server_version =
                                Some(sh.selected_version.unwrap_or(sh.legacy_version));
                            #[cfg(feature = "ja4plus")]
                            {
                                let j = crate::ja4plus::ja4s(&sh, Ja4Transport::Tcp);
                                r.ja4s = Some(j.ja4s);
                                r.ja4s_r = Some(j.ja4s_r);
                            }
                            r.alpn_selected =
                                sh.alpn.map(|a| String::from_utf8_lossy(&a).into_owned());
                        }
                        if sh.selected_version == Some(0x0304) {
                            // TLS 1.3: everything after ServerHello is encrypted.
                            self.server.encrypted = true;
                        }
                    }
                    None => self.malformed += 1,
                },
                (false, HS_CERTIFICATE) => {
                    if let Some(r) = self.records.last_mut()
                        && r.certificates.is_empty()
                    {
                        r.certificates = certificate_chain(body)
                            .into_iter()
                            .take(8)
                            .map(cert_info_cached)
                            .collect();
                    }
                }
                _ => {}
            }
        }
        let d = if from_client {
            &mut self.client
        } else {
            &mut self.server
        };
        d.hs = hs;
        d.hs.drain(..pos);
        if d.after_ccs_probe {
            let declared = if d.hs.len() >= 4 {
                u32::from_be_bytes([0, d.hs[1], d.hs[2], d.hs[3]]) as usize
            } else {
                0
            };
            if d.hs.is_empty() || declared > 16384 {
                d.hs.clear();
                d.after_ccs_probe = false;
            }
        } else if d.encrypted {
            d.hs.clear();
        }
    }

    /// Both directions are finished (encrypted or not TLS).
    pub fn is_done(&self) -> bool {
        self.client.done && self.server.done
    }
}

pub(crate) fn record_from_hello(
    ch: &ClientHello,
    flow_id: u64,
    ts_ns: i64,
    handshake: u32,
    transport: Ja4Transport,
) -> TlsRecord {
    let (j3, ja3, j4) = fingerprints_cached(ch, transport);
    TlsRecord {
        flow_id,
        handshake,
        ts_ns,
        sni: ch.sni.clone(),
        alpn_offered: ch
            .alpn
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect(),
        client_version: ch.legacy_version,
        client_supported_versions: ch.supported_versions.clone(),
        ja3,
        ja3_string: j3,
        ja4: j4.ja4,
        ja4_r: j4.ja4_r,
        ja4_o: j4.ja4_o,
        ja4_ro: j4.ja4_ro,
        ..Default::default()
    }
}

/// JA3 string, JA3 and JA4 of a ClientHello, through a small per-thread
/// cache: one client stack sends the same hello fields again and again, and
/// building the fingerprint strings and digests was the largest cost of TLS
/// metadata. The key is every [`ClientHello`] field except `sni` (JA3 and
/// JA4 do not read it), plus the transport; a hit is checked field by field
/// (the exhaustive destructuring below stops compiling if a field is added).
/// Bounded: at most 1024 entries, then cleared.
fn fingerprints_cached(ch: &ClientHello, transport: Ja4Transport) -> (String, String, Ja4) {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::hash::{BuildHasher, Hash, Hasher};
    struct Entry {
        transport: Ja4Transport,
        hello: ClientHello,
        ja3_string: String,
        ja3: String,
        ja4: Ja4,
    }
    type Cache = (foldhash::fast::RandomState, HashMap<u64, Entry>);
    thread_local! {
        static CACHE: RefCell<Cache> = RefCell::new(Default::default());
    }
    let same = |e: &Entry| {
        let ClientHello {
            legacy_version,
            ciphers,
            extensions,
            sni: _,
            alpn,
            groups,
            point_formats,
            sig_algs,
            supported_versions,
        } = &e.hello;
        e.transport == transport
            && *legacy_version == ch.legacy_version
            && *ciphers == ch.ciphers
            && *extensions == ch.extensions
            && *alpn == ch.alpn
            && *groups == ch.groups
            && *point_formats == ch.point_formats
            && *sig_algs == ch.sig_algs
            && *supported_versions == ch.supported_versions
    };
    CACHE.with(|c| {
        let (seed, map) = &mut *c.borrow_mut();
        let mut h = seed.build_hasher();
        let ClientHello {
            legacy_version,
            ciphers,
            extensions,
            sni: _,
            alpn,
            groups,
            point_formats,
            sig_algs,
            supported_versions,
        } = ch;
        (transport as u8, legacy_version, ciphers, extensions, alpn).hash(&mut h);
        (groups, point_formats, sig_algs, supported_versions).hash(&mut h);
        let key = h.finish();
        if let Some(e) = map.get(&key).filter(|e| same(e)) {
            return (e.ja3_string.clone(), e.ja3.clone(), e.ja4.clone());
        }
        let j3 = ja3_string(ch);
        let j3_md5 = md5_hex(&j3);
        let j4 = ja4(ch, transport);
        if map.len() >= 1024 {
            map.clear();
        }
        let hello = ClientHello {
            sni: None,
            ..ch.clone()
        };
        map.insert(
            key,
            Entry {
                transport,
                hello,
                ja3_string: j3.clone(),
                ja3: j3_md5.clone(),
                ja4: j4.clone(),
            },
        );
        (j3, j3_md5, j4)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::parser::tests::{client_hello, sni_ext};

    #[test]
    fn hello_split_over_two_records_and_two_segments() {
        let m = client_hello(&[0x1301], &[sni_ext("split.example")]);
        let (a, b) = m.split_at(20);
        let mut stream = Vec::new();
        for part in [a, b] {
            stream.extend_from_slice(&[0x16, 3, 1, 0, part.len() as u8]);
            stream.extend_from_slice(part);
        }
        let mut st = TlsState::default();
        // First only half of the first record: nothing consumed.
        assert_eq!(st.on_data(true, &stream[..10], 1, 7), 0);
        let used = st.on_data(true, &stream, 2, 7);
        assert_eq!(used, stream.len());
        assert_eq!(st.records.len(), 1);
        assert_eq!(st.records[0].sni.as_deref(), Some("split.example"));
        assert_eq!(st.records[0].flow_id, 7);
        assert_eq!(st.records[0].ja3_string, "771,4865,0,,");
    }

    #[test]
    fn not_tls_finishes_direction() {
        let mut st = TlsState::default();
        assert_eq!(st.on_data(true, b"GET / HTTP/1.1\r\n", 0, 0), 16);
        assert_eq!(st.on_data(false, b"SSH-2.0-x\r\n", 0, 0), 11);
        assert!(st.is_done());
        assert!(st.records.is_empty());
    }

    #[test]
    fn garbage_certificate_is_hashed_and_flagged() {
        let c = cert_info(b"not a certificate");
        assert!(c.parse_error);
        assert_eq!(c.sha1.len(), 40);
        assert_eq!(c.sha256.len(), 64);
    }
}
