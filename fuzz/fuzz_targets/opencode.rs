//! The `opencode` source, fed any bytes: as a legacy message file (see
//! `tokenburn_fuzz::source`) and, with a SQLite header, as its database (see
//! `tokenburn_fuzz::database`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tokenburn_fuzz::source("opencode", "msg_fuzz.json", data);
    tokenburn_fuzz::database("opencode", "opencode.db", data);
});
