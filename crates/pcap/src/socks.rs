//! SOCKS 4/4a/5 handshake parser: finds the requested target and the point
//! where the tunnel starts, so the engine can identify what runs inside.
//!
//! Each direction is parsed independently (client: greeting, optional
//! username/password, request; server: method choice, optional auth status,
//! reply), so pipelined clients are handled.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Client {
    Start,
    V5Auth,
    V5Request,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    Start,
    V5AuthOrReply,
    V5Reply,
    Done,
}

/// Per-flow SOCKS state.
#[derive(Debug)]
pub struct SocksState {
    version: u8,
    client: Client,
    server: Server,
    offered_userpass: bool,
    /// `host:port` the client asked for.
    pub target: Option<String>,
    /// The server accepted the request: later bytes are the tunnelled protocol.
    pub established: bool,
    /// The handshake did not parse (the flow stays SOCKS, no inner protocol).
    pub broken: bool,
}

impl Default for SocksState {
    fn default() -> Self {
        SocksState {
            version: 0,
            client: Client::Start,
            server: Server::Start,
            offered_userpass: false,
            target: None,
            established: false,
            broken: false,
        }
    }
}

fn addr(atyp: u8, b: &[u8]) -> Option<(String, usize)> {
    match atyp {
        1 => {
            let a = b.get(..4)?;
            Some((format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]), 4))
        }
        3 => {
            let n = *b.first()? as usize;
            let h = b.get(1..1 + n)?;
            Some((String::from_utf8_lossy(h).into_owned(), 1 + n))
        }
        4 => {
            let a: [u8; 16] = b.get(..16)?.try_into().ok()?;
            Some((format!("[{}]", std::net::Ipv6Addr::from(a)), 16))
        }
        _ => None,
    }
}

impl SocksState {
    /// Consume handshake bytes from one direction; returns how many were
    /// used (the rest belongs to the tunnel or waits for more data).
    pub fn on_data(&mut self, from_client: bool, b: &[u8]) -> usize {
        if self.broken {
            return b.len();
        }
        let r = if from_client {
            self.client_data(b)
        } else {
            self.server_data(b)
        };
        r.unwrap_or_else(|| {
            // Not enough bytes yet, or garbage: wait up to a small bound.
            if b.len() > 600 {
                self.broken = true;
                b.len()
            } else {
                0
            }
        })
    }

    fn client_data(&mut self, b: &[u8]) -> Option<usize> {
        let mut pos = 0;
        loop {
            let rest = &b[pos..];
            match self.client {
                Client::Start => match *rest.first()? {
                    5 => {
                        let n = *rest.get(1)? as usize;
                        let m = rest.get(2..2 + n)?;
                        self.offered_userpass = m.contains(&2);
                        self.version = 5;
                        self.client = Client::V5Auth;
                        pos += 2 + n;
                    }
                    4 => {
                        let port = u16::from_be_bytes([*rest.get(2)?, *rest.get(3)?]);
                        let ip = rest.get(4..8)?;
                        let uid_end = 8 + rest.get(8..)?.iter().position(|c| *c == 0)?;
                        let mut used = uid_end + 1;
                        let host = if ip[..3] == [0, 0, 0] && ip[3] != 0 {
                            let h = rest.get(used..)?;
                            let e = h.iter().position(|c| *c == 0)?;
                            used += e + 1;
                            String::from_utf8_lossy(&h[..e]).into_owned()
                        } else {
                            format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3])
                        };
                        self.target = Some(format!("{host}:{port}"));
                        self.version = 4;
                        self.client = Client::Done;
                        return Some(pos + used);
                    }
                    _ => {
                        self.broken = true;
                        return Some(b.len());
                    }
                },
                Client::V5Auth => {
                    // RFC 1929 username/password sub-negotiation (version 1).
                    if self.offered_userpass && *rest.first()? == 1 {
                        let ul = *rest.get(1)? as usize;
                        let pl = *rest.get(2 + ul)? as usize;
                        rest.get(..3 + ul + pl)?;
                        pos += 3 + ul + pl;
                    }
                    self.client = Client::V5Request;
                }
                Client::V5Request => {
                    if *rest.first()? != 5 {
                        self.broken = true;
                        return Some(b.len());
                    }
                    let atyp = *rest.get(3)?;
                    let (host, n) = addr(atyp, rest.get(4..)?)?;
                    let port = u16::from_be_bytes([*rest.get(4 + n)?, *rest.get(5 + n)?]);
                    self.target = Some(format!("{host}:{port}"));
                    self.client = Client::Done;
                    return Some(pos + 6 + n);
                }
                Client::Done => return Some(pos),
            }
        }
    }

    fn server_data(&mut self, b: &[u8]) -> Option<usize> {
        let mut pos = 0;
        loop {
            let rest = &b[pos..];
            match self.server {
                Server::Start if self.version == 4 => {
                    let r = rest.get(..8)?;
                    self.established = r[0] == 0 && r[1] == 0x5a;
                    self.server = Server::Done;
                    return Some(pos + 8);
                }
                Server::Start => {
                    let r = rest.get(..2)?;
                    if r[0] != 5 {
                        self.broken = true;
                        return Some(b.len());
                    }
                    self.server = if r[1] == 2 {
                        Server::V5AuthOrReply
                    } else {
                        Server::V5Reply
                    };
                    pos += 2;
                }
                Server::V5AuthOrReply => {
                    let r = rest.get(..2)?;
                    if r[0] == 1 {
                        pos += 2;
                    }
                    self.server = Server::V5Reply;
                }
                Server::V5Reply => {
                    let r = rest.get(..4)?;
                    let (_, n) = addr(r[3], rest.get(4..)?)?;
                    rest.get(..6 + n)?;
                    self.established = r[0] == 5 && r[1] == 0;
                    self.server = Server::Done;
                    return Some(pos + 6 + n);
                }
                Server::Done => return Some(pos),
            }
        }
    }

    /// Handshake over (tunnel established, refused, or unparseable).
    pub fn is_done(&self) -> bool {
        self.broken || self.server == Server::Done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socks5_with_userpass_and_pipelined_data() {
        let mut s = SocksState::default();
        let c = b"\x05\x02\x00\x02\x01\x03bob\x03pwd\x05\x01\x00\x03\x0bexample.org\x01\xbb\x16\x03\x01";
        let used = s.on_data(true, c);
        assert_eq!(&c[used..], b"\x16\x03\x01");
        assert_eq!(s.target.as_deref(), Some("example.org:443"));
        assert!(!s.established);
        let srv = b"\x05\x02\x01\x00\x05\x00\x00\x01\x0a\x00\x00\x01\x04\x38";
        assert_eq!(s.on_data(false, srv), srv.len());
        assert!(s.established && s.is_done());
    }

    #[test]
    fn socks4a_and_refusal_and_partial() {
        let mut s = SocksState::default();
        let c = b"\x04\x01\x00\x50\x00\x00\x00\x01user\x00host.test\x00GET";
        assert_eq!(s.on_data(true, &c[..10]), 0, "incomplete request waits");
        let used = s.on_data(true, c);
        assert_eq!(&c[used..], b"GET");
        assert_eq!(s.target.as_deref(), Some("host.test:80"));
        assert_eq!(s.on_data(false, b"\x00\x5b\x00\x00\x00\x00\x00\x00"), 8);
        assert!(!s.established && s.is_done());
    }
}
