//! JSON document feeds: MISP events, STIX 2.1 bundles, ThreatFox and Feodo
//! JSON. Streamed with serde: the big arrays (`objects`, `Attribute`,
//! `Object`, records) are visited one element at a time and each element is
//! turned into indicators and dropped, so memory is bounded by the largest
//! single element, not the document. (MISP indicators of one event are held
//! until the event's closing brace, because event-level `uuid` and `Tag`
//! may come after the attributes.)

use std::fmt;
use std::io::BufRead;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::abuse::{ip_indicator, threatfox_ioc};
use super::stix::stix_pattern;
use super::{Out, opt, timestamp};
use crate::normalize;
use crate::{FeedFormat, Indicator, IndicatorKind};

/// Parses one JSON document feed.
pub(crate) fn parse_document(format: FeedFormat, r: impl BufRead, out: &mut Out<'_>) -> Result<(), crate::Error> {
    let mut de = serde_json::Deserializer::from_reader(r);
    let res = match format {
        FeedFormat::Stix => de.deserialize_map(StixBundle { out, now: chrono::Utc::now() }),
        FeedFormat::Misp => de.deserialize_map(MispEvent { out }),
        FeedFormat::ThreatfoxJson => de.deserialize_any(Records { out, kind: RecordKind::Threatfox, id: None }),
        FeedFormat::FeodoJson => de.deserialize_any(Records { out, kind: RecordKind::Feodo, id: None }),
        _ => return Ok(()),
    };
    res.and_then(|_| de.end()).map_err(|e| {
        if e.is_io() {
            crate::Error::Io(std::io::Error::other(e))
        } else {
            crate::Error::Json { line: e.line() as u64, column: e.column() as u64, message: e.to_string() }
        }
    })
}

fn excerpt(v: &Value) -> String {
    let s = v.to_string();
    s.chars().take(120).collect()
}

fn str_of<'v>(v: &'v Value, k: &str) -> Option<&'v str> {
    v.get(k).and_then(Value::as_str)
}

/// Streams a JSON array, calling `f` with each element's 1-based index.
struct Each<F>(F);

impl<'de, F: FnMut(u64, Value)> DeserializeSeed<'de> for Each<F> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(u64, Value)> Visitor<'de> for Each<F> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while let Some(v) = seq.next_element::<Value>()? {
            i += 1;
            (self.0)(i, v);
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- STIX

struct StixBundle<'o, 's> {
    out: &'o mut Out<'s>,
    now: chrono::DateTime<chrono::Utc>,
}

impl<'de> Visitor<'de> for StixBundle<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a STIX bundle object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (out, now) = (self.out, self.now);
        while let Some(k) = map.next_key::<String>()? {
            if k == "objects" {
                map.next_value_seed(Each(|i, v| stix_object(i, &v, now, out)))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

fn stix_object(i: u64, v: &Value, now: chrono::DateTime<chrono::Utc>, out: &mut Out<'_>) {
    if str_of(v, "type") != Some("indicator") {
        return;
    }
    let Some(pattern) = str_of(v, "pattern") else {
        out.rejected.add(i, Some("pattern"), "indicator without a pattern", &excerpt(v));
        return;
    };
    if let Some(pt) = str_of(v, "pattern_type")
        && pt != "stix"
    {
        out.unsupported.add(i, Some("pattern_type"), &format!("pattern_type `{}` not supported", pt.chars().take(40).collect::<String>()), pattern);
        return;
    }
    if v.get("revoked").and_then(Value::as_bool) == Some(true) {
        out.skipped.add(i, Some("revoked"), "revoked indicator", pattern);
        return;
    }
    if let Some(until) = str_of(v, "valid_until")
        && let Ok(t) = chrono::DateTime::parse_from_rfc3339(until)
        && t < now
    {
        out.skipped.add(i, Some("valid_until"), "expired indicator (valid_until has passed)", pattern);
        return;
    }
    let iocs = match stix_pattern(pattern) {
        Ok(v) => v,
        Err(e) => {
            out.unsupported.add(i, Some("pattern"), &e, pattern);
            return;
        }
    };
    let threat = v.get("indicator_types").and_then(|t| t.get(0)).and_then(Value::as_str).map(|t| out.intern(t));
    let mut tags: Vec<String> = v
        .get("labels")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).take(64).map(str::to_owned).collect())
        .unwrap_or_default();
    if let Some(name) = str_of(v, "name") {
        tags.push(name.chars().take(200).collect());
    }
    let confidence = v.get("confidence").and_then(Value::as_u64).map(|c| c.min(100) as u8);
    let first = str_of(v, "valid_from").and_then(timestamp);
    let reference = str_of(v, "id").map(str::to_owned);
    for ioc in iocs {
        let mut ind = out.indicator(ioc.kind, ioc.value);
        ind.port = ioc.port;
        ind.threat_type = threat.clone();
        ind.tags = tags.clone();
        ind.confidence = confidence;
        ind.first_seen = first.clone();
        ind.reference = reference.clone();
        out.push(ind);
    }
}

// ---------------------------------------------------------------- MISP

/// A map that may be an event (`Attribute`, `Object`, `uuid`, `Tag`, …), a
/// wrapper (`{"Event": …}`) or a REST answer (`{"response": [ … ]}`).
struct MispEvent<'o, 's> {
    out: &'o mut Out<'s>,
}

impl<'de> DeserializeSeed<'de> for MispEvent<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

struct MispResponse<'o, 's> {
    out: &'o mut Out<'s>,
}

impl<'de> DeserializeSeed<'de> for MispResponse<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for MispResponse<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of MISP events")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(MispEvent { out: &mut *self.out })?.is_some() {}
        Ok(())
    }
}

impl<'de> Visitor<'de> for MispEvent<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a MISP event object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let out = self.out;
        let mut pending: Vec<Indicator> = Vec::new();
        let mut uuid: Option<String> = None;
        let mut event_tags: Vec<String> = Vec::new();
        let mut attr_no = 0u64;
        while let Some(k) = map.next_key::<String>()? {
            match k.as_str() {
                "Event" => map.next_value_seed(MispEvent { out: &mut *out })?,
                "response" => map.next_value_seed(MispResponse { out: &mut *out })?,
                "Attribute" => map.next_value_seed(Each(|_, v| {
                    attr_no += 1;
                    misp_attribute(attr_no, &v, None, out, &mut pending)
                }))?,
                "Object" => map.next_value_seed(Each(|_, obj| {
                    let name = str_of(&obj, "name").map(|s| s.chars().take(100).collect::<String>());
                    let attrs = obj.get("Attribute").and_then(Value::as_array);
                    let label = attrs.and_then(|a| {
                        a.iter().find(|x| str_of(x, "object_relation") == Some("name") && str_of(x, "type") == Some("text"))
                    });
                    let ctx = ObjCtx { name, label: label.and_then(|l| str_of(l, "value")).map(|s| s.chars().take(200).collect()) };
                    for a in attrs.into_iter().flatten() {
                        attr_no += 1;
                        misp_attribute(attr_no, a, Some(&ctx), out, &mut pending);
                    }
                }))?,
                "uuid" => uuid = map.next_value::<Value>()?.as_str().map(|s| s.chars().take(64).collect()),
                "Tag" => event_tags = tag_names(&map.next_value::<Value>()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        for mut ind in pending {
            if ind.reference.is_none() {
                ind.reference = uuid.as_ref().map(|u| format!("misp-event:{u}"));
            }
            ind.tags.extend(event_tags.iter().cloned());
            out.push(ind);
        }
        Ok(())
    }
}

struct ObjCtx {
    name: Option<String>,
    label: Option<String>,
}

fn tag_names(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(|t| str_of(t, "name")).take(64).map(|s| s.chars().take(200).collect()).collect())
        .unwrap_or_default()
}

/// The (kind, value, port) list a MISP attribute type gives, `Ok(None)` for
/// types not used for matching.
/// (kind, normalised value, port) triples.
type Values = Vec<(IndicatorKind, String, Option<u16>)>;

fn misp_values(ty: &str, value: &str) -> Result<Option<Values>, &'static str> {
    let ip = |v: &str| normalize::ip_or_cidr(v).map(ip_indicator).ok_or("not an IP address or CIDR");
    let port = |p: &str| p.trim().parse::<u16>().map_err(|_| "not a port number");
    let one = |k, v| Ok(Some(vec![(k, v, None)]));
    let pair = || value.split_once('|').ok_or("composite value without `|`");
    let hash = |k: IndicatorKind, v: &str| normalize::hash(k, v).map(|h| Some(vec![(k, h, None)]));
    match ty {
        "ip-dst" | "ip-src" | "ip" => {
            let (k, v) = ip(value)?;
            one(k, v)
        }
        "ip-dst|port" | "ip-src|port" => {
            let (a, p) = pair()?;
            let (k, v) = ip(a)?;
            Ok(Some(vec![(k, v, Some(port(p)?))]))
        }
        "domain" | "hostname" => one(IndicatorKind::Domain, normalize::domain(value)?),
        "hostname|port" => {
            let (a, p) = pair()?;
            Ok(Some(vec![(IndicatorKind::Domain, normalize::domain(a)?, Some(port(p)?))]))
        }
        "domain|ip" => {
            let (d, a) = pair()?;
            let (k, v) = ip(a)?;
            Ok(Some(vec![(IndicatorKind::Domain, normalize::domain(d)?, None), (k, v, None)]))
        }
        "url" => one(IndicatorKind::Url, normalize::url(value)?),
        "md5" => hash(IndicatorKind::Md5, value),
        "sha1" => hash(IndicatorKind::Sha1, value),
        "sha256" => hash(IndicatorKind::Sha256, value),
        "sha512" => hash(IndicatorKind::Sha512, value),
        "filename|md5" => hash(IndicatorKind::Md5, pair()?.1),
        "filename|sha1" => hash(IndicatorKind::Sha1, pair()?.1),
        "filename|sha256" => hash(IndicatorKind::Sha256, pair()?.1),
        "filename|sha512" => hash(IndicatorKind::Sha512, pair()?.1),
        "ja3-fingerprint-md5" => hash(IndicatorKind::Ja3, value),
        "ja3s-fingerprint-md5" => hash(IndicatorKind::Ja3s, value),
        "ja4-fingerprint" => hash(IndicatorKind::Ja4, value),
        "x509-fingerprint-sha1" => hash(IndicatorKind::CertSha1, value),
        "x509-fingerprint-sha256" => hash(IndicatorKind::CertSha256, value),
        _ => Ok(None),
    }
}

fn bool_of(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.as_str() {
            "1" | "true" => Some(true),
            "0" | "false" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_u64().map(|n| n != 0),
        _ => None,
    }
}

fn misp_attribute(no: u64, a: &Value, obj: Option<&ObjCtx>, out: &mut Out<'_>, pending: &mut Vec<Indicator>) {
    let (Some(ty), Some(value)) = (str_of(a, "type"), str_of(a, "value")) else {
        out.rejected.add(no, Some("type"), "attribute without type or value", &excerpt(a));
        return;
    };
    if bool_of(a.get("deleted")) == Some(true) {
        out.skipped.add(no, Some("deleted"), "deleted attribute", value);
        return;
    }
    let vals = match misp_values(ty, value) {
        Ok(Some(v)) => v,
        Ok(None) => {
            let why = format!("MISP type `{}` not used for matching", ty.chars().take(40).collect::<String>());
            out.skipped.add(no, Some("type"), &why, value);
            return;
        }
        Err(e) => {
            out.rejected.add(no, Some("value"), e, &excerpt(a));
            return;
        }
    };
    // to_ids=false: kept, flagged non-alerting (the matcher still finds it;
    // detectors decide). A missing to_ids counts as true.
    let alerting = bool_of(a.get("to_ids")).unwrap_or(true);
    let mut tags = tag_names(a.get("Tag").unwrap_or(&Value::Null));
    if let Some(n) = obj.and_then(|o| o.name.as_ref()) {
        tags.push(format!("misp-object:{n}"));
    }
    let category = str_of(a, "category").map(|c| out.intern(c));
    let malware = obj.and_then(|o| o.label.as_deref()).map(|l| out.intern(l));
    for (kind, v, port) in vals {
        let mut ind = out.indicator(kind, v);
        ind.port = port;
        ind.alerting = alerting;
        ind.threat_type = category.clone();
        ind.malware = malware.clone();
        ind.tags = tags.clone();
        ind.first_seen = str_of(a, "first_seen").and_then(timestamp).or_else(|| {
            a.get("timestamp").and_then(|t| t.as_str().map(str::to_owned).or_else(|| t.as_u64().map(|n| n.to_string()))).and_then(|t| timestamp(&t))
        });
        ind.last_seen = str_of(a, "last_seen").and_then(timestamp);
        pending.push(ind);
    }
}

// ---------------------------------------------------------------- ThreatFox / Feodo JSON

#[derive(Clone, Copy)]
enum RecordKind {
    Threatfox,
    Feodo,
}

/// A top-level value holding records: an array of records, or an object
/// whose values are arrays of records (`{"<ioc id>": [ … ]}`, or
/// `{"query_status": "ok", "data": [ … ]}`).
struct Records<'o, 's> {
    out: &'o mut Out<'s>,
    kind: RecordKind,
    id: Option<String>,
}

impl<'de> DeserializeSeed<'de> for Records<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Records<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array or object of feed records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while let Some(v) = seq.next_element::<Value>()? {
            i += 1;
            match self.kind {
                RecordKind::Threatfox => threatfox_record(i, &v, self.id.as_deref(), self.out),
                RecordKind::Feodo => feodo_record(i, &v, self.out),
            }
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let out = self.out;
        while let Some(k) = map.next_key::<String>()? {
            let id = if k == "data" { None } else { Some(k.chars().take(32).collect()) };
            map.next_value_seed(Records { out: &mut *out, kind: self.kind, id })?;
        }
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

fn text_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).take(64).map(str::to_owned).collect(),
        Some(Value::String(s)) => super::tags(s),
        _ => Vec::new(),
    }
}

fn threatfox_record(i: u64, v: &Value, id: Option<&str>, out: &mut Out<'_>) {
    let value = str_of(v, "ioc_value").or_else(|| str_of(v, "ioc"));
    let (Some(value), Some(ty)) = (value, str_of(v, "ioc_type")) else {
        out.rejected.add(i, Some("ioc_value"), "record without ioc_value/ioc_type", &excerpt(v));
        return;
    };
    let (kind, value, port) = match threatfox_ioc(ty, value) {
        Ok(x) => x,
        Err((field, why)) => {
            out.rejected.add(i, Some(field), why, &excerpt(v));
            return;
        }
    };
    let mut ind = out.indicator(kind, value);
    ind.port = port;
    ind.first_seen = str_of(v, "first_seen_utc").or_else(|| str_of(v, "first_seen")).and_then(timestamp);
    ind.last_seen = str_of(v, "last_seen_utc").or_else(|| str_of(v, "last_seen")).and_then(timestamp);
    ind.threat_type = str_of(v, "threat_type").and_then(opt).map(|t| out.intern(t));
    ind.malware = str_of(v, "malware_printable").and_then(opt).map(|t| out.intern(t));
    ind.confidence = v
        .get("confidence_level")
        .and_then(|c| c.as_u64().or_else(|| c.as_str().and_then(|s| s.trim().parse().ok())))
        .map(|c| c.min(100) as u8);
    ind.tags = text_list(v.get("tags"));
    let rec_id = v.get("id").and_then(|x| x.as_str().map(str::to_owned).or_else(|| x.as_u64().map(|n| n.to_string())));
    ind.reference = str_of(v, "reference")
        .and_then(opt)
        .map(str::to_owned)
        .or_else(|| rec_id.as_deref().or(id).map(|id| format!("https://threatfox.abuse.ch/ioc/{id}/")));
    out.push(ind);
}

fn feodo_record(i: u64, v: &Value, out: &mut Out<'_>) {
    let Some(raw) = str_of(v, "ip_address") else {
        out.rejected.add(i, Some("ip_address"), "record without ip_address", &excerpt(v));
        return;
    };
    let Some(ip) = normalize::ip(raw) else {
        out.rejected.add(i, Some("ip_address"), "not an IP address", &excerpt(v));
        return;
    };
    let mut ind = out.indicator(IndicatorKind::Ip, ip.to_string());
    ind.port = v.get("port").and_then(|p| p.as_u64().or_else(|| p.as_str().and_then(|s| s.parse().ok()))).and_then(|p| u16::try_from(p).ok());
    ind.first_seen = str_of(v, "first_seen").and_then(timestamp);
    ind.last_seen = str_of(v, "last_online").and_then(timestamp);
    ind.malware = str_of(v, "malware").and_then(opt).map(|m| out.intern(m));
    ind.threat_type = Some(out.intern("botnet_cc"));
    if let Some(s) = str_of(v, "status").and_then(opt) {
        ind.tags.push(format!("c2_status:{s}"));
    }
    out.push(ind);
}
