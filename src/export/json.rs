//! The JSON export: everything, in the shape PROTOCOL.md gives.

use serde::Serialize;
use serde_json::{Value, json};

use super::{ExportError, GroupPart, Report, SessionPart, attendance_by_group, kind, pseudonym, rfc3339, shown};
use crate::activity::{Activity, Aggregate};
use crate::session::groups::{ByGroup, GroupFigures, SuppressedMark};

#[derive(Serialize)]
struct ActivityJson<'a> {
    #[serde(flatten)]
    activity: &'a Activity,
    results: ResultsJson<'a>,
}

/// An aggregate, and with groups its `by_group` (suppressed by the rule).
#[derive(Serialize)]
struct ResultsJson<'a> {
    #[serde(flatten)]
    total: &'a Aggregate,
    #[serde(skip_serializing_if = "Option::is_none")]
    by_group: Option<ByGroup<&'a Aggregate>>,
}

impl<'a> ResultsJson<'a> {
    fn new(report: &Report, total: &'a Aggregate, groups: &'a [GroupPart], totals: &[u32]) -> Self {
        let by_group = report.has_groups().then(|| {
            shown(report.min_group_size(), total, totals, groups)
                .into_iter()
                .map(|(group, results)| {
                    let figures = match results {
                        Some(results) => GroupFigures::Shown(results),
                        None => GroupFigures::Suppressed(SuppressedMark { suppressed: true }),
                    };
                    (group.label.clone(), figures)
                })
                .collect()
        });
        Self { total, by_group }
    }
}

/// Per session: booked, opened, took part, and per group booked and took part (or
/// `{"suppressed": true}`).
fn attendance(report: &Report) -> Value {
    let k = report.min_group_size();
    let rows: Vec<Value> = report
        .sessions
        .iter()
        .map(|session| {
            let groups: serde_json::Map<String, Value> = attendance_by_group(session, k)
                .into_iter()
                .map(|(label, shown)| {
                    let value = match shown {
                        Some((booked, took_part)) => json!({"booked": booked, "took_part": took_part}),
                        None => json!({"suppressed": true}),
                    };
                    (label, value)
                })
                .collect();
            json!({
                "session": session.code,
                "booked": session.booked.as_ref().and_then(|booked| booked.total),
                "opened": session.opened,
                "took_part": session.participants,
                "groups": groups,
            })
        })
        .collect();
    Value::Array(rows)
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

fn responses(session: &SessionPart, groups: bool) -> impl Iterator<Item = Value> + '_ {
    session.activities.iter().flat_map(move |part| {
        part.responses.iter().map(move |response| {
            let mut row = json!({
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
            });
            // A participant's answers count for their group now.
            if groups {
                row["group"] = json!(session.group_of.get(&response.participant));
            }
            row
        })
    })
}

pub fn render(report: &Report) -> Result<Vec<u8>, ExportError> {
    let activities: Vec<ActivityJson> = report
        .activities
        .iter()
        .map(|combined| ActivityJson {
            activity: &combined.activity,
            results: ResultsJson::new(report, &combined.results, &combined.groups, &combined.round_totals),
        })
        .collect();
    let responses: Vec<Value> =
        report.sessions.iter().flat_map(|session| responses(session, report.has_groups())).collect();
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
                        .map(|part| ActivityJson {
                            activity: &part.activity,
                            results: ResultsJson::new(report, &part.results, &part.groups, &part.round_totals),
                        })
                        .collect();
                    json!({"session": session_json(session), "activities": activities})
                })
                .collect();
            json!({"series": report.series, "title": report.title, "participants": report.participants(), "opened": report.opened(), "sessions": sessions})
        }
    };
    out["activities"] = serde_json::to_value(activities)?;
    out["responses"] = Value::Array(responses);
    if report.has_groups() {
        out["attendance"] = attendance(report);
    }
    out["report"] = serde_json::to_value(&report.content)?;
    out["generated_at"] = json!(rfc3339(report.generated_at));
    let mut bytes = serde_json::to_vec_pretty(&out)?;
    bytes.push(b'\n');
    Ok(bytes)
}
