//! The columnar in-memory event table detectors read, and its builder.
//!
//! One row is one web transaction (a `web_requests` row plus its enrichment).
//! Strings are interned into per-column dictionaries ([`Interner`]) and rows
//! hold `u32` ids, so a week of 100 M rows stays a few GB. Layout per row:
//!
//! | column | bytes |
//! |---|---|
//! | `ts_ms` | 8 |
//! | src ip, user, host, dst ip, user agent ids | 5 × 4 |
//! | bytes up / down (`u32`, overflow side table) | 2 × 4 |
//! | content type id, category id | 2 × 2 |
//! | method, flags | 2 × 1 |
//! | status, port | 2 × 2 |
//! | duration (whole seconds, `u16`, saturating at ~18 h) | 2 |
//! | locator (file id `u16`, line `u32`) | 6 |
//!
//! That is 54 bytes per row; the registered domain and the service id are a
//! function of the host and live in per-host side columns.
//! [`EventTable::approx_bytes`] reports the real figure.

use indexmap::IndexSet;
use std::collections::HashMap;

/// Id of an interned string. [`NONE`] means the field was absent.
pub type Sym = u32;
/// The id stored when a field was absent (`None` in the record).
pub const NONE: Sym = u32::MAX;

/// A string dictionary: each distinct string gets a dense `u32` id.
///
/// Backed by [`indexmap::IndexSet`] so each string is stored once and the id
/// is its insertion index.
#[derive(Debug, Default, Clone)]
pub struct Interner {
    set: IndexSet<Box<str>>,
}

impl Interner {
    /// Interns `s` and returns its id. Saturates: once `u32::MAX - 1`
    /// distinct strings are stored, further new strings get [`NONE`].
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(i) = self.set.get_index_of(s) {
            return i as Sym;
        }
        if self.set.len() >= (NONE - 1) as usize {
            return NONE;
        }
        let (i, _) = self.set.insert_full(s.into());
        i as Sym
    }
    /// Interns an optional string (`None` → [`NONE`]).
    pub fn intern_opt(&mut self, s: Option<&str>) -> Sym {
        s.map_or(NONE, |s| self.intern(s))
    }
    /// The string behind `id`, or `None` for [`NONE`] / unknown ids.
    pub fn get(&self, id: Sym) -> Option<&str> {
        self.set.get_index(id as usize).map(|s| &**s)
    }
    /// The id of `s` if it was interned.
    pub fn lookup(&self, s: &str) -> Option<Sym> {
        self.set.get_index_of(s).map(|i| i as Sym)
    }
    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.set.len()
    }
    /// Whether no string was interned.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
    fn heap_bytes(&self) -> usize {
        self.set.iter().map(|s| s.len() + 16).sum::<usize>() + self.set.capacity() * 24
    }
}

/// HTTP method, as a small int.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Method {
    /// Method not logged.
    None = 0,
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `HEAD`
    Head,
    /// `CONNECT`
    Connect,
    /// `OPTIONS`
    Options,
    /// `DELETE`
    Delete,
    /// `PATCH`
    Patch,
    /// Any other method.
    Other,
}

impl Method {
    /// Maps a method string (any case) to the enum.
    pub fn parse(s: Option<&str>) -> Method {
        let Some(s) = s else { return Method::None };
        const M: [(&str, Method); 8] = [
            ("GET", Method::Get),
            ("POST", Method::Post),
            ("PUT", Method::Put),
            ("HEAD", Method::Head),
            ("CONNECT", Method::Connect),
            ("OPTIONS", Method::Options),
            ("DELETE", Method::Delete),
            ("PATCH", Method::Patch),
        ];
        M.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map_or(Method::Other, |(_, m)| *m)
    }
    fn from_u8(v: u8) -> Method {
        match v {
            1 => Method::Get,
            2 => Method::Post,
            3 => Method::Put,
            4 => Method::Head,
            5 => Method::Connect,
            6 => Method::Options,
            7 => Method::Delete,
            8 => Method::Patch,
            9 => Method::Other,
            _ => Method::None,
        }
    }
}

/// Where a row came from: source file id (the lead's file table) and line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Locator {
    /// Index of the source file in the case's file list.
    pub file: u16,
    /// 1-based line number (or packet/flow number for pcaps).
    pub line: u32,
}

/// One row to push, with borrowed strings (nothing is copied unless new).
#[derive(Debug, Clone, Default)]
pub struct RowIn<'a> {
    /// Event time, ms since the Unix epoch (UTC).
    pub ts_ms: i64,
    /// Client address (or name) as logged.
    pub src_ip: Option<&'a str>,
    /// Authenticated user.
    pub user: Option<&'a str>,
    /// Destination host (FQDN or IP literal), lower-case.
    pub host: Option<&'a str>,
    /// Registered domain of `host` (from the enrich stage, e.g. via PSL).
    pub domain: Option<&'a str>,
    /// Server IP the proxy connected to.
    pub dst_ip: Option<&'a str>,
    /// Destination port.
    pub port: Option<u16>,
    /// HTTP method text.
    pub method: Option<&'a str>,
    /// HTTP status.
    pub status: Option<u16>,
    /// Upload bytes, if logged.
    pub bytes_up: Option<u64>,
    /// Download bytes, if logged.
    pub bytes_down: Option<u64>,
    /// User-Agent.
    pub user_agent: Option<&'a str>,
    /// Reply content type.
    pub content_type: Option<&'a str>,
    /// Whether a Referer header was present.
    pub has_referer: bool,
    /// Whether `host` is an IP literal.
    pub is_ip_literal: bool,
    /// Cloud service name (enrichment), e.g. `dropbox`.
    pub service: Option<&'a str>,
    /// Catalog category of `service` (enrichment), e.g. `storage`,
    /// `webmail`, `generative_ai`. Like `service`, a function of the host:
    /// kept per host, not per row.
    pub service_category: Option<&'a str>,
    /// URL category (proxy's or enrichment's).
    pub category: Option<&'a str>,
    /// Whether the client is internal (enrichment).
    pub src_internal: bool,
    /// Transaction duration in ms, if logged (CONNECT tunnels: how long
    /// the tunnel stayed open). Stored in whole seconds, saturating at
    /// 65 534 s (~18.2 h), which is past every tier detectors use.
    pub duration_ms: Option<i64>,
    /// Whether the enrich stage matched an upload-action rule (a request
    /// that uploads to a service: file upload, attachment, prompt, paste).
    pub upload_action: bool,
    /// Whether the organisation's policy sanctions the service (enrich
    /// `Sanction::Sanctioned`); `false` for unsanctioned and unknown.
    pub sanctioned: bool,
    /// Source file and line, for evidence samples.
    pub locator: Locator,
    /// Threat-intel matches of this record (ids from
    /// [`EventTable::add_ioc`]); empty for almost every row. Stored
    /// sparsely, so rows without hits cost nothing.
    pub intel: &'a [IntelHit],
}

/// How a record matched an indicator (mirrors the intel crate's match
/// kinds; detect does not depend on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum IntelHow {
    /// The same normalised value (host, address or URL).
    Exact,
    /// The host is a sub-domain of a listed domain.
    Subdomain,
    /// The address is inside a listed network of this prefix length.
    Cidr(u8),
    /// The URL continues a listed URL (path prefix or added query).
    UrlPrefix,
    /// The host serves a listed URL, the URL itself is unknown (HTTPS
    /// `CONNECT`): weak evidence.
    UrlHost,
    /// Recorded at ingest as `source:kind:value`; how it matched is not
    /// known.
    #[default]
    Recorded,
}

/// One indicator as detectors see it. Text fields come from feeds and are
/// attacker-controlled.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ioc {
    /// Feed (source) name, as imported.
    pub source: String,
    /// Indicator kind (`domain`, `ip`, `cidr`, `url`, …).
    pub kind: String,
    /// The normalised indicator value.
    pub value: String,
    /// Feed confidence 0–100, if given.
    pub confidence: Option<u8>,
    /// Threat type (`botnet_cc`, `malware_download`, `tor_exit`, …).
    pub threat_type: Option<String>,
    /// Malware family.
    pub malware: Option<String>,
    /// Feed tags.
    pub tags: Vec<String>,
    /// Destination port the feed ties to the indicator.
    pub port: Option<u16>,
    /// False when the feed marks the value as context only (MISP
    /// `to_ids: false`).
    pub alerting: bool,
}

/// One match of a row against an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IntelHit {
    /// Indicator id ([`EventTable::ioc`]).
    pub ioc: u32,
    /// How it matched.
    pub how: IntelHow,
}

const F_REFERER: u8 = 1;
const F_CONNECT: u8 = 2;
const F_IP_LITERAL: u8 = 4;
const F_SRC_INTERNAL: u8 = 8;
const F_UPLOAD_ACTION: u8 = 16;
const F_SANCTIONED: u8 = 32;
const DUR_NONE: u16 = u16::MAX;
const BYTES_NONE: u32 = u32::MAX;
const BYTES_BIG: u32 = u32::MAX - 1;
const SMALL_NONE: u16 = u16::MAX;
const SMALL_OTHER: u16 = u16::MAX - 1;

/// Columnar, interned store of a whole case's web transactions.
///
/// Fill it with [`EventTable::push`]; read it through the accessor methods
/// and the grouping helpers in [`crate::group`]. Row order is push order
/// (not necessarily time order).
#[derive(Debug, Default, Clone)]
pub struct EventTable {
    /// Event times (ms).
    pub ts_ms: Vec<i64>,
    /// Client ids (into [`EventTable::srcs`]).
    pub src: Vec<Sym>,
    /// User ids (into [`EventTable::users`]).
    pub user: Vec<Sym>,
    /// Host ids (into [`EventTable::hosts`]).
    pub host: Vec<Sym>,
    /// Destination IP ids (into [`EventTable::ips`]).
    pub dst_ip: Vec<Sym>,
    /// User-agent ids (into [`EventTable::uas`]).
    pub ua: Vec<Sym>,
    bytes_up: Vec<u32>,
    bytes_down: Vec<u32>,
    big_bytes: HashMap<(u32, bool), u64>,
    ctype: Vec<u16>,
    category: Vec<u16>,
    method: Vec<u8>,
    flags: Vec<u8>,
    status: Vec<u16>,
    port: Vec<u16>,
    duration_s: Vec<u16>,
    locator_file: Vec<u16>,
    locator_line: Vec<u32>,
    /// Per host id: registered-domain id (into [`EventTable::domains`]).
    pub host_domain: Vec<Sym>,
    /// Per host id: service id (into [`EventTable::services`]).
    pub host_service: Vec<Sym>,
    /// Per host id: service-category id (into
    /// [`EventTable::service_categories`]).
    pub host_service_category: Vec<Sym>,
    /// Client address dictionary.
    pub srcs: Interner,
    /// User dictionary.
    pub users: Interner,
    /// Host (FQDN / IP literal) dictionary.
    pub hosts: Interner,
    /// Registered-domain dictionary.
    pub domains: Interner,
    /// Destination IP dictionary (also holds IP literals used as hosts).
    pub ips: Interner,
    /// User-agent dictionary.
    pub uas: Interner,
    /// Content-type dictionary (at most 65 533 kinds, then "other").
    pub ctypes: Interner,
    /// Category dictionary (at most 65 533 kinds, then "other").
    pub categories: Interner,
    /// Service dictionary.
    pub services: Interner,
    /// Service-category dictionary.
    pub service_categories: Interner,
    iocs: Vec<Ioc>,
    ioc_index: HashMap<(String, String, String), u32>,
    /// Rows with intel hits (ascending push order) and, per such row, the
    /// end of its run in `intel_hits` (CSR layout).
    intel_rows: Vec<u32>,
    intel_ends: Vec<u32>,
    intel_hits: Vec<IntelHit>,
}

fn small_id(int: &mut Interner, s: Option<&str>) -> u16 {
    match s {
        None => SMALL_NONE,
        Some(s) => {
            if let Some(id) = int.lookup(s) {
                return id as u16;
            }
            if int.len() >= SMALL_OTHER as usize {
                return SMALL_OTHER;
            }
            int.intern(s) as u16
        }
    }
}

impl EventTable {
    /// An empty table.
    pub fn new() -> EventTable {
        EventTable::default()
    }

    /// An empty table with room for `rows` rows.
    pub fn with_capacity(rows: usize) -> EventTable {
        let mut t = EventTable::default();
        t.ts_ms.reserve(rows);
        t.src.reserve(rows);
        t.user.reserve(rows);
        t.host.reserve(rows);
        t.dst_ip.reserve(rows);
        t.ua.reserve(rows);
        t.bytes_up.reserve(rows);
        t.bytes_down.reserve(rows);
        t.ctype.reserve(rows);
        t.category.reserve(rows);
        t.method.reserve(rows);
        t.flags.reserve(rows);
        t.status.reserve(rows);
        t.port.reserve(rows);
        t.duration_s.reserve(rows);
        t.locator_file.reserve(rows);
        t.locator_line.reserve(rows);
        t
    }

    /// Appends one row and returns its index. Never fails: a table of more
    /// than `u32::MAX` rows is refused by returning `None`.
    pub fn push(&mut self, r: &RowIn<'_>) -> Option<u32> {
        let row = self.ts_ms.len();
        if row >= u32::MAX as usize {
            return None;
        }
        let row = row as u32;
        self.ts_ms.push(r.ts_ms);
        let src = self.srcs.intern_opt(r.src_ip);
        self.src.push(src);
        let user = self.users.intern_opt(r.user);
        self.user.push(user);
        let host = self.hosts.intern_opt(r.host);
        self.host.push(host);
        if host != NONE {
            let h = host as usize;
            if self.host_domain.len() <= h {
                self.host_domain.resize(h + 1, NONE);
                self.host_service.resize(h + 1, NONE);
                self.host_service_category.resize(h + 1, NONE);
            }
            if self.host_domain[h] == NONE {
                self.host_domain[h] = self.domains.intern_opt(r.domain);
            }
            if self.host_service[h] == NONE {
                self.host_service[h] = self.services.intern_opt(r.service);
            }
            if self.host_service_category[h] == NONE {
                self.host_service_category[h] =
                    self.service_categories.intern_opt(r.service_category);
            }
        }
        let ip = self.ips.intern_opt(r.dst_ip);
        self.dst_ip.push(ip);
        let ua = self.uas.intern_opt(r.user_agent);
        self.ua.push(ua);
        for (up, v) in [(true, r.bytes_up), (false, r.bytes_down)] {
            let stored = match v {
                None => BYTES_NONE,
                Some(b) if b >= BYTES_BIG as u64 => {
                    self.big_bytes.insert((row, up), b);
                    BYTES_BIG
                }
                Some(b) => b as u32,
            };
            if up {
                self.bytes_up.push(stored);
            } else {
                self.bytes_down.push(stored);
            }
        }
        let ct = small_id(&mut self.ctypes, r.content_type);
        self.ctype.push(ct);
        let cat = small_id(&mut self.categories, r.category);
        self.category.push(cat);
        let m = Method::parse(r.method);
        self.method.push(m as u8);
        let mut f = 0;
        if r.has_referer {
            f |= F_REFERER;
        }
        if m == Method::Connect {
            f |= F_CONNECT;
        }
        if r.is_ip_literal {
            f |= F_IP_LITERAL;
        }
        if r.src_internal {
            f |= F_SRC_INTERNAL;
        }
        if r.upload_action {
            f |= F_UPLOAD_ACTION;
        }
        if r.sanctioned {
            f |= F_SANCTIONED;
        }
        self.flags.push(f);
        self.status.push(r.status.unwrap_or(0));
        self.port.push(r.port.unwrap_or(0));
        let dur = match r.duration_ms {
            None => DUR_NONE,
            Some(ms) if ms < 0 => DUR_NONE,
            Some(ms) => (ms / 1000).min((DUR_NONE - 1) as i64) as u16,
        };
        self.duration_s.push(dur);
        self.locator_file.push(r.locator.file);
        self.locator_line.push(r.locator.line);
        if !r.intel.is_empty() {
            let valid = r.intel.iter().filter(|h| (h.ioc as usize) < self.iocs.len());
            self.intel_hits.extend(valid);
            if self.intel_hits.len() > self.intel_ends.last().copied().unwrap_or(0) as usize {
                self.intel_rows.push(row);
                self.intel_ends.push(self.intel_hits.len() as u32);
            }
        }
        Some(row)
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ts_ms.len()
    }
    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.ts_ms.is_empty()
    }
    /// Earliest and latest event time, or `None` for an empty table.
    pub fn time_range(&self) -> Option<(i64, i64)> {
        let min = *self.ts_ms.iter().min()?;
        let max = *self.ts_ms.iter().max()?;
        Some((min, max))
    }
    /// Upload bytes of `row`, `None` if not logged.
    pub fn bytes_up(&self, row: u32) -> Option<u64> {
        self.bytes(row, true)
    }
    /// Download bytes of `row`, `None` if not logged.
    pub fn bytes_down(&self, row: u32) -> Option<u64> {
        self.bytes(row, false)
    }
    fn bytes(&self, row: u32, up: bool) -> Option<u64> {
        let col = if up { &self.bytes_up } else { &self.bytes_down };
        match *col.get(row as usize)? {
            BYTES_NONE => None,
            BYTES_BIG => self.big_bytes.get(&(row, up)).copied(),
            b => Some(b as u64),
        }
    }
    /// HTTP method of `row`.
    pub fn method(&self, row: u32) -> Method {
        Method::from_u8(self.method.get(row as usize).copied().unwrap_or(0))
    }
    /// HTTP status (`None` if not logged / none sent).
    pub fn status(&self, row: u32) -> Option<u16> {
        self.status.get(row as usize).copied().filter(|&s| s != 0)
    }
    /// Destination port (`None` if unknown).
    pub fn port(&self, row: u32) -> Option<u16> {
        self.port.get(row as usize).copied().filter(|&p| p != 0)
    }
    fn flag(&self, row: u32, f: u8) -> bool {
        self.flags.get(row as usize).is_some_and(|v| v & f != 0)
    }
    /// Whether a Referer was sent.
    pub fn has_referer(&self, row: u32) -> bool {
        self.flag(row, F_REFERER)
    }
    /// Whether the request is a `CONNECT` tunnel.
    pub fn is_connect(&self, row: u32) -> bool {
        self.flag(row, F_CONNECT)
    }
    /// Whether the host is an IP literal.
    pub fn is_ip_literal(&self, row: u32) -> bool {
        self.flag(row, F_IP_LITERAL)
    }
    /// Whether the client is internal.
    pub fn src_internal(&self, row: u32) -> bool {
        self.flag(row, F_SRC_INTERNAL)
    }
    /// Whether the request matched an upload-action rule (enrich).
    pub fn upload_action(&self, row: u32) -> bool {
        self.flag(row, F_UPLOAD_ACTION)
    }
    /// Whether the service is sanctioned by policy (enrich).
    pub fn sanctioned(&self, row: u32) -> bool {
        self.flag(row, F_SANCTIONED)
    }
    /// Duration in whole seconds (`None` if not logged or negative);
    /// saturates at 65 534 s.
    pub fn duration_s(&self, row: u32) -> Option<u32> {
        self.duration_s
            .get(row as usize)
            .copied()
            .filter(|&d| d != DUR_NONE)
            .map(u32::from)
    }
    /// Content type string of `row` (`"other"` past the dictionary limit).
    pub fn content_type(&self, row: u32) -> Option<&str> {
        small_str(&self.ctypes, self.ctype.get(row as usize).copied())
    }
    /// Category string of `row` (`"other"` past the dictionary limit).
    pub fn category(&self, row: u32) -> Option<&str> {
        small_str(&self.categories, self.category.get(row as usize).copied())
    }
    /// Registered-domain id of `row`'s host.
    pub fn domain(&self, row: u32) -> Sym {
        let h = self.host.get(row as usize).copied().unwrap_or(NONE);
        self.host_domain.get(h as usize).copied().unwrap_or(NONE)
    }
    /// Service id of `row`'s host.
    pub fn service(&self, row: u32) -> Sym {
        let h = self.host.get(row as usize).copied().unwrap_or(NONE);
        self.host_service.get(h as usize).copied().unwrap_or(NONE)
    }
    /// Service-category text of `row`'s host (e.g. `storage`).
    pub fn service_category(&self, row: u32) -> Option<&str> {
        let h = self.host.get(row as usize).copied().unwrap_or(NONE);
        let c = self
            .host_service_category
            .get(h as usize)
            .copied()
            .unwrap_or(NONE);
        self.service_categories.get(c)
    }
    /// Source file and line of `row`.
    pub fn locator(&self, row: u32) -> Locator {
        Locator {
            file: self.locator_file.get(row as usize).copied().unwrap_or(0),
            line: self.locator_line.get(row as usize).copied().unwrap_or(0),
        }
    }
    /// Registers an indicator and returns its id for [`IntelHit::ioc`].
    /// The same (source, kind, value) gets the same id; metadata of the
    /// first registration is kept, except that known fields fill unknown
    /// ones.
    pub fn add_ioc(&mut self, ioc: Ioc) -> u32 {
        let k = (ioc.source.clone(), ioc.kind.clone(), ioc.value.clone());
        if let Some(&id) = self.ioc_index.get(&k) {
            let e = &mut self.iocs[id as usize];
            e.confidence = e.confidence.or(ioc.confidence);
            e.threat_type = e.threat_type.take().or(ioc.threat_type);
            e.malware = e.malware.take().or(ioc.malware);
            e.port = e.port.or(ioc.port);
            if e.tags.is_empty() {
                e.tags = ioc.tags;
            }
            return id;
        }
        let id = self.iocs.len() as u32;
        self.iocs.push(ioc);
        self.ioc_index.insert(k, id);
        id
    }
    /// The indicator behind `id`.
    pub fn ioc(&self, id: u32) -> Option<&Ioc> {
        self.iocs.get(id as usize)
    }
    /// Number of registered indicators.
    pub fn ioc_count(&self) -> usize {
        self.iocs.len()
    }
    /// Parses the ingest-time `intel` column (`source:kind:value;…`, as
    /// written by the CLI's enrichment), registers each indicator (metadata
    /// unknown, alerting) and returns the hits with [`IntelHow::Recorded`].
    /// A URL value may itself contain `;`: a piece that does not start with
    /// `source:kind:` of a known kind continues the previous value.
    pub fn parse_intel_column(&mut self, s: &str) -> Vec<IntelHit> {
        const KINDS: &[&str] = &[
            "ip", "cidr", "domain", "url", "ja3", "ja3s", "ja4", "sha1-cert",
            "sha256-cert", "md5", "sha1", "sha256", "sha512",
        ];
        let mut parts: Vec<(String, String, String)> = Vec::new();
        for piece in s.split(';') {
            let mut it = piece.splitn(3, ':');
            let head = (it.next(), it.next(), it.next());
            match head {
                (Some(src), Some(kind), Some(val))
                    if !src.is_empty() && KINDS.contains(&kind) && !val.is_empty() =>
                {
                    parts.push((src.to_string(), kind.to_string(), val.to_string()));
                }
                _ => {
                    if let Some(last) = parts.last_mut() {
                        last.2.push(';');
                        last.2.push_str(piece);
                    }
                }
            }
        }
        let mut hits: Vec<IntelHit> = parts
            .into_iter()
            .map(|(source, kind, value)| IntelHit {
                ioc: self.add_ioc(Ioc {
                    source,
                    kind,
                    value,
                    alerting: true,
                    ..Default::default()
                }),
                how: IntelHow::Recorded,
            })
            .collect();
        hits.sort();
        hits.dedup();
        hits
    }
    /// The intel hits of `row` (empty for almost every row).
    pub fn intel_hits(&self, row: u32) -> &[IntelHit] {
        match self.intel_rows.binary_search(&row) {
            Ok(i) => self.intel_run(i),
            Err(_) => &[],
        }
    }
    fn intel_run(&self, i: usize) -> &[IntelHit] {
        let start = if i == 0 { 0 } else { self.intel_ends[i - 1] as usize };
        let end = self.intel_ends[i] as usize;
        self.intel_hits.get(start..end).unwrap_or(&[])
    }
    /// Every row with intel hits, in push order, with its hits.
    pub fn intel_rows(&self) -> impl Iterator<Item = (u32, &[IntelHit])> + '_ {
        self.intel_rows
            .iter()
            .enumerate()
            .map(|(i, &r)| (r, self.intel_run(i)))
    }
    /// Approximate heap size in bytes (columns + dictionaries).
    pub fn approx_bytes(&self) -> usize {
        let n = self.ts_ms.capacity();
        n * Self::ROW_BYTES
            + self.big_bytes.len() * 24
            + self.intel_rows.capacity() * 8
            + self.intel_hits.capacity() * 8
            + self.iocs.iter().map(|i| 96 + i.value.len()).sum::<usize>()
            + (self.host_domain.capacity()
                + self.host_service.capacity()
                + self.host_service_category.capacity())
                * 4
            + [
                &self.srcs,
                &self.users,
                &self.hosts,
                &self.domains,
                &self.ips,
                &self.uas,
                &self.ctypes,
                &self.categories,
                &self.services,
                &self.service_categories,
            ]
            .iter()
            .map(|i| i.heap_bytes())
            .sum::<usize>()
    }
    /// Fixed bytes per row in the columns.
    pub const ROW_BYTES: usize = 8 + 5 * 4 + 2 * 4 + 2 * 2 + 2 + 2 * 2 + 2 + 2 + 4;
}

fn small_str(int: &Interner, v: Option<u16>) -> Option<&str> {
    match v? {
        SMALL_NONE => None,
        SMALL_OTHER => Some("other"),
        id => int.get(id as Sym),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(ts: i64, src: &'a str, host: &'a str) -> RowIn<'a> {
        RowIn {
            ts_ms: ts,
            src_ip: Some(src),
            host: Some(host),
            domain: Some("example.com"),
            method: Some("get"),
            bytes_up: Some(10),
            bytes_down: Some(5_000),
            status: Some(200),
            port: Some(443),
            locator: Locator { file: 3, line: 42 },
            ..Default::default()
        }
    }

    #[test]
    fn push_and_read_back() {
        let mut t = EventTable::new();
        assert_eq!(t.time_range(), None);
        let mut big = row(1000, "10.0.0.1", "a.example.com");
        big.bytes_down = Some(5_000_000_000);
        let r0 = t.push(&big).unwrap();
        let r1 = t.push(&row(500, "10.0.0.2", "a.example.com")).unwrap();
        let mut r = row(700, "10.0.0.1", "b.example.com");
        r.bytes_down = None;
        r.method = Some("CONNECT");
        r.content_type = Some("text/html");
        let r2 = t.push(&r).unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t.src[r0 as usize], t.src[r2 as usize]);
        assert_ne!(t.src[r0 as usize], t.src[r1 as usize]);
        assert_eq!(t.host[r0 as usize], t.host[r1 as usize]);
        assert_eq!(t.bytes_down(r0), Some(5_000_000_000));
        assert_eq!(t.bytes_up(r0), Some(10));
        assert_eq!(t.bytes_down(r2), None);
        assert_eq!(t.method(r0), Method::Get);
        assert!(t.is_connect(r2) && !t.is_connect(r0));
        assert_eq!(t.content_type(r2), Some("text/html"));
        assert_eq!(t.content_type(r0), None);
        assert_eq!(t.domains.get(t.domain(r2)), Some("example.com"));
        assert_eq!(t.locator(r1), Locator { file: 3, line: 42 });
        assert_eq!(t.time_range(), Some((500, 1000)));
        assert_eq!(t.status(r0), Some(200));
        assert_eq!(t.port(r0), Some(443));
        assert_eq!(t.duration_s(r0), None);
        assert!(!t.upload_action(r0) && !t.sanctioned(r0));
        let mut long = row(2000, "10.0.0.3", "c.example.com");
        long.duration_ms = Some(5 * 3_600_000 + 999);
        long.upload_action = true;
        long.service = Some("dropbox");
        long.service_category = Some("storage");
        long.sanctioned = true;
        let r3 = t.push(&long).unwrap();
        assert_eq!(t.duration_s(r3), Some(5 * 3600));
        assert!(t.upload_action(r3) && t.sanctioned(r3));
        assert_eq!(t.service_category(r3), Some("storage"));
        assert_eq!(t.service_category(r0), None);
        long.duration_ms = Some(i64::MAX);
        let r4 = t.push(&long).unwrap();
        assert_eq!(t.duration_s(r4), Some(65_534));
        long.duration_ms = Some(-5);
        let r5 = t.push(&long).unwrap();
        assert_eq!(t.duration_s(r5), None);
        // Out-of-range rows answer None/defaults, never panic.
        assert_eq!(t.bytes_up(99), None);
        assert_eq!(t.method(99), Method::None);
        assert_eq!(t.domain(99), NONE);
    }

    #[test]
    fn row_size_is_compact() {
        assert_eq!(EventTable::ROW_BYTES, 54);
        let mut t = EventTable::with_capacity(10_000);
        let hosts: Vec<String> = (0..50).map(|i| format!("h{i}.example.com")).collect();
        for i in 0..10_000i64 {
            t.push(&row(i, "10.0.0.1", &hosts[(i % 50) as usize]));
        }
        let per_row = t.approx_bytes() as f64 / 10_000.0;
        assert!(per_row < 60.0, "{per_row} bytes/row");
    }
}
