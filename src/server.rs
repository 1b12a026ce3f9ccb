//! The server: the HTTP app on a listener (an accepted WebSocket leaves the HTTP dispatcher
//! for [`crate::ws`]), and an orderly stop.
//!
//! [`run`] takes the listener and a shutdown future, so tests bind `127.0.0.1:0` and run the
//! real server in-process. Stopping goes outside in: connections are told to leave (close
//! code 1012, "restarting", so phones reconnect to the next server), the HTTP server stops,
//! session tasks settle their pending events, and the journal writer commits the last batch.

use std::future::Future;
use std::net::TcpListener;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix_http::HttpService;
use actix_service::{IntoServiceFactory, Service, ServiceFactory, boxed, fn_factory, fn_service, map_config};
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{Compress, DefaultHeaders};
use actix_web::{App, HttpRequest, web};
use tracing::{info, warn};

use crate::cluster::forward::Nats;
use crate::config::Settings;
use crate::hub::Hub;
use crate::journal::Journal;
use crate::{routes, ws};

/// How long connections get to finish when the server stops.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// How long session tasks and the journal get to write what they hold.
const FLUSH_GRACE: Duration = Duration::from_secs(3);

/// The Content-Security-Policy of every response: no inline script, nothing from elsewhere.
pub const CSP: &str = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; \
                       script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// What every handler can reach.
pub struct AppState {
    pub hub: Hub,
    pub settings: Arc<Settings>,
}

impl AppState {
    /// The client's address: the TCP peer, or the address a trusted proxy forwarded for.
    pub fn client(&self, req: &HttpRequest) -> Option<std::net::IpAddr> {
        crate::guard::client_address(req, &self.settings.trusted_proxies)
    }

    /// The address people reach this server on: the configured public URL, or the scheme and
    /// host the request came in with.
    pub fn base_url(&self, req: &HttpRequest) -> String {
        match &self.settings.public_url {
            Some(url) => url.clone(),
            None => {
                let info = req.connection_info();
                format!("{}://{}", info.scheme(), info.host())
            }
        }
    }

    /// Whether a browser page from `origin` may open a WebSocket: only this server's own
    /// origin (exactly), the public URL's, or a configured one.
    pub fn origin_allowed(&self, origin: &str, req: &HttpRequest) -> bool {
        let origin = origin.trim().to_ascii_lowercase();
        let own = {
            let info = req.connection_info();
            let http = format!("http://{}", info.host()).to_ascii_lowercase();
            let https = format!("https://{}", info.host()).to_ascii_lowercase();
            origin == http || origin == https
        };
        own || self
            .settings
            .public_url
            .iter()
            .chain(self.settings.allowed_origins.iter())
            .any(|allowed| allowed.trim_end_matches('/').eq_ignore_ascii_case(&origin))
    }
}

/// Serves on `listener` until `shutdown` resolves, then stops in order.
pub async fn run(listener: TcpListener, settings: Settings, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    serve(listener, settings, shutdown, |_| {}).await
}

/// [`run`], calling `ready` once the journal has opened (and passed its checks) and the
/// sessions are back, just before the first request is taken: where `chorus serve` says
/// that it is running.
pub async fn serve(
    listener: TcpListener,
    settings: Settings,
    shutdown: impl Future<Output = ()>,
    ready: impl FnOnce(&Settings),
) -> anyhow::Result<()> {
    crate::metrics::install();
    // NATS first: a node that cannot join its cluster should say so before it claims any
    // session.
    let (nats, _versions) = match &settings.nats_url {
        None => (None, None),
        Some(_) if settings.postgres.is_none() => anyhow::bail!(
            "--nats-url needs --database-url: the nodes of a cluster share their sessions through PostgreSQL"
        ),
        Some(url) => {
            let nats = Nats::connect(url).await?;
            let versions = nats.check_versions().await?;
            info!(nats = url, "joined the cluster's NATS");
            (Some(nats), Some(AbortOnDrop(versions)))
        }
    };
    let (journal, writer) = Journal::open_with(&settings.data_dir, settings.postgres.as_ref()).await?;
    let hub = Hub::start_in(journal, settings.limits.clone(), settings.data_dir.clone(), nats).await?;
    let retention = tokio::spawn(purge_regularly(hub.clone(), settings.retention_days, settings.close_idle_after));
    if let Some(warning) = exposed_warning(&listener, &settings) {
        warn!("{warning}");
        eprintln!("\n{}\n{warning}\n{}\n", "!".repeat(78), "!".repeat(78));
    }
    ready(&settings);
    let state = web::Data::new(AppState { hub: hub.clone(), settings: Arc::new(settings) });
    let local_addr = listener.local_addr()?;
    let make_app = move || app(state.clone());
    let upgrade_hub = hub.clone();
    let server = actix_server::Server::build()
        .listen("chorus", listener, move || {
            let (upgrade_app, hub) = (make_app.clone(), upgrade_hub.clone());
            HttpService::build()
                .tcp_nodelay(true)
                .local_addr(local_addr)
                // Every upgrade request leaves the dispatcher for `ws::take_over`, which still
                // runs it through the app (its own instance per worker) for the answer.
                .upgrade(fn_factory(move || {
                    let (app, hub) = (upgrade_app(), hub.clone());
                    async move {
                        let app = Rc::new(app.into_factory().new_service(AppConfig::default()).await?);
                        Ok::<_, ()>(fn_service(move |(req, framed)| {
                            ws::take_over(app.clone(), hub.clone(), req, framed)
                        }))
                    }
                }))
                // Boxed, so that the dispatcher, which every connection keeps (a WebSocket's
                // too), holds a pointer to a request's future rather than the future itself.
                .finish(map_config(boxed::factory(make_app().into_factory()), |_| AppConfig::default()))
                .tcp()
        })?
        .disable_signals()
        .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
        .run();
    let handle = server.handle();
    let mut server = tokio::spawn(server);

    tokio::pin!(shutdown);
    tokio::select! {
        result = &mut server => {
            warn!("the HTTP server stopped by itself");
            result??;
        }
        () = &mut shutdown => {
            info!("stopping");
            hub.leave_cluster().await;
            hub.begin_shutdown();
            handle.stop(true).await;
            server.await??;
        }
    }

    retention.abort();
    // Dropping the last handles lets each session task settle and stop, and then the
    // journal writer, which stops once no session can send it anything.
    hub.release_sessions();
    drop(hub);
    if tokio::time::timeout(FLUSH_GRACE, writer.finished()).await.is_err() {
        warn!("the journal did not finish in time; unacknowledged changes may be lost");
    }
    info!("stopped");
    Ok(())
}

/// Stops a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The app: every route, behind the headers every response carries.
fn app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(state)
        .app_data(routes::json_config())
        .wrap(Compress::default())
        .wrap(
            DefaultHeaders::new()
                .add((header::CONTENT_SECURITY_POLICY, CSP))
                .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .add((header::REFERRER_POLICY, "no-referrer"))
                .add((header::X_FRAME_OPTIONS, "DENY")),
        )
        .wrap(tracing_actix_web::TracingLogger::default())
        // HEAD is answered as GET; the HTTP layer, which saw the HEAD, sends no body.
        .wrap_fn(|mut req, service| {
            if req.method() == actix_web::http::Method::HEAD {
                req.head_mut().method = actix_web::http::Method::GET;
            }
            service.call(req)
        })
        .configure(routes::configure)
}

/// The warning `chorus serve` gives, loudly, when anyone on the network can reach it and
/// start sessions: bound beyond loopback with no admin token.
pub fn exposed_warning(listener: &TcpListener, settings: &Settings) -> Option<String> {
    let address = listener.local_addr().ok()?;
    (!address.ip().is_loopback() && settings.admin_token.is_none()).then(|| {
        format!(
            "WARNING: Chorus listens on {address}, beyond this machine, and has no admin token: anyone who can \
             reach it can start sessions. Set CHORUS_ADMIN_TOKEN (or --admin-token), or bind to 127.0.0.1 \
             behind a reverse proxy."
        )
    })
}

/// Deletes closed sessions past the retention period, unloads the closed ones still in
/// memory (at start, then every hour), and closes sessions idle for `idle` (checked every
/// tenth of it, at most every ten minutes).
async fn purge_regularly(hub: Hub, days: u32, idle: Duration) {
    let every = (idle / 10).clamp(Duration::from_millis(100), Duration::from_secs(10 * 60));
    let mut ticks = tokio::time::interval(every);
    let mut last_purge: Option<std::time::Instant> = None;
    loop {
        ticks.tick().await;
        match hub.close_idle(idle).await {
            Ok(0) => {}
            Ok(closed) => info!(sessions = closed, "idle sessions closed"),
            Err(refusal) => warn!(%refusal, "closing idle sessions failed; will try again"),
        }
        if last_purge.is_some_and(|at| at.elapsed() < Duration::from_secs(60 * 60)) {
            continue;
        }
        last_purge = Some(std::time::Instant::now());
        if let Err(refusal) = hub.purge(days).await {
            warn!(%refusal, "purging old sessions failed; will try again");
        }
        let unloaded = hub.unload_closed();
        if unloaded > 0 {
            info!(sessions = unloaded, "closed sessions unloaded from memory");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serving_beyond_loopback_without_an_admin_token_is_warned_about() {
        let settings = Settings::new("unused");
        let local = TcpListener::bind("127.0.0.1:0").expect("bind");
        assert_eq!(exposed_warning(&local, &settings), None);
        // Bound to every interface (nothing is sent to it).
        let everywhere = TcpListener::bind("0.0.0.0:0").expect("bind");
        let warning = exposed_warning(&everywhere, &settings).expect("a warning");
        assert!(warning.contains("no admin token") && warning.contains("CHORUS_ADMIN_TOKEN"), "{warning}");
        let guarded = Settings { admin_token: Some("secret".into()), ..settings };
        assert_eq!(exposed_warning(&everywhere, &guarded), None);
    }
}
