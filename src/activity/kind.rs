//! What an activity kind is: the one trait every kind's slice implements.
//!
//! A kind owns everything about itself: its configuration and the checks on it, what it
//! gathers ([`Kind::State`]), the requests participants and the facilitator may make of it
//! and the events they become (proposal, then fold), its aggregate, a participant's own
//! answers, its export rows and report fragment, and how its results add up over a series.
//! The session around it knows only what every kind shares: which activity and round are on
//! screen, which rounds take answers, who the participants are. `activity/mod.rs` is the
//! registry: the only place that names every kind.

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

use rust_xlsxwriter::{Worksheet, XlsxError};

use crate::error::{ErrorCode, Refusal};
use crate::protocol::{ClientMessage, Mine, ParticipantId, RequestId};
use crate::report::Block;
use crate::sheet::Styles;

use super::Response;

/// A participant's `answer` message, whatever its kind: each kind reads the fields it needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    pub activity: String,
    pub round: Option<String>,
    pub statement: Option<u32>,
    pub value: Option<i64>,
    pub text: Option<String>,
    /// Numbers as sent: a kind checks they are whole and in range, and says so plainly.
    pub choices: Option<Vec<f64>>,
    pub order: Option<Vec<f64>>,
    pub points: Option<Vec<f64>>,
}

/// What a proposal may need from the session beyond the kind's own state.
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    /// Who asks (`None`: the facilitator).
    pub participant: Option<ParticipantId>,
    /// The number a new item (entry, note, theme) gets if the proposal makes one.
    pub item: u32,
}

impl Ctx {
    /// The participant asking; a kind's participant request always has one.
    pub fn participant(&self) -> Result<ParticipantId, Refusal> {
        self.participant.ok_or_else(|| Refusal::new(ErrorCode::Forbidden, "Only participants can do that."))
    }
}

/// What applying an event changed, beyond the activity's results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Only the results.
    Results,
    /// What phones see changes too (a board's dot voting): every view is published again.
    Step,
}

/// Which results are asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The console: hidden items included and marked.
    Console,
    /// The projector and the phones: hidden items left out.
    Public,
    /// Exports: hidden items included and marked, nothing cut for size.
    Export,
}

impl View {
    pub fn include_hidden(self) -> bool {
        !matches!(self, Self::Public)
    }
}

/// Where a kind's part of the findings report goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportPart {
    /// "What we found": ratings, choices, rankings, points.
    Findings,
    /// "The most frequent words".
    Words,
    /// "Notes by board and theme".
    Notes,
}

/// One activity's results as a report shows them.
#[derive(Debug)]
pub struct Section<'a, A> {
    /// Added up over the report's sessions (for one session, its own).
    pub results: &'a A,
    /// In a series report, each session's own results, by join code, oldest first; empty in
    /// a report of one session.
    pub sessions: Vec<(String, &'a A)>,
}

/// An event of one kind, as stored in the journal (tagged by `type`, like every event).
pub trait KindEvent: Debug + Clone + PartialEq + Serialize + DeserializeOwned {
    /// The activity it belongs to.
    fn activity(&self) -> &str;
    /// The participant whose request it is, for participants' changes.
    fn participant(&self) -> Option<ParticipantId> {
        None
    }
    /// The round that must be taking answers for it to count (an answer, an entry, a new
    /// note); `None` for changes that do not need an open round.
    fn answer_round(&self) -> Option<usize> {
        None
    }
    /// The item number (entry, note or theme) it creates, if it may create one.
    fn new_item(&self) -> Option<u32> {
        None
    }
    /// Whether a participant's event changes what others have given too (deleting a note
    /// hands back its dots): then every group's tallies of the activity are counted again.
    fn changes_others(&self) -> bool {
        false
    }
    /// Events with the same key replace each other (a note's place while it is dragged), so
    /// a burst of them may be held until the next tick and journaled once.
    fn coalesce_key(&self) -> Option<u32> {
        None
    }
}

/// `KindEvent` for a kind whose only event is a participant's whole answer in one round
/// (`Enum::Variant { participant, activity, round, .. }`), as a scale's, a choice's, a
/// ranking's and points' are: that round must be open for it to count.
macro_rules! round_answer_event {
    ($event:ident :: $variant:ident) => {
        impl $crate::activity::kind::KindEvent for $event {
            fn activity(&self) -> &str {
                let Self::$variant { activity, .. } = self;
                activity
            }

            fn participant(&self) -> Option<$crate::protocol::ParticipantId> {
                let Self::$variant { participant, .. } = self;
                Some(*participant)
            }

            fn answer_round(&self) -> Option<usize> {
                let Self::$variant { round, .. } = self;
                Some(*round)
            }
        }
    };
}
pub(crate) use round_answer_event;

/// A participant's request of one kind (other than `answer`).
pub trait KindRequest: Debug + Clone {
    /// The request a participant's message makes, with its id; the message back when it is
    /// not one of this kind's.
    #[allow(clippy::result_large_err, reason = "an unclaimed message is handed on to the next kind by value")]
    fn from_message(message: ClientMessage) -> Result<(RequestId, Self), ClientMessage>;
    /// The activity it is for.
    fn activity(&self) -> &str;
    /// Feeds its fields to the request fingerprint. The encoding is stored in effect, so a
    /// kind must never change it: add tags, never reuse one (see `session::request`).
    fn fingerprint(&self, hasher: &mut crate::session::request::RequestHasher);
}

/// A facilitator's request of one kind.
pub trait KindControl: Debug + Clone {
    /// The control a facilitator's message makes, with its id; the message back when it is
    /// not one of this kind's.
    #[allow(clippy::result_large_err, reason = "an unclaimed message is handed on to the next kind by value")]
    fn from_message(message: ClientMessage) -> Result<(RequestId, Self), ClientMessage>;
    /// The activity it is for.
    fn activity(&self) -> &str;
}

/// No requests of this sort: for kinds whose participants only `answer`, or whose
/// facilitator has no controls of the kind's own.
#[derive(Debug, Clone, PartialEq)]
pub enum NoRequest {}

impl KindRequest for NoRequest {
    fn from_message(message: ClientMessage) -> Result<(RequestId, Self), ClientMessage> {
        Err(message)
    }

    fn activity(&self) -> &str {
        match *self {}
    }

    fn fingerprint(&self, _: &mut crate::session::request::RequestHasher) {
        match *self {}
    }
}

impl KindControl for NoRequest {
    fn from_message(message: ClientMessage) -> Result<(RequestId, Self), ClientMessage> {
        Err(message)
    }

    fn activity(&self) -> &str {
        match *self {}
    }
}

/// One activity kind. The configuration type implements it (`Scale`, `WordCloud`, …).
pub trait Kind: Debug + Clone + PartialEq + Serialize + DeserializeOwned {
    /// What a session gathers for one activity of this kind.
    type State: Debug + Clone;
    /// Its journal events.
    type Event: KindEvent;
    /// Participants' requests other than `answer`.
    type Request: KindRequest;
    /// The facilitator's requests of this kind.
    type Control: KindControl;
    /// Its live results (`results.data`).
    type Aggregate: Debug + Clone + PartialEq + Serialize + DeserializeOwned;

    /// The kind's name on the wire (`"kind"` of activities and aggregates).
    const NAME: &'static str;
    /// Whether the projector shows the results live while answers are open (a word cloud, a
    /// board), unless the facilitator chooses otherwise. Kinds whose answers would anchor
    /// each other (ratings, votes) show theirs once answers stop.
    const LIVE_ON_PROJECTOR: bool = false;

    /// Checks the configuration and fills in defaults, so that what is stored is what is shown.
    fn normalise(&mut self) -> Result<(), Refusal>;
    /// A short label for lists and logs.
    fn title(&self) -> &str;
    /// Named rounds ("Before", "After"); empty for a kind without rounds (one round, 0).
    fn rounds(&self) -> &[String] {
        &[]
    }

    fn new_state(&self) -> Self::State;
    /// Checks that a changed configuration still fits the answers gathered, and adapts the
    /// state to it. The configuration has been normalised already.
    fn reconfigure(&self, state: &mut Self::State) -> Result<(), Refusal>;
    /// Whether any participant has answered: such an activity may not be removed or reshaped.
    fn has_answers(&self, state: &Self::State) -> bool;
    /// How many participants answered (in `round`), for "answered / joined".
    fn respondents(&self, state: &Self::State, round: usize) -> u32;

    /// Checks a participant's `answer` and turns it into an event.
    fn propose_answer(&self, state: &Self::State, answer: &Answer, ctx: Ctx) -> Result<Self::Event, Refusal>;
    /// Checks a participant's other request.
    fn propose_request(&self, state: &Self::State, request: &Self::Request, ctx: Ctx) -> Result<Self::Event, Refusal>;
    /// Checks a facilitator's request of this kind.
    fn propose_control(&self, state: &Self::State, control: &Self::Control, ctx: Ctx) -> Result<Self::Event, Refusal>;
    /// Applies a committed event. Deterministic: the same events in the same order always
    /// give the same state and the same refusals.
    fn apply(&self, state: &mut Self::State, event: &Self::Event, at: i64) -> Result<Effect, Refusal>;

    /// Checks that `item` can be hidden (a word group, a note).
    fn check_hide(&self, _state: &Self::State, _item: &str) -> Result<(), Refusal> {
        Err(Refusal::new(ErrorCode::UnknownActivity, "That activity has nothing to hide."))
    }
    fn hide(&self, state: &mut Self::State, item: &str, _hidden: bool) -> Result<(), Refusal> {
        self.check_hide(state, item)
    }
    /// Whether participants see the results while it is on screen, revealed or not (a
    /// board's dot voting: people vote on the notes they see).
    fn results_public(&self, _state: &Self::State) -> bool {
        false
    }

    fn aggregate(&self, state: &Self::State, view: View) -> Self::Aggregate;

    /// What one group's results are made of ("About you"): the kind's running counts, without
    /// who answered what (that stays in the state). Each group of a session has one, kept as
    /// answers come in, so a group's results cost what the total's do.
    type Tally: Debug + Clone;
    fn new_tally(&self) -> Self::Tally;
    /// Adds everything `participant` has answered now (in `state`) to `tally`, or with `add`
    /// false takes it away: O(the participant's answers). The session takes a participant's
    /// part out before applying their event and puts it back after, and moves it from one
    /// group's tally to another's when they change group, so a tally always counts exactly
    /// its members' current answers.
    fn count(&self, state: &Self::State, tally: &mut Self::Tally, participant: ParticipantId, add: bool);
    /// [`Kind::count`] of only the part of the participant's answers that `event` (theirs)
    /// can change: what the session takes out and puts back around applying it. A kind whose
    /// answer touches one round counts that round alone (the scale's answer its statement,
    /// round and pairs), so an answer costs O(statements), not O(rounds × statements).
    fn count_event(
        &self,
        state: &Self::State,
        tally: &mut Self::Tally,
        participant: ParticipantId,
        _event: &Self::Event,
        add: bool,
    ) {
        self.count(state, tally, participant, add);
    }
    /// One group's results from its tally, as `view` shows them.
    fn tally_aggregate(&self, state: &Self::State, tally: &Self::Tally, view: View) -> Self::Aggregate;
    /// How many of the group answered, per round (one number for a kind without rounds):
    /// what the suppression rule compares with K.
    fn tally_respondents(&self, tally: &Self::Tally) -> Vec<u32>;
    /// A participant's own saved answers in `round`, in the kind's fields of [`Mine`].
    fn mine(&self, state: &Self::State, participant: ParticipantId, round: usize, mine: &mut Mine);
    /// Every response that counts, for exports.
    fn responses(&self, state: &Self::State) -> Vec<Response>;
    /// Adds up results of this activity from several sessions.
    fn combine(&self, parts: &[&Self::Aggregate]) -> Self::Aggregate;

    /// Which part of the findings report its blocks go under.
    const REPORT_PART: ReportPart = ReportPart::Findings;
    /// Its part of the findings report, from a level-3 heading down; the HTML report, the
    /// DOCX and the PDF are all written from these blocks.
    fn report_blocks(&self, section: &Section<'_, Self::Aggregate>) -> Vec<Block>;
    /// Its own sheet of the spreadsheet, below the title in row 0.
    fn write_sheet(&self, sheet: &mut Worksheet, results: &Self::Aggregate, styles: &Styles) -> Result<(), XlsxError>;
    /// Its table on the spreadsheet's Summary sheet (activity `number`), from `row`; returns
    /// the next free row. Most kinds have none.
    fn write_summary(
        &self,
        _summary: &mut Worksheet,
        row: u32,
        _number: usize,
        _section: &Section<'_, Self::Aggregate>,
        _styles: &Styles,
    ) -> Result<u32, XlsxError> {
        Ok(row)
    }
    /// The text of the item a response names by number (a statement, an option), for the CSV.
    fn item_label(&self, _index: u32) -> Option<&str> {
        None
    }
}

/// The round a kind's answer is for: by name, or the only one; kinds without rounds take
/// answers in round 0 whatever is sent.
pub fn answer_round(rounds: &[String], round: Option<&str>) -> Result<usize, Refusal> {
    if rounds.is_empty() {
        return Ok(0);
    }
    match round {
        Some(name) => rounds.iter().position(|r| r == name).ok_or_else(|| {
            Refusal::new(ErrorCode::UnknownRound, format!("This activity has no round called \"{name}\"."))
        }),
        None if rounds.len() == 1 => Ok(0),
        None => Err(Refusal::new(ErrorCode::UnknownRound, "Say which round the answer is for.")),
    }
}
