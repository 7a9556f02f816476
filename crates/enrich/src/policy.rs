//! The organisation's policy: which services and categories are sanctioned,
//! and which tenants of a multi-tenant service are the organisation's own.
//!
//! # File format
//!
//! ```toml
//! [categories]                 # by category name (see Category::as_str)
//! storage = "unsanctioned"
//! generative_ai = "unknown"
//!
//! [services]                   # by service id; beats the category
//! box = "sanctioned"
//! microsoft-onedrive = "sanctioned"
//!
//! [tenants]                    # corporate tenants; beats everything
//! microsoft-sharepoint = ["contoso"]
//! slack = ["contoso", "contoso-jp"]
//! ```
//!
//! Values are `sanctioned`, `unsanctioned` or `unknown`.
//!
//! # How a status is decided
//!
//! 1. If `[tenants]` lists the service and the host names a tenant: that
//!    tenant listed → `sanctioned`, any other tenant → `unsanctioned` (a
//!    personal or foreign tenant of an allowed service).
//! 2. Else the service's entry in `[services]`.
//! 3. Else its category's entry in `[categories]`.
//! 4. Else the category default ([`Category::default_status`]): `unsanctioned`
//!    for tor, vpn_proxy, paste, file_transfer, remote_access and dynamic_dns;
//!    `unknown` for the rest.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::catalog::{Catalog, Service};
use crate::category::{Category, Sanction};
use crate::error::{Error, Result, line_of};

/// A parsed, validated policy. `Policy::default()` is the empty policy
/// (category defaults only).
#[derive(Debug, Clone, Default)]
pub struct Policy {
    services: HashMap<String, Sanction>,
    categories: HashMap<Category, Sanction>,
    tenants: HashMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    categories: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    services: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    tenants: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
}

impl Policy {
    /// Reads and validates a policy file against `catalog`.
    pub fn load(path: &Path, catalog: &Catalog) -> Result<Policy> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        Policy::from_toml(&path.display().to_string(), &text, catalog)
    }

    /// Parses and validates policy text; `file` names it in errors.
    pub fn from_toml(file: &str, text: &str, catalog: &Catalog) -> Result<Policy> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| Error::from_toml(file, text, &e))?;
        let err = |at: usize, key: &str, msg: String| {
            Error::invalid(file, Some(line_of(text, at)), Some(key), msg)
        };
        let status = |v: &Spanned<String>, key: &str| -> Result<Sanction> {
            Sanction::from_name(v.get_ref().trim()).ok_or_else(|| {
                err(
                    v.span().start,
                    key,
                    format!(
                        "{:?} is not a status; use sanctioned, unsanctioned or unknown",
                        v.get_ref()
                    ),
                )
            })
        };
        let mut p = Policy::default();
        for (k, v) in &raw.categories {
            let Some(c) = Category::from_name(k.get_ref()) else {
                let all: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
                return Err(err(
                    k.span().start,
                    k.get_ref(),
                    format!("unknown category; one of: {}", all.join(", ")),
                ));
            };
            p.categories.insert(c, status(v, k.get_ref())?);
        }
        for (k, v) in &raw.services {
            if catalog.get(k.get_ref()).is_none() {
                return Err(err(
                    k.span().start,
                    k.get_ref(),
                    "no service with this id in the catalog".into(),
                ));
            }
            p.services
                .insert(k.get_ref().clone(), status(v, k.get_ref())?);
        }
        for (k, v) in &raw.tenants {
            let Some(s) = catalog.get(k.get_ref()) else {
                return Err(err(
                    k.span().start,
                    k.get_ref(),
                    "no service with this id in the catalog".into(),
                ));
            };
            if s.tenant.is_none() {
                return Err(err(
                    k.span().start,
                    k.get_ref(),
                    "this service has no tenant names in its host names, so tenants cannot be listed".into(),
                ));
            }
            let mut list = Vec::with_capacity(v.len());
            for t in v {
                let t_norm = t.get_ref().trim().to_ascii_lowercase();
                if t_norm.is_empty() || t_norm.contains('.') {
                    return Err(err(
                        t.span().start,
                        k.get_ref(),
                        format!(
                            "{:?} is not a tenant label (one DNS label, e.g. \"contoso\")",
                            t.get_ref()
                        ),
                    ));
                }
                list.push(t_norm);
            }
            p.tenants.insert(k.get_ref().clone(), list);
        }
        Ok(p)
    }

    /// The status of a service, given the tenant read from the host.
    pub fn status(&self, service: &Service, tenant: Option<&str>) -> Sanction {
        if let (Some(list), Some(t)) = (self.tenants.get(&service.id), tenant) {
            return if list.iter().any(|x| x == t) {
                Sanction::Sanctioned
            } else {
                Sanction::Unsanctioned
            };
        }
        if let Some(&s) = self.services.get(&service.id) {
            return s;
        }
        if let Some(&s) = self.categories.get(&service.category) {
            return s;
        }
        service.category.default_status()
    }
}
