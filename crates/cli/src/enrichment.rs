//! Glue between the ingest pipeline's [`Enrich`] hook and `kensa-enrich`
//! (catalog, policy, internal ranges, optional geo database).

use std::path::PathBuf;

use anyhow::{Context, Result};
use kensa_enrich::{Catalog, EnrichConfig, Enricher, Policy};
use kensa_ingest::Enrich;
use kensa_model::WebRecord;
use kensa_store::schema::RowExtras;

/// Enrichment flags shared by `ingest` and `run`.
#[derive(clap::Args, Clone, Default)]
pub struct EnrichArgs {
    /// A user service catalog (TOML) that extends or overrides the built-in one.
    #[arg(long)]
    pub catalog: Option<PathBuf>,
    /// The organisation's policy file (TOML): sanctioned / unsanctioned services.
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Internal networks (comma-separated CIDRs; default RFC 1918, RFC 4193, loopback, link-local).
    #[arg(long, value_delimiter = ',')]
    pub internal: Vec<String>,
    /// A MaxMind-format database for destination country / ASN (optional).
    #[arg(long)]
    pub geo_db: Option<PathBuf>,
    /// A second MaxMind-format database for ASNs (optional).
    #[arg(long)]
    pub asn_db: Option<PathBuf>,
    /// The threat-intel store (default: $XDG_DATA_HOME/kensa/intel).
    #[arg(long, env = "KENSA_INTEL_DIR")]
    pub intel_dir: Option<PathBuf>,
    /// Do not match records against threat intelligence.
    #[arg(long)]
    pub no_intel: bool,
}

/// The catalog enricher behind the pipeline's hook.
pub struct CatalogEnrich {
    e: Enricher,
    intel: Option<kensa_intel::Matcher>,
    /// Versions of the intel sources used, for the case.
    pub intel_sources: Vec<kensa_intel::SourceInfo>,
    /// The intel store matched at ingest (recorded in the case so
    /// `kensa analyze` re-matches against the same store).
    pub intel_dir: Option<PathBuf>,
}

/// The intel store named by the flags (or the default), if it exists, with
/// the directory it resolved to.
pub fn intel_store_at(dir: Option<&PathBuf>) -> Result<Option<(kensa_intel::IntelStore, PathBuf)>> {
    let dir = match dir {
        Some(d) => d.clone(),
        None => match kensa_intel::IntelStore::default_dir() {
            Some(d) => d,
            None => return Ok(None),
        },
    };
    if !dir.exists() {
        return Ok(None);
    }
    Ok(Some((kensa_intel::IntelStore::open(&dir).with_context(|| format!("intel store {}", dir.display()))?, dir)))
}

impl CatalogEnrich {
    /// Builds the enricher from flags; errors name the bad file or value.
    pub fn from_args(a: &EnrichArgs) -> Result<CatalogEnrich> {
        let catalog = match &a.catalog {
            Some(p) => Catalog::builtin_with_user_file(p).with_context(|| format!("--catalog {}", p.display()))?,
            None => Catalog::builtin().context("built-in catalog")?,
        };
        let policy = match &a.policy {
            Some(p) => Policy::load(p, &catalog).with_context(|| format!("--policy {}", p.display()))?,
            None => Policy::default(),
        };
        let mut cfg = EnrichConfig::default();
        if !a.internal.is_empty() {
            cfg.internal_cidrs = EnrichConfig::parse_cidrs(&a.internal).context("--internal")?;
        }
        cfg.geo_db = a.geo_db.clone();
        cfg.asn_db = a.asn_db.clone();
        let (intel, intel_sources, intel_dir) = if a.no_intel {
            (None, Vec::new(), None)
        } else {
            match intel_store_at(a.intel_dir.as_ref())? {
                Some((st, dir)) => {
                    let sources = st.sources().context("reading intel sources")?;
                    if sources.is_empty() { (None, sources, None) } else { (Some(st.matcher().context("loading intel")?), sources, Some(dir)) }
                }
                None => (None, Vec::new(), None),
            }
        };
        Ok(CatalogEnrich { e: Enricher::new(catalog, policy, cfg).context("enrichment")?, intel, intel_sources, intel_dir })
    }
}

impl Enrich for CatalogEnrich {
    fn enrich(&self, rec: &WebRecord<'_>, sink: &mut dyn FnMut(&RowExtras<'_>)) {
        let x = self.e.enrich(rec);
        let svc = x.service;
        let intel = self.intel.as_ref().and_then(|m| intel_hits(m, rec));
        sink(&RowExtras {
            registered_domain: x.registered_domain.as_deref(),
            public_suffix: x.public_suffix.as_deref(),
            host_is_ip: Some(x.host_is_ip),
            src_internal: x.src_internal,
            dst_internal: x.dst_internal,
            service: svc.map(|s| s.id.as_str()),
            service_category: svc.map(|s| s.category.as_str()),
            sanctioned: x.status.map(|s| s.as_str()),
            service_name: svc.map(|s| s.name.as_str()),
            service_tenant: x.tenant.as_deref(),
            upload_action: Some(x.upload_rule.is_some()),
            upload_rule: x.upload_rule.map(|r| r.id.as_str()),
            dst_asn: x.geo.asn,
            dst_as_org: x.geo.as_org,
            dst_country: x.geo.country,
            intel: intel.as_deref(),
        });
    }
}

/// Matches a record's host, SNI, server address and URL against the intel
/// store; returns `source:kind:value` for each distinct hit, `;`-joined.
fn intel_hits(m: &kensa_intel::Matcher, rec: &WebRecord<'_>) -> Option<String> {
    let mut hits = Vec::new();
    if let Some(h) = rec.host.as_deref() {
        if h.parse::<std::net::IpAddr>().is_ok() {
            hits.extend(m.match_ip_str(h));
        } else {
            hits.extend(m.match_host(h));
        }
    }
    if let Some(s) = rec.sni.as_deref() {
        hits.extend(m.match_host(s));
    }
    if let Some(ip) = rec.server_ip.as_deref() {
        hits.extend(m.match_ip_str(ip));
    }
    if let Some(u) = rec.url.as_deref() {
        if u.contains("://") {
            hits.extend(m.match_url(u));
        }
    }
    // Rows derived from TLS/QUIC in packet captures carry their client
    // fingerprints in place of a user agent: `ja4:<JA4> ja3:<JA3>`.
    if let Some(ua) = rec.user_agent.as_deref().filter(|u| u.starts_with("ja4:")) {
        for tok in ua.split(' ') {
            if let Some(v) = tok.strip_prefix("ja3:") {
                hits.extend(m.match_hash(kensa_intel::IndicatorKind::Ja3, v));
            } else if let Some(v) = tok.strip_prefix("ja4:") {
                hits.extend(m.match_hash(kensa_intel::IndicatorKind::Ja4, v));
            }
        }
    }
    if hits.is_empty() {
        return None;
    }
    let mut v: Vec<String> = hits
        .iter()
        .map(|h| {
            let i = m.indicator(h.id);
            format!("{}:{}:{}", i.source, i.kind.as_str(), i.value)
        })
        .collect();
    v.sort();
    v.dedup();
    Some(v.join(";"))
}
