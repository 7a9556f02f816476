//! Conformance against the shared corpus (read in place, never copied):
//!
//! * nDPI's application labels for flows in the corpus captures are an
//!   independent oracle for the host → service lookup;
//! * hostnames of malware C2 captures must not be mistaken for cloud services;
//! * every URL of the proxy-log samples enriches without surprise.
//!
//! Without the corpus the tests fail when `CI` is set, and skip otherwise.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kensa_enrich::{Catalog, EnrichConfig, Enricher, Policy, normalize_host};
use kensa_model::{WebRecord, split_url};

fn corpus() -> Option<PathBuf> {
    let p = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
    ))
    .to_path_buf();
    if p.join("README.md").is_file() {
        return Some(p);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "shared corpus not found at {} (required when CI is set)",
            p.display()
        );
    }
    eprintln!("note: shared corpus not found at {}; skipping", p.display());
    None
}

fn files_with_suffix(dir: &Path, suffix: &str, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_with_suffix(&p, suffix, out);
        } else if p.to_string_lossy().ends_with(suffix) {
            out.push(p);
        }
    }
}

/// `(application name after the last '.', Hostname/SNI)` of each nDPI flow line.
fn ndpi_flows(path: &Path) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
    let mut out = Vec::new();
    for line in text.lines() {
        let field = |key: &str| {
            let start = line.find(key)? + key.len();
            let end = line[start..].find(']')? + start;
            Some(line[start..end].trim().to_string())
        };
        let (Some(proto), Some(host)) = (field("[proto: "), field("[Hostname/SNI: ")) else {
            continue;
        };
        // `91.121/TLS.Dropbox` → `Dropbox`; `5/DNS` → `DNS`.
        let name = proto.rsplit('/').next().unwrap_or("");
        let app = name.rsplit('.').next().unwrap_or(name).to_string();
        out.push((app, host));
    }
    out
}

#[test]
fn ndpi_application_labels_agree_with_the_catalog() {
    let Some(root) = corpus() else { return };
    let catalog = Catalog::builtin().unwrap();
    // nDPI application → kensa service.
    let oracle: BTreeMap<&str, &str> = [
        ("Dropbox", "dropbox"),
        ("AnyDesk", "anydesk"),
        ("Discord", "discord"),
        ("ProtonVPN", "proton-vpn"),
        ("YouTube", "youtube"),
        ("YouTubeUpload", "youtube"),
        ("GMail", "gmail"),
        ("Facebook", "facebook"),
        ("TeamViewer", "teamviewer"),
        ("Telegram", "telegram"),
    ]
    .into_iter()
    .collect();
    let mut files = Vec::new();
    files_with_suffix(&root.join("pcap"), ".ndpi.out", &mut files);
    assert!(files.len() >= 40, "only {} nDPI outputs", files.len());
    let mut checked = 0;
    let mut apps = BTreeSet::new();
    for f in &files {
        for (app, host) in ndpi_flows(f) {
            let Some(want) = oracle.get(app.as_str()) else {
                continue;
            };
            let h = normalize_host(&host);
            let got = catalog.lookup(&h).map(|m| m.service.id.as_str());
            assert_eq!(
                got,
                Some(*want),
                "{}: nDPI says {app} for {host}",
                f.display()
            );
            checked += 1;
            apps.insert(app);
        }
    }
    assert!(checked >= 20, "only {checked} labelled flows checked");
    assert!(apps.len() >= 7, "only {apps:?}");
}

#[test]
fn malware_c2_hosts_are_not_cloud_services() {
    let Some(root) = corpus() else { return };
    let catalog = Catalog::builtin().unwrap();
    let mut files = Vec::new();
    files_with_suffix(&root.join("pcap/malware_c2"), ".ndpi.out", &mut files);
    let mut seen = 0;
    for f in &files {
        for (_, host) in ndpi_flows(f) {
            let h = normalize_host(&host);
            assert!(catalog.lookup(&h).is_none(), "{host} in {}", f.display());
            seen += 1;
        }
    }
    assert!(seen >= 8, "only {seen} hosts");
}

#[test]
fn proxy_log_urls_enrich_as_expected() {
    let Some(root) = corpus() else { return };
    let enricher = Enricher::new(
        Catalog::builtin().unwrap(),
        Policy::default(),
        EnrichConfig::default(),
    )
    .unwrap();
    let mut files = Vec::new();
    for d in ["proxy/squid", "proxy/bluecoat_proxysg", "proxy/ifilter"] {
        files_with_suffix(&root.join(d), "", &mut files);
    }
    files.retain(|f| !f.to_string_lossy().ends_with(".md"));
    assert!(files.len() >= 8, "{files:?}");
    let mut urls = 0;
    let mut services: BTreeMap<String, String> = BTreeMap::new();
    let mut ip_hosts = 0;
    for f in &files {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let tokens: Vec<&str> = line
                .split_whitespace()
                .map(|t| t.trim_matches('"'))
                .collect();
            for (i, t) in tokens.iter().enumerate() {
                let after_connect = i > 0 && tokens[i - 1].ends_with("CONNECT");
                if !(t.contains("://") || (after_connect && t.contains(':'))) {
                    continue;
                }
                let parts = split_url(t);
                let Some(host) = parts.host else { continue };
                let rec = WebRecord {
                    host: Some(Cow::Owned(host.to_ascii_lowercase())),
                    path: parts.path.map(Cow::Borrowed),
                    query: parts.query.map(Cow::Borrowed),
                    method: Some(Cow::Borrowed(if after_connect { "CONNECT" } else { "GET" })),
                    ..Default::default()
                };
                let out = enricher.enrich(&rec);
                urls += 1;
                if out.host_is_ip {
                    ip_hosts += 1;
                    assert!(
                        out.registered_domain.is_none() && out.service.is_none(),
                        "{t}"
                    );
                }
                if let Some(s) = out.service {
                    services.insert(host.to_ascii_lowercase(), s.id.clone());
                }
                // Reserved example names never match, whatever they look like
                // (torproject.example.org, paste.example.net, storage.example.com…).
                if let Some(reg) = out.registered_domain.as_deref()
                    && reg.starts_with("example.")
                {
                    assert!(
                        out.service.is_none(),
                        "{t} matched {:?}",
                        out.service.map(|s| &s.id)
                    );
                }
            }
        }
    }
    assert!(urls >= 150, "only {urls} URLs");
    assert!(ip_hosts >= 20, "only {ip_hosts} IP-literal hosts");
    assert_eq!(
        services.get("api.github.com").map(String::as_str),
        Some("github"),
        "{services:?}"
    );
    assert_eq!(
        services.get("login.yahoo.com"),
        None,
        "the Yahoo login page is not Yahoo Mail"
    );
    assert!(!services.contains_key("torproject.example.org"));
}
