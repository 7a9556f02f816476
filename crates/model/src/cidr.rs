//! Longest-prefix matching over sets of IP networks: the networks cut the
//! address line into disjoint segments, each listing every network that
//! covers it, and a lookup is one binary search.
//!
//! Shared by the threat-intel matcher (CIDR indicators, thousands of them)
//! and enrichment (the catalog's vendor ranges and the internal ranges).
//! Addresses are integers (`u32`, `u128`) so this crate needs no network
//! types; callers convert.

/// A run of `RangeTable::cover`.
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    start: u32,
    len: u32,
}

/// Disjoint ranges `[start, end]`, each with the ids of every network that
/// covers it (longest prefix first).
#[derive(Debug, Clone, Default)]
pub struct RangeTable<T> {
    starts: Vec<T>,
    ends: Vec<T>,
    spans: Vec<Span>,
    /// (id, prefix_len) per covering network.
    cover: Vec<(u32, u8)>,
}

/// An address as an integer (`u32` for IPv4, `u128` for IPv6).
pub trait Addr: Copy + Ord + Default {
    /// The last address of the network `start/len`.
    fn net_end(start: Self, len: u8) -> Self;
    /// `self + 1`, `None` at the top of the address space.
    fn succ(self) -> Option<Self>;
    /// `self - 1`; only called on addresses above some other address.
    fn pred(self) -> Self;
}

/// The same three operations for both widths.
macro_rules! addr_impl {
    ($t:ty) => {
        impl Addr for $t {
            fn net_end(start: $t, len: u8) -> $t {
                // `checked_shr`: a host route (/32, /128) shifts by the full width.
                start | <$t>::MAX.checked_shr(u32::from(len)).unwrap_or(0)
            }
            fn succ(self) -> Option<$t> {
                self.checked_add(1)
            }
            fn pred(self) -> $t {
                self.saturating_sub(1)
            }
        }
    };
}
addr_impl!(u32);
addr_impl!(u128);

impl<T: Addr> RangeTable<T> {
    /// `nets`: (network start, prefix len, id). Networks are laminar (two
    /// networks are nested or disjoint), so a sweep with a stack of open
    /// networks cuts the line into disjoint segments.
    pub fn build(mut nets: Vec<(T, u8, u32)>) -> RangeTable<T> {
        nets.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut t = RangeTable { starts: Vec::new(), ends: Vec::new(), spans: Vec::new(), cover: Vec::new() };
        // Stack of open networks: (end, len, ids).
        let mut stack: Vec<(T, u8, Vec<u32>)> = Vec::new();
        let mut cur: Option<T> = None; // first address not yet emitted
        let mut i = 0;
        while i < nets.len() {
            let (s, len, _) = nets[i];
            let mut ids = Vec::new();
            while i < nets.len() && nets[i].0 == s && nets[i].1 == len {
                ids.push(nets[i].2);
                i += 1;
            }
            // Close networks that end before `s`.
            while let Some(top) = stack.last() {
                if top.0 >= s {
                    break;
                }
                let end = top.0;
                if let Some(c) = cur
                    && c <= end
                {
                    t.emit(c, end, &stack);
                }
                cur = end.succ();
                stack.pop();
            }
            if let Some(c) = cur
                && !stack.is_empty()
                && c < s
            {
                // The gap before `s` is covered by the open networks.
                t.emit(c, s.pred(), &stack);
            }
            cur = Some(s);
            stack.push((T::net_end(s, len), len, ids));
        }
        while let Some(top) = stack.last() {
            let end = top.0;
            if let Some(c) = cur
                && c <= end
            {
                t.emit(c, end, &stack);
            }
            cur = end.succ();
            stack.pop();
            if cur.is_none() {
                // The range reached the top of the address space.
                stack.clear();
            }
        }
        t
    }

    fn emit(&mut self, start: T, end: T, stack: &[(T, u8, Vec<u32>)]) {
        let first = self.cover.len() as u32;
        for (_, len, ids) in stack.iter().rev() {
            for &id in ids {
                self.cover.push((id, *len));
            }
        }
        self.starts.push(start);
        self.ends.push(end);
        self.spans.push(Span { start: first, len: self.cover.len() as u32 - first });
    }

    /// `(id, prefix length)` of every network holding `a`, longest prefix
    /// first (equal prefixes by ascending id). Binary search: O(log n).
    pub fn lookup(&self, a: T) -> &[(u32, u8)] {
        let i = self.starts.partition_point(|&s| s <= a);
        if i == 0 || self.ends[i - 1] < a {
            return &[];
        }
        let sp = self.spans[i - 1];
        &self.cover[sp.start as usize..(sp.start + sp.len) as usize]
    }

    /// Disjoint segments the networks cut the address line into.
    pub fn segments(&self) -> usize {
        self.starts.len()
    }

    /// Whether no network was given.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table4(nets: &[(&str, u32)]) -> RangeTable<u32> {
        let v = nets
            .iter()
            .map(|(n, id)| {
                let (a, len) = n.split_once('/').unwrap();
                let a: std::net::Ipv4Addr = a.parse().unwrap();
                (u32::from(a), len.parse().unwrap(), *id)
            })
            .collect();
        RangeTable::build(v)
    }

    fn ids(t: &RangeTable<u32>, a: &str) -> Vec<(u32, u8)> {
        let a: std::net::Ipv4Addr = a.parse().unwrap();
        t.lookup(u32::from(a)).to_vec()
    }

    #[test]
    fn range_table_nesting() {
        let t = table4(&[("10.0.0.0/8", 1), ("10.1.0.0/16", 2), ("10.1.2.0/24", 3), ("10.200.0.0/16", 4), ("192.168.0.0/24", 5), ("10.1.0.0/16", 6)]);
        assert_eq!(ids(&t, "10.1.2.3"), vec![(3, 24), (2, 16), (6, 16), (1, 8)]);
        assert_eq!(ids(&t, "10.1.3.0"), vec![(2, 16), (6, 16), (1, 8)]);
        assert_eq!(ids(&t, "10.0.255.255"), vec![(1, 8)]);
        assert_eq!(ids(&t, "10.2.0.0"), vec![(1, 8)]);
        assert_eq!(ids(&t, "10.200.9.9"), vec![(4, 16), (1, 8)]);
        assert_eq!(ids(&t, "10.255.255.255"), vec![(1, 8)]);
        assert_eq!(ids(&t, "11.0.0.0"), vec![]);
        assert_eq!(ids(&t, "9.255.255.255"), vec![]);
        assert_eq!(ids(&t, "192.168.0.255"), vec![(5, 24)]);
        assert_eq!(ids(&t, "192.168.1.0"), vec![]);
    }

    #[test]
    fn range_table_edges() {
        let t = table4(&[("0.0.0.0/0", 1), ("255.255.255.0/24", 2), ("0.0.0.0/8", 3)]);
        assert_eq!(ids(&t, "255.255.255.255"), vec![(2, 24), (1, 0)]);
        assert_eq!(ids(&t, "0.0.0.0"), vec![(3, 8), (1, 0)]);
        assert_eq!(ids(&t, "128.0.0.0"), vec![(1, 0)]);
    }

    #[test]
    fn host_routes_cover_one_address() {
        let t = table4(&[("198.51.100.7/32", 1), ("198.51.100.0/24", 2), ("255.255.255.255/32", 3)]);
        assert_eq!(ids(&t, "198.51.100.7"), vec![(1, 32), (2, 24)]);
        assert_eq!(ids(&t, "198.51.100.8"), vec![(2, 24)]);
        assert_eq!(ids(&t, "255.255.255.255"), vec![(3, 32)]);
        assert_eq!(ids(&t, "255.255.255.254"), vec![]);
        let a = u128::from("2001:db8::1".parse::<std::net::Ipv6Addr>().unwrap());
        let t6 = RangeTable::build(vec![(a, 128, 7), (a & !0xffff, 112, 8)]);
        assert_eq!(t6.lookup(a), &[(7, 128), (8, 112)]);
        assert_eq!(t6.lookup(a + 1), &[(8, 112)]);
    }
}
