//! The `web_requests` table: its Arrow schema and a batch builder that
//! appends [`WebRecord`]s column by column.

use std::sync::{Arc, LazyLock};

use arrow::array::{
    ArrayRef, BooleanBuilder, Int32Builder, Int64Builder, RecordBatch, StringBuilder,
    TimestampMillisecondBuilder,
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
    duration_ms: Int64Builder,
    client_ip: StringBuilder,
    client_port: Int32Builder,
    user: StringBuilder,
    method: StringBuilder,
    scheme: StringBuilder,
    host: StringBuilder,
    port: Int32Builder,
    path: StringBuilder,
    query: StringBuilder,
    url: StringBuilder,
    status: Int32Builder,
    action: StringBuilder,
    hierarchy: StringBuilder,
    server_ip: StringBuilder,
    sni: StringBuilder,
    bytes_up: Int64Builder,
    bytes_down: Int64Builder,
    content_type: StringBuilder,
    referer: StringBuilder,
    user_agent: StringBuilder,
    category: StringBuilder,
    verdict: StringBuilder,
    source_format: StringBuilder,
    source_file: StringBuilder,
    source_line: Int64Builder,
    input_id: Int64Builder,
    registered_domain: StringBuilder,
    public_suffix: StringBuilder,
    host_is_ip: BooleanBuilder,
    src_internal: BooleanBuilder,
    dst_internal: BooleanBuilder,
    service: StringBuilder,
    service_category: StringBuilder,
    sanctioned: StringBuilder,
    service_name: StringBuilder,
    service_tenant: StringBuilder,
    upload_action: BooleanBuilder,
    upload_rule: StringBuilder,
    dst_asn: Int64Builder,
    dst_as_org: StringBuilder,
    dst_country: StringBuilder,
    intel: StringBuilder,
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
            duration_ms: i64b(),
            client_ip: s(),
            client_port: i32b(),
            user: s(),
            method: s(),
            scheme: s(),
            host: s(),
            port: i32b(),
            path: StringBuilder::with_capacity(cap, cap * 48),
            query: s(),
            url: StringBuilder::with_capacity(cap, cap * 64),
            status: i32b(),
            action: s(),
            hierarchy: s(),
            server_ip: s(),
            sni: s(),
            bytes_up: i64b(),
            bytes_down: i64b(),
            content_type: s(),
            referer: s(),
            user_agent: StringBuilder::with_capacity(cap, cap * 64),
            category: s(),
            verdict: s(),
            source_format: s(),
            source_file: s(),
            source_line: i64b(),
            input_id: i64b(),
            registered_domain: s(),
            public_suffix: s(),
            host_is_ip: bb(),
            src_internal: bb(),
            dst_internal: bb(),
            service: s(),
            service_category: s(),
            sanctioned: s(),
            service_name: s(),
            service_tenant: s(),
            upload_action: bb(),
            upload_rule: s(),
            dst_asn: i64b(),
            dst_as_org: s(),
            dst_country: s(),
            intel: s(),
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
        let cols: Vec<ArrayRef> = vec![
            Arc::new(self.ts.finish()),
            Arc::new(self.duration_ms.finish()),
            Arc::new(self.client_ip.finish()),
            Arc::new(self.client_port.finish()),
            Arc::new(self.user.finish()),
            Arc::new(self.method.finish()),
            Arc::new(self.scheme.finish()),
            Arc::new(self.host.finish()),
            Arc::new(self.port.finish()),
            Arc::new(self.path.finish()),
            Arc::new(self.query.finish()),
            Arc::new(self.url.finish()),
            Arc::new(self.status.finish()),
            Arc::new(self.action.finish()),
            Arc::new(self.hierarchy.finish()),
            Arc::new(self.server_ip.finish()),
            Arc::new(self.sni.finish()),
            Arc::new(self.bytes_up.finish()),
            Arc::new(self.bytes_down.finish()),
            Arc::new(self.content_type.finish()),
            Arc::new(self.referer.finish()),
            Arc::new(self.user_agent.finish()),
            Arc::new(self.category.finish()),
            Arc::new(self.verdict.finish()),
            Arc::new(self.source_format.finish()),
            Arc::new(self.source_file.finish()),
            Arc::new(self.source_line.finish()),
            Arc::new(self.input_id.finish()),
            Arc::new(self.registered_domain.finish()),
            Arc::new(self.public_suffix.finish()),
            Arc::new(self.host_is_ip.finish()),
            Arc::new(self.src_internal.finish()),
            Arc::new(self.dst_internal.finish()),
            Arc::new(self.service.finish()),
            Arc::new(self.service_category.finish()),
            Arc::new(self.sanctioned.finish()),
            Arc::new(self.service_name.finish()),
            Arc::new(self.service_tenant.finish()),
            Arc::new(self.upload_action.finish()),
            Arc::new(self.upload_rule.finish()),
            Arc::new(self.dst_asn.finish()),
            Arc::new(self.dst_as_org.finish()),
            Arc::new(self.dst_country.finish()),
            Arc::new(self.intel.finish()),
        ];
        self.len = 0;
        // The columns are built in schema order with matching types, so this
        // cannot fail; a mismatch is a programming error caught by tests.
        RecordBatch::try_new(WEB_SCHEMA.clone(), cols).expect("web_requests batch matches its schema")
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
}
