//! Fuzz target `ws_frames`: see `asyncapi_fuzz::ws_frames`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| asyncapi_fuzz::ws_frames(data));
