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

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{Instrument, debug, info, info_span, warn};

use crate::activity::Activity;
use crate::error::Refusal;
use crate::journal::{Event, Journal, Settled, Settlements, now_ms};
use crate::protocol::Results;
use crate::protocol::{Mine, PROTOCOL_VERSION, ParticipantId, RequestId, ServerMessage, SessionInfo, StepView};
use crate::session::{Change, Control, Core, Join, Proposal, RecentRequests, Request, SessionState};
use crate::{auth, export};

/// How often the console and projector may get a new results frame (and note moves are
/// written): short, so that the projector is at most a few tens of milliseconds behind.
pub const STAFF_TICK: Duration = Duration::from_millis(50);
/// A results frame larger than this (a big jam board) goes to the console and projector at
/// most every [`BIG_FRAME_EVERY`], so that their browsers are not kept parsing.
const BIG_FRAME: usize = 16 * 1024;
const BIG_FRAME_EVERY: Duration = Duration::from_millis(100);

/// How often participants may get a new results frame; slower as the audience grows, so
/// that fan-out stays a small share of the server's time.
pub fn audience_interval(online: u32) -> Duration {
    Duration::from_millis(1000 + u64::from(online / 5000) * 500)
}

/// One message, serialised once for every connection it goes to (each writes its own
/// WebSocket header before these shared bytes), and the version it was published at.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Frame {
    pub version: u64,
    /// The JSON text (as a string between nodes, see [`super::remote`]).
    #[serde(with = "text")]
    pub text: Bytes,
}

/// A frame's bytes, which are JSON text, as a string: between nodes a frame travels inside
/// JSON, and a string is what it is.
mod text {
    use bytes::Bytes;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(text: &Bytes, to: S) -> Result<S::Ok, S::Error> {
        to.serialize_str(std::str::from_utf8(text).map_err(serde::ser::Error::custom)?)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<Bytes, D::Error> {
        Ok(Bytes::from(String::deserialize(from)?))
    }
}

/// The latest frames of a view. A connection remembers the versions it has sent and sends
/// whichever slots moved on, in this order.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Frames {
    /// Console only.
    pub agenda: Option<Frame>,
    pub step: Option<Frame>,
    pub results: Option<Frame>,
    /// Console and projector only.
    pub counts: Option<Frame>,
    pub closed: Option<Frame>,
    /// Console and projector, once closed: every activity's results.
    pub summary: Option<Frame>,
    /// "What we heard" published or revoked (issue 15).
    pub what_we_heard: Option<Frame>,
    /// Changes only when the activity or round on screen changes: phones then need their own
    /// answers there (`mine`), which a reveal or "stop answers" does not call for.
    pub scope: u64,
}

impl Frames {
    /// The newest version among the slots: frames of one session only grow newer, so of two
    /// copies of a view the one with the greater is the later.
    pub fn newest(&self) -> u64 {
        [&self.agenda, &self.step, &self.results, &self.counts, &self.closed, &self.summary]
            .into_iter()
            .flatten()
            .map(|frame| frame.version)
            .max()
            .unwrap_or(0)
            .max(self.scope)
    }
}

/// What a participant learns on joining.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Joined {
    pub participant: ParticipantId,
    /// Whether the participant is new (its token is the freshly made one).
    pub fresh: bool,
    pub welcome: WelcomeParts,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct WelcomeParts {
    pub title: String,
    pub state: crate::protocol::SessionState,
    pub step: StepView,
    pub mine: Option<Mine>,
    /// The "About you" question, the participant's group and whether they chose.
    pub about_you: (Option<crate::protocol::AboutYouQuestion>, Option<u32>, bool),
    pub what_we_heard: Option<String>,
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
        /// Only a resume will do: the caller is guarded for guessing codes, and a token that
        /// matches nobody is refused rather than made a new participant.
        resume_only: bool,
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
        /// The client's id for the request: a request seen (and applied) before is only
        /// acknowledged again.
        id: RequestId,
        request: Request,
        reply: Reply<()>,
    },
    ReplaceAgenda {
        agenda: Vec<Activity>,
        reply: Reply<Vec<Activity>>,
    },
    /// The session is being deleted: tell every screen it has ended, and stop.
    Delete {
        reply: oneshot::Sender<()>,
    },
    /// Another node owns the session now (this one lost its lease): stop taking commands,
    /// settle what is in flight, and stop; every screen's view ends, and its connection is
    /// told to reconnect, to whichever node, which reaches the new owner.
    Release,
}

/// Who to tell once an event is committed and applied.
enum Waiter {
    /// Everyone who asked for this change (several, for coalesced moves).
    Ack(Vec<Reply<()>>),
    Joined {
        participant: ParticipantId,
        reply: Reply<Joined>,
    },
    Agenda(Reply<Vec<Activity>>),
}

/// The latest move of a note, and everyone waiting to hear it is saved.
struct PendingMove {
    event: Event,
    replies: Vec<Reply<()>>,
}

/// The channels a session task publishes on; the other ends live in its handle.
pub struct Outlets {
    /// The console: everything, hidden items marked.
    pub staff: watch::Sender<Frames>,
    /// The projector: results always, hidden items left out.
    pub projector: watch::Sender<Frames>,
    /// Participants: results only while they may see them, hidden items left out.
    pub audience: watch::Sender<Frames>,
    pub online: Arc<AtomicU32>,
    /// Most participants the session takes.
    pub max_participants: u32,
    /// Where exports are written when the session closes.
    pub data_dir: std::path::PathBuf,
}

struct Session {
    /// The state, recognised requests and events in flight: everything decided. The journal
    /// reports on events in the order they were sent ([`Settled`], per batch), on
    /// `settlements`, and the core settles them in that order.
    core: Core<Waiter>,
    journal: Journal,
    settlements: Settlements,
    /// The session's code, shared with every event sent to the journal.
    code: Arc<str>,
    outlets: Outlets,
    version: u64,
    staff_results_dirty: bool,
    /// When the console's last results frame went out, and its size.
    staff_results_at: Instant,
    staff_results_len: usize,
    /// The same for the projector, paced on its own: its frame is the public one, without the
    /// console's figures per group, so a console frame over [`BIG_FRAME`] (8 groups × 10
    /// statements is) must not hold the projector to the slower pace. With 8 groups and
    /// 19,000 phones, tying them took answer → projector p99 from 51 to 150 ms.
    projector_results_dirty: bool,
    projector_results_at: Instant,
    projector_results_len: usize,
    audience_results_dirty: bool,
    audience_results_at: Instant,
    counts_sent: Counts,
    /// Participants who answered the activity on screen, counted when its results are
    /// published (O(participants) for some kinds, so not per answer).
    answered: u32,
    /// Activities with answers, as the console was last told.
    with_answers: Vec<String>,
    /// When the running countdown stops answers, and to which activity.
    timer_due: Option<(String, i64)>,
    /// Events that replace each other (a note's moves) waiting for the next tick, by
    /// activity and key.
    moves: HashMap<(String, u32), PendingMove>,
    /// The export files being written after the session closed.
    exporting: Option<(tokio::task::JoinHandle<()>, crate::disk::Stop)>,
    /// The activity and round on screen, and the version at which they came on screen.
    scope: Option<((Option<String>, usize), u64)>,
    /// Counters bumped per answer, looked up once: `counter!` looks its key up in the
    /// registry on every call.
    requests: metrics::Counter,
    acks: metrics::Counter,
}

/// Runs a session until every handle to it is dropped and its last event is settled.
pub async fn run(
    state: SessionState,
    recent: RecentRequests,
    journal: Journal,
    commands: mpsc::Receiver<Command>,
    outlets: Outlets,
) {
    let span = info_span!("session", code = %state.code);
    let (settlements, settled) = mpsc::unbounded_channel();
    let code = state.code.as_str().into();
    let core = Core::new(state, recent, outlets.max_participants);
    let mut session = Session {
        core,
        journal,
        settlements,
        code,
        outlets,
        version: 0,
        staff_results_dirty: false,
        staff_results_at: Instant::now(),
        staff_results_len: 0,
        projector_results_dirty: false,
        projector_results_at: Instant::now(),
        projector_results_len: 0,
        audience_results_dirty: false,
        audience_results_at: Instant::now(),
        counts_sent: Counts { joined: u32::MAX, ..Counts::default() },
        answered: 0,
        with_answers: Vec::new(),
        timer_due: None,
        moves: HashMap::new(),
        exporting: None,
        scope: None,
        requests: metrics::counter!(crate::metrics::REQUESTS),
        acks: metrics::counter!(crate::metrics::ACKS),
    };
    session.publish_all();
    metrics::gauge!(crate::metrics::SESSIONS).increment(1.0);
    session.serve(commands, settled).instrument(span).await;
    metrics::gauge!(crate::metrics::SESSIONS).decrement(1.0);
}

impl Session {
    async fn serve(&mut self, mut commands: mpsc::Receiver<Command>, mut settled: mpsc::UnboundedReceiver<Settled>) {
        let mut tick = tokio::time::interval(STAFF_TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut accepting = true;
        // Made once, not per turn of the loop: each new one would register with the channel.
        let journal = self.journal.clone();
        let stopped = futures_util::FutureExt::fuse(journal.stopped());
        tokio::pin!(stopped);
        // One sleep, moved whenever the countdown changes, not one made per turn of the loop.
        let countdown = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(countdown);
        let mut countdown_for = None;
        loop {
            if self.timer_due != countdown_for {
                countdown_for.clone_from(&self.timer_due);
                if let Some((_, ends_at)) = &countdown_for {
                    let left = Duration::from_millis(ends_at.saturating_sub(now_ms()).max(0) as u64);
                    countdown.as_mut().reset(tokio::time::Instant::now() + left);
                }
            }
            tokio::select! {
                biased;
                // The tick first: under a steady stream of answers the other branches are
                // always ready, and the screens must still get their frame every tick.
                _ = tick.tick() => {
                    self.flush_moves().await;
                    self.publish_tick();
                }
                () = &mut countdown, if countdown_for.is_some() && accepting => {
                    countdown_for = None;
                    self.countdown_ended().await;
                }
                Some(Settled { events, saved }) = settled.recv(), if self.core.in_flight() > 0 => {
                    for _ in 0..events {
                        self.settle(saved);
                    }
                }
                // The writer died with events of ours unreported: they are not known saved.
                () = &mut stopped, if self.core.in_flight() > 0 => {
                    while self.core.in_flight() > 0 {
                        self.settle(false);
                    }
                }
                command = commands.recv(), if accepting => match command {
                    Some(Command::Delete { reply }) => {
                        // Exports still being written would outlive the delete; exports
                        // waiting for disk space to come back are given up.
                        if let Some((exporting, stop)) = self.exporting.take() {
                            stop.throw().await;
                            exporting.abort();
                            let _ = exporting.await;
                        }
                        self.deleted();
                        let _ = reply.send(());
                        accepting = false;
                        commands.close();
                    }
                    Some(Command::Release) | None => {
                        accepting = false;
                        commands.close();
                    }
                    Some(command) => self.handle(command).await,
                },
            }
            if !accepting && self.core.in_flight() == 0 && !self.moves.is_empty() {
                self.flush_moves().await;
            }
            if !accepting && self.core.in_flight() == 0 {
                break;
            }
        }
        self.publish_tick();
        debug!("session task stopped");
    }

    /// A countdown that stops answers reached zero: stop them, as the facilitator would.
    async fn countdown_ended(&mut self) {
        let Some((activity, _)) = self.timer_due.take() else { return };
        if self.core.state().timer_stops_answers_at().is_some_and(|(due, _)| due == activity) {
            let event = Event::Opened { activity, open: false };
            self.journal(event, None, Waiter::Ack(Vec::new())).await;
        }
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::Join { resume, fresh, resume_only, reply } => {
                match self.core.join(resume.as_deref(), fresh, resume_only) {
                    Ok(Join::Resumed(participant)) => {
                        let welcome = self.welcome(participant);
                        let _ = reply.send(Ok(Joined { participant, fresh: false, welcome }));
                    }
                    Ok(Join::New(participant, event)) => {
                        self.journal(event, None, Waiter::Joined { participant, reply }).await;
                    }
                    Err(refusal) => {
                        let _ = reply.send(Err(refusal));
                    }
                }
            }
            Command::Info { join_url, present_key, reply } => {
                let _ = reply.send(Ok(self.info(join_url, present_key)));
            }
            Command::Mine { participant, reply } => {
                let _ = reply.send(self.core.state().mine(participant));
            }
            Command::Control { control, reply } => match self.core.control(&control) {
                Ok(Event::Activity(event)) if event.coalesce_key().is_some() => {
                    let key = (event.activity().to_owned(), event.coalesce_key().unwrap_or_default());
                    self.coalesce(key, Event::Activity(event), reply);
                }
                Ok(event) => self.journal(event, None, Waiter::Ack(vec![reply])).await,
                Err(refusal) => {
                    let _ = reply.send(Err(refusal));
                }
            },
            Command::Participate { participant, id, request, reply } => {
                self.requests.increment(1);
                match self.core.participate(participant, id, &request) {
                    Ok(Proposal::Seen) => {
                        let _ = reply.send(Ok(()));
                    }
                    Ok(Proposal::New(event, fingerprint)) => {
                        // Resent while its first copy is still being written: answered with it.
                        if let Some(Waiter::Ack(replies)) = self.core.waiting(participant, fingerprint) {
                            replies.push(reply);
                        } else {
                            self.journal(event, Some(fingerprint), Waiter::Ack(vec![reply])).await;
                        }
                    }
                    Err(refusal) => {
                        let _ = reply.send(Err(refusal));
                    }
                }
            }
            // Handled in `serve`, which stops taking commands after them.
            Command::Delete { reply } => {
                let _ = reply.send(());
            }
            Command::Release => {}
            Command::ReplaceAgenda { agenda, reply } => match self.core.agenda(agenda, new_activity_id) {
                Ok(event) => self.journal(event, None, Waiter::Agenda(reply)).await,
                Err(refusal) => {
                    let _ = reply.send(Err(refusal));
                }
            },
        }
    }

    /// Holds an event that replaces its predecessors (a note's move) until the next tick: a
    /// burst of drags becomes one event with the latest place, and everyone who asked is
    /// answered when it is committed.
    fn coalesce(&mut self, key: (String, u32), event: Event, reply: Reply<()>) {
        let pending =
            self.moves.entry(key).or_insert_with(|| PendingMove { event: event.clone(), replies: Vec::new() });
        pending.event = event;
        pending.replies.push(reply);
    }

    /// Journals the moves held since the last tick.
    async fn flush_moves(&mut self) {
        for (_, PendingMove { event, replies }) in std::mem::take(&mut self.moves) {
            self.journal(event, None, Waiter::Ack(replies)).await;
        }
    }

    /// Hands an accepted event to the journal (with the fingerprint of the participant's
    /// request it came from); [`Self::settle`] runs when it is committed (or failed).
    async fn journal(&mut self, event: Event, request: Option<u64>, waiter: Waiter) {
        let at = now_ms();
        let event = self.core.accept(event, at, request, waiter).event.clone();
        if let Err(err) = self.journal.append(&self.code, at, event, request, &self.settlements).await {
            warn!(%err, "journal unavailable");
            if let Some(withdrawn) = self.core.withdraw() {
                refuse(withdrawn.waiter, Refusal::unavailable());
            }
        }
    }

    /// The oldest event's fate is known: the core applies it if it was saved; tell whoever
    /// asked.
    fn settle(&mut self, saved: bool) {
        let Some(settled) = self.core.settle(saved) else { return };
        let change = match settled.outcome {
            Ok(change) => change,
            Err(refusal) => return refuse(settled.waiter, refusal),
        };
        self.changed(change);
        match settled.waiter {
            Waiter::Ack(replies) => {
                self.acks.increment(replies.len() as u64);
                for reply in replies {
                    let _ = reply.send(Ok(()));
                }
            }
            Waiter::Joined { participant, reply } => {
                let welcome = self.welcome(participant);
                let _ = reply.send(Ok(Joined { participant, fresh: true, welcome }));
            }
            Waiter::Agenda(reply) => {
                let _ = reply.send(Ok(self.core.state().agenda.clone()));
            }
        }
    }

    fn welcome(&self, participant: ParticipantId) -> WelcomeParts {
        WelcomeParts {
            title: self.core.state().title.clone(),
            state: self.core.state().lifecycle(),
            step: self.core.state().step_view(),
            mine: self.core.state().mine(participant),
            about_you: self.core.state().about_you_for(participant),
            what_we_heard: self.core.state().summary_url(),
        }
    }

    fn info(&self, join_url: String, present_key: String) -> SessionInfo {
        SessionInfo {
            code: self.core.state().code.clone(),
            title: self.core.state().title.clone(),
            state: self.core.state().lifecycle(),
            series: self.core.state().series.clone(),
            created_at: self.core.state().created_at,
            closed_at: self.core.state().closed_at,
            agenda: self.core.state().agenda.clone(),
            step: self.core.state().step_view(),
            participants: self.core.state().joined(),
            took_part: self.core.state().took_part(),
            with_answers: self.core.state().with_answers(),
            join_url,
            present_key,
            about_you: self.core.state().about_you.clone(),
            booked: self.core.state().booked.clone(),
            about_you_answered: self.core.state().about_you_answered(),
            summary: crate::report::summary::info(self.core.state()),
        }
    }

    // ---- publishing -------------------------------------------------------------------------

    fn changed(&mut self, change: Change) {
        self.timer_due = self.core.state().timer_stops_answers_at();
        match change {
            Change::Results(activity) => {
                if self.core.state().step.activity.as_deref() == Some(&activity) {
                    self.staff_results_dirty = true;
                    self.projector_results_dirty = true;
                    self.audience_results_dirty = true;
                }
                // The console's agenda editor says which activities can no longer be removed.
                if self.core.state().has_answers(&activity) != self.with_answers.contains(&activity) {
                    self.publish_agenda();
                }
            }
            Change::Joined | Change::Report => {}
            Change::Summary => {
                self.publish_all();
                let frame = self.next_frame(&ServerMessage::WhatWeHeard { url: self.core.state().summary_url() });
                for outlet in [&self.outlets.staff, &self.outlets.projector, &self.outlets.audience] {
                    outlet.send_modify(|frames| frames.what_we_heard = frame.clone());
                }
            }
            Change::Step | Change::Agenda => self.publish_all(),
            Change::Closed => {
                self.publish_all();
                let (reader, data_dir, code) =
                    (self.journal.reader().clone(), self.outlets.data_dir.clone(), self.core.state().code.clone());
                let stop = crate::disk::Stop::default();
                let writing = stop.clone();
                let task = tokio::spawn(async move {
                    match export::write_all(&reader, &data_dir, &code, &writing).await {
                        Ok(dir) => info!(dir = %dir.display(), "exports written"),
                        Err(err) => warn!(%err, "exports could not be written"),
                    }
                });
                self.exporting = Some((task, stop));
            }
        }
    }

    fn next_frame(&mut self, message: &ServerMessage) -> Option<Frame> {
        self.version += 1;
        match serde_json::to_string(message) {
            Ok(text) => Some(Frame { version: self.version, text: Bytes::from(text) }),
            Err(err) => {
                warn!(%err, "a frame could not be serialised");
                None
            }
        }
    }

    fn results_frame(&mut self, activity: String, data: Results) -> Option<Frame> {
        let seq = self.version + 1;
        self.next_frame(&ServerMessage::Results { activity, seq, data })
    }

    /// Results frames for the console (hidden items included, marked hidden) and for every
    /// other screen (hidden items left out). One frame serves both when they say the same.
    fn results_frames(&mut self) -> (Option<Frame>, Option<Frame>) {
        self.answered = self.core.state().answered_current();
        let Some((activity, staff)) = self.core.state().results(true) else { return (None, None) };
        let public = self.core.state().results(false).map(|(_, data)| data);
        let same = public.as_ref() == Some(&staff);
        let staff_frame = self.results_frame(activity.clone(), staff);
        let public_frame = match public {
            Some(_) if same => staff_frame.clone(),
            Some(data) => self.results_frame(activity, data),
            None => None,
        };
        (staff_frame, public_frame)
    }

    /// Publishes every slot at once: after a change of step, agenda or lifecycle.
    fn publish_all(&mut self) {
        let step = self.next_frame(&ServerMessage::Step(self.core.state().step_view()));
        let key = (self.core.state().step.activity.clone(), self.core.state().step.round);
        if self.scope.as_ref().is_none_or(|(known, _)| *known != key) {
            self.scope = Some((key, self.version));
        }
        let scope = self.scope.as_ref().map_or(0, |(_, version)| *version);
        let (results, public_results) = self.results_frames();
        let staff_len = results.as_ref().map_or(0, |frame| frame.text.len());
        let audience_results = if self.core.state().results_public() { public_results.clone() } else { None };
        let projector_results = if self.core.state().projector_shows() { public_results } else { None };
        let projector_len = projector_results.as_ref().map_or(0, |frame| frame.text.len());
        published("staff");
        published("projector");
        published("audience");
        let closed = if self.core.state().is_closed() { self.next_frame(&ServerMessage::SessionClosed) } else { None };
        let (staff_summary, projector_summary) = if self.core.state().is_closed() {
            let staff = self.next_frame(&ServerMessage::Summary { activities: self.core.state().summary(true) });
            let projector = self.next_frame(&ServerMessage::Summary { activities: self.core.state().summary(false) });
            (staff, projector)
        } else {
            (None, None)
        };
        self.with_answers = self.core.state().with_answers();
        let agenda = self.next_frame(&ServerMessage::Agenda {
            agenda: self.core.state().agenda.clone(),
            with_answers: self.with_answers.clone(),
        });
        // One change of the console's view: its agenda, step and results go out together.
        self.outlets.staff.send_modify(|frames| {
            frames.agenda = agenda;
            frames.step = step.clone();
            frames.results = results;
            frames.closed = closed.clone();
            frames.summary = staff_summary;
        });
        self.outlets.projector.send_modify(|frames| {
            frames.step = step.clone();
            frames.results = projector_results;
            frames.closed = closed.clone();
            frames.summary = projector_summary;
        });
        self.outlets.audience.send_modify(|frames| {
            frames.step = step;
            frames.results = audience_results;
            frames.closed = closed;
            frames.scope = scope;
        });
        self.staff_results_dirty = false;
        self.staff_results_at = Instant::now();
        self.staff_results_len = staff_len;
        self.projector_results_dirty = false;
        self.projector_results_at = Instant::now();
        self.projector_results_len = projector_len;
        self.audience_results_dirty = false;
        self.audience_results_at = Instant::now();
        self.publish_counts();
    }

    /// The console's agenda, with the activities that have answers, when only those changed.
    fn publish_agenda(&mut self) {
        self.with_answers = self.core.state().with_answers();
        let agenda = self.next_frame(&ServerMessage::Agenda {
            agenda: self.core.state().agenda.clone(),
            with_answers: self.with_answers.clone(),
        });
        self.outlets.staff.send_modify(|frames| frames.agenda = agenda);
    }

    /// The periodic part: results that changed since the last tick, and counts.
    fn publish_tick(&mut self) {
        let online = self.outlets.online.load(Ordering::Relaxed);
        let audience_due = self.audience_results_dirty
            && self.core.state().results_public()
            && self.audience_results_at.elapsed() >= audience_interval(online);
        let staff_due = self.staff_results_dirty
            && (self.staff_results_len <= BIG_FRAME || self.staff_results_at.elapsed() >= BIG_FRAME_EVERY);
        let projector_due = self.projector_results_dirty
            && (self.projector_results_len <= BIG_FRAME || self.projector_results_at.elapsed() >= BIG_FRAME_EVERY);
        if staff_due || projector_due || audience_due {
            let (results, public_results) = self.results_frames();
            if staff_due {
                published("staff");
                self.staff_results_len = results.as_ref().map_or(0, |frame| frame.text.len());
                self.staff_results_at = Instant::now();
                self.outlets.staff.send_modify(|frames| frames.results = results);
                self.staff_results_dirty = false;
            }
            if projector_due {
                // While hidden, the projector is sent no results at all.
                if self.core.state().projector_shows() {
                    published("projector");
                    let projected = public_results.clone();
                    self.projector_results_len = projected.as_ref().map_or(0, |frame| frame.text.len());
                    self.outlets.projector.send_modify(|frames| frames.results = projected);
                }
                self.projector_results_at = Instant::now();
                self.projector_results_dirty = false;
            }
            if audience_due {
                published("audience");
                self.outlets.audience.send_modify(|frames| frames.results = public_results);
                self.audience_results_dirty = false;
                self.audience_results_at = Instant::now();
            }
        }
        self.publish_counts();
    }

    /// Publishes the end of a deleted session to every screen.
    fn deleted(&mut self) {
        let closed = self.next_frame(&ServerMessage::SessionClosed);
        for outlet in [&self.outlets.staff, &self.outlets.projector, &self.outlets.audience] {
            outlet.send_modify(|frames| frames.closed = closed.clone());
        }
    }

    fn publish_counts(&mut self) {
        let counts = Counts {
            joined: self.core.state().joined(),
            online: self.outlets.online.load(Ordering::Relaxed),
            took_part: self.core.state().took_part(),
            answered: self.answered,
            groups: self.core.state().attendance_version(),
        };
        if counts == self.counts_sent {
            return;
        }
        self.counts_sent = counts;
        let Counts { joined, online, took_part, answered, .. } = counts;
        let frame = self.next_frame(&ServerMessage::Counts {
            joined,
            online,
            took_part,
            answered,
            groups: None,
            not_said: None,
        });
        // Per group: the console's only.
        let staff = match self.core.state().attendance() {
            Some((groups, not_said)) => self.next_frame(&ServerMessage::Counts {
                joined,
                online,
                took_part,
                answered,
                groups: Some(groups),
                not_said: Some(not_said),
            }),
            None => frame.clone(),
        };
        self.outlets.staff.send_modify(|frames| frames.counts = staff);
        self.outlets.projector.send_modify(|frames| frames.counts = frame);
    }
}

/// The counts the console and projector were last sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    joined: u32,
    online: u32,
    took_part: u32,
    answered: u32,
    groups: u64,
}

/// Counts a published frame in a view.
fn published(view: &'static str) {
    metrics::counter!(crate::metrics::FRAMES_PUBLISHED, "view" => view).increment(1);
}

fn refuse(waiter: Waiter, refusal: Refusal) {
    metrics::counter!(crate::metrics::REFUSALS, "code" => format!("{:?}", refusal.code)).increment(1);
    match waiter {
        Waiter::Ack(replies) => {
            for reply in replies {
                let _ = reply.send(Err(refusal.clone()));
            }
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
        what_we_heard: joined.welcome.what_we_heard.clone(),
        server_time: now_ms(),
        about_you: joined.welcome.about_you.0.clone(),
        group: joined.welcome.about_you.1,
        group_chosen: joined.welcome.about_you.2,
    }
}
