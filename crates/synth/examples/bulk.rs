//! Streams a benchmark file: `cargo run --release -p kensa-synth --example bulk -- FORMAT MB OUT`
//! (FORMAT: squid-native, squid-combined, squid-common, proxysg-elff, ifilter-v10-access).
use std::io::Write;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let fmt = kensa_synth::SynthFormat::from_name(
        args.first().map(String::as_str).unwrap_or("squid-native"),
    )
    .ok_or("unknown format")?;
    let mb: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1024);
    let out: Box<dyn Write> = match args.get(2) {
        Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p)?)),
        None => Box::new(std::io::sink()),
    };
    let mut out = out;
    let t = Instant::now();
    let st = kensa_synth::write_bulk(fmt, mb << 20, 7, &mut out)?;
    out.flush()?;
    let s = t.elapsed().as_secs_f64();
    println!(
        "{fmt}: {} lines, {} bytes, {} weeks in {s:.2} s = {:.0} MB/s",
        st.lines,
        st.bytes,
        st.weeks,
        st.bytes as f64 / s / 1e6
    );
    Ok(())
}
