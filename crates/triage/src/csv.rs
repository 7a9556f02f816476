//! The findings CSV: one column set and one writer for every export — the
//! CLI (`kensa findings --csv`), the report's `findings.csv` and the
//! workbench's export — so a spreadsheet built on one reads the others.
//!
//! RFC 4180 (CRLF line ends, quoting by [`kensa_store::query::csv_cell`]),
//! every cell formula-neutralised there: hosts, paths and user names come
//! from logs and packets and are attacker-controlled. Times are RFC 3339 UTC
//! with milliseconds.

use kensa_detect::Finding;
use kensa_model::days::civil_from_days;
use kensa_store::query::csv_cell;

use crate::status_name;

/// The columns, in order (`in_annex` only when asked for).
pub const COLUMNS: [&str; 23] = [
    "id",
    "key",
    "detector",
    "severity",
    "score",
    "status",
    "note",
    "src_ip",
    "src_user",
    "src_hostname",
    "dst_host",
    "dst_domain",
    "dst_ip",
    "dst_port",
    "service",
    "category",
    "first_seen",
    "last_seen",
    "count",
    "bytes_up",
    "bytes_down",
    "attack",
    "title",
];

/// One line of the CSV.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    /// The finding (its `status` is written unless `status` is given).
    pub finding: &'a Finding,
    /// The analyst's note, if any.
    pub note: Option<&'a str>,
    /// A status name overriding the finding's (the workbench's live view).
    pub status: Option<&'a str>,
    /// Whether the report put the finding in its annex (written only by
    /// [`findings_csv`] with `annex_column`).
    pub in_annex: bool,
}

impl<'a> Row<'a> {
    /// A row with no note, no override, not in an annex.
    pub fn of(finding: &'a Finding) -> Row<'a> {
        Row {
            finding,
            note: None,
            status: None,
            in_annex: false,
        }
    }
}

/// RFC 3339 UTC with milliseconds (`2024-01-01T09:00:00.000Z`).
pub fn rfc3339_ms(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

/// Writes the header and one line per row. `annex_column` adds `in_annex`
/// after `status` (the report's body/annex split).
pub fn findings_csv<'a>(rows: impl IntoIterator<Item = Row<'a>>, annex_column: bool) -> String {
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = String>| {
        for (i, c) in cells.enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&csv_cell(&c));
        }
        out.push_str("\r\n");
    };
    let header = COLUMNS.iter().enumerate().flat_map(|(i, c)| {
        let annex = (annex_column && i == 6).then(|| "in_annex".to_string());
        annex.into_iter().chain(std::iter::once(c.to_string()))
    });
    line(&mut header.collect::<Vec<_>>().into_iter());
    for r in rows {
        let f = r.finding;
        let o = |x: &Option<String>| x.clone().unwrap_or_default();
        let mut cells = vec![
            f.id.clone(),
            f.key.clone(),
            f.detector.clone(),
            f.severity.as_str().to_string(),
            format!("{:.1}", f.score),
            r.status
                .map(str::to_string)
                .unwrap_or_else(|| status_name(f.status)),
        ];
        if annex_column {
            cells.push(r.in_annex.to_string());
        }
        cells.extend([
            r.note.unwrap_or_default().to_string(),
            o(&f.src.ip),
            o(&f.src.user),
            o(&f.src.hostname),
            o(&f.dst.host),
            o(&f.dst.domain),
            o(&f.dst.ip),
            f.dst.port.map(|p| p.to_string()).unwrap_or_default(),
            o(&f.dst.service),
            o(&f.dst.category),
            rfc3339_ms(f.first_seen),
            rfc3339_ms(f.last_seen),
            f.count.to_string(),
            f.bytes_up.map(|b| b.to_string()).unwrap_or_default(),
            f.bytes_down.map(|b| b.to_string()).unwrap_or_default(),
            f.attack.join(" "),
            f.title.clone(),
        ]);
        line(&mut cells.into_iter());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(1_704_067_200_123), "2024-01-01T00:00:00.123Z");
        assert_eq!(rfc3339_ms(1_709_251_199_999), "2024-02-29T23:59:59.999Z");
        assert_eq!(rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn one_column_set_quoted_and_neutralised() {
        let mut f = Finding::new("beacon", "10.0.0.1", "=cmd|' /C calc'!A0", "t".into(), 80.0);
        f.dst.host = Some("=cmd|' /C calc'!A0".into());
        f.src.user = Some("CORP\\tanaka, \"x\"".into());
        f.first_seen = 1_704_067_200_000;
        f.last_seen = 1_704_067_260_000;
        let csv = findings_csv(
            [Row {
                note: Some("line1\nline2"),
                ..Row::of(&f)
            }],
            false,
        );
        let mut lines = csv.split("\r\n");
        let header = lines.next().unwrap();
        assert_eq!(header, COLUMNS.join(","));
        let body = lines.next().unwrap();
        assert!(!body.contains(",=cmd"), "{body}");
        assert!(body.contains("'=cmd"), "{body}");
        assert!(body.contains("\"CORP\\tanaka, \"\"x\"\"\""), "{body}");
        assert!(body.contains("\"line1\nline2\""), "{body}");
        assert!(body.contains("2024-01-01T00:00:00.000Z"), "{body}");
        assert!(body.contains(",open,"), "{body}");
        let annexed = findings_csv(
            [Row {
                in_annex: true,
                status: Some("benign"),
                ..Row::of(&f)
            }],
            true,
        );
        let h: Vec<&str> = annexed.lines().next().unwrap().split(',').collect();
        assert_eq!(h.len(), COLUMNS.len() + 1);
        assert_eq!(&h[5..8], &["status", "in_annex", "note"]);
        assert!(annexed.contains(",benign,true,"), "{annexed}");
    }
}
