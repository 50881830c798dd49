//! The `cline` source (Cline, Roo Code and Kilo Code task logs), fed any bytes (see
//! `tokenburn_fuzz::source`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenburn_fuzz::source("cline", "ui_messages.json", data));
