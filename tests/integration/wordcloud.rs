//! Word clouds over WebSocket: entries, limits, refusals, moderation and recovery.

use serde_json::{Value, json};

use crate::common::*;

fn cloud_agenda() -> Value {
    json!([{"kind": "wordcloud", "prompt": "What word would you use instead of co-production?",
            "max_entries": 3, "stop_words": ["coproduction"]}])
}

fn entries(results: &Value) -> Vec<(String, u64, bool)> {
    results["data"]["entries"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| {
                    (
                        e["text"].as_str().unwrap_or_default().to_owned(),
                        e["count"].as_u64().unwrap_or_default(),
                        e["hidden"].as_bool().unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn group_id(results: &Value, text: &str) -> String {
    results["data"]["entries"]
        .as_array()
        .and_then(|entries| entries.iter().find(|e| e["text"] == text))
        .and_then(|e| e["id"].as_str())
        .unwrap_or_else(|| panic!("no group {text} in {results}"))
        .to_owned()
}

async fn word(phone: &mut Client, activity: &str, text: &str) -> Value {
    phone.request(json!({"type": "answer", "activity": activity, "text": text})).await
}

/// Words that mean the same count together, shown in their most frequent spelling; each
/// person has a limit, can see and delete their own words, and is told plainly what is refused.
#[actix_web::test]
async fn words_group_and_each_person_has_a_limit() {
    let server = TestServer::start().await;
    let session = create_session_at(&server.url(""), cloud_agenda()).await;
    let cloud = session.activity(0);
    assert_eq!(session.body["agenda"][0]["profanity_filter"], true);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": cloud})).await;

    let (mut first, welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
    let token = welcome["token"].as_str().expect("token").to_owned();
    let (mut second, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    for text in ["Together", "families", "GP"] {
        assert_eq!(word(&mut first, &cloud, text).await["type"], "ack", "{text}");
    }
    let refused = word(&mut first, &cloud, "trust").await;
    assert_eq!(refused["error"], "too_many_entries");
    assert_eq!(refused["message"], "You have already sent 3 words. Delete one to send another.");
    for (text, code) in [
        ("the", "stop_word"),
        ("Coproduction", "stop_word"),
        ("one two three four", "invalid_text"),
        ("   ", "invalid_text"),
        ("shit", "inappropriate"),
    ] {
        let reply = word(&mut second, &cloud, text).await;
        assert_eq!(reply["error"], code, "{text}: {reply}");
    }
    for text in ["together!", "family", "TOGETHER"] {
        assert_eq!(word(&mut second, &cloud, text).await["type"], "ack", "{text}");
    }
    let results = host.expect_where("six entries", |m| m["type"] == "results" && m["data"]["total"] == 6).await;
    assert_eq!(
        entries(&results),
        vec![("Together".into(), 3, false), ("families".into(), 2, false), ("GP".into(), 1, false)]
    );
    assert_eq!(results["data"]["participants"], 2);

    // Coming back, a participant sees their own entries; deleting one makes room.
    drop(first);
    let (mut first, welcome) = Client::participant(&server.ws_url(), &session.code, Some(&token)).await;
    let own: Vec<(String, String)> = welcome["mine"]["entries"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| (e["id"].as_str().unwrap_or("").to_owned(), e["text"].as_str().unwrap_or("").to_owned()))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(own.iter().map(|(_, text)| text.as_str()).collect::<Vec<_>>(), ["Together", "families", "GP"]);
    let gp = own[2].0.clone();
    let refused = second.request(json!({"type": "entry_delete", "activity": cloud, "entry": gp})).await;
    assert_eq!(refused["error"], "not_found", "only the author deletes an entry");
    first.ok(json!({"type": "entry_delete", "activity": cloud, "entry": gp})).await;
    assert_eq!(word(&mut first, &cloud, "trust").await["type"], "ack");
    let results = host
        .expect_where("GP gone, trust in", |m| {
            m["type"] == "results"
                && entries(m).iter().any(|e| e.0 == "trust")
                && !entries(m).iter().any(|e| e.0 == "GP")
        })
        .await;
    assert_eq!(results["data"]["total"], 6);

    // Revealed, the cloud reaches phones.
    host.ok(json!({"type": "reveal", "show": true})).await;
    let results = first.expect("results").await;
    assert_eq!(entries(&results)[0], ("Together".into(), 3, false));
}

/// The facilitator hides a word (gone from phones at once, marked on the console), merges
/// one word into another, and resets the cloud; participants cannot.
#[actix_web::test]
async fn the_facilitator_hides_merges_and_resets() {
    let server = TestServer::start().await;
    let session = create_session_at(&server.url(""), cloud_agenda()).await;
    let cloud = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": cloud})).await;
    host.ok(json!({"type": "reveal", "show": true})).await;
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    for text in ["parents", "families", "rubbish"] {
        assert_eq!(word(&mut phone, &cloud, text).await["type"], "ack");
    }
    let results = host.expect_where("three words", |m| m["type"] == "results" && m["data"]["total"] == 3).await;
    let (parents, families, rubbish) =
        (group_id(&results, "parents"), group_id(&results, "families"), group_id(&results, "rubbish"));

    let refused = phone.request(json!({"type": "hide", "activity": cloud, "item": rubbish, "hidden": true})).await;
    assert_eq!(refused["error"], "forbidden");
    host.ok(json!({"type": "hide", "activity": cloud, "item": rubbish, "hidden": true})).await;
    let on_console =
        host.expect_where("hidden on the console", |m| m["type"] == "results" && entries(m).iter().any(|e| e.2)).await;
    assert!(entries(&on_console).contains(&("rubbish".into(), 1, true)));
    let on_phone = phone
        .expect_where("gone from phones", |m| m["type"] == "results" && !entries(m).iter().any(|e| e.0 == "rubbish"))
        .await;
    assert_eq!(on_phone["data"]["entries"].as_array().map(Vec::len), Some(2));

    host.ok(json!({"type": "merge", "activity": cloud, "from": parents, "into": families})).await;
    let merged = host
        .expect_where("merged", |m| m["type"] == "results" && entries(m).contains(&("families".into(), 2, false)))
        .await;
    assert!(!entries(&merged).iter().any(|e| e.0 == "parents"));
    assert_eq!(
        host.refused(json!({"type": "merge", "activity": cloud, "from": parents, "into": families})).await,
        "invalid_message"
    );
    assert_eq!(
        host.refused(json!({"type": "hide", "activity": cloud, "item": "nothing", "hidden": true})).await,
        "not_found"
    );

    host.ok(json!({"type": "hide", "activity": cloud, "item": rubbish, "hidden": false})).await;
    host.expect_where("shown again", |m| m["type"] == "results" && entries(m).contains(&("rubbish".into(), 1, false)))
        .await;

    host.ok(json!({"type": "reset", "activity": cloud})).await;
    host.expect_where("an empty cloud", |m| m["type"] == "results" && m["data"]["total"] == 0).await;
    assert_eq!(word(&mut phone, &cloud, "trust").await["type"], "ack", "a reset gives everyone room again");
}

/// Entries, hidden words and merges come back after a restart.
#[actix_web::test]
async fn a_cloud_survives_a_restart() {
    let server = TestServer::start().await;
    let session = create_session_at(&server.url(""), cloud_agenda()).await;
    let cloud = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": cloud})).await;
    let (mut phone, welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
    let token = welcome["token"].as_str().expect("token").to_owned();
    for text in ["parent", "family", "nonsense"] {
        assert_eq!(word(&mut phone, &cloud, text).await["type"], "ack");
    }
    let results = host.expect_where("three words", |m| m["type"] == "results" && m["data"]["total"] == 3).await;
    host.ok(json!({"type": "merge", "activity": cloud, "from": group_id(&results, "parent"), "into": group_id(&results, "family")}))
        .await;
    host.ok(json!({"type": "hide", "activity": cloud, "item": group_id(&results, "nonsense"), "hidden": true})).await;
    drop((host, phone));
    let data_dir = server.stop().await;

    let settings = chorus::config::Settings::new(data_dir.path());
    let server = TestServer::start_in(data_dir, settings).await;
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    let results = host.expect("results").await;
    assert_eq!(entries(&results), vec![("family".into(), 2, false), ("nonsense".into(), 1, true)]);
    let (_, welcome) = Client::participant(&server.ws_url(), &session.code, Some(&token)).await;
    let mine: Vec<&str> = welcome["mine"]["entries"]
        .as_array()
        .map(|entries| entries.iter().filter_map(|e| e["text"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(mine, vec!["parent", "family", "nonsense"]);
}

/// A request resent with the same id (its ack was lost) is acknowledged and applied once,
/// also after a restart; every acknowledged word is followed by the sender's own list.
#[actix_web::test]
async fn a_resent_entry_counts_once() {
    let server = TestServer::start().await;
    let session = create_session_at(&server.url(""), cloud_agenda()).await;
    let cloud = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": cloud})).await;
    let (mut phone, welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
    let token = welcome["token"].as_str().expect("token").to_owned();
    let entry = json!({"type": "answer", "id": 77, "activity": cloud, "text": "together"});
    phone.send(entry.clone()).await;
    assert_eq!(phone.reply(77).await["type"], "ack");
    let mine = phone.expect("mine").await;
    assert_eq!(mine["entries"][0]["text"], "together", "the new word comes with its id");
    assert!(mine["entries"][0]["id"].as_str().is_some());
    phone.send(entry.clone()).await;
    assert_eq!(phone.reply(77).await["type"], "ack");
    drop(phone);
    let data_dir = server.stop().await;

    let settings = chorus::config::Settings::new(data_dir.path());
    let server = TestServer::start_in(data_dir, settings).await;
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, Some(&token)).await;
    phone.send(entry).await;
    assert_eq!(phone.reply(77).await["type"], "ack");
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    let results = host.expect("results").await;
    assert_eq!(results["data"]["total"], 1, "three sends, one entry");
}

/// The projector never receives hidden words; the console does, marked.
#[actix_web::test]
async fn hidden_words_never_reach_the_projector() {
    let server = TestServer::start().await;
    let session = create_session_at(&server.url(""), cloud_agenda()).await;
    let cloud = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": cloud})).await;
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    for text in ["trust", "nonsense"] {
        assert_eq!(word(&mut phone, &cloud, text).await["type"], "ack");
    }
    let results = host.expect_where("two words", |m| m["type"] == "results" && m["data"]["total"] == 2).await;
    host.ok(json!({"type": "hide", "activity": cloud, "item": group_id(&results, "nonsense"), "hidden": true})).await;
    host.expect_where("marked on the console", |m| m["type"] == "results" && entries(m).iter().any(|e| e.2)).await;
    let (mut projector, _) = Client::presenter(&server.ws_url(), &session).await;
    let shown = projector.expect("results").await;
    assert_eq!(entries(&shown), vec![("trust".into(), 1, false)]);
}
