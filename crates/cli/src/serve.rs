//! `kensa serve`: the analyst workbench (crates/web) over one case.
//!
//! Listens on 127.0.0.1 by default and prints a one-time login link.
//! A non-loopback `--listen` needs `--allow-remote` and a password
//! (`KENSA_WEB_PASSWORD` or `--password-file`).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

/// Flags of `kensa serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// The case directory.
    #[arg(long)]
    pub case: PathBuf,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8750")]
    pub listen: SocketAddr,
    /// Allow a non-loopback --listen address (needs a password).
    #[arg(long)]
    pub allow_remote: bool,
    /// File holding the login password (else env KENSA_WEB_PASSWORD).
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// Name recorded with verdicts and rules (default: $USER).
    #[arg(long)]
    pub analyst: Option<String>,
    /// Report config for reports generated from the UI (as `kensa report --config`).
    #[arg(long)]
    pub report_config: Option<PathBuf>,
    /// Extra font directories for PDF reports.
    #[arg(long = "font-dir")]
    pub font_dirs: Vec<PathBuf>,
}

/// Runs the server until Ctrl-C. Errors: 2 for bad flags, 3 for the case.
pub fn serve(a: ServeArgs) -> std::result::Result<u8, (u8, anyhow::Error)> {
    let password = match &a.password_file {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .with_context(|| format!("--password-file {}", p.display()))
                .map_err(|e| (2, e))?
                .trim_end_matches(['\r', '\n'])
                .to_string(),
        ),
        None => std::env::var("KENSA_WEB_PASSWORD").ok(),
    }
    .filter(|p| !p.is_empty());
    kensa_web::check_listen(&a.listen, a.allow_remote, password.is_some()).map_err(|e| (2, e.into()))?;
    let (case, _) = kensa_store::Case::open(&a.case, false).map_err(|e| (3, e.into()))?;
    let mut cfg = kensa_web::ServeConfig { password, ..Default::default() };
    if let Some(n) = a.analyst {
        cfg.analyst = n;
    }
    let config = match &a.report_config {
        Some(p) => kensa_report::ReportConfig::load(p).map_err(|e| (2, e))?,
        None => kensa_report::ReportConfig::default(),
    };
    cfg.reports = Box::new(kensa_web::adapters::Reports { config, font_dirs: a.font_dirs.clone() });
    let app = kensa_web::App::with(case, cfg).map_err(|e| (3, e.into()))?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| (3, e.into()))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(a.listen).await.with_context(|| format!("listening on {}", a.listen))?;
        let addr = listener.local_addr()?;
        println!("kensa workbench for {}", a.case.display());
        println!("open: {}", app.login_url(addr));
        println!("(the link is the password to this case's data: do not share it; Ctrl-C stops the server)");
        kensa_web::serve(app, listener).await?;
        Result::<()>::Ok(())
    })
    .map_err(|e| (3, e))?;
    Ok(0)
}
