//! Budgets, status with forecasts, alerts across restarts, and the compensation ratio,
//! through the real CLI on temp ledgers.

mod common;

use common::*;
use serde_json::Value;

/// A ledger in UTC with $10 of manual spend on each of the first `days` days of March 2026.
fn spending(days: u32) -> Env {
    let env = Env::new();
    env.ok(&["config", "set", "tz", "UTC"]);
    for d in 1..=days {
        env.ok(&[
            "add",
            "--usd",
            "10",
            "--date",
            &format!("2026-03-{d:02}"),
            "--provider",
            "anthropic",
            "--project",
            "web",
        ]);
    }
    env
}

fn budget<'a>(status: &'a Value, name: &str) -> &'a Value {
    status["budgets"].as_array().unwrap().iter().find(|b| b["name"] == name).unwrap_or_else(|| panic!("{status}"))
}

#[test]
fn status_shows_spend_burn_and_a_deterministic_forecast() {
    let env = spending(10);
    env.ok(&["budget", "add", "March", "--amount", "500", "--period", "month"]);
    let s = env.json(&["status", "--at", "2026-03-10"]);
    let b = budget(&s, "March");
    assert_eq!(b["period_start"], "2026-03-01");
    assert_eq!(b["period_end"], "2026-03-31");
    assert_eq!(b["spent"], "100");
    assert_eq!(b["remaining"], "400");
    assert_eq!(b["share_used"], 0.2);
    assert_eq!(b["burn_per_day_7d"], "10");
    assert_eq!(b["burn_per_day_ptd"], "10");
    // $10 a day: $500 is reached on day 50, after the period; the band must say so.
    let f = &b["forecast"];
    assert!(f["p_exceed"].as_f64().unwrap() < 0.5, "{f}");
    assert_eq!(f["p50_in_period"], false);
    // Projected spend at the end is about $310.
    let p50: f64 = f["projected_p50"].as_str().unwrap().parse().unwrap();
    assert!((250.0..=380.0).contains(&p50), "{f}");
    // Deterministic for the same data and day.
    assert_eq!(env.json(&["status", "--at", "2026-03-10"]), s);
    let text = env.ok(&["status", "--at", "2026-03-10"]);
    assert!(text.contains("$100.00 of $500.00 (20.0%)"), "{text}");
}

#[test]
fn a_budget_started_mid_period_owns_the_whole_period_and_filters_apply() {
    let env = spending(10);
    env.ok(&[
        "add",
        "--usd",
        "5",
        "--date",
        "2026-03-05",
        "--provider",
        "openai",
        "--model",
        "gpt-5",
        "--project",
        "cli",
    ]);
    env.ok(&[
        "budget",
        "add",
        "Q1 web",
        "--amount",
        "1000",
        "--period",
        "quarter",
        "--start",
        "2026-03-08",
        "--project",
        "web",
    ]);
    env.ok(&["budget", "add", "GPT", "--amount", "20", "--period", "year", "--model", "gpt-*", "--provider", "openai"]);
    env.ok(&["budget", "add", "Tokens", "--amount", "12345.0", "--unit", "tokens", "--period", "month"]);
    let s = env.json(&["status", "--at", "2026-03-10"]);
    let q = budget(&s, "Q1 web");
    assert_eq!((q["period_start"].as_str(), q["period_end"].as_str()), (Some("2026-01-01"), Some("2026-03-31")));
    assert_eq!(q["spent"], "100");
    assert_eq!(budget(&s, "GPT")["spent"], "5");
    assert_eq!(budget(&s, "Tokens")["budget"], "12345");
    assert_eq!(budget(&s, "Tokens")["spent"], "0");
    // Before its first period a repeating budget has no status.
    let early = env.json(&["status", "--at", "2025-12-31"]);
    assert!(early["budgets"].as_array().unwrap().iter().all(|b| b["name"] != "Q1 web"));
    // Fiscal years: a year budget starting in April.
    env.ok(&["budget", "edit", "GPT", "--fiscal-year-start", "4"]);
    let g = env.json(&["status", "--at", "2026-03-10"]);
    assert_eq!(budget(&g, "GPT")["period_start"], "2025-04-01");
    // Bad input is refused with a reason.
    let bad = env.run(&["budget", "add", "X", "--amount=-5", "--period", "month"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("positive"));
    let bad = env.run(&["budget", "add", "Y", "--amount", "5", "--period", "custom", "--start", "2026-01-01"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("needs --start and --end"));
    env.ok(&["budget", "rm", "Tokens"]);
    assert_eq!(env.json(&["budget", "list"]).as_array().unwrap().len(), 2);
}

#[test]
fn alerts_fire_once_across_restarts_and_rearm_next_period() {
    let env = spending(10);
    env.ok(&["budget", "add", "March", "--amount", "150", "--period", "month", "--thresholds", "50,100"]);
    // Day 8: $80 of $150 (53%), running at $10/day: out around the 15th, inside March.
    let first = env.run(&["check", "--at", "2026-03-08", "--json"]);
    assert_eq!(first.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&first.stdout).unwrap();
    let kinds: Vec<(String, u64)> = v["new"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["kind"].as_str().unwrap().into(), a["level"].as_u64().unwrap()))
        .collect();
    assert_eq!(kinds, vec![("threshold".into(), 50), ("forecast".into(), 0)]);
    let msg = v["new"][1]["message"].as_str().unwrap();
    assert!(msg.contains("forecast to run out ~Mar"), "{msg}");
    // A new process: nothing fires again.
    let again: Value = serde_json::from_slice(&env.run(&["check", "--at", "2026-03-09", "--json"]).stdout).unwrap();
    assert_eq!(again["new"].as_array().unwrap().len(), 0);
    // Over the budget on day 15: the 100% threshold fires once; exit code 3.
    env.ok(&["add", "--usd", "80", "--date", "2026-03-10", "--provider", "anthropic"]);
    let over = env.run(&["check", "--at", "2026-03-15", "--json"]);
    assert_eq!(over.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&over.stdout).unwrap();
    assert_eq!(v["new"].as_array().unwrap().len(), 1);
    assert_eq!(v["new"][0]["level"], 100);
    assert_eq!(env.run(&["check", "--at", "2026-03-16", "--json"]).status.code(), Some(3));
    // April is a new period: nothing spent, nothing over, the alerts re-armed.
    let april = env.run(&["check", "--at", "2026-04-02", "--json"]);
    assert_eq!(april.status.code(), Some(0));
    let listed = env.json(&["alerts", "--at", "2026-04-02"]);
    assert_eq!(listed["fired"].as_array().unwrap().len(), 3);
    assert_eq!(listed["pending"].as_array().unwrap().len(), 2);
}

#[test]
fn an_exceeded_budget_reports_the_day_it_was_reached() {
    let env = spending(10);
    env.ok(&["budget", "add", "Tiny", "--amount", "25", "--period", "month"]);
    let s = env.json(&["status", "--at", "2026-03-10"]);
    let f = &budget(&s, "Tiny")["forecast"];
    assert_eq!(f["p_exceed"], 1.0);
    assert_eq!(f["p10"], "2026-03-03");
    assert_eq!(f["p50"], "2026-03-03");
    assert_eq!(f["p90"], "2026-03-03");
    assert_eq!(budget(&s, "Tiny")["remaining"], "-75");
}

#[test]
fn compensation_ratio_both_ways() {
    let env = spending(10);
    // $365,000 a year is $1,000 a day (2026 is not a leap year).
    env.ok(&[
        "comp",
        "set",
        "--annual",
        "365000",
        "--target-ratio",
        "0.5",
        "--cap-ratio",
        "0.0005",
        "--from",
        "2026-01-01",
    ]);
    let c = env.json(&["comp", "--at", "2026-03-10"]);
    let ytd = &c["year_to_date"];
    assert_eq!(ytd["spend_usd"], "100.00");
    assert_eq!(ytd["pay_usd"], "69000.00");
    assert_eq!(ytd["ratio"], 0.001);
    assert_eq!(c["quarter_to_date"]["pay_usd"], "69000.00");
    assert_eq!(c["reference_ratio"], 0.5);
    assert_eq!(c["under_target"], true);
    assert_eq!(c["over_cap"], true);
    let band = c["projected_year_end"].as_array().unwrap();
    assert!(band[0].as_f64() <= band[1].as_f64() && band[1].as_f64() <= band[2].as_f64());
    // A raise from March keeps the history: pay is prorated across the change.
    env.ok(&["comp", "set", "--annual", "730000", "--from", "2026-03-01"]);
    let c = env.json(&["comp", "--at", "2026-03-10"]);
    assert_eq!(c["year_to_date"]["pay_usd"], "79000.00");
    // Ratio alerts fire through check.
    let v: Value = serde_json::from_slice(&env.run(&["check", "--at", "2026-03-10", "--json"]).stdout).unwrap();
    let kinds: Vec<&str> = v["new"].as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"under_target"), "{v}");
    assert!(!env.run(&["comp", "set", "--annual", "1000", "--currency", "EUR"]).status.success());
}

#[test]
fn backtest_runs_on_a_budgets_own_history() {
    let env = Env::new();
    env.ok(&["config", "set", "tz", "UTC"]);
    // 120 days of a weekday-heavy user, as a ccusage daily export.
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let days: Vec<serde_json::Value> = (0..120)
        .map(|i| {
            let d = start + chrono::Days::new(i);
            let cost = if i % 7 >= 5 { 2 } else { 10 + (i * 7919 % 13) };
            serde_json::json!({"date": d.to_string(), "inputTokens": 1000, "outputTokens": 100, "cacheCreationTokens": 0,
                               "cacheReadTokens": 0, "totalTokens": 1100, "totalCost": cost, "modelsUsed": ["gpt-5"]})
        })
        .collect();
    let file = env.dir.path().join("ccusage.json");
    std::fs::write(&file, serde_json::json!({"daily": days, "totals": {}}).to_string()).unwrap();
    env.json(&["import", file.to_str().unwrap()]);
    env.ok(&["budget", "add", "Q", "--amount", "700", "--period", "quarter"]);
    let rep = env.json(&["backtest", "--budget", "Q"]);
    assert!(rep["all"]["ours"]["forecasts"].as_u64().unwrap() > 0, "{rep}");
    assert!(rep["all"]["baseline"].is_object(), "{rep}");
    let text = env.ok(&["backtest", "--budget", "Q"]);
    assert!(text.contains("budget \"Q\""), "{text}");
}

/// Total tokens `report` counts for `source` in 2026 through `until`, in zone `tz`.
fn report_tokens(env: &Env, tz: &str, source: &str, until: &str) -> i64 {
    let r = env.json(&["--tz", tz, "report", "--source", source, "--since", "2026-01-01", "--until", until]);
    int(&r["totals"], "total_tokens")
}

#[test]
fn budgets_scoped_to_sources_count_only_those_agents_in_every_zone() {
    let env = Env::new();
    env.ok(&["config", "set", "tz", "UTC"]);
    env.ok(&["import", &fixture("gemini-cli/tmp"), &fixture("copilot-cli/resumed-session")]);
    env.ok(&["add", "--usd", "10", "--date", "2026-03-02", "--provider", "anthropic"]);
    let tokens = |name: &str, sources: &[&str]| {
        let mut args = vec!["budget", "add", name, "--amount", "100000000", "--unit", "tokens", "--period", "year"];
        for s in sources {
            args.extend(["--source", s]);
        }
        env.ok(&args);
    };
    tokens("Gemini", &["gemini-cli"]);
    tokens("Agents", &["gemini-cli", "copilot-cli"]);
    tokens("All", &[]);
    env.ok(&["budget", "add", "Copilot", "--amount", "100", "--period", "year", "--source", "copilot-cli"]);
    env.ok(&["budget", "add", "Hand", "--amount", "100", "--period", "year", "--source", "manual"]);
    // A subscription's fee counts toward budgets of the account (agent) it covers.
    env.ok(&[
        "subscription",
        "add",
        "Copilot Pro",
        "--usd",
        "10",
        "--every",
        "month",
        "--from",
        "2026-05-01",
        "--covers",
        "copilot-cli",
    ]);
    // UTC is the rollup's zone; New York is read from the events.
    for tz in ["UTC", "America/New_York"] {
        let s = env.json(&["--tz", tz, "status", "--at", "2026-05-31"]);
        let spent = |name: &str| budget(&s, name)["spent"].as_str().unwrap().parse::<i64>().unwrap();
        let gemini = report_tokens(&env, tz, "gemini-cli", "2026-05-31");
        let copilot = report_tokens(&env, tz, "copilot-cli", "2026-05-31");
        assert!(gemini > 0 && copilot > 0, "{tz}: {gemini} {copilot}");
        assert_eq!(spent("Gemini"), gemini, "{tz}: {s}");
        assert_eq!(spent("Agents"), gemini + copilot, "{tz}: {s}");
        assert!(spent("All") >= gemini + copilot, "{tz}: {s}");
        // Covered usage is value, not spend: the Copilot budget spends the May fee only.
        assert_eq!(budget(&s, "Copilot")["spent"], "10", "{tz}: {s}");
        assert_eq!(budget(&s, "Hand")["spent"], "10", "{tz}: {s}");
        assert_eq!(budget(&s, "Agents")["sources"], serde_json::json!(["gemini-cli", "copilot-cli"]));
        assert!(budget(&s, "All").get("sources").is_none(), "{s}");
    }
    // Shown by list, in JSON and text, and changed by edit.
    let list = env.json(&["budget", "list"]);
    let agents = list.as_array().unwrap().iter().find(|b| b["name"] == "Agents").unwrap();
    assert_eq!(agents["sources"], serde_json::json!(["gemini-cli", "copilot-cli"]));
    assert!(env.ok(&["budget", "list"]).contains("only gemini-cli,copilot-cli"));
    assert!(env.ok(&["status", "--at", "2026-05-31"]).contains("only sources: gemini-cli, copilot-cli"));
    env.ok(&["budget", "edit", "Gemini", "--source", "copilot-cli"]);
    let s = env.json(&["status", "--at", "2026-05-31"]);
    assert_eq!(
        budget(&s, "Gemini")["spent"].as_str().unwrap(),
        report_tokens(&env, "UTC", "copilot-cli", "2026-05-31").to_string()
    );
    // Unknown names are refused, naming the known ones.
    let bad = env.run(&["budget", "add", "X", "--amount", "5", "--period", "month", "--source", "gemini"]);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success() && err.contains("not a known source") && err.contains("gemini-cli"), "{err}");
    let bad = env.run(&["budget", "edit", "Gemini", "--source", "nope"]);
    assert!(!bad.status.success());
}
