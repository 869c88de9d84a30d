//! `diff` over the labelled corpus (tests/diff-corpus), golden outputs in all three formats,
//! and the allow-list.

use std::collections::BTreeSet;
use std::path::Path;

use asyncapi_codegen::diff::{self, Allowed, Classification};
use serde_json::Value;
use workspace_tests::root;

fn run(case: &Path, allow: &[Allowed]) -> diff::Report {
    let s = |f: &str| case.join(f).to_string_lossy().to_string();
    diff::diff(&[s("old.yaml")], &[s("new.yaml")], allow).unwrap_or_else(|e| panic!("{}: {e}", case.display()))
}

fn cases() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(root().join("tests/diff-corpus"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    v.sort();
    v
}

#[test]
fn labelled_corpus_is_classified_as_expected() {
    let cases = cases();
    assert!(cases.len() >= 30, "the corpus needs at least 30 spec pairs, has {}", cases.len());
    let mut failures = Vec::new();
    let mut refactors = 0;
    for case in &cases {
        let expected: Value = serde_json::from_str(&std::fs::read_to_string(case.join("expected.json")).unwrap()).unwrap();
        let report = run(case, &[]);
        let got: BTreeSet<(String, String, String)> = report
            .changes
            .iter()
            .map(|c| (c.path.clone(), c.kind.to_string(), serde_json::to_value(c.classification).unwrap().as_str().unwrap().to_string()))
            .collect();
        let want: BTreeSet<(String, String, String)> = expected["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["path"].as_str().unwrap().into(), c["kind"].as_str().unwrap().into(), c["classification"].as_str().unwrap().into()))
            .collect();
        if want.is_empty() {
            refactors += 1;
        }
        let exit = if report.fails() { 1 } else { 0 };
        if got != want || report.summary.bump != expected["bump"] || exit != expected["exit"] {
            failures.push(format!(
                "{}:\n  got  {got:?} bump {} exit {exit}\n  want {want:?} bump {} exit {}",
                case.file_name().unwrap().to_string_lossy(),
                report.summary.bump,
                expected["bump"],
                expected["exit"]
            ));
        }
    }
    assert!(refactors >= 5, "the corpus needs pure refactors that report nothing");
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn the_spec_set_against_itself_reports_nothing() {
    let dir = root().join("asyncapi").to_string_lossy().to_string();
    let report = diff::diff(std::slice::from_ref(&dir), std::slice::from_ref(&dir), &[]).unwrap();
    assert!(report.changes.is_empty(), "{:?}", report.changes);
    assert_eq!(report.summary.bump, "none");
    let topics: Vec<&str> = report.summary.kafka.iter().map(|t| t.topic.as_str()).collect();
    assert_eq!(topics, ["agent_assist_step", "agent_assist_summary"]);
    assert!(report.summary.kafka.iter().all(|t| t.full));
}

/// Golden text, JSON and Markdown for representative cases; `UPDATE_GOLDEN=1` rewrites them.
#[test]
fn output_formats_match_golden_files() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let dir = root().join("tests/golden/diff");
    let picked: Vec<_> = cases().into_iter().filter(|c| {
        let n = c.file_name().unwrap().to_string_lossy().to_string();
        n.contains("mixed") || n.contains("shared") || n.contains("kafka-key") || n.contains("docs-only")
    }).collect();
    assert!(picked.len() >= 3, "golden cases not found: {picked:?}");
    let mut mismatches = Vec::new();
    for case in picked {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let report = run(&case, &[]);
        for (ext, body) in [("txt", diff::text(&report, false)), ("json", diff::json(&report)), ("md", diff::markdown(&report))] {
            let path = dir.join(format!("{name}.{ext}"));
            if update {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &body).unwrap();
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(body.as_str()) {
                mismatches.push(format!("{}:\n{body}", path.display()));
            }
        }
    }
    assert!(mismatches.is_empty(), "golden mismatch (UPDATE_GOLDEN=1 if intended):\n{}", mismatches.join("\n"));
}

#[test]
fn an_accepted_break_passes_but_stays_visible() {
    let case = cases().into_iter().find(|c| c.to_string_lossy().contains("field-removed-sent")).expect("a field-removed-sent case");
    let plain = run(&case, &[]);
    assert!(plain.fails());
    let broken: Vec<_> = plain.changes.iter().filter(|c| c.classification == Classification::Breaking).collect();
    let allow: Vec<Allowed> = broken
        .iter()
        .map(|c| Allowed { path: c.path.clone(), kind: Some(c.kind.to_string()), reason: "consumers upgraded in 2.3".into() })
        .collect();
    let accepted = run(&case, &allow);
    assert!(!accepted.fails(), "accepted breaks must not fail");
    assert_eq!(accepted.summary.accepted, broken.len());
    assert_eq!(accepted.summary.breaking, broken.len(), "accepted breaks are still counted as breaking");
    let text = diff::text(&accepted, false);
    assert!(text.contains("accepted: consumers upgraded in 2.3"), "{text}");
    // A rule for another kind at the same path does not accept it.
    let other = vec![Allowed { path: broken[0].path.clone(), kind: Some("enum-value-added".into()), reason: "x".into() }];
    assert!(run(&case, &other).fails());
}

/// Copies the spec set to a temp dir with one textual edit to agent-assist-cdr.yaml.
fn edited_spec_set(from: &str, to: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let copy = |src: &Path, dst: &Path| {
        std::fs::create_dir_all(dst).unwrap();
        for e in std::fs::read_dir(src).unwrap() {
            let e = e.unwrap();
            if e.path().is_file() {
                std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
            }
        }
    };
    copy(&root().join("asyncapi"), dir.path());
    copy(&root().join("asyncapi/common"), &dir.path().join("common"));
    let cdr = dir.path().join("agent-assist-cdr.yaml");
    let text = std::fs::read_to_string(&cdr).unwrap();
    assert!(text.contains(from), "agent-assist-cdr.yaml no longer contains {from:?}");
    std::fs::write(&cdr, text.replacen(from, to, 1)).unwrap();
    dir
}

#[test]
fn kafka_topics_get_registry_compatibility_per_direction() {
    let old = root().join("asyncapi").to_string_lossy().to_string();
    let step = |r: &diff::Report| r.summary.kafka.iter().find(|t| t.topic == "agent_assist_step").cloned().unwrap();
    let summary = |r: &diff::Report| r.summary.kafka.iter().find(|t| t.topic == "agent_assist_summary").cloned().unwrap();

    // A new required field: old records lack it, so new readers break (not BACKWARD); old readers are fine (FORWARD).
    let dir = edited_spec_set("          required:\n            - message_type\n          properties:\n            message_type:\n              type: string\n              const: agent_assist_step", "          required:\n            - message_type\n            - step\n          properties:\n            message_type:\n              type: string\n              const: agent_assist_step");
    let r = diff::diff(std::slice::from_ref(&old), &[dir.path().to_string_lossy().to_string()], &[]).unwrap();
    let t = step(&r);
    assert!(!t.backward && t.forward && !t.full, "{t:?}");
    assert!(summary(&r).full, "the other topic is untouched");
    assert!(r.changes.iter().any(|c| c.kind == "required-added" && c.path.ends_with("/payload/step")), "{:?}", r.changes);
    assert_eq!(r.summary.bump, "minor", "the producer sends it, so a new required field is compatible for the document");

    // Removing a field: old readers miss it (not FORWARD); new readers ignore it in old data (BACKWARD).
    let dir = edited_spec_set("            step:\n              type: integer\n              description: Number of this step within the stream.\n", "");
    let r = diff::diff(std::slice::from_ref(&old), &[dir.path().to_string_lossy().to_string()], &[]).unwrap();
    let t = step(&r);
    assert!(t.backward && !t.forward && !t.full, "{t:?}");
    assert_eq!(r.summary.bump, "major");
}
