//! The spreadsheet: a Summary sheet with the tables kinds put there (a scale's before/after
//! table and a native Excel bar chart of it), then one sheet per activity, each written by
//! its kind (`Kind::write_summary`, `Kind::write_sheet`).
//!
//! Participants' words are written with `write_string`, always as text: nothing anyone typed
//! can become a formula.

use rust_xlsxwriter::{Workbook, Worksheet, XlsxError};

use super::{Combined, ExportError, Report, human_time};
use crate::activity::Aggregate;
use crate::sheet::Styles;

/// Excel's limit on a sheet name.
const SHEET_NAME_CHARS: usize = 31;

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

pub fn render(report: &Report) -> Result<Vec<u8>, ExportError> {
    let styles = Styles::new();
    let mut book = Workbook::new();
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
        let sessions = sessions_of(report, combined);
        row = combined.activity.spec.write_summary(summary, row, index + 1, &combined.results, &sessions, &styles)?;
    }

    if report.has_groups() {
        groups_summary(summary, row, report, &styles)?;
    }

    let mut taken = vec!["Summary".to_owned()];
    let k = report.min_group_size();
    for (index, combined) in report.activities.iter().enumerate() {
        let name = sheet_name(index, combined.activity.spec.title(), &mut taken);
        let sheet = book.add_worksheet().set_name(name)?;
        sheet.set_column_width(0, 40)?;
        sheet.set_column_width(1, 40)?;
        sheet.write_string_with_format(0, 0, combined.activity.spec.title(), &styles.heading)?;
        combined.activity.spec.write_sheet(sheet, &combined.results, &styles)?;
        // Each group's figures on a sheet of its own beside the total's, written by the kind
        // as the total's is; groups the rule suppresses get none (the Summary names them).
        for (group, results) in combined.shown_groups(k) {
            let Some(results) = results else { continue };
            let title = format!("{}: {}", combined.activity.spec.title(), group.label);
            let name = sheet_name(index, &format!("{} {}", group.label, combined.activity.spec.title()), &mut taken);
            let sheet = book.add_worksheet().set_name(name)?;
            sheet.set_column_width(0, 40)?;
            sheet.set_column_width(1, 40)?;
            sheet.write_string_with_format(0, 0, &title, &styles.heading)?;
            combined.activity.spec.write_sheet(sheet, results, &styles)?;
        }
    }
    Ok(book.save_to_buffer()?)
}

/// On the Summary, below the kinds' tables: attendance by group, then each kind's table
/// again per group (a scale's before/after with each group's paired change), and which
/// groups are not shown.
fn groups_summary(summary: &mut Worksheet, mut row: u32, report: &Report, styles: &Styles) -> Result<u32, XlsxError> {
    let k = report.min_group_size();
    if let Some(table) = crate::report::build::attendance_table(report) {
        row += 1;
        summary.write_string_with_format(row, 0, &table.caption, &styles.heading)?;
        row += 1;
        for (col, name) in table.header.iter().enumerate() {
            summary.write_string_with_format(row, col as u16, name, &styles.header)?;
        }
        for cells in &table.rows {
            row += 1;
            for (col, cell) in cells.iter().enumerate() {
                match cell.parse::<f64>() {
                    Ok(number) if col > 0 => summary.write_number(row, col as u16, number)?,
                    _ => summary.write_string(row, col as u16, cell)?,
                };
            }
        }
        row += 2;
    }
    for (index, combined) in report.activities.iter().enumerate() {
        for (group, results) in combined.shown_groups(k) {
            let title = format!("{}: {}", combined.activity.spec.title(), group.label);
            let Some(results) = results else {
                summary.write_string(
                    row,
                    0,
                    format!("{title}: fewer than {k} answered (or the other groups would give them away), not shown"),
                )?;
                row += 2;
                continue;
            };
            let next = combined.activity.spec.write_summary(summary, row + 1, index + 1, results, &[], styles)?;
            if next > row + 1 {
                summary.write_string_with_format(row, 0, &title, &styles.heading)?;
                row = next;
            }
        }
    }
    Ok(row)
}

/// In a series, each session's own results of an activity, by join code.
fn sessions_of<'a>(report: &'a Report, combined: &Combined) -> Vec<(String, &'a Aggregate)> {
    if report.series.is_none() {
        return Vec::new();
    }
    report
        .sessions
        .iter()
        .filter_map(|session| {
            let part = session.activities.iter().find(|p| p.activity.id == combined.activity.id)?;
            Some((session.code.clone(), &part.results))
        })
        .collect()
}
