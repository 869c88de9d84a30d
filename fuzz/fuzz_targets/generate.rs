//! Fuzz target `generate`: see `asyncapi_fuzz::generate`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| asyncapi_fuzz::generate(data));
