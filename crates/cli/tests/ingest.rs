//! End-to-end tests of `kensa ingest`, `info` and `sql` on real files.

mod common;
use common::*;

use std::io::Write;

#[test]
fn ingests_squid_corpus_samples_with_asserted_values() {
    let Some(corpus) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let squid = corpus.join("proxy/squid");
    let (v, code) = ingest_json(
        &case,
        &[
            squid.join("elastic-integrations__test-access.log").to_str().unwrap(),
            squid.join("synthetic-common.log").to_str().unwrap(),
            squid.join("synthetic-combined.log").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{v}");
    let inputs = v["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 3);
    let fmts: Vec<&str> = inputs.iter().map(|i| i["format"].as_str().unwrap()).collect();
    assert_eq!(fmts, ["squid-native", "squid-common", "squid-combined"]);
    for i in inputs {
        assert_eq!(i["status"], "ingested", "{i}");
        assert_eq!(i["rejected"], 0, "{i}");
        assert_eq!(i["sniffed"], true);
    }
    let native_lines = std::fs::read_to_string(squid.join("elastic-integrations__test-access.log"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count() as u64;
    assert_eq!(inputs[0]["rows"].as_u64().unwrap(), native_lines);
    // A concrete row, read back through SQL.
    let out = sql_csv(
        &case,
        "SELECT CAST(ts AS BIGINT) AS t, duration_ms, client_ip, action, status, bytes_down, bytes_up, method, host, port, user, hierarchy, server_ip, verdict, source_line \
         FROM web_requests WHERE source_format = 'squid-native' AND source_line = 2",
    );
    let row = out.lines().nth(1).unwrap();
    assert_eq!(
        row,
        "1157689320327,2864,10.105.21.199,TCP_MISS,200,10182,,GET,www.goonernews.com,80,badeyek,DIRECT,175.16.199.61,pass,2"
    );
    // The combined file's UA is percent-decoded; the 407 is auth_required.
    let out = sql_csv(
        &case,
        "SELECT user_agent, verdict FROM web_requests WHERE source_format = 'squid-combined' AND status = 407 ORDER BY source_line LIMIT 1",
    );
    assert_eq!(out.lines().nth(1).unwrap(), "python-requests/2.32.3,auth_required");
    // info reports what was ingested.
    let o = run(&["info", "--case", case.to_str().unwrap(), "--json"]);
    assert!(o.status.success());
    let info: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(info["inputs"].as_array().unwrap().len(), 3);
    assert!(info["inputs"].as_array().unwrap().iter().all(|i| i["status"] == "done"));
}

#[test]
fn reingest_is_a_noop_even_renamed_or_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let f = dir.path().join("access.log");
    squid_file(&f, 5000);
    let (v, code) = ingest_json(&case, &[f.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(v["inputs"][0]["rows"], 5000);
    let (v, code) = ingest_json(&case, &[f.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(v["inputs"][0]["status"], "already_ingested");
    // Same bytes under another name and through stdin: still no duplicate.
    let g = dir.path().join("copy.log");
    std::fs::copy(&f, &g).unwrap();
    let (v, _) = ingest_json(&case, &[g.to_str().unwrap()]);
    assert_eq!(v["inputs"][0]["status"], "already_ingested");
    let mut child = kensa()
        .args(["ingest", "--quiet", "--json", "--case", case.to_str().unwrap(), "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&std::fs::read(&f).unwrap()).unwrap();
    let o = child.wait_with_output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["inputs"][0]["status"], "duplicate", "{v}");
    let out = sql_csv(&case, "SELECT count(*) AS n, count(DISTINCT source_line) AS l FROM web_requests");
    assert_eq!(out.lines().nth(1).unwrap(), "5000,5000");
}

#[test]
fn compressed_and_archived_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let mut paths = Vec::new();
    // gzip as two members, bzip2, zstd, xz: each with different rows so none is a duplicate.
    let parts: Vec<String> = (0..4).map(|k| (0..300).map(|i| squid_line(k * 1000 + i)).collect()).collect();
    let gz = dir.path().join("a.log.gz");
    {
        let mut bytes = Vec::new();
        for half in [&parts[0][..parts[0].len() / 2], &parts[0][parts[0].len() / 2..]] {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(half.as_bytes()).unwrap();
            bytes.extend(e.finish().unwrap());
        }
        std::fs::write(&gz, bytes).unwrap();
        paths.push(gz);
    }
    let bz = dir.path().join("b.log.bz2");
    {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        e.write_all(parts[1].as_bytes()).unwrap();
        std::fs::write(&bz, e.finish().unwrap()).unwrap();
        paths.push(bz);
    }
    let zs = dir.path().join("c.log.zst");
    std::fs::write(&zs, zstd::encode_all(parts[2].as_bytes(), 3).unwrap()).unwrap();
    paths.push(zs);
    let xz = dir.path().join("d.log.xz");
    {
        let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
        e.write_all(parts[3].as_bytes()).unwrap();
        std::fs::write(&xz, e.finish().unwrap()).unwrap();
        paths.push(xz);
    }
    // A .tar.gz of two rotated logs.
    let tgz = dir.path().join("rotated.tar.gz");
    {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut t = tar::Builder::new(gz);
        for (k, name) in [(10u64, "access.log.1"), (11, "access.log.2")] {
            let data: String = (0..200).map(|i| squid_line(k * 1000 + i)).collect();
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            t.append_data(&mut h, name, data.as_bytes()).unwrap();
        }
        let gz = t.into_inner().unwrap();
        std::fs::write(&tgz, gz.finish().unwrap()).unwrap();
        paths.push(tgz);
    }
    let args: Vec<&str> = paths.iter().map(|p| p.to_str().unwrap()).collect();
    let (v, code) = ingest_json(&case, &args);
    assert_eq!(code, 0, "{v}");
    let inputs = v["inputs"].as_array().unwrap();
    let comps: Vec<&str> = inputs.iter().map(|i| i["compression"].as_str().unwrap()).collect();
    assert_eq!(comps, ["gzip", "bzip2", "zstd", "xz", "none", "none"]);
    assert!(inputs[4]["path"].as_str().unwrap().ends_with("rotated.tar.gz!access.log.1"));
    let rows: Vec<u64> = inputs.iter().map(|i| i["rows"].as_u64().unwrap()).collect();
    assert_eq!(rows, [300, 300, 300, 300, 200, 200]);
    let out = sql_csv(&case, "SELECT count(*) FROM web_requests");
    assert_eq!(out.lines().nth(1).unwrap(), "1600");
}

#[test]
fn zip_archives_of_logs() {
    // How Windows administrators hand logs over: a ZIP with a folder, a plain
    // log and a rotated .gz inside, deflated and stored.
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let zp = dir.path().join("proxy-logs.zip");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&zp).unwrap());
        let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        z.add_directory("logs/", stored).unwrap();
        z.start_file("logs/access.log", deflated).unwrap();
        let a: String = (0..120).map(|i| squid_line(20_000 + i)).collect();
        z.write_all(a.as_bytes()).unwrap();
        z.start_file("logs/access.log.1.gz", stored).unwrap();
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let b: String = (0..80).map(|i| squid_line(21_000 + i)).collect();
        e.write_all(b.as_bytes()).unwrap();
        z.write_all(&e.finish().unwrap()).unwrap();
        z.finish().unwrap();
    }
    let (v, code) = ingest_json(&case, &[zp.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    let inputs = v["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 2, "{v}");
    assert!(inputs[0]["path"].as_str().unwrap().ends_with("proxy-logs.zip!logs/access.log"), "{v}");
    assert_eq!(inputs[0]["rows"].as_u64(), Some(120), "{v}");
    assert!(inputs[1]["path"].as_str().unwrap().ends_with("proxy-logs.zip!logs/access.log.1.gz"), "{v}");
    assert_eq!(inputs[1]["compression"].as_str(), Some("gzip"), "{v}");
    assert_eq!(inputs[1]["rows"].as_u64(), Some(80), "{v}");
    let out = sql_csv(&case, "SELECT count(*) FROM web_requests");
    assert_eq!(out.lines().nth(1).unwrap(), "200");
    // Again: every member is already in the case.
    let (v, code) = ingest_json(&case, &[zp.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    for i in v["inputs"].as_array().unwrap() {
        assert_eq!(i["status"].as_str(), Some("already_ingested"), "{i}");
    }
    // A ZIP cut short (a copy that did not finish) is reported by name and
    // the other inputs of the run go on.
    let bytes = std::fs::read(&zp).unwrap();
    let cut = dir.path().join("cut.zip");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let good = dir.path().join("good.log");
    squid_file(&good, 10);
    let (v, code) = ingest_json(&case, &[cut.to_str().unwrap(), good.to_str().unwrap()]);
    assert_eq!(code, 1, "{v}");
    let inputs = v["inputs"].as_array().unwrap();
    assert!(inputs[0]["message"].as_str().unwrap().contains("bad ZIP archive"), "{v}");
    assert_eq!(inputs[1]["rows"].as_u64(), Some(10), "{v}");
}

#[test]
fn the_same_log_in_another_container_is_a_duplicate() {
    // Deliveries often hold a log twice: rotated and gzipped beside the
    // extracted copy, or loose and again inside a ZIP. Its rows must count once.
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let text: String = (0..60).map(|i| squid_line(30_000 + i)).collect();
    let plain = dir.path().join("access.log-20261101");
    std::fs::write(&plain, &text).unwrap();
    let gz = dir.path().join("access.log-20261101.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(text.as_bytes()).unwrap();
    std::fs::write(&gz, e.finish().unwrap()).unwrap();
    let zp = dir.path().join("copy.zip");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&zp).unwrap());
        let o = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        z.start_file("access.log-20261101", o).unwrap();
        z.write_all(text.as_bytes()).unwrap();
        z.finish().unwrap();
    }
    // The compressed copy first, so the plain one is matched by text hash too.
    let (v, code) = ingest_json(&case, &[gz.to_str().unwrap(), plain.to_str().unwrap(), zp.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    let st: Vec<&str> = v["inputs"].as_array().unwrap().iter().map(|i| i["status"].as_str().unwrap()).collect();
    assert_eq!(st, ["ingested", "duplicate", "duplicate"], "{v}");
    assert!(v["inputs"][1]["message"].as_str().unwrap().contains("same log text"), "{v}");
    let out = sql_csv(&case, "SELECT count(*) FROM web_requests");
    assert_eq!(out.lines().nth(1).unwrap(), "60");
}

#[test]
fn utf16_logs_are_read_as_text() {
    // Windows PowerShell 5 writes UTF-16LE with a BOM for `>` and `Out-File`:
    // a log exported or re-saved there must read like the original.
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let text = |k: u64| -> String {
        let mut t: String = (0..50).map(|i| squid_line(k * 1000 + i)).collect();
        // A user name outside ASCII and a line beyond the BMP survive.
        t.push_str("1700000999.000    12 10.0.0.9 TCP_MISS/200 512 GET http://例え.jp/パス - HIER_DIRECT/1.2.3.4 text/html\n");
        t.push_str("1700000999.500    12 10.0.0.9 TCP_MISS/200 512 GET http://a.example/😀 - HIER_DIRECT/1.2.3.4 text/html\n");
        t
    };
    let le: Vec<u8> = [0xFF, 0xFE].into_iter().chain(text(1).encode_utf16().flat_map(|u| u.to_le_bytes())).collect();
    let be: Vec<u8> = [0xFE, 0xFF].into_iter().chain(text(2).encode_utf16().flat_map(|u| u.to_be_bytes())).collect();
    let (pl, pb) = (dir.path().join("le.log"), dir.path().join("be.log.gz"));
    std::fs::write(&pl, &le).unwrap();
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&be).unwrap();
    std::fs::write(&pb, e.finish().unwrap()).unwrap();
    let (v, code) = ingest_json(&case, &[pl.to_str().unwrap(), pb.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    for i in v["inputs"].as_array().unwrap() {
        assert_eq!(i["format"].as_str(), Some("squid-native"), "{i}");
        assert_eq!(i["rows"].as_u64(), Some(52), "{i}");
    }
    let out = sql_csv(&case, "SELECT host, path FROM web_requests WHERE client_ip = '10.0.0.9' ORDER BY ts, source_file");
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(rows.len(), 4, "{out}");
    assert!(rows.iter().any(|r| r.contains("例え.jp") && r.contains("/パス")), "{out}");
    assert!(rows.iter().any(|r| r.contains("/😀")), "{out}");
}

#[test]
fn bad_inputs_are_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let good = dir.path().join("good.log");
    squid_file(&good, 100);
    // Lines with problems inside an otherwise good file.
    let mixed = dir.path().join("mixed.log");
    {
        let mut s = String::new();
        for i in 200..210 {
            s.push_str(&squid_line(i));
        }
        s.push_str(&format!("1700000000.000 1 10.0.0.1 TCP_MISS/200 1 GET http://a.example/{} - HIER_DIRECT/1.2.3.4 -\n", "x".repeat(70_000)));
        s.push_str("1700000000.000 1 10.0.0.1 TCP_MISS/200 1 GET http://a.example/\0nul - HIER_DIRECT/1.2.3.4 -\n");
        s.push_str("9999999999999.000 1 10.0.0.1 TCP_MISS/200 1 GET http://a.example/ - HIER_DIRECT/1.2.3.4 -\n");
        s.push_str("1700000000.000 1 10.0.0.1 TCP_MISS/200\n");
        s.push_str(&squid_line(300).trim_end().to_string()); // truncated last line (no newline) still counts
        std::fs::write(&mixed, s).unwrap();
    }
    let garbage = dir.path().join("garbage.bin");
    std::fs::write(&garbage, (0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect::<Vec<u8>>()).unwrap();
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, "").unwrap();
    let trunc = dir.path().join("trunc.log.gz");
    {
        let data: String = (0..5000).map(|i| squid_line(1000 + i)).collect();
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data.as_bytes()).unwrap();
        let bytes = e.finish().unwrap();
        std::fs::write(&trunc, &bytes[..bytes.len() * 2 / 3]).unwrap();
    }
    let missing = dir.path().join("does-not-exist.log");
    let (v, code) = ingest_json(
        &case,
        &[good, mixed, garbage, empty, trunc, missing].iter().map(|p| p.to_str().unwrap()).collect::<Vec<_>>(),
    );
    assert_eq!(code, 1, "some input failed entirely: exit 1 ({v})");
    let ins = v["inputs"].as_array().unwrap();
    let by = |name: &str| ins.iter().find(|i| i["path"].as_str().unwrap().ends_with(name)).unwrap_or_else(|| panic!("{name} in {v}"));
    assert_eq!(by("good.log")["rows"], 100);
    let m = by("mixed.log");
    assert_eq!(m["status"], "ingested");
    assert_eq!(m["rows"], 11, "{m}");
    assert_eq!(m["rejected"], 4, "{m}");
    assert_eq!(m["reject_counts"]["too_long"], 1);
    assert_eq!(m["reject_counts"]["bad_encoding"], 1);
    assert_eq!(m["reject_counts"]["bad_timestamp"], 1);
    assert_eq!(m["reject_counts"]["field_count"], 1);
    let g = by("garbage.bin");
    assert_eq!(g["status"], "failed");
    assert!(g["message"].as_str().unwrap().contains("format"), "{g}");
    assert_eq!(by("empty.log")["status"], "empty");
    let t = by("trunc.log.gz");
    assert_eq!(t["status"], "ingested", "{t}");
    assert!(t["rows"].as_u64().unwrap() > 1000 && t["rows"].as_u64().unwrap() < 5000, "{t}");
    assert!(t["message"].as_str().unwrap().contains("ended early"), "{t}");
    // The missing path is named on stderr, and info keeps samples of the rejects.
    let o = run(&["info", "--case", case.to_str().unwrap()]);
    let info = stdout(&o);
    assert!(info.contains("too_long"), "{info}");
    assert!(info.contains("NUL byte"), "{info}");
    assert!(info.contains("line 13"), "the NUL line is line 12, the bad time line 13: {info}");
}

#[test]
fn wrong_format_fails_that_input_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let f = dir.path().join("a.log");
    squid_file(&f, 50);
    let (v, code) = ingest_json(&case, &["--format", "squid-combined", f.to_str().unwrap()]);
    assert_eq!(code, 1);
    let i = &v["inputs"][0];
    assert_eq!(i["status"], "failed");
    assert_eq!(i["rejected"], 50);
    assert!(i["message"].as_str().unwrap().contains("--format"), "{i}");
    // Usage errors exit 2.
    let o = run(&["ingest", "--case", case.to_str().unwrap(), "--format", "nope", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["ingest", "--case", case.to_str().unwrap(), "--squid-logformat", "%ts%tr", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = run(&["ingest", "--case", case.to_str().unwrap(), "/nonexistent/only"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn sql_is_read_only_and_escapes_hostile_strings() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let f = dir.path().join("evil.log");
    std::fs::write(
        &f,
        "1700000000.000 1 10.0.0.1 TCP_MISS/200 1 GET http://a.example/%1b[2J - HIER_DIRECT/1.2.3.4 -\n\
         1700000001.000 1 10.0.0.1 TCP_MISS/200 1 GET http://b.example/x - HIER_DIRECT/1.2.3.4 =cmd|'/c'!A1\n",
    )
    .unwrap();
    let (_, code) = ingest_json(&case, &[f.to_str().unwrap()]);
    assert_eq!(code, 0);
    for q in [
        "CREATE TABLE t AS SELECT 1",
        "INSERT INTO web_requests SELECT * FROM web_requests",
        "COPY (SELECT 1) TO '/tmp/kensa-should-not-exist.csv'",
        "DROP TABLE web_requests",
    ] {
        let o = run(&["sql", "--case", case.to_str().unwrap(), q]);
        assert_eq!(o.status.code(), Some(1), "{q} must be refused");
    }
    assert!(!std::path::Path::new("/tmp/kensa-should-not-exist.csv").exists());
    let out = sql_csv(&case, "SELECT content_type FROM web_requests WHERE content_type IS NOT NULL");
    assert!(out.contains("'=cmd"), "formula neutralised: {out}");
    // A decoded escape sequence in a table cell is shown escaped, not executed.
    let o = run(&["sql", "--case", case.to_str().unwrap(), "SELECT chr(27) || '[2J' AS x"]);
    let s = stdout(&o);
    assert!(!s.contains('\x1b'), "raw ESC reached the terminal: {s:?}");
    assert!(s.contains("\\u{1b}[2J"));
    // A query error is said once, naming the column, not once per cause.
    let o = run(&["sql", "--case", case.to_str().unwrap(), "SELECT no_such_column FROM web_requests"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("no_such_column"), "{err}");
    assert_eq!(err.matches("Valid fields are").count(), 1, "{err}");
    // GROUP BY works.
    let out = sql_csv(&case, "SELECT host, count(*) n FROM web_requests GROUP BY host ORDER BY host");
    assert_eq!(out, "host,n\na.example,1\nb.example,1\n");
}

#[test]
fn enrichment_and_intel_columns_are_queryable() {
    let Some(corpus) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let intel = dir.path().join("intel");
    let o = run(&[
        "intel",
        "--intel-dir",
        intel.to_str().unwrap(),
        "import",
        corpus.join("intel/urlhaus__csv_online__excerpt.csv").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["intel", "--intel-dir", intel.to_str().unwrap(), "lookup", "http://176.65.139.212/eclipse.sh4"]);
    assert!(o.status.success(), "{}", stdout(&o));
    let case = dir.path().join("case");
    let f = dir.path().join("a.log");
    std::fs::write(
        &f,
        "1729126800.112     84 10.20.1.15 TCP_MISS/200 612 POST https://content.dropboxapi.com/2/files/upload yamada HIER_DIRECT/203.0.113.10 application/json\n\
         1729126801.112     84 10.20.1.16 TCP_DENIED/403 612 GET http://176.65.139.212/eclipse.sh4 - HIER_NONE/- text/html\n\
         1729126802.112     84 10.20.1.17 TCP_MISS/200 612 GET http://www.example.co.jp/index.html - HIER_DIRECT/203.0.113.11 text/html\n",
    )
    .unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "[services]\ndropbox = \"sanctioned\"\n").unwrap();
    let (v, code) = ingest_json(
        &case,
        &["--intel-dir", intel.to_str().unwrap(), "--policy", policy.to_str().unwrap(), f.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{v}");
    assert!(case.join("policy.toml").exists(), "the policy is part of the case");
    let out = sql_csv(&case, "SELECT sanctioned FROM web_requests WHERE service = 'dropbox'");
    assert_eq!(out.lines().nth(1), Some("sanctioned"));
    // A bad policy is a usage error naming the file and line.
    std::fs::write(&policy, "[services]\nno-such-service = \"sanctioned\"\n").unwrap();
    let o = run(&["ingest", "--case", case.to_str().unwrap(), "--policy", policy.to_str().unwrap(), f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("policy.toml"), "{}", stderr(&o));
    let out = sql_csv(
        &case,
        "SELECT host, registered_domain, service, service_category, upload_action, host_is_ip, src_internal, intel IS NOT NULL AS hit FROM web_requests ORDER BY ts",
    );
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{out}");
    assert!(rows[0].starts_with("content.dropboxapi.com,dropboxapi.com,dropbox,"), "{}", rows[0]);
    assert!(rows[0].ends_with(",true,false,true,false"), "{}", rows[0]);
    assert!(rows[1].starts_with("176.65.139.212,,"), "{}", rows[1]);
    assert!(rows[1].ends_with(",true,true,true"), "IP literal, internal client, intel hit: {}", rows[1]);
    assert!(rows[2].starts_with("www.example.co.jp,example.co.jp,"), "{}", rows[2]);
    assert!(rows[2].ends_with(",false"), "{}", rows[2]);
    let out = sql_csv(&case, "SELECT intel FROM web_requests WHERE intel IS NOT NULL");
    assert!(out.contains("url:http://176.65.139.212/eclipse.sh4"), "{out}");
    // The case records which intel version it used.
    let o = run(&["sql", "--case", case.to_str().unwrap(), "--output", "csv", "SELECT 1"]);
    assert!(o.status.success());
}

#[test]
fn run_on_a_synthetic_week_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = run(&["synth", "--quiet", "--out", data.to_str().unwrap(), "--hosts", "8", "--days", "2", "--seed", "7"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("out");
    let o = run(&["run", "--quiet", "--json", "--out", out.to_str().unwrap(), data.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
    assert_eq!(o.status.code(), Some(1), "ground_truth.json and iocs.txt are not logs: reported as failed inputs ({v})");
    let ins = v["inputs"].as_array().unwrap();
    let mut formats: Vec<&str> = ins.iter().filter(|i| i["status"] == "ingested").map(|i| i["format"].as_str().unwrap()).collect();
    formats.sort();
    assert_eq!(formats, ["ifilter-v10-access", "proxysg-elff", "squid-combined", "squid-common", "squid-native"]);
    for i in ins.iter().filter(|i| i["status"] == "ingested") {
        assert_eq!(i["rejected"], 0, "{i}");
    }
    // The same week in every format: the same number of rows per format.
    let case = out.join("case");
    let csv = sql_csv(&case, "SELECT source_format, count(*) FROM web_requests GROUP BY 1 ORDER BY 1");
    let counts: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
    assert!(counts.windows(2).all(|w| w[0] == w[1]), "{csv}");
    assert!(out.join("ingest-summary.json").exists());
}

#[test]
fn analyze_finds_planted_threats_and_keeps_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = run(&["synth", "--quiet", "--out", data.to_str().unwrap(), "--hosts", "12", "--days", "7", "--seed", "3", "--formats", "proxysg-elff"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let case = dir.path().join("case");
    let (_, code) = ingest_json(&case, &["--no-intel", data.join("proxysg").to_str().unwrap()]);
    assert_eq!(code, 0);
    let o = run(&["analyze", "--case", case.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["findings", "--case", case.to_str().unwrap(), "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    // Every planted beacon/exfil source shows up among high/critical findings.
    let truth: serde_json::Value = serde_json::from_slice(&std::fs::read(data.join("ground_truth.json")).unwrap()).unwrap();
    let items = truth["items"].as_array().or_else(|| truth.as_array()).expect("ground truth items");
    let planted_srcs: std::collections::BTreeSet<&str> = items.iter().filter_map(|i| i["src_ip"].as_str()).collect();
    let high: Vec<&serde_json::Value> = findings.iter().filter(|f| f["severity"] == "high" || f["severity"] == "critical").collect();
    assert!(!high.is_empty());
    let hits = high.iter().filter(|f| f["src"]["ip"].as_str().is_some_and(|ip| planted_srcs.contains(ip))).count();
    assert!(hits * 10 >= high.len() * 8, "at least 80% of high/critical findings are on planted sources: {hits}/{}", high.len());
    // Evidence names its source file and line.
    let smp = &high[0]["evidence"]["samples"][0];
    assert!(smp["path"].as_str().unwrap().ends_with("SG_main.log"), "{smp}");
    assert!(smp["line"].as_u64().unwrap() > 0);
    // A verdict survives re-analysis.
    let id = high[0]["id"].as_str().unwrap().to_string();
    let o = run(&["verdict", "--case", case.to_str().unwrap(), &id, "false_positive", "--note", "=test note"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["analyze", "--case", case.to_str().unwrap()]);
    assert!(o.status.success());
    let o = run(&["findings", "--case", case.to_str().unwrap(), "--json", "--min-severity", "high"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = doc["findings"].as_array().unwrap().iter().find(|f| f["id"] == id.as_str()).expect("same finding after re-analysis");
    assert_eq!(f["status"], "false_positive");
    assert!(doc["findings"].as_array().unwrap().iter().all(|f| f["severity"] == "high" || f["severity"] == "critical"));
    // CSV export neutralises formula cells.
    let o = run(&["findings", "--case", case.to_str().unwrap(), "--csv"]);
    let csv = stdout(&o);
    assert!(csv.starts_with("id,key,detector,severity,score"));
    assert!(csv.lines().count() == findings.len() + 1);
}

#[test]
fn w3c_header_change_mid_file_applies_across_chunks() {
    // Over 4 MiB per layout, so the new `#Fields:` header lands in a later
    // chunk than the first one and parallel workers must still re-key.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("u_ex241017.log");
    let mut s = String::from("#Software: Microsoft Internet Information Services 10.0\n#Fields: date time c-ip cs-method cs-uri-stem sc-status cs-host\n");
    for i in 0..60_000 {
        s.push_str(&format!("2024-10-17 01:{:02}:{:02} 10.0.{}.{} GET /first/{i}/{} 200 one.example\n", (i / 60) % 60, i % 60, i % 200, i % 250, "p".repeat(40)));
    }
    s.push_str("#Fields: date time cs-host sc-status c-ip cs-method cs-uri-stem\n");
    for i in 0..60_000 {
        s.push_str(&format!("2024-10-17 02:{:02}:{:02} two.example 404 10.1.{}.{} POST /second/{i}/{}\n", (i / 60) % 60, i % 60, i % 200, i % 250, "q".repeat(40)));
    }
    assert!(s.len() > 9 << 20);
    std::fs::write(&f, s).unwrap();
    let case = dir.path().join("case");
    let (v, code) = ingest_json(&case, &["--format", "w3c", f.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["inputs"][0]["rows"], 120_000, "{v}");
    assert_eq!(v["inputs"][0]["rejected"], 0, "{v}");
    let out = sql_csv(&case, "SELECT host, method, status, count(*) FROM web_requests GROUP BY 1, 2, 3 ORDER BY 1");
    assert_eq!(out, "host,method,status,count(*)\none.example,GET,200,60000\ntwo.example,POST,404,60000\n");
}

/// The binary runs on jemalloc with its decay setting: the `malloc_conf`
/// symbol is only read if its (prefixed) name is right, and a wrong name
/// would silently give the default (a resident set growing with captures).
#[test]
fn the_binary_allocator_is_jemalloc_with_its_decay_setting() {
    let o = kensa().arg("--version").env("_RJEM_MALLOC_CONF", "stats_print:true").output().unwrap();
    assert!(o.status.success());
    let err = stderr(&o);
    assert!(err.contains("jemalloc"), "no jemalloc statistics printed");
    assert!(err.contains("opt.dirty_decay_ms: 1000"), "decay setting not applied");
    assert!(err.contains("opt.muzzy_decay_ms: 0"), "muzzy decay setting not applied");
}
