//! URL-level traits of C2 frameworks: Cobalt Strike default-profile URIs,
//! Metasploit / Cobalt Strike checksum8 stager URIs, and executables served
//! as images.
//!
//! The table keeps no URL paths, so this detector works as a streaming
//! pass ([`Detector::stream`] → [`StreamPass::observe`]); its batch
//! [`Detector::run`] returns nothing. Every trait is common on its own
//! (`/__utm.gif` is Google Analytics, one random 4-character path in ~128
//! passes checksum8), so URI traits are reported only with supporting
//! evidence: a destination few clients use or a raw IP, plus repetition,
//! `/submit.php` posts, a constant reply size or an executable-like reply.
//!
//! Score: Cobalt Strike URIs 55 + 10 per support (repetition ≥
//! `min_repeat`, `/submit.php` POST, constant reply size, ≥ 2 distinct
//! URIs), +5 on a raw IP; checksum8 stager with an executable-like reply 75
//! (+5 raw IP, +10 with CS URIs); executable/image mismatch 60, or 80 on a
//! rare destination or raw IP (+10 on top of another trait).

use crate::common::{Prevalence, sort_findings};
use crate::detector::{Context, Detector, DetectorInfo, StreamPass, Threshold};
use crate::finding::{Destination, Finding, Sample, Source};
use crate::table::{EventTable, Locator, NONE, RowIn};
use kensa_model::WebRecord;
use std::collections::{BTreeMap, HashMap};

/// The C2-traits detector (registered as `c2-traits`).
#[derive(Debug, Clone, Copy, Default)]
pub struct C2Traits;

static INFO: DetectorInfo = DetectorInfo {
    id: "c2-traits",
    title_en: "C2 framework traits in URLs",
    title_ja: "URL に C2 フレームワークの特徴",
    detects: "Requests matching Cobalt Strike's default malleable profile (GET /pixel.gif, \
              /__utm.gif, /ca, /dpixel, /match, /push, /ptj, /j.ad, /ga.js, /en_US/all.js, \
              /fwlink, /cm, /activity, /IE9CompatViewList.xml, /updates.rss … and POST \
              /submit.php?id=N) to a rare destination or raw IP with repetition or a constant \
              reply size; Metasploit / Cobalt Strike stager URIs (4 characters whose checksum8 \
              is 92 or 93) returning an executable-like reply from a rare destination; and \
              content-type / extension mismatches between images and executables (an image \
              name served as an executable, or an .exe served as image/gif).",
    features: &[
        "path in the Cobalt Strike default-profile URI list; POST /submit.php",
        "checksum8 of 4-character paths (sum of bytes mod 256 = 92 x86, 93 x64)",
        "image extension (.gif .jpg .jpeg .png .bmp .ico) with an executable content type, \
         or an executable extension (.exe .dll .scr .cpl .msi .hta .ps1) with an image/* type",
        "requests per (client, host), most common reply size",
        "destination prevalence (distinct clients), IP-literal host",
        "reply size and content type of stager candidates",
    ],
    thresholds: &[
        Threshold {
            name: "max_hosts",
            default: 2.0,
            reason: "A team server serves one or two victims; analytics hosts serving the \
                     same URIs are used by most clients.",
        },
        Threshold {
            name: "min_repeat",
            default: 10.0,
            reason: "A beacon repeats its URIs all day; ten hits from one client is \
                     repetition, not one page view.",
        },
        Threshold {
            name: "min_stager_kb",
            default: 100.0,
            reason: "Stager payloads (beacon DLL/shellcode) are 200–300 kB; web pages behind \
                     random 4-character paths are usually smaller.",
        },
        Threshold {
            name: "max_pairs",
            default: 100000.0,
            reason: "Bounds memory on hostile input: at most this many (client, host) pairs \
                     with a trait are tracked.",
        },
        Threshold {
            name: "max_samples",
            default: 5.0,
            reason: "Enough source lines to open in the log viewer.",
        },
    ],
    attack: &["T1071.001", "T1105", "T1001.003"],
    false_positives: &[
        "Google Analytics, Microsoft fwlink and ad networks on a rarely used mirror",
        "short download links whose 4-character id happens to pass checksum8",
        "misconfigured servers sending application/octet-stream for images",
    ],
    cost: "O(n) streaming: a few string comparisons per record; memory per (client, host) \
           pair with a trait only (bounded by max_pairs).",
};

/// Cobalt Strike default-profile URIs (public knowledge: the default
/// malleable C2 profile's `http-get` URIs), compared case-sensitively.
const CS_URIS: &[&str] = &[
    "/pixel.gif",
    "/__utm.gif",
    "/ca",
    "/dpixel",
    "/match",
    "/push",
    "/ptj",
    "/j.ad",
    "/ga.js",
    "/en_US/all.js",
    "/fwlink",
    "/cm",
    "/cx",
    "/pixel",
    "/g.pixel",
    "/dot.gif",
    "/load",
    "/visit.js",
    "/activity",
    "/IE9CompatViewList.xml",
    "/updates.rss",
];

/// Whether `path` (without query) is a checksum8 stager URI: `/` plus four
/// ASCII letters or digits whose byte sum mod 256 is 92 (x86) or 93 (x64).
pub fn is_checksum8(path: &str) -> bool {
    let Some(p) = path.strip_prefix('/') else {
        return false;
    };
    p.len() == 4
        && p.bytes().all(|b| b.is_ascii_alphanumeric())
        && matches!(p.bytes().map(u32::from).sum::<u32>() % 256, 92 | 93)
}

fn is_exe_type(ct: &str) -> bool {
    let ct = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        ct.as_str(),
        "application/x-msdownload"
            | "application/octet-stream"
            | "application/x-dosexec"
            | "application/x-msdos-program"
            | "application/x-executable"
            | "application/vnd.microsoft.portable-executable"
    )
}

fn is_image_type(ct: &str) -> bool {
    ct.trim_start().to_ascii_lowercase().starts_with("image/")
}

fn has_exe_ext(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    [".exe", ".dll", ".scr", ".cpl", ".msi", ".hta", ".ps1"]
        .iter()
        .any(|e| p.ends_with(e))
}

fn has_image_ext(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    [".gif", ".jpg", ".jpeg", ".png", ".bmp", ".ico"]
        .iter()
        .any(|e| p.ends_with(e))
}

#[derive(Default)]
struct Pair {
    cs_hits: u64,
    cs_uris: BTreeMap<String, u64>,
    submit_posts: u64,
    sizes: HashMap<u64, u64>,
    stager_hits: u64,
    stager_exe_like: bool,
    stager_path: Option<String>,
    exe_image: u64,
    exe_image_path: Option<String>,
    raw_ip: bool,
    user: Option<String>,
    dst_ip: Option<String>,
    port: Option<u16>,
    first: i64,
    last: i64,
    count: u64,
    bytes_up: Option<u64>,
    bytes_down: Option<u64>,
    samples: Vec<Sample>,
}

struct Pass {
    max_pairs: usize,
    min_stager: u64,
    pairs: BTreeMap<(String, String), Pair>,
}

fn addo(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.saturating_add(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

impl StreamPass for Pass {
    fn observe(&mut self, rec: &WebRecord<'_>, row: &RowIn<'_>) {
        let path_owned;
        let path: &str = match rec.path.as_deref() {
            Some(p) => p,
            None => match rec.url.as_deref().map(kensa_model::split_url) {
                Some(u) => {
                    path_owned = u.path.unwrap_or("").to_string();
                    &path_owned
                }
                None => return,
            },
        };
        // Some logs keep the query in the path.
        let path = path.split('?').next().unwrap_or("");
        let method = rec.method.as_deref().unwrap_or("");
        let get = method.eq_ignore_ascii_case("GET");
        let post = method.eq_ignore_ascii_case("POST");
        let cs = (get && CS_URIS.contains(&path)) || (post && path == "/submit.php");
        let stager = get && is_checksum8(path);
        let ct = rec
            .content_type
            .as_deref()
            .or(row.content_type)
            .unwrap_or("");
        // Either direction of the mismatch: an image name served as an
        // executable, or an executable name served as an image (which
        // slips past content-type filters).
        let exe_img =
            (has_image_ext(path) && is_exe_type(ct)) || (has_exe_ext(path) && is_image_type(ct));
        if !(cs || stager || exe_img) {
            return;
        }
        let (Some(src), Some(host)) = (
            row.src_ip.or(rec.client_ip.as_deref()),
            row.host.or(rec.host.as_deref()),
        ) else {
            return;
        };
        let key = (src.to_string(), host.to_ascii_lowercase());
        if !self.pairs.contains_key(&key) && self.pairs.len() >= self.max_pairs {
            return;
        }
        let p = self.pairs.entry(key).or_default();
        let bd = row.bytes_down.or(rec.bytes_down);
        if cs {
            p.cs_hits += 1;
            if p.cs_uris.len() < 32 || p.cs_uris.contains_key(path) {
                *p.cs_uris.entry(path.to_string()).or_default() += 1;
            }
            if post {
                p.submit_posts += 1;
            } else if let Some(b) = bd
                && (p.sizes.len() < 1024 || p.sizes.contains_key(&b))
            {
                *p.sizes.entry(b).or_default() += 1;
            }
        }
        if stager {
            p.stager_hits += 1;
            if bd.is_some_and(|b| b >= self.min_stager) || is_exe_type(ct) {
                p.stager_exe_like = true;
            }
            p.stager_path
                .get_or_insert_with(|| path.chars().take(64).collect());
        }
        if exe_img {
            p.exe_image += 1;
            p.exe_image_path
                .get_or_insert_with(|| path.chars().take(200).collect());
        }
        p.raw_ip |= row.is_ip_literal;
        if p.user.is_none() {
            p.user = row.user.map(str::to_string);
        }
        if p.dst_ip.is_none() {
            p.dst_ip = row.dst_ip.map(str::to_string);
        }
        p.port = p.port.or(row.port);
        if p.count == 0 || row.ts_ms < p.first {
            p.first = row.ts_ms;
        }
        if p.count == 0 || row.ts_ms > p.last {
            p.last = row.ts_ms;
        }
        p.count += 1;
        p.bytes_up = addo(p.bytes_up, row.bytes_up);
        p.bytes_down = addo(p.bytes_down, bd);
        if p.samples.len() < 64 {
            let Locator { file, line } = row.locator;
            p.samples.push(Sample {
                file,
                path: None,
                line,
                ts_ms: row.ts_ms,
            });
        }
    }

    fn finish(self: Box<Self>, t: &EventTable, ctx: &Context) -> Vec<Finding> {
        if self.pairs.is_empty() {
            return Vec::new();
        }
        let max_hosts = ctx.param(&INFO, "max_hosts");
        let min_repeat = ctx.param(&INFO, "min_repeat").max(1.0) as u64;
        let max_samples = ctx.param(&INFO, "max_samples").max(0.0) as usize;
        let prev = Prevalence::build(t);
        let mut out = Vec::new();
        for ((src, host), p) in self.pairs {
            // Prevalence of the destination: from the table (registered
            // domain, else host); a host the table does not know is rare.
            let clients = t
                .hosts
                .lookup(&host)
                .and_then(|h| {
                    let d = t.host_domain.get(h as usize).copied().unwrap_or(NONE);
                    if d != NONE {
                        prev.domains.get(d as usize).copied()
                    } else {
                        prev.hosts.get(h as usize).copied()
                    }
                })
                .unwrap_or(1);
            let rare = prev.is_rare(clients.max(1), max_hosts, 0.0);
            let rare_or_raw = rare || p.raw_ip;
            let mut score: f64 = 0.0;
            let mut en: Vec<String> = Vec::new();
            let mut ja: Vec<String> = Vec::new();
            let mut title = INFO.title_en;
            let mut attack: Vec<&str> = Vec::new();
            // Cobalt Strike URIs.
            if p.cs_hits > 0 && rare_or_raw {
                let gets: u64 = p.sizes.values().sum();
                let top = p.sizes.values().copied().max().unwrap_or(0);
                let const_size = gets >= 5 && top * 2 >= gets;
                let mut support = 0;
                if p.cs_hits >= min_repeat {
                    support += 1;
                }
                if p.submit_posts > 0 {
                    support += 1;
                }
                if const_size {
                    support += 1;
                }
                if p.cs_uris.len() >= 2 {
                    support += 1;
                }
                if support > 0 {
                    score =
                        score.max(55.0 + 10.0 * support as f64 + if p.raw_ip { 5.0 } else { 0.0 });
                    title = "Cobalt Strike default-profile URIs";
                    attack.push("T1071.001");
                    let uris: Vec<&str> = p.cs_uris.keys().map(String::as_str).take(6).collect();
                    en.push(format!(
                        "{} request(s) to Cobalt Strike default-profile URIs ({}){}{}",
                        p.cs_hits,
                        uris.join(", "),
                        if p.submit_posts > 0 {
                            format!(", {} POST /submit.php", p.submit_posts)
                        } else {
                            String::new()
                        },
                        if const_size {
                            ", with a constant reply size"
                        } else {
                            ""
                        }
                    ));
                    ja.push(format!(
                        "Cobalt Strike 既定プロファイルの URI ({}) へのリクエストが {} 回{}",
                        uris.join(", "),
                        p.cs_hits,
                        if p.submit_posts > 0 {
                            format!("、POST /submit.php が {} 回", p.submit_posts)
                        } else {
                            String::new()
                        }
                    ));
                }
            }
            // Stager.
            if p.stager_hits > 0 && p.stager_exe_like && rare_or_raw {
                score = score.max(75.0 + if p.raw_ip { 5.0 } else { 0.0 });
                if p.cs_hits > 0 && score >= 65.0 {
                    score = (score + 10.0).min(95.0);
                }
                title = "Checksum8 stager download";
                attack.push("T1105");
                let sp = p.stager_path.as_deref().unwrap_or("");
                en.push(format!(
                    "a download from the checksum8 stager URI {sp} with an executable-like reply"
                ));
                ja.push(format!(
                    "checksum8 ステージャー URI {sp} から実行ファイルらしき応答をダウンロード"
                ));
            }
            // Executable served as image.
            if p.exe_image > 0 {
                let s = if rare_or_raw { 80.0 } else { 60.0 };
                score = if score > 0.0 {
                    (score + 10.0).min(95.0)
                } else {
                    s
                };
                if title == INFO.title_en {
                    title = "Executable served as an image";
                }
                attack.push("T1105");
                attack.push("T1001.003");
                let ip = p.exe_image_path.as_deref().unwrap_or("");
                en.push(format!(
                    "{} file(s) with an image name ({ip}) served with an executable content type",
                    p.exe_image
                ));
                ja.push(format!(
                    "画像の名前 ({ip}) なのに実行ファイルの Content-Type で配信されたファイルが {} 件",
                    p.exe_image
                ));
            }
            if en.is_empty() {
                continue;
            }
            attack.sort_unstable();
            attack.dedup();
            let mut f = Finding::new(INFO.id, &src, &host, title.into(), score);
            f.src = Source {
                ip: Some(src.clone()),
                user: p.user.clone(),
                hostname: None,
            };
            let dom = t
                .hosts
                .lookup(&host)
                .and_then(|h| t.host_domain.get(h as usize).copied())
                .and_then(|d| t.domains.get(d))
                .map(str::to_string);
            f.dst = Destination {
                host: Some(host.clone()),
                domain: dom,
                ip: p.dst_ip.clone(),
                port: p.port,
                service: None,
                category: None,
            };
            f.first_seen = p.first;
            f.last_seen = p.last;
            f.count = p.count;
            f.bytes_up = p.bytes_up;
            f.bytes_down = p.bytes_down;
            f.attack = attack.iter().map(|s| s.to_string()).collect();
            let k = max_samples.min(p.samples.len());
            f.evidence.samples = (0..k)
                .map(|i| {
                    let j = if k == 1 {
                        0
                    } else {
                        i * (p.samples.len() - 1) / (k - 1)
                    };
                    p.samples[j].clone()
                })
                .collect();
            f.figure("cs_uri_hits", p.cs_hits as f64);
            f.figure("cs_distinct_uris", p.cs_uris.len() as f64);
            f.figure("submit_php_posts", p.submit_posts as f64);
            f.figure("stager_hits", p.stager_hits as f64);
            f.figure("exe_as_image", p.exe_image as f64);
            f.figure("destination_clients", clients as f64);
            f.figure("raw_ip", if p.raw_ip { 1.0 } else { 0.0 });
            f.explanation.en = format!(
                "{src} → {host} (used by {clients} client(s)): {}.",
                en.join("; ")
            );
            f.explanation.ja = format!(
                "{src} → {host} (利用端末 {clients} 台): {}。",
                ja.join("、")
            );
            out.push(f);
        }
        sort_findings(&mut out);
        out
    }
}

impl Detector for C2Traits {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }

    /// The table has no URL paths: all the work is in [`Detector::stream`].
    fn run(&self, _t: &EventTable, _ctx: &Context) -> Vec<Finding> {
        Vec::new()
    }

    fn stream(&self, ctx: &Context) -> Option<Box<dyn StreamPass>> {
        Some(Box::new(Pass {
            max_pairs: ctx.param(&INFO, "max_pairs").clamp(1.0, 1e9) as usize,
            min_stager: (ctx.param(&INFO, "min_stager_kb").max(0.0) * 1e3) as u64,
            pairs: BTreeMap::new(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compliance::{assert_detector_compliance, check_findings};
    use crate::finding::Severity;
    use std::borrow::Cow;

    const T0: i64 = 1_763_251_200_000;

    struct Line {
        ts: i64,
        src: &'static str,
        host: &'static str,
        method: &'static str,
        path: String,
        ct: Option<&'static str>,
        down: u64,
        raw_ip: bool,
    }

    fn feed(lines: &[Line]) -> Vec<Finding> {
        let mut t = EventTable::new();
        let ctx = Context::default();
        let mut pass = C2Traits.stream(&ctx).unwrap();
        for (i, l) in lines.iter().enumerate() {
            let rec = WebRecord {
                ts_ms: l.ts,
                client_ip: Some(Cow::Borrowed(l.src)),
                method: Some(Cow::Borrowed(l.method)),
                host: Some(Cow::Borrowed(l.host)),
                path: Some(Cow::Owned(l.path.clone())),
                content_type: l.ct.map(Cow::Borrowed),
                bytes_down: Some(l.down),
                ..Default::default()
            };
            let row = RowIn {
                ts_ms: l.ts,
                src_ip: Some(l.src),
                host: Some(l.host),
                domain: (!l.raw_ip).then_some(l.host),
                method: Some(l.method),
                bytes_down: Some(l.down),
                content_type: l.ct,
                is_ip_literal: l.raw_ip,
                locator: Locator {
                    file: 0,
                    line: i as u32 + 1,
                },
                ..Default::default()
            };
            t.push(&row);
            pass.observe(&rec, &row);
        }
        let f = pass.finish(&t, &ctx);
        check_findings(&INFO, &f);
        f
    }

    fn get(ts: i64, src: &'static str, host: &'static str, path: &str, down: u64) -> Line {
        Line {
            ts,
            src,
            host,
            method: "GET",
            path: path.to_string(),
            ct: Some("image/gif"),
            down,
            raw_ip: false,
        }
    }

    #[test]
    fn complies() {
        assert_detector_compliance(&C2Traits);
    }

    #[test]
    fn checksum8() {
        // "9vXU": 57 + 118 + 88 + 85 = 348 → 92 (x86).
        assert!(is_checksum8("/9vXU"));
        // "9vXV": 349 → 93 (x64).
        assert!(is_checksum8("/9vXV"));
        assert!(!is_checksum8("/9vXW"));
        assert!(!is_checksum8("/9vX"));
        assert!(!is_checksum8("9vXU"));
        assert!(!is_checksum8("/9v-U"));
        assert!(!is_checksum8("/ü1"));
    }

    #[test]
    fn cobalt_strike_on_rare_host_not_on_analytics() {
        let mut lines = Vec::new();
        // Analytics: 30 clients fetch /__utm.gif (35 bytes) from the same host.
        const SRCS: [&str; 6] = [
            "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6",
        ];
        for (i, s) in SRCS.iter().enumerate() {
            for k in 0..20 {
                lines.push(get(
                    T0 + k * 1000 + i as i64,
                    s,
                    "www.google-analytics.com",
                    "/__utm.gif",
                    35,
                ));
            }
        }
        // A beacon: one client, rare host, default URIs, constant size, and
        // a POST /submit.php.
        for k in 0..30i64 {
            let p = ["/ca", "/ptj", "/j.ad"][k as usize % 3];
            lines.push(get(
                T0 + k * 60_000,
                "10.0.0.9",
                "cdn.badhost.example",
                p,
                210,
            ));
        }
        lines.push(Line {
            method: "POST",
            path: "/submit.php".into(),
            ..get(T0 + 5, "10.0.0.9", "cdn.badhost.example", "", 0)
        });
        // A stager from a raw IP with an executable reply.
        lines.push(Line {
            ct: Some("application/octet-stream"),
            raw_ip: true,
            ..get(T0 + 1, "10.0.0.9", "203.0.113.80", "/9vXU", 261_000)
        });
        // An .exe served as a GIF from a popular host.
        for s in SRCS {
            lines.push(get(T0 + 9, s, "files.example.com", "/logo.png", 900));
        }
        lines.push(Line {
            ct: Some("application/x-msdownload"),
            ..get(
                T0 + 10,
                "10.0.0.1",
                "files.example.com",
                "/img/banner.gif",
                180_000,
            )
        });
        // The other direction: an .exe labelled image/gif on a rare site.
        lines.push(get(
            T0 + 11,
            "10.0.0.2",
            "tsuki.example.jp",
            "/up/invoice.exe",
            748_232,
        ));
        let f = feed(&lines);
        let keys: Vec<&str> = f.iter().map(|x| x.key.as_str()).collect();
        assert_eq!(
            keys,
            vec![
                "c2-traits|10.0.0.9|cdn.badhost.example",
                "c2-traits|10.0.0.2|tsuki.example.jp",
                "c2-traits|10.0.0.9|203.0.113.80",
                "c2-traits|10.0.0.1|files.example.com",
            ],
            "{f:#?}"
        );
        // 4 supports (repeat, submit, const size, 3 URIs): 55 + 40 = 95.
        assert_eq!(f[0].score, 95.0);
        assert_eq!(f[0].severity, Severity::Critical);
        assert_eq!(f[0].evidence.figures["submit_php_posts"], 1.0);
        // Rare site: 80, ties with the stager and sorts first by key.
        assert_eq!(f[1].title, "Executable served as an image");
        assert_eq!(f[1].score, 80.0);
        assert_eq!(f[2].title, "Checksum8 stager download");
        assert_eq!(f[2].score, 80.0);
        assert_eq!(f[3].title, "Executable served as an image");
        assert_eq!(f[3].score, 60.0);
        assert_eq!(f[3].severity, Severity::Medium);
        assert_eq!(f[0].evidence.samples.len(), 5);
    }

    #[test]
    fn random_four_char_path_needs_an_executable_reply() {
        let lines = vec![get(T0, "10.0.0.9", "shop.example.jp", "/9vXU", 4_000)];
        assert!(feed(&lines).is_empty());
    }
}
