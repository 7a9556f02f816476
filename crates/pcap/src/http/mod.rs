//! HTTP/1.x transactions: per-flow state pairing requests with responses.

pub mod parser;

use parser::{BodyLen, Chunked, Head, chunked_step, parse_request, parse_response};
use serde::Serialize;

/// One HTTP transaction (a request, and its response if seen).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HttpRecord {
    /// Flow.
    pub flow_id: u64,
    /// Time of the request head (ns).
    pub ts_ns: i64,
    /// Method.
    pub method: String,
    /// `Host` header.
    pub host: Option<String>,
    /// Request target.
    pub uri: String,
    /// `HTTP/1.x` minor version of the request.
    pub version: u8,
    /// `User-Agent`.
    pub user_agent: Option<String>,
    /// `Referer`.
    pub referer: Option<String>,
    /// Request `Content-Type`.
    pub request_content_type: Option<String>,
    /// Request body bytes (declared length, or counted chunk payload).
    pub request_body_len: Option<u64>,
    /// Response status.
    pub status: Option<u16>,
    /// Response `Content-Type`.
    pub response_content_type: Option<String>,
    /// Response `Server`.
    pub server: Option<String>,
    /// Response `Location`.
    pub location: Option<String>,
    /// Response body bytes (declared length or counted chunk payload; bodies
    /// delimited by close are counted as far as reassembled).
    pub response_body_len: Option<u64>,
    /// JA4H of the request (`ja4plus` feature, FoxIO License 1.1); `None`
    /// for a response whose request was not seen.
    #[cfg(feature = "ja4plus")]
    pub ja4h: Option<String>,
    /// JA4H_r (`ja4plus` feature, FoxIO License 1.1).
    #[cfg(feature = "ja4plus")]
    pub ja4h_r: Option<String>,
    /// JA4H_o (`ja4plus` feature, FoxIO License 1.1).
    #[cfg(feature = "ja4plus")]
    pub ja4h_o: Option<String>,
    /// JA4H_ro (`ja4plus` feature, FoxIO License 1.1).
    #[cfg(feature = "ja4plus")]
    pub ja4h_ro: Option<String>,
}

#[derive(Debug, Default)]
struct Side {
    skip: u64,
    chunked: Option<Chunked>,
    until_close: bool,
    broken: bool,
}

/// Per-flow HTTP state.
#[derive(Debug)]
pub struct HttpState {
    flow_id: u64,
    records: Vec<HttpRecord>,
    next_response: usize,
    client: Side,
    server: Side,
    /// Malformed heads seen.
    pub malformed: u32,
    /// A CONNECT is waiting for its response: client bytes are held back.
    connect_pending: bool,
    /// A CONNECT got a 2xx: the rest of the flow is the tunnelled protocol.
    tunnel: bool,
}

impl HttpState {
    /// New state for a flow.
    pub fn new(flow_id: u64) -> Self {
        HttpState {
            flow_id,
            records: Vec::new(),
            next_response: 0,
            client: Side::default(),
            server: Side::default(),
            malformed: 0,
            connect_pending: false,
            tunnel: false,
        }
    }

    /// Feed contiguous bytes of one direction; returns bytes consumed.
    pub fn on_data(&mut self, from_client: bool, buf: &[u8], ts: i64) -> usize {
        let mut pos = 0;
        loop {
            if self.tunnel || (from_client && self.connect_pending) {
                return pos;
            }
            let side = if from_client {
                &mut self.client
            } else {
                &mut self.server
            };
            if side.broken {
                return buf.len();
            }
            let rest = &buf[pos..];
            if rest.is_empty() {
                return pos;
            }
            // Body bytes first.
            let body_idx = if from_client {
                self.records.len().checked_sub(1)
            } else {
                self.next_response.checked_sub(1)
            };
            if side.until_close {
                if let Some(r) = body_idx.and_then(|i| self.records.get_mut(i)) {
                    *r.response_body_len.get_or_insert(0) += rest.len() as u64;
                }
                return buf.len();
            }
            if side.skip > 0 {
                let n = (side.skip.min(rest.len() as u64)) as usize;
                side.skip -= n as u64;
                pos += n;
                continue;
            }
            if let Some(st) = side.chunked {
                let (used, payload, st2) = chunked_step(st, rest);
                if let Some(r) = body_idx.and_then(|i| self.records.get_mut(i)) {
                    let slot = if from_client {
                        &mut r.request_body_len
                    } else {
                        &mut r.response_body_len
                    };
                    *slot.get_or_insert(0) += payload;
                }
                pos += used;
                side.chunked = if st2 == Chunked::Done {
                    None
                } else {
                    Some(st2)
                };
                if used == 0 {
                    return pos;
                }
                continue;
            }
            if from_client {
                match parse_request(rest) {
                    Head::Complete(h, n) => {
                        pos += n;
                        let (skip, chunked, len) = body_plan(h.body);
                        self.client.skip = skip;
                        self.client.chunked = chunked;
                        self.connect_pending = h.method.eq_ignore_ascii_case("CONNECT");
                        self.records.push(HttpRecord {
                            flow_id: self.flow_id,
                            ts_ns: ts,
                            method: h.method,
                            host: h.host,
                            uri: h.uri,
                            version: h.version,
                            user_agent: h.user_agent,
                            referer: h.referer,
                            request_content_type: h.content_type,
                            request_body_len: len,
                            #[cfg(feature = "ja4plus")]
                            ja4h: Some(h.ja4h.ja4h),
                            #[cfg(feature = "ja4plus")]
                            ja4h_r: Some(h.ja4h.ja4h_r),
                            #[cfg(feature = "ja4plus")]
                            ja4h_o: Some(h.ja4h.ja4h_o),
                            #[cfg(feature = "ja4plus")]
                            ja4h_ro: Some(h.ja4h.ja4h_ro),
                            ..Default::default()
                        });
                    }
                    Head::Partial => {
                        return if rest.len() > 32 * 1024 {
                            self.give_up(true, buf.len())
                        } else {
                            pos
                        };
                    }
                    Head::Invalid => return self.give_up(true, buf.len()),
                }
            } else {
                let is_head = self
                    .records
                    .get(self.next_response)
                    .is_some_and(|r| r.method == "HEAD");
                match parse_response(rest, is_head) {
                    Head::Complete(h, n) => {
                        pos += n;
                        let (skip, chunked, len) = body_plan(h.body);
                        self.server.skip = skip;
                        self.server.chunked = chunked;
                        self.server.until_close = h.body == BodyLen::UntilClose;
                        if (100..200).contains(&h.status) {
                            continue; // interim response: the real one follows
                        }
                        if self.next_response >= self.records.len() {
                            // Response without a seen request (capture started mid-flow).
                            self.records.push(HttpRecord {
                                flow_id: self.flow_id,
                                ts_ns: ts,
                                ..Default::default()
                            });
                        }
                        let r = &mut self.records[self.next_response];
                        self.next_response += 1;
                        r.status = Some(h.status);
                        r.response_content_type = h.content_type;
                        r.server = h.server;
                        r.location = h.location;
                        r.response_body_len = len;
                        if r.method.eq_ignore_ascii_case("CONNECT") {
                            self.connect_pending = false;
                            if (200..300).contains(&h.status) {
                                self.tunnel = true;
                                self.server.until_close = false;
                                self.server.skip = 0;
                                self.server.chunked = None;
                                return pos;
                            }
                        }
                    }
                    Head::Partial => {
                        return if rest.len() > 32 * 1024 {
                            self.give_up(false, buf.len())
                        } else {
                            pos
                        };
                    }
                    Head::Invalid => return self.give_up(false, buf.len()),
                }
            }
        }
    }

    fn give_up(&mut self, from_client: bool, n: usize) -> usize {
        self.malformed += 1;
        if from_client {
            &mut self.client
        } else {
            &mut self.server
        }
        .broken = true;
        n
    }

    /// A CONNECT succeeded: the bytes after the response belong to the
    /// tunnelled protocol (not consumed by [`HttpState::on_data`]).
    pub fn is_tunnel(&self) -> bool {
        self.tunnel
    }

    /// Take the transactions that are complete (request and response seen,
    /// and a later response has started, so no more body bytes can arrive).
    /// Keeps a long keep-alive flow's memory flat.
    pub fn drain_completed(&mut self) -> Vec<HttpRecord> {
        if self.next_response < 2 {
            return Vec::new();
        }
        let n = self.next_response - 1;
        self.next_response -= n;
        self.records.drain(..n).collect()
    }

    /// Transactions seen.
    pub fn finish(self) -> Vec<HttpRecord> {
        self.records
    }
}

fn body_plan(b: BodyLen) -> (u64, Option<Chunked>, Option<u64>) {
    match b {
        BodyLen::None => (0, None, Some(0)),
        BodyLen::Length(n) => (n, None, Some(n)),
        BodyLen::Chunked => (0, Some(Chunked::Size), Some(0)),
        BodyLen::UntilClose => (0, None, Some(0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipelined_requests_and_responses_pair_up() {
        let mut st = HttpState::new(9);
        let req = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
        // Fed in two pieces, split inside the second head.
        let used = st.on_data(true, &req[..40], 1);
        assert_eq!(used, 28);
        let used2 = st.on_data(true, &req[28..], 2);
        assert_eq!(used2, req.len() - 28);
        let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        assert_eq!(st.on_data(false, resp, 3), resp.len());
        let done = st.drain_completed();
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].uri, "/a");
        let mut r = done;
        r.extend(st.finish());
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[0].uri.as_str(), r[0].status, r[0].response_body_len),
            ("/a", Some(200), Some(2))
        );
        assert_eq!(
            (r[1].method.as_str(), r[1].request_body_len),
            ("POST", Some(3))
        );
        assert_eq!((r[1].status, r[1].response_body_len), (Some(404), Some(3)));
    }

    #[test]
    fn connect_tunnel_leaves_tunnelled_bytes() {
        let mut st = HttpState::new(1);
        let req = b"CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n\x16\x03\x01";
        assert_eq!(st.on_data(true, req, 1), req.len() - 3);
        let resp = b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03";
        assert_eq!(st.on_data(false, resp, 2), resp.len() - 3);
        assert!(st.is_tunnel());
        assert_eq!(st.on_data(true, b"\x16\x03\x01", 3), 0);
        let r = st.finish();
        assert_eq!((r[0].method.as_str(), r[0].status), ("CONNECT", Some(200)));
    }
}
