//! The [`Matcher`]: every indicator of every source in lookup tables,
//! built once, then shared by all detector threads (`Send + Sync`).
//!
//! * Domains: one hash map; a host is looked up whole, then each parent
//!   suffix (`a.b.evil.com`, `b.evil.com`, `evil.com`, `com`). A parent hit
//!   counts only if the listed domain allows sub-domains and is not itself a
//!   public suffix (checked once at build time with the `psl` crate), so a
//!   feed listing `appspot.com` matches `appspot.com` but not every app.
//! * IPs: exact addresses in a hash map; CIDRs in a sorted table of
//!   disjoint ranges, each carrying every prefix that covers it (longest
//!   first). One binary search gives all covering networks, longest prefix
//!   first. Chosen over a prefix trie (`prefix-trie`) because it is two flat
//!   arrays (cache-friendly, trivially `Sync`), builds with one sort, and
//!   answers "all covering prefixes" in one step.
//! * URLs: one hash map of normalised URLs; a URL is looked up whole
//!   (exact), then without its query and at each `/` boundary of its path
//!   (prefix: a listed `http://h/dl` matches `http://h/dl/x.exe`).
//! * Hashes and fingerprints: one hash map per kind, exact.
//!
//! Lookups allocate nothing on a miss: hosts are lower-cased into a stack
//! buffer, URLs normalised into a thread-local buffer, and the result is an
//! empty `Vec` (which does not allocate).

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::IpAddr;

use foldhash::fast::RandomState;
use serde::Serialize;

use kensa_model::cidr::RangeTable;

use crate::normalize;
use crate::{Indicator, IndicatorKind};

/// Index of an indicator in its [`Matcher`] ([`Matcher::indicator`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct IndicatorId(pub u32);

/// How a value matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "how")]
pub enum MatchHow {
    /// The same normalised value.
    Exact,
    /// The host is a sub-domain of a listed domain.
    Subdomain,
    /// The address is inside a listed network of this prefix length.
    Cidr {
        /// Prefix length of the network.
        prefix_len: u8,
    },
    /// The URL continues a listed URL at a `/` boundary, or adds a query.
    UrlPrefix,
    /// The host serves a listed URL ([`Matcher::match_url_host`]): weaker
    /// evidence, for when only the host is known (HTTPS via `CONNECT`).
    UrlHost,
}

/// One match: which indicator and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// The indicator ([`Matcher::indicator`]).
    pub id: IndicatorId,
    /// How it matched.
    #[serde(flatten)]
    pub how: MatchHow,
}

type Map<K> = HashMap<K, Span, RandomState>;

/// A run of ids in `Matcher::ids`.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    len: u32,
}

/// Lookup tables over a set of indicators. Build once with
/// [`Matcher::new`] (or [`crate::IntelStore::matcher`]); share by reference
/// or `Arc` across threads.
#[derive(Debug)]
pub struct Matcher {
    indicators: Vec<Indicator>,
    ids: Vec<u32>,
    domains: Map<Box<str>>,
    /// The last two labels of every domain key: a host whose last two
    /// labels are not here cannot match, so most misses cost one lookup.
    tails: std::collections::HashSet<Box<str>, RandomState>,
    /// Per domain key: sub-domains may match (listed with `subdomains`, and
    /// not a public suffix).
    v4: HashMap<u32, Span, RandomState>,
    v6: HashMap<u128, Span, RandomState>,
    nets4: RangeTable<u32>,
    nets6: RangeTable<u128>,
    urls: Map<Box<str>>,
    /// Host (no port, no brackets) of every URL indicator.
    url_hosts: Map<Box<str>>,
    hashes: Vec<Map<Box<str>>>,
    /// Ids of domain indicators that may match sub-domains.
    sub_ok: Vec<bool>,
}

/// Counts of a [`Matcher`]'s tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MatcherStats {
    /// Indicators held.
    pub indicators: usize,
    /// Distinct domains.
    pub domains: usize,
    /// Distinct single addresses.
    pub ips: usize,
    /// Disjoint CIDR segments.
    pub cidr_segments: usize,
    /// Distinct URLs.
    pub urls: usize,
    /// Distinct hashes and fingerprints.
    pub hashes: usize,
}

fn group<K: std::hash::Hash + Eq + Ord>(mut pairs: Vec<(K, u32)>, ids: &mut Vec<u32>) -> HashMap<K, Span, RandomState> {
    pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut map = HashMap::with_capacity_and_hasher(pairs.len(), RandomState::default());
    let mut it = pairs.into_iter().peekable();
    while let Some((k, id)) = it.next() {
        let start = ids.len() as u32;
        ids.push(id);
        while let Some((k2, _)) = it.peek() {
            if *k2 != k {
                break;
            }
            if let Some((_, id2)) = it.next() {
                ids.push(id2);
            }
        }
        map.insert(k, Span { start, len: ids.len() as u32 - start });
    }
    map.shrink_to_fit();
    map
}

/// The host of a normalised URL, without port or IPv6 brackets.
fn url_host(u: &str) -> &str {
    let rest = u.split_once("://").map_or(u, |(_, r)| r);
    let auth = rest.split(['/', '?']).next().unwrap_or("");
    if let Some(v6) = auth.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("");
    }
    auth.rsplit_once(':').map_or(auth, |(h, _)| h)
}

/// `b.c` of `a.b.c`; the whole string if it has fewer than three labels.
fn last_two_labels(d: &str) -> &str {
    match d.rfind('.') {
        Some(i) => match d[..i].rfind('.') {
            Some(j) => &d[j + 1..],
            None => d,
        },
        None => d,
    }
}

fn is_public_suffix(d: &str) -> bool {
    psl::suffix(d.as_bytes()).is_some_and(|s| s.as_bytes().len() == d.len())
}

thread_local! {
    static URL_BUF: RefCell<String> = RefCell::new(String::with_capacity(256));
}

impl Matcher {
    /// Builds the tables. Indicators whose value does not parse for their
    /// kind (only possible with hand-made ones) are kept but unreachable.
    /// More than `u32::MAX` indicators are truncated.
    pub fn new(mut indicators: Vec<Indicator>) -> Matcher {
        indicators.truncate(u32::MAX as usize);
        let mut ids = Vec::with_capacity(indicators.len());
        let mut domains = Vec::new();
        let mut urls = Vec::new();
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        let mut nets4 = Vec::new();
        let mut nets6 = Vec::new();
        let mut hashes: Vec<Vec<(Box<str>, u32)>> = IndicatorKind::ALL.iter().map(|_| Vec::new()).collect();
        let mut sub_ok = vec![false; indicators.len()];
        for (i, ind) in indicators.iter().enumerate() {
            let id = i as u32;
            match ind.kind {
                IndicatorKind::Domain => {
                    sub_ok[i] = ind.subdomains && !is_public_suffix(&ind.value);
                    domains.push((Box::from(ind.value.as_str()), id));
                }
                IndicatorKind::Url => urls.push((Box::from(ind.value.as_str()), id)),
                IndicatorKind::Ip => match normalize::ip(&ind.value) {
                    Some(IpAddr::V4(a)) => v4.push((u32::from(a), id)),
                    Some(IpAddr::V6(a)) => v6.push((u128::from(a), id)),
                    None => {}
                },
                IndicatorKind::Cidr => match normalize::ip_or_cidr(&ind.value) {
                    Some(normalize::IpOrNet::Net(ipnet::IpNet::V4(n))) => {
                        nets4.push((u32::from(n.network()), n.prefix_len(), id))
                    }
                    Some(normalize::IpOrNet::Net(ipnet::IpNet::V6(n))) => {
                        nets6.push((u128::from(n.network()), n.prefix_len(), id))
                    }
                    Some(normalize::IpOrNet::Ip(IpAddr::V4(a))) => v4.push((u32::from(a), id)),
                    Some(normalize::IpOrNet::Ip(IpAddr::V6(a))) => v6.push((u128::from(a), id)),
                    None => {}
                },
                k => hashes[k.index()].push((Box::from(ind.value.as_str()), id)),
            }
        }
        let mut tails = std::collections::HashSet::with_hasher(RandomState::default());
        for (d, _) in &domains {
            tails.insert(Box::from(last_two_labels(d)));
        }
        tails.shrink_to_fit();
        let domains = group(domains, &mut ids);
        let url_hosts: Vec<(Box<str>, u32)> = urls.iter().map(|(u, id)| (Box::from(url_host(u)), *id)).collect();
        let urls = group(urls, &mut ids);
        let url_hosts = group(url_hosts, &mut ids);
        let v4 = group(v4, &mut ids);
        let v6 = group(v6, &mut ids);
        let hashes = hashes.into_iter().map(|h| group(h, &mut ids)).collect();
        Matcher {
            indicators,
            ids,
            domains,
            tails,
            v4,
            v6,
            nets4: RangeTable::build(nets4),
            nets6: RangeTable::build(nets6),
            urls,
            url_hosts,
            hashes,
            sub_ok,
        }
    }

    /// The indicator behind a hit.
    pub fn indicator(&self, id: IndicatorId) -> &Indicator {
        &self.indicators[id.0 as usize]
    }

    /// All indicators held.
    pub fn indicators(&self) -> &[Indicator] {
        &self.indicators
    }

    /// Table sizes.
    pub fn stats(&self) -> MatcherStats {
        MatcherStats {
            indicators: self.indicators.len(),
            domains: self.domains.len(),
            ips: self.v4.len() + self.v6.len(),
            cidr_segments: self.nets4.segments() + self.nets6.segments(),
            urls: self.urls.len(),
            hashes: self.hashes.iter().map(HashMap::len).sum(),
        }
    }

    fn span(&self, s: Span) -> &[u32] {
        &self.ids[s.start as usize..(s.start + s.len) as usize]
    }

    /// Matches a host name (or an IP literal, which goes to
    /// [`Matcher::match_ip`]): exact, then parent domains.
    pub fn match_host(&self, host: &str) -> Vec<Hit> {
        let host = host.trim();
        let host = host.strip_suffix('.').unwrap_or(host);
        if host.is_empty() {
            return Vec::new();
        }
        let last = host.as_bytes()[host.len() - 1];
        if (last.is_ascii_digit() || host.contains(':')) && let Some(ip) = normalize::ip(host) {
            return self.match_ip(ip);
        }
        let mut buf = [0u8; 256];
        if host.len() <= buf.len() {
            let b = &mut buf[..host.len()];
            b.copy_from_slice(host.as_bytes());
            b.make_ascii_lowercase();
            // Lower-casing ASCII bytes keeps UTF-8 valid.
            match std::str::from_utf8(b) {
                Ok(h) => self.match_domain_lc(h),
                Err(_) => Vec::new(),
            }
        } else {
            self.match_domain_lc(&host.to_ascii_lowercase())
        }
    }

    fn match_domain_lc(&self, h: &str) -> Vec<Hit> {
        let mut hits = Vec::new();
        // Every key has at least two labels, so a host's last two labels
        // must be some key's last two labels.
        if !h.contains('.') || !self.tails.contains(last_two_labels(h)) {
            return hits;
        }
        if let Some(&s) = self.domains.get(h) {
            hits.extend(self.span(s).iter().map(|&id| Hit { id: IndicatorId(id), how: MatchHow::Exact }));
        }
        let mut rest = h;
        while let Some(dot) = rest.find('.') {
            rest = &rest[dot + 1..];
            if !rest.contains('.') {
                break; // a single label is never a key
            }
            if let Some(&s) = self.domains.get(rest) {
                for &id in self.span(s) {
                    if self.sub_ok[id as usize] {
                        hits.push(Hit { id: IndicatorId(id), how: MatchHow::Subdomain });
                    }
                }
            }
        }
        hits
    }

    /// Matches an address: exact entries, then every covering network
    /// (longest prefix first). IPv4-mapped IPv6 is matched as IPv4.
    pub fn match_ip(&self, ip: IpAddr) -> Vec<Hit> {
        let mut hits = Vec::new();
        match normalize::canonical(ip) {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                if let Some(&s) = self.v4.get(&a) {
                    hits.extend(self.span(s).iter().map(|&id| Hit { id: IndicatorId(id), how: MatchHow::Exact }));
                }
                if !self.nets4.is_empty() {
                    hits.extend(self.nets4.lookup(a).iter().map(|&(id, len)| Hit { id: IndicatorId(id), how: MatchHow::Cidr { prefix_len: len } }));
                }
            }
            IpAddr::V6(a) => {
                let a = u128::from(a);
                if let Some(&s) = self.v6.get(&a) {
                    hits.extend(self.span(s).iter().map(|&id| Hit { id: IndicatorId(id), how: MatchHow::Exact }));
                }
                if !self.nets6.is_empty() {
                    hits.extend(self.nets6.lookup(a).iter().map(|&(id, len)| Hit { id: IndicatorId(id), how: MatchHow::Cidr { prefix_len: len } }));
                }
            }
        }
        hits
    }

    /// Matches an IP given as text (any form [`normalize::ip`] accepts);
    /// text that is not an address matches nothing.
    pub fn match_ip_str(&self, ip: &str) -> Vec<Hit> {
        normalize::ip(ip).map(|a| self.match_ip(a)).unwrap_or_default()
    }

    /// Matches a URL: exactly, then as a continuation of listed URLs (see
    /// the module docs). A URL that does not normalise matches nothing.
    pub fn match_url(&self, url: &str) -> Vec<Hit> {
        if self.urls.is_empty() {
            return Vec::new();
        }
        URL_BUF.with(|b| match b.try_borrow_mut() {
            Ok(mut buf) => self.match_url_in(url, &mut buf),
            Err(_) => self.match_url_in(url, &mut String::new()),
        })
    }

    fn match_url_in(&self, url: &str, buf: &mut String) -> Vec<Hit> {
        let mut hits = Vec::new();
        if normalize::url_into(url, buf).is_err() {
            return hits;
        }
        let n: &str = buf;
        if let Some(&s) = self.urls.get(n) {
            hits.extend(self.span(s).iter().map(|&id| Hit { id: IndicatorId(id), how: MatchHow::Exact }));
        }
        let base = n.split_once('?').map_or(n, |(b, _)| b);
        let path_start = base.find("://").map_or(0, |i| i + 3);
        let path_start = base[path_start..].find('/').map_or(base.len(), |i| path_start + i);
        let mut prefix = |p: &str| {
            if let Some(&s) = self.urls.get(p) {
                hits.extend(self.span(s).iter().map(|&id| Hit { id: IndicatorId(id), how: MatchHow::UrlPrefix }));
            }
        };
        if base.len() != n.len() {
            prefix(base);
        }
        // Each `/` boundary of the path, longest first, down to the root `/`.
        let mut end = base.len();
        let mut steps = 0;
        while let Some(i) = base[path_start..end].rfind('/') {
            let cut = path_start + i;
            steps += 1;
            if steps > 64 {
                break;
            }
            if cut == path_start {
                if end > path_start + 1 {
                    prefix(&base[..path_start + 1]);
                }
                break;
            }
            prefix(&base[..cut]);
            end = cut;
        }
        hits
    }

    /// URL indicators whose host is `host` (any path, port or scheme), as
    /// [`MatchHow::UrlHost`]. For proxy records that carry only a host
    /// (HTTPS `CONNECT`), where [`Matcher::match_url`] cannot apply. Weaker
    /// than a URL match: a shared host (a CDN, a hosting domain) may serve
    /// one bad URL among many good ones.
    pub fn match_url_host(&self, host: &str) -> Vec<Hit> {
        if self.url_hosts.is_empty() {
            return Vec::new();
        }
        let h = host.trim().trim_end_matches('.');
        let h = h.strip_prefix('[').and_then(|x| x.strip_suffix(']')).unwrap_or(h);
        let hit = |key: &str| match self.url_hosts.get(key) {
            Some(&s) => self.span(s).iter().map(|&id| Hit { id: IndicatorId(id), how: MatchHow::UrlHost }).collect(),
            None => Vec::new(),
        };
        if let Some(ip) = normalize::ip(h) {
            return hit(&ip.to_string());
        }
        let mut buf = [0u8; 256];
        if h.len() > buf.len() {
            return hit(&h.to_ascii_lowercase());
        }
        let b = &mut buf[..h.len()];
        b.copy_from_slice(h.as_bytes());
        b.make_ascii_lowercase();
        std::str::from_utf8(b).map(hit).unwrap_or_default()
    }

    /// Matches a hash or fingerprint of `kind` exactly (colons and case are
    /// ignored). Non-hash kinds match nothing.
    pub fn match_hash(&self, kind: IndicatorKind, value: &str) -> Vec<Hit> {
        if !kind.is_hash() {
            return Vec::new();
        }
        let map = &self.hashes[kind.index()];
        if map.is_empty() {
            return Vec::new();
        }
        let mut buf = [0u8; 160];
        let mut n = 0;
        for &b in value.trim().as_bytes() {
            if b == b':' || b == b' ' {
                continue;
            }
            if n == buf.len() {
                return Vec::new();
            }
            buf[n] = b.to_ascii_lowercase();
            n += 1;
        }
        let Ok(key) = std::str::from_utf8(&buf[..n]) else {
            return Vec::new();
        };
        match map.get(key) {
            Some(&s) => self.span(s).iter().map(|&id| Hit { id: IndicatorId(id), how: MatchHow::Exact }).collect(),
            None => Vec::new(),
        }
    }

    /// Matches any value, guessing what it is: an IP, a CIDR (matched by
    /// its network address), a URL, a hash (by length: 32 → JA3/JA3S/MD5,
    /// 40 → SHA-1/certificate SHA-1, 64 → SHA-256/certificate SHA-256,
    /// 128 → SHA-512), a JA4, or else a host name.
    pub fn match_any(&self, value: &str) -> Vec<Hit> {
        let v = value.trim();
        if let Some(ip) = normalize::ip(v) {
            return self.match_ip(ip);
        }
        if let Some(normalize::IpOrNet::Net(n)) = normalize::ip_or_cidr(v) {
            return self.match_ip(n.network());
        }
        if v.contains("://") {
            return self.match_url(v);
        }
        let hexish: String = v.chars().filter(|&c| c != ':').collect();
        if !hexish.is_empty() && hexish.bytes().all(|b| b.is_ascii_hexdigit()) {
            let kinds: &[IndicatorKind] = match hexish.len() {
                32 => &[IndicatorKind::Ja3, IndicatorKind::Ja3s, IndicatorKind::Md5],
                40 => &[IndicatorKind::CertSha1, IndicatorKind::Sha1],
                64 => &[IndicatorKind::CertSha256, IndicatorKind::Sha256],
                128 => &[IndicatorKind::Sha512],
                _ => &[],
            };
            if !kinds.is_empty() {
                return kinds.iter().flat_map(|&k| self.match_hash(k, &hexish)).collect();
            }
        }
        if normalize::hash(IndicatorKind::Ja4, v).is_ok() {
            return self.match_hash(IndicatorKind::Ja4, v);
        }
        self.match_host(v)
    }

    /// The registered domain (public suffix + one label) of a host, from
    /// the compiled-in Public Suffix List; `None` for IPs and bare suffixes.
    pub fn registered_domain(host: &str) -> Option<&str> {
        let d = psl::domain(host.as_bytes())?;
        let len = d.as_bytes().len();
        host.get(host.len() - len..)
    }
}

