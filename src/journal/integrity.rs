//! Damaged storage is found at start, not after it has cost answers.
//!
//! SQLite keeps recent commits in the write-ahead log (`chorus.db-wal`) until a checkpoint
//! copies them into `chorus.db`. A frame of the log whose checksum does not match (flipped
//! bytes, a torn write) ends the log for SQLite: that commit and every later one are
//! silently left out, and the next write overwrites them. A `chorus.db` emptied or lost
//! beside its log opens as a new, empty database. Neither is an error to SQLite.
//!
//! So the writer keeps a **high-water mark** beside the database (`chorus.db.hwm`): the
//! sequence number of the last event committed, rewritten and fsynced after each commit.
//! At start, before anything opens the database for writing, [`check`] opens it read-only
//! and compares: the journal must reach the mark (it may be past it: a crash between a
//! commit and the mark's write leaves the mark behind, which is safe). `PRAGMA quick_check`
//! must say `ok`. On any mismatch Chorus refuses to start with a plain message and has
//! changed no file: a read-only connection neither checkpoints nor truncates the log.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Row};

use super::JournalError;

/// The high-water mark's file, beside the database.
pub const MARK_FILE: &str = "chorus.db.hwm";
/// The database's file name in the data directory.
pub const DB_FILE: &str = "chorus.db";

/// What a check found in a journal that is whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    pub sessions: i64,
    pub events: i64,
    /// The sequence number of the last event ever committed.
    pub last_seq: i64,
    /// The high-water mark on record, if there is one.
    pub mark: Option<i64>,
}

fn damaged(dir: &Path, problem: impl Into<String>) -> JournalError {
    JournalError::Damaged { dir: dir.to_owned(), problem: problem.into() }
}

/// Reads the high-water mark in `dir`, if there is one.
pub fn read_mark(dir: &Path) -> Result<Option<i64>, JournalError> {
    let path = dir.join(MARK_FILE);
    let mut text = String::new();
    match std::fs::File::open(&path) {
        Ok(mut file) => {
            file.read_to_string(&mut text).map_err(|source| JournalError::Mark { path: path.clone(), source })?;
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(JournalError::Mark { path, source }),
    }
    text.trim()
        .parse::<i64>()
        .map(Some)
        .map_err(|_| damaged(dir, format!("{MARK_FILE} does not hold a number ({:?})", text.trim())))
}

/// Checks the journal in `dir` without changing any file: `Ok(None)` when there is no
/// journal yet (and no sign there was one). `thorough` runs `PRAGMA integrity_check`
/// rather than `quick_check` (`chorus check`).
pub async fn check(dir: &Path, thorough: bool) -> Result<Option<Findings>, JournalError> {
    let db = dir.join(DB_FILE);
    let wal = dir.join(format!("{DB_FILE}-wal"));
    let mark = read_mark(dir)?;
    let size = |path: &PathBuf| std::fs::metadata(path).map(|meta| meta.len()).ok();
    let (db_size, wal_size) = (size(&db), size(&wal));
    if db_size.unwrap_or(0) == 0 {
        if let Some(mark) = mark.filter(|mark| *mark > 0) {
            return Err(damaged(
                dir,
                format!(
                    "{DB_FILE} is {} but the journal had reached event {mark} ({MARK_FILE})",
                    if db_size.is_some() { "empty" } else { "missing" }
                ),
            ));
        }
        if let Some(wal_size) = wal_size.filter(|size| *size > 0) {
            return Err(damaged(
                dir,
                format!(
                    "{DB_FILE} is {} but its write-ahead log {DB_FILE}-wal holds {wal_size} bytes",
                    if db_size.is_some() { "empty" } else { "missing" }
                ),
            ));
        }
        if db_size.is_none() {
            return Ok(None);
        }
    }
    let options = SqliteConnectOptions::new().filename(&db).read_only(true).busy_timeout(Duration::from_secs(5));
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(|source| JournalError::Open { path: db.clone(), source })?;
    let result = inspect(&mut conn, dir, thorough, mark).await;
    let _ = conn.close().await;
    let findings = result?;
    if let Some(mark) = mark
        && findings.last_seq < mark
    {
        return Err(damaged(
            dir,
            format!(
                "the journal ends at event {} but had reached event {mark} ({MARK_FILE}): {} committed events are missing \
                 (a damaged or lost {DB_FILE}-wal, or an older copy of {DB_FILE})",
                findings.last_seq,
                mark - findings.last_seq
            ),
        ));
    }
    Ok(Some(findings))
}

pub(crate) async fn inspect(
    conn: &mut SqliteConnection,
    dir: &Path,
    thorough: bool,
    mark: Option<i64>,
) -> Result<Findings, JournalError> {
    let pragma = if thorough { "PRAGMA integrity_check" } else { "PRAGMA quick_check" };
    let verdict: Vec<String> = sqlx::query_scalar(pragma)
        .fetch_all(&mut *conn)
        .await
        .map_err(|err| damaged(dir, format!("SQLite cannot read {DB_FILE}: {err}")))?;
    if verdict != ["ok"] {
        let shown: Vec<&str> = verdict.iter().take(5).map(String::as_str).collect();
        return Err(damaged(dir, format!("SQLite's {pragma} reports: {}", shown.join("; "))));
    }
    let tables: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
        .fetch_all(&mut *conn)
        .await
        .map_err(|err| damaged(dir, format!("SQLite cannot read {DB_FILE}: {err}")))?;
    let has = |name: &str| tables.iter().any(|table| table == name);
    if !has("sessions") || !has("events") {
        return Ok(Findings { mark, ..Findings::default() });
    }
    let counts = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM sessions) AS sessions, (SELECT COUNT(*) FROM events) AS events,
                COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) AS last_seq",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|err| damaged(dir, format!("SQLite cannot read {DB_FILE}: {err}")))?;
    Ok(Findings {
        sessions: counts.get("sessions"),
        events: counts.get("events"),
        last_seq: counts.get("last_seq"),
        mark,
    })
}

/// The high-water mark's file, open for rewriting after each commit.
pub struct HighWater {
    path: PathBuf,
    file: std::fs::File,
    last: i64,
}

impl HighWater {
    /// Opens (creating) the mark in `dir` and records `seq`, the journal's last event now.
    pub fn open(dir: &Path, seq: i64) -> Result<Self, JournalError> {
        let path = dir.join(MARK_FILE);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|source| JournalError::Mark { path: path.clone(), source })?;
        let mut mark = Self { path, file, last: -1 };
        mark.record(seq).map_err(|source| JournalError::Mark { path: mark.path.clone(), source })?;
        Ok(mark)
    }

    /// Records that the journal reached event `seq`: one small write in place and an fsync.
    /// Fixed width, so the file never has to grow or shrink.
    pub fn record(&mut self, seq: i64) -> std::io::Result<()> {
        if seq == self.last {
            return Ok(());
        }
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(format!("{seq:020}\n").as_bytes())?;
        if self.last < 0 {
            self.file.set_len(21)?;
        }
        self.file.sync_data()?;
        self.last = seq;
        Ok(())
    }
}
