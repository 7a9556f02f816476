//! JA3 / JA3S (Salesforce, BSD-3-Clause) and JA4 (FoxIO, BSD-3-Clause)
//! fingerprints, computed from [`ClientHello`]/[`ServerHello`].
//!
//! JA4S/JA4H/JA4X/JA4SSH are under the FoxIO License 1.1: they live in the
//! `ja4plus` module, compiled only with the `ja4plus` cargo feature.

use md5::{Digest as _, Md5};
use sha2::Sha256;

use super::parser::{ClientHello, ServerHello, is_grease};

/// Transport a ClientHello travelled over, the first JA4 character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ja4Transport {
    /// TLS over TCP (`t`).
    Tcp,
    /// QUIC (`q`).
    Quic,
    /// DTLS (`d`).
    Dtls,
}

/// The four JA4 variants of one ClientHello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ja4 {
    /// `JA4`: sorted and hashed.
    pub ja4: String,
    /// `JA4_r`: sorted, raw lists.
    pub ja4_r: String,
    /// `JA4_o`: original order, hashed.
    pub ja4_o: String,
    /// `JA4_ro`: original order, raw lists.
    pub ja4_ro: String,
}

fn join_dec<T: std::fmt::Display>(v: impl Iterator<Item = T>) -> String {
    use std::fmt::Write as _;
    // One growing string, no per-item String and Vec (hot: every ClientHello).
    let mut s = String::with_capacity(128);
    for (i, x) in v.enumerate() {
        if i > 0 {
            s.push('-');
        }
        let _ = write!(s, "{x}");
    }
    s
}

/// JA3 string `version,ciphers,extensions,groups,point_formats` (GREASE removed).
pub fn ja3_string(ch: &ClientHello) -> String {
    format!(
        "{},{},{},{},{}",
        ch.legacy_version,
        join_dec(ch.ciphers.iter().filter(|c| !is_grease(**c))),
        join_dec(ch.extensions.iter().filter(|c| !is_grease(**c))),
        join_dec(ch.groups.iter().filter(|c| !is_grease(**c))),
        join_dec(ch.point_formats.iter()),
    )
}

/// JA3S string `version,cipher,extensions`.
pub fn ja3s_string(sh: &ServerHello) -> String {
    format!(
        "{},{},{}",
        sh.legacy_version,
        sh.cipher,
        join_dec(sh.extensions.iter().filter(|c| !is_grease(**c)))
    )
}

/// Lower-case hex MD5.
pub fn md5_hex(s: &str) -> String {
    hex(&Md5::digest(s.as_bytes()))
}

/// Lower-case hex of bytes.
pub fn hex(b: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(H[(x >> 4) as usize] as char);
        s.push(H[(x & 15) as usize] as char);
    }
    s
}

pub(crate) fn sha256_12(s: &str) -> String {
    if s.is_empty() {
        return "000000000000".to_string();
    }
    hex(&Sha256::digest(s.as_bytes())[..6])
}

pub(crate) fn version_code(v: u16) -> &'static str {
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

pub(crate) fn alpn_code(alpn: Option<&Vec<u8>>) -> String {
    let Some(a) = alpn.filter(|a| !a.is_empty()) else {
        return "00".to_string();
    };
    let (first, last) = (a[0], a[a.len() - 1]);
    if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() {
        format!("{}{}", first as char, last as char)
    } else if !first.is_ascii() || !last.is_ascii() {
        // FoxIO's reference implementations (python and rust, ja4@0e54bc8)
        // print "99" for a non-ASCII ALPN; the corpus expects it.
        "99".to_string()
    } else {
        // Spec: non-alphanumeric ends → first and last characters of the hex form.
        let h = hex(a);
        let b = h.as_bytes();
        format!("{}{}", b[0] as char, b[b.len() - 1] as char)
    }
}

pub(crate) fn hex4_list(v: impl Iterator<Item = u16>) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(160);
    for x in v {
        if !s.is_empty() {
            s.push(',');
        }
        for shift in [12, 8, 4, 0] {
            s.push(H[((x >> shift) & 15) as usize] as char);
        }
    }
    s
}

/// Compute JA4, JA4_r, JA4_o and JA4_ro.
pub fn ja4(ch: &ClientHello, transport: Ja4Transport) -> Ja4 {
    let t = match transport {
        Ja4Transport::Tcp => 't',
        Ja4Transport::Quic => 'q',
        Ja4Transport::Dtls => 'd',
    };
    let version = ch
        .supported_versions
        .iter()
        .copied()
        .filter(|v| !is_grease(*v))
        .max()
        .unwrap_or(ch.legacy_version);
    let sni = if ch.extensions.contains(&0) { 'd' } else { 'i' };
    let ciphers: Vec<u16> = ch
        .ciphers
        .iter()
        .copied()
        .filter(|c| !is_grease(*c))
        .collect();
    let exts: Vec<u16> = ch
        .extensions
        .iter()
        .copied()
        .filter(|e| !is_grease(*e))
        .collect();
    let a = format!(
        "{t}{}{sni}{:02}{:02}{}",
        version_code(version),
        ciphers.len().min(99),
        exts.len().min(99),
        alpn_code(ch.alpn.first())
    );
    let mut sorted_c = ciphers.clone();
    sorted_c.sort_unstable();
    let mut sorted_e: Vec<u16> = exts
        .iter()
        .copied()
        .filter(|e| *e != 0x0000 && *e != 0x0010)
        .collect();
    sorted_e.sort_unstable();
    let sigs = hex4_list(ch.sig_algs.iter().copied().filter(|s| !is_grease(*s)));
    let with_sigs = |e: String| {
        if sigs.is_empty() {
            e
        } else {
            format!("{e}_{sigs}")
        }
    };
    let c_sorted = hex4_list(sorted_c.into_iter());
    let c_orig = hex4_list(ciphers.into_iter());
    let e_sorted = with_sigs(hex4_list(sorted_e.into_iter()));
    let e_orig = with_sigs(hex4_list(exts.into_iter()));
    let hash_ext = |e: &str, had_ext: bool| {
        if had_ext {
            sha256_12(e)
        } else {
            "000000000000".to_string()
        }
    };
    let has_sorted_ext = ch
        .extensions
        .iter()
        .any(|e| !is_grease(*e) && *e != 0 && *e != 0x10);
    let has_ext = ch.extensions.iter().any(|e| !is_grease(*e));
    Ja4 {
        ja4: format!(
            "{a}_{}_{}",
            sha256_12(&c_sorted),
            hash_ext(&e_sorted, has_sorted_ext)
        ),
        ja4_r: format!("{a}_{c_sorted}_{e_sorted}"),
        ja4_o: format!("{a}_{}_{}", sha256_12(&c_orig), hash_ext(&e_orig, has_ext)),
        ja4_ro: format!("{a}_{c_orig}_{e_orig}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ja3_drops_grease_everywhere() {
        let ch = ClientHello {
            legacy_version: 0x0303,
            ciphers: vec![0x0a0a, 4865, 49195],
            extensions: vec![0x1a1a, 0, 23, 10, 11],
            groups: vec![0x2a2a, 29, 23],
            point_formats: vec![0],
            ..Default::default()
        };
        assert_eq!(ja3_string(&ch), "771,4865-49195,0-23-10-11,29-23,0");
        assert_eq!(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn ja4_shape_from_spec_rules() {
        let ch = ClientHello {
            legacy_version: 0x0303,
            ciphers: vec![0x1301, 0x0a0a, 0xc02b],
            extensions: vec![0, 0x10, 0x0d, 0x2b, 0x3a3a],
            alpn: vec![b"http/1.1".to_vec()],
            sig_algs: vec![0x0403, 0x0804],
            supported_versions: vec![0x4a4a, 0x0304, 0x0303],
            ..Default::default()
        };
        let j = ja4(&ch, Ja4Transport::Tcp);
        assert_eq!(j.ja4_r, "t13d0204h1_1301,c02b_000d,002b_0403,0804");
        assert_eq!(
            j.ja4_ro,
            "t13d0204h1_1301,c02b_0000,0010,000d,002b_0403,0804"
        );
        assert!(
            j.ja4.starts_with("t13d0204h1_") && j.ja4.len() == 36,
            "{}",
            j.ja4
        );
        let j = ja4(
            &ClientHello {
                alpn: vec![vec![b'-', b'x', 0x09]],
                ..ch.clone()
            },
            Ja4Transport::Quic,
        );
        assert!(j.ja4.starts_with("q13d020429_"), "{}", j.ja4);
        let j = ja4(
            &ClientHello {
                alpn: vec![vec![0xba, 0xad]],
                ..ch
            },
            Ja4Transport::Tcp,
        );
        assert!(j.ja4.starts_with("t13d020499_"), "{}", j.ja4);
    }
}
