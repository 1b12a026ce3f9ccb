//! The events a session is made of. Stored as JSON in the `events` table; replaying a
//! session's events in order rebuilds it exactly, so their meaning must never change:
//! add variants and optional fields, never repurpose one.

use serde::{Deserialize, Serialize};

use crate::activity::Activity;
use crate::activity::jamboard::Color;
use crate::protocol::ParticipantId;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The agenda was set (at creation) or replaced; ids of kept activities are kept.
    AgendaReplaced {
        agenda: Vec<Activity>,
    },
    /// A new participant joined; only the hash of its token is kept.
    Joined {
        participant: ParticipantId,
        token_hash: String,
    },
    /// The facilitator removed these participants, who had not answered anything.
    Removed {
        participants: Vec<ParticipantId>,
    },
    /// The facilitator moved to a step (`activity` null: the waiting screen), closing answers
    /// everywhere else. Written by older versions; [`Event::Goto`] replaced it.
    Step {
        activity: Option<String>,
        round: usize,
        open: bool,
        reveal: bool,
    },
    /// Answers to the activity on screen stopped or resumed. Written by older versions;
    /// [`Event::Opened`] replaced it.
    SetOpen {
        open: bool,
    },
    /// The facilitator moved to a step (`activity` null: the waiting screen). That activity's
    /// round opens for answers (closing its other rounds); other activities keep taking answers
    /// until stopped, so an answer tapped as the screen moves on is not lost.
    Goto {
        activity: Option<String>,
        round: usize,
    },
    /// Answers to an activity stopped (by the facilitator or a timer) or resumed.
    Opened {
        activity: String,
        open: bool,
    },
    /// The facilitator showed or hid an activity's results on the projector.
    Projector {
        activity: String,
        show: bool,
    },
    /// The facilitator turned the projector to a page (null: pages turn by themselves).
    ProjectorPage {
        page: Option<u32>,
    },
    /// A countdown on an activity started (`ends_at` in ms since the epoch) or was cancelled
    /// (`ends_at` null).
    Timer {
        activity: String,
        seconds: u32,
        ends_at: Option<i64>,
        stop_answers: bool,
    },
    Reveal {
        show: bool,
    },
    /// A participant rated one statement of a scale in one round.
    ScaleAnswer {
        participant: ParticipantId,
        activity: String,
        round: usize,
        statement: usize,
        value: i32,
    },
    /// A participant added an entry to a word cloud (`text` as cleaned by the text pipeline).
    WordEntry {
        participant: ParticipantId,
        activity: String,
        entry: u32,
        text: String,
    },
    /// A participant deleted one of their own word-cloud entries.
    EntryDeleted {
        participant: ParticipantId,
        activity: String,
        entry: u32,
    },
    /// A participant posted a note on a jam board.
    NoteAdded {
        participant: ParticipantId,
        activity: String,
        note: u32,
        frame: u32,
        text: String,
        color: Color,
    },
    /// The author changed a note's text (and perhaps its colour).
    NoteEdited {
        participant: ParticipantId,
        activity: String,
        note: u32,
        text: String,
        color: Option<Color>,
    },
    /// The author deleted a note.
    NoteDeleted {
        participant: ParticipantId,
        activity: String,
        note: u32,
    },
    /// The facilitator placed a note (0–1 within its frame), perhaps in another frame.
    NoteMoved {
        activity: String,
        note: u32,
        frame: Option<u32>,
        x: f32,
        y: f32,
    },
    /// The facilitator created or renamed a theme.
    ThemeSet {
        activity: String,
        theme: u32,
        name: String,
    },
    /// The facilitator put a note in a theme (or took it out).
    NoteThemed {
        activity: String,
        note: u32,
        theme: Option<u32>,
    },
    /// The facilitator locked or unlocked a board.
    Locked {
        activity: String,
        locked: bool,
    },
    /// The facilitator switched dot voting on or off.
    Voting {
        activity: String,
        open: bool,
    },
    /// A participant put a dot on a note, or took one back.
    Dot {
        participant: ParticipantId,
        activity: String,
        note: u32,
        add: bool,
    },
    /// The facilitator hid or showed an item (a word-cloud group, or a note by its id).
    Hidden {
        activity: String,
        item: String,
        hidden: bool,
    },
    /// The facilitator merged one word-cloud group into another.
    Merged {
        activity: String,
        from: String,
        into: String,
    },
    /// The facilitator emptied an activity's results.
    Reset {
        activity: String,
    },
    /// No more answers.
    Closed,
}

impl Event {
    /// The participant whose request this event is, for participants' changes.
    pub fn participant(&self) -> Option<ParticipantId> {
        match self {
            Self::ScaleAnswer { participant, .. }
            | Self::WordEntry { participant, .. }
            | Self::EntryDeleted { participant, .. }
            | Self::NoteAdded { participant, .. }
            | Self::NoteEdited { participant, .. }
            | Self::NoteDeleted { participant, .. }
            | Self::Dot { participant, .. } => Some(*participant),
            _ => None,
        }
    }

    /// The item number (entry, note or theme) this event creates, if it may create one.
    pub fn new_item(&self) -> Option<u32> {
        match self {
            Self::WordEntry { entry, .. } => Some(*entry),
            Self::NoteAdded { note, .. } => Some(*note),
            Self::ThemeSet { theme, .. } => Some(*theme),
            _ => None,
        }
    }
}
