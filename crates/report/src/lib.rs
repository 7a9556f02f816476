//! kensa's report: what the customer of a leak check reads.
//!
//! [`gather::gather`] reads a case (findings with analysts' verdicts, inputs,
//! rejects, intel versions, and the `web_requests` rows behind the findings)
//! into one [`gather::Report`]; the renderers turn it into
//!
//! * [`Format::Html`]: one self-contained page (inline CSS and SVG charts, no
//!   script, no network), printable with page breaks;
//! * [`Format::Pdf`]: A4 with a table of contents, typeset by typst as a
//!   library with a CJK font found at run time (no browser);
//! * [`Format::Json`]: the findings contract plus the report sections;
//! * [`Format::Csv`]: findings or the cloud-service inventory, formula-safe;
//! * [`Format::Stix`]: a STIX 2.1 bundle of the confirmed IOCs.
//!
//! The one entry point for callers (CLI, web UI) is [`render`].
//!
//! *Invariant:* every string that came from a log is escaped by the renderer
//! that writes it (HTML entities, typst data passed as JSON values rather than
//! markup, CSV formula prefixes, STIX pattern quoting); the gathered
//! [`gather::Report`] holds raw strings.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

pub mod csv;
pub mod gather;
pub mod html;
pub mod i18n;
pub mod pdf;
pub mod stix;

/// Report language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// 日本語.
    #[default]
    Ja,
    /// English.
    En,
}

impl Lang {
    /// Parses `ja` / `en`.
    pub fn from_name(s: &str) -> Option<Lang> {
        match s {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
    /// The ISO code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Self-contained HTML.
    Html,
    /// PDF (typst).
    Pdf,
    /// JSON: findings contract plus report sections.
    Json,
    /// CSV (see [`CsvTable`]).
    Csv,
    /// STIX 2.1 bundle of confirmed IOCs.
    Stix,
}

impl Format {
    /// Parses a format name.
    pub fn from_name(s: &str) -> Option<Format> {
        Some(match s {
            "html" => Format::Html,
            "pdf" => Format::Pdf,
            "json" => Format::Json,
            "csv" => Format::Csv,
            "stix" => Format::Stix,
            _ => return None,
        })
    }
    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Pdf => "pdf",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Stix => "stix.json",
        }
    }
}

/// Which table a CSV export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsvTable {
    /// One row per finding (body and annex), with verdicts.
    #[default]
    Findings,
    /// The cloud-service inventory: one row per user (or client) × service.
    Services,
}

/// The small report configuration file (TOML):
///
/// ```toml
/// organization = "Example Corp"
/// analyst = "Hanako Yamada"
/// period = "2026-01-05 – 2026-01-11"   # default: the data's time span
/// logo = "logo.png"                   # PNG, JPEG or SVG, embedded
/// font_dirs = ["/opt/fonts"]          # extra places to look for a CJK font
/// timezone_offset_hours = 9           # clock used for charts and times
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReportConfig {
    /// Organisation the report is for.
    pub organization: Option<String>,
    /// Analyst who wrote it.
    pub analyst: Option<String>,
    /// Period covered, as printed (default: the data's first–last day).
    pub period: Option<String>,
    /// Logo image (PNG, JPEG or SVG); relative paths are relative to the config file.
    pub logo: Option<PathBuf>,
    /// Extra font directories searched first for the PDF's CJK font.
    #[serde(default)]
    pub font_dirs: Vec<PathBuf>,
    /// Offset of the reader's clock from UTC in hours (default 9 for `ja`, 0 for `en`).
    pub timezone_offset_hours: Option<f64>,
}

impl ReportConfig {
    /// Reads a config file; relative `logo`/`font_dirs` become relative to it.
    pub fn load(path: &Path) -> Result<ReportConfig> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading report config {}", path.display()))?;
        let mut c: ReportConfig = toml::from_str(&text).with_context(|| format!("report config {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        if let Some(l) = &c.logo {
            if l.is_relative() {
                c.logo = Some(base.join(l));
            }
        }
        for d in &mut c.font_dirs {
            if d.is_relative() {
                *d = base.join(&*d);
            }
        }
        Ok(c)
    }
}

/// What to render.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Language.
    pub lang: Lang,
    /// Output format.
    pub format: Format,
    /// For [`Format::Csv`]: which table.
    pub csv_table: CsvTable,
    /// Organisation, analyst, period, logo, fonts.
    pub config: ReportConfig,
    /// Font directories given on the command line (searched before the config's and the system's).
    pub font_dirs: Vec<PathBuf>,
    /// Limits that keep big cases readable (and the PDF fast).
    pub limits: Limits,
}

impl ReportOptions {
    /// Options for one language and format, defaults elsewhere.
    pub fn new(lang: Lang, format: Format) -> ReportOptions {
        ReportOptions { lang, format, csv_table: CsvTable::default(), config: ReportConfig::default(), font_dirs: Vec::new(), limits: Limits::default() }
    }
}

/// Caps on what the human-readable report shows in detail; everything is
/// still counted, listed in the JSON/CSV exports, and the report says what
/// was cut.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Hosts described in detail (with charts) in the infected-host section.
    pub detailed_hosts: usize,
    /// Findings per host shown in detail.
    pub findings_per_host: usize,
    /// Rows of the all-findings table in the HTML.
    pub table_rows_html: usize,
    /// Rows of the all-findings table in the PDF.
    pub table_rows_pdf: usize,
    /// Services and uploaders listed.
    pub services: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { detailed_hosts: 25, findings_per_host: 6, table_rows_html: 2000, table_rows_pdf: 300, services: 40 }
    }
}

/// Renders the report of the case in `case_dir` as `opts.format`, returning
/// the file's bytes. Opens the case read-only in effect (nothing is written).
pub fn render(case_dir: &Path, opts: &ReportOptions) -> Result<Vec<u8>> {
    let report = gather::gather(case_dir, opts)?;
    render_report(&report, opts)
}

/// Renders an already gathered report (lets a caller write several formats
/// from one pass over the case).
pub fn render_report(report: &gather::Report, opts: &ReportOptions) -> Result<Vec<u8>> {
    match opts.format {
        Format::Html => Ok(html::render(report).into_bytes()),
        Format::Pdf => pdf::render(report, opts),
        Format::Json => Ok(serde_json::to_vec_pretty(report)?),
        Format::Csv => Ok(match opts.csv_table {
            CsvTable::Findings => csv::findings(report),
            CsvTable::Services => csv::services(report),
        }
        .into_bytes()),
        Format::Stix => Ok(serde_json::to_vec_pretty(&stix::bundle(report))?),
    }
}
