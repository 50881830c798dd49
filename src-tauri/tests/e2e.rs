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

use support::{fixture, launch, skip, wait_for, Proc};

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

    let _ = s.request("DELETE", "", None);
    let mut out = String::new();
    let _ = std::fs::File::open(&sni_log).and_then(|mut f| f.read_to_string(&mut out));
    eprintln!("e2e: tray log:\n{out}");
}
