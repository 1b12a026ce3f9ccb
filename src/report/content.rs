//! What the organiser writes and picks for a report ([`ReportContent`]): written sections,
//! the order and visibility of the generated ones, themes, and starred quotes. Checked here
//! against the limits (every one enforced on the server, with a stable code), kept in the
//! journal as a whole each time it is saved, and turned into [`Block`]s for every format.
//!
//! Organisers' text is plain text with simple formatting, never HTML: a line starting `# `
//! or `## ` is a heading, a line starting `- ` a list item, and a blank line ends a
//! paragraph ([`text_blocks`]). Everything else is text, and each format writes it as text.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Block, Run};
use crate::error::{ErrorCode, Refusal};

/// Sections made from the data: they may be moved or hidden, never typed over.
pub const GENERATED: [&str; 3] = ["attendance", "activities", "themes"];
/// Most sections a report has (generated ones included): more than any write-up needs, and
/// with [`MAX_TEXT`] each, what keeps a saved report under the route's body limit.
pub const MAX_SECTIONS: usize = 30;
pub const MAX_THEMES: usize = 20;
pub const MAX_QUOTES: usize = 50;
/// Characters (not bytes) in a title.
pub const MAX_TITLE: usize = 120;
/// Characters in a section's or a theme's text.
pub const MAX_TEXT: usize = 20_000;
/// Characters in an id (`[a-z0-9_]`).
pub const MAX_ID: usize = 40;

/// What the organiser wrote and picked for a session's (or a series') report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct ReportContent {
    /// In report order.
    #[serde(default)]
    pub sections: Vec<ReportSection>,
    #[serde(default)]
    pub themes: Vec<ReportTheme>,
    #[serde(default)]
    pub quotes: Vec<Quote>,
}

/// A section: written (with `title` and `text`) or generated (its id one of [`GENERATED`],
/// without them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct ReportSection {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub text: Option<String>,
    #[serde(default)]
    pub hidden: bool,
}

/// A theme of the report: it spans boards, activities and sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct ReportTheme {
    pub id: String,
    pub title: String,
    /// What it means, in the organiser's words.
    #[serde(default)]
    pub text: String,
}

/// A starred word-cloud entry or note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Quote {
    /// The session's code.
    pub session: String,
    pub activity: String,
    /// The item as results name it: a word-cloud group's `id`, or a note's `id`.
    pub item: String,
    /// A theme's id, or null.
    #[serde(default)]
    pub theme: Option<String>,
}

/// Something the organiser may star, with what it says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Candidate {
    pub session: String,
    pub activity: String,
    pub activity_title: String,
    pub item: String,
    pub kind: CandidateKind,
    pub text: String,
    /// The note's frame (column) title; null for a word.
    pub board: Option<String>,
    /// How many gave the word; a note's dots.
    pub count: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CandidateKind {
    Word,
    Note,
}

impl ReportSection {
    pub fn is_generated(&self) -> bool {
        GENERATED.contains(&self.id.as_str())
    }

    fn generated(id: &str) -> Self {
        Self { id: id.to_owned(), title: None, text: None, hidden: false }
    }
}

impl ReportContent {
    /// Checks the content against the limits, and adds any generated section it lacks at
    /// the end (so content saved before a section existed still shows it). Quotes are
    /// checked against the data by [`Self::check_quotes`].
    pub fn check(self) -> Result<Self, Refusal> {
        if self.sections.len() > MAX_SECTIONS {
            return Err(invalid(format!("A report has at most {MAX_SECTIONS} sections.")));
        }
        let mut seen: Vec<&str> = Vec::new();
        for (n, section) in self.sections.iter().enumerate() {
            check_id(&section.id, &format!("Section {}", n + 1))?;
            if seen.contains(&section.id.as_str()) {
                return Err(invalid(format!("Two sections have the id \"{}\".", section.id)));
            }
            seen.push(&section.id);
            if section.is_generated() {
                if section.title.is_some() || section.text.is_some() {
                    return Err(invalid(format!(
                        "The section \"{}\" is made from the data: it can be moved or hidden, not written.",
                        section.id
                    )));
                }
                continue;
            }
            let name = format!("Section {}", n + 1);
            check_title(section.title.as_deref().unwrap_or_default(), &name)?;
            check_text(section.text.as_deref().unwrap_or_default(), &name)?;
        }
        if self.themes.len() > MAX_THEMES {
            return Err(Refusal::new(
                ErrorCode::TooManyThemes,
                format!("A report has at most {MAX_THEMES} themes. Delete one to add another."),
            ));
        }
        let mut theme_ids: Vec<&str> = Vec::new();
        for (n, theme) in self.themes.iter().enumerate() {
            let name = format!("Theme {}", n + 1);
            check_id(&theme.id, &name)?;
            if theme_ids.contains(&theme.id.as_str()) {
                return Err(invalid(format!("Two themes have the id \"{}\".", theme.id)));
            }
            theme_ids.push(&theme.id);
            check_title(&theme.title, &name)?;
            check_text(&theme.text, &name)?;
        }
        if self.quotes.len() > MAX_QUOTES {
            return Err(Refusal::new(
                ErrorCode::TooManyQuotes,
                format!("A report has at most {MAX_QUOTES} quotes. Unstar one to star another."),
            ));
        }
        for (n, quote) in self.quotes.iter().enumerate() {
            if let Some(theme) = &quote.theme
                && !theme_ids.contains(&theme.as_str())
            {
                return Err(invalid(format!("Quote {} is filed under a theme the report does not have.", n + 1)));
            }
            if self.quotes[..n]
                .iter()
                .any(|q| (&q.session, &q.activity, &q.item) == (&quote.session, &quote.activity, &quote.item))
            {
                return Err(invalid(format!("Quote {} is starred twice.", n + 1)));
            }
        }
        Ok(self.with_generated())
    }

    /// Every quote points at something that can be starred.
    pub fn check_quotes(&self, candidates: &[Candidate]) -> Result<(), Refusal> {
        for (n, quote) in self.quotes.iter().enumerate() {
            if quote_of(quote, candidates).is_none() {
                return Err(Refusal::new(
                    ErrorCode::UnknownQuote,
                    format!("Quote {} points at a word or note this report does not have (or that is hidden).", n + 1),
                ));
            }
        }
        Ok(())
    }

    /// The content as saved, or the default one (every generated section, in order).
    pub fn or_default(content: Option<&ReportContent>) -> ReportContent {
        content.cloned().unwrap_or_default().with_generated()
    }

    /// Adds any generated section the content lacks, at the end.
    pub fn with_generated(mut self) -> Self {
        for id in GENERATED {
            if !self.sections.iter().any(|section| section.id == id) {
                self.sections.push(ReportSection::generated(id));
            }
        }
        self
    }
}

/// The candidate a quote points at.
pub fn quote_of<'a>(quote: &Quote, candidates: &'a [Candidate]) -> Option<&'a Candidate> {
    candidates.iter().find(|c| c.session == quote.session && c.activity == quote.activity && c.item == quote.item)
}

fn invalid(message: impl Into<String>) -> Refusal {
    Refusal::new(ErrorCode::InvalidReport, message)
}

fn check_id(id: &str, what: &str) -> Result<(), Refusal> {
    let valid = (1..=MAX_ID).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(invalid(format!(
            "{what}: an id is 1 to {MAX_ID} lowercase letters, digits or underscores (\"{}\" is not).",
            id.chars().take(MAX_ID + 1).collect::<String>()
        )))
    }
}

fn check_title(title: &str, what: &str) -> Result<(), Refusal> {
    if title.trim().is_empty() {
        return Err(invalid(format!("{what} needs a title.")));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(Refusal::new(ErrorCode::TooLong, format!("{what}: a title is at most {MAX_TITLE} characters.")));
    }
    Ok(())
}

fn check_text(text: &str, what: &str) -> Result<(), Refusal> {
    if text.chars().count() > MAX_TEXT {
        return Err(Refusal::new(
            ErrorCode::TooLong,
            format!("{what}: the text is at most {} characters.", group_thousands(MAX_TEXT)),
        ));
    }
    Ok(())
}

fn group_thousands(n: usize) -> String {
    if n >= 1000 { format!("{},{:03}", n / 1000, n % 1000) } else { n.to_string() }
}

/// An organiser's text as blocks: `# ` and `## ` start headings (at `level` and one
/// below, at most 4), `- ` list items, blank lines end paragraphs; lines of one paragraph
/// are joined by a space. Nothing else means anything: `<b>` is the three characters.
pub fn text_blocks(text: &str, level: u8) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut items: Vec<Vec<Run>> = Vec::new();
    fn flush(blocks: &mut Vec<Block>, paragraph: &mut Vec<&str>, items: &mut Vec<Vec<Run>>) {
        if !paragraph.is_empty() {
            blocks.push(Block::paragraph(paragraph.join(" ")));
            paragraph.clear();
        }
        if !items.is_empty() {
            blocks.push(Block::List { items: std::mem::take(items) });
        }
    }
    for line in text.lines() {
        let line = line.trim_end();
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed == "#" || trimmed == "##" {
            // A heading left empty is nothing to a screen reader: it only ends a paragraph.
            flush(&mut blocks, &mut paragraph, &mut items);
        } else if let Some(heading) = trimmed.strip_prefix("## ") {
            flush(&mut blocks, &mut paragraph, &mut items);
            if !heading.trim().is_empty() {
                blocks.push(Block::heading((level + 1).min(4), heading.trim()));
            }
        } else if let Some(heading) = trimmed.strip_prefix("# ") {
            flush(&mut blocks, &mut paragraph, &mut items);
            if !heading.trim().is_empty() {
                blocks.push(Block::heading(level.min(4), heading.trim()));
            }
        } else if let Some(item) = trimmed.strip_prefix("- ") {
            if !paragraph.is_empty() {
                blocks.push(Block::paragraph(paragraph.join(" ")));
                paragraph.clear();
            }
            items.push(vec![Run::plain(item.trim())]);
        } else {
            if !items.is_empty() {
                blocks.push(Block::List { items: std::mem::take(&mut items) });
            }
            paragraph.push(trimmed);
        }
    }
    flush(&mut blocks, &mut paragraph, &mut items);
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(id: &str, title: &str, text: &str) -> ReportSection {
        ReportSection { id: id.into(), title: Some(title.into()), text: Some(text.into()), hidden: false }
    }

    fn code(result: Result<ReportContent, Refusal>) -> Option<ErrorCode> {
        result.err().map(|refusal| refusal.code)
    }

    #[test]
    fn headings_lists_and_paragraphs_and_nothing_else() {
        let text = "# Why we did it\nParents asked\nfor a say.\n\n- We will <b>listen</b>\n- We will act\nAfter the list.\n## Then\n#not a heading\n-not an item\n\n\n";
        let blocks = text_blocks(text, 3);
        assert_eq!(
            blocks,
            vec![
                Block::heading(3, "Why we did it"),
                Block::paragraph("Parents asked for a say."),
                Block::List { items: vec![vec![Run::plain("We will <b>listen</b>")], vec![Run::plain("We will act")]] },
                Block::paragraph("After the list."),
                Block::heading(4, "Then"),
                Block::paragraph("#not a heading -not an item"),
            ]
        );
        assert_eq!(text_blocks("", 3), Vec::<Block>::new());
        assert_eq!(text_blocks("## a\n# b", 4), vec![Block::heading(4, "a"), Block::heading(4, "b")]);
        assert_eq!(text_blocks("# \n-  x ", 3), vec![Block::List { items: vec![vec![Run::plain("x")]] }]);
    }

    #[test]
    fn the_limits_and_their_codes() {
        let ok = ReportContent {
            sections: vec![written("introduction", "Why", &"x".repeat(MAX_TEXT))],
            themes: vec![ReportTheme { id: "t1".into(), title: "é".repeat(MAX_TITLE), text: String::new() }],
            quotes: vec![Quote {
                session: "1".into(),
                activity: "a".into(),
                item: "3".into(),
                theme: Some("t1".into()),
            }],
        };
        let checked = ok.clone().check().expect("within the limits");
        let ids: Vec<&str> = checked.sections.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["introduction", "attendance", "activities", "themes"], "generated sections added at the end");

        let mut long = ok.clone();
        long.sections[0].text = Some("x".repeat(MAX_TEXT + 1));
        assert_eq!(code(long.check()), Some(ErrorCode::TooLong));
        let mut long = ok.clone();
        long.themes[0].title = "x".repeat(MAX_TITLE + 1);
        assert_eq!(code(long.check()), Some(ErrorCode::TooLong));
        let mut long = ok.clone();
        long.themes[0].text = "x".repeat(MAX_TEXT + 1);
        assert_eq!(code(long.check()), Some(ErrorCode::TooLong));

        let mut many = ok.clone();
        many.themes = (0..=MAX_THEMES)
            .map(|n| ReportTheme { id: format!("t{n}"), title: "T".into(), text: String::new() })
            .collect();
        assert_eq!(code(many.check()), Some(ErrorCode::TooManyThemes));
        let mut many = ok.clone();
        many.quotes = (0..=MAX_QUOTES)
            .map(|n| Quote { session: "1".into(), activity: "a".into(), item: n.to_string(), theme: None })
            .collect();
        assert_eq!(code(many.check()), Some(ErrorCode::TooManyQuotes));
        let mut fifty = ok.clone();
        fifty.quotes.truncate(0);
        fifty.quotes.extend((0..MAX_QUOTES).map(|n| Quote {
            session: "1".into(),
            activity: "a".into(),
            item: n.to_string(),
            theme: None,
        }));
        assert!(fifty.check().is_ok(), "exactly the limit is fine");

        for bad_id in ["", "Intro", "intro-duction", "a b", &"x".repeat(MAX_ID + 1)] {
            let mut bad = ok.clone();
            bad.sections[0].id = bad_id.into();
            assert_eq!(code(bad.check()), Some(ErrorCode::InvalidReport), "{bad_id:?}");
        }
        let mut typed_over = ok.clone();
        typed_over.sections.push(ReportSection {
            id: "attendance".into(),
            title: Some("Mine".into()),
            text: None,
            hidden: false,
        });
        assert_eq!(code(typed_over.check()), Some(ErrorCode::InvalidReport));
        let mut twice = ok.clone();
        twice.sections.push(written("introduction", "Again", ""));
        assert_eq!(code(twice.check()), Some(ErrorCode::InvalidReport));
        let mut untitled = ok.clone();
        untitled.sections[0].title = Some("  ".into());
        assert_eq!(code(untitled.check()), Some(ErrorCode::InvalidReport));
        let mut no_theme = ok.clone();
        no_theme.quotes[0].theme = Some("t9".into());
        assert_eq!(code(no_theme.check()), Some(ErrorCode::InvalidReport));
        let mut starred_twice = ok.clone();
        starred_twice.quotes.push(starred_twice.quotes[0].clone());
        assert_eq!(code(starred_twice.check()), Some(ErrorCode::InvalidReport));
        let mut sections = ok;
        sections.sections = (0..=MAX_SECTIONS).map(|n| written(&format!("s{n}"), "S", "")).collect();
        assert_eq!(code(sections.check()), Some(ErrorCode::InvalidReport));

        let bad_shape = serde_json::from_str::<ReportContent>(r#"{"sections": [{"id": "x", "html": "<p>"}]}"#);
        assert!(bad_shape.is_err(), "unknown fields are refused");
    }

    #[test]
    fn quotes_must_point_at_a_candidate() {
        let candidates = vec![Candidate {
            session: "1".into(),
            activity: "a".into(),
            activity_title: "A".into(),
            item: "3".into(),
            kind: CandidateKind::Note,
            text: "Not enough time".into(),
            board: Some("Barriers".into()),
            count: 0,
        }];
        let mut content = ReportContent {
            quotes: vec![Quote { session: "1".into(), activity: "a".into(), item: "3".into(), theme: None }],
            ..ReportContent::default()
        };
        assert!(content.check_quotes(&candidates).is_ok());
        content.quotes[0].item = "4".into();
        assert_eq!(content.check_quotes(&candidates).map_err(|r| r.code), Err(ErrorCode::UnknownQuote));
    }
}
