//! A scale in the exports: the before/after table and chart of the findings report, the
//! Summary sheet's table and chart, and its own sheet with the counts per point.

use rust_xlsxwriter::{Chart, ChartType, Worksheet, XlsxError};

use super::{Paired, RoundStats, Scale, ScaleAggregate};
use crate::activity::kind::Section;
use crate::auth::display_join_code;
use crate::figures::{mean, signed};
use crate::report::chart::{self, Bars};
use crate::report::{Block, Figure, Table};
use crate::sheet::{Styles, write_optional};

/// A scale's before/after row: the first and last round compared, for the summary tables.
#[derive(Debug, Clone, PartialEq)]
pub struct BeforeAfter {
    pub statement: String,
    pub first: RoundStats,
    pub last: RoundStats,
    pub paired: Option<Paired>,
}

impl BeforeAfter {
    /// Mean of the last round less the mean of the first.
    pub fn change(&self) -> Option<f64> {
        Some(self.last.mean? - self.first.mean?)
    }

    /// The rows of a scale's results: one per statement, first round against last.
    pub fn rows(scale: &Scale, results: &ScaleAggregate) -> Vec<Self> {
        let (Some(first), Some(last)) = (scale.rounds.first(), scale.rounds.last()) else { return Vec::new() };
        results
            .statements
            .iter()
            .filter_map(|statement| {
                Some(Self {
                    statement: statement.text.clone(),
                    first: statement.rounds.get(first)?.clone(),
                    last: statement.rounds.get(last)?.clone(),
                    paired: statement.paired.clone(),
                })
            })
            .collect()
    }
}

/// The findings report's part: the table of means per statement (first round against
/// last), each session's own in a series, and the before/after chart.
pub fn report_blocks(scale: &Scale, section: &Section<'_, ScaleAggregate>) -> Vec<Block> {
    let rows = BeforeAfter::rows(scale, section.results);
    let (Some(first), Some(last)) = (scale.rounds.first(), scale.rounds.last()) else { return Vec::new() };
    let two_rounds = scale.rounds.len() > 1;
    let mut blocks = vec![Block::named(3, &scale.title, "Scale")];
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
    if !section.sessions.is_empty() {
        let sessions: Vec<(String, Vec<BeforeAfter>)> = section
            .sessions
            .iter()
            .map(|(code, results)| (display_join_code(code), BeforeAfter::rows(scale, results)))
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

/// The Summary sheet's before/after table of the scale (with each session's own means in a
/// series) and a native Excel chart of it. Returns the next free row.
pub fn write_summary(
    scale: &Scale,
    summary: &mut Worksheet,
    mut row: u32,
    number: usize,
    section: &Section<'_, ScaleAggregate>,
    styles: &Styles,
) -> Result<u32, XlsxError> {
    let rows = BeforeAfter::rows(scale, section.results);
    if rows.is_empty() {
        return Ok(row);
    }
    let (first, last) = (&scale.rounds[0], &scale.rounds[scale.rounds.len() - 1]);
    summary.write_string_with_format(row, 0, format!("{number}. {}", scale.title), &styles.heading)?;
    row += 1;
    let mut headers: Vec<String> = if scale.rounds.len() > 1 {
        vec![
            "Statement".into(),
            format!("{first} mean"),
            format!("{last} mean"),
            "Change".into(),
            format!("n {first}"),
            format!("n {last}"),
            "Paired n".into(),
            "Paired mean change".into(),
        ]
    } else {
        vec!["Statement".into(), "Mean".into(), "Median".into(), "n".into()]
    };
    // A series also shows each session's own means.
    let per_session: Vec<(&str, Vec<BeforeAfter>)> =
        section.sessions.iter().map(|(code, results)| (code.as_str(), BeforeAfter::rows(scale, results))).collect();
    for (code, _) in &per_session {
        headers.push(format!("{first} mean {code}"));
        if scale.rounds.len() > 1 {
            headers.push(format!("{last} mean {code}"));
        }
    }
    for (col, header) in headers.iter().enumerate() {
        summary.write_string_with_format(row, col as u16, header, &styles.header)?;
    }
    let header_row = row;
    for (s, line) in rows.iter().enumerate() {
        row += 1;
        summary.write_string(row, 0, &line.statement)?;
        let mut col: u16 = 1;
        if scale.rounds.len() > 1 {
            write_optional(summary, row, 1, line.first.mean, &styles.decimal)?;
            write_optional(summary, row, 2, line.last.mean, &styles.decimal)?;
            write_optional(summary, row, 3, line.change(), &styles.signed)?;
            summary.write_number(row, 4, line.first.n)?;
            summary.write_number(row, 5, line.last.n)?;
            summary.write_number(row, 6, line.paired.as_ref().map_or(0, |p| p.n))?;
            write_optional(summary, row, 7, line.paired.as_ref().and_then(|p| p.mean_change), &styles.signed)?;
            col = 8;
        } else {
            write_optional(summary, row, 1, line.first.mean, &styles.decimal)?;
            write_optional(summary, row, 2, line.first.median, &styles.decimal)?;
            summary.write_number(row, 3, line.first.n)?;
            col = col.max(4);
        }
        for (_, session_rows) in &per_session {
            let own = session_rows.get(s);
            write_optional(summary, row, col, own.and_then(|r| r.first.mean), &styles.decimal)?;
            col += 1;
            if scale.rounds.len() > 1 {
                write_optional(summary, row, col, own.and_then(|r| r.last.mean), &styles.decimal)?;
                col += 1;
            }
        }
    }
    if scale.rounds.len() > 1 {
        let mut chart = Chart::new(ChartType::Bar);
        for (col, round) in [(1u16, first), (2u16, last)] {
            chart
                .add_series()
                .set_name(round.as_str())
                .set_categories(("Summary", header_row + 1, 0, row, 0))
                .set_values(("Summary", header_row + 1, col, row, col));
        }
        chart.title().set_name(&format!("{}: {first} and {last}", scale.title));
        chart.x_axis().set_min(f64::from(scale.min)).set_max(f64::from(scale.max)).set_name("Mean");
        chart.set_width(720).set_height(120 + 60 * rows.len() as u32);
        summary.insert_chart(row + 2, 0, &chart)?;
        row += 8 + 3 * rows.len() as u32;
    }
    Ok(row + 2)
}

/// The scale's own sheet: per round, each statement's n, mean, median and count per point.
pub fn write_sheet(
    scale: &Scale,
    sheet: &mut Worksheet,
    results: &ScaleAggregate,
    styles: &Styles,
) -> Result<(), XlsxError> {
    let mut row = 2;
    for round in &scale.rounds {
        sheet.write_string_with_format(row, 0, round, &styles.header)?;
        let mut headers = vec!["n".to_owned(), "Mean".to_owned(), "Median".to_owned()];
        headers.extend((scale.min..=scale.max).map(|point| format!("Chose {point}")));
        for (col, header) in headers.iter().enumerate() {
            sheet.write_string_with_format(row, col as u16 + 1, header, &styles.header)?;
        }
        for statement in &results.statements {
            row += 1;
            sheet.write_string(row, 0, &statement.text)?;
            let Some(stats) = statement.rounds.get(round) else { continue };
            sheet.write_number(row, 1, stats.n)?;
            write_optional(sheet, row, 2, stats.mean, &styles.decimal)?;
            write_optional(sheet, row, 3, stats.median, &styles.decimal)?;
            for (i, count) in stats.counts.iter().enumerate() {
                sheet.write_number(row, 4 + i as u16, *count)?;
            }
        }
        row += 2;
    }
    Ok(())
}
