//! See `tokenburn_fuzz::price_snapshot`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenburn_fuzz::price_snapshot(data));
