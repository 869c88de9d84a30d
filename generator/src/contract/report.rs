//! `test`'s report as text for people and as JUnit XML for CI systems (JSON is the serde form).

use std::fmt::Write;

use super::TestReport;

/// One line per operation, per socket problem and per failure, then the verdict and coverage.
pub fn text(report: &TestReport) -> String {
    let mut out = String::new();
    for op in &report.operations {
        let state = if op.exercised { "exercised" } else { "NOT exercised" };
        let detail = if op.direction == "server receives" { format!("{} sent", op.messages) } else { format!("{}/{} received conform", op.conforming, op.messages) };
        let _ = writeln!(out, "{} ({}): {state}, {detail}", op.operation, op.direction);
    }
    for socket in &report.sockets {
        if let Some(status) = socket.handshake_refused {
            let _ = writeln!(out, "{}: a handshake without credentials was refused ({status})", socket.label);
        }
        for note in &socket.notes {
            let _ = writeln!(out, "{}: {note}", socket.label);
        }
        for p in &socket.problems {
            let _ = writeln!(out, "FAIL {}: {}: {}", socket.label, p.subject, p.detail);
        }
    }
    for topic in &report.topics {
        let _ = writeln!(out, "topic {}: {} records read, {} conform", topic.topic, topic.records, topic.conforming);
        for p in &topic.problems {
            let _ = writeln!(out, "FAIL {}: {}", p.subject, p.detail);
        }
    }
    for f in &report.conform.failures {
        let message = f.message.as_deref().unwrap_or("(unidentified)");
        let path = if f.path.is_empty() { "/" } else { &f.path };
        let _ = writeln!(out, "FAIL received #{}: {message} {path} [{}] {}", f.line, f.reason, f.detail);
    }
    let (exercised, total) = report.coverage;
    let percent = (exercised * 100).checked_div(total).unwrap_or(100);
    let verdict = if report.passes() { "PASS" } else { "FAIL" };
    let received = report.conform.lines + report.topics.iter().map(|t| t.records).sum::<usize>();
    let conforming = report.conform.conforming + report.topics.iter().map(|t| t.conforming).sum::<usize>();
    let _ = writeln!(out, "{verdict}: {received} received, {conforming} conform; coverage {exercised}/{total} operations ({percent} %)");
    out
}

fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => format!("&#x{:x};", c as u32),
            c => c.to_string(),
        })
        .collect()
}

/// JUnit XML: one test suite per socket; a test case per operation (failed when not exercised or
/// when one of its messages did not conform), one for the handshake, one per socket problem.
pub fn junit(report: &TestReport) -> String {
    let mut suites = String::new();
    let (mut all_tests, mut all_failures) = (0, 0);
    for socket in &report.sockets {
        let module = socket.label.split(' ').next().unwrap_or_default();
        let mut cases = String::new();
        let (mut tests, mut failures) = (0, 0);
        let mut case = |name: &str, failure: Option<String>| {
            tests += 1;
            let _ = write!(cases, "    <testcase classname=\"{}\" name=\"{}\"", escape(&socket.label), escape(name));
            match failure {
                Some(message) => {
                    failures += 1;
                    let _ = write!(cases, ">\n      <failure message=\"{}\" type=\"contract\">{}</failure>\n    </testcase>\n", escape(&message), escape(&message));
                }
                None => cases.push_str("/>\n"),
            }
        };
        if let Some(status) = socket.handshake_refused {
            let _ = status;
            case("handshake without credentials is refused", None);
        }
        for p in &socket.problems {
            case(&format!("{}: {}", p.subject, p.detail), Some(p.detail.clone()));
        }
        for op in report.operations.iter().filter(|o| o.operation.starts_with(&format!("{module}:"))) {
            let bad: Vec<String> = report
                .conform
                .failures
                .iter()
                .filter(|f| f.message.as_ref().is_some_and(|m| op.labels.contains(m)))
                .map(|f| format!("received #{} {} [{}] {}", f.line, f.path, f.reason, f.detail))
                .collect();
            let failure = if !op.exercised {
                Some(String::from("not exercised"))
            } else if op.conforming < op.messages {
                Some(bad.join("; "))
            } else {
                None
            };
            case(&op.operation, failure);
        }
        all_tests += tests;
        all_failures += failures;
        let _ = write!(suites, "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n{cases}  </testsuite>\n", escape(&socket.label));
    }
    for topic in &report.topics {
        let mut cases = String::new();
        for p in &topic.problems {
            let _ = write!(cases, "    <testcase classname=\"{}\" name=\"{}\">\n      <failure message=\"{}\" type=\"contract\">{}</failure>\n    </testcase>\n", escape(&topic.topic), escape(&p.subject), escape(&p.detail), escape(&p.detail));
        }
        let _ = writeln!(cases, "    <testcase classname=\"{}\" name=\"{} records read\"/>", escape(&topic.topic), topic.records);
        let failures = topic.problems.len();
        all_tests += failures + 1;
        all_failures += failures;
        let _ = write!(suites, "  <testsuite name=\"topic {}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n{cases}  </testsuite>\n", escape(&topic.topic), failures + 1);
    }
    let unidentified: Vec<String> = report.conform.failures.iter().filter(|f| f.message.is_none()).map(|f| format!("received #{} [{}] {}", f.line, f.reason, f.detail)).collect();
    if !unidentified.is_empty() {
        all_tests += 1;
        all_failures += 1;
        let message = unidentified.join("; ");
        let _ = write!(
            suites,
            "  <testsuite name=\"unidentified messages\" tests=\"1\" failures=\"1\" errors=\"0\" skipped=\"0\">\n    <testcase classname=\"received\" name=\"every received message is one of the spec\">\n      <failure message=\"{}\" type=\"contract\">{}</failure>\n    </testcase>\n  </testsuite>\n",
            escape(&message),
            escape(&message)
        );
    }
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"asyncapi-codegen test\" tests=\"{all_tests}\" failures=\"{all_failures}\" errors=\"0\">\n{suites}</testsuites>\n")
}
