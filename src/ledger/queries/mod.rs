//! One file per table: the SQL that reads and writes it.

pub mod accounts;
pub mod alerts;
pub mod authority;
pub mod browse;
pub mod budgets;
pub mod comp;
pub mod events;
pub mod imports;
pub mod prices;
pub mod rollup;
pub mod scan_files;
pub mod settings;
pub mod subscriptions;
pub mod version;
