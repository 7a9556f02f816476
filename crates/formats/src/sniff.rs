//! Guesses the format of an input from its first lines.
//!
//! Each format family scores the sample itself ([`crate::squid::sniff`],
//! [`crate::elff::sniff`], [`crate::ifilter::sniff`]: the percentage of
//! non-blank, non-comment lines its best layout parses). [`sniff`] takes
//! the highest score. On a tie it prefers the more specific format: one
//! recognised from a header (`#Fields:`) over a headerless preset, a preset
//! with many fixed columns over a loose layout, `combined` over `common`.
//! A score under 50 % is never accepted. Custom layouts (Squid `logformat`,
//! i-FILTER mapping) need configuration and are never guessed.
//!
//! ```
//! use kensa_formats::sniff::sniff;
//! use kensa_model::SourceFormat;
//! let lines = ["1700000000.000      5 192.0.2.1 TCP_MISS/200 512 GET http://a.example/ - HIER_DIRECT/192.0.2.2 text/html"];
//! assert_eq!(sniff(&lines).unwrap().format, SourceFormat::SquidNative);
//! assert!(sniff(&["hello world"]).is_none());
//! ```

use kensa_model::SourceFormat;

/// How many lines the sniffer wants to see.
pub const SNIFF_LINES: usize = 32;

/// The lowest score the sniffer accepts.
pub const MIN_CONFIDENCE: u32 = 50;

/// The sniffer's verdict on one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sniffed {
    /// The format that fits best.
    pub format: SourceFormat,
    /// How many of the non-blank sample lines it parsed (0–100).
    pub confidence: u32,
}

/// Tie-break rank: higher = more specific (fewer inputs could fit it by chance).
fn specificity(f: SourceFormat) -> u8 {
    use SourceFormat as F;
    match f {
        F::ProxySgElff => 10,
        F::W3c => 9,
        F::ProxySgBcreportermainV1 => 8,
        F::IfilterV10Access => 7,
        F::ProxySgMain => 6,
        F::IfilterDspaAccess => 6,
        F::IfilterBlock => 5,
        F::SquidCombined => 4,
        F::SquidCommon => 3,
        F::SquidNative => 3,
        F::SquidCustom | F::IfilterCustom | F::Pcap => 0,
    }
}

/// Picks the best-fitting format for the sample `lines`, or `None` if no
/// format parses at least half of them.
///
/// A UTF-8 byte-order mark before the first line is ignored, as the
/// parsers ignore it ([`crate::text::decode_line`]).
pub fn sniff(lines: &[&str]) -> Option<Sniffed> {
    let first = lines.first().and_then(|l| l.strip_prefix('\u{FEFF}'));
    let unmarked: Vec<&str>;
    let lines = match first {
        Some(f) => {
            unmarked = std::iter::once(f)
                .chain(lines[1..].iter().copied())
                .collect();
            &unmarked[..]
        }
        None => lines,
    };
    let candidates = [
        crate::squid::sniff(lines),
        crate::elff::sniff(lines),
        crate::ifilter::sniff(lines),
    ];
    best_of(candidates.into_iter().flatten())
}

fn best_of(candidates: impl IntoIterator<Item = (SourceFormat, u32)>) -> Option<Sniffed> {
    let mut best: Option<Sniffed> = None;
    for (format, confidence) in candidates {
        let confidence = confidence.min(100);
        if confidence < MIN_CONFIDENCE {
            continue;
        }
        let better = match &best {
            None => true,
            Some(b) => {
                confidence > b.confidence
                    || (confidence == b.confidence && specificity(format) > specificity(b.format))
            }
        };
        if better {
            best = Some(Sniffed { format, confidence });
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use SourceFormat as F;

    #[test]
    fn ties_prefer_the_specific_format_and_low_scores_lose() {
        let s = best_of([(F::SquidNative, 80), (F::ProxySgMain, 80)]).unwrap();
        assert_eq!(s.format, F::ProxySgMain);
        let s = best_of([(F::ProxySgElff, 90), (F::SquidCombined, 100)]).unwrap();
        assert_eq!((s.format, s.confidence), (F::SquidCombined, 100));
        let s = best_of([(F::SquidCommon, 70), (F::SquidCombined, 70)]).unwrap();
        assert_eq!(s.format, F::SquidCombined);
        assert_eq!(best_of([(F::SquidNative, 49), (F::IfilterBlock, 10)]), None);
        assert_eq!(best_of([(F::W3c, 250)]).unwrap().confidence, 100);
        assert_eq!(best_of([]), None);
    }

    #[test]
    fn a_byte_order_mark_does_not_hide_the_format() {
        // IIS writes UTF-8 logs with a BOM; the header must still be seen.
        let iis = [
            "\u{FEFF}#Fields: date time c-ip cs-method cs-uri-stem sc-status",
            "2024-11-26 00:00:01 203.0.113.9 GET /index.html 200",
        ];
        assert_eq!(
            sniff(&iis).unwrap(),
            Sniffed {
                format: F::W3c,
                confidence: 100
            }
        );
        let squid = [
            "\u{FEFF}1700000000.123    250 10.0.0.5 TCP_MISS/200 1234 GET http://example.com/a - HIER_DIRECT/93.184.216.34 text/html",
        ];
        assert_eq!(
            sniff(&squid).unwrap(),
            Sniffed {
                format: F::SquidNative,
                confidence: 100
            }
        );
    }
}
