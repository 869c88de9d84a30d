//! Fuzz target `diff`: see `asyncapi_fuzz::diff`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| asyncapi_fuzz::diff(data));
