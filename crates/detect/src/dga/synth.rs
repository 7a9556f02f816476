//! Training and evaluation data for the DGA model, generated locally.
//!
//! **Benign** labels come from a word list (the caller supplies it, e.g.
//! Debian's `wamerican`) plus generated brand-like names: compounds, words
//! with digits, hyphenated names, acronyms and Japanese romaji names built
//! from kana syllables.
//!
//! **DGA** families are written from public descriptions of how malware
//! families generate names (no malware code was used): uniform random
//! letters from an LCG (Conficker/CryptoLocker style), hex digests of a
//! seed and date (Bamital/Zloader style), base-36 strings (Necurs/Ramnit
//! style), consonant–vowel pronounceable strings (Pykspa/Symmi style),
//! dictionary-word concatenation (Suppobox/Matsnu style) and a
//! Banjori-style mutation of the first letters of a base string.

use crate::beacon::sim::Rng;

/// The DGA families implemented here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Uniform letters a–z from a linear congruential generator, 8–16 long.
    LcgLetters,
    /// Hex digest of seed and day, 12–32 long.
    HexHash,
    /// Letters and digits (base 36), 10–20 long.
    Base36,
    /// Alternating consonant–vowel syllables, 8–14 long.
    Pronounceable,
    /// Two or three dictionary words concatenated.
    WordConcat,
    /// First four letters of a fixed base string mutated per day.
    BanjoriLike,
}

impl Family {
    /// All families.
    pub const ALL: [Family; 6] = [
        Family::LcgLetters,
        Family::HexHash,
        Family::Base36,
        Family::Pronounceable,
        Family::WordConcat,
        Family::BanjoriLike,
    ];
    /// Short name.
    pub fn name(self) -> &'static str {
        match self {
            Family::LcgLetters => "lcg-letters",
            Family::HexHash => "hex-hash",
            Family::Base36 => "base36",
            Family::Pronounceable => "pronounceable",
            Family::WordConcat => "word-concat",
            Family::BanjoriLike => "banjori-like",
        }
    }
}

const CONS: &[u8] = b"bcdfghjklmnpqrstvwxz";
const VOW: &[u8] = b"aeiouy";

/// One label of `family`, the `i`-th of seed `seed`. `words` is used by the
/// dictionary family (must be non-empty for it; falls back to letters).
pub fn dga_label(family: Family, seed: u64, i: u64, words: &[String]) -> String {
    let mut r = Rng::new(
        seed.wrapping_mul(1_000_003)
            .wrapping_add(i)
            .wrapping_add(family as u64 * 7919),
    );
    match family {
        Family::LcgLetters => {
            // x' = a·x + c mod 2^32, letter = (x >> 16) % 26.
            let mut x = (r.next_u64() as u32) | 1;
            let len = 8 + r.below(9) as usize;
            (0..len)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (b'a' + ((x >> 16) % 26) as u8) as char
                })
                .collect()
        }
        Family::HexHash => {
            let len = 12 + r.below(21) as usize;
            let mut h = r.next_u64();
            (0..len)
                .map(|k| {
                    if k % 16 == 0 {
                        h = splitmix(h ^ k as u64);
                    }
                    let nib = (h >> ((k % 16) * 4)) & 15;
                    b"0123456789abcdef"[nib as usize] as char
                })
                .collect()
        }
        Family::Base36 => {
            let len = 10 + r.below(11) as usize;
            (0..len)
                .map(|_| b"abcdefghijklmnopqrstuvwxyz0123456789"[r.below(36) as usize] as char)
                .collect()
        }
        Family::Pronounceable => {
            let len = 8 + r.below(7) as usize;
            let mut s = String::new();
            while s.len() < len {
                s.push(CONS[r.below(CONS.len() as u64) as usize] as char);
                s.push(VOW[r.below(VOW.len() as u64) as usize] as char);
            }
            s.truncate(len);
            s
        }
        Family::WordConcat => {
            if words.is_empty() {
                return dga_label(Family::LcgLetters, seed, i, words);
            }
            let k = 2 + r.below(2);
            (0..k)
                .map(|_| words[r.below(words.len() as u64) as usize].as_str())
                .collect()
        }
        Family::BanjoriLike => {
            let base = b"earnestnessbiophysicalohax";
            let mut s = base.to_vec();
            for c in s.iter_mut().take(4) {
                let v = r.below(26) as u8;
                *c = b'a' + (*c - b'a' + v) % 26;
            }
            String::from_utf8_lossy(&s).into_owned()
        }
    }
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Kana syllables in Hepburn romanisation.
pub const KANA: &[&str] = &[
    "a", "i", "u", "e", "o", "ka", "ki", "ku", "ke", "ko", "sa", "shi", "su", "se", "so", "ta",
    "chi", "tsu", "te", "to", "na", "ni", "nu", "ne", "no", "ha", "hi", "fu", "he", "ho", "ma",
    "mi", "mu", "me", "mo", "ya", "yu", "yo", "ra", "ri", "ru", "re", "ro", "wa", "n", "ga", "gi",
    "gu", "ge", "go", "za", "ji", "zu", "ze", "zo", "da", "de", "do", "ba", "bi", "bu", "be", "bo",
    "pa", "pi", "pu", "pe", "po", "kyo", "sho", "cho", "ryu", "ju", "kyu", "sha",
];

/// Keeps dictionary words usable as labels: ASCII letters only, 2–20 long,
/// lower-cased, possessives dropped.
pub fn clean_words<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<String> = lines
        .filter(|w| !w.contains('\''))
        .filter(|w| (2..=20).contains(&w.len()) && w.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(|w| w.to_ascii_lowercase())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// One generated benign brand-like label.
pub fn benign_label(words: &[String], r: &mut Rng) -> String {
    let w = |r: &mut Rng| {
        words[r.below(words.len().max(1) as u64) as usize % words.len().max(1)].clone()
    };
    let romaji = |r: &mut Rng| {
        let k = 2 + r.below(3);
        (0..k)
            .map(|_| KANA[r.below(KANA.len() as u64) as usize])
            .collect::<String>()
    };
    if words.is_empty() {
        return romaji(r);
    }
    match r.below(10) {
        0 | 1 => {
            // Short compounds such as "bluesky", "getmail".
            let (a, b) = (w(r), w(r));
            if a.len() + b.len() <= 18 { a + &b } else { a }
        }
        2 => {
            // Words with numbers: "web2", "shop24", "site4659", "2ch".
            let num = [r.below(10), r.below(100), r.below(10_000), 24, 365][r.below(5) as usize]
                .to_string();
            if r.below(5) == 0 {
                format!("{num}{}", w(r))
            } else {
                format!("{}{num}", w(r))
            }
        }
        3 => format!("{}-{}", w(r), w(r)),
        4 => {
            let k = 2 + r.below(3) as usize;
            (0..k).map(|_| (b'a' + r.below(26) as u8) as char).collect()
        }
        5 | 6 => romaji(r),
        7 => format!(
            "{}{}",
            romaji(r),
            ["bank", "net", "shop", "group", "tv", "sec", "-hd", "corp"][r.below(8) as usize]
        ),
        8 => format!(
            "{}{}",
            ["my", "get", "go", "the", "i", "e", "web", "on"][r.below(8) as usize],
            w(r)
        ),
        _ => w(r),
    }
}
