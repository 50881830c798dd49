//! The `kilo-cli` source, fed any bytes as its database (see `tokenburn_fuzz::database`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tokenburn_fuzz::source("kilo-cli", "kilo.db", data);
    tokenburn_fuzz::database("kilo-cli", "kilo.db", data);
});
