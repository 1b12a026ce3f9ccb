//! One session, without a runtime: its state as the fold of its journal events
//! ([`state`]), what participants and the facilitator may ask of it ([`request`]), and the
//! synchronous core that turns requests into events and settles them ([`core`]).
//!
//! The session task (`hub::session`) is the async shell around [`core::Core`]; exports
//! replay journals through [`state::SessionState`]. Neither knows the other.

pub mod core;
pub mod groups;
pub mod request;
pub mod state;

pub use core::{Core, InFlight, Join, Proposal, Settled};
pub use request::{Control, RecentRequests, Request};
pub use state::{Change, SessionState};
