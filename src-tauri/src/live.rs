//! The live side of the app: one worker thread that imports new agent-log lines, notices
//! what the CLI (or anyone) wrote to the ledger, re-evaluates alerts, shows notifications,
//! refreshes the tray and tells the UI (`ledger-changed`).
//!
//! Everything arrives as a [`Msg`] on one channel: from the file watches ([`crate::watch`]),
//! from commands that wrote (`crate::ledger_changed`), from a thread that sleeps until the
//! next hour in the ledger's zone (new days and periods re-arm alerts), from window
//! moves (the window's size and position are saved once it rests), and from the UI's first
//! paint (the catch-up at start, with the tray's first update, waits for it, at most
//! [`PAINT_WAIT`]). The worker blocks on the channel when there is nothing to do, and waits
//! with a deadline only while a debounce is pending: no polling, no child processes, so an
//! idle app uses no CPU.
//!
//! Whether the ledger really changed is asked of SQLite, not guessed from file events:
//! the worker keeps one idle connection open and reads `PRAGMA data_version`, which moves
//! exactly when another connection (this app's commands, the CLI) commits. That connection
//! never starts a transaction, so it never blocks a writer. It also keeps the write-ahead log
//! in place: SQLite checkpoints and deletes it when its last connection closes, which would
//! otherwise make every command's open and close look like a change.
//!
//! Jobs are short and serial (one thread): a scan is one transaction per file, an alert
//! evaluation one transaction; nothing holds a write transaction while waiting on anything.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DurationRound, TimeDelta, Utc};
use chrono_tz::Tz;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokenburn::ledger::Ledger;
use tokenburn::scan::{self, Roots};
use tokenburn::views::glance::{glance, month_text};
use tokenburn::{alerts, config, views};

use crate::state::AppState;
use crate::watch::Watches;

/// What wakes the worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    /// Something changed under an agent-log folder.
    Logs,
    /// The ledger file or its write-ahead log changed (maybe the CLI wrote).
    Ledger,
    /// This app wrote to the ledger (a command finished); `ledger-changed` was emitted.
    Changed,
    /// An hour began (in the ledger's zone).
    Tick,
    /// The main window moved or was resized.
    Window,
    /// The UI painted the dashboard for the first time.
    Painted,
}

/// Quiet time after the last agent-log event before scanning (Claude Code writes a
/// response as several lines in quick succession).
const LOGS_QUIET: Duration = Duration::from_millis(1000);
/// Quiet time after the last ledger event before looking (a CLI import is one commit per file).
const LEDGER_QUIET: Duration = Duration::from_millis(300);
/// Quiet time after the window last moved before saving its state.
const WINDOW_QUIET: Duration = Duration::from_millis(800);
/// The longest a continuous stream of events delays a job.
const MAX_WAIT: Duration = Duration::from_secs(5);
/// The longest the catch-up at start waits for the UI's first paint.
const PAINT_WAIT: Duration = Duration::from_secs(3);

/// The handle commands use to wake the worker (managed state once [`start`] ran).
pub struct Live {
    tx: Sender<Msg>,
}

/// Sends `msg` to the worker; false when there is none (window-less tests).
pub fn send<R: Runtime>(app: &AppHandle<R>, msg: Msg) -> bool {
    app.try_state::<Live>().is_some_and(|l| l.tx.send(msg).is_ok())
}

/// Starts the watches, the worker and the hourly clock. The first job scans the agent
/// logs and evaluates alerts, catching up on what happened while the app was closed.
pub fn start<R: Runtime>(app: &AppHandle<R>) -> std::io::Result<()> {
    let (tx, rx) = mpsc::channel();
    let db = app.state::<AppState>().db.clone();
    let zone = Arc::new(Mutex::new(Tz::UTC));
    let worker_app = app.clone();
    let worker_tx = tx.clone();
    std::thread::Builder::new().name("tokenburn-live".into()).spawn(move || {
        let watches = Watches::start(&db, worker_tx.clone());
        let mut worker = Worker::new(worker_app, db, rx, watches, zone.clone());
        // Catch up once the window has painted; the clock starts once the ledger's zone is known.
        worker.until_painted();
        worker.scan();
        worker.refresh(true);
        crate::timing::mark("live: first refresh done");
        if let Err(e) = start_clock(worker_tx, zone) {
            eprintln!("tokenburn-desktop: no hourly re-evaluation: {e}");
        }
        worker.run();
    })?;
    app.manage(Live { tx });
    Ok(())
}

/// The thread that sends [`Msg::Tick`] at each full hour of the ledger's zone.
fn start_clock(tx: Sender<Msg>, zone: Arc<Mutex<Tz>>) -> std::io::Result<()> {
    std::thread::Builder::new().name("tokenburn-hourly".into()).spawn(move || loop {
        let tz = *zone.lock().unwrap_or_else(|e| e.into_inner());
        std::thread::sleep(until_next_hour(Utc::now(), tz));
        if tx.send(Msg::Tick).is_err() {
            return;
        }
    })?;
    Ok(())
}

/// Time from `now` to the next full hour of zone `tz` (zones a half or quarter hour off
/// UTC have their hours, and their midnights, at other instants).
pub fn until_next_hour(now: chrono::DateTime<Utc>, tz: Tz) -> Duration {
    let local = now.with_timezone(&tz);
    let next = local.duration_trunc(TimeDelta::hours(1)).map(|h| h + TimeDelta::hours(1));
    // A second past the hour, so a clock a little fast never wakes us just before it.
    next.map(|n| (n.with_timezone(&Utc) - now + TimeDelta::seconds(1)).to_std().unwrap_or_default())
        .unwrap_or(Duration::from_secs(3600))
}

/// A pending debounced job: due after a quiet time, but no later than `MAX_WAIT` after the
/// first event.
#[derive(Default)]
struct Debounce {
    first: Option<Instant>,
    due: Option<Instant>,
}

impl Debounce {
    fn poke(&mut self, quiet: Duration) {
        let now = Instant::now();
        let first = *self.first.get_or_insert(now);
        self.due = Some((now + quiet).min(first + MAX_WAIT));
    }

    fn take_if_due(&mut self, now: Instant) -> bool {
        if self.due.is_some_and(|d| d <= now) {
            *self = Debounce::default();
            return true;
        }
        false
    }
}

struct Worker<R: Runtime> {
    app: AppHandle<R>,
    db: PathBuf,
    rx: Receiver<Msg>,
    watches: Watches,
    zone: Arc<Mutex<Tz>>,
    /// The idle connection whose `data_version` tells whether someone committed.
    probe: Option<Ledger>,
    /// The `data_version` the app last showed.
    seen: Option<i64>,
    logs: Debounce,
    ledger: Debounce,
    window: Debounce,
}

fn log(what: impl std::fmt::Display) {
    if std::env::var_os("TOKENBURN_LIVE_LOG").is_some() {
        eprintln!("tokenburn-desktop live: {what}");
    }
}

impl<R: Runtime> Worker<R> {
    fn new(app: AppHandle<R>, db: PathBuf, rx: Receiver<Msg>, watches: Watches, zone: Arc<Mutex<Tz>>) -> Self {
        Worker {
            app,
            db,
            rx,
            watches,
            zone,
            probe: None,
            seen: None,
            logs: Debounce::default(),
            ledger: Debounce::default(),
            window: Debounce::default(),
        }
    }

    /// Waits for the UI's first paint (at most [`PAINT_WAIT`]), only noting what arrives
    /// meanwhile. The catch-up that follows would compete with the window's start for the
    /// CPU (a scan of many agent logs, alerts evaluated over a large ledger; the dashboard
    /// reads the ledger as it is), and its tray update runs on the main thread, where it can
    /// take half a second when no tray host answers at once, with the page's load behind it.
    /// A change by this app's commands or an hour's tick meanwhile is covered by the catch-up.
    fn until_painted(&mut self) {
        let due = Instant::now() + PAINT_WAIT;
        loop {
            match self.rx.recv_timeout(due.saturating_duration_since(Instant::now())) {
                Ok(Msg::Painted) | Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
                Ok(Msg::Logs) => self.logs.poke(LOGS_QUIET),
                Ok(Msg::Ledger) => self.ledger.poke(LEDGER_QUIET),
                Ok(Msg::Window) => self.window.poke(WINDOW_QUIET),
                Ok(Msg::Changed | Msg::Tick) => {}
            }
        }
        crate::timing::mark("live: painted, catching up");
    }

    fn run(mut self) {
        loop {
            let due = [self.logs.due, self.ledger.due, self.window.due].into_iter().flatten().min();
            let msg = match due {
                None => self.rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                Some(d) => self.rx.recv_timeout(d.saturating_duration_since(Instant::now())),
            };
            match msg {
                Ok(Msg::Logs) => self.logs.poke(LOGS_QUIET),
                Ok(Msg::Ledger) => self.ledger.poke(LEDGER_QUIET),
                Ok(Msg::Window) => self.window.poke(WINDOW_QUIET),
                Ok(Msg::Painted) => {}
                Ok(Msg::Changed) => self.refresh(false),
                Ok(Msg::Tick) => {
                    log("hourly tick");
                    self.watches.rearm_logs();
                    self.scan();
                    self.refresh(true);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            let now = Instant::now();
            if self.logs.take_if_due(now) {
                self.watches.rearm_logs();
                if self.scan() {
                    self.refresh(true);
                }
            }
            if self.ledger.take_if_due(now) {
                let v = self.data_version();
                log(format!("ledger event: data_version {v:?}, seen {:?}", self.seen));
                if v.is_none() || v != self.seen {
                    self.refresh(true);
                }
            }
            if self.window.take_if_due(now) {
                crate::window::save(&self.app);
            }
        }
    }

    /// `PRAGMA data_version` on the idle probe connection (opened on first use).
    fn data_version(&mut self) -> Option<i64> {
        if self.probe.is_none() {
            self.probe = Ledger::open(&self.db).map_err(|e| log(format!("probe: {e}"))).ok();
        }
        match tokenburn::ledger::queries::version::data_version(self.probe.as_ref()?.conn()) {
            Ok(v) => Some(v),
            Err(e) => {
                log(format!("data_version: {e}"));
                self.probe = None;
                None
            }
        }
    }

    /// Imports new agent-log lines; true when something was added or updated.
    fn scan(&mut self) -> bool {
        let roots = Roots::standard();
        if roots.is_empty() {
            return false;
        }
        let started = Instant::now();
        let rep = Ledger::open(&self.db).and_then(|mut l| scan::scan(&mut l, &roots, |_, _, _| {}));
        match rep {
            Ok(rep) => {
                let mut changed = false;
                for (path, r) in &rep.files {
                    match r {
                        Ok(f) => changed |= f.added + f.updated > 0,
                        Err(e) => eprintln!("tokenburn-desktop: scan: {}: {e}", path.display()),
                    }
                }
                log(format!("scan: {} files, changed {changed}, {:?}", rep.files.len(), started.elapsed()));
                changed
            }
            Err(e) => {
                eprintln!("tokenburn-desktop: scan failed: {e}");
                false
            }
        }
    }

    /// Evaluates alerts (firing new ones), refreshes the tray, and with `emit` tells the UI.
    fn refresh(&mut self, emit: bool) {
        // Read first: a commit by someone else during the work below must still be seen.
        let before = self.data_version();
        let started = Instant::now();
        let result = (|| -> tokenburn::error::Result<_> {
            let mut l = Ledger::open(&self.db)?;
            let tz = l.tz()?;
            *self.zone.lock().unwrap_or_else(|e| e.into_inner()) = tz;
            let today = views::today(tz);
            let ev = alerts::evaluate(&mut l, today, tz, true)?;
            let notifications = config::notifications(&l)?;
            let month = views::dashboard::month_spend(&l, today)?;
            Ok((ev, notifications, month))
        })();
        match result {
            Ok((ev, notifications, month)) => {
                log(format!("refresh: {} new alerts, {:?}", ev.new.len(), started.elapsed()));
                crate::notify::deliver(&self.app, &ev.new, notifications);
                crate::tray::show(&self.app, &glance(&ev), &month_text(&month));
            }
            Err(e) => {
                eprintln!("tokenburn-desktop: alerts not evaluated: {e}");
                crate::tray::show_error(&self.app, &e.code().to_string());
            }
        }
        if emit {
            let _ = self.app.emit("ledger-changed", ());
        }
        self.seen = before;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_next_hour_is_local() {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 18, 10, 0).unwrap();
        assert_eq!(until_next_hour(now, Tz::UTC), Duration::from_secs(50 * 60 + 1));
        // Kolkata is UTC+5:30: its hours start at :30 UTC.
        assert_eq!(until_next_hour(now, chrono_tz::Asia::Kolkata), Duration::from_secs(20 * 60 + 1));
    }

    #[test]
    fn debounce_waits_for_quiet_but_not_forever() {
        let mut d = Debounce::default();
        assert!(!d.take_if_due(Instant::now()));
        d.poke(Duration::from_millis(10));
        assert!(!d.take_if_due(Instant::now()));
        std::thread::sleep(Duration::from_millis(15));
        assert!(d.take_if_due(Instant::now()));
        assert!(d.due.is_none());
        // A stream of events: due no later than MAX_WAIT after the first.
        d.poke(Duration::from_secs(60));
        let first = d.first.unwrap();
        assert_eq!(d.due, Some(first + MAX_WAIT));
    }
}
