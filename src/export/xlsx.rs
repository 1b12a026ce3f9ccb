//! The spreadsheet: a Summary sheet with the before/after table of every scale and a native
//! Excel bar chart of it, then one sheet per activity.
//!
//! Participants' words are written with `write_string`, always as text: nothing anyone typed
//! can become a formula.

use rust_xlsxwriter::{Chart, ChartType, Format, Workbook, Worksheet, XlsxError};

use super::{BeforeAfter, ExportError, Report, human_time};
use crate::activity::{ActivitySpec, Aggregate};

/// Excel's limit on a sheet name.
const SHEET_NAME_CHARS: usize = 31;

struct Styles {
    title: Format,
    heading: Format,
    header: Format,
    decimal: Format,
    signed: Format,
}

impl Styles {
    fn new() -> Self {
        Self {
            title: Format::new().set_bold().set_font_size(16),
            heading: Format::new().set_bold().set_font_size(13),
            header: Format::new().set_bold().set_text_wrap(),
            decimal: Format::new().set_num_format("0.0"),
            // The conditions make a change that rounds to 0.0 show "0.0", not "-0.0" or
            // "+0.0", as on every screen (`export::one_decimal`).
            signed: Format::new().set_num_format("[>=0.05]+0.0;[<=-0.05]-0.0;0.0"),
        }
    }
}

/// A sheet name Excel accepts: no `[]:*?/\`, at most 31 characters, unique in the book.
fn sheet_name(index: usize, title: &str, taken: &mut Vec<String>) -> String {
    let clean: String = title.chars().map(|c| if "[]:*?/\\'".contains(c) { ' ' } else { c }).collect();
    let mut name: String = format!("{} {}", index + 1, clean.trim()).chars().take(SHEET_NAME_CHARS).collect();
    name = name.trim().to_owned();
    while taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
        name = format!("{} ({})", name.chars().take(SHEET_NAME_CHARS - 5).collect::<String>(), taken.len());
    }
    taken.push(name.clone());
    name
}

fn write_optional(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    value: Option<f64>,
    format: &Format,
) -> Result<(), XlsxError> {
    match value {
        // Four decimals is far more than any mean needs, and keeps 4.2 − 2.5 from showing as
        // 1.7000000000000002 when someone widens the column.
        Some(value) => sheet.write_number_with_format(row, col, (value * 1e4).round() / 1e4, format).map(|_| ()),
        None => sheet.write_string(row, col, "").map(|_| ()),
    }
}

pub fn render(report: &Report) -> Result<Vec<u8>, ExportError> {
    let styles = Styles::new();
    let mut book = Workbook::new();
    let series = report.series.is_some();
    let summary = book.add_worksheet().set_name("Summary")?;
    summary.set_column_width(0, 48)?;
    for col in 1..=20 {
        summary.set_column_width(col, 12)?;
    }
    summary.write_string_with_format(0, 0, &report.title, &styles.title)?;
    let sessions = report.sessions.iter().map(|s| s.code.as_str()).collect::<Vec<_>>().join(", ");
    let about = format!(
        "{} session{} ({sessions}) · {} participants (answered at least once; {} opened the link) · made {}",
        report.sessions.len(),
        if report.sessions.len() == 1 { "" } else { "s" },
        report.participants(),
        report.opened(),
        human_time(report.generated_at)
    );
    summary.write_string(1, 0, &about)?;
    let mut row: u32 = 3;
    for (index, combined) in report.activities.iter().enumerate() {
        let ActivitySpec::Scale(scale) = &combined.activity.spec else { continue };
        let rows = BeforeAfter::rows(scale, &combined.results);
        if rows.is_empty() {
            continue;
        }
        let (first, last) = (&scale.rounds[0], &scale.rounds[scale.rounds.len() - 1]);
        summary.write_string_with_format(row, 0, format!("{}. {}", index + 1, scale.title), &styles.heading)?;
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
        let per_session: Vec<(&str, Vec<BeforeAfter>)> = if series {
            report
                .sessions
                .iter()
                .filter_map(|session| {
                    let part = session.activities.iter().find(|p| p.activity.id == combined.activity.id)?;
                    Some((session.code.as_str(), BeforeAfter::rows(scale, &part.results)))
                })
                .collect()
        } else {
            Vec::new()
        };
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
        row += 2;
    }

    let mut taken = vec!["Summary".to_owned()];
    for (index, combined) in report.activities.iter().enumerate() {
        let name = sheet_name(index, combined.activity.spec.title(), &mut taken);
        let sheet = book.add_worksheet().set_name(name)?;
        sheet.set_column_width(0, 40)?;
        sheet.set_column_width(1, 40)?;
        sheet.write_string_with_format(0, 0, combined.activity.spec.title(), &styles.heading)?;
        match (&combined.activity.spec, &combined.results) {
            (ActivitySpec::Scale(scale), Aggregate::Scale(results)) => {
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
            }
            (ActivitySpec::Wordcloud(_), Aggregate::Wordcloud(results)) => {
                for (col, header) in ["Word", "Count", "Hidden"].iter().enumerate() {
                    sheet.write_string_with_format(2, col as u16, *header, &styles.header)?;
                }
                for (i, entry) in results.entries.iter().enumerate() {
                    let row = 3 + i as u32;
                    sheet.write_string(row, 0, &entry.text)?;
                    sheet.write_number(row, 1, entry.count)?;
                    sheet.write_string(row, 2, if entry.hidden { "hidden" } else { "" })?;
                }
            }
            (ActivitySpec::Jamboard(_), Aggregate::Jamboard(results)) => {
                for (col, header) in ["Note", "Frame", "Theme", "Dots", "Hidden"].iter().enumerate() {
                    sheet.write_string_with_format(2, col as u16, *header, &styles.header)?;
                }
                let mut row = 2;
                for frame in &results.frames {
                    for note in &frame.notes {
                        row += 1;
                        let theme = note
                            .theme
                            .and_then(|id| results.themes.iter().find(|t| t.id == id))
                            .map(|t| t.name.as_str())
                            .unwrap_or_default();
                        sheet.write_string(row, 0, &note.text)?;
                        sheet.write_string(row, 1, &frame.title)?;
                        sheet.write_string(row, 2, theme)?;
                        sheet.write_number(row, 3, note.votes)?;
                        sheet.write_string(row, 4, if note.hidden { "hidden" } else { "" })?;
                    }
                }
                row += 2;
                sheet.write_string_with_format(row, 0, "Keyword", &styles.header)?;
                sheet.write_string_with_format(row, 1, "Notes", &styles.header)?;
                for keyword in &results.keywords {
                    row += 1;
                    sheet.write_string(row, 0, &keyword.text)?;
                    sheet.write_number(row, 1, keyword.count)?;
                }
            }
            _ => {}
        }
    }
    Ok(book.save_to_buffer()?)
}
