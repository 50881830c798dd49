//! Exactness on real agent logs in ../shared/data (skipped with a message when absent):
//! the totals must equal ccusage 20's to the token and to $0.000001.

mod common;

use common::*;
use serde_json::Value;
use tokenburn::money::Usd;

fn usd(v: &Value) -> Usd {
    Usd::parse(v.as_str().expect("cost_usd is a decimal string")).unwrap()
}

fn assert_usd_near(got: Usd, want: &str) {
    let want = Usd::parse(want).unwrap();
    assert!((got.nanos() - want.nanos()).abs() <= 1_000, "cost {got} != {want} (to $0.000001)");
}

#[test]
fn claude_code_matches_ccusage_20_per_day() {
    let Some(data) = shared_data() else { return };
    let env = Env::new();
    let a = data.join("claude-code/sniffly-chiphuyen");
    let b = data.join("claude-code/claude-code-viewer-dkimuson");
    env.json(&["scan", "--claude-dir", a.to_str().unwrap(), "--claude-dir", b.to_str().unwrap()]);
    let rep = env.json(&["report", "--by", "day", "--tz", "UTC"]);

    let reference: Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("peer-reference-outputs/ccusage20-claude-daily.json")).unwrap(),
    )
    .unwrap();
    let days = reference["daily"].as_array().unwrap();
    assert_eq!(rep["rows"].as_array().unwrap().len(), days.len());
    for d in days {
        let r = row(&rep, d["date"].as_str().unwrap());
        assert_eq!(int(r, "input_tokens"), d["inputTokens"].as_i64().unwrap(), "{}", d["date"]);
        assert_eq!(int(r, "output_tokens"), d["outputTokens"].as_i64().unwrap(), "{}", d["date"]);
        assert_eq!(int(r, "cache_write_tokens"), d["cacheCreationTokens"].as_i64().unwrap(), "{}", d["date"]);
        assert_eq!(int(r, "cache_read_tokens"), d["cacheReadTokens"].as_i64().unwrap(), "{}", d["date"]);
        assert_usd_near(usd(&r["cost_usd"]), &d["totalCost"].to_string());
    }
    let t = &rep["totals"];
    assert_eq!(
        (int(t, "input_tokens"), int(t, "output_tokens"), int(t, "cache_write_tokens"), int(t, "cache_read_tokens")),
        (1_333, 75_828, 405_045, 8_377_717)
    );
    assert_usd_near(usd(&t["cost_usd"]), "5.173653");
    assert_eq!(int(t, "unpriced_events"), 0);
}

#[test]
fn codex_matches_the_cumulative_truth() {
    let Some(data) = shared_data() else { return };
    let env = Env::new();
    let home = data.join("codex/ask-codex-sessions-kirilligum");
    env.json(&["scan", "--codex-dir", home.to_str().unwrap()]);
    let t = env.json(&["report", "--by", "model", "--tz", "UTC"]);
    let tot = &t["totals"];
    assert_eq!(int(tot, "total_tokens"), 4_725_294);
    assert_eq!(int(tot, "input_tokens"), 1_016_045);
    assert_eq!(int(tot, "cache_read_tokens"), 3_603_200);
    assert_eq!(int(tot, "output_tokens"), 106_049);
    assert_eq!(int(tot, "reasoning_tokens"), 46_307);
    assert_eq!(usd(&tot["cost_usd"]), Usd::parse("5.0316475").unwrap());
    assert_eq!(int(row(&t, "gpt-5.4"), "total_tokens"), 4_725_294);
}

#[test]
fn fifty_copies_under_other_projects_give_identical_totals() {
    let Some(data) = shared_data() else { return };
    let env = Env::new();
    let projects = env.dir.path().join("scaled/projects");
    for i in 1..=50 {
        for (src, name) in [
            ("claude-code/sniffly-chiphuyen/projects/-Users-chip-dev-ai-music", "ai-music"),
            ("claude-code/claude-code-viewer-dkimuson/projects/sample-project", "sample"),
        ] {
            copy_tree(&data.join(src), &projects.join(format!("copy{i:02}-{name}")));
        }
    }
    let scan = env.json(&["scan", "--claude-dir", env.dir.path().join("scaled").to_str().unwrap()]);
    assert_eq!(scan["files"].as_array().unwrap().len(), 350);
    let t = &env.json(&["report", "--tz", "UTC"])["totals"];
    assert_eq!(
        (int(t, "input_tokens"), int(t, "output_tokens"), int(t, "cache_write_tokens"), int(t, "cache_read_tokens")),
        (1_333, 75_828, 405_045, 8_377_717)
    );
    assert_usd_near(usd(&t["cost_usd"]), "5.173653");
    // A second scan finds nothing new and changes nothing.
    let again = env.json(&["scan", "--claude-dir", env.dir.path().join("scaled").to_str().unwrap()]);
    assert_eq!(again["files"].as_array().unwrap().len(), 0);
    assert_eq!(again["unchanged"], 350);
}

#[test]
fn stats_cache_and_ccusage_exports_import() {
    let Some(data) = shared_data() else { return };
    let env = Env::new();
    let stats = data.join("daily-series/claude-stats-hannibal8856/stats-cache.json");
    let out = env.json(&["import", stats.to_str().unwrap()]);
    assert_eq!(out["files"][0]["format"], "claude-stats");
    let t = &env.json(&["report", "--by", "month"])["totals"];
    // The README of that series: 8.157 B tokens in all, unsplit, and none of it priced as $0.
    let daily = std::fs::read_to_string(data.join("daily-series/claude-stats-hannibal8856/daily.csv")).unwrap();
    let sum: i64 = daily.lines().skip(1).map(|l| l.split(',').nth(1).unwrap().parse::<i64>().unwrap()).sum();
    assert_eq!(int(t, "unsplit_tokens"), sum);
    assert_eq!(int(t, "total_tokens"), sum);
    assert_eq!(t["cost_usd"], "0");
    assert!(int(t, "unpriced_events") > 0);

    let cc = data.join("ccusage-daily-exports/citrustiara-respi-net/ccusage.json");
    let out = env.json(&["import", cc.to_str().unwrap()]);
    assert_eq!(out["files"][0]["format"], "ccusage-json");
    assert_eq!(out["files"][0]["added"], 10);
    let r = env.json(&["report", "--source", "ccusage-json", "--tz", "UTC"]);
    let reference: Value = serde_json::from_str(&std::fs::read_to_string(&cc).unwrap()).unwrap();
    assert_eq!(int(&r["totals"], "total_tokens"), reference["totals"]["totalTokens"].as_i64().unwrap());
    assert_usd_near(usd(&r["totals"]["cost_usd"]), &reference["totals"]["totalCost"].to_string());
}
