//! The journal in PostgreSQL, switched on by `--database-url postgres://…`.
//!
//! The writer, its batches and its reports are the SQLite journal's (see the module above);
//! what lives here is what PostgreSQL does differently: connecting, its migrations
//! (`migrations/postgres/`), and a batch's first query (`= ANY($1)` rather than a list of
//! parameters). The event JSON is stored as text, byte for byte as in SQLite.
//!
//! Durability is PostgreSQL's: a commit returns once its WAL record is flushed
//! (`synchronous_commit = on`, the default), so an acknowledged answer survives `kill -9` of
//! Chorus, and of PostgreSQL.

use std::collections::HashSet;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection, Postgres};

use super::{Committed, Job, JournalError, Plan, Write, apply_steps, insert_events, named_sessions, on_connection};

/// How long a request waits for a read connection before the journal counts as unreachable
/// (`/healthz` then says 503 rather than hanging).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// Where the journal is, in PostgreSQL.
#[derive(Debug, Clone)]
pub struct Options {
    /// `postgres://user:password@host:port/database`.
    pub url: String,
}

/// The URL without its password, for logs and messages.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn connect_options(url: &str) -> Result<PgConnectOptions, JournalError> {
    PgConnectOptions::from_str(url).map_err(|source| JournalError::Postgres { url: redacted(url), source })
}

/// A pool of connections to the database at `url`, which must answer now.
pub(crate) async fn pool(url: &str, connections: u32) -> Result<PgPool, JournalError> {
    PgPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(connect_options(url)?)
        .await
        .map_err(|source| JournalError::Postgres { url: redacted(url), source })
}

/// Brings the database at `url` to the current schema.
pub(crate) async fn migrate(pool: &PgPool) -> Result<(), JournalError> {
    sqlx::migrate!("./migrations/postgres").run(pool).await?;
    Ok(())
}

/// The writer's side in PostgreSQL: its own connection, reopened after a failure.
pub(super) struct Store {
    options: PgConnectOptions,
    db: Option<PgConnection>,
}

impl Store {
    /// Connects, migrates, and returns the writer's side and a pool for reads. Refuses a data
    /// directory that holds a SQLite journal: two journals for one server would split what
    /// it knows without a word.
    pub(super) async fn open(data_dir: &Path, options: &Options) -> Result<(Self, PgPool), JournalError> {
        let sqlite = data_dir.join(super::integrity::DB_FILE);
        if sqlite.exists() {
            return Err(JournalError::TwoJournals { path: sqlite });
        }
        let connect = connect_options(&options.url)?;
        let reads = pool(&options.url, 4).await?;
        migrate(&reads).await?;
        let db = PgConnection::connect_with(&connect)
            .await
            .map_err(|source| JournalError::Postgres { url: redacted(&options.url), source })?;
        Ok((Self { options: connect, db: Some(db) }, reads))
    }

    pub(super) async fn attempt(&mut self, job: Job<'_>) -> Result<Committed, JournalError> {
        on_connection(&mut self.db, &self.options, async |db: &mut PgConnection| match job {
            Job::Batch(batch) => write_batch(db, batch).await,
            Job::Probe => probe(db).await.map(|()| Committed::default()),
        })
        .await
    }

    pub(super) async fn close(&mut self) {
        if let Some(db) = self.db.take() {
            let _ = db.close().await;
        }
    }
}

/// A transaction that changes nothing: the server answers and takes one.
async fn probe(db: &mut PgConnection) -> Result<(), JournalError> {
    let mut tx = db.begin().await?;
    sqlx::query("SELECT 1").execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Writes a batch in one transaction, as the SQLite writer does.
async fn write_batch(db: &mut PgConnection, batch: &[Write]) -> Result<Committed, JournalError> {
    let mut tx = db.begin().await?;
    let named: Vec<String> = named_sessions(batch).into_iter().map(str::to_owned).collect();
    let live: Vec<String> = if named.is_empty() {
        Vec::new()
    } else {
        sqlx::query_scalar("SELECT code FROM sessions WHERE code = ANY($1)").bind(&named).fetch_all(&mut *tx).await?
    };
    let refused = HashSet::new();
    let plan = Plan::new(batch, live.into_iter().collect(), &refused)?;
    apply_steps::<Postgres>(&mut tx, &plan.steps).await?;
    insert_events::<Postgres>(&mut tx, plan.rows, false).await?;
    tx.commit().await?;
    Ok(Committed { reached: None, refused })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::sync::mpsc;

    use super::*;
    use crate::cluster::scratch::Scratch;
    use crate::journal::{Event, Journal, SessionRecord, Settled};

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

    /// The writer's group commit and its per-batch reports work on PostgreSQL as on SQLite:
    /// each sender hears about all its appends, appends to a missing session are dropped, a
    /// deleted session takes its events, and the events read back in order, byte for byte.
    #[tokio::test]
    async fn batches_reports_and_reads_on_postgres() {
        let url = Scratch::shared().database().await;
        let dir = tempfile::tempdir().expect("dir");
        let options = Options { url: url.clone() };
        let (journal, writer) = Journal::open_with(dir.path(), Some(&options)).await.expect("open");
        journal.create(record("S"), vec![Event::SetOpen { open: true }]).await.expect("create");
        journal.create(record("D"), Vec::new()).await.expect("create");
        let (code, gone): (Arc<str>, Arc<str>) = ("S".into(), "GONE".into());
        let (a, mut heard_a) = mpsc::unbounded_channel();
        let (b, mut heard_b) = mpsc::unbounded_channel();
        for at in 0..300 {
            let (to, session) = if at % 3 == 0 { (&b, &gone) } else { (&a, &code) };
            journal
                .append(session, at, Event::Reveal { show: at % 2 == 0 }, Some(at as u64), to)
                .await
                .expect("append");
        }
        journal.append(&"D".into(), 5, Event::Closed, None, &a).await.expect("append");
        journal.delete("D").await.expect("delete");
        drop((a, b));
        let reader = journal.reader().clone();
        assert!(journal.healthy().await);
        drop(journal);
        writer.finished().await;
        let total = |heard: &mut mpsc::UnboundedReceiver<Settled>| {
            let mut events = 0;
            while let Ok(settled) = heard.try_recv() {
                assert!(settled.saved && settled.events > 0, "{settled:?}");
                events += settled.events;
            }
            events
        };
        assert_eq!(total(&mut heard_a), 201);
        assert_eq!(total(&mut heard_b), 100);
        let events = reader.events("S").await.expect("events");
        assert_eq!(events.len(), 201);
        assert_eq!(events[0].event, Event::SetOpen { open: true });
        let ats: Vec<i64> = events.iter().skip(1).map(|stored| stored.at).collect();
        assert_eq!(ats, (0..300).filter(|at| at % 3 != 0).collect::<Vec<i64>>(), "commit order");
        assert_eq!(events[1].request, Some(1));
        assert!(reader.session("D").await.expect("read").is_none(), "deleted");
        assert!(reader.events("D").await.expect("read").is_empty(), "its events went with it");
        assert_eq!(reader.open_sessions().await.expect("open").len(), 1);
        assert!(reader.stored_bytes("S").await.expect("bytes") > 0);
    }

    /// `--database-url` beside a data directory holding a SQLite journal is refused.
    #[tokio::test]
    async fn a_sqlite_journal_in_the_data_dir_is_refused() {
        let url = Scratch::shared().database().await;
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("chorus.db"), b"").expect("file");
        let refused = Journal::open_with(dir.path(), Some(&Options { url })).await.err().expect("refused");
        assert!(matches!(refused, JournalError::TwoJournals { .. }), "{refused}");
    }
}
