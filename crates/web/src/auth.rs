//! Access control and browser hardening, applied to every request by one
//! middleware ([`guard`]) so no handler can forget it.
//!
//! * **Access token.** `kensa serve` prints `http://ADDR/login?token=…`;
//!   opening it creates a session (random id in an `HttpOnly`,
//!   `SameSite=Strict` cookie) and redirects to `/`. Every other request
//!   without a live session gets 401. With a password configured (required
//!   for non-loopback binds), `/login` also asks for the password.
//! * **CSRF.** Each session has its own random CSRF token. Every request
//!   that is not `GET`/`HEAD` must carry it, in the `X-CSRF-Token` header
//!   (fetch) or the `csrf` form field; otherwise 403. A cross-site `Origin`
//!   is refused as well.
//! * **Headers.** A strict Content-Security-Policy (no inline script or
//!   style at all), `X-Content-Type-Options: nosniff`,
//!   `Referrer-Policy: same-origin` (never a referrer to another site; with
//!   `no-referrer` browsers send `Origin: null` on form posts, which the
//!   origin check must refuse), `X-Frame-Options: DENY` and
//!   `Cache-Control: no-store` on every response, errors included.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::App;
use crate::i18n::Lang;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "kensa_session";
/// The language cookie's name.
pub const LANG_COOKIE: &str = "kensa_lang";
/// Largest form body the CSRF check buffers (hunt queries and notes fit).
pub const MAX_FORM_BYTES: usize = 1 << 20;

/// The Content-Security-Policy sent with every response.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// `n` random bytes from the OS, hex-encoded.
pub fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    // The OS RNG failing is not something a server can work around.
    getrandom::fill(&mut b).expect("operating-system random number generator");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Compares secrets in time independent of where they differ.
pub fn ct_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// One logged-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// The session id (cookie value).
    pub id: String,
    /// The per-session CSRF token forms and fetches must send back.
    pub csrf: String,
}

/// The server's secrets and live sessions.
pub struct Auth {
    token: String,
    password: Option<String>,
    sessions: Mutex<HashMap<String, Session>>,
}

impl Auth {
    /// New secrets: `token` (random if `None`) and an optional password.
    pub fn new(token: Option<String>, password: Option<String>) -> Auth {
        Auth {
            token: token.unwrap_or_else(|| random_hex(24)),
            password: password.filter(|p| !p.is_empty()),
            sessions: Mutex::new(HashMap::new()),
        }
    }
    /// The access token (for the login link).
    pub fn token(&self) -> &str {
        &self.token
    }
    /// Whether a password is also required to log in.
    pub fn needs_password(&self) -> bool {
        self.password.is_some()
    }
    /// Checks the credentials and opens a session.
    pub fn login(&self, token: &str, password: Option<&str>) -> Option<Session> {
        if !ct_eq(token, &self.token) {
            return None;
        }
        if let Some(p) = &self.password
            && !password.is_some_and(|given| ct_eq(given, p))
        {
            return None;
        }
        let s = Session { id: random_hex(32), csrf: random_hex(32) };
        self.sessions.lock().unwrap_or_else(|e| e.into_inner()).insert(s.id.clone(), s.clone());
        Some(s)
    }
    /// Ends a session.
    pub fn logout(&self, id: &str) {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }
    /// The session a request's cookie names, if it is live.
    pub fn session(&self, headers: &HeaderMap) -> Option<Session> {
        let id = cookie(headers, SESSION_COOKIE)?;
        self.sessions.lock().unwrap_or_else(|e| e.into_inner()).get(&id).cloned()
    }
}

/// The value of cookie `name` in the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    for h in headers.get_all(header::COOKIE) {
        let Ok(s) = h.to_str() else { continue };
        for part in s.split(';') {
            if let Some((k, v)) = part.trim().split_once('=')
                && k == name
            {
                return Some(v.to_string());
            }
        }
    }
    None
}

/// The UI language of a request: `?lang=` wins, then the cookie, then English.
pub fn lang_of(req_query: Option<&str>, headers: &HeaderMap) -> Lang {
    if let Some(q) = req_query {
        for (k, v) in form_urlencoded::parse(q.as_bytes()) {
            if k == "lang"
                && let Some(l) = Lang::parse(&v)
            {
                return l;
            }
        }
    }
    cookie(headers, LANG_COOKIE).and_then(|v| Lang::parse(&v)).unwrap_or_default()
}

fn set_security_headers(h: &mut HeaderMap) {
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

fn plain(status: StatusCode, msg: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], msg.to_string()).into_response()
}

/// Whether the `Origin` header, when a browser sent one, names this server.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host)
}

/// The middleware: session check, CSRF check, language cookie, headers.
pub async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let lang_param = req.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "lang").and_then(|(_, v)| Lang::parse(&v))
    });
    let mut resp = check(&app, req, next).await;
    if let Some(l) = lang_param {
        let c = format!("{LANG_COOKIE}={}; Path=/; SameSite=Strict; Max-Age=31536000", l.code());
        if let Ok(v) = HeaderValue::from_str(&c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    set_security_headers(resp.headers_mut());
    resp
}

async fn check(app: &App, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path == "/login" {
        if req.method() == Method::POST && !same_origin(req.headers()) {
            return plain(StatusCode::FORBIDDEN, "cross-origin request refused");
        }
        return next.run(req).await;
    }
    let Some(session) = app.auth.session(req.headers()) else {
        let lang = lang_of(req.uri().query(), req.headers());
        return plain(StatusCode::UNAUTHORIZED, lang.t("login_needed"));
    };
    let safe = matches!(*req.method(), Method::GET | Method::HEAD);
    let req = if safe {
        req
    } else {
        if !same_origin(req.headers()) {
            return plain(StatusCode::FORBIDDEN, "cross-origin request refused");
        }
        let header_ok = req
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| ct_eq(v, &session.csrf));
        if header_ok {
            req
        } else {
            // Look for the form field; the body is buffered and handed on.
            let (parts, body) = req.into_parts();
            let bytes = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
                Ok(b) => b,
                Err(_) => return plain(StatusCode::PAYLOAD_TOO_LARGE, "request body too large"),
            };
            let ok = form_urlencoded::parse(&bytes).any(|(k, v)| k == "csrf" && ct_eq(&v, &session.csrf));
            if !ok {
                return plain(StatusCode::FORBIDDEN, "missing or wrong CSRF token");
            }
            Request::from_parts(parts, Body::from(bytes))
        }
    };
    let mut req = req;
    req.extensions_mut().insert(session);
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_compared_exactly() {
        let a = random_hex(16);
        assert_eq!(a.len(), 32);
        assert_ne!(a, random_hex(16));
        assert!(ct_eq("abc", "abc"));
        assert!(!ct_eq("abc", "abd"));
        assert!(!ct_eq("abc", "ab"));
    }

    #[test]
    fn login_needs_token_and_password() {
        let a = Auth::new(Some("t0k".into()), Some("pw".into()));
        assert!(a.login("t0k", None).is_none());
        assert!(a.login("t0k", Some("nope")).is_none());
        assert!(a.login("bad", Some("pw")).is_none());
        let s = a.login("t0k", Some("pw")).expect("login");
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(&format!("x=1; {SESSION_COOKIE}={}", s.id)).unwrap());
        assert_eq!(a.session(&h).map(|x| x.csrf), Some(s.csrf));
        a.logout(&s.id);
        assert!(a.session(&h).is_none());
    }
}
