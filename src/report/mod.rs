//! The findings report as a format-neutral document, and the formats that need one: DOCX
//! ([`docx`]) and tagged PDF ([`pdf`]).
//!
//! [`build::document`] turns an [`export::Report`](crate::export::Report) into a [`Document`]:
//! a title, a language and a list of [`Block`]s (headings, paragraphs of plain text runs,
//! lists, tables with a header row, figures with alternative text). Every number in it is
//! already formatted by the project's one rounding rule ([`crate::export::one_decimal`]), so
//! each format shows the same figures as the HTML report and the spreadsheet. Every piece of
//! text in it is plain text: participants' and organisers' words are data, never markup, and
//! each format writes them as text (XML-escaped in the DOCX, passed to typst as data in the
//! PDF).
//!
//! The PDF is made by the `typst` compiler, which is heavy to build: it stays behind
//! [`pdf`] and nothing else in Chorus names it.

pub mod build;
pub mod chart;
pub mod content;
pub mod docx;
pub mod pdf;
pub mod summary;

use serde::Serialize;

pub use build::{document, public_document};

/// The language every report is written in (BCP 47), set in each format's metadata.
pub const LANGUAGE: &str = "en-GB";

/// A report, ready to be written in any format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    pub title: String,
    /// BCP 47, e.g. "en-GB".
    pub language: String,
    /// When the report was made, RFC 3339 in UTC.
    pub created: String,
    pub blocks: Vec<Block>,
}

/// One block of a document, in reading order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// Level 1 is the document's title; sections are 2, their parts 3 and 4.
    Heading {
        level: u8,
        text: String,
    },
    Paragraph {
        runs: Vec<Run>,
    },
    /// A bulleted list; each item is a line of runs.
    List {
        items: Vec<Vec<Run>>,
    },
    Table(Table),
    Figure(Figure),
}

/// A stretch of plain text, bold or italic at most.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    pub text: String,
    pub bold: bool,
    pub italic: bool,
}

impl Run {
    pub fn plain(text: impl Into<String>) -> Self {
        Self { text: text.into(), bold: false, italic: false }
    }

    pub fn bold(text: impl Into<String>) -> Self {
        Self { text: text.into(), bold: true, italic: false }
    }

    pub fn italic(text: impl Into<String>) -> Self {
        Self { text: text.into(), bold: false, italic: true }
    }
}

/// A table: a caption, one header row, and rows of pre-formatted cells.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub caption: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Columns of figures (right-aligned); one flag per column.
    pub numeric: Vec<bool>,
}

/// A chart: an SVG picture, what it shows in words, and its caption.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// A standalone SVG (no CSS, no outside files; text in [`chart::FONT`]).
    pub svg: String,
    /// The SVG's size in its own units (px at 96 dpi).
    pub width: f64,
    pub height: f64,
    /// Alternative text: the figures the chart shows, for people who cannot see it.
    pub alt: String,
    pub caption: String,
}

impl Table {
    /// Whether a column holds figures (right-aligned, and not a row's heading).
    pub fn numeric_at(&self, column: impl std::borrow::Borrow<usize>) -> bool {
        self.numeric.get(*column.borrow()).copied().unwrap_or(false)
    }
}

impl Block {
    pub fn heading(level: u8, text: impl Into<String>) -> Self {
        Self::Heading { level, text: text.into() }
    }

    /// A heading with its text, or what it is when its title was left empty (an empty
    /// heading is nothing to a screen reader).
    pub fn named(level: u8, text: &str, otherwise: &str) -> Self {
        let text = if text.trim().is_empty() { otherwise } else { text };
        Self::Heading { level, text: text.to_owned() }
    }

    pub fn paragraph(text: impl Into<String>) -> Self {
        Self::Paragraph { runs: vec![Run::plain(text)] }
    }
}

impl Document {
    /// The headings, in order: (level, text).
    pub fn headings(&self) -> impl Iterator<Item = (u8, &str)> {
        self.blocks.iter().filter_map(|block| match block {
            Block::Heading { level, text } => Some((*level, text.as_str())),
            _ => None,
        })
    }

    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.blocks.iter().filter_map(|block| match block {
            Block::Table(table) => Some(table),
            _ => None,
        })
    }

    pub fn figures(&self) -> impl Iterator<Item = &Figure> {
        self.blocks.iter().filter_map(|block| match block {
            Block::Figure(figure) => Some(figure),
            _ => None,
        })
    }
}
