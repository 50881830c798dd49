//! The `copilot-csv` source, fed any bytes (see `tokenburn_fuzz::source`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenburn_fuzz::source(
    "copilot-csv",
    "premium_request_usage_report.csv",
    data
));
