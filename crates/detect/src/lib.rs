//! # kensa-detect
//!
//! kensa's detection engine. The lead fills an [`EventTable`] (one compact,
//! interned row per web transaction of the whole case, ~54 bytes a row),
//! then runs every [`Detector`] in [`DETECTORS`]; each returns
//! [`Finding`]s, the contract the store, report and web UI consume
//! (`schema/findings.schema.json`). **detect never opens files**: data comes
//! in as rows, findings go out as values.
//!
//! Main types:
//! * [`EventTable`] / [`RowIn`]: the columnar input and its row builder;
//!   [`Groups`] sorts rows into per-pair time series.
//! * [`Detector`] / [`DetectorInfo`]: one detection method and its
//!   self-description (thresholds with reasons, ATT&CK ids, false
//!   positives, cost); [`compliance::assert_detector_compliance`] checks the
//!   contract in `docs/detector.md`.
//! * [`Finding`]: one result, with a stable key so verdicts survive re-runs.
//! * [`beacon`]: RITA v5's beacon score (baseline) and kensa's
//!   jitter-robust periodicity test; [`dga`]: a lexical DGA model.
//! * [`intel`]: threat-intel hits the caller attached to rows
//!   ([`RowIn::intel`], [`EventTable::add_ioc`]).
//! * [`proxy_signals`]: 407 storms, CONNECT to raw IPs / non-443 ports,
//!   direct-to-IP HTTP, long tunnels, scripting / empty / rare agents,
//!   DNS-failure bursts; [`exfil_volume`]: uploads against the client's own
//!   baseline; [`leak_risk`]: unsanctioned cloud uploads and the per-user
//!   service inventory ([`leak_risk::inventory`]); [`rare_destination`]:
//!   rare new destinations with corroborating evidence; [`c2_traits`]: a
//!   [`StreamPass`] over full URLs (Cobalt Strike URIs, checksum8 stagers,
//!   executable/image mismatches). [`common`] holds their shared helpers.
//!
//! The caller runs [`Detector::run`] for every detector on the table, and
//! feeds every [`Detector::stream`] pass each record with its row while
//! filling the table, then calls [`StreamPass::finish`].
//!
//! ```
//! use kensa_detect::{Context, EventTable, RowIn, DETECTORS};
//!
//! let mut t = EventTable::new();
//! for i in 0..200i64 {
//!     t.push(&RowIn {
//!         ts_ms: 1_700_000_000_000 + i * 300_000 + (i * 7919 % 60_000),
//!         src_ip: Some("10.0.0.5"),
//!         host: Some("update.example.net"),
//!         domain: Some("example.net"),
//!         ..Default::default()
//!     });
//! }
//! let ctx = Context::default();
//! let findings: Vec<_> = DETECTORS.iter().flat_map(|d| d.run(&t, &ctx)).collect();
//! assert_eq!(findings[0].detector, "beacon");
//! assert!((findings[0].evidence.figures["period_s"] - 300.0).abs() < 30.0);
//! ```
//!
//! See `examples/beacon_grid.rs` (beacon evaluation) and
//! `examples/train_dga.rs` (how the embedded DGA model is trained).
#![deny(missing_docs)]

pub mod allow;
pub mod annotate;
pub mod beacon;
pub mod c2_traits;
pub mod common;
pub mod compliance;
pub mod detector;
pub mod dga;
pub mod exfil_volume;
pub mod finding;
pub mod group;
pub mod hosts;
pub mod intel;
pub mod leak_risk;
pub mod packet;
pub mod proxy_signals;
pub mod rare_destination;
pub mod table;

pub use detector::{Context, Detector, DetectorInfo, StreamPass, Threshold};
pub use finding::{
    Destination, Evidence, Explanation, Finding, FindingsDoc, Sample, Severity, Source, Status,
};
pub use group::{Group, GroupKey, Groups};
pub use packet::{PACKET_DETECTORS, PacketDetector, PacketTables};
pub use table::{EventTable, IntelHit, IntelHow, Interner, Ioc, Locator, Method, NONE, RowIn, Sym};

/// Every built-in detector, in report order.
pub static DETECTORS: &[&dyn Detector] = &[
    &intel::Intel,
    &beacon::Beacon,
    &dga::Dga,
    &proxy_signals::ProxySignals,
    &exfil_volume::ExfilVolume,
    &leak_risk::LeakRisk,
    &rare_destination::RareDestination,
    &c2_traits::C2Traits,
];
