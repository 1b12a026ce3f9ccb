//! What the server's operator does from the command line while a session runs or after:
//! list the sessions in a data directory (`chorus sessions`) and give a facilitator who lost
//! the console tab a new console link (`chorus console-link CODE`).
//!
//! Both read the journal like an export does; neither needs the server to be running or
//! stopped.

use std::path::Path;

use crate::auth;
use crate::journal::{self, JournalError, Reader, SessionRecord};
use crate::session::SessionState;

/// One line of `chorus sessions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionLine {
    pub code: String,
    pub title: String,
    /// "live" or "closed".
    pub state: &'static str,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Answered at least once.
    pub participants: u32,
    /// Opened the join link.
    pub opened: u32,
}

/// Every session in the data directory, oldest first, with its counts (each session's journal
/// is replayed, as an export would).
pub async fn sessions(data_dir: &Path, database_url: Option<&str>) -> Result<Vec<SessionLine>, JournalError> {
    let reader = Reader::open_at(data_dir, database_url).await?;
    let mut lines = Vec::new();
    for record in reader.all_sessions().await? {
        let events = reader.events(&record.code).await?;
        let state = SessionState::replay(&record, events.into_iter().map(|stored| (stored.at, stored.event)));
        lines.push(SessionLine {
            state: if state.is_closed() || record.closed_at.is_some() { "closed" } else { "live" },
            participants: state.took_part(),
            opened: state.joined(),
            code: record.code,
            title: record.title,
            created_at: record.created_at,
        });
    }
    Ok(lines)
}

/// New keys for a session, as `chorus console-link` hands them out.
#[derive(Debug, Clone)]
pub struct NewKeys {
    pub record: SessionRecord,
    pub host_key: String,
    pub present_key: String,
}

/// Gives a session a new console key (and the projector key that goes with it); the old ones
/// stop working at once, on a running server too. `None` when there is no such session.
pub async fn new_console_key(
    data_dir: &Path,
    database_url: Option<&str>,
    code: &str,
) -> Result<Option<NewKeys>, JournalError> {
    let reader = Reader::open_at(data_dir, database_url).await?;
    let Some(record) = reader.session(code).await? else { return Ok(None) };
    let host_key = auth::new_secret();
    let present_key = auth::present_key_for(&host_key);
    let (host, present) = (auth::hash_secret(&host_key), auth::hash_secret(&present_key));
    let changed = match database_url {
        // Every node reads the keys from the database at each check: all of them take the
        // new ones at once.
        Some(url) => journal::postgres::replace_keys(url, code, &host, &present).await?,
        None => journal::replace_keys(data_dir, code, &host, &present).await?,
    };
    Ok(changed.then_some(NewKeys { record, host_key, present_key }))
}

/// The console and projector links for new keys, at `base` (the server's public address).
pub fn links(base: &str, code: &str, keys: &NewKeys) -> (String, String) {
    let base = base.trim_end_matches('/');
    (format!("{base}/host/{code}#key={}", keys.host_key), format!("{base}/present/{code}#key={}", keys.present_key))
}
