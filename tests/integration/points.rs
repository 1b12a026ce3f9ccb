//! 100 points over WebSocket: phones spread their points in two rounds and change them,
//! spreads over the budget or with bad numbers are refused with their codes, results frames
//! carry totals and means, and every export carries it.

use serde_json::{Value, json};

use crate::common::*;

fn agenda() -> Value {
    json!([{"kind": "points", "title": "Spend 100 points",
            "items": ["Training", "Short breaks", "Transport"], "budget": 100,
            "rounds": ["Before", "After"]}])
}

async fn spend(phone: &mut Client, activity: &str, round: &str, points: Value) -> Value {
    phone.request(json!({"type": "answer", "activity": activity, "round": round, "points": points})).await
}

#[actix_web::test]
async fn phones_spread_points_in_rounds_and_every_export_carries_it() {
    let server = TestServer::start().await;
    let (status, body) = post_json(
        &server.url("/api/sessions"),
        None,
        &json!({"title": "T", "agenda": [{"kind": "points", "title": "T", "items": ["a", "b"], "budget": 5}]}),
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_agenda")), "{body}");

    let session = create_session_at(&server.url(""), agenda()).await;
    let activity = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": activity, "round": "Before"})).await;
    let (mut first, welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
    let token = welcome["token"].as_str().expect("token").to_owned();
    let (mut second, _) = Client::participant(&server.ws_url(), &session.code, None).await;

    for (points, what) in [
        (json!([50, 50]), "too short"),
        (json!([50, 30, 20, 0]), "too long"),
        (json!([50, 30, 21]), "over the budget"),
        (json!([-10, 60, 20]), "negative"),
        (json!([49.5, 30, 20]), "not whole"),
        (Value::Null, "missing"),
    ] {
        let reply = spend(&mut first, &activity, "Before", points).await;
        assert_eq!(reply["error"], "out_of_range", "{what}: {reply}");
        assert!(reply["message"].as_str().is_some_and(|m| !m.is_empty()), "{reply}");
    }

    assert_eq!(spend(&mut first, &activity, "Before", json!([100, 0, 0])).await["type"], "ack");
    assert_eq!(spend(&mut first, &activity, "Before", json!([50, 30, 20])).await["type"], "ack");
    assert_eq!(spend(&mut second, &activity, "Before", json!([0, 40, 50])).await["type"], "ack");
    let results = host
        .expect_where("two spreads", |m| m["type"] == "results" && m["data"]["items"][0]["rounds"]["Before"]["n"] == 2)
        .await;
    assert_eq!(results["data"]["kind"], "points");
    let before = |results: &Value, item: usize| results["data"]["items"][item]["rounds"]["Before"].clone();
    assert_eq!(before(&results, 0), json!({"n": 2, "total": 50, "mean": 25.0}));
    assert_eq!(before(&results, 1), json!({"n": 2, "total": 70, "mean": 35.0}));
    assert_eq!(before(&results, 2), json!({"n": 2, "total": 70, "mean": 35.0}));

    drop(first);
    let (mut first, welcome) = Client::participant(&server.ws_url(), &session.code, Some(&token)).await;
    assert_eq!(welcome["mine"]["points"], json!([50, 30, 20]));

    host.ok(json!({"type": "goto", "activity": activity, "round": "After"})).await;
    let closed = spend(&mut first, &activity, "Before", json!([0, 0, 100])).await;
    assert_eq!(closed["error"], "not_open", "{closed}");
    assert_eq!(spend(&mut first, &activity, "After", json!([10, 10, 80])).await["type"], "ack");
    let results = host
        .expect_where("the After spread", |m| {
            m["type"] == "results" && m["data"]["items"][2]["rounds"]["After"]["n"] == 1
        })
        .await;
    assert_eq!(results["data"]["items"][2]["rounds"]["After"], json!({"n": 1, "total": 80, "mean": 80.0}));
    assert_eq!(before(&results, 0)["total"], 50, "the closed round kept its spreads");

    let (status, json) =
        get_json(&server.url(&format!("/api/sessions/{}/export/json", session.code)), Some(&session.host_key)).await;
    assert_eq!(status, 200);
    assert_eq!(json["responses"].as_array().map(Vec::len), Some(9), "one row per item per spread");
    let csv = String::from_utf8(download(&server, &session, "csv").await).expect("utf-8");
    assert!(
        csv.lines().any(|line| line.contains("Transport") && line.contains("After") && line.contains("80")),
        "{csv}"
    );
    let sheet = xlsx_text(download(&server, &session, "xlsx").await);
    assert!(sheet.contains("Total") && sheet.contains("Short breaks"), "{sheet}");
    let html = String::from_utf8(download(&server, &session, "html").await).expect("utf-8");
    for wanted in
        ["Spend 100 points", "Mean points, Before → After", "Total points per item: Before (light bars)", "<svg"]
    {
        assert!(html.contains(wanted), "{wanted} missing from the report");
    }
}
