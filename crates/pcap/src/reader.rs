//! Streaming capture reader: classic pcap (µs, ns, modified/Kuznetzov) and
//! pcapng (several sections and interfaces, any `if_tsresol`/`if_tsoffset`),
//! optionally gzip- or zstd-compressed.
//!
//! Block parsing is delegated to `pcap-parser`'s zero-copy block parsers; the
//! buffer management is ours. pcap-parser's own streaming reader can spin
//! forever on a truncated last block or on a block larger than its buffer, so
//! this reader owns one growable buffer, refills it itself, stops on EOF with a
//! counted `truncated_tail`, and refuses blocks above a size cap.
//!
//! Offsets (`Packet::file_offset`) are byte offsets of the record/block header
//! in the *decompressed* stream, so `seek` on an uncompressed file (or a
//! re-decompression) lands on the packet again.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use pcap_parser::pcap::{
    parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified, parse_pcap_header,
};
use pcap_parser::pcapng::{Block, parse_block_be, parse_block_le, parse_sectionheaderblock};
use pcap_parser::traits::PcapNGPacketBlock;
use serde::Serialize;

/// Link-layer type numbers (LINKTYPE_*) the decoder understands.
pub mod linktype {
    /// BSD loopback (`DLT_NULL`): 4-byte host-order address family.
    pub const NULL: u32 = 0;
    /// Ethernet II / 802.3.
    pub const ETHERNET: u32 = 1;
    /// Raw IP (`LINKTYPE_RAW`).
    pub const RAW: u32 = 101;
    /// OpenBSD loopback: 4-byte network-order address family.
    pub const LOOP: u32 = 108;
    /// Linux cooked capture v1.
    pub const LINUX_SLL: u32 = 113;
    /// Raw IPv4.
    pub const IPV4: u32 = 228;
    /// Raw IPv6.
    pub const IPV6: u32 = 229;
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: u32 = 276;
    /// Old `DLT_RAW` value used on some BSDs.
    pub const RAW_BSD: u32 = 12;
    /// Old `DLT_RAW` value used on OpenBSD.
    pub const RAW_OPENBSD: u32 = 14;
}

/// One captured packet, borrowed from the reader's buffer until the next call.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// Byte offset of the record (pcap) or block (pcapng) header in the
    /// decompressed capture stream.
    pub file_offset: u64,
    /// Capture time in nanoseconds since the Unix epoch (UTC).
    pub ts_ns: i64,
    /// LINKTYPE_* of the interface the packet was captured on.
    pub link_type: u32,
    /// pcapng interface id (0 for classic pcap).
    pub interface: u32,
    /// Bytes captured (== `data.len()`).
    pub caplen: u32,
    /// Length on the wire (may exceed `caplen` when the snaplen cut it).
    pub origlen: u32,
    /// Captured bytes.
    pub data: &'a [u8],
}

/// Container format detected from the first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CaptureFormat {
    /// Classic libpcap, microsecond timestamps.
    PcapMicro,
    /// Classic libpcap, nanosecond timestamps.
    PcapNano,
    /// Modified (Kuznetzov) libpcap with a 24-byte record header.
    PcapModified,
    /// pcapng.
    PcapNg,
}

/// Compression wrapped around the capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Compression {
    /// Plain file.
    None,
    /// gzip (several members allowed).
    Gzip,
    /// zstd.
    Zstd,
}

/// Counters of everything the reader skipped or found odd. Never reset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReaderStats {
    /// Packets returned.
    pub packets: u64,
    /// Bytes of captured packet data returned.
    pub packet_bytes: u64,
    /// Decompressed bytes consumed (headers included).
    pub stream_bytes: u64,
    /// The file ended inside a record/block (count is 0 or 1).
    pub truncated_tail: u64,
    /// Bytes left over in that incomplete record/block.
    pub truncated_tail_bytes: u64,
    /// pcapng blocks that failed to parse but could be skipped by length.
    pub malformed_blocks: u64,
    /// Records/blocks whose declared length exceeded the size cap, or a
    /// block whose length was unusable (the rest of the file is abandoned).
    pub corrupt_stop: u64,
    /// pcapng packets naming an interface with no IDB.
    pub unknown_interface: u64,
    /// pcapng IDBs with an invalid `if_tsresol` (microseconds assumed).
    pub bad_tsresol: u64,
    /// pcapng Simple Packet Blocks (no timestamp: previous timestamp reused).
    pub simple_packets: u64,
    /// Non-packet pcapng blocks skipped (statistics, name resolution, custom, …).
    pub other_blocks: u64,
    /// Records whose caplen exceeds origlen (kept; origlen raised to caplen).
    pub caplen_over_origlen: u64,
}

/// Fatal reader errors (anything recoverable is counted in [`ReaderStats`]).
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// I/O failure while opening or reading.
    #[error("{path}: {source}")]
    Io {
        /// File (or `<stream>`).
        path: PathBuf,
        /// Underlying error.
        source: io::Error,
    },
    /// The stream does not start with a pcap or pcapng header.
    #[error("{path}: not a pcap/pcapng capture (first bytes {magic:02x?})")]
    NotACapture {
        /// File (or `<stream>`).
        path: PathBuf,
        /// Up to 8 leading bytes (after decompression).
        magic: Vec<u8>,
    },
}

/// Reader settings.
#[derive(Debug, Clone)]
pub struct ReaderConfig {
    /// Initial buffer size in bytes.
    pub initial_buffer: usize,
    /// Largest record/block accepted; a larger declared length stops the
    /// file (counted in `corrupt_stop`). Default 64 MiB.
    pub max_block: usize,
}

impl Default for ReaderConfig {
    fn default() -> Self {
        // 1 MiB: a few hundred packets per refill, small next to the page cache.
        // 64 MiB: far above any real snaplen (262 144) yet bounded.
        ReaderConfig {
            initial_buffer: 1 << 20,
            max_block: 64 << 20,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Iface {
    link_type: u32,
    /// Units per second.
    resolution: u64,
    offset_s: i64,
}

#[derive(Debug)]
enum Framing {
    Pcap {
        big_endian: bool,
        nanos: bool,
        modified: bool,
        link_type: u32,
    },
    PcapNg {
        big_endian: bool,
        ifaces: Vec<Iface>,
    },
}

/// Result of one attempt to parse at the buffer head (owns no borrow).
enum Step {
    Packet {
        consumed: usize,
        data_start: usize,
        data_len: usize,
        ts_ns: i64,
        link_type: u32,
        interface: u32,
        origlen: u32,
    },
    Skip(usize),
    NeedMore {
        declared: Option<usize>,
    },
    Stop,
}

/// Streaming reader over one capture.
///
/// ```no_run
/// use kensa_pcap::CaptureReader;
/// let mut r = CaptureReader::open("week1.pcapng.zst")?;
/// while let Some(p) = r.next_packet()? {
///     println!("{} {} bytes at offset {}", p.ts_ns, p.caplen, p.file_offset);
/// }
/// println!("{:?}", r.stats());
/// # Ok::<(), kensa_pcap::CaptureError>(())
/// ```
pub struct CaptureReader {
    path: PathBuf,
    src: Box<dyn Read + Send>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    done: bool,
    /// Stream offset of `buf[start]`.
    base: u64,
    framing: Framing,
    format: CaptureFormat,
    compression: Compression,
    last_ts: i64,
    max_block: usize,
    stats: ReaderStats,
}

impl std::fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureReader")
            .field("path", &self.path)
            .field("format", &self.format)
            .finish()
    }
}

fn io_err(path: &Path, source: io::Error) -> CaptureError {
    CaptureError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl CaptureReader {
    /// Open a capture file (plain, `.gz` or `.zst`, detected by content).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, CaptureError> {
        let path = path.as_ref();
        let f = File::open(path).map_err(|e| io_err(path, e))?;
        Self::with_config(f, path, ReaderConfig::default())
    }

    /// Read a capture from any byte stream (plain, gzip or zstd).
    pub fn from_reader(r: impl Read + Send + 'static) -> Result<Self, CaptureError> {
        Self::with_config(r, Path::new("<stream>"), ReaderConfig::default())
    }

    /// Read from a stream with explicit settings; `name` is used in errors.
    pub fn with_config(
        mut r: impl Read + Send + 'static,
        name: &Path,
        cfg: ReaderConfig,
    ) -> Result<Self, CaptureError> {
        let mut head = [0u8; 4];
        let n = read_up_to(&mut r, &mut head).map_err(|e| io_err(name, e))?;
        let chained = io::Cursor::new(head[..n].to_vec()).chain(r);
        let (src, compression): (Box<dyn Read + Send>, _) = if n >= 2 && head[..2] == [0x1f, 0x8b] {
            (
                Box::new(flate2::read::MultiGzDecoder::new(chained)),
                Compression::Gzip,
            )
        } else if n == 4 && head == [0x28, 0xb5, 0x2f, 0xfd] {
            let d = zstd::stream::read::Decoder::new(chained).map_err(|e| io_err(name, e))?;
            (Box::new(d), Compression::Zstd)
        } else {
            (Box::new(chained), Compression::None)
        };
        let mut me = CaptureReader {
            path: name.to_path_buf(),
            src,
            buf: vec![0; cfg.initial_buffer.max(4096)],
            start: 0,
            end: 0,
            eof: false,
            done: false,
            base: 0,
            framing: Framing::Pcap {
                big_endian: false,
                nanos: false,
                modified: false,
                link_type: 0,
            },
            format: CaptureFormat::PcapMicro,
            compression,
            last_ts: 0,
            max_block: cfg.max_block.max(4096),
            stats: ReaderStats::default(),
        };
        me.read_file_header()?;
        Ok(me)
    }

    /// Counters so far.
    pub fn stats(&self) -> &ReaderStats {
        &self.stats
    }

    /// Container format.
    pub fn format(&self) -> CaptureFormat {
        self.format
    }

    /// Compression detected.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Link type of a classic pcap file, or of the first pcapng interface.
    pub fn link_type(&self) -> Option<u32> {
        match &self.framing {
            Framing::Pcap { link_type, .. } => Some(*link_type),
            Framing::PcapNg { ifaces, .. } => ifaces.first().map(|i| i.link_type),
        }
    }

    fn fill(&mut self, want: usize) -> Result<(), CaptureError> {
        // Make room: compact, then grow if the wanted span still does not fit.
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if want > self.buf.len() {
            let new_len = want.max(self.buf.len() * 2).min(self.max_block + 64);
            self.buf.resize(new_len, 0);
        }
        while !self.eof && self.end < self.buf.len() && self.end - self.start < want {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.end += n;
                    self.stats.stream_bytes += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_err(&self.path, e)),
            }
        }
        Ok(())
    }

    fn read_file_header(&mut self) -> Result<(), CaptureError> {
        self.fill(4096)?;
        let avail = &self.buf[self.start..self.end];
        let not = |m: &[u8]| CaptureError::NotACapture {
            path: self.path.clone(),
            magic: m[..m.len().min(8)].to_vec(),
        };
        if avail.len() >= 4 && avail[..4] == [0x0a, 0x0d, 0x0d, 0x0a] {
            // pcapng: the SHB is parsed as an ordinary block in next_packet.
            self.format = CaptureFormat::PcapNg;
            self.framing = Framing::PcapNg {
                big_endian: false,
                ifaces: Vec::new(),
            };
            return Ok(());
        }
        match parse_pcap_header(avail) {
            Ok((_, h)) => {
                let big_endian = h.is_bigendian();
                let nanos = h.is_nanosecond_precision();
                let modified = h.is_modified_format();
                self.format = if modified {
                    CaptureFormat::PcapModified
                } else if nanos {
                    CaptureFormat::PcapNano
                } else {
                    CaptureFormat::PcapMicro
                };
                // Only the low 16 bits are the link type (upper bits: FCS info).
                let link_type = (h.network.0 as u32) & 0xffff;
                self.framing = Framing::Pcap {
                    big_endian,
                    nanos,
                    modified,
                    link_type,
                };
                self.start += 24;
                self.base = 24;
                Ok(())
            }
            Err(_) => Err(not(avail)),
        }
    }

    /// The next packet, or `None` at the end of the capture (including a
    /// truncated tail, which is counted). `Err` only for I/O failures.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        loop {
            if self.done {
                return Ok(None);
            }
            let step = self.step();
            match step {
                Step::Packet {
                    consumed,
                    data_start,
                    data_len,
                    ts_ns,
                    link_type,
                    interface,
                    origlen,
                } => {
                    let file_offset = self.base;
                    let abs = self.start + data_start;
                    self.start += consumed;
                    self.base += consumed as u64;
                    self.last_ts = ts_ns;
                    self.stats.packets += 1;
                    self.stats.packet_bytes += data_len as u64;
                    let caplen = data_len as u32;
                    let origlen = if origlen < caplen {
                        self.stats.caplen_over_origlen += 1;
                        caplen
                    } else {
                        origlen
                    };
                    return Ok(Some(Packet {
                        file_offset,
                        ts_ns,
                        link_type,
                        interface,
                        caplen,
                        origlen,
                        data: &self.buf[abs..abs + data_len],
                    }));
                }
                Step::Skip(n) => {
                    self.start += n;
                    self.base += n as u64;
                }
                Step::NeedMore { declared } => {
                    let have = self.end - self.start;
                    if matches!(declared, Some(d) if d > self.max_block) {
                        self.stats.corrupt_stop += 1;
                        self.stats.truncated_tail_bytes += have as u64;
                        self.done = true;
                        continue;
                    }
                    if self.eof {
                        if have > 0 {
                            self.stats.truncated_tail += 1;
                            self.stats.truncated_tail_bytes += have as u64;
                        }
                        self.done = true;
                        continue;
                    }
                    let want = match declared {
                        Some(d) => d.max(have + 1),
                        None => have + 4096,
                    };
                    self.fill(want)?;
                }
                Step::Stop => {
                    self.stats.corrupt_stop += 1;
                    self.done = true;
                }
            }
        }
    }

    fn step(&mut self) -> Step {
        let avail = &self.buf[self.start..self.end];
        match &mut self.framing {
            Framing::Pcap {
                big_endian,
                nanos,
                modified,
                link_type,
            } => {
                let hdr = if *modified { 24 } else { 16 };
                if avail.len() < hdr {
                    return Step::NeedMore {
                        declared: Some(hdr),
                    };
                }
                let rd = |o: usize| {
                    let b = [avail[o], avail[o + 1], avail[o + 2], avail[o + 3]];
                    if *big_endian {
                        u32::from_be_bytes(b)
                    } else {
                        u32::from_le_bytes(b)
                    }
                };
                let caplen = rd(8) as usize;
                let declared = hdr.saturating_add(caplen);
                if declared > avail.len() {
                    return Step::NeedMore {
                        declared: Some(declared),
                    };
                }
                let parsed = if *modified {
                    parse_pcap_frame_modified(avail)
                } else if *big_endian {
                    parse_pcap_frame_be(avail)
                } else {
                    parse_pcap_frame(avail)
                };
                match parsed {
                    Ok((rest, b)) => {
                        let consumed = avail.len() - rest.len();
                        let data_start = b.data.as_ptr() as usize - avail.as_ptr() as usize;
                        let frac = b.ts_usec as i64 * if *nanos { 1 } else { 1000 };
                        let ts_ns = (b.ts_sec as i64)
                            .saturating_mul(1_000_000_000)
                            .saturating_add(frac);
                        Step::Packet {
                            consumed,
                            data_start,
                            data_len: b.data.len(),
                            ts_ns,
                            link_type: *link_type,
                            interface: 0,
                            origlen: b.origlen,
                        }
                    }
                    // The whole record is buffered, so any error is corruption.
                    Err(_) => Step::Stop,
                }
            }
            Framing::PcapNg { big_endian, ifaces } => {
                if avail.len() < 12 {
                    return Step::NeedMore { declared: Some(12) };
                }
                let is_shb = avail[..4] == [0x0a, 0x0d, 0x0d, 0x0a];
                let be = if is_shb {
                    // Section header: byte order comes from its byte-order magic.
                    avail[8..12] == [0x1a, 0x2b, 0x3c, 0x4d]
                } else {
                    *big_endian
                };
                let len_bytes = [avail[4], avail[5], avail[6], avail[7]];
                let block_len = if be {
                    u32::from_be_bytes(len_bytes)
                } else {
                    u32::from_le_bytes(len_bytes)
                } as usize;
                if block_len < 12 || !block_len.is_multiple_of(4) {
                    return Step::Stop;
                }
                if block_len > avail.len() {
                    return Step::NeedMore {
                        declared: Some(block_len),
                    };
                }
                let parsed = if is_shb {
                    parse_sectionheaderblock(avail).map(|(r, b)| (r, Block::SectionHeader(b)))
                } else if be {
                    parse_block_be(avail)
                } else {
                    parse_block_le(avail)
                };
                let block = match parsed {
                    Ok((_, b)) => b,
                    Err(_) => {
                        // The length is sane and fully buffered: skip the block.
                        self.stats.malformed_blocks += 1;
                        return Step::Skip(block_len);
                    }
                };
                match block {
                    Block::SectionHeader(shb) => {
                        *big_endian = shb.big_endian();
                        ifaces.clear();
                        Step::Skip(block_len)
                    }
                    Block::InterfaceDescription(idb) => {
                        let resolution = match idb.ts_resolution() {
                            Some(r) if r > 0 => r,
                            _ => {
                                self.stats.bad_tsresol += 1;
                                1_000_000
                            }
                        };
                        ifaces.push(Iface {
                            link_type: (idb.linktype.0 as u32) & 0xffff,
                            resolution,
                            offset_s: idb.if_tsoffset,
                        });
                        Step::Skip(block_len)
                    }
                    Block::EnhancedPacket(epb) => {
                        let Some(iface) = ifaces.get(epb.if_id as usize).copied() else {
                            self.stats.unknown_interface += 1;
                            return Step::Skip(block_len);
                        };
                        let data = epb.packet_data();
                        let raw = ((epb.ts_high as u64) << 32) | epb.ts_low as u64;
                        let ts_ns = ts_to_ns(raw, iface.resolution, iface.offset_s);
                        Step::Packet {
                            consumed: block_len,
                            data_start: data.as_ptr() as usize - avail.as_ptr() as usize,
                            data_len: data.len(),
                            ts_ns,
                            link_type: iface.link_type,
                            interface: epb.if_id,
                            origlen: epb.origlen,
                        }
                    }
                    Block::SimplePacket(spb) => {
                        let Some(iface) = ifaces.first().copied() else {
                            self.stats.unknown_interface += 1;
                            return Step::Skip(block_len);
                        };
                        self.stats.simple_packets += 1;
                        let data = spb.packet_data();
                        Step::Packet {
                            consumed: block_len,
                            data_start: data.as_ptr() as usize - avail.as_ptr() as usize,
                            data_len: data.len(),
                            ts_ns: self.last_ts,
                            link_type: iface.link_type,
                            interface: 0,
                            origlen: spb.origlen,
                        }
                    }
                    _ => {
                        self.stats.other_blocks += 1;
                        Step::Skip(block_len)
                    }
                }
            }
        }
    }
}

/// pcapng timestamp units → ns since epoch, without overflow panics.
fn ts_to_ns(raw: u64, resolution: u64, offset_s: i64) -> i64 {
    let secs = raw / resolution;
    let frac = raw % resolution;
    let frac_ns = (frac as u128 * 1_000_000_000u128 / resolution as u128) as i64;
    let secs = (secs.min(i64::MAX as u64) as i64).saturating_add(offset_s);
    secs.saturating_mul(1_000_000_000).saturating_add(frac_ns)
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Build a little classic pcap in memory.
    fn pcap_bytes(nanos: bool, recs: &[(u32, u32, &[u8], u32)]) -> Vec<u8> {
        let mut v = Vec::new();
        let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        v.extend_from_slice(&magic.to_le_bytes());
        v.extend_from_slice(&2u16.to_le_bytes());
        v.extend_from_slice(&4u16.to_le_bytes());
        v.extend_from_slice(&0i32.to_le_bytes());
        v.extend_from_slice(&0u32.to_le_bytes());
        v.extend_from_slice(&65535u32.to_le_bytes());
        v.extend_from_slice(&1u32.to_le_bytes());
        for (s, f, d, orig) in recs {
            v.extend_from_slice(&s.to_le_bytes());
            v.extend_from_slice(&f.to_le_bytes());
            v.extend_from_slice(&(d.len() as u32).to_le_bytes());
            v.extend_from_slice(&orig.to_le_bytes());
            v.extend_from_slice(d);
        }
        v
    }

    type Got = Vec<(u64, i64, Vec<u8>, u32)>;

    fn collect(mut r: CaptureReader) -> (Got, ReaderStats) {
        let mut out = Vec::new();
        while let Some(p) = r.next_packet().unwrap() {
            out.push((p.file_offset, p.ts_ns, p.data.to_vec(), p.origlen));
        }
        (out, r.stats().clone())
    }

    #[test]
    fn pcap_micro_and_nano_timestamps_and_offsets() {
        let b = pcap_bytes(false, &[(10, 5, b"abcd", 4), (11, 999_999, b"xy", 60)]);
        let (pk, st) = collect(CaptureReader::from_reader(io::Cursor::new(b)).unwrap());
        assert_eq!(pk.len(), 2);
        assert_eq!(pk[0], (24, 10_000_005_000, b"abcd".to_vec(), 4));
        assert_eq!(pk[1].0, 24 + 16 + 4);
        assert_eq!(pk[1].1, 11_999_999_000);
        assert_eq!(pk[1].3, 60);
        assert_eq!(st.truncated_tail, 0);
        let b = pcap_bytes(true, &[(10, 5, b"abcd", 4)]);
        let (pk, _) = collect(CaptureReader::from_reader(io::Cursor::new(b)).unwrap());
        assert_eq!(pk[0].1, 10_000_000_005);
    }

    #[test]
    fn truncated_tail_is_counted_not_looped() {
        let mut b = pcap_bytes(false, &[(1, 0, &[7u8; 100], 100), (2, 0, &[8u8; 100], 100)]);
        b.truncate(b.len() - 30);
        let (pk, st) = collect(CaptureReader::from_reader(io::Cursor::new(b)).unwrap());
        assert_eq!(pk.len(), 1);
        assert_eq!(st.truncated_tail, 1);
        assert_eq!(st.truncated_tail_bytes, 16 + 70);
    }

    #[test]
    fn huge_caplen_stops_with_corrupt_count() {
        let mut b = pcap_bytes(false, &[(1, 0, b"ok", 2)]);
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&0xffff_fff0u32.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&[0u8; 64]);
        let (pk, st) = collect(CaptureReader::from_reader(io::Cursor::new(b)).unwrap());
        assert_eq!(pk.len(), 1);
        assert_eq!(st.corrupt_stop, 1);
    }

    #[test]
    fn records_bigger_than_initial_buffer_grow_it() {
        let big = vec![0x55u8; 20_000];
        let b = pcap_bytes(false, &[(1, 0, &big, 20_000), (2, 0, b"z", 1)]);
        let cfg = ReaderConfig {
            initial_buffer: 4096,
            max_block: 1 << 20,
        };
        let r = CaptureReader::with_config(io::Cursor::new(b), Path::new("mem"), cfg).unwrap();
        let (pk, st) = collect(r);
        assert_eq!(pk.len(), 2);
        assert_eq!(pk[0].2.len(), 20_000);
        assert_eq!(pk[1].2, b"z");
        assert_eq!(
            st,
            ReaderStats {
                packets: 2,
                packet_bytes: 20_001,
                stream_bytes: 24 + 16 + 20_000 + 17,
                ..Default::default()
            }
        );
    }

    #[test]
    fn gzip_and_zstd_are_detected() {
        use std::io::Write;
        let b = pcap_bytes(false, &[(1, 0, b"hello", 5)]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&b).unwrap();
        let gz = gz.finish().unwrap();
        let r = CaptureReader::from_reader(io::Cursor::new(gz)).unwrap();
        assert_eq!(r.compression(), Compression::Gzip);
        assert_eq!(collect(r).0[0].2, b"hello");
        let zs = zstd::stream::encode_all(io::Cursor::new(b), 1).unwrap();
        let r = CaptureReader::from_reader(io::Cursor::new(zs)).unwrap();
        assert_eq!(r.compression(), Compression::Zstd);
        assert_eq!(collect(r).0[0].2, b"hello");
    }

    #[test]
    fn not_a_capture_is_an_error() {
        let e = CaptureReader::from_reader(io::Cursor::new(b"GET / HTTP/1.1\r\n".to_vec()))
            .unwrap_err();
        assert!(e.to_string().contains("not a pcap"), "{e}");
    }

    fn le32(v: &mut Vec<u8>, x: u32) {
        v.extend_from_slice(&x.to_le_bytes());
    }

    #[test]
    fn pcapng_two_interfaces_with_different_resolutions() {
        let mut v = Vec::new();
        // SHB
        le32(&mut v, 0x0a0d0d0a);
        le32(&mut v, 28);
        le32(&mut v, 0x1a2b3c4d);
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&0u16.to_le_bytes());
        v.extend_from_slice(&(-1i64).to_le_bytes());
        le32(&mut v, 28);
        // IDB 0: ethernet, default µs
        le32(&mut v, 1);
        le32(&mut v, 20);
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&0u16.to_le_bytes());
        le32(&mut v, 0);
        le32(&mut v, 20);
        // IDB 1: raw IP, if_tsresol = 9 (ns)
        le32(&mut v, 1);
        le32(&mut v, 32);
        v.extend_from_slice(&101u16.to_le_bytes());
        v.extend_from_slice(&0u16.to_le_bytes());
        le32(&mut v, 0);
        v.extend_from_slice(&9u16.to_le_bytes());
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&[9, 0, 0, 0]);
        v.extend_from_slice(&[0, 0, 0, 0]);
        le32(&mut v, 32);
        let epb = |v: &mut Vec<u8>, ifid: u32, ts: u64, data: &[u8]| {
            let pad = (4 - data.len() % 4) % 4;
            let len = 32 + data.len() + pad;
            le32(v, 6);
            le32(v, len as u32);
            le32(v, ifid);
            le32(v, (ts >> 32) as u32);
            le32(v, ts as u32);
            le32(v, data.len() as u32);
            le32(v, data.len() as u32);
            v.extend_from_slice(data);
            v.extend(std::iter::repeat_n(0, pad));
            le32(v, len as u32);
        };
        let off0 = v.len() as u64;
        epb(&mut v, 0, 1_700_000_000_123_456, b"eth");
        epb(&mut v, 1, 1_700_000_000_123_456_789, b"rawip");
        epb(&mut v, 7, 5, b"nope");
        let r = CaptureReader::from_reader(io::Cursor::new(v)).unwrap();
        assert_eq!(r.format(), CaptureFormat::PcapNg);
        let mut r = r;
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!(
            (p.file_offset, p.ts_ns, p.link_type, p.data),
            (off0, 1_700_000_000_123_456_000, 1, &b"eth"[..])
        );
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!(
            (p.ts_ns, p.link_type, p.interface, p.data),
            (1_700_000_000_123_456_789, 101, 1, &b"rawip"[..])
        );
        assert!(r.next_packet().unwrap().is_none());
        assert_eq!(r.stats().unknown_interface, 1);
    }
}
