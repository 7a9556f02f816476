//! Pure HTTP/1.x head parsing (via `httparse`) and body framing.

/// A parsed request head.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestHead {
    /// Method.
    pub method: String,
    /// Request target as sent.
    pub uri: String,
    /// Minor version (1.0 → 0, 1.1 → 1).
    pub version: u8,
    /// `Host`.
    pub host: Option<String>,
    /// `User-Agent`.
    pub user_agent: Option<String>,
    /// `Referer`.
    pub referer: Option<String>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// Body framing.
    pub body: BodyLen,
    /// JA4H of the request (`ja4plus` feature, FoxIO License 1.1).
    #[cfg(feature = "ja4plus")]
    pub ja4h: crate::ja4plus::Ja4h,
}

/// A parsed response head.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseHead {
    /// Status code.
    pub status: u16,
    /// Minor version.
    pub version: u8,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Server`.
    pub server: Option<String>,
    /// `Location`.
    pub location: Option<String>,
    /// Body framing.
    pub body: BodyLen,
}

/// How the body that follows a head is delimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BodyLen {
    /// No body.
    #[default]
    None,
    /// `Content-Length`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the connection closes (responses without a length).
    UntilClose,
}

/// Result of trying to parse a head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head<T> {
    /// Complete head of `n` bytes.
    Complete(T, usize),
    /// More bytes needed.
    Partial,
    /// Not HTTP / malformed.
    Invalid,
}

const MAX_HEADERS: usize = 96;

fn text(v: &[u8]) -> String {
    let mut s = String::from_utf8_lossy(v).into_owned();
    s.truncate(s.floor_char_boundary(2048));
    s
}

fn framing(headers: &[httparse::Header<'_>]) -> (BodyLen, Vec<(String, String)>) {
    let mut len = BodyLen::None;
    let mut picked = Vec::new();
    for h in headers {
        if h.name.eq_ignore_ascii_case("transfer-encoding")
            && h.value
                .windows(7)
                .any(|w| w.eq_ignore_ascii_case(b"chunked"))
        {
            len = BodyLen::Chunked;
        } else if h.name.eq_ignore_ascii_case("content-length")
            && len != BodyLen::Chunked
            && let Some(n) = std::str::from_utf8(h.value)
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
        {
            len = BodyLen::Length(n);
        }
        picked.push((h.name.to_ascii_lowercase(), text(h.value)));
    }
    (len, picked)
}

fn get(h: &[(String, String)], name: &str) -> Option<String> {
    h.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
}

/// Parse a request head at the start of `b`.
pub fn parse_request(b: &[u8]) -> Head<RequestHead> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(b) {
        Ok(httparse::Status::Complete(n)) => {
            let (body, h) = framing(req.headers);
            let body = if body == BodyLen::Chunked || matches!(body, BodyLen::Length(_)) {
                body
            } else {
                BodyLen::None
            };
            #[cfg(feature = "ja4plus")]
            let ja4h = {
                let pairs: Vec<(&str, &[u8])> =
                    req.headers.iter().map(|h| (h.name, h.value)).collect();
                let version = if req.version == Some(0) { "10" } else { "11" };
                crate::ja4plus::ja4h(req.method.unwrap_or_default(), version, &pairs)
            };
            Head::Complete(
                RequestHead {
                    method: req.method.unwrap_or_default().to_string(),
                    uri: text(req.path.unwrap_or_default().as_bytes()),
                    version: req.version.unwrap_or(1),
                    host: get(&h, "host"),
                    user_agent: get(&h, "user-agent"),
                    referer: get(&h, "referer"),
                    content_type: get(&h, "content-type"),
                    body,
                    #[cfg(feature = "ja4plus")]
                    ja4h,
                },
                n,
            )
        }
        Ok(httparse::Status::Partial) => Head::Partial,
        Err(_) => Head::Invalid,
    }
}

/// Parse a response head; `head_request` says the matching request was HEAD.
pub fn parse_response(b: &[u8], head_request: bool) -> Head<ResponseHead> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    match resp.parse(b) {
        Ok(httparse::Status::Complete(n)) => {
            let status = resp.code.unwrap_or(0);
            let (mut body, h) = framing(resp.headers);
            if head_request || status == 204 || status == 304 || (100..200).contains(&status) {
                body = BodyLen::None;
            } else if body == BodyLen::None {
                body = BodyLen::UntilClose;
            }
            Head::Complete(
                ResponseHead {
                    status,
                    version: resp.version.unwrap_or(1),
                    content_type: get(&h, "content-type"),
                    server: get(&h, "server"),
                    location: get(&h, "location"),
                    body,
                },
                n,
            )
        }
        Ok(httparse::Status::Partial) => Head::Partial,
        Err(_) => Head::Invalid,
    }
}

/// Chunked-body walker state: what to expect next.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Chunked {
    /// A chunk-size line.
    #[default]
    Size,
    /// `n` data bytes, then CRLF.
    Data(u64),
    /// Trailer lines until an empty line.
    Trailer,
    /// Body finished.
    Done,
}

/// Advance a chunked body over `b`; returns (bytes consumed, payload bytes seen, new state).
pub fn chunked_step(mut st: Chunked, b: &[u8]) -> (usize, u64, Chunked) {
    let mut pos = 0;
    let mut payload = 0u64;
    loop {
        match st {
            Chunked::Done => return (pos, payload, st),
            Chunked::Size => {
                let Some(nl) = b[pos..].iter().position(|c| *c == b'\n') else {
                    return (pos, payload, st);
                };
                let line = &b[pos..pos + nl];
                let hex_end = line
                    .iter()
                    .position(|c| !c.is_ascii_hexdigit())
                    .unwrap_or(line.len());
                let Ok(n) =
                    u64::from_str_radix(std::str::from_utf8(&line[..hex_end]).unwrap_or(""), 16)
                else {
                    return (b.len(), payload, Chunked::Done); // garbage: give up on the body
                };
                pos += nl + 1;
                st = if n == 0 {
                    Chunked::Trailer
                } else {
                    Chunked::Data(n.saturating_add(2))
                };
            }
            Chunked::Data(n) => {
                let take = (n as usize).min(b.len() - pos);
                payload += take.min((n as usize).saturating_sub(2).min(take)) as u64;
                pos += take;
                let left = n - take as u64;
                if left > 0 {
                    return (pos, payload, Chunked::Data(left));
                }
                st = Chunked::Size;
            }
            Chunked::Trailer => {
                let Some(nl) = b[pos..].iter().position(|c| *c == b'\n') else {
                    return (pos, payload, st);
                };
                let empty = nl == 0 || (nl == 1 && b[pos] == b'\r');
                pos += nl + 1;
                if empty {
                    st = Chunked::Done;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_head() {
        let b = b"POST /gate.php?id=1 HTTP/1.1\r\nHost: c2.example\r\nUser-Agent: Mozilla/4.0\r\nContent-Length: 5\r\nContent-Type: application/octet-stream\r\n\r\nhello";
        let Head::Complete(r, n) = parse_request(b) else {
            panic!("not complete")
        };
        assert_eq!(n, b.len() - 5);
        assert_eq!(r.method, "POST");
        assert_eq!(r.uri, "/gate.php?id=1");
        assert_eq!(r.host.as_deref(), Some("c2.example"));
        assert_eq!(r.user_agent.as_deref(), Some("Mozilla/4.0"));
        assert_eq!(r.body, BodyLen::Length(5));
        assert_eq!(parse_request(&b[..20]), Head::Partial);
        assert_eq!(
            parse_request(b"\x16\x03\x01\x00\x10garbage\r\n\r\n"),
            Head::Invalid
        );
    }

    #[test]
    fn response_framing() {
        let Head::Complete(r, _) = parse_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/html\r\n\r\n",
            false,
        ) else {
            panic!()
        };
        assert_eq!((r.status, r.body), (200, BodyLen::Chunked));
        let Head::Complete(r, _) = parse_response(b"HTTP/1.0 200 OK\r\n\r\n", false) else {
            panic!()
        };
        assert_eq!(r.body, BodyLen::UntilClose);
        let Head::Complete(r, _) = parse_response(
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
            false,
        ) else {
            panic!()
        };
        assert_eq!(r.body, BodyLen::None);
    }

    #[test]
    fn chunked_walk_in_pieces() {
        let body = b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-T: 1\r\n\r\nNEXT";
        let (n, p, st) = chunked_step(Chunked::Size, body);
        assert_eq!((n, p, st), (body.len() - 4, 9, Chunked::Done));
        // Split inside a chunk and inside a size line gives the same result.
        let (n1, p1, st1) = chunked_step(Chunked::Size, &body[..6]);
        assert_eq!((n1, p1, st1), (6, 3, Chunked::Data(3)));
        let (n2, p2, st2) = chunked_step(st1, &body[6..12]);
        assert_eq!((n2, p2, st2), (3, 1, Chunked::Size));
        let (_, p3, st) = chunked_step(st2, &body[9..]);
        let total = p1 + p2 + p3;
        assert_eq!((st, total), (Chunked::Done, 9));
        // A 16-hex-digit size must not overflow.
        let (_, _, st) = chunked_step(Chunked::Size, b"ffffffffffffffff\r\nab");
        assert!(matches!(st, Chunked::Data(_)));
    }
}
