//! Pure DNS message parser over `&[u8]` (RFC 1035 wire format).
//!
//! Hand-written rather than hickory-proto: hickory allocates per name and per
//! record, and bulk egress DNS is millions of messages; here only the decoded
//! names are allocated. Compression pointers must point strictly backwards,
//! so a crafted loop cannot spin.

/// A parse failure, with the byte offset where it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    /// Shorter than the 12-byte header.
    #[error("DNS message shorter than its header")]
    ShortHeader,
    /// A name, record or field ran past the end.
    #[error("DNS message truncated at byte {0}")]
    Truncated(usize),
    /// A compression pointer that does not point backwards, or a name too long.
    #[error("bad DNS name at byte {0}")]
    BadName(usize),
    /// More sections than the packet could hold (sanity check on counts).
    #[error("implausible DNS record counts")]
    BadCounts,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// Query name (dotted, non-printable bytes escaped as `\xHH`).
    pub name: String,
    /// QTYPE.
    pub qtype: u16,
    /// QCLASS.
    pub qclass: u16,
}

/// One resource record (answers, authority, additional).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRecord<'a> {
    /// Owner name.
    pub name: String,
    /// TYPE.
    pub rtype: u16,
    /// CLASS.
    pub class: u16,
    /// TTL.
    pub ttl: u32,
    /// Raw RDATA.
    pub rdata: &'a [u8],
    /// RDATA rendered as text for A, AAAA, CNAME, NS, PTR, MX, TXT.
    pub text: Option<String>,
}

/// A parsed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    /// Transaction id.
    pub id: u16,
    /// Response bit.
    pub is_response: bool,
    /// Opcode.
    pub opcode: u8,
    /// Response code (low 4 bits).
    pub rcode: u8,
    /// Truncation bit.
    pub truncated: bool,
    /// Questions.
    pub questions: Vec<Question>,
    /// Answer section.
    pub answers: Vec<ResourceRecord<'a>>,
    /// Authority records (counted, not kept).
    pub authority_count: u16,
    /// Additional records (counted, not kept).
    pub additional_count: u16,
}

fn u16_at(b: &[u8], p: usize) -> Result<u16, DnsError> {
    b.get(p..p + 2)
        .map(|s| u16::from_be_bytes([s[0], s[1]]))
        .ok_or(DnsError::Truncated(p))
}

/// Read a (possibly compressed) name at `pos`; returns the name and the
/// offset just past it in the original position.
pub fn read_name(msg: &[u8], pos: usize) -> Result<(String, usize), DnsError> {
    let mut out = String::with_capacity(32);
    let end = walk_name(msg, pos, Some(&mut out))?;
    Ok((out, end))
}

/// Validate the name at `pos` exactly as [`read_name`] does (same errors,
/// same end offset) without building the string.
fn skip_name(msg: &[u8], pos: usize) -> Result<usize, DnsError> {
    walk_name(msg, pos, None)
}

fn walk_name(msg: &[u8], mut pos: usize, mut out: Option<&mut String>) -> Result<usize, DnsError> {
    // Length of the rendered name (== `out.len()` when building it).
    let mut rendered = 0usize;
    let mut end = None;
    let mut hops = 0;
    // Pointers must go strictly backwards: guarantees termination.
    let mut limit = pos;
    loop {
        let len = *msg.get(pos).ok_or(DnsError::Truncated(pos))? as usize;
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    return Ok(end.unwrap_or(pos + 1));
                }
                let label = msg
                    .get(pos + 1..pos + 1 + len)
                    .ok_or(DnsError::Truncated(pos))?;
                if rendered > 0 {
                    rendered += 1;
                    if let Some(o) = out.as_deref_mut() {
                        o.push('.');
                    }
                }
                let plain = |c: u8| c.is_ascii_graphic() && c != b'.' && c != b'\\';
                if label.iter().all(|&c| plain(c)) {
                    // The usual label: copied whole (printable ASCII is UTF-8).
                    rendered += label.len();
                    if let Some(o) = out.as_deref_mut() {
                        o.push_str(std::str::from_utf8(label).unwrap_or_default());
                    }
                } else {
                    for &c in label {
                        if plain(c) {
                            rendered += 1;
                            if let Some(o) = out.as_deref_mut() {
                                o.push(c as char);
                            }
                        } else {
                            rendered += 4;
                            if let Some(o) = out.as_deref_mut() {
                                // `\xHH` without a format! allocation per byte.
                                const H: &[u8; 16] = b"0123456789abcdef";
                                o.push_str("\\x");
                                o.push(H[(c >> 4) as usize] as char);
                                o.push(H[(c & 15) as usize] as char);
                            }
                        }
                    }
                }
                if rendered > 1024 {
                    return Err(DnsError::BadName(pos));
                }
                pos += 1 + len;
            }
            0xc0 => {
                let p = (u16_at(msg, pos)? & 0x3fff) as usize;
                if p >= limit || hops > 127 {
                    return Err(DnsError::BadName(pos));
                }
                end.get_or_insert(pos + 2);
                hops += 1;
                limit = p;
                pos = p;
            }
            _ => return Err(DnsError::BadName(pos)),
        }
    }
}

fn rdata_text(msg: &[u8], rtype: u16, rdata_pos: usize, rdata: &[u8]) -> Option<String> {
    match rtype {
        1 if rdata.len() == 4 => {
            Some(std::net::Ipv4Addr::new(rdata[0], rdata[1], rdata[2], rdata[3]).to_string())
        }
        28 if rdata.len() == 16 => {
            let a: [u8; 16] = rdata.try_into().ok()?;
            Some(std::net::Ipv6Addr::from(a).to_string())
        }
        2 | 5 | 12 => read_name(msg, rdata_pos).ok().map(|(n, _)| n),
        15 if rdata.len() > 2 => read_name(msg, rdata_pos + 2).ok().map(|(n, _)| n),
        16 => {
            let mut s = String::new();
            let mut b = rdata;
            while let Some((&l, rest)) = b.split_first() {
                let chunk = rest.get(..l as usize)?;
                s.push_str(&String::from_utf8_lossy(chunk));
                b = &rest[l as usize..];
            }
            Some(s)
        }
        _ => None,
    }
}

/// Parse one DNS message.
pub fn parse_message(msg: &[u8]) -> Result<Message<'_>, DnsError> {
    parse(msg, true)
}

/// [`parse_message`] (same result, same errors) except that the answers'
/// owner names and the names of questions after the first are left empty:
/// [`crate::dns::DnsRecord`] does not use them.
pub(crate) fn parse_message_lite(msg: &[u8]) -> Result<Message<'_>, DnsError> {
    parse(msg, false)
}

fn parse(msg: &[u8], all_names: bool) -> Result<Message<'_>, DnsError> {
    if msg.len() < 12 {
        return Err(DnsError::ShortHeader);
    }
    let flags = u16_at(msg, 2)?;
    let qd = u16_at(msg, 4)?;
    let an = u16_at(msg, 6)?;
    let ns = u16_at(msg, 8)?;
    let ar = u16_at(msg, 10)?;
    // Every question needs ≥ 5 bytes and every record ≥ 11.
    if qd as usize * 5 + an as usize * 11 > msg.len() {
        return Err(DnsError::BadCounts);
    }
    let mut m = Message {
        id: u16_at(msg, 0)?,
        is_response: flags & 0x8000 != 0,
        opcode: ((flags >> 11) & 0xf) as u8,
        rcode: (flags & 0xf) as u8,
        truncated: flags & 0x0200 != 0,
        questions: Vec::with_capacity(qd.min(4) as usize),
        answers: Vec::new(),
        authority_count: ns,
        additional_count: ar,
    };
    let mut pos = 12;
    for i in 0..qd {
        let (name, p) = if all_names || i == 0 {
            read_name(msg, pos)?
        } else {
            (String::new(), skip_name(msg, pos)?)
        };
        let qtype = u16_at(msg, p)?;
        let qclass = u16_at(msg, p + 2)?;
        m.questions.push(Question {
            name,
            qtype,
            qclass,
        });
        pos = p + 4;
    }
    for _ in 0..an {
        let (name, p) = if all_names {
            read_name(msg, pos)?
        } else {
            (String::new(), skip_name(msg, pos)?)
        };
        let rtype = u16_at(msg, p)?;
        let class = u16_at(msg, p + 2)?;
        let ttl = msg
            .get(p + 4..p + 8)
            .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
            .ok_or(DnsError::Truncated(p + 4))?;
        let rdlen = u16_at(msg, p + 8)? as usize;
        let rdata = msg
            .get(p + 10..p + 10 + rdlen)
            .ok_or(DnsError::Truncated(p + 10))?;
        let text = rdata_text(msg, rtype, p + 10, rdata);
        m.answers.push(ResourceRecord {
            name,
            rtype,
            class,
            ttl,
            rdata,
            text,
        });
        pos = p + 10 + rdlen;
    }
    Ok(m)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Response for `www.example.com A` with a CNAME (compressed) and an A record.
    pub(crate) fn sample_response() -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0];
        m.extend_from_slice(b"\x03www\x07example\x03com\x00\x00\x01\x00\x01");
        // CNAME: name ptr to 12, type 5, class 1, ttl 300, rdata "cdn" + ptr to "example.com" (offset 16)
        m.extend_from_slice(&[
            0xc0, 12, 0, 5, 0, 1, 0, 0, 1, 44, 0, 6, 3, b'c', b'd', b'n', 0xc0, 16,
        ]);
        let cdn = m.len() - 6;
        m.extend_from_slice(&[
            0xc0, cdn as u8, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 93, 184, 216, 34,
        ]);
        m
    }

    #[test]
    fn response_with_compression() {
        let b = sample_response();
        let m = parse_message(&b).unwrap();
        assert_eq!(m.id, 0x1234);
        assert!(m.is_response);
        assert_eq!(m.rcode, 0);
        assert_eq!(
            m.questions[0],
            Question {
                name: "www.example.com".into(),
                qtype: 1,
                qclass: 1
            }
        );
        assert_eq!(m.answers.len(), 2);
        assert_eq!(m.answers[0].text.as_deref(), Some("cdn.example.com"));
        assert_eq!(m.answers[0].ttl, 300);
        assert_eq!(m.answers[1].name, "cdn.example.com");
        assert_eq!(m.answers[1].text.as_deref(), Some("93.184.216.34"));
    }

    #[test]
    fn pointer_loops_and_truncation_are_errors() {
        let mut m = vec![0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
        assert_eq!(parse_message(&m), Err(DnsError::BadName(12)));
        let b = sample_response();
        for cut in 0..b.len() {
            assert!(parse_message(&b[..cut]).is_err(), "cut {cut}");
        }
        assert_eq!(read_name(b"\x05ab\x00", 0), Err(DnsError::Truncated(0)));
    }

    /// The engine's lite parse must accept and reject exactly what the full
    /// parse does and differ only in the names it leaves empty.
    #[test]
    fn lite_parse_matches_full_parse() {
        let mut long = vec![0, 1, 0, 0, 0, 2, 0, 1, 0, 0, 0, 0];
        for _ in 0..2 {
            for _ in 0..40 {
                long.extend_from_slice(b"\x1a\x00\xffabcdefghijklmnopqrstuvwx");
            }
            long.extend_from_slice(&[0, 0, 1, 0, 1]);
        }
        long.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 1, 0, 2, 0xc0, 12]);
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        assert_eq!(
            parse_message_lite(&long).err(),
            Some(DnsError::BadName(12 + 27 * 31))
        );
        for base in [sample_response(), long] {
            let mut variants: Vec<Vec<u8>> = (0..=base.len()).map(|n| base[..n].to_vec()).collect();
            for _ in 0..5000 {
                let mut v = base.clone();
                for _ in 0..1 + next() % 3 {
                    let i = next() as usize % v.len();
                    v[i] = next() as u8;
                }
                variants.push(v);
            }
            for v in &variants {
                let (full, lite) = (parse_message(v), parse_message_lite(v));
                match (full, lite) {
                    (Ok(mut f), Ok(l)) => {
                        for q in f.questions.iter_mut().skip(1) {
                            q.name.clear();
                        }
                        for a in &mut f.answers {
                            a.name.clear();
                        }
                        assert_eq!(f, l);
                    }
                    (f, l) => assert_eq!(f.err(), l.err(), "{v:02x?}"),
                }
            }
        }
    }

    #[test]
    fn odd_bytes_in_labels_are_escaped() {
        let (n, end) = read_name(b"\x03a.\xff\x00", 0).unwrap();
        assert_eq!((n.as_str(), end), ("a\\x2e\\xff", 5));
    }
}
