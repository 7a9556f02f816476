//! kensa's charts: small SVG chart functions for the report and the web UI.
//!
//! Every function takes plain numbers and labels and returns one `<svg>`
//! element as a `String`. There is no I/O, no JavaScript and no external
//! reference (no fonts, images or stylesheets are fetched), so the SVG can be
//! inlined into an HTML page, printed, or handed to typst for the PDF.
//!
//! * [`timeline`]: one tick per event along a time axis (beacon callbacks).
//! * [`histogram`]: counts of values in equal-width bins (callback intervals).
//! * [`heatmap`]: a 7 × 24 weekday/hour grid (a host's activity).
//! * [`columns`]: values over time buckets (upload volume per hour/day).
//! * [`bars`]: labelled horizontal bars (findings by severity or category).
//!
//! *Invariant:* every label is attacker-controlled (host names, user names,
//! categories come from logs) and goes through [`escape`], which escapes XML
//! metacharacters, drops control and bidi-override characters and shortens
//! long labels. Numbers are formatted by kensa, never taken from strings.
//!
//! Why hand-written: the charts are five simple shapes; the Rust SVG chart
//! crates (plotters, charming) pull in font rasterisers or a JavaScript
//! runtime and do not promise escaped labels.
//!
//! ```
//! let svg = kensa_charts::bars(&[kensa_charts::Bar::new("high", 3.0)], &kensa_charts::Frame::new("Findings"));
//! assert!(svg.starts_with("<svg"));
//! ```
#![deny(missing_docs)]

use std::fmt::Write as _;

/// The font stack used for chart text: Noto Sans CJK is what the PDF
/// renderer loads; browsers fall back to their sans-serif.
pub const FONT_FAMILY: &str = "'Noto Sans CJK JP', 'Noto Sans JP', 'Hiragino Sans', 'Yu Gothic', Meiryo, sans-serif";

/// Longest label shown before it is cut with an ellipsis.
pub const MAX_LABEL_CHARS: usize = 48;

/// Default palette (colour-blind friendly, prints in greyscale distinctly).
pub const PALETTE: [&str; 8] = ["#1f5f99", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#a6761d", "#666666"];

/// Colours of the severities, `critical` first.
pub fn severity_color(sev: &str) -> &'static str {
    match sev {
        "critical" => "#8b0000",
        "high" => "#d7301f",
        "medium" => "#f08c00",
        "low" => "#3a7dbf",
        _ => "#8c8c8c",
    }
}

/// Size and captions of one chart. All text is escaped when drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// Title drawn above the plot (empty: none).
    pub title: String,
    /// Width in SVG user units (= CSS px).
    pub width: u32,
    /// Height in SVG user units.
    pub height: u32,
    /// Caption of the x axis (empty: none).
    pub x_label: String,
    /// Caption of the y axis (empty: none).
    pub y_label: String,
}

impl Frame {
    /// A 640 × 200 frame with a title and no axis captions.
    pub fn new(title: &str) -> Frame {
        Frame { title: title.to_string(), width: 640, height: 200, x_label: String::new(), y_label: String::new() }
    }
    /// Sets the size.
    pub fn size(mut self, width: u32, height: u32) -> Frame {
        self.width = width.max(120);
        self.height = height.max(60);
        self
    }
    /// Sets the axis captions.
    pub fn axes(mut self, x: &str, y: &str) -> Frame {
        self.x_label = x.to_string();
        self.y_label = y.to_string();
        self
    }
}

/// Escapes a label for SVG/XML text or attribute content: `& < > " '` become
/// entities; control characters, bidi embedding/override/isolate marks and
/// zero-width joiners are removed (they could reorder the text a reader
/// sees); labels longer than [`MAX_LABEL_CHARS`] are cut with `…`.
pub fn escape(s: &str) -> String {
    escape_max(s, MAX_LABEL_CHARS)
}

/// [`escape`] with an explicit length limit in characters.
pub fn escape_max(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars * 4) + 8);
    let mut n = 0usize;
    for c in s.chars() {
        if is_invisible(c) {
            continue;
        }
        if n >= max_chars {
            out.push('…');
            break;
        }
        n += 1;
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Characters dropped from labels: C0/C1 controls, bidi controls, zero-width
/// and BOM characters.
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{061C}')
}

/// A number for an axis: integers plainly, else up to 2 decimals, with
/// k/M/G suffixes for large values.
pub fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return "0".into();
    }
    let a = v.abs();
    let (x, suf) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let s = if (x - x.round()).abs() < 1e-9 { format!("{}", x.round() as i64) } else if x.abs() >= 10.0 { format!("{x:.1}") } else { format!("{x:.2}") };
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    format!("{s}{suf}")
}

/// Bytes in binary-free SI units (B, kB, MB, GB, TB), as reports print them.
pub fn fmt_bytes(b: u64) -> String {
    let v = b as f64;
    match b {
        0..1_000 => format!("{b} B"),
        1_000..1_000_000 => format!("{:.1} kB", v / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", v / 1e6),
        1_000_000_000..1_000_000_000_000 => format!("{:.2} GB", v / 1e9),
        _ => format!("{:.2} TB", v / 1e12),
    }
}

/// "Nice" axis ticks covering `0..=max`: about `n` steps of 1, 2 or 5 × 10^k.
pub fn nice_ticks(max: f64, n: usize) -> Vec<f64> {
    let max = if max.is_finite() && max > 0.0 { max } else { 1.0 };
    let raw = max / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let mut v = Vec::new();
    let mut t = 0.0;
    while t <= max + step * 0.5 && v.len() < 50 {
        v.push(t);
        if t >= max {
            break;
        }
        t += step;
    }
    v
}

struct Plot {
    x0: f64,
    y0: f64,
    w: f64,
    h: f64,
}

/// Opens an `<svg>` with the frame's title and returns the plot area.
fn open(out: &mut String, f: &Frame, left: f64, bottom: f64) -> Plot {
    let (w, h) = (f.width as f64, f.height as f64);
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{t}" font-family="{FONT_FAMILY}" font-size="11"><title>{t}</title><rect width="{w}" height="{h}" fill="#ffffff"/>"##,
        t = escape_max(&f.title, 200),
    );
    let top = if f.title.is_empty() { 8.0 } else { 24.0 };
    if !f.title.is_empty() {
        let _ = write!(out, r##"<text x="{left}" y="15" font-size="12" font-weight="bold" fill="#222">{}</text>"##, escape_max(&f.title, 120));
    }
    let bottom = bottom + if f.x_label.is_empty() { 0.0 } else { 14.0 };
    let p = Plot { x0: left, y0: top, w: (w - left - 12.0).max(10.0), h: (h - top - bottom).max(10.0) };
    if !f.x_label.is_empty() {
        let _ = write!(out, r##"<text x="{}" y="{}" text-anchor="middle" fill="#444">{}</text>"##, p.x0 + p.w / 2.0, h - 4.0, escape(&f.x_label));
    }
    if !f.y_label.is_empty() {
        let _ = write!(
            out,
            r##"<text x="10" y="{y}" transform="rotate(-90 10 {y})" text-anchor="middle" fill="#444">{}</text>"##,
            escape(&f.y_label),
            y = p.y0 + p.h / 2.0
        );
    }
    p
}

fn close(out: &mut String) {
    out.push_str("</svg>");
}

/// Draws a y axis with nice ticks and gridlines; returns the axis maximum.
fn y_axis(out: &mut String, p: &Plot, max: f64, fmt: &dyn Fn(f64) -> String) -> f64 {
    let ticks = nice_ticks(max, 4);
    let top = ticks.last().copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
    for t in &ticks {
        let y = p.y0 + p.h - t / top * p.h;
        let _ = write!(
            out,
            r##"<line x1="{x0}" y1="{y:.1}" x2="{x1}" y2="{y:.1}" stroke="#e3e3e3"/><text x="{tx}" y="{ty:.1}" text-anchor="end" fill="#555" font-size="10">{}</text>"##,
            escape(&fmt(*t)),
            x0 = p.x0,
            x1 = p.x0 + p.w,
            tx = p.x0 - 4.0,
            ty = y + 3.5
        );
    }
    let _ = write!(out, r##"<line x1="{x}" y1="{y0}" x2="{x}" y2="{y1}" stroke="#999"/>"##, x = p.x0, y0 = p.y0, y1 = p.y0 + p.h);
    top
}

/// Labels the x axis of a time range with day boundaries (UTC offset
/// `tz_offset_s` applied), at most ~8 labels, formatted `MM-DD`.
fn time_axis(out: &mut String, p: &Plot, start_ms: i64, end_ms: i64, tz_offset_s: i32) {
    let span = (end_ms - start_ms).max(1) as f64;
    let _ = write!(out, r##"<line x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" stroke="#999"/>"##, x0 = p.x0, x1 = p.x0 + p.w, y = p.y0 + p.h);
    const DAY: i64 = 86_400_000;
    let off = tz_offset_s as i64 * 1000;
    let first_day = (start_ms + off).div_euclid(DAY) + 1;
    let last_day = (end_ms + off).div_euclid(DAY);
    let days = (last_day - first_day + 1).max(0);
    let every = (days / 8 + 1).max(1);
    let mut d = first_day;
    while d <= last_day {
        let t = d * DAY - off;
        let x = p.x0 + (t - start_ms) as f64 / span * p.w;
        let (_, m, dd) = civil_from_days(d);
        let _ = write!(out, r##"<line x1="{x:.1}" y1="{y0}" x2="{x:.1}" y2="{y1}" stroke="#d0d0d0" stroke-dasharray="2,2"/>"##, y0 = p.y0, y1 = p.y0 + p.h);
        if (d - first_day) % every == 0 {
            let _ = write!(out, r##"<text x="{x:.1}" y="{y}" text-anchor="middle" fill="#555" font-size="10">{m:02}-{dd:02}</text>"##, y = p.y0 + p.h + 12.0);
        }
        d += 1;
    }
}

/// Calendar date of a day number (one implementation, in `kensa-model`).
pub use kensa_model::days::civil_from_days;

/// A callback timeline: one thin tick per event time (ms since the epoch)
/// between `start_ms` and `end_ms`, with day gridlines labelled in the time
/// zone `tz_offset_s` seconds east of UTC. Events outside the range are
/// clamped to its edges. Many events at one pixel draw one tick (the SVG
/// stays small whatever the count).
pub fn timeline(events_ms: &[i64], start_ms: i64, end_ms: i64, tz_offset_s: i32, f: &Frame) -> String {
    let mut out = String::with_capacity(4096);
    let p = open(&mut out, f, 12.0, 16.0);
    let (start_ms, end_ms) = if end_ms > start_ms { (start_ms, end_ms) } else { (start_ms, start_ms + 1) };
    time_axis(&mut out, &p, start_ms, end_ms, tz_offset_s);
    let span = (end_ms - start_ms) as f64;
    // One tick per distinct pixel column (half-pixel resolution).
    let cols = (p.w * 2.0).ceil() as usize + 1;
    let mut hit = vec![0u32; cols];
    for &t in events_ms {
        let x = ((t.clamp(start_ms, end_ms) - start_ms) as f64 / span * p.w * 2.0) as usize;
        hit[x.min(cols - 1)] += 1;
    }
    let max = hit.iter().copied().max().unwrap_or(0).max(1) as f64;
    let _ = write!(out, r#"<g stroke="{}" stroke-width="0.8">"#, PALETTE[0]);
    for (i, &n) in hit.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let x = p.x0 + i as f64 / 2.0;
        // Taller ticks where events pile up, so density shows.
        let hh = p.h * (0.45 + 0.55 * (n as f64 / max).sqrt());
        let _ = write!(out, r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}"/>"#, p.y0 + p.h - hh, p.y0 + p.h);
    }
    out.push_str("</g>");
    close(&mut out);
    out
}

/// A histogram of `values` in `bins` equal-width bins over `lo..hi` (values
/// outside go to the edge bins). `fmt_x` formats the bin edges.
pub fn histogram(values: &[f64], bins: usize, lo: f64, hi: f64, fmt_x: &dyn Fn(f64) -> String, f: &Frame) -> String {
    let bins = bins.clamp(1, 200);
    let (lo, hi) = if hi > lo && lo.is_finite() && hi.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let mut counts = vec![0u64; bins];
    for &v in values.iter().filter(|v| v.is_finite()) {
        let i = (((v - lo) / (hi - lo)) * bins as f64).floor();
        counts[(i.max(0.0) as usize).min(bins - 1)] += 1;
    }
    let mut out = String::with_capacity(4096);
    let p = open(&mut out, f, 40.0, 16.0);
    let max = counts.iter().copied().max().unwrap_or(0) as f64;
    let top = y_axis(&mut out, &p, max, &fmt_num);
    let bw = p.w / bins as f64;
    let _ = write!(out, r#"<g fill="{}">"#, PALETTE[0]);
    for (i, &c) in counts.iter().enumerate() {
        if c == 0 {
            continue;
        }
        let bh = c as f64 / top * p.h;
        let _ = write!(
            out,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}"><title>{}</title></rect>"#,
            p.x0 + i as f64 * bw + 0.5,
            p.y0 + p.h - bh,
            (bw - 1.0).max(0.5),
            bh,
            c
        );
    }
    out.push_str("</g>");
    let _ = write!(out, r##"<line x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" stroke="#999"/>"##, x0 = p.x0, x1 = p.x0 + p.w, y = p.y0 + p.h);
    let labels = 5.min(bins);
    for k in 0..=labels {
        let x = p.x0 + p.w * k as f64 / labels as f64;
        let v = lo + (hi - lo) * k as f64 / labels as f64;
        let anchor = if k == 0 { "start" } else if k == labels { "end" } else { "middle" };
        let _ = write!(out, r##"<text x="{x:.1}" y="{}" text-anchor="{anchor}" fill="#555" font-size="10">{}</text>"##, p.y0 + p.h + 12.0, escape(&fmt_x(v)));
    }
    close(&mut out);
    out
}

/// A weekday × hour heatmap. `counts[d][h]` is the activity on weekday `d`
/// (row order as in `day_labels`) at hour `h`. Darker is more.
pub fn heatmap(counts: &[[u64; 24]; 7], day_labels: &[&str; 7], f: &Frame) -> String {
    let mut out = String::with_capacity(8192);
    let p = open(&mut out, f, 44.0, 16.0);
    let max = counts.iter().flat_map(|r| r.iter()).copied().max().unwrap_or(0).max(1) as f64;
    let cw = p.w / 24.0;
    let ch = p.h / 7.0;
    for (d, row) in counts.iter().enumerate() {
        let y = p.y0 + d as f64 * ch;
        let _ = write!(out, r##"<text x="{}" y="{:.1}" text-anchor="end" fill="#444" font-size="10">{}</text>"##, p.x0 - 4.0, y + ch / 2.0 + 3.5, escape_max(day_labels[d], 8));
        for (h, &c) in row.iter().enumerate() {
            let x = p.x0 + h as f64 * cw;
            let fill = if c == 0 { "#f4f4f4".to_string() } else { shade((c as f64 / max).sqrt()) };
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{fill}"><title>{c}</title></rect>"#,
                (cw - 1.0).max(0.5),
                (ch - 1.0).max(0.5)
            );
        }
    }
    for h in (0..24).step_by(3) {
        let _ = write!(out, r##"<text x="{:.1}" y="{}" fill="#555" font-size="10">{h:02}</text>"##, p.x0 + h as f64 * cw + 1.0, p.y0 + p.h + 12.0);
    }
    close(&mut out);
    out
}

/// A blue shade for intensity `t` in 0..=1.
fn shade(t: f64) -> String {
    let t = t.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    format!("#{:02x}{:02x}{:02x}", lerp(222.0, 8.0), lerp(235.0, 48.0), lerp(247.0, 107.0))
}

/// Columns over time: `points` are `(bucket start ms, value)` with buckets
/// `bucket_ms` wide, drawn between `start_ms` and `end_ms`. `fmt_y` formats
/// the axis (e.g. [`fmt_bytes`]).
pub fn columns(points: &[(i64, f64)], bucket_ms: i64, start_ms: i64, end_ms: i64, tz_offset_s: i32, fmt_y: &dyn Fn(f64) -> String, f: &Frame) -> String {
    let mut out = String::with_capacity(8192);
    let p = open(&mut out, f, 56.0, 16.0);
    let (start_ms, end_ms) = if end_ms > start_ms { (start_ms, end_ms) } else { (start_ms, start_ms + 1) };
    let max = points.iter().map(|x| x.1).filter(|v| v.is_finite()).fold(0.0, f64::max);
    let top = y_axis(&mut out, &p, max, fmt_y);
    time_axis(&mut out, &p, start_ms, end_ms, tz_offset_s);
    let span = (end_ms - start_ms) as f64;
    let bw = (bucket_ms.max(1) as f64 / span * p.w).max(1.0);
    let _ = write!(out, r#"<g fill="{}">"#, PALETTE[1]);
    for &(t, v) in points {
        if !(v.is_finite() && v > 0.0) || t + bucket_ms < start_ms || t > end_ms {
            continue;
        }
        let x = p.x0 + (t.max(start_ms) - start_ms) as f64 / span * p.w;
        let bh = v / top * p.h;
        let _ = write!(out, r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{bh:.1}"/>"#, p.y0 + p.h - bh, bw.min(p.x0 + p.w - x).max(0.5));
    }
    out.push_str("</g>");
    close(&mut out);
    out
}

/// One labelled bar of [`bars`].
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Label (escaped when drawn).
    pub label: String,
    /// Value (non-finite or negative values draw as 0).
    pub value: f64,
    /// Fill colour (a `#rrggbb` literal; anything else falls back to the palette).
    pub color: Option<String>,
}

impl Bar {
    /// A bar with the default colour.
    pub fn new(label: &str, value: f64) -> Bar {
        Bar { label: label.to_string(), value, color: None }
    }
    /// Sets the colour.
    pub fn color(mut self, c: &str) -> Bar {
        self.color = Some(c.to_string());
        self
    }
}

fn is_hex_color(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Horizontal bars, one row per item, value printed at the end of each bar.
/// The frame height grows to fit the rows (18 px each).
pub fn bars(items: &[Bar], f: &Frame) -> String {
    let rows = items.len().max(1);
    let label_w = 150.0;
    let mut f = f.clone();
    let need = (rows as u32) * 18 + if f.title.is_empty() { 16 } else { 32 };
    f.height = f.height.max(need);
    let mut out = String::with_capacity(1024 + items.len() * 200);
    let p = open(&mut out, &f, label_w, 8.0);
    let max = items.iter().map(|b| if b.value.is_finite() { b.value.max(0.0) } else { 0.0 }).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let rh = p.h / rows as f64;
    for (i, b) in items.iter().enumerate() {
        let v = if b.value.is_finite() { b.value.max(0.0) } else { 0.0 };
        let y = p.y0 + i as f64 * rh;
        let w = v / max * (p.w - 50.0).max(10.0);
        let color = b.color.as_deref().filter(|c| is_hex_color(c)).unwrap_or(PALETTE[i % PALETTE.len()]);
        let _ = write!(
            out,
            r##"<text x="{}" y="{:.1}" text-anchor="end" fill="#333">{}</text><rect x="{}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="{color}"/><text x="{:.1}" y="{:.1}" fill="#333">{}</text>"##,
            p.x0 - 6.0,
            y + rh / 2.0 + 4.0,
            escape_max(&b.label, 24),
            p.x0,
            y + rh * 0.15,
            rh * 0.7,
            p.x0 + w + 4.0,
            y + rh / 2.0 + 4.0,
            fmt_num(v)
        );
    }
    close(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "<script>alert(1)</script>\"' onload=x &amp; \u{202E}gnp.exe\u{200B}";

    const ALLOWED_ATTRS: &[&str] = &[
        "xmlns", "width", "height", "viewBox", "role", "aria-label", "font-family", "font-size", "font-weight", "x", "y", "x1", "x2",
        "y1", "y2", "fill", "stroke", "stroke-width", "stroke-dasharray", "text-anchor", "transform",
    ];

    /// Well-formedness check without an XML dependency: every `<` opens a
    /// tag we emitted (letters, `/`), and no raw hostile text appears.
    fn assert_inert(svg: &str) {
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"), "{svg}");
        assert!(!svg.contains("<script"), "{svg}");
        assert!(!svg.contains('\u{202E}') && !svg.contains('\u{200B}'));
        let opens = svg.matches('<').count();
        let closes = svg.matches('>').count();
        assert_eq!(opens, closes, "unbalanced angle brackets: {svg}");
        // Tag names are only the ones this crate writes.
        for tag in svg.split('<').skip(1) {
            let name: String = tag.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            assert!(["svg", "title", "rect", "text", "line", "g"].contains(&name.as_str()), "unexpected tag {name:?}");
            // Inside a tag (up to its `>`), only `name="value"` pairs with
            // known names: no hostile attribute got in.
            let inside = tag.split('>').next().unwrap().trim_start_matches('/').trim_end_matches('/');
            let mut rest = &inside[name.len()..];
            while let Some(eq) = rest.find("=\"") {
                let attr = rest[..eq].trim();
                assert!(ALLOWED_ATTRS.contains(&attr), "attribute {attr:?} in <{inside}>");
                let after = &rest[eq + 2..];
                let end = after.find('"').expect("closed attribute");
                assert!(!after[..end].contains("url("), "{inside}");
                rest = &after[end + 1..];
            }
            assert!(rest.trim().is_empty(), "junk {rest:?} in <{inside}>");
        }
    }

    #[test]
    fn escape_handles_metacharacters_bidi_and_length() {
        assert_eq!(escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
        assert_eq!(escape("x\u{202E}y\u{2066}z\u{0007}"), "xyz");
        let long = "a".repeat(500);
        let e = escape(&long);
        assert_eq!(e.chars().count(), MAX_LABEL_CHARS + 1);
        assert!(e.ends_with('…'));
        assert_eq!(escape("日本語"), "日本語");
    }

    #[test]
    fn every_chart_escapes_hostile_labels() {
        let f = Frame::new(HOSTILE).axes(HOSTILE, HOSTILE);
        assert_inert(&timeline(&[0, 1000, 86_400_000], 0, 2 * 86_400_000, 0, &f));
        assert_inert(&histogram(&[1.0, 2.0, 2.5], 10, 0.0, 5.0, &|_| HOSTILE.to_string(), &f));
        assert_inert(&heatmap(&[[1; 24]; 7], &[HOSTILE; 7], &f));
        assert_inert(&columns(&[(0, 5.0)], 3_600_000, 0, 86_400_000, 0, &|_| HOSTILE.into(), &f));
        assert_inert(&bars(&[Bar::new(HOSTILE, 3.0).color("red\" onload=\"x")], &f));
        // The hostile text is still there, escaped, for the reader.
        assert!(bars(&[Bar::new("<b>", 1.0)], &Frame::new("")).contains("&lt;b&gt;"));
    }

    #[test]
    fn timeline_draws_one_tick_per_pixel_column_and_clamps() {
        let f = Frame::new("").size(200, 60);
        // 100 000 events in one second draw one tick, not 100 000.
        let ev: Vec<i64> = (0..100_000).map(|i| 1_000 + i / 100).collect();
        let svg = timeline(&ev, 0, 86_400_000, 0, &f);
        assert_eq!(svg.matches("<line x1").count() - svg.matches("stroke-dasharray").count() - 1, 1);
        // Out-of-range events clamp to the edges: two ticks.
        let svg = timeline(&[-5, 10 * 86_400_000], 0, 86_400_000, 0, &f);
        assert_eq!(svg.matches(r#"<line x1="#).count() - 1 - svg.matches("stroke-dasharray").count(), 2);
    }

    #[test]
    fn histogram_bins_values() {
        let svg = histogram(&[0.5, 1.5, 1.6, 9.9, 100.0, f64::NAN], 10, 0.0, 10.0, &fmt_num, &Frame::new("h"));
        // Bins 0, 1 (two values) and 9 (9.9 and the clamped 100): three bars with counts 1, 2, 2.
        let titles: Vec<&str> = svg.match_indices("<rect x=").map(|(i, _)| &svg[i..]).filter_map(|s| s.split("<title>").nth(1)).map(|s| s.split('<').next().unwrap()).collect();
        assert_eq!(titles, ["1", "2", "2"]);
    }

    #[test]
    fn heatmap_has_168_cells_and_darkest_max() {
        let mut c = [[0u64; 24]; 7];
        c[2][13] = 40;
        c[0][0] = 10;
        let svg = heatmap(&c, &["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], &Frame::new("hm"));
        assert_eq!(svg.matches("<rect x=").count(), 168);
        assert!(svg.contains(&format!("fill=\"{}\"><title>40</title>", shade(1.0))));
        assert!(svg.contains("fill=\"#f4f4f4\"><title>0</title>"));
    }

    #[test]
    fn columns_and_axes() {
        let day = 86_400_000;
        let svg = columns(&[(0, 2e6), (day, 5e6), (9 * day, 1.0)], day, 0, 3 * day, 0, &|v| fmt_bytes(v as u64), &Frame::new("up"));
        // Two visible columns (the third is out of range), labelled days 01-02 and 01-03.
        assert_eq!(svg.matches("<rect x=").count(), 2);
        assert!(svg.contains(">01-02<") && svg.contains(">01-03<"));
        assert!(svg.contains("MB"));
    }

    #[test]
    fn bars_grow_with_rows_and_reject_bad_colors() {
        let items: Vec<Bar> = (0..20).map(|i| Bar::new(&format!("c{i}"), i as f64)).collect();
        let svg = bars(&items, &Frame::new("x").size(400, 60));
        assert!(svg.contains(r#"height="392""#), "{}", &svg[..200]);
        let svg = bars(&[Bar::new("a", 1.0).color("#8b0000"), Bar::new("b", f64::NAN).color("url(x)")], &Frame::new(""));
        assert!(svg.contains("#8b0000") && !svg.contains("url(x)"));
    }

    #[test]
    fn numbers_and_dates() {
        assert_eq!(fmt_num(12.0), "12");
        assert_eq!(fmt_num(1.5), "1.5");
        assert_eq!(fmt_num(25_000.0), "25k");
        assert_eq!(fmt_num(3_400_000.0), "3.4M");
        assert_eq!(fmt_bytes(999), "999 B");
        assert_eq!(fmt_bytes(1_500_000), "1.5 MB");
        assert_eq!(nice_ticks(7.0, 4), [0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(nice_ticks(0.0, 4), [0.0, 0.5, 1.0]);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
    }
}
