//! End-to-end tests of `kensa report` and the reports `kensa run` writes,
//! on the example week plus injected hostile records: every string from a
//! log must render inert in HTML (checked in headless Chromium), PDF
//! (checked with poppler), CSV (formula prefixes) and STIX.
//!
//! Chromium, pdftotext/pdftoppm and a CJK font are Debian packages
//! (`chromium`, `poppler-utils`, `fonts-noto-cjk`, installed by `.ci/run`).
//! Missing: the test fails when `CI` is set, else skips that part.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;

const DAY0: &str = "2026-11-17";

/// Hostile strings, each a payload that would change the page if it ran.
const USER_XSS: &str = "<img src=x onerror=document.title=`PWNED1`>";
const UA_XSS: &str = "Mozilla/5.0 <script>document.title=`PWNED5`</script> javascript:alert(1) \u{202E}fdp.exe";
const USER_FORMULA: &str = "=HYPERLINK(`http://x`)";

fn elff_header() -> String {
    "#Software: SGOS 7.3.16.1\n#Version: 1.0\n#Fields: date time time-taken c-ip cs-username cs-auth-group x-exception-id sc-filter-result cs-categories cs(Referer) sc-status s-action cs-method rs(Content-Type) cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query cs-uri-extension cs(User-Agent) s-ip sc-bytes cs-bytes x-virus-id\n".to_string()
}

/// Two strongly periodic beacons carrying the payloads (so detectors report
/// them and their strings reach every part of the report), plus one very
/// long URL.
fn hostile_log(path: &Path) {
    let mut s = elff_header();
    let long_path = format!("/{}", "A".repeat(6000));
    for i in 0..1500u32 {
        let t = 6 * 3600 + i * 120 + (i * 7 % 5);
        let (h, m, sec) = (t / 3600 % 24, t / 60 % 60, t % 60);
        let day = if t / 86400 == 0 { DAY0.to_string() } else { "2026-11-18".to_string() };
        let path1 = if i % 100 == 0 { long_path.as_str() } else { "/<script>document.title=`PWNED3`</script>" };
        s.push_str(&format!(
            "{day} {h:02}:{m:02}:{sec:02} 31 10.66.6.6 \"{USER_XSS}\" - - OBSERVED \"Uncategorized\" - 200 TCP_MISS GET text/html http xss-c2.evil.example 80 {path1} ?a='><svg/onload=document.title=`PWNED4`> - \"{UA_XSS}\" 10.1.0.5 320 410 -\n"
        ));
        let t2 = t + 45;
        let (h, m, sec) = (t2 / 3600 % 24, t2 / 60 % 60, t2 % 60);
        s.push_str(&format!(
            "{day} {h:02}:{m:02}:{sec:02} 29 10.66.6.7 \"{USER_FORMULA}\" - - OBSERVED \"Uncategorized\" - 200 TCP_MISS POST text/plain http =cmd.evil.example 80 /@SUM(1+1) - - \"-2+3 curl/8.0\" 10.1.0.5 280 900 -\n"
        ));
    }
    std::fs::write(path, s).unwrap();
}

fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join(name)).find(|p| p.is_file()));
    if found.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!("{name} not found (CI is set): .ci/run installs chromium, poppler-utils and fonts-noto-cjk");
        }
        eprintln!("note: {name} not found; skipping that check");
    }
    found
}

fn example_log() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/logs/proxysg/SG_main.log.gz")
}

struct Fixture {
    _dir: tempfile::TempDir,
    out: PathBuf,
    case: PathBuf,
    findings: Vec<serde_json::Value>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let hostile = dir.path().join("hostile.log");
    hostile_log(&hostile);
    let out = dir.path().join("out");
    let o = run(&["run", "--quiet", "--out", out.to_str().unwrap(), example_log().to_str().unwrap(), hostile.to_str().unwrap(), "--report-lang", "en"]);
    assert!(o.status.success(), "kensa run failed: {}\n{}", stdout(&o), stderr(&o));
    // `kensa run` wrote the HTML report by default.
    assert!(out.join("report.en.html").is_file(), "run wrote no report");
    let case = out.join("case");
    let f: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("findings.json")).unwrap()).unwrap();
    let findings = f["findings"].as_array().unwrap().clone();
    Fixture { _dir: dir, out, case, findings }
}

fn report(case: &Path, args: &[&str]) -> Vec<u8> {
    let mut a = vec!["report", "--quiet", "--case", case.to_str().unwrap(), "-o", "-"];
    a.extend_from_slice(args);
    let o = run(&a);
    assert!(o.status.success(), "kensa report {args:?} failed: {}", stderr(&o));
    o.stdout
}

/// Finds a finding from the hostile source 10.66.6.6, sets verdicts, and
/// returns (confirmed id, false-positive id).
fn set_verdicts(fx: &Fixture) -> (String, String) {
    let hostile = fx.findings.iter().find(|f| f["src"]["ip"] == "10.66.6.6").unwrap_or_else(|| panic!("no finding on the hostile source; detectors: {:?}", fx.findings.iter().map(|f| (&f["detector"], &f["src"]["ip"])).collect::<Vec<_>>()));
    let id = hostile["id"].as_str().unwrap().to_string();
    let o = run(&["verdict", "--case", fx.case.to_str().unwrap(), &id, "confirmed", "--note", "<script>document.title=`PWNED6`</script> confirmed C2 =1+1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let fp = fx.findings.iter().find(|f| f["src"]["ip"] != "10.66.6.6" && f["src"]["ip"] != "10.66.6.7").expect("a finding from the example week");
    let fp_id = fp["id"].as_str().unwrap().to_string();
    let o = run(&["verdict", "--case", fx.case.to_str().unwrap(), &fp_id, "false_positive", "--note", "update server"]);
    assert!(o.status.success(), "{}", stderr(&o));
    (id, fp_id)
}

#[test]
fn report_renders_hostile_strings_inert_in_every_format() {
    let fx = fixture();
    let (confirmed, fp) = set_verdicts(&fx);

    // HTML, both languages.
    for lang in ["en", "ja"] {
        let html = String::from_utf8(report(&fx.case, &["--lang", lang, "--format", "html"])).unwrap();
        assert!(!html.contains("<script"), "a <script> tag reached the {lang} HTML");
        assert!(!html.contains("<img src=x"), "an <img> payload reached the {lang} HTML");
        assert!(!html.contains("<svg/onload"), "an <svg onload> payload reached the {lang} HTML");
        assert!(html.contains("&lt;img src=x onerror=document.title=`PWNED1`&gt;"), "the hostile user name is shown, escaped");
        assert!(html.contains("⟨U+202E⟩"), "the RTL override is shown as a visible mark");
        assert!(!html.contains('\u{202E}'));
        // The very long URL (its 6001-char path plus the query) is cut and says how long it was.
        let cut = html.find("AAAA… [").map(|i| &html[i + "AAAA… [".len()..]).expect("the very long URL is cut and says so");
        let n: usize = cut[..cut.find(" chars]").expect("length note")].parse().unwrap();
        assert!(n > 6001, "the note gives the whole length: {n}");
        assert!(!html.contains("href=\"javascript") && !html.contains("src=\"http"), "no link or fetch from log data");
        // Verdicts: the confirmed finding is marked with its note; the false positive is in the annex only.
        assert!(html.contains(&format!("id=\"f-{confirmed}\"")), "confirmed finding shown in detail");
        assert!(html.contains("&lt;script&gt;document.title=`PWNED6`&lt;/script&gt; confirmed C2"), "analyst note shown");
        let annex_at = html.find("id=\"annex\"").unwrap();
        assert!(!html[..annex_at].contains(&format!("id=\"f-{fp}\"")), "false positive left the body");
        assert!(html[annex_at..].contains("update server"), "false positive listed in the annex with its note");
        if lang == "ja" {
            assert!(html.contains("通信ログ調査報告書") && html.contains("エグゼクティブサマリー"));
        } else {
            assert!(html.contains("Egress traffic assessment report") && html.contains("Are we infected?"));
        }
        std::fs::write(fx.out.join(format!("r.{lang}.html")), &html).unwrap();
    }

    if let Some(chromium) = tool("chromium").or_else(|| tool_quiet("chromium-browser")) {
        chromium_checks(&chromium, &fx.out.join("r.en.html"));
        chromium_checks(&chromium, &fx.out.join("r.ja.html"));
    }

    // PDF, both languages: text present and selectable, pages render.
    let pdftotext = tool("pdftotext");
    let pdftoppm = tool("pdftoppm");
    for (lang, must) in [("en", ["Egress traffic assessment report", "Are we infected?", "Contents"]), ("ja", ["通信ログ調査報告書", "マルウェアに感染しているか", "目次"])] {
        let pdf = report(&fx.case, &["--lang", lang, "--format", "pdf"]);
        assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
        let p = fx.out.join(format!("r.{lang}.pdf"));
        std::fs::write(&p, &pdf).unwrap();
        if let Some(t) = &pdftotext {
            let o = Command::new(t).args([p.to_str().unwrap(), "-"]).output().unwrap();
            assert!(o.status.success());
            let text = String::from_utf8_lossy(&o.stdout).replace('\u{200B}', "");
            for m in must {
                assert!(text.contains(m), "{lang} PDF lacks {m:?}");
            }
            // The hostile strings are there as plain text.
            assert!(text.contains("PWNED1") && text.contains("xss-c2.evil.example"), "{lang} PDF lacks the hostile source's strings");
            assert!(text.contains("[U+202E]"), "{lang} PDF shows the RTL override as a mark");
        }
        if let Some(t) = &pdftoppm {
            let prefix = fx.out.join(format!("page-{lang}"));
            let o = Command::new(t).args(["-r", "20", "-png", p.to_str().unwrap(), prefix.to_str().unwrap()]).output().unwrap();
            assert!(o.status.success(), "pdftoppm: {}", String::from_utf8_lossy(&o.stderr));
            let pages = std::fs::read_dir(&fx.out).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().starts_with(&format!("page-{lang}"))).count();
            assert!(pages >= 5, "{lang} PDF rendered {pages} page(s)");
        }
    }

    // CSV: no cell starts a formula.
    for table in ["findings", "services"] {
        let csv = String::from_utf8(report(&fx.case, &["--format", "csv", "--table", table])).unwrap();
        let rows = parse_csv(&csv);
        assert!(rows.len() > 1, "{table} CSV is empty");
        for r in &rows {
            for c in r {
                assert!(!c.starts_with(['=', '+', '-', '@', '\t', '\r']), "{table} CSV cell {c:?} would run as a formula");
            }
        }
        if table == "findings" {
            assert!(rows.iter().flatten().any(|c| c == &format!("'{USER_FORMULA}")), "the formula user name is kept, neutralised");
            let status = rows[0].iter().position(|h| h == "status").unwrap();
            let id = rows[0].iter().position(|h| h == "id").unwrap();
            assert!(rows.iter().any(|r| r[id] == confirmed && r[status] == "confirmed"));
            assert!(rows.iter().any(|r| r[id] == fp && r[status] == "false_positive"));
        }
    }

    // STIX: a bundle whose indicators are the confirmed finding's destinations, with sightings.
    let stix1: serde_json::Value = serde_json::from_slice(&report(&fx.case, &["--format", "stix"])).unwrap();
    let stix2: serde_json::Value = serde_json::from_slice(&report(&fx.case, &["--format", "stix"])).unwrap();
    assert_eq!(stix1["type"], "bundle");
    let objs = stix1["objects"].as_array().unwrap();
    let inds: Vec<&serde_json::Value> = objs.iter().filter(|o| o["type"] == "indicator").collect();
    assert!(!inds.is_empty(), "no indicator in the STIX bundle");
    assert!(inds.iter().any(|i| i["pattern"] == "[domain-name:value = 'xss-c2.evil.example']"), "{inds:?}");
    for i in &inds {
        assert_eq!(i["spec_version"], "2.1");
        assert!(i["id"].as_str().unwrap().starts_with("indicator--"));
        assert!(objs.iter().any(|s| s["type"] == "sighting" && s["sighting_of_ref"] == i["id"]), "indicator without sighting");
    }
    let ids = |v: &serde_json::Value| v["objects"].as_array().unwrap().iter().filter(|o| o["type"] != "identity").map(|o| o["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&stix1), ids(&stix2), "STIX ids are deterministic");

    // JSON: the findings contract plus the report sections.
    let j: serde_json::Value = serde_json::from_slice(&report(&fx.case, &["--format", "json"])).unwrap();
    assert!(j["findings"].as_array().unwrap().iter().any(|v| v["finding"]["id"] == confirmed.as_str() && v["finding"]["status"] == "confirmed"));
    assert!(j["annex"].as_array().unwrap().iter().any(|v| v["finding"]["id"] == fp.as_str()));
    assert!(j["summary"]["records"].as_u64().unwrap() > 30_000);
    assert!(j["coverage"]["inputs"].as_array().unwrap().len() == 2);
}

fn tool_quiet(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join(name)).find(|p| p.is_file()))
}

fn chromium_base(chromium: &Path, profile: &Path) -> Command {
    let mut c = Command::new(chromium);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
    ]);
    c.arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// Opens the report in headless Chromium: no payload ran (title unchanged,
/// no injected element), and nothing overflows a 1000 px wide viewport.
fn chromium_checks(chromium: &Path, html: &Path) {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", html.display());
    let o = chromium_base(chromium, profile.path()).args(["--virtual-time-budget=3000", "--dump-dom", &url]).output().unwrap();
    assert!(o.status.success(), "chromium failed: {}", String::from_utf8_lossy(&o.stderr));
    let dom = String::from_utf8_lossy(&o.stdout);
    assert!(dom.contains("</main>"), "chromium dumped no report: {}", &dom[..dom.len().min(500)]);
    let title = dom.split("<title>").nth(1).and_then(|s| s.split("</title>").next()).unwrap_or("");
    assert!(!title.contains("PWNED"), "a payload ran: title is {title:?}");
    assert!(!dom.contains("<script") && !dom.contains("<img src=\"x\"") && !dom.contains("onerror=\"") && !dom.contains("onload=\""), "a payload became markup");
    // Layout: a probe page (scripts allowed there, not in the report) frames
    // the report 1000 px wide and reads its scroll width.
    let probe = html.with_extension("probe.html");
    std::fs::write(
        &probe,
        format!(
            "<!DOCTYPE html><html><head><title>probe</title></head><body><iframe id=f style=\"width:1000px;height:700px;border:0\" src=\"{}\"></iframe><script>document.getElementById('f').onload=function(){{var d=this.contentDocument;document.title='W='+d.documentElement.scrollWidth+' T='+d.title+' X='+(d.getElementById('pwned')?1:0);}};</script></body></html>",
            html.file_name().unwrap().to_str().unwrap()
        ),
    )
    .unwrap();
    let o = chromium_base(chromium, profile.path())
        .args(["--allow-file-access-from-files", "--virtual-time-budget=5000", "--dump-dom", &format!("file://{}", probe.display())])
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&o.stdout);
    let title = dom.split("<title>").nth(1).and_then(|s| s.split("</title>").next()).unwrap_or("").to_string();
    let w: u32 = title.strip_prefix("W=").and_then(|s| s.split(' ').next()).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("probe did not measure the report: {title:?}"));
    assert!(w <= 1000, "the report overflows a 1000 px viewport: scroll width {w}");
    assert!(!title.contains("PWNED") && title.ends_with("X=0"), "a payload ran inside the framed report: {title:?}");
}

/// Minimal RFC 4180 reader for the assertions.
fn parse_csv(s: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut q = false;
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match (q, c) {
            (true, '"') if it.peek() == Some(&'"') => {
                it.next();
                cell.push('"');
            }
            (true, '"') => q = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => q = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    rows
}

#[test]
fn report_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["report", "--case", dir.path().join("nope").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("not a kensa case"), "{}", stderr(&o));
}
