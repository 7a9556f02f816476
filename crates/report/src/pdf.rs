//! The PDF report, typeset by typst used as a library (no browser, no
//! external process): A4, selectable text, a table of contents, charts as
//! SVG, Japanese set in a CJK font found at run time.
//!
//! *Escaping:* no string from the case is ever spliced into typst markup.
//! The template (`report.typ`, fixed text compiled into kensa) loads one JSON
//! document with `json("/data.json")`; typst shows JSON strings as plain text,
//! so `#`, `[`, `$`, `*`, `_`, `@`, `<`, `\` in a log are just characters.
//! Strings are still cleaned for reading: control and bidi characters become
//! visible `[U+XXXX]` marks (ASCII: the angle brackets of the HTML report's
//! marks are missing from some CJK fonts), very long strings are cut, and long unbroken
//! runs (URLs, base64) get zero-width break opportunities so they wrap.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Result, bail};
use kensa_detect::Status;
use serde_json::{Value, json};
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime};
use typst_layout::PagedDocument;
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

use crate::gather::{FindingView, HostSummary, HostVerdict, Report};
use crate::i18n::{self, T, fmt_int, fmt_opt_bytes, fmt_ts, t};
use crate::{Lang, ReportOptions};

/// The typst template.
pub const TEMPLATE: &str = include_str!("report.typ");

/// Longest string printed in full in the PDF.
pub const MAX_SHOWN_CHARS: usize = 300;

/// Font directories searched when none is given (Debian/Ubuntu
/// `fonts-noto-cjk`, Fedora, Arch, Homebrew/macOS, Windows).
pub const SYSTEM_FONT_DIRS: &[&str] = &[
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/noto-cjk",
    "/usr/share/fonts/google-noto-cjk",
    "/usr/share/fonts/opentype/ipaexfont-gothic",
    "/usr/share/fonts/opentype/ipafont-gothic",
    "/usr/share/fonts/truetype/noto",
    "/usr/share/fonts/noto",
    "/usr/local/share/fonts",
    "/opt/homebrew/share/fonts",
    "/Library/Fonts",
    "C:\\Windows\\Fonts",
];

/// Family names preferred for the body text, best first.
const PREFERRED_FAMILIES: &[&str] = &["Noto Sans CJK JP", "Noto Sans JP", "Source Han Sans JP", "IPAexGothic", "IPAGothic", "Yu Gothic", "Meiryo", "Hiragino Sans"];

/// Cleans a string for the PDF (see the module docs).
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut run = 0usize;
    for (n, c) in s.chars().enumerate() {
        if n == MAX_SHOWN_CHARS {
            out.push_str(&format!("… [{} chars]", s.chars().count()));
            break;
        }
        if kensa_charts::is_invisible(c) {
            out.push_str(&format!("[U+{:04X}]", c as u32));
            run = 0;
            continue;
        }
        if c.is_whitespace() {
            run = 0;
        } else {
            run += 1;
            if run > 20 {
                out.push('\u{200B}');
                run = 1;
            }
        }
        out.push(c);
    }
    out
}

/// The fonts kensa found, and the family chosen for the body.
pub struct Fonts {
    /// All faces loaded.
    pub fonts: Vec<Font>,
    /// The chosen family (covers Japanese and Latin).
    pub family: String,
}

/// Loads fonts: every font file in `dirs` (given by the user), then CJK
/// font files in [`SYSTEM_FONT_DIRS`]. Fails with a clear message when no
/// loaded family covers Japanese.
pub fn find_fonts(dirs: &[PathBuf]) -> Result<Fonts> {
    find_fonts_in(dirs, SYSTEM_FONT_DIRS)
}

/// [`find_fonts`] with an explicit list of system directories.
pub fn find_fonts_in(dirs: &[PathBuf], system_dirs: &[&str]) -> Result<Fonts> {
    let mut fonts = Vec::new();
    let mut looked = Vec::new();
    for d in dirs {
        if !d.is_dir() {
            bail!("font directory {} does not exist", d.display());
        }
        load_dir(d, &mut fonts, &|_| true, 0);
        looked.push(d.display().to_string());
    }
    let sys_filter = |name: &str| {
        let n = name.to_ascii_lowercase();
        (n.contains("cjk") && n.contains("sans") && !n.contains("mono")) || n.starts_with("ipaexg") || n.starts_with("ipag") || n.starts_with("notosansjp") || n.starts_with("yugoth") || n.starts_with("meiryo")
    };
    // System directories only if the user's did not already provide a CJK face.
    if pick_family(&fonts).is_none() {
        for d in system_dirs {
            let p = Path::new(d);
            if p.is_dir() {
                load_dir(p, &mut fonts, &sys_filter, 0);
                looked.push(d.to_string());
            }
        }
    }
    let Some(family) = pick_family(&fonts) else {
        bail!(
            "no Japanese-capable font found (looked in: {}). Install one (Debian/Ubuntu: `apt-get install fonts-noto-cjk`) or pass --font-dir DIR holding e.g. NotoSansCJK-Regular.ttc",
            if looked.is_empty() { "nothing".to_string() } else { looked.join(", ") }
        );
    };
    Ok(Fonts { fonts, family })
}

fn load_dir(dir: &Path, out: &mut Vec<Font>, keep: &dyn Fn(&str) -> bool, depth: u32) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if depth < 3 {
                load_dir(&p, out, keep, depth + 1);
            }
            continue;
        }
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let lower = name.to_ascii_lowercase();
        if !(lower.ends_with(".ttf") || lower.ends_with(".otf") || lower.ends_with(".ttc") || lower.ends_with(".otc")) || !keep(name) {
            continue;
        }
        if let Ok(data) = std::fs::read(&p) {
            out.extend(Font::iter(Bytes::new(data)));
        }
    }
}

fn pick_family(fonts: &[Font]) -> Option<String> {
    let covers = |f: &Font| {
        let c = &f.info().coverage;
        c.contains('日' as u32) && c.contains('あ' as u32) && c.contains('A' as u32)
    };
    for want in PREFERRED_FAMILIES {
        if fonts.iter().any(|f| f.info().family.eq_ignore_ascii_case(want) && covers(f)) {
            return Some(want.to_string());
        }
    }
    fonts.iter().find(|f| covers(f)).map(|f| f.info().family.clone())
}

/// The typst world: the fixed template, the JSON data, the logo, fonts.
struct ReportWorld {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    main: FileId,
    main_src: Source,
    data_id: FileId,
    data: Bytes,
    logo_id: FileId,
    logo: Option<Bytes>,
}

fn file_id(path: &str) -> FileId {
    RootedPath::new(VirtualRoot::Project, VirtualPath::new(path).expect("a valid fixed virtual path")).intern()
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &self.book
    }
    fn main(&self) -> FileId {
        self.main
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main { Ok(self.main_src.clone()) } else { Err(FileError::NotFound(PathBuf::from("/"))) }
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else if id == self.logo_id {
            self.logo.clone().ok_or_else(|| FileError::NotFound(PathBuf::from("/logo")))
        } else if id == self.main {
            Ok(Bytes::from_string(TEMPLATE))
        } else {
            Err(FileError::NotFound(PathBuf::from("/")))
        }
    }
    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.get(index).cloned()
    }
    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        None
    }
}

/// Fonts are loaded once per process (the CJK collections are large).
static FONT_CACHE: OnceLock<std::sync::Mutex<Vec<(Vec<PathBuf>, std::sync::Arc<Fonts>)>>> = OnceLock::new();

fn fonts_for(dirs: Vec<PathBuf>) -> Result<std::sync::Arc<Fonts>> {
    let cache = FONT_CACHE.get_or_init(Default::default);
    if let Some((_, f)) = cache.lock().map_err(|_| anyhow::anyhow!("font cache poisoned"))?.iter().find(|(d, _)| *d == dirs) {
        return Ok(f.clone());
    }
    let f = std::sync::Arc::new(find_fonts(&dirs)?);
    cache.lock().map_err(|_| anyhow::anyhow!("font cache poisoned"))?.push((dirs, f.clone()));
    Ok(f)
}

/// Renders the PDF.
pub fn render(r: &Report, opts: &ReportOptions) -> Result<Vec<u8>> {
    let mut dirs = opts.font_dirs.clone();
    dirs.extend(opts.config.font_dirs.iter().cloned());
    let fonts = fonts_for(dirs)?;
    let data = view(r, &fonts.family, opts.limits.table_rows_pdf);
    let world = ReportWorld {
        library: LazyHash::new(Library::builder().build()),
        book: LazyHash::new(FontBook::from_fonts(fonts.fonts.iter())),
        fonts: fonts.fonts.clone(),
        main: file_id("/report.typ"),
        main_src: Source::new(file_id("/report.typ"), TEMPLATE.to_string()),
        data_id: file_id("/data.json"),
        data: Bytes::new(serde_json::to_vec(&data)?),
        logo_id: file_id("/logo"),
        logo: r.logo.as_ref().map(|l| Bytes::new(l.bytes.clone())),
    };
    let doc: PagedDocument = typst::compile(&world).output.map_err(|errs| {
        let msgs: Vec<String> = errs.iter().map(|e| e.message.to_string()).collect();
        anyhow::anyhow!("typesetting the PDF failed: {}", msgs.join("; "))
    })?;
    let pdf = typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default()).map_err(|errs| {
        let msgs: Vec<String> = errs.iter().map(|e| e.message.to_string()).collect();
        anyhow::anyhow!("writing the PDF failed: {}", msgs.join("; "))
    })?;
    Ok(pdf)
}

/// A table for the template: header, relative column widths, which columns
/// are numeric (right-aligned), rows of cleaned strings.
fn table(header: &[&str], widths: &[f64], num: &[bool], rows: Vec<Vec<String>>) -> Value {
    json!({
        "header": header,
        "widths": widths,
        "num": num,
        "rows": rows.into_iter().map(|r| r.into_iter().map(|c| clean(&c)).collect::<Vec<_>>()).collect::<Vec<_>>(),
    })
}

fn sev_json(lang: Lang, s: kensa_detect::Severity) -> Value {
    let id = s.as_str();
    json!({ "label": i18n::sev_label(lang, s), "color": kensa_charts::severity_color(id) })
}

/// The localised, cleaned document the template lays out.
fn view(r: &Report, font: &str, table_rows: usize) -> Value {
    let lang = r.lang;
    let l = |k: T| t(lang, k).to_string();
    let ts = |ms: i64| fmt_ts(ms, r.tz_offset_s);
    let s = &r.summary;

    let answers: Vec<Value> = [(T::QInfected, &s.infected), (T::QLeaking, &s.leaking)]
        .iter()
        .map(|(q, a)| {
            let (word, color) = match a.level.as_str() {
                "yes" => (T::Yes, "#8b0000"),
                "possible" => (T::Possible, "#f08c00"),
                _ => (T::No, "#1b9e77"),
            };
            json!({ "q": l(*q), "word": l(word), "color": color, "text": clean(&a.text) })
        })
        .collect();
    let span = match (s.first_ts, s.last_ts) {
        (Some(a), Some(z)) => format!("{} – {}", i18n::fmt_day(a, r.tz_offset_s), i18n::fmt_day(z, r.tz_offset_s)),
        _ => "-".into(),
    };
    let total: usize = s.by_severity.values().sum();
    let sev: Vec<String> = ["critical", "high", "medium", "low", "info"]
        .iter()
        .filter_map(|k| s.by_severity.get(*k).map(|n| format!("{} {}", i18n::sev_label(lang, sev_of(k)), n)))
        .collect();
    let figures = vec![
        json!([l(T::Span), span]),
        json!([l(T::InputData), format!("{} · {}", s.inputs, kensa_charts::fmt_bytes(s.input_bytes))]),
        json!([l(T::Records), fmt_int(s.records)]),
        json!([l(T::Rejected), fmt_int(s.rejected)]),
        json!([l(T::Hosts), fmt_int(s.hosts as u64)]),
        json!([l(T::Users), fmt_int(s.users as u64)]),
        json!([l(T::Findings), format!("{} ({})", fmt_int(total as u64), sev.join(" / "))]),
        json!([l(T::Confirmed), format!("{} · {} {}", s.confirmed, l(T::Annexed), s.annexed)]),
    ];
    let host_row = |h: &HostSummary| {
        vec![
            format!("{}{}", h.host, if h.users.is_empty() { String::new() } else { format!(" ({})", h.users.iter().take(3).cloned().collect::<Vec<_>>().join(", ")) }),
            i18n::verdict_label(lang, h.verdict).to_string(),
            i18n::sev_label(lang, h.severity),
            h.action.clone(),
        ]
    };
    let priority = table(
        &[&l(T::Host), &l(T::Verdict), &l(T::Severity), &l(T::Action)],
        &[2.2, 1.6, 0.9, 5.0],
        &[false, false, false, false],
        s.priority.iter().map(|&i| host_row(&r.hosts[i])).collect(),
    );

    let hosts: Vec<Value> = r.hosts.iter().filter(|h| h.detailed).map(|h| host_view(r, h)).collect();
    let other = table(
        &[&l(T::Host), &l(T::Verdict), &l(T::Severity), &l(T::Findings)],
        &[3.0, 2.0, 1.2, 1.0],
        &[false, false, false, true],
        r.hosts
            .iter()
            .filter(|h| !h.detailed)
            .map(|h| vec![h.host.clone(), i18n::verdict_label(lang, h.verdict).into(), i18n::sev_label(lang, h.severity), h.findings.len().to_string()])
            .collect(),
    );

    let lk = &r.leak;
    let categories = table(
        &[&l(T::Category), &l(T::Services), &l(T::Users), &l(T::Hosts), &l(T::Requests), &l(T::UploadBytes), &l(T::UploadActions)],
        &[2.4, 1.0, 1.0, 1.0, 1.3, 1.5, 1.3],
        &[false, true, true, true, true, true, true],
        lk.categories
            .iter()
            .map(|c| vec![c.label.clone(), c.services.to_string(), c.users.to_string(), c.hosts.to_string(), fmt_int(c.requests), fmt_opt_bytes(lang, c.upload_bytes), fmt_int(c.upload_actions)])
            .collect(),
    );
    let svc_table = |rows: &[crate::gather::ServiceRow]| {
        table(
            &[&l(T::Service), &l(T::Category), &l(T::Status), &l(T::Users), &l(T::Requests), &l(T::UploadBytes), &l(T::UploadActions)],
            &[2.0, 1.8, 1.3, 0.9, 1.2, 1.4, 1.2],
            &[false, false, false, true, true, true, true],
            rows.iter()
                .map(|s| {
                    vec![
                        s.service.clone(),
                        s.category.clone(),
                        l(if s.sanctioned { T::Sanctioned } else { T::Unsanctioned }),
                        s.users.to_string(),
                        fmt_int(s.requests),
                        fmt_opt_bytes(lang, s.upload_bytes),
                        fmt_int(s.upload_actions),
                    ]
                })
                .collect(),
        )
    };
    let uploaders = table(
        &[&l(T::Who), &l(T::Hosts), &l(T::UploadBytes), &l(T::UploadActions), &l(T::Services)],
        &[2.0, 2.0, 1.3, 1.2, 3.0],
        &[false, false, true, true, false],
        lk.uploaders.iter().map(|u| vec![u.who.clone(), u.hosts.join(", "), kensa_charts::fmt_bytes(u.upload_bytes), fmt_int(u.upload_actions), u.services.join(", ")]).collect(),
    );

    let findings_table = |rows: &[FindingView]| {
        table(
            &[&l(T::Severity), &l(T::Detector), &l(T::Source), &l(T::Destination), &l(T::Explanation), &l(T::Status)],
            &[0.9, 1.5, 1.5, 2.2, 3.2, 1.1],
            &[false; 6],
            rows.iter()
                .take(table_rows)
                .map(|v| {
                    let f = &v.finding;
                    vec![
                        v.severity_label.clone(),
                        v.detector_title.clone(),
                        crate::gather::host_of(f),
                        f.dst.host.clone().or(f.dst.domain.clone()).or(f.dst.ip.clone()).unwrap_or_else(|| "-".into()),
                        match &v.note {
                            Some(n) => format!("{} — {}: {}", f.title, l(T::Note), n),
                            None => f.title.clone(),
                        },
                        v.status_label.clone(),
                    ]
                })
                .collect(),
        )
    };

    let iocs = table(
        &[&l(T::Kind), &l(T::Value), &l(T::FirstSeen), &l(T::LastSeen), &l(T::Events), &l(T::Status)],
        &[0.8, 3.6, 1.7, 1.7, 0.9, 1.1],
        &[false, false, false, false, true, false],
        r.iocs
            .iter()
            .map(|i| {
                vec![
                    i.kind.clone(),
                    i.value.clone(),
                    ts(i.first_seen),
                    ts(i.last_seen),
                    fmt_int(i.count),
                    i18n::status_label(lang, if i.confirmed { Status::Confirmed } else { Status::Open }).into(),
                ]
            })
            .collect(),
    );
    let attack = table(
        &[&l(T::Technique), &l(T::Name), &l(T::Detector), &l(T::Findings)],
        &[1.1, 3.2, 3.0, 0.9],
        &[false, false, false, true],
        r.attack.iter().map(|a| vec![a.id.clone(), a.name.clone(), a.detectors.join(", "), a.findings.to_string()]).collect(),
    );
    let c = &r.coverage;
    let inputs = table(
        &[&l(T::File), &l(T::Format), &l(T::Status), &l(T::Size), &l(T::Records), &l(T::Rejected), &l(T::Span)],
        &[3.0, 1.3, 0.9, 1.0, 1.1, 0.9, 2.6],
        &[false, false, false, true, true, true, false],
        c.inputs
            .iter()
            .map(|i| {
                vec![
                    match &i.error {
                        Some(e) => format!("{} ({e})", i.path),
                        None => i.path.clone(),
                    },
                    i.format.clone().unwrap_or_else(|| "-".into()),
                    i.status.clone(),
                    i.size.map(|s| kensa_charts::fmt_bytes(s.max(0) as u64)).unwrap_or_else(|| "-".into()),
                    fmt_int(i.rows.max(0) as u64),
                    fmt_int(i.rejected.max(0) as u64),
                    match (i.first_ts, i.last_ts) {
                        (Some(a), Some(z)) => format!("{} – {}", ts(a), ts(z)),
                        _ => "-".into(),
                    },
                ]
            })
            .collect(),
    );
    let formats = table(&[&l(T::Format), &l(T::Records)], &[3.0, 1.0], &[false, true], c.formats.iter().map(|(k, v)| vec![k.clone(), fmt_int(*v)]).collect());
    let days = table(&[&l(T::Time), &l(T::Records)], &[3.0, 1.0], &[false, true], c.days.iter().map(|(k, v)| vec![k.clone(), fmt_int(*v)]).collect());
    let gaps: Vec<String> = c.gaps.iter().take(50).map(|(a, z)| clean(&format!("{} – {} ({})", ts(*a), ts(*z), i18n::fmt_secs(((z - a) / 1000) as f64)))).collect();
    let rejects = table(&[&l(T::Reason), &l(T::Count)], &[3.0, 1.0], &[false, true], c.reject_reasons.iter().map(|(k, v)| vec![k.clone(), fmt_int(*v)]).collect());
    let reject_samples = table(
        &[&l(T::File), &l(T::Reason), &l(T::Samples)],
        &[2.0, 2.0, 4.0],
        &[false; 3],
        c.reject_samples.iter().map(|(f, n, r, d, tx)| vec![format!("{f}:{n}"), format!("{r}: {d}"), tx.clone()]).collect(),
    );
    let intel = table(
        &[&l(T::Name), &l(T::Format), &l(T::Version), &l(T::Indicators)],
        &[2.0, 1.5, 3.0, 1.0],
        &[false, false, false, true],
        c.intel_sources
            .iter()
            .map(|s| {
                let g = |k: &str| s.get(k).map(|v| v.as_str().map(String::from).unwrap_or_else(|| v.to_string())).unwrap_or_default();
                vec![g("name"), g("format"), g("version"), g("indicators")]
            })
            .collect(),
    );
    let detectors = table(
        &[&l(T::Detector), &l(T::Explanation), &l(T::Technique)],
        &[1.8, 5.0, 1.6],
        &[false; 3],
        r.detectors.iter().map(|d| vec![d.title.clone(), d.detects.clone(), d.attack.join(", ")]).collect(),
    );

    let labels: serde_json::Map<String, Value> = [
        ("title", T::Title),
        ("subtitle", T::Subtitle),
        ("contents", T::Contents),
        ("summary", T::ExecSummary),
        ("key_figures", T::KeyFigures),
        ("priority", T::PriorityHosts),
        ("no_priority", T::NoPriorityHosts),
        ("overview", T::ChartsTitle),
        ("infected", T::InfectedSection),
        ("infected_intro", T::InfectedIntro),
        ("no_infected", T::NoInfected),
        ("other_hosts", T::OtherHosts),
        ("action", T::Action),
        ("leak", T::LeakSection),
        ("leak_intro", T::LeakIntro),
        ("no_services", T::NoServices),
        ("unsanctioned", T::UnsanctionedTitle),
        ("uploaders", T::UploadersTitle),
        ("services", T::Services),
        ("all_findings", T::AllFindings),
        ("all_findings_intro", T::AllFindingsIntro),
        ("table_cut", T::TableCut),
        ("iocs", T::IocAppendix),
        ("iocs_intro", T::IocIntro),
        ("attack", T::AttackTable),
        ("method", T::Methodology),
        ("method_intro", T::MethodIntro),
        ("limitations", T::Limitations),
        ("inputs", T::Inputs),
        ("formats", T::Formats),
        ("per_day", T::PerDay),
        ("gaps", T::Gaps),
        ("no_gaps", T::NoGaps),
        ("rejected", T::RejectedRecords),
        ("samples", T::Samples),
        ("intel", T::IntelSources),
        ("no_intel", T::NoIntel),
        ("policy", T::Policy),
        ("detectors", T::Detectors),
        ("annex", T::AnnexTitle),
        ("annex_intro", T::AnnexIntro),
        ("none", T::NoAnnex),
        ("note", T::Note),
        ("user_agents", T::UserAgents),
        ("evidence", T::Evidence),
        ("confirmed", T::Confirmed),
        ("footer", T::Footer),
        ("more_findings", T::MoreFindings),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), Value::String(l(*v))))
    .collect();

    let mut cover = vec![];
    if let Some(o) = &r.organization {
        cover.push(json!([l(T::Organization), clean(o)]));
    }
    cover.push(json!([l(T::Period), clean(&format!("{} ({})", r.period, i18n::fmt_tz(r.tz_offset_s)))]));
    if let Some(a) = &r.analyst {
        cover.push(json!([l(T::Analyst), clean(a)]));
    }
    cover.push(json!([l(T::Generated), r.generated_at.clone()]));
    let logo_format = r.logo.as_ref().map(|l| match l.mime {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        _ => "svg",
    });

    json!({
        "lang": lang.code(),
        "font": font,
        "labels": labels,
        "cover": cover,
        "logo": logo_format,
        "version": r.kensa_version,
        "answers": answers,
        "figures": figures,
        "priority": priority,
        "charts": [r.charts.by_severity, r.charts.by_detector],
        "upload_chart": r.charts.upload_volume,
        "hosts": hosts,
        "any_infected": r.hosts.iter().any(|h| h.verdict == HostVerdict::LikelyCompromised),
        "other_hosts": other,
        "leak": {
            "empty": lk.categories.is_empty(),
            "categories": categories,
            "unsanctioned": svc_table(&lk.unsanctioned),
            "uploaders": uploaders,
            "services": svc_table(&lk.services),
            "services_count": format!("{}/{}", lk.services.len(), lk.services_total),
        },
        "findings": findings_table(&r.findings),
        "findings_count": r.findings.len(),
        "findings_cut": r.findings.len() > table_rows,
        "iocs": iocs,
        "attack": attack,
        "limitations": c.limitations.iter().map(|s| clean(s)).collect::<Vec<_>>(),
        "inputs": inputs,
        "formats": formats,
        "days": days,
        "gaps": gaps,
        "rejects": rejects,
        "reject_samples": reject_samples,
        "intel": intel,
        "policy": c.policy.as_deref().map(clean),
        "detectors": detectors,
        "annex": findings_table(&r.annex),
        "annex_count": r.annex.len(),
    })
}

fn sev_of(k: &str) -> kensa_detect::Severity {
    use kensa_detect::Severity::*;
    match k {
        "critical" => Critical,
        "high" => High,
        "medium" => Medium,
        "low" => Low,
        _ => Info,
    }
}

fn host_view(r: &Report, h: &HostSummary) -> Value {
    let lang = r.lang;
    let l = |k: T| t(lang, k).to_string();
    let ts = |ms: i64| fmt_ts(ms, r.tz_offset_s);
    let mut kv = Vec::new();
    if !h.users.is_empty() {
        kv.push(json!([l(T::Users), clean(&h.users.join(", "))]));
    }
    if !h.hostnames.is_empty() {
        kv.push(json!([l(T::Host), clean(&h.hostnames.join(", "))]));
    }
    let limit = 6;
    let findings: Vec<Value> = h
        .findings
        .iter()
        .take(limit)
        .map(|&i| {
            let v = &r.findings[i];
            let f = &v.finding;
            let dst = [f.dst.host.as_deref(), f.dst.domain.as_deref(), f.dst.ip.as_deref()].into_iter().flatten().next().unwrap_or("-");
            let mut fkv = vec![
                json!([l(T::Destination), clean(&format!("{dst}{}", f.dst.port.map(|p| format!(":{p}")).unwrap_or_default()))]),
                json!([l(T::FirstSeen), ts(f.first_seen)]),
                json!([l(T::LastSeen), ts(f.last_seen)]),
                json!([l(T::Events), fmt_int(f.count)]),
                json!([l(T::BytesUp), fmt_opt_bytes(lang, f.bytes_up)]),
                json!([l(T::BytesDown), fmt_opt_bytes(lang, f.bytes_down)]),
                json!([l(T::Score), format!("{:.0}", f.score)]),
            ];
            if let Some(sv) = &f.dst.service {
                fkv.push(json!([l(T::Service), clean(sv)]));
            }
            for (k, val) in &v.figures {
                fkv.push(json!([clean(k), clean(val)]));
            }
            if !v.intel.is_empty() {
                fkv.push(json!([l(T::Intel), clean(&v.intel.join(", "))]));
            }
            if !f.attack.is_empty() {
                fkv.push(json!(["ATT&CK", f.attack.join(", ")]));
            }
            let uas = table(
                &[&l(T::UserAgents), &l(T::Events)],
                &[6.0, 1.0],
                &[false, true],
                v.user_agents.iter().map(|(u, n)| vec![if u.is_empty() { "(none)".to_string() } else { u.clone() }, fmt_int(*n)]).collect(),
            );
            let recs = table(
                &[&l(T::Time), &l(T::File), &l(T::Method), &l(T::Url), &l(T::Status)],
                &[1.7, 1.9, 0.8, 4.0, 0.7],
                &[false, false, false, false, true],
                v.records
                    .iter()
                    .map(|rec| {
                        vec![
                            ts(rec.ts_ms),
                            format!("{}:{}", rec.file, rec.line),
                            rec.method.clone().unwrap_or_else(|| "-".into()),
                            match &rec.user_agent {
                                Some(ua) => format!("{} — UA: {ua}", rec.url.as_deref().unwrap_or("-")),
                                None => rec.url.clone().unwrap_or_else(|| "-".into()),
                            },
                            rec.status.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                        ]
                    })
                    .collect(),
            );
            json!({
                "heading": clean(&format!("{}: {}", v.detector_title, f.title)),
                "sev": sev_json(lang, f.severity),
                "status": if f.status == Status::Open { Value::Null } else { Value::String(v.status_label.clone()) },
                "confirmed": f.status == Status::Confirmed,
                "explanation": clean(&v.explanation),
                "note": v.note.as_deref().map(|n| clean(&match &v.analyst { Some(a) => format!("{n} — {a}"), None => n.to_string() })),
                "kv": fkv,
                "uas": uas,
                "timeline": v.timeline_svg,
                "interval": v.interval_svg,
                "records": recs,
            })
        })
        .collect();
    json!({
        "title": clean(&h.host),
        "verdict": i18n::verdict_label(lang, h.verdict),
        "verdict_color": match h.verdict { HostVerdict::LikelyCompromised => "#8b0000", HostVerdict::LeakRisk => "#c76b00", _ => "#333333" },
        "confirmed": h.confirmed > 0,
        "kv": kv,
        "action": clean(&h.action),
        "heatmap": h.heatmap_svg,
        "findings": findings,
        "more": if h.findings.len() > limit { Some(format!("+{} {}", h.findings.len() - limit, l(T::MoreFindings))) } else { None },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_font_is_a_clear_error() {
        let empty = tempfile::tempdir().unwrap();
        let e = find_fonts_in(&[empty.path().to_path_buf()], &[]).err().expect("no font, no PDF");
        let msg = format!("{e:#}");
        assert!(msg.contains("no Japanese-capable font found") && msg.contains("fonts-noto-cjk") && msg.contains("--font-dir"), "{msg}");
        let e = find_fonts_in(&[empty.path().join("nope")], &[]).err().unwrap();
        assert!(format!("{e:#}").contains("does not exist"));
    }

    #[test]
    fn clean_marks_bidi_cuts_and_breaks_long_runs() {
        assert_eq!(clean("a\u{202E}b"), "a[U+202E]b");
        let long = "x".repeat(50);
        let c = clean(&long);
        assert_eq!(c.matches('\u{200B}').count(), 2);
        assert_eq!(c.replace('\u{200B}', ""), long);
        assert!(clean(&"y ".repeat(1000)).ends_with("[2000 chars]"));
        // Typst markup characters pass through as text (the template never evaluates them).
        assert_eq!(clean("#[x]*_$@<a>\\"), "#[x]*_$@<a>\\");
    }
}
