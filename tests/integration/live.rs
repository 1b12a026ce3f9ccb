//! A live session: joining, answering, and what every screen sees.

use serde_json::json;

use crate::common::*;

/// A new participant gets a token; coming back with it keeps its identity and its answers.
#[actix_web::test]
async fn join_welcome_and_resume_with_the_token() {
    let server = TestServer::start().await;
    let session = create_session(&server).await;
    let scale = session.activity(0);
    let (mut host, welcome_host) = Client::host(&server.ws_url(), &session).await;
    assert_eq!(welcome_host["session"]["code"], session.code);
    assert_eq!(welcome_host["session"]["present_key"], session.present_key);
    host.ok(json!({"type": "goto", "activity": scale, "round": "Before"})).await;

    let (mut phone, welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
    let token = welcome["token"].as_str().expect("token").to_owned();
    let me = welcome["participant_id"].clone();
    assert_eq!(token.len(), 32);
    assert_eq!(welcome["title"], "Co-production training");
    assert_eq!(welcome["state"], "live");
    assert_eq!(welcome["step"]["activity"]["id"], scale);
    assert_eq!(welcome["step"]["round"], "Before");
    assert_eq!(welcome["mine"]["values"], json!([null, null]));
    phone.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 1, "value": 4})).await;
    drop(phone);

    let (_phone, again) = Client::participant(&server.ws_url(), &session.code, Some(&token)).await;
    assert_eq!(again["participant_id"], me);
    assert_eq!(again["token"], token);
    assert_eq!(again["mine"]["values"], json!([null, 4]));

    let (_other, stranger) = Client::participant(&server.ws_url(), &session.code, None).await;
    assert_ne!(stranger["participant_id"], me);
    let counts = host.expect_where("two joined", |m| m["type"] == "counts" && m["joined"] == 2).await;
    assert!(counts["online"].as_u64().is_some());
}

/// An answer is acknowledged, and the projector's next results count it; a changed answer
/// replaces the first.
#[actix_web::test]
async fn answers_reach_the_projector_and_a_changed_answer_counts_once() {
    let server = TestServer::start().await;
    let session = create_session(&server).await;
    let scale = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    let (mut projector, welcome) = Client::presenter(&server.ws_url(), &session).await;
    assert_eq!(welcome["session"]["join_url"], format!("{}/j/{}", server.url(""), session.code));
    host.ok(json!({"type": "goto", "activity": scale})).await;
    let step = projector.expect("step").await;
    // The waiting screen first, then the scale.
    let step = if step["activity"].is_null() { projector.expect("step").await } else { step };
    assert_eq!(step["activity"]["id"], scale);
    assert_eq!(step["round"], "Before");
    assert_eq!(step["open"], true);
    assert_eq!(step["projector"], false, "a scale's results wait on the projector until shown");
    host.ok(json!({"type": "show_on_projector", "show": true})).await;
    projector.expect_where("results shown", |m| m["type"] == "step" && m["projector"] == true).await;

    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    phone.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 2})).await;
    let results = projector
        .expect_where("the answer counted", |m| m["type"] == "results" && round_stats(m, 0, "Before")["n"] == 1)
        .await;
    assert_eq!(round_stats(&results, 0, "Before")["counts"], json!([0, 1, 0, 0, 0]));
    assert_eq!(round_stats(&results, 0, "Before")["mean"], 2.0);

    phone.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 5})).await;
    let results = projector
        .expect_where("the changed answer", |m| {
            m["type"] == "results" && round_stats(m, 0, "Before")["counts"] == json!([0, 0, 0, 0, 1])
        })
        .await;
    assert_eq!(round_stats(&results, 0, "Before")["n"], 1);
    assert_eq!(round_stats(&results, 0, "Before")["mean"], 5.0);
}

/// Rounds are answered separately; the paired change covers only those who answered both.
#[actix_web::test]
async fn rounds_are_kept_apart_and_the_paired_change_needs_both() {
    let server = TestServer::start().await;
    let session = create_session(&server).await;
    let scale = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": scale, "round": "Before"})).await;
    let mut phones = Vec::new();
    for value in [2, 3, 1] {
        let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
        phone.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": value})).await;
        phones.push(phone);
    }
    host.ok(json!({"type": "goto", "activity": scale, "round": "After"})).await;
    // An answer to the round that is no longer asked is refused.
    let code = phones[0]
        .refused(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 5}))
        .await;
    assert_eq!(code, "not_open");
    // The first two answer again; the third does not. A newcomer answers only After.
    for (phone, value) in phones.iter_mut().zip([4, 5]) {
        phone.ok(json!({"type": "answer", "activity": scale, "round": "After", "statement": 0, "value": value})).await;
    }
    let (mut late, welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
    assert_eq!(welcome["step"]["round"], "After");
    late.ok(json!({"type": "answer", "activity": scale, "round": "After", "statement": 0, "value": 3})).await;

    let results =
        host.expect_where("all answers", |m| m["type"] == "results" && round_stats(m, 0, "After")["n"] == 3).await;
    let statement = &results["data"]["statements"][0];
    assert_eq!(statement["rounds"]["Before"]["n"], 3);
    assert_eq!(statement["rounds"]["Before"]["mean"], 2.0);
    assert_eq!(statement["rounds"]["After"]["mean"], 4.0);
    // Participants 1 and 2: 2 → 4 and 3 → 5, a change of +2 each.
    assert_eq!(statement["paired"], json!({"n": 2, "mean_change": 2.0}));
    assert_eq!(results["data"]["statements"][1]["rounds"]["After"]["n"], 0);
}

/// The phone follows the facilitator: steps, stop/resume, reveal, and its own answers per step.
#[actix_web::test]
async fn phones_follow_the_facilitator() {
    let server = TestServer::start().await;
    let session = create_session(&server).await;
    let (first, second) = (session.activity(0), session.activity(1));
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    let (mut phone, welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
    assert!(welcome["step"]["activity"].is_null(), "a new session shows the waiting screen");
    let refused = phone.refused(json!({"type": "answer", "activity": first, "statement": 0, "value": 3})).await;
    assert_eq!(refused, "not_open");

    host.ok(json!({"type": "goto", "activity": first})).await;
    let step = phone.expect_where("the first step", |m| m["type"] == "step" && m["activity"]["id"] == first).await;
    assert_eq!(step["index"], 0);
    assert_eq!(step["total"], 2);
    phone.ok(json!({"type": "answer", "activity": first, "round": "Before", "statement": 0, "value": 3})).await;

    host.ok(json!({"type": "set_open", "open": false})).await;
    phone.expect_where("answers closed", |m| m["type"] == "step" && m["open"] == false).await;
    let refused = phone
        .refused(json!({"type": "answer", "activity": first, "round": "Before", "statement": 0, "value": 4}))
        .await;
    assert_eq!(refused, "not_open");
    host.ok(json!({"type": "set_open", "open": true})).await;
    phone.expect_where("answers open", |m| m["type"] == "step" && m["open"] == true).await;

    // Results reach phones only once revealed.
    host.ok(json!({"type": "reveal", "show": true})).await;
    // A reveal changes neither activity nor round: no `mine` round trip for it.
    let results = loop {
        let message = phone.next().await.expect("a message");
        assert_ne!(message["type"], "mine", "a reveal asked for the phone's answers again");
        if message["type"] == "results" {
            break message;
        }
    };
    assert_eq!(round_stats(&results, 0, "Before")["n"], 1);

    host.ok(json!({"type": "goto", "activity": second})).await;
    phone.expect_where("the second step", |m| m["type"] == "step" && m["activity"]["id"] == second).await;
    let mine = phone.expect("mine").await;
    assert_eq!(mine["activity"], second);
    assert_eq!(mine["values"], json!([null]));
    host.ok(json!({"type": "goto", "activity": first, "round": "Before"})).await;
    let mine = phone.expect_where("own answers", |m| m["type"] == "mine" && m["activity"] == first).await;
    assert_eq!(mine["values"], json!([3, null]));
}

/// Closing stops answers and tells every screen.
#[actix_web::test]
async fn closing_the_session_tells_everyone_and_stops_answers() {
    let server = TestServer::start().await;
    let session = create_session(&server).await;
    let scale = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    let (mut projector, _) = Client::presenter(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": scale})).await;
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    host.ok(json!({"type": "close_session"})).await;
    phone.expect("session_closed").await;
    projector.expect("session_closed").await;
    let refused = phone
        .refused(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 4}))
        .await;
    assert_eq!(refused, "session_closed");
    assert_eq!(host.refused(json!({"type": "goto", "activity": scale})).await, "session_closed");
    let (status, body) =
        get_json(&server.url(&format!("/api/sessions/{}", session.code)), Some(&session.host_key)).await;
    assert_eq!(status, 200);
    assert_eq!(body["state"], "closed");
    // New people cannot join a closed session.
    let mut newcomer = Client::connect(&server.ws_url()).await;
    newcomer.send(json!({"type": "join", "code": session.code})).await;
    assert_eq!(newcomer.expect("error").await["error"], "session_closed");
}
