//! End to end, offline: the real app in a real window, with no network at all, driven
//! through every view; and (where strace is installed) proof that nothing in it tried to
//! reach the internet.
//!
//! How: the test re-runs its own binary inside a new network namespace (`unshare -n`) in
//! which only loopback is brought up (`ip link set lo up`), because WebDriver's plumbing
//! (this test -> tauri-driver -> WebKitWebDriver -> the app's automation port) talks TCP on
//! 127.0.0.1. tauri-driver, WebKitWebDriver, the app and WebKit's web and network processes
//! all start inside that namespace. X and D-Bus still work there: both are Unix sockets
//! reached through the file system (`/tmp/.X11-unix/X<n>`, dbus-run-session's
//! `unix:path=`); X's abstract socket is per namespace and is not reachable, which the
//! inner run checks, so the window really is opened through the file-system socket.
//!
//! The inner run first proves the network is gone (only `lo` exists; a TCP connect to
//! 1.1.1.1, a UDP datagram to 8.8.8.8 and a DNS lookup all fail), then imports a fixture
//! through the Import view's path field, checks the dashboard's totals, creates a budget and
//! checks its card and burn chart rendered, counts tokens, filters the ledger and exports
//! it (through the real GTK save dialog, answered with xdotool), and saves settings. After
//! it ends, the outer test reads the ledger file back with the engine.
//!
//! With strace, the whole inner run is traced (`strace -f`: the test itself, tauri-driver,
//! WebKitWebDriver, the app and every process they start) for socket, connect, bind, sendto,
//! sendmsg, execve and the clone family. What is allowed, exactly:
//! - an AF_INET / AF_INET6 `connect`, `sendto` or `sendmsg` only to a loopback address
//!   (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104), and only to a port that a traced process
//!   bound itself (tauri-driver's, WebKitWebDriver's and the app's automation ports); so a
//!   connect to a local DNS stub (127.0.0.53:53) or a proxy would fail the test too;
//! - anything over Unix sockets (X, D-Bus, WebKit's own IPC) and netlink.
//!
//! Everything else fails it: any address that is not loopback, any port nobody here bound.
//! The one exception is the test binary's own probes above (1.1.1.1:80, 8.8.8.8:53, the DNS
//! lookup, a loopback listener of its own), and those must be in the trace: they show that an
//! attempt to reach the internet would be seen. Outside the namespace, and reached only over
//! Unix sockets, stay the X server, the session bus and the services it starts on demand
//! (AT-SPI, dconf); they are not the app and are not traced.
//!
//! Run with `xvfb-run -a dbus-run-session -- env TOKENBURN_E2E=1 cargo test -p
//! tokenburn-desktop --test e2e_offline` (as scripts/test does). Without strace the socket
//! check is skipped with a message (under `TOKENBURN_E2E=1` it is required).

mod support;

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use support::{fixture, launch, on_path, skip, wait_for, Session};

/// Set (to the scratch folder) in the inner run, inside the namespace.
const INNER: &str = "TOKENBURN_E2E_OFFLINE_DIR";
/// The outer process's network namespace, so the inner run can check it is in another one.
const OUTER_NS: &str = "TOKENBURN_E2E_OFFLINE_OUTER_NS";
const TEST: &str = "every_view_works_with_no_network";
const BUDGET: &str = "offline agents";
/// How the inner run tells the outer one the port of its loopback probe.
const PROBE_PORT: &str = "offline: loopback probe on port ";

#[test]
fn every_view_works_with_no_network() {
    if let Some(dir) = std::env::var_os(INNER) {
        inner(Path::new(&dir));
        return;
    }
    if skip("the desktop offline test") {
        return;
    }
    let strict = std::env::var("TOKENBURN_E2E").as_deref() == Ok("1");
    let Some(unshare) = unshare_command() else {
        let why = "`unshare -n` cannot make a network namespace here (needs root or unprivileged user namespaces)";
        assert!(!strict, "TOKENBURN_E2E=1 but {why}");
        eprintln!("skipping the desktop offline test: {why}");
        return;
    };
    for (bin, package) in [("ip", "iproute2"), ("xdotool", "xdotool")] {
        if on_path(bin).is_none() && !Path::new("/usr/sbin").join(bin).is_file() {
            let why = format!("{bin} is not installed (apt-get install {package}; scripts/setup --e2e does)");
            assert!(!strict, "TOKENBURN_E2E=1 but {why}");
            eprintln!("skipping the desktop offline test: {why}");
            return;
        }
    }
    let strace = Command::new("strace").args(["-o", "/dev/null", "true"]).status().is_ok_and(|s| s.success());
    if !strace {
        let why = "strace is not installed (apt-get install strace; scripts/setup --e2e does)";
        assert!(!strict, "TOKENBURN_E2E=1 but {why}");
        eprintln!("{why}: checking that every view works offline, not which sockets were opened");
    }

    let tmp = tempfile::tempdir().unwrap();
    let trace = tmp.path().join("trace");
    let log = tmp.path().join("inner.log");
    // `ip link set lo up` inside the namespace, then the rest in place of the shell.
    let mut cmd = Command::new(unshare[0]);
    cmd.args(&unshare[1..]).args([
        "--",
        "sh",
        "-c",
        "PATH=\"$PATH:/usr/sbin:/sbin\"; ip link set lo up && exec \"$@\"",
        "sh",
    ]);
    if strace {
        cmd.args(["strace", "-f", "--seccomp-bpf", "-qq", "-s", "256", "-e", "signal=none"])
            .args(["-e", "trace=socket,connect,bind,sendto,sendmsg,execve,clone,clone3,fork,vfork", "-o"])
            .arg(&trace)
            .arg("--");
    }
    let out = std::fs::File::create(&log).unwrap();
    let started = Instant::now();
    let mut child = cmd
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env(INNER, tmp.path())
        .env(OUTER_NS, netns("self"))
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        // Its own process group, so a run that hangs can be ended whole.
        .process_group(0)
        .spawn()
        .expect("start the inner run under unshare");
    let deadline = started + Duration::from_secs(600);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > deadline {
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            let _ = child.wait();
            panic!("the offline run did not finish in 600 s:\n{}", read(&log));
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let output = read(&log);
    assert!(status.success(), "the offline run failed ({status}):\n{output}");
    assert!(output.contains("test result: ok. 1 passed"), "the inner test did not run:\n{output}");
    for line in output.lines().filter(|l| l.starts_with("offline:")) {
        eprintln!("{line}");
    }
    eprintln!("offline: the inner run took {:.1} s", started.elapsed().as_secs_f64());

    // What the app wrote, read back with the engine.
    let l = tokenburn::ledger::Ledger::open(&tmp.path().join("ledger.db")).unwrap();
    let events: i64 = l.conn().query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0)).unwrap();
    assert_eq!(events, 5, "the fixture's events in the ledger");
    let budget = tokenburn::budget::get(l.conn(), BUDGET).unwrap().expect("the budget made in the window");
    assert_eq!(budget.amount, 10_000_000, "$0.01 in nano-dollars");
    assert_eq!(budget.models, vec!["claude-*".to_string()]);
    let config = tokenburn::config::get(&l).unwrap();
    assert_eq!(config.fiscal_year_start, 4, "fiscal year start saved in Settings");
    assert_eq!(config.default_thresholds, vec![40, 80, 100], "default thresholds saved in Settings");
    assert_eq!(l.tz().unwrap().name(), "Europe/Berlin", "time zone saved in Settings");

    if strace {
        let probe =
            output.lines().find_map(|l| l.split_once(PROBE_PORT).map(|(_, p)| p)).and_then(|p| p.trim().parse().ok());
        check_trace(&read(&trace), env!("CARGO_BIN_EXE_tokenburn-desktop"), probe.expect("the probe's port"));
    }
}

/// The `unshare` invocation that makes a network namespace here: plain as root, with a
/// user namespace (`-r`) for a user who may make those.
fn unshare_command() -> Option<Vec<&'static str>> {
    [vec!["unshare", "-n"], vec!["unshare", "-r", "-n"]].into_iter().find(|c| {
        Command::new(c[0]).args(&c[1..]).arg("true").stderr(Stdio::null()).status().is_ok_and(|s| s.success())
    })
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// The network namespace of a process ("self" or a pid), as `net:[inode]`.
fn netns(pid: &str) -> String {
    std::fs::read_link(format!("/proc/{pid}/ns/net")).map(|p| p.display().to_string()).unwrap_or_default()
}

/// Inside the namespace: checks the network is gone, then drives every view.
fn inner(dir: &Path) {
    no_network();
    let x_socket = x_through_the_file_system();
    eprintln!("offline: X through {}", x_socket.display());
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default();
    assert!(
        bus.starts_with("unix:path="),
        "the session bus {bus:?} is not a file-system socket, so it is unreachable from a network namespace"
    );

    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let db = dir.join("ledger.db");
    let app = env!("CARGO_BIN_EXE_tokenburn-desktop");
    // Dropped last, also when a step fails: strace waits for every traced process to end.
    let _end_app = EndApp(app);
    let (driver, s) = launch(app, &db, &home, &[]);
    let steps = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| views(&s, dir, app)));
    if let Err(e) = steps {
        // What the window showed when a step failed.
        let script = "return document.querySelector('main').innerText.slice(0, 3000);";
        let page = s.request("POST", "/execute/sync", Some(json!({ "script": script, "args": [] })));
        eprintln!(
            "offline: the window showed:\n{}",
            page.map(|v| v.as_str().unwrap_or("").to_string()).unwrap_or_else(|e| e)
        );
        std::panic::resume_unwind(e);
    }
    let _ = s.request("DELETE", "", None);
    drop(driver);
}

/// Every view's steps, on an empty ledger.
fn views(s: &Session, dir: &Path, app: &str) {
    s.wait_find(r#"[data-period="all"]"#);
    assert!(!app_pids(app).is_empty(), "the app is not running in the offline namespace");

    // Import: the fixture typed into the path field.
    s.click(r#".tab[data-view="import"]"#);
    s.type_into("#import-path", &fixture("claude-code"));
    s.click("#import-button");
    let status = s.wait_text("#import-status", |t| t.starts_with("Done"));
    let results = s.text("#import-results");
    assert!(status.contains("1 files, 5 events added"), "{status}; results: {results:?}");
    s.wait_text(r#"#import-results .file [data-field="added"]"#, |t| t == "5 added");

    // Dashboard: the fixture's all-time totals and its models.
    s.click(r#".tab[data-view="dashboard"]"#);
    let card = r#"[data-period="all"]"#;
    for (field, want) in [
        ("events", "5"),
        ("input_tokens", "118"),
        ("output_tokens", "210"),
        ("cache_write_tokens", "400"),
        ("cache_read_tokens", "1,800"),
    ] {
        s.wait_text(&format!("{card} [data-field=\"{field}\"]"), |t| t == want);
    }
    s.wait_find(r#"tr[data-model="claude-sonnet-4-20250514"]"#);
    s.wait_text("#unpriced-warning", |t| t.starts_with("1 event has no price"));
    eprintln!("offline: import and dashboard totals ok");

    // Budgets: a custom budget from the fixture's March 2025 to after today, claude models.
    s.click(r#".tab[data-view="budgets"]"#);
    s.type_into("#budget-name", BUDGET);
    s.type_into("#budget-amount", "0.01");
    set_value(s, "#budget-period", "custom");
    set_value(s, "#budget-start", "2025-03-01");
    let end = chrono::Utc::now().date_naive() + chrono::Duration::days(90);
    set_value(s, "#budget-end", &end.to_string());
    s.type_into("#budget-models", "claude-*");
    s.click("#budget-save");
    s.wait_text("#budget-status", |t| t == format!("Created {BUDGET}."));
    let in_list = format!(r#"#budget-list [data-budget="{BUDGET}"] svg[data-chart="burn"]"#);
    wait_for("the budget's chart in the list drawn", Duration::from_secs(30), || rendered(s, &in_list));

    // Its card on the dashboard: spent = the priced cost, 41.9% of $0.01, the burn chart drawn.
    s.click(r#".tab[data-view="dashboard"]"#);
    let card = format!(r#"#budget-cards [data-budget="{BUDGET}"]"#);
    let chart = format!(r#"{card} svg[data-chart="burn"]"#);
    wait_for("the budget card's burn chart drawn", Duration::from_secs(30), || rendered(s, &chart));
    let all_cost = s.wait_text(r#"[data-period="all"] [data-field="cost_usd"]"#, |t| t.starts_with('$'));
    s.wait_text(&format!("{card} [data-field=\"spent\"]"), |t| t == all_cost);
    s.wait_text(&format!("{card} [data-field=\"share\"]"), |t| t == "41.9%");
    eprintln!("offline: budget card ok (spent {all_cost}, burn chart drawn)");

    // Tokens: the estimator counts as the engine does.
    let text = "Offline: how many tokens is this sentence, with ünïcödé and code { x += 1; }?";
    support::count_tokens_like_the_engine(s, text);
    eprintln!("offline: token estimator ok");

    // Ledger: filtered to one model, then that filter exported through the save dialog.
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
    let export = dir.join("exported.csv");
    s.click("#ledger-export-csv");
    answer_save_dialog("Export events", &export);
    s.wait_text("#ledger-data-status", |t| t == format!("Exported 1 events to {}.", export.display()));
    let csv = read(&export);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "a header and the one filtered event:\n{csv}");
    assert!(lines[1].contains("claude-imaginary-9"), "{csv}");
    eprintln!("offline: ledger filter and CSV export ok ({} bytes)", csv.len());

    // Settings: fiscal year and default thresholds, and the time zone, saved and shown again.
    s.click(r#".tab[data-view="settings"]"#);
    s.wait_find("#default-thresholds");
    set_value(s, "#fiscal-year-start", "4");
    s.type_into("#default-thresholds", "40,80,100");
    s.click("#alerts-save");
    s.wait_text("#alerts-status", |t| t == "Saved.");
    s.type_into("#tz", "Europe/Berlin");
    s.click(r#"section[aria-labelledby="tz-h"] button[type="submit"]"#);
    s.wait_text("#tz-status", |t| t == "Time zone set to Europe/Berlin.");
    s.click(r#".tab[data-view="dashboard"]"#);
    s.wait_find(r#"[data-period="all"]"#);
    s.click(r#".tab[data-view="settings"]"#);
    for (css, want) in [("#fiscal-year-start", "4"), ("#default-thresholds", "40,80,100"), ("#tz", "Europe/Berlin")] {
        wait_for(&format!("{css} shows {want}"), Duration::from_secs(20), || {
            (value(s, css).as_deref() == Some(want)).then_some(())
        });
    }
    eprintln!("offline: settings saved and shown again");
}

/// Ends the app when dropped: it stays in the tray after its WebDriver session, and the
/// traced run is over only when every process in it has exited.
struct EndApp(&'static str);

impl Drop for EndApp {
    fn drop(&mut self) {
        for signal in [libc::SIGTERM, libc::SIGKILL] {
            for pid in app_pids(self.0) {
                unsafe { libc::kill(pid, signal) };
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            while !app_pids(self.0).is_empty() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// Fails unless this process is in a namespace with no network but loopback.
fn no_network() {
    let outer = std::env::var(OUTER_NS).unwrap_or_default();
    assert!(!outer.is_empty() && netns("self") != outer, "not in a new network namespace ({outer})");
    // /proc/self/net is this namespace's view.
    let dev = std::fs::read_to_string("/proc/self/net/dev").unwrap();
    let ifaces: Vec<&str> = dev.lines().skip(2).filter_map(|l| l.split(':').next()).map(str::trim).collect();
    assert_eq!(ifaces, vec!["lo"], "interfaces in the offline namespace");
    let tcp = TcpStream::connect_timeout(&"1.1.1.1:80".parse().unwrap(), Duration::from_secs(3));
    assert!(tcp.is_err(), "a TCP connect to 1.1.1.1:80 succeeded");
    let udp = UdpSocket::bind("0.0.0.0:0").unwrap().send_to(b"x", "8.8.8.8:53");
    assert!(udp.is_err(), "a UDP datagram to 8.8.8.8:53 was sent");
    let dns = ("example.com", 80).to_socket_addrs();
    assert!(dns.is_err(), "example.com resolved: {:?}", dns.map(|a| a.collect::<Vec<SocketAddr>>()));
    // Loopback works (WebDriver needs it).
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    TcpStream::connect(l.local_addr().unwrap()).expect("loopback connect");
    eprintln!("{PROBE_PORT}{}", l.local_addr().unwrap().port());
    eprintln!("offline: in {} (outside: {outer}); only lo; 1.1.1.1:80, 8.8.8.8:53 and DNS unreachable", netns("self"));
}

/// The X server's file-system socket, after checking that its abstract one (which X
/// clients try first) is out of reach here and the file one answers.
fn x_through_the_file_system() -> PathBuf {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::{SocketAddr as UnixAddr, UnixStream};
    let display = std::env::var("DISPLAY").unwrap_or_default();
    let n = display
        .strip_prefix(':')
        .and_then(|d| d.split('.').next())
        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| panic!("DISPLAY={display:?} is not a local display (:N), unreachable offline"));
    let path = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
    let abstract_addr = UnixAddr::from_abstract_name(path.to_string_lossy().as_bytes()).unwrap();
    assert!(
        UnixStream::connect_addr(&abstract_addr).is_err(),
        "X's abstract socket @{} answers in the offline namespace",
        path.display()
    );
    UnixStream::connect(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path
}

/// Processes running the binary `app` in this network namespace (so only the ones this run
/// started, never an app another test runs elsewhere).
fn app_pids(app: &str) -> Vec<i32> {
    let want = Path::new(app).canonicalize().unwrap();
    let here = netns("self");
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == want))
        .filter(|pid| netns(&pid.to_string()) == here)
        .collect()
}

/// Sets a form control's value as a person picking it would, and fires `change`.
fn set_value(s: &Session, css: &str, value: &str) {
    s.wait_find(css);
    let script = "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
                  e.dispatchEvent(new Event('change', { bubbles: true }));";
    s.request("POST", "/execute/sync", Some(json!({ "script": script, "args": [css, value] }))).unwrap();
}

fn value(s: &Session, css: &str) -> Option<String> {
    let id = s.find(css)?;
    s.request("GET", &format!("/element/{id}/property/value"), None).ok()?.as_str().map(str::to_string)
}

/// How many elements match.
fn count(s: &Session, css: &str) -> usize {
    s.request("POST", "/elements", Some(json!({"using": "css selector", "value": css})))
        .ok()
        .and_then(|v| v.as_array().map(Vec::len))
        .unwrap_or(0)
}

/// Some(()) once the chart matching `css` is in the page with the engine's drawing in it and a
/// size (it was laid out).
fn rendered(s: &Session, css: &str) -> Option<()> {
    let script = "const e = document.querySelector(arguments[0]); \
                  if (!e || !e.querySelector('g[class^=\"tb-\"]')) return false; \
                  const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0;";
    let v = s.request("POST", "/execute/sync", Some(json!({ "script": script, "args": [css] }))).ok()?;
    (v.as_bool() == Some(true)).then_some(())
}

fn xdotool(args: &[&str]) -> Option<String> {
    let o = Command::new("xdotool").args(args).output().ok()?;
    o.status.success().then(|| String::from_utf8_lossy(&o.stdout).into_owned())
}

/// Answers the app's GTK save dialog titled `title` with `path`, as a person would: focus
/// the dialog, replace the suggested name with the full path, press Enter.
fn answer_save_dialog(title: &str, path: &Path) {
    let window = wait_for(&format!("the \"{title}\" dialog"), Duration::from_secs(30), || {
        xdotool(&["search", "--onlyvisible", "--name", &format!("^{title}$")])?.lines().next().map(str::to_string)
    });
    // No window manager under Xvfb: give the dialog the keyboard directly.
    xdotool(&["windowfocus", "--sync", &window]).expect("focus the save dialog");
    std::thread::sleep(Duration::from_millis(300));
    xdotool(&["key", "--clearmodifiers", "ctrl+a"]).unwrap();
    xdotool(&["type", "--delay", "10", &path.display().to_string()]).unwrap();
    xdotool(&["key", "Return"]).unwrap();
    wait_for("the save dialog to close", Duration::from_secs(20), || {
        xdotool(&["search", "--onlyvisible", "--name", &format!("^{title}$")]).is_none().then_some(())
    });
}

/// One traced syscall that names an internet address.
struct InetCall {
    tid: u32,
    call: String,
    addr: IpAddr,
    port: u16,
    line: String,
}

/// The internet address in a traced syscall's line, if it has one.
fn inet_addr(line: &str) -> Option<(IpAddr, u16)> {
    let port = line.split("htons(").nth(1)?.split(')').next()?.parse().ok()?;
    let addr = if line.contains("sa_family=AF_INET6") {
        line.split("inet_pton(AF_INET6, \"").nth(1)?.split('"').next()?.parse().ok()?
    } else if line.contains("sa_family=AF_INET") {
        line.split("inet_addr(\"").nth(1)?.split('"').next()?.parse().ok()?
    } else {
        return None;
    };
    Some((addr, port))
}

fn loopback(a: &IpAddr) -> bool {
    match a {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

/// Checks the strace log of the whole inner run against the rules in this file's header.
/// The test binary's own probes of the network (1.1.1.1:80, 8.8.8.8:53, a DNS lookup, a
/// loopback connect to `probe_port`) are the one exception, and must be in the trace: they
/// show that an attempt to reach the internet is caught.
fn check_trace(trace: &str, app: &str, probe_port: u16) {
    assert!(!trace.is_empty(), "strace wrote nothing");
    // Which program each thread or process runs: its last successful execve, else its parent's.
    let mut exe: HashMap<u32, String> = HashMap::new();
    let mut parent: HashMap<u32, u32> = HashMap::new();
    let mut calls = Vec::new();
    let mut binds: Vec<(u32, u16)> = Vec::new();
    for line in trace.lines() {
        let Some((tid, rest)) = line.split_once(' ') else { continue };
        let Ok(tid) = tid.parse::<u32>() else { continue };
        let rest = rest.trim_start();
        // "<... clone3 resumed> ...) = 456" ends a call another thread interrupted.
        let call = match rest.strip_prefix("<... ") {
            Some(r) => r.split(' ').next().unwrap_or(""),
            None => rest.split('(').next().unwrap_or(""),
        };
        let failed = rest.contains(") = -1 ");
        match call {
            "execve" if !failed => {
                if let Some(path) = rest.split('"').nth(1) {
                    exe.insert(tid, path.to_string());
                }
            }
            "clone" | "clone3" | "fork" | "vfork" => {
                if let Some(child) = rest.rsplit(" = ").next().and_then(|r| r.trim().parse::<u32>().ok()) {
                    parent.insert(child, tid);
                }
            }
            "bind" if !failed => {
                if let Some((addr, port)) = inet_addr(rest) {
                    if port != 0 && (loopback(&addr) || addr.is_unspecified()) {
                        binds.push((tid, port));
                    }
                }
            }
            "connect" | "sendto" | "sendmsg" => {
                if let Some((addr, port)) = inet_addr(rest) {
                    calls.push(InetCall { tid, call: call.to_string(), addr, port, line: line.to_string() });
                }
            }
            _ => {}
        }
    }
    let who = |tid: u32| -> String {
        let mut t = tid;
        for _ in 0..64 {
            if let Some(e) = exe.get(&t) {
                return Path::new(e).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
            }
            match parent.get(&t) {
                Some(&p) => t = p,
                None => break,
            }
        }
        format!("pid {tid}")
    };

    // The ports WebDriver's servers listen on, with who bound them.
    let bound: HashMap<u16, String> = binds.iter().map(|&(tid, port)| (port, who(tid))).collect();

    // Not vacuous: the app ran under the trace, its web process too, and internet-family
    // calls were seen (WebDriver's own loopback traffic).
    let programs: HashSet<String> = exe.values().cloned().collect();
    assert!(programs.contains(app), "the app's execve is not in the trace: {programs:?}");
    assert!(
        programs.iter().any(|p| p.ends_with("WebKitWebProcess")),
        "WebKit's web process is not in the trace: {programs:?}"
    );
    assert!(calls.iter().any(|c| c.call == "connect" && loopback(&c.addr)), "no loopback connect was traced at all");
    let app_name = Path::new(app).file_name().unwrap().to_string_lossy().into_owned();
    let x_ok = trace.lines().any(|l| {
        l.contains("connect(") && l.contains("sun_path=\"/tmp/.X11-unix/X") && l.ends_with("= 0") && {
            let tid = l.split(' ').next().and_then(|t| t.parse().ok()).unwrap_or(0);
            who(tid) == app_name
        }
    });
    assert!(x_ok, "the app's connect to the X server's file-system socket is not in the trace");

    let me = std::env::current_exe().unwrap().file_name().unwrap().to_string_lossy().into_owned();
    let probe = |c: &InetCall| {
        who(c.tid) == me
            && match (c.addr, c.port) {
                (_, 53) => true,
                (a, 80) => a == IpAddr::from([1, 1, 1, 1]),
                (a, p) => loopback(&a) && p == probe_port,
            }
    };
    for (what, addr, port) in [("connect", [1, 1, 1, 1], 80), ("sendto", [8, 8, 8, 8], 53)] {
        assert!(
            calls.iter().any(|c| c.call == what && c.addr == IpAddr::from(addr) && c.port == port && probe(c)),
            "the test's own {what} to {addr:?}:{port} is not in the trace: the trace would miss the app's too"
        );
    }
    let bad: Vec<String> = calls
        .iter()
        .filter(|c| !probe(c) && (!loopback(&c.addr) || !bound.contains_key(&c.port)))
        .map(|c| format!("{} ({}): {}", who(c.tid), c.call, c.line))
        .collect();
    assert!(
        bad.is_empty(),
        "the offline run tried to reach an address that is not a local WebDriver port (bound here: {bound:?}):\n{}",
        bad.join("\n")
    );
    let allowed: Vec<String> = calls
        .iter()
        .filter(|c| !probe(c))
        .map(|c| format!("{} {} {}:{}", who(c.tid), c.call, c.addr, c.port))
        .collect();
    eprintln!(
        "offline: strace: {} internet-family calls besides the test's probes, all to loopback ports bound here \
         {bound:?}:\n  {}",
        allowed.len(),
        allowed.join("\n  ")
    );
}
