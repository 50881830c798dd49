//! Tokenburn's engine: the usage ledger, importers, price book and reports.
//!
//! Nothing here knows about windows or trays: the CLI (`src/main.rs`) and the desktop
//! shell (`src-tauri/`) are thin callers of these modules.

pub mod alerts;
pub mod budget;
pub mod chart;
pub mod config;
pub mod error;
pub mod forecast;
pub mod import;
pub mod ledger;
pub mod model;
pub mod money;
pub mod period;
pub mod pricing;
pub mod ratio;
pub mod reconcile;
pub mod report;
pub mod scan;
pub mod spend;
pub mod timezone;
pub mod tokens;
pub mod views;
