#![no_main]
//! User catalog and policy files are parsed with clear errors, never a
//! panic. The first byte picks which file the rest is.
use std::sync::OnceLock;

use kensa_enrich::{Catalog, Policy};
use libfuzzer_sys::fuzz_target;

fn builtin() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(|| Catalog::builtin().unwrap())
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    if pick & 1 == 0 {
        let _ = Policy::from_toml("fuzz.toml", &text, builtin());
    } else if let Ok(c) = Catalog::from_sources(&[("fuzz.toml", &text)]) {
        let _ = c.lookup("www.dropbox.com");
    }
});
