//! A session's state as the fold of its journal events.
//!
//! [`SessionState::apply`] is the only way the state changes, live and at replay alike, so
//! what every screen shows is always exactly what the journal would rebuild. The `propose_*`
//! functions check a request against the state and turn it into an event; `apply` checks
//! again, because other events may have been committed in between (an answer racing the
//! facilitator's "stop answers"). An event that `apply` refuses changes nothing, live or at
//! replay, and its sender gets the refusal instead of an `ack`.

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;

use super::groups::{self, AboutYou, Attendance, Booked, GroupFigures, Split, SuppressedMark};
use crate::activity::{
    Activity, ActivityControl, ActivityEvent, ActivityRequest, ActivityState, ActivityTallies, Aggregate, Answer, Ctx,
    Effect, Response, View, normalise_agenda,
};
use crate::error::{ErrorCode, Refusal};
use crate::journal::{Event, SessionRecord};
use crate::protocol::{
    AboutYouQuestion, ActivityResults, Mine, ParticipantId, Results, SessionState as Lifecycle, StepView, TimerView,
};

/// What every screen shows: which activity and round, whether phones see the results, and
/// the projector page the facilitator turned to. Which activities take answers is kept apart
/// ([`SessionState::is_open`]): moving the screen on does not stop answers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Step {
    pub activity: Option<String>,
    pub round: usize,
    pub reveal: bool,
    pub page: Option<u32>,
}

/// A countdown on an activity.
#[derive(Debug, Clone, PartialEq)]
pub struct Timer {
    pub activity: String,
    pub seconds: u32,
    /// Milliseconds since the Unix epoch.
    pub ends_at: i64,
    pub stop_answers: bool,
}

/// Shortest and longest countdown, in seconds: 1 to 30 minutes.
pub const TIMER_SECONDS: std::ops::RangeInclusive<u32> = 60..=1800;

/// What an applied event changed, so the session task knows which views to refresh.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Agenda,
    Joined,
    Step,
    /// Answers to this activity changed.
    Results(String),
    Closed,
    /// The report's content was saved: nothing on screen shows it.
    Report,
    /// "What we heard" was published or revoked.
    Summary,
}

/// "What we heard", as published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The unguessable part of its address, `/r/<id>`.
    pub id: String,
    /// The report's sections shown, in report order.
    pub sections: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct SessionState {
    pub code: String,
    pub title: String,
    pub series: String,
    pub created_at: i64,
    pub closed_at: Option<i64>,
    pub agenda: Vec<Activity>,
    activities: HashMap<String, ActivityState>,
    pub step: Step,
    /// Activities taking answers, with the round that is open.
    answering: HashMap<String, usize>,
    /// The facilitator's choice of results on the projector, per activity (absent: the
    /// default of [`SessionState::projector_shows`]).
    projector: HashMap<String, bool>,
    pub timer: Option<Timer>,
    /// Participants who answered at least once.
    took_part: HashSet<ParticipantId>,
    /// Token hash → participant.
    participants: HashMap<String, ParticipantId>,
    /// Highest participant number handed out.
    pub last_participant: ParticipantId,
    /// Participants the facilitator removed: nothing of theirs is taken any more.
    removed: std::collections::HashSet<ParticipantId>,
    /// Highest item number (word-cloud entry) handed out.
    pub last_item: u32,
    /// The "About you" question, if the session asks one.
    pub about_you: Option<AboutYou>,
    /// What the organiser typed in as booked.
    pub booked: Option<Booked>,
    /// What the projector may show of the groups.
    split: Option<Split>,
    /// Who answered the "About you" question, with their group now (`None`: prefer not to
    /// say).
    chosen: HashMap<ParticipantId, Option<u32>>,
    /// Joined and took part per group, and last for those without a group (who preferred
    /// not to say or never chose), kept as people join, answer and choose.
    attendance: Vec<Attendance>,
    /// Each activity's tallies per group, kept as answers come in.
    tallies: HashMap<String, ActivityTallies>,
    /// Moves on whenever `attendance` changes, so the session task knows to publish it.
    attendance_version: u64,
    /// What the organiser wrote and picked for this session's report (the last saved).
    pub report: Option<crate::report::content::ReportContent>,
    /// The same for the series report, kept with the series' first session.
    pub series_report: Option<crate::report::content::ReportContent>,
    /// "What we heard", while it is published.
    pub summary: Option<Published>,
    /// Addresses of "what we heard" that were revoked: they answer 410, not 404.
    pub revoked: Vec<String>,
    /// Whether the projector shows the QR code of "what we heard" (while it is published).
    pub summary_qr: bool,
}

impl SessionState {
    pub fn new(record: &SessionRecord) -> Self {
        Self {
            code: record.code.clone(),
            title: record.title.clone(),
            series: record.series.clone(),
            created_at: record.created_at,
            closed_at: None,
            agenda: Vec::new(),
            activities: HashMap::new(),
            step: Step::default(),
            answering: HashMap::new(),
            projector: HashMap::new(),
            timer: None,
            took_part: HashSet::new(),
            participants: HashMap::new(),
            last_participant: 0,
            removed: std::collections::HashSet::new(),
            last_item: 0,
            about_you: None,
            booked: None,
            split: None,
            chosen: HashMap::new(),
            attendance: vec![Attendance::default()],
            tallies: HashMap::new(),
            attendance_version: 0,
            report: None,
            series_report: None,
            summary: None,
            revoked: Vec::new(),
            summary_qr: false,
        }
    }

    /// Rebuilds a session from its journal. Events that were refused when they were first
    /// applied are refused again, identically, and skipped.
    pub fn replay(record: &SessionRecord, events: impl IntoIterator<Item = (i64, Event)>) -> Self {
        let mut state = Self::new(record);
        for (at, event) in events {
            // A refused event was never acknowledged: skipping it is what happened live.
            let _ = state.apply(&event, at);
        }
        state
    }

    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }

    pub fn lifecycle(&self) -> Lifecycle {
        if self.is_closed() { Lifecycle::Closed } else { Lifecycle::Live }
    }

    pub fn joined(&self) -> u32 {
        self.participants.len() as u32
    }

    /// Participants who answered at least once (opening the link is not taking part).
    pub fn took_part(&self) -> u32 {
        self.took_part.len() as u32
    }

    /// Participants who answered the activity on screen (its current round, for a scale).
    pub fn answered_current(&self) -> u32 {
        let Some((_, activity)) = self.current() else { return 0 };
        self.activities.get(&activity.id).map_or(0, |state| state.respondents(&activity.spec, self.step.round))
    }

    /// Whether an activity's round takes answers.
    pub fn is_open(&self, activity: &str, round: usize) -> bool {
        !self.is_closed() && self.answering.get(activity) == Some(&round)
    }

    /// Activities that have answers, in agenda order.
    pub fn with_answers(&self) -> Vec<String> {
        self.agenda
            .iter()
            .filter(|activity| self.activities.get(&activity.id).is_some_and(|state| state.has_answers(&activity.spec)))
            .map(|activity| activity.id.clone())
            .collect()
    }

    /// Whether one activity has answers.
    pub fn has_answers(&self, activity: &str) -> bool {
        self.activity_state(activity).is_ok_and(|(found, state)| state.has_answers(&found.spec))
    }

    /// Whether the projector shows the results of the activity on screen: as the facilitator
    /// chose, or by default live for kinds that say so (a word cloud, a board), and for the
    /// others only once their answers have stopped (so that the room's ratings or votes do
    /// not anchor each other).
    pub fn projector_shows(&self) -> bool {
        let Some((_, activity)) = self.current() else { return false };
        match self.projector.get(&activity.id) {
            Some(show) => *show,
            None => activity.spec.live_on_projector() || !self.is_open(&activity.id, self.step.round),
        }
    }

    /// When the running countdown stops answers, if it does and they are still open.
    pub fn timer_stops_answers_at(&self) -> Option<(String, i64)> {
        let timer = self.timer.as_ref()?;
        let round = *self.answering.get(&timer.activity)?;
        (timer.stop_answers
            && !self.is_closed()
            && self.step.activity.as_deref() == Some(&timer.activity)
            && self.step.round == round)
            .then(|| (timer.activity.clone(), timer.ends_at))
    }

    /// Whether the facilitator removed this participant.
    pub fn is_removed(&self, participant: ParticipantId) -> bool {
        self.removed.contains(&participant)
    }

    /// Checks removing every participant who has answered nothing in any activity.
    pub fn propose_remove_silent(&self) -> Result<Event, Refusal> {
        self.ensure_live()?;
        let mut participants: Vec<ParticipantId> =
            self.participants.values().copied().filter(|participant| !self.took_part.contains(participant)).collect();
        participants.sort_unstable();
        Ok(Event::Removed { participants })
    }

    /// The participant a token hash belongs to.
    pub fn participant(&self, token_hash: &str) -> Option<ParticipantId> {
        self.participants.get(token_hash).copied()
    }

    fn activity(&self, id: &str) -> Result<(usize, &Activity), Refusal> {
        self.agenda.iter().enumerate().find(|(_, activity)| activity.id == id).ok_or_else(unknown_activity)
    }

    /// An activity of the agenda with its state.
    fn activity_state(&self, id: &str) -> Result<(&Activity, &ActivityState), Refusal> {
        let (_, activity) = self.activity(id)?;
        let state = self.activities.get(id).ok_or_else(internal)?;
        Ok((activity, state))
    }

    fn current(&self) -> Option<(usize, &Activity)> {
        let id = self.step.activity.as_deref()?;
        self.activity(id).ok()
    }

    fn ensure_live(&self) -> Result<(), Refusal> {
        if self.is_closed() { Err(Refusal::session_closed()) } else { Ok(()) }
    }

    // ---- proposals: requests checked and turned into events -------------------------------

    pub fn propose_step(&self, activity: Option<&str>, round: Option<&str>) -> Result<Event, Refusal> {
        self.ensure_live()?;
        let Some(id) = activity else {
            return Ok(Event::Goto { activity: None, round: 0 });
        };
        let (_, activity) = self.activity(id)?;
        let rounds = activity.spec.rounds();
        let round = match round {
            None => 0,
            Some(_) if rounds.is_empty() => {
                return Err(Refusal::new(ErrorCode::UnknownRound, "This activity is not asked in rounds."));
            }
            Some(name) => rounds.iter().position(|round| round == name).ok_or_else(|| {
                Refusal::new(ErrorCode::UnknownRound, format!("This activity has no round called \"{name}\"."))
            })?,
        };
        Ok(Event::Goto { activity: Some(id.to_owned()), round })
    }

    /// Checks a new participant's join; it gets the pseudonym `participant`.
    pub fn propose_join(&self, participant: ParticipantId, token_hash: String) -> Result<Event, Refusal> {
        self.ensure_live()?;
        Ok(Event::Joined { participant, token_hash })
    }

    pub fn propose_open(&self, open: bool) -> Result<Event, Refusal> {
        self.ensure_live()?;
        let (_, activity) = self.current().ok_or_else(no_activity_shown)?;
        Ok(Event::Opened { activity: activity.id.clone(), open })
    }

    pub fn propose_projector(&self, show: bool) -> Result<Event, Refusal> {
        self.ensure_live()?;
        let (_, activity) = self.current().ok_or_else(no_activity_shown)?;
        Ok(Event::Projector { activity: activity.id.clone(), show })
    }

    pub fn propose_page(&self, page: Option<u32>) -> Result<Event, Refusal> {
        self.ensure_live()?;
        self.current().ok_or_else(no_activity_shown)?;
        if page.is_some_and(|page| page >= MAX_PAGES) {
            return Err(Refusal::new(ErrorCode::OutOfRange, "There is no such page."));
        }
        Ok(Event::ProjectorPage { page })
    }

    /// Checks a countdown of `seconds` (null: cancel) on the activity on screen, starting `now`.
    pub fn propose_timer(&self, seconds: Option<u32>, stop_answers: bool, now: i64) -> Result<Event, Refusal> {
        self.ensure_live()?;
        let (_, activity) = self.current().ok_or_else(no_activity_shown)?;
        let activity = activity.id.clone();
        let Some(seconds) = seconds else {
            return Ok(Event::Timer { activity, seconds: 0, ends_at: None, stop_answers: false });
        };
        if !TIMER_SECONDS.contains(&seconds) {
            return Err(Refusal::new(ErrorCode::OutOfRange, "A timer runs for 1 to 30 minutes."));
        }
        Ok(Event::Timer { activity, seconds, ends_at: Some(now + i64::from(seconds) * 1000), stop_answers })
    }

    pub fn propose_reveal(&self, show: bool) -> Result<Event, Refusal> {
        self.ensure_live()?;
        self.current().ok_or_else(no_activity_shown)?;
        Ok(Event::Reveal { show })
    }

    pub fn propose_close(&self) -> Result<Event, Refusal> {
        self.ensure_live()?;
        Ok(Event::Closed)
    }

    /// Checks a participant's answer; the activity's kind reads it. A new item (a word-cloud
    /// entry) gets the number `item`.
    pub fn propose_answer(&self, participant: ParticipantId, answer: &Answer, item: u32) -> Result<Event, Refusal> {
        self.ensure_live()?;
        let (activity, state) = self.activity_state(&answer.activity)?;
        // An activity taking no answers at all says so before any check of the answer itself.
        if !self.answering.contains_key(&activity.id) {
            return Err(self.not_taking(&activity.id, usize::MAX));
        }
        let ctx = Ctx { participant: Some(participant), item };
        let event = Event::Activity(state.propose_answer(&activity.spec, answer, ctx)?);
        self.check_answerable(&event)?;
        Ok(event)
    }

    /// Checks a participant's request of an activity's kind (deleting an entry, a note, a dot).
    pub fn propose_request(
        &self,
        participant: ParticipantId,
        request: &ActivityRequest,
        item: u32,
    ) -> Result<Event, Refusal> {
        self.ensure_live()?;
        let (activity, state) = self.activity_state(request.activity())?;
        let ctx = Ctx { participant: Some(participant), item };
        let event = Event::Activity(state.propose_request(&activity.spec, request, ctx)?);
        self.check_answerable(&event)?;
        Ok(event)
    }

    /// Checks a facilitator's request of an activity's kind; a new item (a theme) gets the
    /// number `item`.
    pub fn propose_control(&self, control: &ActivityControl, item: u32) -> Result<Event, Refusal> {
        self.ensure_live()?;
        let (activity, state) = self.activity_state(control.activity())?;
        let ctx = Ctx { participant: None, item };
        Ok(Event::Activity(state.propose_control(&activity.spec, control, ctx)?))
    }

    pub fn propose_hide(&self, activity: &str, item: &str, hidden: bool) -> Result<Event, Refusal> {
        self.ensure_live()?;
        let (found, state) = self.activity_state(activity)?;
        state.check_hide(&found.spec, item)?;
        Ok(Event::Hidden { activity: activity.to_owned(), item: item.to_owned(), hidden })
    }

    pub fn propose_reset(&self, activity: &str) -> Result<Event, Refusal> {
        self.ensure_live()?;
        self.activity(activity)?;
        Ok(Event::Reset { activity: activity.to_owned() })
    }

    /// Participants change nothing in a closed session. An answer, entry or note is taken only
    /// for an activity and round whose answers are open: the one on screen, or one the room
    /// moved on from that the facilitator has not stopped.
    fn check_answerable(&self, event: &Event) -> Result<(), Refusal> {
        let Event::Activity(event) = event else { return Ok(()) };
        if event.participant().is_none() {
            return Ok(());
        }
        self.ensure_live()?;
        let Some(round) = event.answer_round() else { return Ok(()) };
        if self.is_open(event.activity(), round) {
            return Ok(());
        }
        Err(self.not_taking(event.activity(), round))
    }

    /// Why an activity's round takes no answers, in words a participant understands.
    fn not_taking(&self, activity: &str, round: usize) -> Refusal {
        let on_screen = self.step.activity.as_deref() == Some(activity);
        match self.answering.get(activity) {
            Some(_) => {
                Refusal::new(ErrorCode::NotOpen, "That round has ended: the facilitator has started the next one.")
            }
            None if on_screen && (round == usize::MAX || self.step.round == round) => {
                Refusal::new(ErrorCode::NotOpen, "Answers have been stopped for now.")
            }
            None if self.step.activity.is_none() => {
                Refusal::new(ErrorCode::NotOpen, "This question is not being asked right now.")
            }
            None => Refusal::new(ErrorCode::NotOpen, "Answers to this question have been stopped."),
        }
    }

    /// Checks a new agenda; activities without an id get `new_id()`.
    pub fn propose_agenda(&self, mut agenda: Vec<Activity>, new_id: impl FnMut() -> String) -> Result<Event, Refusal> {
        self.ensure_live()?;
        normalise_agenda(&mut agenda, new_id)?;
        self.rebuild_activities(&agenda)?;
        Ok(Event::AgendaReplaced { agenda })
    }

    /// The activity states for a new agenda: kept activities keep (and adapt) their answers;
    /// removing one that has answers is refused.
    fn rebuild_activities(&self, agenda: &[Activity]) -> Result<HashMap<String, ActivityState>, Refusal> {
        for (id, state) in &self.activities {
            let had_answers = self.activity(id).is_ok_and(|(_, found)| state.has_answers(&found.spec));
            if had_answers && !agenda.iter().any(|activity| &activity.id == id) {
                let title = self.activity(id).map(|(_, a)| a.spec.title().to_owned()).unwrap_or_default();
                return Err(Refusal::new(
                    ErrorCode::ActivityHasAnswers,
                    format!("\"{title}\" already has answers, so it cannot be removed."),
                ));
            }
        }
        let mut activities = HashMap::with_capacity(agenda.len());
        for (index, activity) in agenda.iter().enumerate() {
            let state = match self.activities.get(&activity.id) {
                Some(old) if old.is_kind_of(&activity.spec) => {
                    let mut state = old.clone();
                    state.reconfigure(&activity.spec).map_err(|refusal| refusal.in_activity(index))?;
                    state
                }
                Some(old) if self.has_answers(&activity.id) && !old.is_kind_of(&activity.spec) => {
                    return Err(Refusal::new(
                        ErrorCode::ActivityHasAnswers,
                        format!("Activity {} already has answers, so its kind cannot change.", index + 1),
                    ));
                }
                _ => activity.spec.new_state(),
            };
            activities.insert(activity.id.clone(), state);
        }
        Ok(activities)
    }

    /// The address of "what we heard" while it is published: `/r/<id>`.
    pub fn summary_url(&self) -> Option<String> {
        self.summary.as_ref().map(|published| format!("/r/{}", published.id))
    }

    // ---- the fold ---------------------------------------------------------------------------

    /// Applies a committed event. Deterministic: the same events in the same order always give
    /// the same state and the same refusals.
    pub fn apply(&mut self, event: &Event, at: i64) -> Result<Change, Refusal> {
        let change = self.fold(event, at)?;
        if matches!(
            event,
            Event::Joined { .. } | Event::Removed { .. } | Event::GroupChosen { .. } | Event::AboutYou { .. }
        ) {
            self.attendance_version += 1;
        }
        // Answering "About you" is not taking part; answering an activity is.
        if let (Event::Activity(_), Some(participant)) = (event, event.participant())
            && self.took_part.insert(participant)
        {
            let bucket = self.bucket(participant);
            self.attendance[bucket].took_part += 1;
            self.attendance_version += 1;
        }
        Ok(change)
    }

    fn fold(&mut self, event: &Event, at: i64) -> Result<Change, Refusal> {
        match event {
            Event::AgendaReplaced { agenda } => {
                self.ensure_live()?;
                let activities = self.rebuild_activities(agenda)?;
                self.agenda = agenda.clone();
                self.activities = activities;
                // The step follows its activity; if that is gone, back to the waiting screen.
                match self.current().map(|(_, a)| a.spec.rounds().len().max(1)) {
                    Some(rounds) => self.step.round = self.step.round.min(rounds - 1),
                    None => self.step = Step::default(),
                }
                // Answers, projector choices and a countdown go with their activity.
                let open = std::mem::take(&mut self.answering);
                self.answering = open.into_iter().filter(|(id, round)| self.check_round(id, *round).is_ok()).collect();
                let agenda_ids: HashSet<&str> = self.agenda.iter().map(|a| a.id.as_str()).collect();
                self.projector.retain(|id, _| agenda_ids.contains(id.as_str()));
                if self.timer.as_ref().is_some_and(|timer| self.step.activity.as_deref() != Some(&timer.activity)) {
                    self.timer = None;
                }
                self.recount(None);
                Ok(Change::Agenda)
            }
            Event::Removed { participants } => {
                self.ensure_live()?;
                let removed: std::collections::HashSet<ParticipantId> = participants.iter().copied().collect();
                let before = self.participants.len();
                self.participants.retain(|_, participant| !removed.contains(participant));
                // Only participants who never answered are removed: nothing to take out of
                // the tallies, only their place in the attendance.
                if before != self.participants.len() {
                    for participant in &removed {
                        if self.took_part.contains(participant) {
                            continue;
                        }
                        let bucket = self.bucket(*participant);
                        self.attendance[bucket].joined = self.attendance[bucket].joined.saturating_sub(1);
                        self.chosen.remove(participant);
                    }
                }
                self.removed.extend(removed);
                Ok(Change::Joined)
            }
            Event::Joined { participant, token_hash } => {
                self.ensure_live()?;
                if self.participants.insert(token_hash.clone(), *participant).is_none() {
                    let last = self.attendance.len() - 1;
                    self.attendance[last].joined += 1;
                }
                self.last_participant = self.last_participant.max(*participant);
                Ok(Change::Joined)
            }
            Event::Step { activity, round, open, reveal } => {
                self.ensure_live()?;
                if let Some(id) = activity {
                    self.check_round(id, *round)?;
                }
                // Older versions closed answers everywhere else on every step.
                self.answering.clear();
                if let (Some(id), true) = (activity, open) {
                    self.answering.insert(id.clone(), *round);
                }
                self.step = Step { activity: activity.clone(), round: *round, reveal: *reveal, page: None };
                self.timer = None;
                Ok(Change::Step)
            }
            Event::Goto { activity, round } => {
                self.ensure_live()?;
                if let Some(id) = activity {
                    self.check_round(id, *round)?;
                    // One round of an activity at a time: opening "After" closes "Before".
                    self.answering.insert(id.clone(), *round);
                }
                self.step = Step { activity: activity.clone(), round: *round, reveal: false, page: None };
                self.timer = None;
                Ok(Change::Step)
            }
            Event::SetOpen { open } => {
                self.ensure_live()?;
                let (_, current) = self.current().ok_or_else(no_activity_shown)?;
                let id = current.id.clone();
                self.set_open(id, *open);
                Ok(Change::Step)
            }
            Event::Opened { activity, open } => {
                self.ensure_live()?;
                self.activity(activity)?;
                if *open && self.step.activity.as_deref() != Some(activity.as_str()) {
                    return Err(Refusal::new(ErrorCode::NotOpen, "Go to that activity to take answers again."));
                }
                self.set_open(activity.clone(), *open);
                Ok(Change::Step)
            }
            Event::Projector { activity, show } => {
                self.ensure_live()?;
                self.activity(activity)?;
                self.projector.insert(activity.clone(), *show);
                Ok(Change::Step)
            }
            Event::ProjectorPage { page } => {
                self.ensure_live()?;
                self.current().ok_or_else(no_activity_shown)?;
                self.step.page = *page;
                Ok(Change::Step)
            }
            Event::Timer { activity, seconds, ends_at, stop_answers } => {
                self.ensure_live()?;
                if self.step.activity.as_deref() != Some(activity.as_str()) {
                    return Err(Refusal::new(ErrorCode::NotOpen, "A timer runs on the activity on screen."));
                }
                self.timer = ends_at.map(|ends_at| Timer {
                    activity: activity.clone(),
                    seconds: *seconds,
                    ends_at,
                    stop_answers: *stop_answers,
                });
                Ok(Change::Step)
            }
            Event::Reveal { show } => {
                self.ensure_live()?;
                self.current().ok_or_else(no_activity_shown)?;
                self.step.reveal = *show;
                Ok(Change::Step)
            }
            Event::Hidden { activity, item, hidden } => {
                self.ensure_live()?;
                // The agenda and the states are apart: borrowed at once, nothing is copied.
                let found = find(&self.agenda, activity)?;
                let state = self.activities.get_mut(activity).ok_or_else(internal)?;
                state.hide(&found.spec, item, *hidden)?;
                self.recount(Some(activity));
                Ok(Change::Results(activity.clone()))
            }
            Event::Reset { activity } => {
                self.ensure_live()?;
                let (_, found) = self.activity(activity)?;
                let fresh = found.spec.new_state();
                self.activities.insert(activity.clone(), fresh);
                self.recount(Some(activity));
                Ok(Change::Results(activity.clone()))
            }
            Event::Activity(kind_event) => {
                self.ensure_live()?;
                self.check_answerable(event)?;
                if let Some(item) = kind_event.new_item() {
                    self.last_item = self.last_item.max(item);
                }
                self.apply_kind(kind_event, at)
            }
            Event::Closed => {
                self.ensure_live()?;
                self.closed_at = Some(at);
                self.answering.clear();
                self.timer = None;
                Ok(Change::Closed)
            }
            Event::AboutYou { about_you } => {
                self.ensure_live()?;
                if *about_you == self.about_you {
                    return Ok(Change::Agenda);
                }
                self.check_about_you_free()?;
                self.about_you = about_you.clone();
                self.split = None;
                // Booked numbers per group belong to the groups they were typed for.
                let groups_now = self.about_you.as_ref().map(|about| about.groups.len());
                if let Some(booked) = &mut self.booked
                    && booked.groups.as_ref().map(Vec::len) != groups_now
                {
                    booked.groups = None;
                }
                // Nobody has a group yet: everyone who joined is without one.
                let groups = self.about_you.as_ref().map_or(0, |about| about.groups.len());
                self.attendance = vec![Attendance::default(); groups + 1];
                self.attendance[groups] = Attendance { joined: self.joined(), took_part: self.took_part() };
                self.recount(None);
                Ok(Change::Agenda)
            }
            Event::Booked { booked } => {
                booked.check(self.about_you.as_ref())?;
                self.booked = Some(booked.clone());
                Ok(Change::Joined)
            }
            Event::ProjectorGroups { split } => {
                self.ensure_live()?;
                self.check_split(*split)?;
                self.split = *split;
                Ok(Change::Step)
            }
            Event::GroupChosen { participant, group } => {
                self.ensure_live()?;
                self.check_group(*participant, *group)?;
                self.choose(*participant, *group);
                match &self.step.activity {
                    Some(activity) => Ok(Change::Results(activity.clone())),
                    None => Ok(Change::Joined),
                }
            }
            Event::ReportSaved { content, series } => {
                let slot = if *series { &mut self.series_report } else { &mut self.report };
                *slot = Some((**content).clone());
                Ok(Change::Report)
            }
            Event::SummaryPublished { id: Some(id), sections } => {
                if let Some(old) = self.summary.take().filter(|old| &old.id != id) {
                    self.revoked.push(old.id);
                }
                self.summary = Some(Published { id: id.clone(), sections: sections.clone() });
                Ok(Change::Summary)
            }
            Event::SummaryPublished { id: None, .. } => {
                if let Some(old) = self.summary.take() {
                    self.revoked.push(old.id);
                }
                self.summary_qr = false;
                Ok(Change::Summary)
            }
            Event::SummaryQr { show } => {
                self.summary_qr = *show && self.summary.is_some();
                // The step carries it (`summary_qr`).
                Ok(Change::Step)
            }
        }
    }

    // ---- groups -----------------------------------------------------------------------------

    /// The attendance bucket of a participant: their group, or the last for none.
    fn bucket(&self, participant: ParticipantId) -> usize {
        let none = self.attendance.len() - 1;
        match self.chosen.get(&participant) {
            Some(Some(group)) => (*group as usize).min(none),
            _ => none,
        }
    }

    /// A participant's group now, if they chose one.
    pub fn group_of(&self, participant: ParticipantId) -> Option<u32> {
        self.chosen.get(&participant).copied().flatten()
    }

    /// Whether anyone has answered the "About you" question.
    pub fn about_you_answered(&self) -> bool {
        !self.chosen.is_empty()
    }

    fn check_about_you_free(&self) -> Result<(), Refusal> {
        if self.about_you_answered() {
            return Err(Refusal::new(
                ErrorCode::AboutYouInUse,
                "People have already answered the \"About you\" question, so it cannot be changed or removed now: their answers would lose their meaning.",
            ));
        }
        Ok(())
    }

    fn no_about_you() -> Refusal {
        Refusal::new(ErrorCode::NoAboutYou, "This session does not ask who you are.")
    }

    fn check_group(&self, participant: ParticipantId, group: Option<u32>) -> Result<(), Refusal> {
        let about_you = self.about_you.as_ref().ok_or_else(Self::no_about_you)?;
        if group.is_some_and(|group| group as usize >= about_you.groups.len()) {
            return Err(Refusal::new(
                ErrorCode::InvalidGroup,
                "That is not one of the groups. Choose one from the list.",
            ));
        }
        if participant == 0 || participant > self.last_participant || self.removed.contains(&participant) {
            return Err(Refusal::new(ErrorCode::Forbidden, "Join the session first."));
        }
        Ok(())
    }

    fn check_split(&self, split: Option<Split>) -> Result<(), Refusal> {
        let Some(split) = split else { return Ok(()) };
        let about_you = self.about_you.as_ref().ok_or_else(Self::no_about_you)?;
        if let Split::Group(group) = split
            && group as usize >= about_you.groups.len()
        {
            return Err(Refusal::new(ErrorCode::InvalidGroup, "That is not one of the groups."));
        }
        Ok(())
    }

    /// Puts a participant in a group (or none), moving their answers in every activity from
    /// the old group's tallies to the new: O(activities × their answers).
    fn choose(&mut self, participant: ParticipantId, group: Option<u32>) {
        let old = self.group_of(participant);
        let old_bucket = self.bucket(participant);
        self.chosen.insert(participant, group);
        let new_bucket = self.bucket(participant);
        if old_bucket != new_bucket {
            self.attendance[old_bucket].joined = self.attendance[old_bucket].joined.saturating_sub(1);
            self.attendance[new_bucket].joined += 1;
            if self.took_part.contains(&participant) {
                self.attendance[old_bucket].took_part = self.attendance[old_bucket].took_part.saturating_sub(1);
                self.attendance[new_bucket].took_part += 1;
            }
        }
        if old == group {
            return;
        }
        for activity in &self.agenda {
            let (Some(state), Some(tallies)) = (self.activities.get(&activity.id), self.tallies.get_mut(&activity.id))
            else {
                continue;
            };
            if let Some(old) = old {
                state.count(&activity.spec, tallies, old as usize, participant, false);
            }
            if let Some(new) = group {
                state.count(&activity.spec, tallies, new as usize, participant, true);
            }
        }
    }

    /// Counts the groups' tallies of one activity (or all) again from the answers:
    /// O(members × their answers), for the facilitator's changes (an agenda, a merge, a
    /// reset), never per answer.
    fn recount(&mut self, only: Option<&str>) {
        let Some(about_you) = &self.about_you else {
            self.tallies.clear();
            return;
        };
        let groups = about_you.groups.len();
        if only.is_none() {
            self.tallies.clear();
        }
        let mut members: Vec<(ParticipantId, u32)> =
            self.chosen.iter().filter_map(|(participant, group)| Some((*participant, (*group)?))).collect();
        members.sort_unstable();
        for activity in &self.agenda {
            if only.is_some_and(|id| id != activity.id) {
                continue;
            }
            let Some(state) = self.activities.get(&activity.id) else { continue };
            let Some(mut tallies) = state.new_tallies(&activity.spec, groups) else { continue };
            // In participant order: words tied on count rank in the order they were counted,
            // and a replay must rank them as the live session did.
            for (participant, group) in &members {
                state.count(&activity.spec, &mut tallies, *group as usize, *participant, true);
            }
            self.tallies.insert(activity.id.clone(), tallies);
        }
    }

    pub fn propose_about_you(&self, about_you: Option<AboutYou>) -> Result<Event, Refusal> {
        self.ensure_live()?;
        let about_you = match about_you {
            Some(mut about_you) => {
                about_you.normalise()?;
                Some(about_you)
            }
            None => None,
        };
        if about_you != self.about_you {
            self.check_about_you_free()?;
        }
        Ok(Event::AboutYou { about_you })
    }

    pub fn propose_booked(&self, booked: Booked) -> Result<Event, Refusal> {
        booked.check(self.about_you.as_ref())?;
        Ok(Event::Booked { booked })
    }

    pub fn propose_split(&self, split: Option<Split>) -> Result<Event, Refusal> {
        self.ensure_live()?;
        self.check_split(split)?;
        Ok(Event::ProjectorGroups { split })
    }

    /// A participant's answer to "About you" (`None`: prefer not to say).
    pub fn propose_group(&self, participant: ParticipantId, group: Option<i64>) -> Result<Event, Refusal> {
        self.ensure_live()?;
        let group = match group {
            None => None,
            Some(group) => Some(u32::try_from(group).map_err(|_| {
                Refusal::new(ErrorCode::InvalidGroup, "That is not one of the groups. Choose one from the list.")
            })?),
        };
        self.check_group(participant, group)?;
        Ok(Event::GroupChosen { participant, group })
    }

    /// What a participant's phone needs of the "About you" question: the question, their
    /// group now, and whether they have answered it.
    pub fn about_you_for(&self, participant: ParticipantId) -> (Option<AboutYouQuestion>, Option<u32>, bool) {
        let question = self
            .about_you
            .as_ref()
            .map(|about| AboutYouQuestion { prompt: about.prompt.clone(), groups: about.groups.clone() });
        (question, self.group_of(participant), self.chosen.contains_key(&participant))
    }

    /// Moves on whenever the attendance per group changes.
    pub fn attendance_version(&self) -> u64 {
        self.attendance_version
    }

    /// Joined and took part per group (by label), and for those without a group.
    pub fn attendance(&self) -> Option<(IndexMap<String, Attendance>, Attendance)> {
        let about_you = self.about_you.as_ref()?;
        let groups = about_you.groups.iter().cloned().zip(self.attendance.iter().copied()).collect();
        Some((groups, self.attendance.last().copied().unwrap_or_default()))
    }

    /// An activity's results as `view` shows them, with its groups': the console (`public`
    /// false) gets every group's figures and the list of small ones; the projector and
    /// phones get small groups suppressed, and no groups at all unless the facilitator
    /// allows a split; exports (`View::Export`, public) get them suppressed.
    fn grouped(&self, activity: &Activity, state: &ActivityState, view: View, public: bool) -> Option<Results> {
        let total = state.aggregate(&activity.spec, view)?;
        let (Some(about_you), Some(tallies)) = (&self.about_you, self.tallies.get(&activity.id)) else {
            return Some(Results::total(total));
        };
        if public && view == View::Public && self.split.is_none() {
            return Some(Results::total(total));
        }
        let results = state.group_results(&activity.spec, tallies, view);
        let hidden = groups::suppressed_figures(
            about_you.min_group_size,
            &total,
            &state.round_respondents(&activity.spec),
            results.iter().map(|(aggregate, counts)| (aggregate, counts.as_slice())),
        );
        let mut by_group = IndexMap::with_capacity(results.len());
        let mut small = Vec::new();
        for ((label, (aggregate, _)), hidden) in about_you.groups.iter().zip(results).zip(hidden) {
            if hidden {
                small.push(label.clone());
            }
            let figures = if hidden && public {
                GroupFigures::Suppressed(SuppressedMark { suppressed: true })
            } else {
                GroupFigures::Shown(aggregate)
            };
            by_group.insert(label.clone(), figures);
        }
        Some(Results { total, by_group: Some(by_group), small_groups: (!public).then_some(small) })
    }

    /// Applies an event of an activity's kind to that activity.
    fn apply_kind(&mut self, event: &ActivityEvent, at: i64) -> Result<Change, Refusal> {
        let id = event.activity();
        // The agenda and the states are apart: borrowed at once, nothing is copied per answer.
        let found = find(&self.agenda, id)?;
        let state = self.activities.get_mut(id).ok_or_else(internal)?;
        // The participant's part leaves their group's tally before the change and comes
        // back after it, whether or not the change is applied: O(their answers).
        let group = event
            .participant()
            .and_then(|participant| Some((participant, self.chosen.get(&participant).copied().flatten()?)));
        let tallies = self.tallies.get_mut(id);
        let effect = match (group, tallies) {
            (Some((participant, group)), Some(tallies)) => {
                state.count_event(&found.spec, tallies, group as usize, participant, event, false);
                let effect = state.apply(&found.spec, event, at);
                state.count_event(&found.spec, tallies, group as usize, participant, event, true);
                effect
            }
            _ => state.apply(&found.spec, event, at),
        }?;
        if self.about_you.is_some() && (event.participant().is_none() || event.changes_others()) {
            let id = id.to_owned();
            self.recount(Some(&id));
            return Ok(match effect {
                Effect::Results => Change::Results(id),
                Effect::Step => Change::Step,
            });
        }
        match effect {
            Effect::Results => Ok(Change::Results(id.to_owned())),
            Effect::Step => Ok(Change::Step),
        }
    }

    /// Checks that an activity of the agenda has the round `round`.
    fn check_round(&self, id: &str, round: usize) -> Result<(), Refusal> {
        let (_, found) = self.activity(id)?;
        let rounds = found.spec.rounds().len().max(1);
        if round >= rounds {
            return Err(Refusal::new(ErrorCode::UnknownRound, "That round is not part of this activity."));
        }
        Ok(())
    }

    /// Stops or resumes answers to an activity; resuming opens the round on screen and ends
    /// a countdown that had stopped them.
    fn set_open(&mut self, activity: String, open: bool) {
        if open {
            if self.timer.as_ref().is_some_and(|timer| timer.activity == activity) {
                self.timer = None;
            }
            self.answering.insert(activity, self.step.round);
        } else {
            self.answering.remove(&activity);
        }
    }

    // ---- views ------------------------------------------------------------------------------

    pub fn step_view(&self) -> StepView {
        let current = self.current();
        let round = current.and_then(|(_, activity)| activity.spec.rounds().get(self.step.round).cloned());
        let open = current.is_some_and(|(_, activity)| self.is_open(&activity.id, self.step.round));
        let timer = self.timer.as_ref().filter(|timer| self.step.activity.as_deref() == Some(&timer.activity));
        let still_open = self
            .agenda
            .iter()
            .filter(|activity| {
                self.step.activity.as_deref() != Some(activity.id.as_str())
                    && !self.is_closed()
                    && self.answering.contains_key(&activity.id)
            })
            .map(|activity| activity.id.clone())
            .collect();
        StepView {
            activity: current.map(|(_, activity)| activity.clone()),
            round,
            open,
            reveal: current.is_some() && self.step.reveal,
            voting: self.voting(),
            index: current.map(|(index, _)| index as u32),
            total: self.agenda.len() as u32,
            projector: self.projector_shows(),
            page: current.and(self.step.page),
            timer: timer.map(|timer| TimerView {
                seconds: timer.seconds,
                ends_at: timer.ends_at,
                stop_answers: timer.stop_answers,
            }),
            still_open,
            split: self.about_you.as_ref().and(self.split),
            summary_qr: self.summary_url().filter(|_| self.summary_qr),
        }
    }

    /// Whether participants see the current results: when revealed, and on a jam board while
    /// dot voting is on (people vote on the notes they see).
    pub fn results_public(&self) -> bool {
        self.current().is_some() && (self.step.reveal || self.voting())
    }

    /// Whether the activity on screen is a jam board with dot voting on.
    fn voting(&self) -> bool {
        self.current()
            .and_then(|(_, activity)| Some(self.activities.get(&activity.id)?.results_public(&activity.spec)))
            .unwrap_or(false)
    }

    /// The current activity's live results, with or without hidden items.
    pub fn results(&self, include_hidden: bool) -> Option<(String, Results)> {
        let (_, activity) = self.current()?;
        let state = self.activities.get(&activity.id)?;
        let view = if include_hidden { View::Console } else { View::Public };
        Some((activity.id.clone(), self.grouped(activity, state, view, !include_hidden)?))
    }

    /// Every activity's results, in agenda order, for the closing summary (hidden items
    /// marked for the console, left out for the projector).
    pub fn summary(&self, include_hidden: bool) -> Vec<ActivityResults> {
        self.agenda
            .iter()
            .filter_map(|activity| {
                let view = if include_hidden { View::Console } else { View::Public };
                let data = self.grouped(activity, self.activities.get(&activity.id)?, view, !include_hidden)?;
                Some(ActivityResults { activity: activity.clone(), data })
            })
            .collect()
    }

    /// Every activity with its complete results and responses, in agenda order: what
    /// exports are made of.
    pub fn export_parts(&self) -> Vec<(Activity, Aggregate, Vec<Response>)> {
        self.agenda
            .iter()
            .filter_map(|activity| {
                let state = self.activities.get(&activity.id)?;
                let results = state.aggregate(&activity.spec, View::Export)?;
                Some((activity.clone(), results, state.responses(&activity.spec)))
            })
            .collect()
    }

    /// One activity's figures per group for exports, unsuppressed (exports suppress by
    /// [`groups::suppressed`] once series are added up): each group's label, results and
    /// how many of it answered each round; and how many answered each round at all.
    #[allow(clippy::type_complexity, reason = "a plain tuple per group, read by the export module only")]
    pub fn export_groups(&self, activity: &str) -> (Vec<(String, Aggregate, Vec<u32>)>, Vec<u32>) {
        let (Some(about_you), Ok((found, state)), Some(tallies)) =
            (&self.about_you, self.activity_state(activity), self.tallies.get(activity))
        else {
            return (Vec::new(), Vec::new());
        };
        let groups = about_you
            .groups
            .iter()
            .cloned()
            .zip(state.group_results(&found.spec, tallies, View::Export))
            .map(|(label, (results, answered))| (label, results, answered))
            .collect();
        (groups, state.round_respondents(&found.spec))
    }

    /// Checks every activity's group tallies, kept as answers came in, against tallies
    /// counted again from scratch from the answers; the property test and the fuzz target
    /// call it after every change. Word lists are compared as sets, spellings ignoring case
    /// (which tie shows first depends on the order words were counted in).
    #[cfg(any(test, feature = "fuzzing"))]
    pub fn check_group_tallies(&self) -> Result<(), String> {
        let Some(about_you) = &self.about_you else { return Ok(()) };
        for activity in &self.agenda {
            let (Some(state), Some(kept)) = (self.activities.get(&activity.id), self.tallies.get(&activity.id)) else {
                return Err(format!("{}: no tallies", activity.id));
            };
            let Some(mut again) = state.new_tallies(&activity.spec, about_you.groups.len()) else { continue };
            for (participant, group) in &self.chosen {
                if let Some(group) = group {
                    state.count(&activity.spec, &mut again, *group as usize, *participant, true);
                }
            }
            let same = |tallies: &ActivityTallies| {
                state
                    .group_results(&activity.spec, tallies, View::Export)
                    .into_iter()
                    .map(|(results, n)| (comparable(results), n))
                    .collect::<Vec<_>>()
            };
            let (kept, again) = (same(kept), same(&again));
            if kept != again {
                return Err(format!("{}: kept {kept:#?}\ncounted again {again:#?}", activity.id));
            }
        }
        Ok(())
    }

    /// Every participant's group now, by label, for export rows.
    pub fn group_labels(&self) -> HashMap<ParticipantId, String> {
        let Some(about_you) = &self.about_you else { return HashMap::new() };
        self.chosen
            .iter()
            .filter_map(|(participant, group)| Some((*participant, about_you.groups.get((*group)? as usize)?.clone())))
            .collect()
    }

    /// A participant's own saved answers in the current step.
    pub fn mine(&self, participant: ParticipantId) -> Option<Mine> {
        let (_, activity) = self.current()?;
        let state = self.activities.get(&activity.id)?;
        let mut mine = Mine {
            activity: activity.id.clone(),
            round: activity.spec.rounds().get(self.step.round).cloned(),
            ..Mine::default()
        };
        state.mine(&activity.spec, participant, self.step.round, &mut mine);
        Some(mine)
    }
}

/// Results with their word lists in an order that does not depend on the order words were
/// counted in, for comparing tallies.
#[cfg(any(test, feature = "fuzzing"))]
pub fn comparable(mut aggregate: Aggregate) -> Aggregate {
    match &mut aggregate {
        // Which spelling of a word shows ("Families" or "family") is such a tie too: words
        // are compared by what they count as.
        Aggregate::Wordcloud(cloud) => {
            for entry in &mut cloud.entries {
                entry.text = entry.id.clone();
            }
            cloud.entries.sort_by(|a, b| a.id.cmp(&b.id));
        }
        Aggregate::Jamboard(board) => {
            for keyword in &mut board.keywords {
                keyword.text = crate::text::group_key(&keyword.text);
            }
            board.keywords.sort_by(|a, b| a.text.cmp(&b.text));
        }
        _ => {}
    }
    aggregate
}

/// Most pages the projector may be turned to: ten statements or 200 notes never need more.
const MAX_PAGES: u32 = 50;

/// An activity of the agenda by id.
fn find<'a>(agenda: &'a [Activity], id: &str) -> Result<&'a Activity, Refusal> {
    agenda.iter().find(|activity| activity.id == id).ok_or_else(unknown_activity)
}

fn unknown_activity() -> Refusal {
    Refusal::new(ErrorCode::UnknownActivity, "That activity is not on the agenda.")
}

fn internal() -> Refusal {
    Refusal::new(ErrorCode::Internal, "Something went wrong on the server. Please try again.")
}

fn no_activity_shown() -> Refusal {
    Refusal::new(ErrorCode::NotOpen, "Go to an activity first.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::scale::ScaleEvent;
    use crate::activity::{ActivitySpec, Scale, ScaleLabels, WordCloud};

    /// A participant's rating, as the wire sends it.
    fn rate(
        state: &SessionState,
        participant: ParticipantId,
        activity: &str,
        round: Option<&str>,
        statement: u32,
        value: i64,
        item: u32,
    ) -> Result<Event, Refusal> {
        let answer = Answer {
            activity: activity.into(),
            round: round.map(str::to_owned),
            statement: Some(statement),
            value: Some(value),
            ..Answer::default()
        };
        state.propose_answer(participant, &answer, item)
    }

    /// A rating as the journal stores it.
    fn rated(participant: ParticipantId, activity: &str, round: usize, statement: usize, value: i32) -> Event {
        let answer = ScaleEvent::ScaleAnswer { participant, activity: activity.into(), round, statement, value };
        Event::Activity(ActivityEvent::Scale(answer))
    }

    fn session() -> SessionState {
        let record = SessionRecord {
            code: "12345678".into(),
            series: "12345678".into(),
            title: "Training".into(),
            host_key_hash: String::new(),
            present_key_hash: String::new(),
            created_at: 0,
            closed_at: None,
        };
        let scale = Scale {
            title: "Feelings".into(),
            statements: vec!["I understand".into(), "I can".into()],
            min: 1,
            max: 5,
            labels: ScaleLabels::default(),
            rounds: vec!["Before".into(), "After".into()],
        };
        let agenda = vec![Activity { id: "a".into(), spec: ActivitySpec::Scale(scale) }];
        let mut state = SessionState::new(&record);
        let event = state.propose_agenda(agenda, || "x".into()).expect("agenda");
        state.apply(&event, 0).expect("apply agenda");
        state
    }

    /// An answer checked while answers were open, but committed after the facilitator stopped
    /// them, is refused when applied, exactly as replay will refuse it.
    #[test]
    fn an_answer_racing_a_stop_is_refused_at_apply() {
        let mut state = session();
        let step = state.propose_step(Some("a"), None).expect("step");
        state.apply(&step, 1).expect("apply step");
        let answer = rate(&state, 1, "a", Some("Before"), 0, 4, 1).expect("answer");
        let stop = state.propose_open(false).expect("stop");
        state.apply(&stop, 2).expect("apply stop");
        assert_eq!(state.apply(&answer, 3).map_err(|r| r.code), Err(ErrorCode::NotOpen));
        let Some((_, Results { total: Aggregate::Scale(results), .. })) = state.results(true) else {
            panic!("results")
        };
        assert_eq!(results.statements[0].rounds["Before"].n, 0);
    }

    /// Replaying the same events gives the same state, refusals included.
    #[test]
    fn replay_matches_the_live_fold() {
        let mut live = session();
        let record = SessionRecord {
            code: live.code.clone(),
            series: live.series.clone(),
            title: live.title.clone(),
            host_key_hash: String::new(),
            present_key_hash: String::new(),
            created_at: 0,
            closed_at: None,
        };
        let mut events = vec![Event::AgendaReplaced { agenda: live.agenda.clone() }];
        let mut push = |state: &mut SessionState, event: Event| {
            let _ = state.apply(&event, 1);
            events.push(event);
        };
        push(&mut live, Event::Joined { participant: 1, token_hash: "t1".into() });
        push(&mut live, Event::Step { activity: Some("a".into()), round: 1, open: true, reveal: true });
        push(&mut live, rated(1, "a", 1, 1, 5));
        // Refused live (wrong round), and so at replay.
        push(&mut live, rated(1, "a", 0, 0, 2));
        push(&mut live, Event::Closed);
        let replayed = SessionState::replay(&record, events.into_iter().map(|event| (1, event)));
        assert_eq!(replayed.step, live.step);
        assert_eq!(replayed.results(true), live.results(true));
        assert_eq!(replayed.mine(1), live.mine(1));
        assert_eq!(replayed.participant("t1"), Some(1));
        assert!(replayed.is_closed());
        assert_eq!(replayed.mine(1).map(|mine| mine.values), Some(vec![None, Some(5)]));
    }

    fn session_with_cloud() -> SessionState {
        let mut state = session();
        let mut agenda = state.agenda.clone();
        agenda.push(Activity {
            id: "w".into(),
            spec: ActivitySpec::Wordcloud(WordCloud {
                prompt: "A word".into(),
                max_entries: 3,
                profanity_filter: true,
                stop_words: Vec::new(),
            }),
        });
        let event = state.propose_agenda(agenda, || "x".into()).expect("agenda");
        state.apply(&event, 0).expect("apply agenda");
        state
    }

    /// Proposes with `propose` and applies what it proposed.
    fn apply(
        state: &mut SessionState,
        propose: impl Fn(&SessionState) -> Result<Event, Refusal>,
        at: i64,
    ) -> Result<Change, ErrorCode> {
        let event = propose(state).map_err(|r| r.code)?;
        state.apply(&event, at).map_err(|r| r.code)
    }

    /// The race of issue 12: a rating checked while the scale was on screen and committed
    /// after the facilitator moved on is kept, because moving on does not stop answers. A
    /// round change does, and so does "stop answers".
    #[test]
    fn moving_on_keeps_answers_open_until_stopped_or_the_round_changes() {
        let mut state = session_with_cloud();
        apply(&mut state, |s| s.propose_step(Some("a"), None), 1).expect("scale on screen");
        let tapped = rate(&state, 1, "a", Some("Before"), 0, 4, 1).expect("answer");
        apply(&mut state, |s| s.propose_step(Some("w"), None), 2).expect("the cloud on screen");
        assert_eq!(state.apply(&tapped, 3).map(|_| ()), Ok(()), "the tapped answer is kept");
        assert_eq!(state.step_view().still_open, vec!["a".to_owned()]);
        // The phone may finish the scale while the room is on the cloud.
        let late = |s: &SessionState| rate(s, 1, "a", Some("Before"), 1, 2, 2);
        assert_eq!(apply(&mut state, late, 4), Ok(Change::Results("a".into())));
        assert_eq!(state.took_part(), 1);

        // Back to the scale for the After round: Before closes.
        apply(&mut state, |s| s.propose_step(Some("a"), Some("After")), 5).expect("after");
        let before = rate(&state, 2, "a", Some("Before"), 0, 3, 3);
        assert_eq!(before.map(|_| ()).map_err(|r| r.code), Err(ErrorCode::NotOpen));
        assert_eq!(state.step_view().still_open, vec!["w".to_owned()], "the cloud is still open, Before is not");

        // Stopped on screen, then moved on: stays stopped.
        apply(&mut state, |s| s.propose_open(false), 6).expect("stop");
        apply(&mut state, |s| s.propose_step(Some("w"), None), 7).expect("cloud");
        let after = rate(&state, 2, "a", Some("After"), 0, 3, 4);
        let refusal = after.expect_err("stopped");
        assert_eq!(refusal.code, ErrorCode::NotOpen);
        assert_eq!(refusal.message, "Answers to this question have been stopped.");
        let Some((_, Results { total: Aggregate::Wordcloud(_), .. })) = state.results(true) else {
            panic!("the cloud's results")
        };
        let parts = state.export_parts();
        assert_eq!(parts[0].2.len(), 2, "both Before ratings of participant 1, nothing else");
    }

    /// Journals written before the rule replay as they were: their steps closed answers
    /// everywhere else, so an answer refused then is refused again.
    #[test]
    fn old_steps_replay_with_their_old_meaning() {
        let mut state = session_with_cloud();
        let old = |activity: &str| Event::Step { activity: Some(activity.into()), round: 0, open: true, reveal: false };
        state.apply(&old("a"), 1).expect("old step");
        let answer = rated(1, "a", 0, 0, 4);
        state.apply(&old("w"), 2).expect("old step on");
        assert_eq!(state.apply(&answer, 3).map_err(|r| r.code), Err(ErrorCode::NotOpen));
        assert!(state.step_view().still_open.is_empty());
        assert_eq!(state.took_part(), 0);
    }

    /// The projector waits to show a scale's results while answers are open, unless told;
    /// a word cloud shows live; the facilitator's choice sticks to its activity.
    #[test]
    fn the_projector_shows_results_when_the_facilitator_chooses() {
        let mut state = session_with_cloud();
        apply(&mut state, |s| s.propose_step(Some("a"), None), 1).expect("scale");
        assert!(!state.step_view().projector, "hidden while answers are open");
        apply(&mut state, |s| s.propose_open(false), 2).expect("stop");
        assert!(state.step_view().projector, "shown once answers stop");
        apply(&mut state, |s| s.propose_projector(false), 3).expect("hide");
        assert!(!state.step_view().projector, "the facilitator's choice wins");
        apply(&mut state, |s| s.propose_step(Some("w"), None), 4).expect("cloud");
        assert!(state.step_view().projector, "a cloud is live by default");
        apply(&mut state, |s| s.propose_step(Some("a"), None), 5).expect("scale again");
        assert!(!state.step_view().projector, "the choice stays with its activity");
        assert_eq!(apply(&mut state, |s| s.propose_page(Some(2)), 6), Ok(Change::Step));
        assert_eq!(state.step_view().page, Some(2));
        apply(&mut state, |s| s.propose_step(Some("w"), None), 7).expect("cloud");
        assert_eq!(state.step_view().page, None, "a new step turns pages by itself again");
    }

    /// A countdown: 1 to 30 minutes, on the activity on screen; a goto ends it; when it
    /// stops answers, the session knows when.
    #[test]
    fn timers_run_on_the_activity_on_screen() {
        let mut state = session_with_cloud();
        assert_eq!(state.propose_timer(Some(300), true, 0).map_err(|r| r.code), Err(ErrorCode::NotOpen));
        apply(&mut state, |s| s.propose_step(Some("a"), None), 1).expect("scale");
        assert_eq!(state.propose_timer(Some(59), true, 0).map_err(|r| r.code), Err(ErrorCode::OutOfRange));
        assert_eq!(state.propose_timer(Some(1801), true, 0).map_err(|r| r.code), Err(ErrorCode::OutOfRange));
        apply(&mut state, |s| s.propose_timer(Some(300), true, 1_000), 2).expect("timer");
        let timer = state.step_view().timer.expect("a timer");
        assert_eq!((timer.seconds, timer.ends_at, timer.stop_answers), (300, 301_000, true));
        assert_eq!(state.timer_stops_answers_at(), Some(("a".into(), 301_000)));
        apply(&mut state, |s| s.propose_timer(None, false, 2_000), 3).expect("cancel");
        assert_eq!(state.step_view().timer, None);
        apply(&mut state, |s| s.propose_timer(Some(60), false, 3_000), 4).expect("timer");
        assert_eq!(state.timer_stops_answers_at(), None, "this one does not stop answers");
        apply(&mut state, |s| s.propose_step(Some("w"), None), 5).expect("cloud");
        assert_eq!(state.step_view().timer, None, "moving on ends the countdown");
    }

    /// Removing the activity on screen sends everyone back to the waiting screen.
    #[test]
    fn removing_the_current_activity_returns_to_the_waiting_screen() {
        let mut state = session();
        let step = state.propose_step(Some("a"), Some("After")).expect("step");
        state.apply(&step, 1).expect("apply step");
        let event = state.propose_agenda(Vec::new(), || "x".into()).expect("empty agenda");
        state.apply(&event, 2).expect("apply agenda");
        assert_eq!(state.step_view().activity, None);
        assert!(!state.step_view().open);
    }

    /// An agenda of every kind, from the wire's JSON.
    fn every_kind() -> Vec<Activity> {
        serde_json::from_value(serde_json::json!([
            {"id": "s", "kind": "scale", "statements": ["I understand", "I can"], "min": 1, "max": 5, "rounds": ["Before", "After"]},
            {"id": "c", "kind": "choice", "title": "Which?", "options": ["A", "B", "C"], "max_choices": 2, "rounds": ["Before", "After"]},
            {"id": "r", "kind": "ranking", "title": "Order", "items": ["A", "B", "C"], "rounds": []},
            {"id": "p", "kind": "points", "title": "Spend", "items": ["A", "B", "C"], "budget": 10, "rounds": []},
            {"id": "w", "kind": "wordcloud", "prompt": "A word", "max_entries": 3},
            {"id": "j", "kind": "jamboard", "title": "Board", "frames": ["One", "Two"], "notes_per_participant": 4}
        ]))
        .expect("agenda")
    }

    fn event(value: serde_json::Value) -> Event {
        serde_json::from_value(value).expect("an event")
    }

    /// Every group's results, as the console gets them, by activity and group label.
    fn by_group(state: &SessionState) -> Vec<(String, String, Aggregate)> {
        let mut out = Vec::new();
        for results in state.summary(true) {
            for (label, figures) in results.data.by_group.into_iter().flatten() {
                let GroupFigures::Shown(aggregate) = figures else { panic!("the console sees every group") };
                out.push((results.activity.id.clone(), label, normalised(aggregate)));
            }
        }
        out
    }

    /// Ties in a word list fall in the order words were first counted, which moving people
    /// between tallies changes: compare word lists as sets, spellings ignoring case.
    fn normalised(aggregate: Aggregate) -> Aggregate {
        comparable(aggregate)
    }

    /// Each kind's tallies per group, kept as answers come in and moved when people change
    /// group, are what counting each group's members' answers from scratch gives: a session
    /// replayed with only that group's answers.
    #[test]
    fn every_kinds_group_tallies_match_a_recount_from_scratch() {
        let labels = ["Parent carer", "Young person", "Professional"];
        let mut seed = 0x5eed_u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut events = vec![
            Event::AgendaReplaced { agenda: every_kind() },
            event(
                serde_json::json!({"type": "about_you", "about_you": {"prompt": "I am a…", "groups": labels, "min_group_size": 3}}),
            ),
        ];
        for activity in ["s", "c", "r", "p", "w", "j"] {
            events.push(Event::Goto { activity: Some(activity.into()), round: 0 });
        }
        let people = 24u32;
        for participant in 1..=people {
            events.push(Event::Joined { participant, token_hash: format!("t{participant}") });
        }
        let mut note = 1000;
        for step in 0..1500u64 {
            let participant = next(u64::from(people)) as u32 + 1;
            let value = match next(10) {
                0 => {
                    let group = next(4);
                    serde_json::json!({"type": "group_chosen", "participant": participant, "group": (group < 3).then_some(group)})
                }
                1 => {
                    serde_json::json!({"type": "scale_answer", "participant": participant, "activity": "s", "round": next(2), "statement": next(2), "value": next(5) + 1})
                }
                2 => {
                    let mut choices = vec![next(3) as u32];
                    if next(2) == 0 && choices[0] != 2 {
                        choices.push(2);
                    }
                    serde_json::json!({"type": "choice_answer", "participant": participant, "activity": "c", "round": next(2), "choices": choices})
                }
                3 => {
                    let orders = [[0, 1, 2], [2, 1, 0], [1, 0, 2], [0, 2, 1]];
                    serde_json::json!({"type": "ranking_answer", "participant": participant, "activity": "r", "round": 0, "order": orders[next(4) as usize]})
                }
                4 => {
                    serde_json::json!({"type": "points_answer", "participant": participant, "activity": "p", "round": 0, "points": [next(4), next(4), next(3)]})
                }
                5 => {
                    note += 1;
                    let words = ["families", "trust", "time", "care", "voice", "respect"];
                    serde_json::json!({"type": "word_entry", "participant": participant, "activity": "w", "entry": note, "text": words[next(6) as usize]})
                }
                6 => {
                    serde_json::json!({"type": "entry_deleted", "participant": participant, "activity": "w", "entry": 1001 + next(note - 999)})
                }
                7 => {
                    note += 1;
                    let texts = ["More short breaks", "Clear letters", "Listen to families", "Short breaks please"];
                    serde_json::json!({"type": "note_added", "participant": participant, "activity": "j", "note": note, "frame": next(2), "text": texts[next(4) as usize], "color": "yellow"})
                }
                8 => {
                    serde_json::json!({"type": "note_deleted", "participant": participant, "activity": "j", "note": 1001 + next(note - 999)})
                }
                _ => match next(3) {
                    // The facilitator moves the scale and the choice on to "After" and back.
                    0 => {
                        serde_json::json!({"type": "goto", "activity": (["s", "c"][next(2) as usize]), "round": next(2)})
                    }
                    1 => serde_json::json!({"type": "reset", "activity": (["s", "w"][next(2) as usize])}),
                    _ => {
                        serde_json::json!({"type": "goto", "activity": (["r", "p", "w", "j"][next(4) as usize]), "round": 0})
                    }
                },
            };
            events.push(event(value));

            if step % 300 != 299 {
                continue;
            }
            let live = SessionState::replay(&record(), events.iter().cloned().map(|event| (1, event)));
            for (g, label) in labels.iter().enumerate() {
                let members: HashSet<ParticipantId> =
                    (1..=people).filter(|p| live.group_of(*p) == Some(g as u32)).collect();
                let only_members = events.iter().filter(|event| match event {
                    Event::GroupChosen { .. } => false,
                    Event::Activity(kind) => kind.participant().is_none_or(|p| members.contains(&p)),
                    _ => true,
                });
                let mut recount = SessionState::replay(&record(), only_members.cloned().map(|event| (1, event)));
                recount.about_you = None;
                for results in recount.summary(true) {
                    let group = by_group(&live)
                        .into_iter()
                        .find(|(activity, group, _)| *activity == results.activity.id && group == label)
                        .map(|(_, _, aggregate)| aggregate);
                    assert_eq!(
                        group,
                        Some(normalised(results.data.total)),
                        "{} for {label} after {} events",
                        results.activity.id,
                        events.len()
                    );
                }
            }
        }
        let live = SessionState::replay(&record(), events.iter().cloned().map(|event| (1, event)));
        let (groups, not_said) = live.attendance().expect("attendance");
        let joined: u32 = groups.values().map(|a| a.joined).sum::<u32>() + not_said.joined;
        assert_eq!(joined, people);
        assert_eq!(groups.values().map(|a| a.took_part).sum::<u32>() + not_said.took_part, live.took_part());
    }

    fn record() -> SessionRecord {
        SessionRecord {
            code: "12345678".into(),
            series: "12345678".into(),
            title: "Training".into(),
            host_key_hash: String::new(),
            present_key_hash: String::new(),
            created_at: 0,
            closed_at: None,
        }
    }

    /// The console sees every group's figures and which are small; the projector and phones
    /// see small groups suppressed, and no groups at all until the facilitator allows a
    /// split; a group answer is refused without the question, or out of range; the question
    /// cannot change once answered.
    #[test]
    fn small_groups_are_suppressed_on_public_screens_only() {
        let mut state = SessionState::new(&record());
        let apply =
            |state: &mut SessionState, value: serde_json::Value| state.apply(&event(value), 1).map_err(|r| r.code);
        state.apply(&Event::AgendaReplaced { agenda: every_kind() }, 0).expect("agenda");
        for participant in 1..=12 {
            state.apply(&Event::Joined { participant, token_hash: format!("t{participant}") }, 0).expect("join");
        }
        assert_eq!(state.propose_group(1, Some(0)).map_err(|r| r.code), Err(ErrorCode::NoAboutYou));
        let about = serde_json::json!({"prompt": "I am a…", "groups": ["A", "B", "C"], "min_group_size": 3});
        assert_eq!(apply(&mut state, serde_json::json!({"type": "about_you", "about_you": about})), Ok(Change::Agenda));
        assert_eq!(state.propose_group(1, Some(3)).map_err(|r| r.code), Err(ErrorCode::InvalidGroup));
        assert_eq!(state.propose_group(1, Some(-1)).map_err(|r| r.code), Err(ErrorCode::InvalidGroup));
        // A: 1–6, B: 7–8, C: nobody; 9–12 prefer not to say.
        for participant in 1..=12u32 {
            let group = match participant {
                1..=6 => Some(0),
                7..=8 => Some(1),
                _ => None,
            };
            let event = state.propose_group(participant, group).expect("group");
            state.apply(&event, 1).expect("chosen");
        }
        assert_eq!(state.propose_about_you(None).map_err(|r| r.code), Err(ErrorCode::AboutYouInUse));
        assert!(state.propose_about_you(state.about_you.clone()).is_ok(), "the same question is no change");
        apply(&mut state, serde_json::json!({"type": "goto", "activity": "c", "round": 0})).expect("goto");
        for participant in 1..=9u32 {
            let answer = serde_json::json!({"type": "choice_answer", "participant": participant, "activity": "c", "round": 0, "choices": [participant % 3]});
            apply(&mut state, answer).expect("answer");
        }
        let (_, console) = state.results(true).expect("console");
        let by_group = console.by_group.expect("by group");
        assert!(matches!(by_group["B"], GroupFigures::Shown(Aggregate::Choice(ref c)) if c.rounds["Before"].n == 2));
        assert_eq!(console.small_groups, Some(vec!["B".to_owned()]), "2 of B answered, and 1 who did not say: 3");
        let (_, public) = state.results(false).expect("public");
        assert_eq!(public.by_group, None, "no split allowed yet");
        apply(&mut state, serde_json::json!({"type": "projector_groups", "split": "side_by_side"})).expect("split");
        assert_eq!(state.step_view().split, Some(Split::Named(groups::SplitName::SideBySide)));
        let (_, public) = state.results(false).expect("public");
        let by_group = public.by_group.expect("by group");
        assert_eq!(by_group["B"], GroupFigures::Suppressed(SuppressedMark { suppressed: true }));
        assert!(matches!(by_group["A"], GroupFigures::Shown(_)));
        assert!(matches!(by_group["C"], GroupFigures::Shown(Aggregate::Choice(ref c)) if c.rounds["Before"].n == 0));
        assert_eq!(public.small_groups, None);
        // Participant 7 moves to A, answers and all: B has 1 answer left and 1 did not say, so
        // the total less A (9 − 7 = 2) would give those two away: A is suppressed too.
        let event = state.propose_group(7, Some(0)).expect("move");
        state.apply(&event, 2).expect("moved");
        let (_, console) = state.results(true).expect("console");
        let Some(GroupFigures::Shown(Aggregate::Choice(a))) = console.by_group.as_ref().map(|g| g["A"].clone()) else {
            panic!("A")
        };
        assert_eq!(a.rounds["Before"].n, 7, "7's answer moved with them");
        assert_eq!(
            console.small_groups,
            Some(vec!["A".to_owned(), "B".to_owned()]),
            "the total less A would be B's one and the one not said"
        );
        let (groups, not_said) = state.attendance().expect("attendance");
        assert_eq!((groups["A"].joined, groups["A"].took_part, groups["B"].joined, groups["C"].joined), (7, 7, 1, 0));
        assert_eq!((not_said.joined, not_said.took_part), (4, 1));
    }
}
