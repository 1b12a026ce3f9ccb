//! A worker process: holds a share of the phones (each process may hold ~19,900 sockets), takes
//! commands as JSON lines on standard input and answers with JSON lines on standard output.
//!
//! Runs on one thread: every phone is a local task, and the counters live in one `RefCell`.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, watch};
use tokio_tungstenite::tungstenite::Message;

use crate::hist::Hist;
use crate::net::{self, now_us};

/// Answers one phone may have waiting for their `ack` before it skips a turn.
const MAX_IN_FLIGHT: usize = 25;
/// Time for a phone to connect and be welcomed.
const JOIN_TIMEOUT: Duration = Duration::from_secs(60);

/// What the coordinator tells a worker when it starts it (one JSON argument).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerConfig {
    pub target: SocketAddr,
    /// Every node of a cluster (`--target`): phone `g` connects to `nodes[g % len]`. Empty
    /// for one server: all phones connect to `target`.
    #[serde(default)]
    pub nodes: Vec<SocketAddr>,
    pub code: String,
    /// Global index of this worker's first phone, and how many it holds.
    pub first: u32,
    pub count: u32,
    /// Source addresses: phone `g` connects from `127.0.0.(source_base + g % sources)`.
    pub sources: u32,
    pub source_base: u32,
    pub connect_concurrency: u32,
    /// The worker ends itself at this wall-clock time, whatever happens.
    pub deadline_us: u64,
    pub total_phones: u32,
    /// Groups of the session's "About you" question (0: none): phone `g` picks `g % groups`
    /// as it joins, and its join ends with the `ack`.
    #[serde(default)]
    pub groups: u32,
    /// Many sessions (`--sessions`): phone `g` joins `sessions[g / per_session]` instead of
    /// `code`, and answers that session's activity (`AnswerPlan::activities`).
    #[serde(default)]
    pub sessions: Vec<String>,
    #[serde(default)]
    pub per_session: u32,
}

impl WorkerConfig {
    /// The index in `sessions` of phone `global`'s session, when there are several.
    fn session_of(&self, global: u32) -> Option<usize> {
        (!self.sessions.is_empty() && self.per_session > 0)
            .then(|| (global / self.per_session) as usize)
            .filter(|i| *i < self.sessions.len())
    }
}

/// How a phone's answer is written and counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Shape {
    /// A scale: one statement rated per message.
    #[default]
    Scale,
    /// A multiple choice: one option chosen.
    Choice,
    /// A ranking of `items`: the chosen item first, the others after it in order.
    Ranking { items: u32 },
    /// Points over `items`: the whole budget on the chosen item.
    Points { items: u32, budget: u32 },
}

/// The answer phase, as the coordinator sets it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnswerPlan {
    pub activity: String,
    pub round: String,
    pub statements: u32,
    pub min: i64,
    pub max: i64,
    /// How an answer is sent: a scale's rating, or one whole answer of a choice, ranking or
    /// points, whose `value` is the option chosen, the item put first, or the item given the
    /// whole budget.
    #[serde(default)]
    pub shape: Shape,
    pub goto_us: u64,
    pub start_us: u64,
    pub end_us: u64,
    /// Time between two answers of one phone.
    pub period_us: u64,
    pub drain_ms: u64,
    /// Many sessions: the activity of each session (by index in `WorkerConfig::sessions`).
    #[serde(default)]
    pub activities: Vec<String>,
}

#[derive(Debug, Clone)]
enum Phase {
    Idle,
    Answer(Rc<AnswerPlan>),
    Exit,
}

#[derive(Default)]
struct Stats {
    started: u64,
    join_done: u64,
    joined: u64,
    connect_errors: u64,
    handshake_errors: u64,
    join_errors: BTreeMap<String, u64>,
    join_hist: Hist,
    first_start_us: u64,
    last_welcome_us: u64,
    open: u64,
    phase: String,
    /// Connections that ended, by phase and reason.
    closed: BTreeMap<String, u64>,
    frames: u64,
    frame_types: BTreeMap<&'static str, u64>,
    /// The server's heartbeat pings received (each answered with a pong by tungstenite).
    pings: u64,
    sent: u64,
    acked: u64,
    answer_errors: BTreeMap<String, u64>,
    skipped: u64,
    in_flight: u64,
    ack_hist: Hist,
    first_send_us: u64,
    last_send_us: u64,
    last_ack_us: u64,
    /// Wall-clock send times of acknowledged first answers, per statement.
    first_sends: Vec<Vec<u64>>,
    /// Per phone and statement: the id and value of the latest acknowledged answer.
    last_id: Vec<u64>,
    last_value: Vec<i64>,
    statements: usize,
    /// Per phone: when its latest `step` and its first `results` (since arming) arrived.
    step_at: Vec<u64>,
    results_at: Vec<u64>,
    alive: Vec<bool>,
}

struct Ctx {
    cfg: WorkerConfig,
    stats: RefCell<Stats>,
    phase: watch::Receiver<Phase>,
}

impl Ctx {
    fn source(&self, global: u32) -> Option<Ipv4Addr> {
        if self.cfg.sources == 0 {
            return None;
        }
        let last = (self.cfg.source_base + global % self.cfg.sources).clamp(2, 254);
        Some(Ipv4Addr::new(127, 0, 0, last as u8))
    }
}

fn emit(value: Value) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}

pub fn run(config_json: &str) -> anyhow::Result<()> {
    let cfg: WorkerConfig = serde_json::from_str(config_json)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let local = tokio::task::LocalSet::new();
    let deadline = Duration::from_micros(cfg.deadline_us.saturating_sub(now_us()));
    local.block_on(&runtime, async move {
        match tokio::time::timeout(deadline, serve(cfg)).await {
            Ok(result) => result,
            Err(_) => {
                emit(json!({"event": "fatal", "error": "worker reached its time limit"}));
                Ok(())
            }
        }
    })
}

async fn serve(cfg: WorkerConfig) -> anyhow::Result<()> {
    let (phase_tx, phase_rx) = watch::channel(Phase::Idle);
    let n = cfg.count as usize;
    let stats = Stats {
        phase: "join".into(),
        step_at: vec![0; n],
        results_at: vec![0; n],
        alive: vec![false; n],
        ..Stats::default()
    };
    let ctx = Rc::new(Ctx { cfg: cfg.clone(), stats: RefCell::new(stats), phase: phase_rx });
    let gate = Rc::new(Semaphore::new(cfg.connect_concurrency.max(1) as usize));
    for local in 0..cfg.count {
        tokio::task::spawn_local(phone(ctx.clone(), local as usize, cfg.first + local, gate.clone()));
    }
    // Joining: every phone either joins or fails.
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if ctx.stats.borrow().join_done >= u64::from(cfg.count) {
            break;
        }
    }
    {
        let s = ctx.stats.borrow();
        emit(json!({
            "event": "joined",
            "joined": s.joined,
            "connect_errors": s.connect_errors,
            "handshake_errors": s.handshake_errors,
            "join_errors": s.join_errors,
            "join_hist": s.join_hist.to_wire(),
            "first_start_us": s.first_start_us,
            "last_welcome_us": s.last_welcome_us,
            "open": s.open,
            "cpu_ticks": net::own_cpu_ticks(),
        }));
    }

    // Commands arrive on standard input, read by a plain thread (tokio's `io-std` is not
    // among the crate's features).
    let (line_tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if line_tx.send(line).is_err() {
                break;
            }
        }
    });
    while let Some(line) = lines.recv().await {
        let Ok(cmd) = serde_json::from_str::<Value>(&line) else { continue };
        match cmd["cmd"].as_str().unwrap_or_default() {
            "phase" => {
                ctx.stats.borrow_mut().phase = cmd["name"].as_str().unwrap_or("?").to_owned();
                emit(status(&ctx, "ok"));
            }
            "status" => emit(status(&ctx, "status")),
            "answer" => {
                let plan: AnswerPlan = serde_json::from_value(cmd["plan"].clone())?;
                answer_phase(&ctx, &phase_tx, plan).await;
            }
            "arm" => {
                let mut s = ctx.stats.borrow_mut();
                s.results_at.iter_mut().for_each(|t| *t = 0);
                drop(s);
                emit(status(&ctx, "armed"));
            }
            "stepped" => {
                let t0 = cmd["t0_us"].as_u64().unwrap_or(0);
                let wait = Duration::from_millis(cmd["wait_ms"].as_u64().unwrap_or(10_000));
                step_report(&ctx, t0, wait).await;
            }
            "reveal" => {
                let t0 = cmd["t0_us"].as_u64().unwrap_or(0);
                let wait = Duration::from_millis(cmd["wait_ms"].as_u64().unwrap_or(10_000));
                reveal_report(&ctx, t0, wait).await;
            }
            "exit" => {
                let _ = phase_tx.send(Phase::Exit);
                emit(status(&ctx, "bye"));
                tokio::time::sleep(Duration::from_millis(100)).await;
                return Ok(());
            }
            _ => {}
        }
    }
    // Standard input closed: the coordinator is gone.
    let _ = phase_tx.send(Phase::Exit);
    Ok(())
}

fn status(ctx: &Ctx, event: &str) -> Value {
    let s = ctx.stats.borrow();
    let (run_ns, minflt) = net::own_usage();
    json!({
        "event": event,
        "open": s.open,
        "closed": s.closed,
        "frames": s.frames,
        "frame_types": s.frame_types,
        "cpu_ticks": net::own_cpu_ticks(),
        "run_ns": run_ns,
        "minflt": minflt,
        "pings": s.pings,
    })
}

/// Waits until every phone still open has had a `step` since `t0` (a `goto` sent then), or
/// `wait` has passed, and reports the lag of each.
async fn step_report(ctx: &Rc<Ctx>, t0: u64, wait: Duration) {
    let until = Instant::now() + wait;
    loop {
        let done = {
            let s = ctx.stats.borrow();
            s.alive.iter().zip(&s.step_at).all(|(alive, at)| !alive || *at >= t0)
        };
        if done || Instant::now() >= until {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut report = status(ctx, "stepped");
    let s = ctx.stats.borrow();
    let mut hist = Hist::default();
    let mut missing = 0u64;
    for (alive, at) in s.alive.iter().zip(&s.step_at) {
        if !alive {
            continue;
        }
        if *at >= t0 {
            hist.record(at - t0);
        } else {
            missing += 1;
        }
    }
    report["hist"] = json!(hist.to_wire());
    report["missing"] = json!(missing);
    emit(report);
}

async fn answer_phase(ctx: &Rc<Ctx>, phase_tx: &watch::Sender<Phase>, plan: AnswerPlan) {
    {
        let mut s = ctx.stats.borrow_mut();
        let k = plan.statements as usize;
        s.statements = k;
        s.first_sends = vec![Vec::new(); k];
        s.last_id = vec![0; ctx.cfg.count as usize * k];
        s.last_value = vec![0; ctx.cfg.count as usize * k];
        s.phase = "answer".into();
        // Each answer phase is measured on its own (the workshop profile has several).
        s.sent = 0;
        s.acked = 0;
        s.skipped = 0;
        s.answer_errors.clear();
        s.ack_hist = Hist::default();
        s.first_send_us = 0;
        s.last_send_us = 0;
        s.last_ack_us = 0;
    }
    let plan = Rc::new(plan);
    let _ = phase_tx.send(Phase::Answer(plan.clone()));
    let end = Duration::from_micros(plan.end_us.saturating_sub(now_us()));
    tokio::time::sleep(end).await;
    // Drain: wait for the answers still in flight.
    let drain_until = Instant::now() + Duration::from_millis(plan.drain_ms);
    while ctx.stats.borrow().in_flight > 0 && Instant::now() < drain_until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = phase_tx.send(Phase::Idle);
    let s = ctx.stats.borrow();
    let k = s.statements;
    let span = (plan.max - plan.min + 1).max(1) as usize;
    let mut tallies = vec![vec![0u64; span]; k];
    let mut answered = vec![0u64; k];
    for (i, id) in s.last_id.iter().enumerate() {
        if *id > 0 {
            let v = (s.last_value[i] - plan.min).clamp(0, span as i64 - 1) as usize;
            tallies[i % k][v] += 1;
            answered[i % k] += 1;
        }
    }
    // Many sessions: the tallies of each session's phones held here, by session index.
    let mut session_tallies: BTreeMap<usize, Vec<Vec<u64>>> = BTreeMap::new();
    if !ctx.cfg.sessions.is_empty() && k > 0 {
        for (i, id) in s.last_id.iter().enumerate() {
            let Some(session) = ctx.cfg.session_of(ctx.cfg.first + (i / k) as u32) else { continue };
            let row = session_tallies.entry(session).or_insert_with(|| vec![vec![0u64; span]; k]);
            if *id > 0 {
                let v = (s.last_value[i] - plan.min).clamp(0, span as i64 - 1) as usize;
                row[i % k][v] += 1;
            }
        }
    }
    let mut step_hist = Hist::default();
    let mut step_missing = 0u64;
    for (i, at) in s.step_at.iter().enumerate() {
        if !s.alive[i] {
            continue;
        }
        if *at >= plan.goto_us {
            step_hist.record(at - plan.goto_us);
        } else {
            step_missing += 1;
        }
    }
    emit(json!({
        "event": "answered",
        "sent": s.sent,
        "acked": s.acked,
        "errors": s.answer_errors,
        "unacked": s.in_flight,
        "skipped": s.skipped,
        "ack_hist": s.ack_hist.to_wire(),
        "first_send_us": s.first_send_us,
        "last_send_us": s.last_send_us,
        "last_ack_us": s.last_ack_us,
        "first_sends": s.first_sends,
        "tallies": tallies,
        "session_tallies": session_tallies,
        "answered": answered,
        "step_hist": step_hist.to_wire(),
        "step_missing": step_missing,
        "open": s.open,
        "closed": s.closed,
        "frames": s.frames,
        "frame_types": s.frame_types,
        "cpu_ticks": net::own_cpu_ticks(),
        "run_ns": net::own_usage().0,
        "minflt": net::own_usage().1,
        "pings": s.pings,
    }));
}

async fn reveal_report(ctx: &Rc<Ctx>, t0: u64, wait: Duration) {
    let until = Instant::now() + wait;
    loop {
        let done = {
            let s = ctx.stats.borrow();
            s.alive.iter().zip(&s.results_at).all(|(alive, at)| !alive || *at > 0)
        };
        if done || Instant::now() >= until {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let s = ctx.stats.borrow();
    let mut hist = Hist::default();
    let mut missing = 0u64;
    for (alive, at) in s.alive.iter().zip(&s.results_at) {
        if !alive {
            continue;
        }
        if *at > 0 {
            hist.record(at.saturating_sub(t0));
        } else {
            missing += 1;
        }
    }
    let (run_ns, minflt) = net::own_usage();
    emit(json!({
        "event": "revealed",
        "hist": hist.to_wire(),
        "missing": missing,
        "open": s.open,
        "closed": s.closed,
        "frames": s.frames,
        "frame_types": s.frame_types,
        "cpu_ticks": net::own_cpu_ticks(),
        "run_ns": run_ns,
        "minflt": minflt,
        "pings": s.pings,
    }));
}

/// An answer waiting for its `ack`.
struct InFlight {
    id: u64,
    sent: Instant,
    sent_us: u64,
    statement: u32,
    value: i64,
    first: bool,
}

/// A small deterministic generator for answer values.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

async fn phone(ctx: Rc<Ctx>, local: usize, global: u32, gate: Rc<Semaphore>) {
    let permit = gate.acquire().await.ok();
    let t0 = Instant::now();
    {
        let mut s = ctx.stats.borrow_mut();
        s.started += 1;
        if s.first_start_us == 0 {
            s.first_start_us = now_us();
        }
    }
    let joined = tokio::time::timeout(JOIN_TIMEOUT, join(&ctx, global)).await;
    let mut ws = {
        let mut s = ctx.stats.borrow_mut();
        s.join_done += 1;
        match joined {
            Ok(Ok(ws)) => {
                s.joined += 1;
                s.open += 1;
                s.alive[local] = true;
                s.join_hist.record(t0.elapsed().as_micros() as u64);
                s.last_welcome_us = s.last_welcome_us.max(now_us());
                ws
            }
            Ok(Err(JoinError::Connect(e))) => {
                s.connect_errors += 1;
                *s.join_errors.entry(format!("connect: {}", e.kind())).or_default() += 1;
                return;
            }
            Ok(Err(JoinError::Handshake(e))) => {
                s.handshake_errors += 1;
                let short: String = e.chars().take(60).collect();
                *s.join_errors.entry(format!("handshake: {short}")).or_default() += 1;
                return;
            }
            Ok(Err(JoinError::Refused(code))) => {
                *s.join_errors.entry(code).or_default() += 1;
                return;
            }
            Err(_) => {
                *s.join_errors.entry("timeout".into()).or_default() += 1;
                return;
            }
        }
    };
    drop(permit);

    let mut phase = ctx.phase.clone();
    let mut plan: Option<Rc<AnswerPlan>> = None;
    let mut next_send: Option<Instant> = None;
    let mut end_at = Instant::now();
    let mut answers: u32 = 0;
    let mut next_id: u64 = 1;
    let mut in_flight: VecDeque<InFlight> = VecDeque::new();
    let mut counted: u32 = 0;
    let mut first_pending: u32 = 0;
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15 ^ (u64::from(global) + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let mut prefix = String::new();
    let sleep = tokio::time::sleep(Duration::from_secs(86_400));
    tokio::pin!(sleep);

    let reason: String = loop {
        tokio::select! {
            biased;
            message = ws.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    on_text(&ctx, local, text.as_str(), &mut in_flight, &mut counted, &mut first_pending);
                }
                Some(Ok(Message::Close(frame))) => {
                    break match frame {
                        Some(f) => format!("closed by server {} {}", u16::from(f.code), f.reason.as_str()),
                        None => "closed by server".into(),
                    };
                }
                Some(Ok(Message::Ping(_))) => ctx.stats.borrow_mut().pings += 1,
                Some(Ok(_)) => {}
                Some(Err(e)) => break format!("error: {e}"),
                None => break "connection ended".into(),
            },
            () = &mut sleep, if next_send.is_some() => {
                let Some(p) = plan.as_ref() else { next_send = None; continue };
                let now = Instant::now();
                if now >= end_at {
                    next_send = None;
                    continue;
                }
                if in_flight.len() >= MAX_IN_FLIGHT {
                    ctx.stats.borrow_mut().skipped += 1;
                } else {
                    let statement = (answers + global) % p.statements.max(1);
                    let span = (p.max - p.min + 1).max(1) as u64;
                    let value = p.min + (next_random(&mut rng) % span) as i64;
                    let bit = 1u32 << statement;
                    let first = (counted | first_pending) & bit == 0;
                    if first {
                        first_pending |= bit;
                    }
                    let id = next_id;
                    next_id += 1;
                    let text = match p.shape {
                        Shape::Scale => format!("{prefix}{id},\"statement\":{statement},\"value\":{value}}}"),
                        Shape::Choice => format!("{prefix}{id},\"choices\":[{value}]}}"),
                        Shape::Ranking { items } => {
                            let rest = (0..i64::from(items)).filter(|&i| i != value).map(|i| format!(",{i}"));
                            format!("{prefix}{id},\"order\":[{value}{}]}}", rest.collect::<String>())
                        }
                        Shape::Points { items, budget } => {
                            let spread = (0..i64::from(items))
                                .map(|i| if i == value { budget.to_string() } else { "0".to_owned() })
                                .collect::<Vec<_>>()
                                .join(",");
                            format!("{prefix}{id},\"points\":[{spread}]}}")
                        }
                    };
                    let sent_us = now_us();
                    if let Err(e) = ws.send(Message::text(text)).await {
                        break format!("send: {e}");
                    }
                    in_flight.push_back(InFlight { id, sent: now, sent_us, statement, value, first });
                    let mut s = ctx.stats.borrow_mut();
                    s.sent += 1;
                    s.in_flight += 1;
                    if s.first_send_us == 0 || sent_us < s.first_send_us {
                        s.first_send_us = sent_us;
                    }
                    s.last_send_us = s.last_send_us.max(sent_us);
                }
                answers += 1;
                let period = Duration::from_micros(p.period_us.max(1));
                let mut next = next_send.unwrap_or(now) + period;
                // Never catch up in a burst: a phone that fell behind keeps its pace from now.
                if next < now {
                    next = now + period / 2;
                }
                next_send = Some(next);
                sleep.as_mut().reset(next.into());
            }
            changed = phase.changed() => {
                if changed.is_err() {
                    break "worker ended".into();
                }
                let current = phase.borrow_and_update().clone();
                match current {
                    Phase::Answer(p) => {
                        let now_wall = now_us();
                        let now = Instant::now();
                        let start = now + Duration::from_micros(p.start_us.saturating_sub(now_wall));
                        end_at = now + Duration::from_micros(p.end_us.saturating_sub(now_wall));
                        // Spread the phones evenly over one period.
                        let offset = (u64::from(global).wrapping_mul(2_654_435_761)) % p.period_us.max(1);
                        let first = start + Duration::from_micros(offset);
                        prefix = format!(
                            "{{\"type\":\"answer\",\"activity\":{},\"round\":{},\"id\":",
                            serde_json::to_string(
                                ctx.cfg.session_of(global).and_then(|i| p.activities.get(i)).unwrap_or(&p.activity)
                            )
                            .unwrap_or_default(),
                            serde_json::to_string(&p.round).unwrap_or_default()
                        );
                        answers = 0;
                        counted = 0;
                        first_pending = 0;
                        next_send = Some(first);
                        sleep.as_mut().reset(first.into());
                        plan = Some(p);
                    }
                    Phase::Idle => {
                        next_send = None;
                    }
                    Phase::Exit => break "exit".into(),
                }
            }
        }
    };
    let mut s = ctx.stats.borrow_mut();
    s.open = s.open.saturating_sub(1);
    s.alive[local] = false;
    s.in_flight = s.in_flight.saturating_sub(in_flight.len() as u64);
    if reason != "exit" {
        let key = format!("{}: {}", s.phase, reason);
        *s.closed.entry(key).or_default() += 1;
    }
}

enum JoinError {
    Connect(std::io::Error),
    Handshake(String),
    Refused(String),
}

async fn join(ctx: &Ctx, global: u32) -> Result<net::Ws, JoinError> {
    let target = match ctx.cfg.nodes.len() {
        0 => ctx.cfg.target,
        nodes => ctx.cfg.nodes[global as usize % nodes],
    };
    let mut ws = net::open_ws(ctx.source(global), target).await.map_err(|e| match e {
        net::OpenError::Connect(e) => JoinError::Connect(e),
        net::OpenError::Handshake(e) => JoinError::Handshake(e),
    })?;
    let code = ctx.cfg.session_of(global).map_or(&ctx.cfg.code, |i| &ctx.cfg.sessions[i]);
    let hello = json!({"type": "join", "code": code, "token": null}).to_string();
    ws.send(Message::text(hello)).await.map_err(|e| JoinError::Handshake(e.to_string()))?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => {
                let text = text.as_str();
                if text.starts_with("{\"type\":\"welcome\"") {
                    if ctx.cfg.groups == 0 {
                        return Ok(ws);
                    }
                    // Id 0: the phone's answers count from 1.
                    let group = json!({"type": "group", "id": 0, "group": global % ctx.cfg.groups}).to_string();
                    ws.send(Message::text(group)).await.map_err(|e| JoinError::Handshake(e.to_string()))?;
                }
                if text.starts_with("{\"type\":\"ack\",\"id\":0}") {
                    return Ok(ws);
                }
                if text.starts_with("{\"type\":\"error\"") {
                    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
                    return Err(JoinError::Refused(format!("refused: {}", v["error"].as_str().unwrap_or("?"))));
                }
            }
            Some(Ok(Message::Close(frame))) => {
                return Err(JoinError::Refused(format!(
                    "closed at join: {}",
                    frame.map(|f| u16::from(f.code)).unwrap_or(0)
                )));
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(JoinError::Handshake(e.to_string())),
            None => return Err(JoinError::Refused("ended at join".into())),
        }
    }
}

fn frame_type(text: &str) -> &'static str {
    const KINDS: [&str; 8] = ["ack", "error", "step", "results", "mine", "counts", "welcome", "session_closed"];
    let Some(rest) = text.strip_prefix("{\"type\":\"") else { return "other" };
    for kind in KINDS {
        if rest.starts_with(kind) && rest[kind.len()..].starts_with('"') {
            return kind;
        }
    }
    "other"
}

fn on_text(
    ctx: &Ctx,
    local: usize,
    text: &str,
    in_flight: &mut VecDeque<InFlight>,
    counted: &mut u32,
    first_pending: &mut u32,
) {
    let kind = frame_type(text);
    let mut s = ctx.stats.borrow_mut();
    s.frames += 1;
    *s.frame_types.entry(kind).or_default() += 1;
    match kind {
        "ack" => {
            let id = text
                .strip_prefix("{\"type\":\"ack\",\"id\":")
                .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|digits| digits.parse::<u64>().ok());
            let Some(id) = id else { return };
            let Some(pos) = in_flight.iter().position(|f| f.id == id) else { return };
            let Some(done) = in_flight.remove(pos) else { return };
            s.acked += 1;
            s.in_flight = s.in_flight.saturating_sub(1);
            s.last_ack_us = now_us();
            s.ack_hist.record(done.sent.elapsed().as_micros() as u64);
            let k = s.statements;
            let slot = local * k + done.statement as usize;
            if k > 0 && slot < s.last_id.len() && s.last_id[slot] < done.id {
                s.last_id[slot] = done.id;
                s.last_value[slot] = done.value;
            }
            let bit = 1u32 << done.statement;
            *counted |= bit;
            if done.first {
                *first_pending &= !bit;
                if let Some(list) = s.first_sends.get_mut(done.statement as usize) {
                    list.push(done.sent_us);
                }
            }
        }
        "error" => {
            let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            let code = v["error"].as_str().unwrap_or("?").to_owned();
            *s.answer_errors.entry(code).or_default() += 1;
            if let Some(id) = v["id"].as_u64()
                && let Some(pos) = in_flight.iter().position(|f| f.id == id)
                && let Some(done) = in_flight.remove(pos)
            {
                s.in_flight = s.in_flight.saturating_sub(1);
                if done.first {
                    *first_pending &= !(1u32 << done.statement);
                }
            }
        }
        "step" => {
            s.step_at[local] = now_us();
        }
        "results" if s.results_at[local] == 0 => {
            s.results_at[local] = now_us();
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::frame_type;

    #[test]
    fn frame_types_by_prefix() {
        assert_eq!(frame_type(r#"{"type":"ack","id":7}"#), "ack");
        assert_eq!(frame_type(r#"{"type":"results","activity":"a"}"#), "results");
        assert_eq!(frame_type(r#"{"type":"step","activity":null}"#), "step");
        assert_eq!(frame_type(r#"{"type":"session_closed"}"#), "session_closed");
        assert_eq!(frame_type(r#"{"type":"welcome_host"}"#), "other");
    }
}
