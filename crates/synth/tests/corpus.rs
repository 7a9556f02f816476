//! Conformance with the shared corpus: the lines we render have the same
//! shape, field by field, as the reference samples of each format. The
//! corpus is read in place (never copied). Without it the tests skip, unless
//! `CI` is set, where they fail.

use std::path::PathBuf;

use kensa_synth::{SynthConfig, SynthFormat, Week};

fn corpus(rel: &str) -> Option<String> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/proxy"
    ))
    .join(rel);
    match std::fs::read(&p) {
        Ok(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "corpus file {} missing in CI: {e}",
                p.display()
            );
            eprintln!(
                "note: corpus file {} not found ({e}); skipping",
                p.display()
            );
            None
        }
    }
}

fn ours(f: SynthFormat) -> String {
    let w = Week::build(&SynthConfig {
        hosts: 10,
        days: 2,
        ..SynthConfig::default()
    })
    .unwrap();
    let mut out = Vec::new();
    w.render(f, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn squid_native_shape(l: &str) -> Result<(), String> {
    let t: Vec<&str> = l.split_whitespace().collect();
    let ok = t.len() == 10
        && t[0]
            .split_once('.')
            .is_some_and(|(s, ms)| digits(s) && ms.len() == 3 && digits(ms))
        && digits(t[1])
        && t[3].split_once('/').is_some_and(|(c, s)| {
            c.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') && s.len() == 3 && digits(s)
        })
        && digits(t[4])
        && t[5].bytes().all(|b| b.is_ascii_uppercase())
        && t[8].contains('/');
    if ok { Ok(()) } else { Err(l.to_string()) }
}

fn ifilter_shape(l: &str) -> Result<(), String> {
    let t: Vec<&str> = l.split_whitespace().collect();
    let ok = t.len() == 35
        && t[0].len() == 3
        && digits(t[1])
        && t[2].len() == 8
        && digits(t[3])
        && t[4] == "1050/01/"
        && t[11].starts_with('[')
        && t[12].ends_with(']')
        && digits(t[13])
        && digits(t[14])
        && digits(t[15])
        && (t[16] == "pass" || t[16] == "block")
        && t[20] == "-1"
        && t[28].starts_with('"')
        && t[30].ends_with('"')
        && t[34].len() == 8
        && t[34].bytes().all(|b| b.is_ascii_hexdigit());
    if ok { Ok(()) } else { Err(l.to_string()) }
}

fn combined_shape(l: &str) -> Result<(), String> {
    let p: Vec<&str> = l.split('"').collect();
    let ok = p.len() == 7
        && p[0].ends_with("] ")
        && p[0].split(' ').nth(1) == Some("-")
        && p[1].split(' ').count() == 3
        && p[2].split_whitespace().all(digits)
        && p[6].trim().split_once(':').is_some_and(|(a, b)| {
            a.starts_with("TCP_") || a.starts_with("NONE") || b.starts_with("HIER_")
        });
    if ok { Ok(()) } else { Err(l.to_string()) }
}

fn elff_datetime_shape(l: &str) -> Result<(), String> {
    let t: Vec<&str> = l.split(' ').collect();
    let d: Vec<&str> = t[0].split('-').collect();
    let h: Vec<&str> = t.get(1).unwrap_or(&"").split(':').collect();
    let ok = d.len() == 3
        && d[0].len() == 4
        && d.iter().all(|x| digits(x))
        && h.len() == 3
        && h.iter().all(|x| x.len() == 2 && digits(x))
        && digits(t[2]);
    if ok { Ok(()) } else { Err(l.to_string()) }
}

#[test]
fn squid_native_matches_the_real_sample() {
    let Some(c) = corpus("squid/elastic-integrations__test-access.log") else {
        return;
    };
    let n = c.lines().filter(|l| squid_native_shape(l).is_ok()).count();
    assert!(
        n >= 40,
        "the shape check accepts the real sample ({n} lines)"
    );
    for l in ours(SynthFormat::SquidNative).lines() {
        squid_native_shape(l).unwrap();
    }
}

#[test]
fn squid_combined_matches_the_sample() {
    let Some(c) = corpus("squid/synthetic-combined.log") else {
        return;
    };
    for l in c.lines().filter(|l| !l.is_empty()) {
        combined_shape(l).unwrap();
    }
    for l in ours(SynthFormat::SquidCombined).lines() {
        combined_shape(l).unwrap();
    }
}

#[test]
fn ifilter_matches_the_v10_sample() {
    let Some(c) = corpus("ifilter/synthetic-v10-default35.access.log0000") else {
        return;
    };
    let ok = c.lines().filter(|l| ifilter_shape(l).is_ok()).count();
    assert_eq!(
        ok, 38,
        "38 valid lines in the sample (one is truncated on purpose)"
    );
    for l in ours(SynthFormat::IfilterV10Access).lines() {
        ifilter_shape(l).unwrap();
    }
}

#[test]
fn proxysg_header_and_times_match_the_samples() {
    let Some(main) = corpus("bluecoat_proxysg/elastic-integrations__test-proxy-main.log") else {
        return;
    };
    let Some(bcr) =
        corpus("bluecoat_proxysg/elastic-integrations__test-proxy-bcreportermainv1.log")
    else {
        return;
    };
    let text = ours(SynthFormat::ProxySgElff);
    let prefix = |l: &str| l.split(':').next().unwrap_or("").to_string();
    let theirs: Vec<String> = main
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(prefix)
        .collect();
    let mine: Vec<String> = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(prefix)
        .collect();
    assert_eq!(theirs, mine, "same directive lines in the same order");
    // Every field we log is a field name the real samples or notes use.
    let their_fields = main.lines().find(|l| l.starts_with("#Fields: ")).unwrap();
    let shared = kensa_synth::PROXYSG_MAIN_FIELDS
        .split(' ')
        .filter(|f| their_fields.split(' ').any(|g| g == *f))
        .count();
    assert!(
        shared >= 20,
        "{shared} of 25 fields also appear in the real header"
    );
    for l in main
        .lines()
        .filter(|l| !l.starts_with('#'))
        .chain(bcr.lines())
        .filter(|l| !l.is_empty())
    {
        elff_datetime_shape(l).unwrap();
    }
    for l in text.lines().filter(|l| !l.starts_with('#')) {
        elff_datetime_shape(l).unwrap();
    }
}
