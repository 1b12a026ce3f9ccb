//! Leases with fencing epochs, in PostgreSQL (`migrations/postgres/0002_leases.sql`).
//!
//! A session is owned by one node at a time. The owner holds the session's row in `leases`:
//! its node id, an **epoch**, and `expires_at` on the database's clock (`now()` plus the
//! lease's length, 10 s by default), renewed every third of that. Another node may take a
//! lease only once it has expired, and taking it raises the epoch by one. Every event is
//! written with its writer's epoch, and the database refuses an insert whose epoch is not
//! the lease's current one (a trigger, in the same transaction; the writer also checks first,
//! so that one stale session does not fail a batch shared with others). So an owner that was
//! paused or cut off past its lease can never write once another node has taken over: its
//! epoch is stale. Clocks of the nodes play no part; only the database's does.
//!
//! Lease rows are never deleted while the session exists (the epoch must never go back to
//! 1), only expired: [`release`] on an orderly stop, so that a restart need not wait.

use std::time::Duration;

use sqlx::{PgConnection, PgExecutor};

/// A lease this node holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub session: String,
    pub epoch: i64,
}

/// What [`acquire`] got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The lease is ours: new (epoch 1), taken over after it expired (epoch + 1), or already
    /// ours (epoch unchanged, renewed).
    Held(Lease),
    /// Another node holds it, for `expires_in` more unless it renews.
    Busy { owner: String, expires_in: Duration },
}

/// The lease length as PostgreSQL's interval, in whole milliseconds.
fn millis(ttl: Duration) -> i64 {
    ttl.as_millis().min(i64::MAX as u128) as i64
}

/// Takes the lease on `session` for `node`: a new one at epoch 1; one that has expired,
/// taking it over at the next epoch; or ours already, renewed. Otherwise says who holds it.
pub async fn acquire(db: &mut PgConnection, session: &str, node: &str, ttl: Duration) -> Result<Claim, sqlx::Error> {
    let epoch: Option<i64> = sqlx::query_scalar(
        "INSERT INTO leases (session, owner, epoch, expires_at)
         VALUES ($1, $2, 1, now() + $3 * interval '1 millisecond')
         ON CONFLICT (session) DO UPDATE
         SET owner = EXCLUDED.owner,
             epoch = CASE WHEN leases.owner = EXCLUDED.owner THEN leases.epoch ELSE leases.epoch + 1 END,
             expires_at = EXCLUDED.expires_at
         WHERE leases.owner = EXCLUDED.owner OR leases.expires_at < now()
         RETURNING epoch",
    )
    .bind(session)
    .bind(node)
    .bind(millis(ttl))
    .fetch_optional(&mut *db)
    .await?;
    if let Some(epoch) = epoch {
        return Ok(Claim::Held(Lease { session: session.to_owned(), epoch }));
    }
    let (owner, left): (String, i64) = sqlx::query_as(
        "SELECT owner, GREATEST(0, (EXTRACT(EPOCH FROM expires_at - now()) * 1000)::BIGINT) FROM leases WHERE session = $1",
    )
    .bind(session)
    .fetch_one(&mut *db)
    .await?;
    Ok(Claim::Busy { owner, expires_in: Duration::from_millis(left.max(0) as u64) })
}

/// Renews every lease `node` holds, in one statement (rows locked in session order, as the
/// writer locks them, so the two never deadlock); returns the leases still held. A lease
/// missing from the answer was taken over by another node (or its session deleted).
pub async fn renew<'c>(db: impl PgExecutor<'c>, node: &str, ttl: Duration) -> Result<Vec<Lease>, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "UPDATE leases SET expires_at = now() + $2 * interval '1 millisecond'
         WHERE session IN (SELECT session FROM leases WHERE owner = $1 ORDER BY session FOR UPDATE)
         RETURNING session, epoch",
    )
    .bind(node)
    .bind(millis(ttl))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(session, epoch)| Lease { session, epoch }).collect())
}

/// Lets every lease of `node` expire now (an orderly stop), so that the next owner need not
/// wait. The epochs stay.
pub async fn release<'c>(db: impl PgExecutor<'c>, node: &str) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("UPDATE leases SET expires_at = now() WHERE owner = $1 AND expires_at > now()")
        .bind(node)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// The current owner and epoch of each of `sessions` that has a lease, locked until the end
/// of the transaction (`FOR SHARE`, in session order): a take-over waits for this
/// transaction's commit. Also whether each has expired.
pub async fn current<'c>(db: impl PgExecutor<'c>, sessions: &[String]) -> Result<Vec<Current>, sqlx::Error> {
    sqlx::query_as(
        "SELECT session, owner, epoch, expires_at < now() AS expired FROM leases
         WHERE session = ANY($1) ORDER BY session FOR SHARE",
    )
    .bind(sessions)
    .fetch_all(db)
    .await
}

/// A lease as [`current`] reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Current {
    pub session: String,
    pub owner: String,
    pub epoch: i64,
    pub expired: bool,
}

/// A fresh node id: random, new for every process, so that a restarted node never mistakes
/// its predecessor's leases for its own.
pub fn node_id() -> String {
    format!("node-{}", crate::auth::new_secret())
}

/// Whether a database error is the fencing trigger's refusal.
pub fn is_fenced(err: &sqlx::Error) -> bool {
    err.as_database_error().and_then(|err| err.code()).is_some_and(|code| code == "CH001")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sqlx::postgres::PgPool;
    use tokio::sync::mpsc;

    use super::*;
    use crate::cluster::scratch::Scratch;
    use crate::journal::postgres::{Options, migrate};
    use crate::journal::{Event, Journal, JournalError, SessionRecord};

    async fn insert(db: &PgPool, session: &str, epoch: Option<i64>) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO events (session, at, event, request, epoch) VALUES ($1, 1, '\"Closed\"', NULL, $2)")
            .bind(session)
            .bind(epoch)
            .execute(db)
            .await
            .map(|_| ())
    }

    async fn count(db: &PgPool, session: &str) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE session = $1")
            .bind(session)
            .fetch_one(db)
            .await
            .expect("count")
    }

    /// Two nodes (two pools): the first holds the lease; the second cannot take it until it
    /// expires, then takes it over at epoch 2; the first's write at epoch 1 is refused by the
    /// database and nothing of it lands; its renewal finds the lease gone.
    #[tokio::test]
    async fn a_taken_over_lease_fences_the_old_owner() {
        let url = Scratch::shared().database().await;
        let (a, b) = (PgPool::connect(&url).await.expect("pool a"), PgPool::connect(&url).await.expect("pool b"));
        migrate(&a).await.expect("migrate");
        sqlx::query("INSERT INTO sessions VALUES ('S', 'S', 'Title', 'h', 'p', 1, NULL)")
            .execute(&a)
            .await
            .expect("session");
        let ttl = Duration::from_millis(400);
        let (node_a, node_b) = (node_id(), node_id());
        let mut conn_a = a.acquire().await.expect("connection");
        let mut conn_b = b.acquire().await.expect("connection");

        let first = acquire(&mut conn_a, "S", &node_a, ttl).await.expect("acquire");
        assert_eq!(first, Claim::Held(Lease { session: "S".into(), epoch: 1 }));
        match acquire(&mut conn_b, "S", &node_b, ttl).await.expect("acquire") {
            Claim::Busy { owner, expires_in } => {
                assert_eq!(owner, node_a);
                assert!(expires_in <= ttl, "{expires_in:?}");
            }
            held => panic!("took a live lease: {held:?}"),
        }
        insert(&a, "S", Some(1)).await.expect("the owner writes");
        assert_eq!(renew(&a, &node_a, ttl).await.expect("renew"), vec![Lease { session: "S".into(), epoch: 1 }]);

        // The first node stops renewing (paused, cut off); its lease runs out.
        tokio::time::sleep(ttl + Duration::from_millis(100)).await;
        let taken = acquire(&mut conn_b, "S", &node_b, ttl).await.expect("take over");
        assert_eq!(taken, Claim::Held(Lease { session: "S".into(), epoch: 2 }));

        let refused = insert(&a, "S", Some(1)).await.expect_err("a stale epoch is refused");
        assert!(is_fenced(&refused), "{refused}");
        assert_eq!(count(&a, "S").await, 1, "nothing of the stale write landed");
        assert!(renew(&a, &node_a, ttl).await.expect("renew").is_empty(), "the old owner holds nothing");
        let refused = insert(&b, "S", None).await.expect_err("no epoch, no write");
        assert!(is_fenced(&refused), "{refused}");
        insert(&b, "S", Some(2)).await.expect("the new owner writes");
        assert_eq!(count(&b, "S").await, 2);
        // A multi-row insert with one stale row is refused whole.
        let mixed = sqlx::query(
            "INSERT INTO events (session, at, event, epoch) VALUES ('S', 2, '\"Closed\"', 2), ('S', 3, '\"Closed\"', 1)",
        )
        .execute(&b)
        .await
        .expect_err("one stale row refuses the statement");
        assert!(is_fenced(&mixed));
        assert_eq!(count(&b, "S").await, 2);
        // Releasing keeps the epoch: the next owner goes on from it.
        assert_eq!(release(&b, &node_b).await.expect("release"), 1);
        let next = acquire(&mut conn_a, "S", &node_a, ttl).await.expect("acquire");
        assert_eq!(next, Claim::Held(Lease { session: "S".into(), epoch: 3 }));
    }

    fn record(code: &str) -> SessionRecord {
        SessionRecord {
            code: code.to_owned(),
            series: code.to_owned(),
            title: code.to_owned(),
            host_key_hash: "h".to_owned(),
            present_key_hash: "p".to_owned(),
            created_at: 1,
            closed_at: None,
        }
    }

    /// Through the journal: a node writes under its lease; another node takes the lease over
    /// (as after a pause past its length); the first node's next appends are reported not
    /// saved, nothing of them lands, it hears that it lost the session, and its other
    /// session's appends in the same batches are saved. A second server on a database whose
    /// leases a live node keeps renewing refuses to start.
    #[tokio::test]
    async fn the_journal_of_a_node_that_lost_its_lease_refuses_its_writes() {
        let url = Scratch::shared().database().await;
        let dir = tempfile::tempdir().expect("dir");
        let options = Options { lease_ttl: Duration::from_millis(600), ..Options::new(url.clone()) };
        let (journal, writer) = Journal::open_with(dir.path(), Some(&options)).await.expect("open");
        let mut lost = journal.lost().expect("PostgreSQL journals report lost leases");
        journal.create(record("S"), vec![Event::SetOpen { open: true }]).await.expect("create");
        journal.create(record("T"), Vec::new()).await.expect("create");
        let (s, t): (Arc<str>, Arc<str>) = ("S".into(), "T".into());
        let (to_s, mut heard_s) = mpsc::unbounded_channel();
        let (to_t, mut heard_t) = mpsc::unbounded_channel();
        journal.append(&s, 2, Event::Reveal { show: true }, Some(1), &to_s).await.expect("append");
        assert!(heard_s.recv().await.expect("settled").saved);

        // Another node takes S over, as it would once the lease had run out.
        let other = PgPool::connect(&url).await.expect("pool");
        let mut tx = other.begin().await.expect("begin");
        sqlx::query("UPDATE leases SET expires_at = now() - interval '1 second' WHERE session = 'S'")
            .execute(&mut *tx)
            .await
            .expect("expire");
        let taken = acquire(&mut tx, "S", &node_id(), Duration::from_secs(60)).await.expect("take over");
        assert_eq!(taken, Claim::Held(Lease { session: "S".into(), epoch: 2 }));
        tx.commit().await.expect("commit");

        for at in 3..10 {
            journal.append(&s, at, Event::Reveal { show: at % 2 == 0 }, Some(at as u64), &to_s).await.expect("append");
            journal.append(&t, at, Event::Reveal { show: at % 2 == 0 }, Some(at as u64), &to_t).await.expect("append");
        }
        let mut refused = 0;
        while refused < 7 {
            let settled = heard_s.recv().await.expect("settled");
            assert!(!settled.saved, "a write after the take-over was reported saved");
            refused += settled.events;
        }
        let mut saved = 0;
        while saved < 7 {
            let settled = heard_t.recv().await.expect("settled");
            assert!(settled.saved, "the session still held was refused too");
            saved += settled.events;
        }
        assert_eq!(lost.recv().await.expect("lost"), "S");
        assert_eq!(count(&other, "S").await, 2, "only what was written under epoch 1");
        assert_eq!(count(&other, "T").await, 7);

        let second = tempfile::tempdir().expect("dir");
        let refused = Journal::open_with(second.path(), Some(&options)).await.err().expect("a second live owner");
        // S is the other node's now, T still this one's: both are renewed, neither is free.
        assert!(matches!(&refused, JournalError::Owned { .. }), "{refused}");

        drop(journal);
        writer.finished().await;
        let expires: bool = sqlx::query_scalar("SELECT expires_at <= now() FROM leases WHERE session = 'T'")
            .fetch_one(&other)
            .await
            .expect("lease");
        assert!(expires, "an orderly stop lets its leases go");
    }
}
