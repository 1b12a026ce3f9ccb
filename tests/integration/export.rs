//! Exports: every format pinned for a fixed session, read back, escaped and made inert; a
//! series added up; closing, downloading, the command line, deleting and retention.

use chorus::activity::Activity;
use chorus::activity::jamboard::{Color, JamboardEvent};
use chorus::activity::scale::ScaleEvent;
use chorus::activity::wordcloud::WordCloudEvent;
use chorus::export::{self, Format, Report};
use chorus::journal::{Event, SessionRecord};
use chorus::session::SessionState;
use serde_json::{Value, json};

use crate::common::*;

const HOSTILE: &str = "<img src=x onerror=alert(1)> & \"quotes\"";

fn record(code: &str, series: &str, created_at: i64) -> SessionRecord {
    SessionRecord {
        code: code.into(),
        series: series.into(),
        title: "Co-production training".into(),
        host_key_hash: String::new(),
        present_key_hash: String::new(),
        created_at,
        closed_at: None,
    }
}

fn agenda() -> Vec<Activity> {
    serde_json::from_value(json!([
        {"id": "feel", "kind": "scale", "title": "How do you feel about co-production?",
         "statements": ["I understand the term co-production", "My colleagues understand how to use co-production"],
         "min": 1, "max": 5, "labels": {"min": "Not at all", "max": "Completely", "points": []}, "rounds": ["Before", "After"]},
        {"id": "word", "kind": "wordcloud", "prompt": "What word would you use instead of co-production?",
         "max_entries": 3, "profanity_filter": true, "stop_words": []},
        {"id": "board", "kind": "jamboard", "title": "What gets in the way?", "frames": ["Barriers", "Successes"],
         "dots": 2, "notes_per_participant": 5}
    ]))
    .expect("agenda")
}

/// A whole workshop as journal events, with fixed times: the same report every run.
fn workshop(before: [[i32; 2]; 3], after: [[i32; 2]; 3]) -> Vec<Event> {
    let scale = |participant, round, statement, value| {
        Event::from(ScaleEvent::ScaleAnswer { participant, activity: "feel".into(), round, statement, value })
    };
    let mut events = vec![Event::AgendaReplaced { agenda: agenda() }];
    for participant in 1..=3 {
        events.push(Event::Joined { participant, token_hash: format!("token-{participant}") });
    }
    events.push(Event::Step { activity: Some("feel".into()), round: 0, open: true, reveal: false });
    for (p, values) in before.iter().enumerate() {
        for (s, value) in values.iter().enumerate() {
            events.push(scale(p as u32 + 1, 0, s, *value));
        }
    }
    events.push(Event::Step { activity: Some("word".into()), round: 0, open: true, reveal: true });
    for (entry, (participant, text)) in
        [(1, "Together"), (2, "together"), (3, "Partnership"), (1, "partnerships"), (2, "=HYPERLINK(\"x\")")]
            .into_iter()
            .enumerate()
    {
        events.push(
            WordCloudEvent::WordEntry {
                participant,
                activity: "word".into(),
                entry: entry as u32 + 1,
                text: text.into(),
            }
            .into(),
        );
    }
    events.push(Event::Hidden { activity: "word".into(), item: "=hyperlink(\"x\")".into(), hidden: true });
    events.push(Event::Step { activity: Some("board".into()), round: 0, open: true, reveal: false });
    for (note, (participant, frame, text)) in
        [(1, 0, "Not enough time"), (2, 0, "Time and money"), (3, 1, "Parents felt heard"), (2, 1, HOSTILE)]
            .into_iter()
            .enumerate()
    {
        let note = 10 + note as u32;
        events.push(
            JamboardEvent::NoteAdded {
                participant,
                activity: "board".into(),
                note,
                frame,
                text: text.into(),
                color: Color::Yellow,
            }
            .into(),
        );
    }
    events.push(JamboardEvent::ThemeSet { activity: "board".into(), theme: 20, name: "Time".into() }.into());
    events.push(JamboardEvent::NoteThemed { activity: "board".into(), note: 10, theme: Some(20) }.into());
    events.push(JamboardEvent::NoteThemed { activity: "board".into(), note: 11, theme: Some(20) }.into());
    events.push(JamboardEvent::NoteMoved { activity: "board".into(), note: 10, frame: None, x: 0.25, y: 0.5 }.into());
    events.push(JamboardEvent::Voting { activity: "board".into(), open: true }.into());
    events.push(JamboardEvent::Dot { participant: 1, activity: "board".into(), note: 11, add: true }.into());
    events.push(Event::Step { activity: Some("feel".into()), round: 1, open: true, reveal: false });
    for (p, values) in after.iter().enumerate() {
        for (s, value) in values.iter().enumerate() {
            if *value > 0 {
                events.push(scale(p as u32 + 1, 1, s, *value));
            }
        }
    }
    events.push(Event::Closed);
    events
}

fn fixed_report(series: bool) -> Report {
    let first = record("12345678", "12345678", 1_763_820_000_000);
    let events = workshop([[3, 2], [4, 3], [2, 2]], [[5, 4], [4, 4], [0, 0]]);
    let mut sessions = vec![replay(&first, events)];
    if series {
        let second = record("87654321", "12345678", 1_764_424_800_000);
        sessions.push(replay(&second, workshop([[2, 1], [3, 3], [1, 2]], [[4, 4], [5, 3], [3, 0]])));
    }
    let mut report = export::build(series.then(|| "12345678".to_owned()), "Co-production training".into(), sessions);
    report.generated_at = 1_764_500_000_000;
    report
}

fn replay(record: &SessionRecord, events: Vec<Event>) -> export::SessionPart {
    let start = record.created_at;
    let state =
        SessionState::replay(record, events.into_iter().enumerate().map(|(i, e)| (start + 60_000 * i as i64, e)));
    export::session_part(record, &state)
}

fn text(report: &Report, format: Format) -> String {
    String::from_utf8(export::render(report, format).expect("render")).expect("UTF-8")
}

/// Every text format of a fixed session, pinned.
#[test]
fn exports_of_a_fixed_session_are_pinned() {
    let report = fixed_report(false);
    insta::assert_snapshot!("session.json", text(&report, Format::Json));
    insta::assert_snapshot!("session.csv", text(&report, Format::Csv));
    insta::assert_snapshot!("session.html", text(&report, Format::Html));
    insta::assert_snapshot!("series.json", text(&fixed_report(true), Format::Json));
    insta::assert_snapshot!("series.html", text(&fixed_report(true), Format::Html));
}

/// The spreadsheet, read back cell by cell, pinned: every sheet's text and numbers.
#[test]
fn the_spreadsheet_is_pinned() {
    use calamine::{Reader, Xlsx};
    let bytes = export::render(&fixed_report(true), Format::Xlsx).expect("xlsx");
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("open xlsx");
    let mut text = String::new();
    for name in book.sheet_names() {
        let sheet = book.worksheet_range(&name).expect("sheet");
        text.push_str(&format!("== {name}\n"));
        for row in sheet.rows() {
            let cells: Vec<String> = row.iter().map(|cell| cell.to_string()).collect();
            text.push_str(cells.join(" | ").trim_end_matches([' ', '|']));
            text.push('\n');
        }
    }
    insta::assert_snapshot!("series.xlsx.txt", text);
}

/// The spreadsheet, read back: the before/after table, the chart's sheet and one sheet per
/// activity, with participants' words as text, never formulas.
#[test]
fn the_spreadsheet_reads_back() {
    use calamine::{Data, Reader, Xlsx};
    let bytes = export::render(&fixed_report(false), Format::Xlsx).expect("xlsx");
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("open xlsx");
    let names = book.sheet_names();
    assert_eq!(names.len(), 4, "{names:?}");
    assert_eq!(names[0], "Summary");
    let summary = book.worksheet_range("Summary").expect("summary");
    let row = |r: usize| -> Vec<Data> { (0..8).map(|c| summary.get((r, c)).cloned().unwrap_or(Data::Empty)).collect() };
    let header_row = (0..20).find(|&r| summary.get((r, 0)) == Some(&Data::String("Statement".into()))).expect("header");
    assert_eq!(row(header_row)[1], Data::String("Before mean".into()));
    assert_eq!(row(header_row)[7], Data::String("Paired mean change".into()));
    let first = row(header_row + 1);
    assert_eq!(first[0], Data::String("I understand the term co-production".into()));
    // Before 3, 4, 2 → 3.0; After 5, 4 → 4.5; paired (3→5, 4→4) → +1.0 over 2.
    assert_eq!(
        (first[1].clone(), first[2].clone(), first[3].clone()),
        (Data::Float(3.0), Data::Float(4.5), Data::Float(1.5))
    );
    assert_eq!(
        (first[4].clone(), first[5].clone(), first[6].clone(), first[7].clone()),
        (Data::Float(3.0), Data::Float(2.0), Data::Float(2.0), Data::Float(1.0))
    );
    let cloud = book.worksheet_range(&names[2]).expect("cloud sheet");
    let words: Vec<String> = (3..6).filter_map(|r| cloud.get((r, 0)).map(|d| d.to_string())).collect();
    assert!(words.contains(&"=HYPERLINK(\"x\")".to_owned()), "a formula-like word is kept as text: {words:?}");
    let formulas = book.worksheet_formula(&names[2]).expect("formulas");
    assert!(formulas.cells().all(|(_, _, f)| f.is_empty()), "no cell holds a formula");
}

/// The CSV opens in Excel (BOM), has one row per response, and runs nothing.
#[test]
fn the_csv_is_tidy_and_inert() {
    let csv = text(&fixed_report(false), Format::Csv);
    assert!(csv.starts_with('\u{feff}'));
    let mut reader = ::csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let headers: Vec<String> = reader.headers().expect("headers").iter().map(str::to_owned).collect();
    assert_eq!(
        headers,
        [
            "session",
            "activity",
            "kind",
            "round",
            "statement",
            "participant",
            "value",
            "text",
            "frame",
            "theme",
            "hidden",
            "at"
        ]
    );
    let rows: Vec<::csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    // 6 Before + 4 After answers, 5 words, 4 notes.
    assert_eq!(rows.len(), 19);
    for row in &rows {
        for cell in row.iter() {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "live formula in {row:?}");
        }
    }
    let word = rows.iter().find(|r| r[7].contains("HYPERLINK")).expect("the formula-like word");
    assert_eq!(&word[7], "'=HYPERLINK(\"x\")");
    assert_eq!(&word[10], "true", "hidden words are marked, not dropped");
}

/// Participants' words in the report are text, never markup.
#[test]
fn the_report_escapes_what_participants_typed() {
    let html = text(&fixed_report(false), Format::Html);
    assert!(!html.contains("<img src=x"), "hostile markup survived");
    assert!(
        html.contains("&#60;img src=x onerror=alert(1)&#62;") || html.contains("&lt;img src=x onerror=alert(1)&gt;")
    );
    assert!(!html.contains("<script"), "the report carries no script");
}

/// A series adds up counts (and so means and n) over its sessions, keeping each session's own.
#[test]
fn a_series_adds_up_its_sessions() {
    let json: Value =
        serde_json::from_slice(&export::render(&fixed_report(true), Format::Json).expect("json")).expect("parse");
    let statement = &json["activities"][0]["results"]["statements"][0];
    // Before: 3, 4, 2 and 2, 3, 1 → 15 / 6 = 2.5; After: 5, 4 and 4, 5, 3 → 21 / 5 = 4.2.
    assert_eq!(statement["rounds"]["Before"]["n"], 6);
    assert_eq!(statement["rounds"]["Before"]["mean"], 2.5);
    assert_eq!(statement["rounds"]["After"]["n"], 5);
    assert_eq!(statement["rounds"]["After"]["mean"], 4.2);
    // Paired: +2, 0 and +2, +2, +2 → 8 / 5.
    assert_eq!(statement["paired"]["n"], 5);
    assert_eq!(statement["paired"]["mean_change"], 1.6);
    assert_eq!(json["sessions"].as_array().map(Vec::len), Some(2));
    assert_eq!(json["sessions"][1]["activities"][0]["results"]["statements"][0]["rounds"]["Before"]["mean"], 2.0);
    assert_eq!(json["participants"], 6);
    let cloud = &json["activities"][1]["results"];
    assert_eq!(cloud["entries"][0], json!({"id": "togeth", "text": "Together", "count": 4, "hidden": false}));
}

/// Closing writes every format to the data dir; the console downloads them with its key; the
/// series export follows a copied session; the command line reads the data dir.
#[actix_web::test]
async fn closing_writes_exports_and_they_download() {
    let server = TestServer::start().await;
    let session = create_session(&server).await;
    let scale = session.activity(0);
    let (mut host, _) = Client::host(&server.ws_url(), &session).await;
    host.ok(json!({"type": "goto", "activity": scale})).await;
    let (mut phone, _) = Client::participant(&server.ws_url(), &session.code, None).await;
    phone.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 2})).await;

    let url = |path: &str| server.url(&format!("/api/sessions/{}{path}", session.code));
    let (status, _) = get_json(&url("/export/json"), None).await;
    assert_eq!(status, 401, "exports need the host key");
    let (status, body) = get_json(&url("/export/odt"), Some(&session.host_key)).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));

    let (status, body) = post_json(&url("/close"), Some(&session.host_key), &json!({})).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("closed")));
    let dir = server.data_dir.path().join("exports").join(&session.code);
    // Laying out the PDF takes seconds in a debug build on a busy machine (docs/performance.md).
    for _ in 0..1200 {
        if Format::ALL.iter().all(|f| dir.join(format!("chorus-{}.{}", session.code, f.extension())).exists()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for format in Format::ALL {
        let file = dir.join(format!("chorus-{}.{}", session.code, format.extension()));
        assert!(file.exists(), "{} was not written", file.display());
        let mut response = awc::Client::new()
            .get(url(&format!("/export/{}", format.extension())))
            .bearer_auth(&session.host_key)
            .send()
            .await
            .expect("download");
        assert_eq!(response.status(), 200);
        let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert_eq!(content_type, format.content_type());
        let disposition =
            response.headers().get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(disposition.starts_with("attachment"), "{disposition}");
        let body = response.body().limit(1 << 22).await.expect("body");
        assert!(!body.is_empty());
        if format == Format::Html {
            let csp =
                response.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
            assert!(csp.starts_with("default-src 'none'"), "{csp}");
        }
    }
    let (_, json) = get_json(&url("/export/json"), Some(&session.host_key)).await;
    assert_eq!(json["responses"][0]["participant_id"], "P1", "participants are pseudonyms");
    assert!(!json.to_string().contains(&session.host_key));

    // A copy joins the series; its export adds both up.
    let (status, copy) = post_json(
        &server.url("/api/sessions"),
        None,
        &json!({"title": "Co-production training, session 2", "copy_from": {"code": session.code, "host_key": session.host_key}}),
    )
    .await;
    assert_eq!(status, 201, "{copy}");
    assert_eq!(copy["agenda"][0]["id"], scale, "a copied agenda keeps its ids");
    let copy = Session::created(copy);
    let (mut host, _) = Client::host(&server.ws_url(), &copy).await;
    host.ok(json!({"type": "goto", "activity": scale})).await;
    let (mut phone, _) = Client::participant(&server.ws_url(), &copy.code, None).await;
    phone.ok(json!({"type": "answer", "activity": scale, "round": "Before", "statement": 0, "value": 4})).await;
    let (status, series) =
        get_json(&server.url(&format!("/api/sessions/{}/series/export/json", copy.code)), Some(&copy.host_key)).await;
    assert_eq!(status, 200);
    assert_eq!(series["series"], session.code);
    assert_eq!(series["activities"][0]["results"]["statements"][0]["rounds"]["Before"]["mean"], 3.0);
    assert_eq!(series["sessions"].as_array().map(Vec::len), Some(2));
    let (_, info) = get_json(&server.url(&format!("/api/sessions/{}", copy.code)), Some(&copy.host_key)).await;
    assert_eq!(info["series"], session.code);

    // The command line, with the server stopped.
    drop((host, phone));
    let data_dir = server.stop().await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
        .args(["export", &session.code, "--format", "csv", "--series", "--data-dir"])
        .arg(data_dir.path())
        .output()
        .expect("run chorus export");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let csv = String::from_utf8(output.stdout).expect("UTF-8");
    assert_eq!(csv.lines().count(), 3, "a header and two answers: {csv}");
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
        .args(["export", "99999999", "--data-dir"])
        .arg(data_dir.path())
        .output()
        .expect("run chorus export");
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("99999999"));
}

/// Deleting a session removes it and its files; closed sessions past the retention period
/// are purged when the server starts.
#[actix_web::test]
async fn sessions_are_deleted_on_request_and_after_retention() {
    let server = TestServer::start().await;
    let doomed = create_session(&server).await;
    let kept = create_session(&server).await;
    let old = create_session(&server).await;
    let url = |s: &Session, path: &str| server.url(&format!("/api/sessions/{}{path}", s.code));
    let (status, _) = post_json(&url(&doomed, "/close"), Some(&doomed.host_key), &json!({})).await;
    assert_eq!(status, 200);
    let (mut phone, _) = Client::participant(&server.ws_url(), &old.code, None).await;
    let response = awc::Client::new().delete(url(&doomed, "")).send().await.expect("delete");
    assert_eq!(response.status(), 401);
    let response =
        awc::Client::new().delete(url(&doomed, "")).bearer_auth(&doomed.host_key).send().await.expect("delete");
    assert_eq!(response.status(), 204);
    let (status, _) = get_json(&url(&doomed, ""), Some(&doomed.host_key)).await;
    assert_eq!(status, 404);
    assert!(!server.data_dir.path().join("exports").join(&doomed.code).exists());

    // Deleting a live session tells its phones it has ended.
    let response = awc::Client::new().delete(url(&old, "")).bearer_auth(&old.host_key).send().await.expect("delete");
    assert_eq!(response.status(), 204);
    phone.expect("session_closed").await;

    let (status, _) = post_json(&url(&kept, "/close"), Some(&kept.host_key), &json!({})).await;
    assert_eq!(status, 200);
    let data_dir = server.stop().await;
    let mut settings = chorus::config::Settings::new(data_dir.path());
    settings.retention_days = 0;
    let server = TestServer::start_in(data_dir, settings).await;
    let mut gone = false;
    // The close's exports may still be laid out when the server stops (see above).
    for _ in 0..1200 {
        let (status, _) = get_json(&server.url(&format!("/api/sessions/{}", kept.code)), Some(&kept.host_key)).await;
        if status == 404 {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(gone, "a closed session past the retention period is purged");
}
