//! A jam board in the exports: its notes by frame and theme in the findings report, and its
//! sheet with every note (hidden ones marked) and the keywords.

use rust_xlsxwriter::{Worksheet, XlsxError};

use super::{Jamboard, JamboardAggregate};
use crate::activity::kind::Section;
use crate::report::{Block, Run, Table};
use crate::sheet::Styles;

/// The findings report's part: the notes by frame, then by theme (in the order themes first
/// appear), with their dots; then the keywords over its notes.
pub fn report_blocks(board: &Jamboard, section: &Section<'_, JamboardAggregate>) -> Vec<Block> {
    let results = section.results;
    let mut blocks = vec![Block::named(3, &board.title, "Board")];
    for frame in &results.frames {
        blocks.push(Block::named(4, &frame.title, "Frame"));
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

/// The board's sheet: every note with its frame, theme and dots; then the keywords.
pub fn write_sheet(sheet: &mut Worksheet, results: &JamboardAggregate, styles: &Styles) -> Result<(), XlsxError> {
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
    Ok(())
}
