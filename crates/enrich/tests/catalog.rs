//! The built-in catalog: validation, coverage, host lookups, user files.

use std::collections::{BTreeMap, HashSet};

use kensa_enrich::{Catalog, Category, Error, normalize_host};

fn catalog() -> Catalog {
    Catalog::builtin().expect("built-in catalog loads")
}

fn lookup(c: &Catalog, host: &str) -> Option<String> {
    let h = normalize_host(host);
    c.lookup(&h).map(|m| m.service.id.clone())
}

#[test]
fn builtin_catalog_is_large_valid_and_covers_every_category() {
    let c = catalog();
    assert!(c.len() >= 300, "only {} services", c.len());
    let mut ids = HashSet::new();
    let mut per_cat: BTreeMap<&str, usize> = BTreeMap::new();
    for s in c.services() {
        assert!(ids.insert(s.id.as_str()), "duplicate id {}", s.id);
        assert!(
            !s.name.trim().is_empty() && !s.vendor.trim().is_empty(),
            "{}",
            s.id
        );
        assert!(
            !(s.domains.is_empty() && s.hosts.is_empty() && s.patterns.is_empty()),
            "{}",
            s.id
        );
        assert!(s.source.starts_with("<built-in>/"), "{}", s.source);
        *per_cat.entry(s.category.as_str()).or_default() += 1;
        // Every literal name of a service finds that service (no other entry shadows it).
        for d in s.domains.iter().chain(&s.hosts) {
            let got = c.lookup(d).map(|m| m.service.id.as_str());
            assert_eq!(got, Some(s.id.as_str()), "{d} of {}", s.id);
        }
        for u in &s.uploads {
            assert!(u.id.starts_with(&format!("{}/", s.id)), "{}", u.id);
            if let Some(t) = &u.service {
                assert!(c.get(t).is_some(), "{} names {t}", u.id);
            }
        }
    }
    for cat in Category::ALL {
        let n = per_cat.get(cat.as_str()).copied().unwrap_or(0);
        assert!(n >= 5, "category {cat} has {n} services");
    }
    // Enough request rules to make the upload flag worth having.
    let rules: usize = c.services().iter().map(|s| s.uploads.len()).sum();
    assert!(rules >= 120, "{rules} upload rules");
}

#[test]
fn japanese_services_are_in_the_catalog() {
    let c = catalog();
    // (host as it appears in a proxy log, expected id, expected category)
    let cases = [
        ("46.gigafile.nu", "gigafile", Category::FileTransfer),
        ("firestorage.jp", "firestorage", Category::FileTransfer),
        ("www.datadeliver.net", "datadeliver", Category::FileTransfer),
        ("www.filesend.to", "filesend", Category::FileTransfer),
        ("mail.yahoo.co.jp", "yahoo-japan-mail", Category::Webmail),
        (
            "jp.mg5.mail.yahoo.co.jp",
            "yahoo-japan-mail",
            Category::Webmail,
        ),
        ("obs.line-apps.com", "line", Category::Messaging),
        ("access.line.me", "line", Category::Messaging),
        ("www.chatwork.com", "chatwork", Category::Messaging),
        ("api.chatwork.com", "chatwork", Category::Messaging),
        ("www.rakuten-drive.com", "rakuten-drive", Category::Storage),
        ("api.direct4b.com", "direct", Category::Messaging),
        ("talk.worksmobile.com", "line-works", Category::Messaging),
        ("acme.cybozu.com", "cybozu", Category::Collaboration),
        ("acme.s.cybozu.com", "cybozu", Category::Collaboration),
        ("ap.sansan.com", "sansan", Category::Collaboration),
        ("note.com", "note", Category::Social),
        ("ameblo.jp", "ameba", Category::Social),
        ("mixi.jp", "mixi", Category::Social),
        ("b.hatena.ne.jp", "hatena", Category::Social),
        ("someone.hatenablog.com", "hatena", Category::Social),
        ("qiita.com", "qiita", Category::Social),
        ("webmail.nifty.com", "nifty", Category::Webmail),
        ("webmail.biglobe.ne.jp", "biglobe", Category::Webmail),
        ("webmail.so-net.ne.jp", "so-net", Category::Webmail),
        ("app.box.com", "box", Category::Storage),
        ("box.yahoo.co.jp", "yahoo-japan-box", Category::Storage),
        ("acme.backlog.jp", "backlog", Category::Collaboration),
        ("mstdn.jp", "mastodon-major", Category::Social),
        ("misskey.io", "misskey", Category::Social),
        ("www.vpngate.net", "vpngate", Category::VpnProxy),
        ("gyazo.com", "gyazo", Category::Storage),
        ("myhome.mydns.jp", "mydns-jp", Category::DynamicDns),
        ("www.cloudsign.jp", "cloudsign", Category::Collaboration),
        ("www2.deepl.com", "deepl", Category::GenerativeAi),
    ];
    for (host, id, cat) in cases {
        let m = c.lookup(host).unwrap_or_else(|| panic!("{host} not found"));
        assert_eq!(m.service.id, id, "{host}");
        assert_eq!(m.service.category, cat, "{host}");
    }
    // Japanese names are carried for the report.
    assert_eq!(
        c.get("gigafile").unwrap().name_ja.as_deref(),
        Some("ギガファイル便")
    );
    assert_eq!(
        c.get("datadeliver").unwrap().name_ja.as_deref(),
        Some("データ便")
    );
    assert_eq!(
        c.get("filesend").unwrap().name_ja.as_deref(),
        Some("宅ふぁいる便")
    );
    assert_eq!(
        c.get("yahoo-japan-mail").unwrap().name_ja.as_deref(),
        Some("Yahoo!メール")
    );
}

#[test]
fn host_table_maps_subdomains_and_rejects_lookalikes() {
    let c = catalog();
    let cases: &[(&str, Option<&str>)] = &[
        // Registered domains and subdomains.
        ("dropbox.com", Some("dropbox")),
        ("www.dropbox.com", Some("dropbox")),
        ("content.dropboxapi.com", Some("dropbox")),
        ("dl.dropboxusercontent.com", Some("dropbox")),
        ("WWW.DROPBOX.COM.", Some("dropbox")),
        ("drive.google.com", Some("google-drive")),
        ("doc-0k-8g-docs.googleusercontent.com", Some("google-drive")),
        ("www.googleapis.com", Some("google-apis")),
        ("mail.google.com", Some("gmail")),
        ("docs.google.com", Some("google-docs")),
        ("meet.google.com", Some("google-meet")),
        ("gemini.google.com", Some("gemini")),
        ("script.google.com", Some("google-apps-script")),
        ("onedrive.live.com", Some("microsoft-onedrive")),
        (
            "contoso-my.sharepoint.com",
            Some("microsoft-onedrive-business"),
        ),
        ("contoso.sharepoint.com", Some("microsoft-sharepoint")),
        ("outlook.office365.com", Some("outlook")),
        ("graph.microsoft.com", Some("microsoft-graph")),
        ("teams.microsoft.com", Some("microsoft-teams")),
        ("upload.box.com", Some("box")),
        ("g.api.mega.co.nz", Some("mega")),
        ("gfs270n102.userstorage.mega.co.nz", Some("mega")),
        ("mega.nz", Some("mega")),
        ("wetransfer.com", Some("wetransfer")),
        ("pastebin.com", Some("pastebin")),
        ("api.telegram.org", Some("telegram")),
        ("discord.com", Some("discord")),
        ("cdn.discordapp.com", Some("discord")),
        (
            "discord-attachments-uploads-prd.storage.googleapis.com",
            Some("discord"),
        ),
        (
            "mybucket.storage.googleapis.com",
            Some("google-cloud-storage"),
        ),
        ("hooks.slack.com", Some("slack")),
        ("acme.slack.com", Some("slack")),
        ("gist.github.com", Some("github-gist")),
        ("api.github.com", Some("github")),
        ("raw.githubusercontent.com", Some("github")),
        (
            "copilot-proxy.githubusercontent.com",
            Some("github-copilot"),
        ),
        ("someone.github.io", Some("github-pages")),
        ("chatgpt.com", Some("chatgpt")),
        ("chat.openai.com", Some("chatgpt")),
        ("api.openai.com", Some("openai-api")),
        ("claude.ai", Some("claude")),
        ("api.anthropic.com", Some("anthropic-api")),
        ("generativelanguage.googleapis.com", Some("gemini-api")),
        ("us-central1-aiplatform.googleapis.com", Some("vertex-ai")),
        ("acme.openai.azure.com", Some("azure-openai")),
        ("relay-9b6827f2.net.anydesk.com", Some("anydesk")),
        ("router15.teamviewer.com", Some("teamviewer")),
        ("abcd-1234.ngrok-free.app", Some("ngrok")),
        ("random-words.trycloudflare.com", Some("cloudflare-tunnel")),
        ("vpn-api.proton.me", Some("proton-vpn")),
        ("drive.proton.me", Some("proton-drive")),
        ("account.proton.me", Some("proton-mail")),
        ("mask.icloud.com", Some("icloud-private-relay")),
        ("www.icloud.com", Some("icloud")),
        ("bridges.torproject.org", Some("tor-project")),
        ("expyuzz4wqqyqhjn.onion", Some("onion")),
        ("bit.ly", Some("bitly")),
        ("t.co", Some("t-co")),
        ("myhost.duckdns.org", Some("duckdns")),
        ("evil.ddns.net", Some("noip")),
        ("us02web.zoom.us", Some("zoom")),
        ("acme.atlassian.net", Some("atlassian-cloud")),
        ("upload.youtube.com", Some("youtube")),
        ("bucket.s3.ap-northeast-1.amazonaws.com", Some("amazon-s3")),
        ("s3-ap-northeast-1.amazonaws.com", Some("amazon-s3")),
        ("acct.blob.core.windows.net", Some("azure-blob")),
        // Lookalikes and near misses: must NOT match.
        ("dropbox.com.evil.example", None),
        ("evildropbox.com", None),
        ("dropbox.co", None),
        ("dropbox-com.example.net", None),
        ("mega.nz.attacker.io", None),
        ("userstorage.mega.co.nz.evil.example", None),
        ("google.com", None),
        ("www.google.com", None),
        ("googleapis.com", None),
        ("storage.googleapis.com.evil.example", None),
        ("amazonaws.com", None),
        ("ec2-1-2-3-4.compute-1.amazonaws.com", None),
        ("sharepoint.com.phish.example", None),
        ("my-sharepoint.com", None),
        ("slack.com-login.example", None),
        ("githubusercontent.com.evil.example", None),
        ("xn--dropbx-3ua.com", None),
        ("example.com", None),
        ("www.example.co.jp", None),
        ("localhost", None),
        ("com", None),
        ("", None),
        (".", None),
        ("..", None),
        ("a..dropbox", None),
        ("onion.example", None),
    ];
    assert!(cases.len() >= 60);
    for (host, want) in cases {
        assert_eq!(lookup(&c, host).as_deref(), *want, "{host:?}");
    }
}

#[test]
fn tenants_are_read_from_hosts() {
    let c = catalog();
    let t = |h: &str| c.lookup(h).and_then(|m| m.tenant).map(str::to_string);
    assert_eq!(t("contoso-my.sharepoint.com").as_deref(), Some("contoso"));
    assert_eq!(t("contoso.sharepoint.com").as_deref(), Some("contoso"));
    assert_eq!(
        t("contoso-admin.sharepoint.com").as_deref(),
        Some("contoso")
    );
    assert_eq!(t("acme.slack.com").as_deref(), Some("acme"));
    assert_eq!(t("acme.enterprise.slack.com").as_deref(), Some("acme"));
    assert_eq!(t("app.slack.com"), None, "vendor host, not a workspace");
    assert_eq!(t("hooks.slack.com"), None);
    assert_eq!(t("acme.cybozu.com").as_deref(), Some("acme"));
    assert_eq!(t("acme.s.cybozu.com").as_deref(), Some("acme"));
    assert_eq!(t("www.cybozu.com"), None);
    assert_eq!(t("bigco.app.box.com").as_deref(), Some("bigco"));
    assert_eq!(t("app.box.com"), None);
    assert_eq!(t("mybucket.s3.amazonaws.com").as_deref(), Some("mybucket"));
    assert_eq!(t("evil.ddns.net").as_deref(), Some("evil"));
    assert_eq!(t("dropbox.com"), None);
}

fn invalid(text: &str) -> Error {
    Catalog::from_sources(&[("user.toml", text)]).expect_err("must be rejected")
}

fn located(e: &Error) -> (Option<usize>, Option<String>, String) {
    match e {
        Error::Invalid {
            file,
            line,
            key,
            message,
        } => {
            assert_eq!(file, "user.toml", "{e}");
            (*line, key.clone(), message.clone())
        }
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn user_catalog_errors_name_file_line_and_key() {
    let e = invalid(
        "[[service]]\nid = \"x\"\nname = \"X\"\nvendor = \"V\"\ncategory = \"cloud\"\ndomains = [\"x.example\"]\n",
    );
    let (line, key, msg) = located(&e);
    assert_eq!(line, Some(5));
    assert_eq!(key.as_deref(), Some("category"));
    assert!(
        msg.contains("unknown category") && msg.contains("storage"),
        "{msg}"
    );
    assert!(e.to_string().starts_with("user.toml:5: `category`:"), "{e}");

    let e = invalid(
        "[[service]]\nid = \"x\"\nname = \"X\"\nvendor = \"V\"\ncategory = \"paste\"\ndomains = [\"x.example\"]\n\
         [[service.upload]]\nname = \"u\"\npath = \"/(unclosed\"\n",
    );
    let (line, key, msg) = located(&e);
    assert_eq!((line, key.as_deref()), (Some(9), Some("x/u")));
    assert!(msg.contains("bad `path` regex"), "{msg}");

    let e = invalid(
        "[[service]]\nid = \"x\"\nname = \"X\"\nvendor = \"V\"\ncategory = \"paste\"\ndomains = [\"X.Example\"]\n",
    );
    assert_eq!(located(&e).0, Some(6));
    assert!(located(&e).2.contains("lower case"));

    let e =
        invalid("[[service]]\nid = \"x\"\nname = \"X\"\nvendor = \"V\"\ncategory = \"paste\"\n");
    assert!(located(&e).2.contains("at least one of"));

    let e = invalid(
        "[[service]]\nid = \"x\"\nname = \"X\"\ncategory = \"paste\"\ndomains = [\"x.example\"]\n",
    );
    assert!(located(&e).2.contains("missing `vendor`"));

    let e = invalid("[[service]]\nid = \"x\"\nbogus = 1\n");
    let (line, _, msg) = located(&e);
    assert_eq!(line, Some(3));
    assert!(msg.contains("bogus"), "{msg}");

    let e = invalid(
        "[[service]]\nid = \"a\"\nenabled = false\n[[service]]\nid = \"a\"\nenabled = false\n",
    );
    let (line, _, msg) = located(&e);
    assert_eq!(line, Some(5));
    assert!(msg.contains("first on line 2"), "{msg}");

    let e = invalid("[[service]]\nid = \"no-such-service\"\nenabled = false\n");
    assert!(located(&e).2.contains("names no service"));

    let e = invalid(
        "[[service]]\nid = \"x\"\nname = \"X\"\nvendor = \"V\"\ncategory = \"paste\"\npatterns = [\"*.com\"]\n",
    );
    assert!(located(&e).2.contains("single label"), "{e}");
    let e = invalid(
        "[[service]]\nid = \"x\"\nname = \"X\"\nvendor = \"V\"\ncategory = \"paste\"\npatterns = [\"*.co.jp\"]\n",
    );
    assert!(located(&e).2.contains("too broad"), "{e}");
    let e = invalid(
        "[[service]]\nid = \"x\"\nname = \"X\"\nvendor = \"V\"\ncategory = \"paste\"\ndomains = [\"co.jp\"]\n",
    );
    assert_eq!(located(&e).0, Some(6));
    assert!(located(&e).2.contains("public suffix"), "{e}");

    let e = invalid(
        "[[service]]\nid = \"Bad Id\"\nname = \"X\"\nvendor = \"V\"\ncategory = \"paste\"\ndomains = [\"x.example\"]\n",
    );
    assert_eq!(located(&e).0, Some(2));

    let e = invalid("not toml = = =");
    assert_eq!(located(&e).0, Some(1));
}

#[test]
fn a_name_claimed_twice_is_an_error_naming_both_services() {
    let e = invalid(
        "[[service]]\nid = \"my-dropbox\"\nname = \"X\"\nvendor = \"V\"\ncategory = \"storage\"\ndomains = [\"dropbox.com\"]\n",
    );
    let msg = e.to_string();
    assert!(
        msg.contains("my-dropbox") && msg.contains("`dropbox`") && msg.contains("dropbox.com"),
        "{msg}"
    );
}

#[test]
fn user_catalog_replaces_extends_and_removes() {
    let user = r#"
[[service]]
id = "corp-files"
name = "Corp file exchange"
vendor = "Example Corp"
category = "file_transfer"
domains = ["files.corp.example"]
[[service.upload]]
name = "put"
methods = ["PUT"]
path = "/upload/"

[[service]]
id = "dropbox"
name = "Dropbox (reviewed)"
vendor = "Dropbox, Inc."
category = "storage"
domains = ["dropbox.com"]

[[service]]
id = "bitly"
enabled = false
"#;
    let c = Catalog::from_sources(&[("user.toml", user)]).unwrap();
    let base = catalog();
    assert_eq!(c.len(), base.len(), "one added, one removed");
    // Extension.
    let m = c.lookup("dl.files.corp.example").unwrap();
    assert_eq!(m.service.id, "corp-files");
    assert_eq!(m.service.source, "user.toml");
    assert!(
        c.upload_rule(
            m.service,
            Some("PUT"),
            "dl.files.corp.example",
            Some("/upload/a.zip"),
            None
        )
        .is_some()
    );
    // Replacement: whole entry replaced, so dropboxapi.com is no longer Dropbox.
    assert_eq!(c.get("dropbox").unwrap().name, "Dropbox (reviewed)");
    assert_eq!(lookup(&c, "www.dropbox.com").as_deref(), Some("dropbox"));
    assert_eq!(lookup(&c, "content.dropboxapi.com"), None);
    assert!(c.get("dropbox").unwrap().uploads.is_empty());
    // Removal.
    assert!(c.get("bitly").is_none());
    assert_eq!(lookup(&c, "bit.ly"), None);
    // A user file on disk, and a missing one.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("services.toml");
    std::fs::write(&p, user).unwrap();
    assert!(
        Catalog::builtin_with_user_file(&p)
            .unwrap()
            .get("corp-files")
            .is_some()
    );
    let e = Catalog::builtin_with_user_file(&dir.path().join("missing.toml")).unwrap_err();
    assert!(
        matches!(e, Error::Io { .. }) && e.to_string().contains("missing.toml"),
        "{e}"
    );
}

/// `lookup_ip` (an integer index, longest prefix first) agrees with the
/// definition — the longest published range holding the address, the later
/// service on a tie — for every address of the catalog's ranges and their
/// neighbours, with nested and tied ranges added by a user file.
#[test]
fn ip_lookup_is_the_longest_published_prefix() {
    let user = r#"
[[service]]
id = "test-outer"
name = "Outer"
vendor = "T"
category = "storage"
cidrs = ["203.0.113.0/24", "2001:db8::/32"]

[[service]]
id = "test-inner"
name = "Inner"
vendor = "T"
category = "webmail"
cidrs = ["203.0.113.128/25", "2001:db8:1::/48"]

[[service]]
id = "test-tie"
name = "Tie"
vendor = "T"
category = "social"
cidrs = ["203.0.113.128/25"]
"#;
    let c = Catalog::from_sources(&[("user.toml", user)]).expect("user catalog loads");
    let naive = |ip: std::net::IpAddr| {
        c.services()
            .iter()
            .flat_map(|s| s.cidrs.iter().map(move |n| (n, s)))
            .filter(|(n, _)| n.contains(&ip))
            .max_by_key(|(n, _)| n.prefix_len())
            .map(|(_, s)| s.id.clone())
    };
    // Each range's network and broadcast addresses, its middle, and the
    // addresses just outside it.
    let around = |a: u128, b: u128| [a.wrapping_sub(1), a, a + (b - a) / 2, b, b.wrapping_add(1)];
    let mut probes: Vec<std::net::IpAddr> = Vec::new();
    for s in c.services() {
        for n in &s.cidrs {
            match n {
                ipnet::IpNet::V4(n) => probes.extend(
                    around(u32::from(n.network()).into(), u32::from(n.broadcast()).into())
                        .map(|x| std::net::IpAddr::from(std::net::Ipv4Addr::from(x as u32))),
                ),
                ipnet::IpNet::V6(n) => probes.extend(
                    around(n.network().into(), n.broadcast().into())
                        .map(|x| std::net::IpAddr::from(std::net::Ipv6Addr::from(x))),
                ),
            }
        }
    }
    assert!(
        catalog().services().iter().any(|s| !s.cidrs.is_empty()),
        "the built-in catalog publishes vendor ranges"
    );
    assert!(probes.len() > 25, "built-in and user ranges probed: {}", probes.len());
    for ip in probes {
        assert_eq!(c.lookup_ip(ip).map(|s| s.id.clone()), naive(ip), "{ip}");
    }
    let id = |a: &str| c.lookup_ip(a.parse().unwrap()).map(|s| s.id.clone());
    assert_eq!(id("203.0.113.5").as_deref(), Some("test-outer"));
    assert_eq!(id("203.0.113.200").as_deref(), Some("test-tie"));
    assert_eq!(id("2001:db8:1::9").as_deref(), Some("test-inner"));
    assert_eq!(id("2001:db8:2::9").as_deref(), Some("test-outer"));
    assert_eq!(id("192.0.2.1"), None);
}
