//! What was acknowledged survives: an orderly stop, and `kill -9`.

use serde_json::json;

use crate::common::*;

/// The server process is killed without warning and started again on the same data dir:
/// every acknowledged answer is back, with the step, round and open/reveal state.
#[actix_web::test]
async fn a_killed_server_comes_back_with_every_acknowledged_answer() {
    let data_dir = tempfile::tempdir().expect("data dir");
    let mut server = ServerProcess::running(data_dir.path()).await;
    let (session, scale, mut host) = session_on_first_activity(&server, workshop_agenda(), Some("Before")).await;
    let mut tokens = Vec::new();
    for (i, value) in [1, 2, 3, 4, 5, 5, 4].into_iter().enumerate() {
        let (mut phone, welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
        phone
            .ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": i % 2, "value": value}))
            .await;
        tokens.push(welcome["token"].as_str().expect("token").to_owned());
    }
    host.ok(json!({"type": "goto", "activity": scale, "round": "After"})).await;
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, Some(&tokens[0])).await;
    phone.ok(json!({"type": "answer", "activity": scale, "round": "After", "statement": 0, "value": 4})).await;
    host.ok(json!({"type": "reveal", "show": true})).await;
    host.ok(json!({"type": "set_open", "open": false})).await;
    server.kill();

    let server = ServerProcess::running(data_dir.path()).await;
    let (status, info) =
        get_json(&server.url(&format!("/api/sessions/{}", session.code)), Some(&session.host_key)).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["participants"], 7);
    assert_eq!(info["step"]["activity"]["id"], scale);
    assert_eq!(info["step"]["round"], "After");
    assert_eq!(info["step"]["open"], false);
    assert_eq!(info["step"]["reveal"], true);

    let (mut projector, _) = Client::presenter(&server.ws_url(), &session).await;
    let results = projector.expect("results").await;
    // Statement 0 got 1, 3, 5, 4 before; statement 1 got 2, 4, 5.
    assert_eq!(round_stats(&results, 0, "Before")["counts"], json!([1, 0, 1, 1, 1]));
    assert_eq!(round_stats(&results, 1, "Before")["counts"], json!([0, 1, 0, 1, 1]));
    assert_eq!(round_stats(&results, 0, "After")["counts"], json!([0, 0, 0, 1, 0]));
    assert_eq!(results["data"]["statements"][0]["paired"], json!({"n": 1, "mean_change": 3.0}));

    // The first participant is still itself, with its answers.
    let (_, welcome) = Client::participant(&server.ws_url(), &session.code, Some(&tokens[0])).await;
    assert_eq!(welcome["mine"]["values"], json!([4, null]));
    assert_eq!(welcome["step"]["open"], false);
}

/// An orderly stop keeps everything too, and tells connected phones to come back (1012).
#[actix_web::test]
async fn an_orderly_stop_says_restart_and_keeps_everything() {
    let server = TestServer::start().await;
    let session = create_session(&server).await;
    let scale = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": scale})).await;
    let (mut phone, welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
    phone.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 2})).await;
    let token = welcome["token"].as_str().expect("token").to_owned();

    let stopping = tokio::spawn(server.stop());
    assert_eq!(phone.closed().await, Some(1012));
    let data_dir = stopping.await.expect("stop");

    let settings = chorus::config::Settings::new(data_dir.path());
    let server = TestServer::start_in(data_dir, settings).await;
    let (_, welcome) = Client::participant(&server.ws_url(), &session.code, Some(&token)).await;
    assert_eq!(welcome["mine"]["values"], json!([2, null]));
    assert_eq!(welcome["step"]["activity"]["id"], scale);
}
