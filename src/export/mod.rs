//! Exports: what the organiser takes away when a session closes.
//!
//! A [`Report`] is read from the journal (never from a live task), so the same code serves
//! the HTTP routes, the files written at close and `chorus export` with the server stopped.
//! A session's report has one part; a series report has one part per session and results
//! added up over all of them. Each format lives in its own module and renders a `Report`:
//! [`json`], [`csv`] (tidy, one row per response), [`xlsx`] (a summary with the before/after
//! table and a native chart, then a sheet per activity) and [`html`] (a printable,
//! self-contained report with inline SVG charts).
//!
//! Each activity kind adds its own part: its rows come from `ActivityState::responses`, its
//! results from its aggregate, and [`combine`] adds up a kind's results over sessions.

pub mod csv;
pub mod html;
pub mod json;
pub mod xlsx;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::activity::{Activity, Aggregate, Response};
use crate::error::{ErrorCode, Refusal};
pub use crate::figures::{one_decimal, round_one, signed_one_decimal};
use crate::journal::{JournalError, Reader, SessionRecord, now_ms};
use crate::report::content::ReportContent;
use crate::session::SessionState;

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Xlsx,
    Html,
    /// The findings report for Word and LibreOffice ([`crate::report::docx`]).
    Docx,
    /// The findings report as tagged PDF/UA-1 ([`crate::report::pdf`]).
    Pdf,
}

impl Format {
    /// Every format, each written when a session closes. DOCX and PDF are among them: a
    /// series report of 4 sessions × 100 participants takes about a second in each even in a
    /// debug build (docs/performance.md, "Reports: DOCX and PDF").
    pub const ALL: [Format; 6] = [Format::Json, Format::Csv, Format::Xlsx, Format::Html, Format::Docx, Format::Pdf];

    pub fn extension(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::Html => "html",
            Self::Docx => "docx",
            Self::Pdf => "pdf",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Html => "text/html; charset=utf-8",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Pdf => "application/pdf",
        }
    }
}

impl FromStr for Format {
    type Err = Refusal;

    fn from_str(name: &str) -> Result<Self, Refusal> {
        match name {
            "json" => Ok(Self::Json),
            "csv" => Ok(Self::Csv),
            "xlsx" => Ok(Self::Xlsx),
            "html" => Ok(Self::Html),
            "docx" => Ok(Self::Docx),
            "pdf" => Ok(Self::Pdf),
            _ => Err(Refusal::new(ErrorCode::NotFound, "Exports come as json, csv, xlsx, html, docx or pdf.")),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("no session with the code {0}")]
    NotFound(String),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("writing the spreadsheet: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("writing the report: {0}")]
    Html(#[from] askama::Error),
    #[error("writing the CSV: {0}")]
    Csv(#[from] ::csv::Error),
    #[error("writing the export files: {0}")]
    Io(#[from] std::io::Error),
    #[error("writing JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("writing the DOCX report: {0}")]
    Docx(#[from] crate::report::docx::DocxError),
    #[error("writing the PDF report: {0}")]
    Pdf(#[from] crate::report::pdf::PdfError),
}

impl From<ExportError> for Refusal {
    fn from(err: ExportError) -> Self {
        match err {
            ExportError::NotFound(_) => Refusal::not_found(),
            other => {
                tracing::warn!(err = %other, "export failed");
                Refusal::new(ErrorCode::Internal, "The export could not be made. Please try again.")
            }
        }
    }
}

/// One session in a report.
#[derive(Debug, Clone)]
pub struct SessionPart {
    pub code: String,
    pub title: String,
    pub series: String,
    pub created_at: i64,
    pub closed_at: Option<i64>,
    /// Took part: answered at least once.
    pub participants: u32,
    /// Opened the join link (a tab opened and never used counts here, not above).
    pub opened: u32,
    pub activities: Vec<ActivityPart>,
    /// What the organiser wrote for this session's report, and (in a series' first
    /// session) for the series report.
    pub report: Option<ReportContent>,
    pub series_report: Option<ReportContent>,
}

/// One activity of one session: its configuration, results and responses.
#[derive(Debug, Clone)]
pub struct ActivityPart {
    pub activity: Activity,
    pub results: Aggregate,
    pub responses: Vec<Response>,
}

/// An activity's results added up over every session of a report that has it.
#[derive(Debug, Clone)]
pub struct Combined {
    pub activity: Activity,
    pub results: Aggregate,
    /// Codes of the sessions that had the activity, in report order.
    pub sessions: Vec<String>,
}

/// Everything an export shows.
#[derive(Debug, Clone)]
pub struct Report {
    /// For a series report, the series; `None` for one session.
    pub series: Option<String>,
    pub title: String,
    /// Oldest first.
    pub sessions: Vec<SessionPart>,
    /// Added up over the sessions (for one session, its own results).
    pub activities: Vec<Combined>,
    /// What the organiser wrote and picked (every generated section in it).
    pub content: ReportContent,
    pub generated_at: i64,
}

impl Report {
    /// Participants (who answered at least once) over every session.
    pub fn participants(&self) -> u32 {
        self.sessions.iter().map(|session| session.participants).sum()
    }

    /// Join links opened over every session.
    pub fn opened(&self) -> u32 {
        self.sessions.iter().map(|session| session.opened).sum()
    }

    /// Responses over every session.
    pub fn responses(&self) -> usize {
        self.sessions.iter().flat_map(|s| &s.activities).map(|a| a.responses.len()).sum()
    }
}

pub fn session_part(record: &SessionRecord, state: &SessionState) -> SessionPart {
    SessionPart {
        code: record.code.clone(),
        title: record.title.clone(),
        series: record.series.clone(),
        created_at: record.created_at,
        closed_at: state.closed_at,
        participants: state.took_part(),
        opened: state.joined(),
        activities: state
            .export_parts()
            .into_iter()
            .map(|(activity, results, responses)| ActivityPart { activity, results, responses })
            .collect(),
        report: state.report.clone(),
        series_report: state.series_report.clone(),
    }
}

async fn load(journal: &Reader, record: &SessionRecord) -> Result<SessionPart, ExportError> {
    let events = journal.events(&record.code).await?;
    let state = SessionState::replay(record, events.into_iter().map(|stored| (stored.at, stored.event)));
    Ok(session_part(record, &state))
}

/// The report of one session, read from the journal.
pub async fn session_report(journal: &Reader, code: &str) -> Result<Report, ExportError> {
    let record = journal.session(code).await?.ok_or_else(|| ExportError::NotFound(code.to_owned()))?;
    let part = load(journal, &record).await?;
    Ok(build(None, record.title.clone(), vec![part]))
}

/// The report of every session in a session's series, added up.
pub async fn series_report(journal: &Reader, code: &str) -> Result<Report, ExportError> {
    let record = journal.session(code).await?.ok_or_else(|| ExportError::NotFound(code.to_owned()))?;
    let mut parts = Vec::new();
    for member in journal.series(&record.series).await? {
        parts.push(load(journal, &member).await?);
    }
    let title = parts.first().map(|part| part.title.clone()).unwrap_or_default();
    Ok(build(Some(record.series), title, parts))
}

/// Puts sessions together: activities are matched by id (a copied agenda keeps its ids), in
/// the order they first appear.
pub fn build(series: Option<String>, title: String, sessions: Vec<SessionPart>) -> Report {
    let mut order: Vec<&Activity> = Vec::new();
    for part in sessions.iter().flat_map(|session| &session.activities) {
        if !order.iter().any(|known| known.id == part.activity.id) {
            order.push(&part.activity);
        }
    }
    let activities = order
        .into_iter()
        .filter_map(|activity| {
            // The newest session's wording of the activity is the one shown.
            let parts: Vec<(&SessionPart, &ActivityPart)> = sessions
                .iter()
                .filter_map(|session| {
                    session.activities.iter().find(|part| part.activity.id == activity.id).map(|part| (session, part))
                })
                .collect();
            let latest = parts.last()?.1.activity.clone();
            let results = Aggregate::combine(&latest.spec, parts.iter().map(|(_, part)| &part.results));
            Some(Combined {
                activity: latest,
                results,
                sessions: parts.iter().map(|(session, _)| session.code.clone()).collect(),
            })
        })
        .collect();
    // A series report's content is kept with the series' first session.
    let content = match &series {
        None => sessions.first().and_then(|session| session.report.as_ref()),
        Some(_) => sessions.first().and_then(|session| session.series_report.as_ref()),
    };
    let content = ReportContent::or_default(content);
    Report { series, title, sessions, activities, content, generated_at: now_ms() }
}

/// Renders a report in a format.
pub fn render(report: &Report, format: Format) -> Result<Vec<u8>, ExportError> {
    match format {
        Format::Json => json::render(report),
        Format::Csv => csv::render(report),
        Format::Xlsx => xlsx::render(report),
        Format::Html => html::render(report),
        Format::Docx => Ok(crate::report::docx::render(&crate::report::document(report))?),
        Format::Pdf => Ok(crate::report::pdf::render(&crate::report::document(report))?),
    }
}

/// The file name an export is offered under.
pub fn file_name(report: &Report, format: Format) -> String {
    let stem = match (&report.series, report.sessions.first()) {
        (Some(series), _) => format!("chorus-series-{series}"),
        (None, Some(session)) => format!("chorus-{}", session.code),
        (None, None) => "chorus".to_owned(),
    };
    format!("{stem}.{}", format.extension())
}

/// Where a closed session's exports are written.
pub fn export_dir(data_dir: &Path, code: &str) -> PathBuf {
    data_dir.join("exports").join(code)
}

/// Writes every format of a session's report to `<data-dir>/exports/<code>/`.
pub async fn write_all(
    journal: &Reader,
    data_dir: &Path,
    code: &str,
    stop: &crate::disk::Stop,
) -> Result<PathBuf, ExportError> {
    let report = session_report(journal, code).await?;
    let dir = export_dir(data_dir, code);
    // Laying out the PDF takes a while (docs/performance.md): off the async workers.
    let files: Vec<(PathBuf, Vec<u8>)> = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || {
            Format::ALL
                .into_iter()
                .map(|format| Ok((dir.join(file_name(&report, format)), render(&report, format)?)))
                .collect::<Result<_, ExportError>>()
        })
        .await
        .map_err(std::io::Error::other)??
    };
    // Each file whole or not at all, retried while the disk is full (see `crate::disk`).
    crate::disk::write_all_retrying(dir.clone(), files, stop).await?;
    Ok(dir)
}

/// A time for people: "22 November 2026, 14:05 UTC".
pub fn human_time(ms: i64) -> String {
    let format = time::macros::format_description!("[day padding:none] [month repr:long] [year], [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|at| at.format(&format).ok())
        .unwrap_or_default()
}

/// A time for programs: RFC 3339 in UTC, to the millisecond.
pub fn rfc3339(ms: i64) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|at| at.format(&format).ok())
        .unwrap_or_default()
}

/// The pseudonym a participant is shown under in exports: "P7".
pub fn pseudonym(participant: u32) -> String {
    format!("P{participant}")
}

/// The kind of an activity, as exports name it.
pub fn kind(activity: &Activity) -> &'static str {
    activity.spec.kind()
}

pub use crate::activity::scale::BeforeAfter;
