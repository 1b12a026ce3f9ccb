//! The events a session is made of. Stored as JSON in the `events` table; replaying a
//! session's events in order rebuilds it exactly, so their meaning must never change:
//! add variants and optional fields, never repurpose one.

use serde::{Deserialize, Serialize};

use crate::activity::Activity;
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
    /// The facilitator moved to a step (`activity` null: the waiting screen).
    Step {
        activity: Option<String>,
        round: usize,
        open: bool,
        reveal: bool,
    },
    SetOpen {
        open: bool,
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
    /// The facilitator hid or showed an item (a word-cloud group).
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
