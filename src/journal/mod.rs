//! The journal: every accepted change, durably, in order.
//!
//! One writer task owns the only write connection to the SQLite file (WAL,
//! `synchronous=FULL`). Sessions hand it events through a channel; it takes whatever has
//! queued up, writes it in one transaction (group commit) and only then tells each sender
//! that its event is on disk. That is what lets a participant's `ack` mean "this survives
//! `kill -9`" while still committing tens of thousands of answers a second: a commit costs
//! an fsync, and one fsync covers a whole batch.
//!
//! Reads (loading sessions at start, looking up a closed one) go through a small pool of
//! read connections, which WAL lets run beside the writer.

mod event;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use event::Event;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::{debug, error, info, warn};

/// Most events written in one transaction.
const MAX_BATCH: usize = 2048;
/// Events waiting for the writer before senders have to wait.
const QUEUE: usize = 16 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot open the database at {path}: {source}")]
    Open { path: PathBuf, source: sqlx::Error },
    #[error("cannot create the data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("a stored event could not be read: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error("the journal writer has stopped")]
    Stopped,
}

/// A session's row: what is needed to find it and check keys without replaying it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    pub code: String,
    pub series: String,
    pub title: String,
    pub host_key_hash: String,
    pub present_key_hash: String,
    pub created_at: i64,
    pub closed_at: Option<i64>,
}

/// An event as read back, with its commit time.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub at: i64,
    pub event: Event,
    /// The fingerprint of the participant's request, for participants' changes.
    pub request: Option<u64>,
}

enum Write {
    Create {
        record: SessionRecord,
        events: Vec<Event>,
        done: oneshot::Sender<Result<(), String>>,
    },
    Append {
        session: String,
        at: i64,
        event: Event,
        /// The fingerprint of the participant's request, for participants' changes.
        request: Option<u64>,
        done: oneshot::Sender<Result<(), String>>,
    },
    /// Deletes a session and every event of it.
    Delete {
        session: String,
        done: oneshot::Sender<Result<(), String>>,
    },
}

/// Handle to the journal: cheap to clone, one writer behind it.
#[derive(Clone)]
pub struct Journal {
    writes: mpsc::Sender<Write>,
    reader: Reader,
}

/// Read access to the journal, for replay and exports. `chorus export` opens one on its own,
/// with no writer, so it works while the server is stopped (or running).
#[derive(Clone)]
pub struct Reader {
    reads: SqlitePool,
}

/// The writer task; await it after every [`Journal`] clone is dropped to know that all
/// accepted events are on disk.
pub struct JournalWriter(JoinHandle<()>);

impl JournalWriter {
    pub async fn finished(self) {
        if let Err(err) = self.0.await {
            error!(%err, "journal writer panicked");
        }
    }
}

/// Now, in milliseconds since the Unix epoch: the journal's clock.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl Journal {
    /// Opens (creating if needed) `<data_dir>/chorus.db`, migrates it and starts the writer.
    pub async fn open(data_dir: &Path) -> Result<(Self, JournalWriter), JournalError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| JournalError::DataDir { path: data_dir.to_owned(), source })?;
        let path = data_dir.join("chorus.db");
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(|source| JournalError::Open { path: path.clone(), source })?
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        // The writer is a pool of exactly one connection: one writer, in a form that sqlx's
        // migrator and transactions take without lifetime trouble across tasks.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(|source| JournalError::Open { path: path.clone(), source })?;
        sqlx::migrate!("./migrations").run(&writer).await?;
        let reads = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await
            .map_err(|source| JournalError::Open { path: path.clone(), source })?;
        let (writes, queue) = mpsc::channel(QUEUE);
        let task = tokio::spawn(write_loop(writer, queue));
        info!(path = %path.display(), "journal open");
        Ok((Self { writes, reader: Reader { reads } }, JournalWriter(task)))
    }

    /// Stores a new session with its first events; returns once they are committed.
    pub async fn create(&self, record: SessionRecord, events: Vec<Event>) -> Result<(), JournalError> {
        let (done, committed) = oneshot::channel();
        self.writes.send(Write::Create { record, events, done }).await.map_err(|_| JournalError::Stopped)?;
        committed
            .await
            .map_err(|_| JournalError::Stopped)?
            .map_err(|message| JournalError::Db(sqlx::Error::Protocol(message)))
    }

    /// Queues an event. The returned receiver resolves once the event is committed (`Ok`) or
    /// its batch failed (`Err` with the reason). Events of one caller are written in the
    /// order they were appended.
    pub async fn append(
        &self,
        session: &str,
        at: i64,
        event: Event,
        request: Option<u64>,
    ) -> Result<oneshot::Receiver<Result<(), String>>, JournalError> {
        let (done, committed) = oneshot::channel();
        self.writes
            .send(Write::Append { session: session.to_owned(), at, event, request, done })
            .await
            .map_err(|_| JournalError::Stopped)?;
        Ok(committed)
    }

    /// Deletes a session and all of its events; returns once that is committed.
    pub async fn delete(&self, session: &str) -> Result<(), JournalError> {
        let (done, committed) = oneshot::channel();
        self.writes
            .send(Write::Delete { session: session.to_owned(), done })
            .await
            .map_err(|_| JournalError::Stopped)?;
        committed
            .await
            .map_err(|_| JournalError::Stopped)?
            .map_err(|message| JournalError::Db(sqlx::Error::Protocol(message)))
    }

    pub fn reader(&self) -> &Reader {
        &self.reader
    }

    /// Whether the database answers: for `/healthz`.
    pub async fn healthy(&self) -> bool {
        !self.writes.is_closed() && sqlx::query("SELECT 1").execute(&self.reader.reads).await.is_ok()
    }
}

impl Reader {
    /// Opens an existing data directory's database for reading only.
    pub async fn open(data_dir: &Path) -> Result<Self, JournalError> {
        let path = data_dir.join("chorus.db");
        if !path.exists() {
            return Err(JournalError::Open { path, source: sqlx::Error::RowNotFound });
        }
        let options = SqliteConnectOptions::new().filename(&path).read_only(true).busy_timeout(Duration::from_secs(5));
        let reads = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .map_err(|source| JournalError::Open { path: path.clone(), source })?;
        Ok(Self { reads })
    }

    /// Closed sessions whose closing is older than `before` (ms since the Unix epoch).
    pub async fn closed_before(&self, before: i64) -> Result<Vec<String>, JournalError> {
        let rows = sqlx::query("SELECT code FROM sessions WHERE closed_at IS NOT NULL AND closed_at < ?")
            .bind(before)
            .fetch_all(&self.reads)
            .await?;
        Ok(rows.iter().map(|row| row.get("code")).collect())
    }

    /// Sessions that were not closed: the ones to bring back at start.
    pub async fn open_sessions(&self) -> Result<Vec<SessionRecord>, JournalError> {
        let rows = sqlx::query(
            "SELECT code, series, title, host_key_hash, present_key_hash, created_at, closed_at
             FROM sessions WHERE closed_at IS NULL ORDER BY created_at",
        )
        .fetch_all(&self.reads)
        .await?;
        Ok(rows.iter().map(record_from_row).collect())
    }

    pub async fn session(&self, code: &str) -> Result<Option<SessionRecord>, JournalError> {
        let row = sqlx::query(
            "SELECT code, series, title, host_key_hash, present_key_hash, created_at, closed_at
             FROM sessions WHERE code = ?",
        )
        .bind(code)
        .fetch_optional(&self.reads)
        .await?;
        Ok(row.as_ref().map(record_from_row))
    }

    /// Every session of a series, oldest first.
    pub async fn series(&self, series: &str) -> Result<Vec<SessionRecord>, JournalError> {
        let rows = sqlx::query(
            "SELECT code, series, title, host_key_hash, present_key_hash, created_at, closed_at
             FROM sessions WHERE series = ? ORDER BY created_at, code",
        )
        .bind(series)
        .fetch_all(&self.reads)
        .await?;
        Ok(rows.iter().map(record_from_row).collect())
    }

    /// A session's events in commit order.
    pub async fn events(&self, code: &str) -> Result<Vec<StoredEvent>, JournalError> {
        let rows = sqlx::query("SELECT at, event, request FROM events WHERE session = ? ORDER BY seq")
            .bind(code)
            .fetch_all(&self.reads)
            .await?;
        rows.iter()
            .map(|row| {
                let event: String = row.get("event");
                let request: Option<i64> = row.get("request");
                Ok(StoredEvent {
                    at: row.get("at"),
                    event: serde_json::from_str(&event)?,
                    request: request.map(|id| id as u64),
                })
            })
            .collect()
    }
}

fn record_from_row(row: &sqlx::sqlite::SqliteRow) -> SessionRecord {
    SessionRecord {
        code: row.get("code"),
        series: row.get("series"),
        title: row.get("title"),
        host_key_hash: row.get("host_key_hash"),
        present_key_hash: row.get("present_key_hash"),
        created_at: row.get("created_at"),
        closed_at: row.get("closed_at"),
    }
}

/// The writer: batches whatever is queued into one transaction, then answers every sender.
async fn write_loop(db: SqlitePool, mut queue: mpsc::Receiver<Write>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let started = Instant::now();
        let result = write_batch(&db, &batch).await;
        let size = batch.len();
        let elapsed = started.elapsed();
        metrics::histogram!(crate::metrics::JOURNAL_BATCH).record(size as f64);
        metrics::histogram!(crate::metrics::JOURNAL_COMMIT).record(elapsed.as_secs_f64());
        match &result {
            Ok(()) => debug!(size, elapsed_us = elapsed.as_micros() as u64, "journal batch committed"),
            Err(err) => {
                metrics::counter!(crate::metrics::JOURNAL_FAILURES).increment(1);
                warn!(size, %err, "journal batch failed; nothing in it was kept");
            }
        }
        let outcome = result.map_err(|err| err.to_string());
        for write in batch.drain(..) {
            let done = match write {
                Write::Create { done, .. } | Write::Append { done, .. } | Write::Delete { done, .. } => done,
            };
            // A sender that gave up waiting is no loss: the event is written either way.
            let _ = done.send(outcome.clone());
        }
    }
    db.close().await;
    info!("journal writer stopped");
}

async fn write_batch(db: &SqlitePool, batch: &[Write]) -> Result<(), JournalError> {
    let mut tx = db.begin().await?;
    for write in batch {
        match write {
            Write::Create { record, events, .. } => {
                sqlx::query(
                    "INSERT INTO sessions (code, series, title, host_key_hash, present_key_hash, created_at, closed_at)
                     VALUES (?, ?, ?, ?, ?, ?, NULL)",
                )
                .bind(&record.code)
                .bind(&record.series)
                .bind(&record.title)
                .bind(&record.host_key_hash)
                .bind(&record.present_key_hash)
                .bind(record.created_at)
                .execute(&mut *tx)
                .await?;
                for event in events {
                    insert_event(&mut tx, &record.code, record.created_at, event, None).await?;
                }
            }
            Write::Delete { session, .. } => {
                sqlx::query("DELETE FROM sessions WHERE code = ?").bind(session).execute(&mut *tx).await?;
            }
            Write::Append { session, at, event, request, .. } => {
                insert_event(&mut tx, session, *at, event, *request).await?;
                if matches!(event, Event::Closed) {
                    sqlx::query("UPDATE sessions SET closed_at = ? WHERE code = ?")
                        .bind(at)
                        .bind(session)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn insert_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    session: &str,
    at: i64,
    event: &Event,
    request: Option<u64>,
) -> Result<(), JournalError> {
    // A session deleted while its last events were in flight takes them with it, rather than
    // failing the batch (and everyone else's events in it) on the foreign key.
    sqlx::query(
        "INSERT INTO events (session, at, event, request)
         SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM sessions WHERE code = ?)",
    )
    .bind(session)
    .bind(at)
    .bind(serde_json::to_string(event)?)
    .bind(request.map(|id| id as i64))
    .bind(session)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
