//! The session task: one per live session, the only owner of its state.
//!
//! Requests arrive as [`Command`]s on a bounded channel. A request that changes something is
//! checked, turned into an event and handed to the journal; the task goes on serving other
//! commands meanwhile, and applies each event when the journal reports it committed, in the
//! order they were sent. Only then does the requester hear `ack`, so an acknowledged answer is
//! on disk, and the state on screen is always the fold of what is on disk.
//!
//! Views leave through two `watch` channels of pre-serialised [`Frames`]: one for the console
//! and projector, one for participants. Results are published on a tick, not per answer, so
//! a burst of answers costs one serialisation per tick however many screens read it, and a
//! slow reader skips stale frames instead of queueing them.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use bytestring::ByteString;
use futures_util::StreamExt;
use futures_util::stream::FuturesOrdered;
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{Instrument, debug, info_span, warn};

use super::state::{Change, SessionState};
use crate::activity::{Activity, Aggregate};
use crate::auth;
use crate::error::{ErrorCode, Refusal};
use crate::journal::{Event, Journal, now_ms};
use crate::protocol::{
    ClientMessage, Mine, PROTOCOL_VERSION, ParticipantId, RequestId, ServerMessage, SessionInfo, StepView,
};

/// How often the console and projector may get a new results frame.
pub const STAFF_TICK: Duration = Duration::from_millis(100);

/// How often participants may get a new results frame; slower as the audience grows, so
/// that fan-out stays a small share of the server's time.
pub fn audience_interval(online: u32) -> Duration {
    Duration::from_millis(1000 + u64::from(online / 5000) * 500)
}

/// One pre-serialised frame and the version it was published at.
#[derive(Debug, Clone)]
pub struct Frame {
    pub version: u64,
    pub text: ByteString,
}

/// The latest frames of a view. A connection remembers the versions it has sent and sends
/// whichever slots moved on, in this order.
#[derive(Debug, Clone, Default)]
pub struct Frames {
    /// Console only (the projector ignores it).
    pub agenda: Option<Frame>,
    pub step: Option<Frame>,
    pub results: Option<Frame>,
    /// Console and projector only.
    pub counts: Option<Frame>,
    pub closed: Option<Frame>,
}

/// What a participant learns on joining.
#[derive(Debug)]
pub struct Joined {
    pub participant: ParticipantId,
    /// Whether the participant is new (its token is the freshly made one).
    pub fresh: bool,
    pub welcome: WelcomeParts,
}

#[derive(Debug)]
pub struct WelcomeParts {
    pub title: String,
    pub state: crate::protocol::SessionState,
    pub step: StepView,
    pub mine: Option<Mine>,
}

/// Facilitator controls.
#[derive(Debug, Clone)]
pub enum Control {
    Goto { activity: Option<String>, round: Option<String> },
    SetOpen(bool),
    Reveal(bool),
    Hide { activity: String, item: String, hidden: bool },
    Merge { activity: String, from: String, into: String },
    Reset { activity: String },
    Close,
}

impl Control {
    /// The control a facilitator's message asks for, with its request id; `None` for a
    /// message that is not a facilitator's.
    pub fn from_message(message: ClientMessage) -> Option<(RequestId, Self)> {
        Some(match message {
            ClientMessage::Goto { id, activity, round } => (id, Self::Goto { activity, round }),
            ClientMessage::SetOpen { id, open } => (id, Self::SetOpen(open)),
            ClientMessage::Reveal { id, show } => (id, Self::Reveal(show)),
            ClientMessage::Hide { id, activity, item, hidden } => (id, Self::Hide { activity, item, hidden }),
            ClientMessage::Merge { id, activity, from, into } => (id, Self::Merge { activity, from, into }),
            ClientMessage::Reset { id, activity } => (id, Self::Reset { activity }),
            ClientMessage::CloseSession { id } => (id, Self::Close),
            _ => return None,
        })
    }
}

/// What a participant asks of the session.
#[derive(Debug, Clone)]
pub enum Request {
    Answer { activity: String, round: Option<String>, statement: Option<u32>, value: Option<i64>, text: Option<String> },
    DeleteEntry { activity: String, entry: u32 },
}

impl Request {
    /// The request a participant's message makes, with its id; `None` for a message that is
    /// not a participant's.
    pub fn from_message(message: ClientMessage) -> Option<(RequestId, Self)> {
        Some(match message {
            ClientMessage::Answer { id, activity, round, statement, value, text } => {
                (id, Self::Answer { activity, round, statement, value, text })
            }
            ClientMessage::EntryDelete { id, activity, entry } => (id, Self::DeleteEntry { activity, entry }),
            _ => return None,
        })
    }
}

pub type Reply<T> = oneshot::Sender<Result<T, Refusal>>;

/// Requests to a session task.
#[derive(Debug)]
pub enum Command {
    /// A participant joins: resumes when `resume` is a known token hash, otherwise becomes a
    /// new participant whose token hash is `fresh`.
    Join {
        resume: Option<String>,
        fresh: String,
        reply: Reply<Joined>,
    },
    /// The session as the facilitator sees it.
    Info {
        join_url: String,
        present_key: String,
        reply: Reply<SessionInfo>,
    },
    /// A participant's saved answers in the current step.
    Mine {
        participant: ParticipantId,
        reply: oneshot::Sender<Option<Mine>>,
    },
    Control {
        control: Control,
        reply: Reply<()>,
    },
    Participate {
        participant: ParticipantId,
        request: Request,
        reply: Reply<()>,
    },
    ReplaceAgenda {
        agenda: Vec<Activity>,
        reply: Reply<Vec<Activity>>,
    },
}

/// Who to tell once an event is committed and applied.
enum Waiter {
    Ack(Reply<()>),
    Joined { participant: ParticipantId, reply: Reply<Joined> },
    Agenda(Reply<Vec<Activity>>),
}

type Committed = Pin<Box<dyn Future<Output = (Event, i64, Waiter, bool)> + Send>>;

/// The channels a session task publishes on; the other ends live in its handle.
pub struct Outlets {
    pub staff: watch::Sender<Frames>,
    pub audience: watch::Sender<Frames>,
    pub online: Arc<AtomicU32>,
    /// Most participants the session takes.
    pub max_participants: u32,
}

struct Session {
    state: SessionState,
    journal: Journal,
    pending: FuturesOrdered<Committed>,
    outlets: Outlets,
    version: u64,
    /// Participant numbers are handed out when a join is proposed, so that joins in flight
    /// never share one; item numbers (word-cloud entries) likewise.
    next_participant: ParticipantId,
    next_item: u32,
    staff_results_dirty: bool,
    audience_results_dirty: bool,
    audience_results_at: Instant,
    counts_sent: (u32, u32),
}

/// Runs a session until every handle to it is dropped and its last event is settled.
pub async fn run(state: SessionState, journal: Journal, commands: mpsc::Receiver<Command>, outlets: Outlets) {
    let span = info_span!("session", code = %state.code);
    let next_participant = state.last_participant + 1;
    let next_item = state.last_item + 1;
    let mut session = Session {
        state,
        journal,
        pending: FuturesOrdered::new(),
        outlets,
        version: 0,
        next_participant,
        next_item,
        staff_results_dirty: false,
        audience_results_dirty: false,
        audience_results_at: Instant::now(),
        counts_sent: (u32::MAX, u32::MAX),
    };
    session.publish_all();
    session.serve(commands).instrument(span).await;
}

impl Session {
    async fn serve(&mut self, mut commands: mpsc::Receiver<Command>) {
        let mut tick = tokio::time::interval(STAFF_TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut accepting = true;
        loop {
            tokio::select! {
                biased;
                Some((event, at, waiter, saved)) = self.pending.next(), if !self.pending.is_empty() => {
                    self.settle(event, at, waiter, saved);
                }
                command = commands.recv(), if accepting => match command {
                    Some(command) => self.handle(command).await,
                    None => accepting = false,
                },
                _ = tick.tick() => self.publish_tick(),
            }
            if !accepting && self.pending.is_empty() {
                break;
            }
        }
        self.publish_tick();
        debug!("session task stopped");
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::Join { resume, fresh, reply } => {
                if let Some(participant) = resume.as_deref().and_then(|hash| self.state.participant(hash)) {
                    let welcome = self.welcome(participant);
                    let _ = reply.send(Ok(Joined { participant, fresh: false, welcome }));
                    return;
                }
                if self.state.is_closed() {
                    let _ = reply.send(Err(Refusal::session_closed()));
                    return;
                }
                if self.next_participant > self.outlets.max_participants {
                    let refusal =
                        Refusal::new(ErrorCode::LimitReached, "This session is full. Please tell the facilitator.");
                    let _ = reply.send(Err(refusal));
                    return;
                }
                let participant = self.next_participant;
                self.next_participant += 1;
                let event = Event::Joined { participant, token_hash: fresh };
                self.journal(event, Waiter::Joined { participant, reply }).await;
            }
            Command::Info { join_url, present_key, reply } => {
                let _ = reply.send(Ok(self.info(join_url, present_key)));
            }
            Command::Mine { participant, reply } => {
                let _ = reply.send(self.state.mine(participant));
            }
            Command::Control { control, reply } => {
                let proposal = match control {
                    Control::Goto { activity, round } => self.state.propose_step(activity.as_deref(), round.as_deref()),
                    Control::SetOpen(open) => self.state.propose_open(open),
                    Control::Reveal(show) => self.state.propose_reveal(show),
                    Control::Hide { activity, item, hidden } => self.state.propose_hide(&activity, &item, hidden),
                    Control::Merge { activity, from, into } => self.state.propose_merge(&activity, &from, &into),
                    Control::Reset { activity } => self.state.propose_reset(&activity),
                    Control::Close => self.state.propose_close(),
                };
                match proposal {
                    Ok(event) => self.journal(event, Waiter::Ack(reply)).await,
                    Err(refusal) => {
                        let _ = reply.send(Err(refusal));
                    }
                }
            }
            Command::Participate { participant, request, reply } => {
                let proposal = match request {
                    Request::Answer { activity, round, statement, value, text } => self.state.propose_answer(
                        participant,
                        &activity,
                        round.as_deref(),
                        statement,
                        value,
                        text.as_deref(),
                        self.next_item,
                    ),
                    Request::DeleteEntry { activity, entry } => {
                        self.state.propose_entry_delete(participant, &activity, entry)
                    }
                };
                match proposal {
                    Ok(event) => {
                        if matches!(event, Event::WordEntry { .. }) {
                            self.next_item += 1;
                        }
                        self.journal(event, Waiter::Ack(reply)).await;
                    }
                    Err(refusal) => {
                        let _ = reply.send(Err(refusal));
                    }
                }
            }
            Command::ReplaceAgenda { agenda, reply } => match self.state.propose_agenda(agenda, new_activity_id) {
                Ok(event) => self.journal(event, Waiter::Agenda(reply)).await,
                Err(refusal) => {
                    let _ = reply.send(Err(refusal));
                }
            },
        }
    }

    /// Hands an event to the journal; `settle` runs when it is committed (or failed).
    async fn journal(&mut self, event: Event, waiter: Waiter) {
        let at = now_ms();
        match self.journal.append(&self.state.code, at, event.clone()).await {
            Ok(committed) => self.pending.push_back(Box::pin(async move {
                let saved = matches!(committed.await, Ok(Ok(())));
                (event, at, waiter, saved)
            })),
            Err(err) => {
                warn!(%err, "journal unavailable");
                refuse(waiter, Refusal::unavailable());
            }
        }
    }

    /// An event's fate is known: apply it if it was saved, and tell whoever asked.
    fn settle(&mut self, event: Event, at: i64, waiter: Waiter, saved: bool) {
        if !saved {
            refuse(waiter, Refusal::not_saved());
            return;
        }
        match self.state.apply(&event, at) {
            Ok(change) => {
                self.changed(change);
                match waiter {
                    Waiter::Ack(reply) => {
                        let _ = reply.send(Ok(()));
                    }
                    Waiter::Joined { participant, reply } => {
                        let welcome = self.welcome(participant);
                        let _ = reply.send(Ok(Joined { participant, fresh: true, welcome }));
                    }
                    Waiter::Agenda(reply) => {
                        let _ = reply.send(Ok(self.state.agenda.clone()));
                    }
                }
            }
            Err(refusal) => refuse(waiter, refusal),
        }
    }

    fn welcome(&self, participant: ParticipantId) -> WelcomeParts {
        WelcomeParts {
            title: self.state.title.clone(),
            state: self.state.lifecycle(),
            step: self.state.step_view(),
            mine: self.state.mine(participant),
        }
    }

    fn info(&self, join_url: String, present_key: String) -> SessionInfo {
        SessionInfo {
            code: self.state.code.clone(),
            title: self.state.title.clone(),
            state: self.state.lifecycle(),
            series: self.state.series.clone(),
            created_at: self.state.created_at,
            closed_at: self.state.closed_at,
            agenda: self.state.agenda.clone(),
            step: self.state.step_view(),
            participants: self.state.joined(),
            join_url,
            present_key,
        }
    }

    // ---- publishing -------------------------------------------------------------------------

    fn changed(&mut self, change: Change) {
        match change {
            Change::Results(activity) => {
                if self.state.step.activity.as_deref() == Some(&activity) {
                    self.staff_results_dirty = true;
                    self.audience_results_dirty = true;
                }
            }
            Change::Joined => {}
            Change::Step | Change::Agenda | Change::Closed => self.publish_all(),
        }
    }

    fn next_frame(&mut self, message: &ServerMessage) -> Option<Frame> {
        self.version += 1;
        match serde_json::to_string(message) {
            Ok(text) => Some(Frame { version: self.version, text: text.into() }),
            Err(err) => {
                warn!(%err, "a frame could not be serialised");
                None
            }
        }
    }

    fn results_frame(&mut self, activity: String, data: Aggregate) -> Option<Frame> {
        let seq = self.version + 1;
        self.next_frame(&ServerMessage::Results { activity, seq, data })
    }

    /// Results frames for the console and projector (hidden items included, marked hidden)
    /// and, when `audience` is asked for, for participants (hidden items left out). One frame
    /// serves both when they say the same.
    fn results_frames(&mut self, audience: bool) -> (Option<Frame>, Option<Frame>) {
        let Some((activity, staff)) = self.state.results(true) else { return (None, None) };
        let public = if audience { self.state.results(false).map(|(_, data)| data) } else { None };
        let same = public.as_ref() == Some(&staff);
        let staff_frame = self.results_frame(activity.clone(), staff);
        let audience_frame = match public {
            Some(_) if same => staff_frame.clone(),
            Some(data) => self.results_frame(activity, data),
            None => None,
        };
        (staff_frame, audience_frame)
    }

    /// Publishes every slot at once: after a change of step, agenda or lifecycle.
    fn publish_all(&mut self) {
        let step = self.next_frame(&ServerMessage::Step(self.state.step_view()));
        let reveal = self.state.step_view().reveal;
        let (results, public_results) = self.results_frames(reveal);
        let agenda = self.next_frame(&ServerMessage::Agenda { agenda: self.state.agenda.clone() });
        let closed = if self.state.is_closed() { self.next_frame(&ServerMessage::SessionClosed) } else { None };
        self.outlets.staff.send_modify(|frames| {
            frames.step = step.clone();
            frames.results = results;
            frames.agenda = agenda;
            frames.closed = closed.clone();
        });
        self.outlets.audience.send_modify(|frames| {
            frames.step = step;
            frames.results = public_results;
            frames.closed = closed;
        });
        self.staff_results_dirty = false;
        self.audience_results_dirty = false;
        self.audience_results_at = Instant::now();
        self.publish_counts();
    }

    /// The periodic part: results that changed since the last tick, and counts.
    fn publish_tick(&mut self) {
        let online = self.outlets.online.load(Ordering::Relaxed);
        let audience_due = self.audience_results_dirty
            && self.state.step.reveal
            && self.audience_results_at.elapsed() >= audience_interval(online);
        if self.staff_results_dirty || audience_due {
            let (results, public_results) = self.results_frames(audience_due);
            if self.staff_results_dirty {
                self.outlets.staff.send_modify(|frames| frames.results = results);
                self.staff_results_dirty = false;
            }
            if audience_due {
                self.outlets.audience.send_modify(|frames| frames.results = public_results);
                self.audience_results_dirty = false;
                self.audience_results_at = Instant::now();
            }
        }
        self.publish_counts();
    }

    fn publish_counts(&mut self) {
        let counts = (self.state.joined(), self.outlets.online.load(Ordering::Relaxed));
        if counts == self.counts_sent {
            return;
        }
        self.counts_sent = counts;
        let frame = self.next_frame(&ServerMessage::Counts { joined: counts.0, online: counts.1 });
        self.outlets.staff.send_modify(|frames| frames.counts = frame);
    }
}

fn refuse(waiter: Waiter, refusal: Refusal) {
    match waiter {
        Waiter::Ack(reply) => {
            let _ = reply.send(Err(refusal));
        }
        Waiter::Joined { reply, .. } => {
            let _ = reply.send(Err(refusal));
        }
        Waiter::Agenda(reply) => {
            let _ = reply.send(Err(refusal));
        }
    }
}

/// A short random id for a new activity.
pub fn new_activity_id() -> String {
    auth::new_secret()[..10].to_owned()
}

/// Builds the welcome a participant gets.
pub fn welcome_message(joined: &Joined, token: String) -> ServerMessage {
    ServerMessage::Welcome {
        protocol: PROTOCOL_VERSION,
        participant_id: joined.participant,
        token,
        title: joined.welcome.title.clone(),
        state: joined.welcome.state,
        step: joined.welcome.step.clone(),
        mine: joined.welcome.mine.clone(),
    }
}
