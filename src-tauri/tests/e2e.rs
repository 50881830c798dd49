//! End to end: the real app binary in a real window (Xvfb), driven through WebDriver
//! (tauri-driver -> WebKitWebDriver -> the app), with the tray checked over D-Bus.
//! The shared machinery is in `support/`.
//!
//! One test, several steps: one automation session per driver pair.

mod support;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use support::{fixture, launch, skip, wait_for, Proc, Session};

#[test]
fn import_through_the_window_shows_totals_and_the_tray_is_registered() {
    if skip("the desktop end-to-end test") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();

    // The tray host stand-in, on this session bus, before the app starts.
    let sni_log = tmp.path().join("sni.log");
    let watcher = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/sni_watcher.py");
    let _watcher = Proc(
        Command::new("/usr/bin/python3")
            .arg(&watcher)
            .arg(&sni_log)
            .env("SNI_CLICK_LABEL", "Scan now")
            .env("SNI_CLICK_DELAY_MS", "4000")
            .stdin(Stdio::null())
            .spawn()
            .expect("start sni_watcher.py"),
    );
    wait_for("WATCHER_READY", Duration::from_secs(10), || {
        std::fs::read_to_string(&sni_log).ok().filter(|s| s.contains("WATCHER_READY"))
    });

    let app = env!("CARGO_BIN_EXE_tokenburn-desktop");
    let started = Instant::now();
    let (_driver, s) = launch(app, &tmp.path().join("ledger.db"), &home, &[("TOKENBURN_TIMING", "1")]);

    // First paint: the dashboard of an empty ledger.
    s.wait_find(r#"[data-period="all"]"#);
    eprintln!("e2e: dashboard visible {} ms after the session was requested", started.elapsed().as_millis());
    assert_eq!(s.wait_text(r#"[data-period="all"] [data-field="events"]"#, |_| true), "0");

    // A path that does not exist: an error with its code, nothing imported.
    s.click(r#".tab[data-view="import"]"#);
    s.type_into("#import-path", "/nonexistent/tokenburn-e2e");
    s.click("#import-button");
    let err = s.wait_text(r#"#import-results [data-code="io"]"#, |t| !t.is_empty());
    assert!(err.contains("/nonexistent/tokenburn-e2e"), "{err}");

    // The fixture, typed into the Import view's path field.
    s.type_into("#import-path", &fixture("claude-code"));
    s.click("#import-button");
    let status = s.wait_text("#import-status", |t| t.starts_with("Done"));
    assert!(status.contains("1 files"), "{status}");
    let added = s.wait_text(r#"#import-results .file [data-field="added"]"#, |t| !t.is_empty());
    assert_eq!(added, "5 added");

    // The dashboard's all-time totals are the fixture's.
    s.click(r#".tab[data-view="dashboard"]"#);
    let card = r#"[data-period="all"]"#;
    assert_eq!(s.wait_text(&format!("{card} [data-field=\"events\"]"), |t| t == "5"), "5");
    for (field, want) in [
        ("input_tokens", "118"),
        ("output_tokens", "210"),
        ("cache_write_tokens", "400"),
        ("cache_read_tokens", "1,800"),
    ] {
        // Waits rather than reads once: a ledger-changed event (the tray's scan) may
        // re-render the dashboard at any moment, leaving a found element stale.
        s.wait_text(&format!("{card} [data-field=\"{field}\"]"), |t| t == want);
    }
    s.wait_find(r#"tr[data-model="claude-sonnet-4-20250514"]"#);
    s.wait_text("#unpriced-warning", |t| t.starts_with("1 event has no price"));

    // Settings show the ledger we gave through TOKENBURN_DB.
    s.click(r#".tab[data-view="settings"]"#);
    let db = tmp.path().join("ledger.db").to_string_lossy().into_owned();
    wait_for("the ledger path in Settings", Duration::from_secs(20), || {
        let id = s.find("#db-path")?;
        let v = s.request("GET", &format!("/element/{id}/property/value"), None).ok()?;
        (v.as_str() == Some(db.as_str())).then_some(())
    });

    // The tray: registered on the bus, with its menu; the watcher clicked "Scan now",
    // and the scan's result reached the Import view through an event.
    let log = wait_for("the tray menu", Duration::from_secs(20), || {
        std::fs::read_to_string(&sni_log).ok().filter(|s| s.contains("MENU_CLICKED"))
    });
    assert!(log.contains("REGISTERED_ITEM"), "{log}");
    let menu = log.lines().find(|l| l.starts_with("MENU_ITEMS")).unwrap();
    for label in ["This month:", "\"Open\"", "\"Scan now\"", "\"Quit\""] {
        assert!(menu.contains(label), "{label} missing from {menu}");
    }
    s.click(r#".tab[data-view="import"]"#);
    s.wait_text("#scan-results h4", |t| t == "No agent-log folders found");

    views(&s);

    let _ = s.request("DELETE", "", None);
    let mut out = String::new();
    let _ = std::fs::File::open(&sni_log).and_then(|mut f| f.read_to_string(&mut out));
    eprintln!("e2e: tray log:\n{out}");
}

/// Sets a form control's value as a person picking it would (date inputs and selects take
/// no typed text through WebDriver in WebKitGTK), and fires `change`.
fn set_value(s: &Session, css: &str, value: &str) {
    s.wait_find(css);
    let script = "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
                  e.dispatchEvent(new Event('change', { bubbles: true }));";
    s.request("POST", "/execute/sync", Some(json!({ "script": script, "args": [css, value] }))).unwrap();
}

/// How many elements match.
fn count(s: &Session, css: &str) -> usize {
    s.request("POST", "/elements", Some(json!({"using": "css selector", "value": css})))
        .ok()
        .and_then(|v| v.as_array().map(Vec::len))
        .unwrap_or(0)
}

/// The views' steps, on the ledger the first steps filled with the claude-code fixture.
fn views(s: &Session) {
    // Budgets: a custom budget over the fixture's March 2025 through after today, claude models only.
    s.click(r#".tab[data-view="budgets"]"#);
    s.type_into("#budget-name", "e2e agents");
    s.type_into("#budget-amount", "0.01");
    set_value(s, "#budget-period", "custom");
    set_value(s, "#budget-start", "2025-03-01");
    let end = chrono::Utc::now().date_naive() + chrono::Duration::days(90);
    set_value(s, "#budget-end", &end.to_string());
    s.type_into("#budget-models", "claude-*");
    s.click("#budget-save");
    s.wait_text("#budget-status", |t| t == "Created e2e agents.");
    s.wait_find(r#"#budget-list [data-budget="e2e agents"] svg[data-chart="burn"]"#);

    // Its card on the dashboard: spent (the fixture's priced cost), share, run-out, burn chart.
    s.click(r#".tab[data-view="dashboard"]"#);
    let card = r#"#budget-cards [data-budget="e2e agents"]"#;
    s.wait_find(&format!("{card} svg[data-chart=\"burn\"]"));
    let all_cost = s.wait_text(r#"[data-period="all"] [data-field="cost_usd"]"#, |t| !t.is_empty());
    assert_eq!(s.wait_text(&format!("{card} [data-field=\"spent\"]"), |t| !t.is_empty()), all_cost);
    // $0.004194 of $0.01.
    s.wait_text(&format!("{card} [data-field=\"share\"]"), |t| t == "41.9%");
    let p50 = s.wait_text(&format!("{card} [data-field=\"p50\"]"), |t| !t.is_empty());
    let range = s.wait_text(&format!("{card} [data-field=\"range\"]"), |t| !t.is_empty());
    eprintln!("e2e: budget card: spent {all_cost}, runs out {p50}, range {range}");
    // The engine's chart, drawn in the page: its groups and data, its text alternative.
    let chart = s
        .request(
            "POST",
            "/execute/sync",
            Some(json!({ "script": "const e = document.querySelector(arguments[0]); \
                return e && [e.namespaceURI, e.getAttribute('role'), e.getAttribute('aria-label'), \
                e.querySelectorAll('g[class^=\"tb-\"]').length, e.getBoundingClientRect().width];",
                "args": [format!("{card} svg[data-chart=\"burn\"]")] })),
        )
        .unwrap();
    assert_eq!(chart[0], "http://www.w3.org/2000/svg", "{chart}");
    assert_eq!(chart[1], "img", "{chart}");
    assert!(chart[2].as_str().unwrap().contains("e2e agents"), "{chart}");
    assert!(chart[3].as_u64().unwrap() > 0 && chart[4].as_f64().unwrap() > 0.0, "{chart}");
    s.wait_text("#unpriced-models", |t| t.contains("claude-imaginary-9"));
    // Refreshing keeps the warnings and the budget cards on screen until their new content
    // arrives: nothing below them jumps up and back down.
    let script = |js: &str| s.request("POST", "/execute/sync", Some(json!({ "script": js, "args": [] }))).unwrap();
    script(
        "const root = document.getElementById('view-dashboard');
         window.tbGaps = [];
         window.tbWatch = new MutationObserver(() => {
           for (const sel of ['#warnings', '#budget-cards']) if (!root.querySelector(sel)) window.tbGaps.push(sel);
         });
         window.tbWatch.observe(root, { childList: true, subtree: true });
         root.querySelector('.view-head button').click();",
    );
    let gaps = wait_for("the dashboard refreshed", Duration::from_secs(20), || {
        let r = script(
            "const root = document.getElementById('view-dashboard');
             if (root.hasAttribute('aria-busy')) return null;
             window.tbWatch.disconnect();
             return window.tbGaps;",
        );
        (!r.is_null()).then_some(r)
    });
    assert_eq!(gaps, json!([]), "shown again only once their new content arrived");
    s.wait_text("#unpriced-models", |t| t.contains("claude-imaginary-9"));

    // The token estimator counts a pasted text as the engine does.
    let text = "Tokenburn e2e: how many tokens is this sentence, with ünïcödé and code { x += 1; }?";
    // Costs for the default models; gpt-4o is priced.
    let input = support::count_tokens_like_the_engine(s, text);
    eprintln!("e2e: gpt-4o input cost of the text: {input}");

    // The ledger filtered by model: only that model's one event.
    s.click(r#".tab[data-view="ledger"]"#);
    s.wait_text("#ledger-status", |t| t.starts_with("5 events"));
    s.type_into("#ledger-model", "claude-imaginary-9");
    s.click("#ledger-apply");
    s.wait_text("#ledger-status", |t| t.starts_with("1 events"));
    wait_for("only the filtered model's rows", Duration::from_secs(20), || {
        (count(s, "#ledger-events tbody tr") == 1
            && count(s, r#"#ledger-events tr[data-model="claude-imaginary-9"]"#) == 1)
            .then_some(())
    });

    // Undo the import: its events leave the ledger and the dashboard.
    s.click(r#".tab[data-view="import"]"#);
    let undo = r#"#imports-list tr[data-import] [data-action="undo"]"#;
    // Opening the view reloads the list, so a button found early may be replaced: retry.
    wait_for("the undo button armed", Duration::from_secs(20), || {
        let id = s.find(undo)?;
        s.request("POST", &format!("/element/{id}/click"), Some(json!({}))).ok()?;
        (s.text(undo)? == "Really undo?").then_some(())
    });
    s.click(undo);
    s.wait_text("#imports-status", |t| t.contains("undone: 5 events removed"));
    s.click(r#".tab[data-view="dashboard"]"#);
    s.wait_text(r#"[data-period="all"] [data-field="events"]"#, |t| t == "0");
}

/// The README's screenshots: the real window on a ledger of synthetic agent logs (the last
/// 75 days of two projects), with budgets and pay, taken through WebDriver's screenshot
/// endpoint. Regenerate with `scripts/screenshots` (writes docs/screenshots/*.png).
#[test]
#[ignore = "writes docs/screenshots; run by scripts/screenshots"]
fn screenshots() {
    if skip("the screenshots") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let logs = tmp.path().join("logs");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&logs).unwrap();
    let today = chrono::Utc::now().date_naive();
    for (project, model, share) in [
        ("/home/dev/webshop", "claude-sonnet-4-20250514", 1.0),
        ("/home/dev/compiler", "claude-opus-4-1-20250805", 0.25),
    ] {
        let name = project.rsplit('/').next().unwrap();
        std::fs::write(logs.join(format!("{name}.jsonl")), synthetic_log(project, model, share, today)).unwrap();
    }
    let db = tmp.path().join("ledger.db");
    {
        let mut l = tokenburn::ledger::Ledger::open(&db).unwrap();
        l.set_tz(chrono_tz::UTC).unwrap();
        for r in tokenburn::import::import_paths(&mut l, std::slice::from_ref(&logs), None, false, |_| {}).unwrap() {
            r.unwrap();
        }
        let budget = |name: &str, amount: i64, period, models: &[&str]| tokenburn::budget::Budget {
            name: name.into(),
            amount: amount * 1_000_000_000,
            unit: tokenburn::budget::Unit::Usd,
            period,
            start: None,
            end: None,
            fiscal_year_start: 1,
            providers: vec![],
            models: models.iter().map(|m| m.to_string()).collect(),
            projects: vec![],
            thresholds: vec![50, 75, 90, 100],
            sources: vec![],
        };
        let month = budget("Claude, monthly", 450, tokenburn::period::Kind::Month, &[]);
        let opus = budget("Opus experiments", 600, tokenburn::period::Kind::Quarter, &["claude-opus-*"]);
        let comp = tokenburn::ratio::Comp {
            from: today - chrono::Duration::days(400),
            annual: tokenburn::money::Usd::parse("180000").unwrap(),
            currency: "USD".into(),
            target_ratio: Some("0.05".into()),
            cap_ratio: Some("0.15".into()),
        };
        l.write(|tx, _| {
            tokenburn::budget::save(tx, &month, false)?;
            tokenburn::budget::save(tx, &opus, false)?;
            tokenburn::ratio::set(tx, &comp)
        })
        .unwrap();
    }

    let app = env!("CARGO_BIN_EXE_tokenburn-desktop");
    // TOKENBURN_SHOTS_THEME=dark: the dashboard in dark (WebKitGTK takes prefers-color-scheme
    // from the GTK theme). A separate run: the app stays in the tray after its session ends,
    // and a second start in the same session bus would hand over to it (single instance).
    let dark = std::env::var("TOKENBURN_SHOTS_THEME").as_deref() == Ok("dark");
    let env: &[(&str, &str)] = if dark { &[("GTK_THEME", "Adwaita:dark")] } else { &[] };
    let (_driver, s) = launch(app, &db, &home, env);
    s.request("POST", "/window/rect", Some(json!({ "width": 1200, "height": 900 }))).ok();
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
    std::fs::create_dir_all(&out).unwrap();
    let shot = |name: &str| {
        // Let images decode and layout settle.
        std::thread::sleep(Duration::from_millis(800));
        let b64 = s.request("GET", "/screenshot", None).unwrap();
        let b64 = b64.as_str().unwrap();
        let tmp_b64 = tmp.path().join("shot.b64");
        std::fs::write(&tmp_b64, b64).unwrap();
        let png = Command::new("base64").arg("-d").arg(&tmp_b64).output().expect("base64 -d");
        assert!(png.status.success() && png.stdout.starts_with(b"\x89PNG"), "not a PNG");
        std::fs::write(out.join(name), &png.stdout).unwrap();
        eprintln!("screenshots: wrote docs/screenshots/{name} ({} bytes)", png.stdout.len());
    };

    s.wait_find(r#"#budget-cards [data-budget="Claude, monthly"] svg[data-chart="burn"]"#);
    if dark {
        shot("dashboard-budgets-dark.png");
        return;
    }
    shot("dashboard-budgets.png");

    s.click(r#".tab[data-view="budgets"]"#);
    s.wait_find(r##"#comp-view svg[data-chart="ratio"]"##);
    shot("budgets.png");

    s.click(r#".tab[data-view="tokens"]"#);
    set_value(
        &s,
        "#tokens-text",
        "You are a careful code reviewer. Read the diff below and list every behaviour change, \
         each with the file and line, and say which tests cover it.\n\nfn total(xs: &[i64]) -> i64 { xs.iter().sum() }\n",
    );
    s.click("#tokens-count");
    // The first count builds the encodings' tables: slow in a debug build on a busy machine.
    wait_for("the token costs", Duration::from_secs(120), || s.find(r#"#tokens-costs tr[data-model="gpt-4o"]"#));
    shot("tokens.png");

    s.click(r#".tab[data-view="ledger"]"#);
    s.type_into("#ledger-model", "claude-opus-4-1-20250805");
    s.click("#ledger-apply");
    s.wait_text("#ledger-status", |t| t.starts_with("100 events"));
    shot("ledger.png");
    let _ = s.request("DELETE", "", None);
}

/// A Claude Code transcript: about `share` x 30 responses a day over the 75 days through
/// `today`, growing, with a weekly rhythm, deterministic.
fn synthetic_log(project: &str, model: &str, share: f64, today: chrono::NaiveDate) -> String {
    let mut out = String::new();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d ^ project.len() as u64;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % 10_000) as f64 / 10_000.0
    };
    let session = format!("{:08x}-0000-4000-8000-000000000000", project.len());
    for back in (0..75).rev() {
        let day = today - chrono::Duration::days(back);
        let weekend = matches!(chrono::Datelike::weekday(&day), chrono::Weekday::Sat | chrono::Weekday::Sun);
        let growth = 1.0 + (75 - back) as f64 / 60.0;
        let n = ((if weekend { 8.0 } else { 30.0 }) * share * growth * (0.7 + 0.6 * rand())) as i64;
        for i in 0..n {
            let ts = day.and_hms_opt(8 + (i * 10 / n.max(1)) as u32, (i % 60) as u32, 0).unwrap().and_utc();
            let id = format!("msg_{}_{}_{}", project.len(), day, i);
            let (input, output) = ((800.0 + 4000.0 * rand()) as i64, (300.0 + 2500.0 * rand()) as i64);
            let (cache_write, cache_read) = ((2000.0 + 20000.0 * rand()) as i64, (20000.0 + 150000.0 * rand()) as i64);
            out += &json!({
                "parentUuid": "p", "isSidechain": false, "userType": "external", "cwd": project,
                "sessionId": session, "version": "1.0.98", "type": "assistant", "uuid": format!("u-{id}"),
                "timestamp": ts.to_rfc3339_opts(chrono::SecondsFormat::Millis, true), "requestId": format!("req_{id}"),
                "message": { "id": id, "type": "message", "role": "assistant", "model": model,
                    "content": [{ "type": "text", "text": "ok" }],
                    "usage": { "input_tokens": input, "cache_creation_input_tokens": cache_write,
                        "cache_read_input_tokens": cache_read, "output_tokens": output,
                        "cache_creation": { "ephemeral_5m_input_tokens": cache_write, "ephemeral_1h_input_tokens": 0 } } }
            })
            .to_string();
            out.push('\n');
        }
    }
    out
}
