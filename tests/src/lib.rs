//! Shared helpers for the workspace-level tests.

use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// The Python of the test venv (`TEST_PYTHON`, set by `scripts/install-test-deps.sh`).
pub fn test_python() -> PathBuf {
    std::env::var_os("TEST_PYTHON").map(PathBuf::from).unwrap_or_else(|| root().join(".cache/venv-2/bin/python"))
}

/// Builds an example of the generated crate (debug) and returns the path of its binary.
pub fn example_binary(name: &str) -> PathBuf {
    package_example("agent-assist-api", name)
}

/// Builds an example of a workspace package (debug, every feature) and returns its binary's path.
pub fn package_example(package: &str, name: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["build", "-q", "-p", package, "--all-features", "--example", name])
        .current_dir(root())
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building the {name} example failed");
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"));
    target.join("debug/examples").join(name)
}

/// Entries of a fixture directory (files and spec-set directories), sorted, README excluded.
pub fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = root().join("tests/fixtures").join(kind);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    out.sort();
    out
}

/// A fixture's name: its file stem or directory name.
pub fn fixture_name(path: &Path) -> String {
    path.file_stem().expect("name").to_string_lossy().to_string()
}

/// `# expect-KEY: value` header lines of an invalid fixture.
pub fn expectation(path: &Path, key: &str) -> Option<String> {
    let file = if path.is_dir() { first_yaml(path) } else { path.to_path_buf() };
    let text = std::fs::read_to_string(&file).ok()?;
    let prefix = format!("# expect-{key}:");
    text.lines().find_map(|l| l.strip_prefix(&prefix).map(|v| v.trim().to_string()))
}

fn first_yaml(dir: &Path) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).expect("dir").map(|e| e.expect("entry").path()).collect();
    files.sort();
    files.into_iter().find(|p| p.extension().is_some_and(|e| e == "yaml")).expect("a yaml file")
}

/// Polls `done` every 20 ms; fails the test, naming `what`, when it is still false after `deadline`.
pub fn wait_until(what: &str, deadline: std::time::Duration, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < deadline, "{what}: not within {deadline:?}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A KiB field of `/proc/<pid>/status` (`"VmRSS:"`, `"VmHWM:"`), or 0 when it cannot be read.
pub fn status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix(field)).and_then(|v| v.split_whitespace().next()?.parse().ok()).unwrap_or(0)
}

pub mod cdr;
pub mod tansu;

/// The two pushed messages the benches share.
pub mod bench_messages {
    use agent_assist_api::agent_assist::ServerMessage;

    /// `sound_info`: 41 bytes of JSON.
    pub fn small() -> ServerMessage {
        serde_json::from_str(r#"{"topic": "sound_info", "data": {"level": 2}}"#).expect("a sound_info message")
    }

    /// `dialog_info` with 24 utterances: about 4.5 KB of JSON.
    pub fn large() -> ServerMessage {
        let steps: Vec<serde_json::Value> = (0..24)
            .map(|i| serde_json::json!({"seqId": i, "participantType": if i % 2 == 0 { "AGENT" } else { "USER" }, "utterance": "thank you for calling, how can I help you with your account today", "startTime": 1762950501402i64 + i * 4000, "endTime": 1762950503402i64 + i * 4000, "isFinal": true}))
            .collect();
        serde_json::from_value(serde_json::json!({"topic": "dialog_info", "data": {"latestSeqId": 23, "utterances": steps, "agentPartialUtterance": "let me check"}}))
            .expect("a dialog_info message")
    }
}
