//! Command-level tests of the views' commands (budgets, compensation, warnings, token
//! estimator, ledger browse/export/backup, past imports and undo) without a window: the
//! real command list on Tauri's mock runtime, called through IPC as `ui/js/api.js` calls
//! them, each on its own temporary ledger. Every command's malformed input is rejected
//! with `invalid_input` (a chart size out of range with `chart_size`) and a message that
//! names the field.

use serde_json::{json, Value};
use tokenburn::ledger::queries::browse::{EventFilter, ExportFormat};
use tokenburn::ledger::Ledger;
use tokenburn::tokens::{self, Encoding};
use tokenburn_desktop::commands::ledger::{read_backup, write_backup, write_events};

mod mock;
use mock::{app, fixture, TestApp};

impl TestApp {
    /// The call fails with `invalid_input` and a message containing `says`.
    fn rejects(&self, cmd: &str, args: Value, says: &str) {
        self.rejects_with("invalid_input", cmd, args, says)
    }

    /// The call fails with `code` and a message containing `says`.
    fn rejects_with(&self, code: &str, cmd: &str, args: Value, says: &str) {
        match self.call(cmd, args.clone()) {
            Ok(v) => panic!("{cmd} {args} was accepted: {v}"),
            Err(e) => {
                assert_eq!(e["code"], code, "{cmd} {args}: {e}");
                let m = e["message"].as_str().unwrap();
                assert!(m.contains(says), "{cmd} {args}: message {m:?} does not say {says:?}");
            }
        }
    }

    fn import_fixture(&self) {
        let files = self.ok("import_paths", json!({ "paths": [fixture("claude-code")] }));
        assert_eq!(files[0]["report"]["added"], 5, "{files}");
    }
}

fn style() -> Value {
    json!({ "theme": "dark", "locale": "en-GB", "width": 640, "height": 360 })
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// A custom budget that covers the fixture's March 2025 and runs past today.
fn custom_budget(name: &str, amount: &str) -> Value {
    json!({
        "name": name, "amount": amount, "unit": "usd", "period": "custom",
        "start": "2025-03-01", "end": (today() + chrono::Duration::days(60)).to_string(),
        "models": ["claude-*"], "thresholds": "50, 90"
    })
}

#[test]
fn a_budget_is_created_edited_shown_with_its_forecast_and_burn_chart_and_deleted() {
    let t = app();
    t.import_fixture();
    assert_eq!(t.ok("budgets", json!({ "style": style() })), json!([]));
    assert_eq!(t.ok("save_budget", json!({ "budget": custom_budget("agents", "1"), "replace": false })), "agents");

    let cards = t.ok("budgets", json!({ "style": style() }));
    let card = &cards[0];
    assert_eq!(card["budget"]["name"], "agents");
    assert_eq!(card["budget"]["amount"], "1");
    assert_eq!(card["budget"]["models"], json!(["claude-*"]));
    assert_eq!(card["budget"]["thresholds"], json!([50, 90]));
    let s = &card["status"];
    // The dashboard's all-time cost counts the same priced events (the glob keeps the
    // fixture's claude models; the unpriced one adds nothing).
    let all = t.ok("dashboard", json!({}));
    let all_cost = all["periods"].as_array().unwrap().iter().find(|p| p["key"] == "all").unwrap()["totals"]["cost_usd"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(tokenburn::money::Usd::parse(s["spent"].as_str().unwrap()), tokenburn::money::Usd::parse(&all_cost));
    assert_eq!(s["period_start"], "2025-03-01");
    assert!(s["share_used"].as_f64().unwrap() > 0.0);
    for k in ["p10", "p50", "p90", "early_estimate", "p_exceed"] {
        assert!(s["forecast"].get(k).is_some(), "forecast lacks {k}: {s}");
    }
    let svg = card["burn_svg"].as_str().unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("agents"), "{}", &svg[..svg.len().min(200)]);

    // A second create of the same name is refused; an edit replaces.
    t.rejects("save_budget", json!({ "budget": custom_budget("agents", "2"), "replace": false }), "exists");
    t.ok("save_budget", json!({ "budget": custom_budget("agents", "2.5"), "replace": true }));
    assert_eq!(t.ok("budgets", json!({ "style": style() }))[0]["budget"]["amount"], "2.5");
    // The CLI sees the same budget in the same file.
    let l = Ledger::open(&t.db).unwrap();
    let b = tokenburn::budget::get(l.conn(), "agents").unwrap().unwrap();
    assert_eq!(b.amount, 2_500_000_000);

    t.ok("remove_budget", json!({ "name": "agents" }));
    assert_eq!(t.ok("budgets", json!({ "style": style() })), json!([]));
    t.rejects("remove_budget", json!({ "name": "agents" }), "no budget named");
}

#[test]
fn a_budget_scoped_to_sources_counts_only_those_agents() {
    let t = app();
    t.import_fixture();
    let files = t.ok("import_paths", json!({ "paths": [fixture("gemini-cli/tmp")] }));
    assert!(files.as_array().unwrap().iter().all(|f| f["report"]["rejected"] == json!([])), "{files}");
    let scoped = |name: &str, sources: Value| {
        let mut b = custom_budget(name, "1000000000");
        b["unit"] = json!("tokens");
        b["models"] = json!([]);
        b["sources"] = sources;
        t.ok("save_budget", json!({ "budget": b, "replace": false }));
    };
    scoped("claude", json!(["claude-code"]));
    scoped("gemini", json!([" gemini-cli ", "gemini-cli"]));
    scoped("both", json!(["claude-code", "gemini-cli"]));
    let cards = t.ok("budgets", json!({ "style": style() }));
    let card = |name: &str| cards.as_array().unwrap().iter().find(|c| c["budget"]["name"] == name).unwrap().clone();
    assert_eq!(card("gemini")["budget"]["sources"], json!(["gemini-cli"]));
    let spent = |name: &str| card(name)["status"]["spent"].as_str().unwrap().parse::<i64>().unwrap();
    // What the CLI's report counts for each source, over the same ledger and days.
    let l = Ledger::open(&t.db).unwrap();
    let tz = l.tz().unwrap();
    let tokens = |source: &str| {
        let filter = tokenburn::report::Filter {
            source: Some(source.into()),
            since: Some("2025-03-01".parse().unwrap()),
            until: Some(today()),
            ..Default::default()
        };
        tokenburn::report::report(&l, tokenburn::report::By::Day, &filter, tz).unwrap().totals.total_tokens
    };
    let (claude, gemini) = (tokens("claude-code"), tokens("gemini-cli"));
    assert!(claude > 0 && gemini > 0, "{claude} {gemini}");
    assert_eq!(spent("claude"), claude);
    assert_eq!(spent("gemini"), gemini);
    assert_eq!(spent("both"), claude + gemini);
    // Stored for the CLI too; an unknown name is refused, naming the known ones.
    assert_eq!(tokenburn::budget::get(l.conn(), "both").unwrap().unwrap().sources, ["claude-code", "gemini-cli"]);
    let mut bad = custom_budget("x", "1");
    bad["sources"] = json!(["gemini"]);
    t.rejects("save_budget", json!({ "budget": bad, "replace": false }), "not a known source");
}

#[test]
fn malformed_budgets_and_chart_styles_are_rejected() {
    let t = app();
    let base = custom_budget("b", "10");
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        json!({ "budget": b, "replace": false })
    };
    t.rejects("save_budget", with("unit", json!("euros")), "unit");
    t.rejects("save_budget", with("period", json!("week")), "period");
    t.rejects("save_budget", with("amount", json!("-5")), "positive");
    t.rejects("save_budget", with("amount", json!("ten")), "amount");
    t.rejects("save_budget", with("amount", json!("")), "amount");
    t.rejects("save_budget", with("start", json!("2026-13-01")), "start");
    t.rejects("save_budget", with("end", json!(null)), "custom period needs");
    t.rejects("save_budget", with("end", json!("2024-01-01")), "before");
    t.rejects("save_budget", with("fiscal_year_start", json!(13)), "1-12");
    t.rejects("save_budget", with("name", json!(" ")), "name is empty");
    t.rejects("save_budget", with("name", json!("x".repeat(201))), "longer than");
    t.rejects("save_budget", with("thresholds", json!("half")), "threshold");
    t.rejects("save_budget", with("thresholds", json!("0")), "out of range");
    t.rejects("save_budget", with("models", json!(vec!["m"; 51])), "at most");
    t.rejects("save_budget", with("providers", json!(["a\nb"])), "control character");
    // A month budget takes no end day.
    let mut month = base.clone();
    month["period"] = json!("month");
    t.rejects("save_budget", json!({ "budget": month, "replace": false }), "only for custom");
    // Editing a budget that does not exist.
    t.rejects("save_budget", json!({ "budget": base, "replace": true }), "no budget named");
    // Serde rejects a wrong type before the command runs.
    assert!(t.call("save_budget", json!({ "budget": { "name": 5 }, "replace": false })).is_err());

    // A size out of range has its own code, which the UI explains as the window's size.
    for (k, v, code, says) in [
        ("theme", json!("purple"), "invalid_input", "light or dark"),
        ("locale", json!("<script>"), "invalid_input", "locale"),
        ("locale", json!(""), "invalid_input", "locale"),
        ("width", json!(10), "chart_size", "out of range"),
        ("height", json!(100000), "chart_size", "out of range"),
    ] {
        let mut s = style();
        s[k] = v;
        t.rejects_with(code, "budgets", json!({ "style": s.clone() }), says);
        t.rejects_with(code, "compensation", json!({ "style": s }), says);
    }
    assert!(t.ok("budgets", json!({ "style": style() })).as_array().unwrap().is_empty(), "nothing was saved");
}

#[test]
fn compensation_is_set_with_history_and_drawn_as_the_ratio_chart() {
    let t = app();
    t.import_fixture();
    let c = t.ok("compensation", json!({ "style": style() }));
    assert!(c["status"].is_null() && c["ratio_svg"].is_null(), "{c}");
    t.ok(
        "set_compensation",
        json!({ "comp": { "annual": "120000", "target_ratio": "0.1", "cap_ratio": null, "from": "2025-01-01" } }),
    );
    let c = t.ok("compensation", json!({ "style": style() }));
    assert_eq!(
        tokenburn::money::Usd::parse(c["status"]["annual_usd"].as_str().unwrap()).unwrap(),
        tokenburn::money::Usd::parse("120000").unwrap()
    );
    assert_eq!(c["status"]["target_ratio"], 0.1);
    assert_eq!(c["history"][0]["from"], "2025-01-01");
    assert!(c["ratio_svg"].as_str().unwrap().starts_with("<svg"));

    for (comp, says) in [
        (json!({ "annual": "-1" }), "positive"),
        (json!({ "annual": "lots" }), "annual pay"),
        (json!({ "annual": "100", "target_ratio": "11" }), "target-ratio"),
        (json!({ "annual": "100", "cap_ratio": "zero" }), "cap-ratio"),
        (json!({ "annual": "100", "from": "2025-02-30" }), "from"),
    ] {
        t.rejects("set_compensation", json!({ "comp": comp }), says);
    }
    assert_eq!(t.ok("compensation", json!({ "style": style() }))["history"].as_array().unwrap().len(), 1);
}

#[test]
fn warnings_name_the_unpriced_model() {
    let t = app();
    assert_eq!(t.ok("dashboard_warnings", json!({})), json!({ "unpriced": [], "reconcile": [] }));
    t.import_fixture();
    let w = t.ok("dashboard_warnings", json!({}));
    assert_eq!(
        w["unpriced"],
        json!([{ "provider": "anthropic", "model": "claude-imaginary-9", "events": 1, "tokens": 200 }]),
        "{w}"
    );
}

#[test]
fn the_token_estimator_counts_as_the_engine_does_and_prices_chosen_models() {
    let t = app();
    let text = "Tokenburn counts tokens: héllo wörld, 12345 and\n\tcode { x += 1; } 日本語";
    let c = t.ok("count_tokens", json!({ "text": text }));
    assert_eq!(c["chars"], text.chars().count());
    assert_eq!(c["bytes"], text.len());
    let by = |e: &str| c["counts"].as_array().unwrap().iter().find(|x| x["encoding"] == e).unwrap()["tokens"].as_u64();
    assert_eq!(by("o200k_base"), Some(tokens::count_reference(Encoding::O200k, text) as u64));
    assert_eq!(by("cl100k_base"), Some(tokens::count_reference(Encoding::Cl100k, text) as u64));

    // The same text from a file.
    let file = t.tmp().join("prompt.txt");
    std::fs::write(&file, text).unwrap();
    let f = t.ok("count_tokens_file", json!({ "path": file }));
    assert_eq!(f["counts"], c["counts"]);
    assert_eq!(f["path"], file.to_string_lossy().as_ref());

    let costs = t.ok("token_costs", json!({ "counts": c["counts"], "models": ["gpt-4o", "no-such-model-xyz"] }));
    let gpt = &costs[0];
    assert_eq!(gpt["model"], "gpt-4o");
    assert_eq!(gpt["encoding"], "o200k_base");
    assert_eq!(gpt["exact_tokenizer"], true);
    assert_eq!(gpt["tokens"], by("o200k_base").unwrap());
    let input = tokenburn::money::Usd::parse(gpt["input_usd"].as_str().unwrap()).unwrap();
    let output = tokenburn::money::Usd::parse(gpt["output_usd"].as_str().unwrap()).unwrap();
    assert!(input.nanos() > 0 && output.nanos() > input.nanos(), "{gpt}");
    assert!(costs[1]["input_usd"].is_null() && costs[1]["source"].is_null(), "unpriced is not free: {}", costs[1]);

    let models = t.ok("price_models", json!({}));
    assert!(models.as_array().unwrap().iter().any(|m| m == "gpt-4o"));

    t.rejects("count_tokens_file", json!({ "path": t.tmp() }), "not a file");
    let binary = t.tmp().join("blob.bin");
    std::fs::write(&binary, [0x66, 0x6f, 0xff, 0xfe]).unwrap();
    t.rejects("count_tokens_file", json!({ "path": binary }), "not UTF-8");
    let missing = t.call("count_tokens_file", json!({ "path": "/nonexistent/x.txt" })).unwrap_err();
    assert_eq!(missing["code"], "io", "{missing}");
    t.rejects("count_tokens", json!({ "text": "x".repeat(16 * 1024 * 1024 + 1) }), "drop the file");
    t.rejects(
        "token_costs",
        json!({ "counts": [{ "encoding": "p50k_base", "tokens": 3 }], "models": ["gpt-4o"] }),
        "encoding",
    );
    t.rejects("token_costs", json!({ "counts": [], "models": ["gpt-4o"] }), "counts");
    t.rejects("token_costs", json!({ "counts": c["counts"], "models": vec!["m"; 51] }), "at most");
}

#[test]
fn the_ledger_pages_filters_and_exports_events() {
    let t = app();
    t.import_fixture();
    // Two pages of 3 + 2, newest first, no overlap.
    let p1 = t.ok("events", json!({ "filter": {}, "limit": 3, "after": null }));
    assert_eq!(p1["rows"].as_array().unwrap().len(), 3);
    assert!(p1["next"].is_object());
    let p2 = t.ok("events", json!({ "filter": {}, "limit": 3, "after": p1["next"] }));
    assert_eq!(p2["rows"].as_array().unwrap().len(), 2);
    assert!(p2["next"].is_null());
    let ts: Vec<i64> = p1["rows"]
        .as_array()
        .unwrap()
        .iter()
        .chain(p2["rows"].as_array().unwrap())
        .map(|r| r["ts_ms"].as_i64().unwrap())
        .collect();
    assert!(ts.windows(2).all(|w| w[0] >= w[1]), "{ts:?}");
    let mut ids: Vec<i64> = p1["rows"]
        .as_array()
        .unwrap()
        .iter()
        .chain(p2["rows"].as_array().unwrap())
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5);

    // By model: what the dashboard's by-model split counts.
    let dash = t.ok("dashboard", json!({}));
    for m in dash["by_model"].as_array().unwrap() {
        let page = t.ok("events", json!({ "filter": { "model": m["key"] }, "limit": 100 }));
        let rows = page["rows"].as_array().unwrap();
        assert_eq!(rows.len() as u64, m["events"].as_u64().unwrap(), "{}", m["key"]);
        assert!(rows.iter().all(|r| r["model"] == m["key"]));
    }
    let unpriced = t.ok("events", json!({ "filter": { "model": "claude-imaginary-9" }, "limit": 10 }));
    assert!(unpriced["rows"][0]["cost_usd"].is_null(), "unpriced is shown as unpriced: {unpriced}");
    // By dates in the ledger's zone: the fixture has events on 29 and 30 March 2025 (UTC).
    t.ok("set_tz", json!({ "tz": "UTC" }));
    let day = |d: &str| {
        t.ok("events", json!({ "filter": { "since": d, "until": d }, "limit": 100 }))["rows"].as_array().unwrap().len()
    };
    assert_eq!(day("2025-03-29") + day("2025-03-30"), 5);
    assert_eq!(day("2025-03-31"), 0);
    let none = t.ok("events", json!({ "filter": { "provider": "openai" }, "limit": 10 }));
    assert!(none["rows"].as_array().unwrap().is_empty());

    for (args, says) in [
        (json!({ "filter": {}, "limit": 0 }), "page size"),
        (json!({ "filter": {}, "limit": 501 }), "page size"),
        (json!({ "filter": { "since": "yesterday" }, "limit": 10 }), "from"),
        (json!({ "filter": { "until": "2025-02-29" }, "limit": 10 }), "to"),
        (json!({ "filter": { "since": "2025-04-01", "until": "2025-03-01" }, "limit": 10 }), "after"),
        (json!({ "filter": { "model": "m".repeat(201) }, "limit": 10 }), "longer than"),
    ] {
        t.rejects("events", args, says);
    }
    assert!(t.call("events", json!({ "filter": {}, "limit": -1 })).is_err(), "a negative page size is not a u32");

    // Export (the part after the save dialog): CSV and JSON of the filtered events.
    let l = Ledger::open(&t.db).unwrap();
    let f = EventFilter { model: Some("claude-sonnet-4-20250514".into()), ..Default::default() };
    let sonnet = dash["by_model"].as_array().unwrap().iter().find(|m| m["key"] == "claude-sonnet-4-20250514").unwrap()
        ["events"]
        .as_u64()
        .unwrap();
    let csv_path = t.tmp().join("events.csv");
    let w = write_events(&l, &csv_path, &f, ExportFormat::Csv).unwrap();
    assert_eq!(w.count, sonnet);
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert!(csv.starts_with("id,ts,ts_ms,day,source,provider"), "{csv}");
    assert_eq!(csv.lines().count() as u64, sonnet + 1);
    let json_path = t.tmp().join("events.json");
    write_events(&l, &json_path, &EventFilter::default(), ExportFormat::Json).unwrap();
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(doc.as_array().unwrap().len(), 5);
    assert!(doc.as_array().unwrap().iter().any(|e| e["model"] == "claude-imaginary-9" && e["cost_usd"].is_null()));
    t.rejects("export_events", json!({ "filter": {}, "format": "xlsx" }), "csv or json");
    t.rejects("export_events", json!({ "filter": { "since": "soon" }, "format": "csv" }), "from");
}

#[test]
fn the_ledger_filters_and_exports_by_source() {
    let t = app();
    t.import_fixture();
    t.ok("import_paths", json!({ "paths": [fixture("gemini-cli/tmp")] }));
    let rows =
        |filter: Value| t.ok("events", json!({ "filter": filter, "limit": 500 }))["rows"].as_array().unwrap().clone();
    let all = rows(json!({}));
    let gemini = rows(json!({ "source": "gemini-cli" }));
    let claude = rows(json!({ "source": " claude-code " }));
    assert_eq!(claude.len(), 5);
    assert!(!gemini.is_empty() && gemini.iter().all(|r| r["source"] == "gemini-cli"), "{gemini:?}");
    assert!(claude.iter().all(|r| r["source"] == "claude-code"));
    assert_eq!(gemini.len() + claude.len(), all.len());
    assert!(rows(json!({ "source": "codex" })).is_empty());
    // With the other filters, as the form sends them.
    let model = gemini[0]["model"].as_str().unwrap();
    let both = rows(json!({ "source": "gemini-cli", "model": model }));
    assert!(!both.is_empty() && both.iter().all(|r| r["model"] == model));
    assert!(rows(json!({ "source": "claude-code", "model": model })).is_empty());
    t.rejects("events", json!({ "filter": { "source": "s".repeat(201) }, "limit": 10 }), "longer than");

    // The export writes what the filter shows.
    let l = Ledger::open(&t.db).unwrap();
    let input: tokenburn_desktop::commands::ledger::FilterInput =
        serde_json::from_value(json!({ "source": "gemini-cli" })).unwrap();
    let path = t.tmp().join("gemini.json");
    let w = write_events(&l, &path, &input.to_filter().unwrap(), ExportFormat::Json).unwrap();
    assert_eq!(w.count as usize, gemini.len());
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let ids = |v: &[Value]| v.iter().map(|r| r["id"].as_i64().unwrap()).collect::<Vec<_>>();
    assert_eq!(ids(doc.as_array().unwrap()), ids(&gemini));
}

#[test]
fn backup_then_restore_into_an_empty_ledger_gives_the_same_events() {
    let t = app();
    t.import_fixture();
    t.ok("save_budget", json!({ "budget": custom_budget("kept", "3"), "replace": false }));
    let l = Ledger::open(&t.db).unwrap();
    let file = t.tmp().join("backup.json");
    assert_eq!(write_backup(&l, &file).unwrap().count, 5);

    let other = t.tmp().join("other.db");
    let l2 = Ledger::open(&other).unwrap();
    read_backup(&l2, &file, false).unwrap();
    let n: i64 = l2.conn().query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 5);
    assert!(tokenburn::budget::get(l2.conn(), "kept").unwrap().is_some());
    // Into a ledger that holds data, without replace: refused, nothing changed.
    let e = read_backup(&l2, &file, false).unwrap_err();
    assert!(!e.message.is_empty(), "{e}");
    let n: i64 = l2.conn().query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 5);
    read_backup(&l2, &file, true).unwrap();
}

#[test]
fn past_imports_are_listed_and_undo_removes_their_events() {
    let t = app();
    assert_eq!(t.ok("imports", json!({ "limit": 50, "offset": 0 })), json!({ "rows": [], "total": 0 }));
    t.import_fixture();
    let p = t.ok("imports", json!({ "limit": 50, "offset": 0 }));
    assert_eq!(p["total"], 1);
    let row = &p["rows"][0];
    assert_eq!(row["format"], "claude-code");
    assert_eq!(row["added"], 5);
    assert_eq!(row["events"], 5);
    let id = row["id"].as_i64().unwrap();

    t.rejects("undo_import", json!({ "id": 0 }), "not valid");
    t.rejects("undo_import", json!({ "id": id + 100 }), "no import");
    t.rejects("imports", json!({ "limit": 0, "offset": 0 }), "page size");

    let out = t.ok("undo_import", json!({ "id": id }));
    assert_eq!(out, json!({ "import_id": id, "removed_events": 5, "kept_events": 0 }));
    let dash = t.ok("dashboard", json!({}));
    let all = &dash["periods"].as_array().unwrap().iter().find(|p| p["key"] == "all").unwrap()["totals"];
    assert_eq!(all["events"], 0);
    assert_eq!(t.ok("imports", json!({ "limit": 50, "offset": 0 }))["total"], 0);
}

#[test]
fn a_budget_saved_without_thresholds_takes_the_default_set_from_settings() {
    let t = app();
    t.ok("set_config", json!({"key": "default_thresholds", "value": "60, 85"}));
    let mut b = custom_budget("defaults", "5");
    b["thresholds"] = json!("");
    t.ok("save_budget", json!({ "budget": b, "replace": false }));
    let cards = t.ok("budgets", json!({ "style": style() }));
    assert_eq!(cards[0]["budget"]["thresholds"], json!([60, 85]));
}
