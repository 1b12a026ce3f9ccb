//! `--spawn-cluster N`: a scratch PostgreSQL cluster and nats-server on free loopback ports
//! (the tests' own [`chorus::cluster::scratch`]), N `chorus serve` nodes on them, and the two
//! measurements only a cluster has: many sessions spread over the nodes (`--sessions`), and
//! the time a session takes to change hands when its owner is killed (`--takeovers`).
//!
//! Everything started here is stopped at the end, also after an error or Ctrl-C: the nodes by
//! SIGTERM (SIGKILL after 20 s), NATS by SIGKILL, PostgreSQL by `pg_ctl stop -m immediate`,
//! and every temporary directory removed.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use chorus::cluster::scratch::{Scratch, ScratchNats};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};

use crate::table;
use sqlx::Connection;
use tokio_tungstenite::tungstenite::Message;

use crate::net::{self, ProcSample, proc_sample};
use crate::worker::{AnswerPlan, Shape, WorkerConfig};
use crate::{Opt, SpawnedServer, Workers, merge_hists, merge_maps, open_staff, round2, say, spawn_server, sum};

/// Open files the tool leaves to a node beside its phones (pool, NATS, logs, sessions).
const FD_HEADROOM: u64 = 1_000;

/// A PostgreSQL cluster, a NATS server and N nodes, all this tool's.
pub struct Cluster {
    exe: PathBuf,
    /// Kept for its `Drop`, which stops PostgreSQL and removes its files.
    _pg: Scratch,
    nats: ScratchNats,
    pub database: String,
    nodes: Vec<Option<SpawnedServer>>,
    pub addrs: Vec<SocketAddr>,
    /// Peak RSS (KB) and open files of each node, polled every half second.
    peaks: Rc<RefCell<Vec<(u64, u64)>>>,
    /// Times each node was killed and started again (its CPU over the run is then unknown).
    restarts: Vec<u32>,
}

/// The `chorus` binary to start: `--chorus`, else the one beside this program (so a release
/// `chorus-load` starts a release `chorus`).
pub fn chorus_binary(given: Option<&PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(path) = given {
        return Ok(path.clone());
    }
    let exe = std::env::current_exe().context("cannot find this program")?;
    let beside = exe.with_file_name("chorus");
    if beside.exists() { Ok(beside) } else { bail!("no chorus beside {}: give --chorus PATH", exe.display()) }
}

/// The soft limit of open files of this process (the nodes and workers inherit it).
pub fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

impl Cluster {
    pub async fn start(exe: &Path, n: u32) -> anyhow::Result<Self> {
        // The scratch cluster panics with what went wrong (it is the tests' helper); its
        // `initdb` and start take about a second, blocking is fine before anything else runs.
        let pg = std::panic::catch_unwind(Scratch::start)
            .map_err(|_| anyhow!("cannot start a scratch PostgreSQL (apt-get install postgresql)"))?;
        let nats = std::panic::catch_unwind(ScratchNats::start)
            .map_err(|_| anyhow!("cannot start nats-server (apt-get install nats-server)"))?;
        let database = pg.database().await;
        let mut cluster = Self {
            exe: exe.to_owned(),
            _pg: pg,
            nats,
            database,
            nodes: Vec::new(),
            addrs: Vec::new(),
            peaks: Rc::new(RefCell::new(vec![(0, 0); n as usize])),
            restarts: vec![0; n as usize],
        };
        for _ in 0..n {
            match spawn_server(&cluster.exe, "127.0.0.1:0", &cluster.node_args()).await {
                Ok((addr, node)) => {
                    cluster.addrs.push(addr);
                    cluster.nodes.push(Some(node));
                }
                Err(err) => {
                    cluster.stop().await;
                    return Err(err);
                }
            }
        }
        for addr in cluster.addrs.clone() {
            if let Err(err) = wait_healthy(addr).await {
                cluster.stop().await;
                return Err(err);
            }
        }
        let peaks = cluster.peaks.clone();
        let pids = cluster.pids();
        tokio::task::spawn_local(async move {
            loop {
                for (i, pid) in pids.iter().enumerate() {
                    if let Some(s) = pid.and_then(proc_sample) {
                        let mut peaks = peaks.borrow_mut();
                        peaks[i] = (peaks[i].0.max(s.rss_kb), peaks[i].1.max(s.fds));
                    }
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
        Ok(cluster)
    }

    fn node_args(&self) -> Vec<String> {
        vec!["--database-url".into(), self.database.clone(), "--nats-url".into(), self.nats.url()]
    }

    pub fn pids(&self) -> Vec<Option<u32>> {
        self.nodes.iter().map(|n| n.as_ref().map(|n| n.pid)).collect()
    }

    pub fn sample(&self) -> Vec<Option<ProcSample>> {
        self.pids().into_iter().map(|pid| pid.and_then(proc_sample)).collect()
    }

    /// Each node's CPU seconds between two samples, and its RSS now and at its peak.
    pub fn usage(&self, a: &[Option<ProcSample>], b: &[Option<ProcSample>], ticks_per_s: f64) -> Value {
        let peaks = self.peaks.borrow();
        let nodes: Vec<Value> = (0..self.addrs.len())
            .map(|i| {
                let (a, b) = (a.get(i).copied().flatten(), b.get(i).copied().flatten());
                json!({
                    "node": i,
                    "addr": self.addrs[i].to_string(),
                    "restarts": self.restarts[i],
                    "cpu_s": match (a, b) {
                        (Some(a), Some(b)) if self.restarts[i] == 0 => Some(round2(b.cpu_ticks.saturating_sub(a.cpu_ticks) as f64 / ticks_per_s)),
                        _ => None,
                    },
                    "cpu_cores": match (a, b) {
                        (Some(a), Some(b)) if self.restarts[i] == 0 && b.at_us > a.at_us => Some(round2(
                            b.cpu_ticks.saturating_sub(a.cpu_ticks) as f64 / ticks_per_s / ((b.at_us - a.at_us) as f64 / 1e6),
                        )),
                        _ => None,
                    },
                    "rss_kb_end": b.map(|s| s.rss_kb),
                    "rss_kb_peak": peaks.get(i).map(|p| p.0).max(b.map(|s| s.rss_kb)).filter(|p| *p > 0),
                    "fds_end": b.map(|s| s.fds),
                    "fds_peak": peaks.get(i).map(|p| p.1).filter(|p| *p > 0),
                })
            })
            .collect();
        json!(nodes)
    }

    /// Kills node `i` at once (SIGKILL), as a crash would.
    async fn kill(&mut self, i: usize) {
        if let Some(mut node) = self.nodes[i].take() {
            let _ = node.child.start_kill();
            let _ = node.child.wait().await;
            let _ = std::fs::remove_dir_all(&node.data_dir);
        }
    }

    /// Starts node `i` again on its address.
    async fn restart(&mut self, i: usize) -> anyhow::Result<()> {
        let bind = self.addrs[i].to_string();
        let mut tries = 0;
        let (addr, node) = loop {
            match spawn_server(&self.exe, &bind, &self.node_args()).await {
                Ok(started) => break started,
                // The port may linger a moment after the kill.
                Err(_) if tries < 20 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(err) => return Err(err),
            }
        };
        self.nodes[i] = Some(node);
        self.restarts[i] += 1;
        wait_healthy(addr).await
    }

    /// Stops every node (SIGTERM), then NATS and PostgreSQL (by dropping them).
    pub async fn stop(mut self) {
        for node in self.nodes.iter_mut() {
            if let Some(node) = node.take() {
                node.stop().await;
            }
        }
        self.nats.stop();
    }

    /// Warnings and errors the nodes logged, summed, with a few lines.
    pub fn log_problems(&self) -> (u64, Vec<String>) {
        let mut count = 0;
        let mut first = Vec::new();
        for node in self.nodes.iter().flatten() {
            let (n, sample) = node.log_problems();
            count += n;
            first.extend(sample);
        }
        first.truncate(5);
        (count, first)
    }

    /// The sum of a metric over the nodes given (those that answer).
    async fn metric_sum(&self, nodes: &[usize], name: &str) -> f64 {
        let mut total = 0.0;
        for i in nodes {
            if let Some(metrics) = net::scrape_metrics(self.addrs[*i]).await {
                total += metrics.iter().filter(|(k, _)| k.split('{').next() == Some(name)).map(|(_, v)| v).sum::<f64>();
            }
        }
        total
    }

    /// `chorus_sessions_owned` of every node (None: no answer).
    async fn owned(&self) -> Vec<Option<f64>> {
        let mut out = Vec::new();
        for (i, addr) in self.addrs.iter().enumerate() {
            if self.nodes[i].is_none() {
                out.push(None);
                continue;
            }
            let metrics = net::scrape_metrics(*addr).await;
            out.push(metrics.and_then(|m| m.get("chorus_sessions_owned").copied()));
        }
        out
    }
}

/// Waits until `/healthz` answers 200 (60 s at most).
async fn wait_healthy(addr: SocketAddr) -> anyhow::Result<()> {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok((200, _)) = net::http(addr, "GET", "/healthz", None, None).await {
            return Ok(());
        }
        if Instant::now() > until {
            bail!("the node on {addr} was not healthy within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Refuses a run whose phones per node would pass the open-files limit.
pub fn check_fds(phones: u64, nodes: u32) -> anyhow::Result<()> {
    let Some(limit) = open_files_limit() else { return Ok(()) };
    let per_node = phones.div_ceil(u64::from(nodes.max(1)));
    if per_node + FD_HEADROOM > limit {
        bail!(
            "{per_node} phones per node need about {} open files, above this shell's limit of {limit}: \
             add nodes or raise `ulimit -n`",
            per_node + FD_HEADROOM
        );
    }
    Ok(())
}

fn median(sorted: &[f64]) -> Option<f64> {
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[n / 2]),
        n => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

async fn create_session(addr: SocketAddr, body: &Value) -> anyhow::Result<(String, String)> {
    let (status, text) = net::http(addr, "POST", "/api/sessions", Some(&body.to_string()), None).await?;
    if status != 201 {
        bail!("POST /api/sessions on {addr} answered {status}: {text}");
    }
    let created: Value = serde_json::from_str(&text)?;
    Ok((
        created["code"].as_str().ok_or_else(|| anyhow!("no code in {text}"))?.to_owned(),
        created["host_key"].as_str().ok_or_else(|| anyhow!("no host key"))?.to_owned(),
    ))
}

// ---- many sessions ---------------------------------------------------------------------------

/// One session of `--sessions`: where it was made, its keys and its scale.
struct Made {
    node: usize,
    code: String,
    host_key: String,
    activity: String,
}

/// `--sessions M`: M sessions of `--phones` phones each, session j created (and so owned)
/// on node j mod N, its phones spread over every node; every phone answers at
/// `--rate` / (M × phones) a second. Reports ack latency over all, exact tallies per session
/// (the projector's counts through each session's export, against each phone's last
/// acknowledged answer), and how the owners spread by every node's `chorus_sessions_owned`
/// and the lease table.
pub async fn sessions(
    opt: &Opt,
    cluster: &Cluster,
    ticks_per_s: f64,
    deadline_us: u64,
    workers_slot: &mut Option<Workers>,
) -> anyhow::Result<Value> {
    let m = opt.sessions as usize;
    let n = cluster.addrs.len();
    let total = opt.sessions * opt.phones;
    let statements: Vec<String> = (1..=opt.statements).map(|i| format!("Statement {i}")).collect();
    let round = "Before".to_owned();

    // Create the sessions, 16 at a time, and show each one's scale from a console on the
    // node that made it.
    say(opt, format!("creating {m} sessions over {n} nodes"));
    let t_create = Instant::now();
    let made: Rc<RefCell<Vec<Option<Made>>>> = Rc::new(RefCell::new((0..m).map(|_| None).collect()));
    let consoles = Rc::new(RefCell::new(Vec::new()));
    let next = Rc::new(Cell::new(0usize));
    let mut creators = Vec::new();
    for _ in 0..16.min(m) {
        let (made, consoles, next, statements, round, addrs) =
            (made.clone(), consoles.clone(), next.clone(), statements.clone(), round.clone(), cluster.addrs.clone());
        creators.push(tokio::task::spawn_local(async move {
            loop {
                let j = next.get();
                if j >= made.borrow().len() {
                    return Ok::<(), anyhow::Error>(());
                }
                next.set(j + 1);
                let node = j % addrs.len();
                let body = json!({
                    "title": format!("chorus-load, session {j}"),
                    "agenda": [{"kind": "scale", "title": "Load test", "statements": statements,
                                "min": 1, "max": 5, "rounds": [round, "After"]}],
                });
                let (code, host_key) = create_session(addrs[node], &body).await?;
                let (console, welcome) = open_staff(
                    addrs[node],
                    json!({"type": "host", "code": code, "key": host_key}),
                    "welcome_host",
                    None,
                )
                .await?;
                let activity = welcome["session"]["agenda"][0]["id"]
                    .as_str()
                    .ok_or_else(|| anyhow!("session {code} has no activity"))?
                    .to_owned();
                console.request(json!({"type": "goto", "activity": activity, "round": round})).await?;
                consoles.borrow_mut().push(console);
                made.borrow_mut()[j] = Some(Made { node, code, host_key, activity });
            }
        }));
    }
    for creator in creators {
        creator.await.map_err(|e| anyhow!("{e}"))??;
    }
    let made: Vec<Made> = made.take().into_iter().flatten().collect();
    let create_s = t_create.elapsed().as_secs_f64();
    say(opt, format!("{} sessions created in {create_s:.1} s", made.len()));

    // Workers: phone g joins session g / phones, on node g mod N.
    let workers_n = total.div_ceil(opt.phones_per_worker);
    let sources = opt.sources.unwrap_or_else(|| total.div_ceil(5000)).clamp(1, 200);
    let source_base = 2 + std::process::id() % (253 - sources).max(1);
    let codes: Vec<String> = made.iter().map(|s| s.code.clone()).collect();
    let mut configs = Vec::new();
    let mut first = 0;
    for w in 0..workers_n {
        let count = total / workers_n + u32::from(w < total % workers_n);
        configs.push(WorkerConfig {
            target: cluster.addrs[0],
            nodes: cluster.addrs.clone(),
            code: codes[0].clone(),
            first,
            count,
            sources,
            source_base,
            connect_concurrency: opt.connect_concurrency.div_ceil(workers_n).max(1),
            deadline_us: deadline_us + 5_000_000,
            total_phones: total,
            groups: 0,
            sessions: codes.clone(),
            per_session: opt.phones,
        });
        first += count;
    }
    say(opt, format!("connecting {total} phones: {workers_n} worker process(es), {sources} source address(es)"));
    *workers_slot = Some(Workers::spawn(configs).await?);
    let workers = workers_slot.as_mut().ok_or_else(|| anyhow!("no workers"))?;
    let joined_reports = workers.collect("joined", Duration::from_secs(600)).await?;
    let joined = sum(&joined_reports, "joined");
    let join_errors = merge_maps(&joined_reports, "join_errors");
    say(opt, format!("{joined} joined; errors {join_errors:?}"));

    let per_phone = opt.rate / f64::from(total);
    let period_us = if opt.rate > 0.0 { (1e6 / per_phone) as u64 } else { u64::MAX / 4 };
    let start_us = net::now_us() + 300_000;
    let plan = AnswerPlan {
        activity: made[0].activity.clone(),
        round: round.clone(),
        statements: opt.statements,
        min: 1,
        max: 5,
        shape: Shape::Scale,
        goto_us: 0,
        start_us,
        end_us: start_us + (opt.duration * 1e6) as u64,
        period_us,
        drain_ms: opt.drain_ms,
        activities: made.iter().map(|s| s.activity.clone()).collect(),
    };
    say(
        opt,
        format!(
            "answering: {} answers/s for {} s ({:.1} answers a minute per phone)",
            opt.rate,
            opt.duration,
            per_phone * 60.0
        ),
    );
    workers.ask(json!({"cmd": "phase", "name": "answer"}), "ok", Duration::from_secs(30)).await?;
    let s_before = cluster.sample();
    workers.tell(&json!({"cmd": "answer", "plan": plan})).await?;
    let answered = workers
        .collect("answered", Duration::from_secs_f64(opt.duration + opt.drain_ms as f64 / 1000.0 + 60.0))
        .await?;
    let s_after = cluster.sample();
    let sent = sum(&answered, "sent");
    let acked = sum(&answered, "acked");
    let unacked = sum(&answered, "unacked");
    let errors = merge_maps(&answered, "errors");
    let ack_hist = merge_hists(&answered, "ack_hist");
    say(
        opt,
        format!(
            "answered: {sent} sent, {acked} acked, {unacked} unacked, errors {errors:?}; ack p99 {:?} ms",
            ack_hist.quantile(0.99).map(|v| v as f64 / 1000.0)
        ),
    );

    // Exact tallies per session: what each session's export counts (read from PostgreSQL by
    // a node that did not make it) against the last acknowledged answer of each of its phones.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut expected: BTreeMap<usize, Vec<Vec<u64>>> = BTreeMap::new();
    for report in &answered {
        if let Some(map) = report["session_tallies"].as_object() {
            for (j, rows) in map {
                let Ok(j) = j.parse::<usize>() else { continue };
                let rows: Vec<Vec<u64>> = serde_json::from_value(rows.clone()).unwrap_or_default();
                let entry = expected.entry(j).or_insert_with(|| rows.iter().map(|r| vec![0; r.len()]).collect());
                for (e, r) in entry.iter_mut().zip(&rows) {
                    for (a, b) in e.iter_mut().zip(r) {
                        *a += b;
                    }
                }
            }
        }
    }
    let mut exact = 0u64;
    let mut differ = Vec::new();
    for (j, session) in made.iter().enumerate() {
        let reader = cluster.addrs[(session.node + 1) % n];
        let path = format!("/api/sessions/{}/export/json", session.code);
        let shown = match net::http(reader, "GET", &path, None, Some(&session.host_key)).await {
            Ok((200, text)) => serde_json::from_str::<Value>(&text).ok().map(|v| export_counts(&v, &round)),
            _ => None,
        };
        let want = expected.get(&j).cloned().unwrap_or_default();
        if shown.as_ref() == Some(&want) {
            exact += 1;
        } else if differ.len() < 5 {
            differ.push(json!({"session": session.code, "expected": want, "shown": shown}));
        } else {
            differ.push(Value::Null);
        }
    }
    let differing = differ.len();
    differ.retain(|d| !d.is_null());
    say(opt, format!("tallies: {exact} sessions exact, {differing} differ"));

    // Owners: every node's count, and the lease table.
    let owned = cluster.owned().await;
    let counts: Vec<f64> = owned.iter().map(|o| o.unwrap_or(0.0)).collect();
    let owned_sum: f64 = counts.iter().sum();
    let even = m as f64 / n as f64;
    let (most, least) = (counts.iter().copied().fold(0.0, f64::max), counts.iter().copied().fold(f64::MAX, f64::min));
    let leases = lease_table(&cluster.database, &codes).await;
    // Each node's own count against the lease table's live leases per owner (node ids are
    // not addresses: compared as sorted lists).
    let metrics_match_leases = {
        let mut from_metrics: Vec<i64> = counts.iter().map(|c| *c as i64).filter(|c| *c > 0).collect();
        let mut from_leases: Vec<i64> = serde_json::from_value(leases["live_per_owner"].clone()).unwrap_or_default();
        from_metrics.sort_unstable();
        from_leases.sort_unstable();
        from_metrics == from_leases
    };
    say(
        opt,
        format!(
            "owners: {counts:?} (sum {owned_sum}, even {even:.1}, max {:+.1}%, min {:+.1}%); leases {leases}",
            (most / even - 1.0) * 100.0,
            (least / even - 1.0) * 100.0
        ),
    );
    let status = workers.ask(json!({"cmd": "status"}), "status", Duration::from_secs(30)).await?;
    let closed = merge_maps(&status, "closed");

    Ok(json!({
        "tool": "chorus-load",
        "mode": "sessions",
        "nodes": cluster.addrs.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "sessions": m,
        "phones_per_session": opt.phones,
        "phones": total,
        "workers": workers_n,
        "sources": sources,
        "create_seconds": round2(create_s),
        "join": { "joined": joined, "errors": join_errors },
        "answers": {
            "rate_asked": opt.rate,
            "per_phone_per_min": round2(per_phone * 60.0),
            "duration_s": opt.duration,
            "sent": sent,
            "acked": acked,
            "unacked": unacked,
            "errors": errors,
            "ack_latency": ack_hist.summary_ms(),
            "nodes_usage": cluster.usage(&s_before, &s_after, ticks_per_s),
        },
        "tallies": { "sessions_exact": exact, "sessions_differ": differing, "first_differing": differ },
        "owners": {
            "per_node": owned,
            "sum": owned_sum,
            "even": round2(even),
            "max_vs_even_pct": round2((most / even - 1.0) * 100.0),
            "min_vs_even_pct": round2((least / even - 1.0) * 100.0),
            "owned_once": owned_sum == m as f64 && leases["sessions_with_lease"] == json!(m)
                && leases["live_owner_rows"] == json!(m) && metrics_match_leases,
            "leases": leases,
            "metrics_match_leases": metrics_match_leases,
        },
        "connections": { "open_at_end": sum(&status, "open"), "drops": closed.values().sum::<u64>(), "closed": closed },
    }))
}

/// The counts per statement of the first activity's `round` in a session's JSON export.
fn export_counts(export: &Value, round: &str) -> Vec<Vec<u64>> {
    let results = &export["activities"][0]["results"];
    results["statements"]
        .as_array()
        .map(|statements| {
            statements
                .iter()
                .map(|s| {
                    s["rounds"][round]["counts"]
                        .as_array()
                        .map(|c| c.iter().map(|v| v.as_u64().unwrap_or(0)).collect())
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What the lease table says of the run's sessions: how many have a lease, how many live
/// leases, and live leases per owner (a node's id).
async fn lease_table(database: &str, codes: &[String]) -> Value {
    let work = async {
        let mut db = sqlx::PgConnection::connect(database).await?;
        let with_lease: i64 = sqlx::query_scalar("SELECT count(DISTINCT session) FROM leases WHERE session = ANY($1)")
            .bind(codes)
            .fetch_one(&mut db)
            .await?;
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT owner, count(*) FROM leases WHERE session = ANY($1) AND expires_at > now() GROUP BY owner ORDER BY 2 DESC",
        )
        .bind(codes)
        .fetch_all(&mut db)
        .await?;
        let _ = db.close().await;
        Ok::<_, sqlx::Error>((with_lease, rows))
    };
    match work.await {
        Ok((with_lease, rows)) => json!({
            "sessions_with_lease": with_lease,
            "live_owner_rows": rows.iter().map(|(_, c)| c).sum::<i64>(),
            "live_per_owner": rows.iter().map(|(_, c)| c).collect::<Vec<_>>(),
        }),
        Err(err) => json!({"error": err.to_string()}),
    }
}

// ---- take-overs ------------------------------------------------------------------------------

/// A note a phone got acknowledged: when it was last sent, and when the ack came.
struct Ack {
    text: String,
    sent: Instant,
    at: Instant,
}

/// One phone of a take-over run, as the app behaves: posts notes one by one on a jamboard
/// (each with its own request id, resent with the same id until acknowledged), and joins
/// again with its token through the next node whenever its connection fails or a note is
/// refused as unavailable or not saved. Stops posting new notes once `stop` is set, and
/// gives up on the one in hand at `give_up`. Answers the notes never acknowledged.
struct TakeoverPhone {
    nodes: Vec<SocketAddr>,
    index: usize,
    code: String,
    board: String,
    pace: Duration,
    stop: Rc<Cell<bool>>,
    give_up: Instant,
    acks: Rc<RefCell<Vec<Ack>>>,
}

impl TakeoverPhone {
    async fn run(self) -> u64 {
        let mut token: Option<String> = None;
        let mut next_node = self.index;
        let mut n = 0u64;
        let mut in_hand: Option<(u64, String)> = None;
        'connect: while Instant::now() < self.give_up {
            if in_hand.is_none() && self.stop.get() {
                return 0;
            }
            let addr = self.nodes[next_node % self.nodes.len()];
            next_node += 1;
            let Ok(mut ws) = net::open_ws(None, addr).await else {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            let hello = json!({"type": "join", "code": self.code, "token": token});
            if ws.send(Message::text(hello.to_string())).await.is_err() {
                continue;
            }
            // A join waits while the session changes hands (up to the lease's length).
            let welcome = tokio::time::timeout(Duration::from_secs(20), async {
                while let Some(Ok(message)) = ws.next().await {
                    if let Message::Text(text) = message {
                        let v: Value = serde_json::from_str(text.as_str()).unwrap_or_default();
                        match v["type"].as_str() {
                            Some("welcome") => return Some(v),
                            Some("error") => return None,
                            _ => {}
                        }
                    }
                }
                None
            })
            .await;
            let Ok(Some(welcome)) = welcome else {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            };
            if token.is_none() {
                token = welcome["token"].as_str().map(str::to_owned);
            }
            loop {
                if in_hand.is_none() {
                    if self.stop.get() || n >= 100 {
                        return 0;
                    }
                    n += 1;
                    in_hand = Some((self.index as u64 * 1_000 + n, format!("phone {} note {n}", self.index)));
                }
                let Some((id, text)) = in_hand.clone() else { continue };
                let request = json!({"type": "note_add", "id": id, "activity": self.board, "frame": 0,
                                     "text": text, "color": "green"});
                let sent = Instant::now();
                if ws.send(Message::text(request.to_string())).await.is_err() {
                    continue 'connect;
                }
                let reply = tokio::time::timeout(Duration::from_secs(10), async {
                    while let Some(Ok(message)) = ws.next().await {
                        if let Message::Text(text) = message {
                            let v: Value = serde_json::from_str(text.as_str()).unwrap_or_default();
                            if v["id"].as_u64() == Some(id) && (v["type"] == "ack" || v["type"] == "error") {
                                return Some(v);
                            }
                        }
                    }
                    None
                })
                .await;
                match reply {
                    Ok(Some(v)) if v["type"] == "ack" => {
                        self.acks.borrow_mut().push(Ack { text, sent, at: Instant::now() });
                        in_hand = None;
                        tokio::time::sleep(self.pace).await;
                    }
                    Ok(Some(v)) if v["error"] == "rate_limited" => tokio::time::sleep(Duration::from_millis(300)).await,
                    Ok(Some(v)) if v["error"] == "unavailable" || v["error"] == "not_saved" => {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        continue 'connect;
                    }
                    // Refused for good (a limit): counted as never acknowledged.
                    Ok(Some(_)) => return 1,
                    _ => continue 'connect,
                }
            }
        }
        u64::from(in_hand.is_some())
    }
}

/// `--takeovers R`: R times, a new session (a jamboard) made on one node, its phones spread
/// over every node posting notes; after 2 s its owner (found by `chorus_sessions_owned`) is
/// killed with SIGKILL. Measures owner killed → first note sent after the kill and
/// acknowledged (necessarily by a new owner), checks every acknowledged note is on the board
/// exactly once, then starts the killed node again on its address for the next run.
pub async fn takeovers(opt: &Opt, cluster: &mut Cluster) -> anyhow::Result<Value> {
    let n = cluster.addrs.len();
    if n < 2 {
        bail!("--takeovers needs --spawn-cluster 2 or more");
    }
    let phones = opt.phones as usize;
    // Notes a phone may post: the board's cap of 100 each; at most 4 a second each.
    let pace = Duration::from_secs_f64((opt.phones as f64 / opt.rate.max(0.1)).max(0.25));
    let mut runs = Vec::new();
    let mut times = Vec::new();
    let (mut lost_total, mut twice_total, mut unacked_total) = (0u64, 0u64, 0u64);
    for r in 0..opt.takeovers as usize {
        let maker = r % n;
        let owned_before = cluster.owned().await;
        let agenda =
            json!([{"kind": "jamboard", "title": "Take-over", "frames": ["Notes"], "notes_per_participant": 100}]);
        let body = json!({"title": format!("chorus-load take-over {}", r + 1), "agenda": agenda});
        let (code, host_key) = create_session(cluster.addrs[maker], &body).await?;
        let (console, welcome) = open_staff(
            cluster.addrs[maker],
            json!({"type": "host", "code": code, "key": host_key}),
            "welcome_host",
            None,
        )
        .await?;
        let board = welcome["session"]["agenda"][0]["id"].as_str().ok_or_else(|| anyhow!("no board"))?.to_owned();
        console.request(json!({"type": "goto", "activity": board})).await?;
        drop(console);

        let stop = Rc::new(Cell::new(false));
        let acks = Rc::new(RefCell::new(Vec::new()));
        let give_up = Instant::now() + Duration::from_secs(120);
        let mut tasks = Vec::new();
        for index in 0..phones {
            let phone = TakeoverPhone {
                nodes: cluster.addrs.clone(),
                index,
                code: code.clone(),
                board: board.clone(),
                pace,
                stop: stop.clone(),
                give_up,
                acks: acks.clone(),
            };
            tasks.push(tokio::task::spawn_local(phone.run()));
        }
        // Killed 2 to 5.3 s in, spread over the runs (the golden ratio's steps), so that the
        // kills fall at every point of the lease's renewal cycle (a third of 10 s).
        let wait = 2.0 + (r as f64 * 0.618_034).fract() * 3.3;
        tokio::time::sleep(Duration::from_secs_f64(wait)).await;
        // The owner: the node whose count of sessions owned went up by this one.
        let owned_now = cluster.owned().await;
        let grew: Vec<usize> = (0..n)
            .filter(|i| owned_now[*i].unwrap_or(0.0) > owned_before.get(*i).copied().flatten().unwrap_or(0.0))
            .collect();
        let owner = match grew.as_slice() {
            [one] => *one,
            _ => {
                say(
                    opt,
                    format!("run {}: owner unclear from the metrics ({owned_now:?}); killing node {maker}", r + 1),
                );
                maker
            }
        };
        let before_kill = acks.borrow().len();
        let survivors: Vec<usize> = (0..n).filter(|i| *i != owner).collect();
        let takeovers_before = cluster.metric_sum(&survivors, "chorus_lease_takeovers_total").await;
        cluster.kill(owner).await;
        let killed = Instant::now();
        // Wait for the first note sent after the kill and acknowledged, then 2 s more.
        let first_after = loop {
            let first = acks.borrow().iter().filter(|a| a.sent > killed).map(|a| a.at - killed).min();
            if let Some(first) = first {
                break Some(first);
            }
            if killed.elapsed() > Duration::from_secs(60) {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        tokio::time::sleep(Duration::from_secs(2)).await;
        let taken_over = cluster.metric_sum(&survivors, "chorus_lease_takeovers_total").await - takeovers_before;
        stop.set(true);
        let mut unacked = 0;
        for task in tasks {
            unacked += task.await.unwrap_or(1);
        }
        // The board, read from a live node, against the notes acknowledged.
        let reader = cluster.addrs[(owner + 1) % n];
        let path = format!("/api/sessions/{code}/export/json");
        let (status, text) = net::http(reader, "GET", &path, None, Some(&host_key)).await?;
        if status != 200 {
            bail!("export of {code} answered {status}: {text}");
        }
        let export: Value = serde_json::from_str(&text)?;
        let on_board: Vec<String> = export["responses"]
            .as_array()
            .map(|a| a.iter().filter_map(|r| r["text"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        let distinct: BTreeSet<&String> = on_board.iter().collect();
        let twice = (on_board.len() - distinct.len()) as u64;
        let acked: BTreeSet<String> = acks.borrow().iter().map(|a| a.text.clone()).collect();
        let lost = acked.iter().filter(|t| !distinct.contains(t)).count() as u64;
        let never_acked_on_board = distinct.iter().filter(|t| !acked.contains(t.as_str())).count();
        let acked_n = acks.borrow().len();
        lost_total += lost;
        twice_total += twice;
        unacked_total += unacked;
        let seconds = first_after.map(|d| (d.as_secs_f64() * 1000.0).round() / 1000.0);
        if let Some(s) = seconds {
            times.push(s);
        }
        say(
            opt,
            format!(
                "take-over {}: node {owner} killed {wait:.1} s in; {taken_over} take-over(s) counted; first ack after {} s; {acked_n} notes acked ({before_kill} before), \
                 {lost} lost, {twice} twice, {unacked} never acked",
                r + 1,
                seconds.map_or("–".into(), |s| format!("{s:.3}"))
            ),
        );
        runs.push(json!({
            "run": r + 1,
            "session": code,
            "owner_killed": owner,
            "owner_from_metrics": grew.len() == 1,
            "killed_after_s": round2(wait),
            "takeovers_counted": taken_over,
            "takeover_s": seconds,
            "acked": acked_n,
            "acked_before_kill": before_kill,
            "lost": lost,
            "twice": twice,
            "never_acked": unacked,
            "on_board_never_acked": never_acked_on_board,
        }));
        cluster.restart(owner).await.with_context(|| format!("cannot start node {owner} again"))?;
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let missing = opt.takeovers as usize - times.len();
    Ok(json!({
        "tool": "chorus-load",
        "mode": "takeovers",
        "nodes": cluster.addrs.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "lease_ttl": std::env::var("CHORUS_LEASE_TTL").unwrap_or_else(|_| "10s (default)".into()),
        "phones": phones,
        "note_every_s": round2(pace.as_secs_f64()),
        "runs": runs,
        "takeover_s": {
            "all": times,
            "p50": median(&sorted),
            "max": sorted.last(),
            "min": sorted.first(),
            "runs_without_takeover": missing,
        },
        "lost": lost_total,
        "twice": twice_total,
        "never_acked": unacked_total,
    }))
}

// ---- the tables ------------------------------------------------------------------------------

/// The table of `--sessions`.
pub fn print_sessions(r: &Value) {
    let a = &r["answers"];
    let o = &r["owners"];
    table::print(vec![
        (
            "sessions × phones / nodes".into(),
            format!("{} × {} / {}", r["sessions"], r["phones_per_session"], r["nodes"].as_array().map_or(0, Vec::len)),
            "1,000 × 30 / 3".into(),
        ),
        (
            "phones joined / errors".into(),
            format!("{} / {}", r["join"]["joined"], r["join"]["errors"]),
            "all, none".into(),
        ),
        (
            "answers sent / acked / unacked".into(),
            format!(
                "{} / {} / {} ({} per phone a minute)",
                a["sent"], a["acked"], a["unacked"], a["per_phone_per_min"]
            ),
            "2 per phone a minute".into(),
        ),
        ("answer errors".into(), a["errors"].to_string(), "none".into()),
        (
            "ack latency p50 / p99 / max".into(),
            format!(
                "{} / {} / {}",
                table::ms(&a["ack_latency"]["p50_ms"]),
                table::ms(&a["ack_latency"]["p99_ms"]),
                table::ms(&a["ack_latency"]["max_ms"])
            ),
            "p99 ≤ 100 ms".into(),
        ),
        (
            "sessions with exact tallies".into(),
            format!(
                "{} of {} ({} differ)",
                r["tallies"]["sessions_exact"], r["sessions"], r["tallies"]["sessions_differ"]
            ),
            "all".into(),
        ),
        (
            "sessions owned per node".into(),
            format!("{} (sum {}, even {})", o["per_node"], o["sum"], o["even"]),
            "sum = sessions".into(),
        ),
        (
            "most / fewest owned vs even".into(),
            format!(
                "{:+}% / {:+}%",
                o["max_vs_even_pct"].as_f64().unwrap_or(f64::NAN),
                o["min_vs_even_pct"].as_f64().unwrap_or(f64::NAN)
            ),
            "within ±20%".into(),
        ),
        (
            "one owner per session (metrics, leases)".into(),
            format!("{} (leases {})", o["owned_once"], o["leases"]),
            "true".into(),
        ),
        ("drops".into(), r["connections"]["drops"].to_string(), "0".into()),
    ]);
}

/// The table of `--takeovers`.
pub fn print_takeovers(r: &Value) {
    let t = &r["takeover_s"];
    let secs = |v: &Value| v.as_f64().map(|x| format!("{x:.2} s")).unwrap_or_else(|| "–".into());
    let all: Vec<String> = t["all"].as_array().map(|a| a.iter().map(secs).collect()).unwrap_or_default();
    table::print(vec![
        (
            "take-overs measured / asked".into(),
            format!("{} / {}", t["all"].as_array().map_or(0, Vec::len), r["runs"].as_array().map_or(0, Vec::len)),
            "20 / 20".into(),
        ),
        ("every run (killed → first new ack)".into(), all.join(", "), "–".into()),
        ("take-over p50 / max".into(), format!("{} / {}", secs(&t["p50"]), secs(&t["max"])), "–".into()),
        ("lease".into(), r["lease_ttl"].as_str().unwrap_or("?").to_owned(), "10 s".into()),
        (
            "acked notes lost / twice / never acked".into(),
            format!("{} / {} / {}", r["lost"], r["twice"], r["never_acked"]),
            "0 / 0 / 0".into(),
        ),
    ]);
}

/// Every node's CPU and memory over the whole run (after any table).
pub fn print_nodes(r: &Value) {
    let Some(nodes) = r["cluster"]["nodes_usage_whole_run"].as_array() else { return };
    println!();
    println!("node  address            CPU (whole run)  RSS end / peak       open files peak");
    for n in nodes {
        let num = |v: &Value| v.as_f64().map(|x| format!("{x:.0}")).unwrap_or_else(|| "–".into());
        println!(
            "{:<4}  {:<17}  {:>13} s  {:>8} / {:>8} KB  {:>6}",
            n["node"].as_u64().unwrap_or(0),
            n["addr"].as_str().unwrap_or("?"),
            n["cpu_s"].as_f64().map_or("–".into(), |c| format!("{c:.2}")),
            num(&n["rss_kb_end"]),
            num(&n["rss_kb_peak"]),
            num(&n["fds_peak"]),
        );
    }
    if let Some(answering) = r["answers"]["nodes_usage"].as_array().filter(|a| !a.is_empty()) {
        let cores: Vec<String> =
            answering.iter().map(|n| n["cpu_cores"].as_f64().map_or("–".into(), |c| format!("{c:.2}"))).collect();
        println!("cores busy per node while answering: {}", cores.join(", "));
    }
    println!("node log warnings/errors: {}", r["cluster"]["node_log_problems"]["count"]);
}
