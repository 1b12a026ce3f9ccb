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

use std::collections::HashMap;

use indexmap::IndexMap;

use crate::activity::{Activity, Aggregate, Response};
use crate::error::{ErrorCode, Refusal};
pub use crate::figures::{one_decimal, round_one, signed_one_decimal};
use crate::journal::{JournalError, Reader, SessionRecord, now_ms};
use crate::protocol::ParticipantId;
use crate::report::content::ReportContent;
use crate::session::SessionState;
use crate::session::groups::{self, AboutYou, Attendance, Booked};

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
    /// The "About you" question, if the session asked one.
    pub about_you: Option<AboutYou>,
    /// What the organiser typed in as booked.
    pub booked: Option<Booked>,
    /// Joined and took part per group, and for those without a group.
    pub attendance: Option<(IndexMap<String, Attendance>, Attendance)>,
    /// Each participant's group now, by label: their answers count for it.
    pub group_of: HashMap<ParticipantId, String>,
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
    /// Its results per group (empty without an "About you" question), unsuppressed.
    pub groups: Vec<GroupPart>,
    /// How many answered each round at all.
    pub round_totals: Vec<u32>,
}

/// One group's results of an activity.
#[derive(Debug, Clone)]
pub struct GroupPart {
    pub label: String,
    pub results: Aggregate,
    /// How many of the group answered each round.
    pub answered: Vec<u32>,
}

/// An activity's results added up over every session of a report that has it.
#[derive(Debug, Clone)]
pub struct Combined {
    pub activity: Activity,
    pub results: Aggregate,
    /// Codes of the sessions that had the activity, in report order.
    pub sessions: Vec<String>,
    /// Its results per group, added up by label over the sessions, unsuppressed.
    pub groups: Vec<GroupPart>,
    pub round_totals: Vec<u32>,
}

impl Combined {
    /// Each group with its results, or `None` where the suppression rule hides them (K is
    /// the report's [`Report::min_group_size`]).
    pub fn shown_groups(&self, k: u32) -> Vec<(&GroupPart, Option<&Aggregate>)> {
        shown(k, &self.results, &self.round_totals, &self.groups)
    }
}

/// Groups with their figures, `None` where [`groups::suppressed_figures`] hides them (every
/// figure's n is checked, the paired change's too, against the total's).
pub fn shown<'a>(
    k: u32,
    total: &Aggregate,
    totals: &[u32],
    parts: &'a [GroupPart],
) -> Vec<(&'a GroupPart, Option<&'a Aggregate>)> {
    let hidden = groups::suppressed_figures(
        k,
        total,
        totals,
        parts.iter().map(|part| (&part.results, part.answered.as_slice())),
    );
    parts.iter().zip(hidden).map(|(part, hidden)| (part, (!hidden).then_some(&part.results))).collect()
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

    /// Whether any session asked "About you".
    pub fn has_groups(&self) -> bool {
        self.sessions.iter().any(|session| session.about_you.is_some())
    }

    /// K: the largest of the sessions' (a series asks the same question; if K changed, the
    /// strictest holds).
    pub fn min_group_size(&self) -> u32 {
        self.sessions
            .iter()
            .filter_map(|session| session.about_you.as_ref().map(|about| about.min_group_size))
            .max()
            .unwrap_or(groups::DEFAULT_MIN_GROUP_SIZE)
    }

    /// The group labels over every session, in the order they first appear.
    pub fn group_labels(&self) -> Vec<String> {
        let mut labels: Vec<String> = Vec::new();
        for about in self.sessions.iter().filter_map(|session| session.about_you.as_ref()) {
            for label in &about.groups {
                if !labels.contains(label) {
                    labels.push(label.clone());
                }
            }
        }
        labels
    }
}

pub fn session_part(record: &SessionRecord, state: &SessionState) -> SessionPart {
    let mut part = SessionPart {
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
            .map(|(activity, results, responses)| {
                let (groups, round_totals) = state.export_groups(&activity.id);
                let groups = groups
                    .into_iter()
                    .map(|(label, results, answered)| GroupPart { label, results, answered })
                    .collect();
                ActivityPart { activity, results, responses, groups, round_totals }
            })
            .collect(),
        about_you: state.about_you.clone(),
        booked: state.booked.clone(),
        attendance: state.attendance(),
        group_of: state.group_labels(),
        report: state.report.clone(),
        series_report: state.series_report.clone(),
    };
    // A row naming a small group would say who gave it: rows name a group only where the
    // session's attendance by group shows it (the rule on who took part).
    let k = part.about_you.as_ref().map_or(groups::DEFAULT_MIN_GROUP_SIZE, |about| about.min_group_size);
    let hidden: Vec<String> = attendance_by_group(&part, k)
        .into_iter()
        .filter(|(_, shown)| shown.is_none())
        .map(|(label, _)| label)
        .collect();
    part.group_of.retain(|_, label| !hidden.contains(label));
    part
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
            // Groups add up by label, as the series asks the same question.
            let mut labels: Vec<&str> = Vec::new();
            for group in parts.iter().flat_map(|(_, part)| &part.groups) {
                if !labels.contains(&group.label.as_str()) {
                    labels.push(&group.label);
                }
            }
            let groups = labels
                .into_iter()
                .map(|label| {
                    let members: Vec<&GroupPart> =
                        parts.iter().flat_map(|(_, part)| &part.groups).filter(|group| group.label == label).collect();
                    GroupPart {
                        label: label.to_owned(),
                        results: Aggregate::combine(&latest.spec, members.iter().map(|group| &group.results)),
                        answered: add_up(members.iter().map(|group| group.answered.as_slice())),
                    }
                })
                .collect();
            let round_totals = add_up(parts.iter().map(|(_, part)| part.round_totals.as_slice()));
            Some(Combined {
                activity: latest,
                results,
                sessions: parts.iter().map(|(session, _)| session.code.clone()).collect(),
                groups,
                round_totals,
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

/// Adds up counts per round over sessions (a later session may have more rounds).
fn add_up<'a>(parts: impl Iterator<Item = &'a [u32]>) -> Vec<u32> {
    let mut sum: Vec<u32> = Vec::new();
    for part in parts {
        if sum.len() < part.len() {
            sum.resize(part.len(), 0);
        }
        for (total, n) in sum.iter_mut().zip(part) {
            *total += n;
        }
    }
    sum
}

/// Booked (if typed in) and took part, for one group of one session.
pub type GroupAttendance = (Option<u32>, u32);

/// One session's attendance per group as exports show it: booked and took part per group,
/// or `None` where the suppression rule hides a group (fewer than K took part, or the others
/// would give it away).
pub fn attendance_by_group(session: &SessionPart, k: u32) -> Vec<(String, Option<GroupAttendance>)> {
    let Some((groups, _)) = &session.attendance else { return Vec::new() };
    let took_part: Vec<Vec<u32>> = groups.values().map(|a| vec![a.took_part]).collect();
    let hidden = groups::suppressed(k, &[session.participants], &took_part);
    let booked = |index: usize| session.booked.as_ref()?.groups.as_ref()?.get(index).copied().flatten();
    groups
        .iter()
        .zip(hidden)
        .enumerate()
        .map(|(index, ((label, a), hidden))| (label.clone(), (!hidden).then_some((booked(index), a.took_part))))
        .collect()
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
