//! Golden snapshots of the generated crate for every valid fixture, and determinism.
//! Set `UPDATE_GOLDEN=1` to rewrite the snapshots after an intended change.

use std::collections::BTreeMap;
use std::path::PathBuf;

use asyncapi_codegen::{Generator, RuntimeSource};
use workspace_tests::{fixture_name, fixtures, root};

fn render(fixture: &PathBuf) -> BTreeMap<PathBuf, String> {
    Generator::new([fixture])
        .crate_name(format!("fixture-{}", fixture_name(fixture)))
        // The runtime by version alone: snapshots that do not depend on where the checkout is.
        .runtime(RuntimeSource::Dependency { path: None })
        .render()
        .unwrap_or_else(|e| panic!("{}: {e}", fixture.display()))
        .files
}

#[test]
fn generated_crates_match_golden_snapshots() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let cases = fixtures("valid");
    assert!(cases.len() >= 25, "the corpus needs at least 25 specs, has {}", cases.len());
    let mut mismatches = Vec::new();
    for case in &cases {
        let name = fixture_name(case);
        let dir = root().join("tests/golden").join(&name);
        let files = render(case);
        if update {
            let _ = std::fs::remove_dir_all(&dir);
        }
        for (rel, contents) in &files {
            let path = dir.join(format!("{}.golden", rel.display()));
            if update {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, contents).unwrap();
                continue;
            }
            match std::fs::read_to_string(&path) {
                Ok(expected) if expected == *contents => {}
                Ok(expected) => {
                    let diff = similar::TextDiff::from_lines(&expected, contents).unified_diff().context_radius(2).to_string();
                    mismatches.push(format!("{name}/{}:\n{diff}", rel.display()));
                }
                Err(_) => mismatches.push(format!("{name}/{}: no snapshot at {}", rel.display(), path.display())),
            }
        }
        if !update {
            let on_disk = asyncapi_codegen::write::read_tree(&dir).unwrap();
            for rel in on_disk.keys() {
                let generated = PathBuf::from(rel.to_string_lossy().trim_end_matches(".golden"));
                if !files.contains_key(&generated) {
                    mismatches.push(format!("{name}: stale snapshot {}", rel.display()));
                }
            }
        }
    }
    assert!(mismatches.is_empty(), "golden mismatch (rerun with UPDATE_GOLDEN=1 if intended):\n{}", mismatches.join("\n"));
}

#[test]
fn output_is_byte_identical_across_runs() {
    for case in fixtures("valid").iter().chain([&root().join("asyncapi")]) {
        assert_eq!(render(case), render(case), "{} renders differently on a second run", case.display());
    }
}

#[test]
fn every_file_carries_the_generated_header() {
    for case in fixtures("valid") {
        for (rel, contents) in render(&case) {
            assert!(contents.contains("@generated"), "{}: {} has no @generated header", case.display(), rel.display());
        }
    }
}

/// Every warning `generate` prints for the fixture corpus (valid and strict), one line each, with
/// paths relative to the repository: a golden file, so a new or lost warning shows in review.
#[test]
fn warnings_match_golden() {
    let path = root().join("tests/golden/warnings.txt");
    let prefix = format!("{}/", root().display());
    let mut lines = Vec::new();
    for case in fixtures("valid").iter().chain(&fixtures("strict")) {
        let rendered = Generator::new([case]).render().unwrap_or_else(|e| panic!("{}: {e}", case.display()));
        for w in &rendered.warnings {
            assert!(w.is_warning(), "{w}");
            lines.push(w.to_string().replace(&prefix, ""));
        }
    }
    let actual = lines.join("\n") + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    let diff = similar::TextDiff::from_lines(&expected, &actual).unified_diff().context_radius(1).to_string();
    assert!(expected == actual, "warnings differ from tests/golden/warnings.txt (UPDATE_GOLDEN=1 rewrites it):\n{diff}");
}
