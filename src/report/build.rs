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
use crate::export::{Combined, Report, attendance_by_group, human_time, rfc3339};

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
            "attendance" => {
                blocks.extend(attendance(report));
                blocks.extend(group_attendance(report));
            }
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
        part.extend(group_blocks(report, combined));
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

// ---- groups ("About you") -------------------------------------------------------------------

/// "Booked / took part" for a table cell.
fn booked_took_part(booked: Option<u32>, took_part: u32) -> String {
    match booked {
        Some(booked) => format!("{booked} / {took_part}"),
        None => format!("– / {took_part}"),
    }
}

/// Attendance by group, per session and (in a series) added up: booked, opened the link,
/// took part, and per group booked and took part, suppressed where the rule says.
fn group_attendance(report: &Report) -> Vec<Block> {
    let Some(table) = attendance_table(report) else { return Vec::new() };
    let k = report.min_group_size();
    vec![
        Block::paragraph(format!(
            "By group (the \u{201c}About you\u{201d} question). A group where fewer than {k} people took part is shown \
             as \u{201c}fewer than {k}\u{201d}, and so is the next smallest group when the rest would give it away."
        )),
        Block::Table(table),
    ]
}

/// The attendance-by-group table, for the report and the spreadsheet; `None` without groups.
pub fn attendance_table(report: &Report) -> Option<Table> {
    if !report.has_groups() {
        return None;
    }
    let k = report.min_group_size();
    let labels = report.group_labels();
    let hidden = format!("fewer than {k}");
    let mut rows = Vec::new();
    // Series totals by label: booked (if every session gave it) and took part.
    let mut sums: Vec<(Option<u32>, u32)> = vec![(Some(0), 0); labels.len()];
    let mut booked_total = Some(0u32);
    for session in &report.sessions {
        let by_group = attendance_by_group(session, k);
        let mut row = vec![
            display_join_code(&session.code),
            session.booked.as_ref().and_then(|b| b.total).map_or_else(|| "–".to_owned(), |n| n.to_string()),
            session.opened.to_string(),
            session.participants.to_string(),
        ];
        booked_total = booked_total.zip(session.booked.as_ref().and_then(|b| b.total)).map(|(a, b)| a + b);
        for (index, label) in labels.iter().enumerate() {
            let attendance = session.attendance.as_ref().and_then(|(groups, _)| groups.get(label).copied());
            let booked = session
                .about_you
                .as_ref()
                .and_then(|about| about.groups.iter().position(|l| l == label))
                .and_then(|g| session.booked.as_ref()?.groups.as_ref()?.get(g).copied().flatten());
            sums[index].0 = sums[index].0.zip(booked).map(|(a, b)| a + b);
            sums[index].1 += attendance.map_or(0, |a| a.took_part);
            let cell = match by_group.iter().find(|(l, _)| l == label) {
                Some((_, Some((booked, took_part)))) => booked_took_part(*booked, *took_part),
                Some((_, None)) => hidden.clone(),
                None => "–".to_owned(),
            };
            row.push(cell);
        }
        rows.push(row);
    }
    if report.sessions.len() > 1 {
        let took_part: Vec<Vec<u32>> = sums.iter().map(|(_, n)| vec![*n]).collect();
        let suppressed = crate::session::groups::suppressed(k, &[report.participants()], &took_part);
        let mut row = vec![
            "All sessions".to_owned(),
            booked_total.map_or_else(|| "–".to_owned(), |n| n.to_string()),
            report.opened().to_string(),
            report.participants().to_string(),
        ];
        for ((booked, took_part), hidden_here) in sums.iter().zip(suppressed) {
            row.push(if hidden_here { hidden.clone() } else { booked_took_part(*booked, *took_part) });
        }
        rows.push(row);
    }
    let mut header = ["Session", "Booked", "Opened the link", "Took part"].map(str::to_owned).to_vec();
    header.extend(labels.iter().map(|label| format!("{label}: booked / took part")));
    let mut numeric = vec![true; header.len()];
    numeric[0] = false;
    Some(Table { caption: "Attendance by group".to_owned(), header, rows, numeric })
}

/// One activity's tables and charts again for each group, beside the total: the kind's own
/// blocks (for a scale, the before/after table with each group's paired change), one level
/// down and named by group; a group the rule suppresses is named and not shown.
fn group_blocks(report: &Report, combined: &Combined) -> Vec<Block> {
    if combined.groups.is_empty() {
        return Vec::new();
    }
    let k = report.min_group_size();
    let title = combined.activity.spec.title().to_owned();
    let mut blocks = Vec::new();
    for (group, results) in combined.shown_groups(k) {
        let Some(results) = results else {
            blocks.push(Block::heading(4, format!("{title}: {}", group.label)));
            blocks.push(Block::paragraph(format!(
                "Fewer than {k} people in this group answered (or the other groups would give them away): not shown."
            )));
            continue;
        };
        let mut first = true;
        for block in combined.activity.spec.report_blocks(results, &[]) {
            blocks.push(match block {
                Block::Heading { level, text } => {
                    let text = if first { format!("{text}: {}", group.label) } else { text };
                    first = false;
                    Block::Heading { level: (level + 1).min(6), text }
                }
                Block::Table(mut table) => {
                    table.caption = format!("{}: {}", group.label, table.caption);
                    Block::Table(table)
                }
                other => other,
            });
        }
    }
    blocks
}
