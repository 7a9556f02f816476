//! Beaconing: a client calling the same destination at a regular interval.
//!
//! * [`rita`]: RITA v5's beacon score, exact, as a baseline and as evidence.
//! * [`robust`]: kensa's jitter-robust periodicity test (the detector).
//! * [`sim`]: the timestamp generator used by the evaluation harness.
//!
//! [`Beacon`] groups rows by (client, FQDN), runs [`robust::analyze`] on
//! each series and emits a finding when the best segment's p-value is below
//! `alpha`. RITA's sub-scores for the same pair are attached as evidence.

pub mod eval;
pub mod rita;
pub mod robust;
pub mod sim;

use crate::detector::{Context, Detector, DetectorInfo, Threshold, describe_pair, samples};
use crate::finding::Finding;
use crate::group::{GroupKey, Groups};
use crate::table::EventTable;

/// The beacon detector (registered as `beacon`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Beacon;

static INFO: DetectorInfo = DetectorInfo {
    id: "beacon",
    title_en: "Periodic beaconing (C2 callbacks)",
    title_ja: "周期的なビーコン通信 (C2 コールバック)",
    detects: "A client contacting the same host at intervals that are more regular than a random \
              (Poisson) process would produce, even when the implant randomises its sleep by up to \
              90 % and callbacks are missed. Reports the period, the jitter, missed callbacks and \
              changes of sleep time.",
    features: &[
        "callbacks per (client, FQDN) after collapsing bursts < 2 s",
        "Moran regularity statistic of inter-arrival times, gap-trimmed and folded by missed callbacks",
        "interval floor (1 - min/mean): a jittered sleep never drops below period x (1 - jitter)",
        "p-value of each against a simulated Poisson null, combined at their simulated dependence",
        "rank-scan segmentation for sleep-time changes",
        "period, jitter, missed callbacks, coverage",
        "RITA v5 sub-scores (timestamp, data size, histogram, duration) as evidence",
    ],
    thresholds: &[
        Threshold {
            name: "alpha",
            default: 1e-4,
            reason: "Bonferroni-style budget: a week has ~10^4–10^5 pairs with enough callbacks, \
                     so 1e-4 keeps purely random pairs to a handful while a 24-callback beacon \
                     with 50 % jitter still reaches p < 1e-6.",
        },
        Threshold {
            name: "min_callbacks",
            default: 10.0,
            reason: "Fewer than 10 callbacks cannot separate a beacon from chance at alpha.",
        },
        Threshold {
            name: "burst_gap_s",
            default: 2.0,
            reason: "One callback often makes several requests within a second or two.",
        },
        Threshold {
            name: "max_samples",
            default: 5.0,
            reason: "Enough source lines to open in the log viewer without bloating findings.",
        },
        Threshold {
            name: "shared_fraction",
            default: 0.1,
            reason: "A registered domain polled by 10 % or more of the clients (and at least 3) \
                     is a software agent fleet (updaters, AV lookups, CRLs): still reported, but \
                     capped at `shared_cap` so it never outranks a one-host beacon.",
        },
        Threshold {
            name: "established_cap",
            default: 70.0,
            reason: "A series to a destination already seen in the first 24 h that keeps its \
                     rhythm over ≥ 90 % of the days is established behaviour (monitoring \
                     agents, sync clients) or an implant older than the logs: top of medium, \
                     never high, so new beacons rank first.",
        },
        Threshold {
            name: "established_fleet_clients",
            default: 3.0,
            reason: "An established rhythm (see `established_cap`) to a destination that three or \
                     more clients poll is a deployed agent fleet (monitoring, EDR, sync) however \
                     small a fraction of a large network it is: capped at `shared_cap` like a \
                     fleet-wide destination. An implant older than the logs on three hosts is \
                     the accepted miss; intel and the other detectors still see it.",
        },
        Threshold {
            name: "service_cap",
            default: 60.0,
            reason: "Destinations the enrich catalog names (cloud storage, SaaS) are \
                     legitimate services; C2 over them is possible (T1102), so they stay \
                     reported, as medium at most.",
        },
        Threshold {
            name: "shared_cap",
            default: 45.0,
            reason: "Low severity: periodicity to a fleet-wide destination is expected behaviour \
                     and only worth a glance.",
        },
    ],
    attack: &["T1071.001", "T1573", "T1029"],
    false_positives: &[
        "software updaters, AV/EDR and monitoring agents, mail and chat clients polling on a timer",
        "NTP-like or keep-alive traffic through the proxy",
        "web pages that auto-refresh (dashboards, webmail)",
    ],
    cost: "O(n log n): one sort of the rows by (client, host, time), then O(k log k) per series; \
           ~36 bytes per row transiently.",
};

/// Formats a duration in ms for humans (`45 s`, `5.0 min`, `1.5 h`).
pub fn human_period(ms: f64) -> String {
    let s = ms / 1000.0;
    if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7200.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

/// Maps a p-value to a 0–85 score. Periodicity alone is never "critical":
/// the cap leaves room for intel/context to raise it.
pub fn score_from_p(p: f64) -> f64 {
    let s = -p.max(1e-300).log10();
    (85.0 * (1.0 - (-s / 6.0).exp())).clamp(0.0, 85.0)
}

impl Detector for Beacon {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }

    fn run(&self, t: &EventTable, ctx: &Context) -> Vec<Finding> {
        let alpha = ctx.param(&INFO, "alpha");
        let params = robust::RobustParams {
            min_callbacks: ctx.param(&INFO, "min_callbacks").max(3.0) as usize,
            burst_gap_ms: (ctx.param(&INFO, "burst_gap_s") * 1000.0) as i64,
            ..Default::default()
        };
        let max_samples = ctx.param(&INFO, "max_samples").max(0.0) as usize;
        let Some((data_start, data_end)) = t.time_range() else {
            return Vec::new();
        };
        let groups = Groups::build(t, GroupKey::SrcHost, |_| true);
        let shared_fraction = ctx.param(&INFO, "shared_fraction");
        let shared_cap = ctx.param(&INFO, "shared_cap");
        let established_cap = ctx.param(&INFO, "established_cap");
        let established_fleet = ctx.param(&INFO, "established_fleet_clients");
        let service_cap = ctx.param(&INFO, "service_cap");
        let prev = crate::common::Prevalence::build(t);
        let mut scratch = robust::Scratch::default();
        let mut times = Vec::new();
        let mut secs = Vec::new();
        let mut sizes = Vec::new();
        let mut out = Vec::new();
        for g in &groups.groups {
            if g.len() < params.min_callbacks {
                continue;
            }
            groups.times_into(t, g, &mut times);
            let a = robust::analyze(&times, &params, &mut scratch);
            let Some(best) = a.best().copied() else {
                continue;
            };
            if best.p_value.is_nan() || best.p_value >= alpha {
                continue;
            }
            let rows = groups.rows(g);
            let (src, host, _) = GroupKey::unpack(g.key);
            let first = rows[0];
            let ip = t.dst_ip[first as usize];
            let (s, d) = describe_pair(t, src, host, ip);
            let src_key = s.ip.clone().unwrap_or_default();
            let dst_key = d.host.clone().unwrap_or_default();
            let clients = prev.of_row(t, first);
            let shared = clients >= 3 && clients as f64 >= shared_fraction * prev.clients as f64;
            let mut score = score_from_p(best.p_value);
            if shared {
                score = score.min(shared_cap);
            }
            // Established: destination known from the first day and the
            // rhythm present on ≥ 90 % of the data's days.
            let day = |ms: i64| ms.div_euclid(86_400_000);
            let n_days = (day(data_end) - day(data_start) + 1).max(1);
            let mut active: Vec<i64> = times.iter().map(|&ms| day(ms)).collect();
            active.dedup();
            let established = n_days >= 3
                && prev.first_of_row(t, first) < data_start.saturating_add(86_400_000)
                && active.len() as f64 >= 0.9 * n_days as f64;
            if established {
                score = score.min(established_cap);
                if clients as f64 >= established_fleet {
                    score = score.min(shared_cap);
                }
            }
            let known_service = t.service(first) != crate::table::NONE;
            if known_service {
                score = score.min(service_cap);
            }
            let mut f = Finding::new(
                INFO.id,
                &src_key,
                &dst_key,
                INFO.title_en.to_string(),
                score,
            );
            f.figure("destination_clients", clients as f64);
            f.figure("active_days", active.len() as f64);
            f.src = s;
            f.src.user = crate::detector::user_of(t, rows);
            f.dst = d;
            f.dst.port = t.port(first);
            f.dst.category = t.category(first).map(str::to_string);
            f.first_seen = times[0];
            f.last_seen = times[times.len() - 1];
            f.count = rows.len() as u64;
            let (mut up, mut down, mut any_up, mut any_down) = (0u64, 0u64, false, false);
            secs.clear();
            sizes.clear();
            for &r in rows {
                let bu = t.bytes_up(r);
                let bd = t.bytes_down(r);
                if let Some(b) = bu {
                    up = up.saturating_add(b);
                    any_up = true;
                }
                if let Some(b) = bd {
                    down = down.saturating_add(b);
                    any_down = true;
                }
                secs.push(t.ts_ms[r as usize].div_euclid(1000));
                sizes.push(bu.or(bd).unwrap_or(0) as f64);
            }
            f.bytes_up = any_up.then_some(up);
            f.bytes_down = any_down.then_some(down);
            f.attack = INFO.attack.iter().map(|s| s.to_string()).collect();
            f.figure("period_s", best.period_ms / 1000.0);
            f.figure("jitter", best.jitter);
            f.figure("missed_callbacks", best.missed as f64);
            f.figure("coverage", best.coverage);
            f.figure("p_value", best.p_value);
            f.figure("callbacks", a.callbacks as f64);
            f.figure("segments", a.segments.len() as f64);
            f.figure("moran_raw", best.stat_raw);
            f.figure("moran_folded", best.stat_fold);
            f.figure("interval_floor", best.stat_floor);
            for (i, seg) in a.segments.iter().enumerate().take(4) {
                f.figure(&format!("segment{i}_period_s"), seg.period_ms / 1000.0);
                f.figure(&format!("segment{i}_start_ms"), seg.start_ms as f64);
            }
            if let Some(r) = rita::rita_best_window(
                &secs,
                &sizes,
                data_start.div_euclid(1000),
                data_end.div_euclid(1000),
                &rita::RitaConfig::default(),
            ) {
                f.figure("rita_score", r.score);
                f.figure("rita_ts_score", r.ts_score);
                f.figure("rita_ds_score", r.ds_score);
                f.figure("rita_hist_score", r.hist_score);
                f.figure("rita_dur_score", r.dur_score);
            }
            f.evidence.samples = samples(t, rows, max_samples);
            let src_txt = f.src.ip.as_deref().unwrap_or("?");
            let dst_txt = f.dst.host.as_deref().unwrap_or("?");
            let per = human_period(best.period_ms);
            let jit = (best.jitter * 100.0).round();
            let change = if a.segments.len() > 1 {
                format!(" The sleep time changed {} time(s).", a.segments.len() - 1)
            } else {
                String::new()
            };
            let change_ja = if a.segments.len() > 1 {
                format!(
                    "途中でスリープ間隔が{}回変化しています。",
                    a.segments.len() - 1
                )
            } else {
                String::new()
            };
            let mut shared_en = String::new();
            let mut shared_ja = String::new();
            if shared {
                shared_en += &format!(
                    " {clients} clients poll the same destination (a software fleet?), so the score is capped."
                );
                shared_ja += &format!(
                    "同じ宛先を {clients} 台の端末が定期接続しているため (ソフトウェアの一斉通信?)、スコアを抑えています。"
                );
            }
            if established {
                shared_en += " The rhythm runs through the whole period from the first day (an agent, or an implant older than the logs), so it is capped at medium.";
                shared_ja += "データ初日から全期間にわたって続く通信のため (常駐エージェント、またはログ以前からの感染)、中程度までに抑えています。";
            }
            if known_service {
                shared_en +=
                    " The destination is a known cloud service, so the score is capped at medium.";
                shared_ja += "宛先は既知のクラウドサービスのため、中程度までに抑えています。";
            }
            f.explanation.en = format!(
                "{src_txt} contacted {dst_txt} {} times at a regular interval of about {per} \
                 (jitter ±{jit} %, {} missed callbacks); this is far more regular than chance \
                 (p = {:.1e}).{change}{shared_en}",
                a.callbacks, best.missed, best.p_value
            );
            f.explanation.ja = format!(
                "{src_txt} は {dst_txt} に約{per}間隔 (揺らぎ ±{jit} %、欠落 {} 回) で {} 回接続しており、\
                 偶然とは考えにくい規則性です (p = {:.1e})。{change_ja}{shared_ja}",
                best.missed, a.callbacks, best.p_value
            );
            out.push(f);
        }
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.key.cmp(&b.key)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compliance::assert_detector_compliance;
    use crate::table::{Locator, RowIn};

    #[test]
    fn complies() {
        assert_detector_compliance(&Beacon);
    }

    #[test]
    fn finds_the_beacon_not_the_browsing() {
        let mut rng = sim::Rng::new(5);
        let mut t = EventTable::new();
        let spec = sim::BeaconSpec {
            period_s: 600.0,
            jitter: 0.5,
            miss: 0.1,
            office_only: false,
        };
        let b = sim::beacon(&spec, sim::WEEK_START_MS, sim::WEEK_MS, &mut rng);
        let n = sim::poisson(600.0, sim::WEEK_START_MS, sim::WEEK_MS, false, &mut rng);
        for (i, &ts) in b.iter().enumerate() {
            t.push(&RowIn {
                ts_ms: ts,
                src_ip: Some("10.0.0.7"),
                host: Some("cdn-update.example.net"),
                domain: Some("example.net"),
                bytes_up: Some(400),
                user: (i == 3).then_some("CORP\\tanaka"),
                locator: Locator {
                    file: 2,
                    line: i as u32 + 1,
                },
                ..Default::default()
            });
        }
        for &ts in &n {
            t.push(&RowIn {
                ts_ms: ts,
                src_ip: Some("10.0.0.8"),
                host: Some("news.example.org"),
                ..Default::default()
            });
        }
        let f = Beacon.run(&t, &Context::default());
        assert_eq!(f.len(), 1, "{f:#?}");
        let f = &f[0];
        assert_eq!(f.key, "beacon|10.0.0.7|cdn-update.example.net");
        assert_eq!(f.dst.domain.as_deref(), Some("example.net"));
        assert_eq!(f.src.user.as_deref(), Some("CORP\\tanaka"));
        let period = f.evidence.figures["period_s"];
        assert!((period - 600.0).abs() < 60.0, "{period}");
        let jitter = f.evidence.figures["jitter"];
        assert!((0.3..0.7).contains(&jitter), "{jitter}");
        assert_eq!(f.evidence.samples.len(), 5);
        assert_eq!(f.evidence.samples[0].line, 1);
        assert_eq!(f.bytes_up, Some(400 * b.len() as u64));
        assert_eq!(f.bytes_down, None);
        assert!(f.explanation.ja.contains("cdn-update.example.net"));
    }

    /// A 10-minute poll, 7 days, from `src` to `host`.
    fn poll(t: &mut EventTable, src: &str, host: &str, service: Option<&str>, seed: u64) {
        let mut rng = sim::Rng::new(seed);
        let spec = sim::BeaconSpec {
            period_s: 600.0,
            jitter: 0.2,
            miss: 0.0,
            office_only: false,
        };
        for ts in sim::beacon(&spec, sim::WEEK_START_MS, sim::WEEK_MS, &mut rng) {
            t.push(&RowIn {
                ts_ms: ts,
                src_ip: Some(src),
                host: Some(host),
                domain: Some(host),
                service,
                ..Default::default()
            });
        }
    }

    #[test]
    fn fleet_agents_established_and_services_are_capped() {
        let mut t = EventTable::new();
        // Five of the ten clients poll the same AV lookup host.
        for c in 0..5 {
            poll(&mut t, &format!("10.0.0.{c}"), "lookup.av.example", None, c);
        }
        // One client's agent polls its own host all week from day one.
        poll(&mut t, "10.0.0.5", "agent.example.net", None, 9);
        // One polls a catalog service.
        poll(
            &mut t,
            "10.0.0.6",
            "sync.storage.example",
            Some("storage-x"),
            10,
        );
        // A new beacon starting on day 3 on one client.
        let mut rng = sim::Rng::new(11);
        let spec = sim::BeaconSpec {
            period_s: 600.0,
            jitter: 0.2,
            miss: 0.0,
            office_only: false,
        };
        let day = 86_400_000;
        for ts in sim::beacon(&spec, sim::WEEK_START_MS + 3 * day, 2 * day, &mut rng) {
            t.push(&RowIn {
                ts_ms: ts,
                src_ip: Some("10.0.0.7"),
                host: Some("c2.example.org"),
                domain: Some("c2.example.org"),
                ..Default::default()
            });
        }
        for c in 8..10 {
            t.push(&RowIn {
                ts_ms: sim::WEEK_START_MS,
                src_ip: Some(["10.0.0.8", "10.0.0.9"][c - 8]),
                host: Some("news.example.jp"),
                ..Default::default()
            });
        }
        let f = Beacon.run(&t, &Context::default());
        let score = |k: &str| f.iter().find(|x| x.key == k).map(|x| x.score);
        assert_eq!(f[0].key, "beacon|10.0.0.7|c2.example.org", "{f:#?}");
        assert!(f[0].score > 75.0);
        for c in 0..5 {
            assert_eq!(
                score(&format!("beacon|10.0.0.{c}|lookup.av.example")),
                Some(45.0)
            );
        }
        assert_eq!(score("beacon|10.0.0.5|agent.example.net"), Some(70.0));
        assert_eq!(score("beacon|10.0.0.6|sync.storage.example"), Some(60.0));
        let fleet = f
            .iter()
            .find(|x| x.key == "beacon|10.0.0.0|lookup.av.example")
            .unwrap();
        assert_eq!(fleet.evidence.figures["destination_clients"], 5.0);
        assert!(fleet.explanation.en.contains("5 clients poll"));
    }
}
