//! The findings report's content and "what we heard" (issue 15), through the real server,
//! its SQLite journal and real WebSocket clients: the organiser's sections, themes and
//! quotes are checked against every limit, saved in the journal, survive a restart, appear
//! in the exports; the summary is published at an unguessable address, reaches phones and
//! the projector, and answers 410 once revoked.

use serde_json::{Value, json};

use crate::common::*;

fn agenda() -> Value {
    json!([
        {"kind": "scale", "title": "How do you feel about co-production?",
         "statements": ["I understand the term co-production"], "min": 1, "max": 5,
         "labels": {"min": "Not at all", "max": "Completely"}, "rounds": ["Before", "After"]},
        {"kind": "wordcloud", "prompt": "One word for co-production?", "max_entries": 3},
        {"kind": "jamboard", "title": "What gets in the way?", "frames": ["Barriers", "Successes"],
         "dots": 2, "notes_per_participant": 3}
    ])
}

/// A session where two people rated, gave words and wrote notes; one note hidden.
struct Played {
    session: Session,
    host: Client,
    phones: Vec<Client>,
    cloud: String,
    board: String,
    /// The note ids: "Not enough time", "Parents felt heard", "rubbish" (hidden).
    notes: Vec<String>,
}

async fn play(server: &TestServer) -> Played {
    let session = create_session_at(&server.url(""), agenda()).await;
    let (scale, cloud, board) = (session.activity(0), session.activity(1), session.activity(2));
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    let mut phones = Vec::new();
    for _ in 0..2 {
        phones.push(Client::participant(&server.ws_url(), &session.code, None).await.0);
    }
    host.ok(json!({"type": "goto", "activity": scale, "round": "Before"})).await;
    for (phone, value) in phones.iter_mut().zip([2, 3]) {
        phone.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": value})).await;
    }
    host.ok(json!({"type": "goto", "activity": cloud})).await;
    for phone in &mut phones {
        phone.ok(json!({"type": "answer", "activity": cloud, "text": "Together"})).await;
    }
    phones[0].ok(json!({"type": "answer", "activity": cloud, "text": "Trust"})).await;
    host.ok(json!({"type": "goto", "activity": board})).await;
    let mut notes = Vec::new();
    for (phone, frame, text) in [(0, 0, "Not enough time"), (1, 1, "Parents felt heard"), (1, 0, "rubbish")] {
        let ack = phones[phone]
            .request(json!({"type": "note_add", "activity": board, "frame": frame, "text": text, "color": "yellow"}))
            .await;
        assert_eq!(ack["type"], "ack", "{ack}");
        let mine = phones[phone].expect("mine").await;
        let id = mine["notes"]
            .as_array()
            .and_then(|notes| notes.iter().find(|note| note["text"] == text))
            .map(|note| note["id"].as_str().expect("note id").to_owned())
            .expect("the note in mine");
        notes.push(id);
    }
    host.ok(json!({"type": "hide", "activity": board, "item": notes[2], "hidden": true})).await;
    Played { session, host, phones, cloud, board, notes }
}

/// Text as askama escapes it.
fn escaped(text: &str) -> String {
    text.replace('&', "&#38;").replace('<', "&#60;").replace('>', "&#62;")
}

fn report_url(server: &TestServer, session: &Session) -> String {
    server.url(&format!("/api/sessions/{}/report", session.code))
}

/// A content with a written section, a theme spanning the cloud and the board, and three
/// quotes; organiser text with markup in it.
fn content(played: &Played) -> Value {
    let code = &played.session.code;
    json!({
        "sections": [
            {"id": "introduction", "title": "Why we did it <script>alert(1)</script>",
             "text": "# Background\nParents asked for a say.\n\n- We listened\n- <b>We</b> acted", "hidden": false},
            {"id": "themes", "hidden": false},
            {"id": "attendance", "hidden": true},
            {"id": "next_steps", "title": "You said – we are doing", "text": "- We will meet monthly", "hidden": false}
        ],
        "themes": [{"id": "t1", "title": "Time & trust", "text": "What this means: <i>time</i> matters."}],
        "quotes": [
            {"session": code, "activity": played.board, "item": played.notes[0], "theme": "t1"},
            {"session": code, "activity": played.cloud, "item": "trust", "theme": "t1"},
            {"session": code, "activity": played.board, "item": played.notes[1], "theme": null}
        ]
    })
}

/// Candidates are the words and notes, hidden ones left out; a content is saved whole,
/// with the generated sections it lacks added at the end; every bad content is refused
/// with its code and changes nothing; what was saved survives an orderly restart and is in
/// the JSON export.
#[actix_web::test]
async fn report_content_is_checked_saved_and_survives_a_restart() {
    let server = TestServer::start().await;
    let played = play(&server).await;
    let session = &played.session;
    let url = report_url(&server, session);
    let key = Some(session.host_key.as_str());

    let (status, view) = get_json(&url, key).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["state"], "live");
    let sections: Vec<&str> = view["content"]["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .map(|s| s["id"].as_str().expect("id"))
        .collect();
    assert_eq!(sections, ["attendance", "activities", "themes"], "a new report has the generated sections");
    let candidates = view["candidates"].as_array().expect("candidates");
    let texts: Vec<(&str, &str, u64)> = candidates
        .iter()
        .map(|c| (c["kind"].as_str().unwrap_or(""), c["text"].as_str().unwrap_or(""), c["count"].as_u64().unwrap_or(0)))
        .collect();
    assert_eq!(
        texts,
        [
            ("word", "Together", 2),
            ("word", "Trust", 1),
            ("note", "Not enough time", 0),
            ("note", "Parents felt heard", 0)
        ],
        "the hidden note is not a candidate"
    );
    assert_eq!(candidates[2]["board"], "Barriers");
    assert_eq!(candidates[2]["item"], played.notes[0]);
    assert_eq!(candidates[1]["item"], "trust");
    assert_eq!(candidates[0]["activity_title"], "One word for co-production?");

    let good = content(&played);
    let (status, saved) = put_json(&url, key, &good).await;
    assert_eq!(status, 200, "{saved}");
    let ids: Vec<&str> = saved["content"]["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .map(|s| s["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["introduction", "themes", "attendance", "next_steps", "activities"]);
    assert_eq!(saved["content"]["quotes"], good["quotes"]);

    // Every bad content, with its code; none of them changes what was saved.
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut bad = good.clone();
        edit(&mut bad);
        bad
    };
    let long = "x".repeat(20_001);
    let cases: Vec<(Value, &str)> = vec![
        (with(&|c| c["sections"][0]["id"] = json!("Intro duction")), "invalid_report"),
        (with(&|c| c["sections"][1]["title"] = json!("Typed over")), "invalid_report"),
        (with(&|c| c["sections"][0]["html"] = json!("<p>")), "invalid_report"),
        (json!({"sections": "none"}), "invalid_report"),
        (with(&|c| c["quotes"][0]["theme"] = json!("t9")), "invalid_report"),
        (with(&|c| c["sections"][0]["text"] = json!(long)), "too_long"),
        (with(&|c| c["themes"][0]["title"] = json!("x".repeat(121))), "too_long"),
        (
            with(&|c| {
                c["themes"] = json!((0..21).map(|n| json!({"id": format!("t{n}"), "title": "T"})).collect::<Vec<_>>())
            }),
            "too_many_themes",
        ),
        (
            with(&|c| {
                let quote = c["quotes"][0].clone();
                c["quotes"] = json!(
                    (0..51)
                        .map(|n| {
                            let mut q = quote.clone();
                            q["item"] = json!(n.to_string());
                            q
                        })
                        .collect::<Vec<_>>()
                )
            }),
            "too_many_quotes",
        ),
        (with(&|c| c["quotes"][0]["item"] = json!(played.notes[2])), "unknown_quote"),
        (with(&|c| c["quotes"][0]["item"] = json!("999")), "unknown_quote"),
        (with(&|c| c["quotes"][1]["session"] = json!("00000000")), "unknown_quote"),
    ];
    for (bad, code) in cases {
        let (status, body) = put_json(&url, key, &bad).await;
        assert_eq!((status, body["error"].as_str()), (400, Some(code)), "{body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // Over 4 MiB: refused on its announced length, before the body is read.
    let head = too_large_head(&server, session).await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(head.contains("too_large"), "{head}");
    let (status, body) = put_json(&url, Some("not the key"), &good).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("unauthorized")));
    let (status, body) = put_json(&url, None, &good).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("unauthorized")));
    let (status, after) = get_json(&url, key).await;
    assert_eq!(status, 200);
    assert_eq!(after["content"], saved["content"], "refused contents changed nothing");

    // Closed: still written and saved (reports are written after the workshop).
    let (status, _) = post_json(&server.url(&format!("/api/sessions/{}/close", session.code)), key, &json!({})).await;
    assert_eq!(status, 200);
    let mut last = good.clone();
    last["themes"][0]["title"] = json!("Time and trust");
    let (status, saved) = put_json(&url, key, &last).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["state"], "closed");

    let Played { session, host, phones, .. } = played;
    drop((host, phones));
    let data_dir = server.stop().await;
    let settings = chorus::config::Settings::new(data_dir.path());
    let server = TestServer::start_in(data_dir, settings).await;
    let url = report_url(&server, &session);
    let (status, back) = get_json(&url, Some(&session.host_key)).await;
    assert_eq!(status, 200, "{back}");
    assert_eq!(back["content"], saved["content"], "the last content saved is back after a restart");
    assert_eq!(back["content"]["themes"][0]["title"], "Time and trust");
    let (status, export) =
        get_json(&server.url(&format!("/api/sessions/{}/export/json", session.code)), Some(&session.host_key)).await;
    assert_eq!(status, 200);
    assert_eq!(export["report"], saved["content"], "the JSON export carries the report's content");
}

/// The HTML, DOCX and PDF downloads carry the content: written sections where they stand,
/// the themes with their quotes, hidden sections left out, organisers' markup as text.
#[actix_web::test]
async fn the_downloads_carry_the_content() {
    let server = TestServer::start().await;
    let played = play(&server).await;
    let session = &played.session;
    let (status, body) = put_json(&report_url(&server, session), Some(&session.host_key), &content(&played)).await;
    assert_eq!(status, 200, "{body}");
    let html = String::from_utf8(download(&server, session, "html").await).expect("UTF-8");
    assert!(html.contains(&escaped("Why we did it <script>alert(1)</script>")), "the title escaped");
    assert!(!html.contains("<script>"), "no markup from the organiser");
    assert!(html.contains(&escaped("<b>We</b> acted")));
    assert!(html.contains("Still running."), "a live session says so");
    let order =
        ["Why we did it", "Themes: what we heard", "Time &#38; trust", "You said – we are doing", "What we found"];
    let at: Vec<usize> = order.iter().map(|h| html.find(h).unwrap_or_else(|| panic!("{h} missing"))).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "sections in the organiser's order: {at:?}");
    assert!(!html.contains("Who attended"), "the hidden section is left out");
    assert!(html.contains("“Not enough time”"), "a quote under its theme");
    assert!(html.contains("“Trust”"), "a word quote under the same theme");
    assert!(html.contains("Other quotes"));
    for format in ["docx", "pdf"] {
        // Laying out a PDF or DOCX takes seconds in a debug build on a busy machine (see
        // docs/performance.md): more than awc's default 5 s wait.
        let mut response = awc::Client::builder()
            .timeout(std::time::Duration::from_secs(120))
            .finish()
            .get(server.url(&format!("/api/sessions/{}/export/{format}", session.code)))
            .bearer_auth(&session.host_key)
            .send()
            .await
            .expect("export");
        assert_eq!(response.status(), 200, "{format}");
        assert!(!response.body().limit(1 << 24).await.expect("body").is_empty(), "{format}");
    }
}

async fn get_page(url: &str) -> (u16, String, awc::http::header::HeaderMap) {
    let mut response = awc::Client::new().get(url).send().await.expect("request");
    let body = response.body().limit(1 << 22).await.expect("body");
    (response.status().as_u16(), String::from_utf8_lossy(&body).into_owned(), response.headers().clone())
}

/// "What we heard": published with chosen sections at an unguessable address, told to the
/// phones and the projector at once and in later welcomes; the page shows only those
/// sections, no individual answer but the starred quotes, and markup as text; publishing
/// again keeps the address; revoking makes it 410, and a made-up address is 404.
#[actix_web::test]
async fn what_we_heard_is_published_shown_and_revoked() {
    let server = TestServer::start().await;
    let mut played = play(&server).await;
    let session = Session {
        code: played.session.code.clone(),
        host_key: played.session.host_key.clone(),
        present_key: played.session.present_key.clone(),
        body: Value::Null,
    };
    let key = Some(session.host_key.as_str());
    let summary = server.url(&format!("/api/sessions/{}/summary", session.code));
    let (status, body) = put_json(&report_url(&server, &session), key, &content(&played)).await;
    assert_eq!(status, 200, "{body}");
    let (mut projector, _) = Client::presenter(&server.ws_url(), &session).await;

    for (bad, code) in [
        (json!({"sections": []}), "invalid_report"),
        (json!({"sections": ["nothing"]}), "invalid_report"),
        (json!({"sections": ["attendance"]}), "invalid_report"),
        (json!({"sections": ["themes", "themes"]}), "invalid_report"),
        (json!({"sections": "themes"}), "invalid_report"),
    ] {
        let (status, body) = post_json(&summary, key, &bad).await;
        assert_eq!((status, body["error"].as_str()), (400, Some(code)), "{bad}: {body}");
    }
    let (status, body) = post_json(&summary, Some("wrong"), &json!({"sections": ["themes"]})).await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = awc_delete(&summary, key).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")), "nothing published yet");
    assert_eq!(played.host.refused(json!({"type": "show_summary_qr", "show": true})).await, "not_open");

    let (status, published) =
        post_json(&summary, key, &json!({"sections": ["introduction", "themes", "activities"]})).await;
    assert_eq!(status, 201, "{published}");
    let url = published["url"].as_str().expect("url").to_owned();
    let id = url.strip_prefix("/r/").expect("/r/<id>");
    assert_eq!(id.len(), 40, "the code and 128 bits: {id}");
    assert!(id.starts_with(&session.code));
    for phone in &mut played.phones {
        let told = phone.expect("what_we_heard").await;
        assert_eq!(told["url"], url);
    }
    assert_eq!(projector.expect("what_we_heard").await["url"], url);
    let (_, info) = get_json(&server.url(&format!("/api/sessions/{}", session.code)), key).await;
    assert_eq!(info["summary"], json!({"url": url, "sections": ["introduction", "themes", "activities"]}));
    let (_, welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
    assert_eq!(welcome["what_we_heard"], url, "a phone joining later is told in its welcome");

    let (status, page, headers) = get_page(&server.url(&url)).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(headers.get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    assert!(headers.get("content-security-policy").is_some());
    assert!(page.contains("<meta name=\"viewport\""), "made for phones");
    assert!(page.contains("@media print"), "prints");
    assert!(!page.contains("<script"), "no script, and the organiser's markup is text");
    assert!(page.contains(&escaped("Why we did it <script>alert(1)</script>")));
    assert!(page.contains("“Not enough time”") && page.contains("“Trust”"), "the starred quotes");
    assert!(page.contains("Mean rating per statement") || page.contains("What we found"), "the findings");
    assert!(!page.contains("rubbish"), "a hidden note never");
    assert!(!page.contains("Together"), "words not starred are not shown");
    assert!(!page.contains("You said"), "a section not chosen is not shown");
    assert!(!page.contains("Who attended"));
    let (status, qr, headers) = get_page(&server.url(&format!("{url}/qr.svg"))).await;
    assert_eq!(status, 200);
    assert_eq!(headers.get("content-type").and_then(|v| v.to_str().ok()), Some("image/svg+xml"));
    assert!(qr.contains("<svg"));

    // The projector's QR code, on the console's word.
    played.host.ok(json!({"type": "show_summary_qr", "show": true})).await;
    let step =
        projector.expect_where("a step with the QR", |m| m["type"] == "step" && !m["summary_qr"].is_null()).await;
    assert_eq!(step["summary_qr"], url);

    // Publishing again keeps the address and shows the new choice.
    let (status, again) = post_json(&summary, key, &json!({"sections": ["next_steps"]})).await;
    assert_eq!((status, again["url"].as_str()), (201, Some(url.as_str())));
    let (_, page, _) = get_page(&server.url(&url)).await;
    assert!(page.contains("You said – we are doing") && !page.contains("Not enough time"));

    // A made-up address, and ones of the right shape that were never published. Each is a
    // guess: this address already gave a wrong key above, so its budget runs out (429, see
    // the_page_is_for_a_whole_room_and_guessing_is_limited).
    let never = format!("{}{}", session.code, "0".repeat(32));
    for made_up in
        ["/r/nothing".to_owned(), format!("/r/{never}"), "/r/99999999ffffffffffffffffffffffffffffffff".to_owned()]
    {
        let (status, page, _) = get_page(&server.url(&made_up)).await;
        match status {
            404 => assert!(page.contains("There is nothing at this address")),
            429 => assert!(page.contains("Too many tries")),
            other => panic!("{made_up}: {other}"),
        }
    }
    let (status, _, _) = get_page(&server.url(&url)).await;
    assert_eq!(status, 200, "the right address still opens");

    let (status, _) = awc_delete(&summary, key).await;
    assert_eq!(status, 204);
    for phone in &mut played.phones {
        // (The second publish told them the same address first.)
        phone.expect_where("what_we_heard null", |m| m["type"] == "what_we_heard" && m["url"].is_null()).await;
    }
    let step = projector.expect_where("the QR gone", |m| m["type"] == "step" && m["summary_qr"].is_null()).await;
    assert_eq!(step["summary_qr"], Value::Null);
    let (status, page, _) = get_page(&server.url(&url)).await;
    assert_eq!(status, 410, "{page}");
    assert!(page.contains("taken down"));
    let (status, _, _) = get_page(&server.url(&format!("{url}/qr.svg"))).await;
    assert_eq!(status, 410);
    let (_, info) = get_json(&server.url(&format!("/api/sessions/{}", session.code)), key).await;
    assert_eq!(info["summary"], Value::Null);

    // Published again after a revoke: a new address; the old one stays gone, after a
    // restart too.
    let (status, renewed) = post_json(&summary, key, &json!({"sections": ["themes"]})).await;
    assert_eq!(status, 201);
    let new_url = renewed["url"].as_str().expect("url").to_owned();
    assert_ne!(new_url, url);
    drop((played.host, played.phones, projector));
    let data_dir = server.stop().await;
    let settings = chorus::config::Settings::new(data_dir.path());
    let server = TestServer::start_in(data_dir, settings).await;
    assert_eq!(get_page(&server.url(&url)).await.0, 410);
    assert_eq!(get_page(&server.url(&new_url)).await.0, 200);
    let (_, welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
    assert_eq!(welcome["what_we_heard"], new_url);
}

async fn awc_delete(url: &str, bearer: Option<&str>) -> (u16, Value) {
    let mut request = awc::Client::new().delete(url);
    if let Some(key) = bearer {
        request = request.bearer_auth(key);
    }
    let mut response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json::<Value>().await.unwrap_or(Value::Null))
}

/// "Run again": a second session of the series, copied from `first`.
async fn run_again(server: &TestServer, first: &Session) -> Session {
    let (status, copy) = post_json(
        &server.url("/api/sessions"),
        None,
        &json!({"title": "Session 2", "copy_from": {"code": first.code, "host_key": first.host_key}}),
    )
    .await;
    assert_eq!(status, 201, "{copy}");
    Session::created(copy)
}

/// The series report: its candidates span the sessions, a theme gathers quotes from two of
/// them, and its content is kept with the series' first session whichever session's
/// console saves it; the session's own report stays apart.
#[actix_web::test]
async fn the_series_report_spans_sessions() {
    let server = TestServer::start().await;
    let first = play(&server).await;
    let second = run_again(&server, &first.session).await;
    let (mut host, _) = Client::host(&server.ws_url(), &second).await;
    host.ok(json!({"type": "goto", "activity": first.board})).await;
    let (mut phone, _) = Client::participant(&server.ws_url(), &second.code, None).await;
    phone.ok(json!({"type": "note_add", "activity": first.board, "frame": 0, "text": "No cover for staff", "color": "pink"})).await;
    let note = phone.expect("mine").await["notes"][0]["id"].as_str().expect("id").to_owned();

    let series_url = server.url(&format!("/api/sessions/{}/series/report", second.code));
    let (status, view) = get_json(&series_url, Some(&second.host_key)).await;
    assert_eq!(status, 200, "{view}");
    let sessions: Vec<&str> =
        view["candidates"].as_array().expect("candidates").iter().filter_map(|c| c["session"].as_str()).collect();
    assert!(sessions.contains(&first.session.code.as_str()) && sessions.contains(&second.code.as_str()));
    let content = json!({
        "themes": [{"id": "time", "title": "Time"}],
        "quotes": [
            {"session": first.session.code, "activity": first.board, "item": first.notes[0], "theme": "time"},
            {"session": second.code, "activity": first.board, "item": note, "theme": "time"}
        ]
    });
    let (status, saved) = put_json(&series_url, Some(&second.host_key), &content).await;
    assert_eq!(status, 200, "{saved}");
    // The session report does not take a quote of another session.
    let (status, body) = put_json(&report_url(&server, &first.session), Some(&first.session.host_key), &content).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("unknown_quote")));
    // The first session's console sees the same series content.
    let first_series = server.url(&format!("/api/sessions/{}/series/report", first.session.code));
    let (_, seen) = get_json(&first_series, Some(&first.session.host_key)).await;
    assert_eq!(seen["content"], saved["content"]);
    let (_, own) = get_json(&report_url(&server, &first.session), Some(&first.session.host_key)).await;
    assert_eq!(own["content"]["quotes"], json!([]), "the session's own report is apart");

    let mut response = awc::Client::new()
        .get(server.url(&format!("/api/sessions/{}/series/export/html", second.code)))
        .bearer_auth(&second.host_key)
        .send()
        .await
        .expect("export");
    let html = String::from_utf8(response.body().limit(1 << 24).await.expect("body").to_vec()).expect("UTF-8");
    let theme = html.find("<h3>Time</h3>").expect("the theme");
    let quotes = &html[theme..];
    assert!(quotes.contains("“Not enough time”") && quotes.contains("“No cover for staff”"), "quotes of both sessions");
    assert!(quotes.contains(&format!("session {} {}", &second.code[..4], &second.code[4..])), "says which session");
}

/// The series report reads back what was just saved, every time: the e2e test once in about
/// eight runs read the series' quotes back empty right after "Saved". Here the series' first
/// session is closed and, after a restart, loaded from the journal by the first save; saves
/// go through either session's console (the content is kept with the first) and each is
/// read back at once through the other, 60 times, the quotes changing every time, with
/// saves of the sessions' own reports (the same first session's journal) in between.
#[actix_web::test]
async fn the_series_report_reads_back_every_save_at_once() {
    let server = TestServer::start().await;
    let first = play(&server).await;
    let second = run_again(&server, &first.session).await;
    let key = Some(first.session.host_key.as_str());
    let (status, _) =
        post_json(&server.url(&format!("/api/sessions/{}/close", first.session.code)), key, &json!({})).await;
    assert_eq!(status, 200);
    let Played { session, host, phones, cloud, board, notes } = first;
    drop((host, phones));
    let data_dir = server.stop().await;
    let settings = chorus::config::Settings::new(data_dir.path());
    let server = TestServer::start_in(data_dir, settings).await;

    let consoles = [&session, &second];
    let quotes = [
        json!({"session": session.code, "activity": board, "item": notes[0], "theme": null}),
        json!({"session": session.code, "activity": cloud, "item": "trust", "theme": null}),
        json!({"session": session.code, "activity": board, "item": notes[1], "theme": null}),
    ];
    for round in 0..60usize {
        // Every save differs from the last: a different set of quotes and a different text.
        let picked: Vec<Value> =
            quotes.iter().enumerate().filter(|(i, _)| (round + 1) >> i & 1 == 1).map(|(_, q)| q.clone()).collect();
        let content = json!({
            "sections": [{"id": "introduction", "title": "Save", "text": format!("Save number {round}"), "hidden": false}],
            "quotes": picked,
        });
        let (by, to) = (consoles[round % 2], consoles[(round + 1) % 2]);
        let url = |s: &Session| server.url(&format!("/api/sessions/{}/series/report", s.code));
        let (status, saved) = put_json(&url(by), Some(&by.host_key), &content).await;
        assert_eq!(status, 200, "save {round}: {saved}");
        let (status, back) = get_json(&url(to), Some(&to.host_key)).await;
        assert_eq!(status, 200);
        assert_eq!(back["content"], saved["content"], "save {round} read back at once through the other console");
        assert_eq!(back["content"]["quotes"], json!(picked), "save {round}");
        if round % 3 == 0 {
            let own = json!({"sections": [{"id": "introduction", "title": "Own", "text": format!("Own {round}")}]});
            let (status, _) = put_json(&report_url(&server, &session), Some(&session.host_key), &own).await;
            assert_eq!(status, 200);
            let (_, back) = get_json(&url(to), Some(&to.host_key)).await;
            assert_eq!(back["content"], saved["content"], "the session's own report leaves the series' alone");
        }
    }
}

/// Several requests load a closed session at once (after a restart nothing is in memory):
/// they must all reach one running session. Two would each apply (and journal) their own
/// saves, so the one kept in memory would not know a report saved through the other, and
/// "what we heard" (published from the session's state) would refuse a section that the
/// journal, and so the report page, shows as saved.
#[actix_web::test]
async fn a_closed_session_loaded_by_requests_at_once_is_one_session() {
    let server = TestServer::start().await;
    let Played { session, host, phones, .. } = play(&server).await;
    let key = Some(session.host_key.as_str());
    let (status, _) = post_json(&server.url(&format!("/api/sessions/{}/close", session.code)), key, &json!({})).await;
    assert_eq!(status, 200);
    drop((host, phones));
    let mut data_dir = server.stop().await;
    for attempt in 0..5 {
        let settings = chorus::config::Settings::new(data_dir.path());
        let server = TestServer::start_in(data_dir, settings).await;
        let url = report_url(&server, &session);
        // Eight saves at once, each with its own written section; each loads the session.
        let saves = (0..8).map(|i| {
            let content =
                json!({"sections": [{"id": format!("w{i}"), "title": "Next", "text": format!("Save {attempt}.{i}")}]});
            let url = url.clone();
            let key = session.host_key.clone();
            async move { put_json(&url, Some(&key), &content).await }
        });
        for (status, body) in futures_util::future::join_all(saves).await {
            assert_eq!(status, 200, "{body}");
        }
        let (_, saved) = get_json(&url, key).await;
        let written = saved["content"]["sections"]
            .as_array()
            .and_then(|sections| sections.iter().find(|s| s["id"].as_str().is_some_and(|id| id.starts_with('w'))))
            .map(|s| s["id"].as_str().expect("id").to_owned())
            .expect("a written section");
        // The session in memory knows the content the journal has: it publishes that section.
        let (status, body) = post_json(
            &server.url(&format!("/api/sessions/{}/summary", session.code)),
            key,
            &json!({"sections": [written]}),
        )
        .await;
        assert_eq!(status, 201, "attempt {attempt}: the session in memory lacks the saved {written}: {body}");
        data_dir = server.stop().await;
    }
}

/// Sends the head of a `PUT …/report` announcing 5 MiB and returns what the server answers.
async fn too_large_head(server: &TestServer, session: &Session) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(&server.addr).await.expect("connect");
    let head = format!(
        "PUT /api/sessions/{}/report HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        session.code,
        server.addr,
        session.host_key,
        5 << 20
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(PATIENCE, stream.read(&mut answer)).await.expect("in time").expect("read");
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

/// A room behind one address opens the page of a closed session many times after a restart
/// (the session not in memory): never counted as guessing. Made-up addresses are, and past
/// the budget the address hears "too many tries" for them, not "nothing here".
#[actix_web::test]
async fn the_page_is_for_a_whole_room_and_guessing_is_limited() {
    let server = TestServer::start().await;
    let played = play(&server).await;
    let session = Session {
        code: played.session.code.clone(),
        host_key: played.session.host_key.clone(),
        present_key: played.session.present_key.clone(),
        body: Value::Null,
    };
    let key = Some(session.host_key.as_str());
    let (status, _) = put_json(&report_url(&server, &session), key, &content(&played)).await;
    assert_eq!(status, 200);
    let (status, published) = post_json(
        &server.url(&format!("/api/sessions/{}/summary", session.code)),
        key,
        &json!({"sections": ["themes"]}),
    )
    .await;
    assert_eq!(status, 201);
    let url = published["url"].as_str().expect("url").to_owned();
    let (status, _) = post_json(&server.url(&format!("/api/sessions/{}/close", session.code)), key, &json!({})).await;
    assert_eq!(status, 200);
    drop(played);
    let data_dir = server.stop().await;
    let settings = chorus::config::Settings::new(data_dir.path());
    let server = TestServer::start_in(data_dir, settings).await;
    for visit in 0..30 {
        let (status, page, _) = get_page(&server.url(&url)).await;
        assert_eq!(status, 200, "visit {visit}: {page}");
    }
    let mut statuses = Vec::new();
    for n in 0..10 {
        let made_up = format!("/r/{}{:032x}", session.code, n);
        statuses.push(get_page(&server.url(&made_up)).await.0);
    }
    assert_eq!(statuses[0], 404);
    assert_eq!(statuses.last(), Some(&429), "guessing is limited: {statuses:?}");
    let (status, page, _) = get_page(&server.url(&format!("/r/{}{:032x}", session.code, 99))).await;
    assert_eq!(status, 429);
    assert!(page.contains("Too many tries"));
    let (status, _, _) = get_page(&server.url(&url)).await;
    assert_eq!(status, 200, "the right address is never refused: its secret cannot be guessed");
}
