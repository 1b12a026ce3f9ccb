//! A WebSocket on a socket this server owns, holding no buffer while it is idle.
//!
//! actix-http frames and parses (`ws::Parser`); this module decides where bytes wait. An idle
//! connection holds neither a read nor a write buffer: a read lands in a stack buffer and is
//! kept only while a frame is incomplete, and a write goes straight to the kernel, keeping
//! only what the kernel would not take yet until it has gone. With 19,000 phones on one
//! process that is most of the memory a connection costs (see docs/performance.md). Frames
//! that go to many sockets are encoded once ([`encode_text`]) and the same bytes written to
//! each, several in one system call.

use std::io::{self, IoSlice};
use std::time::Duration;

use actix_http::ws::{CloseReason, OpCode, Parser, ProtocolError};
use bytes::{Buf, Bytes, BytesMut};
use bytestring::ByteString;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Bytes taken from the kernel per read: every client message is far smaller.
const READ_CHUNK: usize = 4096;
/// The longest frame header (2 bytes, an 8-byte length and a 4-byte mask).
const MAX_HEADER: usize = 14;
/// Frames written in one system call at most.
const MAX_SLICES: usize = 8;

/// A complete message from the peer.
#[derive(Debug)]
pub enum Incoming {
    Text(ByteString),
    Binary,
    Ping(Bytes),
    Pong,
    Close,
}

/// Why reading from the peer stopped.
#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    #[error("message over the size limit")]
    TooBig,
    #[error("text message that is not UTF-8")]
    NotUtf8,
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
}

/// One frame of text, encoded once to be written to any number of sockets.
pub fn encode_text(text: &str) -> Bytes {
    let mut frame = BytesMut::with_capacity(text.len() + MAX_HEADER);
    Parser::write_message(&mut frame, text, OpCode::Text, true, false);
    frame.freeze()
}

impl Socket {
    /// Takes over an upgraded connection; `read` is whatever arrived after the handshake.
    pub fn new(io: TcpStream, read: BytesMut, max_message: usize, write_stall: Duration) -> Self {
        let read = if read.is_empty() { BytesMut::new() } else { read };
        Self { io, read, fragments: None, unsent: BytesMut::new(), max_message, write_stall, eof: false }
    }

    /// The next message, or `None` once the peer has gone. Cancel-safe: nothing read is lost
    /// if the future is dropped, so it can sit in a `select!`.
    pub async fn recv(&mut self) -> Option<Result<Incoming, SocketError>> {
        loop {
            match self.parse() {
                Ok(Some(message)) => return Some(Ok(message)),
                Ok(None) if self.eof => return None,
                Ok(None) => {}
                Err(err) => return Some(Err(err)),
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
            let parsed = Parser::parse(&mut self.read, true, self.max_message);
            if self.read.is_empty() {
                // Frees the buffer (a payload split from it keeps its own bytes alive).
                self.read = BytesMut::new();
            }
            let Some((fin, opcode, payload)) = parsed? else {
                // A frame within the limit is whole by then: the parser would wait for all of a
                // bigger one before refusing it, and this refuses it first.
                if self.read.len() > self.max_message + MAX_HEADER {
                    return Err(SocketError::TooBig);
                }
                return Ok(None);
            };
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
                OpCode::Close => {
                    Parser::try_parse_close_payload(&payload)?;
                    return Ok(Some(Incoming::Close));
                }
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
    pub async fn close(mut self, reason: Option<CloseReason>) {
        let mut frame = BytesMut::new();
        Parser::write_close(&mut frame, reason, false);
        if self.write(&[&frame]).await.is_err() || self.io.shutdown().await.is_err() {
            return;
        }
        self.fragments = None;
        while let Some(Ok(message)) = self.recv().await {
            if matches!(message, Incoming::Close) {
                break;
            }
        }
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

fn text(payload: BytesMut) -> Result<Incoming, SocketError> {
    ByteString::try_from(payload.freeze()).map(Incoming::Text).map_err(|_| SocketError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::remaining;

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
