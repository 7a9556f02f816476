//! Committing several inputs at once: the capture files of one ingest call.
//!
//! Packet captures are read by one flow engine across every capture file
//! of an ingest call, so a flow that starts in `trace-01.pcap` and ends in
//! `trace-02.pcap` is one row. Its rows therefore belong to the *group* of
//! inputs, and the group commits all-or-nothing: one SQLite transaction
//! records every input as `committing` with the parts (attached to the
//! group's first input) and the absolute capture paths (`capture_files`,
//! used to re-read flows later); then the parts are renamed; then every
//! input becomes `done`. [`Case::open`] rolls a half-finished group forward
//! exactly as it does a single input.

use std::path::Path;

use rusqlite::{OptionalExtension, params};

use crate::case::{crash_point, now, write_rejects};
use crate::{Case, InputResult, Result, StoreError};

const DDL: &str = "
CREATE TABLE IF NOT EXISTS capture_files (
  input_id INTEGER PRIMARY KEY, path TEXT NOT NULL, group_first INTEGER NOT NULL,
  packets INTEGER NOT NULL DEFAULT 0, link_types TEXT, stats TEXT);
CREATE TABLE IF NOT EXISTS capture_mail (
  group_first INTEGER NOT NULL, mail_proto TEXT NOT NULL, client_ip TEXT NOT NULL,
  server_ip TEXT NOT NULL, server_port INTEGER NOT NULL, flows INTEGER NOT NULL,
  bytes INTEGER NOT NULL);
";

/// One capture file of a group, as the manifest should remember it.
#[derive(Debug, Clone)]
pub struct CaptureFile {
    /// Its input id (from [`Case::begin_input`]).
    pub input_id: i64,
    /// Absolute path, to re-read its packets (`kensa stream`).
    pub path: String,
    /// Packets read.
    pub packets: u64,
    /// Link types seen (comma-separated names or numbers).
    pub link_types: String,
    /// Reader and decoder counters (JSON).
    pub stats: String,
    /// What the file contributed.
    pub result: InputResult,
}

/// Mail traffic seen (and kept out of analysis) in a group.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MailRow {
    /// `smtp`, `submission`, `smtps`, `pop3`, `pop3s`, `imap`, `imaps`.
    pub mail_proto: String,
    /// Client address.
    pub client_ip: String,
    /// Server address.
    pub server_ip: String,
    /// Server port.
    pub server_port: u16,
    /// Flows.
    pub flows: u64,
    /// Bytes both ways.
    pub bytes: u64,
}

/// A stored capture file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredCapture {
    /// Input id.
    pub input_id: i64,
    /// Absolute path at ingest time.
    pub path: String,
}

impl Case {
    fn ensure_capture_tables(&self) -> Result<()> {
        self.db().execute_batch(DDL)?;
        Ok(())
    }

    /// Commits a group of capture inputs all-or-nothing (see the module
    /// docs). `files[0]` carries every part in its `result.parts`.
    pub fn commit_capture_group(&mut self, files: &[CaptureFile], mail: &[MailRow]) -> Result<()> {
        let Some(first) = files.first() else { return Ok(()) };
        self.ensure_capture_tables()?;
        crash_point("before-commit");
        let dir = self.dir().to_path_buf();
        {
            let tx = self.db().unchecked_transaction()?;
            for f in files {
                for p in &f.result.parts {
                    let staged = p.staged.strip_prefix(&dir).unwrap_or(&p.staged).to_string_lossy().into_owned();
                    let fin = Path::new("tables").join(&p.table).join(format!("day={}", p.day)).join(&p.file_name);
                    tx.execute(
                        "INSERT INTO parts(input_id, table_name, day, staged_path, final_path, rows) VALUES(?1,?2,?3,?4,?5,?6)",
                        params![f.input_id, p.table, p.day, staged, fin.to_string_lossy(), p.rows as i64],
                    )?;
                }
                write_rejects(&tx, f.input_id, &f.result)?;
                let r = &f.result;
                tx.execute(
                    "UPDATE inputs SET status='committing', content_hash=?2, format=?3, sniff_confidence=?4, rows=?5, rejected=?6, first_ts=?7, last_ts=?8 WHERE id=?1",
                    params![f.input_id, r.content_hash, r.format, r.sniff_confidence.map(|c| c as i64), r.rows as i64, r.rejected as i64, r.first_ts, r.last_ts],
                )?;
                tx.execute(
                    "INSERT OR REPLACE INTO capture_files(input_id, path, group_first, packets, link_types, stats) VALUES(?1,?2,?3,?4,?5,?6)",
                    params![f.input_id, f.path, first.input_id, f.packets as i64, f.link_types, f.stats],
                )?;
            }
            for m in mail {
                tx.execute(
                    "INSERT INTO capture_mail(group_first, mail_proto, client_ip, server_ip, server_port, flows, bytes) VALUES(?1,?2,?3,?4,?5,?6,?7)",
                    params![first.input_id, m.mail_proto, m.client_ip, m.server_ip, m.server_port as i64, m.flows as i64, m.bytes as i64],
                )?;
            }
            tx.commit()?;
        }
        crash_point("after-commit");
        for f in files {
            self.finish_renames(f.input_id)?;
        }
        crash_point("before-done");
        let t = now();
        for f in files {
            self.db().execute("UPDATE inputs SET status='done', finished_at=?2, staging=NULL WHERE id=?1", params![f.input_id, t])?;
        }
        Ok(())
    }

    /// Mail flows kept out of analysis, summed over every committed group
    /// (by protocol, client, server).
    pub fn capture_mail(&self) -> Result<Vec<MailRow>> {
        self.ensure_capture_tables()?;
        let mut st = self.db().prepare(
            "SELECT m.mail_proto, m.client_ip, m.server_ip, m.server_port, sum(m.flows), sum(m.bytes) FROM capture_mail m
             JOIN inputs i ON i.id = m.group_first WHERE i.status='done'
             GROUP BY 1,2,3,4 ORDER BY 6 DESC, 1, 2, 3",
        )?;
        let v = st
            .query_map([], |r| {
                Ok(MailRow {
                    mail_proto: r.get(0)?,
                    client_ip: r.get(1)?,
                    server_ip: r.get(2)?,
                    server_port: r.get::<_, i64>(3)? as u16,
                    flows: r.get::<_, i64>(4)? as u64,
                    bytes: r.get::<_, i64>(5)? as u64,
                })
            })?
            .collect::<std::result::Result<_, _>>()?;
        Ok(v)
    }

    /// The stored path of a committed capture input.
    pub fn capture_file(&self, input_id: i64) -> Result<StoredCapture> {
        self.ensure_capture_tables()?;
        let p: Option<String> = self
            .db()
            .query_row(
                "SELECT c.path FROM capture_files c JOIN inputs i ON i.id=c.input_id WHERE c.input_id=?1 AND i.status='done'",
                [input_id],
                |r| r.get(0),
            )
            .optional()?;
        match p {
            Some(path) => Ok(StoredCapture { input_id, path }),
            None => Err(StoreError::Corrupt(format!("input {input_id} is not a committed capture file"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StagedPart;

    #[test]
    fn group_commits_all_inputs_and_their_parts() {
        let d = tempfile::tempdir().unwrap();
        let (mut c, _) = Case::open(d.path(), true).unwrap();
        let run = c.begin_run("t").unwrap();
        let st = c.new_staging_dir("g").unwrap();
        let a = c.begin_input(run, "a.pcap", Some(1), "qa", &st).unwrap();
        let b = c.begin_input(run, "b.pcap", Some(1), "qb", &st).unwrap();
        let pdir = st.join("flows/day=2024-01-01");
        std::fs::create_dir_all(&pdir).unwrap();
        std::fs::write(pdir.join("p-0001.parquet"), b"x").unwrap();
        let part = StagedPart { table: "flows".into(), day: "2024-01-01".into(), staged: pdir.join("p-0001.parquet"), file_name: "p-0001.parquet".into(), rows: 3 };
        let fa = CaptureFile { input_id: a, path: "/x/a.pcap".into(), packets: 5, link_types: "ethernet".into(), stats: "{}".into(), result: InputResult { content_hash: "ha".into(), rows: 2, parts: vec![part], ..Default::default() } };
        let fb = CaptureFile { input_id: b, path: "/x/b.pcap".into(), packets: 1, link_types: "ethernet".into(), stats: "{}".into(), result: InputResult { content_hash: "hb".into(), rows: 1, ..Default::default() } };
        let mail = MailRow { mail_proto: "smtp".into(), client_ip: "10.0.0.1".into(), server_ip: "192.0.2.1".into(), server_port: 25, flows: 2, bytes: 100 };
        c.commit_capture_group(&[fa, fb], &[mail]).unwrap();
        assert!(d.path().join("tables/flows/day=2024-01-01/p-0001.parquet").exists());
        assert!(c.inputs().unwrap().iter().all(|i| i.status == "done"));
        assert_eq!(c.capture_file(b).unwrap().path, "/x/b.pcap");
        assert_eq!(c.capture_mail().unwrap()[0].flows, 2);
        assert!(c.capture_file(99).is_err());
    }
}
