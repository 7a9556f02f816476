//! i-FILTER column layouts: the three built-in presets and the user's TOML
//! mapping, both turned into the same [`Layout`].

use std::collections::BTreeMap;

use kensa_model::SourceFormat;
use serde::Deserialize;

use crate::FormatError;

/// What one logical column holds. A logical column may span several
/// space-separated tokens (the vendor numbers those tokens separately).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Col {
    Skip,
    /// `Mon dd HH:MM:SS`: the log line's output time, no year, no zone (3 tokens).
    OutputTime,
    /// `[dd/Mon/yyyy:HH:MM:SS +zzzz]` (bracketed: 1 token) or the same
    /// without brackets (2 tokens): the access start time.
    StartTime,
    Upstream,
    Server,
    SourceIp,
    ClientIp,
    ClientHost,
    User,
    Group,
    Status,
    BytesUp,
    BytesDown,
    Action,
    Category,
    Categories,
    /// `"METHOD URL HTTP/x.y"` (quoted: 1 token, else 3).
    Request,
    Method,
    Url,
    Referer,
    UserAgent,
    ContentType,
    Threat,
}

impl Col {
    /// How many of the vendor's (space-split) columns this one spans.
    pub(crate) fn width(self) -> usize {
        match self {
            Col::OutputTime | Col::Request => 3,
            Col::StartTime => 2,
            _ => 1,
        }
    }

    fn from_name(s: &str) -> Option<Col> {
        Some(match s {
            "skip" => Col::Skip,
            "output_time" => Col::OutputTime,
            "start_time" => Col::StartTime,
            "upstream" => Col::Upstream,
            "server" => Col::Server,
            "source_ip" => Col::SourceIp,
            "client_ip" => Col::ClientIp,
            "client_host" => Col::ClientHost,
            "user" => Col::User,
            "group" => Col::Group,
            "status" => Col::Status,
            "bytes_up" => Col::BytesUp,
            "bytes_down" => Col::BytesDown,
            "action" => Col::Action,
            "category" => Col::Category,
            "categories" => Col::Categories,
            "request" => Col::Request,
            "method" => Col::Method,
            "url" => Col::Url,
            "referer" => Col::Referer,
            "user_agent" => Col::UserAgent,
            "content_type" => Col::ContentType,
            "threat" => Col::Threat,
            _ => return None,
        })
    }
}

/// A line layout: logical columns in order, each with the vendor column
/// number it starts at (for messages).
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub cols: Vec<(Col, u16)>,
    /// Total vendor columns, when lines must have exactly that many.
    pub exact: Option<usize>,
    /// Tab-separated (each tab field is one column, spaces allowed inside).
    pub tab: bool,
    /// Zone named in the mapping for times without an offset.
    pub tz: Option<chrono_tz::Tz>,
}

impl Layout {
    /// Builds a layout from `(vendor column, field)` pairs.
    pub(crate) fn from_columns(
        count: Option<usize>,
        pairs: &[(usize, Col)],
        tab: bool,
    ) -> Result<Layout, String> {
        let mut pairs = pairs.to_vec();
        pairs.sort_by_key(|p| p.0);
        let mut cols = Vec::new();
        let mut pos = 1usize;
        for &(c, f) in &pairs {
            if c == 0 {
                return Err("column numbers start at 1".into());
            }
            if c < pos {
                return Err(format!(
                    "column {c} overlaps the column before it (output_time spans 3 columns, start_time 2, request 3)"
                ));
            }
            while pos < c {
                cols.push((Col::Skip, pos as u16));
                pos += 1;
            }
            cols.push((f, c as u16));
            pos = c + if tab { 1 } else { f.width() };
        }
        if let Some(n) = count {
            if pos - 1 > n {
                return Err(format!(
                    "column_count {n} is less than the {} columns the mapping uses",
                    pos - 1
                ));
            }
            while pos <= n {
                cols.push((Col::Skip, pos as u16));
                pos += 1;
            }
        }
        if pos > u16::MAX as usize {
            return Err("too many columns".into());
        }
        if !cols
            .iter()
            .any(|(c, _)| matches!(c, Col::OutputTime | Col::StartTime))
        {
            return Err("the mapping needs an output_time or start_time column".into());
        }
        Ok(Layout {
            cols,
            exact: count,
            tab,
            tz: None,
        })
    }

    /// The built-in layout of a preset format.
    pub(crate) fn preset(format: SourceFormat) -> Option<Layout> {
        use Col::*;
        let (n, pairs): (usize, &[(usize, Col)]) = match format {
            // shared/formats/ifilter.md §2 (Ver.10 default = D-SPA Ver.4)
            SourceFormat::IfilterV10Access => (
                35,
                &[
                    (1, OutputTime),
                    (6, Upstream),
                    (7, Server),
                    (8, SourceIp),
                    (9, ClientIp),
                    (10, ClientHost),
                    (11, User),
                    (12, StartTime),
                    (14, Status),
                    (15, BytesUp),
                    (16, BytesDown),
                    (17, Action),
                    (19, Category),
                    (20, Categories),
                    (25, Group),
                    (29, Request),
                    (32, Referer),
                    (33, UserAgent),
                    (34, ContentType),
                ],
            ),
            // §3, D-SPA Ver.1/Ver.2 (column 6 is taken as the server; uncertain)
            SourceFormat::IfilterDspaAccess => (
                29,
                &[
                    (1, OutputTime),
                    (6, Server),
                    (7, ClientIp),
                    (8, ClientHost),
                    (9, User),
                    (10, StartTime),
                    (12, Request),
                    (15, Referer),
                    (16, UserAgent),
                    (17, Status),
                    (18, BytesUp),
                    (19, BytesDown),
                    (20, Action),
                    (22, Category),
                    (24, Group),
                    (25, ContentType),
                ],
            ),
            // §3, block log (category in column 10: inferred)
            SourceFormat::IfilterBlock => (
                17,
                &[
                    (2, ClientIp),
                    (3, User),
                    (4, Group),
                    (6, StartTime),
                    (8, Url),
                    (9, Action),
                    (10, Category),
                    (17, Threat),
                ],
            ),
            _ => return None,
        };
        Layout::from_columns(Some(n), pairs, false).ok()
    }

    /// Reads the TOML mapping documented in the module docs.
    pub(crate) fn custom(toml_text: &str) -> Result<Layout, FormatError> {
        let bad = |detail: String| FormatError::InvalidOption {
            what: "ifilter_mapping",
            detail,
        };
        let m: Mapping = toml::from_str(toml_text).map_err(|e| bad(e.to_string()))?;
        let tab = match m.separator.as_deref() {
            None | Some("space") => false,
            Some("tab") => true,
            Some(other) => {
                return Err(bad(format!(
                    "separator {other:?}: use \"space\" or \"tab\""
                )));
            }
        };
        let tz = match m.time_zone.as_deref() {
            None => None,
            Some(z) => Some(
                z.parse::<chrono_tz::Tz>()
                    .map_err(|_| bad(format!("unknown time_zone {z:?}")))?,
            ),
        };
        if m.columns.is_empty() {
            return Err(bad("[columns] is empty".into()));
        }
        let mut pairs = Vec::with_capacity(m.columns.len());
        let mut seen = Vec::new();
        for (k, v) in &m.columns {
            let c: usize = k
                .trim()
                .parse()
                .ok()
                .filter(|c| (1..=1000).contains(c))
                .ok_or_else(|| bad(format!("column {k:?} is not a number from 1 to 1000")))?;
            let f = Col::from_name(v.trim())
                .ok_or_else(|| bad(format!("column {c}: unknown field {v:?}")))?;
            if f != Col::Skip {
                if seen.contains(&f) {
                    return Err(bad(format!("field {v:?} is mapped twice")));
                }
                seen.push(f);
            }
            pairs.push((c, f));
        }
        if m.column_count.is_some_and(|n| n == 0 || n > 1000) {
            return Err(bad("column_count must be from 1 to 1000".into()));
        }
        let mut l = Layout::from_columns(m.column_count, &pairs, tab).map_err(bad)?;
        l.tz = tz;
        Ok(l)
    }
}

/// The TOML schema (see the module docs for an example).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Mapping {
    separator: Option<String>,
    time_zone: Option<String>,
    column_count: Option<usize>,
    columns: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_have_the_documented_counts() {
        let v10 = Layout::preset(SourceFormat::IfilterV10Access).unwrap();
        // 35 vendor columns = 30 logical ones (time 3→1, start 2→1, request 3→1)
        assert_eq!(v10.cols.len(), 30);
        assert_eq!(v10.cols[25], (Col::Request, 29));
        assert_eq!(
            Layout::preset(SourceFormat::IfilterDspaAccess)
                .unwrap()
                .cols
                .len(),
            24
        );
        assert_eq!(
            Layout::preset(SourceFormat::IfilterBlock)
                .unwrap()
                .cols
                .len(),
            16
        );
        assert!(Layout::preset(SourceFormat::SquidNative).is_none());
    }

    #[test]
    fn bad_mappings_are_invalid_options() {
        for (t, needle) in [
            ("columns = 3", "invalid type"),
            ("[columns]\n1 = \"output_time\"\n2 = \"user\"", "overlaps"),
            (
                "[columns]\n1 = \"start_time\"\n5 = \"nickname\"",
                "unknown field",
            ),
            ("[columns]\nx = \"start_time\"", "not a number"),
            ("[columns]\n1 = \"user\"", "output_time or start_time"),
            (
                "[columns]\n1 = \"start_time\"\n3 = \"user\"\n4 = \"user\"",
                "mapped twice",
            ),
            (
                "column_count = 2\n[columns]\n1 = \"output_time\"",
                "column_count",
            ),
            (
                "time_zone = \"Mars/Olympus\"\n[columns]\n1 = \"start_time\"",
                "time_zone",
            ),
            (
                "separator = \";\"\n[columns]\n1 = \"start_time\"",
                "separator",
            ),
            ("colums = 1", "unknown field"),
        ] {
            match Layout::custom(t) {
                Err(FormatError::InvalidOption {
                    what: "ifilter_mapping",
                    detail,
                }) => {
                    assert!(detail.contains(needle), "{t:?}: {detail}");
                }
                other => panic!("{t:?}: {other:?}"),
            }
        }
    }
}
