//! Per-record enrichment.

use std::borrow::Cow;
use std::net::IpAddr;
use std::path::PathBuf;

use ipnet::IpNet;
use kensa_model::WebRecord;

use crate::catalog::{Catalog, HostMatch, Service, UploadRule};
use crate::category::Sanction;
use crate::error::{Error, Result};
use crate::geo::{GeoDb, GeoInfo};
use crate::host::{normalize_host, parse_ip_literal, registered_domain};
use crate::policy::Policy;

/// The internal ranges used when the configuration names none: RFC 1918,
/// loopback, IPv4 link-local, RFC 4193 unique-local, IPv6 loopback and
/// link-local.
pub const DEFAULT_INTERNAL_CIDRS: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "fc00::/7",
    "::1/128",
    "fe80::/10",
];

/// Settings of an [`Enricher`].
#[derive(Debug, Clone)]
pub struct EnrichConfig {
    /// Networks counted as internal (default [`DEFAULT_INTERNAL_CIDRS`]).
    pub internal_cidrs: Vec<IpNet>,
    /// A MaxMind-format database with country and/or ASN fields. `None`: the
    /// geo columns stay null.
    pub geo_db: Option<PathBuf>,
    /// A second MaxMind-format database, typically the ASN one when
    /// `geo_db` holds countries only. Fields found in `geo_db` win.
    pub asn_db: Option<PathBuf>,
}

impl Default for EnrichConfig {
    fn default() -> EnrichConfig {
        EnrichConfig {
            internal_cidrs: DEFAULT_INTERNAL_CIDRS
                .iter()
                .filter_map(|c| c.parse().ok())
                .collect(),
            geo_db: None,
            asn_db: None,
        }
    }
}

impl EnrichConfig {
    /// Parses CIDR strings (`10.0.0.0/8`, `2001:db8::/32`; a bare address is
    /// a single host). The error names the bad entry.
    pub fn parse_cidrs<S: AsRef<str>>(cidrs: &[S]) -> Result<Vec<IpNet>> {
        let mut out = Vec::with_capacity(cidrs.len());
        for (i, c) in cidrs.iter().enumerate() {
            let c = c.as_ref().trim();
            let net = c
                .parse::<IpNet>()
                .or_else(|_| c.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    Error::invalid(
                        "internal_cidrs",
                        None,
                        Some(&format!("entry {}", i + 1)),
                        format!("{c:?} is not a CIDR"),
                    )
                })?;
            out.push(net.trunc());
        }
        Ok(out)
    }
}

/// Attaches catalog, policy, network and geo context to web records.
/// Build one, share it (it is `Sync`), call [`Enricher::enrich`] per record.
pub struct Enricher {
    catalog: Catalog,
    policy: Policy,
    internal: Vec<IpNet>,
    /// `internal` as an integer index (the test runs twice per record).
    internal_index: crate::cidr::CidrIndex<()>,
    geo: Vec<GeoDb>,
    /// Distinguishes this enricher's entries in the per-thread [`HostCache`].
    id: u64,
}

/// What enrichment derives from a normalised host name alone, as lengths and
/// offsets into that name, so it can be cached without borrowing and turned
/// back into slices of the record's own host.
#[derive(Debug, Clone, Copy)]
struct HostFacts {
    /// Length of the registered domain (a suffix of the host).
    reg: Option<u16>,
    /// Length of the public suffix (a suffix of the host).
    suffix: Option<u16>,
    /// Catalog position of the service the host belongs to, and the tenant
    /// as `(start, len)` in the host.
    service: Option<(u32, Option<(u16, u16)>)>,
}

/// Hosts repeat heavily in proxy logs (a browser fetches dozens of objects
/// per page), while the Public Suffix List walk and the catalog's per-label
/// probes cost more than one hash probe. Each thread (each ingest worker)
/// keeps the facts of the hosts it saw, bounded: when full it starts over,
/// so an input of unique (attacker-made) names costs one extra probe per
/// record and never more memory than [`HOST_CACHE_MAX`] entries.
struct HostCache {
    owner: u64,
    /// foldhash, randomly seeded per map like the catalog's tables: SipHash
    /// was a tenth of enrichment, and names are attacker-chosen.
    map: foldhash::HashMap<Box<str>, HostFacts>,
}

/// Entries per thread before the host cache is emptied.
const HOST_CACHE_MAX: usize = 16 * 1024;

thread_local! {
    static HOST_CACHE: std::cell::RefCell<HostCache> = std::cell::RefCell::new(HostCache {
        owner: u64::MAX,
        map: foldhash::HashMap::default(),
    });
}

static NEXT_ENRICHER_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl std::fmt::Debug for Enricher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enricher")
            .field("services", &self.catalog.len())
            .field("internal", &self.internal)
            .field("geo", &self.geo)
            .finish_non_exhaustive()
    }
}

/// The enrichment of one record. Borrows from the enricher and the record;
/// allocates only when the host had to be lower-cased.
#[derive(Debug, Clone)]
pub struct Enrichment<'a> {
    /// The name the record was looked up by: the host, or the SNI when the
    /// host is an IP literal or missing.
    pub lookup_host: Option<Cow<'a, str>>,
    /// Registered domain (eTLD+1) of `lookup_host`.
    pub registered_domain: Option<Cow<'a, str>>,
    /// Public suffix of `lookup_host`.
    pub public_suffix: Option<Cow<'a, str>>,
    /// The record's host is an IP literal (including browser spellings such as `3232235777`).
    pub host_is_ip: bool,
    /// The client address is internal; `None` when it is missing or not an address.
    pub src_internal: Option<bool>,
    /// The server address (server IP, else an IP-literal host) is internal.
    pub dst_internal: Option<bool>,
    /// The catalog service.
    pub service: Option<&'a Service>,
    /// The tenant read from the host (`contoso` in `contoso.sharepoint.com`).
    pub tenant: Option<Cow<'a, str>>,
    /// The policy's status for the service; `None` when no service matched.
    pub status: Option<Sanction>,
    /// The upload rule the request matched.
    pub upload_rule: Option<&'a UploadRule>,
    /// ASN / organisation / country of the destination address.
    pub geo: GeoInfo<'a>,
}

impl Enrichment<'_> {
    /// Whether an upload/send/post rule fired.
    pub fn is_upload(&self) -> bool {
        self.upload_rule.is_some()
    }

    /// The value of column `i` of [`COLUMNS`]; `Null` past the end.
    pub fn value(&self, i: usize) -> ColValue<'_> {
        use ColValue::*;
        fn s(o: Option<&str>) -> ColValue<'_> {
            o.map_or(ColValue::Null, ColValue::Utf8)
        }
        let b = |o: Option<bool>| o.map_or(Null, Bool);
        let svc = self.service;
        match i {
            0 => s(self.registered_domain.as_deref()),
            1 => s(self.public_suffix.as_deref()),
            2 => Bool(self.host_is_ip),
            3 => b(self.src_internal),
            4 => b(self.dst_internal),
            5 => s(svc.map(|x| x.id.as_str())),
            6 => s(svc.map(|x| x.name.as_str())),
            7 => s(svc.map(|x| x.category.as_str())),
            8 => s(self.status.map(|x| x.as_str())),
            9 => s(self.tenant.as_deref()),
            10 => Bool(self.upload_rule.is_some()),
            11 => s(self.upload_rule.map(|r| r.id.as_str())),
            12 => self.geo.asn.map_or(Null, UInt32),
            13 => s(self.geo.as_org),
            14 => s(self.geo.country),
            _ => Null,
        }
    }
}

/// Arrow-level type of an enrichment column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    /// UTF-8 string.
    Utf8,
    /// Boolean.
    Bool,
    /// Unsigned 32-bit integer.
    UInt32,
}

/// One value of an enrichment column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColValue<'a> {
    /// No value.
    Null,
    /// A string.
    Utf8(&'a str),
    /// A boolean.
    Bool(bool),
    /// An integer.
    UInt32(u32),
}

/// An enrichment column of `web_requests`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Column name.
    pub name: &'static str,
    /// Type.
    pub ty: ColType,
    /// Whether it can be null.
    pub nullable: bool,
    /// One line for the schema docs.
    pub doc: &'static str,
}

const fn col(name: &'static str, ty: ColType, nullable: bool, doc: &'static str) -> Column {
    Column {
        name,
        ty,
        nullable,
        doc,
    }
}

/// The columns the store adds to `web_requests`, in the order of
/// [`Enrichment::value`].
pub const COLUMNS: &[Column] = &[
    col(
        "reg_domain",
        ColType::Utf8,
        true,
        "registered domain (eTLD+1) of the host, or of the SNI when the host is an IP",
    ),
    col(
        "public_suffix",
        ColType::Utf8,
        true,
        "public suffix of the host (Public Suffix List)",
    ),
    col(
        "host_is_ip",
        ColType::Bool,
        false,
        "the host is an IP literal",
    ),
    col(
        "src_internal",
        ColType::Bool,
        true,
        "the client address is in an internal range",
    ),
    col(
        "dst_internal",
        ColType::Bool,
        true,
        "the server address is in an internal range",
    ),
    col("service_id", ColType::Utf8, true, "catalog service id"),
    col("service_name", ColType::Utf8, true, "catalog service name"),
    col(
        "service_category",
        ColType::Utf8,
        true,
        "catalog category (storage, webmail, generative_ai, …)",
    ),
    col(
        "service_status",
        ColType::Utf8,
        true,
        "policy status: sanctioned, unsanctioned, unknown",
    ),
    col(
        "service_tenant",
        ColType::Utf8,
        true,
        "tenant / workspace read from the host",
    ),
    col(
        "upload_action",
        ColType::Bool,
        false,
        "the request matched an upload/send/post rule",
    ),
    col(
        "upload_rule",
        ColType::Utf8,
        true,
        "the upload rule (service_id/rule)",
    ),
    col(
        "dst_asn",
        ColType::UInt32,
        true,
        "destination autonomous system number",
    ),
    col(
        "dst_as_org",
        ColType::Utf8,
        true,
        "destination autonomous system organisation",
    ),
    col(
        "dst_country",
        ColType::Utf8,
        true,
        "destination country (ISO 3166-1 alpha-2)",
    ),
];

/// The columns of a `services` dimension table (one row per catalog
/// service), in the order of [`Service::value`]. Join on `service_id`.
pub const SERVICE_COLUMNS: &[Column] = &[
    col("service_id", ColType::Utf8, false, "catalog service id"),
    col("name", ColType::Utf8, false, "display name"),
    col("name_ja", ColType::Utf8, true, "Japanese display name"),
    col("vendor", ColType::Utf8, false, "who runs the service"),
    col("category", ColType::Utf8, false, "catalog category"),
    col(
        "category_ja",
        ColType::Utf8,
        false,
        "category label in Japanese",
    ),
    col(
        "anonymous",
        ColType::Bool,
        false,
        "usable without an account",
    ),
    col(
        "link_sharing",
        ColType::Bool,
        false,
        "shares files by public link",
    ),
    col(
        "e2ee",
        ColType::Bool,
        false,
        "content is end-to-end encrypted",
    ),
    col(
        "has_tenants",
        ColType::Bool,
        false,
        "the tenant can be read from the host name",
    ),
    col(
        "upload_rules",
        ColType::UInt32,
        false,
        "number of upload/send/post rules",
    ),
    col(
        "source",
        ColType::Utf8,
        false,
        "catalog file the entry came from",
    ),
];

impl Service {
    /// The value of column `i` of [`SERVICE_COLUMNS`]; `Null` past the end.
    pub fn value(&self, i: usize) -> ColValue<'_> {
        use ColValue::*;
        match i {
            0 => Utf8(&self.id),
            1 => Utf8(&self.name),
            2 => self.name_ja.as_deref().map_or(Null, Utf8),
            3 => Utf8(&self.vendor),
            4 => Utf8(self.category.as_str()),
            5 => Utf8(self.category.label_ja()),
            6 => Bool(self.anonymous),
            7 => Bool(self.link_sharing),
            8 => Bool(self.e2ee),
            9 => Bool(self.tenant.is_some()),
            10 => UInt32(u32::try_from(self.uploads.len()).unwrap_or(u32::MAX)),
            11 => Utf8(&self.source),
            _ => Null,
        }
    }
}

impl Enricher {
    /// Builds an enricher. Opens the geo databases named in `config`: a bad
    /// path or a file that is not a MaxMind database is an error; no path is
    /// not.
    pub fn new(catalog: Catalog, policy: Policy, config: EnrichConfig) -> Result<Enricher> {
        let mut geo = Vec::new();
        for p in [&config.geo_db, &config.asn_db].into_iter().flatten() {
            geo.push(GeoDb::open(p)?);
        }
        let internal_index = crate::cidr::CidrIndex::new(config.internal_cidrs.iter().map(|n| (n, ())));
        Ok(Enricher {
            catalog,
            policy,
            internal: config.internal_cidrs,
            internal_index,
            geo,
            id: NEXT_ENRICHER_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        })
    }

    /// The catalog in use.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Whether `ip` is in one of the internal ranges (IPv4-mapped IPv6
    /// addresses count as their IPv4 address).
    pub fn is_internal(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.internal_index.longest(ip).is_some()
    }

    /// Enriches one record. Never fails: what cannot be worked out is `None`.
    pub fn enrich<'a>(&'a self, rec: &'a WebRecord<'_>) -> Enrichment<'a> {
        let host = rec
            .host
            .as_deref()
            .map(normalize_host)
            .filter(|h| !h.is_empty());
        let host_ip = host.as_deref().and_then(parse_ip_literal);
        let name: Option<Cow<'a, str>> = match (&host, host_ip) {
            (Some(_), None) => host,
            _ => rec
                .sni
                .as_deref()
                .map(normalize_host)
                .filter(|s| !s.is_empty() && parse_ip_literal(s).is_none()),
        };

        let (mut reg, mut suffix) = (None, None);
        let (mut service, mut tenant, mut status, mut upload_rule) = (None, None, None, None);
        if let Some(n) = &name {
            let h: &str = n;
            let (r, s, matched) = match self.host_facts(h) {
                Some(f) => {
                    let tail = |len: u16| h.len().checked_sub(usize::from(len)).and_then(|i| h.get(i..));
                    (
                        f.reg.and_then(tail),
                        f.suffix.and_then(tail),
                        f.service.map(|(i, t)| HostMatch {
                            service: self.catalog.service_at(i),
                            tenant: t.and_then(|(a, l)| h.get(usize::from(a)..usize::from(a) + usize::from(l))),
                        }),
                    )
                }
                None => {
                    let (r, s) = registered_domain(h);
                    (r, s, self.catalog.lookup(h))
                }
            };
            reg = r.map(|x| sub_cow(n, x));
            suffix = s.map(|x| sub_cow(n, x));
            if let Some(m) = matched {
                service = Some(m.service);
                tenant = m.tenant.map(|t| sub_cow(n, t));
                status = Some(self.policy.status(m.service, m.tenant));
                // Every service: its own rules, else the generic one
                // (`Catalog::upload_rule`). Only upload-like methods can match.
                if rec.method.as_deref().is_some_and(|m| {
                    ["POST", "PUT", "PATCH"].iter().any(|x| x.eq_ignore_ascii_case(m.trim()))
                }) || !m.service.uploads.is_empty()
                {
                    let split;
                    let (path, query) = match (&rec.path, &rec.url) {
                        (Some(p), _) => (Some(p.as_ref()), rec.query.as_deref()),
                        (None, Some(u)) => {
                            split = kensa_model::split_url(u);
                            (split.path, split.query)
                        }
                        (None, None) => (None, None),
                    };
                    upload_rule =
                        self.catalog
                            .upload_rule(m.service, rec.method.as_deref(), n, path, query);
                    // A rule on a shared API host reports the upload under its own service.
                    if let Some(target) = upload_rule
                        .and_then(|r| r.service.as_deref())
                        .and_then(|t| self.catalog.get(t))
                    {
                        service = Some(target);
                        tenant = None;
                        status = Some(self.policy.status(target, None));
                    }
                }
                // A shared host that no rule claimed names no service.
                if m.service.shared && upload_rule.is_none() {
                    (service, tenant, status) = (None, None, None);
                }
            }
        }
        // A host logged as an IP literal: the vendors' published ranges.
        if service.is_none()
            && let Some(ip) = host_ip
            && let Some(svc) = self.catalog.lookup_ip(ip)
        {
            service = Some(svc);
            status = Some(self.policy.status(svc, None));
        }

        let src_internal = rec
            .client_ip
            .as_deref()
            .and_then(parse_ip_literal)
            .map(|ip| self.is_internal(ip));
        let dst_ip = rec
            .server_ip
            .as_deref()
            .and_then(parse_ip_literal)
            .or(host_ip);
        let dst_internal = dst_ip.map(|ip| self.is_internal(ip));
        let mut geo = GeoInfo::default();
        if let (Some(ip), Some(false)) = (dst_ip, dst_internal) {
            for db in &self.geo {
                let g = db.lookup(ip);
                geo.asn = geo.asn.or(g.asn);
                geo.as_org = geo.as_org.or(g.as_org);
                geo.country = geo.country.or(g.country);
            }
        }

        Enrichment {
            lookup_host: name.clone(),
            registered_domain: reg,
            public_suffix: suffix,
            host_is_ip: host_ip.is_some(),
            src_internal,
            dst_internal,
            service,
            tenant,
            status,
            upload_rule,
            geo,
        }
    }
}

impl Enricher {
    /// Registered domain, public suffix and catalog match of a normalised
    /// host, from the per-thread cache when this thread has seen the host.
    /// `None`: not cacheable, look it up directly.
    fn host_facts(&self, host: &str) -> Option<HostFacts> {
        if host.len() > crate::host::MAX_HOST_LEN {
            // Over-long names are never cached (they match nothing anyway).
            return None;
        }
        HOST_CACHE.with(|c| {
            let mut c = c.try_borrow_mut().ok()?;
            if c.owner != self.id {
                c.owner = self.id;
                c.map.clear();
            }
            if let Some(f) = c.map.get(host) {
                return Some(*f);
            }
            let f = self.compute_host_facts(host)?;
            if c.map.len() >= HOST_CACHE_MAX {
                c.map.clear();
            }
            c.map.insert(host.into(), f);
            Some(f)
        })
    }

    /// The uncached lookups. `None` if a result is not a slice of `host`
    /// (the lookups always return slices of their input, so this is
    /// defensive): the caller then uses the lookups' results directly.
    fn compute_host_facts(&self, host: &str) -> Option<HostFacts> {
        let len16 = |s: &str| u16::try_from(s.len()).ok();
        let offset = |s: &str| {
            let start = (s.as_ptr() as usize).checked_sub(host.as_ptr() as usize)?;
            (start + s.len() <= host.len()).then_some(start)
        };
        let (r, s) = registered_domain(host);
        let reg = match r {
            Some(r) if offset(r) == Some(host.len() - r.len()) => Some(len16(r)?),
            Some(_) => return None,
            None => None,
        };
        let suffix = match s {
            Some(s) if offset(s) == Some(host.len() - s.len()) => Some(len16(s)?),
            Some(_) => return None,
            None => None,
        };
        let service = match self.catalog.lookup_index(host) {
            Some((i, Some(t))) => Some((i, Some((u16::try_from(offset(t)?).ok()?, len16(t)?)))),
            Some((i, None)) => Some((i, None)),
            None => None,
        };
        Some(HostFacts { reg, suffix, service })
    }
}

/// A part of `whole` as a `Cow` that borrows when `whole` does.
fn sub_cow<'a>(whole: &Cow<'a, str>, part: &str) -> Cow<'a, str> {
    match whole {
        Cow::Borrowed(w) => {
            // `part` is a slice of `*w`: find it by offset.
            let start = (part.as_ptr() as usize).wrapping_sub(w.as_ptr() as usize);
            match w.get(start..start.wrapping_add(part.len())) {
                Some(s) if s.as_ptr() == part.as_ptr() => Cow::Borrowed(s),
                _ => Cow::Owned(part.to_string()),
            }
        }
        Cow::Owned(_) => Cow::Owned(part.to_string()),
    }
}
