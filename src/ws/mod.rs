//! WebSocket entry: `GET /ws`.
//!
//! The handshake is checked before the upgrade (a browser's `Origin` must be this server's,
//! or one configured), then one task per connection takes over ([`connection`]).

mod connection;

#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use connection::explain_bad_message;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::{ErrorCode, Refusal};
use crate::server::AppState;

/// Largest frame a client may send. Every client message is small; anything larger is
/// refused with close code 1009 before it is buffered.
pub const MAX_FRAME: usize = 16 * 1024;

pub async fn upgrade(
    req: HttpRequest,
    body: web::Payload,
    app: web::Data<AppState>,
) -> actix_web::Result<HttpResponse> {
    if let Some(origin) = req.headers().get(actix_web::http::header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("null");
        if !app.origin_allowed(origin, &req) {
            tracing::info!(origin, "WebSocket refused: foreign origin");
            return Err(Refusal::new(ErrorCode::Forbidden, "This page may not connect to this server.").into());
        }
    }
    let (response, session, stream) = actix_ws::handle(&req, body)?;
    let stream = stream.max_frame_size(MAX_FRAME).aggregate_continuations().max_continuation_size(MAX_FRAME);
    let peer = req.peer_addr().map(|addr| addr.ip());
    let base_url = app.base_url(&req);
    actix_web::rt::spawn(connection::run(app.hub.clone(), session, stream, peer, base_url));
    Ok(response)
}
