//! Writes a synthetic week: `cargo run -p kensa-synth --example synth_week -- OUT_DIR [HOSTS] [--grid] [--gz]`.
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = args.first().map(String::as_str).unwrap_or("synth-out");
    let mut cfg = kensa_synth::SynthConfig::default();
    if let Some(h) = args.get(1).and_then(|s| s.parse().ok()) {
        cfg.hosts = h;
    }
    cfg.beacon_grid = args.iter().any(|a| a == "--grid");
    cfg.compress = args.iter().any(|a| a == "--gz");
    let t = Instant::now();
    let week = kensa_synth::Week::build(&cfg)?;
    println!("build: {} events in {:.2?}", week.len(), t.elapsed());
    for &f in kensa_synth::SynthFormat::ALL {
        let t = Instant::now();
        let mut sink = std::io::sink();
        week.render(f, &mut sink)?;
        println!("render {f}: {:.2?}", t.elapsed());
    }
    drop(week);
    let t = Instant::now();
    let s = kensa_synth::generate(&cfg, std::path::Path::new(out))?;
    println!(
        "{} events, {} threats ({} events) in {:.2?}",
        s.events,
        s.threats,
        s.threat_events,
        t.elapsed()
    );
    for f in &s.files {
        println!(
            "{:>10} bytes {:>8} records  {}",
            f.bytes,
            f.records,
            f.path.display()
        );
    }
    Ok(())
}
