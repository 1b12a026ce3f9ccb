//! The spreadsheet: a Summary sheet with the tables kinds put there (a scale's before/after
//! table and a native Excel bar chart of it), then one sheet per activity, each written by
//! its kind (`Kind::write_summary`, `Kind::write_sheet`).
//!
//! Participants' words are written with `write_string`, always as text: nothing anyone typed
//! can become a formula.

use rust_xlsxwriter::Workbook;

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

    let mut taken = vec!["Summary".to_owned()];
    for (index, combined) in report.activities.iter().enumerate() {
        let name = sheet_name(index, combined.activity.spec.title(), &mut taken);
        let sheet = book.add_worksheet().set_name(name)?;
        sheet.set_column_width(0, 40)?;
        sheet.set_column_width(1, 40)?;
        sheet.write_string_with_format(0, 0, combined.activity.spec.title(), &styles.heading)?;
        combined.activity.spec.write_sheet(sheet, &combined.results, &styles)?;
    }
    Ok(book.save_to_buffer()?)
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
