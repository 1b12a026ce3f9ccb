//! Multiple choice over a real server: rounds, changed minds, refusals, results frames and
//! every export.

use serde_json::{Value, json};

use crate::common::*;

fn choice_agenda() -> Value {
    json!([
        {"kind": "choice", "title": "Which word should we use?",
         "options": ["Co-production", "Working together", "Partnership"], "max_choices": 2,
         "rounds": ["Before", "After"]},
        {"kind": "choice", "title": "Red, amber or green?", "options": ["Red", "Amber", "Green"]}
    ])
}

fn counts(results: &Value, round: &str) -> Vec<u64> {
    results["data"]["options"]
        .as_array()
        .map(|options| options.iter().map(|o| o["rounds"][round]["count"].as_u64().unwrap_or(99)).collect())
        .unwrap_or_default()
}

async fn choose(phone: &mut Client, activity: &str, round: Option<&str>, choices: Value) -> Value {
    phone.request(json!({"type": "answer", "activity": activity, "round": round, "choices": choices})).await
}

async fn download(server: &TestServer, session: &Session, format: &str) -> Vec<u8> {
    let mut response = awc::Client::new()
        .get(server.url(&format!("/api/sessions/{}/export/{format}", session.code)))
        .bearer_auth(&session.host_key)
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), 200, "{format}");
    response.body().limit(1 << 24).await.expect("body").to_vec()
}

/// Phones choose in Before and After and change their minds; refusals carry codes and keep
/// what was saved; the console's results frames follow; a returning phone sees its choices;
/// the JSON, CSV, XLSX and HTML exports carry the counts and shares.
#[actix_web::test]
async fn phones_choose_change_their_minds_and_exports_carry_it() {
    let server = TestServer::start().await;
    let session = create_session_at(&server.url(""), choice_agenda()).await;
    assert_eq!(session.body["agenda"][1]["max_choices"], 1, "max_choices defaults to 1");
    assert_eq!(session.body["agenda"][1]["rounds"], json!([]));
    let (word, rag) = (session.activity(0), session.activity(1));
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": word, "round": "Before"})).await;

    let (mut first, welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
    let token = welcome["token"].as_str().expect("token").to_owned();
    let (mut second, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    assert_eq!(choose(&mut first, &word, Some("Before"), json!([0])).await["type"], "ack");
    assert_eq!(choose(&mut second, &word, Some("Before"), json!([0, 2])).await["type"], "ack");
    let results =
        host.expect_where("two answers", |m| m["type"] == "results" && m["data"]["rounds"]["Before"]["n"] == 2).await;
    assert_eq!(results["data"]["kind"], "choice");
    assert_eq!(counts(&results, "Before"), [2, 0, 1]);
    assert_eq!(results["data"]["options"][0]["rounds"]["Before"]["share"], 1.0);
    assert_eq!(results["data"]["options"][2]["rounds"]["Before"]["share"], 0.5);

    // Refusals, each with its code and a message a person can act on; nothing saved moves.
    for (choices, round, code) in [
        (json!([]), "Before", "invalid_answer"),
        (json!(null), "Before", "invalid_answer"),
        (json!([1, 1]), "Before", "invalid_answer"),
        (json!([0, 1, 2]), "Before", "invalid_answer"),
        (json!([3]), "Before", "out_of_range"),
        (json!([-1]), "Before", "out_of_range"),
        (json!([0.5]), "Before", "out_of_range"),
        (json!([1]), "During", "unknown_round"),
        (json!([1]), "After", "not_open"),
    ] {
        let reply = choose(&mut first, &word, Some(round), choices.clone()).await;
        assert_eq!(reply["error"], code, "{choices} in {round}: {reply}");
        assert!(!reply["message"].as_str().unwrap_or_default().is_empty());
    }
    let reply = choose(&mut first, &word, Some("Before"), json!([0, 1, 2])).await;
    assert_eq!(reply["message"], "Choose at most 2 options.");

    // A changed mind replaces the earlier choice: the counts move, n stays.
    assert_eq!(choose(&mut first, &word, Some("Before"), json!([1, 2])).await["type"], "ack");
    let results =
        host.expect_where("a changed choice", |m| m["type"] == "results" && counts(m, "Before") == [1, 1, 2]).await;
    assert_eq!(results["data"]["rounds"]["Before"]["n"], 2);
    assert_eq!(results["data"]["options"][2]["rounds"]["Before"]["share"], 1.0);

    // Coming back, a phone sees its saved choices.
    drop(first);
    let (mut first, welcome) = Client::participant(&server.ws_url(), &session.code, Some(&token)).await;
    assert_eq!(welcome["mine"]["choices"], json!([1, 2]), "{welcome}");

    host.ok(json!({"type": "goto", "activity": word, "round": "After"})).await;
    assert_eq!(choose(&mut first, &word, Some("After"), json!([1])).await["type"], "ack");
    assert_eq!(choose(&mut second, &word, Some("After"), json!([2])).await["type"], "ack");
    assert_eq!(choose(&mut second, &word, Some("After"), json!([1])).await["type"], "ack");
    let results =
        host.expect_where("After answered", |m| m["type"] == "results" && counts(m, "After") == [0, 2, 0]).await;
    // "Working together": 1 of 2 before, 2 of 2 after.
    assert_eq!(results["data"]["options"][1]["change"], 0.5);
    assert_eq!(results["data"]["options"][2]["change"], -1.0);
    let reply = choose(&mut first, &word, Some("Before"), json!([0])).await;
    assert_eq!(reply["error"], "not_open", "Before is closed once After is asked");

    // The question without rounds: its maps use the round name "".
    host.ok(json!({"type": "goto", "activity": rag})).await;
    assert_eq!(choose(&mut first, &rag, None, json!([2])).await["type"], "ack");
    let reply = choose(&mut second, &rag, None, json!([0, 1])).await;
    assert_eq!(
        (reply["error"].as_str(), reply["message"].as_str()),
        (Some("invalid_answer"), Some("Choose only one option."))
    );
    let results =
        host.expect_where("one RAG answer", |m| m["type"] == "results" && m["data"]["rounds"][""]["n"] == 1).await;
    assert_eq!(counts(&results, ""), [0, 0, 1]);

    // JSON: the aggregate, tagged, and one response per chosen option.
    let (_, export) =
        get_json(&server.url(&format!("/api/sessions/{}/export/json", session.code)), Some(&session.host_key)).await;
    let word_results = &export["activities"][0]["results"];
    assert_eq!(word_results["kind"], "choice");
    assert_eq!(word_results["rounds"]["Before"]["n"], 2);
    assert_eq!(word_results["options"][2]["rounds"]["Before"]["count"], 2);
    assert_eq!(word_results["options"][1]["rounds"]["After"]["share"], 1.0);
    assert_eq!(export["activities"][1]["results"]["rounds"][""]["n"], 1);

    // CSV: one row per chosen option, the option's text in the statement column, value 1.
    let csv = String::from_utf8(download(&server, &session, "csv").await).expect("utf-8");
    let mut reader = ::csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<::csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let choice_rows: Vec<(String, String, String, String)> = rows
        .iter()
        .filter(|r| &r[2] == "choice")
        .map(|r| (r[3].to_owned(), r[4].to_owned(), r[5].to_owned(), r[6].to_owned()))
        .collect();
    // Before: P1 chose 1 and 2, P2 chose 0 and 2; After: P1 1, P2 1; the RAG: P1 Green.
    assert_eq!(choice_rows.len(), 7, "{choice_rows:?}");
    assert!(choice_rows.iter().all(|(_, _, _, value)| value == "1"));
    let before: Vec<(&str, &str)> = choice_rows
        .iter()
        .filter(|(round, ..)| round == "Before")
        .map(|(_, option, participant, _)| (participant.as_str(), option.as_str()))
        .collect();
    assert_eq!(
        before,
        [("P1", "Working together"), ("P1", "Partnership"), ("P2", "Co-production"), ("P2", "Partnership")]
    );
    assert!(choice_rows.contains(&(String::new(), "Green".into(), "P1".into(), "1".into())));

    // XLSX: the question's own sheet with counts and shares per round.
    {
        use calamine::{Data, Reader, Xlsx};
        let bytes = download(&server, &session, "xlsx").await;
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("open xlsx");
        let names = book.sheet_names();
        let name = names.iter().find(|n| n.contains("Which word")).expect("the choice's sheet").clone();
        let sheet = book.worksheet_range(&name).expect("sheet");
        let row_of = |text: &str, from: usize| {
            (from..60).find(|&r| sheet.get((r, 0)) == Some(&Data::String(text.into()))).expect(text)
        };
        let before = row_of("Before", 0);
        assert_eq!(sheet.get((before, 2)), Some(&Data::Float(2.0)), "n Before");
        let partnership = row_of("Partnership", before);
        assert_eq!(sheet.get((partnership, 1)), Some(&Data::Float(2.0)));
        assert_eq!(sheet.get((partnership, 2)), Some(&Data::Float(1.0)));
        let after = row_of("After", before);
        let together = row_of("Working together", after);
        assert_eq!(sheet.get((together, 1)), Some(&Data::Float(2.0)));
    }

    // HTML report: the table of counts and shares and the chart with its figures in words.
    let html = String::from_utf8(download(&server, &session, "html").await).expect("utf-8");
    assert!(html.contains("Which word should we use?"));
    assert!(html.contains("Count and share per option"), "the table");
    assert!(html.contains("Working together: 50% (1) → 100% (2)"), "the chart's alt text");
    assert!(html.contains("+50 points"));

    // A copy joins the series: counts and n add up over both sessions.
    let (status, copy) = post_json(
        &server.url("/api/sessions"),
        None,
        &json!({"title": "Session 2", "copy_from": {"code": session.code, "host_key": session.host_key}}),
    )
    .await;
    assert_eq!(status, 201, "{copy}");
    let copy = Session::created(copy);
    let (mut copy_host, _) = Client::host(&server.ws_url(), &copy).await;
    copy_host.ok(json!({"type": "goto", "activity": word, "round": "Before"})).await;
    let (mut third, _) = Client::participant(&server.ws_url(), &copy.code, None).await;
    assert_eq!(choose(&mut third, &word, Some("Before"), json!([0])).await["type"], "ack");
    let (_, series) =
        get_json(&server.url(&format!("/api/sessions/{}/series/export/json", copy.code)), Some(&copy.host_key)).await;
    let total = &series["activities"][0]["results"];
    assert_eq!(total["rounds"]["Before"]["n"], 3, "{total}");
    assert_eq!(total["options"][0]["rounds"]["Before"]["count"], 2);
    assert_eq!(total["rounds"]["After"]["n"], 2);
}
