//! The two UI languages. Every label of the UI is looked up here by key, so
//! a page is never half-translated: a missing key shows the key itself and
//! the `every_key_has_both_languages` test catches it.

/// A UI language, chosen by `?lang=` and remembered in the `kensa_lang` cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Japanese.
    Ja,
}

impl Lang {
    /// Parses `en` / `ja`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "en" => Some(Lang::En),
            "ja" => Some(Lang::Ja),
            _ => None,
        }
    }
    /// The BCP 47 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }
    /// The label for `key` in this language.
    pub fn t(self, key: &str) -> &'static str {
        for (k, en, ja) in TEXT {
            if *k == key {
                return match self {
                    Lang::En => en,
                    Lang::Ja => ja,
                };
            }
        }
        // Unknown keys are a programming error; show something visible.
        "??"
    }
}

/// (key, English, Japanese).
pub static TEXT: &[(&str, &str, &str)] = &[
    ("app", "kensa workbench", "kensa 分析ワークベンチ"),
    ("overview", "Overview", "概要"),
    ("findings", "Findings", "検知結果"),
    ("hunt", "Hunt", "ハント"),
    ("allowlist", "Allowlist", "許可リスト"),
    ("report", "Report", "レポート"),
    ("logout", "Log out", "ログアウト"),
    ("hosts", "Hosts", "ホスト"),
    ("host", "Host", "ホスト"),
    ("user", "User", "ユーザー"),
    ("destination", "Destination", "宛先"),
    ("service", "Service", "サービス"),
    ("severity", "Severity", "重大度"),
    ("detector", "Detector", "検知器"),
    ("status", "Status", "状態"),
    ("attack", "ATT&CK", "ATT&CK"),
    ("score", "Score", "スコア"),
    ("title", "Title", "タイトル"),
    ("first_seen", "First seen", "初回"),
    ("last_seen", "Last seen", "最終"),
    ("count", "Events", "件数"),
    ("bytes_up", "Bytes up", "送信バイト"),
    ("bytes_down", "Bytes down", "受信バイト"),
    ("search", "Search", "検索"),
    ("filter", "Filter", "絞り込み"),
    ("reset", "Reset", "リセット"),
    ("any", "any", "すべて"),
    ("sort", "Sort", "並べ替え"),
    ("prev", "Previous", "前へ"),
    ("next", "Next", "次へ"),
    ("of", "of", "/"),
    ("results", "results", "件"),
    ("apply_verdict", "Apply verdict to selected", "選択した項目に判定を適用"),
    ("select_all", "Select all", "すべて選択"),
    ("verdict", "Verdict", "判定"),
    ("note", "Note", "メモ"),
    ("save", "Save", "保存"),
    ("open", "open", "未確認"),
    ("confirmed", "confirmed", "確定(悪性)"),
    ("false_positive", "false positive", "誤検知"),
    ("benign", "benign", "無害"),
    ("needs_review", "needs review", "要レビュー"),
    ("suppressed", "suppressed", "抑制済み"),
    ("explanation", "Explanation", "説明"),
    ("figures", "Sub-scores and figures", "サブスコアと数値"),
    ("charts", "Charts", "チャート"),
    ("interval_hist", "Interval histogram (seconds between requests)", "リクエスト間隔のヒストグラム(秒)"),
    ("callback_timeline", "Callback timeline", "コールバックのタイムライン"),
    ("hourly_heatmap", "Hourly heatmap (weekday × hour, UTC)", "時間帯ヒートマップ(曜日 × 時, UTC)"),
    ("volumes", "Bytes per hour", "1 時間ごとの通信量"),
    ("samples", "Sample records", "サンプルレコード"),
    ("source_file", "Source file", "ソースファイル"),
    ("line", "Line", "行"),
    ("related", "Related findings (same host or destination)", "関連する検知(同じホストまたは宛先)"),
    ("osint", "OSINT pivots (open only when clicked)", "OSINT ピボット(クリック時のみ開きます)"),
    ("intel", "Threat-intel matches", "脅威インテリジェンスの一致"),
    ("none", "none", "なし"),
    ("history", "Verdict history", "判定の履歴"),
    ("when", "When", "日時"),
    ("who", "Who", "担当者"),
    ("change", "Change", "変更内容"),
    ("make_rule", "Create an allowlist rule from this finding", "この検知から許可ルールを作成"),
    ("rule_dest", "this destination, for all hosts", "この宛先(全ホスト)"),
    ("rule_ua", "this user agent", "このユーザーエージェント"),
    ("rule_service", "this service", "このサービス"),
    ("preview", "Preview", "プレビュー"),
    ("would_suppress", "findings would be suppressed", "件の検知が抑制されます"),
    ("create_rule", "Create rule and apply", "ルールを作成して適用"),
    ("rules", "Allowlist rules", "許可ルール"),
    ("remove", "Remove", "削除"),
    ("reason", "Reason", "理由"),
    ("timeline", "Timeline (events per hour, UTC)", "タイムライン(1 時間ごとのイベント数, UTC)"),
    ("top_destinations", "Top destinations", "主な宛先"),
    ("top_services", "Services", "サービス"),
    ("uploads", "Largest uploads", "大きな送信"),
    ("user_agents", "User agents", "ユーザーエージェント"),
    ("events", "events", "イベント"),
    ("hosts_talking", "Hosts that talked to it", "通信したホスト"),
    ("prevalence", "Prevalence", "普及度"),
    ("of_hosts", "of all hosts", "(全ホスト中)"),
    ("stream", "Stream", "ストリーム"),
    ("no_packets", "No packet data in this case.", "このケースにはパケットデータがありません。"),
    ("client_to_server", "client → server", "クライアント → サーバー"),
    ("server_to_client", "server → client", "サーバー → クライアント"),
    ("download_raw", "Download raw bytes", "生データをダウンロード"),
    ("download_pcap", "Download the flow as pcap", "フローを pcap でダウンロード"),
    ("truncated", "Shown up to the byte cap", "表示上限で切り詰め"),
    ("run", "Run", "実行"),
    ("export_csv", "Export CSV", "CSV エクスポート"),
    ("saved_queries", "Saved queries", "保存したクエリ"),
    ("name", "Name", "名前"),
    ("save_query", "Save query", "クエリを保存"),
    ("rows", "rows", "行"),
    ("readonly_note", "Read-only: statements that write are refused.", "読み取り専用: 書き込みを行う文は拒否されます。"),
    ("generate", "Generate report", "レポートを生成"),
    ("no_report", "The report generator is not available in this build.", "このビルドではレポート生成機能を利用できません。"),
    ("downloads", "Downloads", "ダウンロード"),
    ("host_verdicts", "Hosts", "ホスト別の判定"),
    ("by_severity", "Findings by severity", "重大度別の検知数"),
    ("by_detector", "Findings by detector", "検知器別の検知数"),
    ("by_day", "Findings by day (first seen, UTC)", "日別の検知数(初回, UTC)"),
    ("coverage", "Data coverage", "データカバレッジ"),
    ("inputs", "Inputs", "入力"),
    ("format", "Format", "形式"),
    ("rejected", "Rejected", "拒否"),
    ("span", "Time span", "期間"),
    ("leak_inventory", "Cloud uploads (leak-risk inventory)", "クラウドへの送信(情報漏えいリスク一覧)"),
    ("sanctioned", "Sanctioned", "許可済み"),
    ("users", "Users", "ユーザー数"),
    ("verdict_col", "Verdict", "判定"),
    ("worst", "Worst finding", "最も重大な検知"),
    ("no_findings", "No findings match.", "該当する検知はありません。"),
    ("login_needed", "Open the login link that `kensa serve` printed.", "`kensa serve` が表示したログインリンクを開いてください。"),
    ("password", "Password", "パスワード"),
    ("login", "Log in", "ログイン"),
    ("error", "Error", "エラー"),
    ("not_found", "Not found", "見つかりません"),
    ("flows", "Flows", "フロー"),
    ("rule_src", "this source range", "この送信元範囲"),
    ("rule_host_dst", "this host to this destination", "このホストからこの宛先"),
    ("origin", "Origin", "由来"),
    ("active", "Active findings", "未解決の検知"),
    ("bulk_done", "verdicts updated", "件の判定を更新しました"),
    ("html", "HTML", "HTML"),
    ("pdf", "PDF", "PDF"),
    ("export", "Export findings", "検知結果のエクスポート"),
    ("lang", "Language", "言語"),
    ("direction", "Direction", "方向"),
    ("text", "Text", "テキスト"),
    ("hex", "Hex", "16 進"),
    ("reject_samples", "Rejected line samples", "拒否された行のサンプル"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages() {
        let mut seen = std::collections::HashSet::new();
        for (k, en, ja) in TEXT {
            assert!(seen.insert(*k), "duplicate key {k}");
            assert!(!en.is_empty() && !ja.is_empty(), "{k} lacks a translation");
        }
        assert_eq!(Lang::Ja.t("findings"), "検知結果");
        assert_eq!(Lang::En.t("findings"), "Findings");
        assert_eq!(Lang::En.t("no such key"), "??");
    }
}
