//! Chorus beyond one process: the journal in PostgreSQL (see [`crate::journal::postgres`]),
//! and what comes with it.
//!
//! - [`scratch`]: a throwaway PostgreSQL cluster on a loopback port, for tests and measuring.

#[doc(hidden)]
pub mod scratch;
