//! Hardening (reliability promises 7 and 11–17): the client's address behind a real nginx,
//! budgets per address against guessing and floods from many 127.0.0.x addresses, idle
//! sessions closed, control characters kept out, and the small ones (HEAD, `bearer`, a
//! scale's default title).

use std::net::Ipv4Addr;
use std::num::NonZeroU32;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::*;

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).expect("nonzero")
}

/// The first answer to a join sent over `ws_url` from a fresh connection at `source`.
async fn join_from(ws_url: &str, source: Ipv4Addr, code: &str, token: Option<&str>) -> Value {
    let mut client = Client::connect_from(ws_url, source).await;
    client.send(json!({"type": "join", "code": code, "token": token})).await;
    client.expect_where("welcome or error", |m| m["type"] == "welcome" || m["type"] == "error").await
}

fn outcome(reply: &Value) -> String {
    if reply["type"] == "welcome" { "welcome".into() } else { reply["error"].as_str().unwrap_or("?").into() }
}

/// A raw HTTP/1.1 request from a given loopback address: the status and the whole answer.
pub(crate) async fn http_from(
    server: &str,
    source: Ipv4Addr,
    request_line: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> (u16, String) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind((source, 0).into()).expect("bind the source address");
    let mut stream = socket.connect(server.parse().expect("address")).await.expect("connect");
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut request = format!("{request_line} HTTP/1.1\r\nHost: {server}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        request.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(&body);
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut answer)).await.expect("an answer in time").expect("read");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.split(' ').nth(1).and_then(|status| status.parse().ok()).expect("a status line");
    (status, answer)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address").port()
}

/// Debian's nginx as a reverse proxy in front of Chorus, configured as docs/deploy.md says,
/// on a free loopback port, with every path of its own inside a temporary directory.
pub(crate) struct Nginx {
    child: Child,
    pub(crate) addr: String,
    _dir: tempfile::TempDir,
}

impl Nginx {
    async fn start(upstream: &str) -> Self {
        Self::start_with(|port| {
            format!(
                r#"server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://{upstream};
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 1h;
        }}
    }}"#
            )
        })
        .await
    }

    /// nginx with `http` (given the port to listen on) inside its `http { }` block, beside
    /// the temporary paths and `$connection_upgrade`.
    pub(crate) async fn start_with(http: impl FnOnce(u16) -> String) -> Self {
        let dir = tempfile::tempdir().expect("nginx dir");
        let port = free_port();
        let path = |name: &str| dir.path().join(name).display().to_string();
        let config = format!(
            r#"daemon off;
worker_processes 1;
pid {pid};
error_log {log} warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    {http}
}}
"#,
            pid = path("nginx.pid"),
            log = path("error.log"),
            tmp = dir.path().display(),
            http = http(port),
        );
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, config).expect("nginx.conf");
        let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].into_iter().find(|path| Path::new(path).exists()).expect(
            "nginx is not installed: `apt-get install nginx` (the proxy test runs the real thing; .ci/run installs it)",
        );
        let child = std::process::Command::new(nginx)
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(dir.path())
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .stdout(Stdio::null())
            .spawn()
            .expect("start nginx");
        let log = dir.path().join("error.log");
        // Owned at once, so that nginx is stopped (and waited for) however the test ends.
        let nginx = Self { child, addr: format!("127.0.0.1:{port}"), _dir: dir };
        for _ in 0..100 {
            let health = format!("http://{}/healthz", nginx.addr);
            if awc::Client::new().get(health).send().await.is_ok_and(|r| r.status() == 200) {
                return nginx;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let log = std::fs::read_to_string(log).unwrap_or_default();
        drop(nginx);
        panic!("nginx did not come up in front of Chorus: {log}");
    }

    fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Behind nginx, guessing is counted for the client nginx forwards for, not for nginx: the
/// guesser is slowed, and past its budget a right code gets the same `rate_limited` as a
/// wrong one, while a phone at another address joins; what a client writes into
/// X-Forwarded-For itself changes nothing.
#[actix_web::test]
async fn behind_nginx_guessing_is_counted_per_client() {
    let server = TestServer::start_with(|settings| {
        settings.trusted_proxies = "127.0.0.1".parse().expect("trusted proxies");
    })
    .await;
    let session = create_session(&server).await;
    let nginx = Nginx::start(&server.addr).await;
    let guesser = Ipv4Addr::new(127, 0, 0, 41);
    let mut answers = Vec::new();
    for guess in 0..5 {
        answers.push(outcome(&join_from(&nginx.ws_url(), guesser, &format!("{:08}", 30_000_000 + guess), None).await));
    }
    assert_eq!(answers, ["not_found", "not_found", "not_found", "rate_limited", "rate_limited"]);
    // The right code, from the guesser: indistinguishable from a wrong one.
    assert_eq!(outcome(&join_from(&nginx.ws_url(), guesser, &session.code, None).await), "rate_limited");
    // The open QR code says nothing either, over HTTP through the proxy, even with a forged header.
    let qr = format!("GET /api/sessions/{}/qr.svg", session.code);
    let forged = [("X-Forwarded-For", "127.0.0.42")];
    assert_eq!(http_from(&nginx.addr, guesser, &qr, &forged, None).await.0, 429);
    // A phone elsewhere, through the same proxy, is not slowed at all.
    let phone = Ipv4Addr::new(127, 0, 0, 42);
    assert_eq!(outcome(&join_from(&nginx.ws_url(), phone, &session.code, None).await), "welcome");
    assert_eq!(http_from(&nginx.addr, phone, &qr, &[], None).await.0, 200);
    // Straight to Chorus, the X-Forwarded-For of an untrusted peer is ignored.
    let direct = Ipv4Addr::new(127, 0, 0, 43);
    assert_eq!(http_from(&server.addr, direct, &qr, &[("X-Forwarded-For", "127.0.0.41")], None).await.0, 200);
}

/// Guessing from 32 addresses at once stops each of them after its own small budget, and
/// never refuses a phone that joins with the right code from an address with no failures.
#[actix_web::test]
async fn guessers_on_many_addresses_never_slow_a_clean_address() {
    let server = TestServer::start().await;
    let session = create_session(&server).await;
    let mut looked_up = 0;
    for n in 0..32u8 {
        let guesser = Ipv4Addr::new(127, 0, 1, n);
        let mut answers = Vec::new();
        for guess in 0..6u32 {
            let code = format!("{:08}", 40_000_000 + u32::from(n) * 10 + guess);
            answers.push(outcome(&join_from(&server.ws_url(), guesser, &code, None).await));
        }
        looked_up += answers.iter().filter(|answer| *answer == "not_found").count();
        assert_eq!(answers[3..], ["rate_limited"; 3], "address {guesser}: {answers:?}");
    }
    // Each address got its burst of 3 and no more: 96 codes tried in all, not 192.
    assert_eq!(looked_up, 32 * 3);
    // Copying a session is a way in too: a guarded address learns nothing from it.
    let guesser = Ipv4Addr::new(127, 0, 1, 0);
    for code in [session.code.as_str(), "49999999"] {
        let body =
            json!({"title": "Copy", "copy_from": {"code": code, "host_key": "0123456789abcdef0123456789abcdef"}});
        let (status, answer) = http_from(&server.addr, guesser, "POST /api/sessions", &[], Some(&body)).await;
        assert_eq!(status, 429, "{code}: {answer}");
    }
    for n in 0..20u8 {
        let phone = Ipv4Addr::new(127, 0, 2, n);
        assert_eq!(outcome(&join_from(&server.ws_url(), phone, &session.code, None).await), "welcome", "{phone}");
    }
}

/// One address may start a few sessions and then one every few minutes; others are not
/// slowed by it.
#[actix_web::test]
async fn creating_sessions_is_limited_per_address() {
    let server = TestServer::start().await;
    let body = json!({"title": "Flood", "agenda": []});
    let creator = Ipv4Addr::new(127, 0, 0, 71);
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(http_from(&server.addr, creator, "POST /api/sessions", &[], Some(&body)).await.0);
    }
    assert_eq!(statuses[..10], [201; 10]);
    assert_eq!(statuses[10..], [429, 429]);
    let (_, answer) = http_from(&server.addr, creator, "POST /api/sessions", &[], Some(&body)).await;
    assert!(answer.contains("\"rate_limited\"") && answer.contains("minutes"), "{answer}");
    let other = Ipv4Addr::new(127, 0, 0, 72);
    assert_eq!(http_from(&server.addr, other, "POST /api/sessions", &[], Some(&body)).await.0, 201);
}

/// A session in which nothing happens for the idle time is closed as the facilitator would
/// close it (journaled, exports written); one in use stays open.
#[actix_web::test]
async fn idle_sessions_are_closed_with_their_exports() {
    let server = TestServer::start_with(|settings| settings.close_idle_after = Duration::from_millis(1500)).await;
    let idle = create_session(&server).await;
    let busy = create_session(&server).await;
    let (mut host, _) = Client::host(&server.ws_url(), &busy).await;
    for step in 0..12 {
        host.ok(json!({"type": "goto", "activity": busy.activity(step % 2)})).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let state = |code: &str, key: &str| {
        let url = server.url(&format!("/api/sessions/{code}"));
        let key = key.to_owned();
        async move { get_json(&url, Some(&key)).await.1["state"].clone() }
    };
    assert_eq!(state(&idle.code, &idle.host_key).await, "closed");
    assert_eq!(state(&busy.code, &busy.host_key).await, "live");
    let exports = server.data_dir.path().join("exports").join(&idle.code);
    for _ in 0..100 {
        if std::fs::read_dir(&exports).map(|dir| dir.count()).unwrap_or(0) >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let json_export = std::fs::read(exports.join(format!("chorus-{}.json", idle.code))).expect("the JSON export");
    serde_json::from_slice::<Value>(&json_export).expect("a whole JSON export");
}

/// New participants from one address come in a burst and then slowly; a phone with its
/// token still resumes, and other addresses are not slowed.
#[actix_web::test]
async fn joins_per_address_are_limited_but_resumes_are_not() {
    let server = TestServer::start_with(|settings| {
        settings.limits.budgets.joins_burst = nz(5);
        settings.limits.budgets.join_refill = Duration::from_secs(3600);
    })
    .await;
    let session = create_session(&server).await;
    let venue = Ipv4Addr::new(127, 0, 0, 81);
    let first = join_from(&server.ws_url(), venue, &session.code, None).await;
    let token = first["token"].as_str().expect("token").to_owned();
    let mut answers = Vec::new();
    for _ in 0..6 {
        answers.push(outcome(&join_from(&server.ws_url(), venue, &session.code, None).await));
    }
    assert_eq!(answers, ["welcome", "welcome", "welcome", "welcome", "rate_limited", "rate_limited"]);
    // A made-up token does not make a new participant; the real one resumes.
    let made_up = "0123456789abcdef0123456789abcdef";
    assert_eq!(outcome(&join_from(&server.ws_url(), venue, &session.code, Some(made_up)).await), "rate_limited");
    let back = join_from(&server.ws_url(), venue, &session.code, Some(&token)).await;
    assert_eq!(back["participant_id"], first["participant_id"]);
    let elsewhere = Ipv4Addr::new(127, 0, 0, 82);
    assert_eq!(outcome(&join_from(&server.ws_url(), elsewhere, &session.code, None).await), "welcome");
}

/// Many participants from one address share its message budget; a phone at another address
/// is not slowed. A session stops storing participants' changes at its cap, saying so.
#[actix_web::test]
async fn writes_per_address_and_per_session_are_capped() {
    let server = TestServer::start_with(|settings| {
        settings.limits.budgets.writes_per_second = nz(1);
        settings.limits.budgets.writes_burst = nz(10);
        settings.limits.session_events = 14;
    })
    .await;
    let session = create_session(&server).await;
    let scale = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": scale, "round": "Before"})).await;
    let crowd = Ipv4Addr::new(127, 0, 0, 91);
    let mut outcomes = Vec::new();
    for _ in 0..15 {
        let mut phone = Client::connect_from(&server.ws_url(), crowd).await;
        phone.send(json!({"type": "join", "code": session.code})).await;
        phone.expect("welcome").await;
        let reply = phone
            .request(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 3}))
            .await;
        outcomes.push(if reply["type"] == "ack" { "ack".to_owned() } else { outcome(&reply) });
    }
    let acked = outcomes.iter().filter(|o| *o == "ack").count();
    // A burst of 10, and one more a second while the test runs.
    assert!((10..=12).contains(&acked), "{outcomes:?}");
    assert!(outcomes[13..].iter().all(|o| o == "rate_limited"), "{outcomes:?}");
    // Another address answers; the session's cap (14 changes) is reached along the way.
    let mut phone = Client::connect_from(&server.ws_url(), Ipv4Addr::new(127, 0, 0, 92)).await;
    phone.send(json!({"type": "join", "code": session.code})).await;
    phone.expect("welcome").await;
    let mut codes = Vec::new();
    for value in [1, 2, 3, 4, 5, 1] {
        let reply = phone
            .request(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 1, "value": value}))
            .await;
        codes.push(if reply["type"] == "ack" { "ack".to_owned() } else { outcome(&reply) });
    }
    assert_eq!(codes.iter().filter(|c| *c == "ack").count(), 14 - acked, "{codes:?}");
    assert_eq!(codes.last().map(String::as_str), Some("limit_reached"), "{codes:?}");
}

/// Wrong admin tokens from one address are throttled like wrong join codes: past the
/// budget, the right token is refused too, at that address only.
#[actix_web::test]
async fn admin_token_guessing_is_throttled_per_address() {
    let server = TestServer::start_with(|settings| settings.admin_token = Some("the-real-token".into())).await;
    let body = json!({"title": "Guarded", "agenda": []});
    let guesser = Ipv4Addr::new(127, 0, 0, 101);
    let mut statuses = Vec::new();
    for n in 0..7 {
        let token = format!("Bearer guess-{n}");
        statuses.push(
            http_from(&server.addr, guesser, "POST /api/sessions", &[("Authorization", &token)], Some(&body)).await.0,
        );
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429]);
    let right = [("Authorization", "Bearer the-real-token")];
    assert_eq!(http_from(&server.addr, guesser, "POST /api/sessions", &right, Some(&body)).await.0, 429);
    let organiser = Ipv4Addr::new(127, 0, 0, 102);
    assert_eq!(http_from(&server.addr, organiser, "POST /api/sessions", &right, Some(&body)).await.0, 201);
}

/// NUL, BEL, ESC, other controls and bidi overrides never reach a screen, an export or a
/// terminal; a note of invisible characters is refused as empty.
#[actix_web::test]
async fn control_characters_are_removed_at_the_door() {
    let server = TestServer::start().await;
    let agenda = json!([
        {"kind": "wordcloud", "prompt": "One word"},
        {"kind": "jamboard", "title": "Notes", "frames": ["Notes"]}
    ]);
    let session = create_session_at(&server.url(""), agenda).await;
    let (cloud, board) = (session.activity(0), session.activity(1));
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    host.ok(json!({"type": "goto", "activity": cloud})).await;
    phone.ok(json!({"type": "answer", "activity": cloud, "text": "fam\u{0}il\u{7}y\u{1b}[2J"})).await;
    host.ok(json!({"type": "goto", "activity": board})).await;
    let note = "Time\u{1b}]0;owned\u{7}\nand \u{202e}yenom\u{202c}\u{9b}31m";
    phone.ok(json!({"type": "note_add", "activity": board, "frame": 0, "text": note, "color": "yellow"})).await;
    for invisible in ["\u{200b}\u{200d}\u{feff}", "\u{7}\u{1b}", " \u{2060}\n\u{3164} "] {
        let code = phone
            .refused(json!({"type": "note_add", "activity": board, "frame": 0, "text": invisible, "color": "yellow"}))
            .await;
        assert_eq!(code, "invalid_text", "{invisible:?}");
    }
    host.ok(json!({"type": "close_session"})).await;
    for format in ["csv", "html", "json"] {
        let url = server.url(&format!("/api/sessions/{}/export/{format}", session.code));
        let mut response = awc::Client::new().get(url).bearer_auth(&session.host_key).send().await.expect("export");
        let bytes = response.body().limit(1 << 22).await.expect("body");
        let text = String::from_utf8(bytes.to_vec()).expect("UTF-8");
        let bad: Vec<char> = text
            .chars()
            .filter(|c| (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) || matches!(c, '\u{202a}'..='\u{202e}'))
            .collect();
        assert!(bad.is_empty(), "{format} export holds {bad:?}");
        assert!(text.contains("yenom"), "{format}: the note's words are kept");
    }
}

/// HEAD is answered as GET without a body; `bearer` works in any case; a scale may leave
/// its title out (it is then its first statement).
#[actix_web::test]
async fn head_lower_case_bearer_and_a_scale_without_a_title() {
    let server = TestServer::start().await;
    let local = Ipv4Addr::new(127, 0, 0, 1);
    for path in ["/", "/healthz", "/j/12345678"] {
        let (status, answer) = http_from(&server.addr, local, &format!("HEAD {path}"), &[], None).await;
        assert_eq!(status, 200, "HEAD {path}: {answer}");
        let (_, body) = answer.split_once("\r\n\r\n").expect("a head");
        assert!(body.is_empty(), "HEAD {path} sent a body");
    }
    let agenda = json!([{"kind": "scale", "statements": ["I understand the term co-production", "Another"]}]);
    let session = create_session_at(&server.url(""), agenda).await;
    assert_eq!(session.body["agenda"][0]["title"], "I understand the term co-production");
    let show = format!("GET /api/sessions/{}", session.code);
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let auth = format!("{scheme} {}", session.host_key);
        let (status, answer) = http_from(&server.addr, local, &show, &[("Authorization", &auth)], None).await;
        assert_eq!(status, 200, "{scheme}: {answer}");
    }
}

/// A session filled by joins that never answer: the console removes everyone who has not
/// answered, which frees their places; their tokens no longer resume and their connections
/// can no longer answer. Those who answered stay.
#[actix_web::test]
async fn the_console_removes_participants_who_never_answered() {
    let server = TestServer::start_with(|settings| settings.limits.participants = 3).await;
    let session = create_session(&server).await;
    let scale = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": scale, "round": "Before"})).await;
    let (mut real, real_welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
    real.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 4})).await;
    let (mut silent, silent_welcome) = Client::participant(&server.ws_url(), &session.code, None).await;
    let _third = Client::participant(&server.ws_url(), &session.code, None).await;
    let mut late = Client::connect(&server.ws_url()).await;
    late.send(json!({"type": "join", "code": session.code})).await;
    assert_eq!(late.expect("error").await["error"], "limit_reached", "the session is full");

    host.ok(json!({"type": "remove_silent"})).await;
    let answer = json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 2});
    assert_eq!(silent.refused(answer.clone()).await, "forbidden");
    real.ok(answer).await;
    // Two places are free again; a removed token starts afresh.
    let token = silent_welcome["token"].as_str().expect("token");
    let (_, again) = Client::participant(&server.ws_url(), &session.code, Some(token)).await;
    assert_ne!(again["participant_id"], silent_welcome["participant_id"]);
    Client::participant(&server.ws_url(), &session.code, None).await;
    let real_token = real_welcome["token"].as_str().expect("token");
    let (_, back) = Client::participant(&server.ws_url(), &session.code, Some(real_token)).await;
    assert_eq!(back["participant_id"], real_welcome["participant_id"]);
    let (_, info) = get_json(&server.url(&format!("/api/sessions/{}", session.code)), Some(&session.host_key)).await;
    assert_eq!(info["participants"], 3, "{info}");
}
