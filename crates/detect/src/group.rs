//! Grouping rows into per-pair time series.
//!
//! [`Groups::build`] sorts the selected rows by `(key, ts)` and records where
//! each key's run starts: O(n log n), no per-group allocation and no strings.
//! Memory: 4 bytes per selected row ([`Groups::order`]) plus 32 per group,
//! and a transient 24 bytes per row of the busiest client while its rows
//! are sorted. Groups come out ordered by client id, then destination.

use crate::table::{EventTable, NONE, Sym};

/// Which pair of columns identifies a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupKey {
    /// Client × destination FQDN.
    SrcHost,
    /// Client × registered domain.
    SrcDomain,
    /// Client × server IP.
    SrcDstIp,
    /// Client × CONNECT `host:port` (only CONNECT rows).
    SrcConnect,
}

impl GroupKey {
    /// The packed key of `row`, or `None` if a part is missing.
    #[inline]
    pub fn key(self, t: &EventTable, row: u32) -> Option<u128> {
        let r = row as usize;
        let src = *t.src.get(r)?;
        let (dst, extra): (Sym, u16) = match self {
            GroupKey::SrcHost => (*t.host.get(r)?, 0),
            GroupKey::SrcDomain => (t.domain(row), 0),
            GroupKey::SrcDstIp => (*t.dst_ip.get(r)?, 0),
            GroupKey::SrcConnect => {
                if !t.is_connect(row) {
                    return None;
                }
                (*t.host.get(r)?, t.port(row).unwrap_or(0))
            }
        };
        if src == NONE || dst == NONE {
            return None;
        }
        Some(Self::pack(src, dst, extra))
    }
    /// Packs `(src, dst, port)` the way [`GroupKey::key`] does; groups come
    /// out sorted by this value.
    pub fn pack(src: Sym, dst: Sym, extra: u16) -> u128 {
        ((src as u128) << 64) | ((dst as u128) << 16) | extra as u128
    }
    /// Splits a packed key back into `(src, dst, port)`.
    pub fn unpack(k: u128) -> (Sym, Sym, u16) {
        ((k >> 64) as Sym, (k >> 16) as Sym, k as u16)
    }
    /// Name used in finding keys.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupKey::SrcHost => "src-host",
            GroupKey::SrcDomain => "src-domain",
            GroupKey::SrcDstIp => "src-dstip",
            GroupKey::SrcConnect => "src-connect",
        }
    }
}

/// One group: its key and the range of [`Groups::order`] holding its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// Packed key (see [`GroupKey::unpack`]).
    pub key: u128,
    /// Start index into [`Groups::order`].
    pub start: u32,
    /// End index (exclusive).
    pub end: u32,
}

impl Group {
    /// Number of rows.
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }
    /// Whether the group is empty (never true for built groups).
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// Rows sorted by `(key, ts)` with the run boundaries of each key.
#[derive(Debug, Clone, Default)]
pub struct Groups {
    /// Row indices, sorted by key then time.
    pub order: Vec<u32>,
    /// One entry per distinct key, in key order.
    pub groups: Vec<Group>,
}

impl Groups {
    /// Groups the rows of `t` that pass `filter` by `key`.
    /// Rows whose key is missing (no client, no host, …) are left out.
    ///
    /// Two passes keep memory low at 100 M rows: a counting sort by client
    /// (4 bytes per row), then a sort of each client's rows by
    /// (destination, time) in a buffer the size of the largest client.
    pub fn build(t: &EventTable, key: GroupKey, filter: impl Fn(u32) -> bool) -> Groups {
        let nsrc = t.srcs.len();
        let mut start = vec![0u32; nsrc + 1];
        let keep = |row: u32| filter(row) && key.key(t, row).is_some();
        for row in 0..t.len() as u32 {
            if keep(row) {
                start[t.src[row as usize] as usize + 1] += 1;
            }
        }
        for i in 0..nsrc {
            start[i + 1] += start[i];
        }
        let total = start[nsrc] as usize;
        let mut order = vec![0u32; total];
        let mut next = start.clone();
        for row in 0..t.len() as u32 {
            if keep(row) {
                let s = t.src[row as usize] as usize;
                order[next[s] as usize] = row;
                next[s] += 1;
            }
        }
        drop(next);
        let mut groups = Vec::new();
        let mut tmp: Vec<(u64, i64, u32)> = Vec::new();
        for s in 0..nsrc {
            let (a, b) = (start[s] as usize, start[s + 1] as usize);
            if a == b {
                continue;
            }
            tmp.clear();
            for &row in &order[a..b] {
                if let Some(k) = key.key(t, row) {
                    tmp.push(((k & 0xFFFF_FFFF_FFFF) as u64, t.ts_ms[row as usize], row));
                }
            }
            tmp.sort_unstable();
            let mut i = 0;
            while i < tmp.len() {
                let k = tmp[i].0;
                let g0 = a + i;
                while i < tmp.len() && tmp[i].0 == k {
                    order[a + i] = tmp[i].2;
                    i += 1;
                }
                let full = ((s as u128) << 64) | k as u128;
                groups.push(Group {
                    key: full,
                    start: g0 as u32,
                    end: (a + i) as u32,
                });
            }
        }
        Groups { order, groups }
    }
    /// The rows of group `g`, in time order.
    pub fn rows(&self, g: &Group) -> &[u32] {
        self.order
            .get(g.start as usize..g.end as usize)
            .unwrap_or(&[])
    }
    /// Fills `out` with the times (ms) of group `g`.
    pub fn times_into(&self, t: &EventTable, g: &Group, out: &mut Vec<i64>) {
        out.clear();
        out.extend(self.rows(g).iter().map(|&r| t.ts_ms[r as usize]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::RowIn;

    #[test]
    fn groups_sorted_by_key_then_time() {
        let mut t = EventTable::new();
        let data = [
            (30, "10.0.0.1", "a.com", "GET"),
            (10, "10.0.0.1", "a.com", "GET"),
            (20, "10.0.0.2", "a.com", "GET"),
            (5, "10.0.0.1", "b.com", "CONNECT"),
            (15, "10.0.0.1", "a.com", "GET"),
        ];
        for (ts, s, h, m) in data {
            t.push(&RowIn {
                ts_ms: ts,
                src_ip: Some(s),
                host: Some(h),
                method: Some(m),
                port: Some(443),
                ..Default::default()
            });
        }
        t.push(&RowIn {
            ts_ms: 1,
            host: Some("a.com"),
            ..Default::default()
        }); // no src
        let g = Groups::build(&t, GroupKey::SrcHost, |_| true);
        assert_eq!(g.groups.len(), 3);
        let mut times = Vec::new();
        let a = t.hosts.lookup("a.com").unwrap();
        let s1 = t.srcs.lookup("10.0.0.1").unwrap();
        let grp = g
            .groups
            .iter()
            .find(|gr| GroupKey::unpack(gr.key) == (s1, a, 0))
            .unwrap();
        g.times_into(&t, grp, &mut times);
        assert_eq!(times, vec![10, 15, 30]);
        let c = Groups::build(&t, GroupKey::SrcConnect, |_| true);
        assert_eq!(c.groups.len(), 1);
        let (_, h, p) = GroupKey::unpack(c.groups[0].key);
        assert_eq!((t.hosts.get(h), p), (Some("b.com"), 443));
        let none = Groups::build(&t, GroupKey::SrcHost, |_| false);
        assert!(none.groups.is_empty());
    }
}
