//! Counting words by meaning: groups keyed by the text pipeline's key, each with its count
//! and the count of each spelling, so that adding or removing a word is O(1) and every group
//! knows how to show itself.

use std::collections::HashMap;

/// Groups of words that mean the same, with counts.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    groups: HashMap<String, Group>,
    /// Words ever added: the order that breaks ties.
    added: u64,
}

#[derive(Debug, Clone, Default)]
struct Group {
    count: u32,
    spellings: HashMap<String, Spelling>,
    /// Order of the group's first word: ties in the ranking go to the earlier group.
    first: u64,
}

#[derive(Debug, Clone, Copy)]
struct Spelling {
    count: u32,
    first: u64,
    /// Came in by a merge: a group merged into another keeps the other's name.
    merged: bool,
}

/// One group, as ranked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked<'a> {
    pub key: &'a str,
    /// The most frequent of the group's own spellings, the earliest on a tie.
    pub display: &'a str,
    pub count: u32,
}

impl Group {
    fn display(&self) -> &str {
        self.spellings
            .iter()
            .max_by(|(_, a), (_, b)| {
                (!a.merged).cmp(&!b.merged).then(a.count.cmp(&b.count)).then(b.first.cmp(&a.first))
            })
            .map(|(spelling, _)| spelling.as_str())
            .unwrap_or_default()
    }
}

impl Tally {
    /// Counts a word in the group `key`, spelt `spelling`. A word added to a group it was
    /// merged into (`merged`) counts there without naming it.
    pub fn add(&mut self, key: &str, spelling: &str, merged: bool) {
        self.added += 1;
        let order = self.added;
        let group = self.groups.entry(key.to_owned()).or_insert_with(|| Group { first: order, ..Group::default() });
        group.count += 1;
        let slot = group.spellings.entry(spelling.to_owned()).or_insert(Spelling { count: 0, first: order, merged });
        slot.count += 1;
        // Typed again into this group, a spelling becomes its own.
        slot.merged &= merged;
    }

    /// Uncounts one word; an emptied group disappears. Returns whether it did.
    pub fn remove(&mut self, key: &str, spelling: &str) -> bool {
        let Some(group) = self.groups.get_mut(key) else { return false };
        group.count = group.count.saturating_sub(1);
        if let Some(slot) = group.spellings.get_mut(spelling) {
            slot.count = slot.count.saturating_sub(1);
            if slot.count == 0 {
                group.spellings.remove(spelling);
            }
        }
        if group.count == 0 {
            self.groups.remove(key);
            return true;
        }
        false
    }

    /// The words counted in a group (0 for none).
    pub fn count(&self, key: &str) -> u32 {
        self.groups.get(key).map_or(0, |group| group.count)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.groups.contains_key(key)
    }

    /// Distinct groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Moves every word of group `from` into group `into`, which keeps its name.
    pub fn merge(&mut self, from: &str, into: &str) {
        let Some(moved) = self.groups.remove(from) else { return };
        let target =
            self.groups.entry(into.to_owned()).or_insert_with(|| Group { first: moved.first, ..Group::default() });
        target.count += moved.count;
        target.first = target.first.min(moved.first);
        for (name, spelling) in moved.spellings {
            let slot = target.spellings.entry(name).or_insert(Spelling { count: 0, merged: true, ..spelling });
            slot.count += spelling.count;
            slot.first = slot.first.min(spelling.first);
        }
    }

    /// Groups ranked by count (then first seen), those `keep` accepts, at most `limit`.
    pub fn ranked(&self, keep: impl Fn(&str) -> bool, limit: usize) -> Vec<Ranked<'_>> {
        let mut ranked: Vec<(&String, &Group)> = self.groups.iter().filter(|(key, _)| keep(key)).collect();
        ranked.sort_unstable_by(|a, b| b.1.count.cmp(&a.1.count).then(a.1.first.cmp(&b.1.first)));
        ranked
            .into_iter()
            .take(limit)
            .map(|(key, group)| Ranked { key, display: group.display(), count: group.count })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_rank_and_name_groups() {
        let mut tally = Tally::default();
        for (key, spelling) in [("famili", "Families"), ("trust", "trust"), ("famili", "family"), ("famili", "family")]
        {
            tally.add(key, spelling, false);
        }
        let ranked = tally.ranked(|_| true, 10);
        assert_eq!(ranked[0], Ranked { key: "famili", display: "family", count: 3 });
        assert_eq!(ranked[1], Ranked { key: "trust", display: "trust", count: 1 });
        assert!(!tally.remove("famili", "family"));
        assert!(tally.remove("trust", "trust"), "an emptied group disappears");
        assert_eq!(tally.len(), 1);
        assert_eq!(tally.ranked(|key| key != "famili", 10), vec![]);
    }

    #[test]
    fn a_merged_group_keeps_the_target_name() {
        let mut tally = Tally::default();
        tally.add("parent", "parents", false);
        tally.add("parent", "parents", false);
        tally.add("famili", "families", false);
        tally.merge("parent", "famili");
        assert_eq!(tally.ranked(|_| true, 10), vec![Ranked { key: "famili", display: "families", count: 3 }]);
    }
}
