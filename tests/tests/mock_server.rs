//! The generated `mock-server` example, checked on the wire by an independent client:
//! Python `websockets` reading the spec with PyYAML (tests/python/check_mock_server.py).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use workspace_tests::{example_binary, root, test_python};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn mock_server_speaks_the_spec_to_a_python_client() {
    let binary = example_binary("mock-server");
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let _server = Server(
        Command::new(&binary)
            .args(["--listen", &listen, "--token", "py-token", "--interval-ms", "5"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", binary.display())),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(&listen).is_err() {
        assert!(Instant::now() < deadline, "mock-server did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    let py = test_python();
    assert!(py.exists(), "{} missing: run scripts/install-test-deps.sh (scripts/test.sh does)", py.display());
    let out = Command::new(&py)
        .arg(root().join("tests/python/check_mock_server.py"))
        .args([&format!("ws://{listen}"), "py-token"])
        .arg(root().join("asyncapi"))
        .output()
        .expect("python runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "independent client check failed:\n{text}");
    assert!(text.contains("agent-vb.yaml:") && text.contains("agent-assist.yaml:"), "{text}");
}
