//! Small helpers shared by the detectors: user-agent classes, robust
//! statistics, local time, destination prevalence and finding boilerplate.

use crate::detector::{DetectorInfo, samples};
use crate::finding::Finding;
use crate::table::{EventTable, NONE, Sym};
use std::collections::HashMap;
use std::net::IpAddr;

/// What a User-Agent string looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UaClass {
    /// No User-Agent sent (or `-` / blank).
    Empty,
    /// An HTTP library or scripting tool (curl, python-requests, PowerShell,
    /// Go-http-client, WinHTTP, …), with its short name.
    Scripting(&'static str),
    /// Anything else (browsers, application agents).
    Other,
}

/// Case-insensitive markers of HTTP libraries and scripting tools, with the
/// short name reported. Matched as substrings of the lower-cased agent.
/// Hand-written: a dozen substrings do not justify a UA-parser crate and its
/// regex database, and browsers are not what we need to recognise here.
const SCRIPTING: &[(&str, &str)] = &[
    ("curl/", "curl"),
    ("wget/", "wget"),
    ("python-requests", "python-requests"),
    ("python-urllib", "python-urllib"),
    ("aiohttp", "python-aiohttp"),
    ("windowspowershell", "PowerShell"),
    ("powershell", "PowerShell"),
    ("go-http-client", "Go-http-client"),
    ("winhttp", "WinHTTP"),
    ("microsoft bits", "BITS"),
    ("libwww-perl", "libwww-perl"),
    ("java/", "Java"),
    ("okhttp", "okhttp"),
    ("nim httpclient", "Nim httpclient"),
    ("certutil", "certutil"),
];

/// Classifies a User-Agent (`None` = not logged, which is [`UaClass::Empty`]
/// only when the caller knows the format logs agents).
pub fn ua_class(ua: Option<&str>) -> UaClass {
    let Some(ua) = ua else {
        return UaClass::Empty;
    };
    let t = ua.trim();
    if t.is_empty() || t == "-" {
        return UaClass::Empty;
    }
    // Agents are attacker-controlled: bound the work on huge values.
    let head: String = t.chars().take(256).collect::<String>().to_ascii_lowercase();
    for (m, name) in SCRIPTING {
        if head.contains(m) {
            return UaClass::Scripting(name);
        }
    }
    UaClass::Other
}

/// Median of `v` (sorted in place); `None` when empty or non-finite.
pub fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() || v.iter().any(|x| !x.is_finite()) {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Median and median absolute deviation of `v`.
pub fn median_mad(v: &[f64]) -> Option<(f64, f64)> {
    let mut a = v.to_vec();
    let m = median(&mut a)?;
    let mut d: Vec<f64> = v.iter().map(|x| (x - m).abs()).collect();
    let mad = median(&mut d)?;
    Some((m, mad))
}

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// Local day number, hour (0–23) and weekday (0 = Monday … 6 = Sunday) of
/// `ts_ms` at a fixed UTC offset in hours.
pub fn local_time(ts_ms: i64, utc_offset_h: f64) -> (i64, u32, u32) {
    let off = if utc_offset_h.is_finite() {
        (utc_offset_h.clamp(-14.0, 14.0) * 3_600_000.0) as i64
    } else {
        0
    };
    let l = ts_ms.saturating_add(off);
    let day = l.div_euclid(DAY_MS);
    let hour = (l.rem_euclid(DAY_MS) / 3_600_000) as u32;
    // 1970-01-01 was a Thursday (weekday 3 with Monday = 0).
    let wd = (day + 3).rem_euclid(7) as u32;
    (day, hour, wd)
}

/// Registered domain of `row`, falling back to the host (IP literals and
/// hosts the enrich stage could not split have no registered domain).
pub fn dest_of(t: &EventTable, row: u32) -> Option<String> {
    let d = t.domain(row);
    if d != NONE {
        return t.domains.get(d).map(str::to_string);
    }
    let h = *t.host.get(row as usize)?;
    t.hosts.get(h).map(str::to_string)
}

/// Distinct internal clients per host id (`hosts[h]`) and per registered
/// domain id (`domains[d]`), and the number of distinct clients overall.
///
/// For IP-literal hosts the count and first-seen time are those of the
/// address block (IPv4 /16, IPv6 /32): conferencing relays and CDNs spread
/// clients over many addresses of one block, so per-address counts would
/// make shared infrastructure look rare.
#[derive(Debug, Clone, Default)]
pub struct Prevalence {
    /// Distinct clients per host id.
    pub hosts: Vec<u32>,
    /// Distinct clients per registered-domain id.
    pub domains: Vec<u32>,
    /// First time each host id was seen (ms).
    pub host_first: Vec<i64>,
    /// First time each registered-domain id was seen (ms).
    pub domain_first: Vec<i64>,
    /// Distinct clients in the table.
    pub clients: u32,
}

impl Prevalence {
    /// Counts, in O(n) time plus a sort of the distinct (client, host)
    /// pairs; memory ~16 bytes per distinct pair, not per row.
    pub fn build(t: &EventTable) -> Prevalence {
        // Distinct (host, client) pairs only: memory scales with the pairs,
        // not the rows (a week of 100 M rows has a few million pairs).
        let mut set: std::collections::HashSet<(Sym, Sym)> = std::collections::HashSet::new();
        let mut host_first = vec![i64::MAX; t.hosts.len()];
        for r in 0..t.len() {
            let (s, h) = (t.src[r], t.host[r]);
            if h != NONE {
                let f = &mut host_first[h as usize];
                *f = (*f).min(t.ts_ms[r]);
                if s != NONE {
                    set.insert((h, s));
                }
            }
        }
        let mut pairs: Vec<(Sym, Sym)> = set.into_iter().collect();
        pairs.sort_unstable();
        // Address block of IP-literal hosts.
        let block_of: Vec<Option<u64>> = (0..t.hosts.len() as u32)
            .map(|h| ip_block(t.hosts.get(h).unwrap_or("")))
            .collect();
        let mut bpairs: Vec<(u64, Sym)> = pairs
            .iter()
            .filter_map(|&(h, s)| block_of[h as usize].map(|b| (b, s)))
            .collect();
        bpairs.sort_unstable();
        bpairs.dedup();
        let mut block_clients: HashMap<u64, u32> = HashMap::new();
        for &(b, _) in &bpairs {
            *block_clients.entry(b).or_default() += 1;
        }
        let mut block_first: HashMap<u64, i64> = HashMap::new();
        for (h, b) in block_of.iter().enumerate() {
            if let Some(b) = b {
                let e = block_first.entry(*b).or_insert(i64::MAX);
                *e = (*e).min(host_first[h]);
            }
        }
        let mut hosts = vec![0u32; t.hosts.len()];
        let mut dpairs: Vec<(Sym, Sym)> = Vec::with_capacity(pairs.len());
        for &(h, s) in &pairs {
            hosts[h as usize] += 1;
            let d = t.host_domain.get(h as usize).copied().unwrap_or(NONE);
            if d != NONE {
                dpairs.push((d, s));
            }
        }
        dpairs.sort_unstable();
        dpairs.dedup();
        for (h, b) in block_of.iter().enumerate() {
            if let Some(b) = b {
                hosts[h] = block_clients.get(b).copied().unwrap_or(hosts[h]);
                host_first[h] = block_first.get(b).copied().unwrap_or(host_first[h]);
            }
        }
        let mut domains = vec![0u32; t.domains.len()];
        for &(d, _) in &dpairs {
            domains[d as usize] += 1;
        }
        let mut domain_first = vec![i64::MAX; t.domains.len()];
        for (h, &f) in host_first.iter().enumerate() {
            let d = t.host_domain.get(h).copied().unwrap_or(NONE);
            if d != NONE {
                let x = &mut domain_first[d as usize];
                *x = (*x).min(f);
            }
        }
        let mut srcs: Vec<Sym> = t.src.iter().copied().filter(|&s| s != NONE).collect();
        srcs.sort_unstable();
        srcs.dedup();
        Prevalence {
            hosts,
            domains,
            host_first,
            domain_first,
            clients: srcs.len() as u32,
        }
    }
    /// Distinct clients of the destination of `row`: its registered domain
    /// if known, else its host.
    pub fn of_row(&self, t: &EventTable, row: u32) -> u32 {
        let d = t.domain(row);
        if d != NONE {
            return self.domains.get(d as usize).copied().unwrap_or(0);
        }
        let h = t.host.get(row as usize).copied().unwrap_or(NONE);
        self.hosts.get(h as usize).copied().unwrap_or(0)
    }
    /// First time the destination of `row` (domain, else host) was seen.
    pub fn first_of_row(&self, t: &EventTable, row: u32) -> i64 {
        let d = t.domain(row);
        if d != NONE {
            return self
                .domain_first
                .get(d as usize)
                .copied()
                .unwrap_or(i64::MAX);
        }
        let h = t.host.get(row as usize).copied().unwrap_or(NONE);
        self.host_first.get(h as usize).copied().unwrap_or(i64::MAX)
    }
    /// Whether `n` clients is "rare": at most `max_hosts`, or under
    /// `max_fraction` of all clients.
    pub fn is_rare(&self, n: u32, max_hosts: f64, max_fraction: f64) -> bool {
        n >= 1 && ((n as f64) <= max_hosts || (n as f64) < max_fraction * self.clients as f64)
    }
}

/// The address block of an IP-literal host (IPv4 /16, IPv6 /32) as a
/// number, `None` for names.
pub fn ip_block(host: &str) -> Option<u64> {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    match h.parse::<IpAddr>().ok()? {
        IpAddr::V4(a) => {
            let o = a.octets();
            Some((4u64 << 32) | (u64::from(o[0]) << 8) | u64::from(o[1]))
        }
        IpAddr::V6(a) => {
            let s = a.segments();
            Some((6u64 << 32) | (u64::from(s[0]) << 16) | u64::from(s[1]))
        }
    }
}

/// Sums optional byte counts: `None` when no row logged the column.
pub fn sum_bytes(rows: &[u32], f: impl Fn(u32) -> Option<u64>) -> Option<u64> {
    rows.iter()
        .filter_map(|&r| f(r))
        .reduce(|a, b| a.saturating_add(b))
}

/// Fills the time span, count, bytes, ATT&CK ids, user and samples of `f`
/// from `rows` (non-empty, any order).
pub fn fill_common(
    f: &mut Finding,
    t: &EventTable,
    info: &DetectorInfo,
    rows: &[u32],
    max_samples: usize,
) {
    let ts = |r: &u32| t.ts_ms.get(*r as usize).copied().unwrap_or(0);
    f.first_seen = rows.iter().map(ts).min().unwrap_or(0);
    f.last_seen = rows.iter().map(ts).max().unwrap_or(0);
    f.count = rows.len() as u64;
    f.bytes_up = sum_bytes(rows, |r| t.bytes_up(r));
    f.bytes_down = sum_bytes(rows, |r| t.bytes_down(r));
    if f.attack.is_empty() {
        f.attack = info.attack.iter().map(|s| s.to_string()).collect();
    }
    if f.src.user.is_none() {
        f.src.user = crate::detector::user_of(t, rows);
    }
    let mut sorted = rows.to_vec();
    sorted.sort_by_key(|r| (ts(r), *r));
    f.evidence.samples = samples(t, &sorted, max_samples);
}

/// Sorts findings by descending score, then key (the contract's order).
pub fn sort_findings(out: &mut [Finding]) {
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.key.cmp(&b.key)));
}

/// Combines independent evidence weights (each 0–100) as a noisy-OR:
/// `100 × (1 − Π(1 − wᵢ/100))`. One weak signal stays weak; several
/// together add up, but never past 100.
pub fn noisy_or(weights: &[f64]) -> f64 {
    let p: f64 = weights
        .iter()
        .filter(|w| w.is_finite())
        .map(|w| 1.0 - (w / 100.0).clamp(0.0, 1.0))
        .product();
    100.0 * (1.0 - p)
}

/// Human-readable byte count (`12.3 MB`).
pub fn human_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{b:.0} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ua_classes() {
        assert_eq!(ua_class(Some("curl/8.4.0")), UaClass::Scripting("curl"));
        assert_eq!(
            ua_class(Some(
                "Mozilla/5.0 (Windows NT; Windows NT 10.0; ja-JP) WindowsPowerShell/5.1"
            )),
            UaClass::Scripting("PowerShell")
        );
        assert_eq!(
            ua_class(Some("Go-http-client/1.1")),
            UaClass::Scripting("Go-http-client")
        );
        assert_eq!(ua_class(Some("-")), UaClass::Empty);
        assert_eq!(ua_class(Some("  ")), UaClass::Empty);
        assert_eq!(
            ua_class(Some(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0"
            )),
            UaClass::Other
        );
        let huge = "é".repeat(10_000);
        assert_eq!(ua_class(Some(&huge)), UaClass::Other);
    }

    #[test]
    fn robust_stats_and_time() {
        assert_eq!(median_mad(&[1.0, 2.0, 3.0, 4.0, 100.0]), Some((3.0, 1.0)));
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [f64::NAN]), None);
        // Sunday 15:00 UTC is Monday 00:00 in Tokyo.
        let ts = 1_763_305_200_000i64; // 2025-11-16T15:00:00Z, a Sunday in UTC
        let (_, h, wd) = local_time(ts, 9.0);
        assert_eq!((h, wd), (0, 0)); // Monday 00:00 JST
        let (_, h, wd) = local_time(ts, 0.0);
        assert_eq!((h, wd), (15, 6));
        assert_eq!(local_time(0, f64::NAN).1, 0);
    }

    #[test]
    fn ip_literals_count_per_block() {
        use crate::table::RowIn;
        let mut t = EventTable::new();
        for (i, (src, host)) in [
            ("10.0.0.1", "52.113.1.1"),
            ("10.0.0.2", "52.113.200.7"),
            ("10.0.0.3", "52.113.9.9"),
            ("10.0.0.1", "198.51.100.4"),
            ("10.0.0.2", "a.example.com"),
        ]
        .into_iter()
        .enumerate()
        {
            t.push(&RowIn {
                ts_ms: 1000 * i as i64,
                src_ip: Some(src),
                host: Some(host),
                ..Default::default()
            });
        }
        let p = Prevalence::build(&t);
        let h = |s: &str| t.hosts.lookup(s).unwrap() as usize;
        assert_eq!(p.hosts[h("52.113.200.7")], 3);
        assert_eq!(p.host_first[h("52.113.9.9")], 0);
        assert_eq!(p.hosts[h("198.51.100.4")], 1);
        assert_eq!(p.hosts[h("a.example.com")], 1);
        assert_eq!(p.clients, 3);
        assert_eq!(ip_block("[2001:db8::1]"), ip_block("2001:db8:0:1::9"));
        assert_eq!(ip_block("example.com"), None);
    }

    #[test]
    fn noisy_or_combines() {
        assert!((noisy_or(&[50.0]) - 50.0).abs() < 1e-9);
        assert!((noisy_or(&[50.0, 50.0]) - 75.0).abs() < 1e-9);
        assert_eq!(noisy_or(&[]), 0.0);
        assert_eq!(noisy_or(&[f64::NAN, 150.0]), 100.0);
    }
}
