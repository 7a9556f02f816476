//! Routes and pages. Every page is built with `maud` (auto-escaping);
//! nothing from the case is ever written unescaped, put into a `style`
//! or `script`, or used as a link target other than through the
//! percent-encoded OSINT builders and kensa's own routes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, html};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::adapters::{Direction, ReportFormat};
use crate::auth::{self, SESSION_COOKIE, Session};
use crate::i18n::Lang;
use crate::index::{Filter, Row, SETTABLE, SEVERITIES, STATUSES, SortKey};
use crate::svg::{self, fmt_ms, fmt_num};
use crate::triage;
use kensa_detect::allow::AllowKind;
use crate::{App, Download, WebError};

type St = State<Arc<App>>;
type Res = Result<Response, WebError>;

const CSS: &str = include_str!("../assets/app.css");
const JS: &str = include_str!("../assets/app.js");
/// Bytes of a flow shown in the stream view.
pub const STREAM_CAP: usize = 64 * 1024;
/// Bytes of a flow offered as a raw download (the CLI's `kensa stream --raw`
/// has no cap).
pub const RAW_CAP: usize = 64 << 20;
/// Rows of a hunt result shown on the page (the CSV export has them all).
pub const HUNT_SHOW: usize = 1000;

pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/login", get(login_get).post(login_post))
        .route("/logout", post(logout))
        .route("/", get(overview))
        .route("/findings", get(findings))
        .route("/findings/bulk", post(bulk))
        .route("/finding/{id}", get(finding))
        .route("/finding/{id}/verdict", post(verdict))
        .route("/finding/{id}/allow", get(allow_preview))
        .route("/allow", get(allow_list).post(allow_create))
        .route("/allow/{id}/delete", post(allow_delete))
        .route("/host/{h}", get(host))
        .route("/dest/{d}", get(dest))
        .route("/streams", get(streams))
        .route("/stream/{id}", get(stream))
        .route("/stream/{id}/raw", get(stream_raw))
        .route("/stream/{id}/pcap", get(stream_pcap))
        .route("/hunt", get(hunt_get).post(hunt_run))
        .route("/hunt/csv", post(hunt_csv))
        .route("/hunt/save", post(hunt_save))
        .route("/hunt/saved/{id}/delete", post(hunt_delete))
        .route("/report", get(report_get).post(report_post))
        .route("/report/download/{id}", get(report_download))
        .route("/export/findings.json", get(export_json))
        .route("/export/findings.csv", get(export_csv))
        .route("/assets/app.css", get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS) }))
        .route("/assets/app.js", get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], JS) }))
        .fallback(|| async { (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "not found") })
}

/// Per-request page context: language, CSRF token, current path.
pub(crate) struct Ctx {
    lang: Lang,
    csrf: String,
    path: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Ctx, WebError> {
        let csrf = parts.extensions.get::<Session>().map(|s| s.csrf.clone()).unwrap_or_default();
        Ok(Ctx { lang: auth::lang_of(parts.uri.query(), &parts.headers), csrf, path: parts.uri.path().to_string() })
    }
}

impl Ctx {
    fn t(&self, k: &str) -> &'static str {
        self.lang.t(k)
    }
    fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.csrf); }
    }
}

fn page(c: &Ctx, title: &str, body: Markup) -> Response {
    let nav = [("/", "overview"), ("/findings", "findings"), ("/allow", "allowlist"), ("/streams", "stream"), ("/hunt", "hunt"), ("/report", "report")];
    let m = html! {
        (DOCTYPE)
        html lang=(c.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="same-origin";
                title { (title) " — kensa" }
                link rel="stylesheet" href="/assets/app.css";
                script src="/assets/app.js" defer {}
            }
            body {
                header.top {
                    span.brand { (c.t("app")) }
                    nav {
                        @for (href, key) in nav {
                            a href=(href) class=[(c.path == href).then_some("here")] { (c.t(key)) }
                        }
                    }
                    span.lang {
                        a href={(c.path) "?lang=en"} { "English" } " | " a href={(c.path) "?lang=ja"} { "日本語" }
                    }
                    form.inline method="post" action="/logout" { (c.csrf_field()) button type="submit" { (c.t("logout")) } }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    };
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], m.into_string()).into_response()
}

fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn field<'a>(f: &'a [(String, String)], k: &str) -> &'a str {
    f.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or("")
}

fn status_label(c: &Ctx, s: &str) -> &'static str {
    if STATUSES.contains(&s) { c.t(s) } else { c.t("open") }
}

fn status_class(s: &str) -> &'static str {
    STATUSES.iter().find(|x| **x == s).copied().unwrap_or("open")
}

fn sev_badge(sev: &'static str) -> Markup {
    html! { span class={"sev sev-" (sev)} { (sev) } }
}

/// Text safe to show: control and bidi characters made visible.
fn vis(s: &str) -> String {
    kensa_store::query::escape_terminal(s).into_owned()
}

// ---------------------------------------------------------------- login

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct LoginQ {
    token: String,
}

fn session_cookie(s: &Session) -> HeaderValue {
    HeaderValue::from_str(&format!("{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict", s.id)).expect("hex cookie")
}

async fn login_get(State(app): St, c: Ctx, Query(q): Query<LoginQ>) -> Response {
    if app.auth.needs_password() {
        let m = html! {
            form method="post" action="/login" {
                input type="hidden" name="token" value=(q.token);
                label { (c.t("password")) " " input type="password" name="password" autofocus; }
                button type="submit" { (c.t("login")) }
            }
        };
        let mut r = page(&c, c.t("login"), m);
        *r.status_mut() = StatusCode::OK;
        return r;
    }
    match app.auth.login(&q.token, None) {
        Some(s) => {
            let mut r = Redirect::to("/").into_response();
            r.headers_mut().insert(header::SET_COOKIE, session_cookie(&s));
            r
        }
        None => (StatusCode::UNAUTHORIZED, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], c.t("login_needed")).into_response(),
    }
}

async fn login_post(State(app): St, c: Ctx, body: Bytes) -> Response {
    let f = form_pairs(&body);
    match app.auth.login(field(&f, "token"), Some(field(&f, "password"))) {
        Some(s) => {
            let mut r = Redirect::to("/").into_response();
            r.headers_mut().insert(header::SET_COOKIE, session_cookie(&s));
            r
        }
        None => (StatusCode::UNAUTHORIZED, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], c.t("login_needed")).into_response(),
    }
}

async fn logout(State(app): St, axum::Extension(s): axum::Extension<Session>) -> Response {
    app.auth.logout(&s.id);
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_static("kensa_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"));
    r
}

// ---------------------------------------------------------------- overview

/// The per-host roll-up of `kensa hosts`, over the index (analysts'
/// verdicts applied).
fn host_rollup(rows: &[Row]) -> Vec<kensa_detect::hosts::HostSummary> {
    let fs: Vec<kensa_detect::Finding> = rows
        .iter()
        .map(|r| {
            let mut f = r.f.clone();
            if let Some(st) = kensa_triage::parse_status(&r.status) {
                f.status = st;
            }
            f
        })
        .collect();
    kensa_detect::hosts::rollup(&fs)
}

async fn overview(State(app): St, c: Ctx) -> Res {
    let inputs = app.case().inputs()?;
    let inv = app
        .worker
        .table(
            "SELECT service, sanctioned, count(DISTINCT coalesce(\"user\", client_ip)) AS users, sum(bytes_up) AS up, \
             sum(CASE WHEN upload_action THEN 1 ELSE 0 END) AS uploads FROM web_requests WHERE service IS NOT NULL \
             GROUP BY service, sanctioned ORDER BY up DESC NULLS LAST LIMIT 25",
            vec![],
        )
        .await
        .unwrap_or_default();
    let ix = app.index.read().unwrap_or_else(|e| e.into_inner());
    let fc = ix.facets();
    let hosts = {
        let mut cache = app.hosts_cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.get_or_insert_with(|| Arc::new(host_rollup(ix.rows()))).clone()
    };
    let sev: Vec<(String, f64)> = SEVERITIES.iter().map(|s| (s.to_string(), *fc.severities.get(*s).unwrap_or(&0) as f64)).collect();
    let det: Vec<(String, f64)> = fc.detectors.iter().map(|(k, v)| (k.clone(), *v as f64)).collect();
    let days: Vec<(String, f64)> = fc.days.iter().map(|(k, v)| (k.clone(), *v as f64)).collect();
    let m = html! {
        section.grid {
            div { h2 { (c.t("by_severity")) } (svg::bars(&sev, 160.0)) }
            div { h2 { (c.t("by_detector")) } (svg::bars(&det, 160.0)) }
            div { h2 { (c.t("by_day")) } (svg::bars(&days, 160.0)) }
        }
        h2 { (c.t("host_verdicts")) }
        table.data {
            tr { th { (c.t("host")) } th { (c.t("verdict_col")) } th { (c.t("score")) } th { (c.t("users")) } th { (c.t("active")) } th { (c.t("detector")) } }
            @for h in hosts.iter().take(200) {
                tr.hostrow data-verdict=(h.verdict.as_str()) {
                    td { a href={"/host/" (enc(&h.host))} { (vis(&h.host)) } }
                    td { span class={"hv hv-" (h.verdict.as_str())} { (if c.lang == Lang::Ja { h.verdict.label_ja() } else { h.verdict.label_en() }) } }
                    td.num { (format!("{:.0}", h.score)) }
                    td { (vis(&h.users.join(", "))) }
                    td.num { a href={"/findings?host=" (enc(&h.host))} { (h.findings.len()) } }
                    td { (vis(&h.detectors.join(", "))) }
                }
            }
        }
        h2 { (c.t("coverage")) }
        table.data {
            tr { th { (c.t("inputs")) } th { (c.t("format")) } th { (c.t("status")) } th { (c.t("rows")) } th { (c.t("rejected")) } th { (c.t("span")) } }
            @for i in &inputs {
                tr {
                    td { (vis(&i.path)) }
                    td { (i.format.as_deref().unwrap_or("-")) }
                    td { (i.status) @if let Some(e) = &i.error { " — " (vis(e)) } }
                    td.num { (i.rows) }
                    td.num { (i.rejected)
                        @for (reason, n) in &i.reject_counts { br; small { (vis(reason)) ": " (n) } } }
                    td { (i.first_ts.map(fmt_ms).unwrap_or_default()) " – " (i.last_ts.map(fmt_ms).unwrap_or_default()) }
                }
            }
        }
        @let samples: Vec<_> = inputs.iter().flat_map(|i| i.reject_samples.iter().take(3).map(move |s| (i, s))).take(20).collect();
        @if !samples.is_empty() {
            details { summary { (c.t("reject_samples")) }
                table.data { @for (i, s) in samples { tr { td { (vis(&i.path)) ":" (s.line) } td { (vis(&s.reason)) } td { code { (vis(&s.text)) } } } } }
            }
        }
        h2 { (c.t("leak_inventory")) }
        table.data {
            tr { th { (c.t("service")) } th { (c.t("sanctioned")) } th { (c.t("users")) } th { (c.t("bytes_up")) } th { (c.t("uploads")) } }
            @for r in 0..inv.rows.len() {
                tr {
                    td { a href={"/findings?service=" (enc(inv.s(r, 0)))} { (vis(inv.s(r, 0))) } }
                    td { (vis(inv.s(r, 1))) } td.num { (inv.s(r, 2)) } td.num { (fmt_num(inv.n(r, 3))) } td.num { (inv.s(r, 4)) }
                }
            }
        }
    };
    Ok(page(&c, c.t("overview"), m))
}

// ---------------------------------------------------------------- findings

const ENC: &AsciiSet = &NON_ALPHANUMERIC.remove(b'.').remove(b'-').remove(b'_');

/// Percent-encodes a value for a URL path segment or query value.
pub fn enc(s: &str) -> String {
    utf8_percent_encode(s, ENC).to_string()
}

fn filter_query(f: &Filter, page: usize) -> String {
    let mut s = String::new();
    for (k, v) in [
        ("severity", &f.severity),
        ("detector", &f.detector),
        ("status", &f.status),
        ("host", &f.host),
        ("user", &f.user),
        ("destination", &f.destination),
        ("service", &f.service),
        ("attack", &f.attack),
        ("q", &f.q),
        ("sort", &f.sort),
        ("dir", &f.dir),
    ] {
        if !v.is_empty() {
            let _ = write!(s, "{k}={}&", enc(v));
        }
    }
    let _ = write!(s, "page={page}");
    s
}

fn select(name: &str, any: &str, current: &str, opts: &[(String, String)]) -> Markup {
    html! {
        select name=(name) {
            option value="" { (any) }
            @for (v, label) in opts {
                option value=(v) selected[v == current] { (label) }
            }
        }
    }
}

async fn findings(State(app): St, c: Ctx, Query(f): Query<Filter>) -> Res {
    let ix = app.index.read().unwrap_or_else(|e| e.into_inner());
    let p = ix.query(&f);
    let fc = ix.facets();
    let kv = |m: &BTreeMap<String, usize>| m.iter().map(|(k, n)| (k.clone(), format!("{} ({n})", vis(k)))).collect::<Vec<_>>();
    let sevs: Vec<_> = SEVERITIES.iter().map(|s| (s.to_string(), s.to_string())).collect();
    let stats: Vec<_> = STATUSES.iter().map(|s| (s.to_string(), c.t(s).to_string())).collect();
    let sorts: Vec<_> = SortKey::ALL.iter().map(|(_, n)| (n.to_string(), n.to_string())).collect();
    let pages = p.total.div_ceil(p.per_page).max(1);
    let any = c.t("any");
    let m = html! {
        form.filters method="get" action="/findings" {
            label { (c.t("severity")) (select("severity", any, &f.severity, &sevs)) }
            label { (c.t("detector")) (select("detector", any, &f.detector, &kv(&fc.detectors))) }
            label { (c.t("status")) (select("status", any, &f.status, &stats)) }
            label { (c.t("service")) (select("service", any, &f.service, &kv(&fc.services))) }
            label { (c.t("attack")) (select("attack", any, &f.attack, &kv(&fc.attack))) }
            label { (c.t("host")) input type="text" name="host" value=(f.host); }
            label { (c.t("user")) input type="text" name="user" value=(f.user); }
            label { (c.t("destination")) input type="text" name="destination" value=(f.destination); }
            label { (c.t("search")) input type="search" name="q" value=(f.q) id="q"; }
            label { (c.t("sort")) (select("sort", "score", &f.sort, &sorts))
                select name="dir" { option value="desc" { "↓" } option value="asc" selected[f.dir == "asc"] { "↑" } } }
            button type="submit" id="apply-filter" { (c.t("filter")) }
            a href="/findings" { (c.t("reset")) }
        }
        p.count { span id="total" { (p.total) } " " (c.t("results")) " — " (p.page) " " (c.t("of")) " " (pages)
            " · " a href="/export/findings.csv" { "CSV" } " · " a href="/export/findings.json" { "JSON" } }
        @if p.rows.is_empty() {
            p { (c.t("no_findings")) }
        } @else {
            form method="post" action="/findings/bulk" {
                (c.csrf_field())
                input type="hidden" name="back" value={"/findings?" (filter_query(&f, p.page))};
                div.bulk {
                    select name="status" id="bulk-status" { @for s in SETTABLE { option value=(s) { (c.t(s)) } } }
                    button type="submit" id="bulk-apply" { (c.t("apply_verdict")) }
                }
                table.data id="findings" {
                    tr {
                        th { input type="checkbox" class="select-all" title=(c.t("select_all")); }
                        th { (c.t("severity")) } th { (c.t("score")) } th { (c.t("title")) } th { (c.t("host")) }
                        th { (c.t("destination")) } th { (c.t("detector")) } th { (c.t("status")) } th { (c.t("first_seen")) }
                    }
                    @for r in &p.rows {
                        tr data-id=(r.f.id) {
                            td { input type="checkbox" name="key" value=(r.f.key); }
                            td { (sev_badge(r.f.severity.as_str())) }
                            td.num { (format!("{:.0}", r.f.score)) }
                            td { a.finding href={"/finding/" (enc(&r.f.id))} { (vis(&r.f.title)) } }
                            td { a href={"/host/" (enc(&r.host))} { (vis(&r.host)) }
                                 @if let Some(u) = &r.f.src.user { " " small { (vis(u)) } } }
                            td { @if let Some(d) = r.f.dst.host.as_ref().or(r.f.dst.domain.as_ref()) { a href={"/dest/" (enc(d))} { (vis(d)) } } }
                            td { (vis(&r.f.detector)) }
                            td { span class={"st st-" (status_class(&r.status))} { (status_label(&c, &r.status)) } }
                            td { (fmt_ms(r.f.first_seen)) }
                        }
                    }
                }
            }
            nav.pager {
                @if p.page > 1 { a rel="prev" href={"/findings?" (filter_query(&f, p.page - 1))} { (c.t("prev")) } }
                " "
                @if p.page < pages { a rel="next" href={"/findings?" (filter_query(&f, p.page + 1))} { (c.t("next")) } }
            }
        }
    };
    drop(ix);
    Ok(page(&c, c.t("findings"), m))
}

fn safe_back(b: &str) -> String {
    // Only kensa's own paths: no scheme, no `//host`.
    if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') { b.to_string() } else { "/findings".to_string() }
}

async fn bulk(State(app): St, body: Bytes) -> Res {
    let f = form_pairs(&body);
    let status = field(&f, "status");
    if !SETTABLE.contains(&status) {
        return Err(WebError::BadRequest(format!("unknown verdict {status:?}")));
    }
    let keys: Vec<&str> = f.iter().filter(|(k, _)| k == "key").map(|(_, v)| v.as_str()).collect();
    {
        let mut case = app.case();
        let mut ix = app.index.write().unwrap_or_else(|e| e.into_inner());
        for k in keys {
            if ix.get_by_key(k).is_none() {
                continue;
            }
            triage::set_verdict(&mut case, k, status, None, &app.analyst)?;
            ix.set_status(k, status, None);
            app.invalidate_hosts();
        }
    }
    Ok(Redirect::to(&safe_back(field(&f, "back"))).into_response())
}

// ---------------------------------------------------------------- finding detail

fn osint_links(f: &kensa_detect::Finding) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    let dom = f.dst.domain.as_deref().or(f.dst.host.as_deref()).filter(|d| d.parse::<std::net::IpAddr>().is_err());
    let ip = f.dst.ip.as_deref().or(f.dst.host.as_deref()).filter(|d| d.parse::<std::net::IpAddr>().is_ok());
    if let Some(d) = dom {
        let e = enc(d);
        v.push(("VirusTotal", format!("https://www.virustotal.com/gui/domain/{e}")));
        v.push(("urlscan.io", format!("https://urlscan.io/search/#{}", enc(&format!("domain:{d}")))));
        v.push(("Shodan", format!("https://www.shodan.io/search?query={}", enc(&format!("hostname:{d}")))));
        v.push(("crt.sh", format!("https://crt.sh/?q={e}")));
        v.push(("AbuseIPDB", format!("https://www.abuseipdb.com/check/{e}")));
    }
    if let Some(i) = ip {
        let e = enc(i);
        v.push(("VirusTotal (IP)", format!("https://www.virustotal.com/gui/ip-address/{e}")));
        v.push(("urlscan.io (IP)", format!("https://urlscan.io/search/#{}", enc(&format!("ip:{i}")))));
        v.push(("Shodan (IP)", format!("https://www.shodan.io/host/{e}")));
        v.push(("AbuseIPDB (IP)", format!("https://www.abuseipdb.com/check/{e}")));
    }
    for k in ["ja4", "ja4s", "ja3"] {
        if let Some(x) = f.evidence.notes.get(k) {
            v.push(("ja4db", format!("https://ja4db.com/id/{}", enc(x))));
        }
    }
    v
}

fn pair_sql_params(f: &kensa_detect::Finding) -> Option<(String, String)> {
    let src = f.src.ip.clone().or_else(|| f.src.user.clone())?;
    let dst = f.dst.host.clone().or_else(|| f.dst.domain.clone())?;
    Some((src, dst))
}

async fn finding(State(app): St, c: Ctx, Path(id): Path<String>) -> Res {
    let (row, related) = {
        let ix = app.index.read().unwrap_or_else(|e| e.into_inner());
        let row = ix.get(&id).cloned().ok_or(WebError::NotFound)?;
        let rel: Vec<Row> = ix.related(&row, 30).into_iter().cloned().collect();
        (row, rel)
    };
    let f = &row.f;
    let hist = triage::history(&app.case(), &f.key)?;
    // The pair's events for the charts (bounded).
    let events = match pair_sql_params(f) {
        Some((s, d)) => app
            .worker
            .table(
                "SELECT CAST(ts AS BIGINT) AS t, bytes_up, bytes_down FROM web_requests \
                 WHERE (client_ip = $1 OR \"user\" = $1) AND (host = $2 OR registered_domain = $2) ORDER BY ts LIMIT 200000",
                vec![s, d],
            )
            .await
            .unwrap_or_default(),
        None => Default::default(),
    };
    let intel = match f.dst.host.clone().or_else(|| f.dst.domain.clone()) {
        Some(d) => app
            .worker
            .table("SELECT intel, count(*) AS n FROM web_requests WHERE (host = $1 OR registered_domain = $1) AND intel IS NOT NULL GROUP BY intel ORDER BY n DESC LIMIT 20", vec![d])
            .await
            .unwrap_or_default(),
        None => Default::default(),
    };
    // Sample records by (input, line): integers from the stored finding, not user text.
    let samples = if f.evidence.samples.is_empty() {
        Default::default()
    } else {
        let mut by_file: BTreeMap<u16, Vec<u32>> = BTreeMap::new();
        for s in f.evidence.samples.iter().take(20) {
            by_file.entry(s.file).or_default().push(s.line);
        }
        let cond: Vec<String> = by_file
            .iter()
            .map(|(file, lines)| format!("(input_id = {file} AND source_line IN ({}))", lines.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(",")))
            .collect();
        let sql = format!(
            "SELECT source_file, source_line, ts, client_ip, \"user\", method, url, status, bytes_up, bytes_down, user_agent FROM web_requests WHERE {} ORDER BY ts LIMIT 50",
            cond.join(" OR ")
        );
        app.worker.run(move |q| q.sql(&sql).map_err(WebError::from).and_then(|b| crate::worker::Table::from_batches(&b))).await?.unwrap_or_default()
    };
    let ts: Vec<i64> = (0..events.rows.len()).map(|r| events.n(r, 0) as i64).collect();
    let charts = charts(&c, &events, &ts);
    let m = html! {
        p { (sev_badge(f.severity.as_str())) " " strong { (format!("{:.1}", f.score)) } " · " (vis(&f.detector))
            " · " span class={"st st-" (status_class(&row.status))} id="status" { (status_label(&c, &row.status)) }
            @for a in &f.attack { " " span.attack { (vis(a)) } } }
        table.kv {
            tr { th { (c.t("host")) } td { a href={"/host/" (enc(&row.host))} { (vis(&row.host)) } @if let Some(u) = &f.src.user { " / " (vis(u)) } } }
            tr { th { (c.t("destination")) } td {
                @if let Some(d) = f.dst.host.as_ref().or(f.dst.domain.as_ref()) { a href={"/dest/" (enc(d))} { (vis(d)) } }
                @if let Some(ip) = &f.dst.ip { " (" (vis(ip)) ")" }
                @if let Some(p) = f.dst.port { ":" (p) }
                @if let Some(s) = &f.dst.service { " · " (vis(s)) }
            } }
            tr { th { (c.t("first_seen")) } td { (fmt_ms(f.first_seen)) " – " (fmt_ms(f.last_seen)) } }
            tr { th { (c.t("count")) } td { (f.count) } }
            tr { th { (c.t("bytes_up")) " / " (c.t("bytes_down")) } td { (f.bytes_up.map(|b| fmt_num(b as f64)).unwrap_or("-".into())) " / " (f.bytes_down.map(|b| fmt_num(b as f64)).unwrap_or("-".into())) } }
        }
        h2 { (c.t("explanation")) }
        p.expl lang=(c.lang.code()) { (vis(if c.lang == Lang::Ja && !f.explanation.ja.is_empty() { &f.explanation.ja } else { &f.explanation.en })) }
        h2 { (c.t("verdict")) }
        form.verdict method="post" action={"/finding/" (enc(&f.id)) "/verdict"} {
            (c.csrf_field())
            select name="status" id="verdict-status" { @for s in SETTABLE { option value=(s) selected[*s == row.status] { (c.t(s)) } } }
            input type="text" name="note" id="verdict-note" placeholder=(c.t("note")) value=(row.note.as_deref().unwrap_or(""));
            button type="submit" id="verdict-save" { (c.t("save")) }
        }
        @if !hist.is_empty() {
            details open { summary { (c.t("history")) }
                table.data id="history" {
                    tr { th { (c.t("when")) } th { (c.t("who")) } th { (c.t("change")) } th { (c.t("note")) } }
                    @for h in &hist { tr { td { (h.at) } td { (vis(h.analyst.as_deref().unwrap_or("-"))) }
                        td { (status_label(&c, h.old_status.as_deref().unwrap_or("open"))) " → " (status_label(&c, &h.new_status)) }
                        td { (vis(h.new_note.as_deref().unwrap_or(""))) } } }
                }
            }
        }
        h2 { (c.t("make_rule")) }
        ul.rules {
            @if let Some(d) = f.dst.host.as_ref().or(f.dst.domain.as_ref()) {
                @let k = if d.parse::<std::net::IpAddr>().is_ok() { "dst_cidr" } else { "domain" };
                li { a.rule href={"/finding/" (enc(&f.id)) "/allow?kind=" (k) "&value=" (enc(d))} { (c.t("rule_dest")) ": " (vis(d)) } }
                @if let Some(dom) = f.dst.domain.as_ref().filter(|x| Some(*x) != f.dst.host.as_ref()) {
                    li { a.rule href={"/finding/" (enc(&f.id)) "/allow?kind=domain&value=" (enc(dom))} { (c.t("rule_dest")) ": " (vis(dom)) } }
                }
            }
            @if let Some(s) = &f.dst.service { li { a.rule href={"/finding/" (enc(&f.id)) "/allow?kind=service&value=" (enc(s))} { (c.t("rule_service")) ": " (vis(s)) } } }
            @for r in 0..samples.rows.len().min(50) {
                @let ua = samples.s(r, 10);
                @if !ua.is_empty() && (0..r).all(|p| samples.s(p, 10) != ua) {
                    li { a.rule href={"/finding/" (enc(&f.id)) "/allow?kind=user_agent&value=" (enc(ua))} { (c.t("rule_ua")) ": " code { (vis(ua)) } } }
                }
            }
        }
        h2 { (c.t("figures")) }
        table.kv { @for (k, v) in &f.evidence.figures { tr { th { (vis(k)) } td.num { (fmt_num(*v)) } } }
                   @for (k, v) in &f.evidence.notes { tr { th { (vis(k)) } td { (vis(v)) } } } }
        (charts)
        h2 { (c.t("samples")) }
        table.data id="samples" {
            tr { th { (c.t("source_file")) } th { (c.t("line")) } th { "ts" } th { (c.t("host")) } th { "method" } th { "URL" } th { "status" } th { "↑" } th { "↓" } th { "User-Agent" } }
            @for r in 0..samples.rows.len() {
                tr { @for col in 0..11 { @if col != 4 { td { (vis(samples.s(r, col))) } } } }
            }
        }
        @if samples.rows.is_empty() && !f.evidence.samples.is_empty() {
            ul { @for s in &f.evidence.samples { li { (vis(s.path.as_deref().unwrap_or("?"))) ":" (s.line) " @ " (fmt_ms(s.ts_ms)) } } }
        }
        h2 { (c.t("intel")) }
        @if intel.rows.is_empty() { p { (c.t("none")) } } @else {
            ul id="intel" { @for r in 0..intel.rows.len() { li { code { (vis(intel.s(r, 0))) } " × " (intel.s(r, 1)) } } }
        }
        h2 { (c.t("osint")) }
        ul.osint { @for (name, url) in osint_links(f) { li { a href=(url) rel="noreferrer noopener" target="_blank" { (name) } } } }
        h2 { (c.t("related")) }
        table.data id="related" {
            @for r in &related {
                tr { td { (sev_badge(r.f.severity.as_str())) } td { a href={"/finding/" (enc(&r.f.id))} { (vis(&r.f.title)) } }
                     td { (vis(&r.host)) } td { (vis(r.f.dst.host.as_deref().unwrap_or(""))) } td { (status_label(&c, &r.status)) } }
            }
        }
    };
    Ok(page(&c, &vis(&f.title), m))
}

fn charts(c: &Ctx, events: &crate::worker::Table, ts: &[i64]) -> Markup {
    use kensa_charts::Frame;
    if ts.len() < 2 {
        return html! {};
    }
    let (t0, t1) = (ts[0], ts[ts.len() - 1]);
    let intervals: Vec<f64> = ts.windows(2).map(|w| (w[1] - w[0]) as f64 / 1000.0).collect();
    let mut sorted = intervals.clone();
    sorted.sort_by(f64::total_cmp);
    // Up to the 95th percentile, so one long gap does not squash the bins.
    let hi = sorted[(sorted.len() * 95 / 100).min(sorted.len() - 1)].max(1.0);
    let mut week = [[0u64; 24]; 7];
    let mut vol: BTreeMap<i64, f64> = BTreeMap::new();
    for (r, t) in ts.iter().enumerate() {
        if let Some(d) = chrono::DateTime::from_timestamp_millis(*t) {
            use chrono::{Datelike, Timelike};
            week[d.weekday().num_days_from_monday() as usize][d.hour() as usize] += 1;
        }
        *vol.entry(t / 3_600_000 * 3_600_000).or_default() += events.n(r, 1) + events.n(r, 2);
    }
    let points: Vec<(i64, f64)> = vol.into_iter().collect();
    let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let fx = |v: f64| kensa_charts::fmt_num(v);
    // kensa-charts escapes every label it draws (its documented invariant)
    // and emits no script or style, so its SVG is inlined as is.
    let svgs = [
        kensa_charts::histogram(&intervals, 30, 0.0, hi, &fx, &Frame::new(c.t("interval_hist")).size(720, 200)),
        kensa_charts::timeline(ts, t0, t1, 0, &Frame::new(c.t("callback_timeline")).size(720, 120)),
        kensa_charts::heatmap(&week, &days, &Frame::new(c.t("hourly_heatmap")).size(720, 220)),
        kensa_charts::columns(&points, 3_600_000, t0, t1, 0, &|v| kensa_charts::fmt_bytes(v as u64), &Frame::new(c.t("volumes")).size(720, 200)),
    ];
    html! {
        h2 { (c.t("charts")) }
        div id="charts" { @for s in svgs { div.chart { (maud::PreEscaped(s)) } } }
    }
}

async fn verdict(State(app): St, Path(id): Path<String>, body: Bytes) -> Res {
    let f = form_pairs(&body);
    let status = field(&f, "status");
    if !SETTABLE.contains(&status) {
        return Err(WebError::BadRequest(format!("unknown verdict {status:?}")));
    }
    let note = field(&f, "note");
    let key = {
        let ix = app.index.read().unwrap_or_else(|e| e.into_inner());
        ix.get(&id).map(|r| r.f.key.clone()).ok_or(WebError::NotFound)?
    };
    {
        let mut case = app.case();
        triage::set_verdict(&mut case, &key, status, Some(note), &app.analyst)?;
        app.index.write().unwrap_or_else(|e| e.into_inner()).set_status(&key, status, Some(note.to_string()));
        app.invalidate_hosts();
    }
    Ok(Redirect::to(&format!("/finding/{}", enc(&id))).into_response())
}

// ---------------------------------------------------------------- allowlist

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct RuleQ {
    kind: String,
    value: String,
}

async fn allow_preview(State(app): St, c: Ctx, Path(id): Path<String>, Query(q): Query<RuleQ>) -> Res {
    let rule = triage::make_rule(&q.kind, &q.value, None)?;
    let kind = rule.kind;
    let ix = app.index.read().unwrap_or_else(|e| e.into_inner());
    let hits = triage::preview(&ix, &rule);
    let label = rule_label(kind);
    let m = html! {
        p { (c.t(label)) ": " code { (vis(&q.value)) } }
        p.preview { strong id="preview-count" { (hits.len()) } " " (c.t("would_suppress")) }
        table.data id="preview" {
            @for r in hits.iter().take(200) {
                tr { td { (sev_badge(r.f.severity.as_str())) } td { a href={"/finding/" (enc(&r.f.id))} { (vis(&r.f.title)) } } td { (vis(&r.host)) } td { (status_label(&c, &r.status)) } }
            }
        }
        form method="post" action="/allow" {
            (c.csrf_field())
            input type="hidden" name="kind" value=(kind.as_str());
            input type="hidden" name="value" value=(q.value);
            input type="hidden" name="from" value=(id);
            label { (c.t("reason")) " " input type="text" name="reason" id="rule-reason"; }
            button type="submit" id="rule-create" { (c.t("create_rule")) }
        }
    };
    drop(ix);
    Ok(page(&c, c.t("make_rule"), m))
}

fn rule_label(k: AllowKind) -> &'static str {
    match k {
        AllowKind::Domain | AllowKind::DstCidr => "rule_dest",
        AllowKind::UserAgent => "rule_ua",
        AllowKind::Service => "rule_service",
        AllowKind::SrcCidr => "rule_src",
        AllowKind::HostDst => "rule_host_dst",
    }
}

async fn allow_create(State(app): St, body: Bytes) -> Res {
    let f = form_pairs(&body);
    let rule = triage::make_rule(field(&f, "kind"), field(&f, "value"), Some(field(&f, "dst")))?;
    let reason = field(&f, "reason").trim();
    let from = field(&f, "from").trim();
    // The finding it was made from goes into the rule's note, for the audit.
    let note = match (reason.is_empty(), from.is_empty()) {
        (true, true) => None,
        (false, true) => Some(reason.to_string()),
        (true, false) => Some(format!("from finding {from}")),
        (false, false) => Some(format!("{reason} (from finding {from})")),
    };
    {
        let mut case = app.case();
        triage::add_rule(&mut case, &rule, note.as_deref(), &app.analyst)?;
    }
    app.reload()?;
    Ok(Redirect::to("/allow").into_response())
}

async fn allow_delete(State(app): St, Path(id): Path<i64>) -> Res {
    triage::remove_rule(&mut app.case(), id)?;
    app.reload()?;
    Ok(Redirect::to("/allow").into_response())
}

async fn allow_list(State(app): St, c: Ctx) -> Res {
    let rules = triage::rules(&app.case())?;
    let ix = app.index.read().unwrap_or_else(|e| e.into_inner());
    let m = html! {
        table.data id="rules" {
            tr { th { "#" } th { "kind" } th { "value" } th { (c.t("reason")) } th { (c.t("origin")) } th { (c.t("suppressed")) } th {} }
            @for r in &rules {
                tr {
                    td { (r.id.map(|i| i.to_string()).unwrap_or_default()) } td { (r.kind.as_str()) }
                    td { code { (vis(&r.value)) } @if let Some(d) = &r.dst { " → " code { (vis(d)) } } @if let Some(d) = &r.detector { " [" (vis(d)) "]" } }
                    td { (vis(r.note.as_deref().unwrap_or(""))) }
                    td { (vis(&r.origin)) }
                    td.num { (ix.rows().iter().filter(|x| x.status == "suppressed" && r.matches(&x.f)).count()) }
                    td { @if let Some(id) = r.id { form.inline method="post" action={"/allow/" (id) "/delete"} { (c.csrf_field()) button type="submit" { (c.t("remove")) } } } }
                }
            }
        }
    };
    drop(ix);
    Ok(page(&c, c.t("rules"), m))
}

// ---------------------------------------------------------------- host and destination

async fn host(State(app): St, c: Ctx, Path(h): Path<String>) -> Res {
    let w = &app.worker;
    let p = || vec![h.clone()];
    let tl = w
        .table(
            "SELECT CAST(date_trunc('hour', ts) AS BIGINT) AS hour, count(*) AS n, sum(bytes_up) AS up, sum(bytes_down) AS down \
             FROM web_requests WHERE client_ip = $1 OR \"user\" = $1 GROUP BY 1 ORDER BY 1",
            p(),
        )
        .await?;
    let dests = w
        .table(
            "SELECT host, count(*) AS n, sum(bytes_up) AS up, sum(bytes_down) AS down, min(ts) AS first, max(ts) AS last \
             FROM web_requests WHERE client_ip = $1 OR \"user\" = $1 GROUP BY host ORDER BY n DESC LIMIT 25",
            p(),
        )
        .await?;
    let services = w
        .table(
            "SELECT service, sanctioned, count(*) AS n, sum(bytes_up) AS up FROM web_requests \
             WHERE (client_ip = $1 OR \"user\" = $1) AND service IS NOT NULL GROUP BY service, sanctioned ORDER BY up DESC NULLS LAST LIMIT 25",
            p(),
        )
        .await?;
    let uploads = w
        .table(
            "SELECT ts, host, method, bytes_up, url FROM web_requests WHERE (client_ip = $1 OR \"user\" = $1) AND bytes_up > 0 \
             ORDER BY bytes_up DESC LIMIT 20",
            p(),
        )
        .await?;
    let uas = w
        .table(
            "SELECT user_agent, count(*) AS n FROM web_requests WHERE client_ip = $1 OR \"user\" = $1 GROUP BY user_agent ORDER BY n DESC LIMIT 20",
            p(),
        )
        .await?;
    let (h0, h1) = (tl.rows.first().map(|_| tl.n(0, 0) as i64).unwrap_or(0), tl.rows.last().map(|_| tl.n(tl.rows.len() - 1, 0) as i64).unwrap_or(0));
    let mut per: BTreeMap<i64, (f64, f64, f64)> = BTreeMap::new();
    for r in 0..tl.rows.len() {
        per.insert(tl.n(r, 0) as i64, (tl.n(r, 1), tl.n(r, 2), tl.n(r, 3)));
    }
    let hours: Vec<(String, f64)> = if tl.rows.is_empty() { vec![] } else {
        (h0 / 3_600_000..=h1 / 3_600_000).map(|x| (fmt_ms(x * 3_600_000), per.get(&(x * 3_600_000)).map(|v| v.0).unwrap_or(0.0))).collect()
    };
    let vols: Vec<(String, f64, f64)> = if tl.rows.is_empty() { vec![] } else {
        (h0 / 3_600_000..=h1 / 3_600_000).map(|x| { let v = per.get(&(x * 3_600_000)).copied().unwrap_or_default(); (fmt_ms(x * 3_600_000), v.1, v.2) }).collect()
    };
    let total: f64 = per.values().map(|v| v.0).sum();
    let fl: Vec<Row> = {
        let ix = app.index.read().unwrap_or_else(|e| e.into_inner());
        ix.query(&Filter { host: h.clone(), per_page: 100, ..Default::default() }).rows.into_iter().cloned().collect()
    };
    let m = html! {
        p { strong id="host-events" { (total) } " " (c.t("events"))
            " · " a id="host-flows" href={"/streams?host=" (enc(&h))} { (c.t("flows")) }
            " · " a href={"/findings?host=" (enc(&h))} { (c.t("findings")) } }
        h2 { (c.t("timeline")) }
        div id="timeline" { (svg::bars(&hours, 160.0)) }
        h3 { (c.t("volumes")) } (svg::updown(&vols, 120.0))
        h2 { (c.t("findings")) }
        table.data id="host-findings" { @for r in &fl { tr { td { (sev_badge(r.f.severity.as_str())) } td { a href={"/finding/" (enc(&r.f.id))} { (vis(&r.f.title)) } } td { (status_label(&c, &r.status)) } } } }
        h2 { (c.t("top_destinations")) }
        table.data id="top-dest" {
            tr { th { (c.t("destination")) } th { (c.t("count")) } th { (c.t("bytes_up")) } th { (c.t("bytes_down")) } th { (c.t("first_seen")) } th { (c.t("last_seen")) } }
            @for r in 0..dests.rows.len() { tr { td { a href={"/dest/" (enc(dests.s(r, 0)))} { (vis(dests.s(r, 0))) } } td.num { (dests.s(r, 1)) } td.num { (fmt_num(dests.n(r, 2))) } td.num { (fmt_num(dests.n(r, 3))) } td { (dests.s(r, 4)) } td { (dests.s(r, 5)) } } }
        }
        h2 { (c.t("top_services")) }
        table.data { @for r in 0..services.rows.len() { tr { td { (vis(services.s(r, 0))) } td { (vis(services.s(r, 1))) } td.num { (services.s(r, 2)) } td.num { (fmt_num(services.n(r, 3))) } } } }
        h2 { (c.t("uploads")) }
        table.data { @for r in 0..uploads.rows.len() { tr { td { (uploads.s(r, 0)) } td { (vis(uploads.s(r, 1))) } td { (vis(uploads.s(r, 2))) } td.num { (fmt_num(uploads.n(r, 3))) } td.url { (vis(uploads.s(r, 4))) } } } }
        h2 { (c.t("user_agents")) }
        table.data id="uas" { @for r in 0..uas.rows.len() { tr { td { code { (vis(uas.s(r, 0))) } } td.num { (uas.s(r, 1)) } } } }
    };
    Ok(page(&c, &format!("{}: {}", c.t("host"), vis(&h)), m))
}

async fn dest(State(app): St, c: Ctx, Path(d): Path<String>) -> Res {
    let w = &app.worker;
    let hosts = w
        .table(
            "SELECT client_ip, count(*) AS n, sum(bytes_up) AS up, sum(bytes_down) AS down, min(ts) AS first, max(ts) AS last, \
             count(DISTINCT \"user\") AS users FROM web_requests WHERE host = $1 OR registered_domain = $1 GROUP BY client_ip ORDER BY n DESC LIMIT 200",
            vec![d.clone()],
        )
        .await?;
    let days = w
        .table(
            "SELECT CAST(date_trunc('day', ts) AS BIGINT) AS day, count(*) AS n FROM web_requests WHERE host = $1 OR registered_domain = $1 GROUP BY 1 ORDER BY 1",
            vec![d.clone()],
        )
        .await?;
    let all = w.table("SELECT count(DISTINCT client_ip) FROM web_requests", vec![]).await?;
    let n_all = all.n(0, 0).max(1.0);
    let dv: Vec<(String, f64)> = (0..days.rows.len()).map(|r| (fmt_ms(days.n(r, 0) as i64).get(..10).unwrap_or("").to_string(), days.n(r, 1))).collect();
    let fl: Vec<Row> = {
        let ix = app.index.read().unwrap_or_else(|e| e.into_inner());
        ix.query(&Filter { destination: d.clone(), per_page: 100, ..Default::default() }).rows.into_iter().cloned().collect()
    };
    let m = html! {
        p id="prevalence" { (c.t("prevalence")) ": " strong { (hosts.rows.len()) } " / " (n_all) " " (c.t("of_hosts")) " (" (format!("{:.1}", hosts.rows.len() as f64 / n_all * 100.0)) "%)" }
        (svg::bars(&dv, 140.0))
        h2 { (c.t("hosts_talking")) }
        table.data id="dest-hosts" {
            tr { th { (c.t("host")) } th { (c.t("count")) } th { (c.t("bytes_up")) } th { (c.t("bytes_down")) } th { (c.t("first_seen")) } th { (c.t("last_seen")) } th { (c.t("users")) } }
            @for r in 0..hosts.rows.len() { tr { td { a href={"/host/" (enc(hosts.s(r, 0)))} { (vis(hosts.s(r, 0))) } } td.num { (hosts.s(r, 1)) } td.num { (fmt_num(hosts.n(r, 2))) } td.num { (fmt_num(hosts.n(r, 3))) } td { (hosts.s(r, 4)) } td { (hosts.s(r, 5)) } td.num { (hosts.s(r, 6)) } } }
        }
        h2 { (c.t("findings")) }
        table.data { @for r in &fl { tr { td { (sev_badge(r.f.severity.as_str())) } td { a href={"/finding/" (enc(&r.f.id))} { (vis(&r.f.title)) } } td { (vis(&r.host)) } td { (status_label(&c, &r.status)) } } } }
    };
    Ok(page(&c, &format!("{}: {}", c.t("destination"), vis(&d)), m))
}

// ---------------------------------------------------------------- streams

/// Runs `f` on a blocking thread with the open case (capture files are
/// read synchronously).
async fn with_case<T: Send + 'static>(app: &Arc<App>, f: impl FnOnce(&App, &kensa_store::Case) -> T + Send + 'static) -> Result<T, WebError> {
    let a = app.clone();
    tokio::task::spawn_blocking(move || {
        let case = a.case();
        f(&a, &case)
    })
    .await
    .map_err(|e| WebError::Internal(e.to_string()))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct FlowQ {
    host: String,
    server: String,
}

async fn streams(State(app): St, c: Ctx, Query(q): Query<FlowQ>) -> Res {
    let has = with_case(&app, |a, case| a.streams.has_packets(case)).await?;
    // Largest uploads first; optionally one client or one server (bound
    // parameters, never spliced into the SQL).
    let flows = if has {
        app.worker
            .table(
                "SELECT flow_id, client_ip, client_port, server_ip, server_port, transport, app_proto, server_name, \
                 CAST(ts AS BIGINT) AS t, payload_c2s, payload_s2c, risks FROM flows \
                 WHERE ($1 = '' OR client_ip = $1) AND ($2 = '' OR server_ip = $2 OR server_name = $2) \
                 ORDER BY payload_c2s DESC NULLS LAST, ts LIMIT 500",
                vec![q.host.clone(), q.server.clone()],
            )
            .await?
    } else {
        Default::default()
    };
    let m = html! {
        @if !has {
            p id="no-packets" { (c.t("no_packets")) }
        } @else {
            form.filters method="get" action="/streams" {
                label { (c.t("host")) input type="text" name="host" value=(q.host); }
                label { (c.t("destination")) input type="text" name="server" value=(q.server); }
                button type="submit" { (c.t("filter")) }
            }
            table.data id="flows" {
                tr { th { (c.t("host")) } th { (c.t("destination")) } th { "proto" } th { (c.t("first_seen")) } th { "↑" } th { "↓" } th { "risks" } }
                @for r in 0..flows.rows.len() {
                    tr {
                        td { a.flow href={"/stream/" (enc(flows.s(r, 0)))} { (vis(flows.s(r, 1))) ":" (flows.s(r, 2)) } }
                        td { (vis(flows.s(r, 3))) ":" (flows.s(r, 4)) @if !flows.s(r, 7).is_empty() { " " small { (vis(flows.s(r, 7))) } } }
                        td { (vis(flows.s(r, 5))) "/" (vis(flows.s(r, 6))) }
                        td { (fmt_ms(flows.n(r, 8) as i64)) }
                        td.num { (fmt_num(flows.n(r, 9))) } td.num { (fmt_num(flows.n(r, 10))) }
                        td { (vis(flows.s(r, 11))) }
                    }
                }
            }
        }
    };
    Ok(page(&c, c.t("flows"), m))
}

fn printable(b: &[u8]) -> String {
    String::from_utf8_lossy(b).chars().map(|ch| if ch == '\n' || ch == '\t' || !ch.is_control() { ch } else { '·' }).collect()
}

fn hexdump(b: &[u8]) -> String {
    let mut s = String::new();
    for (i, chunk) in b.chunks(16).enumerate().take(256) {
        let _ = write!(s, "{:08x}  ", i * 16);
        for x in chunk {
            let _ = write!(s, "{x:02x} ");
        }
        for _ in chunk.len()..16 {
            s.push_str("   ");
        }
        s.push(' ');
        s.extend(chunk.iter().map(|&x| if (0x20..0x7f).contains(&x) { x as char } else { '.' }));
        s.push('\n');
    }
    s
}

async fn stream(State(app): St, c: Ctx, Path(id): Path<String>) -> Res {
    let id2 = id.clone();
    let (has, s) = with_case(&app, move |a, case| (a.streams.has_packets(case), a.streams.stream(case, &id2, STREAM_CAP))).await?;
    if !has {
        return Ok(page(&c, c.t("stream"), html! { p id="no-packets" { (c.t("no_packets")) } }));
    }
    let s = s.map_err(WebError::Internal)?.ok_or(WebError::NotFound)?;
    let m = html! {
        p { (vis(&s.summary.client)) " → " (vis(&s.summary.server)) " · " (vis(&s.summary.protocol)) @if s.truncated { " · " em { (c.t("truncated")) " (" (STREAM_CAP) " B)" } } }
        p { a href={"/stream/" (enc(&id)) "/raw?dir=c2s"} { (c.t("download_raw")) " (" (c.t("client_to_server")) ")" } " · "
            a href={"/stream/" (enc(&id)) "/raw?dir=s2c"} { (c.t("download_raw")) " (" (c.t("server_to_client")) ")" } " · "
            a href={"/stream/" (enc(&id)) "/pcap"} { (c.t("download_pcap")) } }
        @for (dir, bytes) in &s.chunks {
            @let (cls, label) = match dir { Direction::ClientToServer => ("c2s", "client_to_server"), Direction::ServerToClient => ("s2c", "server_to_client") };
            div class={"chunk " (cls)} {
                h3 { (c.t(label)) " · " (bytes.len()) " B" }
                pre.text { (printable(bytes)) }
                details { summary { (c.t("hex")) } pre.hex { (hexdump(bytes)) } }
            }
        }
    };
    Ok(page(&c, c.t("stream"), m))
}

fn attachment(name: &str, mime: &'static str, bytes: Vec<u8>) -> Response {
    // `name` is built by kensa from safe parts; quote-free by construction.
    let name: String = name.chars().filter(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '_')).collect();
    Response::builder()
        .header(header::CONTENT_TYPE, mime)
        .header(header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))
        .body(Body::from(bytes))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DirQ {
    dir: String,
}

async fn stream_raw(State(app): St, Path(id): Path<String>, Query(q): Query<DirQ>) -> Res {
    let want = match q.dir.as_str() {
        "s2c" => Direction::ServerToClient,
        _ => Direction::ClientToServer,
    };
    let id2 = id.clone();
    let s = with_case(&app, move |a, case| a.streams.stream(case, &id2, RAW_CAP)).await?.map_err(WebError::Internal)?.ok_or(WebError::NotFound)?;
    let bytes: Vec<u8> = s.chunks.into_iter().filter(|(d, _)| *d == want).flat_map(|(_, b)| b).collect();
    Ok(attachment(&format!("flow-{}-{}.bin", &id, if want == Direction::ClientToServer { "c2s" } else { "s2c" }), "application/octet-stream", bytes))
}

async fn stream_pcap(State(app): St, Path(id): Path<String>) -> Res {
    let id2 = id.clone();
    let b = with_case(&app, move |a, case| a.streams.pcap(case, &id2)).await?.map_err(WebError::Internal)?.ok_or(WebError::NotFound)?;
    Ok(attachment(&format!("flow-{id}.pcap"), "application/vnd.tcpdump.pcap", b))
}

// ---------------------------------------------------------------- hunt

fn hunt_page(c: &Ctx, saved: &[triage::SavedQuery], sql: &str, result: Option<Result<crate::worker::Table, String>>) -> Response {
    let default_sql = "SELECT host, count(*) AS n, sum(bytes_up) AS up FROM web_requests GROUP BY host ORDER BY n DESC LIMIT 20";
    let sql = if sql.is_empty() { default_sql } else { sql };
    let m = html! {
        form.hunt method="post" action="/hunt" {
            (c.csrf_field())
            textarea name="sql" id="sql" rows="6" cols="100" spellcheck="false" { (sql) }
            p.note { (c.t("readonly_note")) }
            button type="submit" id="run" { (c.t("run")) }
            " "
            button type="submit" formaction="/hunt/csv" id="csv" { (c.t("export_csv")) }
            " · "
            input type="text" name="name" placeholder=(c.t("name"));
            button type="submit" formaction="/hunt/save" id="save" { (c.t("save_query")) }
        }
        @match &result {
            Some(Err(e)) => { p.error id="hunt-error" { (c.t("error")) ": " (vis(e)) } }
            Some(Ok(t)) => {
                p id="hunt-rows" { (t.rows.len()) " " (c.t("rows")) @if t.rows.len() > HUNT_SHOW { " (" (HUNT_SHOW) ")" } }
                table.data id="hunt-result" {
                    tr { @for h in &t.columns { th { (vis(h)) } } }
                    @for row in t.rows.iter().take(HUNT_SHOW) { tr { @for v in row { td { @if let Some(v) = v { (vis(v)) } @else { span.null { "NULL" } } } } } }
                }
            }
            None => {}
        }
        h2 { (c.t("saved_queries")) }
        table.data id="saved" {
            @for q in saved {
                tr {
                    td { (vis(&q.name)) } td { code { (vis(&q.sql)) } }
                    td { form.inline method="post" action="/hunt" { (c.csrf_field()) input type="hidden" name="sql" value=(q.sql); button type="submit" { (c.t("run")) } } }
                    td { form.inline method="post" action={"/hunt/saved/" (q.id) "/delete"} { (c.csrf_field()) button type="submit" { (c.t("remove")) } } }
                }
            }
        }
    };
    page(c, c.t("hunt"), m)
}

async fn hunt_get(State(app): St, c: Ctx) -> Res {
    let saved = triage::saved_queries(&app.case())?;
    Ok(hunt_page(&c, &saved, "", None))
}

async fn hunt_run(State(app): St, c: Ctx, body: Bytes) -> Res {
    let f = form_pairs(&body);
    let sql = field(&f, "sql").to_string();
    let res = match app.worker.hunt(sql.clone()).await {
        Ok(b) => crate::worker::Table::from_batches(&b).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let failed = res.is_err();
    let saved = triage::saved_queries(&app.case())?;
    let mut r = hunt_page(&c, &saved, &sql, Some(res));
    if failed {
        *r.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(r)
}

async fn hunt_csv(State(app): St, body: Bytes) -> Res {
    let f = form_pairs(&body);
    let batches = app.worker.hunt(field(&f, "sql").to_string()).await?;
    let csv = kensa_store::query::render(&batches, kensa_store::query::OutputFormat::Csv).map_err(|e| WebError::Query(e.to_string()))?;
    Ok(attachment("kensa-hunt.csv", "text/csv; charset=utf-8", csv.into_bytes()))
}

async fn hunt_save(State(app): St, body: Bytes) -> Res {
    let f = form_pairs(&body);
    triage::save_query(&app.case(), field(&f, "name"), field(&f, "sql"), &app.analyst)?;
    Ok(Redirect::to("/hunt").into_response())
}

async fn hunt_delete(State(app): St, Path(id): Path<i64>) -> Res {
    triage::delete_query(&app.case(), id)?;
    Ok(Redirect::to("/hunt").into_response())
}

// ---------------------------------------------------------------- report and exports

async fn report_get(State(app): St, c: Ctx) -> Res {
    let dl: Vec<(String, Download)> = app.downloads.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let m = html! {
        @if app.reports.available() {
            form method="post" action="/report" {
                (c.csrf_field())
                select name="format" { option value="html" { (c.t("html")) } option value="pdf" { (c.t("pdf")) } }
                select name="lang" { option value="ja" selected[c.lang == Lang::Ja] { "日本語" } option value="en" selected[c.lang == Lang::En] { "English" } }
                button type="submit" id="generate" { (c.t("generate")) }
            }
        } @else {
            p id="no-report" { (c.t("no_report")) }
        }
        h2 { (c.t("downloads")) }
        ul id="downloads" {
            @for (id, d) in &dl { li { a href={"/report/download/" (id)} { (d.name) } " (" (fmt_num(d.bytes.len() as f64)) " B)" } }
        }
        h2 { (c.t("export")) }
        ul { li { a href="/export/findings.json" { "findings.json" } } li { a href="/export/findings.csv" { "findings.csv" } } }
    };
    Ok(page(&c, c.t("report"), m))
}

async fn report_post(State(app): St, body: Bytes) -> Res {
    let f = form_pairs(&body);
    let format = if field(&f, "format") == "pdf" { ReportFormat::Pdf } else { ReportFormat::Html };
    let lang = Lang::parse(field(&f, "lang")).unwrap_or_default();
    let app2 = app.clone();
    let bytes = tokio::task::spawn_blocking(move || app2.reports.generate(&app2.case(), lang, format))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?
        .map_err(WebError::Internal)?;
    let id = auth::random_hex(12);
    let name = format!("kensa-report-{}-{}.{}", lang.code(), chrono::Utc::now().format("%Y%m%dT%H%M%SZ"), format.ext());
    app.downloads.lock().unwrap_or_else(|e| e.into_inner()).insert(id, Download { name, mime: format.mime(), bytes: Arc::new(bytes) });
    Ok(Redirect::to("/report").into_response())
}

async fn report_download(State(app): St, Path(id): Path<String>) -> Res {
    // Looked up by id only: nothing in the request names a file.
    let d = app.downloads.lock().unwrap_or_else(|e| e.into_inner()).get(&id).cloned().ok_or(WebError::NotFound)?;
    Ok(attachment(&d.name, d.mime, d.bytes.as_ref().clone()))
}

async fn export_json(State(app): St) -> Res {
    let ix = app.index.read().unwrap_or_else(|e| e.into_inner());
    let findings: Vec<kensa_detect::Finding> = ix
        .rows()
        .iter()
        .map(|r| {
            let mut f = r.f.clone();
            if let Some(s) = kensa_triage::parse_status(&r.status) {
                f.status = s;
            }
            f
        })
        .collect();
    let body = serde_json::to_vec_pretty(&kensa_detect::FindingsDoc { findings }).map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(attachment("findings.json", "application/json", body))
}

async fn export_csv(State(app): St) -> Res {
    let ix = app.index.read().unwrap_or_else(|e| e.into_inner());
    let rows = ix.rows().iter().map(|r| kensa_triage::csv::Row {
        finding: &r.f,
        note: r.note.as_deref(),
        status: Some(r.status.as_str()),
        in_annex: false,
    });
    let out = kensa_triage::csv::findings_csv(rows, false);
    Ok(attachment("findings.csv", "text/csv; charset=utf-8", out.into_bytes()))
}
