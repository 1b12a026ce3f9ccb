//! The findings report in DOCX and tagged PDF, for a four-session series of the design's
//! example agenda: read back by real readers (python-docx; poppler's `pdfinfo` and
//! `pdftotext`; pikepdf for the PDF's structure tree, all installed by `.ci/run`), with
//! participants' and organisers' hostile text shown as text, and the numbers agreeing with
//! the HTML report and the spreadsheet.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use chorus::activity::Activity;
use chorus::activity::jamboard::{Color, JamboardEvent};
use chorus::activity::scale::ScaleEvent;
use chorus::activity::wordcloud::WordCloudEvent;
use chorus::export::{self, Format, Report, one_decimal, signed_one_decimal};
use chorus::journal::{Event, SessionRecord};
use chorus::report::content::ReportContent;
use chorus::report::{self, Document};
use chorus::session::SessionState;
use serde_json::{Value, json};

/// Text that means something to typst, HTML, XML or Markdown.
const HOSTILE: &str = "#exit() ] * $x$ \\ <script>alert(1)</script> _y_ @ref // not a comment";
/// An organiser's theme name, just as hostile.
const HOSTILE_THEME: &str = "Time & money <b>*bold*</b> #set text(red)";
/// A board's title (a heading in the report), hostile too.
const HOSTILE_TITLE: &str = "Personal pledges = #pagebreak() [*x*] `raw` <h1>";

/// An organiser's section title, hostile too: the organiser's words are text in every format.
const HOSTILE_SECTION: &str = "Why we did it <script>alert('x')</script> #set page(fill: red) & *more*";
/// A line of an organiser's text, as hostile.
const HOSTILE_LINE: &str = "We <b>listened</b> #emph[here] $5 & `more` \\ [link](x)";
/// A section the organiser hid: in no format.
const HIDDEN_SECTION: &str = "Draft notes, not for the report";

const STATEMENTS: [&str; 4] = [
    "I understand the term co-production",
    "I know how to use co-production in my daily life",
    "I have the tools and support to help me with co-production",
    "My colleagues understand how to use co-production",
];

fn agenda() -> Vec<Activity> {
    serde_json::from_value(json!([
        {"id": "feel", "kind": "scale", "title": "How do you feel about co-production?",
         "statements": STATEMENTS, "min": 1, "max": 5,
         "labels": {"min": "Not at all", "max": "Completely", "points": []}, "rounds": ["Before", "After"]},
        {"id": "word", "kind": "wordcloud", "prompt": "What word would you use instead of co-production?",
         "max_entries": 3, "profanity_filter": true, "stop_words": []},
        {"id": "board", "kind": "jamboard", "title": "What gets in the way, and what works?",
         "frames": ["Barriers", "Successes"], "dots": 2, "notes_per_participant": 5},
        {"id": "pledges", "kind": "jamboard", "title": HOSTILE_TITLE, "frames": ["My pledge"],
         "dots": 0, "notes_per_participant": 2}
    ]))
    .expect("agenda")
}

/// Session `k`'s participants: `4 + 2k` who answer and one who only opened the link.
fn took_part(k: usize) -> u32 {
    4 + 2 * k as u32
}

/// A rating before (from 1 to 2 + the statement's index) and after (higher, up to 5); every fifth participant leaves before the end.
fn before(k: usize, p: u32, s: usize) -> i32 {
    1 + ((p as usize * 7 + s * 3 + k) % (2 + s)) as i32
}

fn after(k: usize, p: u32, s: usize) -> Option<i32> {
    (!p.is_multiple_of(5)).then(|| (before(k, p, s) + 1 + ((p as usize + s + k) % 3) as i32).min(5))
}

const WORDS: [&str; 7] =
    ["Together", "together", "Partnership", "Working together", "Listening", "partnership", "Trust"];

/// One workshop of the series as journal events, with `people` who take part.
fn workshop(k: usize, people: u32) -> Vec<Event> {
    let scale = |participant, round, statement, value| {
        Event::from(ScaleEvent::ScaleAnswer { participant, activity: "feel".into(), round, statement, value })
    };
    let mut events = vec![Event::AgendaReplaced { agenda: agenda() }];
    for participant in 1..=people + 1 {
        events.push(Event::Joined { participant, token_hash: format!("token-{k}-{participant}") });
    }
    events.push(Event::Step { activity: Some("feel".into()), round: 0, open: true, reveal: false });
    for p in 1..=people {
        for s in 0..STATEMENTS.len() {
            events.push(scale(p, 0, s, before(k, p, s)));
        }
    }
    events.push(Event::Step { activity: Some("word".into()), round: 0, open: true, reveal: true });
    for p in 1..=people {
        let text = WORDS[(p as usize + k) % WORDS.len()];
        events.push(
            WordCloudEvent::WordEntry { participant: p, activity: "word".into(), entry: p, text: text.into() }.into(),
        );
    }
    events.push(Event::Step { activity: Some("board".into()), round: 0, open: true, reveal: false });
    let notes: [(u32, &str); 4] =
        [(0, "Not enough time"), (0, "Time and money"), (1, "Parents felt heard"), (0, HOSTILE)];
    for (n, (frame, text)) in notes.into_iter().enumerate() {
        events.push(
            JamboardEvent::NoteAdded {
                participant: 1 + n as u32,
                activity: "board".into(),
                note: 10 + n as u32,
                frame,
                text: text.into(),
                color: Color::Yellow,
            }
            .into(),
        );
    }
    events.push(JamboardEvent::ThemeSet { activity: "board".into(), theme: 20, name: HOSTILE_THEME.into() }.into());
    events.push(JamboardEvent::NoteThemed { activity: "board".into(), note: 10, theme: Some(20) }.into());
    events.push(JamboardEvent::NoteThemed { activity: "board".into(), note: 11, theme: Some(20) }.into());
    events.push(JamboardEvent::Voting { activity: "board".into(), open: true }.into());
    events.push(JamboardEvent::Dot { participant: 2, activity: "board".into(), note: 11, add: true }.into());
    events.push(Event::Step { activity: Some("pledges".into()), round: 0, open: true, reveal: false });
    events.push(
        JamboardEvent::NoteAdded {
            participant: 1,
            activity: "pledges".into(),
            note: 30,
            frame: 0,
            text: format!("I will ask parents first (session {})", k + 1),
            color: Color::Green,
        }
        .into(),
    );
    events.push(Event::Step { activity: Some("feel".into()), round: 1, open: true, reveal: false });
    for p in 1..=people {
        for s in 0..STATEMENTS.len() {
            if let Some(value) = after(k, p, s) {
                events.push(scale(p, 1, s, value));
            }
        }
    }
    events.push(Event::Closed);
    events
}

const CODES: [&str; 4] = ["31415926", "27182818", "14142135", "17320508"];

/// What the organiser wrote for the series report: an introduction, the generated
/// sections moved about, themes with quotes from three sessions (a note of the first, a
/// note of the third, a word of the second) and one unfiled (a pledge of the fourth), next
/// steps, and a hidden draft.
fn series_content() -> ReportContent {
    serde_json::from_value(json!({
        "sections": [
            {"id": "introduction", "title": HOSTILE_SECTION,
             "text": format!("# Background\nFour workshops for staff\nand parents.\n\n- {HOSTILE_LINE}\n- We met four times")},
            {"id": "attendance"},
            {"id": "activities"},
            {"id": "themes"},
            {"id": "next_steps", "title": "You said – we are doing", "text": "- We will meet monthly\n- We will pay for cover"},
            {"id": "draft", "title": HIDDEN_SECTION, "text": "Not for anyone", "hidden": true}
        ],
        "themes": [
            {"id": "time", "title": "Time", "text": "What this means: staff need time to take part."},
            {"id": "together", "title": "Working together", "text": ""}
        ],
        "quotes": [
            {"session": CODES[0], "activity": "board", "item": "10", "theme": "time"},
            {"session": CODES[2], "activity": "board", "item": "11", "theme": "time"},
            // A word-cloud group's id is its stemmed key.
            {"session": CODES[1], "activity": "word", "item": "togeth", "theme": "together"},
            {"session": CODES[3], "activity": "pledges", "item": "30", "theme": null}
        ]
    }))
    .expect("content")
}

/// The series report of the four workshops, a week apart, at fixed times.
fn series() -> Report {
    series_of(took_part)
}

/// The series with `people(k)` taking part in session `k`.
fn series_of(people: impl Fn(usize) -> u32) -> Report {
    let sessions = (0..4)
        .map(|k| {
            let record = SessionRecord {
                code: CODES[k].into(),
                series: CODES[0].into(),
                title: "Co-production training".into(),
                host_key_hash: String::new(),
                present_key_hash: String::new(),
                created_at: 1_763_820_000_000 + 604_800_000 * k as i64,
                closed_at: None,
            };
            let start = record.created_at;
            let mut events = workshop(k, people(k));
            if k == 0 {
                // Written after the workshop closed, kept with the series' first session.
                let content = series_content().check().expect("a valid content");
                events.push(Event::ReportSaved { content: Box::new(content), series: true });
            }
            let events = events.into_iter().enumerate().map(|(i, e)| (start + 60_000 * i as i64, e));
            export::session_part(&record, &SessionState::replay(&record, events))
        })
        .collect();
    let mut report = export::build(Some(CODES[0].to_owned()), "Co-production training".into(), sessions);
    report.generated_at = 1_765_000_000_000;
    report
}

/// The figures of the before/after table, worked out here from the ratings given (not read
/// from any export): per statement, the mean before, the mean after, and the change.
fn expected_rows() -> Vec<[String; 4]> {
    (0..STATEMENTS.len())
        .map(|s| {
            let (mut before_sum, mut before_n, mut after_sum, mut after_n) = (0, 0, 0, 0);
            for k in 0..4 {
                for p in 1..=took_part(k) {
                    before_sum += before(k, p, s);
                    before_n += 1;
                    if let Some(value) = after(k, p, s) {
                        after_sum += value;
                        after_n += 1;
                    }
                }
            }
            let first = f64::from(before_sum) / f64::from(before_n);
            let last = f64::from(after_sum) / f64::from(after_n);
            [STATEMENTS[s].to_owned(), one_decimal(first), one_decimal(last), signed_one_decimal(last - first)]
        })
        .collect()
}

/// Every format of the series, written once for all the tests here.
struct Rendered {
    _dir: tempfile::TempDir,
    document: Document,
    docx: PathBuf,
    pdf: PathBuf,
    html: String,
    xlsx: Vec<u8>,
}

fn rendered() -> &'static Rendered {
    static RENDERED: OnceLock<Rendered> = OnceLock::new();
    RENDERED.get_or_init(|| {
        let report = series();
        let document = report::document(&report);
        let dir = tempfile::tempdir().expect("temp dir");
        let docx = dir.path().join("report.docx");
        let pdf = dir.path().join("report.pdf");
        std::fs::write(&docx, export::render(&report, Format::Docx).expect("docx")).expect("write docx");
        std::fs::write(&pdf, export::render(&report, Format::Pdf).expect("pdf")).expect("write pdf");
        let html = String::from_utf8(export::render(&report, Format::Html).expect("html")).expect("UTF-8");
        let xlsx = export::render(&report, Format::Xlsx).expect("xlsx");
        // `CHORUS_REPORT_KEEP=DIR` keeps the documents, to look at them.
        if let Some(keep) = std::env::var_os("CHORUS_REPORT_KEEP") {
            std::fs::create_dir_all(&keep).expect("keep dir");
            for file in [&docx, &pdf] {
                std::fs::copy(file, Path::new(&keep).join(file.file_name().expect("name"))).expect("keep");
            }
            std::fs::write(Path::new(&keep).join("report.html"), &html).expect("keep");
        }
        Rendered { _dir: dir, document, docx, pdf, html, xlsx }
    })
}

/// The Python with python-docx and pikepdf: `CHORUS_REPORT_PYTHON`, or the virtual
/// environment `.ci/run` makes in `target/report-venv`.
pub(crate) fn python() -> PathBuf {
    let python = std::env::var_os("CHORUS_REPORT_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/report-venv/bin/python"));
    assert!(
        python.exists(),
        "{} is missing: the report tests read documents back with python-docx and pikepdf. Make it with \
         `python3 -m venv target/report-venv && target/report-venv/bin/pip install -r tests/report/requirements.txt` \
         (as .ci/run does), or set CHORUS_REPORT_PYTHON",
        python.display()
    );
    python
}

/// Runs a reader and returns what it printed; a reader that fails fails the test.
pub(crate) fn run(program: impl AsRef<std::ffi::OsStr>, args: &[&Path]) -> String {
    let program = program.as_ref();
    let output = Command::new(program).args(args).output().unwrap_or_else(|err| {
        panic!("cannot run {program:?} (is poppler-utils installed? .ci/run installs it): {err}")
    });
    assert!(output.status.success(), "{program:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8")
}

pub(crate) fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/report").join(name)
}

fn docx_read_back() -> Value {
    serde_json::from_str(&run(python(), &[&script("read_docx.py"), &rendered().docx])).expect("JSON from read_docx.py")
}

fn pdf_structure() -> Value {
    serde_json::from_str(&run(python(), &[&script("pdf_structure.py"), &rendered().pdf]))
        .expect("JSON from pdf_structure.py")
}

/// The PDF's text, each run of white space made one space.
fn pdf_text() -> String {
    let text = run("pdftotext", &[Path::new("-layout"), &rendered().pdf, Path::new("-")]);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().expect("an array").iter().map(|v| v.as_str().expect("a string").to_owned()).collect()
}

/// The document model: who attended, what we found (with a chart per scale), the top words,
/// the notes by board and theme; headings in order, no level skipped.
#[test]
fn the_report_document_has_every_section() {
    let document = &rendered().document;
    assert_eq!(document.title, "Co-production training");
    assert_eq!(document.language, "en-GB");
    let headings: Vec<(u8, &str)> = document.headings().collect();
    let level_two: Vec<&str> = headings.iter().filter(|(level, _)| *level == 2).map(|(_, text)| *text).collect();
    assert_eq!(
        level_two,
        [
            HOSTILE_SECTION,
            "Who attended",
            "What we found",
            "The most frequent words",
            "Notes by board and theme",
            "Themes: what we heard",
            "You said – we are doing"
        ],
        "the organiser's order; the hidden draft left out"
    );
    assert!(headings.contains(&(3, "Background")), "a heading written in the text");
    assert!(headings.contains(&(3, "Time")) && headings.contains(&(3, "Working together")));
    assert!(headings.contains(&(3, "Quotes")) || headings.contains(&(3, "Other quotes")));
    assert_eq!(headings[0], (1, "Co-production training"));
    for pair in headings.windows(2) {
        assert!(pair[1].0 <= pair[0].0 + 1, "a heading level is skipped: {pair:?}");
    }
    let attendance = document.tables().next().expect("attendance table");
    assert_eq!(attendance.rows.len(), 5, "four sessions and the total");
    assert_eq!(
        attendance.rows[4][3..],
        ["32".to_owned(), "28".to_owned()],
        "opened, took part: 4+6+8+10 and one more each"
    );
    let before_after = document.tables().find(|t| t.caption == "Mean rating per statement").expect("before/after");
    let rows: Vec<[String; 4]> =
        before_after.rows.iter().map(|r| [r[0].clone(), r[1].clone(), r[2].clone(), r[3].clone()]).collect();
    assert_eq!(rows, expected_rows());
    // The before/after chart and the picture of the word cloud.
    assert_eq!(document.figures().count(), 2);
    // The top word, counted here: entries that differ only in case are one word.
    let mut counts: std::collections::BTreeMap<String, u32> = Default::default();
    for k in 0..4 {
        for p in 1..=took_part(k) {
            *counts.entry(WORDS[(p as usize + k) % WORDS.len()].to_lowercase()).or_default() += 1;
        }
    }
    let (top, top_count) = counts.iter().max_by_key(|(_, count)| **count).expect("words");
    let words = document.tables().find(|t| t.caption == "The most frequent words").expect("words");
    assert_eq!((words.rows[0][1].to_lowercase(), words.rows[0][2].clone()), (top.clone(), top_count.to_string()));
    assert_eq!(words.rows.len(), counts.len(), "every word, up to 25");

    // The themes with their quotes, from the sessions they were said in.
    let time = document.blocks.iter().position(|b| *b == report::Block::heading(3, "Time")).expect("Time");
    let quotes: Vec<String> = document.blocks[time..]
        .iter()
        .find_map(|b| match b {
            report::Block::List { items } => {
                Some(items.iter().map(|runs| runs.iter().map(|r| r.text.as_str()).collect::<String>()).collect())
            }
            _ => None,
        })
        .expect("the theme's quotes");
    assert_eq!(
        quotes,
        [
            "“Not enough time” – What gets in the way, and what works?, Barriers, session 3141 5926",
            "“Time and money” – What gets in the way, and what works?, Barriers, session 1414 2135",
        ]
    );
    let words_theme =
        document.blocks.iter().position(|b| *b == report::Block::heading(3, "Working together")).expect("theme");
    let report::Block::List { items } = &document.blocks[words_theme + 1] else { panic!("quotes of the theme") };
    let word: String = items[0].iter().map(|r| r.text.as_str()).collect();
    // In session 2 one person gave "Together" (WORDS[(p + 1) % 7] for p = 6), so no count.
    assert_eq!(word, "“Together” – What word would you use instead of co-production?, session 2718 2818");
}

/// The organiser's words are text in every format: a title and a line full of HTML, typst
/// and Markdown come out verbatim in the DOCX and the PDF and escaped in the HTML; the
/// hidden section is in none of them.
#[test]
fn organisers_text_is_text_in_every_format() {
    let rendered = rendered();
    let docx = docx_read_back();
    let headings: Vec<&str> = docx["paragraphs"]
        .as_array()
        .expect("paragraphs")
        .iter()
        .filter(|p| p["style"] == "Heading 2")
        .filter_map(|p| p["text"].as_str())
        .collect();
    assert!(headings.contains(&HOSTILE_SECTION), "{headings:?}");
    assert!(strings(&docx["list_items"]).iter().any(|t| t == HOSTILE_LINE), "the list item verbatim");
    let all_text = docx.to_string();
    assert!(!all_text.contains(HIDDEN_SECTION));
    let text = pdf_text();
    assert!(text.contains(HOSTILE_SECTION), "the title verbatim in the PDF");
    assert!(text.contains(HOSTILE_LINE), "the line verbatim in the PDF");
    assert!(text.contains("“Not enough time”") && text.contains("You said – we are doing"));
    assert!(!text.contains(HIDDEN_SECTION));
    let escape = |t: &str| t.replace('&', "&#38;").replace('<', "&#60;").replace('>', "&#62;").replace('\'', "&#39;");
    assert!(rendered.html.contains(&escape(HOSTILE_SECTION)), "escaped in the HTML");
    assert!(rendered.html.contains(&escape(HOSTILE_LINE)));
    assert!(!rendered.html.contains("<script") && !rendered.html.contains("<b>listened"));
    assert!(!rendered.html.contains(HIDDEN_SECTION));
}

/// The DOCX opens in python-docx: its title and language, Word's heading styles in the
/// document's order, every table's first row marked as a repeated header, the figures of
/// the before/after table, a picture with alternative text per chart, and hostile text as
/// plain text.
#[test]
fn the_docx_reads_back_with_headings_tables_and_numbers() {
    let document = &rendered().document;
    let docx = docx_read_back();
    assert_eq!(docx["title"], "Co-production training");
    assert_eq!(docx["language"], "en-GB");
    assert_eq!(docx["text_language"], "en-GB");
    assert_eq!(docx["author"], "Chorus");
    assert_eq!(docx["created"], "2025-12-06T05:46:40+00:00");
    let headings: Vec<(String, String)> = docx["paragraphs"]
        .as_array()
        .expect("paragraphs")
        .iter()
        .filter(|p| p["style"].as_str().is_some_and(|s| s.starts_with("Heading")))
        .map(|p| {
            (p["style"].as_str().unwrap_or_default().to_owned(), p["text"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    let expected: Vec<(String, String)> =
        document.headings().map(|(level, text)| (format!("Heading {level}"), text.to_owned())).collect();
    assert_eq!(headings, expected);
    assert!(headings.contains(&("Heading 3".to_owned(), HOSTILE_TITLE.to_owned())));
    let tables = docx["tables"].as_array().expect("tables");
    assert_eq!(tables.len(), document.tables().count());
    for (read, table) in tables.iter().zip(document.tables()) {
        assert_eq!(read["header_repeats"], true, "{}", table.caption);
        let properties = read["row_properties"].as_array().expect("row properties");
        assert!(properties.iter().all(|n| n == 1), "one w:trPr per row in {}: {properties:?}", table.caption);
        assert_eq!(strings(&read["rows"][0]), table.header, "{}", table.caption);
    }
    let position = document.tables().position(|t| t.caption == "Mean rating per statement").expect("table");
    let rows: Vec<[String; 4]> = tables[position]["rows"].as_array().expect("rows")[1..]
        .iter()
        .map(|row| {
            let cells = strings(row);
            [cells[0].clone(), cells[1].clone(), cells[2].clone(), cells[3].clone()]
        })
        .collect();
    assert_eq!(rows, expected_rows());
    let alts = strings(&docx["picture_alt_texts"]);
    let expected_alts: Vec<String> = document.figures().map(|f| f.alt.clone()).collect();
    assert_eq!(alts, expected_alts);
    let charts: Vec<&String> = alts.iter().filter(|alt| alt.starts_with("Bar chart")).collect();
    assert_eq!(charts.len(), 1, "{alts:?}");
    assert!(charts[0].contains("I understand the term co-production"));
    assert!(alts.iter().any(|alt| alt.starts_with("The words, sized by how often")), "{alts:?}");
    let formats = strings(&docx["list_formats"]);
    assert!(!formats.is_empty() && formats.iter().all(|f| f == "bullet"), "lists are bulleted: {formats:?}");
    let texts: Vec<String> = docx["list_items"].as_array().expect("list items").iter().map(|v| v.to_string()).collect();
    assert!(strings(&docx["list_items"]).iter().any(|t| t == HOSTILE), "hostile note not verbatim: {texts:?}");
    assert!(
        docx["paragraphs"]
            .as_array()
            .expect("paragraphs")
            .iter()
            .any(|p| p["text"].as_str() == Some(&format!("{HOSTILE_THEME} (1 note)")))
            || docx["paragraphs"]
                .as_array()
                .expect("paragraphs")
                .iter()
                .any(|p| p["text"].as_str().is_some_and(|t| t.starts_with(HOSTILE_THEME))),
        "hostile theme name not verbatim"
    );
}

/// The PDF is tagged PDF/UA-1 with its title and language; its structure tree has the
/// headings, a header cell for every column head, and a Figure with alternative text for
/// every chart; hostile text comes out as text.
#[test]
fn the_pdf_is_tagged_with_headings_table_headers_and_alt_text() {
    let document = &rendered().document;
    let info = run("pdfinfo", &[&rendered().pdf]);
    assert!(info.lines().any(|line| line.starts_with("Tagged:") && line.ends_with("yes")), "{info}");
    assert!(info.lines().any(|line| line.starts_with("Title:") && line.ends_with("Co-production training")), "{info}");
    let tree = pdf_structure();
    assert_eq!(tree["lang"], "en-GB");
    assert_eq!(tree["marked"], true);
    assert_eq!(tree["pdfua_part"], "1", "XMP pdfuaid:part");
    let roles = strings(&tree["roles"]);
    let count = |role: &str| roles.iter().filter(|r| *r == role).count();
    for level in 1..=4u8 {
        let expected = document.headings().filter(|(l, _)| *l == level).count();
        assert_eq!(count(&format!("H{level}")), expected, "H{level} in {roles:?}");
    }
    let column_heads: usize = document.tables().map(|t| t.header.len()).sum();
    assert!(count("TH") >= column_heads, "{} TH for {column_heads} column heads", count("TH"));
    assert!(count("Table") >= document.tables().count());
    let figures: Vec<String> = strings(&tree["figure_alts"]);
    let expected: Vec<String> = document.figures().map(|f| f.alt.clone()).collect();
    assert_eq!(figures, expected, "a Figure with /Alt per chart");
    let text = pdf_text();
    assert!(text.contains(HOSTILE), "hostile note not verbatim in: {text}");
    assert!(text.contains(HOSTILE_THEME), "hostile theme not verbatim");
    assert!(text.contains(HOSTILE_TITLE), "hostile heading not verbatim");
}

/// The before/after figures are the same in the HTML report, the spreadsheet, the DOCX and
/// the PDF, and match the ratings given.
#[test]
fn numbers_agree_across_html_docx_pdf_and_xlsx() {
    use calamine::{Data, Reader, Xlsx};
    let rendered = rendered();
    let expected = expected_rows();
    // HTML: the statement's row, its three figures in order.
    let html = rendered.html.split_whitespace().collect::<Vec<_>>().join(" ");
    for [statement, first, last, change] in &expected {
        let row = format!(
            "<th scope=\"row\">{statement}</th><td class=\"num\">{first}</td><td class=\"num\">{last}</td><td class=\"num\">{change}</td>"
        );
        assert!(html.contains(&row), "HTML lacks {row}");
    }
    // XLSX: the Summary sheet's before/after table, rounded by the one rule.
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(rendered.xlsx.clone())).expect("open xlsx");
    let summary = book.worksheet_range("Summary").expect("summary");
    for [statement, first, last, change] in &expected {
        let row = (0..summary.height())
            .find(|&r| summary.get((r, 0)) == Some(&Data::String(statement.clone())))
            .unwrap_or_else(|| panic!("{statement} not in the spreadsheet"));
        let figure = |c: usize| match summary.get((row, c)) {
            Some(Data::Float(value)) => *value,
            other => panic!("not a figure: {other:?}"),
        };
        assert_eq!((one_decimal(figure(1)), one_decimal(figure(2))), (first.clone(), last.clone()));
        assert_eq!(signed_one_decimal(figure(3)), *change);
    }
    // DOCX: checked cell by cell in the DOCX test; here, the table as a whole.
    let docx = docx_read_back();
    let flat: Vec<String> = docx["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .flat_map(|t| t["rows"].as_array().cloned().unwrap_or_default())
        .flat_map(|r| strings(&r))
        .collect();
    for [_, first, last, change] in &expected {
        let at = flat.windows(3).position(|w| w == [first.clone(), last.clone(), change.clone()]);
        assert!(at.is_some(), "DOCX lacks {first} {last} {change}");
    }
    // PDF: each row's figures side by side on the page.
    let text = pdf_text();
    for [_, first, last, change] in &expected {
        let figures = format!("{first} {last} {change}");
        assert!(text.contains(&figures), "PDF lacks {figures} in: {text}");
    }
    // Attendance: the totals in every format.
    assert!(text.contains("All sessions 32 28"), "PDF attendance total");
    assert!(flat.windows(5).any(|w| w[0] == "All sessions" && w[3] == "32" && w[4] == "28"), "DOCX attendance total");
}

/// How long one report takes in each format, for 4 sessions × 100 participants: not a
/// timed test (it asserts nothing about speed), a measurement for docs/performance.md. Run
/// with `cargo test --release --test integration report::timing -- --ignored --nocapture`.
/// Each run is a different report (one more participant per session each time), so typst's
/// memoised layout of the previous run does not make the next one look faster than a new
/// report is.
#[test]
#[ignore = "a measurement; run by hand"]
fn timing() {
    use std::time::Instant;
    const RUNS: u32 = 10;
    let reports: Vec<Report> = (0..=RUNS).map(|run| series_of(move |_| 100 + run)).collect();
    assert_eq!(reports[0].participants(), 400);
    let time = |what: &str, f: &dyn Fn(&Report) -> usize| {
        let mut ms: Vec<f64> = reports
            .iter()
            .map(|report| {
                let start = Instant::now();
                assert!(f(report) > 0);
                start.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        let first = ms.remove(0);
        ms.sort_by(f64::total_cmp);
        println!(
            "{what}: first {first:.1} ms, then median {:.1} ms, slowest {:.1} ms over {RUNS} runs",
            ms[ms.len() / 2],
            ms[ms.len() - 1]
        );
    };
    time("document model", &|report| report::document(report).blocks.len());
    let sections: Vec<String> = ["introduction", "attendance", "activities", "themes"].map(str::to_owned).to_vec();
    time("what we heard page", &|report| {
        report::summary::page(&report::public_document(report, &sections)).expect("page").len()
    });
    for format in [Format::Html, Format::Xlsx, Format::Docx, Format::Pdf] {
        time(format.extension(), &|report| export::render(report, format).expect("render").len());
    }
}

/// A report of a session still running says so, and a board left without a title gets a
/// heading all the same; both formats are still written (typst refuses a PDF/UA-1 document
/// that breaks its rules, so a written PDF is a conforming one).
#[test]
fn a_running_session_and_an_untitled_board() {
    let record = SessionRecord {
        code: CODES[0].into(),
        series: CODES[0].into(),
        title: "Co-production training".into(),
        host_key_hash: String::new(),
        present_key_hash: String::new(),
        created_at: 1_763_820_000_000,
        closed_at: None,
    };
    let mut events = workshop(0, 3);
    assert!(matches!(events.pop(), Some(Event::Closed)));
    if let Some(Event::AgendaReplaced { agenda }) = events.first_mut() {
        let mut untitled: Vec<Value> = agenda.iter().map(|a| serde_json::to_value(a).expect("activity")).collect();
        untitled[2]["title"] = json!("");
        *agenda = serde_json::from_value(Value::Array(untitled)).expect("agenda");
    }
    let events = events.into_iter().enumerate().map(|(i, e)| (record.created_at + 60_000 * i as i64, e));
    let part = export::session_part(&record, &SessionState::replay(&record, events));
    let report = export::build(None, record.title.clone(), vec![part]);
    let document = report::document(&report);
    let still_running = document.blocks.iter().any(|block| {
        matches!(block, report::Block::Paragraph { runs } if runs.first().is_some_and(|run| run.bold && run.text.starts_with("Still running")))
    });
    assert!(still_running, "{:?}", document.blocks.get(..4));
    assert!(document.headings().any(|heading| heading == (3, "Board")));
    assert!(
        document.tables().all(|t| t.caption != "Mean rating per session, Before → After"),
        "one session: no per-session table"
    );
    for format in [Format::Docx, Format::Pdf] {
        assert!(!export::render(&report, format).expect("render").is_empty());
    }
}

/// Writes the documents the pictures in docs/exports.md are taken from, with an organiser's
/// content free of the tests' hostile text, to `CHORUS_REPORT_PICTURES` (a directory): the
/// series report in HTML, DOCX and PDF, and the "what we heard" page of its first session.
/// Run with `CHORUS_REPORT_PICTURES=/tmp/pictures cargo test --test integration
/// report::pictures -- --ignored`; docs/exports.md says how the pictures are taken.
#[test]
#[ignore = "writes the documents for the docs' pictures; run by hand"]
fn pictures() {
    let dir = PathBuf::from(std::env::var_os("CHORUS_REPORT_PICTURES").expect("CHORUS_REPORT_PICTURES"));
    std::fs::create_dir_all(&dir).expect("dir");
    let mut report = series();
    let mut content = series_content();
    content.sections[0].title = Some("Why we did it".into());
    content.sections[0].text = Some(
        "Parents and staff told us that decisions about their children's services were made without them. \
         Over four workshops we asked what co-production means to them, what gets in the way, and what works.\n\n\
         - Four workshops, a week apart\n- Staff and parents together in each"
            .into(),
    );
    report.content = content.check().expect("valid");
    for format in [Format::Html, Format::Docx, Format::Pdf] {
        let bytes = export::render(&report, format).expect("render");
        std::fs::write(dir.join(format!("report.{}", format.extension())), bytes).expect("write");
    }
    let sections: Vec<String> = ["introduction", "activities", "themes", "next_steps"].map(str::to_owned).to_vec();
    let document = report::public_document(&report, &sections);
    std::fs::write(dir.join("summary.html"), report::summary::page(&document).expect("page")).expect("write");
}
