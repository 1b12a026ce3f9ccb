//! Prometheus metrics, served at `GET /metrics` from the same server (no second listener).
//!
//! The recorder is process-wide: installed once, it collects from every part of the server.
//! Names are listed here so that the dashboard and the code agree on them.

use std::sync::OnceLock;

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Open WebSocket connections, by `role` (participant, host, presenter).
pub const CONNECTIONS: &str = "chorus_connections";
/// Session tasks running (live, or closed and loaded for their facilitator).
pub const SESSIONS: &str = "chorus_sessions";
/// Participants' requests (answers, words, notes, dots) received by sessions.
pub const REQUESTS: &str = "chorus_requests_total";
/// Requests acknowledged after their commit.
pub const ACKS: &str = "chorus_acks_total";
/// Requests refused, by `code`.
pub const REFUSALS: &str = "chorus_refusals_total";
/// Events written per journal transaction.
pub const JOURNAL_BATCH: &str = "chorus_journal_batch_size";
/// Time to write and commit one journal transaction.
pub const JOURNAL_COMMIT: &str = "chorus_journal_commit_seconds";
/// Journal transactions that failed (nothing in them was kept).
pub const JOURNAL_FAILURES: &str = "chorus_journal_failures_total";
/// Frames a session published into its views, by `view` (staff, projector, audience). Each
/// is serialised once, however many read it.
pub const FRAMES_PUBLISHED: &str = "chorus_frames_published_total";
/// Frames written to sockets. Against the published ones, this shows how much coalescing
/// saves: a slow reader skips to the newest frame.
pub const FRAMES_SENT: &str = "chorus_frames_sent_total";
/// Connections closed for being silent too long.
pub const TIMEOUTS: &str = "chorus_connection_timeouts_total";
/// Connections closed for flooding.
pub const FLOOD_CLOSES: &str = "chorus_flood_closes_total";
/// Connections closed because they did not take what was sent to them (close code 4008).
pub const SLOW_CLOSES: &str = "chorus_slow_consumer_closes_total";

/// Sessions whose lease this node holds (journal in PostgreSQL).
pub const LEASES_HELD: &str = "chorus_leases_held";
/// Lease renewals that kept every lease, and ones that found a lease taken.
pub const LEASE_RENEWALS: &str = "chorus_lease_renewals_total";
/// Leases this node took from another node after they expired (take-overs).
pub const LEASE_TAKEOVERS: &str = "chorus_lease_takeovers_total";
/// Leases this node lost to another node; its writes to those sessions are refused (fencing).
pub const LEASES_LOST: &str = "chorus_leases_lost_total";
/// Sessions this node owns and serves to the other nodes of a cluster (`--nats-url`).
pub const SESSIONS_OWNED: &str = "chorus_sessions_owned";
/// Calls this node forwarded to a session's owner on another node (requests, joins, beats).
pub const FORWARDED: &str = "chorus_forwarded_total";
pub const FORWARD_RETRIES: &str = "chorus_forward_retries_total";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the recorder (once per process) and returns its handle.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new().install_recorder().ok()?;
            describe_gauge!(CONNECTIONS, "Open WebSocket connections, by role.");
            describe_gauge!(SESSIONS, "Session tasks running.");
            describe_counter!(REQUESTS, "Participants' requests received.");
            describe_counter!(ACKS, "Requests acknowledged after commit.");
            describe_counter!(REFUSALS, "Requests refused, by code.");
            describe_histogram!(JOURNAL_BATCH, Unit::Count, "Events per journal transaction.");
            describe_histogram!(JOURNAL_COMMIT, Unit::Seconds, "Time to write and commit a journal transaction.");
            describe_counter!(JOURNAL_FAILURES, "Journal transactions that failed.");
            describe_counter!(FRAMES_PUBLISHED, "Frames published into views, by view.");
            describe_counter!(FRAMES_SENT, "Frames written to sockets.");
            describe_counter!(TIMEOUTS, "Connections closed for silence.");
            describe_counter!(SLOW_CLOSES, "Connections closed for not reading what was sent to them.");
            describe_counter!(FLOOD_CLOSES, "Connections closed for flooding.");
            describe_gauge!(LEASES_HELD, "Sessions whose lease this node holds (PostgreSQL).");
            describe_counter!(LEASE_RENEWALS, "Lease renewals, by outcome (kept, lost).");
            describe_counter!(LEASE_TAKEOVERS, "Leases taken over from another node after they expired.");
            describe_counter!(LEASES_LOST, "Leases lost to another node; writes to those sessions are refused.");
            describe_gauge!(SESSIONS_OWNED, "Sessions this node owns and serves to other nodes (cluster).");
            describe_counter!(FORWARDED, "Calls forwarded to a session's owner on another node (cluster).");
            describe_counter!(
                FORWARD_RETRIES,
                "Forwarded calls sent again because the owner did not answer in time (cluster)."
            );
            Some(handle)
        })
        .as_ref()
}

/// The counter of frames written to sockets, looked up once: `counter!` looks its key up on
/// every call, and this one counts every frame to every phone.
pub fn frames_sent() -> &'static metrics::Counter {
    static FRAMES: OnceLock<metrics::Counter> = OnceLock::new();
    FRAMES.get_or_init(|| {
        // The handle binds to the recorder installed when it is made.
        install();
        metrics::counter!(FRAMES_SENT)
    })
}

/// The metrics in Prometheus' text format.
pub fn render() -> String {
    install().map(PrometheusHandle::render).unwrap_or_default()
}
