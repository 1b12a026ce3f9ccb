//! From an export [`Report`] to a [`Document`]: who attended, what we found (each scale's
//! statements before → after, as a table and a chart), the most frequent words of each word
//! cloud, and the notes of each board by frame and theme.
//!
//! Each activity kind writes its own part (`Kind::report_blocks`, in the kind's slice) and
//! says which part of the report it goes under; this module puts the parts together.

use super::content::{Candidate, CandidateKind, ReportSection, quote_of, text_blocks};
use super::{Block, Document, LANGUAGE, Run, Table};
use crate::activity::{Aggregate, ReportPart};
use crate::auth::display_join_code;
use crate::export::{Combined, Report, human_time, rfc3339};

/// The document of a report: the organiser's sections in the organiser's order, hidden ones
/// left out.
pub fn document(report: &Report) -> Document {
    compose(report, None)
}

/// The public "what we heard" page's document: only `sections` (in report order), in plain
/// language, and no individual answer other than the starred quotes (so no boards' notes and
/// no word clouds: their words are each someone's answer).
pub fn public_document(report: &Report, sections: &[String]) -> Document {
    compose(report, Some(sections))
}

fn compose(report: &Report, public: Option<&[String]>) -> Document {
    let title = if report.title.trim().is_empty() { "Chorus report".to_owned() } else { report.title.clone() };
    let mut blocks = vec![Block::heading(1, title.clone())];
    match public {
        None => blocks.push(Block::paragraph(lede(report))),
        Some(_) => blocks.push(Block::paragraph(public_lede(report))),
    }
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
    let candidates = candidates(report);
    for section in &report.content.sections {
        if section.hidden || public.is_some_and(|chosen| !chosen.contains(&section.id)) {
            continue;
        }
        match section.id.as_str() {
            "attendance" => blocks.extend(attendance(report)),
            "activities" => blocks.extend(activities(report, public.is_some())),
            "themes" => blocks.extend(themes(report, &candidates)),
            _ => blocks.extend(written(section)),
        }
    }
    Document { title, language: LANGUAGE.to_owned(), created: rfc3339(report.generated_at), blocks }
}

/// A section the organiser wrote: its title, then its text.
fn written(section: &ReportSection) -> Vec<Block> {
    let mut blocks = vec![Block::named(2, section.title.as_deref().unwrap_or_default(), "Section")];
    blocks.extend(text_blocks(section.text.as_deref().unwrap_or_default(), 3));
    blocks
}

/// The organiser's themes, each with what it means and its quotes (from any activity and
/// session of the report); then quotes filed under no theme. Nothing when there are none.
fn themes(report: &Report, candidates: &[Candidate]) -> Vec<Block> {
    let content = &report.content;
    let quotes = |theme: Option<&str>| -> Vec<Vec<Run>> {
        content
            .quotes
            .iter()
            .filter(|quote| quote.theme.as_deref() == theme)
            .filter_map(|quote| quote_of(quote, candidates))
            .map(|found| {
                let mut source = found.activity_title.trim().to_owned();
                if let Some(board) = found.board.as_deref().filter(|board| !board.trim().is_empty()) {
                    source = if source.is_empty() { board.to_owned() } else { format!("{source}, {board}") };
                }
                if report.sessions.len() > 1 {
                    source = format!("{source}, session {}", display_join_code(&found.session));
                }
                let mut line = vec![Run::plain(format!("“{}”", found.text))];
                if found.kind == CandidateKind::Word && found.count > 1 {
                    line.push(Run::plain(format!(" ({} people)", found.count)));
                }
                if !source.is_empty() {
                    line.push(Run::italic(format!(" – {source}")));
                }
                line
            })
            .collect()
    };
    let unfiled = quotes(None);
    if content.themes.is_empty() && unfiled.is_empty() {
        return Vec::new();
    }
    let mut blocks = vec![Block::heading(2, "Themes: what we heard")];
    for theme in &content.themes {
        blocks.push(Block::named(3, &theme.title, "Theme"));
        blocks.extend(text_blocks(&theme.text, 4));
        let items = quotes(Some(&theme.id));
        if !items.is_empty() {
            blocks.push(Block::List { items });
        }
    }
    if !unfiled.is_empty() {
        blocks.push(Block::heading(3, if content.themes.is_empty() { "Quotes" } else { "Other quotes" }));
        blocks.push(Block::List { items: unfiled });
    }
    blocks
}

/// Everything that can be starred in a report: each word-cloud group and each note, per
/// session, hidden ones left out; in agenda order, then session order.
pub fn candidates(report: &Report) -> Vec<Candidate> {
    let mut out = Vec::new();
    for combined in &report.activities {
        for session in &report.sessions {
            let Some(part) = session.activities.iter().find(|part| part.activity.id == combined.activity.id) else {
                continue;
            };
            let activity_title = part.activity.spec.title().to_owned();
            let candidate = |item: String, kind, text: &str, board: Option<&str>, count| Candidate {
                session: session.code.clone(),
                activity: part.activity.id.clone(),
                activity_title: activity_title.clone(),
                item,
                kind,
                text: text.to_owned(),
                board: board.map(str::to_owned),
                count,
            };
            match &part.results {
                Aggregate::Wordcloud(results) => {
                    out.extend(
                        results.entries.iter().filter(|entry| !entry.hidden).map(|entry| {
                            candidate(entry.id.clone(), CandidateKind::Word, &entry.text, None, entry.count)
                        }),
                    )
                }
                Aggregate::Jamboard(results) => {
                    for frame in &results.frames {
                        out.extend(frame.notes.iter().filter(|note| !note.hidden).map(|note| {
                            candidate(
                                note.id.to_string(),
                                CandidateKind::Note,
                                &note.text,
                                Some(&frame.title),
                                note.votes,
                            )
                        }));
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// Each activity's part, under what it is: what we found, the most frequent words, the
/// notes by board and theme. The public page has only what we found: words and notes are
/// each someone's answer.
fn activities(report: &Report, public: bool) -> Vec<Block> {
    let mut blocks = Vec::new();
    let (mut found, mut words, mut notes) = (Vec::new(), Vec::new(), Vec::new());
    for combined in &report.activities {
        let part = match combined.activity.spec.report_part() {
            ReportPart::Findings => &mut found,
            ReportPart::Words => &mut words,
            ReportPart::Notes => &mut notes,
        };
        part.extend(activity_blocks(report, combined));
    }
    for (heading, part) in
        [("What we found", found), ("The most frequent words", words), ("Notes by board and theme", notes)]
    {
        if !part.is_empty() {
            blocks.push(Block::heading(2, heading));
            blocks.extend(part);
        }
        if public {
            break;
        }
    }
    blocks
}

/// The public page's opening line, in plain words.
fn public_lede(report: &Report) -> String {
    let people = report.participants();
    let sessions =
        if report.sessions.len() > 1 { format!(" over {} sessions", report.sessions.len()) } else { String::new() };
    format!(
        "This is what we heard from the {people} {} who took part{sessions}, and what we are doing about it. Thank you for taking part.",
        if people == 1 { "person" } else { "people" }
    )
}

/// One activity's part, as its kind writes it: added up over the report's sessions, and in
/// a series each session's own.
pub fn activity_blocks(report: &Report, combined: &Combined) -> Vec<Block> {
    let sessions: Vec<(String, &crate::activity::Aggregate)> = if report.series.is_some() {
        report
            .sessions
            .iter()
            .filter_map(|session| {
                let part = session.activities.iter().find(|part| part.activity.id == combined.activity.id)?;
                Some((session.code.clone(), &part.results))
            })
            .collect()
    } else {
        Vec::new()
    };
    combined.activity.spec.report_blocks(&combined.results, &sessions)
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
