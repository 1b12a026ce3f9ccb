//! Multiple choice: 2–12 options, one choice or up to `max_choices`, asked in named rounds
//! ("Before", "After") or in one unnamed round.
//!
//! The state keeps each participant's latest choices per round and beside them the count per
//! option, so a (changed) answer costs O(choices) and a results frame O(options × rounds).
//! Shares are shares of participants: `count / n`, where n is how many answered the round, so
//! with several choices each the shares add up to more than 100 %.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

mod export;

use rust_xlsxwriter::{Worksheet, XlsxError};

use super::kind::{self, Ctx, Effect, Kind, NoRequest, Section, View};
use super::{Response, clean_text};
use crate::error::{ErrorCode, Refusal};
use crate::protocol::{Mine, ParticipantId};
use crate::report::Block;
use crate::sheet::Styles;

/// Fewest options a choice offers.
pub const MIN_OPTIONS: usize = 2;
/// Most options a choice offers.
pub const MAX_OPTIONS: usize = 12;
/// Longest option, in characters.
pub const MAX_OPTION_CHARS: usize = 200;
/// Most rounds one choice may have.
pub const MAX_ROUNDS: usize = 6;
/// Longest round name, in characters.
pub const MAX_ROUND_CHARS: usize = 60;
/// The round name a choice without rounds uses in its aggregate's maps.
pub const NO_ROUND: &str = "";

/// A multiple-choice activity's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Choice {
    /// The question.
    #[serde(default)]
    pub title: String,
    /// 2 to 12 options, each said once.
    pub options: Vec<String>,
    /// How many options a participant may choose (default 1, at most every option).
    #[serde(default = "one")]
    pub max_choices: u32,
    /// Named rounds such as "Before" and "After"; empty for one round, named `""` in the
    /// aggregate.
    #[serde(default)]
    pub rounds: Vec<String>,
}

fn one() -> u32 {
    1
}

impl Choice {
    /// The rounds' names as the aggregate's maps use them: `[""]` when there are none.
    fn round_names(&self) -> Vec<&str> {
        if self.rounds.is_empty() { vec![NO_ROUND] } else { self.rounds.iter().map(String::as_str).collect() }
    }

    fn check_config(&mut self) -> Result<(), Refusal> {
        let invalid = |message: String| Refusal::new(ErrorCode::InvalidAgenda, message);
        self.title = clean_text(&self.title, "question", super::MAX_TITLE_CHARS, true)?;
        if !(MIN_OPTIONS..=MAX_OPTIONS).contains(&self.options.len()) {
            return Err(invalid(format!("A multiple choice needs {MIN_OPTIONS} to {MAX_OPTIONS} options.")));
        }
        for option in &mut self.options {
            *option = clean_text(option, "option", MAX_OPTION_CHARS, true)?;
        }
        for (i, option) in self.options.iter().enumerate() {
            if self.options[..i].iter().any(|earlier| earlier.to_lowercase() == option.to_lowercase()) {
                return Err(invalid(format!("The option \"{option}\" is given twice.")));
            }
        }
        if self.max_choices == 0 || self.max_choices as usize > self.options.len() {
            return Err(invalid(format!(
                "People may choose from 1 to {} options here (max_choices).",
                self.options.len()
            )));
        }
        if self.rounds.len() > MAX_ROUNDS {
            return Err(invalid(format!("A multiple choice can have at most {MAX_ROUNDS} rounds.")));
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

    /// Checks the chosen options: whole numbers naming options, each once, at least one and
    /// at most `max_choices`. Returns them in the order sent.
    pub fn check_choices(&self, choices: Option<&[f64]>) -> Result<Vec<u32>, Refusal> {
        let options = self.options.len();
        let Some(choices) = choices.filter(|choices| !choices.is_empty()) else {
            return Err(Refusal::new(ErrorCode::InvalidAnswer, "Choose at least one option."));
        };
        if choices.len() > self.max_choices as usize {
            let message = if self.max_choices == 1 {
                "Choose only one option.".to_owned()
            } else {
                format!("Choose at most {} options.", self.max_choices)
            };
            return Err(Refusal::new(ErrorCode::InvalidAnswer, message));
        }
        let mut chosen = Vec::with_capacity(choices.len());
        for &choice in choices {
            if choice.fract() != 0.0 || !(0.0..options as f64).contains(&choice) {
                return Err(Refusal::new(
                    ErrorCode::OutOfRange,
                    format!("That option is not part of this question: choose from options 0 to {}.", options - 1),
                ));
            }
            let choice = choice as u32;
            if chosen.contains(&choice) {
                return Err(Refusal::new(ErrorCode::InvalidAnswer, "Choose each option only once."));
            }
            chosen.push(choice);
        }
        Ok(chosen)
    }
}

/// Everything a session has gathered for one multiple-choice activity.
#[derive(Debug, Clone)]
pub struct ChoiceState {
    /// `answers[round]`: each participant's latest choices.
    answers: Vec<HashMap<ParticipantId, Chosen>>,
    /// `counts[round][option]`, kept equal to `answers`.
    counts: Vec<Vec<u32>>,
    /// Whether the rounds have names (an unnamed one may not become named once answered).
    named: bool,
}

#[derive(Debug, Clone)]
struct Chosen {
    options: Vec<u32>,
    /// When they were given (ms since the Unix epoch).
    at: i64,
}

impl ChoiceState {
    pub fn new(choice: &Choice) -> Self {
        let rounds = choice.rounds.len().max(1);
        Self {
            answers: vec![HashMap::new(); rounds],
            counts: vec![vec![0; choice.options.len()]; rounds],
            named: !choice.rounds.is_empty(),
        }
    }

    pub fn has_answers(&self) -> bool {
        self.answers.iter().any(|answers| !answers.is_empty())
    }

    /// Records a participant's choices (already checked), replacing their earlier ones in the
    /// round: O(choices).
    pub fn answer(&mut self, participant: ParticipantId, round: usize, options: &[u32], at: i64) {
        let previous = self.answers[round].insert(participant, Chosen { options: options.to_vec(), at });
        let counts = &mut self.counts[round];
        if let Some(previous) = previous {
            for &option in &previous.options {
                counts[option as usize] -= 1;
            }
        }
        for &option in options {
            counts[option as usize] += 1;
        }
    }

    /// How many participants answered a round.
    pub fn respondents(&self, round: usize) -> u32 {
        self.answers.get(round).map_or(0, |answers| answers.len() as u32)
    }

    /// The participant's saved choices in one round.
    pub fn mine(&self, participant: ParticipantId, round: usize) -> Vec<u32> {
        self.answers
            .get(round)
            .and_then(|answers| answers.get(&participant))
            .map_or_else(Vec::new, |c| c.options.clone())
    }

    /// Adapts the state to a changed configuration. Answers keep their meaning: options and
    /// rounds may be reworded or added, not removed; fewer choices may not be allowed; a
    /// choice without rounds may not gain them (nor lose them) once answered.
    pub fn reconfigure(&mut self, choice: &Choice) -> Result<(), Refusal> {
        if !self.has_answers() {
            *self = Self::new(choice);
            return Ok(());
        }
        let options = self.counts[0].len();
        // O(answers), only when the agenda changes.
        let most_chosen = self.answers.iter().flat_map(HashMap::values).map(|c| c.options.len()).max().unwrap_or(0);
        let named = !choice.rounds.is_empty();
        let rounds_kept = self.named == named && choice.rounds.len().max(1) >= self.answers.len();
        if choice.options.len() < options || most_chosen > choice.max_choices as usize || !rounds_kept {
            return Err(Refusal::new(
                ErrorCode::ActivityHasAnswers,
                "People have already answered this question: you can reword it and add options, but not remove options or rounds, give rounds to a question asked without them (or take them away), or allow fewer choices.",
            ));
        }
        for counts in &mut self.counts {
            counts.resize(choice.options.len(), 0);
        }
        let rounds = choice.rounds.len().max(1);
        self.answers.resize_with(rounds, HashMap::new);
        self.counts.resize_with(rounds, || vec![0; choice.options.len()]);
        Ok(())
    }

    /// One row per chosen option per participant and round, by round, participant and option.
    pub fn responses(&self, choice: &Choice) -> Vec<Response> {
        let mut rows = Vec::new();
        for (r, answers) in self.answers.iter().enumerate() {
            let mut answers: Vec<_> = answers.iter().collect();
            answers.sort_unstable_by_key(|(participant, _)| **participant);
            for (participant, chosen) in answers {
                let mut options = chosen.options.clone();
                options.sort_unstable();
                rows.extend(options.into_iter().map(|option| Response {
                    participant: *participant,
                    round: choice.rounds.get(r).cloned(),
                    statement: Some(option),
                    value: Some(1),
                    text: None,
                    frame: None,
                    theme: None,
                    hidden: false,
                    at: chosen.at,
                }));
            }
        }
        rows
    }

    pub fn aggregate(&self, choice: &Choice) -> ChoiceAggregate {
        let names = choice.round_names();
        let n: Vec<u32> = (0..names.len()).map(|r| self.respondents(r)).collect();
        let counts = |option: usize| names.iter().enumerate().map(move |(r, _)| self.counts[r][option]);
        ChoiceAggregate::from_counts(choice, &n, |option| counts(option).collect())
    }
}

/// One group's part of a multiple choice: how many answered each round, and each option's
/// count per round.
#[derive(Debug, Clone)]
pub struct ChoiceTally {
    n: Vec<u32>,
    counts: Vec<Vec<u32>>,
}

impl ChoiceState {
    /// Adds a participant's choices to a group's tally, or takes them away: O(rounds × choices).
    fn count(&self, tally: &mut ChoiceTally, participant: ParticipantId, only: Option<usize>, add: bool) {
        let step = |n: &mut u32| if add { *n += 1 } else { *n -= 1 };
        for (r, answers) in self.answers.iter().enumerate() {
            if only.is_some_and(|round| round != r) {
                continue;
            }
            if let Some(chosen) = answers.get(&participant) {
                step(&mut tally.n[r]);
                for &option in &chosen.options {
                    step(&mut tally.counts[r][option as usize]);
                }
            }
        }
    }
}

/// The live results of a multiple choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ChoiceAggregate {
    pub options: Vec<OptionResults>,
    /// Per round, in the agenda's order: how many answered (`""` for a choice without rounds).
    #[ts(as = "HashMap<String, ChoiceRound>")]
    pub rounds: IndexMap<String, ChoiceRound>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OptionResults {
    pub text: String,
    /// Per round, in the agenda's order of rounds.
    #[ts(as = "HashMap<String, OptionRound>")]
    pub rounds: IndexMap<String, OptionRound>,
    /// With two or more rounds: the last round's share less the first's (null when either
    /// round has no answers, and for a choice with one round).
    pub change: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OptionRound {
    /// Participants who chose the option.
    pub count: u32,
    /// `count / n`: the share of the round's participants who chose it, 0 to 1; null when
    /// nobody answered.
    pub share: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ChoiceRound {
    /// Participants who answered the round.
    pub n: u32,
}

impl ChoiceAggregate {
    /// The aggregate from n per round and each option's count per round.
    fn from_counts(choice: &Choice, n: &[u32], counts: impl Fn(usize) -> Vec<u32>) -> Self {
        let names = choice.round_names();
        let share = |count: u32, n: u32| (n > 0).then(|| f64::from(count) / f64::from(n));
        let options = choice
            .options
            .iter()
            .enumerate()
            .map(|(option, text)| {
                let counts = counts(option);
                let rounds: IndexMap<String, OptionRound> = names
                    .iter()
                    .zip(&counts)
                    .zip(n)
                    .map(|((name, &count), &n)| ((*name).to_owned(), OptionRound { count, share: share(count, n) }))
                    .collect();
                let change = if names.len() > 1 {
                    let first = rounds.first().and_then(|(_, r)| r.share);
                    let last = rounds.last().and_then(|(_, r)| r.share);
                    first.zip(last).map(|(first, last)| last - first)
                } else {
                    None
                };
                OptionResults { text: text.clone(), rounds, change }
            })
            .collect();
        let rounds = names.iter().zip(n).map(|(name, &n)| ((*name).to_owned(), ChoiceRound { n })).collect();
        Self { options, rounds }
    }
}

/// A multiple choice's journal events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChoiceEvent {
    /// A participant chose options in one round, replacing their earlier choices there.
    ChoiceAnswer { participant: ParticipantId, activity: String, round: usize, choices: Vec<u32> },
}

super::kind::round_answer_event!(ChoiceEvent::ChoiceAnswer);

impl Kind for Choice {
    type State = ChoiceState;
    type Event = ChoiceEvent;
    type Request = NoRequest;
    type Control = NoRequest;
    type Aggregate = ChoiceAggregate;

    const NAME: &'static str = "choice";

    fn normalise(&mut self) -> Result<(), Refusal> {
        self.check_config()
    }

    fn title(&self) -> &str {
        &self.title
    }

    fn rounds(&self) -> &[String] {
        &self.rounds
    }

    fn new_state(&self) -> ChoiceState {
        ChoiceState::new(self)
    }

    fn reconfigure(&self, state: &mut ChoiceState) -> Result<(), Refusal> {
        state.reconfigure(self)
    }

    fn has_answers(&self, state: &ChoiceState) -> bool {
        state.has_answers()
    }

    fn respondents(&self, state: &ChoiceState, round: usize) -> u32 {
        state.respondents(round)
    }

    fn propose_answer(&self, _: &ChoiceState, answer: &kind::Answer, ctx: Ctx) -> Result<ChoiceEvent, Refusal> {
        let round = kind::answer_round(&self.rounds, answer.round.as_deref())?;
        let choices = self.check_choices(answer.choices.as_deref())?;
        Ok(ChoiceEvent::ChoiceAnswer {
            participant: ctx.participant()?,
            activity: answer.activity.clone(),
            round,
            choices,
        })
    }

    fn propose_request(&self, _: &ChoiceState, request: &NoRequest, _: Ctx) -> Result<ChoiceEvent, Refusal> {
        match *request {}
    }

    fn propose_control(&self, _: &ChoiceState, control: &NoRequest, _: Ctx) -> Result<ChoiceEvent, Refusal> {
        match *control {}
    }

    fn apply(&self, state: &mut ChoiceState, event: &ChoiceEvent, at: i64) -> Result<Effect, Refusal> {
        let ChoiceEvent::ChoiceAnswer { participant, round, choices, .. } = event;
        if *round >= self.rounds.len().max(1) {
            return Err(Refusal::new(ErrorCode::NotOpen, "This question is not being asked right now."));
        }
        let sent: Vec<f64> = choices.iter().map(|&c| f64::from(c)).collect();
        self.check_choices(Some(&sent))?;
        state.answer(*participant, *round, choices, at);
        Ok(Effect::Results)
    }

    fn aggregate(&self, state: &ChoiceState, _: View) -> ChoiceAggregate {
        state.aggregate(self)
    }

    type Tally = ChoiceTally;

    fn new_tally(&self) -> ChoiceTally {
        let rounds = self.rounds.len().max(1);
        ChoiceTally { n: vec![0; rounds], counts: vec![vec![0; self.options.len()]; rounds] }
    }

    fn count(&self, state: &ChoiceState, tally: &mut ChoiceTally, participant: ParticipantId, add: bool) {
        state.count(tally, participant, None, add);
    }

    fn count_event(
        &self,
        state: &ChoiceState,
        tally: &mut ChoiceTally,
        participant: ParticipantId,
        event: &Self::Event,
        add: bool,
    ) {
        let ChoiceEvent::ChoiceAnswer { round, .. } = event;
        state.count(tally, participant, Some(*round), add);
    }

    fn tally_aggregate(&self, _: &ChoiceState, tally: &ChoiceTally, _: View) -> ChoiceAggregate {
        ChoiceAggregate::from_counts(self, &tally.n, |option| {
            tally.counts.iter().map(|counts| counts[option]).collect()
        })
    }

    fn tally_respondents(&self, tally: &ChoiceTally) -> Vec<u32> {
        tally.n.clone()
    }

    fn mine(&self, state: &ChoiceState, participant: ParticipantId, round: usize, mine: &mut Mine) {
        mine.choices = state.mine(participant, round);
    }

    fn responses(&self, state: &ChoiceState) -> Vec<Response> {
        state.responses(self)
    }

    /// Counts and n add up over sessions; shares and the change follow from them.
    fn combine(&self, parts: &[&ChoiceAggregate]) -> ChoiceAggregate {
        let names = self.round_names();
        let n: Vec<u32> = names
            .iter()
            .map(|name| parts.iter().filter_map(|part| part.rounds.get(*name)).map(|round| round.n).sum())
            .collect();
        ChoiceAggregate::from_counts(self, &n, |option| {
            names
                .iter()
                .map(|name| {
                    parts
                        .iter()
                        .filter_map(|part| part.options.get(option)?.rounds.get(*name))
                        .map(|round| round.count)
                        .sum()
                })
                .collect()
        })
    }

    fn report_blocks(&self, section: &Section<'_, ChoiceAggregate>) -> Vec<Block> {
        export::report_blocks(self, section)
    }

    fn write_sheet(&self, sheet: &mut Worksheet, results: &ChoiceAggregate, styles: &Styles) -> Result<(), XlsxError> {
        export::write_sheet(self, sheet, results, styles)
    }

    fn item_label(&self, index: u32) -> Option<&str> {
        self.options.get(index as usize).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn choice(max_choices: u32, rounds: &[&str]) -> Choice {
        let mut choice = Choice {
            title: "Which word should we use?".into(),
            options: vec!["Co-production".into(), "Working together".into(), "Partnership".into()],
            max_choices,
            rounds: rounds.iter().map(|r| (*r).to_owned()).collect(),
        };
        choice.normalise().expect("valid choice");
        choice
    }

    fn answer(round: Option<&str>, choices: &[f64]) -> kind::Answer {
        kind::Answer {
            activity: "a".into(),
            round: round.map(str::to_owned),
            choices: Some(choices.to_vec()),
            ..kind::Answer::default()
        }
    }

    fn ctx() -> Ctx {
        Ctx { participant: Some(1), item: 0 }
    }

    #[test]
    fn normalising_fills_defaults_and_refuses_nonsense() {
        let mut choice: Choice = serde_json::from_str(r#"{"title": " Q ", "options": [" a ", "b"]}"#).expect("parse");
        choice.normalise().expect("valid");
        assert_eq!((choice.max_choices, choice.rounds.len()), (1, 0));
        assert_eq!(choice.options, vec!["a".to_owned(), "b".to_owned()]);
        assert_eq!(choice.rounds(), &[] as &[String]);
        let twelve: Vec<String> = (0..12).map(|i| format!("\"o{i}\"")).collect();
        let thirteen: Vec<String> = (0..13).map(|i| format!("\"o{i}\"")).collect();
        let ok = format!(r#"{{"title": "Q", "options": [{}], "max_choices": 12}}"#, twelve.join(","));
        let mut choice: Choice = serde_json::from_str(&ok).expect("parse");
        choice.normalise().expect("twelve options");
        for bad in [
            r#"{"title": "Q", "options": ["only one"]}"#.to_owned(),
            format!(r#"{{"title": "Q", "options": [{}]}}"#, thirteen.join(",")),
            r#"{"title": "Q", "options": ["Yes", " yes "]}"#.to_owned(),
            r#"{"title": "Q", "options": ["a", " "]}"#.to_owned(),
            r#"{"title": "Q", "options": ["a", "b"], "max_choices": 0}"#.to_owned(),
            r#"{"title": "Q", "options": ["a", "b"], "max_choices": 3}"#.to_owned(),
            r#"{"title": " ", "options": ["a", "b"]}"#.to_owned(),
            r#"{"title": "Q", "options": ["a", "b"], "rounds": ["Before", "Before"]}"#.to_owned(),
        ] {
            let mut choice: Choice = serde_json::from_str(&bad).expect("parse");
            assert_eq!(choice.normalise().map_err(|e| e.code), Err(ErrorCode::InvalidAgenda), "{bad}");
        }
    }

    #[test]
    fn answers_are_checked_with_stable_codes() {
        let one = choice(1, &[]);
        let two = choice(2, &["Before", "After"]);
        let state = ChoiceState::new(&one);
        let refused = |config: &Choice, answer: kind::Answer| {
            config.propose_answer(&ChoiceState::new(config), &answer, ctx()).map(|_| ()).map_err(|e| e.code)
        };
        assert_eq!(refused(&one, answer(None, &[])), Err(ErrorCode::InvalidAnswer));
        assert_eq!(refused(&one, kind::Answer { choices: None, ..answer(None, &[]) }), Err(ErrorCode::InvalidAnswer));
        assert_eq!(refused(&one, answer(None, &[0.0, 1.0])), Err(ErrorCode::InvalidAnswer));
        assert_eq!(refused(&one, answer(None, &[3.0])), Err(ErrorCode::OutOfRange));
        assert_eq!(refused(&one, answer(None, &[-1.0])), Err(ErrorCode::OutOfRange));
        assert_eq!(refused(&one, answer(None, &[0.5])), Err(ErrorCode::OutOfRange));
        assert_eq!(refused(&one, answer(None, &[f64::NAN])), Err(ErrorCode::OutOfRange));
        assert_eq!(refused(&two, answer(Some("Before"), &[1.0, 1.0])), Err(ErrorCode::InvalidAnswer));
        assert_eq!(refused(&two, answer(Some("Before"), &[0.0, 1.0, 2.0])), Err(ErrorCode::InvalidAnswer));
        assert_eq!(refused(&two, answer(None, &[0.0])), Err(ErrorCode::UnknownRound));
        assert_eq!(refused(&two, answer(Some("During"), &[0.0])), Err(ErrorCode::UnknownRound));
        // A choice without rounds takes its answers in round 0 whatever round is named.
        let event = one.propose_answer(&state, &answer(Some("x"), &[2.0]), ctx()).expect("accepted");
        assert_eq!(
            event,
            ChoiceEvent::ChoiceAnswer { participant: 1, activity: "a".into(), round: 0, choices: vec![2] }
        );
        let event = two.propose_answer(&state, &answer(Some("After"), &[2.0, 0.0]), ctx()).expect("accepted");
        assert_eq!(
            event,
            ChoiceEvent::ChoiceAnswer { participant: 1, activity: "a".into(), round: 1, choices: vec![2, 0] }
        );
        // The fold checks again: an event naming a round or option that is not there is refused.
        let mut folded = ChoiceState::new(&one);
        let bad_round = ChoiceEvent::ChoiceAnswer { participant: 1, activity: "a".into(), round: 1, choices: vec![0] };
        assert_eq!(one.apply(&mut folded, &bad_round, 0).map_err(|e| e.code), Err(ErrorCode::NotOpen));
        let bad_option = ChoiceEvent::ChoiceAnswer { participant: 1, activity: "a".into(), round: 0, choices: vec![7] };
        assert_eq!(one.apply(&mut folded, &bad_option, 0).map_err(|e| e.code), Err(ErrorCode::OutOfRange));
        assert!(!folded.has_answers());
    }

    #[test]
    fn a_changed_choice_moves_the_counts_and_shares_are_of_participants() {
        let config = choice(2, &["Before", "After"]);
        let mut state = ChoiceState::new(&config);
        state.answer(1, 0, &[0], 1);
        state.answer(2, 0, &[0, 1], 2);
        state.answer(1, 0, &[2, 1], 3);
        state.answer(1, 1, &[2], 4);
        let results = state.aggregate(&config);
        assert_eq!(results.rounds["Before"].n, 2);
        assert_eq!(results.rounds["After"].n, 1);
        let counts: Vec<u32> = results.options.iter().map(|o| o.rounds["Before"].count).collect();
        assert_eq!(counts, vec![1, 2, 1]);
        // Shares of participants: two of two chose "Working together".
        assert_eq!(results.options[1].rounds["Before"].share, Some(1.0));
        assert_eq!(results.options[2].rounds["Before"].share, Some(0.5));
        assert_eq!(results.options[2].rounds["After"].share, Some(1.0));
        assert_eq!(results.options[2].change, Some(0.5));
        assert_eq!(results.options[0].change, Some(-0.5));
        assert_eq!(state.mine(1, 0), vec![2, 1]);
        assert_eq!(state.mine(3, 0), Vec::<u32>::new());
        // The export rows: one per chosen option, the latest choices only.
        let rows = state.responses(&config);
        let before: Vec<(u32, Option<u32>)> = rows
            .iter()
            .filter(|r| r.round.as_deref() == Some("Before"))
            .map(|r| (r.participant, r.statement))
            .collect();
        assert_eq!(before, vec![(1, Some(1)), (1, Some(2)), (2, Some(0)), (2, Some(1))]);
        assert!(rows.iter().all(|r| r.value == Some(1)));
    }

    #[test]
    fn a_choice_without_rounds_uses_the_empty_round_name() {
        let config = choice(1, &[]);
        let mut state = ChoiceState::new(&config);
        let results = state.aggregate(&config);
        assert_eq!(results.rounds.keys().collect::<Vec<_>>(), vec![""]);
        assert_eq!(results.options[0].rounds[""], OptionRound { count: 0, share: None });
        assert_eq!(results.options[0].change, None);
        state.answer(4, 0, &[1], 0);
        let json = serde_json::to_value(state.aggregate(&config)).expect("json");
        assert_eq!(json["rounds"][""]["n"], 1);
        assert_eq!(json["options"][1]["rounds"][""]["count"], 1);
        assert_eq!(json["options"][1]["rounds"][""]["share"], 1.0);
        assert_eq!(state.responses(&config)[0].round, None);
    }

    #[test]
    fn sessions_add_up() {
        let config = choice(2, &["Before", "After"]);
        let mut first = ChoiceState::new(&config);
        first.answer(1, 0, &[0], 0);
        first.answer(2, 0, &[0, 2], 0);
        let mut second = ChoiceState::new(&config);
        second.answer(1, 0, &[1], 0);
        second.answer(1, 1, &[0], 0);
        let (a, b) = (first.aggregate(&config), second.aggregate(&config));
        let total = config.combine(&[&a, &b]);
        assert_eq!(total.rounds["Before"].n, 3);
        assert_eq!(total.rounds["After"].n, 1);
        let before: Vec<u32> = total.options.iter().map(|o| o.rounds["Before"].count).collect();
        assert_eq!(before, vec![2, 1, 1]);
        assert_eq!(total.options[0].rounds["Before"].share, Some(2.0 / 3.0));
        assert_eq!(total.options[0].change, Some(1.0 - 2.0 / 3.0));
        // One session combined is itself.
        assert_eq!(config.combine(&[&a]), a);
    }

    #[test]
    fn reshaping_an_answered_choice_keeps_the_answers_meaning() {
        let config = choice(2, &["Before", "After"]);
        let mut state = ChoiceState::new(&config);
        state.answer(1, 0, &[0, 1], 0);
        let mut more = config.clone();
        more.options.push("Together".into());
        more.rounds.push("Later".into());
        more.reconfigure(&mut state).expect("adding is fine");
        assert_eq!(state.aggregate(&more).options.len(), 4);
        let mut fewer = config.clone();
        fewer.options.pop();
        let mut narrower = config.clone();
        narrower.max_choices = 1;
        let mut unnamed = config.clone();
        unnamed.rounds.clear();
        for changed in [fewer, narrower, unnamed] {
            assert_eq!(changed.reconfigure(&mut state.clone()).map_err(|e| e.code), Err(ErrorCode::ActivityHasAnswers));
        }
        let plain = choice(1, &[]);
        let mut answered = ChoiceState::new(&plain);
        answered.answer(1, 0, &[0], 0);
        let named = choice(1, &["Before", "After"]);
        assert_eq!(named.reconfigure(&mut answered).map_err(|e| e.code), Err(ErrorCode::ActivityHasAnswers));
    }

    proptest! {
        /// Whatever order the answers come in, the counts equal those of each participant's
        /// latest choices, and n counts the participants who answered.
        #[test]
        fn counts_follow_the_latest_choices(
            answers in prop::collection::vec((1u32..10, 0usize..2, prop::collection::btree_set(0u32..3, 1..=2)), 0..100),
        ) {
            let config = choice(2, &["Before", "After"]);
            let mut state = ChoiceState::new(&config);
            let mut last: HashMap<(u32, usize), Vec<u32>> = HashMap::new();
            for (participant, round, options) in &answers {
                let options: Vec<u32> = options.iter().copied().collect();
                state.answer(*participant, *round, &options, 0);
                last.insert((*participant, *round), options);
            }
            let results = state.aggregate(&config);
            for (r, name) in config.rounds.iter().enumerate() {
                let n = last.keys().filter(|(_, round)| *round == r).count() as u32;
                prop_assert_eq!(results.rounds[name].n, n);
                for option in 0..3u32 {
                    let count = last.iter().filter(|((_, round), chosen)| *round == r && chosen.contains(&option)).count() as u32;
                    prop_assert_eq!(results.options[option as usize].rounds[name].count, count);
                }
            }
        }
    }
}
