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
use super::content::ReportContent;
use crate::auth;
use crate::error::{ErrorCode, Refusal};
use crate::journal::Event;
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

/// The event saving a report's content (already checked by
/// [`ReportContent::check`](super::content::ReportContent::check)); taken in a closed session
/// too: reports are written after the workshop.
pub fn propose_report(content: &ReportContent, series: bool) -> Event {
    Event::ReportSaved { content: Box::new(content.clone()), series }
}

/// Checks publishing "what we heard" with these sections of the session's report (at least
/// one, each once, none hidden). Publishing again keeps the address; after a revoke,
/// `new_id` is the new one.
pub fn propose_publish(state: &SessionState, sections: &[String], new_id: String) -> Result<Event, Refusal> {
    let content = ReportContent::or_default(state.report.as_ref());
    if sections.is_empty() {
        return Err(Refusal::new(ErrorCode::InvalidReport, "Choose at least one section to publish."));
    }
    for (n, id) in sections.iter().enumerate() {
        let Some(section) = content.sections.iter().find(|section| &section.id == id) else {
            return Err(Refusal::new(
                ErrorCode::InvalidReport,
                format!("The report has no section \"{}\".", id.chars().take(40).collect::<String>()),
            ));
        };
        if section.hidden {
            return Err(Refusal::new(
                ErrorCode::InvalidReport,
                format!("The section \"{id}\" is hidden in the report: show it first to publish it."),
            ));
        }
        if sections[..n].contains(id) {
            return Err(Refusal::new(ErrorCode::InvalidReport, format!("The section \"{id}\" is chosen twice.")));
        }
    }
    let id = state.summary.as_ref().map_or(new_id, |published| published.id.clone());
    Ok(Event::SummaryPublished { id: Some(id), sections: sections.to_vec() })
}

/// Checks revoking "what we heard".
pub fn propose_revoke(state: &SessionState) -> Result<Event, Refusal> {
    if state.summary.is_none() {
        return Err(Refusal::new(ErrorCode::NotFound, "\"What we heard\" is not published."));
    }
    Ok(Event::SummaryPublished { id: None, sections: Vec::new() })
}

/// Checks showing or hiding the QR code of "what we heard" on the projector.
pub fn propose_qr(state: &SessionState, show: bool) -> Result<Event, Refusal> {
    if show && state.summary.is_none() {
        return Err(Refusal::new(ErrorCode::NotOpen, "Publish \"what we heard\" first to show its QR code."));
    }
    Ok(Event::SummaryQr { show })
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
    use crate::journal::SessionRecord;

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
        assert!(propose_qr(&state, true).is_err(), "nothing to show yet");
        assert!(propose_publish(&state, &[], new_id("12345678")).is_err());
        assert!(propose_publish(&state, &["nothing".into()], new_id("12345678")).is_err());
        let first = propose_publish(&state, &sections, new_id("12345678")).expect("publish");
        apply(&mut state, first);
        let id = state.summary.as_ref().expect("published").id.clone();
        assert_eq!(lookup(&state, &id), Lookup::Shown(sections.clone()));
        let again =
            propose_publish(&state, &["attendance".into(), "themes".into()], new_id("12345678")).expect("again");
        apply(&mut state, again);
        assert_eq!(lookup(&state, &id), Lookup::Shown(vec!["attendance".into(), "themes".into()]), "same address");
        let qr = propose_qr(&state, true).expect("qr");
        apply(&mut state, qr);
        assert_eq!(state.step_view().summary_qr, Some(format!("/r/{id}")));
        let revoke = propose_revoke(&state).expect("revoke");
        apply(&mut state, revoke);
        assert_eq!(lookup(&state, &id), Lookup::Revoked);
        assert_eq!(state.step_view().summary_qr, None, "revoking hides the QR code");
        assert!(propose_revoke(&state).is_err(), "nothing left to revoke");
        let renewed = propose_publish(&state, &sections, new_id("12345678")).expect("publish again");
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
