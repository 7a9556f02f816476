//! STIX 2.1 bundle of the confirmed IOCs: one `indicator` per destination
//! (domain, IP, URL) of an analyst-confirmed finding, one `sighting` per
//! indicator with its count and first/last seen, and the organisation as
//! the `identity` that saw them.
//!
//! Ids are deterministic: UUIDv5 over a kensa namespace and the object's
//! natural key, so re-exporting the same case yields the same ids and
//! consumers deduplicate.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::gather::{Ioc, Report};

/// kensa's UUIDv5 namespace for STIX ids (a fixed random UUID).
pub const NAMESPACE: Uuid = Uuid::from_u128(0x6b65_6e73_612d_4e53_a7a1_5c1d_2f0e_93b4);

/// A deterministic STIX id `TYPE--UUIDv5(NAMESPACE, TYPE|key)`.
pub fn stix_id(ty: &str, key: &str) -> String {
    format!("{ty}--{}", Uuid::new_v5(&NAMESPACE, format!("{ty}|{key}").as_bytes()))
}

/// Quotes a value for a STIX pattern string literal: `\` and `'` are
/// backslash-escaped (STIX 2.1 patterning, §9.2).
pub fn pattern_literal(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('\'');
    for c in s.chars() {
        if c == '\\' || c == '\'' {
            o.push('\\');
        }
        o.push(c);
    }
    o.push('\'');
    o
}

fn ts(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)).unwrap_or_else(|| "1970-01-01T00:00:00.000Z".into())
}

fn pattern(i: &Ioc) -> Option<String> {
    let p = match i.kind.as_str() {
        "domain" => format!("[domain-name:value = {}]", pattern_literal(&i.value)),
        "ip" => {
            let ip: std::net::IpAddr = i.value.parse().ok()?;
            let ty = if ip.is_ipv4() { "ipv4-addr" } else { "ipv6-addr" };
            format!("[{ty}:value = {}]", pattern_literal(&ip.to_string()))
        }
        "url" => format!("[url:value = {}]", pattern_literal(&i.value)),
        _ => return None,
    };
    Some(p)
}

/// The bundle.
pub fn bundle(r: &Report) -> Value {
    let created = r.generated_at.replace('Z', ".000Z");
    let org = r.organization.clone().unwrap_or_else(|| "kensa case".into());
    let identity_id = stix_id("identity", &org);
    let mut objects = vec![json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": identity_id,
        "created": created,
        "modified": created,
        "name": org,
        "identity_class": "organization",
    })];
    for i in r.iocs.iter().filter(|i| i.confirmed) {
        let Some(pat) = pattern(i) else { continue };
        let key = format!("{}|{}", i.kind, i.value);
        let ind = stix_id("indicator", &key);
        objects.push(json!({
            "type": "indicator",
            "spec_version": "2.1",
            "id": ind,
            "created_by_ref": identity_id,
            "created": created,
            "modified": created,
            "name": format!("{} {}", i.kind, i.value),
            "description": format!("Confirmed by an analyst in kensa findings {}", i.findings.join(", ")),
            "indicator_types": ["malicious-activity"],
            "pattern": pat,
            "pattern_type": "stix",
            "valid_from": ts(i.first_seen),
            "labels": ["kensa"],
        }));
        objects.push(json!({
            "type": "sighting",
            "spec_version": "2.1",
            "id": stix_id("sighting", &key),
            "created_by_ref": identity_id,
            "created": created,
            "modified": created,
            "sighting_of_ref": ind,
            "where_sighted_refs": [identity_id],
            "first_seen": ts(i.first_seen),
            "last_seen": ts(i.last_seen.max(i.first_seen)),
            "count": i.count.min(999_999_999),
        }));
    }
    json!({ "type": "bundle", "id": stix_id("bundle", &format!("{}|{}", r.case_dir, r.generated_at)), "objects": objects })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_deterministic_uuid_v5() {
        let a = stix_id("indicator", "domain|evil.example");
        assert_eq!(a, stix_id("indicator", "domain|evil.example"));
        assert_ne!(a, stix_id("indicator", "domain|evil.example2"));
        let u = Uuid::parse_str(a.strip_prefix("indicator--").unwrap()).unwrap();
        assert_eq!(u.get_version_num(), 5);
    }

    #[test]
    fn pattern_literals_are_escaped() {
        assert_eq!(pattern_literal("a'b\\c"), r"'a\'b\\c'");
        let i = Ioc { kind: "domain".into(), value: "x' OR 1=1]".into(), confirmed: true, findings: vec![], first_seen: 0, last_seen: 0, count: 1 };
        assert_eq!(pattern(&i).unwrap(), r"[domain-name:value = 'x\' OR 1=1]']");
        let i = Ioc { kind: "ip".into(), value: "not-an-ip".into(), confirmed: true, findings: vec![], first_seen: 0, last_seen: 0, count: 1 };
        assert!(pattern(&i).is_none());
    }
}
