//! Optional ASN / country lookup in MaxMind-format (`.mmdb`) databases.
//!
//! kensa ships no database. Any MaxMind-format file works; the reader takes
//! whichever of these fields a record has:
//!
//! | field | layout |
//! |---|---|
//! | `country.iso_code` | GeoIP2 / GeoLite2 Country and City |
//! | `country_code` | ip-location-db (`@ip-location-db/geo-whois-asn-country-mmdb`, CC0) |
//! | `autonomous_system_number`, `autonomous_system_organization` | GeoLite2 ASN, ip-location-db `asn-mmdb` |
//!
//! A freely redistributable source is the npm package
//! `@ip-location-db/geo-whois-asn-country-mmdb` (CC0 1.0, country only);
//! `@ip-location-db/asn-mmdb` adds ASNs (its data is CC-BY-4.0 and needs
//! attribution in reports). GeoLite2 files work too but may not be
//! redistributed.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// One opened database.
pub struct GeoDb {
    reader: maxminddb::Reader<Vec<u8>>,
    path: PathBuf,
}

impl std::fmt::Debug for GeoDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoDb")
            .field("path", &self.path)
            .field("database_type", &self.reader.metadata().database_type)
            .finish()
    }
}

/// What a database says about one address. Strings borrow from the database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GeoInfo<'a> {
    /// Autonomous system number.
    pub asn: Option<u32>,
    /// Autonomous system organisation.
    pub as_org: Option<&'a str>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: Option<&'a str>,
}

#[derive(Deserialize)]
struct Rec<'a> {
    #[serde(borrow, default)]
    country: Option<CountryRec<'a>>,
    #[serde(borrow, default)]
    country_code: Option<&'a str>,
    #[serde(default)]
    autonomous_system_number: Option<u32>,
    #[serde(borrow, default)]
    autonomous_system_organization: Option<&'a str>,
}

#[derive(Deserialize)]
struct CountryRec<'a> {
    #[serde(borrow, default)]
    iso_code: Option<&'a str>,
}

impl GeoDb {
    /// Opens a database; a missing, unreadable or non-MaxMind file is an error.
    pub fn open(path: &Path) -> Result<GeoDb> {
        let bytes = std::fs::read(path).map_err(|e| Error::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        let reader = maxminddb::Reader::from_source(bytes).map_err(|e| Error::GeoDb {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(GeoDb {
            reader,
            path: path.to_path_buf(),
        })
    }

    /// The database's type string from its metadata.
    pub fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    /// Looks an address up. An address the database does not cover, or a
    /// record of an unexpected shape, gives an empty [`GeoInfo`].
    pub fn lookup(&self, ip: IpAddr) -> GeoInfo<'_> {
        let Ok(res) = self.reader.lookup(ip) else {
            return GeoInfo::default();
        };
        match res.decode::<Rec<'_>>() {
            Ok(Some(r)) => GeoInfo {
                asn: r.autonomous_system_number,
                as_org: r.autonomous_system_organization,
                country: r.country.and_then(|c| c.iso_code).or(r.country_code),
            },
            _ => GeoInfo::default(),
        }
    }
}
