//! Tiny synthetic captures for tests and demos: a classic pcap (µs,
//! Ethernet) built frame by frame, with whole TCP conversations.
//!
//! Hand-written rather than a pcap-writing crate: the format needed here is
//! 24 bytes of file header and 16 per record, and the frames are built with
//! fixed, checksum-less headers that kensa's decoder accepts (it does not
//! verify checksums, as captures taken with offload rarely have them right).

/// A classic pcap in memory.
pub struct PcapBuilder(Vec<u8>);

impl Default for PcapBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl PcapBuilder {
    /// An empty capture (little-endian, µs, snaplen 65535, Ethernet).
    pub fn new() -> Self {
        PcapBuilder(vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0])
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Appends bytes as they are (for deliberately broken captures).
    pub fn raw(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }

    /// Appends one raw Ethernet frame at `ts` seconds.
    pub fn frame(&mut self, ts: u32, frame: &[u8]) {
        for v in [ts, 0, frame.len() as u32, frame.len() as u32] {
            self.0.extend_from_slice(&v.to_le_bytes());
        }
        self.0.extend_from_slice(frame);
    }

    /// An IPv4/TCP frame `src:sport -> dst:dport` with `flags` and `payload`.
    #[allow(clippy::too_many_arguments)]
    pub fn tcp(&mut self, ts: u32, src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, seq: u32, flags: u8, payload: &[u8]) {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        let ip_len = (20 + 20 + payload.len()) as u16;
        f.extend_from_slice(&[0x45, 0]);
        f.extend_from_slice(&ip_len.to_be_bytes());
        f.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
        f.extend_from_slice(&src);
        f.extend_from_slice(&dst);
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        f.extend_from_slice(&seq.to_be_bytes());
        f.extend_from_slice(&0u32.to_be_bytes());
        f.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        f.extend_from_slice(payload);
        self.frame(ts, &f);
    }

    /// A complete TCP conversation: handshake, one request, one response, FIN.
    #[allow(clippy::too_many_arguments)]
    pub fn conversation(&mut self, ts: u32, client: [u8; 4], cport: u16, server: [u8; 4], sport: u16, req: &[u8], resp: &[u8]) {
        self.tcp(ts, client, cport, server, sport, 1000, 0x02, b"");
        self.tcp(ts, server, sport, client, cport, 5000, 0x12, b"");
        self.tcp(ts, client, cport, server, sport, 1001, 0x10, b"");
        self.tcp(ts + 1, client, cport, server, sport, 1001, 0x18, req);
        self.tcp(ts + 1, server, sport, client, cport, 5001, 0x18, resp);
        self.tcp(ts + 2, client, cport, server, sport, 1001 + req.len() as u32, 0x11, b"");
        self.tcp(ts + 2, server, sport, client, cport, 5001 + resp.len() as u32, 0x11, b"");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_have_headers_and_lengths() {
        let mut p = PcapBuilder::new();
        p.conversation(1_700_000_000, [10, 0, 0, 1], 40000, [192, 0, 2, 1], 80, b"GET / HTTP/1.1\r\n\r\n", b"HTTP/1.1 200 OK\r\n\r\n");
        let b = p.bytes();
        assert_eq!(&b[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        // Walk the records: 7 frames, each length as recorded.
        let (mut at, mut n) = (24, 0);
        while at < b.len() {
            let caplen = u32::from_le_bytes(b[at + 8..at + 12].try_into().unwrap()) as usize;
            assert_eq!(b[at + 16 + 12..at + 16 + 14], [0x08, 0x00], "IPv4 ethertype");
            at += 16 + caplen;
            n += 1;
        }
        assert_eq!((at, n), (b.len(), 7));
    }
}
