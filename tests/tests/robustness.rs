//! Malformed input never panics the generator: every mutation of every fixture either
//! generates or fails with located diagnostics.

use asyncapi_codegen::Generator;
use workspace_tests::{fixture_name, fixtures};

/// Deterministic mutations of a document's text.
fn mutations(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    // Drop single lines throughout the file.
    for i in (0..lines.len()).step_by(3) {
        let mut l = lines.clone();
        l.remove(i);
        out.push(l.join("\n"));
    }
    // Truncate.
    for cut in [lines.len() / 3, lines.len() / 2, lines.len() * 2 / 3] {
        out.push(lines[..cut].join("\n"));
    }
    // Swap scalar kinds and break references.
    for (from, to) in [
        ("type: object", "type: 42"),
        ("type: string", "type: [string, object, 'null']"),
        ("type: array", "type: object"),
        ("$ref: '#/", "$ref: '#/nope/"),
        ("required:", "required: 7\n    x-was-required:"),
        ("properties:", "properties: []\n    x-props:"),
        ("const:", "enum:"),
        ("enum:", "const:"),
        ("action: send", "action: [send]"),
        ("messages:", "messages: 1\n    x-m:"),
    ] {
        if text.contains(from) {
            out.push(text.replacen(from, to, 1));
            out.push(text.replace(from, to));
        }
    }
    out
}

#[test]
fn mutated_fixtures_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut runs = 0;
    for case in fixtures("valid").into_iter().filter(|p| p.is_file()) {
        let text = std::fs::read_to_string(&case).unwrap();
        let ext = case.extension().unwrap().to_string_lossy().to_string();
        for (i, mutated) in mutations(&text).into_iter().enumerate() {
            let path = dir.path().join(format!("{}-{i}.{ext}", fixture_name(&case)));
            std::fs::write(&path, &mutated).unwrap();
            let result = std::panic::catch_unwind(|| Generator::new([&path]).render());
            match result {
                Err(_) => panic!("generator panicked on {} (mutation {i}):\n{mutated}", case.display()),
                Ok(Err(errors)) => {
                    for d in &errors.0 {
                        assert!(!d.message.is_empty(), "empty diagnostic for {}", path.display());
                    }
                }
                Ok(Ok(_)) => {}
            }
            runs += 1;
        }
    }
    assert!(runs > 300, "too few mutations exercised: {runs}");
}
