//! From an export [`Report`] to a [`Document`]: who attended, what we found (each scale's
//! statements before → after, as a table and a chart), the most frequent words of each word
//! cloud, and the notes of each board by frame and theme.
//!
//! Each activity kind is built by its own function ([`scale`], [`word_cloud`], [`jamboard`]);
//! [`document`] is the only place that matches on the kind, so a kind's part can move into
//! the kind's own module without touching the others.

use super::chart::{self, Bars};
use super::{Block, Document, Figure, LANGUAGE, Run, Table};
use crate::activity::jamboard::JamboardAggregate;
use crate::activity::{ActivitySpec, Aggregate, Jamboard, Scale, WordCloud, WordCloudAggregate};
use crate::auth::display_join_code;
use crate::export::{BeforeAfter, Combined, Report, human_time, one_decimal, rfc3339, signed_one_decimal};

/// Words listed per word cloud.
pub const TOP_WORDS: usize = 25;

/// The document of a report.
pub fn document(report: &Report) -> Document {
    let title = if report.title.trim().is_empty() { "Chorus report".to_owned() } else { report.title.clone() };
    let mut blocks = vec![Block::heading(1, title.clone())];
    blocks.push(Block::paragraph(lede(report)));
    if report.sessions.iter().any(|session| session.closed_at.is_none()) {
        blocks.push(Block::Paragraph {
            runs: vec![
                Run::bold("Still running. "),
                Run::plain(format!(
                    "A session in this report had not closed when it was made: its figures are as of {}.",
                    human_time(report.generated_at)
                )),
            ],
        });
    }
    blocks.extend(attendance(report));
    let (mut found, mut words, mut notes) = (Vec::new(), Vec::new(), Vec::new());
    for combined in &report.activities {
        match (&combined.activity.spec, &combined.results) {
            (ActivitySpec::Scale(spec), Aggregate::Scale(_)) => found.extend(scale(report, combined, spec)),
            (ActivitySpec::Wordcloud(spec), Aggregate::Wordcloud(results)) => {
                words.extend(word_cloud(spec, results));
            }
            (ActivitySpec::Jamboard(spec), Aggregate::Jamboard(results)) => notes.extend(jamboard(spec, results)),
            _ => {}
        }
    }
    for (heading, part) in
        [("What we found", found), ("The most frequent words", words), ("Notes by board and theme", notes)]
    {
        if !part.is_empty() {
            blocks.push(Block::heading(2, heading));
            blocks.extend(part);
        }
    }
    Document { title, language: LANGUAGE.to_owned(), created: rfc3339(report.generated_at), blocks }
}

/// The line under the title, as the HTML report has it.
fn lede(report: &Report) -> String {
    let what = match (&report.series, report.sessions.as_slice()) {
        (Some(_), sessions) => format!("A series of {} sessions", sessions.len()),
        (None, [session]) => format!("Session {}", display_join_code(&session.code)),
        _ => "A report".to_owned(),
    };
    let participants = report.participants();
    format!(
        "{what} · {participants} participant{} (who answered at least once; {} opened the link) · report made {}",
        if participants == 1 { "" } else { "s" },
        report.opened(),
        human_time(report.generated_at)
    )
}

/// Who attended: per session, how many opened the link and how many took part.
fn attendance(report: &Report) -> Vec<Block> {
    let mut rows: Vec<Vec<String>> = report
        .sessions
        .iter()
        .map(|session| {
            vec![
                display_join_code(&session.code),
                session.title.clone(),
                human_time(session.created_at),
                session.opened.to_string(),
                session.participants.to_string(),
            ]
        })
        .collect();
    if report.sessions.len() > 1 {
        rows.push(vec![
            "All sessions".to_owned(),
            String::new(),
            String::new(),
            report.opened().to_string(),
            report.participants().to_string(),
        ]);
    }
    vec![
        Block::heading(2, "Who attended"),
        Block::paragraph(
            "“Took part” counts everyone who answered at least once; “opened the link” also counts \
             phones that joined and never answered.",
        ),
        Block::Table(Table {
            caption: "Attendance per session".to_owned(),
            header: ["Session", "Title", "Started", "Opened the link", "Took part"].map(str::to_owned).to_vec(),
            rows,
            numeric: vec![false, false, false, true, true],
        }),
    ]
}

fn mean(value: Option<f64>) -> String {
    value.map(one_decimal).unwrap_or_else(|| "–".to_owned())
}

fn signed(value: Option<f64>) -> String {
    value.map(signed_one_decimal).unwrap_or_else(|| "–".to_owned())
}

/// A scale: the table of means per statement (first round against last), per session in a
/// series, and the before/after chart.
pub fn scale(report: &Report, combined: &Combined, scale: &Scale) -> Vec<Block> {
    let rows = BeforeAfter::rows(scale, &combined.results);
    let (Some(first), Some(last)) = (scale.rounds.first(), scale.rounds.last()) else { return Vec::new() };
    let two_rounds = scale.rounds.len() > 1;
    let mut blocks = vec![Block::heading(3, scale.title.clone())];
    let mut intro = format!("Rated from {} to {}.", scale.min, scale.max);
    if two_rounds {
        intro
            .push_str(&format!(" “{first}” against “{last}”; the paired change counts only people who answered both."));
    }
    blocks.push(Block::paragraph(intro));
    if rows.is_empty() {
        blocks.push(Block::paragraph("No ratings."));
        return blocks;
    }
    let (header, numeric, cells): (Vec<String>, Vec<bool>, Vec<Vec<String>>) = if two_rounds {
        (
            vec![
                "Statement".to_owned(),
                first.clone(),
                last.clone(),
                "Change".to_owned(),
                format!("n {first}"),
                format!("n {last}"),
                "Paired change".to_owned(),
            ],
            vec![false, true, true, true, true, true, true],
            rows.iter()
                .map(|row| {
                    vec![
                        row.statement.clone(),
                        mean(row.first.mean),
                        mean(row.last.mean),
                        signed(row.change()),
                        row.first.n.to_string(),
                        row.last.n.to_string(),
                        match &row.paired {
                            Some(paired) if paired.n > 0 => {
                                format!("{} (n = {})", signed(paired.mean_change), paired.n)
                            }
                            _ => "–".to_owned(),
                        },
                    ]
                })
                .collect(),
        )
    } else {
        (
            vec!["Statement".to_owned(), "Mean".to_owned(), "n".to_owned()],
            vec![false, true, true],
            rows.iter().map(|row| vec![row.statement.clone(), mean(row.first.mean), row.first.n.to_string()]).collect(),
        )
    };
    blocks.push(Block::Table(Table { caption: "Mean rating per statement".to_owned(), header, rows: cells, numeric }));
    if report.series.is_some() {
        let sessions: Vec<(String, Vec<BeforeAfter>)> = report
            .sessions
            .iter()
            .filter_map(|session| {
                let part = session.activities.iter().find(|p| p.activity.id == combined.activity.id)?;
                Some((display_join_code(&session.code), BeforeAfter::rows(scale, &part.results)))
            })
            .collect();
        let mut header = vec!["Statement".to_owned()];
        header.extend(sessions.iter().map(|(code, _)| code.clone()));
        let cells = rows
            .iter()
            .enumerate()
            .map(|(s, row)| {
                let mut line = vec![row.statement.clone()];
                line.extend(sessions.iter().map(|(_, own)| match own.get(s) {
                    Some(own) if two_rounds => format!("{} → {}", mean(own.first.mean), mean(own.last.mean)),
                    Some(own) => mean(own.first.mean),
                    None => "–".to_owned(),
                }));
                line
            })
            .collect();
        let mut numeric = vec![true; header.len()];
        numeric[0] = false;
        let caption = if two_rounds {
            format!("Mean rating per session, {first} → {last}")
        } else {
            "Mean rating per session".to_owned()
        };
        blocks.push(Block::Table(Table { caption, header, rows: cells, numeric }));
    }
    let bars: Vec<Bars> = rows
        .iter()
        .map(|row| Bars {
            label: &row.statement,
            first: row.first.mean,
            last: row.last.mean,
            first_label: mean(row.first.mean),
            last_label: mean(row.last.mean),
        })
        .collect();
    let (svg, height) = chart::before_after(&bars, scale.min, scale.max, two_rounds.then_some((first, last)));
    let figures: Vec<String> = rows
        .iter()
        .map(|row| {
            if two_rounds {
                format!("{}: {} → {}", row.statement, mean(row.first.mean), mean(row.last.mean))
            } else {
                format!("{}: {}", row.statement, mean(row.first.mean))
            }
        })
        .collect();
    let (alt, caption) = if two_rounds {
        (
            format!(
                "Bar chart of the mean rating per statement, from {} to {}, {first} against {last}. {}.",
                scale.min,
                scale.max,
                figures.join("; ")
            ),
            format!("Mean rating per statement: {first} (light bars) and {last} (dark bars)"),
        )
    } else {
        (
            format!(
                "Bar chart of the mean rating per statement, from {} to {}. {}.",
                scale.min,
                scale.max,
                figures.join("; ")
            ),
            "Mean rating per statement".to_owned(),
        )
    };
    blocks.push(Block::Figure(Figure { svg, width: chart::WIDTH, height, alt, caption }));
    blocks
}

/// A word cloud: its most frequent visible words, ranked. Hidden words are left out, as in
/// the HTML report (the JSON, CSV and XLSX keep them, marked).
pub fn word_cloud(cloud: &WordCloud, results: &WordCloudAggregate) -> Vec<Block> {
    let visible: Vec<_> = results.entries.iter().filter(|entry| !entry.hidden).collect();
    let mut blocks = vec![Block::heading(3, cloud.prompt.clone())];
    let total = results.total;
    let mut intro =
        format!("{total} entr{}; words that mean the same are counted together.", if total == 1 { "y" } else { "ies" });
    if visible.len() > TOP_WORDS {
        intro.push_str(&format!(" The {TOP_WORDS} most frequent of {} words:", visible.len()));
    }
    blocks.push(Block::paragraph(intro));
    if visible.is_empty() {
        return blocks;
    }
    blocks.push(Block::Table(Table {
        caption: "The most frequent words".to_owned(),
        header: ["Rank", "Word", "Count"].map(str::to_owned).to_vec(),
        rows: visible
            .iter()
            .take(TOP_WORDS)
            .enumerate()
            .map(|(i, entry)| vec![(i + 1).to_string(), entry.text.clone(), entry.count.to_string()])
            .collect(),
        numeric: vec![true, false, true],
    }));
    blocks
}

/// A board: its notes by frame, then by theme (in the order themes first appear), with their
/// dots; then the keywords over its notes.
pub fn jamboard(board: &Jamboard, results: &JamboardAggregate) -> Vec<Block> {
    let mut blocks = vec![Block::heading(3, board.title.clone())];
    for frame in &results.frames {
        blocks.push(Block::heading(4, frame.title.clone()));
        if frame.notes.is_empty() {
            blocks.push(Block::paragraph("No notes."));
            continue;
        }
        let mut groups: Vec<(String, Vec<Vec<Run>>)> = Vec::new();
        for note in &frame.notes {
            let name = note
                .theme
                .and_then(|id| results.themes.iter().find(|theme| theme.id == id))
                .map_or_else(|| "No theme".to_owned(), |theme| theme.name.clone());
            let mut line = vec![Run::plain(note.text.clone())];
            if note.votes > 0 {
                line.push(Run::plain(format!(" ({} dot{})", note.votes, if note.votes == 1 { "" } else { "s" })));
            }
            if note.hidden {
                line.push(Run::italic(" (hidden)"));
            }
            match groups.iter_mut().find(|(group, _)| *group == name) {
                Some((_, items)) => items.push(line),
                None => groups.push((name, vec![line])),
            }
        }
        for (name, items) in groups {
            let count = items.len();
            blocks.push(Block::Paragraph {
                runs: vec![
                    Run::bold(name),
                    Run::plain(format!(" ({count} note{})", if count == 1 { "" } else { "s" })),
                ],
            });
            blocks.push(Block::List { items });
        }
    }
    if !results.keywords.is_empty() {
        blocks.push(Block::Table(Table {
            caption: "Keywords: how many notes use each word".to_owned(),
            header: vec!["Word".to_owned(), "Notes".to_owned()],
            rows: results.keywords.iter().map(|k| vec![k.text.clone(), k.count.to_string()]).collect(),
            numeric: vec![false, true],
        }));
    }
    blocks
}
