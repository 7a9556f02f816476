//! The `web_requests` table: its Arrow schema and a batch builder that
//! appends [`WebRecord`]s column by column.

use std::sync::{Arc, LazyLock};

use arrow::array::{
    ArrayBuilder, ArrayRef, BooleanBuilder, Int32Builder, Int64Builder, RecordBatch, StringBuilder,
    TimestampMillisecondBuilder, new_null_array,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use kensa_model::WebRecord;

/// Name of the web-transaction table.
pub const WEB_REQUESTS: &str = "web_requests";

/// Extra, per-record columns computed after parsing (enrichment). The store
/// only needs their names and values; `kensa-enrich` computes them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowExtras<'a> {
    /// Registered domain (eTLD+1) of `host`.
    pub registered_domain: Option<&'a str>,
    /// Public suffix of `host`.
    pub public_suffix: Option<&'a str>,
    /// `host` is an IP literal.
    pub host_is_ip: Option<bool>,
    /// Client address is internal.
    pub src_internal: Option<bool>,
    /// Destination is internal.
    pub dst_internal: Option<bool>,
    /// Catalog service id.
    pub service: Option<&'a str>,
    /// Catalog service category.
    pub service_category: Option<&'a str>,
    /// Organisation policy for the service (sanctioned / unsanctioned / unknown).
    pub sanctioned: Option<&'a str>,
    /// Catalog service display name.
    pub service_name: Option<&'a str>,
    /// Tenant read from the host (`contoso` in `contoso.sharepoint.com`).
    pub service_tenant: Option<&'a str>,
    /// The request matched an upload/send/post rule of its service.
    pub upload_action: Option<bool>,
    /// Which upload rule matched.
    pub upload_rule: Option<&'a str>,
    /// Destination ASN (with a user-supplied geo database).
    pub dst_asn: Option<u32>,
    /// Destination AS organisation.
    pub dst_as_org: Option<&'a str>,
    /// Destination country (ISO code).
    pub dst_country: Option<&'a str>,
    /// Comma-separated intel sources that matched this record.
    pub intel: Option<&'a str>,
}

/// The Arrow schema of `web_requests` as written to Parquet (the Hive
/// partition column `day` is added by the directory layout, not stored).
pub static WEB_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let s = |n: &str| Field::new(n, DataType::Utf8, true);
    let i32f = |n: &str| Field::new(n, DataType::Int32, true);
    let i64f = |n: &str| Field::new(n, DataType::Int64, true);
    let b = |n: &str| Field::new(n, DataType::Boolean, true);
    Arc::new(Schema::new(vec![
        Field::new("ts", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), false),
        i64f("duration_ms"),
        s("client_ip"),
        i32f("client_port"),
        s("user"),
        s("method"),
        s("scheme"),
        s("host"),
        i32f("port"),
        s("path"),
        s("query"),
        s("url"),
        i32f("status"),
        s("action"),
        s("hierarchy"),
        s("server_ip"),
        s("sni"),
        i64f("bytes_up"),
        i64f("bytes_down"),
        s("content_type"),
        s("referer"),
        s("user_agent"),
        s("category"),
        s("verdict"),
        s("source_format"),
        s("source_file"),
        Field::new("source_line", DataType::Int64, false),
        Field::new("input_id", DataType::Int64, false),
        // enrichment
        s("registered_domain"),
        s("public_suffix"),
        b("host_is_ip"),
        b("src_internal"),
        b("dst_internal"),
        s("service"),
        s("service_category"),
        s("sanctioned"),
        s("service_name"),
        s("service_tenant"),
        b("upload_action"),
        s("upload_rule"),
        i64f("dst_asn"),
        s("dst_as_org"),
        s("dst_country"),
        s("intel"),
    ]))
});

/// Appends records to Arrow column builders; [`WebBatchBuilder::finish`]
/// yields a [`RecordBatch`] with [`WEB_SCHEMA`].
pub struct WebBatchBuilder {
    ts: TimestampMillisecondBuilder,
    duration_ms: Lazy<Int64Builder>,
    client_ip: Lazy<StringBuilder>,
    client_port: Lazy<Int32Builder>,
    user: Lazy<StringBuilder>,
    method: Lazy<StringBuilder>,
    scheme: Lazy<StringBuilder>,
    host: Lazy<StringBuilder>,
    port: Lazy<Int32Builder>,
    path: Lazy<StringBuilder>,
    query: Lazy<StringBuilder>,
    url: Lazy<StringBuilder>,
    status: Lazy<Int32Builder>,
    action: Lazy<StringBuilder>,
    hierarchy: Lazy<StringBuilder>,
    server_ip: Lazy<StringBuilder>,
    sni: Lazy<StringBuilder>,
    bytes_up: Lazy<Int64Builder>,
    bytes_down: Lazy<Int64Builder>,
    content_type: Lazy<StringBuilder>,
    referer: Lazy<StringBuilder>,
    user_agent: Lazy<StringBuilder>,
    category: Lazy<StringBuilder>,
    verdict: Lazy<StringBuilder>,
    source_format: StringBuilder,
    source_file: StringBuilder,
    source_line: Int64Builder,
    input_id: Int64Builder,
    registered_domain: Lazy<StringBuilder>,
    public_suffix: Lazy<StringBuilder>,
    host_is_ip: Lazy<BooleanBuilder>,
    src_internal: Lazy<BooleanBuilder>,
    dst_internal: Lazy<BooleanBuilder>,
    service: Lazy<StringBuilder>,
    service_category: Lazy<StringBuilder>,
    sanctioned: Lazy<StringBuilder>,
    service_name: Lazy<StringBuilder>,
    service_tenant: Lazy<StringBuilder>,
    upload_action: Lazy<BooleanBuilder>,
    upload_rule: Lazy<StringBuilder>,
    dst_asn: Lazy<Int64Builder>,
    dst_as_org: Lazy<StringBuilder>,
    dst_country: Lazy<StringBuilder>,
    intel: Lazy<StringBuilder>,
    len: usize,
}

/// Where a record came from: constant for one input file.
#[derive(Debug, Clone, Copy)]
pub struct Provenance<'a> {
    /// Stable format name (`squid-native`, …).
    pub format: &'a str,
    /// The input's display path (archive members as `archive!member`).
    pub file: &'a str,
    /// The input's id in the case manifest.
    pub input_id: i64,
}

impl WebBatchBuilder {
    /// A builder with room for `cap` rows.
    pub fn with_capacity(cap: usize) -> Self {
        let s = || StringBuilder::with_capacity(cap, cap * 16);
        let i64b = || Int64Builder::with_capacity(cap);
        let i32b = || Int32Builder::with_capacity(cap);
        let bb = || BooleanBuilder::with_capacity(cap);
        WebBatchBuilder {
            ts: TimestampMillisecondBuilder::with_capacity(cap).with_timezone("UTC"),
            duration_ms: Lazy::new(i64b()),
            client_ip: Lazy::new(s()),
            client_port: Lazy::new(i32b()),
            user: Lazy::new(s()),
            method: Lazy::new(s()),
            scheme: Lazy::new(s()),
            host: Lazy::new(s()),
            port: Lazy::new(i32b()),
            path: Lazy::new(StringBuilder::with_capacity(cap, cap * 48)),
            query: Lazy::new(s()),
            url: Lazy::new(StringBuilder::with_capacity(cap, cap * 64)),
            status: Lazy::new(i32b()),
            action: Lazy::new(s()),
            hierarchy: Lazy::new(s()),
            server_ip: Lazy::new(s()),
            sni: Lazy::new(s()),
            bytes_up: Lazy::new(i64b()),
            bytes_down: Lazy::new(i64b()),
            content_type: Lazy::new(s()),
            referer: Lazy::new(s()),
            user_agent: Lazy::new(StringBuilder::with_capacity(cap, cap * 64)),
            category: Lazy::new(s()),
            verdict: Lazy::new(s()),
            source_format: s(),
            source_file: s(),
            source_line: i64b(),
            input_id: i64b(),
            registered_domain: Lazy::new(s()),
            public_suffix: Lazy::new(s()),
            host_is_ip: Lazy::new(bb()),
            src_internal: Lazy::new(bb()),
            dst_internal: Lazy::new(bb()),
            service: Lazy::new(s()),
            service_category: Lazy::new(s()),
            sanctioned: Lazy::new(s()),
            service_name: Lazy::new(s()),
            service_tenant: Lazy::new(s()),
            upload_action: Lazy::new(bb()),
            upload_rule: Lazy::new(s()),
            dst_asn: Lazy::new(i64b()),
            dst_as_org: Lazy::new(s()),
            dst_country: Lazy::new(s()),
            intel: Lazy::new(s()),
            len: 0,
        }
    }

    /// Rows appended since the last [`finish`](Self::finish).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no row is pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends one record.
    pub fn append(&mut self, r: &WebRecord<'_>, line: u64, prov: &Provenance<'_>, x: &RowExtras<'_>) {
        self.ts.append_value(r.ts_ms);
        self.duration_ms.append_option(r.duration_ms);
        self.client_ip.append_option(r.client_ip.as_deref());
        self.client_port.append_option(r.client_port.map(i32::from));
        self.user.append_option(r.user.as_deref());
        self.method.append_option(r.method.as_deref());
        self.scheme.append_option(r.scheme.as_deref());
        self.host.append_option(r.host.as_deref());
        self.port.append_option(r.port.map(i32::from));
        self.path.append_option(r.path.as_deref());
        self.query.append_option(r.query.as_deref());
        self.url.append_option(r.url.as_deref());
        self.status.append_option(r.status.map(i32::from));
        self.action.append_option(r.action.as_deref());
        self.hierarchy.append_option(r.hierarchy.as_deref());
        self.server_ip.append_option(r.server_ip.as_deref());
        self.sni.append_option(r.sni.as_deref());
        self.bytes_up.append_option(r.bytes_up.map(clamp_i64));
        self.bytes_down.append_option(r.bytes_down.map(clamp_i64));
        self.content_type.append_option(r.content_type.as_deref());
        self.referer.append_option(r.referer.as_deref());
        self.user_agent.append_option(r.user_agent.as_deref());
        self.category.append_option(r.category.as_deref());
        self.verdict.append_option(r.verdict.map(|v| v.as_str()));
        self.source_format.append_value(prov.format);
        self.source_file.append_value(prov.file);
        self.source_line.append_value(line.min(i64::MAX as u64) as i64);
        self.input_id.append_value(prov.input_id);
        self.registered_domain.append_option(x.registered_domain);
        self.public_suffix.append_option(x.public_suffix);
        self.host_is_ip.append_option(x.host_is_ip);
        self.src_internal.append_option(x.src_internal);
        self.dst_internal.append_option(x.dst_internal);
        self.service.append_option(x.service);
        self.service_category.append_option(x.service_category);
        self.sanctioned.append_option(x.sanctioned);
        self.service_name.append_option(x.service_name);
        self.service_tenant.append_option(x.service_tenant);
        self.upload_action.append_option(x.upload_action);
        self.upload_rule.append_option(x.upload_rule);
        self.dst_asn.append_option(x.dst_asn.map(i64::from));
        self.dst_as_org.append_option(x.dst_as_org);
        self.dst_country.append_option(x.dst_country);
        self.intel.append_option(x.intel);
        self.len += 1;
    }

    /// Takes the pending rows as a batch and resets the builder.
    pub fn finish(&mut self) -> RecordBatch {
        let rows = self.ts.len();
        let ts = Arc::new(self.ts.finish());
        self.ts = TimestampMillisecondBuilder::with_capacity(rows).with_timezone("UTC");
        let cols: Vec<ArrayRef> = vec![
            ts,
            self.duration_ms.finish(),
            self.client_ip.finish(),
            self.client_port.finish(),
            self.user.finish(),
            self.method.finish(),
            self.scheme.finish(),
            self.host.finish(),
            self.port.finish(),
            self.path.finish(),
            self.query.finish(),
            self.url.finish(),
            self.status.finish(),
            self.action.finish(),
            self.hierarchy.finish(),
            self.server_ip.finish(),
            self.sni.finish(),
            self.bytes_up.finish(),
            self.bytes_down.finish(),
            self.content_type.finish(),
            self.referer.finish(),
            self.user_agent.finish(),
            self.category.finish(),
            self.verdict.finish(),
            self.source_format.finish_keeping_room(),
            self.source_file.finish_keeping_room(),
            self.source_line.finish_keeping_room(),
            self.input_id.finish_keeping_room(),
            self.registered_domain.finish(),
            self.public_suffix.finish(),
            self.host_is_ip.finish(),
            self.src_internal.finish(),
            self.dst_internal.finish(),
            self.service.finish(),
            self.service_category.finish(),
            self.sanctioned.finish(),
            self.service_name.finish(),
            self.service_tenant.finish(),
            self.upload_action.finish(),
            self.upload_rule.finish(),
            self.dst_asn.finish(),
            self.dst_as_org.finish(),
            self.dst_country.finish(),
            self.intel.finish(),
        ];
        self.len = 0;
        // The columns are built in schema order with matching types, so this
        // cannot fail; a mismatch is a programming error caught by tests.
        RecordBatch::try_new(WEB_SCHEMA.clone(), cols).expect("web_requests batch matches its schema")
    }
}

/// A column builder behind a count of pending nulls.
///
/// Why: most formats leave a third of the 44 columns empty on every row
/// (Squid native has no user agent, referer, upload bytes, category, …), and
/// appending one null per row per column was 3.5 % of a Squid ingest. Nulls
/// are counted and appended as one run before the next value; a column that
/// got no value in a batch becomes one all-null array.
struct Lazy<B> {
    b: B,
    nulls: usize,
}

/// The value side of a column builder [`Lazy`] wraps.
trait Col: ArrayBuilder {
    type V<'a>;
    fn value(&mut self, v: Self::V<'_>);
    fn nulls(&mut self, n: usize);
    /// Takes the column as an array and leaves the builder with room for as
    /// many rows and value bytes as it held.
    ///
    /// Why: Arrow's `finish` leaves a builder with no capacity, so every
    /// batch after the first regrew each buffer by doubling (a reallocation
    /// and a copy each time; ≈ 2 % of a Squid ingest). Batches are the same
    /// size, so the last one's size is the next one's.
    fn finish_keeping_room(&mut self) -> ArrayRef;
}

macro_rules! col {
    ($b:ty, $v:ty) => {
        impl Col for $b {
            type V<'a> = $v;
            #[inline]
            fn value(&mut self, v: Self::V<'_>) {
                self.append_value(v);
            }
            fn nulls(&mut self, n: usize) {
                self.append_nulls(n);
            }
            fn finish_keeping_room(&mut self) -> ArrayRef {
                let rows = self.len();
                let a = Arc::new(self.finish());
                *self = <$b>::with_capacity(rows);
                a
            }
        }
    };
}
col!(Int64Builder, i64);
col!(Int32Builder, i32);
col!(BooleanBuilder, bool);

impl Col for StringBuilder {
    type V<'a> = &'a str;
    #[inline]
    fn value(&mut self, v: &str) {
        self.append_value(v);
    }
    fn nulls(&mut self, n: usize) {
        self.append_nulls(n);
    }
    fn finish_keeping_room(&mut self) -> ArrayRef {
        let (rows, bytes) = (self.len(), self.values_slice().len());
        let a = Arc::new(self.finish());
        *self = StringBuilder::with_capacity(rows, bytes);
        a
    }
}

impl<B: Col> Lazy<B> {
    fn new(b: B) -> Self {
        Lazy { b, nulls: 0 }
    }

    #[inline]
    fn append_option(&mut self, v: Option<B::V<'_>>) {
        match v {
            Some(v) => {
                if self.nulls > 0 {
                    self.b.nulls(std::mem::take(&mut self.nulls));
                }
                self.b.value(v);
            }
            None => self.nulls += 1,
        }
    }

    /// The column so far (nulls included) as an array; resets the builder.
    fn finish(&mut self) -> ArrayRef {
        let nulls = std::mem::take(&mut self.nulls);
        if self.b.is_empty() {
            // Same type as the builder's own output (an empty finish).
            let t = self.b.finish().data_type().clone();
            return new_null_array(&t, nulls);
        }
        self.b.nulls(nulls);
        self.b.finish_keeping_room()
    }
}

fn clamp_i64(v: u64) -> i64 {
    v.min(i64::MAX as u64) as i64
}

/// The UTC day (`YYYY-MM-DD`) of a timestamp, used as the Hive partition.
pub fn day_of(ts_ms: i64) -> String {
    let days = ts_ms.div_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 of a UTC timestamp in ms.
pub fn day_number(ts_ms: i64) -> i64 {
    ts_ms.div_euclid(86_400_000)
}

/// Calendar date of a day number (one implementation, in `kensa-model`).
pub use kensa_model::days::civil_from_days;

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn days() {
        assert_eq!(day_of(0), "1970-01-01");
        assert_eq!(day_of(1_700_000_000_000), "2023-11-14");
        assert_eq!(day_of(951_782_400_000), "2000-02-29");
        assert_eq!(day_of(-1), "1969-12-31");
    }

    #[test]
    fn builder_keeps_nulls_honest() {
        let mut b = WebBatchBuilder::with_capacity(4);
        let r = WebRecord {
            ts_ms: 1_700_000_000_000,
            host: Some(Cow::Borrowed("example.com")),
            bytes_down: Some(10),
            ..Default::default()
        };
        let prov = Provenance { format: "squid-native", file: "a.log", input_id: 7 };
        b.append(&r, 3, &prov, &RowExtras::default());
        let batch = b.finish();
        assert_eq!(batch.num_rows(), 1);
        let up = batch.column_by_name("bytes_up").unwrap();
        assert!(up.is_null(0), "a format without upload bytes stores null, not 0");
        let down = batch.column_by_name("bytes_down").unwrap();
        assert!(!down.is_null(0));
        assert!(b.is_empty());
    }

    #[test]
    fn null_runs_keep_row_order() {
        use arrow::array::Array;
        let mut b = WebBatchBuilder::with_capacity(2);
        let prov = Provenance { format: "squid-native", file: "a.log", input_id: 1 };
        let ua = [None, None, Some("curl/8"), None, Some("Wget"), None];
        for (i, u) in ua.iter().enumerate() {
            let r = WebRecord {
                ts_ms: 1_700_000_000_000 + i as i64,
                user_agent: u.map(Cow::Borrowed),
                bytes_up: (i == 3).then_some(42),
                ..Default::default()
            };
            b.append(&r, i as u64 + 1, &prov, &RowExtras::default());
        }
        let batch = b.finish();
        let col = batch.column_by_name("user_agent").unwrap();
        let col = col.as_any().downcast_ref::<arrow::array::StringArray>().unwrap();
        let got: Vec<Option<&str>> = (0..col.len()).map(|i| col.is_valid(i).then(|| col.value(i))).collect();
        assert_eq!(got, ua.to_vec());
        let up = batch.column_by_name("bytes_up").unwrap();
        let up = up.as_any().downcast_ref::<arrow::array::Int64Array>().unwrap();
        assert_eq!((0..6).filter(|&i| up.is_valid(i)).collect::<Vec<_>>(), vec![3]);
        assert_eq!(up.value(3), 42);
        // A column no row filled is all null, with the schema's type.
        let sni = batch.column_by_name("sni").unwrap();
        assert_eq!((sni.len(), sni.null_count()), (6, 6));
        assert_eq!(sni.data_type(), &DataType::Utf8);
        // The builder starts over empty, nulls included.
        let r = WebRecord { ts_ms: 1, user_agent: Some(Cow::Borrowed("x")), ..Default::default() };
        b.append(&r, 9, &prov, &RowExtras::default());
        let again = b.finish();
        assert_eq!(again.num_rows(), 1);
        assert_eq!(again.column_by_name("user_agent").unwrap().null_count(), 0);
    }
}
