//! The command line contract: exit codes, located errors, atomic writes, drift reports.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn run(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_asyncapi-codegen")).args(args).current_dir(cwd).output().expect("runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A copy of the spec set in a scratch project, so tests can break it.
fn scratch_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("asyncapi"), &dir.path().join("asyncapi"));
    std::fs::write(dir.path().join("Cargo.toml"), "[workspace]\n").unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let t = std::fs::read_to_string(path).unwrap();
    assert!(t.contains(from), "{} does not contain {from:?}", path.display());
    std::fs::write(path, t.replacen(from, to, 1)).unwrap();
}

#[test]
fn validate_defaults_to_the_spec_set_and_passes() {
    let o = run(&["validate"], &repo());
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("3 documents valid"));
}

#[test]
fn validate_rejects_each_broken_case_with_file_line_and_pointer() {
    let cases = [
        // (text in agent-vb.yaml, its broken replacement, expected code, expected pointer prefix)
        ("$ref: '#/components/messages/status'", "$ref: '#/components/messages/statusTypo'", "unresolved-ref", "at /channels/status/messages/status:"),
        ("$ref: '#/channels/status'", "$ref: '#/channels/statusTypo'", "unknown-channel", "at /operations/"),
        ("const: debug", "const: status", "untagged", "at /components/messages/"),
        ("address: /agent-vb-mw/ws/agent-vb", "address: 42", "wrong-type", "/address: expected a string"),
    ];
    let p = scratch_project();
    let vb = p.path().join("asyncapi/agent-vb.yaml");
    let original = std::fs::read_to_string(&vb).unwrap();
    for (from, to, code, at) in cases {
        if !original.contains(from) {
            panic!("agent-vb.yaml no longer contains {from:?}");
        }
        edit(&vb, from, to);
        let o = run(&["validate", "--strict"], p.path());
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let out = text(&o);
        let line = out.lines().find(|l| l.starts_with(&format!("error[{code}]"))).unwrap_or_else(|| panic!("no {code} error: {out}"));
        let located = line.split(" at ").next().unwrap_or_default();
        assert!(located.rsplit(':').next().is_some_and(|n| n.parse::<usize>().is_ok()), "no line number: {line}");
        assert!(line.contains("agent-vb.yaml:") && line.contains(at), "{line}");
        std::fs::write(&vb, &original).unwrap();
    }
}

#[test]
fn validate_reports_usage_and_io_errors_with_exit_2() {
    let o = run(&["validate", "no/such/file.yaml"], &repo());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = run(&["generate", "--bogus-flag"], &repo());
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn generate_and_check_round_trip_then_detect_drift() {
    let p = scratch_project();
    let o = run(&["generate"], p.path());
    assert!(o.status.success(), "{}", text(&o));
    let summary = text(&o);
    for word in ["documents   3", "channels", "messages", "types", "files"] {
        assert!(summary.contains(word), "summary lacks {word}: {summary}");
    }
    let o = run(&["check"], p.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // A hand edit in the output is drift.
    let models = p.path().join("generated/src/cdr/models.rs");
    std::fs::write(&models, std::fs::read_to_string(&models).unwrap() + "\n// hand edit\n").unwrap();
    std::fs::write(p.path().join("generated/stray.txt"), "x").unwrap();
    let o = run(&["check"], p.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("-// hand edit"), "unified diff missing: {out}");
    assert!(out.contains("changed: generated/src/cdr/models.rs"), "{out}");
    assert!(out.contains("removed: generated/stray.txt"), "{out}");

    // A spec change is drift too.
    run(&["generate"], p.path());
    edit(&p.path().join("asyncapi/agent-assist-cdr.yaml"), "dialog_id:", "dialog_idx:");
    let o = run(&["check"], p.path());
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn a_failed_generate_leaves_the_output_untouched() {
    let p = scratch_project();
    assert!(run(&["generate"], p.path()).status.success());
    let before = asyncapi_codegen::write::read_tree(&p.path().join("generated")).unwrap();
    // Break the YAML.
    std::fs::write(p.path().join("asyncapi/agent-vb.yaml"), "asyncapi: 3.0.0\ninfo: [unclosed\n").unwrap();
    let o = run(&["generate"], p.path());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = text(&o);
    assert!(err.contains("error[yaml-syntax]") && err.contains("agent-vb.yaml:"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one-line cause expected: {err}");
    let after = asyncapi_codegen::write::read_tree(&p.path().join("generated")).unwrap();
    assert_eq!(before, after, "a failed run must not touch generated/");
    let o = run(&["check"], p.path());
    assert_eq!(o.status.code(), Some(2), "check on bad input is an error: {}", text(&o));
}

#[test]
fn generate_writes_a_standalone_crate_for_any_spec() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("streetlights");
    let spec = repo().join("tests/fixtures/valid/realistic-streetlights.yaml");
    let o = run(&["generate", spec.to_str().unwrap(), "--out", target.to_str().unwrap(), "--crate-name", "streetlights-api"], &repo());
    assert!(o.status.success(), "{}", text(&o));
    let cargo = std::fs::read_to_string(target.join("Cargo.toml")).unwrap();
    assert!(cargo.contains("name = \"streetlights-api\""));
    assert!(cargo.contains("serde") && !cargo.contains("chrono") && !cargo.contains("tokio"), "only used dependencies: {cargo}");
    assert!(target.join("src/lib.rs").is_file() && target.join("README.md").is_file());
    // Specs given without --out are a usage error.
    let o = run(&["generate", spec.to_str().unwrap()], &repo());
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn custom_templates_override_the_builtin_ones() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("crate")).unwrap();
    std::fs::write(dir.path().join("crate/README.md.j2"), "# {{ crate_name }} by ACME\n").unwrap();
    let out = dir.path().join("out");
    let spec = repo().join("tests/fixtures/valid/const.yaml");
    let o = run(
        &["generate", spec.to_str().unwrap(), "--out", out.to_str().unwrap(), "--templates", dir.path().to_str().unwrap()],
        &repo(),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(out.join("README.md")).unwrap(), "# out by ACME\n");
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git").args(args).current_dir(dir).output().expect("git runs");
    assert!(o.status.success(), "git {args:?}: {}", text(&o));
}

#[test]
fn diff_reads_git_revisions_and_sets_exit_codes() {
    let p = scratch_project();
    let dir = p.path();
    git(dir, &["init", "-q"]);
    git(dir, &["-c", "user.email=t@example.com", "-c", "user.name=t", "add", "asyncapi"]);
    git(dir, &["-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "base"]);

    // Unchanged working tree against HEAD: nothing breaks.
    let o = run(&["diff", "HEAD:asyncapi", "asyncapi"], dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("suggested version bump: none"), "{}", text(&o));

    // A docs-only edit: exit 0, patch.
    edit(&dir.join("asyncapi/agent-vb.yaml"), "Status code:", "The status code:");
    let o = run(&["diff", "HEAD:asyncapi", "asyncapi", "--format", "json"], dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json output");
    assert_eq!(report["summary"]["bump"], "patch");
    assert_eq!(report["changes"][0]["classification"], "docs");

    // A closed enum gains a value in a message the server sends: breaking, exit 1.
    edit(&dir.join("asyncapi/agent-vb.yaml"), "- ERR_CODE_06", "- ERR_CODE_06\n                - ERR_CODE_07");
    let o = run(&["diff", "HEAD:asyncapi", "asyncapi", "--format", "markdown"], dir);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let md = text(&o);
    assert!(md.contains("## AsyncAPI changes") && md.contains("enum-value-added") && md.contains("**major**"), "{md}");

    // Accepted with an allow-list: exit 0, still listed.
    let allow = dir.join("allow.yaml");
    std::fs::write(&allow, "accept:\n  - path: /channels/status/messages/status/payload/data\n    kind: enum-value-added\n    reason: all clients treat status as open since 2.1\n").unwrap();
    let o = run(&["diff", "HEAD:asyncapi", "asyncapi", "--allow", allow.to_str().unwrap()], dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("accepted: all clients treat status as open since 2.1"));

    // Errors: an unknown revision, an unreadable allow-list.
    let o = run(&["diff", "no-such-rev:asyncapi", "asyncapi"], dir);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = run(&["diff", "HEAD:asyncapi", "asyncapi", "--allow", "missing.yaml"], dir);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn conform_exit_codes_and_stdin() {
    let good = r#"{"channel": "/agent-vb-mw/ws/agent-vb", "message": {"topic": "status", "data": "CALL_OPENED"}}"#;
    let bad = r#"{"channel": "/agent-vb-mw/ws/agent-vb", "message": {"topic": "status", "data": "NOPE"}}"#;
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("capture.jsonl");
    std::fs::write(&capture, format!("{good}\n{bad}\n")).unwrap();
    let o = run(&["conform", "asyncapi", capture.to_str().unwrap()], &repo());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("line 2: agent_vb:status /data [closed-enum]"), "{}", text(&o));
    let o = run(&["conform", "asyncapi", capture.to_str().unwrap(), "--format", "json"], &repo());
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(report["failures"][0]["line"], 2);
    assert_eq!(report["conforming"], 1);

    // Plain messages from stdin, channel named on the command line.
    let mut child = Command::new(env!("CARGO_BIN_EXE_asyncapi-codegen"))
        .args(["conform", "asyncapi", "-", "--channel", "agent_assist_summary"])
        .current_dir(repo())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"{\"message_type\": \"agent_assist_start\", \"dialog_id\": \"d1\"}\n").unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("cdr:agentAssistStart: 1/1 lines conform"), "{}", text(&o));

    let o = run(&["conform", "asyncapi", "missing.jsonl"], &repo());
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn strict_turns_each_warning_into_exit_1_and_writes_nothing() {
    let strict_dir = repo().join("tests/fixtures/strict");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&strict_dir).unwrap().map(|e| e.unwrap().path()).collect();
    cases.sort();
    assert!(cases.len() >= 4);
    for case in &cases {
        let spec = case.to_str().unwrap();
        let out = tempfile::tempdir().unwrap();
        let crate_dir = out.path().join("crate");
        let target = crate_dir.to_str().unwrap();
        // Without --strict: the crate is written and the warning printed, located.
        let o = run(&["generate", spec, "--out", target], &repo());
        assert!(o.status.success(), "{}", text(&o));
        let warning = text(&o).lines().find(|l| l.starts_with("warning[")).map(str::to_string).unwrap_or_else(|| panic!("no warning: {}", text(&o)));
        assert!(warning.contains(".yaml:") && warning.contains(" at /"), "{warning}");
        assert!(crate_dir.join("Cargo.toml").is_file());
        // With --strict: the same line as an error, exit 1, nothing written.
        std::fs::remove_dir_all(&crate_dir).unwrap();
        let o = run(&["generate", spec, "--out", target, "--strict"], &repo());
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(text(&o).contains(&warning.replacen("warning[", "error[", 1)), "{}", text(&o));
        assert!(!crate_dir.exists(), "--strict wrote output");
    }
    // validate reports example mismatches as warnings, and fails on them under --strict.
    let mismatch = strict_dir.join("example-mismatch.yaml");
    let o = run(&["validate", mismatch.to_str().unwrap()], &repo());
    assert!(o.status.success() && text(&o).contains("warning[example-mismatch]"), "{}", text(&o));
    assert!(text(&o).contains("/examples/0/payload/pair: expected array, found string"), "{}", text(&o));
    let o = run(&["validate", mismatch.to_str().unwrap(), "--strict"], &repo());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("error[example-mismatch]"), "{}", text(&o));
}

#[test]
fn convert_writes_3_0_yaml_or_json_and_refuses_what_it_cannot_convert() {
    let dir = tempfile::tempdir().unwrap();
    let spec = repo().join("tests/fixtures/valid/v2-publish-subscribe.yaml");
    let spec = spec.to_str().unwrap();

    // Standard output, YAML by default.
    let o = run(&["convert", spec], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    let yaml: serde_json::Value = serde_yaml_ng::from_slice(&o.stdout).unwrap();
    assert_eq!(yaml["asyncapi"], "3.0.0");
    assert_eq!(yaml["operations"]["receiveCommand"]["action"], "receive");
    assert_eq!(yaml["operations"]["sendEvent"]["action"], "send");

    // A file, JSON; the result generates like any 3.0 document.
    let out = dir.path().join("converted/api.json");
    let o = run(&["convert", spec, "--format", "json", "--out", out.to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("AsyncAPI 2.4.0 → 3.0.0"), "{}", text(&o));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(json, yaml);
    let o = run(&["validate", out.to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", text(&o));

    // A 3.0 document: a usage error (exit 2), nothing written.
    let target = dir.path().join("not-written.yaml");
    let v3 = repo().join("asyncapi/agent-vb.yaml");
    let o = run(&["convert", v3.to_str().unwrap(), "--out", target.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("error[usage]") && text(&o).contains("AsyncAPI 2.0–2.6"), "{}", text(&o));
    assert!(!target.exists());

    // A broken 2.x document: exit 1, the error at its 2.x line and pointer, nothing written.
    let broken = repo().join("tests/fixtures/invalid/v2-unresolved-ref.yaml");
    let o = run(&["convert", broken.to_str().unwrap(), "--out", target.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("v2-unresolved-ref.yaml:19 at /channels/orders~1{orderId}/publish/message/payload"), "{}", text(&o));
    assert!(!target.exists());

    // A parameter keyword 3.0 cannot hold: converted, with a located warning.
    let lossy = repo().join("tests/fixtures/strict/converted-parameter-pattern.yaml");
    let o = run(&["convert", lossy.to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("warning[converted]: "), "{}", text(&o));
}

#[test]
fn the_package_name_comes_from_the_output_directory_or_is_refused_when_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let spec = repo().join("tests/fixtures/valid/v2-servers-url.yaml");
    let spec = spec.to_str().unwrap();
    // A directory name that is no package name: made into one.
    let o = run(&["generate", spec, "--out", "1st.api.out"], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    let manifest = std::fs::read_to_string(dir.path().join("1st.api.out/Cargo.toml")).unwrap();
    assert!(manifest.contains("name = \"crate-1st-api-out\""), "{manifest}");
    // An explicit name that is none: a usage error, nothing written.
    let o = run(&["generate", spec, "--out", "bad", "--crate-name", "my api"], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("error[usage]") && text(&o).contains("cannot name a Rust package"), "{}", text(&o));
    assert!(!dir.path().join("bad").exists());
}
