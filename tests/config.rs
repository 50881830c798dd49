//! `tokenburn config` beyond the time zone, and `prices rm`: the settings the desktop app's
//! Settings view shares with the CLI, validated the same way for both.

mod common;

use common::*;

#[test]
fn settings_are_set_shown_and_used_by_budget_add() {
    let env = Env::new();
    let all = env.json(&["config", "get"]);
    assert_eq!(all["fiscal_year_start"], "1");
    assert_eq!(all["default_thresholds"], "50,75,90,100");
    assert_eq!(all["notifications"], "on");
    assert_eq!(env.ok(&["config", "set", "default_thresholds", "90,60"]).trim(), "default_thresholds = 60,90");
    assert_eq!(env.ok(&["config", "set", "notifications", "OFF"]).trim(), "notifications = off");
    assert_eq!(env.ok(&["config", "set", "fiscal_year_start", "4"]).trim(), "fiscal_year_start = 4");
    assert_eq!(env.ok(&["config", "get", "notifications"]).trim(), "notifications = off");

    // A new budget takes the default thresholds and fiscal year unless given its own.
    env.ok(&["budget", "add", "Team", "--amount", "100", "--period", "quarter"]);
    env.ok(&["budget", "add", "Own", "--amount", "100", "--period", "month", "--thresholds", "80"]);
    let list = env.json(&["budget", "list"]);
    let by = |name: &str| list.as_array().unwrap().iter().find(|b| b["name"] == name).unwrap().clone();
    assert_eq!(by("Team")["thresholds"], serde_json::json!([60, 90]));
    assert_eq!(by("Team")["fiscal_year_start"], 4);
    assert_eq!(by("Own")["thresholds"], serde_json::json!([80]));

    for (key, value, says) in [
        ("fiscal_year_start", "0", "1-12"),
        ("default_thresholds", "0,50", "out of range"),
        ("default_thresholds", ",", "at least one"),
        ("notifications", "maybe", "on or off"),
        ("colour", "red", "unknown setting"),
    ] {
        let out = env.run(&["config", "set", key, value]);
        assert!(!out.status.success(), "{key}={value} accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{key}={value}: {err}");
    }
    assert_eq!(env.json(&["config", "get"])["default_thresholds"], "60,90", "refused values change nothing");
    assert!(!env.run(&["config", "get", "colour"]).status.success());
}

#[test]
fn a_price_override_is_removed_and_events_are_repriced() {
    let env = Env::new();
    env.ok(&["import", &fixture("claude-code")]);
    let unpriced = |env: &Env| int(&env.json(&["report"])["totals"], "unpriced_events");
    assert_eq!(unpriced(&env), 1);
    let model = env.json(&["prices", "--unpriced"])[0]["model"].as_str().unwrap().to_string();
    env.ok(&["prices", "set", &model, "--input", "1", "--output", "2"]);
    assert_eq!(unpriced(&env), 0);
    let out = env.run(&["prices", "set", &model, "--input=-1", "--output", "2"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("negative"), "{out:?}");

    let out = env.run(&["prices", "rm", &model, "--from", "2025-01-01"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no price override"));
    assert!(env.ok(&["prices", "rm", &model]).contains("removed"));
    assert_eq!(unpriced(&env), 1, "unpriced again");
}

#[test]
fn an_invalid_stored_zone_is_an_error_until_set_again() {
    let env = Env::new();
    env.ok(&["import", &fixture("claude-code")]);
    let before = env.json(&["report", "--by", "day"]);
    let conn = rusqlite::Connection::open(&env.db).unwrap();
    conn.execute("UPDATE settings SET value = 'Mars/Olympus' WHERE key = 'tz'", []).unwrap();
    drop(conn);
    // Never quietly UTC: every day of the report depends on the zone.
    for args in [&["report", "--by", "day"][..], &["config", "get"], &["status"]] {
        let out = env.run(args);
        assert!(!out.status.success(), "{args:?} ran on an unknown zone");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("Mars/Olympus") && err.contains("config set tz"), "{args:?}: {err}");
    }
    env.ok(&["config", "set", "tz", "UTC"]);
    assert_eq!(env.json(&["report", "--by", "day"]), before);
}
