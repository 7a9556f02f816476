//! Protocol identification by payload, port fallback, and port/protocol
//! mismatch flags.
//!
//! Identification looks at the first reassembled bytes of each direction
//! ([`identify`]); only when no payload decided the protocol does the engine
//! fall back to the server port ([`by_port`]), and the flow record says which
//! ([`IdentMethod`]). Payload that is none of the known protocols but looks
//! like random bytes ([`looks_encrypted`]) is [`AppProto::Encrypted`].
//!
//! The signatures are hand-written byte checks: the available DPI libraries
//! (nDPI, via C bindings) would pull a C toolchain and LGPL code into the
//! build for a few dozen comparisons.

use serde::Serialize;

use crate::decode::ipproto;
use crate::engine::AppProto;
use crate::tls::parser::looks_like_tls;

const METHODS: &[&[u8]] = &[
    b"GET ",
    b"POST ",
    b"HEAD ",
    b"PUT ",
    b"DELETE ",
    b"OPTIONS ",
    b"CONNECT ",
    b"PATCH ",
    b"TRACE ",
    b"PROPFIND ",
];

/// How a flow's [`AppProto`] was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IdentMethod {
    /// Not decided (the protocol is [`AppProto::Unknown`]).
    #[default]
    None,
    /// From payload bytes.
    Content,
    /// From the server port only (no payload decided it).
    Port,
}

/// Guess the application protocol from the first bytes of one direction.
/// `None` means "not decided" (too few bytes or unknown). Never returns
/// [`AppProto::Encrypted`] or [`AppProto::Tor`]: those need the whole flow.
pub fn identify(b: &[u8], proto: u8, from_client: bool) -> Option<AppProto> {
    if b.is_empty() {
        return None;
    }
    if proto == ipproto::TCP {
        return identify_tcp(b, from_client);
    }
    if proto == ipproto::UDP {
        return identify_udp(b, from_client);
    }
    None
}

fn starts_with_ci(b: &[u8], p: &[u8]) -> bool {
    b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p)
}

fn contains_ci(b: &[u8], needle: &[u8]) -> bool {
    b.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

fn identify_tcp(b: &[u8], from_client: bool) -> Option<AppProto> {
    if looks_like_tls(b) || tls_records(b) {
        return Some(AppProto::Tls);
    }
    if b.starts_with(b"SSH-") {
        return Some(AppProto::Ssh);
    }
    if (from_client && METHODS.iter().any(|m| b.starts_with(m))) || b.starts_with(b"HTTP/1.") {
        return Some(AppProto::Http);
    }
    if let Some(p) = smb(b) {
        return Some(p);
    }
    if rdp(b) {
        return Some(AppProto::Rdp);
    }
    if from_client && socks_client(b) {
        return Some(AppProto::Socks);
    }
    if openvpn_tcp(b) {
        return Some(AppProto::OpenVpn);
    }
    if let Some(p) = text_protocol(b, from_client) {
        return Some(p);
    }
    if b.len() >= 14 {
        let len = u16::from_be_bytes([b[0], b[1]]) as usize;
        if len + 2 == b.len() && plausible_dns(&b[2..]) {
            return Some(AppProto::Dns);
        }
    }
    None
}

fn identify_udp(b: &[u8], from_client: bool) -> Option<AppProto> {
    if plausible_dns(b) {
        return Some(AppProto::Dns);
    }
    if crate::quic::is_initial(b) || quic_any_version(b) {
        return Some(AppProto::Quic);
    }
    if wireguard(b) {
        return Some(AppProto::WireGuard);
    }
    if (from_client && openvpn_udp_client(b)) || openvpn_udp_server_reset(b) {
        return Some(AppProto::OpenVpn);
    }
    None
}

/// A capture that starts mid-connection: two consecutive TLS records
/// (change-cipher-spec, alert, handshake or application data; TLS 1.0–1.3
/// version; plausible lengths), or one that fills the buffer exactly.
pub fn tls_records(b: &[u8]) -> bool {
    let rec = |b: &[u8]| -> Option<usize> {
        let h = b.get(..5)?;
        let ok = (20..=23).contains(&h[0]) && h[1] == 3 && h[2] <= 4;
        let len = u16::from_be_bytes([h[3], h[4]]) as usize;
        (ok && len > 0 && len <= 18432).then_some(5 + len)
    };
    let Some(n) = rec(b) else { return false };
    n == b.len() || (n < b.len() && rec(&b[n..]).is_some())
}

/// QUIC of a version the engine does not decrypt: an IETF long header with
/// a draft, v2, mvfst (`faceb00x`) or Google (`Q0xx`/`T0xx`) version, or a
/// Google QUIC public header (version flag, 8-byte connection id, `Q0xx`).
fn quic_any_version(b: &[u8]) -> bool {
    if b.len() < 13 {
        return false;
    }
    if b[0] & 0xc0 == 0xc0 {
        let v = u32::from_be_bytes([b[1], b[2], b[3], b[4]]);
        return v == 1
            || v == 0x6b33_43cf
            || v >> 8 == 0xff_0000
            || v >> 4 == 0x0fac_eb00
            || (matches!(b[1], b'Q' | b'T') && b[2] == b'0' && b[3].is_ascii_digit());
    }
    b[0] & 0x89 == 0x09 && b[9] == b'Q' && b[10] == b'0' && b[11].is_ascii_digit()
}

/// SMB over NetBIOS session service / direct TCP (port 445): a 4-byte
/// session header, then `\xffSMB` (SMB1), `\xfeSMB` (SMB2/3) or `\xfdSMB`
/// (SMB3 transform = encrypted). A NetBIOS session request (0x81) starts SMB
/// on port 139.
fn smb(b: &[u8]) -> Option<AppProto> {
    if b.len() >= 8 && b[0] == 0 && matches!(&b[4..8], b"\xffSMB" | b"\xfeSMB" | b"\xfdSMB") {
        return Some(AppProto::Smb);
    }
    if b.len() >= 72 && b[0] == 0x81 && b[1] == 0 && u16::from_be_bytes([b[2], b[3]]) == 68 {
        return Some(AppProto::Smb);
    }
    None
}

/// RDP: a TPKT header (version 3) around an X.224 Connection Request (0xe0)
/// or Connection Confirm (0xd0), length consistent with the segment.
fn rdp(b: &[u8]) -> bool {
    if b.len() < 11 || b[0] != 3 || b[1] != 0 {
        return false;
    }
    let len = u16::from_be_bytes([b[2], b[3]]) as usize;
    let li = b[4] as usize;
    len == b.len() && li + 5 == len && matches!(b[5], 0xe0 | 0xd0)
}

/// SOCKS client first message: SOCKS5 greeting `05 n methods…` (exact
/// length) or a SOCKS4/4a request `04 cmd port ip userid\0 [host\0]`.
fn socks_client(b: &[u8]) -> bool {
    match b.first() {
        Some(5) => {
            let n = *b.get(1).unwrap_or(&0) as usize;
            // Greeting alone, or greeting pipelined with the request.
            (1..=16).contains(&n)
                && b.len() >= 2 + n
                && b[2..2 + n].iter().all(|m| *m <= 9 || *m >= 0x80)
                && (b.len() == 2 + n || b.get(2 + n) == Some(&5))
        }
        Some(4) => {
            b.len() >= 9
                && matches!(b[1], 1 | 2)
                && b.last() == Some(&0)
                && b[8..b.len() - 1]
                    .iter()
                    .all(|c| *c != 0 || b[4..7] == [0, 0, 0])
                && b.len() <= 300
        }
        _ => false,
    }
}

/// OpenVPN over TCP: a 2-byte length covering the packet, then a control
/// opcode (hard reset client v2/v3, server v2) with key id 0.
fn openvpn_tcp(b: &[u8]) -> bool {
    if b.len() < 16 {
        return false;
    }
    let len = u16::from_be_bytes([b[0], b[1]]) as usize;
    len + 2 == b.len() && matches!(b[2], 0x38 | 0x40 | 0x50)
}

/// OpenVPN over UDP, client hard reset: opcode 7 (v2) or 10 (v3), key id 0,
/// 8-byte session id, and for v2 an empty ACK array and message packet id 0
/// at the end.
fn openvpn_udp_client(b: &[u8]) -> bool {
    match b.first() {
        Some(0x38) => b.len() >= 14 && b.len() <= 128 && b[b.len() - 5..] == [0, 0, 0, 0, 0],
        Some(0x50) => b.len() >= 14 && b.len() <= 1400 && b[1..9] != [0; 8],
        _ => false,
    }
}

/// OpenVPN over UDP, server hard reset v2 without tls-auth: opcode 8, key
/// id 0, session id, one ACK (packet id 0) with the client's session id, and
/// message packet id 0.
fn openvpn_udp_server_reset(b: &[u8]) -> bool {
    b.len() == 26 && b[0] == 0x40 && b[9] == 1 && b[10..14] == [0; 4] && b[22..26] == [0; 4]
}

/// WireGuard: message type 1–4 with three zero reserved bytes, and the fixed
/// sizes of handshake initiation (148), response (92), cookie reply (64), or
/// a transport message (≥ 32, 16-byte padded).
fn wireguard(b: &[u8]) -> bool {
    if b.len() < 32 || b[1..4] != [0, 0, 0] {
        return false;
    }
    match b[0] {
        1 => b.len() == 148,
        2 => b.len() == 92,
        3 => b.len() == 64,
        4 => (b.len() - 16).is_multiple_of(16) && b[4..8] != [0, 0, 0, 0],
        _ => false,
    }
}

/// Line-based mail and FTP protocols, by server greeting or client command.
fn text_protocol(b: &[u8], from_client: bool) -> Option<AppProto> {
    let line_end = b.iter().position(|c| *c == b'\n')?;
    let line = &b[..line_end];
    if !line
        .iter()
        .all(|c| c.is_ascii_graphic() || *c == b' ' || *c == b'\r' || *c == b'\t')
    {
        return None;
    }
    if from_client {
        const SMTP: &[&[u8]] = &[b"EHLO ", b"HELO ", b"EHLO\r", b"HELO\r"];
        const FTP: &[&[u8]] = &[
            b"AUTH TLS",
            b"AUTH SSL",
            b"FEAT",
            b"SYST",
            b"PASV",
            b"EPSV",
            b"OPTS ",
        ];
        const POP3: &[&[u8]] = &[b"CAPA", b"STLS", b"APOP "];
        if SMTP.iter().any(|p| starts_with_ci(line, p)) {
            return Some(AppProto::Smtp);
        }
        if FTP.iter().any(|p| starts_with_ci(line, p)) {
            return Some(AppProto::Ftp);
        }
        if POP3.iter().any(|p| starts_with_ci(line, p)) {
            return Some(AppProto::Pop3);
        }
        // IMAP: "<tag> COMMAND".
        if let Some(sp) = line.iter().position(|c| *c == b' ')
            && (1..=16).contains(&sp)
            && line[..sp]
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'.')
        {
            let cmd = &line[sp + 1..];
            const IMAP: &[&[u8]] = &[
                b"CAPABILITY",
                b"LOGIN ",
                b"STARTTLS",
                b"AUTHENTICATE ",
                b"ID (",
            ];
            if IMAP.iter().any(|p| starts_with_ci(cmd, p)) {
                return Some(AppProto::Imap);
            }
        }
        return None;
    }
    if line.starts_with(b"+OK") {
        return Some(AppProto::Pop3);
    }
    if line.starts_with(b"* OK") || line.starts_with(b"* PREAUTH") {
        return Some(AppProto::Imap);
    }
    if line.starts_with(b"220 ") || line.starts_with(b"220-") {
        if contains_ci(line, b"FTP") {
            return Some(AppProto::Ftp);
        }
        if contains_ci(line, b"SMTP") || contains_ci(line, b"Postfix") || contains_ci(line, b"Exim")
        {
            return Some(AppProto::Smtp);
        }
    }
    None
}

/// A DNS message with one question that parses fully.
fn plausible_dns(b: &[u8]) -> bool {
    if b.len() < 17 {
        return false;
    }
    let qd = u16::from_be_bytes([b[4], b[5]]);
    let opcode = (b[2] >> 3) & 0xf;
    qd == 1 && opcode <= 5 && crate::dns::parse_message(b).is_ok()
}

/// Shannon entropy of `b` in bits per byte (0–8).
pub fn entropy(b: &[u8]) -> f64 {
    if b.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &c in b {
        counts[c as usize] += 1;
    }
    let n = b.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Do these (at least 32) bytes look like ciphertext: entropy close to the
/// maximum a sample of this size can show, and few runs of printable text?
/// A random sample of n bytes has entropy ≈ log2(n) − 0.7 for n ≤ 256, so
/// the threshold scales with the sample.
pub fn looks_encrypted(b: &[u8]) -> bool {
    if b.len() < 32 {
        return false;
    }
    let sample = &b[..b.len().min(1024)];
    let n = sample.len() as f64;
    let max = n.log2().min(8.0);
    let threshold = if sample.len() >= 512 { 7.5 } else { max - 1.1 };
    let printable = sample
        .iter()
        .filter(|c| c.is_ascii_graphic() || **c == b' ')
        .count() as f64;
    entropy(sample) >= threshold && printable / n < 0.6
}

/// Does this TLS server name look like one a Tor client makes up for its
/// link handshake (`www.` + 4–25 random base32 characters + `.com`/`.net`),
/// with at least one digit? Tor's names use only `a-z2-7`.
pub fn tor_like_sni(sni: &str) -> bool {
    let Some(rest) = sni.strip_prefix("www.") else {
        return false;
    };
    let Some(label) = rest
        .strip_suffix(".com")
        .or_else(|| rest.strip_suffix(".net"))
    else {
        return false;
    };
    (4..=25).contains(&label.len())
        && label
            .bytes()
            .all(|c| c.is_ascii_lowercase() || (b'2'..=b'7').contains(&c))
        && label.bytes().any(|c| c.is_ascii_digit())
}

/// The protocol usually served on this port (IANA / common practice), used
/// only when payload did not decide.
pub fn by_port(proto: u8, server_port: u16) -> Option<AppProto> {
    let p = match (proto, server_port) {
        (ipproto::TCP, 80 | 8080 | 8000 | 8008 | 3128) => AppProto::Http,
        (ipproto::TCP, 443 | 8443) => AppProto::Tls,
        (ipproto::TCP, 22) => AppProto::Ssh,
        (ipproto::TCP, 25 | 465 | 587 | 2525) => AppProto::Smtp,
        (ipproto::TCP, 110 | 995) => AppProto::Pop3,
        (ipproto::TCP, 143 | 993) => AppProto::Imap,
        (ipproto::TCP, 21 | 990) => AppProto::Ftp,
        (ipproto::TCP, 139 | 445) => AppProto::Smb,
        (ipproto::TCP, 3389) => AppProto::Rdp,
        (ipproto::TCP, 1080) => AppProto::Socks,
        (ipproto::TCP | ipproto::UDP, 53) => AppProto::Dns,
        (ipproto::TCP | ipproto::UDP, 1194) => AppProto::OpenVpn,
        (ipproto::UDP, 443) => AppProto::Quic,
        (ipproto::UDP, 51820) => AppProto::WireGuard,
        _ => return None,
    };
    Some(p)
}

/// The application protocol that implicit-TLS ports carry (SMTPS 465,
/// IMAPS 993, POP3S 995, FTPS 990): for a TLS flow on such a port, the
/// tunnelled protocol.
pub fn tls_port_service(server_port: u16) -> Option<AppProto> {
    match server_port {
        465 | 587 => Some(AppProto::Smtp),
        993 => Some(AppProto::Imap),
        995 => Some(AppProto::Pop3),
        990 => Some(AppProto::Ftp),
        _ => None,
    }
}

/// The protocol does not match the server port (`non_http_on_80`,
/// `non_tls_on_443`, `dns_off_53`, `tls_on_53`, `http_on_443`,
/// `ssh_off_22`, `non_ssh_on_22`, `non_dns_on_53`): the first of
/// [`port_risks`] for a protocol identified from payload.
pub fn port_mismatch(app: AppProto, proto: u8, server_port: u16) -> Option<&'static str> {
    if app == AppProto::Unknown {
        return None;
    }
    port_risks(app, IdentMethod::Content, proto, server_port)
        .into_iter()
        .next()
}

/// Every protocol/port mismatch for a flow. A protocol guessed from the port
/// never mismatches. [`AppProto::Unknown`] with [`IdentMethod::Content`]
/// means "payload seen, nothing recognised": on TCP 80/443/22 that is a
/// mismatch too (`non_http_on_80`, …), as is [`AppProto::Encrypted`].
pub fn port_risks(
    app: AppProto,
    method: IdentMethod,
    proto: u8,
    server_port: u16,
) -> Vec<&'static str> {
    let mut r = Vec::new();
    if method != IdentMethod::Content {
        return r;
    }
    let tcp = proto == ipproto::TCP;
    let http_like = app == AppProto::Http;
    let tls_like = matches!(app, AppProto::Tls | AppProto::Tor);
    match server_port {
        53 if tls_like => r.push("tls_on_53"),
        53 if !matches!(app, AppProto::Dns | AppProto::Unknown) => r.push("non_dns_on_53"),
        443 if http_like => r.push("http_on_443"),
        443 if tcp && !tls_like => r.push("non_tls_on_443"),
        80 if tcp && !http_like => r.push("non_http_on_80"),
        22 if tcp && app != AppProto::Ssh => r.push("non_ssh_on_22"),
        _ => {}
    }
    if app == AppProto::Dns && !matches!(server_port, 53 | 5353 | 5355) {
        r.push("dns_off_53");
    }
    if app == AppProto::Ssh && server_port != 22 {
        r.push("ssh_off_22");
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn identifies_and_flags() {
        assert_eq!(
            identify(b"GET / HTTP/1.1\r\n", 6, true),
            Some(AppProto::Http)
        );
        assert_eq!(
            identify(b"SSH-2.0-OpenSSH_9.6\r\n", 6, false),
            Some(AppProto::Ssh)
        );
        assert_eq!(
            identify(b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", 6, true),
            Some(AppProto::Tls)
        );
        assert_eq!(identify(b"\x00\x01\x02", 6, true), None);
        let dns = crate::dns::parser::tests::sample_response();
        assert_eq!(identify(&dns, 17, false), Some(AppProto::Dns));
        assert_eq!(port_mismatch(AppProto::Ssh, 6, 443), Some("non_tls_on_443"));
        assert_eq!(port_mismatch(AppProto::Tls, 6, 80), Some("non_http_on_80"));
        assert_eq!(port_mismatch(AppProto::Dns, 17, 5300), Some("dns_off_53"));
        assert_eq!(port_mismatch(AppProto::Tls, 6, 443), None);
        assert_eq!(port_mismatch(AppProto::Unknown, 6, 443), None);
        assert_eq!(port_mismatch(AppProto::Tls, 6, 53), Some("tls_on_53"));
        assert_eq!(port_mismatch(AppProto::Ssh, 6, 2222), Some("ssh_off_22"));
        assert_eq!(port_mismatch(AppProto::Http, 6, 22), Some("non_ssh_on_22"));
        assert_eq!(
            port_mismatch(AppProto::Encrypted, 6, 443),
            Some("non_tls_on_443")
        );
        assert!(port_risks(AppProto::Tls, IdentMethod::Port, 6, 53).is_empty());
    }

    #[test]
    fn mail_ftp_by_greeting_and_command() {
        assert_eq!(
            identify(b"220 mx.example ESMTP Postfix\r\n", 6, false),
            Some(AppProto::Smtp)
        );
        assert_eq!(
            identify(b"EHLO client.example\r\n", 6, true),
            Some(AppProto::Smtp)
        );
        assert_eq!(
            identify(b"220 (vsFTPd 3.0.3)\r\n", 6, false),
            Some(AppProto::Ftp)
        );
        assert_eq!(identify(b"AUTH TLS\r\n", 6, true), Some(AppProto::Ftp));
        assert_eq!(
            identify(b"+OK POP3 ready\r\n", 6, false),
            Some(AppProto::Pop3)
        );
        assert_eq!(
            identify(b"* OK [CAPABILITY IMAP4rev1] ready\r\n", 6, false),
            Some(AppProto::Imap)
        );
        assert_eq!(
            identify(b"a001 LOGIN bob pw\r\n", 6, true),
            Some(AppProto::Imap)
        );
        // A bare 220 is undecided (FTP or SMTP): the port decides later.
        assert_eq!(identify(b"220 welcome\r\n", 6, false), None);
        assert_eq!(tls_port_service(993), Some(AppProto::Imap));
        assert_eq!(by_port(6, 25), Some(AppProto::Smtp));
    }

    #[test]
    fn smb_rdp_socks() {
        let mut smb2 = vec![0, 0, 0, 0x44];
        smb2.extend_from_slice(b"\xfeSMB");
        smb2.extend_from_slice(&[0; 60]);
        assert_eq!(identify(&smb2, 6, true), Some(AppProto::Smb));
        // RDP X.224 connection request with an mstshash cookie.
        let mut rdp = vec![3, 0, 0, 0];
        let body =
            b"\xe0\x00\x00\x00\x00\x00Cookie: mstshash=a\r\n\x01\x00\x08\x00\x03\x00\x00\x00";
        rdp.push(body.len() as u8);
        rdp.extend_from_slice(body);
        let n = rdp.len() as u16;
        rdp[2..4].copy_from_slice(&n.to_be_bytes());
        assert_eq!(identify(&rdp, 6, true), Some(AppProto::Rdp));
        assert_eq!(identify(b"\x05\x01\x00", 6, true), Some(AppProto::Socks));
        assert_eq!(
            identify(b"\x04\x01\x01\xbb\x01\x02\x03\x04\x00", 6, true),
            Some(AppProto::Socks)
        );
        assert_eq!(identify(b"\x05\x01\x00", 6, false), None);
    }

    #[test]
    fn vpn_signatures_from_corpus_packets() {
        // ndpi__openvpn.pcap frame 1 (UDP client hard reset v2, no tls-auth).
        let ovpn = hex("38334857703d96db390000000000");
        assert_eq!(identify(&ovpn, 17, true), Some(AppProto::OpenVpn));
        // Frame 2 (the server's reset, seen without the client).
        let reset = hex("40d31c3a6964602fa00100000000334857703d96db3900000000");
        assert_eq!(identify(&reset, 17, false), Some(AppProto::OpenVpn));
        // Frame 220 (TCP client hard reset with tls-auth, 2-byte length).
        let ovpn_tcp = hex(
            "002a3892b8af4a777fc742781024c276d9a1a8c2321879a02264b3ccbc807700000001577e73b30000000000",
        );
        assert_eq!(identify(&ovpn_tcp, 6, true), Some(AppProto::OpenVpn));
        // WireGuard handshake initiation: type 1, reserved zeros, 148 bytes.
        let mut wg = vec![1, 0, 0, 0];
        wg.extend((0..144).map(|i| (i * 7 + 3) as u8));
        assert_eq!(identify(&wg, 17, true), Some(AppProto::WireGuard));
        wg.push(0);
        assert_eq!(identify(&wg, 17, true), None);
        // Google QUIC public header (version flag, CID, Q046).
        let mut gq = vec![0x0d, 1, 2, 3, 4, 5, 6, 7, 8];
        gq.extend_from_slice(b"Q046");
        gq.extend_from_slice(&[0; 20]);
        assert_eq!(identify(&gq, 17, true), Some(AppProto::Quic));
    }

    #[test]
    fn entropy_and_tor_heuristics() {
        let mut x = 0x12345678u32;
        let random: Vec<u8> = (0..400)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        assert!(looks_encrypted(&random));
        assert!(looks_encrypted(&random[..48]));
        assert!(!looks_encrypted(&random[..20]), "too short to tell");
        let text = b"The quick brown fox jumps over the lazy dog, again and again and again.";
        assert!(!looks_encrypted(text));
        assert!(!looks_encrypted(&[0u8; 300]));
        // SNIs from ndpi__tor.pcap.
        assert!(tor_like_sni("www.ct7ctrgb6cr7.com"));
        assert!(tor_like_sni("www.q4cyamnc6mtokjurvdclt.com"));
        assert!(!tor_like_sni("www.google.com"));
        assert!(!tor_like_sni("www.example19.com"), "8/9 are not base32");
        assert!(tls_records(&hex("1703030005aabbccddee")));
    }
}
