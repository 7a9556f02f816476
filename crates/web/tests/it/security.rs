//! Security tests over the real router (no browser): access token, CSRF,
//! headers, downloads that must not take paths, SQL that writes, and a case
//! full of hostile strings that must come back escaped.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use kensa_web::auth::CSP;
use tower::ServiceExt;

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn send(app: &std::sync::Arc<kensa_web::App>, req: Request<Body>) -> Resp {
    let r = kensa_web::router(app.clone()).oneshot(req).await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let bytes = r.into_body().collect().await.unwrap().to_bytes();
    Resp { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

fn get(uri: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(uri);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

fn post(uri: &str, cookie: &str, form: &[(&str, &str)], csrf_header: Option<&str>) -> Request<Body> {
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let mut b = Request::post(uri).header(header::COOKIE, cookie).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(t) = csrf_header {
        b = b.header("x-csrf-token", t);
    }
    b.body(Body::from(body)).unwrap()
}

/// Logs in; returns (cookie header value, csrf token).
async fn login(app: &std::sync::Arc<kensa_web::App>) -> (String, String) {
    let r = send(app, get(&format!("/login?token={}", common::TOKEN), None)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let set = r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_string();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    let cookie = set.split(';').next().unwrap().to_string();
    let page = send(app, get("/hunt", Some(&cookie))).await;
    assert_eq!(page.status, StatusCode::OK);
    let i = page.body.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    let csrf = page.body[i..i + 64].to_string();
    (cookie, csrf)
}

fn assert_headers(r: &Resp) {
    assert_eq!(r.headers.get(header::CONTENT_SECURITY_POLICY).unwrap(), CSP);
    assert!(CSP.contains("default-src 'self'") && CSP.contains("script-src 'self'") && CSP.contains("object-src 'none'"));
    assert!(CSP.contains("base-uri 'none'") && CSP.contains("frame-ancestors 'none'") && !CSP.contains("unsafe"));
    assert_eq!(r.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
    assert_eq!(r.headers.get(header::REFERRER_POLICY).unwrap(), "same-origin");
}

#[tokio::test]
async fn every_route_needs_a_session() {
    let tmp = tempfile::tempdir().unwrap();
    let app = common::app(tmp.path(), None);
    for uri in ["/", "/findings", "/finding/x", "/host/10.0.0.5", "/dest/evil.example", "/streams", "/hunt", "/allow", "/report", "/assets/app.js", "/export/findings.csv", "/nope"] {
        let r = send(&app, get(uri, None)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert_headers(&r);
        assert!(!r.body.contains("evil.example"));
    }
    let r = send(&app, get("/findings", Some("kensa_session=forged"))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = send(&app, get("/login?token=wrong", None)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.headers.get(header::SET_COOKIE).is_none());
    let r = send(&app, post("/hunt", "kensa_session=forged", &[("sql", "SELECT 1")], None)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // With the token: the pages answer, with the headers.
    let (cookie, _) = login(&app).await;
    for uri in ["/", "/findings", "/host/10.0.0.5", "/dest/evil.example", "/streams", "/hunt", "/allow", "/report"] {
        let r = send(&app, get(uri, Some(&cookie))).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
        assert_headers(&r);
    }
    // Logging out ends the session.
    let (cookie2, csrf2) = login(&app).await;
    let r = send(&app, post("/logout", &cookie2, &[("csrf", &csrf2)], None)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(send(&app, get("/", Some(&cookie2))).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(send(&app, get("/", Some(&cookie))).await.status, StatusCode::OK);
}

#[tokio::test]
async fn state_changes_need_the_csrf_token() {
    let tmp = tempfile::tempdir().unwrap();
    let app = common::app(tmp.path(), None);
    let (cookie, csrf) = login(&app).await;
    let id = common::findings()[0].id.clone();
    let uri = format!("/finding/{id}/verdict");
    let form = [("status", "false_positive"), ("note", "x")];
    assert_eq!(send(&app, post(&uri, &cookie, &form, None)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(send(&app, post(&uri, &cookie, &[("status", "false_positive"), ("csrf", "0000")], None)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(send(&app, post(&uri, &cookie, &form, Some("bad"))).await.status, StatusCode::FORBIDDEN);
    // Another session's token does not work either.
    let (_, other_csrf) = login(&app).await;
    assert_eq!(send(&app, post(&uri, &cookie, &form, Some(&other_csrf))).await.status, StatusCode::FORBIDDEN);
    let r = send(&app, get(&format!("/finding/{id}"), Some(&cookie))).await;
    assert!(!r.body.contains("id=\"status\">false positive"), "nothing changed yet");
    // A cross-site origin is refused even with the token.
    let mut req = post(&uri, &cookie, &form, Some(&csrf));
    req.headers_mut().insert(header::HOST, "127.0.0.1:8750".parse().unwrap());
    req.headers_mut().insert(header::ORIGIN, "http://evil.example".parse().unwrap());
    assert_eq!(send(&app, req).await.status, StatusCode::FORBIDDEN);
    // The right token, as header or as form field, works.
    assert_eq!(send(&app, post(&uri, &cookie, &form, Some(&csrf))).await.status, StatusCode::SEE_OTHER);
    let form2 = [("status", "benign"), ("note", "ok"), ("csrf", csrf.as_str())];
    assert_eq!(send(&app, post(&uri, &cookie, &form2, None)).await.status, StatusCode::SEE_OTHER);
    let r = send(&app, get(&format!("/finding/{id}"), Some(&cookie))).await;
    assert!(r.body.contains("id=\"status\">benign"), "{}", r.body);
    // The audit trail has both changes, newest first.
    let hist = kensa_web::triage::history(&app.case(), &common::findings()[0].key).unwrap();
    assert_eq!(hist.len(), 2);
    assert_eq!((hist[0].old_status.as_deref(), hist[0].new_status.as_str()), (Some("false_positive"), "benign"));
    assert_eq!(hist[1].analyst.as_deref(), Some("tester"));
}

#[tokio::test]
async fn downloads_never_take_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let app = common::app(tmp.path(), None);
    let (cookie, _) = login(&app).await;
    for uri in [
        "/report/download/..%2F..%2Fcase.sqlite",
        "/report/download/../../case.sqlite",
        "/report/download/%2e%2e%2fcase.sqlite",
        "/report/download/case.sqlite",
        "/stream/..%2F..%2F..%2Fetc%2Fpasswd/raw",
        "/stream/..%2Fcase.sqlite/pcap",
        "/assets/..%2F..%2Fcase.sqlite",
        "/assets/../Cargo.toml",
        "/export/..%2Fcase.sqlite",
        "/..%2Fcase.sqlite",
    ] {
        let r = send(&app, get(uri, Some(&cookie))).await;
        assert!(r.status == StatusCode::NOT_FOUND || r.status == StatusCode::BAD_REQUEST, "{uri}: {}", r.status);
        assert!(!r.body.contains("SQLite format") && !r.body.contains("root:") && !r.body.contains("[package]"), "{uri}");
    }
    // The fixed exports work and are formula-safe.
    let r = send(&app, get("/export/findings.csv", Some(&cookie))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers.get(header::CONTENT_DISPOSITION).unwrap().to_str().unwrap().contains("findings.csv"));
    assert!(r.body.contains("Beacon to <svg"), "CSV is data, not HTML");
    let r = send(&app, get("/export/findings.json", Some(&cookie))).await;
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), common::findings().len());
}

#[tokio::test]
async fn hunting_cannot_write() {
    let tmp = tempfile::tempdir().unwrap();
    let app = common::app(tmp.path(), None);
    let (cookie, csrf) = login(&app).await;
    let target = tmp.path().join("copied.csv");
    let copy = format!("COPY web_requests TO '{}'", target.display());
    for sql in [
        "CREATE TABLE x AS SELECT 1",
        "CREATE EXTERNAL TABLE y STORED AS CSV LOCATION '/etc/passwd'",
        "INSERT INTO web_requests SELECT * FROM web_requests",
        "DROP TABLE web_requests",
        "SET datafusion.execution.batch_size = 1",
        copy.as_str(),
    ] {
        let r = send(&app, post("/hunt", &cookie, &[("sql", sql), ("csrf", &csrf)], None)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{sql}");
        assert!(r.body.contains("id=\"hunt-error\""), "{sql}");
        let r = send(&app, post("/hunt/csv", &cookie, &[("sql", sql), ("csrf", &csrf)], None)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{sql}");
    }
    assert!(!target.exists());
    let r = send(&app, post("/hunt", &cookie, &[("sql", "SELECT count(*) AS n FROM web_requests"), ("csrf", &csrf)], None)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("<td>1177</td>"), "every row still there (1176 logged, 1 from the capture): {}", r.body);
    // CSV export neutralises formulas and keeps hostile text as data.
    let r = send(&app, post("/hunt/csv", &cookie, &[("sql", "SELECT '=HYPERLINK(\"http://x\")' AS f, max(\"user\") AS u FROM web_requests WHERE client_ip = '10.0.0.5'"), ("csrf", &csrf)], None)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("'=HYPERLINK"), "{}", r.body);
    assert!(r.body.contains(common::XSS_USER));
    // Saved queries live in the case.
    let r = send(&app, post("/hunt/save", &cookie, &[("name", "<i>beacons</i>"), ("sql", "SELECT 1"), ("csrf", &csrf)], None)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = send(&app, get("/hunt", Some(&cookie))).await;
    assert!(r.body.contains("&lt;i&gt;beacons&lt;/i&gt;") && !r.body.contains("<i>beacons"));
    assert_eq!(kensa_web::triage::saved_queries(&app.case()).unwrap().len(), 1);
}

/// No response may contain a payload as markup.
fn assert_inert(uri: &str, body: &str) {
    for bad in ["<script>window", "<img src=x", "<svg onload", "<b>bold", "<b>note", "\"><script>"] {
        if let Some(i) = body.find(bad) {
            let lo = body.floor_char_boundary(i.saturating_sub(300));
            let hi = body.ceil_char_boundary((i + 100).min(body.len()));
            panic!("{uri} contains raw {bad:?}: …{}…", &body[lo..hi]);
        }
    }
    assert_eq!(body.matches("<script").count(), 1, "{uri}: only app.js");
}

#[tokio::test]
async fn hostile_strings_are_escaped_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let app = common::app(tmp.path(), None);
    let (cookie, csrf) = login(&app).await;
    let f = &common::findings()[0];
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
    let pages = [
        "/".to_string(),
        "/findings".to_string(),
        format!("/findings?q={}", enc("<svg")),
        format!("/finding/{}", f.id),
        format!("/finding/{}?lang=ja", f.id),
        format!("/finding/{}/allow?kind=user_agent&value={}", f.id, enc(common::XSS_UA)),
        "/host/10.0.0.5".to_string(),
        format!("/host/{}", enc(common::XSS_USER)),
        format!("/dest/{}", common::XSS_HOST),
        format!("/dest/{}", enc("<script>x</script>")),
    ];
    for p in &pages {
        let r = send(&app, get(p, Some(&cookie))).await;
        assert_eq!(r.status, StatusCode::OK, "{p}");
        assert_inert(p, &r.body);
    }
    // The escaped forms are there: the data is shown, as text.
    let r = send(&app, get(&format!("/finding/{}", f.id), Some(&cookie))).await;
    assert!(r.body.contains("Beacon to &lt;svg onload=window.__pwned=4&gt;"));
    assert!(r.body.contains("&lt;img src=x onerror=window.__pwned=2&gt;"), "sample UA shown");
    assert!(r.body.contains("id=\"samples\""));
    assert!(r.body.contains("proxysg.log"), "sample records name their source file");
    // OSINT pivots: plain outgoing links, encoded, opened only on click.
    assert!(r.body.contains("href=\"https://www.virustotal.com/gui/domain/evil.example\" rel=\"noreferrer noopener\" target=\"_blank\""));
    assert!(r.body.contains("https://crt.sh/?q=evil.example"));
    let r = send(&app, get("/host/10.0.0.5", Some(&cookie))).await;
    assert!(r.body.contains("id=\"host-events\">576<"), "{}", &r.body[..r.body.len().min(3000)]);
    // Hunt results are escaped too.
    let r = send(&app, post("/hunt", &cookie, &[("sql", "SELECT DISTINCT \"user\", user_agent, path, query FROM web_requests WHERE client_ip = '10.0.0.5'"), ("csrf", &csrf)], None)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_inert("/hunt", &r.body);
    assert!(r.body.contains("&lt;script&gt;window.__pwned=1&lt;/script&gt;"));
}

#[tokio::test]
async fn findings_filters_and_allowlist_over_http() {
    let tmp = tempfile::tempdir().unwrap();
    let app = common::app(tmp.path(), None);
    let (cookie, csrf) = login(&app).await;
    let r = send(&app, get("/findings?detector=dga", Some(&cookie))).await;
    assert!(r.body.contains("id=\"total\">10<"));
    let r = send(&app, get("/findings?severity=low&detector=rare-destination", Some(&cookie))).await;
    assert!(r.body.contains("id=\"total\">3<"), "i = 0, 2, 4");
    // A destination rule covers the domain and its subdomains, for all hosts.
    let f = common::findings().into_iter().find(|f| f.title == "cdn one").unwrap();
    let r = send(&app, get(&format!("/finding/{}/allow?kind=domain&value=cdn.example.net", f.id), Some(&cookie))).await;
    assert!(r.body.contains("id=\"preview-count\">2<"), "{}", r.body);
    let form = [("kind", "domain"), ("value", "cdn.example.net"), ("reason", "corporate CDN"), ("from", f.id.as_str()), ("csrf", csrf.as_str())];
    assert_eq!(send(&app, post("/allow", &cookie, &form, None)).await.status, StatusCode::SEE_OTHER);
    let r = send(&app, get("/findings?status=suppressed", Some(&cookie))).await;
    assert!(r.body.contains("id=\"total\">2<"));
    // Re-running analysis replaces findings and applies the case's rules
    // again (as `kensa analyze` does): the suppression stays.
    {
        let rows: Vec<_> = common::findings()
            .iter()
            .map(|f| (f.key.clone(), f.id.clone(), f.detector.clone(), "medium".to_string(), f.score, serde_json::to_string(f).unwrap()))
            .collect();
        let mut case = app.case();
        case.replace_findings(None, &rows).unwrap();
        kensa_triage::reapply(&mut case).unwrap();
    }
    app.reload().unwrap();
    let r = send(&app, get("/findings?status=suppressed", Some(&cookie))).await;
    assert!(r.body.contains("id=\"total\">2<"));
    // Removing the rule restores the previous status.
    let rules = kensa_web::triage::rules(&app.case()).unwrap();
    assert_eq!(rules.len(), 1);
    let r = send(&app, post(&format!("/allow/{}/delete", rules[0].id.unwrap()), &cookie, &[("csrf", &csrf)], None)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = send(&app, get("/findings?status=suppressed", Some(&cookie))).await;
    assert!(r.body.contains("id=\"total\">0<"));
    // Bulk verdicts.
    let keys: Vec<String> = common::findings().iter().filter(|f| f.detector == "dga").map(|f| f.key.clone()).collect();
    let mut form: Vec<(&str, &str)> = keys.iter().map(|k| ("key", k.as_str())).collect();
    form.push(("status", "needs_review"));
    form.push(("csrf", &csrf));
    form.push(("back", "https://evil.example/"));
    let r = send(&app, post("/findings/bulk", &cookie, &form, None)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers.get(header::LOCATION).unwrap(), "/findings", "no open redirect");
    let r = send(&app, get("/findings?status=needs_review", Some(&cookie))).await;
    assert!(r.body.contains("id=\"total\">10<"));
}

#[tokio::test]
async fn password_login_for_remote_binds() {
    let tmp = tempfile::tempdir().unwrap();
    let app = common::app(tmp.path(), Some("s3cret"));
    let r = send(&app, get(&format!("/login?token={}", common::TOKEN), None)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers.get(header::SET_COOKIE).is_none() && r.body.contains("type=\"password\""));
    let bad = form_urlencoded::Serializer::new(String::new()).extend_pairs([("token", common::TOKEN), ("password", "nope")]).finish();
    let r = send(&app, Request::post("/login").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from(bad)).unwrap()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let good = form_urlencoded::Serializer::new(String::new()).extend_pairs([("token", common::TOKEN), ("password", "s3cret")]).finish();
    let r = send(&app, Request::post("/login").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from(good)).unwrap()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.headers.get(header::SET_COOKIE).is_some());

    let lo: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    let any: std::net::SocketAddr = "0.0.0.0:8750".parse().unwrap();
    assert!(kensa_web::check_listen(&lo, false, false).is_ok());
    assert!(kensa_web::check_listen(&any, false, true).unwrap_err().to_string().contains("--allow-remote"));
    assert!(kensa_web::check_listen(&any, true, false).unwrap_err().to_string().contains("password"));
    assert!(kensa_web::check_listen(&any, true, true).is_ok());
}

#[tokio::test]
async fn language_switch_is_remembered() {
    let tmp = tempfile::tempdir().unwrap();
    let app = common::app(tmp.path(), None);
    let (cookie, _) = login(&app).await;
    let r = send(&app, get("/findings?lang=ja", Some(&cookie))).await;
    assert!(r.body.contains("検知結果") && r.body.contains("<html lang=\"ja\">"));
    let set = r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(set.starts_with("kensa_lang=ja"));
    let r = send(&app, get("/", Some(&format!("{cookie}; kensa_lang=ja")))).await;
    assert!(r.body.contains("概要"));
    let r = send(&app, get("/", Some(&cookie))).await;
    assert!(r.body.contains("Overview"));
}

#[tokio::test]
async fn streams_are_escaped_and_downloads_are_attachments() {
    let tmp = tempfile::tempdir().unwrap();
    let app = common::app(tmp.path(), None);
    let (cookie, _) = login(&app).await;
    let flows = app.worker.table("SELECT flow_id, client_ip FROM flows", vec![]).await.unwrap();
    assert_eq!(flows.rows.len(), 1);
    assert_eq!(flows.s(0, 1), common::PCAP_CLIENT);
    let id = flows.s(0, 0).to_string();
    let r = send(&app, get(&format!("/streams?host={}", common::PCAP_CLIENT), Some(&cookie))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains(&format!("href=\"/stream/{id}\"")), "{}", r.body);
    let r = send(&app, get(&format!("/stream/{id}"), Some(&cookie))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_inert("/stream", &r.body);
    assert!(r.body.contains("GET /&lt;script&gt;window.__pwned=6&lt;/script&gt; HTTP/1.1"), "{}", r.body);
    assert!(r.body.contains("&lt;b&gt;bold payload&lt;/b&gt;"));
    // Raw bytes and the pcap are attachments, never rendered as a page.
    let r = send(&app, get(&format!("/stream/{id}/raw?dir=s2c"), Some(&cookie))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers.get(header::CONTENT_TYPE).unwrap(), "application/octet-stream");
    assert!(r.headers.get(header::CONTENT_DISPOSITION).unwrap().to_str().unwrap().starts_with("attachment"));
    assert!(r.body.starts_with("HTTP/1.1 200 OK") && r.body.ends_with("<b>bold payload</b>!"), "{}", r.body);
    let r = send(&app, get(&format!("/stream/{id}/pcap"), Some(&cookie))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers.get(header::CONTENT_DISPOSITION).unwrap().to_str().unwrap().contains(".pcap"));
    assert!(r.body.contains("bold payload"), "the flow's packets");
    // An unknown flow is a 404, not an error page with internals.
    let r = send(&app, get("/stream/0123456789abcdef", Some(&cookie))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn reports_are_generated_from_the_ui_and_downloaded_by_id() {
    let tmp = tempfile::tempdir().unwrap();
    let app = common::app(tmp.path(), None);
    let (cookie, csrf) = login(&app).await;
    let r = send(&app, post("/report", &cookie, &[("format", "html"), ("lang", "en"), ("csrf", &csrf)], None)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = send(&app, get("/report", Some(&cookie))).await;
    let i = page.body.find("href=\"/report/download/").expect("a download link");
    let rest = &page.body[i + "href=\"".len()..];
    let link = &rest[..rest.find('"').unwrap()];
    let r = send(&app, get(link, Some(&cookie))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers.get(header::CONTENT_DISPOSITION).unwrap().to_str().unwrap().starts_with("attachment"));
    // The real report, over this case: its title, the hostile strings inert.
    assert!(r.body.contains("<html") && r.body.contains("Egress traffic assessment report"), "{}", &r.body[..r.body.len().min(500)]);
    assert!(!r.body.contains("<script>window") && !r.body.contains("<img src=x"));
    // Another id is a 404.
    assert_eq!(send(&app, get("/report/download/0123456789abcdef01234567", Some(&cookie))).await.status, StatusCode::NOT_FOUND);
}
