//! # kensa-intel
//!
//! Threat intelligence for kensa: read public feeds into a small on-disk
//! store, then match hosts, IPs, URLs and TLS fingerprints from proxy logs
//! and packet captures against them.
//!
//! Main types:
//! * [`IntelStore`]: a directory of imported sources. [`IntelStore::import`]
//!   sniffs (or is told) a feed's [`FeedFormat`], streams it, and stores its
//!   [`Indicator`]s under a source name with a version (content hash +
//!   import time); re-importing a name replaces it. [`IntelStore::sources`],
//!   [`IntelStore::remove`] and [`IntelStore::lookup`] serve the CLI.
//! * [`Matcher`]: every indicator in lookup tables, built once and shared
//!   (`Send + Sync`). [`Matcher::match_host`] (exact and parent domains),
//!   [`Matcher::match_ip`] (exact and every covering CIDR, longest first),
//!   [`Matcher::match_url`] (normalised, exact and by path prefix) and
//!   [`Matcher::match_hash`] return [`Hit`]s and allocate nothing on a miss;
//!   [`Matcher::match_url_host`] finds URL indicators by host alone (HTTPS
//!   `CONNECT` records), and [`Matcher::match_any`] guesses the kind.
//! * [`Indicator`]: kind, normalised value, source, first/last seen,
//!   confidence, threat type, malware family, tags, reference link.
//!
//! Feeds read: abuse.ch URLhaus (CSV, text), Feodo Tracker (both CSV
//! layouts, text, JSON), ThreatFox (CSV, JSON), SSLBL (JA3, certificate
//! SHA-1), Spamhaus DROP/EDROP (text, JSON lines), MISP events, STIX 2.1
//! bundles, plain and hosts-file lists, `type,indicator` CSV, Tor exit
//! lists. Malformed records are counted and sampled ([`Issues`]), never
//! fatal; a feed with no valid indicator is an error ([`Error::Empty`]).
//!
//! MISP `to_ids: false` attributes are **kept and flagged**
//! (`alerting: false`): they still match, and the detector decides whether
//! such a match alerts. STIX patterns that cannot be evaluated are counted
//! as `unsupported`, with samples (see [`stix_pattern`]).
//!
//! Measured on 1M generated indicators (2-core VM, shared): criterion
//! medians (`benches/intel.rs`) `Matcher::new` 0.54 s, store load + build
//! 1.2 s, 8.2 M host and 17 M IP lookups/s (half hits); CPU time of one
//! thread (`examples/rates.rs`) 0.29 s to build, 7 M host and 22 M IP
//! lookups/s.
//!
//! ```
//! use kensa_intel::{IntelStore, ImportOptions, MatchHow};
//! let dir = tempfile::tempdir().unwrap();
//! let feed = dir.path().join("blocklist.txt");
//! std::fs::write(&feed, "# my list\nevil.example.com\n198.51.100.0/24\nhttp://bad.example.net/dl/\n").unwrap();
//! let store = IntelStore::open(dir.path().join("intel")).unwrap();
//! let report = store.import(&feed, ImportOptions::default()).unwrap();
//! assert_eq!(report.source.indicators, 3);
//! let m = store.matcher().unwrap();
//! assert_eq!(m.match_host("WWW.Evil.Example.com")[0].how, MatchHow::Subdomain);
//! assert_eq!(m.match_ip("198.51.100.7".parse().unwrap())[0].how, MatchHow::Cidr { prefix_len: 24 });
//! assert_eq!(m.match_url("http://bad.example.net:80/dl/x.exe")[0].how, MatchHow::UrlPrefix);
//! assert!(m.match_host("example.com").is_empty());
//! ```
#![deny(missing_docs)]

mod format;
mod indicator;
mod matcher;
pub mod normalize;
pub mod parse;
mod store;

use std::path::PathBuf;

pub use format::{FeedFormat, SNIFF_LEN, sniff};
pub use indicator::{Indicator, IndicatorKind};
pub use matcher::{Hit, IndicatorId, MatchHow, Matcher, MatcherStats};
pub use parse::stix::{PatternIoc, stix_pattern};
pub use parse::{Issue, Issues, ParseStats, parse_bytes};
pub use store::{ImportOptions, ImportReport, IntelStore, LookupHit, SourceInfo, valid_source_name};

/// What can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An I/O error not tied to one file (a parser's reader or sink).
    #[error("I/O error: {0}")]
    Io(std::io::Error),
    /// The feed's format could not be recognised.
    #[error("{}: unknown feed format; pass one explicitly (known: urlhaus-csv, urlhaus-text, feodo-csv, feodo-text, feodo-json, threatfox-csv, threatfox-json, sslbl-ja3, sslbl-sha1, spamhaus-drop, spamhaus-drop-json, misp, stix, plain-list, typed-csv, tor-exit-list, tor-exit-addresses)", path.display())]
    UnknownFormat {
        /// The feed file.
        path: PathBuf,
    },
    /// The feed parsed but gave no valid indicator; `stats` holds the
    /// counts and samples of what was rejected or skipped.
    #[error("{}: no valid indicators read as {format} ({} rejected, {} unsupported, {} skipped){}", path.display(), stats.rejected.count, stats.unsupported.count, stats.skipped.count, first_sample(stats))]
    Empty {
        /// The feed file.
        path: PathBuf,
        /// The format it was read as.
        format: FeedFormat,
        /// What the parser saw.
        stats: Box<ParseStats>,
    },
    /// A JSON feed is not valid JSON (the document cannot be read further).
    #[error("JSON syntax error at line {line}, column {column}: {message}")]
    Json {
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: u64,
        /// serde_json's message.
        message: String,
    },
    /// An error in a given file.
    #[error("{}: {source}", path.display())]
    WithPath {
        /// The file.
        path: PathBuf,
        /// The error.
        source: Box<Error>,
    },
    /// A source name outside `[A-Za-z0-9._-]{1,64}` (or starting with `.`).
    #[error("invalid source name `{0}`: use 1-64 characters from A-Z a-z 0-9 . _ - (not starting with .)")]
    BadName(String),
    /// No source of that name in the store.
    #[error("no intel source named `{0}`")]
    NoSuchSource(String),
    /// A store file does not parse (edited by hand, or disk damage).
    #[error("{}:{line}: corrupt intel store file: {message}", path.display())]
    Corrupt {
        /// The store file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        message: String,
    },
}

fn first_sample(s: &ParseStats) -> String {
    match s.rejected.samples.first().or(s.unsupported.samples.first()).or(s.skipped.samples.first()) {
        Some(i) => format!("; first: line {}: {}", i.line, i.reason),
        None => String::new(),
    }
}
