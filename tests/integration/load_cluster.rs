//! The load tool's cluster modes, small: `chorus-load --spawn-cluster` starts its own
//! PostgreSQL, nats-server and nodes, measures, and leaves nothing behind. The figures are
//! the release runs' of docs/performance.md; these pin what the tool checks (tallies per
//! session, one owner per session, no acknowledged answer lost or doubled over a take-over)
//! and that it cleans up.

use std::process::{Command, Output};

use serde_json::Value;

/// Runs the load tool with `args` (and the environment given) and answers its JSON report,
/// after checking that it exited cleanly and left no process or temporary directory.
fn load(args: &[&str], env: &[(&str, &str)]) -> Value {
    let child = Command::new(env!("CARGO_BIN_EXE_chorus-load"))
        .args(["--chorus", env!("CARGO_BIN_EXE_chorus"), "--json-only"])
        .args(args)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run chorus-load");
    let pid = child.id();
    let Output { status, stdout, stderr } = child.wait_with_output().expect("chorus-load ran");
    let stderr = String::from_utf8_lossy(&stderr);
    assert!(status.success(), "chorus-load failed: {stderr}");
    let leftovers: Vec<String> = std::fs::read_dir(std::env::temp_dir())
        .expect("temp dir")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| {
            name.starts_with(&format!("chorus-pg-{pid}-")) || name.starts_with(&format!("chorus-load-{pid}-"))
        })
        .collect();
    assert!(leftovers.is_empty(), "temporary directories left: {leftovers:?}");
    let ps = Command::new("ps").args(["-eo", "args"]).output().expect("ps");
    let running: Vec<String> = String::from_utf8_lossy(&ps.stdout)
        .lines()
        .filter(|line| line.contains(&format!("chorus-pg-{pid}-")) || line.contains(&format!("chorus-load-{pid}-")))
        .map(str::to_owned)
        .collect();
    assert!(running.is_empty(), "processes left running: {running:?}");
    let stdout = String::from_utf8_lossy(&stdout);
    serde_json::from_str(stdout.lines().last().expect("a report")).expect("a JSON report")
}

/// Eight sessions of three phones over two nodes: made on alternate nodes, so each node owns
/// four; every phone's answers acknowledged, every session's export counting exactly each
/// phone's last answer; the nodes' counts of sessions owned add up to eight and match the
/// lease table.
#[test]
fn many_sessions_spread_their_owners_and_count_exactly() {
    let report =
        load(&["--spawn-cluster", "2", "--sessions", "8", "--phones", "3", "--rate", "6", "--duration", "4"], &[]);
    let answers = &report["answers"];
    assert!(answers["acked"].as_u64().expect("acked") > 0, "{report}");
    assert_eq!(answers["acked"], answers["sent"], "{report}");
    assert_eq!(answers["unacked"], 0, "{report}");
    assert_eq!(report["join"]["joined"], 24, "{report}");
    assert_eq!(report["tallies"]["sessions_exact"], 8, "{report}");
    assert_eq!(report["owners"]["per_node"], serde_json::json!([4.0, 4.0]), "{report}");
    assert_eq!(report["owners"]["owned_once"], true, "{report}");
    assert_eq!(report["owners"]["leases"]["live_owner_rows"], 8, "{report}");
}

/// One take-over with 2 s leases: the owner is killed, a survivor takes the session over and
/// acknowledges notes again; every acknowledged note is on the board exactly once.
#[test]
fn a_takeover_is_measured_and_loses_nothing() {
    let report = load(
        &["--spawn-cluster", "2", "--takeovers", "1", "--phones", "4", "--rate", "8"],
        &[("CHORUS_LEASE_TTL", "2s")],
    );
    let run = &report["runs"][0];
    assert!(run["takeover_s"].as_f64().is_some(), "no take-over measured: {report}");
    assert!(run["acked_before_kill"].as_u64().expect("before") > 0, "{report}");
    assert!(run["acked"].as_u64() > run["acked_before_kill"].as_u64(), "{report}");
    assert_eq!(run["owner_from_metrics"], true, "{report}");
    assert_eq!(run["takeovers_counted"], 1.0, "{report}");
    assert_eq!((report["lost"].as_u64(), report["twice"].as_u64()), (Some(0), Some(0)), "{report}");
    assert_eq!(report["never_acked"], 0, "{report}");
}
