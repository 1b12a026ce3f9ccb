//! A word cloud in the exports: the picture and the ranked words of the findings report,
//! and its sheet with every group (hidden ones marked).

use std::fmt::Write;

use quick_xml::escape::escape;
use rust_xlsxwriter::{Worksheet, XlsxError};

use super::{CloudEntry, WordCloud, WordCloudAggregate};
use crate::activity::kind::Section;
use crate::report::chart::{FONT, WIDTH};
use crate::report::{Block, Figure, Table};
use crate::sheet::Styles;

/// Words listed per word cloud in the report.
pub const TOP_WORDS: usize = 25;
/// Words drawn in the report's picture of the cloud.
const PICTURE_WORDS: usize = 40;
const WORD_COLOUR: &str = "#1d4e89";

/// The findings report's part: a picture of the cloud and its most frequent words, ranked.
/// Hidden words are left out (the JSON, CSV and XLSX keep them, marked).
pub fn report_blocks(cloud: &WordCloud, section: &Section<'_, WordCloudAggregate>) -> Vec<Block> {
    let results = section.results;
    let visible: Vec<&CloudEntry> = results.entries.iter().filter(|entry| !entry.hidden).collect();
    let mut blocks = vec![Block::named(3, &cloud.prompt, "Word cloud")];
    let total = results.total;
    let mut intro =
        format!("{total} entr{}; words that mean the same are counted together.", if total == 1 { "y" } else { "ies" });
    if visible.len() > TOP_WORDS {
        intro.push_str(&format!(" The {TOP_WORDS} most frequent of {} words:", visible.len()));
    }
    blocks.push(Block::paragraph(intro));
    if visible.is_empty() {
        return blocks;
    }
    let (words, height) = place_words(&visible);
    let mut svg = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" font-family="{FONT}" fill="{WORD_COLOUR}">"#
    );
    let _ = write!(svg, r##"<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>"##);
    for word in &words {
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" font-size="{}" textLength="{}" lengthAdjust="spacingAndGlyphs">{}</text>"#,
            word.x,
            word.y,
            word.size,
            word.width,
            escape(word.text.as_str())
        );
    }
    svg.push_str("</svg>");
    let listed: Vec<String> =
        visible.iter().take(TOP_WORDS).map(|entry| format!("{} ({})", entry.text, entry.count)).collect();
    blocks.push(Block::Figure(Figure {
        svg,
        width: WIDTH,
        height: f64::from(height),
        alt: format!("The words, sized by how often they were given: {}.", listed.join(", ")),
        caption: "The words, sized by how often they were given".to_owned(),
    }));
    blocks.push(Block::Table(Table {
        caption: "The most frequent words".to_owned(),
        header: ["Rank", "Word", "Count"].map(str::to_owned).to_vec(),
        rows: visible
            .iter()
            .take(TOP_WORDS)
            .enumerate()
            .map(|(i, entry)| vec![(i + 1).to_string(), entry.text.clone(), entry.count.to_string()])
            .collect(),
        numeric: vec![true, false, true],
    }));
    blocks
}

/// A word placed in the report's picture.
#[derive(Debug)]
struct PlacedWord {
    x: u32,
    /// The baseline.
    y: u32,
    size: u32,
    /// The width the word is drawn to (`textLength`): it never runs into the next word or
    /// off the picture, whatever the reader's font.
    width: u32,
    text: String,
}

/// Lays the words out in rows, largest first, sized by count: a picture of the cloud for
/// paper (the live cloud on the projector is drawn by d3-cloud). Returns the words and the
/// picture's height.
fn place_words(visible: &[&CloudEntry]) -> (Vec<PlacedWord>, u32) {
    const LINE: u32 = WIDTH as u32;
    /// Space between two words on a line.
    const GAP: u32 = 18;
    let top = visible.first().map_or(1, |w| w.count.max(1));
    let (mut x, mut y, mut line) = (0u32, 0u32, 0u32);
    let mut words = Vec::new();
    for word in visible.iter().take(PICTURE_WORDS) {
        let mut size = 14 + (34 * word.count / top);
        // An average glyph is about 0.6 em wide; a word too long for a line is made smaller,
        // then squeezed to the line (`textLength`), so it never runs off the edge.
        let chars = word.text.chars().count().max(1) as u32;
        while size > 10 && chars * size * 6 / 10 > LINE {
            size -= 1;
        }
        let width = (chars * size * 6 / 10).clamp(1, LINE);
        if x + width > LINE && x > 0 {
            // A quarter of an em below the baseline for descenders ("g", "y").
            y += line + line / 4 + 4;
            x = 0;
            line = 0;
        }
        line = line.max(size);
        words.push(PlacedWord { x, y: y + size, size, width, text: word.text.clone() });
        x += width + GAP;
    }
    (words, y + line + line / 4 + 4)
}

/// The cloud's sheet: every group with its count, hidden ones marked.
pub fn write_sheet(sheet: &mut Worksheet, results: &WordCloudAggregate, styles: &Styles) -> Result<(), XlsxError> {
    for (col, header) in ["Word", "Count", "Hidden"].iter().enumerate() {
        sheet.write_string_with_format(2, col as u16, *header, &styles.header)?;
    }
    for (i, entry) in results.entries.iter().enumerate() {
        let row = 3 + i as u32;
        sheet.write_string(row, 0, &entry.text)?;
        sheet.write_number(row, 1, entry.count)?;
        sheet.write_string(row, 2, if entry.hidden { "hidden" } else { "" })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The report's cloud picture: no two words overlap, and none runs off its edges, with
    /// long words, big counts and many words.
    #[test]
    fn cloud_words_never_overlap_or_leave_the_picture() {
        let mut entries: Vec<CloudEntry> = (0..40)
            .map(|i| CloudEntry {
                id: format!("w{i}"),
                text: match i % 4 {
                    0 => "co-production-and-partnership-working".to_owned(),
                    1 => "together".to_owned(),
                    2 => "gy".to_owned(),
                    _ => format!("word{i}"),
                },
                count: 40 - i as u32,
                hidden: false,
            })
            .collect();
        entries[0].text = "W".repeat(80);
        let visible: Vec<&CloudEntry> = entries.iter().collect();
        let (words, height) = place_words(&visible);
        assert_eq!(words.len(), 40);
        let boxes: Vec<(u32, u32, u32, u32)> = words
            .iter()
            .map(|PlacedWord { x, y, size, width, .. }| (*x, *x + *width, y - size, y + size / 4))
            .collect();
        for (i, a) in boxes.iter().enumerate() {
            assert!(a.1 <= WIDTH as u32 && a.3 <= height, "word {i} leaves the picture: {a:?}, height {height}");
            for b in &boxes[i + 1..] {
                let apart = a.1 <= b.0 || b.1 <= a.0 || a.3 <= b.2 || b.3 <= a.2;
                assert!(apart, "{a:?} overlaps {b:?}");
            }
        }
    }

    /// Hidden words are not in the report's picture or its table; words people typed are
    /// text in the picture, never markup.
    #[test]
    fn the_report_leaves_hidden_words_out_and_escapes_the_rest() {
        let cloud = WordCloud { prompt: "A word?".into(), max_entries: 3, profanity_filter: true, stop_words: vec![] };
        let entry =
            |id: &str, text: &str, count, hidden| CloudEntry { id: id.into(), text: text.into(), count, hidden };
        let results = WordCloudAggregate {
            entries: vec![entry("a", "<b>together</b>", 3, false), entry("r", "rubbish", 2, true)],
            total: 3,
            groups: 1,
            participants: 3,
        };
        let blocks = report_blocks(&cloud, &Section { results: &results, sessions: Vec::new() });
        let figure =
            blocks.iter().find_map(|b| if let Block::Figure(f) = b { Some(f) } else { None }).expect("a picture");
        assert!(figure.svg.contains("&lt;b&gt;together&lt;/b&gt;"));
        assert!(!figure.svg.contains("rubbish") && !figure.alt.contains("rubbish"));
        let table = blocks.iter().find_map(|b| if let Block::Table(t) = b { Some(t) } else { None }).expect("a table");
        assert_eq!(table.rows, vec![vec!["1".to_owned(), "<b>together</b>".to_owned(), "3".to_owned()]]);
    }
}
