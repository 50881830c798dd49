//! Window-less tests of the live side and the Settings commands, on Tauri's mock runtime
//! and real temporary ledgers: the live worker imports agent-log lines written into a
//! watched folder, notices a write by another connection (as the CLI's), fires each alert
//! once (thresholds and the compensation ratio; also across a restart), and the settings the app writes are the ones the engine
//! (and so the CLI) reads.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tauri::Listener;
use tokenburn::budget::{self, Budget, Unit};
use tokenburn::ledger::Ledger;
use tokenburn::period::Kind;

mod mock;
use mock::{app_on, TestApp};

impl TestApp {
    fn err(&self, cmd: &str, args: Value) -> (String, String) {
        let e = self.call(cmd, args.clone()).map(|v| panic!("{cmd} {args} succeeded: {v}")).unwrap_err();
        match e.as_str() {
            // An argument Tauri could not deserialize: a bare string, which api.js turns
            // into {code: "app", message}.
            Some(text) => ("app".into(), text.into()),
            None => (e["code"].as_str().unwrap().to_string(), e["message"].as_str().unwrap().to_string()),
        }
    }

    /// Records the payloads of `event` as they are emitted.
    fn record(&self, event: &str) -> Arc<Mutex<Vec<Value>>> {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        self.app.listen_any(event, move |e| {
            sink.lock().unwrap().push(serde_json::from_str(e.payload()).unwrap_or(Value::Null));
        });
        seen
    }
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(rel)
}

fn wait_until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn add_budget(db: &Path, thresholds: Vec<u32>) {
    let mut l = Ledger::open(db).unwrap();
    let b = Budget {
        name: "Q4 API".into(),
        amount: Unit::Usd.parse_amount("0.008").unwrap(),
        unit: Unit::Usd,
        period: Kind::Custom,
        start: "2025-01-01".parse().ok(),
        end: "2027-12-31".parse().ok(),
        fiscal_year_start: 1,
        providers: vec![],
        models: vec![],
        projects: vec![],
        thresholds,
        sources: vec![],
    };
    l.write(|tx, _| budget::save(tx, &b, false)).unwrap();
}

/// Alerts seen in `alert-fired` payloads, as "subject kind level".
fn fired(seen: &Arc<Mutex<Vec<Value>>>) -> Vec<String> {
    let seen = seen.lock().unwrap();
    seen.iter()
        .flat_map(|p| p.as_array().cloned().unwrap_or_default())
        .map(|a| format!("{} {} {}", a["subject"].as_str().unwrap(), a["kind"].as_str().unwrap(), a["level"]))
        .collect()
}

#[test]
fn the_worker_imports_new_log_lines_sees_other_writers_and_fires_each_alert_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.db");
    let claude = dir.path().join("claude");
    std::fs::create_dir_all(claude.join("projects")).unwrap();
    // The only test in this file that scans: Roots::standard() reads these.
    std::env::set_var("CLAUDE_CONFIG_DIR", &claude);
    std::env::set_var("CODEX_HOME", dir.path().join("no-codex"));
    add_budget(&db, vec![50, 100]);

    let t = app_on(&db);
    let alerts = t.record("alert-fired");
    let changes = t.record("ledger-changed");
    tokenburn_desktop::live::start(t.app.handle()).unwrap();
    // The first job (catch-up scan and evaluation) tells the UI once it is done.
    wait_until("the first refresh", || (!changes.lock().unwrap().is_empty()).then_some(()));
    assert!(fired(&alerts).is_empty());

    // A Claude Code session appears in the watched folder: imported by the app itself.
    let project = claude.join("projects/-home-dev-demo");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::copy(fixture("claude-code/projects/-home-dev-demo/session-a.jsonl"), project.join("s.jsonl")).unwrap();
    wait_until("the 50% alert", || (fired(&alerts) == ["budget:Q4 API threshold 50"]).then_some(()));
    let events: i64 =
        Ledger::open(&db).unwrap().conn().query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0)).unwrap();
    assert_eq!(events, 5);

    // Another connection (as the CLI) imports: the app notices through the ledger's folder.
    let before = changes.lock().unwrap().len();
    let mut other = Ledger::open(&db).unwrap();
    tokenburn::import::import_paths(&mut other, &[fixture("codex")], None, false, |_| {}).unwrap();
    drop(other);
    wait_until("the 100% alert", || (fired(&alerts).len() == 2).then_some(()));
    assert_eq!(fired(&alerts)[1], "budget:Q4 API threshold 100");
    wait_until("ledger-changed after the outside import", || (changes.lock().unwrap().len() > before).then_some(()));

    // Pay with a target ratio, set by another connection: spend this year is heading under
    // the target (the fixtures are from 2025), a compensation alert.
    let other = Ledger::open(&db).unwrap();
    let comp = tokenburn::ratio::Comp {
        from: "2025-01-01".parse().unwrap(),
        annual: tokenburn::money::Usd::parse("100000").unwrap(),
        currency: "USD".into(),
        target_ratio: Some("0.1".into()),
        cap_ratio: None,
    };
    tokenburn::ratio::set(other.conn(), &comp).unwrap();
    drop(other);
    wait_until("the compensation alert", || (fired(&alerts).len() == 3).then_some(()));
    assert_eq!(fired(&alerts)[2], "comp under_target 0");

    // The session file grows by lines already imported (a resumed session repeats them):
    // scanned, nothing new, nothing fires again.
    let again = std::fs::read(fixture("claude-code/projects/-home-dev-demo/session-a.jsonl")).unwrap();
    let mut file = std::fs::OpenOptions::new().append(true).open(project.join("s.jsonl")).unwrap();
    std::io::Write::write_all(&mut file, &again).unwrap();
    drop(file);
    std::thread::sleep(Duration::from_millis(2500));
    let events: i64 =
        Ledger::open(&db).unwrap().conn().query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0)).unwrap();
    assert_eq!(events, 9, "5 + 4 from codex, none from the repeated lines");
    assert_eq!(fired(&alerts).len(), 3);

    // A restart (a second app on the same ledger) repeats nothing.
    let t2 = app_on(&db);
    let alerts2 = t2.record("alert-fired");
    let changes2 = t2.record("ledger-changed");
    tokenburn_desktop::live::start(t2.app.handle()).unwrap();
    wait_until("the restarted app's first refresh", || (!changes2.lock().unwrap().is_empty()).then_some(()));
    assert!(fired(&alerts2).is_empty(), "{:?}", fired(&alerts2));
    let stored: i64 =
        Ledger::open(&db).unwrap().conn().query_row("SELECT COUNT(*) FROM alerts", [], |r| r.get(0)).unwrap();
    assert_eq!(stored, 3);
}

#[test]
fn settings_are_the_ledgers_shared_with_the_cli_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let t = app_on(&dir.path().join("ledger.db"));
    let s = t.ok("settings", json!({}));
    assert_eq!(s["fiscal_year_start"], 1);
    assert_eq!(s["default_thresholds"], json!([50, 75, 90, 100]));
    assert_eq!(s["notifications"], true);
    assert_eq!(s["autostart"], Value::Null, "no autostart plugin in the mock app");

    let s = t.ok("set_config", json!({"key": "fiscal_year_start", "value": "4"}));
    assert_eq!(s["fiscal_year_start"], 4);
    let s = t.ok("set_config", json!({"key": "default_thresholds", "value": "80, 60"}));
    assert_eq!(s["default_thresholds"], json!([60, 80]));
    let s = t.ok("set_config", json!({"key": "notifications", "value": "off"}));
    assert_eq!(s["notifications"], false);
    // What the engine, and so the CLI, reads.
    let c = tokenburn::config::get(&Ledger::open(&t.db).unwrap()).unwrap();
    assert_eq!((c.fiscal_year_start, c.default_thresholds, c.notifications), (4, vec![60, 80], false));

    for (key, value, says) in [
        ("fiscal_year_start", "13", "1-12"),
        ("fiscal_year_start", "April", "1-12"),
        ("default_thresholds", "", "at least one"),
        ("default_thresholds", "0,50", "out of range"),
        ("default_thresholds", "half", "not a whole percentage"),
        ("notifications", "loud", "on or off"),
        ("colour", "red", "unknown setting"),
    ] {
        let (code, message) = t.err("set_config", json!({"key": key, "value": value}));
        assert_eq!(code, "invalid_input", "{key}={value}");
        assert!(message.contains(says), "{key}={value}: {message}");
    }
    assert_eq!(t.ok("settings", json!({}))["fiscal_year_start"], 4, "a refused value changes nothing");
    let (code, _) = t.err("set_config", json!({"key": "notifications"}));
    assert_eq!(code, "app", "a missing argument is refused by the IPC layer");
    let (code, _) = t.err("set_autostart", json!({"on": true}));
    assert_eq!(code, "unsupported");
}

#[test]
fn price_overrides_are_listed_added_and_removed_and_reprice_events() {
    let dir = tempfile::tempdir().unwrap();
    let t = app_on(&dir.path().join("ledger.db"));
    t.ok("import_paths", json!({ "paths": [fixture("claude-code")] }));
    let cost = |t: &TestApp| {
        let dash = t.ok("dashboard", json!({}));
        let all = dash["periods"].as_array().unwrap().iter().find(|p| p["key"] == "all").unwrap().clone();
        (all["totals"]["cost_usd"].as_str().unwrap().to_string(), all["totals"]["unpriced_events"].as_i64().unwrap())
    };
    let (_, unpriced) = cost(&t);
    assert_eq!(unpriced, 1);
    assert_eq!(t.ok("price_overrides", json!({})), json!([]));

    // The fixture's unpriced model gets a price: its event is priced now.
    let model = Ledger::open(&t.db)
        .unwrap()
        .conn()
        .query_row("SELECT model FROM events WHERE cost_nanos IS NULL", [], |r| r.get::<_, String>(0))
        .unwrap();
    let list = t.ok("set_price_override", json!({"price": {"model": model, "input": "1", "output": "2"}}));
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["model"], model.as_str());
    assert_eq!(list[0]["from"], Value::Null);
    assert_eq!((list[0]["input"].as_str(), list[0]["output"].as_str()), (Some("1"), Some("2")));
    assert_eq!(cost(&t).1, 0, "re-priced");

    for (price, says) in [
        (json!({"model": " ", "input": "1", "output": "2"}), "model name"),
        (json!({"model": "m", "input": "one", "output": "2"}), "input"),
        (json!({"model": "m", "input": "1", "output": "-2"}), "output"),
        (json!({"model": "m", "input": "1", "output": "2", "from": "2025-13-01"}), "YYYY-MM-DD"),
    ] {
        let (code, message) = t.err("set_price_override", json!({ "price": price }));
        assert_eq!(code, "invalid_input", "{price}: {message}");
        assert!(message.contains(says), "{price}: {message}");
    }
    assert_eq!(t.ok("price_overrides", json!({})).as_array().unwrap().len(), 1);

    let (code, message) = t.err("remove_price_override", json!({"model": model, "from": "2025-01-01"}));
    assert_eq!(code, "not_found", "{message}");
    assert_eq!(t.ok("remove_price_override", json!({"model": model})), json!([]));
    assert_eq!(cost(&t).1, 1, "unpriced again once its price is gone");
}
