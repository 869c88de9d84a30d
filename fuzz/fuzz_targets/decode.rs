//! Fuzz target `decode`: see `asyncapi_fuzz::decode`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| asyncapi_fuzz::decode(data));
