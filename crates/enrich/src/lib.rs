//! # kensa-enrich
//!
//! Which online storage, webmail, SNS, chat, generative-AI and remote-access
//! services do your people use, and what do they upload? This crate holds
//! kensa's **catalog of web services that can carry data out** and the
//! **per-record enrichment** that attaches it, with network and geo context,
//! to every web record.
//!
//! ## Main types
//!
//! * [`Catalog`]: the services, authored as TOML in `crates/enrich/catalog/`
//!   (one file per [`Category`]) and compiled into the binary; a user file
//!   with the same schema replaces entries by id, adds new ones, or removes
//!   them with `enabled = false` (schema in [`catalog`]). A host → service
//!   lookup is a few hash probes, one per label.
//! * [`Policy`]: which services, categories and tenants the organisation
//!   sanctions ([`policy`] documents the file and the decision order).
//! * [`Enricher`]: built from a catalog, a policy and an [`EnrichConfig`]
//!   (internal CIDRs; optional MaxMind-format geo/ASN databases, see [`geo`]);
//!   [`Enricher::enrich`] turns a [`kensa_model::WebRecord`] into an
//!   [`Enrichment`]: registered domain and public suffix, IP-literal flag,
//!   internal source/destination, service, category, sanction status,
//!   tenant, upload-action rule, ASN/organisation/country.
//! * [`COLUMNS`]: the columns the store adds to `web_requests`, with
//!   [`Enrichment::value`] giving each one's value, so the store needs no
//!   knowledge of this crate's types. [`SERVICE_COLUMNS`] and
//!   [`Service::value`] do the same for a `services` dimension table.
//!
//! ## Example
//!
//! ```
//! use std::borrow::Cow;
//! use kensa_enrich::{Catalog, EnrichConfig, Enricher, Policy, Sanction};
//! use kensa_model::WebRecord;
//!
//! let catalog = Catalog::builtin().unwrap();
//! let policy = Policy::from_toml("policy.toml", "[services]\nbox = \"sanctioned\"\n", &catalog).unwrap();
//! let enricher = Enricher::new(catalog, policy, EnrichConfig::default()).unwrap();
//!
//! let rec = WebRecord {
//!     client_ip: Some(Cow::Borrowed("10.1.2.3")),
//!     method: Some(Cow::Borrowed("POST")),
//!     host: Some(Cow::Borrowed("content.dropboxapi.com")),
//!     path: Some(Cow::Borrowed("/2/files/upload")),
//!     server_ip: Some(Cow::Borrowed("162.125.1.20")),
//!     ..Default::default()
//! };
//! let e = enricher.enrich(&rec);
//! assert_eq!(e.service.unwrap().id, "dropbox");
//! assert_eq!(e.registered_domain.as_deref(), Some("dropboxapi.com"));
//! assert_eq!(e.upload_rule.unwrap().id, "dropbox/files-upload");
//! assert_eq!(e.status, Some(Sanction::Unknown));
//! assert_eq!((e.src_internal, e.dst_internal), (Some(true), Some(false)));
//! ```
//!
//! ## Tests, benches, fuzzing
//!
//! `cargo test -p kensa-enrich` validates the whole catalog, checks host
//! lookups and upload rules table-driven, and runs conformance tests against
//! the shared corpus (nDPI's application labels are the oracle for the host
//! lookup). `benches/enrich.rs` measures [`Enricher::enrich`] per record and
//! the host lookup alone (criterion). `fuzz/` holds two cargo-fuzz targets:
//! hostile record fields, and hostile user catalog / policy files.
//!
//! ## Invariants
//!
//! * No I/O after [`Enricher::new`]; `enrich` never fails and never panics,
//!   whatever the record holds (every field is attacker-controlled).
//! * Nothing here matches threat intelligence: that is `kensa-intel`.
//! * No database is shipped: without `geo_db`/`asn_db` the geo columns are null.
#![deny(missing_docs)]

pub mod catalog;
mod category;
mod cidr;
mod enrich;
mod error;
pub mod geo;
mod host;
pub mod policy;

pub use catalog::{Catalog, HostMatch, Service, TenantRule, UploadRule};
pub use category::{Category, Sanction};
pub use enrich::{
    COLUMNS, ColType, ColValue, Column, DEFAULT_INTERNAL_CIDRS, EnrichConfig, Enricher, Enrichment,
    SERVICE_COLUMNS,
};
pub use error::{Error, Result};
pub use geo::{GeoDb, GeoInfo};
pub use host::{normalize_host, parse_ip_literal, registered_domain};
pub use policy::Policy;
