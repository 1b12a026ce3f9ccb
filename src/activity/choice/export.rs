//! A multiple choice in the exports: the findings report's table of counts and shares per
//! option and round with its bar chart, and its own sheet.

use std::fmt::Write;

use quick_xml::escape::escape;
use rust_xlsxwriter::{Worksheet, XlsxError};

use super::{Choice, ChoiceAggregate};
use crate::activity::kind::Section;
use crate::auth::display_join_code;
use crate::figures::signed;
use crate::report::chart::{FONT, WIDTH};
use crate::report::{Block, Figure, Table};
use crate::sheet::{Styles, write_optional};

/// The chart's colours and sizes: those of the scale's chart (`report::chart`), so the
/// report's charts look alike. First round light, last round dark.
const FIRST_COLOUR: &str = "#8fa8c8";
const LAST_COLOUR: &str = "#1d4e89";
const TEXT_COLOUR: &str = "#1a1a1a";
const TEXT_SIZE: f64 = 13.0;
const BAR_WIDTH: f64 = 460.0;
const LEGEND: f64 = 28.0;
/// An option's label and one bar per round shown.
const LABEL: f64 = 22.0;
const BAR: f64 = 24.0;
const GAP: f64 = 10.0;

/// A share as the tables show it: "40%", or "–" when nobody answered the round.
pub fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "–".to_owned(), |share| format!("{}%", (share * 100.0).round()))
}

/// A change of share in percentage points: "+10 points".
fn points(change: Option<f64>) -> String {
    match change {
        Some(change) => format!("{} points", signed(Some(change * 100.0)).trim_end_matches(".0")),
        None => "–".to_owned(),
    }
}

/// The round names to show: the first and last of several (the change between them), or
/// the only one.
fn shown_rounds(choice: &Choice) -> Vec<String> {
    let names = choice.round_names();
    match names.as_slice() {
        [only] => vec![(*only).to_owned()],
        [first, .., last] => vec![(*first).to_owned(), (*last).to_owned()],
        [] => Vec::new(),
    }
}

/// The findings report's part: the table of count and share per option and round, each
/// session's own shares in a series, and a horizontal bar chart of the shares.
pub fn report_blocks(choice: &Choice, section: &Section<'_, ChoiceAggregate>) -> Vec<Block> {
    let results = section.results;
    let names: Vec<String> = choice.round_names().into_iter().map(str::to_owned).collect();
    let mut blocks = vec![Block::heading(3, choice.title.clone())];
    let how_many = if choice.max_choices == 1 {
        "one option each".to_owned()
    } else {
        format!("up to {} options each", choice.max_choices)
    };
    let answered: Vec<String> = names
        .iter()
        .map(|name| {
            let n = results.rounds.get(name).map_or(0, |round| round.n);
            if name.is_empty() { format!("{n} answered") } else { format!("{n} answered “{name}”") }
        })
        .collect();
    blocks.push(Block::paragraph(format!(
        "People chose {how_many}; {}. Shares are of the people who answered, so with several choices each they add up to more than 100%.",
        answered.join(", ")
    )));
    if results.rounds.values().all(|round| round.n == 0) {
        blocks.push(Block::paragraph("No answers."));
        return blocks;
    }
    let several = names.len() > 1;
    let mut header = vec!["Option".to_owned()];
    let mut numeric = vec![false];
    for name in &names {
        let suffix = if name.is_empty() { String::new() } else { format!(" {name}") };
        header.push(format!("Count{suffix}"));
        header.push(format!("Share{suffix}"));
        numeric.extend([true, true]);
    }
    if several {
        header.push("Change".to_owned());
        numeric.push(true);
    }
    let rows = results
        .options
        .iter()
        .map(|option| {
            let mut line = vec![option.text.clone()];
            for name in &names {
                match option.rounds.get(name) {
                    Some(round) => line.extend([round.count.to_string(), percent(round.share)]),
                    None => line.extend(["–".to_owned(), "–".to_owned()]),
                }
            }
            if several {
                line.push(points(option.change));
            }
            line
        })
        .collect();
    blocks.push(Block::Table(Table { caption: "Count and share per option".to_owned(), header, rows, numeric }));
    let shown = shown_rounds(choice);
    if !section.sessions.is_empty() {
        let mut header = vec!["Option".to_owned()];
        header.extend(section.sessions.iter().map(|(code, _)| display_join_code(code)));
        let rows = results
            .options
            .iter()
            .enumerate()
            .map(|(o, option)| {
                let mut line = vec![option.text.clone()];
                line.extend(section.sessions.iter().map(|(_, own)| {
                    let share = |name: &String| own.options.get(o).and_then(|option| option.rounds.get(name)?.share);
                    shown.iter().map(|name| percent(share(name))).collect::<Vec<_>>().join(" → ")
                }));
                line
            })
            .collect();
        let mut numeric = vec![true; header.len()];
        numeric[0] = false;
        let caption = if shown.len() > 1 {
            format!("Share per session, {} → {}", shown[0], shown[1])
        } else {
            "Share per session".to_owned()
        };
        blocks.push(Block::Table(Table { caption, header, rows, numeric }));
    }
    let (svg, height) = chart(results, &shown);
    let figures: Vec<String> = results
        .options
        .iter()
        .map(|option| {
            let shares: Vec<String> = shown
                .iter()
                .map(|name| {
                    let round = option.rounds.get(name);
                    format!("{} ({})", percent(round.and_then(|r| r.share)), round.map_or(0, |r| r.count))
                })
                .collect();
            format!("{}: {}", option.text, shares.join(" → "))
        })
        .collect();
    let (alt, caption) = if shown.len() > 1 {
        (
            format!(
                "Bar chart of the share of people choosing each option, {} against {}. {}.",
                shown[0],
                shown[1],
                figures.join("; ")
            ),
            format!("Share choosing each option: {} (light bars) and {} (dark bars)", shown[0], shown[1]),
        )
    } else {
        (
            format!("Bar chart of the share of people choosing each option. {}.", figures.join("; ")),
            "Share choosing each option".to_owned(),
        )
    };
    blocks.push(Block::Figure(Figure { svg, width: WIDTH, height, alt, caption }));
    blocks
}

/// The horizontal bar chart: per option its label, then one bar per round shown (the first
/// light, the last dark), as long as the share, with the share and count beside it. A
/// standalone SVG in the report charts' font and colours. Returns the SVG and its height.
pub fn chart(results: &ChoiceAggregate, shown: &[String]) -> (String, f64) {
    let legend = if shown.len() > 1 { LEGEND } else { 0.0 };
    let row = LABEL + BAR * shown.len() as f64 + GAP;
    let height = legend + 10.0 + row * results.options.len() as f64;
    let mut svg = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" font-family="{FONT}" font-size="{TEXT_SIZE}" fill="{TEXT_COLOUR}">"#
    );
    let _ = write!(svg, r##"<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>"##);
    let colours = if shown.len() > 1 { [FIRST_COLOUR, LAST_COLOUR] } else { [LAST_COLOUR, LAST_COLOUR] };
    if shown.len() > 1 {
        for (i, name) in shown.iter().enumerate() {
            let x = 200.0 * i as f64;
            let _ = write!(
                svg,
                r#"<rect x="{x}" y="6" width="13" height="13" fill="{}"/><text x="{}" y="17">{}</text>"#,
                colours[i],
                x + 19.0,
                escape(name.as_str())
            );
        }
    }
    for (o, option) in results.options.iter().enumerate() {
        let y = legend + row * o as f64;
        let _ = write!(svg, r#"<text x="0" y="{}">{}</text>"#, y + 16.0, escape(option.text.as_str()));
        for (i, name) in shown.iter().enumerate() {
            let round = option.rounds.get(name);
            let share = round.and_then(|r| r.share);
            let width = share.map_or(0.0, |share| (share * BAR_WIDTH).max(2.0));
            let top = y + LABEL + BAR * i as f64;
            let _ = write!(
                svg,
                r#"<rect x="0" y="{top}" width="{width:.1}" height="20" fill="{}"/><text x="{:.1}" y="{}">{} ({})</text>"#,
                colours[i.min(1)],
                width + 6.0,
                top + 15.0,
                percent(share),
                round.map_or(0, |r| r.count)
            );
        }
    }
    svg.push_str("</svg>");
    (svg, height)
}

/// The choice's own sheet: per round, its n, then each option's count and share.
pub fn write_sheet(
    _choice: &Choice,
    sheet: &mut Worksheet,
    results: &ChoiceAggregate,
    styles: &Styles,
) -> Result<(), XlsxError> {
    let mut row = 2;
    let several = results.rounds.len() > 1;
    for (name, round) in &results.rounds {
        let label = if name.is_empty() { "Answers" } else { name.as_str() };
        sheet.write_string_with_format(row, 0, label, &styles.header)?;
        sheet.write_string_with_format(row, 1, "n", &styles.header)?;
        sheet.write_number(row, 2, round.n)?;
        row += 1;
        for (col, header) in ["Option", "Count", "Share"].into_iter().enumerate() {
            sheet.write_string_with_format(row, col as u16, header, &styles.header)?;
        }
        for option in &results.options {
            row += 1;
            sheet.write_string(row, 0, &option.text)?;
            let Some(stats) = option.rounds.get(name) else { continue };
            sheet.write_number(row, 1, stats.count)?;
            write_optional(sheet, row, 2, stats.share, &styles.decimal)?;
        }
        row += 2;
    }
    if several {
        sheet.write_string_with_format(row, 0, "Change of share, first to last round", &styles.header)?;
        for option in &results.options {
            row += 1;
            sheet.write_string(row, 0, &option.text)?;
            write_optional(sheet, row, 1, option.change, &styles.signed)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::Kind;
    use crate::activity::choice::ChoiceState;
    use crate::report::chart::png;

    #[test]
    fn the_report_part_has_a_table_and_a_chart_that_draws() {
        let mut choice = Choice {
            title: "Which word?".into(),
            options: vec!["<b>Co</b>-production".into(), "Working together".into()],
            max_choices: 1,
            rounds: vec!["Before".into(), "After".into()],
        };
        choice.normalise().expect("valid");
        let mut state = ChoiceState::new(&choice);
        state.answer(1, 0, &[0], 0);
        state.answer(2, 0, &[1], 0);
        state.answer(1, 1, &[1], 0);
        let results = state.aggregate(&choice);
        let blocks = report_blocks(&choice, &Section { results: &results, sessions: Vec::new() });
        let Some(Block::Table(table)) = blocks.get(2) else { panic!("a table: {blocks:?}") };
        assert_eq!(table.header, ["Option", "Count Before", "Share Before", "Count After", "Share After", "Change"]);
        assert_eq!(table.rows[1], ["Working together", "1", "50%", "1", "100%", "+50 points"]);
        let Some(Block::Figure(figure)) = blocks.last() else { panic!("a figure") };
        assert!(figure.alt.contains("Working together: 50% (1) → 100% (1)"), "{}", figure.alt);
        assert!(!figure.svg.contains("<b>") && figure.svg.contains("&lt;b&gt;"), "{}", figure.svg);
        let (png, width, _) = png(&figure.svg, 2.0).expect("png");
        assert_eq!(width, 1440);
        assert!(png.starts_with(b"\x89PNG"));
    }
}
