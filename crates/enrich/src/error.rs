//! The crate's one error type.
//!
//! Every error that comes from a file names the file, and, where the problem
//! sits on a line, the line and the key, so that an analyst can fix a policy or
//! catalog file without reading code.

use std::fmt;
use std::path::PathBuf;

/// What went wrong, and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A catalog or policy file is not valid TOML, or does not fit the schema.
    #[error("{}", fmt_located(.file, *.line, .key.as_deref(), .message))]
    Invalid {
        /// The file (`<built-in>/…` for embedded catalog files).
        file: String,
        /// 1-based line, when known.
        line: Option<usize>,
        /// The offending key or service id, when known.
        key: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A MaxMind-format database could not be opened or is not one.
    #[error("cannot open geo/ASN database {}: {message}", .path.display())]
    GeoDb {
        /// The file.
        path: PathBuf,
        /// The reader's explanation.
        message: String,
    },
}

fn fmt_located(file: &str, line: Option<usize>, key: Option<&str>, message: &str) -> String {
    let mut s = String::from(file);
    if let Some(l) = line {
        s.push_str(&format!(":{l}"));
    }
    if let Some(k) = key {
        s.push_str(&format!(": `{k}`"));
    }
    s.push_str(": ");
    s.push_str(message);
    s
}

impl Error {
    pub(crate) fn invalid(
        file: &str,
        line: Option<usize>,
        key: Option<&str>,
        message: impl fmt::Display,
    ) -> Error {
        Error::Invalid {
            file: file.to_string(),
            line,
            key: key.map(str::to_string),
            message: message.to_string(),
        }
    }

    /// Converts a TOML parse error into an [`Error::Invalid`] with its line.
    pub(crate) fn from_toml(file: &str, text: &str, e: &toml::de::Error) -> Error {
        let line = e.span().map(|s| line_of(text, s.start));
        Error::invalid(file, line, None, e.message().trim())
    }
}

/// 1-based line number of byte offset `at` in `text`.
pub(crate) fn line_of(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    text.as_bytes()[..at]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Shorthand for this crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
