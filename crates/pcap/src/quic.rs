//! QUIC client Initial decryption (RFC 9000/9001; QUIC v2, RFC 9369; drafts
//! 29–32) to recover the TLS ClientHello: SNI, ALPN, JA3 and JA4 (`q…`).
//!
//! Initial keys are public (derived from the client's first Destination
//! Connection ID), so any observer can do this. `ring` provides HKDF,
//! AES-128-GCM and the header-protection mask. CRYPTO frames are reassembled
//! by offset across packets (browsers scatter them), capped at 64 KiB.

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hkdf;

use crate::tls::TlsRecord;
use crate::tls::fingerprint::Ja4Transport;
use crate::tls::parser::{HS_CLIENT_HELLO, next_handshake, parse_client_hello};

const V1: u32 = 0x0000_0001;
const V2: u32 = 0x6b33_43cf;
const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];
const SALT_DRAFT29: [u8; 20] = [
    0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0,
    0x43, 0x90, 0xa8, 0x99,
];
const MAX_CRYPTO: usize = 64 * 1024;

/// Does this UDP payload start with a QUIC long-header Initial of a version we decrypt?
pub fn is_initial(b: &[u8]) -> bool {
    if b.len() < 7 || b[0] & 0xc0 != 0xc0 {
        return false;
    }
    let v = u32::from_be_bytes([b[1], b[2], b[3], b[4]]);
    let ty = (b[0] >> 4) & 0x03;
    match v {
        V1 => ty == 0,
        V2 => ty == 1,
        0xff00_001d..=0xff00_0020 => ty == 0,
        _ => false,
    }
}

fn varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let first = *b.get(*pos)?;
    let len = 1usize << (first >> 6);
    let bytes = b.get(*pos..*pos + len)?;
    let mut v = (first & 0x3f) as u64;
    for x in &bytes[1..] {
        v = (v << 8) | *x as u64;
    }
    *pos += len;
    Some(v)
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn expand_label(prk: &hkdf::Prk, label: &[u8], out: &mut [u8]) -> Option<()> {
    let full_len = 6 + label.len();
    let len = (out.len() as u16).to_be_bytes();
    let info: [&[u8]; 5] = [&len, &[full_len as u8], b"tls13 ", label, &[0]];
    prk.expand(&info, Len(out.len())).ok()?.fill(out).ok()
}

struct Keys {
    key: LessSafeKey,
    iv: [u8; 12],
    hp: aead::quic::HeaderProtectionKey,
}

/// Initial keys of one side: `side` is `b"client in"` or `b"server in"`;
/// both derive from the client's first Destination Connection ID.
fn initial_keys(version: u32, dcid: &[u8], side: &[u8]) -> Option<Keys> {
    let (salt, pfx): (&[u8], &[u8]) = match version {
        V2 => (&SALT_V2, b"quicv2 "),
        V1 => (&SALT_V1, b"quic "),
        _ => (&SALT_DRAFT29, b"quic "),
    };
    let initial = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(dcid);
    let mut secret = [0u8; 32];
    expand_label(&initial, side, &mut secret)?;
    let client = hkdf::Prk::new_less_safe(hkdf::HKDF_SHA256, &secret);
    let label = |s: &[u8]| [pfx, s].concat();
    let (mut key, mut iv, mut hp) = ([0u8; 16], [0u8; 12], [0u8; 16]);
    expand_label(&client, &label(b"key"), &mut key)?;
    expand_label(&client, &label(b"iv"), &mut iv)?;
    expand_label(&client, &label(b"hp"), &mut hp)?;
    Some(Keys {
        key: LessSafeKey::new(UnboundKey::new(&aead::AES_128_GCM, &key).ok()?),
        iv,
        hp: aead::quic::HeaderProtectionKey::new(&aead::quic::AES_128, &hp).ok()?,
    })
}

/// Decrypt one Initial packet at the start of `b` with `side`'s keys.
/// Returns the plaintext frames, the packet's total length (for coalesced
/// packets) and its Destination Connection ID.
fn open_initial(
    b: &[u8],
    first_dcid: Option<&[u8]>,
    side: &[u8],
) -> Option<(Vec<u8>, usize, Vec<u8>)> {
    let version = u32::from_be_bytes(b.get(1..5)?.try_into().ok()?);
    let mut pos = 5;
    let dcid_len = *b.get(pos)? as usize;
    let dcid = b.get(pos + 1..pos + 1 + dcid_len)?;
    pos += 1 + dcid_len;
    let scid_len = *b.get(pos)? as usize;
    pos += 1 + scid_len;
    let token_len = varint(b, &mut pos)? as usize;
    pos = pos.checked_add(token_len)?;
    let length = varint(b, &mut pos)? as usize;
    let pn_off = pos;
    let end = pn_off.checked_add(length)?;
    if end > b.len() || length < 20 {
        return None;
    }
    let sample = b.get(pn_off + 4..pn_off + 20)?;
    let key_dcid = first_dcid.unwrap_or(dcid);
    for cand in [key_dcid, dcid] {
        let keys = initial_keys(version, cand, side)?;
        let mask = keys.hp.new_mask(sample).ok()?;
        let mut pkt = b[..end].to_vec();
        pkt[0] ^= mask[0] & 0x0f;
        let pn_len = (pkt[0] & 0x03) as usize + 1;
        let mut pn = 0u64;
        for i in 0..pn_len {
            pkt[pn_off + i] ^= mask[1 + i];
            pn = (pn << 8) | pkt[pn_off + i] as u64;
        }
        let mut nonce = keys.iv;
        for (i, x) in pn.to_be_bytes().iter().enumerate() {
            nonce[4 + i] ^= x;
        }
        let (hdr, body) = pkt.split_at_mut(pn_off + pn_len);
        let mut body = body.to_vec();
        if let Ok(plain) = keys.key.open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(&*hdr),
            &mut body,
        ) {
            return Some((plain.to_vec(), end, dcid.to_vec()));
        }
        if cand == dcid {
            break;
        }
    }
    None
}

/// CRYPTO frame data of one direction, reassembled by offset.
#[derive(Debug, Default)]
struct Crypto {
    fragments: Vec<(u64, Vec<u8>)>,
    buffered: usize,
}

impl Crypto {
    /// Collect the CRYPTO frames of one decrypted Initial payload.
    fn frames(&mut self, p: &[u8]) {
        let mut pos = 0;
        while pos < p.len() {
            let Some(t) = varint(p, &mut pos) else { return };
            match t {
                0x00 | 0x01 => {}
                0x02 | 0x03 => {
                    let mut ok = || -> Option<()> {
                        varint(p, &mut pos)?;
                        varint(p, &mut pos)?;
                        let n = varint(p, &mut pos)?;
                        varint(p, &mut pos)?;
                        for _ in 0..n.min(256) {
                            varint(p, &mut pos)?;
                            varint(p, &mut pos)?;
                        }
                        if t == 0x03 {
                            for _ in 0..3 {
                                varint(p, &mut pos)?;
                            }
                        }
                        Some(())
                    };
                    if ok().is_none() {
                        return;
                    }
                }
                0x06 => {
                    let (Some(off), Some(len)) = (varint(p, &mut pos), varint(p, &mut pos)) else {
                        return;
                    };
                    let Some(data) = p.get(pos..pos + len as usize) else {
                        return;
                    };
                    pos += len as usize;
                    if self.buffered + data.len() <= MAX_CRYPTO && off < MAX_CRYPTO as u64 {
                        self.buffered += data.len();
                        self.fragments.push((off, data.to_vec()));
                    }
                }
                _ => return, // any other frame: stop (not expected in an Initial)
            }
        }
    }

    /// The contiguous prefix from offset 0.
    fn stream(&mut self) -> Vec<u8> {
        self.fragments.sort_by_key(|f| f.0);
        let mut stream: Vec<u8> = Vec::new();
        for (off, data) in &self.fragments {
            let off = *off as usize;
            if off > stream.len() {
                break;
            }
            let skip = stream.len() - off;
            if skip < data.len() {
                stream.extend_from_slice(&data[skip..]);
            }
        }
        stream
    }
}

/// Per-flow QUIC state: the client's Initials (and, with the `ja4plus`
/// feature, the server's, for its ServerHello).
#[derive(Debug, Default)]
pub struct QuicState {
    first_dcid: Option<Vec<u8>>,
    client: Crypto,
    done: bool,
    /// Initial packets that did not decrypt or parse.
    pub undecryptable: u32,
    #[cfg(feature = "ja4plus")]
    server: Crypto,
    #[cfg(feature = "ja4plus")]
    server_done: bool,
    /// The handshake record, held until the flow ends (with `ja4plus`, the
    /// server's ServerHello adds its JA4S meanwhile).
    pub(crate) pending: Option<TlsRecord>,
}

impl QuicState {
    /// Feed one client UDP datagram; returns a [`TlsRecord`] once the
    /// ClientHello is complete.
    pub fn on_datagram(&mut self, mut d: &[u8], flow_id: u64, ts_ns: i64) -> Option<TlsRecord> {
        while !self.done && is_initial(d) {
            let Some((plain, used, dcid)) =
                open_initial(d, self.first_dcid.as_deref(), b"client in")
            else {
                self.undecryptable += 1;
                return None;
            };
            self.first_dcid.get_or_insert(dcid);
            self.client.frames(&plain);
            d = &d[used..];
            if let Some(r) = self.try_hello(flow_id, ts_ns) {
                return Some(r);
            }
        }
        None
    }

    fn try_hello(&mut self, flow_id: u64, ts_ns: i64) -> Option<TlsRecord> {
        let stream = self.client.stream();
        let (t, body, _) = next_handshake(&stream)?;
        self.done = true;
        self.client = Crypto::default();
        if t != HS_CLIENT_HELLO {
            return None;
        }
        let ch = parse_client_hello(body)?;
        Some(crate::tls::record_from_hello(
            &ch,
            flow_id,
            ts_ns,
            1,
            Ja4Transport::Quic,
        ))
    }

    /// Feed one server UDP datagram; returns the ServerHello once the
    /// server's Initial CRYPTO data holds it. Server Initial keys also
    /// derive from the client's first Destination Connection ID, so this
    /// works only after a client Initial was decrypted.
    #[cfg(feature = "ja4plus")]
    pub fn on_server_datagram(&mut self, mut d: &[u8]) -> Option<crate::tls::parser::ServerHello> {
        while !self.server_done && is_initial(d) {
            let dcid = self.first_dcid.as_deref()?;
            let Some((plain, used, _)) = open_initial(d, Some(dcid), b"server in") else {
                self.server_done = true; // not counted: the client side is what matters
                return None;
            };
            self.server.frames(&plain);
            d = &d[used..];
            let stream = self.server.stream();
            if let Some((t, body, _)) = next_handshake(&stream) {
                self.server_done = true;
                self.server = Crypto::default();
                return if t == crate::tls::parser::HS_SERVER_HELLO {
                    crate::tls::parser::parse_server_hello(body)
                } else {
                    None
                };
            }
        }
        None
    }

    /// The ClientHello was found (or the flow is not decryptable QUIC).
    pub fn is_done(&self) -> bool {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9001 Appendix A.1: keys derived from DCID 0x8394c8f03e515708.
    #[test]
    fn rfc9001_initial_keys() {
        let dcid = [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];
        let initial = hkdf::Salt::new(hkdf::HKDF_SHA256, &SALT_V1).extract(&dcid);
        let mut secret = [0u8; 32];
        expand_label(&initial, b"client in", &mut secret).unwrap();
        assert_eq!(
            crate::tls::fingerprint::hex(&secret),
            "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea"
        );
        let client = hkdf::Prk::new_less_safe(hkdf::HKDF_SHA256, &secret);
        let mut key = [0u8; 16];
        expand_label(&client, b"quic key", &mut key).unwrap();
        assert_eq!(
            crate::tls::fingerprint::hex(&key),
            "1f369613dd76d5467730efcbe3b1a22d"
        );
        let mut iv = [0u8; 12];
        expand_label(&client, b"quic iv", &mut iv).unwrap();
        assert_eq!(
            crate::tls::fingerprint::hex(&iv),
            "fa044b2f42a3fd3b46fb255c"
        );
        let mut hp = [0u8; 16];
        expand_label(&client, b"quic hp", &mut hp).unwrap();
        assert_eq!(
            crate::tls::fingerprint::hex(&hp),
            "9f50449e04a0e810283a1e9933adedd2"
        );
    }

    #[test]
    fn varints_and_garbage() {
        let b = [
            0x25, 0x7b, 0xbd, 0x9d, 0x7f, 0x3e, 0x7d, 0xc2, 0x19, 0x42, 0x1c,
        ];
        let mut p = 0;
        assert_eq!(varint(&b, &mut p), Some(0x25));
        assert_eq!(varint(&b, &mut p), Some(15293));
        assert_eq!(varint(&b, &mut p), Some(494_878_333));
        assert_eq!(varint(&b, &mut p), None);
        assert!(!is_initial(b"\xc0\x00\x00\x00\x01"));
        let mut st = QuicState::default();
        let mut junk = vec![0xc3, 0, 0, 0, 1, 8];
        junk.extend_from_slice(&[0u8; 60]);
        assert!(st.on_datagram(&junk, 1, 0).is_none());
        assert_eq!(st.undecryptable, 1);
    }
}
