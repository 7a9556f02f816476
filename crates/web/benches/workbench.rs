//! Workbench response times (BENCHMARKS.md, "Workbench"):
//! * the findings list over 100 000 findings (first page, a filter, a
//!   full-text search, a sort), through the real router, HTML included;
//! * a host's page (timeline and top tables) over 1 000 000 events of that
//!   host, and the timeline query alone.
//!
//! `cargo bench -p kensa-web --bench workbench` (builds the case once: a
//! Squid log of 1 M lines for one host over a week, ingested by the real
//! pipeline, plus 100 000 stored findings).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, header};
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::BodyExt;
use kensa_detect::Finding;
use kensa_ingest::source::InputSpec;
use kensa_ingest::{IngestOptions, NoProgress};
use kensa_store::Case;
use tower::ServiceExt;

const EVENTS: u64 = 1_000_000;
const FINDINGS: usize = 100_000;

fn build(root: &std::path::Path) -> std::path::PathBuf {
    use std::io::Write;
    let log = root.join("access.log");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&log).unwrap());
    let week_s = 7 * 86_400u64;
    for i in 0..EVENTS {
        let t = 1_772_323_200 + i * week_s / EVENTS;
        writeln!(
            w,
            "{t}.{:03} {:>5} 10.0.0.5 TCP_MISS/200 {} GET http://host{}.example.com/p/{i} user5 HIER_DIRECT/203.0.113.{} text/html",
            i % 1000,
            i % 5000,
            500 + i % 10_000,
            i % 97,
            i % 200
        )
        .unwrap();
    }
    drop(w);
    let dir = root.join("case");
    let (mut case, _) = Case::open(&dir, true).unwrap();
    let run = case.begin_run("bench").unwrap();
    kensa_ingest::ingest(&mut case, run, &[InputSpec::File(log)], &IngestOptions::default(), &NoProgress).unwrap();
    let rows: Vec<_> = (0..FINDINGS)
        .map(|i| {
            let det = ["beacon", "dga", "rare-destination", "exfil-volume", "leak-risk"][i % 5];
            let mut f = Finding::new(det, &format!("10.{}.{}.{}", i / 65536, i / 256 % 256, i % 256), &format!("d{i}.example.net"), format!("finding number {i}"), (i % 100) as f64);
            f.src.ip = Some(format!("10.{}.{}.{}", i / 65536, i / 256 % 256, i % 256));
            f.src.user = Some(format!("user{}", i % 5000));
            f.dst.host = Some(format!("d{i}.example.net"));
            f.dst.domain = Some("example.net".into());
            f.first_seen = 1_772_323_200_000 + (i as i64 * 6_048) % 604_800_000;
            f.last_seen = f.first_seen + 3_600_000;
            f.attack = vec!["T1071.001".into()];
            f.explanation.en = format!("Host contacted d{i}.example.net at regular intervals.");
            f.explanation.ja = "一定間隔で通信しています。".into();
            (f.key.clone(), f.id.clone(), f.detector.clone(), "medium".to_string(), f.score, serde_json::to_string(&f).unwrap())
        })
        .collect();
    case.replace_findings(None, &rows).unwrap();
    dir
}

fn bench(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = build(tmp.path());
    let (case, _) = Case::open(&dir, false).unwrap();
    let t0 = std::time::Instant::now();
    let app = kensa_web::App::with(case, kensa_web::ServeConfig { token: Some("t".into()), ..Default::default() }).unwrap();
    eprintln!("index of {FINDINGS} findings loaded in {:.2} s", t0.elapsed().as_secs_f64());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let router = kensa_web::router(app.clone());
    let cookie = rt.block_on(async {
        let r = router.clone().oneshot(Request::get("/login?token=t").body(Body::empty()).unwrap()).await.unwrap();
        r.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string()
    });
    let get = |uri: &str| {
        let router = router.clone();
        let req = Request::get(uri).header(header::COOKIE, &cookie).body(Body::empty()).unwrap();
        rt.block_on(async move {
            let r = router.oneshot(req).await.unwrap();
            assert!(r.status().is_success(), "{}", r.status());
            r.into_body().collect().await.unwrap().to_bytes().len()
        })
    };
    let mut g = c.benchmark_group("findings_list_100k");
    g.sample_size(20);
    for (name, uri) in [
        ("first_page", "/findings"),
        ("filter_detector_severity", "/findings?detector=dga&severity=medium"),
        ("fulltext_search", "/findings?q=d4242"),
        ("sort_first_seen_page_50", "/findings?sort=first_seen&dir=asc&page=50"),
    ] {
        g.bench_function(name, |b| b.iter(|| get(uri)));
    }
    g.finish();
    let mut g = c.benchmark_group("host_1m_events");
    g.sample_size(10);
    g.bench_function("timeline_query", |b| {
        b.iter(|| {
            rt.block_on(app.worker.table(
                "SELECT CAST(date_trunc('hour', ts) AS BIGINT) AS hour, count(*) AS n, sum(bytes_up) AS up, sum(bytes_down) AS down \
                 FROM web_requests WHERE client_ip = $1 OR \"user\" = $1 GROUP BY 1 ORDER BY 1",
                vec!["10.0.0.5".into()],
            ))
            .unwrap()
            .rows
            .len()
        })
    });
    g.bench_function("host_page", |b| b.iter(|| get("/host/10.0.0.5")));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
