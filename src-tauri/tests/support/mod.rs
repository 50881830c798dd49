//! What the end-to-end tests share: the driver pair, a W3C WebDriver session, waiting.
//!
//! Needs a display, a session bus, `tauri-driver` on PATH and `/usr/bin/WebKitWebDriver`;
//! `scripts/test` provides all of them (`xvfb-run ... dbus-run-session`). Without them a
//! test prints why and passes ([`skip`]), unless `TOKENBURN_E2E=1` says they must be there.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
pub const WEBKIT_DRIVER: &str = "/usr/bin/WebKitWebDriver";

/// A child process stopped politely on drop (tauri-driver stops WebKitWebDriver on SIGTERM).
pub struct Proc(pub Child);

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

pub fn on_path(bin: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(bin)).find(|p| p.is_file())
}

/// Why the end-to-end test cannot run here, if it cannot.
pub fn missing() -> Option<String> {
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

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
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
pub struct Session {
    pub agent: ureq::Agent,
    pub base: String,
}

impl Session {
    pub fn request(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
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

    pub fn find(&self, css: &str) -> Option<String> {
        let v = self.request("POST", "/element", Some(json!({"using": "css selector", "value": css}))).ok()?;
        v[ELEMENT].as_str().map(str::to_string)
    }

    pub fn wait_find(&self, css: &str) -> String {
        wait_for(css, Duration::from_secs(20), || self.find(css))
    }

    pub fn text(&self, css: &str) -> Option<String> {
        let id = self.find(css)?;
        self.request("GET", &format!("/element/{id}/text"), None).ok()?.as_str().map(str::to_string)
    }

    /// Waits until the element's text satisfies `ok`, and returns it.
    pub fn wait_text(&self, css: &str, ok: impl Fn(&str) -> bool) -> String {
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

    pub fn click(&self, css: &str) {
        let id = self.wait_find(css);
        self.request("POST", &format!("/element/{id}/click"), Some(json!({}))).unwrap();
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.wait_find(css);
        self.request("POST", &format!("/element/{id}/clear"), Some(json!({}))).unwrap();
        self.request("POST", &format!("/element/{id}/value"), Some(json!({"text": text}))).unwrap();
    }
}

pub fn fixture(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(rel);
    p.canonicalize().unwrap().to_string_lossy().into_owned()
}

/// True when the test should stop here (and says why); fails instead under `TOKENBURN_E2E=1`.
pub fn skip(what: &str) -> bool {
    let Some(why) = missing() else { return false };
    assert!(std::env::var("TOKENBURN_E2E").as_deref() != Ok("1"), "TOKENBURN_E2E=1 but {why}");
    eprintln!("skipping {what}: {why}");
    true
}

/// Starts tauri-driver (which the app inherits its environment from) with a ledger at
/// `db` and `HOME` at `home`, plus `env`, and opens a session on the real app binary.
/// Keep the returned [`Proc`] alive for as long as the session is used.
pub fn launch(app: &str, db: &Path, home: &Path, env: &[(&str, &str)]) -> (Proc, Session) {
    no_app_running(app);
    let (port, native) = (free_port(), free_port());
    let mut cmd = Command::new("tauri-driver");
    cmd.args(["--port", &port.to_string(), "--native-port", &native.to_string()])
        .args(["--native-driver", WEBKIT_DRIVER])
        .env("TOKENBURN_DB", db)
        .env("HOME", home)
        .env_remove("CLAUDE_CONFIG_DIR")
        .env_remove("CODEX_HOME")
        .env("LANG", "en_US.UTF-8")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let driver = Proc(cmd.spawn().expect("start tauri-driver"));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let root = format!("http://127.0.0.1:{port}");
    wait_for("tauri-driver", Duration::from_secs(20), || agent.get(format!("{root}/status")).call().ok());

    let caps = json!({"browserName": "wry", "tauri:options": {"application": app, "args": []}});
    let mut resp = agent
        .post(format!("{root}/session"))
        .send_json(json!({"capabilities": {"alwaysMatch": caps}, "desiredCapabilities": caps}))
        .expect("new session");
    let v: Value = resp.body_mut().read_json().unwrap();
    let id = v["value"]["sessionId"].as_str().or(v["sessionId"].as_str()).unwrap_or_else(|| panic!("no session: {v}"));
    let session = Session { agent: agent.clone(), base: format!("{root}/session/{id}") };
    (driver, session)
}

/// Processes running the binary `app`.
fn app_processes(app: &str) -> Vec<i32> {
    let want = Path::new(app).canonicalize().unwrap_or_else(|_| PathBuf::from(app));
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == want))
        .collect()
}

/// Waits for an app a previous test started to exit (it stays in the tray, and single
/// instance would hand a new launch over to it), and kills it if it lingers.
fn no_app_running(app: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !app_processes(app).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    for pid in app_processes(app) {
        eprintln!("e2e: killing a leftover {app} (pid {pid})");
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    while !app_processes(app).is_empty() && Instant::now() < deadline + Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The token estimator view: counts `text` as the engine does in both encodings, and prices
/// it for gpt-4o (the default models); returns gpt-4o's input cost as shown.
pub fn count_tokens_like_the_engine(s: &Session, text: &str) -> String {
    s.click(r#".tab[data-view="tokens"]"#);
    s.type_into("#tokens-text", text);
    s.click("#tokens-count");
    wait_for("the first count", Duration::from_secs(120), || {
        s.text("#tokens-status").filter(|t| t.starts_with("Counted")).map(|_| ())
    });
    for (enc, name) in
        [(tokenburn::tokens::Encoding::O200k, "o200k_base"), (tokenburn::tokens::Encoding::Cl100k, "cl100k_base")]
    {
        let want = tokenburn::tokens::count(enc, text).to_string();
        s.wait_text(&format!("#tokens-result [data-encoding=\"{name}\"]"), |t| t == want);
    }
    s.wait_text(r#"#tokens-costs tr[data-model="gpt-4o"] [data-field="input"]"#, |t| t.starts_with('$'))
}
