//! The JSON export: everything, in the shape PROTOCOL.md gives.

use serde::Serialize;
use serde_json::{Value, json};

use super::{ExportError, Report, SessionPart, kind, pseudonym, rfc3339};
use crate::activity::{Activity, Aggregate};

#[derive(Serialize)]
struct ActivityJson<'a> {
    #[serde(flatten)]
    activity: &'a Activity,
    results: &'a Aggregate,
}

fn session_json(session: &SessionPart) -> Value {
    json!({
        "code": session.code,
        "title": session.title,
        "series": session.series,
        "created_at": rfc3339(session.created_at),
        "closed_at": session.closed_at.map(rfc3339),
        "participants": session.participants,
        "opened": session.opened,
    })
}

fn responses(session: &SessionPart) -> impl Iterator<Item = Value> + '_ {
    session.activities.iter().flat_map(move |part| {
        part.responses.iter().map(move |response| {
            json!({
                "session": session.code,
                "participant_id": pseudonym(response.participant),
                "activity": part.activity.id,
                "kind": kind(&part.activity),
                "round": response.round,
                "statement": response.statement,
                "value": response.value,
                "text": response.text,
                "frame": response.frame,
                "theme": response.theme,
                "hidden": response.hidden,
                "at": rfc3339(response.at),
            })
        })
    })
}

pub fn render(report: &Report) -> Result<Vec<u8>, ExportError> {
    let activities: Vec<ActivityJson> = report
        .activities
        .iter()
        .map(|combined| ActivityJson { activity: &combined.activity, results: &combined.results })
        .collect();
    let responses: Vec<Value> = report.sessions.iter().flat_map(responses).collect();
    let mut out = match (&report.series, report.sessions.first()) {
        (None, Some(session)) => json!({"session": session_json(session)}),
        _ => {
            let sessions: Vec<Value> = report
                .sessions
                .iter()
                .map(|session| {
                    let activities: Vec<ActivityJson> = session
                        .activities
                        .iter()
                        .map(|part| ActivityJson { activity: &part.activity, results: &part.results })
                        .collect();
                    json!({"session": session_json(session), "activities": activities})
                })
                .collect();
            json!({"series": report.series, "title": report.title, "participants": report.participants(), "opened": report.opened(), "sessions": sessions})
        }
    };
    out["activities"] = serde_json::to_value(activities)?;
    out["responses"] = Value::Array(responses);
    out["report"] = serde_json::to_value(&report.content)?;
    out["generated_at"] = json!(rfc3339(report.generated_at));
    let mut bytes = serde_json::to_vec_pretty(&out)?;
    bytes.push(b'\n');
    Ok(bytes)
}
