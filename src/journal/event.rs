//! The events a session is made of. Stored as JSON in the `events` table; replaying a
//! session's events in order rebuilds it exactly, so their meaning must never change:
//! add variants and optional fields, never repurpose one.

use serde::{Deserialize, Serialize};

use crate::activity::{Activity, ActivityEvent};
use crate::protocol::ParticipantId;
use crate::session::groups::{AboutYou, Booked, Split};

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
    /// The facilitator hid or showed an item (a word-cloud group, or a note by its id).
    Hidden {
        activity: String,
        item: String,
        hidden: bool,
    },
    /// The facilitator emptied an activity's results.
    Reset {
        activity: String,
    },
    /// No more answers.
    Closed,
    /// The "About you" question was set, changed or taken away (null), before anyone
    /// answered it.
    AboutYou {
        about_you: Option<AboutYou>,
    },
    /// The organiser typed in how many booked, in total and per group.
    Booked {
        booked: Booked,
    },
    /// A participant answered the "About you" question: a group's index, or null for
    /// "prefer not to say". Their answers count for this group from now on.
    GroupChosen {
        participant: ParticipantId,
        group: Option<u32>,
    },
    /// The facilitator chose what the projector may show of the groups.
    ProjectorGroups {
        split: Option<Split>,
    },
    /// The organiser saved the report's content (the whole of it; the last one counts). With
    /// `series`, the content of the series report, kept with the series' first session.
    /// Taken in a closed session too: reports are written after the workshop.
    ReportSaved {
        content: Box<crate::report::content::ReportContent>,
        #[serde(default)]
        series: bool,
    },
    /// "What we heard" was published at `/r/<id>` with these sections (`id` null: revoked).
    SummaryPublished {
        id: Option<String>,
        #[serde(default)]
        sections: Vec<String>,
    },
    /// The facilitator showed or hid the QR code of "what we heard" on the projector.
    SummaryQr {
        show: bool,
    },
    /// An event of an activity's kind (an answer, an entry, a note, …): the kind's own, each
    /// tagged by its `type` as the others are, so the stored JSON is the same as before
    /// kinds became slices.
    #[serde(untagged)]
    Activity(ActivityEvent),
}

impl Event {
    /// The participant whose request this event is, for participants' changes.
    pub fn participant(&self) -> Option<ParticipantId> {
        match self {
            Self::Activity(event) => event.participant(),
            Self::GroupChosen { participant, .. } => Some(*participant),
            _ => None,
        }
    }

    /// The item number (entry, note or theme) this event creates, if it may create one.
    pub fn new_item(&self) -> Option<u32> {
        match self {
            Self::Activity(event) => event.new_item(),
            _ => None,
        }
    }
}
