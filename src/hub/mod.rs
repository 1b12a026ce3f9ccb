//! The hub: the registry of sessions and the tasks that own them.
//!
//! [`Hub`] maps join codes to [`SessionHandle`]s in a `DashMap`. A handle is a cheap clone:
//! the command channel into the session task, the receiving ends of its two views, and what
//! is needed to check keys without asking the task. Sessions that were not closed are
//! rebuilt from the journal when the hub starts; closed ones are loaded on first use, for
//! their facilitator to read.

pub mod remote;
pub mod session;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dashmap::{DashMap, DashSet};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{debug, info, warn};

use crate::session::SessionState;
pub use crate::session::{Control, RecentRequests, Request};
pub use session::{Command, Frame, Frames, Joined};

use crate::activity::{Activity, normalise_agenda};
use crate::auth;
use crate::cluster::forward::{ForwardError, Nats};
use crate::cluster::lease::Claim;
use crate::error::{ErrorCode, Refusal};
use crate::guard::{BudgetLimits, Budgets};
use crate::journal::{Event, Journal, JournalError, Reader, SessionRecord, now_ms};
use crate::protocol::{CopyFrom, ParticipantId};
use remote::{CallError, Cluster, RemoteLink};

/// Commands that may wait for a session task before senders have to wait.
const COMMAND_QUEUE: usize = 4096;

/// Limits a server enforces; every one answers with a clear refusal when reached.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Sessions not yet closed.
    pub live_sessions: usize,
    /// Participants one session may have.
    pub participants: u32,
    /// Messages a participant may send per second, sustained.
    pub participant_rate: NonZeroU32,
    /// Messages a participant may send in a burst.
    pub participant_burst: NonZeroU32,
    /// Budgets per client address: failed joins and admin tokens, new participants,
    /// participants' messages, sessions created (see [`crate::guard`]).
    pub budgets: BudgetLimits,
    /// Participants' changes one session stores at most, and bytes of their messages.
    pub session_events: u64,
    pub session_bytes: u64,
    /// How often the server pings each connection.
    pub heartbeat: Duration,
    /// A connection silent this long (no message, no pong) is closed (1001).
    pub silent_after: Duration,
    /// A connection that has not taken a frame within this time is too slow to keep up: it
    /// is closed (4008) rather than let its backlog grow.
    pub write_stall: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            live_sessions: 1000,
            participants: 20_000,
            participant_rate: nz(10),
            participant_burst: nz(30),
            budgets: BudgetLimits::default(),
            session_events: 500_000,
            session_bytes: 128 * 1024 * 1024,
            heartbeat: Duration::from_secs(15),
            silent_after: Duration::from_secs(40),
            write_stall: Duration::from_secs(10),
        }
    }
}

fn nz(n: u32) -> NonZeroU32 {
    crate::guard::nz(n)
}

/// What participants of a session have sent toward its stored events, counted as messages
/// are taken (a message later refused counts too, so a cap is reached early, never late).
#[derive(Default)]
pub struct Usage {
    events: AtomicU64,
    bytes: AtomicU64,
}

/// A cheap handle to one session task.
#[derive(Clone)]
pub struct SessionHandle {
    pub code: String,
    /// The key hashes the session started with; the journal's are checked first (see
    /// [`SessionHandle::keys`]).
    host_key_hash: Arc<str>,
    present_key_hash: Arc<str>,
    reader: Reader,
    commands: mpsc::Sender<Command>,
    pub staff: watch::Receiver<Frames>,
    pub projector: watch::Receiver<Frames>,
    pub audience: watch::Receiver<Frames>,
    /// Participants connected now; connections count themselves in and out.
    pub online: Arc<AtomicU32>,
    /// Per-participant message budget, shared by all of a participant's connections.
    pub limiter: Arc<DefaultKeyedRateLimiter<ParticipantId>>,
    /// Addresses someone joined (or ran) this session from. A guesser behind one of them
    /// learns nothing by being let in: the code is already known there, on the projector.
    admitted: Arc<DashSet<IpAddr>>,
    /// The server's budgets per address.
    budgets: Arc<Budgets>,
    usage: Arc<Usage>,
    caps: (u64, u64),
    /// Set when another node owns the session: commands go there (see [`remote`]).
    remote: Option<Arc<RemoteLink>>,
}

impl SessionHandle {
    /// The session's key hashes as the journal holds them now: `chorus console-link` may
    /// have changed them from another process, and the old key must stop working at once.
    /// Keys are checked when a console or projector connects and on the host's HTTP calls,
    /// a few times a session, so a read each time costs nothing that matters. Should the
    /// read fail, the hashes the session started with are used. `None` when the journal no
    /// longer has the session: it was deleted (on a node that relays it, by its owner, a
    /// moment before this node's relay heard of it).
    async fn keys(&self) -> Option<(Arc<str>, Arc<str>)> {
        match self.reader.session(&self.code).await {
            Ok(Some(record)) => Some((record.host_key_hash.into(), record.present_key_hash.into())),
            Ok(None) => None,
            Err(_) => Some((self.host_key_hash.clone(), self.present_key_hash.clone())),
        }
    }

    /// Whether `key` is this session's host key; `not_found` when the session was deleted,
    /// as a server that never had it in memory would say.
    pub async fn is_host(&self, key: &str) -> Result<bool, Refusal> {
        let (host, _) = self.keys().await.ok_or_else(Refusal::not_found)?;
        Ok(auth::secret_matches(key, &host))
    }

    /// Whether `key` may open the projector view (the presenter key, or the host key);
    /// `not_found` when the session was deleted.
    pub async fn is_presenter(&self, key: &str) -> Result<bool, Refusal> {
        let (host, present) = self.keys().await.ok_or_else(Refusal::not_found)?;
        Ok(auth::secret_matches(key, &present) || auth::secret_matches(key, &host))
    }

    /// Whether the session has ended (closed or deleted): its screens were told so.
    pub fn is_closed(&self) -> bool {
        self.staff.borrow().closed.is_some()
    }

    /// Spends from the budgets a participant's message of `bytes` from `address` takes: the
    /// address's message budget, and the session's caps on stored changes.
    pub fn spend_write(&self, address: Option<IpAddr>, bytes: usize) -> Result<(), Refusal> {
        if let Some(address) = address
            && self.budgets.writes.spend(address).is_err()
        {
            return Err(Refusal::new(
                ErrorCode::RateLimited,
                "Too many messages are coming from your network right now. Please wait a moment and try again.",
            ));
        }
        let (max_events, max_bytes) = self.caps;
        let events = self.usage.events.fetch_add(1, Ordering::Relaxed);
        let stored = self.usage.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        if events >= max_events || stored + bytes as u64 > max_bytes {
            self.usage.events.fetch_sub(1, Ordering::Relaxed);
            self.usage.bytes.fetch_sub(bytes as u64, Ordering::Relaxed);
            return Err(Refusal::new(
                ErrorCode::LimitReached,
                "This session has stored as much as it can. Ask the facilitator to start a new session.",
            ));
        }
        Ok(())
    }

    /// The link to the session's owner when another node owns it: connections send their
    /// participants' and facilitator's messages there as they came.
    pub fn remote(&self) -> Option<&Arc<RemoteLink>> {
        self.remote.as_ref()
    }

    /// Remembers that someone joined or ran this session from `address`.
    pub fn admit(&self, address: IpAddr) {
        self.admitted.insert(address);
    }

    /// Sends a command and waits for its answer.
    pub async fn request<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> Result<T, Refusal> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(make(reply)).await.map_err(|_| Refusal::unavailable())?;
        answer.await.map_err(|_| Refusal::unavailable())
    }

    /// Sends a command whose answer arrives later on the returned receiver.
    pub async fn submit<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<oneshot::Receiver<T>, Refusal> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(make(reply)).await.map_err(|_| Refusal::unavailable())?;
        Ok(answer)
    }
}

/// Keeps the participant count honest: counts a connection in, and out when dropped.
pub struct OnlineGuard(Arc<AtomicU32>);

impl OnlineGuard {
    pub fn new(online: &Arc<AtomicU32>) -> Self {
        online.fetch_add(1, Ordering::Relaxed);
        Self(online.clone())
    }
}

impl Drop for OnlineGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A session just created: its keys exist only here.
pub struct NewSession {
    pub code: String,
    pub host_key: String,
    pub present_key: String,
    pub agenda: Vec<Activity>,
}

/// The registry of sessions. Clones share it.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    sessions: DashMap<String, SessionHandle>,
    journal: Journal,
    limits: Limits,
    data_dir: PathBuf,
    budgets: Arc<Budgets>,
    shutdown: watch::Sender<bool>,
    /// The runtime session tasks run on: the one the hub started on, where the journal
    /// writer runs too (see [`Hub::start`]).
    sessions_runtime: tokio::runtime::Handle,
    /// This node's part in a cluster (`--nats-url`); `None` on one node.
    cluster: Option<Arc<Cluster>>,
    /// Tells remote handles apart.
    next_remote: AtomicU64,
}

impl Hub {
    /// Starts the hub and rebuilds every session that was not closed from its events.
    ///
    /// Session tasks run on the runtime this is called on (the server's main one, beside the
    /// journal writer), wherever the request that creates or loads a session is served. A
    /// session spawned from an HTTP handler would otherwise share an actix worker's thread
    /// with thousands of connection tasks: under a stream of answers it got one turn per
    /// round of them, and its hand-offs to and from the journal each crossed threads.
    pub async fn start(journal: Journal, limits: Limits, data_dir: PathBuf) -> Result<Self, JournalError> {
        Self::start_in(journal, limits, data_dir, None).await
    }

    /// [`Hub::start`], in a cluster when `nats` is given (the journal then in PostgreSQL):
    /// this node takes the open sessions whose lease is free, and leaves the others to their
    /// owners; it hands a session back when another node takes it over.
    pub async fn start_in(
        journal: Journal,
        limits: Limits,
        data_dir: PathBuf,
        nats: Option<Nats>,
    ) -> Result<Self, JournalError> {
        let cluster = match (nats, journal.node()) {
            (Some(nats), Some((node, lease_ttl))) => {
                Some(Arc::new(Cluster::new(nats, node, lease_ttl, journal.reader().clone())))
            }
            _ => None,
        };
        let budgets = Arc::new(Budgets::new(&limits.budgets));
        let hub = Self {
            inner: Arc::new(Inner {
                sessions: DashMap::new(),
                journal,
                limits,
                data_dir,
                budgets,
                shutdown: watch::channel(false).0,
                sessions_runtime: tokio::runtime::Handle::current(),
                cluster,
                next_remote: AtomicU64::new(1),
            }),
        };
        let open = hub.inner.journal.reader().open_sessions().await?;
        let count = open.len();
        if let Some(cluster) = hub.inner.cluster.clone() {
            // Sessions another node serves stay with it, even those whose lease lapsed (a
            // node restarted by its supervisor as PostgreSQL comes back from an outage would
            // otherwise take every session over before their owners renew). Asked all at
            // once: an owner paused past its lease costs the start a second, not a second
            // per session.
            let served = futures_util::future::join_all(
                open.iter().map(|record| cluster.nats.served(&record.code, Duration::from_secs(1))),
            )
            .await;
            let mut owned = 0;
            for (record, served) in open.into_iter().zip(served) {
                if served {
                    continue;
                }
                if let Some(Claim::Held(lease)) = hub.inner.journal.claim(&record.code).await? {
                    if lease.epoch > 1 {
                        metrics::counter!(crate::metrics::LEASE_TAKEOVERS).increment(1);
                    }
                    let handle = hub.load(record).await?;
                    hub.serve(&cluster, &handle, lease.epoch).await;
                    owned += 1;
                }
            }
            hub.hand_back_lost_sessions();
            info!(sessions = count, owned, node = cluster.node, "live sessions: those free are owned here");
            return Ok(hub);
        }
        for record in open {
            hub.load(record).await?;
        }
        info!(sessions = count, "live sessions restored from the journal");
        Ok(hub)
    }

    /// This node's part in the cluster, if any.
    pub fn cluster(&self) -> Option<&Arc<Cluster>> {
        self.inner.cluster.as_ref()
    }

    /// Serves a session this node owns over NATS.
    async fn serve(&self, cluster: &Arc<Cluster>, handle: &SessionHandle, epoch: i64) {
        if let Err(err) = cluster.serve(Arc::downgrade(&self.inner), handle, epoch).await {
            warn!(%err, session = handle.code, "other nodes cannot reach this session now");
        }
    }

    /// Hands back every session whose lease another node takes from this one (this node was
    /// paused or cut off past its lease): the session stops here, its connections are told to
    /// reconnect, and reach the new owner through whichever node they land on.
    fn hand_back_lost_sessions(&self) {
        let Some(mut lost) = self.inner.journal.lost() else { return };
        let hub = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            loop {
                let code = match lost.recv().await {
                    Ok(code) => code,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                };
                let Some(inner) = hub.upgrade() else { return };
                Hub { inner }.hand_back(&code).await;
            }
        });
    }

    async fn hand_back(&self, code: &str) {
        if let Some(cluster) = &self.inner.cluster {
            cluster.unserve(code).await;
        }
        if let Some((_, handle)) = self.inner.sessions.remove_if(code, |_, handle| handle.remote.is_none()) {
            warn!(session = code, "another node took this session over; its connections here reconnect");
            let _ = handle.commands.send(Command::Release).await;
        }
    }

    pub fn journal(&self) -> &Journal {
        &self.inner.journal
    }

    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The budgets per client address.
    pub fn budgets(&self) -> &Budgets {
        &self.inner.budgets
    }

    /// Spends a participant's join attempt from `address`'s budget of new participants;
    /// `false` once it is spent: then only a resume with a token gets in.
    pub fn join_budget(&self, address: Option<IpAddr>) -> bool {
        address.is_none_or(|address| self.inner.budgets.joins.spend(address).is_ok())
    }

    /// Replays a session from the journal and starts its task.
    async fn load(&self, record: SessionRecord) -> Result<SessionHandle, JournalError> {
        self.load_as(record, false).await
    }

    /// [`Hub::load`]; with `keep_existing`, a session registered meanwhile (another request
    /// loading it at the same time) is kept and returned, and nothing is started for this
    /// load.
    async fn load_as(&self, record: SessionRecord, keep_existing: bool) -> Result<SessionHandle, JournalError> {
        let events = self.inner.journal.reader().events(&record.code).await?;
        let usage = Usage {
            events: AtomicU64::new(events.iter().filter(|stored| stored.event.participant().is_some()).count() as u64),
            bytes: AtomicU64::new(self.inner.journal.reader().stored_bytes(&record.code).await?),
        };
        let mut state = SessionState::new(&record);
        let mut recent = RecentRequests::default();
        for stored in events {
            // A refused event was never acknowledged: skipping it is what happened live.
            if state.apply(&stored.event, stored.at).is_ok()
                && let (Some(participant), Some(request)) = (stored.event.participant(), stored.request)
            {
                recent.record(participant, request);
            }
        }
        Ok(self.spawn(&record, state, recent, usage, keep_existing))
    }

    fn spawn(
        &self,
        record: &SessionRecord,
        state: SessionState,
        recent: RecentRequests,
        usage: Usage,
        keep_existing: bool,
    ) -> SessionHandle {
        let (commands, queue) = mpsc::channel(COMMAND_QUEUE);
        let (staff_tx, staff) = watch::channel(Frames::default());
        let (projector_tx, projector) = watch::channel(Frames::default());
        let (audience_tx, audience) = watch::channel(Frames::default());
        let online = Arc::new(AtomicU32::new(0));
        let limits = &self.inner.limits;
        let limiter = Arc::new(RateLimiter::keyed(
            Quota::per_second(limits.participant_rate).allow_burst(limits.participant_burst),
        ));
        let handle = SessionHandle {
            code: record.code.clone(),
            host_key_hash: record.host_key_hash.as_str().into(),
            present_key_hash: record.present_key_hash.as_str().into(),
            reader: self.inner.journal.reader().clone(),
            commands,
            staff,
            projector,
            audience,
            online: online.clone(),
            limiter,
            admitted: Arc::new(DashSet::new()),
            budgets: self.inner.budgets.clone(),
            usage: Arc::new(usage),
            caps: (limits.session_events, limits.session_bytes),
            remote: None,
        };
        let outlets = session::Outlets {
            staff: staff_tx,
            projector: projector_tx,
            audience: audience_tx,
            online,
            max_participants: limits.participants,
            data_dir: self.inner.data_dir.clone(),
        };
        // Registered and started under the map's lock on the code: two loads of one closed
        // session at once must not leave two sessions running, each applying (and
        // journalling) its own requests with a state that lacks the other's.
        match self.inner.sessions.entry(record.code.clone()) {
            dashmap::Entry::Occupied(existing) if keep_existing => existing.get().clone(),
            entry => {
                self.inner.sessions_runtime.spawn(session::run(
                    state,
                    recent,
                    self.inner.journal.clone(),
                    queue,
                    outlets,
                ));
                entry.insert(handle.clone());
                handle
            }
        }
    }

    /// The session with this code: live, or loaded from the journal if it was closed.
    pub async fn get(&self, code: &str) -> Result<SessionHandle, Refusal> {
        if let Some(handle) = self.inner.sessions.get(code) {
            return Ok(handle.clone());
        }
        let code = auth::parse_join_code(code).ok_or_else(Refusal::not_found)?;
        let record =
            self.inner.journal.reader().session(&code).await.map_err(internal)?.ok_or_else(Refusal::not_found)?;
        if let Some(cluster) = self.inner.cluster.clone() {
            return self.get_in_cluster(&cluster, record).await;
        }
        // Two requests may load the same closed session at once; the first one registered wins
        // and the other gets its handle (nothing was written between: a loaded session writes
        // only what its handle is asked).
        if let Some(handle) = self.inner.sessions.get(&code) {
            return Ok(handle.clone());
        }
        let handle = self.load_as(record, true).await.map_err(internal)?;
        // A delete that ran while this was loading must not leave the session behind.
        if self.inner.journal.reader().session(&code).await.map_err(internal)?.is_none() {
            self.inner.sessions.remove(&code);
            return Err(Refusal::not_found());
        }
        Ok(handle)
    }

    /// A session not in memory here, in a cluster: relayed from its owner if one answers,
    /// else owned here if its lease is free (taken before its events are read, so that
    /// nobody else writes it meanwhile). An owner that does not answer (killed, cut off)
    /// leaves its lease to expire: this waits for that, trying again every quarter second,
    /// and then takes the session over, unless another node was quicker (then it is relayed
    /// from that one).
    async fn get_in_cluster(&self, cluster: &Arc<Cluster>, record: SessionRecord) -> Result<SessionHandle, Refusal> {
        let code = record.code.clone();
        let _loading = cluster.loading.lock(&code).await;
        if let Some(handle) = self.inner.sessions.get(&code) {
            return Ok(handle.clone());
        }
        let give_up = Instant::now() + cluster.lease_ttl + Duration::from_secs(5);
        loop {
            // The owner is asked first, the lease only if nobody answers: an owner that serves
            // the session keeps it even when its lease lapsed meanwhile (PostgreSQL was away,
            // so nobody could renew it) and it has not renewed it yet; taking it over then
            // would move the session and send its phones reconnecting for nothing. Relaying
            // also costs no write to the database this way. Unless its lease has run out and
            // nobody answers at once (an owner answers a ping in milliseconds): then it was
            // paused or cut off past its lease, and waiting out a forwarded call's 3 s would
            // only delay the take-over.
            let gone =
                cluster.lease_lapsed(&code).await && !cluster.nats.served(&code, Duration::from_millis(500)).await;
            let unanswered = match gone {
                true => ForwardError::NoOwner { session: code.clone() },
                false => match remote::watch(cluster, &code).await {
                    Ok((frames, watched)) => return Ok(self.relay(cluster, &record, frames, watched)),
                    Err(CallError::Refused(refusal)) => return Err(refusal),
                    Err(CallError::Forward(err)) => err,
                },
            };
            match self.inner.journal.claim(&code).await.map_err(internal)? {
                Some(Claim::Busy { owner, expires_in }) => {
                    if Instant::now() > give_up {
                        warn!(err = %unanswered, session = code, owner, "the session's owner does not answer");
                        return Err(Refusal::unavailable());
                    }
                    debug!(err = %unanswered, session = code, owner, "waiting for the session's owner or its lease to expire");
                    tokio::time::sleep(expires_in.clamp(Duration::from_millis(50), Duration::from_millis(250))).await;
                }
                Some(Claim::Held(lease)) => {
                    if lease.epoch > 1 {
                        metrics::counter!(crate::metrics::LEASE_TAKEOVERS).increment(1);
                        info!(session = code, epoch = lease.epoch, "session taken over");
                    }
                    let handle = self.load(record).await.map_err(internal)?;
                    self.serve(cluster, &handle, lease.epoch).await;
                    return Ok(handle);
                }
                None => return self.load(record).await.map_err(internal),
            }
        }
    }

    /// A handle to a session another node owns, kept up to date by a relay task.
    fn relay(
        &self,
        cluster: &Arc<Cluster>,
        record: &SessionRecord,
        frames: async_nats::Subscriber,
        watched: remote::Watched,
    ) -> SessionHandle {
        let (commands, queue) = mpsc::channel(COMMAND_QUEUE);
        let [staff_view, projector_view, audience_view] = watched.views.unwrap_or_default();
        let (staff_tx, staff) = watch::channel(staff_view);
        let (projector_tx, projector) = watch::channel(projector_view);
        let (audience_tx, audience) = watch::channel(audience_view);
        let online = Arc::new(AtomicU32::new(0));
        let limits = &self.inner.limits;
        let id = self.inner.next_remote.fetch_add(1, Ordering::Relaxed);
        let failed = Arc::new(tokio::sync::Notify::new());
        let handle = SessionHandle {
            code: record.code.clone(),
            host_key_hash: record.host_key_hash.as_str().into(),
            present_key_hash: record.present_key_hash.as_str().into(),
            reader: self.inner.journal.reader().clone(),
            commands,
            staff,
            projector,
            audience,
            online: online.clone(),
            limiter: Arc::new(RateLimiter::keyed(
                Quota::per_second(limits.participant_rate).allow_burst(limits.participant_burst),
            )),
            admitted: Arc::new(DashSet::new()),
            budgets: self.inner.budgets.clone(),
            usage: Arc::new(Usage::default()),
            caps: (limits.session_events, limits.session_bytes),
            remote: Some(Arc::new(RemoteLink { cluster: cluster.clone(), id, failed: failed.clone() })),
        };
        let relay = remote::Relay {
            cluster: cluster.clone(),
            hub: Arc::downgrade(&self.inner),
            code: record.code.clone(),
            owner: watched.owner,
            views: [staff_tx, projector_tx, audience_tx],
            commands: queue,
            online,
            frames,
            id,
            failed,
        };
        info!(session = record.code, owner = relay.owner, "session relayed from its owner");
        self.inner.sessions_runtime.spawn(relay.run());
        self.inner.sessions.insert(record.code.clone(), handle.clone());
        handle
    }

    /// The session with this code, after [`Hub::join_guarded`] counted the attempt: a caller
    /// `guarded` for guessing hears `rate_limited` instead of `not_found`, the same answer a
    /// right code gets.
    pub async fn find(&self, code: &str, _peer: Option<IpAddr>, guarded: bool) -> Result<SessionHandle, Refusal> {
        match self.get(code).await {
            Err(refusal) if refusal.code == ErrorCode::NotFound => {
                Err(if guarded { Refusal::rate_limited() } else { refusal })
            }
            found => found,
        }
    }

    /// Creates a session and stores it before answering.
    pub async fn create(
        &self,
        title: &str,
        agenda: Option<Vec<Activity>>,
        copy_from: Option<&CopyFrom>,
        about_you: Option<crate::session::groups::AboutYou>,
    ) -> Result<NewSession, Refusal> {
        // Closed sessions stay loaded a while for their facilitator; they are not live.
        let live = self.inner.sessions.iter().filter(|entry| !entry.value().is_closed()).count();
        if live >= self.inner.limits.live_sessions {
            return Err(Refusal::new(
                ErrorCode::LimitReached,
                "This server is running as many sessions as it may. Close a session and try again.",
            ));
        }
        let title = crate::activity::clean_text(title, "session title", crate::activity::MAX_TITLE_CHARS, true)
            .map_err(|r| Refusal::new(ErrorCode::InvalidMessage, r.message))?;
        let (series, copied) = match copy_from {
            Some(source) => {
                let handle = self.get(&source.code).await?;
                if !handle.is_host(&source.host_key).await.map_err(|gone| self.gone(&source.code, gone, false))? {
                    return Err(Refusal::unauthorized());
                }
                let info = handle
                    .request(|reply| Command::Info { join_url: String::new(), present_key: String::new(), reply })
                    .await??;
                (Some(info.series), Some(info.agenda))
            }
            None => (None, None),
        };
        let mut agenda = agenda.or(copied).unwrap_or_default();
        normalise_agenda(&mut agenda, session::new_activity_id)?;

        let code = self.unused_code().await?;
        let host_key = auth::new_secret();
        let present_key = auth::present_key_for(&host_key);
        let record = SessionRecord {
            code: code.clone(),
            series: series.unwrap_or_else(|| code.clone()),
            title,
            host_key_hash: auth::hash_secret(&host_key),
            present_key_hash: auth::hash_secret(&present_key),
            created_at: now_ms(),
            closed_at: None,
        };
        let mut events = vec![Event::AgendaReplaced { agenda: agenda.clone() }];
        events.extend(about_you.map(|about_you| Event::AboutYou { about_you: Some(about_you) }));
        self.inner.journal.create(record.clone(), events.clone()).await.map_err(|err| {
            warn!(%err, "a session could not be stored");
            Refusal::new(ErrorCode::NotSaved, "The session could not be saved. Please try again.")
        })?;
        let state = SessionState::replay(&record, events.into_iter().map(|event| (record.created_at, event)));
        let handle = self.spawn(&record, state, RecentRequests::default(), Usage::default(), false);
        if let Some(cluster) = &self.inner.cluster {
            // Its lease was taken with it, at the first epoch.
            self.serve(cluster, &handle, 1).await;
        }
        info!(code = %code, series = %record.series, "session created");
        Ok(NewSession { code, host_key, present_key, agenda })
    }

    async fn unused_code(&self) -> Result<String, Refusal> {
        for _ in 0..32 {
            let code = auth::new_join_code();
            if !self.inner.sessions.contains_key(&code)
                && self.inner.journal.reader().session(&code).await.map_err(internal)?.is_none()
            {
                return Ok(code);
            }
        }
        Err(Refusal::new(ErrorCode::Internal, "No free join code was found. Please try again."))
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// Deletes a session and everything of it: its task stops (screens are told it ended),
    /// its events and row leave the database, its export files are removed.
    pub async fn delete(&self, code: &str) -> Result<(), Refusal> {
        let remote = self.inner.sessions.get(code).and_then(|handle| handle.remote.clone());
        if let Some(link) = remote {
            // Its owner deletes it: only the holder of its lease may write the session.
            link.cluster.call(code, &remote::Call::Delete).await.map_err(CallError::refusal)?;
            self.inner.sessions.remove(code);
            info!(code, "session deleted by its owner");
            return Ok(());
        }
        if let Some((_, handle)) = self.inner.sessions.remove(code) {
            // A task that already stopped has nothing to say.
            let _ = handle.request(|reply| Command::Delete { reply }).await;
        }
        let owner = match &self.inner.cluster {
            Some(cluster) => {
                let owner = cluster.owner_of(code);
                cluster.unserve(code).await;
                owner.map(|owner| (cluster, owner))
            }
            None => None,
        };
        self.inner.journal.delete(code).await.map_err(|err| {
            warn!(%err, "a session could not be deleted");
            Refusal::new(ErrorCode::NotSaved, "The session could not be deleted. Please try again.")
        })?;
        if let Some((cluster, owner)) = owner {
            cluster.deleted(code, &owner).await;
        }
        // A closed session loaded meanwhile (see `get`) goes too.
        self.inner.sessions.remove(code);
        let dir = crate::export::export_dir(&self.inner.data_dir, code);
        if let Err(err) = tokio::fs::remove_dir_all(&dir).await
            && err.kind() != std::io::ErrorKind::NotFound
        {
            warn!(%err, dir = %dir.display(), "export files could not be removed");
        }
        info!(code, "session deleted");
        Ok(())
    }

    /// Closes the open sessions in which nothing happened for `idle` (no change by the
    /// facilitator or a participant since, and not created since): the same close as the
    /// facilitator's, journaled, with its exports written. Returns how many.
    pub async fn close_idle(&self, idle: Duration) -> Result<usize, Refusal> {
        let before = now_ms() - i64::try_from(idle.as_millis()).unwrap_or(i64::MAX);
        let idle_codes = self.inner.journal.reader().idle_since(before).await.map_err(internal)?;
        let mut closed = 0;
        for code in idle_codes {
            let handle = self.get(&code).await?;
            match handle.request(|reply| Command::Control { control: Control::Close, reply }).await {
                Ok(Ok(())) => {
                    closed += 1;
                    info!(code, idle_hours = idle.as_secs_f64() / 3600.0, "idle session closed");
                }
                Ok(Err(refusal)) | Err(refusal) => warn!(code, %refusal, "an idle session could not be closed"),
            }
        }
        Ok(closed)
    }

    /// Deletes closed sessions that closed more than `days` days ago. Returns how many.
    pub async fn purge(&self, days: u32) -> Result<usize, Refusal> {
        let before = now_ms() - i64::from(days) * 24 * 60 * 60 * 1000;
        let expired = self.inner.journal.reader().closed_before(before).await.map_err(internal)?;
        for code in &expired {
            self.delete(code).await?;
        }
        if !expired.is_empty() {
            info!(sessions = expired.len(), days, "closed sessions past the retention period deleted");
        }
        Ok(expired.len())
    }

    /// The refusal for a session found deleted after it was found (see
    /// [`SessionHandle::is_host`]): a relayed copy of it is forgotten here, and the caller
    /// hears what it would had the session not been found, `rate_limited` when guarded.
    pub fn gone(&self, code: &str, refusal: Refusal, guarded: bool) -> Refusal {
        self.inner.sessions.remove_if(code, |_, handle| handle.remote.is_some());
        if guarded && refusal.code == ErrorCode::NotFound { Refusal::rate_limited() } else { refusal }
    }

    /// The refusal for a wrong key to a session that exists. A wrong key tells that the code
    /// is right, so it counts as a failed attempt, like a wrong code, and a guarded caller
    /// hears the same `rate_limited` as for any code.
    pub fn wrong_key(&self, peer: Option<IpAddr>, guarded: bool) -> Refusal {
        if let Some(address) = peer {
            self.inner.budgets.failed_joins.failed(address);
        }
        if guarded { Refusal::rate_limited() } else { Refusal::unauthorized() }
    }

    /// Counts an attempt from `peer` to reach the session `code` (a join, a console, a
    /// projector, a host-API request, the QR code), and says whether it is guarded: the
    /// address has failed attempts on record, its budget for them is spent, and nobody joined
    /// or ran this session from it. A guarded caller is answered `rate_limited` whatever the
    /// code, so a guesser cannot tell a right code from a wrong one, and a made-up token does
    /// not get round it. A code that is not a live session's is a failed attempt, counted
    /// here (see [`crate::guard::Failures::guard`]); a code that is not 8 digits names no
    /// session and is no guess. An address with no failure on record is never guarded,
    /// whatever other addresses do; people in a room behind one address, where the session
    /// was already joined or run, carry on.
    ///
    /// In a cluster, a session that another node runs is not in memory here until someone
    /// asks for it: a code of 8 digits not in memory is looked up first (and the session
    /// relayed or taken), so that a room joining through this node is not taken for
    /// guessers. A guesser's codes cost a lookup each, and count as failures as before.
    pub async fn join_guarded(&self, peer: Option<IpAddr>, code: &str) -> bool {
        if self.inner.cluster.is_some()
            && let Some(code) = auth::parse_join_code(code)
            && !self.inner.sessions.contains_key(&code)
        {
            let _ = self.get(&code).await;
        }
        let Some(address) = peer else { return false };
        let inner = &self.inner;
        let live = auth::parse_join_code(code);
        let admitted = live
            .as_ref()
            .and_then(|code| inner.sessions.get(code).map(|handle| handle.admitted.contains(&address)))
            .unwrap_or(false);
        // Sessions in memory: live ones, and closed ones loaded for their facilitator (a
        // closed session not in memory counts as a miss; loading it makes it known).
        let known = || live.as_ref().is_none_or(|code| inner.sessions.contains_key(code));
        !admitted && inner.budgets.failed_joins.guard(address, known)
    }

    /// A receiver that turns `true` when the server begins to stop.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }

    /// Tells every connection to say goodbye (close code 1012) and leave.
    pub fn begin_shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }

    /// Unloads closed sessions. Screens still open on one keep it running until they go;
    /// the next to ask for it loads it again from the journal.
    pub fn unload_closed(&self) -> usize {
        let before = self.inner.sessions.len();
        let mut unloaded = Vec::new();
        self.inner.sessions.retain(|code, handle| {
            let closed = handle.is_closed();
            if closed && handle.remote.is_none() {
                unloaded.push(code.clone());
            }
            !closed
        });
        if let Some(cluster) = self.inner.cluster.clone() {
            tokio::spawn(async move {
                for code in unloaded {
                    cluster.unserve(&code).await;
                }
            });
        }
        before - self.inner.sessions.len()
    }

    /// Stops answering other nodes for the sessions owned here (the node is stopping): they
    /// find the owner gone at once, and take the sessions over once this node's writer has
    /// let their leases go.
    pub async fn leave_cluster(&self) {
        if let Some(cluster) = &self.inner.cluster {
            cluster.unserve_all().await;
        }
    }

    /// Drops every handle, so that each session task finishes its pending writes and stops.
    pub fn release_sessions(&self) {
        self.inner.sessions.clear();
    }
}

fn internal(err: JournalError) -> Refusal {
    warn!(%err, "journal read failed");
    Refusal::new(ErrorCode::Internal, "Something went wrong on the server. Please try again.")
}
