//! Findings serialised by the real detectors validate against
//! `schema/findings.schema.json`, and the schema rejects broken documents.

use kensa_detect::beacon::sim;
use kensa_detect::finding::FINDINGS_SCHEMA;
use kensa_detect::{Context, DETECTORS, EventTable, FindingsDoc, Locator, RowIn};
use serde_json::{Value, json};

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(FINDINGS_SCHEMA).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn table() -> EventTable {
    let mut t = kensa_detect::compliance::fixture_table();
    let mut rng = sim::Rng::new(3);
    let spec = sim::BeaconSpec {
        period_s: 900.0,
        jitter: 0.3,
        miss: 0.1,
        office_only: false,
    };
    for (i, ts) in sim::beacon(&spec, sim::WEEK_START_MS, sim::WEEK_MS, &mut rng)
        .into_iter()
        .enumerate()
    {
        t.push(&RowIn {
            ts_ms: ts,
            src_ip: Some("192.168.10.20"),
            host: Some("xkqzvbwmtrpl.com"),
            domain: Some("xkqzvbwmtrpl.com"),
            dst_ip: Some("198.51.100.7"),
            bytes_up: Some(512),
            port: Some(443),
            category: Some("Uncategorized"),
            locator: Locator {
                file: 7,
                line: i as u32 + 1,
            },
            ..Default::default()
        });
    }
    t
}

#[test]
fn real_findings_validate() {
    let t = table();
    let ctx = Context::default();
    let findings: Vec<_> = DETECTORS.iter().flat_map(|d| d.run(&t, &ctx)).collect();
    let detectors: std::collections::BTreeSet<_> =
        findings.iter().map(|f| f.detector.as_str()).collect();
    assert!(
        detectors.contains("beacon") && detectors.contains("dga"),
        "{detectors:?}"
    );
    let doc = serde_json::to_value(FindingsDoc { findings }).unwrap();
    let v = validator();
    let errs = errors(&v, &doc);
    assert!(errs.is_empty(), "{errs:#?}");
    // And it round-trips through serde.
    let back: FindingsDoc = serde_json::from_value(doc.clone()).unwrap();
    assert_eq!(serde_json::to_value(back).unwrap(), doc);
}

#[test]
fn schema_rejects_broken_findings() {
    let t = table();
    // The first detector that finds something in the fixture (intel, first
    // in the list, finds nothing without feeds).
    let f = DETECTORS.iter().map(|d| d.run(&t, &Context::default())).find(|f| !f.is_empty()).expect("a finding to mutate");
    let good = serde_json::to_value(FindingsDoc { findings: f }).unwrap();
    let v = validator();
    assert!(errors(&v, &good).is_empty());
    let mutate = |path: &str, val: Value| {
        let mut d = good.clone();
        d["findings"][0][path] = val;
        d
    };
    for bad in [
        mutate("score", json!(101)),
        mutate("severity", json!("urgent")),
        mutate("status", json!("closed")),
        mutate("id", json!("XYZ")),
        mutate("attack", json!(["C2"])),
        mutate("explanation", json!({"en": "x"})),
        mutate("extra", json!(1)),
    ] {
        assert!(
            !errors(&v, &bad).is_empty(),
            "accepted {}",
            bad["findings"][0]
        );
    }
    assert!(!errors(&v, &json!({})).is_empty());
}
