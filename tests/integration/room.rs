//! The workshop day in the room (issue 12), over real WebSockets: answers tapped as the
//! facilitator moves on, results that wait on the projector until shown, who answered, a
//! countdown that stops answers, the closing summary, and a facilitator who lost the console.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{Client, ServerProcess, TestServer, create_session, get_json, workshop_agenda};

/// Messages for `for_how_long`, without waiting past it.
async fn messages_for(client: &mut Client, for_how_long: Duration) -> Vec<Value> {
    let mut seen = Vec::new();
    let until = tokio::time::Instant::now() + for_how_long;
    while let Ok(Ok(message)) = tokio::time::timeout_at(until, client.next()).await {
        seen.push(message);
    }
    seen
}

/// The race seen in a real run: a phone taps a rating and the facilitator presses "Go to"
/// for the next activity within 150 ms. Every tap is acknowledged and counted, whichever
/// reaches the server first, because moving the screen on does not stop answers.
#[actix_web::test]
async fn an_answer_tapped_as_the_facilitator_moves_on_is_kept() {
    let server = TestServer::start().await;
    let session = create_session(&server).await;
    let (scale, other) = (session.activity(0), session.activity(1));
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    let mut phones = Vec::new();
    let mut tokens = Vec::new();
    for _ in 0..12 {
        let (phone, welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
        phones.push(phone);
        tokens.push(welcome["token"].as_str().expect("a token").to_owned());
    }
    for (i, phone) in phones.iter_mut().enumerate() {
        host.ok(json!({"type": "goto", "activity": scale, "round": "Before"})).await;
        phone.expect_where("the scale", |m| m["type"] == "step" && m["activity"]["id"] == scale).await;
        let id = 7 + i as u64;
        let answer =
            json!({"type": "answer", "id": id, "activity": scale, "round": "Before", "statement": 0, "value": 4});
        let goto = json!({"type": "goto", "id": 500 + id, "activity": other});
        // 0 to 150 ms apart, either way round: a slow phone's tap reaches the server after
        // the facilitator's click as often as before it.
        let apart = Duration::from_millis((i as u64 / 2) * 30);
        if i % 2 == 0 {
            phone.send(answer).await;
            tokio::time::sleep(apart).await;
            host.send(goto).await;
        } else {
            host.send(goto).await;
            tokio::time::sleep(apart).await;
            phone.send(answer).await;
        }
        assert_eq!(host.reply(500 + id).await["type"], "ack");
        let reply = phone.reply(id).await;
        let order = if i % 2 == 0 { "before" } else { "after" };
        assert_eq!(reply["type"], "ack", "a tap {} ms {order} the goto: {reply}", apart.as_millis());
    }
    let (_, export) =
        get_json(&server.url(&format!("/api/sessions/{}/export/json", session.code)), Some(&session.host_key)).await;
    let before = &export["activities"][0]["results"]["statements"][0]["rounds"]["Before"];
    assert_eq!(before["n"], 12, "no tap lost: {before}");

    // A phone that comes back to the scale finds its answer, not an empty choice.
    host.ok(json!({"type": "goto", "activity": scale, "round": "Before"})).await;
    let (_, welcome) = Client::participant(&server.ws_url(), &session.code, Some(&tokens[11])).await;
    assert_eq!(welcome["mine"]["values"], json!([4, null]));
}

/// Answers stop when the facilitator stops them or starts the next round, not before; the
/// refusal says why in plain words, and the console and phones are told which activities
/// are still open.
#[actix_web::test]
async fn answers_stop_when_stopped_or_when_the_round_changes() {
    let server = TestServer::start().await;
    let session = create_session(&server).await;
    let (scale, other) = (session.activity(0), session.activity(1));
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    host.ok(json!({"type": "goto", "activity": scale, "round": "Before"})).await;
    host.ok(json!({"type": "goto", "activity": other})).await;
    let step = phone.expect_where("the next step", |m| m["type"] == "step" && m["activity"]["id"] == other).await;
    assert_eq!(step["still_open"], json!([scale]), "the scale the room left is still open");
    // The phone finishes the scale while the room is on the next activity.
    phone.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 1, "value": 2})).await;

    host.ok(json!({"type": "goto", "activity": scale, "round": "After"})).await;
    let reply = phone
        .request(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 5}))
        .await;
    assert_eq!(reply["error"], "not_open");
    assert_eq!(reply["message"], "That round has ended: the facilitator has started the next one.");

    host.ok(json!({"type": "set_open", "open": false})).await;
    host.ok(json!({"type": "goto", "activity": other})).await;
    let reply =
        phone.request(json!({"type": "answer", "activity": scale, "round": "After", "statement": 0, "value": 5})).await;
    assert_eq!(reply["error"], "not_open");
    assert_eq!(reply["message"], "Answers to this question have been stopped.");
    let (_, welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
    assert_eq!(welcome["step"]["activity"]["id"], other);
    assert_eq!(welcome["step"]["still_open"], json!([]), "the scale was stopped");
}

/// A scale's results wait on the projector while answers are open, until the facilitator
/// shows them; the console always has them. The server holds them back: the projector is
/// sent no results at all.
#[actix_web::test]
async fn the_projector_gets_a_scales_results_only_once_shown() {
    let server = TestServer::start().await;
    let session = create_session(&server).await;
    let scale = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    let (mut projector, _) = Client::presenter(&server.ws_url(), &session).await;
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    host.ok(json!({"type": "goto", "activity": scale})).await;
    phone.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 3})).await;
    host.expect_where("the console's results", |m| m["type"] == "results").await;
    let seen = messages_for(&mut projector, Duration::from_millis(600)).await;
    assert!(seen.iter().all(|m| m["type"] != "results"), "the projector got results: {seen:?}");
    let step = seen.iter().rev().find(|m| m["type"] == "step").expect("a step");
    assert_eq!(step["projector"], false);

    host.ok(json!({"type": "show_on_projector", "show": true})).await;
    let results = projector.expect("results").await;
    assert_eq!(results["data"]["statements"][0]["rounds"]["Before"]["n"], 1);
    host.ok(json!({"type": "show_on_projector", "show": false})).await;
    projector.expect_where("hidden again", |m| m["type"] == "step" && m["projector"] == false).await;
    host.ok(json!({"type": "projector_page", "page": 1})).await;
    projector.expect_where("page two", |m| m["type"] == "step" && m["page"] == 1).await;
}

/// Counts: opened the link, took part (answered at least once), answered the activity on
/// screen; the export counts as participants only those who answered.
#[actix_web::test]
async fn counts_tell_who_answered_from_who_only_opened_the_link() {
    let server = TestServer::start().await;
    let session = create_session(&server).await;
    let scale = session.activity(0);
    let (mut host, welcome) = Client::host(&server.ws_url(), &session).await;
    assert!(welcome["server_time"].as_i64().is_some_and(|t| t > 1_700_000_000_000));
    host.ok(json!({"type": "goto", "activity": scale})).await;
    let (mut answering, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    let (_looking, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    answering.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 5})).await;
    // The agenda says at once which activities have answers; the counts follow on the tick.
    let agenda =
        host.expect_where("answers named", |m| m["type"] == "agenda" && m["with_answers"] == json!([scale])).await;
    assert_eq!(agenda["agenda"].as_array().map(Vec::len), Some(2));
    let counts =
        host.expect_where("the counts", |m| m["type"] == "counts" && m["joined"] == 2 && m["answered"] == 1).await;
    assert_eq!(counts["took_part"], 1);

    let (_, export) =
        get_json(&server.url(&format!("/api/sessions/{}/export/json", session.code)), Some(&session.host_key)).await;
    assert_eq!(export["session"]["participants"], 1, "a tab opened and never used is not a participant");
    assert_eq!(export["session"]["opened"], 2);
}

/// After closing, the console and projector (also one that connects later) get every
/// activity's results for the closing summary.
#[actix_web::test]
async fn a_closed_session_sends_its_summary() {
    let server = TestServer::start().await;
    let session = create_session(&server).await;
    let scale = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    host.ok(json!({"type": "goto", "activity": scale})).await;
    phone.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 2})).await;
    // The summary may come before the close's ack: read it as it comes.
    host.send(json!({"type": "close_session", "id": 1})).await;
    let summary = host.expect("summary").await;
    assert_eq!(summary["activities"].as_array().map(Vec::len), Some(2));
    assert_eq!(summary["activities"][0]["activity"]["id"], scale);
    assert_eq!(summary["activities"][0]["data"]["statements"][0]["rounds"]["Before"]["mean"], 2.0);
    let (mut projector, _) = Client::presenter(&server.ws_url(), &session).await;
    let summary = projector.expect("summary").await;
    assert_eq!(summary["activities"][0]["data"]["statements"][0]["rounds"]["Before"]["n"], 1);
}

/// A countdown that stops answers: out of range refused; at zero answers stop on every
/// screen (this one runs its minimum of a minute).
#[actix_web::test]
async fn a_countdown_that_stops_answers_stops_them_at_zero() {
    let server = TestServer::start().await;
    let session = create_session(&server).await;
    let scale = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": scale})).await;
    assert_eq!(host.refused(json!({"type": "timer", "seconds": 30, "stop_answers": true})).await, "out_of_range");
    assert_eq!(host.refused(json!({"type": "timer", "seconds": 3600})).await, "out_of_range");
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    host.ok(json!({"type": "timer", "seconds": 60, "stop_answers": true})).await;
    let step = phone.expect_where("the countdown", |m| m["type"] == "step" && !m["timer"].is_null()).await;
    let ends_at = step["timer"]["ends_at"].as_i64().expect("ends_at");
    assert_eq!(step["timer"]["seconds"], 60);
    phone.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 4})).await;
    let stopped = tokio::time::timeout(Duration::from_secs(75), async {
        loop {
            let seen = messages_for(&mut phone, Duration::from_secs(5)).await;
            if let Some(step) = seen.into_iter().find(|m| m["type"] == "step" && m["open"] == false) {
                return step;
            }
        }
    })
    .await
    .expect("answers stopped within the minute");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis() as i64;
    assert!(now >= ends_at, "stopped {} ms early", ends_at - now);
    assert_eq!(stopped["timer"]["seconds"], 60, "the countdown stays on screen at zero");
    let reply = phone
        .request(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 1, "value": 4}))
        .await;
    assert_eq!(reply["error"], "not_open");
}

/// A facilitator who closed the tab: `chorus console-link` gives a new console link while
/// the server runs; the old key is refused at once, the new one opens the console; `chorus
/// sessions` lists the session with its counts.
#[actix_web::test]
async fn a_lost_console_comes_back_with_a_new_link() {
    let data = tempfile::tempdir().expect("temp dir");
    let server = ServerProcess::running(data.path()).await;
    let session = crate::common::create_session_at(&server.url(""), workshop_agenda()).await;
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": session.activity(0)})).await;
    phone
        .ok(json!({"type": "answer", "activity": session.activity(0), "round": "Before", "statement": 0, "value": 1}))
        .await;

    let run = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
            .args(args)
            .arg("--data-dir")
            .arg(data.path())
            .output()
            .expect("run chorus");
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).expect("UTF-8")
    };
    let listed = run(&["sessions"]);
    let line =
        listed.lines().find(|line| line.contains(&chorus::auth::display_join_code(&session.code))).expect("listed");
    assert!(line.contains("live") && line.contains("Co-production training"), "{line}");
    let numbers: Vec<&str> = line.split_whitespace().filter(|w| w.chars().all(|c| c.is_ascii_digit())).collect();
    assert!(numbers.ends_with(&["1", "1"]), "1 participant, 1 opened: {line}");

    let said = run(&["console-link", &session.code, "--public-url", &server.url("")]);
    let console = said.lines().find(|line| line.contains("/host/")).expect("a console link");
    let new_key = console.split("#key=").nth(1).expect("a key").trim().to_owned();
    assert_ne!(new_key, session.host_key);
    let projector = said.lines().find(|line| line.contains("/present/")).expect("a projector link");
    assert!(!projector.contains(&new_key), "the projector link never opens the console");

    let mut old = Client::connect(&server.ws_url()).await;
    old.send(json!({"type": "host", "code": session.code, "key": session.host_key})).await;
    let refused = old.expect("error").await;
    assert_eq!(refused["error"], "unauthorized");
    let (status, _) = get_json(&server.url(&format!("/api/sessions/{}", session.code)), Some(&session.host_key)).await;
    assert_eq!(status, 401);

    let mut new = Client::connect(&server.ws_url()).await;
    new.send(json!({"type": "host", "code": session.code, "key": new_key})).await;
    let welcome = new.expect("welcome_host").await;
    assert_eq!(welcome["session"]["took_part"], 1);
    let (status, body) = get_json(&server.url(&format!("/api/sessions/{}", session.code)), Some(&new_key)).await;
    assert_eq!(status, 200, "{body}");
}
