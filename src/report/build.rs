//! From an export [`Report`] to a [`Document`]: who attended, what we found (each scale's
//! statements before → after, as a table and a chart), the most frequent words of each word
//! cloud, and the notes of each board by frame and theme.
//!
//! Each activity kind writes its own part (`Kind::report_blocks`, in the kind's slice) and
//! says which part of the report it goes under; this module puts the parts together.

use super::{Block, Document, LANGUAGE, Run, Table};
use crate::activity::ReportPart;
use crate::auth::display_join_code;
use crate::export::{Combined, Report, human_time, rfc3339};

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
    }
    Document { title, language: LANGUAGE.to_owned(), created: rfc3339(report.generated_at), blocks }
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
