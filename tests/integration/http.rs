//! The HTTP API: creating sessions, reading and changing them with the host key, the QR code,
//! health, security headers and the WebSocket origin check.

use serde_json::json;

use crate::common::*;

/// Creating a session answers with its links, keys and an agenda with ids and defaults.
#[actix_web::test]
async fn creating_a_session_gives_links_keys_and_a_normalised_agenda() {
    let server = TestServer::start().await;
    let session = create_session(&server).await;
    let body = &session.body;
    assert_eq!(session.code.len(), 8);
    assert!(session.code.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(session.host_key.len(), 32);
    assert_ne!(session.host_key, session.present_key);
    assert_eq!(body["join_url"], server.url(&format!("/j/{}", session.code)));
    assert_eq!(body["host_url"], server.url(&format!("/host/{}#key={}", session.code, session.host_key)));
    assert_eq!(body["present_url"], server.url(&format!("/present/{}#key={}", session.code, session.present_key)));
    assert_eq!(body["agenda"][0]["rounds"], json!(["Before", "After"]));
    assert_eq!(body["agenda"][1]["rounds"], json!(["Answers"]), "a scale without rounds gets one");
    assert_eq!((body["agenda"][1]["min"].as_i64(), body["agenda"][1]["max"].as_i64()), (Some(1), Some(5)));
    assert_ne!(session.activity(0), session.activity(1));

    // The keys are not stored: the database holds only their hashes.
    let db = std::fs::read(server.data_dir.path().join("chorus.db")).expect("database file");
    let wal = std::fs::read(server.data_dir.path().join("chorus.db-wal")).unwrap_or_default();
    for bytes in [db, wal] {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&session.host_key), "the host key is stored in clear");
        assert!(!text.contains(&session.present_key), "the presenter key is stored in clear");
    }
}

/// A bad agenda is refused with a message that says what is wrong; nothing is created.
#[actix_web::test]
async fn bad_agendas_are_refused_in_plain_language() {
    let server = TestServer::start().await;
    let url = server.url("/api/sessions");
    let cases = [
        (json!({"title": "", "agenda": []}), "invalid_message"),
        (json!({"title": "T", "agenda": [{"kind": "scale", "title": "x", "statements": []}]}), "invalid_agenda"),
        (
            json!({"title": "T", "agenda": [{"kind": "scale", "title": "x", "statements": ["a"], "min": 3, "max": 2}]}),
            "invalid_agenda",
        ),
        (
            json!({"title": "T", "agenda": [{"kind": "scale", "title": "x", "statements": vec!["s"; 11]}]}),
            "invalid_agenda",
        ),
        (json!({"title": "T", "agenda": [{"kind": "poll", "title": "x"}]}), "invalid_message"),
        (json!({"title": 7}), "invalid_message"),
    ];
    for (body, expected) in cases {
        let (status, reply) = post_json(&url, None, &body).await;
        assert_eq!(status, 400, "{body}: {reply}");
        assert_eq!(reply["error"], expected, "{body}");
        assert!(reply["message"].as_str().is_some_and(|m| m.len() > 10), "{reply}");
    }
    let (status, reply) = post_json(&url, None, &json!({"title": "x".repeat(300 * 1024)})).await;
    assert_eq!((status, reply["error"].as_str()), (413, Some("too_large")));
}

/// Reading and changing a session needs its host key.
#[actix_web::test]
async fn the_session_api_needs_the_host_key() {
    // Ten failed attempts from one address: more than an address may fail by default (3).
    let server = TestServer::start_with(|settings| {
        settings.limits.budgets.failed_joins_burst = std::num::NonZeroU32::new(20).expect("nonzero");
    })
    .await;
    let session = create_session(&server).await;
    let url = server.url(&format!("/api/sessions/{}", session.code));
    for key in [None, Some("wrong"), Some(session.present_key.as_str())] {
        let (status, body) = get_json(&url, key).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("unauthorized")), "{key:?}");
        let (status, _) = post_json(&format!("{url}/close"), key, &json!({})).await;
        assert_eq!(status, 401);
        let (status, _) = put_json(&format!("{url}/agenda"), key, &json!({"agenda": []})).await;
        assert_eq!(status, 401);
    }
    let (status, body) = get_json(&url, Some(&session.host_key)).await;
    assert_eq!(status, 200);
    assert_eq!(body["code"], session.code);
    assert_eq!(body["agenda"].as_array().map(Vec::len), Some(2));
    assert_eq!(body["state"], "live");
    let (status, body) = get_json(&server.url("/api/sessions/99999999"), Some(&session.host_key)).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
}

/// Replacing the agenda keeps the ids (and answers) of kept activities, refuses to throw
/// answers away, and reaches the console live.
#[actix_web::test]
async fn replacing_the_agenda_keeps_answers_safe() {
    let server = TestServer::start().await;
    let session = create_session(&server).await;
    let scale = session.activity(0);
    let url = server.url(&format!("/api/sessions/{}/agenda", session.code));
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": scale})).await;
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    phone.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 4})).await;

    // Removing the answered scale, or a statement of it, is refused.
    let without = json!({"agenda": [session.body["agenda"][1]]});
    let (status, body) = put_json(&url, Some(&session.host_key), &without).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("activity_has_answers")), "{body}");
    let mut fewer = session.body["agenda"].clone();
    fewer[0]["statements"] = json!(["I understand the term co-production"]);
    let (status, body) = put_json(&url, Some(&session.host_key), &json!({"agenda": fewer})).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("activity_has_answers")), "{body}");

    // Rewording, adding a statement and a new activity are fine; the answer stays.
    let mut agenda = session.body["agenda"].clone();
    agenda[0]["statements"][0] = json!("I understand what co-production means");
    agenda[0]["statements"].as_array_mut().expect("statements").push(json!("My colleagues understand it"));
    agenda.as_array_mut().expect("agenda").push(json!({"kind": "scale", "title": "New", "statements": ["New one"]}));
    let (status, body) = put_json(&url, Some(&session.host_key), &json!({"agenda": agenda})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["agenda"][0]["id"], scale);
    assert_eq!(body["agenda"].as_array().map(Vec::len), Some(3));
    assert!(body["agenda"][2]["id"].as_str().is_some_and(|id| !id.is_empty()));
    let pushed = host
        .expect_where("the new agenda", |m| m["type"] == "agenda" && m["agenda"].as_array().map(Vec::len) == Some(3))
        .await;
    assert_eq!(pushed["agenda"][0]["statements"][0], "I understand what co-production means");
    let results = host
        .expect_where("results with three statements", |m| {
            m["type"] == "results" && m["data"]["statements"].as_array().map(Vec::len) == Some(3)
        })
        .await;
    assert_eq!(round_stats(&results, 0, "Before")["counts"], json!([0, 0, 0, 1, 0]));
    assert_eq!(results["data"]["statements"][0]["text"], "I understand what co-production means");
}

/// The QR code encodes the join link; health answers; pages carry the security headers.
#[actix_web::test]
async fn qr_health_pages_and_headers() {
    let server = TestServer::start().await;
    let session = create_session(&server).await;
    let mut response =
        awc::Client::new().get(server.url(&format!("/api/sessions/{}/qr.svg", session.code))).send().await.expect("qr");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("image/svg+xml"));
    let svg = response.body().await.expect("svg body");
    assert!(svg.starts_with(b"<?xml") && String::from_utf8_lossy(&svg).contains("<svg"));
    let response = awc::Client::new().get(server.url("/api/sessions/12345678/qr.svg")).send().await.expect("qr");
    assert_eq!(response.status(), 404);

    let (status, body) = get_json(&server.url("/healthz"), None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));

    for page in ["/", &format!("/j/{}", session.code), "/host/12345678", "/host/12345678/report", "/present/12345678"] {
        let response = awc::Client::new().get(server.url(page)).send().await.expect("page");
        assert_eq!(response.status(), 200, "{page}");
        let headers = response.headers();
        let csp = headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(headers.get("x-content-type-options").and_then(|v| v.to_str().ok()), Some("nosniff"));
        assert_eq!(headers.get("referrer-policy").and_then(|v| v.to_str().ok()), Some("no-referrer"));
    }
    let (status, body) = get_json(&server.url("/api/nothing"), None).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
}

/// With an admin token configured, only its holder starts sessions.
#[actix_web::test]
async fn an_admin_token_protects_starting_a_session() {
    let server = TestServer::start_with(|settings| settings.admin_token = Some("letmein".into())).await;
    let url = server.url("/api/sessions");
    let body = json!({"title": "Training", "agenda": workshop_agenda()});
    for token in [None, Some("wrong")] {
        let (status, reply) = post_json(&url, token, &body).await;
        assert_eq!((status, reply["error"].as_str()), (401, Some("unauthorized")));
    }
    let (status, _) = post_json(&url, Some("letmein"), &body).await;
    assert_eq!(status, 201);
}

/// A browser page from another origin cannot open a WebSocket; a configured one can.
#[actix_web::test]
async fn foreign_origins_are_refused_before_the_upgrade() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let server =
        TestServer::start_with(|settings| settings.allowed_origins = vec!["https://chorus.example.org".into()]).await;
    let own = format!("http://{}", server.addr);
    let cases = [
        ("https://evil.example", false),
        ("null", false),
        (&*format!("http://{}.evil.example", server.addr), false),
        ("https://chorus.example.org.evil.example", false),
        ("https://chorus.example.org", true),
        (&*own, true),
    ];
    for (origin, allowed) in cases {
        let mut request = server.ws_url().into_client_request().expect("request");
        request.headers_mut().insert("origin", origin.parse().expect("header"));
        let result = tokio_tungstenite::connect_async(request).await;
        match (result, allowed) {
            (Ok(_), true) => {}
            (Err(tokio_tungstenite::tungstenite::Error::Http(response)), false) => {
                assert_eq!(response.status(), 403, "{origin}");
            }
            (result, _) => panic!("{origin}: expected allowed={allowed}, got {:?}", result.map(|_| ())),
        }
    }
}

/// `/metrics` speaks Prometheus' text format and counts what the server does.
#[actix_web::test]
async fn metrics_count_connections_acks_and_commits() {
    let server = TestServer::start().await;
    let session = create_session(&server).await;
    let scale = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": scale})).await;
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    phone.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 3})).await;
    let mut response = awc::Client::new().get(server.url("/metrics")).send().await.expect("metrics");
    assert_eq!(response.status(), 200);
    let body = String::from_utf8(response.body().await.expect("body").to_vec()).expect("UTF-8");
    for name in [
        "chorus_connections{role=\"participant\"}",
        "chorus_connections{role=\"host\"}",
        "chorus_sessions",
        "chorus_requests_total",
        "chorus_acks_total",
        "chorus_journal_batch_size",
        "chorus_journal_commit_seconds",
        "chorus_frames_published_total",
        "chorus_frames_sent_total",
    ] {
        assert!(body.contains(name), "{name} missing from:\n{body}");
    }
    let acks: f64 = body
        .lines()
        .find_map(|line| line.strip_prefix("chorus_acks_total "))
        .and_then(|value| value.trim().parse().ok())
        .expect("an acks count");
    assert!(acks >= 2.0, "the goto and the answer were acknowledged: {acks}");
}

/// Keys and tokens never reach the server's log (at its most talkative), its files' names,
/// or a URL: they travel in a header or a message body, and are kept only as hashes.
#[actix_web::test]
async fn keys_and_tokens_never_reach_the_log_or_a_path() {
    let data_dir = tempfile::tempdir().expect("data dir");
    let log_dir = tempfile::tempdir().expect("log dir");
    let log_path = log_dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut server = ServerProcess::start_logging(data_dir.path(), "trace", log);
    server.wait_healthy().await;
    let session = create_session_at(&server.url(""), workshop_agenda()).await;
    let scale = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": scale, "round": "Before"})).await;
    let (_, present) = Client::presenter(&server.ws_url(), &session).await;
    let (mut phone, welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
    let token = welcome["token"].as_str().expect("token").to_owned();
    phone.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 3})).await;
    drop(phone);
    let (_, again) = Client::participant(&server.ws_url(), &session.code, Some(&token)).await;
    assert_eq!(again["participant_id"], welcome["participant_id"]);
    // Wrong keys are logged as refusals, never echoed.
    let (status, _) = get_json(&server.url(&format!("/api/sessions/{}", session.code)), Some("not-the-key")).await;
    assert_eq!(status, 401);
    let (status, _) =
        post_json(&server.url(&format!("/api/sessions/{}/close", session.code)), Some(&session.host_key), &json!({}))
            .await;
    assert_eq!(status, 200);
    let (status, _) =
        get_json(&server.url(&format!("/api/sessions/{}/export/json", session.code)), Some(&session.host_key)).await;
    assert_eq!(status, 200);
    assert_eq!(present["type"], "welcome_present");
    server.terminate();

    let log = std::fs::read_to_string(&log_path).expect("read the log");
    assert!(log.contains(&session.code), "the log is at trace level and names the session");
    for (what, secret) in [("host key", &session.host_key), ("presenter key", &session.present_key), ("token", &token)]
    {
        assert!(!log.contains(secret.as_str()), "the {what} is in the log");
        for entry in walk(data_dir.path()) {
            assert!(!entry.contains(secret.as_str()), "the {what} names a file: {entry}");
        }
    }
}

/// Every path under `dir`, as text.
fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        paths.push(path.display().to_string());
        if path.is_dir() {
            paths.extend(walk(&path));
        }
    }
    paths
}

/// The limit on live sessions counts live ones: a closed session, still loaded for its
/// facilitator, does not stop a new one from starting.
#[actix_web::test]
async fn closed_sessions_do_not_count_towards_the_live_limit() {
    let server = TestServer::start_with(|settings| settings.limits.live_sessions = 2).await;
    let first = create_session(&server).await;
    let _second = create_session(&server).await;
    let (status, refused) = post_json(&server.url("/api/sessions"), None, &json!({"title": "Third"})).await;
    assert_eq!((status, refused["error"].as_str()), (503, Some("limit_reached")));
    let (status, _) =
        post_json(&server.url(&format!("/api/sessions/{}/close", first.code)), Some(&first.host_key), &json!({})).await;
    assert_eq!(status, 200);
    let (status, created) = post_json(&server.url("/api/sessions"), None, &json!({"title": "Third"})).await;
    assert_eq!(status, 201, "{created}");
}
