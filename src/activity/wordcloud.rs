//! Word clouds: a prompt, and up to `max_entries` short entries from each participant,
//! counted by what they mean (see [`crate::text`]).
//!
//! Entries are grouped by their key. Each group keeps its count and the count of each
//! spelling, so that adding or deleting an entry is O(1) and the display form (the most
//! frequent spelling, the earliest on a tie) is known without scanning. The facilitator can
//! hide a group (it stays in the data, marked hidden) and merge one group into another; a
//! merge is a mapping from one key to another, so later entries follow it too.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use indexmap::IndexMap;

mod export;

use rust_xlsxwriter::{Worksheet, XlsxError};

use super::kind::{Answer, Ctx, Effect, Kind, KindControl, KindEvent, KindRequest, ReportPart, Section, View};
use super::{Response, clean_text};
use crate::error::{ErrorCode, Refusal};
use crate::protocol::{ClientMessage, Mine, ParticipantId, RequestId};
use crate::report::Block;
use crate::session::request::RequestHasher;
use crate::sheet::Styles;
use crate::text;
use crate::text::Tally;

/// Most entries a participant may be allowed.
pub const MAX_ENTRIES_LIMIT: u32 = 10;
/// Most groups a results frame carries: the cloud shows no more than that.
pub const FRAME_GROUPS: usize = 150;
/// Most extra stop words per activity.
pub const MAX_STOP_WORDS: usize = 200;

/// A word cloud's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct WordCloud {
    /// The question people answer, e.g. "What word would you use instead of co-production?".
    pub prompt: String,
    /// Entries each participant may send (1–10, default 3).
    #[serde(default = "default_max_entries")]
    pub max_entries: u32,
    /// Refuse profanity (default on).
    #[serde(default = "default_true")]
    pub profanity_filter: bool,
    /// Words refused as entries on their own, besides the common English ones.
    #[serde(default)]
    pub stop_words: Vec<String>,
}

fn default_max_entries() -> u32 {
    3
}

fn default_true() -> bool {
    true
}

impl WordCloud {
    fn check_config(&mut self) -> Result<(), Refusal> {
        self.prompt = clean_text(&self.prompt, "prompt", super::MAX_TITLE_CHARS, true)?;
        if !(1..=MAX_ENTRIES_LIMIT).contains(&self.max_entries) {
            return Err(Refusal::new(
                ErrorCode::InvalidAgenda,
                format!("Allow each person 1 to {MAX_ENTRIES_LIMIT} entries."),
            ));
        }
        if self.stop_words.len() > MAX_STOP_WORDS {
            return Err(Refusal::new(ErrorCode::InvalidAgenda, format!("Add at most {MAX_STOP_WORDS} stop words.")));
        }
        let mut words = Vec::with_capacity(self.stop_words.len());
        for word in &self.stop_words {
            let word = clean_text(word, "stop word", text::MAX_ENTRY_CHARS, false)?;
            if !word.is_empty() && !words.contains(&word) {
                words.push(word);
            }
        }
        self.stop_words = words;
        Ok(())
    }
}

/// One group's part of a word cloud: its entries counted by word group.
#[derive(Debug, Clone, Default)]
pub struct CloudTally {
    groups: Tally,
    entries: u32,
    /// Members with at least one entry.
    participants: u32,
}

#[derive(Debug, Clone)]
struct Entry {
    participant: ParticipantId,
    key: String,
    display: String,
    at: i64,
}

/// Everything a session has gathered for one word cloud.
#[derive(Debug, Clone, Default)]
pub struct WordCloudState {
    entries: HashMap<u32, Entry>,
    /// Each participant's live entries, oldest first.
    by_participant: HashMap<ParticipantId, Vec<u32>>,
    groups: Tally,
    /// Merged key → the key it was merged into.
    merged: HashMap<String, String>,
    hidden: HashSet<String>,
}

impl WordCloudState {
    pub fn has_answers(&self) -> bool {
        !self.entries.is_empty()
    }

    /// The group a key counts in now, following merges.
    fn resolve<'a>(&'a self, mut key: &'a str) -> &'a str {
        // Merges never form a cycle (see `merge`), so this ends.
        while let Some(into) = self.merged.get(key) {
            key = into;
        }
        key
    }

    /// How many participants have an entry in the cloud.
    pub fn respondents(&self) -> u32 {
        self.by_participant.values().filter(|ids| !ids.is_empty()).count() as u32
    }

    /// Whether a participant may add another entry.
    pub fn check_room(&self, participant: ParticipantId, config: &WordCloud) -> Result<(), Refusal> {
        let mine = self.by_participant.get(&participant).map_or(0, Vec::len);
        if mine >= config.max_entries as usize {
            let n = config.max_entries;
            let words = if n == 1 { "word" } else { "words" };
            return Err(Refusal::new(
                ErrorCode::TooManyEntries,
                format!("You have already sent {n} {words}. Delete one to send another."),
            ));
        }
        Ok(())
    }

    /// Adds an entry already read through the pipeline.
    pub fn add(
        &mut self,
        participant: ParticipantId,
        id: u32,
        entry: text::Entry,
        config: &WordCloud,
        at: i64,
    ) -> Result<(), Refusal> {
        self.check_room(participant, config)?;
        if self.entries.contains_key(&id) {
            return Err(Refusal::new(ErrorCode::InvalidMessage, "That entry exists already."));
        }
        let group = self.resolve(&entry.key).to_owned();
        self.groups.add(&group, &entry.display, group != entry.key);
        self.by_participant.entry(participant).or_default().push(id);
        self.entries.insert(id, Entry { participant, key: entry.key, display: entry.display, at });
        Ok(())
    }

    /// Checks that an entry is the participant's own.
    pub fn check_delete(&self, participant: ParticipantId, id: u32) -> Result<(), Refusal> {
        match self.entries.get(&id) {
            Some(entry) if entry.participant == participant => Ok(()),
            _ => Err(Refusal::new(ErrorCode::NotFound, "That entry is not one of yours.")),
        }
    }

    /// Deletes one of a participant's own entries.
    pub fn delete(&mut self, participant: ParticipantId, id: u32) -> Result<(), Refusal> {
        self.check_delete(participant, id)?;
        let Some(entry) = self.entries.remove(&id) else { return Ok(()) };
        let group = self.resolve(&entry.key).to_owned();
        if self.groups.remove(&group, &entry.display) {
            self.hidden.remove(&group);
        }
        if let Some(ids) = self.by_participant.get_mut(&participant) {
            ids.retain(|&other| other != id);
        }
        Ok(())
    }

    /// Checks that a key leads to a group in the cloud.
    pub fn check_group(&self, key: &str) -> Result<(), Refusal> {
        if self.groups.contains(self.resolve(key)) {
            Ok(())
        } else {
            Err(Refusal::new(ErrorCode::NotFound, "That word is not in the cloud."))
        }
    }

    /// Hides or shows a group, by any key that leads to it.
    pub fn hide(&mut self, key: &str, hidden: bool) -> Result<(), Refusal> {
        self.check_group(key)?;
        let group = self.resolve(key).to_owned();
        if hidden {
            self.hidden.insert(group);
        } else {
            self.hidden.remove(&group);
        }
        Ok(())
    }

    /// Checks that two keys lead to two different groups in the cloud.
    pub fn check_merge(&self, from: &str, into: &str) -> Result<(), Refusal> {
        let both = || Refusal::new(ErrorCode::NotFound, "Both words must be in the cloud.");
        self.check_group(from).map_err(|_| both())?;
        self.check_group(into).map_err(|_| both())?;
        if self.resolve(from) == self.resolve(into) {
            return Err(Refusal::new(ErrorCode::InvalidMessage, "Those are already one word."));
        }
        Ok(())
    }

    /// Counts one group as part of another from now on ("parents" into "families").
    pub fn merge(&mut self, from: &str, into: &str) -> Result<(), Refusal> {
        self.check_merge(from, into)?;
        let from = self.resolve(from).to_owned();
        let into = self.resolve(into).to_owned();
        self.groups.merge(&from, &into);
        self.hidden.remove(&from);
        self.merged.insert(from, into);
        Ok(())
    }

    /// Empties the cloud. Entries stay in the journal; the cloud starts again.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// One row per entry in the cloud, in the order they came; an entry in a hidden group is
    /// marked hidden.
    pub fn responses(&self) -> Vec<Response> {
        let mut ids: Vec<&u32> = self.entries.keys().collect();
        ids.sort_unstable();
        ids.into_iter()
            .map(|id| {
                let entry = &self.entries[id];
                Response {
                    participant: entry.participant,
                    round: None,
                    statement: None,
                    value: None,
                    text: Some(entry.display.clone()),
                    frame: None,
                    theme: None,
                    hidden: self.hidden.contains(self.resolve(&entry.key)),
                    at: entry.at,
                }
            })
            .collect()
    }

    /// A participant's own live entries, oldest first.
    pub fn mine(&self, participant: ParticipantId) -> Vec<OwnEntry> {
        self.by_participant
            .get(&participant)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| {
                        self.entries.get(id).map(|entry| OwnEntry { id: *id, text: entry.display.clone() })
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Groups ranked by count (then first seen), at most `limit` of them; hidden ones only
    /// when `include_hidden`.
    /// Adds a participant's entries to a group's tally, or takes them away: O(entries).
    fn count(&self, tally: &mut CloudTally, participant: ParticipantId, add: bool) {
        let ids = self.by_participant.get(&participant).map_or(&[][..], Vec::as_slice);
        for entry in ids.iter().filter_map(|id| self.entries.get(id)) {
            let group = self.resolve(&entry.key);
            if add {
                tally.groups.add(group, &entry.display, group != entry.key);
                tally.entries += 1;
            } else {
                tally.groups.remove(group, &entry.display);
                tally.entries -= 1;
            }
        }
        if !ids.is_empty() {
            if add {
                tally.participants += 1;
            } else {
                tally.participants -= 1;
            }
        }
    }

    /// One group's cloud from its tally; hidden words count nowhere, as in the total.
    fn tally_aggregate(&self, tally: &CloudTally, include_hidden: bool, limit: usize) -> WordCloudAggregate {
        let entries = tally
            .groups
            .ranked(|key| include_hidden || !self.hidden.contains(key), limit)
            .into_iter()
            .map(|group| CloudEntry {
                id: group.key.to_owned(),
                text: group.display.to_owned(),
                count: group.count,
                hidden: self.hidden.contains(group.key),
            })
            .collect();
        let hidden_total: u32 = self.hidden.iter().map(|key| tally.groups.count(key)).sum();
        let hidden_groups = self.hidden.iter().filter(|key| tally.groups.contains(key)).count();
        WordCloudAggregate {
            entries,
            total: tally.entries.saturating_sub(hidden_total),
            groups: (tally.groups.len() - hidden_groups) as u32,
            participants: tally.participants,
        }
    }

    pub fn aggregate(&self, include_hidden: bool, limit: usize) -> WordCloudAggregate {
        let entries = self
            .groups
            .ranked(|key| include_hidden || !self.hidden.contains(key), limit)
            .into_iter()
            .map(|group| CloudEntry {
                id: group.key.to_owned(),
                text: group.display.to_owned(),
                count: group.count,
                hidden: self.hidden.contains(group.key),
            })
            .collect();
        // A hidden group counts nowhere: not in "N words from M people" either, on any screen.
        let shown =
            |entry: &u32| self.entries.get(entry).is_some_and(|entry| !self.hidden.contains(self.resolve(&entry.key)));
        let hidden_total: u32 = self.hidden.iter().map(|key| self.groups.count(key)).sum();
        let hidden_groups = self.hidden.iter().filter(|key| self.groups.contains(key)).count();
        WordCloudAggregate {
            entries,
            total: (self.entries.len() as u32).saturating_sub(hidden_total),
            groups: (self.groups.len() - hidden_groups) as u32,
            participants: self.by_participant.values().filter(|ids| ids.iter().any(shown)).count() as u32,
        }
    }
}

/// One of a participant's own entries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OwnEntry {
    #[serde(with = "crate::protocol::item_id")]
    #[ts(type = "string")]
    pub id: u32,
    pub text: String,
}

/// The live results of a word cloud.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct WordCloudAggregate {
    /// Groups ranked by count, at most 150.
    pub entries: Vec<CloudEntry>,
    /// Entries in the cloud (all groups).
    pub total: u32,
    /// Distinct groups in the cloud.
    pub groups: u32,
    /// Participants with at least one entry.
    pub participants: u32,
}

/// A group of entries that mean the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CloudEntry {
    /// The group's id: use it to hide or merge the group.
    pub id: String,
    /// The most frequent spelling.
    pub text: String,
    pub count: u32,
    pub hidden: bool,
}

/// A word cloud's journal events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WordCloudEvent {
    /// A participant added an entry to a word cloud (`text` as cleaned by the text pipeline).
    WordEntry { participant: ParticipantId, activity: String, entry: u32, text: String },
    /// A participant deleted one of their own word-cloud entries.
    EntryDeleted { participant: ParticipantId, activity: String, entry: u32 },
    /// The facilitator merged one word-cloud group into another.
    Merged { activity: String, from: String, into: String },
}

impl KindEvent for WordCloudEvent {
    fn activity(&self) -> &str {
        match self {
            Self::WordEntry { activity, .. } | Self::EntryDeleted { activity, .. } | Self::Merged { activity, .. } => {
                activity
            }
        }
    }

    fn participant(&self) -> Option<ParticipantId> {
        match self {
            Self::WordEntry { participant, .. } | Self::EntryDeleted { participant, .. } => Some(*participant),
            Self::Merged { .. } => None,
        }
    }

    fn answer_round(&self) -> Option<usize> {
        matches!(self, Self::WordEntry { .. }).then_some(0)
    }

    fn new_item(&self) -> Option<u32> {
        match self {
            Self::WordEntry { entry, .. } => Some(*entry),
            _ => None,
        }
    }
}

/// A participant's request of a word cloud, besides adding an entry (`answer`).
#[derive(Debug, Clone, PartialEq)]
pub enum WordCloudRequest {
    // Named as older versions named it: the legacy request fingerprint shows the name.
    DeleteEntry { activity: String, entry: u32 },
}

impl KindRequest for WordCloudRequest {
    fn from_message(message: ClientMessage) -> Result<(RequestId, Self), ClientMessage> {
        match message {
            ClientMessage::EntryDelete { id, activity, entry } => Ok((id, Self::DeleteEntry { activity, entry })),
            other => Err(other),
        }
    }

    fn activity(&self) -> &str {
        let Self::DeleteEntry { activity, .. } = self;
        activity
    }

    fn fingerprint(&self, hasher: &mut RequestHasher) {
        let Self::DeleteEntry { activity, entry } = self;
        hasher.tag(2).text(activity).number((*entry).into());
    }
}

/// The facilitator's request of a word cloud, besides hiding a group.
#[derive(Debug, Clone, PartialEq)]
pub enum WordCloudControl {
    Merge { activity: String, from: String, into: String },
}

impl KindControl for WordCloudControl {
    fn from_message(message: ClientMessage) -> Result<(RequestId, Self), ClientMessage> {
        match message {
            ClientMessage::Merge { id, activity, from, into } => Ok((id, Self::Merge { activity, from, into })),
            other => Err(other),
        }
    }

    fn activity(&self) -> &str {
        let Self::Merge { activity, .. } = self;
        activity
    }
}

impl Kind for WordCloud {
    type State = WordCloudState;
    type Event = WordCloudEvent;
    type Request = WordCloudRequest;
    type Control = WordCloudControl;
    type Aggregate = WordCloudAggregate;

    const NAME: &'static str = "wordcloud";
    const LIVE_ON_PROJECTOR: bool = true;
    const REPORT_PART: ReportPart = ReportPart::Words;

    fn normalise(&mut self) -> Result<(), Refusal> {
        self.check_config()
    }

    fn title(&self) -> &str {
        &self.prompt
    }

    fn new_state(&self) -> WordCloudState {
        WordCloudState::default()
    }

    /// A word cloud's entries keep their meaning whatever its prompt or limits; a lower
    /// limit applies to new entries only.
    fn reconfigure(&self, _: &mut WordCloudState) -> Result<(), Refusal> {
        Ok(())
    }

    fn has_answers(&self, state: &WordCloudState) -> bool {
        state.has_answers()
    }

    fn respondents(&self, state: &WordCloudState, _: usize) -> u32 {
        state.respondents()
    }

    fn propose_answer(&self, state: &WordCloudState, answer: &Answer, ctx: Ctx) -> Result<WordCloudEvent, Refusal> {
        let participant = ctx.participant()?;
        let text = answer.text.as_deref().ok_or_else(|| Refusal::new(ErrorCode::InvalidText, "Type a word first."))?;
        let entry = text::read_entry(text, &self.stop_words, self.profanity_filter)?;
        state.check_room(participant, self)?;
        Ok(WordCloudEvent::WordEntry {
            participant,
            activity: answer.activity.clone(),
            entry: ctx.item,
            text: entry.display,
        })
    }

    fn propose_request(
        &self,
        state: &WordCloudState,
        request: &WordCloudRequest,
        ctx: Ctx,
    ) -> Result<WordCloudEvent, Refusal> {
        let WordCloudRequest::DeleteEntry { activity, entry } = request;
        let participant = ctx.participant()?;
        state.check_delete(participant, *entry)?;
        Ok(WordCloudEvent::EntryDeleted { participant, activity: activity.clone(), entry: *entry })
    }

    fn propose_control(
        &self,
        state: &WordCloudState,
        control: &WordCloudControl,
        _: Ctx,
    ) -> Result<WordCloudEvent, Refusal> {
        let WordCloudControl::Merge { activity, from, into } = control;
        state.check_merge(from, into)?;
        Ok(WordCloudEvent::Merged { activity: activity.clone(), from: from.clone(), into: into.clone() })
    }

    fn apply(&self, state: &mut WordCloudState, event: &WordCloudEvent, at: i64) -> Result<Effect, Refusal> {
        match event {
            WordCloudEvent::WordEntry { participant, entry, text, .. } => {
                let entry_text = text::Entry { display: text.clone(), key: text::group_key(text) };
                state.add(*participant, *entry, entry_text, self, at)?;
            }
            WordCloudEvent::EntryDeleted { participant, entry, .. } => state.delete(*participant, *entry)?,
            WordCloudEvent::Merged { from, into, .. } => state.merge(from, into)?,
        }
        Ok(Effect::Results)
    }

    fn check_hide(&self, state: &WordCloudState, item: &str) -> Result<(), Refusal> {
        state.check_group(item)
    }

    fn hide(&self, state: &mut WordCloudState, item: &str, hidden: bool) -> Result<(), Refusal> {
        state.hide(item, hidden)
    }

    fn aggregate(&self, state: &WordCloudState, view: View) -> WordCloudAggregate {
        match view {
            View::Export => state.aggregate(true, usize::MAX),
            view => state.aggregate(view.include_hidden(), FRAME_GROUPS),
        }
    }

    type Tally = CloudTally;

    fn new_tally(&self) -> CloudTally {
        CloudTally::default()
    }

    fn count(&self, state: &WordCloudState, tally: &mut CloudTally, participant: ParticipantId, add: bool) {
        state.count(tally, participant, add);
    }

    fn tally_aggregate(&self, state: &WordCloudState, tally: &CloudTally, view: View) -> WordCloudAggregate {
        match view {
            View::Export => state.tally_aggregate(tally, true, usize::MAX),
            view => state.tally_aggregate(tally, view.include_hidden(), FRAME_GROUPS),
        }
    }

    fn tally_respondents(&self, tally: &CloudTally) -> Vec<u32> {
        vec![tally.participants]
    }

    fn mine(&self, state: &WordCloudState, participant: ParticipantId, _: usize, mine: &mut Mine) {
        mine.entries = state.mine(participant);
    }

    fn responses(&self, state: &WordCloudState) -> Vec<Response> {
        state.responses()
    }

    /// Groups add up by id; each group is shown as it was most often, and hidden if it was
    /// hidden anywhere.
    fn combine(&self, parts: &[&WordCloudAggregate]) -> WordCloudAggregate {
        let mut groups: IndexMap<String, (CloudEntry, u32)> = IndexMap::new();
        for entry in parts.iter().flat_map(|part| &part.entries) {
            let slot = groups.entry(entry.id.clone()).or_insert_with(|| (CloudEntry { count: 0, ..entry.clone() }, 0));
            if entry.count > slot.1 {
                slot.0.text = entry.text.clone();
                slot.1 = entry.count;
            }
            slot.0.count += entry.count;
            slot.0.hidden |= entry.hidden;
        }
        let mut entries: Vec<CloudEntry> = groups.into_values().map(|(entry, _)| entry).collect();
        // A stable sort keeps first-seen order among equal counts.
        entries.sort_by_key(|entry| std::cmp::Reverse(entry.count));
        WordCloudAggregate {
            groups: entries.iter().filter(|entry| !entry.hidden).count() as u32,
            entries,
            total: parts.iter().map(|part| part.total).sum(),
            participants: parts.iter().map(|part| part.participants).sum(),
        }
    }

    fn report_blocks(&self, section: &Section<'_, WordCloudAggregate>) -> Vec<Block> {
        export::report_blocks(self, section)
    }

    fn write_sheet(
        &self,
        sheet: &mut Worksheet,
        results: &WordCloudAggregate,
        styles: &Styles,
    ) -> Result<(), XlsxError> {
        export::write_sheet(sheet, results, styles)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> WordCloud {
        WordCloud { prompt: "A word?".into(), max_entries: 3, profanity_filter: true, stop_words: vec![] }
    }

    fn add(state: &mut WordCloudState, participant: ParticipantId, id: u32, raw: &str) -> Result<(), Refusal> {
        let entry = text::read_entry(raw, &[], true)?;
        state.add(participant, id, entry, &config(), 0)
    }

    fn ranked(state: &WordCloudState) -> Vec<(String, u32, bool)> {
        state.aggregate(true, FRAME_GROUPS).entries.into_iter().map(|e| (e.text, e.count, e.hidden)).collect()
    }

    #[test]
    fn groups_rank_by_count_and_show_the_most_frequent_spelling() {
        let mut state = WordCloudState::default();
        for (i, raw) in ["Families", "trust", "family", "family", "Trust", "trust", "time"].into_iter().enumerate() {
            add(&mut state, i as u32 + 1, i as u32 + 1, raw).expect("entry");
        }
        // A tie on count goes to the group seen first.
        assert_eq!(
            ranked(&state),
            vec![("family".into(), 3, false), ("trust".into(), 3, false), ("time".into(), 1, false)]
        );
        let aggregate = state.aggregate(false, FRAME_GROUPS);
        assert_eq!((aggregate.total, aggregate.groups, aggregate.participants), (7, 3, 7));
        assert_eq!(state.aggregate(false, 2).entries.len(), 2, "frames carry at most the limit");
    }

    #[test]
    fn each_participant_has_a_limit_and_may_delete_only_their_own() {
        let mut state = WordCloudState::default();
        for (id, raw) in [(1, "trust"), (2, "time"), (3, "money")] {
            add(&mut state, 7, id, raw).expect("entry");
        }
        let refused = add(&mut state, 7, 4, "care").expect_err("a fourth entry");
        assert_eq!(refused.code, ErrorCode::TooManyEntries);
        assert_eq!(refused.message, "You have already sent 3 words. Delete one to send another.");
        assert_eq!(state.delete(8, 1).map_err(|r| r.code), Err(ErrorCode::NotFound));
        state.delete(7, 1).expect("delete own");
        add(&mut state, 7, 4, "care").expect("room again");
        let mine: Vec<String> = state.mine(7).into_iter().map(|e| e.text).collect();
        assert_eq!(mine, vec!["time", "money", "care"]);
        assert!(!ranked(&state).iter().any(|(text, _, _)| text == "trust"), "an emptied group disappears");
    }

    #[test]
    fn hidden_groups_are_marked_and_merges_are_followed_by_later_entries() {
        let mut state = WordCloudState::default();
        add(&mut state, 1, 1, "parents").expect("entry");
        add(&mut state, 2, 2, "families").expect("entry");
        add(&mut state, 3, 3, "family").expect("entry");
        let parents = text::group_key("parents");
        let families = text::group_key("families");
        state.merge(&parents, &families).expect("merge");
        add(&mut state, 4, 4, "Parents").expect("a later entry follows the merge");
        assert_eq!(ranked(&state), vec![("families".into(), 4, false)]);
        state.hide(&parents, true).expect("hide through the merged key");
        assert_eq!(ranked(&state), vec![("families".into(), 4, true)]);
        assert!(state.aggregate(false, FRAME_GROUPS).entries.is_empty(), "hidden groups leave public frames");
        assert_eq!(state.merge(&families, &parents).map_err(|r| r.code), Err(ErrorCode::InvalidMessage));
        state.delete(4, 4).expect("delete a merged entry");
        assert_eq!(ranked(&state), vec![("families".into(), 3, true)]);
        // With none of its own spellings left, the group shows the merged one.
        state.delete(2, 2).expect("delete");
        state.delete(3, 3).expect("delete");
        assert_eq!(ranked(&state), vec![("parents".into(), 1, true)]);
        state.reset();
        assert!(ranked(&state).is_empty() && !state.has_answers());
    }
}
