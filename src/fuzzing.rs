//! Raw client messages driven through a session the way the server drives them, and the
//! invariants that must hold whatever the messages say.
//!
//! Two harnesses feed [`run`]: the property test in `fuzzing/tests.rs` (every `cargo test`)
//! and the cargo-fuzz target `fuzz/fuzz_targets/client_messages.rs` (by hand, on nightly).
//! A message goes the server's way: a frame over 16 KiB or not UTF-8 is refused; the text is
//! read as a [`ClientMessage`] (one that cannot be read is explained as the connection
//! explains it); the sender's role sorts it into a facilitator's [`Control`] or a
//! participant's [`Request`] (a resent request is only acknowledged); the session checks it
//! into an [`Event`], the journal stores the event as JSON, and it is applied when it settles.
//! Events settle in the order they were journaled, and requests may be checked while earlier
//! events are still in flight, as in the session task: that is where races live.
//!
//! Built for tests and with the `fuzzing` feature (which the fuzz crate turns on); not part
//! of the server's API.

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;

use crate::activity::choice::Choice;
use crate::activity::jamboard::MAX_THEMES;
use crate::activity::{
    Activity, ActivitySpec, Aggregate, Jamboard, Response, Scale, ScaleLabels, WordCloud, normalise_agenda,
};
use crate::auth;
use crate::error::{ErrorCode, Refusal};
use crate::journal::{Event, SessionRecord};
use crate::protocol::{ClientMessage, Mine, ParticipantId, SessionState as Lifecycle, StepView};
use crate::session::{Control, Core, Join, Proposal, RecentRequests, Request, SessionState, Settled};

/// The "About you" question every run asks: three groups, K = 3.
pub fn about_you() -> crate::session::groups::AboutYou {
    crate::session::groups::AboutYou {
        prompt: "I am a…".into(),
        groups: vec!["Parent carer".into(), "Young person".into(), "Professional".into()],
        min_group_size: 3,
    }
}

/// The join code of the session under test.
pub const CODE: &str = "48213377";
/// The agenda's activity ids.
pub const SCALE: &str = "scale";
pub const CLOUD: &str = "cloud";
pub const BOARD: &str = "board";
pub const CHOICE: &str = "choice";
pub const RANKING: &str = "ranking";
pub const POINTS: &str = "points";
/// The scale's rounds.
pub const ROUNDS: [&str; 3] = ["Before", "During", "After"];
/// How many phones may take part.
pub const PHONES: u8 = 4;

/// Who sends a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// The console, whose connection has said `host` with the right key.
    Facilitator,
    /// A phone. Its first message must be `join`; from then on it speaks as the participant
    /// the session made it, or as the one whose token it sent back.
    Phone(u8),
}

/// One step of a run.
#[derive(Clone)]
pub enum Op {
    /// A WebSocket text frame's bytes from a sender.
    Send(Sender, Vec<u8>),
    /// The journal commits the oldest events in flight (at most this many); they are applied.
    Settle(usize),
}

/// Bytes shown as text, escaped where they are not, so that a failing run reads as messages.
impl Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Send(from, bytes) => write!(f, "Send({from:?}, b\"{}\")", bytes.escape_ascii()),
            Self::Settle(n) => write!(f, "Settle({n})"),
        }
    }
}

/// An invariant that did not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{invariant}\n{detail}")]
pub struct Violation {
    pub invariant: &'static str,
    pub detail: String,
}

fn violation(invariant: &'static str, detail: impl Debug) -> Violation {
    Violation { invariant, detail: format!("{detail:#?}") }
}

/// What a run did: how many changes of each kind were applied, and how many messages were
/// refused with each code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub applied: BTreeMap<String, usize>,
    pub refused: HashMap<ErrorCode, usize>,
}

impl Tally {
    pub fn add(&mut self, other: &Self) {
        for (kind, n) in &other.applied {
            *self.applied.entry(kind.clone()).or_default() += n;
        }
        for (code, n) in &other.refused {
            *self.refused.entry(*code).or_default() += n;
        }
    }
}

/// Runs the ops against a fresh session, settles everything still in flight, and checks
/// that the journal replays into the same session.
pub fn run(ops: impl IntoIterator<Item = Op>) -> Result<Tally, Violation> {
    run_with(ops, |_, op| op)
}

/// [`run`], with each op first passed through `prepare`, which sees the session as it stands:
/// the property test uses it to aim at items that exist.
pub fn run_with(
    ops: impl IntoIterator<Item = Op>,
    mut prepare: impl FnMut(&Harness, Op) -> Op,
) -> Result<Tally, Violation> {
    let mut harness = Harness::new();
    for op in ops {
        match prepare(&harness, op) {
            // A refusal is an answer like any other; only a broken invariant ends the run.
            Op::Send(from, bytes) => {
                let _answer = harness.send(from, &bytes)?;
            }
            Op::Settle(n) => {
                harness.settle(n)?;
                harness.check_replay()?;
            }
        }
    }
    harness.settle(usize::MAX)?;
    harness.check_replay()?;
    harness.check_restart()?;
    Ok(harness.tally)
}

/// Splits a fuzzer's input into ops: one per line, whose first byte says who sends the rest
/// (`% 6`: 0 the facilitator, 1–4 a phone) or, at 5, how many events settle (`/ 6`).
pub fn ops_from_bytes(data: &[u8]) -> Vec<Op> {
    data.split(|&byte| byte == b'\n')
        .filter_map(|line| {
            let (&tag, rest) = line.split_first()?;
            Some(match tag % 6 {
                0 => Op::Send(Sender::Facilitator, rest.to_vec()),
                5 => Op::Settle(usize::from(tag / 6)),
                phone => Op::Send(Sender::Phone(phone - 1), rest.to_vec()),
            })
        })
        .collect()
}

/// The agenda under test: a scale asked in three rounds, a word cloud and a jam board with
/// dot voting, each with small limits so that runs reach them.
pub fn agenda() -> Vec<Activity> {
    let scale = Scale {
        title: "Confidence".into(),
        statements: vec!["I can explain it".into(), "I can teach it".into()],
        min: 1,
        max: 5,
        labels: ScaleLabels::default(),
        rounds: ROUNDS.iter().map(|&round| round.into()).collect(),
    };
    let cloud = WordCloud {
        prompt: "One word for today?".into(),
        max_entries: 3,
        profanity_filter: true,
        stop_words: vec!["workshop".into()],
    };
    let board = Jamboard {
        title: "Retro".into(),
        frames: vec!["Barriers".into(), "Successes".into()],
        dots: 2,
        notes_per_participant: 3,
    };
    let choice = Choice {
        title: "Which word?".into(),
        options: vec!["Co-production".into(), "Working together".into(), "Partnership".into()],
        max_choices: 2,
        rounds: ROUNDS.iter().map(|&round| round.into()).collect(),
    };
    let items: Vec<String> = vec!["Listening".into(), "Information".into(), "Speed".into()];
    let ranking = crate::activity::ranking::Ranking {
        title: "What matters most?".into(),
        items: items.clone(),
        rounds: ROUNDS[..2].iter().map(|&round| round.into()).collect(),
    };
    let points =
        crate::activity::points::Points { title: "Spend 10 points".into(), items, budget: 10, rounds: Vec::new() };
    vec![
        Activity { id: SCALE.into(), spec: ActivitySpec::Scale(scale) },
        Activity { id: CLOUD.into(), spec: ActivitySpec::Wordcloud(cloud) },
        Activity { id: BOARD.into(), spec: ActivitySpec::Jamboard(board) },
        Activity { id: CHOICE.into(), spec: ActivitySpec::Choice(choice) },
        Activity { id: RANKING.into(), spec: ActivitySpec::Ranking(ranking) },
        Activity { id: POINTS.into(), spec: ActivitySpec::Points(points) },
    ]
}

/// The token the session hands participant `participant`. The server's are random; these
/// are known, so that a run can send one back to resume.
pub fn token(participant: ParticipantId) -> String {
    format!("token-{participant}")
}

/// An event as the journal reads it back.
fn read_back(stored: &str) -> Result<Event, Violation> {
    serde_json::from_str(stored)
        .map_err(|err| violation("a journaled event does not read back", (stored, err.to_string())))
}

/// Whose change an event in flight is.
#[derive(Debug, Clone, Copy)]
enum Author {
    Facilitator,
    /// A phone's join: the phone is the new participant once the join is applied.
    Joining(u8),
    /// A participant's request.
    Participant(ParticipantId),
}

/// One session and its connections, driven as the server drives them: through the session's
/// own synchronous core, with a journal that stores each event as JSON and settles when told.
pub struct Harness {
    record: SessionRecord,
    /// The core the session task runs; each event in flight carries its author and how many
    /// events had settled when it was checked.
    core: Core<(Author, usize)>,
    /// Phones that have joined, and as whom.
    phones: HashMap<u8, ParticipantId>,
    /// Every participant so far, in order (participant `n` is at `n - 1`).
    participants: Vec<ParticipantId>,
    /// Every event handed to the journal, with its time, as the journal stores it.
    journal: Vec<(i64, String)>,
    /// How many events of the journal have been applied (or refused) live.
    settled: usize,
    /// The session rebuilt from the journal, and how many of its events it has folded.
    replica: SessionState,
    replicated: usize,
    clock: i64,
    tally: Tally,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    /// A session created with [`agenda`], as `Hub::create` creates one.
    pub fn new() -> Self {
        let record = SessionRecord {
            code: CODE.into(),
            series: CODE.into(),
            title: "Fuzzed".into(),
            host_key_hash: String::new(),
            present_key_hash: String::new(),
            created_at: 0,
            closed_at: None,
        };
        let mut agenda = agenda();
        normalise_agenda(&mut agenda, String::new).expect("the agenda under test is valid");
        let created = Event::AgendaReplaced { agenda };
        // Every run asks "About you", so that every change also moves group tallies.
        let about_you = Event::AboutYou { about_you: Some(about_you()) };
        let state = SessionState::replay(&record, [(0, created.clone()), (0, about_you.clone())]);
        let stored = serde_json::to_string(&created).expect("an agenda serialises");
        let stored_about = serde_json::to_string(&about_you).expect("a question serialises");
        let replica = SessionState::new(&record);
        Self {
            record,
            core: Core::new(state, RecentRequests::default(), u32::MAX),
            phones: HashMap::new(),
            participants: Vec::new(),
            journal: vec![(0, stored), (0, stored_about)],
            settled: 2,
            replica,
            replicated: 0,
            clock: 0,
            tally: Tally::default(),
        }
    }

    /// The session as it stands live.
    pub fn state(&self) -> &SessionState {
        self.core.state()
    }

    /// The item number (entry, note or theme) the next new item will get.
    pub fn next_item(&self) -> u32 {
        self.core.next_item()
    }

    /// Sends one frame. `Ok(Err(refusal))` is the `error` the sender would get at once; `Ok(Ok)`
    /// means acknowledged, or on its way to the journal (it may still be refused when applied).
    pub fn send(&mut self, from: Sender, bytes: &[u8]) -> Result<Result<(), Refusal>, Violation> {
        self.clock += 1;
        let outcome = self.route(from, bytes)?;
        if let Err(refusal) = &outcome {
            *self.tally.refused.entry(refusal.code).or_default() += 1;
            if refusal.code == ErrorCode::Internal {
                let message = String::from_utf8_lossy(bytes);
                return Err(violation("a message was answered with an internal error", (from, message, refusal)));
            }
        }
        Ok(outcome)
    }

    fn route(&mut self, from: Sender, bytes: &[u8]) -> Result<Result<(), Refusal>, Violation> {
        if bytes.len() > crate::ws::MAX_FRAME {
            return Ok(Err(Refusal::new(ErrorCode::TooLarge, "Messages may be at most 16 KiB.")));
        }
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Ok(Err(Refusal::new(ErrorCode::InvalidMessage, "Messages must be valid UTF-8 text.")));
        };
        let message = match serde_json::from_str::<ClientMessage>(text) {
            Ok(message) => message,
            Err(err) => return Ok(Err(crate::ws::explain_bad_message(text, &err).1)),
        };
        let already = || Refusal::new(ErrorCode::AlreadyJoined, "This connection has already joined.");
        let forbidden = || Refusal::new(ErrorCode::Forbidden, "Not for this role.");
        match from {
            Sender::Facilitator => match message {
                ClientMessage::Join { .. } | ClientMessage::Host { .. } | ClientMessage::Present { .. } => {
                    Ok(Err(already()))
                }
                message => match Control::from_message(message) {
                    Some((_, control)) => {
                        let proposal = self.core.control(&control);
                        self.journal(proposal, None, Author::Facilitator)
                    }
                    None => Ok(Err(forbidden())),
                },
            },
            Sender::Phone(phone) => match (self.phones.get(&phone).copied(), message) {
                (None, ClientMessage::Join { code, token }) => self.join(phone, &code, token),
                (None, _) => Ok(Err(Refusal::new(ErrorCode::NotJoined, "Say join, host or present first."))),
                (Some(_), ClientMessage::Join { .. } | ClientMessage::Host { .. } | ClientMessage::Present { .. }) => {
                    Ok(Err(already()))
                }
                (Some(participant), message) => match Request::from_message(message) {
                    Some((id, request)) => match self.core.participate(participant, id, &request) {
                        Ok(Proposal::Seen) => Ok(Ok(())),
                        Ok(Proposal::New(event, fingerprint)) => {
                            self.journal(Ok(event), Some(fingerprint), Author::Participant(participant))
                        }
                        Err(refusal) => Ok(Err(refusal)),
                    },
                    None => Ok(Err(forbidden())),
                },
            },
        }
    }

    /// A phone joins as the connection and the session task do it. The phone waits for its
    /// welcome, which comes once the join is applied, after every event journaled before it.
    fn join(&mut self, phone: u8, code: &str, sent: Option<String>) -> Result<Result<(), Refusal>, Violation> {
        if code != CODE {
            return Ok(Err(Refusal::not_found()));
        }
        let resume = sent.as_deref().filter(|t| !t.is_empty() && t.len() <= 64).map(auth::hash_secret);
        let fresh = auth::hash_secret(&token(self.core.next_participant()));
        let participant = match self.core.join(resume.as_deref(), fresh, false) {
            Ok(Join::Resumed(participant)) => {
                self.phones.insert(phone, participant);
                return Ok(Ok(()));
            }
            Ok(Join::New(participant, event)) => {
                self.participants.push(participant);
                if let Err(refusal) = self.journal(Ok(event), None, Author::Joining(phone))? {
                    return Ok(Err(refusal));
                }
                participant
            }
            Err(refusal) => return Ok(Err(refusal)),
        };
        self.settle(self.core.in_flight())?;
        Ok(if self.phones.get(&phone) == Some(&participant) { Ok(()) } else { Err(Refusal::session_closed()) })
    }

    /// Hands an accepted proposal to the journal, as the session task does.
    fn journal(
        &mut self,
        proposal: Result<Event, Refusal>,
        request: Option<u64>,
        author: Author,
    ) -> Result<Result<(), Refusal>, Violation> {
        let event = match proposal {
            Ok(event) => event,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let stored = serde_json::to_string(&event)
            .map_err(|err| violation("an accepted event cannot be stored", (&event, err)))?;
        self.journal.push((self.clock, stored));
        self.core.accept(event, self.clock, request, (author, self.settled));
        Ok(Ok(()))
    }

    /// The journal commits up to `n` events in flight, oldest first, and each is applied.
    pub fn settle(&mut self, n: usize) -> Result<(), Violation> {
        for _ in 0..n {
            let before = self.observe(self.core.state());
            let Some(Settled { event, outcome, waiter: (author, checked_after) }) = self.core.settle(true) else {
                break;
            };
            let unchanged_since_check = checked_after == self.settled;
            self.settled += 1;
            let after = self.observe(self.core.state());
            match outcome {
                Err(refusal) => {
                    *self.tally.refused.entry(refusal.code).or_default() += 1;
                    if unchanged_since_check {
                        return Err(violation(
                            "an event the session accepted was refused by the same session when applied",
                            (&event, &refusal),
                        ));
                    }
                    if before != after {
                        return Err(violation(
                            "a refused event changed the session",
                            (&event, difference(&before, &after)),
                        ));
                    }
                }
                Ok(_) => {
                    check_accepted(&before, &after, &event, author)?;
                    check_limits(&after)?;
                    self.core.state().check_group_tallies().map_err(|detail| {
                        violation("a group's tallies are not its members' answers", (&event, detail))
                    })?;
                    let kind = serde_json::to_value(&event).ok().and_then(|v| v["type"].as_str().map(str::to_owned));
                    *self.tally.applied.entry(kind.unwrap_or_default()).or_default() += 1;
                    if let (Author::Joining(phone), Event::Joined { participant, .. }) = (author, &event) {
                        self.phones.insert(phone, *participant);
                    }
                }
            }
        }
        Ok(())
    }

    /// Folds the settled events the journal holds, read back from JSON, into a second session
    /// (event by event since the last check, as a replay does) and checks that it is the
    /// session as it stands live: what a restart now would show.
    pub fn check_replay(&mut self) -> Result<(), Violation> {
        for (at, stored) in &self.journal[self.replicated..self.settled] {
            let _refused_at_replay_as_live = self.replica.apply(&read_back(stored)?, *at);
        }
        self.replicated = self.settled;
        self.same_as_live(&self.replica)
    }

    /// Restarts: rebuilds the session from the whole journal with `SessionState::replay`, as
    /// the hub does at start, and checks that it is the session as it stands live.
    pub fn check_restart(&self) -> Result<(), Violation> {
        let events = self.journal[..self.settled]
            .iter()
            .map(|(at, stored)| Ok((*at, read_back(stored)?)))
            .collect::<Result<Vec<_>, Violation>>()?;
        self.same_as_live(&SessionState::replay(&self.record, events))
    }

    fn same_as_live(&self, replayed: &SessionState) -> Result<(), Violation> {
        let (live, again) = (self.observe(self.core.state()), self.observe(replayed));
        if live != again {
            return Err(violation("the replayed journal is another session", difference(&live, &again)));
        }
        let numbers = |state: &SessionState| (state.last_participant, state.last_item);
        if numbers(self.core.state()) != numbers(replayed) {
            let detail = ("live", numbers(self.core.state()), "replayed", numbers(replayed));
            return Err(violation("after a restart, participant or item numbers would be handed out again", detail));
        }
        Ok(())
    }

    fn observe(&self, state: &SessionState) -> Observed {
        Observed {
            lifecycle: state.lifecycle(),
            closed_at: state.closed_at,
            step: state.step_view(),
            results_public: state.results_public(),
            console: state.results(true),
            screens: state.results(false),
            exports: state.export_parts(),
            joined: state.joined(),
            tokens: self.participants.iter().map(|&p| state.participant(&auth::hash_secret(&token(p)))).collect(),
            mine: self.participants.iter().map(|&p| (p, state.mine(p))).collect(),
        }
    }
}

/// Everything about a session that a screen, a phone or an export shows.
#[derive(Debug, Clone, PartialEq)]
struct Observed {
    lifecycle: Lifecycle,
    closed_at: Option<i64>,
    step: StepView,
    results_public: bool,
    /// The current results as the console sees them (hidden items marked) and as the other
    /// screens do (hidden items left out).
    console: Option<(String, crate::protocol::Results)>,
    screens: Option<(String, crate::protocol::Results)>,
    /// Every activity's complete results and responses.
    exports: Vec<(Activity, Aggregate, Vec<Response>)>,
    joined: u32,
    /// Whom each token handed out resumes as.
    tokens: Vec<Option<ParticipantId>>,
    /// Each participant's own answers in the current step.
    mine: Vec<(ParticipantId, Option<Mine>)>,
}

/// The first lines where two observations differ, for a readable failure.
fn difference(a: &Observed, b: &Observed) -> String {
    let (a, b) = (format!("{a:#?}"), format!("{b:#?}"));
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let first = a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    let from = first.saturating_sub(8);
    format!(
        "before:\n{}\nafter:\n{}",
        a[from..(first + 4).min(a.len())].join("\n"),
        b[from..(first + 4).min(b.len())].join("\n")
    )
}

/// What participants wrote, by activity: who, which round and statement, what value (for a
/// scale) and text, and when. Left out is what others may change: a note's dots, frame,
/// theme, and whether it is hidden.
type Row = (ParticipantId, Option<String>, Option<u32>, Option<i64>, Option<String>, i64);

fn written(observed: &Observed) -> BTreeMap<&str, Vec<Row>> {
    observed
        .exports
        .iter()
        .map(|(activity, _, responses)| {
            let notes = matches!(activity.spec, ActivitySpec::Jamboard(_));
            let rows = responses
                .iter()
                .map(|r| {
                    let value = if notes { None } else { r.value };
                    (r.participant, r.round.clone(), r.statement, value, r.text.clone(), r.at)
                })
                .collect();
            (activity.id.as_str(), rows)
        })
        .collect()
}

/// Checks one change that was applied: the session was live, a new answer, entry or note
/// went to the activity and round on screen while answers were open, and nobody changed
/// what someone else wrote.
fn check_accepted(before: &Observed, after: &Observed, event: &Event, author: Author) -> Result<(), Violation> {
    if before.lifecycle == Lifecycle::Closed {
        return Err(violation("a change was accepted after the session closed", event));
    }
    let taken = match event {
        Event::Activity(event) => event.answer_round().map(|round| (event.activity(), round)),
        _ => None,
    };
    if let Some((activity, round)) = taken {
        let step = &before.step;
        let shown = step.activity.as_ref().filter(|shown| shown.id == activity);
        let round_shown = shown.is_some_and(|shown| shown.spec.rounds().get(round) == step.round.as_ref());
        // An activity the room moved on from keeps its answers open until they are stopped.
        let still_open = shown.is_none() && step.still_open.iter().any(|open| open.as_str() == activity);
        if !(still_open || round_shown && step.open) {
            return Err(violation("an answer was taken for a question not being asked", (event, step)));
        }
    }
    let (was, is) = (written(before), written(after));
    for (activity, rows) in &was {
        let now = is.get(activity).map(Vec::as_slice).unwrap_or_default();
        let kept = match (author, event) {
            (Author::Facilitator, Event::Reset { activity: reset }) if reset == activity => now.is_empty(),
            (Author::Participant(participant), _) => {
                let others = |rows: &[Row]| rows.iter().filter(|row| row.0 != participant).cloned().collect::<Vec<_>>();
                others(rows) == others(now)
            }
            _ => rows.as_slice() == now,
        };
        if !kept {
            return Err(violation(
                "a change touched what someone else wrote",
                (author, event, activity, ("before", rows), ("after", now)),
            ));
        }
    }
    Ok(())
}

/// Checks the limits a participant sees (entries, notes, dots per person; themes per board),
/// and that the results every screen shows agree with the responses exports list.
fn check_limits(observed: &Observed) -> Result<(), Violation> {
    for (activity, results, responses) in &observed.exports {
        let mut per_person: BTreeMap<ParticipantId, u32> = BTreeMap::new();
        for response in responses {
            *per_person.entry(response.participant).or_default() += 1;
        }
        let most = per_person.values().copied().max().unwrap_or(0);
        match (&activity.spec, results) {
            (ActivitySpec::Scale(scale), Aggregate::Scale(results)) => {
                for (s, statement) in results.statements.iter().enumerate() {
                    for (round, stats) in &statement.rounds {
                        let given = responses
                            .iter()
                            .filter(|r| r.statement == Some(s as u32) && r.round.as_ref() == Some(round))
                            .count();
                        if stats.n as usize != given {
                            return Err(violation("scale results disagree with the answers", (round, s, stats, given)));
                        }
                    }
                }
                let range = i64::from(scale.min)..=i64::from(scale.max);
                if let Some(out) = responses.iter().find(|r| !r.value.is_some_and(|v| range.contains(&v))) {
                    return Err(violation("a scale answer is off the scale", out));
                }
            }
            (ActivitySpec::Wordcloud(cloud), Aggregate::Wordcloud(results)) => {
                if most > cloud.max_entries {
                    return Err(violation("a participant has more entries than the cloud allows", per_person));
                }
                // Hidden groups count nowhere, though the export lists their entries (marked).
                let counted: u32 = results.entries.iter().filter(|entry| !entry.hidden).map(|entry| entry.count).sum();
                let shown = responses.iter().filter(|response| !response.hidden).count();
                if results.total as usize != shown || counted != results.total {
                    return Err(violation("the cloud's counts disagree with its entries", (results, shown)));
                }
                let people: std::collections::BTreeSet<ParticipantId> =
                    responses.iter().filter(|response| !response.hidden).map(|response| response.participant).collect();
                if results.participants as usize != people.len() {
                    return Err(violation("the cloud counts participants wrongly", (results.participants, people)));
                }
            }
            (ActivitySpec::Jamboard(board), Aggregate::Jamboard(results)) => {
                if most > board.notes_per_participant {
                    return Err(violation("a participant has more notes than the board allows", per_person));
                }
                let notes: usize = results.frames.iter().map(|frame| frame.notes.len()).sum();
                if notes != responses.len() {
                    return Err(violation("the board shows other notes than it lists", (notes, responses.len())));
                }
                if results.themes.len() > MAX_THEMES {
                    return Err(violation("a board has more themes than allowed", results.themes.len()));
                }
                let votes: u32 = results.frames.iter().flat_map(|frame| &frame.notes).map(|note| note.votes).sum();
                if votes > board.dots * observed.joined {
                    return Err(violation("a board has more dots than its participants were given", votes));
                }
            }
            (ActivitySpec::Choice(choice), Aggregate::Choice(results)) => {
                // Per round: n is the people with a response, each option's count its rows,
                // and nobody has more choices than allowed or one option twice.
                let mut chosen: BTreeMap<(Option<&String>, ParticipantId), Vec<u32>> = BTreeMap::new();
                for response in responses {
                    let option = response.statement.filter(|&o| (o as usize) < choice.options.len());
                    let Some(option) = option.filter(|_| response.value == Some(1)) else {
                        return Err(violation("a choice row names no option", response));
                    };
                    chosen.entry((response.round.as_ref(), response.participant)).or_default().push(option);
                }
                if let Some(too_many) = chosen.iter().find(|(_, options)| {
                    options.len() > choice.max_choices as usize
                        || (1..options.len()).any(|i| options[..i].contains(&options[i]))
                }) {
                    return Err(violation("a participant's choices break the question's limits", too_many));
                }
                for (round, stats) in &results.rounds {
                    let n = chosen.keys().filter(|(r, _)| r.map_or("", String::as_str) == round).count();
                    if stats.n as usize != n {
                        return Err(violation("a choice's n disagrees with its answers", (round, stats, n)));
                    }
                    for (o, option) in results.options.iter().enumerate() {
                        let rows = responses
                            .iter()
                            .filter(|r| r.statement == Some(o as u32) && r.round.as_deref().unwrap_or("") == round)
                            .count();
                        if option.rounds.get(round).map(|r| r.count as usize) != Some(rows) {
                            return Err(violation(
                                "a choice's counts disagree with its answers",
                                (round, option, rows),
                            ));
                        }
                    }
                }
            }
            // Every ranking that counts lists each item once: per round, each item has one rank
            // per participant who ranked, and its Borda points are n·k less its ranks.
            (ActivitySpec::Ranking(ranking), Aggregate::Ranking(results)) => {
                let k = ranking.items.len() as u64;
                for (i, item) in results.items.iter().enumerate() {
                    for (round, stats) in &item.rounds {
                        let ranks: Vec<i64> = responses
                            .iter()
                            .filter(|r| r.statement == Some(i as u32) && r.round.as_deref().unwrap_or("") == round)
                            .filter_map(|r| r.value)
                            .collect();
                        let rank_sum = ranks.iter().sum::<i64>() as u64;
                        let first = ranks.iter().filter(|&&rank| rank == 1).count() as u32;
                        if stats.n as usize != ranks.len()
                            || stats.points != u64::from(stats.n) * k - rank_sum
                            || stats.first != first
                        {
                            return Err(violation(
                                "ranking results disagree with the rankings",
                                (round, i, stats, ranks),
                            ));
                        }
                    }
                }
                if let Some(out) = responses.iter().find(|r| !r.value.is_some_and(|v| (1..=k as i64).contains(&v))) {
                    return Err(violation("a rank is outside the ranking", out));
                }
            }
            // Every spread that counts is within the budget, and the totals are its sums.
            (ActivitySpec::Points(config), Aggregate::Points(results)) => {
                let mut spent: BTreeMap<(ParticipantId, Option<&str>), i64> = BTreeMap::new();
                for response in responses {
                    *spent.entry((response.participant, response.round.as_deref())).or_default() +=
                        response.value.unwrap_or(-1);
                }
                if let Some(over) = spent.iter().find(|(_, sum)| !(0..=i64::from(config.budget)).contains(*sum)) {
                    return Err(violation("a spread is over the budget", over));
                }
                for (i, item) in results.items.iter().enumerate() {
                    for (round, stats) in &item.rounds {
                        let given: Vec<i64> = responses
                            .iter()
                            .filter(|r| r.statement == Some(i as u32) && r.round.as_deref().unwrap_or("") == round)
                            .filter_map(|r| r.value)
                            .collect();
                        if stats.n as usize != given.len() || stats.total as i64 != given.iter().sum::<i64>() {
                            return Err(violation(
                                "points results disagree with the spreads",
                                (round, i, stats, given),
                            ));
                        }
                    }
                }
            }
            _ => return Err(violation("an activity's results are of another kind", activity)),
        }
    }
    check_dots(observed)
}

/// On a jam board on screen, everyone's dots are within the board's limit, and each note
/// shows exactly the dots that are on it.
fn check_dots(observed: &Observed) -> Result<(), Violation> {
    let Some(ActivitySpec::Jamboard(board)) = observed.step.activity.as_ref().map(|a| &a.spec) else {
        return Ok(());
    };
    let Some((_, crate::protocol::Results { total: Aggregate::Jamboard(results), .. })) = &observed.console else {
        return Ok(());
    };
    let mut dots: BTreeMap<String, u32> = BTreeMap::new();
    for (participant, mine) in &observed.mine {
        let spent = mine.as_ref().map(|mine| mine.dots.as_slice()).unwrap_or_default();
        if spent.len() > board.dots as usize {
            return Err(violation("a participant has more dots than the board gives", (participant, spent)));
        }
        for note in spent {
            *dots.entry(note.clone()).or_default() += 1;
        }
    }
    for note in results.frames.iter().flat_map(|frame| &frame.notes) {
        let held = dots.remove(&note.id.to_string()).unwrap_or(0);
        if held != note.votes {
            return Err(violation("a note shows other dots than participants spent on it", (note, held)));
        }
    }
    if !dots.is_empty() {
        return Err(violation("dots are spent on notes that are not on the board", dots));
    }
    Ok(())
}
