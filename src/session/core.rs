//! A session's synchronous core: its state, the requests it has recognised, and the events
//! on their way to the disk.
//!
//! Everything a session decides is decided here, without a runtime: whether a join resumes
//! or makes a participant (and whether the session is full), whether a request was seen
//! before (its `ack` was lost and it is resent), what event a request becomes, which numbers
//! new participants and items get, and what happens when the journal reports an event saved
//! or not. The session task (`hub::session`) is its async shell: it carries commands in,
//! hands [`Core::accept`]ed events to the journal, calls [`Core::settle`] as the journal
//! reports, and publishes the views. The property test and the fuzz target
//! (`crate::fuzzing`) drive this same core, event by event, so what they check is what runs.
//!
//! Events settle strictly in the order they were accepted, and a request may be checked
//! while earlier events are still in flight: the fold checks each event again when it is
//! applied (the facilitator may have stopped answers meanwhile).

use std::collections::{HashMap, VecDeque};

use super::request::{Control, RecentRequests, Request};
use super::state::{Change, SessionState};
use crate::activity::Activity;
use crate::error::{ErrorCode, Refusal};
use crate::journal::Event;
use crate::protocol::{ParticipantId, RequestId};

/// An event accepted and not yet settled, with whoever waits for it.
#[derive(Debug)]
pub struct InFlight<W> {
    pub event: Event,
    /// When it was accepted (ms since the Unix epoch): stored with it, applied with it.
    pub at: i64,
    /// The fingerprint of the participant's request it came from.
    pub request: Option<u64>,
    pub waiter: W,
}

/// What a join comes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Join {
    /// The token is known: the participant is back, nothing to journal.
    Resumed(ParticipantId),
    /// A new participant, once this event is saved.
    New(ParticipantId, Event),
}

/// What a participant's request comes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Proposal {
    /// Seen and applied before (its `ack` was lost): acknowledge it again, change nothing.
    Seen,
    /// This event, to journal with the request's fingerprint.
    New(Event, u64),
}

/// An event whose fate the journal reported.
#[derive(Debug)]
pub struct Settled<W> {
    pub event: Event,
    /// What applying it changed, or why it was not applied (not saved, or refused by the
    /// fold because the session moved on while it was in flight).
    pub outcome: Result<Change, Refusal>,
    pub waiter: W,
}

/// The synchronous core of one session.
#[derive(Debug)]
pub struct Core<W> {
    state: SessionState,
    recent: RecentRequests,
    /// Participant numbers are handed out when a join is accepted, so that joins in flight
    /// never share one; item numbers (entries, notes, themes) likewise.
    next_participant: ParticipantId,
    next_item: u32,
    in_flight: VecDeque<InFlight<W>>,
    /// How many events in flight each request fingerprint made: most requests are in none,
    /// and [`Core::waiting`] then answers without looking through the queue.
    in_flight_requests: HashMap<u64, u32>,
    /// Most participants the session takes.
    max_participants: u32,
}

impl<W> Core<W> {
    pub fn new(state: SessionState, recent: RecentRequests, max_participants: u32) -> Self {
        Self {
            next_participant: state.last_participant + 1,
            next_item: state.last_item + 1,
            state,
            recent,
            in_flight: VecDeque::new(),
            in_flight_requests: HashMap::new(),
            max_participants,
        }
    }

    /// The session as the settled events make it.
    pub fn state(&self) -> &SessionState {
        &self.state
    }

    /// The number the next new participant will get.
    pub fn next_participant(&self) -> ParticipantId {
        self.next_participant
    }

    /// The number the next new item (entry, note, theme) will get.
    pub fn next_item(&self) -> u32 {
        self.next_item
    }

    /// Events accepted and not yet settled.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// The waiter of the event in flight that `participant`'s request (`fingerprint`) made,
    /// if it is not settled yet. A request resent before its first copy is committed (its
    /// phone lost the connection and reached the session again at once, through another node
    /// of a cluster say) must wait for that copy rather than be applied a second time:
    /// [`RecentRequests`] only knows requests once they are settled.
    pub fn waiting(&mut self, participant: ParticipantId, fingerprint: u64) -> Option<&mut W> {
        if !self.in_flight_requests.contains_key(&fingerprint) {
            return None;
        }
        self.in_flight
            .iter_mut()
            .find(|sent| sent.request == Some(fingerprint) && sent.event.participant() == Some(participant))
            .map(|sent| &mut sent.waiter)
    }

    /// A phone joins: resumes when `resume` is a known token hash, otherwise becomes a new
    /// participant whose token hash is `fresh`. With `resume_only` (the caller is guarded for
    /// guessing codes) a token that matches nobody is refused rather than made a participant.
    pub fn join(&self, resume: Option<&str>, fresh: String, resume_only: bool) -> Result<Join, Refusal> {
        if let Some(participant) = resume.and_then(|hash| self.state.participant(hash)) {
            return Ok(Join::Resumed(participant));
        }
        if resume_only {
            return Err(Refusal::rate_limited());
        }
        let participant = self.next_participant;
        let event = self.state.propose_join(participant, fresh)?;
        // Places taken: participants now (removed ones free theirs), and joins on their way
        // to the journal.
        let joining = (self.next_participant - 1).saturating_sub(self.state.last_participant);
        if self.state.joined() + joining >= self.max_participants {
            return Err(Refusal::new(ErrorCode::LimitReached, "This session is full. Please tell the facilitator."));
        }
        Ok(Join::New(participant, event))
    }

    /// A participant's request: seen before, or the event it asks for.
    pub fn participate(
        &self,
        participant: ParticipantId,
        id: RequestId,
        request: &Request,
    ) -> Result<Proposal, Refusal> {
        let fingerprint = RecentRequests::fingerprint(id, request);
        if self.recent.seen(participant, id, request, fingerprint) {
            return Ok(Proposal::Seen);
        }
        let event = request.proposal(&self.state, participant, self.next_item)?;
        Ok(Proposal::New(event, fingerprint))
    }

    /// The event a facilitator's control asks for.
    pub fn control(&self, control: &Control) -> Result<Event, Refusal> {
        control.proposal(&self.state, self.next_item)
    }

    /// The event replacing the agenda; activities without an id get `new_id()`.
    pub fn agenda(&self, agenda: Vec<Activity>, new_id: impl FnMut() -> String) -> Result<Event, Refusal> {
        self.state.propose_agenda(agenda, new_id)
    }

    /// Takes an accepted event into the queue for the journal, and the numbers it uses.
    pub fn accept(&mut self, event: Event, at: i64, request: Option<u64>, waiter: W) -> &InFlight<W> {
        if event.new_item() == Some(self.next_item) {
            self.next_item += 1;
        }
        if let Event::Joined { participant, .. } = &event
            && *participant == self.next_participant
        {
            self.next_participant += 1;
        }
        if let Some(request) = request {
            *self.in_flight_requests.entry(request).or_default() += 1;
        }
        self.in_flight.push_back(InFlight { event, at, request, waiter });
        self.in_flight.back().expect("just pushed")
    }

    /// An event's request fingerprint left the queue.
    fn left(&mut self, request: Option<u64>) {
        if let Some(request) = request
            && let Some(count) = self.in_flight_requests.get_mut(&request)
        {
            *count -= 1;
            if *count == 0 {
                self.in_flight_requests.remove(&request);
            }
        }
    }

    /// Takes back the event just accepted: the journal would not take it. Its numbers stay
    /// used, which is harmless.
    pub fn withdraw(&mut self) -> Option<InFlight<W>> {
        let withdrawn = self.in_flight.pop_back()?;
        self.left(withdrawn.request);
        Some(withdrawn)
    }

    /// The journal reports the oldest event in flight saved (it is applied) or not.
    pub fn settle(&mut self, saved: bool) -> Option<Settled<W>> {
        let InFlight { event, at, request, waiter } = self.in_flight.pop_front()?;
        self.left(request);
        let outcome = if saved { self.state.apply(&event, at) } else { Err(Refusal::not_saved()) };
        if outcome.is_ok()
            && let (Some(participant), Some(request)) = (event.participant(), request)
        {
            self.recent.record(participant, request);
        }
        Some(Settled { event, outcome, waiter })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::{ActivitySpec, Answer, Scale, ScaleLabels};
    use crate::journal::SessionRecord;

    fn core(max_participants: u32) -> Core<&'static str> {
        let record = SessionRecord {
            code: "12345678".into(),
            series: "12345678".into(),
            title: "Test".into(),
            host_key_hash: String::new(),
            present_key_hash: String::new(),
            created_at: 0,
            closed_at: None,
        };
        let scale = Scale {
            title: "How do you feel?".into(),
            statements: vec!["I understand".into()],
            min: 1,
            max: 5,
            labels: ScaleLabels::default(),
            rounds: vec!["Before".into(), "After".into()],
        };
        let mut agenda = vec![Activity { id: "a".into(), spec: ActivitySpec::Scale(scale) }];
        crate::activity::normalise_agenda(&mut agenda, String::new).expect("valid");
        let state = SessionState::replay(&record, [(0, Event::AgendaReplaced { agenda })]);
        Core::new(state, RecentRequests::default(), max_participants)
    }

    fn answer(value: i64) -> Request {
        Request::Answer(Answer {
            activity: "a".into(),
            round: Some("Before".into()),
            statement: Some(0),
            value: Some(value),
            ..Answer::default()
        })
    }

    fn join(core: &mut Core<&'static str>, token: &str) -> ParticipantId {
        let Ok(Join::New(participant, event)) = core.join(None, token.into(), false) else { panic!("a new join") };
        core.accept(event, 1, None, "join");
        participant
    }

    /// Joins in flight take their numbers and their places: two phones joining at once are
    /// two participants, and a full session refuses the next before either is saved.
    #[test]
    fn joins_in_flight_take_numbers_and_places() {
        let mut core = core(2);
        assert_eq!(join(&mut core, "t1"), 1);
        assert_eq!(join(&mut core, "t2"), 2);
        let refusal = core.join(None, "t3".into(), false).expect_err("full");
        assert_eq!(refusal.code, ErrorCode::LimitReached);
        assert!(core.settle(true).expect("settled").outcome.is_ok());
        assert!(core.settle(true).expect("settled").outcome.is_ok());
        assert_eq!(core.join(Some("t1"), "t4".into(), false), Ok(Join::Resumed(1)));
        assert_eq!(core.join(Some("nobody"), "t4".into(), true).map_err(|r| r.code), Err(ErrorCode::RateLimited));
    }

    /// A request applied once is only acknowledged when resent; one that was not saved is
    /// not remembered, so sending it again is a new try.
    #[test]
    fn a_resent_request_is_applied_once_and_an_unsaved_one_can_be_tried_again() {
        let mut core = core(10);
        let participant = join(&mut core, "t1");
        core.settle(true);
        core.control(&Control::Goto { activity: Some("a".into()), round: Some("Before".into()) })
            .map(|event| core.accept(event, 2, None, "goto"))
            .map(|_| ())
            .expect("goto");
        core.settle(true);

        let Ok(Proposal::New(event, fingerprint)) = core.participate(participant, 7, &answer(4)) else {
            panic!("a new answer")
        };
        core.accept(event, 3, Some(fingerprint), "answer");
        let settled = core.settle(false).expect("settled");
        assert_eq!(settled.outcome.map_err(|r| r.code), Err(ErrorCode::NotSaved));
        assert!(matches!(core.participate(participant, 7, &answer(4)), Ok(Proposal::New(..))));

        let Ok(Proposal::New(event, fingerprint)) = core.participate(participant, 7, &answer(4)) else {
            panic!("a new answer")
        };
        core.accept(event, 4, Some(fingerprint), "answer");
        assert!(core.settle(true).expect("settled").outcome.is_ok());
        assert_eq!(core.participate(participant, 7, &answer(4)), Ok(Proposal::Seen));
        assert!(matches!(core.participate(participant, 7, &answer(5)), Ok(Proposal::New(..))));
    }

    /// A request resent while its first copy is in flight finds that copy's waiter (and is
    /// answered with it, not applied again); another request, or another participant's with
    /// the same id, does not; once settled, the resent request is known as seen.
    #[test]
    fn a_request_resent_while_in_flight_finds_its_first_copy() {
        let mut core = core(10);
        let (first, second) = (join(&mut core, "t1"), join(&mut core, "t2"));
        core.settle(true);
        core.settle(true);
        let goto = core.control(&Control::Goto { activity: Some("a".into()), round: Some("Before".into()) });
        core.accept(goto.expect("goto"), 2, None, "goto");
        core.settle(true);

        let Ok(Proposal::New(event, fingerprint)) = core.participate(first, 7, &answer(4)) else {
            panic!("a new answer")
        };
        core.accept(event, 3, Some(fingerprint), "first copy");
        assert!(matches!(core.participate(first, 7, &answer(4)), Ok(Proposal::New(..))), "not settled yet");
        assert_eq!(core.waiting(first, fingerprint).map(|waiter| *waiter), Some("first copy"));
        assert_eq!(core.waiting(second, fingerprint), None, "another participant's request");
        let Ok(Proposal::New(_, other)) = core.participate(first, 8, &answer(4)) else { panic!("a new answer") };
        assert_eq!(core.waiting(first, other), None, "another request");
        assert!(core.settle(true).expect("settled").outcome.is_ok());
        assert_eq!(core.waiting(first, fingerprint), None);
        assert_eq!(core.participate(first, 7, &answer(4)), Ok(Proposal::Seen));
    }

    /// An answer checked while the facilitator's "stop answers" is in flight is refused when
    /// it settles, and changes nothing.
    #[test]
    fn an_answer_racing_a_stop_is_refused_when_it_settles() {
        let mut core = core(10);
        let participant = join(&mut core, "t1");
        core.settle(true);
        let goto = core.control(&Control::Goto { activity: Some("a".into()), round: None }).expect("goto");
        core.accept(goto, 2, None, "goto");
        core.settle(true);
        let stop = core.control(&Control::SetOpen(false)).expect("stop");
        core.accept(stop, 3, None, "stop");
        let Ok(Proposal::New(event, fingerprint)) = core.participate(participant, 1, &answer(3)) else {
            panic!("checked before the stop settles")
        };
        core.accept(event, 4, Some(fingerprint), "answer");
        assert!(core.settle(true).expect("the stop").outcome.is_ok());
        let settled = core.settle(true).expect("the answer");
        assert_eq!(settled.waiter, "answer");
        assert_eq!(settled.outcome.map_err(|r| r.code), Err(ErrorCode::NotOpen));
        assert!(!core.state().has_answers("a"));
    }
}
