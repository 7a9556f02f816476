//! The service catalog: schema, loading, user overrides, validation, and
//! the host → service index.
//!
//! # File schema
//!
//! A catalog file is TOML with one `[[service]]` table per service:
//!
//! ```toml
//! [[service]]
//! id = "dropbox"                       # unique, lower-case, stable
//! name = "Dropbox"
//! name_ja = "ドロップボックス"          # optional
//! vendor = "Dropbox, Inc."
//! category = "storage"                 # see Category::as_str
//! domains = ["dropbox.com"]            # that name and every name below it
//! hosts = ["dl.example.net"]           # exactly these names
//! patterns = ["*-my.sharepoint.com"]   # `*.x` = strictly below x; `a*b.x` = first-label glob
//! cidrs = ["52.112.0.0/14"]            # published ranges, for hosts logged as IP literals (/8 or narrower)
//! anonymous = false                    # usable without an account
//! link_sharing = true                  # shares files by public link
//! e2ee = false                         # end-to-end encrypted content
//! shared = false                       # a shared API host: see below
//! tenant = { suffixes = ["slack.com"], exclude = ["app", "api"] }
//! [[service.upload]]
//! name = "files-upload"
//! methods = ["POST"]                   # empty = any method
//! hosts = ["content.dropboxapi.com"]   # empty = any host of the service
//! path = "/2/files/upload"             # regex, anchored at the start of the path
//! query = "act=sm"                     # optional regex, searched in the query
//! service = "google-drive"             # optional: the upload belongs to this service
//! ```
//!
//! `service` on an upload rule serves shared API hosts: `www.googleapis.com`
//! belongs to the `google-apis` entry, whose `/upload/drive/` rule reports
//! the request as a Google Drive upload. Such an entry says `shared = true`:
//! a request to it that no upload rule claims is reported with no service,
//! since the host alone does not tell which service was used.
//!
//! A user file has the same schema. An entry whose `id` is already in the
//! catalog replaces it whole; `enabled = false` (with just the `id`) removes
//! it. A name claimed by two services is an error naming both.

use std::collections::HashMap;
use std::path::Path;

use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use crate::category::Category;
use crate::error::{Error, Result, line_of};
use crate::host::{self, HostPattern};

/// The catalog files compiled into the binary, by file name.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    ("storage.toml", include_str!("../catalog/storage.toml")),
    (
        "file_transfer.toml",
        include_str!("../catalog/file_transfer.toml"),
    ),
    ("webmail.toml", include_str!("../catalog/webmail.toml")),
    ("social.toml", include_str!("../catalog/social.toml")),
    ("messaging.toml", include_str!("../catalog/messaging.toml")),
    ("paste.toml", include_str!("../catalog/paste.toml")),
    (
        "code_hosting.toml",
        include_str!("../catalog/code_hosting.toml"),
    ),
    (
        "generative_ai.toml",
        include_str!("../catalog/generative_ai.toml"),
    ),
    (
        "remote_access.toml",
        include_str!("../catalog/remote_access.toml"),
    ),
    ("vpn_proxy.toml", include_str!("../catalog/vpn_proxy.toml")),
    ("tor.toml", include_str!("../catalog/tor.toml")),
    (
        "url_shortener.toml",
        include_str!("../catalog/url_shortener.toml"),
    ),
    (
        "dynamic_dns.toml",
        include_str!("../catalog/dynamic_dns.toml"),
    ),
    (
        "conferencing.toml",
        include_str!("../catalog/conferencing.toml"),
    ),
    (
        "collaboration.toml",
        include_str!("../catalog/collaboration.toml"),
    ),
];

/// One web service of the catalog.
#[derive(Debug, Clone)]
pub struct Service {
    /// Stable id (`dropbox`, `gigafile`, …).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Japanese display name, where one is in common use.
    pub name_ja: Option<String>,
    /// Who runs it.
    pub vendor: String,
    /// What kind of service.
    pub category: Category,
    /// Names matched with everything below them.
    pub domains: Vec<String>,
    /// Names matched exactly.
    pub hosts: Vec<String>,
    /// Wildcard patterns as written.
    pub patterns: Vec<String>,
    /// Address ranges the vendor publishes for the service (reached by IP
    /// literal, e.g. Teams media relays), matched when the host is an IP.
    pub cidrs: Vec<ipnet::IpNet>,
    /// Usable without an account.
    pub anonymous: bool,
    /// Shares files by public link.
    pub link_sharing: bool,
    /// Content is end-to-end encrypted (the proxy cannot see it even with TLS inspection).
    pub e2ee: bool,
    /// A shared API host (`www.googleapis.com`): only its upload rules name
    /// a service; other requests to it are reported with none.
    pub shared: bool,
    /// How to read the tenant (organisation / workspace) from the host.
    pub tenant: Option<TenantRule>,
    /// Requests that mean "upload / send / post".
    pub uploads: Vec<UploadRule>,
    /// Free text for analysts.
    pub note: Option<String>,
    /// The file the entry came from (`storage.toml`, or the user file's path).
    pub source: String,
}

/// Reads a tenant name out of a host: the label directly left of one of
/// `suffixes` (`contoso` in `contoso.sharepoint.com`), minus any `strip`
/// ending (`-my`), unless the label is in `exclude` (`www`, `app`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRule {
    /// The names tenants sit under.
    pub suffixes: Vec<String>,
    /// Endings removed from the label (`-my`, `-admin`).
    pub strip: Vec<String>,
    /// Labels that are the vendor's own hosts, not tenants.
    pub exclude: Vec<String>,
}

impl TenantRule {
    /// The tenant of `host` (normalised), if it has one.
    pub fn tenant_of<'h>(&self, host: &'h str) -> Option<&'h str> {
        // The most specific suffix wins (`s.cybozu.com` before `cybozu.com`).
        let suffix = self
            .suffixes
            .iter()
            .filter(|s| host::is_below(host, s))
            .max_by_key(|s| s.len())?;
        let left = &host[..host.len() - suffix.len() - 1];
        let label = left.rsplit('.').next().unwrap_or(left);
        let mut t = label;
        for s in &self.strip {
            if let Some(x) = t.strip_suffix(s.as_str()) {
                t = x;
                break;
            }
        }
        if t.is_empty() || self.exclude.iter().any(|e| e == label || e == t) {
            return None;
        }
        Some(t)
    }
}

/// A request pattern that means an upload, send or post.
#[derive(Debug, Clone)]
pub struct UploadRule {
    /// `service_id/name`, stored in the `upload_rule` column.
    pub id: String,
    /// Upper-case methods; empty = any.
    pub methods: Vec<String>,
    /// The service the upload is reported under when it is not the
    /// matched one (shared API hosts).
    pub service: Option<String>,
    hosts: Vec<HostPattern>,
    path: Regex,
    query: Option<Regex>,
}

impl UploadRule {
    /// Whether a request (normalised host) matches this rule.
    pub fn matches(
        &self,
        method: Option<&str>,
        host: &str,
        path: Option<&str>,
        query: Option<&str>,
    ) -> bool {
        if !self.methods.is_empty() {
            let Some(m) = method else { return false };
            if !self
                .methods
                .iter()
                .any(|x| x.eq_ignore_ascii_case(m.trim()))
            {
                return false;
            }
        }
        if !self.hosts.is_empty() && !self.hosts.iter().any(|h| h.matches(host)) {
            return false;
        }
        let Some(path) = path else { return false };
        if !self.path.is_match(path) {
            return false;
        }
        match &self.query {
            Some(q) => q.is_match(query.unwrap_or("")),
            None => true,
        }
    }
}

// ---------------------------------------------------------------- raw schema

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    service: Vec<RawService>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    id: Spanned<String>,
    #[serde(default = "yes")]
    enabled: bool,
    name: Option<String>,
    name_ja: Option<String>,
    vendor: Option<String>,
    category: Option<Spanned<String>>,
    #[serde(default)]
    domains: Vec<Spanned<String>>,
    #[serde(default)]
    hosts: Vec<Spanned<String>>,
    #[serde(default)]
    patterns: Vec<Spanned<String>>,
    #[serde(default)]
    cidrs: Vec<Spanned<String>>,
    #[serde(default)]
    anonymous: bool,
    #[serde(default)]
    link_sharing: bool,
    #[serde(default)]
    e2ee: bool,
    #[serde(default)]
    shared: bool,
    tenant: Option<RawTenant>,
    #[serde(default)]
    upload: Vec<RawUpload>,
    note: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTenant {
    suffixes: Vec<String>,
    #[serde(default)]
    strip: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUpload {
    name: Spanned<String>,
    #[serde(default)]
    methods: Vec<String>,
    #[serde(default)]
    hosts: Vec<String>,
    path: Spanned<String>,
    query: Option<String>,
    service: Option<String>,
    #[allow(dead_code)]
    note: Option<String>,
}

/// A parsed entry with where it came from, before validation.
struct Entry<'t> {
    raw: RawService,
    file: String,
    text: &'t str,
}

impl Entry<'_> {
    fn err(&self, at: usize, key: &str, msg: impl std::fmt::Display) -> Error {
        Error::invalid(&self.file, Some(line_of(self.text, at)), Some(key), msg)
    }
}

fn parse_file<'t>(file: &str, text: &'t str) -> Result<Vec<Entry<'t>>> {
    let raw: RawFile = toml::from_str(text).map_err(|e| Error::from_toml(file, text, &e))?;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(raw.service.len());
    for s in raw.service {
        let line = line_of(text, s.id.span().start);
        if let Some(prev) = seen.insert(s.id.get_ref().clone(), line) {
            return Err(Error::invalid(
                file,
                Some(line),
                Some(s.id.get_ref()),
                format!("service id defined twice in this file (first on line {prev})"),
            ));
        }
        out.push(Entry {
            raw: s,
            file: file.to_string(),
            text,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------- the catalog

/// The validated catalog plus its lookup index.
#[derive(Debug, Clone)]
pub struct Catalog {
    services: Vec<Service>,
    by_id: HashMap<String, usize>,
    index: Index,
    generic_upload: UploadRule,
    /// Every service's published ranges, tagged with its index.
    ip_ranges: crate::cidr::CidrIndex<usize>,
}

/// The rule used for a catalogued, non-shared service when none of its own
/// rules match: a POST/PUT/PATCH whose path has a segment (after `/`, `@`
/// or `.`) starting with
/// `upload` or `attach` (`/upload`, `/api/v2/uploads/…`, `/…/attachments/…`,
/// `@.upload`). Services whose web client names its send/upload requests
/// otherwise need their own rules; this one keeps unknown or re-designed
/// clients from hiding every upload when the log has no byte counts.
fn generic_upload_rule() -> UploadRule {
    UploadRule {
        id: "generic/upload-path".into(),
        methods: vec!["POST".into(), "PUT".into(), "PATCH".into()],
        service: None,
        hosts: Vec::new(),
        path: Regex::new(r"^/(?:[^?#]*[/@.])?(?i:upload|attach)").expect("static regex"),
        query: None,
    }
}

/// What a host lookup found.
#[derive(Debug, Clone, Copy)]
pub struct HostMatch<'c, 'h> {
    /// The service.
    pub service: &'c Service,
    /// The tenant read from the host, if the service has tenants.
    pub tenant: Option<&'h str>,
}

impl Catalog {
    /// The built-in catalog.
    pub fn builtin() -> Result<Catalog> {
        Catalog::from_sources(&[])
    }

    /// The built-in catalog with a user file applied (see the module docs).
    pub fn builtin_with_user_file(path: &Path) -> Result<Catalog> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        Catalog::from_sources(&[(&path.display().to_string(), &text)])
    }

    /// The built-in catalog with user catalogs applied in order; each is
    /// `(file name for messages, TOML text)`.
    pub fn from_sources(user: &[(&str, &str)]) -> Result<Catalog> {
        let mut entries: Vec<Entry<'_>> = Vec::new();
        let mut pos: HashMap<String, usize> = HashMap::new();
        for (file, text) in BUILTIN_FILES {
            let file = format!("<built-in>/{file}");
            for e in parse_file(&file, text)? {
                let id = e.raw.id.get_ref().clone();
                if let Some(&i) = pos.get(&id) {
                    return Err(e.err(
                        e.raw.id.span().start,
                        &id,
                        format!("service id also defined in {}", entries[i].file),
                    ));
                }
                pos.insert(id, entries.len());
                entries.push(e);
            }
        }
        let mut removed = vec![false; 0];
        removed.resize(entries.len(), false);
        for (file, text) in user {
            for e in parse_file(file, text)? {
                let id = e.raw.id.get_ref().clone();
                match pos.get(&id) {
                    Some(&i) => {
                        removed[i] = !e.raw.enabled;
                        entries[i] = e;
                    }
                    None if !e.raw.enabled => {
                        return Err(e.err(
                            e.raw.id.span().start,
                            &id,
                            "`enabled = false` names no service of the catalog",
                        ));
                    }
                    None => {
                        pos.insert(id, entries.len());
                        entries.push(e);
                        removed.push(false);
                    }
                }
            }
        }
        let mut services = Vec::with_capacity(entries.len());
        for (e, gone) in entries.iter().zip(&removed) {
            if *gone || !e.raw.enabled {
                continue;
            }
            services.push(compile(e)?);
        }
        let by_id: HashMap<String, usize> = services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        for s in &services {
            for u in &s.uploads {
                if let Some(target) = &u.service
                    && !by_id.contains_key(target)
                {
                    return Err(Error::invalid(
                        &s.source,
                        None,
                        Some(&u.id),
                        format!(
                            "upload rule names service `{target}`, which is not in the catalog"
                        ),
                    ));
                }
            }
        }
        let index = Index::build(&services)?;
        let ip_ranges = crate::cidr::CidrIndex::new(
            services
                .iter()
                .enumerate()
                .flat_map(|(i, s)| s.cidrs.iter().map(move |n| (n, i))),
        );
        Ok(Catalog {
            services,
            by_id,
            index,
            generic_upload: generic_upload_rule(),
            ip_ranges,
        })
    }

    /// All services, built-in files first, in file order.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// Number of services.
    pub fn len(&self) -> usize {
        self.services.len()
    }

    /// Whether the catalog is empty.
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// A service by id.
    pub fn get(&self, id: &str) -> Option<&Service> {
        self.by_id.get(id).map(|&i| &self.services[i])
    }

    /// The service a host belongs to. `host` must be normalised
    /// ([`crate::normalize_host`]): lower case, no port, no trailing dot.
    ///
    /// Cost: one hash probe for the exact host, then one per label suffix,
    /// longest first; the most specific entry wins (`mail.google.com`
    /// before `google.com`).
    pub fn lookup<'h>(&self, host: &'h str) -> Option<HostMatch<'_, 'h>> {
        let i = self.index.lookup(host)?;
        let service = &self.services[i as usize];
        let tenant = service.tenant.as_ref().and_then(|t| t.tenant_of(host));
        Some(HostMatch { service, tenant })
    }

    /// Like [`Catalog::lookup`], but names the service by its position (see
    /// [`Catalog::service_at`]) so the result can be cached without a borrow.
    pub(crate) fn lookup_index<'h>(&self, host: &'h str) -> Option<(u32, Option<&'h str>)> {
        let i = self.index.lookup(host)?;
        let service = &self.services[i as usize];
        Some((i, service.tenant.as_ref().and_then(|t| t.tenant_of(host))))
    }

    /// The service at a position returned by [`Catalog::lookup_index`].
    pub(crate) fn service_at(&self, i: u32) -> &Service {
        &self.services[i as usize]
    }

    /// The service whose published address ranges hold `ip` (the longest
    /// prefix wins), for hosts logged as IP literals.
    pub fn lookup_ip(&self, ip: std::net::IpAddr) -> Option<&Service> {
        self.ip_ranges.longest(ip).map(|i| &self.services[i])
    }

    /// The first upload rule of `service` that the request matches; else,
    /// for a service that is not a shared API host, the generic rule
    /// (`generic/upload-path`, see [`generic_upload_rule`]).
    pub fn upload_rule<'c>(
        &'c self,
        service: &'c Service,
        method: Option<&str>,
        host: &str,
        path: Option<&str>,
        query: Option<&str>,
    ) -> Option<&'c UploadRule> {
        service
            .uploads
            .iter()
            .find(|r| r.matches(method, host, path, query))
            .or_else(|| {
                (!service.shared && self.generic_upload.matches(method, host, path, query))
                    .then_some(&self.generic_upload)
            })
    }
}

fn compile(e: &Entry<'_>) -> Result<Service> {
    let r = &e.raw;
    let id = r.id.get_ref();
    let id_at = r.id.span().start;
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Err(e.err(
            id_at,
            id,
            "service id must be lower-case letters, digits, `-` or `_`",
        ));
    }
    let need = |v: &Option<String>, key: &str| -> Result<String> {
        match v {
            Some(s) if !s.trim().is_empty() => Ok(s.clone()),
            _ => Err(e.err(id_at, id, format!("missing `{key}`"))),
        }
    };
    let name = need(&r.name, "name")?;
    let vendor = need(&r.vendor, "vendor")?;
    let category = match &r.category {
        None => return Err(e.err(id_at, id, "missing `category`")),
        Some(c) => Category::from_name(c.get_ref()).ok_or_else(|| {
            let all: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
            e.err(
                c.span().start,
                "category",
                format!(
                    "unknown category {:?}; one of: {}",
                    c.get_ref(),
                    all.join(", ")
                ),
            )
        })?,
    };
    if r.domains.is_empty() && r.hosts.is_empty() && r.patterns.is_empty() && r.cidrs.is_empty() {
        return Err(e.err(
            id_at,
            id,
            "needs at least one of `domains`, `hosts`, `patterns`, `cidrs`",
        ));
    }
    for d in r.domains.iter().chain(&r.hosts) {
        host::check_name(d.get_ref()).map_err(|m| e.err(d.span().start, id, m))?;
    }
    for d in &r.domains {
        if host::is_icann_suffix(d.get_ref()) {
            return Err(e.err(
                d.span().start,
                id,
                format!(
                    "{:?} is a public suffix: no one service owns it",
                    d.get_ref()
                ),
            ));
        }
    }
    for p in &r.patterns {
        match HostPattern::parse_glob(p.get_ref()) {
            Ok(HostPattern::Exact(_)) => {
                return Err(e.err(
                    p.span().start,
                    id,
                    "a pattern without `*`: put it in `hosts`",
                ));
            }
            Ok(_) => {}
            Err(m) => return Err(e.err(p.span().start, id, m)),
        }
    }
    if r.shared && (r.upload.is_empty() || r.upload.iter().any(|u| u.service.is_none())) {
        return Err(e.err(
            id_at,
            id,
            "a `shared` entry needs upload rules, each naming its `service`",
        ));
    }
    let tenant = match &r.tenant {
        None => None,
        Some(t) => {
            if t.suffixes.is_empty() {
                return Err(e.err(id_at, "tenant.suffixes", "needs at least one suffix"));
            }
            for sfx in &t.suffixes {
                host::check_name(sfx).map_err(|m| e.err(id_at, "tenant.suffixes", m))?;
            }
            Some(TenantRule {
                suffixes: t.suffixes.clone(),
                strip: t.strip.clone(),
                exclude: t.exclude.clone(),
            })
        }
    };
    let mut uploads = Vec::with_capacity(r.upload.len());
    for u in &r.upload {
        let at = u.name.span().start;
        let uname = u.name.get_ref();
        let rule_id = format!("{id}/{uname}");
        let methods: Vec<String> = u
            .methods
            .iter()
            .map(|m| m.trim().to_ascii_uppercase())
            .collect();
        if let Some(m) = methods
            .iter()
            .find(|m| m.is_empty() || !m.bytes().all(|b| b.is_ascii_uppercase()))
        {
            return Err(e.err(at, &rule_id, format!("method {m:?} is not an HTTP method")));
        }
        let mut hosts = Vec::with_capacity(u.hosts.len());
        for h in &u.hosts {
            hosts.push(HostPattern::parse_glob(h).map_err(|m| e.err(at, &rule_id, m))?);
        }
        let path = Regex::new(&format!("^(?:{})", u.path.get_ref())).map_err(|x| {
            e.err(
                u.path.span().start,
                &rule_id,
                format!("bad `path` regex: {x}"),
            )
        })?;
        let query = match &u.query {
            None => None,
            Some(q) => Some(
                Regex::new(q)
                    .map_err(|x| e.err(at, &rule_id, format!("bad `query` regex: {x}")))?,
            ),
        };
        uploads.push(UploadRule {
            id: rule_id,
            methods,
            service: u.service.clone(),
            hosts,
            path,
            query,
        });
    }
    let mut cidrs = Vec::new();
    for c in &r.cidrs {
        let net: ipnet::IpNet = c
            .get_ref()
            .trim()
            .parse()
            .map_err(|x| e.err(c.span().start, id, format!("bad `cidrs` entry {:?}: {x}", c.get_ref())))?;
        if net.prefix_len() < 8 {
            return Err(e.err(c.span().start, id, format!("`cidrs` entry {net} is wider than /8")));
        }
        cidrs.push(net.trunc());
    }
    Ok(Service {
        id: id.clone(),
        name,
        name_ja: r.name_ja.clone(),
        vendor,
        category,
        domains: r.domains.iter().map(|d| d.get_ref().clone()).collect(),
        hosts: r.hosts.iter().map(|d| d.get_ref().clone()).collect(),
        patterns: r.patterns.iter().map(|d| d.get_ref().clone()).collect(),
        cidrs,
        anonymous: r.anonymous,
        link_sharing: r.link_sharing,
        e2ee: r.e2ee,
        shared: r.shared,
        tenant,
        uploads,
        note: r.note.clone(),
        source: e.file.clone(),
    })
}

// ---------------------------------------------------------------- the index

/// Host → service index: a hash map of exact hosts and one of name suffixes.
/// foldhash (randomly seeded per map) instead of SipHash: lookups hash a
/// short string per label, and the maps are built from the catalog only, so
/// hostile hosts can query but never grow them.
#[derive(Debug, Clone, Default)]
struct Index {
    exact: foldhash::HashMap<Box<str>, u32>,
    suffix: foldhash::HashMap<Box<str>, SuffixEntry>,
}

#[derive(Debug, Clone, Default)]
struct SuffixEntry {
    /// `domains` entry: the name and everything below.
    subtree: Option<u32>,
    /// `*.name` entry: strictly below.
    below: Option<u32>,
    /// `glob.name` entries: one label below, label matching the glob.
    globs: Vec<(String, u32)>,
}

impl Index {
    fn build(services: &[Service]) -> Result<Index> {
        let mut ix = Index::default();
        let conflict = |name: &str, a: u32, b: &Service| {
            Error::invalid(
                &b.source,
                None,
                Some(&b.id),
                format!(
                    "{name:?} is already claimed by service `{}`",
                    services[a as usize].id
                ),
            )
        };
        for (i, s) in services.iter().enumerate() {
            let i = i as u32;
            for h in &s.hosts {
                if let Some(prev) = ix.exact.insert(h.as_str().into(), i) {
                    return Err(conflict(h, prev, s));
                }
            }
            for d in &s.domains {
                let e = ix.suffix.entry(d.as_str().into()).or_default();
                if let Some(prev) = e.subtree.replace(i) {
                    return Err(conflict(d, prev, s));
                }
            }
            for p in &s.patterns {
                // Patterns were validated in `compile`.
                let Ok(pat) = HostPattern::parse_glob(p) else {
                    continue;
                };
                let e = ix.suffix.entry(pat.key().into()).or_default();
                match pat {
                    HostPattern::Below(_) => {
                        if let Some(prev) = e.below.replace(i) {
                            return Err(conflict(p, prev, s));
                        }
                    }
                    HostPattern::LabelGlob { glob, .. } => {
                        if let Some((_, prev)) = e.globs.iter().find(|(g, _)| *g == glob) {
                            return Err(conflict(p, *prev, s));
                        }
                        e.globs.push((glob, i));
                    }
                    _ => {}
                }
            }
        }
        Ok(ix)
    }

    fn lookup(&self, host: &str) -> Option<u32> {
        if host.is_empty() || host.len() > host::MAX_HOST_LEN {
            return None;
        }
        if let Some(&i) = self.exact.get(host) {
            return Some(i);
        }
        // Walk suffixes from the whole host to the last label.
        let mut start = 0;
        loop {
            let s = &host[start..];
            if let Some(e) = self.suffix.get(s) {
                if start > 0 {
                    let left = &host[..start - 1];
                    if !e.globs.is_empty()
                        && !left.contains('.')
                        && let Some((_, i)) =
                            e.globs.iter().find(|(g, _)| host::glob_label(g, left))
                    {
                        return Some(*i);
                    }
                    if let Some(i) = e.below {
                        return Some(i);
                    }
                }
                if let Some(i) = e.subtree {
                    return Some(i);
                }
            }
            match s.find('.') {
                Some(dot) => start += dot + 1,
                None => return None,
            }
        }
    }
}
