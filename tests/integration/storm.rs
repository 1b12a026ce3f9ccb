//! Reconnect storm: a room of 5,000 phones loses the server (a restart) and comes back at
//! once, each after a full-jitter exponential backoff as the web client waits. Every phone
//! gets its own identity back and finds its answer; nothing is lost or counted twice.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::common::*;

const PHONES: usize = 5_000;
/// The web client's backoff: a random wait in [0, min(cap, base · 2^attempt)).
const BACKOFF_BASE_MS: u64 = 500;
const BACKOFF_CAP_MS: u64 = 30_000;

/// A phone after its first visit: who it is and what it answered.
struct Phone {
    client: Client,
    token: String,
    participant: Value,
    value: u64,
}

/// The wait before retry `attempt`: full jitter, as `web/src/lib/backoff.ts` waits.
fn jitter(seed: &mut u64, attempt: u32) -> Duration {
    let ceiling = BACKOFF_CAP_MS.min(BACKOFF_BASE_MS << attempt.min(16));
    Duration::from_millis(xorshift(seed) % ceiling)
}

/// Comes back after the restart, as the web client does: waits, tries, waits longer.
async fn come_back(ws_url: String, code: String, phone: Phone, index: usize) -> Result<(), String> {
    let Phone { mut client, token, participant, value } = phone;
    // The old server's goodbye: 1012, "come back in a moment".
    let goodbye = client.closed().await;
    if goodbye.is_some_and(|code| code != 1012) {
        return Err(format!("phone {index} was closed with {goodbye:?}, not 1012"));
    }
    let mut seed = 0x9e37_79b9_7f4a_7c15 ^ (index as u64 + 1);
    for attempt in 0.. {
        tokio::time::sleep(jitter(&mut seed, attempt)).await;
        let Ok(Ok((ws, _))) = tokio::time::timeout(PATIENCE, tokio_tungstenite::connect_async(ws_url.as_str())).await
        else {
            if attempt > 12 {
                return Err(format!("phone {index} could not reconnect"));
            }
            continue;
        };
        let mut client = Client::from_stream(ws);
        client.send(json!({"type": "join", "code": code, "token": token})).await;
        let welcome = client.expect_where("welcome", |m| m["type"] == "welcome" || m["type"] == "error").await;
        if welcome["type"] != "welcome" {
            return Err(format!("phone {index} was refused: {welcome}"));
        }
        if welcome["participant_id"] != participant {
            return Err(format!("phone {index} came back as someone else: {welcome}"));
        }
        if welcome["mine"]["values"][0] != json!(value) {
            return Err(format!("phone {index} lost its answer: {}", welcome["mine"]));
        }
        return Ok(());
    }
    unreachable!("the loop returns")
}

/// Per-address budgets wide enough for every phone of the test on 127.0.0.1.
const ROOMY: &[(&str, &str)] = &[("CHORUS_JOINS_PER_ADDRESS", "20000"), ("CHORUS_WRITES_PER_ADDRESS", "100000")];

#[actix_web::test]
async fn five_thousand_phones_come_back_after_a_restart_as_themselves() {
    let data_dir = tempfile::tempdir().expect("data dir");
    // 5,000 phones from one address: far more than the per-address budgets let in at once.
    let mut server = ServerProcess::start_at_with(data_dir.path(), "127.0.0.1:0", ROOMY);
    server.wait_healthy().await;
    let (session, scale, _host) = session_on_first_activity(&server, workshop_agenda(), Some("Before")).await;

    // The room joins and answers, a few hundred at a time.
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(200));
    let mut joining: FuturesUnordered<_> = (0..PHONES)
        .map(|index| {
            let (ws_url, code, scale, gate) = (server.ws_url(), session.code.clone(), scale.clone(), gate.clone());
            async move {
                let _turn = gate.acquire().await.expect("semaphore");
                let (mut client, welcome) = Client::participant(&ws_url, &code, None).await;
                let value = (index % 5 + 1) as u64;
                client
                    .ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": value}))
                    .await;
                let token = welcome["token"].as_str().expect("token").to_owned();
                Phone { client, token, participant: welcome["participant_id"].clone(), value }
            }
        })
        .collect();
    let mut phones = Vec::with_capacity(PHONES);
    while let Some(phone) = joining.next().await {
        phones.push(phone);
    }
    eprintln!("{PHONES} phones joined and answered in {:.1} s", started.elapsed().as_secs_f64());

    // The restart: SIGTERM, and the server is started again where the phones look for it.
    let address = server.addr.clone();
    let returning: Vec<_> = phones
        .into_iter()
        .enumerate()
        .map(|(index, phone)| tokio::spawn(come_back(format!("ws://{address}/ws"), session.code.clone(), phone, index)))
        .collect();
    let stopping = Instant::now();
    assert!(server.terminate().success(), "a clean exit on SIGTERM");
    eprintln!("the server stopped in {:.2} s", stopping.elapsed().as_secs_f64());
    let restarted = Instant::now();
    let server = ServerProcess::start_at_with(data_dir.path(), &address, ROOMY);
    let mut failures = Vec::new();
    for phone in returning {
        if let Err(failure) = phone.await.expect("a phone's task") {
            failures.push(failure);
        }
    }
    eprintln!("{PHONES} phones back in {:.1} s after the restart", restarted.elapsed().as_secs_f64());
    assert!(
        failures.is_empty(),
        "{} phones did not come back as themselves: {:?}",
        failures.len(),
        &failures[..3.min(failures.len())]
    );

    // Every answer is there once.
    let (status, export) =
        get_json(&server.url(&format!("/api/sessions/{}/export/json", session.code)), Some(&session.host_key)).await;
    assert_eq!(status, 200);
    let answers = export["responses"].as_array().expect("responses");
    assert_eq!(answers.len(), PHONES, "one answer per phone, none lost, none doubled");
    let (health, _) = get_json(&server.url("/healthz"), None).await;
    assert_eq!(health, 200);
}
