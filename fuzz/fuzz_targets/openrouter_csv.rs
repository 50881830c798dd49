//! The `openrouter-csv` source, fed any bytes (see `tokenburn_fuzz::source`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenburn_fuzz::source("openrouter-csv", "openrouter_activity.csv", data));
