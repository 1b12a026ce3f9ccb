//! The report as a tagged PDF (PDF/UA-1), laid out and written in-process by the `typst`
//! compiler: headings, lists, tables with header cells, figures with alternative text, the
//! document's title and language, fonts embedded (typst-assets' Libertinus Serif; nothing is
//! read from the system or fetched).
//!
//! The markup is one fixed template (`report.typ`); the document reaches it as data (JSON in
//! `sys.inputs`), so no participant's or organiser's text can ever be read as typst markup.
//! typst is the heaviest dependency Chorus has: it is named only in this module.

use std::sync::LazyLock;

use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Dict, Duration, Str, Value};
use typst::syntax::{FileId, Source};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards};

use super::Document;

/// The template every report is laid out by.
const TEMPLATE: &str = include_str!("report.typ");

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("laying out the report: {0}")]
    Typst(String),
    #[error("encoding the report for typst: {0}")]
    Json(#[from] serde_json::Error),
}

impl PdfError {
    fn from_diagnostics(diagnostics: &[SourceDiagnostic]) -> Self {
        Self::Typst(diagnostics.iter().map(|d| d.message.as_str()).collect::<Vec<_>>().join("; "))
    }
}

/// The fonts, read once: typst-assets' (Libertinus Serif, New Computer Modern, DejaVu Sans
/// Mono), about 3 MB, embedded in the binary.
struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static FONTS: LazyLock<Fonts> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts().flat_map(|data| Font::iter(Bytes::new(data))).collect();
    Fonts { book: LazyHash::new(FontBook::from_fonts(&fonts)), fonts }
});

/// The template, parsed once.
static SOURCE: LazyLock<Source> = LazyLock::new(|| Source::detached(TEMPLATE));

/// One compilation: the template, the document as inputs, the fonts; no files, no packages.
struct ReportWorld {
    library: LazyHash<Library>,
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.book
    }

    fn main(&self) -> FileId {
        SOURCE.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == SOURCE.id() { Ok(SOURCE.clone()) } else { Err(FileError::AccessDenied) }
    }

    fn file(&self, _id: FileId) -> FileResult<Bytes> {
        // Charts come inline as data; the template reads no file.
        Err(FileError::AccessDenied)
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

/// The document as a PDF/UA-1 file.
pub fn render(document: &Document) -> Result<Vec<u8>, PdfError> {
    let (lang, region) = document.language.split_once('-').unwrap_or((document.language.as_str(), ""));
    let mut inputs = Dict::new();
    inputs.insert(Str::from("document"), Value::Str(serde_json::to_string(document)?.into()));
    inputs.insert(Str::from("lang"), Value::Str(lang.to_ascii_lowercase().into()));
    inputs.insert(Str::from("region"), Value::Str(region.to_ascii_uppercase().into()));
    let world = ReportWorld { library: LazyHash::new(Library::builder().with_inputs(inputs).build()) };
    let compiled = typst::compile::<PagedDocument>(&world);
    let laid_out = compiled.output.map_err(|errors| PdfError::from_diagnostics(&errors[..]));
    // typst memoises layout across compilations; keep its cache from growing with every
    // report a long-running server makes (the typst CLI evicts the same way).
    let pdf = laid_out.and_then(|paged| {
        let standards =
            PdfStandards::new(&[PdfStandard::Ua_1]).map_err(|err| PdfError::Typst(err.message().to_string()))?;
        let options = PdfOptions { standards, ..PdfOptions::default() };
        typst_pdf::pdf(&paged, &options).map_err(|errors| PdfError::from_diagnostics(&errors[..]))
    });
    typst::comemo::evict(10);
    pdf
}
