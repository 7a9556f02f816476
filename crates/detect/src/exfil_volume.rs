//! Upload volume: a client sending far more than its own normal, to a
//! destination few others use, at night, in equal chunks.
//!
//! Per (client, registered domain): total bytes up, the client's daily
//! uploads against its own baseline (median and MAD of its other days),
//! the destination's prevalence, the share sent at night or on weekends
//! (local time, `utc_offset_h`), repeated equal chunk sizes and the
//! upload/download ratio. Where the log has no upload bytes at all (Squid
//! native), POST/PUT counts and tunnel time stand in and the explanation
//! says the volume is unknown.
//!
//! Score: `10·log10(MB up)` (max 35), +25 if the pair's biggest day is an
//! outlier against the client's own days (modified z ≥ `z_threshold`),
//! +15 for a destination of ≤ `rare_hosts` clients (−10 if ≥ 10 % of
//! clients use it), +10 if ≥ half the bytes went at night/weekend, +10 for
//! ≥ `min_chunks` equal chunks, +5 for up/down ≥ 10, −20 if sanctioned.
//! Uploads on ≥ half of the days are routine (capped at 45); without an
//! outlier day the cap is 60 (medium). Unknown volume: 35–55 by POST/PUT
//! count, 30 if the client posts on most days.

use crate::common::{Prevalence, fill_common, human_bytes, local_time, median_mad, sort_findings};
use crate::detector::{Context, Detector, DetectorInfo, Threshold, describe_pair};
use crate::finding::Finding;
use crate::group::{GroupKey, Groups};
use crate::table::{EventTable, Method, NONE, Sym};
use std::collections::{BTreeMap, HashMap};

/// The exfiltration-volume detector (registered as `exfil-volume`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ExfilVolume;

static INFO: DetectorInfo = DetectorInfo {
    id: "exfil-volume",
    title_en: "Unusual upload volume (possible exfiltration)",
    title_ja: "通常と異なる送信量 (情報持ち出しの可能性)",
    detects: "A client uploading to one destination far more than it normally uploads in a day \
              (robust z-score against its own median/MAD), especially to a destination few \
              other clients use, at night or on weekends, and in many equal-sized chunks. \
              When the log records no upload bytes, many POST/PUT requests or long tunnels to \
              a rare destination are reported instead, with the volume marked unknown.",
    features: &[
        "bytes up per (client, registered domain) and per client per local day",
        "robust z-score of the day's upload vs the client's other days (median, MAD)",
        "distinct internal clients using the destination",
        "share of bytes sent at night (22–06 local) or on weekends",
        "most repeated upload size (equal chunks) and its count",
        "upload / download ratio",
        "fallback without bytes: POST/PUT count, tunnel seconds",
    ],
    thresholds: &[
        Threshold {
            name: "min_upload_mb",
            default: 20.0,
            reason: "Below ~20 MB a week, uploads are forms, chat and mail; documents large \
                     enough to matter as a leak are tens of MB.",
        },
        Threshold {
            name: "z_threshold",
            default: 3.5,
            reason: "Iglewicz–Hoaglin modified z-score cut-off for outliers (0.6745·|x−med|/MAD \
                     > 3.5).",
        },
        Threshold {
            name: "rare_hosts",
            default: 2.0,
            reason: "A destination used by at most 2 clients is not a shared business service.",
        },
        Threshold {
            name: "utc_offset_h",
            default: 9.0,
            reason: "Local time for night/weekend: Japan (UTC+9), the main user base.",
        },
        Threshold {
            name: "min_chunks",
            default: 5.0,
            reason: "Five or more uploads of exactly the same size ≥ 64 kB is a splitter \
                     (T1030), not a person attaching files.",
        },
        Threshold {
            name: "min_posts_unknown_volume",
            default: 200.0,
            reason: "Without byte counts, 200+ POST/PUT to one rare destination in the period \
                     is well beyond form use and worth a look.",
        },
        Threshold {
            name: "max_samples",
            default: 5.0,
            reason: "Enough source lines to open in the log viewer.",
        },
    ],
    attack: &["T1041", "T1048", "T1030", "T1029", "T1567"],
    false_positives: &[
        "backups and sync clients (they upload every day, so the client's baseline absorbs \
         them; a first backup still fires)",
        "video conferencing and screen sharing (many hosts, so not rare)",
        "a user legitimately sending a large file to a new partner",
    ],
    cost: "O(n log n): one sort of the rows with a method or upload bytes by (client, domain, \
           time), and a per-client map of daily totals.",
};

/// Longest period (days) over which empty days are counted into a client's
/// baseline; beyond it only days with data are used.
const MAX_SPAN_DAYS: i64 = 400;

#[derive(Default)]
struct PairStats {
    up: u64,
    any_up: bool,
    down: u64,
    night_up: u64,
    posts: u64,
    tunnel_s: u64,
    by_day: BTreeMap<i64, u64>,
    sizes: HashMap<u64, u32>,
}

impl Detector for ExfilVolume {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }

    fn run(&self, t: &EventTable, ctx: &Context) -> Vec<Finding> {
        if t.is_empty() {
            return Vec::new();
        }
        let min_up = ctx.param(&INFO, "min_upload_mb").max(0.0) * 1e6;
        let z_thr = ctx.param(&INFO, "z_threshold");
        let rare_hosts = ctx.param(&INFO, "rare_hosts");
        let off = ctx.param(&INFO, "utc_offset_h");
        let min_chunks = ctx.param(&INFO, "min_chunks").max(2.0) as u32;
        let min_posts = ctx.param(&INFO, "min_posts_unknown_volume").max(1.0);
        let max_samples = ctx.param(&INFO, "max_samples").max(0.0) as usize;
        let prev = Prevalence::build(t);
        // Per client per local day: bytes up (all destinations).
        let mut daily: HashMap<Sym, BTreeMap<i64, u64>> = HashMap::new();
        let mut any_up_logged = false;
        for r in 0..t.len() as u32 {
            let s = t.src[r as usize];
            if s == NONE {
                continue;
            }
            let (day, _, _) = local_time(t.ts_ms[r as usize], off);
            let e = daily.entry(s).or_default().entry(day).or_default();
            if let Some(b) = t.bytes_up(r) {
                any_up_logged = true;
                *e = e.saturating_add(b);
            }
        }
        let Some((t0, t1)) = t.time_range() else {
            return Vec::new();
        };
        let (d0, _, _) = local_time(t0, off);
        let (d1, _, _) = local_time(t1, off);
        let groups = Groups::build(t, GroupKey::SrcDomain, |r| {
            t.bytes_up(r).is_some_and(|b| b > 0)
                || matches!(t.method(r), Method::Post | Method::Put | Method::Connect)
        });
        let mut out = Vec::new();
        for g in &groups.groups {
            let (src, dom, _) = GroupKey::unpack(g.key);
            let rows = groups.rows(g);
            let mut p = PairStats::default();
            for &r in rows {
                let ts = t.ts_ms[r as usize];
                let (day, hour, wd) = local_time(ts, off);
                if let Some(b) = t.bytes_up(r) {
                    p.any_up = true;
                    p.up = p.up.saturating_add(b);
                    let e = p.by_day.entry(day).or_default();
                    *e = e.saturating_add(b);
                    if !(6..22).contains(&hour) || wd >= 5 {
                        p.night_up = p.night_up.saturating_add(b);
                    }
                    if b >= 65_536 {
                        *p.sizes.entry(b).or_default() += 1;
                    }
                }
                p.down = p.down.saturating_add(t.bytes_down(r).unwrap_or(0));
                if matches!(t.method(r), Method::Post | Method::Put) {
                    p.posts += 1;
                }
                if t.is_connect(r) {
                    p.tunnel_s = p
                        .tunnel_s
                        .saturating_add(t.duration_s(r).unwrap_or(0) as u64);
                }
            }
            let clients = prev.domains.get(dom as usize).copied().unwrap_or(0);
            let rare = prev.is_rare(clients, rare_hosts, 0.0);
            let first = rows[0];
            let (s, mut d) =
                describe_pair(t, src, t.host[first as usize], t.dst_ip[first as usize]);
            let domain = t.domains.get(dom).unwrap_or("").to_string();
            d.domain = Some(domain.clone());
            let src_key = s.ip.clone().unwrap_or_default();
            let src_txt = src_key.clone();
            if !p.any_up || !any_up_logged {
                // Volume unknown: request counts and tunnel time only.
                if !rare || (p.posts as f64) < min_posts {
                    continue;
                }
                let mut score = (35.0 + 5.0 * (p.posts as f64 / min_posts).log2()).min(55.0);
                // Posting on most days is an agent's routine (monitoring,
                // sync), not a one-off transfer.
                let mut post_days: Vec<i64> = rows
                    .iter()
                    .filter(|&&r| matches!(t.method(r), Method::Post | Method::Put))
                    .map(|&r| local_time(t.ts_ms[r as usize], off).0)
                    .collect();
                post_days.dedup();
                post_days.sort_unstable();
                post_days.dedup();
                let span = d1.saturating_sub(d0).saturating_add(1).max(1) as f64;
                let routine = span >= 3.0 && post_days.len() as f64 >= 0.5 * span;
                if routine {
                    score = score.min(30.0);
                }
                let mut f = Finding::new(INFO.id, &src_key, &domain, INFO.title_en.into(), score);
                f.src = s;
                f.dst = d;
                fill_common(&mut f, t, &INFO, rows, max_samples);
                f.figure("posts", p.posts as f64);
                f.figure("tunnel_s", p.tunnel_s as f64);
                f.figure("days_with_posts", post_days.len() as f64);
                f.figure("destination_clients", clients as f64);
                f.evidence.notes.insert("volume".into(), "unknown".into());
                f.explanation.en = format!(
                    "{src_txt} sent {} POST/PUT requests to {domain}, which only {clients} \
                     client(s) use{}. The log records no upload bytes, so the volume is unknown.",
                    p.posts,
                    if routine {
                        ", on most days (routine)"
                    } else {
                        ""
                    }
                );
                f.explanation.ja = format!(
                    "{src_txt} が {domain} (利用端末 {clients} 台) に POST/PUT を {} 回送信しました{}。\
                     ログに送信バイト数が無いため、送信量は不明です。",
                    p.posts,
                    if routine {
                        " (ほぼ毎日の定常的な送信)"
                    } else {
                        ""
                    }
                );
                out.push(f);
                continue;
            }
            if (p.up as f64) < min_up {
                continue;
            }
            // The client's own baseline: its daily totals over the whole
            // period (days without traffic count as 0, so a workstation off
            // at weekends is not penalised), minus this pair's bytes.
            let days = daily.get(&src);
            let mut base: Vec<f64> = Vec::new();
            let day_base = |day: i64| {
                let total = days.and_then(|m| m.get(&day)).copied().unwrap_or(0);
                let mine = p.by_day.get(&day).copied().unwrap_or(0);
                total.saturating_sub(mine) as f64
            };
            if d1.saturating_sub(d0) <= MAX_SPAN_DAYS {
                base.extend((d0..=d1).map(day_base));
            } else {
                // Absurd spans (corrupt time stamps): days with data only,
                // never a walk over millions of empty days.
                base.extend(
                    days.into_iter()
                        .flat_map(|m| m.keys())
                        .map(|&d| day_base(d)),
                );
            }
            let (med, mad) = median_mad(&base).unwrap_or((0.0, 0.0));
            // Robust z of the pair's largest day on top of the median day;
            // MAD floored at 1 MB so a quiet client's zero MAD does not
            // make every upload infinite.
            let peak = p.by_day.values().copied().max().unwrap_or(0) as f64;
            let z = 0.6745 * peak / mad.max(1e6);
            let anomalous = z >= z_thr && peak > med;
            let days_up = p
                .by_day
                .values()
                .filter(|&&b| b as f64 >= 0.1 * peak)
                .count();
            let n_days = (d1.saturating_sub(d0).saturating_add(1)).max(1) as f64;
            let routine = days_up as f64 >= 0.5 * n_days && n_days >= 3.0;
            let night_share = p.night_up as f64 / p.up.max(1) as f64;
            let (chunk, n_chunk) = p
                .sizes
                .iter()
                .map(|(&b, &n)| (b, n))
                .max_by_key(|&(b, n)| (n, std::cmp::Reverse(b)))
                .unwrap_or((0, 0));
            let chunked = n_chunk >= min_chunks;
            let ratio = p.up as f64 / p.down.max(1) as f64;
            // Score: volume on a log scale, then evidence.
            let mut score = (10.0 * (p.up as f64 / 1e6).log10()).clamp(0.0, 35.0);
            let mut why_en = Vec::new();
            let mut why_ja = Vec::new();
            if anomalous && !routine {
                score += 25.0;
                why_en.push(format!(
                    "{:.0}× its usual daily upload (z = {z:.1})",
                    peak / med.max(1e6)
                ));
                why_ja.push(format!(
                    "普段の 1 日の送信量の {:.0} 倍 (z = {z:.1})",
                    peak / med.max(1e6)
                ));
            }
            if rare {
                score += 15.0;
                why_en.push(format!("a destination only {clients} client(s) use"));
                why_ja.push(format!("利用端末が {clients} 台だけの宛先"));
            } else if clients as f64 >= 0.1 * prev.clients as f64 && clients >= 3 {
                score -= 10.0;
            }
            if night_share >= 0.5 {
                score += 10.0;
                why_en.push(format!(
                    "{:.0} % at night or on a weekend",
                    night_share * 100.0
                ));
                why_ja.push(format!("{:.0} % が夜間・休日", night_share * 100.0));
            }
            if chunked {
                score += 10.0;
                why_en.push(format!("{n_chunk} chunks of exactly {chunk} bytes"));
                why_ja.push(format!("{chunk} バイトちょうどの分割送信が {n_chunk} 回"));
            }
            if ratio >= 10.0 {
                score += 5.0;
            }
            if t.sanctioned(first) {
                score -= 20.0;
            }
            if routine {
                // A daily pattern (backup, sync) is its own baseline.
                score = score.min(45.0);
                why_en.push(format!(
                    "uploads on {days_up} of {n_days:.0} days (routine)"
                ));
                why_ja.push(format!("{n_days:.0} 日中 {days_up} 日で送信 (定常的)"));
            } else if !anomalous {
                // Volume without a deviation from the client's own normal
                // is never more than medium.
                score = score.min(60.0);
            }
            if score < 25.0 {
                continue;
            }
            let mut f = Finding::new(INFO.id, &src_key, &domain, INFO.title_en.into(), score);
            f.src = s;
            f.dst = d;
            fill_common(&mut f, t, &INFO, rows, max_samples);
            f.figure("bytes_up", p.up as f64);
            f.figure("peak_day_bytes_up", peak);
            f.figure("baseline_median_day", med);
            f.figure("baseline_mad_day", mad);
            f.figure("robust_z", z);
            f.figure("destination_clients", clients as f64);
            f.figure("night_weekend_share", night_share);
            f.figure("equal_chunk_bytes", chunk as f64);
            f.figure("equal_chunks", n_chunk as f64);
            f.figure("up_down_ratio", ratio);
            f.figure("days_with_uploads", days_up as f64);
            f.explanation.en = format!(
                "{src_txt} uploaded {} to {domain}{}{}.",
                human_bytes(p.up),
                if why_en.is_empty() { "" } else { ": " },
                why_en.join("; ")
            );
            f.explanation.ja = format!(
                "{src_txt} が {domain} に {} を送信しました{}{}。",
                human_bytes(p.up),
                if why_ja.is_empty() { "" } else { ": " },
                why_ja.join("、")
            );
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

    // Monday 2025-11-17 00:00 JST = Sunday 15:00 UTC.
    const MON_JST: i64 = 1_763_305_200_000;
    const H: i64 = 3_600_000;

    fn up<'a>(ts: i64, src: &'a str, host: &'a str, bytes: u64) -> RowIn<'a> {
        RowIn {
            ts_ms: ts,
            src_ip: Some(src),
            host: Some(host),
            domain: Some(host),
            method: Some("POST"),
            bytes_up: Some(bytes),
            bytes_down: Some(500),
            locator: Locator { file: 1, line: 7 },
            ..Default::default()
        }
    }

    /// Five weekdays of ordinary uploads (2 MB a day) for 8 clients to a
    /// shared mail service.
    fn office(t: &mut EventTable) {
        for c in 0..8 {
            let src = format!("10.0.1.{c}");
            for day in 0..5 {
                for k in 0..4 {
                    t.push(&up(
                        MON_JST + day * 24 * H + (10 + k) * H,
                        &src,
                        "mail.example.com",
                        500_000,
                    ));
                }
            }
        }
    }

    #[test]
    fn complies() {
        assert_detector_compliance(&ExfilVolume);
    }

    #[test]
    fn night_chunked_upload_to_rare_domain() {
        let mut t = EventTable::new();
        office(&mut t);
        // Client 10.0.1.3 sends 40 × 5 MiB at 02:00–03:00 on Wednesday night.
        for k in 0..40 {
            t.push(&up(
                MON_JST + 2 * 24 * H + 2 * H + k * 60_000,
                "10.0.1.3",
                "drop.example.org",
                5 * 1_048_576,
            ));
        }
        let f = ExfilVolume.run(&t, &Context::default());
        assert_eq!(f.len(), 1, "{f:#?}");
        let f = &f[0];
        assert_eq!(f.key, "exfil-volume|10.0.1.3|drop.example.org");
        assert_eq!(f.bytes_up, Some(40 * 5 * 1_048_576));
        assert_eq!(f.evidence.figures["equal_chunks"], 40.0);
        assert_eq!(f.evidence.figures["equal_chunk_bytes"], 5_242_880.0);
        assert_eq!(f.evidence.figures["night_weekend_share"], 1.0);
        assert!(f.evidence.figures["robust_z"] > 3.5);
        // volume 10·log10(209.7) = 23.2, +25 anomaly +15 rare +10 night +10
        // chunks +5 ratio = 88.2
        assert!((f.score - 88.2).abs() < 0.1, "{}", f.score);
        assert_eq!(f.severity, Severity::High);
        assert!(f.explanation.ja.contains("drop.example.org"));
    }

    #[test]
    fn nightly_backup_is_routine_and_capped() {
        let mut t = EventTable::new();
        office(&mut t);
        for day in 0..7 {
            for k in 0..10 {
                t.push(&up(
                    MON_JST + day * 24 * H + H + k * 60_000,
                    "172.16.10.5",
                    "backup.example.net",
                    4 * 1_048_576,
                ));
            }
        }
        let f = ExfilVolume.run(&t, &Context::default());
        assert_eq!(f.len(), 1);
        assert!(f[0].score <= 45.0, "{}", f[0].score);
        assert!(f[0].severity <= Severity::Low);
        assert_eq!(f[0].evidence.figures["days_with_uploads"], 7.0);
    }

    #[test]
    fn unknown_volume_uses_post_counts() {
        let mut t = EventTable::new();
        for k in 0..400 {
            let mut r = up(MON_JST + k * 60_000, "10.0.1.9", "paste.example.net", 0);
            r.bytes_up = None;
            r.bytes_down = Some(300);
            t.push(&r);
        }
        let f = ExfilVolume.run(&t, &Context::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].bytes_up, None);
        assert_eq!(f[0].evidence.notes["volume"], "unknown");
        assert!(f[0].explanation.en.contains("volume is unknown"));
        assert!((f[0].score - 40.0).abs() < 1e-9, "{}", f[0].score);
        assert_eq!(f[0].evidence.figures["days_with_posts"], 1.0);
    }

    #[test]
    fn unknown_volume_daily_agent_is_routine() {
        let mut t = EventTable::new();
        // A monitoring agent: one POST a minute for a week, no byte counts.
        for k in 0..(7 * 24 * 60) {
            let mut r = up(
                MON_JST + k * 60_000,
                "172.16.10.4",
                "api.monitor.example",
                0,
            );
            r.bytes_up = None;
            t.push(&r);
        }
        let f = ExfilVolume.run(&t, &Context::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].score, 30.0);
        assert_eq!(f[0].evidence.figures["days_with_posts"], 7.0);
        assert!(f[0].explanation.en.contains("routine"));
    }
}
