//! "What we heard": the plain-language summary the organiser publishes for the people who
//! took part, at `/r/<id>`.
//!
//! The id is the session's code followed by a 128-bit secret from the operating system's
//! generator (as keys are), so the page finds its session without an index and nobody finds
//! the page without being given its address. The code in it is the join code the
//! participants already had. The page is rendered on the server, from the same document as
//! the report ([`super::build::public_document`]): self-contained, no script, readable at
//! 320 px, and printable.

use askama::Template;

use super::Block;
use crate::auth;
use crate::protocol::SummaryInfo;
use crate::session::SessionState;

/// Length of an id: 8 digits of the join code and 32 hex digits of secret.
const ID_LEN: usize = 8 + 32;

/// A new address for a session's summary.
pub fn new_id(code: &str) -> String {
    format!("{code}{}", auth::new_secret())
}

/// The session an id belongs to, if it is shaped like one.
pub fn code_of(id: &str) -> Option<&str> {
    let well_formed = id.len() == ID_LEN
        && id.bytes().take(8).all(|b| b.is_ascii_digit())
        && id.bytes().skip(8).all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    well_formed.then(|| &id[..8])
}

/// Whether two ids are the same, in time independent of where they differ.
pub fn same_id(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What the console is told about the summary.
pub fn info(state: &SessionState) -> Option<SummaryInfo> {
    let published = state.summary.as_ref()?;
    Some(SummaryInfo { url: format!("/r/{}", published.id), sections: published.sections.clone() })
}

/// What an address comes to in a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Published: these sections.
    Shown(Vec<String>),
    /// Published once and revoked.
    Revoked,
    Unknown,
}

pub fn lookup(state: &SessionState, id: &str) -> Lookup {
    match &state.summary {
        Some(published) if same_id(&published.id, id) => Lookup::Shown(published.sections.clone()),
        _ if state.revoked.iter().any(|revoked| same_id(revoked, id)) => Lookup::Revoked,
        _ => Lookup::Unknown,
    }
}

#[derive(Template)]
#[template(path = "summary.html")]
struct SummaryPage<'a> {
    title: &'a str,
    language: &'a str,
    blocks: &'a [Block],
}

#[derive(Template)]
#[template(path = "summary_gone.html")]
struct PlainPage<'a> {
    heading: &'a str,
    message: &'a str,
}

/// The page of a published summary.
pub fn page(document: &super::Document) -> Result<String, askama::Error> {
    SummaryPage { title: &document.title, language: &document.language, blocks: &document.blocks }.render()
}

/// A plain page saying why there is nothing to show.
pub fn plain_page(heading: &str, message: &str) -> String {
    PlainPage { heading, message }.render().unwrap_or_else(|_| message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Event, SessionRecord};

    fn record() -> SessionRecord {
        SessionRecord {
            code: "12345678".into(),
            series: "12345678".into(),
            title: "Training".into(),
            host_key_hash: String::new(),
            present_key_hash: String::new(),
            created_at: 0,
            closed_at: None,
        }
    }

    /// Publishing keeps its address until revoked; a revoked address stays gone (410) after a
    /// replay, and publishing after a revoke makes a new one. The QR code shows only while
    /// published.
    #[test]
    fn publish_republish_revoke_and_replay() {
        let mut state = SessionState::new(&record());
        let mut events = Vec::new();
        let mut apply = |state: &mut SessionState, event: Event| {
            state.apply(&event, 1).expect("applied");
            events.push(event);
        };
        let sections = vec!["themes".to_owned()];
        assert!(state.propose_summary_qr(true).is_err(), "nothing to show yet");
        assert!(state.propose_publish(&[], new_id("12345678")).is_err());
        assert!(state.propose_publish(&["nothing".into()], new_id("12345678")).is_err());
        let first = state.propose_publish(&sections, new_id("12345678")).expect("publish");
        apply(&mut state, first);
        let id = state.summary.as_ref().expect("published").id.clone();
        assert_eq!(lookup(&state, &id), Lookup::Shown(sections.clone()));
        let again = state.propose_publish(&["attendance".into(), "themes".into()], new_id("12345678")).expect("again");
        apply(&mut state, again);
        assert_eq!(lookup(&state, &id), Lookup::Shown(vec!["attendance".into(), "themes".into()]), "same address");
        let qr = state.propose_summary_qr(true).expect("qr");
        apply(&mut state, qr);
        assert_eq!(state.step_view().summary_qr, Some(format!("/r/{id}")));
        let revoke = state.propose_revoke().expect("revoke");
        apply(&mut state, revoke);
        assert_eq!(lookup(&state, &id), Lookup::Revoked);
        assert_eq!(state.step_view().summary_qr, None, "revoking hides the QR code");
        assert!(state.propose_revoke().is_err(), "nothing left to revoke");
        let renewed = state.propose_publish(&sections, new_id("12345678")).expect("publish again");
        apply(&mut state, renewed);
        let new = state.summary.as_ref().expect("published").id.clone();
        assert_ne!(new, id);
        assert_eq!(lookup(&state, &new_id("12345678")), Lookup::Unknown);

        let replayed = SessionState::replay(&record(), events.into_iter().map(|event| (1, event)));
        assert_eq!(lookup(&replayed, &id), Lookup::Revoked);
        assert_eq!(lookup(&replayed, &new), Lookup::Shown(sections));
        assert_eq!(info(&replayed).map(|info| info.url), Some(format!("/r/{new}")));
    }

    #[test]
    fn ids_are_the_code_and_128_bits() {
        let id = new_id("12345678");
        assert_eq!(code_of(&id), Some("12345678"));
        assert_ne!(id, new_id("12345678"));
        assert_eq!(code_of("12345678"), None);
        assert_eq!(code_of(&format!("1234567x{}", &id[8..])), None);
        assert_eq!(code_of(&format!("{}G", &id[..ID_LEN - 1])), None);
        assert!(same_id(&id, &id.clone()));
        assert!(!same_id(&id, &new_id("12345678")));
    }
}
