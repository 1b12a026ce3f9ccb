//! Activity kinds: what the facilitator configures, what a participant may answer, and the
//! live aggregate every screen shows.
//!
//! Each kind is one vertical slice in its own module (`scale.rs`, `wordcloud.rs`,
//! `jamboard.rs`, …) implementing [`Kind`]: configuration and its validation, its requests and
//! events, the state a session folds them into, the aggregate, export rows, the report's
//! fragment and adding up over a series. This module is the registry ([`registry!`]): the
//! only place that names every kind.

pub mod choice;
pub mod jamboard;
pub mod kind;
pub mod points;
pub mod ranking;
pub mod scale;
pub mod wordcloud;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{ErrorCode, Refusal};
use crate::protocol::{ClientMessage, Mine, ParticipantId, RequestId};
pub use jamboard::{Jamboard, JamboardAggregate, JamboardState};
pub use kind::{Answer, Ctx, Effect, Kind, KindControl, KindEvent, KindRequest, ReportPart, Section, View};
use rust_xlsxwriter::{Worksheet, XlsxError};

use crate::report::Block;
use crate::sheet::Styles;
pub use scale::{Scale, ScaleAggregate, ScaleLabels, ScaleState};
pub use wordcloud::{WordCloud, WordCloudAggregate, WordCloudState};

/// Most activities an agenda may hold.
pub const MAX_ACTIVITIES: usize = 50;
/// Most characters in an activity title.
pub const MAX_TITLE_CHARS: usize = 200;

/// One step of an agenda.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Activity {
    /// Stable id, assigned by the server. Send it back to keep an activity (and its answers)
    /// when replacing the agenda; leave it out for a new activity.
    #[serde(default)]
    pub id: String,
    #[serde(flatten)]
    pub spec: ActivitySpec,
}

/// The registry of kinds. Each line names a kind's variant, its configuration type (which
/// implements [`Kind`]) and its aggregate type; the macro makes the enums that hold any kind
/// (configuration, state, aggregate, events, requests) and their dispatch. Adding a kind is
/// its module and one line here.
macro_rules! registry {
    ($($variant:ident($config:ty, $aggregate:ty)),+ $(,)?) => {
        /// The kind-specific part of an activity, tagged by `kind`.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum ActivitySpec {
            $($variant($config)),+
        }

        /// What a session has gathered for one activity.
        #[derive(Debug, Clone)]
        pub enum ActivityState {
            $($variant(<$config as Kind>::State)),+
        }

        /// The live results of one activity (`results.data`), tagged by `kind` like the
        /// activity.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum Aggregate {
            $($variant($aggregate)),+
        }

        /// A kind's journal event. Each is tagged by `type` like every event, so the stored
        /// JSON names no kind: event types must be unique across kinds.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(untagged)]
        pub enum ActivityEvent {
            $($variant(<$config as Kind>::Event)),+
        }

        /// Each group's tallies of one activity ("About you"), by group index.
        #[derive(Debug, Clone)]
        pub enum ActivityTallies {
            $($variant(Vec<<$config as Kind>::Tally>)),+
        }

        /// A participant's request of a kind (other than `answer`).
        #[derive(Clone)]
        pub enum ActivityRequest {
            $($variant(<$config as Kind>::Request)),+
        }

        /// A facilitator's request of a kind.
        #[derive(Debug, Clone)]
        pub enum ActivityControl {
            $($variant(<$config as Kind>::Control)),+
        }

        impl ActivitySpec {
            /// Checks the configuration and fills in defaults, so that what is stored is what
            /// is shown.
            pub fn normalise(&mut self) -> Result<(), Refusal> {
                match self { $(Self::$variant(config) => config.normalise()),+ }
            }

            /// A short label for lists and logs.
            pub fn title(&self) -> &str {
                match self { $(Self::$variant(config) => config.title()),+ }
            }

            /// Named rounds; empty for a kind without rounds.
            pub fn rounds(&self) -> &[String] {
                match self { $(Self::$variant(config) => config.rounds()),+ }
            }

            /// The kind's name on the wire.
            pub fn kind(&self) -> &'static str {
                match self { $(Self::$variant(_) => <$config as Kind>::NAME),+ }
            }

            /// Whether the projector shows its results while answers are open, unless the
            /// facilitator chooses otherwise.
            pub fn live_on_projector(&self) -> bool {
                match self { $(Self::$variant(_) => <$config as Kind>::LIVE_ON_PROJECTOR),+ }
            }

            /// Which part of the findings report its blocks go under.
            pub fn report_part(&self) -> ReportPart {
                match self { $(Self::$variant(_) => <$config as Kind>::REPORT_PART),+ }
            }

            /// The text of the item a response names by number, for the CSV.
            pub fn item_label(&self, index: u32) -> Option<&str> {
                match self { $(Self::$variant(config) => config.item_label(index)),+ }
            }

            /// Its part of the findings report, from `results` added up and each session's own
            /// (by join code) in a series; results of another kind are left out.
            pub fn report_blocks(&self, results: &Aggregate, sessions: &[(String, &Aggregate)]) -> Vec<Block> {
                match (self, results) {
                    $((Self::$variant(config), Aggregate::$variant(results)) => {
                        let sessions = sessions
                            .iter()
                            .filter_map(|(code, part)| match part {
                                Aggregate::$variant(part) => Some((code.clone(), part)),
                                #[allow(unreachable_patterns)]
                                _ => None,
                            })
                            .collect();
                        config.report_blocks(&Section { results, sessions })
                    })+
                    #[allow(unreachable_patterns)]
                    _ => Vec::new(),
                }
            }

            /// Its own sheet of the spreadsheet.
            pub fn write_sheet(&self, sheet: &mut Worksheet, results: &Aggregate, styles: &Styles) -> Result<(), XlsxError> {
                match (self, results) {
                    $((Self::$variant(config), Aggregate::$variant(results)) => config.write_sheet(sheet, results, styles),)+
                    #[allow(unreachable_patterns)]
                    _ => Ok(()),
                }
            }

            /// Its table on the Summary sheet, if it has one; returns the next free row.
            pub fn write_summary(
                &self,
                summary: &mut Worksheet,
                row: u32,
                number: usize,
                results: &Aggregate,
                sessions: &[(String, &Aggregate)],
                styles: &Styles,
            ) -> Result<u32, XlsxError> {
                match (self, results) {
                    $((Self::$variant(config), Aggregate::$variant(results)) => {
                        let sessions = sessions
                            .iter()
                            .filter_map(|(code, part)| match part {
                                Aggregate::$variant(part) => Some((code.clone(), part)),
                                #[allow(unreachable_patterns)]
                                _ => None,
                            })
                            .collect();
                        config.write_summary(summary, row, number, &Section { results, sessions }, styles)
                    })+
                    #[allow(unreachable_patterns)]
                    _ => Ok(row),
                }
            }

            /// An empty state for this kind.
            pub fn new_state(&self) -> ActivityState {
                match self { $(Self::$variant(config) => ActivityState::$variant(config.new_state())),+ }
            }
        }

        impl ActivityState {
            /// Whether this state belongs to an activity of that kind.
            pub fn is_kind_of(&self, spec: &ActivitySpec) -> bool {
                match (self, spec) {
                    $((Self::$variant(_), ActivitySpec::$variant(_)) => true,)+
                    #[allow(unreachable_patterns)]
                    _ => false,
                }
            }

            /// Whether any participant has answered: such an activity may not be removed or
            /// reshaped.
            pub fn has_answers(&self, spec: &ActivitySpec) -> bool {
                match (self, spec) {
                    $((Self::$variant(state), ActivitySpec::$variant(config)) => config.has_answers(state),)+
                    #[allow(unreachable_patterns)]
                    _ => false,
                }
            }

            /// How many participants answered (in `round`), for "answered / joined".
            pub fn respondents(&self, spec: &ActivitySpec, round: usize) -> u32 {
                match (self, spec) {
                    $((Self::$variant(state), ActivitySpec::$variant(config)) => config.respondents(state, round),)+
                    #[allow(unreachable_patterns)]
                    _ => 0,
                }
            }

            /// Checks that a changed configuration still fits the answers gathered, and adapts
            /// the state to it. The configuration has been normalised already.
            pub fn reconfigure(&mut self, spec: &ActivitySpec) -> Result<(), Refusal> {
                match (self, spec) {
                    $((Self::$variant(state), ActivitySpec::$variant(config)) => config.reconfigure(state),)+
                    #[allow(unreachable_patterns)]
                    _ => Err(Refusal::new(ErrorCode::ActivityHasAnswers, "An activity cannot change its kind.")),
                }
            }

            /// Checks a participant's answer.
            pub fn propose_answer(&self, spec: &ActivitySpec, answer: &Answer, ctx: Ctx) -> Result<ActivityEvent, Refusal> {
                match (self, spec) {
                    $((Self::$variant(state), ActivitySpec::$variant(config)) => {
                        config.propose_answer(state, answer, ctx).map(ActivityEvent::$variant)
                    })+
                    #[allow(unreachable_patterns)]
                    _ => Err(internal()),
                }
            }

            /// Checks a participant's other request.
            pub fn propose_request(
                &self,
                spec: &ActivitySpec,
                request: &ActivityRequest,
                ctx: Ctx,
            ) -> Result<ActivityEvent, Refusal> {
                match (self, spec, request) {
                    $((Self::$variant(state), ActivitySpec::$variant(config), ActivityRequest::$variant(request)) => {
                        config.propose_request(state, request, ctx).map(ActivityEvent::$variant)
                    })+
                    #[allow(unreachable_patterns)]
                    _ => Err(wrong_kind()),
                }
            }

            /// Checks a facilitator's request of a kind.
            pub fn propose_control(
                &self,
                spec: &ActivitySpec,
                control: &ActivityControl,
                ctx: Ctx,
            ) -> Result<ActivityEvent, Refusal> {
                match (self, spec, control) {
                    $((Self::$variant(state), ActivitySpec::$variant(config), ActivityControl::$variant(control)) => {
                        config.propose_control(state, control, ctx).map(ActivityEvent::$variant)
                    })+
                    #[allow(unreachable_patterns)]
                    _ => Err(wrong_kind()),
                }
            }

            /// Applies a committed event of the activity's kind.
            pub fn apply(&mut self, spec: &ActivitySpec, event: &ActivityEvent, at: i64) -> Result<Effect, Refusal> {
                match (self, spec, event) {
                    $((Self::$variant(state), ActivitySpec::$variant(config), ActivityEvent::$variant(event)) => {
                        config.apply(state, event, at)
                    })+
                    #[allow(unreachable_patterns)]
                    _ => Err(wrong_kind()),
                }
            }

            pub fn check_hide(&self, spec: &ActivitySpec, item: &str) -> Result<(), Refusal> {
                match (self, spec) {
                    $((Self::$variant(state), ActivitySpec::$variant(config)) => config.check_hide(state, item),)+
                    #[allow(unreachable_patterns)]
                    _ => Err(internal()),
                }
            }

            pub fn hide(&mut self, spec: &ActivitySpec, item: &str, hidden: bool) -> Result<(), Refusal> {
                match (self, spec) {
                    $((Self::$variant(state), ActivitySpec::$variant(config)) => config.hide(state, item, hidden),)+
                    #[allow(unreachable_patterns)]
                    _ => Err(internal()),
                }
            }

            /// Whether participants see the results while it is on screen, revealed or not.
            pub fn results_public(&self, spec: &ActivitySpec) -> bool {
                match (self, spec) {
                    $((Self::$variant(state), ActivitySpec::$variant(config)) => config.results_public(state),)+
                    #[allow(unreachable_patterns)]
                    _ => false,
                }
            }

            /// The results as `view` shows them.
            pub fn aggregate(&self, spec: &ActivitySpec, view: View) -> Option<Aggregate> {
                match (self, spec) {
                    $((Self::$variant(state), ActivitySpec::$variant(config)) => {
                        Some(Aggregate::$variant(config.aggregate(state, view)))
                    })+
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }

            /// Empty tallies for `groups` groups.
            pub fn new_tallies(&self, spec: &ActivitySpec, groups: usize) -> Option<ActivityTallies> {
                match (self, spec) {
                    $((Self::$variant(_), ActivitySpec::$variant(config)) => {
                        Some(ActivityTallies::$variant((0..groups).map(|_| config.new_tally()).collect()))
                    })+
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }

            /// Adds a participant's answers to a group's tally, or takes them away.
            pub fn count(
                &self,
                spec: &ActivitySpec,
                tallies: &mut ActivityTallies,
                group: usize,
                participant: ParticipantId,
                add: bool,
            ) {
                match (self, spec, tallies) {
                    $((Self::$variant(state), ActivitySpec::$variant(config), ActivityTallies::$variant(tallies)) => {
                        if let Some(tally) = tallies.get_mut(group) {
                            config.count(state, tally, participant, add);
                        }
                    })+
                    #[allow(unreachable_patterns)]
                    _ => {}
                }
            }

            /// [`Self::count`] of only what `event` (the participant's) can change.
            pub fn count_event(
                &self,
                spec: &ActivitySpec,
                tallies: &mut ActivityTallies,
                group: usize,
                participant: ParticipantId,
                event: &ActivityEvent,
                add: bool,
            ) {
                match (self, spec, tallies, event) {
                    $((
                        Self::$variant(state),
                        ActivitySpec::$variant(config),
                        ActivityTallies::$variant(tallies),
                        ActivityEvent::$variant(event),
                    ) => {
                        if let Some(tally) = tallies.get_mut(group) {
                            config.count_event(state, tally, participant, event, add);
                        }
                    })+
                    // An event of another kind is refused when applied: nothing to count.
                    #[allow(unreachable_patterns)]
                    _ => {}
                }
            }

            /// Each group's results and how many of it answered each round, by group index.
            pub fn group_results(
                &self,
                spec: &ActivitySpec,
                tallies: &ActivityTallies,
                view: View,
            ) -> Vec<(Aggregate, Vec<u32>)> {
                match (self, spec, tallies) {
                    $((Self::$variant(state), ActivitySpec::$variant(config), ActivityTallies::$variant(tallies)) => {
                        tallies
                            .iter()
                            .map(|tally| {
                                let results = Aggregate::$variant(config.tally_aggregate(state, tally, view));
                                (results, config.tally_respondents(tally))
                            })
                            .collect()
                    })+
                    #[allow(unreachable_patterns)]
                    _ => Vec::new(),
                }
            }

            /// How many answered each round (one number for a kind without rounds).
            pub fn round_respondents(&self, spec: &ActivitySpec) -> Vec<u32> {
                (0..spec.rounds().len().max(1)).map(|round| self.respondents(spec, round)).collect()
            }

            /// A participant's own saved answers in `round`.
            pub fn mine(&self, spec: &ActivitySpec, participant: ParticipantId, round: usize, mine: &mut Mine) {
                match (self, spec) {
                    $((Self::$variant(state), ActivitySpec::$variant(config)) => {
                        config.mine(state, participant, round, mine)
                    })+
                    #[allow(unreachable_patterns)]
                    _ => {}
                }
            }

            /// Every response that counts, for exports.
            pub fn responses(&self, spec: &ActivitySpec) -> Vec<Response> {
                match (self, spec) {
                    $((Self::$variant(state), ActivitySpec::$variant(config)) => config.responses(state),)+
                    #[allow(unreachable_patterns)]
                    _ => Vec::new(),
                }
            }
        }

        impl Aggregate {
            /// Adds up results of an activity from several sessions; parts of another kind
            /// are left out.
            pub fn combine<'a>(spec: &ActivitySpec, parts: impl Iterator<Item = &'a Aggregate>) -> Aggregate {
                match spec {
                    $(ActivitySpec::$variant(config) => {
                        let parts: Vec<&$aggregate> = parts
                            .filter_map(|part| match part {
                                Aggregate::$variant(part) => Some(part),
                                #[allow(unreachable_patterns)]
                                _ => None,
                            })
                            .collect();
                        Aggregate::$variant(config.combine(&parts))
                    })+
                }
            }
        }

        $(
            impl From<<$config as Kind>::Event> for crate::journal::Event {
                fn from(event: <$config as Kind>::Event) -> Self {
                    Self::Activity(ActivityEvent::$variant(event))
                }
            }
        )+

        impl ActivityEvent {
            pub fn activity(&self) -> &str {
                match self { $(Self::$variant(event) => event.activity()),+ }
            }

            pub fn participant(&self) -> Option<ParticipantId> {
                match self { $(Self::$variant(event) => event.participant()),+ }
            }

            pub fn answer_round(&self) -> Option<usize> {
                match self { $(Self::$variant(event) => event.answer_round()),+ }
            }

            pub fn new_item(&self) -> Option<u32> {
                match self { $(Self::$variant(event) => event.new_item()),+ }
            }

            pub fn changes_others(&self) -> bool {
                match self { $(Self::$variant(event) => event.changes_others()),+ }
            }

            pub fn coalesce_key(&self) -> Option<u32> {
                match self { $(Self::$variant(event) => event.coalesce_key()),+ }
            }
        }

        impl ActivityRequest {
            /// The kind request a participant's message makes, with its id; the message back
            /// when it is none of them.
            #[allow(clippy::result_large_err, reason = "an unclaimed message is handed back by value")]
            pub fn from_message(message: ClientMessage) -> Result<(RequestId, Self), ClientMessage> {
                $(
                    let message = match <<$config as Kind>::Request as KindRequest>::from_message(message) {
                        Ok((id, request)) => return Ok((id, Self::$variant(request))),
                        Err(message) => message,
                    };
                )+
                Err(message)
            }

            pub fn activity(&self) -> &str {
                match self { $(Self::$variant(request) => KindRequest::activity(request)),+ }
            }

            pub fn fingerprint(&self, hasher: &mut crate::session::request::RequestHasher) {
                match self { $(Self::$variant(request) => KindRequest::fingerprint(request, hasher)),+ }
            }
        }

        /// Shows the kind's request alone, as older versions' requests showed: the legacy
        /// request fingerprint is made from it.
        impl std::fmt::Debug for ActivityRequest {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self { $(Self::$variant(request) => std::fmt::Debug::fmt(request, f)),+ }
            }
        }

        impl ActivityControl {
            /// The kind control a facilitator's message makes, with its id; the message back
            /// when it is none of them.
            #[allow(clippy::result_large_err, reason = "an unclaimed message is handed back by value")]
            pub fn from_message(message: ClientMessage) -> Result<(RequestId, Self), ClientMessage> {
                $(
                    let message = match <<$config as Kind>::Control as KindControl>::from_message(message) {
                        Ok((id, control)) => return Ok((id, Self::$variant(control))),
                        Err(message) => message,
                    };
                )+
                Err(message)
            }

            pub fn activity(&self) -> &str {
                match self { $(Self::$variant(control) => KindControl::activity(control)),+ }
            }
        }
    };
}

registry! {
    Scale(Scale, ScaleAggregate),
    Wordcloud(WordCloud, WordCloudAggregate),
    Jamboard(Jamboard, JamboardAggregate),
    Choice(choice::Choice, choice::ChoiceAggregate),
    Ranking(ranking::Ranking, ranking::RankingAggregate),
    Points(points::Points, points::PointsAggregate),
}

impl Aggregate {
    /// How many people each figure of these results is made of, beyond the round's
    /// respondents: a scale's n per statement and round (someone may skip a statement) and
    /// its paired n per statement (only those who answered the first and the last round),
    /// a ranking's or points' n per item and round. The suppression rule
    /// ([`crate::session::groups::suppressed`]) compares each with K, and the total's less
    /// the groups shown, exactly as it does the round respondents: a paired change times its
    /// paired n, less the groups shown, is the summed change of whoever is not shown. The
    /// total's and each group's results (of one activity) list them in the same order.
    pub fn figure_sizes(&self) -> Vec<u32> {
        match self {
            Self::Scale(scale) => scale
                .statements
                .iter()
                .flat_map(|statement| {
                    let rounds = statement.rounds.values().map(|round| round.n);
                    rounds.chain(statement.paired.as_ref().map(|paired| paired.n))
                })
                .collect(),
            Self::Ranking(ranking) => {
                ranking.items.iter().flat_map(|item| item.rounds.values().map(|round| round.n)).collect()
            }
            Self::Points(points) => {
                points.items.iter().flat_map(|item| item.rounds.values().map(|round| round.n)).collect()
            }
            // A choice's counts are of the round's respondents; a cloud's and a board's of
            // their participants: the rounds cover them.
            Self::Wordcloud(_) | Self::Jamboard(_) | Self::Choice(_) => Vec::new(),
        }
    }
}

/// One response as exports list it: a scale answer, a word-cloud entry, a note, a choice…
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub participant: ParticipantId,
    pub round: Option<String>,
    pub statement: Option<u32>,
    /// A scale's value; a note's dots.
    pub value: Option<i64>,
    pub text: Option<String>,
    /// A note's frame title.
    pub frame: Option<String>,
    /// A note's theme name.
    pub theme: Option<String>,
    pub hidden: bool,
    /// When it was given or last changed (ms since the Unix epoch).
    pub at: i64,
}

fn internal() -> Refusal {
    Refusal::new(ErrorCode::Internal, "Something went wrong on the server. Please try again.")
}

fn wrong_kind() -> Refusal {
    Refusal::new(ErrorCode::UnknownActivity, "That activity does not take that.")
}

/// Checks and normalises a whole agenda; new activities get fresh ids.
pub fn normalise_agenda(agenda: &mut [Activity], mut new_id: impl FnMut() -> String) -> Result<(), Refusal> {
    if agenda.len() > MAX_ACTIVITIES {
        return Err(Refusal::new(
            ErrorCode::InvalidAgenda,
            format!("An agenda can hold at most {MAX_ACTIVITIES} activities."),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (index, activity) in agenda.iter_mut().enumerate() {
        activity.spec.normalise().map_err(|refusal| refusal.in_activity(index))?;
        if activity.id.trim().is_empty() {
            activity.id = new_id();
        }
        if activity.id.len() > 64 || !seen.insert(activity.id.clone()) {
            return Err(Refusal::new(
                ErrorCode::InvalidAgenda,
                format!("Activity {} has an id that is too long or used twice.", index + 1),
            ));
        }
    }
    Ok(())
}

/// Trims a piece of configuration text and checks its length.
pub(crate) fn clean_text(text: &str, what: &str, max_chars: usize, required: bool) -> Result<String, Refusal> {
    let text = text.trim();
    if required && text.is_empty() {
        return Err(Refusal::new(ErrorCode::InvalidAgenda, format!("The {what} is empty.")));
    }
    if text.chars().count() > max_chars {
        return Err(Refusal::new(
            ErrorCode::InvalidAgenda,
            format!("The {what} is longer than {max_chars} characters."),
        ));
    }
    Ok(text.to_owned())
}
