//! Fuzz target `validate`: see `asyncapi_fuzz::validate`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| asyncapi_fuzz::validate(data));
