//! The `copilot-cli` importer (GitHub Copilot CLI `session-state/*/events.jsonl`) through the
//! real CLI on temp ledgers: the canonical per-day totals of the real sessions in
//! ../shared/data/agent-logs/copilot (skipped with a message when absent), and each trap of
//! the format on the project's own fixtures.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// Token fields of a report row: input, cache read, cache write, output, reasoning, total.
fn tokens(r: &Value) -> [i64; 6] {
    ["input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens", "total_tokens"]
        .map(|f| int(r, f))
}

fn by_day(env: &Env) -> Value {
    env.json(&["report", "--by", "day", "--tz", "UTC", "--source", "copilot-cli"])
}

/// The six fields of a recount JSON row (`input_tokens`, ... `total_tokens`).
fn recount_tokens(v: &Value) -> [i64; 6] {
    ["input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens", "total_tokens"]
        .map(|k| v[k].as_i64().unwrap_or_else(|| panic!("{k} in {v}")))
}

/// recount-output.txt's CANONICAL block: its totals and its per-day rows (date, fields).
fn canonical(recount: &str) -> ([i64; 6], Vec<(String, [i64; 6])>) {
    let block = recount.split_once("CANONICAL").expect("a CANONICAL block").1;
    let json = |l: &str| serde_json::from_str::<Value>(&l[l.find('{').unwrap()..]).unwrap();
    let totals = block.lines().find(|l| l.trim_start().starts_with("totals {")).map(json).expect("a totals line");
    let days = block
        .lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .map(json)
        .map(|v| (v["date"].as_str().expect("a date").to_string(), recount_tokens(&v)))
        .collect();
    (recount_tokens(&totals), days)
}

/// Copies every `events.jsonl` under `from` to the same place under `to` (the agent's layout,
/// without the SQLite store and the notes beside it, which are not this importer's).
fn copy_event_logs(from: &Path, to: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if e.file_type().unwrap().is_dir() {
            n += copy_event_logs(&src, &dst);
        } else if e.file_name() == "events.jsonl" {
            std::fs::create_dir_all(to).unwrap();
            std::fs::copy(&src, &dst).unwrap();
            n += 1;
        }
    }
    n
}

#[test]
fn real_sessions_equal_the_canonical_per_day_totals() {
    let Some(data) = shared_data() else { return };
    let real = data.join("agent-logs/copilot");
    let (total, want) = canonical(&std::fs::read_to_string(real.join("recount-output.txt")).unwrap());
    assert!(!want.is_empty(), "no canonical days");
    let env = Env::new();
    let folder = env.dir.path().join("copilot");
    let logs = copy_event_logs(&real, &folder);
    let out = env.json(&["import", folder.to_str().unwrap()]);
    let files = out["files"].as_array().unwrap();
    assert_eq!(files.len(), logs, "{out}");
    for f in files {
        assert_eq!(f["format"], "copilot-cli", "{f}");
        assert_eq!(f["rejected"].as_array().unwrap().len(), 0, "{f}");
    }

    let rep = by_day(&env);
    assert_eq!(rep["rows"].as_array().unwrap().len(), want.len(), "{rep}");
    let mut all = [0; 6];
    for (day, t) in &want {
        assert_eq!(tokens(row(&rep, day)), *t, "{day}");
        all.iter_mut().zip(t).for_each(|(a, b)| *a += b);
    }
    // The grand total: every run of a resumed session counts (the README's 4,118,568 for the
    // files it describes, where ccusage reports 2,653,977).
    assert_eq!(tokens(&rep["totals"]), all);
    assert_eq!(all, total);

    let again = env.json(&["import", folder.to_str().unwrap()]);
    assert_eq!(again["added"], 0, "{again}");
    assert_eq!(tokens(&by_day(&env)["totals"]), all);
}

#[test]
fn resumed_runs_each_count_on_their_own_day_and_copies_add_nothing() {
    let env = Env::new();
    let out = env.json(&["import", &fixture("copilot-cli/resumed-session")]);
    assert_eq!(out["files"][0]["format"], "copilot-cli");
    assert_eq!(out["files"][0]["rejected"].as_array().unwrap().len(), 0, "{out}");
    let rep = by_day(&env);
    // Run 1 ends on May 1st; run 2, resumed after midnight, ends on May 2nd with two models.
    // Its gpt-5.4-mini usage is smaller than run 1's: summed as runs, not as growing totals.
    // Input is inputTokens minus the cache read and written.
    assert_eq!(tokens(row(&rep, "2026-05-01")), [1_000, 4_000, 0, 300, 0, 5_300]);
    assert_eq!(tokens(row(&rep, "2026-05-02")), [500 + 400, 2_500 + 1_000, 600, 100 + 200, 50, 5_300]);
    assert_eq!(int(&rep["totals"], "events"), 3);
    let models = env.json(&["report", "--by", "model", "--source", "copilot-cli"]);
    assert_eq!(tokens(row(&models, "gpt-5.4-mini")), [1_500, 6_500, 0, 400, 0, 8_400]);
    let projects = env.json(&["report", "--by", "project", "--source", "copilot-cli"]);
    assert_eq!(int(row(&projects, "/home/dev/app"), "total_tokens"), 10_600);

    // An older copy of the same session (its shutdown written twice) and the same file again.
    let copy = env.json(&["import", &fixture("copilot-cli/copied-snapshot")]);
    assert_eq!(copy["added"], 0, "{copy}");
    let again = env.json(&["import", &fixture("copilot-cli/resumed-session")]);
    assert_eq!(again["added"], 0, "{again}");
    assert_eq!(tokens(&by_day(&env)["totals"]), [1_900, 7_500, 600, 600, 50, 10_600]);

    // The copy alone: its first run once, though its shutdown line is there twice.
    let env = Env::new();
    env.json(&["import", &fixture("copilot-cli/copied-snapshot")]);
    let rep = by_day(&env);
    assert_eq!(int(&rep["totals"], "events"), 1);
    assert_eq!(tokens(&rep["totals"]), [1_000, 4_000, 0, 300, 0, 5_300]);
}

#[test]
fn token_details_and_gauges_do_not_add_and_a_crashed_session_has_no_usage() {
    let env = Env::new();
    env.json(&["import", &fixture("copilot-cli/token-details")]);
    let out = env.json(&["import", &fixture("copilot-cli/no-shutdown")]);
    assert_eq!((out["added"].as_i64(), out["files"][0]["format"].as_str()), (Some(0), Some("copilot-cli")), "{out}");
    assert_eq!(out["files"][0]["rejected"].as_array().unwrap().len(), 0, "{out}");
    let rep = by_day(&env);
    assert_eq!(rep["rows"].as_array().unwrap().len(), 1, "{rep}");
    // inputTokens 10,000 holds the 8,000 read and 1,500 written; the context gauges
    // (currentTokens 45,000...) and tokenDetails are not usage of their own.
    assert_eq!(tokens(row(&rep, "2026-06-08")), [500, 8_000, 1_500, 800, 120, 10_800]);
    let again = env.json(&["import", &fixture("copilot-cli/token-details")]);
    assert_eq!(again["added"], 0);
}

#[test]
fn bad_records_are_rejected_by_line_and_unknown_models_stay_unpriced() {
    let env = Env::new();
    let out = env.json(&["import", &fixture("copilot-cli/bad-records")]);
    let f = &out["files"][0];
    assert_eq!(f["format"], "copilot-cli");
    let rejected = f["rejected"].as_array().unwrap();
    let lines: Vec<i64> = rejected.iter().map(|r| r["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, [2, 3, 4], "{f}");
    let reasons: Vec<&str> = rejected.iter().map(|r| r["reason"].as_str().unwrap()).collect();
    assert!(reasons[0].contains("truncated") || reasons[0].contains("JSON"), "{}", reasons[0]);
    assert!(reasons[1].contains("inputTokens 100 is less than cacheReadTokens 200"), "{}", reasons[1]);
    assert!(reasons[2].contains("not a time"), "{}", reasons[2]);

    let rep = env.json(&["report", "--by", "model", "--source", "copilot-cli"]);
    let m = row(&rep, "mystery-model-9");
    assert_eq!(int(m, "total_tokens"), 330);
    assert_eq!(int(m, "unpriced_events"), 1);
    assert_eq!(int(&rep["totals"], "events"), 1);
}

#[test]
fn copilot_cli_is_its_own_account_not_the_copilot_vendor_account() {
    let env = Env::new();
    env.json(&["import", &fixture("copilot-cli/token-details")]);
    let accounts = env.json(&["account", "list"]);
    let names: Vec<&str> = accounts.as_array().unwrap().iter().map(|a| a["account"].as_str().unwrap()).collect();
    assert_eq!(names, ["copilot-cli"], "{accounts}");
}

#[test]
fn a_file_that_is_not_a_copilot_log_is_an_error_naming_it() {
    let env = Env::new();
    let codex = fixture("codex");
    let file =
        std::fs::read_dir(Path::new(&codex).join("sessions/2025/10/01")).unwrap().next().unwrap().unwrap().path();
    let out = env.run(&["import", "--format", "copilot-cli", file.to_str().unwrap(), "--json"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(file.to_str().unwrap()) && err.contains("Copilot CLI"), "{err}");
    assert_eq!(int(&env.json(&["report", "--by", "day"])["totals"], "events"), 0);
}
