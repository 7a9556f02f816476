//! Context added to findings after detection, from the whole table.
//!
//! [`user_agents`] lists the user agents behind each finding's
//! source→destination pair (`evidence.notes["user_agents"]`, one per line,
//! most frequent first, at most [`MAX_UAS`]). The report and the web UI show
//! them as evidence, and `user_agent` allowlist rules match on them.

use crate::finding::Finding;
use crate::table::{EventTable, NONE, Sym};
use std::collections::HashMap;

/// Most user agents listed per finding.
pub const MAX_UAS: usize = 5;

/// Fills `evidence.notes["user_agents"]` for findings whose source IP and
/// destination host (or IP) occur in `t`. One pass over the table.
pub fn user_agents(t: &EventTable, findings: &mut [Finding]) {
    // (source, host-or-ip, is_ip) → finding indices
    let mut wanted: HashMap<(Sym, Sym, bool), Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        let Some(src) = f.src.ip.as_deref().and_then(|s| t.srcs.lookup(s)) else { continue };
        if let Some(h) = f.dst.host.as_deref().and_then(|h| t.hosts.lookup(h)) {
            wanted.entry((src, h, false)).or_default().push(i);
        } else if let Some(ip) = f.dst.ip.as_deref().and_then(|ip| t.ips.lookup(ip)) {
            wanted.entry((src, ip, true)).or_default().push(i);
        }
    }
    if wanted.is_empty() {
        return;
    }
    let mut counts: HashMap<(Sym, Sym, bool), HashMap<Sym, u64>> = HashMap::new();
    for row in 0..t.ts_ms.len() {
        let (s, ua) = (t.src[row], t.ua[row]);
        if ua == NONE {
            continue;
        }
        for key in [(s, t.host[row], false), (s, t.dst_ip[row], true)] {
            if key.1 != NONE && wanted.contains_key(&key) {
                *counts.entry(key).or_default().entry(ua).or_default() += 1;
            }
        }
    }
    for (key, idx) in wanted {
        let Some(c) = counts.get(&key) else { continue };
        let mut v: Vec<(Sym, u64)> = c.iter().map(|(k, n)| (*k, *n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let list: Vec<&str> = v.iter().take(MAX_UAS).filter_map(|(ua, _)| t.uas.get(*ua)).collect();
        if list.is_empty() {
            continue;
        }
        let joined = list.join("\n");
        for i in idx {
            findings[i].evidence.notes.insert("user_agents".into(), joined.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::RowIn;

    #[test]
    fn lists_agents_of_the_pair_most_frequent_first() {
        let mut t = EventTable::new();
        for (i, ua) in ["curl/8.0", "curl/8.0", "Mozilla/5.0", "curl/8.0"].iter().enumerate() {
            t.push(&RowIn {
                ts_ms: i as i64,
                src_ip: Some("10.0.0.1"),
                host: Some("c2.test"),
                user_agent: Some(ua),
                ..Default::default()
            });
        }
        t.push(&RowIn { ts_ms: 9, src_ip: Some("10.0.0.2"), host: Some("c2.test"), user_agent: Some("Other/1"), ..Default::default() });
        let mut f = Finding::new("beacon", "10.0.0.1", "c2.test", "t".into(), 80.0);
        f.src.ip = Some("10.0.0.1".into());
        f.dst.host = Some("c2.test".into());
        let mut none = Finding::new("beacon", "10.0.0.9", "c2.test", "t".into(), 80.0);
        none.src.ip = Some("10.0.0.9".into());
        none.dst.host = Some("c2.test".into());
        let mut fs = vec![f, none];
        user_agents(&t, &mut fs);
        assert_eq!(fs[0].evidence.notes["user_agents"], "curl/8.0\nMozilla/5.0");
        assert!(!fs[1].evidence.notes.contains_key("user_agents"));
    }
}
