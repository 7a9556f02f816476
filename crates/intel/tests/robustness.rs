//! A deterministic mutation run over the corpus feeds, through every
//! parser and the sniffer, so the "never panic" rule is checked on every
//! `cargo test` (the libFuzzer targets in `fuzz/` go further).
//! Also checks that every indicator a parser emits matches itself, i.e.
//! normalisation is idempotent.

use std::path::PathBuf;

use kensa_intel::{FeedFormat, Matcher, parse_bytes, sniff};

fn corpus_files() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/intel"));
    let Ok(rd) = std::fs::read_dir(&dir) else {
        if std::env::var_os("CI").is_some() {
            panic!("intel corpus not found at {} (CI is set)", dir.display());
        }
        eprintln!("note: intel corpus not found; mutating built-in seeds only");
        return Vec::new();
    };
    rd.map(|e| std::fs::read(e.unwrap().path()).unwrap()).collect()
}

/// xorshift64*: a fixed sequence, so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&[u8]] = &[
    b"\"", b",", b"\n", b"\r\n", b"#", b";", b"'", b"[", b"]", b"(", b")", b"{", b"}", b":", b"/", b"%", b"%4", b".", b"|",
    b" AND ", b" OR ", b" FOLLOWEDBY ", b"\\", b"\xff", b"\xc3", b"::", b"/33", b"://", b"0.0.0.0 ", b"ExitAddress ",
    b"\"objects\":[", b"\"Attribute\":[", b"null", b"999999999999999999999",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(8) {
        match rng.below(5) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.next() as u8;
            }
            1 if !v.is_empty() => {
                let i = rng.below(v.len());
                let n = rng.below(64).min(v.len() - i);
                v.drain(i..i + n);
            }
            2 => {
                let i = rng.below(v.len() + 1);
                let t = TOKENS[rng.below(TOKENS.len())];
                v.splice(i..i, t.iter().copied());
            }
            3 if !v.is_empty() => {
                let n = rng.below(v.len());
                v.truncate(n);
            }
            _ if !v.is_empty() => {
                // Duplicate a slice elsewhere.
                let a = rng.below(v.len());
                let n = rng.below(200).min(v.len() - a);
                let chunk = v[a..a + n].to_vec();
                let at = rng.below(v.len() + 1);
                v.splice(at..at, chunk);
            }
            _ => v.push(rng.next() as u8),
        }
    }
    v
}

fn check(format: FeedFormat, data: &[u8]) {
    if let Ok((inds, _)) = parse_bytes(format, "m", data) {
        let m = Matcher::new(inds);
        for i in m.indicators() {
            assert!(!m.match_any(&i.value).is_empty(), "{format}: {:?} does not match itself; input {:?}", i, String::from_utf8_lossy(data));
        }
    }
}

#[test]
fn mutated_feeds_never_panic() {
    let mut seeds = corpus_files();
    seeds.push(br#"{"type":"bundle","objects":[{"type":"indicator","pattern_type":"stix","pattern":"[ipv4-addr:value = '1.2.3.4' OR url:value = 'http://a.example/b']"}]}"#.to_vec());
    seeds.push(b"http://a.example/x\n0.0.0.0 b.example c.example\n10.0.0.0/8\n2001:db8::1\n".to_vec());
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut runs = 0;
    for seed in &seeds {
        for _ in 0..300 {
            let data = mutate(&mut rng, seed);
            if let Some(f) = sniff(&data, "m.txt") {
                check(f, &data);
            }
            let f = FeedFormat::ALL[rng.below(FeedFormat::ALL.len())];
            check(f, &data);
            runs += 1;
        }
        for f in FeedFormat::ALL {
            check(f, seed);
        }
    }
    assert!(runs >= 600);
}
