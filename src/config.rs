//! The command line. Every flag has a `CHORUS_*` environment twin, so a service manager or a
//! container can configure Chorus without arguments.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::hub::Limits;

#[derive(Debug, Parser)]
#[command(
    name = "chorus",
    version,
    about = "Live workshop polling: I-statement scales, word clouds and jam boards from phones."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app and the API (the default).
    Serve(ServeArgs),
    /// Write a session's (or its series') export from the data directory; works while the
    /// server is stopped.
    Export(ExportArgs),
}

#[derive(Debug, Clone, Parser)]
pub struct ExportArgs {
    /// The session's join code.
    pub code: String,

    /// json, csv, xlsx or html.
    #[arg(long, default_value = "json")]
    pub format: String,

    /// Every session of the session's series, added up.
    #[arg(long)]
    pub series: bool,

    /// Where to write; standard output when left out.
    #[arg(long)]
    pub out: Option<PathBuf>,

    /// The data directory the server uses.
    #[arg(long, env = "CHORUS_DATA_DIR", default_value = "./chorus-data")]
    pub data_dir: PathBuf,
}

impl Cli {
    /// The command to run: `serve` with its defaults when none is given.
    pub fn command(self) -> Command {
        self.command.unwrap_or_else(|| Command::Serve(ServeArgs::parse_from(["serve"])))
    }
}

#[derive(Debug, Clone, Parser)]
pub struct ServeArgs {
    /// Address and port to listen on. Use 127.0.0.1:8080 to accept only this machine.
    #[arg(long, env = "CHORUS_BIND", default_value = "0.0.0.0:8080")]
    pub bind: SocketAddr,

    /// Where the database (and later, exports) live.
    #[arg(long, env = "CHORUS_DATA_DIR", default_value = "./chorus-data")]
    pub data_dir: PathBuf,

    /// The address people use to reach Chorus, printed in join links and QR codes
    /// (e.g. https://chorus.example.org). Defaults to the address each request came in on.
    #[arg(long, env = "CHORUS_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// When set, starting a session needs this token (`Authorization: Bearer …`).
    #[arg(long, env = "CHORUS_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Further origins (comma-separated, e.g. https://chorus.example.org) whose pages may
    /// open WebSockets; the server's own origin is always allowed.
    #[arg(long, env = "CHORUS_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Most sessions open at once.
    #[arg(long, env = "CHORUS_MAX_SESSIONS", default_value_t = 1000)]
    pub max_sessions: usize,

    /// Most participants in one session.
    #[arg(long, env = "CHORUS_MAX_PARTICIPANTS", default_value_t = 20_000)]
    pub max_participants: u32,

    /// Days a closed session (its answers and exports) is kept before it is deleted.
    #[arg(long, env = "CHORUS_RETENTION_DAYS", default_value_t = 90)]
    pub retention_days: u32,
}

/// What the server needs besides its listener.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub public_url: Option<String>,
    pub admin_token: Option<String>,
    pub allowed_origins: Vec<String>,
    pub limits: Limits,
    pub retention_days: u32,
}

impl Settings {
    /// Settings for a data directory, with every other setting at its default.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            public_url: None,
            admin_token: None,
            allowed_origins: Vec::new(),
            limits: Limits::default(),
            retention_days: 90,
        }
    }
}

impl ServeArgs {
    pub fn settings(&self) -> Settings {
        let trim = |url: &str| url.trim().trim_end_matches('/').to_owned();
        Settings {
            data_dir: self.data_dir.clone(),
            public_url: self.public_url.as_deref().map(trim).filter(|url| !url.is_empty()),
            admin_token: self.admin_token.clone().filter(|token| !token.is_empty()),
            allowed_origins: self.allowed_origins.iter().map(|o| trim(o)).filter(|o| !o.is_empty()).collect(),
            limits: Limits {
                live_sessions: self.max_sessions,
                participants: self.max_participants,
                ..Limits::default()
            },
            retention_days: self.retention_days,
        }
    }
}
