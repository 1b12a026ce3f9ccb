//! Shared helpers: a real server on a free port, an HTTP client and a WebSocket client that
//! talk to it as the web app does.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use chorus::config::Settings;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

/// How long a test waits for something the server should send at once.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// The real server, in this process, on 127.0.0.1 and a free port.
pub struct TestServer {
    pub addr: String,
    pub data_dir: tempfile::TempDir,
    /// Dropping it stops the server too: the shutdown future resolves when it is gone.
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts with settings adjusted by `configure` (the data dir is a fresh temporary one).
    pub async fn start_with(configure: impl FnOnce(&mut Settings)) -> Self {
        let data_dir = tempfile::tempdir().expect("temporary data dir");
        let mut settings = Settings::new(data_dir.path());
        configure(&mut settings);
        Self::start_in(data_dir, settings).await
    }

    pub async fn start_in(data_dir: tempfile::TempDir, settings: Settings) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address").to_string();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(chorus::server::run(listener, settings, async move {
            let _ = stopped.await;
        }));
        let server = Self { addr, data_dir, stop: Some(stop), task: Some(task) };
        wait_healthy(&server.url("/healthz")).await;
        server
    }

    /// Stops the server the orderly way, as SIGTERM would, and keeps its data dir.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server stopped cleanly");
        }
        self.data_dir
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }
}

/// The real `chorus` binary as a child process, for tests that kill it.
pub struct ServerProcess {
    pub addr: String,
    child: Child,
}

impl ServerProcess {
    pub fn start(data_dir: &Path) -> Self {
        Self::start_at(data_dir, "127.0.0.1:0")
    }

    /// Starts the server and waits until it answers.
    pub async fn running(data_dir: &Path) -> Self {
        let server = Self::start(data_dir);
        server.wait_healthy().await;
        server
    }

    /// Starts the server on a given address (to come back where phones look for it).
    pub fn start_at(data_dir: &Path, bind: &str) -> Self {
        Self::launch(data_dir, bind, "warn", Stdio::inherit(), &[])
    }

    /// Starts the server on a given address with further environment (flags' twins).
    pub fn start_at_with(data_dir: &Path, bind: &str, env: &[(&str, &str)]) -> Self {
        Self::launch(data_dir, bind, "warn", Stdio::inherit(), env)
    }

    /// Starts the server logging at `level` (a `RUST_LOG` filter) into `log`.
    pub fn start_logging(data_dir: &Path, level: &str, log: impl Into<Stdio>) -> Self {
        Self::launch(data_dir, "127.0.0.1:0", level, log.into(), &[])
    }

    fn launch(data_dir: &Path, bind: &str, level: &str, stderr: Stdio, env: &[(&str, &str)]) -> Self {
        use std::io::{BufRead, BufReader};
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
            .args(["serve", "--bind", bind, "--data-dir"])
            .arg(data_dir)
            .env("RUST_LOG", level)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start the chorus binary");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read the first line");
        // "Chorus is running at http://localhost:PORT (data in …)"
        let port = line
            .split("http://localhost:")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Self { addr: format!("127.0.0.1:{port}"), child }
    }

    /// SIGTERM, as a service manager stops it; waits for it to exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
        self.child.wait().expect("wait")
    }

    /// The server's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill(&mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    pub async fn wait_healthy(&self) {
        wait_healthy(&self.url("/healthz")).await;
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The next number of a small deterministic generator (xorshift64), for the random moments
/// and waits of the harnesses: the same seed, the same run.
pub fn xorshift(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// Waits until `/healthz` answers 200.
async fn wait_healthy(url: &str) {
    for _ in 0..200 {
        let response = awc::Client::new().get(url).send().await;
        if response.is_ok_and(|response| response.status() == 200) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not become healthy");
}

// ---- HTTP -------------------------------------------------------------------------------

/// A typical agenda: one scale with Before and After, and a plain one-round scale.
pub fn workshop_agenda() -> Value {
    json!([
        {"kind": "scale", "title": "How do you feel about co-production?",
         "statements": ["I understand the term co-production",
                        "I know how to use co-production within my daily life"],
         "min": 1, "max": 5, "labels": {"min": "Not at all", "max": "Completely"},
         "rounds": ["Before", "After"]},
        {"kind": "scale", "title": "Today", "statements": ["I enjoyed today"]}
    ])
}

/// A session of `agenda` on `server` with its first activity on screen (in `round`, if
/// given), that activity's id, and the console that put it there.
pub async fn session_on_first_activity(
    server: &ServerProcess,
    agenda: Value,
    round: Option<&str>,
) -> (Session, String, Client) {
    let session = create_session_at(&server.url(""), agenda).await;
    let activity = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": activity, "round": round})).await;
    (session, activity, host)
}

/// A created session, as `POST /api/sessions` answers.
pub struct Session {
    pub code: String,
    pub host_key: String,
    pub present_key: String,
    pub body: Value,
}

impl Session {
    /// The session a `201 Created` from `POST /api/sessions` describes.
    pub fn created(body: Value) -> Self {
        Session {
            code: body["code"].as_str().expect("code").to_owned(),
            host_key: body["host_key"].as_str().expect("host key").to_owned(),
            present_key: body["present_key"].as_str().expect("present key").to_owned(),
            body,
        }
    }

    pub fn activity(&self, index: usize) -> String {
        self.body["agenda"][index]["id"].as_str().expect("activity id").to_owned()
    }
}

pub async fn post_json(url: &str, bearer: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request = awc::Client::new().post(url);
    if let Some(key) = bearer {
        request = request.bearer_auth(key);
    }
    let mut response = request.send_json(body).await.expect("request");
    let status = response.status().as_u16();
    let body = response.json::<Value>().limit(1 << 20).await.unwrap_or(Value::Null);
    (status, body)
}

pub async fn put_json(url: &str, bearer: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request = awc::Client::new().put(url);
    if let Some(key) = bearer {
        request = request.bearer_auth(key);
    }
    let mut response = request.send_json(body).await.expect("request");
    let status = response.status().as_u16();
    let body = response.json::<Value>().limit(1 << 20).await.unwrap_or(Value::Null);
    (status, body)
}

pub async fn get_json(url: &str, bearer: Option<&str>) -> (u16, Value) {
    let mut request = awc::Client::new().get(url);
    if let Some(key) = bearer {
        request = request.bearer_auth(key);
    }
    let mut response = request.send().await.expect("request");
    let status = response.status().as_u16();
    // Exports of big rooms run to megabytes.
    let body = response.json::<Value>().limit(64 << 20).await.unwrap_or(Value::Null);
    (status, body)
}

pub async fn create_session_at(base: &str, agenda: Value) -> Session {
    let (status, body) =
        post_json(&format!("{base}/api/sessions"), None, &json!({"title": "Co-production training", "agenda": agenda}))
            .await;
    assert_eq!(status, 201, "create: {body}");
    Session::created(body)
}

pub async fn create_session(server: &TestServer) -> Session {
    create_session_at(&server.url(""), workshop_agenda()).await
}

// ---- WebSocket --------------------------------------------------------------------------

/// A WebSocket client that speaks the protocol.
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
}

/// How a connection ended.
#[derive(Debug)]
pub enum Ending {
    Closed(Option<CloseFrame>),
    Dropped,
}

impl Client {
    pub async fn connect(ws_url: &str) -> Self {
        let (ws, _) = connect_async(ws_url).await.expect("WebSocket connect");
        Self { ws, next_id: 1000 }
    }

    /// Connects from a given loopback address (127.0.0.x), as another device would.
    pub async fn connect_from(ws_url: &str, source: std::net::Ipv4Addr) -> Self {
        let server: std::net::SocketAddr =
            ws_url.trim_start_matches("ws://").trim_end_matches("/ws").parse().expect("server address");
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.bind((source, 0).into()).expect("bind the source address");
        let stream = socket.connect(server).await.expect("TCP connect");
        let (ws, _) =
            tokio_tungstenite::client_async(ws_url, MaybeTlsStream::Plain(stream)).await.expect("WebSocket handshake");
        Self { ws, next_id: 1000 }
    }

    /// A participant: connects and joins; returns the welcome too.
    pub async fn participant(ws_url: &str, code: &str, token: Option<&str>) -> (Self, Value) {
        let mut client = Self::connect(ws_url).await;
        client.send(json!({"type": "join", "code": code, "token": token})).await;
        let welcome = client.expect("welcome").await;
        (client, welcome)
    }

    pub async fn host(ws_url: &str, session: &Session) -> (Self, Value) {
        let mut client = Self::connect(ws_url).await;
        client.send(json!({"type": "host", "code": session.code, "key": session.host_key})).await;
        let welcome = client.expect("welcome_host").await;
        (client, welcome)
    }

    pub async fn presenter(ws_url: &str, session: &Session) -> (Self, Value) {
        let mut client = Self::connect(ws_url).await;
        client.send(json!({"type": "present", "code": session.code, "key": session.present_key})).await;
        let welcome = client.expect("welcome_present").await;
        (client, welcome)
    }

    pub fn from_stream(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Self {
        Self { ws, next_id: 1000 }
    }

    /// Sends, reporting whether the connection took it (for tests that kill the server).
    pub async fn try_send(&mut self, message: Value) -> bool {
        self.ws.send(Message::text(message.to_string())).await.is_ok()
    }

    /// Waits for the reply to `id`; `None` when the connection ends first.
    pub async fn try_reply(&mut self, id: u64) -> Option<Value> {
        loop {
            match tokio::time::timeout(PATIENCE, self.ws.next()).await.ok()?? {
                Ok(Message::Text(text)) => {
                    let message: Value = serde_json::from_str(&text).ok()?;
                    if (message["type"] == "ack" || message["type"] == "error") && message["id"] == id {
                        return Some(message);
                    }
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// Waits for the welcome: `Some(true)` when welcomed, `None` when the connection ends.
    pub async fn next_welcome(&mut self) -> Option<bool> {
        self.next_welcome_within(PATIENCE).await
    }

    /// [`Client::next_welcome`], waiting at most `patience` for each message.
    pub async fn next_welcome_within(&mut self, patience: Duration) -> Option<bool> {
        loop {
            match tokio::time::timeout(patience, self.ws.next()).await.ok()?? {
                Ok(Message::Text(text)) => {
                    let message: Value = serde_json::from_str(&text).ok()?;
                    match message["type"].as_str() {
                        Some("welcome") => return Some(true),
                        Some("error") => return Some(false),
                        _ => {}
                    }
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    pub async fn send(&mut self, message: Value) {
        self.ws.send(Message::text(message.to_string())).await.expect("send");
    }

    pub async fn send_raw(&mut self, message: Message) {
        self.ws.send(message).await.expect("send");
    }

    /// The next message, whatever it is.
    pub async fn next(&mut self) -> Result<Value, Ending> {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.ws.next()).await.expect("a message in time");
            match message {
                Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text).expect("JSON from the server")),
                Some(Ok(Message::Close(frame))) => return Err(Ending::Closed(frame)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Err(Ending::Dropped),
            }
        }
    }

    /// Skips messages until one of `kind` arrives.
    pub async fn expect(&mut self, kind: &str) -> Value {
        loop {
            match self.next().await {
                Ok(message) if message["type"] == kind => return message,
                Ok(_) => continue,
                Err(ending) => panic!("connection ended ({ending:?}) while waiting for {kind}"),
            }
        }
    }

    /// Skips messages until one matches `wanted`.
    pub async fn expect_where(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            match self.next().await {
                Ok(message) if wanted(&message) => return message,
                Ok(_) => continue,
                Err(ending) => panic!("connection ended ({ending:?}) while waiting for {what}"),
            }
        }
    }

    /// Waits for the ack or error answering request `id`.
    pub async fn reply(&mut self, id: u64) -> Value {
        self.expect_where("a reply", |m| (m["type"] == "ack" || m["type"] == "error") && m["id"] == id).await
    }

    /// Sends a request with a fresh id and returns its ack or error.
    pub async fn request(&mut self, mut message: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        message["id"] = json!(id);
        self.send(message).await;
        self.reply(id).await
    }

    /// Sends a request and insists that it is acknowledged.
    pub async fn ok(&mut self, message: Value) {
        let reply = self.request(message.clone()).await;
        assert_eq!(reply["type"], "ack", "{message} was refused: {reply}");
    }

    /// Sends a request and returns the error code it was refused with.
    pub async fn refused(&mut self, message: Value) -> String {
        let reply = self.request(message.clone()).await;
        assert_eq!(reply["type"], "error", "{message} was accepted");
        assert!(reply["message"].as_str().is_some_and(|m| !m.is_empty()), "no plain-language message: {reply}");
        reply["error"].as_str().expect("error code").to_owned()
    }

    /// Waits until the connection is closed, and returns the close code.
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            match self.next().await {
                Ok(_) => continue,
                Err(Ending::Closed(frame)) => return frame.map(|f| u16::from(f.code)),
                Err(Ending::Dropped) => return None,
            }
        }
    }
}

/// The results for one statement and round in a results frame.
pub fn round_stats<'a>(results: &'a Value, statement: usize, round: &str) -> &'a Value {
    &results["data"]["statements"][statement]["rounds"][round]
}

/// A session's export in `format`, downloaded with the host key.
pub async fn download(server: &TestServer, session: &Session, format: &str) -> Vec<u8> {
    let mut response = awc::Client::new()
        .get(server.url(&format!("/api/sessions/{}/export/{format}", session.code)))
        .bearer_auth(&session.host_key)
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), 200, "{format}");
    response.body().limit(1 << 24).await.expect("body").to_vec()
}

/// The cells of every sheet of an XLSX export, as text.
pub fn xlsx_text(bytes: Vec<u8>) -> String {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("open xlsx");
    let mut text = String::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).expect("sheet");
        for row in range.rows() {
            for cell in row {
                text.push_str(&cell.to_string());
                text.push('\t');
            }
            text.push('\n');
        }
    }
    text
}
