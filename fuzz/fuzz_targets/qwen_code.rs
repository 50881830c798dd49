//! The `qwen-code` source, fed any bytes (see `tokenburn_fuzz::source`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenburn_fuzz::source(
    "qwen-code",
    "11111111-1111-4111-8111-111111111111.jsonl",
    data
));
