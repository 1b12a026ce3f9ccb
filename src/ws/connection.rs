//! One task per WebSocket connection.
//!
//! The task is a single `select!` over the socket, the session's view, the replies it is
//! waiting for, a heartbeat and the server's shutdown signal. It never holds session state:
//! it forwards requests to the session task and writes back what comes out, so a slow phone
//! delays only itself. Replies (`ack`/`error`) are awaited concurrently, so a phone can send
//! its next answer before the previous one is committed.

use std::net::IpAddr;
use std::pin::Pin;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_http::ws::{CloseCode, CloseReason};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::watch;
use tracing::{Instrument, debug, info_span};

use super::socket::{Incoming, Socket, SocketError, TextHeader, WriteError};
use crate::auth;
use crate::error::{ErrorCode, Refusal};
use crate::hub::session::welcome_message;
use crate::hub::{Command, Control, Frames, Hub, OnlineGuard, Request, SessionHandle};
use crate::protocol::{ClientMessage, PROTOCOL_VERSION, ParticipantId, PresentInfo, RequestId, ServerMessage};

/// Time to say who is connecting.
const HELLO_TIMEOUT: Duration = Duration::from_secs(20);
/// Messages refused in a row for going over the rate limit before the connection is closed
/// (1008): a phone that backs off never gets near it, a flood does at once.
const FLOOD_LIMIT: u32 = 50;
/// Close code for a connection that does not take what is sent to it (as Centrifugo's
/// "slow" close): its phone reconnects and is sent the current view afresh.
const TOO_SLOW: u16 = 4008;
/// Time given to a goodbye before the connection is simply dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Replies still to come from the session task, sent in order when they arrive.
type Pending = Pin<Box<dyn Future<Output = Vec<ServerMessage>>>>;

/// Who is on the other end, once it has said so.
enum Role {
    Participant {
        handle: SessionHandle,
        participant: ParticipantId,
        _online: OnlineGuard,
    },
    Host {
        handle: SessionHandle,
    },
    /// The projector only reads; the handle keeps its session's task alive while it watches.
    Presenter {
        _handle: SessionHandle,
    },
}

/// Counts a connection in the `chorus_connections` gauge for its role, and out when dropped.
struct Counted(&'static str);

impl Counted {
    fn new(role: &'static str) -> Self {
        metrics::gauge!(crate::metrics::CONNECTIONS, "role" => role).increment(1.0);
        Self(role)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        metrics::gauge!(crate::metrics::CONNECTIONS, "role" => self.0).decrement(1.0);
    }
}

/// Why a connection ends, and the close frame that says so.
struct Goodbye(CloseCode, &'static str);

/// How many slots a view has (agenda, step, results, counts, closed, summary, what we heard).
const VIEW_SLOTS: usize = 7;

/// The versions of each view slot this connection has sent.
#[derive(Default)]
struct Sent {
    step: u64,
    results: u64,
    counts: u64,
    agenda: u64,
    closed: u64,
    summary: u64,
    what_we_heard: u64,
    scope: u64,
}

struct Connection {
    hub: Hub,
    socket: Socket,
    peer: Option<IpAddr>,
    base_url: String,
    role: Option<Role>,
    view: Option<watch::Receiver<Frames>>,
    sent: Sent,
    pending: FuturesUnordered<Pending>,
    /// Messages refused in a row for the rate limit.
    flooding: u32,
    counted: Option<Counted>,
}

/// The connection's future. Not an `async fn`: that would wrap the serving future in one more
/// that keeps room for it twice, and a connection keeps its future's size all its life.
pub fn run(hub: Hub, socket: Socket, peer: Option<IpAddr>, base_url: String) -> impl Future<Output = ()> {
    let span = info_span!("connection", peer = ?peer, session = tracing::field::Empty, role = tracing::field::Empty);
    let conn = Connection {
        hub,
        socket,
        peer,
        base_url,
        role: None,
        view: None,
        sent: Sent::default(),
        pending: FuturesUnordered::new(),
        flooding: 0,
        counted: None,
    };
    conn.serve().instrument(span)
}

impl Connection {
    async fn serve(mut self) {
        let mut shutdown = self.hub.shutdown_signal();
        let limits = self.hub.limits().clone();
        let mut heartbeat = tokio::time::interval_at(first_heartbeat(limits.heartbeat), limits.heartbeat);
        let mut last_heard = Instant::now();
        // Boxed, and dropped once the peer has said who it is.
        let mut hello_deadline = Some(Box::pin(tokio::time::sleep(HELLO_TIMEOUT)));
        let goodbye = loop {
            tokio::select! {
                // In this order, and no further once one is ready: a task woken for a new view
                // (19,000 of them at once on a reveal) then polls no timer or socket.
                biased;
                _ = shutdown.changed() => {
                    break Some(Goodbye(CloseCode::Restart, "The server is restarting. Reconnect in a moment."));
                }
                changed = view_changed(&mut self.view) => {
                    let sent = match changed {
                        Ok(()) => Box::pin(self.send_view()).await,
                        // The session stopped here without ending (a delete or close says so in
                        // the view first): another node runs it now. Reconnecting finds it.
                        Err(_) => Err(Goodbye(CloseCode::Restart, "The session moved to another server. Reconnect.")),
                    };
                    if let Err(goodbye) = sent {
                        break Some(goodbye);
                    }
                }
                Some(replies) = self.pending.next(), if !self.pending.is_empty() => {
                    if let Err(goodbye) = self.send_all(&replies).await {
                        break Some(goodbye);
                    }
                }
                message = self.socket.recv() => {
                    last_heard = Instant::now();
                    let step = match message {
                        None => break None,
                        Some(Ok(Incoming::Text(text))) => Box::pin(self.on_text(&text)).await,
                        Some(Ok(Incoming::Binary)) => {
                            Err(Goodbye(CloseCode::Unsupported, "Binary messages are not supported."))
                        }
                        Some(Ok(Incoming::Ping(bytes))) => written(self.socket.pong(&bytes).await),
                        Some(Ok(Incoming::Pong)) => Ok(()),
                        Some(Ok(Incoming::Close(code))) => {
                            // The peer's code is echoed (RFC 6455 §5.5.1), whatever it is: said
                            // here, as a goodbye of ours with that code would be taken for
                            // one of ours (4008 has none).
                            let reason = CloseReason { code: code.unwrap_or(CloseCode::Normal), description: None };
                            let goodbye = self.socket.close(Some(reason));
                            let _ = Box::pin(tokio::time::timeout(CLOSE_GRACE, goodbye)).await;
                            break None;
                        }
                        Some(Err(SocketError::Io(err))) => {
                            debug!(%err, "connection lost");
                            break None;
                        }
                        Some(Err(err)) => Err(protocol_goodbye(&err)),
                    };
                    if let Err(goodbye) = step {
                        break Some(goodbye);
                    }
                    if self.role.is_some() {
                        hello_deadline = None;
                    }
                }
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > limits.silent_after {
                        debug!("peer timed out");
                        metrics::counter!(crate::metrics::TIMEOUTS).increment(1);
                        break Some(Goodbye(CloseCode::Away, "No answer for too long."));
                    }
                    if let Err(goodbye) = written(self.socket.ping().await) {
                        break Some(goodbye);
                    }
                }
                () = expire(&mut hello_deadline) => {
                    break Some(Goodbye(CloseCode::Policy, "Say join, host or present first."));
                }
            }
        };
        match goodbye {
            // A connection that stopped reading has no room for a goodbye; dropping it is all.
            Some(Goodbye(CloseCode::Other(TOO_SLOW), _)) => {
                debug!("peer too slow");
                metrics::counter!(crate::metrics::SLOW_CLOSES).increment(1);
            }
            Some(Goodbye(CloseCode::Abnormal, _)) => debug!("connection lost"),
            Some(Goodbye(code, description)) => {
                let description = (!description.is_empty()).then(|| description.to_owned());
                let goodbye = self.socket.close(Some(CloseReason { code, description }));
                let _ = Box::pin(tokio::time::timeout(CLOSE_GRACE, goodbye)).await;
            }
            None => {}
        }
        debug!("connection closed");
    }

    async fn send(&mut self, message: &ServerMessage) -> Result<(), Goodbye> {
        self.send_all(std::slice::from_ref(message)).await
    }

    /// Sends messages for this peer alone, in one write.
    async fn send_all(&mut self, messages: &[ServerMessage]) -> Result<(), Goodbye> {
        let texts = messages
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| Goodbye(CloseCode::Error, "Internal error."))?;
        written(self.socket.write_text(&texts).await)
    }

    async fn refuse(&mut self, id: Option<RequestId>, refusal: Refusal) -> Result<(), Goodbye> {
        self.send(&ServerMessage::Error { id, error: refusal.code, message: refusal.message }).await
    }

    /// Sends whichever slots of the view moved on since this connection last sent them.
    async fn send_view(&mut self) -> Result<(), Goodbye> {
        let Some(view) = self.view.as_mut() else { return Ok(()) };
        // Only the frames that moved on are taken (a reference count each), and the view is
        // let go before anything is written.
        let (out, scope_changed) = {
            let frames = view.borrow_and_update();
            let sent = &mut self.sent;
            // The welcome carried this participant's own answers; after that, a new activity
            // or round calls for them again (a reveal or "stop answers" does not).
            let scope_changed = sent.scope != 0 && frames.scope != sent.scope;
            sent.scope = frames.scope;
            let slots: [_; VIEW_SLOTS] = [
                (&frames.agenda, &mut sent.agenda),
                (&frames.step, &mut sent.step),
                (&frames.results, &mut sent.results),
                (&frames.counts, &mut sent.counts),
                (&frames.closed, &mut sent.closed),
                (&frames.summary, &mut sent.summary),
                (&frames.what_we_heard, &mut sent.what_we_heard),
            ];
            let mut out = Vec::with_capacity(slots.len());
            for (frame, sent) in slots {
                if let Some(frame) = frame.as_ref().filter(|frame| frame.version > *sent) {
                    *sent = frame.version;
                    out.push(frame.text.clone());
                }
            }
            (out, scope_changed)
        };
        crate::metrics::frames_sent().increment(out.len() as u64);
        // The payloads were serialised once for everyone; each gets this socket's header, and
        // they all go out in one system call.
        let mut headers = [TextHeader::new(0); VIEW_SLOTS];
        for (header, text) in headers.iter_mut().zip(&out) {
            *header = TextHeader::new(text.len());
        }
        let mut wire: [&[u8]; 2 * VIEW_SLOTS] = [&[]; 2 * VIEW_SLOTS];
        for (pair, (header, text)) in wire.chunks_exact_mut(2).zip(headers.iter().zip(&out)) {
            pair[0] = header.as_bytes();
            pair[1] = text;
        }
        written(self.socket.write(&wire[..2 * out.len()]).await)?;
        if scope_changed && let Some(Role::Participant { handle, participant, .. }) = &self.role {
            let participant = *participant;
            if let Ok(answer) = handle.submit(|reply| Command::Mine { participant, reply }).await {
                self.pending.push(Box::pin(async move {
                    answer.await.ok().flatten().map(ServerMessage::Mine).into_iter().collect()
                }));
            }
        }
        Ok(())
    }

    async fn on_text(&mut self, text: &str) -> Result<(), Goodbye> {
        let parsed = serde_json::from_str::<ClientMessage>(text);
        // Every message a participant sends, well-formed or not, spends from its budget.
        if let Some(Role::Participant { handle, participant, .. }) = &self.role {
            if handle.limiter.check_key(participant).is_err() {
                self.flooding += 1;
                if self.flooding > FLOOD_LIMIT {
                    metrics::counter!(crate::metrics::FLOOD_CLOSES).increment(1);
                    return Err(Goodbye(CloseCode::Policy, "Too many messages."));
                }
                let id = parsed.as_ref().ok().and_then(ClientMessage::id);
                return self.refuse(id, Refusal::rate_limited()).await;
            }
            self.flooding = 0;
            // The address's budget and the session's caps (see `SessionHandle::spend_write`).
            if let Err(refusal) = handle.spend_write(self.peer, text.len()) {
                let id = parsed.as_ref().ok().and_then(ClientMessage::id);
                return self.refuse(id, refusal).await;
            }
        }
        let message = match parsed {
            Ok(message) => message,
            Err(err) => {
                let (id, refusal) = explain_bad_message(text, &err);
                return self.refuse(id, refusal).await;
            }
        };
        match (&self.role, message) {
            // Boxed, as they happen once: the connection's future would otherwise keep their
            // size for its whole life.
            (None, ClientMessage::Join { code, token }) => Box::pin(self.join(&code, token)).await,
            (None, ClientMessage::Host { code, key }) => Box::pin(self.host(&code, &key, false)).await,
            (None, ClientMessage::Present { code, key }) => Box::pin(self.host(&code, &key, true)).await,
            (None, message) => {
                self.refuse(message.id(), Refusal::new(ErrorCode::NotJoined, "Say join, host or present first."))
                    .await?;
                Err(Goodbye(CloseCode::Policy, "Say join, host or present first."))
            }
            (Some(_), ClientMessage::Join { .. } | ClientMessage::Host { .. } | ClientMessage::Present { .. }) => {
                self.refuse(None, Refusal::new(ErrorCode::AlreadyJoined, "This connection has already joined.")).await
            }
            (Some(Role::Participant { handle, participant, .. }), message) if handle.remote().is_some() => {
                let Some((id, _)) = Request::from_message(message.clone()) else {
                    return self.refuse(message.id(), forbidden_for(self.role.as_ref())).await;
                };
                let (handle, participant) = (handle.clone(), Some(*participant));
                self.forward_remote(&handle, participant, id, message);
                Ok(())
            }
            (Some(Role::Host { handle }), message) if handle.remote().is_some() => {
                let Some((id, _)) = Control::from_message(message.clone()) else {
                    return self.refuse(message.id(), forbidden_for(self.role.as_ref())).await;
                };
                let handle = handle.clone();
                self.forward_remote(&handle, None, id, message);
                Ok(())
            }
            (Some(Role::Participant { handle, participant, .. }), message) => {
                let asked = message.id();
                let Some((id, request)) = Request::from_message(message) else {
                    return self.refuse(asked, forbidden_for(self.role.as_ref())).await;
                };
                let participant = *participant;
                let handle = handle.clone();
                let after = request.refreshes_mine().then(|| (handle.clone(), participant));
                self.forward(id, &handle, |reply| Command::Participate { participant, id, request, reply }, after).await
            }
            (Some(Role::Host { handle }), message) => {
                let asked = message.id();
                let Some((id, control)) = Control::from_message(message) else {
                    return self.refuse(asked, forbidden_for(self.role.as_ref())).await;
                };
                let handle = handle.clone();
                self.forward(id, &handle, |reply| Command::Control { control, reply }, None).await
            }
            (Some(Role::Presenter { .. }), message) => {
                self.refuse(message.id(), forbidden_for(self.role.as_ref())).await
            }
        }
    }
    /// Sends a request to the session; its `ack` or `error` is written when it arrives. With
    /// `then_mine`, an `ack` is followed by the participant's own items, so that a word or
    /// note just sent can be deleted or edited at once (it has an id now).
    async fn forward(
        &mut self,
        id: RequestId,
        handle: &SessionHandle,
        make: impl FnOnce(crate::hub::session::Reply<()>) -> Command,
        then_mine: Option<(SessionHandle, ParticipantId)>,
    ) -> Result<(), Goodbye> {
        match handle.submit(make).await {
            Ok(answer) => {
                self.pending.push(Box::pin(async move {
                    let refusal = match answer.await {
                        Ok(Ok(())) => {
                            let mut replies = vec![ServerMessage::Ack { id }];
                            if let Some((handle, participant)) = then_mine
                                && let Ok(Some(mine)) =
                                    handle.request(|reply| Command::Mine { participant, reply }).await
                            {
                                replies.push(ServerMessage::Mine(mine));
                            }
                            return replies;
                        }
                        Ok(Err(refusal)) => refusal,
                        Err(_) => Refusal::unavailable(),
                    };
                    vec![ServerMessage::Error { id: Some(id), error: refusal.code, message: refusal.message }]
                }));
                Ok(())
            }
            Err(refusal) => self.refuse(Some(id), refusal).await,
        }
    }

    /// Sends a participant's (or, without one, the facilitator's) message, as it came, to the
    /// node that owns the session; its `ack` (and the participant's own items, when the
    /// request calls for them) or `error` is written when it arrives.
    fn forward_remote(
        &mut self,
        handle: &SessionHandle,
        participant: Option<ParticipantId>,
        id: RequestId,
        message: ClientMessage,
    ) {
        let Some(link) = handle.remote().cloned() else { return };
        let code = handle.code.clone();
        self.pending.push(Box::pin(async move {
            match link.forward_message(&code, participant, message).await {
                Ok(mine) => std::iter::once(ServerMessage::Ack { id }).chain(mine.map(ServerMessage::Mine)).collect(),
                Err(refusal) => {
                    vec![ServerMessage::Error { id: Some(id), error: refusal.code, message: refusal.message }]
                }
            }
        }));
    }

    /// Finds a session by code, counting failures against the caller's address.
    async fn find(&mut self, code: &str, guarded: bool) -> Result<SessionHandle, Goodbye> {
        match self.hub.find(code, self.peer, guarded).await {
            Ok(handle) => Ok(handle),
            Err(refusal) => {
                self.refuse(None, refusal).await?;
                Err(Goodbye(CloseCode::Policy, "No such session."))
            }
        }
    }

    async fn join(&mut self, code: &str, token: Option<String>) -> Result<(), Goodbye> {
        let resume = token.as_deref().filter(|t| !t.is_empty() && t.len() <= 64).map(auth::hash_secret);
        // Past the address's budget of new participants, only a resume gets in.
        let guarded = self.hub.join_guarded(self.peer, code).await || !self.hub.join_budget(self.peer);
        if guarded && resume.is_none() {
            self.refuse(None, Refusal::rate_limited()).await?;
            return Err(Goodbye(CloseCode::Policy, "Too many tries."));
        }
        let handle = self.find(code, guarded).await?;
        let fresh = auth::new_secret();
        let fresh_hash = auth::hash_secret(&fresh);
        let joined =
            handle.request(|reply| Command::Join { resume, fresh: fresh_hash, resume_only: guarded, reply }).await;
        let joined = match joined.and_then(|joined| joined) {
            Ok(joined) => joined,
            Err(refusal) => {
                self.refuse(None, refusal).await?;
                return Err(Goodbye(CloseCode::Normal, "Could not join."));
            }
        };
        let token = if joined.fresh { fresh } else { token.unwrap_or_default() };
        if let Some(peer) = self.peer {
            handle.admit(peer);
        }
        tracing::Span::current().record("session", handle.code.as_str()).record("role", "participant");
        self.send(&welcome_message(&joined, token)).await?;
        self.view = Some(handle.audience.clone());
        self.counted = Some(Counted::new("participant"));
        self.role = Some(Role::Participant {
            _online: OnlineGuard::new(&handle.online),
            participant: joined.participant,
            handle,
        });
        // The welcome carried the step: mark it sent, then send the rest of the view.
        self.send_view().await
    }

    async fn host(&mut self, code: &str, key: &str, presenter: bool) -> Result<(), Goodbye> {
        let guarded = self.hub.join_guarded(self.peer, code).await;
        let handle = self.find(code, guarded).await?;
        let allowed = if presenter { handle.is_presenter(key).await } else { handle.is_host(key).await };
        let allowed = match allowed {
            Ok(allowed) => allowed,
            Err(gone) => {
                self.refuse(None, self.hub.gone(code, gone, guarded)).await?;
                return Err(Goodbye(CloseCode::Policy, "No such session."));
            }
        };
        if !allowed {
            self.refuse(None, self.hub.wrong_key(self.peer, guarded)).await?;
            return Err(Goodbye(CloseCode::Policy, "Wrong key."));
        }
        // The room the session is run from: people there join even while it is guarded.
        if let Some(peer) = self.peer {
            handle.admit(peer);
        }
        let join_url = format!("{}/j/{}", self.base_url, handle.code);
        let present_key = if presenter { String::new() } else { auth::present_key_for(key) };
        let info = handle.request(|reply| Command::Info { join_url, present_key, reply }).await;
        let info = match info.and_then(|info| info) {
            Ok(info) => info,
            Err(refusal) => {
                self.refuse(None, refusal).await?;
                return Err(Goodbye(CloseCode::Away, "Session unavailable."));
            }
        };
        let welcome = if presenter {
            ServerMessage::WelcomePresent {
                protocol: PROTOCOL_VERSION,
                session: PresentInfo {
                    code: info.code,
                    title: info.title,
                    state: info.state,
                    join_url: info.join_url,
                    about_you: info.about_you,
                },
                server_time: crate::journal::now_ms(),
            }
        } else {
            ServerMessage::WelcomeHost {
                protocol: PROTOCOL_VERSION,
                session: info,
                server_time: crate::journal::now_ms(),
            }
        };
        let role = if presenter { "presenter" } else { "host" };
        tracing::Span::current().record("session", handle.code.as_str()).record("role", role);
        self.send(&welcome).await?;
        self.view = Some(if presenter { handle.projector.clone() } else { handle.staff.clone() });
        self.counted = Some(Counted::new(role));
        self.role = Some(if presenter { Role::Presenter { _handle: handle } } else { Role::Host { handle } });
        self.send_view().await
    }
}

/// The refusal for a message that is not for this role.
fn forbidden_for(role: Option<&Role>) -> Refusal {
    let message = match role {
        Some(Role::Participant { .. }) => "Only the facilitator can do that.",
        Some(Role::Host { .. }) => "Answers come from participants' phones, not the console.",
        _ => "The projector view only shows; it cannot change anything.",
    };
    Refusal::new(ErrorCode::Forbidden, message)
}

/// Waits for the view to change; never resolves before there is a view.
async fn view_changed(view: &mut Option<watch::Receiver<Frames>>) -> Result<(), watch::error::RecvError> {
    match view {
        Some(view) => view.changed().await,
        None => std::future::pending().await,
    }
}

/// What a write's outcome means for the connection. A peer that has not taken frames for the
/// write stall limit is too slow to keep up (meanwhile this connection read nothing more from
/// it, so what it holds stayed bounded).
fn written(result: Result<(), WriteError>) -> Result<(), Goodbye> {
    match result {
        Ok(()) => Ok(()),
        Err(WriteError::Stalled) => Err(Goodbye(CloseCode::Other(TOO_SLOW), "Too slow to keep up.")),
        // 1006 is never sent: it stands for a connection that ended without a goodbye.
        Err(WriteError::Io(_)) => Err(Goodbye(CloseCode::Abnormal, "")),
    }
}

/// Heartbeats fall on a grid of this step, the same for every connection, so that the pings
/// due in one step go out in one wake-up of a worker rather than one wake-up each.
const BEAT_SLOT: Duration = Duration::from_millis(100);

/// When this connection first pings; then every period after. Phones join in bursts (a room
/// of 19,000 in 2–4 s), and with a ping at a fixed time after each connect their pings came in
/// the same bursts, every period, for the whole session: 19,000 pings and pongs in a few
/// seconds, and a reveal or step change in those seconds shared the cores with them (9–29 %
/// more server CPU, and the slow first reveal of issue 18: docs/performance.md).
/// Consecutive connections get offsets a golden-ratio step apart, so that any burst of them
/// is spread evenly over the period, on the [`BEAT_SLOT`] grid.
fn first_heartbeat(period: Duration) -> tokio::time::Instant {
    static ORIGIN: OnceLock<tokio::time::Instant> = OnceLock::new();
    static CONNECTIONS: AtomicU64 = AtomicU64::new(0);
    let now = tokio::time::Instant::now();
    let origin = *ORIGIN.get_or_init(|| now);
    let due = now + nth_offset(CONNECTIONS.fetch_add(1, Ordering::Relaxed), period);
    origin + on_grid(due.duration_since(origin), BEAT_SLOT)
}

/// The offset of the `n`-th connection: the fractional part of n·φ, of the period.
fn nth_offset(n: u64, period: Duration) -> Duration {
    let fraction = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) as f64 / 2f64.powi(64);
    period.mul_f64(fraction)
}

/// `since`, rounded up to a whole number of `slot`s.
fn on_grid(since: Duration, slot: Duration) -> Duration {
    let slot_ns = slot.as_nanos().max(1);
    let slots = since.as_nanos().div_ceil(slot_ns);
    Duration::from_nanos(u64::try_from(slots * slot_ns).unwrap_or(u64::MAX))
}

/// Resolves when the deadline passes; never, once there is none.
async fn expire(deadline: &mut Option<Pin<Box<tokio::time::Sleep>>>) {
    match deadline {
        Some(deadline) => deadline.await,
        None => std::future::pending().await,
    }
}

fn protocol_goodbye(err: &SocketError) -> Goodbye {
    match err {
        SocketError::TooBig => Goodbye(CloseCode::Size, "Messages may be at most 16 KiB."),
        SocketError::NotUtf8 => Goodbye(CloseCode::Invalid, "Messages must be valid UTF-8 text."),
        SocketError::Protocol(_)
        | SocketError::ReservedBits
        | SocketError::FragmentedControl
        | SocketError::LongControl
        | SocketError::BadLength
        | SocketError::Io(_) => Goodbye(CloseCode::Protocol, "WebSocket protocol error."),
    }
}

/// Turns a message that could not be read into a plain-language refusal, echoing its `id`
/// when one can be found.
pub(crate) fn explain_bad_message(text: &str, err: &serde_json::Error) -> (Option<RequestId>, Refusal) {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return (None, Refusal::new(ErrorCode::InvalidMessage, "That message is not valid JSON."));
    };
    let id = value.get("id").and_then(serde_json::Value::as_u64);
    let Some(kind) = value.get("type").and_then(serde_json::Value::as_str) else {
        return (id, Refusal::new(ErrorCode::InvalidMessage, "A message needs a \"type\"."));
    };
    // serde names an unknown tag this way; every other failure is a field's.
    if err.to_string().starts_with(&format!("unknown variant `{kind}`")) {
        let kind: String = kind.chars().take(40).collect();
        return (id, Refusal::new(ErrorCode::UnknownType, format!("\"{kind}\" is not a message this server knows.")));
    }
    (
        id,
        Refusal::new(
            ErrorCode::InvalidMessage,
            format!("The \"{kind}\" message has a missing or wrong field ({err})."),
        ),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{nth_offset, on_grid};

    /// Any run of consecutive connections (a room joining at once, from wherever the counter
    /// stands) pings evenly over the period: each tenth of it gets a tenth of them, give or
    /// take a few, never a burst.
    #[test]
    fn consecutive_connections_ping_evenly_over_the_period() {
        let period = Duration::from_secs(15);
        for start in [0, 1, 12_345, u64::MAX - 20_000] {
            let mut tenths = [0u32; 10];
            for n in start..start + 19_000 {
                let offset = nth_offset(n, period);
                assert!(offset < period);
                tenths[(offset.as_secs_f64() / 1.5) as usize] += 1;
            }
            assert!(tenths.iter().all(|&count| (1_880..=1_920).contains(&count)), "{tenths:?} from {start}");
        }
    }

    /// A connection's first ping falls on the shared grid, never before it was due.
    #[test]
    fn heartbeats_fall_on_the_grid() {
        let slot = Duration::from_millis(100);
        assert_eq!(on_grid(Duration::ZERO, slot), Duration::ZERO);
        assert_eq!(on_grid(Duration::from_millis(1), slot), slot);
        assert_eq!(on_grid(Duration::from_millis(100), slot), slot);
        assert_eq!(on_grid(Duration::from_micros(14_900_001), slot), Duration::from_millis(15_000));
    }
}
