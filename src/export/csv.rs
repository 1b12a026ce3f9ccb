//! The CSV export: tidy long format, one row per response, UTF-8 with a byte-order mark so
//! that Excel reads it, and every cell that a spreadsheet would run as a formula made inert.

use super::{ExportError, Report, kind, pseudonym, rfc3339};

pub const HEADER: [&str; 12] = [
    "session",
    "activity",
    "kind",
    "round",
    "statement",
    "participant",
    "value",
    "text",
    "frame",
    "theme",
    "hidden",
    "at",
];

/// A cell a spreadsheet will not run: text starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return gets a leading apostrophe.
pub fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}").into() } else { cell.into() }
}

pub fn render(report: &Report) -> Result<Vec<u8>, ExportError> {
    let mut writer = ::csv::WriterBuilder::new().from_writer(Vec::from(*b"\xEF\xBB\xBF"));
    // With an "About you" question, each row says the participant's group now (empty for
    // none); reports without one keep the columns they always had.
    let groups = report.has_groups();
    if groups {
        writer.write_record(HEADER.iter().chain(&["group"]))?;
    } else {
        writer.write_record(HEADER)?;
    }
    for session in &report.sessions {
        for part in &session.activities {
            for response in &part.responses {
                let statement = response
                    .statement
                    .and_then(|s| part.activity.spec.item_label(s))
                    .map(str::to_owned)
                    .unwrap_or_default();
                let group = session.group_of.get(&response.participant).cloned().unwrap_or_default();
                let row = [
                    session.code.clone(),
                    part.activity.spec.title().to_owned(),
                    kind(&part.activity).to_owned(),
                    response.round.clone().unwrap_or_default(),
                    statement,
                    pseudonym(response.participant),
                    response.value.map(|v| v.to_string()).unwrap_or_default(),
                    response.text.clone().unwrap_or_default(),
                    response.frame.clone().unwrap_or_default(),
                    response.theme.clone().unwrap_or_default(),
                    response.hidden.to_string(),
                    rfc3339(response.at),
                ];
                let cells = row.iter().chain(groups.then_some(&group));
                writer.write_record(cells.map(|cell| inert(cell).into_owned()))?;
            }
        }
    }
    writer.into_inner().map_err(|err| ExportError::Io(err.into_error()))
}

#[cfg(test)]
mod tests {
    use super::inert;

    #[test]
    fn formulas_are_made_inert() {
        for cell in ["=1+1", "+44 7700", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(inert(cell).starts_with('\''), "{cell:?}");
        }
        assert_eq!(inert("together"), "together");
        assert_eq!(inert("a=b"), "a=b");
    }
}
