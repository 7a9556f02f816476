//! The report's words in Japanese and English, and the formatting of
//! times, sizes and figures. Texts are plain strings; renderers escape them
//! like any other string.

use kensa_detect::{Severity, Status};

use crate::Lang;
use crate::gather::HostVerdict;

/// Fixed texts of the report.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum T {
    Title,
    Subtitle,
    Organization,
    Analyst,
    Period,
    Generated,
    Contents,
    ExecSummary,
    QInfected,
    QLeaking,
    KeyFigures,
    PriorityHosts,
    NoPriorityHosts,
    Records,
    Rejected,
    InputData,
    Hosts,
    Users,
    Findings,
    Confirmed,
    Annexed,
    InfectedSection,
    InfectedIntro,
    NoInfected,
    Host,
    Verdict,
    Severity,
    Score,
    Action,
    Destination,
    FirstSeen,
    LastSeen,
    Events,
    BytesUp,
    BytesDown,
    UserAgents,
    Intel,
    Evidence,
    File,
    Line,
    Time,
    Method,
    Url,
    Status,
    Note,
    AnalystVerdict,
    Figures,
    Explanation,
    LeakSection,
    LeakIntro,
    Category,
    Service,
    Services,
    Requests,
    UploadBytes,
    UploadActions,
    Sanctioned,
    Unsanctioned,
    UnsanctionedTitle,
    UploadersTitle,
    Who,
    NoServices,
    UnknownSize,
    AllFindings,
    AllFindingsIntro,
    TableCut,
    Detector,
    Source,
    IocAppendix,
    IocIntro,
    Kind,
    Value,
    NoIocs,
    AttackTable,
    Technique,
    Name,
    Methodology,
    MethodIntro,
    Inputs,
    Format,
    Size,
    Span,
    Formats,
    Gaps,
    NoGaps,
    RejectedRecords,
    Reason,
    Count,
    Samples,
    IntelSources,
    Version,
    Indicators,
    NoIntel,
    Policy,
    Limitations,
    Detectors,
    AnnexTitle,
    AnnexIntro,
    NoAnnex,
    HeatmapTitle,
    TimelineTitle,
    IntervalTitle,
    IntervalAxis,
    UploadChartTitle,
    BySeverityTitle,
    ByDetectorTitle,
    ChartsTitle,
    OtherHosts,
    MoreFindings,
    LimitNoIntel,
    LimitMail,
    LimitTls,
    Yes,
    No,
    Possible,
    PerDay,
    Footer,
    Case,
}

/// The text for `k` in `lang`.
pub fn t(lang: Lang, k: T) -> &'static str {
    use T::*;
    let (en, ja) = match k {
        Title => ("Egress traffic assessment report", "通信ログ調査報告書"),
        Subtitle => ("Malware infection and information-leak check", "マルウェア感染・情報漏えい調査"),
        Organization => ("Organisation", "対象組織"),
        Analyst => ("Analyst", "調査担当"),
        Period => ("Period covered", "調査対象期間"),
        Generated => ("Generated", "作成日時"),
        Contents => ("Contents", "目次"),
        ExecSummary => ("Executive summary", "エグゼクティブサマリー"),
        QInfected => ("Are we infected?", "マルウェアに感染しているか?"),
        QLeaking => ("Is information leaving?", "情報が外部に流出しているか?"),
        KeyFigures => ("Key figures", "主要な数値"),
        PriorityHosts => ("Hosts to act on first", "優先して対応すべき端末"),
        NoPriorityHosts => ("No host needs action.", "対応が必要な端末はありません。"),
        Records => ("Records analysed", "分析したレコード数"),
        Rejected => ("Records rejected", "読み取れなかったレコード数"),
        InputData => ("Input data", "入力データ"),
        Hosts => ("Client hosts", "端末数"),
        Users => ("Users", "ユーザー数"),
        Findings => ("Findings", "検知件数"),
        Confirmed => ("Confirmed by analyst", "分析者が確認済み"),
        Annexed => ("False positives / suppressed (annex)", "誤検知・抑止(付録)"),
        InfectedSection => ("Infected-host candidates", "感染が疑われる端末"),
        InfectedIntro => (
            "Hosts whose traffic shows command-and-control behaviour (regular callbacks, generated domain names, malware-like requests, threat-intelligence matches), most urgent first. Each host lists the findings behind the verdict and what to do.",
            "C2(遠隔操作)通信の特徴(定期的なコールバック、自動生成ドメイン、マルウェア特有のリクエスト、脅威インテリジェンスとの一致)が見られた端末を緊急度の高い順に示します。端末ごとに根拠となった検知と推奨対応を記載します。",
        ),
        NoInfected => ("No host shows signs of infection in the data examined.", "調査したデータの範囲では、感染の兆候がある端末は見つかりませんでした。"),
        Host => ("Host", "端末"),
        Verdict => ("Verdict", "判定"),
        Severity => ("Severity", "重大度"),
        Score => ("Score", "スコア"),
        Action => ("Recommended action", "推奨対応"),
        Destination => ("Destination", "通信先"),
        FirstSeen => ("First seen", "初回観測"),
        LastSeen => ("Last seen", "最終観測"),
        Events => ("Events", "件数"),
        BytesUp => ("Bytes sent", "送信量"),
        BytesDown => ("Bytes received", "受信量"),
        UserAgents => ("User agents", "ユーザーエージェント"),
        Intel => ("Threat intelligence", "脅威インテリジェンス"),
        Evidence => ("Evidence records", "根拠となるログ"),
        File => ("File", "ファイル"),
        Line => ("Line", "行"),
        Time => ("Time", "日時"),
        Method => ("Method", "メソッド"),
        Url => ("URL", "URL"),
        Status => ("Status", "状態"),
        Note => ("Analyst note", "分析者メモ"),
        AnalystVerdict => ("Analyst verdict", "分析者の判定"),
        Figures => ("Measurements", "計測値"),
        Explanation => ("Why", "検知理由"),
        LeakSection => ("Information-leak risk", "情報漏えいリスク"),
        LeakIntro => (
            "Use of cloud services that can carry data out of the organisation: online storage, file transfer, webmail, social media, messaging, paste sites, generative AI, remote access and anonymisers. Uploads are requests that match a service's upload action or send data (POST/PUT).",
            "組織外へデータを持ち出せるクラウドサービス(オンラインストレージ、ファイル転送、Webメール、SNS、メッセージング、ペーストサイト、生成AI、リモートアクセス、匿名化サービス)の利用状況です。アップロードは、サービスのアップロード操作に一致する、またはデータを送信する(POST/PUT)リクエストを指します。",
        ),
        Category => ("Category", "カテゴリ"),
        Service => ("Service", "サービス"),
        Services => ("Services", "サービス数"),
        Requests => ("Requests", "リクエスト数"),
        UploadBytes => ("Uploaded", "アップロード量"),
        UploadActions => ("Upload actions", "アップロード操作"),
        Sanctioned => ("sanctioned", "許可"),
        Unsanctioned => ("not sanctioned", "未許可"),
        UnsanctionedTitle => ("Unsanctioned services used for uploads", "アップロードに使われた未許可サービス"),
        UploadersTitle => ("Largest uploaders", "アップロード量の多い利用者"),
        Who => ("User / client", "ユーザー/端末"),
        NoServices => ("No cloud service from the catalog was used.", "カタログに載っているクラウドサービスの利用はありませんでした。"),
        UnknownSize => ("unknown", "不明"),
        AllFindings => ("All findings", "全検知一覧"),
        AllFindingsIntro => ("Every finding in the body of the report, most severe first.", "本文に含まれる全ての検知(重大度の高い順)。"),
        TableCut => ("Only the first rows are shown; the JSON and CSV exports hold all of them.", "先頭の行のみ表示しています。全件は JSON/CSV 出力を参照してください。"),
        Detector => ("Detector", "検知手法"),
        Source => ("Source", "送信元"),
        IocAppendix => ("Appendix A: indicators of compromise", "付録A: 侵害指標(IOC)"),
        IocIntro => (
            "Destinations, addresses and URLs from infection-type findings of medium severity or more, or confirmed by an analyst.",
            "重大度が中以上、または分析者が確認した感染系の検知に含まれる通信先・アドレス・URLです。",
        ),
        Kind => ("Type", "種別"),
        Value => ("Value", "値"),
        NoIocs => ("None.", "該当なし。"),
        AttackTable => ("Appendix B: MITRE ATT&CK mapping", "付録B: MITRE ATT&CK 対応表"),
        Technique => ("Technique", "テクニック"),
        Name => ("Name", "名称"),
        Methodology => ("Appendix C: methodology and data coverage", "付録C: 調査方法とデータの範囲"),
        MethodIntro => (
            "kensa read the proxy logs below, enriched each record (registered domain, cloud service, organisation policy, threat intelligence) and ran every detector over the whole period. Findings are scored 0–100; analysts' verdicts are applied.",
            "kensa は以下のプロキシログを読み込み、各レコードに登録ドメイン・クラウドサービス・組織のポリシー・脅威インテリジェンスの情報を付与したうえで、全期間に対して全ての検知手法を実行しました。検知には 0〜100 のスコアが付き、分析者の判定が反映されています。",
        ),
        Inputs => ("Inputs", "入力ファイル"),
        Format => ("Format", "形式"),
        Size => ("Size", "サイズ"),
        Span => ("Time span", "期間"),
        Formats => ("Records by format", "形式別レコード数"),
        Gaps => ("Periods without records (3 hours or more)", "レコードのない時間帯(3時間以上)"),
        NoGaps => ("None: the data covers the span without gaps of 3 hours or more.", "なし(3時間以上の欠落はありません)。"),
        RejectedRecords => ("Rejected records", "読み取れなかったレコード"),
        Reason => ("Reason", "理由"),
        Count => ("Count", "件数"),
        Samples => ("Samples", "例"),
        IntelSources => ("Threat-intelligence sources", "脅威インテリジェンスの情報源"),
        Version => ("Version", "バージョン"),
        Indicators => ("Indicators", "指標数"),
        NoIntel => ("No threat-intelligence feed was used.", "脅威インテリジェンスは使用していません。"),
        Policy => ("Organisation policy", "組織のポリシー"),
        Limitations => ("What the data could not show", "データから判断できなかったこと"),
        Detectors => ("Detectors", "検知手法"),
        AnnexTitle => ("Appendix D: false positives and suppressed findings", "付録D: 誤検知・抑止された検知"),
        AnnexIntro => (
            "Findings an analyst marked as false positives, or that a suppression rule hides. They are not counted in the body of the report.",
            "分析者が誤検知と判定した検知、または抑止ルールで除外された検知です。本文の集計には含まれません。",
        ),
        NoAnnex => ("None.", "該当なし。"),
        HeatmapTitle => ("Activity by weekday and hour", "曜日・時間帯別の通信"),
        TimelineTitle => ("Callback timeline", "通信のタイムライン"),
        IntervalTitle => ("Intervals between callbacks", "通信間隔の分布"),
        IntervalAxis => ("interval", "間隔"),
        UploadChartTitle => ("Bytes sent per hour (all destinations)", "1時間ごとの送信量(全通信先)"),
        BySeverityTitle => ("Findings by severity", "重大度別の検知件数"),
        ByDetectorTitle => ("Findings by detector", "検知手法別の件数"),
        ChartsTitle => ("Overview", "概況"),
        OtherHosts => ("Other hosts with findings", "その他の検知があった端末"),
        MoreFindings => ("more findings on this host are listed in the findings table.", "件の検知は全検知一覧を参照してください。"),
        LimitNoIntel => (
            "No threat-intelligence feed was loaded, so known-bad destinations were found only by behaviour.",
            "脅威インテリジェンスを読み込んでいないため、既知の悪性通信先は挙動からのみ検出しています。",
        ),
        LimitMail => (
            "Mail (SMTP/IMAP/POP) is not in web-proxy logs: files sent as e-mail attachments through a mail server were not examined.",
            "メール(SMTP/IMAP/POP)は Web プロキシのログに含まれないため、メールサーバー経由の添付ファイル送信は調査対象外です。",
        ),
        LimitTls => (
            "For HTTPS through CONNECT, the proxy sees only the host name, not the URL path or content.",
            "CONNECT 経由の HTTPS 通信では、プロキシからはホスト名のみが見え、URL のパスや内容は見えません。",
        ),
        Yes => ("Yes", "はい"),
        No => ("No", "いいえ"),
        Possible => ("Possibly", "可能性あり"),
        PerDay => ("Records per day", "日別レコード数"),
        Footer => ("Generated by kensa", "kensa により作成"),
        Case => ("Case", "ケース"),
    };
    match lang {
        Lang::En => en,
        Lang::Ja => ja,
    }
}


/// Severity in the report language.
pub fn sev_label(lang: Lang, s: Severity) -> String {
    let (en, ja) = match s {
        Severity::Critical => ("Critical", "緊急"),
        Severity::High => ("High", "高"),
        Severity::Medium => ("Medium", "中"),
        Severity::Low => ("Low", "低"),
        Severity::Info => ("Info", "情報"),
    };
    if lang == Lang::Ja { ja.into() } else { en.into() }
}

/// Verdict status in the report language.
pub fn status_label(lang: Lang, s: Status) -> &'static str {
    let (en, ja) = match s {
        Status::Open => ("Open", "未確認"),
        Status::Confirmed => ("Confirmed", "確認済み"),
        Status::FalsePositive => ("False positive", "誤検知"),
        Status::Benign => ("Benign (allowed)", "問題なし(許容)"),
        Status::Suppressed => ("Suppressed", "抑止"),
        Status::NeedsReview => ("Needs review", "要再確認"),
    };
    if lang == Lang::Ja { ja } else { en }
}

/// Host verdict in the report language.
pub fn verdict_label(lang: Lang, v: HostVerdict) -> &'static str {
    let (en, ja) = match v {
        HostVerdict::LikelyCompromised => ("Likely compromised", "感染の疑い"),
        HostVerdict::LeakRisk => ("Leak risk", "情報漏えいリスク"),
        HostVerdict::Policy => ("Policy", "ポリシー違反"),
        HostVerdict::NothingFound => ("Nothing found", "問題なし"),
    };
    if lang == Lang::Ja { ja } else { en }
}

/// Stable verdict id (CSS class).
pub fn verdict_id(v: HostVerdict) -> &'static str {
    match v {
        HostVerdict::LikelyCompromised => "compromised",
        HostVerdict::LeakRisk => "leak",
        HostVerdict::Policy => "policy",
        HostVerdict::NothingFound => "none",
    }
}

/// Weekday labels, Monday first.
pub fn weekdays(lang: Lang) -> [&'static str; 7] {
    match lang {
        Lang::En => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        Lang::Ja => ["月", "火", "水", "木", "金", "土", "日"],
    }
}

/// `YYYY-MM-DD` of a time (ms) at a UTC offset.
pub fn fmt_day(ms: i64, tz_offset_s: i32) -> String {
    let (y, m, d) = kensa_charts::civil_from_days((ms + tz_offset_s as i64 * 1000).div_euclid(86_400_000));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DD HH:MM:SS` of a time (ms) at a UTC offset.
pub fn fmt_ts(ms: i64, tz_offset_s: i32) -> String {
    let local = ms + tz_offset_s as i64 * 1000;
    let secs = local.rem_euclid(86_400_000) / 1000;
    format!("{} {:02}:{:02}:{:02}", fmt_day(ms, tz_offset_s), secs / 3600, secs / 60 % 60, secs % 60)
}

/// The UTC offset as printed, e.g. `UTC+09:00`.
pub fn fmt_tz(tz_offset_s: i32) -> String {
    let sign = if tz_offset_s < 0 { '-' } else { '+' };
    let a = tz_offset_s.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", a / 3600, a / 60 % 60)
}

/// A duration in seconds, compactly (`45 s`, `5 min`, `1.5 h`).
pub fn fmt_secs(s: f64) -> String {
    if !s.is_finite() {
        return "-".into();
    }
    if s < 90.0 {
        format!("{} s", kensa_charts::fmt_num(s.round()))
    } else if s < 5400.0 {
        format!("{} min", kensa_charts::fmt_num((s / 6.0).round() / 10.0))
    } else if s < 172_800.0 {
        format!("{} h", kensa_charts::fmt_num((s / 360.0).round() / 10.0))
    } else {
        format!("{} d", kensa_charts::fmt_num((s / 8640.0).round() / 10.0))
    }
}

/// Bytes, or "unknown".
pub fn fmt_opt_bytes(lang: Lang, b: Option<u64>) -> String {
    b.map(kensa_charts::fmt_bytes).unwrap_or_else(|| t(lang, T::UnknownSize).to_string())
}

/// Thousands separators.
pub fn fmt_int(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A figure's label in the report language (known names; others as is).
pub fn figure_label(lang: Lang, k: &str) -> String {
    let (en, ja) = match k {
        "period_s" => ("Period", "周期"),
        "jitter" => ("Jitter", "ゆらぎ"),
        "callbacks" => ("Callbacks", "コールバック回数"),
        "missed_callbacks" => ("Missed callbacks", "欠落したコールバック"),
        "coverage" => ("Coverage of the period", "期間の網羅率"),
        "active_days" => ("Active days", "活動日数"),
        "p_value" | "periodic_p_value" => ("p-value", "p値"),
        "dga_probability" => ("DGA probability", "DGA 確率"),
        "upload_bytes" => ("Bytes uploaded", "アップロード量"),
        "upload_actions" => ("Upload actions", "アップロード操作"),
        "bytes_up" => ("Bytes sent", "送信量"),
        "requests" => ("Requests", "リクエスト数"),
        "clients" | "destination_clients" => ("Clients of this destination", "この通信先の利用端末数"),
        "up_down_ratio" => ("Sent/received ratio", "送受信比"),
        "peer_median_upload" => ("Peers' median upload", "他利用者のアップロード中央値"),
        "peak_day_bytes_up" => ("Peak day sent", "最大日の送信量"),
        "night_weekend_share" => ("Night/weekend share", "夜間・週末の割合"),
        "longest_tunnel_s" | "tunnel_s" => ("Longest tunnel", "最長トンネル"),
        "robust_z" => ("Robust z-score", "ロバストZスコア"),
        _ => (k, k),
    };
    if lang == Lang::Ja { ja.into() } else { en.into() }
}

/// A figure's value, formatted by its kind (seconds, bytes, shares).
pub fn figure_value(k: &str, v: f64) -> String {
    if k.ends_with("_s") {
        fmt_secs(v)
    } else if k.contains("bytes") || k.ends_with("_upload") {
        kensa_charts::fmt_bytes(v.max(0.0) as u64)
    } else if matches!(k, "jitter" | "coverage" | "night_weekend_share" | "dga_probability") && (0.0..=1.0).contains(&v) {
        format!("{:.0}%", v * 100.0)
    } else {
        kensa_charts::fmt_num(if v.abs() >= 100.0 { v.round() } else { (v * 100.0).round() / 100.0 })
    }
}

/// A service category's label.
pub fn category_label(lang: Lang, c: &str) -> String {
    let (en, ja) = match c {
        "storage" | "online_storage" => ("Online storage", "オンラインストレージ"),
        "file_transfer" => ("File transfer", "ファイル転送"),
        "webmail" => ("Webmail", "Webメール"),
        "sns" | "social" | "social_media" => ("Social media", "SNS"),
        "messaging" | "chat" => ("Messaging", "メッセージング"),
        "paste" => ("Paste sites", "ペーストサイト"),
        "generative_ai" | "genai" => ("Generative AI", "生成AI"),
        "remote_access" => ("Remote access", "リモートアクセス"),
        "anonymizer" | "anonymiser" | "vpn" | "proxy" => ("Anonymisers / VPN", "匿名化・VPN"),
        "collaboration" => ("Collaboration", "コラボレーション"),
        "code_hosting" | "code" => ("Code hosting", "コード共有"),
        "other" => ("Other", "その他"),
        _ => (c, c),
    };
    if lang == Lang::Ja { ja.into() } else { en.into() }
}

/// The recommended action for a host.
pub fn action(lang: Lang, v: HostVerdict, dsts: &str) -> String {
    match (lang, v) {
        (Lang::En, HostVerdict::LikelyCompromised) => format!(
            "Isolate the host from the network, preserve memory and disk for forensics, block {} at the proxy, and look for the same destinations on other hosts. Reset the passwords of its users.",
            if dsts.is_empty() { "the destinations" } else { dsts }
        ),
        (Lang::Ja, HostVerdict::LikelyCompromised) => format!(
            "端末をネットワークから隔離し、メモリとディスクを保全してください。プロキシで {} への通信を遮断し、他の端末に同じ通信先がないか確認してください。利用者のパスワードを変更してください。",
            if dsts.is_empty() { "該当の通信先" } else { dsts }
        ),
        (Lang::En, HostVerdict::LeakRisk) => format!(
            "Ask the user what was sent to {} and why; check the files against data-handling rules, and block or sanction the service by policy.",
            if dsts.is_empty() { "the service" } else { dsts }
        ),
        (Lang::Ja, HostVerdict::LeakRisk) => format!(
            "{} に何をなぜ送信したか利用者に確認し、データ取扱規程に照らして内容を確認してください。ポリシーに基づきサービスの遮断または利用許可を決めてください。",
            if dsts.is_empty() { "該当サービス" } else { dsts }
        ),
        (Lang::En, HostVerdict::Policy) => "Review against the organisation's policy; no sign of compromise.".into(),
        (Lang::Ja, HostVerdict::Policy) => "組織のポリシーに照らして確認してください(侵害の兆候はありません)。".into(),
        (Lang::En, HostVerdict::NothingFound) => "No action needed.".into(),
        (Lang::Ja, HostVerdict::NothingFound) => "対応は不要です。".into(),
    }
}

/// The plain-language answer to "are we infected?".
pub fn infected_text(lang: Lang, level: &str, hosts: usize, confirmed: usize) -> String {
    match (lang, level) {
        (Lang::En, "yes") => format!(
            "Yes, very likely. {hosts} host(s) show command-and-control traffic{}. Isolate them first (see below).",
            if confirmed > 0 { format!(", {confirmed} confirmed by an analyst") } else { String::new() }
        ),
        (Lang::Ja, "yes") => format!(
            "感染している可能性が高いです。{hosts} 台の端末で C2 通信の特徴が見られました{}。まず下記の端末を隔離してください。",
            if confirmed > 0 { format!("(うち {confirmed} 台は分析者が確認済み)") } else { String::new() }
        ),
        (Lang::En, "possible") => format!("Possibly. {hosts} host(s) show weak signs of command-and-control traffic that an analyst should check."),
        (Lang::Ja, "possible") => format!("感染の可能性があります。{hosts} 台の端末で C2 通信の弱い兆候があり、分析者による確認が必要です。"),
        (Lang::En, _) => "No sign of infection was found in the data examined.".into(),
        (Lang::Ja, _) => "調査したデータの範囲では、感染の兆候は見つかりませんでした。".into(),
    }
}

/// The plain-language answer to "is information leaving?".
pub fn leaking_text(lang: Lang, level: &str, hosts: usize, unsanctioned: usize, sizes_known: bool) -> String {
    let caveat = match (lang, sizes_known) {
        (_, true) => "",
        (Lang::En, false) => " The logs carry no upload sizes, so volumes could not be measured.",
        (Lang::Ja, false) => " ログに送信量が記録されていないため、送信量は測定できませんでした。",
    };
    let s = match (lang, level) {
        (Lang::En, "yes") => format!("Yes, data is leaving in a way that needs action: {hosts} host(s) uploaded unusual volumes or used risky services; {unsanctioned} unsanctioned service(s) received uploads."),
        (Lang::Ja, "yes") => format!("対応が必要な情報流出があります。{hosts} 台の端末で通常と異なる量の送信やリスクの高いサービスの利用があり、{unsanctioned} 件の未許可サービスにアップロードがありました。"),
        (Lang::En, "possible") => format!("Possibly. {hosts} host(s) uploaded to risky services and {unsanctioned} unsanctioned service(s) received uploads; check with the users."),
        (Lang::Ja, "possible") => format!("可能性があります。{hosts} 台の端末がリスクの高いサービスへアップロードし、{unsanctioned} 件の未許可サービスにアップロードがありました。利用者に確認してください。"),
        (Lang::En, _) => "No sign of data leaving the organisation was found.".into(),
        (Lang::Ja, _) => "情報流出の兆候は見つかりませんでした。".into(),
    };
    s + caveat
}

/// Limitation: a format without upload sizes.
pub fn limit_no_upload_sizes(lang: Lang, path: &str, fmt: &str) -> String {
    match lang {
        Lang::En => format!("{path} ({fmt}) records no upload sizes: volumes sent from its hosts are unknown."),
        Lang::Ja => format!("{path}({fmt})には送信量が記録されていないため、送信量は不明です。"),
    }
}

/// Limitation: no user names.
pub fn limit_no_users(lang: Lang, path: &str) -> String {
    match lang {
        Lang::En => format!("{path} records no authenticated users: activity is attributed to addresses only."),
        Lang::Ja => format!("{path} には認証ユーザーが記録されていないため、IP アドレス単位でのみ判断しています。"),
    }
}

/// Limitation: no user agents.
pub fn limit_no_ua(lang: Lang, path: &str) -> String {
    match lang {
        Lang::En => format!("{path} records no user agents: user-agent based checks did not apply."),
        Lang::Ja => format!("{path} にはユーザーエージェントが記録されていないため、ユーザーエージェントによる判定は行えませんでした。"),
    }
}

/// Limitation: an input failed.
pub fn limit_failed(lang: Lang, path: &str, err: &str) -> String {
    match lang {
        Lang::En => format!("{path} could not be read ({err}); its period is not covered."),
        Lang::Ja => format!("{path} は読み込めませんでした({err})。その期間は調査対象外です。"),
    }
}

/// Limitation: gaps.
pub fn limit_gaps(lang: Lang, n: usize) -> String {
    match lang {
        Lang::En => format!("The data has {n} period(s) of 3 hours or more without any record (listed below); activity then is not covered."),
        Lang::Ja => format!("レコードが3時間以上ない時間帯が {n} 箇所あります(下記)。その間の通信は調査できていません。"),
    }
}

/// The English name of an ATT&CK technique kensa maps to.
pub fn attack_name(id: &str) -> &'static str {
    match id {
        "T1071" => "Application Layer Protocol",
        "T1071.001" => "Application Layer Protocol: Web Protocols",
        "T1071.004" => "Application Layer Protocol: DNS",
        "T1573" => "Encrypted Channel",
        "T1029" => "Scheduled Transfer",
        "T1030" => "Data Transfer Size Limits",
        "T1041" => "Exfiltration Over C2 Channel",
        "T1048" => "Exfiltration Over Alternative Protocol",
        "T1567" => "Exfiltration Over Web Service",
        "T1567.002" => "Exfiltration to Cloud Storage",
        "T1568" => "Dynamic Resolution",
        "T1568.002" => "Domain Generation Algorithms",
        "T1090" => "Proxy",
        "T1571" => "Non-Standard Port",
        "T1102" => "Web Service",
        "T1105" => "Ingress Tool Transfer",
        "T1001.003" => "Data Obfuscation: Protocol or Service Impersonation",
        "T1095" => "Non-Application Layer Protocol",
        "T1572" => "Protocol Tunneling",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(fmt_int(1234567), "1,234,567");
        assert_eq!(fmt_int(12), "12");
        assert_eq!(fmt_secs(60.0), "60 s");
        assert_eq!(fmt_secs(300.0), "5 min");
        assert_eq!(fmt_ts(0, 9 * 3600), "1970-01-01 09:00:00");
        assert_eq!(fmt_tz(9 * 3600), "UTC+09:00");
        assert_eq!(fmt_tz(-5 * 3600 - 1800), "UTC-05:30");
        assert_eq!(figure_value("period_s", 600.0), "10 min");
        assert_eq!(figure_value("jitter", 0.05), "5%");
        assert_eq!(figure_value("upload_bytes", 2_500_000.0), "2.5 MB");
    }

    #[test]
    fn every_text_exists_in_both_languages() {
        for k in [T::Title, T::LimitMail, T::IocAppendix, T::AnnexTitle] {
            assert!(!t(Lang::En, k).is_empty() && !t(Lang::Ja, k).is_empty());
            assert_ne!(t(Lang::En, k), t(Lang::Ja, k));
        }
    }
}
