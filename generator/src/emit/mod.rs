//! Emitters: each prints the IR in one form.

pub mod crate_files;
pub mod docs;
pub mod runtime;
pub mod rust;
