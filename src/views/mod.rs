//! What the app and the CLI show: the dashboard's totals, the budget cards and the
//! compensation view, the tray's glance, the dashboard's warnings, and the token
//! estimator's answers.
//!
//! Owns the shaping of engine results into what a view displays (periods in the ledger's
//! zone, cards with their drawn charts, the tray's lines); does not own the numbers
//! themselves (`report`, `budget`, `ratio`, `alerts`, `reconcile`, `tokens` compute them) nor
//! anything about windows: no Tauri here, so every view is unit-tested on a temporary
//! ledger, and the desktop shell's commands are adapters that call one function of this
//! module. The invariant: a view is a function of the ledger and a moment (`today`, a date
//! in the ledger's zone, passed in), so the app and the CLI give the same numbers for the
//! same ledger and day.

pub mod cards;
pub mod dashboard;
pub mod estimate;
pub mod glance;
pub mod style;
pub mod warnings;

#[cfg(test)]
mod testing;

pub use crate::timezone::today;
