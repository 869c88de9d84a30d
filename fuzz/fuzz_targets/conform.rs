//! Fuzz target `conform`: see `asyncapi_fuzz::conform`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| asyncapi_fuzz::conform(data));
