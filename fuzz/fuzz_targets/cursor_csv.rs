//! The `cursor-csv` source, fed any bytes (see `tokenburn_fuzz::source`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenburn_fuzz::source("cursor-csv", "usage-events.csv", data));
