//! Whole-week tests: determinism, layouts, time bounds and order, rhythm,
//! ground truth coverage in every format, lossy formats.

use std::collections::HashMap;
use std::sync::OnceLock;

use kensa_synth::{GroundTruth, SynthConfig, SynthFormat, ThreatKind, Week};

/// The default week, built once and rendered once per format.
fn default_week() -> &'static (Week, HashMap<SynthFormat, String>) {
    static W: OnceLock<(Week, HashMap<SynthFormat, String>)> = OnceLock::new();
    W.get_or_init(|| {
        let week = Week::build(&SynthConfig::default()).expect("default config is valid");
        let mut text = HashMap::new();
        for &f in SynthFormat::ALL {
            let mut out = Vec::new();
            let n = week.render(f, &mut out).unwrap();
            assert_eq!(n as usize, week.len());
            text.insert(f, String::from_utf8(out).expect("ASCII/UTF-8 output"));
        }
        (week, text)
    })
}

fn data_lines(s: &str) -> impl Iterator<Item = &str> {
    s.lines().filter(|l| !l.starts_with('#'))
}

/// Splits on spaces outside double quotes (ELFF tokenising).
fn elff_tokens(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if let Some(s) = start.take() {
                    out.push(&line[s..i]);
                }
                continue;
            }
            _ => {}
        }
        if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push(&line[s..]);
    }
    out
}

/// Number of fields separated by runs of spaces; with `quotes`, spaces
/// inside double quotes do not separate (a plain loop: tests run unoptimised).
fn count_fields(line: &str, quotes: bool) -> usize {
    let b = line.as_bytes();
    let (mut n, mut in_field, mut quoted) = (0, false, false);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if quotes && c == b'"' {
            quoted = !quoted;
        }
        if c == b' ' && !quoted {
            in_field = false;
        } else if !in_field {
            in_field = true;
            n += 1;
        }
        i += 1;
    }
    n
}

fn count_byte(line: &str, x: u8) -> usize {
    let b = line.as_bytes();
    let (mut n, mut i) = (0, 0);
    while i < b.len() {
        if b[i] == x {
            n += 1;
        }
        i += 1;
    }
    n
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn num(s: &str) -> i64 {
    s.trim()
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

fn month(s: &str) -> i64 {
    [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == s)
    .unwrap_or_else(|| panic!("month {s:?}")) as i64
        + 1
}

/// ms of `y-m-d hh:mm:ss` at a UTC offset in seconds.
fn civil_ms(y: i64, m: i64, d: i64, hms: &str, offset_s: i64) -> i64 {
    let t: Vec<i64> = hms.split(':').map(num).collect();
    assert_eq!(t.len(), 3, "{hms}");
    ((days_from_civil(y, m, d) * 86_400 + t[0] * 3_600 + t[1] * 60 + t[2]) - offset_s) * 1000
}

/// `18/Nov/2026:00:30:04 +0900`
fn clf_ms(s: &str) -> i64 {
    let (dt, tz) = s.split_once(' ').unwrap();
    let sign = if tz.starts_with('-') { -1 } else { 1 };
    let off = sign * (num(&tz[1..3]) * 3_600 + num(&tz[3..5]) * 60);
    civil_ms(
        num(&dt[7..11]),
        month(&dt[3..6]),
        num(&dt[0..2]),
        &dt[12..],
        off,
    )
}

/// (client, logged time in ms, start time in ms if logged) of one line.
fn parse(f: SynthFormat, line: &str) -> (String, i64, Option<i64>) {
    match f {
        SynthFormat::SquidNative => {
            let t: Vec<&str> = line.split_whitespace().collect();
            let (s, ms) = t[0].split_once('.').unwrap();
            let end = num(s) * 1000 + num(ms);
            (t[2].to_string(), end, Some(end - num(t[1])))
        }
        SynthFormat::SquidCombined | SynthFormat::SquidCommon => {
            let open = line.find('[').unwrap();
            let close = line.find(']').unwrap();
            (
                line.split(' ').next().unwrap().to_string(),
                clf_ms(&line[open + 1..close]),
                None,
            )
        }
        SynthFormat::ProxySgElff => {
            let t = elff_tokens(line);
            let d: Vec<i64> = t[0].split('-').map(num).collect();
            let end = civil_ms(d[0], d[1], d[2], t[1], 0);
            (t[3].to_string(), end, Some(end - num(t[2])))
        }
        SynthFormat::IfilterV10Access => {
            let t: Vec<&str> = line.split_whitespace().collect();
            let start = clf_ms(&format!("{} {}", &t[11][1..], &t[12][..t[12].len() - 1]));
            let year = num(&t[11][8..12]);
            let out = civil_ms(year, month(t[0]), num(t[1]), t[2], 9 * 3_600);
            (t[8].to_string(), out, Some(start))
        }
        _ => unreachable!(),
    }
}

#[test]
fn test_time_parsers_agree_with_chrono() {
    let c = chrono::DateTime::parse_from_str("18/Nov/2026:00:30:04 +0900", "%d/%b/%Y:%H:%M:%S %z")
        .unwrap();
    assert_eq!(clf_ms("18/Nov/2026:00:30:04 +0900"), c.timestamp_millis());
    let n =
        chrono::NaiveDateTime::parse_from_str("2026-02-28 23:59:59", "%Y-%m-%d %H:%M:%S").unwrap();
    assert_eq!(
        civil_ms(2026, 2, 28, "23:59:59", 0),
        n.and_utc().timestamp_millis()
    );
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let cfg = SynthConfig {
        hosts: 15,
        days: 2,
        beacon_grid: true,
        ..SynthConfig::default()
    };
    let a = Week::build(&cfg).unwrap();
    let b = Week::build(&cfg).unwrap();
    let c = Week::build(&SynthConfig {
        seed: cfg.seed + 1,
        ..cfg.clone()
    })
    .unwrap();
    for &f in SynthFormat::ALL {
        let (mut x, mut y, mut z) = (Vec::new(), Vec::new(), Vec::new());
        a.render(f, &mut x).unwrap();
        b.render(f, &mut y).unwrap();
        c.render(f, &mut z).unwrap();
        assert!(x.len() > 10_000, "{f}: {} bytes", x.len());
        assert!(x == y, "{f}: same seed gave different bytes");
        assert!(x != z, "{f}: another seed gave the same bytes");
    }
    assert_eq!(a.ground_truth(), b.ground_truth());
    assert_eq!(a.iocs_text(), b.iocs_text());
}

#[test]
fn every_format_has_its_columns_and_header() {
    let (_, text) = default_week();
    for &f in SynthFormat::ALL {
        let s = &text[&f];
        let mut n = 0;
        for line in data_lines(s) {
            n += 1;
            match f {
                SynthFormat::SquidNative => assert_eq!(count_fields(line, false), 10, "{line}"),
                SynthFormat::SquidCombined => {
                    assert_eq!(count_byte(line, b'"'), 6, "{line}");
                    assert!(
                        line.ends_with(":HIER_DIRECT") || line.ends_with(":HIER_NONE"),
                        "{line}"
                    );
                }
                SynthFormat::SquidCommon => {
                    assert_eq!(count_byte(line, b'"'), 2, "{line}");
                    assert_eq!(&line[line.find(' ').unwrap()..][..3], " - ", "{line}");
                }
                SynthFormat::ProxySgElff => assert_eq!(count_fields(line, true), 25, "{line}"),
                SynthFormat::IfilterV10Access => {
                    assert_eq!(count_fields(line, false), 35, "{line}")
                }
                _ => unreachable!(),
            }
        }
        if f == SynthFormat::IfilterV10Access {
            assert!(s.is_ascii());
        }
        if f == SynthFormat::SquidCombined {
            // Spot-check the request line and status of a sample.
            for line in data_lines(s).step_by(97) {
                let parts: Vec<&str> = line.split('"').collect();
                assert_eq!(parts.len(), 7, "{line}");
                assert_eq!(parts[1].split(' ').count(), 3, "{line}");
                assert!(parts[1].ends_with(" HTTP/1.1"), "{line}");
                let status: Vec<&str> = parts[2].split_whitespace().collect();
                assert!(
                    status[0].parse::<u16>().is_ok() && status[1].parse::<u64>().is_ok(),
                    "{line}"
                );
            }
        }
        assert_eq!(n, default_week().0.len());
        let header: Vec<&str> = s.lines().take_while(|l| l.starts_with('#')).collect();
        if f == SynthFormat::ProxySgElff {
            assert_eq!(header.len(), 6);
            assert!(header[0].starts_with("#Software: SGOS "));
            assert_eq!(header[1], "#Version: 1.0");
            assert!(header[2].starts_with("#Start-Date: 2026-11-16 "));
            assert!(header[3].starts_with("#Date: 2026-11-16 "));
            assert_eq!(
                header[4],
                format!("#Fields: {}", kensa_synth::PROXYSG_MAIN_FIELDS)
            );
            assert!(header[5].ends_with("\"main\""));
        } else {
            assert!(header.is_empty(), "{f} has no header");
        }
    }
}

#[test]
fn timestamps_inside_the_week_and_ordered() {
    let (week, text) = default_week();
    let gt = week.ground_truth();
    for &f in SynthFormat::ALL {
        let mut prev = i64::MIN;
        for line in data_lines(&text[&f]) {
            let (_, t, start) = parse(f, line);
            assert!(
                t >= gt.start_ms && t < gt.end_ms,
                "{f}: {t} outside the week: {line}"
            );
            if let Some(s) = start {
                assert!(
                    s >= gt.start_ms - 999 && s <= t,
                    "{f}: start {s} end {t}: {line}"
                );
            }
            assert!(t >= prev, "{f}: out of order: {line}");
            prev = t;
        }
    }
}

#[test]
fn office_rhythm_is_visible() {
    let (week, text) = default_week();
    let gt = week.ground_truth();
    // Local JST hour and weekday of each Squid line.
    let mut by = HashMap::<(i64, i64), u64>::new();
    for line in data_lines(&text[&SynthFormat::SquidNative]) {
        let (_, t, _) = parse(SynthFormat::SquidNative, line);
        let local = t + 9 * 3_600_000;
        let day = local.div_euclid(86_400_000);
        let wd = (day + 3).rem_euclid(7); // 0 = Monday
        let hour = local.rem_euclid(86_400_000) / 3_600_000;
        *by.entry((wd, hour)).or_default() += 1;
    }
    assert_eq!(gt.start, "2026-11-16T00:00:00.000Z");
    let weekday_10: u64 = (1..5).map(|d| by.get(&(d, 10)).copied().unwrap_or(0)).sum();
    let weekday_03: u64 = (1..5).map(|d| by.get(&(d, 3)).copied().unwrap_or(0)).sum();
    let lunch: u64 = (1..5).map(|d| by.get(&(d, 12)).copied().unwrap_or(0)).sum();
    let sunday_10 = by.get(&(6, 10)).copied().unwrap_or(0) * 4;
    assert!(
        weekday_10 > 4 * weekday_03,
        "10:00 {weekday_10} vs 03:00 {weekday_03}"
    );
    assert!(
        weekday_10 > 3 * sunday_10,
        "weekday 10:00 {weekday_10} vs Sunday {sunday_10}"
    );
    assert!(
        weekday_10 as f64 > 1.3 * lunch as f64,
        "lunch dip: 10:00 {weekday_10} vs 12:00 {lunch}"
    );
    assert!(
        weekday_03 > 0,
        "servers and always-on desktops talk at night"
    );
}

fn client_col(f: SynthFormat, line: &str) -> &str {
    match f {
        SynthFormat::SquidNative => line.split_whitespace().nth(2).unwrap(),
        SynthFormat::ProxySgElff => line.split(' ').nth(3).unwrap(),
        SynthFormat::IfilterV10Access => line.split_whitespace().nth(8).unwrap(),
        _ => line.split(' ').next().unwrap(),
    }
}

#[test]
fn every_ground_truth_item_has_events_in_every_format() {
    let (week, text) = default_week();
    let gt = week.ground_truth();
    assert!(gt.items.len() >= 20, "{} items", gt.items.len());
    let mut ids: Vec<&str> = gt.items.iter().map(|i| i.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), gt.items.len(), "ids are unique");
    // Lines of each format grouped by client address.
    let mut by_client: HashMap<(SynthFormat, &str), Vec<&str>> = HashMap::new();
    for &f in SynthFormat::ALL {
        for l in data_lines(&text[&f]) {
            by_client.entry((f, client_col(f, l))).or_default().push(l);
        }
    }
    for it in &gt.items {
        assert!(it.events > 0 && it.first_ms <= it.last_ms, "{}", it.id);
        assert!(
            it.first_ms >= gt.start_ms && it.last_ms < gt.end_ms,
            "{}",
            it.id
        );
        assert!(
            !it.attack.is_empty() && !it.detectors.is_empty(),
            "{}",
            it.id
        );
        for &f in SynthFormat::ALL {
            let dests: Vec<&str> = if it.params.dest_hosts.is_empty() {
                vec![it.dest_host.as_str()]
            } else {
                it.params.dest_hosts.iter().map(String::as_str).collect()
            };
            let lines = by_client
                .get(&(f, it.src_ip.as_str()))
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let n = lines
                .iter()
                .filter(|l| dests.iter().any(|d| l.contains(d)))
                .count() as u64;
            assert!(
                n >= it.events.min(1),
                "{} ({:?}) missing in {f}",
                it.id,
                it.kind
            );
            if it.kind == ThreatKind::DgaBurst {
                assert_eq!(n, it.events, "{} in {f}", it.id);
            } else if it.kind != ThreatKind::CloudUpload
                && it.kind != ThreatKind::GenaiUpload
                && it.kind != ThreatKind::WebmailUpload
            {
                // No benign traffic shares these (host, destination) pairs;
                // planted items may (the stager and its beacon).
                let planted: u64 = gt
                    .items
                    .iter()
                    .filter(|o| o.src_ip == it.src_ip && o.dest_host.contains(&it.dest_host))
                    .map(|o| o.events)
                    .sum();
                assert_eq!(n, planted, "{} in {f}", it.id);
            }
        }
    }
    let kinds: Vec<ThreatKind> = gt.items.iter().map(|i| i.kind).collect();
    for k in [
        ThreatKind::Beacon,
        ThreatKind::CobaltStrike,
        ThreatKind::Stager,
        ThreatKind::Exfil,
        ThreatKind::CloudUpload,
        ThreatKind::PasteUpload,
        ThreatKind::GenaiUpload,
        ThreatKind::WebmailUpload,
        ThreatKind::DgaBurst,
        ThreatKind::AuthStorm,
        ThreatKind::ConnectRawIp,
        ThreatKind::ConnectNonstdPort,
        ThreatKind::LongTunnel,
        ThreatKind::ExeAsImage,
        ThreatKind::IntelHit,
    ] {
        assert!(kinds.contains(&k), "{k:?} planted");
    }
}

#[test]
fn squid_loses_upload_bytes_proxysg_and_ifilter_keep_them() {
    let (week, text) = default_week();
    let ex = week
        .ground_truth()
        .items
        .iter()
        .find(|i| i.kind == ThreatKind::Exfil)
        .unwrap();
    let chunk = ex.params.chunk_bytes.unwrap();
    assert_eq!(chunk, 10 * 1024 * 1024);
    assert!(ex.bytes_up >= chunk * ex.events);
    let mine = |f: SynthFormat| -> Vec<&str> {
        data_lines(&text[&f])
            .filter(|l| client_col(f, l) == ex.src_ip && l.contains(&ex.dest_host))
            .collect()
    };
    for f in [
        SynthFormat::SquidNative,
        SynthFormat::SquidCombined,
        SynthFormat::SquidCommon,
    ] {
        let lines = mine(f);
        assert_eq!(lines.len() as u64, ex.events);
        for l in lines {
            for tok in l.split_whitespace() {
                if let Ok(n) = tok.parse::<u64>() {
                    assert!(n < chunk, "{f} carries an upload size: {l}");
                }
            }
        }
    }
    for l in mine(SynthFormat::ProxySgElff) {
        let t = elff_tokens(l);
        assert_eq!(t[12], "PUT");
        assert!(t[23].parse::<u64>().unwrap() > chunk, "cs-bytes: {l}");
        assert!(t[22].parse::<u64>().unwrap() < 10_000, "sc-bytes: {l}");
    }
    for l in mine(SynthFormat::IfilterV10Access) {
        let t: Vec<&str> = l.split_whitespace().collect();
        assert!(
            t[14].parse::<u64>().unwrap() > chunk,
            "bytes to server: {l}"
        );
    }
    // Squid strips the query by default and keeps the '?'.
    let n_q = data_lines(&text[&SynthFormat::SquidNative])
        .filter(|l| l.split_whitespace().nth(6).unwrap().contains("?q="))
        .count();
    assert_eq!(n_q, 0);
    assert!(
        data_lines(&text[&SynthFormat::SquidNative]).any(|l| l
            .split_whitespace()
            .nth(6)
            .unwrap()
            .ends_with("/search?"))
    );
    assert!(data_lines(&text[&SynthFormat::ProxySgElff]).any(|l| l.contains(" /search ?q=")));
}

#[test]
fn planted_c2_traits_are_visible() {
    let (week, text) = default_week();
    let gt = week.ground_truth();
    let sq = &text[&SynthFormat::SquidNative];
    let stager = gt
        .items
        .iter()
        .find(|i| i.kind == ThreatKind::Stager)
        .unwrap();
    let uri = &stager.params.uris[0];
    assert!(kensa_synth::is_checksum8_uri(uri), "{uri}");
    assert!(sq.contains(&format!(" GET http://{}{} ", stager.dest_host, uri)));
    let cs = gt
        .items
        .iter()
        .find(|i| i.kind == ThreatKind::CobaltStrike)
        .unwrap();
    let cs_lines: Vec<&str> = data_lines(sq)
        .filter(|l| l.contains(&format!("http://{}/", cs.dest_host)))
        .collect();
    for u in kensa_synth::CS_DEFAULT_URIS {
        assert!(
            cs_lines
                .iter()
                .any(|l| l.contains(&format!("{}{u} ", cs.dest_host))),
            "{u}"
        );
    }
    assert!(
        cs_lines
            .iter()
            .any(|l| l.contains(" POST ") && l.contains("/submit.php?"))
    );
    // The 407 storm is 407 in every format.
    let storm = gt
        .items
        .iter()
        .find(|i| i.kind == ThreatKind::AuthStorm)
        .unwrap();
    assert!(storm.events > 500);
    for l in data_lines(sq).filter(|l| l.contains(&storm.dest_host)) {
        assert!(
            l.contains(" TCP_DENIED/407 ") && l.contains(" - HIER_NONE/- "),
            "{l}"
        );
    }
    for l in
        data_lines(&text[&SynthFormat::IfilterV10Access]).filter(|l| l.contains(&storm.dest_host))
    {
        assert!(l.contains("] 407 0 "), "{l}");
    }
    // DGA burst: DNS failures.
    let dga = gt
        .items
        .iter()
        .find(|i| i.kind == ThreatKind::DgaBurst)
        .unwrap();
    assert_eq!(dga.params.dest_hosts.len(), 300);
    let fails = data_lines(sq)
        .filter(|l| {
            l.contains(" TCP_MISS/503 ")
                && client_col(SynthFormat::SquidNative, l) == dga.src_ip
                && dga
                    .params
                    .dest_hosts
                    .iter()
                    .any(|d| l.contains(&format!("http://{d}/ ")))
        })
        .count();
    assert_eq!(fails, 300);
    let sg_fails: Vec<&str> = data_lines(&text[&SynthFormat::ProxySgElff])
        .filter(|l| l.contains(" dns_unresolved_hostname "))
        .collect();
    assert_eq!(
        sg_fails
            .iter()
            .filter(|l| client_col(SynthFormat::ProxySgElff, l) == dga.src_ip
                && dga
                    .params
                    .dest_hosts
                    .iter()
                    .any(|d| l.contains(&format!(" {d} 80 "))))
            .count(),
        300
    );
    assert!(sg_fails.len() > 300, "benign dead links fail DNS too");
    // The executable served as an image.
    let exe = gt
        .items
        .iter()
        .find(|i| i.kind == ThreatKind::ExeAsImage)
        .unwrap();
    assert!(
        data_lines(sq).any(|l| l.contains(&exe.dest_host)
            && l.contains(".exe ")
            && l.ends_with(" image/gif"))
    );
    // IOC list covers the intel items, and decoys are never contacted.
    let iocs = week.iocs_text();
    for it in gt.items.iter().filter(|i| i.in_ioc_list) {
        assert!(iocs.lines().any(|l| l == it.dest_host), "{}", it.id);
    }
    assert!(
        gt.items
            .iter()
            .filter(|i| i.kind == ThreatKind::IntelHit)
            .all(|i| i.in_ioc_list)
    );
    assert!(
        iocs.lines()
            .any(|l| l.starts_with("http://") && l.ends_with("/dl/patch.ps1"))
    );
}

#[test]
fn beacon_grid_has_every_cell_with_its_period() {
    let cfg = SynthConfig {
        hosts: 36,
        days: 3,
        beacon_grid: true,
        scale: 2.0,
        formats: vec![SynthFormat::SquidNative],
        ..SynthConfig::default()
    };
    let week = Week::build(&cfg).unwrap();
    let gt = week.ground_truth();
    let grid: Vec<_> = gt
        .items
        .iter()
        .filter(|i| i.params.grid_cell.is_some())
        .collect();
    assert_eq!(grid.len(), 30, "6 periods x 5 jitters");
    let mut out = Vec::new();
    week.render(SynthFormat::SquidNative, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    // (client, destination host) -> start times, in one pass.
    let mut starts_of: HashMap<(String, String), Vec<i64>> = HashMap::new();
    for l in data_lines(&text) {
        let url = l.split_whitespace().nth(6).unwrap();
        let host = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
        let host = host.split(['/', ':']).next().unwrap();
        let (client, _, start) = parse(SynthFormat::SquidNative, l);
        starts_of
            .entry((client, host.to_string()))
            .or_default()
            .push(start.unwrap());
    }
    for it in grid {
        let p = it.params.period_s.unwrap();
        let j = it.params.jitter.unwrap();
        let mut starts = starts_of
            .remove(&(it.src_ip.clone(), it.dest_host.clone()))
            .unwrap_or_default();
        starts.sort();
        assert_eq!(starts.len() as u64, it.events, "{}", it.id);
        if starts.len() < 8 {
            continue;
        }
        let mut gaps: Vec<f64> = starts
            .windows(2)
            .map(|w| (w[1] - w[0]) as f64 / 1000.0)
            .collect();
        gaps.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let median = gaps[gaps.len() / 2];
        // Sleep is period x (1 - jitter x U), so the median gap sits in
        // [period x (1 - jitter), period] unless misses or nights stretch it.
        assert!(
            median >= p * (1.0 - j) - 2.0,
            "{}: median gap {median} s for period {p} jitter {j}",
            it.id
        );
        assert!(
            median <= p * 2.2 + 2.0,
            "{}: median gap {median} s for period {p}",
            it.id
        );
        assert!(
            gaps[0] >= p * (1.0 - j) - 2.0,
            "{}: a gap shorter than the jitter allows",
            it.id
        );
    }
}

#[test]
fn generate_writes_files_and_ground_truth_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = SynthConfig {
        hosts: 10,
        days: 1,
        ..SynthConfig::default()
    };
    let s = kensa_synth::generate(&cfg, dir.path()).unwrap();
    assert_eq!(s.files.len(), SynthFormat::ALL.len() + 2);
    for f in &s.files {
        let text = std::fs::read_to_string(&f.path).unwrap();
        assert_eq!(text.len() as u64, f.bytes, "{}", f.path.display());
        if f.format.is_some() {
            assert_eq!(data_lines(&text).count() as u64, f.records);
            assert_eq!(f.records, s.events);
        }
    }
    let json = std::fs::read_to_string(dir.path().join("ground_truth.json")).unwrap();
    let gt: GroundTruth = serde_json::from_str(&json).unwrap();
    assert_eq!(gt.items.len(), s.threats);
    assert_eq!(gt.schema_version, kensa_synth::GROUND_TRUTH_VERSION);
    assert_eq!(gt.end_ms - gt.start_ms, 86_400_000);
    assert_eq!(serde_json::to_string_pretty(&gt).unwrap(), json);
    assert!(dir.path().join("squid/access.log").exists());
    assert!(dir.path().join("proxysg/SG_main.log").exists());
    assert!(dir.path().join("ifilter/access.log0001").exists());

    // Gzip gives the same content.
    let gz_dir = tempfile::tempdir().unwrap();
    let s2 = kensa_synth::generate(
        &SynthConfig {
            compress: true,
            ..cfg.clone()
        },
        gz_dir.path(),
    )
    .unwrap();
    let raw = std::fs::read(dir.path().join("squid/access.log")).unwrap();
    let gz = std::fs::File::open(gz_dir.path().join("squid/access.log.gz")).unwrap();
    let mut back = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(gz), &mut back).unwrap();
    assert_eq!(back, raw);
    assert!(s2.files[0].bytes < raw.len() as u64 / 3);
}

#[test]
fn bad_configs_are_errors_not_panics() {
    for cfg in [
        SynthConfig {
            hosts: 0,
            ..SynthConfig::default()
        },
        SynthConfig {
            days: 0,
            ..SynthConfig::default()
        },
        SynthConfig {
            scale: f64::NAN,
            ..SynthConfig::default()
        },
        SynthConfig {
            start: chrono::NaiveDate::from_ymd_opt(1990, 1, 1).unwrap(),
            ..SynthConfig::default()
        },
    ] {
        let e = Week::build(&cfg).unwrap_err();
        assert!(e.to_string().starts_with("invalid synth config"), "{e}");
    }
    // Tiny worlds still work.
    for hosts in 1..4 {
        let w = Week::build(&SynthConfig {
            hosts,
            days: 1,
            beacon_grid: true,
            ..SynthConfig::default()
        })
        .unwrap();
        assert!(!w.is_empty());
    }
}

#[test]
fn tls_inspection_off_turns_https_into_tunnels() {
    let cfg = SynthConfig {
        hosts: 12,
        days: 2,
        tls_inspection: false,
        threats: false,
        ..SynthConfig::default()
    };
    let week = Week::build(&cfg).unwrap();
    assert!(week.ground_truth().items.is_empty());
    let mut out = Vec::new();
    week.render(SynthFormat::SquidNative, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let https = data_lines(&text)
        .filter(|l| l.contains(" https://"))
        .count();
    let tunnels = data_lines(&text)
        .filter(|l| l.contains(" CONNECT "))
        .count();
    assert_eq!(https, 0);
    assert!(tunnels > 500, "{tunnels}");
    assert!(data_lines(&text).any(|l| l.contains(" TCP_TUNNEL/200 ") && l.contains(":443 ")));
}

#[test]
fn bulk_replays_weeks_in_order_with_new_hosts() {
    let cfg = SynthConfig {
        hosts: 8,
        days: 1,
        scale: 5.0,
        ..SynthConfig::default()
    };
    let base = Week::build(&cfg).unwrap();
    let mut one = Vec::new();
    base.render(SynthFormat::SquidNative, &mut one).unwrap();
    let target = one.len() as u64 * 5 / 2;
    let mut out = Vec::new();
    let st =
        kensa_synth::write_bulk_with(&cfg, SynthFormat::SquidNative, target, &mut out).unwrap();
    assert_eq!(st.bytes, out.len() as u64);
    assert!(st.bytes >= target && st.bytes < target + 1_000, "{st:?}");
    assert_eq!(st.weeks, 3);
    let text = String::from_utf8(out).unwrap();
    assert!(text.ends_with('\n'));
    assert_eq!(text.lines().count() as u64, st.lines);
    // The first replay is the base week byte for byte.
    assert!(text.as_bytes().starts_with(&one));
    let mut prev = 0;
    let mut clients = std::collections::HashSet::new();
    for l in text.lines() {
        assert_eq!(count_fields(l, false), 10, "{l}");
        let (c, t, _) = parse(SynthFormat::SquidNative, l);
        assert!(t >= prev, "{l}");
        prev = t;
        clients.insert(c);
    }
    let gt = base.ground_truth();
    assert!(
        prev >= gt.end_ms + 86_400_000,
        "the third replay is two days later"
    );
    let base_clients = clients.iter().filter(|c| !c.starts_with("10.10")).count();
    assert!(clients.len() > base_clients, "replays use new addresses");
    // Each format streams too, with its header once.
    let mut sg = Vec::new();
    kensa_synth::write_bulk_with(&cfg, SynthFormat::ProxySgElff, 200_000, &mut sg).unwrap();
    let sg = String::from_utf8(sg).unwrap();
    assert_eq!(sg.lines().filter(|l| l.starts_with("#Fields: ")).count(), 1);
    assert!(sg.lines().skip(6).all(|l| count_fields(l, true) == 25));
}

#[test]
fn many_small_configs_never_panic_and_keep_invariants() {
    // A deterministic sweep over odd corners: 1-host worlds, 1-day weeks,
    // weekend starts, every flag combination.
    let mut x: u64 = 0x9E37_79B9;
    let mut next = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    for i in 0..12u64 {
        let cfg = SynthConfig {
            seed: i * 7_919,
            hosts: 1 + next(20) as usize,
            days: 1 + next(3) as u32,
            start: chrono::NaiveDate::from_ymd_opt(2026, 1 + next(12) as u32, 1 + next(28) as u32)
                .unwrap(),
            threats: next(4) != 0,
            beacon_grid: next(4) == 0,
            scale: next(10) as f64,
            tls_inspection: next(2) == 0,
            proxy_auth: next(2) == 0,
            squid_strip_query: next(2) == 0,
            ..SynthConfig::default()
        };
        let w = Week::build(&cfg).unwrap_or_else(|e| panic!("{cfg:?}: {e}"));
        let gt = w.ground_truth();
        assert_eq!(gt.events as usize, w.len());
        assert!(
            gt.items
                .iter()
                .all(|it| it.events > 0 && it.first_ms >= gt.start_ms && it.last_ms < gt.end_ms),
            "{cfg:?}"
        );
        if !cfg.threats {
            assert!(gt.items.is_empty());
        }
        for &f in SynthFormat::ALL {
            let mut out = Vec::new();
            assert_eq!(w.render(f, &mut out).unwrap() as usize, w.len());
            let text = String::from_utf8(out).unwrap();
            assert_eq!(data_lines(&text).count(), w.len(), "{f} {cfg:?}");
            if !cfg.proxy_auth {
                // No user and no 407 anywhere, except the planted 407 storm.
                let storm = gt
                    .items
                    .iter()
                    .find(|i| i.kind == ThreatKind::AuthStorm)
                    .map(|i| i.dest_host.as_str());
                for l in data_lines(&text).filter(|l| storm.is_none_or(|s| !l.contains(s))) {
                    assert!(
                        !l.contains("CORP%5C")
                            && !l.contains("CORP\\")
                            && !l.contains("/407 ")
                            && !l.contains("\" 407 "),
                        "{f}: {l}"
                    );
                }
            }
        }
    }
}
