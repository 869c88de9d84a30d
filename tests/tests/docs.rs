//! The HTML docs in a real headless browser, and through the Nu HTML Checker.

use std::path::PathBuf;
use std::process::Command;

use asyncapi_codegen::__private::{context, load_ir, IrOptions};
use asyncapi_codegen::LoadOptions;
use serde_json::json;
use workspace_tests::{fixtures, root};

/// A tool path from the environment scripts/install-test-deps.sh prints, or its default location.
fn tool(var: &str) -> String {
    if let Ok(v) = std::env::var(var) {
        return v;
    }
    let modules = root().join(".cache/node-tools-1/node_modules");
    let default = match var {
        "DOCS_NODE_MODULES" => modules,
        "VNU_JAR" => modules.join("vnu-jar/build/dist/vnu.jar"),
        "CHROMIUM" => PathBuf::from("/usr/bin/chromium"),
        _ => PathBuf::new(),
    };
    assert!(default.exists(), "{var} is not set and {} does not exist: run scripts/install-test-deps.sh (scripts/test.sh does)", default.display());
    default.to_string_lossy().to_string()
}

#[test]
fn html_docs_work_in_headless_chromium() {
    let (_, ir) = load_ir(&[root().join("asyncapi")], &LoadOptions::default(), &IrOptions::default()).expect("spec set loads");
    let mut expectations = Vec::new();
    for doc in &ir.documents {
        let page = context::page(doc);
        assert!(!page.messages.is_empty(), "{} has no messages", doc.module);
        let anchors: Vec<&str> = page
            .messages
            .iter()
            .map(|m| m.anchor.as_str())
            .chain(page.channels.iter().map(|c| c.anchor.as_str()))
            .chain(page.operations.iter().map(|o| o.anchor.as_str()))
            .collect();
        // A message's own wire name filters the page down to the entries that mention it.
        let query = page.messages.last().and_then(|m| m.name.clone()).unwrap_or_else(|| page.messages[0].key.clone());
        let html = root().join("generated/docs").join(format!("{}.html", doc.module));
        assert!(html.is_file(), "{} missing: regenerate", html.display());
        expectations.push(json!({"html": html, "anchors": anchors, "query": query}));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("expectations.json");
    std::fs::write(&file, serde_json::to_string(&expectations).unwrap()).unwrap();
    let artifacts = root().join("tests/artifacts/docs");
    let out = Command::new("node")
        .arg(root().join("tests/browser/check-docs.mjs"))
        .arg(&file)
        .arg(&artifacts)
        .env("DOCS_NODE_MODULES", tool("DOCS_NODE_MODULES"))
        .env("CHROMIUM", tool("CHROMIUM"))
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "browser check failed:\n{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).expect("report is JSON");
    assert_eq!(report.as_array().map(Vec::len), Some(ir.documents.len()), "{report}");
    for module in ["agent_assist", "agent_vb", "cdr"] {
        assert!(artifacts.join(format!("{module}.png")).is_file(), "no screenshot for {module}");
    }
}

#[test]
fn html_docs_are_valid_html5() {
    // Our docs plus the docs of every fixture spec.
    let dir = tempfile::tempdir().unwrap();
    let mut pages: Vec<PathBuf> = std::fs::read_dir(root().join("generated/docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    for case in fixtures("valid") {
        let name = workspace_tests::fixture_name(&case);
        let files = asyncapi_codegen::Generator::new([&case]).render().unwrap_or_else(|e| panic!("{name}: {e}")).files;
        for (rel, contents) in files.iter().filter(|(p, _)| p.extension().is_some_and(|e| e == "html")) {
            let path = dir.path().join(&name).join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, contents).unwrap();
            pages.push(path);
        }
    }
    assert!(pages.len() > 60, "too few pages checked: {}", pages.len());
    let out = Command::new("java")
        .arg("-jar")
        .arg(tool("VNU_JAR"))
        .args(["--errors-only", "--format", "text"])
        .args(&pages)
        .output()
        .expect("java runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "HTML validation failed:\n{text}");
}

#[test]
fn docs_show_reconstructed_names_open_enums_and_directions() {
    let md = std::fs::read_to_string(root().join("generated/docs/agent_vb.md")).unwrap();
    assert!(md.contains("reconstructed name"), "reconstructed names are not marked");
    assert!(md.contains("server → client") && md.contains("client → server"));
    let aa = std::fs::read_to_string(root().join("generated/docs/agent_assist.md")).unwrap();
    assert!(aa.contains("(open: other values allowed)"), "open enums are not marked");
    assert!(aa.contains(r#"Envelope: `{"topic": "sound_info", "data": <SoundInfo>}`"#), "envelope line missing");
    let cdr = std::fs::read_to_string(root().join("generated/docs/cdr.md")).unwrap();
    assert!(cdr.contains("producer → topic"));
    assert!(cdr.contains("Kafka topic `agent_assist_summary`") && cdr.contains("the record's dialog_id"), "kafka bindings missing");
    let index = std::fs::read_to_string(root().join("generated/docs/index.html")).unwrap();
    for m in ["agent_assist.html", "agent_vb.html", "cdr.html"] {
        assert!(index.contains(m), "index.html does not link {m}");
    }
}
