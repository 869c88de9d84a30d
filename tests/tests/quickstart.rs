//! The quick-start example (`tests/examples/agent-assist-quickstart.rs`): a server and a client
//! of `agent_assist` in under 100 lines, run end to end.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use workspace_tests::{package_example, root};

#[test]
fn the_quickstart_serves_pushes_answers_and_prints_the_typed_stream() {
    let source = std::fs::read_to_string(root().join("tests/examples/agent-assist-quickstart.rs")).expect("example source");
    assert!(source.lines().count() < 100, "the quick start has grown to {} lines", source.lines().count());

    let binary = package_example("workspace-tests", "agent-assist-quickstart");
    let mut child = Command::new(binary).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the example runs");
    // A hang guard, not a measurement: an example that never ends is killed and fails the test.
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            child.kill().expect("kill");
            panic!("the quick start did not end within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "exit {:?}\n{stdout}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.first(), Some(&"server: agent-7 connected"), "{stdout}");
    let client: Vec<&&str> = lines.iter().filter(|l| l.starts_with("client: Message(")).collect();
    assert_eq!(client.len(), 3, "{stdout}");
    for expected in [
        "CallInfo(CallInfo { status: Some(Active)",
        "SoundInfo(SoundInfo { level: Some(2)",
        "DialogInfo(DialogInfo { latest_seq_id: Some(1), utterances: Some([DialogStep { seq_id: Some(1), participant_type: Some(User), utterance: Some(\"Hello, I lost my card\")",
    ] {
        assert!(client.iter().any(|l| l.contains(expected)), "no event with {expected}:\n{stdout}");
    }
}
