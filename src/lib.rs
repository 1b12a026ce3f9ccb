//! Chorus: a self-hosted live workshop polling server.
//!
//! # Layout
//!
//! - [`config`]: the command line and its `CHORUS_*` environment twins.
//! - [`server`]: builds the HTTP app and runs it on a listener until a shutdown future
//!   resolves, then stops connections, sessions and the journal in that order.
//! - [`hub`]: the registry of live sessions and the one task per session that owns its state.
//!   Commands come in on a channel; views leave through `watch` channels holding the latest
//!   pre-serialised frame.
//! - [`ws`]: one task per WebSocket connection: reads and checks client messages, forwards
//!   them to the session, writes the session's frames and its own replies.
//! - [`routes`]: the HTTP API, the QR code, health, and the embedded web app.
//! - [`journal`]: the single SQLite writer with group commit, and replay at start.
//! - [`export`]: reports read from the journal: JSON, CSV, XLSX and a printable HTML
//!   report, for one session or a whole series.
//! - [`report`]: the findings report as a format-neutral document (headings, tables, charts
//!   with alternative text), written as DOCX and as tagged PDF/UA-1 (typst, kept behind
//!   `report::pdf`).
//! - [`activity`]: activity kinds (scale so far): configuration, answers, aggregates.
//! - [`protocol`]: the wire types; the web client's TypeScript is generated from them.
//! - [`text`]: the text pipeline (normalising, grouping key, stop words, profanity) shared
//!   by word clouds and jam-board keywords.
//! - [`metrics`]: the Prometheus metrics served at `/metrics`.
//! - [`operator`]: `chorus sessions` and `chorus console-link`, for the server's operator.
//! - [`auth`]: keys, tokens and join codes. [`error`]: refusals with stable codes.
//! - [`disk`]: files written whole (temporary file and rename), retried on a full disk.
//! - [`guard`]: the client's address (behind trusted proxies) and the budgets per address
//!   against guessing and floods.
//! - `fuzzing` (tests, and the `fuzzing` feature): client messages driven through a session
//!   with the invariants checked, for the property test and the fuzz target; not an API.

pub mod activity;
pub mod auth;
pub mod config;
pub mod disk;
pub mod error;
pub mod export;
pub mod figures;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod guard;
pub mod hub;
pub mod journal;
pub mod metrics;
pub mod operator;
pub mod protocol;
pub mod report;
pub mod routes;
pub mod server;
pub mod session;
pub mod sheet;
pub mod text;
pub mod ws;
