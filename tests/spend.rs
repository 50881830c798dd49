//! The spend model (CONVENTIONS rule 9) through the CLI: accounts and links, billed over
//! estimated, vendor tokens over transcripts, subscriptions, manual entries, and undo.

mod common;

use common::*;
use tokenburn::money::Usd;

fn usd(v: &serde_json::Value) -> Usd {
    Usd::parse(v.as_str().unwrap()).unwrap()
}

/// The claude-code fixture's UTC days: 2025-03-29 (A, B), 2025-03-30 (C, D, E).
fn with_transcripts() -> Env {
    let env = Env::new();
    env.ok(&["config", "set", "tz", "UTC"]);
    env.json(&["import", &fixture("claude-code")]);
    env
}

fn write(env: &Env, name: &str, text: &str) -> String {
    let p = env.dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

const USAGE: &str = "usage_date_utc,model_version,api_key,workspace,usage_type,context_window,usage_input_tokens_no_cache,usage_input_tokens_cache_write_5m,usage_input_tokens_cache_write_1h,usage_input_tokens_cache_read,usage_output_tokens,web_search_count,inference_geo,speed
2025-03-30,claude-sonnet-4-20250514,dev,Default,standard,≤ 200k,1000,0,0,0,2000,0,global,
";

const COST: &str = "usage_date_utc,model,workspace,api_key,usage_type,context_window,token_type,cost_usd,list_price_usd,cost_type,inference_geo,speed,api_key_id,api_key_status
2025-03-30,Claude Sonnet 4,Default,dev,message,≤ 200k,input_no_cache,0.003,0.003,token,global,,apikey_01X,active
2025-03-30,Claude Sonnet 4,Default,dev,message,≤ 200k,output,0.0300000001,0.03,token,global,,apikey_01X,active
";

#[test]
fn linked_transcripts_give_way_to_vendor_usage_and_billed_money_within_the_utc_day() {
    let env = with_transcripts();
    let before = env.json(&["report", "--by", "day"]);
    let d29 = row(&before, "2025-03-29").clone();
    let d30 = row(&before, "2025-03-30").clone();

    // An Anthropic usage export for the 30th: a different account, so both count.
    env.json(&["import", &write(&env, "usage.csv", USAGE)]);
    let both = env.json(&["report", "--by", "day"]);
    assert_eq!(int(row(&both, "2025-03-30"), "total_tokens"), int(&d30, "total_tokens") + 3000);
    let accounts = env.json(&["account", "list"]);
    let names: Vec<&str> = accounts.as_array().unwrap().iter().map(|a| a["account"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["anthropic", "claude-code"]);

    // Linked: on the 30th the vendor export has the tokens; the 29th keeps the transcripts.
    env.ok(&["account", "link", "claude-code", "--billed-by", "anthropic"]);
    let linked = env.json(&["report", "--by", "day"]);
    assert_eq!(row(&linked, "2025-03-29"), &d29);
    let r30 = row(&linked, "2025-03-30");
    assert_eq!(int(r30, "input_tokens"), 1000);
    assert_eq!(int(r30, "output_tokens"), 2000);
    // The vendor usage is priced from the book: 1,000 x $3 + 2,000 x $15 per million.
    assert_eq!(usd(&r30["estimated_usd"]), Usd(33_000_000));
    // The transcripts' unpriced model gives way too: nothing unpriced is left that day.
    assert_eq!(int(r30, "unpriced_events"), 0);

    // Billed money beats every estimate of that account and day.
    env.json(&["import", &write(&env, "cost.csv", COST)]);
    let billed = env.json(&["report", "--by", "day"]);
    let r30 = row(&billed, "2025-03-30");
    assert_eq!(usd(&r30["billed_usd"]), Usd::parse("0.0330000001").unwrap());
    assert_eq!(usd(&r30["estimated_usd"]), Usd(0));
    assert_eq!(usd(&r30["cost_usd"]), Usd::parse("0.0330000001").unwrap());
    assert_eq!(int(r30, "input_tokens"), 1000);
    assert_eq!(row(&billed, "2025-03-29"), &d29);
    // Parts always sum to the spend.
    let t = &billed["totals"];
    let parts = ["billed_usd", "estimated_usd", "fee_usd", "manual_usd"].iter().map(|k| usd(&t[*k])).sum::<Usd>();
    assert_eq!(parts, usd(&t["cost_usd"]));

    // Unlinked, the transcripts are their own account again and count beside the bill.
    env.ok(&["account", "unlink", "claude-code"]);
    let unlinked = env.json(&["report", "--by", "day"]);
    let r30 = row(&unlinked, "2025-03-30");
    assert_eq!(int(r30, "total_tokens"), int(&d30, "total_tokens") + 3000);
    assert_eq!(usd(&r30["cost_usd"]), usd(&d30["cost_usd"]) + Usd::parse("0.0330000001").unwrap());
}

#[test]
fn a_subscription_is_spend_per_day_and_turns_covered_usage_into_value() {
    let env = with_transcripts();
    let plain = env.json(&["report", "--since", "2025-03-01", "--until", "2025-03-31"]);
    let estimate = usd(&plain["totals"]["estimated_usd"]);
    assert!(estimate > Usd(0));

    env.ok(&[
        "subscription",
        "add",
        "Claude Max",
        "--usd",
        "200",
        "--every",
        "month",
        "--from",
        "2025-03-01",
        "--covers",
        "claude-code",
    ]);
    let rep = env.json(&["report", "--by", "month", "--since", "2025-03-01", "--until", "2025-03-31"]);
    let m = row(&rep, "2025-03");
    assert_eq!(usd(&m["fee_usd"]), Usd::parse("200").unwrap());
    assert_eq!(usd(&m["estimated_usd"]), Usd(0));
    assert_eq!(usd(&m["value_usd"]), estimate);
    assert_eq!(usd(&m["cost_usd"]), Usd::parse("200").unwrap());
    // Tokens always count.
    assert_eq!(int(m, "total_tokens"), int(&plain["totals"], "total_tokens"));
    // Amortised per day: March has 31 days of $200/31, the odd nano-dollars spread evenly.
    let days = env.json(&["report", "--by", "day", "--since", "2025-03-01", "--until", "2025-03-31"]);
    assert_eq!(days["rows"].as_array().unwrap().len(), 31);
    for r in days["rows"].as_array().unwrap() {
        let fee = usd(&r["fee_usd"]).nanos();
        assert!(fee == 6_451_612_903 || fee == 6_451_612_904, "{r}");
    }
    // Half of April.
    let april = env.json(&["report", "--by", "month", "--since", "2025-04-01", "--until", "2025-04-15"]);
    assert_eq!(usd(&row(&april, "2025-04")["fee_usd"]), Usd(100_000_000_000));

    let list = env.json(&["subscription", "list"]);
    assert_eq!(list[0]["name"], "Claude Max");
    env.ok(&["subscription", "rm", "Claude Max"]);
    let after = env.json(&["report", "--since", "2025-03-01", "--until", "2025-03-31"]);
    assert_eq!(usd(&after["totals"]["estimated_usd"]), estimate);
}

#[test]
fn manual_entries_are_spend_and_undo_removes_only_what_an_import_alone_delivered() {
    let env = with_transcripts();
    let base = usd(&env.json(&["report"])["totals"]["cost_usd"]);
    let added = env.json(&[
        "add",
        "--usd",
        "12.50",
        "--date",
        "2025-03-15",
        "--provider",
        "openai",
        "--note",
        "ChatGPT team seat",
    ]);
    let manual_import = added["import_id"].as_i64().unwrap();
    let rep = env.json(&["report", "--by", "day"]);
    assert_eq!(usd(&row(&rep, "2025-03-15")["manual_usd"]), Usd::parse("12.5").unwrap());
    assert_eq!(usd(&rep["totals"]["cost_usd"]), base + Usd::parse("12.5").unwrap());

    let rm = env.json(&["imports", "rm", &manual_import.to_string()]);
    assert_eq!(rm["removed_events"], 1);
    assert_eq!(usd(&env.json(&["report"])["totals"]["cost_usd"]), base);

    // The same transcript delivered by a second import (a copy elsewhere): removing the
    // first keeps every event, removing the second too deletes them.
    let copy = env.dir.path().join("copy/projects/p");
    copy_tree(&fixtures().join("claude-code/projects/-home-dev-demo"), &copy);
    let second = env.json(&["import", copy.to_str().unwrap()]);
    assert!(second["files"][0]["same_as"].is_i64());
    let list = env.json(&["imports"]);
    let ids: Vec<i64> = list.as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
    let (first, second) = (ids[0], *ids.last().unwrap());
    let r = env.json(&["imports", "rm", &first.to_string()]);
    assert_eq!((r["removed_events"].as_i64(), r["kept_events"].as_i64()), (Some(0), Some(5)));
    assert_eq!(int(&env.json(&["report"])["totals"], "events"), 5);
    let r = env.json(&["imports", "rm", &second.to_string()]);
    assert_eq!((r["removed_events"].as_i64(), r["kept_events"].as_i64()), (Some(5), Some(0)));
    assert_eq!(int(&env.json(&["report"])["totals"], "events"), 0);
    assert!(!env.run(&["imports", "rm", "999"]).status.success());
}

#[test]
fn cursor_included_usage_is_value_not_spend() {
    let env = Env::new();
    let csv = write(
        &env,
        "usage-events.csv",
        "Date,Kind,Model,Max Mode,Input (w/ Cache Write),Input (w/o Cache Write),Cache Read,Output Tokens,Total Tokens,Cost
\"2026-01-05T10:00:00.000Z\",\"Included\",\"claude-4-sonnet\",\"No\",\"0\",\"1000\",\"0\",\"500\",\"1500\",\"Included\"
\"2026-01-05T11:00:00.000Z\",\"On-Demand\",\"claude-4-sonnet\",\"No\",\"0\",\"1000\",\"0\",\"500\",\"1500\",\"$0.32\"
",
    );
    let out = env.run(&["import", &csv, "--json"]);
    if !out.status.success() {
        // The Cursor header variants are the billing importers' business; this test only
        // needs one that the importer accepts.
        panic!("cursor import failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let t = &env.json(&["report"])["totals"];
    assert_eq!(usd(&t["billed_usd"]), Usd::parse("0.32").unwrap());
    assert_eq!(usd(&t["cost_usd"]), Usd::parse("0.32").unwrap());
    assert_eq!(int(t, "total_tokens"), 3000);
}

#[test]
fn reconcile_compares_log_estimates_with_the_bill_and_names_causes() {
    let env = with_transcripts();
    let cost = format!("{COST}2025-03-31,Claude Sonnet 4,Default,dev,message,≤ 200k,output,1.00,1.00,token,global,,apikey_01X,active\n");
    env.json(&["import", &write(&env, "cost.csv", &cost)]);
    let lines = env.json(&["reconcile"]);
    let find = |model: &str, day: &str| {
        lines
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["model"] == model && l["period"] == day)
            .cloned()
            .unwrap_or_else(|| panic!("no {model} {day}: {lines}"))
    };
    // Sonnet on the 30th: C + D from the transcripts against the bill.
    let s30 = find("claude-sonnet-4", "2025-03-30");
    assert_eq!(usd(&s30["estimate_usd"]), Usd::parse("0.002274").unwrap());
    assert_eq!(usd(&s30["billed_usd"]), Usd::parse("0.0330000001").unwrap());
    assert_eq!(usd(&s30["drift_usd"]), Usd::parse("0.0307260001").unwrap());
    let causes = s30["causes"].to_string();
    assert!(causes.contains("usage billed to another account: claude-code"), "{causes}");
    // The unknown model is logged but neither priced nor billed.
    let e30 = find("claude-imaginary-9", "2025-03-30");
    let causes = e30["causes"].to_string();
    assert!(causes.contains("unpriced model claude-imaginary-9"), "{causes}");
    assert!(causes.contains("missing from the bill"), "{causes}");
    // Billed on the 31st with nothing logged.
    let s31 = find("claude-sonnet-4", "2025-03-31");
    assert!(s31["causes"].to_string().contains("missing from the logs"));
    // Once linked, the account cause is gone; by month there is one line per model.
    env.ok(&["account", "link", "claude-code", "--billed-by", "anthropic"]);
    let lines = env.json(&["reconcile", "--by", "month", "--provider", "anthropic"]);
    assert!(!lines.to_string().contains("another account"), "{lines}");
    let months: Vec<&str> = lines.as_array().unwrap().iter().map(|l| l["period"].as_str().unwrap()).collect();
    assert!(months.iter().all(|m| *m == "2025-03"));
    let text = env.ok(&["reconcile"]);
    assert!(text.contains("claude-sonnet-4") && text.contains("drift"), "{text}");
}

/// A ccusage daily summary for the 30th, of a model the transcripts do not have (so they do
/// not cover it): one event, which no other row of its import replaces.
const SUMMARY: &str = r#"{"daily": [{"date": "2025-03-30", "inputTokens": 500, "outputTokens": 700,
  "cacheCreationTokens": 0, "cacheReadTokens": 0, "totalTokens": 1200, "totalCost": 0.5,
  "modelsUsed": ["claude-opus-4-20250514"]}],
 "totals": {"inputTokens": 500, "outputTokens": 700, "cacheCreationTokens": 0, "cacheReadTokens": 0,
  "totalTokens": 1200, "totalCost": 0.5}}"#;

/// Rule 9 decides a day from what is stored, not from the order it arrived in: the local
/// logs (transcripts and a ccusage summary, both linked to the Anthropic account), its usage
/// export and its cost export give the same report in all six orders, and after each import
/// deciding every day afresh (unlink, link) changes nothing. An import decides the events it inserts from
/// the index alone (spend.rs), so each order exercises another part of that: new logs under
/// stored vendor tokens, new estimates under a stored bill, stored estimates under a new bill.
#[test]
fn rule_9_gives_the_same_spend_whatever_the_order_of_imports() {
    let mut reports = Vec::new();
    for order in [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
        let env = Env::new();
        env.ok(&["config", "set", "tz", "UTC"]);
        let link = || {
            for account in ["claude-code", "ccusage"] {
                env.ok(&["account", "link", account, "--billed-by", "anthropic"]);
            }
        };
        // Unlinked and linked again, every day of the accounts is decided from all its rows.
        let decided_afresh = |report: &serde_json::Value| {
            for account in ["claude-code", "ccusage"] {
                env.ok(&["account", "unlink", account]);
            }
            link();
            assert_eq!(&env.json(&["report", "--by", "day"]), report, "order {order:?}: decided afresh");
        };
        link();
        let files = [
            vec![fixture("claude-code"), write(&env, "ccusage.json", SUMMARY)],
            vec![write(&env, "usage.csv", USAGE)],
            vec![write(&env, "cost.csv", COST)],
        ];
        for file in order.iter().flat_map(|&i| &files[i]) {
            env.json(&["import", file]);
            decided_afresh(&env.json(&["report", "--by", "day"]));
        }
        let report = env.json(&["report", "--by", "day"]);
        let r30 = row(&report, "2025-03-30");
        assert_eq!(usd(&r30["billed_usd"]), Usd::parse("0.0330000001").unwrap(), "order {order:?}: {r30}");
        assert_eq!(usd(&r30["estimated_usd"]), Usd(0), "order {order:?}: {r30}");
        assert_eq!(int(r30, "input_tokens"), 1000, "order {order:?}: {r30}");
        assert_eq!(int(r30, "output_tokens"), 2000, "order {order:?}: {r30}");
        assert_eq!(int(r30, "unpriced_events"), 0, "order {order:?}: {r30}");
        reports.push(report);
    }
    assert!(reports.windows(2).all(|w| w[0] == w[1]), "{reports:#?}");
}

#[test]
fn a_subscription_preset_covers_its_agents_account() {
    let env = Env::new();
    env.ok(&["config", "set", "tz", "UTC"]);
    env.ok(&["import", &fixture("copilot-cli/resumed-session")]);
    let plain = env.json(&["report", "--since", "2026-05-01", "--until", "2026-05-31"]);
    let estimate = usd(&plain["totals"]["estimated_usd"]);
    assert!(estimate > Usd(0));

    env.ok(&["subscription", "add", "--preset", "copilot-pro", "--from", "2026-05-01"]);
    let list = env.json(&["subscription", "list"]);
    assert_eq!(list[0]["name"], "GitHub Copilot Pro");
    assert_eq!(list[0]["covers"], "copilot-cli");
    assert_eq!(list[0]["provider"], "github");
    assert_eq!(list[0]["usd"], "10");
    assert_eq!(list[0]["every"], "month");
    // The Copilot CLI's usage is now value, the fee spend.
    let may = env.json(&["report", "--by", "month", "--since", "2026-05-01", "--until", "2026-05-31"]);
    let m = row(&may, "2026-05");
    assert_eq!(usd(&m["fee_usd"]), Usd::parse("10").unwrap());
    assert_eq!(usd(&m["estimated_usd"]), Usd(0));
    assert_eq!(usd(&m["value_usd"]), estimate);

    // Options override the preset's; an unknown preset is refused, naming the presets.
    env.ok(&["subscription", "add", "Team Max", "--preset", "claude-max-20x", "--usd", "180", "--from", "2026-05-01"]);
    let list = env.json(&["subscription", "list"]);
    let max = list.as_array().unwrap().iter().find(|s| s["name"] == "Team Max").unwrap();
    assert_eq!((max["covers"].as_str(), max["usd"].as_str()), (Some("claude-code"), Some("180")));
    let bad = env.run(&["subscription", "add", "--preset", "copilot", "--from", "2026-05-01"]);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success() && err.contains("copilot-pro-plus"), "{err}");
    assert!(env.ok(&["subscription", "presets"]).contains("Google AI Pro"));
}

#[test]
fn every_preset_covers_an_agents_own_account_at_a_positive_price() {
    let agents = ["copilot-cli", "gemini-cli", "claude-code", "codex"];
    for p in tokenburn::spend::PRESETS {
        assert!(tokenburn::import::by_name(p.covers).is_ok(), "{p:?}");
        assert_eq!(tokenburn::spend::default_account(p.covers), p.covers, "{p:?}");
        assert!(Usd::parse(p.usd).unwrap() > Usd(0), "{p:?}");
        assert_eq!(tokenburn::spend::preset(p.id).unwrap(), p);
    }
    for a in agents {
        assert!(tokenburn::spend::PRESETS.iter().any(|p| p.covers == a), "no preset covers {a}");
    }
}
