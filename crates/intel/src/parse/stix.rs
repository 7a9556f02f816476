//! A small STIX 2.1 patterning parser: turns the patterns kensa can match
//! into indicators and says why it cannot for the rest.
//!
//! Evaluated:
//! * `=` on `ipv4-addr:value`, `ipv6-addr:value` (address or CIDR),
//!   `ISSUBSET` with a CIDR, `domain-name:value`, `url:value`,
//!   `file:hashes.<MD5|SHA-1|SHA-256|SHA-512>`,
//!   `x509-certificate:hashes.<SHA-1|SHA-256>`, and
//!   `network-traffic:dst_ref.value` (with optional `dst_ref.type` checks
//!   and a `dst_port`, kept as the indicator's port);
//! * `OR` anywhere (each branch becomes indicators);
//! * `AND` inside one observation when it names one value (plus type checks
//!   and port), or only hashes of one object (`file:hashes.MD5 = … AND
//!   file:hashes.'SHA-256' = …`: each hash identifies the same file, so each
//!   is emitted).
//!
//! Not evaluated, reported as unsupported with the reason: `AND` between
//! observations or of independent values, `FOLLOWEDBY`, qualifiers
//! (`WITHIN`, `REPEATS`, `START … STOP`), `NOT`, `!=`, `<`, `LIKE`,
//! `MATCHES`, `IN`, `EXISTS`, and any other object path. A pattern with
//! one unsupported branch is unsupported as a whole, so nothing is half
//! matched silently.

use crate::IndicatorKind;
use crate::normalize::{self, IpOrNet};

/// One indicator a pattern yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternIoc {
    /// Kind.
    pub kind: IndicatorKind,
    /// Normalised value.
    pub value: String,
    /// `network-traffic:dst_port`, when given.
    pub port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    LParen,
    RParen,
    Word(String),
    Path(String),
    Op(String),
    Str(String),
    Num(i64),
    Other(String),
}

const MAX_TOKENS: usize = 4096;
const MAX_DEPTH: usize = 32;
const MAX_CONJUNCTS: usize = 256;

fn tokenize(p: &str) -> Result<Vec<Tok>, String> {
    let b = p.as_bytes();
    let mut i = 0;
    let mut toks = Vec::new();
    while i < b.len() {
        if toks.len() > MAX_TOKENS {
            return Err("pattern too long".into());
        }
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'[' => {
                toks.push(Tok::Open);
                i += 1
            }
            b']' => {
                toks.push(Tok::Close);
                i += 1
            }
            b'(' => {
                toks.push(Tok::LParen);
                i += 1
            }
            b')' => {
                toks.push(Tok::RParen);
                i += 1
            }
            b'=' => {
                toks.push(Tok::Op("=".into()));
                i += 1
            }
            b'!' | b'<' | b'>' => {
                let two = b.get(i + 1) == Some(&b'=');
                let len = if two { 2 } else { 1 };
                toks.push(Tok::Op(p[i..i + len].to_owned()));
                i += len;
            }
            b'\'' => {
                let (s, n) = string_lit(&p[i..])?;
                toks.push(Tok::Str(s));
                i += n;
            }
            b'0'..=b'9' | b'-' => {
                let start = i;
                i += 1;
                while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                    i += 1;
                }
                match p[start..i].parse::<i64>() {
                    Ok(n) => toks.push(Tok::Num(n)),
                    Err(_) => toks.push(Tok::Other(p[start..i].to_owned())),
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                // A keyword, a typed literal (b'…', h'…', t'…') or an
                // object path, which may hold quoted steps and list indexes:
                // file:hashes.'SHA-256', x:list[*].y
                let start = i;
                if matches!(c, b'b' | b'h' | b't') && b.get(i + 1) == Some(&b'\'') {
                    let (s, n) = string_lit(&p[i + 1..])?;
                    toks.push(Tok::Other(format!("{}'{s}'", c as char)));
                    i += 1 + n;
                    continue;
                }
                let mut is_path = false;
                while i < b.len() {
                    let d = b[i];
                    if d.is_ascii_alphanumeric() || d == b'_' || d == b'-' {
                        i += 1;
                    } else if d == b':' || d == b'.' {
                        is_path = true;
                        i += 1;
                        if b.get(i) == Some(&b'\'') {
                            let (_, n) = string_lit(&p[i..])?;
                            i += n;
                        }
                    } else if d == b'[' && is_path {
                        let close = p[i..].find(']').ok_or("unclosed [ in object path")?;
                        let inner = &p[i + 1..i + close];
                        if inner != "*" && !inner.bytes().all(|x| x.is_ascii_digit()) {
                            break;
                        }
                        i += close + 1;
                    } else {
                        break;
                    }
                }
                let w = p[start..i].to_owned();
                toks.push(if is_path { Tok::Path(w) } else { Tok::Word(w.to_ascii_uppercase()) });
            }
            _ => return Err(format!("unexpected character `{}`", p[i..].chars().next().unwrap_or('?'))),
        }
    }
    Ok(toks)
}

/// Reads a `'…'` literal at the start of `s`; returns the unescaped text
/// and the bytes consumed.
fn string_lit(s: &str) -> Result<(String, usize), String> {
    let mut out = String::new();
    let mut it = s.char_indices().skip(1);
    while let Some((i, c)) = it.next() {
        match c {
            '\\' => match it.next() {
                Some((_, e)) => out.push(e),
                None => break,
            },
            '\'' => return Ok((out, i + 1)),
            c => out.push(c),
        }
    }
    Err("unterminated string literal".into())
}

#[derive(Debug)]
enum Cmp {
    Atom { path: String, op: String, negated: bool, value: Tok },
    And(Vec<Cmp>),
    Or(Vec<Cmp>),
}

#[derive(Debug)]
enum Obs {
    One(Cmp),
    And(Vec<Obs>),
    Or(Vec<Obs>),
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if x == w)
    }

    fn obs_or(&mut self, depth: usize) -> Result<Obs, String> {
        let mut v = vec![self.obs_and(depth)?];
        while self.word("OR") {
            self.pos += 1;
            v.push(self.obs_and(depth)?);
        }
        if self.word("FOLLOWEDBY") {
            return Err("FOLLOWEDBY (needs event order) not supported".into());
        }
        Ok(if v.len() == 1 { v.pop().unwrap_or(Obs::Or(Vec::new())) } else { Obs::Or(v) })
    }

    fn obs_and(&mut self, depth: usize) -> Result<Obs, String> {
        let mut v = vec![self.obs_unit(depth)?];
        while self.word("AND") {
            self.pos += 1;
            v.push(self.obs_unit(depth)?);
        }
        if self.word("FOLLOWEDBY") {
            return Err("FOLLOWEDBY (needs event order) not supported".into());
        }
        Ok(if v.len() == 1 { v.pop().unwrap_or(Obs::And(Vec::new())) } else { Obs::And(v) })
    }

    fn obs_unit(&mut self, depth: usize) -> Result<Obs, String> {
        if depth > MAX_DEPTH {
            return Err("pattern nested too deeply".into());
        }
        let o = match self.next() {
            Some(Tok::Open) => {
                let c = self.cmp_or(depth + 1)?;
                match self.next() {
                    Some(Tok::Close) => Obs::One(c),
                    _ => return Err("expected `]`".into()),
                }
            }
            Some(Tok::LParen) => {
                let o = self.obs_or(depth + 1)?;
                match self.next() {
                    Some(Tok::RParen) => o,
                    _ => return Err("expected `)`".into()),
                }
            }
            _ => return Err("expected `[` or `(`".into()),
        };
        if let Some(Tok::Word(w)) = self.peek()
            && matches!(w.as_str(), "WITHIN" | "REPEATS" | "START")
        {
            return Err(format!("qualifier {w} not supported"));
        }
        Ok(o)
    }

    fn cmp_or(&mut self, depth: usize) -> Result<Cmp, String> {
        let mut v = vec![self.cmp_and(depth)?];
        while self.word("OR") {
            self.pos += 1;
            v.push(self.cmp_and(depth)?);
        }
        Ok(if v.len() == 1 { v.pop().unwrap_or(Cmp::Or(Vec::new())) } else { Cmp::Or(v) })
    }

    fn cmp_and(&mut self, depth: usize) -> Result<Cmp, String> {
        let mut v = vec![self.cmp_unit(depth)?];
        while self.word("AND") {
            self.pos += 1;
            v.push(self.cmp_unit(depth)?);
        }
        Ok(if v.len() == 1 { v.pop().unwrap_or(Cmp::And(Vec::new())) } else { Cmp::And(v) })
    }

    fn cmp_unit(&mut self, depth: usize) -> Result<Cmp, String> {
        if depth > MAX_DEPTH {
            return Err("pattern nested too deeply".into());
        }
        match self.next() {
            Some(Tok::LParen) => {
                let c = self.cmp_or(depth + 1)?;
                match self.next() {
                    Some(Tok::RParen) => Ok(c),
                    _ => Err("expected `)`".into()),
                }
            }
            Some(Tok::Word(w)) if w == "EXISTS" => Err("EXISTS not supported".into()),
            Some(Tok::Path(path)) => {
                let mut negated = false;
                if self.word("NOT") {
                    negated = true;
                    self.pos += 1;
                }
                let op = match self.next() {
                    Some(Tok::Op(o)) => o,
                    Some(Tok::Word(w)) => w,
                    _ => return Err("expected an operator".into()),
                };
                let value = match self.next() {
                    Some(Tok::LParen) => return Err(format!("set operand of {op} not supported")),
                    Some(v @ (Tok::Str(_) | Tok::Num(_) | Tok::Other(_))) => v,
                    Some(Tok::Word(w)) if w == "TRUE" || w == "FALSE" => Tok::Other(w),
                    _ => return Err("expected a value".into()),
                };
                Ok(Cmp::Atom { path, op, negated, value })
            }
            _ => Err("expected an object path".into()),
        }
    }
}

#[derive(Debug, Clone)]
enum Atom {
    Ioc { kind: IndicatorKind, value: String, object: String },
    TypeCheck,
    Port(u16),
}

fn hash_kind(object: &str, algo: &str) -> Option<IndicatorKind> {
    let a = algo.trim_matches('\'').to_ascii_uppercase().replace('-', "");
    match (object, a.as_str()) {
        ("file" | "artifact", "MD5") => Some(IndicatorKind::Md5),
        ("file" | "artifact", "SHA1") => Some(IndicatorKind::Sha1),
        ("file" | "artifact", "SHA256") => Some(IndicatorKind::Sha256),
        ("file" | "artifact", "SHA512") => Some(IndicatorKind::Sha512),
        ("x509-certificate", "SHA1") => Some(IndicatorKind::CertSha1),
        ("x509-certificate", "SHA256") => Some(IndicatorKind::CertSha256),
        _ => None,
    }
}

fn ip_atom(v: &str, object: &str) -> Result<Atom, String> {
    match normalize::ip_or_cidr(v) {
        Some(IpOrNet::Ip(ip)) => Ok(Atom::Ioc { kind: IndicatorKind::Ip, value: ip.to_string(), object: object.into() }),
        Some(IpOrNet::Net(n)) => Ok(Atom::Ioc { kind: IndicatorKind::Cidr, value: n.to_string(), object: object.into() }),
        None => Err(format!("`{v}` is not an IP address or CIDR")),
    }
}

fn classify(path: &str, op: &str, negated: bool, value: &Tok) -> Result<Atom, String> {
    let (object, prop) = path.split_once(':').ok_or_else(|| format!("bad object path `{path}`"))?;
    let object = object.to_ascii_lowercase();
    if negated || (op != "=" && op != "ISSUBSET") {
        return Err(format!("operator {}{op} on {path} not supported", if negated { "NOT " } else { "" }));
    }
    let s = match value {
        Tok::Str(s) => Some(s.as_str()),
        _ => None,
    };
    if op == "ISSUBSET" {
        return match (object.as_str(), prop, s) {
            ("ipv4-addr" | "ipv6-addr", "value", Some(v)) => ip_atom(v, &object),
            _ => Err(format!("ISSUBSET on {path} not supported")),
        };
    }
    match (object.as_str(), prop, s) {
        ("ipv4-addr" | "ipv6-addr", "value", Some(v)) => ip_atom(v, &object),
        ("domain-name", "value", Some(v)) => normalize::domain(v)
            .map(|d| Atom::Ioc { kind: IndicatorKind::Domain, value: d, object: object.clone() })
            .map_err(|e| format!("{e}: `{v}`")),
        ("url", "value", Some(v)) => normalize::url(v)
            .map(|u| Atom::Ioc { kind: IndicatorKind::Url, value: u, object: object.clone() })
            .map_err(|e| format!("{e}: `{v}`")),
        ("network-traffic", "dst_ref.value", Some(v)) => ip_atom(v, &object).or_else(|_| {
            normalize::domain(v)
                .map(|d| Atom::Ioc { kind: IndicatorKind::Domain, value: d, object: object.clone() })
                .map_err(|e| format!("{e}: `{v}`"))
        }),
        ("network-traffic", "dst_ref.type", Some(_)) => Ok(Atom::TypeCheck),
        ("network-traffic", "dst_port", _) => match value {
            Tok::Num(n) => u16::try_from(*n).map(Atom::Port).map_err(|_| "dst_port out of range".into()),
            _ => Err("dst_port is not a number".into()),
        },
        (_, p, Some(v)) if p.starts_with("hashes.") => {
            let kind = hash_kind(&object, &p["hashes.".len()..]).ok_or_else(|| format!("hash path {path} not supported"))?;
            normalize::hash(kind, v)
                .map(|h| Atom::Ioc { kind, value: h, object: object.clone() })
                .map_err(|e| format!("{e}: `{v}`"))
        }
        _ => Err(format!("object path {path} not supported")),
    }
}

/// Disjunctive normal form of a comparison expression, with each atom
/// classified (an error on the first atom kensa cannot evaluate).
fn dnf(c: &Cmp) -> Result<Vec<Vec<Atom>>, String> {
    match c {
        Cmp::Atom { path, op, negated, value } => Ok(vec![vec![classify(path, op, *negated, value)?]]),
        Cmp::Or(v) => {
            let mut all = Vec::new();
            for x in v {
                all.extend(dnf(x)?);
                if all.len() > MAX_CONJUNCTS {
                    return Err("pattern expands to too many alternatives".into());
                }
            }
            Ok(all)
        }
        Cmp::And(v) => {
            let mut acc: Vec<Vec<Atom>> = vec![Vec::new()];
            for x in v {
                let d = dnf(x)?;
                let mut next = Vec::new();
                for a in &acc {
                    for b in &d {
                        let mut c = a.clone();
                        c.extend(b.iter().cloned());
                        next.push(c);
                    }
                }
                if next.len() > MAX_CONJUNCTS {
                    return Err("pattern expands to too many alternatives".into());
                }
                acc = next;
            }
            Ok(acc)
        }
    }
}

fn conjunct(atoms: Vec<Atom>, out: &mut Vec<PatternIoc>) -> Result<(), String> {
    let mut iocs = Vec::new();
    let mut port = None;
    for a in atoms {
        match a {
            Atom::Ioc { kind, value, object } => iocs.push((kind, value, object)),
            Atom::TypeCheck => {}
            Atom::Port(p) => {
                if port.is_some_and(|q| q != p) {
                    return Err("AND of two different ports".into());
                }
                port = Some(p);
            }
        }
    }
    iocs.sort();
    iocs.dedup();
    match iocs.as_slice() {
        [] => Err("no value to match (only type or port checks)".into()),
        [(kind, value, _)] => {
            out.push(PatternIoc { kind: *kind, value: value.clone(), port });
            Ok(())
        }
        many => {
            let same_object = many.iter().all(|(k, _, o)| k.is_hash() && *o == many[0].2);
            if !same_object {
                return Err("AND of independent values (needs correlation) not supported".into());
            }
            for (kind, value, _) in many {
                out.push(PatternIoc { kind: *kind, value: value.clone(), port });
            }
            Ok(())
        }
    }
}

fn eval(o: &Obs, out: &mut Vec<PatternIoc>) -> Result<(), String> {
    match o {
        Obs::One(c) => {
            for conj in dnf(c)? {
                conjunct(conj, out)?;
            }
            Ok(())
        }
        Obs::Or(v) => v.iter().try_for_each(|x| eval(x, out)),
        Obs::And(v) => Err(format!("AND between {} observations (needs correlation) not supported", v.len())),
    }
}

/// Turns a STIX pattern into the indicators it names, or says why not.
///
/// ```
/// use kensa_intel::stix_pattern;
/// let v = stix_pattern("[ipv4-addr:value = '198.51.100.1' OR domain-name:value = 'c2.Example.net']").unwrap();
/// assert_eq!(v.len(), 2);
/// assert_eq!(v[1].value, "c2.example.net");
/// assert!(stix_pattern("[a:b = 'x'] FOLLOWEDBY [c:d = 'y']").is_err());
/// ```
pub fn stix_pattern(pattern: &str) -> Result<Vec<PatternIoc>, String> {
    if pattern.len() > 64 * 1024 {
        return Err("pattern longer than 64 KiB".into());
    }
    let toks = tokenize(pattern)?;
    let mut p = Parser { toks, pos: 0 };
    let obs = p.obs_or(0)?;
    if p.pos < p.toks.len() {
        return Err("unexpected text after the pattern".into());
    }
    let mut out = Vec::new();
    eval(&obs, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(p: &str) -> Vec<(IndicatorKind, String, Option<u16>)> {
        stix_pattern(p).unwrap().into_iter().map(|i| (i.kind, i.value, i.port)).collect()
    }

    #[test]
    fn single_and_or() {
        assert_eq!(kinds("[ipv4-addr:value = '10.0.0.0']"), vec![(IndicatorKind::Ip, "10.0.0.0".into(), None)]);
        assert_eq!(kinds("[ipv4-addr:value = '10.0.0.0/8']"), vec![(IndicatorKind::Cidr, "10.0.0.0/8".into(), None)]);
        assert_eq!(kinds("[ipv4-addr:value ISSUBSET '10.1.0.0/16']"), vec![(IndicatorKind::Cidr, "10.1.0.0/16".into(), None)]);
        assert_eq!(
            kinds("[url:value = 'HTTP://Evil.example/a/'] OR [ipv6-addr:value = '2001:0db8::0001']"),
            vec![(IndicatorKind::Url, "http://evil.example/a".into(), None), (IndicatorKind::Ip, "2001:db8::1".into(), None)]
        );
        assert_eq!(
            kinds("[x509-certificate:hashes.'SHA-1' = '43:A2:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11']")[0].0,
            IndicatorKind::CertSha1
        );
        // An escaped quote unescapes to an invalid domain: the whole pattern is unsupported.
        let e = stix_pattern(r"[domain-name:value = 'it\'s.example.com' OR domain-name:value = 'b.example.com']").unwrap_err();
        assert!(e.contains("it's.example.com"), "{e}");
    }

    #[test]
    fn and_rules() {
        assert_eq!(
            kinds("[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' AND file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']").len(),
            2
        );
        assert_eq!(
            kinds("[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.5' AND network-traffic:dst_port = 443]"),
            vec![(IndicatorKind::Ip, "203.0.113.5".into(), Some(443))]
        );
        assert!(stix_pattern("[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'a.example.com']").is_err());
        assert!(stix_pattern("[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'a.example.com']").is_err());
        assert!(stix_pattern("[ipv4-addr:value = '1.2.3.4'] WITHIN 300 SECONDS").is_err());
        assert!(stix_pattern("[ipv4-addr:value != '1.2.3.4']").is_err());
        assert!(stix_pattern("[file:name = 'x.exe']").is_err());
        assert!(stix_pattern("[ipv4-addr:value = '1.2.3.4' OR file:name = 'x']").is_err());
        assert!(stix_pattern("[ipv4-addr:value = '1.2.3.4'").is_err());
        assert!(stix_pattern(&"(".repeat(100)).is_err());
    }
}
