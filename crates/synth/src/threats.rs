//! Planted threats. Planning happens before the benign week (victims of
//! around-the-clock beacons are marked always-on), emission after it.

use std::net::Ipv4Addr;

use crate::benign::{Gen, HOUR, local_day, local_midnight, weekday};
use crate::event::{Ct, Event, Method, Outcome, Scheme};
use crate::rng::Rng;
use crate::truth::{Schedule, ThreatItem, ThreatKind, ThreatParams};
use crate::world::{Cat, World};

/// Cobalt Strike's default-profile GET URIs.
pub const CS_DEFAULT_URIS: &[&str] = &[
    "/pixel.gif",
    "/__utm.gif",
    "/ca",
    "/dpixel",
    "/match",
    "/push",
    "/ptj",
    "/j.ad",
    "/ga.js",
    "/fwlink",
    "/cm",
    "/en_US/all.js",
];
const CS_UA: &str =
    "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; WOW64; Trident/5.0; BOIE9;JAJP)";
const SCRIPT_UAS: &[&str] = &[
    "python-requests/2.31.0",
    "curl/8.4.0",
    "Go-http-client/1.1",
    "Mozilla/5.0 (Windows NT; Windows NT 10.0; ja-JP) WindowsPowerShell/5.1.22621.4391",
];
const OLD_UA: &str = "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; Win64; x64; Trident/7.0; .NET4.0C; .NET4.0E)";
const LOOKALIKES: &[&str] = &[
    "cdn-office365-sync.com",
    "teams-msgsync.net",
    "login-rnicrosoftonline.com",
    "g00gleapis-cdn.net",
    "line-auth.jp.net",
    "chatwork-files.com",
    "update-msedge.net",
    "onedrive-live-sync.com",
    "yahoo-co-jp.net",
    "windowsupdate-cdn.org",
];

/// Base64 (standard alphabet, padded); small enough to write here.
pub(crate) fn b64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        out.push(A[(n >> 18) as usize & 63] as char);
        out.push(A[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            A[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            A[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// Whether a URI path is a Metasploit/Cobalt Strike checksum8 stager URI:
/// `/` plus 4 characters whose byte sum mod 256 is 92 (x86) or 93 (x64).
pub fn is_checksum8_uri(path: &str) -> bool {
    let Some(s) = path.strip_prefix('/') else {
        return false;
    };
    s.len() == 4
        && s.bytes().all(|b| b.is_ascii_alphanumeric())
        && matches!(s.bytes().map(u32::from).sum::<u32>() % 256, 92 | 93)
}

/// A random x86 stager URI (checksum8 = 92).
fn checksum8_uri(r: &mut Rng) -> String {
    loop {
        let t = r.token(4);
        if t.bytes().map(u32::from).sum::<u32>() % 256 == 92 {
            return format!("/{t}");
        }
    }
}

fn vps_ip(r: &mut Rng) -> Ipv4Addr {
    let a = r.pick(&[45u8, 91, 103, 139, 146, 155, 185, 193, 194, 212]);
    Ipv4Addr::new(
        a,
        r.range(1, 254) as u8,
        r.range(0, 255) as u8,
        r.range(2, 253) as u8,
    )
}

fn dga_name(r: &mut Rng) -> String {
    const C: &[u8] = b"bcdfghjklmnpqrstvwxz";
    const V: &[u8] = b"aeiouy";
    let n = r.range(10, 16) as usize;
    let mut s = String::with_capacity(n + 6);
    for i in 0..n {
        if r.chance(0.25) {
            s.push(char::from(b'0' + r.range(0, 9) as u8));
        } else {
            let set = if i % 2 == 0 { C } else { V };
            s.push(set[r.below(set.len())] as char);
        }
    }
    s.push_str(r.pick(&[".com", ".net", ".top", ".xyz", ".info", ".biz"]));
    s
}

/// How a beacon calls home.
#[derive(Debug, Clone)]
pub(crate) enum Transport {
    /// Plain HTTP requests: (method, paths, port).
    Http {
        method: Method,
        paths: Vec<String>,
        port: u16,
        cobalt: bool,
    },
    /// CONNECT tunnels to a port.
    Connect { port: u16 },
}

#[derive(Debug, Clone)]
pub(crate) struct BeaconSpec {
    pub period_s: f64,
    pub period2_s: Option<f64>,
    pub jitter: f64,
    pub miss: f64,
    pub schedule: Schedule,
    pub transport: Transport,
}

/// What to emit for one planted item.
#[derive(Debug, Clone)]
pub(crate) enum Spec {
    Beacon(BeaconSpec),
    /// Equal-sized uploads back to back from a start time.
    Chunks {
        method: Method,
        paths: Vec<String>,
        chunk: u64,
        count: u64,
        start: i64,
        down: u64,
        ct: Ct,
    },
    DgaBurst {
        names: Vec<String>,
        start: i64,
    },
    AuthStorm {
        start: i64,
        hours: f64,
        port: u16,
    },
    /// CONNECT tunnels: per-day count, duration range, bytes.
    Connects {
        port: u16,
        days: Vec<i64>,
        per_day: u32,
        dur_s: (u64, u64),
        up: u64,
        down: u64,
    },
    /// A handful of plain GETs (stager, downloads, IOC hits).
    Gets {
        scheme: Scheme,
        port: u16,
        paths: Vec<String>,
        start: i64,
        ct: Ct,
        down: u64,
    },
}

pub(crate) struct Planned {
    pub item: ThreatItem,
    pub host: usize,
    pub dest: u32,
    pub ua: u16,
    pub spec: Spec,
}

/// A plan of planted items plus the IOC list to write.
pub(crate) struct Plan {
    pub items: Vec<Planned>,
    pub iocs: Vec<String>,
}

struct Planner<'a> {
    w: &'a mut World,
    r: Rng,
    t0: i64,
    t1: i64,
    next_victim: usize,
    victims: Vec<usize>,
    items: Vec<Planned>,
    iocs: Vec<String>,
}

impl Planner<'_> {
    fn victim(&mut self, always_on: bool) -> usize {
        let h = self.victims[self.next_victim % self.victims.len()];
        self.next_victim += 1;
        if always_on {
            self.w.hosts[h].always_on = true;
        }
        h
    }

    /// The instant `hour` (local) on the first day of the week with weekday
    /// `wd` (0 = Monday); falls back to the nearest day inside the window.
    fn at(&self, wd: i64, hour: f64) -> i64 {
        let first = local_day(self.t0);
        let last = local_day(self.t1 - 1);
        let off = (hour * HOUR as f64) as i64;
        let inside = |t: i64| t >= self.t0 && t + HOUR < self.t1;
        for d in first..=last {
            if weekday(d) == wd && inside(local_midnight(d) + off) {
                return local_midnight(d) + off;
            }
        }
        for d in (first..=last).rev() {
            if inside(local_midnight(d) + off) {
                return local_midnight(d) + off;
            }
        }
        self.t0 + (self.t1 - self.t0) / 3
    }

    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        kind: ThreatKind,
        host: usize,
        dest_name: &str,
        cat: Cat,
        port: u16,
        ua: &str,
        desc: String,
        attack: &[&str],
        detectors: &[&str],
        params: ThreatParams,
        spec: Spec,
    ) {
        let dest = self.w.dest(dest_name, cat);
        let ua_i = self.w.ua(ua);
        let h = &self.w.hosts[host];
        let id = format!("T{:02}-{}", self.items.len() + 1, kind_slug(kind));
        let mut params = params;
        params.user_agent = Some(ua.to_string());
        let in_ioc = self.iocs.iter().any(|i| i == dest_name);
        self.items.push(Planned {
            item: ThreatItem {
                id,
                kind,
                description: desc,
                attack: attack.iter().map(|s| s.to_string()).collect(),
                detectors: detectors.iter().map(|s| s.to_string()).collect(),
                src_ip: h.ip_str.clone(),
                src_host: h.name.clone(),
                user: h.user.clone(),
                dest_host: dest_name.to_string(),
                dest_ip: Some(self.w.dests[dest as usize].ip.to_string()),
                dest_port: port,
                first_ms: 0,
                last_ms: 0,
                first_seen: String::new(),
                last_seen: String::new(),
                events: 0,
                bytes_up: 0,
                bytes_down: 0,
                in_ioc_list: in_ioc,
                params,
            },
            host,
            dest,
            ua: ua_i,
            spec,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn beacon(
        &mut self,
        host: usize,
        dest: &str,
        cat: Cat,
        ua: &str,
        spec: BeaconSpec,
        cell: Option<String>,
        desc: String,
        extra_attack: &[&str],
        extra_det: &[&str],
    ) {
        let (transport, port) = match &spec.transport {
            Transport::Http { port, .. } => ("http", *port),
            Transport::Connect { port } => ("connect", *port),
        };
        let uris = match &spec.transport {
            Transport::Http { paths, .. } => paths.clone(),
            _ => Vec::new(),
        };
        let params = ThreatParams {
            period_s: Some(spec.period_s),
            period2_s: spec.period2_s,
            sleep_change_ms: spec.period2_s.map(|_| self.t0 + (self.t1 - self.t0) / 2),
            jitter: Some(spec.jitter),
            miss_rate: Some(spec.miss),
            schedule: Some(spec.schedule),
            transport: Some(transport.to_string()),
            grid_cell: cell,
            uris,
            ..Default::default()
        };
        let cobalt = matches!(spec.transport, Transport::Http { cobalt: true, .. });
        let mut attack = vec!["T1071.001"];
        if port != 80 && port != 443 {
            attack.push("T1571");
        }
        if transport == "connect" {
            attack.push("T1573");
        }
        attack.extend_from_slice(extra_attack);
        let mut det = vec!["beacon", "rare_destination"];
        det.extend_from_slice(extra_det);
        let kind = if cobalt {
            ThreatKind::CobaltStrike
        } else {
            ThreatKind::Beacon
        };
        self.add(
            kind,
            host,
            dest,
            cat,
            port,
            ua,
            desc,
            &attack,
            &det,
            params,
            Spec::Beacon(spec),
        );
    }
}

fn kind_slug(k: ThreatKind) -> &'static str {
    match k {
        ThreatKind::Beacon => "beacon",
        ThreatKind::CobaltStrike => "cobaltstrike",
        ThreatKind::Stager => "stager",
        ThreatKind::Exfil => "exfil",
        ThreatKind::CloudUpload => "cloud-upload",
        ThreatKind::PasteUpload => "paste-upload",
        ThreatKind::GenaiUpload => "genai-upload",
        ThreatKind::WebmailUpload => "webmail-upload",
        ThreatKind::DgaBurst => "dga-burst",
        ThreatKind::AuthStorm => "auth-storm",
        ThreatKind::ConnectRawIp => "connect-raw-ip",
        ThreatKind::ConnectNonstdPort => "connect-nonstd-port",
        ThreatKind::LongTunnel => "long-tunnel",
        ThreatKind::ExeAsImage => "exe-as-image",
        ThreatKind::IntelHit => "intel-hit",
    }
}

/// Chooses victims and parameters for every planted item.
pub(crate) fn plan(
    w: &mut World,
    seed: u64,
    t0: i64,
    t1: i64,
    grid: bool,
    proxy_auth: bool,
) -> Plan {
    let mut r = Rng::derive(seed, "threats", 0);
    let mut victims: Vec<usize> = w.workstations().collect();
    if victims.is_empty() {
        victims = (0..w.hosts.len()).collect();
    }
    // Shuffle (Fisher-Yates) so victims are spread over departments.
    for i in (1..victims.len()).rev() {
        let j = r.below(i + 1);
        victims.swap(i, j);
    }
    let mut p = Planner {
        w,
        r,
        t0,
        t1,
        next_victim: 0,
        victims,
        items: Vec::new(),
        iocs: Vec::new(),
    };
    let r = &mut p.r.clone();

    // IOC list: some planted destinations plus decoys nobody contacts.
    let cs_domain = LOOKALIKES[0].to_string();
    let raw_c2 = vps_ip(r).to_string();
    let intel_domain = format!(
        "update.{}",
        r.pick(&[
            "kabu-navi.info",
            "jp-invoice-center.com",
            "sagawa-delivery.top"
        ])
    );
    let intel_ip = vps_ip(r).to_string();
    p.iocs.push(cs_domain.clone());
    p.iocs.push(raw_c2.clone());
    p.iocs.push(intel_domain.clone());
    p.iocs.push(intel_ip.clone());
    for _ in 0..12 {
        p.iocs.push(dga_name(r));
        p.iocs.push(vps_ip(r).to_string());
    }

    let ws_ua = |p: &Planner, h: usize| p.w.uas[p.w.hosts[h].ua as usize].raw.clone();

    // 1. Cobalt Strike default profile over HTTP to a look-alike domain, plus its stager.
    let h = p.victim(false);
    let uris: Vec<String> = CS_DEFAULT_URIS.iter().map(|s| s.to_string()).collect();
    let stage = checksum8_uri(r);
    let spec = BeaconSpec {
        period_s: 60.0,
        period2_s: None,
        jitter: 0.0,
        miss: 0.0,
        schedule: Schedule::OfficeHours,
        transport: Transport::Http {
            method: Method::Get,
            paths: uris,
            port: 80,
            cobalt: true,
        },
    };
    p.beacon(h, &cs_domain, Cat::Uncategorized, CS_UA, spec, None, "Cobalt Strike default profile: GET on the default URIs every 60 s, POST /submit.php?id=N when tasked".into(), &["T1583.001"], &["c2_traits", "intel"]);
    let start = p.at(0, 10.2).max(t0);
    p.add(
        ThreatKind::Stager,
        h,
        &cs_domain,
        Cat::Uncategorized,
        80,
        CS_UA,
        "Stager download whose URI passes the checksum8 test".into(),
        &["T1105", "T1071.001"],
        &["c2_traits", "intel", "rare_destination"],
        ThreatParams {
            uris: vec![stage.clone()],
            count: Some(1),
            ..Default::default()
        },
        Spec::Gets {
            scheme: Scheme::Http,
            port: 80,
            paths: vec![stage],
            start,
            ct: Ct::Octet,
            down: 261_120,
        },
    );

    // 2. CONNECT beacon to a DGA-looking domain, 5 min, 30 % jitter, 10 % missed.
    let h2 = p.victim(true);
    let dga = dga_name(r);
    let ua = ws_ua(&p, h2);
    p.beacon(
        h2,
        &dga,
        Cat::Uncategorized,
        &ua,
        BeaconSpec {
            period_s: 300.0,
            period2_s: None,
            jitter: 0.3,
            miss: 0.1,
            schedule: Schedule::AlwaysOn,
            transport: Transport::Connect { port: 443 },
        },
        None,
        "HTTPS (CONNECT) beacon to a DGA-like domain, 300 s, jitter 30 %, 10 % missed".into(),
        &["T1568.002"],
        &["dga"],
    );
    // 2b. A second beacon on the same host: raw IP, 4 h, 50 % jitter.
    let ip2 = vps_ip(r).to_string();
    p.beacon(
        h2,
        &ip2,
        Cat::Uncategorized,
        &ua,
        BeaconSpec {
            period_s: 14_400.0,
            period2_s: None,
            jitter: 0.5,
            miss: 0.0,
            schedule: Schedule::AlwaysOn,
            transport: Transport::Connect { port: 443 },
        },
        None,
        "Second beacon on the same host: CONNECT to a raw IP every 4 h, jitter 50 %".into(),
        &[],
        &[],
    );

    // 3. Scripted HTTP POST beacon to a raw IP on :8080, office hours only.
    let h3 = p.victim(false);
    p.beacon(
        h3,
        &raw_c2,
        Cat::Uncategorized,
        SCRIPT_UAS[0],
        BeaconSpec {
            period_s: 900.0,
            period2_s: None,
            jitter: 0.1,
            miss: 0.05,
            schedule: Schedule::OfficeHours,
            transport: Transport::Http {
                method: Method::Post,
                paths: vec!["/api/v2/status".into()],
                port: 8080,
                cobalt: false,
            },
        },
        None,
        "python-requests POST beacon to a raw IP on port 8080, 15 min, office hours only".into(),
        &[],
        &["intel", "c2_traits"],
    );

    // 4. Sleep time changes mid-week (1 h → 10 min), look-alike domain.
    let h4 = p.victim(true);
    let ua4 = ws_ua(&p, h4);
    p.beacon(
        h4,
        LOOKALIKES[1],
        Cat::Uncategorized,
        &ua4,
        BeaconSpec {
            period_s: 3_600.0,
            period2_s: Some(600.0),
            jitter: 0.2,
            miss: 0.0,
            schedule: Schedule::AlwaysOn,
            transport: Transport::Connect { port: 443 },
        },
        None,
        "CONNECT beacon to a look-alike domain; sleep drops from 1 h to 10 min mid-week".into(),
        &["T1583.001"],
        &[],
    );

    // 5. Beacon grid: period × jitter, varied misses, schedule, transport, destination type, UA.
    if grid {
        let periods = [30.0, 60.0, 300.0, 900.0, 3_600.0, 14_400.0];
        let jitters = [0.0, 0.1, 0.3, 0.6, 0.9];
        let misses = [0.0, 0.1, 0.3];
        let mut k = 0usize;
        for &per in &periods {
            for &jit in &jitters {
                let sched = if k.is_multiple_of(2) {
                    Schedule::AlwaysOn
                } else {
                    Schedule::OfficeHours
                };
                let hg = p.victim(sched == Schedule::AlwaysOn);
                let (dest, kind) = match k % 3 {
                    0 => (vps_ip(r).to_string(), "raw IP"),
                    1 => (dga_name(r), "DGA-like domain"),
                    _ => (
                        format!("{}-{}", r.alnum(3), LOOKALIKES[k % LOOKALIKES.len()]),
                        "look-alike domain",
                    ),
                };
                let ua = if k % 4 == 3 {
                    SCRIPT_UAS[k % SCRIPT_UAS.len()].to_string()
                } else {
                    ws_ua(&p, hg)
                };
                let transport = if k.is_multiple_of(2) {
                    Transport::Connect { port: 443 }
                } else {
                    let path = format!(
                        "/{}/{}",
                        r.pick(&["api", "cdn", "static", "v1"]),
                        r.pick(&["check", "poll", "sync.php", "update", "status.json"])
                    );
                    Transport::Http {
                        method: if k % 4 == 1 {
                            Method::Post
                        } else {
                            Method::Get
                        },
                        paths: vec![path],
                        port: 80,
                        cobalt: false,
                    }
                };
                let miss = misses[k % 3];
                let cell = format!("p{}_j{}", per as u64, (jit * 100.0) as u64);
                let desc = format!(
                    "Grid beacon {cell}: {kind}, miss {}%, {:?}",
                    (miss * 100.0) as u64,
                    sched
                );
                p.beacon(
                    hg,
                    &dest,
                    Cat::Uncategorized,
                    &ua,
                    BeaconSpec {
                        period_s: per,
                        period2_s: None,
                        jitter: jit,
                        miss,
                        schedule: sched,
                        transport,
                    },
                    Some(cell),
                    desc,
                    &[],
                    &[],
                );
                k += 1;
            }
        }
    }

    // 6. Chunked exfiltration to a rare destination, Saturday night.
    let h6 = p.victim(true);
    let dest6 = format!(
        "files.{}",
        r.pick(&[
            "nas-sync-jp.com",
            "akiba-archive.net",
            "cloudvault-tokyo.com"
        ])
    );
    let chunk = 10 * 1024 * 1024;
    let n6 = 90 + r.range(0, 60);
    let tok = r.token(12);
    let start = p.at(5, 1.5);
    p.add(
        ThreatKind::Exfil,
        h6,
        &dest6,
        Cat::Uncategorized,
        443,
        SCRIPT_UAS[1],
        format!("{n6} PUT uploads of exactly 10 MiB to a rare domain on Saturday night"),
        &["T1041", "T1030", "T1029"],
        &["exfil_volume", "rare_destination"],
        ThreatParams {
            chunk_bytes: Some(chunk),
            count: Some(n6),
            ..Default::default()
        },
        Spec::Chunks {
            method: Method::Put,
            paths: (0..n6).map(|i| format!("/u/{tok}/part{i:04}")).collect(),
            chunk,
            count: n6,
            start,
            down: 240,
            ct: Ct::Json,
        },
    );

    // 7. Cloud / paste / gen-AI / webmail uploads far above normal.
    #[allow(clippy::type_complexity)]
    let uploads: &[(
        ThreatKind,
        &str,
        Cat,
        Method,
        &str,
        u64,
        u64,
        i64,
        f64,
        &str,
        &[&str],
    )] = &[
        (
            ThreatKind::CloudUpload,
            "content.dropboxapi.com",
            Cat::Storage,
            Method::Post,
            "/2/files/upload_session/append_v2",
            150 * 1024 * 1024,
            20,
            2,
            21.5,
            "Dropbox upload session: 20 × 150 MiB in the evening",
            &["T1567.002"],
        ),
        (
            ThreatKind::CloudUpload,
            "www.googleapis.com",
            Cat::Storage,
            Method::Put,
            "/upload/drive/v3/files?uploadType=resumable&upload_id={T40}",
            256 * 1024 * 1024,
            8,
            3,
            20.0,
            "Google Drive resumable upload: 8 × 256 MiB",
            &["T1567.002"],
        ),
        (
            ThreatKind::CloudUpload,
            "gfs270n105.userstorage.mega.co.nz",
            Cat::Storage,
            Method::Post,
            "/ul/{T43}/{N8}",
            1024 * 1024,
            900,
            6,
            14.0,
            "MEGA upload: 900 × 1 MiB on a Sunday",
            &["T1567.002"],
        ),
        (
            ThreatKind::CloudUpload,
            "46.gigafile.nu",
            Cat::Storage,
            Method::Post,
            "/upload_chunk.php",
            100 * 1024 * 1024,
            30,
            4,
            22.5,
            "GigaFile便 upload: 30 × 100 MiB at night",
            &["T1567.002"],
        ),
        (
            ThreatKind::PasteUpload,
            "pastebin.com",
            Cat::Uncategorized,
            Method::Post,
            "/api/api_post.php",
            480_000,
            14,
            1,
            15.0,
            "14 pastes of ~480 KB through the pastebin API",
            &["T1567.003"],
        ),
        (
            ThreatKind::GenaiUpload,
            "chatgpt.com",
            Cat::GenAi,
            Method::Post,
            "/backend-api/conversation",
            220_000,
            40,
            2,
            11.0,
            "40 ChatGPT conversation POSTs of ~220 KB (pasted source code)",
            &["T1567"],
        ),
        (
            ThreatKind::WebmailUpload,
            "mail.yahoo.co.jp",
            Cat::Email,
            Method::Post,
            "/ws/v3/mailboxes/@.id=={T16}/attachments/@.upload",
            24 * 1024 * 1024,
            12,
            3,
            23.0,
            "Yahoo!メール: 12 attachments of 24 MiB late at night",
            &["T1048.003"],
        ),
    ];
    for &(kind, host, cat, method, tpl, chunk, count, wd, hour, desc, attack) in uploads {
        let hv = p.victim(true);
        let ua = ws_ua(&p, hv);
        let paths: Vec<String> = (0..count)
            .map(|_| crate::catalog::expand(tpl, r, host, "", ""))
            .collect();
        let start = p.at(wd, hour);
        p.add(
            kind,
            hv,
            host,
            cat,
            443,
            &ua,
            desc.to_string(),
            attack,
            &["leak_risk", "exfil_volume"],
            ThreatParams {
                chunk_bytes: Some(chunk),
                count: Some(count),
                ..Default::default()
            },
            Spec::Chunks {
                method,
                paths,
                chunk,
                count,
                start,
                down: 600,
                ct: Ct::Json,
            },
        );
    }

    // 8. DGA burst: hundreds of names that do not resolve, in a few minutes.
    let h8 = p.victim(false);
    let names: Vec<String> = (0..300).map(|_| dga_name(r)).collect();
    let start = p.at(1, 10.7);
    p.add(
        ThreatKind::DgaBurst,
        h8,
        &names[0].clone(),
        Cat::Uncategorized,
        80,
        OLD_UA,
        "300 requests to random names that fail DNS within ~4 minutes".into(),
        &["T1568.002"],
        &["dga", "proxy_signals"],
        ThreatParams {
            count: Some(300),
            dest_hosts: names.clone(),
            ..Default::default()
        },
        Spec::DgaBurst { names, start },
    );

    // 9. 407 storm: malware without proxy credentials.
    let h9 = p.victim(false);
    let start = p.at(2, 13.5);
    p.add(ThreatKind::AuthStorm, h9, LOOKALIKES[6], Cat::Uncategorized, 443, OLD_UA, "Malware without proxy credentials: CONNECT every 3–8 s for 2.5 h, all 407".into(), &["T1071.001"], &["proxy_signals", "beacon"], ThreatParams { note: Some(if proxy_auth { "every row is TCP_DENIED/407" } else { "proxy auth is off: the rows are still 407 (auth required only for this host's tool)" }.into()), ..Default::default() }, Spec::AuthStorm { start, hours: 2.5, port: 443 });

    // The proxy never reached these destinations (DNS failure / no credentials).
    for pl in p
        .items
        .iter_mut()
        .filter(|pl| matches!(pl.item.kind, ThreatKind::DgaBurst | ThreatKind::AuthStorm))
    {
        pl.item.dest_ip = None;
    }

    // 10. CONNECT to raw IPs and non-443 ports; long tunnels.
    let days_in: Vec<i64> = (local_day(t0)..=local_day(t1 - 1))
        .filter(|&d| weekday(d) < 5)
        .collect();
    let days_in = if days_in.is_empty() {
        vec![local_day(t0)]
    } else {
        days_in
    };
    let h10 = p.victim(false);
    let ua10 = ws_ua(&p, h10);
    let ip10 = vps_ip(r).to_string();
    p.add(
        ThreatKind::ConnectRawIp,
        h10,
        &ip10,
        Cat::Uncategorized,
        443,
        &ua10,
        "CONNECT to a raw IP, a few times a day".into(),
        &["T1071.001", "T1573"],
        &["proxy_signals", "rare_destination"],
        ThreatParams::default(),
        Spec::Connects {
            port: 443,
            days: days_in.iter().take(3).copied().collect(),
            per_day: 4,
            dur_s: (5, 300),
            up: 40_000,
            down: 120_000,
        },
    );
    let h11 = p.victim(false);
    let ip11 = vps_ip(r).to_string();
    p.add(
        ThreatKind::ConnectNonstdPort,
        h11,
        &ip11,
        Cat::Uncategorized,
        4444,
        SCRIPT_UAS[2],
        "CONNECT to a raw IP on port 4444".into(),
        &["T1571", "T1090"],
        &["proxy_signals", "rare_destination"],
        ThreatParams::default(),
        Spec::Connects {
            port: 4444,
            days: days_in.iter().rev().take(2).copied().collect(),
            per_day: 3,
            dur_s: (30, 900),
            up: 90_000,
            down: 60_000,
        },
    );
    let host12 = format!("git.{}", r.pick(&["devbox-tokyo.net", "hikari-lab.xyz"]));
    p.add(
        ThreatKind::ConnectNonstdPort,
        h11,
        &host12,
        Cat::Uncategorized,
        22,
        "PuTTY_Release_0.81",
        "SSH through the proxy: CONNECT to port 22".into(),
        &["T1572", "T1571"],
        &["proxy_signals", "rare_destination"],
        ThreatParams::default(),
        Spec::Connects {
            port: 22,
            days: days_in.iter().take(2).copied().collect(),
            per_day: 2,
            dur_s: (600, 3_600),
            up: 2_000_000,
            down: 400_000,
        },
    );
    let h13 = p.victim(false);
    let host13 = format!(
        "relay{}.{}",
        r.range(1, 9),
        r.pick(&["remote-desk.xyz", "anydesk-jp.net"])
    );
    p.add(
        ThreatKind::LongTunnel,
        h13,
        &host13,
        Cat::RemoteAccess,
        443,
        SCRIPT_UAS[2],
        "CONNECT tunnels held open 4–7 hours (reverse tunnel / remote access)".into(),
        &["T1572", "T1219"],
        &["proxy_signals", "rare_destination", "exfil_volume"],
        ThreatParams::default(),
        Spec::Connects {
            port: 443,
            days: days_in.iter().skip(1).take(3).copied().collect(),
            per_day: 1,
            dur_s: (4 * 3_600, 7 * 3_600),
            up: 180_000_000,
            down: 40_000_000,
        },
    );

    // 11. An .exe served as image/gif.
    let h14 = p.victim(false);
    let ua14 = ws_ua(&p, h14);
    let host14 = crate::catalog::longtail_name(r);
    let path14 = format!(
        "/wp-content/uploads/2026/11/{}.exe",
        r.pick(&["invoice_20261118", "seikyusho", "scan_0042"])
    );
    let start = p.at(3, 15.2);
    p.add(
        ThreatKind::ExeAsImage,
        h14,
        &host14,
        Cat::Business,
        80,
        &ua14,
        "Executable downloaded from a compromised small-business site, served as image/gif".into(),
        &["T1105", "T1036.008"],
        &["c2_traits", "rare_destination"],
        ThreatParams {
            uris: vec![path14.clone()],
            count: Some(1),
            ..Default::default()
        },
        Spec::Gets {
            scheme: Scheme::Http,
            port: 80,
            paths: vec![path14],
            start,
            ct: Ct::Gif,
            down: 748_032,
        },
    );

    // 12. Intel hits: a listed domain and a listed IP.
    let h15 = p.victim(false);
    let ua15 = ws_ua(&p, h15);
    let start = p.at(1, 14.6);
    let paths = vec![
        "/wp-admin/css/colors/blue/load.php".to_string(),
        "/wp-admin/css/colors/blue/load.php?id=2".into(),
        "/cdn/jquery.min.js".into(),
    ];
    p.add(
        ThreatKind::IntelHit,
        h15,
        &intel_domain,
        Cat::Suspicious,
        443,
        &ua15,
        "Requests to a domain listed in iocs.txt".into(),
        &["T1071.001"],
        &["intel", "rare_destination"],
        ThreatParams {
            uris: paths.clone(),
            count: Some(3),
            ..Default::default()
        },
        Spec::Gets {
            scheme: Scheme::Https,
            port: 443,
            paths,
            start,
            ct: Ct::Js,
            down: 18_000,
        },
    );
    let start = p.at(1, 14.7);
    p.add(
        ThreatKind::IntelHit,
        h15,
        &intel_ip,
        Cat::Uncategorized,
        80,
        SCRIPT_UAS[3],
        "PowerShell download from an IP listed in iocs.txt".into(),
        &["T1105", "T1059.001"],
        &["intel", "c2_traits", "rare_destination"],
        ThreatParams {
            uris: vec!["/dl/patch.ps1".into()],
            count: Some(1),
            ..Default::default()
        },
        Spec::Gets {
            scheme: Scheme::Http,
            port: 80,
            paths: vec!["/dl/patch.ps1".into()],
            start,
            ct: Ct::Plain,
            down: 14_200,
        },
    );

    Plan {
        items: p.items,
        iocs: p.iocs,
    }
}

/// Emits every planned item's events into the generator.
pub(crate) fn emit(plan: &Plan, g: &mut Gen<'_>) {
    let auth = g.p.proxy_auth;
    for (i, pl) in plan.items.iter().enumerate() {
        let tid = i as u16;
        let mut r = Rng::derive(g.p.seed, "emit", i as u64);
        let h = pl.host;
        let authed = auth && g.w.hosts[h].user.is_some();
        let mut evs: Vec<Event> = Vec::new();
        let mk = |g: &Gen<'_>,
                  t: i64,
                  m: Method,
                  s: Scheme,
                  port: u16,
                  path: String,
                  ct: Ct,
                  up: u64,
                  down: u64| {
            let mut e = g.req(h, t, m, s, pl.dest, path, ct, up, down, pl.ua);
            e.port = port;
            e.authed = authed;
            e.threat = tid;
            if s == Scheme::Tunnel {
                e.outcome = Outcome::Tunnel;
            }
            e
        };
        match &pl.spec {
            Spec::Beacon(b) => {
                let change = g.p.t0 + (g.p.t1 - g.p.t0) / 2;
                let mut t = g.p.t0 + (r.f64() * b.period_s * 1000.0) as i64;
                let mut n = 0u64;
                while t < g.p.t1 {
                    let period = match b.period2_s {
                        Some(p2) if t >= change => p2,
                        _ => b.period_s,
                    };
                    let alive = match b.schedule {
                        Schedule::AlwaysOn => true,
                        Schedule::OfficeHours => g.presence[h].is_present(t),
                    };
                    if alive && !r.chance(b.miss) {
                        n += 1;
                        match &b.transport {
                            Transport::Http {
                                method,
                                paths,
                                port,
                                cobalt,
                            } => {
                                let tasked = *cobalt && n % 97 == 5;
                                let (m, path, up, down, ct) = if tasked {
                                    (
                                        Method::Post,
                                        format!("/submit.php?id={}", r.range(10_000, 99_999)),
                                        800 + r.range(0, 40_000),
                                        0,
                                        Ct::Html,
                                    )
                                } else if *method == Method::Post {
                                    (
                                        Method::Post,
                                        paths[r.below(paths.len())].clone(),
                                        420 + r.range(0, 300),
                                        180 + r.range(0, 120),
                                        Ct::Json,
                                    )
                                } else {
                                    let task = *cobalt && n % 97 == 4;
                                    (
                                        Method::Get,
                                        paths[r.below(paths.len())].clone(),
                                        380 + r.range(0, 80),
                                        if task { 48_000 + r.range(0, 9_000) } else { 0 },
                                        Ct::Octet,
                                    )
                                };
                                evs.push(mk(
                                    g,
                                    t,
                                    m,
                                    Scheme::Http,
                                    *port,
                                    path,
                                    ct,
                                    up,
                                    down + 250,
                                ));
                            }
                            Transport::Connect { port } => {
                                let mut e = mk(
                                    g,
                                    t,
                                    Method::Connect,
                                    Scheme::Tunnel,
                                    *port,
                                    String::new(),
                                    Ct::None,
                                    1_600 + r.range(0, 1_400),
                                    4_300 + r.range(0, 2_800),
                                );
                                e.dur_ms = r.range(180, 1_600) as u32;
                                evs.push(e);
                            }
                        }
                    }
                    let sleep = period * (1.0 - b.jitter * r.f64());
                    t += (sleep.max(1.0) * 1000.0) as i64;
                }
            }
            Spec::Chunks {
                method,
                paths,
                chunk,
                count,
                start,
                down,
                ct,
            } => {
                let mut t = *start;
                for i in 0..*count {
                    let p = paths[i as usize % paths.len()].clone();
                    let e = mk(
                        g,
                        t,
                        *method,
                        Scheme::Https,
                        443,
                        p,
                        *ct,
                        chunk + 700 + r.range(0, 200),
                        down + r.range(0, 200),
                    );
                    t = e.end_ms() + r.range(100, 2_000) as i64;
                    evs.push(e);
                }
            }
            Spec::DgaBurst { names, start } => {
                let mut t = *start;
                for name in names {
                    let d = g.w.dest(name, Cat::Uncategorized);
                    let mut e = mk(
                        g,
                        t,
                        Method::Get,
                        Scheme::Http,
                        80,
                        "/".into(),
                        Ct::Html,
                        320,
                        3_900 + r.range(0, 200),
                    );
                    e.dest = d;
                    e.outcome = Outcome::DnsFail;
                    e.status = 503;
                    e.dur_ms = r.range(2, 400) as u32;
                    t += r.range(200, 1_400) as i64;
                    evs.push(e);
                }
            }
            Spec::AuthStorm { start, hours, port } => {
                let end = start + (hours * HOUR as f64) as i64;
                let mut t = *start;
                while t < end {
                    let mut e = mk(
                        g,
                        t,
                        Method::Connect,
                        Scheme::Tunnel,
                        *port,
                        String::new(),
                        Ct::Html,
                        260,
                        3_900 + r.range(0, 60),
                    );
                    e.authed = false;
                    e.outcome = Outcome::AuthRequired;
                    e.status = 407;
                    e.dur_ms = r.range(0, 3) as u32;
                    evs.push(e);
                    t += r.range(3_000, 8_000) as i64;
                }
            }
            Spec::Connects {
                port,
                days,
                per_day,
                dur_s,
                up,
                down,
            } => {
                for &d in days {
                    for k in 0..*per_day {
                        let hour = 9.5 + r.uniform(0.0, 8.0) * (k as f64 + 1.0) / *per_day as f64;
                        let t = local_midnight(d) + (hour.min(17.5) * HOUR as f64) as i64;
                        let dur = r.range(dur_s.0, dur_s.1) * 1000;
                        let mut e = mk(
                            g,
                            t,
                            Method::Connect,
                            Scheme::Tunnel,
                            *port,
                            String::new(),
                            Ct::None,
                            up / 2 + r.range(0, *up),
                            down / 2 + r.range(0, *down),
                        );
                        e.dur_ms = dur as u32;
                        evs.push(e);
                    }
                }
            }
            Spec::Gets {
                scheme,
                port,
                paths,
                start,
                ct,
                down,
            } => {
                let mut t = *start;
                for p in paths {
                    let e = mk(
                        g,
                        t,
                        Method::Get,
                        *scheme,
                        *port,
                        p.clone(),
                        *ct,
                        520,
                        down + r.range(0, 400),
                    );
                    t = e.end_ms() + r.range(800, 30_000) as i64;
                    evs.push(e);
                }
            }
        }
        g.events.extend(evs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum8_and_b64() {
        let mut r = Rng::new(5);
        for _ in 0..50 {
            let u = checksum8_uri(&mut r);
            assert!(is_checksum8_uri(&u));
            let s: u32 = u[1..].bytes().map(u32::from).sum();
            assert_eq!(s % 256, 92);
        }
        assert!(!is_checksum8_uri("/pixel.gif"));
        assert!(!is_checksum8_uri("/aaaa")); // 4 * 97 = 388, 388 % 256 = 132
        assert_eq!(b64(b"000001"), "MDAwMDAx");
        assert_eq!(b64(b"ab"), "YWI=");
    }

    #[test]
    fn dga_names_are_random_looking() {
        let mut r = Rng::new(1);
        let a = dga_name(&mut r);
        let b = dga_name(&mut r);
        assert_ne!(a, b);
        assert!(a.len() >= 14 && a.contains('.'));
    }
}
