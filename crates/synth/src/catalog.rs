//! Static knowledge of the benign Internet: popular sites, third-party
//! trackers and CDNs, cloud services, periodic software, and the generator of
//! long-tail domain names. URL templates use `{…}` placeholders that
//! [`expand`] fills in (see there).

use crate::event::Ct;
use crate::rng::Rng;
use crate::world::Cat;

/// How a site's pages look (decides page paths).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Portal,
    News,
    Search,
    Shop,
    Dev,
    Video,
    Corporate,
    Gov,
    Blog,
    Reference,
    Social,
}

/// A popular site people browse.
#[derive(Debug)]
pub(crate) struct Site {
    pub host: &'static str,
    pub cat: Cat,
    /// Relative popularity.
    pub weight: u32,
    pub style: Style,
    /// Served over HTTPS (almost everything is).
    pub https: bool,
    /// Static-asset hosts this site pulls from (its own CDN names).
    pub cdns: &'static [&'static str],
}

macro_rules! site {
    ($h:expr, $c:ident, $w:expr, $s:ident, $cdn:expr) => {
        Site {
            host: $h,
            cat: Cat::$c,
            weight: $w,
            style: Style::$s,
            https: true,
            cdns: $cdn,
        }
    };
    ($h:expr, $c:ident, $w:expr, $s:ident, $cdn:expr, http) => {
        Site {
            host: $h,
            cat: Cat::$c,
            weight: $w,
            style: Style::$s,
            https: false,
            cdns: $cdn,
        }
    };
}

/// Popular sites (Japanese office mix), heaviest first.
pub(crate) const SITES: &[Site] = &[
    site!(
        "www.google.com",
        Search,
        160,
        Search,
        &[
            "www.gstatic.com",
            "ssl.gstatic.com",
            "lh3.googleusercontent.com"
        ]
    ),
    site!(
        "www.yahoo.co.jp",
        Portal,
        120,
        Portal,
        &["s.yimg.jp", "yjtag.yahoo.co.jp", "news-pctr.c.yimg.jp"]
    ),
    site!(
        "news.yahoo.co.jp",
        News,
        70,
        News,
        &["s.yimg.jp", "news-pctr.c.yimg.jp", "yads.c.yimg.jp"]
    ),
    site!(
        "www.bing.com",
        Search,
        25,
        Search,
        &["th.bing.com", "r.bing.com"]
    ),
    site!(
        "www.nikkei.com",
        News,
        45,
        News,
        &["article-image-ix.nikkei.com", "assets.nikkei.jp"]
    ),
    site!(
        "www.asahi.com",
        News,
        20,
        News,
        &["www.asahicom.jp", "imgopt.asahi.com"]
    ),
    site!("www3.nhk.or.jp", News, 25, News, &["www3.nhk.or.jp"]),
    site!(
        "www.youtube.com",
        Video,
        40,
        Video,
        &[
            "i.ytimg.com",
            "yt3.ggpht.com",
            "rr4---sn-oguelnzr.googlevideo.com"
        ]
    ),
    site!(
        "www.amazon.co.jp",
        Shopping,
        35,
        Shop,
        &[
            "m.media-amazon.com",
            "images-fe.ssl-images-amazon.com",
            "fls-fe.amazon.co.jp"
        ]
    ),
    site!(
        "www.rakuten.co.jp",
        Shopping,
        15,
        Shop,
        &["r.r10s.jp", "tshop.r10s.jp"]
    ),
    site!("kakaku.com", Shopping, 10, Shop, &["img1.kakaku.k-img.com"]),
    site!(
        "ja.wikipedia.org",
        Reference,
        30,
        Reference,
        &["upload.wikimedia.org"]
    ),
    site!(
        "github.com",
        Tech,
        30,
        Dev,
        &[
            "github.githubassets.com",
            "avatars.githubusercontent.com",
            "raw.githubusercontent.com"
        ]
    ),
    site!(
        "stackoverflow.com",
        Tech,
        18,
        Dev,
        &["cdn.sstatic.net", "i.sstatic.net"]
    ),
    site!(
        "qiita.com",
        Tech,
        20,
        Dev,
        &["cdn.qiita.com", "qiita-user-contents.imgix.net"]
    ),
    site!(
        "zenn.dev",
        Tech,
        10,
        Dev,
        &["storage.googleapis.com", "static.zenn.studio"]
    ),
    site!("note.com", Blogs, 12, Blog, &["assets.st-note.com"]),
    site!(
        "learn.microsoft.com",
        Tech,
        22,
        Reference,
        &["learn.microsoft.com", "js.monitor.azure.com"]
    ),
    site!(
        "www.microsoft.com",
        Tech,
        10,
        Corporate,
        &[
            "img-prod-cms-rt-microsoft-com.akamaized.net",
            "wcpstatic.microsoft.com"
        ]
    ),
    site!("tenki.jp", News, 15, News, &["static.tenki.jp"]),
    site!(
        "www.jorudan.co.jp",
        Travel,
        12,
        Reference,
        &["www.jorudan.co.jp"]
    ),
    site!(
        "www.navitime.co.jp",
        Travel,
        8,
        Reference,
        &["static.navitime.co.jp"]
    ),
    site!("www.jalan.net", Travel, 6, Shop, &["cdn.jalan.jp"]),
    site!("www.e-gov.go.jp", Government, 6, Gov, &[]),
    site!("www.mhlw.go.jp", Government, 5, Gov, &[]),
    site!("www.nta.go.jp", Government, 5, Gov, &[]),
    site!("www.mufg.jp", Finance, 4, Corporate, &[]),
    site!("www.smbc.co.jp", Finance, 4, Corporate, &[]),
    site!(
        "x.com",
        Social,
        12,
        Social,
        &["abs.twimg.com", "pbs.twimg.com", "video.twimg.com"]
    ),
    site!(
        "www.linkedin.com",
        Social,
        5,
        Social,
        &["static.licdn.com", "media.licdn.com"]
    ),
    site!(
        "www.itmedia.co.jp",
        News,
        12,
        News,
        &["image.itmedia.co.jp"]
    ),
    site!("xtech.nikkei.com", News, 8, News, &["cdn-xtech.nikkei.com"]),
    site!("www.ipa.go.jp", Government, 4, Gov, &[]),
    site!("www.jpcert.or.jp", Security, 3, Gov, &[]),
    site!(
        "www.cybozu.com",
        Business,
        6,
        Corporate,
        &["static.cybozu.com"]
    ),
    site!(
        "www.freee.co.jp",
        Business,
        4,
        Corporate,
        &["assets.freee.co.jp"]
    ),
    site!(
        "www.moneyforward.com",
        Finance,
        4,
        Corporate,
        &["assets.moneyforward.com"]
    ),
    site!("www.pref.osaka.lg.jp", Government, 2, Gov, &[], http),
    site!("www.city.yokohama.lg.jp", Government, 2, Gov, &[]),
    site!("www.jma.go.jp", Government, 6, Gov, &[]),
    site!("www.weblio.jp", Reference, 8, Reference, &["www.weblio.jp"]),
    site!(
        "www.deepl.com",
        Reference,
        10,
        Reference,
        &["static.deepl.com"]
    ),
    site!("www.mapion.co.jp", Reference, 2, Reference, &[], http),
    site!("www.sankei.com", News, 6, News, &["www.sankei.com"]),
    site!("www.yomiuri.co.jp", News, 8, News, &["www.yomiuri.co.jp"]),
    site!("www.toyokeizai.net", News, 6, News, &["tk.ismcdn.jp"]),
    site!(
        "www.monotaro.com",
        Shopping,
        6,
        Shop,
        &["jp.images-monotaro.com"]
    ),
    site!("www.askul.co.jp", Shopping, 5, Shop, &["cdn.askul.co.jp"]),
    site!(
        "www.hatena.ne.jp",
        Blogs,
        4,
        Blog,
        &["cdn.blog.st-hatena.com"]
    ),
    site!("ameblo.jp", Blogs, 5, Blog, &["stat100.ameba.jp"]),
];

/// Sites in policy-blocked categories (people still try them).
pub(crate) const BLOCKED_SITES: &[(&str, Cat)] = &[
    ("www.bet365.com", Cat::Gambling),
    ("www.pokerstars.com", Cat::Gambling),
    ("sports.williamhill.com", Cat::Gambling),
    ("www.dmm.co.jp", Cat::Adult),
    ("store.steampowered.com", Cat::Games),
    ("game.nicovideo.jp", Cat::Games),
    ("www.utorrent.com", Cat::P2p),
    ("www.bittorrent.com", Cat::P2p),
];

/// A shared third party pulled in by pages: (host, category, method, path
/// templates, content type, typical body bytes).
pub(crate) type ThirdParty = (
    &'static str,
    Cat,
    &'static str,
    &'static [&'static str],
    Ct,
    u64,
);

/// Third parties (trackers, fonts, CDNs) pages pull in.
pub(crate) const THIRD_PARTIES: &[ThirdParty] = &[
    (
        "www.googletagmanager.com",
        Cat::Ads,
        "GET",
        &["/gtm.js?id=GTM-{T7}", "/gtag/js?id=G-{T10}"],
        Ct::Js,
        98_000,
    ),
    (
        "www.google-analytics.com",
        Cat::Ads,
        "POST",
        &[
            "/g/collect?v=2&tid=G-{T10}&gtm=45je4b&_p={N9}&cid={N9}.{N9}&ul=ja-jp&sr=1920x1080&en=page_view",
        ],
        Ct::Plain,
        0,
    ),
    (
        "www.google-analytics.com",
        Cat::Ads,
        "GET",
        &[
            "/analytics.js",
            "/ga.js",
            "/__utm.gif?utmwv=5.7.2&utms=1&utmn={N9}&utmhn={SITE}&utmcs=UTF-8&utmac=UA-{N7}-1",
        ],
        Ct::Js,
        20_000,
    ),
    (
        "securepubads.g.doubleclick.net",
        Cat::Ads,
        "GET",
        &["/gampad/ads?pvsid={N9}&correlator={N9}&output=ldjh&gdfp_req=1&iu=/{N8}/{SITE}/top"],
        Ct::Json,
        14_000,
    ),
    (
        "stats.g.doubleclick.net",
        Cat::Ads,
        "POST",
        &["/g/collect?v=2&tid=G-{T10}&cid={N9}"],
        Ct::Plain,
        0,
    ),
    (
        "pagead2.googlesyndication.com",
        Cat::Ads,
        "GET",
        &[
            "/pagead/js/adsbygoogle.js?client=ca-pub-{N16}",
            "/pagead/managed/js/adsense/m{N9}/show_ads_impl.js",
        ],
        Ct::Js,
        160_000,
    ),
    (
        "fonts.googleapis.com",
        Cat::Cdn,
        "GET",
        &["/css2?family=Noto+Sans+JP:wght@400;700&display=swap"],
        Ct::Css,
        4_000,
    ),
    (
        "fonts.gstatic.com",
        Cat::Cdn,
        "GET",
        &["/s/notosansjp/v53/{T22}.woff2"],
        Ct::Woff2,
        95_000,
    ),
    (
        "cdnjs.cloudflare.com",
        Cat::Cdn,
        "GET",
        &[
            "/ajax/libs/jquery/3.7.1/jquery.min.js",
            "/ajax/libs/font-awesome/6.5.1/css/all.min.css",
        ],
        Ct::Js,
        87_000,
    ),
    (
        "cdn.jsdelivr.net",
        Cat::Cdn,
        "GET",
        &[
            "/npm/swiper@11/swiper-bundle.min.js",
            "/npm/bootstrap@5.3.3/dist/css/bootstrap.min.css",
        ],
        Ct::Js,
        140_000,
    ),
    (
        "ajax.googleapis.com",
        Cat::Cdn,
        "GET",
        &["/ajax/libs/jquery/3.6.0/jquery.min.js"],
        Ct::Js,
        89_000,
    ),
    (
        "connect.facebook.net",
        Cat::Social,
        "GET",
        &[
            "/ja_JP/sdk.js",
            "/en_US/fbevents.js",
            "/en_US/all.js",
            "/signals/config/{N15}?v=2.9.176",
        ],
        Ct::Js,
        70_000,
    ),
    (
        "www.facebook.com",
        Cat::Social,
        "GET",
        &["/tr/?id={N15}&ev=PageView&dl=https%3A%2F%2F{SITE}%2F&rl=&if=false&ts={N13}"],
        Ct::Gif,
        44,
    ),
    (
        "platform.twitter.com",
        Cat::Social,
        "GET",
        &["/widgets.js"],
        Ct::Js,
        85_000,
    ),
    (
        "b97.yahoo.co.jp",
        Cat::Ads,
        "GET",
        &["/pagelog/c?kv=1&s={N10}&rnd={N9}"],
        Ct::Gif,
        43,
    ),
    (
        "yjtag.yahoo.co.jp",
        Cat::Ads,
        "GET",
        &["/tag?site={T8}&H={N9}"],
        Ct::Js,
        12_000,
    ),
    (
        "s.yimg.jp",
        Cat::Cdn,
        "GET",
        &[
            "/images/listing/tool/cv/ytag.js",
            "/images/advertising/common/js/iicon.min.js?{N10}",
        ],
        Ct::Js,
        22_000,
    ),
    (
        "bat.bing.com",
        Cat::Ads,
        "GET",
        &[
            "/bat.js",
            "/action/0?ti={N8}&tm=gtm002&Ver=2&mid={H8}-{H4}-{H4}-{H4}-{H12}&evt=pageLoad",
        ],
        Ct::Js,
        16_000,
    ),
    (
        "px.ads.linkedin.com",
        Cat::Ads,
        "GET",
        &["/collect?v=2&fmt=js&pid={N7}&time={N13}&url=https%3A%2F%2F{SITE}%2F"],
        Ct::Gif,
        43,
    ),
    (
        "cdn.treasuredata.com",
        Cat::Ads,
        "GET",
        &["/sdk/2.5/td.min.js"],
        Ct::Js,
        64_000,
    ),
    (
        "in.treasuredata.com",
        Cat::Ads,
        "POST",
        &["/js/v3/event/{T8}_web/pageviews?api_key={N5}%2F{H40}"],
        Ct::Json,
        0,
    ),
    (
        "cdn.ampproject.org",
        Cat::Cdn,
        "GET",
        &["/v0.js"],
        Ct::Js,
        80_000,
    ),
    (
        "static.criteo.net",
        Cat::Ads,
        "GET",
        &["/js/ld/publishertag.prebid.js"],
        Ct::Js,
        48_000,
    ),
    (
        "pixel.tapad.com",
        Cat::Ads,
        "GET",
        &["/idsync/ex/receive?partner_id={N4}&partner_device_id={H32}"],
        Ct::Gif,
        43,
    ),
    (
        "sync.im-apps.net",
        Cat::Ads,
        "GET",
        &["/imid/set?cid={N5}&tid=im&uid={H16}"],
        Ct::Gif,
        43,
    ),
    (
        "ad.doubleclick.net",
        Cat::Ads,
        "GET",
        &[
            "/ddm/activity/src={N7};type=invmedia;cat={T8};ord={N13}",
            "/pixel.gif?dc_rdid=&tag_for_child_directed_treatment=",
        ],
        Ct::Gif,
        43,
    ),
];

/// Periodic background software: what a beacon detector must learn to
/// ignore (many hosts, same destination, regular cadence).
#[derive(Debug)]
pub(crate) struct Periodic {
    pub name: &'static str,
    pub host: &'static str,
    pub cat: Cat,
    pub method: &'static str,
    /// `http` or `https` (decrypted) or `connect`.
    pub scheme: &'static str,
    pub paths: &'static [&'static str],
    pub ua: &'static str,
    /// Mean period in seconds.
    pub period_s: f64,
    /// Relative jitter (uniform ± this fraction).
    pub jitter: f64,
    /// Only while the user is present (vs whenever the machine is on).
    pub presence_only: bool,
    /// Fraction of eligible hosts running it.
    pub share: f64,
    /// Servers (true) or workstations (false).
    pub servers: bool,
    pub ct: Ct,
    pub up: u64,
    pub down: u64,
    /// Sent without proxy credentials (service account; auth-exempt ACL).
    pub no_auth: bool,
}

macro_rules! periodic {
    ($name:expr, $host:expr, $cat:ident, $m:expr, $sch:expr, $paths:expr, $ua:expr, $p:expr, $j:expr, $pres:expr, $share:expr, $srv:expr, $ct:ident, $up:expr, $down:expr, $noauth:expr) => {
        Periodic {
            name: $name,
            host: $host,
            cat: Cat::$cat,
            method: $m,
            scheme: $sch,
            paths: $paths,
            ua: $ua,
            period_s: $p,
            jitter: $j,
            presence_only: $pres,
            share: $share,
            servers: $srv,
            ct: Ct::$ct,
            up: $up,
            down: $down,
            no_auth: $noauth,
        }
    };
}

const UA_WU: &str = "Windows-Update-Agent/10.0.10011.16384 Client-Protocol/2.71";
const UA_CRYPTO: &str = "Microsoft-CryptoAPI/10.0";
const UA_NCSI: &str = "Microsoft NCSI";
const UA_DEFENDER: &str = "MpCommunication";
const UA_GUPDATE: &str = "Google Update/1.3.36.412;winhttp";
const UA_EDGEUPD: &str = "Microsoft Edge Update/1.3.195.31;winhttp";
const UA_OFFICE: &str =
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.18129; Pro)";
const UA_TEAMS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0 Teams/24295.606.3238.6194";
const UA_TREND: &str =
    "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 10.0; Win64; x64; Trident/4.0; iCRC)";
const UA_MACKEREL: &str = "mackerel-agent/0.84.0 (Revision 8a4b7e3)";
const UA_APT: &str = "Debian APT-HTTP/1.3 (2.6.1)";
const UA_ONEDRIVE: &str = "Microsoft SkyDriveSync 24.211.1020.0001 ship; Windows NT 10.0 (22631)";

/// The background software mix.
pub(crate) const PERIODIC: &[Periodic] = &[
    periodic!(
        "windows-update-scan",
        "fe3cr.delivery.mp.microsoft.com",
        SoftwareUpdates,
        "POST",
        "https",
        &["/ClientWebService/client.asmx"],
        UA_WU,
        79_200.0,
        0.25,
        false,
        1.0,
        false,
        Xml,
        4_800,
        38_000,
        true
    ),
    periodic!(
        "windows-update-cab",
        "ctldl.windowsupdate.com",
        SoftwareUpdates,
        "GET",
        "http",
        &[
            "/msdownload/update/v3/static/trustedr/en/authrootstl.cab?{H16}",
            "/msdownload/update/v3/static/trustedr/en/disallowedcertstl.cab?{H16}"
        ],
        UA_CRYPTO,
        43_200.0,
        0.3,
        false,
        1.0,
        false,
        Cab,
        400,
        6_200,
        true
    ),
    periodic!(
        "defender-definitions",
        "go.microsoft.com",
        SoftwareUpdates,
        "GET",
        "https",
        &["/fwlink/?LinkID=121721&arch=x64&nri=true"],
        UA_DEFENDER,
        14_400.0,
        0.15,
        false,
        1.0,
        false,
        Html,
        600,
        1_400,
        true
    ),
    periodic!(
        "defender-cloud",
        "wdcp.microsoft.com",
        Security,
        "POST",
        "https",
        &["/wdcp.svc/bond/submitreport"],
        UA_DEFENDER,
        3_600.0,
        0.6,
        false,
        1.0,
        false,
        Octet,
        3_900,
        1_100,
        true
    ),
    periodic!(
        "ncsi",
        "www.msftconnecttest.com",
        Tech,
        "GET",
        "http",
        &["/connecttest.txt"],
        UA_NCSI,
        3_600.0,
        0.4,
        false,
        1.0,
        false,
        Plain,
        180,
        220,
        true
    ),
    periodic!(
        "chrome-update",
        "update.googleapis.com",
        SoftwareUpdates,
        "POST",
        "https",
        &["/service/update2/json?cup2key=13:{N10}&cup2hreq={H64}"],
        UA_GUPDATE,
        18_000.0,
        0.1,
        false,
        0.75,
        false,
        Json,
        2_900,
        1_700,
        true
    ),
    periodic!(
        "edge-update",
        "msedge.api.cdp.microsoft.com",
        SoftwareUpdates,
        "POST",
        "https",
        &[
            "/api/v1.1/contents/Browser/namespaces/Default/names/msedge-stable-win-x64/versions/latest?action=select"
        ],
        UA_EDGEUPD,
        18_000.0,
        0.1,
        false,
        0.9,
        false,
        Json,
        1_200,
        900,
        true
    ),
    periodic!(
        "office-telemetry",
        "self.events.data.microsoft.com",
        Tech,
        "POST",
        "https",
        &["/OneCollector/1.0/"],
        UA_OFFICE,
        1_800.0,
        0.35,
        true,
        0.95,
        false,
        Json,
        4_500,
        500,
        false
    ),
    periodic!(
        "teams-presence",
        "presence.teams.microsoft.com",
        Chat,
        "POST",
        "https",
        &["/v1/me/forceavailability/", "/v1/me/endpoints/"],
        UA_TEAMS,
        1_800.0,
        0.25,
        true,
        0.85,
        false,
        Json,
        1_400,
        700,
        false
    ),
    periodic!(
        "onedrive-sync",
        "g.live.com",
        Storage,
        "GET",
        "https",
        &["/1rewlive5skydrive/ODSUProduction"],
        UA_ONEDRIVE,
        7_200.0,
        0.2,
        true,
        0.8,
        false,
        Xml,
        600,
        3_800,
        false
    ),
    periodic!(
        "trend-url-lookup",
        "osce14-ja.url.trendmicro.com",
        Security,
        "GET",
        "http",
        &["/T/{N3}/{T43}"],
        UA_TREND,
        1_800.0,
        0.8,
        true,
        0.7,
        false,
        Octet,
        450,
        380,
        true
    ),
    periodic!(
        "trend-pattern",
        "iaus.activeupdate.trendmicro.com",
        Security,
        "GET",
        "http",
        &[
            "/activeupdate/server.ini",
            "/activeupdate/japan/pattern/icrc$oth.{N3}"
        ],
        UA_TREND,
        3_600.0,
        0.05,
        false,
        0.7,
        false,
        Octet,
        420,
        9_000,
        true
    ),
    periodic!(
        "crl-digicert",
        "crl3.digicert.com",
        Security,
        "GET",
        "http",
        &[
            "/DigiCertGlobalG2TLSRSASHA2562020CA1-1.crl",
            "/DigiCertTLSRSASHA2562020CA1-4.crl"
        ],
        UA_CRYPTO,
        21_600.0,
        0.5,
        false,
        0.8,
        false,
        Crl,
        350,
        18_000,
        true
    ),
    periodic!(
        "mackerel-agent",
        "api.mackerelio.com",
        Tech,
        "POST",
        "https",
        &["/api/v0/tsdb"],
        UA_MACKEREL,
        60.0,
        0.0,
        false,
        0.5,
        true,
        Json,
        2_300,
        180,
        true
    ),
    periodic!(
        "apt-update",
        "archive.ubuntu.com",
        SoftwareUpdates,
        "GET",
        "http",
        &[
            "/ubuntu/dists/jammy-updates/InRelease",
            "/ubuntu/dists/jammy-security/InRelease"
        ],
        UA_APT,
        86_400.0,
        0.02,
        false,
        0.5,
        true,
        Octet,
        250,
        128_000,
        true
    ),
    periodic!(
        "server-wu",
        "fe3cr.delivery.mp.microsoft.com",
        SoftwareUpdates,
        "POST",
        "https",
        &["/ClientWebService/client.asmx"],
        UA_WU,
        79_200.0,
        0.25,
        false,
        0.5,
        true,
        Xml,
        4_800,
        38_000,
        true
    ),
    periodic!(
        "server-ocsp",
        "ocsp.digicert.com",
        Security,
        "GET",
        "http",
        &[
            "/MFEwTzBNMEswSTAJBgUrDgMCGgUABBSAUQYBMq2awn1Rh6Doh%2FsBYgFV7gQUA95QNVbRTLtm8KPiGxvDl7I90VUCEA{T10}%3D%3D"
        ],
        UA_CRYPTO,
        3_600.0,
        0.3,
        false,
        1.0,
        true,
        Ocsp,
        300,
        1_750,
        true
    ),
];

/// OCSP responders hit while browsing (GET, base64 request in the path).
pub(crate) const OCSP: &[&str] = &[
    "ocsp.digicert.com",
    "ocsp.pki.goog",
    "r11.o.lencr.org",
    "ocsp.sectigo.com",
    "ocsp.globalsign.com",
];

/// Cloud services people use. (host, category, sanctioned by IT, upload
/// path templates, upload method, page paths)
pub(crate) struct Cloud {
    pub name: &'static str,
    pub host: &'static str,
    pub cat: Cat,
    /// Used by most staff (tenant of the company) vs personal / ad-hoc.
    pub sanctioned: bool,
    pub pages: &'static [&'static str],
    pub upload_host: &'static str,
    pub upload_method: &'static str,
    pub upload_paths: &'static [&'static str],
    pub weight: u32,
}

pub(crate) const CLOUDS: &[Cloud] = &[
    Cloud {
        name: "outlook",
        host: "outlook.office.com",
        cat: Cat::Email,
        sanctioned: true,
        pages: &[
            "/mail/",
            "/mail/inbox/id/{T43}",
            "/owa/service.svc?action=GetItem&app=Mail&n={N3}",
            "/calendar/view/week",
        ],
        upload_host: "outlook.office.com",
        upload_method: "POST",
        upload_paths: &["/owa/service.svc?action=CreateAttachmentFromLocalFile&app=Mail&n={N3}"],
        weight: 40,
    },
    Cloud {
        name: "sharepoint",
        host: "corpjp.sharepoint.com",
        cat: Cat::Storage,
        sanctioned: true,
        pages: &[
            "/sites/{DEPT}/Shared%20Documents/Forms/AllItems.aspx",
            "/:x:/r/sites/{DEPT}/_layouts/15/Doc.aspx?sourcedoc=%7B{H8}-{H4}-{H4}-{H4}-{H12}%7D&action=edit",
        ],
        upload_host: "corpjp.sharepoint.com",
        upload_method: "POST",
        upload_paths: &[
            "/sites/{DEPT}/_api/web/GetFolderByServerRelativeUrl('Shared%20Documents')/Files/add(overwrite=true,url='{T8}.xlsx')",
        ],
        weight: 25,
    },
    Cloud {
        name: "onedrive",
        host: "corpjp-my.sharepoint.com",
        cat: Cat::Storage,
        sanctioned: true,
        pages: &["/personal/{USER}/_layouts/15/onedrive.aspx"],
        upload_host: "corpjp-my.sharepoint.com",
        upload_method: "PUT",
        upload_paths: &["/personal/{USER}/_api/v2.0/drive/items/root:/{T8}.pptx:/content"],
        weight: 10,
    },
    Cloud {
        name: "teams",
        host: "teams.microsoft.com",
        cat: Cat::Chat,
        sanctioned: true,
        pages: &[
            "/v2/",
            "/api/chatsvc/jp/v1/users/ME/conversations/19%3A{H32}%40thread.v2/messages?view=msnp24Equivalent&pageSize=200",
        ],
        upload_host: "teams.microsoft.com",
        upload_method: "POST",
        upload_paths: &[
            "/api/chatsvc/jp/v1/users/ME/conversations/19%3A{H32}%40thread.v2/messages",
        ],
        weight: 30,
    },
    Cloud {
        name: "box",
        host: "app.box.com",
        cat: Cat::Storage,
        sanctioned: true,
        pages: &["/folder/{N12}", "/file/{N13}"],
        upload_host: "upload.box.com",
        upload_method: "POST",
        upload_paths: &["/api/2.0/files/content?parent_id={N12}"],
        weight: 14,
    },
    Cloud {
        name: "slack",
        host: "app.slack.com",
        cat: Cat::Chat,
        sanctioned: true,
        pages: &[
            "/client/T{T8}/C{T8}",
            "/api/conversations.history?_x_id={H8}-{N10}.{N3}",
        ],
        upload_host: "files.slack.com",
        upload_method: "POST",
        upload_paths: &["/upload/v1/{T22}"],
        weight: 14,
    },
    Cloud {
        name: "zoom",
        host: "zoom.us",
        cat: Cat::Business,
        sanctioned: true,
        pages: &["/j/{N11}?pwd={T32}", "/wc/{N11}/join"],
        upload_host: "zoom.us",
        upload_method: "POST",
        upload_paths: &["/web/chat/file/upload?t={N13}"],
        weight: 10,
    },
    Cloud {
        name: "salesforce",
        host: "corpjp.my.salesforce.com",
        cat: Cat::Business,
        sanctioned: true,
        pages: &[
            "/lightning/r/Opportunity/006{T15}/view",
            "/aura?r={N2}&ui-force-components-controllers-recordGlobalValueProvider.RecordGvp.getRecord=1",
        ],
        upload_host: "corpjp.my.salesforce.com",
        upload_method: "POST",
        upload_paths: &["/services/data/v61.0/sobjects/ContentVersion"],
        weight: 12,
    },
    Cloud {
        name: "chatwork",
        host: "www.chatwork.com",
        cat: Cat::Chat,
        sanctioned: true,
        pages: &[
            "/#!rid{N9}",
            "/gateway/get_update.php?myid={N7}&_v=1.80a&_av=5&ln=ja&last_id={N9}",
        ],
        upload_host: "www.chatwork.com",
        upload_method: "POST",
        upload_paths: &["/gateway/upload_file.php?myid={N7}&_v=1.80a&_av=5&ln=ja"],
        weight: 8,
    },
    Cloud {
        name: "google-workspace",
        host: "mail.google.com",
        cat: Cat::Email,
        sanctioned: false,
        pages: &["/mail/u/0/", "/sync/u/0/i/s?hl=ja&c={N5}&rt=r&pt=ji"],
        upload_host: "mail.google.com",
        upload_method: "POST",
        upload_paths: &["/mail/u/0/?ui=2&ik={H10}&attid=0.1&upload=1"],
        weight: 8,
    },
    Cloud {
        name: "google-drive",
        host: "drive.google.com",
        cat: Cat::Storage,
        sanctioned: false,
        pages: &["/drive/my-drive", "/drive/folders/{T33}"],
        upload_host: "www.googleapis.com",
        upload_method: "PUT",
        upload_paths: &["/upload/drive/v3/files?uploadType=resumable&upload_id={T40}"],
        weight: 5,
    },
    Cloud {
        name: "dropbox",
        host: "www.dropbox.com",
        cat: Cat::Storage,
        sanctioned: false,
        pages: &["/home", "/scl/fo/{T25}/h?rlkey={T25}&dl=0"],
        upload_host: "content.dropboxapi.com",
        upload_method: "POST",
        upload_paths: &["/2/files/upload"],
        weight: 4,
    },
    Cloud {
        name: "line",
        host: "line.me",
        cat: Cat::Chat,
        sanctioned: false,
        pages: &["/R/ti/p/@{T8}", "/ja/"],
        upload_host: "obs.line-scdn.net",
        upload_method: "POST",
        upload_paths: &["/r/talk/m/{N15}"],
        weight: 4,
    },
    Cloud {
        name: "yahoo-mail",
        host: "mail.yahoo.co.jp",
        cat: Cat::Email,
        sanctioned: false,
        pages: &[
            "/u/pc/f/folder/Inbox",
            "/ws/v3/batch?appid=YahooMailNeo&ymreqid={H8}-{H4}",
        ],
        upload_host: "mail.yahoo.co.jp",
        upload_method: "POST",
        upload_paths: &["/ws/v3/mailboxes/@.id=={T16}/attachments/@.upload"],
        weight: 4,
    },
    Cloud {
        name: "gigafile",
        host: "gigafile.nu",
        cat: Cat::Storage,
        sanctioned: false,
        pages: &["/", "/{N4}-{H32}"],
        upload_host: "46.gigafile.nu",
        upload_method: "POST",
        upload_paths: &["/upload_chunk.php"],
        weight: 3,
    },
    Cloud {
        name: "firestorage",
        host: "firestorage.jp",
        cat: Cat::Storage,
        sanctioned: false,
        pages: &["/", "/download/{H40}"],
        upload_host: "up.firestorage.jp",
        upload_method: "POST",
        upload_paths: &["/upload.cgi"],
        weight: 1,
    },
    Cloud {
        name: "chatgpt",
        host: "chatgpt.com",
        cat: Cat::GenAi,
        sanctioned: false,
        pages: &["/", "/c/{H8}-{H4}-{H4}-{H4}-{H12}"],
        upload_host: "chatgpt.com",
        upload_method: "POST",
        upload_paths: &["/backend-api/conversation"],
        weight: 6,
    },
];

const JP_QUERIES: &[&str] = &[
    "天気 東京",
    "新幹線 時刻表",
    "経費精算 やり方",
    "見積書 テンプレート",
    "エクセル 関数 VLOOKUP",
    "年末調整 2026",
    "会議室 予約",
    "ランチ 新橋",
    "確定申告 医療費控除",
    "pandas groupby",
    "rust lifetime",
    "PowerShell 実行ポリシー",
    "インボイス制度 登録番号",
    "有給休暇 申請",
    "為替 ドル円",
    "台風 進路",
    "SQL 結合 遅い",
    "名刺 注文",
    "営業 メール 書き方",
    "議事録 テンプレート",
    "Teams 画面共有 できない",
    "VPN 接続できない",
    "ふるさと納税",
];

/// Percent-encodes a query for a URL (UTF-8, `+` for space).
fn url_query(s: &str) -> String {
    crate::world::ifilter_escape(s)
}

/// Fills a URL template. Placeholders: `{Hn}` n hex chars, `{Tn}` n
/// alphanumerics, `{Nn}` an n-digit number, `{Q}` a Japanese search query,
/// `{SITE}` the referring site, `{USER}` the OneDrive user slug, `{DEPT}` the
/// department.
pub(crate) fn expand(tpl: &str, r: &mut Rng, site: &str, user: &str, dept: &str) -> String {
    let mut out = String::with_capacity(tpl.len() + 32);
    let mut rest = tpl;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let key = &after[..close];
        let n: usize = key.get(1..).and_then(|d| d.parse().ok()).unwrap_or(8);
        match key.as_bytes().first() {
            Some(b'H') => out.push_str(&r.hex(n)),
            Some(b'T') => out.push_str(&r.token(n)),
            Some(b'N') => {
                out.push(char::from(b'1' + r.range(0, 8) as u8));
                for _ in 1..n {
                    out.push(char::from(b'0' + r.range(0, 9) as u8));
                }
            }
            Some(b'Q') => out.push_str(&url_query(r.pick(JP_QUERIES))),
            Some(b'S') => out.push_str(site),
            Some(b'U') => out.push_str(user),
            Some(b'D') => out.push_str(dept),
            _ => {
                out.push('{');
                out.push_str(key);
                out.push('}');
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// A page path for a site style.
pub(crate) fn page_path(style: Style, r: &mut Rng) -> String {
    let tpl: &str = match style {
        Style::Portal => r.pick(&["/", "/", "/pickup/{N7}", "/topics/{N7}"]),
        Style::News => r.pick(&[
            "/",
            "/articles/ASS{T8}.html",
            "/news/html/2026111{N1}/k{N11}.html",
            "/article/DGXZQO{T14}/",
            "/category/{T6}/",
        ]),
        Style::Search => r.pick(&[
            "/search?q={Q}&hl=ja&ie=UTF-8",
            "/search?q={Q}&sca_esv={H16}&source=hp",
            "/search?q={Q}&form=QBLH",
        ]),
        Style::Shop => r.pick(&[
            "/",
            "/dp/B0{T8}",
            "/item/{N8}/",
            "/search?keyword={Q}",
            "/gp/cart/view.html",
        ]),
        Style::Dev => r.pick(&[
            "/questions/{N8}/{T12}",
            "/{T8}/{T10}",
            "/{T8}/{T10}/issues/{N4}",
            "/items/{H20}",
            "/search?q={Q}",
        ]),
        Style::Video => r.pick(&["/", "/watch?v={T11}", "/results?search_query={Q}"]),
        Style::Corporate => r.pick(&[
            "/",
            "/company/",
            "/products/{T8}.html",
            "/news/2026/{N4}.html",
            "/recruit/",
        ]),
        Style::Gov => r.pick(&[
            "/",
            "/content/{N9}.pdf",
            "/stf/seisakunitsuite/bunya/{T10}.html",
            "/page/{N5}.html",
        ]),
        Style::Blog => r.pick(&[
            "/",
            "/entry/2026/11/1{N1}/{N6}",
            "/{T10}/entry-{N11}.html",
            "/n/n{H12}",
        ]),
        Style::Reference => r.pick(&["/wiki/{T10}", "/search?q={Q}", "/content/{N6}", "/"]),
        Style::Social => r.pick(&[
            "/home",
            "/{T9}/status/{N19}",
            "/feed/",
            "/i/api/graphql/{T22}/HomeTimeline?variables=%7B%22count%22%3A20%7D",
        ]),
    };
    expand(tpl, r, "", "", "")
}

/// A static sub-resource path on a site's own host or CDN, with its type and
/// typical size.
pub(crate) fn asset(r: &mut Rng) -> (String, Ct, u64) {
    match r.weighted(&[14, 16, 30, 12, 6, 6, 6, 10]) {
        0 => (
            format!("/static/css/main.{}.css", r.hex(8)),
            Ct::Css,
            38_000,
        ),
        1 => (format!("/static/js/app.{}.js", r.hex(8)), Ct::Js, 120_000),
        2 => (
            format!("/images/{}/{}.jpg", r.range(2019, 2026), r.token(12)),
            Ct::Jpeg,
            65_000,
        ),
        3 => (format!("/img/common/{}.png", r.alnum(8)), Ct::Png, 12_000),
        4 => (format!("/assets/icons/{}.svg", r.alnum(6)), Ct::Svg, 2_500),
        5 => (format!("/fonts/{}.woff2", r.alnum(10)), Ct::Woff2, 60_000),
        6 => (
            format!(
                "/api/v1/{}?_={}",
                r.alnum(6),
                r.range(1_763_000_000_000, 1_764_999_999_999)
            ),
            Ct::Json,
            3_000,
        ),
        _ => (format!("/img/{}.webp", r.token(16)), Ct::Webp, 40_000),
    }
}

const LT_WORDS: &[&str] = &[
    "sakura", "midori", "aozora", "hikari", "yamato", "fuji", "kaze", "hoshi", "umi", "mori",
    "hana", "sora", "kawa", "tsuki", "nagomi", "kizuna", "asahi", "minato", "kotobuki", "daiichi",
    "shinwa", "tokai", "hokuto", "seiwa", "kyowa", "meiwa", "taisei", "sanwa", "nihon", "tohoku",
    "kansai", "kyushu", "shonan", "setouchi",
];
const LT_BIZ: &[&str] = &[
    "koumuten",
    "kensetsu",
    "sekkei",
    "shika",
    "clinic",
    "seikotsuin",
    "dental",
    "farm",
    "design",
    "kogyo",
    "shoji",
    "unyu",
    "denki",
    "fudosan",
    "hoken",
    "ryokan",
    "cafe",
    "bakery",
    "salon",
    "juku",
    "law",
    "zeirishi",
    "kaikei",
    "print",
    "insatsu",
    "tosou",
    "seimitsu",
    "giken",
    "sangyo",
    "foods",
];
const LT_TLD: &[(&str, u32)] = &[
    ("co.jp", 30),
    ("jp", 22),
    ("com", 20),
    ("net", 8),
    ("or.jp", 4),
    ("ne.jp", 3),
    ("info", 2),
    ("shop", 2),
];

/// A generated small-business or blog domain that looks like a real one
/// (`sakura-koumuten.co.jp`, `hikari-dental.jp`, `kawa-nagomi.hatenablog.com`).
pub(crate) fn longtail_name(r: &mut Rng) -> String {
    let w = r.pick(LT_WORDS);
    let tlds: Vec<u32> = LT_TLD.iter().map(|t| t.1).collect();
    let tld = LT_TLD[r.weighted(&tlds)].0;
    match r.weighted(&[50, 15, 12, 10, 13]) {
        0 => format!("{w}-{}.{tld}", r.pick(LT_BIZ)),
        1 => format!("www.{w}{}.{tld}", r.pick(LT_BIZ)),
        2 => format!("{w}-{}.hatenablog.com", r.pick(LT_WORDS)),
        3 => format!("{w}{}.blog.fc2.com", r.range(1, 99)),
        _ => format!("www.{}-{w}.{tld}", r.pick(LT_BIZ)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_fills_every_placeholder() {
        let mut r = Rng::new(3);
        let s = expand(
            "/a/{H8}/{T5}/{N4}?q={Q}&s={SITE}&u={USER}&d={DEPT}",
            &mut r,
            "ex.jp",
            "u1",
            "eigyo",
        );
        assert!(!s.contains('{'), "{s}");
        let parts: Vec<&str> = s.split('/').collect();
        assert_eq!(parts[2].len(), 8);
        assert!(parts[2].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(parts[3].len(), 5);
        assert!(parts[4].starts_with(|c: char| c.is_ascii_digit()));
        assert!(s.ends_with("&s=ex.jp&u=u1&d=eigyo"));
        assert!(s.is_ascii());
    }

    #[test]
    fn longtail_names_look_like_domains() {
        let mut r = Rng::new(9);
        for _ in 0..500 {
            let n = longtail_name(&mut r);
            assert!(n.contains('.') && n.is_ascii() && !n.contains(' '), "{n}");
            assert!(
                n.bytes().all(|b| b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || b == b'.'
                    || b == b'-')
            );
        }
    }
}
