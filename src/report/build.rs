//! From an export [`Report`] to a [`Document`]: who attended, what we found (each scale's
//! statements before → after, as a table and a chart), the most frequent words of each word
//! cloud, and the notes of each board by frame and theme.
//!
//! Each activity kind writes its own part (`Kind::report_blocks`, in the kind's slice) and
//! says which part of the report it goes under; this module puts the parts together.

use super::{Block, Document, LANGUAGE, Run, Table};
use crate::activity::ReportPart;
use crate::auth::display_join_code;
use crate::export::{Combined, Report, attendance_by_group, human_time, rfc3339};

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
    blocks.extend(group_attendance(report));
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
