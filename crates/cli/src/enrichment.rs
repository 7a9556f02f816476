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
}

/// The catalog enricher behind the pipeline's hook.
pub struct CatalogEnrich {
    e: Enricher,
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
        Ok(CatalogEnrich { e: Enricher::new(catalog, policy, cfg).context("enrichment")? })
    }
}

impl Enrich for CatalogEnrich {
    fn enrich(&self, rec: &WebRecord<'_>, sink: &mut dyn FnMut(&RowExtras<'_>)) {
        let x = self.e.enrich(rec);
        let svc = x.service;
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
            intel: None,
        });
    }
}
