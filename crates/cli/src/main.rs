//! `kensa`: the command-line front of the pipeline. Thin on purpose: every
//! command parses its flags, calls one library crate, and prints.
//!
//! Exit codes: 0 success; 1 some input could not be read at all (the others
//! were ingested) or a query failed; 2 usage error (bad flags, nothing to
//! read); 3 the case could not be opened or written.

mod analyze;
mod enrichment;
mod output;
mod packet_tables;
mod progress;
mod report;
mod triage;
mod serve;

/// jemalloc instead of glibc's malloc. Capture ingest allocates records on
/// the engine thread and frees them on the Parquet thread; with glibc about
/// a fifth of the engine thread's samples were `malloc`/`free`/consolidation
/// on that pattern (plus page faults), which jemalloc's per-thread caches
/// avoid (BENCHMARKS.md, "Full pcap ingest, session 8"). The same allocator
/// serves proxy-log ingest and DataFusion.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's start-up options (its weak `malloc_conf` symbol, prefixed as
/// the bundled build names it). Freed pages go back to the system after 1 s
/// instead of the default 10 s: a capture ingest frees row groups and engine
/// records at a high rate, and with the default its resident set grew with
/// the capture (583 MB for an 8 GiB capture; 443 MB with this, 414 MB at
/// 200 ms, 330 MB with glibc). At 200 ms the page faults cost a Squid ingest
/// 6 %; at 1 s nothing measurable. `_RJEM_MALLOC_CONF` still overrides it.
#[unsafe(export_name = "_rjem_malloc_conf")]
static JEMALLOC_CONF: &u8 = &b"dirty_decay_ms:1000,muzzy_decay_ms:0\0"[0];

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use kensa_formats::ParseOptions;
use kensa_ingest::source::expand_inputs;
use kensa_ingest::{IngestOptions, InputOutcome, NoProgress, ProgressSink};
use kensa_model::SourceFormat;
use kensa_store::Case;
use kensa_store::query::{CaseQuery, OutputFormat, render};

#[derive(Parser)]
#[command(name = "kensa", version, about = "検査 kensa: are we infected, and is data leaving? Finds C2 traffic, exfiltration and risky cloud use in a week of proxy logs.", long_about = None)]
struct Cli {
    /// No progress bars or chatter.
    #[arg(long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Read logs into a case (created if missing).
    Ingest {
        /// The case directory.
        #[arg(long)]
        case: PathBuf,
        #[command(flatten)]
        input: InputArgs,
        /// Print a machine-readable summary.
        #[arg(long)]
        json: bool,
    },
    /// The one-shot main job: ingest into OUT/case, then every later stage.
    Run {
        /// Output directory (the case goes to OUT/case).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        input: InputArgs,
        /// Threat-intel feeds to import into OUT/intel and match against (instead of the user store).
        #[arg(long = "intel")]
        intel_feeds: Vec<PathBuf>,
        /// Allowlist file (TOML `[[allow]]` rules); recorded in the case.
        #[arg(long)]
        allowlist: Option<PathBuf>,
        /// Print a machine-readable summary.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        report: report::RunReportArgs,
    },
    /// Write the report (HTML, PDF, JSON, CSV or STIX) from a case.
    Report(report::ReportArgs),
    /// Read-only SQL over the case tables (DataFusion dialect).
    Sql {
        /// The case directory.
        #[arg(long)]
        case: PathBuf,
        /// The query, e.g. "SELECT host, count(*) FROM web_requests GROUP BY host".
        query: String,
        /// Output shape.
        #[arg(long, value_enum, default_value_t = SqlOut::Table)]
        output: SqlOut,
    },
    /// What the case holds: inputs, formats, time span, rows, rejects.
    Info {
        /// The case directory.
        #[arg(long)]
        case: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run every detector over the case and store the findings (verdicts are kept).
    Analyze {
        /// The case directory.
        #[arg(long)]
        case: PathBuf,
        /// Allowlist file (TOML `[[allow]]` rules); recorded in the case and applied from now on.
        #[arg(long)]
        allowlist: Option<PathBuf>,
        /// Print a machine-readable summary.
        #[arg(long)]
        json: bool,
        /// Re-match threat-intel hits against this store (default: the store used at ingest, then
        /// $KENSA_INTEL_DIR, then $XDG_DATA_HOME/kensa/intel; with none, the hits recorded at ingest).
        #[arg(long)]
        intel_dir: Option<PathBuf>,
        /// Ignore threat intelligence (also the hits recorded at ingest).
        #[arg(long)]
        no_intel: bool,
    },
    /// Export the case's findings (JSON `{"findings": […]}`, CSV, or a table).
    Findings {
        /// The case directory.
        #[arg(long)]
        case: PathBuf,
        /// JSON output.
        #[arg(long)]
        json: bool,
        /// CSV output (formula cells neutralised).
        #[arg(long, conflicts_with = "json")]
        csv: bool,
        /// Only findings at or above this severity.
        #[arg(long, value_parser = ["info", "low", "medium", "high", "critical"], default_value = "info")]
        min_severity: String,
    },
    /// Record an analyst's verdict on a finding (by id or key); kept across re-analysis.
    Verdict {
        /// The case directory.
        #[arg(long)]
        case: PathBuf,
        /// Finding id or key.
        finding: String,
        /// The verdict.
        /// (`suppressed` is set by allowlist rules: `kensa allow add`.)
        #[arg(value_parser = ["open", "confirmed", "false_positive", "benign", "needs_review"])]
        status: String,
        /// A note.
        #[arg(long)]
        note: Option<String>,
    },
    /// Per-host roll-up of the findings: likely compromised, leak risk, policy, nothing found.
    Hosts {
        /// The case directory.
        #[arg(long)]
        case: PathBuf,
        /// Also list every client without findings ("nothing found").
        #[arg(long)]
        all: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Allowlist rules kept in the case; they suppress findings retroactively (never delete them).
    Allow {
        /// The case directory.
        #[arg(long, global = true)]
        case: Option<PathBuf>,
        #[command(subcommand)]
        cmd: AllowCmd,
    },
    /// Print a flow's payload, re-read from the capture files (escaped for the terminal unless --raw).
    Stream {
        /// The case directory.
        #[arg(long)]
        case: PathBuf,
        /// The flow id (`flow_id` of the flows table).
        flow_id: String,
        /// Which direction(s).
        #[arg(long, value_enum, default_value_t = StreamDir::Both)]
        direction: StreamDir,
        /// Write the bytes as they are (no escaping, no headers).
        #[arg(long, conflicts_with_all = ["hex", "text"])]
        raw: bool,
        /// Hex dump.
        #[arg(long, conflicts_with = "text")]
        hex: bool,
        /// Text, control and bidi characters escaped (the default).
        #[arg(long)]
        text: bool,
        /// Stop after this many payload bytes (0 = no limit).
        #[arg(long, default_value_t = 1 << 20)]
        max_bytes: usize,
    },
    /// Write a flow's packets, re-read from the capture files, to a new pcap.
    PcapExtract {
        /// The case directory.
        #[arg(long)]
        case: PathBuf,
        /// The flow id (`flow_id` of the flows table).
        flow_id: String,
        /// Output pcap file.
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
    },
    /// The analyst workbench: a local web UI over the case (triage, hosts, hunting).
    Serve(serve::ServeArgs),
    /// List the formats kensa reads.
    Formats,
    /// Write a synthetic week of proxy logs (every format) with planted threats and ground truth.
    Synth(SynthArgs),
    /// Manage the threat-intelligence store (URLhaus, Feodo, ThreatFox, SSLBL, MISP, STIX, lists…).
    Intel {
        /// The intel store (default: $XDG_DATA_HOME/kensa/intel).
        #[arg(long, env = "KENSA_INTEL_DIR", global = true)]
        intel_dir: Option<PathBuf>,
        #[command(subcommand)]
        cmd: IntelCmd,
    },
}

#[derive(Args)]
struct RuleArgs {
    /// Rule kind: domain, dst_cidr (cidr), src_cidr, user_agent, service, host_dst.
    #[arg(long)]
    kind: String,
    /// Pattern: a domain (with subdomains), CIDR, user agent (`*` wildcard), service, or the source of a host_dst rule.
    value: String,
    /// Destination of a host_dst rule (domain, IP or CIDR).
    #[arg(long)]
    dst: Option<String>,
    /// Limit the rule to one detector.
    #[arg(long)]
    detector: Option<String>,
}

#[derive(Subcommand)]
enum AllowCmd {
    /// Add a rule (shows what it covers) and re-apply the allowlist.
    Add {
        #[command(flatten)]
        rule: RuleArgs,
        /// Why the rule exists.
        #[arg(long)]
        note: Option<String>,
    },
    /// The findings a rule would cover, without storing it.
    Preview {
        #[command(flatten)]
        rule: RuleArgs,
    },
    /// List the rules in force (the recorded allowlist file's and the case's).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a case rule by id and re-apply the allowlist.
    Remove {
        /// Rule id (see `kensa allow list`).
        id: i64,
    },
}

#[derive(Subcommand)]
enum IntelCmd {
    /// Import feed files (format sniffed; re-importing a source replaces it).
    Import {
        /// Feed files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Source name (default: the file name). Only with one file.
        #[arg(long)]
        source: Option<String>,
        /// Force the feed format.
        #[arg(long)]
        format: Option<String>,
        /// Listed domains match only exactly, not their subdomains.
        #[arg(long)]
        exact_domains: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List imported sources with their versions.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a source.
    Remove {
        /// Source name.
        name: String,
    },
    /// Look a value up (domain, IP, URL, hash).
    Lookup {
        /// The value.
        value: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct SynthArgs {
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
    /// Internal hosts.
    #[arg(long, default_value_t = 50)]
    hosts: usize,
    /// Days.
    #[arg(long, default_value_t = 7)]
    days: u32,
    /// First day (UTC), YYYY-MM-DD.
    #[arg(long)]
    start: Option<String>,
    /// Random seed (same seed, same bytes).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Formats to write (comma-separated; default all).
    #[arg(long, value_delimiter = ',')]
    formats: Vec<String>,
    /// Plant the beacon evaluation grid (periods × jitters).
    #[arg(long)]
    grid: bool,
    /// A benign week: no planted threats.
    #[arg(long)]
    no_threats: bool,
    /// Requests per host per working hour.
    #[arg(long)]
    scale: Option<f64>,
    /// gzip the logs.
    #[arg(long)]
    gz: bool,
    /// Benchmark mode: write this many MB of one format (the first of --formats) to OUT/bulk.log.
    #[arg(long)]
    bulk_mb: Option<u64>,
}

#[derive(Args, Clone)]
struct InputArgs {
    /// Files, directories (recursive), globs, or `-` for stdin.
    #[arg(required = true)]
    inputs: Vec<String>,
    /// Force the format instead of sniffing it (see `kensa formats`).
    #[arg(long, value_parser = parse_format)]
    format: Option<SourceFormat>,
    /// A squid.conf `logformat` line for Squid custom logs (implies --format squid-custom).
    #[arg(long)]
    squid_logformat: Option<String>,
    /// A TOML column mapping for customised i-FILTER logs (implies --format ifilter-custom).
    #[arg(long)]
    ifilter_mapping: Option<PathBuf>,
    /// Time zone of logs that carry local time without an offset (IANA name; i-FILTER default Asia/Tokyo).
    #[arg(long)]
    tz: Option<String>,
    /// Year for logs whose time stamps omit it, when it cannot be inferred.
    #[arg(long)]
    year: Option<i32>,
    /// Parser threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Packet captures: also derive web rows from (and analyse) mail flows
    /// (SMTP, submission, SMTPS, POP3(S), IMAP(S)); by default they are only counted and listed.
    #[arg(long)]
    include_mail: bool,
    #[command(flatten)]
    enrich: enrichment::EnrichArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum StreamDir {
    C2s,
    S2c,
    Both,
}

#[derive(Clone, Copy, ValueEnum)]
enum SqlOut {
    Table,
    Csv,
    Json,
}

fn parse_format(s: &str) -> std::result::Result<SourceFormat, String> {
    SourceFormat::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = SourceFormat::ALL.iter().map(|f| f.as_str()).collect();
        format!("unknown format {s:?}; one of: {}", names.join(", "))
    })
}

/// An error with an exit code.
struct Exit(u8, anyhow::Error);

fn usage(e: impl Into<anyhow::Error>) -> Exit {
    Exit(2, e.into())
}
fn fatal(e: impl Into<anyhow::Error>) -> Exit {
    Exit(3, e.into())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(Exit(code, e)) => {
            eprintln!("kensa: error: {}", output::term(&error_chain(&e)));
            ExitCode::from(code)
        }
    }
}

/// An error and its causes, `: `-joined, leaving out a cause whose text
/// the message already holds (DataFusion and Arrow errors repeat their
/// source in their own text, which `{:#}` would print again per level).
fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let msg = cause.to_string();
        if out.contains(msg.as_str()) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&msg);
    }
    out
}

fn dispatch(cli: Cli) -> std::result::Result<u8, Exit> {
    let quiet = cli.quiet;
    match cli.cmd {
        Cmd::Ingest { case, input, json } => {
            let (outcomes, code) = do_ingest(&case, &input, quiet, "ingest")?;
            output::print_ingest(&outcomes, json, quiet);
            Ok(code)
        }
        Cmd::Run { out, mut input, intel_feeds, allowlist, json, report } => {
            let case_dir = out.join("case");
            if !intel_feeds.is_empty() {
                let idir = out.join("intel");
                let store = kensa_intel::IntelStore::open(&idir).map_err(fatal)?;
                for f in &intel_feeds {
                    let r = store
                        .import(f, kensa_intel::ImportOptions::default())
                        .with_context(|| format!("--intel {}", f.display()))
                        .map_err(usage)?;
                    if !quiet && !json {
                        println!("intel: {} indicators from {}", r.source.indicators, output::term(&f.display().to_string()));
                    }
                }
                input.enrich.intel_dir = Some(idir);
            }
            let (outcomes, code) = do_ingest(&case_dir, &input, quiet, "run")?;
            let summary = serde_json::json!({ "case": case_dir, "inputs": outcomes });
            let path = out.join("ingest-summary.json");
            std::fs::write(&path, serde_json::to_vec_pretty(&summary).unwrap_or_default())
                .with_context(|| format!("writing {}", path.display()))
                .map_err(fatal)?;
            output::print_ingest(&outcomes, json, quiet);
            let (mut c, _) = Case::open(&case_dir, false).map_err(fatal)?;
            if let Some(a) = &allowlist {
                triage::adopt_allowlist_file(&c, a).map_err(usage)?;
            }
            let choice = analyze::IntelChoice { dir: input.enrich.intel_dir.clone(), off: input.enrich.no_intel };
            let sum = analyze::analyze_with(&mut c, &choice).map_err(fatal)?;
            let findings = analyze::load_findings(&c, "info").map_err(fatal)?;
            let fpath = out.join("findings.json");
            std::fs::write(&fpath, analyze::render_findings(findings.clone(), "json").map_err(fatal)?)
                .with_context(|| format!("writing {}", fpath.display()))
                .map_err(fatal)?;
            if !json && !quiet {
                output::print_info(&c, false).map_err(fatal)?;
                println!();
                print_analyze(&sum);
                // One line per detector and source: a DGA burst is one line, not hundreds.
                let mut seen: std::collections::HashMap<(String, String), usize> = Default::default();
                let mut top = Vec::new();
                for f in findings.into_iter().filter(|f| f.severity >= kensa_detect::Severity::Medium) {
                    let k = (f.detector.clone(), f.src.user.clone().or(f.src.ip.clone()).unwrap_or_default());
                    let n = seen.entry(k).or_insert(0);
                    *n += 1;
                    if *n == 1 && top.len() < 30 {
                        top.push(f);
                    }
                }
                println!("top findings (one per detector and source; medium and above):");
                print!("{}", analyze::render_findings(top, "table").map_err(fatal)?);
                println!("all findings: {}", fpath.display());
                println!("\ncase: {}   hunt with: kensa sql --case {} \"SELECT …\"", case_dir.display(), case_dir.display());
            }
            drop(c); // the report opens the case itself (one lock per case)
            for p in report::run_reports(&case_dir, &out, &report).map_err(fatal)? {
                if !json && !quiet {
                    println!("report: {}", p.display());
                }
            }
            Ok(code)
        }
        Cmd::Report(a) => {
            if let Some(p) = report::run(&a).map_err(fatal)? {
                if !quiet {
                    eprintln!("report: {}", p.display());
                }
            }
            Ok(0)
        }
        Cmd::Sql { case, query, output: fmt } => {
            let (c, _) = Case::open(&case, false).map_err(fatal)?;
            let q = CaseQuery::new(&c).map_err(fatal)?;
            let batches = q.sql(&query).map_err(|e| Exit(1, e.into()))?;
            let fmt = match fmt {
                SqlOut::Table => OutputFormat::Table,
                SqlOut::Csv => OutputFormat::Csv,
                SqlOut::Json => OutputFormat::Json,
            };
            print!("{}", render(&batches, fmt).map_err(|e| Exit(1, e.into()))?);
            if fmt == OutputFormat::Table {
                let n: usize = batches.iter().map(|b| b.num_rows()).sum();
                println!("\n{n} row(s)");
            }
            Ok(0)
        }
        Cmd::Analyze { case, allowlist, json, intel_dir, no_intel } => {
            let (mut c, _) = Case::open(&case, false).map_err(fatal)?;
            if let Some(a) = &allowlist {
                triage::adopt_allowlist_file(&c, a).map_err(usage)?;
            }
            let choice = analyze::IntelChoice { dir: intel_dir, off: no_intel };
            let sum = analyze::analyze_with(&mut c, &choice).map_err(fatal)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&sum).unwrap_or_default());
            } else if !quiet {
                print_analyze(&sum);
            }
            Ok(0)
        }
        Cmd::Findings { case, json, csv, min_severity } => {
            let (c, _) = Case::open(&case, false).map_err(fatal)?;
            let f = analyze::load_findings(&c, &min_severity).map_err(fatal)?;
            let fmt = if json { "json" } else if csv { "csv" } else { "table" };
            print!("{}", analyze::render_findings(f, fmt).map_err(fatal)?);
            if fmt == "json" {
                println!();
            }
            Ok(0)
        }
        Cmd::Verdict { case, finding, status, note } => {
            let (mut c, _) = Case::open(&case, false).map_err(fatal)?;
            let all = analyze::load_findings(&c, "info").map_err(fatal)?;
            let f = all
                .iter()
                .find(|f| f.id == finding || f.key == finding)
                .ok_or_else(|| Exit(1, anyhow::anyhow!("no finding with id or key {:?}", finding)))?;
            let st = kensa_triage::parse_status(&status).ok_or_else(|| usage(anyhow::anyhow!("unknown verdict {status:?}")))?;
            let key = f.key.clone();
            kensa_triage::set_verdict(&mut c, &key, st, note.as_deref(), std::env::var("USER").ok().as_deref()).map_err(fatal)?;
            println!("{} {} -> {}", f.id, output::term(&f.key), status);
            Ok(0)
        }
        Cmd::Info { case, json } => {
            let (c, _) = Case::open(&case, false).map_err(fatal)?;
            output::print_info(&c, json).map_err(fatal)?;
            Ok(0)
        }
        Cmd::Hosts { case, all, json } => {
            let (c, _) = Case::open(&case, false).map_err(fatal)?;
            let hs = triage::host_rollup(&c, all).map_err(fatal)?;
            let findings = analyze::load_findings(&c, "info").map_err(fatal)?;
            triage::print_hosts(&hs, json, &findings).map_err(fatal)?;
            Ok(0)
        }
        Cmd::Allow { case, cmd } => allow_cmd(case, cmd),
        Cmd::Stream { case, flow_id, direction, raw, hex, text: _, max_bytes } => {
            let (c, _) = Case::open(&case, false).map_err(fatal)?;
            let dir = match direction {
                StreamDir::C2s => kensa_ingest::flowdata::Direction::C2s,
                StreamDir::S2c => kensa_ingest::flowdata::Direction::S2c,
                StreamDir::Both => kensa_ingest::flowdata::Direction::Both,
            };
            let data = kensa_ingest::flowdata::flow_stream(&c, &flow_id, dir, max_bytes).map_err(|e| Exit(1, e.into()))?;
            output::print_stream(&data, if raw { "raw" } else if hex { "hex" } else { "text" }).map_err(fatal)?;
            Ok(0)
        }
        Cmd::PcapExtract { case, flow_id, out } => {
            let (c, _) = Case::open(&case, false).map_err(fatal)?;
            let f = std::fs::File::create(&out).with_context(|| format!("creating {}", out.display())).map_err(fatal)?;
            let sum = kensa_ingest::flowdata::flow_pcap(&c, &flow_id, std::io::BufWriter::new(f)).map_err(|e| Exit(1, e.into()))?;
            if !quiet {
                println!(
                    "{}: {} packet(s) written{}{}{}",
                    out.display(),
                    sum.written,
                    if sum.missing > 0 { format!(", {} not found in the captures", sum.missing) } else { String::new() },
                    if sum.not_indexed > 0 { format!(", {} past the per-flow index budget", sum.not_indexed) } else { String::new() },
                    if sum.skipped_link_type > 0 { format!(", {} of another link type skipped", sum.skipped_link_type) } else { String::new() },
                );
            }
            Ok(if sum.written == 0 { 1 } else { 0 })
        }
        Cmd::Serve(a) => serve::serve(a).map_err(|(code, e)| Exit(code, e)),
        Cmd::Synth(a) => synth(a, quiet),
        Cmd::Intel { intel_dir, cmd } => intel(intel_dir, cmd),
        Cmd::Formats => {
            for f in SourceFormat::ALL {
                if *f == SourceFormat::Pcap {
                    println!("pcap (pcap and pcapng captures, plain, .gz or .zst; recognised by content, read from files)");
                } else {
                    println!("{}", f.as_str());
                }
            }
            Ok(0)
        }
    }
}

fn do_ingest(case_dir: &Path, a: &InputArgs, quiet: bool, command: &str) -> std::result::Result<(Vec<InputOutcome>, u8), Exit> {
    let mut parse = ParseOptions::default();
    let mut format = a.format;
    if let Some(tz) = &a.tz {
        parse.tz = Some(tz.parse().map_err(|_| usage(anyhow::anyhow!("--tz {tz:?} is not an IANA time zone name")))?);
    }
    parse.year = a.year;
    if let Some(lf) = &a.squid_logformat {
        parse.squid_logformat = Some(lf.clone());
        format.get_or_insert(SourceFormat::SquidCustom);
    }
    if let Some(p) = &a.ifilter_mapping {
        let text = std::fs::read_to_string(p).with_context(|| format!("reading --ifilter-mapping {}", p.display())).map_err(usage)?;
        parse.ifilter_mapping = Some(text);
        format.get_or_insert(SourceFormat::IfilterCustom);
    }
    // Build one parser now so a bad --squid-logformat or mapping is a usage error.
    if let Some(f) = format {
        kensa_formats::parser_for(f, &parse).map_err(usage)?;
    }
    let (specs, bad) = expand_inputs(&a.inputs);
    for b in &bad {
        eprintln!("kensa: {}: {}", output::term(&b.arg), b.reason);
    }
    if specs.is_empty() {
        return Err(usage(anyhow::anyhow!("no input to read")));
    }
    let (mut case, rec) = Case::open(case_dir, true).map_err(fatal)?;
    if !quiet && (rec.rolled_forward > 0 || rec.interrupted > 0) {
        eprintln!(
            "kensa: repaired an interrupted ingest: {} input(s) completed, {} interrupted input(s) will be read again",
            rec.rolled_forward, rec.interrupted
        );
    }
    let run_id = case.begin_run(&format!("{command} {}", a.inputs.join(" "))).map_err(fatal)?;
    let enricher = enrichment::CatalogEnrich::from_args(&a.enrich).map_err(usage)?;
    let versions: Vec<serde_json::Value> = enricher
        .intel_sources
        .iter()
        .map(|s| serde_json::json!({ "name": s.name, "version": s.version, "format": s.format.as_str(), "indicators": s.indicators }))
        .collect();
    case.set_meta("intel_sources", &serde_json::to_string(&versions).unwrap_or_default()).map_err(fatal)?;
    if let Some(d) = &enricher.intel_dir {
        let d = d.canonicalize().unwrap_or_else(|_| d.clone());
        case.set_meta("intel_dir", &d.display().to_string()).map_err(fatal)?;
    }
    // The organisation's policy (and user catalog) become part of the case, so
    // later stages and reports see exactly what was applied.
    for (flag, key, file) in [(&a.enrich.policy, "policy", "policy.toml"), (&a.enrich.catalog, "user_catalog", "catalog.toml")] {
        if let Some(p) = flag {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display())).map_err(usage)?;
            let dst = case.dir().join(file);
            std::fs::write(&dst, &text).with_context(|| format!("writing {}", dst.display())).map_err(fatal)?;
            case.set_meta(key, &p.display().to_string()).map_err(fatal)?;
        }
    }
    if a.include_mail {
        case.set_meta("include_mail", "true").map_err(fatal)?;
    }
    let opts = IngestOptions { format, parse, threads: a.threads, enricher: Some(std::sync::Arc::new(enricher)), include_mail: a.include_mail };
    let bars = progress::Bars::new(&specs, quiet);
    let sink: &dyn ProgressSink = match &bars {
        Some(b) => b,
        None => &NoProgress,
    };
    let outcomes = kensa_ingest::ingest(&mut case, run_id, &specs, &opts, sink).map_err(fatal)?;
    drop(bars);
    let failed = outcomes.iter().filter(|o| o.status == "failed").count() + bad.len();
    case.finish_run(run_id, if failed > 0 { "partial" } else { "ok" }).map_err(fatal)?;
    Ok((outcomes, if failed > 0 { 1 } else { 0 }))
}

fn allow_cmd(case: Option<PathBuf>, cmd: AllowCmd) -> std::result::Result<u8, Exit> {
    use output::term;
    let case = case.ok_or_else(|| usage(anyhow::anyhow!("--case DIR is required")))?;
    let (mut c, _) = Case::open(&case, false).map_err(fatal)?;
    match cmd {
        AllowCmd::Add { rule, note } => {
            let user = std::env::var("USER").ok();
            let new = kensa_store::case::NewAllowRule {
                kind: &rule.kind,
                value: &rule.value,
                dst: rule.dst.as_deref(),
                detector: rule.detector.as_deref(),
                note: note.as_deref(),
                created_by: user.as_deref(),
            };
            let (id, covered, now) = triage::add_rule(&mut c, &new).map_err(usage)?;
            println!("rule #{id} added: covers {covered} finding(s); {now} finding(s) suppressed in all");
            Ok(0)
        }
        AllowCmd::Preview { rule } => {
            let fs = triage::preview_rule(&c, &rule.kind, &rule.value, rule.dst.as_deref(), rule.detector.as_deref())
                .map_err(usage)?;
            for f in &fs {
                println!("{} {:>3.0} {:<16} {}", f.id, f.score, f.detector, term(&f.title));
            }
            println!("{} finding(s) would be suppressed", fs.len());
            Ok(0)
        }
        AllowCmd::List { json } => {
            let rules = triage::case_rules(&c).map_err(fatal)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "rules": rules })).unwrap_or_default());
            } else {
                for r in &rules {
                    let note = r.note.as_deref().map(|n| format!("  # {}", term(n))).unwrap_or_default();
                    println!("{:<40} from {}{}", term(&r.describe()), term(&r.origin), note);
                }
                println!("{} rule(s)", rules.len());
            }
            Ok(0)
        }
        AllowCmd::Remove { id } => {
            if !c.remove_allow_rule(id).map_err(fatal)? {
                return Err(Exit(1, anyhow::anyhow!("no case rule #{id} (rules from an allowlist file are changed in the file)")));
            }
            let now = triage::reapply(&mut c).map_err(fatal)?;
            println!("rule #{id} removed; {now} finding(s) suppressed in all");
            Ok(0)
        }
    }
}

fn print_analyze(sum: &analyze::AnalyzeSummary) {
    let sev: Vec<String> = sum.by_severity.iter().rev().map(|(k, v)| format!("{k} {v}")).collect();
    println!(
        "analysis: {} rows, {} finding(s) [{}] in {:.1} s",
        sum.rows,
        sum.findings,
        sev.join(", "),
        sum.seconds
    );
    if sum.suppressed > 0 {
        println!("allowlist: {} rule(s) suppressed {} finding(s) (kept with status `suppressed`)", sum.allow_rules, sum.suppressed);
    }
    println!("threat intel: {}; {} row(s) matched", output::term(&sum.intel), sum.intel_rows);
    for n in &sum.notes {
        println!("note: {n}");
    }
}

fn intel(dir: Option<PathBuf>, cmd: IntelCmd) -> std::result::Result<u8, Exit> {
    let dir = match dir.or_else(kensa_intel::IntelStore::default_dir) {
        Some(d) => d,
        None => return Err(usage(anyhow::anyhow!("no intel directory: set --intel-dir or $XDG_DATA_HOME/$HOME"))),
    };
    let store = kensa_intel::IntelStore::open(&dir).with_context(|| format!("intel store {}", dir.display())).map_err(fatal)?;
    match cmd {
        IntelCmd::Import { files, source, format, exact_domains, json } => {
            if source.is_some() && files.len() > 1 {
                return Err(usage(anyhow::anyhow!("--source names one feed; give one file")));
            }
            let format = match format {
                Some(f) => Some(f.parse::<kensa_intel::FeedFormat>().map_err(|e| usage(anyhow::anyhow!("--format {f:?}: {e}")))?),
                None => None,
            };
            let mut failed = 0;
            let mut reports = Vec::new();
            for f in &files {
                let opts = kensa_intel::ImportOptions { source: source.clone(), format, subdomains: !exact_domains };
                match store.import(f, opts) {
                    Ok(r) => {
                        if !json {
                            let kinds: Vec<String> = r.source.by_kind.iter().map(|(k, n)| format!("{}={n}", k.as_str())).collect();
                            println!(
                                "{}: source {} ({}{}): {} indicators [{}], {} rejected, {} unsupported, {} skipped",
                                output::term(&f.display().to_string()),
                                output::term(&r.source.name),
                                r.source.format.as_str(),
                                if r.format_detected { ", sniffed" } else { "" },
                                r.source.indicators,
                                kinds.join(", "),
                                r.source.rejected,
                                r.source.unsupported,
                                r.source.skipped
                            );
                        }
                        reports.push(serde_json::to_value(&r).unwrap_or_default());
                    }
                    Err(e) => {
                        failed += 1;
                        eprintln!("kensa: {}: {}", output::term(&f.display().to_string()), output::term(&e.to_string()));
                        reports.push(serde_json::json!({ "file": f, "error": e.to_string() }));
                    }
                }
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "imports": reports })).unwrap_or_default());
            }
            Ok(if failed > 0 { 1 } else { 0 })
        }
        IntelCmd::List { json } => {
            let s = store.sources().map_err(fatal)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
            } else {
                for x in &s {
                    println!(
                        "{:<28} {:<16} {:>9} indicators  version {}",
                        output::term(&x.name),
                        x.format.as_str(),
                        x.indicators,
                        x.version
                    );
                }
                println!("{} source(s) in {}", s.len(), dir.display());
            }
            Ok(0)
        }
        IntelCmd::Remove { name } => {
            store.remove(&name).map_err(|e| Exit(1, e.into()))?;
            println!("removed {}", output::term(&name));
            Ok(0)
        }
        IntelCmd::Lookup { value, json } => {
            let hits = store.lookup(&value).map_err(fatal)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&hits).unwrap_or_default());
            } else {
                for h in &hits {
                    let i = &h.indicator;
                    println!(
                        "{} {} {} ({:?}) malware={} threat={} ref={}",
                        output::term(&i.source),
                        i.kind.as_str(),
                        output::term(&i.value),
                        h.how,
                        output::term(i.malware.as_deref().unwrap_or("-")),
                        output::term(i.threat_type.as_deref().unwrap_or("-")),
                        output::term(i.reference.as_deref().unwrap_or("-"))
                    );
                }
                println!("{} hit(s)", hits.len());
            }
            Ok(if hits.is_empty() { 1 } else { 0 })
        }
    }
}

fn synth(a: SynthArgs, quiet: bool) -> std::result::Result<u8, Exit> {
    use kensa_synth::{SynthConfig, SynthFormat};
    let mut formats = Vec::new();
    for f in &a.formats {
        formats.push(SynthFormat::from_name(f).ok_or_else(|| {
            let names: Vec<&str> = SynthFormat::ALL.iter().map(|f| f.as_str()).collect();
            usage(anyhow::anyhow!("unknown synth format {f:?}; one of: {}", names.join(", ")))
        })?);
    }
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display())).map_err(fatal)?;
    if let Some(mb) = a.bulk_mb {
        let fmt = formats.first().copied().unwrap_or(SynthFormat::SquidNative);
        let path = a.out.join("bulk.log");
        let f = std::fs::File::create(&path).with_context(|| format!("creating {}", path.display())).map_err(fatal)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        let st = kensa_synth::write_bulk(fmt, mb * 1_000_000, a.seed, &mut w).map_err(fatal)?;
        std::io::Write::flush(&mut w).map_err(fatal)?;
        if !quiet {
            println!("{}: {st:?}", path.display());
        }
        return Ok(0);
    }
    let mut cfg = SynthConfig { seed: a.seed, hosts: a.hosts, days: a.days, threats: !a.no_threats, beacon_grid: a.grid, compress: a.gz, ..SynthConfig::default() };
    if !formats.is_empty() {
        cfg.formats = formats;
    }
    if let Some(s) = a.scale {
        cfg.scale = s;
    }
    if let Some(d) = &a.start {
        cfg.start = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|e| usage(anyhow::anyhow!("--start {d:?}: {e}")))?;
    }
    let sum = kensa_synth::generate(&cfg, &a.out).map_err(|e| match e {
        kensa_synth::SynthError::Config(_) => usage(e),
        e => fatal(e),
    })?;
    if !quiet {
        for f in &sum.files {
            println!("{:>9} records {:>12} bytes  {}", f.records, f.bytes, f.path.display());
        }
        println!("{} events, {} planted threats ({} threat events)", sum.events, sum.threats, sum.threat_events);
    }
    Ok(0)
}
