//! Protocol identification by payload, and port/protocol mismatch flags.

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

/// Guess the application protocol from the first bytes of one direction.
/// `None` means "not decided" (too few bytes or unknown).
pub fn identify(b: &[u8], proto: u8, from_client: bool) -> Option<AppProto> {
    if b.is_empty() {
        return None;
    }
    if proto == ipproto::TCP {
        if looks_like_tls(b) {
            return Some(AppProto::Tls);
        }
        if b.starts_with(b"SSH-") {
            return Some(AppProto::Ssh);
        }
        if (from_client && METHODS.iter().any(|m| b.starts_with(m))) || b.starts_with(b"HTTP/1.") {
            return Some(AppProto::Http);
        }
        if b.len() >= 14 {
            let len = u16::from_be_bytes([b[0], b[1]]) as usize;
            if len + 2 == b.len() && plausible_dns(&b[2..]) {
                return Some(AppProto::Dns);
            }
        }
        return None;
    }
    if proto == ipproto::UDP && plausible_dns(b) {
        return Some(AppProto::Dns);
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

/// The protocol does not match the server port (`non_http_on_80`,
/// `non_tls_on_443`, `dns_off_53`, `tls_on_53`, `http_on_443`).
pub fn port_mismatch(app: AppProto, proto: u8, server_port: u16) -> Option<&'static str> {
    match (app, proto, server_port) {
        (AppProto::Unknown, _, _) => None,
        (AppProto::Tls, _, 53) => Some("tls_on_53"),
        (AppProto::Http, _, 443) => Some("http_on_443"),
        (a, ipproto::TCP, 443) if a != AppProto::Tls => Some("non_tls_on_443"),
        (a, ipproto::TCP, 80) if a != AppProto::Http => Some("non_http_on_80"),
        (AppProto::Dns, _, p) if p != 53 && p != 5353 && p != 5355 => Some("dns_off_53"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
