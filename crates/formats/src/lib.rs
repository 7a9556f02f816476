//! # kensa-formats
//!
//! Pure, line-at-a-time parsers for the web-proxy log formats kensa reads,
//! and the sniffer that tells them apart. Each parser turns one line of text
//! into a [`kensa_model::WebRecord`] that borrows from the line, or says why
//! it cannot ([`kensa_model::Reject`]). Parsers never do I/O, never panic on
//! any input, and know nothing of files, compression, Arrow or Parquet:
//! `kensa-ingest` owns all of that.
//!
//! * [`squid`]: Squid native, `common`, `combined`, and custom `logformat` lines.
//! * [`elff`]: W3C extended / Blue Coat ProxySG ELFF, driven by `#Fields:`,
//!   plus the headerless ProxySG syslog presets.
//! * [`ifilter`]: Digital Arts i-FILTER access and block logs.
//! * [`sniff`]: guesses the format from the first lines of an input
//!   ([`sniff::sniff`] over [`sniff::SNIFF_LINES`] lines; never below 50 %).
//! * [`text`]: shared helpers (run-of-spaces [`text::Fields`], fast numbers
//!   and time stamps, percent-decoding, UTF-8/CP932 line decoding).
//!
//! The main types: [`LineParser`] (one per input, stateful, `parse_line`
//! returns [`Parsed`]), [`ParseOptions`] (time zone, year, Squid
//! `logformat`, i-FILTER column mapping) and [`FormatError`] (bad options,
//! never a bad line). Build a parser with [`parser_for`].
//!
//! Robustness is tested, not assumed: `tests/robustness.rs` runs every
//! parser over mutated corpus lines, and `fuzz/` (cargo-fuzz) has one target
//! per Squid variant, one for the sniffer and one whose first byte picks any
//! format.
//!
//! ```
//! use kensa_formats::{parser_for, ParseOptions, Parsed};
//! use kensa_model::SourceFormat;
//! let mut p = parser_for(SourceFormat::SquidNative, &ParseOptions::default()).unwrap();
//! let line = "1700000000.123    250 10.0.0.5 TCP_MISS/200 1234 GET http://example.com/a - HIER_DIRECT/93.184.216.34 text/html";
//! match p.parse_line(line) {
//!     Parsed::Record(r) => assert_eq!(r.host.as_deref(), Some("example.com")),
//!     other => panic!("{other:?}"),
//! }
//! ```
#![deny(missing_docs)]

pub mod elff;
pub mod ifilter;
pub mod sniff;
pub mod squid;
pub mod text;

use kensa_model::{Reject, SourceFormat, WebRecord};

/// The longest line kensa accepts (64 KiB); longer lines are rejected as
/// `too_long` by the reader before they reach a parser.
pub const MAX_LINE_LEN: usize = 64 * 1024;

/// What one line turned into.
// `Record` is large on purpose: boxing it would allocate once per line on
// the hot path, which is what borrowing records exists to avoid.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Parsed<'a> {
    /// A web transaction.
    Record(WebRecord<'a>),
    /// A line that carries no record and is not an error: a blank line, a
    /// `#` comment or header (the parser may have learned from it).
    Skip,
    /// A line the parser could not use, with the reason.
    Reject(Reject),
}

/// A line parser. Stateful, because some formats change layout mid-file
/// (ELFF `#Fields:` headers) or infer context (i-FILTER's year).
pub trait LineParser: Send {
    /// The format this parser reads (for a header-driven parser, the format
    /// it has recognised so far).
    fn format(&self) -> SourceFormat;
    /// Parses one line, without its line terminator. Must not panic on any
    /// input.
    fn parse_line<'a>(&mut self, line: &'a str) -> Parsed<'a>;
}

/// Options that change how lines are read. Everything is optional: the
/// defaults are what the formats' own documentation says.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// Time zone for formats that log local time without an offset
    /// (i-FILTER; default Asia/Tokyo there). `None` = the format's default.
    pub tz: Option<chrono_tz::Tz>,
    /// Year for formats whose time stamps omit it, when it cannot be inferred.
    pub year: Option<i32>,
    /// A Squid `logformat` line (`logformat NAME codes…` or just the codes)
    /// for [`SourceFormat::SquidCustom`].
    pub squid_logformat: Option<String>,
    /// A column mapping for [`SourceFormat::IfilterCustom`] (TOML text).
    pub ifilter_mapping: Option<String>,
}

/// An error building a parser (bad options), not a bad line.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The options given do not make a usable parser.
    #[error("invalid {what}: {detail}")]
    InvalidOption {
        /// Which option.
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// This format cannot be parsed line by line (e.g. pcap).
    #[error("{0} is not a line-oriented log format")]
    NotLineFormat(SourceFormat),
}

/// Builds the parser for `format`.
pub fn parser_for(format: SourceFormat, opts: &ParseOptions) -> Result<Box<dyn LineParser>, FormatError> {
    use SourceFormat as F;
    Ok(match format {
        F::SquidNative | F::SquidCommon | F::SquidCombined | F::SquidCustom => {
            Box::new(squid::SquidParser::new(format, opts)?)
        }
        F::ProxySgElff | F::ProxySgMain | F::ProxySgBcreportermainV1 | F::W3c => {
            Box::new(elff::ElffParser::new(format, opts)?)
        }
        F::IfilterV10Access | F::IfilterDspaAccess | F::IfilterBlock | F::IfilterCustom => {
            Box::new(ifilter::IfilterParser::new(format, opts)?)
        }
        F::Pcap => return Err(FormatError::NotLineFormat(format)),
    })
}
