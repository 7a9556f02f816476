//! CSV exports: findings (body and annex, with verdicts and notes) and the
//! cloud-service inventory. RFC 4180 quoting; every cell goes through
//! [`kensa_store::query::escape_csv_formula`] so a spreadsheet never runs a
//! cell from a log as a formula.

use kensa_detect::Status;

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

fn status_id(s: Status) -> String {
    serde_json::to_value(s).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

fn ms(v: i64) -> String {
    chrono::DateTime::from_timestamp_millis(v).map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)).unwrap_or_default()
}

/// The findings table: body first, then the annex (`in_annex` = true).
pub fn findings(r: &Report) -> String {
    let mut out = String::new();
    row(
        &mut out,
        &[
            "id", "key", "detector", "severity", "score", "status", "in_annex", "note", "src_ip", "src_user", "src_hostname", "dst_host", "dst_domain", "dst_ip",
            "dst_port", "service", "category", "first_seen", "last_seen", "count", "bytes_up", "bytes_down", "attack", "title",
        ]
        .map(String::from),
    );
    for (annexed, v) in r.findings.iter().map(|v| (false, v)).chain(r.annex.iter().map(|v| (true, v))) {
        let f = &v.finding;
        let o = |x: &Option<String>| x.clone().unwrap_or_default();
        row(
            &mut out,
            &[
                f.id.clone(),
                f.key.clone(),
                f.detector.clone(),
                f.severity.as_str().into(),
                format!("{:.1}", f.score),
                status_id(f.status),
                annexed.to_string(),
                o(&v.note),
                o(&f.src.ip),
                o(&f.src.user),
                o(&f.src.hostname),
                o(&f.dst.host),
                o(&f.dst.domain),
                o(&f.dst.ip),
                f.dst.port.map(|p| p.to_string()).unwrap_or_default(),
                o(&f.dst.service),
                o(&f.dst.category),
                ms(f.first_seen),
                ms(f.last_seen),
                f.count.to_string(),
                f.bytes_up.map(|b| b.to_string()).unwrap_or_default(),
                f.bytes_down.map(|b| b.to_string()).unwrap_or_default(),
                f.attack.join(" "),
                f.title.clone(),
            ],
        );
    }
    out
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
