//! Slow consumers: a phone that stops reading is closed, and costs the others nothing.
//!
//! The real figures (500 non-readers beside 100 phones, memory and latency) come from the
//! load tool (`chorus-load --idle 500`, see docs/reliability.md); this pins the behaviour
//! with the server's timings shortened so that it runs in seconds.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;

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
        idle.push(IdlePhone::join(&server.addr, &session.code).await);
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
    let (mut presenter, _) = Client::presenter(&server.ws_url(), &session).await;
    let results = presenter.expect("results").await;
    let counted = round_stats(&results, 0, "Before")["n"].as_u64().expect("n");
    assert_eq!(counted, PHONES as u64, "{answered} answers from {PHONES} phones, each counted once");
}

/// A phone that stops reading after it joins. Written on a bare socket, because a WebSocket
/// library answers pings (and so writes) whenever it reads, which would muddle what is
/// being tested: a peer that does nothing at all.
struct IdlePhone(TcpStream);

impl IdlePhone {
    async fn join(addr: &str, code: &str) -> Self {
        let mut socket = TcpStream::connect(addr).await.expect("connect");
        let request = format!(
            "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        socket.write_all(request.as_bytes()).await.expect("upgrade request");
        let join = json!({"type": "join", "code": code}).to_string();
        // A client's frame is masked; a mask of zeros leaves the text as it is.
        let mut frame = vec![0x81, 0x80 | u8::try_from(join.len()).expect("a short message"), 0, 0, 0, 0];
        frame.extend_from_slice(join.as_bytes());
        socket.write_all(&frame).await.expect("join");
        Self(socket)
    }

    /// Reads everything the server sent, and returns the code and reason of its close frame.
    async fn goodbye(mut self) -> Option<(u16, String)> {
        let mut bytes = Vec::new();
        self.0.read_to_end(&mut bytes).await.expect("read what the server sent");
        let start = bytes.windows(4).position(|w| w == b"\r\n\r\n").expect("the upgrade answer") + 4;
        assert!(bytes.starts_with(b"HTTP/1.1 101"), "the upgrade was accepted");
        let mut rest = &bytes[start..];
        // Server frames are unmasked: opcode, length (7 bits, or 16 or 64 more), payload.
        while rest.len() >= 2 {
            let opcode = rest[0] & 0x0f;
            let (len, header) = match rest[1] & 0x7f {
                126 => (usize::from(u16::from_be_bytes([rest[2], rest[3]])), 4),
                127 => (usize::try_from(u64::from_be_bytes(rest[2..10].try_into().expect("8 bytes"))).ok()?, 10),
                short => (usize::from(short), 2),
            };
            let payload = rest.get(header..header + len)?;
            if opcode == 0x8 {
                let code = u16::from_be_bytes([payload[0], payload[1]]);
                return Some((code, String::from_utf8_lossy(&payload[2..]).into_owned()));
            }
            rest = &rest[header + len..];
        }
        None
    }
}
