//! The wire contract: every message that crosses a WebSocket and every body of the HTTP API.
//!
//! These types are the single source of truth for the protocol. The web client's
//! `web/src/lib/protocol.ts` is generated from them (see `tests/protocol_ts.rs`), so a change
//! here that is not regenerated fails the test suite. `docs/protocol.md` explains them in prose.
//!
//! Names are snake_case on the wire. Requests that change something carry a client-chosen
//! `id`, echoed in the `ack` or `error` that answers them.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::activity::jamboard::{Color, OwnNote};
use crate::activity::wordcloud::OwnEntry;
use crate::activity::{Activity, Aggregate};
use crate::error::ErrorCode;
use crate::session::groups::{AboutYou, Attendance, Booked, ByGroup, Split};

/// Version of the wire contract, sent in every welcome. Bumped on incompatible changes.
pub const PROTOCOL_VERSION: u32 = 1;

/// A client-chosen request id, echoed in the `ack` or `error` that answers the request.
pub type RequestId = u64;

/// A participant's pseudonym within one session (1, 2, 3, …). Never the token.
pub type ParticipantId = u32;

/// Messages a client sends over the WebSocket.
///
/// The first message of a connection must be `join`, `host` or `present`; it fixes the
/// connection's role for its lifetime.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// A participant joins, or resumes with the token from an earlier `welcome`.
    Join {
        code: String,
        #[serde(default)]
        #[ts(optional = nullable)]
        token: Option<String>,
    },
    /// The facilitator's console, with the host key.
    Host { code: String, key: String },
    /// The projector, with the presenter key (the host key works too).
    Present { code: String, key: String },
    /// Facilitator: show an activity (or the waiting screen when `activity` is null).
    /// `round` names a scale round; it defaults to the first round.
    Goto {
        #[ts(type = "number")]
        id: RequestId,
        activity: Option<String>,
        #[serde(default)]
        #[ts(optional = nullable)]
        round: Option<String>,
    },
    /// Facilitator: stop or resume accepting answers on the current step.
    SetOpen {
        #[ts(type = "number")]
        id: RequestId,
        open: bool,
    },
    /// Facilitator: show or hide the live results on participants' phones.
    Reveal {
        #[ts(type = "number")]
        id: RequestId,
        show: bool,
    },
    /// Facilitator: hide or show an item on every screen (a word-cloud group, by its id).
    Hide {
        #[ts(type = "number")]
        id: RequestId,
        activity: String,
        item: String,
        hidden: bool,
    },
    /// Facilitator: count one word-cloud group as part of another from now on.
    Merge {
        #[ts(type = "number")]
        id: RequestId,
        activity: String,
        from: String,
        into: String,
    },
    /// Facilitator: empty an activity's results (they stay in the journal).
    Reset {
        #[ts(type = "number")]
        id: RequestId,
        activity: String,
    },
    /// Facilitator: close the session. No more answers; every screen is told.
    CloseSession {
        #[ts(type = "number")]
        id: RequestId,
    },
    /// Facilitator: remove every participant who has not answered anything yet (a flood of
    /// joins, phones that left): their places are free again, their tokens no longer resume.
    RemoveSilent {
        #[ts(type = "number")]
        id: RequestId,
    },
    /// Facilitator: show (or hide) the QR code of "what we heard" on the projector, with its
    /// address; refused with `not_open` while it is not published. `StepView.summary_qr`
    /// carries it.
    ShowSummaryQr {
        #[ts(type = "number")]
        id: RequestId,
        show: bool,
    },
    /// Participant: an answer to the current step. A scale answer names `round`, `statement`
    /// (0-based) and `value`; a later answer to the same statement and round replaces it.
    /// A word-cloud answer has `text`: 1–3 words, at most 40 characters.
    Answer {
        #[ts(type = "number")]
        id: RequestId,
        activity: String,
        #[serde(default)]
        #[ts(optional = nullable)]
        round: Option<String>,
        #[serde(default)]
        #[ts(optional = nullable)]
        statement: Option<u32>,
        #[serde(default)]
        #[ts(optional = nullable)]
        value: Option<i64>,
        #[serde(default)]
        #[ts(optional = nullable)]
        text: Option<String>,
        /// Multiple choice: the chosen options' indices.
        #[serde(default)]
        #[ts(optional = nullable)]
        choices: Option<Vec<f64>>,
        /// Ranking: every item's index, first = top.
        #[serde(default)]
        #[ts(optional = nullable)]
        order: Option<Vec<f64>>,
        /// Points: one whole number per item, adding up to at most the budget.
        #[serde(default)]
        #[ts(optional = nullable)]
        points: Option<Vec<f64>>,
    },
    /// Participant: delete one of their own word-cloud entries (its id from `mine`).
    EntryDelete {
        #[ts(type = "number")]
        id: RequestId,
        activity: String,
        #[serde(with = "item_id")]
        #[ts(type = "string")]
        entry: u32,
    },
    /// Participant: post a sticky note in a frame (0-based) of a jam board.
    NoteAdd {
        #[ts(type = "number")]
        id: RequestId,
        activity: String,
        frame: u32,
        text: String,
        color: Color,
    },
    /// Participant: change the text (and, optionally, the colour) of their own note.
    NoteEdit {
        #[ts(type = "number")]
        id: RequestId,
        activity: String,
        #[serde(with = "item_id")]
        #[ts(type = "string")]
        note: u32,
        text: String,
        #[serde(default)]
        #[ts(optional = nullable)]
        color: Option<Color>,
    },
    /// Participant: delete their own note.
    NoteDelete {
        #[ts(type = "number")]
        id: RequestId,
        activity: String,
        #[serde(with = "item_id")]
        #[ts(type = "string")]
        note: u32,
    },
    /// Participant: put a dot on a note (`add: true`) or take one back.
    Dot {
        #[ts(type = "number")]
        id: RequestId,
        activity: String,
        #[serde(with = "item_id")]
        #[ts(type = "string")]
        note: u32,
        add: bool,
    },
    /// Facilitator: place a note within its frame (`x`, `y` from 0 to 1), or in another frame.
    Move {
        #[ts(type = "number")]
        id: RequestId,
        activity: String,
        #[serde(with = "item_id")]
        #[ts(type = "string")]
        note: u32,
        #[serde(default)]
        #[ts(optional = nullable)]
        frame: Option<u32>,
        x: f32,
        y: f32,
    },
    /// Facilitator: create a theme (`theme` null) or rename one.
    Theme {
        #[ts(type = "number")]
        id: RequestId,
        activity: String,
        #[serde(default)]
        #[ts(optional = nullable)]
        theme: Option<u32>,
        name: String,
    },
    /// Facilitator: put a note in a theme, or take it out (`theme` null).
    NoteTheme {
        #[ts(type = "number")]
        id: RequestId,
        activity: String,
        #[serde(with = "item_id")]
        #[ts(type = "string")]
        note: u32,
        theme: Option<u32>,
    },
    /// Facilitator: show the current activity's results on the projector, or hide them there.
    /// Separate from `reveal` (the phones). Until the facilitator chooses, a scale's results are
    /// hidden on the projector while its answers are open, and other kinds' are shown.
    ShowOnProjector {
        #[ts(type = "number")]
        id: RequestId,
        show: bool,
    },
    /// Facilitator: turn the projector's results to a page (0-based), when they do not fit on
    /// one; null lets the pages turn by themselves.
    ProjectorPage {
        #[ts(type = "number")]
        id: RequestId,
        page: Option<u32>,
    },
    /// Facilitator: start a countdown on the current activity (60–1800 seconds), or cancel it
    /// (`seconds` null). With `stop_answers`, answers to the activity stop at zero.
    Timer {
        #[ts(type = "number")]
        id: RequestId,
        seconds: Option<u32>,
        #[serde(default)]
        stop_answers: bool,
    },
    /// Facilitator: lock the board (participants cannot add, edit or delete notes) or unlock it.
    Lock {
        #[ts(type = "number")]
        id: RequestId,
        activity: String,
        locked: bool,
    },
    /// Facilitator: switch dot voting on or off.
    Voting {
        #[ts(type = "number")]
        id: RequestId,
        activity: String,
        open: bool,
    },
    /// Participant: the answer to the "About you" question: a group's index, or null for
    /// "prefer not to say". The participant's answers count for the group they are in now.
    Group {
        #[ts(type = "number")]
        id: RequestId,
        #[ts(type = "number | null")]
        group: Option<i64>,
    },
    /// Facilitator: what the projector may show of the groups: null (everyone only, the
    /// default), `"side_by_side"` (every group beside the total) or one group's index.
    ProjectorGroups {
        #[ts(type = "number")]
        id: RequestId,
        split: Option<Split>,
    },
}

/// Item ids (word-cloud entries, notes) are strings on the wire, numbers inside. Numbers are
/// read too, for clients that send them.
pub mod item_id {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(id: &u32, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(id)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u32),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Number(id) => Ok(id),
            Raw::Text(text) => text.parse().map_err(|_| D::Error::custom("an item id is a number, as a string")),
        }
    }
}

impl ClientMessage {
    /// The request id, for messages that carry one.
    pub fn id(&self) -> Option<RequestId> {
        match self {
            Self::Join { .. } | Self::Host { .. } | Self::Present { .. } => None,
            Self::Goto { id, .. }
            | Self::SetOpen { id, .. }
            | Self::Reveal { id, .. }
            | Self::CloseSession { id }
            | Self::RemoveSilent { id }
            | Self::ShowSummaryQr { id, .. }
            | Self::Hide { id, .. }
            | Self::Merge { id, .. }
            | Self::Reset { id, .. }
            | Self::Answer { id, .. }
            | Self::EntryDelete { id, .. }
            | Self::NoteAdd { id, .. }
            | Self::NoteEdit { id, .. }
            | Self::NoteDelete { id, .. }
            | Self::Dot { id, .. }
            | Self::Move { id, .. }
            | Self::Theme { id, .. }
            | Self::NoteTheme { id, .. }
            | Self::Lock { id, .. }
            | Self::Voting { id, .. }
            | Self::ShowOnProjector { id, .. }
            | Self::ProjectorPage { id, .. }
            | Self::Timer { id, .. }
            | Self::Group { id, .. }
            | Self::ProjectorGroups { id, .. } => Some(*id),
        }
    }
}

/// Whether a session still takes answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    Live,
    Closed,
}

/// What every screen shows now: an activity (with a round, for scales) or the waiting screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct StepView {
    /// The current activity, or null for the waiting screen.
    pub activity: Option<Activity>,
    /// The current round's name, for scales.
    pub round: Option<String>,
    /// Whether answers are accepted.
    pub open: bool,
    /// Whether participants see the live results.
    pub reveal: bool,
    /// Whether dot voting is on (a jam board): phones then get the board to vote on, whether
    /// or not results are revealed.
    pub voting: bool,
    /// The activity's position in the agenda (0-based), null on the waiting screen.
    pub index: Option<u32>,
    /// How many activities the agenda has.
    pub total: u32,
    /// Whether the projector shows the current activity's results (see `show_on_projector`).
    pub projector: bool,
    /// The projector page the facilitator turned to; null: pages turn by themselves.
    pub page: Option<u32>,
    /// The countdown on the current activity, if one was started.
    pub timer: Option<TimerView>,
    /// Other activities whose answers are still open: a phone may finish one of them while
    /// the room has moved on (answers stay open until the facilitator stops them or the
    /// round changes).
    pub still_open: Vec<String>,
    /// What the projector shows of the groups (see `projector_groups`): null = everyone only.
    pub split: Option<Split>,
    /// The address of "what we heard" (`/r/<id>`) while the facilitator shows its QR code on
    /// the projector (`show_summary_qr`); null otherwise.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub summary_qr: Option<String>,
}

/// A countdown on the current activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TimerView {
    /// The countdown's length.
    pub seconds: u32,
    /// When it reaches zero, in milliseconds since the Unix epoch on the server's clock
    /// (the welcome messages carry `server_time` to correct a client's clock by).
    #[ts(type = "number")]
    pub ends_at: i64,
    /// Whether answers stop at zero.
    pub stop_answers: bool,
}

/// One activity's complete results, for the closing summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ActivityResults {
    pub activity: Activity,
    pub data: Results,
}

/// An activity's results (`results.data`): its aggregate, tagged by `kind`, and in a session
/// with an "About you" question the same aggregate per group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Results {
    #[serde(flatten)]
    pub total: Aggregate,
    /// By group label, in the question's order; "prefer not to say" is no group (those
    /// answers count in the total only). The console gets every group's figures; the
    /// projector and phones get `{"suppressed": true}` for a group too small to show, and
    /// the projector gets `by_group` only while the facilitator allows a split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, as = "Option<std::collections::HashMap<String, crate::session::groups::GroupFigures<Aggregate>>>")]
    pub by_group: Option<ByGroup<Aggregate>>,
    /// Console only: the groups the projector, phones and exports suppress ("not for sharing").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub small_groups: Option<Vec<String>>,
}

impl Results {
    /// Results without groups.
    pub fn total(total: Aggregate) -> Self {
        Self { total, by_group: None, small_groups: None }
    }
}

/// The "About you" question as phones get it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AboutYouQuestion {
    pub prompt: String,
    pub groups: Vec<String>,
}

/// A participant's own saved answers in the current step; each kind fills its fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct Mine {
    pub activity: String,
    pub round: Option<String>,
    /// Scale: the saved value per statement, null where the participant has not answered.
    #[serde(default)]
    pub values: Vec<Option<i64>>,
    /// Word cloud: the participant's entries, oldest first.
    #[serde(default)]
    pub entries: Vec<OwnEntry>,
    /// Jam board: the participant's notes, oldest first.
    #[serde(default)]
    pub notes: Vec<OwnNote>,
    /// Jam board: the notes the participant's dots are on, one id per dot.
    #[serde(default)]
    pub dots: Vec<String>,
    /// Multiple choice: the options chosen.
    #[serde(default)]
    pub choices: Vec<u32>,
    /// Ranking: the items in the order given, first = top.
    #[serde(default)]
    pub order: Vec<u32>,
    /// Points: per item.
    #[serde(default)]
    pub points: Vec<u32>,
}

/// The session as its facilitator sees it: `welcome_host`, and the HTTP API's session body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SessionInfo {
    pub code: String,
    pub title: String,
    pub state: SessionState,
    /// The series this session belongs to (its first session's code).
    pub series: String,
    /// Milliseconds since the Unix epoch.
    #[ts(type = "number")]
    pub created_at: i64,
    #[ts(type = "number | null")]
    pub closed_at: Option<i64>,
    pub agenda: Vec<Activity>,
    pub step: StepView,
    /// Participants who have joined so far (opened the join link).
    pub participants: u32,
    /// Participants who answered at least once.
    pub took_part: u32,
    /// Activities that have answers (they cannot be removed from the agenda).
    pub with_answers: Vec<String>,
    pub join_url: String,
    /// The presenter key, so that the console can open the projector view.
    pub present_key: String,
    /// The "About you" question, if the session asks one.
    pub about_you: Option<AboutYou>,
    /// The numbers the organiser typed in as booked.
    pub booked: Option<Booked>,
    /// Whether anyone has answered the "About you" question (a group or "prefer not to
    /// say"): it can no longer be changed or removed.
    pub about_you_answered: bool,
    /// "What we heard", while it is published.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub summary: Option<SummaryInfo>,
}

/// "What we heard" as published: its address and the report's sections it shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SummaryInfo {
    /// `/r/<id>`, relative to the server.
    pub url: String,
    pub sections: Vec<String>,
}

/// `POST /api/sessions/{code}/summary` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PublishSummary {
    /// The report's section ids to publish, in report order; at least one.
    pub sections: Vec<String>,
}

/// `201` answer to `POST /api/sessions/{code}/summary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PublishedSummary {
    pub url: String,
}

/// `GET`/`PUT /api/sessions/{code}/report` (and `…/series/report`) answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ReportView {
    pub content: crate::report::content::ReportContent,
    /// Everything that can be starred (hidden words and notes left out), in agenda order.
    pub candidates: Vec<crate::report::content::Candidate>,
    /// `live` while any session of the report is running.
    pub state: SessionState,
}

/// What the projector needs besides the live frames.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PresentInfo {
    pub code: String,
    pub title: String,
    pub state: SessionState,
    pub join_url: String,
    /// The "About you" question, for the group labels of `step.split` and `by_group`.
    pub about_you: Option<AboutYou>,
}

/// Messages the server sends over the WebSocket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Answer to `join`.
    Welcome {
        protocol: u32,
        participant_id: ParticipantId,
        /// Keep it (the web client uses localStorage) to resume as the same participant.
        token: String,
        title: String,
        state: SessionState,
        step: StepView,
        mine: Option<Mine>,
        /// The address of "what we heard" (`/r/<id>`) if the organiser has published it.
        #[serde(default)]
        #[ts(optional = nullable)]
        what_we_heard: Option<String>,
        /// The server's clock, in milliseconds since the Unix epoch, for timers.
        #[ts(type = "number")]
        server_time: i64,
        /// The "About you" question, if the session asks one.
        about_you: Option<AboutYouQuestion>,
        /// The participant's group now (null: none, or "prefer not to say").
        group: Option<u32>,
        /// Whether the participant has answered the question ("prefer not to say" included).
        group_chosen: bool,
    },
    /// Answer to `host`.
    WelcomeHost {
        protocol: u32,
        session: SessionInfo,
        #[ts(type = "number")]
        server_time: i64,
    },
    /// Answer to `present`.
    WelcomePresent {
        protocol: u32,
        session: PresentInfo,
        #[ts(type = "number")]
        server_time: i64,
    },
    /// The request with this id was accepted (and, for changes, committed to disk).
    Ack {
        #[ts(type = "number")]
        id: RequestId,
    },
    /// The request with this id (null when it could not be read) was refused.
    Error {
        #[ts(type = "number | null")]
        id: Option<RequestId>,
        error: ErrorCode,
        message: String,
    },
    /// The current step changed (also sent on connecting).
    Step(StepView),
    /// Live results of one activity; coalesced, the latest wins.
    Results {
        activity: String,
        #[ts(type = "number")]
        seq: u64,
        data: Results,
    },
    /// Participant: its own saved answers for the step just shown.
    Mine(Mine),
    /// Console and projector: how many have joined (opened the link), how many are connected
    /// now, how many answered at least once, and how many answered the current activity (its
    /// current round, for a scale).
    /// With an "About you" question, the console also gets joined and took part per group
    /// (`groups`, by label) and for those who preferred not to say or never chose (`not_said`).
    Counts {
        joined: u32,
        online: u32,
        took_part: u32,
        answered: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, as = "Option<std::collections::HashMap<String, Attendance>>")]
        groups: Option<indexmap::IndexMap<String, Attendance>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        not_said: Option<Attendance>,
    },
    /// Console: the agenda changed, or an activity got its first answers.
    Agenda { agenda: Vec<Activity>, with_answers: Vec<String> },
    /// The session was closed: no more answers.
    SessionClosed,
    /// Console and projector, once the session is closed: every activity's results, for the
    /// closing summary (hidden items left out on the projector).
    Summary { activities: Vec<ActivityResults> },
    /// Phones, projector and console: "what we heard" was published (its address) or
    /// revoked (null).
    WhatWeHeard { url: Option<String> },
}

/// `POST /api/sessions` body.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
pub struct CreateSession {
    pub title: String,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub copy_from: Option<CopyFrom>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub agenda: Option<Vec<Activity>>,
    /// The "About you" question; with `copy_from` and without this, the copied session's.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub about_you: Option<AboutYou>,
}

/// Copy the agenda of an existing session, and join its series.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
pub struct CopyFrom {
    pub code: String,
    pub host_key: String,
}

/// `201` answer to `POST /api/sessions`. The keys are shown once: only their hashes are kept.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
pub struct Created {
    pub code: String,
    pub host_key: String,
    pub present_key: String,
    pub join_url: String,
    pub host_url: String,
    pub present_url: String,
    pub agenda: Vec<Activity>,
}

/// `PUT /api/sessions/{code}/agenda` body.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
pub struct ReplaceAgenda {
    pub agenda: Vec<Activity>,
    /// Absent: unchanged; null: no question; an object: the new question. Refused with
    /// `about_you_in_use` once anyone has answered it.
    #[serde(default, deserialize_with = "present")]
    #[ts(optional, type = "AboutYou | null")]
    pub about_you: Option<Option<AboutYou>>,
}

/// Tells a field sent as null (`Some(None)`) from one left out (`None`, by `default`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// Every HTTP error body.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
pub struct HttpError {
    pub error: ErrorCode,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_read_as_the_contract_writes_them() {
        let goto: ClientMessage =
            serde_json::from_str(r#"{"type": "goto", "id": 1, "activity": "a1", "round": "Before"}"#).expect("goto");
        assert_eq!(goto, ClientMessage::Goto { id: 1, activity: Some("a1".into()), round: Some("Before".into()) });
        let answer: ClientMessage = serde_json::from_str(
            r#"{"type": "answer", "id": 7, "activity": "a1", "round": "Before", "statement": 0, "value": 4}"#,
        )
        .expect("answer");
        assert_eq!(answer.id(), Some(7));
        let join: ClientMessage =
            serde_json::from_str(r#"{"type": "join", "code": "48213377", "token": null}"#).expect("join");
        assert_eq!(join, ClientMessage::Join { code: "48213377".into(), token: None });
    }

    #[test]
    fn server_messages_are_tagged_by_type() {
        let closed = serde_json::to_string(&ServerMessage::SessionClosed).expect("serialise");
        assert_eq!(closed, r#"{"type":"session_closed"}"#);
        let ack = serde_json::to_string(&ServerMessage::Ack { id: 7 }).expect("serialise");
        assert_eq!(ack, r#"{"type":"ack","id":7}"#);
    }
}

/// The TypeScript declarations of the wire types, as `web/src/lib/protocol.ts` holds them.
pub fn typescript() -> String {
    use crate::activity::{self, choice, jamboard, points, ranking, scale, wordcloud};
    let cfg = ts_rs::Config::new().with_large_int("number");
    let decls = [
        ClientMessage::decl(&cfg),
        ServerMessage::decl(&cfg),
        SessionState::decl(&cfg),
        StepView::decl(&cfg),
        TimerView::decl(&cfg),
        ActivityResults::decl(&cfg),
        Mine::decl(&cfg),
        SessionInfo::decl(&cfg),
        Results::decl(&cfg),
        AboutYouQuestion::decl(&cfg),
        crate::session::groups::AboutYou::decl(&cfg),
        crate::session::groups::Booked::decl(&cfg),
        crate::session::groups::Split::decl(&cfg),
        crate::session::groups::SplitName::decl(&cfg),
        crate::session::groups::SuppressedMark::decl(&cfg),
        crate::session::groups::GroupFigures::<Aggregate>::decl(&cfg),
        crate::session::groups::Attendance::decl(&cfg),
        SummaryInfo::decl(&cfg),
        PublishSummary::decl(&cfg),
        PublishedSummary::decl(&cfg),
        ReportView::decl(&cfg),
        crate::report::content::ReportContent::decl(&cfg),
        crate::report::content::ReportSection::decl(&cfg),
        crate::report::content::ReportTheme::decl(&cfg),
        crate::report::content::Quote::decl(&cfg),
        crate::report::content::Candidate::decl(&cfg),
        crate::report::content::CandidateKind::decl(&cfg),
        PresentInfo::decl(&cfg),
        CreateSession::decl(&cfg),
        CopyFrom::decl(&cfg),
        Created::decl(&cfg),
        ReplaceAgenda::decl(&cfg),
        HttpError::decl(&cfg),
        ErrorCode::decl(&cfg),
        activity::Activity::decl(&cfg),
        activity::ActivitySpec::decl(&cfg),
        activity::Aggregate::decl(&cfg),
        scale::Scale::decl(&cfg),
        scale::ScaleLabels::decl(&cfg),
        scale::ScaleAggregate::decl(&cfg),
        scale::StatementResults::decl(&cfg),
        scale::RoundStats::decl(&cfg),
        scale::Paired::decl(&cfg),
        wordcloud::WordCloud::decl(&cfg),
        wordcloud::WordCloudAggregate::decl(&cfg),
        wordcloud::CloudEntry::decl(&cfg),
        wordcloud::OwnEntry::decl(&cfg),
        jamboard::Jamboard::decl(&cfg),
        jamboard::Color::decl(&cfg),
        jamboard::JamboardAggregate::decl(&cfg),
        jamboard::FrameResults::decl(&cfg),
        jamboard::NoteView::decl(&cfg),
        jamboard::Theme::decl(&cfg),
        jamboard::Keyword::decl(&cfg),
        jamboard::OwnNote::decl(&cfg),
        choice::Choice::decl(&cfg),
        choice::ChoiceAggregate::decl(&cfg),
        choice::OptionResults::decl(&cfg),
        choice::OptionRound::decl(&cfg),
        choice::ChoiceRound::decl(&cfg),
        ranking::Ranking::decl(&cfg),
        ranking::RankingAggregate::decl(&cfg),
        ranking::RankedItem::decl(&cfg),
        ranking::RankStats::decl(&cfg),
        points::Points::decl(&cfg),
        points::PointsAggregate::decl(&cfg),
        points::PointsItem::decl(&cfg),
        points::PointStats::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from the Rust types in src/protocol.rs and src/activity/ by\n\
         // `UPDATE_PROTOCOL_TS=1 cargo test protocol_ts`. Do not edit by hand.\n\n",
    );
    for decl in decls {
        out.push_str("export ");
        out.push_str(&decl);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod protocol_ts {
    /// The web client's protocol module is exactly what the Rust types generate, so the two
    /// cannot drift apart. Regenerate with `UPDATE_PROTOCOL_TS=1 cargo test protocol_ts`.
    #[test]
    fn web_client_types_match_the_rust_types() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/web/src/lib/protocol.ts");
        let generated = super::typescript();
        if std::env::var_os("UPDATE_PROTOCOL_TS").is_some() {
            std::fs::write(path, &generated).expect("write protocol.ts");
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "web/src/lib/protocol.ts is out of date: run `UPDATE_PROTOCOL_TS=1 cargo test protocol_ts`"
        );
    }
}
