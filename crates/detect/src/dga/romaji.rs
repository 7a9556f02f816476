//! Hepburn romaji: Japanese words written in Latin letters.
//!
//! Japanese company, shop and clinic names are very often registered in
//! romaji (`seiwaseikotsuin.jp`, `hikarikoumuten.co.jp`): long, vowel-rich
//! strings whose character trigrams are rare in the English-heavy benign
//! model, so the lexical DGA model scores them high. A label that splits
//! completely into romaji syllables is Japanese text, not machine output:
//! random-letter, hex and base-36 DGA labels almost never split this way
//! (any `l`, `q`, `x`, `v`, `c` outside `ch`, digit, or consonant cluster
//! breaks it). Hand-written: a dozen lines of syllable table and a DP; no
//! crate does this.

/// Syllables (without the geminate `kk`/`tt`/… and syllabic `n`, handled in
/// [`is_romaji`]).
const SYLLABLES: &[&str] = &[
    "a", "i", "u", "e", "o", //
    "ka", "ki", "ku", "ke", "ko", "kya", "kyu", "kyo", //
    "sa", "shi", "si", "su", "se", "so", "sha", "shu", "sho", "she", //
    "ta", "chi", "ti", "tsu", "tu", "te", "to", "cha", "chu", "cho", "che", //
    "na", "ni", "nu", "ne", "no", "nya", "nyu", "nyo", //
    "ha", "hi", "fu", "hu", "he", "ho", "hya", "hyu", "hyo", //
    "ma", "mi", "mu", "me", "mo", "mya", "myu", "myo", //
    "ya", "yu", "yo", //
    "ra", "ri", "ru", "re", "ro", "rya", "ryu", "ryo", //
    "wa", "wo", //
    "ga", "gi", "gu", "ge", "go", "gya", "gyu", "gyo", //
    "za", "ji", "zi", "zu", "ze", "zo", "ja", "ju", "jo", "je", //
    "da", "de", "do", //
    "ba", "bi", "bu", "be", "bo", "bya", "byu", "byo", //
    "pa", "pi", "pu", "pe", "po", "pya", "pyu", "pyo",
];

/// English words Japanese shops and firms put next to a romaji name
/// (`meiwasalon`, `aozora-design`, `tanakadental`): a romaji label may
/// contain them whole, as long as at least 4 letters of the label are
/// romaji (see [`is_romaji`]), so an English-only label is still scored by
/// the model.
const BUSINESS_WORDS: &[&str] = &[
    "salon", "design", "studio", "clinic", "dental", "office", "group", "style", "home", "life",
    "cafe", "hotel", "beauty", "house", "works", "garden", "food", "foods", "hair", "nail", "photo",
    "care", "auto", "tech", "soft", "print", "project", "service", "system", "systems", "japan",
    "shop", "store", "net", "web", "art", "farm", "labo", "lab", "school", "media", "plus",
    "estate", "consulting", "partners", "law", "tax", "books", "craft", "sports", "travel", "kids",
];

/// Whether `label` (lower-case; hyphens separate words) is entirely Hepburn
/// romaji (with, at most, common English business words beside it) and long
/// enough (6+ letters) for that to mean something.
pub fn is_romaji(label: &str) -> bool {
    let letters = label.bytes().filter(|b| b.is_ascii_lowercase()).count();
    if letters < 6 || !label.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
        return false;
    }
    let mut romaji_letters = 0;
    for w in label.split('-').filter(|w| !w.is_empty()) {
        match word(w) {
            Some(n) => romaji_letters += n,
            None => return false,
        }
    }
    romaji_letters >= 4
}

/// Splits `w` into romaji syllables and business words; `Some(letters
/// covered by romaji)` when it splits (the split with the most romaji).
fn word(w: &str) -> Option<usize> {
    let b = w.as_bytes();
    // best[i]: the most romaji letters of a split of b[..i], if any.
    let mut best: Vec<Option<usize>> = vec![None; b.len() + 1];
    best[0] = Some(0);
    for i in 0..b.len() {
        let Some(here) = best[i] else { continue };
        let mut reach = |j: usize, romaji: bool| {
            let v = here + if romaji { j - i } else { 0 };
            if best[j].is_none_or(|x| x < v) {
                best[j] = Some(v);
            }
        };
        for s in BUSINESS_WORDS {
            if b[i..].starts_with(s.as_bytes()) {
                reach(i + s.len(), false);
            }
        }
        for s in SYLLABLES {
            if b[i..].starts_with(s.as_bytes()) {
                reach(i + s.len(), true);
            }
        }
        // Syllabic n (`shinbun`, `ten`), written n or nn.
        if b[i] == b'n' {
            reach(i + 1, true);
        }
        // Geminate consonant: the first of a doubled consonant (`kk`, `tt`, `ss`, `pp`, `tch`).
        if i + 1 < b.len() && b[i] == b[i + 1] && b"kstpgzdbcfhjmr".contains(&b[i]) {
            reach(i + 1, true);
        }
        if b[i..].starts_with(b"tch") {
            reach(i + 1, true);
        }
    }
    best[b.len()]
}

#[cfg(test)]
mod tests {
    use super::is_romaji;

    #[test]
    fn japanese_names_split_generated_strings_do_not() {
        for w in [
            "seiwaseikotsuin", "hikarikoumuten", "meiwatosou", "shinkansen", "kitchen", "nippon",
            "sakura-koumuten", "tsukuba", "kyoto-shinbun", "ryokan", "matcha", "hokkaido",
            "meiwasalon", "meiwadesign", "aozorasalon", "tanaka-dental",
        ] {
            assert!(is_romaji(w), "{w}");
        }
        for w in [
            "xqzkvwjbtrmp", "macaljyuli", "t1s5l9qa5a", "kqvhwzmr", "dxqzkvwtp", "lawycocih",
            "facebook", "google", "microsoft", "abc", "a1b2c3d4", "qwertyuiop",
            "designstudio", "salonxqzv", "webshopnet",
        ] {
            assert!(!is_romaji(w), "{w}");
        }
    }
}
