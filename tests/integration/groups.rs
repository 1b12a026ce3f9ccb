//! Participant groups ("About you") over a real server: a series of four sessions, one per
//! venue, run again from the first, with booked numbers, a group of three that is
//! suppressed everywhere it should be, and a participant who changes group.

use serde_json::{Value, json};

use crate::common::*;

const GROUPS: [&str; 3] = ["Parent carer", "Young person", "Professional"];
const PARENT: u64 = 0;
const YOUNG: u64 = 1;
const PRO: u64 = 2;

fn about_you() -> Value {
    json!({"prompt": "I am a…", "groups": GROUPS, "min_group_size": 5})
}

fn agenda() -> Value {
    json!([{"kind": "scale", "title": "How do you feel?", "statements": ["I understand co-production"],
            "min": 1, "max": 5, "rounds": ["Before", "After"]}])
}

/// Who comes to one venue, how they rate Before and After, and what was booked.
struct Venue {
    /// (group, or None for "prefer not to say"; how many; Before; After)
    people: Vec<(Option<u64>, usize, i64, i64)>,
    booked: Option<Value>,
}

fn venues() -> Vec<Venue> {
    vec![
        // Venue 1 also has the participant who changes group (a sixth parent carer, 5 → 5)
        // and a phone that joins and never answers.
        Venue {
            people: vec![(Some(PARENT), 5, 2, 4), (Some(YOUNG), 3, 1, 4), (Some(PRO), 5, 3, 4), (None, 2, 3, 3)],
            booked: Some(json!({"total": 20, "groups": [8, 4, 6]})),
        },
        Venue {
            people: vec![(Some(PARENT), 5, 2, 4), (Some(PRO), 6, 3, 4), (None, 1, 3, 3)],
            booked: Some(json!({"total": 15, "groups": [6, null, 8]})),
        },
        Venue { people: vec![(Some(PARENT), 5, 2, 4), (Some(PRO), 5, 3, 4)], booked: None },
        Venue {
            people: vec![(Some(PARENT), 7, 2, 4), (Some(PRO), 5, 3, 4)],
            booked: Some(json!({"total": 14, "groups": [9, 0, 5]})),
        },
    ]
}

async fn rate(phone: &mut Client, activity: &str, round: &str, value: i64) {
    phone.ok(json!({"type": "answer", "activity": activity, "round": round, "statement": 0, "value": value})).await;
}

fn group_stats<'a>(results: &'a Value, group: &str, round: &str) -> &'a Value {
    &results["data"]["by_group"][group]["statements"][0]["rounds"][round]
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9)
}

/// Four venues, one session each, run again from the first: every group's figures on the
/// console, suppressed on the projector and phones and in every export where a group is
/// small (or would be given away), a participant's answers moving with them to their new
/// group, booked numbers, and the series' attendance and per-group before/after tables
/// checked number by number.
#[actix_web::test]
async fn a_series_of_four_venues_splits_every_result_by_group() {
    let server = TestServer::start().await;
    let base = server.url("");

    // Bad questions are refused with their codes, and no session is made.
    for (about, code) in [
        (json!({"prompt": "I am", "groups": ["Only one"]}), "invalid_about_you"),
        (json!({"prompt": "I am", "groups": ["A", "a "]}), "invalid_about_you"),
        (json!({"prompt": "I am", "groups": ["A", ""]}), "invalid_about_you"),
        (json!({"prompt": "I am", "groups": ["A", "B"], "min_group_size": 2}), "invalid_group_size"),
    ] {
        let (status, body) =
            post_json(&format!("{base}/api/sessions"), None, &json!({"title": "x", "agenda": [], "about_you": about}))
                .await;
        assert_eq!((status, body["error"].as_str()), (400, Some(code)), "{body}");
    }

    let (status, first) = post_json(
        &format!("{base}/api/sessions"),
        None,
        &json!({"title": "Co-production training", "agenda": agenda(), "about_you": about_you()}),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    let mut sessions: Vec<Session> = Vec::new();
    for (index, venue) in venues().into_iter().enumerate() {
        let session = if index == 0 {
            Session::created(first.clone())
        } else {
            // "Run again": the same agenda and the same question, in the same series.
            let copy = json!({"code": sessions[0].code, "host_key": sessions[0].host_key});
            let (status, body) = post_json(
                &format!("{base}/api/sessions"),
                None,
                &json!({"title": format!("Venue {}", index + 1), "copy_from": copy}),
            )
            .await;
            assert_eq!(status, 201, "{body}");
            Session::created(body)
        };
        let (_, info) =
            get_json(&server.url(&format!("/api/sessions/{}", session.code)), Some(&session.host_key)).await;
        assert_eq!(info["about_you"], about_you(), "run again copies the question");
        assert_eq!(info["about_you_answered"], false);
        if let Some(booked) = &venue.booked {
            let url = server.url(&format!("/api/sessions/{}/booked", session.code));
            let (status, body) = put_json(&url, Some(&session.host_key), booked).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["booked"], *booked);
        }
        run_venue(&server, &session, &venue, index == 0).await;
        sessions.push(session);
    }

    // Bad booked numbers: more per group than in total; the wrong number of groups.
    let url = server.url(&format!("/api/sessions/{}/booked", sessions[2].code));
    for bad in [json!({"total": 5, "groups": [3, 3, 0]}), json!({"total": 5, "groups": [1]}), json!({"total": -1})] {
        let (status, body) = put_json(&url, Some(&sessions[2].host_key), &bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
        if bad["total"] != -1 {
            assert_eq!(body["error"], "invalid_booked");
        }
    }

    check_series_exports(&server, &sessions).await;
}

/// One venue: phones join and say who they are, rate Before and After.
async fn run_venue(server: &TestServer, session: &Session, venue: &Venue, first: bool) {
    let ws = server.ws_url();
    let activity = session.activity(0);
    let (mut host, welcome) = Client::host(&ws, session).await;
    assert_eq!(welcome["session"]["about_you"], about_you());
    host.ok(json!({"type": "goto", "activity": activity, "round": "Before"})).await;

    let mut phones = Vec::new();
    for &(group, count, before, after) in &venue.people {
        for _ in 0..count {
            let (mut phone, welcome) = Client::participant(&ws, &session.code, None).await;
            assert_eq!(welcome["about_you"]["groups"], json!(GROUPS));
            assert_eq!((welcome["group"].clone(), welcome["group_chosen"].clone()), (Value::Null, json!(false)));
            phone.ok(json!({"type": "group", "group": group})).await;
            rate(&mut phone, &activity, "Before", before).await;
            phones.push((phone, after));
        }
    }
    if !first {
        host.ok(json!({"type": "goto", "activity": activity, "round": "After"})).await;
        for (phone, after) in &mut phones {
            rate(phone, &activity, "After", *after).await;
        }
        return;
    }

    // Venue 1: a phone that never answers, and one that says "Professional", rates Before 5,
    // then says "Parent carer": its answer moves with it.
    let (_idle, _) = Client::participant(&ws, &session.code, None).await;
    let (mut mover, welcome) = Client::participant(&ws, &session.code, None).await;
    let token = welcome["token"].as_str().expect("token").to_owned();
    assert_eq!(mover.refused(json!({"type": "group", "group": 3})).await, "invalid_group");
    mover.ok(json!({"type": "group", "group": PRO})).await;
    rate(&mut mover, &activity, "Before", 5).await;
    let results = host
        .expect_where("the professional's 5", |m| {
            m["type"] == "results" && group_stats(m, "Professional", "Before")["n"] == 6
        })
        .await;
    assert!(close(&group_stats(&results, "Professional", "Before")["mean"], 20.0 / 6.0));
    mover.ok(json!({"type": "group", "group": PARENT})).await;
    let results = host
        .expect_where("the move", |m| m["type"] == "results" && group_stats(m, "Parent carer", "Before")["n"] == 6)
        .await;
    // The console: real figures for every group, the small one marked.
    assert!(close(&group_stats(&results, "Parent carer", "Before")["mean"], 15.0 / 6.0));
    assert_eq!(group_stats(&results, "Professional", "Before")["n"], 5);
    assert!(close(&group_stats(&results, "Professional", "Before")["mean"], 3.0));
    assert_eq!(group_stats(&results, "Young person", "Before")["n"], 3);
    assert_eq!(results["data"]["small_groups"], json!(["Young person"]));
    assert_eq!(round_stats(&results, 0, "Before")["n"], 16, "the total is everyone's");
    drop(mover);
    let (mut mover, welcome) = Client::participant(&ws, &session.code, Some(&token)).await;
    assert_eq!((welcome["group"].clone(), welcome["group_chosen"].clone()), (json!(PARENT), json!(true)));

    // The question cannot change now that people have answered it.
    let url = server.url(&format!("/api/sessions/{}/agenda", session.code));
    let changed = json!({"prompt": "I am a…", "groups": ["Parent", "Other"]});
    let (status, body) =
        put_json(&url, Some(&session.host_key), &json!({"agenda": session.body["agenda"], "about_you": changed})).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("about_you_in_use")), "{body}");
    let (_, info) = get_json(&server.url(&format!("/api/sessions/{}", session.code)), Some(&session.host_key)).await;
    assert_eq!(info["about_you_answered"], true);
    let same = json!({"agenda": session.body["agenda"], "about_you": about_you()});
    assert_eq!(put_json(&url, Some(&session.host_key), &same).await.0, 200, "sending it back unchanged is fine");

    // Attendance per group, on the console only.
    let counts = host
        .expect_where("counts by group", |m| {
            m["type"] == "counts" && m["groups"]["Parent carer"]["joined"] == 6 && m["not_said"]["joined"] == 3
        })
        .await;
    assert_eq!(counts["groups"]["Parent carer"], json!({"joined": 6, "took_part": 6}));
    assert_eq!(counts["groups"]["Young person"], json!({"joined": 3, "took_part": 3}));
    assert_eq!(counts["groups"]["Professional"], json!({"joined": 5, "took_part": 5}));
    assert_eq!(counts["not_said"], json!({"joined": 3, "took_part": 2}), "2 preferred not to say, 1 never chose");

    host.ok(json!({"type": "goto", "activity": activity, "round": "After"})).await;
    for (phone, after) in &mut phones {
        rate(phone, &activity, "After", *after).await;
    }
    rate(&mut mover, &activity, "After", 5).await;
    host.expect_where("After in", |m| m["type"] == "results" && round_stats(m, 0, "After")["n"] == 16).await;

    // The projector and phones: nothing by group until the facilitator allows a split;
    // then the group of three is suppressed.
    let (mut projector, welcome) = Client::presenter(&ws, session).await;
    assert_eq!(welcome["session"]["about_you"]["groups"], json!(GROUPS), "the projector knows the labels");
    host.ok(json!({"type": "set_open", "open": false})).await;
    host.ok(json!({"type": "reveal", "show": true})).await;
    let shown = projector.expect("results").await;
    assert!(shown["data"].get("by_group").is_none(), "no split yet: {shown}");
    let phone = &mut phones[0].0;
    let shown = phone.expect("results").await;
    assert!(shown["data"].get("by_group").is_none(), "no split yet: {shown}");
    host.ok(json!({"type": "projector_groups", "split": "side_by_side"})).await;
    let step = projector.expect_where("the split", |m| m["type"] == "step" && m["split"] == "side_by_side").await;
    assert_eq!(step["split"], "side_by_side");
    let shown = projector
        .expect_where("results by group", |m| m["type"] == "results" && m["data"]["by_group"].is_object())
        .await;
    assert_eq!(shown["data"]["by_group"]["Young person"], json!({"suppressed": true}));
    assert_eq!(group_stats(&shown, "Parent carer", "After")["n"], 6);
    assert!(shown["data"].get("small_groups").is_none(), "the list is the console's");
    let shown =
        phone.expect_where("results by group", |m| m["type"] == "results" && m["data"]["by_group"].is_object()).await;
    assert_eq!(shown["data"]["by_group"]["Young person"], json!({"suppressed": true}));
    assert!(close(&group_stats(&shown, "Parent carer", "After")["mean"], 25.0 / 6.0));
    assert_eq!(host.refused(json!({"type": "projector_groups", "split": 3})).await, "invalid_group");
    host.ok(json!({"type": "projector_groups", "split": PARENT})).await;

    // The session's CSV: a group column, the group of three never named, the mover's two
    // ratings under "Parent carer".
    let csv = String::from_utf8(download(server, session, "csv").await).expect("utf-8");
    let mut lines = csv.lines();
    assert!(lines.next().is_some_and(|header| header.ends_with(",group")), "{csv}");
    assert!(!csv.contains("Young person"), "{csv}");
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 16 * 2, "16 people, Before and After");
    assert_eq!(rows.iter().filter(|row| row.ends_with(",Parent carer")).count(), 12);
    assert_eq!(rows.iter().filter(|row| row.ends_with(",Professional")).count(), 10);
    // The mover's ratings (5 and 5) are the only 5s, both under Parent carer.
    let fives: Vec<&&str> = rows.iter().filter(|row| row.contains(",5,")).collect();
    assert_eq!(fives.len(), 2, "{csv}");
    assert!(fives.iter().all(|row| row.ends_with(",Parent carer")));
}

async fn check_series_exports(server: &TestServer, sessions: &[Session]) {
    let first = &sessions[0];
    let url = server.url(&format!("/api/sessions/{}/series/export/json", first.code));
    let (status, series) = get_json(&url, Some(&first.host_key)).await;
    assert_eq!(status, 200);

    // The attendance table, number by number.
    let attendance = series["attendance"].as_array().expect("attendance");
    assert_eq!(attendance.len(), 4);
    let expected = [
        (
            json!(20),
            17,
            16,
            json!({"booked": 8, "took_part": 6}),
            json!({"suppressed": true}),
            json!({"booked": 6, "took_part": 5}),
        ),
        // Venue 2: 1 preferred not to say and nobody is suppressed by size, but the total
        // less both groups would be that one person's: the smaller group (5) is suppressed.
        (
            json!(15),
            12,
            12,
            json!({"suppressed": true}),
            json!({"booked": null, "took_part": 0}),
            json!({"booked": 8, "took_part": 6}),
        ),
        (
            Value::Null,
            10,
            10,
            json!({"booked": null, "took_part": 5}),
            json!({"booked": null, "took_part": 0}),
            json!({"booked": null, "took_part": 5}),
        ),
        (
            json!(14),
            12,
            12,
            json!({"booked": 9, "took_part": 7}),
            json!({"booked": 0, "took_part": 0}),
            json!({"booked": 5, "took_part": 5}),
        ),
    ];
    for (row, (session, (booked, opened, took_part, parent, young, pro))) in
        attendance.iter().zip(sessions.iter().zip(expected))
    {
        assert_eq!(row["session"], session.code.as_str());
        assert_eq!(
            (row["booked"].clone(), row["opened"].clone(), row["took_part"].clone()),
            (booked, json!(opened), json!(took_part)),
            "{row}"
        );
        assert_eq!(row["groups"]["Parent carer"], parent, "{row}");
        assert_eq!(row["groups"]["Young person"], young, "{row}");
        assert_eq!(row["groups"]["Professional"], pro, "{row}");
    }

    // The before/after table per group, added up over the series: parent carers 23
    // (6 + 5 + 5 + 7), Before 2 but the mover's 5, After 4 but the mover's 5.
    let results = &series["activities"][0]["results"];
    let stats = |group: &str, round: &str| results["by_group"][group]["statements"][0]["rounds"][round].clone();
    assert_eq!(stats("Parent carer", "Before")["n"], 23);
    assert!(close(&stats("Parent carer", "Before")["mean"], 49.0 / 23.0));
    assert!(close(&stats("Parent carer", "After")["mean"], 93.0 / 23.0));
    let paired = &results["by_group"]["Parent carer"]["statements"][0]["paired"];
    assert_eq!(paired["n"], 23);
    assert!(close(&paired["mean_change"], 44.0 / 23.0));
    assert_eq!(stats("Professional", "Before")["n"], 21);
    assert!(close(&stats("Professional", "Before")["mean"], 3.0));
    assert!(close(&stats("Professional", "After")["mean"], 4.0));
    assert!(close(&results["by_group"]["Professional"]["statements"][0]["paired"]["mean_change"], 1.0));
    assert_eq!(results["by_group"]["Young person"], json!({"suppressed": true}), "3 young people in the whole series");
    assert_eq!(results["statements"][0]["rounds"]["Before"]["n"], 50, "the total counts everyone");
    // Each session's own: venue 1 hides the young people, venue 2 its parent carers.
    let own = |session: usize, group: &str| {
        series["sessions"][session]["activities"][0]["results"]["by_group"][group].clone()
    };
    assert_eq!(own(0, "Young person"), json!({"suppressed": true}));
    assert_eq!(own(0, "Parent carer")["statements"][0]["rounds"]["Before"]["n"], 6);
    assert_eq!(own(1, "Parent carer"), json!({"suppressed": true}));
    assert_eq!(own(1, "Professional")["statements"][0]["rounds"]["Before"]["n"], 6);
    // Rows: a group's label only where it is shown.
    let responses = series["responses"].as_array().expect("responses");
    assert_eq!(responses.len(), 100);
    assert!(responses.iter().all(|row| row["group"] != "Young person"));
    assert_eq!(
        responses
            .iter()
            .filter(|row| row["session"] == sessions[1].code.as_str() && row["group"] == "Parent carer")
            .count(),
        0
    );
    assert_eq!(responses.iter().filter(|row| row["group"] == "Parent carer").count(), 2 * (6 + 5 + 7));

    // The series report (HTML; the DOCX and PDF are written from the same blocks) opens with
    // attendance, by group, and gives each group's before/after table beside the total's.
    let url = server.url(&format!("/api/sessions/{}/series/export/html", first.code));
    let mut response = awc::Client::new().get(url).bearer_auth(&first.host_key).send().await.expect("html");
    let html = String::from_utf8(response.body().limit(1 << 24).await.expect("body").to_vec()).expect("utf-8");
    let attendance_at = html.find("Attendance by group").expect("attendance by group");
    let found_at = html.find("What we found").expect("findings");
    assert!(attendance_at < found_at, "attendance comes first");
    for cell in ["8 / 6", "6 / 5", "8 / 6", "9 / 7", "0 / 0", "– / 23", "– / 21", "fewer than 5"] {
        assert!(html[attendance_at..found_at].contains(cell), "{cell} in the attendance table");
    }
    let parents = html.find("Parent carer: Mean rating per statement").expect("the parent carers' table");
    let table = &html[parents..];
    for cell in ["2.1", "4.0", "+1.9 (n = 23)"] {
        assert!(table[..table.find("</table>").expect("end")].contains(cell), "{cell} for parent carers");
    }
    let pros = html.find("Professional: Mean rating per statement").expect("the professionals' table");
    let table = &html[pros..];
    assert!(table[..table.find("</table>").expect("end")].contains("+1.0 (n = 21)"));
    assert!(!html.contains("Young person: Mean rating"), "the young people's table is not shown");
    assert!(html.contains("Fewer than 5 people in this group answered"));

    // The spreadsheet: attendance by group and each group's table on the Summary, a sheet
    // per group shown.
    let url = server.url(&format!("/api/sessions/{}/series/export/xlsx", first.code));
    let mut response = awc::Client::new().get(url).bearer_auth(&first.host_key).send().await.expect("xlsx");
    let text = xlsx_text(response.body().limit(1 << 24).await.expect("body").to_vec());
    assert!(text.contains("Attendance by group"));
    assert!(text.contains("How do you feel?: Parent carer"));
    assert!(text.contains(
        "How do you feel?: Young person: fewer than 5 answered (or the other groups would give them away), not shown"
    ));
    assert!(!text.contains("How do you feel?: Young person\t"), "no sheet for the young people");

    documents_read_back(server, first, &series).await;
}

/// A series export other than JSON, with the host key.
async fn series_download(server: &TestServer, session: &Session, format: &str) -> Vec<u8> {
    let url = server.url(&format!("/api/sessions/{}/series/export/{format}", session.code));
    let mut response = awc::Client::new().get(url).bearer_auth(&session.host_key).send().await.expect(format);
    assert_eq!(response.status(), 200, "{format}");
    response.body().limit(1 << 24).await.expect("body").to_vec()
}

/// The series report's DOCX (read back with python-docx) and PDF (its text, by poppler's
/// pdftotext): the attendance table and each group's before/after table, number by number
/// against the JSON export, and the young people's real figures nowhere.
async fn documents_read_back(server: &TestServer, first: &Session, series: &Value) {
    use crate::report::{python, run, script};
    let dir = tempfile::tempdir().expect("temp dir");
    let docx = dir.path().join("series.docx");
    let pdf = dir.path().join("series.pdf");
    std::fs::write(&docx, series_download(server, first, "docx").await).expect("write docx");
    std::fs::write(&pdf, series_download(server, first, "pdf").await).expect("write pdf");
    let read: Value =
        serde_json::from_str(&run(python(), &[&script("read_docx.py"), &docx])).expect("JSON from read_docx.py");
    let text = run("pdftotext", &[std::path::Path::new("-layout"), &pdf, std::path::Path::new("-")]);

    // The tables of the DOCX by their captions (a figure's caption names its bars).
    let captions: Vec<String> = read["paragraphs"]
        .as_array()
        .expect("paragraphs")
        .iter()
        .filter(|p| p["style"] == "Caption" && !p["text"].as_str().unwrap_or("").contains("bars"))
        .map(|p| p["text"].as_str().expect("text").to_owned())
        .collect();
    let tables = read["tables"].as_array().expect("tables");
    assert_eq!(captions.len(), tables.len(), "{captions:?}");
    let table = |caption: &str| -> Vec<Vec<String>> {
        let at = captions.iter().position(|c| c == caption).unwrap_or_else(|| panic!("{caption} in {captions:?}"));
        tables[at]["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|row| row.as_array().expect("cells").iter().map(|c| c.as_str().expect("text").to_owned()).collect())
            .collect()
    };
    // The PDF's text, white space made one space and "8 / 6" as "8/6" (the layout's widths).
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ").replace(" / ", "/");

    // Attendance by group: each session's row, cell by cell, from the JSON's attendance.
    let number = |v: &Value| v.as_u64().map_or("–".to_owned(), |n| n.to_string());
    let group_cell = |v: &Value| {
        if v["suppressed"] == true {
            "fewer than 5".to_owned()
        } else {
            format!("{} / {}", number(&v["booked"]), number(&v["took_part"]))
        }
    };
    let spaced = |code: &str| format!("{} {}", &code[..4], &code[4..]);
    let mut expected: Vec<Vec<String>> = Vec::new();
    for row in series["attendance"].as_array().expect("attendance") {
        let mut cells =
            vec![spaced(row["session"].as_str().expect("code")), number(&row["booked"]), number(&row["opened"])];
        cells.push(number(&row["took_part"]));
        cells.extend(GROUPS.iter().map(|group| group_cell(&row["groups"][group])));
        expected.push(cells);
    }
    // The series' line: the sums, each group's taking part as many as rated Before in the
    // series' own per-group table (everyone here rated Before), the young people hidden.
    let before_n = |group: &str| {
        let figures = &series["activities"][0]["results"]["by_group"][group];
        match figures["statements"][0]["rounds"]["Before"]["n"].as_u64() {
            Some(n) => format!("– / {n}"),
            None => "fewer than 5".to_owned(),
        }
    };
    let mut all =
        vec!["All sessions".to_owned(), "–".to_owned(), number(&series["opened"]), number(&series["participants"])];
    all.extend(GROUPS.iter().map(|group| before_n(group)));
    expected.push(all);
    let by_group = table("Attendance by group");
    assert_eq!(by_group[0][4], "Parent carer: booked / took part");
    assert_eq!(by_group[1..], expected[..], "the DOCX's attendance by group");
    assert_eq!(expected[0][4..], ["8 / 6", "fewer than 5", "6 / 5"], "the JSON itself");
    let tables_at = text.find("Table 2: Attendance by group").expect("the PDF's attendance table");
    for cells in &expected {
        let line = cells.join(" ").replace(" / ", "/");
        assert!(text[tables_at..].contains(&line), "the PDF's row {line:?} in {}", &text[tables_at..]);
    }

    // Each group's before/after table (and the total's), number by number from the JSON.
    let results = &series["activities"][0]["results"];
    let row_of = |figures: &Value| -> Vec<String> {
        let statement = &figures["statements"][0];
        let mean = |round: &str| statement["rounds"][round]["mean"].as_f64().expect("mean");
        let n = |round: &str| statement["rounds"][round]["n"].as_u64().expect("n").to_string();
        let paired = &statement["paired"];
        vec![
            statement["text"].as_str().expect("text").to_owned(),
            format!("{:.1}", mean("Before")),
            format!("{:.1}", mean("After")),
            format!("{:+.1}", mean("After") - mean("Before")),
            n("Before"),
            n("After"),
            format!("{:+.1} (n = {})", paired["mean_change"].as_f64().expect("change"), paired["n"]),
        ]
    };
    let mut pdf_at = text.find("What we found").expect("findings");
    for (caption, figures) in [
        ("Mean rating per statement".to_owned(), results),
        ("Parent carer: Mean rating per statement".to_owned(), &results["by_group"]["Parent carer"]),
        ("Professional: Mean rating per statement".to_owned(), &results["by_group"]["Professional"]),
    ] {
        let expected = row_of(figures);
        let rows = table(&caption);
        assert_eq!(rows[0], ["Statement", "Before", "After", "Change", "n Before", "n After", "Paired change"]);
        assert_eq!(rows[1], expected, "the DOCX's {caption}");
        let at = pdf_at + text[pdf_at..].find(&format!(": {caption}")).expect(&caption);
        let line = expected.join(" ");
        assert!(
            text[at..].starts_with(&format!(
                ": {caption} Statement Before After Change n Before n After Paired change {line}"
            )),
            "the PDF's {caption}: {}",
            &text[at..at + 300]
        );
        pdf_at = at;
    }
    assert_eq!(row_of(&results["by_group"]["Parent carer"])[1..], ["2.1", "4.0", "+1.9", "23", "23", "+1.9 (n = 23)"]);

    // The young people's real figures (3 people, 1 → 4: paired +3.0; booked 4, took part 3)
    // are in neither document, nor a table of theirs.
    assert_eq!(results["by_group"]["Young person"], json!({"suppressed": true}));
    let docx_cells: Vec<String> =
        tables.iter().flat_map(|t| t["rows"].as_array().expect("rows").iter().flat_map(strings)).collect();
    for secret in ["(n = 3)", "+3.0", "4 / 3"] {
        assert!(!docx_cells.iter().any(|cell| cell.contains(secret)), "{secret} in the DOCX");
    }
    for secret in ["(n = 3)", "+3.0", "4/3", "Young person: Mean rating"] {
        assert!(!text.contains(secret), "{secret} in the PDF");
    }
    assert!(!captions.iter().any(|c| c.starts_with("Young person")), "no table of the young people's in the DOCX");
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().expect("an array").iter().map(|v| v.as_str().expect("a string").to_owned()).collect()
}

/// (group, or None for "prefer not to say"; how many; Before; After), a round not answered
/// being None.
type Person = (Option<u64>, usize, Option<i64>, Option<i64>);

/// For every figure of a scale's results shown in public (each round's n and each
/// statement's paired n), the total less the groups shown: the people whose figures could
/// be worked out by subtraction. It must be 0 or at least K.
fn residuals(results: &Value) -> Vec<(String, i64)> {
    let statements = results["statements"].as_array().expect("statements");
    let shown: Vec<&Value> = results["by_group"]
        .as_object()
        .expect("by_group")
        .values()
        .filter(|group| group.get("suppressed").is_none())
        .collect();
    let mut out = Vec::new();
    for (s, statement) in statements.iter().enumerate() {
        let mut figure = |name: String, n: &dyn Fn(&Value) -> i64| {
            let groups: i64 = shown.iter().map(|group| n(&group["statements"][s])).sum();
            out.push((name, n(statement) - groups));
        };
        for round in ["Before", "After"] {
            figure(format!("{round} n"), &|st: &Value| st["rounds"][round]["n"].as_i64().expect("n"));
        }
        figure("paired n".into(), &|st: &Value| st["paired"]["n"].as_i64().expect("paired n"));
    }
    out
}

/// The paired change by subtraction: two groups big enough in every round, and 8 who said
/// nothing (5 rated Before, 5 After, only 2 of them both). By the rounds alone nothing is
/// small, but the total's paired change × 15, less the two groups' (× 6 and × 7), would be
/// the summed change of those 2 people. The smaller group is suppressed with them on the
/// projector, on phones and in the exports, and every figure shown leaves 0 or at least K
/// people unaccounted for.
#[actix_web::test]
async fn a_paired_change_cannot_be_worked_out_by_subtraction() {
    let server = TestServer::start().await;
    let (status, body) = post_json(
        &server.url("/api/sessions"),
        None,
        &json!({"title": "Paired", "agenda": agenda(), "about_you": about_you()}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let session = Session::created(body);
    let ws = server.ws_url();
    let activity = session.activity(0);
    let (mut host, _) = Client::host(&ws, &session).await;
    host.ok(json!({"type": "goto", "activity": activity, "round": "Before"})).await;
    // (group, how many, Before, After); None for a round not answered. The two who said
    // nothing and answered both rounds went from 1 to 5: the figure to protect.
    let people: [Person; 5] = [
        (Some(PARENT), 6, Some(2), Some(3)),
        (Some(PRO), 7, Some(3), Some(4)),
        (None, 2, Some(1), Some(5)),
        (None, 3, Some(3), None),
        (None, 3, None, Some(3)),
    ];
    let mut phones = Vec::new();
    for (group, count, before, after) in people {
        for _ in 0..count {
            let (mut phone, _) = Client::participant(&ws, &session.code, None).await;
            phone.ok(json!({"type": "group", "group": group})).await;
            if let Some(before) = before {
                rate(&mut phone, &activity, "Before", before).await;
            }
            phones.push((phone, after));
        }
    }
    host.ok(json!({"type": "goto", "activity": activity, "round": "After"})).await;
    for (phone, after) in &mut phones {
        if let Some(after) = after {
            rate(phone, &activity, "After", *after).await;
        }
    }
    let console = host
        .expect_where("every answer", |m| {
            m["type"] == "results"
                && m["data"]["statements"][0]["paired"]["n"] == 15
                && round_stats(m, 0, "After")["n"] == 18
        })
        .await;
    // The console sees every group, the parent carers marked small though there are 6.
    assert_eq!(console["data"]["by_group"]["Parent carer"]["statements"][0]["paired"]["n"], 6);
    assert_eq!(console["data"]["small_groups"], json!(["Parent carer"]));

    let (mut projector, _) = Client::presenter(&ws, &session).await;
    host.ok(json!({"type": "set_open", "open": false})).await;
    host.ok(json!({"type": "reveal", "show": true})).await;
    host.ok(json!({"type": "projector_groups", "split": "side_by_side"})).await;
    let shown = projector
        .expect_where("results by group", |m| m["type"] == "results" && m["data"]["by_group"].is_object())
        .await;
    let phone = &mut phones[0].0;
    let on_phone =
        phone.expect_where("results by group", |m| m["type"] == "results" && m["data"]["by_group"].is_object()).await;
    let export = String::from_utf8(download(&server, &session, "json").await).expect("utf-8");
    let export: Value = serde_json::from_str(&export).expect("json");
    let (status, series) =
        get_json(&server.url(&format!("/api/sessions/{}/series/export/json", session.code)), Some(&session.host_key))
            .await;
    assert_eq!(status, 200);
    for (what, results) in [
        ("projector", &shown["data"]),
        ("phone", &on_phone["data"]),
        ("export", &export["activities"][0]["results"]),
        ("series", &series["activities"][0]["results"]),
    ] {
        assert_eq!(results["by_group"]["Parent carer"], json!({"suppressed": true}), "{what}: {results}");
        assert_eq!(results["by_group"]["Professional"]["statements"][0]["paired"]["n"], 7, "{what}");
        assert_eq!(results["statements"][0]["paired"]["n"], 15, "{what}");
        for (figure, rest) in residuals(results) {
            assert!(rest == 0 || rest >= 5, "{what}: {figure} leaves {rest} people by subtraction");
        }
    }
    // The report: no table for the parent carers, the professionals' beside the total's.
    let html = String::from_utf8(download(&server, &session, "html").await).expect("utf-8");
    assert!(!html.contains("Parent carer: Mean rating"), "the parent carers' table is not shown");
    assert!(html.contains("Professional: Mean rating per statement"));
    let xlsx = xlsx_text(download(&server, &session, "xlsx").await);
    assert!(xlsx.contains("How do you feel?: Parent carer: fewer than 5 answered (or the other groups would give them away), not shown"), "{xlsx}");
}
