//! Pure SSH parsing: the identification banner and the KEXINIT message.
//!
//! Written here because the one SSH parser crate found (ssh-parser) is LGPL.

/// Outcome of looking for the banner line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Banner<'a> {
    /// The `SSH-…` line (without CR LF) and the bytes it used, including
    /// any pre-banner lines servers may send first (RFC 4253 §4.2).
    Line(&'a [u8], usize),
    /// No complete line yet.
    Partial,
    /// Not SSH.
    Invalid,
}

/// Find the identification line at the start of a stream.
pub fn banner(b: &[u8]) -> Banner<'_> {
    let mut pos = 0;
    // RFC 4253 allows other lines before the banner; cap them.
    for _ in 0..16 {
        let rest = &b[pos..];
        let Some(nl) = rest.iter().take(1024).position(|c| *c == b'\n') else {
            return if rest.len() >= 1024 {
                Banner::Invalid
            } else {
                Banner::Partial
            };
        };
        let line = &rest[..nl];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.starts_with(b"SSH-") {
            return Banner::Line(line, pos + nl + 1);
        }
        pos += nl + 1;
    }
    Banner::Invalid
}

/// The algorithm name-lists of a KEXINIT (RFC 4253 §7.1), as raw strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KexInit {
    /// kex_algorithms.
    pub kex: String,
    /// server_host_key_algorithms.
    pub host_key: String,
    /// encryption client→server.
    pub enc_c2s: String,
    /// encryption server→client.
    pub enc_s2c: String,
    /// MAC client→server.
    pub mac_c2s: String,
    /// MAC server→client.
    pub mac_s2c: String,
    /// compression client→server.
    pub comp_c2s: String,
    /// compression server→client.
    pub comp_s2c: String,
}

/// Result of looking at one binary packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// A KEXINIT and the bytes the packet used.
    KexInit(KexInit, usize),
    /// Another message type (skipped) and the bytes it used.
    Other(u8, usize),
    /// More bytes needed.
    Partial,
    /// Not a plausible packet.
    Invalid,
}

/// Parse one unencrypted binary packet (`uint32 len, byte pad, payload, padding`).
pub fn packet(b: &[u8]) -> Packet {
    if b.len() < 6 {
        return Packet::Partial;
    }
    let len = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
    if !(5..=256 * 1024).contains(&len) {
        return Packet::Invalid;
    }
    let Some(body) = b.get(4..4 + len) else {
        return Packet::Partial;
    };
    let pad = body[0] as usize;
    let Some(payload) = body.get(1..len.saturating_sub(pad)) else {
        return Packet::Invalid;
    };
    let Some((&msg, rest)) = payload.split_first() else {
        return Packet::Invalid;
    };
    if msg != 20 {
        return Packet::Other(msg, 4 + len);
    }
    match kexinit(rest) {
        Some(k) => Packet::KexInit(k, 4 + len),
        None => Packet::Invalid,
    }
}

fn kexinit(b: &[u8]) -> Option<KexInit> {
    let mut p = b.get(16..)?; // cookie
    let mut next = || -> Option<String> {
        let l = u32::from_be_bytes(p.get(..4)?.try_into().ok()?) as usize;
        let s = p.get(4..4 + l)?;
        p = &p[4 + l..];
        Some(String::from_utf8_lossy(s).into_owned())
    };
    Some(KexInit {
        kex: next()?,
        host_key: next()?,
        enc_c2s: next()?,
        enc_s2c: next()?,
        mac_c2s: next()?,
        mac_s2c: next()?,
        comp_c2s: next()?,
        comp_s2c: next()?,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn kexinit_packet(lists: [&str; 10]) -> Vec<u8> {
        let mut payload = vec![20];
        payload.extend_from_slice(&[7u8; 16]);
        for l in lists {
            payload.extend_from_slice(&(l.len() as u32).to_be_bytes());
            payload.extend_from_slice(l.as_bytes());
        }
        payload.extend_from_slice(&[0, 0, 0, 0, 0]);
        let pad = 4;
        let len = 1 + payload.len() + pad;
        let mut v = (len as u32).to_be_bytes().to_vec();
        v.push(pad as u8);
        v.extend_from_slice(&payload);
        v.extend_from_slice(&[0; 4]);
        v
    }

    #[test]
    fn banner_with_preamble() {
        let b = b"hello there\r\nSSH-2.0-OpenSSH_9.6 Ubuntu\r\nrest";
        assert_eq!(banner(b), Banner::Line(b"SSH-2.0-OpenSSH_9.6 Ubuntu", 41));
        assert_eq!(banner(b"SSH-2.0-x"), Banner::Partial);
        assert_eq!(banner(&[b'a'; 2000]), Banner::Invalid);
    }

    #[test]
    fn kexinit_lists() {
        let p = kexinit_packet([
            "curve25519-sha256",
            "ssh-ed25519",
            "aes128-ctr",
            "aes256-ctr",
            "hmac-sha2-256",
            "hmac-sha1",
            "none",
            "zlib",
            "",
            "",
        ]);
        let Packet::KexInit(k, used) = packet(&p) else {
            panic!("not kexinit")
        };
        assert_eq!(used, p.len());
        assert_eq!(
            (k.kex.as_str(), k.enc_s2c.as_str(), k.comp_s2c.as_str()),
            ("curve25519-sha256", "aes256-ctr", "zlib")
        );
        assert_eq!(packet(&p[..p.len() - 1]), Packet::Partial);
        assert_eq!(packet(&[0xff, 0xff, 0xff, 0xff, 0, 0]), Packet::Invalid);
    }
}
