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
//! rhythm (a flagged tunnel series replaces a finding on the host's whole
//! series: it is the more specific one). Their finding keys name the level
//! (`*.domain`, `ip:…`, `connect:host:port`); FQDN findings keep the plain
//! host name.

pub mod eval;
pub mod rita;
pub mod robust;
pub mod sim;

use crate::detector::{Context, Detector, DetectorInfo, Threshold, describe_pair, samples};
use crate::finding::Finding;
use crate::group::{GroupKey, Groups};
use std::collections::HashMap;

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
        "entropy ratio exp(H)/mean (Vasicek spacings), one-sided: any bounded sleep is more ordered than Poisson",
        "p-value of each against a simulated Poisson null, combined at their simulated dependence",
        "rank-scan segmentation for sleep-time changes",
        "series per (client, FQDN), and per registered domain, server IP and CONNECT host:port where they add to it",
        "context: raw-IP destination, user agent rare for the client or scripting/empty, no referer with constant-size replies (+6/+5/+3, at most 88)",
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

/// Highest score context can lift a periodic series to: high, never
/// critical without intel or another detector.
const CONTEXT_MAX: f64 = 88.0;

/// What one client's whole traffic says about its user agents and
/// referers (the baseline a series is compared with).
#[derive(Debug, Default)]
struct ClientStats {
    /// Rows per user-agent id.
    ua_rows: HashMap<Sym, u32>,
    /// Rows of the client.
    rows: u32,
    /// Rows carrying a referer.
    referer_rows: u32,
}

impl ClientStats {
    /// Counts over the client's rows: they are contiguous in the
    /// (client, FQDN) groups, which are ordered by client.
    fn of(t: &EventTable, fqdn: &Groups, src: Sym) -> ClientStats {
        let g = &fqdn.groups;
        let lo = g.partition_point(|x| GroupKey::unpack(x.key).0 < src);
        let hi = g.partition_point(|x| GroupKey::unpack(x.key).0 <= src);
        let mut st = ClientStats::default();
        if lo >= hi {
            return st;
        }
        let rows = fqdn
            .order
            .get(g[lo].start as usize..g[hi - 1].end as usize)
            .unwrap_or(&[]);
        for &r in rows {
            *st.ua_rows.entry(t.ua[r as usize]).or_insert(0) += 1;
            st.referer_rows += t.has_referer(r) as u32;
        }
        st.rows = rows.len() as u32;
        st
    }

    /// Whether the log format records user agents for this client.
    fn logs_agents(&self) -> bool {
        self.ua_rows.keys().any(|&u| u != crate::table::NONE)
    }
}

/// Context of one series (see [`SeriesContext::boost`]).
#[derive(Debug, Clone, Copy, Default)]
struct SeriesContext {
    raw_ip: bool,
    /// The series' most frequent user agent.
    ua: Sym,
    /// Its share of the client's requests (when the format logs agents).
    ua_share: Option<f64>,
    rare_ua: bool,
    scripting_ua: bool,
    /// No request of the series carries a referer, while the client's
    /// other traffic does (so the format logs referers).
    no_referer: bool,
    /// Coefficient of variation of the response sizes.
    size_cv: Option<f64>,
}

impl SeriesContext {
    fn of(t: &EventTable, rows: &[u32], client: &ClientStats) -> SeriesContext {
        let first = rows.first().copied().unwrap_or(0);
        let mut uas: HashMap<Sym, u32> = HashMap::new();
        for &r in rows {
            *uas.entry(t.ua[r as usize]).or_insert(0) += 1;
        }
        let ua = uas
            .iter()
            .max_by_key(|&(u, n)| (*n, std::cmp::Reverse(*u)))
            .map(|(&u, _)| u)
            .unwrap_or(crate::table::NONE);
        let logs = client.logs_agents();
        let ua_share = (logs && client.rows > 0)
            .then(|| client.ua_rows.get(&ua).copied().unwrap_or(0) as f64 / client.rows as f64);
        // Rare: at most 5 % of the requests of a client with a real
        // baseline (≥ 200 requests).
        let rare_ua = ua_share.is_some_and(|s| s <= 0.05) && client.rows >= 200;
        let scripting_ua = logs
            && !matches!(
                crate::common::ua_class(t.uas.get(ua)),
                crate::common::UaClass::Other
            );
        let no_referer = client.referer_rows > 0 && rows.iter().all(|&r| !t.has_referer(r));
        let sizes: Vec<f64> = rows
            .iter()
            .filter_map(|&r| t.bytes_down(r))
            .map(|b| b as f64)
            .collect();
        let size_cv = (sizes.len() >= 10).then(|| {
            let n = sizes.len() as f64;
            let m = sizes.iter().sum::<f64>() / n;
            let var = sizes.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n;
            if m > 0.0 { var.sqrt() / m } else { 0.0 }
        });
        SeriesContext {
            raw_ip: t.is_ip_literal(first),
            ua,
            ua_share,
            rare_ua,
            scripting_ua,
            no_referer,
            size_cv,
        }
    }

    /// Score points added: raw-IP destination 6, rare or scripting/empty
    /// user agent 5, no referer together with constant-size responses 3
    /// (benign pollers share these last two, so they count little).
    fn boost(&self) -> f64 {
        let constant = self.size_cv.is_some_and(|c| c < 0.1);
        6.0 * f64::from(u8::from(self.raw_ip))
            + 5.0 * f64::from(u8::from(self.rare_ua || self.scripting_ua))
            + 3.0 * f64::from(u8::from(self.no_referer && constant))
    }

    fn record(&self, f: &mut Finding) {
        f.figure("raw_ip_destination", f64::from(u8::from(self.raw_ip)));
        if let Some(s) = self.ua_share {
            f.figure("ua_share_of_client", s);
        }
        f.figure("no_referer", f64::from(u8::from(self.no_referer)));
        if let Some(c) = self.size_cv {
            f.figure("response_size_cv", c);
        }
        f.figure("context_boost", self.boost());
    }

    /// One sentence each (en, ja) naming the context found, or empty.
    /// The user agent is attacker-controlled: it is quoted with Rust's
    /// debug escaping and cut to 80 characters; the report and web layers
    /// escape it again for their medium.
    fn sentences(&self, t: &EventTable) -> (String, String) {
        let mut en: Vec<String> = Vec::new();
        let mut ja: Vec<String> = Vec::new();
        if self.raw_ip {
            en.push("the destination is a raw IP address".into());
            ja.push("宛先が IP アドレス直指定".into());
        }
        let ua_name = || match t.uas.get(self.ua) {
            Some(u) => format!("{:?}", u.chars().take(80).collect::<String>()),
            None => "none".to_string(),
        };
        if self.scripting_ua {
            en.push(format!("a scripting or empty user agent ({})", ua_name()));
            ja.push(format!("スクリプト系または空の User-Agent ({})", ua_name()));
        } else if self.rare_ua {
            let pct = self.ua_share.unwrap_or(0.0) * 100.0;
            en.push(format!(
                "a user agent this client rarely uses ({}, {pct:.1} % of its requests)",
                ua_name()
            ));
            ja.push(format!(
                "この端末ではまれな User-Agent ({}、全リクエストの {pct:.1} %)",
                ua_name()
            ));
        }
        if self.no_referer && self.size_cv.is_some_and(|c| c < 0.1) {
            en.push("no referer and responses of near-constant size".into());
            ja.push("リファラなし・応答サイズがほぼ一定".into());
        }
        if en.is_empty() {
            return (String::new(), String::new());
        }
        (
            format!(" Context: {}.", en.join("; ")),
            format!("補足: {}。", ja.join("、")),
        )
    }
}

/// Reusable buffers of one run.
#[derive(Default)]
struct Bufs {
    scratch: robust::Scratch,
    times: Vec<i64>,
    secs: Vec<i64>,
    sizes: Vec<f64>,
    /// Per client seen in a flagged series: its user agents and referers.
    clients: HashMap<Sym, ClientStats>,
}

/// What every series of one run shares.
#[derive(Clone, Copy)]
struct RunCtx<'a> {
    t: &'a EventTable,
    /// The (client, FQDN) groups: a client's rows are contiguous there.
    fqdn: &'a Groups,
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
        bufs: &mut Bufs,
    ) -> Option<Finding> {
        let Bufs {
            scratch,
            times,
            secs,
            sizes,
            clients: client_stats,
        } = bufs;
        let RunCtx {
            t,
            fqdn,
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
        // Context that separates an implant from a benign poller; it lifts
        // the score a little (never to critical on its own), and the caps
        // below still apply.
        let stats = client_stats
            .entry(src)
            .or_insert_with(|| ClientStats::of(t, fqdn, src));
        let cx = SeriesContext::of(t, rows, stats);
        score = (score + cx.boost()).min(CONTEXT_MAX).max(score);
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
        f.figure("interval_entropy_ratio", best.stat_entropy);
        if best.stat_glr < 1e3 {
            // Only where computed (≤ 256 intervals); see `robust::glr_ratio`.
            f.figure("beacon_model_ratio", best.stat_glr);
        }
        f.evidence
            .notes
            .insert("series".into(), level.key.as_str().to_string());
        cx.record(&mut f);
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
        let (cx_en, cx_ja) = cx.sentences(t);
        let via_en = via_en + &cx_en;
        let via_ja = via_ja + &cx_ja;
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
        let Some((data_start, data_end)) = t.time_range() else {
            return Vec::new();
        };
        let prev = crate::common::Prevalence::build(t);
        let mut bufs = Bufs::default();
        let mut out = Vec::new();
        // 1. (client, FQDN): the primary series.
        let fqdn = Groups::build(t, GroupKey::SrcHost, |_| true);
        let run = RunCtx {
            t,
            fqdn: &fqdn,
            prev: &prev,
            data_start,
            data_end,
            max_samples: ctx.param(&INFO, "max_samples").max(0.0) as usize,
            shared_fraction: ctx.param(&INFO, "shared_fraction"),
            shared_cap: ctx.param(&INFO, "shared_cap"),
            established_cap: ctx.param(&INFO, "established_cap"),
            established_fleet: ctx.param(&INFO, "established_fleet_clients"),
            service_cap: ctx.param(&INFO, "service_cap"),
        };
        let mut names: Vec<crate::table::Sym> = Vec::new();
        // (client, host) → index in `out` of its FQDN finding.
        let mut flagged: HashMap<(Sym, Sym), usize> = HashMap::new();
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
                &mut bufs,
            ) {
                flagged.insert((src, host), out.len());
                out.push(f);
            }
        }
        let host_flagged =
            |src: Sym, hosts: &[Sym]| hosts.iter().any(|&h| flagged.contains_key(&(src, h)));
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
                if let Some(f) =
                    run.series(level, rows, src, host, 0, &names, &params, alpha, &mut bufs)
                {
                    out.push(f);
                }
            }
        }
        // 3. (client, CONNECT host:port): only where the FQDN series also
        //    holds other rows (plain requests, other ports) that could hide
        //    the tunnel's rhythm. When the host's whole series was flagged
        //    too, a flagged tunnel series replaces that finding: it is the
        //    more specific series (its own period, port and rows), and one
        //    rhythm is never reported twice.
        let connect = Groups::build(t, GroupKey::SrcConnect, |_| true);
        for g in &connect.groups {
            if g.len() < params.min_callbacks {
                continue;
            }
            let (src, host, port) = GroupKey::unpack(g.key);
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
                &mut bufs,
            ) {
                match flagged.remove(&(src, host)) {
                    Some(i) => out[i] = f,
                    None => out.push(f),
                }
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

    #[test]
    fn context_lifts_a_raw_ip_scripted_beacon() {
        // Two clients with the same browsing and the same beacon rhythm; one
        // beacons with curl to a raw IP, with constant replies and no
        // referer, the other from its browser to a named host with varied
        // replies.
        let mut t = EventTable::new();
        let browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0";
        for (src, host, ua, ip_lit) in [
            ("10.0.0.20", "203.0.113.9", "curl/8.4.0", true),
            ("10.0.0.21", "app.example.com", browser, false),
        ] {
            let mut rng = sim::Rng::new(77);
            let browsing =
                sim::office_bursts(20.0, 20.0, sim::WEEK_START_MS, sim::WEEK_MS, &mut rng);
            // The data start on Monday morning.
            let monday = sim::WEEK_START_MS + 9 * 3_600_000;
            for ts in std::iter::once(monday).chain(browsing) {
                t.push(&RowIn {
                    ts_ms: ts,
                    src_ip: Some(src),
                    host: Some("news.example.org"),
                    domain: Some("example.org"),
                    user_agent: Some(browser),
                    has_referer: true,
                    bytes_down: Some(20_000),
                    ..Default::default()
                });
            }
            // Starts on the third day: not an established rhythm (capped).
            let late = beacon_times(5)
                .into_iter()
                .filter(|&ts| ts > sim::WEEK_START_MS + 2 * 86_400_000);
            for (i, ts) in late.enumerate() {
                t.push(&RowIn {
                    ts_ms: ts,
                    src_ip: Some(src),
                    host: Some(host),
                    domain: (!ip_lit).then_some("example.com"),
                    is_ip_literal: ip_lit,
                    user_agent: Some(ua),
                    has_referer: !ip_lit,
                    bytes_down: Some(if ip_lit {
                        512
                    } else {
                        300 + (i as u64 * 7919) % 9000
                    }),
                    ..Default::default()
                });
            }
        }
        let f = Beacon.run(&t, &Context::default());
        let get = |src: &str| {
            f.iter()
                .find(|x| {
                    x.src.ip.as_deref() == Some(src)
                        && x.evidence.notes["series"] == "src-host"
                        && x.dst.host.as_deref() != Some("news.example.org")
                })
                .unwrap_or_else(|| panic!("{src}: {f:#?}"))
        };
        let (bad, plain) = (get("10.0.0.20"), get("10.0.0.21"));
        assert_eq!(bad.evidence.figures["context_boost"], 14.0, "{bad:#?}");
        assert_eq!(plain.evidence.figures["context_boost"], 0.0, "{plain:#?}");
        assert_eq!(bad.evidence.figures["raw_ip_destination"], 1.0);
        assert!(
            bad.score > plain.score && bad.score <= CONTEXT_MAX,
            "{} vs {}",
            bad.score,
            plain.score
        );
        assert!(
            bad.explanation.en.contains("raw IP address"),
            "{}",
            bad.explanation.en
        );
        assert!(
            bad.explanation.en.contains("\"curl/8.4.0\""),
            "{}",
            bad.explanation.en
        );
        assert!(
            bad.explanation.ja.contains("スクリプト系"),
            "{}",
            bad.explanation.ja
        );
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
