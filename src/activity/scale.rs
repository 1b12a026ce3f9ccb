//! Scale activities: "I statements" rated on an integer scale, asked in named rounds.
//!
//! The state keeps each participant's latest value per round and statement, and beside it
//! the counts per point and the running sums of the paired change, so that an answer updates
//! the aggregate in O(1) and a results frame costs O(statements × points), whatever the size
//! of the audience.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

mod export;

pub use export::BeforeAfter;
use rust_xlsxwriter::{Worksheet, XlsxError};

use super::kind::{self, Ctx, Effect, Kind, NoRequest, Section, View};
use super::{Response, clean_text};
use crate::error::{ErrorCode, Refusal};
use crate::protocol::{Mine, ParticipantId};
use crate::report::Block;
use crate::sheet::Styles;

/// Most statements one scale activity may ask.
pub const MAX_STATEMENTS: usize = 10;
/// Most rounds one scale activity may have.
pub const MAX_ROUNDS: usize = 6;
/// Most points a scale may have (0–10).
pub const MAX_POINTS: i32 = 11;
/// Longest statement, in characters.
pub const MAX_STATEMENT_CHARS: usize = 300;
/// Longest label or round name, in characters.
pub const MAX_LABEL_CHARS: usize = 60;
/// The round name given to a scale configured without rounds.
pub const DEFAULT_ROUND: &str = "Answers";

/// A scale activity's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Scale {
    /// The scale's title; left out or empty, it is the first statement.
    #[serde(default)]
    pub title: String,
    /// 1 to 10 statements, each rated on its own.
    pub statements: Vec<String>,
    /// Lowest point (default 1).
    #[serde(default = "default_min")]
    pub min: i32,
    /// Highest point (default 5).
    #[serde(default = "default_max")]
    pub max: i32,
    #[serde(default)]
    pub labels: ScaleLabels,
    /// Named rounds such as "Before" and "After"; each is answered separately. A scale given
    /// no rounds gets one, named "Answers".
    #[serde(default)]
    pub rounds: Vec<String>,
}

fn default_min() -> i32 {
    1
}

fn default_max() -> i32 {
    5
}

/// Words for the ends of the scale and, optionally, for every point.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ScaleLabels {
    #[serde(default)]
    pub min: Option<String>,
    #[serde(default)]
    pub max: Option<String>,
    /// One label per point, lowest first; empty for none.
    #[serde(default)]
    pub points: Vec<String>,
}

impl Scale {
    /// Number of points on the scale.
    pub fn points(&self) -> usize {
        (self.max - self.min + 1) as usize
    }

    /// Index of a round by name.
    pub fn round_index(&self, name: &str) -> Option<usize> {
        self.rounds.iter().position(|round| round == name)
    }

    fn check_config(&mut self) -> Result<(), Refusal> {
        let invalid = |message: String| Refusal::new(ErrorCode::InvalidAgenda, message);
        self.title = clean_text(&self.title, "title", super::MAX_TITLE_CHARS, false)?;
        if self.statements.is_empty() || self.statements.len() > MAX_STATEMENTS {
            return Err(invalid(format!("A scale needs 1 to {MAX_STATEMENTS} statements.")));
        }
        for statement in &mut self.statements {
            *statement = clean_text(statement, "statement", MAX_STATEMENT_CHARS, true)?;
        }
        if self.title.is_empty() {
            self.title = self.statements[0].clone();
        }
        if self.min < 0 || self.min >= self.max || self.max - self.min + 1 > MAX_POINTS {
            return Err(invalid(format!(
                "The scale must go up from its lowest point (0 or more) and have at most {MAX_POINTS} points."
            )));
        }
        for label in [&mut self.labels.min, &mut self.labels.max] {
            if let Some(text) = label {
                let text = clean_text(text, "label", MAX_LABEL_CHARS, false)?;
                *label = (!text.is_empty()).then_some(text);
            }
        }
        if !self.labels.points.is_empty() {
            if self.labels.points.len() != self.points() {
                return Err(invalid("Give a label for every point of the scale, or none.".into()));
            }
            for label in &mut self.labels.points {
                *label = clean_text(label, "label", MAX_LABEL_CHARS, false)?;
            }
        }
        if self.rounds.is_empty() {
            self.rounds.push(DEFAULT_ROUND.to_owned());
        }
        if self.rounds.len() > MAX_ROUNDS {
            return Err(invalid(format!("A scale can have at most {MAX_ROUNDS} rounds.")));
        }
        for round in &mut self.rounds {
            *round = clean_text(round, "round name", MAX_LABEL_CHARS, true)?;
        }
        for (i, round) in self.rounds.iter().enumerate() {
            if self.rounds[..i].contains(round) {
                return Err(invalid(format!("The round \"{round}\" is named twice.")));
            }
        }
        Ok(())
    }

    /// Checks an answer against the configuration and returns the round's index.
    pub fn check_answer(
        &self,
        round: Option<&str>,
        statement: Option<u32>,
        value: Option<i64>,
    ) -> Result<(usize, usize, i32), Refusal> {
        let round = match round {
            Some(name) => self.round_index(name).ok_or_else(|| {
                Refusal::new(ErrorCode::UnknownRound, format!("This activity has no round called \"{name}\"."))
            })?,
            None if self.rounds.len() == 1 => 0,
            None => {
                return Err(Refusal::new(ErrorCode::UnknownRound, "Say which round the answer is for."));
            }
        };
        let statement = statement
            .map(|s| s as usize)
            .filter(|&s| s < self.statements.len())
            .ok_or_else(|| Refusal::new(ErrorCode::UnknownStatement, "That statement is not part of this activity."))?;
        let value = value
            .and_then(|v| i32::try_from(v).ok())
            .filter(|v| (self.min..=self.max).contains(v))
            .ok_or_else(|| {
                Refusal::new(ErrorCode::OutOfRange, format!("Choose a whole number from {} to {}.", self.min, self.max))
            })?;
        Ok((round, statement, value))
    }
}

/// Everything a session has gathered for one scale activity.
#[derive(Debug, Clone)]
pub struct ScaleState {
    min: i32,
    /// `answers[round][statement]`: each participant's latest answer.
    answers: Vec<Vec<HashMap<ParticipantId, Answer>>>,
    /// `counts[round][statement][point]`, kept equal to `answers`.
    counts: Vec<Vec<Vec<u32>>>,
    /// Per statement: participants who answered the first and the last round, and the sum of
    /// their changes.
    paired: Vec<PairedSum>,
    /// Per round: participants who answered at least one statement, kept as answers come in
    /// so that "answered / joined" costs O(1) per frame.
    respondents: Vec<u32>,
}

#[derive(Debug, Clone, Copy)]
struct Answer {
    value: i32,
    /// When it was given (ms since the Unix epoch).
    at: i64,
}

#[derive(Debug, Clone, Copy, Default)]
struct PairedSum {
    n: u32,
    sum: i64,
}

impl ScaleState {
    pub fn new(scale: &Scale) -> Self {
        let rounds = scale.rounds.len();
        let statements = scale.statements.len();
        Self {
            min: scale.min,
            answers: vec![vec![HashMap::new(); statements]; rounds],
            counts: vec![vec![vec![0; scale.points()]; statements]; rounds],
            paired: vec![PairedSum::default(); statements],
            respondents: vec![0; rounds],
        }
    }

    pub fn has_answers(&self) -> bool {
        self.answers.iter().flatten().any(|answers| !answers.is_empty())
    }

    /// Records a participant's answer (already checked against the configuration), replacing
    /// an earlier one for the same round and statement.
    pub fn answer(&mut self, participant: ParticipantId, round: usize, statement: usize, value: i32, at: i64) {
        let paired_round = self.answers.len() > 1 && (round == 0 || round + 1 == self.answers.len());
        if paired_round {
            self.unpair(participant, statement);
        }
        // O(statements), at most 10: a first answer in the round makes a new respondent.
        if !self.answers[round].iter().any(|answers| answers.contains_key(&participant)) {
            self.respondents[round] += 1;
        }
        let previous = self.answers[round][statement].insert(participant, Answer { value, at });
        let counts = &mut self.counts[round][statement];
        if let Some(previous) = previous {
            counts[(previous.value - self.min) as usize] -= 1;
        }
        counts[(value - self.min) as usize] += 1;
        if paired_round {
            self.pair(participant, statement);
        }
    }

    fn first_and_last(&self, participant: ParticipantId, statement: usize) -> Option<(i32, i32)> {
        let first = self.answers.first()?[statement].get(&participant)?;
        let last = self.answers.last()?[statement].get(&participant)?;
        Some((first.value, last.value))
    }

    fn unpair(&mut self, participant: ParticipantId, statement: usize) {
        if let Some((first, last)) = self.first_and_last(participant, statement) {
            let paired = &mut self.paired[statement];
            paired.n -= 1;
            paired.sum -= i64::from(last - first);
        }
    }

    fn pair(&mut self, participant: ParticipantId, statement: usize) {
        if let Some((first, last)) = self.first_and_last(participant, statement) {
            let paired = &mut self.paired[statement];
            paired.n += 1;
            paired.sum += i64::from(last - first);
        }
    }

    /// The participant's saved values in one round, per statement.
    pub fn mine(&self, participant: ParticipantId, round: usize) -> Vec<Option<i64>> {
        self.answers
            .get(round)
            .map(|statements| {
                statements.iter().map(|answers| answers.get(&participant).map(|a| i64::from(a.value))).collect()
            })
            .unwrap_or_default()
    }

    /// How many distinct participants answered anything in a round.
    pub fn respondents(&self, round: usize) -> u32 {
        self.respondents.get(round).copied().unwrap_or(0)
    }

    /// Adapts the state to a changed configuration. Answers already given keep their meaning:
    /// the range may not change, and statements and rounds may be added or renamed but not
    /// removed.
    pub fn reconfigure(&mut self, scale: &Scale) -> Result<(), Refusal> {
        if !self.has_answers() {
            *self = Self::new(scale);
            return Ok(());
        }
        let shrinks = scale.statements.len() < self.paired.len() || scale.rounds.len() < self.answers.len();
        if scale.min != self.min || scale.points() != self.counts[0][0].len() || shrinks {
            return Err(Refusal::new(
                ErrorCode::ActivityHasAnswers,
                "People have already answered this scale: you can reword it and add statements or rounds, but not remove them or change the range.",
            ));
        }
        let points = scale.points();
        for statements in &mut self.answers {
            statements.resize_with(scale.statements.len(), HashMap::new);
        }
        for counts in &mut self.counts {
            counts.resize_with(scale.statements.len(), || vec![0; points]);
        }
        self.answers.resize_with(scale.rounds.len(), || vec![HashMap::new(); scale.statements.len()]);
        self.counts.resize_with(scale.rounds.len(), || vec![vec![0; points]; scale.statements.len()]);
        self.respondents.resize(scale.rounds.len(), 0);
        // The last round may have moved: recount the pairs from the answers.
        self.paired = vec![PairedSum::default(); scale.statements.len()];
        if self.answers.len() > 1 {
            for statement in 0..scale.statements.len() {
                let participants: Vec<ParticipantId> = self.answers[0][statement].keys().copied().collect();
                for participant in participants {
                    self.pair(participant, statement);
                }
            }
        }
        Ok(())
    }

    /// One row per answer that counts (the latest per participant, round and statement),
    /// by round, statement and participant.
    pub fn responses(&self, scale: &Scale) -> Vec<Response> {
        let mut rows = Vec::new();
        for (r, statements) in self.answers.iter().enumerate() {
            for (s, answers) in statements.iter().enumerate() {
                let mut answers: Vec<_> = answers.iter().collect();
                answers.sort_unstable_by_key(|(participant, _)| **participant);
                rows.extend(answers.into_iter().map(|(participant, answer)| Response {
                    participant: *participant,
                    round: scale.rounds.get(r).cloned(),
                    statement: Some(s as u32),
                    value: Some(i64::from(answer.value)),
                    text: None,
                    frame: None,
                    theme: None,
                    hidden: false,
                    at: answer.at,
                }));
            }
        }
        rows
    }

    pub fn aggregate(&self, scale: &Scale) -> ScaleAggregate {
        Self::aggregate_of(scale, &self.counts, &self.paired)
    }

    /// The results from counts per round, statement and point, and the paired sums.
    fn aggregate_of(scale: &Scale, counts: &[Vec<Vec<u32>>], paired: &[PairedSum]) -> ScaleAggregate {
        let statements = scale
            .statements
            .iter()
            .enumerate()
            .map(|(s, text)| {
                let rounds = scale
                    .rounds
                    .iter()
                    .enumerate()
                    .map(|(r, name)| (name.clone(), RoundStats::from_counts(scale.min, &counts[r][s])))
                    .collect();
                let paired = (scale.rounds.len() > 1).then(|| {
                    let PairedSum { n, sum } = paired[s];
                    Paired { n, mean_change: (n > 0).then(|| sum as f64 / f64::from(n)) }
                });
                StatementResults { text: text.clone(), rounds, paired }
            })
            .collect();
        ScaleAggregate { statements }
    }
}

/// One group's part of a scale: the state's counts without the answers.
#[derive(Debug, Clone)]
pub struct ScaleTally {
    counts: Vec<Vec<Vec<u32>>>,
    paired: Vec<PairedSum>,
    respondents: Vec<u32>,
}

impl ScaleState {
    /// Adds a participant's answers to a group's tally, or takes them away: all of them, or
    /// with `only` one round and statement's (its count, the round's respondents and the
    /// statement's pair), O(statements).
    fn count(&self, tally: &mut ScaleTally, participant: ParticipantId, only: Option<(usize, usize)>, add: bool) {
        let step = |n: &mut u32| if add { *n += 1 } else { *n -= 1 };
        for (r, statements) in self.answers.iter().enumerate() {
            if only.is_some_and(|(round, _)| round != r) {
                continue;
            }
            let mut answered = false;
            for (s, answers) in statements.iter().enumerate() {
                if let Some(answer) = answers.get(&participant) {
                    answered = true;
                    if only.is_none_or(|(_, statement)| statement == s) {
                        step(&mut tally.counts[r][s][(answer.value - self.min) as usize]);
                    }
                }
            }
            if answered {
                step(&mut tally.respondents[r]);
            }
        }
        let rounds = self.answers.len();
        let paired_round = |r: usize| r == 0 || r + 1 == rounds;
        if rounds > 1 && only.is_none_or(|(round, _)| paired_round(round)) {
            for s in 0..tally.paired.len() {
                if only.is_some_and(|(_, statement)| statement != s) {
                    continue;
                }
                if let Some((first, last)) = self.first_and_last(participant, s) {
                    let paired = &mut tally.paired[s];
                    step(&mut paired.n);
                    paired.sum += if add { i64::from(last - first) } else { -i64::from(last - first) };
                }
            }
        }
    }
}

/// The live results of a scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ScaleAggregate {
    pub statements: Vec<StatementResults>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct StatementResults {
    pub text: String,
    /// Per round, in the agenda's order of rounds.
    #[ts(as = "HashMap<String, RoundStats>")]
    pub rounds: IndexMap<String, RoundStats>,
    /// The change from the first to the last round over participants who answered both;
    /// null for a scale with one round.
    pub paired: Option<Paired>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RoundStats {
    /// Distinct participants who answered.
    pub n: u32,
    /// Null when nobody answered.
    pub mean: Option<f64>,
    pub median: Option<f64>,
    /// How many chose each point, lowest first.
    pub counts: Vec<u32>,
}

impl RoundStats {
    pub fn from_counts(min: i32, counts: &[u32]) -> Self {
        let n: u32 = counts.iter().sum();
        if n == 0 {
            return Self { n, mean: None, median: None, counts: counts.to_vec() };
        }
        let value = |i: usize| f64::from(min) + i as f64;
        let total: f64 = counts.iter().enumerate().map(|(i, &c)| value(i) * f64::from(c)).sum();
        // The k-th smallest answer (0-based), read off the cumulative counts.
        let nth = |k: u32| {
            let mut seen = 0;
            for (i, &c) in counts.iter().enumerate() {
                seen += c;
                if seen > k {
                    return value(i);
                }
            }
            value(counts.len() - 1)
        };
        let median = if n % 2 == 1 { nth(n / 2) } else { (nth(n / 2 - 1) + nth(n / 2)) / 2.0 };
        Self { n, mean: Some(total / f64::from(n)), median: Some(median), counts: counts.to_vec() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Paired {
    pub n: u32,
    /// Null when nobody answered both rounds.
    pub mean_change: Option<f64>,
}

/// A scale's journal events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ScaleEvent {
    /// A participant rated one statement of a scale in one round.
    ScaleAnswer { participant: ParticipantId, activity: String, round: usize, statement: usize, value: i32 },
}

super::kind::round_answer_event!(ScaleEvent::ScaleAnswer);

impl Kind for Scale {
    type State = ScaleState;
    type Event = ScaleEvent;
    type Request = NoRequest;
    type Control = NoRequest;
    type Aggregate = ScaleAggregate;

    const NAME: &'static str = "scale";

    fn normalise(&mut self) -> Result<(), Refusal> {
        self.check_config()
    }

    fn title(&self) -> &str {
        &self.title
    }

    fn rounds(&self) -> &[String] {
        &self.rounds
    }

    fn new_state(&self) -> ScaleState {
        ScaleState::new(self)
    }

    fn reconfigure(&self, state: &mut ScaleState) -> Result<(), Refusal> {
        state.reconfigure(self)
    }

    fn has_answers(&self, state: &ScaleState) -> bool {
        state.has_answers()
    }

    fn respondents(&self, state: &ScaleState, round: usize) -> u32 {
        state.respondents(round)
    }

    fn propose_answer(&self, _: &ScaleState, answer: &kind::Answer, ctx: Ctx) -> Result<ScaleEvent, Refusal> {
        let (round, statement, value) = self.check_answer(answer.round.as_deref(), answer.statement, answer.value)?;
        Ok(ScaleEvent::ScaleAnswer {
            participant: ctx.participant()?,
            activity: answer.activity.clone(),
            round,
            statement,
            value,
        })
    }

    fn propose_request(&self, _: &ScaleState, request: &NoRequest, _: Ctx) -> Result<ScaleEvent, Refusal> {
        match *request {}
    }

    fn propose_control(&self, _: &ScaleState, control: &NoRequest, _: Ctx) -> Result<ScaleEvent, Refusal> {
        match *control {}
    }

    fn apply(&self, state: &mut ScaleState, event: &ScaleEvent, at: i64) -> Result<Effect, Refusal> {
        let ScaleEvent::ScaleAnswer { participant, round, statement, value, .. } = event;
        let Some(name) = self.rounds.get(*round) else {
            return Err(Refusal::new(ErrorCode::NotOpen, "This question is not being asked right now."));
        };
        self.check_answer(Some(name), Some(*statement as u32), Some(i64::from(*value)))?;
        state.answer(*participant, *round, *statement, *value, at);
        Ok(Effect::Results)
    }

    fn aggregate(&self, state: &ScaleState, _: View) -> ScaleAggregate {
        state.aggregate(self)
    }

    type Tally = ScaleTally;

    fn new_tally(&self) -> ScaleTally {
        let (rounds, statements) = (self.rounds.len(), self.statements.len());
        ScaleTally {
            counts: vec![vec![vec![0; self.points()]; statements]; rounds],
            paired: vec![PairedSum::default(); statements],
            respondents: vec![0; rounds],
        }
    }

    fn count(&self, state: &ScaleState, tally: &mut ScaleTally, participant: ParticipantId, add: bool) {
        state.count(tally, participant, None, add);
    }

    fn count_event(
        &self,
        state: &ScaleState,
        tally: &mut ScaleTally,
        participant: ParticipantId,
        event: &ScaleEvent,
        add: bool,
    ) {
        let ScaleEvent::ScaleAnswer { round, statement, .. } = event;
        state.count(tally, participant, Some((*round, *statement)), add);
    }

    fn tally_aggregate(&self, _: &ScaleState, tally: &ScaleTally, _: View) -> ScaleAggregate {
        ScaleState::aggregate_of(self, &tally.counts, &tally.paired)
    }

    fn tally_respondents(&self, tally: &ScaleTally) -> Vec<u32> {
        tally.respondents.clone()
    }

    fn mine(&self, state: &ScaleState, participant: ParticipantId, round: usize, mine: &mut Mine) {
        mine.values = state.mine(participant, round);
    }

    fn responses(&self, state: &ScaleState) -> Vec<Response> {
        state.responses(self)
    }

    /// Counts per point add up; means and medians follow from the counts, exactly. The paired
    /// change is the mean over everyone paired in any session.
    fn combine(&self, parts: &[&ScaleAggregate]) -> ScaleAggregate {
        let statements = self
            .statements
            .iter()
            .enumerate()
            .map(|(index, text)| {
                let rounds: IndexMap<String, RoundStats> = self
                    .rounds
                    .iter()
                    .map(|round| {
                        let mut counts = vec![0u32; self.points()];
                        for part in parts {
                            let Some(stats) = part.statements.get(index).and_then(|s| s.rounds.get(round)) else {
                                continue;
                            };
                            for (total, count) in counts.iter_mut().zip(&stats.counts) {
                                *total += count;
                            }
                        }
                        (round.clone(), RoundStats::from_counts(self.min, &counts))
                    })
                    .collect();
                let paired = (self.rounds.len() > 1).then(|| {
                    let (mut n, mut sum) = (0u32, 0f64);
                    for paired in parts.iter().filter_map(|part| part.statements.get(index)?.paired.as_ref()) {
                        n += paired.n;
                        sum += paired.mean_change.unwrap_or(0.0) * f64::from(paired.n);
                    }
                    Paired { n, mean_change: (n > 0).then(|| sum / f64::from(n)) }
                });
                StatementResults { text: text.clone(), rounds, paired }
            })
            .collect();
        ScaleAggregate { statements }
    }

    fn report_blocks(&self, section: &Section<'_, ScaleAggregate>) -> Vec<Block> {
        export::report_blocks(self, section)
    }

    fn write_sheet(&self, sheet: &mut Worksheet, results: &ScaleAggregate, styles: &Styles) -> Result<(), XlsxError> {
        export::write_sheet(self, sheet, results, styles)
    }

    fn write_summary(
        &self,
        summary: &mut Worksheet,
        row: u32,
        number: usize,
        section: &Section<'_, ScaleAggregate>,
        styles: &Styles,
    ) -> Result<u32, XlsxError> {
        export::write_summary(self, summary, row, number, section, styles)
    }

    fn item_label(&self, index: u32) -> Option<&str> {
        self.statements.get(index as usize).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn before_after(statements: usize) -> Scale {
        let mut scale = Scale {
            title: "How do you feel?".into(),
            statements: (0..statements).map(|i| format!("Statement {i}")).collect(),
            min: 1,
            max: 5,
            labels: ScaleLabels::default(),
            rounds: vec!["Before".into(), "After".into()],
        };
        scale.normalise().expect("valid scale");
        scale
    }

    #[test]
    fn stats_follow_the_counts() {
        let stats = RoundStats::from_counts(1, &[1, 0, 2, 0, 1]);
        assert_eq!(stats.n, 4);
        assert_eq!(stats.mean, Some(3.0));
        assert_eq!(stats.median, Some(3.0));
        let even = RoundStats::from_counts(1, &[1, 1, 0, 0, 0]);
        assert_eq!(even.median, Some(1.5));
        let empty = RoundStats::from_counts(1, &[0; 5]);
        assert_eq!((empty.n, empty.mean, empty.median), (0, None, None));
    }

    #[test]
    fn a_changed_answer_counts_once_and_pairs_follow_it() {
        let scale = before_after(1);
        let mut state = ScaleState::new(&scale);
        state.answer(1, 0, 0, 2, 0);
        state.answer(1, 0, 0, 3, 0);
        state.answer(1, 1, 0, 5, 0);
        state.answer(2, 1, 0, 4, 0);
        let result = &state.aggregate(&scale).statements[0];
        assert_eq!(result.rounds["Before"].n, 1);
        assert_eq!(result.rounds["Before"].counts, vec![0, 0, 1, 0, 0]);
        assert_eq!(result.rounds["After"].n, 2);
        assert_eq!(result.paired, Some(Paired { n: 1, mean_change: Some(2.0) }));
    }

    #[test]
    fn normalising_fills_defaults_and_refuses_nonsense() {
        let mut scale: Scale = serde_json::from_str(r#"{"title": " T ", "statements": [" I know "]}"#).expect("parse");
        scale.normalise().expect("valid");
        assert_eq!((scale.min, scale.max), (1, 5));
        assert_eq!(scale.rounds, vec![DEFAULT_ROUND.to_owned()]);
        assert_eq!(scale.statements, vec!["I know".to_owned()]);
        for bad in [
            r#"{"title": "T", "statements": []}"#,
            r#"{"title": "T", "statements": ["a"], "min": 5, "max": 1}"#,
            r#"{"title": "T", "statements": ["a"], "min": 0, "max": 20}"#,
            r#"{"title": "T", "statements": [" "]}"#,
            r#"{"title": "T", "statements": ["a"], "rounds": ["Before", "Before"]}"#,
        ] {
            let mut scale: Scale = serde_json::from_str(bad).expect("parse");
            assert_eq!(scale.normalise().map_err(|e| e.code), Err(ErrorCode::InvalidAgenda), "{bad}");
        }
    }

    /// Recomputes the aggregate from the final answers alone, the slow and obvious way.
    fn from_scratch(scale: &Scale, last: &HashMap<(ParticipantId, usize, usize), i32>) -> ScaleAggregate {
        let mut state = ScaleState::new(scale);
        let mut keys: Vec<_> = last.keys().copied().collect();
        keys.sort_unstable();
        for key @ (participant, round, statement) in keys {
            state.answer(participant, round, statement, last[&key], 0);
        }
        state.aggregate(scale)
    }

    proptest! {
        /// Whatever order answers arrive in, the aggregate equals the one built from each
        /// participant's latest answers, and n counts distinct answerers.
        #[test]
        fn order_of_answers_never_changes_the_result(
            answers in prop::collection::vec((1u32..12, 0usize..2, 0usize..3, 1i32..=5), 0..200),
            seed in any::<u64>(),
        ) {
            let scale = before_after(3);
            let mut live = ScaleState::new(&scale);
            let mut last = HashMap::new();
            for &(p, r, s, v) in &answers {
                live.answer(p, r, s, v, 0);
                last.insert((p, r, s), v);
            }
            let expected = from_scratch(&scale, &last);
            prop_assert_eq!(live.aggregate(&scale), expected.clone());

            // The latest answer per key wins; interleave the keys in another order.
            let mut shuffled: Vec<_> = last.iter().map(|(&k, &v)| (k, v)).collect();
            let mut x = seed | 1;
            for i in (1..shuffled.len()).rev() {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                shuffled.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let mut other = ScaleState::new(&scale);
            for ((p, r, s), v) in shuffled {
                other.answer(p, r, s, v, 0);
            }
            prop_assert_eq!(other.aggregate(&scale), expected.clone());

            for s in 0..3 {
                for (r, name) in scale.rounds.iter().enumerate() {
                    let distinct = last.keys().filter(|&&(_, rr, ss)| rr == r && ss == s).count() as u32;
                    prop_assert_eq!(expected.statements[s].rounds[name].n, distinct);
                }
            }
        }
    }
}
