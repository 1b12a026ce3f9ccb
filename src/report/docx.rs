//! The report as a Word document (DOCX), written by `docx-rs`: headings in Word's own heading
//! styles (so the navigation pane and screen readers list them), tables whose header row
//! repeats on every page, charts as PNG pictures (the chart's SVG drawn by resvg) with
//! alternative text, and the title and language in the document's properties.
//!
//! docx-rs 0.4.22 writes text escaped, but has no setter for three things a screen reader
//! needs: a picture's alternative text (`wp:docPr/@descr`), a repeated header row
//! (`w:tblHeader`) and the document's title and language (`dc:title`, `dc:language`,
//! `w:lang`). [`finish`] adds them to the XML docx-rs builds, with quick-xml (which
//! escapes the values), before the parts are zipped.

use std::io::Cursor;

use docx_rs::{
    AbstractNumbering, AlignmentType, Docx, IndentLevel, Level, LevelJc, LevelText, LineSpacing, NumberFormat,
    NumberingId, PageMargin, Paragraph, Pic, RunFonts, SpecialIndentType, Start, Style, StyleType, TableCell, TableRow,
    WidthType, XMLDocx,
};
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};

use super::chart::{self, PngError};
use super::{Block, Document, Figure, Run, Table};

/// A4 in twentieths of a point, with 2.5 cm margins: the text is 9,026 wide.
const PAGE: (u32, u32) = (11_906, 16_838);
const MARGIN: i32 = 1_418;
const TEXT_WIDTH: u32 = PAGE.0 - 2 * MARGIN as u32;
/// English Metric Units per twentieth of a point.
const EMU_PER_TWIP: u64 = 635;
/// The bulleted list's numbering (docx-rs already defines a numbered list as 1).
const BULLETS: usize = 2;
/// Pixels per SVG unit in a chart's picture: sharp when printed at the text's width.
const PNG_SCALE: f32 = 2.0;

#[derive(Debug, thiserror::Error)]
pub enum DocxError {
    #[error("drawing a chart: {0}")]
    Chart(#[from] PngError),
    #[error("writing the document's XML: {0}")]
    Xml(#[from] quick_xml::Error),
    #[error("writing the document's XML: {0}")]
    Io(#[from] std::io::Error),
    #[error("zipping the document: {0}")]
    Zip(#[from] zip::result::ZipError),
}

/// The document as a DOCX file.
pub fn render(document: &Document) -> Result<Vec<u8>, DocxError> {
    let mut docx = Docx::new()
        .created_at(&document.created)
        .updated_at(&document.created)
        .page_size(PAGE.0, PAGE.1)
        .page_margin(PageMargin {
            top: MARGIN,
            left: MARGIN,
            bottom: MARGIN,
            right: MARGIN,
            header: 709,
            footer: 709,
            gutter: 0,
        })
        .default_fonts(RunFonts::new().ascii("Arial").hi_ansi("Arial").cs("Arial"))
        .default_size(22)
        .default_line_spacing(LineSpacing::new().after(120))
        .add_abstract_numbering(
            AbstractNumbering::new(BULLETS).add_level(
                Level::new(0, Start::new(1), NumberFormat::new("bullet"), LevelText::new("•"), LevelJc::new("left"))
                    .indent(Some(720), Some(SpecialIndentType::Hanging(360)), None, None),
            ),
        )
        .add_numbering(docx_rs::Numbering::new(BULLETS, BULLETS));
    for style in styles() {
        docx = docx.add_style(style);
    }
    let mut alts = Vec::new();
    for block in &document.blocks {
        match block {
            Block::Heading { level, text } => {
                let level = (*level).clamp(1, 4);
                docx = docx.add_paragraph(
                    Paragraph::new().style(&format!("Heading{level}")).add_run(docx_rs::Run::new().add_text(text)),
                );
            }
            Block::Paragraph { runs } => docx = docx.add_paragraph(paragraph(runs)),
            Block::List { items } => {
                for item in items {
                    docx =
                        docx.add_paragraph(paragraph(item).numbering(NumberingId::new(BULLETS), IndentLevel::new(0)));
                }
            }
            Block::Table(table) => {
                docx = docx.add_paragraph(
                    Paragraph::new()
                        .style("Caption")
                        .keep_next(true)
                        .add_run(docx_rs::Run::new().add_text(&table.caption)),
                );
                docx = docx.add_table(self::table(table));
            }
            Block::Figure(figure) => {
                docx = docx.add_paragraph(picture(figure)?.keep_next(true));
                docx = docx.add_paragraph(
                    Paragraph::new().style("Caption").add_run(docx_rs::Run::new().add_text(&figure.caption)),
                );
                alts.push(figure.alt.as_str());
            }
        }
    }
    let built = docx.build();
    let mut out = Cursor::new(Vec::new());
    finish(built, document, &alts)?.pack(&mut out)?;
    Ok(out.into_inner())
}

/// Word's built-in heading and caption styles (Word and LibreOffice know them by these names).
fn styles() -> Vec<Style> {
    let heading = |level: usize, size: usize| {
        Style::new(format!("Heading{level}"), StyleType::Paragraph)
            .name(format!("heading {level}"))
            .based_on("Normal")
            .next("Normal")
            .q_format(true)
            .outline_lvl(level - 1)
            .line_spacing(LineSpacing::new().before(if level <= 2 { 360 } else { 240 }).after(120))
            .size(size)
            .bold()
            .color("1A1A1A")
    };
    vec![
        heading(1, 40),
        heading(2, 32),
        heading(3, 26),
        heading(4, 22),
        Style::new("Caption", StyleType::Paragraph)
            .name("caption")
            .based_on("Normal")
            .q_format(true)
            .line_spacing(LineSpacing::new().before(120).after(60))
            .bold()
            .size(20),
    ]
}

fn run(run: &Run) -> docx_rs::Run {
    let mut out = docx_rs::Run::new().add_text(&run.text);
    if run.bold {
        out = out.bold();
    }
    if run.italic {
        out = out.italic();
    }
    out
}

fn paragraph(runs: &[Run]) -> Paragraph {
    runs.iter().fold(Paragraph::new(), |p, r| p.add_run(run(r)))
}

/// Column widths over the text's width, in proportion to what each column holds: its longest
/// cell (up to 30 characters; longer text wraps) or its header's longest word, so that no
/// word of a header is split.
fn widths(table: &Table) -> Vec<usize> {
    let chars = |text: &str| text.chars().count() as u32;
    let needs: Vec<u32> = table
        .header
        .iter()
        .enumerate()
        .map(|(c, header)| {
            let longest_cell = table.rows.iter().filter_map(|row| row.get(c)).map(|cell| chars(cell)).max();
            let longest_word = header.split_whitespace().map(chars).max().unwrap_or(0);
            // Headers are bold (a third wider); three characters more for the cell's margins.
            longest_cell.unwrap_or(0).min(30).max(longest_word * 4 / 3 + 2).max(4) + 3
        })
        .collect();
    let total: u32 = needs.iter().sum::<u32>().max(1);
    needs.iter().map(|need| (TEXT_WIDTH * need / total) as usize).collect()
}

fn table(table: &Table) -> docx_rs::Table {
    let widths = widths(table);
    let cell = |text: &str, column: usize, header: bool| {
        let mut p = Paragraph::new();
        if table.numeric.get(column).copied().unwrap_or(false) {
            p = p.align(AlignmentType::Right);
        }
        let mut r = docx_rs::Run::new().add_text(text);
        if header {
            r = r.bold();
        }
        TableCell::new().width(widths.get(column).copied().unwrap_or(0), WidthType::Dxa).add_paragraph(p.add_run(r))
    };
    let mut rows = vec![
        TableRow::new(table.header.iter().enumerate().map(|(c, text)| cell(text, c, true)).collect()).cant_split(),
    ];
    rows.extend(
        table.rows.iter().map(|row| {
            TableRow::new(row.iter().enumerate().map(|(c, text)| cell(text, c, false)).collect()).cant_split()
        }),
    );
    docx_rs::Table::new(rows).set_grid(widths.clone()).width(TEXT_WIDTH as usize, WidthType::Dxa)
}

/// A chart as a picture the width of the text.
fn picture(figure: &Figure) -> Result<Paragraph, PngError> {
    let (png, width, height) = chart::png(&figure.svg, PNG_SCALE)?;
    let emu_width = u64::from(TEXT_WIDTH) * EMU_PER_TWIP;
    let emu_height = emu_width * u64::from(height) / u64::from(width.max(1));
    let pic = Pic::new_with_dimensions(png, width, height)
        .size(u32::try_from(emu_width).unwrap_or(u32::MAX), u32::try_from(emu_height).unwrap_or(u32::MAX));
    Ok(Paragraph::new().add_run(docx_rs::Run::new().add_image(pic)))
}

/// Adds what docx-rs has no setter for: alternative text on each picture (in order), the
/// header row repeated on each page, the language of the text, the title and language in
/// the document's properties.
fn finish(mut built: XMLDocx, document: &Document, alts: &[&str]) -> Result<XMLDocx, DocxError> {
    built.document = document_xml(&built.document, alts)?;
    built.styles = styles_xml(&built.styles, &document.language)?;
    built.doc_props.core = core_xml(&built.doc_props.core, document)?;
    Ok(built)
}

/// Runs every event of an XML part through `edit`, which writes it (changed or not).
fn rewrite(
    xml: &[u8],
    mut edit: impl FnMut(Event<'_>, &mut Writer<Vec<u8>>) -> Result<(), DocxError>,
) -> Result<Vec<u8>, DocxError> {
    let mut reader = Reader::from_reader(xml);
    let mut writer = Writer::new(Vec::with_capacity(xml.len() + 1024));
    loop {
        match reader.read_event()? {
            Event::Eof => break,
            event => edit(event, &mut writer)?,
        }
    }
    Ok(writer.into_inner())
}

/// Pictures get their alternative text and ids of their own (docx-rs numbers every picture
/// 1); the first row of each table is its header, repeated on each page. docx-rs writes a
/// `w:trPr` for every row (`cant_split` makes sure of it), so the mark goes in there.
fn document_xml(xml: &[u8], alts: &[&str]) -> Result<Vec<u8>, DocxError> {
    let mut pictures = 0usize;
    let mut first_row = false;
    rewrite(xml, |event, writer| {
        match event {
            Event::Empty(e) if e.name().as_ref() == b"wp:docPr" => {
                pictures += 1;
                let mut picture = BytesStart::new("wp:docPr");
                let id = pictures.to_string();
                let name = format!("Chart {pictures}");
                picture.push_attribute(("id", id.as_str()));
                picture.push_attribute(("name", name.as_str()));
                picture.push_attribute(("descr", alts.get(pictures - 1).copied().unwrap_or_default()));
                writer.write_event(Event::Empty(picture))?;
            }
            Event::Start(e) if e.name().as_ref() == b"w:tbl" => {
                first_row = true;
                writer.write_event(Event::Start(e))?;
            }
            Event::Start(e) if e.name().as_ref() == b"w:trPr" && first_row => {
                first_row = false;
                writer.write_event(Event::Start(e))?;
                writer.write_event(Event::Empty(BytesStart::new("w:tblHeader")))?;
            }
            Event::Empty(e) if e.name().as_ref() == b"w:trPr" && first_row => {
                first_row = false;
                writer.write_event(Event::Start(e.borrow()))?;
                writer.write_event(Event::Empty(BytesStart::new("w:tblHeader")))?;
                writer.write_event(Event::End(BytesEnd::new("w:trPr")))?;
            }
            other => writer.write_event(other)?,
        }
        Ok(())
    })
}

/// The text's language, in the default run properties.
fn styles_xml(xml: &[u8], language: &str) -> Result<Vec<u8>, DocxError> {
    let mut in_defaults = false;
    let lang = || {
        let mut lang = BytesStart::new("w:lang");
        lang.push_attribute(("w:val", language));
        Event::Empty(lang)
    };
    rewrite(xml, |event, writer| {
        match event {
            Event::Start(e) if e.name().as_ref() == b"w:rPrDefault" => {
                in_defaults = true;
                writer.write_event(Event::Start(e))?;
            }
            Event::End(e) if e.name().as_ref() == b"w:rPrDefault" => {
                in_defaults = false;
                writer.write_event(Event::End(e))?;
            }
            Event::End(e) if in_defaults && e.name().as_ref() == b"w:rPr" => {
                writer.write_event(lang())?;
                writer.write_event(Event::End(e))?;
            }
            Event::Empty(e) if in_defaults && e.name().as_ref() == b"w:rPr" => {
                writer.write_event(Event::Start(e.borrow()))?;
                writer.write_event(lang())?;
                writer.write_event(Event::End(BytesEnd::new("w:rPr")))?;
            }
            other => writer.write_event(other)?,
        }
        Ok(())
    })
}

/// The title and language in the document's core properties (File › Info in Word), and
/// Chorus as their author (docx-rs says "unknown").
fn core_xml(xml: &[u8], document: &Document) -> Result<Vec<u8>, DocxError> {
    let mut author = false;
    rewrite(xml, |event, writer| {
        match event {
            Event::Start(e) if matches!(e.name().as_ref(), b"dc:creator" | b"cp:lastModifiedBy") => {
                author = true;
                writer.write_event(Event::Start(e))?;
                writer.write_event(Event::Text(BytesText::new("Chorus")))?;
            }
            Event::End(e) if author => {
                author = false;
                writer.write_event(Event::End(e))?;
            }
            Event::Text(_) if author => {}
            Event::End(e) if e.name().as_ref() == b"cp:coreProperties" => {
                for (name, value) in
                    [("dc:title", document.title.as_str()), ("dc:language", document.language.as_str())]
                {
                    writer.write_event(Event::Start(BytesStart::new(name)))?;
                    writer.write_event(Event::Text(BytesText::new(value)))?;
                    writer.write_event(Event::End(BytesEnd::new(name)))?;
                }
                writer.write_event(Event::End(e))?;
            }
            other => writer.write_event(other)?,
        }
        Ok(())
    })
}
