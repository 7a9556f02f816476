//! Triage state in the case's SQLite: verdicts with an audit trail,
//! allowlist rules (applied retroactively as status `suppressed`), saved
//! hunt queries. Everything lives in the case, keyed by stable finding
//! keys, so re-running analysis keeps it.

use kensa_detect::Finding;
use kensa_detect::allow::AllowRule;
use kensa_store::Case;
use kensa_store::case::{NewAllowRule, VerdictChange};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::WebError;
use crate::index::{FindingIndex, Row};

/// The one table the workbench owns in the case manifest (verdicts, their
/// audit trail and allowlist rules are the case's own, via `kensa-triage`).
const DDL: &str = "
CREATE TABLE IF NOT EXISTS saved_queries (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, sql TEXT NOT NULL, analyst TEXT, created_at TEXT NOT NULL);
";

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn tri(e: anyhow::Error) -> WebError {
    WebError::BadRequest(format!("{e:#}"))
}

/// Creates the workbench's tables if missing.
pub fn init(case: &Case) -> Result<(), WebError> {
    case.db().execute_batch(DDL)?;
    Ok(())
}

/// Loads every finding with its verdict into an index. A finding nobody
/// judged shows the status analysis gave it (`open`, or `suppressed` by an
/// allowlist rule).
pub fn load_index(case: &Case) -> Result<FindingIndex, WebError> {
    let mut rows = Vec::new();
    for (json, status, note) in case.findings()? {
        let f: Finding = serde_json::from_str(&json).map_err(|e| WebError::Store(format!("stored finding: {e}")))?;
        let status = status.unwrap_or_else(|| kensa_triage::status_name(f.status));
        rows.push(Row::new(f, Some(status), note));
    }
    Ok(FindingIndex::new(rows))
}

/// Sets a verdict (checked, with its audit row). `note: None` keeps the
/// note the finding had (bulk verdicts).
pub fn set_verdict(case: &mut Case, key: &str, status: &str, note: Option<&str>, analyst: &str) -> Result<(), WebError> {
    let st = kensa_triage::parse_status(status).ok_or_else(|| WebError::BadRequest(format!("unknown verdict {status:?}")))?;
    let old: Option<(String, Option<String>)> =
        case.db().query_row("SELECT status, note FROM verdicts WHERE key=?1", [key], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
    let note = note.map(str::to_string).or_else(|| old.as_ref().and_then(|o| o.1.clone()));
    if old.as_ref().is_some_and(|o| o.0 == status && o.1 == note) {
        return Ok(());
    }
    kensa_triage::set_verdict(case, key, st, note.as_deref(), Some(analyst)).map_err(tri)
}

/// A finding's verdict changes, newest first.
pub fn history(case: &Case, key: &str) -> Result<Vec<VerdictChange>, WebError> {
    let mut v = case.verdict_history(key)?;
    v.reverse();
    Ok(v)
}

/// Builds a rule from the form's parts (checked by `kensa-detect`).
pub fn make_rule(kind: &str, value: &str, dst: Option<&str>) -> Result<AllowRule, WebError> {
    kensa_triage::make_rule(kind, value, dst, None).map_err(tri)
}

/// The findings of the index a rule would cover and that are not judged
/// yet (open or needing review): what it would suppress.
pub fn preview<'a>(ix: &'a FindingIndex, rule: &AllowRule) -> Vec<&'a Row> {
    ix.rows().iter().filter(|r| r.status == "open" && rule.matches(&r.f)).collect()
}

/// Stores a rule and re-applies the allowlist to the whole case; returns
/// the rule id and how many findings are suppressed now.
pub fn add_rule(case: &mut Case, rule: &AllowRule, note: Option<&str>, analyst: &str) -> Result<(i64, usize), WebError> {
    let new = NewAllowRule {
        kind: rule.kind.as_str(),
        value: &rule.value,
        dst: rule.dst.as_deref(),
        detector: rule.detector.as_deref(),
        note,
        created_by: Some(analyst),
    };
    let (id, _covered, now) = kensa_triage::add_rule(case, &new).map_err(tri)?;
    Ok((id, now))
}

/// Deletes a rule and re-applies the rest (what only it covered reopens).
pub fn remove_rule(case: &mut Case, id: i64) -> Result<usize, WebError> {
    let (existed, now) = kensa_triage::remove_rule(case, id).map_err(tri)?;
    if !existed {
        return Err(WebError::NotFound);
    }
    Ok(now)
}

/// Every rule in force: the case's (removable) and the allowlist file's.
pub fn rules(case: &Case) -> Result<Vec<AllowRule>, WebError> {
    kensa_triage::case_rules(case).map_err(tri)
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
