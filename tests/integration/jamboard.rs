//! Jam boards over WebSocket: notes from phones, arranged and moderated by the facilitator.

use serde_json::{Value, json};

use crate::common::*;

fn board_agenda() -> Value {
    json!([{"kind": "jamboard", "title": "What gets in the way?", "frames": ["Barriers", "Successes"],
            "dots": 2, "notes_per_participant": 3}])
}

fn notes(results: &Value, frame: usize) -> Vec<Value> {
    results["data"]["frames"][frame]["notes"].as_array().cloned().unwrap_or_default()
}

async fn post(phone: &mut Client, board: &str, frame: u32, text: &str) -> Value {
    phone.request(json!({"type": "note_add", "activity": board, "frame": frame, "text": text, "color": "yellow"})).await
}

/// Notes are posted, edited and deleted by their authors only, within the limits.
#[actix_web::test]
async fn notes_belong_to_their_authors() {
    let server = TestServer::start().await;
    let session = create_session_at(&server.url(""), board_agenda()).await;
    let board = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": board})).await;
    let (mut author, welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
    let token = welcome["token"].as_str().expect("token").to_owned();
    let (mut other, _) = Client::participant(&server.ws_url(), &session.code, None).await;

    assert_eq!(post(&mut author, &board, 0, "Not enough time").await["type"], "ack");
    let posted = host.expect_where("the note", |m| m["type"] == "results" && notes(m, 0).len() == 1).await;
    let note = notes(&posted, 0)[0].clone();
    let id = note["id"].as_str().expect("note ids are strings").to_owned();
    assert_eq!(
        (note["text"].as_str(), note["color"].as_str(), note["x"].is_null()),
        (Some("Not enough time"), Some("yellow"), true)
    );

    let refused = other.request(json!({"type": "note_edit", "activity": board, "note": id, "text": "Mine now"})).await;
    assert_eq!(refused["error"], "forbidden");
    let refused = other.request(json!({"type": "note_delete", "activity": board, "note": id})).await;
    assert_eq!(refused["error"], "forbidden");
    author.ok(json!({"type": "note_edit", "activity": board, "note": id, "text": "Not enough time or money", "color": "blue"})).await;
    let edited = host
        .expect_where("the edit", |m| {
            m["type"] == "results" && notes(m, 0).first().is_some_and(|n| n["color"] == "blue")
        })
        .await;
    assert_eq!(notes(&edited, 0)[0]["text"], "Not enough time or money");

    for (frame, text, code) in
        [(0, "   ", "invalid_text"), (0, &*"x".repeat(281), "invalid_text"), (7, "No such frame", "not_found")]
    {
        assert_eq!(post(&mut other, &board, frame, text).await["error"], code, "{text}");
    }
    let bad_colour = other
        .request(json!({"type": "note_add", "activity": board, "frame": 0, "text": "Teal", "color": "teal"}))
        .await;
    assert_eq!(bad_colour["error"], "invalid_message");
    for text in ["Two", "Three"] {
        assert_eq!(post(&mut author, &board, 1, text).await["type"], "ack");
    }
    assert_eq!(post(&mut author, &board, 1, "Four").await["error"], "too_many_entries");
    author.ok(json!({"type": "note_delete", "activity": board, "note": id})).await;
    assert_eq!(post(&mut author, &board, 1, "Four").await["type"], "ack", "deleting makes room");

    // The author's own notes come back in `mine`, oldest first.
    let (_, welcome) = Client::participant(&server.ws_url(), &session.code, Some(&token)).await;
    let texts: Vec<&str> = welcome["mine"]["notes"]
        .as_array()
        .map(|notes| notes.iter().filter_map(|n| n["text"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(texts, ["Two", "Three", "Four"]);
}

/// The facilitator moves (latest place wins), themes, hides and locks; dots are limited and
/// can be taken back; keywords count the visible notes.
#[actix_web::test]
async fn the_facilitator_arranges_and_people_vote() {
    let server = TestServer::start().await;
    let session = create_session_at(&server.url(""), board_agenda()).await;
    let board = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": board})).await;
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    for text in ["Time pressures", "No time to plan", "Rude words here"] {
        assert_eq!(post(&mut phone, &board, 0, text).await["type"], "ack");
    }
    let results = host.expect_where("three notes", |m| m["type"] == "results" && notes(m, 0).len() == 3).await;
    assert_eq!(results["data"]["keywords"][0], json!({"text": "Time", "count": 2}));
    let ids: Vec<String> = notes(&results, 0).iter().map(|n| n["id"].as_str().unwrap_or_default().to_owned()).collect();

    // A burst of drags: every move is acknowledged, the last place wins.
    let mut sent = Vec::new();
    for step in 1..=5 {
        let id = 500 + step;
        host.send(
            json!({"type": "move", "id": id, "activity": board, "note": ids[0], "x": 0.1 * step as f64, "y": 0.5}),
        )
        .await;
        sent.push(id);
    }
    for id in sent {
        assert_eq!(host.reply(id).await["type"], "ack");
    }
    assert_eq!(
        host.refused(json!({"type": "move", "activity": board, "note": ids[0], "x": 2.0, "y": 0.5})).await,
        "out_of_range"
    );
    host.ok(json!({"type": "move", "activity": board, "note": ids[1], "frame": 1, "x": 0.0, "y": 1.0})).await;
    let moved = host
        .expect_where("moved", |m| {
            m["type"] == "results"
                && notes(m, 1).len() == 1
                && notes(m, 0).first().is_some_and(|n| n["x"].as_f64().is_some_and(|x| (x - 0.5).abs() < 1e-6))
        })
        .await;
    assert_eq!(notes(&moved, 1)[0]["id"], ids[1]);

    host.ok(json!({"type": "theme", "activity": board, "name": "Time"})).await;
    let themed = host
        .expect_where("a theme", |m| {
            m["type"] == "results" && m["data"]["themes"].as_array().is_some_and(|t| !t.is_empty())
        })
        .await;
    let theme = themed["data"]["themes"][0]["id"].clone();
    assert_eq!(themed["data"]["themes"][0]["name"], "Time");
    host.ok(json!({"type": "note_theme", "activity": board, "note": ids[0], "theme": theme})).await;
    host.expect_where("a themed note", |m| {
        m["type"] == "results" && notes(m, 0).first().is_some_and(|n| n["theme"] == theme)
    })
    .await;

    host.ok(json!({"type": "hide", "activity": board, "item": ids[2], "hidden": true})).await;
    let hidden = host
        .expect_where("hidden", |m| m["type"] == "results" && notes(m, 0).iter().any(|n| n["hidden"] == true))
        .await;
    assert!(!hidden["data"]["keywords"].as_array().is_some_and(|k| k.iter().any(|w| w["text"] == "Rude")));

    host.ok(json!({"type": "lock", "activity": board, "locked": true})).await;
    assert_eq!(post(&mut phone, &board, 0, "Late").await["error"], "not_open");
    host.ok(json!({"type": "lock", "activity": board, "locked": false})).await;

    // Voting: the board reaches phones, hidden notes left out; two dots each.
    let dot = |note: &str, add: bool| json!({"type": "dot", "activity": board, "note": note, "add": add});
    assert_eq!(phone.refused(dot(&ids[0], true)).await, "not_open");
    host.ok(json!({"type": "voting", "activity": board, "open": true})).await;
    let on_phone = phone.expect("results").await;
    assert_eq!(notes(&on_phone, 0).len(), 1, "the hidden note is not sent to phones");
    assert_eq!(on_phone["data"]["voting"], true);
    phone.ok(dot(&ids[0], true)).await;
    phone.ok(dot(&ids[0], true)).await;
    assert_eq!(phone.refused(dot(&ids[1], true)).await, "too_many_entries");
    phone.ok(dot(&ids[0], false)).await;
    phone.ok(dot(&ids[1], true)).await;
    assert_eq!(phone.refused(dot(&ids[2], false)).await, "not_found");
    let voted = host
        .expect_where("votes", |m| {
            m["type"] == "results"
                && notes(m, 0).first().is_some_and(|n| n["votes"] == 1)
                && notes(m, 1).first().is_some_and(|n| n["votes"] == 1)
        })
        .await;
    assert_eq!(voted["data"]["dots"], 2);

    // Ending the vote reaches phones with the step, whether or not results are revealed.
    host.ok(json!({"type": "voting", "activity": board, "open": false})).await;
    phone.expect_where("voting over", |m| m["type"] == "step" && m["voting"] == false).await;
    assert_eq!(phone.refused(dot(&ids[0], true)).await, "not_open");

    // Participants cannot arrange the board.
    assert_eq!(
        phone.refused(json!({"type": "move", "activity": board, "note": ids[0], "x": 0.5, "y": 0.5})).await,
        "forbidden"
    );
    assert_eq!(phone.refused(json!({"type": "lock", "activity": board, "locked": true})).await, "forbidden");
}

/// Notes, places, themes, hidden notes and dots come back after a restart.
#[actix_web::test]
async fn a_board_survives_a_restart() {
    let server = TestServer::start().await;
    let session = create_session_at(&server.url(""), board_agenda()).await;
    let board = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": board})).await;
    let (mut phone, welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
    let token = welcome["token"].as_str().expect("token").to_owned();
    assert_eq!(post(&mut phone, &board, 0, "Parking").await["type"], "ack");
    assert_eq!(post(&mut phone, &board, 1, "Kind staff").await["type"], "ack");
    let results = host.expect_where("two notes", |m| m["type"] == "results" && notes(m, 1).len() == 1).await;
    let (parking, kind) = (notes(&results, 0)[0]["id"].clone(), notes(&results, 1)[0]["id"].clone());
    host.ok(json!({"type": "move", "activity": board, "note": parking, "x": 0.25, "y": 0.75})).await;
    host.ok(json!({"type": "theme", "activity": board, "name": "Access"})).await;
    host.ok(json!({"type": "hide", "activity": board, "item": kind, "hidden": true})).await;
    host.ok(json!({"type": "voting", "activity": board, "open": true})).await;
    phone.ok(json!({"type": "dot", "activity": board, "note": parking, "add": true})).await;
    drop((host, phone));
    let data_dir = server.stop().await;

    let settings = chorus::config::Settings::new(data_dir.path());
    let server = TestServer::start_in(data_dir, settings).await;
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    let results = host.expect("results").await;
    let parked = &notes(&results, 0)[0];
    assert_eq!(
        (parked["x"].as_f64(), parked["y"].as_f64(), parked["votes"].as_u64()),
        (Some(0.25), Some(0.75), Some(1))
    );
    assert_eq!(notes(&results, 1)[0]["hidden"], true);
    assert_eq!(results["data"]["themes"][0]["name"], "Access");
    assert_eq!(results["data"]["voting"], true);
    let (_, welcome) = Client::participant(&server.ws_url(), &session.code, Some(&token)).await;
    assert_eq!(welcome["mine"]["notes"].as_array().map(Vec::len), Some(2));
    assert_eq!(welcome["mine"]["dots"], json!([parking]));
}
