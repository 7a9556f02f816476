//! Small server-drawn SVG charts (bars, heatmap, dot timeline).
//!
//! Drawn here rather than with a JavaScript chart library so pages need no
//! script to show data and the strict CSP holds; colours use SVG
//! presentation attributes (inline `style` is blocked by the CSP). Labels
//! go through maud, so they are escaped like any other text.
//! The finding page's charts come from `kensa-charts` (shared with the
//! report); these cover the overview, host and destination pages, whose
//! shapes (many labelled bars, mirrored up/down volumes) it does not draw.

use maud::{Markup, html};

const W: f64 = 720.0;
const BAR: &str = "#3b6ea8";
const UP: &str = "#c0504d";

/// A vertical bar chart of `(label, value)`; labels appear as tooltips and,
/// when there are few bars, under the axis.
pub fn bars(values: &[(String, f64)], height: f64) -> Markup {
    let max = values.iter().map(|v| v.1).fold(0.0, f64::max).max(1.0);
    let n = values.len().max(1) as f64;
    let bw = (W - 40.0) / n;
    let h = height - 20.0;
    html! {
        svg class="chart" viewBox={"0 0 " (W) " " (height)} width=(W) height=(height) role="img" {
            line x1="40" y1=(h) x2=(W) y2=(h) stroke="#888" {}
            text x="0" y="12" font-size="10" fill="#555" { (fmt_num(max)) }
            @for (i, (label, v)) in values.iter().enumerate() {
                @let bh = (v / max * (h - 10.0)).max(if *v > 0.0 { 1.0 } else { 0.0 });
                rect x=(40.0 + i as f64 * bw + 0.5) y=(h - bh) width=((bw - 1.0).max(0.5)) height=(bh) fill=(BAR) {
                    title { (label) ": " (fmt_num(*v)) }
                }
                @if values.len() <= 16 {
                    text x=(40.0 + i as f64 * bw + bw / 2.0) y=(height - 6.0) font-size="9" text-anchor="middle" fill="#333" { (label) }
                }
            }
        }
    }
}

/// Two series (up, down) as mirrored bars around a middle axis.
pub fn updown(values: &[(String, f64, f64)], height: f64) -> Markup {
    let max = values.iter().map(|v| v.1.max(v.2)).fold(0.0, f64::max).max(1.0);
    let n = values.len().max(1) as f64;
    let bw = (W - 40.0) / n;
    let mid = height / 2.0;
    html! {
        svg class="chart" viewBox={"0 0 " (W) " " (height)} width=(W) height=(height) role="img" {
            line x1="40" y1=(mid) x2=(W) y2=(mid) stroke="#888" {}
            text x="0" y="12" font-size="10" fill="#555" { "↑ " (fmt_num(max)) }
            text x="0" y=(height - 4.0) font-size="10" fill="#555" { "↓ " (fmt_num(max)) }
            @for (i, (label, up, down)) in values.iter().enumerate() {
                @let uh = up / max * (mid - 4.0);
                @let dh = down / max * (mid - 4.0);
                rect x=(40.0 + i as f64 * bw) y=(mid - uh) width=((bw - 0.5).max(0.5)) height=(uh) fill=(UP) {
                    title { (label) " ↑ " (fmt_num(*up)) }
                }
                rect x=(40.0 + i as f64 * bw) y=(mid) width=((bw - 0.5).max(0.5)) height=(dh) fill=(BAR) {
                    title { (label) " ↓ " (fmt_num(*down)) }
                }
            }
        }
    }
}

/// A compact number: 1234 → `1.2k`, 5e6 → `5.0M`.
pub fn fmt_num(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", v / 1e3)
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// A UTC time stamp for display.
pub fn fmt_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_numbers_compact() {
        let m = bars(&[("<script>x</script>".into(), 3.0)], 100.0).into_string();
        assert!(!m.contains("<script>"));
        assert!(m.contains("&lt;script&gt;"));
        assert_eq!(fmt_num(1234.0), "1234");
        assert_eq!(fmt_num(12345.0), "12.3k");
        assert_eq!(fmt_num(2.5e6), "2.5M");
    }
}
