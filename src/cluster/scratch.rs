//! A throwaway PostgreSQL cluster on a free loopback port, for the tests and for measuring:
//! Debian's PostgreSQL (`apt-get install postgresql`), its data in a temporary directory.
//!
//! As root (CI), `initdb` and `postgres` refuse to run, so they run as the `postgres` user
//! through `runuser`. [`Scratch::start`] gives a cluster that stops when dropped;
//! [`Scratch::shared`] one cluster for the whole process (a test binary), stopped by a small
//! watcher once the process has gone, so that each test only creates a database
//! ([`Scratch::database`]) instead of paying for `initdb` (about a second here).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use sqlx::{Connection, Executor};

/// A running PostgreSQL cluster; stopped, its files removed, when dropped.
pub struct Scratch {
    /// Its data directory (inside `root`).
    data: PathBuf,
    root: PathBuf,
    port: u16,
    bin: PathBuf,
    /// Whether to run PostgreSQL's programs as the `postgres` user.
    as_postgres: bool,
    /// The shared cluster is stopped by its watcher, not by `Drop`.
    shared: bool,
}

static SHARED: OnceLock<Scratch> = OnceLock::new();
static DATABASES: AtomicU32 = AtomicU32::new(0);

impl Scratch {
    /// Starts a cluster; panics with what went wrong (these are for tests).
    pub fn start() -> Self {
        Self::launch(false)
    }

    /// The process's one cluster, started on first use and stopped after the process ends.
    pub fn shared() -> &'static Self {
        SHARED.get_or_init(|| {
            let cluster = Self::launch(true);
            cluster.watch(std::process::id());
            cluster
        })
    }

    /// The URL of the cluster's `postgres` database (its superuser, no password: it only
    /// listens on 127.0.0.1 and trusts it).
    pub fn admin_url(&self) -> String {
        self.url_of("postgres")
    }

    pub fn url_of(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A fresh, empty database; returns its URL.
    pub async fn database(&self) -> String {
        let name = format!("chorus_{}_{}", std::process::id(), DATABASES.fetch_add(1, Ordering::Relaxed));
        let mut admin = sqlx::PgConnection::connect(&self.admin_url()).await.expect("connect to the scratch cluster");
        admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.expect("create a database");
        let _ = admin.close().await;
        self.url_of(&name)
    }

    /// Stops the server at once (as a crash would), keeping its files.
    pub fn kill(&self) {
        self.pg_ctl(&["stop", "-m", "immediate", "-w"]);
    }

    /// Stops the server as an operator would (`pg_ctl stop -m fast`: connections are ended,
    /// no new ones taken), keeping its files.
    pub fn stop(&self) {
        self.pg_ctl(&["stop", "-m", "fast", "-w"]);
    }

    /// Starts the server again after [`Scratch::kill`] or [`Scratch::stop`], on the same port.
    pub fn restart(&self) {
        self.pg_ctl(&["start", "-w", "-l", &self.root.join("log").to_string_lossy(), "-o", &self.server_options()]);
        self.wait_ready();
    }

    fn launch(shared: bool) -> Self {
        let bin = bin_dir();
        let as_postgres = is_root();
        let port = free_port();
        let root = std::env::temp_dir().join(format!("chorus-pg-{}-{port}", std::process::id()));
        let data = root.join("data");
        std::fs::create_dir_all(&root).expect("make the cluster's directory");
        if as_postgres {
            let status = Command::new("chown").arg("postgres:postgres").arg(&root).status().expect("run chown");
            assert!(status.success(), "chown postgres {}", root.display());
        }
        let cluster = Self { data, root, port, bin, as_postgres, shared };
        let initdb = cluster
            .program("initdb")
            .args(["--auth=trust", "--username=postgres", "--encoding=UTF8", "--locale=C", "--no-sync", "-D"])
            .arg(&cluster.data)
            .stdout(Stdio::null())
            .status()
            .expect("run initdb (apt-get install postgresql)");
        assert!(initdb.success(), "initdb failed");
        cluster.restart();
        cluster
    }

    /// The server's settings: loopback only, no Unix socket, enough connections for tests.
    fn server_options(&self) -> String {
        format!("-h 127.0.0.1 -p {} -c unix_socket_directories='' -c max_connections=200", self.port)
    }

    fn wait_ready(&self) {
        let started = Instant::now();
        loop {
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"])
                .status()
                .is_ok_and(|status| status.success());
            if ready {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "PostgreSQL did not get ready; see {}/log",
                self.root.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn pg_ctl(&self, args: &[&str]) {
        let status = self.program("pg_ctl").arg("-D").arg(&self.data).args(args).stdout(Stdio::null()).status();
        assert!(status.is_ok_and(|status| status.success()), "pg_ctl {args:?} failed; see {}/log", self.root.display());
    }

    /// One of PostgreSQL's programs, as the `postgres` user when this runs as root.
    fn program(&self, name: &str) -> Command {
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(self.bin.join(name));
            command
        } else {
            Command::new(self.bin.join(name))
        }
    }

    /// Starts a watcher that stops the cluster and removes its files once `pid` has gone.
    fn watch(&self, pid: u32) {
        let stop = if self.as_postgres { "runuser -u postgres -- " } else { "" };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
             {stop}'{pg_ctl}' -D '{data}' stop -m immediate >/dev/null 2>&1; rm -rf '{root}'",
            pg_ctl = self.bin.join("pg_ctl").display(),
            data = self.data.display(),
            root = self.root.display(),
        );
        let spawned = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        if let Err(err) = spawned {
            eprintln!("cannot watch the scratch PostgreSQL cluster ({err}); stop it by hand: {}", self.root.display());
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.shared {
            return;
        }
        let _ = self.program("pg_ctl").arg("-D").arg(&self.data).args(["stop", "-m", "immediate", "-w"]).output();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The newest installed PostgreSQL's programs (Debian keeps them out of `PATH`).
fn bin_dir() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| Some((entry.file_name().to_str()?.parse().ok()?, entry.path().join("bin"))))
        .filter(|(_, bin): &(u32, PathBuf)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => bin,
        None => which("initdb").unwrap_or_else(|| panic!("no PostgreSQL found: apt-get install postgresql")),
    }
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(program))
        .find(|path| path.exists())
        .and_then(|path| path.parent().map(Path::to_owned))
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).map(|a| a.port()).unwrap_or(0)
}

/// A NATS server on a free loopback port (Debian's `nats-server`), stopped when dropped.
pub struct ScratchNats {
    child: std::process::Child,
    port: u16,
}

impl ScratchNats {
    /// Starts `nats-server` and waits until it takes connections; panics if it cannot.
    pub fn start() -> Self {
        let port = free_port();
        Self { child: Self::spawn(port), port }
    }

    fn spawn(port: u16) -> std::process::Child {
        let child = Command::new(
            which("nats-server").map(|dir| dir.join("nats-server")).unwrap_or_else(|| "/usr/sbin/nats-server".into()),
        )
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run nats-server (apt-get install nats-server)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "nats-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        child
    }

    /// Starts the server again after [`ScratchNats::stop`], on the same port.
    pub fn restart(&mut self) {
        self.stop();
        self.child = Self::spawn(self.port);
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Stops the server (the clients see it go).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ScratchNats {
    fn drop(&mut self) {
        self.stop();
    }
}
