//! Jam boards: sticky notes from phones in frames ("Barriers", "Successes", "Pledges"),
//! arranged live by the facilitator.
//!
//! Only a note's author edits or deletes it (identity is the participant's token); the
//! facilitator moves, themes and hides any note but never rewrites one. The keywords (the
//! 25 most frequent meaningful words over the visible notes, each counted once per note)
//! are kept as a running [`Tally`], so adding or editing a note costs its own words only.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

mod export;

use rust_xlsxwriter::{Worksheet, XlsxError};

use super::kind::{Answer, Ctx, Effect, Kind, KindControl, KindEvent, KindRequest, ReportPart, Section, View};
use super::{Response, clean_text};
use crate::error::{ErrorCode, Refusal};
use crate::protocol::{ClientMessage, Mine, ParticipantId, RequestId};
use crate::report::Block;
use crate::session::request::RequestHasher;
use crate::sheet::Styles;
use crate::text::{self, Tally};

/// Most frames one board may have.
pub const MAX_FRAMES: usize = 6;
/// Longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 280;
/// Most notes one participant may be allowed.
pub const MAX_NOTES_LIMIT: u32 = 100;
/// Most notes on one board, whoever wrote them.
pub const MAX_BOARD_NOTES: usize = 5000;
/// Most dots a participant may be given.
pub const MAX_DOTS: u32 = 20;
/// Most themes on one board.
pub const MAX_THEMES: usize = 50;
/// How many keywords the results carry.
pub const KEYWORDS: usize = 25;

/// A jam board's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Jamboard {
    pub title: String,
    /// 1–6 frame titles.
    pub frames: Vec<String>,
    /// Dots each participant may spend when voting is on (0: no dot voting).
    #[serde(default)]
    pub dots: u32,
    /// Notes each participant may post (default 20).
    #[serde(default = "default_notes")]
    pub notes_per_participant: u32,
}

fn default_notes() -> u32 {
    20
}

impl Jamboard {
    fn check_config(&mut self) -> Result<(), Refusal> {
        let invalid = |message: String| Refusal::new(ErrorCode::InvalidAgenda, message);
        self.title = clean_text(&self.title, "title", super::MAX_TITLE_CHARS, false)?;
        if self.frames.is_empty() || self.frames.len() > MAX_FRAMES {
            return Err(invalid(format!("A jam board needs 1 to {MAX_FRAMES} frames.")));
        }
        for frame in &mut self.frames {
            *frame = clean_text(frame, "frame title", 60, true)?;
        }
        if self.title.is_empty() {
            self.title = self.frames.join(", ");
        }
        if self.dots > MAX_DOTS {
            return Err(invalid(format!("Give each person at most {MAX_DOTS} dots.")));
        }
        if !(1..=MAX_NOTES_LIMIT).contains(&self.notes_per_participant) {
            return Err(invalid(format!("Allow each person 1 to {MAX_NOTES_LIMIT} notes.")));
        }
        Ok(())
    }
}

/// The six note colours; each has text with AA contrast in the web app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Color {
    Yellow,
    Pink,
    Blue,
    Green,
    Orange,
    Purple,
}

#[derive(Debug, Clone)]
struct Note {
    author: ParticipantId,
    frame: u32,
    text: String,
    color: Color,
    /// Position within its frame, 0–1 on each axis; `None` until the facilitator places it.
    place: Option<(f32, f32)>,
    theme: Option<u32>,
    votes: u32,
    hidden: bool,
    /// When it was posted or last edited.
    at: i64,
}

/// A note as posted.
#[derive(Debug, Clone, Copy)]
pub struct NewNote<'a> {
    pub participant: ParticipantId,
    pub id: u32,
    pub frame: u32,
    pub text: &'a str,
    pub color: Color,
    pub at: i64,
}

/// Everything a session has gathered for one jam board.
#[derive(Debug, Clone, Default)]
pub struct JamboardState {
    /// By id, which is creation order.
    notes: BTreeMap<u32, Note>,
    written: HashMap<ParticipantId, u32>,
    /// Each participant's notes on the board, by id: a group's tally counts them.
    authored: HashMap<ParticipantId, Vec<u32>>,
    themes: BTreeMap<u32, String>,
    /// Each participant's dots: note ids, one entry per dot.
    dots: HashMap<ParticipantId, Vec<u32>>,
    locked: bool,
    voting: bool,
    /// Meaningful words over the visible notes.
    keywords: Tally,
}

fn not_found() -> Refusal {
    Refusal::new(ErrorCode::NotFound, "That note is not on the board.")
}

/// A note's text, trimmed and checked.
pub fn note_text(raw: &str) -> Result<String, Refusal> {
    let text = crate::text::strip_controls(raw, true);
    let text = text.trim();
    if !crate::text::has_visible(text) {
        return Err(Refusal::new(ErrorCode::InvalidText, "Write something on the note first."));
    }
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(Refusal::new(
            ErrorCode::InvalidText,
            format!("A note can be at most {MAX_NOTE_CHARS} characters."),
        ));
    }
    Ok(text.to_owned())
}

impl JamboardState {
    pub fn has_answers(&self) -> bool {
        !self.notes.is_empty()
    }

    /// How many participants have a note on the board or a dot on one. O(participants), so
    /// it is counted once per published frame, not per change.
    pub fn respondents(&self) -> u32 {
        let writers = self.written.iter().filter(|(_, n)| **n > 0).count();
        let voters_only = self
            .dots
            .iter()
            .filter(|(participant, dots)| !dots.is_empty() && self.written.get(participant).is_none_or(|n| *n == 0))
            .count();
        (writers + voters_only) as u32
    }

    /// How many frames the notes need: one more than the highest frame holding a note.
    pub fn frames_used(&self) -> usize {
        self.notes.values().map(|note| note.frame as usize + 1).max().unwrap_or(0)
    }

    fn note(&self, id: u32) -> Result<&Note, Refusal> {
        self.notes.get(&id).ok_or_else(not_found)
    }

    fn unlocked(&self) -> Result<(), Refusal> {
        if self.locked { Err(Refusal::new(ErrorCode::NotOpen, "The board is locked for now.")) } else { Ok(()) }
    }

    fn own(&self, participant: ParticipantId, id: u32) -> Result<&Note, Refusal> {
        let note = self.note(id)?;
        if note.author != participant {
            return Err(Refusal::new(ErrorCode::Forbidden, "Only the person who wrote a note can change it."));
        }
        Ok(note)
    }

    fn count_words(&mut self, text: &str, add: bool) {
        for (key, spelling) in text::note_words(text, &[]) {
            if add {
                self.keywords.add(&key, &spelling, false);
            } else {
                self.keywords.remove(&key, &spelling);
            }
        }
    }

    pub fn check_add(&self, participant: ParticipantId, frame: u32, config: &Jamboard) -> Result<(), Refusal> {
        self.unlocked()?;
        if frame as usize >= config.frames.len() {
            return Err(Refusal::new(ErrorCode::NotFound, "That frame is not on the board."));
        }
        let written = self.written.get(&participant).copied().unwrap_or(0);
        if written >= config.notes_per_participant {
            let n = config.notes_per_participant;
            return Err(Refusal::new(
                ErrorCode::TooManyEntries,
                format!("You have posted {n} notes, the most this board takes from one person."),
            ));
        }
        if self.notes.len() >= MAX_BOARD_NOTES {
            return Err(Refusal::new(ErrorCode::LimitReached, "This board is full."));
        }
        Ok(())
    }

    pub fn add(&mut self, new: NewNote<'_>, config: &Jamboard) -> Result<(), Refusal> {
        let NewNote { participant, id, frame, text, color, at } = new;
        self.check_add(participant, frame, config)?;
        let text = note_text(text)?;
        if self.notes.contains_key(&id) {
            return Err(Refusal::new(ErrorCode::InvalidMessage, "That note exists already."));
        }
        self.count_words(&text, true);
        let note =
            Note { author: participant, frame, text, color, place: None, theme: None, votes: 0, hidden: false, at };
        self.notes.insert(id, note);
        *self.written.entry(participant).or_default() += 1;
        self.authored.entry(participant).or_default().push(id);
        Ok(())
    }

    pub fn check_edit(&self, participant: ParticipantId, id: u32) -> Result<(), Refusal> {
        self.unlocked()?;
        self.own(participant, id).map(|_| ())
    }

    pub fn edit(
        &mut self,
        participant: ParticipantId,
        id: u32,
        text: &str,
        color: Option<Color>,
        at: i64,
    ) -> Result<(), Refusal> {
        self.check_edit(participant, id)?;
        let text = note_text(text)?;
        let (old, hidden) = {
            let note = self.note(id)?;
            (note.text.clone(), note.hidden)
        };
        if !hidden {
            self.count_words(&old, false);
            self.count_words(&text, true);
        }
        if let Some(note) = self.notes.get_mut(&id) {
            note.text = text;
            note.at = at;
            if let Some(color) = color {
                note.color = color;
            }
        }
        Ok(())
    }

    pub fn delete(&mut self, participant: ParticipantId, id: u32) -> Result<(), Refusal> {
        self.check_edit(participant, id)?;
        let Some(note) = self.notes.remove(&id) else { return Err(not_found()) };
        if let Some(written) = self.written.get_mut(&note.author) {
            *written = written.saturating_sub(1);
        }
        if let Some(ids) = self.authored.get_mut(&note.author) {
            ids.retain(|&other| other != id);
        }
        if !note.hidden {
            self.count_words(&note.text, false);
        }
        // Dots on a deleted note go back to their owners.
        for dots in self.dots.values_mut() {
            dots.retain(|&dot| dot != id);
        }
        Ok(())
    }

    pub fn check_move(&self, id: u32, frame: Option<u32>, x: f32, y: f32, config: &Jamboard) -> Result<(), Refusal> {
        self.note(id)?;
        if frame.is_some_and(|frame| frame as usize >= config.frames.len()) {
            return Err(Refusal::new(ErrorCode::NotFound, "That frame is not on the board."));
        }
        if !(0.0..=1.0).contains(&x) || !(0.0..=1.0).contains(&y) {
            return Err(Refusal::new(ErrorCode::OutOfRange, "A note's place is given from 0 to 1 across and down."));
        }
        Ok(())
    }

    /// Places a note (facilitator): `x` and `y` from 0 to 1 within the frame.
    pub fn place(&mut self, id: u32, frame: Option<u32>, x: f32, y: f32, config: &Jamboard) -> Result<(), Refusal> {
        self.check_move(id, frame, x, y, config)?;
        if let Some(note) = self.notes.get_mut(&id) {
            note.place = Some((x, y));
            if let Some(frame) = frame {
                note.frame = frame;
            }
        }
        Ok(())
    }

    pub fn check_hide(&self, id: u32) -> Result<(), Refusal> {
        self.note(id).map(|_| ())
    }

    pub fn hide(&mut self, id: u32, hidden: bool) -> Result<(), Refusal> {
        let note = self.note(id)?;
        if note.hidden == hidden {
            return Ok(());
        }
        let text = note.text.clone();
        self.count_words(&text, !hidden);
        if let Some(note) = self.notes.get_mut(&id) {
            note.hidden = hidden;
        }
        Ok(())
    }

    pub fn check_theme(&self, theme: Option<u32>, name: &str) -> Result<(), Refusal> {
        if theme.is_some_and(|id| !self.themes.contains_key(&id)) {
            return Err(Refusal::new(ErrorCode::NotFound, "That theme is not on the board."));
        }
        if theme.is_none() && self.themes.len() >= MAX_THEMES {
            return Err(Refusal::new(
                ErrorCode::LimitReached,
                format!("A board can have at most {MAX_THEMES} themes."),
            ));
        }
        clean_text(name, "theme name", 60, true)
            .map(|_| ())
            .map_err(|r| Refusal::new(ErrorCode::InvalidText, r.message))
    }

    /// Creates theme `id`, or renames it.
    pub fn set_theme(&mut self, id: u32, name: &str) -> Result<(), Refusal> {
        // Checked again: two new themes may have been checked against the same board.
        self.check_theme(self.themes.contains_key(&id).then_some(id), name)?;
        let name =
            clean_text(name, "theme name", 60, true).map_err(|r| Refusal::new(ErrorCode::InvalidText, r.message))?;
        self.themes.insert(id, name);
        Ok(())
    }

    pub fn check_note_theme(&self, id: u32, theme: Option<u32>) -> Result<(), Refusal> {
        self.note(id)?;
        if theme.is_some_and(|theme| !self.themes.contains_key(&theme)) {
            return Err(Refusal::new(ErrorCode::NotFound, "That theme is not on the board."));
        }
        Ok(())
    }

    pub fn note_theme(&mut self, id: u32, theme: Option<u32>) -> Result<(), Refusal> {
        self.check_note_theme(id, theme)?;
        if let Some(note) = self.notes.get_mut(&id) {
            note.theme = theme;
        }
        Ok(())
    }

    pub fn lock(&mut self, locked: bool) {
        self.locked = locked;
    }

    pub fn check_voting(&self, config: &Jamboard) -> Result<(), Refusal> {
        if config.dots == 0 {
            return Err(Refusal::new(ErrorCode::NotOpen, "Give this board some dots in the agenda to vote."));
        }
        Ok(())
    }

    pub fn set_voting(&mut self, open: bool) {
        self.voting = open;
    }

    pub fn voting(&self) -> bool {
        self.voting
    }

    pub fn check_dot(&self, participant: ParticipantId, id: u32, add: bool, config: &Jamboard) -> Result<(), Refusal> {
        if !self.voting {
            return Err(Refusal::new(ErrorCode::NotOpen, "Dot voting is not on."));
        }
        let note = self.note(id)?;
        if note.hidden {
            return Err(not_found());
        }
        let mine = self.dots.get(&participant).map(Vec::as_slice).unwrap_or_default();
        if add && mine.len() >= config.dots as usize {
            let n = config.dots;
            return Err(Refusal::new(
                ErrorCode::TooManyEntries,
                format!("You have used all {n} of your dots. Take one back to vote again."),
            ));
        }
        if !add && !mine.contains(&id) {
            return Err(Refusal::new(ErrorCode::NotFound, "You have no dot on that note."));
        }
        Ok(())
    }

    /// Puts one of a participant's dots on a note, or takes one back.
    pub fn dot(&mut self, participant: ParticipantId, id: u32, add: bool, config: &Jamboard) -> Result<(), Refusal> {
        self.check_dot(participant, id, add, config)?;
        let mine = self.dots.entry(participant).or_default();
        if add {
            mine.push(id);
        } else if let Some(at) = mine.iter().position(|&dot| dot == id) {
            mine.remove(at);
        }
        if let Some(note) = self.notes.get_mut(&id) {
            note.votes = if add { note.votes + 1 } else { note.votes.saturating_sub(1) };
        }
        Ok(())
    }

    /// One row per note, in the order they were posted; `value` is the note's dots.
    pub fn responses(&self, config: &Jamboard) -> Vec<Response> {
        self.notes
            .values()
            .map(|note| Response {
                participant: note.author,
                round: None,
                statement: None,
                value: Some(i64::from(note.votes)),
                text: Some(note.text.clone()),
                frame: config.frames.get(note.frame as usize).cloned(),
                theme: note.theme.and_then(|theme| self.themes.get(&theme).cloned()),
                hidden: note.hidden,
                at: note.at,
            })
            .collect()
    }

    /// A participant's own notes and dots.
    pub fn mine(&self, participant: ParticipantId) -> (Vec<OwnNote>, Vec<u32>) {
        let notes = self
            .notes
            .iter()
            .filter(|(_, note)| note.author == participant)
            .map(|(id, note)| OwnNote { id: *id, frame: note.frame, text: note.text.clone(), color: note.color })
            .collect();
        (notes, self.dots.get(&participant).cloned().unwrap_or_default())
    }

    /// Adds a participant's notes and dots to a group's tally, or takes them away:
    /// O(their notes and dots).
    fn count(&self, tally: &mut BoardTally, participant: ParticipantId, add: bool) {
        let notes = self.authored.get(&participant).map_or(&[][..], Vec::as_slice);
        let dots = self.dots.get(&participant).map_or(&[][..], Vec::as_slice);
        let step = |n: &mut u32| if add { *n += 1 } else { *n -= 1 };
        for id in notes {
            step(tally.written.entry(*id).or_default());
            if let Some(note) = self.notes.get(id).filter(|note| !note.hidden) {
                for (key, spelling) in text::note_words(&note.text, &[]) {
                    if add {
                        tally.keywords.add(&key, &spelling, false);
                    } else {
                        tally.keywords.remove(&key, &spelling);
                    }
                }
            }
        }
        for id in dots {
            step(tally.votes.entry(*id).or_default());
        }
        if !notes.is_empty() || !dots.is_empty() {
            step(&mut tally.participants);
        }
        tally.written.retain(|_, n| *n > 0);
        tally.votes.retain(|_, n| *n > 0);
    }

    /// One group's board: the notes its members wrote and those they put dots on, each with
    /// the group's dots only.
    fn tally_aggregate(&self, config: &Jamboard, tally: &BoardTally, include_hidden: bool) -> JamboardAggregate {
        let mut whole = self.aggregate(config, include_hidden);
        for frame in &mut whole.frames {
            frame.notes.retain_mut(|note| {
                note.votes = tally.votes.get(&note.id).copied().unwrap_or(0);
                note.dots_only = !tally.written.contains_key(&note.id);
                note.votes > 0 || !note.dots_only
            });
        }
        whole.keywords = tally
            .keywords
            .ranked(|_| true, KEYWORDS)
            .into_iter()
            .map(|word| Keyword { text: word.display.to_owned(), count: word.count })
            .collect();
        whole
    }

    pub fn aggregate(&self, config: &Jamboard, include_hidden: bool) -> JamboardAggregate {
        let mut frames: Vec<FrameResults> =
            config.frames.iter().map(|title| FrameResults { title: title.clone(), notes: Vec::new() }).collect();
        for (id, note) in &self.notes {
            if note.hidden && !include_hidden {
                continue;
            }
            if let Some(frame) = frames.get_mut(note.frame as usize) {
                frame.notes.push(NoteView {
                    id: *id,
                    text: note.text.clone(),
                    color: note.color,
                    x: note.place.map(|(x, _)| x),
                    y: note.place.map(|(_, y)| y),
                    theme: note.theme,
                    votes: note.votes,
                    hidden: note.hidden,
                    dots_only: false,
                });
            }
        }
        let themes = self.themes.iter().map(|(id, name)| Theme { id: *id, name: name.clone() }).collect();
        let keywords = self
            .keywords
            .ranked(|_| true, KEYWORDS)
            .into_iter()
            .map(|word| Keyword { text: word.display.to_owned(), count: word.count })
            .collect();
        JamboardAggregate { frames, themes, keywords, locked: self.locked, voting: self.voting, dots: config.dots }
    }
}

/// One group's part of a board: the notes its members wrote, the dots they gave per note,
/// and the words of their visible notes.
#[derive(Debug, Clone, Default)]
pub struct BoardTally {
    written: HashMap<u32, u32>,
    votes: HashMap<u32, u32>,
    keywords: Tally,
    /// Members with a note or a dot.
    participants: u32,
}

/// One of a participant's own notes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OwnNote {
    #[serde(with = "crate::protocol::item_id")]
    #[ts(type = "string")]
    pub id: u32,
    pub frame: u32,
    pub text: String,
    pub color: Color,
}

/// The live board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct JamboardAggregate {
    pub frames: Vec<FrameResults>,
    pub themes: Vec<Theme>,
    /// The most frequent meaningful words over the visible notes, each counted once per note.
    pub keywords: Vec<Keyword>,
    /// Participants cannot add, edit or delete notes.
    pub locked: bool,
    /// Dot voting is on.
    pub voting: bool,
    /// Dots per participant.
    pub dots: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct FrameResults {
    pub title: String,
    /// In the order they were posted.
    pub notes: Vec<NoteView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct NoteView {
    #[serde(with = "crate::protocol::item_id")]
    #[ts(type = "string")]
    pub id: u32,
    pub text: String,
    pub color: Color,
    /// Place within the frame, 0–1 across; null until the facilitator places the note.
    pub x: Option<f32>,
    /// Place within the frame, 0–1 down.
    pub y: Option<f32>,
    pub theme: Option<u32>,
    pub votes: u32,
    pub hidden: bool,
    /// In one group's board (`by_group`): nobody in the group wrote the note, it is there
    /// for the group's dots on it. Left out when false (always on the whole board), so the
    /// frame of a board split 8 ways does not grow by a field on every note.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[ts(as = "Option<bool>", optional)]
    pub dots_only: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Theme {
    pub id: u32,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Keyword {
    pub text: String,
    pub count: u32,
}

/// A jam board's journal events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JamboardEvent {
    /// A participant posted a note on a jam board.
    NoteAdded { participant: ParticipantId, activity: String, note: u32, frame: u32, text: String, color: Color },
    /// The author changed a note's text (and perhaps its colour).
    NoteEdited { participant: ParticipantId, activity: String, note: u32, text: String, color: Option<Color> },
    /// The author deleted a note.
    NoteDeleted { participant: ParticipantId, activity: String, note: u32 },
    /// The facilitator placed a note (0–1 within its frame), perhaps in another frame.
    NoteMoved { activity: String, note: u32, frame: Option<u32>, x: f32, y: f32 },
    /// The facilitator created or renamed a theme.
    ThemeSet { activity: String, theme: u32, name: String },
    /// The facilitator put a note in a theme (or took it out).
    NoteThemed { activity: String, note: u32, theme: Option<u32> },
    /// The facilitator locked or unlocked a board.
    Locked { activity: String, locked: bool },
    /// The facilitator switched dot voting on or off.
    Voting { activity: String, open: bool },
    /// A participant put a dot on a note, or took one back.
    Dot { participant: ParticipantId, activity: String, note: u32, add: bool },
}

impl KindEvent for JamboardEvent {
    fn activity(&self) -> &str {
        match self {
            Self::NoteAdded { activity, .. }
            | Self::NoteEdited { activity, .. }
            | Self::NoteDeleted { activity, .. }
            | Self::NoteMoved { activity, .. }
            | Self::ThemeSet { activity, .. }
            | Self::NoteThemed { activity, .. }
            | Self::Locked { activity, .. }
            | Self::Voting { activity, .. }
            | Self::Dot { activity, .. } => activity,
        }
    }

    fn participant(&self) -> Option<ParticipantId> {
        match self {
            Self::NoteAdded { participant, .. }
            | Self::NoteEdited { participant, .. }
            | Self::NoteDeleted { participant, .. }
            | Self::Dot { participant, .. } => Some(*participant),
            _ => None,
        }
    }

    fn answer_round(&self) -> Option<usize> {
        matches!(self, Self::NoteAdded { .. }).then_some(0)
    }

    /// A deleted note's dots go back to whoever gave them.
    fn changes_others(&self) -> bool {
        matches!(self, Self::NoteDeleted { .. })
    }

    fn new_item(&self) -> Option<u32> {
        match self {
            Self::NoteAdded { note, .. } => Some(*note),
            Self::ThemeSet { theme, .. } => Some(*theme),
            _ => None,
        }
    }

    fn coalesce_key(&self) -> Option<u32> {
        match self {
            Self::NoteMoved { note, .. } => Some(*note),
            _ => None,
        }
    }
}

/// A participant's request of a jam board.
#[derive(Debug, Clone, PartialEq)]
pub enum JamboardRequest {
    // Named as older versions named them: the legacy request fingerprint shows the names.
    NoteAdd { activity: String, frame: u32, text: String, color: Color },
    NoteEdit { activity: String, note: u32, text: String, color: Option<Color> },
    NoteDelete { activity: String, note: u32 },
    Dot { activity: String, note: u32, add: bool },
}

impl KindRequest for JamboardRequest {
    fn from_message(message: ClientMessage) -> Result<(RequestId, Self), ClientMessage> {
        Ok(match message {
            ClientMessage::NoteAdd { id, activity, frame, text, color } => {
                (id, Self::NoteAdd { activity, frame, text, color })
            }
            ClientMessage::NoteEdit { id, activity, note, text, color } => {
                (id, Self::NoteEdit { activity, note, text, color })
            }
            ClientMessage::NoteDelete { id, activity, note } => (id, Self::NoteDelete { activity, note }),
            ClientMessage::Dot { id, activity, note, add } => (id, Self::Dot { activity, note, add }),
            other => return Err(other),
        })
    }

    fn activity(&self) -> &str {
        match self {
            Self::NoteAdd { activity, .. }
            | Self::NoteEdit { activity, .. }
            | Self::NoteDelete { activity, .. }
            | Self::Dot { activity, .. } => activity,
        }
    }

    fn fingerprint(&self, hasher: &mut RequestHasher) {
        let color = |color: Color| match color {
            Color::Yellow => 1,
            Color::Pink => 2,
            Color::Blue => 3,
            Color::Green => 4,
            Color::Orange => 5,
            Color::Purple => 6,
        };
        match self {
            Self::NoteAdd { activity, frame, text, color: c } => {
                hasher.tag(3).text(activity).number((*frame).into()).text(text).tag(color(*c));
            }
            Self::NoteEdit { activity, note, text, color: c } => {
                hasher.tag(4).text(activity).number((*note).into()).text(text);
                hasher.option(*c, |h, c| h.tag(color(c)));
            }
            Self::NoteDelete { activity, note } => {
                hasher.tag(5).text(activity).number((*note).into());
            }
            Self::Dot { activity, note, add } => {
                hasher.tag(6).text(activity).number((*note).into()).tag(u8::from(*add));
            }
        }
    }
}

/// The facilitator's requests of a jam board, besides hiding a note.
#[derive(Debug, Clone, PartialEq)]
pub enum JamboardControl {
    Move { activity: String, note: u32, frame: Option<u32>, x: f32, y: f32 },
    Theme { activity: String, theme: Option<u32>, name: String },
    NoteTheme { activity: String, note: u32, theme: Option<u32> },
    Lock { activity: String, locked: bool },
    Voting { activity: String, open: bool },
}

impl KindControl for JamboardControl {
    fn from_message(message: ClientMessage) -> Result<(RequestId, Self), ClientMessage> {
        Ok(match message {
            ClientMessage::Move { id, activity, note, frame, x, y } => (id, Self::Move { activity, note, frame, x, y }),
            ClientMessage::Theme { id, activity, theme, name } => (id, Self::Theme { activity, theme, name }),
            ClientMessage::NoteTheme { id, activity, note, theme } => (id, Self::NoteTheme { activity, note, theme }),
            ClientMessage::Lock { id, activity, locked } => (id, Self::Lock { activity, locked }),
            ClientMessage::Voting { id, activity, open } => (id, Self::Voting { activity, open }),
            other => return Err(other),
        })
    }

    fn activity(&self) -> &str {
        match self {
            Self::Move { activity, .. }
            | Self::Theme { activity, .. }
            | Self::NoteTheme { activity, .. }
            | Self::Lock { activity, .. }
            | Self::Voting { activity, .. } => activity,
        }
    }
}

/// A note's id as the wire gives it in `hide`.
fn note_id(item: &str) -> Result<u32, Refusal> {
    item.parse().map_err(|_| not_found())
}

impl Kind for Jamboard {
    type State = JamboardState;
    type Event = JamboardEvent;
    type Request = JamboardRequest;
    type Control = JamboardControl;
    type Aggregate = JamboardAggregate;

    const NAME: &'static str = "jamboard";
    const LIVE_ON_PROJECTOR: bool = true;
    const REPORT_PART: ReportPart = ReportPart::Notes;

    fn normalise(&mut self) -> Result<(), Refusal> {
        self.check_config()
    }

    fn title(&self) -> &str {
        &self.title
    }

    fn new_state(&self) -> JamboardState {
        JamboardState::default()
    }

    /// Notes stay in the frame they were posted in: frames may be renamed or added.
    fn reconfigure(&self, state: &mut JamboardState) -> Result<(), Refusal> {
        if state.has_answers() && self.frames.len() < state.frames_used() {
            return Err(Refusal::new(
                ErrorCode::ActivityHasAnswers,
                "This board has notes: you can rename frames and add new ones, but not remove them.",
            ));
        }
        Ok(())
    }

    fn has_answers(&self, state: &JamboardState) -> bool {
        state.has_answers()
    }

    fn respondents(&self, state: &JamboardState, _: usize) -> u32 {
        state.respondents()
    }

    fn propose_answer(&self, _: &JamboardState, _: &Answer, _: Ctx) -> Result<JamboardEvent, Refusal> {
        Err(Refusal::new(ErrorCode::UnknownActivity, "A jam board takes notes, not answers."))
    }

    fn propose_request(
        &self,
        state: &JamboardState,
        request: &JamboardRequest,
        ctx: Ctx,
    ) -> Result<JamboardEvent, Refusal> {
        let participant = ctx.participant()?;
        Ok(match request {
            JamboardRequest::NoteAdd { activity, frame, text, color } => {
                let text = note_text(text)?;
                state.check_add(participant, *frame, self)?;
                JamboardEvent::NoteAdded {
                    participant,
                    activity: activity.clone(),
                    note: ctx.item,
                    frame: *frame,
                    text,
                    color: *color,
                }
            }
            JamboardRequest::NoteEdit { activity, note, text, color } => {
                let text = note_text(text)?;
                state.check_edit(participant, *note)?;
                JamboardEvent::NoteEdited { participant, activity: activity.clone(), note: *note, text, color: *color }
            }
            JamboardRequest::NoteDelete { activity, note } => {
                state.check_edit(participant, *note)?;
                JamboardEvent::NoteDeleted { participant, activity: activity.clone(), note: *note }
            }
            JamboardRequest::Dot { activity, note, add } => {
                state.check_dot(participant, *note, *add, self)?;
                JamboardEvent::Dot { participant, activity: activity.clone(), note: *note, add: *add }
            }
        })
    }

    fn propose_control(
        &self,
        state: &JamboardState,
        control: &JamboardControl,
        ctx: Ctx,
    ) -> Result<JamboardEvent, Refusal> {
        Ok(match control {
            JamboardControl::Move { activity, note, frame, x, y } => {
                state.check_move(*note, *frame, *x, *y, self)?;
                JamboardEvent::NoteMoved { activity: activity.clone(), note: *note, frame: *frame, x: *x, y: *y }
            }
            JamboardControl::Theme { activity, theme, name } => {
                state.check_theme(*theme, name)?;
                JamboardEvent::ThemeSet {
                    activity: activity.clone(),
                    theme: theme.unwrap_or(ctx.item),
                    name: name.trim().to_owned(),
                }
            }
            JamboardControl::NoteTheme { activity, note, theme } => {
                state.check_note_theme(*note, *theme)?;
                JamboardEvent::NoteThemed { activity: activity.clone(), note: *note, theme: *theme }
            }
            JamboardControl::Lock { activity, locked } => {
                JamboardEvent::Locked { activity: activity.clone(), locked: *locked }
            }
            JamboardControl::Voting { activity, open } => {
                if *open {
                    state.check_voting(self)?;
                }
                JamboardEvent::Voting { activity: activity.clone(), open: *open }
            }
        })
    }

    fn apply(&self, state: &mut JamboardState, event: &JamboardEvent, at: i64) -> Result<Effect, Refusal> {
        match event {
            JamboardEvent::NoteAdded { participant, note, frame, text, color, .. } => {
                let new = NewNote { participant: *participant, id: *note, frame: *frame, text, color: *color, at };
                state.add(new, self)?;
            }
            JamboardEvent::NoteEdited { participant, note, text, color, .. } => {
                state.edit(*participant, *note, text, *color, at)?;
            }
            JamboardEvent::NoteDeleted { participant, note, .. } => state.delete(*participant, *note)?,
            JamboardEvent::NoteMoved { note, frame, x, y, .. } => state.place(*note, *frame, *x, *y, self)?,
            JamboardEvent::ThemeSet { theme, name, .. } => state.set_theme(*theme, name)?,
            JamboardEvent::NoteThemed { note, theme, .. } => state.note_theme(*note, *theme)?,
            JamboardEvent::Locked { locked, .. } => state.lock(*locked),
            JamboardEvent::Voting { open, .. } => {
                state.set_voting(*open);
                // Whether phones see the board changes with it: publish everything.
                return Ok(Effect::Step);
            }
            JamboardEvent::Dot { participant, note, add, .. } => state.dot(*participant, *note, *add, self)?,
        }
        Ok(Effect::Results)
    }

    fn check_hide(&self, state: &JamboardState, item: &str) -> Result<(), Refusal> {
        state.check_hide(note_id(item)?)
    }

    fn hide(&self, state: &mut JamboardState, item: &str, hidden: bool) -> Result<(), Refusal> {
        state.hide(note_id(item)?, hidden)
    }

    fn results_public(&self, state: &JamboardState) -> bool {
        state.voting()
    }

    fn aggregate(&self, state: &JamboardState, view: View) -> JamboardAggregate {
        state.aggregate(self, view.include_hidden())
    }

    type Tally = BoardTally;

    fn new_tally(&self) -> BoardTally {
        BoardTally::default()
    }

    fn count(&self, state: &JamboardState, tally: &mut BoardTally, participant: ParticipantId, add: bool) {
        state.count(tally, participant, add);
    }

    fn tally_aggregate(&self, state: &JamboardState, tally: &BoardTally, view: View) -> JamboardAggregate {
        state.tally_aggregate(self, tally, view.include_hidden())
    }

    fn tally_respondents(&self, tally: &BoardTally) -> Vec<u32> {
        vec![tally.participants]
    }

    fn mine(&self, state: &JamboardState, participant: ParticipantId, _: usize, mine: &mut Mine) {
        let (notes, dots) = state.mine(participant);
        mine.notes = notes;
        mine.dots = dots.into_iter().map(|dot| dot.to_string()).collect();
    }

    fn responses(&self, state: &JamboardState) -> Vec<Response> {
        state.responses(self)
    }

    /// Notes are gathered frame by frame; keywords are counted again over all visible notes.
    fn combine(&self, parts: &[&JamboardAggregate]) -> JamboardAggregate {
        let mut frames: Vec<FrameResults> =
            self.frames.iter().map(|title| FrameResults { title: title.clone(), notes: Vec::new() }).collect();
        let mut themes: Vec<Theme> = Vec::new();
        let mut keywords = Tally::default();
        for part in parts {
            // Themes are matched by name; each session's theme ids are mapped onto the first
            // session's that had the name.
            let mut ids = HashMap::new();
            for theme in &part.themes {
                let known = themes.iter().find(|known: &&Theme| known.name == theme.name).map(|known| known.id);
                let id = known.unwrap_or_else(|| {
                    let id = themes.len() as u32 + 1;
                    themes.push(Theme { id, name: theme.name.clone() });
                    id
                });
                ids.insert(theme.id, id);
            }
            for (index, frame) in part.frames.iter().enumerate() {
                for note in &frame.notes {
                    // A group's words are those of the notes it wrote (as `tally_aggregate`).
                    if !note.hidden && !note.dots_only {
                        for (key, spelling) in text::note_words(&note.text, &[]) {
                            keywords.add(&key, &spelling, false);
                        }
                    }
                    if let Some(target) = frames.get_mut(index) {
                        let theme = note.theme.and_then(|theme| ids.get(&theme).copied());
                        target.notes.push(NoteView { theme, ..note.clone() });
                    }
                }
            }
        }
        let keywords = keywords
            .ranked(|_| true, KEYWORDS)
            .into_iter()
            .map(|word| Keyword { text: word.display.to_owned(), count: word.count })
            .collect();
        JamboardAggregate { frames, themes, keywords, locked: false, voting: false, dots: self.dots }
    }

    fn report_blocks(&self, section: &Section<'_, JamboardAggregate>) -> Vec<Block> {
        export::report_blocks(self, section)
    }

    fn write_sheet(
        &self,
        sheet: &mut Worksheet,
        results: &JamboardAggregate,
        styles: &Styles,
    ) -> Result<(), XlsxError> {
        export::write_sheet(sheet, results, styles)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board() -> Jamboard {
        let mut board = Jamboard {
            title: String::new(),
            frames: vec!["Barriers".into(), "Successes".into()],
            dots: 2,
            notes_per_participant: 3,
        };
        board.normalise().expect("valid board");
        board
    }

    fn add(
        state: &mut JamboardState,
        participant: ParticipantId,
        id: u32,
        frame: u32,
        text: &str,
    ) -> Result<(), Refusal> {
        state.add(NewNote { participant, id, frame, text, color: Color::Yellow, at: 0 }, &board())
    }

    fn keywords(state: &JamboardState) -> Vec<(String, u32)> {
        state.aggregate(&board(), false).keywords.into_iter().map(|k| (k.text, k.count)).collect()
    }

    #[test]
    fn keywords_follow_visible_notes() {
        let mut state = JamboardState::default();
        add(&mut state, 1, 1, 0, "Not enough time").expect("note");
        add(&mut state, 2, 2, 0, "Time and money, time!").expect("note");
        add(&mut state, 3, 3, 1, "Families felt heard").expect("note");
        assert_eq!(keywords(&state)[0], ("time".into(), 2), "counted once per note");
        state.hide(2, true).expect("hide");
        assert_eq!(keywords(&state)[0], ("enough".into(), 1));
        state.hide(2, false).expect("show");
        state.edit(1, 1, "Not enough staff", None, 0).expect("edit");
        assert!(keywords(&state).contains(&("staff".into(), 1)));
        assert!(keywords(&state).contains(&("Time".into(), 1)), "the spelling left is shown");
        state.delete(3, 3).expect("delete");
        assert!(!keywords(&state).iter().any(|(word, _)| word == "Families"));
    }

    #[test]
    fn only_the_author_changes_a_note_and_limits_hold() {
        let config = board();
        let mut state = JamboardState::default();
        for id in 1..=3 {
            add(&mut state, 1, id, 0, "note").expect("note");
        }
        assert_eq!(add(&mut state, 1, 4, 0, "one more").map_err(|r| r.code), Err(ErrorCode::TooManyEntries));
        assert_eq!(add(&mut state, 2, 4, 5, "no frame").map_err(|r| r.code), Err(ErrorCode::NotFound));
        assert_eq!(state.edit(2, 1, "mine now", None, 0).map_err(|r| r.code), Err(ErrorCode::Forbidden));
        assert_eq!(state.delete(2, 1).map_err(|r| r.code), Err(ErrorCode::Forbidden));
        assert_eq!(add(&mut state, 2, 4, 0, &"x".repeat(281)).map_err(|r| r.code), Err(ErrorCode::InvalidText));
        state.lock(true);
        assert_eq!(state.edit(1, 1, "locked", None, 0).map_err(|r| r.code), Err(ErrorCode::NotOpen));
        state.place(1, Some(1), 0.5, 0.25, &config).expect("the facilitator still arranges");
        assert_eq!(state.place(1, None, 1.5, 0.0, &config).map_err(|r| r.code), Err(ErrorCode::OutOfRange));
        let aggregate = state.aggregate(&config, true);
        assert_eq!((aggregate.frames[1].notes[0].x, aggregate.frames[1].notes[0].y), (Some(0.5), Some(0.25)));
    }

    #[test]
    fn dots_are_limited_and_can_be_taken_back() {
        let config = board();
        let mut state = JamboardState::default();
        add(&mut state, 1, 1, 0, "note").expect("note");
        assert_eq!(state.dot(2, 1, true, &config).map_err(|r| r.code), Err(ErrorCode::NotOpen));
        state.set_voting(true);
        state.dot(2, 1, true, &config).expect("dot");
        state.dot(2, 1, true, &config).expect("a second dot on the same note");
        assert_eq!(state.dot(2, 1, true, &config).map_err(|r| r.code), Err(ErrorCode::TooManyEntries));
        state.dot(2, 1, false, &config).expect("take one back");
        assert_eq!(state.aggregate(&config, false).frames[0].notes[0].votes, 1);
        assert_eq!(state.mine(2).1, vec![1]);
        state.delete(1, 1).expect("delete");
        assert!(state.mine(2).1.is_empty(), "dots on a deleted note come back");
    }

    #[test]
    fn a_groups_board_marks_the_notes_it_only_put_dots_on() {
        let config = board();
        let mut state = JamboardState::default();
        add(&mut state, 1, 1, 0, "Waiting lists").expect("note");
        add(&mut state, 2, 2, 1, "Parents' forum").expect("note");
        add(&mut state, 2, 3, 1, "Nobody's dots").expect("note");
        state.set_voting(true);
        state.dot(1, 2, true, &config).expect("dot");
        state.dot(1, 2, true, &config).expect("dot");
        // The group of participant 1: its own note, and the note it put both dots on.
        let mut tally = BoardTally::default();
        state.count(&mut tally, 1, true);
        let group = state.tally_aggregate(&config, &tally, false);
        let seen = |frame: usize| -> Vec<(u32, bool, u32)> {
            group.frames[frame].notes.iter().map(|note| (note.id, note.dots_only, note.votes)).collect()
        };
        assert_eq!(seen(0), vec![(1, false, 0)]);
        assert_eq!(seen(1), vec![(2, true, 2)], "note 3 has neither its notes nor its dots");
        assert!(group.keywords.iter().all(|k| k.text != "forum"), "its words are those of its own notes");
        // On the wire the flag is there only when true: the whole board never carries it.
        let wire = serde_json::to_value(&group).expect("json");
        assert_eq!(wire["frames"][1]["notes"][0]["dots_only"], serde_json::json!(true));
        assert!(wire["frames"][0]["notes"][0].get("dots_only").is_none());
        let whole = serde_json::to_string(&state.aggregate(&config, false)).expect("json");
        assert!(!whole.contains("dots_only"));
        // Series: a dots-only note's words are not the group's.
        let combined = config.combine(&[&group, &group]);
        assert!(combined.keywords.iter().all(|k| k.text != "forum"));
    }
}
