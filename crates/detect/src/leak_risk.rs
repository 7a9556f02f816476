//! Leak-risk inventory and findings: who uses which data-carrying cloud
//! service, how much they send, and unsanctioned uploads above thresholds.
//!
//! [`inventory`] lists every (user-or-client × catalog service) with
//! requests, bytes, upload actions and first/last seen, for the report.
//! [`LeakRisk`] turns the risky rows of that inventory (unsanctioned online
//! storage, file transfer, webmail, paste and generative AI) into findings,
//! scored by category and volume and by how far the upload exceeds other
//! users of the same service.
//!
//! Score: category base (paste 35, generative AI 30, storage / file
//! transfer / webmail 25) + `8·log10(volume / threshold)` (max 25) + 15 when
//! the volume is ≥ `peer_factor` × the median of the service's other users
//! (or there are fewer than 3 others). Without byte counts: base +
//! `5·log2(actions / min_upload_actions)` (max 15). Sanctioned services
//! never produce findings (they stay in the inventory).

use crate::common::{fill_common, human_bytes, median, sort_findings};
use crate::detector::{Context, Detector, DetectorInfo, Threshold};
use crate::finding::{Destination, Finding, Source};
use crate::table::{EventTable, Method, NONE, Sym};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The leak-risk detector (registered as `leak-risk`).
#[derive(Debug, Clone, Copy, Default)]
pub struct LeakRisk;

static INFO: DetectorInfo = DetectorInfo {
    id: "leak-risk",
    title_en: "Upload to an unsanctioned cloud service",
    title_ja: "未承認クラウドサービスへのアップロード",
    detects: "Uploads by one user (or client, when the proxy shows no user) to an unsanctioned \
              online-storage, file-transfer, webmail, paste or generative-AI service above a \
              per-category threshold. Severity grows with the category's risk, the volume and \
              how far it exceeds other users of the same service. The full per-user service \
              inventory is available through `leak_risk::inventory` for the report.",
    features: &[
        "catalog service and category of the host (enrich)",
        "policy sanction of the service (enrich)",
        "upload bytes of upload-action (enrich rule) and POST/PUT requests",
        "upload-action count (when the log has no upload bytes)",
        "median upload of the other users of the same service",
    ],
    thresholds: &[
        Threshold {
            name: "min_upload_mb",
            default: 10.0,
            reason: "Storage, file-transfer and webmail uploads under 10 MB a week are \
                     everyday attachments; a leak worth chasing is usually larger.",
        },
        Threshold {
            name: "min_paste_kb",
            default: 16.0,
            reason: "16 kB of text is several pages: a source file or a credential dump, \
                     not a snippet.",
        },
        Threshold {
            name: "min_genai_kb",
            default: 256.0,
            reason: "Prompts are a few kB; 256 kB sent to a generative-AI service means \
                     pasted documents or uploaded files.",
        },
        Threshold {
            name: "min_upload_actions",
            default: 3.0,
            reason: "Without byte counts, three or more upload actions show deliberate use \
                     rather than one accidental click.",
        },
        Threshold {
            name: "peer_factor",
            default: 10.0,
            reason: "Ten times the median of the other users of the same service is far \
                     above normal use while tolerating heavy legitimate users.",
        },
        Threshold {
            name: "max_samples",
            default: 5.0,
            reason: "Enough source lines to open in the log viewer.",
        },
    ],
    attack: &["T1567.002", "T1567"],
    false_positives: &[
        "personal but tolerated use (sending one's own files home)",
        "services in use by a department but missing from the sanction policy",
        "large uploads of public material (marketing videos)",
    ],
    cost: "O(n) over rows with a catalog service; one map entry per (user, service).",
};

/// One line of the leak-risk inventory: a user (or client) and a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InventoryRow {
    /// The user name, or the client address when no user was seen.
    pub who: String,
    /// Authenticated user, if the proxy showed one for the client.
    pub user: Option<String>,
    /// Client addresses (sorted) the user was seen on.
    pub src_ips: Vec<String>,
    /// Catalog service id.
    pub service: String,
    /// Catalog category (`storage`, `webmail`, …), if known.
    pub category: Option<String>,
    /// Whether the policy sanctions the service.
    pub sanctioned: bool,
    /// Requests.
    pub requests: u64,
    /// Bytes up over all requests (`None` if the log has none).
    pub bytes_up: Option<u64>,
    /// Bytes down over all requests.
    pub bytes_down: Option<u64>,
    /// Requests matching an upload-action rule.
    pub upload_actions: u64,
    /// Bytes up of upload-action and POST/PUT requests (`None` if unknown).
    pub upload_bytes: Option<u64>,
    /// First request (ms).
    pub first_seen: i64,
    /// Last request (ms).
    pub last_seen: i64,
}

#[derive(Default)]
struct Acc {
    rows: Vec<u32>,
    srcs: Vec<Sym>,
    up: Option<u64>,
    down: Option<u64>,
    actions: u64,
    upload: Option<u64>,
    sanctioned: bool,
}

fn add(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.saturating_add(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Who a client is: its most frequent authenticated user (ties → lower
/// id), per client id.
fn users_of_clients(t: &EventTable) -> HashMap<Sym, Sym> {
    let mut n: HashMap<(Sym, Sym), u64> = HashMap::new();
    for r in 0..t.len() {
        if t.src[r] != NONE && t.user[r] != NONE {
            *n.entry((t.src[r], t.user[r])).or_default() += 1;
        }
    }
    let mut best: HashMap<Sym, (u64, Sym)> = HashMap::new();
    for (&(s, u), &c) in &n {
        let e = best.entry(s).or_insert((c, u));
        if c > e.0 || (c == e.0 && u < e.1) {
            *e = (c, u);
        }
    }
    best.into_iter().map(|(s, (_, u))| (s, u)).collect()
}

/// Key: (is_user, user-or-client id, service id).
type Key = (bool, Sym, Sym);

fn accumulate(t: &EventTable) -> BTreeMap<Key, Acc> {
    let users = users_of_clients(t);
    let mut m: BTreeMap<Key, Acc> = BTreeMap::new();
    for r in 0..t.len() as u32 {
        let svc = t.service(r);
        let src = t.src[r as usize];
        if svc == NONE || src == NONE {
            continue;
        }
        let key = match users.get(&src) {
            Some(&u) => (true, u, svc),
            None => (false, src, svc),
        };
        let a = m.entry(key).or_default();
        a.rows.push(r);
        if !a.srcs.contains(&src) && a.srcs.len() < 64 {
            a.srcs.push(src);
        }
        let up = t.bytes_up(r);
        a.up = add(a.up, up);
        a.down = add(a.down, t.bytes_down(r));
        let action = t.upload_action(r);
        if action {
            a.actions += 1;
        }
        if action || matches!(t.method(r), Method::Post | Method::Put) {
            a.upload = add(a.upload, up);
        }
        a.sanctioned |= t.sanctioned(r);
    }
    m
}

fn row_of(t: &EventTable, k: &Key, a: &Acc) -> InventoryRow {
    let user = if k.0 {
        t.users.get(k.1).map(str::to_string)
    } else {
        None
    };
    let mut src_ips: Vec<String> = a
        .srcs
        .iter()
        .filter_map(|&s| t.srcs.get(s).map(str::to_string))
        .collect();
    src_ips.sort();
    let who = user
        .clone()
        .or_else(|| src_ips.first().cloned())
        .unwrap_or_default();
    let first = a.rows.first().copied().unwrap_or(0);
    let ts = |r: &u32| t.ts_ms.get(*r as usize).copied().unwrap_or(0);
    InventoryRow {
        who,
        user,
        src_ips,
        service: t.services.get(k.2).unwrap_or("").to_string(),
        category: t.service_category(first).map(str::to_string),
        sanctioned: a.sanctioned,
        requests: a.rows.len() as u64,
        bytes_up: a.up,
        bytes_down: a.down,
        upload_actions: a.actions,
        upload_bytes: a.upload,
        first_seen: a.rows.iter().map(ts).min().unwrap_or(0),
        last_seen: a.rows.iter().map(ts).max().unwrap_or(0),
    }
}

/// The leak-risk inventory: one row per (user-or-client × catalog
/// service), sorted by user, then service. Serialisable for the report.
pub fn inventory(t: &EventTable, _ctx: &Context) -> Vec<InventoryRow> {
    let mut v: Vec<InventoryRow> = accumulate(t).iter().map(|(k, a)| row_of(t, k, a)).collect();
    v.sort_by(|a, b| a.who.cmp(&b.who).then_with(|| a.service.cmp(&b.service)));
    v
}

/// The risky categories, their base score and Japanese label. Both the
/// enrich catalog's names and common synonyms are accepted.
fn category_risk(cat: &str) -> Option<(f64, &'static str, &'static str)> {
    Some(match cat {
        "paste" => (35.0, "paste site", "ペーストサイト"),
        "generative_ai" | "genai" => (30.0, "generative-AI service", "生成 AI サービス"),
        "file_transfer" => (25.0, "file-transfer service", "ファイル転送サービス"),
        "storage" | "online_storage" => (25.0, "online storage", "オンラインストレージ"),
        "webmail" => (25.0, "webmail", "Web メール"),
        _ => return None,
    })
}

impl Detector for LeakRisk {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }

    fn run(&self, t: &EventTable, ctx: &Context) -> Vec<Finding> {
        let max_samples = ctx.param(&INFO, "max_samples").max(0.0) as usize;
        let min_actions = ctx.param(&INFO, "min_upload_actions").max(1.0);
        let peer_factor = ctx.param(&INFO, "peer_factor").max(1.0);
        let acc = accumulate(t);
        // Upload bytes of every user per service, for the peer comparison.
        let mut per_service: HashMap<Sym, Vec<(Key, f64)>> = HashMap::new();
        for (k, a) in &acc {
            per_service
                .entry(k.2)
                .or_default()
                .push((*k, a.upload.unwrap_or(0) as f64));
        }
        let mut out = Vec::new();
        for (k, a) in &acc {
            let Some(&first) = a.rows.first() else {
                continue;
            };
            let Some(cat) = t.service_category(first) else {
                continue;
            };
            let Some((base, cat_en, cat_ja)) = category_risk(cat) else {
                continue;
            };
            if a.sanctioned {
                continue;
            }
            let min_bytes = match cat {
                "paste" => ctx.param(&INFO, "min_paste_kb") * 1e3,
                "generative_ai" | "genai" => ctx.param(&INFO, "min_genai_kb") * 1e3,
                _ => ctx.param(&INFO, "min_upload_mb") * 1e6,
            }
            .max(1.0);
            let row = row_of(t, k, a);
            let svc = row.service.clone();
            let who = row.who.clone();
            let known = a.up.is_some();
            let vol = a.upload.unwrap_or(0) as f64;
            let mut peer_med = None;
            let score;
            let (en, ja);
            if known {
                if vol < min_bytes {
                    continue;
                }
                let others: Vec<f64> = per_service
                    .get(&k.2)
                    .map(|v| {
                        v.iter()
                            .filter(|(kk, _)| kk != k)
                            .map(|(_, b)| *b)
                            .collect()
                    })
                    .unwrap_or_default();
                let mut o = others.clone();
                peer_med = median(&mut o);
                let above_peers = match peer_med {
                    Some(m) if others.len() >= 3 => vol >= peer_factor * m.max(1.0),
                    _ => true,
                };
                let vol_term = (8.0 * (vol / min_bytes).log10()).clamp(0.0, 25.0);
                score = base + vol_term + if above_peers { 15.0 } else { 0.0 };
                let peer_en = if above_peers {
                    match peer_med {
                        Some(m) if others.len() >= 3 => {
                            format!(
                                ", far above the other users' median of {}",
                                human_bytes(m as u64)
                            )
                        }
                        _ => ", and no other user sends as much".to_string(),
                    }
                } else {
                    String::new()
                };
                let peer_ja = if above_peers {
                    "。他の利用者を大きく上回ります"
                } else {
                    ""
                };
                en = format!(
                    "{who} uploaded {} to {svc} ({cat_en}, not sanctioned) in {} upload action(s) \
                     and {} request(s){peer_en}.",
                    human_bytes(vol as u64),
                    a.actions,
                    a.rows.len()
                );
                ja = format!(
                    "{who} が未承認の{cat_ja} {svc} に {} をアップロードしました (アップロード操作 {} 回、\
                     リクエスト {} 回){peer_ja}。",
                    human_bytes(vol as u64),
                    a.actions,
                    a.rows.len()
                );
            } else {
                if (a.actions as f64) < min_actions {
                    continue;
                }
                score = base + (5.0 * (a.actions as f64 / min_actions).log2()).clamp(0.0, 15.0);
                en = format!(
                    "{who} made {} upload action(s) to {svc} ({cat_en}, not sanctioned). The log \
                     records no upload bytes, so the volume is unknown.",
                    a.actions
                );
                ja = format!(
                    "{who} が未承認の{cat_ja} {svc} へのアップロード操作を {} 回行いました。\
                     ログに送信バイト数が無いため、送信量は不明です。",
                    a.actions
                );
            }
            let mut f = Finding::new(INFO.id, &who, &svc, INFO.title_en.into(), score);
            let up_rows: Vec<u32> = a
                .rows
                .iter()
                .copied()
                .filter(|&r| {
                    t.upload_action(r) || matches!(t.method(r), Method::Post | Method::Put)
                })
                .collect();
            let rows = if up_rows.is_empty() {
                &a.rows
            } else {
                &up_rows
            };
            let r0 = rows[0];
            f.src = Source {
                ip: row.src_ips.first().cloned(),
                user: row.user.clone(),
                hostname: None,
            };
            let host = t.host[r0 as usize];
            f.dst = Destination {
                host: t.hosts.get(host).map(str::to_string),
                domain: t.domains.get(t.domain(r0)).map(str::to_string),
                ip: None,
                port: None,
                service: Some(svc.clone()),
                category: Some(cat.to_string()),
            };
            fill_common(&mut f, t, &INFO, &a.rows, 0);
            let mut sorted = rows.to_vec();
            sorted.sort_by_key(|&r| (t.ts_ms[r as usize], r));
            f.evidence.samples = crate::detector::samples(t, &sorted, max_samples);
            f.figure("upload_bytes", vol);
            f.figure("upload_actions", a.actions as f64);
            f.figure("requests", a.rows.len() as f64);
            f.figure("clients", row.src_ips.len() as f64);
            f.figure("peer_median_upload", peer_med.unwrap_or(0.0));
            if !known {
                f.evidence.notes.insert("volume".into(), "unknown".into());
            }
            f.evidence.notes.insert("category".into(), cat.to_string());
            f.explanation.en = en;
            f.explanation.ja = ja;
            out.push(f);
        }
        sort_findings(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compliance::assert_detector_compliance;
    use crate::finding::Severity;
    use crate::table::{Locator, RowIn};

    const T0: i64 = 1_763_251_200_000;

    #[allow(clippy::too_many_arguments)]
    fn row<'a>(
        ts: i64,
        src: &'a str,
        user: Option<&'a str>,
        host: &'a str,
        svc: &'a str,
        cat: &'a str,
        up: Option<u64>,
        action: bool,
    ) -> RowIn<'a> {
        RowIn {
            ts_ms: ts,
            src_ip: Some(src),
            user,
            host: Some(host),
            domain: Some(host),
            method: Some(if action { "POST" } else { "GET" }),
            bytes_up: up,
            bytes_down: up.map(|_| 2_000),
            service: Some(svc),
            service_category: Some(cat),
            upload_action: action,
            locator: Locator { file: 2, line: 3 },
            ..Default::default()
        }
    }

    fn table() -> EventTable {
        let mut t = EventTable::new();
        // Four users send 1 MB each to Dropbox; 10.0.0.4 (sato) sends 300 MB.
        let users = ["ito", "kato", "mori", "sato"];
        for (i, u) in users.iter().enumerate() {
            let src = format!("10.0.0.{}", i + 1);
            let n = if *u == "sato" { 60 } else { 1 };
            for k in 0..n {
                let mut r = row(
                    T0 + k * 1000,
                    &src,
                    Some(u),
                    "content.dropboxapi.com",
                    "dropbox",
                    "storage",
                    Some(5_000_000),
                    true,
                );
                if *u != "sato" {
                    r.bytes_up = Some(1_000_000);
                }
                t.push(&r);
                // An unauthenticated request from the same client goes to the same user.
                t.push(&row(
                    T0 + k * 1000 + 1,
                    &src,
                    None,
                    "www.dropbox.com",
                    "dropbox",
                    "storage",
                    Some(500),
                    false,
                ));
            }
        }
        // A sanctioned service with big uploads: inventory only.
        for k in 0..50 {
            t.push(&row(
                T0 + k,
                "10.0.0.1",
                Some("ito"),
                "corp.box.com",
                "box",
                "storage",
                Some(10_000_000),
                true,
            ));
        }
        let mut r = row(
            T0,
            "10.0.0.1",
            Some("ito"),
            "corp.box.com",
            "box",
            "storage",
            Some(1),
            true,
        );
        r.sanctioned = true;
        t.push(&r);
        // A paste from a server without a user.
        t.push(&row(
            T0 + 5,
            "172.16.10.3",
            None,
            "pastebin.com",
            "pastebin",
            "paste",
            Some(40_000),
            true,
        ));
        t
    }

    #[test]
    fn complies() {
        assert_detector_compliance(&LeakRisk);
    }

    #[test]
    fn inventory_rows() {
        let t = table();
        let inv = inventory(&t, &Context::default());
        assert_eq!(inv.len(), 6);
        let sato = inv.iter().find(|r| r.who == "sato").unwrap();
        assert_eq!(sato.service, "dropbox");
        assert_eq!(sato.src_ips, vec!["10.0.0.4".to_string()]);
        assert_eq!(sato.requests, 120);
        assert_eq!(sato.upload_actions, 60);
        assert_eq!(sato.upload_bytes, Some(300_000_000));
        assert_eq!(sato.bytes_up, Some(300_000_000 + 60 * 500));
        assert_eq!(sato.category.as_deref(), Some("storage"));
        let box_ = inv.iter().find(|r| r.service == "box").unwrap();
        assert!(box_.sanctioned);
        let paste = inv.iter().find(|r| r.service == "pastebin").unwrap();
        assert_eq!(
            (paste.who.as_str(), paste.user.as_deref()),
            ("172.16.10.3", None)
        );
        let json = serde_json::to_string(&inv).unwrap();
        assert!(json.contains("\"upload_actions\":60"));
    }

    #[test]
    fn findings_for_unsanctioned_uploads_only() {
        let t = table();
        let f = LeakRisk.run(&t, &Context::default());
        let keys: Vec<&str> = f.iter().map(|x| x.key.as_str()).collect();
        assert_eq!(
            keys,
            vec!["leak-risk|172.16.10.3|pastebin", "leak-risk|sato|dropbox"],
            "{f:#?}"
        );
        // paste 35 + 8·log10(40/16) = 3.18 + 15 (no peers) = 53.2
        assert!((f[0].score - 53.18).abs() < 0.01, "{}", f[0].score);
        // storage 25 + 8·log10(300 MB / 10 MB) = 11.8 + 15 above peers = 51.8
        assert!((f[1].score - 51.82).abs() < 0.01, "{}", f[1].score);
        assert_eq!(f[1].severity, Severity::Medium);
        assert_eq!(f[1].dst.category.as_deref(), Some("storage"));
        assert_eq!(f[1].src.user.as_deref(), Some("sato"));
        assert!(f[1].explanation.en.contains("300.0 MB"));
    }

    #[test]
    fn unknown_volume_counts_actions() {
        let mut t = EventTable::new();
        for k in 0..6 {
            t.push(&row(
                T0 + k,
                "10.0.0.8",
                Some("abe"),
                "chatgpt.com",
                "chatgpt",
                "generative_ai",
                None,
                true,
            ));
        }
        let f = LeakRisk.run(&t, &Context::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].bytes_up, None);
        assert!(f[0].explanation.en.contains("volume is unknown"));
        // 30 + 5·log2(6/3) = 35
        assert!((f[0].score - 35.0).abs() < 1e-9);
    }
}
