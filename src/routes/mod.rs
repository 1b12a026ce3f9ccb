//! HTTP routes: the session API, the QR code, health, and the web app.

mod assets;
mod report;
mod sessions;

use actix_web::{HttpResponse, web};

use crate::error::{ErrorCode, Refusal};

/// Largest JSON body the API reads.
pub const MAX_BODY: usize = 256 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(sessions::health))
        .route("/metrics", web::get().to(metrics))
        .route("/ws", web::get().to(crate::ws::handshake))
        .route("/r/{id}", web::get().to(report::page))
        .route("/r/{id}/qr.svg", web::get().to(report::qr))
        .service(
            web::scope("/api")
                .route("/sessions", web::post().to(sessions::create))
                .route("/sessions/{code}", web::get().to(sessions::show))
                .route("/sessions/{code}", web::delete().to(sessions::delete))
                .route("/sessions/{code}/export/{format}", web::get().to(sessions::export))
                .route("/sessions/{code}/series/export/{format}", web::get().to(sessions::series_export))
                .route("/sessions/{code}/agenda", web::put().to(sessions::replace_agenda))
                .route("/sessions/{code}/booked", web::put().to(sessions::booked))
                .route("/sessions/{code}/close", web::post().to(sessions::close))
                .route("/sessions/{code}/qr.svg", web::get().to(sessions::qr))
                .service(
                    web::resource("/sessions/{code}/report")
                        .app_data(report_json_config())
                        .route(web::get().to(report::show))
                        .route(web::put().to(report::save)),
                )
                .service(
                    web::resource("/sessions/{code}/series/report")
                        .app_data(report_json_config())
                        .route(web::get().to(report::show_series))
                        .route(web::put().to(report::save_series)),
                )
                .route("/sessions/{code}/summary", web::post().to(report::publish))
                .route("/sessions/{code}/summary", web::delete().to(report::revoke))
                .default_service(web::to(api_not_found)),
        )
        .configure(assets::configure);
}

/// JSON bodies: size-capped, and a body that cannot be read is refused in plain language.
pub fn json_config() -> web::JsonConfig {
    json_config_of(MAX_BODY)
}

/// A report's content is larger than any other body (see [`report::MAX_REPORT_BODY`]).
fn report_json_config() -> web::JsonConfig {
    json_config_of(report::MAX_REPORT_BODY)
}

fn json_config_of(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit).error_handler(move |err, _req| {
        let refusal = match &err {
            actix_web::error::JsonPayloadError::OverflowKnownLength { .. }
            | actix_web::error::JsonPayloadError::Overflow { .. } => {
                Refusal::new(ErrorCode::TooLarge, format!("The request is larger than {} KiB.", limit / 1024))
            }
            actix_web::error::JsonPayloadError::ContentType => {
                Refusal::new(ErrorCode::InvalidMessage, "Send the request as JSON (Content-Type: application/json).")
            }
            other => Refusal::new(ErrorCode::InvalidMessage, format!("The request could not be read: {other}")),
        };
        refusal.into()
    })
}

/// `GET /metrics`: Prometheus' text format.
async fn metrics() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(crate::metrics::render())
}

async fn api_not_found() -> Refusal {
    Refusal::new(ErrorCode::NotFound, "There is no such API route.")
}

impl actix_web::Responder for Refusal {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _req: &actix_web::HttpRequest) -> HttpResponse {
        actix_web::ResponseError::error_response(&self)
    }
}
