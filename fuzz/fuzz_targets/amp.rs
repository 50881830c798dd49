//! The `amp` source (Amp thread JSON), fed any bytes (see `tokenburn_fuzz::source`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenburn_fuzz::source("amp", "T-fuzz.json", data));
