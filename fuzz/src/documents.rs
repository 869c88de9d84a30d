//! Targets fed with whole documents: the generator pipeline, `validate` and `diff`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A directory of this process for the documents under test (the loader reads files).
fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("asyncapi-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        dir
    })
}

/// Writes `bytes` as document `name` in the scratch directory.
fn document(name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch().join(name);
    std::fs::write(&path, bytes).expect("write the document");
    path
}

/// Loader, IR and every emitter on arbitrary bytes: an error or a crate, never a panic; a crate
/// renders byte-identically a second time (determinism).
pub fn generate(data: &[u8]) {
    let path = document("spec.yaml", data);
    let generator = asyncapi_codegen::Generator::new([&path]).crate_name("fuzzed-api");
    if let Ok(first) = generator.render() {
        let second = generator.render().expect("a document that rendered once renders again");
        assert!(first.files == second.files, "two renders of one document differ");
    }
}

/// `validate` on arbitrary bytes: a verdict, never a panic.
pub fn validate(data: &[u8]) {
    let path = document("validate.yaml", data);
    let _ = asyncapi_codegen::validate(&[path], &asyncapi_codegen::LoadOptions::default());
}

/// `diff` of two documents split at the first `\n---8<---\n` (else the input against itself):
/// a report or an error, and a document never breaks against itself.
pub fn diff(data: &[u8]) {
    const CUT: &[u8] = b"\n---8<---\n";
    let (old, new) = match data.windows(CUT.len()).position(|w| w == CUT) {
        Some(at) => (&data[..at], &data[at + CUT.len()..]),
        None => (data, data),
    };
    let old = document("old.yaml", old).display().to_string();
    let new = document("new.yaml", new).display().to_string();
    let _ = asyncapi_codegen::diff::diff(std::slice::from_ref(&old), std::slice::from_ref(&new), &[]);
    if let Ok(report) = asyncapi_codegen::diff::diff(std::slice::from_ref(&old), std::slice::from_ref(&old), &[]) {
        assert!(!report.fails(), "a document breaks against itself");
    }
}
