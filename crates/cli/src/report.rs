//! `kensa report`, and the reports `kensa run` writes: flags → `kensa-report`.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use clap::Args;
use kensa_report::{CsvTable, Format, Lang, ReportConfig, ReportOptions};

/// Flags of `kensa report`.
#[derive(Args)]
pub struct ReportArgs {
    /// The case directory.
    #[arg(long)]
    pub case: PathBuf,
    /// Language of the report.
    #[arg(long, value_parser = ["ja", "en"], default_value = "ja")]
    pub lang: String,
    /// Output format.
    #[arg(long, value_parser = ["html", "pdf", "json", "csv", "stix"], default_value = "html")]
    pub format: String,
    /// For --format csv: which table.
    #[arg(long, value_parser = ["findings", "services"], default_value = "findings")]
    pub table: String,
    /// Output file (default: CASE/../report.<lang>.<ext>; `-` for stdout).
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
    /// Report config (TOML: organization, analyst, period, logo, font_dirs, timezone_offset_hours).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// A directory with a Japanese-capable font for the PDF (searched first).
    #[arg(long = "font-dir")]
    pub font_dirs: Vec<PathBuf>,
}

/// Options from the flags.
fn options(lang: &str, format: &str, table: &str, config: Option<&Path>, font_dirs: &[PathBuf]) -> Result<ReportOptions> {
    let lang = Lang::from_name(lang).context("--lang must be ja or en")?;
    let format = Format::from_name(format).context("--format must be html, pdf, json, csv or stix")?;
    let mut o = ReportOptions::new(lang, format);
    o.csv_table = if table == "services" { CsvTable::Services } else { CsvTable::Findings };
    if let Some(c) = config {
        o.config = ReportConfig::load(c)?;
    }
    o.font_dirs = font_dirs.to_vec();
    Ok(o)
}

/// The default output path: next to the case, `report.<lang>.<ext>`
/// (`report-services.<lang>.csv` for the service table).
pub fn default_output(case: &Path, o: &ReportOptions) -> PathBuf {
    let dir = case.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let stem = if o.format == Format::Csv && o.csv_table == CsvTable::Services { "report-services" } else { "report" };
    dir.join(format!("{stem}.{}.{}", o.lang.code(), o.format.extension()))
}

/// Runs `kensa report`; returns the path written (None for stdout).
pub fn run(a: &ReportArgs) -> Result<Option<PathBuf>> {
    let o = options(&a.lang, &a.format, &a.table, a.config.as_deref(), &a.font_dirs)?;
    let bytes = kensa_report::render(&a.case, &o)?;
    match &a.output {
        Some(p) if p.as_os_str() == "-" => {
            use std::io::Write as _;
            std::io::stdout().write_all(&bytes).context("writing the report to stdout")?;
            Ok(None)
        }
        p => {
            let path = p.clone().unwrap_or_else(|| default_output(&a.case, &o));
            write_atomic(&path, &bytes)?;
            Ok(Some(path))
        }
    }
}

/// Report flags of `kensa run`.
#[derive(Args)]
pub struct RunReportArgs {
    /// Also write the PDF report (OUT/report.LANG.pdf).
    #[arg(long)]
    pub pdf: bool,
    /// Do not write the HTML report.
    #[arg(long, conflicts_with = "pdf")]
    pub no_report: bool,
    /// Language of the report.
    #[arg(long = "report-lang", value_parser = ["ja", "en"], default_value = "ja")]
    pub lang: String,
    /// Report config (TOML: organization, analyst, period, logo, font_dirs, timezone_offset_hours).
    #[arg(long = "report-config")]
    pub config: Option<PathBuf>,
    /// A directory with a Japanese-capable font for the PDF.
    #[arg(long = "font-dir")]
    pub font_dirs: Vec<PathBuf>,
}

/// The reports `kensa run` writes into OUT: the HTML (report.LANG.html),
/// and the PDF when asked. Returns the paths written.
pub fn run_reports(case: &Path, out: &Path, a: &RunReportArgs) -> Result<Vec<PathBuf>> {
    if a.no_report {
        return Ok(Vec::new());
    }
    let lang = a.lang.as_str();
    let mut o = options(lang, "html", "findings", a.config.as_deref(), &a.font_dirs)?;
    let report = kensa_report::gather::gather(case, &o)?;
    let mut written = Vec::new();
    let path = out.join(format!("report.{lang}.html"));
    write_atomic(&path, &kensa_report::render_report(&report, &o)?)?;
    written.push(path);
    if a.pdf {
        o.format = Format::Pdf;
        let path = out.join(format!("report.{lang}.pdf"));
        write_atomic(&path, &kensa_report::render_report(&report, &o)?)?;
        written.push(path);
    }
    Ok(written)
}

/// Writes via a temporary file and a rename, so a reader never sees half a report.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
