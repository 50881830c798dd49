//! The app and the CLI give the same numbers for the same ledger and moment.
//!
//! A ledger is built through the real `tokenburn` binary (committed fixtures imported, the
//! zone set, budgets added); then what the desktop app's commands return, which is
//! `tokenburn::views`, is compared with the CLI's JSON at fixed days: the dashboard's four
//! period totals and its split by model against `report`, the budget cards against
//! `status --at`, the tray's month line against `report` for the month. The period starts
//! are written out here rather than taken from either side, so a different week or month
//! start, or a different zone, on either side fails.

mod common;

use chrono::NaiveDate;
use common::*;
use serde_json::{json, Value};
use tokenburn::ledger::Ledger;
use tokenburn::views;

/// Berlin: the Claude Code fixture's lines at 23:29-23:40 UTC on March 29 fall on March 30
/// there, and those at 22:30-22:40 UTC on March 30 fall on March 31 (summer time began on
/// the 30th), so the day's totals differ from UTC's.
const ZONE: &str = "Europe/Berlin";

/// The days the views are read at, with the first day of their week (Monday) and month.
const MOMENTS: [(&str, &str, &str); 3] = [
    // A Sunday: the week began on Monday the 24th.
    ("2025-03-30", "2025-03-24", "2025-03-01"),
    // A Monday: the week is the day.
    ("2025-03-31", "2025-03-31", "2025-03-01"),
    // A Thursday in the OpenAI usage export's and the Codex logs' month.
    ("2025-10-16", "2025-10-13", "2025-10-01"),
];

fn ledger() -> Env {
    let env = Env::new();
    env.ok(&["config", "set", "tz", ZONE]);
    for folder in ["claude-code", "codex", "openai-usage-csv"] {
        env.ok(&["import", fixtures().join(folder).to_str().unwrap()]);
    }
    env.ok(&["budget", "add", "Monthly", "--amount", "3", "--period", "month"]);
    env.ok(&["budget", "add", "Tokens", "--amount", "5000000", "--unit", "tokens", "--period", "month"]);
    env.ok(&[
        "budget",
        "add",
        "Claude",
        "--amount",
        "0.05",
        "--period",
        "custom",
        "--start",
        "2025-03-15",
        "--end",
        "2025-04-14",
        "--model",
        "claude-*",
    ]);
    env
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// `report --json` totals from `since` through `until` (both None: all time).
fn cli_totals(env: &Env, since: Option<&str>, until: &str, extra: &[&str]) -> Value {
    let mut args = vec!["report"];
    if let Some(s) = since {
        args.extend(["--since", s, "--until", until]);
    }
    args.extend(extra);
    env.json(&args)["totals"].clone()
}

#[test]
fn the_dashboard_is_the_cli_report_for_the_same_days_in_the_ledgers_zone() {
    let env = ledger();
    let l = Ledger::open(&env.db).unwrap();
    for (at, week, month) in MOMENTS {
        let dash = serde_json::to_value(views::dashboard::dashboard(&l, day(at)).unwrap()).unwrap();
        assert_eq!((&dash["tz"], &dash["today"]), (&json!(ZONE), &json!(at)));
        let expected = [("today", Some(at)), ("week", Some(week)), ("month", Some(month)), ("all", None)];
        for (i, (key, since)) in expected.into_iter().enumerate() {
            let p = &dash["periods"][i];
            assert_eq!((&p["key"], &p["since"]), (&json!(key), &json!(since)), "at {at}");
            assert_eq!(p["totals"], cli_totals(&env, since, at, &[]), "{key} at {at}: the app and `report` differ");
        }
        let mut cli_models = env.json(&["report", "--by", "model"])["rows"].as_array().unwrap().clone();
        let mut app_models = dash["by_model"].as_array().unwrap().clone();
        let by_key = |v: &Value| v["key"].as_str().unwrap().to_string();
        cli_models.sort_by_key(by_key);
        app_models.sort_by_key(by_key);
        assert_eq!(app_models, cli_models, "the split by model differs");
    }
}

#[test]
fn the_zone_decides_the_day_and_the_comparison_sees_it() {
    let env = ledger();
    let l = Ledger::open(&env.db).unwrap();
    let dash = serde_json::to_value(views::dashboard::dashboard(&l, day("2025-03-30")).unwrap()).unwrap();
    let today = &dash["periods"][0]["totals"];
    assert!(today["events"].as_i64().unwrap() > 0, "the day has events: {today}");
    // The same day counted in UTC holds other events: a view that ignored the ledger's zone
    // would fail the comparison above.
    let utc = cli_totals(&env, Some("2025-03-30"), "2025-03-30", &["--tz", "UTC"]);
    assert_ne!(*today, utc, "the fixture must tell the zones apart");
}

#[test]
fn the_budget_cards_are_the_cli_status_at_the_same_day() {
    let env = ledger();
    let l = Ledger::open(&env.db).unwrap();
    for (at, _, _) in MOMENTS {
        let cards = views::cards::budget_cards(&l, day(at), None).unwrap();
        let statuses: Vec<_> = cards.iter().filter_map(|c| c.status.as_ref()).collect();
        let cli = env.json(&["status", "--at", at]);
        assert_eq!(cli["as_of"], json!(at));
        assert_eq!(serde_json::to_value(&statuses).unwrap(), cli["budgets"], "at {at}: the cards and `status` differ");
        assert_eq!(cards.len(), 3, "every budget has a card");
        assert!(statuses.iter().any(|s| s.spent_raw > 0), "at {at}: something was spent");
    }
    // The custom Claude budget covers its span only; the monthly ones every month.
    let periods = |at| env.json(&["status", "--at", at])["budgets"].as_array().unwrap().len();
    assert_eq!((periods("2025-03-30"), periods("2025-10-16")), (3, 2));
}

#[test]
fn the_trays_month_line_is_the_cli_months_cost() {
    let env = ledger();
    let l = Ledger::open(&env.db).unwrap();
    for (at, _, month) in MOMENTS {
        let (usd, unpriced) = views::dashboard::month_spend(&l, day(at)).unwrap();
        let cli = cli_totals(&env, Some(month), at, &[]);
        let cost = tokenburn::money::Usd::parse(cli["cost_usd"].as_str().unwrap()).unwrap();
        assert_eq!((usd, unpriced), (cost.round_to(2), cli["unpriced_events"].as_i64().unwrap()), "at {at}");
    }
}
