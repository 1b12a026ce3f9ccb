//! The `chorus` binary: parse the command line, set up logging, run the server.

use std::net::TcpListener;

use anyhow::Context;
use chorus::config::{BackupArgs, CheckArgs, Cli, Command, ConsoleLinkArgs, ExportArgs, MigrateArgs, SessionsArgs};
use clap::Parser;
use tracing_subscriber::EnvFilter;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    // Logs go to standard error: standard output carries what the command itself says (the
    // address it serves on, an export written to `-`).
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("chorus=info,warn")))
        .with_writer(std::io::stderr)
        // A log line that cannot be written (stderr redirected to a file on a full disk) is
        // lost; by default the subscriber reports that with `eprintln!`, which panics when
        // stderr fails, taking down whichever task logged (the journal writer, say).
        .log_internal_errors(false)
        .init();
    match Cli::parse().command() {
        Command::Serve(args) => {
            let listener = TcpListener::bind(args.bind).with_context(|| format!("cannot listen on {}", args.bind))?;
            let address = listener.local_addr()?;
            let settings = args.settings();
            let shown = if address.ip().is_unspecified() || address.ip().is_loopback() {
                format!("http://localhost:{}", address.port())
            } else {
                format!("http://{address}")
            };
            // Said only once the journal has opened and passed its checks.
            let ready = move |settings: &chorus::config::Settings| {
                println!("Chorus is running at {shown} (data in {})", settings.data_dir.display());
                if let Some(public) = &settings.public_url {
                    println!("Join links use {public}");
                }
            };
            chorus::server::serve(listener, settings, shutdown_signal(), ready).await
        }
        Command::Export(args) => export(args).await,
        Command::Backup(args) => backup(args).await,
        Command::Check(args) => check(args).await,
        Command::Sessions(args) => sessions(args).await,
        Command::ConsoleLink(args) => console_link(args).await,
        Command::Migrate(args) => migrate(args).await,
    }
}

/// `chorus migrate --from FILE --to URL`: the SQLite journal copied into PostgreSQL, checked.
async fn migrate(args: MigrateArgs) -> anyhow::Result<()> {
    let summary = chorus::cluster::migrate::migrate(&args.from, &args.to).await?;
    println!(
        "Copied {} sessions ({} open) and {} events from {} to {}; counts checked.",
        summary.sessions,
        summary.open,
        summary.events,
        args.from.display(),
        summary.target
    );
    println!("Now move {} out of the data directory and start: chorus serve --database-url …", args.from.display());
    Ok(())
}

/// `chorus sessions`: one line per session, oldest first.
async fn sessions(args: SessionsArgs) -> anyhow::Result<()> {
    let lines = chorus::operator::sessions(&args.data_dir, args.database_url.as_deref())
        .await
        .with_context(|| where_data(&args.data_dir, args.database_url.as_deref()))?;
    if lines.is_empty() {
        println!("No sessions in {}", args.data_dir.display());
        return Ok(());
    }
    println!("{:<9}  {:<6}  {:<24}  {:>12}  {:>6}  title", "code", "state", "created", "participants", "opened");
    for line in lines {
        println!(
            "{:<9}  {:<6}  {:<24}  {:>12}  {:>6}  {}",
            chorus::auth::display_join_code(&line.code),
            line.state,
            chorus::export::human_time(line.created_at),
            line.participants,
            line.opened,
            line.title
        );
    }
    Ok(())
}

/// `chorus console-link CODE`: a new console key; prints the new links.
async fn console_link(args: ConsoleLinkArgs) -> anyhow::Result<()> {
    let code =
        chorus::auth::parse_join_code(&args.code).with_context(|| format!("{} is not a join code", args.code))?;
    let keys = chorus::operator::new_console_key(&args.data_dir, args.database_url.as_deref(), &code)
        .await
        .with_context(|| where_data(&args.data_dir, args.database_url.as_deref()))?
        .with_context(|| format!("there is no session {}", args.code))?;
    let (console, projector) = chorus::operator::links(&args.public_url, &code, &keys);
    println!("New console link for \"{}\" (the old one no longer works):", keys.record.title);
    println!("{console}");
    println!("Projector link (the old one no longer works either):");
    println!("{projector}");
    Ok(())
}

/// What a command could not read: the database, or the data directory.
fn where_data(data_dir: &std::path::Path, database_url: Option<&str>) -> String {
    match database_url {
        Some(url) => format!("cannot read the journal at {}", chorus::journal::postgres::redacted(url)),
        None => format!("no Chorus data in {}", data_dir.display()),
    }
}

/// `chorus export`: reads the data directory, writes one export.
async fn export(args: ExportArgs) -> anyhow::Result<()> {
    use chorus::export::{self, Format};
    let format: Format = args.format.parse().map_err(|refusal: chorus::error::Refusal| anyhow::anyhow!(refusal))?;
    let code =
        chorus::auth::parse_join_code(&args.code).with_context(|| format!("{} is not a join code", args.code))?;
    let reader =
        chorus::journal::Reader::open_at(&args.data_dir, args.database_url.as_deref()).await.with_context(|| {
            match &args.database_url {
                Some(url) => format!("cannot read the journal at {}", chorus::journal::postgres::redacted(url)),
                None => format!("no Chorus data in {}", args.data_dir.display()),
            }
        })?;
    let report = if args.series {
        export::series_report(&reader, &code).await?
    } else {
        export::session_report(&reader, &code).await?
    };
    let bytes = export::render(&report, format)?;
    match &args.out {
        Some(path) => {
            std::fs::write(path, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("Wrote {} ({} bytes)", path.display(), bytes.len());
        }
        None => {
            use std::io::Write;
            std::io::stdout().lock().write_all(&bytes)?;
        }
    }
    Ok(())
}

/// `chorus backup --to FILE`: a consistent copy of the journal, checked.
async fn backup(args: BackupArgs) -> anyhow::Result<()> {
    let findings = chorus::journal::backup::backup(&args.data_dir, &args.to).await?;
    println!(
        "Backed up {} sessions and {} events to {} (checked: ok)",
        findings.sessions,
        findings.events,
        args.to.display()
    );
    Ok(())
}

/// `chorus check`: the start-up checks, thoroughly, on the data directory or a backup.
async fn check(args: CheckArgs) -> anyhow::Result<()> {
    let findings = match &args.file {
        Some(file) => chorus::journal::backup::check_file(file).await?,
        None => match chorus::journal::integrity::check(&args.data_dir, true).await? {
            Some(findings) => findings,
            None => anyhow::bail!("there is no Chorus journal in {}", args.data_dir.display()),
        },
    };
    let mark = findings.mark.map(|mark| format!(", high-water mark {mark}")).unwrap_or_default();
    println!(
        "ok: {} sessions, {} events, last event {}{mark}; SQLite's integrity check passed",
        findings.sessions, findings.events, findings.last_seq
    );
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
