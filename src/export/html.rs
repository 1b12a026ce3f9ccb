//! The printable report: one self-contained HTML file (no scripts, no outside files) with
//! inline SVG charts, rendered by askama, which escapes every value, so participants' words
//! are always shown as text, never read as markup.

use askama::Template;

use super::{BeforeAfter, ExportError, Report, human_time, one_decimal, signed_one_decimal};
use crate::activity::{ActivitySpec, Aggregate};
use crate::auth::display_join_code;

/// Widest bar in the before/after chart, in SVG units.
const BAR_WIDTH: f64 = 460.0;

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    title: String,
    subtitle: String,
    made: String,
    participants: u32,
    opened: u32,
    sessions: Vec<SessionLine>,
    activities: Vec<ActivityView>,
}

struct SessionLine {
    code: String,
    title: String,
    date: String,
    participants: u32,
    opened: u32,
}

enum ActivityView {
    Scale(ScaleView),
    Cloud(CloudView),
    Board(BoardView),
}

struct ScaleView {
    number: usize,
    title: String,
    first: String,
    last: String,
    two_rounds: bool,
    range: String,
    rows: Vec<ScaleRow>,
    sessions: Vec<String>,
    chart_height: u32,
    bars: Vec<ChartRow>,
}

struct ScaleRow {
    statement: String,
    first_mean: String,
    last_mean: String,
    change: String,
    first_n: u32,
    last_n: u32,
    paired: String,
    per_session: Vec<String>,
}

struct ChartRow {
    label: String,
    y: u32,
    first_width: f64,
    last_width: f64,
    first_label: String,
    last_label: String,
}

struct CloudView {
    number: usize,
    prompt: String,
    total: u32,
    ranked: Vec<RankedWord>,
    picture_height: u32,
    words: Vec<PlacedWord>,
}

struct RankedWord {
    rank: usize,
    text: String,
    count: u32,
    hidden: bool,
}

struct PlacedWord {
    x: u32,
    y: u32,
    size: u32,
    /// The width the word is drawn to (`textLength`): it never runs into the next word or
    /// off the picture, whatever the reader's font.
    width: u32,
    text: String,
}

struct BoardView {
    number: usize,
    title: String,
    frames: Vec<FrameView>,
    keywords: Vec<(String, u32)>,
}

struct FrameView {
    title: String,
    groups: Vec<ThemeGroup>,
}

struct ThemeGroup {
    name: String,
    notes: Vec<NoteLine>,
}

struct NoteLine {
    text: String,
    votes: u32,
    hidden: bool,
}

fn mean(value: Option<f64>) -> String {
    value.map(one_decimal).unwrap_or_else(|| "–".to_owned())
}

fn signed(value: Option<f64>) -> String {
    value.map(signed_one_decimal).unwrap_or_else(|| "–".to_owned())
}

fn scale_view(number: usize, report: &Report, combined: &super::Combined, scale: &crate::activity::Scale) -> ScaleView {
    let rows = BeforeAfter::rows(scale, &combined.results);
    let series = report.series.is_some();
    let per_session: Vec<(String, Vec<BeforeAfter>)> = if series {
        report
            .sessions
            .iter()
            .filter_map(|session| {
                let part = session.activities.iter().find(|p| p.activity.id == combined.activity.id)?;
                Some((display_join_code(&session.code), BeforeAfter::rows(scale, &part.results)))
            })
            .collect()
    } else {
        Vec::new()
    };
    let two_rounds = scale.rounds.len() > 1;
    let span = f64::from(scale.max - scale.min).max(1.0);
    let width = |value: Option<f64>| value.map_or(0.0, |v| ((v - f64::from(scale.min)) / span * BAR_WIDTH).max(2.0));
    let bars = rows
        .iter()
        .enumerate()
        .map(|(i, row)| ChartRow {
            label: row.statement.clone(),
            y: 10 + 78 * i as u32,
            first_width: width(row.first.mean),
            last_width: width(row.last.mean),
            first_label: mean(row.first.mean),
            last_label: mean(row.last.mean),
        })
        .collect();
    ScaleView {
        number,
        title: scale.title.clone(),
        first: scale.rounds[0].clone(),
        last: scale.rounds[scale.rounds.len() - 1].clone(),
        two_rounds,
        range: format!("{} to {}", scale.min, scale.max),
        chart_height: 20 + 78 * rows.len() as u32,
        sessions: per_session.iter().map(|(code, _)| code.clone()).collect(),
        rows: rows
            .iter()
            .enumerate()
            .map(|(s, row)| ScaleRow {
                statement: row.statement.clone(),
                first_mean: mean(row.first.mean),
                last_mean: mean(row.last.mean),
                change: signed(row.change()),
                first_n: row.first.n,
                last_n: row.last.n,
                paired: match &row.paired {
                    Some(paired) if paired.n > 0 => format!("{} (n = {})", signed(paired.mean_change), paired.n),
                    _ => "–".to_owned(),
                },
                per_session: per_session
                    .iter()
                    .map(|(_, rows)| match rows.get(s) {
                        Some(own) if two_rounds => format!("{} → {}", mean(own.first.mean), mean(own.last.mean)),
                        Some(own) => mean(own.first.mean),
                        None => "–".to_owned(),
                    })
                    .collect(),
            })
            .collect(),
        bars,
    }
}

/// Lays the visible words out in rows, largest first, sized by count: a picture of the cloud
/// for paper (the live cloud on the projector is drawn by d3-cloud).
fn place_words(ranked: &[RankedWord]) -> (Vec<PlacedWord>, u32) {
    const WIDTH: u32 = 720;
    /// Space between two words on a line.
    const GAP: u32 = 18;
    let visible: Vec<&RankedWord> = ranked.iter().filter(|w| !w.hidden).take(40).collect();
    let top = visible.first().map_or(1, |w| w.count.max(1));
    let (mut x, mut y, mut line) = (0u32, 0u32, 0u32);
    let mut words = Vec::new();
    for word in visible {
        let mut size = 14 + (34 * word.count / top);
        // An average glyph is about 0.6 em wide; a word too long for a line is made smaller,
        // then squeezed to the line (`textLength`), so it never runs off the edge.
        let chars = word.text.chars().count().max(1) as u32;
        while size > 10 && chars * size * 6 / 10 > WIDTH {
            size -= 1;
        }
        let width = (chars * size * 6 / 10).clamp(1, WIDTH);
        if x + width > WIDTH && x > 0 {
            // A quarter of an em below the baseline for descenders ("g", "y").
            y += line + line / 4 + 4;
            x = 0;
            line = 0;
        }
        line = line.max(size);
        words.push(PlacedWord { x, y: y + size, size, width, text: word.text.clone() });
        x += width + GAP;
    }
    (words, y + line + line / 4 + 4)
}

pub fn render(report: &Report) -> Result<Vec<u8>, ExportError> {
    let activities = report
        .activities
        .iter()
        .enumerate()
        .filter_map(|(index, combined)| {
            let number = index + 1;
            Some(match (&combined.activity.spec, &combined.results) {
                (ActivitySpec::Scale(scale), Aggregate::Scale(_)) => {
                    ActivityView::Scale(scale_view(number, report, combined, scale))
                }
                (ActivitySpec::Wordcloud(cloud), Aggregate::Wordcloud(results)) => {
                    // Hidden words are left out of the report's picture and ranked list; the
                    // JSON, CSV and XLSX keep them, marked hidden.
                    let ranked: Vec<RankedWord> = results
                        .entries
                        .iter()
                        .filter(|e| !e.hidden)
                        .enumerate()
                        .map(|(i, e)| RankedWord {
                            rank: i + 1,
                            text: e.text.clone(),
                            count: e.count,
                            hidden: e.hidden,
                        })
                        .collect();
                    let (words, picture_height) = place_words(&ranked);
                    ActivityView::Cloud(CloudView {
                        number,
                        prompt: cloud.prompt.clone(),
                        total: results.total,
                        ranked: ranked.into_iter().take(25).collect(),
                        picture_height,
                        words,
                    })
                }
                (ActivitySpec::Jamboard(board), Aggregate::Jamboard(results)) => {
                    let frames = results
                        .frames
                        .iter()
                        .map(|frame| {
                            let mut groups: Vec<ThemeGroup> = Vec::new();
                            for note in &frame.notes {
                                let name = note
                                    .theme
                                    .and_then(|id| results.themes.iter().find(|t| t.id == id))
                                    .map_or_else(|| "No theme".to_owned(), |t| t.name.clone());
                                let line = NoteLine { text: note.text.clone(), votes: note.votes, hidden: note.hidden };
                                match groups.iter_mut().find(|g| g.name == name) {
                                    Some(group) => group.notes.push(line),
                                    None => groups.push(ThemeGroup { name, notes: vec![line] }),
                                }
                            }
                            FrameView { title: frame.title.clone(), groups }
                        })
                        .collect();
                    ActivityView::Board(BoardView {
                        number,
                        title: board.title.clone(),
                        frames,
                        keywords: results.keywords.iter().map(|k| (k.text.clone(), k.count)).collect(),
                    })
                }
                _ => return None,
            })
        })
        .collect();
    let subtitle = match (&report.series, report.sessions.as_slice()) {
        (Some(_), sessions) => format!("A series of {} sessions", sessions.len()),
        (None, [session]) => format!("Session {}", display_join_code(&session.code)),
        _ => String::new(),
    };
    let page = ReportPage {
        title: report.title.clone(),
        subtitle,
        made: human_time(report.generated_at),
        participants: report.participants(),
        opened: report.opened(),
        sessions: report
            .sessions
            .iter()
            .map(|s| SessionLine {
                code: display_join_code(&s.code),
                title: s.title.clone(),
                date: human_time(s.created_at),
                participants: s.participants,
                opened: s.opened,
            })
            .collect(),
        activities,
    };
    Ok(page.render()?.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::{PlacedWord, RankedWord, place_words};

    /// The report's cloud picture: no two words overlap, and none runs off its edges, with
    /// long words, big counts and many words.
    #[test]
    fn cloud_words_never_overlap_or_leave_the_picture() {
        let mut ranked: Vec<RankedWord> = (0..40)
            .map(|i| RankedWord {
                rank: i + 1,
                text: match i % 4 {
                    0 => "co-production-and-partnership-working".to_owned(),
                    1 => "together".to_owned(),
                    2 => "gy".to_owned(),
                    _ => format!("word{i}"),
                },
                count: 40 - i as u32,
                hidden: i == 3,
            })
            .collect();
        ranked[0].text = "W".repeat(80);
        let (words, height) = place_words(&ranked);
        assert_eq!(words.len(), 39, "hidden words are left out");
        assert!(words.iter().all(|w| w.text != "word3"));
        let boxes: Vec<(u32, u32, u32, u32)> = words
            .iter()
            .map(|PlacedWord { x, y, size, width, .. }| (*x, *x + *width, y - size, y + size / 4))
            .collect();
        for (i, a) in boxes.iter().enumerate() {
            assert!(a.1 <= 720 && a.3 <= height, "word {i} leaves the picture: {a:?}, height {height}");
            for b in &boxes[i + 1..] {
                let apart = a.1 <= b.0 || b.1 <= a.0 || a.3 <= b.2 || b.3 <= a.2;
                assert!(apart, "{a:?} overlaps {b:?}");
            }
        }
    }
}
