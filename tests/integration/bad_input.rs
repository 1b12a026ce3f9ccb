//! Bad input gets a clear refusal with a stable code, and changes nothing.

use std::net::Ipv4Addr;
use std::num::NonZeroU32;

use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

use crate::common;
use crate::common::*;

/// Every malformed or impossible answer is refused with its own code; the one good answer
/// is the only one counted.
#[actix_web::test]
async fn impossible_answers_are_refused_and_change_nothing() {
    let server = TestServer::start().await;
    let session = create_session(&server).await;
    let scale = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": scale, "round": "Before"})).await;
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    phone.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 3})).await;

    let cases = [
        (json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 0}), "out_of_range"),
        (json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 6}), "out_of_range"),
        (json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0}), "out_of_range"),
        (
            json!({"type": "answer", "activity": scale, "round": "Before", "statement": 2, "value": 3}),
            "unknown_statement",
        ),
        (json!({"type": "answer", "activity": scale, "round": "During", "statement": 0, "value": 3}), "unknown_round"),
        (json!({"type": "answer", "activity": scale, "statement": 0, "value": 3}), "unknown_round"),
        (
            json!({"type": "answer", "activity": "nope", "round": "Before", "statement": 0, "value": 3}),
            "unknown_activity",
        ),
        (json!({"type": "answer", "activity": session.activity(1), "statement": 0, "value": 3}), "not_open"),
        (json!({"type": "answer", "activity": scale, "round": "After", "statement": 0, "value": 3}), "not_open"),
        (
            json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 3.5}),
            "invalid_message",
        ),
        (
            json!({"type": "answer", "activity": scale, "round": "Before", "statement": "first", "value": 3}),
            "invalid_message",
        ),
        (json!({"type": "dance"}), "unknown_type"),
        (json!({"type": "goto", "activity": scale}), "forbidden"),
        (json!({"type": "set_open", "open": false}), "forbidden"),
        (json!({"type": "reveal", "show": true}), "forbidden"),
        (json!({"type": "close_session"}), "forbidden"),
    ];
    for (message, expected) in cases {
        let reply = phone.request(message.clone()).await;
        assert_eq!(reply["type"], "error", "{message} was accepted");
        assert_eq!(reply["error"], expected, "{message}");
        assert!(reply["message"].as_str().is_some_and(|m| m.len() > 10), "{reply}");
    }

    // A second join on the same connection.
    phone.send(json!({"type": "join", "code": session.code})).await;
    assert_eq!(phone.expect("error").await["error"], "already_joined");

    // Not JSON at all: refused without an id, and the connection carries on.
    phone.send_raw(Message::text("{not json")).await;
    let reply = phone.expect("error").await;
    assert_eq!((reply["error"].as_str(), reply["id"].is_null()), (Some("invalid_message"), true));

    // The facilitator cannot answer as a participant either.
    let refused =
        host.refused(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 1})).await;
    assert_eq!(refused, "forbidden");
    // Nor go to a step that does not exist.
    assert_eq!(host.refused(json!({"type": "goto", "activity": "nope"})).await, "unknown_activity");
    assert_eq!(host.refused(json!({"type": "goto", "activity": scale, "round": "During"})).await, "unknown_round");

    // Still open, still on Before, still exactly one answer of 3.
    phone.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 1, "value": 1})).await;
    let results =
        host.expect_where("the last answer", |m| m["type"] == "results" && round_stats(m, 1, "Before")["n"] == 1).await;
    assert_eq!(round_stats(&results, 0, "Before")["counts"], json!([0, 0, 1, 0, 0]));
    let (_, info) = get_json(&server.url(&format!("/api/sessions/{}", session.code)), Some(&session.host_key)).await;
    assert_eq!(info["step"]["round"], "Before");
    assert_eq!(info["step"]["open"], true);
    assert_eq!(info["participants"], 1);
}

/// Keys: wrong, missing, the presenter's for the console, or another session's.
#[actix_web::test]
async fn wrong_keys_are_refused_and_the_connection_closed() {
    // Five wrong keys from one address: more than an address may fail by default (3).
    let server = TestServer::start_with(|settings| {
        settings.limits.budgets.failed_joins_burst = NonZeroU32::new(10).expect("nonzero");
    })
    .await;
    let session = create_session(&server).await;
    let other = create_session(&server).await;
    let attempts = [
        json!({"type": "host", "code": session.code, "key": "0123456789abcdef0123456789abcdef"}),
        json!({"type": "host", "code": session.code, "key": ""}),
        json!({"type": "host", "code": session.code, "key": session.present_key}),
        json!({"type": "host", "code": session.code, "key": other.host_key}),
        json!({"type": "present", "code": session.code, "key": other.present_key}),
    ];
    for attempt in attempts {
        let mut client = Client::connect(&server.ws_url()).await;
        client.send(attempt.clone()).await;
        let error = client.expect("error").await;
        assert_eq!(error["error"], "unauthorized", "{attempt}");
        assert_eq!(client.closed().await, Some(1008), "{attempt}");
    }
    // The presenter key opens the projector, and the host key does too.
    Client::presenter(&server.ws_url(), &session).await;
    let mut client = Client::connect(&server.ws_url()).await;
    client.send(json!({"type": "present", "code": session.code, "key": session.host_key})).await;
    client.expect("welcome_present").await;
}

/// Protocol violations get the right close code.
#[actix_web::test]
async fn protocol_violations_close_with_the_right_code() {
    let server = TestServer::start().await;
    let session = create_session(&server).await;

    // Anything before join/host/present.
    let mut early = Client::connect(&server.ws_url()).await;
    early.send(json!({"type": "answer", "id": 1, "activity": "x", "statement": 0, "value": 1})).await;
    let error = early.expect("error").await;
    assert_eq!((error["error"].as_str(), error["id"].as_u64()), (Some("not_joined"), Some(1)));
    assert_eq!(early.closed().await, Some(1008));

    // A binary frame.
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    phone.send_raw(Message::binary(vec![1, 2, 3])).await;
    assert_eq!(phone.closed().await, Some(1003));

    // A frame over 16 KiB.
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    let huge = format!("{{\"type\":\"answer\",\"id\":1,\"activity\":\"{}\"}}", "x".repeat(17 * 1024));
    phone.send_raw(Message::text(huge)).await;
    assert_eq!(phone.closed().await, Some(1009));

    // Text that is not UTF-8.
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    let frame = Frame::message(vec![0x7b, 0xff, 0xfe, 0x7d], OpCode::Data(Data::Text), true);
    phone.send_raw(Message::Frame(frame)).await;
    assert_eq!(phone.closed().await, Some(1007));

    // A message in fragments is one message.
    let mut fragmented = Client::connect(&server.ws_url()).await;
    let join = format!("{{\"type\":\"join\",\"code\":\"{}\"}}", session.code);
    let (head, tail) = join.split_at(10);
    fragmented.send_raw(Message::Frame(Frame::message(head.to_owned(), OpCode::Data(Data::Text), false))).await;
    fragmented.send_raw(Message::Frame(Frame::message(tail.to_owned(), OpCode::Data(Data::Continue), true))).await;
    fragmented.expect("welcome").await;

    // An unknown code.
    let mut lost = Client::connect(&server.ws_url()).await;
    lost.send(json!({"type": "join", "code": "00000000"})).await;
    assert_eq!(lost.expect("error").await["error"], "not_found");
}

/// The first answer of a join from a fresh connection at `source`.
async fn try_join(server: &TestServer, source: Ipv4Addr, code: &str, token: Option<&str>) -> Value {
    let mut client = Client::connect_from(&server.ws_url(), source).await;
    client.send(json!({"type": "join", "code": code, "token": token})).await;
    client.expect_where("welcome or error", |m| m["type"] == "welcome" || m["type"] == "error").await
}

fn outcome(reply: &Value) -> &str {
    if reply["type"] == "welcome" { "welcome" } else { reply["error"].as_str().unwrap_or("?") }
}

/// An address that guesses codes is stopped: past its budget every guess, right or wrong,
/// hears `rate_limited`, so it cannot tell which was right; a token that matches nobody does
/// not get round it. People in the room a session runs in share the guesser's address (one
/// NAT) and still join that session; a phone that resumes with its token gets back in.
#[actix_web::test]
async fn guessing_join_codes_is_rate_limited_per_address() {
    let server = TestServer::start_with(|settings| {
        settings.limits.budgets.failed_joins_burst = NonZeroU32::new(3).expect("nonzero");
        settings.limits.budgets.failed_join_refill = std::time::Duration::from_secs(3600);
    })
    .await;
    let room = create_session(&server).await;
    let elsewhere = create_session(&server).await;
    let nat = Ipv4Addr::new(127, 0, 0, 21);
    let first = try_join(&server, nat, &room.code, None).await;
    let token = first["token"].as_str().expect("token").to_owned();

    let mut codes = Vec::new();
    for guess in 0..5 {
        codes.push(outcome(&try_join(&server, nat, &format!("{:08}", 10_000_000 + guess), None).await).to_owned());
    }
    assert_eq!(codes, ["not_found", "not_found", "not_found", "rate_limited", "rate_limited"]);

    // Right and wrong codes now get the same answer at this address…
    assert_eq!(outcome(&try_join(&server, nat, &elsewhere.code, None).await), "rate_limited");
    assert_eq!(outcome(&try_join(&server, nat, "10000009", None).await), "rate_limited");
    let made_up = "0123456789abcdef0123456789abcdef";
    assert_eq!(outcome(&try_join(&server, nat, &elsewhere.code, Some(made_up)).await), "rate_limited");
    // …the host key check over HTTP does not tell either.
    let (status, body) = get_json(&server.url(&format!("/api/sessions/{}", elsewhere.code)), Some("wrong")).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("unauthorized")), "another address is not guarded");

    // The room's next arrival joins the session already joined from this address.
    let neighbour = try_join(&server, nat, &room.code, None).await;
    assert_eq!(neighbour["type"], "welcome");
    assert_ne!(neighbour["participant_id"], first["participant_id"]);
    let back = try_join(&server, nat, &room.code, Some(&token)).await;
    assert_eq!(back["participant_id"], first["participant_id"]);
    // Over HTTP too: the open QR code and the host API tell a guarded address nothing…
    let qr = |code: &str| format!("/api/sessions/{code}/qr.svg");
    assert_eq!(http_status_from(&server, nat, &qr(&elsewhere.code), None).await, 429);
    let show = format!("/api/sessions/{}", elsewhere.code);
    assert_eq!(http_status_from(&server, nat, &show, Some("wrong")).await, 429);
    // …but its own room's session, and the right key, still work.
    assert_eq!(http_status_from(&server, nat, &qr(&room.code), None).await, 200);
    assert_eq!(http_status_from(&server, nat, &show, Some(&elsewhere.host_key)).await, 200);
    // Another address is not slowed at all.
    assert_eq!(outcome(&try_join(&server, Ipv4Addr::new(127, 0, 0, 22), &elsewhere.code, None).await), "welcome");
}

/// The status of a GET sent from a given loopback address, with a bearer key if given.
async fn http_status_from(server: &TestServer, source: Ipv4Addr, path: &str, key: Option<&str>) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind((source, 0).into()).expect("bind the source address");
    let mut stream = socket.connect(server.addr.parse().expect("address")).await.expect("connect");
    let auth = key.map(|key| format!("Authorization: Bearer {key}\r\n")).unwrap_or_default();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n{auth}Connection: close\r\n\r\n", server.addr);
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let head = String::from_utf8_lossy(&answer);
    head.split(' ').nth(1).and_then(|status| status.parse().ok()).expect("a status line")
}

/// A flood is answered `rate_limited` (with the request's id), then closed with 1008; a
/// phone at a normal pace is never limited.
#[actix_web::test]
async fn floods_are_limited_then_closed() {
    let server = TestServer::start().await;
    let session = create_session(&server).await;
    let scale = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": scale})).await;
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    for id in 0..200u64 {
        let answer = json!({"type": "answer", "id": id, "activity": scale, "round": "Before", "statement": 0, "value": 1 + id % 5});
        phone.send_raw(Message::text(answer.to_string())).await;
    }
    let mut limited = None;
    let code = loop {
        match phone.next().await {
            Ok(message) if message["error"] == "rate_limited" => limited = limited.or(Some(message)),
            Ok(_) => continue,
            Err(common::Ending::Closed(frame)) => break frame.map(|f| u16::from(f.code)),
            Err(common::Ending::Dropped) => break None,
        }
    };
    let limited = limited.expect("a rate_limited refusal before the close");
    assert!(limited["id"].as_u64().is_some(), "the refusal names the request: {limited}");
    assert_eq!(code, Some(1008));

    let (mut calm, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    for value in [1, 2, 3, 4, 5, 4, 3, 2, 1, 2] {
        calm.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 1, "value": value})).await;
    }
}
