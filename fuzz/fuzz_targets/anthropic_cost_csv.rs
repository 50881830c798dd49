//! The `anthropic-cost-csv` source, fed any bytes (see `tokenburn_fuzz::source`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenburn_fuzz::source("anthropic-cost-csv", "claude_api_cost.csv", data));
