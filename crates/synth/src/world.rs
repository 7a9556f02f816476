//! The simulated organisation: hosts, users, browsers, and the interned
//! tables (destinations, user agents) that events point into.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use crate::rng::{Rng, hash_str};

/// URL category of a destination, as a filtering proxy would rate it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Cat {
    Search,
    Portal,
    News,
    Business,
    Tech,
    Ads,
    Cdn,
    Email,
    Storage,
    Chat,
    Social,
    Shopping,
    Travel,
    Government,
    Finance,
    Reference,
    Video,
    SoftwareUpdates,
    Security,
    Blogs,
    Gambling,
    Adult,
    Games,
    P2p,
    GenAi,
    Uncategorized,
    Suspicious,
    RemoteAccess,
}

impl Cat {
    /// The Blue Coat-style category name (`cs-categories`).
    pub(crate) fn sg_name(self) -> &'static str {
        match self {
            Cat::Search => "Search Engines/Portals",
            Cat::Portal => "Search Engines/Portals",
            Cat::News => "News",
            Cat::Business => "Business/Economy",
            Cat::Tech => "Technology/Internet",
            Cat::Ads => "Web Ads/Analytics",
            Cat::Cdn => "Content Delivery Networks",
            Cat::Email => "Email",
            Cat::Storage => "Online Storage",
            Cat::Chat => "Chat (IM)/SMS",
            Cat::Social => "Social Networking",
            Cat::Shopping => "Shopping",
            Cat::Travel => "Travel",
            Cat::Government => "Government/Legal",
            Cat::Finance => "Financial Services",
            Cat::Reference => "Reference",
            Cat::Video => "Audio/Video Clips",
            Cat::SoftwareUpdates => "Software Downloads",
            Cat::Security => "Computer/Information Security",
            Cat::Blogs => "Personal Sites",
            Cat::Gambling => "Gambling",
            Cat::Adult => "Adult/Mature Content",
            Cat::Games => "Games",
            Cat::P2p => "Peer-to-Peer (P2P)",
            Cat::GenAi => "Artificial Intelligence",
            Cat::Uncategorized => "Uncategorized",
            Cat::Suspicious => "Suspicious",
            Cat::RemoteAccess => "Remote Access Tools",
        }
    }

    /// An i-FILTER-style category number (arbitrary but stable; the real
    /// number table is the vendor's).
    pub(crate) fn ifilter_no(self) -> u16 {
        match self {
            Cat::Search => 12,
            Cat::Portal => 13,
            Cat::News => 44,
            Cat::Business => 31,
            Cat::Tech => 66,
            Cat::Ads => 95,
            Cat::Cdn => 151,
            Cat::Email => 88,
            Cat::Storage => 109,
            Cat::Chat => 128,
            Cat::Social => 127,
            Cat::Shopping => 52,
            Cat::Travel => 58,
            Cat::Government => 20,
            Cat::Finance => 34,
            Cat::Reference => 40,
            Cat::Video => 81,
            Cat::SoftwareUpdates => 103,
            Cat::Security => 104,
            Cat::Blogs => 118,
            Cat::Gambling => 87,
            Cat::Adult => 1,
            Cat::Games => 86,
            Cat::P2p => 126,
            Cat::GenAi => 160,
            Cat::Uncategorized => 0,
            Cat::Suspicious => 150,
            Cat::RemoteAccess => 66,
        }
    }
}

/// One destination host name or IP literal.
#[derive(Debug, Clone)]
pub(crate) struct Dest {
    pub name: String,
    pub ip: Ipv4Addr,
    pub cat: Cat,
}

/// A User-Agent with its per-format renderings precomputed.
#[derive(Debug, Clone)]
pub(crate) struct Ua {
    pub raw: String,
    /// Squid `%{User-Agent}>h` default RFC 1738 escaping.
    pub squid: String,
    /// i-FILTER form-style percent-encoding (`+` for space).
    pub ifilter: String,
}

/// What a host is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostKind {
    Desktop,
    Laptop,
    Server,
}

/// One internal machine.
#[derive(Debug, Clone)]
pub(crate) struct Host {
    pub ip: Ipv4Addr,
    pub ip_str: String,
    pub name: String,
    pub kind: HostKind,
    /// Directory user, e.g. `yamada.taro` or `CORP\suzuki`; servers have none.
    pub user: Option<String>,
    /// Department / i-FILTER group (`eigyo`, `kaihatsu`, …).
    pub dept: &'static str,
    /// Primary browser UA (index into `World::uas`).
    pub ua: u16,
    /// Left switched on overnight and at weekends.
    pub always_on: bool,
    /// Mean overtime in hours after 17:30.
    pub overtime_h: f64,
    /// Usual arrival time, hours after local midnight.
    pub arrive_h: f64,
    /// Indices into the site catalogue this person visits often.
    pub favorites: Vec<usize>,
    /// Heavier user of file-sharing services (sales, design).
    pub sharer: bool,
}

/// Departments (romanised, as Japanese IT teams name AD groups).
pub(crate) const DEPTS: &[&str] = &[
    "eigyo", "soumu", "keiri", "kaihatsu", "jinji", "joho", "seizo", "kikaku",
];

const FAMILY: &[&str] = &[
    "yamada",
    "suzuki",
    "tanaka",
    "sato",
    "takahashi",
    "watanabe",
    "ito",
    "nakamura",
    "kobayashi",
    "kato",
    "yoshida",
    "yamamoto",
    "sasaki",
    "yamaguchi",
    "matsumoto",
    "inoue",
    "kimura",
    "hayashi",
    "shimizu",
    "yamazaki",
    "mori",
    "abe",
    "ikeda",
    "hashimoto",
    "ishikawa",
    "ogawa",
    "maeda",
    "okada",
    "hasegawa",
    "fujita",
    "goto",
    "kondo",
    "murakami",
    "endo",
    "aoki",
    "sakamoto",
    "saito",
    "fukuda",
    "ota",
    "nishimura",
];
const GIVEN: &[&str] = &[
    "taro", "hanako", "kenji", "yuki", "akira", "daisuke", "naoko", "satoshi", "yumi", "hiroshi",
    "takashi", "megumi", "shota", "ayaka", "ryo", "mai", "kazuya", "emi", "makoto", "kaori",
    "tsubasa", "haruka",
];

/// Browser UAs (the primary browser of a workstation), with rough shares.
pub(crate) const BROWSERS: &[(&str, u32)] = &[
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
        34,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
        38,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
        8,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        6,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
        6,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.0.0",
        5,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
        3,
    ),
];

/// Everything events point into.
#[derive(Debug)]
pub(crate) struct World {
    pub hosts: Vec<Host>,
    pub dests: Vec<Dest>,
    dest_index: HashMap<String, u32>,
    pub uas: Vec<Ua>,
    ua_index: HashMap<String, u16>,
    /// Generated long-tail domains (small businesses, blogs), rarely visited.
    pub longtail: Vec<u32>,
}

/// Squid's default `%{…}>h` escaping: RFC 1738 "unsafe" characters, controls,
/// space and non-ASCII become `%XX`; `( ) ; , / : ? & =` stay literal.
const SQUID_UNSAFE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'{')
    .add(b'}')
    .add(b'|')
    .add(b'\\')
    .add(b'^')
    .add(b'~')
    .add(b'[')
    .add(b']')
    .add(b'`')
    .add(b'\'');

/// i-FILTER form encoding: everything but unreserved characters is `%XX`,
/// space is `+` (and so a literal `+` is `%2B`).
const IFILTER_SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'*');

/// Squid's escaping of header values (User-Agent, Referer) in native,
/// common and combined formats.
pub(crate) fn squid_escape(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SQUID_UNSAFE).to_string()
}

/// Squid's `%[un` escaping of a user name: `%`, `[`, `]`, `\`, quotes,
/// space and non-printables become `%XX`.
pub(crate) fn squid_user_escape(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b'%')
        .add(b'[')
        .add(b']')
        .add(b'\\')
        .add(b' ')
        .add(b'"');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// i-FILTER's form-style percent-encoding of a text column.
pub(crate) fn ifilter_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for (i, chunk) in s.split(' ').enumerate() {
        if i > 0 {
            out.push('+');
        }
        out.extend(percent_encoding::utf8_percent_encode(chunk, IFILTER_SET));
    }
    out
}

/// A plausible public IPv4 address for a name (stable: hash of the name).
/// Avoids RFC 1918, loopback, multicast and documentation ranges.
pub(crate) fn public_ip_for(name: &str) -> Ipv4Addr {
    const FIRST: &[u8] = &[
        13, 18, 20, 23, 34, 35, 40, 43, 45, 52, 54, 64, 103, 104, 106, 108, 113, 118, 133, 140,
        142, 150, 151, 153, 157, 160, 163, 180, 182, 183, 202, 210, 211, 219, 220,
    ];
    let h = hash_str(name);
    let a = FIRST[(h % FIRST.len() as u64) as usize];
    let b = ((h >> 8) & 0xff) as u8;
    let c = ((h >> 16) & 0xff) as u8;
    let d = 1 + ((h >> 24) % 253) as u8;
    Ipv4Addr::new(a, b, c, d)
}

impl World {
    /// Builds the organisation: `n_hosts` machines, of which a few are servers.
    pub(crate) fn new(seed: u64, n_hosts: usize) -> World {
        let mut w = World {
            hosts: Vec::with_capacity(n_hosts),
            dests: Vec::new(),
            dest_index: HashMap::new(),
            uas: Vec::new(),
            ua_index: HashMap::new(),
            longtail: Vec::new(),
        };
        let n_servers = if n_hosts < 4 {
            1.min(n_hosts)
        } else {
            (n_hosts / 20).max(2)
        };
        let n_ws = n_hosts - n_servers;
        let mut used_users: HashMap<String, u32> = HashMap::new();
        let browser_weights: Vec<u32> = BROWSERS.iter().map(|b| b.1).collect();
        let n_sites = crate::catalog::SITES.len();
        for i in 0..n_ws {
            let mut r = Rng::derive(seed, "host", i as u64);
            let dept_i = r.weighted(&[22, 8, 6, 20, 5, 6, 18, 8]);
            let dept = DEPTS[dept_i];
            let kind = if r.chance(0.45) {
                HostKind::Laptop
            } else {
                HostKind::Desktop
            };
            let family = r.pick(FAMILY);
            let given = r.pick(GIVEN);
            let domain_style = r.chance(0.3);
            let base = if domain_style {
                format!("CORP\\{family}")
            } else {
                format!("{family}.{given}")
            };
            let n = used_users.entry(base.clone()).or_insert(0);
            *n += 1;
            let user = if *n == 1 { base } else { format!("{base}{n}") };
            let subnet = 20 + dept_i as u8;
            let ip = Ipv4Addr::new(10, subnet, 1 + (i / 200) as u8, 10 + (i % 200) as u8);
            let prefix = if kind == HostKind::Laptop { "NB" } else { "PC" };
            let name = format!("{prefix}-{}-{:04}", dept.to_ascii_uppercase(), 100 + i);
            let ua_raw = BROWSERS[r.weighted(&browser_weights)].0;
            let ua = w.ua(ua_raw);
            let mut favorites = Vec::new();
            for _ in 0..8 {
                favorites.push(r.zipf(n_sites, 0.9));
            }
            let overtime_h = match dept {
                "kaihatsu" | "joho" => r.uniform(0.8, 3.0),
                "eigyo" => r.uniform(0.3, 2.0),
                _ => r.uniform(0.0, 1.2),
            };
            w.hosts.push(Host {
                ip,
                ip_str: ip.to_string(),
                name,
                kind,
                user: Some(user),
                dept,
                ua,
                always_on: kind == HostKind::Desktop && r.chance(0.35),
                overtime_h,
                arrive_h: r.uniform(8.2, 9.7),
                favorites,
                sharer: matches!(dept, "eigyo" | "kikaku") && r.chance(0.5),
            });
        }
        const ROLES: &[&str] = &["FILE", "AD", "WEB", "DB", "APP", "MON", "BK", "PRN"];
        for j in 0..n_servers {
            let ip = Ipv4Addr::new(172, 16, 10 + (j / 240) as u8, 10 + (j % 240) as u8);
            let role = ROLES[j % ROLES.len()];
            let name = format!("SRV-{role}{:02}", 1 + j / ROLES.len());
            let ua = w.ua("Microsoft-CryptoAPI/10.0");
            w.hosts.push(Host {
                ip,
                ip_str: ip.to_string(),
                name,
                kind: HostKind::Server,
                user: None,
                dept: "server",
                ua,
                always_on: true,
                overtime_h: 0.0,
                arrive_h: 0.0,
                favorites: Vec::new(),
                sharer: false,
            });
        }
        // Long tail: many small-business and blog domains, each rarely visited.
        let mut r = Rng::derive(seed, "longtail", 0);
        let n_tail = 400 + n_hosts * 12;
        for _ in 0..n_tail {
            let name = crate::catalog::longtail_name(&mut r);
            let cat = r.pick(&[
                Cat::Business,
                Cat::Blogs,
                Cat::Blogs,
                Cat::Shopping,
                Cat::Business,
                Cat::Reference,
            ]);
            let d = w.dest(&name, cat);
            w.longtail.push(d);
        }
        w
    }

    /// Interns a destination name, returning its index.
    pub(crate) fn dest(&mut self, name: &str, cat: Cat) -> u32 {
        if let Some(&i) = self.dest_index.get(name) {
            return i;
        }
        let ip = name
            .parse::<Ipv4Addr>()
            .unwrap_or_else(|_| public_ip_for(name));
        let i = self.dests.len() as u32;
        self.dests.push(Dest {
            name: name.to_string(),
            ip,
            cat,
        });
        self.dest_index.insert(name.to_string(), i);
        i
    }

    /// Interns a User-Agent, returning its index.
    pub(crate) fn ua(&mut self, raw: &str) -> u16 {
        if let Some(&i) = self.ua_index.get(raw) {
            return i;
        }
        let i = self.uas.len() as u16;
        self.uas.push(Ua {
            raw: raw.to_string(),
            squid: squid_escape(raw),
            ifilter: ifilter_escape(raw),
        });
        self.ua_index.insert(raw.to_string(), i);
        i
    }

    /// Indices of workstation hosts.
    pub(crate) fn workstations(&self) -> impl Iterator<Item = usize> + '_ {
        self.hosts
            .iter()
            .enumerate()
            .filter(|(_, h)| h.kind != HostKind::Server)
            .map(|(i, _)| i)
    }

    /// Indices of server hosts.
    pub(crate) fn servers(&self) -> impl Iterator<Item = usize> + '_ {
        self.hosts
            .iter()
            .enumerate()
            .filter(|(_, h)| h.kind == HostKind::Server)
            .map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_match_the_format_notes() {
        let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)";
        assert_eq!(
            squid_escape(ua),
            "Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)"
        );
        assert_eq!(
            ifilter_escape(ua),
            "Mozilla%2F5.0+%28Windows+NT+10.0%3B+Win64%3B+x64%29"
        );
        assert_eq!(
            ifilter_escape("text/html; charset=utf-8"),
            "text%2Fhtml%3B+charset%3Dutf-8"
        );
        assert_eq!(ifilter_escape("a+b"), "a%2Bb");
        assert_eq!(squid_user_escape("CORP\\suzuki"), "CORP%5Csuzuki");
    }

    #[test]
    fn hosts_are_private_and_unique() {
        let w = World::new(1, 120);
        assert_eq!(w.hosts.len(), 120);
        let mut ips: Vec<_> = w.hosts.iter().map(|h| h.ip).collect();
        ips.sort();
        ips.dedup();
        assert_eq!(ips.len(), 120);
        assert!(w.hosts.iter().all(|h| h.ip.is_private()));
        assert!(w.servers().count() >= 2);
        assert!(w.servers().all(|i| w.hosts[i].user.is_none()));
        let mut users: Vec<_> = w.hosts.iter().filter_map(|h| h.user.clone()).collect();
        let n = users.len();
        users.sort();
        users.dedup();
        assert_eq!(users.len(), n, "user names are unique");
        assert!(!public_ip_for("example.co.jp").is_private());
        // Big worlds keep addresses and names unique too (hundreds of servers).
        let big = World::new(2, 6_000);
        let mut ips: Vec<_> = big.hosts.iter().map(|h| h.ip).collect();
        ips.sort();
        ips.dedup();
        assert_eq!(ips.len(), 6_000);
        let mut names: Vec<_> = big.hosts.iter().map(|h| h.name.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 6_000);
    }
}
