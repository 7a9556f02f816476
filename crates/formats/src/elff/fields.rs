//! ELFF / W3C field names → record slots, and the headerless ProxySG presets.

/// Where one column's value goes. Columns kensa does not use are `Ignore`
/// (they are still counted, so later columns stay aligned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    Ignore,
    Date,
    Time,
    TimeTaken,
    TimestampUnix,
    /// `localtime`/`gmttime`: `[17/Oct/2024:10:00:00 +0900]` (NCSA style,
    /// bracketed, with its offset).
    ClfTime,
    ClientIp,
    ClientPort,
    User,
    /// `s-supplier-ip`, `r-ip`: the origin (or upstream) server's address.
    ServerIp,
    /// `s-supplier-name`: used as the server address only if it is an IP.
    SupplierName,
    /// `s-ip`: the proxy itself for ProxySG; the web server for IIS/W3C.
    LocalIp,
    Status,
    Action,
    FilterResult,
    ExceptionId,
    Method,
    ContentType,
    Scheme,
    Host,
    /// `cs(Host)`: may carry `:port`.
    HostHeader,
    Port,
    /// `s-port`: the port the client connected to (IIS).
    ServerPort,
    Path,
    Query,
    /// `cs-uri`: the whole URL.
    Uri,
    UserAgent,
    Referer,
    BytesDown,
    BytesUp,
    Categories,
    Hierarchy,
    /// Cisco WSA `x-resultcode-httpstatus`: `TCP_MISS/200`, Squid-style.
    ActionStatus,
}

/// Maps one `#Fields:` identifier to its slot (case-insensitive, as the W3C
/// draft says header names are).
pub(crate) fn slot_for(name: &str) -> Slot {
    const TABLE: &[(&str, Slot)] = &[
        ("date", Slot::Date),
        ("time", Slot::Time),
        ("time-taken", Slot::TimeTaken),
        ("x-timestamp-unix", Slot::TimestampUnix),
        ("localtime", Slot::ClfTime),
        ("gmttime", Slot::ClfTime),
        ("c-ip", Slot::ClientIp),
        ("c-port", Slot::ClientPort),
        ("cs-username", Slot::User),
        ("s-supplier-ip", Slot::ServerIp),
        ("r-ip", Slot::ServerIp),
        ("s-supplier-name", Slot::SupplierName),
        ("s-ip", Slot::LocalIp),
        ("sc-status", Slot::Status),
        ("s-action", Slot::Action),
        ("sc-filter-result", Slot::FilterResult),
        ("x-exception-id", Slot::ExceptionId),
        ("cs-method", Slot::Method),
        ("rs(content-type)", Slot::ContentType),
        ("sc(content-type)", Slot::ContentType),
        ("cs-uri-scheme", Slot::Scheme),
        ("cs-host", Slot::Host),
        ("cs(host)", Slot::HostHeader),
        ("cs-uri-port", Slot::Port),
        ("s-port", Slot::ServerPort),
        ("cs-uri-path", Slot::Path),
        ("cs-uri-stem", Slot::Path),
        ("cs-uri-query", Slot::Query),
        ("cs-uri", Slot::Uri),
        ("cs(user-agent)", Slot::UserAgent),
        ("cs(referer)", Slot::Referer),
        ("sc-bytes", Slot::BytesDown),
        ("cs-bytes", Slot::BytesUp),
        ("cs-categories", Slot::Categories),
        ("cs-category", Slot::Categories),
        ("s-hierarchy", Slot::Hierarchy),
        // ISA Server / Forefront TMG web-proxy names for the same things.
        ("c-agent", Slot::UserAgent),
        ("cs-referred", Slot::Referer),
        ("r-host", Slot::Host),
        ("r-port", Slot::Port),
        ("s-operation", Slot::Method),
        ("cs-mime-type", Slot::ContentType),
        ("cs-protocol", Slot::Scheme),
        // Cisco Secure Web Appliance (IronPort WSA) W3C access-log names.
        ("timestamp", Slot::TimestampUnix),
        ("x-elapsed-time", Slot::TimeTaken),
        ("cs-url", Slot::Uri),
        ("sc-http-status", Slot::Status),
        ("sc-result-code", Slot::Action),
        ("x-resultcode-httpstatus", Slot::ActionStatus),
        ("x-webcat-code-full", Slot::Categories),
    ];
    TABLE
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map_or(Slot::Ignore, |&(_, s)| s)
}

/// Field names only ProxySG writes: a W3C header holding one of them is a
/// ProxySG ELFF header.
pub(crate) fn is_proxysg_field(name: &str) -> bool {
    const SG: &[&str] = &[
        "s-action",
        "sc-filter-result",
        "x-exception-id",
        "cs-categories",
        "s-supplier-name",
        "s-supplier-ip",
        "cs-auth-group",
        "x-virus-id",
        "cs-uri-scheme",
    ];
    SG.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// SGOS default `main` access-log format (25 fields), per
/// `shared/formats/proxysg.md` §2. An older, differently ordered list is
/// also deployed under that name; a stream in that order needs its
/// `#Fields:` line (the parser re-keys on one in the stream).
pub(crate) const MAIN: &[&str] = &[
    "date",
    "time",
    "time-taken",
    "c-ip",
    "cs-username",
    "cs-auth-group",
    "x-exception-id",
    "sc-filter-result",
    "cs-categories",
    "cs(Referer)",
    "sc-status",
    "s-action",
    "cs-method",
    "rs(Content-Type)",
    "cs-uri-scheme",
    "cs-host",
    "cs-uri-port",
    "cs-uri-path",
    "cs-uri-query",
    "cs-uri-extension",
    "cs(User-Agent)",
    "s-ip",
    "sc-bytes",
    "cs-bytes",
    "x-virus-id",
];

/// `bcreportermain_v1` (29 fields) plus the 13 fields newer SGOS releases
/// append (42 in all); rows with fewer trailing values are fine.
pub(crate) const BCREPORTERMAIN_V1: &[&str] = &[
    "date",
    "time",
    "time-taken",
    "c-ip",
    "cs-username",
    "cs-auth-group",
    "s-supplier-name",
    "s-supplier-ip",
    "s-supplier-country",
    "s-supplier-failures",
    "x-exception-id",
    "sc-filter-result",
    "cs-categories",
    "cs(Referer)",
    "sc-status",
    "s-action",
    "cs-method",
    "rs(Content-Type)",
    "cs-uri-scheme",
    "cs-host",
    "cs-uri-port",
    "cs-uri-path",
    "cs-uri-query",
    "cs-uri-extension",
    "cs(User-Agent)",
    "s-ip",
    "sc-bytes",
    "cs-bytes",
    "x-virus-id",
    "cs-threat-source",
    "cs-threat-id",
    "rs-threat-source",
    "rs-threat-id",
    "x-bluecoat-application-name",
    "x-bluecoat-application-operation",
    "x-bluecoat-application-groups",
    "cs-threat-risk",
    "x-bluecoat-access-security-policy-action",
    "x-bluecoat-access-security-policy-reason",
    "x-bluecoat-transaction-uuid",
    "x-icap-reqmod-header(X-ICAP-Metadata)",
    "x-icap-respmod-header(X-ICAP-Metadata)",
];

/// Number of leading preset fields a headerless row must have.
pub(crate) const MAIN_MIN: usize = 25;
/// `bcreportermain_v1` rows have the 29 base fields at least.
pub(crate) const BCREPORTERMAIN_V1_MIN: usize = 29;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_insensitive() {
        assert_eq!(slot_for("cs(User-Agent)"), Slot::UserAgent);
        assert_eq!(slot_for("CS(USER-AGENT)"), Slot::UserAgent);
        assert_eq!(slot_for("cs-uri-stem"), Slot::Path);
        assert_eq!(slot_for("x-made-up"), Slot::Ignore);
        assert_eq!(MAIN.len(), MAIN_MIN);
        assert_eq!(BCREPORTERMAIN_V1.len(), 42);
        assert_eq!(BCREPORTERMAIN_V1[28], "x-virus-id");
    }
}
