//! The text pipeline: how Chorus reads a word or a note so that it counts what people mean.
//!
//! Word clouds group entries and jam boards count keywords through the same steps:
//!
//! 1. **Clean** ([`clean`]): Unicode NFKC (full-width letters become ordinary ones), spaces
//!    and punctuation trimmed from the ends, inner spaces collapsed. This is what is shown.
//! 2. **Key** ([`group_key`]): lowercase, accents removed ("café" groups with "cafe"), each
//!    word stemmed with the English Snowball stemmer ("families" with "family"), words joined
//!    without hyphens or spaces ("co-production", "co production" and "coproduction" group).
//!    Short acronyms (GP, NHS, A&E, SEN, "GPs") are kept whole, never stemmed.
//! 3. **Filters**: a one-word entry that is a stop word (NLTK's English list, 198 words, plus
//!    any the facilitator adds) is refused, as is profanity ([`rustrict`]) unless the
//!    facilitator turns the filter off.

mod tally;

use std::collections::HashSet;
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

pub use tally::{Ranked, Tally};

use crate::error::{ErrorCode, Refusal};

/// Most words in one word-cloud entry.
pub const MAX_WORDS: usize = 3;
/// Longest word-cloud entry, in characters.
pub const MAX_ENTRY_CHARS: usize = 40;

static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));
static STOP_WORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| stop_words::get("en").iter().copied().collect());

/// Participant text as it comes in, without what must never reach a screen, a file or an
/// operator's terminal: C0 and C1 control characters (NUL, BEL, ESC and the rest; a newline
/// stays where `keep_newlines`, and a tab or carriage return becomes a space or goes) and
/// the bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) that
/// can make text read backwards ("Trojan Source").
pub fn strip_controls(raw: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '\n' if keep_newlines => out.push('\n'),
            '\r' => {}
            '\t' | '\n' => out.push(' '),
            c if c.is_control() || is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// The explicit bidirectional formatting characters.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether a character shows nothing: white space, controls, and the format characters
/// and fillers that render as nothing (zero-width space and joiners, word joiner, soft
/// hyphen, byte-order mark, direction marks, Hangul fillers, the blank Braille pattern).
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || is_bidi_control(c)
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2060}'..='\u{2064}'
                | '\u{206A}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E007F}'
        )
}

/// Whether text has at least one character that shows.
pub fn has_visible(text: &str) -> bool {
    text.chars().any(|c| !is_invisible(c))
}

/// NFKC, ends trimmed of spaces and punctuation, inner white space collapsed to one space.
/// Control characters and bidirectional overrides are gone first ([`strip_controls`]), and
/// text that shows nothing is empty.
pub fn clean(raw: &str) -> String {
    let raw = strip_controls(raw, false);
    if !has_visible(&raw) {
        return String::new();
    }
    let normalised: String = raw.nfkc().collect();
    let trimmed = normalised.trim_matches(|c: char| c.is_whitespace() || is_edge_punctuation(c));
    trimmed.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Punctuation that is trimmed from the ends of an entry. `&` stays (A&E), and so do
/// symbols people mean (£, %, +).
fn is_edge_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() && !matches!(c, '&' | '%' | '+' | '#' | '@' | '$')
        || matches!(c, '“' | '”' | '‘' | '’' | '«' | '»' | '…' | '–' | '—' | '¡' | '¿')
}

/// Whether a word, as typed, is a short acronym kept whole: 2–5 capitals (and `&`), with an
/// optional plural "s" ("GPs").
fn acronym(word: &str) -> Option<&str> {
    let base = word.strip_suffix('s').filter(|base| base.len() >= 2).unwrap_or(word);
    let letters = base.chars().filter(char::is_ascii_uppercase).count();
    let all_caps = base.chars().all(|c| c.is_ascii_uppercase() || c == '&');
    (all_caps && (2..=5).contains(&base.len()) && letters >= 2).then_some(base)
}

/// Lowercase without accents or apostrophes.
fn fold(word: &str) -> String {
    word.nfd().filter(|c| !is_combining_mark(*c) && !matches!(c, '\'' | '’')).flat_map(char::to_lowercase).collect()
}

/// The grouping key of a cleaned entry: entries with the same key count as one.
pub fn group_key(cleaned: &str) -> String {
    cleaned
        .split(|c: char| c.is_whitespace() || matches!(c, '-' | '‐' | '‑' | '_' | '/'))
        .filter(|word| !word.is_empty())
        .map(|word| match acronym(word) {
            Some(acronym) => acronym.to_ascii_lowercase(),
            None => STEMMER.stem(&fold(word)).into_owned(),
        })
        .collect()
}

/// Whether a single word is too common to count: a stop word, or one of `extra` (compared
/// folded). Acronyms never are ("US", "IT").
pub fn is_stop_word(word: &str, extra: &[String]) -> bool {
    if acronym(word).is_some() {
        return false;
    }
    let folded: String = word.chars().flat_map(char::to_lowercase).collect();
    STOP_WORDS.contains(folded.as_str()) || extra.iter().any(|stop| fold(stop) == fold(word))
}

/// Whether text is profane, offensive or sexual.
pub fn is_inappropriate(text: &str) -> bool {
    use rustrict::CensorStr;
    text.is_inappropriate()
}

/// The meaningful words of a note, each once: `(key, spelling)` of every word that is not a
/// stop word (NLTK's list plus `extra`) and has a letter in it.
pub fn note_words(text: &str, extra: &[String]) -> Vec<(String, String)> {
    let mut words: Vec<(String, String)> = Vec::new();
    for token in text.split_whitespace() {
        let word = clean(token);
        if word.is_empty() || !word.chars().any(char::is_alphabetic) || is_stop_word(&word, extra) {
            continue;
        }
        // A word like "I'm" or "we'll" is a stop word in its short form too.
        if let Some((stem, _)) = word.split_once(['\'', '’'])
            && is_stop_word(stem, extra)
        {
            continue;
        }
        let key = group_key(&word);
        if !key.is_empty() && !words.iter().any(|(other, _)| *other == key) {
            words.push((key, word));
        }
    }
    words
}

/// A word-cloud entry read through the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// As shown: cleaned, in the participant's own spelling.
    pub display: String,
    pub key: String,
}

/// Reads a word-cloud entry, refusing what cannot be shown, in words a participant can act on.
pub fn read_entry(raw: &str, extra_stop_words: &[String], profanity_filter: bool) -> Result<Entry, Refusal> {
    let display = clean(raw);
    if display.is_empty() || group_key(&display).is_empty() {
        return Err(Refusal::new(ErrorCode::InvalidText, "Type a word first."));
    }
    if display.chars().count() > MAX_ENTRY_CHARS {
        return Err(Refusal::new(ErrorCode::InvalidText, format!("Use at most {MAX_ENTRY_CHARS} characters.")));
    }
    let words: Vec<&str> = display.split(' ').collect();
    if words.len() > MAX_WORDS {
        return Err(Refusal::new(ErrorCode::InvalidText, format!("Use at most {MAX_WORDS} words.")));
    }
    if let [word] = words[..]
        && is_stop_word(word, extra_stop_words)
    {
        return Err(Refusal::new(
            ErrorCode::StopWord,
            format!("\u{201c}{word}\u{201d} is too common to show \u{2014} try another word."),
        ));
    }
    if profanity_filter && is_inappropriate(&display) {
        return Err(Refusal::new(ErrorCode::Inappropriate, "Please choose a different word."));
    }
    let key = group_key(&display);
    Ok(Entry { display, key })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(raw: &str) -> String {
        group_key(&clean(raw))
    }

    #[test]
    fn control_characters_and_bidi_overrides_never_get_in() {
        assert_eq!(strip_controls("a\u{0}b\u{7}c\u{1b}[31md\u{9b}e", false), "abc[31mde");
        assert_eq!(strip_controls("one\r\ntwo\tthree", true), "one\ntwo three");
        assert_eq!(strip_controls("one\ntwo", false), "one two");
        assert_eq!(strip_controls("\u{202E}txt.exe\u{202C} \u{2066}x\u{2069}", true), "txt.exe x");
        assert_eq!(clean("\u{1b}]0;owned\u{7}family"), "0;ownedfamily");
        assert_eq!(clean("\u{200B}\u{200D}\u{FEFF}"), "");
        assert!(!has_visible("\u{200B} \u{2060}\u{00AD}\u{3164}\n"));
        assert!(has_visible("\u{200B}x"));
        assert!(read_entry("\u{200B}\u{200C}", &[], true).is_err());
    }

    #[test]
    fn cleaning_trims_and_normalises() {
        let cases = [
            ("  together!  ", "together"),
            ("\u{201c}Trust\u{201d}.", "Trust"),
            ("co   production", "co production"),
            ("ＮＨＳ", "NHS"),
            ("A&E.", "A&E"),
            ("#together", "#together"),
            ("...", ""),
            ("don't", "don't"),
        ];
        for (raw, cleaned) in cases {
            assert_eq!(clean(raw), cleaned, "{raw:?}");
        }
    }

    #[test]
    fn entries_that_mean_the_same_group_together() {
        let groups: [&[&str]; 9] = [
            &["together", "Together", "TOGETHER", " together. "],
            &["family", "families", "Families"],
            &["partnership", "partnerships"],
            &["co-production", "coproduction", "co production", "Co-Production", "co‑production"],
            &["café", "cafe", "Café"],
            &["GP", "GPs", "gp"],
            &["NHS", "ＮＨＳ"],
            &["A&E", "a&e"],
            &["parent carers", "parent carer", "Parent-carers"],
        ];
        for group in groups {
            let first = key(group[0]);
            for entry in group {
                assert_eq!(key(entry), first, "{entry:?} should group with {:?}", group[0]);
            }
        }
    }

    #[test]
    fn entries_that_differ_stay_apart() {
        let apart =
            [("community", "communication"), ("care", "carer"), ("SEN", "send"), ("NHS", "NH"), ("trust", "truth")];
        for (a, b) in apart {
            assert_ne!(key(a), key(b), "{a:?} and {b:?}");
        }
    }

    #[test]
    fn acronyms_are_kept_whole() {
        assert_eq!(key("NHS"), "nhs");
        assert_eq!(key("SEN"), "sen");
        assert_eq!(key("GPs"), "gp");
        assert!(read_entry("US", &[], true).is_ok(), "an acronym is not the stop word 'us'");
        assert!(read_entry("IT", &[], true).is_ok());
        assert_eq!(read_entry("GP", &[], true).map(|e| e.display), Ok("GP".to_owned()));
    }

    #[test]
    fn stop_words_are_refused_only_alone() {
        let refused = read_entry("the", &[], true).expect_err("a stop word");
        assert_eq!(refused.code, ErrorCode::StopWord);
        assert!(refused.message.contains("the") && refused.message.contains("too common"));
        assert_eq!(read_entry("The", &[], true).map_err(|e| e.code), Err(ErrorCode::StopWord));
        assert!(read_entry("the best", &[], true).is_ok());
        for useful in ["good", "great", "useful", "interesting", "together"] {
            assert!(read_entry(useful, &[], true).is_ok(), "{useful} is a word a workshop needs");
        }
        let extra = vec!["co-production".to_owned()];
        assert_eq!(read_entry("Co-production", &extra, true).map_err(|e| e.code), Err(ErrorCode::StopWord));
    }

    #[test]
    fn limits_and_empty_entries() {
        assert_eq!(read_entry("  !!  ", &[], true).map_err(|e| e.code), Err(ErrorCode::InvalidText));
        assert_eq!(read_entry("one two three four", &[], true).map_err(|e| e.code), Err(ErrorCode::InvalidText));
        assert_eq!(read_entry(&"a".repeat(41), &[], true).map_err(|e| e.code), Err(ErrorCode::InvalidText));
        assert!(read_entry("one two three", &[], true).is_ok());
    }

    #[test]
    fn notes_give_their_meaningful_words_once() {
        let words: Vec<String> =
            note_words("Not enough time, and the TIME we have goes on GP forms. Families' time!", &[])
                .into_iter()
                .map(|(_, spelling)| spelling)
                .collect();
        assert_eq!(words, vec!["enough", "time", "goes", "GP", "forms", "Families"]);
        let extra = vec!["forms".to_owned()];
        assert!(!note_words("forms, forms", &extra).iter().any(|(_, w)| w == "forms"));
        assert!(note_words("I'm 100 % sure", &[]).iter().all(|(_, w)| w == "sure"));
    }

    #[test]
    fn profanity_is_refused_unless_the_filter_is_off() {
        assert_eq!(read_entry("shit", &[], true).map_err(|e| e.code), Err(ErrorCode::Inappropriate));
        assert!(read_entry("shit", &[], false).is_ok());
        assert!(read_entry("Scunthorpe", &[], true).is_ok(), "no false positive on a place name");
    }
}
