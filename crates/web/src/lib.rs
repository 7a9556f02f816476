//! # kensa-web
//!
//! The analyst workbench: a local web UI over one case, for triage,
//! drill-down, stream reading and hunting. `kensa serve --case DIR` runs it.
//!
//! * [`App`]: the server's state: the open [`Case`], the in-memory
//!   [`index::FindingIndex`], the DataFusion [`worker::QueryWorker`], the
//!   [`auth::Auth`] secrets and the [`adapters`] for packet streams and
//!   reports.
//! * [`router`]: every route behind one [`auth::guard`] middleware (session
//!   token, CSRF, CSP and other headers).
//! * [`serve`]: binds (loopback unless told otherwise, with a password) and
//!   runs until Ctrl-C.
//!
//! **Hostile data.** Every string shown comes from logs or packets and is
//! attacker-controlled. Pages are built with `maud`, which escapes every
//! interpolated value; no handler writes raw HTML from data, pages carry no
//! inline script or style (the CSP forbids both), outgoing links are built
//! from percent-encoded values, and downloads are looked up by id, never by
//! a path taken from the request.
//!
//! ```no_run
//! # async fn f() -> Result<(), kensa_web::WebError> {
//! let cfg = kensa_web::ServeConfig::default();
//! let (case, _) = kensa_store::Case::open(std::path::Path::new("my.case"), false)?;
//! let app = kensa_web::App::new(case, &cfg)?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//! println!("{}", app.login_url(listener.local_addr().unwrap()));
//! kensa_web::serve(app, listener).await?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod adapters;
pub mod auth;
pub mod i18n;
pub mod index;
mod pages;
pub mod svg;
pub mod triage;
pub mod worker;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kensa_store::Case;

use crate::adapters::{CaptureStreams, ReportSource, Reports, StreamSource};
use crate::auth::Auth;
use crate::index::FindingIndex;
use crate::worker::QueryWorker;

/// Errors of the workbench.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The case could not be read or written.
    #[error("case: {0}")]
    Store(String),
    /// A query failed (the message is shown to the analyst, escaped).
    #[error("{0}")]
    Query(String),
    /// Bad request parameters.
    #[error("{0}")]
    BadRequest(String),
    /// Nothing by that id.
    #[error("not found")]
    NotFound,
    /// A server-side failure.
    #[error("internal error: {0}")]
    Internal(String),
    /// Binding or serving failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The listen address is not allowed with these options.
    #[error("{0}")]
    Config(String),
}

impl From<rusqlite::Error> for WebError {
    fn from(e: rusqlite::Error) -> WebError {
        WebError::Store(e.to_string())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = match &self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) | WebError::Query(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, [(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")], self.to_string()).into_response()
    }
}

/// How to run the workbench.
pub struct ServeConfig {
    /// Fixed access token (tests); random when `None`.
    pub token: Option<String>,
    /// Password required at login in addition to the token.
    pub password: Option<String>,
    /// Name shown for verdicts and audit rows.
    pub analyst: String,
    /// Packet streams.
    pub streams: Box<dyn StreamSource>,
    /// Report generator.
    pub reports: Box<dyn ReportSource>,
}

impl Default for ServeConfig {
    fn default() -> ServeConfig {
        ServeConfig {
            token: None,
            password: None,
            analyst: std::env::var("USER").unwrap_or_else(|_| "analyst".into()),
            streams: Box::new(CaptureStreams),
            reports: Box::new(Reports { config: Default::default(), font_dirs: Vec::new() }),
        }
    }
}

/// A generated file waiting for download (looked up by its random id).
#[derive(Clone)]
pub struct Download {
    /// Offered file name (built by kensa, not from the request).
    pub name: String,
    /// MIME type.
    pub mime: &'static str,
    /// Contents.
    pub bytes: Arc<Vec<u8>>,
}

/// The server's state.
pub struct App {
    /// Secrets and sessions.
    pub auth: Auth,
    /// The open case (its manifest connection is not shareable).
    pub case: Mutex<Case>,
    /// All findings, ready to filter.
    pub index: RwLock<FindingIndex>,
    /// DataFusion over the case's tables.
    pub worker: QueryWorker,
    /// Packet streams.
    pub streams: Box<dyn StreamSource>,
    /// Report generator.
    pub reports: Box<dyn ReportSource>,
    /// Analyst name for audit rows.
    pub analyst: String,
    /// Generated reports by id.
    pub downloads: Mutex<HashMap<String, Download>>,
    /// The per-host roll-up of the index, computed on first use after a
    /// change (the overview would otherwise redo it over every finding).
    pub hosts_cache: Mutex<Option<Arc<Vec<kensa_detect::hosts::HostSummary>>>>,
}

impl App {
    /// Opens the workbench over `case`: loads the findings index and starts
    /// the query thread. Call outside an async context or from a blocking
    /// task (it waits for the query thread to register tables).
    pub fn new(case: Case, cfg: &ServeConfig) -> Result<Arc<App>, WebError> {
        Self::with(case, ServeConfig { token: cfg.token.clone(), password: cfg.password.clone(), analyst: cfg.analyst.clone(), ..ServeConfig::default() })
    }

    /// Like [`App::new`], taking the adapters out of `cfg`.
    pub fn with(case: Case, cfg: ServeConfig) -> Result<Arc<App>, WebError> {
        triage::init(&case)?;
        let (worker, case) = QueryWorker::start(case)?;
        let index = triage::load_index(&case)?;
        Ok(Arc::new(App {
            auth: Auth::new(cfg.token, cfg.password),
            case: Mutex::new(case),
            index: RwLock::new(index),
            worker,
            streams: cfg.streams,
            reports: cfg.reports,
            analyst: cfg.analyst,
            downloads: Mutex::new(HashMap::new()),
            hosts_cache: Mutex::new(None),
        }))
    }

    /// The login link to print.
    pub fn login_url(&self, addr: SocketAddr) -> String {
        format!("http://{addr}/login?token={}", self.auth.token())
    }

    /// Locks the case (a poisoned lock is recovered: the SQLite state is
    /// transactional, so a panicked handler leaves nothing half-written).
    pub fn case(&self) -> std::sync::MutexGuard<'_, Case> {
        self.case.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reloads the findings index from the case.
    pub fn reload(&self) -> Result<(), WebError> {
        let ix = triage::load_index(&self.case())?;
        *self.index.write().unwrap_or_else(|e| e.into_inner()) = ix;
        self.invalidate_hosts();
        Ok(())
    }

    /// Forgets the cached roll-up (after any verdict or rule change).
    pub fn invalidate_hosts(&self) {
        *self.hosts_cache.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

impl From<kensa_store::StoreError> for WebError {
    fn from(e: kensa_store::StoreError) -> WebError {
        WebError::Store(e.to_string())
    }
}

/// Every route, behind the security middleware.
pub fn router(app: Arc<App>) -> Router {
    pages::routes().layer(axum::middleware::from_fn_with_state(app.clone(), auth::guard)).with_state(app)
}

/// Checks a listen address: loopback is always allowed; anything else needs
/// `allow_remote` and a password.
pub fn check_listen(addr: &SocketAddr, allow_remote: bool, has_password: bool) -> Result<(), WebError> {
    if addr.ip().is_loopback() {
        return Ok(());
    }
    if !allow_remote {
        return Err(WebError::Config(format!(
            "{addr} is not a loopback address: the workbench shows attacker-controlled data and the case's secrets; pass --allow-remote and set a password (KENSA_WEB_PASSWORD) to listen there"
        )));
    }
    if !has_password {
        return Err(WebError::Config(format!(
            "--allow-remote on {addr} needs a password: set KENSA_WEB_PASSWORD or --password-file"
        )));
    }
    Ok(())
}

/// Serves until Ctrl-C.
pub async fn serve(app: Arc<App>, listener: tokio::net::TcpListener) -> Result<(), WebError> {
    axum::serve(listener, router(app))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
