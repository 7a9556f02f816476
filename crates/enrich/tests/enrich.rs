//! Per-record enrichment: domains, internal flags, service columns, geo.

use std::borrow::Cow;
use std::path::Path;

use kensa_enrich::{
    COLUMNS, Catalog, ColType, ColValue, EnrichConfig, Enricher, Error, Policy, Sanction,
};
use kensa_model::WebRecord;

fn enricher_with(config: EnrichConfig) -> Enricher {
    Enricher::new(Catalog::builtin().unwrap(), Policy::default(), config).unwrap()
}

fn enricher() -> Enricher {
    enricher_with(EnrichConfig::default())
}

fn host_rec(host: &str) -> WebRecord<'_> {
    WebRecord {
        host: Some(Cow::Borrowed(host)),
        ..Default::default()
    }
}

#[test]
fn registered_domain_and_suffix() {
    let e = enricher();
    let cases: &[(&str, Option<&str>, Option<&str>, bool)] = &[
        ("www.yahoo.co.jp", Some("yahoo.co.jp"), Some("co.jp"), false),
        (
            "shop.example.com.au",
            Some("example.com.au"),
            Some("com.au"),
            false,
        ),
        (
            "WWW.Example.CO.UK.",
            Some("example.co.uk"),
            Some("co.uk"),
            false,
        ),
        (
            "www.xn--wgv71a119e.jp",
            Some("xn--wgv71a119e.jp"),
            Some("jp"),
            false,
        ),
        // PSL wildcard `*.kobe.jp` and its exception `!city.kobe.jp`.
        (
            "www.example.kobe.jp",
            Some("www.example.kobe.jp"),
            Some("example.kobe.jp"),
            false,
        ),
        (
            "www.city.kobe.jp",
            Some("city.kobe.jp"),
            Some("kobe.jp"),
            false,
        ),
        (
            "a.b.c.city.osaka.jp",
            Some("city.osaka.jp"),
            Some("osaka.jp"),
            false,
        ),
        // Private PSL section: each user's name is registrable.
        (
            "foo.myname.github.io",
            Some("myname.github.io"),
            Some("github.io"),
            false,
        ),
        ("203.0.113.7", None, None, true),
        ("[2001:db8::1]", None, None, true),
        ("3232235777", None, None, true),
        ("0x7f000001", None, None, true),
        ("intranet", None, None, false),
    ];
    for (host, reg, sfx, is_ip) in cases {
        let r = host_rec(host);
        let out = e.enrich(&r);
        assert_eq!(out.registered_domain.as_deref(), *reg, "{host}");
        assert_eq!(out.public_suffix.as_deref(), *sfx, "{host}");
        assert_eq!(out.host_is_ip, *is_ip, "{host}");
    }
    // Borrowing: no allocation when the host is already normalised.
    let r = host_rec("www.yahoo.co.jp");
    let out = e.enrich(&r);
    assert!(matches!(out.registered_domain, Some(Cow::Borrowed(_))));
}

#[test]
fn sni_names_the_service_when_the_host_is_an_ip() {
    let e = enricher();
    let r = WebRecord {
        method: Some(Cow::Borrowed("CONNECT")),
        host: Some(Cow::Borrowed("162.125.6.18")),
        sni: Some(Cow::Borrowed("Content.DropboxAPI.com")),
        ..Default::default()
    };
    let out = e.enrich(&r);
    assert!(out.host_is_ip);
    assert_eq!(out.lookup_host.as_deref(), Some("content.dropboxapi.com"));
    assert_eq!(out.registered_domain.as_deref(), Some("dropboxapi.com"));
    assert_eq!(out.service.unwrap().id, "dropbox");
    assert_eq!(
        out.dst_internal,
        Some(false),
        "an IP-literal host is the destination"
    );
    // No host at all: SNI alone.
    let r = WebRecord {
        sni: Some(Cow::Borrowed("pastebin.com")),
        ..Default::default()
    };
    assert_eq!(e.enrich(&r).service.unwrap().id, "pastebin");
    // An IP-literal SNI names nothing.
    let r = WebRecord {
        sni: Some(Cow::Borrowed("10.0.0.1")),
        ..Default::default()
    };
    let out = e.enrich(&r);
    assert!(out.service.is_none() && out.lookup_host.is_none());
}

#[test]
fn internal_flags_with_default_ranges() {
    let e = enricher();
    let flag = |client: &str, server: &str| {
        let r = WebRecord {
            client_ip: Some(Cow::Borrowed(client)),
            server_ip: Some(Cow::Borrowed(server)),
            host: Some(Cow::Borrowed("example.com")),
            ..Default::default()
        };
        let out = e.enrich(&r);
        (out.src_internal, out.dst_internal)
    };
    assert_eq!(
        flag("10.20.1.15", "203.0.113.10"),
        (Some(true), Some(false))
    );
    assert_eq!(flag("172.16.0.1", "172.32.0.1"), (Some(true), Some(false)));
    assert_eq!(flag("192.168.1.1", "127.0.0.1"), (Some(true), Some(true)));
    assert_eq!(flag("169.254.3.3", "8.8.8.8"), (Some(true), Some(false)));
    assert_eq!(
        flag("fd12:3456::1", "2001:db8::1"),
        (Some(true), Some(false))
    );
    assert_eq!(flag("fe80::1%eth0", "::1"), (Some(true), Some(true)));
    assert_eq!(
        flag("::ffff:192.168.0.9", "::ffff:8.8.8.8"),
        (Some(true), Some(false))
    );
    assert_eq!(flag("-", "-"), (None, None));
    assert_eq!(flag("ws-0042.corp.example", ""), (None, None));
}

#[test]
fn internal_ranges_are_configurable() {
    let nets = EnrichConfig::parse_cidrs(&["100.64.0.0/10", "198.51.100.7", "2001:db8:abcd::/48"])
        .unwrap();
    let e = enricher_with(EnrichConfig {
        internal_cidrs: nets,
        ..EnrichConfig::default()
    });
    use std::net::IpAddr;
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    assert!(e.is_internal(ip("100.64.1.1")));
    assert!(e.is_internal(ip("198.51.100.7")));
    assert!(!e.is_internal(ip("198.51.100.8")));
    assert!(e.is_internal(ip("2001:db8:abcd:1::5")));
    assert!(
        !e.is_internal(ip("10.0.0.1")),
        "defaults replaced, not extended"
    );
    let err = EnrichConfig::parse_cidrs(&["10.0.0.0/8", "10.0.0.0/33"]).unwrap_err();
    assert!(
        err.to_string().contains("entry 2") && err.to_string().contains("10.0.0.0/33"),
        "{err}"
    );
    assert!(EnrichConfig::parse_cidrs(&["corp"]).is_err());
    // The default list is what the docs say.
    let d = EnrichConfig::default();
    assert_eq!(
        d.internal_cidrs.len(),
        kensa_enrich::DEFAULT_INTERNAL_CIDRS.len()
    );
}

#[test]
fn service_columns_and_status() {
    let cat = Catalog::builtin().unwrap();
    let pol = Policy::from_toml(
        "p.toml",
        "[tenants]\nmicrosoft-sharepoint = [\"contoso\"]\n",
        &cat,
    )
    .unwrap();
    let e = Enricher::new(cat, pol, EnrichConfig::default()).unwrap();
    let r = WebRecord {
        client_ip: Some(Cow::Borrowed("10.1.1.1")),
        method: Some(Cow::Borrowed("POST")),
        host: Some(Cow::Borrowed("fabrikam.sharepoint.com")),
        path: Some(Cow::Borrowed("/sites/x/_layouts/15/Upload.aspx")),
        ..Default::default()
    };
    let out = e.enrich(&r);
    let vals: Vec<ColValue<'_>> = (0..COLUMNS.len()).map(|i| out.value(i)).collect();
    let by_name = |n: &str| vals[COLUMNS.iter().position(|c| c.name == n).unwrap()];
    assert_eq!(by_name("reg_domain"), ColValue::Utf8("sharepoint.com"));
    assert_eq!(by_name("public_suffix"), ColValue::Utf8("com"));
    assert_eq!(
        by_name("service_id"),
        ColValue::Utf8("microsoft-sharepoint")
    );
    assert_eq!(by_name("service_category"), ColValue::Utf8("storage"));
    assert_eq!(by_name("service_tenant"), ColValue::Utf8("fabrikam"));
    assert_eq!(by_name("service_status"), ColValue::Utf8("unsanctioned"));
    assert_eq!(by_name("upload_action"), ColValue::Bool(true));
    assert_eq!(
        by_name("upload_rule"),
        ColValue::Utf8("microsoft-sharepoint/upload-page")
    );
    assert_eq!(by_name("src_internal"), ColValue::Bool(true));
    assert_eq!(by_name("dst_internal"), ColValue::Null);
    assert_eq!(by_name("dst_asn"), ColValue::Null);
    assert_eq!(out.status, Some(Sanction::Unsanctioned));
    // A record with no service.
    let r = host_rec("www.example.org");
    let out = e.enrich(&r);
    assert_eq!(
        out.value(COLUMNS.iter().position(|c| c.name == "service_id").unwrap()),
        ColValue::Null
    );
    assert_eq!(
        out.value(
            COLUMNS
                .iter()
                .position(|c| c.name == "upload_action")
                .unwrap()
        ),
        ColValue::Bool(false)
    );
    assert_eq!(out.value(COLUMNS.len()), ColValue::Null);
}

#[test]
fn columns_are_unique_and_values_fit_their_types() {
    let mut names: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), COLUMNS.len());
    let e = enricher();
    let records = [
        WebRecord::default(),
        host_rec("content.dropboxapi.com"),
        WebRecord {
            client_ip: Some(Cow::Borrowed("10.0.0.1")),
            server_ip: Some(Cow::Borrowed("8.8.8.8")),
            method: Some(Cow::Borrowed("POST")),
            host: Some(Cow::Borrowed("acme.slack.com")),
            path: Some(Cow::Borrowed("/api/chat.postMessage")),
            ..Default::default()
        },
    ];
    for r in &records {
        let out = e.enrich(r);
        for (i, c) in COLUMNS.iter().enumerate() {
            let v = out.value(i);
            let ok = matches!(
                (c.ty, v),
                (_, ColValue::Null)
                    | (ColType::Utf8, ColValue::Utf8(_))
                    | (ColType::Bool, ColValue::Bool(_))
                    | (ColType::UInt32, ColValue::UInt32(_))
            );
            assert!(ok, "{} has {v:?}", c.name);
            assert!(
                c.nullable || v != ColValue::Null,
                "{} is not nullable",
                c.name
            );
        }
    }
}

#[test]
fn service_table_columns_fit_their_types() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Enricher>();
    let c = Catalog::builtin().unwrap();
    for s in c.services() {
        for (i, col) in kensa_enrich::SERVICE_COLUMNS.iter().enumerate() {
            let v = s.value(i);
            let ok = matches!(
                (col.ty, v),
                (_, ColValue::Null)
                    | (ColType::Utf8, ColValue::Utf8(_))
                    | (ColType::Bool, ColValue::Bool(_))
                    | (ColType::UInt32, ColValue::UInt32(_))
            );
            assert!(
                ok && (col.nullable || v != ColValue::Null),
                "{}.{} = {v:?}",
                s.id,
                col.name
            );
        }
    }
    let g = c.get("gigafile").unwrap();
    assert_eq!(g.value(2), ColValue::Utf8("ギガファイル便"));
    assert_eq!(g.value(5), ColValue::Utf8("ファイル転送"));
    assert_eq!(g.value(6), ColValue::Bool(true));
    assert_eq!(c.get("mega").unwrap().value(8), ColValue::Bool(true));
    assert_eq!(c.get("slack").unwrap().value(9), ColValue::Bool(true));
    assert_eq!(c.get("dropbox").unwrap().value(10), ColValue::UInt32(1));
}

/// Writes a tiny MaxMind-format database with the given `(cidr, record)`s.
fn write_mmdb<T: serde::Serialize>(path: &Path, db_type: &str, rows: &[(&str, T)]) {
    use maxminddb_writer::{Database, metadata::IpVersion, paths::IpAddrWithMask};
    let mut db = Database::default();
    db.metadata.ip_version = IpVersion::V6;
    db.metadata.database_type = db_type.to_string();
    db.metadata.binary_format_major_version = 2;
    db.metadata.languages = vec!["en".into()];
    for (cidr, rec) in rows {
        let data = db.insert_value(rec).unwrap();
        let net: IpAddrWithMask = cidr.parse().unwrap();
        db.insert_node(net, data);
    }
    let f = std::fs::File::create(path).unwrap();
    db.write_to(std::io::BufWriter::new(f)).unwrap();
}

#[derive(serde::Serialize)]
struct GeoIp2Like {
    country: IsoCode,
    autonomous_system_number: u32,
    autonomous_system_organization: &'static str,
}
#[derive(serde::Serialize)]
struct IsoCode {
    iso_code: &'static str,
}
#[derive(serde::Serialize)]
struct IpLocationDbCountry {
    country_code: &'static str,
}
#[derive(serde::Serialize)]
struct AsnOnly {
    autonomous_system_number: u32,
    autonomous_system_organization: &'static str,
}

#[test]
fn geo_and_asn_from_maxmind_format_databases() {
    let dir = tempfile::tempdir().unwrap();
    let geo = dir.path().join("country.mmdb");
    let asn = dir.path().join("asn.mmdb");
    write_mmdb(
        &geo,
        "kensa-test-country",
        &[
            (
                "::8.8.8.0/120",
                Some(GeoIp2Like {
                    country: IsoCode { iso_code: "US" },
                    autonomous_system_number: 15169,
                    autonomous_system_organization: "GOOGLE",
                }),
            ),
            (
                "2001:db8::/32",
                Some(GeoIp2Like {
                    country: IsoCode { iso_code: "NL" },
                    autonomous_system_number: 64500,
                    autonomous_system_organization: "DOC-V6",
                }),
            ),
        ],
    );
    // A second layout in a second file (ip-location-db style country; ASN-only file).
    let geo2 = dir.path().join("country2.mmdb");
    write_mmdb(
        &geo2,
        "kensa-test-country2",
        &[(
            "::133.242.0.0/112",
            IpLocationDbCountry { country_code: "JP" },
        )],
    );
    write_mmdb(
        &asn,
        "kensa-test-asn",
        &[(
            "::133.242.0.0/112",
            AsnOnly {
                autonomous_system_number: 9370,
                autonomous_system_organization: "SAKURA Internet Inc.",
            },
        )],
    );

    let e = enricher_with(EnrichConfig {
        geo_db: Some(geo.clone()),
        ..EnrichConfig::default()
    });
    let dst = |e: &Enricher, ip: &str| {
        let r = WebRecord {
            server_ip: Some(Cow::Borrowed(ip)),
            host: Some(Cow::Borrowed("example.com")),
            ..Default::default()
        };
        let g = e.enrich(&r).geo;
        (
            g.asn,
            g.as_org.map(str::to_string),
            g.country.map(str::to_string),
        )
    };
    assert_eq!(
        dst(&e, "8.8.8.8"),
        (Some(15169), Some("GOOGLE".into()), Some("US".into()))
    );
    assert_eq!(
        dst(&e, "2001:db8::5"),
        (Some(64500), Some("DOC-V6".into()), Some("NL".into()))
    );
    assert_eq!(
        dst(&e, "1.1.1.1"),
        (None, None, None),
        "not in the database"
    );
    assert_eq!(
        dst(&e, "10.0.0.1"),
        (None, None, None),
        "internal addresses are not looked up"
    );

    let e2 = enricher_with(EnrichConfig {
        geo_db: Some(geo2),
        asn_db: Some(asn),
        ..EnrichConfig::default()
    });
    assert_eq!(
        dst(&e2, "133.242.5.6"),
        (
            Some(9370),
            Some("SAKURA Internet Inc.".into()),
            Some("JP".into())
        )
    );
    // The IP-literal host is the destination when no server IP is logged.
    let r = host_rec("133.242.5.6");
    assert_eq!(e2.enrich(&r).geo.country, Some("JP"));
    // Values reach the columns.
    let out = e2.enrich(&r);
    let i = COLUMNS.iter().position(|c| c.name == "dst_asn").unwrap();
    assert_eq!(out.value(i), ColValue::UInt32(9370));

    // Bad paths and files are clear errors; no path is not an error.
    let missing = dir.path().join("missing.mmdb");
    let err = Enricher::new(
        Catalog::builtin().unwrap(),
        Policy::default(),
        EnrichConfig {
            geo_db: Some(missing),
            ..EnrichConfig::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::Io { .. }) && err.to_string().contains("missing.mmdb"),
        "{err}"
    );
    let junk = dir.path().join("junk.mmdb");
    std::fs::write(&junk, b"this is not a MaxMind database").unwrap();
    let err = Enricher::new(
        Catalog::builtin().unwrap(),
        Policy::default(),
        EnrichConfig {
            asn_db: Some(junk),
            ..EnrichConfig::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::GeoDb { .. }) && err.to_string().contains("junk.mmdb"),
        "{err}"
    );
    assert_eq!(dst(&enricher(), "8.8.8.8"), (None, None, None));
}

/// A small deterministic generator of hostile field values.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn field(&mut self) -> String {
        const ALPHABET: &[&str] = &[
            "a",
            "z",
            "0",
            "9",
            ".",
            "-",
            "_",
            "[",
            "]",
            ":",
            "%",
            "/",
            "?",
            "&",
            "=",
            " ",
            "*",
            "x",
            "n--",
            "é",
            "日本",
            "\u{0}",
            "\u{202e}",
            "0x",
            "dropbox",
            "com",
            "co.jp",
            "sharepoint",
            "-my",
            "slack",
            "255",
            "::",
            "ffff",
            "upload",
            "api",
        ];
        let n = (self.next() % 40) as usize;
        (0..n)
            .map(|_| ALPHABET[(self.next() as usize) % ALPHABET.len()])
            .collect()
    }
}

#[test]
fn hostile_records_never_panic() {
    let e = enricher();
    let mut g = Lcg(0x5eed);
    let long = "a.".repeat(5000) + "dropbox.com";
    for i in 0..20_000 {
        let (host, sni, client, server, method, path, query, url) = (
            g.field(),
            g.field(),
            g.field(),
            g.field(),
            g.field(),
            g.field(),
            g.field(),
            g.field(),
        );
        let r = WebRecord {
            host: Some(Cow::Owned(if i % 1000 == 0 { long.clone() } else { host })),
            sni: Some(Cow::Owned(sni)),
            client_ip: Some(Cow::Owned(client)),
            server_ip: Some(Cow::Owned(server)),
            method: Some(Cow::Owned(method)),
            path: if i % 3 == 0 {
                None
            } else {
                Some(Cow::Owned(path))
            },
            query: Some(Cow::Owned(query)),
            url: Some(Cow::Owned(url)),
            ..Default::default()
        };
        let out = e.enrich(&r);
        for c in 0..COLUMNS.len() {
            let _ = out.value(c);
        }
    }
    // A host longer than DNS allows never matches a service.
    let r = host_rec(&long);
    assert!(e.enrich(&r).service.is_none());
}
