//! `asyncapi-codegen mock` on real sockets, checked by independent Python clients
//! (`tests/python/check_mock_server.py`, `tests/python/check_mock_generated.py`: `websockets`,
//! PyYAML and `jsonschema`, from the venv `scripts/install-test-deps.sh` makes).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn python() -> PathBuf {
    let py = std::env::var_os("TEST_PYTHON").map(PathBuf::from).unwrap_or_else(|| repo().join(".cache/venv-2/bin/python"));
    assert!(py.exists(), "{} missing: run scripts/install-test-deps.sh (scripts/test.sh does)", py.display());
    py
}

/// A running `mock`, killed on drop, and the base URL it printed.
struct Mock {
    child: Child,
    url: String,
}

impl Mock {
    fn start(args: &[&str]) -> Mock {
        let mut child = Command::new(env!("CARGO_BIN_EXE_asyncapi-codegen"))
            .arg("mock")
            .args(args)
            .args(["--listen", "127.0.0.1:0", "--quiet"])
            .current_dir(repo())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mock starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("the URL line");
        assert!(line.starts_with("ws://"), "mock printed {line:?}");
        Mock { child, url: line.trim().to_string() }
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn run_mock(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_asyncapi-codegen")).arg("mock").args(args).current_dir(repo()).output().expect("runs")
}

#[test]
fn the_spec_set_is_mocked_as_the_generated_servers_serve_it() {
    let mock = Mock::start(&["asyncapi", "--accept", "token=py-token", "--interval-ms", "5"]);
    let out = Command::new(python())
        .arg(repo().join("tests/python/check_mock_server.py"))
        .args([&mock.url, "py-token"])
        .arg(repo().join("asyncapi"))
        .output()
        .expect("python runs");
    let text = text(&out);
    assert!(out.status.success(), "independent client check failed:\n{text}");
    assert!(text.contains("agent-vb.yaml:") && text.contains("agent-assist.yaml:"), "{text}");
}

const SCRIPTED: &str = "tests/fixtures/valid/mock-scripted-call.yaml";

/// What the independent client received from a mock of the scripted-call fixture.
fn scripted_session(seed: &str) -> String {
    let mock = Mock::start(&[SCRIPTED, "--accept", "token=t", "--seed", seed]);
    let out = Command::new(python())
        .arg(repo().join("tests/python/check_mock_generated.py"))
        .args([&format!("{}/calls", mock.url), "t"])
        .arg(repo().join(SCRIPTED))
        .output()
        .expect("python runs");
    assert!(out.status.success(), "independent client check failed:\n{}", text(&out));
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn messages_without_examples_get_schema_valid_values_in_the_x_mock_script() {
    let first = scripted_session("7");
    assert_eq!(first.lines().count(), 8, "{first}");
    assert_eq!(scripted_session("7"), first, "the same seed makes the same values");
    assert_ne!(scripted_session("8"), first, "another seed makes other values");
}

#[test]
fn what_cannot_be_mocked_is_a_clear_error() {
    let no_socket = run_mock(&["asyncapi/agent-assist-cdr.yaml", "--listen", "127.0.0.1:0"]);
    assert_eq!(no_socket.status.code(), Some(2), "{}", text(&no_socket));
    assert!(text(&no_socket).contains("no document has a WebSocket"), "{}", text(&no_socket));

    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("broken.yaml");
    let fixture = std::fs::read_to_string(repo().join(SCRIPTED)).unwrap();
    std::fs::write(&spec, fixture.replace("after: callOpened", "after: callOpend")).unwrap();
    let broken = run_mock(&[spec.to_str().unwrap(), "--listen", "127.0.0.1:0"]);
    assert_eq!(broken.status.code(), Some(2), "{}", text(&broken));
    assert!(text(&broken).contains("broken.yaml:") && text(&broken).contains("/x-mock/after: `after: callOpend` names no message"), "{}", text(&broken));

    // One example's script names an unknown message, or an example that does not exist.
    let spec_set = std::fs::read_to_string(repo().join("asyncapi/agent-assist.yaml")).unwrap();
    let anchor = "          callClosedWithError:\n            after: errorInfo";
    assert!(spec_set.contains(anchor), "the spec set scripts the closing callInfo");
    for (replacement, located, reason) in [
        ("          callClosedWithError:\n            after: errorInf", "/components/messages/callInfo/x-mock/examples/callClosedWithError/after", "`after: errorInf` names no message"),
        ("          callClosedWithErr:\n            after: errorInfo", "/components/messages/callInfo/x-mock/examples/callClosedWithErr", "`x-mock.examples` names `callClosedWithErr`, which is not the name of one of this message's examples"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("agent-assist.yaml");
        std::fs::write(&spec, spec_set.replace(anchor, replacement)).unwrap();
        std::fs::create_dir_all(dir.path().join("common")).unwrap();
        for entry in std::fs::read_dir(repo().join("asyncapi/common")).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.path().join("common").join(entry.file_name())).unwrap();
        }
        let out = run_mock(&[spec.to_str().unwrap(), "--listen", "127.0.0.1:0"]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let line = text(&out).lines().find(|l| l.contains(located)).map(str::to_string).unwrap_or_else(|| panic!("no error at {located}:\n{}", text(&out)));
        assert!(line.contains("agent-assist.yaml:") && line.contains(reason), "{line}");
    }

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let busy = run_mock(&[SCRIPTED, "--listen", &address]);
    assert_eq!(busy.status.code(), Some(2), "{}", text(&busy));
    assert!(text(&busy).contains(&format!("cannot serve on {address}")), "{}", text(&busy));

    let bad_flag = run_mock(&[SCRIPTED, "--accept", "token"]);
    assert_eq!(bad_flag.status.code(), Some(2), "{}", text(&bad_flag));
    assert!(text(&bad_flag).contains("expected NAME=VALUE"), "{}", text(&bad_flag));
}
