//! Participant groups ("About you"): the question, the booked numbers, which group each
//! participant is in, and the rule that keeps small groups from being identified.
//!
//! Every kind keeps its own tallies per group (`Kind::Tally`, see `activity::kind`); this
//! module holds what they share: the group bookkeeping of a session (who is in which group,
//! how many joined and took part per group) and [`suppressed`], the one suppression rule that
//! the live views and every export apply.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{ErrorCode, Refusal};

/// Fewest groups a question offers.
pub const MIN_GROUPS: usize = 2;
/// Most groups a question offers.
pub const MAX_GROUPS: usize = 8;
/// Longest group label, in characters (after trimming).
pub const MAX_LABEL_CHARS: usize = 60;
/// Longest prompt, in characters (after trimming).
pub const MAX_PROMPT_CHARS: usize = 200;
/// The smallest group shown (K) unless the facilitator says otherwise.
pub const DEFAULT_MIN_GROUP_SIZE: u32 = 5;
/// K may not go below this: a group of two can work out each other's answers.
pub const MIN_GROUP_SIZE: u32 = 3;
pub const MAX_GROUP_SIZE: u32 = 50;
/// Largest booked number.
pub const MAX_BOOKED: u32 = 100_000;

/// A session's "About you" question: asked once as a phone joins, skippable ("prefer not to
/// say" is always offered and is not a group), changeable later from the phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AboutYou {
    /// "I am a…"
    pub prompt: String,
    /// 2–8 labels, each 1–60 characters, no two the same (ignoring case).
    pub groups: Vec<String>,
    /// K: a group's figures are shown on the projector, on phones and in exports only when
    /// at least this many of its members answered (3–50, default 5).
    #[serde(default = "default_min_group_size")]
    pub min_group_size: u32,
}

fn default_min_group_size() -> u32 {
    DEFAULT_MIN_GROUP_SIZE
}

impl AboutYou {
    /// Checks the question and trims its texts, so that what is stored is what is shown.
    pub fn normalise(&mut self) -> Result<(), Refusal> {
        let invalid = |message: String| Refusal::new(ErrorCode::InvalidAboutYou, message);
        self.prompt = self.prompt.trim().to_owned();
        if self.prompt.is_empty() || self.prompt.chars().count() > MAX_PROMPT_CHARS {
            return Err(invalid(format!(
                "The \"About you\" question needs a prompt of 1 to {MAX_PROMPT_CHARS} characters."
            )));
        }
        if !(MIN_GROUPS..=MAX_GROUPS).contains(&self.groups.len()) {
            return Err(invalid(format!("The \"About you\" question needs {MIN_GROUPS} to {MAX_GROUPS} groups.")));
        }
        for label in &mut self.groups {
            *label = label.trim().to_owned();
            if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS {
                return Err(invalid(format!("Each group needs a name of 1 to {MAX_LABEL_CHARS} characters.")));
            }
        }
        for (i, label) in self.groups.iter().enumerate() {
            if self.groups[..i].iter().any(|earlier| earlier.to_lowercase() == label.to_lowercase()) {
                return Err(invalid(format!("The group \"{label}\" is named twice.")));
            }
        }
        if !(MIN_GROUP_SIZE..=MAX_GROUP_SIZE).contains(&self.min_group_size) {
            return Err(Refusal::new(
                ErrorCode::InvalidGroupSize,
                format!(
                    "The smallest group shown must be from {MIN_GROUP_SIZE} to {MAX_GROUP_SIZE} people: smaller groups would identify people."
                ),
            ));
        }
        Ok(())
    }
}

/// Numbers the organiser typed in: how many booked, in total and per group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Booked {
    #[serde(default)]
    pub total: Option<u32>,
    /// One per group of the "About you" question, or null.
    #[serde(default)]
    pub groups: Option<Vec<Option<u32>>>,
}

impl Booked {
    /// Checks the numbers against the session's question.
    pub fn check(&self, about_you: Option<&AboutYou>) -> Result<(), Refusal> {
        let invalid = |message: &str| Refusal::new(ErrorCode::InvalidBooked, message);
        let numbers = self.total.iter().chain(self.groups.iter().flatten().flatten());
        if numbers.into_iter().any(|&n| n > MAX_BOOKED) {
            return Err(invalid("Booked numbers go from 0 to 100,000."));
        }
        if let Some(groups) = &self.groups {
            let Some(about_you) = about_you else {
                return Err(invalid("This session asks no \"About you\" question, so it has no groups to book."));
            };
            if groups.len() != about_you.groups.len() {
                return Err(invalid("Give one booked number (or none) for each group."));
            }
            let sum: u32 = groups.iter().flatten().sum();
            if self.total.is_some_and(|total| sum > total) {
                return Err(invalid("The groups' booked numbers add up to more than the total."));
            }
        }
        Ok(())
    }
}

/// What the projector may show of the groups (`projector_groups`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(untagged)]
pub enum Split {
    /// One group, by its index.
    Group(u32),
    Named(SplitName),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SplitName {
    /// Every group beside the total.
    SideBySide,
}

/// One group's figures, or the marker that they are not shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(untagged)]
pub enum GroupFigures<A> {
    Suppressed(SuppressedMark),
    Shown(A),
}

/// `{"suppressed": true}`: fewer than K of the group answered (or showing it would let its
/// figures be worked out from the others').
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SuppressedMark {
    pub suppressed: bool,
}

/// Figures by group label, in the question's order.
pub type ByGroup<A> = IndexMap<String, GroupFigures<A>>;

/// Which groups' figures of one activity are suppressed.
///
/// `groups[g][r]` is how many of group `g` are in figure `r` (a round's respondents, one
/// round for a kind without rounds, or a figure with its own n such as a scale's paired
/// change: [`suppressed_figures`] lists them all), `totals[r]` how many are in it at all
/// (groups, and those who preferred not to say or never chose). A group is suppressed when
/// 1 to K−1 of its members are in some figure: nobody answering gives nothing away. Then, so
/// that the total less the groups shown never gives away a suppressed group (nor the few who
/// preferred not to say), while some figure leaves 1 to K−1 people not shown, the smallest
/// group still shown in that figure is suppressed too. In the end every figure leaves 0 or
/// at least K people not shown, or no group that could hide them is left.
pub fn suppressed(k: u32, totals: &[u32], groups: &[Vec<u32>]) -> Vec<bool> {
    let small = |n: u32| n > 0 && n < k;
    let mut hidden: Vec<bool> = groups.iter().map(|rounds| rounds.iter().any(|&n| small(n))).collect();
    loop {
        let mut next = None;
        for (r, &total) in totals.iter().enumerate() {
            let shown: u32 =
                groups.iter().zip(&hidden).filter(|(_, h)| !**h).map(|(g, _)| g.get(r).copied().unwrap_or(0)).sum();
            if small(total.saturating_sub(shown)) {
                // The smallest group still shown that answered this round (ties: the first).
                next = groups
                    .iter()
                    .enumerate()
                    .filter(|(g, rounds)| !hidden[*g] && rounds.get(r).copied().unwrap_or(0) > 0)
                    .min_by_key(|(g, rounds)| (rounds.get(r).copied().unwrap_or(0), *g))
                    .map(|(g, _)| g);
                if next.is_some() {
                    break;
                }
            }
        }
        match next {
            Some(g) => hidden[g] = true,
            None => return hidden,
        }
    }
}

/// [`suppressed`] over every figure of an activity: the columns are the rounds' respondents
/// followed by the sizes of the figures that have their own n
/// ([`Aggregate::figure_sizes`](crate::activity::Aggregate::figure_sizes): a scale's n per
/// statement and round, its paired n per statement). `groups` pairs each group's results
/// with its respondents per round.
pub fn suppressed_figures<'a>(
    k: u32,
    total: &crate::activity::Aggregate,
    round_totals: &[u32],
    groups: impl IntoIterator<Item = (&'a crate::activity::Aggregate, &'a [u32])>,
) -> Vec<bool> {
    let columns = |results: &crate::activity::Aggregate, rounds: &[u32]| {
        let mut columns = rounds.to_vec();
        columns.extend(results.figure_sizes());
        columns
    };
    let counts: Vec<Vec<u32>> = groups.into_iter().map(|(results, rounds)| columns(results, rounds)).collect();
    suppressed(k, &columns(total, round_totals), &counts)
}

/// Joined and took part, for one group on the console's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Attendance {
    pub joined: u32,
    pub took_part: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn about(groups: &[&str], k: u32) -> AboutYou {
        AboutYou {
            prompt: " I am a… ".into(),
            groups: groups.iter().map(|&g| g.to_owned()).collect(),
            min_group_size: k,
        }
    }

    #[test]
    fn the_question_is_checked_with_stable_codes() {
        let mut good = about(&[" Parent carer ", "Professional"], 5);
        good.normalise().expect("valid");
        assert_eq!(good.prompt, "I am a…");
        assert_eq!(good.groups[0], "Parent carer");
        let code = |mut a: AboutYou| a.normalise().map_err(|r| r.code);
        assert_eq!(code(about(&["One"], 5)), Err(ErrorCode::InvalidAboutYou));
        assert_eq!(code(about(&["a", "b", "c", "d", "e", "f", "g", "h", "i"], 5)), Err(ErrorCode::InvalidAboutYou));
        assert_eq!(code(about(&["Parent", "  "], 5)), Err(ErrorCode::InvalidAboutYou));
        assert_eq!(code(about(&["Parent", "parent "], 5)), Err(ErrorCode::InvalidAboutYou));
        assert_eq!(code(about(&["Parent", &"x".repeat(61)], 5)), Err(ErrorCode::InvalidAboutYou));
        assert_eq!(code(AboutYou { prompt: " ".into(), ..about(&["a", "b"], 5) }), Err(ErrorCode::InvalidAboutYou));
        assert_eq!(code(about(&["a", "b"], 2)), Err(ErrorCode::InvalidGroupSize));
        assert_eq!(code(about(&["a", "b"], 51)), Err(ErrorCode::InvalidGroupSize));
        assert_eq!(code(about(&["a", "b"], 3)), Ok(()));
        let read: AboutYou = serde_json::from_str(r#"{"prompt": "I am", "groups": ["a", "b"]}"#).expect("read");
        assert_eq!(read.min_group_size, 5, "K defaults to 5");
    }

    #[test]
    fn booked_numbers_fit_the_groups_and_the_total() {
        let question = about(&["a", "b"], 5);
        let booked = |total: Option<u32>, groups: Option<Vec<Option<u32>>>| Booked { total, groups };
        assert_eq!(booked(Some(54), Some(vec![Some(30), Some(24)])).check(Some(&question)), Ok(()));
        assert_eq!(booked(None, Some(vec![Some(30), None])).check(Some(&question)), Ok(()));
        assert_eq!(booked(Some(54), None).check(None), Ok(()));
        let code = |b: Booked, q: Option<&AboutYou>| b.check(q).map_err(|r| r.code);
        assert_eq!(
            code(booked(Some(50), Some(vec![Some(30), Some(24)])), Some(&question)),
            Err(ErrorCode::InvalidBooked)
        );
        assert_eq!(code(booked(Some(50), Some(vec![Some(30)])), Some(&question)), Err(ErrorCode::InvalidBooked));
        assert_eq!(code(booked(Some(100_001), None), Some(&question)), Err(ErrorCode::InvalidBooked));
        assert_eq!(code(booked(None, Some(vec![Some(1), Some(1)])), None), Err(ErrorCode::InvalidBooked));
    }

    /// A group with fewer than K answers is suppressed; one nobody in answered is not.
    #[test]
    fn small_groups_are_suppressed() {
        // K = 5; groups of 8, 3, 0 and 6 answered, nobody preferred not to say: 17 answers.
        let hidden = suppressed(5, &[17], &[vec![8], vec![3], vec![0], vec![6]]);
        assert_eq!(hidden, vec![false, true, false, true], "the 3 are hidden, and the 6 with them");
        // With 2 more who preferred not to say, the hidden answers are 3 + 2 = 5: enough.
        assert_eq!(suppressed(5, &[19], &[vec![8], vec![3], vec![0], vec![6]]), vec![false, true, false, false]);
        // Every group big enough and nobody unaccounted: nothing hidden.
        assert_eq!(suppressed(5, &[14], &[vec![8], vec![6]]), vec![false, false]);
    }

    /// Differencing: the total less the groups shown would give the small group's figures,
    /// so the next smallest group is hidden too; and a few who preferred not to say are
    /// protected the same way.
    #[test]
    fn a_suppressed_group_cannot_be_worked_out_from_the_total() {
        // 3 in a group, nobody else unaccounted: 3 < 5, so the smallest other group (5)
        // goes too, making 8 hidden.
        assert_eq!(suppressed(5, &[3 + 5 + 9], &[vec![3], vec![9], vec![5]]), vec![true, false, true]);
        // Two small groups: 1 + 2 = 3 < 5, then the 6 makes 9.
        assert_eq!(
            suppressed(5, &[1 + 2 + 6 + 7], &[vec![1], vec![2], vec![6], vec![7]]),
            vec![true, true, true, false]
        );
        // Only those who preferred not to say (2 of them): the total less every group would be
        // their answers, so the smallest group hides them.
        assert_eq!(suppressed(5, &[2 + 5 + 7], &[vec![5], vec![7]]), vec![true, false]);
        // Per round: small in the After round only is small.
        assert_eq!(suppressed(3, &[12, 7], &[vec![6, 2], vec![6, 5]]), vec![true, true]);
        // Everything hidden when nothing else can hide a small group.
        assert_eq!(suppressed(5, &[4], &[vec![4]]), vec![true]);
    }

    /// A scale with one statement, Before and After: (n Before, n After, paired n).
    fn scale(before: u32, after: u32, paired: u32) -> crate::activity::Aggregate {
        use crate::activity::scale::{Paired, RoundStats, ScaleAggregate, StatementResults};
        let round = |n: u32| RoundStats { n, mean: None, median: None, counts: vec![n] };
        crate::activity::Aggregate::Scale(ScaleAggregate {
            statements: vec![StatementResults {
                text: "I understand co-production".into(),
                rounds: [("Before".to_owned(), round(before)), ("After".to_owned(), round(after))]
                    .into_iter()
                    .collect(),
                paired: Some(Paired { n: paired, mean_change: None }),
            }],
        })
    }

    /// The paired change by subtraction: every round has enough people not shown, but only
    /// 2 of those not shown answered both rounds, so the total's paired change × n less the
    /// groups' would be those 2 people's change. The smallest group is hidden too, and then
    /// every figure's total less the groups shown is 0 or at least K people.
    #[test]
    fn the_paired_change_cannot_be_worked_out_from_the_total() {
        // Groups of 6 and 7, both paired in full; 8 said nothing: 5 Before, 5 After, 2 of them
        // both. Totals: Before 18, After 18, paired 15.
        let (a, b, total) = (scale(6, 6, 6), scale(7, 7, 7), scale(18, 18, 15));
        let groups = [(&a, &[6, 6][..]), (&b, &[7, 7][..])];
        assert_eq!(suppressed(5, &[18, 18], &[vec![6, 6], vec![7, 7]]), vec![false, false], "the rounds alone pass");
        let hidden = suppressed_figures(5, &total, &[18, 18], groups);
        assert_eq!(hidden, vec![true, false], "the 6 hide the 2 paired: 8 paired not shown");
        // The figures checked: the rounds, then per statement Before n, After n, paired n.
        assert_eq!(total.figure_sizes(), vec![18, 18, 15]);
        let shown: [u32; 3] = [7, 7, 7];
        for (total, shown) in total.figure_sizes().iter().zip(shown) {
            let rest = total - shown;
            assert!(rest == 0 || rest >= 5, "{total} − {shown} = {rest}");
        }
        // With 5 of those who said nothing paired, nothing more needs hiding.
        assert_eq!(suppressed_figures(5, &scale(18, 18, 18), &[18, 18], groups), vec![false, false]);
    }

    /// A group whose members answered every round in enough numbers, but whose paired change
    /// (or one statement's n) is of fewer than K, is small: its own figure names few people.
    #[test]
    fn a_group_with_few_paired_is_small() {
        // 6 answered Before and 6 After, but only 3 both (3 left, 3 came late).
        let (a, b, total) = (scale(6, 6, 3), scale(9, 9, 9), scale(15, 15, 12));
        let hidden = suppressed_figures(5, &total, &[15, 15], [(&a, &[6, 6][..]), (&b, &[9, 9][..])]);
        // a is small; then 12 − 9 = 3 paired not shown: b goes as well.
        assert_eq!(hidden, vec![true, true]);
        // One statement skipped by most of a group: a round's respondents are not enough.
        let one = scale(2, 6, 2);
        let hidden = suppressed_figures(5, &scale(11, 15, 11), &[15, 15], [(&one, &[6, 6][..]), (&b, &[9, 9][..])]);
        assert_eq!(hidden, vec![true, true]);
    }
}
