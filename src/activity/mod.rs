//! Activity kinds: what the facilitator configures, what a participant may answer, and the
//! live aggregate every screen shows.
//!
//! Each kind is one vertical slice in its own module (`scale.rs`; later `wordcloud.rs` and
//! `jamboard.rs`): configuration and its validation, the per-activity state that a session
//! folds answers into, and the aggregate. This module only dispatches on the kind.

pub mod jamboard;
pub mod scale;
pub mod wordcloud;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{ErrorCode, Refusal};
pub use jamboard::{Jamboard, JamboardAggregate, JamboardState};
pub use scale::{Scale, ScaleAggregate, ScaleLabels, ScaleState};
pub use wordcloud::{WordCloud, WordCloudAggregate, WordCloudState};

/// Most activities an agenda may hold.
pub const MAX_ACTIVITIES: usize = 50;
/// Longest activity title, in characters.
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

/// The kind-specific part of an activity, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActivitySpec {
    Scale(Scale),
    Wordcloud(WordCloud),
    Jamboard(Jamboard),
}

impl ActivitySpec {
    /// Checks the configuration and fills in defaults, so that what is stored is what is shown.
    pub fn normalise(&mut self) -> Result<(), Refusal> {
        match self {
            Self::Scale(scale) => scale.normalise(),
            Self::Wordcloud(cloud) => cloud.normalise(),
            Self::Jamboard(board) => board.normalise(),
        }
    }

    /// A short label for lists and logs.
    pub fn title(&self) -> &str {
        match self {
            Self::Scale(scale) => &scale.title,
            Self::Wordcloud(cloud) => &cloud.prompt,
            Self::Jamboard(board) => &board.title,
        }
    }

    /// An empty state for this kind.
    pub fn new_state(&self) -> ActivityState {
        match self {
            Self::Scale(scale) => ActivityState::Scale(ScaleState::new(scale)),
            Self::Wordcloud(_) => ActivityState::Wordcloud(WordCloudState::default()),
            Self::Jamboard(_) => ActivityState::Jamboard(JamboardState::default()),
        }
    }
}

/// What a session has gathered for one activity.
#[derive(Debug, Clone)]
pub enum ActivityState {
    Scale(ScaleState),
    Wordcloud(WordCloudState),
    Jamboard(JamboardState),
}

impl ActivityState {
    /// Whether any participant has answered: such an activity may not be removed or reshaped.
    pub fn has_answers(&self) -> bool {
        match self {
            Self::Scale(state) => state.has_answers(),
            Self::Wordcloud(state) => state.has_answers(),
            Self::Jamboard(state) => state.has_answers(),
        }
    }

    /// How many participants answered (in `round`, for a scale), for "answered / joined".
    pub fn respondents(&self, round: usize) -> u32 {
        match self {
            Self::Scale(state) => state.respondents(round),
            Self::Wordcloud(state) => state.respondents(),
            Self::Jamboard(state) => state.respondents(),
        }
    }

    /// The live aggregate. The console sees hidden items (to show them again); participants
    /// and the projector do not.
    pub fn aggregate(&self, spec: &ActivitySpec, include_hidden: bool) -> Option<Aggregate> {
        match (self, spec) {
            (Self::Scale(state), ActivitySpec::Scale(scale)) => Some(Aggregate::Scale(state.aggregate(scale))),
            (Self::Wordcloud(state), ActivitySpec::Wordcloud(_)) => {
                Some(Aggregate::Wordcloud(state.aggregate(include_hidden, wordcloud::FRAME_GROUPS)))
            }
            (Self::Jamboard(state), ActivitySpec::Jamboard(board)) => {
                Some(Aggregate::Jamboard(state.aggregate(board, include_hidden)))
            }
            _ => None,
        }
    }

    /// Every response that counts, for exports.
    pub fn responses(&self, spec: &ActivitySpec) -> Vec<Response> {
        match (self, spec) {
            (Self::Scale(state), ActivitySpec::Scale(scale)) => state.responses(scale),
            (Self::Wordcloud(state), ActivitySpec::Wordcloud(_)) => state.responses(),
            (Self::Jamboard(state), ActivitySpec::Jamboard(board)) => state.responses(board),
            _ => Vec::new(),
        }
    }

    /// The complete aggregate for exports: hidden items included (marked), nothing cut.
    pub fn full_aggregate(&self, spec: &ActivitySpec) -> Option<Aggregate> {
        match (self, spec) {
            (Self::Wordcloud(state), ActivitySpec::Wordcloud(_)) => {
                Some(Aggregate::Wordcloud(state.aggregate(true, usize::MAX)))
            }
            _ => self.aggregate(spec, true),
        }
    }

    /// Whether this state belongs to an activity of that kind.
    pub fn is_kind_of(&self, spec: &ActivitySpec) -> bool {
        matches!(
            (self, spec),
            (Self::Scale(_), ActivitySpec::Scale(_))
                | (Self::Wordcloud(_), ActivitySpec::Wordcloud(_))
                | (Self::Jamboard(_), ActivitySpec::Jamboard(_))
        )
    }

    /// Checks that a changed configuration still fits the answers gathered, and adapts the
    /// state to it. The configuration has been normalised already.
    pub fn reconfigure(&mut self, spec: &ActivitySpec) -> Result<(), Refusal> {
        match (self, spec) {
            (Self::Scale(state), ActivitySpec::Scale(scale)) => state.reconfigure(scale),
            // A word cloud's entries keep their meaning whatever its prompt or limits; a lower
            // limit applies to new entries only.
            (Self::Wordcloud(_), ActivitySpec::Wordcloud(_)) => Ok(()),
            // Notes stay in the frame they were posted in: frames may be renamed or added.
            (Self::Jamboard(state), ActivitySpec::Jamboard(board)) => {
                if state.has_answers() && board.frames.len() < state.frames_used() {
                    return Err(Refusal::new(
                        ErrorCode::ActivityHasAnswers,
                        "This board has notes: you can rename frames and add new ones, but not remove them.",
                    ));
                }
                Ok(())
            }
            _ => Err(Refusal::new(ErrorCode::ActivityHasAnswers, "An activity cannot change its kind.")),
        }
    }
}

/// One response as exports list it: a scale answer, a word-cloud entry or a note.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub participant: crate::protocol::ParticipantId,
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

/// The live results of one activity (`results.data`), tagged by `kind` like the activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Aggregate {
    Scale(ScaleAggregate),
    Wordcloud(WordCloudAggregate),
    Jamboard(JamboardAggregate),
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
