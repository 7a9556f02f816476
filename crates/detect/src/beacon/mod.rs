//! Beaconing: a client calling the same destination at a regular interval.
//!
//! * [`rita`]: RITA v5's beacon score, exact, as a baseline and as evidence.
//! * [`robust`]: kensa's jitter-robust periodicity test (the detector).
//! * [`sim`]: the timestamp generator used by the evaluation harness.
//!
//! [`Beacon`] groups rows by (client, FQDN), runs [`robust::analyze`] on
//! each series and emits a finding when the best segment's p-value is below
//! `alpha`. RITA's sub-scores for the same pair are attached as evidence.
//!
//! Three more series catch implants that spread their callbacks so that no
//! single name is regular: (client, registered domain) and (client, server
//! IP), tested only when they span several host names none of which was
//! flagged on its own (rotating subdomains, fronting, several names on one
//! server), and (client, CONNECT `host:port`), tested only when the host's
//! FQDN series also holds other requests that could hide the tunnel's
//! rhythm. Their finding keys name the level (`*.domain`, `ip:…`,
//! `connect:host:port`); FQDN findings keep the plain host name.

pub mod eval;
pub mod rita;
pub mod robust;
pub mod sim;

use crate::detector::{Context, Detector, DetectorInfo, Threshold, describe_pair, samples};
use crate::finding::Finding;
use crate::group::{GroupKey, Groups};
use std::collections::HashSet;

use crate::finding::Destination;
use crate::table::{EventTable, Sym};

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

/// Which series a finding comes from, and how its destination is named.
#[derive(Debug, Clone, Copy)]
struct Level {
    key: GroupKey,
}

impl Level {
    const FQDN: Level = Level {
        key: GroupKey::SrcHost,
    };
    const DOMAIN: Level = Level {
        key: GroupKey::SrcDomain,
    };
    const IP: Level = Level {
        key: GroupKey::SrcDstIp,
    };
    const CONNECT: Level = Level {
        key: GroupKey::SrcConnect,
    };

    /// (finding-key destination, destination shown as `dst.host`).
    /// FQDN series keep the plain host name, so verdicts on existing
    /// findings stay matched.
    fn dst_key(self, port: u16, d: &Destination) -> (String, String) {
        let host_name = d.host.clone().unwrap_or_default();
        match self.key {
            GroupKey::SrcHost => (host_name.clone(), host_name),
            GroupKey::SrcDomain => {
                let dom = d.domain.clone().unwrap_or_else(|| host_name.clone());
                let shown = format!("*.{dom}");
                (shown.clone(), shown)
            }
            GroupKey::SrcDstIp => {
                let ip = d.ip.clone().unwrap_or_default();
                (format!("ip:{ip}"), ip)
            }
            GroupKey::SrcConnect => {
                let hp = format!("{host_name}:{port}");
                (format!("connect:{hp}"), hp)
            }
        }
    }

    /// The sentence saying what the series is, for non-FQDN levels.
    fn describe(self, t: &EventTable, names: &[Sym], port: u16) -> (String, String) {
        let listed = || {
            names
                .iter()
                .take(3)
                .filter_map(|&h| t.hosts.get(h))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self.key {
            GroupKey::SrcHost => (String::new(), String::new()),
            GroupKey::SrcDomain => (
                format!(
                    " The callbacks rotate over {} names of the domain (e.g. {}); no single name is regular on its own.",
                    names.len(),
                    listed()
                ),
                format!(
                    "接続先は同じドメインの {} 個のホスト名に分散しており (例: {})、個々のホスト名だけでは規則性が見えません。",
                    names.len(),
                    listed()
                ),
            ),
            GroupKey::SrcDstIp => (
                format!(
                    " The callbacks use {} host names served by the same address (e.g. {}): fronting or rotating names.",
                    names.len(),
                    listed()
                ),
                format!(
                    "同じサーバ IP アドレス上の {} 個のホスト名 (例: {}) を使い分けています (ドメインフロンティングや名前の切り替えの可能性)。",
                    names.len(),
                    listed()
                ),
            ),
            GroupKey::SrcConnect => (
                format!(
                    " The rhythm is in the CONNECT tunnels to port {port}, hidden among other requests to the same host."
                ),
                format!(
                    "同じホストへの他のリクエストに紛れた、ポート {port} への CONNECT トンネルに規則性があります。"
                ),
            ),
        }
    }
}

/// What every series of one run shares.
#[derive(Clone, Copy)]
struct RunCtx<'a> {
    t: &'a EventTable,
    prev: &'a crate::common::Prevalence,
    data_start: i64,
    data_end: i64,
    max_samples: usize,
    shared_fraction: f64,
    shared_cap: f64,
    established_cap: f64,
    established_fleet: f64,
    service_cap: f64,
}

impl RunCtx<'_> {
    /// Tests one series (`rows`, time-ordered) and builds its finding when
    /// it is periodic at `alpha`. `names` lists the host names of a
    /// domain- or IP-level series (empty for FQDN and CONNECT series).
    #[allow(clippy::too_many_arguments)]
    fn series(
        &self,
        level: Level,
        rows: &[u32],
        src: Sym,
        host: Sym,
        port: u16,
        names: &[Sym],
        params: &robust::RobustParams,
        alpha: f64,
        scratch: &mut robust::Scratch,
        times: &mut Vec<i64>,
        secs: &mut Vec<i64>,
        sizes: &mut Vec<f64>,
    ) -> Option<Finding> {
        let RunCtx {
            t,
            prev,
            data_start,
            data_end,
            max_samples,
            shared_fraction,
            shared_cap,
            established_cap,
            established_fleet,
            service_cap,
        } = *self;
        times.clear();
        times.extend(rows.iter().map(|&r| t.ts_ms[r as usize]));
        let a = robust::analyze(times, params, scratch);
        let best = a.best().copied()?;
        if best.p_value.is_nan() || best.p_value >= alpha {
            return None;
        }
        let first = *rows.first()?;
        let ip = t.dst_ip[first as usize];
        let (s, d) = describe_pair(t, src, host, ip);
        let src_key = s.ip.clone().unwrap_or_default();
        let (dst_key, dst_shown) = level.dst_key(port, &d);
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
        // Several names (domain/IP level): capped only if every name is a
        // catalogued service.
        let known_service = if names.is_empty() {
            t.service(first) != crate::table::NONE
        } else {
            names.iter().all(|&h| {
                t.host_service
                    .get(h as usize)
                    .copied()
                    .unwrap_or(crate::table::NONE)
                    != crate::table::NONE
            })
        };
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
        f.dst.host = Some(dst_shown);
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
        f.evidence
            .notes
            .insert("series".into(), level.key.as_str().to_string());
        if !names.is_empty() {
            f.figure("names", names.len() as f64);
            let listed: Vec<&str> = names
                .iter()
                .take(20)
                .filter_map(|&h| t.hosts.get(h))
                .collect();
            f.evidence.notes.insert("names".into(), listed.join(" "));
        }
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
        let (via_en, via_ja) = level.describe(t, names, port);
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
             (p = {:.1e}).{via_en}{change}{shared_en}",
            a.callbacks, best.missed, best.p_value
        );
        f.explanation.ja = format!(
            "{src_txt} は {dst_txt} に約{per}間隔 (揺らぎ ±{jit} %、欠落 {} 回) で {} 回接続しており、\
             偶然とは考えにくい規則性です (p = {:.1e})。{via_ja}{change_ja}{shared_ja}",
            best.missed, a.callbacks, best.p_value
        );
        Some(f)
    }
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
        let run = RunCtx {
            t,
            prev: &prev,
            data_start,
            data_end,
            max_samples,
            shared_fraction,
            shared_cap,
            established_cap,
            established_fleet,
            service_cap,
        };
        let mut names: Vec<crate::table::Sym> = Vec::new();
        // 1. (client, FQDN): the primary series.
        let fqdn = Groups::build(t, GroupKey::SrcHost, |_| true);
        let mut flagged: HashSet<(Sym, Sym)> = HashSet::new();
        for g in &fqdn.groups {
            if g.len() < params.min_callbacks {
                continue;
            }
            let (src, host, _) = GroupKey::unpack(g.key);
            if let Some(f) = run.series(
                Level::FQDN,
                fqdn.rows(g),
                src,
                host,
                0,
                &[],
                &params,
                alpha,
                &mut scratch,
                &mut times,
                &mut secs,
                &mut sizes,
            ) {
                flagged.insert((src, host));
                out.push(f);
            }
        }
        let host_flagged =
            |src: Sym, hosts: &[Sym]| hosts.iter().any(|&h| flagged.contains(&(src, h)));
        // 2. (client, registered domain) and (client, server IP): only where
        //    the series spans several names (rotating subdomains, several
        //    names on one server) none of which was flagged on its own.
        for level in [Level::DOMAIN, Level::IP] {
            let groups = Groups::build(t, level.key, |_| true);
            for g in &groups.groups {
                if g.len() < params.min_callbacks {
                    continue;
                }
                let rows = groups.rows(g);
                names.clear();
                names.extend(rows.iter().map(|&r| t.host[r as usize]));
                names.sort_unstable();
                names.dedup();
                let (src, _, _) = GroupKey::unpack(g.key);
                if names.len() < 2 || host_flagged(src, &names) {
                    continue;
                }
                let host = t.host[rows[0] as usize];
                if let Some(f) = run.series(
                    level,
                    rows,
                    src,
                    host,
                    0,
                    &names,
                    &params,
                    alpha,
                    &mut scratch,
                    &mut times,
                    &mut secs,
                    &mut sizes,
                ) {
                    out.push(f);
                }
            }
        }
        // 3. (client, CONNECT host:port): only where the FQDN series also
        //    holds other rows (plain requests, other ports) that could hide
        //    the tunnel's rhythm.
        let connect = Groups::build(t, GroupKey::SrcConnect, |_| true);
        for g in &connect.groups {
            if g.len() < params.min_callbacks {
                continue;
            }
            let (src, host, port) = GroupKey::unpack(g.key);
            if flagged.contains(&(src, host)) {
                continue;
            }
            let whole = GroupKey::pack(src, host, 0);
            let same = fqdn
                .groups
                .binary_search_by(|x| x.key.cmp(&whole))
                .is_ok_and(|i| fqdn.groups[i].len() == g.len());
            if same {
                continue;
            }
            if let Some(f) = run.series(
                Level::CONNECT,
                connect.rows(g),
                src,
                host,
                port,
                &[],
                &params,
                alpha,
                &mut scratch,
                &mut times,
                &mut secs,
                &mut sizes,
            ) {
                out.push(f);
            }
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

    /// Callback times of a 10-minute beacon with ±40 % jitter over a week.
    fn beacon_times(seed: u64) -> Vec<i64> {
        let spec = sim::BeaconSpec {
            period_s: 600.0,
            jitter: 0.4,
            miss: 0.05,
            office_only: false,
        };
        sim::beacon(
            &spec,
            sim::WEEK_START_MS,
            sim::WEEK_MS,
            &mut sim::Rng::new(seed),
        )
    }

    #[test]
    fn rotating_subdomains_are_one_domain_series() {
        // Each callback goes to one of 400 generated names: no name repeats
        // often enough to be tested, the registered domain is periodic.
        let mut t = EventTable::new();
        let names: Vec<String> = (0..400)
            .map(|i| format!("n{:x}.rot-c2.example", i * 7919 % 65_521))
            .collect();
        for (i, &ts) in beacon_times(8).iter().enumerate() {
            t.push(&RowIn {
                ts_ms: ts,
                src_ip: Some("10.0.0.9"),
                host: Some(&names[i % names.len()]),
                domain: Some("rot-c2.example"),
                ..Default::default()
            });
        }
        let f = Beacon.run(&t, &Context::default());
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].key, "beacon|10.0.0.9|*.rot-c2.example");
        assert_eq!(f[0].dst.host.as_deref(), Some("*.rot-c2.example"));
        assert_eq!(f[0].evidence.notes["series"], "src-domain");
        assert_eq!(f[0].evidence.figures["names"], 400.0);
        assert!(
            f[0].explanation.en.contains("rotate over 400 names"),
            "{}",
            f[0].explanation.en
        );
    }

    #[test]
    fn names_fronted_on_one_address_are_one_ip_series() {
        let mut t = EventTable::new();
        // Each callback picks one of 60 names of different domains that all
        // resolve to the same server address: no name is regular alone.
        let hosts: Vec<String> = (0..60)
            .map(|i| format!("edge{i}.front{i}.example"))
            .collect();
        let mut pick = sim::Rng::new(31);
        for &ts in &beacon_times(9) {
            let h = &hosts[pick.below(hosts.len() as u64) as usize];
            t.push(&RowIn {
                ts_ms: ts,
                src_ip: Some("10.0.0.10"),
                host: Some(h),
                domain: Some(h),
                dst_ip: Some("198.51.100.20"),
                ..Default::default()
            });
        }
        // The same names browsed irregularly by another client are not a
        // series of interest.
        let mut rng = sim::Rng::new(4);
        for ts in sim::poisson(900.0, sim::WEEK_START_MS, sim::WEEK_MS, false, &mut rng) {
            let h = &hosts[pick.below(hosts.len() as u64) as usize];
            t.push(&RowIn {
                ts_ms: ts,
                src_ip: Some("10.0.0.11"),
                host: Some(h),
                domain: Some(h),
                dst_ip: Some("198.51.100.20"),
                ..Default::default()
            });
        }
        let f = Beacon.run(&t, &Context::default());
        let ip: Vec<_> = f
            .iter()
            .filter(|x| x.evidence.notes.get("series").map(String::as_str) == Some("src-dstip"))
            .collect();
        assert_eq!(ip.len(), 1, "{f:#?}");
        assert_eq!(ip[0].key, "beacon|10.0.0.10|ip:198.51.100.20");
        assert_eq!(ip[0].dst.ip.as_deref(), Some("198.51.100.20"));
        assert!(
            f.iter().all(|x| x.src.ip.as_deref() == Some("10.0.0.10")),
            "{f:#?}"
        );
    }

    #[test]
    fn connect_rhythm_hidden_in_busy_host_is_found_once() {
        // A tunnel to port 8443 every ~10 min, on a host the client also
        // browses heavily (plain requests blur the FQDN series).
        let mut t = EventTable::new();
        for &ts in &beacon_times(10) {
            t.push(&RowIn {
                ts_ms: ts,
                src_ip: Some("10.0.0.12"),
                host: Some("mixed.example.com"),
                domain: Some("example.com"),
                method: Some("CONNECT"),
                port: Some(8443),
                ..Default::default()
            });
        }
        let mut rng = sim::Rng::new(12);
        for ts in sim::office_bursts(20.0, 30.0, sim::WEEK_START_MS, sim::WEEK_MS, &mut rng) {
            t.push(&RowIn {
                ts_ms: ts,
                src_ip: Some("10.0.0.12"),
                host: Some("mixed.example.com"),
                domain: Some("example.com"),
                method: Some("GET"),
                port: Some(80),
                ..Default::default()
            });
        }
        let f = Beacon.run(&t, &Context::default());
        let c: Vec<_> = f.iter().filter(|x| x.key.contains("connect:")).collect();
        assert_eq!(c.len(), 1, "{f:#?}");
        assert_eq!(c[0].key, "beacon|10.0.0.12|connect:mixed.example.com:8443");
        assert_eq!(c[0].dst.port, Some(8443));
        // Never the same series twice: no FQDN finding for the host when the
        // CONNECT one exists, and vice versa.
        assert!(f.len() <= 2, "{f:#?}");
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
