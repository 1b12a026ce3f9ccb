//! The printable report: one self-contained HTML file (no scripts, no outside files) with
//! inline SVG charts. It is written from the same document as the DOCX and the PDF
//! ([`crate::report::document`]: every kind writes its own part), rendered by askama, which
//! escapes every value, so participants' words are always shown as text, never read as
//! markup. The charts are the document's SVG, whose text the chart code escapes.

use askama::Template;

use super::{ExportError, Report};
use crate::report::{self, Block};

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage<'a> {
    title: &'a str,
    language: &'a str,
    blocks: &'a [Block],
}

pub fn render(report: &Report) -> Result<Vec<u8>, ExportError> {
    let document = report::document(report);
    let page = ReportPage { title: &document.title, language: &document.language, blocks: &document.blocks };
    Ok(page.render()?.into_bytes())
}
