//! The benign week: office rhythm, browsing sessions, cloud services,
//! background software, proxy authentication.

use crate::catalog::{self, CLOUDS, PERIODIC, SITES, THIRD_PARTIES};
use crate::event::{Ct, Event, Method, NO_THREAT, Outcome, Scheme};
use crate::rng::{Rng, hash_str};
use crate::world::{Cat, HostKind, World};

/// Milliseconds per hour / day.
pub(crate) const HOUR: i64 = 3_600_000;
pub(crate) const DAY: i64 = 86_400_000;
/// Asia/Tokyo is UTC+9 all year (no DST since 1951).
pub(crate) const JST: i64 = 9 * HOUR;

/// Local (JST) day number since the epoch of a UTC instant.
pub(crate) fn local_day(ts_ms: i64) -> i64 {
    (ts_ms + JST).div_euclid(DAY)
}
/// UTC instant of local midnight of a local day number.
pub(crate) fn local_midnight(day: i64) -> i64 {
    day * DAY - JST
}
/// Day of week of a local day number, 0 = Monday … 6 = Sunday.
pub(crate) fn weekday(day: i64) -> i64 {
    (day + 3).rem_euclid(7)
}
/// Local hour (0..24, fractional) of a UTC instant.
pub(crate) fn local_hour(ts_ms: i64) -> f64 {
    (ts_ms + JST).rem_euclid(DAY) as f64 / HOUR as f64
}

/// Knobs the generator reads (a digest of `SynthConfig`).
#[derive(Debug, Clone)]
pub(crate) struct GenParams {
    pub seed: u64,
    pub t0: i64,
    pub t1: i64,
    pub scale: f64,
    pub tls_inspection: bool,
    pub proxy_auth: bool,
}

/// Time intervals `[a, b)` a host is in use (user present) and switched on.
#[derive(Debug, Clone, Default)]
pub(crate) struct Presence {
    pub present: Vec<(i64, i64)>,
    pub on: Vec<(i64, i64)>,
}

fn contains(iv: &[(i64, i64)], t: i64) -> bool {
    iv.iter().any(|&(a, b)| a <= t && t < b)
}

impl Presence {
    pub(crate) fn is_present(&self, t: i64) -> bool {
        contains(&self.present, t)
    }
    pub(crate) fn is_on(&self, t: i64) -> bool {
        contains(&self.on, t)
    }
}

/// Builds events into a vector.
pub(crate) struct Gen<'w> {
    pub p: GenParams,
    pub w: &'w mut World,
    pub events: Vec<Event>,
    pub presence: Vec<Presence>,
}

/// Requests a browsing session makes on average (calibrates `scale`).
const REQS_PER_SESSION: f64 = 22.0;

impl<'w> Gen<'w> {
    pub(crate) fn new(p: GenParams, w: &'w mut World) -> Gen<'w> {
        let presence = (0..w.hosts.len()).map(|i| presence_for(&p, w, i)).collect();
        Gen {
            p,
            w,
            events: Vec::new(),
            presence,
        }
    }

    /// A plain allowed request with a size-based duration.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn req(
        &self,
        host: usize,
        start: i64,
        method: Method,
        scheme: Scheme,
        dest: u32,
        path: String,
        ct: Ct,
        up: u64,
        down: u64,
        ua: u16,
    ) -> Event {
        let port = match scheme {
            Scheme::Http => 80,
            _ => 443,
        };
        // Latency from a hash of the request, so callers need not thread the PRNG through.
        let mut r = Rng::new(
            (start as u64) ^ (u64::from(dest) << 32) ^ down.rotate_left(17) ^ (host as u64) << 48,
        );
        let latency = r.lognormal(90.0, 0.7).min(20_000.0);
        let xfer = down as f64 / 6_000.0 + up as f64 / 2_500.0; // ms at ~6 MB/s down, 2.5 MB/s up
        Event {
            start_ms: start,
            dur_ms: (latency + xfer).min(3_000_000.0) as u32,
            host: host as u32,
            authed: self.p.proxy_auth && self.w.hosts[host].user.is_some(),
            method,
            scheme,
            dest,
            port,
            path,
            outcome: Outcome::Miss,
            status: 200,
            up,
            down,
            ct,
            referer: None,
            ua,
            threat: NO_THREAT,
        }
    }

    /// Adds the 407 challenge that precedes an authenticated request on a
    /// new connection (NTLM/Negotiate), then the request itself.
    pub(crate) fn push_with_auth(&mut self, r: &mut Rng, mut ev: Event) {
        if ev.authed {
            let mut ch = ev.clone();
            ch.authed = false;
            ch.outcome = Outcome::AuthRequired;
            ch.status = 407;
            ch.up = 350 + r.range(0, 400);
            ch.down = 3_900 + r.range(0, 80);
            ch.dur_ms = r.range(0, 3) as u32;
            ch.ct = Ct::Html;
            ch.start_ms = ev.start_ms;
            ev.start_ms += 5 + r.range(0, 60) as i64;
            self.events.push(ch);
        }
        self.events.push(ev);
    }

    /// Whether an HTTPS request to `dest` is decrypted (else it is a tunnel).
    fn visible(&self, dest: u32) -> bool {
        self.p.tls_inspection
            && !matches!(
                self.w.dests[dest as usize].cat,
                Cat::Finance | Cat::Government
            )
    }

    /// Closes a session: HTTPS requests the proxy cannot see become one
    /// CONNECT tunnel per destination; the first request (or tunnel) of each
    /// destination gets the 407 handshake.
    fn flush_session(&mut self, r: &mut Rng, evs: Vec<Event>) {
        let mut tunnels: Vec<Event> = Vec::new();
        let mut seen: Vec<u32> = Vec::new();
        for ev in evs {
            if ev.scheme == Scheme::Https && !self.visible(ev.dest) {
                if let Some(t) = tunnels.iter_mut().find(|t| t.dest == ev.dest) {
                    let end = ev.end_ms().max(t.end_ms());
                    t.dur_ms = (end - t.start_ms) as u32;
                    t.up += ev.up;
                    t.down += ev.down;
                } else {
                    let mut t = ev.clone();
                    t.method = Method::Connect;
                    t.scheme = Scheme::Tunnel;
                    t.outcome = Outcome::Tunnel;
                    t.path.clear();
                    t.ct = Ct::None;
                    t.referer = None;
                    t.start_ms -= 40;
                    t.up += 1_800 + r.range(0, 900);
                    t.down += 4_500 + r.range(0, 2_500);
                    tunnels.push(t);
                }
            } else if ev.authed && !seen.contains(&ev.dest) {
                // NTLM/Negotiate: each new connection is challenged; browsers
                // reuse connections, so only some new destinations show it.
                let first = seen.is_empty();
                seen.push(ev.dest);
                if first || r.chance(0.3) {
                    self.push_with_auth(r, ev);
                } else {
                    self.events.push(ev);
                }
            } else {
                self.events.push(ev);
            }
        }
        for mut t in tunnels {
            t.dur_ms += r.range(2_000, 110_000) as u32; // keep-alive before close
            if t.authed && r.chance(0.6) {
                self.push_with_auth(r, t);
            } else {
                self.events.push(t);
            }
        }
    }

    /// Generates the whole benign week.
    pub(crate) fn benign(&mut self) {
        let n = self.w.hosts.len();
        for h in 0..n {
            if self.w.hosts[h].kind != HostKind::Server {
                self.browsing(h);
                self.realtime(h);
            }
        }
        self.periodic();
        self.backup();
    }

    fn browsing(&mut self, h: usize) {
        let mut r = Rng::derive(self.p.seed, "browse", h as u64);
        let slot = 5 * 60_000i64;
        let pres = self.presence[h].present.clone();
        for (a, b) in pres {
            let mut t = a;
            while t < b {
                let hour = local_hour(t);
                let w = if (12.0..13.0).contains(&hour) {
                    0.3
                } else if hour >= 19.0 {
                    0.6
                } else if (10.0..12.0).contains(&hour) || (14.0..17.0).contains(&hour) {
                    1.15
                } else {
                    0.9
                };
                let lambda = self.p.scale * w * (slot as f64 / HOUR as f64) / REQS_PER_SESSION;
                let k = poisson(&mut r, lambda);
                for _ in 0..k {
                    let start = t + r.range(0, slot as u64 - 1) as i64;
                    self.session(&mut r, h, start);
                }
                t += slot;
            }
        }
    }

    fn session(&mut self, r: &mut Rng, h: usize, start: i64) {
        match r.weighted(&[60, 26, 9, 2, 3, 1]) {
            0 => self.browse(r, h, start, None),
            5 => self.dead_link(r, h, start),
            1 => self.cloud(r, h, start),
            2 => self.longtail(r, h, start),
            3 => self.blocked(r, h, start),
            _ => {
                // a video break
                let yt = SITES
                    .iter()
                    .position(|s| s.host == "www.youtube.com")
                    .unwrap_or(0);
                self.browse(r, h, start, Some(yt))
            }
        }
    }

    fn pick_site(&self, r: &mut Rng, h: usize) -> usize {
        let fav = &self.w.hosts[h].favorites;
        if !fav.is_empty() && r.chance(0.6) {
            return r.pick(fav);
        }
        let weights: Vec<u32> = SITES.iter().map(|s| s.weight).collect();
        r.weighted(&weights)
    }

    fn browse(&mut self, r: &mut Rng, h: usize, start: i64, site: Option<usize>) {
        let si = site.unwrap_or_else(|| self.pick_site(r, h));
        let site = &SITES[si];
        let scheme = if site.https {
            Scheme::Https
        } else {
            Scheme::Http
        };
        let sch = if site.https { "https" } else { "http" };
        let dest = self.w.dest(site.host, site.cat);
        let ua = self.w.hosts[h].ua;
        let pages = 1 + (r.exp(1.6) as usize).min(12);
        let mut t = start;
        let mut evs = Vec::new();
        let mut referer: Option<String> = if r.chance(0.25) {
            Some(format!(
                "https://www.google.com/search?q={}",
                catalog::expand("{Q}", r, "", "", "")
            ))
        } else {
            None
        };
        for _ in 0..pages {
            let path = catalog::page_path(site.style, r);
            let url = format!("{sch}://{}{}", site.host, path);
            let down = r.lognormal(55_000.0, 0.8) as u64 + 600;
            let mut ev = self.req(
                h,
                t,
                Method::Get,
                scheme,
                dest,
                path,
                Ct::Html,
                700 + r.range(0, 900),
                down,
                ua,
            );
            ev.referer = referer.take();
            let page_end = ev.end_ms();
            evs.push(ev);
            if r.chance(0.12) {
                let o = self.w.dest(r.pick(catalog::OCSP), Cat::Security);
                let crypto = self.w.ua("Microsoft-CryptoAPI/10.0");
                let path = format!("/MFMwUTBPME0wSzAJBgUrDgMCGgUABBS{}%3D%3D", r.token(40));
                let mut e = self.req(
                    h,
                    t + 20,
                    Method::Get,
                    Scheme::Http,
                    o,
                    path,
                    Ct::Ocsp,
                    420,
                    1_700 + r.range(0, 900),
                    crypto,
                );
                e.authed = false; // CryptoAPI runs as the machine; OCSP is auth-exempt
                evs.push(e);
            }
            let subs = r.range(3, 26);
            for _ in 0..subs {
                let ts = page_end + r.range(30, 2_500) as i64;
                let mut e = match r.weighted(&[40, 25, 35]) {
                    0 | 1 => {
                        let host = if r.chance(0.6) || site.cdns.is_empty() {
                            site.host
                        } else {
                            r.pick(site.cdns)
                        };
                        let d = if host != site.host && r.chance(0.2) {
                            // A random-looking CloudFront name, stable per site (DGA look-alike).
                            let id = Rng::derive(0, site.host, 0).alnum(13);
                            self.w.dest(&format!("d{id}.cloudfront.net"), Cat::Cdn)
                        } else {
                            self.w.dest(
                                host,
                                if host == site.host {
                                    site.cat
                                } else {
                                    Cat::Cdn
                                },
                            )
                        };
                        let (p, ct, size) = catalog::asset(r);
                        let mut e = self.req(
                            h,
                            ts,
                            Method::Get,
                            scheme,
                            d,
                            p,
                            ct,
                            650 + r.range(0, 700),
                            r.lognormal(size as f64, 0.6) as u64 + 300,
                            ua,
                        );
                        let cacheable = ct != Ct::Json;
                        if cacheable && r.chance(if scheme == Scheme::Http { 0.3 } else { 0.08 }) {
                            e.outcome = if r.chance(0.5) {
                                Outcome::Hit
                            } else {
                                Outcome::Refresh
                            };
                            if e.outcome == Outcome::Refresh {
                                e.status = 304;
                                e.down = 280 + r.range(0, 120);
                            }
                            e.dur_ms = r.range(0, 40) as u32;
                        }
                        e
                    }
                    _ => {
                        let tp = r.pick(THIRD_PARTIES);
                        let d = self.w.dest(tp.0, tp.1);
                        let p = catalog::expand(r.pick(tp.3), r, site.host, "", "");
                        let m = if tp.2 == "POST" {
                            Method::Post
                        } else {
                            Method::Get
                        };
                        let up = if m == Method::Post {
                            900 + r.range(0, 1_500)
                        } else {
                            600 + r.range(0, 900)
                        };
                        let down = if tp.5 == 0 {
                            0
                        } else {
                            r.lognormal(tp.5 as f64, 0.3) as u64
                        } + 350;
                        let mut e = self.req(h, ts, m, Scheme::Https, d, p, tp.4, up, down, ua);
                        if tp.5 == 0 {
                            e.status = 204;
                            e.ct = Ct::None;
                        }
                        e
                    }
                };
                e.referer = Some(url.clone());
                evs.push(e);
            }
            if site.style == crate::catalog::Style::Video && r.chance(0.7) {
                let gv = self
                    .w
                    .dest(site.cdns.last().copied().unwrap_or(site.host), Cat::Video);
                let segs = r.range(4, 24);
                let mut ts = page_end + 1_500;
                for _ in 0..segs {
                    let p = catalog::expand(
                        "/videoplayback?expire={N10}&ei={T22}&ip=0.0.0.0&id=o-{T43}&itag=243&source=youtube&mime=video%2Fwebm&rn={N2}&rbuf={N5}",
                        r,
                        "",
                        "",
                        "",
                    );
                    let mut e = self.req(
                        h,
                        ts,
                        Method::Post,
                        Scheme::Https,
                        gv,
                        p,
                        Ct::Mp4,
                        1_400,
                        r.lognormal(900_000.0, 0.5) as u64,
                        ua,
                    );
                    e.referer = Some(format!("https://{}/", site.host));
                    ts += r.range(4_000, 11_000) as i64;
                    evs.push(e);
                }
            }
            referer = Some(url);
            t = page_end + 3_000 + r.exp(40_000.0) as i64;
        }
        self.flush_session(r, evs);
    }

    fn cloud(&mut self, r: &mut Rng, h: usize, start: i64) {
        let sharer = self.w.hosts[h].sharer;
        let weights: Vec<u32> = CLOUDS
            .iter()
            .map(|c| match (c.sanctioned, c.name) {
                (_, "gigafile" | "firestorage") if sharer => c.weight * 6,
                (true, _) => c.weight,
                _ => c.weight / 2 + 1,
            })
            .collect();
        let c = &CLOUDS[r.weighted(&weights)];
        let d = self.w.dest(c.host, c.cat);
        let ua = self.w.hosts[h].ua;
        let user = self.w.hosts[h].user.clone().unwrap_or_default();
        let slug = user.replace(['.', '\\'], "_").to_ascii_lowercase();
        let dept = self.w.hosts[h].dept;
        let mut evs = Vec::new();
        let mut t = start;
        let n = r.range(2, 9);
        let page_url = format!("https://{}/", c.host);
        for i in 0..n {
            let p = catalog::expand(r.pick(c.pages), r, c.host, &slug, dept);
            let (ct, size) = if i == 0 {
                (Ct::Html, 80_000.0)
            } else {
                (Ct::Json, 9_000.0)
            };
            let mut e = self.req(
                h,
                t,
                if i == 0 {
                    Method::Get
                } else {
                    r.pick(&[Method::Get, Method::Post])
                },
                Scheme::Https,
                d,
                p,
                ct,
                900 + r.range(0, 1_800),
                r.lognormal(size, 0.9) as u64 + 400,
                ua,
            );
            if i > 0 {
                e.referer = Some(page_url.clone());
            }
            t = e.end_ms() + r.exp(20_000.0) as i64;
            evs.push(e);
        }
        let p_upload = if c.sanctioned {
            0.18
        } else if sharer && matches!(c.name, "gigafile" | "firestorage") {
            0.8
        } else {
            0.08
        };
        if r.chance(p_upload) {
            let ud = self.w.dest(c.upload_host, c.cat);
            let big = matches!(c.name, "gigafile" | "firestorage");
            let total = if big {
                r.lognormal(25_000_000.0, 0.9)
            } else {
                r.lognormal(350_000.0, 1.3)
            }
            .min(300_000_000.0) as u64
                + 2_000;
            // gigafile便 uploads in 100 MB chunks; others in one request.
            let chunk: u64 = if big { 100 * 1024 * 1024 } else { total };
            let mut left = total;
            let method = if c.upload_method == "PUT" {
                Method::Put
            } else {
                Method::Post
            };
            while left > 0 {
                let part = left.min(chunk);
                left -= part;
                let p = catalog::expand(r.pick(c.upload_paths), r, c.host, &slug, dept);
                let mut e = self.req(
                    h,
                    t,
                    method,
                    Scheme::Https,
                    ud,
                    p,
                    Ct::Json,
                    part + 900,
                    300 + r.range(0, 600),
                    ua,
                );
                e.referer = Some(page_url.clone());
                t = e.end_ms() + r.range(50, 900) as i64;
                evs.push(e);
            }
        }
        self.flush_session(r, evs);
    }

    fn longtail(&mut self, r: &mut Rng, h: usize, start: i64) {
        if self.w.longtail.is_empty() {
            return;
        }
        let n = self.w.longtail.len();
        let offset = (hash_str(&self.w.hosts[h].name) % n as u64) as usize;
        let idx = if r.chance(0.5) {
            (r.zipf(n, 1.05) + offset) % n
        } else {
            r.below(n)
        };
        let d = self.w.longtail[idx];
        let name = self.w.dests[d as usize].name.clone();
        let https = r.chance(0.65) || name.ends_with("hatenablog.com");
        let scheme = if https { Scheme::Https } else { Scheme::Http };
        let ua = self.w.hosts[h].ua;
        let mut evs = Vec::new();
        let mut t = start;
        let mut referer: Option<String> = Some(format!(
            "https://www.google.com/search?q={}",
            catalog::expand("{Q}", r, "", "", "")
        ));
        for _ in 0..r.range(1, 4) {
            let path = catalog::page_path(crate::catalog::Style::Blog, r);
            let url = format!("{}://{name}{path}", if https { "https" } else { "http" });
            let mut e = self.req(
                h,
                t,
                Method::Get,
                scheme,
                d,
                path,
                Ct::Html,
                800,
                r.lognormal(30_000.0, 0.7) as u64,
                ua,
            );
            e.referer = referer.take();
            let end = e.end_ms();
            evs.push(e);
            for _ in 0..r.range(2, 10) {
                let (p, ct, size) = catalog::asset(r);
                let mut e = self.req(
                    h,
                    end + r.range(20, 1_500) as i64,
                    Method::Get,
                    scheme,
                    d,
                    p,
                    ct,
                    700,
                    r.lognormal(size as f64, 0.5) as u64,
                    ua,
                );
                e.referer = Some(url.clone());
                evs.push(e);
            }
            referer = Some(url);
            t = end + r.exp(30_000.0) as i64 + 2_000;
        }
        self.flush_session(r, evs);
    }

    /// A stale bookmark or typo: the name does not resolve (benign DNS
    /// failures next to the planted DGA burst).
    fn dead_link(&mut self, r: &mut Rng, h: usize, start: i64) {
        let name = if r.chance(0.5) {
            let base = crate::catalog::longtail_name(r);
            base.replacen('-', "", 1).replacen(".co.jp", ".cojp", 1)
        } else {
            format!(
                "www.{}-old.{}",
                r.pick(&["shinwa", "tokai", "meiwa", "kizuna"]),
                r.pick(&["co.jp", "jp", "com"])
            )
        };
        let d = self.w.dest(&name, Cat::Uncategorized);
        let ua = self.w.hosts[h].ua;
        let mut t = start;
        for _ in 0..r.range(1, 3) {
            let mut e = self.req(
                h,
                t,
                Method::Get,
                Scheme::Http,
                d,
                "/".into(),
                Ct::Html,
                480,
                3_900 + r.range(0, 200),
                ua,
            );
            e.outcome = Outcome::DnsFail;
            e.status = 503;
            e.dur_ms = r.range(5, 3_000) as u32;
            t = e.end_ms() + r.range(1_000, 8_000) as i64;
            self.events.push(e);
        }
    }

    fn blocked(&mut self, r: &mut Rng, h: usize, start: i64) {
        let (host, cat) = r.pick(catalog::BLOCKED_SITES);
        let d = self.w.dest(host, cat);
        let ua = self.w.hosts[h].ua;
        let mut t = start;
        for _ in 0..r.range(1, 3) {
            let mut e = self.req(
                h,
                t,
                Method::Get,
                Scheme::Https,
                d,
                "/".to_string(),
                Ct::Html,
                700,
                0,
                ua,
            );
            e.outcome = Outcome::Blocked;
            e.status = 403;
            e.down = 3_700 + r.range(0, 300);
            e.dur_ms = r.range(0, 4) as u32;
            if !self.visible(d) {
                e.method = Method::Connect;
                e.scheme = Scheme::Tunnel;
                e.path.clear();
            }
            self.events.push(e);
            t += r.range(2_000, 20_000) as i64;
        }
    }

    /// Long-lived tunnels that bypass TLS inspection (Microsoft's advice for
    /// Teams, and Zoom media): hours-long CONNECTs and big symmetric
    /// transfers, the benign look-alikes of tunnels and bulk uploads.
    fn realtime(&mut self, h: usize) {
        let mut r = Rng::derive(self.p.seed, "realtime", h as u64);
        let teams = r.chance(0.85);
        let zoom_rate = r.uniform(0.05, 0.5);
        let trouter = self
            .w
            .dest("pub-ent-jpea-04-t.trouter.teams.microsoft.com", Cat::Chat);
        let zoom = self.w.dest(
            &format!("zoomtk{}mmr.zoom.us", r.range(1, 4)),
            Cat::Business,
        );
        let ua = self.w.hosts[h].ua;
        let teams_ua = self.w.ua("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0 Teams/24295.606.3238.6194");
        let pres = self.presence[h].present.clone();
        for (a, b) in pres {
            if teams {
                let mut t = a + r.range(60_000, 600_000) as i64;
                while t < b - 60_000 {
                    // A websocket lives until a network change or idle timeout.
                    let len = (r.exp(2.0 * HOUR as f64) as i64).max(120_000).min(b - t);
                    let hours = len as f64 / HOUR as f64;
                    let mut e = self.req(
                        h,
                        t,
                        Method::Connect,
                        Scheme::Tunnel,
                        trouter,
                        String::new(),
                        Ct::None,
                        (hours * 180_000.0) as u64 + 4_000,
                        (hours * 420_000.0) as u64 + 9_000,
                        teams_ua,
                    );
                    e.outcome = Outcome::Tunnel;
                    e.dur_ms = len as u32;
                    self.tunnel_with_auth(&mut r, e);
                    t += len + r.range(1_000, 30_000) as i64;
                }
            }
            if r.chance(0.25) && b - a > 2 * HOUR {
                // A Teams call: media relays are reached by IP literal (52.112.0.0/14).
                let ip = format!(
                    "52.{}.{}.{}",
                    r.range(112, 115),
                    r.range(0, 255),
                    r.range(1, 254)
                );
                let relay = self.w.dest(&ip, Cat::Chat);
                let t = a + r.range(0, (b - a - HOUR) as u64) as i64;
                let len = r.range(10, 60) as i64 * 60_000;
                let mins = len as f64 / 60_000.0;
                let mut e = self.req(
                    h,
                    t,
                    Method::Connect,
                    Scheme::Tunnel,
                    relay,
                    String::new(),
                    Ct::None,
                    (mins * r.uniform(1.0, 6.0) * 1_000_000.0) as u64,
                    (mins * r.uniform(2.0, 8.0) * 1_000_000.0) as u64,
                    teams_ua,
                );
                e.outcome = Outcome::Tunnel;
                e.dur_ms = len as u32;
                self.tunnel_with_auth(&mut r, e);
            }
            if self.w.hosts[h].dept == "joho" && r.chance(0.3) && b - a > 2 * HOUR {
                // IT staff on a partner's SSL-VPN portal: a benign non-443 CONNECT.
                let vpn = self.w.dest("sslvpn.kyowa-system.co.jp", Cat::Business);
                let t = a + r.range(0, (b - a - HOUR) as u64) as i64;
                let mut e = self.req(
                    h,
                    t,
                    Method::Connect,
                    Scheme::Tunnel,
                    vpn,
                    String::new(),
                    Ct::None,
                    r.range(200_000, 9_000_000),
                    r.range(500_000, 30_000_000),
                    ua,
                );
                e.port = 10443;
                e.outcome = Outcome::Tunnel;
                e.dur_ms = r.range(600_000, 5_400_000) as u32;
                self.tunnel_with_auth(&mut r, e);
            }
            if r.chance(zoom_rate) && b - a > 2 * HOUR {
                let t = a + r.range(0, (b - a - 2 * HOUR) as u64) as i64;
                let len = r.range(25, 95) as i64 * 60_000;
                let mins = len as f64 / 60_000.0;
                // ~1.2 Mbit/s each way with video on.
                let up = (mins * r.uniform(2.0, 9.0) * 1_000_000.0) as u64;
                let down = (mins * r.uniform(6.0, 12.0) * 1_000_000.0) as u64;
                let mut e = self.req(
                    h,
                    t,
                    Method::Connect,
                    Scheme::Tunnel,
                    zoom,
                    String::new(),
                    Ct::None,
                    up,
                    down,
                    ua,
                );
                e.outcome = Outcome::Tunnel;
                e.dur_ms = len as u32;
                self.tunnel_with_auth(&mut r, e);
            }
        }
    }

    fn tunnel_with_auth(&mut self, r: &mut Rng, e: Event) {
        if e.authed && r.chance(0.6) {
            self.push_with_auth(r, e);
        } else {
            self.events.push(e);
        }
    }

    fn periodic(&mut self) {
        for (ai, app) in PERIODIC.iter().enumerate() {
            let d = self.w.dest(app.host, app.cat);
            let ua = self.w.ua(app.ua);
            let method = match app.method {
                "POST" => Method::Post,
                "PUT" => Method::Put,
                _ => Method::Get,
            };
            let scheme = match app.scheme {
                "http" => Scheme::Http,
                _ => Scheme::Https,
            };
            for h in 0..self.w.hosts.len() {
                let is_server = self.w.hosts[h].kind == HostKind::Server;
                if is_server != app.servers {
                    continue;
                }
                let mut r = Rng::derive(self.p.seed, app.name, h as u64 * 131 + ai as u64);
                // Servers: the agent runs on every other server (stable choice).
                let runs = if is_server && app.share < 1.0 {
                    h % 2 == 0
                } else {
                    r.chance(app.share)
                };
                if !runs {
                    continue;
                }
                let mut t = self.p.t0 - DAY + (r.f64() * app.period_s * 1000.0) as i64;
                // Exactly periodic agents keep a fixed phase; they only wobble by a few ms.
                while t < self.p.t1 {
                    let on = if app.presence_only {
                        self.presence[h].is_present(t)
                    } else {
                        self.presence[h].is_on(t)
                    };
                    if on && t >= self.p.t0 {
                        let p = catalog::expand(r.pick(app.paths), &mut r, "", "", "");
                        let mut e = self.req(
                            h,
                            t,
                            method,
                            scheme,
                            d,
                            p,
                            app.ct,
                            app.up + r.range(0, app.up / 10 + 1),
                            app.down + r.range(0, app.down / 5 + 1),
                            ua,
                        );
                        if app.jitter == 0.0 {
                            e.start_ms += r.range(0, 25) as i64;
                            e.dur_ms = 40 + r.range(0, 60) as u32;
                        }
                        if app.no_auth {
                            e.authed = false;
                            self.push_periodic(&mut r, e);
                        } else {
                            self.push_periodic(&mut r, e);
                        }
                    }
                    let step = app.period_s * (1.0 + app.jitter * r.uniform(-1.0, 1.0));
                    t += (step.max(1.0) * 1000.0) as i64;
                }
            }
        }
    }

    fn push_periodic(&mut self, r: &mut Rng, e: Event) {
        if e.scheme == Scheme::Https && !self.visible(e.dest) {
            self.flush_session(r, vec![e]);
        } else {
            self.events.push(e);
        }
    }

    /// The backup agent on the first server: nightly block-blob upload of
    /// equal 4 MiB blocks to Azure (a benign look-alike of chunked exfil).
    fn backup(&mut self) {
        let Some(srv) = self.w.servers().next() else {
            return;
        };
        let d = self
            .w
            .dest("corpbackup01.blob.core.windows.net", Cat::Storage);
        let ua = self
            .w
            .ua("azsdk-net-Storage.Blobs/12.22.2 (.NET 8.0.10; Microsoft Windows 10.0.20348)");
        let mut r = Rng::derive(self.p.seed, "backup", 0);
        let name = self.w.hosts[srv].name.to_ascii_lowercase();
        let first = local_day(self.p.t0);
        let last = local_day(self.p.t1);
        for day in first..=last {
            let mut t = local_midnight(day) + 3_600_000 + r.range(0, 600_000) as i64;
            let blocks = r.range(150, 420);
            let blob = format!("/backup/{name}/{}/{}.vhdx", day, r.hex(12));
            for b in 0..blocks {
                let bid = format!("{:06}", b);
                let p = format!(
                    "{blob}?comp=block&blockid={}",
                    crate::threats::b64(bid.as_bytes())
                );
                let mut e = self.req(
                    srv,
                    t,
                    Method::Put,
                    Scheme::Https,
                    d,
                    p,
                    Ct::None,
                    4 * 1024 * 1024 + 620,
                    380,
                    ua,
                );
                e.status = 201;
                e.authed = false;
                t = e.end_ms() + r.range(5, 40) as i64;
                self.push_periodic(&mut r, e);
            }
            let p = format!("{blob}?comp=blocklist");
            let mut e = self.req(
                srv,
                t,
                Method::Put,
                Scheme::Https,
                d,
                p,
                Ct::None,
                900 + blocks * 30,
                380,
                ua,
            );
            e.status = 201;
            e.authed = false;
            self.push_periodic(&mut r, e);
        }
    }
}

/// Poisson draw (Knuth; fine for the small means used here).
pub(crate) fn poisson(r: &mut Rng, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 30.0 {
        return (lambda + lambda.sqrt() * r.normal()).max(0.0).round() as u32;
    }
    let l = (-lambda).exp();
    let mut k = 0;
    let mut p = 1.0;
    loop {
        p *= r.f64();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

/// When a host's user is present, and when the machine is switched on.
fn presence_for(p: &GenParams, w: &World, h: usize) -> Presence {
    let host = &w.hosts[h];
    let first = local_day(p.t0) - 1;
    let last = local_day(p.t1);
    let whole = vec![(local_midnight(first), local_midnight(last + 1))];
    if host.kind == HostKind::Server {
        return Presence {
            present: Vec::new(),
            on: whole,
        };
    }
    let mut present = Vec::new();
    for day in first..=last {
        let mut r = Rng::derive(p.seed, &host.name, day as u64);
        let wd = weekday(day);
        let (come, arrive, leave) = if wd < 5 {
            let arrive = host.arrive_h + r.normal() * 0.2;
            let leave = (17.5 + r.exp(host.overtime_h.max(0.05)) + r.uniform(0.0, 0.3)).min(23.5);
            (r.chance(0.93), arrive, leave)
        } else {
            let arrive = r.uniform(9.5, 13.0);
            (
                r.chance(if wd == 5 { 0.07 } else { 0.03 }),
                arrive,
                arrive + r.uniform(1.5, 5.0),
            )
        };
        if come {
            let mid = local_midnight(day);
            present.push((
                mid + (arrive * HOUR as f64) as i64,
                mid + (leave * HOUR as f64) as i64,
            ));
        }
    }
    let on = if host.always_on {
        whole
    } else {
        present
            .iter()
            .map(|&(a, b)| (a - 10 * 60_000, b + 15 * 60_000))
            .collect()
    };
    Presence { present, on }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_helpers() {
        // 2026-11-16T00:00:00Z is a Monday, 09:00 in Tokyo.
        let t = 1_794_787_200_000;
        assert_eq!(weekday(local_day(t)), 0);
        assert!((local_hour(t) - 9.0).abs() < 1e-9);
        assert_eq!(local_midnight(local_day(t)), t - 9 * HOUR);
        // 2026-11-15T20:00:00Z is Monday 05:00 JST too, Sunday in UTC.
        assert_eq!(weekday(local_day(t - 4 * HOUR)), 0);
    }
}
