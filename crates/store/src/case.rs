//! The case directory and its SQLite manifest.
//!
//! ```text
//! CASE/
//!   case.sqlite                                   manifest (inputs, runs, parts, rejects)
//!   tables/web_requests/day=YYYY-MM-DD/*.parquet  committed data (Hive layout)
//!   staging/<input-token>/…                       parts being written
//! ```
//!
//! ## Commit protocol (crash safety)
//! An input's rows are written to `staging/` first. Then one SQLite
//! transaction records the input as `committing` together with the final path
//! of every part; then each part is renamed into `tables/`; then the input
//! becomes `done`. [`Case::open`] rolls a `committing` input forward (finishes
//! the renames) and deletes staging directories that no committed input
//! refers to. So a `kill -9` at any moment leaves either nothing of an input
//! or all of it once the case is next opened, and re-running the same ingest
//! skips what is `done`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::{Result, StoreError};

/// Current manifest schema version.
pub const SCHEMA_VERSION: i64 = 1;

const DDL: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT,
  command TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'running');
CREATE TABLE IF NOT EXISTS inputs (
  id INTEGER PRIMARY KEY, path TEXT NOT NULL, size INTEGER, quick_hash TEXT NOT NULL,
  content_hash TEXT, format TEXT, sniff_confidence INTEGER, status TEXT NOT NULL,
  rows INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0,
  first_ts INTEGER, last_ts INTEGER, run_id INTEGER, started_at TEXT, finished_at TEXT,
  error TEXT, staging TEXT);
CREATE INDEX IF NOT EXISTS inputs_quick ON inputs(quick_hash, status);
CREATE INDEX IF NOT EXISTS inputs_content ON inputs(content_hash, status);
CREATE TABLE IF NOT EXISTS input_text (
  input_id INTEGER PRIMARY KEY, text_hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS input_text_hash ON input_text(text_hash);
CREATE TABLE IF NOT EXISTS parts (
  id INTEGER PRIMARY KEY, input_id INTEGER NOT NULL, table_name TEXT NOT NULL,
  day TEXT NOT NULL, staged_path TEXT NOT NULL, final_path TEXT NOT NULL, rows INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS reject_counts (
  input_id INTEGER NOT NULL, reason TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (input_id, reason));
CREATE TABLE IF NOT EXISTS findings (
  key TEXT PRIMARY KEY, id TEXT NOT NULL, detector TEXT NOT NULL, severity TEXT NOT NULL,
  score REAL NOT NULL, json TEXT NOT NULL, run_id INTEGER, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS verdicts (
  key TEXT PRIMARY KEY, status TEXT NOT NULL, note TEXT, analyst TEXT, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reject_samples (
  input_id INTEGER NOT NULL, line INTEGER NOT NULL, reason TEXT NOT NULL,
  detail TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS verdict_audit (
  id INTEGER PRIMARY KEY, key TEXT NOT NULL, old_status TEXT, new_status TEXT NOT NULL,
  old_note TEXT, new_note TEXT, analyst TEXT, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS verdict_audit_key ON verdict_audit(key);
CREATE TABLE IF NOT EXISTS allow_rules (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, value TEXT NOT NULL, dst TEXT, detector TEXT,
  note TEXT, created_by TEXT, created_at TEXT NOT NULL);
";

/// One entry of a finding's verdict audit trail.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerdictChange {
    /// Finding key.
    pub key: String,
    /// Status before (none for the first verdict).
    pub old_status: Option<String>,
    /// Status after.
    pub new_status: String,
    /// Note before.
    pub old_note: Option<String>,
    /// Note after.
    pub new_note: Option<String>,
    /// Who changed it.
    pub analyst: Option<String>,
    /// When (RFC 3339, UTC).
    pub at: String,
}

/// An allowlist rule to store (see `kensa_detect::allow` for its meaning).
#[derive(Debug, Clone, Copy, Default)]
pub struct NewAllowRule<'a> {
    /// Rule kind (`domain`, `dst_cidr`, …).
    pub kind: &'a str,
    /// Pattern.
    pub value: &'a str,
    /// Destination of a `host_dst` rule.
    pub dst: Option<&'a str>,
    /// Detector the rule is limited to.
    pub detector: Option<&'a str>,
    /// Why.
    pub note: Option<&'a str>,
    /// Who added it.
    pub created_by: Option<&'a str>,
}

/// An allowlist rule as stored in the case.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredAllowRule {
    /// Rule id.
    pub id: i64,
    /// Rule kind.
    pub kind: String,
    /// Pattern.
    pub value: String,
    /// Destination of a `host_dst` rule.
    pub dst: Option<String>,
    /// Detector the rule is limited to.
    pub detector: Option<String>,
    /// Why.
    pub note: Option<String>,
    /// Who added it.
    pub created_by: Option<String>,
    /// When (RFC 3339, UTC).
    pub created_at: String,
}

/// An open case.
pub struct Case {
    dir: PathBuf,
    db: Connection,
    // Held for the life of the case: one kensa process per case at a time.
    _lock: fs::File,
}

/// What one finished input contributed, for the manifest.
#[derive(Debug, Clone, Default)]
pub struct InputResult {
    /// Full-content hash (blake3 of the bytes as stored, compressed or not).
    pub content_hash: String,
    /// Hash (blake3) of the log text after decompression, when it differs
    /// from the stored bytes: the same log delivered plain and as `.gz`, or
    /// loose and inside an archive, is then recognised as one.
    pub text_hash: Option<String>,
    /// Detected or forced format name.
    pub format: Option<String>,
    /// Sniffer confidence (0–100), if sniffed.
    pub sniff_confidence: Option<u32>,
    /// Rows written.
    pub rows: u64,
    /// Lines rejected.
    pub rejected: u64,
    /// Earliest event time (ms).
    pub first_ts: Option<i64>,
    /// Latest event time (ms).
    pub last_ts: Option<i64>,
    /// Reject counts by reason name.
    pub reject_counts: BTreeMap<String, u64>,
    /// First rejected lines: (line, reason, detail, text).
    pub reject_samples: Vec<RejectSample>,
    /// Parquet parts written to staging.
    pub parts: Vec<StagedPart>,
}

/// One rejected line kept as a sample.
#[derive(Debug, Clone, Serialize)]
pub struct RejectSample {
    /// 1-based line number in the input (0 when not line-oriented).
    pub line: u64,
    /// Reason name.
    pub reason: String,
    /// Human detail.
    pub detail: String,
    /// The line (truncated, lossily decoded).
    pub text: String,
}

/// A Parquet file written to staging, waiting for commit.
#[derive(Debug, Clone)]
pub struct StagedPart {
    /// Table name.
    pub table: String,
    /// Partition day `YYYY-MM-DD`.
    pub day: String,
    /// Where it is now.
    pub staged: PathBuf,
    /// File name it gets under `tables/<table>/day=<day>/`.
    pub file_name: String,
    /// Rows in it.
    pub rows: u64,
}

/// A row of the manifest, for `kensa info`.
#[derive(Debug, Clone, Serialize)]
pub struct InputInfo {
    /// Manifest id.
    pub id: i64,
    /// Display path.
    pub path: String,
    /// Size in bytes (as stored).
    pub size: Option<i64>,
    /// Content hash.
    pub content_hash: Option<String>,
    /// Format name.
    pub format: Option<String>,
    /// Sniff confidence.
    pub sniff_confidence: Option<i64>,
    /// `done`, `failed`, `committing`, `running`.
    pub status: String,
    /// Rows ingested.
    pub rows: i64,
    /// Lines rejected.
    pub rejected: i64,
    /// Earliest event (ms).
    pub first_ts: Option<i64>,
    /// Latest event (ms).
    pub last_ts: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
    /// Reject counts by reason.
    pub reject_counts: BTreeMap<String, i64>,
    /// Reject samples.
    pub reject_samples: Vec<RejectSample>,
}

/// What `Case::open` had to repair.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Recovery {
    /// Inputs whose commit was rolled forward.
    pub rolled_forward: u64,
    /// Abandoned staging directories removed.
    pub staging_removed: u64,
    /// Inputs left `running` by a killed process, marked `interrupted`.
    pub interrupted: u64,
}

/// Fault injection for the crash-safety tests: when the environment
/// variable `KENSA_CRASH_POINT` names this point, the process aborts here
/// (no destructors, no flushing: as close to `kill -9` as a test can aim).
pub(crate) fn crash_point(name: &str) {
    if std::env::var_os("KENSA_CRASH_POINT").is_some_and(|v| v == name) {
        std::process::abort();
    }
}

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Case {
    /// Opens the case at `dir`, creating it if `create` and it does not exist,
    /// and repairs what an interrupted ingest left behind.
    pub fn open(dir: &Path, create: bool) -> Result<(Case, Recovery)> {
        let db_path = dir.join("case.sqlite");
        if !db_path.exists() {
            if !create {
                return Err(StoreError::NotACase(dir.to_path_buf()));
            }
            fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        }
        let lock_path = dir.join(".lock");
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| StoreError::io(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(StoreError::Busy(dir.to_path_buf())),
            Err(fs::TryLockError::Error(e)) => return Err(StoreError::io(&lock_path, e)),
        }
        for sub in ["tables", "staging"] {
            let p = dir.join(sub);
            fs::create_dir_all(&p).map_err(|e| StoreError::io(&p, e))?;
        }
        let db = Connection::open(&db_path)?;
        db.busy_timeout(std::time::Duration::from_secs(30))?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "NORMAL")?;
        db.execute_batch(DDL)?;
        let v: Option<String> =
            db.query_row("SELECT value FROM meta WHERE key='schema_version'", [], |r| r.get(0)).optional()?;
        match v {
            None => {
                db.execute("INSERT INTO meta(key,value) VALUES('schema_version',?1)", [SCHEMA_VERSION.to_string()])?;
                db.execute("INSERT OR IGNORE INTO meta(key,value) VALUES('created_at',?1)", [now()])?;
                db.execute(
                    "INSERT OR IGNORE INTO meta(key,value) VALUES('kensa_version',?1)",
                    [env!("CARGO_PKG_VERSION")],
                )?;
            }
            Some(v) if v.parse::<i64>().ok() != Some(SCHEMA_VERSION) => {
                return Err(StoreError::SchemaVersion { found: v, expected: SCHEMA_VERSION });
            }
            Some(_) => {}
        }
        let mut case = Case { dir: dir.to_path_buf(), db, _lock: lock };
        let rec = case.recover()?;
        Ok((case, rec))
    }

    /// The case directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Directory of a table's committed parts.
    pub fn table_dir(&self, table: &str) -> PathBuf {
        self.dir.join("tables").join(table)
    }

    /// A fresh staging directory for one input.
    pub fn new_staging_dir(&self, token: &str) -> Result<PathBuf> {
        let p = self.dir.join("staging").join(token);
        fs::create_dir_all(&p).map_err(|e| StoreError::io(&p, e))?;
        Ok(p)
    }

    /// Direct access to the manifest database (for later stages' tables).
    pub fn db(&self) -> &Connection {
        &self.db
    }

    fn recover(&mut self) -> Result<Recovery> {
        let mut rec = Recovery::default();
        // Roll forward inputs whose commit record is durable.
        let committing: Vec<i64> = {
            let mut st = self.db.prepare("SELECT id FROM inputs WHERE status='committing'")?;
            st.query_map([], |r| r.get(0))?.collect::<std::result::Result<_, _>>()?
        };
        for id in committing {
            self.finish_renames(id)?;
            self.db.execute(
                "UPDATE inputs SET status='done', finished_at=?2, staging=NULL WHERE id=?1",
                params![id, now()],
            )?;
            rec.rolled_forward += 1;
        }
        // Inputs a killed process left running never committed: forget their rows.
        rec.interrupted = self.db.execute(
            "UPDATE inputs SET status='interrupted', error='ingest was interrupted before commit' WHERE status='running'",
            [],
        )? as u64;
        self.db.execute("UPDATE runs SET status='interrupted' WHERE status='running'", [])?;
        // Remove staging directories no live input refers to.
        let staging = self.dir.join("staging");
        if let Ok(rd) = fs::read_dir(&staging) {
            for e in rd.flatten() {
                let p = e.path();
                let _ = fs::remove_dir_all(&p);
                rec.staging_removed += 1;
            }
        }
        Ok(rec)
    }

    pub(crate) fn finish_renames(&self, input_id: i64) -> Result<()> {
        let parts: Vec<(String, String)> = {
            let mut st = self.db.prepare("SELECT staged_path, final_path FROM parts WHERE input_id=?1")?;
            st.query_map([input_id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<std::result::Result<_, _>>()?
        };
        for (staged, fin) in parts {
            let staged = self.dir.join(staged);
            let fin = self.dir.join(fin);
            if staged.exists() {
                if let Some(parent) = fin.parent() {
                    fs::create_dir_all(parent).map_err(|e| StoreError::io(parent, e))?;
                }
                fs::rename(&staged, &fin).map_err(|e| StoreError::io(&staged, e))?;
                crash_point("mid-rename");
            } else if !fin.exists() {
                return Err(StoreError::Corrupt(format!(
                    "part {} of input {input_id} is neither staged nor committed",
                    fin.display()
                )));
            }
        }
        Ok(())
    }

    /// Sets a case-level fact (e.g. which intel versions were used).
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.db.execute(
            "INSERT INTO meta(key,value) VALUES(?1,?2) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Replaces every stored finding with `findings` (key, id, detector,
    /// severity, score, JSON) in one transaction. Analysts' verdicts live in
    /// their own table keyed by the stable finding key, so they survive.
    pub fn replace_findings(&mut self, run_id: Option<i64>, findings: &[(String, String, String, String, f64, String)]) -> Result<()> {
        let tx = self.db.transaction()?;
        tx.execute("DELETE FROM findings", [])?;
        {
            let mut st = tx.prepare(
                "INSERT OR REPLACE INTO findings(key, id, detector, severity, score, json, run_id, updated_at) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
            )?;
            let t = now();
            for (key, id, det, sev, score, json) in findings {
                st.execute(params![key, id, det, sev, score, json, run_id, t])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Stored findings as (JSON, verdict status if an analyst set one, note).
    pub fn findings(&self) -> Result<Vec<(String, Option<String>, Option<String>)>> {
        let mut st = self.db.prepare(
            "SELECT f.json, v.status, v.note FROM findings f LEFT JOIN verdicts v ON v.key = f.key ORDER BY f.score DESC, f.key",
        )?;
        let v = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<std::result::Result<_, _>>()?;
        Ok(v)
    }

    /// Records an analyst's verdict on a finding key, and the change in the
    /// audit trail (who, when, old and new status and note) in the same
    /// transaction.
    pub fn set_verdict(&mut self, key: &str, status: &str, note: Option<&str>, analyst: Option<&str>) -> Result<()> {
        let tx = self.db.transaction()?;
        let old: Option<(String, Option<String>)> = tx
            .query_row("SELECT status, note FROM verdicts WHERE key=?1", [key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let t = now();
        tx.execute(
            "INSERT INTO verdicts(key, status, note, analyst, updated_at) VALUES(?1,?2,?3,?4,?5) \
             ON CONFLICT(key) DO UPDATE SET status=excluded.status, note=excluded.note, analyst=excluded.analyst, updated_at=excluded.updated_at",
            params![key, status, note, analyst, t],
        )?;
        let (old_status, old_note) = old.map_or((None, None), |(s, n)| (Some(s), n));
        tx.execute(
            "INSERT INTO verdict_audit(key, old_status, new_status, old_note, new_note, analyst, at) VALUES(?1,?2,?3,?4,?5,?6,?7)",
            params![key, old_status, status, old_note, note, analyst, t],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The audit trail of one finding's verdicts, oldest first.
    pub fn verdict_history(&self, key: &str) -> Result<Vec<VerdictChange>> {
        let mut st = self.db.prepare(
            "SELECT key, old_status, new_status, old_note, new_note, analyst, at FROM verdict_audit WHERE key=?1 ORDER BY id",
        )?;
        let v = st
            .query_map([key], |r| {
                Ok(VerdictChange {
                    key: r.get(0)?,
                    old_status: r.get(1)?,
                    new_status: r.get(2)?,
                    old_note: r.get(3)?,
                    new_note: r.get(4)?,
                    analyst: r.get(5)?,
                    at: r.get(6)?,
                })
            })?
            .collect::<std::result::Result<_, _>>()?;
        Ok(v)
    }

    /// Rewrites the JSON of stored findings (e.g. after allowlist rules
    /// changed their status), leaving other findings as they are.
    pub fn rewrite_findings(&mut self, updates: &[(String, String)]) -> Result<()> {
        let tx = self.db.transaction()?;
        {
            let mut st = tx.prepare("UPDATE findings SET json=?2, updated_at=?3 WHERE key=?1")?;
            let t = now();
            for (key, json) in updates {
                st.execute(params![key, json, t])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Adds an allowlist rule; returns its id. The caller checks the rule
    /// (`kensa_detect::allow`) before storing it.
    pub fn add_allow_rule(&self, rule: &NewAllowRule<'_>) -> Result<i64> {
        self.db.execute(
            "INSERT INTO allow_rules(kind, value, dst, detector, note, created_by, created_at) VALUES(?1,?2,?3,?4,?5,?6,?7)",
            params![rule.kind, rule.value, rule.dst, rule.detector, rule.note, rule.created_by, now()],
        )?;
        Ok(self.db.last_insert_rowid())
    }

    /// The case's allowlist rules, oldest first.
    pub fn allow_rules(&self) -> Result<Vec<StoredAllowRule>> {
        let mut st = self
            .db
            .prepare("SELECT id, kind, value, dst, detector, note, created_by, created_at FROM allow_rules ORDER BY id")?;
        let v = st
            .query_map([], |r| {
                Ok(StoredAllowRule {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    value: r.get(2)?,
                    dst: r.get(3)?,
                    detector: r.get(4)?,
                    note: r.get(5)?,
                    created_by: r.get(6)?,
                    created_at: r.get(7)?,
                })
            })?
            .collect::<std::result::Result<_, _>>()?;
        Ok(v)
    }

    /// Removes an allowlist rule; false if there was none with that id.
    pub fn remove_allow_rule(&self, id: i64) -> Result<bool> {
        Ok(self.db.execute("DELETE FROM allow_rules WHERE id=?1", [id])? > 0)
    }

    /// Reads a case-level fact.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self.db.query_row("SELECT value FROM meta WHERE key=?1", [key], |r| r.get(0)).optional()?)
    }

    /// Starts a run (one CLI invocation that writes), returning its id.
    pub fn begin_run(&self, command: &str) -> Result<i64> {
        self.db.execute("INSERT INTO runs(started_at, command) VALUES(?1, ?2)", params![now(), command])?;
        Ok(self.db.last_insert_rowid())
    }

    /// Marks a run finished.
    pub fn finish_run(&self, run_id: i64, status: &str) -> Result<()> {
        self.db.execute("UPDATE runs SET finished_at=?2, status=?3 WHERE id=?1", params![run_id, now(), status])?;
        Ok(())
    }

    /// The id of a `done` input with this quick hash (size + head + tail), if any.
    pub fn done_by_quick_hash(&self, quick: &str) -> Result<Option<i64>> {
        Ok(self
            .db
            .query_row("SELECT id FROM inputs WHERE quick_hash=?1 AND status='done' LIMIT 1", [quick], |r| r.get(0))
            .optional()?)
    }

    /// The id of a `done` input with this full content hash, if any.
    pub fn done_by_content_hash(&self, hash: &str) -> Result<Option<i64>> {
        Ok(self
            .db
            .query_row("SELECT id FROM inputs WHERE content_hash=?1 AND status='done' LIMIT 1", [hash], |r| r.get(0))
            .optional()?)
    }

    /// The committed input whose log text (after decompression) hashes to
    /// `hash`, whichever container it came in.
    pub fn done_by_text_hash(&self, hash: &str) -> Result<Option<i64>> {
        Ok(self
            .db
            .query_row(
                "SELECT i.id FROM inputs i WHERE i.status='done' AND (i.content_hash=?1 OR i.id IN (SELECT input_id FROM input_text WHERE text_hash=?1)) LIMIT 1",
                [hash],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Registers an input about to be read; returns its id.
    pub fn begin_input(&self, run_id: i64, path: &str, size: Option<u64>, quick_hash: &str, staging: &Path) -> Result<i64> {
        let rel = staging.strip_prefix(&self.dir).unwrap_or(staging).to_string_lossy().into_owned();
        self.db.execute(
            "INSERT INTO inputs(path, size, quick_hash, status, run_id, started_at, staging) VALUES(?1,?2,?3,'running',?4,?5,?6)",
            params![path, size.map(|s| s as i64), quick_hash, run_id, now(), rel],
        )?;
        Ok(self.db.last_insert_rowid())
    }

    /// Commits an input: records its parts and figures, moves the parts into
    /// place, marks it done. See the module docs for the protocol.
    pub fn commit_input(&mut self, input_id: i64, res: &InputResult) -> Result<()> {
        crash_point("before-commit");
        let tx = self.db.transaction()?;
        for p in &res.parts {
            let staged = p.staged.strip_prefix(&self.dir).unwrap_or(&p.staged).to_string_lossy().into_owned();
            let fin = Path::new("tables").join(&p.table).join(format!("day={}", p.day)).join(&p.file_name);
            tx.execute(
                "INSERT INTO parts(input_id, table_name, day, staged_path, final_path, rows) VALUES(?1,?2,?3,?4,?5,?6)",
                params![input_id, p.table, p.day, staged, fin.to_string_lossy(), p.rows as i64],
            )?;
        }
        write_rejects(&tx, input_id, res)?;
        if let Some(h) = &res.text_hash {
            tx.execute("INSERT OR REPLACE INTO input_text(input_id, text_hash) VALUES(?1,?2)", params![input_id, h])?;
        }
        tx.execute(
            "UPDATE inputs SET status='committing', content_hash=?2, format=?3, sniff_confidence=?4, rows=?5, rejected=?6, first_ts=?7, last_ts=?8 WHERE id=?1",
            params![
                input_id,
                res.content_hash,
                res.format,
                res.sniff_confidence.map(|c| c as i64),
                res.rows as i64,
                res.rejected as i64,
                res.first_ts,
                res.last_ts
            ],
        )?;
        tx.commit()?;
        crash_point("after-commit");
        self.finish_renames(input_id)?;
        crash_point("before-done");
        self.db.execute(
            "UPDATE inputs SET status='done', finished_at=?2, staging=NULL WHERE id=?1",
            params![input_id, now()],
        )?;
        Ok(())
    }

    /// Records an input that could not be read, with the reason (and whatever
    /// rejects were counted before it failed). Its staged parts are dropped.
    pub fn fail_input(&self, input_id: i64, error: &str, res: Option<&InputResult>) -> Result<()> {
        self.db.execute(
            "UPDATE inputs SET status='failed', error=?2, finished_at=?3, staging=NULL WHERE id=?1",
            params![input_id, error, now()],
        )?;
        if let Some(res) = res {
            self.db.execute(
                "UPDATE inputs SET content_hash=?2, format=?3, rejected=?4 WHERE id=?1",
                params![input_id, res.content_hash, res.format, res.rejected as i64],
            )?;
            write_rejects(&self.db, input_id, res)?;
        }
        Ok(())
    }

    /// Records a duplicate input (same content as a `done` one) as skipped.
    pub fn skip_input(&self, input_id: i64, content_hash: &str, duplicate_of: i64) -> Result<()> {
        self.db.execute(
            "UPDATE inputs SET status='duplicate', content_hash=?2, error=?3, finished_at=?4, staging=NULL WHERE id=?1",
            params![input_id, content_hash, format!("same content as input {duplicate_of}"), now()],
        )?;
        Ok(())
    }

    /// Every input in the manifest, with reject counts and samples.
    pub fn inputs(&self) -> Result<Vec<InputInfo>> {
        let mut st = self.db.prepare(
            "SELECT id, path, size, content_hash, format, sniff_confidence, status, rows, rejected, first_ts, last_ts, error FROM inputs ORDER BY id",
        )?;
        let mut out: Vec<InputInfo> = st
            .query_map([], |r| {
                Ok(InputInfo {
                    id: r.get(0)?,
                    path: r.get(1)?,
                    size: r.get(2)?,
                    content_hash: r.get(3)?,
                    format: r.get(4)?,
                    sniff_confidence: r.get(5)?,
                    status: r.get(6)?,
                    rows: r.get(7)?,
                    rejected: r.get(8)?,
                    first_ts: r.get(9)?,
                    last_ts: r.get(10)?,
                    error: r.get(11)?,
                    reject_counts: BTreeMap::new(),
                    reject_samples: Vec::new(),
                })
            })?
            .collect::<std::result::Result<_, _>>()?;
        let mut rc = self.db.prepare("SELECT reason, count FROM reject_counts WHERE input_id=?1 ORDER BY reason")?;
        let mut rs = self
            .db
            .prepare("SELECT line, reason, detail, text FROM reject_samples WHERE input_id=?1 ORDER BY line")?;
        for i in &mut out {
            i.reject_counts = rc
                .query_map([i.id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
                .collect::<std::result::Result<_, _>>()?;
            i.reject_samples = rs
                .query_map([i.id], |r| {
                    Ok(RejectSample { line: r.get::<_, i64>(0)? as u64, reason: r.get(1)?, detail: r.get(2)?, text: r.get(3)? })
                })?
                .collect::<std::result::Result<_, _>>()?;
        }
        Ok(out)
    }

    /// Paths (relative to the case) of the committed parts of `table`.
    pub fn committed_parts(&self, table: &str) -> Result<Vec<(String, String, i64)>> {
        let mut st = self.db.prepare(
            "SELECT p.final_path, p.day, p.rows FROM parts p JOIN inputs i ON i.id=p.input_id WHERE p.table_name=?1 AND i.status='done' ORDER BY p.id",
        )?;
        let v = st
            .query_map([table], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<std::result::Result<_, _>>()?;
        Ok(v)
    }
}

pub(crate) fn write_rejects(db: &Connection, input_id: i64, res: &InputResult) -> Result<()> {
    for (reason, n) in &res.reject_counts {
        db.execute(
            "INSERT INTO reject_counts(input_id, reason, count) VALUES(?1,?2,?3) ON CONFLICT(input_id, reason) DO UPDATE SET count=excluded.count",
            params![input_id, reason, *n as i64],
        )?;
    }
    db.execute("DELETE FROM reject_samples WHERE input_id=?1", [input_id])?;
    for s in &res.reject_samples {
        db.execute(
            "INSERT INTO reject_samples(input_id, line, reason, detail, text) VALUES(?1,?2,?3,?4,?5)",
            params![input_id, s.line as i64, s.reason, s.detail, s.text],
        )?;
    }
    Ok(())
}
