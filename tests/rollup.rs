//! The rollup (per local day totals) answers exactly what the events answer, after imports,
//! duplicate re-imports, rank upgrades, removals, links, subscriptions and a zone change.
//!
//! Reports in the ledger's zone read the rollup; a report with `--tz` naming the same zone
//! by another name (`Etc/UTC` for `UTC`, `US/Eastern` for `America/New_York`) is computed
//! from the events, so the two must agree to the nano-dollar and the token.

mod common;

use common::{fixture, fixtures, Env};
use serde_json::Value;

/// Every report shape and budget status, read once through the rollup and once from the
/// events, must be equal.
fn same_answers(env: &Env, zone: &str, alias: &str, step: &str) {
    let mut checked = 0;
    for by in ["day", "week", "month", "model", "project", "source"] {
        for extra in [
            &[][..],
            &["--since", "2025-03-01", "--until", "2025-10-31", "--provider", "anthropic"][..],
            // Ranges that start and end inside months: whole months and the days at the ends.
            &["--since", "2025-03-10", "--until", "2025-10-20"][..],
            &["--since", "2025-02-15", "--source", "claude-code"][..],
            &["--until", "2025-10-20", "--model", "gpt-5-2025-08-07"][..],
        ] {
            let mut args = vec!["report", "--by", by];
            args.extend_from_slice(extra);
            let rolled = env.json(&[&["--tz", zone][..], &args].concat());
            let events = env.json(&[&["--tz", alias][..], &args].concat());
            assert_eq!(rolled, events, "{step}: report {args:?} differs between the rollup and the events");
            checked += rolled["rows"].as_array().map_or(0, Vec::len);
        }
    }
    for at in ["2025-03-20", "2025-10-02", "2026-01-15"] {
        let rolled = env.json(&["--tz", zone, "status", "--at", at]);
        let events = env.json(&["--tz", alias, "status", "--at", at]);
        assert_eq!(rolled, events, "{step}: status at {at} differs between the rollup and the events");
    }
    assert!(checked > 0, "{step}: the reports were empty, nothing was compared");
}

fn import_ids(env: &Env) -> Vec<i64> {
    env.json(&["imports"]).as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect()
}

fn run_scenario(zone: &str, alias: &str) {
    let env = Env::new();
    env.ok(&["config", "set", "tz", zone]);
    env.ok(&["budget", "add", "All", "--amount", "50", "--period", "month"]);
    env.ok(&["budget", "add", "Tok", "--amount", "1000000", "--unit", "tokens", "--period", "quarter"]);
    for dir in [
        "claude-code",
        "claude-stats",
        "codex",
        "ccusage-json",
        "anthropic-cost-csv",
        "anthropic-usage-csv",
        "openai-costs-csv",
        "openai-usage-csv",
        "cursor-csv",
        "openrouter-csv",
        "copilot-csv",
    ] {
        env.json(&["import", &fixture(dir)]);
    }
    same_answers(&env, zone, alias, "after the imports");

    // The same files again: duplicates, nothing changes.
    let before: Value = env.json(&["report", "--by", "day"]);
    env.json(&["import", &fixture("claude-code")]);
    env.json(&["import", &fixture("openai-costs-csv")]);
    assert_eq!(env.json(&["report", "--by", "day"]), before, "a duplicate re-import changed the report");
    same_answers(&env, zone, alias, "after duplicate re-imports");

    // A manual entry, then its removal (a delete, and an id SQLite may hand out again).
    let added = env.json(&["add", "--usd", "12.5", "--date", "2025-03-15", "--provider", "openai"]);
    same_answers(&env, zone, alias, "after a manual entry");
    env.json(&["imports", "rm", &added["import_id"].as_i64().unwrap().to_string()]);
    same_answers(&env, zone, alias, "after removing the manual entry");
    env.json(&["add", "--usd", "3", "--date", "2025-03-16", "--provider", "anthropic"]);
    same_answers(&env, zone, alias, "after a manual entry that reuses an id");

    // Links and subscriptions change what counts without touching the events' days.
    env.ok(&["account", "link", "claude-code", "--billed-by", "anthropic"]);
    same_answers(&env, zone, alias, "after a link");
    env.ok(&[
        "subscription",
        "add",
        "Max",
        "--usd",
        "100",
        "--every",
        "month",
        "--from",
        "2025-03-01",
        "--covers",
        "codex",
    ]);
    same_answers(&env, zone, alias, "after a subscription");
    env.ok(&["account", "unlink", "claude-code"]);
    same_answers(&env, zone, alias, "after an unlink");
    // Coverage is resolved in the rollup's day tables: a subscription that goes away, or
    // one whose account is reached only through a link, must be seen at once.
    env.ok(&["subscription", "rm", "Max"]);
    same_answers(&env, zone, alias, "after removing the subscription");
    env.ok(&[
        "subscription",
        "add",
        "Team",
        "--usd",
        "30",
        "--every",
        "month",
        "--from",
        "2025-06-15",
        "--covers",
        "anthropic",
    ]);
    env.ok(&["account", "link", "claude-code", "--billed-by", "anthropic"]);
    same_answers(&env, zone, alias, "after a subscription covering a linked account");
    env.ok(&["account", "unlink", "claude-code"]);

    // Removing the first imports deletes events of many days.
    for id in import_ids(&env).into_iter().take(3) {
        env.json(&["imports", "rm", &id.to_string()]);
    }
    same_answers(&env, zone, alias, "after removing imports");

    // Imported again: the removed events come back.
    env.json(&["import", &fixture("claude-code")]);
    same_answers(&env, zone, alias, "after importing again");
}

#[test]
fn rollup_matches_the_events_in_utc() {
    run_scenario("UTC", "Etc/UTC");
}

#[test]
fn rollup_matches_the_events_in_a_zone_with_daylight_saving() {
    run_scenario("America/New_York", "US/Eastern");
}

/// A Claude Code response streamed as several lines whose totals grow: the later line
/// replaces the earlier one (a rank upgrade), in one file or across two imports.
#[test]
fn rank_upgrades_across_imports_keep_the_rollup_exact() {
    let env = Env::new();
    env.ok(&["config", "set", "tz", "Asia/Kolkata"]);
    let src = fixtures().join("claude-code/projects");
    // Import every transcript cut to its first half, then whole: lines of the same
    // response come back with higher ranks and replace what the first import stored.
    let half = env.dir.path().join("half/projects");
    for entry in walk(&src) {
        let rel = entry.strip_prefix(&src).unwrap();
        let text = std::fs::read_to_string(&entry).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let cut = lines[..lines.len().div_ceil(2)].join("\n") + "\n";
        let to = half.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(&to, cut).unwrap();
    }
    env.json(&["import", half.to_str().unwrap()]);
    let whole = env.json(&["import", src.to_str().unwrap()]);
    assert!(whole["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["updated"].as_u64().unwrap_or(0) > 0 || f["added"].as_u64().unwrap_or(0) > 0));
    let rolled = env.json(&["--tz", "Asia/Kolkata", "report", "--by", "day"]);
    let events = env.json(&["--tz", "Asia/Calcutta", "report", "--by", "day"]);
    assert_eq!(rolled, events);
}

/// Changing the ledger's zone rebuilds the rollup in the new zone.
#[test]
fn a_zone_change_rebuilds_the_days() {
    let env = Env::new();
    env.ok(&["config", "set", "tz", "UTC"]);
    env.json(&["import", &fixture("claude-code")]);
    env.json(&["import", &fixture("codex")]);
    let utc = env.json(&["report", "--by", "day"]);
    env.ok(&["config", "set", "tz", "Pacific/Auckland"]);
    let rolled = env.json(&["report", "--by", "day"]);
    let events = env.json(&["--tz", "NZ", "report", "--by", "day"]);
    assert_eq!(rolled, events);
    env.ok(&["config", "set", "tz", "UTC"]);
    assert_eq!(env.json(&["report", "--by", "day"]), utc);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A ledger of schema version 1 (written by the released build) is migrated with its
/// rollup backfilled: the first read through the rollup already answers exactly.
#[test]
fn a_v1_ledger_is_backfilled_when_migrated() {
    let env = Env::new();
    std::fs::copy(fixtures().join("ledgers/v1.db"), &env.db).unwrap();
    let zone = env.ok(&["config", "get", "tz"]);
    assert_eq!(zone.trim(), "tz = Europe/Berlin", "the fixture's zone changed; pick its alias anew");
    for by in ["day", "model", "source"] {
        let rolled = env.json(&["report", "--by", by]);
        // Arctic/Longyearbyen is Europe/Berlin under another name: computed from the events.
        let events = env.json(&["--tz", "Arctic/Longyearbyen", "report", "--by", by]);
        assert_eq!(rolled, events, "report --by {by} of a migrated v1 ledger");
        assert!(!rolled["rows"].as_array().unwrap().is_empty(), "the v1 fixture has events");
    }
}
