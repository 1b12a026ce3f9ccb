//! Acked means committed: phones post notes while the server is killed (SIGKILL) at random
//! moments and started again; each phone resends what was not acknowledged, with the same
//! request id. In the end every acknowledged note is there exactly once, and nothing twice.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;

use crate::common::*;

/// Kill cycles: 20 in CI; the long run sets `CHORUS_CRASH_CYCLES=100` (docs/reliability.md).
fn cycles() -> usize {
    std::env::var("CHORUS_CRASH_CYCLES").ok().and_then(|n| n.parse().ok()).unwrap_or(20)
}
/// Phones taking fresh notes in each cycle, and how many each.
const PHONES: usize = 4;
const NOTES_PER_CYCLE: usize = 4;

/// A note a phone wants on the board: its request id and text never change, however often it
/// is resent.
#[derive(Clone)]
struct Note {
    id: u64,
    text: String,
}

/// Connects a phone and posts its notes (the unacknowledged ones of earlier rounds first),
/// one after another, until the connection dies. Sends back the ids acknowledged.
async fn phone(
    ws_url: String,
    code: String,
    token: String,
    board: String,
    notes: Vec<Note>,
    acked: mpsc::UnboundedSender<u64>,
) {
    let Ok((ws, _)) = tokio_tungstenite::connect_async(ws_url.as_str()).await else { return };
    let mut client = Client::from_stream(ws);
    client.send(json!({"type": "join", "code": code, "token": token})).await;
    if !matches!(client.next_welcome().await, Some(true)) {
        return;
    }
    for note in &notes {
        let request = json!({"type": "note_add", "id": note.id, "activity": board, "frame": 0, "text": note.text, "color": "green"});
        loop {
            if !client.try_send(request.clone()).await {
                return;
            }
            match client.try_reply(note.id).await {
                Some(reply) if reply["type"] == "ack" => {
                    let _ = acked.send(note.id);
                    break;
                }
                // A phone that resends a backlog slows down, as the web client does.
                Some(reply) if reply["error"] == "rate_limited" => tokio::time::sleep(Duration::from_millis(150)).await,
                Some(reply) => panic!("note {} refused: {reply}", note.id),
                None => return,
            }
        }
    }
}

#[actix_web::test]
async fn acknowledged_notes_survive_kill_9_exactly_once() {
    let data_dir = tempfile::tempdir().expect("data dir");
    let mut server = ServerProcess::running(data_dir.path()).await;
    let agenda = json!([{"kind": "jamboard", "title": "Crash", "frames": ["Notes"], "notes_per_participant": 100}]);
    let (session, board, host) = session_on_first_activity(&server, agenda, None).await;
    drop(host);
    let mut tokens: Vec<String> = Vec::new();
    // Notes given to each phone so far: the board takes 100 from one person, so a phone that
    // has had its share only resends what is pending, and a new phone takes fresh notes.
    let mut given: Vec<usize> = Vec::new();
    let mut pending: Vec<Vec<Note>> = Vec::new();

    let mut next_id = 1u64;
    let mut acked: BTreeMap<u64, String> = BTreeMap::new();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let cycles = cycles();
    for cycle in 0..=cycles {
        while given.iter().filter(|n| **n + NOTES_PER_CYCLE <= 100).count() < PHONES {
            let (_, welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
            tokens.push(welcome["token"].as_str().expect("token").to_owned());
            given.push(0);
            pending.push(Vec::new());
        }
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut tasks = Vec::new();
        let mut sent: HashMap<u64, String> = HashMap::new();
        for (p, token) in tokens.iter().enumerate() {
            let fresh: Vec<Note> = if cycle == cycles || given[p] + NOTES_PER_CYCLE > 100 {
                Vec::new()
            } else {
                given[p] += NOTES_PER_CYCLE;
                (0..NOTES_PER_CYCLE)
                    .map(|_| {
                        next_id += 1;
                        Note { id: next_id, text: format!("phone {p} note {next_id}") }
                    })
                    .collect()
            };
            if pending[p].is_empty() && fresh.is_empty() {
                continue;
            }
            for note in pending[p].iter().chain(&fresh) {
                sent.insert(note.id, note.text.clone());
            }
            pending[p].extend(fresh.iter().cloned());
            tasks.push(tokio::spawn(phone(
                server.ws_url(),
                session.code.clone(),
                token.clone(),
                board.clone(),
                pending[p].clone(),
                tx.clone(),
            )));
        }
        drop(tx);
        if cycle < cycles {
            // Kill at a random moment while notes are in flight.
            tokio::time::sleep(Duration::from_millis(5 + xorshift(&mut seed) % 60)).await;
            server.kill();
        }
        for task in tasks {
            let _ = task.await;
        }
        while let Some(id) = rx.recv().await {
            acked.insert(id, sent[&id].clone());
        }
        for notes in &mut pending {
            notes.retain(|note| !acked.contains_key(&note.id));
        }
        if cycle < cycles {
            server = ServerProcess::running(data_dir.path()).await;
        }
    }
    assert!(pending.iter().all(Vec::is_empty), "the last, calm round acknowledges everything still pending");

    let (status, export) =
        get_json(&server.url(&format!("/api/sessions/{}/export/json", session.code)), Some(&session.host_key)).await;
    assert_eq!(status, 200);
    let mut on_board: HashMap<String, usize> = HashMap::new();
    for response in export["responses"].as_array().expect("responses") {
        *on_board.entry(response["text"].as_str().unwrap_or_default().to_owned()).or_default() += 1;
    }
    let lost: Vec<&String> = acked.values().filter(|text| !on_board.contains_key(*text)).collect();
    let doubled: Vec<(&String, &usize)> = on_board.iter().filter(|(_, count)| **count > 1).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    assert!(doubled.is_empty(), "applied twice: {doubled:?}");
    assert_eq!(on_board.len(), acked.len(), "every note on the board was acknowledged");
    assert!(acked.len() >= cycles * PHONES * NOTES_PER_CYCLE / 2, "the run exercised enough notes: {}", acked.len());
    eprintln!(
        "{cycles} kills: {} notes acknowledged from {} phones, 0 lost, 0 applied twice",
        acked.len(),
        tokens.len()
    );
}
