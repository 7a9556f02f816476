//! CSV exports: findings (body and annex, with verdicts and notes) and the
//! cloud-service inventory. RFC 4180 quoting; every cell goes through
//! [`kensa_store::query::escape_csv_formula`] so a spreadsheet never runs a
//! cell from a log as a formula.

use crate::gather::Report;

/// One RFC 4180 cell, formula prefixes neutralised.
pub use kensa_store::query::csv_cell as cell;

fn row(out: &mut String, cells: &[String]) {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&cell(c));
    }
    out.push_str("\r\n");
}

fn ms(v: i64) -> String {
    kensa_triage::csv::rfc3339_ms(v)
}

/// The findings table: body first, then the annex (`in_annex` = true), in
/// the column set every export shares ([`kensa_triage::csv`]).
pub fn findings(r: &Report) -> String {
    let rows = r.findings.iter().map(|v| (false, v)).chain(r.annex.iter().map(|v| (true, v))).map(|(in_annex, v)| kensa_triage::csv::Row {
        finding: &v.finding,
        note: v.note.as_deref(),
        status: None,
        in_annex,
    });
    kensa_triage::csv::findings_csv(rows, true)
}

/// The cloud-service inventory: one row per user (or client) × service.
pub fn services(r: &Report) -> String {
    let mut out = String::new();
    row(
        &mut out,
        &["who", "user", "src_ips", "service", "category", "sanctioned", "requests", "bytes_up", "bytes_down", "upload_actions", "upload_bytes", "first_seen", "last_seen"]
            .map(String::from),
    );
    for i in &r.leak.inventory {
        let o = |x: Option<u64>| x.map(|v| v.to_string()).unwrap_or_default();
        row(
            &mut out,
            &[
                i.who.clone(),
                i.user.clone().unwrap_or_default(),
                i.src_ips.join(" "),
                i.service.clone(),
                i.category.clone().unwrap_or_default(),
                i.sanctioned.to_string(),
                i.requests.to_string(),
                o(i.bytes_up),
                o(i.bytes_down),
                i.upload_actions.to_string(),
                o(i.upload_bytes),
                ms(i.first_seen),
                ms(i.last_seen),
            ],
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(cell("=HYPERLINK(\"http://x\",\"y\")"), "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-2+3"), "'-2+3");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\tx"), "'\tx");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("plain"), "plain");
    }
}
