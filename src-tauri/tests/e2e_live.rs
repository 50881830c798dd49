//! End to end, the live side: the real app binary in a real window (Xvfb) on a private
//! session bus, with stand-ins for the desktop's notification server
//! (`e2e/notify_server.py`, which logs every `Notify` call) and tray host
//! (`e2e/sni_watcher.py`, which logs the tray item's icon and menu whenever they change).
//!
//! One test, in order: a budget made with the CLI; agent-log lines appear in a watched folder
//! and the app imports them by itself, crosses 50% and notifies; the CLI imports while the
//! app runs and the dashboard shows it without a restart, the budget goes over, the tray
//! turns red; the window's size survives a restart, and the restart repeats no notification.
//! Needs what `support` needs plus python3-dbus; run with
//! `xvfb-run -a dbus-run-session -- env TOKENBURN_E2E=1 cargo test -p tokenburn-desktop --test e2e_live`.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use support::{fixture, launch, skip, wait_for, Proc, Session};

const BUDGET: &str = "Q4 API";

/// The `tokenburn` CLI binary of this workspace, built if needed (it belongs to the root
/// package, so cargo does not build it for this package's tests).
fn cli_binary() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let st = Command::new(cargo)
        .args(["build", "--quiet", "-p", "tokenburn", "--bin", "tokenburn"])
        .current_dir(&root)
        .status()
        .expect("run cargo build for the CLI");
    assert!(st.success(), "building the tokenburn CLI failed");
    // This test runs from target/<profile>/deps/; the CLI sits in target/<profile>/.
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().and_then(Path::parent).unwrap().join("tokenburn");
    assert!(bin.is_file(), "{} missing", bin.display());
    bin
}

fn cli(bin: &Path, db: &Path, args: &[&str]) -> String {
    let out = Command::new(bin).args(args).env("TOKENBURN_DB", db).env("TZ", "UTC").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "tokenburn {args:?} failed: {}{text}", String::from_utf8_lossy(&out.stderr));
    text
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// The Notify calls logged so far, as (summary, body).
fn notifications(log: &Path) -> Vec<(String, String)> {
    read(log)
        .lines()
        .filter_map(|l| l.strip_prefix("NOTIFY "))
        .map(|j| serde_json::from_str::<Value>(j).unwrap())
        .map(|v| (v["summary"].as_str().unwrap().to_string(), v["body"].as_str().unwrap().to_string()))
        .collect()
}

/// The tray's state as last logged: its menu's labels, and the icon copy logged after them.
fn tray_state(log: &Path) -> Option<(Vec<String>, Option<PathBuf>)> {
    let text = read(log);
    let (mut menu, mut icon) = (None, None);
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("ICON_COPY ") {
            icon = Some(PathBuf::from(rest));
        }
        if let Some(rest) = line.strip_prefix("MENU_ITEMS ") {
            let labels = rest.rsplit_once(" ids=").map_or(rest, |(l, _)| l);
            menu = Some(serde_json::from_str::<Vec<String>>(labels).unwrap());
        }
    }
    menu.map(|m| (m, icon))
}

/// The average colour of an icon's opaque, non-white pixels (the disc, not the glyph).
fn disc_colour(png_path: &Path) -> [u32; 3] {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png_path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgba, "{}", png_path.display());
    let (mut sum, mut n) = ([0u32; 3], 0u32);
    for px in buf[..info.buffer_size()].chunks(4) {
        if px[3] == 255 && !(px[0] > 230 && px[1] > 230 && px[2] > 230) {
            for c in 0..3 {
                sum[c] += px[c] as u32;
            }
            n += 1;
        }
    }
    assert!(n > 0, "{}: no coloured pixels", png_path.display());
    sum.map(|s| s / n)
}

fn level_of(colour: [u32; 3]) -> &'static str {
    match colour {
        [r, g, b] if g > r && g > b => "ok",
        [r, g, b] if r > 180 && g > 120 && b < 80 => "warning",
        [r, g, _] if r > 180 && g < 100 => "over",
        _ => "unknown",
    }
}

/// Waits until the tray's menu has a line starting with `line` and its icon is `level`.
fn wait_tray(log: &Path, line: &str, level: &str) -> Vec<String> {
    let mut last = None;
    let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_for(&format!("tray: {line:?}, icon {level}"), Duration::from_secs(30), || {
            let (menu, icon) = tray_state(log)?;
            let seen = icon.as_deref().map(|p| level_of(disc_colour(p)));
            last = Some((menu.clone(), seen));
            (menu.iter().any(|l| l.starts_with(line)) && seen == Some(level)).then_some(menu)
        })
    }));
    found
        .unwrap_or_else(|_| panic!("tray never showed {line:?} with a {level} icon; last seen {last:?}\n{}", read(log)))
}

fn all_events(s: &Session, want: &str) {
    s.wait_text(r#"[data-period="all"] [data-field="events"]"#, |t| t == want);
}

fn window_size(s: &Session) -> (i64, i64) {
    let r = s.request("GET", "/window/rect", None).unwrap();
    (r["width"].as_i64().unwrap(), r["height"].as_i64().unwrap())
}

/// The CPU ticks (user + system) of each of the process's threads: (thread id, name, ticks).
fn thread_ticks(pid: u32) -> Vec<(String, String, u64)> {
    let mut out = Vec::new();
    for t in std::fs::read_dir(format!("/proc/{pid}/task")).into_iter().flatten().flatten() {
        let comm = read(&t.path().join("comm")).trim().to_string();
        let stat = read(&t.path().join("stat"));
        // Fields after the ")" that closes the name: state is 3rd, utime 14th, stime 15th.
        let rest: Vec<&str> = stat.rsplit_once(')').map_or(vec![], |(_, r)| r.split_whitespace().collect());
        if rest.len() > 13 {
            let ticks = rest[11].parse::<u64>().unwrap_or(0) + rest[12].parse::<u64>().unwrap_or(0);
            out.push((t.file_name().to_string_lossy().into_owned(), comm, ticks));
        }
    }
    out
}

/// The running app whose environment names ledger `db`.
fn app_pid(db: &Path) -> Option<u32> {
    let want = format!("TOKENBURN_DB={}", db.display());
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let comm = read(&e.path().join("comm"));
        let env = std::fs::read(e.path().join("environ")).ok()?;
        let named = env.split(|b| *b == 0).any(|v| v == want.as_bytes());
        (comm.trim() == "tokenburn-deskt" && named).then_some(pid)
    })
}

fn python(script: &str, log: &Path, ready: &str, env: &[(&str, &str)]) -> Proc {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e").join(script);
    let mut cmd = Command::new("/usr/bin/python3");
    cmd.arg(&path).arg(log).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let p = Proc(cmd.spawn().unwrap_or_else(|e| panic!("start {script}: {e}")));
    wait_for(ready, Duration::from_secs(10), || read(log).contains(ready).then_some(()));
    p
}

#[test]
fn alerts_notify_the_cli_shows_live_the_tray_follows_and_the_window_keeps_its_size() {
    if skip("the live end-to-end test") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let projects = home.join(".claude/projects");
    std::fs::create_dir_all(&projects).unwrap();
    // The tray writes its icon files under XDG_RUNTIME_DIR: keep them to this test.
    let run = tmp.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
    let db = tmp.path().join("ledger.db");
    let cli_bin = cli_binary();

    // A budget the claude-code fixture ($0.004194) takes to 52%, the codex one over 100%.
    let period = ["--period", "custom", "--start", "2025-01-01", "--end", "2027-12-31"];
    cli(
        &cli_bin,
        &db,
        &[&["budget", "add", BUDGET, "--amount", "0.008", "--thresholds", "50,100"][..], &period].concat(),
    );

    let notify_log = tmp.path().join("notify.log");
    let _notify = python("notify_server.py", &notify_log, "READY", &[]);
    let sni_log = tmp.path().join("sni.log");
    let _sni = python("sni_watcher.py", &sni_log, "WATCHER_READY", &[]);

    let app = env!("CARGO_BIN_EXE_tokenburn-desktop");
    let run_dir = run.to_string_lossy().into_owned();
    let env = [("XDG_RUNTIME_DIR", run_dir.as_str())];
    let started = std::time::Instant::now();
    let step = |what: &str| eprintln!("e2e_live: {what} at {} ms", started.elapsed().as_millis());
    let (driver, s) = launch(app, &db, &home, &env);
    all_events(&s, "0");
    step("dashboard up");
    wait_tray(&sni_log, &format!("{BUDGET} budget 0% - "), "ok");

    // (a) Claude Code writes a session into a watched folder: the app imports it by itself,
    // the budget crosses 50%, and the desktop is notified, once.
    let session = projects.join("-home-dev-demo");
    std::fs::create_dir_all(&session).unwrap();
    std::fs::copy(fixture("claude-code/projects/-home-dev-demo/session-a.jsonl"), session.join("s.jsonl")).unwrap();
    let notes = wait_for("the 50% notification", Duration::from_secs(30), || {
        let n = notifications(&notify_log);
        (!n.is_empty()).then_some(n)
    });
    step("50% notification");
    assert_eq!(notes[0].0, format!("{BUDGET}: 50% of its budget used"));
    assert_eq!(
        notes[0].1,
        format!("{BUDGET} reached 50% of its budget: $0.0042 of $0.0080 used in 2025-01-01..2027-12-31")
    );
    all_events(&s, "5");
    // (c) The tray: the budget's line and an amber icon.
    wait_tray(&sni_log, &format!("{BUDGET} budget 52% - "), "warning");

    // (b) The CLI imports while the app runs: the dashboard shows it without a restart, the
    // budget is over (a 100% notification) and the tray turns red.
    cli(&cli_bin, &db, &["import", &fixture("codex")]);
    step("CLI import shown");
    all_events(&s, "9");
    let notes = wait_for("the 100% notification", Duration::from_secs(30), || {
        let n = notifications(&notify_log);
        (n.len() >= 2).then_some(n)
    });
    assert_eq!(notes[1].0, format!("{BUDGET}: 100% of its budget used"));
    assert!(notes[1].1.starts_with(&format!("{BUDGET} reached 100% of its budget: $0.0081 of $0.0080")), "{notes:?}");
    let menu = wait_tray(&sni_log, &format!("{BUDGET} budget 100% - over budget"), "over");
    for label in ["Open", "Scan now", "Quit"] {
        assert!(menu.iter().any(|l| l == label), "{label} missing from {menu:?}");
    }

    // Idle, the app's own threads use no CPU: nothing polls.
    let pid = app_pid(&db).expect("the app's process");
    std::thread::sleep(Duration::from_secs(2));
    let before = thread_ticks(pid);
    std::thread::sleep(Duration::from_secs(3));
    let after = thread_ticks(pid);
    let busy: Vec<String> = after
        .iter()
        .filter_map(|(tid, name, v)| {
            let was = before.iter().find(|(t, _, _)| t == tid).map_or(0, |(_, _, w)| *w);
            (*v > was).then(|| format!("{name} ({tid}) {}", v - was))
        })
        .collect();
    eprintln!("e2e_live: CPU ticks of the app's threads in 3 s idle: {busy:?}");
    for name in ["tokenburn-live", "tokenburn-hourl"] {
        let ticks = |t: &[(String, String, u64)]| t.iter().find(|(_, n, _)| n == name).map(|(_, _, v)| *v);
        assert!(ticks(&before).is_some(), "no thread {name} in {before:?}");
        assert_eq!(ticks(&before), ticks(&after), "{name} used CPU while idle");
    }

    // (d) The window's size survives a restart (saved once the window rests).
    s.request("POST", "/window/rect", Some(json!({"width": 900, "height": 640}))).unwrap();
    let size = wait_for("the window resized", Duration::from_secs(10), || {
        let got = window_size(&s);
        (got != (1100, 760)).then_some(got)
    });
    let state_file = home.join(".config/dev.tokenburn.desktop/.window-state.json");
    wait_for("the window state saved", Duration::from_secs(10), || {
        let v: Value = serde_json::from_str(&read(&state_file)).ok()?;
        (v["main"]["width"].as_i64()? > 0 && v["main"]["width"].as_i64() != Some(1100)).then_some(())
    });
    let _ = s.request("DELETE", "", None);
    drop(driver);
    // The app keeps running in the tray when its window closes; end it as logging out would.
    if let Some(pid) = app_pid(&db) {
        unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    }
    wait_for("the app to exit", Duration::from_secs(10), || app_pid(&db).is_none().then_some(()));

    step("first app ended");
    let shown_before = read(&sni_log).matches("MENU_ITEMS").count();
    let (_driver, s) = launch(app, &db, &home, &env);
    all_events(&s, "9");
    assert_eq!(window_size(&s), size, "the window's size after a restart");
    // The restarted app evaluated alerts (its tray shows the state) and repeated none.
    wait_for("the restarted app's tray", Duration::from_secs(30), || {
        let text = read(&sni_log);
        let later: Vec<&str> = text.lines().filter(|l| l.starts_with("MENU_ITEMS")).skip(shown_before).collect();
        later.iter().any(|l| l.contains("100% - over budget")).then_some(())
    });
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(notifications(&notify_log).len(), 2, "a restart repeated a notification:\n{}", read(&notify_log));

    step("restarted, no repeat");
    // Settings: written to the ledger, so the CLI sees them; a bad value is refused and said.
    s.click(r#".tab[data-view="settings"]"#);
    // The view has loaded the settings once the thresholds field shows them.
    wait_for("the settings loaded", Duration::from_secs(20), || {
        let id = s.find("#default-thresholds")?;
        let v = s.request("GET", &format!("/element/{id}/property/value"), None).ok()?;
        (v.as_str() == Some("50,75,90,100")).then_some(())
    });
    if let Some(dir) = std::env::var_os("TOKENBURN_E2E_SHOTS") {
        // A picture of the Settings view, for people (base64 PNG from WebDriver).
        let b64 = Path::new(&dir).join("settings.png.b64");
        std::fs::write(&b64, s.request("GET", "/screenshot", None).unwrap().as_str().unwrap()).unwrap();
        let png = Command::new("base64").arg("-d").arg(&b64).output().expect("base64 -d");
        std::fs::write(Path::new(&dir).join("settings.png"), png.stdout).unwrap();
    }
    s.type_into("#default-thresholds", "0,50");
    s.click("#alerts-save");
    let said = s.wait_text("#alerts-status", |t| !t.is_empty());
    assert!(said.starts_with("That value is not valid.") && said.contains("out of range"), "{said}");
    s.type_into("#default-thresholds", "60, 90");
    s.click("#alerts-save");
    s.wait_text("#alerts-status", |t| t == "Saved.");
    assert_eq!(cli(&cli_bin, &db, &["config", "get", "default_thresholds"]).trim(), "default_thresholds = 60,90");
    s.click("#notifications");
    s.wait_text("#alerts-status", |t| t == "Notifications off.");
    assert_eq!(cli(&cli_bin, &db, &["config", "get", "notifications"]).trim(), "notifications = off");
    // Muted: a new budget, already over, fires its alerts (recorded, in the tray) but no
    // notification reaches the desktop.
    cli(&cli_bin, &db, &[&["budget", "add", "Muted", "--amount", "0.001"][..], &period].concat());
    wait_tray(&sni_log, "Muted budget 806% - over budget", "over");
    let history = tokenburn::alerts::history(tokenburn::ledger::Ledger::open(&db).unwrap().conn()).unwrap();
    let mut muted: Vec<u32> = history.iter().filter(|a| a.subject == "budget:Muted").map(|a| a.level).collect();
    muted.sort();
    assert_eq!(muted, [60, 90], "the new budget takes the default thresholds set above: {history:?}");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(notifications(&notify_log).len(), 2, "a muted alert was shown:\n{}", read(&notify_log));
    s.type_into("#price-model", "e2e-model");
    s.type_into("#price-input", "1.5");
    s.type_into("#price-output", "3");
    s.click("#price-save");
    s.wait_text(r#"#price-overrides tr[data-model="e2e-model"] td.num"#, |t| t == "1.5");
    assert!(cli(&cli_bin, &db, &["prices", "rm", "e2e-model"]).contains("removed"));
    // Start at login: the system's own entry (XDG autostart on Linux), on and off again.
    let entry = home.join(".config/autostart");
    s.click("#autostart");
    s.wait_text("#app-status", |t| t == "Tokenburn will start at login.");
    let desktop = std::fs::read_dir(&entry).unwrap().flatten().map(|e| e.path()).collect::<Vec<_>>();
    assert_eq!(desktop.len(), 1, "{desktop:?}");
    assert!(read(&desktop[0]).contains("tokenburn-desktop"), "{}", read(&desktop[0]));
    s.click("#autostart");
    s.wait_text("#app-status", |t| t == "Tokenburn will not start at login.");
    assert!(!desktop[0].exists());
    step("settings done");
    let _ = s.request("DELETE", "", None);
    if let Some(pid) = app_pid(&db) {
        unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    }
}
