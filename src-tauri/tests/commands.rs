//! Command-level tests without a window: the real command list (`with_commands`) on
//! Tauri's mock runtime, called through IPC exactly as `ui/js/api.js` calls them (argument
//! names, JSON shapes, `{code, message}` errors), each on its own temporary ledger.

use serde_json::{json, Value};

mod mock;
use mock::{app, fixture};

fn period<'a>(dash: &'a Value, key: &str) -> &'a Value {
    &dash["periods"].as_array().unwrap().iter().find(|p| p["key"] == key).unwrap()["totals"]
}

#[test]
fn import_then_dashboard_shows_the_fixture_totals() {
    let t = app();
    let files = t.ok("import_paths", json!({ "paths": [fixture("claude-code")] }));
    let files = files.as_array().unwrap();
    assert_eq!(files.len(), 1, "{files:?}");
    let rep = &files[0]["report"];
    assert_eq!(rep["format"], "claude-code");
    assert_eq!(rep["added"], 5, "{rep}");
    assert!(files[0]["path"].as_str().unwrap().ends_with("session-a.jsonl"));

    let dash = t.ok("dashboard", json!({}));
    let all = period(&dash, "all");
    assert_eq!(all["events"], 5);
    assert_eq!(all["input_tokens"], 118);
    assert_eq!(all["output_tokens"], 210);
    assert_eq!(all["cache_write_tokens"], 400);
    assert_eq!(all["cache_read_tokens"], 1800);
    assert_eq!(all["cost_usd"], "0.004194", "money crosses IPC as an exact decimal string");
    assert_eq!(all["unpriced_events"], 1, "the fixture's imaginary model has no price");
    // The fixture is from 2025: nothing today, this week or this month.
    for key in ["today", "week", "month"] {
        assert_eq!(period(&dash, key)["events"], 0, "{key}");
    }
    assert!(!dash["by_model"].as_array().unwrap().is_empty());
    assert!(dash["tz"].is_string());
}

#[test]
fn reimport_adds_nothing() {
    let t = app();
    t.ok("import_paths", json!({ "paths": [fixture("claude-code")] }));
    let again = t.ok("import_paths", json!({ "paths": [fixture("claude-code")] }));
    assert_eq!(again[0]["report"]["added"], 0, "{again}");
    assert_eq!(period(&t.ok("dashboard", json!({})), "all")["events"], 5);
}

#[test]
fn a_bad_file_is_reported_per_file_and_rejected_rows_carry_line_and_reason() {
    let t = app();
    let files =
        t.ok("import_paths", json!({ "paths": [fixture("bad/not-a-log.txt"), fixture("bad/unexpected-shape.jsonl")] }));
    let files = files.as_array().unwrap();
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(files[0]["error"]["code"], "unrecognised_file", "{files:?}");
    assert!(files[0]["error"]["message"].as_str().unwrap().contains("not-a-log.txt"));
    assert!(files[0].get("report").is_none());
    let rejected = files[1]["report"]["rejected"].as_array().unwrap();
    assert!(!rejected.is_empty(), "{files:?}");
    assert!(rejected[0]["line"].as_u64().unwrap() >= 1);
    assert!(!rejected[0]["reason"].as_str().unwrap().is_empty());
}

#[test]
fn a_missing_path_is_an_io_error_with_code_and_message() {
    let t = app();
    let err = t.call("import_paths", json!({ "paths": ["/nonexistent/tokenburn-e2e"] })).unwrap_err();
    assert_eq!(err["code"], "io", "{err}");
    assert!(err["message"].as_str().unwrap().contains("/nonexistent/tokenburn-e2e"));
}

#[test]
fn settings_read_and_set_the_ledger_zone_shared_with_the_cli() {
    let t = app();
    let s = t.ok("settings", json!({}));
    assert_eq!(s["db"], t.db.to_string_lossy().as_ref());
    assert_eq!(s["db_from_env"], true);
    let s = t.ok("set_tz", json!({ "tz": "Asia/Kolkata" }));
    assert_eq!(s["tz"], "Asia/Kolkata");
    // The CLI reads the same setting from the same file.
    let ledger = tokenburn::ledger::Ledger::open(&t.db).unwrap();
    assert_eq!(ledger.tz().unwrap().name(), "Asia/Kolkata");
    assert_eq!(t.ok("dashboard", json!({}))["tz"], "Asia/Kolkata");

    let err = t.call("set_tz", json!({ "tz": "Mars/Olympus_Mons" })).unwrap_err();
    assert_eq!(err["code"], "invalid_input", "{err}");
    assert_eq!(t.ok("settings", json!({}))["tz"], "Asia/Kolkata");
}

#[test]
fn time_zones_lists_iana_names() {
    let zones = app().ok("time_zones", json!({}));
    let zones: Vec<&str> = zones.as_array().unwrap().iter().map(|z| z.as_str().unwrap()).collect();
    assert!(zones.contains(&"Europe/Berlin") && zones.contains(&"UTC"), "{} zones", zones.len());
}

#[test]
fn scan_reads_the_standard_folders_and_reports_locations() {
    let t = app();
    let home = tempfile::tempdir().unwrap();
    let projects = home.path().join("claude/projects/-home-dev-demo");
    std::fs::create_dir_all(&projects).unwrap();
    std::fs::copy(fixture("claude-code/projects/-home-dev-demo/session-a.jsonl"), projects.join("s.jsonl")).unwrap();
    // Only this test reads these variables (Roots::standard); no other test scans.
    std::env::set_var("CLAUDE_CONFIG_DIR", home.path().join("claude"));
    std::env::set_var("CODEX_HOME", home.path().join("no-codex"));
    for var in
        ["GEMINI_DATA_DIR", "COPILOT_HOME", "AMP_DATA_DIR", "QWEN_DATA_DIR", "OPENCODE_DATA_DIR", "KILO_DATA_DIR"]
    {
        std::env::set_var(var, home.path().join("none"));
    }
    std::env::set_var("XDG_CONFIG_HOME", home.path().join("none"));

    let out = t.ok("scan_logs", json!({}));
    assert_eq!(out["locations"].as_array().unwrap().len(), 1, "{out}");
    assert!(out["locations"][0].as_str().unwrap().ends_with("claude/projects"));
    assert_eq!(out["places"][0]["agent"], "claude-code", "{out}");
    assert_eq!(out["files"][0]["report"]["added"], 5, "{out}");

    let again = t.ok("scan_logs", json!({}));
    assert_eq!(again["unchanged"], 1, "{again}");
    assert!(again["files"].as_array().unwrap().is_empty());
}

#[test]
fn ui_ready_returns_milliseconds_since_start() {
    let v = app().ok("ui_ready", json!({}));
    assert!(v.is_u64(), "{v}");
}
