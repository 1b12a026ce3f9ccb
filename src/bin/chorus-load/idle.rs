//! Phones that join and then never read again: the slow consumers of `--idle`, and of the
//! integration test `slow` (which includes this file, and opens a console that never reads).
//!
//! They are written on bare sockets, because a WebSocket library answers pings (and so
//! writes) whenever it reads; these do nothing at all after their `join`, like a phone whose
//! browser froze with the page open.

use std::net::SocketAddr;

use anyhow::Context;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct IdlePhone(TcpStream);

impl IdlePhone {
    /// Connects, upgrades and joins, without waiting for any answer.
    pub async fn join(target: SocketAddr, code: &str) -> anyhow::Result<Self> {
        let socket = TcpStream::connect(target).await.context("connect")?;
        Self::open(socket, target, &[json!({"type": "join", "code": code})]).await
    }

    /// Upgrades a connected `socket` and sends `messages`, without waiting for any answer.
    pub async fn open(mut socket: TcpStream, target: SocketAddr, messages: &[Value]) -> anyhow::Result<Self> {
        let request = format!(
            "GET /ws HTTP/1.1\r\nHost: {target}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        let mut bytes = request.into_bytes();
        for message in messages {
            let text = message.to_string();
            // A client's frame is masked; a mask of zeros leaves the text as it is.
            match u16::try_from(text.len())? {
                short @ 0..126 => bytes.extend_from_slice(&[0x81, 0x80 | u8::try_from(short)?]),
                long => {
                    bytes.extend_from_slice(&[0x81, 0x80 | 126]);
                    bytes.extend_from_slice(&long.to_be_bytes());
                }
            }
            bytes.extend_from_slice(&[0, 0, 0, 0]);
            bytes.extend_from_slice(text.as_bytes());
        }
        socket.write_all(&bytes).await?;
        Ok(Self(socket))
    }

    /// Reads everything the server sent and returns the code and reason of its close frame:
    /// `None` when the connection ended without one (or the read failed).
    pub async fn goodbye(mut self) -> Option<(u16, String)> {
        let mut bytes = Vec::new();
        self.0.read_to_end(&mut bytes).await.ok()?;
        let start = bytes.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
        let mut rest = &bytes[start..];
        // Server frames are unmasked: opcode, length (7 bits, or 16 or 64 more), payload.
        while rest.len() >= 2 {
            let (len, header) = match rest[1] & 0x7f {
                126 => (usize::from(u16::from_be_bytes([*rest.get(2)?, *rest.get(3)?])), 4),
                127 => (usize::try_from(u64::from_be_bytes(rest.get(2..10)?.try_into().ok()?)).ok()?, 10),
                short => (usize::from(short), 2),
            };
            let payload = rest.get(header..header + len)?;
            if rest[0] & 0x0f == 0x8 {
                let code = u16::from_be_bytes([*payload.first()?, *payload.get(1)?]);
                return Some((code, String::from_utf8_lossy(&payload[2..]).into_owned()));
            }
            rest = &rest[header + len..];
        }
        None
    }
}
