//! Slow consumers: a phone that stops reading is closed, and costs the others nothing.
//!
//! The real figures (500 non-readers beside 100 phones, memory and latency) come from the
//! load tool (`chorus-load --idle 500`, see docs/reliability.md); this pins the behaviour
//! with the server's timings shortened so that it runs in seconds.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::net::TcpSocket;

use crate::common::*;

#[path = "../../src/bin/chorus-load/idle.rs"]
mod idle;
use idle::IdlePhone;

const IDLE: usize = 20;
const PHONES: usize = 3;

#[actix_web::test]
async fn phones_that_stop_reading_are_closed_and_the_others_carry_on() {
    let server = TestServer::start_with(|settings| {
        settings.limits.heartbeat = Duration::from_millis(200);
        settings.limits.silent_after = Duration::from_secs(1);
    })
    .await;
    let session = create_session(&server).await;
    let scale = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": scale, "round": "Before"})).await;
    host.ok(json!({"type": "reveal", "show": true})).await;

    // Phones that join and then never read again: no pong, no answer.
    let mut idle = Vec::new();
    for _ in 0..IDLE {
        idle.push(
            IdlePhone::join(server.addr.parse().expect("address"), &session.code).await.expect("an idle phone joins"),
        );
    }

    // Phones that keep answering meanwhile, every answer acknowledged, for three seconds:
    // long past the point where the idle ones are given up on.
    let phones = (0..PHONES).map(|p| {
        let (ws_url, code, scale) = (server.ws_url(), session.code.clone(), scale.clone());
        tokio::spawn(async move {
            let (mut phone, _) = Client::participant(&ws_url, &code, None).await;
            let started = Instant::now();
            let mut acked = 0;
            while started.elapsed() < Duration::from_secs(3) {
                let value = (acked + p) % 5 + 1;
                let message =
                    json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": value});
                phone.ok(message).await;
                acked += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            acked
        })
    });
    let mut answered = 0;
    for phone in phones.collect::<Vec<_>>() {
        let acked = phone.await.expect("a phone's task");
        assert!(acked >= 10, "a phone that reads was held up: {acked} answers in 3 s");
        answered += acked;
    }

    // Each idle phone finds, under all it never read, the server's goodbye.
    for phone in idle {
        let goodbye = tokio::time::timeout(PATIENCE, phone.goodbye()).await.expect("the idle phone's goodbye");
        assert_eq!(goodbye, Some((1001, "No answer for too long.".to_owned())), "an idle phone is closed as gone away");
    }
    // A console: a scale's results wait on the projector while answers are open.
    let (mut console, _) = Client::host(&server.ws_url(), &session).await;
    let results = console.expect("results").await;
    let counted = round_stats(&results, 0, "Before")["n"].as_u64().expect("n");
    assert_eq!(counted, PHONES as u64, "{answered} answers from {PHONES} phones, each counted once");
}

/// A console that stops reading while it has plenty coming is dropped as too slow once one
/// write has waited for the stall limit, long before it would count as silent; no goodbye is
/// sent, as nothing would read it. Meanwhile the server reads nothing more from it either,
/// so what it holds for the connection stays bounded.
#[actix_web::test]
async fn a_connection_that_does_not_take_its_frames_is_dropped_as_too_slow() {
    let server = TestServer::start_with(|settings| {
        settings.limits.write_stall = Duration::from_millis(300);
        settings.limits.silent_after = Duration::from_secs(600);
    })
    .await;
    // The longest agenda there may be (~160 KB), which the console is sent on arrival.
    let statement = "I can say what co-production means to me. ".repeat(7);
    let scale = json!({"kind": "scale", "title": "How it went", "statements": vec![statement; 10]});
    let session = create_session_at(&server.url(""), json!(vec![scale; 50])).await;
    let dropped_before = slow_closes(&server).await;

    // A small receive buffer, never read: it and the server's send buffer fill long before
    // the agenda is through.
    let target = server.addr.parse().expect("address");
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("receive buffer");
    let stream = socket.connect(target).await.expect("connect");
    let hello = json!({"type": "host", "code": session.code, "key": session.host_key});
    let console = IdlePhone::open(stream, target, &[hello]).await.expect("the console connects");

    // Each move to another activity sends every console the agenda again. Loopback send
    // buffers grow to megabytes, so it takes a few dozen.
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    let started = Instant::now();
    let mut moves = 0;
    while slow_closes(&server).await == dropped_before {
        assert!(started.elapsed() < PATIENCE, "a console that takes nothing was never dropped");
        host.ok(json!({"type": "goto", "activity": session.activity(moves % 50)})).await;
        moves += 1;
    }
    assert_eq!(console.goodbye().await, None, "dropped without a goodbye");

    // The session goes on for everyone else.
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    phone.expect("step").await;
}

/// `chorus_slow_consumer_closes_total`, or 0 before the first.
async fn slow_closes(server: &TestServer) -> u64 {
    let mut response = awc::Client::new().get(server.url("/metrics")).send().await.expect("metrics");
    let body = response.body().await.expect("metrics body");
    String::from_utf8_lossy(&body)
        .lines()
        .find_map(|line| line.strip_prefix("chorus_slow_consumer_closes_total "))
        .map_or(0, |value| value.trim().parse::<f64>().expect("a count") as u64)
}
