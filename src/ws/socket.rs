//! A WebSocket on a socket this server owns, holding no buffer while it is idle.
//!
//! actix-http frames and parses (`ws::Parser`); this module decides where bytes wait. An idle
//! connection holds neither a read nor a write buffer: a read lands in a stack buffer and is
//! kept only while a frame is incomplete, and a write goes straight to the kernel, keeping
//! only what the kernel would not take yet until it has gone. With 19,000 phones on one
//! process that is most of the memory a connection costs (see docs/performance.md). Frames
//! that go to many sockets are serialised once, by the session: each socket writes its own
//! few header bytes ([`TextHeader`]) before the same shared payload, several frames in one
//! system call.

use std::io::{self, IoSlice};
use std::time::Duration;

use actix_http::ws::{CloseCode, CloseReason, OpCode, Parser, ProtocolError};
use bytes::{Buf, Bytes, BytesMut};
use bytestring::ByteString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Bytes taken from the kernel per read: every client message is far smaller.
const READ_CHUNK: usize = 4096;
/// The longest frame header (2 bytes, an 8-byte length and a 4-byte mask).
const MAX_HEADER: usize = 14;
/// Frames written in one system call at most.
const MAX_SLICES: usize = 16;
/// RSV1, RSV2 and RSV3 of a frame's first byte (RFC 6455 §5.2): no extension is negotiated, so
/// any of them set fails the connection.
const RSV_BITS: u8 = 0b0111_0000;
const FIN_BIT: u8 = 0b1000_0000;
/// Opcodes 8 to 15 are control frames (RFC 6455 §5.5).
const CONTROL_BIT: u8 = 0b0000_1000;
/// The longest payload of a control frame (RFC 6455 §5.5).
const MAX_CONTROL: u8 = 125;

/// A complete message from the peer.
#[derive(Debug)]
pub enum Incoming {
    Text(ByteString),
    Binary,
    Ping(Bytes),
    Pong,
    /// The peer's goodbye, with its status code if it gave one (to be echoed, RFC 6455 §5.5.1).
    Close(Option<CloseCode>),
}

/// Why reading from the peer stopped.
#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    #[error("message over the size limit")]
    TooBig,
    #[error("text message or close reason that is not UTF-8")]
    NotUtf8,
    /// actix-http reports reserved bits as an I/O error, which would end the connection
    /// without the close frame RFC 6455 §5.2 calls for; they are caught here first.
    #[error("frame with reserved bits set and no extension negotiated")]
    ReservedBits,
    #[error("control frame in fragments")]
    FragmentedControl,
    #[error("control frame longer than 125 bytes")]
    LongControl,
    #[error("frame length with its most significant bit set")]
    BadLength,
    #[error("WebSocket protocol error: {0}")]
    Protocol(ProtocolError),
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl From<ProtocolError> for SocketError {
    fn from(err: ProtocolError) -> Self {
        match err {
            ProtocolError::Overflow => SocketError::TooBig,
            ProtocolError::Io(io) => SocketError::Io(io),
            other => SocketError::Protocol(other),
        }
    }
}

/// Why a write did not go out.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The peer took nothing for the write stall limit.
    #[error("the peer stopped taking frames")]
    Stalled,
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// The server's end of one WebSocket.
pub struct Socket {
    io: TcpStream,
    /// Bytes read but not yet a whole frame; unallocated when there are none.
    read: BytesMut,
    /// A text message arriving in several frames.
    fragments: Option<BytesMut>,
    /// What the kernel has not taken yet; unallocated when there is nothing.
    unsent: BytesMut,
    /// Largest message accepted, whole or in fragments.
    max_message: usize,
    /// How long a write may wait for the peer to take it.
    write_stall: Duration,
    /// The peer closed its side.
    eof: bool,
    /// The peer broke the protocol: nothing more it sends is read as frames.
    failed: bool,
}

/// The header of a whole, unmasked text frame (RFC 6455 §5.2) whose payload, serialised
/// once, goes to many sockets: the header is the only part written per socket.
#[derive(Debug, Clone, Copy)]
pub struct TextHeader {
    bytes: [u8; 10],
    len: u8,
}

impl TextHeader {
    pub fn new(payload: usize) -> Self {
        // FIN and the text opcode; a server's frames are not masked.
        let mut bytes = [0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let len = match payload {
            0..=125 => {
                bytes[1] = payload as u8;
                2
            }
            126..=0xFFFF => {
                bytes[1] = 126;
                bytes[2..4].copy_from_slice(&(payload as u16).to_be_bytes());
                4
            }
            _ => {
                bytes[1] = 127;
                bytes[2..10].copy_from_slice(&(payload as u64).to_be_bytes());
                10
            }
        };
        Self { bytes, len }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl Socket {
    /// Takes over an upgraded connection; `read` is whatever arrived after the handshake.
    pub fn new(io: TcpStream, read: BytesMut, max_message: usize, write_stall: Duration) -> Self {
        let read = if read.is_empty() { BytesMut::new() } else { read };
        Self { io, read, fragments: None, unsent: BytesMut::new(), max_message, write_stall, eof: false, failed: false }
    }

    /// The next message, or `None` once the peer has gone. Cancel-safe: nothing read is lost
    /// if the future is dropped, so it can sit in a `select!`.
    pub async fn recv(&mut self) -> Option<Result<Incoming, SocketError>> {
        loop {
            match self.parse() {
                Ok(Some(message)) => return Some(Ok(message)),
                Ok(None) if self.eof => return None,
                Ok(None) => {}
                Err(err) => {
                    self.failed = !matches!(err, SocketError::Io(_));
                    return Some(Err(err));
                }
            }
            if let Err(err) = self.io.readable().await {
                return Some(Err(err.into()));
            }
            if let Err(err) = self.fill() {
                return Some(Err(err.into()));
            }
        }
    }

    /// Reads what the kernel has, if anything, without waiting.
    fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; READ_CHUNK];
        match self.io.try_read(&mut chunk) {
            Ok(0) => self.eof = true,
            Ok(n) => self.read.extend_from_slice(&chunk[..n]),
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
            Err(err) => return Err(err),
        }
        Ok(())
    }

    /// The next whole message among the bytes read, if there is one.
    fn parse(&mut self) -> Result<Option<Incoming>, SocketError> {
        loop {
            check_header(&self.read, self.max_message)?;
            let parsed = Parser::parse(&mut self.read, true, self.max_message);
            if self.read.is_empty() {
                // Frees the buffer (a payload split from it keeps its own bytes alive).
                self.read = BytesMut::new();
            }
            let Some((fin, opcode, payload)) = parsed? else { return Ok(None) };
            let payload = payload.unwrap_or_default();
            match opcode {
                OpCode::Text | OpCode::Binary if self.fragments.is_some() => {
                    return Err(ProtocolError::ContinuationStarted.into());
                }
                OpCode::Text if fin => return text(payload).map(Some),
                OpCode::Text => self.fragments = Some(payload),
                OpCode::Binary => return Ok(Some(Incoming::Binary)),
                OpCode::Continue => {
                    let Some(fragments) = self.fragments.as_mut() else {
                        return Err(ProtocolError::ContinuationNotStarted.into());
                    };
                    if fragments.len() + payload.len() > self.max_message {
                        return Err(SocketError::TooBig);
                    }
                    fragments.extend_from_slice(&payload);
                    if fin && let Some(whole) = self.fragments.take() {
                        return text(whole).map(Some);
                    }
                }
                OpCode::Ping => return Ok(Some(Incoming::Ping(payload.freeze()))),
                OpCode::Pong => return Ok(Some(Incoming::Pong)),
                OpCode::Close => return close_code(&payload).map(|code| Some(Incoming::Close(code))),
                OpCode::Bad => return Err(ProtocolError::BadOpCode.into()),
            }
        }
    }

    /// Writes encoded frames, returning once the kernel has taken all of them. Not
    /// cancel-safe: a caller that gives up on a write must give up on the connection.
    pub async fn write(&mut self, frames: &[&[u8]]) -> Result<(), WriteError> {
        let written = if self.unsent.is_empty() { self.try_write(frames)? } else { 0 };
        for rest in remaining(frames, written) {
            self.unsent.extend_from_slice(rest);
        }
        if self.unsent.is_empty() {
            return Ok(());
        }
        // The peer is behind. The wait is boxed: it is rare, and inline its timer would
        // weigh on every connection's future for the connection's whole life.
        let limit = self.write_stall;
        match Box::pin(tokio::time::timeout(limit, self.flush())).await {
            Ok(flushed) => Ok(flushed?),
            Err(_) => Err(WriteError::Stalled),
        }
    }

    /// Writes text frames encoded here, for messages meant for this peer alone: all of them
    /// in one buffer, one allocation.
    pub async fn write_text(&mut self, texts: &[String]) -> Result<(), WriteError> {
        let size = texts.iter().map(|text| text.len() + MAX_HEADER).sum();
        let mut frames = BytesMut::with_capacity(size);
        for text in texts {
            Parser::write_message(&mut frames, text, OpCode::Text, true, false);
        }
        self.write(&[&frames]).await
    }

    pub async fn ping(&mut self) -> Result<(), WriteError> {
        self.control(OpCode::Ping, b"").await
    }

    pub async fn pong(&mut self, payload: &[u8]) -> Result<(), WriteError> {
        self.control(OpCode::Pong, payload).await
    }

    async fn control(&mut self, opcode: OpCode, payload: &[u8]) -> Result<(), WriteError> {
        let mut frame = BytesMut::with_capacity(payload.len() + MAX_HEADER);
        Parser::write_message(&mut frame, payload, opcode, true, false);
        self.write(&[&frame]).await
    }

    /// Says goodbye with `reason`, then waits for the peer's own close frame (or its end of
    /// the stream) before the socket is dropped, so that the kernel does not reset a
    /// connection with unread bytes and lose the goodbye on the way. The caller bounds the
    /// wait.
    pub async fn close(&mut self, reason: Option<CloseReason>) {
        let mut frame = BytesMut::new();
        Parser::write_close(&mut frame, reason, false);
        if self.write(&[&frame]).await.is_err() || self.io.shutdown().await.is_err() {
            return;
        }
        self.fragments = None;
        while !self.failed {
            match self.recv().await {
                Some(Ok(Incoming::Close(_)) | Err(SocketError::Io(_))) | None => return,
                Some(_) => {}
            }
        }
        // A peer that broke the protocol is not read any further (RFC 6455 §7.1.7): what it
        // still sends is let go of until it ends its side, for the same reason as above.
        self.read = BytesMut::new();
        let mut chunk = [0u8; READ_CHUNK];
        while let Ok(1..) = self.io.read(&mut chunk).await {}
    }

    /// Writes as much as the kernel takes now, in as few system calls as it allows.
    fn try_write(&self, frames: &[&[u8]]) -> io::Result<usize> {
        let total: usize = frames.iter().map(|frame| frame.len()).sum();
        let mut written = 0;
        while written < total {
            let mut slices = [IoSlice::new(&[]); MAX_SLICES];
            let mut count = 0;
            for (slot, rest) in slices.iter_mut().zip(remaining(frames, written)) {
                *slot = IoSlice::new(rest);
                count += 1;
            }
            match self.io.try_write_vectored(&slices[..count]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => written += n,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                Err(err) => return Err(err),
            }
        }
        Ok(written)
    }

    /// Waits until the kernel has taken everything unsent, then frees the buffer.
    async fn flush(&mut self) -> io::Result<()> {
        while !self.unsent.is_empty() {
            self.io.writable().await?;
            match self.io.try_write(&self.unsent) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.unsent.advance(n),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                Err(err) => return Err(err),
            }
        }
        self.unsent = BytesMut::new();
        Ok(())
    }
}

/// What is left of `frames` once their first `written` bytes have gone.
fn remaining<'a>(frames: &'a [&'a [u8]], written: usize) -> impl Iterator<Item = &'a [u8]> {
    let mut skip = written;
    frames.iter().filter_map(move |frame| {
        let rest = frame.get(skip..).filter(|rest| !rest.is_empty());
        skip = skip.saturating_sub(frame.len());
        rest
    })
}

/// The status code of a close frame's payload, checked as RFC 6455 §5.5.1 and §7.4 say: empty
/// or a valid code, then a reason in UTF-8 (which fails as a text message would, 1007).
fn close_code(payload: &[u8]) -> Result<Option<CloseCode>, SocketError> {
    if payload.get(2..).is_some_and(|reason| std::str::from_utf8(reason).is_err()) {
        return Err(SocketError::NotUtf8);
    }
    // A 1-byte payload and a code outside the ones a peer may send (0–999, 1004–1006,
    // 1015–2999, 5000 and up) are protocol errors.
    Ok(Parser::try_parse_close_payload(payload)?.map(|reason| reason.code))
}

/// Checks a frame's header as soon as its bytes are in, before any of its payload: what
/// RFC 6455 §5.2 and §5.5 forbid and actix-http's parser lets through (a fragmented control
/// frame), reports as an I/O error (reserved bits, which would end the connection without a
/// close frame) or finds only once the whole payload has arrived (a control frame over 125
/// bytes, a message over the limit, which would be buffered first).
fn check_header(read: &[u8], max_message: usize) -> Result<(), SocketError> {
    let Some(&first) = read.first() else { return Ok(()) };
    if first & RSV_BITS != 0 {
        return Err(SocketError::ReservedBits);
    }
    let Some(&second) = read.get(1) else { return Ok(()) };
    let length = second & 0x7F;
    if first & CONTROL_BIT != 0 {
        if first & FIN_BIT == 0 {
            return Err(SocketError::FragmentedControl);
        }
        if length > MAX_CONTROL {
            return Err(SocketError::LongControl);
        }
    }
    let declared = match length {
        126 => read.get(2..4).map(|bytes| u64::from(u16::from_be_bytes([bytes[0], bytes[1]]))),
        127 => read.get(2..10).map(|bytes| u64::from_be_bytes(bytes.try_into().unwrap_or_default())),
        short => Some(u64::from(short)),
    };
    match declared {
        Some(declared) if declared > i64::MAX as u64 => Err(SocketError::BadLength),
        Some(declared) if declared > max_message as u64 => Err(SocketError::TooBig),
        _ => Ok(()),
    }
}

fn text(payload: BytesMut) -> Result<Incoming, SocketError> {
    ByteString::try_from(payload.freeze()).map(Incoming::Text).map_err(|_| SocketError::NotUtf8)
}

#[cfg(test)]
mod tests {
    /// The header written per socket is the one actix-http's parser writes, at every size
    /// class (short, 16-bit and 64-bit lengths).
    #[test]
    fn text_headers_are_the_parsers() {
        for size in [0, 1, 125, 126, 1000, 0xFFFF, 0x10000, 70_000] {
            let payload = "x".repeat(size);
            let mut expected = BytesMut::new();
            Parser::write_message(&mut expected, payload.as_str(), OpCode::Text, true, false);
            let header = super::TextHeader::new(size);
            assert_eq!(header.as_bytes(), &expected[..expected.len() - size], "{size} bytes");
        }
    }

    use super::remaining;
    use actix_http::ws::{OpCode, Parser};
    use bytes::BytesMut;

    /// What a short write leaves is exactly the bytes not yet gone, across frame boundaries.
    #[test]
    fn a_short_write_leaves_the_rest_in_order() {
        let frames: [&[u8]; 3] = [b"abc", b"de", b"fgh"];
        let rest = |written| remaining(&frames, written).collect::<Vec<_>>().concat();
        assert_eq!(rest(0), b"abcdefgh");
        assert_eq!(rest(2), b"cdefgh");
        assert_eq!(rest(3), b"defgh");
        assert_eq!(rest(5), b"fgh");
        assert_eq!(rest(7), b"h");
        assert!(rest(8).is_empty());
    }
}
