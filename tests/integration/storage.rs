//! Storage faults (reliability promise 8): a full disk, failing fsyncs, failing writes and a
//! read-only file system. While a fault lasts every answer gets `not_saved`, never an `ack`,
//! and `/healthz` says 503; answers acknowledged before it stay; once it clears the same
//! server process takes answers again, including the refused ones resent with the same ids,
//! and the export holds every acknowledged answer exactly once and nothing else.
//!
//! The faults are real: the server (the `chorus` binary, as a child process) keeps its data on
//! a small tmpfs filled with a ballast file, on an ext4 file system on a loop device whose
//! backing file has no room left (writes land in the page cache, fsync fails), or runs under a
//! file-size limit of 0 (`prlimit`: every write fails with EFBIG). Mounting needs root; where
//! it is impossible these tests fail and say why, unless `CHORUS_SKIP_MOUNT_TESTS=1`.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::*;

const SKIP: &str = "CHORUS_SKIP_MOUNT_TESTS";
const PHONES: usize = 3;

// ---- file systems ---------------------------------------------------------------------

/// Runs a command; its stdout, or what went wrong.
fn run(program: &str, args: &[&str]) -> Result<String, String> {
    let output = std::process::Command::new(program)
        .args(args)
        .output()
        .map_err(|err| format!("cannot run {program}: {err}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!("{program} {} failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim()))
    }
}

fn must(program: &str, args: &[&str]) -> String {
    run(program, args).unwrap_or_else(|err| panic!("{err}"))
}

/// Whether this run skips the tests that mount file systems, saying so.
fn skipping(test: &str) -> bool {
    let skip = std::env::var(SKIP).is_ok_and(|value| value == "1");
    if skip {
        eprintln!("SKIPPED storage::{test}: {SKIP}=1, no file system was mounted and nothing was checked");
    }
    skip
}

fn cannot_mount(err: String) -> ! {
    panic!(
        "cannot set up a file system for a storage-fault test: {err}. These tests need root (mount, \
         losetup, mkfs.ext4). Set {SKIP}=1 to skip them knowingly."
    )
}

fn text(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// Unmounts, lazily if something still holds the file system.
fn unmount(path: &Path) {
    if let Err(err) = run("umount", &[text(path)]) {
        eprintln!("{err}; unmounting lazily");
        let _ = run("umount", &["-l", text(path)]);
    }
}

/// A tmpfs of a fixed size on a fresh temporary directory, unmounted when dropped (also when
/// the test panics).
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Self {
        let dir = tempfile::tempdir().expect("a mount point");
        if let Err(err) = run("mount", &["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs", text(dir.path())]) {
            cannot_mount(err);
        }
        Self { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount(&self, options: &str) {
        must("mount", &["-o", &format!("remount,{options}"), text(self.path())]);
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        unmount(self.dir.path());
    }
}

/// An ext4 file system on a loop device whose backing file lies, sparse, on a small tmpfs.
/// Only the file system's metadata has pages behind it; a data block gets one when first
/// written back. With the tmpfs full, writes still land in the page cache, and the writeback
/// that `fsync` forces fails: fsync returns an error, as on a failing disk.
struct LoopExt4 {
    mount: tempfile::TempDir,
    device: String,
    backing: Tmpfs,
}

impl LoopExt4 {
    fn mount(options: &str) -> Self {
        let backing = Tmpfs::mount("24m");
        let image = backing.path().join("ext4.img");
        std::fs::File::create(&image).and_then(|file| file.set_len(64 << 20)).expect("an image file");
        let image = text(&image);
        let formatted = run(
            "mkfs.ext4",
            &[
                "-q",
                "-F",
                "-b",
                "4096",
                "-E",
                "lazy_itable_init=0,lazy_journal_init=0,nodiscard",
                "-J",
                "size=4",
                image,
            ],
        );
        if let Err(err) = formatted {
            cannot_mount(err);
        }
        // Everything before the first free block (superblock, bitmaps, inode table, journal)
        // gets its pages now, so that a full backing tmpfs fails data writes only and the file
        // system itself stays sound.
        let layout = run("dumpe2fs", &[image]).unwrap_or_else(|err| cannot_mount(err));
        let first_free: u64 = layout
            .lines()
            .filter_map(|line| line.trim().strip_prefix("Free blocks: "))
            .find_map(|range| range.split_once('-').and_then(|(first, _)| first.trim().parse().ok()))
            .expect("a free block range in dumpe2fs's output");
        must("fallocate", &["-o", "0", "-l", &(first_free * 4096).to_string(), image]);
        let device = run("losetup", &["-f", "--show", image]).unwrap_or_else(|err| cannot_mount(err)).trim().to_owned();
        let mount = tempfile::tempdir().expect("a mount point");
        if let Err(err) = run("mount", &["-o", options, &device, text(mount.path())]) {
            let _ = run("losetup", &["-d", &device]);
            cannot_mount(err);
        }
        Self { mount, device, backing }
    }

    fn path(&self) -> &Path {
        self.mount.path()
    }

    /// Unmounts and mounts again: how an administrator clears an error that turned it
    /// read-only.
    fn remount_fresh(&self) {
        must("umount", &[text(self.path())]);
        must("mount", &[&self.device, text(self.path())]);
    }

    /// Gives back the backing pages of every free block (the loop device turns the discard
    /// into holes), so that any block written from now on needs a new page.
    fn trim(&self) {
        must("fstrim", &[text(self.path())]);
    }

    /// Makes ext4 record an error, which with `errors=remount-ro` turns it read-only at once,
    /// files open for writing or not (a plain `mount -o remount,ro` is refused with EBUSY
    /// while the server holds its database open for writing).
    fn trigger_error(&self) {
        let name = self.device.trim_start_matches("/dev/");
        std::fs::write(format!("/sys/fs/ext4/{name}/trigger_fs_error"), "1").expect("trigger an ext4 error");
    }
}

impl Drop for LoopExt4 {
    fn drop(&mut self) {
        unmount(self.mount.path());
        if let Err(err) = run("losetup", &["-d", &self.device]) {
            eprintln!("{err}");
        }
    }
}

/// Fills the file system of `path`'s directory with the file `path` until a write fails.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).expect("a ballast file");
    for size in [1 << 20, 4096, 1] {
        let chunk = vec![0xa5u8; size];
        while file.write_all(&chunk).is_ok() {}
    }
    let full = file.write_all(b"x").expect_err("the file system is full");
    assert_eq!(full.raw_os_error(), Some(28), "ENOSPC: {full}");
}

// ---- a workshop through a fault -------------------------------------------------------

/// Phones posting notes on a board, with what became of each note.
struct Workshop {
    fault: &'static str,
    session: Session,
    board: String,
    tokens: Vec<String>,
    phones: Vec<Client>,
    next_id: u64,
    /// Acknowledged notes by request id.
    acked: BTreeMap<u64, String>,
    /// Refused notes not resent yet: phone, request id, text.
    refused: Vec<(usize, u64, String)>,
    /// Refused notes nobody resends: they must never show.
    abandoned: Vec<String>,
}

impl Workshop {
    async fn start(fault: &'static str, server: &ServerProcess) -> Self {
        let agenda =
            json!([{"kind": "jamboard", "title": "Faults", "frames": ["Notes"], "notes_per_participant": 100}]);
        let session = create_session_at(&server.url(""), agenda).await;
        let board = session.activity(0);
        let (mut host, _) = Client::host(&server.ws_url(), &session).await;
        host.ok(json!({"type": "goto", "activity": board})).await;
        let mut tokens = Vec::new();
        let mut phones = Vec::new();
        for _ in 0..PHONES {
            let (phone, welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
            tokens.push(welcome["token"].as_str().expect("token").to_owned());
            phones.push(phone);
        }
        Self {
            fault,
            session,
            board,
            tokens,
            phones,
            next_id: 0,
            acked: BTreeMap::new(),
            refused: Vec::new(),
            abandoned: Vec::new(),
        }
    }

    /// The phones come back to a restarted server, with their tokens.
    async fn reconnect(&mut self, server: &ServerProcess) {
        self.phones.clear();
        for token in &self.tokens {
            let (phone, _) = Client::participant(&server.ws_url(), &self.session.code, Some(token)).await;
            self.phones.push(phone);
        }
    }

    /// Posts a note and returns its `ack` or `error`; waits out the rate limit.
    async fn post(&mut self, phone: usize, id: u64, text: &str) -> Value {
        let request =
            json!({"type": "note_add", "id": id, "activity": self.board, "frame": 0, "text": text, "color": "green"});
        loop {
            self.phones[phone].send(request.clone()).await;
            let reply = self.phones[phone].reply(id).await;
            if reply["error"] != "rate_limited" {
                return reply;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    fn new_note(&mut self, phone: usize) -> (u64, String) {
        self.next_id += 1;
        (self.next_id, format!("{} phone {phone} note {}", self.fault, self.next_id))
    }

    /// Every phone posts `rounds` new notes, each of which must be acknowledged.
    async fn answers_acked(&mut self, rounds: usize) {
        for _ in 0..rounds {
            for phone in 0..PHONES {
                let (id, text) = self.new_note(phone);
                let reply = self.post(phone, id, &text).await;
                assert_eq!(reply["type"], "ack", "{}: note {id} refused with no fault on: {reply}", self.fault);
                self.acked.insert(id, text);
            }
        }
    }

    /// Phones post notes until one is refused as not saved (at most `most` notes); the ones
    /// acknowledged before it count as acknowledged.
    async fn answers_until_refused(&mut self, most: usize) {
        for sent in 0..most {
            let phone = sent % PHONES;
            let (id, text) = self.new_note(phone);
            let reply = self.post(phone, id, &text).await;
            if reply["type"] == "ack" {
                self.acked.insert(id, text);
                continue;
            }
            assert_eq!(reply["error"], "not_saved", "{}: {reply}", self.fault);
            self.refused.push((phone, id, text));
            eprintln!("{}: {sent} notes acknowledged after the fault was put on, before the first refusal", self.fault);
            return;
        }
        panic!("{}: {most} notes were all acknowledged with the fault on", self.fault);
    }

    /// Every phone posts `rounds` new notes, each of which must be refused as not saved.
    async fn answers_refused(&mut self, rounds: usize) {
        for _ in 0..rounds {
            for phone in 0..PHONES {
                let (id, text) = self.new_note(phone);
                let reply = self.post(phone, id, &text).await;
                assert_eq!(reply["type"], "error", "{}: note {id} acknowledged during the fault: {reply}", self.fault);
                assert_eq!(reply["error"], "not_saved", "{}: {reply}", self.fault);
                assert!(reply["message"].as_str().is_some_and(|m| !m.is_empty()), "a message for people: {reply}");
                self.refused.push((phone, id, text));
            }
        }
    }

    /// Resends every other refused note with its own id (all must be acknowledged now); the
    /// rest are given up, and a note acknowledged long ago is resent too (acknowledged again,
    /// kept once).
    async fn resend(&mut self) {
        for (index, (phone, id, text)) in std::mem::take(&mut self.refused).into_iter().enumerate() {
            if index % 2 == 1 {
                self.abandoned.push(text);
                continue;
            }
            let reply = self.post(phone, id, &text).await;
            assert_eq!(reply["type"], "ack", "{}: refused note {id} resent after the fault: {reply}", self.fault);
            self.acked.insert(id, text);
        }
        let (&id, text) = self.acked.iter().next().expect("an early note");
        let text = text.clone();
        // Ids are handed out phone by phone from 1: note 1 is phone 0's.
        let reply = self.post(0, id, &text).await;
        assert_eq!(reply["type"], "ack", "{}: an acknowledged note resent: {reply}", self.fault);
    }

    /// The board as the JSON export has it: how often each note's text is there.
    async fn exported(&self, server: &ServerProcess) -> HashMap<String, usize> {
        let url = server.url(&format!("/api/sessions/{}/export/json", self.session.code));
        let (status, export) = get_json(&url, Some(&self.session.host_key)).await;
        assert_eq!(status, 200, "{}: export: {export}", self.fault);
        let mut on_board = HashMap::new();
        for response in export["responses"].as_array().expect("responses") {
            *on_board.entry(response["text"].as_str().unwrap_or_default().to_owned()).or_default() += 1;
        }
        on_board
    }

    /// Every acknowledged note exactly once, no refused one, nothing else.
    async fn check_export(&self, server: &ServerProcess) {
        let on_board = self.exported(server).await;
        for (id, text) in &self.acked {
            assert_eq!(on_board.get(text), Some(&1), "{}: acknowledged note {id} ({text}) in the export", self.fault);
        }
        let refused = self.refused.iter().map(|(_, _, text)| text).chain(&self.abandoned);
        for text in refused {
            assert!(!on_board.contains_key(text), "{}: a refused note is in the export: {text}", self.fault);
        }
        assert_eq!(on_board.len(), self.acked.len(), "{}: nothing but acknowledged notes", self.fault);
    }
}

async fn health(server: &ServerProcess) -> u16 {
    get_json(&server.url("/healthz"), None).await.0
}

async fn wait_for_health(server: &ServerProcess, fault: &str) {
    for _ in 0..100 {
        if health(server).await == 200 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{fault}: /healthz did not come back within 20 s of the fault clearing");
}

/// When a fault bites.
#[derive(PartialEq)]
enum Onset {
    /// With the very next write.
    At,
    /// Within a few writes: those that still fit in space the disk had may be acknowledged
    /// (and must then be kept), every one after the first refusal must be refused.
    Within,
}

/// Answers before, during and after a fault on one server process, which is never restarted.
async fn through_a_fault(
    fault: &'static str,
    server: ServerProcess,
    onset: Onset,
    inject: impl FnOnce(&ServerProcess),
    clear: impl FnOnce(&ServerProcess),
) {
    server.wait_healthy().await;
    let mut workshop = Workshop::start(fault, &server).await;
    workshop.answers_acked(2).await;

    inject(&server);
    if onset == Onset::Within {
        workshop.answers_until_refused(30).await;
    }
    workshop.answers_refused(3).await;
    assert_eq!(health(&server).await, 503, "{fault}: /healthz while writes fail");
    workshop.check_export(&server).await;

    clear(&server);
    wait_for_health(&server, fault).await;
    workshop.resend().await;
    workshop.answers_acked(2).await;
    workshop.check_export(&server).await;
}

// ---- the faults -----------------------------------------------------------------------

#[actix_web::test]
async fn a_full_disk_refuses_answers_until_space_is_freed() {
    if skipping("a_full_disk_refuses_answers_until_space_is_freed") {
        return;
    }
    let disk = Tmpfs::mount("8m");
    let ballast = disk.path().join("ballast");
    through_a_fault(
        "full disk",
        ServerProcess::start(disk.path()),
        Onset::At,
        |_| fill(&ballast),
        |_| std::fs::remove_file(&ballast).expect("remove the ballast"),
    )
    .await;
}

/// The files in a session's export folder and their bytes.
fn export_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| {
                    (entry.file_name().to_string_lossy().into_owned(), std::fs::read(entry.path()).unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A session closed on a nearly full disk: its close is journaled, but the exports do not
/// fit. No file stands where an export belongs unless it is whole (each is written to a
/// temporary file and renamed); once space is freed, the same process writes them all.
#[actix_web::test]
async fn exports_on_a_full_disk_are_whole_or_absent_and_written_when_space_returns() {
    if skipping("exports_on_a_full_disk_are_whole_or_absent_and_written_when_space_returns") {
        return;
    }
    let disk = Tmpfs::mount("8m");
    let server = ServerProcess::running(disk.path()).await;
    let agenda =
        json!([{"kind": "jamboard", "title": "Long notes", "frames": ["Notes"], "notes_per_participant": 100}]);
    let (session, board, mut host) = session_on_first_activity(&server, agenda, None).await;
    // Six phones, 40 notes each of 270 characters: exports of a few hundred KiB.
    let mut phones = Vec::new();
    for _ in 0..6 {
        phones.push(Client::participant(&server.ws_url(), &session.code, None).await.0);
    }
    for round in 0..40 {
        for (n, phone) in phones.iter_mut().enumerate() {
            let text = format!("{n}-{round} {}", "a long note about what gets in the way ".repeat(7));
            let text: String = text.chars().take(270).collect();
            phone.ok(json!({"type": "note_add", "activity": board, "frame": 0, "text": text, "color": "yellow"})).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Full, then 96 KiB freed: room for the close's commit, not for the exports.
    let ballast = disk.path().join("ballast");
    fill(&ballast);
    let size = std::fs::metadata(&ballast).expect("ballast").len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&ballast)
        .and_then(|f| f.set_len(size - 96 * 1024))
        .expect("free some");
    host.ok(json!({"type": "close_session"})).await;
    let exports = disk.path().join("exports").join(&session.code);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let during = export_files(&exports);
    eprintln!("during the fault: {:?}", during.iter().map(|(name, bytes)| (name, bytes.len())).collect::<Vec<_>>());

    std::fs::remove_file(&ballast).expect("remove the ballast");
    let json_name = format!("chorus-{}.json", session.code);
    let mut after = BTreeMap::new();
    for _ in 0..300 {
        after = export_files(&exports);
        if after.contains_key(&json_name) && after.len() >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(after.len() >= 4 && after.keys().all(|name| !name.contains("partial")), "{:?}", after.keys());
    let json: Value = serde_json::from_slice(&after[&json_name]).expect("a whole JSON export");
    assert_eq!(json["responses"].as_array().map(Vec::len), Some(240));
    assert!(during.len() < after.len(), "the exports fitted on the disk: the test did not test a full disk");
    for (name, bytes) in &during {
        assert!(
            after.get(name) == Some(bytes),
            "{name} ({} bytes) was not the whole export during the fault",
            bytes.len()
        );
    }
    drop(server);
}

#[actix_web::test]
async fn failing_fsyncs_refuse_answers_until_the_disk_recovers() {
    if skipping("failing_fsyncs_refuse_answers_until_the_disk_recovers") {
        return;
    }
    let disk = LoopExt4::mount("errors=continue,discard");
    let ballast = disk.backing.path().join("ballast");
    through_a_fault(
        "fsync errors",
        ServerProcess::start(disk.path()),
        Onset::Within,
        |_| {
            disk.trim();
            fill(&ballast);
        },
        |_| std::fs::remove_file(&ballast).expect("remove the ballast"),
    )
    .await;
}

/// Needs no mount: a file-size limit of 0 on the server process makes every write to a file
/// fail with EFBIG (and send SIGXFSZ, which must not end the server). Its log goes to a file
/// too, as with `chorus serve 2>>chorus.log`, so log lines fail as well.
#[actix_web::test]
async fn failing_writes_refuse_answers_until_they_work_again() {
    let data_dir = tempfile::tempdir().expect("data dir");
    let log = std::fs::File::create(data_dir.path().join("server.log")).expect("a log file");
    let limit = |server: &ServerProcess, fsize: &str| {
        if let Err(err) = run("prlimit", &["--pid", &server.id().to_string(), &format!("--fsize={fsize}")]) {
            panic!("cannot change the server's file-size limit: {err}");
        }
    };
    through_a_fault(
        "file-size limit",
        ServerProcess::start_logging(data_dir.path(), "warn", log),
        Onset::At,
        |server| limit(server, "0:unlimited"),
        |server| limit(server, "unlimited:unlimited"),
    )
    .await;
}

/// A file system that turns read-only under the server (ext4 does so on an error with
/// `errors=remount-ro`): answers are refused and the server stays up and readable. Linux keeps
/// such a file system read-only until it is unmounted, which the server's open database
/// prevents, so this fault clears only with a restart: after it, everything acknowledged is
/// there and nothing refused.
#[actix_web::test]
async fn a_file_system_turning_read_only_refuses_answers_and_the_server_stays_up() {
    if skipping("a_file_system_turning_read_only_refuses_answers_and_the_server_stays_up") {
        return;
    }
    let disk = LoopExt4::mount("errors=remount-ro");
    let fault = "read-only";
    let mut server = ServerProcess::running(disk.path()).await;
    let mut workshop = Workshop::start(fault, &server).await;
    workshop.answers_acked(2).await;

    disk.trigger_error();
    workshop.answers_refused(3).await;
    assert_eq!(health(&server).await, 503, "{fault}: /healthz while writes fail");
    workshop.check_export(&server).await;

    server.kill();
    disk.remount_fresh();
    let server = ServerProcess::running(disk.path()).await;
    workshop.reconnect(&server).await;
    workshop.resend().await;
    workshop.answers_acked(1).await;
    workshop.check_export(&server).await;
}

/// Starting on a read-only data directory (existing, or to be created) stops at once with a
/// message naming it, and a non-zero exit: no panic, no server that refuses every answer.
#[actix_web::test]
async fn starting_on_a_read_only_data_dir_fails_with_a_clear_message() {
    if skipping("starting_on_a_read_only_data_dir_fails_with_a_clear_message") {
        return;
    }
    let disk = Tmpfs::mount("4m");
    let existing = disk.path().join("data");
    std::fs::create_dir(&existing).expect("data dir");
    disk.remount("ro");
    for data_dir in [existing, disk.path().join("missing")] {
        let started = tokio::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
            .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
            .arg(&data_dir)
            .env("RUST_LOG", "warn")
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(Duration::from_secs(30), started)
            .await
            .expect("the server gives up within 30 s")
            .expect("the chorus binary runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "it started on a read-only {}: {stderr}", data_dir.display());
        assert!(stderr.contains(text(&data_dir)), "the message names {}: {stderr}", data_dir.display());
        assert!(!stderr.contains("panicked"), "no panic: {stderr}");
    }
}

/// The ballast helper really fills a file system (so the full-disk test tests a full disk).
#[test]
fn the_ballast_fills_the_disk() {
    if skipping("the_ballast_fills_the_disk") {
        return;
    }
    let disk = Tmpfs::mount("1m");
    let ballast: PathBuf = disk.path().join("ballast");
    fill(&ballast);
    assert!(std::fs::write(disk.path().join("more"), [0u8; 4096]).is_err(), "nothing fits any more");
}
