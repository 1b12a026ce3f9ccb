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

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{Instrument, debug, info, info_span, warn};

use super::state::{Change, SessionState};
use crate::activity::jamboard::Color;
use crate::activity::{Activity, Aggregate};
use crate::error::{ErrorCode, Refusal};
use crate::journal::{Event, Journal, Settled, Settlements, now_ms};
use crate::protocol::{
    ClientMessage, Mine, PROTOCOL_VERSION, ParticipantId, RequestId, ServerMessage, SessionInfo, StepView,
};
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

/// One frame, serialised and encoded for the wire once for every connection it goes to, and
/// the version it was published at.
#[derive(Debug, Clone)]
pub struct Frame {
    pub version: u64,
    pub wire: Bytes,
}

/// The latest frames of a view. A connection remembers the versions it has sent and sends
/// whichever slots moved on, in this order.
#[derive(Debug, Clone, Default)]
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
    /// Changes only when the activity or round on screen changes: phones then need their own
    /// answers there (`mine`), which a reveal or "stop answers" does not call for.
    pub scope: u64,
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
    ShowOnProjector(bool),
    ProjectorPage(Option<u32>),
    Timer { seconds: Option<u32>, stop_answers: bool },
    Hide { activity: String, item: String, hidden: bool },
    Merge { activity: String, from: String, into: String },
    Reset { activity: String },
    Move { activity: String, note: u32, frame: Option<u32>, x: f32, y: f32 },
    Theme { activity: String, theme: Option<u32>, name: String },
    NoteTheme { activity: String, note: u32, theme: Option<u32> },
    Lock { activity: String, locked: bool },
    Voting { activity: String, open: bool },
    Close,
    RemoveSilent,
}

impl Control {
    /// The control a facilitator's message asks for, with its request id; `None` for a
    /// message that is not a facilitator's.
    pub fn from_message(message: ClientMessage) -> Option<(RequestId, Self)> {
        Some(match message {
            ClientMessage::Goto { id, activity, round } => (id, Self::Goto { activity, round }),
            ClientMessage::SetOpen { id, open } => (id, Self::SetOpen(open)),
            ClientMessage::Reveal { id, show } => (id, Self::Reveal(show)),
            ClientMessage::ShowOnProjector { id, show } => (id, Self::ShowOnProjector(show)),
            ClientMessage::ProjectorPage { id, page } => (id, Self::ProjectorPage(page)),
            ClientMessage::Timer { id, seconds, stop_answers } => (id, Self::Timer { seconds, stop_answers }),
            ClientMessage::Hide { id, activity, item, hidden } => (id, Self::Hide { activity, item, hidden }),
            ClientMessage::Merge { id, activity, from, into } => (id, Self::Merge { activity, from, into }),
            ClientMessage::Reset { id, activity } => (id, Self::Reset { activity }),
            ClientMessage::Move { id, activity, note, frame, x, y } => (id, Self::Move { activity, note, frame, x, y }),
            ClientMessage::Theme { id, activity, theme, name } => (id, Self::Theme { activity, theme, name }),
            ClientMessage::NoteTheme { id, activity, note, theme } => (id, Self::NoteTheme { activity, note, theme }),
            ClientMessage::Lock { id, activity, locked } => (id, Self::Lock { activity, locked }),
            ClientMessage::Voting { id, activity, open } => (id, Self::Voting { activity, open }),
            ClientMessage::CloseSession { id } => (id, Self::Close),
            ClientMessage::RemoveSilent { id } => (id, Self::RemoveSilent),
            _ => return None,
        })
    }

    /// The event this control asks for, checked against `state`; a new theme gets the item
    /// number `item`.
    pub fn proposal(&self, state: &SessionState, item: u32) -> Result<Event, Refusal> {
        match self {
            Self::Goto { activity, round } => state.propose_step(activity.as_deref(), round.as_deref()),
            Self::SetOpen(open) => state.propose_open(*open),
            Self::Reveal(show) => state.propose_reveal(*show),
            Self::ShowOnProjector(show) => state.propose_projector(*show),
            Self::ProjectorPage(page) => state.propose_page(*page),
            Self::Timer { seconds, stop_answers } => state.propose_timer(*seconds, *stop_answers, now_ms()),
            Self::Hide { activity, item, hidden } => state.propose_hide(activity, item, *hidden),
            Self::Merge { activity, from, into } => state.propose_merge(activity, from, into),
            Self::Reset { activity } => state.propose_reset(activity),
            Self::Move { activity, note, frame, x, y } => state.propose_move(activity, *note, *frame, *x, *y),
            Self::Theme { activity, theme, name } => state.propose_theme(activity, *theme, name, item),
            Self::NoteTheme { activity, note, theme } => state.propose_note_theme(activity, *note, *theme),
            Self::Lock { activity, locked } => state.propose_lock(activity, *locked),
            Self::Voting { activity, open } => state.propose_voting(activity, *open),
            Self::Close => state.propose_close(),
            Self::RemoveSilent => state.propose_remove_silent(),
        }
    }
}

/// What a participant asks of the session.
#[derive(Debug, Clone)]
pub enum Request {
    Answer { activity: String, round: Option<String>, statement: Option<u32>, value: Option<i64>, text: Option<String> },
    DeleteEntry { activity: String, entry: u32 },
    NoteAdd { activity: String, frame: u32, text: String, color: Color },
    NoteEdit { activity: String, note: u32, text: String, color: Option<Color> },
    NoteDelete { activity: String, note: u32 },
    Dot { activity: String, note: u32, add: bool },
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
            ClientMessage::NoteAdd { id, activity, frame, text, color } => {
                (id, Self::NoteAdd { activity, frame, text, color })
            }
            ClientMessage::NoteEdit { id, activity, note, text, color } => {
                (id, Self::NoteEdit { activity, note, text, color })
            }
            ClientMessage::NoteDelete { id, activity, note } => (id, Self::NoteDelete { activity, note }),
            ClientMessage::Dot { id, activity, note, add } => (id, Self::Dot { activity, note, add }),
            _ => return None,
        })
    }

    /// The event this request of `participant` asks for, checked against `state`; a new
    /// entry or note gets the item number `item`.
    pub fn proposal(&self, state: &SessionState, participant: ParticipantId, item: u32) -> Result<Event, Refusal> {
        if state.is_removed(participant) {
            return Err(Refusal::new(
                ErrorCode::Forbidden,
                "The facilitator removed you from this session. Join again with the code to take part.",
            ));
        }
        match self {
            Self::Answer { activity, round, statement, value, text } => {
                state.propose_answer(participant, activity, round.as_deref(), *statement, *value, text.as_deref(), item)
            }
            Self::DeleteEntry { activity, entry } => state.propose_entry_delete(participant, activity, *entry),
            Self::NoteAdd { activity, frame, text, color } => {
                state.propose_note(participant, activity, *frame, text, *color, item)
            }
            Self::NoteEdit { activity, note, text, color } => {
                state.propose_note_edit(participant, activity, *note, text, *color)
            }
            Self::NoteDelete { activity, note } => state.propose_note_delete(participant, activity, *note),
            Self::Dot { activity, note, add } => state.propose_dot(participant, activity, *note, *add),
        }
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

/// An event on its way to the disk.
struct Settling {
    event: Event,
    at: i64,
    /// The fingerprint of the participant's request.
    request: Option<u64>,
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
    state: SessionState,
    journal: Journal,
    /// Events handed to the journal and not yet settled, in the order they were sent: the
    /// journal reports on them in that order ([`Settled`], per batch), on `settlements`.
    pending: VecDeque<(Settling, Waiter)>,
    settlements: Settlements,
    /// The session's code, shared with every event sent to the journal.
    code: Arc<str>,
    outlets: Outlets,
    version: u64,
    /// Participant numbers are handed out when a join is proposed, so that joins in flight
    /// never share one; item numbers (word-cloud entries) likewise.
    next_participant: ParticipantId,
    next_item: u32,
    staff_results_dirty: bool,
    /// When the console's last results frame went out, and its size.
    staff_results_at: Instant,
    staff_results_len: usize,
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
    /// Note moves waiting for the next tick, by activity and note.
    moves: HashMap<(String, u32), PendingMove>,
    /// The export files being written after the session closed.
    exporting: Option<tokio::task::JoinHandle<()>>,
    recent: RecentRequests,
    /// The activity and round on screen, and the version at which they came on screen.
    scope: Option<((Option<String>, usize), u64)>,
    /// Counters bumped per answer, looked up once: `counter!` looks its key up in the
    /// registry on every call.
    requests: metrics::Counter,
    acks: metrics::Counter,
}

/// The last requests each participant's applied changes came from, so that a request resent
/// after its `ack` was lost is acknowledged without being applied twice.
///
/// A request is known by a fingerprint of its id *and* what it asks, so a client that starts
/// counting ids again after a reload is not mistaken for one that resends.
///
/// Fingerprints are stored with their events, so two kinds exist: [`Self::fingerprint`]
/// (the top bit set; negative in SQLite) and the legacy one of older versions (top bit clear),
/// read back from journals written before. A participant whose window still holds legacy
/// fingerprints has each request checked against both kinds until they age out, so a request
/// acknowledged before an upgrade and resent after it is still recognised. (The other way
/// round, a server downgraded to a version that only knows legacy fingerprints would not
/// recognise requests acknowledged by this one.)
#[derive(Debug, Default)]
pub struct RecentRequests {
    by_participant: HashMap<ParticipantId, Seen>,
}

/// One participant's remembered fingerprints, oldest first.
#[derive(Debug, Default)]
struct Seen {
    fingerprints: VecDeque<u64>,
    /// How many of them are of the legacy kind.
    legacy: usize,
}

/// The bit that marks a fingerprint of the current kind.
const CURRENT_KIND: u64 = 1 << 63;

impl RecentRequests {
    /// Requests remembered per participant: far more than a phone ever has in flight.
    const KEPT: usize = 256;

    /// The fingerprint of a request: stable across restarts and versions (it is stored with
    /// the event). SHA-256 over an explicit encoding of the id and the request's fields, fed
    /// straight to the hasher: the legacy fingerprint formatted the request with `Debug`
    /// first, which cost more than everything else the session task does for an answer, and
    /// whose output Rust does not promise to keep stable.
    pub fn fingerprint(id: RequestId, request: &Request) -> u64 {
        let mut hasher = RequestHasher::new(id);
        match request {
            Request::Answer { activity, round, statement, value, text } => {
                hasher.tag(1).text(activity).option(round.as_deref(), RequestHasher::text);
                hasher.option(*statement, |h, statement| h.number(statement.into()));
                hasher.option(*value, |h, value| h.number(value as u64));
                hasher.option(text.as_deref(), RequestHasher::text);
            }
            Request::DeleteEntry { activity, entry } => {
                hasher.tag(2).text(activity).number((*entry).into());
            }
            Request::NoteAdd { activity, frame, text, color } => {
                hasher.tag(3).text(activity).number((*frame).into()).text(text).color(*color);
            }
            Request::NoteEdit { activity, note, text, color } => {
                hasher.tag(4).text(activity).number((*note).into()).text(text);
                hasher.option(*color, RequestHasher::color);
            }
            Request::NoteDelete { activity, note } => {
                hasher.tag(5).text(activity).number((*note).into());
            }
            Request::Dot { activity, note, add } => {
                hasher.tag(6).text(activity).number((*note).into()).tag(u8::from(*add));
            }
        }
        hasher.finish() | CURRENT_KIND
    }

    /// The fingerprint of older versions: SHA-256 over `"{id}:{request:?}"`, top bit clear.
    /// Only ever compared with fingerprints stored by them.
    pub fn legacy_fingerprint(id: RequestId, request: &Request) -> u64 {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(format!("{id}:{request:?}").as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        // SQLite integers are signed: keep the top bit clear so the value round-trips.
        u64::from_le_bytes(first) >> 1
    }

    /// Whether `participant`'s request `id`, whose fingerprint is `fingerprint`, was applied
    /// already.
    pub fn seen(&self, participant: ParticipantId, id: RequestId, request: &Request, fingerprint: u64) -> bool {
        let Some(seen) = self.by_participant.get(&participant) else { return false };
        seen.fingerprints.contains(&fingerprint)
            || (seen.legacy > 0 && seen.fingerprints.contains(&Self::legacy_fingerprint(id, request)))
    }

    /// Remembers a fingerprint of either kind.
    pub fn record(&mut self, participant: ParticipantId, fingerprint: u64) {
        let seen = self.by_participant.entry(participant).or_default();
        if seen.fingerprints.len() == Self::KEPT
            && let Some(oldest) = seen.fingerprints.pop_front()
            && oldest & CURRENT_KIND == 0
        {
            seen.legacy -= 1;
        }
        if fingerprint & CURRENT_KIND == 0 {
            seen.legacy += 1;
        }
        seen.fingerprints.push_back(fingerprint);
    }
}

/// Feeds a request's fields to SHA-256, each unambiguously (lengths before text, a marker
/// before an optional value). The encoding is stored in effect, so it must never change:
/// add tags, never reuse one.
struct RequestHasher(sha2::Sha256);

impl RequestHasher {
    fn new(id: RequestId) -> Self {
        use sha2::Digest;
        let mut hasher = sha2::Sha256::new();
        hasher.update(b"chorus request 2\0");
        hasher.update(id.to_le_bytes());
        Self(hasher)
    }

    fn tag(&mut self, tag: u8) -> &mut Self {
        sha2::Digest::update(&mut self.0, [tag]);
        self
    }

    fn number(&mut self, number: u64) -> &mut Self {
        sha2::Digest::update(&mut self.0, number.to_le_bytes());
        self
    }

    fn text(&mut self, text: &str) -> &mut Self {
        self.number(text.len() as u64);
        sha2::Digest::update(&mut self.0, text.as_bytes());
        self
    }

    fn color(&mut self, color: Color) -> &mut Self {
        self.tag(match color {
            Color::Yellow => 1,
            Color::Pink => 2,
            Color::Blue => 3,
            Color::Green => 4,
            Color::Orange => 5,
            Color::Purple => 6,
        })
    }

    fn option<T>(&mut self, value: Option<T>, feed: impl FnOnce(&mut Self, T) -> &mut Self) -> &mut Self {
        match value {
            Some(value) => feed(self.tag(1), value),
            None => self.tag(0),
        }
    }

    fn finish(self) -> u64 {
        let digest = sha2::Digest::finalize(self.0);
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_le_bytes(first)
    }
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
    let next_participant = state.last_participant + 1;
    let next_item = state.last_item + 1;
    let (settlements, settled) = mpsc::unbounded_channel();
    let code = state.code.as_str().into();
    let mut session = Session {
        state,
        journal,
        pending: VecDeque::new(),
        settlements,
        code,
        outlets,
        version: 0,
        next_participant,
        next_item,
        staff_results_dirty: false,
        staff_results_at: Instant::now(),
        staff_results_len: 0,
        audience_results_dirty: false,
        audience_results_at: Instant::now(),
        counts_sent: Counts { joined: u32::MAX, ..Counts::default() },
        answered: 0,
        with_answers: Vec::new(),
        timer_due: None,
        moves: HashMap::new(),
        exporting: None,
        recent,
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
                Some(Settled { events, saved }) = settled.recv(), if !self.pending.is_empty() => {
                    for _ in 0..events {
                        let Some((settling, waiter)) = self.pending.pop_front() else { break };
                        self.settle(settling, waiter, saved);
                    }
                }
                // The writer died with events of ours unreported: they are not known saved.
                () = &mut stopped, if !self.pending.is_empty() => {
                    while let Some((settling, waiter)) = self.pending.pop_front() {
                        self.settle(settling, waiter, false);
                    }
                }
                command = commands.recv(), if accepting => match command {
                    Some(Command::Delete { reply }) => {
                        // Exports still being written would outlive the delete; exports
                        // waiting for disk space to come back are given up.
                        if let Some(exporting) = self.exporting.take() {
                            exporting.abort();
                            let _ = exporting.await;
                        }
                        self.deleted();
                        let _ = reply.send(());
                        accepting = false;
                        commands.close();
                    }
                    Some(command) => self.handle(command).await,
                    None => accepting = false,
                },
            }
            if !accepting && self.pending.is_empty() && !self.moves.is_empty() {
                self.flush_moves().await;
            }
            if !accepting && self.pending.is_empty() {
                break;
            }
        }
        self.publish_tick();
        debug!("session task stopped");
    }

    /// A countdown that stops answers reached zero: stop them, as the facilitator would.
    async fn countdown_ended(&mut self) {
        let Some((activity, _)) = self.timer_due.take() else { return };
        if self.state.timer_stops_answers_at().is_some_and(|(due, _)| due == activity) {
            let event = Event::Opened { activity, open: false };
            self.journal(event, Waiter::Ack(Vec::new())).await;
        }
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::Join { resume, fresh, resume_only, reply } => {
                if let Some(participant) = resume.as_deref().and_then(|hash| self.state.participant(hash)) {
                    let welcome = self.welcome(participant);
                    let _ = reply.send(Ok(Joined { participant, fresh: false, welcome }));
                    return;
                }
                if resume_only {
                    let _ = reply.send(Err(Refusal::rate_limited()));
                    return;
                }
                let participant = self.next_participant;
                let event = match self.state.propose_join(participant, fresh) {
                    Ok(event) => event,
                    Err(refusal) => {
                        let _ = reply.send(Err(refusal));
                        return;
                    }
                };
                // Places taken: participants now (removed ones free theirs), and joins on their
                // way to the journal.
                let joining = (self.next_participant - 1).saturating_sub(self.state.last_participant);
                if self.state.joined() + joining >= self.outlets.max_participants {
                    let refusal =
                        Refusal::new(ErrorCode::LimitReached, "This session is full. Please tell the facilitator.");
                    let _ = reply.send(Err(refusal));
                    return;
                }
                self.next_participant += 1;
                self.journal(event, Waiter::Joined { participant, reply }).await;
            }
            Command::Info { join_url, present_key, reply } => {
                let _ = reply.send(Ok(self.info(join_url, present_key)));
            }
            Command::Mine { participant, reply } => {
                let _ = reply.send(self.state.mine(participant));
            }
            Command::Control { control, reply } => match control.proposal(&self.state, self.next_item) {
                Ok(Event::NoteMoved { activity, note, frame, x, y }) => {
                    let event = Event::NoteMoved { activity: activity.clone(), note, frame, x, y };
                    self.coalesce_move(activity, note, event, reply);
                }
                proposal => self.propose(proposal, reply, None).await,
            },
            Command::Participate { participant, id, request, reply } => {
                self.requests.increment(1);
                let fingerprint = RecentRequests::fingerprint(id, &request);
                if self.recent.seen(participant, id, &request, fingerprint) {
                    let _ = reply.send(Ok(()));
                    return;
                }
                let proposal = request.proposal(&self.state, participant, self.next_item);
                self.propose(proposal, reply, Some(fingerprint)).await;
            }
            // Handled in `serve`, which stops taking commands after it.
            Command::Delete { reply } => {
                let _ = reply.send(());
            }
            Command::ReplaceAgenda { agenda, reply } => match self.state.propose_agenda(agenda, new_activity_id) {
                Ok(event) => self.journal(event, Waiter::Agenda(reply)).await,
                Err(refusal) => {
                    let _ = reply.send(Err(refusal));
                }
            },
        }
    }

    /// Journals an accepted proposal, or answers its refusal.
    async fn propose(&mut self, proposal: Result<Event, Refusal>, reply: Reply<()>, request: Option<u64>) {
        match proposal {
            Ok(event) => {
                // A new entry, note or theme took the next item number.
                if event.new_item() == Some(self.next_item) {
                    self.next_item += 1;
                }
                self.journal_request(event, Waiter::Ack(vec![reply]), request).await;
            }
            Err(refusal) => {
                let _ = reply.send(Err(refusal));
            }
        }
    }

    /// Holds a note's move until the next tick: a burst of drags becomes one event with the
    /// latest place, and everyone who asked is answered when it is committed.
    fn coalesce_move(&mut self, activity: String, note: u32, event: Event, reply: Reply<()>) {
        let pending = self
            .moves
            .entry((activity, note))
            .or_insert_with(|| PendingMove { event: event.clone(), replies: Vec::new() });
        pending.event = event;
        pending.replies.push(reply);
    }

    /// Journals the moves held since the last tick.
    async fn flush_moves(&mut self) {
        for (_, PendingMove { event, replies }) in std::mem::take(&mut self.moves) {
            self.journal(event, Waiter::Ack(replies)).await;
        }
    }

    /// Hands an event to the journal; `settle` runs when it is committed (or failed).
    async fn journal(&mut self, event: Event, waiter: Waiter) {
        self.journal_request(event, waiter, None).await;
    }

    /// Hands a participant's event to the journal with the fingerprint of its request.
    async fn journal_request(&mut self, event: Event, waiter: Waiter, request: Option<u64>) {
        let at = now_ms();
        match self.journal.append(&self.code, at, event.clone(), request, &self.settlements).await {
            Ok(()) => self.pending.push_back((Settling { event, at, request }, waiter)),
            Err(err) => {
                warn!(%err, "journal unavailable");
                refuse(waiter, Refusal::unavailable());
            }
        }
    }

    /// An event's fate is known: apply it if it was saved, and tell whoever asked.
    fn settle(&mut self, settling: Settling, waiter: Waiter, saved: bool) {
        let Settling { event, at, request } = settling;
        if !saved {
            refuse(waiter, Refusal::not_saved());
            return;
        }
        match self.state.apply(&event, at) {
            Ok(change) => {
                if let (Some(participant), Some(request)) = (event.participant(), request) {
                    self.recent.record(participant, request);
                }
                self.changed(change);
                match waiter {
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
            took_part: self.state.took_part(),
            with_answers: self.state.with_answers(),
            join_url,
            present_key,
        }
    }

    // ---- publishing -------------------------------------------------------------------------

    fn changed(&mut self, change: Change) {
        self.timer_due = self.state.timer_stops_answers_at();
        match change {
            Change::Results(activity) => {
                if self.state.step.activity.as_deref() == Some(&activity) {
                    self.staff_results_dirty = true;
                    self.audience_results_dirty = true;
                }
                // The console's agenda editor says which activities can no longer be removed.
                if self.state.has_answers(&activity) != self.with_answers.contains(&activity) {
                    self.publish_agenda();
                }
            }
            Change::Joined => {}
            Change::Step | Change::Agenda => self.publish_all(),
            Change::Closed => {
                self.publish_all();
                let (reader, data_dir, code) =
                    (self.journal.reader().clone(), self.outlets.data_dir.clone(), self.state.code.clone());
                self.exporting = Some(tokio::spawn(async move {
                    match export::write_all(&reader, &data_dir, &code).await {
                        Ok(dir) => info!(dir = %dir.display(), "exports written"),
                        Err(err) => warn!(%err, "exports could not be written"),
                    }
                }));
            }
        }
    }

    fn next_frame(&mut self, message: &ServerMessage) -> Option<Frame> {
        self.version += 1;
        match serde_json::to_string(message) {
            Ok(text) => Some(Frame { version: self.version, wire: crate::ws::encode_text(&text) }),
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

    /// Results frames for the console (hidden items included, marked hidden) and for every
    /// other screen (hidden items left out). One frame serves both when they say the same.
    fn results_frames(&mut self) -> (Option<Frame>, Option<Frame>) {
        self.answered = self.state.answered_current();
        let Some((activity, staff)) = self.state.results(true) else { return (None, None) };
        let public = self.state.results(false).map(|(_, data)| data);
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
        let step = self.next_frame(&ServerMessage::Step(self.state.step_view()));
        let key = (self.state.step.activity.clone(), self.state.step.round);
        if self.scope.as_ref().is_none_or(|(known, _)| *known != key) {
            self.scope = Some((key, self.version));
        }
        let scope = self.scope.as_ref().map_or(0, |(_, version)| *version);
        let (results, public_results) = self.results_frames();
        let staff_len = results.as_ref().map_or(0, |frame| frame.wire.len());
        let audience_results = if self.state.results_public() { public_results.clone() } else { None };
        let projector_results = if self.state.projector_shows() { public_results } else { None };
        published("staff");
        published("projector");
        published("audience");
        let closed = if self.state.is_closed() { self.next_frame(&ServerMessage::SessionClosed) } else { None };
        let (staff_summary, projector_summary) = if self.state.is_closed() {
            let staff = self.next_frame(&ServerMessage::Summary { activities: self.state.summary(true) });
            let projector = self.next_frame(&ServerMessage::Summary { activities: self.state.summary(false) });
            (staff, projector)
        } else {
            (None, None)
        };
        self.outlets.staff.send_modify(|frames| {
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
        self.audience_results_dirty = false;
        self.audience_results_at = Instant::now();
        self.publish_agenda();
        self.publish_counts();
    }

    /// The console's agenda, with the activities that have answers.
    fn publish_agenda(&mut self) {
        self.with_answers = self.state.with_answers();
        let agenda = self.next_frame(&ServerMessage::Agenda {
            agenda: self.state.agenda.clone(),
            with_answers: self.with_answers.clone(),
        });
        self.outlets.staff.send_modify(|frames| frames.agenda = agenda);
    }

    /// The periodic part: results that changed since the last tick, and counts.
    fn publish_tick(&mut self) {
        let online = self.outlets.online.load(Ordering::Relaxed);
        let audience_due = self.audience_results_dirty
            && self.state.results_public()
            && self.audience_results_at.elapsed() >= audience_interval(online);
        let staff_due = self.staff_results_dirty
            && (self.staff_results_len <= BIG_FRAME || self.staff_results_at.elapsed() >= BIG_FRAME_EVERY);
        if staff_due || audience_due {
            let (results, public_results) = self.results_frames();
            if staff_due {
                published("staff");
                published("projector");
                self.staff_results_len = results.as_ref().map_or(0, |frame| frame.wire.len());
                self.staff_results_at = Instant::now();
                self.outlets.staff.send_modify(|frames| frames.results = results);
                if self.state.projector_shows() {
                    let projected = public_results.clone();
                    self.outlets.projector.send_modify(|frames| frames.results = projected);
                }
                self.staff_results_dirty = false;
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
            joined: self.state.joined(),
            online: self.outlets.online.load(Ordering::Relaxed),
            took_part: self.state.took_part(),
            answered: self.answered,
        };
        if counts == self.counts_sent {
            return;
        }
        self.counts_sent = counts;
        let Counts { joined, online, took_part, answered } = counts;
        let frame = self.next_frame(&ServerMessage::Counts { joined, online, took_part, answered });
        for outlet in [&self.outlets.staff, &self.outlets.projector] {
            outlet.send_modify(|frames| frames.counts = frame.clone());
        }
    }
}

/// The counts the console and projector were last sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    joined: u32,
    online: u32,
    took_part: u32,
    answered: u32,
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
        server_time: now_ms(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(value: i64) -> Request {
        Request::Answer {
            activity: "a1".to_owned(),
            round: Some("Before".to_owned()),
            statement: Some(3),
            value: Some(value),
            text: None,
        }
    }

    /// Fingerprints are stored: a change to either kind would let a request resent across
    /// an upgrade be applied twice.
    #[test]
    fn fingerprints_do_not_change() {
        assert_eq!(RecentRequests::legacy_fingerprint(7, &answer(4)), LEGACY_7_4);
        assert_eq!(RecentRequests::fingerprint(7, &answer(4)), CURRENT_7_4);
    }

    const LEGACY_7_4: u64 = 4_625_754_486_200_141_254;
    const CURRENT_7_4: u64 = 13_599_963_503_447_968_989;

    #[test]
    fn the_two_kinds_are_told_apart_and_survive_sqlite() {
        for (id, value) in [(0, 1), (7, 4), (u64::MAX, -5)] {
            let current = RecentRequests::fingerprint(id, &answer(value));
            let legacy = RecentRequests::legacy_fingerprint(id, &answer(value));
            assert_ne!(current & CURRENT_KIND, 0);
            assert_eq!(legacy & CURRENT_KIND, 0);
            // Stored as `i64` (negative for the current kind), read back as `u64`.
            assert_eq!((current as i64) as u64, current);
        }
        assert_ne!(RecentRequests::fingerprint(7, &answer(4)), RecentRequests::fingerprint(8, &answer(4)));
        assert_ne!(RecentRequests::fingerprint(7, &answer(4)), RecentRequests::fingerprint(7, &answer(5)));
        let note =
            |text: &str, color| Request::NoteAdd { activity: "b".to_owned(), frame: 1, text: text.to_owned(), color };
        assert_ne!(
            RecentRequests::fingerprint(1, &note("x", Color::Blue)),
            RecentRequests::fingerprint(1, &note("x", Color::Pink))
        );
    }

    /// A request acknowledged before an upgrade (its legacy fingerprint read back from the
    /// journal) and resent after it is recognised, until it ages out of the window.
    #[test]
    fn a_request_acknowledged_before_an_upgrade_is_recognised_after_it() {
        let mut recent = RecentRequests::default();
        recent.record(1, RecentRequests::legacy_fingerprint(7, &answer(4)));
        let seen = |recent: &RecentRequests, id, request: &Request| {
            recent.seen(1, id, request, RecentRequests::fingerprint(id, request))
        };
        assert!(seen(&recent, 7, &answer(4)));
        assert!(!seen(&recent, 7, &answer(5)), "same id, another answer: a reloaded client");
        assert!(!recent.seen(2, 7, &answer(4), RecentRequests::fingerprint(7, &answer(4))), "another participant");

        // New requests are remembered by the current kind; the legacy one ages out.
        for id in 100..100 + RecentRequests::KEPT as u64 - 1 {
            recent.record(1, RecentRequests::fingerprint(id, &answer(1)));
        }
        assert!(seen(&recent, 7, &answer(4)));
        assert!(seen(&recent, 100, &answer(1)));
        recent.record(1, RecentRequests::fingerprint(1000, &answer(1)));
        assert!(!seen(&recent, 7, &answer(4)));
        assert_eq!(recent.by_participant[&1].legacy, 0);
        assert!(seen(&recent, 101, &answer(1)));
        assert!(seen(&recent, 1000, &answer(1)));
    }
}
