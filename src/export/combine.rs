//! Adding up one activity's results over the sessions of a series, kind by kind.

use indexmap::IndexMap;

use crate::activity::jamboard::{FrameResults, Keyword, NoteView, Theme};
use crate::activity::scale::{Paired, RoundStats, StatementResults};
use crate::activity::wordcloud::CloudEntry;
use crate::activity::{Activity, ActivitySpec, Aggregate, JamboardAggregate, ScaleAggregate, WordCloudAggregate};
use crate::text::{self, Tally};

/// Adds up results of `activity` from several sessions; `None` when none are of its kind.
pub fn combine<'a>(activity: &Activity, results: impl Iterator<Item = &'a Aggregate>) -> Option<Aggregate> {
    let results: Vec<&Aggregate> = results.collect();
    match &activity.spec {
        ActivitySpec::Scale(scale) => {
            let parts: Vec<&ScaleAggregate> =
                results.iter().filter_map(|r| if let Aggregate::Scale(s) = r { Some(s) } else { None }).collect();
            Some(Aggregate::Scale(scales(scale, &parts)))
        }
        ActivitySpec::Wordcloud(_) => {
            let parts: Vec<&WordCloudAggregate> =
                results.iter().filter_map(|r| if let Aggregate::Wordcloud(w) = r { Some(w) } else { None }).collect();
            Some(Aggregate::Wordcloud(clouds(&parts)))
        }
        ActivitySpec::Jamboard(board) => {
            let parts: Vec<&JamboardAggregate> =
                results.iter().filter_map(|r| if let Aggregate::Jamboard(j) = r { Some(j) } else { None }).collect();
            Some(Aggregate::Jamboard(boards(board, &parts)))
        }
    }
}

/// Counts per point add up; means and medians follow from the counts, exactly. The paired
/// change is the mean over everyone paired in any session.
fn scales(scale: &crate::activity::Scale, parts: &[&ScaleAggregate]) -> ScaleAggregate {
    let statements = scale
        .statements
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let rounds: IndexMap<String, RoundStats> = scale
                .rounds
                .iter()
                .map(|round| {
                    let mut counts = vec![0u32; scale.points()];
                    for part in parts {
                        let Some(stats) = part.statements.get(index).and_then(|s| s.rounds.get(round)) else {
                            continue;
                        };
                        for (total, count) in counts.iter_mut().zip(&stats.counts) {
                            *total += count;
                        }
                    }
                    (round.clone(), RoundStats::from_counts(scale.min, &counts))
                })
                .collect();
            let paired = (scale.rounds.len() > 1).then(|| {
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

/// Groups add up by id; each group is shown as it was most often, and hidden if it was
/// hidden anywhere.
fn clouds(parts: &[&WordCloudAggregate]) -> WordCloudAggregate {
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

/// Notes are gathered frame by frame; keywords are counted again over all visible notes.
fn boards(board: &crate::activity::Jamboard, parts: &[&JamboardAggregate]) -> JamboardAggregate {
    let mut frames: Vec<FrameResults> =
        board.frames.iter().map(|title| FrameResults { title: title.clone(), notes: Vec::new() }).collect();
    let mut themes: Vec<Theme> = Vec::new();
    let mut keywords = Tally::default();
    for part in parts {
        // Themes are matched by name; each session's theme ids are mapped onto the first
        // session's that had the name.
        let mut ids = std::collections::HashMap::new();
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
                if !note.hidden {
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
        .ranked(|_| true, crate::activity::jamboard::KEYWORDS)
        .into_iter()
        .map(|word| Keyword { text: word.display.to_owned(), count: word.count })
        .collect();
    JamboardAggregate { frames, themes, keywords, locked: false, voting: false, dots: board.dots }
}
