//! The dashboard's first answers, read while the window and its web page start.
//!
//! Opening the window takes the web view most of a second before the page can ask for
//! anything; reading the totals, the budget cards and compensation from a large ledger
//! takes a few hundred milliseconds more. So `run()` starts [`Prefetch::start`] first, on
//! its own thread, and the `dashboard`, `budgets` and `compensation` commands take their
//! part from it ([`Prefetch::take`]), waiting for it if it is still reading.
//!
//! A part is served at most once, and only if it is still true: the prefetch keeps its
//! connection open and asks it for `PRAGMA data_version`, which moves exactly when another
//! connection (a command of this app, the live worker, the CLI) commits; and the day in the
//! ledger's zone must still be the day it was read for. Otherwise, or when the read
//! failed, the command reads the ledger itself as usual (and reports any error itself).
//! The charts are drawn at the command, in the style the page asks for.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use chrono::NaiveDate;
use chrono_tz::Tz;
use tokenburn::ledger::Ledger;

use tokenburn::timezone::today;
use tokenburn::views::cards::{self, CardsData, CompensationData};
use tokenburn::views::dashboard::{self, Dashboard};

/// What was read, and how to tell it is still true.
pub struct Ready {
    ledger: Ledger,
    version: i64,
    tz: Tz,
    today: NaiveDate,
    pub dashboard: Option<Dashboard>,
    pub cards: Option<CardsData>,
    pub compensation: Option<CompensationData>,
}

enum Stage {
    Reading,
    /// None: the read failed, or every part was taken.
    Done(Option<Box<Ready>>),
}

/// The prefetch: reading on its thread, then done.
pub struct Prefetch {
    stage: Mutex<Stage>,
    done: Condvar,
}

/// Marks the prefetch done (with nothing) if its thread ends without storing a result, so
/// no command waits forever on a thread that panicked.
struct Finish(Arc<Prefetch>);

impl Drop for Finish {
    fn drop(&mut self) {
        let mut stage = self.0.stage.lock().unwrap_or_else(|e| e.into_inner());
        if matches!(*stage, Stage::Reading) {
            *stage = Stage::Done(None);
        }
        self.0.done.notify_all();
    }
}

fn data_version(l: &Ledger) -> Option<i64> {
    tokenburn::ledger::queries::version::data_version(l.conn()).ok()
}

fn read(db: &Path) -> tokenburn::error::Result<Ready> {
    let ledger = Ledger::open(db)?;
    let version =
        data_version(&ledger).ok_or(tokenburn::error::Error::Unavailable { what: "the ledger's data_version" })?;
    let tz = ledger.tz()?;
    let today = today(tz);
    let dashboard = dashboard::dashboard(&ledger, today).ok();
    crate::timing::mark("prefetch: dashboard totals read");
    let cards = cards::budget_cards_data(&ledger, today, true).ok();
    crate::timing::mark("prefetch: budget cards read");
    let compensation = cards::compensation_data(&ledger, today).ok();
    crate::timing::mark("prefetch: compensation read");
    Ok(Ready { ledger, version, tz, today, dashboard, cards, compensation })
}

impl Prefetch {
    /// Starts reading `db` on a new thread.
    pub fn start(db: PathBuf) -> Arc<Prefetch> {
        let p = Arc::new(Prefetch { stage: Mutex::new(Stage::Reading), done: Condvar::new() });
        let finish = Finish(p.clone());
        let spawned = std::thread::Builder::new().name("tokenburn-prefetch".into()).spawn(move || {
            let ready = read(&db).map_err(|e| crate::timing::mark(&format!("prefetch failed ({e})"))).ok();
            *finish.0.stage.lock().unwrap_or_else(|e| e.into_inner()) = Stage::Done(ready.map(Box::new));
        });
        if let Err(e) = spawned {
            eprintln!("tokenburn-desktop: no prefetch thread: {e}");
        }
        p
    }

    /// Waits for the read (blocking: call it on a worker thread), then takes one part with
    /// `part` if the ledger has not changed since and it is still the same day. None: the
    /// command reads the ledger itself.
    pub fn take<T>(&self, part: impl FnOnce(&mut Ready) -> Option<T>) -> Option<T> {
        let stage = self.stage.lock().unwrap_or_else(|e| e.into_inner());
        let mut stage = self.done.wait_while(stage, |s| matches!(s, Stage::Reading)).unwrap_or_else(|e| e.into_inner());
        let Stage::Done(Some(ready)) = &mut *stage else { return None };
        let fresh = data_version(&ready.ledger) == Some(ready.version) && today(ready.tz) == ready.today;
        if !fresh {
            // Stale for every part: close the connection now.
            *stage = Stage::Done(None);
            return None;
        }
        let out = part(ready);
        if ready.dashboard.is_none() && ready.cards.is_none() && ready.compensation.is_none() {
            *stage = Stage::Done(None);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json<T: serde::Serialize>(v: &T) -> String {
        serde_json::to_string(v).unwrap()
    }

    #[test]
    fn each_part_is_what_the_command_reads_and_is_served_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("ledger.db");
        let mut l = Ledger::open(&db).unwrap();
        l.set_tz(chrono_tz::Europe::Berlin).unwrap();
        let today = today(l.tz().unwrap());
        let p = Prefetch::start(db.clone());

        let dash = p.take(|r| r.dashboard.take()).expect("the prefetched totals");
        assert_eq!(json(&dash), json(&dashboard::dashboard(&l, today).unwrap()));
        assert_eq!(dash.tz, "Europe/Berlin", "read after the zone was set");
        let opts =
            tokenburn::views::style::ChartStyle { theme: "dark".into(), locale: "de".into(), width: 640, height: 360 }
                .options()
                .unwrap();
        let cards = p.take(|r| r.cards.take()).expect("the prefetched cards").render(Some(&opts)).unwrap();
        assert_eq!(json(&cards), json(&cards::budget_cards(&l, today, Some(&opts)).unwrap()));
        let comp = p.take(|r| r.compensation.take()).expect("the prefetched compensation").render(&opts).unwrap();
        assert_eq!(json(&comp), json(&cards::compensation(&l, today, &opts).unwrap()));

        // Served once: a second ask reads the ledger itself.
        assert!(p.take(|r| r.dashboard.take()).is_none());
        assert!(p.take(|r| r.cards.take()).is_none());
    }

    #[test]
    fn a_commit_after_the_read_makes_every_part_stale() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("ledger.db");
        let mut l = Ledger::open(&db).unwrap();
        let p = Prefetch::start(db.clone());
        // Wait for the read without taking anything: ask for nothing.
        assert!(p.take(|_| None::<()>).is_none());
        // Another connection commits (here: the zone changes, so every date would too).
        l.set_tz(chrono_tz::Asia::Tokyo).unwrap();
        assert!(p.take(|r| r.dashboard.take()).is_none(), "the totals were read before the commit");
        assert!(p.take(|r| r.cards.take()).is_none());
        assert!(p.take(|r| r.compensation.take()).is_none());
    }

    #[test]
    fn a_ledger_that_cannot_be_read_leaves_it_to_the_commands() {
        let dir = tempfile::tempdir().unwrap();
        // A folder where the file should be: the open fails.
        let p = Prefetch::start(dir.path().to_path_buf());
        assert!(p.take(|r| r.dashboard.take()).is_none());
    }
}
