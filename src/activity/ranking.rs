//! Ranking activities: participants put 2–10 items in order, first = top, in named rounds.
//!
//! The state keeps each participant's latest ranking per round and, beside it, per round and
//! item the sum of ranks, the Borda points and how many put it first, so that a ranking (or
//! a changed one) updates the aggregate in O(items) and a results frame costs
//! O(items × rounds), whatever the size of the audience.

use std::collections::HashMap;

use indexmap::IndexMap;
use rust_xlsxwriter::{Worksheet, XlsxError};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

mod export;

use super::kind::{self, Ctx, Effect, Kind, NoRequest, Section, View};
use super::{Response, clean_text};
use crate::error::{ErrorCode, Refusal};
use crate::protocol::{Mine, ParticipantId};
use crate::report::Block;
use crate::sheet::Styles;

/// Fewest items a ranking may have.
pub const MIN_ITEMS: usize = 2;
/// Most items a ranking may have.
pub const MAX_ITEMS: usize = 10;
/// Most rounds one ranking may have.
pub const MAX_ROUNDS: usize = 6;
/// Longest item, in characters.
pub const MAX_ITEM_CHARS: usize = 200;
/// Longest round name, in characters.
pub const MAX_ROUND_CHARS: usize = 60;

/// A ranking activity's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Ranking {
    pub title: String,
    /// 2 to 10 items to put in order.
    pub items: Vec<String>,
    /// Named rounds such as "Before" and "After"; empty for one round (named `""` in the
    /// aggregate).
    #[serde(default)]
    pub rounds: Vec<String>,
}

impl Ranking {
    fn check_config(&mut self) -> Result<(), Refusal> {
        let invalid = |message: String| Refusal::new(ErrorCode::InvalidAgenda, message);
        self.title = clean_text(&self.title, "title", super::MAX_TITLE_CHARS, true)?;
        if !(MIN_ITEMS..=MAX_ITEMS).contains(&self.items.len()) {
            return Err(invalid(format!("A ranking needs {MIN_ITEMS} to {MAX_ITEMS} items.")));
        }
        for item in &mut self.items {
            *item = clean_text(item, "item", MAX_ITEM_CHARS, true)?;
        }
        for (i, item) in self.items.iter().enumerate() {
            if self.items[..i].contains(item) {
                return Err(invalid(format!("The item \"{item}\" is listed twice.")));
            }
        }
        if self.rounds.len() > MAX_ROUNDS {
            return Err(invalid(format!("A ranking can have at most {MAX_ROUNDS} rounds.")));
        }
        for round in &mut self.rounds {
            *round = clean_text(round, "round name", MAX_ROUND_CHARS, true)?;
        }
        for (i, round) in self.rounds.iter().enumerate() {
            if self.rounds[..i].contains(round) {
                return Err(invalid(format!("The round \"{round}\" is named twice.")));
            }
        }
        Ok(())
    }

    /// The rounds' names as the aggregate keys them: `""` for a ranking without rounds.
    pub fn round_names(&self) -> Vec<String> {
        if self.rounds.is_empty() { vec![String::new()] } else { self.rounds.clone() }
    }

    /// Checks a ranking: every item exactly once, as whole numbers. O(items).
    pub fn check_order(&self, order: Option<&[f64]>) -> Result<Vec<u32>, Refusal> {
        let wrong = |message: String| Refusal::new(ErrorCode::OutOfRange, message);
        let items = self.items.len();
        let Some(order) = order else {
            return Err(wrong("Put the items in order before sending your ranking.".into()));
        };
        if order.len() != items {
            return Err(wrong(format!("Put all {items} items in order, each once.")));
        }
        let mut seen = vec![false; items];
        let mut checked = Vec::with_capacity(items);
        for &item in order {
            if item.fract() != 0.0 || !(0.0..items as f64).contains(&item) {
                return Err(wrong("That item is not part of this ranking.".into()));
            }
            let index = item as usize;
            if std::mem::replace(&mut seen[index], true) {
                return Err(wrong(format!("\"{}\" is in your ranking twice.", self.items[index])));
            }
            checked.push(index as u32);
        }
        Ok(checked)
    }
}

/// Everything a session has gathered for one ranking activity.
#[derive(Debug, Clone)]
pub struct RankingState {
    items: usize,
    /// `answers[round]`: each participant's latest ranking.
    answers: Vec<HashMap<ParticipantId, Given>>,
    /// `tally[round][item]`, kept equal to `answers`.
    tally: Vec<Vec<Tally>>,
}

#[derive(Debug, Clone)]
struct Given {
    order: Vec<u32>,
    /// When it was given (ms since the Unix epoch).
    at: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Tally {
    /// Sum of the ranks given (1 = top).
    rank_sum: u64,
    /// How many ranked it first.
    first: u32,
}

impl RankingState {
    pub fn new(ranking: &Ranking) -> Self {
        let rounds = ranking.rounds.len().max(1);
        Self {
            items: ranking.items.len(),
            answers: vec![HashMap::new(); rounds],
            tally: vec![vec![Tally::default(); ranking.items.len()]; rounds],
        }
    }

    pub fn has_answers(&self) -> bool {
        self.answers.iter().any(|answers| !answers.is_empty())
    }

    fn count(tally: &mut [Tally], order: &[u32], add: bool) {
        for (rank, &item) in order.iter().enumerate() {
            let entry = &mut tally[item as usize];
            let rank = rank as u64 + 1;
            if add {
                entry.rank_sum += rank;
                entry.first += u32::from(rank == 1);
            } else {
                entry.rank_sum -= rank;
                entry.first -= u32::from(rank == 1);
            }
        }
    }

    /// Records a participant's ranking (already checked), replacing an earlier one for the
    /// same round: O(items).
    pub fn answer(&mut self, participant: ParticipantId, round: usize, order: Vec<u32>, at: i64) {
        Self::count(&mut self.tally[round], &order, true);
        if let Some(previous) = self.answers[round].insert(participant, Given { order, at }) {
            Self::count(&mut self.tally[round], &previous.order, false);
        }
    }

    pub fn respondents(&self, round: usize) -> u32 {
        self.answers.get(round).map_or(0, |answers| answers.len() as u32)
    }

    pub fn mine(&self, participant: ParticipantId, round: usize) -> Vec<u32> {
        self.answers
            .get(round)
            .and_then(|answers| answers.get(&participant))
            .map(|given| given.order.clone())
            .unwrap_or_default()
    }

    /// Adapts the state to a changed configuration: once people have ranked, items may be
    /// reworded but not added or removed (a ranking lists every item), and rounds may be
    /// added but not removed.
    pub fn reconfigure(&mut self, ranking: &Ranking) -> Result<(), Refusal> {
        if !self.has_answers() {
            *self = Self::new(ranking);
            return Ok(());
        }
        let rounds = ranking.rounds.len().max(1);
        if ranking.items.len() != self.items || rounds < self.answers.len() {
            return Err(Refusal::new(
                ErrorCode::ActivityHasAnswers,
                "People have already ranked these items: you can reword them and add rounds, but not add or remove items or remove rounds.",
            ));
        }
        self.answers.resize_with(rounds, HashMap::new);
        self.tally.resize_with(rounds, || vec![Tally::default(); self.items]);
        Ok(())
    }

    /// One row per item per ranking that counts (the latest per participant and round), by
    /// round, participant and item; `value` is the item's rank (1 = top).
    pub fn responses(&self, ranking: &Ranking) -> Vec<Response> {
        let mut rows = Vec::new();
        for (r, answers) in self.answers.iter().enumerate() {
            let mut answers: Vec<_> = answers.iter().collect();
            answers.sort_unstable_by_key(|(participant, _)| **participant);
            for (participant, given) in answers {
                let mut ranks = vec![0i64; self.items];
                for (rank, &item) in given.order.iter().enumerate() {
                    ranks[item as usize] = rank as i64 + 1;
                }
                rows.extend(ranks.into_iter().enumerate().map(|(item, rank)| Response {
                    participant: *participant,
                    round: ranking.rounds.get(r).cloned(),
                    statement: Some(item as u32),
                    value: Some(rank),
                    text: None,
                    frame: None,
                    theme: None,
                    hidden: false,
                    at: given.at,
                }));
            }
        }
        rows
    }

    pub fn aggregate(&self, ranking: &Ranking) -> RankingAggregate {
        let n: Vec<u32> = self.answers.iter().map(|answers| answers.len() as u32).collect();
        Self::aggregate_of(ranking, &n, &self.tally)
    }

    /// The results from how many ranked in each round and each item's tally per round.
    fn aggregate_of(ranking: &Ranking, n: &[u32], tally: &[Vec<Tally>]) -> RankingAggregate {
        let names = ranking.round_names();
        let items_n = ranking.items.len();
        let k = items_n as u64;
        let items = ranking
            .items
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let rounds = names
                    .iter()
                    .enumerate()
                    .map(|(r, name)| {
                        let n = n[r];
                        let Tally { rank_sum, first } = tally[r][i];
                        // Borda: rank r of k is worth k − r points, so the points are n·k − ranks.
                        let points = u64::from(n) * k - rank_sum;
                        (name.clone(), RankStats::new(n, points, first, items_n))
                    })
                    .collect();
                RankedItem { text: text.clone(), rounds }
            })
            .collect();
        RankingAggregate { items }
    }
}

/// One group's part of a ranking: how many ranked each round, and each item's tally.
#[derive(Debug, Clone)]
pub struct RankingTally {
    n: Vec<u32>,
    tally: Vec<Vec<Tally>>,
}

impl RankingState {
    /// Adds a participant's rankings to a group's tally, or takes them away:
    /// O(rounds × items).
    fn count_participant(&self, tally: &mut RankingTally, participant: ParticipantId, only: Option<usize>, add: bool) {
        for (r, answers) in self.answers.iter().enumerate() {
            if only.is_some_and(|round| round != r) {
                continue;
            }
            if let Some(given) = answers.get(&participant) {
                if add {
                    tally.n[r] += 1;
                } else {
                    tally.n[r] -= 1;
                }
                Self::count(&mut tally.tally[r], &given.order, add);
            }
        }
    }
}

/// The live results of a ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RankingAggregate {
    pub items: Vec<RankedItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RankedItem {
    pub text: String,
    /// Per round, in the agenda's order of rounds (`""` for a ranking without rounds).
    #[ts(as = "HashMap<String, RankStats>")]
    pub rounds: IndexMap<String, RankStats>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RankStats {
    /// Participants who ranked the items in this round.
    pub n: u32,
    /// Mean rank (1 = top); null when nobody ranked.
    pub mean_rank: Option<f64>,
    /// Borda points: ranked r-th of k items gives k − r points, summed over participants.
    #[ts(type = "number")]
    pub points: u64,
    /// How many ranked it first.
    pub first: u32,
}

impl RankStats {
    /// The stats from their sums; the mean rank follows exactly from n and the points.
    pub fn new(n: u32, points: u64, first: u32, items: usize) -> Self {
        let rank_sum = u64::from(n) * items as u64 - points;
        Self { n, mean_rank: (n > 0).then(|| rank_sum as f64 / f64::from(n)), points, first }
    }
}

/// A ranking's journal events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RankingEvent {
    /// A participant ranked the items in one round (item indices, first = top).
    RankingAnswer { participant: ParticipantId, activity: String, round: usize, order: Vec<u32> },
}

super::kind::round_answer_event!(RankingEvent::RankingAnswer);

impl Kind for Ranking {
    type State = RankingState;
    type Event = RankingEvent;
    type Request = NoRequest;
    type Control = NoRequest;
    type Aggregate = RankingAggregate;

    const NAME: &'static str = "ranking";

    fn normalise(&mut self) -> Result<(), Refusal> {
        self.check_config()
    }

    fn title(&self) -> &str {
        &self.title
    }

    /// The configured rounds; empty for one unnamed round (0).
    fn rounds(&self) -> &[String] {
        &self.rounds
    }

    fn new_state(&self) -> RankingState {
        RankingState::new(self)
    }

    fn reconfigure(&self, state: &mut RankingState) -> Result<(), Refusal> {
        state.reconfigure(self)
    }

    fn has_answers(&self, state: &RankingState) -> bool {
        state.has_answers()
    }

    fn respondents(&self, state: &RankingState, round: usize) -> u32 {
        state.respondents(round)
    }

    fn propose_answer(&self, _: &RankingState, answer: &kind::Answer, ctx: Ctx) -> Result<RankingEvent, Refusal> {
        let round = kind::answer_round(&self.rounds, answer.round.as_deref())?;
        let order = self.check_order(answer.order.as_deref())?;
        Ok(RankingEvent::RankingAnswer {
            participant: ctx.participant()?,
            activity: answer.activity.clone(),
            round,
            order,
        })
    }

    fn propose_request(&self, _: &RankingState, request: &NoRequest, _: Ctx) -> Result<RankingEvent, Refusal> {
        match *request {}
    }

    fn propose_control(&self, _: &RankingState, control: &NoRequest, _: Ctx) -> Result<RankingEvent, Refusal> {
        match *control {}
    }

    fn apply(&self, state: &mut RankingState, event: &RankingEvent, at: i64) -> Result<Effect, Refusal> {
        let RankingEvent::RankingAnswer { participant, round, order, .. } = event;
        if *round >= self.rounds.len().max(1) {
            return Err(Refusal::new(ErrorCode::NotOpen, "This question is not being asked right now."));
        }
        let sent: Vec<f64> = order.iter().map(|&item| f64::from(item)).collect();
        let order = self.check_order(Some(&sent))?;
        state.answer(*participant, *round, order, at);
        Ok(Effect::Results)
    }

    fn aggregate(&self, state: &RankingState, _: View) -> RankingAggregate {
        state.aggregate(self)
    }

    type Tally = RankingTally;

    fn new_tally(&self) -> RankingTally {
        let rounds = self.rounds.len().max(1);
        RankingTally { n: vec![0; rounds], tally: vec![vec![Tally::default(); self.items.len()]; rounds] }
    }

    fn count(&self, state: &RankingState, tally: &mut RankingTally, participant: ParticipantId, add: bool) {
        state.count_participant(tally, participant, None, add);
    }

    fn count_event(
        &self,
        state: &RankingState,
        tally: &mut RankingTally,
        participant: ParticipantId,
        event: &Self::Event,
        add: bool,
    ) {
        let RankingEvent::RankingAnswer { round, .. } = event;
        state.count_participant(tally, participant, Some(*round), add);
    }

    fn tally_aggregate(&self, _: &RankingState, tally: &RankingTally, _: View) -> RankingAggregate {
        RankingState::aggregate_of(self, &tally.n, &tally.tally)
    }

    fn tally_respondents(&self, tally: &RankingTally) -> Vec<u32> {
        tally.n.clone()
    }

    fn mine(&self, state: &RankingState, participant: ParticipantId, round: usize, mine: &mut Mine) {
        mine.order = state.mine(participant, round);
    }

    fn responses(&self, state: &RankingState) -> Vec<Response> {
        state.responses(self)
    }

    /// n, points and firsts add up; the mean rank follows from them exactly.
    fn combine(&self, parts: &[&RankingAggregate]) -> RankingAggregate {
        let names = self.round_names();
        let items = self
            .items
            .iter()
            .enumerate()
            .map(|(index, text)| {
                let rounds = names
                    .iter()
                    .map(|round| {
                        let (mut n, mut points, mut first) = (0u32, 0u64, 0u32);
                        for stats in parts.iter().filter_map(|part| part.items.get(index)?.rounds.get(round)) {
                            n += stats.n;
                            points += stats.points;
                            first += stats.first;
                        }
                        (round.clone(), RankStats::new(n, points, first, self.items.len()))
                    })
                    .collect();
                RankedItem { text: text.clone(), rounds }
            })
            .collect();
        RankingAggregate { items }
    }

    fn report_blocks(&self, section: &Section<'_, RankingAggregate>) -> Vec<Block> {
        export::report_blocks(self, section)
    }

    fn write_sheet(&self, sheet: &mut Worksheet, results: &RankingAggregate, styles: &Styles) -> Result<(), XlsxError> {
        export::write_sheet(self, sheet, results, styles)
    }

    fn item_label(&self, index: u32) -> Option<&str> {
        self.items.get(index as usize).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranking(rounds: &[&str]) -> Ranking {
        let mut ranking = Ranking {
            title: "What matters most?".into(),
            items: vec!["Listening".into(), "Information".into(), "Speed".into()],
            rounds: rounds.iter().map(|&r| r.into()).collect(),
        };
        ranking.normalise().expect("valid ranking");
        ranking
    }

    fn answer(round: Option<&str>, order: &[f64]) -> kind::Answer {
        kind::Answer {
            activity: "a".into(),
            round: round.map(Into::into),
            order: Some(order.to_vec()),
            ..Default::default()
        }
    }

    fn ctx() -> Ctx {
        Ctx { participant: Some(1), item: 0 }
    }

    #[test]
    fn configuration_limits() {
        for bad in [
            r#"{"title": "T", "items": ["a"]}"#,
            r#"{"title": "T", "items": ["a","b","c","d","e","f","g","h","i","j","k"]}"#,
            r#"{"title": "T", "items": ["a", " a "]}"#,
            r#"{"title": "T", "items": ["a", " "]}"#,
            r#"{"title": " ", "items": ["a", "b"]}"#,
            r#"{"title": "T", "items": ["a", "b"], "rounds": ["B", "B"]}"#,
        ] {
            let mut ranking: Ranking = serde_json::from_str(bad).expect("parse");
            assert_eq!(ranking.normalise().map_err(|e| e.code), Err(ErrorCode::InvalidAgenda), "{bad}");
        }
        let mut ok: Ranking = serde_json::from_str(r#"{"title": " T ", "items": [" a ", "b"]}"#).expect("parse");
        ok.normalise().expect("valid");
        assert_eq!((ok.title.as_str(), ok.items[0].as_str(), ok.rounds.len()), ("T", "a", 0));
    }

    #[test]
    fn a_ranking_lists_every_item_once_as_whole_numbers() {
        let ranking = ranking(&[]);
        let state = ranking.new_state();
        let refused = |order: &[f64]| ranking.propose_answer(&state, &answer(None, order), ctx()).map_err(|e| e.code);
        for bad in [
            &[0.0, 1.0][..],
            &[0.0, 1.0, 2.0, 0.0],
            &[0.0, 0.0, 1.0],
            &[0.0, 1.0, 3.0],
            &[0.0, 1.0, 1.5],
            &[-1.0, 0.0, 1.0],
        ] {
            assert_eq!(refused(bad), Err(ErrorCode::OutOfRange), "{bad:?}");
        }
        let missing = kind::Answer { activity: "a".into(), ..Default::default() };
        assert_eq!(ranking.propose_answer(&state, &missing, ctx()).map_err(|e| e.code), Err(ErrorCode::OutOfRange));
        let event = ranking.propose_answer(&state, &answer(Some("anything"), &[2.0, 0.0, 1.0]), ctx()).expect("valid");
        assert_eq!(
            event,
            RankingEvent::RankingAnswer { participant: 1, activity: "a".into(), round: 0, order: vec![2, 0, 1] }
        );
        let rounds = self::ranking(&["Before", "After"]);
        let state = rounds.new_state();
        let err =
            rounds.propose_answer(&state, &answer(Some("During"), &[0.0, 1.0, 2.0]), ctx()).expect_err("no such round");
        assert_eq!(err.code, ErrorCode::UnknownRound);
    }

    #[test]
    fn borda_points_mean_rank_and_firsts() {
        let ranking = ranking(&[]);
        let mut state = ranking.new_state();
        state.answer(1, 0, vec![0, 1, 2], 0);
        state.answer(2, 0, vec![0, 2, 1], 0);
        state.answer(3, 0, vec![2, 1, 0], 0);
        let result = state.aggregate(&ranking);
        let stats = |i: usize| &result.items[i].rounds[""];
        // Listening: ranks 1, 1, 3 → mean 5/3, points 2 + 2 + 0.
        assert_eq!((stats(0).n, stats(0).points, stats(0).first), (3, 4, 2));
        assert!((stats(0).mean_rank.expect("mean") - 5.0 / 3.0).abs() < 1e-12);
        // Information: ranks 2, 3, 2 → points 1 + 0 + 1.
        assert_eq!((stats(1).points, stats(1).first, stats(1).mean_rank), (2, 0, Some(7.0 / 3.0)));
        // Speed: ranks 3, 2, 1 → points 0 + 1 + 2.
        assert_eq!((stats(2).points, stats(2).first, stats(2).mean_rank), (3, 1, Some(2.0)));
        let empty = ranking.new_state().aggregate(&ranking);
        assert_eq!(empty.items[0].rounds[""], RankStats { n: 0, mean_rank: None, points: 0, first: 0 });
    }

    #[test]
    fn a_new_ranking_replaces_the_old_one_in_its_round() {
        let ranking = ranking(&["Before", "After"]);
        let mut state = ranking.new_state();
        let mut fresh = ranking.new_state();
        state.answer(1, 0, vec![0, 1, 2], 0);
        state.answer(1, 0, vec![2, 1, 0], 5);
        state.answer(1, 1, vec![1, 0, 2], 6);
        fresh.answer(1, 0, vec![2, 1, 0], 5);
        fresh.answer(1, 1, vec![1, 0, 2], 6);
        assert_eq!(state.aggregate(&ranking), fresh.aggregate(&ranking));
        assert_eq!((state.respondents(0), state.respondents(1)), (1, 1));
        assert_eq!(state.mine(1, 0), vec![2, 1, 0]);
        let rows = state.responses(&ranking);
        assert_eq!(rows.len(), 6);
        assert_eq!(rows[0].round.as_deref(), Some("Before"));
        assert_eq!(rows.iter().take(3).map(|r| r.value.expect("rank")).collect::<Vec<_>>(), vec![3, 2, 1]);
    }

    #[test]
    fn combining_adds_sums_and_recomputes_means() {
        let ranking = ranking(&[]);
        let (mut a, mut b, mut both) = (ranking.new_state(), ranking.new_state(), ranking.new_state());
        a.answer(1, 0, vec![0, 1, 2], 0);
        b.answer(1, 0, vec![1, 0, 2], 0);
        b.answer(2, 0, vec![2, 0, 1], 0);
        both.answer(1, 0, vec![0, 1, 2], 0);
        both.answer(2, 0, vec![1, 0, 2], 0);
        both.answer(3, 0, vec![2, 0, 1], 0);
        let combined = ranking.combine(&[&a.aggregate(&ranking), &b.aggregate(&ranking)]);
        assert_eq!(combined, both.aggregate(&ranking));
    }

    #[test]
    fn reshaping_after_answers_keeps_items() {
        let ranking = ranking(&["Before"]);
        let mut state = ranking.new_state();
        state.answer(1, 0, vec![0, 1, 2], 0);
        let mut fewer = ranking.clone();
        fewer.items.pop();
        assert_eq!(fewer.reconfigure(&mut state).map_err(|e| e.code), Err(ErrorCode::ActivityHasAnswers));
        let mut more_rounds = ranking.clone();
        more_rounds.rounds.push("After".into());
        more_rounds.reconfigure(&mut state).expect("a round may be added");
        assert_eq!(state.aggregate(&more_rounds).items[0].rounds["After"].n, 0);
        let stored =
            RankingEvent::RankingAnswer { participant: 1, activity: "a".into(), round: 0, order: vec![0, 0, 1] };
        assert_eq!(more_rounds.apply(&mut state, &stored, 0).map_err(|e| e.code), Err(ErrorCode::OutOfRange));
        assert_eq!(state.aggregate(&more_rounds).items[0].rounds["Before"].points, 2);
    }

    #[test]
    fn the_report_has_a_table_per_round_the_change_and_a_chart_described_in_words() {
        let ranking = ranking(&["Before", "After"]);
        let mut state = ranking.new_state();
        state.answer(1, 0, vec![0, 1, 2], 0);
        state.answer(1, 1, vec![2, 1, 0], 0);
        let results = state.aggregate(&ranking);
        let blocks = ranking.report_blocks(&Section { results: &results, sessions: Vec::new() });
        assert!(matches!(&blocks[0], Block::Heading { level: 3, .. }), "{:?}", blocks[0]);
        let tables: Vec<&crate::report::Table> =
            blocks.iter().filter_map(|b| if let Block::Table(t) = b { Some(t) } else { None }).collect();
        assert_eq!(tables.len(), 3, "Before, After, and first → last");
        assert_eq!(tables[2].rows[0], vec!["Listening", "1.0", "3.0", "+2.0", "2", "0"]);
        let Some(Block::Figure(figure)) = blocks.last() else { panic!("no chart: {blocks:?}") };
        assert!(
            figure.alt.contains("Listening: 2 → 0 points") && figure.alt.contains("Speed: 0 → 2 points"),
            "{}",
            figure.alt
        );
        crate::report::chart::png(&figure.svg, 1.0).expect("the chart draws");
    }
}
