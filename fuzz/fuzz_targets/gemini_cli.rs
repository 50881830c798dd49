//! The `gemini-cli` source, fed any bytes as both of its layouts: the `.json` document and
//! the `.jsonl` log (see `tokenburn_fuzz::source`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tokenburn_fuzz::source("gemini-cli", "session-2026-01-01T00-00-00000000.json", data);
    tokenburn_fuzz::source("gemini-cli", "session-2026-01-01T00-00-00000000.jsonl", data);
});
