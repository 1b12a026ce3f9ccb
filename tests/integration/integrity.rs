//! Damaged storage is found at start (reliability promise 15): tests on copies of a real
//! journal, written by the `chorus` binary and left by `kill -9` with its write-ahead log.
//! Flipped bytes in the log, or an emptied `chorus.db` beside an old log, make `chorus serve`
//! refuse to start with a plain message, say nothing of running, and change no file;
//! `chorus check` finds the same. `chorus backup` copies a serving journal, and the copy
//! restores into a server that has every note.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::*;

/// Under a phone's own limit of 30 messages at once.
const NOTES: usize = 25;

/// A data directory holding a real journal: a board with `NOTES` acknowledged notes, one
/// commit each, left as `kill -9` leaves it (the write-ahead log not checkpointed). Returns
/// the session's code and host key too.
async fn killed_journal() -> (tempfile::TempDir, Session) {
    let data_dir = tempfile::tempdir().expect("data dir");
    let mut server = ServerProcess::running(data_dir.path()).await;
    let agenda = json!([{"kind": "jamboard", "title": "Notes", "frames": ["Notes"], "notes_per_participant": 100}]);
    let (session, _board, _host) = session_on_first_activity(&server, agenda, None).await;
    let board = session.activity(0);
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    for n in 0..NOTES {
        phone
            .ok(json!({"type": "note_add", "activity": board, "frame": 0, "text": format!("note {n}"), "color": "yellow"}))
            .await;
    }
    // The high-water mark is written just after the acknowledgements.
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.kill();
    let wal = std::fs::metadata(data_dir.path().join("chorus.db-wal")).map(|m| m.len()).unwrap_or(0);
    assert!(wal > 50_000, "the log holds the notes ({wal} bytes)");
    (data_dir, session)
}

/// A copy of a data directory (its files; the exports folder is not needed).
fn copy_of(dir: &Path) -> tempfile::TempDir {
    let copy = tempfile::tempdir().expect("copy");
    for entry in std::fs::read_dir(dir).expect("list") {
        let entry = entry.expect("entry");
        if entry.file_type().expect("type").is_file() {
            std::fs::copy(entry.path(), copy.path().join(entry.file_name())).expect("copy a file");
        }
    }
    copy
}

/// Every file of a directory and its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("list")
        .map(|entry| entry.expect("entry"))
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
        .map(|entry| (entry.file_name().to_string_lossy().into_owned(), std::fs::read(entry.path()).expect("read")))
        .collect()
}

/// Flips bytes inside the page of the write-ahead log's frame at `fraction` of the log.
fn flip_wal_frame(dir: &Path, fraction: f64) {
    let mut wal = std::fs::OpenOptions::new().read(true).write(true).open(dir.join("chorus.db-wal")).expect("the log");
    let mut header = [0u8; 32];
    wal.read_exact(&mut header).expect("the log's header");
    let page = u64::from(u32::from_be_bytes([header[8], header[9], header[10], header[11]]));
    let frame = 24 + page;
    let frames = (wal.metadata().expect("size").len() - 32) / frame;
    let victim = (frames as f64 * fraction) as u64;
    let at = 32 + victim * frame + 24 + page / 2;
    wal.seek(SeekFrom::Start(at)).expect("seek");
    let mut bytes = [0u8; 8];
    wal.read_exact(&mut bytes).expect("read");
    for byte in &mut bytes {
        *byte ^= 0x5a;
    }
    wal.seek(SeekFrom::Start(at)).expect("seek");
    wal.write_all(&bytes).expect("flip");
    wal.sync_all().expect("sync");
}

/// Runs `chorus <args>` to its end (at most 20 s): exit success, stdout, stderr.
fn chorus(args: &[&str], data_dir: &Path) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chorus"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run chorus");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("chorus {args:?} did not finish: it started on a damaged journal");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    let mut err = String::new();
    child.stdout.take().expect("stdout").read_to_string(&mut out).expect("stdout");
    child.stderr.take().expect("stderr").read_to_string(&mut err).expect("stderr");
    (status.success(), out, err)
}

/// What `chorus serve` must do on a damaged journal: refuse, say why, never say it runs,
/// and leave every file as it was (the wal-index `-shm`, SQLite's rebuildable cache of the
/// log, aside).
fn refuses_to_start_untouched(dir: &Path, why: &str) {
    let before = files(dir);
    let (ok, out, err) = chorus(&["serve", "--bind", "127.0.0.1:0"], dir);
    assert!(!ok, "started on a damaged journal: {out}");
    assert!(!out.contains("Chorus is running"), "said it runs: {out}");
    assert!(err.contains("looks damaged") && err.contains(why), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let keep = |files: BTreeMap<String, Vec<u8>>| -> BTreeMap<String, Vec<u8>> {
        files.into_iter().filter(|(name, _)| !name.ends_with("-shm")).collect()
    };
    assert!(keep(files(dir)) == keep(before), "a file was changed");
    let (ok, out, err) = chorus(&["check"], dir);
    assert!(!ok && err.contains(why), "chorus check: {out} {err}");
}

/// Flipped bytes in the log: SQLite would drop that commit and every later one without a
/// word; Chorus refuses to start. The same copy, undamaged, starts with every note.
#[actix_web::test]
async fn flipped_bytes_in_the_log_stop_the_start_and_change_nothing() {
    let (original, session) = killed_journal().await;
    let damaged = copy_of(original.path());
    flip_wal_frame(damaged.path(), 0.6);
    refuses_to_start_untouched(damaged.path(), "committed events are missing");

    let (ok, out, err) = chorus(&["check"], copy_of(original.path()).path());
    assert!(ok && out.starts_with("ok:"), "{out} {err}");
    let whole = copy_of(original.path());
    let server = ServerProcess::running(whole.path()).await;
    let (status, export) =
        get_json(&server.url(&format!("/api/sessions/{}/export/json", session.code)), Some(&session.host_key)).await;
    assert_eq!(status, 200);
    let notes = export["responses"].as_array().map(Vec::len);
    assert_eq!(notes, Some(NOTES));
}

/// An emptied `chorus.db` beside its old log would start as an empty server and overwrite
/// the log; Chorus refuses. So it does with the database gone and the mark left.
#[actix_web::test]
async fn an_empty_database_beside_an_old_log_is_refused() {
    let (original, _) = killed_journal().await;
    let emptied = copy_of(original.path());
    std::fs::File::create(emptied.path().join("chorus.db")).expect("empty chorus.db");
    refuses_to_start_untouched(emptied.path(), "chorus.db is empty");

    let lost = copy_of(original.path());
    std::fs::remove_file(lost.path().join("chorus.db")).expect("remove chorus.db");
    std::fs::remove_file(lost.path().join("chorus.db-wal")).expect("remove the log");
    let _ = std::fs::remove_file(lost.path().join("chorus.db-shm"));
    refuses_to_start_untouched(lost.path(), "chorus.db is missing");
}

/// `chorus backup` while the server runs and takes notes: the copy checks out, and a data
/// directory restored from it serves every note acknowledged before the backup.
#[actix_web::test]
async fn a_backup_taken_while_serving_restores() {
    let data_dir = tempfile::tempdir().expect("data dir");
    let server = ServerProcess::running(data_dir.path()).await;
    let agenda = json!([{"kind": "jamboard", "title": "Notes", "frames": ["Notes"], "notes_per_participant": 100}]);
    let (session, board, _host) = session_on_first_activity(&server, agenda, None).await;
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    for n in 0..20 {
        phone
            .ok(json!({"type": "note_add", "activity": board, "frame": 0, "text": format!("kept {n}"), "color": "yellow"}))
            .await;
    }
    let backups = tempfile::tempdir().expect("backups");
    let file = backups.path().join("chorus-backup.db");
    let file_arg = file.display().to_string();
    let (ok, out, err) = chorus(&["backup", "--to", &file_arg], data_dir.path());
    assert!(ok, "{out} {err}");
    assert!(out.contains("Backed up 1 sessions"), "{out}");
    // Writing on while the copy is kept; a second backup to the same file is refused.
    phone.ok(json!({"type": "note_add", "activity": board, "frame": 0, "text": "later", "color": "yellow"})).await;
    let (ok, _, err) = chorus(&["backup", "--to", &file_arg], data_dir.path());
    assert!(!ok && err.contains("exists already"), "{err}");
    let (ok, out, err) = chorus(&["check", "--file", &file_arg], data_dir.path());
    assert!(ok && out.starts_with("ok:"), "{out} {err}");

    // Restore, as docs/reliability.md says: the backup becomes chorus.db of a data directory.
    let restored = tempfile::tempdir().expect("restored");
    std::fs::copy(&file, restored.path().join("chorus.db")).expect("restore");
    let again = ServerProcess::running(restored.path()).await;
    let (status, export) =
        get_json(&again.url(&format!("/api/sessions/{}/export/json", session.code)), Some(&session.host_key)).await;
    assert_eq!(status, 200);
    let texts: Vec<&str> = export["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .filter_map(|response| response["text"].as_str())
        .collect();
    assert_eq!(texts.len(), 20, "{texts:?}");
    assert!(texts.iter().all(|text| text.starts_with("kept ")), "{texts:?}");
}
