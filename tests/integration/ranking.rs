//! Ranking over WebSocket: phones rank in two rounds and change their minds, bad rankings
//! are refused with their codes, results frames carry mean rank, Borda points and firsts,
//! and every export carries it.

use serde_json::{Value, json};

use crate::common::*;

fn agenda() -> Value {
    json!([{"kind": "ranking", "title": "What matters most?",
            "items": ["Being listened to", "Clear information", "Quick decisions"],
            "rounds": ["Before", "After"]}])
}

async fn rank(phone: &mut Client, activity: &str, round: &str, order: Value) -> Value {
    phone.request(json!({"type": "answer", "activity": activity, "round": round, "order": order})).await
}

#[actix_web::test]
async fn phones_rank_in_rounds_and_every_export_carries_it() {
    let server = TestServer::start().await;
    let session = create_session_at(&server.url(""), agenda()).await;
    let ranking = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": ranking, "round": "Before"})).await;
    let (mut first, welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
    let token = welcome["token"].as_str().expect("token").to_owned();
    let (mut second, _) = Client::participant(&server.ws_url(), &session.code, None).await;

    for (order, what) in [
        (json!([0, 1]), "too short"),
        (json!([0, 1, 2, 0]), "too long"),
        (json!([0, 0, 1]), "repeated"),
        (json!([0, 1, 3]), "no such item"),
        (json!([0, 1.5, 2]), "not whole"),
        (json!([-1, 0, 1]), "negative"),
        (Value::Null, "missing"),
    ] {
        let reply = rank(&mut first, &ranking, "Before", order).await;
        assert_eq!(reply["error"], "out_of_range", "{what}: {reply}");
        assert!(reply["message"].as_str().is_some_and(|m| !m.is_empty()), "{reply}");
    }
    let reply = rank(&mut first, &ranking, "During", json!([0, 1, 2])).await;
    assert_eq!(reply["error"], "unknown_round");

    // A changed ranking replaces the first.
    assert_eq!(rank(&mut first, &ranking, "Before", json!([2, 1, 0])).await["type"], "ack");
    assert_eq!(rank(&mut first, &ranking, "Before", json!([0, 1, 2])).await["type"], "ack");
    assert_eq!(rank(&mut second, &ranking, "Before", json!([0, 2, 1])).await["type"], "ack");
    let results = host
        .expect_where("two rankings", |m| m["type"] == "results" && m["data"]["items"][0]["rounds"]["Before"]["n"] == 2)
        .await;
    assert_eq!(results["data"]["kind"], "ranking");
    let before = |results: &Value, item: usize| results["data"]["items"][item]["rounds"]["Before"].clone();
    assert_eq!(before(&results, 0), json!({"n": 2, "mean_rank": 1.0, "points": 4, "first": 2}));
    assert_eq!(before(&results, 1), json!({"n": 2, "mean_rank": 2.5, "points": 1, "first": 0}));
    assert_eq!(before(&results, 2), json!({"n": 2, "mean_rank": 2.5, "points": 1, "first": 0}));

    // Coming back, a phone sees its own ranking for the round.
    drop(first);
    let (mut first, welcome) = Client::participant(&server.ws_url(), &session.code, Some(&token)).await;
    assert_eq!(welcome["mine"]["order"], json!([0, 1, 2]));

    host.ok(json!({"type": "goto", "activity": ranking, "round": "After"})).await;
    let closed = rank(&mut first, &ranking, "Before", json!([1, 0, 2])).await;
    assert_eq!(closed["error"], "not_open", "{closed}");
    assert_eq!(rank(&mut first, &ranking, "After", json!([2, 0, 1])).await["type"], "ack");
    let results = host
        .expect_where("the After ranking", |m| {
            m["type"] == "results" && m["data"]["items"][2]["rounds"]["After"]["n"] == 1
        })
        .await;
    assert_eq!(
        results["data"]["items"][2]["rounds"]["After"],
        json!({"n": 1, "mean_rank": 1.0, "points": 2, "first": 1})
    );
    assert_eq!(before(&results, 0)["points"], 4, "the closed round kept its rankings");

    let (status, json) =
        get_json(&server.url(&format!("/api/sessions/{}/export/json", session.code)), Some(&session.host_key)).await;
    assert_eq!(status, 200);
    let rows: Vec<&Value> = json["responses"].as_array().expect("responses").iter().collect();
    assert_eq!(rows.len(), 9, "one row per item per ranking: {rows:?}");
    let csv = String::from_utf8(download(&server, &session, "csv").await).expect("utf-8");
    assert!(csv.lines().any(|line| line.contains("Quick decisions") && line.contains("After")), "{csv}");
    let sheet = xlsx_text(download(&server, &session, "xlsx").await);
    assert!(sheet.contains("Mean rank") && sheet.contains("Being listened to"), "{sheet}");
    let html = String::from_utf8(download(&server, &session, "html").await).expect("utf-8");
    for wanted in ["What matters most?", "Mean rank, Before → After", "Points per item: Before (light bars)", "<svg"]
    {
        assert!(html.contains(wanted), "{wanted} missing from the report");
    }
}
