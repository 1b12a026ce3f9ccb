//! The journal in PostgreSQL (`--database-url`): a real PostgreSQL cluster started by the
//! tests (one per test binary run, a database per test; see `chorus::cluster::scratch`).
//! A whole workshop gives the same exports as on SQLite; `kill -9` loses no acknowledged
//! answer; PostgreSQL going away answers `not_saved` and `/healthz` 503, and writes resume
//! when it is back.

use std::collections::BTreeMap;
use std::time::Duration;

use chorus::cluster::scratch::Scratch;
use chorus::journal::postgres::Options;
use serde_json::{Value, json};

use crate::common::*;

fn agenda() -> Value {
    json!([
        {"kind": "scale", "title": "How do you feel about co-production?",
         "statements": ["I understand the term co-production", "My colleagues understand how to use co-production"],
         "min": 1, "max": 5, "rounds": ["Before", "After"]},
        {"kind": "wordcloud", "prompt": "What word would you use instead of co-production?", "max_entries": 3},
        {"kind": "jamboard", "title": "What gets in the way?", "frames": ["Barriers", "Successes"], "dots": 2}
    ])
}

/// Runs one scripted workshop on `server` (scale before, words, notes with a theme and dots,
/// scale after, hiding a word, closing) and returns its JSON and CSV exports with the
/// session's own code, ids and times replaced, so that two runs compare.
async fn workshop(server: &TestServer) -> (Value, String) {
    let session = create_session_at(&server.url(""), agenda()).await;
    let (scale, cloud, board) = (session.activity(0), session.activity(1), session.activity(2));
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    let mut phones = Vec::new();
    for _ in 0..3 {
        phones.push(Client::participant(&server.ws_url(), &session.code, None).await.0);
    }
    host.ok(json!({"type": "goto", "activity": scale, "round": "Before"})).await;
    for (p, phone) in phones.iter_mut().enumerate() {
        for statement in 0..2 {
            let value = 1 + (p + statement) % 5;
            phone.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": statement, "value": value})).await;
        }
    }
    host.ok(json!({"type": "goto", "activity": cloud})).await;
    for (phone, words) in
        phones.iter_mut().zip([["Together", "Trust"], ["together", "Families"], ["Partnership", "family"]])
    {
        for text in words {
            phone.ok(json!({"type": "answer", "activity": cloud, "text": text})).await;
        }
    }
    host.ok(json!({"type": "hide", "activity": cloud, "item": "trust", "hidden": true})).await;
    host.ok(json!({"type": "goto", "activity": board})).await;
    for (p, phone) in phones.iter_mut().enumerate() {
        let note = json!({"type": "note_add", "activity": board, "frame": p % 2, "text": format!("Not enough time {p}"), "color": "yellow"});
        phone.ok(note).await;
    }
    host.ok(json!({"type": "theme", "activity": board, "name": "Time"})).await;
    host.ok(json!({"type": "goto", "activity": scale, "round": "After"})).await;
    for (p, phone) in phones.iter_mut().enumerate() {
        phone.ok(json!({"type": "answer", "activity": scale, "round": "After", "statement": 0, "value": 5 - p})).await;
    }
    let url = |path: &str| server.url(&format!("/api/sessions/{}{path}", session.code));
    let (status, _) = post_json(&url("/close"), Some(&session.host_key), &json!({})).await;
    assert_eq!(status, 200);
    let (status, export) = get_json(&url("/export/json"), Some(&session.host_key)).await;
    assert_eq!(status, 200);
    let mut csv = awc::Client::new().get(url("/export/csv")).bearer_auth(&session.host_key).send().await.expect("csv");
    let csv = String::from_utf8(csv.body().limit(1 << 22).await.expect("body").to_vec()).expect("UTF-8");
    let normalise = |text: &str| {
        let mut text = text.replace(&session.code, "CODE");
        for (index, id) in [&scale, &cloud, &board].into_iter().enumerate() {
            text = text.replace(id.as_str(), &format!("ACTIVITY{index}"));
        }
        without_times(&text)
    };
    let export = serde_json::from_str(&normalise(&export.to_string())).expect("JSON");
    (export, normalise(&csv))
}

/// Replaces ISO times (`2026-12-03T15:31:00.000Z`) and the spreadsheet's `2026-12-03 15:31:00`.
fn without_times(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let looks_like_date = i + 19 <= bytes.len()
            && bytes[i..i + 4].iter().all(u8::is_ascii_digit)
            && bytes[i + 4] == b'-'
            && bytes[i + 7] == b'-'
            && (bytes[i + 10] == b'T' || bytes[i + 10] == b' ')
            && bytes[i + 13] == b':';
        if looks_like_date {
            let mut end = i + 19;
            while end < bytes.len() && (bytes[end].is_ascii_digit() || bytes[end] == b'.' || bytes[end] == b'Z') {
                end += 1;
            }
            out.push_str("TIME");
            i = end;
        } else {
            let c = text[i..].chars().next().expect("a character");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The same workshop on SQLite and on PostgreSQL exports the same JSON and CSV.
#[actix_web::test]
async fn a_workshop_on_postgres_exports_as_on_sqlite() {
    let url = Scratch::shared().database().await;
    let sqlite = TestServer::start().await;
    let postgres = TestServer::start_with(|settings| settings.postgres = Some(Options::new(url))).await;
    let (on_sqlite, csv_sqlite) = workshop(&sqlite).await;
    let (on_postgres, csv_postgres) = workshop(&postgres).await;
    assert_eq!(on_sqlite["activities"].as_array().map(Vec::len), Some(3), "{on_sqlite}");
    assert_eq!(on_sqlite["session"]["participants"], 3);
    assert_eq!(on_postgres, on_sqlite);
    assert!(csv_sqlite.contains("Together") && csv_sqlite.contains("Not enough time 2"), "{csv_sqlite}");
    assert_eq!(csv_postgres, csv_sqlite);
    assert!(!postgres.data_dir.path().join("chorus.db").exists(), "no SQLite journal beside PostgreSQL");
}

/// A phone that posts `notes` (resending the same request ids) until the connection dies;
/// sends back the ids acknowledged.
async fn post_notes(
    ws_url: String,
    code: String,
    token: String,
    board: String,
    notes: Vec<(u64, String)>,
    acked: tokio::sync::mpsc::UnboundedSender<u64>,
) {
    let Ok((ws, _)) = tokio_tungstenite::connect_async(ws_url.as_str()).await else { return };
    let mut client = Client::from_stream(ws);
    client.send(json!({"type": "join", "code": code, "token": token})).await;
    if !matches!(client.next_welcome().await, Some(true)) {
        return;
    }
    for (id, text) in notes {
        let request =
            json!({"type": "note_add", "id": id, "activity": board, "frame": 0, "text": text, "color": "green"});
        loop {
            if !client.try_send(request.clone()).await {
                return;
            }
            match client.try_reply(id).await {
                Some(reply) if reply["type"] == "ack" => {
                    let _ = acked.send(id);
                    break;
                }
                Some(reply) if reply["error"] == "rate_limited" => tokio::time::sleep(Duration::from_millis(150)).await,
                Some(reply) => panic!("note {id} refused: {reply}"),
                None => return,
            }
        }
    }
}

/// Acknowledged means committed in PostgreSQL: phones post notes while the server (on
/// PostgreSQL) is killed with SIGKILL at random moments and started again; each phone resends
/// what was not acknowledged, with the same request id. Every acknowledged note is there once.
#[actix_web::test]
async fn kill_9_on_postgres_loses_no_acknowledged_answer() {
    const CYCLES: usize = 5;
    const PHONES: usize = 4;
    let url = Scratch::shared().database().await;
    let data_dir = tempfile::tempdir().expect("data dir");
    // A killed server's leases hold its sessions until they run out: short ones, so that each
    // restart waits a second rather than ten.
    let env = [("CHORUS_DATABASE_URL", url.as_str()), ("CHORUS_LEASE_TTL", "1s")];
    let start = || ServerProcess::start_at_with(data_dir.path(), "127.0.0.1:0", &env);
    let mut server = start();
    server.wait_healthy().await;
    let agenda = json!([{"kind": "jamboard", "title": "Crash", "frames": ["Notes"], "notes_per_participant": 100}]);
    let (session, board, host) = session_on_first_activity(&server, agenda, None).await;
    drop(host);
    let mut tokens = Vec::new();
    for _ in 0..PHONES {
        let (_, welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
        tokens.push(welcome["token"].as_str().expect("token").to_owned());
    }
    let mut pending: Vec<Vec<(u64, String)>> = vec![Vec::new(); PHONES];
    let mut acked: BTreeMap<u64, String> = BTreeMap::new();
    let mut sent: BTreeMap<u64, String> = BTreeMap::new();
    let (mut next_id, mut seed) = (0u64, 0x2545_f491_4f6c_dd1du64);
    for cycle in 0..=CYCLES {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut phones = Vec::new();
        for (p, token) in tokens.iter().enumerate() {
            if cycle < CYCLES {
                for _ in 0..5 {
                    next_id += 1;
                    let note = (next_id, format!("phone {p} note {next_id}"));
                    sent.insert(note.0, note.1.clone());
                    pending[p].push(note);
                }
            }
            let task = post_notes(
                server.ws_url(),
                session.code.clone(),
                token.clone(),
                board.clone(),
                pending[p].clone(),
                tx.clone(),
            );
            phones.push(tokio::spawn(task));
        }
        drop(tx);
        if cycle < CYCLES {
            tokio::time::sleep(Duration::from_millis(5 + xorshift(&mut seed) % 60)).await;
            server.kill();
        }
        for phone in phones {
            let _ = phone.await;
        }
        while let Some(id) = rx.recv().await {
            acked.insert(id, sent[&id].clone());
        }
        for notes in &mut pending {
            notes.retain(|(id, _)| !acked.contains_key(id));
        }
        if cycle < CYCLES {
            server = start();
            server.wait_healthy().await;
        }
    }
    assert!(pending.iter().all(Vec::is_empty), "the last, calm round acknowledges everything still pending");
    let (status, export) =
        get_json(&server.url(&format!("/api/sessions/{}/export/json", session.code)), Some(&session.host_key)).await;
    assert_eq!(status, 200);
    let on_board: Vec<String> = export["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .map(|response| response["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    let distinct: std::collections::BTreeSet<&String> = on_board.iter().collect();
    assert_eq!(distinct.len(), on_board.len(), "a note applied twice");
    let expected: std::collections::BTreeSet<&String> = acked.values().collect();
    assert_eq!(distinct, expected, "the board holds exactly the acknowledged notes");
    eprintln!("{CYCLES} kills on PostgreSQL: {} notes acknowledged, 0 lost, 0 applied twice", acked.len());
}

/// While PostgreSQL is down, an answer is refused `not_saved` (never acknowledged) and
/// `/healthz` says 503; once it is back, health returns and answers are saved again. Only the
/// acknowledged answers are in the export.
#[actix_web::test]
async fn postgres_going_away_answers_not_saved_and_comes_back() {
    let cluster = Scratch::start();
    let url = cluster.database().await;
    let server = TestServer::start_with(|settings| settings.postgres = Some(Options::new(url))).await;
    let session = create_session(&server).await;
    let scale = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": scale, "round": "Before"})).await;
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    let answer = |statement: u32, value: u32| json!({"type": "answer", "activity": scale, "round": "Before", "statement": statement, "value": value});
    phone.ok(answer(0, 4)).await;

    cluster.kill();
    let refused = phone.request(answer(1, 2)).await;
    assert_eq!(refused["error"], "not_saved", "{refused}");
    assert_eq!(health(&server).await, 503, "/healthz while PostgreSQL is down");

    cluster.restart();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while health(&server).await != 200 {
        assert!(std::time::Instant::now() < deadline, "health did not come back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    phone.ok(answer(1, 3)).await;
    let (status, export) =
        get_json(&server.url(&format!("/api/sessions/{}/export/json", session.code)), Some(&session.host_key)).await;
    assert_eq!(status, 200);
    let values: Vec<(u64, u64)> = export["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .map(|r| (r["statement"].as_u64().unwrap_or(99), r["value"].as_u64().unwrap_or(99)))
        .collect();
    assert_eq!(values, vec![(0, 4), (1, 3)], "{export}");
}

async fn health(server: &TestServer) -> u16 {
    awc::Client::new()
        .get(server.url("/healthz"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map(|response| response.status().as_u16())
        .unwrap_or(0)
}

fn signal(server: &ServerProcess, signal: &str) {
    let status =
        std::process::Command::new("kill").args([signal, &server.id().to_string()]).status().expect("run kill");
    assert!(status.success(), "kill {signal}");
}

/// Fencing between two real servers on one database: the owner is paused (SIGSTOP) past its
/// lease; a second server starts, waits for the lease to run out, takes the session over
/// (epoch 2) and takes answers. The first is resumed: its phone's next answer is refused
/// `not_saved` by the fencing, and nothing of it lands.
#[actix_web::test]
async fn a_paused_owner_is_fenced_after_a_take_over() {
    let url = Scratch::shared().database().await;
    let env = [("CHORUS_DATABASE_URL", url.as_str()), ("CHORUS_LEASE_TTL", "1s")];
    let (dir_a, dir_b) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    let first = ServerProcess::start_at_with(dir_a.path(), "127.0.0.1:0", &env);
    first.wait_healthy().await;
    let (session, scale, host) = session_on_first_activity(&first, workshop_agenda(), Some("Before")).await;
    let answer = |statement: u32, value: u32| json!({"type": "answer", "activity": scale, "round": "Before", "statement": statement, "value": value});
    let (mut early, _) = Client::participant(&first.ws_url(), &session.code, None).await;
    early.ok(answer(0, 2)).await;

    signal(&first, "-STOP");
    let second = ServerProcess::start_at_with(dir_b.path(), "127.0.0.1:0", &env);
    second.wait_healthy().await;
    let (mut late, _) = Client::participant(&second.ws_url(), &session.code, None).await;
    late.ok(answer(0, 5)).await;

    signal(&first, "-CONT");
    let refused = early.request(answer(1, 1)).await;
    assert_eq!(refused["error"], "not_saved", "a write from the paused owner after the take-over: {refused}");
    drop(host);

    let (status, export) =
        get_json(&second.url(&format!("/api/sessions/{}/export/json", session.code)), Some(&session.host_key)).await;
    assert_eq!(status, 200);
    let values: Vec<(u64, u64)> = export["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .map(|r| (r["statement"].as_u64().unwrap_or(99), r["value"].as_u64().unwrap_or(99)))
        .collect();
    assert_eq!(values, vec![(0, 2), (0, 5)], "the paused owner's late answer never landed: {export}");
}

fn chorus(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_chorus")).args(args).output().expect("run chorus")
}

/// Every session's row and every event (time, JSON, request fingerprint), in order.
async fn journal_contents(reader: &chorus::journal::Reader) -> Vec<(chorus::journal::SessionRecord, Vec<String>)> {
    let mut contents = Vec::new();
    for record in reader.all_sessions().await.expect("sessions") {
        let events = reader.events(&record.code).await.expect("events");
        let events = events
            .iter()
            .map(|stored| {
                format!("{} {} {:?}", stored.at, serde_json::to_string(&stored.event).expect("JSON"), stored.request)
            })
            .collect();
        contents.push((record, events));
    }
    contents
}

/// `chorus migrate` copies a SQLite data dir (a closed workshop and an open session) into
/// PostgreSQL exactly: the same sessions, the same events in the same order. A second run
/// into the now non-empty target is refused with a clear message and changes nothing. A
/// server on the target carries the open session on: its phone resumes and answers.
#[actix_web::test]
async fn migrate_copies_a_sqlite_data_dir_exactly_and_refuses_a_non_empty_target() {
    let url = Scratch::shared().database().await;
    let sqlite = TestServer::start().await;
    workshop(&sqlite).await;
    let open = create_session(&sqlite).await;
    let scale = open.activity(0);
    let (mut host, _) = Client::host(&sqlite.ws_url(), &open).await;
    host.ok(json!({"type": "goto", "activity": scale, "round": "Before"})).await;
    let (mut phone, welcome) = Client::participant(&sqlite.ws_url(), &open.code, None).await;
    let token = welcome["token"].as_str().expect("token").to_owned();
    phone.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 3})).await;
    drop((host, phone));
    let data_dir = sqlite.stop().await;
    let file = data_dir.path().join("chorus.db");
    let file = file.to_str().expect("path");

    let copied = chorus(&["migrate", "--from", file, "--to", &url]);
    let said = String::from_utf8_lossy(&copied.stdout);
    assert!(copied.status.success(), "{said}{}", String::from_utf8_lossy(&copied.stderr));
    assert!(said.starts_with("Copied 2 sessions (1 open) and "), "{said}");

    let source = journal_contents(&chorus::journal::Reader::open(data_dir.path()).await.expect("SQLite")).await;
    let target = journal_contents(&chorus::journal::Reader::connect(&url).await.expect("PostgreSQL")).await;
    assert_eq!(source.len(), 2);
    assert!(source.iter().all(|(_, events)| events.len() > 3));
    assert_eq!(target, source, "the copy is exact");

    let again = chorus(&["migrate", "--from", file, "--to", &url]);
    assert!(!again.status.success(), "a second copy into the same database");
    let refusal = String::from_utf8_lossy(&again.stderr);
    assert!(
        refusal.contains("the target database already holds Chorus data (2 sessions,")
            && refusal.contains("copies only into an empty database"),
        "{refusal}"
    );
    let unchanged = journal_contents(&chorus::journal::Reader::connect(&url).await.expect("PostgreSQL")).await;
    assert_eq!(unchanged, source, "a refused copy changes nothing");
    let missing = chorus(&["migrate", "--from", "no-such-file.db", "--to", &url]);
    assert!(!missing.status.success() && String::from_utf8_lossy(&missing.stderr).contains("does not exist"));

    // A server on the target: the open session is back, and its phone carries on.
    let server = TestServer::start_with(|settings| settings.postgres = Some(Options::new(url.clone()))).await;
    let (mut phone, welcome) = Client::participant(&server.ws_url(), &open.code, Some(&token)).await;
    assert_eq!(welcome["token"], token.as_str(), "resumed as itself");
    phone.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 1, "value": 4})).await;
    let output = chorus(&["export", &open.code, "--format", "csv", "--database-url", &url]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 3, "a header and both answers");
}

/// A server that cannot reach PostgreSQL at start says so and exits non-zero; one given
/// `--database-url` beside a data dir that holds a SQLite journal refuses to start.
#[actix_web::test]
async fn a_server_refuses_to_start_without_its_database_or_beside_a_sqlite_journal() {
    let dir = tempfile::tempdir().expect("dir");
    let data_dir = dir.path().to_str().expect("path");
    let serve = |url: &str| chorus(&["serve", "--bind", "127.0.0.1:0", "--data-dir", data_dir, "--database-url", url]);
    let unreachable = serve("postgres://chorus:secret@127.0.0.1:1/chorus");
    let said = String::from_utf8_lossy(&unreachable.stderr);
    assert!(!unreachable.status.success());
    assert!(said.contains("cannot use PostgreSQL at postgres://chorus:***@127.0.0.1:1/chorus"), "{said}");
    assert!(!said.contains("secret"), "the password stays out of messages: {said}");

    let url = Scratch::shared().database().await;
    std::fs::write(dir.path().join("chorus.db"), b"").expect("file");
    let beside = serve(&url);
    let said = String::from_utf8_lossy(&beside.stderr);
    assert!(!beside.status.success());
    assert!(said.contains("holds a SQLite journal: Chorus will not keep two journals"), "{said}");
}
