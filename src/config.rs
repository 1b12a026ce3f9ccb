//! The command line. Every flag has a `CHORUS_*` environment twin, so a service manager or a
//! container can configure Chorus without arguments.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::guard::{TrustedProxies, nz};
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
    /// Copy the journal to FILE, consistently, while the server runs (or not).
    Backup(BackupArgs),
    /// Check the journal (or a backup) for damage; exits 1 if it finds any.
    Check(CheckArgs),
    /// List the sessions in the data directory: code, title, state, created, participants.
    Sessions(SessionsArgs),
    /// Give a session a new console link (for a facilitator who lost theirs): the old console
    /// key, and the projector link, stop working at once.
    ConsoleLink(ConsoleLinkArgs),
    /// Copy every session and event of a SQLite journal into an empty PostgreSQL database
    /// (then run `serve --database-url`); checks the counts, and refuses a target that holds
    /// data.
    Migrate(MigrateArgs),
}

#[derive(Debug, Clone, Parser)]
pub struct MigrateArgs {
    /// The SQLite journal to copy, e.g. ./chorus-data/chorus.db (best with the server stopped).
    #[arg(long)]
    pub from: PathBuf,

    /// The PostgreSQL database to copy into (postgres://user:password@host/database); it
    /// must hold no Chorus data.
    #[arg(long)]
    pub to: String,
}

#[derive(Debug, Clone, Parser)]
pub struct SessionsArgs {
    /// The data directory the server uses.
    #[arg(long, env = "CHORUS_DATA_DIR", default_value = "./chorus-data")]
    pub data_dir: PathBuf,

    /// Read the journal in PostgreSQL (as `serve --database-url`) instead of the data directory.
    #[arg(long, env = "CHORUS_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

#[derive(Debug, Clone, Parser)]
pub struct ConsoleLinkArgs {
    /// The session's join code.
    pub code: String,

    /// The data directory the server uses.
    #[arg(long, env = "CHORUS_DATA_DIR", default_value = "./chorus-data")]
    pub data_dir: PathBuf,

    /// The server's address as people reach it, for the link (as `serve --public-url`).
    #[arg(long, env = "CHORUS_PUBLIC_URL", default_value = "http://localhost:8080")]
    pub public_url: String,

    /// Change the keys in PostgreSQL (as `serve --database-url`) instead of the data directory.
    #[arg(long, env = "CHORUS_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

#[derive(Debug, Clone, Parser)]
pub struct BackupArgs {
    /// The file to write; it must not exist yet.
    #[arg(long)]
    pub to: PathBuf,

    /// The data directory the server uses.
    #[arg(long, env = "CHORUS_DATA_DIR", default_value = "./chorus-data")]
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, Parser)]
pub struct CheckArgs {
    /// Check this backup file instead of the data directory.
    #[arg(long)]
    pub file: Option<PathBuf>,

    /// The data directory the server uses.
    #[arg(long, env = "CHORUS_DATA_DIR", default_value = "./chorus-data")]
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, Parser)]
pub struct ExportArgs {
    /// The session's join code.
    pub code: String,

    /// json, csv, xlsx, html, docx or pdf.
    #[arg(long, default_value = "json")]
    pub format: String,

    /// Every session of the session's series, added up.
    #[arg(long)]
    pub series: bool,

    /// Where to write; standard output when left out.
    #[arg(long)]
    pub out: Option<PathBuf>,

    /// Read the journal in PostgreSQL (as `serve --database-url`) instead of the data directory.
    #[arg(long, env = "CHORUS_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

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

    /// Reverse proxies (comma-separated addresses or CIDRs, e.g. 127.0.0.1,10.0.0.0/8)
    /// whose X-Forwarded-For (or Forwarded) header names the client. Set it when Chorus runs
    /// behind nginx or Caddy: otherwise every phone seems to come from the proxy.
    #[arg(long, env = "CHORUS_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: TrustedProxies,

    /// An open session in which nothing happened for this long (no facilitator or
    /// participant change) is closed, its exports written (e.g. 12h, 30m, 3days).
    #[arg(long, env = "CHORUS_CLOSE_IDLE_AFTER", default_value = "12h")]
    pub close_idle_after: humantime::Duration,

    /// New participants one address (an IPv4 address, an IPv6 /64) may bring in at once;
    /// then one more a second. A venue's Wi-Fi puts a whole room behind one address.
    #[arg(long, env = "CHORUS_JOINS_PER_ADDRESS", default_value_t = 1000)]
    pub joins_per_address: u32,

    /// Participants' messages per second one address may send, sustained (20 times as many
    /// in a burst), on top of each participant's own limit.
    #[arg(long, env = "CHORUS_WRITES_PER_ADDRESS", default_value_t = 50)]
    pub writes_per_address: u32,

    /// Sessions one address may start at once; then one more every five minutes.
    #[arg(long, env = "CHORUS_SESSIONS_PER_ADDRESS", default_value_t = 10)]
    pub sessions_per_address: u32,

    /// Keep the journal in PostgreSQL (postgres://user:password@host/database) instead of
    /// the SQLite file in the data directory (which still holds the exports). The data
    /// directory must not hold a SQLite journal then: copy it with `chorus migrate`.
    #[arg(long, env = "CHORUS_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Run as one node of several (nats://host:4222): with --database-url, nodes share the
    /// sessions, each run by the node that owns it; the others forward their phones' and
    /// consoles' requests to it over NATS and relay its views.
    #[arg(long, env = "CHORUS_NATS_URL")]
    pub nats_url: Option<String>,

    /// With --database-url: how long this node's lease on a session lasts unless renewed
    /// (every third of it). A server killed without stopping leaves its sessions to the next
    /// start after this long.
    #[arg(long, env = "CHORUS_LEASE_TTL", default_value = "10s", hide = true)]
    pub lease_ttl: humantime::Duration,
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
    pub trusted_proxies: TrustedProxies,
    /// Open sessions idle this long are closed.
    pub close_idle_after: Duration,
    /// The journal in PostgreSQL rather than in the data directory.
    pub postgres: Option<crate::journal::postgres::Options>,
    /// NATS, for a cluster of nodes (needs `postgres`).
    pub nats_url: Option<String>,
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
            trusted_proxies: TrustedProxies::default(),
            close_idle_after: Duration::from_secs(12 * 60 * 60),
            postgres: None,
            nats_url: None,
        }
    }
}

impl ServeArgs {
    pub fn settings(&self) -> Settings {
        let trim = |url: &str| url.trim().trim_end_matches('/').to_owned();
        let nats_url = self.nats_url.as_deref().map(str::trim).filter(|url| !url.is_empty()).map(str::to_owned);
        Settings {
            data_dir: self.data_dir.clone(),
            public_url: self.public_url.as_deref().map(trim).filter(|url| !url.is_empty()),
            admin_token: self.admin_token.clone().filter(|token| !token.is_empty()),
            allowed_origins: self.allowed_origins.iter().map(|o| trim(o)).filter(|o| !o.is_empty()).collect(),
            limits: {
                let mut limits = Limits {
                    live_sessions: self.max_sessions,
                    participants: self.max_participants,
                    ..Limits::default()
                };
                limits.budgets.joins_burst = nz(self.joins_per_address);
                limits.budgets.writes_per_second = nz(self.writes_per_address);
                limits.budgets.writes_burst = nz(self.writes_per_address.saturating_mul(20));
                limits.budgets.creates_burst = nz(self.sessions_per_address);
                limits
            },
            retention_days: self.retention_days,
            trusted_proxies: self.trusted_proxies.clone(),
            close_idle_after: self.close_idle_after.into(),
            postgres: self.database_url.as_deref().map(str::trim).filter(|url| !url.is_empty()).map(|url| {
                crate::journal::postgres::Options {
                    url: url.to_owned(),
                    lease_ttl: self.lease_ttl.into(),
                    claim_at_start: nats_url.is_none(),
                }
            }),
            nats_url,
        }
    }
}
