//! `chorus-load`: a bounded load test of one Chorus session, on this machine only.
//!
//! It creates a session with a scale (or uses one given by `--code`/`--host-key`), opens the
//! facilitator's console and the projector, and connects N phones from several 127.0.0.x
//! source addresses, spread over worker processes (one process may hold ~19,900 sockets here).
//! Then, in order: every phone joins; the connections are held idle (`--hold`); the console
//! shows the scale; every phone answers at a set rate for `--duration` seconds; the console
//! reveals the results. It reports join rate, ack latency, answer → projector lag, fan-out
//! lag of a reveal, the server's CPU and memory (from `/proc/<pid>`), memory per connection
//! and errors, as a table and as one JSON line.
//!
//! Targets must be on the loopback range; every phase is bounded, and the whole run stops by
//! itself after `--max-time` seconds.
//!
//! The tool re-runs itself with `--worker <json>` for each worker process; workers talk to it
//! through JSON lines on their standard input and output.
//!
//! `--spawn-cluster N` starts a scratch PostgreSQL, a nats-server and N nodes and spreads the
//! phones over them; with it, `--sessions M` measures many sessions and `--takeovers R` the
//! time a session takes to change hands when its owner is killed (`chorus-load/cluster.rs`).

#[path = "chorus-load/cluster.rs"]
mod cluster;
#[path = "chorus-load/hist.rs"]
mod hist;
#[path = "chorus-load/idle.rs"]
mod idle;
#[path = "chorus-load/net.rs"]
mod net;
#[path = "chorus-load/table.rs"]
mod table;
#[path = "chorus-load/worker.rs"]
mod worker;
#[path = "chorus-load/workshop.rs"]
mod workshop;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

use hist::{Hist, HistWire};
use net::{ProcSample, now_us, proc_sample};
use worker::{AnswerPlan, Shape, WorkerConfig};

/// Hard limits, whatever the command line says.
const MAX_PHONES: u32 = 60_000;
const MAX_PER_WORKER: u32 = 19_000;
const MAX_TIME_CAP: f64 = 1_800.0;
const MAX_RATE: f64 = 200_000.0;

/// What the run plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Profile {
    /// Join, hold (`--hold`), answer at a steady rate, reveal.
    Steady,
    /// A workshop's rhythm: join, then for each of `--holds`: quiet that long, next activity
    /// (`goto`), everyone answers, reveal (`--reveals` times); every step measured apart.
    Workshop,
}

/// The budget of the points activity the load tool makes.
const POINTS_BUDGET: u32 = 100;

/// Which kind of activity the steady profile's phones answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LoadKind {
    /// A scale with `--statements` statements, rated 1–5.
    Scale,
    /// A multiple choice with `--statements` options (2–12), one choice each; every answer
    /// after a phone's first changes its mind.
    Choice,
    /// A ranking of `--statements` items (2–10): each answer puts one item first and the
    /// others after it; the projector's "ranked first" counts are checked.
    Ranking,
    /// 100 points over `--statements` items (2–10): each answer puts the whole budget on one
    /// item; the projector's totals are checked.
    Points,
}

impl LoadKind {
    fn name(self) -> &'static str {
        match self {
            Self::Scale => "scale",
            Self::Choice => "choice",
            Self::Ranking => "ranking",
            Self::Points => "points",
        }
    }
}

#[derive(Debug, Clone, Parser)]
#[command(
    name = "chorus-load",
    version,
    about = "Bounded load test of one Chorus session over loopback: joins, answers, projector and reveal lag, server CPU and memory."
)]
struct Opt {
    /// The server, on this machine: 127.0.0.1:8080, localhost:8080 or http://127.0.0.1:8080.
    #[arg(long, env = "CHORUS_LOAD_ADDR")]
    addr: Option<String>,

    /// Further nodes of a cluster serving the same session (host:port on this machine,
    /// repeated or comma-separated): phones are spread over --addr and these in turn; the
    /// session, its console and projector stay on --addr.
    #[arg(long, value_delimiter = ',')]
    target: Vec<String>,

    /// Start this `chorus` binary on 127.0.0.1 (a free port) with a temporary data directory,
    /// measure it, and stop it at the end.
    #[arg(long, env = "CHORUS_LOAD_SPAWN_SERVER", conflicts_with = "addr")]
    spawn_server: Option<PathBuf>,

    /// Start a cluster of this many nodes (1–8) and measure it: a scratch PostgreSQL and
    /// nats-server on free loopback ports, then N `chorus serve --database-url … --nats-url …`
    /// nodes; the session is made on node 0 and the phones spread over all. Everything is
    /// stopped and removed at the end (also on an error or Ctrl-C).
    #[arg(long, conflicts_with_all = ["addr", "spawn_server"], value_parser = clap::value_parser!(u32).range(1..=8))]
    spawn_cluster: Option<u32>,

    /// The `chorus` binary the cluster's nodes run (default: the one beside this program).
    #[arg(long, requires = "spawn_cluster")]
    chorus: Option<PathBuf>,

    /// With --spawn-cluster: this many sessions (at most 2,000) of --phones phones each,
    /// session j made on node j mod N; reports ack latency over all, tallies per session and
    /// how the owners spread.
    #[arg(long, default_value_t = 0, requires = "spawn_cluster")]
    sessions: u32,

    /// With --spawn-cluster: this many take-overs (at most 100), each of a new session whose
    /// owner is killed (SIGKILL) while --phones phones post notes; reports owner killed →
    /// first answer acknowledged by the new owner, every run, p50 and max.
    #[arg(long, default_value_t = 0, requires = "spawn_cluster", conflicts_with = "sessions")]
    takeovers: u32,

    /// The server's process id, for CPU and memory readings (`/proc/<pid>`).
    #[arg(long, env = "CHORUS_LOAD_SERVER_PID")]
    server_pid: Option<u32>,

    /// Use this session (its first scale) instead of creating one; needs --host-key.
    #[arg(long, env = "CHORUS_LOAD_CODE", requires = "host_key")]
    code: Option<String>,

    /// The host key of --code.
    #[arg(long, env = "CHORUS_LOAD_HOST_KEY", hide_env_values = true)]
    host_key: Option<String>,

    /// Phones to connect (at most 60,000).
    #[arg(long, env = "CHORUS_LOAD_PHONES", default_value_t = 1000)]
    phones: u32,

    /// Answers per second, all phones together (each phone answers at rate / phones; the
    /// server takes at most 10 messages a second from one participant).
    #[arg(long, env = "CHORUS_LOAD_RATE", default_value_t = 1000.0)]
    rate: f64,

    /// Seconds of answering.
    #[arg(long, env = "CHORUS_LOAD_DURATION", default_value_t = 20.0)]
    duration: f64,

    /// Seconds to hold every connection idle after joining, before answering.
    #[arg(long, env = "CHORUS_LOAD_HOLD", default_value_t = 0.0)]
    hold: f64,

    /// What to play: a steady load or a workshop's rhythm.
    #[arg(long, value_enum, default_value_t = Profile::Steady)]
    profile: Profile,

    /// The kind of activity the steady profile answers (the workshop profile plays scales).
    #[arg(long, value_enum, default_value_t = LoadKind::Scale)]
    kind: LoadKind,

    /// Workshop profile: seconds of quiet before each activity, one activity per value
    /// (e.g. `300,600`: join, 5 minutes quiet, activity 1, 10 minutes quiet, activity 2).
    #[arg(long, value_delimiter = ',', default_value = "60,60")]
    holds: Vec<f64>,

    /// Times to reveal the results to the phones (each measured); 0 skips the reveal.
    #[arg(long, env = "CHORUS_LOAD_REVEALS", default_value_t = 1)]
    reveals: u32,

    /// Statements of the scale the tool creates (1–10).
    #[arg(long, default_value_t = 10)]
    statements: u32,

    /// Give the session an "About you" question with this many groups (2–8; 0: none): each
    /// phone picks a group as it joins, spread evenly (phone i takes group i mod N), so every
    /// results frame carries each group's figures.
    #[arg(long, default_value_t = 0)]
    groups: u32,

    /// Phones per worker process (each process may hold ~19,900 sockets; at most 19,000).
    #[arg(long, default_value_t = 10_000)]
    phones_per_worker: u32,

    /// Source addresses 127.0.0.x to spread the phones over (default: one per 5,000 phones).
    #[arg(long)]
    sources: Option<u32>,

    /// Phones connecting at once, over all workers.
    #[arg(long, default_value_t = 128)]
    connect_concurrency: u32,

    /// Milliseconds to wait for answers still in flight after answering stops.
    #[arg(long, default_value_t = 15_000)]
    drain_ms: u64,

    /// The whole run stops after this many seconds, whatever happens (at most 1,800).
    #[arg(long, env = "CHORUS_LOAD_MAX_TIME", default_value_t = 900.0)]
    max_time: f64,

    /// Also open this many phones that join and then never read again (slow consumers), beside
    /// the others: reports when and how the server closed them, and its memory meanwhile.
    #[arg(long, default_value_t = 0)]
    idle: u32,

    /// Print only the JSON line.
    #[arg(long)]
    json_only: bool,

    /// Internal: run as a worker process with this configuration.
    #[arg(long, hide = true)]
    worker: Option<String>,
}

fn main() -> ExitCode {
    let opt = Opt::parse();
    if let Some(config) = &opt.worker {
        return match worker::run(config) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("chorus-load worker: {err:#}");
                ExitCode::FAILURE
            }
        };
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("chorus-load: {err}");
            return ExitCode::FAILURE;
        }
    };
    let local = tokio::task::LocalSet::new();
    match local.block_on(&runtime, coordinate(opt)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("chorus-load: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn say(opt: &Opt, line: impl AsRef<str>) {
    if !opt.json_only {
        eprintln!("[{:>7.1}s] {}", elapsed_s(), line.as_ref());
    }
}

thread_local! {
    static STARTED: Instant = Instant::now();
}

fn elapsed_s() -> f64 {
    STARTED.with(|s| s.elapsed().as_secs_f64())
}

// ---- the server ------------------------------------------------------------------------------

/// A server this tool started: stopped (SIGTERM, then SIGKILL) and its data removed at the end.
struct SpawnedServer {
    child: Child,
    pid: u32,
    data_dir: PathBuf,
    log: PathBuf,
}

/// Starts `path serve` on `bind` (port 0: a free one), with `extra` arguments (a cluster
/// node's `--database-url` and `--nats-url`).
async fn spawn_server(path: &PathBuf, bind: &str, extra: &[String]) -> anyhow::Result<(SocketAddr, SpawnedServer)> {
    let data_dir = std::env::temp_dir().join(format!("chorus-load-{}-{}", std::process::id(), now_us()));
    std::fs::create_dir_all(&data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    let log = data_dir.join("server.log");
    let log_file = std::fs::File::create(&log)?;
    let mut child = Command::new(path)
        .arg("serve")
        .arg("--bind")
        .arg(bind)
        .arg("--data-dir")
        .arg(data_dir.join("data"))
        .args(extra)
        // The whole load comes from a few loopback addresses, as no real venue does: lift the
        // budgets per address (set in the environment, they win, for a run that tests them).
        .env("CHORUS_JOINS_PER_ADDRESS", std::env::var("CHORUS_JOINS_PER_ADDRESS").unwrap_or("1000000".into()))
        .env("CHORUS_WRITES_PER_ADDRESS", std::env::var("CHORUS_WRITES_PER_ADDRESS").unwrap_or("1000000".into()))
        // `--sessions` makes up to 2,000 sessions from 127.0.0.1.
        .env("CHORUS_SESSIONS_PER_ADDRESS", std::env::var("CHORUS_SESSIONS_PER_ADDRESS").unwrap_or("1000000".into()))
        // A session takes 20,000 participants by default; issue 16's conference run puts
        // 50,000 phones in one (an operator raises it the same way, docs/deploy.md).
        .env("CHORUS_MAX_PARTICIPANTS", std::env::var("CHORUS_MAX_PARTICIPANTS").unwrap_or("1000000".into()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log_file))
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", path.display()))?;
    let pid = child.id().ok_or_else(|| anyhow!("the server exited at once"))?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("no server stdout"))?;
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .map_err(|_| anyhow!("the server said nothing in 60 s (log: {})", log.display()))??
        .ok_or_else(|| anyhow!("the server stopped before it listened (log: {})", log.display()))?;
    let port: u16 = first
        .split("http://localhost:")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| anyhow!("unexpected first line from the server: {first}"))?;
    // Keep reading, so that the server never blocks on a full pipe.
    tokio::task::spawn_local(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((SocketAddr::from(([127, 0, 0, 1], port)), SpawnedServer { child, pid, data_dir, log }))
}

impl SpawnedServer {
    /// Warnings and errors the server logged.
    fn log_problems(&self) -> (u64, Vec<String>) {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let problems: Vec<String> =
            text.lines().filter(|l| l.contains("WARN") || l.contains("ERROR")).map(str::to_owned).collect();
        let sample = problems.iter().take(5).map(|l| l.chars().take(300).collect()).collect();
        (problems.len() as u64, sample)
    }

    async fn stop(mut self) {
        let _ = std::process::Command::new("kill").arg("-TERM").arg(self.pid.to_string()).status();
        if tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await.is_err() {
            let _ = self.child.start_kill();
            let _ = self.child.wait().await;
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

// ---- console and projector -------------------------------------------------------------------

type Waiter = oneshot::Sender<Result<(), String>>;

/// The console or the projector: one WebSocket, its own task.
struct Staff {
    send: mpsc::UnboundedSender<(String, Option<(u64, Waiter)>)>,
    next_id: Cell<u64>,
}

/// What the projector has shown of the scale on screen (a choice, ranking or points: as one
/// statement, its options or items as the points).
#[derive(Default)]
struct Screen {
    activity: String,
    round: String,
    shape: Shape,
    /// (arrival, n per statement) of every results frame for the activity.
    frames: Vec<(u64, Vec<u64>)>,
    /// The counts per point of the latest frame, per statement.
    counts: Vec<Vec<u64>>,
    total_frames: u64,
}

impl Screen {
    fn record(&mut self, at: u64, value: &Value) {
        if value["activity"].as_str() != Some(self.activity.as_str()) {
            return;
        }
        let round = self.round.as_str();
        match self.shape {
            Shape::Scale => {}
            Shape::Choice => {
                let Some(options) = value["data"]["options"].as_array() else { return };
                let n = value["data"]["rounds"][round]["n"].as_u64().unwrap_or(0);
                let counts = options.iter().map(|o| o["rounds"][round]["count"].as_u64().unwrap_or(0)).collect();
                self.frames.push((at, vec![n]));
                self.counts = vec![counts];
                return;
            }
            // Each phone's latest answer puts one item first, or the whole budget on it: the
            // "ranked first" counts, or the totals over the budget, count phones per item.
            Shape::Ranking { .. } | Shape::Points { .. } => {
                let Some(items) = value["data"]["items"].as_array() else { return };
                let n = items.first().map_or(0, |item| item["rounds"][round]["n"].as_u64().unwrap_or(0));
                let counts = items
                    .iter()
                    .map(|item| match self.shape {
                        Shape::Points { budget, .. } => {
                            item["rounds"][round]["total"].as_u64().unwrap_or(0) / u64::from(budget.max(1))
                        }
                        _ => item["rounds"][round]["first"].as_u64().unwrap_or(0),
                    })
                    .collect();
                self.frames.push((at, vec![n]));
                self.counts = vec![counts];
                return;
            }
        }
        let Some(statements) = value["data"]["statements"].as_array() else { return };
        let mut ns = Vec::with_capacity(statements.len());
        let mut counts = Vec::with_capacity(statements.len());
        for statement in statements {
            let round = &statement["rounds"][self.round.as_str()];
            ns.push(round["n"].as_u64().unwrap_or(0));
            counts.push(
                round["counts"]
                    .as_array()
                    .map(|a| a.iter().map(|c| c.as_u64().unwrap_or(0)).collect())
                    .unwrap_or_default(),
            );
        }
        self.frames.push((at, ns));
        self.counts = counts;
    }

    fn latest_n(&self) -> Vec<u64> {
        self.frames.last().map(|(_, n)| n.clone()).unwrap_or_default()
    }
}

async fn open_staff(
    target: SocketAddr,
    hello: Value,
    welcome_type: &str,
    screen: Option<Rc<RefCell<Screen>>>,
) -> anyhow::Result<(Staff, Value)> {
    let mut ws = net::open_ws(None, target).await.map_err(|e| anyhow!("{e}"))?;
    ws.send(Message::text(hello.to_string())).await?;
    let welcome = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(text.as_str())?;
                    match value["type"].as_str() {
                        Some(t) if t == welcome_type => return Ok(value),
                        Some("error") => bail!("refused: {} ({})", value["error"], value["message"]),
                        _ => {}
                    }
                }
                Some(Ok(Message::Close(frame))) => bail!("closed: {frame:?}"),
                Some(Ok(_)) => {}
                Some(Err(e)) => bail!("{e}"),
                None => bail!("connection ended"),
            }
        }
    })
    .await
    .map_err(|_| anyhow!("no {welcome_type} in 20 s"))??;
    let (send, mut commands) = mpsc::unbounded_channel::<(String, Option<(u64, Waiter)>)>();
    tokio::task::spawn_local(async move {
        let mut waiting: HashMap<u64, Waiter> = HashMap::new();
        loop {
            tokio::select! {
                message = ws.next() => match message {
                    Some(Ok(Message::Text(text))) => {
                        let at = now_us();
                        let Ok(value) = serde_json::from_str::<Value>(text.as_str()) else { continue };
                        match value["type"].as_str() {
                            Some("ack") => {
                                if let Some(w) = value["id"].as_u64().and_then(|id| waiting.remove(&id)) {
                                    let _ = w.send(Ok(()));
                                }
                            }
                            Some("error") => {
                                let text = format!("{}: {}", value["error"], value["message"]);
                                if let Some(w) = value["id"].as_u64().and_then(|id| waiting.remove(&id)) {
                                    let _ = w.send(Err(text));
                                }
                            }
                            Some("results") => {
                                if let Some(screen) = &screen {
                                    let mut screen = screen.borrow_mut();
                                    screen.total_frames += 1;
                                    screen.record(at, &value);
                                }
                            }
                            _ => {}
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {}
                },
                command = commands.recv() => match command {
                    Some((text, waiter)) => {
                        if let Some((id, w)) = waiter {
                            waiting.insert(id, w);
                        }
                        if ws.send(Message::text(text)).await.is_err() {
                            break;
                        }
                    }
                    None => break,
                }
            }
        }
        for (_, w) in waiting.drain() {
            let _ = w.send(Err("connection closed".into()));
        }
    });
    Ok((Staff { send, next_id: Cell::new(1) }, welcome))
}

impl Staff {
    /// Sends a facilitator message and waits for its `ack`; answers when it was sent.
    async fn request(&self, mut message: Value) -> anyhow::Result<u64> {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        message["id"] = json!(id);
        let (tx, rx) = oneshot::channel();
        let sent = now_us();
        self.send.send((message.to_string(), Some((id, tx)))).map_err(|_| anyhow!("console connection closed"))?;
        tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .map_err(|_| anyhow!("no ack in 30 s for {message}"))?
            .map_err(|_| anyhow!("console connection closed"))?
            .map_err(|e| anyhow!("refused: {e}"))?;
        Ok(sent)
    }
}

// ---- workers ---------------------------------------------------------------------------------

struct Workers {
    stdin: Vec<ChildStdin>,
    children: Vec<Child>,
    events: mpsc::UnboundedReceiver<(usize, Value)>,
}

impl Workers {
    async fn spawn(configs: Vec<WorkerConfig>) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find this program to start workers")?;
        let (tx, events) = mpsc::unbounded_channel();
        let mut stdin = Vec::new();
        let mut children = Vec::new();
        for (i, config) in configs.iter().enumerate() {
            let mut child = Command::new(&exe)
                .arg("--worker")
                .arg(serde_json::to_string(config)?)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .kill_on_drop(true)
                .spawn()
                .context("cannot start a worker process")?;
            stdin.push(child.stdin.take().ok_or_else(|| anyhow!("no worker stdin"))?);
            let stdout = child.stdout.take().ok_or_else(|| anyhow!("no worker stdout"))?;
            let tx = tx.clone();
            tokio::task::spawn_local(async move {
                let mut lines = BufReader::new(stdout).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Ok(value) = serde_json::from_str::<Value>(&line) {
                        let _ = tx.send((i, value));
                    }
                }
                let _ = tx.send((i, json!({"event": "gone"})));
            });
            children.push(child);
        }
        Ok(Self { stdin, children, events })
    }

    async fn tell(&mut self, command: &Value) -> anyhow::Result<()> {
        let line = format!("{command}\n");
        for stdin in &mut self.stdin {
            stdin.write_all(line.as_bytes()).await.context("a worker stopped")?;
            stdin.flush().await?;
        }
        Ok(())
    }

    /// Waits for `event` from every worker.
    async fn collect(&mut self, event: &str, within: Duration) -> anyhow::Result<Vec<Value>> {
        let mut got: Vec<Option<Value>> = vec![None; self.stdin.len()];
        let deadline = tokio::time::Instant::now() + within;
        while got.iter().any(Option::is_none) {
            let (i, value) = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .map_err(|_| anyhow!("workers did not report {event} in {} s", within.as_secs()))?
                .ok_or_else(|| anyhow!("workers gone"))?;
            match value["event"].as_str() {
                Some(e) if e == event => got[i] = Some(value),
                Some("gone") => bail!("worker {i} stopped before reporting {event}"),
                Some("fatal") => bail!("worker {i}: {}", value["error"]),
                _ => {}
            }
        }
        Ok(got.into_iter().flatten().collect())
    }

    async fn ask(&mut self, command: Value, event: &str, within: Duration) -> anyhow::Result<Vec<Value>> {
        self.tell(&command).await?;
        self.collect(event, within).await
    }
}

fn sum(reports: &[Value], key: &str) -> u64 {
    reports.iter().map(|r| r[key].as_u64().unwrap_or(0)).sum()
}

fn merge_maps(reports: &[Value], key: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for r in reports {
        if let Some(map) = r[key].as_object() {
            for (k, v) in map {
                *out.entry(k.clone()).or_default() += v.as_u64().unwrap_or(0);
            }
        }
    }
    out
}

fn merge_hists(reports: &[Value], key: &str) -> Hist {
    let mut out = Hist::default();
    for r in reports {
        if let Ok(wire) = serde_json::from_value::<HistWire>(r[key].clone()) {
            out.merge(&Hist::from_wire(&wire));
        }
    }
    out
}

// ---- the run ---------------------------------------------------------------------------------

/// Readings of the server's process, when its pid is known.
struct Meter {
    pid: Option<u32>,
    /// Every node of a cluster (`--spawn-cluster`), for their CPU while answering.
    node_pids: Vec<Option<u32>>,
    ticks_per_s: f64,
    peak_rss_kb: Rc<Cell<u64>>,
}

impl Meter {
    /// Readings of `pid` (none without one), or of every node of a cluster summed, their
    /// peak RSS polled every half second.
    fn start(pid: Option<u32>, node_pids: Vec<Option<u32>>) -> anyhow::Result<Rc<Self>> {
        let meter = Rc::new(Meter {
            pid,
            node_pids,
            ticks_per_s: net::clock_ticks() as f64,
            peak_rss_kb: Rc::new(Cell::new(0)),
        });
        if let Some(pid) = pid {
            if proc_sample(pid).is_none() {
                bail!("cannot read /proc/{pid}");
            }
            let watched = Rc::downgrade(&meter);
            tokio::task::spawn_local(async move {
                while let Some(meter) = watched.upgrade() {
                    if let Some(s) = meter.sample() {
                        meter.peak_rss_kb.set(meter.peak_rss_kb.get().max(s.rss_kb));
                    }
                    drop(meter);
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            });
        }
        Ok(meter)
    }

    /// The server now; for a cluster, every node's figures added up (CPU, memory, threads,
    /// open files), so that the cluster reads as one server.
    fn sample(&self) -> Option<ProcSample> {
        if self.node_pids.is_empty() {
            return self.pid.and_then(proc_sample);
        }
        let samples: Vec<ProcSample> = self.node_pids.iter().filter_map(|pid| pid.and_then(proc_sample)).collect();
        let first = *samples.first()?;
        Some(samples[1..].iter().fold(first, |mut sum, s| {
            sum.at_us = sum.at_us.max(s.at_us);
            sum.cpu_ticks += s.cpu_ticks;
            sum.minflt += s.minflt;
            sum.majflt += s.majflt;
            sum.rss_kb += s.rss_kb;
            sum.hwm_kb += s.hwm_kb;
            sum.threads += s.threads;
            sum.fds += s.fds;
            sum.run_ns += s.run_ns;
            sum.wait_ns += s.wait_ns;
            sum
        }))
    }

    fn sample_nodes(&self) -> Vec<Option<ProcSample>> {
        self.node_pids.iter().map(|pid| pid.and_then(proc_sample)).collect()
    }

    /// Each node's CPU seconds and cores busy between two samples of them all, and its RSS.
    fn nodes_usage(&self, a: &[Option<ProcSample>], b: &[Option<ProcSample>]) -> Value {
        let nodes: Vec<Value> = a
            .iter()
            .zip(b)
            .enumerate()
            .map(|(i, (a, b))| {
                let cpu = self.cpu_s(a, b);
                let wall = match (a, b) {
                    (Some(a), Some(b)) => Some((b.at_us.saturating_sub(a.at_us)) as f64 / 1e6),
                    _ => None,
                };
                json!({
                    "node": i,
                    "cpu_s": cpu.map(round2),
                    "cpu_cores": match (cpu, wall) { (Some(c), Some(w)) if w > 0.0 => Some(round2(c / w)), _ => None },
                    "rss_kb": b.map(|s| s.rss_kb),
                    "fds": b.map(|s| s.fds),
                })
            })
            .collect();
        json!(nodes)
    }

    /// Server CPU seconds between two samples.
    fn cpu_s(&self, a: &Option<ProcSample>, b: &Option<ProcSample>) -> Option<f64> {
        match (a, b) {
            (Some(a), Some(b)) => Some(b.cpu_ticks.saturating_sub(a.cpu_ticks) as f64 / self.ticks_per_s),
            _ => None,
        }
    }
}

/// What the server's own metrics say about a phase: journal batches and commit time, frames.
/// Connections the server closed for silence or slowness, by its own counters.
fn closes(metrics: &Option<BTreeMap<String, f64>>) -> f64 {
    metrics.as_ref().map_or(0.0, |m| {
        ["chorus_connection_timeouts_total", "chorus_slow_consumer_closes_total"]
            .iter()
            .map(|k| m.get(*k).copied().unwrap_or(0.0))
            .sum()
    })
}

fn metrics_delta(before: &Option<BTreeMap<String, f64>>, after: &Option<BTreeMap<String, f64>>) -> Value {
    let (Some(before), Some(after)) = (before, after) else { return Value::Null };
    let delta = |key: &str| after.get(key).copied().unwrap_or(0.0) - before.get(key).copied().unwrap_or(0.0);
    let total = |prefix: &str| -> f64 {
        after.iter().filter(|(k, _)| k.starts_with(prefix)).map(|(_, v)| v).sum::<f64>()
            - before.iter().filter(|(k, _)| k.starts_with(prefix)).map(|(_, v)| v).sum::<f64>()
    };
    let batches = delta("chorus_journal_batch_size_count");
    let quantiles: BTreeMap<&String, &f64> =
        after.iter().filter(|(k, _)| k.starts_with("chorus_journal_commit_seconds{")).collect();
    json!({
        "journal_batches": batches,
        "journal_mean_batch": (batches > 0.0).then(|| round2(delta("chorus_journal_batch_size_sum") / batches)),
        "journal_mean_commit_ms": (batches > 0.0).then(|| round2(delta("chorus_journal_commit_seconds_sum") * 1000.0 / batches)),
        "journal_commit_quantiles_s_since_start": quantiles,
        "frames_sent": total("chorus_frames_sent_total"),
        "frames_published": total("chorus_frames_published_total"),
    })
}

/// Server CPU and run-queue wait (both in seconds) between two samples: a wait as long as the
/// CPU time means the server's threads were queueing for a core.
fn sched(a: &Option<ProcSample>, b: &Option<ProcSample>) -> Value {
    match (a, b) {
        (Some(a), Some(b)) => json!({
            "on_cpu_s": round2(b.run_ns.saturating_sub(a.run_ns) as f64 / 1e9),
            "waiting_for_cpu_s": round2(b.wait_ns.saturating_sub(a.wait_ns) as f64 / 1e9),
            "wall_s": round2(b.at_us.saturating_sub(a.at_us) as f64 / 1e6),
        }),
        _ => Value::Null,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

async fn coordinate(opt: Opt) -> anyhow::Result<()> {
    // Bounds first.
    if opt.phones == 0 || opt.phones > MAX_PHONES {
        bail!("--phones must be 1 to {MAX_PHONES}");
    }
    if !(opt.max_time > 0.0 && opt.max_time <= MAX_TIME_CAP) {
        bail!("--max-time must be at most {MAX_TIME_CAP} s");
    }
    if opt.duration < 0.0 || opt.hold < 0.0 || opt.duration + opt.hold + 30.0 > opt.max_time {
        bail!("--duration + --hold must leave at least 30 s of --max-time ({} s)", opt.max_time);
    }
    if opt.profile == Profile::Workshop {
        if opt.holds.is_empty() || opt.holds.len() > 10 || opt.holds.iter().any(|h| h.is_nan() || *h < 0.0) {
            bail!("--holds takes 1 to 10 values of seconds");
        }
        let needed = opt.holds.iter().sum::<f64>() + opt.holds.len() as f64 * (opt.duration + 30.0) + 30.0;
        if needed > opt.max_time {
            bail!("--holds and --duration need about {needed:.0} s: raise --max-time (at most {MAX_TIME_CAP} s)");
        }
    }
    if !(opt.rate >= 0.0 && opt.rate <= MAX_RATE) {
        bail!("--rate must be 0 to {MAX_RATE}");
    }
    if !(1..=10).contains(&opt.statements) {
        bail!("--statements must be 1 to 10");
    }
    if opt.phones_per_worker == 0 || opt.phones_per_worker > MAX_PER_WORKER {
        bail!("--phones-per-worker must be 1 to {MAX_PER_WORKER}");
    }
    if opt.sessions > 2_000 || opt.sessions * opt.phones > MAX_PHONES {
        bail!("--sessions must be at most 2,000, and --sessions × --phones at most {MAX_PHONES}");
    }
    if opt.takeovers > 100 || (opt.takeovers > 0 && opt.phones > 2_000) {
        bail!("--takeovers must be at most 100, with at most 2,000 --phones (held by this process)");
    }
    let all_phones = opt.phones * opt.sessions.max(1);
    let per_phone = opt.rate / f64::from(all_phones);
    if per_phone > 10.0 {
        bail!(
            "{:.1} answers a second per phone: the server takes at most 10 messages a second from one participant; add phones",
            per_phone
        );
    }
    let max_time = Duration::from_secs_f64(opt.max_time);
    let run_deadline_us = now_us() + max_time.as_micros() as u64;

    if let Some(nodes) = opt.spawn_cluster {
        return coordinate_cluster(opt.clone(), nodes, all_phones, max_time, run_deadline_us).await;
    }

    let mut spawned = None;
    let target = match (&opt.spawn_server, &opt.addr) {
        (Some(path), _) => {
            let (addr, server) = spawn_server(path, "127.0.0.1:0", &[]).await?;
            say(&opt, format!("started {} (pid {}) on {addr}", path.display(), server.pid));
            spawned = Some(server);
            addr
        }
        (None, Some(addr)) => net::loopback_target(addr).await?,
        (None, None) => {
            bail!("give --addr (a server on this machine), --spawn-server <path to chorus> or --spawn-cluster N")
        }
    };
    if !target.ip().is_loopback() {
        bail!("refusing {target}: loopback only");
    }
    let pid = opt.server_pid.or(spawned.as_ref().map(|s| s.pid));
    let meter = Meter::start(pid, Vec::new())?;

    let mut workers_slot: Option<Workers> = None;
    let outcome = tokio::select! {
        outcome = tokio::time::timeout(max_time, run(&opt, target, &meter, run_deadline_us, &mut workers_slot)) => outcome,
        why = interrupted() => Ok(Err(anyhow!("{why}: stopping"))),
    };
    // Cleanup happens whatever the outcome.
    stop_workers(workers_slot.take()).await;
    let server_log = spawned.as_ref().map(SpawnedServer::log_problems);
    if let Some(server) = spawned {
        server.stop().await;
    }
    let mut report = match outcome {
        Ok(result) => result?,
        Err(_) => bail!("stopped after --max-time {} s", opt.max_time),
    };
    if let Some((count, sample)) = server_log {
        report["server_log_problems"] = json!({"count": count, "first": sample});
    }
    if !opt.json_only {
        if opt.profile == Profile::Workshop {
            workshop::print_table(&report);
        } else {
            print_table(&report);
        }
    }
    println!("{report}");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM, saying which.
async fn interrupted() -> &'static str {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "interrupted (Ctrl-C)",
        _ = term.recv() => "terminated (SIGTERM)",
    }
}

async fn stop_workers(workers: Option<Workers>) {
    if let Some(mut workers) = workers {
        let _ = workers.tell(&json!({"cmd": "exit"})).await;
        let _ = tokio::time::timeout(Duration::from_secs(10), workers.collect("bye", Duration::from_secs(10))).await;
        for child in &mut workers.children {
            let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
        }
    }
}

/// `--spawn-cluster N`: starts the cluster, runs the mode asked (one session, `--sessions`
/// or `--takeovers`), and stops everything whatever the outcome.
async fn coordinate_cluster(
    mut opt: Opt,
    nodes: u32,
    all_phones: u32,
    max_time: Duration,
    deadline_us: u64,
) -> anyhow::Result<()> {
    cluster::check_fds(u64::from(all_phones), nodes)?;
    let exe = cluster::chorus_binary(opt.chorus.as_ref())?;
    let t0 = Instant::now();
    let started = tokio::select! {
        started = cluster::Cluster::start(&exe, nodes) => started,
        why = interrupted() => Err(anyhow!("{why} while starting the cluster")),
    };
    let mut cluster = started?;
    say(
        &opt,
        format!(
            "cluster of {nodes} started in {:.1} s: nodes {:?} (pids {:?})",
            t0.elapsed().as_secs_f64(),
            cluster.addrs,
            cluster.pids().into_iter().flatten().collect::<Vec<_>>()
        ),
    );
    let ticks_per_s = net::clock_ticks() as f64;
    let mut workers_slot: Option<Workers> = None;
    let s_start = cluster.sample();
    let outcome = {
        let work = async {
            if opt.takeovers > 0 {
                cluster::takeovers(&opt, &mut cluster).await
            } else if opt.sessions > 0 {
                cluster::sessions(&opt, &cluster, ticks_per_s, deadline_us, &mut workers_slot).await
            } else {
                // One session on node 0 (its owner), phones over every node.
                opt.target = cluster.addrs[1..].iter().map(ToString::to_string).collect();
                let meter = Meter::start(cluster.pids()[0], cluster.pids())?;
                run(&opt, cluster.addrs[0], &meter, deadline_us, &mut workers_slot).await
            }
        };
        tokio::select! {
            outcome = tokio::time::timeout(max_time, work) => outcome,
            why = interrupted() => Ok(Err(anyhow!("{why}: stopping"))),
        }
    };
    stop_workers(workers_slot.take()).await;
    let s_end = cluster.sample();
    let usage = cluster.usage(&s_start, &s_end, ticks_per_s);
    let (problems, first_problems) = cluster.log_problems();
    cluster.stop().await;
    let mut report = match outcome {
        Ok(result) => result?,
        Err(_) => bail!("stopped after --max-time {} s", opt.max_time),
    };
    report["cluster"] = json!({
        "nodes": nodes,
        "chorus": exe.display().to_string(),
        "nodes_usage_whole_run": usage,
        "node_log_problems": {"count": problems, "first": first_problems},
    });
    if !opt.json_only {
        if opt.takeovers > 0 {
            cluster::print_takeovers(&report);
        } else if opt.sessions > 0 {
            cluster::print_sessions(&report);
        } else if opt.profile == Profile::Workshop {
            workshop::print_table(&report);
        } else {
            print_table(&report);
        }
        cluster::print_nodes(&report);
    }
    println!("{report}");
    Ok(())
}

async fn run(
    opt: &Opt,
    target: SocketAddr,
    meter: &Meter,
    deadline_us: u64,
    workers_slot: &mut Option<Workers>,
) -> anyhow::Result<Value> {
    let machine = json!({
        "nproc": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "open_files_limit": std::process::Command::new("sh").arg("-c").arg("ulimit -n").output().ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()),
    });
    let s_start = meter.sample();
    let per_phone = opt.rate / f64::from(opt.phones);

    // The session.
    let (code, host_key) = match (&opt.code, &opt.host_key) {
        (Some(code), Some(key)) => (code.clone(), key.clone()),
        _ => {
            let statements: Vec<String> =
                (1..=opt.statements).map(|i| format!("Statement {i} of the load test")).collect();
            let options: Vec<String> = (1..=opt.statements.clamp(2, 12)).map(|i| format!("Option {i}")).collect();
            let items: Vec<String> = (1..=opt.statements.clamp(2, 10)).map(|i| format!("Item {i}")).collect();
            let agenda = match (opt.profile, opt.kind) {
                (Profile::Steady, LoadKind::Scale) => {
                    json!([{"kind": "scale", "title": "Load test", "statements": statements,
                            "min": 1, "max": 5, "rounds": ["Before", "After"]}])
                }
                (Profile::Steady, LoadKind::Choice) => {
                    json!([{"kind": "choice", "title": "Load test", "options": options,
                            "max_choices": 1, "rounds": ["Before", "After"]}])
                }
                (Profile::Steady, LoadKind::Ranking) => {
                    json!([{"kind": "ranking", "title": "Load test", "items": items,
                            "rounds": ["Before", "After"]}])
                }
                (Profile::Steady, LoadKind::Points) => {
                    json!([{"kind": "points", "title": "Load test", "items": items, "budget": POINTS_BUDGET,
                            "rounds": ["Before", "After"]}])
                }
                (Profile::Workshop, _) => workshop::agenda(opt.holds.len(), opt.statements),
            };
            let mut body = json!({
                "title": format!("chorus-load, {} phones", opt.phones),
                "agenda": agenda,
            });
            if opt.groups > 0 {
                let groups: Vec<String> = (1..=opt.groups).map(|g| format!("Group {g}")).collect();
                body["about_you"] = json!({"prompt": "I am in…", "groups": groups, "min_group_size": 5});
            }
            let (status, text) = net::http(target, "POST", "/api/sessions", Some(&body.to_string()), None).await?;
            if status != 201 {
                bail!("POST /api/sessions answered {status}: {text}");
            }
            let created: Value = serde_json::from_str(&text)?;
            (
                created["code"].as_str().ok_or_else(|| anyhow!("no code in {text}"))?.to_owned(),
                created["host_key"].as_str().ok_or_else(|| anyhow!("no host key"))?.to_owned(),
            )
        }
    };
    let (console, welcome) =
        open_staff(target, json!({"type": "host", "code": code, "key": host_key}), "welcome_host", None).await?;
    let session = &welcome["session"];
    let kind = opt.kind.name();
    let scale = session["agenda"]
        .as_array()
        .and_then(|agenda| agenda.iter().find(|a| a["kind"] == kind))
        .ok_or_else(|| anyhow!("the session has no {kind} activity"))?;
    let activity = scale["id"].as_str().ok_or_else(|| anyhow!("no activity id"))?.to_owned();
    let listed = |field: &str| scale[field].as_array().map(Vec::len).unwrap_or(2).max(1) as u32;
    let shape = match opt.kind {
        LoadKind::Scale => Shape::Scale,
        LoadKind::Choice => Shape::Choice,
        LoadKind::Ranking => Shape::Ranking { items: listed("items") },
        LoadKind::Points => Shape::Points {
            items: listed("items"),
            budget: scale["budget"].as_u64().unwrap_or(u64::from(POINTS_BUDGET)) as u32,
        },
    };
    // A choice, ranking or points plays as one statement whose points are its options or items.
    let (statements, min, max, round) = if shape != Shape::Scale {
        let count = match shape {
            Shape::Ranking { items } | Shape::Points { items, .. } => items,
            _ => listed("options"),
        };
        (1, 0, i64::from(count) - 1, scale["rounds"][0].as_str().unwrap_or("").to_owned())
    } else {
        (
            scale["statements"].as_array().map(Vec::len).unwrap_or(1).clamp(1, 10) as u32,
            scale["min"].as_i64().unwrap_or(1),
            scale["max"].as_i64().unwrap_or(5),
            scale["rounds"][0].as_str().unwrap_or("Answers").to_owned(),
        )
    };
    let present_key = session["present_key"].as_str().unwrap_or(&host_key).to_owned();
    let screen =
        Rc::new(RefCell::new(Screen { activity: activity.clone(), round: round.clone(), shape, ..Screen::default() }));
    let (_projector, _) = open_staff(
        target,
        json!({"type": "present", "code": code, "key": present_key}),
        "welcome_present",
        Some(screen.clone()),
    )
    .await?;
    say(opt, format!("session {code}: {kind} {activity}, {statements} statements, round {round}"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let s_before_phones = meter.sample();
    let kernel_before = net::tcp_kernel_pages();

    // Where phones connect: the one server, or every node given.
    let mut nodes = Vec::new();
    if !opt.target.is_empty() {
        nodes.push(target);
        for node in &opt.target {
            nodes.push(net::loopback_target(node).await?);
        }
        say(opt, format!("phones spread over {} nodes: {nodes:?}", nodes.len()));
    }

    // Workers and joins.
    let workers_n = opt.phones.div_ceil(opt.phones_per_worker);
    let sources = opt.sources.unwrap_or_else(|| opt.phones.div_ceil(5000)).clamp(1, 200);
    let source_base = 2 + std::process::id() % (253 - sources).max(1);
    let mut configs = Vec::new();
    let mut first = 0;
    for w in 0..workers_n {
        let count = opt.phones / workers_n + u32::from(w < opt.phones % workers_n);
        configs.push(WorkerConfig {
            target,
            nodes: nodes.clone(),
            code: code.clone(),
            first,
            count,
            sources,
            source_base,
            connect_concurrency: opt.connect_concurrency.div_ceil(workers_n).max(1),
            deadline_us: deadline_us + 5_000_000,
            total_phones: opt.phones,
            groups: opt.groups,
            sessions: Vec::new(),
            per_session: 0,
        });
        first += count;
    }
    say(
        opt,
        format!(
            "connecting {} phones: {workers_n} worker process(es), sources 127.0.0.{}..{}",
            opt.phones,
            source_base,
            source_base + sources - 1
        ),
    );
    let t_join = Instant::now();
    *workers_slot = Some(Workers::spawn(configs).await?);
    let workers = workers_slot.as_mut().ok_or_else(|| anyhow!("no workers"))?;
    let joined_reports = workers.collect("joined", Duration::from_secs(600)).await?;
    let join_wall = t_join.elapsed().as_secs_f64();
    let joined = sum(&joined_reports, "joined");
    let first_start = joined_reports.iter().filter_map(|r| r["first_start_us"].as_u64()).filter(|t| *t > 0).min();
    let last_welcome = joined_reports.iter().filter_map(|r| r["last_welcome_us"].as_u64()).max();
    let join_span_s = match (first_start, last_welcome) {
        (Some(a), Some(b)) if b > a => (b - a) as f64 / 1e6,
        _ => join_wall,
    };
    let join_hist = merge_hists(&joined_reports, "join_hist");
    let join_errors = merge_maps(&joined_reports, "join_errors");
    let s_after_join_ticks = meter.sample();
    say(
        opt,
        format!("{joined} joined in {join_span_s:.1} s ({:.0}/s); errors {join_errors:?}", joined as f64 / join_span_s),
    );
    // Let the server settle (counts, buffers) before reading its memory.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let s_joined = meter.sample();
    let kernel_joined = net::tcp_kernel_pages();
    let per_conn = |after: &Option<ProcSample>| -> Option<f64> {
        match (s_before_phones, after) {
            (Some(a), Some(b)) if joined > 0 => {
                Some(round2((b.rss_kb as f64 - a.rss_kb as f64) * 1024.0 / joined as f64 / 1024.0))
            }
            _ => None,
        }
    };
    let kernel_per_conn = match (kernel_before, kernel_joined) {
        (Some((a, _)), Some((b, _))) if joined > 0 => Some(round2((b as f64 - a as f64) * 4.0 / joined as f64)),
        _ => None,
    };

    if opt.profile == Profile::Workshop {
        let played = workshop::run(opt, target, meter, workers, &console, session).await?;
        let status = workers.ask(json!({"cmd": "status"}), "status", Duration::from_secs(30)).await?;
        let closed = merge_maps(&status, "closed");
        let s_end = meter.sample();
        return Ok(json!({
            "tool": "chorus-load",
            "profile": "workshop",
            "machine": machine,
            "target": target.to_string(),
        "nodes": nodes.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "nodes": nodes.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "server_pid": meter.pid,
            "session": code,
            "phones": opt.phones,
            "workers": workers_n,
            "join": {
                "joined": joined,
                "errors": join_errors,
                "seconds": round2(join_span_s),
                "rate_per_s": round2(joined as f64 / join_span_s),
                "latency": join_hist.summary_ms(),
            },
            "memory": {
                "server_rss_kb_before_phones": s_before_phones.map(|s| s.rss_kb),
                "server_rss_kb_joined": s_joined.map(|s| s.rss_kb),
                "server_rss_kb_end": s_end.map(|s| s.rss_kb),
                "server_rss_kb_peak": (meter.peak_rss_kb.get() > 0).then(|| meter.peak_rss_kb.get()),
                "per_connection_kb": per_conn(&s_joined),
                "per_connection_kb_end": per_conn(&s_end),
                "kernel_tcp_per_connection_kb_both_ends": kernel_per_conn,
            },
            "workshop": played,
            "connections": { "open_at_end": sum(&status, "open"), "drops": closed.values().sum::<u64>(), "closed": closed },
            "server_cpu_s_total": meter.cpu_s(&s_start, &s_end),
        }));
    }

    // Slow consumers, open through everything that follows.
    let idle_start = if opt.idle > 0 {
        say(opt, format!("opening {} phones that never read", opt.idle));
        let mut idle = Vec::with_capacity(opt.idle as usize);
        for _ in 0..opt.idle {
            idle.push(idle::IdlePhone::join(target, &code).await?);
        }
        // Watch the server's close counters from now on, to time when it gave up on them all.
        let opened = Instant::now();
        let before = closes(&net::scrape_metrics(target).await);
        let closed_within = Rc::new(Cell::new(None));
        let watch = closed_within.clone();
        let wanted = f64::from(opt.idle);
        tokio::task::spawn_local(async move {
            while opened.elapsed() < Duration::from_secs(120) {
                if closes(&net::scrape_metrics(target).await) - before >= wanted {
                    watch.set(Some(round2(opened.elapsed().as_secs_f64())));
                    break;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        });
        Some((idle, opened, s_joined, closed_within))
    } else {
        None
    };

    // Hold.
    let mut hold = json!(null);
    if opt.hold > 0.0 {
        workers.ask(json!({"cmd": "phase", "name": "hold"}), "ok", Duration::from_secs(30)).await?;
        say(opt, format!("holding {} connections idle for {} s", joined, opt.hold));
        let before = meter.sample();
        let until = Instant::now() + Duration::from_secs_f64(opt.hold);
        let mut min_open = u64::MAX;
        while Instant::now() < until {
            tokio::time::sleep(Duration::from_secs(15).min(until.saturating_duration_since(Instant::now()))).await;
            let status = workers.ask(json!({"cmd": "status"}), "status", Duration::from_secs(30)).await?;
            let open = sum(&status, "open");
            min_open = min_open.min(open);
            say(opt, format!("  holding: {open} open"));
        }
        let after = meter.sample();
        let status = workers.ask(json!({"cmd": "status"}), "status", Duration::from_secs(30)).await?;
        let closed = merge_maps(&status, "closed");
        hold = json!({
            "seconds": opt.hold,
            "open_at_end": sum(&status, "open"),
            "min_open": min_open,
            "closed": closed,
            "server_cpu_s": meter.cpu_s(&before, &after),
            "server_sched": sched(&before, &after),
            "server_rss_kb_end": after.map(|s| s.rss_kb),
            "memory_per_connection_kb_end": per_conn(&after),
        });
    }

    // Show the scale, then answer.
    workers.ask(json!({"cmd": "phase", "name": "answer"}), "ok", Duration::from_secs(30)).await?;
    let goto_us = console.request(json!({"type": "goto", "activity": activity, "round": round})).await?;
    // The projector holds a scale's results back while answers are open until the
    // facilitator shows them: the lag measured is that of a projector showing them live.
    console.request(json!({"type": "show_on_projector", "show": true})).await?;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let baseline_n = {
        let n = screen.borrow().latest_n();
        if n.len() == statements as usize { n } else { vec![0; statements as usize] }
    };
    let baseline_counts = screen.borrow().counts.clone();
    let period_us = if opt.rate > 0.0 { (f64::from(opt.phones) / opt.rate * 1e6) as u64 } else { u64::MAX / 4 };
    let start_us = now_us() + 300_000;
    let end_us = start_us + (opt.duration * 1e6) as u64;
    let plan = AnswerPlan {
        activity: activity.clone(),
        round: round.clone(),
        statements,
        min,
        max,
        shape,
        goto_us,
        start_us,
        end_us,
        period_us,
        drain_ms: opt.drain_ms,
        activities: Vec::new(),
    };
    say(opt, format!("answering: {} answers/s for {} s ({:.2}/s per phone)", opt.rate, opt.duration, per_phone));
    let frames_before_answer = screen.borrow().frames.len();
    let metrics_answer_start = net::scrape_metrics(target).await;
    let s_answer_start = meter.sample();
    let nodes_answer_start = meter.sample_nodes();
    workers.tell(&json!({"cmd": "answer", "plan": plan})).await?;
    let answered = workers
        .collect("answered", Duration::from_secs_f64(opt.duration + opt.drain_ms as f64 / 1000.0 + 60.0))
        .await?;
    let s_answer_end = meter.sample();
    let nodes_answer_end = meter.sample_nodes();
    let metrics_answer_end = net::scrape_metrics(target).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let sent = sum(&answered, "sent");
    let acked = sum(&answered, "acked");
    let unacked = sum(&answered, "unacked");
    let ack_hist = merge_hists(&answered, "ack_hist");
    let answer_errors = merge_maps(&answered, "errors");
    let first_send = answered.iter().filter_map(|r| r["first_send_us"].as_u64()).filter(|t| *t > 0).min();
    let last_send = answered.iter().filter_map(|r| r["last_send_us"].as_u64()).max();
    let window_s = match (first_send, last_send) {
        (Some(a), Some(b)) if b > a => (b - a) as f64 / 1e6,
        _ => opt.duration,
    };
    // Acknowledged answers per second: from the first send to the last ack, so that a
    // server that falls behind is not credited with the rate it was offered.
    let last_ack = answered.iter().filter_map(|r| r["last_ack_us"].as_u64()).max();
    let ack_window_s = match (first_send, last_ack) {
        (Some(a), Some(b)) if b > a => (b - a) as f64 / 1e6,
        _ => window_s,
    };
    let step_hist = merge_hists(&answered, "step_hist");
    let step_missing = sum(&answered, "step_missing");

    // Answer → projector: the k-th acknowledged first answer to a statement is shown once the
    // projector's n for it reaches baseline + k.
    let mut lag = Hist::default();
    let mut never_shown = 0u64;
    let mut tracked = 0u64;
    {
        let screen = screen.borrow();
        let frames = &screen.frames[frames_before_answer.min(screen.frames.len())..];
        for s in 0..statements as usize {
            let mut sends: Vec<u64> = answered
                .iter()
                .filter_map(|r| r["first_sends"][s].as_array())
                .flat_map(|a| a.iter().filter_map(Value::as_u64))
                .collect();
            sends.sort_unstable();
            let base = baseline_n.get(s).copied().unwrap_or(0);
            let mut f = 0;
            for (k, sent_at) in sends.iter().enumerate() {
                tracked += 1;
                let wanted = base + k as u64 + 1;
                while f < frames.len() && frames[f].1.get(s).copied().unwrap_or(0) < wanted {
                    f += 1;
                }
                match frames.get(f) {
                    Some((shown_at, _)) => lag.record(shown_at.saturating_sub(*sent_at)),
                    None => never_shown += 1,
                }
            }
        }
    }

    // Exact tallies: the projector's counts against the last acknowledged answer of every phone.
    let span = (max - min + 1).max(1) as usize;
    let mut expected = vec![vec![0u64; span]; statements as usize];
    for (s, row) in expected.iter_mut().enumerate() {
        for (v, cell) in row.iter_mut().enumerate() {
            *cell = baseline_counts.get(s).and_then(|c| c.get(v)).copied().unwrap_or(0)
                + answered.iter().map(|r| r["tallies"][s][v].as_u64().unwrap_or(0)).sum::<u64>();
        }
    }
    let shown_counts = screen.borrow().counts.clone();
    let tallies_exact = shown_counts == expected;
    let tallies_checkable = unacked == 0;
    say(
        opt,
        format!(
            "answered: {sent} sent, {acked} acked, {unacked} unacked, errors {answer_errors:?}; tallies {}",
            if tallies_exact { "exact" } else { "DIFFER" }
        ),
    );
    let answer_cpu = meter.cpu_s(&s_answer_start, &s_answer_end);
    let answer_wall = match (&s_answer_start, &s_answer_end) {
        (Some(a), Some(b)) => Some((b.at_us - a.at_us) as f64 / 1e6),
        _ => None,
    };

    // Reveal.
    let mut reveals = Vec::new();
    let mut reveal_hist = Hist::default();
    let mut reveal_cpu_total = 0.0;
    let mut reveal_frames_total = 0u64;
    workers.ask(json!({"cmd": "phase", "name": "reveal"}), "ok", Duration::from_secs(30)).await?;
    for r in 0..opt.reveals {
        if r > 0 {
            console.request(json!({"type": "reveal", "show": false})).await?;
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        let armed = workers.ask(json!({"cmd": "arm"}), "armed", Duration::from_secs(30)).await?;
        let frames_armed = sum(&armed, "frames");
        let metrics_before = net::scrape_metrics(target).await;
        let before = meter.sample();
        let t0 = console.request(json!({"type": "reveal", "show": true})).await?;
        let revealed = workers
            .ask(json!({"cmd": "reveal", "t0_us": t0, "wait_ms": 15_000}), "revealed", Duration::from_secs(60))
            .await?;
        let after = meter.sample();
        let metrics_after = net::scrape_metrics(target).await;
        let hist = merge_hists(&revealed, "hist");
        let frames = sum(&revealed, "frames").saturating_sub(frames_armed);
        let cpu = meter.cpu_s(&before, &after);
        if let Some(cpu) = cpu {
            reveal_cpu_total += cpu;
        }
        reveal_frames_total += frames;
        say(
            opt,
            format!(
                "reveal {}: p50 {:?} ms p99 {:?} ms, {} missing, {frames} frames, server CPU {:?} s, {} pings, load {:?}",
                r + 1,
                hist.quantile(0.5).map(|v| v / 1000),
                hist.quantile(0.99).map(|v| v / 1000),
                sum(&revealed, "missing"),
                cpu,
                sum(&revealed, "pings").saturating_sub(sum(&armed, "pings")),
                net::load_average()
            ),
        );
        reveals.push(json!({
            "lag": hist.summary_ms(),
            "heartbeat_pings": sum(&revealed, "pings").saturating_sub(sum(&armed, "pings")),
            "missing": sum(&revealed, "missing"),
            "frames_delivered": frames,
            "frame_types": merge_maps(&revealed, "frame_types"),
            "server_cpu_s": cpu,
            "server_cpu_per_frame_us": cpu.filter(|_| frames > 0).map(|c| round2(c * 1e6 / frames as f64)),
            "server_sched": sched(&before, &after),
            "server_metrics": metrics_delta(&metrics_before, &metrics_after),
        }));
        reveal_hist.merge(&hist);
    }

    let idle = match idle_start {
        Some((idle, opened, rss_before, closed_within)) => {
            say(opt, "waiting for the server to close the phones that never read");
            while closed_within.get().is_none() && opened.elapsed() < Duration::from_secs(120) {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            let closed_within = closed_within.get();
            let mut codes: BTreeMap<String, u64> = BTreeMap::new();
            for phone in idle {
                let code =
                    tokio::time::timeout(Duration::from_secs(5), phone.goodbye()).await.ok().flatten().map(|(c, _)| c);
                *codes.entry(code.map_or("none".to_owned(), |c| c.to_string())).or_default() += 1;
            }
            let peak = meter.peak_rss_kb.get();
            json!({
                "count": opt.idle,
                "all_closed_within_s": closed_within,
                "close_codes": codes,
                "server_rss_kb_before": rss_before.map(|s| s.rss_kb),
                "server_rss_kb_peak_after": (peak > 0).then_some(peak),
                "server_rss_growth_mib": rss_before.filter(|_| peak > 0)
                    .map(|s| round2((peak as f64 - s.rss_kb as f64) / 1024.0)),
            })
        }
        None => json!(null),
    };

    // Final state of the connections.
    let status = workers.ask(json!({"cmd": "status"}), "status", Duration::from_secs(30)).await?;
    let open_end = sum(&status, "open");
    let closed = merge_maps(&status, "closed");
    let drops: u64 = closed.values().sum();
    let client_cpu_ticks = sum(&status, "cpu_ticks") + net::own_cpu_ticks();
    let s_end = meter.sample();

    let join_cpu = meter.cpu_s(&s_before_phones, &s_after_join_ticks);
    let rss = |s: &Option<ProcSample>| s.map(|s| s.rss_kb);
    Ok(json!({
        "tool": "chorus-load",
        "machine": machine,
        "target": target.to_string(),
        "nodes": nodes.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "server_pid": meter.pid,
        "session": code,
        "kind": kind,
        "phones": opt.phones,
        "workers": workers_n,
        "sources": sources,
        "join": {
            "joined": joined,
            "errors": join_errors,
            "seconds": round2(join_span_s),
            "rate_per_s": round2(joined as f64 / join_span_s),
            "latency": join_hist.summary_ms(),
            "server_cpu_s": join_cpu,
            "server_cpu_per_join_us": join_cpu.filter(|_| joined > 0).map(|c| round2(c * 1e6 / joined as f64)),
            "server_sched": sched(&s_before_phones, &s_after_join_ticks),
        },
        "memory": {
            "server_rss_kb_start": rss(&s_start),
            "server_rss_kb_before_phones": rss(&s_before_phones),
            "server_rss_kb_joined": rss(&s_joined),
            "server_rss_kb_end": rss(&s_end),
            "server_rss_kb_peak": (meter.peak_rss_kb.get() > 0).then(|| meter.peak_rss_kb.get()),
            "server_fds_joined": s_joined.map(|s| s.fds),
            "server_threads": s_joined.map(|s| s.threads),
            "per_connection_kb": per_conn(&s_joined),
            "kernel_tcp_per_connection_kb_both_ends": kernel_per_conn,
        },
        "hold": hold,
        "idle": idle,
        "answers": {
            "rate_asked": opt.rate,
            "duration_s": opt.duration,
            "per_phone_per_s": round2(per_phone),
            "sent": sent,
            "acked": acked,
            "unacked": unacked,
            "skipped_in_flight_cap": sum(&answered, "skipped"),
            "errors": answer_errors,
            "sent_per_s": round2(sent as f64 / window_s),
            "acked_per_s": round2(acked as f64 / ack_window_s),
            "send_window_s": round2(window_s),
            "ack_window_s": round2(ack_window_s),
            "ack_latency": ack_hist.summary_ms(),
            "server_cpu_s": answer_cpu,
            "server_cpu_cores": match (answer_cpu, answer_wall) { (Some(c), Some(w)) if w > 0.0 => Some(round2(c / w)), _ => None },
            "server_cpu_per_answer_us": answer_cpu.filter(|_| acked > 0).map(|c| round2(c * 1e6 / acked as f64)),
            "server_sched": sched(&s_answer_start, &s_answer_end),
            "server_metrics": metrics_delta(&metrics_answer_start, &metrics_answer_end),
            "tallies_exact": tallies_exact,
            "tallies_checkable": tallies_checkable,
            "tallies_expected": expected,
            "tallies_shown": shown_counts,
            "nodes_usage": meter.nodes_usage(&nodes_answer_start, &nodes_answer_end),
        },
        "goto_to_phones": { "lag": step_hist.summary_ms(), "missing": step_missing },
        "projector": {
            "tracked_answers": tracked,
            "never_shown": never_shown,
            "results_frames": screen.borrow().frames.len() - frames_before_answer.min(screen.borrow().frames.len()),
            "lag": lag.summary_ms(),
        },
        "reveal": {
            "runs": reveals,
            "lag": reveal_hist.summary_ms(),
            "frames_delivered": reveal_frames_total,
            "server_cpu_per_frame_us": (reveal_frames_total > 0 && meter.pid.is_some())
                .then(|| round2(reveal_cpu_total * 1e6 / reveal_frames_total as f64)),
        },
        "connections": { "open_at_end": open_end, "drops": drops, "closed": closed },
        "load_tool_cpu_s": round2(client_cpu_ticks as f64 / meter.ticks_per_s),
        "server_cpu_s_total": meter.cpu_s(&s_start, &s_end),
    }))
}

// ---- the table -------------------------------------------------------------------------------

fn print_table(r: &Value) {
    let ms = table::ms;
    let num = |v: &Value| v.as_f64().map(|x| format!("{x:.0}")).unwrap_or_else(|| "–".into());
    let f2 = |v: &Value| v.as_f64().map(|x| format!("{x:.2}")).unwrap_or_else(|| "–".into());
    let a = &r["answers"];
    // A cluster run (`--spawn-cluster`) is held to issue 16's targets, one process to issue 5's.
    let cluster = r["cluster"].is_object();
    let pick = |one: &str, many: &str| if cluster { many.to_owned() } else { one.to_owned() };
    let rows: Vec<(String, String, String)> = vec![
        (
            "phones joined / errors".into(),
            format!("{} / {}", r["join"]["joined"], r["join"]["errors"]),
            pick("19,000, 0 errors", "50,000, 0 errors"),
        ),
        (
            "join rate".into(),
            format!(
                "{}/s (p50 {}, p99 {})",
                num(&r["join"]["rate_per_s"]),
                ms(&r["join"]["latency"]["p50_ms"]),
                ms(&r["join"]["latency"]["p99_ms"])
            ),
            "–".into(),
        ),
        (
            "held idle / drops".into(),
            format!("{} s / {}", r["hold"]["seconds"].as_f64().unwrap_or(0.0), r["connections"]["drops"]),
            "600 s, 0 drops".into(),
        ),
        (
            "server memory per connection".into(),
            format!(
                "{} KB (RSS {} → {} KB)",
                f2(&r["memory"]["per_connection_kb"]),
                num(&r["memory"]["server_rss_kb_before_phones"]),
                num(&r["memory"]["server_rss_kb_joined"])
            ),
            "≤ 8 KB".into(),
        ),
        (
            "answers sent / acked per s".into(),
            format!("{} / {}", num(&a["sent_per_s"]), num(&a["acked_per_s"])),
            pick("≥ 50,000 acked/s", "5,000 acked/s"),
        ),
        (
            "ack latency p50 / p99 / max".into(),
            format!(
                "{} / {} / {}",
                ms(&a["ack_latency"]["p50_ms"]),
                ms(&a["ack_latency"]["p99_ms"]),
                ms(&a["ack_latency"]["max_ms"])
            ),
            pick("p99 ≤ 50 ms at 10,000/s", "–"),
        ),
        ("answer errors / unacked".into(), format!("{} / {}", a["errors"], a["unacked"]), "none".into()),
        (
            "tallies exact".into(),
            format!("{} (checkable: {})", a["tallies_exact"], a["tallies_checkable"]),
            "true".into(),
        ),
        (
            "answer → projector p50 / p99".into(),
            format!(
                "{} / {} ({} tracked)",
                ms(&r["projector"]["lag"]["p50_ms"]),
                ms(&r["projector"]["lag"]["p99_ms"]),
                r["projector"]["tracked_answers"]
            ),
            pick("≤ 50 / 150 ms", "p99 ≤ 300 ms"),
        ),
        (
            "goto → phones' step p50 / p99".into(),
            format!("{} / {}", ms(&r["goto_to_phones"]["lag"]["p50_ms"]), ms(&r["goto_to_phones"]["lag"]["p99_ms"])),
            "–".into(),
        ),
        (
            "reveal → phones p50 / p99 / max".into(),
            format!(
                "{} / {} / {}",
                ms(&r["reveal"]["lag"]["p50_ms"]),
                ms(&r["reveal"]["lag"]["p99_ms"]),
                ms(&r["reveal"]["lag"]["max_ms"])
            ),
            pick("p99 ≤ 500 ms", "p99 ≤ 2 s"),
        ),
        (
            "server CPU per delivered frame".into(),
            format!("{} µs (reveal)", f2(&r["reveal"]["server_cpu_per_frame_us"])),
            "≤ 8 µs".into(),
        ),
        (
            "server CPU per acked answer".into(),
            format!("{} µs ({} cores busy)", f2(&a["server_cpu_per_answer_us"]), f2(&a["server_cpu_cores"])),
            "–".into(),
        ),
        ("server RSS peak".into(), format!("{} KB", num(&r["memory"]["server_rss_kb_peak"])), "–".into()),
        ("load tool CPU".into(), format!("{} s", f2(&r["load_tool_cpu_s"])), "–".into()),
    ];
    let mut rows = rows;
    if cluster {
        // The server's readings in the table are every node's added up; each node's own
        // are printed after the table.
        for row in &mut rows {
            row.0 = row.0.replace("server ", "all nodes' ");
        }
    }
    let idle = &r["idle"];
    if !idle.is_null() {
        rows.push((
            format!("{} phones that never read", idle["count"]),
            format!(
                "all closed within {} s, codes {}, RSS +{} MiB",
                f2(&idle["all_closed_within_s"]),
                idle["close_codes"],
                f2(&idle["server_rss_growth_mib"])
            ),
            "closed ≤ 60 s, ≤ 64 MiB".into(),
        ));
    }
    table::print(rows);
}
