//! The web app, embedded in the binary by rust-embed from the folder `build.rs` built it in.
//!
//! Release builds carry the files inside the binary, so one file serves everything with no
//! internet; debug builds read them from disk.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "$CHORUS_WEB_DIST"]
struct Web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    for page in ["/", "/j/{code}", "/host/{code}", "/host/{code}/report", "/present/{code}"] {
        cfg.route(page, web::get().to(index));
    }
    cfg.default_service(web::to(asset));
}

/// The app's pages all load `index.html`; the script picks the screen from the path.
async fn index() -> HttpResponse {
    page(actix_web::http::StatusCode::OK)
}

fn page(status: actix_web::http::StatusCode) -> HttpResponse {
    match Web::get("index.html") {
        Some(file) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(file.data.into_owned()),
        None => HttpResponse::NotFound().body("The web app was not built into this binary."),
    }
}

async fn asset(req: HttpRequest) -> HttpResponse {
    if req.method() != actix_web::http::Method::GET && req.method() != actix_web::http::Method::HEAD {
        return HttpResponse::MethodNotAllowed().finish();
    }
    let path = req.path().trim_start_matches('/');
    match Web::get(path) {
        Some(file) => {
            // Vite puts a content hash in every name under assets/: those never change.
            let cache = if path.starts_with("assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
            HttpResponse::Ok()
                .content_type(file.metadata.mimetype())
                .insert_header((header::CACHE_CONTROL, cache))
                .body(file.data.into_owned())
        }
        None => page(actix_web::http::StatusCode::NOT_FOUND),
    }
}
