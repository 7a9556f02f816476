//! JA4+ fingerprints beyond JA4: JA4S (TLS/QUIC server), JA4H (HTTP
//! client), JA4X (X.509 certificate) and JA4SSH (SSH traffic shape).
//!
//! # Licence
//!
//! JA4 itself (in `tls::fingerprint`) is BSD-3-Clause. The methods in this
//! module are FoxIO, LLC's "JA4+" (patent pending) and are licensed under the
//! **FoxIO License 1.1**, not under this crate's Apache-2.0 licence; see
//! <https://github.com/FoxIO-LLC/ja4/blob/main/License%20FAQ.md>. That
//! licence allows academic and internal business use (securing your own
//! organisation) but not monetisation: selling JA4+ fingerprinting as part
//! of a product or service needs an OEM licence from FoxIO.
//!
//! This module is therefore compiled only with the `ja4plus` cargo feature,
//! which is off by default: without it none of this code is built and the
//! records have no JA4S/JA4H/JA4X/JA4SSH fields.
//!
//! Written for kensa from FoxIO's published technical details (the
//! `technical_details/` documents of the FoxIO ja4 repository). Where the
//! specification leaves a case open, the choice made is noted at the function.

use sha2::{Digest as _, Sha256};

use crate::decode::tcpflag;
use crate::tls::fingerprint::{Ja4Transport, alpn_code, hex, hex4_list, sha256_12, version_code};
use crate::tls::parser::ServerHello;

/// JA4S and its raw form for one ServerHello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ja4s {
    /// `JA4S`: `{t|q}{version}{extension count}{ALPN}_{cipher}_{hash of extensions}`.
    pub ja4s: String,
    /// `JA4S_r`: the extension list in clear instead of hashed.
    pub ja4s_r: String,
}

/// JA4S of a ServerHello: transport, negotiated version (supported_versions
/// selection, else the hello's version), number of extensions, first and
/// last character of the chosen ALPN, the chosen cipher in hex, and the
/// truncated SHA-256 of the extension ids in wire order (not sorted).
///
/// No extensions at all hash as `000000000000`, as in JA4.
pub fn ja4s(sh: &ServerHello, transport: Ja4Transport) -> Ja4s {
    let version = sh.selected_version.unwrap_or(sh.legacy_version);
    let head = format!(
        "{}{}{:02}{}_{:04x}",
        transport_char(transport),
        version_code(version),
        sh.extensions.len().min(99),
        alpn_code(sh.alpn.as_ref()),
        sh.cipher
    );
    let exts = hex4_list(sh.extensions.iter().copied());
    Ja4s {
        ja4s: format!("{head}_{}", sha256_12(&exts)),
        ja4s_r: format!("{head}_{exts}"),
    }
}

fn transport_char(t: Ja4Transport) -> char {
    match t {
        Ja4Transport::Tcp => 't',
        Ja4Transport::Quic => 'q',
        Ja4Transport::Dtls => 'd',
    }
}

/// Truncated SHA-256 that hashes the empty string too (JA4X's convention in
/// FoxIO's reference output, unlike JA4's `000000000000`).
fn sha256_12_always(s: &str) -> String {
    let mut h = hex(&Sha256::digest(s.as_bytes()));
    h.truncate(12);
    h
}

/// JA4X and its raw form for one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ja4x {
    /// `JA4X`: `{hash of issuer RDN OIDs}_{hash of subject RDN OIDs}_{hash of extension OIDs}`.
    pub ja4x: String,
    /// `JA4X_r`: the three OID lists in clear.
    pub ja4x_r: String,
}

/// One DER element at the head of `b`: (tag, content, rest). Only
/// low-tag-number, definite-length encodings (all that X.509 uses).
fn der(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let bytes = rest.get(..n)?;
        let len = bytes.iter().fold(0usize, |a, &x| (a << 8) | x as usize);
        (len, &rest[n..])
    };
    let content = rest.get(..len)?;
    Some((tag, content, &rest[len..]))
}

/// The element at the head of `b` if it has tag `tag`: (content, rest).
fn der_tag(b: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (t, c, r) = der(b)?;
    (t == tag).then_some((c, r))
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;

/// Attribute-type OIDs (hex of the DER contents) of a Name, in order: every
/// AttributeTypeAndValue of every RDN.
fn name_oids(mut name: &[u8]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    while !name.is_empty() {
        let (mut rdn, rest) = der_tag(name, SET)?;
        name = rest;
        while !rdn.is_empty() {
            let (atv, rest) = der_tag(rdn, SEQUENCE)?;
            rdn = rest;
            out.push(hex(der_tag(atv, OID)?.0));
        }
    }
    Some(out)
}

/// JA4X of a DER certificate: the OIDs of the issuer's and the subject's
/// RDNs and of the extensions, each in the order they appear, each list
/// comma-joined and hashed (truncated SHA-256). An OID is written as the hex
/// of its DER contents (`2.5.4.3` → `550403`). `None` if the DER is not a
/// certificate. Empty lists (a v1 certificate has no extensions) hash the
/// empty string, as FoxIO's python reference does.
pub fn ja4x(cert: &[u8]) -> Option<Ja4x> {
    let (cert, _) = der_tag(cert, SEQUENCE)?;
    let (tbs, _) = der_tag(cert, SEQUENCE)?;
    let mut rest = tbs;
    if let Some((0xa0, _, r)) = der(rest) {
        rest = r; // version [0]
    }
    rest = der_tag(rest, 0x02)?.1; // serialNumber
    rest = der_tag(rest, SEQUENCE)?.1; // signature algorithm
    let (issuer, r) = der_tag(rest, SEQUENCE)?;
    rest = der_tag(r, SEQUENCE)?.1; // validity
    let (subject, r) = der_tag(rest, SEQUENCE)?;
    rest = der_tag(r, SEQUENCE)?.1; // subjectPublicKeyInfo
    let mut exts = Vec::new();
    while !rest.is_empty() {
        let (tag, content, r) = der(rest)?;
        rest = r;
        if tag == 0xa3 {
            let (mut list, _) = der_tag(content, SEQUENCE)?;
            while !list.is_empty() {
                let (ext, r) = der_tag(list, SEQUENCE)?;
                list = r;
                exts.push(hex(der_tag(ext, OID)?.0));
            }
        }
    }
    let (issuer, subject) = (name_oids(issuer)?.join(","), name_oids(subject)?.join(","));
    let exts = exts.join(",");
    Some(Ja4x {
        ja4x: format!(
            "{}_{}_{}",
            sha256_12_always(&issuer),
            sha256_12_always(&subject),
            sha256_12_always(&exts)
        ),
        ja4x_r: format!("{issuer}_{subject}_{exts}"),
    })
}

/// JA4H and its variants for one HTTP request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ja4h {
    /// `JA4H`: `{a}_{hash of header names}_{hash of sorted cookie names}_{hash of sorted cookies}`.
    pub ja4h: String,
    /// `JA4H_r`: header names and sorted cookies in clear.
    pub ja4h_r: String,
    /// `JA4H_o`: like `JA4H` with cookies in their original order.
    pub ja4h_o: String,
    /// `JA4H_ro`: like `JA4H_r` with cookies in their original order.
    pub ja4h_ro: String,
}

/// `Accept-Language` → four characters: the first language tag (up to the
/// first `,` or `;`), hyphens removed, lower case, cut or padded with `0`
/// to four (`en-US,en;q=0.9` → `enus`, `da` → `da00`, absent → `0000`).
fn language_code(v: Option<&str>) -> String {
    let first = v
        .unwrap_or("")
        .trim()
        .split([',', ';'])
        .next()
        .unwrap_or("");
    let mut s: String = first
        .chars()
        .filter(|c| *c != '-')
        .flat_map(char::to_lowercase)
        .take(4)
        .collect();
    while s.chars().count() < 4 {
        s.push('0');
    }
    s
}

/// JA4H of a request: `method` as sent, `version` as two digits (`10`,
/// `11`, `20`), `headers` as (name, value) in wire order.
///
/// Part a: first two letters of the method (lower case), version, `c`/`n`
/// (a Cookie header is present), `r`/`n` (a Referer header is present),
/// the number of headers other than Cookie and Referer (two digits, at most
/// 99), and the language code. Part b hashes those header names in order,
/// as sent. Parts c and d hash the cookie names and the `name=value`
/// cookies, sorted by name (`JA4H`) or in order (`JA4H_o`); both are
/// `000000000000` without cookies. HTTP/2 pseudo-headers (`:method`, …)
/// are not counted. With no cookies the raw forms end after the header
/// list (`…_Host,User-Agent_`), as FoxIO's reference output does.
pub fn ja4h(method: &str, version: &str, headers: &[(&str, &[u8])]) -> Ja4h {
    let m: String = method
        .chars()
        .take(2)
        .flat_map(char::to_lowercase)
        .collect();
    let is = |n: &str, what: &str| n.eq_ignore_ascii_case(what);
    let names: Vec<&str> = headers
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| !n.is_empty() && !n.starts_with(':') && !is(n, "cookie") && !is(n, "referer"))
        .collect();
    let cookie = headers.iter().any(|(n, _)| is(n, "cookie"));
    let referer = headers.iter().any(|(n, _)| is(n, "referer"));
    let lang = headers
        .iter()
        .find(|(n, _)| is(n, "accept-language"))
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned());
    let a = format!(
        "{m}{version}{}{}{:02}{}",
        if cookie { 'c' } else { 'n' },
        if referer { 'r' } else { 'n' },
        names.len().min(99),
        language_code(lang.as_deref())
    );
    // (name, name=value) in order.
    let mut cookies: Vec<(String, String)> = Vec::new();
    for (_, v) in headers.iter().filter(|(n, _)| is(n, "cookie")) {
        for c in String::from_utf8_lossy(v).split(';') {
            let c = c.trim();
            if c.is_empty() {
                continue;
            }
            let name = c.split('=').next().unwrap_or("").trim();
            cookies.push((name.to_string(), c.to_string()));
        }
    }
    let headers_s = names.join(",");
    let h = sha256_12(&headers_s);
    let parts = |cs: &[(String, String)]| {
        let n: Vec<&str> = cs.iter().map(|c| c.0.as_str()).collect();
        let p: Vec<&str> = cs.iter().map(|c| c.1.as_str()).collect();
        (n.join(","), p.join(","))
    };
    let hashed = |(n, p): &(String, String)| format!("{a}_{h}_{}_{}", sha256_12(n), sha256_12(p));
    let raw = |(n, p): &(String, String)| {
        if cookies.is_empty() {
            format!("{a}_{headers_s}_")
        } else {
            format!("{a}_{headers_s}_{n}_{p}")
        }
    };
    let orig = parts(&cookies);
    let mut sorted_c = cookies.clone();
    sorted_c.sort();
    let sorted = parts(&sorted_c);
    Ja4h {
        ja4h: hashed(&sorted),
        ja4h_r: raw(&sorted),
        ja4h_o: hashed(&orig),
        ja4h_ro: raw(&orig),
    }
}

/// SSH packets per JA4SSH window (FoxIO's default).
pub const JA4SSH_WINDOW: u32 = 200;
/// JA4SSH windows kept per flow record; later windows are counted only.
pub const JA4SSH_MAX_WINDOWS: usize = 256;

/// JA4SSH accounting for one TCP flow: fed every TCP packet of an SSH flow,
/// it emits `c{mode}s{mode}_c{packets}s{packets}_c{acks}s{acks}` for each
/// window of 200 SSH packets (client plus server), and for the last,
/// partial window when the flow ends.
///
/// An SSH packet is a TCP segment carrying payload; its length is the TCP
/// payload length. Segments whose bytes were all seen before
/// (retransmissions, keep-alive probes) are not counted. The mode is the
/// most frequent length, the smaller on a tie, `0` for a side that sent
/// nothing. An ACK is a segment with only the ACK flag and no payload.
#[derive(Debug, Default)]
pub struct Ja4Ssh {
    /// Per direction (0 client, 1 server): (payload length, count).
    lens: [Vec<(u32, u32)>; 2],
    pkts: [u32; 2],
    acks: [u32; 2],
    /// Highest sequence number seen per direction (end of data).
    seq_end: [Option<u32>; 2],
    windows: Vec<String>,
    dropped: u32,
}

impl Ja4Ssh {
    /// Start with the bare ACKs seen before the flow was identified as SSH
    /// (the TCP handshake's last ACK, for one): they belong to the first window.
    pub fn with_acks(acks: [u32; 2]) -> Self {
        Ja4Ssh {
            acks,
            ..Default::default()
        }
    }

    /// Account one TCP packet.
    pub fn packet(&mut self, from_client: bool, seq: u32, flags: u8, payload_len: u32) {
        let d = usize::from(!from_client);
        if flags & tcpflag::SYN != 0 {
            self.seq_end[d] = Some(seq.wrapping_add(1).wrapping_add(payload_len));
            return;
        }
        if payload_len == 0 {
            if flags == tcpflag::ACK {
                self.acks[d] = self.acks[d].saturating_add(1);
            }
            return;
        }
        let end = seq.wrapping_add(payload_len);
        if let Some(prev) = self.seq_end[d] {
            if (end.wrapping_sub(prev) as i32) <= 0 {
                return; // nothing new: a retransmission
            }
        }
        self.seq_end[d] = Some(end);
        match self.lens[d].iter_mut().find(|(l, _)| *l == payload_len) {
            Some((_, n)) => *n += 1,
            None => self.lens[d].push((payload_len, 1)),
        }
        self.pkts[d] += 1;
        if self.pkts[0] + self.pkts[1] >= JA4SSH_WINDOW {
            self.close_window();
        }
    }

    fn close_window(&mut self) {
        let mode = |v: &[(u32, u32)]| {
            v.iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
                .map_or(0, |x| x.0)
        };
        let fp = format!(
            "c{}s{}_c{}s{}_c{}s{}",
            mode(&self.lens[0]),
            mode(&self.lens[1]),
            self.pkts[0],
            self.pkts[1],
            self.acks[0],
            self.acks[1]
        );
        if self.windows.len() < JA4SSH_MAX_WINDOWS {
            self.windows.push(fp);
        } else {
            self.dropped = self.dropped.saturating_add(1);
        }
        self.lens = Default::default();
        self.pkts = [0; 2];
        self.acks = [0; 2];
    }

    /// The fingerprints, one per window in order (the last window may be
    /// partial), and the number of windows past [`JA4SSH_MAX_WINDOWS`].
    pub fn finish(mut self) -> (Vec<String>, u32) {
        if self.pkts[0] + self.pkts[1] > 0 {
            self.close_window();
        }
        (self.windows, self.dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ja4s_from_spec_example() {
        // The JA4S technical details' example: TLS 1.2, no ALPN, cipher
        // c030, extensions 0005,0017,ff01,0000 in that order.
        let sh = ServerHello {
            legacy_version: 0x0303,
            cipher: 0xc030,
            extensions: vec![0x0005, 0x0017, 0xff01, 0x0000],
            ..Default::default()
        };
        let j = ja4s(&sh, Ja4Transport::Tcp);
        assert_eq!(j.ja4s, "t120400_c030_4e8089b08790");
        assert_eq!(j.ja4s_r, "t120400_c030_0005,0017,ff01,0000");
        let sh = ServerHello {
            legacy_version: 0x0303,
            selected_version: Some(0x0304),
            cipher: 0x1301,
            extensions: vec![0x0033, 0x002b],
            ..Default::default()
        };
        assert!(
            ja4s(&sh, Ja4Transport::Quic)
                .ja4s
                .starts_with("q130200_1301_")
        );
    }

    /// A minimal DER certificate with the given issuer/subject attribute
    /// OIDs and extension OIDs (values and keys are placeholders).
    fn cert(issuer: &[&[u8]], subject: &[&[u8]], exts: &[&[u8]], v3: bool) -> Vec<u8> {
        fn tlv(tag: u8, c: &[u8]) -> Vec<u8> {
            let mut v = vec![tag];
            if c.len() < 128 {
                v.push(c.len() as u8);
            } else {
                v.extend_from_slice(&[0x82, (c.len() >> 8) as u8, c.len() as u8]);
            }
            v.extend_from_slice(c);
            v
        }
        let name = |oids: &[&[u8]]| {
            let mut rdns = Vec::new();
            for o in oids {
                let mut atv = tlv(OID, o);
                atv.extend(tlv(0x0c, b"x"));
                rdns.extend(tlv(SET, &tlv(SEQUENCE, &atv)));
            }
            tlv(SEQUENCE, &rdns)
        };
        let mut tbs = Vec::new();
        if v3 {
            tbs.extend(tlv(0xa0, &tlv(0x02, &[2])));
        }
        tbs.extend(tlv(0x02, &[1]));
        tbs.extend(tlv(SEQUENCE, &tlv(OID, &[0x2a, 0x86, 0x48])));
        tbs.extend(name(issuer));
        tbs.extend(tlv(SEQUENCE, &[]));
        tbs.extend(name(subject));
        tbs.extend(tlv(SEQUENCE, &[]));
        if !exts.is_empty() {
            let mut list = Vec::new();
            for e in exts {
                let mut x = tlv(OID, e);
                x.extend(tlv(0x04, &[0]));
                list.extend(tlv(SEQUENCE, &x));
            }
            tbs.extend(tlv(0xa3, &tlv(SEQUENCE, &list)));
        }
        let mut c = tlv(SEQUENCE, &tbs);
        c.extend(tlv(SEQUENCE, &[]));
        c.extend(tlv(0x03, &[0]));
        tlv(SEQUENCE, &c)
    }

    #[test]
    fn ja4x_from_spec_example() {
        // The JA4X technical details' example.
        let rdn: [&[u8]; 4] = [
            &[0x55, 0x04, 0x03],
            &[0x55, 0x04, 0x06],
            &[0x55, 0x04, 0x08],
            &[0x55, 0x04, 0x0a],
        ];
        let exts: [&[u8]; 3] = [
            &[0x55, 0x1d, 0x0f],
            &[0x55, 0x1d, 0x25],
            &[0x55, 0x1d, 0x11],
        ];
        let j = ja4x(&cert(&rdn, &rdn, &exts, true)).unwrap();
        assert_eq!(j.ja4x, "96a6439c8f5c_96a6439c8f5c_aae71e8db6d7");
        assert_eq!(
            j.ja4x_r,
            "550403,550406,550408,55040a_550403,550406,550408,55040a_551d0f,551d25,551d11"
        );
        // v1: no version, no extensions.
        let j = ja4x(&cert(&rdn[..1], &rdn[..1], &[], false)).unwrap();
        assert!(j.ja4x.ends_with("_e3b0c44298fc"), "{}", j.ja4x);
        assert!(ja4x(b"\x30\x03\x02\x01\x01").is_none());
        assert!(ja4x(&[]).is_none());
    }

    #[test]
    fn ja4h_parts() {
        let h: Vec<(&str, &[u8])> = vec![
            ("Host", b"x"),
            ("Cookie", b"b=2; a=1;"),
            ("User-Agent", b"u"),
            ("Referer", b"http://r/"),
            ("Accept-Language", b"en-US,en;q=0.9"),
        ];
        let j = ja4h("GET", "11", &h);
        assert!(j.ja4h.starts_with("ge11cr03enus_"), "{}", j.ja4h);
        assert_eq!(
            j.ja4h_r,
            "ge11cr03enus_Host,User-Agent,Accept-Language_a,b_a=1,b=2"
        );
        assert_eq!(
            j.ja4h_ro,
            "ge11cr03enus_Host,User-Agent,Accept-Language_b,a_b=2,a=1"
        );
        assert_ne!(j.ja4h, j.ja4h_o);
        let j = ja4h("CONNECT", "10", &[("User-Agent", b"")]);
        assert_eq!(
            j.ja4h,
            "co10nn010000_b8bcd45ac095_000000000000_000000000000"
        );
        assert_eq!(j.ja4h_ro, "co10nn010000_User-Agent_");
        assert_eq!(language_code(Some("da")), "da00");
        assert_eq!(language_code(Some(" ru-RU,ru;q=0.8")), "ruru");
        assert_eq!(language_code(Some("en;q=0.5")), "en00");
    }

    #[test]
    fn ja4ssh_windows_modes_acks_and_retransmissions() {
        let mut j = Ja4Ssh::with_acks([1, 0]);
        let (mut cs, mut ss) = (1000u32, 5000u32);
        // 150 client packets: 100 × 36 bytes, 50 × 52; 50 server packets of 36.
        for i in 0..150 {
            let len = if i < 100 { 36 } else { 52 };
            j.packet(true, cs, tcpflag::ACK | tcpflag::PSH, len);
            if i == 0 {
                // A retransmission and a bare ACK.
                j.packet(true, cs, tcpflag::ACK | tcpflag::PSH, len);
                j.packet(false, ss, tcpflag::ACK, 0);
            }
            cs += len;
        }
        for _ in 0..50 {
            j.packet(false, ss, tcpflag::ACK | tcpflag::PSH, 36);
            ss += 36;
        }
        // Second window: a tie between 48 and 64 on the client side.
        for len in [64, 48] {
            j.packet(true, cs, tcpflag::ACK | tcpflag::PSH, len);
            cs += len;
        }
        j.packet(true, cs, tcpflag::ACK | tcpflag::FIN, 0);
        let (w, dropped) = j.finish();
        assert_eq!(w, vec!["c36s36_c150s50_c1s1", "c48s0_c2s0_c0s0"]);
        assert_eq!(dropped, 0);
    }
}
