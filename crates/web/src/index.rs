//! The in-memory findings index behind the findings list.
//!
//! Findings are parsed from the case's SQLite once (at start and after
//! changes that touch many of them, such as an allowlist rule); every list
//! request then filters, sorts and pages plain vectors. A lower-cased
//! search text per finding makes the full-text search a substring scan:
//! with 100 000 findings that is a few tens of MB of `memchr`-speed
//! scanning, well inside the 200 ms budget (see BENCHMARKS.md).

use std::collections::{BTreeMap, HashMap};

use kensa_detect::Finding;

/// Every verdict status the UI knows, in display order.
pub const STATUSES: &[&str] = &["open", "needs_review", "confirmed", "false_positive", "benign", "suppressed"];

/// Verdicts an analyst may set by hand (`suppressed` comes from allowlist rules).
pub const SETTABLE: &[&str] = &["open", "needs_review", "confirmed", "false_positive", "benign"];

/// Severity names, most severe first.
pub const SEVERITIES: &[&str] = &["critical", "high", "medium", "low", "info"];


/// One finding with its current verdict.
#[derive(Debug, Clone)]
pub struct Row {
    /// The finding as stored.
    pub f: Finding,
    /// Current status (`open` when nobody set one).
    pub status: String,
    /// The analyst's note.
    pub note: Option<String>,
    /// Lower-cased text for the full-text search.
    search: String,
    /// The source label (user, else IP) shown as "host".
    pub host: String,
}

impl Row {
    /// Builds a row, precomputing its search text.
    pub fn new(f: Finding, status: Option<String>, note: Option<String>) -> Row {
        let host = f.src.ip.clone().or_else(|| f.src.hostname.clone()).or_else(|| f.src.user.clone()).unwrap_or_default();
        let mut search = String::with_capacity(256);
        for s in [
            Some(&f.id),
            Some(&f.key),
            Some(&f.title),
            Some(&f.detector),
            f.src.ip.as_ref(),
            f.src.user.as_ref(),
            f.src.hostname.as_ref(),
            f.dst.host.as_ref(),
            f.dst.domain.as_ref(),
            f.dst.ip.as_ref(),
            f.dst.service.as_ref(),
            f.dst.category.as_ref(),
            Some(&f.explanation.en),
            Some(&f.explanation.ja),
            note.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            search.push_str(&s.to_lowercase());
            search.push('\n');
        }
        for a in &f.attack {
            search.push_str(&a.to_lowercase());
            search.push('\n');
        }
        Row { status: status.unwrap_or_else(|| "open".to_string()), note, search, host, f }
    }
}

/// Sort keys of the findings list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Score (default, descending).
    #[default]
    Score,
    /// First seen.
    FirstSeen,
    /// Last seen.
    LastSeen,
    /// Event count.
    Count,
    /// Bytes uploaded.
    BytesUp,
    /// Host label.
    Host,
    /// Destination host.
    Destination,
    /// Detector id.
    Detector,
}

impl SortKey {
    /// Parses the `sort` parameter.
    pub fn parse(s: &str) -> SortKey {
        match s {
            "first_seen" => SortKey::FirstSeen,
            "last_seen" => SortKey::LastSeen,
            "count" => SortKey::Count,
            "bytes_up" => SortKey::BytesUp,
            "host" => SortKey::Host,
            "destination" => SortKey::Destination,
            "detector" => SortKey::Detector,
            _ => SortKey::Score,
        }
    }
    /// All keys with their parameter names.
    pub const ALL: &[(SortKey, &str)] = &[
        (SortKey::Score, "score"),
        (SortKey::FirstSeen, "first_seen"),
        (SortKey::LastSeen, "last_seen"),
        (SortKey::Count, "count"),
        (SortKey::BytesUp, "bytes_up"),
        (SortKey::Host, "host"),
        (SortKey::Destination, "destination"),
        (SortKey::Detector, "detector"),
    ];
}

/// A findings-list request. Empty strings mean "no filter".
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct Filter {
    /// Severity name.
    pub severity: String,
    /// Detector id.
    pub detector: String,
    /// Status name.
    pub status: String,
    /// Source IP, host name or user (exact).
    pub host: String,
    /// User (exact).
    pub user: String,
    /// Destination host or registered domain (exact).
    pub destination: String,
    /// Service name (exact).
    pub service: String,
    /// ATT&CK technique id (prefix: `T1071` matches `T1071.001`).
    pub attack: String,
    /// Full-text search (case-insensitive substring; all words must match).
    pub q: String,
    /// Sort key name.
    pub sort: String,
    /// `asc` for ascending; descending otherwise.
    pub dir: String,
    /// 1-based page.
    pub page: usize,
    /// Rows per page (default 50, at most 500).
    pub per_page: usize,
}

/// One page of results.
#[derive(Debug)]
pub struct Page<'a> {
    /// Rows matching the filter.
    pub total: usize,
    /// This page's rows.
    pub rows: Vec<&'a Row>,
    /// 1-based page number (clamped).
    pub page: usize,
    /// Page size used.
    pub per_page: usize,
}

/// Counts of values in the whole index, for filter drop-downs and the overview.
#[derive(Debug, Default)]
pub struct Facets {
    /// Findings per detector.
    pub detectors: BTreeMap<String, usize>,
    /// Findings per service.
    pub services: BTreeMap<String, usize>,
    /// Findings per ATT&CK technique.
    pub attack: BTreeMap<String, usize>,
    /// Findings per severity name.
    pub severities: BTreeMap<String, usize>,
    /// Findings per status.
    pub statuses: BTreeMap<String, usize>,
    /// Findings per UTC day of first sighting (`YYYY-MM-DD`).
    pub days: BTreeMap<String, usize>,
}

/// All findings of a case, ready to filter.
#[derive(Debug, Default)]
pub struct FindingIndex {
    rows: Vec<Row>,
    by_id: HashMap<String, usize>,
    by_key: HashMap<String, usize>,
    facets: Facets,
}

fn day_of(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

impl FindingIndex {
    /// Builds the index (rows in score order, as stored).
    pub fn new(rows: Vec<Row>) -> FindingIndex {
        let mut ix = FindingIndex { rows, ..Default::default() };
        ix.reindex();
        ix
    }

    fn reindex(&mut self) {
        self.by_id.clear();
        self.by_key.clear();
        let mut fc = Facets::default();
        for (i, r) in self.rows.iter().enumerate() {
            self.by_id.insert(r.f.id.clone(), i);
            self.by_key.insert(r.f.key.clone(), i);
            *fc.detectors.entry(r.f.detector.clone()).or_default() += 1;
            if let Some(s) = &r.f.dst.service {
                *fc.services.entry(s.clone()).or_default() += 1;
            }
            for a in &r.f.attack {
                *fc.attack.entry(a.clone()).or_default() += 1;
            }
            *fc.severities.entry(r.f.severity.as_str().to_string()).or_default() += 1;
            *fc.statuses.entry(r.status.clone()).or_default() += 1;
            *fc.days.entry(day_of(r.f.first_seen)).or_default() += 1;
        }
        self.facets = fc;
    }

    /// Number of findings.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Every row.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// Value counts.
    pub fn facets(&self) -> &Facets {
        &self.facets
    }

    /// A finding by id.
    pub fn get(&self, id: &str) -> Option<&Row> {
        self.by_id.get(id).map(|&i| &self.rows[i])
    }

    /// A finding by key.
    pub fn get_by_key(&self, key: &str) -> Option<&Row> {
        self.by_key.get(key).map(|&i| &self.rows[i])
    }

    /// Updates one finding's verdict in place (after it was stored).
    pub fn set_status(&mut self, key: &str, status: &str, note: Option<String>) {
        if let Some(&i) = self.by_key.get(key) {
            let r = &mut self.rows[i];
            let old = r.status.clone();
            let note = note.or_else(|| r.note.take());
            let f = std::mem::replace(&mut r.f, kensa_detect::Finding::new("", "", "", String::new(), 0.0));
            *r = Row::new(f, Some(status.to_string()), note);
            if let Some(n) = self.facets.statuses.get_mut(&old) {
                *n = n.saturating_sub(1);
            }
            *self.facets.statuses.entry(status.to_string()).or_default() += 1;
        }
    }

    /// Findings matching `q`, sorted and paged.
    pub fn query(&self, q: &Filter) -> Page<'_> {
        let words: Vec<String> = q.q.split_whitespace().map(|w| w.to_lowercase()).collect();
        let attack = q.attack.to_ascii_uppercase();
        let mut hits: Vec<&Row> = self
            .rows
            .iter()
            .filter(|r| {
                let f = &r.f;
                (q.severity.is_empty() || f.severity.as_str() == q.severity)
                    && (q.detector.is_empty() || f.detector == q.detector)
                    && (q.status.is_empty() || r.status == q.status)
                    && (q.host.is_empty()
                        || r.host == q.host
                        || f.src.ip.as_deref() == Some(&q.host)
                        || f.src.hostname.as_deref() == Some(&q.host))
                    && (q.user.is_empty() || f.src.user.as_deref() == Some(&q.user))
                    && (q.destination.is_empty()
                        || f.dst.host.as_deref() == Some(&q.destination)
                        || f.dst.domain.as_deref() == Some(&q.destination)
                        || f.dst.ip.as_deref() == Some(&q.destination))
                    && (q.service.is_empty() || f.dst.service.as_deref() == Some(&q.service))
                    && (attack.is_empty() || f.attack.iter().any(|a| a.starts_with(&attack)))
                    && words.iter().all(|w| r.search.contains(w.as_str()))
            })
            .collect();
        let key = SortKey::parse(&q.sort);
        let asc = q.dir == "asc";
        hits.sort_by(|a, b| {
            let (fa, fb) = (&a.f, &b.f);
            let o = match key {
                SortKey::Score => fa.score.total_cmp(&fb.score),
                SortKey::FirstSeen => fa.first_seen.cmp(&fb.first_seen),
                SortKey::LastSeen => fa.last_seen.cmp(&fb.last_seen),
                SortKey::Count => fa.count.cmp(&fb.count),
                SortKey::BytesUp => fa.bytes_up.cmp(&fb.bytes_up),
                SortKey::Host => a.host.cmp(&b.host),
                SortKey::Destination => fa.dst.host.cmp(&fb.dst.host),
                SortKey::Detector => fa.detector.cmp(&fb.detector),
            };
            let o = if asc { o } else { o.reverse() };
            o.then_with(|| fa.key.cmp(&fb.key))
        });
        let per_page = if q.per_page == 0 { 50 } else { q.per_page.min(500) };
        let total = hits.len();
        let pages = total.div_ceil(per_page).max(1);
        let page = q.page.clamp(1, pages);
        let rows = hits.into_iter().skip((page - 1) * per_page).take(per_page).collect();
        Page { total, rows, page, per_page }
    }

    /// Findings sharing the host or the destination of `row` (not itself).
    pub fn related(&self, row: &Row, limit: usize) -> Vec<&Row> {
        let dst = row.f.dst.host.as_deref().or(row.f.dst.domain.as_deref());
        self.rows
            .iter()
            .filter(|r| r.f.key != row.f.key)
            .filter(|r| r.host == row.host || (dst.is_some() && (r.f.dst.host.as_deref() == dst || r.f.dst.domain.as_deref() == dst)))
            .take(limit)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mk(i: usize, det: &str, host: &str, dst: &str, score: f64) -> Row {
        let mut f = Finding::new(det, host, dst, format!("finding {i} <b>"), score);
        f.src.ip = Some(host.to_string());
        f.dst.host = Some(dst.to_string());
        f.first_seen = 1_700_000_000_000 + i as i64 * 86_400_000;
        f.attack = vec!["T1071.001".into()];
        Row::new(f, None, None)
    }

    #[test]
    fn filters_sorts_and_pages() {
        let rows = (0..120).map(|i| mk(i, if i % 2 == 0 { "beacon" } else { "dga" }, &format!("10.0.0.{}", i % 7), &format!("d{i}.example"), i as f64 / 2.0)).collect();
        let ix = FindingIndex::new(rows);
        let p = ix.query(&Filter { detector: "beacon".into(), ..Default::default() });
        assert_eq!(p.total, 60);
        assert_eq!(p.rows.len(), 50);
        assert!(p.rows.windows(2).all(|w| w[0].f.score >= w[1].f.score));
        let p2 = ix.query(&Filter { detector: "beacon".into(), page: 2, ..Default::default() });
        assert_eq!(p2.rows.len(), 10);
        let p = ix.query(&Filter { q: "D17.EXAMPLE".into(), ..Default::default() });
        assert_eq!(p.total, 1);
        assert_eq!(p.rows[0].f.dst.host.as_deref(), Some("d17.example"));
        let p = ix.query(&Filter { host: "10.0.0.3".into(), sort: "first_seen".into(), dir: "asc".into(), ..Default::default() });
        assert!(p.total > 0 && p.rows.iter().all(|r| r.host == "10.0.0.3"));
        assert!(p.rows.windows(2).all(|w| w[0].f.first_seen <= w[1].f.first_seen));
        assert_eq!(ix.query(&Filter { attack: "t1071".into(), ..Default::default() }).total, 120);
        assert_eq!(ix.query(&Filter { attack: "T1568".into(), ..Default::default() }).total, 0);
        assert_eq!(ix.facets().detectors["dga"], 60);
    }

    #[test]
    fn status_updates_in_place() {
        let mut ix = FindingIndex::new(vec![mk(0, "beacon", "10.0.0.1", "a.example", 80.0)]);
        let key = ix.rows()[0].f.key.clone();
        ix.set_status(&key, "false_positive", Some("updater".into()));
        assert_eq!(ix.query(&Filter { status: "false_positive".into(), ..Default::default() }).total, 1);
        assert_eq!(ix.query(&Filter { q: "updater".into(), ..Default::default() }).total, 1, "notes are searchable");
        assert_eq!(ix.facets().statuses["false_positive"], 1);
        assert_eq!(ix.facets().statuses["open"], 0);
    }
}
