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
//!
//! Storage faults (a full disk, a read-only or failing file system) fail a batch and so answer
//! each of its senders with an error; nothing of it is applied. The writer then drops its
//! connection (after an I/O error SQLite and sqlx may both hold a half-finished transaction),
//! opens a fresh one for the next batch, and meanwhile reports itself unhealthy, trying a
//! small write every second until one commits again.
//!
//! The journal lives in SQLite by default, or in PostgreSQL with `--database-url` (see
//! [`postgres`]). Both run the same code: the same batches, the same reports per batch, the
//! same statements where the two databases agree (`$1` parameters, which SQLite reads too),
//! the same event JSON; each has its own migrations (`migrations/`, `migrations/postgres/`).
//! What differs is confined to a few functions: SQLite's file checks and high-water mark,
//! PostgreSQL's lease epochs (fencing, see [`crate::cluster`]).

pub mod backup;
mod event;
pub mod integrity;
pub mod postgres;

use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use event::Event;
use sqlx::postgres::PgPool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{
    AssertSqlSafe, Connection, Database, Encode, Executor, IntoArguments, QueryBuilder, Row, Sqlite, SqlitePool, Type,
};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::{debug, error, info, warn};

/// Most events written in one transaction.
const MAX_BATCH: usize = 2048;
/// Events waiting for the writer before senders have to wait.
const QUEUE: usize = 16 * 1024;
/// How often a writer whose last write failed tries a write of its own, so that health comes
/// back when the fault clears even if nobody is answering.
const RETRY: Duration = Duration::from_secs(1);
/// Bound parameters SQLite takes in one statement (`SQLITE_MAX_VARIABLE_NUMBER` since 3.32).
const MAX_PARAMETERS: usize = 32_766;
/// Most event rows in one `INSERT` (each binds session, time, event and request: 4,096
/// parameters, well under [`MAX_PARAMETERS`]); a power of two, see [`insert_events`].
const ROWS_PER_INSERT: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot open the database at {path}: {source}")]
    Open { path: PathBuf, source: sqlx::Error },
    #[error("cannot create the data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("the data directory {path} is not writable: {source}")]
    NotWritable { path: PathBuf, source: std::io::Error },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("a stored event could not be read: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error("the journal writer has stopped")]
    Stopped,
    #[error(
        "the journal in {dir} looks damaged: {problem}. Chorus has not started and has changed no file. \
         Run `chorus check`, and see \"Restoring from a backup\" in docs/reliability.md"
    )]
    Damaged { dir: PathBuf, problem: String },
    #[error("cannot keep the high-water mark {path}: {source}")]
    Mark { path: PathBuf, source: std::io::Error },
    #[error(
        "session {session} is owned by another running Chorus node ({owner}), which keeps renewing its lease. \
         Several nodes on one database are not supported yet: stop the other server first"
    )]
    Owned { session: String, owner: String },
    #[error("cannot use PostgreSQL at {url}: {source}")]
    Postgres { url: String, source: sqlx::Error },
    #[error(
        "--database-url is set, but {path} holds a SQLite journal: Chorus will not keep two journals. \
         Copy it with `chorus migrate --from {path} --to <url>`, then move the file out of the data directory"
    )]
    TwoJournals { path: PathBuf },
}

/// A session's row: what is needed to find it and check keys without replaying it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
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
        session: Arc<str>,
        at: i64,
        event: Event,
        /// The fingerprint of the participant's request, for participants' changes.
        request: Option<u64>,
        settled: Settlements,
    },
    /// Deletes a session and every event of it.
    Delete {
        session: String,
        done: oneshot::Sender<Result<(), String>>,
    },
}

/// How a batch went for one sender's events: the next `events` it appended were committed
/// (`saved`) or not. Sent once per batch per sender rather than once per event, in order, so
/// that a session settles a batch's answers with one wake-up and no allocation per answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    pub events: usize,
    pub saved: bool,
}

/// Where a sender of appends hears their fate; the receiving end is its own.
pub type Settlements = mpsc::UnboundedSender<Settled>;

/// Handle to the journal: cheap to clone, one writer behind it.
#[derive(Clone)]
pub struct Journal {
    writes: mpsc::Sender<Write>,
    reader: Reader,
    /// Set while the writer's last attempt to write failed.
    failing: Arc<AtomicBool>,
    /// This node's leases, when the journal is in PostgreSQL.
    fence: Option<Arc<postgres::Fence>>,
}

/// Read access to the journal, for replay and exports. `chorus export` opens one on its own,
/// with no writer, so it works while the server is stopped (or running).
#[derive(Clone)]
pub struct Reader {
    reads: Pool,
}

/// The read connections, to whichever database holds the journal.
#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool: one text, compiled for each database
/// (the statements use `$1` parameters, which SQLite takes as well).
macro_rules! on_pool {
    ($reads:expr, $pool:ident => $body:expr) => {
        match $reads {
            Pool::Sqlite($pool) => $body,
            Pool::Postgres($pool) => $body,
        }
    };
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
        // Before anything opens the database for writing (and could overwrite what a
        // damaged log still holds).
        integrity::check(data_dir, false).await?;
        check_writable(data_dir)?;
        survive_file_size_limit();
        let path = data_dir.join("chorus.db");
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(|source| JournalError::Open { path: path.clone(), source })?
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        // The migrator takes a pool without lifetime trouble across tasks (it does not take a
        // `&mut` connection in a spawned future): one for migrating, closed before the writer.
        let migrating = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(|source| JournalError::Open { path: path.clone(), source })?;
        sqlx::migrate!("./migrations").run(&migrating).await?;
        migrating.close().await;
        // One connection, owned by the writer task: the only writer, which it can drop and
        // open again after a storage fault.
        let mut writer = SqliteConnection::connect_with(&options)
            .await
            .map_err(|source| JournalError::Open { path: path.clone(), source })?;
        let mark = integrity::HighWater::open(data_dir, last_seq(&mut writer).await?)?;
        let reads = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone().read_only(true))
            .await
            .map_err(|source| JournalError::Open { path: path.clone(), source })?;
        let (writes, queue) = mpsc::channel(QUEUE);
        let failing = Arc::new(AtomicBool::new(false));
        let store = Store::Sqlite { options, db: Some(writer), mark: Some(mark) };
        let task = tokio::spawn(Writer { store, failing: failing.clone() }.run(queue));
        info!(path = %path.display(), "journal open");
        Ok((Self { writes, reader: Reader { reads: Pool::Sqlite(reads) }, failing, fence: None }, JournalWriter(task)))
    }

    /// Opens the journal where the settings put it: in PostgreSQL with `--database-url`,
    /// else in `<data_dir>/chorus.db`.
    pub async fn open_with(
        data_dir: &Path,
        postgres: Option<&postgres::Options>,
    ) -> Result<(Self, JournalWriter), JournalError> {
        let Some(options) = postgres else { return Self::open(data_dir).await };
        let (store, reads) = postgres::Store::open(data_dir, options).await?;
        let fence = Some(store.fence.clone());
        let (writes, queue) = mpsc::channel(QUEUE);
        let failing = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(Writer { store: Store::Postgres(store), failing: failing.clone() }.run(queue));
        info!(database = %postgres::redacted(&options.url), "journal open in PostgreSQL");
        let reader = Reader { reads: Pool::Postgres(reads) };
        Ok((Self { writes, reader, failing, fence }, JournalWriter(task)))
    }

    /// Takes the lease of a session for this node (PostgreSQL), before its events are read
    /// for a replay: a session is written only by the node that replayed it under its lease.
    /// `Ok(None)` when the journal is in SQLite (one process, nothing to share).
    pub async fn claim(&self, session: &str) -> Result<Option<crate::cluster::lease::Claim>, JournalError> {
        match (&self.fence, &self.reader.reads) {
            (Some(fence), Pool::Postgres(pool)) => Ok(Some(fence.claim(pool, session).await?)),
            _ => Ok(None),
        }
    }

    /// This node's id (the owner name on its leases) and the leases' length, in PostgreSQL.
    pub fn node(&self) -> Option<(String, std::time::Duration)> {
        self.fence.as_ref().map(|fence| (fence.node.clone(), fence.ttl))
    }

    /// Sessions whose lease this node loses from now on (another node took it over): their
    /// appends are refused as not saved, and their state here is stale. `None` in SQLite.
    pub fn lost(&self) -> Option<tokio::sync::broadcast::Receiver<String>> {
        self.fence.as_ref().map(|fence| fence.subscribe())
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

    /// Queues an event. Once its batch is committed or failed, `settled` hears [`Settled`]
    /// for it, together with the sender's other events of that batch. Events sent with one
    /// `settled` are written, and reported, in the order they were appended.
    pub async fn append(
        &self,
        session: &Arc<str>,
        at: i64,
        event: Event,
        request: Option<u64>,
        settled: &Settlements,
    ) -> Result<(), JournalError> {
        self.writes
            .send(Write::Append { session: session.clone(), at, event, request, settled: settled.clone() })
            .await
            .map_err(|_| JournalError::Stopped)
    }

    /// Resolves when the writer has stopped (it panicked, or every handle is gone): events
    /// queued but not reported settled will never be.
    pub async fn stopped(&self) {
        self.writes.closed().await;
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

    /// Whether the database answers and takes writes: for `/healthz`.
    pub async fn healthy(&self) -> bool {
        !self.writes.is_closed() && !self.failing.load(Ordering::Relaxed) && self.reader.answers().await
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
        Ok(Self { reads: Pool::Sqlite(reads) })
    }

    /// Reads the journal in PostgreSQL at `url` (for `chorus export` and the operator's
    /// commands with `--database-url`).
    pub async fn connect(url: &str) -> Result<Self, JournalError> {
        Ok(Self { reads: Pool::Postgres(postgres::pool(url, 2).await?) })
    }

    /// Opens the journal where it is: in PostgreSQL when `database_url` is given, else in
    /// the data directory.
    pub async fn open_at(data_dir: &Path, database_url: Option<&str>) -> Result<Self, JournalError> {
        match database_url {
            Some(url) => Self::connect(url).await,
            None => Self::open(data_dir).await,
        }
    }

    /// Closed sessions whose closing is older than `before` (ms since the Unix epoch).
    pub async fn closed_before(&self, before: i64) -> Result<Vec<String>, JournalError> {
        const SQL: &str = "SELECT code FROM sessions WHERE closed_at IS NOT NULL AND closed_at < $1";
        Ok(on_pool!(&self.reads, pool => sqlx::query_scalar(SQL).bind(before).fetch_all(pool).await?))
    }

    /// Bytes of participants' changes a session has stored (their JSON), for its cap.
    pub async fn stored_bytes(&self, code: &str) -> Result<u64, JournalError> {
        const SQL: &str = "SELECT SUM(LENGTH(event)) FROM events WHERE session = $1 AND request IS NOT NULL";
        let bytes: Option<i64> =
            on_pool!(&self.reads, pool => sqlx::query_scalar(SQL).bind(code).fetch_one(pool).await?);
        Ok(bytes.unwrap_or(0).max(0) as u64)
    }

    /// Whether the lease on session `code` has run out, on the database's clock: `None` when
    /// it has no lease (or the journal is SQLite, which has none).
    pub async fn lease_expired(&self, code: &str) -> Result<Option<bool>, JournalError> {
        match &self.reads {
            Pool::Postgres(pool) => Ok(sqlx::query_scalar("SELECT expires_at < now() FROM leases WHERE session = $1")
                .bind(code)
                .fetch_optional(pool)
                .await?),
            Pool::Sqlite(_) => Ok(None),
        }
    }

    /// Open sessions created before `before` (ms since the Unix epoch) whose last event is
    /// older too: nothing happened in them since.
    pub async fn idle_since(&self, before: i64) -> Result<Vec<String>, JournalError> {
        const SQL: &str = "SELECT code FROM sessions s WHERE closed_at IS NULL AND created_at < $1
             AND COALESCE((SELECT at FROM events e WHERE e.session = s.code ORDER BY seq DESC LIMIT 1), 0) < $1";
        Ok(on_pool!(&self.reads, pool => sqlx::query_scalar(SQL).bind(before).fetch_all(pool).await?))
    }

    /// Sessions that were not closed: the ones to bring back at start.
    pub async fn open_sessions(&self) -> Result<Vec<SessionRecord>, JournalError> {
        self.records("WHERE closed_at IS NULL ORDER BY created_at", None).await
    }

    pub async fn session(&self, code: &str) -> Result<Option<SessionRecord>, JournalError> {
        Ok(self.records("WHERE code = $1", Some(code)).await?.pop())
    }

    /// Every session, oldest first.
    pub async fn all_sessions(&self) -> Result<Vec<SessionRecord>, JournalError> {
        self.records("ORDER BY created_at, code", None).await
    }

    /// Every session of a series, oldest first.
    pub async fn series(&self, series: &str) -> Result<Vec<SessionRecord>, JournalError> {
        self.records("WHERE series = $1 ORDER BY created_at, code", Some(series)).await
    }

    /// Session rows chosen by `filter` (a fixed clause, with at most one parameter).
    async fn records(&self, filter: &'static str, parameter: Option<&str>) -> Result<Vec<SessionRecord>, JournalError> {
        let sql = format!(
            "SELECT code, series, title, host_key_hash, present_key_hash, created_at, closed_at FROM sessions {filter}"
        );
        // The text is one of a few fixed clauses, never input.
        let sql = AssertSqlSafe(sql);
        Ok(on_pool!(&self.reads, pool => {
            let query = sqlx::query_as::<_, SessionRecord>(sql);
            match parameter {
                Some(value) => query.bind(value),
                None => query,
            }
            .fetch_all(pool)
            .await?
        }))
    }

    /// A session's events in commit order.
    pub async fn events(&self, code: &str) -> Result<Vec<StoredEvent>, JournalError> {
        const SQL: &str = "SELECT at, event, request FROM events WHERE session = $1 ORDER BY seq";
        let rows: Vec<(i64, String, Option<i64>)> =
            on_pool!(&self.reads, pool => sqlx::query_as(SQL).bind(code).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(at, event, request)| {
                Ok(StoredEvent { at, event: serde_json::from_str(&event)?, request: request.map(|id| id as u64) })
            })
            .collect()
    }

    /// Whether the database answers.
    async fn answers(&self) -> bool {
        on_pool!(&self.reads, pool => sqlx::query("SELECT 1").execute(pool).await.is_ok())
    }
}

/// Replaces a session's key hashes in `<data_dir>/chorus.db`, from any process: a running
/// server reads them at every console, projector and host request, so the old keys stop
/// working at once. Returns whether the session exists. SQLite's locking (WAL, a busy
/// timeout) keeps this one-row write from disturbing the server's writer.
pub async fn replace_keys(
    data_dir: &Path,
    code: &str,
    host_key_hash: &str,
    present_key_hash: &str,
) -> Result<bool, JournalError> {
    let path = data_dir.join("chorus.db");
    if !path.exists() {
        return Err(JournalError::Open { path, source: sqlx::Error::RowNotFound });
    }
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10));
    let mut db =
        SqliteConnection::connect_with(&options).await.map_err(|source| JournalError::Open { path, source })?;
    let done = sqlx::query("UPDATE sessions SET host_key_hash = ?, present_key_hash = ? WHERE code = ?")
        .bind(host_key_hash)
        .bind(present_key_hash)
        .bind(code)
        .execute(&mut db)
        .await?;
    db.close().await?;
    Ok(done.rows_affected() == 1)
}

/// Fails at start, naming the directory, when the data directory does not take writes. SQLite
/// would open a database on a read-only file system read-only without a word and refuse
/// every write later, one request at a time.
fn check_writable(dir: &Path) -> Result<(), JournalError> {
    let probe = dir.join(".chorus-write-check");
    let written = std::fs::File::create(&probe).and_then(|mut file| {
        file.write_all(b"chorus")?;
        file.sync_all()
    });
    let _ = std::fs::remove_file(&probe);
    written.map_err(|source| JournalError::NotWritable { path: dir.to_owned(), source })
}

/// Keeps the process alive past a file-size limit (`RLIMIT_FSIZE`, as `ulimit -f` or
/// `prlimit --fsize` set it). The kernel's default for SIGXFSZ is to end the process; with a
/// handler installed, a write past the limit only fails (EFBIG), which is a storage fault
/// like any other: the batch is refused as not saved and the server carries on. `unsafe` is
/// forbidden here, so the handler is tokio's, which stays installed for the life of the
/// process once registered; the task only logs.
fn survive_file_size_limit() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::from_raw(libc::SIGXFSZ)) {
            Ok(mut signals) => {
                tokio::spawn(async move {
                    while signals.recv().await.is_some() {
                        warn!("a write went past the file-size limit (SIGXFSZ); it failed and was not saved");
                    }
                });
            }
            Err(err) => warn!(%err, "cannot catch SIGXFSZ: a file-size limit would end the server"),
        }
    }
}

/// The writer task's side: the connection, and whether writing works.
struct Writer {
    store: Store,
    failing: Arc<AtomicBool>,
}

/// The write side of whichever database holds the journal.
enum Store {
    Sqlite {
        options: SqliteConnectOptions,
        /// `None` after a failure: the next attempt opens a fresh connection.
        db: Option<SqliteConnection>,
        /// The high-water mark, rewritten after each commit that added events.
        mark: Option<integrity::HighWater>,
    },
    Postgres(postgres::Store),
}

/// What the writer attempts in one transaction.
#[derive(Clone, Copy)]
enum Job<'a> {
    Batch(&'a [Write]),
    /// A write of nothing, to learn whether storage takes writes again.
    Probe,
}

/// What a committed transaction did.
#[derive(Debug, Default)]
struct Committed {
    /// The sequence number of the last event it added (SQLite, for the high-water mark).
    reached: Option<i64>,
    /// Sessions whose appends in it were refused and left out: this node no longer holds
    /// their lease (PostgreSQL; see [`crate::cluster`]). Their senders hear "not saved".
    refused: HashSet<String>,
}

impl Writer {
    /// Batches whatever is queued into one transaction, then answers every sender.
    async fn run(mut self, mut queue: mpsc::Receiver<Write>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        loop {
            let received = if self.failing.load(Ordering::Relaxed) {
                match tokio::time::timeout(RETRY, queue.recv_many(&mut batch, MAX_BATCH)).await {
                    Ok(received) => received,
                    Err(_) => {
                        let _ = self.attempt(Job::Probe).await;
                        continue;
                    }
                }
            } else if let Store::Postgres(store) = &mut self.store {
                match tokio::time::timeout(store.renewal_due(), queue.recv_many(&mut batch, MAX_BATCH)).await {
                    Ok(received) => received,
                    Err(_) => {
                        store.renew().await;
                        continue;
                    }
                }
            } else {
                queue.recv_many(&mut batch, MAX_BATCH).await
            };
            if received == 0 {
                break;
            }
            let started = Instant::now();
            let result = self.attempt(Job::Batch(&batch)).await;
            let size = batch.len();
            let elapsed = started.elapsed();
            metrics::histogram!(crate::metrics::JOURNAL_BATCH).record(size as f64);
            metrics::histogram!(crate::metrics::JOURNAL_COMMIT).record(elapsed.as_secs_f64());
            match &result {
                Ok(_) => debug!(size, elapsed_us = elapsed.as_micros() as u64, "journal batch committed"),
                Err(err) => {
                    metrics::counter!(crate::metrics::JOURNAL_FAILURES).increment(1);
                    warn!(size, %err, "journal batch failed; nothing in it was kept");
                }
            }
            let refused = result.as_ref().map(|committed| &committed.refused);
            let outcome = result.as_ref().map(|_| ()).map_err(|err| err.to_string());
            // Consecutive appends of one sender are reported in one message. A sender that
            // gave up waiting is no loss: the outcome is the same either way.
            let mut run: Option<(Settlements, usize, bool)> = None;
            for write in batch.drain(..) {
                match write {
                    Write::Create { done, .. } | Write::Delete { done, .. } => {
                        let _ = done.send(outcome.clone());
                    }
                    Write::Append { settled, session, .. } => {
                        let saved = refused.is_ok_and(|refused| !refused.contains(&*session));
                        match &mut run {
                            Some((to, events, same)) if *same == saved && to.same_channel(&settled) => *events += 1,
                            _ => {
                                if let Some((to, events, saved)) = run.replace((settled, 1, saved)) {
                                    let _ = to.send(Settled { events, saved });
                                }
                            }
                        }
                    }
                }
            }
            if let Some((to, events, saved)) = run {
                let _ = to.send(Settled { events, saved });
            }
            // Between batches, on the writer's own connection (never beside a batch, so the
            // two never wait on each other's locks).
            if let Store::Postgres(store) = &mut self.store
                && store.renewal_due().is_zero()
            {
                store.renew().await;
            }
            // After the answers: the mark may lag a commit (safe: the check at start wants the
            // journal to reach the mark, not to match it), never run ahead of one.
            if let (Ok(Committed { reached: Some(seq), .. }), Store::Sqlite { mark: Some(mark), .. }) =
                (&result, &mut self.store)
                && let Err(err) = mark.record(*seq)
            {
                error!(%err, "the high-water mark could not be written; damage to the journal may go unnoticed");
            }
        }
        match &mut self.store {
            Store::Sqlite { db, .. } => {
                if let Some(db) = db.take() {
                    let _ = db.close().await;
                }
            }
            Store::Postgres(store) => store.close().await,
        }
        info!("journal writer stopped");
    }

    /// Runs a job in one transaction on the connection, opening one if there is none.
    async fn attempt(&mut self, job: Job<'_>) -> Result<Committed, JournalError> {
        let result = match &mut self.store {
            Store::Sqlite { options, db, .. } => {
                let options = &*options;
                on_connection(db, options, async |db: &mut SqliteConnection| match job {
                    Job::Batch(batch) => write_batch(db, batch).await,
                    Job::Probe => probe_write(db).await.map(|()| Committed::default()),
                })
                .await
            }
            Store::Postgres(store) => store.attempt(job).await,
        };
        let was_failing = self.failing.swap(result.is_err(), Ordering::Relaxed);
        match (&result, was_failing) {
            (Ok(_), true) => info!("the journal takes writes again"),
            (Err(err), false) => error!(%err, "the journal cannot write; answers are refused as not saved"),
            (Err(err), true) => debug!(%err, "the journal still cannot write"),
            (Ok(_), false) => {}
        }
        result
    }
}

/// Runs `job` on the connection in `slot`, opening one if there is none. A connection that
/// failed is closed, not reused: after an I/O error during COMMIT, SQLite may have rolled the
/// transaction back while sqlx still counts it open (and would nest the next one in a
/// savepoint), or the pager may still be in its error state; a PostgreSQL connection may be
/// cut.
async fn on_connection<C: Connection, T>(
    slot: &mut Option<C>,
    options: &C::Options,
    job: impl AsyncFnOnce(&mut C) -> Result<T, JournalError>,
) -> Result<T, JournalError> {
    let mut db = match slot.take() {
        Some(db) => db,
        None => C::connect_with(options).await?,
    };
    let result = job(&mut db).await;
    if result.is_ok() {
        *slot = Some(db);
    } else if let Err(err) = db.close().await {
        debug!(%err, "closing the failed connection failed too");
    }
    result
}

/// Commits a rewrite of the database header (its user version, unchanged): a real write and
/// fsync that changes nothing.
async fn probe_write(db: &mut SqliteConnection) -> Result<(), JournalError> {
    let mut tx = db.begin().await?;
    let version: i64 = sqlx::query_scalar("PRAGMA user_version").fetch_one(&mut *tx).await?;
    // An integer the database just gave: nothing to escape.
    sqlx::query(AssertSqlSafe(format!("PRAGMA user_version = {version}"))).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// An event row on its way into the `events` table.
struct EventRow<'a> {
    session: &'a str,
    at: i64,
    event: String,
    request: Option<i64>,
    /// The epoch of the lease this node holds on the session (PostgreSQL only).
    epoch: Option<i64>,
}

impl<'a> EventRow<'a> {
    fn new(session: &'a str, at: i64, event: &Event, request: Option<u64>) -> Result<Self, JournalError> {
        Ok(Self {
            session,
            at,
            event: serde_json::to_string(event)?,
            request: request.map(|id| id as i64),
            epoch: None,
        })
    }
}

/// A change to a session's row, in the order the batch asks for it.
enum Step<'a> {
    Create(&'a SessionRecord),
    /// Deletes a session and every event of it.
    Delete(&'a str),
    Close {
        session: &'a str,
        at: i64,
    },
}

/// What one batch writes: its session changes in queue order, then its event rows in queue
/// order (so `seq` follows the queue).
struct Plan<'a> {
    steps: Vec<Step<'a>>,
    rows: Vec<EventRow<'a>>,
    /// The sessions it creates (and does not delete again).
    created: Vec<&'a str>,
}

impl<'a> Plan<'a> {
    /// Plans a batch. `live`: the sessions its appends name that exist before it. An event
    /// for a session that does not (deleted while its last events were in flight) is dropped
    /// rather than failing the batch (and everyone else's events in it) on the foreign key,
    /// and never brings the session back. Appends to a session in `refused` are left out.
    fn new(batch: &'a [Write], mut live: HashSet<String>, refused: &HashSet<String>) -> Result<Self, JournalError> {
        let mut steps = Vec::new();
        let mut rows = Vec::with_capacity(batch.len());
        for write in batch {
            match write {
                Write::Create { record, events, .. } => {
                    steps.push(Step::Create(record));
                    live.insert(record.code.clone());
                    for event in events {
                        rows.push(EventRow::new(&record.code, record.created_at, event, None)?);
                    }
                }
                Write::Delete { session, .. } => {
                    // Its events earlier in the batch go with it, as the cascade takes stored ones.
                    rows.retain(|row: &EventRow| row.session != session);
                    steps.push(Step::Delete(session));
                    live.remove(session);
                }
                Write::Append { session, at, event, request, .. } => {
                    if !live.contains(&**session) || refused.contains(&**session) {
                        continue;
                    }
                    rows.push(EventRow::new(session, *at, event, *request)?);
                    if matches!(event, Event::Closed) {
                        steps.push(Step::Close { session, at: *at });
                    }
                }
            }
        }
        let created = steps
            .iter()
            .filter_map(|step| match step {
                Step::Create(record) if live.contains(&record.code) => Some(record.code.as_str()),
                _ => None,
            })
            .collect();
        Ok(Self { steps, rows, created })
    }
}

/// Writes a batch to SQLite in one transaction. Events go in as few multi-row `INSERT`s as
/// SQLite's parameter limit allows, in queue order (so `seq` follows it): sqlx runs each
/// statement on its own thread, and a statement per event made the hand-offs, not SQLite, the
/// cost.
async fn write_batch(db: &mut SqliteConnection, batch: &[Write]) -> Result<Committed, JournalError> {
    let mut tx = db.begin().await?;
    let live = existing_sessions(&mut tx, batch).await?;
    let plan = Plan::new(batch, live, &HashSet::new())?;
    apply_steps::<Sqlite>(&mut tx, &plan.steps).await?;
    let added = !plan.rows.is_empty();
    insert_events::<Sqlite>(&mut tx, plan.rows, false).await?;
    let reached = if added { Some(last_seq(&mut tx).await?) } else { None };
    tx.commit().await?;
    Ok(Committed { reached, refused: HashSet::new() })
}

/// Applies a batch's session changes, in order; the same statements on either database.
async fn apply_steps<DB>(db: &mut DB::Connection, steps: &[Step<'_>]) -> Result<(), JournalError>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
{
    for step in steps {
        match step {
            Step::Create(record) => {
                sqlx::query(
                    "INSERT INTO sessions (code, series, title, host_key_hash, present_key_hash, created_at, closed_at)
                     VALUES ($1, $2, $3, $4, $5, $6, NULL)",
                )
                .bind(record.code.as_str())
                .bind(record.series.as_str())
                .bind(record.title.as_str())
                .bind(record.host_key_hash.as_str())
                .bind(record.present_key_hash.as_str())
                .bind(record.created_at)
                .execute(&mut *db)
                .await?;
            }
            Step::Delete(session) => {
                sqlx::query("DELETE FROM sessions WHERE code = $1").bind(*session).execute(&mut *db).await?;
            }
            Step::Close { session, at } => {
                sqlx::query("UPDATE sessions SET closed_at = $1 WHERE code = $2")
                    .bind(*at)
                    .bind(*session)
                    .execute(&mut *db)
                    .await?;
            }
        }
    }
    Ok(())
}

/// The sequence number of the last event ever inserted (`AUTOINCREMENT` keeps it in
/// `sqlite_sequence`, deletes never lower it); 0 before the first.
async fn last_seq(db: &mut SqliteConnection) -> Result<i64, JournalError> {
    let seq: Option<i64> =
        sqlx::query_scalar("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetch_optional(&mut *db).await?;
    Ok(seq.unwrap_or(0))
}

/// The sessions that appends of the batch name.
fn named_sessions(batch: &[Write]) -> Vec<&str> {
    let named: HashSet<&str> = batch
        .iter()
        .filter_map(|write| match write {
            Write::Append { session, .. } => Some(&**session),
            _ => None,
        })
        .collect();
    named.into_iter().collect()
}

/// The sessions that appends of the batch name and that exist before it.
async fn existing_sessions(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    batch: &[Write],
) -> Result<HashSet<String>, JournalError> {
    let named = named_sessions(batch);
    let mut existing = HashSet::with_capacity(named.len());
    for chunk in named.chunks(MAX_PARAMETERS) {
        let mut query = QueryBuilder::<Sqlite>::new("SELECT code FROM sessions WHERE code IN (");
        let mut codes = query.separated(", ");
        for code in chunk {
            codes.push_bind(code.to_string());
        }
        query.push(")");
        // Statements whose text varies with the batch are not worth a place in the cache.
        let rows = query.build().persistent(false).fetch_all(&mut **tx).await?;
        existing.extend(rows.iter().map(|row| row.get::<String, _>("code")));
    }
    Ok(existing)
}

/// Inserts event rows in order, in multi-row `INSERT`s of a power of two rows each, largest
/// first (340 rows: 256 + 64 + 16 + 4). Those few statement texts stay prepared in the
/// connection's cache: a statement sized to the whole batch was new text every time, and
/// SQLite parsing hundreds of `(?, ?, ?, ?)` per batch cost more than the few more trips
/// to sqlx's thread that the pieces take. `epochs`: the rows carry their lease's epoch
/// (PostgreSQL).
async fn insert_events<DB>(db: &mut DB::Connection, rows: Vec<EventRow<'_>>, epochs: bool) -> Result<(), JournalError>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
{
    let mut rest = rows.len();
    let mut rows = rows.into_iter();
    let head = if epochs {
        "INSERT INTO events (session, at, event, request, epoch) "
    } else {
        "INSERT INTO events (session, at, event, request) "
    };
    while rest > 0 {
        let size = 1 << rest.min(ROWS_PER_INSERT).ilog2();
        let mut query = QueryBuilder::<DB>::new(head);
        query.push_values(rows.by_ref().take(size), |mut values, row| {
            values.push_bind(row.session).push_bind(row.at).push_bind(row.event).push_bind(row.request);
            if epochs {
                values.push_bind(row.epoch);
            }
        });
        query.build().execute(&mut *db).await?;
        rest -= size;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(code: &str) -> SessionRecord {
        SessionRecord {
            code: code.to_owned(),
            series: code.to_owned(),
            title: format!("Session {code}"),
            host_key_hash: "host".to_owned(),
            present_key_hash: "present".to_owned(),
            created_at: 1,
            closed_at: None,
        }
    }

    fn create(code: &str, opened: bool) -> Write {
        let (done, _) = oneshot::channel();
        Write::Create { record: record(code), events: vec![Event::SetOpen { open: opened }], done }
    }

    fn append(code: &str, at: i64, event: Event) -> Write {
        let (settled, _) = mpsc::unbounded_channel();
        Write::Append { session: code.into(), at, event, request: Some(at as u64), settled }
    }

    fn delete(code: &str) -> Write {
        let (done, _) = oneshot::channel();
        Write::Delete { session: code.to_owned(), done }
    }

    async fn connection(dir: &Path) -> SqliteConnection {
        let options = SqliteConnectOptions::new().filename(dir.join("chorus.db")).create_if_missing(true);
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options.clone()).await.expect("pool");
        sqlx::migrate!("./migrations").run(&pool).await.expect("migrate");
        pool.close().await;
        SqliteConnection::connect_with(&options).await.expect("connection")
    }

    /// (session, at) of every stored event, in `seq` order.
    async fn stored(db: &mut SqliteConnection) -> Vec<(String, i64)> {
        sqlx::query("SELECT session, at FROM events ORDER BY seq")
            .fetch_all(db)
            .await
            .expect("events")
            .iter()
            .map(|row| (row.get("session"), row.get("at")))
            .collect()
    }

    #[tokio::test]
    async fn a_mixed_batch_keeps_queue_order_and_what_deletes_take() {
        let dir = tempfile::tempdir().expect("dir");
        let mut db = connection(dir.path()).await;
        write_batch(&mut db, &[create("OLD", true)]).await.expect("first batch");
        let batch = [
            append("OLD", 10, Event::SetOpen { open: false }),
            create("NEW", false),
            append("NEW", 11, Event::Reveal { show: true }),
            append("OLD", 12, Event::Reveal { show: true }),
            // Never created: dropped, and the rest of the batch is kept.
            append("NONE", 13, Event::Reveal { show: true }),
            create("GONE", true),
            append("GONE", 14, Event::Reveal { show: true }),
            delete("GONE"),
            // In flight when its session was deleted: dropped, and the session stays gone.
            append("GONE", 15, Event::Reveal { show: false }),
            append("NEW", 16, Event::Closed),
        ];
        write_batch(&mut db, &batch).await.expect("mixed batch");
        let expected: Vec<(String, i64)> = [("OLD", 1), ("OLD", 10), ("NEW", 1), ("NEW", 11), ("OLD", 12), ("NEW", 16)]
            .into_iter()
            .map(|(code, at)| (code.to_owned(), at))
            .collect();
        assert_eq!(stored(&mut db).await, expected);
        let sessions: Vec<(String, Option<i64>)> = sqlx::query("SELECT code, closed_at FROM sessions ORDER BY code")
            .fetch_all(&mut db)
            .await
            .expect("sessions")
            .iter()
            .map(|row| (row.get("code"), row.get("closed_at")))
            .collect();
        assert_eq!(sessions, vec![("NEW".to_owned(), Some(16)), ("OLD".to_owned(), None)]);

        write_batch(&mut db, &[delete("OLD"), append("OLD", 20, Event::Closed)]).await.expect("delete batch");
        assert!(stored(&mut db).await.iter().all(|(code, _)| code == "NEW"), "a delete takes stored events too");
    }

    /// Each sender hears about every one of its appends, in batches that add up, whatever
    /// the other senders' appends around them.
    #[tokio::test]
    async fn appends_are_reported_to_their_sender() {
        let dir = tempfile::tempdir().expect("dir");
        let (journal, writer) = Journal::open(dir.path()).await.expect("open");
        journal.create(record("S"), Vec::new()).await.expect("create");
        let (code, gone): (Arc<str>, Arc<str>) = ("S".into(), "GONE".into());
        let (a, mut heard_a) = mpsc::unbounded_channel();
        let (b, mut heard_b) = mpsc::unbounded_channel();
        for at in 0..300 {
            let (to, session) = match at % 3 {
                0 => (&b, &gone),
                _ => (&a, &code),
            };
            journal.append(session, at, Event::SetOpen { open: at % 2 == 0 }, None, to).await.expect("append");
        }
        drop((a, b));
        let total = |heard: &mut mpsc::UnboundedReceiver<Settled>| {
            let mut events = 0;
            while let Ok(settled) = heard.try_recv() {
                assert!(settled.saved && settled.events > 0, "{settled:?}");
                events += settled.events;
            }
            events
        };
        drop(journal);
        writer.finished().await;
        assert_eq!(total(&mut heard_a), 200);
        // Appends to a session that does not exist are dropped, and still reported.
        assert_eq!(total(&mut heard_b), 100);
    }

    #[tokio::test]
    async fn a_batch_larger_than_one_statement_keeps_its_order() {
        let dir = tempfile::tempdir().expect("dir");
        let mut db = connection(dir.path()).await;
        write_batch(&mut db, &[create("BIG", true)]).await.expect("create");
        let count = 2 * ROWS_PER_INSERT as i64 + 7;
        let batch: Vec<Write> =
            (0..count).map(|at| append("BIG", 100 + at, Event::SetOpen { open: at % 2 == 0 })).collect();
        write_batch(&mut db, &batch).await.expect("big batch");
        let ats: Vec<i64> = stored(&mut db).await.into_iter().map(|(_, at)| at).collect();
        let expected: Vec<i64> = std::iter::once(1).chain((0..count).map(|at| 100 + at)).collect();
        assert_eq!(ats, expected);
    }
}
