//! WebSocket entry: `GET /ws`.
//!
//! A WebSocket leaves actix-http's HTTP dispatcher as soon as it is accepted. The dispatcher
//! would keep two 8 KiB buffers for the life of every connection and pass each frame through
//! a channel and a second task; at 19,000 phones those buffers alone are 300 MB (see
//! docs/performance.md). So the server hands every upgrade request to [`take_over`]: it runs
//! the request through the app like any other (the `/ws` route in [`handshake`] checks the
//! `Origin` and answers 101 or a refusal, middleware and logging included), and on a 101 it
//! takes the raw socket for a [`Socket`], which holds no buffer while idle, and runs one
//! task per connection on it ([`connection`]).

mod connection;
mod socket;

#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use connection::explain_bad_message;

use std::convert::Infallible;
use std::net::IpAddr;
use std::rc::Rc;

use actix_codec::Framed;
use actix_http::body::{BodySize, MessageBody};
use actix_http::h1::{self, Message};
use actix_http::{ConnectionType, Request, Response, StatusCode};
use actix_web::dev::{Service, ServiceResponse};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::SinkExt;
use tokio::net::TcpStream;
use tracing::debug;

use crate::error::{ErrorCode, Refusal};
use crate::hub::Hub;
use crate::server::AppState;
use socket::Socket;

/// Largest message a client may send. Every client message is small; anything larger is
/// refused with close code 1009 before it is buffered.
pub const MAX_FRAME: usize = 16 * 1024;

/// What the `/ws` route found, carried on its 101 response to [`take_over`].
#[derive(Clone)]
struct Accepted {
    peer: Option<IpAddr>,
    base_url: String,
}

/// `GET /ws`: accepts a WebSocket handshake from this server's own pages (or a configured
/// origin), or refuses it in plain language.
pub async fn handshake(req: HttpRequest, app: web::Data<AppState>) -> actix_web::Result<HttpResponse> {
    if let Some(origin) = req.headers().get(actix_web::http::header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("null");
        if !app.origin_allowed(origin, &req) {
            tracing::info!(origin, "WebSocket refused: foreign origin");
            return Err(Refusal::new(ErrorCode::Forbidden, "This page may not connect to this server.").into());
        }
    }
    let mut response = HttpResponse::from(actix_http::ws::handshake(req.head())?.finish().map_into_boxed_body());
    let peer = app.client(&req);
    response.extensions_mut().insert(Accepted { peer, base_url: app.base_url(&req) });
    Ok(response)
}

/// Serves one upgrade request taken from the HTTP dispatcher: the app answers it, and an
/// accepted WebSocket then runs on the raw socket until it ends.
pub async fn take_over<S, B>(
    app: Rc<S>,
    hub: Hub,
    req: Request,
    mut framed: Framed<TcpStream, h1::Codec>,
) -> Result<(), Infallible>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody + 'static,
{
    // Boxed: the app's future is large, and a connection's task keeps the size of its largest
    // state for as long as the connection lasts.
    let response = match Box::pin(app.call(req)).await {
        Ok(response) => Response::from(response).map_into_boxed_body(),
        Err(err) => Response::from(err),
    };
    let accepted = if response.status() == StatusCode::SWITCHING_PROTOCOLS {
        response.extensions().get::<Accepted>().cloned()
    } else {
        None
    };
    let (mut head, body) = response.into_parts();
    let Some(Accepted { peer, base_url }) = accepted else {
        // Not a WebSocket after all (a refused origin, another path, a bad handshake): say
        // why, and end the connection, which nothing else can use now.
        let body = actix_http::body::to_bytes(body).await.unwrap_or_default();
        head.head_mut().set_connection_type(ConnectionType::Close);
        let size = BodySize::Sized(body.len() as u64);
        let sent = async {
            framed.send(Message::Item((head, size))).await?;
            if !body.is_empty() {
                framed.send(Message::Chunk(Some(body))).await?;
            }
            framed.send(Message::Chunk(None)).await
        };
        if let Err(err) = sent.await {
            debug!(%err, "refusal of an upgrade not delivered");
        }
        return Ok(());
    };
    if let Err(err) = framed.send(Message::Item((head, BodySize::None))).await {
        debug!(%err, "WebSocket handshake not delivered");
        return Ok(());
    }
    // The dispatcher's buffers go with the parts not kept (bytes already read after the
    // handshake are kept).
    let parts = framed.into_parts();
    let socket = Socket::new(parts.io, parts.read_buf, MAX_FRAME, hub.limits().write_stall);
    drop(parts.write_buf);
    // Boxed for the same reason as the app's future: the connection's own is smaller alone.
    Box::pin(connection::run(hub, socket, peer, base_url)).await;
    Ok(())
}
