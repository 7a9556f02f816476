//! [`IntelStore`]: imported feeds on disk, one pair of files per source.
//!
//! Layout of the store directory:
//!
//! ```text
//! <dir>/sources/<name>.jsonl       indicators, one JSON object per line
//! <dir>/sources/<name>.meta.json   SourceInfo: format, content hash, import time, counts
//! ```
//!
//! Why JSON lines rather than SQLite or a binary encoding: a source is
//! always replaced whole and always loaded whole (into a [`Matcher`]), so
//! there is nothing for an index or a query engine to do; JSON lines load at
//! hundreds of MB/s with serde, stay readable with `jq`/`grep` by the
//! analyst who wants to know why something matched, and survive changes to
//! [`Indicator`] (new fields default). A re-import writes a temporary file
//! and renames it over the old one, so a crash never leaves half a source.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::matcher::{Matcher, MatchHow};
use crate::parse::{self, Out, ParseStats};
use crate::{Error, FeedFormat, Indicator, IndicatorKind};

/// What to import and how.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Source name; default: the file name without extension, with
    /// characters outside `[A-Za-z0-9._-]` replaced by `-`.
    pub source: Option<String>,
    /// Feed format; default: sniffed from the file.
    pub format: Option<FeedFormat>,
    /// Whether this feed's domains also match their sub-domains (default
    /// true; a public suffix never matches its sub-domains).
    pub subdomains: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions { source: None, format: None, subdomains: true }
    }
}

/// One imported source, as recorded in `<name>.meta.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// Source name.
    pub name: String,
    /// Format it was read as.
    pub format: FeedFormat,
    /// The file it was imported from (as given).
    pub path: PathBuf,
    /// BLAKE3 of the feed file, hex.
    pub content_hash: String,
    /// Import time, RFC 3339 UTC.
    pub imported_at: String,
    /// `<first 16 hex digits of content_hash>@<imported_at>`: what a case
    /// records to say which intel it used.
    pub version: String,
    /// Indicators stored.
    pub indicators: u64,
    /// Indicators stored, by kind.
    pub by_kind: BTreeMap<IndicatorKind, u64>,
    /// Of which flagged non-alerting (MISP `to_ids: false`).
    pub non_alerting: u64,
    /// Lines/records rejected as malformed.
    pub rejected: u64,
    /// Patterns that could not be evaluated.
    pub unsupported: u64,
    /// Records skipped as not matchable.
    pub skipped: u64,
}

/// The result of one import: the recorded [`SourceInfo`] plus the parse
/// counters with samples of every problem.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// What was stored.
    pub source: SourceInfo,
    /// True when the format was sniffed, false when given.
    pub format_detected: bool,
    /// Counts and samples of rejected, unsupported and skipped records.
    pub stats: ParseStats,
}

/// A store lookup result: an indicator (owned) and how it matched.
#[derive(Debug, Clone, Serialize)]
pub struct LookupHit {
    /// The indicator.
    pub indicator: Indicator,
    /// How the looked-up value matched it.
    pub how: MatchHow,
}

/// The intel store: a directory of imported sources.
#[derive(Debug, Clone)]
pub struct IntelStore {
    dir: PathBuf,
}

fn file_err(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |e| Error::File { path: path.to_owned(), source: e }
}

/// Checks a source name: 1–64 of `[A-Za-z0-9._-]`, not starting with `.`.
pub fn valid_source_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn default_name(path: &Path) -> String {
    let stem = path.file_name().and_then(|s| s.to_str()).unwrap_or("");
    let stem = stem.split('.').next().unwrap_or("");
    let mut n: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '-' })
        .take(64)
        .collect();
    if n.is_empty() {
        n = "feed".into();
    }
    n
}

/// Feeds bytes read through it to a BLAKE3 hasher.
struct Hashing<R> {
    inner: R,
    hasher: blake3::Hasher,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

impl IntelStore {
    /// `$XDG_DATA_HOME/kensa/intel`, else `$HOME/.local/share/kensa/intel`;
    /// `None` when neither variable is set.
    pub fn default_dir() -> Option<PathBuf> {
        let base = match std::env::var_os("XDG_DATA_HOME") {
            Some(x) if !x.is_empty() => PathBuf::from(x),
            _ => PathBuf::from(std::env::var_os("HOME").filter(|h| !h.is_empty())?).join(".local/share"),
        };
        Some(base.join("kensa").join("intel"))
    }

    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: impl Into<PathBuf>) -> Result<IntelStore, Error> {
        let dir = dir.into();
        let sources = dir.join("sources");
        fs::create_dir_all(&sources).map_err(file_err(&sources))?;
        Ok(IntelStore { dir })
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn data_path(&self, name: &str) -> PathBuf {
        self.dir.join("sources").join(format!("{name}.jsonl"))
    }

    fn meta_path(&self, name: &str) -> PathBuf {
        self.dir.join("sources").join(format!("{name}.meta.json"))
    }

    /// Imports a feed file as one source, replacing any source of the same
    /// name. The file is streamed: parsed records go straight to disk.
    ///
    /// Errors: the file cannot be read; its format is unknown (and none was
    /// given); it yields zero valid indicators ([`Error::Empty`], with the
    /// reject samples); a JSON document is malformed.
    pub fn import(&self, path: impl AsRef<Path>, opts: ImportOptions) -> Result<ImportReport, Error> {
        let path = path.as_ref();
        let name = match &opts.source {
            Some(n) => n.clone(),
            None => default_name(path),
        };
        if !valid_source_name(&name) {
            return Err(Error::BadName(name));
        }
        let mut file = File::open(path).map_err(file_err(path))?;
        let mut head = Vec::with_capacity(crate::format::SNIFF_LEN);
        (&mut file).take(crate::format::SNIFF_LEN as u64).read_to_end(&mut head).map_err(file_err(path))?;
        let file_name = path.file_name().and_then(|s| s.to_str()).unwrap_or("");
        let (format, detected) = match opts.format {
            Some(f) => (f, false),
            None => match crate::format::sniff(&head, file_name) {
                Some(f) => (f, true),
                None => return Err(Error::UnknownFormat { path: path.to_owned() }),
            },
        };
        let reader = BufReader::with_capacity(
            256 * 1024,
            Hashing { inner: io::Cursor::new(head).chain(file), hasher: blake3::Hasher::new() },
        );
        let tmp = self.dir.join("sources").join(format!(".{name}.{}.tmp", std::process::id()));
        let result = self.write_source(&name, path, format, reader, &tmp, opts.subdomains);
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        let (stats, by_kind, hash) = result?;
        if stats.indicators == 0 {
            let _ = fs::remove_file(&tmp);
            return Err(Error::Empty { path: path.to_owned(), format, stats: Box::new(stats) });
        }
        let imported_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let info = SourceInfo {
            name: name.clone(),
            format,
            path: path.to_owned(),
            version: format!("{}@{imported_at}", &hash[..16]),
            content_hash: hash,
            imported_at,
            indicators: stats.indicators,
            by_kind,
            non_alerting: stats.non_alerting,
            rejected: stats.rejected.count,
            unsupported: stats.unsupported.count,
            skipped: stats.skipped.count,
        };
        let data = self.data_path(&name);
        fs::rename(&tmp, &data).map_err(file_err(&data))?;
        let meta = self.meta_path(&name);
        let meta_tmp = self.dir.join("sources").join(format!(".{name}.{}.meta.tmp", std::process::id()));
        let json = serde_json::to_vec_pretty(&info).map_err(|e| Error::Io(io::Error::other(e)))?;
        fs::write(&meta_tmp, json).map_err(file_err(&meta_tmp))?;
        fs::rename(&meta_tmp, &meta).map_err(file_err(&meta))?;
        Ok(ImportReport { source: info, format_detected: detected, stats })
    }

    #[allow(clippy::type_complexity)]
    fn write_source<R: Read>(
        &self,
        name: &str,
        path: &Path,
        format: FeedFormat,
        mut reader: BufReader<Hashing<R>>,
        tmp: &Path,
        subdomains: bool,
    ) -> Result<(ParseStats, BTreeMap<IndicatorKind, u64>, String), Error> {
        let f = File::create(tmp).map_err(file_err(tmp))?;
        let mut w = BufWriter::with_capacity(256 * 1024, f);
        let mut by_kind: BTreeMap<IndicatorKind, u64> = BTreeMap::new();
        let stats = {
            let mut out = Out::new(name, |ind: Indicator| {
                *by_kind.entry(ind.kind).or_default() += 1;
                serde_json::to_writer(&mut w, &ind).map_err(io::Error::other)?;
                w.write_all(b"\n")
            });
            out.subdomains = subdomains;
            parse::parse_feed(format, &mut reader, &mut out).map_err(|e| match e {
                Error::Io(io) => Error::File { path: path.to_owned(), source: io },
                other => Error::WithPath { path: path.to_owned(), source: Box::new(other) },
            })?;
            ParseStats::from(&out)
        };
        // Hash whatever the parser did not read (e.g. trailing bytes).
        io::copy(&mut reader, &mut io::sink()).map_err(file_err(path))?;
        w.flush().map_err(file_err(tmp))?;
        w.into_inner().map_err(|e| Error::File { path: tmp.to_owned(), source: e.into_error() })?.sync_all().map_err(file_err(tmp))?;
        let hash = reader.into_inner().hasher.finalize().to_hex().to_string();
        Ok((stats, by_kind, hash))
    }

    /// All sources, sorted by name.
    pub fn sources(&self) -> Result<Vec<SourceInfo>, Error> {
        let dir = self.dir.join("sources");
        let mut v = Vec::new();
        for e in fs::read_dir(&dir).map_err(file_err(&dir))? {
            let e = e.map_err(file_err(&dir))?;
            let p = e.path();
            let Some(n) = p.file_name().and_then(|s| s.to_str()) else { continue };
            if n.starts_with('.') || !n.ends_with(".meta.json") {
                continue;
            }
            let bytes = fs::read(&p).map_err(file_err(&p))?;
            let info: SourceInfo = serde_json::from_slice(&bytes)
                .map_err(|e| Error::Corrupt { path: p.clone(), line: e.line() as u64, message: e.to_string() })?;
            v.push(info);
        }
        v.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(v)
    }

    /// Removes a source. [`Error::NoSuchSource`] if there is none.
    pub fn remove(&self, name: &str) -> Result<(), Error> {
        if !valid_source_name(name) {
            return Err(Error::BadName(name.to_owned()));
        }
        let meta = self.meta_path(name);
        if !meta.exists() {
            return Err(Error::NoSuchSource(name.to_owned()));
        }
        fs::remove_file(&meta).map_err(file_err(&meta))?;
        let data = self.data_path(name);
        match fs::remove_file(&data) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::File { path: data, source: e }),
            _ => Ok(()),
        }
    }

    /// The indicators of one source, in feed order.
    pub fn source_indicators(&self, name: &str) -> Result<Vec<Indicator>, Error> {
        if !valid_source_name(name) {
            return Err(Error::BadName(name.to_owned()));
        }
        if !self.meta_path(name).exists() {
            return Err(Error::NoSuchSource(name.to_owned()));
        }
        let mut v = Vec::new();
        let mut interner = HashSet::new();
        self.load_into(name, &mut v, &mut interner)?;
        Ok(v)
    }

    fn load_into(&self, name: &str, v: &mut Vec<Indicator>, interner: &mut HashSet<Arc<str>>) -> Result<(), Error> {
        let p = self.data_path(name);
        let f = File::open(&p).map_err(file_err(&p))?;
        let mut r = BufReader::with_capacity(256 * 1024, f);
        let mut line = String::new();
        let mut no = 0u64;
        let mut intern = |a: Arc<str>| -> Arc<str> {
            if let Some(x) = interner.get(&a) {
                x.clone()
            } else {
                interner.insert(a.clone());
                a
            }
        };
        loop {
            line.clear();
            if r.read_line(&mut line).map_err(file_err(&p))? == 0 {
                break;
            }
            no += 1;
            if line.trim().is_empty() {
                continue;
            }
            let mut ind: Indicator = serde_json::from_str(&line)
                .map_err(|e| Error::Corrupt { path: p.clone(), line: no, message: e.to_string() })?;
            ind.source = intern(ind.source);
            ind.threat_type = ind.threat_type.map(&mut intern);
            ind.malware = ind.malware.map(&mut intern);
            v.push(ind);
        }
        Ok(())
    }

    /// Every indicator of every source.
    pub fn indicators(&self) -> Result<Vec<Indicator>, Error> {
        let mut v = Vec::new();
        let mut interner = HashSet::new();
        for s in self.sources()? {
            self.load_into(&s.name, &mut v, &mut interner)?;
        }
        Ok(v)
    }

    /// A [`Matcher`] over every source.
    pub fn matcher(&self) -> Result<Matcher, Error> {
        Ok(Matcher::new(self.indicators()?))
    }

    /// Looks one value up in every source with [`Matcher::match_any`]
    /// semantics (so `x.evil.com` finds a listed `evil.com`, and an IP
    /// finds the networks that contain it).
    pub fn lookup(&self, value: &str) -> Result<Vec<LookupHit>, Error> {
        let m = self.matcher()?;
        Ok(m.match_any(value).into_iter().map(|h| LookupHit { indicator: m.indicator(h.id).clone(), how: h.how }).collect())
    }
}
