//! `chorus migrate --from <sqlite file> --to <postgres url>`: moving a server's journal from
//! its SQLite file into PostgreSQL.
//!
//! The source is checked first, as `chorus check` would (and against its high-water mark
//! when it is a data directory's `chorus.db`), then read in one read transaction: a
//! consistent snapshot even while a server still writes it (stop the server first all the
//! same, or its later answers stay behind). The target must hold no Chorus data: the copy
//! never merges. Everything goes in one PostgreSQL transaction, events in their order, the
//! event JSON byte for byte; before the commit the counts and the bytes of event JSON on both
//! sides are compared, and any difference leaves the target untouched.
//!
//! Each session gets a lease already expired at epoch 0, and its events carry epoch 0: the
//! first server to write it takes the lease over at epoch 1.

use std::path::{Path, PathBuf};

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Postgres, QueryBuilder};

use crate::journal::postgres::{migrate as migrate_schema, pool, redacted};
use crate::journal::{JournalError, SessionRecord, integrity};

/// Events read and written per statement.
const PAGE: i64 = 1024;
/// The owner named on the leases a migration writes (already expired).
pub const MIGRATION_OWNER: &str = "chorus migrate";

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("{path} does not exist")]
    Missing { path: PathBuf },
    #[error("{path} is not a Chorus journal (it has no sessions and events tables)")]
    NotAJournal { path: PathBuf },
    #[error(
        "the target database already holds Chorus data ({sessions} sessions, {events} events); \
         chorus migrate copies only into an empty database, and nothing was changed"
    )]
    NotEmpty { sessions: i64, events: i64 },
    #[error(
        "the copy does not match its source ({what}: {source_count} in SQLite, {target_count} in PostgreSQL); \
         nothing was committed"
    )]
    Mismatch { what: &'static str, source_count: i64, target_count: i64 },
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// What a migration copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub sessions: i64,
    /// Sessions not closed: a server on the target brings them back.
    pub open: i64,
    pub events: i64,
    /// Characters of event JSON.
    pub json_chars: i64,
    /// The target, its password hidden.
    pub target: String,
}

/// Copies every session and event of the SQLite journal `from` into the empty PostgreSQL
/// database at `to`, checking the counts before committing.
pub async fn migrate(from: &Path, to: &str) -> Result<Summary, MigrateError> {
    if !from.exists() {
        return Err(MigrateError::Missing { path: from.to_owned() });
    }
    match from.parent().filter(|_| from.file_name().is_some_and(|name| name == integrity::DB_FILE)) {
        Some(dir) => integrity::check(if dir.as_os_str().is_empty() { Path::new(".") } else { dir }, false)
            .await?
            .ok_or_else(|| MigrateError::NotAJournal { path: from.to_owned() })?,
        None => crate::journal::backup::check_file(from).await?,
    };
    let options = SqliteConnectOptions::new().filename(from).read_only(true);
    let mut source = SqliteConnection::connect_with(&options)
        .await
        .map_err(|source| JournalError::Open { path: from.to_owned(), source })?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('sessions', 'events')",
    )
    .fetch_one(&mut source)
    .await?;
    if tables != 2 {
        return Err(MigrateError::NotAJournal { path: from.to_owned() });
    }
    let mut snapshot = source.begin().await?;

    let target = pool(to, 2).await?;
    migrate_schema(&target).await?;
    let mut tx = target.begin().await?;
    // Two migrations at once: the second waits here, then finds the first one's data.
    sqlx::query("LOCK TABLE sessions, events IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
    let (sessions, events): (i64, i64) =
        sqlx::query_as("SELECT (SELECT COUNT(*) FROM sessions), (SELECT COUNT(*) FROM events)")
            .fetch_one(&mut *tx)
            .await?;
    if sessions > 0 || events > 0 {
        return Err(MigrateError::NotEmpty { sessions, events });
    }

    let records: Vec<SessionRecord> = sqlx::query_as(
        "SELECT code, series, title, host_key_hash, present_key_hash, created_at, closed_at FROM sessions
         ORDER BY created_at, code",
    )
    .fetch_all(&mut *snapshot)
    .await?;
    for chunk in records.chunks(PAGE as usize) {
        let mut insert = QueryBuilder::<Postgres>::new(
            "INSERT INTO sessions (code, series, title, host_key_hash, present_key_hash, created_at, closed_at) ",
        );
        insert.push_values(chunk, |mut row, record| {
            row.push_bind(&record.code)
                .push_bind(&record.series)
                .push_bind(&record.title)
                .push_bind(&record.host_key_hash)
                .push_bind(&record.present_key_hash)
                .push_bind(record.created_at)
                .push_bind(record.closed_at);
        });
        insert.build().persistent(false).execute(&mut *tx).await?;
    }
    sqlx::query("INSERT INTO leases (session, owner, epoch, expires_at) SELECT code, $1, 0, now() FROM sessions")
        .bind(MIGRATION_OWNER)
        .execute(&mut *tx)
        .await?;

    let mut after = i64::MIN;
    loop {
        let page: Vec<(i64, String, i64, String, Option<i64>)> =
            sqlx::query_as("SELECT seq, session, at, event, request FROM events WHERE seq > $1 ORDER BY seq LIMIT $2")
                .bind(after)
                .bind(PAGE)
                .fetch_all(&mut *snapshot)
                .await?;
        let Some(last) = page.last() else { break };
        after = last.0;
        let mut insert = QueryBuilder::<Postgres>::new("INSERT INTO events (session, at, event, request, epoch) ");
        insert.push_values(&page, |mut row, (_, session, at, event, request)| {
            row.push_bind(session).push_bind(*at).push_bind(event).push_bind(*request).push_bind(0i64);
        });
        insert.build().persistent(false).execute(&mut *tx).await?;
    }

    const COUNTS: &str =
        "SELECT (SELECT COUNT(*) FROM sessions), (SELECT COUNT(*) FROM sessions WHERE closed_at IS NULL),
                (SELECT COUNT(*) FROM events), (SELECT COALESCE(SUM(LENGTH(event)), 0) FROM events)";
    let before: (i64, i64, i64, i64) = sqlx::query_as(COUNTS).fetch_one(&mut *snapshot).await?;
    let copied: (i64, i64, i64, i64) = sqlx::query_as(COUNTS).fetch_one(&mut *tx).await?;
    for (what, source_count, target_count) in [
        ("sessions", before.0, copied.0),
        ("open sessions", before.1, copied.1),
        ("events", before.2, copied.2),
        ("characters of event JSON", before.3, copied.3),
    ] {
        if source_count != target_count {
            return Err(MigrateError::Mismatch { what, source_count, target_count });
        }
    }
    tx.commit().await?;
    snapshot.rollback().await?;
    let _ = source.close().await;
    target.close().await;
    Ok(Summary { sessions: copied.0, open: copied.1, events: copied.2, json_chars: copied.3, target: redacted(to) })
}
