//! The organisation's policy file: parsing, errors, and the decision order.

use kensa_enrich::{Catalog, Category, Error, Policy, Sanction};

fn catalog() -> Catalog {
    Catalog::builtin().unwrap()
}

fn status(c: &Catalog, p: &Policy, host: &str) -> Sanction {
    let m = c.lookup(host).unwrap_or_else(|| panic!("{host}"));
    p.status(m.service, m.tenant)
}

const POLICY: &str = r#"
# Example Corp policy
[categories]
storage = "unsanctioned"
generative_ai = "unsanctioned"
tor = "unsanctioned"

[services]
box = "sanctioned"
microsoft-sharepoint = "sanctioned"
microsoft-onedrive-business = "sanctioned"
slack = "sanctioned"
deepl = "sanctioned"
ngrok = "unknown"

[tenants]
microsoft-sharepoint = ["contoso"]
microsoft-onedrive-business = ["Contoso"]
slack = ["contoso", "contoso-jp"]
"#;

#[test]
fn decision_order_tenant_then_service_then_category_then_default() {
    let c = catalog();
    let p = Policy::from_toml("policy.toml", POLICY, &c).unwrap();
    // 1. Tenants.
    assert_eq!(
        status(&c, &p, "contoso.sharepoint.com"),
        Sanction::Sanctioned
    );
    assert_eq!(
        status(&c, &p, "contoso-my.sharepoint.com"),
        Sanction::Sanctioned,
        "tenant names are case-folded"
    );
    assert_eq!(
        status(&c, &p, "fabrikam.sharepoint.com"),
        Sanction::Unsanctioned,
        "foreign tenant"
    );
    assert_eq!(
        status(&c, &p, "taro-my.sharepoint.com"),
        Sanction::Unsanctioned,
        "personal tenant"
    );
    assert_eq!(status(&c, &p, "contoso-jp.slack.com"), Sanction::Sanctioned);
    assert_eq!(status(&c, &p, "hobby.slack.com"), Sanction::Unsanctioned);
    // Host without a tenant falls through to the service entry.
    assert_eq!(status(&c, &p, "app.slack.com"), Sanction::Sanctioned);
    // 2. Services beat categories.
    assert_eq!(status(&c, &p, "upload.box.com"), Sanction::Sanctioned);
    assert_eq!(status(&c, &p, "www2.deepl.com"), Sanction::Sanctioned);
    assert_eq!(status(&c, &p, "abc.ngrok-free.app"), Sanction::Unknown);
    // 3. Categories.
    assert_eq!(status(&c, &p, "www.dropbox.com"), Sanction::Unsanctioned);
    assert_eq!(status(&c, &p, "chatgpt.com"), Sanction::Unsanctioned);
    // 4. Category defaults.
    assert_eq!(status(&c, &p, "mail.google.com"), Sanction::Unknown);
    assert_eq!(status(&c, &p, "pastebin.com"), Sanction::Unsanctioned);
    assert_eq!(status(&c, &p, "gigafile.nu"), Sanction::Unsanctioned);
    assert_eq!(status(&c, &p, "anydesk.com"), Sanction::Unsanctioned);
}

#[test]
fn empty_policy_uses_documented_category_defaults() {
    let c = catalog();
    let p = Policy::default();
    for s in c.services() {
        assert_eq!(p.status(s, None), s.category.default_status(), "{}", s.id);
    }
    let unsanctioned: Vec<&str> = Category::ALL
        .iter()
        .filter(|c| c.default_status() == Sanction::Unsanctioned)
        .map(|c| c.as_str())
        .collect();
    assert_eq!(
        unsanctioned,
        [
            "file_transfer",
            "paste",
            "remote_access",
            "vpn_proxy",
            "tor",
            "dynamic_dns"
        ]
    );
    assert_eq!(
        Policy::from_toml("empty.toml", "", &c)
            .unwrap()
            .status(c.get("box").unwrap(), None),
        Sanction::Unknown
    );
}

fn err(text: &str) -> (Option<usize>, Option<String>, String, String) {
    let c = catalog();
    let e = Policy::from_toml("policy.toml", text, &c).expect_err("must be rejected");
    let shown = e.to_string();
    match e {
        Error::Invalid {
            file,
            line,
            key,
            message,
        } => {
            assert_eq!(file, "policy.toml");
            (line, key, message, shown)
        }
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn errors_name_file_line_and_key() {
    let (line, key, msg, shown) =
        err("[services]\nbox = \"sanctioned\"\ndropbx = \"sanctioned\"\n");
    assert_eq!((line, key.as_deref()), (Some(3), Some("dropbx")));
    assert!(msg.contains("no service"), "{msg}");
    assert_eq!(
        shown,
        "policy.toml:3: `dropbx`: no service with this id in the catalog"
    );

    let (line, key, msg, _) = err("\n[categories]\nstorage = \"allowed\"\n");
    assert_eq!((line, key.as_deref()), (Some(3), Some("storage")));
    assert!(msg.contains("\"allowed\" is not a status"), "{msg}");

    let (line, key, msg, _) = err("[categories]\ncloud = \"sanctioned\"\n");
    assert_eq!((line, key.as_deref()), (Some(2), Some("cloud")));
    assert!(
        msg.contains("unknown category") && msg.contains("generative_ai"),
        "{msg}"
    );

    let (line, key, msg, _) = err("[tenants]\nbox = [\"acme\"]\ngigafile = [\"x\"]\n");
    assert_eq!((line, key.as_deref()), (Some(3), Some("gigafile")));
    assert!(msg.contains("no tenant"), "{msg}");

    let (line, _, msg, _) = err("[tenants]\nslack = [\"ok\",\n  \"acme.slack.com\"]\n");
    assert_eq!(line, Some(3));
    assert!(msg.contains("not a tenant label"), "{msg}");

    let (line, _, msg, _) = err("[servces]\nbox = \"sanctioned\"\n");
    assert_eq!(line, Some(1));
    assert!(msg.contains("servces"), "{msg}");

    let (line, _, _, _) = err("[services]\nbox = sanctioned\n");
    assert_eq!(line, Some(2));

    let (line, _, msg, _) = err("[services]\nbox = 1\n");
    assert_eq!(line, Some(2));
    assert!(!msg.is_empty());
}

#[test]
fn policy_file_on_disk() {
    let c = catalog();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("policy.toml");
    std::fs::write(&p, POLICY).unwrap();
    let pol = Policy::load(&p, &c).unwrap();
    assert_eq!(status(&c, &pol, "upload.box.com"), Sanction::Sanctioned);
    let e = Policy::load(&dir.path().join("nope.toml"), &c).unwrap_err();
    assert!(e.to_string().contains("nope.toml"), "{e}");
    std::fs::write(&p, "[services]\nbox = \"maybe\"\n").unwrap();
    let e = Policy::load(&p, &c).unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("{}:2: `box`:", p.display())),
        "{e}"
    );
}
