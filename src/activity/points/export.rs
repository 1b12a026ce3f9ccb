//! A points activity in the exports: a table per round (and, with two rounds or more,
//! first → last with the change), a bar chart of the totals, and its own sheet.

use rust_xlsxwriter::{Worksheet, XlsxError};

use super::{PointStats, Points, PointsAggregate};
use crate::activity::kind::Section;
use crate::figures::{mean, signed};
use crate::report::chart::{self, Bars};
use crate::report::{Block, Figure, Table};
use crate::sheet::{Styles, write_optional};

fn stats<'a>(results: &'a PointsAggregate, item: usize, round: &str) -> Option<&'a PointStats> {
    results.items.get(item)?.rounds.get(round)
}

pub fn report_blocks(config: &Points, section: &Section<'_, PointsAggregate>) -> Vec<Block> {
    let results = section.results;
    let names = config.round_names();
    let mut blocks = vec![Block::heading(3, config.title.clone())];
    blocks.push(Block::paragraph(format!(
        "Everyone had {} points to spread over {} items. Mean: points per person who answered.",
        config.budget,
        config.items.len()
    )));
    if results.items.iter().all(|item| item.rounds.values().all(|stats| stats.n == 0)) {
        blocks.push(Block::paragraph("No points given."));
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
                    stats.map_or(0, |s| s.total).to_string(),
                    mean(stats.and_then(|s| s.mean)),
                    stats.map_or(0, |s| s.n).to_string(),
                ]
            })
            .collect();
        let caption = if round.is_empty() { "Points per item".to_owned() } else { format!("Points per item, {round}") };
        blocks.push(Block::Table(Table {
            caption,
            header: ["Item", "Total", "Mean", "n"].map(String::from).to_vec(),
            rows,
            numeric: vec![false, true, true, true],
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
                let (ma, mb) = (a.and_then(|s| s.mean), b.and_then(|s| s.mean));
                vec![
                    item.text.clone(),
                    mean(ma),
                    mean(mb),
                    signed(ma.zip(mb).map(|(a, b)| b - a)),
                    a.map_or(0, |s| s.total).to_string(),
                    b.map_or(0, |s| s.total).to_string(),
                ]
            })
            .collect();
        blocks.push(Block::Table(Table {
            caption: format!("Mean points, {first} → {last}"),
            header: vec![
                "Item".to_owned(),
                format!("{first} mean"),
                format!("{last} mean"),
                "Change".to_owned(),
                format!("{first} total"),
                format!("{last} total"),
            ],
            rows,
            numeric: vec![false, true, true, true, true, true],
        }));
    }
    let total = |i: usize, round: &str| stats(results, i, round).map_or(0, |s| s.total);
    let top = (0..results.items.len()).flat_map(|i| [total(i, first), total(i, last)]).max().unwrap_or(0).max(1);
    let bars: Vec<Bars> = results
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| Bars {
            label: &item.text,
            first: Some(total(i, first) as f64),
            last: Some(total(i, last) as f64),
            first_label: total(i, first).to_string(),
            last_label: total(i, last).to_string(),
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
                format!("{}: {} → {} points", item.text, total(i, first), total(i, last))
            } else {
                format!("{}: {} points", item.text, total(i, first))
            }
        })
        .collect();
    let (alt, caption) = if two_rounds {
        (
            format!("Bar chart of the total points per item, {first} against {last}. {}.", figures.join("; ")),
            format!("Total points per item: {first} (light bars) and {last} (dark bars)"),
        )
    } else {
        (format!("Bar chart of the total points per item. {}.", figures.join("; ")), "Total points per item".to_owned())
    };
    blocks.push(Block::Figure(Figure { svg, width: chart::WIDTH, height, alt, caption }));
    blocks
}

/// The activity's own sheet: per round, each item's n, total and mean.
pub fn write_sheet(
    config: &Points,
    sheet: &mut Worksheet,
    results: &PointsAggregate,
    styles: &Styles,
) -> Result<(), XlsxError> {
    let mut row = 2;
    for round in config.round_names() {
        sheet.write_string_with_format(row, 0, if round.is_empty() { "Item" } else { &round }, &styles.header)?;
        for (col, header) in ["n", "Total", "Mean"].iter().enumerate() {
            sheet.write_string_with_format(row, col as u16 + 1, *header, &styles.header)?;
        }
        for item in &results.items {
            row += 1;
            sheet.write_string(row, 0, &item.text)?;
            let Some(stats) = item.rounds.get(&round) else { continue };
            sheet.write_number(row, 1, stats.n)?;
            sheet.write_number(row, 2, stats.total as f64)?;
            write_optional(sheet, row, 3, stats.mean, &styles.decimal)?;
        }
        row += 2;
    }
    Ok(())
}
