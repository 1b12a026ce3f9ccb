//! Sessions across nodes (`--database-url` with `--nats-url`): the owner's side and the
//! relaying side of a session.
//!
//! A session is run by one node, its owner (the holder of its lease, see
//! [`crate::cluster::lease`]): its task, its state, its writes. Any other node that is asked
//! for it (a phone, console or projector connected there) holds a **remote handle**: a
//! [`SessionHandle`] like a local one, whose commands go to the owner over NATS
//! request/reply ([`Call`]), and whose three views are copies of the owner's, kept by a relay
//! task from what the owner publishes. Connections cannot tell the difference, except that a
//! participant's or facilitator's message travels as the client's own message
//! ([`Call::Participate`], [`Call::Control`]), read on the owner: a request added to the
//! protocol needs nothing here.
//!
//! The owner publishes each view's [`Frames`] on `chorus.frames.<code>` when it changes, at
//! most once per [`STAFF_TICK`] per view, whatever the number of phones and nodes (NATS fans
//! it out to the nodes, each node to its connections), and only while some node relays the
//! session. A relay asks for the whole view when it starts and every [`BEAT`] says that it
//! is there and how many phones it holds (the owner adds them to the session's online
//! count). A call the owner does not answer in time is asked again within the lease's
//! length when it may be (see [`Cluster::call_until`]): a slow owner costs a wait, not a
//! reconnect. When no node serves the session any more (the owner was killed, stopped or
//! deleted it), another node owns it, or the owner does not answer and its lease has run out
//! or its beats have gone unanswered for a lease's length (paused or cut off past its
//! lease), the relay ends: its connections are told to
//! reconnect, and the node they reach finds the new owner, or becomes it once the lease has
//! expired (see [`super::Hub::get`]).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use dashmap::DashMap;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

use super::session::{Command, Frames, Joined, STAFF_TICK};
use super::{Control, Inner, Request, SessionHandle};
use crate::activity::Activity;
use crate::cluster::forward::{self, Forward, ForwardError, Forwarded, Nats, Owner, Reply, Serving, WIRE_VERSION};
use crate::error::{ErrorCode, Refusal};
use crate::journal::Reader;
use crate::protocol::{ClientMessage, Mine, ParticipantId, SessionInfo};

/// How often a relay tells the owner it is there (and how many phones it holds).
pub const BEAT: Duration = Duration::from_secs(2);
/// A relay not heard from for this long holds no phones of the session any more.
const WATCHER_GONE: Duration = Duration::from_secs(7);

/// What a node asks of a session's owner.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum Call {
    Join {
        resume: Option<String>,
        fresh: String,
        resume_only: bool,
    },
    Info {
        join_url: String,
        present_key: String,
    },
    Mine {
        participant: ParticipantId,
    },
    /// A participant's message, as the client sent it; answered with its own items when the
    /// request calls for them (see [`Request::refreshes_mine`]).
    Participate {
        participant: ParticipantId,
        message: ClientMessage,
    },
    /// A facilitator's message, as the console sent it.
    Control {
        message: ClientMessage,
    },
    /// Closing from the HTTP API or the idle timer.
    Close,
    ReplaceAgenda {
        agenda: Vec<Activity>,
    },
    Delete,
    /// A relay is there and holds `online` phones; with `views`, it wants the views too.
    Watch {
        node: String,
        online: u32,
        views: bool,
    },
}

/// The owner's answer to a [`Call::Watch`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Watched {
    /// Which node, at which epoch, owns the session: a relay that sees another one ends.
    pub owner: String,
    pub views: Option<[Frames; 3]>,
}

/// A view's frames, as the owner publishes them.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Published {
    owner: String,
    view: usize,
    frames: Frames,
}

/// Said by the owner on a session's frames subject when it has deleted the session: its
/// relays end at once (rather than at their next beat), so that every node answers for it as
/// one that never had it. A node of an earlier release ignores it (it reads no frames in it)
/// and ends its relay at its next beat, as before.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Deleted {
    owner: String,
    deleted: bool,
}

/// A refusal between nodes.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct WireRefusal {
    code: ErrorCode,
    message: String,
}

type Answer = Result<Value, WireRefusal>;

fn encode<T: Serialize>(value: Result<T, Refusal>) -> Answer {
    match value {
        Ok(value) => serde_json::to_value(value).map_err(|err| WireRefusal {
            code: ErrorCode::Internal,
            message: format!("An answer could not be written: {err}"),
        }),
        Err(refusal) => Err(WireRefusal { code: refusal.code, message: refusal.message }),
    }
}

/// This node's part in the cluster.
pub struct Cluster {
    pub(super) nats: Nats,
    /// This node's id (its leases' owner name).
    pub(super) node: String,
    pub(super) lease_ttl: Duration,
    /// Sessions this node owns: served over NATS, their frames published.
    owned: DashMap<String, Owned>,
    /// Per session owned here, the nodes relaying it: their phones and when they last said.
    watchers: DashMap<String, HashMap<String, (u32, Instant)>>,
    /// One load (claim, replay or relay) of a session at a time on this node.
    pub(super) loading: Loading,
    /// The journal, to read a lease when its owner does not answer.
    reader: Reader,
}

struct Owned {
    owner: String,
    serving: Serving,
    publisher: tokio::task::JoinHandle<()>,
}

impl Cluster {
    pub fn new(nats: Nats, node: String, lease_ttl: Duration, reader: Reader) -> Self {
        Self {
            nats,
            node,
            lease_ttl,
            owned: DashMap::new(),
            watchers: DashMap::new(),
            loading: Loading::default(),
            reader,
        }
    }

    /// Whether the lease on `code` has run out (its owner did not renew it in time), as the
    /// database says; `false` when the database does not answer either.
    pub(super) async fn lease_lapsed(&self, code: &str) -> bool {
        matches!(self.reader.lease_expired(code).await, Ok(Some(true)))
    }

    /// Whether this node's connection to NATS is up now.
    pub fn nats_connected(&self) -> bool {
        self.nats.client().connection_state() == async_nats::connection::State::Connected
    }

    /// Sessions this node owns now.
    pub fn owned(&self) -> usize {
        self.owned.len()
    }

    /// Starts serving a session this node owns at `epoch`: forwarded calls reach it, and
    /// its views are published.
    pub(super) async fn serve(
        self: &Arc<Self>,
        hub: Weak<Inner>,
        handle: &SessionHandle,
        epoch: i64,
    ) -> Result<(), ForwardError> {
        let owner = format!("{}/{epoch}", self.node);
        let serving = self.nats.serve(&handle.code, Arc::new(OwnerSide { hub, cluster: Arc::downgrade(self) })).await?;
        let publisher = tokio::spawn(publish(
            self.clone(),
            handle.code.clone(),
            owner.clone(),
            [handle.staff.clone(), handle.projector.clone(), handle.audience.clone()],
            handle.online.clone(),
        ));
        if let Some(old) = self.owned.insert(handle.code.clone(), Owned { owner, serving, publisher }) {
            old.publisher.abort();
        }
        metrics::gauge!(crate::metrics::SESSIONS_OWNED).set(self.owned.len() as f64);
        Ok(())
    }

    /// Stops serving a session (lost, deleted, unloaded, or the node is stopping).
    pub(super) async fn unserve(&self, code: &str) {
        if let Some((_, owned)) = self.owned.remove(code) {
            owned.publisher.abort();
            owned.serving.stop().await;
        }
        self.watchers.remove(code);
        metrics::gauge!(crate::metrics::SESSIONS_OWNED).set(self.owned.len() as f64);
    }

    /// Stops serving every session: the node is stopping, and the others should find the
    /// owner gone at once rather than wait for an answer.
    pub async fn unserve_all(&self) {
        let codes: Vec<String> = self.owned.iter().map(|entry| entry.key().clone()).collect();
        for code in codes {
            self.unserve(&code).await;
        }
    }

    /// Tells the nodes relaying `code` that it was deleted here (its events are gone from the
    /// database): they let it go at once.
    pub(super) async fn deleted(&self, code: &str, owner: &str) {
        let notice = Deleted { owner: owner.to_owned(), deleted: true };
        match serde_json::to_vec(&notice) {
            Ok(body) => {
                let client = self.nats.client();
                if let Err(err) = client.publish(forward::frames_subject(code), Bytes::from(body)).await {
                    debug!(%err, session = code, "the deletion could not be told to the relays");
                }
                // Sent before the owner answers whoever asked for the deletion.
                let _ = client.flush().await;
            }
            Err(err) => warn!(%err, "a deletion notice could not be written"),
        }
    }

    pub(super) fn owner_of(&self, code: &str) -> Option<String> {
        self.owned.get(code).map(|owned| owned.owner.clone())
    }

    /// Records a relay's phones; returns how the session's count of remote phones changed.
    fn watched(&self, code: &str, node: String, online: u32) -> i64 {
        let mut watchers = self.watchers.entry(code.to_owned()).or_default();
        let before = watchers.insert(node, (online, Instant::now())).map_or(0, |(count, _)| count);
        i64::from(online) - i64::from(before)
    }

    /// Forgets relays not heard from; returns the phones they held.
    fn sweep(&self, code: &str) -> u32 {
        let Some(mut watchers) = self.watchers.get_mut(code) else { return 0 };
        let mut gone = 0;
        watchers.retain(|_, (online, at)| {
            let keep = at.elapsed() < WATCHER_GONE;
            if !keep {
                gone += *online;
            }
            keep
        });
        gone
    }

    fn watched_now(&self, code: &str) -> bool {
        self.watchers.get(code).is_some_and(|watchers| !watchers.is_empty())
    }

    /// Sends a call to the owner of `code` and waits for its answer.
    pub(super) async fn call(&self, code: &str, call: &Call) -> Result<Value, CallError> {
        let body = serde_json::to_value(call).map_err(ForwardError::from)?;
        let request = Forwarded { version: WIRE_VERSION, session: code.to_owned(), body };
        metrics::counter!(crate::metrics::FORWARDED).increment(1);
        match self.nats.forward(&request).await? {
            Reply::Answer { body } => match serde_json::from_value::<Answer>(body).map_err(ForwardError::from)? {
                Ok(value) => Ok(value),
                Err(WireRefusal { code, message }) => Err(CallError::Refused(Refusal::new(code, message))),
            },
            Reply::NotOwner => Err(CallError::Forward(ForwardError::NoOwner { session: code.to_owned() })),
            Reply::Version { theirs } => {
                Err(CallError::Forward(ForwardError::Version { session: code.to_owned(), theirs, ours: WIRE_VERSION }))
            }
        }
    }
}

impl Cluster {
    /// [`Cluster::call`], sent again while the owner is only slow or NATS only briefly away
    /// (no answer in time, the request not sent), until `deadline`; never when no node serves
    /// the session (its owner released it, or is gone) or the owner refused. Only for calls
    /// the owner may get twice without harm: a participant's message carries its request id
    /// (a copy still in flight or already saved is recognised, never applied twice), and the
    /// others read, or set what they set (see [`Call::is_repeatable`]).
    pub(super) async fn call_until(&self, code: &str, call: &Call, deadline: Instant) -> Result<Value, CallError> {
        loop {
            match self.call(code, call).await {
                // An owner whose lease ran out is not slow but gone (or paused, or cut off):
                // the node the phone reaches next takes the session over.
                Err(err) if err.is_transient() && Instant::now() < deadline && !self.lease_lapsed(code).await => {
                    debug!(%err, session = code, "the owner did not answer; asking again");
                    metrics::counter!(crate::metrics::FORWARD_RETRIES).increment(1);
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                answered => return answered,
            }
        }
    }
}

/// How long a relay waits before asking a slow owner again.
const RETRY_PAUSE: Duration = Duration::from_millis(100);

impl Call {
    /// Whether the owner may get this call twice without harm (see [`Cluster::call_until`]):
    /// a participant's message (recognised by its request id) and the calls that only read or
    /// say the relay is there. A join may make a participant, a facilitator's message carries
    /// no id the owner recognises, and closing, deleting or replacing the agenda a second time
    /// would be refused though the first went through: those are answered `unavailable` at
    /// the first failure, and their senders (which reconnect and resend) decide.
    fn is_repeatable(&self) -> bool {
        matches!(self, Call::Participate { .. } | Call::Mine { .. } | Call::Info { .. } | Call::Watch { .. })
    }
}

/// One lock per session being loaded (claimed, replayed or relayed) on this node, so that two
/// requests for a session not in memory load it once. An entry lives only while someone holds
/// or waits for its lock: a node that over days is asked for thousands of sessions (each
/// code a guesser tries is looked up, see `Hub::join_guarded`) keeps none of them.
#[derive(Default)]
pub(super) struct Loading {
    locks: DashMap<String, Arc<tokio::sync::Mutex<()>>>,
}

impl Loading {
    /// Waits for the session's lock; it is let go, and its entry removed if nobody else
    /// waits for it, when the guard is dropped.
    pub(super) async fn lock(&self, code: &str) -> LoadingGuard<'_> {
        let lock = self.locks.entry(code.to_owned()).or_default().clone();
        // Made before waiting, so that a caller that gives up waiting removes the entry too.
        let mut held = LoadingGuard { loading: self, code: code.to_owned(), lock: Some(lock.clone()), guard: None };
        held.guard = Some(lock.lock_owned().await);
        held
    }

    /// Sessions whose lock is held or waited for now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.locks.len()
    }
}

/// A session's loading lock, held.
pub(super) struct LoadingGuard<'a> {
    loading: &'a Loading,
    code: String,
    lock: Option<Arc<tokio::sync::Mutex<()>>>,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Drop for LoadingGuard<'_> {
    fn drop(&mut self) {
        // The guard holds one count of the lock, `lock` another, the map a third: once both
        // are gone, a count of one means nobody else holds or waits (a waiter holds a clone).
        // `remove_if` checks under the map's shard lock, which `lock` takes too to clone it,
        // so a newcomer either got this lock before (and keeps the entry) or makes a new one.
        self.guard.take();
        self.lock.take();
        self.loading.locks.remove_if(&self.code, |_, lock| Arc::strong_count(lock) == 1);
    }
}

/// Why a call to an owner did not get its answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Forward(#[from] ForwardError),
    #[error("{0}")]
    Refused(Refusal),
}

impl CallError {
    /// Whether the owner may still be there: it did not answer in time, or NATS did not take
    /// the request (a reconnect under way). Not: no node serves the session, another protocol,
    /// or the owner's own refusal.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Forward(ForwardError::TimedOut { .. } | ForwardError::Request(_)))
    }

    /// What the connection hears: the owner's own refusal, or `unavailable` (the phone resends
    /// after reconnecting, and nothing is counted twice).
    pub fn refusal(self) -> Refusal {
        match self {
            Self::Refused(refusal) => refusal,
            Self::Forward(err) => {
                debug!(%err, "a call to the session's owner failed");
                Refusal::unavailable()
            }
        }
    }
}

/// Publishes a session's views while other nodes relay it: each view when it changes, at most
/// once per tick. Ends with the session's task (its views close).
async fn publish(
    cluster: Arc<Cluster>,
    code: String,
    owner: String,
    views: [watch::Receiver<Frames>; 3],
    online: Arc<AtomicU32>,
) {
    let subject = forward::frames_subject(&code);
    let client = cluster.nats.client().clone();
    let one = |view: usize, mut frames: watch::Receiver<Frames>| {
        let (cluster, code, owner, subject, client) =
            (cluster.clone(), code.clone(), owner.clone(), subject.clone(), client.clone());
        async move {
            while frames.changed().await.is_ok() {
                let started = tokio::time::Instant::now();
                // Taken even when nobody watches, so that `changed` waits for the next change.
                let current = frames.borrow_and_update().clone();
                if cluster.watched_now(&code) {
                    let published = Published { owner: owner.clone(), view, frames: current };
                    match serde_json::to_vec(&published) {
                        Ok(body) => {
                            if let Err(err) = client.publish(subject.clone(), Bytes::from(body)).await {
                                debug!(%err, "a view could not be published");
                            }
                        }
                        Err(err) => warn!(%err, "a view could not be written"),
                    }
                }
                tokio::time::sleep_until(started + STAFF_TICK).await;
            }
        }
    };
    let [staff, projector, audience] = views;
    // Relays that went quiet take their phones off the online count.
    let sweep = async {
        let mut every = tokio::time::interval(BEAT);
        loop {
            every.tick().await;
            let gone = cluster.sweep(&code);
            if gone > 0 {
                online.fetch_sub(gone, Ordering::Relaxed);
            }
        }
    };
    tokio::select! {
        _ = futures_util::future::join3(one(0, staff), one(1, projector), one(2, audience)) => {}
        () = sweep => {}
    }
}

/// The owner's side: runs forwarded calls on the sessions this node owns.
struct OwnerSide {
    hub: Weak<Inner>,
    cluster: Weak<Cluster>,
}

impl Owner for OwnerSide {
    fn handle(&self, request: Forwarded) -> Pin<Box<dyn Future<Output = Reply> + Send + 'static>> {
        let (hub, cluster) = (self.hub.clone(), self.cluster.clone());
        Box::pin(async move {
            let (Some(hub), Some(cluster)) = (hub.upgrade(), cluster.upgrade()) else { return Reply::NotOwner };
            let Some(owner) = cluster.owner_of(&request.session) else { return Reply::NotOwner };
            let handle = match hub.sessions.get(&request.session) {
                Some(handle) if handle.remote.is_none() => handle.clone(),
                _ => return Reply::NotOwner,
            };
            let call = match serde_json::from_value::<Call>(request.body) {
                Ok(call) => call,
                Err(err) => {
                    debug!(%err, "a forwarded call could not be read");
                    return Reply::Version { theirs: WIRE_VERSION };
                }
            };
            let answer = run_call(&hub, &cluster, &handle, owner, call).await;
            match serde_json::to_value(&answer) {
                Ok(body) => Reply::Answer { body },
                Err(err) => {
                    warn!(%err, "a forwarded call's answer could not be written");
                    Reply::NotOwner
                }
            }
        })
    }
}

async fn run_call(hub: &Arc<Inner>, cluster: &Cluster, handle: &SessionHandle, owner: String, call: Call) -> Answer {
    match call {
        Call::Join { resume, fresh, resume_only } => {
            encode(handle.request(|reply| Command::Join { resume, fresh, resume_only, reply }).await.and_then(|r| r))
        }
        Call::Info { join_url, present_key } => {
            encode(handle.request(|reply| Command::Info { join_url, present_key, reply }).await.and_then(|r| r))
        }
        Call::Mine { participant } => encode(handle.request(|reply| Command::Mine { participant, reply }).await),
        Call::Participate { participant, message } => {
            // The session's caps on stored changes are the owner's to count, over every node
            // (the relaying node spent its address's budget already).
            let bytes = serde_json::to_string(&message).map_or(0, |text| text.len());
            if let Err(refusal) = handle.spend_write(None, bytes) {
                return encode::<()>(Err(refusal));
            }
            let Some((id, request)) = Request::from_message(message) else {
                return encode::<()>(Err(Refusal::new(
                    ErrorCode::Forbidden,
                    "Answers come from participants' phones, not the console.",
                )));
            };
            let refresh = request.refreshes_mine();
            let done =
                handle.request(|reply| Command::Participate { participant, id, request, reply }).await.and_then(|r| r);
            if let Err(refusal) = done {
                return encode::<()>(Err(refusal));
            }
            let mine = if refresh {
                handle.request(|reply| Command::Mine { participant, reply }).await.ok().flatten()
            } else {
                None
            };
            encode(Ok(mine))
        }
        Call::Control { message } => {
            let Some((_, control)) = Control::from_message(message) else {
                return encode::<()>(Err(Refusal::new(ErrorCode::Forbidden, "Only the facilitator can do that.")));
            };
            encode(handle.request(|reply| Command::Control { control, reply }).await.and_then(|r| r))
        }
        Call::Close => {
            encode(handle.request(|reply| Command::Control { control: Control::Close, reply }).await.and_then(|r| r))
        }
        Call::ReplaceAgenda { agenda } => {
            encode(handle.request(|reply| Command::ReplaceAgenda { agenda, reply }).await.and_then(|r| r))
        }
        Call::Delete => {
            // Asked by a node that relays the session: deleted here, where the lease is.
            encode(super::Hub { inner: hub.clone() }.delete(&handle.code).await)
        }
        Call::Watch { node, online, views } => {
            let change = cluster.watched(&handle.code, node, online);
            if change >= 0 {
                handle.online.fetch_add(change as u32, Ordering::Relaxed);
            } else {
                handle.online.fetch_sub(change.unsigned_abs() as u32, Ordering::Relaxed);
            }
            let views = views.then(|| {
                [handle.staff.borrow().clone(), handle.projector.borrow().clone(), handle.audience.borrow().clone()]
            });
            encode(Ok(Watched { owner, views }))
        }
    }
}

/// What a relay needs: the views it keeps, its commands, and who owns the session.
pub(super) struct Relay {
    pub cluster: Arc<Cluster>,
    pub hub: Weak<Inner>,
    pub code: String,
    pub owner: String,
    pub views: [watch::Sender<Frames>; 3],
    pub commands: mpsc::Receiver<Command>,
    pub online: Arc<AtomicU32>,
    pub frames: async_nats::Subscriber,
    /// Tells this relay's handle from a later one for the same session.
    pub id: u64,
    /// Told when a call found no node serving the session.
    pub failed: Arc<tokio::sync::Notify>,
}

/// Subscribes to a session's frames and asks its owner for the views: what a relay starts
/// from. Fails when no node serves the session (its owner is gone, or not there yet).
pub(super) async fn watch(cluster: &Cluster, code: &str) -> Result<(async_nats::Subscriber, Watched), CallError> {
    let frames = cluster.nats.client().subscribe(forward::frames_subject(code)).await.map_err(ForwardError::from)?;
    let call = Call::Watch { node: cluster.node.clone(), online: 0, views: true };
    let watched: Watched =
        serde_json::from_value(cluster.call(code, &call).await?).map_err(|err| CallError::Forward(err.into()))?;
    Ok((frames, watched))
}

impl Relay {
    /// Keeps the views, forwards commands, and beats, until the owner is gone or changes, or
    /// every handle is dropped. Then the handle leaves the hub, and the views close: every
    /// connection on them is told to reconnect.
    pub async fn run(mut self) {
        let mut beat: Pin<Box<dyn Future<Output = Beat> + Send>> = Box::pin(self.beat(Duration::ZERO));
        // When the owner last answered: a slow owner (overloaded, a pause shorter than its
        // lease) is asked again; one silent for a lease's length has lost its lease, or is
        // about to, and the node the connections reach next takes the session over.
        let mut heard = Instant::now();
        let why = loop {
            tokio::select! {
                command = self.commands.recv() => match command {
                    Some(command) => self.forward(command),
                    None => break "no connection uses it",
                },
                published = self.frames.next() => {
                    let Some(message) = published else { break "NATS ended the subscription" };
                    match serde_json::from_slice::<Published>(&message.payload) {
                        Ok(published) if published.owner != self.owner => break "another node owns the session now",
                        Ok(Published { view, frames, .. }) => self.show(view, frames),
                        Err(err) => match serde_json::from_slice::<Deleted>(&message.payload) {
                            Ok(Deleted { owner, deleted: true }) if owner == self.owner => {
                                break "its owner deleted the session";
                            }
                            _ => debug!(%err, "published frames could not be read"),
                        },
                    }
                }
                () = self.failed.notified() => break "no node serves the session now",
                outcome = &mut beat => match outcome {
                    Beat::Same => {
                        heard = Instant::now();
                        beat = Box::pin(self.beat(BEAT));
                    }
                    Beat::Changed => break "another node owns the session now",
                    Beat::Gone => break "no node serves the session now",
                    Beat::Silent if heard.elapsed() >= self.cluster.lease_ttl => {
                        break "its owner has not answered for a lease's length";
                    }
                    Beat::Silent => beat = Box::pin(self.beat(RETRY_PAUSE)),
                },
            }
        };
        info!(session = self.code, owner = self.owner, why, "relay ended; its connections reconnect");
        if let Some(hub) = self.hub.upgrade() {
            hub.sessions.remove_if(&self.code, |_, handle| handle.remote.as_ref().is_some_and(|r| r.id == self.id));
        }
        let _ = self.frames.unsubscribe().await;
    }

    fn show(&self, view: usize, frames: Frames) {
        if let Some(sender) = self.views.get(view) {
            sender.send_if_modified(|current| {
                let newer = frames.newest() > current.newest();
                if newer {
                    *current = frames;
                }
                newer
            });
        }
    }

    /// Waits `wait`, then tells the owner this relay is there; what came of it.
    fn beat(&self, wait: Duration) -> impl Future<Output = Beat> + Send + 'static {
        let (cluster, code, owner, online) =
            (self.cluster.clone(), self.code.clone(), self.owner.clone(), self.online.clone());
        async move {
            tokio::time::sleep(wait).await;
            let call = Call::Watch { node: cluster.node.clone(), online: online.load(Ordering::Relaxed), views: false };
            match cluster.call(&code, &call).await {
                Ok(value) => match serde_json::from_value::<Watched>(value) {
                    Ok(watched) if watched.owner == owner => Beat::Same,
                    _ => Beat::Changed,
                },
                Err(CallError::Refused(_)) => Beat::Same,
                Err(err) if err.is_transient() => {
                    debug!(%err, session = code, "the owner did not answer a beat");
                    if cluster.lease_lapsed(&code).await { Beat::Gone } else { Beat::Silent }
                }
                Err(err) => {
                    debug!(%err, session = code, "nobody answered a beat");
                    Beat::Gone
                }
            }
        }
    }

    /// Sends a command to the owner; its answer goes back to whoever asked.
    fn forward(&self, command: Command) {
        let (cluster, code, failed) = (self.cluster.clone(), self.code.clone(), self.failed.clone());
        tokio::spawn(async move {
            let call = |call: Call| {
                let (cluster, code, failed) = (cluster.clone(), code.clone(), failed.clone());
                async move { send(&cluster, &code, &call, &failed).await }
            };
            match command {
                Command::Join { resume, fresh, resume_only, reply } => {
                    let _ = reply.send(decode::<Joined>(call(Call::Join { resume, fresh, resume_only }).await));
                }
                Command::Info { join_url, present_key, reply } => {
                    let _ = reply.send(decode::<SessionInfo>(call(Call::Info { join_url, present_key }).await));
                }
                Command::Mine { participant, reply } => {
                    let _ = reply.send(decode::<Option<Mine>>(call(Call::Mine { participant }).await).ok().flatten());
                }
                Command::Control { control: Control::Close, reply } => {
                    let _ = reply.send(decode::<()>(call(Call::Close).await));
                }
                Command::ReplaceAgenda { agenda, reply } => {
                    let _ = reply.send(decode::<Vec<Activity>>(call(Call::ReplaceAgenda { agenda }).await));
                }
                Command::Delete { reply } => {
                    let _ = call(Call::Delete).await;
                    let _ = reply.send(());
                }
                // Connections send participants' and facilitators' messages as they came
                // (`SessionHandle::forward_message`), read on the owner.
                Command::Control { reply, .. } | Command::Participate { reply, .. } => {
                    let _ = reply.send(Err(Refusal::unavailable()));
                }
                Command::Release => {}
            }
        });
    }
}

/// What came of a relay's beat.
enum Beat {
    /// The same owner answered (or refused: it is there).
    Same,
    /// Another node (or the same node at another epoch) owns the session now.
    Changed,
    /// No node serves the session (its owner released it, is gone, or deleted it), or its
    /// owner does not answer and its lease has run out.
    Gone,
    /// No answer in time: the owner may only be slow.
    Silent,
}

/// Sends a call to the owner for a relay's connection: again while the owner is only slow,
/// within a lease's length, when the call may be repeated. A call that finds nobody serving
/// the session, or whose owner does not answer and has let its lease run out, ends the relay
/// at once (`failed`), so that a phone that reconnects finds the new owner rather than this
/// relay again; a slow owner that keeps its lease ends it only when its beats have gone
/// unanswered for a lease's length (see [`Relay::run`]).
async fn send(cluster: &Cluster, code: &str, call: &Call, failed: &tokio::sync::Notify) -> Result<Value, Refusal> {
    let answer = if call.is_repeatable() {
        cluster.call_until(code, call, Instant::now() + cluster.lease_ttl).await
    } else {
        cluster.call(code, call).await
    };
    match answer {
        Ok(value) => Ok(value),
        Err(err) => {
            let ends = match &err {
                CallError::Refused(_) => false,
                err if err.is_transient() => cluster.lease_lapsed(code).await,
                CallError::Forward(_) => true,
            };
            if ends {
                failed.notify_one();
            }
            Err(err.refusal())
        }
    }
}

fn decode<T: serde::de::DeserializeOwned>(answer: Result<Value, Refusal>) -> Result<T, Refusal> {
    answer.and_then(|value| {
        serde_json::from_value(value).map_err(|err| {
            warn!(%err, "an answer from the session's owner could not be read");
            Refusal::unavailable()
        })
    })
}

/// A remote handle's link to the owner, for the messages connections forward as they came.
pub struct RemoteLink {
    pub(super) cluster: Arc<Cluster>,
    pub(super) id: u64,
    /// Told when a call found no node serving the session: the relay ends at once rather than
    /// at its next beat, so that a phone that reconnects finds the new owner, not this relay
    /// again.
    pub(super) failed: Arc<tokio::sync::Notify>,
}

impl RemoteLink {
    /// Sends a participant's (`Some`) or facilitator's message to the owner; `Ok` carries the
    /// participant's own items when the request calls for them.
    pub async fn forward_message(
        &self,
        code: &str,
        participant: Option<ParticipantId>,
        message: ClientMessage,
    ) -> Result<Option<Mine>, Refusal> {
        let call = match participant {
            Some(participant) => Call::Participate { participant, message },
            None => Call::Control { message },
        };
        let answer = send(&self.cluster, code, &call, &self.failed).await;
        if participant.is_some() { decode::<Option<Mine>>(answer) } else { decode::<()>(answer).map(|()| None) }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    /// The loading locks leave nothing behind: after one load, after a load that waited for
    /// another, after a caller that gave up waiting, and after many loads of a few sessions at
    /// once, during which no two loads of one session ran together.
    #[tokio::test]
    async fn loading_locks_are_pruned_once_nobody_holds_or_waits_for_them() {
        let loading = Arc::new(Loading::default());
        drop(loading.lock("11111111").await);
        assert_eq!(loading.len(), 0, "one load");

        let first = loading.lock("11111111").await;
        let waiter = {
            let loading = loading.clone();
            tokio::spawn(async move {
                let _held = loading.lock("11111111").await;
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "the second load waits for the first");
        drop(first);
        waiter.await.expect("the second load");
        assert_eq!(loading.len(), 0, "a load that waited for another");

        let first = loading.lock("22222222").await;
        let gave_up = tokio::time::timeout(Duration::from_millis(20), loading.lock("22222222")).await;
        assert!(gave_up.is_err(), "the lock was held");
        assert_eq!(loading.len(), 1);
        drop(first);
        assert_eq!(loading.len(), 0, "a caller that gave up waiting");

        let inside: Arc<Vec<AtomicUsize>> = Arc::new((0..5).map(|_| AtomicUsize::new(0)).collect());
        let mut loads = Vec::new();
        for n in 0..200 {
            let (loading, inside) = (loading.clone(), inside.clone());
            loads.push(tokio::spawn(async move {
                let session = n % 5;
                let _held = loading.lock(&format!("3333333{session}")).await;
                assert_eq!(inside[session].fetch_add(1, Ordering::SeqCst), 0, "two loads of one session at once");
                tokio::task::yield_now().await;
                inside[session].fetch_sub(1, Ordering::SeqCst);
            }));
        }
        for load in loads {
            load.await.expect("a load");
        }
        assert_eq!(loading.len(), 0, "many loads of a few sessions");
    }
}
