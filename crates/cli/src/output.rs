//! Human and JSON output of the CLI. Every string that came from an input
//! (paths, lines, reject samples) goes through [`term`] before it reaches
//! the terminal.

use std::borrow::Cow;
use std::collections::BTreeMap;

use kensa_ingest::InputOutcome;
use kensa_store::Case;

/// Escapes control and bidi characters for the terminal.
pub fn term(s: &str) -> Cow<'_, str> {
    kensa_store::query::escape_terminal(s)
}

fn ts(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "-".into())
}

pub fn print_ingest(outcomes: &[InputOutcome], json: bool, quiet: bool) {
    if json {
        let v = serde_json::json!({ "inputs": outcomes });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return;
    }
    if quiet {
        for o in outcomes.iter().filter(|o| o.status == "failed") {
            eprintln!("kensa: {}: {}", term(&o.path), term(o.message.as_deref().unwrap_or("failed")));
        }
        return;
    }
    for o in outcomes {
        let fmt = o.format.as_deref().unwrap_or("-");
        let how = match (o.sniffed, o.confidence) {
            (true, Some(c)) => format!("sniffed {c}%"),
            (false, _) if o.format.is_some() => "forced".into(),
            _ => String::new(),
        };
        let rate = if o.seconds > 0.0 && o.bytes > 0 { format!(" {:.0} MB/s", o.bytes as f64 / o.seconds / 1e6) } else { String::new() };
        println!(
            "{:<16} {}  [{fmt} {how}; {}]  rows {}  rejected {}{}",
            o.status,
            term(&o.path),
            o.compression,
            o.rows,
            o.rejected,
            rate
        );
        if !o.reject_counts.is_empty() {
            let r: Vec<String> = o.reject_counts.iter().map(|(k, v)| format!("{k}={v}")).collect();
            println!("{:<16}   rejects: {}", "", r.join(", "));
        }
        if let Some(m) = &o.message {
            println!("{:<16}   {}", "", term(m));
        }
        if let Some(g) = &o.capture_group {
            println!(
                "{:<16}   capture group: {} file(s), {} packets, {} flows, {} web rows derived, {} mail flow(s){}",
                "",
                g.files,
                g.packets,
                g.flows,
                g.web_rows,
                g.mail_flows,
                if g.mail_flows > 0 && !g.include_mail { " (excluded from analysis; see kensa info)" } else { "" }
            );
        }
    }
    let rows: u64 = outcomes.iter().map(|o| o.rows).sum();
    let rej: u64 = outcomes.iter().map(|o| o.rejected).sum();
    let failed = outcomes.iter().filter(|o| o.status == "failed").count();
    let skipped = outcomes.iter().filter(|o| o.status == "already_ingested" || o.status == "duplicate").count();
    println!(
        "\n{} input(s): {rows} rows ingested, {rej} lines rejected, {skipped} already in the case, {failed} failed",
        outcomes.len()
    );
}

pub fn print_info(case: &Case, json: bool) -> kensa_store::Result<()> {
    let inputs = case.inputs()?;
    let mail = case.capture_mail()?;
    if json {
        let v = serde_json::json!({ "case": case.dir(), "inputs": inputs, "mail_excluded": mail });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(());
    }
    let done: Vec<_> = inputs.iter().filter(|i| i.status == "done").collect();
    let rows: i64 = done.iter().map(|i| i.rows).sum();
    let rejected: i64 = inputs.iter().map(|i| i.rejected).sum();
    let first = done.iter().filter_map(|i| i.first_ts).min();
    let last = done.iter().filter_map(|i| i.last_ts).max();
    let mut formats: BTreeMap<&str, (usize, i64)> = BTreeMap::new();
    for i in &done {
        let e = formats.entry(i.format.as_deref().unwrap_or("-")).or_default();
        e.0 += 1;
        e.1 += i.rows;
    }
    println!("case {}", term(&case.dir().display().to_string()));
    println!("  rows           {rows}");
    println!("  time span      {} .. {}", ts(first), ts(last));
    println!("  inputs         {} ingested, {} in manifest", done.len(), inputs.len());
    for (f, (n, r)) in &formats {
        println!("  format         {f}: {n} file(s), {r} rows");
    }
    println!("  rejected lines {rejected}");
    let mut by_reason: BTreeMap<&str, i64> = BTreeMap::new();
    for i in &inputs {
        for (k, v) in &i.reject_counts {
            *by_reason.entry(k).or_default() += v;
        }
    }
    for (k, v) in &by_reason {
        println!("    {k:<20} {v}");
    }
    if !mail.is_empty() {
        let flows: u64 = mail.iter().map(|m| m.flows).sum();
        println!("  mail flows     {flows} (SMTP/submission/SMTPS/POP3(S)/IMAP(S) in captures; kept out of web_requests and analysis unless ingested with --include-mail)");
        for m in mail.iter().take(20) {
            println!(
                "    {:<10} {} -> {}:{}  flows {}  bytes {}",
                m.mail_proto,
                term(&m.client_ip),
                term(&m.server_ip),
                m.server_port,
                m.flows,
                m.bytes
            );
        }
        if mail.len() > 20 {
            println!("    … {} more (kensa sql: SELECT * FROM flows WHERE mail)", mail.len() - 20);
        }
    }
    println!("\ninputs:");
    for i in &inputs {
        println!(
            "  #{:<4} {:<11} {:<26} rows {:<10} rejected {:<8} {}",
            i.id,
            i.status,
            i.format.as_deref().unwrap_or("-"),
            i.rows,
            i.rejected,
            term(&i.path)
        );
        if let Some(e) = &i.error {
            println!("         {}", term(e));
        }
        let unit = if matches!(i.format.as_deref(), Some("pcap" | "pcapng")) { "packet" } else { "line" };
        for s in i.reject_samples.iter().take(5) {
            println!("         {unit} {}: {} ({}): {}", s.line, s.reason, term(&s.detail), term(&s.text));
        }
    }
    Ok(())
}

/// Prints a flow's payload: `raw` bytes as they are, a `hex` dump, or
/// `text` with control and bidi characters escaped; headers name the
/// direction of each segment.
pub fn print_stream(d: &kensa_ingest::flowdata::StreamData, mode: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if mode == "raw" {
        for s in &d.segments {
            out.write_all(&s.data)?;
        }
        return out.flush();
    }
    writeln!(
        out,
        "flow {} {} {} -> {}: {} bytes in {} segment(s){}",
        term(&d.flow_id),
        d.transport,
        term(&d.client),
        term(&d.server),
        d.bytes,
        d.segments.len(),
        if d.capped { " (cut at --max-bytes)" } else { "" }
    )?;
    if d.packets_not_indexed > 0 || d.packets_missing > 0 {
        writeln!(out, "  note: {} packet(s) past the index budget, {} not found again in the captures", d.packets_not_indexed, d.packets_missing)?;
    }
    for s in &d.segments {
        let arrow = if s.from_client { ">>" } else { "<<" };
        if s.gap_before > 0 {
            writeln!(out, "{arrow} [gap: {} byte(s) not captured]", s.gap_before)?;
        }
        writeln!(out, "{arrow} {} bytes", s.data.len())?;
        if mode == "hex" {
            for (i, chunk) in s.data.chunks(16).enumerate() {
                let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
                let asc: String = chunk.iter().map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '.' }).collect();
                writeln!(out, "{:08x}  {:<48} {}", i * 16, hex.join(" "), asc)?;
            }
        } else {
            let text = String::from_utf8_lossy(&s.data);
            for line in text.split_inclusive('\n') {
                writeln!(out, "{}", term(line.strip_suffix('\n').unwrap_or(line).trim_end_matches('\r')))?;
            }
        }
    }
    out.flush()
}
