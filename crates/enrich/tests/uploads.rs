//! Upload/send/post rules fire on the documented API requests, and not on
//! ordinary page loads.

use std::borrow::Cow;

use kensa_enrich::{EnrichConfig, Enricher, Policy};
use kensa_model::WebRecord;

fn enricher() -> Enricher {
    let catalog = kensa_enrich::Catalog::builtin().unwrap();
    Enricher::new(catalog, Policy::default(), EnrichConfig::default()).unwrap()
}

fn rec<'a>(method: &'a str, host: &'a str, path_query: &'a str) -> WebRecord<'a> {
    let (path, query) = match path_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_query, None),
    };
    WebRecord {
        method: Some(Cow::Borrowed(method)),
        host: Some(Cow::Borrowed(host)),
        path: Some(Cow::Borrowed(path)),
        query: query.map(Cow::Borrowed),
        ..Default::default()
    }
}

/// (method, host, path?query, expected service, expected rule id)
const FIRES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "POST",
        "content.dropboxapi.com",
        "/2/files/upload",
        "dropbox",
        "dropbox/files-upload",
    ),
    (
        "POST",
        "content.dropboxapi.com",
        "/2/files/upload_session/start",
        "dropbox",
        "dropbox/files-upload",
    ),
    (
        "POST",
        "content.dropboxapi.com",
        "/2/files/upload_session/append_v2",
        "dropbox",
        "dropbox/files-upload",
    ),
    (
        "POST",
        "www.googleapis.com",
        "/upload/drive/v3/files?uploadType=resumable",
        "google-drive",
        "google-apis/drive-upload",
    ),
    (
        "PUT",
        "www.googleapis.com",
        "/upload/drive/v3/files?uploadType=resumable&upload_id=xyz",
        "google-drive",
        "google-apis/drive-upload",
    ),
    (
        "POST",
        "graph.microsoft.com",
        "/v1.0/me/drive/items/01ABC:/report.xlsx:/createUploadSession",
        "microsoft-onedrive",
        "microsoft-graph/drive-upload-session",
    ),
    (
        "PUT",
        "graph.microsoft.com",
        "/v1.0/me/drive/items/01ABC:/report.xlsx:/content",
        "microsoft-onedrive",
        "microsoft-graph/drive-content-put",
    ),
    (
        "POST",
        "graph.microsoft.com",
        "/v1.0/me/sendMail",
        "outlook",
        "microsoft-graph/send-mail",
    ),
    (
        "PUT",
        "contoso-my.sharepoint.com",
        "/personal/taro_contoso_com/_api/v2.0/drive/items/01X/uploadSession",
        "microsoft-onedrive-business",
        "microsoft-onedrive-business/upload-session",
    ),
    (
        "POST",
        "contoso.sharepoint.com",
        "/sites/hr/_api/web/GetFolderByServerRelativeUrl('Shared Documents')/Files/add(url='a.docx',overwrite=true)",
        "microsoft-sharepoint",
        "microsoft-sharepoint/rest-files-add",
    ),
    (
        "POST",
        "upload.box.com",
        "/api/2.0/files/content",
        "box",
        "box/files-content",
    ),
    (
        "POST",
        "upload.box.com",
        "/api/2.0/files/upload_sessions",
        "box",
        "box/files-content",
    ),
    (
        "POST",
        "gfs270n102.userstorage.mega.co.nz",
        "/ul/abcdef0123",
        "mega",
        "mega/userstorage-post",
    ),
    (
        "POST",
        "wetransfer.com",
        "/api/v4/transfers/link",
        "wetransfer",
        "wetransfer/create-transfer",
    ),
    (
        "POST",
        "mail.google.com",
        "/sync/u/0/i/s",
        "gmail",
        "gmail/web-send",
    ),
    (
        "POST",
        "mail.google.com",
        "/mail/u/0/?ui=2&ik=abc&act=sm&at=xyz",
        "gmail",
        "gmail/web-send-legacy",
    ),
    (
        "POST",
        "gmail.googleapis.com",
        "/gmail/v1/users/me/messages/send",
        "gmail",
        "gmail/api-send",
    ),
    (
        "POST",
        "outlook.office.com",
        "/owa/service.svc?action=CreateItem&app=Mail",
        "outlook",
        "outlook/owa-create-item",
    ),
    (
        "POST",
        "outlook.live.com",
        "/owa/0/service.svc?action=CreateAttachmentFromLocalFile",
        "outlook",
        "outlook/owa-attachment",
    ),
    (
        "POST",
        "pastebin.com",
        "/api/api_post.php",
        "pastebin",
        "pastebin/api-post",
    ),
    (
        "POST",
        "api.telegram.org",
        "/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendDocument",
        "telegram",
        "telegram/bot-send",
    ),
    (
        "GET",
        "api.telegram.org",
        "/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage?chat_id=1&text=hi",
        "telegram",
        "telegram/bot-send",
    ),
    (
        "POST",
        "discord.com",
        "/api/webhooks/1234567890/abcDEF-token",
        "discord",
        "discord/webhook",
    ),
    (
        "POST",
        "discord.com",
        "/api/v10/channels/1234567890/messages",
        "discord",
        "discord/channel-message",
    ),
    (
        "PUT",
        "discord-attachments-uploads-prd.storage.googleapis.com",
        "/abc/file.zip",
        "discord",
        "discord/attachment-upload",
    ),
    (
        "POST",
        "hooks.slack.com",
        "/services/T000/B000/XXXX",
        "slack",
        "slack/incoming-webhook",
    ),
    (
        "POST",
        "acme.slack.com",
        "/api/files.getUploadURLExternal",
        "slack",
        "slack/files-upload",
    ),
    (
        "POST",
        "files.slack.com",
        "/upload/v1/ABC123",
        "slack",
        "slack/external-upload-url",
    ),
    (
        "POST",
        "api.github.com",
        "/gists",
        "github-gist",
        "github/gist-create",
    ),
    (
        "POST",
        "github.com",
        "/acme/secret-repo.git/git-receive-pack",
        "github",
        "github/git-push",
    ),
    (
        "PUT",
        "api.github.com",
        "/repos/acme/repo/contents/dump.txt",
        "github",
        "github/contents-put",
    ),
    (
        "POST",
        "chatgpt.com",
        "/backend-api/conversation",
        "chatgpt",
        "chatgpt/conversation",
    ),
    (
        "POST",
        "chatgpt.com",
        "/backend-api/f/conversation",
        "chatgpt",
        "chatgpt/conversation",
    ),
    (
        "POST",
        "chatgpt.com",
        "/backend-api/files",
        "chatgpt",
        "chatgpt/file-upload",
    ),
    (
        "POST",
        "api.openai.com",
        "/v1/chat/completions",
        "openai-api",
        "openai-api/api-prompt",
    ),
    (
        "POST",
        "claude.ai",
        "/api/organizations/0d8c3f4e/chat_conversations/77aa/completion",
        "claude",
        "claude/completion",
    ),
    (
        "POST",
        "api.anthropic.com",
        "/v1/messages",
        "anthropic-api",
        "anthropic-api/api-prompt",
    ),
    (
        "POST",
        "gemini.google.com",
        "/_/BardChatUi/data/assistant.lamda.BardFrontendService/StreamGenerate?bl=x",
        "gemini",
        "gemini/stream-generate",
    ),
    (
        "POST",
        "generativelanguage.googleapis.com",
        "/v1beta/models/gemini-2.0-flash:generateContent",
        "gemini-api",
        "gemini-api/generate",
    ),
    (
        "POST",
        "46.gigafile.nu",
        "/upload_chunk.php",
        "gigafile",
        "gigafile/upload-chunk",
    ),
    (
        "POST",
        "api.chatwork.com",
        "/v2/rooms/123456/files",
        "chatwork",
        "chatwork/api-files",
    ),
    (
        "POST",
        "acme.cybozu.com",
        "/k/v1/file.json",
        "cybozu",
        "cybozu/kintone-file",
    ),
    (
        "POST",
        "acme.cybozu.com",
        "/k/guest/12/v1/file.json",
        "cybozu",
        "cybozu/kintone-file",
    ),
    (
        "POST",
        "upload.youtube.com",
        "/upload/youtubei",
        "youtube",
        "youtube/upload-host",
    ),
    (
        "PUT",
        "mybucket.s3.ap-northeast-1.amazonaws.com",
        "/backup/db.tar.gz",
        "amazon-s3",
        "amazon-s3/put-object",
    ),
    (
        "POST",
        "mybucket.s3.amazonaws.com",
        "/big.bin?uploads",
        "amazon-s3",
        "amazon-s3/multipart-or-post",
    ),
    (
        "PUT",
        "transfer.sh",
        "/secrets.txt",
        "transfer-sh",
        "transfer-sh/put-file",
    ),
    (
        "POST",
        "webhook.site",
        "/0b1e8c52-4e1d-4a5a-9d39-2d5d5b6c1f00",
        "webhook-site",
        "webhook-site/capture",
    ),
    (
        "POST",
        "script.google.com",
        "/macros/s/AKfycbx123/exec",
        "google-apps-script",
        "google-apps-script/web-app-post",
    ),
    (
        "POST",
        "upload.pypi.org",
        "/legacy/",
        "pypi",
        "pypi/legacy-upload",
    ),
    (
        "post",
        "CONTENT.DROPBOXAPI.COM",
        "/2/files/upload",
        "dropbox",
        "dropbox/files-upload",
    ),
    // No rule of its own: the generic upload/attach path rule.
    (
        "POST",
        "mail.yahoo.co.jp",
        "/ws/v3/mailboxes/@.id==a1B2/attachments/@.upload",
        "yahoo-japan-mail",
        "generic/upload-path",
    ),
];

#[test]
fn rules_fire_on_documented_endpoints() {
    let e = enricher();
    for (m, h, pq, svc, rule) in FIRES {
        let r = rec(m, h, pq);
        let out = e.enrich(&r);
        assert_eq!(
            out.service.map(|s| s.id.as_str()),
            Some(*svc),
            "{m} {h}{pq}"
        );
        assert_eq!(
            out.upload_rule.map(|r| r.id.as_str()),
            Some(*rule),
            "{m} {h}{pq}"
        );
        assert!(out.is_upload());
    }
}

/// Ordinary traffic to the same services: no rule may fire.
const QUIET: &[(&str, &str, &str)] = &[
    ("GET", "mail.yahoo.co.jp", "/ws/v3/mailboxes/@.id==a1B2/attachments/@.upload"),
    ("POST", "mail.yahoo.co.jp", "/ws/v3/batch"),
    ("GET", "content.dropboxapi.com", "/2/files/upload"),
    ("GET", "www.dropbox.com", "/home"),
    ("POST", "api.dropboxapi.com", "/2/files/list_folder"),
    ("GET", "graph.microsoft.com", "/v1.0/me/drive/root/children"),
    (
        "GET",
        "graph.microsoft.com",
        "/v1.0/me/drive/items/01ABC/content",
    ),
    ("GET", "upload.box.com", "/api/2.0/files/content"),
    ("GET", "app.box.com", "/folder/0"),
    ("GET", "gfs270n102.userstorage.mega.co.nz", "/dl/abc"),
    ("POST", "g.api.mega.co.nz", "/cs?id=1&sid=x"),
    ("GET", "mail.google.com", "/mail/u/0/"),
    ("POST", "mail.google.com", "/mail/u/0/?ui=2&act=rd"),
    (
        "POST",
        "outlook.office.com",
        "/owa/service.svc?action=FindItem",
    ),
    ("GET", "pastebin.com", "/raw/abc123"),
    (
        "GET",
        "api.telegram.org",
        "/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getUpdates",
    ),
    (
        "GET",
        "discord.com",
        "/api/webhooks/1234567890/abcDEF-token",
    ),
    ("GET", "discord.com", "/channels/@me"),
    ("GET", "hooks.slack.com", "/services/T000/B000/XXXX"),
    ("POST", "acme.slack.com", "/api/conversations.history"),
    ("GET", "github.com", "/acme/repo.git/info/refs"),
    ("POST", "github.com", "/acme/repo.git/git-upload-pack"),
    ("GET", "api.github.com", "/gists"),
    ("GET", "chatgpt.com", "/backend-api/conversation/abc"),
    ("GET", "chatgpt.com", "/"),
    ("POST", "api.openai.com", "/v1/models"),
    ("GET", "claude.ai", "/chat/77aa"),
    ("GET", "gigafile.nu", "/"),
    ("GET", "acme.cybozu.com", "/k/v1/file.json"),
    ("GET", "mybucket.s3.amazonaws.com", "/backup/db.tar.gz"),
    ("HEAD", "transfer.sh", "/abc/secrets.txt"),
    ("CONNECT", "content.dropboxapi.com", "/2/files/upload"),
];

#[test]
fn rules_stay_quiet_on_ordinary_requests() {
    let e = enricher();
    for (m, h, pq) in QUIET {
        let r = rec(m, h, pq);
        let out = e.enrich(&r);
        assert!(out.service.is_some(), "{h} should still be a known service");
        assert_eq!(out.upload_rule.map(|r| r.id.as_str()), None, "{m} {h}{pq}");
    }
}

#[test]
fn shared_api_hosts_name_a_service_only_through_a_rule() {
    let e = enricher();
    for (m, h, pq) in [
        ("GET", "www.googleapis.com", "/drive/v3/files"),
        ("GET", "www.googleapis.com", "/upload/drive/v3/files"),
        ("POST", "www.googleapis.com", "/oauth2/v4/token"),
        ("CONNECT", "www.googleapis.com", "/"),
    ] {
        let r = rec(m, h, pq);
        let out = e.enrich(&r);
        assert!(
            out.service.is_none() && out.status.is_none() && !out.is_upload(),
            "{m} {h}{pq}"
        );
        // googleapis.com sits in the private section of the PSL.
        assert_eq!(out.registered_domain.as_deref(), Some("www.googleapis.com"));
    }
    let r = rec(
        "POST",
        "www.googleapis.com",
        "/upload/youtube/v3/videos?part=snippet",
    );
    let out = e.enrich(&r);
    assert_eq!(out.service.map(|s| s.id.as_str()), Some("youtube"));
    assert_eq!(out.status, Some(kensa_enrich::Sanction::Unknown));
    // A shared entry without service-naming rules is refused.
    let bad = "[[service]]\nid = \"s\"\nname = \"S\"\nvendor = \"V\"\ncategory = \"storage\"\nhosts = [\"api.s.example\"]\nshared = true\n";
    let err = kensa_enrich::Catalog::from_sources(&[("user.toml", bad)]).unwrap_err();
    assert!(
        err.to_string()
            .contains("`shared` entry needs upload rules"),
        "{err}"
    );
}

#[test]
fn a_connect_tunnel_has_no_path_so_no_upload() {
    let e = enricher();
    let r = WebRecord {
        method: Some(Cow::Borrowed("CONNECT")),
        host: Some(Cow::Borrowed("content.dropboxapi.com")),
        port: Some(443),
        ..Default::default()
    };
    let out = e.enrich(&r);
    assert_eq!(out.service.unwrap().id, "dropbox");
    assert!(!out.is_upload());
}

#[test]
fn path_falls_back_to_the_logged_url() {
    let e = enricher();
    let r = WebRecord {
        method: Some(Cow::Borrowed("POST")),
        host: Some(Cow::Borrowed("pastebin.com")),
        url: Some(Cow::Borrowed("https://pastebin.com/api/api_post.php")),
        ..Default::default()
    };
    assert_eq!(e.enrich(&r).upload_rule.unwrap().id, "pastebin/api-post");
}

#[test]
fn published_address_ranges_name_the_service_of_ip_literal_hosts() {
    let e = enricher();
    // A Teams media relay reached by IP (Microsoft's published 52.112.0.0/14).
    let r = rec("CONNECT", "52.112.27.240", "/");
    let out = e.enrich(&r);
    assert_eq!(out.service.map(|s| s.id.as_str()), Some("microsoft-teams"));
    assert!(out.host_is_ip);
    // Next door, outside the range: no service.
    let r = rec("CONNECT", "52.116.0.1", "/");
    assert!(e.enrich(&r).service.is_none());
    // A bad range in a user catalog is refused with the service and reason.
    let err = kensa_enrich::Catalog::from_sources(&[(
        "user.toml",
        "[[service]]\nid = \"x\"\nname = \"X\"\nvendor = \"V\"\ncategory = \"storage\"\ncidrs = [\"10.0.0.0/4\"]\n",
    )])
    .unwrap_err()
    .to_string();
    assert!(err.contains("wider than /8") && err.contains('x'), "{err}");
}
