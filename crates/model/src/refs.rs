//! Packet references: where a flow's packets sit in the capture files.
//!
//! One codec for the engine (`kensa_pcap`'s per-flow `PacketRefs`) and the
//! case's `flow_packets.refs` column (`kensa_store::packet`): `(file index,
//! byte offset)` pairs as LEB128 varints, the offset a delta from the
//! previous packet of the same file (packets of one flow are close
//! together, so most deltas take 1–3 bytes).

/// Appends `x` as an unsigned LEB128 varint.
pub fn put_varint(v: &mut Vec<u8>, mut x: u64) {
    while x >= 0x80 {
        v.push((x as u8) | 0x80);
        x >>= 7;
    }
    v.push(x as u8);
}

/// Reads a varint at `*pos`, advancing it; `None` if cut or longer than 64 bits.
pub fn get_varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut x = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*pos)?;
        *pos += 1;
        x |= ((byte & 0x7f) as u64) << shift;
        if byte & 0x80 == 0 {
            return Some(x);
        }
    }
    None
}

/// Appends one reference; `last` is the previous one written (updated).
pub fn push_ref(v: &mut Vec<u8>, last: &mut Option<(u32, u64)>, file: u32, offset: u64) {
    let d = match *last {
        Some((lf, lo)) if lf == file && offset >= lo => offset - lo,
        _ => offset,
    };
    put_varint(v, file as u64);
    put_varint(v, d);
    *last = Some((file, offset));
}

/// Encodes references (see the module docs).
pub fn encode_refs(refs: &[(u32, u64)]) -> Vec<u8> {
    let mut v = Vec::with_capacity(refs.len() * 4);
    let mut last = None;
    for &(f, o) in refs {
        push_ref(&mut v, &mut last, f, o);
    }
    v
}

/// Decodes what [`encode_refs`] / [`push_ref`] wrote (stops at the first
/// malformed pair).
pub fn decode_refs(b: &[u8]) -> Vec<(u32, u64)> {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut last: Option<(u32, u64)> = None;
    while pos < b.len() {
        let (Some(f), Some(d)) = (get_varint(b, &mut pos), get_varint(b, &mut pos)) else {
            break;
        };
        let f = f as u32;
        let o = match last {
            Some((lf, lo)) if lf == f => lo.saturating_add(d),
            _ => d,
        };
        out.push((f, o));
        last = Some((f, o));
    }
    out
}

/// When every reference lies in one file `f` (most flows, even in a group of
/// rotated captures): `f` and the same references re-based to file 0, the
/// deltas unchanged, without decoding them into a list. Borrowed when `f`
/// is already 0. `None` for references spanning files or malformed bytes.
pub fn single_file(b: &[u8]) -> Option<(u32, std::borrow::Cow<'_, [u8]>)> {
    let mut pos = 0;
    let mut file = None;
    while pos < b.len() {
        let f = get_varint(b, &mut pos)?;
        get_varint(b, &mut pos)?;
        match file {
            None => file = Some(f),
            Some(x) if x == f => {}
            Some(_) => return None,
        }
    }
    let f = u32::try_from(file?).ok()?;
    if f == 0 {
        return Some((0, std::borrow::Cow::Borrowed(b)));
    }
    let mut out = Vec::with_capacity(b.len());
    let mut pos = 0;
    while pos < b.len() {
        get_varint(b, &mut pos)?;
        let d = get_varint(b, &mut pos)?;
        put_varint(&mut out, 0);
        put_varint(&mut out, d);
    }
    Some((f, std::borrow::Cow::Owned(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_file_rebases_to_file_zero_without_changing_offsets() {
        for file in [0u32, 1, 200, 70_000] {
            let refs: Vec<(u32, u64)> = [24u64, 1524, 1_000_000_000_000, 1_000_000_000_090].iter().map(|o| (file, *o)).collect();
            let b = encode_refs(&refs);
            let (f, local) = single_file(&b).expect("one file");
            assert_eq!(f, file);
            let want: Vec<(u32, u64)> = refs.iter().map(|r| (0, r.1)).collect();
            assert_eq!(decode_refs(&local), want);
            assert_eq!(&*local, &encode_refs(&want)[..]);
            assert_eq!(matches!(local, std::borrow::Cow::Borrowed(_)), file == 0);
        }
        assert_eq!(single_file(&encode_refs(&[(0, 5), (1, 6)])), None, "two files");
        assert_eq!(single_file(&[]), None, "no references");
        assert_eq!(single_file(&[0x80]), None, "cut varint");
        assert_eq!(single_file(&[0, 0x80]), None, "cut delta");
    }

    #[test]
    fn round_trip_across_files_and_backwards_offsets() {
        let refs = [(0, 24), (0, 1524), (0, 1_000_000_000_000), (1, 24), (0, 90), (1, 10)];
        let b = encode_refs(&refs);
        assert_eq!(decode_refs(&b), refs);
        // Cut anywhere: a prefix of the pairs, never a panic.
        for n in 0..b.len() {
            let d = decode_refs(&b[..n]);
            assert_eq!(d[..], refs[..d.len()]);
        }
        assert_eq!(get_varint(&[0xff; 11], &mut 0), None);
    }
}
