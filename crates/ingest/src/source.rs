//! Input discovery and opening: paths, directories, globs and stdin;
//! transparent decompression (gzip incl. multi-member, bzip2, zstd, xz) and
//! tar and ZIP archives, recognised by their magic bytes rather than their names.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// One thing the user named, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSpec {
    /// A regular file.
    File(PathBuf),
    /// Standard input.
    Stdin,
}

impl InputSpec {
    /// How the input is shown to the user and stored in the manifest.
    pub fn display(&self) -> String {
        match self {
            InputSpec::File(p) => p.display().to_string(),
            InputSpec::Stdin => "-".to_string(),
        }
    }
}

/// A user argument that named nothing readable.
#[derive(Debug, Clone)]
pub struct BadArg {
    /// The argument as given.
    pub arg: String,
    /// Why it resolved to nothing.
    pub reason: String,
}

/// Expands user arguments: files as they are, directories recursively
/// (sorted, hidden files skipped), glob patterns, `-` for stdin. Arguments
/// that match nothing are returned separately so the caller can report them.
pub fn expand_inputs(args: &[String]) -> (Vec<InputSpec>, Vec<BadArg>) {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for a in args {
        if a == "-" {
            out.push(InputSpec::Stdin);
            continue;
        }
        let p = Path::new(a);
        if p.is_dir() {
            let before = out.len();
            walk_dir(p, &mut out, &mut bad);
            if out.len() == before {
                bad.push(BadArg { arg: a.clone(), reason: "directory holds no files".into() });
            }
        } else if p.exists() {
            out.push(InputSpec::File(p.to_path_buf()));
        } else if a.contains(['*', '?', '[']) {
            match glob::glob(a) {
                Ok(paths) => {
                    let mut n = 0;
                    for e in paths {
                        match e {
                            Ok(p) if p.is_dir() => walk_dir(&p, &mut out, &mut bad),
                            Ok(p) => out.push(InputSpec::File(p)),
                            Err(e) => bad.push(BadArg { arg: e.path().display().to_string(), reason: e.error().to_string() }),
                        }
                        n += 1;
                    }
                    if n == 0 {
                        bad.push(BadArg { arg: a.clone(), reason: "pattern matches no file".into() });
                    }
                }
                Err(e) => bad.push(BadArg { arg: a.clone(), reason: format!("bad pattern: {e}") }),
            }
        } else {
            bad.push(BadArg { arg: a.clone(), reason: "no such file or directory".into() });
        }
    }
    (out, bad)
}

fn walk_dir(dir: &Path, out: &mut Vec<InputSpec>, bad: &mut Vec<BadArg>) {
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            bad.push(BadArg { arg: dir.display().to_string(), reason: e.to_string() });
            return;
        }
    };
    entries.sort();
    for p in entries {
        let hidden = p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            walk_dir(&p, out, bad);
        } else if p.is_file() {
            out.push(InputSpec::File(p));
        }
    }
}

/// Compression recognised from magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Not compressed.
    None,
    /// gzip (multi-member streams are read to the end).
    Gzip,
    /// bzip2.
    Bzip2,
    /// Zstandard.
    Zstd,
    /// xz / LZMA2.
    Xz,
}

impl Compression {
    /// Recognises a compression from the first bytes of a stream.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(b"BZh") && head.len() > 3 && head[3].is_ascii_digit() {
            Compression::Bzip2
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else {
            Compression::None
        }
    }

    /// Name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Bzip2 => "bzip2",
            Compression::Zstd => "zstd",
            Compression::Xz => "xz",
        }
    }
}

/// Counts the bytes read into a shared counter (for the progress display)
/// and, when asked, hashes them: the raw input for the manifest, the
/// decoded text for the duplicate check, or nothing (a ZIP read through its
/// directory, where only the count matters and `Seek` passes through).
pub struct CountingHasher<R> {
    inner: R,
    hasher: Option<blake3::Hasher>,
    read: Arc<AtomicU64>,
}

impl<R> CountingHasher<R> {
    /// Wraps `inner`, adding every byte read to `counter` and hashing them.
    pub fn new(inner: R, counter: Arc<AtomicU64>) -> Self {
        CountingHasher { inner, hasher: Some(blake3::Hasher::new()), read: counter }
    }

    /// Counts only; seeking is allowed (the bytes read are then not one
    /// stream, so nothing is hashed).
    pub fn counting(inner: R, counter: Arc<AtomicU64>) -> Self {
        CountingHasher { inner, hasher: None, read: counter }
    }

    /// Hashes only when `enabled` (the decoded text of an input).
    pub fn text(inner: R, enabled: bool) -> Self {
        CountingHasher { inner, hasher: enabled.then(blake3::Hasher::new), read: Arc::default() }
    }

    /// The hash (hex) of what was read, if hashing. Drops the reader.
    pub fn finish(self) -> Option<String> {
        self.hasher.map(|h| h.finalize().to_hex().to_string())
    }
}

impl<R: Read> Read for CountingHasher<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: io::Seek> io::Seek for CountingHasher<R> {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        debug_assert!(self.hasher.is_none(), "a hashed stream is read front to back");
        self.inner.seek(pos)
    }
}

/// A shareable handle to the final hash of a [`CountingHasher`] (filled when
/// the reader is dropped).
pub type HashSlot = Arc<std::sync::Mutex<Option<String>>>;

/// Like [`CountingHasher`] but publishes its hash into a slot on drop, so the
/// hash is available after a decompressor that owns it is gone.
pub struct HashOnDrop<R: Read> {
    inner: CountingHasher<R>,
    slot: HashSlot,
}

impl<R: Read> Read for HashOnDrop<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl<R: Read> Drop for HashOnDrop<R> {
    fn drop(&mut self) {
        // Drain what the decompressor did not read (trailing garbage,
        // padding) so the hash covers the whole input.
        let mut sink = [0u8; 64 * 1024];
        while let Ok(n) = self.inner.read(&mut sink) {
            if n == 0 {
                break;
            }
        }
        let h = self.inner.hasher.take().map(|h| h.finalize().to_hex().to_string());
        if let Ok(mut s) = self.slot.lock() {
            *s = h;
        }
    }
}

/// Wraps a raw reader so that its bytes are counted into `counter` and its
/// blake3 hash lands in the returned slot when the reader is dropped.
pub fn hashing<R: Read>(inner: R, counter: Arc<AtomicU64>) -> (HashOnDrop<R>, HashSlot) {
    let slot: HashSlot = Arc::new(std::sync::Mutex::new(None));
    (HashOnDrop { inner: CountingHasher::new(inner, counter), slot: slot.clone() }, slot)
}

/// Reads `inner` on a thread of its own, [`READ_AHEAD_CHUNK`] bytes at a
/// time and up to [`READ_AHEAD_DEPTH`] chunks ahead of the consumer, so that
/// the `read` system call and whatever `inner` does per byte (a
/// [`HashOnDrop`]'s blake3) overlap with the consumer's work instead of
/// adding to it. Used for captures, whose engine thread is the critical path
/// of a two-thread ingest (BENCHMARKS.md, "read-ahead").
///
/// Dropping it stops the thread and waits for it, so `inner` has been dropped
/// (and a [`HashOnDrop`] has published its hash) when the drop returns.
/// Chunks go back to the thread for reuse, so memory stays at a few chunks.
pub struct ReadAhead {
    rx: Option<std::sync::mpsc::Receiver<io::Result<Vec<u8>>>>,
    free: std::sync::mpsc::Sender<Vec<u8>>,
    cur: Vec<u8>,
    pos: usize,
    done: bool,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Bytes per [`ReadAhead`] chunk.
pub const READ_AHEAD_CHUNK: usize = 1 << 20;
/// Chunks a [`ReadAhead`] may hold ready before its consumer takes them.
pub const READ_AHEAD_DEPTH: usize = 4;

impl ReadAhead {
    /// Starts the reading thread over `inner`.
    pub fn spawn<R: Read + Send + 'static>(mut inner: R) -> io::Result<ReadAhead> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(READ_AHEAD_DEPTH);
        let (free, free_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let thread = std::thread::Builder::new().name("kensa-read".into()).spawn(move || {
            loop {
                // A recycled chunk keeps its full length: no zeroing.
                let mut buf = free_rx.try_recv().unwrap_or_default();
                buf.resize(READ_AHEAD_CHUNK, 0);
                let (n, err) = fill(&mut inner, &mut buf);
                buf.truncate(n);
                // Bytes read before an error still go out first. A closed
                // channel: the consumer is gone.
                if n > 0 && tx.send(Ok(buf)).is_err() {
                    break;
                }
                match err {
                    Some(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                    None if n == 0 => break,
                    None => {}
                }
            }
            drop(inner);
        })?;
        Ok(ReadAhead { rx: Some(rx), free, cur: Vec::new(), pos: 0, done: false, thread: Some(thread) })
    }
}

/// Copies what is left of `held` from `*pos` into `out`, advancing `*pos`;
/// `None` once `held` is used up (the caller refills it). The `Read` step of
/// the adapters that hold decoded or read-ahead bytes.
fn serve(held: &[u8], pos: &mut usize, out: &mut [u8]) -> Option<usize> {
    let rest = held.get(*pos..).filter(|r| !r.is_empty())?;
    let n = out.len().min(rest.len());
    out[..n].copy_from_slice(&rest[..n]);
    *pos += n;
    Some(n)
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(n) = serve(&self.cur, &mut self.pos, out) {
                return Ok(n);
            }
            if self.done || out.is_empty() {
                return Ok(0);
            }
            let used = std::mem::take(&mut self.cur);
            if used.capacity() > 0 {
                let _ = self.free.send(used);
            }
            self.pos = 0;
            match self.rx.as_ref().map(|rx| rx.recv()) {
                Some(Ok(Ok(chunk))) => self.cur = chunk,
                Some(Ok(Err(e))) => {
                    self.done = true;
                    return Err(e);
                }
                Some(Err(_)) | None => {
                    // The thread is gone: at the end of `inner`, or by a panic,
                    // which must not pass for a clean end of input.
                    self.done = true;
                    if let Some(t) = self.thread.take()
                        && t.join().is_err()
                    {
                        return Err(io::Error::other("the read-ahead thread failed"));
                    }
                    return Ok(0);
                }
            }
        }
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        // Closing the channel wakes a thread blocked on a full queue.
        drop(self.rx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Opens a decompressing reader over `raw`, choosing the codec from the
/// first bytes. Returns the codec used.
pub fn decompress<'a, R: Read + 'a>(raw: R) -> io::Result<(Box<dyn BufRead + 'a>, Compression)> {
    let mut br = BufReader::with_capacity(256 * 1024, raw);
    let head = br.fill_buf()?;
    let c = Compression::sniff(head);
    let r: Box<dyn BufRead + 'a> = match c {
        Compression::None => Box::new(br),
        Compression::Gzip => Box::new(BufReader::with_capacity(1 << 20, flate2::bufread::MultiGzDecoder::new(br))),
        Compression::Bzip2 => Box::new(BufReader::with_capacity(1 << 20, bzip2::bufread::MultiBzDecoder::new(br))),
        Compression::Zstd => Box::new(BufReader::with_capacity(1 << 20, zstd::stream::read::Decoder::with_buffer(br)?)),
        Compression::Xz => Box::new(BufReader::with_capacity(
            1 << 20,
            liblzma::bufread::XzDecoder::new_multi_decoder(br),
        )),
    };
    Ok((r, c))
}

/// The UTF-16 encoding a (decompressed) stream's byte-order mark names, if
/// any. Windows PowerShell 5 writes UTF-16LE with a BOM for `>` and
/// `Out-File`, so logs exported or re-saved there arrive like this.
pub fn utf16_bom(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    match encoding_rs::Encoding::for_bom(head) {
        Some((enc, 2)) if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE => Some(enc),
        _ => None,
    }
}

/// Reads a UTF-16 stream (BOM included) as UTF-8, so every line parser sees
/// the text it expects. Unpaired surrogates become U+FFFD, as any UTF-16
/// reader would show them. The conversion is `encoding_rs`'s streaming
/// decoder; this is only the `Read` adapter around it.
pub struct Utf16ToUtf8<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    out: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<R: BufRead> Utf16ToUtf8<R> {
    /// `enc` from [`utf16_bom`]; the BOM itself is dropped.
    pub fn new(inner: R, enc: &'static encoding_rs::Encoding) -> Self {
        Utf16ToUtf8 { inner, decoder: enc.new_decoder_with_bom_removal(), out: Vec::new(), pos: 0, done: false }
    }
}

impl<R: BufRead> Read for Utf16ToUtf8<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(n) = serve(&self.out, &mut self.pos, buf) {
                return Ok(n);
            }
            if self.done {
                return Ok(0);
            }
            let src = self.inner.fill_buf()?;
            let last = src.is_empty();
            let cap = self.decoder.max_utf8_buffer_length(src.len()).unwrap_or(src.len() * 3 + 16).max(16);
            self.out.clear();
            self.out.resize(cap, 0);
            let (_, read, written, _) = self.decoder.decode_to_utf8(src, &mut self.out, last);
            self.inner.consume(read);
            self.out.truncate(written);
            self.pos = 0;
            self.done = last;
        }
    }
}

/// Whether a stream starts like a ZIP archive (a local file header, or the
/// end-of-directory record of an empty archive).
pub fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

/// Whether the file at `p` starts like a ZIP archive ([`is_zip`]); false
/// when it cannot be read (the streaming path then reports why).
pub fn file_is_zip(p: &Path) -> bool {
    let mut head = [0u8; 4];
    File::open(p).and_then(|mut f| f.read_exact(&mut head)).is_ok() && is_zip(&head)
}

/// Whether a (decompressed) stream starts with a tar header.
pub fn is_tar(head: &[u8]) -> bool {
    head.len() >= 262 && &head[257..262] == b"ustar"
}

/// Whether a (decompressed) stream starts like a packet capture.
pub fn is_pcap(head: &[u8]) -> bool {
    matches!(
        head.get(..4),
        Some([0xd4, 0xc3, 0xb2, 0xa1])
            | Some([0xa1, 0xb2, 0xc3, 0xd4])
            | Some([0x4d, 0x3c, 0xb2, 0xa1])
            | Some([0xa1, 0xb2, 0x3c, 0x4d])
            | Some([0x0a, 0x0d, 0x0d, 0x0a])
    )
}

/// A cheap identity of a file for "already ingested?" checks before reading
/// it whole: blake3 over its size and its first and last 64 KiB.
pub fn quick_hash(path: &Path) -> io::Result<(String, u64)> {
    use std::io::{Seek, SeekFrom};
    let mut f = File::open(path)?;
    let size = f.metadata()?.len();
    let mut h = blake3::Hasher::new();
    h.update(&size.to_le_bytes());
    let mut buf = vec![0u8; 64 * 1024];
    let n = read_full(&mut f, &mut buf)?;
    h.update(&buf[..n]);
    if size > 128 * 1024 {
        f.seek(SeekFrom::Start(size - 64 * 1024))?;
        let n = read_full(&mut f, &mut buf)?;
        h.update(&buf[..n]);
    }
    Ok((h.finalize().to_hex().to_string(), size))
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    match fill(r, buf) {
        (n, None) => Ok(n),
        (_, Some(e)) => Err(e),
    }
}

/// Reads until `buf` is full or the input ends: the bytes read, and the
/// error that stopped it early, if one did.
fn fill(r: &mut impl Read, buf: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (n, Some(e)),
        }
    }
    (n, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A reader that hands out `data` in uneven pieces, then fails once.
    struct Uneven {
        data: Vec<u8>,
        pos: usize,
        fail_at_end: bool,
    }
    impl Read for Uneven {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.pos == self.data.len() {
                if std::mem::take(&mut self.fail_at_end) {
                    return Err(io::Error::other("disk went away"));
                }
                return Ok(0);
            }
            let n = out.len().min(self.data.len() - self.pos).min(1 + self.pos % 70_001);
            out[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 + i / 977) as u8).collect()
    }

    #[test]
    fn read_ahead_gives_every_byte_in_order() {
        // Several chunks, a partial last one, read through odd-sized buffers.
        let data = pattern(3 * READ_AHEAD_CHUNK + 12_345);
        let mut r = ReadAhead::spawn(Uneven { data: data.clone(), pos: 0, fail_at_end: false }).unwrap();
        let mut got = Vec::new();
        let mut buf = vec![0u8; 65_521];
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got.len(), data.len());
        assert!(got == data, "bytes differ");
        assert_eq!(r.read(&mut buf).unwrap(), 0, "stays at the end");
        // An empty input is an immediate end.
        let mut e = ReadAhead::spawn(io::empty()).unwrap();
        assert_eq!(e.read(&mut buf).unwrap(), 0);
    }

    #[test]
    fn read_ahead_passes_on_an_error_after_the_bytes_before_it() {
        let data = pattern(READ_AHEAD_CHUNK + 10);
        let mut r = ReadAhead::spawn(Uneven { data: data.clone(), pos: 0, fail_at_end: true }).unwrap();
        let mut got = Vec::new();
        let err = loop {
            let mut buf = vec![0u8; 100_000];
            match r.read(&mut buf) {
                Ok(0) => panic!("the error was swallowed as an end of input"),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => break e,
            }
        };
        assert_eq!(err.to_string(), "disk went away");
        assert!(got == data, "bytes before the error must all arrive");
    }

    #[test]
    fn read_ahead_dropped_early_still_hashes_the_whole_input() {
        let data = pattern(5 * READ_AHEAD_CHUNK + 7);
        let counter = Arc::new(AtomicU64::new(0));
        let (h, slot) = hashing(io::Cursor::new(data.clone()), counter.clone());
        let mut r = ReadAhead::spawn(h).unwrap();
        let mut buf = [0u8; 1000];
        r.read_exact(&mut buf).unwrap();
        assert_eq!(&buf[..], &data[..1000]);
        drop(r);
        // The drop waited for the thread, which drained the rest into the hash.
        let got = slot.lock().unwrap().clone();
        assert_eq!(got.as_deref(), Some(blake3::hash(&data).to_hex().as_str()));
        assert_eq!(counter.load(Ordering::Relaxed), data.len() as u64);
    }

    #[test]
    fn sniffs_compression() {
        assert_eq!(Compression::sniff(&[0x1f, 0x8b, 8]), Compression::Gzip);
        assert_eq!(Compression::sniff(b"BZh9"), Compression::Bzip2);
        assert_eq!(Compression::sniff(&[0x28, 0xb5, 0x2f, 0xfd]), Compression::Zstd);
        assert_eq!(Compression::sniff(&[0xfd, b'7', b'z', b'X', b'Z', 0]), Compression::Xz);
        assert_eq!(Compression::sniff(b"1700000000.000"), Compression::None);
    }

    #[test]
    fn multi_member_gzip_reads_all_members() {
        let mut data = Vec::new();
        for part in ["a\n", "b\n"] {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(part.as_bytes()).unwrap();
            data.extend(e.finish().unwrap());
        }
        let (mut r, c) = decompress(&data[..]).unwrap();
        assert_eq!(c, Compression::Gzip);
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "a\nb\n");
    }

    #[test]
    fn expands_dirs_globs_and_reports_missing() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        std::fs::write(d.path().join("a.log"), "x").unwrap();
        std::fs::write(d.path().join("sub/b.log"), "y").unwrap();
        std::fs::write(d.path().join(".hidden"), "z").unwrap();
        let (ins, bad) = expand_inputs(&[d.path().display().to_string()]);
        assert_eq!(ins.len(), 2);
        assert!(bad.is_empty());
        let pat = format!("{}/*.log", d.path().display());
        let (ins, _) = expand_inputs(&[pat, "/nonexistent/x".into(), "-".into()]);
        assert_eq!(ins.len(), 2);
        assert_eq!(ins[1], InputSpec::Stdin);
        let (_, bad) = expand_inputs(&["/nonexistent/x".into()]);
        assert_eq!(bad.len(), 1);
    }
}
