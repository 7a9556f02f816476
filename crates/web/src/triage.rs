//! Triage state in the case's SQLite: verdicts with an audit trail,
//! allowlist rules (applied retroactively as status `suppressed`), saved
//! hunt queries. Everything lives in the case, keyed by stable finding
//! keys, so re-running analysis keeps it.

use std::collections::HashMap;

use kensa_detect::Finding;
use kensa_store::Case;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::WebError;
use crate::index::{FindingIndex, Row};

/// Tables the workbench owns in the case manifest.
const DDL: &str = "
CREATE TABLE IF NOT EXISTS verdict_audit (
  id INTEGER PRIMARY KEY, key TEXT NOT NULL, at TEXT NOT NULL, analyst TEXT,
  old_status TEXT, new_status TEXT NOT NULL, old_note TEXT, new_note TEXT, source TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS verdict_audit_key ON verdict_audit(key);
CREATE TABLE IF NOT EXISTS allow_rules (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, value TEXT NOT NULL, reason TEXT,
  analyst TEXT, created_at TEXT NOT NULL, from_finding TEXT);
CREATE TABLE IF NOT EXISTS saved_queries (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, sql TEXT NOT NULL, analyst TEXT, created_at TEXT NOT NULL);
";

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Creates the workbench's tables if missing.
pub fn init(case: &Case) -> Result<(), WebError> {
    case.db().execute_batch(DDL)?;
    Ok(())
}

/// Loads every finding with its verdict into an index.
pub fn load_index(case: &Case) -> Result<FindingIndex, WebError> {
    let mut rows = Vec::new();
    for (json, status, note) in case.findings()? {
        let f: Finding = serde_json::from_str(&json).map_err(|e| WebError::Store(format!("stored finding: {e}")))?;
        rows.push(Row::new(f, status, note));
    }
    Ok(FindingIndex::new(rows))
}

/// One change of a finding's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who.
    pub analyst: Option<String>,
    /// Status before.
    pub old_status: Option<String>,
    /// Status after.
    pub new_status: String,
    /// Note before.
    pub old_note: Option<String>,
    /// Note after.
    pub new_note: Option<String>,
    /// `ui`, `bulk`, or `allow:<rule id>`.
    pub source: String,
}

/// Sets a verdict and records who changed what, in one transaction.
pub fn set_verdict(case: &Case, key: &str, status: &str, note: Option<&str>, analyst: &str, source: &str) -> Result<(), WebError> {
    let db = case.db();
    let old: Option<(String, Option<String>)> =
        db.query_row("SELECT status, note FROM verdicts WHERE key=?1", [key], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
    // Keep the old note when none is given (bulk verdicts, rules).
    let note = note.map(str::to_string).or_else(|| old.as_ref().and_then(|o| o.1.clone()));
    if old.as_ref().is_some_and(|o| o.0 == status && o.1 == note) {
        return Ok(());
    }
    db.execute_batch("BEGIN")?;
    let res = (|| -> Result<(), WebError> {
        case.set_verdict(key, status, note.as_deref(), Some(analyst))?;
        db.execute(
            "INSERT INTO verdict_audit(key, at, analyst, old_status, new_status, old_note, new_note, source) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
            params![key, now(), analyst, old.as_ref().map(|o| &o.0), status, old.as_ref().and_then(|o| o.1.as_ref()), note, source],
        )?;
        Ok(())
    })();
    match res {
        Ok(()) => {
            db.execute_batch("COMMIT")?;
            Ok(())
        }
        Err(e) => {
            let _ = db.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// A finding's verdict changes, newest first.
pub fn history(case: &Case, key: &str) -> Result<Vec<AuditRow>, WebError> {
    let mut st = case.db().prepare(
        "SELECT at, analyst, old_status, new_status, old_note, new_note, source FROM verdict_audit WHERE key=?1 ORDER BY id DESC",
    )?;
    let v = st
        .query_map([key], |r| {
            Ok(AuditRow {
                at: r.get(0)?,
                analyst: r.get(1)?,
                old_status: r.get(2)?,
                new_status: r.get(3)?,
                old_note: r.get(4)?,
                new_note: r.get(5)?,
                source: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(v)
}

/// What an allowlist rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllowKind {
    /// A destination host (or registered domain), for every source.
    Destination,
    /// A user agent string (matched against the finding's evidence).
    UserAgent,
    /// A cloud service name.
    Service,
}

impl AllowKind {
    /// Parses the stored / form name.
    pub fn parse(s: &str) -> Option<AllowKind> {
        match s {
            "destination" => Some(AllowKind::Destination),
            "user_agent" => Some(AllowKind::UserAgent),
            "service" => Some(AllowKind::Service),
            _ => None,
        }
    }
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AllowKind::Destination => "destination",
            AllowKind::UserAgent => "user_agent",
            AllowKind::Service => "service",
        }
    }
}

/// An allowlist rule.
#[derive(Debug, Clone, Serialize)]
pub struct AllowRule {
    /// Row id.
    pub id: i64,
    /// What it matches.
    pub kind: AllowKind,
    /// The value matched (exactly; destinations also match subdomains).
    pub value: String,
    /// Why it is allowed.
    pub reason: Option<String>,
    /// Who made it.
    pub analyst: Option<String>,
    /// When.
    pub created_at: String,
}

impl AllowRule {
    /// Whether the rule covers a finding.
    pub fn matches(&self, f: &Finding) -> bool {
        let v = self.value.as_str();
        match self.kind {
            AllowKind::Destination => [f.dst.host.as_deref(), f.dst.domain.as_deref(), f.dst.ip.as_deref()]
                .into_iter()
                .flatten()
                .any(|d| d.eq_ignore_ascii_case(v) || (d.len() > v.len() && d.to_ascii_lowercase().ends_with(&format!(".{}", v.to_ascii_lowercase())))),
            AllowKind::Service => f.dst.service.as_deref() == Some(v),
            AllowKind::UserAgent => {
                f.evidence.notes.get("user_agent").map(String::as_str) == Some(v) || f.key.split('|').any(|p| p == v)
            }
        }
    }
}

/// Every rule, oldest first.
pub fn rules(case: &Case) -> Result<Vec<AllowRule>, WebError> {
    let mut st = case.db().prepare("SELECT id, kind, value, reason, analyst, created_at FROM allow_rules ORDER BY id")?;
    let v = st
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(v.into_iter()
        .filter_map(|(id, kind, value, reason, analyst, created_at)| {
            Some(AllowRule { id, kind: AllowKind::parse(&kind)?, value, reason, analyst, created_at })
        })
        .collect())
}

/// Keys of the findings a rule would suppress (those not already suppressed
/// or judged by an analyst as confirmed).
pub fn preview<'a>(ix: &'a FindingIndex, rule: &AllowRule) -> Vec<&'a Row> {
    ix.rows().iter().filter(|r| r.status != "suppressed" && r.status != "confirmed" && rule.matches(&r.f)).collect()
}

/// Stores a rule and suppresses what it matches now; returns the rule id and
/// how many findings it suppressed.
pub fn add_rule(case: &Case, ix: &FindingIndex, kind: AllowKind, value: &str, reason: Option<&str>, analyst: &str, from: Option<&str>) -> Result<(i64, usize), WebError> {
    if value.trim().is_empty() {
        return Err(WebError::BadRequest("an allowlist rule needs a value".into()));
    }
    case.db().execute(
        "INSERT INTO allow_rules(kind, value, reason, analyst, created_at, from_finding) VALUES(?1,?2,?3,?4,?5,?6)",
        params![kind.as_str(), value, reason, analyst, now(), from],
    )?;
    let id = case.db().last_insert_rowid();
    let rule = AllowRule { id, kind, value: value.to_string(), reason: reason.map(str::to_string), analyst: Some(analyst.into()), created_at: now() };
    let keys: Vec<String> = preview(ix, &rule).into_iter().map(|r| r.f.key.clone()).collect();
    for k in &keys {
        set_verdict(case, k, "suppressed", None, analyst, &format!("allow:{id}"))?;
    }
    Ok((id, keys.len()))
}

/// Deletes a rule and re-opens the findings it suppressed (their previous
/// status is restored from the audit trail).
pub fn remove_rule(case: &Case, id: i64, analyst: &str) -> Result<usize, WebError> {
    let source = format!("allow:{id}");
    let prev: Vec<(String, Option<String>)> = {
        let mut st = case.db().prepare("SELECT key, old_status FROM verdict_audit WHERE source=?1 ORDER BY id")?;
        st.query_map([&source], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?
    };
    let mut n = 0;
    let current: HashMap<String, String> = {
        let mut st = case.db().prepare("SELECT key, status FROM verdicts")?;
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?
    };
    for (key, old) in prev {
        if current.get(&key).map(String::as_str) == Some("suppressed") {
            set_verdict(case, &key, old.as_deref().unwrap_or("open"), None, analyst, &format!("unallow:{id}"))?;
            n += 1;
        }
    }
    case.db().execute("DELETE FROM allow_rules WHERE id=?1", [id])?;
    Ok(n)
}

/// A saved hunt query.
#[derive(Debug, Clone, Serialize)]
pub struct SavedQuery {
    /// Row id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// SQL text.
    pub sql: String,
}

/// Saved queries, by name.
pub fn saved_queries(case: &Case) -> Result<Vec<SavedQuery>, WebError> {
    let mut st = case.db().prepare("SELECT id, name, sql FROM saved_queries ORDER BY name, id")?;
    let v = st.query_map([], |r| Ok(SavedQuery { id: r.get(0)?, name: r.get(1)?, sql: r.get(2)? }))?.collect::<Result<_, _>>()?;
    Ok(v)
}

/// Saves a query.
pub fn save_query(case: &Case, name: &str, sql: &str, analyst: &str) -> Result<i64, WebError> {
    if name.trim().is_empty() || sql.trim().is_empty() {
        return Err(WebError::BadRequest("a saved query needs a name and SQL".into()));
    }
    case.db().execute(
        "INSERT INTO saved_queries(name, sql, analyst, created_at) VALUES(?1,?2,?3,?4)",
        params![name.trim(), sql, analyst, now()],
    )?;
    Ok(case.db().last_insert_rowid())
}

/// Deletes a saved query.
pub fn delete_query(case: &Case, id: i64) -> Result<(), WebError> {
    case.db().execute("DELETE FROM saved_queries WHERE id=?1", [id])?;
    Ok(())
}
