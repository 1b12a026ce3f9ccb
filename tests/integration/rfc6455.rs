//! RFC 6455 to the letter: hand-made frames on a plain TCP socket, after a real handshake with
//! the real server, for the cases of §5 (masking, reserved bits and opcodes, control frames'
//! length and fragmentation, control frames between fragments, continuations out of place),
//! close codes and reasons (§5.5.1, §7.4) and invalid UTF-8 (§8.1). Each case checks the close
//! code the server answers with, that it answers with a close frame at all (never a dropped
//! socket), and that it then ends the TCP connection (§7.1.1).

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use crate::common::*;

const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CONTINUATION: u8 = 0x0;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xA;
const FIN: u8 = 0x80;

/// 1002: the peer broke the protocol.
const PROTOCOL_ERROR: u16 = 1002;
/// 1003: data of a type the server does not take (binary).
const UNSUPPORTED: u16 = 1003;
/// 1007: data not consistent with its type (text or a close reason that is not UTF-8).
const INVALID_PAYLOAD: u16 = 1007;
/// 1009: a message over the server's limit.
const TOO_BIG: u16 = 1009;

/// The server's limit on a client message (`chorus::ws::MAX_FRAME`).
const LIMIT: usize = chorus::ws::MAX_FRAME;

/// A client frame, masked as §5.3 requires, with `first` as its first byte (FIN, RSV, opcode).
fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut out = header(first, 0x80, payload.len());
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, byte)| byte ^ mask[i % 4]));
    out
}

/// A client frame without a mask, which §5.1 forbids.
fn unmasked(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = header(first, 0, payload.len());
    out.extend_from_slice(payload);
    out
}

fn header(first: u8, mask_bit: u8, len: usize) -> Vec<u8> {
    match len {
        0..=125 => vec![first, mask_bit | len as u8],
        126..=0xFFFF => {
            let mut out = vec![first, mask_bit | 126];
            out.extend_from_slice(&(len as u16).to_be_bytes());
            out
        }
        _ => {
            let mut out = vec![first, mask_bit | 127];
            out.extend_from_slice(&(len as u64).to_be_bytes());
            out
        }
    }
}

/// A close frame's payload: a status code and a reason.
fn close_payload(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(reason);
    payload
}

/// A frame as the server sent it.
#[derive(Debug)]
struct Frame {
    fin: bool,
    opcode: u8,
    payload: Vec<u8>,
}

/// A WebSocket spoken by hand.
struct Raw {
    stream: TcpStream,
    read: Vec<u8>,
    /// This side has sent a close frame.
    closing: bool,
}

impl Raw {
    /// Opens a TCP connection and makes the opening handshake (§4.1), checking the server's
    /// answer to the key.
    async fn connect(server: &TestServer) -> Self {
        let mut stream = TcpStream::connect(&server.addr).await.expect("TCP connect");
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let request = format!(
            "GET /ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n",
            server.addr
        );
        stream.write_all(request.as_bytes()).await.expect("handshake written");
        let mut raw = Self { stream, read: Vec::new(), closing: false };
        let end = loop {
            if let Some(end) = raw.read.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            assert!(raw.more().await, "the server ended the connection during the handshake");
        };
        let head = String::from_utf8(raw.read.drain(..end).collect()).expect("handshake is text");
        assert!(head.starts_with("HTTP/1.1 101"), "no 101 Switching Protocols: {head}");
        let accept = derive_accept_key(key.as_bytes());
        assert!(
            head.lines().any(|line| line.eq_ignore_ascii_case(&format!("sec-websocket-accept: {accept}"))),
            "wrong or missing Sec-WebSocket-Accept: {head}"
        );
        assert!(!head.to_ascii_lowercase().contains("sec-websocket-extensions"), "no extension may be agreed: {head}");
        raw
    }

    /// Reads more bytes; false at the end of the stream.
    async fn more(&mut self) -> bool {
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(PATIENCE, self.stream.read(&mut chunk))
            .await
            .expect("the server answered in time")
            .unwrap_or(0);
        self.read.extend_from_slice(&chunk[..n]);
        n > 0
    }

    async fn send(&mut self, bytes: &[u8]) {
        // The server may have closed already (after an earlier frame of the same case): what
        // it answered is what counts.
        let _ = self.stream.write_all(bytes).await;
    }

    /// The next frame from the server, or `None` when it ended the connection. Frames from
    /// the server are never masked (§5.1).
    async fn frame(&mut self) -> Option<Frame> {
        loop {
            if self.read.len() >= 2 {
                let (first, second) = (self.read[0], self.read[1]);
                assert_eq!(second & 0x80, 0, "the server masked a frame");
                assert_eq!(first & 0x70, 0, "the server set reserved bits");
                let (start, len) = match second & 0x7F {
                    126 if self.read.len() >= 4 => (4, u16::from_be_bytes([self.read[2], self.read[3]]) as usize),
                    127 if self.read.len() >= 10 => {
                        (10, u64::from_be_bytes(self.read[2..10].try_into().expect("8 bytes")) as usize)
                    }
                    126 | 127 => (usize::MAX, 0),
                    len => (2, len as usize),
                };
                if start != usize::MAX && self.read.len() >= start + len {
                    let payload = self.read[start..start + len].to_vec();
                    self.read.drain(..start + len);
                    return Some(Frame { fin: first & FIN != 0, opcode: first & 0x0F, payload });
                }
            }
            if !self.more().await {
                assert!(self.read.is_empty(), "the server ended the connection in the middle of a frame");
                return None;
            }
        }
    }

    /// The next frame that is not a heartbeat ping.
    async fn next(&mut self) -> Option<Frame> {
        loop {
            match self.frame().await {
                Some(Frame { opcode: PING, .. }) => {}
                other => return other,
            }
        }
    }

    /// The next JSON message from the server.
    async fn message(&mut self) -> Value {
        let frame = self.next().await.expect("a message, not the end of the connection");
        assert_eq!((frame.fin, frame.opcode), (true, TEXT), "a whole text frame: {frame:?}");
        serde_json::from_slice(&frame.payload).expect("JSON")
    }

    /// Sends a close frame of this side's own.
    async fn send_close(&mut self, code: Option<u16>) {
        self.send(&frame_close(code)).await;
        self.closing = true;
    }

    /// The close frame that ends this connection: its code (`None` for an empty payload). The
    /// server must send one rather than drop the socket, send nothing after it, and end its
    /// side of the TCP connection at once (7.1.1). This side then answers (unless it began
    /// the closing handshake) and ends its own.
    async fn closed(&mut self) -> Option<u16> {
        let frame = loop {
            match self.next().await {
                Some(frame) if frame.opcode == CLOSE => break frame,
                // A refusal in plain words, or the answer to a ping sent first, may come before.
                Some(frame) if frame.opcode == TEXT || frame.opcode == PONG => {}
                Some(frame) => panic!("expected a close frame, got {frame:?}"),
                None => panic!("the server dropped the connection without a close frame"),
            }
        };
        assert!(frame.fin, "a fragmented close frame");
        let code = match frame.payload.len() {
            0 => None,
            1 => panic!("a 1-byte close payload"),
            _ => Some(u16::from_be_bytes([frame.payload[0], frame.payload[1]])),
        };
        std::str::from_utf8(&frame.payload[2.min(frame.payload.len())..]).expect("a UTF-8 close reason");
        assert!(self.frame().await.is_none(), "the server sent a frame after its close frame");
        if !self.closing {
            self.send_close(code).await;
        }
        let _ = self.stream.shutdown().await;
        code
    }
}

fn frame_close(code: Option<u16>) -> Vec<u8> {
    frame(FIN | CLOSE, &code.map(|code| close_payload(code, b"")).unwrap_or_default())
}

/// Sends `frames` on a fresh connection and returns the close code they earn.
async fn close_code_for(server: &TestServer, frames: &[Vec<u8>]) -> Option<u16> {
    let mut raw = Raw::connect(server).await;
    for bytes in frames {
        raw.send(bytes).await;
        raw.closing |= bytes.first().is_some_and(|first| first & 0x0F == CLOSE);
    }
    raw.closed().await
}

/// Checks every case, reporting all that fail at once.
async fn expect_codes(server: &TestServer, cases: Vec<(String, Vec<Vec<u8>>, Option<u16>)>) {
    let mut wrong = Vec::new();
    for (name, frames, expected) in cases {
        let got = close_code_for(server, &frames).await;
        if got != expected {
            wrong.push(format!("{name}: closed with {got:?}, expected {expected:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[actix_web::test]
async fn frames_breaking_the_framing_rules_fail_the_connection_with_1002() {
    let server = TestServer::start().await;
    let hello = br#"{"type":"nope"}"#;
    let mut cases = vec![
        ("an unmasked text frame (5.1)".to_owned(), vec![unmasked(FIN | TEXT, hello)], Some(PROTOCOL_ERROR)),
        ("an unmasked ping (5.1)".to_owned(), vec![unmasked(FIN | PING, b"")], Some(PROTOCOL_ERROR)),
    ];
    for (bit, name) in [(0x40, "RSV1"), (0x20, "RSV2"), (0x10, "RSV3"), (0x70, "RSV1+2+3")] {
        cases.push((
            format!("{name} on a text frame (5.2)"),
            vec![frame(FIN | bit | TEXT, hello)],
            Some(PROTOCOL_ERROR),
        ));
        cases.push((format!("{name} on a ping (5.2)"), vec![frame(FIN | bit | PING, b"")], Some(PROTOCOL_ERROR)));
    }
    // After a good frame, so that the error is found on a later frame of the same read.
    cases.push((
        "RSV1 after a ping in the same packet (5.2)".to_owned(),
        vec![[frame(FIN | PING, b"a"), frame(FIN | 0x40 | TEXT, hello)].concat()],
        Some(PROTOCOL_ERROR),
    ));
    for opcode in [0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF] {
        cases.push((
            format!("reserved opcode {opcode:#x} (5.2)"),
            vec![frame(FIN | opcode, b"")],
            Some(PROTOCOL_ERROR),
        ));
        cases.push((
            format!("reserved opcode {opcode:#x} with a payload, unfinished (5.2)"),
            vec![frame(opcode, b"payload")],
            Some(PROTOCOL_ERROR),
        ));
    }
    for (opcode, name) in [(PING, "ping"), (PONG, "pong"), (CLOSE, "close")] {
        let long = if opcode == CLOSE { close_payload(1000, &[b'a'; 124]) } else { vec![b'a'; 126] };
        cases.push((format!("a {name} of 126 bytes (5.5)"), vec![frame(FIN | opcode, &long)], Some(PROTOCOL_ERROR)));
        let payload = if opcode == CLOSE { close_payload(1000, b"") } else { b"abc".to_vec() };
        cases.push((
            format!("a fragmented {name}: FIN clear (5.5)"),
            vec![frame(opcode, &payload), frame(FIN | CONTINUATION, b"")],
            Some(PROTOCOL_ERROR),
        ));
        cases.push((
            format!("a fragmented {name} inside a fragmented message (5.5)"),
            vec![frame(TEXT, b"{\"type\":"), frame(opcode, &payload)],
            Some(PROTOCOL_ERROR),
        ));
    }
    // Refused from the header alone, before any of the payload has come.
    cases.push((
        "the header of a ping of 65,536 bytes (5.5)".to_owned(),
        vec![[vec![FIN | PING, 0x80 | 127], 65_536u64.to_be_bytes().to_vec()].concat()],
        Some(PROTOCOL_ERROR),
    ));
    cases.push((
        "a 64-bit length with its most significant bit set (5.2)".to_owned(),
        vec![[vec![FIN | TEXT, 0x80 | 127], (1u64 << 63).to_be_bytes().to_vec()].concat()],
        Some(PROTOCOL_ERROR),
    ));
    cases.extend([
        (
            "a final continuation with no message started (5.4)".to_owned(),
            vec![frame(FIN | CONTINUATION, hello)],
            Some(PROTOCOL_ERROR),
        ),
        (
            "an unfinished continuation with no message started (5.4)".to_owned(),
            vec![frame(CONTINUATION, hello)],
            Some(PROTOCOL_ERROR),
        ),
        (
            "a continuation after a whole message (5.4)".to_owned(),
            vec![frame(FIN | TEXT, br#"{"type":"nope","id":1}"#), frame(FIN | CONTINUATION, b"x")],
            Some(PROTOCOL_ERROR),
        ),
        (
            "a new text frame while a message is open (5.4)".to_owned(),
            vec![frame(TEXT, b"{\"type\":"), frame(FIN | TEXT, hello)],
            Some(PROTOCOL_ERROR),
        ),
        (
            "a new unfinished text frame while a message is open (5.4)".to_owned(),
            vec![frame(TEXT, b"{\"type\":"), frame(TEXT, b"{")],
            Some(PROTOCOL_ERROR),
        ),
        (
            "a binary frame while a text message is open (5.4)".to_owned(),
            vec![frame(TEXT, b"{\"type\":"), frame(FIN | BINARY, b"\x01")],
            Some(PROTOCOL_ERROR),
        ),
    ]);
    expect_codes(&server, cases).await;
    server.stop().await;
}

#[actix_web::test]
async fn text_that_is_not_utf8_fails_with_1007_and_a_char_split_across_fragments_does_not() {
    let server = TestServer::start().await;
    expect_codes(
        &server,
        vec![
            (
                "a lone continuation byte".to_owned(),
                vec![frame(FIN | TEXT, b"{\"type\":\"\x80\"}")],
                Some(INVALID_PAYLOAD),
            ),
            ("an overlong encoding".to_owned(), vec![frame(FIN | TEXT, b"\xC0\xAF")], Some(INVALID_PAYLOAD)),
            ("a UTF-16 surrogate".to_owned(), vec![frame(FIN | TEXT, b"\xED\xA0\x80")], Some(INVALID_PAYLOAD)),
            ("beyond U+10FFFF".to_owned(), vec![frame(FIN | TEXT, b"\xF4\x90\x80\x80")], Some(INVALID_PAYLOAD)),
            (
                "a truncated sequence at the end".to_owned(),
                vec![frame(FIN | TEXT, b"abc\xE2\x82")],
                Some(INVALID_PAYLOAD),
            ),
            (
                "invalid bytes in the first fragment".to_owned(),
                vec![frame(TEXT, b"\xFF\xFE"), frame(FIN | CONTINUATION, b"abc")],
                Some(INVALID_PAYLOAD),
            ),
            (
                "invalid bytes in the last fragment".to_owned(),
                vec![frame(TEXT, b"abc"), frame(FIN | CONTINUATION, b"\xFF")],
                Some(INVALID_PAYLOAD),
            ),
            (
                "a sequence split across fragments that is invalid whole".to_owned(),
                vec![frame(TEXT, b"\xE2\x82"), frame(FIN | CONTINUATION, b"\x28")],
                Some(INVALID_PAYLOAD),
            ),
            (
                "a message that ends inside a split sequence".to_owned(),
                vec![frame(TEXT, b"abc"), frame(CONTINUATION, b"\xF0\x9F"), frame(FIN | CONTINUATION, b"\x98")],
                Some(INVALID_PAYLOAD),
            ),
        ],
    )
    .await;

    // "€" (E2 82 AC) split over three fragments is valid text: the server reads the message
    // and refuses it for what it says, keeping the connection.
    let mut raw = Raw::connect(&server).await;
    raw.send(&frame(TEXT, b"{\"type\":\"\xE2")).await;
    raw.send(&frame(CONTINUATION, b"\x82")).await;
    raw.send(&frame(FIN | CONTINUATION, b"\xAC\",\"id\":5}")).await;
    let refusal = raw.message().await;
    assert_eq!(refusal["type"], "error", "{refusal}");
    assert_eq!(refusal["id"], 5, "{refusal}");
    assert_eq!(refusal["error"], "unknown_type", "{refusal}");
    assert!(refusal["message"].as_str().is_some_and(|m| m.contains('€')), "{refusal}");
    raw.send_close(Some(1000)).await;
    assert_eq!(raw.closed().await, Some(1000));
    server.stop().await;
}

#[actix_web::test]
async fn close_codes_are_checked_and_a_valid_one_is_echoed() {
    let server = TestServer::start().await;
    let mut cases = vec![
        ("an empty close".to_owned(), vec![frame(FIN | CLOSE, b"")], Some(1000)),
        ("a 1-byte close payload".to_owned(), vec![frame(FIN | CLOSE, b"\x03")], Some(PROTOCOL_ERROR)),
        (
            "a close reason that is not UTF-8".to_owned(),
            vec![frame(FIN | CLOSE, &close_payload(1000, b"bye \xFF"))],
            Some(INVALID_PAYLOAD),
        ),
        (
            "a close reason cut inside a sequence".to_owned(),
            vec![frame(FIN | CLOSE, &close_payload(1001, b"\xE2\x82"))],
            Some(INVALID_PAYLOAD),
        ),
        (
            "a close with a reason of 123 bytes".to_owned(),
            vec![frame(FIN | CLOSE, &close_payload(1000, &[b'a'; 123]))],
            Some(1000),
        ),
        (
            "a close with a UTF-8 reason".to_owned(),
            vec![frame(FIN | CLOSE, &close_payload(3000, "au revoir, à bientôt".as_bytes()))],
            Some(3000),
        ),
    ];
    for code in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4008, 4999] {
        cases.push((format!("close code {code}"), vec![frame(FIN | CLOSE, &close_payload(code, b""))], Some(code)));
    }
    for code in [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 6000, 65_535] {
        cases.push((
            format!("invalid close code {code}"),
            vec![frame(FIN | CLOSE, &close_payload(code, b""))],
            Some(PROTOCOL_ERROR),
        ));
    }
    expect_codes(&server, cases).await;
    server.stop().await;
}

#[actix_web::test]
async fn binary_and_oversized_messages_are_refused_with_their_own_codes() {
    let server = TestServer::start().await;
    expect_codes(
        &server,
        vec![
            ("a binary message".to_owned(), vec![frame(FIN | BINARY, b"\x01\x02")], Some(UNSUPPORTED)),
            (
                "a fragmented binary message".to_owned(),
                vec![frame(BINARY, b"\x01"), frame(FIN | CONTINUATION, b"\x02")],
                Some(UNSUPPORTED),
            ),
            (
                "a text frame one byte over the limit".to_owned(),
                vec![frame(FIN | TEXT, &vec![b' '; LIMIT + 1])],
                Some(TOO_BIG),
            ),
            (
                "fragments one byte over the limit together".to_owned(),
                vec![frame(TEXT, &vec![b' '; LIMIT / 2]), frame(FIN | CONTINUATION, &vec![b' '; LIMIT / 2 + 1])],
                Some(TOO_BIG),
            ),
            // Refused from the header alone: nothing of it is buffered.
            (
                "the header of a text frame announcing 2^62 bytes".to_owned(),
                vec![[vec![FIN | TEXT, 0x80 | 127], (1u64 << 62).to_be_bytes().to_vec()].concat()],
                Some(TOO_BIG),
            ),
            (
                "the header of a text frame one byte over the limit".to_owned(),
                vec![[vec![FIN | TEXT, 0x80 | 126], (LIMIT as u16 + 1).to_be_bytes().to_vec()].concat()],
                Some(TOO_BIG),
            ),
        ],
    )
    .await;
    server.stop().await;
}

#[actix_web::test]
async fn pings_are_answered_and_control_frames_may_come_between_fragments() {
    let server = TestServer::start().await;
    let mut raw = Raw::connect(&server).await;

    // A ping's payload comes back in the pong, up to the 125 bytes a control frame may carry.
    for payload in [b"".to_vec(), b"hello".to_vec(), vec![b'p'; 125]] {
        raw.send(&frame(FIN | PING, &payload)).await;
        let pong = raw.next().await.expect("a pong");
        assert_eq!((pong.fin, pong.opcode), (true, PONG), "{pong:?}");
        assert_eq!(pong.payload, payload);
    }

    // A message in three fragments, with a ping, an unasked pong and another ping between
    // them (5.4): the pings are answered at once, and the message is read whole.
    raw.send(&frame(TEXT, br#"{"type":"#)).await;
    raw.send(&frame(FIN | PING, b"first")).await;
    let pong = raw.next().await.expect("a pong between fragments");
    assert_eq!((pong.opcode, pong.payload.as_slice()), (PONG, &b"first"[..]));
    raw.send(&frame(CONTINUATION, br#""nope","#)).await;
    raw.send(&[frame(FIN | PONG, b"unasked"), frame(FIN | PING, b"second")].concat()).await;
    let pong = raw.next().await.expect("a pong between fragments");
    assert_eq!((pong.opcode, pong.payload.as_slice()), (PONG, &b"second"[..]), "an unasked pong is not answered");
    raw.send(&frame(FIN | CONTINUATION, br#""id":7}"#)).await;
    let refusal = raw.message().await;
    assert_eq!((refusal["type"].as_str(), refusal["id"].as_u64()), (Some("error"), Some(7)), "{refusal}");
    assert_eq!(refusal["error"], "unknown_type", "{refusal}");

    // Several frames in one packet, and a frame split over several packets, read alike.
    raw.send(&[frame(FIN | PING, b"a"), frame(FIN | PING, b"b")].concat()).await;
    let split = frame(FIN | PING, b"split");
    for byte in &split {
        raw.send(std::slice::from_ref(byte)).await;
    }
    for expected in [&b"a"[..], b"b", b"split"] {
        let pong = raw.next().await.expect("a pong");
        assert_eq!((pong.opcode, pong.payload.as_slice()), (PONG, expected));
    }

    // The connection is still good: a close is echoed.
    raw.send_close(Some(4000)).await;
    assert_eq!(raw.closed().await, Some(4000));
    server.stop().await;
}

/// A close sent while a fragmented message is open ends the connection cleanly (5.4 lets a
/// control frame come between fragments; 5.5.1 says it is then answered).
#[actix_web::test]
async fn a_close_between_fragments_is_echoed() {
    let server = TestServer::start().await;
    let code = close_code_for(&server, &[frame(TEXT, b"{\"type\":"), frame_close(Some(1001))]).await;
    assert_eq!(code, Some(1001));
    server.stop().await;
}
