//! Launch timing: with `TOKENBURN_TIMING` set, the app logs to stderr when each phase of
//! its start was reached, in milliseconds since `run()` began (the first thing `main` does):
//! `tokenburn-desktop: <phase> <ms> ms after start`. `scripts/launch-timing` reads these
//! lines. Without the variable nothing is logged and a mark costs one load of a flag.
//! [`watch_main_thread`] also logs when the main thread was busy for a while before the
//! first paint.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

struct Start {
    at: Instant,
    /// The same moment on the wall clock, in ms since the Unix epoch, to place the page's
    /// marks (`performance.timeOrigin + performance.now()`) on this timeline.
    epoch_ms: f64,
    on: bool,
}

static START: OnceLock<Start> = OnceLock::new();

fn start() -> &'static Start {
    START.get_or_init(|| Start {
        at: Instant::now(),
        epoch_ms: SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0),
        on: std::env::var_os("TOKENBURN_TIMING").is_some(),
    })
}

/// Fixes the start of the timeline (the first call wins); `run()` calls it first.
pub fn begin() -> Instant {
    start().at
}

/// Whether `TOKENBURN_TIMING` is set.
pub fn enabled() -> bool {
    start().on
}

/// Milliseconds since the start.
pub fn elapsed_ms() -> u128 {
    start().at.elapsed().as_millis()
}

/// Logs that `what` happened now (with `TOKENBURN_TIMING` set).
pub fn mark(what: &str) {
    if enabled() {
        eprintln!("tokenburn-desktop: {what} {} ms after start", elapsed_ms());
    }
}

/// Logs that `what` happened at `epoch_ms` on the wall clock (a mark from the page).
pub fn mark_at_epoch(what: &str, epoch_ms: f64) {
    if enabled() && epoch_ms.is_finite() {
        eprintln!("tokenburn-desktop: {what} {:.0} ms after start", epoch_ms - start().epoch_ms);
    }
}

/// The UI painted the dashboard for the first time: with `TOKENBURN_TIMING` set, logs the
/// page's own `marks` (ms since the Unix epoch, names of at most 60 bytes) on the same
/// timeline, then `first paint`, and stops [`watch_main_thread`].
pub fn first_paint(marks: Option<std::collections::BTreeMap<String, f64>>) {
    if !enabled() {
        return;
    }
    let mut marks: Vec<_> = marks.unwrap_or_default().into_iter().collect();
    marks.sort_by(|a, b| a.1.total_cmp(&b.1));
    for (what, at) in marks.iter().filter(|(what, _)| what.len() <= 60) {
        mark_at_epoch(&format!("page: {what}"), *at);
    }
    mark("first paint");
    painted();
}

static PAINTED: AtomicBool = AtomicBool::new(false);

/// The first paint was logged: [`watch_main_thread`] stops.
pub fn painted() {
    PAINTED.store(true, Ordering::Relaxed);
}

/// With `TOKENBURN_TIMING` set, until the first paint (at most 30 s): every 10 ms, asks
/// `run` to run a no-op on the main thread and logs `main thread busy <n> ms from <t> ms
/// after start` when it took 50 ms or more to get there (the window's page waits on the
/// main thread: its load, its requests, its first frame).
pub fn watch_main_thread(run: impl Fn(Box<dyn FnOnce() + Send>) -> bool + Send + 'static) {
    if !enabled() {
        return;
    }
    let _ = std::thread::Builder::new().name("tokenburn-timing".into()).spawn(move || {
        let until = Instant::now() + Duration::from_secs(30);
        while !PAINTED.load(Ordering::Relaxed) && Instant::now() < until {
            let (tx, rx) = mpsc::channel();
            let asked = Instant::now();
            let started = elapsed_ms();
            if !run(Box::new(move || {
                let _ = tx.send(());
            })) || rx.recv().is_err()
            {
                return;
            }
            let waited = asked.elapsed();
            if waited >= Duration::from_millis(50) {
                eprintln!(
                    "tokenburn-desktop: main thread busy {} ms from {started} ms after start",
                    waited.as_millis()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    });
}
