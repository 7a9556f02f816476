//! Service categories and the sanction status a policy gives them.

use std::fmt;

/// What kind of web service a catalog entry is.
///
/// The stable name (`as_str`) is what catalog and policy files use and what
/// the `service_category` column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Category {
    /// Online storage and file sharing (Dropbox, Box, OneDrive, …).
    Storage,
    /// One-off file transfer by link (WeTransfer, GigaFile便, firestorage, …).
    FileTransfer,
    /// Web mail (Gmail, Outlook.com, Yahoo!メール, …).
    Webmail,
    /// Social networks and blogs (X, Facebook, note, Ameba, …).
    Social,
    /// Messaging and chat (Slack, LINE, Chatwork, Telegram, …).
    Messaging,
    /// Paste and text sharing (Pastebin, GitHub Gist, …).
    Paste,
    /// Code hosting (GitHub, GitLab, Bitbucket, …).
    CodeHosting,
    /// Generative AI chat and APIs (ChatGPT, Claude, Gemini, …).
    GenerativeAi,
    /// Remote access and remote desktop (TeamViewer, AnyDesk, ngrok, …).
    RemoteAccess,
    /// VPN, anonymiser and web proxy services.
    VpnProxy,
    /// Tor: the project's sites, onion gateways, Tor-related services.
    Tor,
    /// URL shorteners (bit.ly, t.co, …).
    UrlShortener,
    /// Dynamic DNS providers (No-IP, DuckDNS, …).
    DynamicDns,
    /// Web conferencing (Zoom, Teams, Webex, …).
    Conferencing,
    /// Collaboration and productivity suites (Notion, kintone, Trello, …).
    Collaboration,
}

impl Category {
    /// Every category, in catalog order.
    pub const ALL: &'static [Category] = &[
        Category::Storage,
        Category::FileTransfer,
        Category::Webmail,
        Category::Social,
        Category::Messaging,
        Category::Paste,
        Category::CodeHosting,
        Category::GenerativeAi,
        Category::RemoteAccess,
        Category::VpnProxy,
        Category::Tor,
        Category::UrlShortener,
        Category::DynamicDns,
        Category::Conferencing,
        Category::Collaboration,
    ];

    /// The stable name (`storage`, `generative_ai`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Storage => "storage",
            Category::FileTransfer => "file_transfer",
            Category::Webmail => "webmail",
            Category::Social => "social",
            Category::Messaging => "messaging",
            Category::Paste => "paste",
            Category::CodeHosting => "code_hosting",
            Category::GenerativeAi => "generative_ai",
            Category::RemoteAccess => "remote_access",
            Category::VpnProxy => "vpn_proxy",
            Category::Tor => "tor",
            Category::UrlShortener => "url_shortener",
            Category::DynamicDns => "dynamic_dns",
            Category::Conferencing => "conferencing",
            Category::Collaboration => "collaboration",
        }
    }

    /// Parses a stable name.
    pub fn from_name(s: &str) -> Option<Category> {
        Category::ALL.iter().copied().find(|c| c.as_str() == s)
    }

    /// A Japanese label for reports.
    pub fn label_ja(self) -> &'static str {
        match self {
            Category::Storage => "オンラインストレージ",
            Category::FileTransfer => "ファイル転送",
            Category::Webmail => "Webメール",
            Category::Social => "SNS・ブログ",
            Category::Messaging => "メッセージング・チャット",
            Category::Paste => "テキスト共有",
            Category::CodeHosting => "コードホスティング",
            Category::GenerativeAi => "生成AI",
            Category::RemoteAccess => "リモートアクセス",
            Category::VpnProxy => "VPN・匿名化・プロキシ",
            Category::Tor => "Tor",
            Category::UrlShortener => "短縮URL",
            Category::DynamicDns => "ダイナミックDNS",
            Category::Conferencing => "Web会議",
            Category::Collaboration => "コラボレーション",
        }
    }

    /// The status a service of this category gets when the policy says
    /// nothing about it or its category.
    ///
    /// | status | categories | why |
    /// |---|---|---|
    /// | `unsanctioned` | `tor`, `vpn_proxy`, `paste`, `file_transfer`, `remote_access`, `dynamic_dns` | an enterprise rarely has a business use for them, and each is a known exfiltration or C2 channel: treat as unsanctioned until the organisation says otherwise |
    /// | `unknown` | all others | widely used for work and for private life alike: the organisation must say which ones it has adopted |
    pub fn default_status(self) -> Sanction {
        match self {
            Category::Tor
            | Category::VpnProxy
            | Category::Paste
            | Category::FileTransfer
            | Category::RemoteAccess
            | Category::DynamicDns => Sanction::Unsanctioned,
            _ => Sanction::Unknown,
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the organisation allows a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sanction {
    /// Adopted by the organisation (corporate tenant, approved tool).
    Sanctioned,
    /// Not allowed, or a personal / foreign tenant of an allowed service.
    Unsanctioned,
    /// Not reviewed: the policy says nothing about it.
    Unknown,
}

impl Sanction {
    /// The stable name stored in the `service_status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Sanction::Sanctioned => "sanctioned",
            Sanction::Unsanctioned => "unsanctioned",
            Sanction::Unknown => "unknown",
        }
    }

    /// Parses a stable name.
    pub fn from_name(s: &str) -> Option<Sanction> {
        match s {
            "sanctioned" => Some(Sanction::Sanctioned),
            "unsanctioned" => Some(Sanction::Unsanctioned),
            "unknown" => Some(Sanction::Unknown),
            _ => None,
        }
    }
}

impl fmt::Display for Sanction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
