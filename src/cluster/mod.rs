//! Chorus beyond one process. Built so far: the journal in PostgreSQL (see
//! [`crate::journal::postgres`]), one owner per session under a lease with a fencing epoch
//! ([`lease`]), and `chorus migrate` from SQLite ([`migrate`]). Not built yet: forwarding
//! requests between nodes (NATS), take-over of a live session by another node.
//!
//! - [`forward`]: a participant's request sent to its session's owner over NATS
//!   request/reply, and answered there (the transport; not wired into the hub yet).
//! - [`lease`]: acquire, renew, take over and release leases; the epoch the database checks.
//! - [`migrate`]: copy a SQLite journal into an empty PostgreSQL database.
//! - [`scratch`]: a throwaway PostgreSQL cluster on a loopback port, for tests and measuring.

pub mod forward;
pub mod lease;
pub mod migrate;
#[doc(hidden)]
pub mod scratch;
