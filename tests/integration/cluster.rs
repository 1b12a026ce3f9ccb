//! Three nodes of the real binary on one PostgreSQL and one NATS, all started by the tests on
//! free loopback ports and stopped after: phones spread over every node answer while the
//! owner of their session is killed (SIGKILL), while NATS is away, and while every node is
//! restarted in turn. Each phone resends what was not acknowledged, with the same request
//! id, to whichever node it reaches; at the end every acknowledged note is on the board
//! exactly once.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chorus::cluster::scratch::{Scratch, ScratchNats};
use serde_json::json;
use tokio::sync::mpsc;

use crate::common::*;

/// Three nodes sharing a database and a NATS server.
struct Cluster {
    nodes: Vec<Option<ServerProcess>>,
    dirs: Vec<tempfile::TempDir>,
    addrs: Vec<String>,
    env: Vec<(String, String)>,
}

impl Cluster {
    async fn start(database: &str, nats: &str, lease: &str) -> Self {
        Self::start_with(database, nats, lease, &[]).await
    }

    /// [`Cluster::start`] with more settings for every node.
    async fn start_with(database: &str, nats: &str, lease: &str, extra: &[(&str, &str)]) -> Self {
        let mut env = vec![
            ("CHORUS_DATABASE_URL".to_owned(), database.to_owned()),
            ("CHORUS_NATS_URL".to_owned(), nats.to_owned()),
            ("CHORUS_LEASE_TTL".to_owned(), lease.to_owned()),
        ];
        env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let mut cluster = Self { nodes: Vec::new(), dirs: Vec::new(), addrs: Vec::new(), env };
        for _ in 0..3 {
            let dir = tempfile::tempdir().expect("data dir");
            let node = cluster.launch(dir.path(), "127.0.0.1:0");
            cluster.addrs.push(node.addr.clone());
            cluster.dirs.push(dir);
            cluster.nodes.push(Some(node));
        }
        for node in cluster.nodes.iter().flatten() {
            node.wait_healthy().await;
        }
        cluster
    }

    fn launch(&self, dir: &std::path::Path, bind: &str) -> ServerProcess {
        let env: Vec<(&str, &str)> = self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        ServerProcess::start_at_with(dir, bind, &env)
    }

    fn node(&self, n: usize) -> &ServerProcess {
        self.nodes[n].as_ref().expect("a running node")
    }

    fn ws_urls(&self) -> Vec<String> {
        self.addrs.iter().map(|addr| format!("ws://{addr}/ws")).collect()
    }

    /// Stops node `n` in order (SIGTERM), then starts it again on the same address.
    async fn restart(&mut self, n: usize) {
        if let Some(mut node) = self.nodes[n].take() {
            assert!(node.terminate().success(), "node {n} stopped in order");
        }
        let node = self.launch(self.dirs[n].path(), &self.addrs[n]);
        node.wait_healthy().await;
        self.nodes[n] = Some(node);
    }

    /// The sum of a metric's values on node `n`.
    async fn metric(&self, n: usize, name: &str) -> f64 {
        let (status, text) = get_text(&self.node(n).url("/metrics")).await;
        assert_eq!(status, 200);
        text.lines()
            .filter(|line| line.starts_with(name) && !line.starts_with('#'))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }
}

async fn get_text(url: &str) -> (u16, String) {
    match awc::Client::new().get(url).timeout(Duration::from_secs(10)).send().await {
        Ok(mut response) => {
            let body = response.body().limit(1 << 22).await.unwrap_or_default();
            (response.status().as_u16(), String::from_utf8_lossy(&body).into_owned())
        }
        Err(_) => (0, String::new()),
    }
}

/// What a phone reports: a note acknowledged, and when.
struct Acked {
    id: u64,
    at: Instant,
}

/// A phone: where it connects, who it is, what it posts.
struct Phone {
    nodes: Vec<String>,
    first: usize,
    code: String,
    token: String,
    board: String,
    notes: Vec<(u64, String)>,
    pace: Duration,
    until: Instant,
}

/// A phone that posts its notes one by one (each with its own request id, resent until it
/// is acknowledged), reconnecting to the next node whenever its connection fails or a note
/// is refused as unavailable, until all are acknowledged or `until` passes.
async fn phone(phone: Phone, acked: mpsc::UnboundedSender<Acked>) -> Vec<(u64, String)> {
    let Phone { nodes, first, code, token, board, notes, pace, until } = phone;
    let mut pending = notes;
    let mut next = first;
    while !pending.is_empty() && Instant::now() < until {
        let url = &nodes[next % nodes.len()];
        next += 1;
        let Ok(Ok((ws, _))) = tokio::time::timeout(PATIENCE, tokio_tungstenite::connect_async(url.as_str())).await
        else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let mut client = Client::from_stream(ws);
        client.send(json!({"type": "join", "code": code, "token": token})).await;
        // A join waits while the session changes hands (up to the lease's length).
        if client.next_welcome_within(Duration::from_secs(20)).await != Some(true) {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        'notes: while let Some((id, text)) = pending.first().cloned() {
            let request =
                json!({"type": "note_add", "id": id, "activity": board, "frame": 0, "text": text, "color": "green"});
            if !client.try_send(request).await {
                break 'notes;
            }
            match client.try_reply(id).await {
                Some(reply) if reply["type"] == "ack" => {
                    let _ = acked.send(Acked { id, at: Instant::now() });
                    pending.remove(0);
                    tokio::time::sleep(pace).await;
                }
                Some(reply) if reply["error"] == "rate_limited" => tokio::time::sleep(Duration::from_millis(300)).await,
                Some(reply) if reply["error"] == "unavailable" || reply["error"] == "not_saved" => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    break 'notes;
                }
                Some(reply) => panic!("note {id} refused: {reply}"),
                None => break 'notes,
            }
        }
    }
    pending
}

/// Sets up a board on node 0 with a console on node 1, and `phones` phones joined over the
/// three nodes; returns the session, the board's id, the console and the phones' tokens.
async fn board_with_phones(cluster: &Cluster, phones: usize) -> (Session, String, Client, Vec<String>) {
    let agenda = json!([{"kind": "jamboard", "title": "Cluster", "frames": ["Notes"], "notes_per_participant": 100}]);
    let session = create_session_at(&cluster.node(0).url(""), agenda).await;
    let board = session.activity(0);
    let (mut host, _) = Client::host(&cluster.node(1).ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": board})).await;
    let mut tokens = Vec::new();
    for p in 0..phones {
        let (_, welcome) = Client::participant(&cluster.node(p % 3).ws_url(), &session.code, None).await;
        tokens.push(welcome["token"].as_str().expect("token").to_owned());
    }
    (session, board, host, tokens)
}

/// The notes on the board, as the export of a running node has them.
async fn notes_on_board(server: &ServerProcess, session: &Session) -> Vec<String> {
    let (status, export) =
        get_json(&server.url(&format!("/api/sessions/{}/export/json", session.code)), Some(&session.host_key)).await;
    assert_eq!(status, 200, "{export}");
    export["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .map(|response| response["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Every acknowledged note is on the board once, and nothing else is.
fn assert_exactly_once(on_board: &[String], acked: &BTreeMap<u64, String>) {
    let distinct: BTreeSet<&String> = on_board.iter().collect();
    assert_eq!(distinct.len(), on_board.len(), "a note applied twice");
    let expected: BTreeSet<&String> = acked.values().collect();
    assert_eq!(distinct, expected, "the board holds exactly the acknowledged notes");
}

/// The session never changed hands: node 0 owns it still, its lease is at the first epoch,
/// and no node counted a take-over.
async fn assert_still_with_node_0(cluster: &Cluster, db: &sqlx::PgPool, code: &str) {
    let (epoch,): (i64,) =
        sqlx::query_as("SELECT epoch FROM leases WHERE session = $1").bind(code).fetch_one(db).await.expect("lease");
    assert_eq!(epoch, 1, "the session changed hands");
    let mut takeovers = 0.0;
    for n in 0..3 {
        takeovers += cluster.metric(n, "chorus_lease_takeovers_total").await;
    }
    assert_eq!(takeovers, 0.0, "a take-over was counted");
    assert_eq!(cluster.metric(0, "chorus_sessions_owned").await, 1.0, "node 0 still owns the session");
}

/// Runs `phones` phones of `per_phone` notes each over the cluster while `disturb` runs;
/// returns the notes acknowledged and what the phones still had (nothing, when all is well).
async fn answer_while<F: Future<Output = ()>>(
    cluster: &Cluster,
    session: &Session,
    board: &str,
    tokens: &[String],
    per_phone: usize,
    pace: Duration,
    disturb: F,
) -> (BTreeMap<u64, String>, Vec<(u64, Instant)>, usize) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let until = Instant::now() + Duration::from_secs(90);
    let mut sent = BTreeMap::new();
    let mut phones = Vec::new();
    for (p, token) in tokens.iter().enumerate() {
        let notes: Vec<(u64, String)> = (0..per_phone)
            .map(|n| {
                let id = (p * 10_000 + n + 1) as u64;
                (id, format!("phone {p} note {n}"))
            })
            .collect();
        sent.extend(notes.iter().cloned());
        let one = Phone {
            nodes: cluster.ws_urls(),
            first: p,
            code: session.code.clone(),
            token: token.clone(),
            board: board.to_owned(),
            notes,
            pace,
            until,
        };
        phones.push(tokio::spawn(phone(one, tx.clone())));
    }
    drop(tx);
    disturb.await;
    let mut left = 0;
    for phone in phones {
        left += phone.await.expect("phone").len();
    }
    let mut acked = BTreeMap::new();
    let mut times = Vec::new();
    while let Some(Acked { id, at }) = rx.recv().await {
        acked.insert(id, sent[&id].clone());
        times.push((id, at));
    }
    (acked, times, left)
}

/// The owner of a session is killed (SIGKILL) while phones spread over all three nodes post
/// notes: another node takes the session over once the lease (10 s) has run out, the first
/// note acknowledged after the kill comes within 15 s, every phone gets all its notes
/// acknowledged, and every acknowledged note is on the board exactly once.
#[actix_web::test]
async fn the_owner_killed_another_node_carries_on() {
    const PHONES: usize = 6;
    let database = Scratch::shared().database().await;
    let nats = ScratchNats::start();
    let mut cluster = Cluster::start(&database, &nats.url(), "10s").await;
    let (session, board, host, tokens) = board_with_phones(&cluster, PHONES).await;
    drop(host);
    let mut killed_at = None;
    let (acked, times, left) = {
        let kill = async {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            if let Some(mut owner) = cluster.nodes[0].take() {
                owner.kill();
            }
            killed_at = Some(Instant::now());
        };
        // The phones borrow the cluster's addresses only; node 0 is gone from under them.
        let cluster_view =
            Cluster { nodes: Vec::new(), dirs: Vec::new(), addrs: cluster.addrs.clone(), env: Vec::new() };
        answer_while(&cluster_view, &session, &board, &tokens, 30, Duration::from_millis(120), kill).await
    };
    assert_eq!(left, 0, "every phone got every note acknowledged");
    let killed_at = killed_at.expect("killed");
    let before = times.iter().filter(|(_, at)| *at < killed_at).count();
    assert!(before > 0, "notes were acknowledged before the kill");
    let first_after = times.iter().filter(|(_, at)| *at > killed_at).map(|(_, at)| *at - killed_at).min();
    let first_after = first_after.expect("notes acknowledged after the kill");
    assert!(first_after < Duration::from_secs(15), "the new owner answered {first_after:?} after the kill");
    eprintln!(
        "owner killed: {before} notes acknowledged before, {} after; first after the kill in {first_after:?}",
        acked.len() - before
    );
    assert_eq!(acked.len(), PHONES * 30);
    let on_board = notes_on_board(cluster.node(1), &session).await;
    assert_exactly_once(&on_board, &acked);
    let takeovers = cluster.metric(1, "chorus_lease_takeovers_total").await
        + cluster.metric(2, "chorus_lease_takeovers_total").await;
    assert_eq!(takeovers, 1.0, "one node took the session over");
    let owned = cluster.metric(1, "chorus_sessions_owned").await + cluster.metric(2, "chorus_sessions_owned").await;
    assert_eq!(owned, 1.0, "exactly one node owns it");
    let forwarded =
        cluster.metric(1, "chorus_forwarded_total").await + cluster.metric(2, "chorus_forwarded_total").await;
    assert!(forwarded > 0.0, "the other node forwarded to the owner");
}

/// NATS is stopped for 5 s and started again while phones on all three nodes post notes:
/// phones on nodes that relay the session reconnect and carry on, no acknowledged note is
/// lost, none is applied twice.
#[actix_web::test]
async fn nats_away_for_five_seconds_loses_nothing() {
    const PHONES: usize = 6;
    let database = Scratch::shared().database().await;
    let mut nats = ScratchNats::start();
    let cluster = Cluster::start(&database, &nats.url(), "10s").await;
    let (session, board, host, tokens) = board_with_phones(&cluster, PHONES).await;
    drop(host);
    // Node 1's health, which reports NATS without failing for it.
    let health_url = cluster.node(1).url("/healthz");
    let health = || get_text(&health_url);
    assert!(health().await.1.contains(r#""nats":"connected""#));
    let away = async {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        nats.stop();
        tokio::time::sleep(Duration::from_secs(2)).await;
        let (status, said) = health().await;
        assert_eq!(status, 200, "a node without NATS still serves its own sessions");
        assert!(said.contains(r#""nats":"disconnected""#), "{said}");
        tokio::time::sleep(Duration::from_secs(3)).await;
        nats.restart();
    };
    let (acked, _, left) =
        answer_while(&cluster, &session, &board, &tokens, 40, Duration::from_millis(120), away).await;
    assert_eq!(left, 0, "every phone got every note acknowledged");
    assert_eq!(acked.len(), PHONES * 40);
    for n in 0..3 {
        assert_exactly_once(&notes_on_board(cluster.node(n), &session).await, &acked);
    }
}

/// Every node is stopped in order (SIGTERM) and started again, one after the other, while
/// phones on all three post notes: each stop hands its sessions on at once (its leases are
/// let go), nothing acknowledged is lost or applied twice.
#[actix_web::test]
async fn a_rolling_restart_of_all_three_nodes_loses_nothing() {
    const PHONES: usize = 6;
    let database = Scratch::shared().database().await;
    let nats = ScratchNats::start();
    let mut cluster = Cluster::start(&database, &nats.url(), "10s").await;
    let (session, board, host, tokens) = board_with_phones(&cluster, PHONES).await;
    drop(host);
    let addrs = cluster.addrs.clone();
    let (acked, _, left) = {
        let view = Cluster { nodes: Vec::new(), dirs: Vec::new(), addrs, env: Vec::new() };
        let roll = async {
            for n in 0..3 {
                tokio::time::sleep(Duration::from_millis(800)).await;
                cluster.restart(n).await;
            }
        };
        answer_while(&view, &session, &board, &tokens, 60, Duration::from_millis(120), roll).await
    };
    assert_eq!(left, 0, "every phone got every note acknowledged");
    assert_eq!(acked.len(), PHONES * 60);
    assert_exactly_once(&notes_on_board(cluster.node(2), &session).await, &acked);
    // Handed on at each orderly stop, never waited out: three stops, three take-overs, and
    // no lease had to expire (each took well under the lease's 10 s).
    let owned: f64 = {
        let mut owned = 0.0;
        for n in 0..3 {
            owned += cluster.metric(n, "chorus_sessions_owned").await;
        }
        owned
    };
    assert_eq!(owned, 1.0, "exactly one node owns the session");
}

/// Joins as the phone with `token`, as its app does: again after a refusal or a dropped
/// connection, for up to 30 s (a session changing hands answers `unavailable` meanwhile).
async fn rejoin(url: &str, code: &str, token: &str) -> Client {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(Instant::now() < until, "could not join again within 30 s");
        if let Ok((ws, _)) = tokio_tungstenite::connect_async(url).await {
            let mut client = Client::from_stream(ws);
            client.send(json!({"type": "join", "code": code, "token": token})).await;
            if client.next_welcome_within(Duration::from_secs(20)).await == Some(true) {
                return client;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn signal(server: &ServerProcess, signal: &str) {
    let status =
        std::process::Command::new("kill").args([signal, &server.id().to_string()]).status().expect("run kill");
    assert!(status.success(), "kill {signal}");
}

/// The owner is paused (SIGSTOP) past its lease (2 s here) while a phone on another node
/// answers: that node takes the session over. Resumed, the old owner finds its lease gone and
/// hands the session back: its phone's connection is told to reconnect (or its answer is
/// refused `not_saved` by the fencing, never acknowledged), and once reconnected through the
/// same node the phone's answer reaches the new owner. Nothing is applied twice.
#[actix_web::test]
async fn a_paused_owner_hands_its_session_on_when_resumed() {
    let database = Scratch::shared().database().await;
    let nats = ScratchNats::start();
    let cluster = Cluster::start(&database, &nats.url(), "2s").await;
    let (session, board, host, tokens) = board_with_phones(&cluster, 2).await;
    drop(host);
    let note = |id: u64, text: &str| json!({"type": "note_add", "id": id, "activity": board, "frame": 0, "text": text, "color": "green"});
    // Phone 0 is on node 0, the owner; phone 1 on node 1.
    let (mut early, _) = Client::participant(&cluster.node(0).ws_url(), &session.code, Some(&tokens[0])).await;
    assert_eq!(early.request(note(1, "before the pause")).await["type"], "ack");

    signal(cluster.node(0), "-STOP");
    let paused = Instant::now();
    let mut late = rejoin(&cluster.node(1).ws_url(), &session.code, &tokens[1]).await;
    let reply = late.request(note(2, "during the pause")).await;
    assert_eq!(reply["type"], "ack", "{reply}");
    eprintln!("owner paused: the other node answered after {:?}", paused.elapsed());

    signal(cluster.node(0), "-CONT");
    // The resumed owner's writes are refused; its connection is told to reconnect.
    let outcome = match early.try_send(note(3, "after the pause")).await {
        true => early.try_reply(3).await,
        false => None,
    };
    match &outcome {
        None => {}
        Some(reply) => assert_eq!(reply["error"], "not_saved", "the old owner acknowledged a write: {reply}"),
    }
    if outcome.is_some() {
        assert_eq!(early.closed().await, Some(1012), "told to reconnect");
    }
    // Back through the same node: relayed to the new owner now.
    let mut again = rejoin(&cluster.node(0).ws_url(), &session.code, &tokens[0]).await;
    for _ in 0..2 {
        // The same request (id 3) twice: applied once, acknowledged both times.
        assert!(again.try_send(note(3, "after the pause")).await);
        assert_eq!(again.try_reply(3).await.expect("a reply")["type"], "ack");
    }

    let mut on_board = notes_on_board(cluster.node(2), &session).await;
    on_board.sort();
    assert_eq!(on_board, ["after the pause", "before the pause", "during the pause"]);
    assert_eq!(cluster.metric(0, "chorus_leases_lost_total").await, 1.0, "the old owner knows it lost the lease");
    assert_eq!(cluster.metric(0, "chorus_sessions_owned").await, 0.0);
    assert_eq!(cluster.metric(1, "chorus_sessions_owned").await, 1.0);
}

fn chorus(args: Vec<String>) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_chorus")).args(args).output().expect("run chorus")
}

/// A node that cannot reach NATS says so and exits non-zero; `--nats-url` without
/// `--database-url` is refused; a node whose NATS already has a node of another node
/// protocol refuses to start, saying which versions meet.
#[actix_web::test]
async fn a_node_refuses_to_start_without_nats_or_beside_another_version() {
    let database = Scratch::shared().database().await;
    let dir = tempfile::tempdir().expect("dir");
    let serve = |extra: &[&str]| {
        let mut args: Vec<String> = ["serve", "--bind", "127.0.0.1:0", "--data-dir"].map(str::to_owned).to_vec();
        args.push(dir.path().to_str().expect("path").to_owned());
        args.extend(extra.iter().map(|arg| (*arg).to_owned()));
        args
    };
    let run = |args: Vec<String>| async move {
        let output = tokio::task::spawn_blocking(move || chorus(args)).await.expect("ran");
        assert!(!output.status.success(), "started: {}", String::from_utf8_lossy(&output.stdout));
        String::from_utf8_lossy(&output.stderr).into_owned()
    };

    let said = run(serve(&["--database-url", &database, "--nats-url", "nats://127.0.0.1:1"])).await;
    assert!(said.contains("cannot reach NATS at nats://127.0.0.1:1"), "{said}");
    let nats = ScratchNats::start();
    let said = run(serve(&["--nats-url", &nats.url()])).await;
    assert!(said.contains("--nats-url needs --database-url"), "{said}");

    // A node of another protocol on the same NATS (played here by a client answering as one).
    let other = async_nats::connect(nats.url()).await.expect("connect");
    let mut asked = other.subscribe("chorus.nodes").await.expect("subscribe");
    other.flush().await.expect("flush");
    let answering = other.clone();
    let answer = tokio::spawn(async move {
        use futures_util::StreamExt;
        while let Some(message) = asked.next().await {
            if let Some(reply) = message.reply {
                let body = json!({"wire": 999, "release": "9.9.9"}).to_string();
                answering.publish(reply, body.into()).await.expect("answer");
            }
        }
    });
    let said = run(serve(&["--database-url", &database, "--nats-url", &nats.url()])).await;
    assert!(said.contains("another node on this NATS runs Chorus 9.9.9 (node protocol 999)"), "{said}");
    assert!(said.contains("Upgrade every node to the same version"), "{said}");
    answer.abort();
}

/// One session seen from three nodes: created on node 0 (its owner), run from a console on
/// node 1, shown on a projector on node 2, answered from a phone on each. The projector gets
/// the owner's results relayed, the console counts the phones of all three nodes online,
/// and a phone on a relaying node moves with the facilitator. `chorus sessions` and
/// `chorus console-link` work on the database: the old console key is refused on every
/// node at once, the new one opens the console on any.
#[actix_web::test]
async fn console_projector_and_phones_on_three_nodes_share_one_session() {
    let database = Scratch::shared().database().await;
    let nats = ScratchNats::start();
    let cluster = Cluster::start(&database, &nats.url(), "10s").await;
    let session = create_session_at(&cluster.node(0).url(""), workshop_agenda()).await;
    let scale = session.activity(0);
    let (mut host, _) = Client::host(&cluster.node(1).ws_url(), &session).await;
    let (mut projector, _) = Client::presenter(&cluster.node(2).ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": scale, "round": "Before"})).await;
    host.ok(json!({"type": "show_on_projector", "show": true})).await;
    let mut phones = Vec::new();
    for n in 0..3 {
        phones.push(Client::participant(&cluster.node(n).ws_url(), &session.code, None).await.0);
    }
    for (n, phone) in phones.iter_mut().enumerate() {
        phone.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": n + 1})).await;
    }
    let results = projector
        .expect_where("every answer", |m| m["type"] == "results" && round_stats(m, 0, "Before")["n"] == 3)
        .await;
    assert_eq!(round_stats(&results, 0, "Before")["counts"], json!([1, 1, 1, 0, 0]));
    host.expect_where("all three phones online", |m| m["type"] == "counts" && m["online"] == 3 && m["joined"] == 3)
        .await;
    host.ok(json!({"type": "goto", "activity": session.activity(1)})).await;
    phones[2]
        .expect_where("the next step", |m| m["type"] == "step" && m["activity"]["id"] == session.activity(1))
        .await;

    let run = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
            .args(args)
            .args(["--data-dir", "unused-here", "--database-url", &database])
            .output()
            .expect("run chorus");
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).expect("UTF-8")
    };
    let listed = run(&["sessions"]);
    let line =
        listed.lines().find(|line| line.contains(&chorus::auth::display_join_code(&session.code))).expect("listed");
    assert!(line.contains("live"), "{line}");
    let said = run(&["console-link", &session.code]);
    let console = said.lines().find(|line| line.contains("/host/")).expect("a console link");
    let new_key = console.split("#key=").nth(1).expect("a key").trim().to_owned();
    for n in 0..3 {
        let mut old = Client::connect(&cluster.node(n).ws_url()).await;
        old.send(json!({"type": "host", "code": session.code, "key": session.host_key})).await;
        assert_eq!(old.expect("error").await["error"], "unauthorized", "the old key on node {n}");
    }
    let mut new = Client::connect(&cluster.node(2).ws_url()).await;
    new.send(json!({"type": "host", "code": session.code, "key": new_key})).await;
    assert_eq!(new.expect("welcome_host").await["session"]["took_part"], 3);

    // The HTTP API through nodes that do not own the session: closing tells every screen,
    // the export reads the database, deleting ends it everywhere.
    let api = |n: usize, path: &str| cluster.node(n).url(&format!("/api/sessions/{}{path}", session.code));
    let (status, body) = post_json(&api(2, "/close"), Some(&new_key), &json!({})).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("closed")), "{body}");
    phones[0].expect("session_closed").await;
    let (status, export) = get_json(&api(1, "/export/json"), Some(&new_key)).await;
    assert_eq!(status, 200);
    assert_eq!(export["session"]["participants"], 3, "{export}");
    let deleted = awc::Client::new().delete(api(1, "")).bearer_auth(&new_key).send().await.expect("delete");
    assert_eq!(deleted.status().as_u16(), 204);
    // A phone joining through node 2, which relayed the session, hears `not_found` too: the
    // owner told its relays of the deletion (before answering it), so node 2 let its relay go
    // rather than forward the join to an owner that is gone. Without that notice the relay
    // would end only at its next beat (every 2 s), and the join meanwhile be answered
    // `unavailable`; 1 s is left for the notice to cross NATS on a busy machine.
    let deleted_at = Instant::now();
    loop {
        let mut phone = Client::connect(&cluster.node(2).ws_url()).await;
        phone.send(json!({"type": "join", "code": session.code})).await;
        let said = phone.expect("error").await;
        if said["error"] == "not_found" {
            break;
        }
        assert_eq!(said["error"], "unavailable", "{said}");
        assert!(deleted_at.elapsed() < Duration::from_secs(1), "node 2 still relays the deleted session");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("a join on a relaying node answered not_found {:?} after the deletion", deleted_at.elapsed());
    // Every node answers as a single server would, at once: not found (the nodes that relayed
    // it find it gone from the database, and hear it from its owner).
    for n in 0..3 {
        let (status, body) = get_json(&api(n, ""), Some(&new_key)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (404, Some("not_found")),
            "the deleted session on node {n}: {body}"
        );
    }
}

/// Sends note `id` and waits for its reply; `None` when the connection ends first.
async fn post_note(client: &mut Client, board: &str, id: u64, text: &str) -> Option<serde_json::Value> {
    let request = json!({"type": "note_add", "id": id, "activity": board, "frame": 0, "text": text, "color": "green"});
    if !client.try_send(request).await {
        return None;
    }
    client.try_reply(id).await
}

/// PostgreSQL is stopped (`pg_ctl stop -m fast`) under three nodes, for longer than the
/// leases (2 s here), while phones on all three nodes post notes: every note sent meanwhile
/// is refused `not_saved` on every node (none acknowledged), every node's `/healthz` says the
/// database is unreachable. PostgreSQL started again, health returns on every node, the
/// refused notes resent with their ids are acknowledged, and so are new ones, on every node.
/// The owner kept its session through the outage: its lease lapsed while nobody could
/// renew or take it, and it renewed it first when the database came back (epoch still 1, no
/// take-over, no connection told to reconnect). Every acknowledged note is on the board
/// exactly once, a note resent after its acknowledgement included.
#[actix_web::test]
async fn postgres_away_refuses_answers_on_every_node_and_they_resume() {
    const PHONES: usize = 6;
    // Its own PostgreSQL: the shared one serves the other tests meanwhile.
    let postgres = Scratch::start();
    let database = postgres.database().await;
    let nats = ScratchNats::start();
    let cluster = Cluster::start(&database, &nats.url(), "2s").await;
    let (session, board, host, tokens) = board_with_phones(&cluster, PHONES).await;
    drop(host);
    let mut phones = Vec::new();
    for (p, token) in tokens.iter().enumerate() {
        phones.push(Client::participant(&cluster.node(p % 3).ws_url(), &session.code, Some(token)).await.0);
    }
    let mut acked: BTreeMap<u64, String> = BTreeMap::new();
    let note = |p: usize, what: &str| format!("phone {p} {what}");
    for (p, phone) in phones.iter_mut().enumerate() {
        let (id, text) = (100 + p as u64, note(p, "before"));
        let reply = post_note(phone, &board, id, &text).await.expect("a reply");
        assert_eq!(reply["type"], "ack", "{reply}");
        acked.insert(id, text);
    }

    postgres.stop();
    let stopped = Instant::now();
    // Twice: at once, and once the leases have run out (2 s) with nobody able to renew them.
    for round in 0..2u64 {
        for (p, phone) in phones.iter_mut().enumerate() {
            let id = 200 + 10 * round + p as u64;
            let reply = post_note(phone, &board, id, &note(p, &format!("during {round}"))).await;
            let reply = reply.unwrap_or_else(|| panic!("phone {p} (node {}) lost its connection", p % 3));
            assert_eq!(reply["error"], "not_saved", "phone {p} on node {}: {reply}", p % 3);
        }
        if round == 0 {
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
    }
    for n in 0..3 {
        let (status, said) = get_text(&cluster.node(n).url("/healthz")).await;
        assert_eq!(status, 503, "node {n}: {said}");
        assert!(said.contains(r#""database":"unavailable""#), "node {n}: {said}");
    }
    let away = stopped.elapsed();
    assert!(away > Duration::from_secs(3), "PostgreSQL was away {away:?}, longer than the leases");

    postgres.restart();
    let until = Instant::now() + Duration::from_secs(20);
    for n in 0..3 {
        while get_text(&cluster.node(n).url("/healthz")).await.0 != 200 {
            assert!(Instant::now() < until, "node {n}'s health did not come back");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // The first refused note of each phone, resent with its id; then a new one; then the
    // first again (acknowledged, not applied twice). The owner's writer tries again every
    // second, so a `not_saved` just after the database is back is resent.
    for (p, phone) in phones.iter_mut().enumerate() {
        for (id, text) in [
            (200 + p as u64, note(p, "during 0")),
            (300 + p as u64, note(p, "after")),
            (200 + p as u64, note(p, "during 0")),
        ] {
            let reply = loop {
                let reply = post_note(phone, &board, id, &text).await;
                let reply = reply.unwrap_or_else(|| panic!("phone {p} (node {}) lost its connection", p % 3));
                if reply["error"] == "not_saved" && Instant::now() < until {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
                break reply;
            };
            assert_eq!(reply["type"], "ack", "phone {p} on node {}: {reply}", p % 3);
            acked.insert(id, text);
        }
    }

    let on_board = notes_on_board(cluster.node(1), &session).await;
    assert_eq!(on_board.len(), PHONES * 3, "{on_board:?}");
    assert_exactly_once(&on_board, &acked);
    // Nobody took the session over: the owner renewed its lapsed lease first.
    let db = sqlx::PgPool::connect(&database).await.expect("connect");
    assert_still_with_node_0(&cluster, &db, &session.code).await;
    // The events written all carry the first epoch.
    let (stale,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM events WHERE session = $1 AND epoch IS DISTINCT FROM 1")
            .bind(&session.code)
            .fetch_one(&db)
            .await
            .expect("count");
    assert_eq!(stale, 0);
}

/// An owner that is slow for a moment (paused with SIGSTOP for 4.5 s: longer than a forwarded
/// call waits, 3 s, shorter than its lease, 10 s) costs the phones on the other nodes nothing
/// but the wait: their relays ask again and do not end, the notes sent meanwhile are
/// acknowledged once the owner answers, on the same connections, and each is on the board
/// once. Nobody takes the session over.
#[actix_web::test]
async fn a_slow_owner_keeps_the_relays_and_their_phones() {
    let database = Scratch::shared().database().await;
    let nats = ScratchNats::start();
    let cluster = Cluster::start(&database, &nats.url(), "10s").await;
    let (session, board, host, tokens) = board_with_phones(&cluster, 3).await;
    drop(host);
    // Phones 1 and 2 on the relaying nodes 1 and 2.
    let mut phones = Vec::new();
    for (p, token) in tokens.iter().enumerate().skip(1) {
        phones.push(Client::participant(&cluster.node(p).ws_url(), &session.code, Some(token)).await.0);
    }
    let mut acked = BTreeMap::new();
    for (i, phone) in phones.iter_mut().enumerate() {
        let text = format!("phone {i} before");
        assert_eq!(post_note(phone, &board, 10 + i as u64, &text).await.expect("a reply")["type"], "ack");
        acked.insert(10 + i as u64, text);
    }

    signal(cluster.node(0), "-STOP");
    let paused = Instant::now();
    let mut sent = Vec::new();
    for (i, phone) in phones.iter_mut().enumerate() {
        let (id, text) = (20 + i as u64, format!("phone {i} during"));
        let request =
            json!({"type": "note_add", "id": id, "activity": board, "frame": 0, "text": text, "color": "green"});
        assert!(phone.try_send(request).await, "phone {i} sent");
        sent.push((id, text));
    }
    tokio::time::sleep(Duration::from_millis(4500)).await;
    signal(cluster.node(0), "-CONT");
    for ((id, text), phone) in sent.into_iter().zip(phones.iter_mut()) {
        let reply = phone.try_reply(id).await.unwrap_or_else(|| panic!("note {id}: the connection ended"));
        assert_eq!(reply["type"], "ack", "{reply}");
        acked.insert(id, text);
    }
    eprintln!("owner paused 4.5 s: the notes sent meanwhile acknowledged {:?} after the pause began", paused.elapsed());
    for (i, phone) in phones.iter_mut().enumerate() {
        let text = format!("phone {i} after");
        let reply = post_note(phone, &board, 30 + i as u64, &text).await.expect("the same connection");
        assert_eq!(reply["type"], "ack", "{reply}");
        acked.insert(30 + i as u64, text);
    }
    assert_exactly_once(&notes_on_board(cluster.node(1), &session).await, &acked);
    let retries = cluster.metric(1, "chorus_forward_retries_total").await
        + cluster.metric(2, "chorus_forward_retries_total").await;
    assert!(retries > 0.0, "the relays asked the owner again");
    assert_eq!(cluster.metric(0, "chorus_sessions_owned").await, 1.0, "node 0 still owns the session");
    let mut takeovers = 0.0;
    for n in 0..3 {
        takeovers += cluster.metric(n, "chorus_lease_takeovers_total").await;
    }
    assert_eq!(takeovers, 0.0);
}

/// A lease that lapsed while its owner still serves the session (as after PostgreSQL was
/// away: nobody could renew it, and the owner has not renewed it yet) is not taken over: a
/// node asked for the session asks the owner first and relays it, and a node starting leaves
/// it to the node that serves it. Played here by expiring the lease in the database, with
/// leases of 60 s (renewed every 20 s), so that the owner does not renew it meanwhile.
#[actix_web::test]
async fn a_lapsed_lease_stays_with_the_owner_that_still_answers() {
    let database = Scratch::shared().database().await;
    let nats = ScratchNats::start();
    let mut cluster = Cluster::start(&database, &nats.url(), "60s").await;
    let session = create_session_at(&cluster.node(0).url(""), workshop_agenda()).await;
    let db = sqlx::PgPool::connect(&database).await.expect("connect");
    let expired: (bool,) = sqlx::query_as(
        "UPDATE leases SET expires_at = now() - interval '1 second' WHERE session = $1 RETURNING expires_at < now()",
    )
    .bind(&session.code)
    .fetch_one(&db)
    .await
    .expect("expire the lease");
    assert!(expired.0);
    // Asked through node 1, which has never seen the session; and node 2 started again.
    let (mut host, _) = Client::host(&cluster.node(1).ws_url(), &session).await;
    cluster.restart(2).await;
    let (mut phone, _) = Client::participant(&cluster.node(2).ws_url(), &session.code, None).await;
    host.ok(json!({"type": "goto", "activity": session.activity(0), "round": "Before"})).await;
    let answer =
        json!({"type": "answer", "activity": session.activity(0), "round": "Before", "statement": 0, "value": 3});
    phone.ok(answer).await;

    assert_still_with_node_0(&cluster, &db, &session.code).await;
}

/// Budgets per address are counted by each node (docs/deploy.md, "Budgets per address in a
/// cluster"): straight to the nodes, one address starts 10 sessions on each. Behind nginx
/// configured as the docs say, sessions started from one address are counted once for all
/// three nodes: 10 at once, then 429, although nginx spreads them over the nodes; another
/// address is not slowed.
#[actix_web::test]
async fn behind_nginx_session_starts_are_counted_once_for_all_nodes() {
    use std::net::Ipv4Addr;

    use crate::hardening::{Nginx, http_from};

    let database = Scratch::shared().database().await;
    let nats = ScratchNats::start();
    let cluster = Cluster::start_with(&database, &nats.url(), "10s", &[("CHORUS_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let start = json!({"title": "Budget"});
    let starts = |server: String, source: Ipv4Addr, times: usize| {
        let start = start.clone();
        async move {
            let mut statuses = Vec::new();
            for _ in 0..times {
                statuses.push(http_from(&server, source, "POST /api/sessions", &[], Some(&start)).await.0);
            }
            statuses
        }
    };
    // Straight to two nodes, from one address: each node counts its own budget.
    let direct = Ipv4Addr::new(127, 0, 0, 61);
    for n in 0..2 {
        let statuses = starts(cluster.addrs[n].clone(), direct, 11).await;
        assert_eq!(statuses[..10], [201; 10], "node {n}: {statuses:?}");
        assert_eq!(statuses[10], 429, "node {n}: {statuses:?}");
    }

    let upstream: String = cluster.addrs.iter().map(|addr| format!("server {addr};")).collect();
    let nginx = Nginx::start_with(|port| {
        format!(
            r#"map $request_method $chorus_start_key {{ POST $binary_remote_addr; default ""; }}
    limit_req_zone $chorus_start_key zone=chorus_start:10m rate=1r/m;
    upstream chorus {{ {upstream} }}
    server {{
        listen 127.0.0.1:{port};
        location = /api/sessions {{
            limit_req zone=chorus_start burst=9 nodelay;
            limit_req_status 429;
            proxy_pass http://chorus;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
        location / {{
            proxy_pass http://chorus;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}"#
        )
    })
    .await;
    let client = Ipv4Addr::new(127, 0, 0, 62);
    let statuses = starts(nginx.addr.clone(), client, 14).await;
    assert_eq!(statuses[..10], [201; 10], "{statuses:?}");
    assert_eq!(statuses[10..], [429; 4], "{statuses:?}");
    // nginx spread them: every node started some (and alone would have let 10 more in).
    let mut owned = Vec::new();
    for n in 0..3 {
        owned.push(cluster.metric(n, "chorus_sessions_owned").await);
    }
    assert!(owned[2] >= 3.0, "sessions owned per node: {owned:?}");
    let elsewhere = starts(nginx.addr.clone(), Ipv4Addr::new(127, 0, 0, 63), 1).await;
    assert_eq!(elsewhere, [201], "another address");
}
