//! Every broken fixture is rejected with the expected code, JSON pointer and line.

use asyncapi_codegen::diag::{Code, Diagnostic};
use asyncapi_codegen::{validate, Generator, LoadOptions};
use workspace_tests::{expectation, fixture_name, fixtures};

fn located(errors: &[Diagnostic], code: &str, pointer: &str, line: Option<usize>) -> bool {
    errors.iter().any(|d| d.code.as_str() == code && d.pointer == pointer && (line.is_none() || d.line == line))
}

#[test]
fn every_invalid_fixture_fails_with_a_located_error() {
    let cases = fixtures("invalid");
    assert!(cases.len() >= 12, "expected a broken fixture per failure kind, found {}", cases.len());
    assert!(located_failures(&cases, false).is_empty(), "{}", located_failures(&cases, false).join("\n"));
}

/// Valid documents that only `--strict` rejects: each warning becomes a located error.
#[test]
fn every_strict_fixture_generates_with_a_warning_and_fails_under_strict() {
    let cases = fixtures("strict");
    assert!(cases.len() >= 4, "expected a fixture per warning kind, found {}", cases.len());
    let mut failures = located_failures(&cases, true);
    for case in &cases {
        let name = fixture_name(case);
        let code = expectation(case, "code").unwrap_or_default();
        match Generator::new([case]).render() {
            Ok(r) if r.warnings.iter().any(|w| w.is_warning() && w.code.as_str() == code) => {}
            Ok(r) => failures.push(format!("{name}: no [{code}] warning without --strict: {:?}", r.warnings)),
            Err(e) => failures.push(format!("{name}: generate failed without --strict: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What is wrong with how each case is reported (`strict`: with warnings as errors).
fn located_failures(cases: &[std::path::PathBuf], strict: bool) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        let name = fixture_name(case);
        let code = expectation(case, "code").unwrap_or_else(|| panic!("{name}: no `# expect-code:` header"));
        let pointer = expectation(case, "pointer").unwrap_or_default();
        let line = expectation(case, "line").and_then(|l| l.parse::<usize>().ok());
        let generated = Generator::new([case]).strict(strict).render();
        let errors = match generated {
            Ok(_) => {
                failures.push(format!("{name}: generate accepted a broken spec"));
                continue;
            }
            Err(e) => e.0,
        };
        if !located(&errors, &code, &pointer, line) {
            failures.push(format!(
                "{name}: want [{code}] at {pointer} line {line:?}, got:\n  {}",
                errors.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n  ")
            ));
        }
        // Everything but generator limits is an invalid document for `validate` too.
        if code != Code::Unsupported.as_str() && code != Code::NotEnforced.as_str() {
            let validated = validate(std::slice::from_ref(case), &LoadOptions::default())
                .and_then(|v| if strict { asyncapi_codegen::strict(&v.warnings) } else { Ok(()) });
            match validated {
                Ok(_) => failures.push(format!("{name}: validate accepted a broken spec")),
                Err(e) if !located(&e.0, &code, &pointer, line) => {
                    failures.push(format!("{name}: validate did not locate [{code}] at {pointer}: {e}"))
                }
                Err(_) => {}
            }
        }
        // Errors render as one line each, with file and line.
        for d in &errors {
            let text = d.to_string();
            assert!(!text.contains('\n'), "{name}: multi-line error: {text}");
            assert!(text.contains(&case.file_name().unwrap().to_string_lossy().to_string()) || case.is_dir(), "{name}: {text}");
        }
    }
    failures
}

#[test]
fn every_failure_kind_has_a_fixture() {
    let codes: Vec<String> = fixtures("invalid").iter().chain(&fixtures("strict")).filter_map(|c| expectation(c, "code")).collect();
    for code in [
        Code::YamlSyntax,
        Code::UnresolvedRef,
        Code::RemoteRef,
        Code::RefCycle,
        Code::WrongType,
        Code::InvalidValue,
        Code::UnknownChannel,
        Code::MessageNotInChannel,
        Code::Untagged,
        Code::NotEnforced,
        Code::ExampleMismatch,
        Code::Unsupported,
        Code::UnsupportedVersion,
        Code::Converted,
    ] {
        assert!(codes.iter().any(|c| c == code.as_str()), "no fixture for {}", code.as_str());
    }
}

#[test]
fn remote_refs_can_be_mapped_to_local_files() {
    let case = workspace_tests::root().join("tests/fixtures/invalid/remote-ref.yaml");
    let text = std::fs::read_to_string(&case).unwrap();
    let url = text
        .lines()
        .filter(|l| l.contains("http"))
        .find_map(|l| l.split("$ref:").nth(1))
        .map(|r| r.trim().trim_matches(|c| c == '\'' || c == '"'))
        .and_then(|r| r.split('#').next())
        .expect("the fixture has a remote $ref")
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("remote.yaml");
    // Whatever pointer the fixture names, a file with a permissive schema there satisfies it.
    let pointer = text
        .lines()
        .filter(|l| l.contains("http"))
        .find_map(|l| l.split("$ref:").nth(1))
        .and_then(|r| r.split('#').nth(1))
        .map(|p| p.trim().trim_matches(|c| c == '\'' || c == '"').to_string())
        .unwrap_or_default();
    let mut value = serde_json::json!({"type": "object", "properties": {"id": {"type": "string"}}});
    for seg in pointer.split('/').filter(|s| !s.is_empty()).rev() {
        value = serde_json::json!({ seg: value });
    }
    std::fs::write(&local, serde_json::to_string(&value).unwrap()).unwrap();
    let rendered = Generator::new([&case]).ref_map(url, &local).render();
    assert!(rendered.is_ok(), "mapped remote ref should generate: {}", rendered.err().map(|e| e.to_string()).unwrap_or_default());
}
