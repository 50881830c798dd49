//! One file per table: the SQL that reads and writes it.

pub mod browse;
pub mod events;
pub mod import_hashes;
pub mod imports;
pub mod prices;
pub mod rollup;
pub mod scan_files;
