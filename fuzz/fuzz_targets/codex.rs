//! The `codex` source, fed any bytes (see `tokenburn_fuzz::source`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenburn_fuzz::source("codex", "rollout-2025-01-01T00-00-00-x.jsonl", data));
