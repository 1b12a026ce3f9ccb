//! The workshop profile (`--profile workshop`): a real workshop's rhythm rather than a steady
//! load. Phones join and sit idle while the room talks (`--holds`, one quiet spell before each
//! activity), then the facilitator moves to the next activity (`goto`), everyone answers at
//! once (`--rate` for `--duration`), and the facilitator reveals (`--reveals` times, 2 s
//! apart, the first right after the answers). Again for every hold.
//!
//! Each step is measured on its own: its latency to the phones, and in its window the
//! server's time on a CPU (its threads' `schedstat`), its page faults, and the load tool's own
//! time on a CPU and page faults, so that a slow step can be told apart as the server's or
//! the load tool's. The load average is read before and after each step.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use serde_json::{Value, json};

use super::hist::Hist;
use super::net::{self, ProcSample, now_us};
use super::worker::{AnswerPlan, Shape};
use super::{Meter, Opt, Staff, Workers, merge_hists, merge_maps, say, sum};

/// The load tool's own usage: every worker's and this process's.
#[derive(Clone, Copy, Default)]
struct ToolUsage {
    run_ns: u64,
    minflt: u64,
    /// The server's heartbeat pings the phones have had.
    pings: u64,
}

impl ToolUsage {
    fn of(reports: &[Value]) -> Self {
        let (run_ns, minflt) = net::own_usage();
        Self {
            run_ns: sum(reports, "run_ns") + run_ns,
            minflt: sum(reports, "minflt") + minflt,
            pings: sum(reports, "pings"),
        }
    }
}

/// The start of a measured step.
struct Mark {
    server: Option<ProcSample>,
    tool: ToolUsage,
    load: Option<f64>,
}

impl Mark {
    async fn now(meter: &Meter, workers: &mut Workers) -> anyhow::Result<Self> {
        let status = workers.ask(json!({"cmd": "status"}), "status", Duration::from_secs(30)).await?;
        Ok(Self { server: meter.sample(), tool: ToolUsage::of(&status), load: net::load_average() })
    }

    /// The step's readings, from this mark to now; `reports` are the workers' last replies.
    fn reading(&self, meter: &Meter, reports: &[Value]) -> Value {
        let server = meter.sample();
        let tool = ToolUsage::of(reports);
        let server_json = match (&self.server, &server) {
            (Some(a), Some(b)) => json!({
                "on_cpu_s": round2_ms(b.run_ns.saturating_sub(a.run_ns) as f64 / 1e9),
                "waiting_for_cpu_s": round2_ms(b.wait_ns.saturating_sub(a.wait_ns) as f64 / 1e9),
                "minor_faults": b.minflt.saturating_sub(a.minflt),
                "major_faults": b.majflt.saturating_sub(a.majflt),
                "rss_kb": b.rss_kb,
                "wall_s": round2_ms(b.at_us.saturating_sub(a.at_us) as f64 / 1e6),
            }),
            _ => Value::Null,
        };
        json!({
            "server": server_json,
            "load_tool": {
                "on_cpu_s": round2_ms(tool.run_ns.saturating_sub(self.tool.run_ns) as f64 / 1e9),
                "minor_faults": tool.minflt.saturating_sub(self.tool.minflt),
            },
            // Heartbeat pings in the step's window: they cost both sides CPU while the step's
            // frames go out.
            "heartbeat_pings": tool.pings.saturating_sub(self.tool.pings),
            "load_average": [self.load, net::load_average()],
        })
    }
}

/// The journal's commits so far, by the server's `/metrics`: how many, and their total time.
async fn commits(target: SocketAddr) -> Option<(f64, f64)> {
    let metrics = net::scrape_metrics(target).await?;
    let get = |key: &str| metrics.get(key).copied().unwrap_or(0.0);
    Some((get("chorus_journal_commit_seconds_count"), get("chorus_journal_commit_seconds_sum")))
}

/// What the console's request waited for, and the journal's commits meanwhile: a step reaches
/// the phones only once its event is committed, so a slow commit delays the whole fan-out.
fn console_side(t0_us: u64, acked_us: u64, before: Option<(f64, f64)>, after: Option<(f64, f64)>) -> Value {
    let (count, seconds) = match (before, after) {
        (Some(a), Some(b)) => (b.0 - a.0, b.1 - a.1),
        _ => (0.0, 0.0),
    };
    json!({
        "console_ack_ms": round2_ms(acked_us.saturating_sub(t0_us) as f64 / 1e3),
        "journal_commits": count,
        "journal_commit_ms_mean": (count > 0.0).then(|| round2_ms(seconds * 1e3 / count)),
    })
}

/// Seconds to the millisecond.
fn round2_ms(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// One measured step: its kind, the quiet spell before it, its latency and readings.
fn step(kind: &str, activity: usize, quiet_s: f64, lag: &Hist, missing: u64, reading: Value) -> Value {
    let mut step = json!({
        "step": kind,
        "activity": activity + 1,
        "quiet_before_s": quiet_s,
        "lag": lag.summary_ms(),
        "missing": missing,
    });
    if let (Some(step), Some(reading)) = (step.as_object_mut(), reading.as_object()) {
        step.extend(reading.clone());
    }
    step
}

/// Holds every connection idle for `seconds`, counting those still open every 15 s.
async fn quiet(opt: &Opt, workers: &mut Workers, seconds: f64) -> anyhow::Result<u64> {
    workers.ask(json!({"cmd": "phase", "name": "hold"}), "ok", Duration::from_secs(30)).await?;
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let mut min_open = u64::MAX;
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_secs(15).min(until.saturating_duration_since(Instant::now()))).await;
        let status = workers.ask(json!({"cmd": "status"}), "status", Duration::from_secs(30)).await?;
        let open = sum(&status, "open");
        min_open = min_open.min(open);
        say(opt, format!("  quiet: {open} open"));
    }
    Ok(min_open)
}

/// The activities of a workshop session: one scale each, `statements` statements.
pub fn agenda(activities: usize, statements: u32) -> Value {
    let statements: Vec<String> = (1..=statements).map(|i| format!("Statement {i}")).collect();
    (1..=activities)
        .map(|i| {
            json!({"kind": "scale", "title": format!("Activity {i}"), "statements": statements,
                   "min": 1, "max": 5, "rounds": ["Before", "After"]})
        })
        .collect()
}

/// Plays the workshop once the phones have joined, from the console given; returns the steps
/// and the fewest connections open while quiet.
pub async fn run(
    opt: &Opt,
    target: SocketAddr,
    meter: &Meter,
    workers: &mut Workers,
    console: &Staff,
    session: &Value,
) -> anyhow::Result<Value> {
    let scales: Vec<Value> = session["agenda"]
        .as_array()
        .map(|agenda| agenda.iter().filter(|a| a["kind"] == "scale").cloned().collect())
        .unwrap_or_default();
    if scales.len() < opt.holds.len() {
        return Err(anyhow!("the session has {} scales for {} holds", scales.len(), opt.holds.len()));
    }
    let mut steps = Vec::new();
    let mut min_open = u64::MAX;
    for (k, &hold) in opt.holds.iter().enumerate() {
        let scale = &scales[k];
        let activity = scale["id"].as_str().ok_or_else(|| anyhow!("no activity id"))?.to_owned();
        let statements = scale["statements"].as_array().map(Vec::len).unwrap_or(1).clamp(1, 10) as u32;
        let round = scale["rounds"][0].as_str().unwrap_or("Answers").to_owned();
        say(opt, format!("activity {}: quiet for {hold} s", k + 1));
        min_open = min_open.min(quiet(opt, workers, hold).await?);

        // The next activity, after the quiet spell.
        workers.ask(json!({"cmd": "phase", "name": "goto"}), "ok", Duration::from_secs(30)).await?;
        let commits_before = commits(target).await;
        let mark = Mark::now(meter, workers).await?;
        let goto_us = console.request(json!({"type": "goto", "activity": activity, "round": round})).await?;
        let acked_us = now_us();
        let stepped = workers
            .ask(json!({"cmd": "stepped", "t0_us": goto_us, "wait_ms": 15_000}), "stepped", Duration::from_secs(60))
            .await?;
        let lag = merge_hists(&stepped, "hist");
        let mut goto = step("goto", k, hold, &lag, sum(&stepped, "missing"), mark.reading(meter, &stepped));
        goto["console"] = console_side(goto_us, acked_us, commits_before, commits(target).await);
        say(opt, line(&goto));
        steps.push(goto);

        // Everyone answers at once.
        workers.ask(json!({"cmd": "phase", "name": "answer"}), "ok", Duration::from_secs(30)).await?;
        let mark = Mark::now(meter, workers).await?;
        let start_us = now_us() + 300_000;
        let plan = AnswerPlan {
            activity: activity.clone(),
            round: round.clone(),
            statements,
            min: scale["min"].as_i64().unwrap_or(1),
            max: scale["max"].as_i64().unwrap_or(5),
            shape: Shape::Scale,
            goto_us,
            start_us,
            end_us: start_us + (opt.duration * 1e6) as u64,
            period_us: if opt.rate > 0.0 { (f64::from(opt.phones) / opt.rate * 1e6) as u64 } else { u64::MAX / 4 },
            drain_ms: opt.drain_ms,
            activities: Vec::new(),
        };
        workers.tell(&json!({"cmd": "answer", "plan": plan})).await?;
        let answered = workers
            .collect("answered", Duration::from_secs_f64(opt.duration + opt.drain_ms as f64 / 1000.0 + 60.0))
            .await?;
        let acks = merge_hists(&answered, "ack_hist");
        let mut burst = step("answers", k, 0.0, &acks, sum(&answered, "unacked"), mark.reading(meter, &answered));
        burst["sent"] = json!(sum(&answered, "sent"));
        burst["acked"] = json!(sum(&answered, "acked"));
        burst["errors"] = json!(merge_maps(&answered, "errors"));
        say(opt, line(&burst));
        steps.push(burst);

        // The reveal, right after the answers, then again 2 s apart.
        workers.ask(json!({"cmd": "phase", "name": "reveal"}), "ok", Duration::from_secs(30)).await?;
        for r in 0..opt.reveals {
            if r > 0 {
                console.request(json!({"type": "reveal", "show": false})).await?;
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            let commits_before = commits(target).await;
            let armed = workers.ask(json!({"cmd": "arm"}), "armed", Duration::from_secs(30)).await?;
            let mark = Mark { tool: ToolUsage::of(&armed), server: meter.sample(), load: net::load_average() };
            let t0 = console.request(json!({"type": "reveal", "show": true})).await?;
            let acked_us = now_us();
            let revealed = workers
                .ask(json!({"cmd": "reveal", "t0_us": t0, "wait_ms": 15_000}), "revealed", Duration::from_secs(60))
                .await?;
            let lag = merge_hists(&revealed, "hist");
            let kind = if r == 0 { "reveal" } else { "reveal again" };
            let mut reveal = step(kind, k, if r == 0 { 0.0 } else { 2.0 }, &lag, sum(&revealed, "missing"), {
                mark.reading(meter, &revealed)
            });
            reveal["frames_delivered"] = json!(sum(&revealed, "frames").saturating_sub(sum(&armed, "frames")));
            reveal["console"] = console_side(t0, acked_us, commits_before, commits(target).await);
            say(opt, line(&reveal));
            steps.push(reveal);
        }
        // Answers closed again before the next quiet spell, as a facilitator would.
        console.request(json!({"type": "reveal", "show": false})).await?;
    }
    Ok(json!({ "holds_s": opt.holds, "min_open_while_quiet": min_open, "steps": steps }))
}

/// One line for the log: a step's latency and readings.
fn line(step: &Value) -> String {
    let console = &step["console"];
    let console = if console.is_null() {
        String::new()
    } else {
        format!("; console ack {} ms (commit {} ms)", console["console_ack_ms"], console["journal_commit_ms_mean"])
    };
    format!(
        "{} (activity {}): p50 {} p99 {} max {} ms, {} missing{console}; server {} s on CPU, {} s waiting, {} minor faults; load tool {} s; {} pings; load {}",
        step["step"].as_str().unwrap_or("?"),
        step["activity"],
        step["lag"]["p50_ms"],
        step["lag"]["p99_ms"],
        step["lag"]["max_ms"],
        step["missing"],
        step["server"]["on_cpu_s"],
        step["server"]["waiting_for_cpu_s"],
        step["server"]["minor_faults"],
        step["load_tool"]["on_cpu_s"],
        step["heartbeat_pings"],
        step["load_average"][1],
    )
}

/// The steps as a table.
pub fn print_table(report: &Value) {
    let Some(steps) = report["workshop"]["steps"].as_array() else { return };
    let f = |v: &Value| v.as_f64().map(|x| format!("{x:.0}")).unwrap_or_else(|| "–".into());
    let s = |v: &Value| v.as_f64().map(|x| format!("{x:.3}")).unwrap_or_else(|| "–".into());
    let l = |v: &Value| v.as_f64().map(|x| format!("{x:.1}")).unwrap_or_else(|| "–".into());
    let header = [
        "step",
        "act.",
        "quiet s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "missing",
        "ack ms",
        "server CPU s",
        "waiting s",
        "faults",
        "tool CPU s",
        "pings",
        "load avg",
    ];
    let rows: Vec<[String; 14]> = steps
        .iter()
        .map(|step| {
            [
                step["step"].as_str().unwrap_or("?").to_owned(),
                step["activity"].to_string(),
                f(&step["quiet_before_s"]),
                f(&step["lag"]["p50_ms"]),
                f(&step["lag"]["p99_ms"]),
                f(&step["lag"]["max_ms"]),
                step["missing"].to_string(),
                f(&step["console"]["console_ack_ms"]),
                s(&step["server"]["on_cpu_s"]),
                s(&step["server"]["waiting_for_cpu_s"]),
                step["server"]["minor_faults"].to_string(),
                s(&step["load_tool"]["on_cpu_s"]),
                step["heartbeat_pings"].to_string(),
                format!("{}–{}", l(&step["load_average"][0]), l(&step["load_average"][1])),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| rows.iter().map(|row| row[i].chars().count()).chain([header[i].len()]).max().unwrap_or(0))
        .collect();
    println!();
    let print = |cells: Vec<&str>| {
        let line: Vec<String> = cells.iter().zip(&widths).map(|(cell, width)| format!("{cell:>width$}")).collect();
        println!("{}", line.join("  "));
    };
    print(header.to_vec());
    for row in &rows {
        print(row.iter().map(String::as_str).collect());
    }
}

#[cfg(test)]
mod tests {
    use super::agenda;

    #[test]
    fn one_scale_per_activity() {
        let agenda = agenda(3, 4);
        let scales = agenda.as_array().expect("a list");
        assert_eq!(scales.len(), 3);
        assert_eq!(scales[2]["title"], "Activity 3");
        assert_eq!(scales[0]["statements"].as_array().map(Vec::len), Some(4));
    }
}
