//! Node-to-node traffic over NATS (`--nats-url`): a request sent to the node that owns a
//! session, over request/reply, and frames published by the owner for the other nodes.
//!
//! A phone may reach any node; only the owner of the session (the holder of its lease, see
//! [`super::lease`]) may change it. A node that does not own the session sends each call to
//! the subject `chorus.session.<code>`; the owner, subscribed there for each session it owns
//! (in a queue group, so that during a hand-over one of them answers, never both), runs it on
//! the session as a local connection's request would go, and answers. What the calls are is
//! the hub's business (`crate::hub::remote`): here they are JSON values, so that a request or
//! a frame added to the protocol needs nothing of this module. Nothing is retried here: a call
//! that finds no owner, or no answer in time, fails; the relay asks a slow owner again when the
//! call may be repeated (`crate::hub::remote`), and otherwise the phone resends it with the
//! same id after reconnecting (a resent request is recognised, so nothing counts twice).
//!
//! The subjects carry no version, on purpose: a node of another wire version still reaches
//! the owner, and is answered [`Reply::Version`], refused plainly rather than never answered.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;
use tracing::{debug, warn};

/// The version of what nodes say to each other. A node answers a request of another version
/// with [`Reply::Version`], so that a rolling upgrade between incompatible versions is
/// refused plainly instead of misread.
pub const WIRE_VERSION: u32 = 1;
/// How long a forwarded request waits for the owner's answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);

/// The subject a session's owner listens on.
pub fn subject(session: &str) -> String {
    format!("chorus.session.{session}")
}

/// The subject a session's owner publishes its views' frames on.
pub fn frames_subject(session: &str) -> String {
    format!("chorus.frames.{session}")
}

/// The subject every node answers with its versions, asked by a node starting.
const NODES: &str = "chorus.nodes";

/// A call to a session's owner, as the node that holds the phone's (or console's)
/// connection forwards it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forwarded {
    pub version: u32,
    pub session: String,
    /// What is asked (the hub's `Call`, as JSON).
    pub body: serde_json::Value,
}

/// The owner's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    /// The answer to the call (as JSON, the hub's to read).
    Answer { body: serde_json::Value },
    /// This node does not own the session (any more): ask again after a reconnect.
    NotOwner,
    /// The two nodes speak different versions.
    Version { theirs: u32 },
}

#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    #[error("cannot reach NATS at {url}: {source}")]
    Connect { url: String, source: async_nats::ConnectError },
    #[error("no node owns session {session} now")]
    NoOwner { session: String },
    #[error("the owner of session {session} did not answer within {timeout:?}")]
    TimedOut { session: String, timeout: Duration },
    #[error(
        "the owner of session {session} runs another version of Chorus (node protocol {theirs}, this node {ours}); \
         upgrade every node to the same version"
    )]
    Version { session: String, theirs: u32, ours: u32 },
    #[error(
        "another node on this NATS runs Chorus {their_release} (node protocol {theirs}); this is Chorus {ours_release} \
         (node protocol {ours}): nodes of different protocols cannot share sessions. Upgrade every node to the same \
         version (see docs/deploy.md, upgrading)"
    )]
    NodeVersion { theirs: u32, their_release: String, ours: u32, ours_release: String },
    #[error("forwarding failed: {0}")]
    Request(#[from] async_nats::RequestError),
    #[error("subscribing failed: {0}")]
    Subscribe(#[from] async_nats::SubscribeError),
    #[error("NATS did not take the subscription: {0}")]
    Flush(#[from] async_nats::client::FlushError),
    #[error("a message between nodes could not be read: {0}")]
    Wire(#[from] serde_json::Error),
}

/// The sending side: a node that holds a phone but not its session.
pub trait Forward: Send + Sync {
    fn forward(&self, request: &Forwarded) -> impl Future<Output = Result<Reply, ForwardError>> + Send;
}

/// The receiving side, which the hub implements: handles a forwarded request for a session
/// this node owns, as if it had come from a local connection.
pub trait Owner: Send + Sync + 'static {
    fn handle(&self, request: Forwarded) -> Pin<Box<dyn Future<Output = Reply> + Send + 'static>>;
}

/// A node's connection to NATS.
#[derive(Clone)]
pub struct Nats {
    client: async_nats::Client,
    timeout: Duration,
}

impl Nats {
    /// Connects; fails at once, naming the address, if NATS does not answer.
    pub async fn connect(url: &str) -> Result<Self, ForwardError> {
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(3))
            .request_timeout(Some(REQUEST_TIMEOUT))
            .connect(url)
            .await
            .map_err(|source| ForwardError::Connect { url: url.to_owned(), source })?;
        Ok(Self { client, timeout: REQUEST_TIMEOUT })
    }

    /// The connection itself, to publish and subscribe.
    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    /// Says which versions this node speaks to every node that asks, and asks the nodes
    /// already there: refuses (before this node serves anything) if one of them speaks
    /// another node protocol. The first node finds nobody, which is fine.
    pub async fn check_versions(&self) -> Result<JoinHandle<()>, ForwardError> {
        let ours = Versions { wire: WIRE_VERSION, release: env!("CARGO_PKG_VERSION").to_owned() };
        let asked = tokio::time::timeout(Duration::from_secs(2), self.client.request(NODES, Bytes::new())).await;
        if let Ok(Ok(answer)) = asked {
            let theirs: Versions = serde_json::from_slice(&answer.payload)?;
            if theirs.wire != ours.wire {
                return Err(ForwardError::NodeVersion {
                    theirs: theirs.wire,
                    their_release: theirs.release,
                    ours: ours.wire,
                    ours_release: ours.release,
                });
            }
        }
        let mut asking = self.client.subscribe(NODES).await?;
        self.client.flush().await?;
        let client = self.client.clone();
        let body = Bytes::from(serde_json::to_vec(&ours)?);
        Ok(tokio::spawn(async move {
            while let Some(message) = asking.next().await {
                if let Some(reply_to) = message.reply {
                    let _ = client.publish(reply_to, body.clone()).await;
                }
            }
        }))
    }

    /// The same connection, waiting `timeout` for an owner's answer.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether some node serves `session` now: it answers within `patience`. A node paused
    /// or cut off does not count.
    pub async fn served(&self, session: &str, patience: Duration) -> bool {
        let asked = tokio::time::timeout(patience, self.client.request(subject(session), Bytes::from_static(PING)));
        matches!(asked.await, Ok(Ok(_)))
    }

    /// Answers forwarded requests for `session` with `owner` until [`Serving::stop`] (or the
    /// guard is dropped): when the lease is lost or the session ends. Returns once NATS routes
    /// the session's requests here: a ping sent on this connection after the subscription
    /// has come back through it (`flush` only sends; NATS handles one connection in order).
    pub async fn serve(&self, session: &str, owner: Arc<dyn Owner>) -> Result<Serving, ForwardError> {
        let mut requests = self.client.queue_subscribe(subject(session), "owner".to_owned()).await?;
        let client = self.client.clone();
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let topic = subject(session);
        let task = tokio::spawn(async move {
            loop {
                let message = tokio::select! {
                    message = requests.next() => message,
                    _ = &mut stopped => {
                        // Unsubscribed at once, so that requests find no owner here rather than
                        // wait out their timeout.
                        let _ = requests.unsubscribe().await;
                        // Answered "no responders" (or by another owner) once NATS has
                        // handled the unsubscribe: it takes one connection's commands in order.
                        let _ = tokio::time::timeout(REQUEST_TIMEOUT, client.request(topic, Bytes::from_static(PING))).await;
                        return;
                    }
                };
                let Some(message) = message else { return };
                let Some(reply_to) = message.reply else { continue };
                let (client, owner) = (client.clone(), owner.clone());
                // Each request on its own task: a slow answer does not hold up the next.
                tokio::spawn(async move {
                    let reply = if message.payload.as_ref() == PING {
                        Bytes::from_static(PING)
                    } else {
                        let reply = match serde_json::from_slice::<Forwarded>(&message.payload) {
                            Ok(request) if request.version == WIRE_VERSION => owner.handle(request).await,
                            Ok(_) => Reply::Version { theirs: WIRE_VERSION },
                            Err(err) => {
                                debug!(%err, "a forwarded request could not be read");
                                Reply::Version { theirs: WIRE_VERSION }
                            }
                        };
                        match serde_json::to_vec(&reply) {
                            Ok(body) => Bytes::from(body),
                            Err(err) => {
                                warn!(%err, "a forwarded request's answer could not be written");
                                return;
                            }
                        }
                    };
                    if let Err(err) = client.publish(reply_to, reply).await {
                        warn!(%err, "a forwarded request's answer could not be sent");
                    }
                });
            }
        });
        let serving = Serving { task, stop: Some(stop) };
        let pinged =
            tokio::time::timeout(self.timeout, self.client.request(subject(session), Bytes::from_static(PING))).await;
        // Without NATS just now the subscription still stands: the client makes it again
        // once it is back, and until then nobody can forward anything anyway.
        match pinged {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => warn!(%err, session, "serving a session before NATS confirmed it"),
            Err(_) => warn!(session, "serving a session before NATS confirmed it (no answer in time)"),
        }
        Ok(serving)
    }
}

/// What a node says of itself to a node starting.
#[derive(Debug, Serialize, Deserialize)]
struct Versions {
    wire: u32,
    release: String,
}

/// What a node sends itself to learn that its subscription is in place.
const PING: &[u8] = b"ping";

impl Forward for Nats {
    async fn forward(&self, request: &Forwarded) -> Result<Reply, ForwardError> {
        let body = Bytes::from(serde_json::to_vec(request)?);
        let asked = tokio::time::timeout(self.timeout, self.client.request(subject(&request.session), body)).await;
        let answer = match asked {
            Err(_) => return Err(ForwardError::TimedOut { session: request.session.clone(), timeout: self.timeout }),
            Ok(Err(err)) => {
                return Err(match err.kind() {
                    async_nats::RequestErrorKind::NoResponders => {
                        ForwardError::NoOwner { session: request.session.clone() }
                    }
                    async_nats::RequestErrorKind::TimedOut => {
                        ForwardError::TimedOut { session: request.session.clone(), timeout: self.timeout }
                    }
                    _ => ForwardError::Request(err),
                });
            }
            Ok(Ok(answer)) => answer,
        };
        match serde_json::from_slice::<Reply>(&answer.payload)? {
            Reply::Version { theirs } => {
                Err(ForwardError::Version { session: request.session.clone(), theirs, ours: request.version })
            }
            reply => Ok(reply),
        }
    }
}

/// Forwarded requests for one session are being answered here; dropping it stops that
/// (without waiting for NATS to hear it: prefer [`Serving::stop`]).
pub struct Serving {
    task: JoinHandle<()>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Serving {
    /// Stops answering, and returns once NATS sends this session's requests here no more.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::cluster::scratch::ScratchNats;

    #[derive(Default)]
    struct Echo {
        seen: AtomicU32,
    }

    impl Owner for Echo {
        fn handle(&self, request: Forwarded) -> Pin<Box<dyn Future<Output = Reply> + Send + 'static>> {
            let n = self.seen.fetch_add(1, Ordering::Relaxed) + 1;
            Box::pin(async move { Reply::Answer { body: serde_json::json!({"n": n, "of": request.body}) } })
        }
    }

    /// Two nodes on a real NATS server: a request finds no owner until one serves the
    /// session, then reaches it and comes back, in order, each once; a request of another
    /// version is refused plainly and never handled; when the owner stops serving there is
    /// no owner again; when NATS is gone, forwarding fails within its timeout, never hangs.
    #[tokio::test]
    async fn requests_reach_the_owner_and_come_back() {
        let mut nats = ScratchNats::start();
        let owner_node = Nats::connect(&nats.url()).await.expect("connect");
        let other = Nats::connect(&nats.url()).await.expect("connect");
        let request = Forwarded {
            version: WIRE_VERSION,
            session: "12345678".into(),
            body: serde_json::json!({"type": "answer", "id": 1}),
        };
        let nobody = other.forward(&request).await;
        assert!(matches!(nobody, Err(ForwardError::NoOwner { .. })), "{nobody:?}");

        let echo = Arc::new(Echo::default());
        let serving = owner_node.serve("12345678", echo.clone()).await.expect("serve");
        for n in 1..=20 {
            let reply = other.forward(&request).await.expect("forwarded");
            let expected = serde_json::json!({"n": n, "of": {"type": "answer", "id": 1}});
            assert_eq!(reply, Reply::Answer { body: expected });
        }
        let newer = Forwarded { version: WIRE_VERSION + 1, ..request.clone() };
        let refused = other.forward(&newer).await;
        assert!(
            matches!(refused, Err(ForwardError::Version { theirs: WIRE_VERSION, ours, .. }) if ours == WIRE_VERSION + 1),
            "{refused:?}"
        );
        assert_eq!(echo.seen.load(Ordering::Relaxed), 20, "the other version's request was not handled");

        serving.stop().await;
        let after = other.forward(&request).await;
        assert!(matches!(after, Err(ForwardError::NoOwner { .. })), "the owner stopped, yet: {after:?}");

        let _serving = owner_node.serve("12345678", echo.clone()).await.expect("serve");
        nats.stop();
        let hasty = other.clone().with_timeout(Duration::from_secs(1));
        let started = std::time::Instant::now();
        let gone = hasty.forward(&request).await;
        assert!(gone.is_err(), "{gone:?}");
        assert!(started.elapsed() < Duration::from_secs(4), "forwarding waited {:?}", started.elapsed());
    }

    /// A node that cannot reach NATS says so, naming the address.
    #[tokio::test]
    async fn an_unreachable_nats_is_refused() {
        let refused = Nats::connect("nats://127.0.0.1:1").await.err().expect("refused");
        assert!(refused.to_string().starts_with("cannot reach NATS at nats://127.0.0.1:1"), "{refused}");
    }
}
