//! 100 points activities: participants spread a budget (default 100) over 2–10 items, in
//! named rounds.
//!
//! The state keeps each participant's latest spread per round and, beside it, per round and
//! item the total given, so that a spread (or a changed one) updates the aggregate in
//! O(items) and a results frame costs O(items × rounds), whatever the size of the audience.

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

/// Fewest items.
pub const MIN_ITEMS: usize = 2;
/// Most items.
pub const MAX_ITEMS: usize = 10;
/// The budget's range and default.
pub const MIN_BUDGET: u32 = 10;
pub const MAX_BUDGET: u32 = 1000;
pub const DEFAULT_BUDGET: u32 = 100;
/// Most rounds one activity may have.
pub const MAX_ROUNDS: usize = 6;
/// Longest item, in characters.
pub const MAX_ITEM_CHARS: usize = 200;
/// Longest round name, in characters.
pub const MAX_ROUND_CHARS: usize = 60;

fn default_budget() -> u32 {
    DEFAULT_BUDGET
}

/// A 100 points activity's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Points {
    pub title: String,
    /// 2 to 10 items to spread the points over.
    pub items: Vec<String>,
    /// Points each participant may spread (10–1,000; default 100).
    #[serde(default = "default_budget")]
    pub budget: u32,
    /// Named rounds such as "Before" and "After"; empty for one round (named `""` in the
    /// aggregate).
    #[serde(default)]
    pub rounds: Vec<String>,
}

impl Points {
    fn check_config(&mut self) -> Result<(), Refusal> {
        let invalid = |message: String| Refusal::new(ErrorCode::InvalidAgenda, message);
        self.title = clean_text(&self.title, "title", super::MAX_TITLE_CHARS, true)?;
        if !(MIN_ITEMS..=MAX_ITEMS).contains(&self.items.len()) {
            return Err(invalid(format!("Points go on {MIN_ITEMS} to {MAX_ITEMS} items.")));
        }
        for item in &mut self.items {
            *item = clean_text(item, "item", MAX_ITEM_CHARS, true)?;
        }
        for (i, item) in self.items.iter().enumerate() {
            if self.items[..i].contains(item) {
                return Err(invalid(format!("The item \"{item}\" is listed twice.")));
            }
        }
        if !(MIN_BUDGET..=MAX_BUDGET).contains(&self.budget) {
            return Err(invalid(format!("The budget must be {MIN_BUDGET} to {MAX_BUDGET} points.")));
        }
        if self.rounds.len() > MAX_ROUNDS {
            return Err(invalid(format!("An activity can have at most {MAX_ROUNDS} rounds.")));
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

    /// The rounds' names as the aggregate keys them: `""` for an activity without rounds.
    pub fn round_names(&self) -> Vec<String> {
        if self.rounds.is_empty() { vec![String::new()] } else { self.rounds.clone() }
    }

    /// Checks a spread: one whole, non-negative number per item, within the budget. O(items).
    pub fn check_points(&self, points: Option<&[f64]>) -> Result<Vec<u32>, Refusal> {
        let wrong = |message: String| Refusal::new(ErrorCode::OutOfRange, message);
        let items = self.items.len();
        let Some(points) = points else {
            return Err(wrong("Give your points to the items before sending.".into()));
        };
        if points.len() != items {
            return Err(wrong(format!("Give a number of points for each of the {items} items (0 is fine).")));
        }
        let mut checked = Vec::with_capacity(items);
        let mut sum = 0u64;
        for &given in points {
            if given < 0.0 {
                return Err(wrong("Points cannot be negative.".into()));
            }
            if given.fract() != 0.0 || !given.is_finite() {
                return Err(wrong("Give whole points, without fractions.".into()));
            }
            if given > f64::from(self.budget) {
                return Err(wrong(format!("You have {} points to give, no more.", self.budget)));
            }
            sum += given as u64;
            checked.push(given as u32);
        }
        if sum > u64::from(self.budget) {
            return Err(wrong(format!("That is {sum} points: you have {} to give, no more.", self.budget)));
        }
        Ok(checked)
    }
}

/// Everything a session has gathered for one points activity.
#[derive(Debug, Clone)]
pub struct PointsState {
    items: usize,
    budget: u32,
    /// `answers[round]`: each participant's latest spread.
    answers: Vec<HashMap<ParticipantId, Given>>,
    /// `totals[round][item]`, kept equal to `answers`.
    totals: Vec<Vec<u64>>,
}

#[derive(Debug, Clone)]
struct Given {
    points: Vec<u32>,
    /// When it was given (ms since the Unix epoch).
    at: i64,
}

impl PointsState {
    pub fn new(config: &Points) -> Self {
        let rounds = config.rounds.len().max(1);
        Self {
            items: config.items.len(),
            budget: config.budget,
            answers: vec![HashMap::new(); rounds],
            totals: vec![vec![0; config.items.len()]; rounds],
        }
    }

    pub fn has_answers(&self) -> bool {
        self.answers.iter().any(|answers| !answers.is_empty())
    }

    /// Records a participant's spread (already checked), replacing an earlier one for the
    /// same round: O(items).
    pub fn answer(&mut self, participant: ParticipantId, round: usize, points: Vec<u32>, at: i64) {
        for (total, &given) in self.totals[round].iter_mut().zip(&points) {
            *total += u64::from(given);
        }
        if let Some(previous) = self.answers[round].insert(participant, Given { points, at }) {
            for (total, &given) in self.totals[round].iter_mut().zip(&previous.points) {
                *total -= u64::from(given);
            }
        }
    }

    pub fn respondents(&self, round: usize) -> u32 {
        self.answers.get(round).map_or(0, |answers| answers.len() as u32)
    }

    pub fn mine(&self, participant: ParticipantId, round: usize) -> Vec<u32> {
        self.answers
            .get(round)
            .and_then(|answers| answers.get(&participant))
            .map(|given| given.points.clone())
            .unwrap_or_default()
    }

    /// Adapts the state to a changed configuration: once people have given points, items
    /// may be reworded but not added or removed, the budget may not change, and rounds may
    /// be added but not removed.
    pub fn reconfigure(&mut self, config: &Points) -> Result<(), Refusal> {
        if !self.has_answers() {
            *self = Self::new(config);
            return Ok(());
        }
        let rounds = config.rounds.len().max(1);
        if config.items.len() != self.items || config.budget != self.budget || rounds < self.answers.len() {
            return Err(Refusal::new(
                ErrorCode::ActivityHasAnswers,
                "People have already given points: you can reword the items and add rounds, but not add or remove items, change the budget or remove rounds.",
            ));
        }
        self.answers.resize_with(rounds, HashMap::new);
        self.totals.resize_with(rounds, || vec![0; self.items]);
        Ok(())
    }

    /// One row per item per spread that counts (the latest per participant and round), by
    /// round, participant and item; `value` is the points given.
    pub fn responses(&self, config: &Points) -> Vec<Response> {
        let mut rows = Vec::new();
        for (r, answers) in self.answers.iter().enumerate() {
            let mut answers: Vec<_> = answers.iter().collect();
            answers.sort_unstable_by_key(|(participant, _)| **participant);
            for (participant, given) in answers {
                rows.extend(given.points.iter().enumerate().map(|(item, &points)| Response {
                    participant: *participant,
                    round: config.rounds.get(r).cloned(),
                    statement: Some(item as u32),
                    value: Some(i64::from(points)),
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

    pub fn aggregate(&self, config: &Points) -> PointsAggregate {
        let n: Vec<u32> = self.answers.iter().map(|answers| answers.len() as u32).collect();
        Self::aggregate_of(config, &n, &self.totals)
    }

    /// The results from how many gave points in each round and each item's total per round.
    fn aggregate_of(config: &Points, n: &[u32], totals: &[Vec<u64>]) -> PointsAggregate {
        let names = config.round_names();
        let items = config
            .items
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let rounds = names
                    .iter()
                    .enumerate()
                    .map(|(r, name)| (name.clone(), PointStats::new(n[r], totals[r][i])))
                    .collect();
                PointsItem { text: text.clone(), rounds }
            })
            .collect();
        PointsAggregate { items }
    }
}

/// One group's part of a points activity: how many gave points each round, and each item's
/// total per round.
#[derive(Debug, Clone)]
pub struct PointsTally {
    n: Vec<u32>,
    totals: Vec<Vec<u64>>,
}

impl PointsState {
    /// Adds a participant's points to a group's tally, or takes them away: O(rounds × items).
    fn count(&self, tally: &mut PointsTally, participant: ParticipantId, only: Option<usize>, add: bool) {
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
                for (total, &points) in tally.totals[r].iter_mut().zip(&given.points) {
                    if add {
                        *total += u64::from(points);
                    } else {
                        *total -= u64::from(points);
                    }
                }
            }
        }
    }
}

/// The live results of a points activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PointsAggregate {
    pub items: Vec<PointsItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PointsItem {
    pub text: String,
    /// Per round, in the agenda's order of rounds (`""` for an activity without rounds).
    #[ts(as = "HashMap<String, PointStats>")]
    pub rounds: IndexMap<String, PointStats>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PointStats {
    /// Participants who gave points in this round.
    pub n: u32,
    /// Points given to the item, added over participants.
    #[ts(type = "number")]
    pub total: u64,
    /// Mean points per participant who answered the round; null when nobody did.
    pub mean: Option<f64>,
}

impl PointStats {
    pub fn new(n: u32, total: u64) -> Self {
        Self { n, total, mean: (n > 0).then(|| total as f64 / f64::from(n)) }
    }
}

/// A points activity's journal events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PointsEvent {
    /// A participant spread their points in one round (one number per item).
    PointsAnswer { participant: ParticipantId, activity: String, round: usize, points: Vec<u32> },
}

super::kind::round_answer_event!(PointsEvent::PointsAnswer);

impl Kind for Points {
    type State = PointsState;
    type Event = PointsEvent;
    type Request = NoRequest;
    type Control = NoRequest;
    type Aggregate = PointsAggregate;

    const NAME: &'static str = "points";

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

    fn new_state(&self) -> PointsState {
        PointsState::new(self)
    }

    fn reconfigure(&self, state: &mut PointsState) -> Result<(), Refusal> {
        state.reconfigure(self)
    }

    fn has_answers(&self, state: &PointsState) -> bool {
        state.has_answers()
    }

    fn respondents(&self, state: &PointsState, round: usize) -> u32 {
        state.respondents(round)
    }

    fn propose_answer(&self, _: &PointsState, answer: &kind::Answer, ctx: Ctx) -> Result<PointsEvent, Refusal> {
        let round = kind::answer_round(&self.rounds, answer.round.as_deref())?;
        let points = self.check_points(answer.points.as_deref())?;
        Ok(PointsEvent::PointsAnswer {
            participant: ctx.participant()?,
            activity: answer.activity.clone(),
            round,
            points,
        })
    }

    fn propose_request(&self, _: &PointsState, request: &NoRequest, _: Ctx) -> Result<PointsEvent, Refusal> {
        match *request {}
    }

    fn propose_control(&self, _: &PointsState, control: &NoRequest, _: Ctx) -> Result<PointsEvent, Refusal> {
        match *control {}
    }

    fn apply(&self, state: &mut PointsState, event: &PointsEvent, at: i64) -> Result<Effect, Refusal> {
        let PointsEvent::PointsAnswer { participant, round, points, .. } = event;
        if *round >= self.rounds.len().max(1) {
            return Err(Refusal::new(ErrorCode::NotOpen, "This question is not being asked right now."));
        }
        let sent: Vec<f64> = points.iter().map(|&given| f64::from(given)).collect();
        let points = self.check_points(Some(&sent))?;
        state.answer(*participant, *round, points, at);
        Ok(Effect::Results)
    }

    fn aggregate(&self, state: &PointsState, _: View) -> PointsAggregate {
        state.aggregate(self)
    }

    type Tally = PointsTally;

    fn new_tally(&self) -> PointsTally {
        let rounds = self.rounds.len().max(1);
        PointsTally { n: vec![0; rounds], totals: vec![vec![0; self.items.len()]; rounds] }
    }

    fn count(&self, state: &PointsState, tally: &mut PointsTally, participant: ParticipantId, add: bool) {
        state.count(tally, participant, None, add);
    }

    fn count_event(
        &self,
        state: &PointsState,
        tally: &mut PointsTally,
        participant: ParticipantId,
        event: &Self::Event,
        add: bool,
    ) {
        let PointsEvent::PointsAnswer { round, .. } = event;
        state.count(tally, participant, Some(*round), add);
    }

    fn tally_aggregate(&self, _: &PointsState, tally: &PointsTally, _: View) -> PointsAggregate {
        PointsState::aggregate_of(self, &tally.n, &tally.totals)
    }

    fn tally_respondents(&self, tally: &PointsTally) -> Vec<u32> {
        tally.n.clone()
    }

    fn mine(&self, state: &PointsState, participant: ParticipantId, round: usize, mine: &mut Mine) {
        mine.points = state.mine(participant, round);
    }

    fn responses(&self, state: &PointsState) -> Vec<Response> {
        state.responses(self)
    }

    /// n and totals add up; the means follow from them.
    fn combine(&self, parts: &[&PointsAggregate]) -> PointsAggregate {
        let names = self.round_names();
        let items = self
            .items
            .iter()
            .enumerate()
            .map(|(index, text)| {
                let rounds = names
                    .iter()
                    .map(|round| {
                        let (mut n, mut total) = (0u32, 0u64);
                        for stats in parts.iter().filter_map(|part| part.items.get(index)?.rounds.get(round)) {
                            n += stats.n;
                            total += stats.total;
                        }
                        (round.clone(), PointStats::new(n, total))
                    })
                    .collect();
                PointsItem { text: text.clone(), rounds }
            })
            .collect();
        PointsAggregate { items }
    }

    fn report_blocks(&self, section: &Section<'_, PointsAggregate>) -> Vec<Block> {
        export::report_blocks(self, section)
    }

    fn write_sheet(&self, sheet: &mut Worksheet, results: &PointsAggregate, styles: &Styles) -> Result<(), XlsxError> {
        export::write_sheet(self, sheet, results, styles)
    }

    fn item_label(&self, index: u32) -> Option<&str> {
        self.items.get(index as usize).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(rounds: &[&str]) -> Points {
        let mut config = Points {
            title: "Spend 100 points".into(),
            items: vec!["Training".into(), "Breaks".into(), "Transport".into()],
            budget: 100,
            rounds: rounds.iter().map(|&r| r.into()).collect(),
        };
        config.normalise().expect("valid");
        config
    }

    fn answer(points: &[f64]) -> kind::Answer {
        kind::Answer { activity: "a".into(), points: Some(points.to_vec()), ..Default::default() }
    }

    fn ctx() -> Ctx {
        Ctx { participant: Some(1), item: 0 }
    }

    #[test]
    fn configuration_limits_and_default_budget() {
        let mut ok: Points = serde_json::from_str(r#"{"title": "T", "items": ["a", "b"]}"#).expect("parse");
        ok.normalise().expect("valid");
        assert_eq!(ok.budget, 100);
        for bad in [
            r#"{"title": "T", "items": ["a"]}"#,
            r#"{"title": "T", "items": ["a", "a"]}"#,
            r#"{"title": "T", "items": ["a", "b"], "budget": 9}"#,
            r#"{"title": "T", "items": ["a", "b"], "budget": 1001}"#,
            r#"{"title": "T", "items": ["a", "b"], "rounds": ["x", "x"]}"#,
        ] {
            let mut config: Points = serde_json::from_str(bad).expect("parse");
            assert_eq!(config.normalise().map_err(|e| e.code), Err(ErrorCode::InvalidAgenda), "{bad}");
        }
    }

    #[test]
    fn points_are_whole_non_negative_and_within_the_budget() {
        let config = config(&[]);
        let state = config.new_state();
        for bad in [
            &[50.0, 50.0][..],
            &[50.0, 30.0, 20.0, 0.0],
            &[50.0, 30.0, 21.0],
            &[101.0, 0.0, 0.0],
            &[-1.0, 50.0, 20.0],
            &[0.5, 50.0, 20.0],
            &[f64::NAN, 0.0, 0.0],
        ] {
            let refused = config.propose_answer(&state, &answer(bad), ctx()).map_err(|e| e.code);
            assert_eq!(refused, Err(ErrorCode::OutOfRange), "{bad:?}");
        }
        let missing = kind::Answer { activity: "a".into(), ..Default::default() };
        assert_eq!(config.propose_answer(&state, &missing, ctx()).map_err(|e| e.code), Err(ErrorCode::OutOfRange));
        let event = config.propose_answer(&state, &answer(&[50.0, 30.0, 0.0]), ctx()).expect("under budget is fine");
        assert_eq!(
            event,
            PointsEvent::PointsAnswer { participant: 1, activity: "a".into(), round: 0, points: vec![50, 30, 0] }
        );
    }

    #[test]
    fn totals_means_and_a_replaced_spread() {
        let config = config(&["Before", "After"]);
        let mut state = config.new_state();
        state.answer(1, 0, vec![100, 0, 0], 0);
        state.answer(1, 0, vec![50, 30, 20], 1);
        state.answer(2, 0, vec![0, 40, 60], 2);
        state.answer(2, 1, vec![10, 10, 10], 3);
        let result = state.aggregate(&config);
        assert_eq!(result.items[0].rounds["Before"], PointStats { n: 2, total: 50, mean: Some(25.0) });
        assert_eq!(result.items[2].rounds["Before"], PointStats { n: 2, total: 80, mean: Some(40.0) });
        assert_eq!(result.items[1].rounds["After"], PointStats { n: 1, total: 10, mean: Some(10.0) });
        assert_eq!(state.mine(1, 0), vec![50, 30, 20]);
        assert!(state.mine(1, 1).is_empty());
        assert_eq!(state.responses(&config).len(), 9);
    }

    #[test]
    fn combining_adds_totals_and_recomputes_means() {
        let config = config(&[]);
        let (mut a, mut b, mut both) = (config.new_state(), config.new_state(), config.new_state());
        a.answer(1, 0, vec![100, 0, 0], 0);
        b.answer(1, 0, vec![0, 50, 50], 0);
        b.answer(2, 0, vec![33, 33, 33], 0);
        both.answer(1, 0, vec![100, 0, 0], 0);
        both.answer(2, 0, vec![0, 50, 50], 0);
        both.answer(3, 0, vec![33, 33, 33], 0);
        assert_eq!(config.combine(&[&a.aggregate(&config), &b.aggregate(&config)]), both.aggregate(&config));
        assert_eq!(both.aggregate(&config).items[0].rounds[""].mean, Some(133.0 / 3.0));
    }

    #[test]
    fn the_budget_cannot_change_after_answers() {
        let config = config(&[]);
        let mut state = config.new_state();
        state.answer(1, 0, vec![10, 0, 0], 0);
        let mut bigger = config.clone();
        bigger.budget = 200;
        assert_eq!(bigger.reconfigure(&mut state).map_err(|e| e.code), Err(ErrorCode::ActivityHasAnswers));
        let over =
            PointsEvent::PointsAnswer { participant: 2, activity: "a".into(), round: 0, points: vec![100, 1, 0] };
        assert_eq!(config.apply(&mut state, &over, 0).map_err(|e| e.code), Err(ErrorCode::OutOfRange));
        assert_eq!(state.aggregate(&config).items[0].rounds[""].total, 10);
    }

    #[test]
    fn the_report_has_a_table_per_round_the_change_and_a_chart_described_in_words() {
        let config = config(&["Before", "After"]);
        let mut state = config.new_state();
        state.answer(1, 0, vec![60, 40, 0], 0);
        state.answer(1, 1, vec![20, 20, 60], 0);
        let results = state.aggregate(&config);
        let blocks = config.report_blocks(&Section { results: &results, sessions: Vec::new() });
        assert!(matches!(&blocks[0], Block::Heading { level: 3, .. }), "{:?}", blocks[0]);
        let tables: Vec<&crate::report::Table> =
            blocks.iter().filter_map(|b| if let Block::Table(t) = b { Some(t) } else { None }).collect();
        assert_eq!(tables.len(), 3, "Before, After, and first → last");
        assert_eq!(tables[2].rows[0], vec!["Training", "60.0", "20.0", "-40.0", "60", "20"]);
        let Some(Block::Figure(figure)) = blocks.last() else { panic!("no chart: {blocks:?}") };
        assert!(figure.alt.contains("Transport: 0 → 60 points"), "{}", figure.alt);
        crate::report::chart::png(&figure.svg, 1.0).expect("the chart draws");
    }
}
