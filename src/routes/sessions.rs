//! The session API. Keys travel as `Authorization: Bearer <key>`, never in a path or query.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use qrcode::QrCode;
use qrcode::render::svg;

use crate::auth;
use crate::error::{ErrorCode, Refusal};
use crate::export::{self, Format};
use crate::hub::{Command, Control, SessionHandle};
use crate::protocol::{CreateSession, Created, ReplaceAgenda, SessionInfo};
use crate::server::AppState;
use crate::session::groups::Booked;

/// The bearer token of a request, if any. The scheme's name is case-insensitive (RFC 9110
/// section 11.1): `bearer` and `BEARER` work as `Bearer` does.
fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?.trim_start();
    let (scheme, key) = value.split_once(char::is_whitespace)?;
    scheme.eq_ignore_ascii_case("bearer").then(|| key.trim()).filter(|key| !key.is_empty())
}

/// The session, if the request holds its host key. A wrong code or key counts as a guess
/// against the caller's address, as it does over the WebSocket.
pub(super) async fn as_host(app: &AppState, req: &HttpRequest, code: &str) -> Result<SessionHandle, Refusal> {
    let peer = app.client(req);
    let guarded = app.hub.join_guarded(peer, code).await;
    let handle = app.hub.find(code, peer, guarded).await?;
    let key = bearer(req).unwrap_or_default();
    match handle.is_host(key).await {
        Ok(true) if !key.is_empty() => Ok(handle),
        Ok(_) => Err(app.hub.wrong_key(peer, guarded)),
        Err(gone) => Err(app.hub.gone(code, gone, guarded)),
    }
}

pub(super) async fn info(app: &AppState, req: &HttpRequest, handle: &SessionHandle) -> Result<SessionInfo, Refusal> {
    let join_url = format!("{}/j/{}", app.base_url(req), handle.code);
    let present_key = bearer(req).map(auth::present_key_for).unwrap_or_default();
    handle.request(|reply| Command::Info { join_url, present_key, reply }).await?
}

/// `POST /api/sessions`
pub async fn create(
    app: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<CreateSession>,
) -> Result<HttpResponse, Refusal> {
    let client = app.client(&req);
    if let Some(admin) = &app.settings.admin_token {
        let failures = &app.hub.budgets().failed_admin;
        // An address that got the token wrong before pays for each try first; out of budget,
        // it hears `rate_limited` whether the token is right or not.
        if client.is_some_and(|client| failures.refused(client)) {
            return Err(Refusal::rate_limited());
        }
        let given = bearer(&req).unwrap_or_default();
        // Compare hashes so that the comparison takes the same time wherever they differ.
        if !auth::secret_matches(given, &auth::hash_secret(admin)) {
            if let Some(client) = client {
                failures.failed(client);
            }
            return Err(Refusal::new(
                ErrorCode::Unauthorized,
                "This server needs its admin token to start a session. Ask whoever runs it.",
            ));
        }
    }
    if let Some(client) = client
        && let Err(wait) = app.hub.budgets().creates.spend(client)
    {
        return Err(Refusal::new(
            ErrorCode::RateLimited,
            format!(
                "Too many sessions were started from your network. You can start another in {} minutes.",
                wait.as_secs().div_ceil(60).max(1)
            ),
        ));
    }
    let body = body.into_inner();
    let mut about_you = body.about_you;
    if let Some(about_you) = &mut about_you {
        about_you.normalise()?;
    }
    // Copying names a session by its code and host key: guarded like any other way in, or it
    // would tell a guesser which codes exist ("unauthorized" rather than "not_found").
    if let Some(source) = &body.copy_from {
        let guarded = app.hub.join_guarded(client, &source.code).await;
        let handle = app.hub.find(&source.code, client, guarded).await?;
        match handle.is_host(&source.host_key).await {
            Ok(true) => {}
            Ok(false) => return Err(app.hub.wrong_key(client, guarded)),
            Err(gone) => return Err(app.hub.gone(&source.code, gone, guarded)),
        }
        // "Run again" asks the same question, so that a series' groups add up.
        if about_you.is_none() {
            let info = handle
                .request(|reply| Command::Info { join_url: String::new(), present_key: String::new(), reply })
                .await??;
            about_you = info.about_you;
        }
    }
    let created = app.hub.create(&body.title, body.agenda, body.copy_from.as_ref(), about_you).await?;
    let base = app.base_url(&req);
    let code = &created.code;
    Ok(HttpResponse::Created().json(Created {
        join_url: format!("{base}/j/{code}"),
        host_url: format!("{base}/host/{code}#key={}", created.host_key),
        present_url: format!("{base}/present/{code}#key={}", created.present_key),
        code: created.code,
        host_key: created.host_key,
        present_key: created.present_key,
        agenda: created.agenda,
    }))
}

/// `GET /api/sessions/{code}`
pub async fn show(
    app: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, Refusal> {
    let handle = as_host(&app, &req, &code).await?;
    Ok(HttpResponse::Ok().json(info(&app, &req, &handle).await?))
}

/// `PUT /api/sessions/{code}/agenda`
pub async fn replace_agenda(
    app: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
    body: web::Json<ReplaceAgenda>,
) -> Result<HttpResponse, Refusal> {
    let handle = as_host(&app, &req, &code).await?;
    let ReplaceAgenda { agenda, about_you } = body.into_inner();
    // The question first: it is the part refused once answered (`about_you_in_use`), and
    // then the agenda is left as it was. Sent only when it changes, so an editor that
    // sends back the question it was given is never refused.
    if let Some(about_you) = about_you {
        let now = handle
            .request(|reply| Command::Info { join_url: String::new(), present_key: String::new(), reply })
            .await??
            .about_you;
        let mut wanted = about_you.clone();
        if let Some(wanted) = &mut wanted {
            wanted.normalise()?;
        }
        if wanted != now {
            let control = Control::AboutYou(about_you);
            handle.request(|reply| Command::Control { control, reply }).await??;
        }
    }
    handle.request(|reply| Command::ReplaceAgenda { agenda, reply }).await??;
    Ok(HttpResponse::Ok().json(info(&app, &req, &handle).await?))
}

/// `PUT /api/sessions/{code}/booked`: how many booked, in total and per group.
pub async fn booked(
    app: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
    body: web::Json<Booked>,
) -> Result<HttpResponse, Refusal> {
    let handle = as_host(&app, &req, &code).await?;
    let control = Control::Booked(body.into_inner());
    handle.request(|reply| Command::Control { control, reply }).await??;
    Ok(HttpResponse::Ok().json(info(&app, &req, &handle).await?))
}

/// `POST /api/sessions/{code}/close`
pub async fn close(
    app: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, Refusal> {
    let handle = as_host(&app, &req, &code).await?;
    handle.request(|reply| Command::Control { control: Control::Close, reply }).await??;
    Ok(HttpResponse::Ok().json(info(&app, &req, &handle).await?))
}

/// `DELETE /api/sessions/{code}`: the session and everything of it, for good.
pub async fn delete(
    app: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, Refusal> {
    let handle = as_host(&app, &req, &code).await?;
    app.hub.delete(&handle.code).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/sessions/{code}/export/{format}`
pub async fn export(
    app: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Refusal> {
    report(&app, &req, path.into_inner(), false).await
}

/// `GET /api/sessions/{code}/series/export/{format}`
pub async fn series_export(
    app: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Refusal> {
    report(&app, &req, path.into_inner(), true).await
}

/// A session's report, or its series', for its host.
async fn report(
    app: &AppState,
    req: &HttpRequest,
    (code, format): (String, String),
    series: bool,
) -> Result<HttpResponse, Refusal> {
    let format: Format = format.parse()?;
    let handle = as_host(app, req, &code).await?;
    let reader = app.hub.journal().reader();
    let report = if series {
        export::series_report(reader, &handle.code).await?
    } else {
        export::session_report(reader, &handle.code).await?
    };
    download(report, format).await
}

/// An export as a download. The HTML report carries its styles inline and no script, so it
/// gets a policy of its own that allows exactly that. Rendering runs on the blocking pool:
/// laying out a PDF takes long enough (see docs/performance.md) to stall a worker's other
/// requests.
async fn download(report: export::Report, format: Format) -> Result<HttpResponse, Refusal> {
    let name = export::file_name(&report, format);
    let bytes = web::block(move || export::render(&report, format))
        .await
        .map_err(|_| Refusal::new(ErrorCode::Internal, "The export could not be made. Please try again."))??;
    let mut response = HttpResponse::Ok();
    response
        .content_type(format.content_type())
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")));
    if format == Format::Html {
        response.insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
        ));
    }
    Ok(response.body(bytes))
}

/// `GET /api/sessions/{code}/qr.svg`: the join link as a QR code, for anyone.
pub async fn qr(app: web::Data<AppState>, req: HttpRequest, code: web::Path<String>) -> Result<HttpResponse, Refusal> {
    // Anyone may have it, so it must not answer a guesser which codes exist.
    let peer = app.client(&req);
    if app.hub.join_guarded(peer, &code).await {
        return Err(Refusal::rate_limited());
    }
    let handle = app.hub.find(&code, peer, false).await?;
    let join_url = format!("{}/j/{}", app.base_url(&req), handle.code);
    let qr = QrCode::new(join_url.as_bytes())
        .map_err(|_| Refusal::new(ErrorCode::Internal, "The QR code could not be made."))?;
    let image = qr
        .render::<svg::Color>()
        .min_dimensions(320, 320)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(image))
}

/// `GET /healthz`: 200 when the server and its database answer. A node of a cluster also
/// says whether it reaches NATS (`"nats": "connected"` or `"disconnected"`), without failing
/// for it: its own sessions still work without NATS, and a load balancer that dropped every
/// node during a NATS outage would stop those too.
pub async fn health(app: web::Data<AppState>) -> HttpResponse {
    if app.hub.journal().healthy().await {
        match app.hub.cluster() {
            Some(cluster) => {
                let nats = match cluster.nats_connected() {
                    true => "connected",
                    false => "disconnected",
                };
                HttpResponse::Ok().json(serde_json::json!({"status": "ok", "nats": nats}))
            }
            None => HttpResponse::Ok().json(serde_json::json!({"status": "ok"})),
        }
    } else {
        HttpResponse::ServiceUnavailable().json(serde_json::json!({
            "error": "unavailable",
            "database": "unavailable",
            "message": "The database is not usable: answers cannot be saved now."
        }))
    }
}
