//! The journal in PostgreSQL, switched on by `--database-url postgres://…`.
//!
//! The writer, its batches and its reports are the SQLite journal's (see the module above);
//! what lives here is what PostgreSQL does differently: connecting, its migrations
//! (`migrations/postgres/`), a batch's first queries (`= ANY($1)` rather than a list of
//! parameters), and leases: this node writes a session only under its lease, every event
//! carries the lease's epoch, and the database refuses a stale one (see
//! [`crate::cluster::lease`]). The event JSON is stored as text, byte for byte as in SQLite.
//!
//! Durability is PostgreSQL's: a commit returns once its WAL record is flushed
//! (`synchronous_commit = on`, the default), so an acknowledged answer survives `kill -9` of
//! Chorus, and of PostgreSQL.
//!
//! Leases: at start this node takes the lease of every open session before the hub replays
//! them, waiting for a dead predecessor's to expire (a `kill -9`ed server's, up to the lease's
//! length); it fails to start if another node keeps renewing one. A session created here gets
//! its lease in the same transaction; one written later without a lease (a closed session
//! reopened for its facilitator) takes it then. The writer renews its leases between batches,
//! on its own connection. A lease found lost (taken over by another node) is never taken back
//! by the writer: the session's state here is stale, so its writes are refused from then on
//! and [`Journal::lost`](super::Journal::lost) says so.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection, Postgres};
use tokio::sync::broadcast;
use tracing::{info, warn};

use super::{Committed, Job, JournalError, Plan, Write, apply_steps, insert_events, named_sessions, on_connection};
use crate::cluster::lease::{self, Claim};

/// How long a request waits for a read connection before the journal counts as unreachable
/// (`/healthz` then says 503 rather than hanging).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// A lease's length by default: renewed every third of it, so two renewals may fail (a slow
/// database, a lost packet) before it lapses, and a dead node's sessions wait at most this.
pub const LEASE_TTL: Duration = Duration::from_secs(10);

/// Where the journal is, in PostgreSQL, and the lease this node takes on each session.
#[derive(Debug, Clone)]
pub struct Options {
    /// `postgres://user:password@host:port/database`.
    pub url: String,
    /// How long a lease lasts unless renewed.
    pub lease_ttl: Duration,
    /// Take the lease of every open session when the journal opens, and refuse to start if
    /// another node keeps one (one node on the database). Off in a cluster (`--nats-url`):
    /// there the hub claims a session when it is asked for, and leaves the ones other nodes
    /// own to them.
    pub claim_at_start: bool,
}

impl Options {
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), lease_ttl: LEASE_TTL, claim_at_start: true }
    }
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

/// Brings the database to the current schema.
pub(crate) async fn migrate(pool: &PgPool) -> Result<(), JournalError> {
    sqlx::migrate!("./migrations/postgres").run(pool).await?;
    Ok(())
}

/// This node's leases: which sessions it may write, at which epoch. Shared by the writer
/// (which checks, claims and renews) and [`Journal::claim`](super::Journal::claim).
pub(crate) struct Fence {
    pub(crate) node: String,
    pub(crate) ttl: Duration,
    held: Mutex<Held>,
    lost: broadcast::Sender<String>,
}

#[derive(Default)]
struct Held {
    epochs: HashMap<String, i64>,
    /// Sessions whose lease another node took: never claimed again by the writer.
    lost: HashSet<String>,
}

impl Fence {
    fn new(ttl: Duration) -> Self {
        Self { node: lease::node_id(), ttl, held: Mutex::default(), lost: broadcast::channel(1024).0 }
    }

    // A std mutex: held for a few map operations, never across an await.
    fn held(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records a lease held (taken at start, at a claim, or in a committed batch).
    pub(crate) fn hold(&self, session: &str, epoch: i64) {
        let mut held = self.held();
        held.lost.remove(session);
        held.epochs.insert(session.to_owned(), epoch);
        metrics::gauge!(crate::metrics::LEASES_HELD).set(held.epochs.len() as f64);
    }

    /// Records leases found taken by another node, and tells whoever listens.
    fn lose(&self, sessions: impl IntoIterator<Item = String>) {
        let mut held = self.held();
        for session in sessions {
            held.epochs.remove(&session);
            if held.lost.insert(session.clone()) {
                metrics::counter!(crate::metrics::LEASES_LOST).increment(1);
                warn!(session, node = self.node, "another node took this session's lease; its writes here are refused");
                let _ = self.lost.send(session);
            }
        }
        metrics::gauge!(crate::metrics::LEASES_HELD).set(held.epochs.len() as f64);
    }

    /// Forgets the leases of deleted sessions (their rows went with them).
    fn forget<'a>(&self, sessions: impl IntoIterator<Item = &'a str>) {
        let mut held = self.held();
        for session in sessions {
            held.epochs.remove(session);
            held.lost.remove(session);
        }
        metrics::gauge!(crate::metrics::LEASES_HELD).set(held.epochs.len() as f64);
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<String> {
        self.lost.subscribe()
    }

    /// Takes the lease of `session` now, over the pool (for sessions about to be replayed).
    pub(crate) async fn claim(&self, pool: &PgPool, session: &str) -> Result<Claim, JournalError> {
        let mut db = pool.acquire().await?;
        let claim = lease::acquire(&mut db, session, &self.node, self.ttl).await?;
        if let Claim::Held(lease) = &claim {
            self.hold(&lease.session, lease.epoch);
        }
        Ok(claim)
    }
}

/// The writer's side in PostgreSQL: its own connection, reopened after a failure, and the
/// node's leases.
pub(super) struct Store {
    options: PgConnectOptions,
    db: Option<PgConnection>,
    pub(super) fence: std::sync::Arc<Fence>,
    renewed: Instant,
}

impl Store {
    /// Connects, migrates, takes the leases of the open sessions, and returns the writer's
    /// side and a pool for reads. Refuses a data directory that holds a SQLite journal: two
    /// journals for one server would split what it knows without a word.
    pub(super) async fn open(data_dir: &Path, options: &Options) -> Result<(Self, PgPool), JournalError> {
        let sqlite = data_dir.join(super::integrity::DB_FILE);
        if sqlite.exists() {
            return Err(JournalError::TwoJournals { path: sqlite });
        }
        let connect = connect_options(&options.url)?;
        let reads = pool(&options.url, 4).await?;
        migrate(&reads).await?;
        let fence = std::sync::Arc::new(Fence::new(options.lease_ttl));
        if options.claim_at_start {
            claim_open_sessions(&reads, &fence).await?;
        }
        let db = PgConnection::connect_with(&connect)
            .await
            .map_err(|source| JournalError::Postgres { url: redacted(&options.url), source })?;
        Ok((Self { options: connect, db: Some(db), fence, renewed: Instant::now() }, reads))
    }

    pub(super) async fn attempt(&mut self, job: Job<'_>) -> Result<Committed, JournalError> {
        let fence = self.fence.clone();
        on_connection(&mut self.db, &self.options, async |db: &mut PgConnection| match job {
            Job::Batch(batch) => write_batch(db, batch, &fence).await,
            Job::Probe => probe(db).await.map(|()| Committed::default()),
        })
        .await
    }

    /// How long until the leases are due for renewal.
    pub(super) fn renewal_due(&self) -> Duration {
        (self.fence.ttl / 3).saturating_sub(self.renewed.elapsed())
    }

    /// Renews this node's leases; a lease missing from the answer was lost.
    pub(super) async fn renew(&mut self) {
        self.renewed = Instant::now();
        let fence = self.fence.clone();
        let renewed = on_connection(&mut self.db, &self.options, async |db: &mut PgConnection| {
            Ok(lease::renew(&mut *db, &fence.node, fence.ttl).await?)
        })
        .await;
        match renewed {
            Ok(leases) => {
                let kept: HashMap<String, i64> = leases.into_iter().map(|l| (l.session, l.epoch)).collect();
                let lost: Vec<String> = fence
                    .held()
                    .epochs
                    .iter()
                    .filter(|(session, epoch)| kept.get(*session) != Some(epoch))
                    .map(|(session, _)| session.clone())
                    .collect();
                let outcome = if lost.is_empty() { "kept" } else { "lost" };
                metrics::counter!(crate::metrics::LEASE_RENEWALS, "outcome" => outcome).increment(1);
                fence.lose(lost);
            }
            Err(err) => warn!(%err, "the leases could not be renewed"),
        }
    }

    /// Lets this node's leases expire now, so that the next owner need not wait, and closes.
    pub(super) async fn close(&mut self) {
        if let Some(mut db) = self.db.take() {
            match lease::release(&mut db, &self.fence.node).await {
                Ok(released) => info!(released, "leases released"),
                Err(err) => warn!(%err, "the leases could not be released; they expire by themselves"),
            }
            let _ = db.close().await;
        }
    }
}

/// Replaces a session's key hashes (`chorus console-link`); returns whether it exists.
pub async fn replace_keys(
    url: &str,
    code: &str,
    host_key_hash: &str,
    present_key_hash: &str,
) -> Result<bool, JournalError> {
    let mut db = PgConnection::connect_with(&connect_options(url)?)
        .await
        .map_err(|source| JournalError::Postgres { url: redacted(url), source })?;
    let done = sqlx::query("UPDATE sessions SET host_key_hash = $1, present_key_hash = $2 WHERE code = $3")
        .bind(host_key_hash)
        .bind(present_key_hash)
        .bind(code)
        .execute(&mut db)
        .await?;
    db.close().await?;
    Ok(done.rows_affected() == 1)
}

/// Takes the lease of every open session, waiting for leases a dead node left to expire;
/// fails if a lease stays held (another node is alive and renewing it).
async fn claim_open_sessions(pool: &PgPool, fence: &Fence) -> Result<(), JournalError> {
    let open: Vec<String> =
        sqlx::query_scalar("SELECT code FROM sessions WHERE closed_at IS NULL ORDER BY code").fetch_all(pool).await?;
    let give_up = Instant::now() + fence.ttl * 2 + Duration::from_secs(1);
    for session in open {
        loop {
            match fence.claim(pool, &session).await? {
                Claim::Held(lease) => {
                    if lease.epoch > 1 {
                        metrics::counter!(crate::metrics::LEASE_TAKEOVERS).increment(1);
                    }
                    break;
                }
                Claim::Busy { owner, expires_in } => {
                    if Instant::now() + expires_in > give_up {
                        return Err(JournalError::Owned { session, owner });
                    }
                    info!(
                        session,
                        owner,
                        wait_ms = expires_in.as_millis() as u64,
                        "waiting for another node's lease to expire"
                    );
                    tokio::time::sleep(expires_in + Duration::from_millis(20)).await;
                }
            }
        }
    }
    Ok(())
}

/// A transaction that changes nothing: the server answers and takes one.
async fn probe(db: &mut PgConnection) -> Result<(), JournalError> {
    let mut tx = db.begin().await?;
    sqlx::query("SELECT 1").execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Writes a batch in one transaction, as the SQLite writer does, each event with its
/// session's lease epoch. First the leases of the sessions written are read and locked (a
/// take-over waits for this commit); appends to a session whose lease this node has lost
/// are left out and reported not saved, the rest of the batch goes in.
async fn write_batch(db: &mut PgConnection, batch: &[Write], fence: &Fence) -> Result<Committed, JournalError> {
    let mut tx = db.begin().await?;
    let named: Vec<String> = named_sessions(batch).into_iter().map(str::to_owned).collect();
    let mut epochs: HashMap<String, i64> = HashMap::new();
    let mut refused = HashSet::new();
    let mut lost = Vec::new();
    let mut claimed = Vec::new();
    let live: HashSet<String> = if named.is_empty() {
        HashSet::new()
    } else {
        let live: Vec<String> = sqlx::query_scalar("SELECT code FROM sessions WHERE code = ANY($1)")
            .bind(&named)
            .fetch_all(&mut *tx)
            .await?;
        let current: HashMap<String, lease::Current> =
            lease::current(&mut *tx, &named).await?.into_iter().map(|c| (c.session.clone(), c)).collect();
        let (held, gone): (HashMap<String, i64>, HashSet<String>) = {
            let held = fence.held();
            let mine = named.iter().filter_map(|s| Some((s.clone(), *held.epochs.get(s)?))).collect();
            let gone = named.iter().filter(|s| held.lost.contains(*s)).cloned().collect();
            (mine, gone)
        };
        for session in &live {
            let current = current.get(session);
            match (held.get(session), current) {
                (Some(epoch), Some(now)) if now.owner == fence.node && now.epoch == *epoch => {
                    epochs.insert(session.clone(), *epoch);
                }
                (Some(_), _) => {
                    refused.insert(session.clone());
                    lost.push(session.clone());
                }
                (None, _) if gone.contains(session) => {
                    refused.insert(session.clone());
                }
                (None, Some(now)) if !now.expired && now.owner != fence.node => {
                    refused.insert(session.clone());
                }
                (None, _) => match lease::acquire(&mut tx, session, &fence.node, fence.ttl).await? {
                    Claim::Held(lease) => {
                        epochs.insert(session.clone(), lease.epoch);
                        claimed.push(lease);
                    }
                    Claim::Busy { .. } => {
                        refused.insert(session.clone());
                    }
                },
            }
        }
        live.into_iter().collect()
    };
    let plan = Plan::new(batch, live, &refused);
    fence.lose(lost);
    let mut plan = plan?;
    apply_steps::<Postgres>(&mut tx, &plan.steps).await?;
    for code in &plan.created {
        if let Claim::Held(lease) = lease::acquire(&mut tx, code, &fence.node, fence.ttl).await? {
            epochs.insert(lease.session.clone(), lease.epoch);
            claimed.push(lease);
        }
    }
    for row in &mut plan.rows {
        row.epoch = epochs.get(row.session).copied();
    }
    insert_events::<Postgres>(&mut tx, plan.rows, true).await?;
    tx.commit().await?;
    for lease in claimed {
        fence.hold(&lease.session, lease.epoch);
    }
    fence.forget(batch.iter().filter_map(|write| match write {
        Write::Delete { session, .. } => Some(session.as_str()),
        _ => None,
    }));
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
        let options = Options::new(url.clone());
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
        let refused = Journal::open_with(dir.path(), Some(&Options::new(url))).await.err().expect("refused");
        assert!(matches!(refused, JournalError::TwoJournals { .. }), "{refused}");
    }
}
