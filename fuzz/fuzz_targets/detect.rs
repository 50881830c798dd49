//! See `tokenburn_fuzz::detect`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenburn_fuzz::detect(data));
