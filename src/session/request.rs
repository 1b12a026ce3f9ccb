//! What participants and the facilitator ask of a session, and how a request resent after
//! its `ack` was lost is recognised.
//!
//! Session-level requests (moving the screen, stopping answers, a countdown, …) are named
//! here; a kind's own requests are the kind's ([`ActivityRequest`], [`ActivityControl`]),
//! and a participant's `answer` is read by the kind of the activity it is for.

use std::collections::{HashMap, VecDeque};

use super::state::SessionState;
use crate::activity::{ActivityControl, ActivityRequest, Answer};
use crate::error::{ErrorCode, Refusal};
use crate::journal::{Event, now_ms};
use crate::protocol::{ClientMessage, ParticipantId, RequestId};
use crate::report::summary;

/// Facilitator controls.
#[derive(Debug, Clone)]
pub enum Control {
    Goto {
        activity: Option<String>,
        round: Option<String>,
    },
    SetOpen(bool),
    Reveal(bool),
    ShowOnProjector(bool),
    ProjectorPage(Option<u32>),
    Timer {
        seconds: Option<u32>,
        stop_answers: bool,
    },
    Hide {
        activity: String,
        item: String,
        hidden: bool,
    },
    Reset {
        activity: String,
    },
    Close,
    RemoveSilent,
    /// What the projector may show of the groups.
    ProjectorGroups(Option<crate::session::groups::Split>),
    /// Set, change or remove the "About you" question (HTTP, with the agenda).
    AboutYou(Option<crate::session::groups::AboutYou>),
    /// The booked numbers (HTTP).
    Booked(crate::session::groups::Booked),
    /// Save the report's content (checked already), the session's or the series'.
    Report {
        content: Box<crate::report::content::ReportContent>,
        series: bool,
    },
    /// Publish "what we heard" with these sections; `new_id` is its address if it is not
    /// published already.
    Publish {
        sections: Vec<String>,
        new_id: String,
    },
    /// Revoke "what we heard".
    Revoke,
    /// Show or hide the QR code of "what we heard" on the projector.
    SummaryQr(bool),
    /// A control of the activity's kind (a word cloud's merge, a board's moves and themes…).
    Kind(ActivityControl),
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
            ClientMessage::Reset { id, activity } => (id, Self::Reset { activity }),
            ClientMessage::CloseSession { id } => (id, Self::Close),
            ClientMessage::RemoveSilent { id } => (id, Self::RemoveSilent),
            ClientMessage::ProjectorGroups { id, split } => (id, Self::ProjectorGroups(split)),
            ClientMessage::ShowSummaryQr { id, show } => (id, Self::SummaryQr(show)),
            message => {
                let (id, control) = ActivityControl::from_message(message).ok()?;
                (id, Self::Kind(control))
            }
        })
    }

    /// The event this control asks for, checked against `state`; a new item (a theme) gets
    /// the number `item`.
    pub fn proposal(&self, state: &SessionState, item: u32) -> Result<Event, Refusal> {
        match self {
            Self::Goto { activity, round } => state.propose_step(activity.as_deref(), round.as_deref()),
            Self::SetOpen(open) => state.propose_open(*open),
            Self::Reveal(show) => state.propose_reveal(*show),
            Self::ShowOnProjector(show) => state.propose_projector(*show),
            Self::ProjectorPage(page) => state.propose_page(*page),
            Self::Timer { seconds, stop_answers } => state.propose_timer(*seconds, *stop_answers, now_ms()),
            Self::Hide { activity, item, hidden } => state.propose_hide(activity, item, *hidden),
            Self::Reset { activity } => state.propose_reset(activity),
            Self::Close => state.propose_close(),
            Self::RemoveSilent => state.propose_remove_silent(),
            Self::ProjectorGroups(split) => state.propose_split(*split),
            Self::AboutYou(about_you) => state.propose_about_you(about_you.clone()),
            Self::Booked(booked) => state.propose_booked(booked.clone()),
            // The report and "what we heard" (issue 15) are checked in `report::summary`.
            Self::Report { content, series } => Ok(summary::propose_report(content, *series)),
            Self::Publish { sections, new_id } => summary::propose_publish(state, sections, new_id.clone()),
            Self::Revoke => summary::propose_revoke(state),
            Self::SummaryQr(show) => summary::propose_qr(state, *show),
            Self::Kind(control) => state.propose_control(control, item),
        }
    }
}

/// What a participant asks of the session.
#[derive(Debug, Clone)]
pub enum Request {
    /// An answer, read by the activity's kind.
    Answer(Answer),
    /// A request of the activity's kind (deleting an entry, posting a note, a dot…).
    Kind(ActivityRequest),
    /// The answer to "About you": a group's index, or `None` for "prefer not to say".
    Group(Option<i64>),
}

impl Request {
    /// The request a participant's message makes, with its id; `None` for a message that is
    /// not a participant's.
    pub fn from_message(message: ClientMessage) -> Option<(RequestId, Self)> {
        match message {
            ClientMessage::Answer { id, activity, round, statement, value, text, choices, order, points } => {
                Some((id, Self::Answer(Answer { activity, round, statement, value, text, choices, order, points })))
            }
            ClientMessage::Group { id, group } => Some((id, Self::Group(group))),
            message => ActivityRequest::from_message(message).ok().map(|(id, request)| (id, Self::Kind(request))),
        }
    }

    /// Whether the phone needs its own answers again once this is acknowledged: a new entry
    /// or note gets an id the phone does not know yet, and a deletion or dot changes a list
    /// it shows. An answer without text (a rating, a choice) the phone already knows.
    pub fn refreshes_mine(&self) -> bool {
        !matches!(self, Self::Answer(answer) if answer.text.is_none()) && !matches!(self, Self::Group(_))
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
            Self::Answer(answer) => state.propose_answer(participant, answer, item),
            Self::Kind(request) => state.propose_request(participant, request, item),
            Self::Group(group) => state.propose_group(participant, *group),
        }
    }
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
            Request::Answer(Answer { activity, round, statement, value, text, choices, order, points }) => {
                hasher.tag(1).text(activity).option(round.as_deref(), RequestHasher::text);
                hasher.option(*statement, |h, statement| h.number(statement.into()));
                hasher.option(*value, |h, value| h.number(value as u64));
                hasher.option(text.as_deref(), RequestHasher::text);
                // Later kinds' fields follow only when sent, so the answers of the first
                // kinds keep the fingerprints they were stored with.
                if choices.is_some() || order.is_some() || points.is_some() {
                    hasher.tag(7);
                    for list in [choices, order, points] {
                        hasher.option(list.as_deref(), RequestHasher::numbers);
                    }
                }
            }
            Request::Kind(request) => request.fingerprint(&mut hasher),
            Request::Group(group) => {
                hasher.tag(8).option(*group, |h, group| h.number(group as u64));
            }
        }
        hasher.finish() | CURRENT_KIND
    }

    /// The fingerprint of older versions: SHA-256 over `"{id}:{request:?}"`, top bit clear.
    /// Only ever compared with fingerprints stored by them.
    pub fn legacy_fingerprint(id: RequestId, request: &Request) -> u64 {
        use sha2::{Digest, Sha256};
        let shown = match request {
            Request::Answer(answer) => format!("{:?}", legacy::Answer::from(answer)),
            Request::Kind(request) => format!("{request:?}"),
            Request::Group(group) => format!("Group({group:?})"),
        };
        let digest = Sha256::digest(format!("{id}:{shown}").as_bytes());
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
pub struct RequestHasher(sha2::Sha256);

impl RequestHasher {
    fn new(id: RequestId) -> Self {
        use sha2::Digest;
        let mut hasher = sha2::Sha256::new();
        hasher.update(b"chorus request 2\0");
        hasher.update(id.to_le_bytes());
        Self(hasher)
    }

    pub fn tag(&mut self, tag: u8) -> &mut Self {
        sha2::Digest::update(&mut self.0, [tag]);
        self
    }

    pub fn number(&mut self, number: u64) -> &mut Self {
        sha2::Digest::update(&mut self.0, number.to_le_bytes());
        self
    }

    pub fn text(&mut self, text: &str) -> &mut Self {
        self.number(text.len() as u64);
        sha2::Digest::update(&mut self.0, text.as_bytes());
        self
    }

    /// A list of numbers as sent (each as its 64-bit pattern), its length first.
    pub fn numbers(&mut self, numbers: &[f64]) -> &mut Self {
        self.number(numbers.len() as u64);
        for number in numbers {
            self.number(number.to_bits());
        }
        self
    }

    pub fn option<T>(&mut self, value: Option<T>, feed: impl FnOnce(&mut Self, T) -> &mut Self) -> &mut Self {
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

/// How older versions showed a request before hashing it (`Debug`): an answer had only the
/// first kinds' fields. Kinds' requests keep the names and fields they had, so their `Debug`
/// is still what it was.
mod legacy {
    #[derive(Debug)]
    pub struct Answer<'a> {
        #[allow(dead_code)]
        activity: &'a String,
        #[allow(dead_code)]
        round: &'a Option<String>,
        #[allow(dead_code)]
        statement: &'a Option<u32>,
        #[allow(dead_code)]
        value: &'a Option<i64>,
        #[allow(dead_code)]
        text: &'a Option<String>,
    }

    impl<'a> From<&'a crate::activity::Answer> for Answer<'a> {
        fn from(answer: &'a crate::activity::Answer) -> Self {
            Self {
                activity: &answer.activity,
                round: &answer.round,
                statement: &answer.statement,
                value: &answer.value,
                text: &answer.text,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::jamboard::{Color, JamboardRequest};

    fn answer(value: i64) -> Request {
        Request::Answer(Answer {
            activity: "a1".to_owned(),
            round: Some("Before".to_owned()),
            statement: Some(3),
            value: Some(value),
            ..Answer::default()
        })
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
        let note = |text: &str, color| {
            Request::Kind(ActivityRequest::Jamboard(JamboardRequest::NoteAdd {
                activity: "b".to_owned(),
                frame: 1,
                text: text.to_owned(),
                color,
            }))
        };
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
