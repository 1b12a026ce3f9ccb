//! Chorus beyond one process: the journal in PostgreSQL (see [`crate::journal::postgres`]),
//! one owner per session under a lease with a fencing epoch ([`lease`]), NATS between nodes
//! ([`forward`]; the hub's side of it is `crate::hub::remote`), and `chorus migrate` from
//! SQLite ([`migrate`]).
//!
//! - [`forward`]: a call sent to a session's owner over NATS request/reply, and answered
//!   there; the node protocol's version, checked at start.
//! - [`lease`]: acquire, renew, take over and release leases; the epoch the database checks.
//! - [`migrate`]: copy a SQLite journal into an empty PostgreSQL database.
//! - [`scratch`]: a throwaway PostgreSQL cluster and NATS server on loopback ports, for tests
//!   and measuring.

pub mod forward;
pub mod lease;
pub mod migrate;
#[doc(hidden)]
pub mod scratch;
