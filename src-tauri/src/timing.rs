//! Launch timing: with `TOKENBURN_TIMING` set, the app logs to stderr when each phase of
//! its start was reached, in milliseconds since `run()` began (the first thing `main` does):
//! `tokenburn-desktop: <phase> <ms> ms after start`. `scripts/launch-timing` reads these
//! lines. Without the variable nothing is logged and a mark costs one load of a flag.

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

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
