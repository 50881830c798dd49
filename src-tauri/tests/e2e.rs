//! End to end: the real app binary in a real window (Xvfb), driven through WebDriver
//! (tauri-driver -> WebKitWebDriver -> the app), with the tray checked over D-Bus.
//!
//! Needs a display, a session bus, `tauri-driver` on PATH and `/usr/bin/WebKitWebDriver`;
//! `scripts/test` provides all of them (`xvfb-run ... dbus-run-session`). Without them the
//! test prints why and passes, unless `TOKENBURN_E2E=1` says they must be there.
//!
//! One test, several steps: one automation session per driver pair.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const WEBKIT_DRIVER: &str = "/usr/bin/WebKitWebDriver";

/// A child process stopped politely on drop (tauri-driver stops WebKitWebDriver on SIGTERM).
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn on_path(bin: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(bin)).find(|p| p.is_file())
}

/// Why the end-to-end test cannot run here, if it cannot.
fn missing() -> Option<String> {
    if std::env::var_os("DISPLAY").is_none() {
        return Some("no DISPLAY (run under xvfb-run, as scripts/test does)".into());
    }
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        return Some("no session bus (run inside dbus-run-session, as scripts/test does)".into());
    }
    if on_path("tauri-driver").is_none() {
        return Some("tauri-driver is not on PATH (cargo install tauri-driver --locked --version ^2)".into());
    }
    if !Path::new(WEBKIT_DRIVER).is_file() {
        return Some(format!("{WEBKIT_DRIVER} is missing (apt-get install webkit2gtk-driver)"));
    }
    None
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A W3C WebDriver session over plain HTTP.
struct Session {
    agent: ureq::Agent,
    base: String,
}

impl Session {
    fn request(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = format!("{}{}", self.base, path);
        let resp = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, b) => self.agent.post(&url).send_json(b.unwrap_or_else(|| json!({}))),
        };
        let mut resp = resp.map_err(|e| format!("{method} {path}: {e}"))?;
        let status = resp.status();
        let v: Value = resp.body_mut().read_json().map_err(|e| format!("{method} {path}: {e}"))?;
        if status.is_success() {
            Ok(v["value"].clone())
        } else {
            Err(format!("{method} {path}: {status}: {}", v["value"]))
        }
    }

    fn find(&self, css: &str) -> Option<String> {
        let v = self.request("POST", "/element", Some(json!({"using": "css selector", "value": css}))).ok()?;
        v[ELEMENT].as_str().map(str::to_string)
    }

    fn wait_find(&self, css: &str) -> String {
        wait_for(css, Duration::from_secs(20), || self.find(css))
    }

    fn text(&self, css: &str) -> Option<String> {
        let id = self.find(css)?;
        self.request("GET", &format!("/element/{id}/text"), None).ok()?.as_str().map(str::to_string)
    }

    /// Waits until the element's text satisfies `ok`, and returns it.
    fn wait_text(&self, css: &str, ok: impl Fn(&str) -> bool) -> String {
        let mut last = None;
        let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            wait_for(css, Duration::from_secs(20), || {
                let t = self.text(css);
                last = t.clone();
                t.filter(|t| ok(t))
            })
        }));
        found.unwrap_or_else(|_| panic!("{css}: text never matched; last seen {last:?}"))
    }

    fn click(&self, css: &str) {
        let id = self.wait_find(css);
        self.request("POST", &format!("/element/{id}/click"), Some(json!({}))).unwrap();
    }

    fn type_into(&self, css: &str, text: &str) {
        let id = self.wait_find(css);
        self.request("POST", &format!("/element/{id}/clear"), Some(json!({}))).unwrap();
        self.request("POST", &format!("/element/{id}/value"), Some(json!({"text": text}))).unwrap();
    }
}

fn fixture(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(rel);
    p.canonicalize().unwrap().to_string_lossy().into_owned()
}

#[test]
fn import_through_the_window_shows_totals_and_the_tray_is_registered() {
    if let Some(why) = missing() {
        assert!(std::env::var("TOKENBURN_E2E").as_deref() != Ok("1"), "TOKENBURN_E2E=1 but {why}");
        eprintln!("skipping the desktop end-to-end test: {why}");
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

    // The driver pair on ports of our own; the app inherits this environment.
    let (port, native) = (free_port(), free_port());
    let _driver = Proc(
        Command::new("tauri-driver")
            .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
            .args(["--native-driver", WEBKIT_DRIVER])
            .env("TOKENBURN_DB", tmp.path().join("ledger.db"))
            .env("HOME", &home)
            .env_remove("CLAUDE_CONFIG_DIR")
            .env_remove("CODEX_HOME")
            .env("LANG", "en_US.UTF-8")
            .env("TOKENBURN_TIMING", "1")
            .stdin(Stdio::null())
            .spawn()
            .expect("start tauri-driver"),
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let root = format!("http://127.0.0.1:{port}");
    wait_for("tauri-driver", Duration::from_secs(20), || agent.get(format!("{root}/status")).call().ok());

    let app = env!("CARGO_BIN_EXE_tokenburn-desktop");
    let caps = json!({"browserName": "wry", "tauri:options": {"application": app, "args": []}});
    let started = Instant::now();
    let mut resp = agent
        .post(format!("{root}/session"))
        .send_json(json!({"capabilities": {"alwaysMatch": caps}, "desiredCapabilities": caps}))
        .expect("new session");
    let v: Value = resp.body_mut().read_json().unwrap();
    let id = v["value"]["sessionId"].as_str().or(v["sessionId"].as_str()).unwrap_or_else(|| panic!("no session: {v}"));
    let s = Session { agent: agent.clone(), base: format!("{root}/session/{id}") };

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
