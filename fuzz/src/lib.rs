//! The fuzz targets' bodies, one function per target (`fuzz_targets/*.rs` call them). Each must
//! return normally for every input: a panic, a stall or a broken property is a finding.

mod documents;
mod wire;
mod ws;

pub use documents::{diff, generate, validate};
pub use wire::{conform, decode};
pub use ws::ws_frames;
