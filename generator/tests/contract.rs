//! `asyncapi-codegen test` and `record` against live servers on loopback: our `mock`, the
//! generated servers (the `mock-server` example of the committed crate), and deliberately broken
//! servers written in Python (`tests/python/broken_call_server.py`).

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn python() -> PathBuf {
    let py = std::env::var_os("TEST_PYTHON").map(PathBuf::from).unwrap_or_else(|| repo().join(".cache/venv-2/bin/python"));
    assert!(py.exists(), "{} missing: run scripts/install-test-deps.sh (scripts/test.sh does)", py.display());
    py
}

fn codegen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_asyncapi-codegen")).args(args).current_dir(repo()).output().expect("runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A server process, killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `asyncapi-codegen mock` on a free port; returns it and its URL.
fn mock(args: &[&str]) -> (Server, String) {
    announced(Command::new(env!("CARGO_BIN_EXE_asyncapi-codegen")).arg("mock").args(args).args(["--listen", "127.0.0.1:0", "--quiet", "--interval-ms", "5"]).current_dir(repo()))
}

/// Starts a server process and returns it with the first line it prints (its URL, or `ready`).
fn announced(command: &mut Command) -> (Server, String) {
    let mut child = command.stdout(Stdio::piped()).spawn().expect("the server starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    (Server(child), line.trim().to_string())
}

/// Validates a `--junit` file against the JUnit XML schema (Jenkins' junit-10.xsd, installed by
/// `scripts/install-test-deps.sh`) with Python's `xmlschema`, checks its totals add up, and returns
/// (test cases, failures).
fn valid_junit(file: &Path) -> (usize, usize) {
    let xsd = std::env::var_os("JUNIT_XSD").map(PathBuf::from).unwrap_or_else(|| repo().join(".cache/junit-xsd-pytest-8.3.4/junit-10.xsd"));
    assert!(xsd.exists(), "{} missing: run scripts/install-test-deps.sh", xsd.display());
    let check = r#"
import sys, xmlschema, xml.etree.ElementTree as ET
xmlschema.XMLSchema(sys.argv[1]).validate(sys.argv[2])
root = ET.parse(sys.argv[2]).getroot()
suites = root.findall("testsuite")
cases = [c for s in suites for c in s.findall("testcase")]
failed = [c for c in cases if c.find("failure") is not None]
assert len(cases) == int(root.get("tests")) and len(failed) == int(root.get("failures")), ET.tostring(root)
for s in suites:
    mine = s.findall("testcase")
    assert len(mine) == int(s.get("tests")) and sum(c.find("failure") is not None for c in mine) == int(s.get("failures")), ET.tostring(s)
assert all(c.get("name") and c.get("classname") for c in cases)
print(len(cases), len(failed))
"#;
    let py = Command::new(python()).args(["-c", check]).arg(&xsd).arg(file).output().unwrap();
    assert!(py.status.success(), "JUnit output not valid: {}\n{}", text(&py), std::fs::read_to_string(file).unwrap_or_default());
    let counts: Vec<usize> = String::from_utf8_lossy(&py.stdout).split_whitespace().map(|n| n.parse().unwrap()).collect();
    (counts[0], counts[1])
}

fn report(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not a JSON report ({e}):\n{}", text(out)))
}

#[test]
fn the_mock_of_the_spec_set_passes_with_full_coverage_and_a_replayable_recording() {
    let (_mock, url) = mock(&["asyncapi", "--accept", "token=py"]);
    let dir = tempfile::tempdir().unwrap();
    let (junit, recording) = (dir.path().join("junit.xml"), dir.path().join("seen.jsonl"));
    let out = codegen(&[
        "test", "--url", &url, "--credential", "token=py", "--duration-ms", "300", "--format", "json",
        "--junit", junit.to_str().unwrap(), "--record", recording.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let json = report(&out);
    let (exercised, total) = (json["coverage"][0].as_u64().unwrap(), json["coverage"][1].as_u64().unwrap());
    assert!(total >= 20 && exercised == total, "coverage {exercised}/{total}");
    assert!(json["conform"]["lines"].as_u64().unwrap() >= total, "{json}");
    for socket in json["sockets"].as_array().unwrap() {
        assert_eq!(socket["handshake_refused"], 401, "{socket}");
    }
    let (cases, failures) = valid_junit(&junit);
    assert!(cases >= total as usize && failures == 0, "{cases} cases, {failures} failures");
    // The recording replays with `conform`.
    let replay = codegen(&["conform", "asyncapi", recording.to_str().unwrap()]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay));
}

#[test]
fn the_generated_servers_pass_with_full_coverage() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = Command::new(cargo).args(["build", "-q", "-p", "agent-assist-api", "--all-features", "--example", "mock-server"]).current_dir(repo()).status().unwrap();
    assert!(built.success(), "building the mock-server example failed");
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo().join("target"));
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let _server = Server(
        Command::new(target.join("debug/examples/mock-server"))
            .args(["--listen", &listen, "--token", "py-token", "--interval-ms", "5"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_listening(port);
    let out = codegen(&["test", "--url", &format!("ws://{listen}"), "--credential", "token=py-token", "--duration-ms", "300", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let json = report(&out);
    assert_eq!(json["coverage"][0], json["coverage"][1], "{}", json["operations"]);
}

/// `test` of the scripted-call fixture against the broken server in `mode`, with its JUnit report
/// validated: (output, JUnit test cases, JUnit failures).
fn against_broken(mode: &str) -> (Output, usize, usize) {
    let port = free_port();
    let (_server, _) = announced(Command::new(python()).arg(repo().join("tests/python/broken_call_server.py")).args([&port.to_string(), mode]));
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let out = codegen(&[
        "test", "tests/fixtures/valid/mock-scripted-call.yaml", "--url", &format!("ws://127.0.0.1:{port}"),
        "--credential", "token=t", "--duration-ms", "300", "--timeout-ms", "500", "--junit", junit.to_str().unwrap(),
    ]);
    let (cases, failures) = valid_junit(&junit);
    (out, cases, failures)
}

#[test]
fn broken_servers_fail_with_the_reason() {
    let (fine, cases, failures) = against_broken("none");
    assert_eq!(fine.status.code(), Some(0), "{}", text(&fine));
    assert!(cases > 0 && failures == 0, "{cases} cases, {failures} failures");
    assert!(text(&fine).contains("PASS") && text(&fine).contains("(100 %)"), "{}", text(&fine));
    let cases = [
        ("wrong-type", "FAIL received #1: mock_scripted_call:callOpened /agent/id [wrong-type]"),
        ("unknown-topic", "FAIL received #2: (unidentified) /type [unknown-message] `type` is \"call.transferred\""),
        ("missing-reply", "ping: no reply (pong) within 500ms"),
        ("no-auth", "handshake: the server accepted a handshake without `token`"),
    ];
    for (mode, reason) in cases {
        let (out, _, failures) = against_broken(mode);
        assert_eq!(out.status.code(), Some(1), "{mode}: {}", text(&out));
        assert!(failures >= 1, "{mode}: the JUnit report shows no failure");
        assert!(text(&out).contains(reason), "{mode}: expected `{reason}` in\n{}", text(&out));
    }
    let (missing, _, _) = against_broken("missing-reply");
    assert!(text(&missing).contains("mock_scripted_call:ping (server receives): NOT exercised"), "{}", text(&missing));
}

#[test]
fn usage_errors_exit_2() {
    let no_record = codegen(&["record", "--url", "ws://127.0.0.1:1"]);
    assert_eq!(no_record.status.code(), Some(2), "{}", text(&no_record));
    assert!(text(&no_record).contains("--record FILE"), "{}", text(&no_record));
    let bad_url = codegen(&["test", "--url", "http://127.0.0.1:1"]);
    assert_eq!(bad_url.status.code(), Some(2), "{}", text(&bad_url));
    assert!(text(&bad_url).contains("--url must be ws://"), "{}", text(&bad_url));
    let nobody = codegen(&["test", "--url", &format!("ws://127.0.0.1:{}", free_port()), "--timeout-ms", "500", "--duration-ms", "0"]);
    assert_eq!(nobody.status.code(), Some(1), "{}", text(&nobody));
    assert!(text(&nobody).contains("cannot connect"), "{}", text(&nobody));
}

/// A Tansu broker (memory storage) on a free port, killed on drop.
fn broker() -> (Server, String) {
    let port = free_port();
    (tansu(port, port), format!("127.0.0.1:{port}"))
}

/// Tansu listening on `port` and telling clients to connect to `advertised`.
fn tansu(port: u16, advertised: u16) -> Server {
    let dir = std::env::temp_dir().join(format!("contract-broker-{port}"));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = std::env::var_os("TANSU_BIN").map(PathBuf::from).unwrap_or_else(|| repo().join(".cache/tansu-0.6.0/tansu"));
    let (listener, advertised) = (format!("tcp://127.0.0.1:{port}"), format!("tcp://127.0.0.1:{advertised}"));
    let child = Command::new(&bin)
        .args(["broker", "--listener-url", &listener, "--advertised-listener-url", &advertised, "--storage-engine", "memory://tansu/"])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{} (run scripts/install-test-deps.sh or set TANSU_BIN): {e}", bin.display()));
    wait_listening(port);
    Server(child)
}

#[test]
fn mock_and_test_reach_a_broker_over_tls_with_kafka_config() {
    // Tansu 0.6 has no TLS listener of its own: it advertises the port of a TLS-terminating proxy
    // (tests/python/tls_proxy.py), so every connection of every client goes through TLS.
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", text(&made));
    let (broker_port, tls_port) = (free_port(), free_port());
    let _broker = tansu(broker_port, tls_port);
    let (_proxy, ready) = announced(Command::new(python()).arg(repo().join("tests/python/tls_proxy.py")).args([&tls_port.to_string(), &broker_port.to_string()]).args([&cert, &key]));
    assert_eq!(ready, "ready");

    let brokers = format!("127.0.0.1:{tls_port}");
    let ca = format!("ssl.ca.location={}", cert.display());
    let tls = ["--kafka-config", "security.protocol=ssl", "--kafka-config", &ca];
    let cdr = "asyncapi/agent-assist-cdr.yaml";
    let mut args = vec!["mock", cdr, "--brokers", &brokers, "--rate", "500", "--count", "6", "--quiet"];
    args.extend(tls);
    let produced = codegen(&args);
    assert_eq!(produced.status.code(), Some(0), "{}", text(&produced));
    let mut args = vec!["test", cdr, "--brokers", &brokers, "--duration-ms", "3000", "--format", "json"];
    args.extend(tls);
    let read = codegen(&args);
    assert_eq!(read.status.code(), Some(0), "{}", text(&read));
    let records: u64 = report(&read)["topics"].as_array().unwrap().iter().map(|t| t["records"].as_u64().unwrap()).sum();
    assert_eq!(records, 6, "{}", text(&read));

    // The certificate is verified: without the CA the handshake fails and nothing is read.
    let untrusted = codegen(&["test", cdr, "--brokers", &brokers, "--duration-ms", "2000", "--kafka-config", "security.protocol=ssl", "--kafka-config", "socket.timeout.ms=3000"]);
    assert_eq!(untrusted.status.code(), Some(2), "{}", text(&untrusted));
    assert!(text(&untrusted).contains("transport failure"), "{}", text(&untrusted));
    // A misspelt property is refused before anything connects.
    let misspelt = codegen(&["test", cdr, "--brokers", &brokers, "--kafka-config", "security.protocoll=ssl"]);
    assert_eq!(misspelt.status.code(), Some(2), "{}", text(&misspelt));
    assert!(text(&misspelt).contains("security.protocoll"), "{}", text(&misspelt));
}

#[test]
fn mock_fills_the_topics_and_test_reads_them_back_until_a_foreign_record_arrives() {
    let (_broker, brokers) = broker();
    let cdr = "asyncapi/agent-assist-cdr.yaml";
    let produced = codegen(&["mock", cdr, "--brokers", &brokers, "--rate", "500", "--count", "9", "--quiet"]);
    assert_eq!(produced.status.code(), Some(0), "{}", text(&produced));
    let read = codegen(&["test", cdr, "--brokers", &brokers, "--duration-ms", "3000", "--format", "json"]);
    assert_eq!(read.status.code(), Some(0), "{}", text(&read));
    let json = report(&read);
    let records: u64 = json["topics"].as_array().unwrap().iter().map(|t| t["records"].as_u64().unwrap()).sum();
    assert_eq!(records, 9, "{json}");
    assert_eq!(json["coverage"][0], json["coverage"][1], "{}", json["operations"]);

    // A record no message of the topic describes, written by an independent client.
    let foreign = r#"
import sys
from confluent_kafka import Producer
p = Producer({"bootstrap.servers": sys.argv[1]})
p.produce("agent_assist_step", key=b"x", value=b'{"message_type": "agent_assist_step", "dialog_id": 42}')
assert p.flush(30) == 0
"#;
    let py = Command::new(python()).args(["-c", foreign, &brokers]).output().unwrap();
    assert!(py.status.success(), "{}", text(&py));
    let read = codegen(&["test", cdr, "--brokers", &brokers, "--duration-ms", "3000"]);
    assert_eq!(read.status.code(), Some(1), "{}", text(&read));
    let out = text(&read);
    let line = out.lines().find(|l| l.starts_with("FAIL agent_assist_step[")).unwrap_or_else(|| panic!("no failure naming the record:\n{out}"));
    assert!(line.contains("]@") && line.contains("dialog_id") && line.contains("wrong-type"), "{line}");
}

#[test]
fn avro_topics_are_produced_and_read_as_binary_avro() {
    let (_broker, brokers) = broker();
    let spec = "tests/fixtures/valid/avro-realistic-order-service";
    let ids = ["--schema-id", "com.shop.orders.OrderPlaced=1", "--schema-id", "com.shop.orders.OrderShipped=2", "--schema-id", "com.shop.orders.OrderCancelled=3"];
    let mut args = vec!["mock", spec, "--brokers", &brokers, "--rate", "500", "--quiet"];
    args.extend(ids);
    let produced = codegen(&args);
    assert_eq!(produced.status.code(), Some(0), "{}", text(&produced));
    let read = codegen(&["test", spec, "--brokers", &brokers, "--duration-ms", "3000"]);
    assert_eq!(read.status.code(), Some(0), "{}", text(&read));
    assert!(text(&read).contains("topic shop.orders.v2: 3 records read, 3 conform"), "{}", text(&read));
    // Without ids the Confluent frame cannot be written: every record is refused, exit 1.
    let no_ids = codegen(&["mock", spec, "--brokers", &brokers, "--quiet"]);
    assert_eq!(no_ids.status.code(), Some(1), "{}", text(&no_ids));
    assert!(text(&no_ids).contains("KafkaConfig::schema_id"), "{}", text(&no_ids));
}

/// The specs of the fixture corpus and the official examples (when `ASYNCAPI_EXAMPLES_DIR` is
/// set, as `scripts/test.sh` does) whose text names `protocol` (`ws`/`wss` or `kafka`).
fn corpus(protocol: &str) -> Vec<PathBuf> {
    let mut dirs = vec![repo().join("tests/fixtures/valid")];
    dirs.extend(std::env::var_os("ASYNCAPI_EXAMPLES_DIR").map(PathBuf::from));
    let pattern = declares_protocol(protocol);
    let mut out = Vec::new();
    for dir in dirs {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.file_name().is_some_and(|n| n != "README.md")).collect();
        entries.sort();
        for path in entries {
            let text = if path.is_dir() {
                std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()).map(|p| std::fs::read_to_string(p).unwrap_or_default()).collect::<String>()
            } else {
                std::fs::read_to_string(&path).unwrap_or_default()
            };
            if text.lines().any(&pattern) {
                out.push(path);
            }
        }
    }
    out
}

/// Whether a line declares `protocol: P` (YAML or JSON, quoted or not).
fn declares_protocol(protocol: &str) -> impl Fn(&str) -> bool + '_ {
    move |line: &str| {
        let line = line.trim().trim_end_matches(',').replace(['"', '\''], "");
        line.strip_prefix("protocol:").is_some_and(|p| protocol.split('|').any(|want| p.trim() == want))
    }
}

/// Documents the mock refuses with a clear error, by design.
fn refused(out: &Output) -> bool {
    let t = text(out);
    out.status.code() == Some(2) && (t.contains("nothing to mock") || t.contains("error[remote-ref]"))
}

#[test]
fn every_websocket_document_of_the_corpus_passes_test_against_its_mock() {
    let specs = corpus("ws|wss");
    assert!(specs.len() >= 15, "{specs:?}");
    for spec in specs {
        let spec = spec.to_str().unwrap();
        let (_server, url) = mock(&[spec]);
        assert!(url.starts_with("ws://"), "{spec}: the mock did not start");
        let out = codegen(&["test", spec, "--url", &url, "--duration-ms", "200", "--timeout-ms", "2000"]);
        assert_eq!(out.status.code(), Some(0), "{spec}:\n{}", text(&out));
        assert!(text(&out).contains("PASS"), "{spec}:\n{}", text(&out));
    }
}

#[test]
fn every_kafka_document_of_the_corpus_passes_test_against_its_mock() {
    let specs = corpus("kafka|kafka-secure");
    assert!(specs.len() >= 12, "{specs:?}");
    // Avro records in a schema-id frame need their ids.
    let ids = [("avro-realistic-order-service", vec!["com.shop.orders.OrderPlaced=1", "com.shop.orders.OrderShipped=2", "com.shop.orders.OrderCancelled=3"])];
    let mut tested = 0;
    for spec in specs {
        let name = spec.file_name().unwrap().to_string_lossy().into_owned();
        let spec = spec.to_str().unwrap();
        let (_broker, brokers) = broker();
        let mut args = vec!["mock", spec, "--brokers", &brokers, "--rate", "1000", "--count", "20", "--quiet"];
        for (fixture, names) in &ids {
            if name == *fixture {
                for n in names {
                    args.extend(["--schema-id", n]);
                }
            }
        }
        let produced = codegen(&args);
        if refused(&produced) {
            continue;
        }
        assert_eq!(produced.status.code(), Some(0), "{spec}: mock:\n{}", text(&produced));
        let out = codegen(&["test", spec, "--brokers", &brokers, "--duration-ms", "1500"]);
        assert_eq!(out.status.code(), Some(0), "{spec}:\n{}", text(&out));
        assert!(text(&out).contains("PASS: 20 received, 20 conform"), "{spec}:\n{}", text(&out));
        tested += 1;
    }
    assert!(tested >= 12, "only {tested} Kafka documents tested");
}
