//! The findings report's content (what the organiser writes and picks) and "what we
//! heard", the summary published for the people who took part (issue 15).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use qrcode::QrCode;
use qrcode::render::svg;

use super::sessions::{as_host, info};
use crate::error::{ErrorCode, Refusal};
use crate::export::{self, Report};
use crate::hub::{Command, Control};
use crate::journal::SessionRecord;
use crate::protocol::{PublishSummary, PublishedSummary, ReportView, SessionState as Lifecycle};
use crate::report::content::ReportContent;
use crate::report::summary::{self, Lookup};
use crate::report::{build, public_document};
use crate::server::AppState;
use crate::session::SessionState;

/// Largest report body: every section and theme at its limit in plain text is about 1 MB;
/// room for text that is not ASCII.
pub const MAX_REPORT_BODY: usize = 4 * 1024 * 1024;

/// The report of a session or of its series, read from the journal.
async fn read(app: &AppState, code: &str, series: bool) -> Result<Report, Refusal> {
    let reader = app.hub.journal().reader();
    Ok(if series { export::series_report(reader, code).await? } else { export::session_report(reader, code).await? })
}

fn view(report: &Report) -> ReportView {
    let running = report.sessions.iter().any(|session| session.closed_at.is_none());
    ReportView {
        content: report.content.clone(),
        candidates: build::candidates(report),
        state: if running { Lifecycle::Live } else { Lifecycle::Closed },
    }
}

/// `GET /api/sessions/{code}/report`
pub async fn show(
    app: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, Refusal> {
    let handle = as_host(&app, &req, &code).await?;
    Ok(HttpResponse::Ok().json(view(&read(&app, &handle.code, false).await?)))
}

/// `GET /api/sessions/{code}/series/report`
pub async fn show_series(
    app: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, Refusal> {
    let handle = as_host(&app, &req, &code).await?;
    Ok(HttpResponse::Ok().json(view(&read(&app, &handle.code, true).await?)))
}

/// `PUT /api/sessions/{code}/report`
pub async fn save(
    app: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, Refusal> {
    store(&app, &req, &code, body.into_inner(), false).await
}

/// `PUT /api/sessions/{code}/series/report`
pub async fn save_series(
    app: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, Refusal> {
    store(&app, &req, &code, body.into_inner(), true).await
}

/// Checks a content against the limits and the data, and journals it in the session (or
/// the series' first session) it belongs to.
async fn store(
    app: &AppState,
    req: &HttpRequest,
    code: &str,
    body: serde_json::Value,
    series: bool,
) -> Result<HttpResponse, Refusal> {
    let handle = as_host(app, req, code).await?;
    let content: ReportContent = serde_json::from_value(body)
        .map_err(|err| Refusal::new(ErrorCode::InvalidReport, format!("The report could not be read: {err}")))?;
    let content = content.check()?;
    let mut report = read(app, &handle.code, series).await?;
    let candidates = build::candidates(&report);
    content.check_quotes(&candidates)?;
    let owner = if series {
        let first = report.sessions.first().map(|session| session.code.clone()).ok_or_else(Refusal::not_found)?;
        app.hub.get(&first).await?
    } else {
        handle
    };
    // Each save stores the whole content: it counts against the session's cap on stored
    // changes as participants' messages do, so saving in a loop cannot fill the disk.
    let size = serde_json::to_vec(&content).map_or(0, |bytes| bytes.len());
    owner.spend_write(None, size)?;
    let control = Control::Report { content: Box::new(content.clone()), series };
    owner.request(|reply| Command::Control { control, reply }).await??;
    report.content = content;
    Ok(HttpResponse::Ok().json(ReportView { candidates, ..view(&report) }))
}

/// `POST /api/sessions/{code}/summary`: publishes "what we heard" (again, at the same
/// address while it is published).
pub async fn publish(
    app: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, Refusal> {
    let handle = as_host(&app, &req, &code).await?;
    let body: PublishSummary = serde_json::from_value(body.into_inner())
        .map_err(|err| Refusal::new(ErrorCode::InvalidReport, format!("The request could not be read: {err}")))?;
    let control = Control::Publish { sections: body.sections, new_id: summary::new_id(&handle.code) };
    handle.request(|reply| Command::Control { control, reply }).await??;
    let url =
        info(&app, &req, &handle).await?.summary.map(|summary| summary.url).ok_or_else(|| {
            Refusal::new(ErrorCode::Internal, "The summary could not be published. Please try again.")
        })?;
    Ok(HttpResponse::Created().json(PublishedSummary { url }))
}

/// `DELETE /api/sessions/{code}/summary`: its address answers 410 from now on.
pub async fn revoke(
    app: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, Refusal> {
    let handle = as_host(&app, &req, &code).await?;
    handle.request(|reply| Command::Control { control: Control::Revoke, reply }).await??;
    Ok(HttpResponse::NoContent().finish())
}

/// What an address of "what we heard" comes to: its session's record and state, and
/// whether it is shown; or the page to answer instead.
async fn find_summary(
    app: &AppState,
    req: &HttpRequest,
    id: &str,
) -> Result<(SessionRecord, SessionState, Vec<String>), HttpResponse> {
    let not_found = || {
        plain(
            StatusCode::NOT_FOUND,
            "There is nothing at this address",
            "Check the address you were given. If you scanned a code, try scanning it again.",
        )
    };
    let peer = app.client(req);
    // Anyone may open it. A wrong address counts as a guess against the caller's address, as
    // a wrong key does, and past its budget for guesses the caller hears "too many tries"
    // instead of "nothing here". A right address is never counted nor refused: a room of
    // people behind one network address all open it (its 128-bit secret is no more guessable
    // for it), often after the session closed, when `Hub::join_guarded` would count each
    // visit as a miss.
    let miss = || {
        let guarded = peer.is_some_and(|address| app.hub.budgets().failed_joins.guard(address, || false));
        if guarded {
            plain(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many tries",
                "Too many addresses were tried from your network. Please wait a few minutes and try again.",
            )
        } else {
            not_found()
        }
    };
    let Some(code) = summary::code_of(id) else { return Err(miss()) };
    let reader = app.hub.journal().reader();
    let unavailable = |_| {
        plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "Please try again",
            "This page cannot be shown right now. Please try again in a minute.",
        )
    };
    let record = match reader.session(code).await.map_err(unavailable)? {
        Some(record) => record,
        None => return Err(miss()),
    };
    let events = reader.events(code).await.map_err(unavailable)?;
    let state = SessionState::replay(&record, events.into_iter().map(|stored| (stored.at, stored.event)));
    match summary::lookup(&state, id) {
        Lookup::Shown(sections) => Ok((record, state, sections)),
        Lookup::Revoked => Err(plain(
            StatusCode::GONE,
            "This page has been taken down",
            "The organiser has taken this summary down, so there is nothing to show here any more.",
        )),
        Lookup::Unknown => Err(miss()),
    }
}

/// `GET /r/{id}`: "what we heard", for anyone with the address.
pub async fn page(app: web::Data<AppState>, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (record, state, sections) = match find_summary(&app, &req, &id).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let part = export::session_part(&record, &state);
    let report = export::build(None, record.title.clone(), vec![part]);
    let rendered = web::block(move || summary::page(&public_document(&report, &sections))).await;
    match rendered {
        Ok(Ok(html)) => private(HttpResponse::Ok()).content_type("text/html; charset=utf-8").body(html),
        _ => plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Please try again",
            "This page could not be made. Please try again.",
        ),
    }
}

/// `GET /r/{id}/qr.svg`: the page's address as a QR code.
pub async fn qr(app: web::Data<AppState>, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    if let Err(page) = find_summary(&app, &req, &id).await {
        return page;
    }
    let url = format!("{}/r/{}", app.base_url(&req), id);
    let Ok(code) = QrCode::new(url.as_bytes()) else {
        return plain(StatusCode::INTERNAL_SERVER_ERROR, "Please try again", "The QR code could not be made.");
    };
    let image = code
        .render::<svg::Color>()
        .min_dimensions(320, 320)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    private(HttpResponse::Ok()).content_type("image/svg+xml").body(image)
}

/// Headers of every answer at `/r/`: never cached (a revoke must show at once), never
/// indexed, the address never sent on as a referrer, and no script or outside file allowed.
fn private(mut response: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Robots-Tag", "noindex"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
        ));
    response
}

/// A plain page with a status.
fn plain(status: StatusCode, heading: &str, message: &str) -> HttpResponse {
    private(HttpResponse::build(status))
        .content_type("text/html; charset=utf-8")
        .body(summary::plain_page(heading, message))
}
