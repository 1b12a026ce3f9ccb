//! A ranking in the exports: a table per round (and, with two rounds or more, first → last
//! with the change), a bar chart of the Borda points, and its own sheet.

use rust_xlsxwriter::{Worksheet, XlsxError};

use super::{RankStats, Ranking, RankingAggregate};
use crate::activity::kind::Section;
use crate::figures::{mean, signed};
use crate::report::chart::{self, Bars};
use crate::report::{Block, Figure, Table};
use crate::sheet::{Styles, write_optional};

fn stats<'a>(results: &'a RankingAggregate, item: usize, round: &str) -> Option<&'a RankStats> {
    results.items.get(item)?.rounds.get(round)
}

/// A round's name as a caption says it ("" for a ranking without rounds).
fn in_round(round: &str) -> String {
    if round.is_empty() { String::new() } else { format!(", {round}") }
}

pub fn report_blocks(ranking: &Ranking, section: &Section<'_, RankingAggregate>) -> Vec<Block> {
    let results = section.results;
    let names = ranking.round_names();
    let mut blocks = vec![Block::heading(3, ranking.title.clone())];
    blocks.push(Block::paragraph(format!(
        "{} items put in order. Mean rank: 1 is the top. Points: an item ranked r-th of {} gets {} − r points, added over everyone.",
        ranking.items.len(),
        ranking.items.len(),
        ranking.items.len()
    )));
    if results.items.iter().all(|item| item.rounds.values().all(|stats| stats.n == 0)) {
        blocks.push(Block::paragraph("No rankings."));
        return blocks;
    }
    for round in &names {
        let rows = results
            .items
            .iter()
            .map(|item| {
                let stats = item.rounds.get(round);
                vec![
                    item.text.clone(),
                    mean(stats.and_then(|s| s.mean_rank)),
                    stats.map_or(0, |s| s.points).to_string(),
                    stats.map_or(0, |s| s.first).to_string(),
                    stats.map_or(0, |s| s.n).to_string(),
                ]
            })
            .collect();
        blocks.push(Block::Table(Table {
            caption: format!("Ranking{}", in_round(round)),
            header: ["Item", "Mean rank", "Points", "Ranked first", "n"].map(String::from).to_vec(),
            rows,
            numeric: vec![false, true, true, true, true],
        }));
    }
    let (first, last) = (&names[0], &names[names.len() - 1]);
    let two_rounds = names.len() > 1;
    if two_rounds {
        let rows = results
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let (a, b) = (stats(results, i, first), stats(results, i, last));
                let (ma, mb) = (a.and_then(|s| s.mean_rank), b.and_then(|s| s.mean_rank));
                let change = ma.zip(mb).map(|(a, b)| b - a);
                vec![
                    item.text.clone(),
                    mean(ma),
                    mean(mb),
                    signed(change),
                    a.map_or(0, |s| s.points).to_string(),
                    b.map_or(0, |s| s.points).to_string(),
                ]
            })
            .collect();
        blocks.push(Block::Table(Table {
            caption: format!("Mean rank, {first} → {last} (a negative change is a move up)"),
            header: vec![
                "Item".to_owned(),
                format!("{first} mean rank"),
                format!("{last} mean rank"),
                "Change".to_owned(),
                format!("{first} points"),
                format!("{last} points"),
            ],
            rows,
            numeric: vec![false, true, true, true, true, true],
        }));
    }
    let points = |i: usize, round: &str| stats(results, i, round).map_or(0, |s| s.points);
    let top = (0..results.items.len()).flat_map(|i| [points(i, first), points(i, last)]).max().unwrap_or(0).max(1);
    let bars: Vec<Bars> = results
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| Bars {
            label: &item.text,
            first: Some(points(i, first) as f64),
            last: Some(points(i, last) as f64),
            first_label: points(i, first).to_string(),
            last_label: points(i, last).to_string(),
        })
        .collect();
    let max = i32::try_from(top).unwrap_or(i32::MAX);
    let (svg, height) = chart::before_after(&bars, 0, max, two_rounds.then_some((first.as_str(), last.as_str())));
    let figures: Vec<String> = results
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            if two_rounds {
                format!("{}: {} → {} points", item.text, points(i, first), points(i, last))
            } else {
                format!("{}: {} points", item.text, points(i, first))
            }
        })
        .collect();
    let (alt, caption) = if two_rounds {
        (
            format!("Bar chart of the points per item, {first} against {last}. {}.", figures.join("; ")),
            format!("Points per item: {first} (light bars) and {last} (dark bars)"),
        )
    } else {
        (format!("Bar chart of the points per item. {}.", figures.join("; ")), "Points per item".to_owned())
    };
    blocks.push(Block::Figure(Figure { svg, width: chart::WIDTH, height, alt, caption }));
    blocks
}

/// The ranking's own sheet: per round, each item's n, mean rank, points and firsts.
pub fn write_sheet(
    ranking: &Ranking,
    sheet: &mut Worksheet,
    results: &RankingAggregate,
    styles: &Styles,
) -> Result<(), XlsxError> {
    let mut row = 2;
    for round in ranking.round_names() {
        sheet.write_string_with_format(row, 0, if round.is_empty() { "Item" } else { &round }, &styles.header)?;
        for (col, header) in ["n", "Mean rank", "Points", "Ranked first"].iter().enumerate() {
            sheet.write_string_with_format(row, col as u16 + 1, *header, &styles.header)?;
        }
        for item in &results.items {
            row += 1;
            sheet.write_string(row, 0, &item.text)?;
            let Some(stats) = item.rounds.get(&round) else { continue };
            sheet.write_number(row, 1, stats.n)?;
            write_optional(sheet, row, 2, stats.mean_rank, &styles.decimal)?;
            sheet.write_number(row, 3, stats.points as f64)?;
            sheet.write_number(row, 4, stats.first)?;
        }
        row += 2;
    }
    Ok(())
}
