//! AsyncAPI 2.x documents: our conversion to 3.0 checked against the official converter (npm
//! `@asyncapi/converter`, installed by `scripts/install-test-deps.sh`) with our semantic `diff`,
//! and both ends against the official JSON Schemas (npm `@asyncapi/specs`).

use std::path::{Path, PathBuf};
use std::process::Command;

use asyncapi_codegen::diff::Classification;
use serde_json::Value;
use workspace_tests::{fixture_name, fixtures, root};

/// Differences where the official converter is known to be wrong, by fixture and change kind,
/// with the spec text that decides it. Every entry must still be observed (so the list cannot
/// go stale).
const OFFICIAL_DIFFERS: &[(&str, &str, &str)] = &[];

/// The 2.x fixtures: the valid ones named `v2-*`.
fn v2_fixtures() -> Vec<PathBuf> {
    let list: Vec<PathBuf> = fixtures("valid").into_iter().filter(|p| fixture_name(p).starts_with("v2-")).collect();
    assert!(list.len() >= 13, "expected a 2.x fixture per construct and five realistic ones, found {}", list.len());
    list
}

/// A fixture's AsyncAPI document: the file, or a directory's `asyncapi.yaml`.
fn document(fixture: &Path) -> PathBuf {
    if fixture.is_dir() {
        fixture.join("asyncapi.yaml")
    } else {
        fixture.to_path_buf()
    }
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

/// A scratch directory for one side of a fixture: empty, or a copy of a directory fixture (so
/// relative `$ref`s to its fragments resolve from the converted document too).
fn side(scratch: &Path, name: &str, fixture: &Path) -> PathBuf {
    let dir = scratch.join(name);
    if fixture.is_dir() {
        copy_dir(fixture, &dir);
        std::fs::remove_file(dir.join("asyncapi.yaml")).unwrap();
    } else {
        std::fs::create_dir_all(&dir).unwrap();
    }
    dir
}

fn official_convert(input: &Path, output: &Path) {
    let node_modules = std::env::var("ASYNCAPI_CONVERTER_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root().join(".cache/asyncapi-converter-2.0.2/node_modules"));
    assert!(
        node_modules.join("@asyncapi/converter").is_dir(),
        "{}: run scripts/install-test-deps.sh (scripts/test.sh does) to fetch @asyncapi/converter",
        node_modules.display()
    );
    let out = Command::new("node")
        .arg(root().join("tests/converter/official-convert.js"))
        .arg(input)
        .arg(output)
        .env("NODE_PATH", &node_modules)
        .output()
        .expect("node runs");
    assert!(out.status.success(), "official converter failed on {}: {}", input.display(), String::from_utf8_lossy(&out.stderr));
}

fn read_yaml(path: &Path) -> Value {
    serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn official_schema(version: &str) -> jsonschema::Validator {
    let dir = std::env::var_os("ASYNCAPI_SPECS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".cache/asyncapi-specs-6.11.1/package/schemas"));
    let path = dir.join(format!("{version}-without-$id.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}. Run scripts/install-test-deps.sh", path.display()));
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).expect("official schema compiles")
}

fn schema_errors(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    validator.iter_errors(doc).map(|e| format!("{e} at {}", e.instance_path())).take(5).collect()
}

#[test]
fn each_2x_fixture_is_valid_against_the_official_schema_of_its_version() {
    let mut failures = Vec::new();
    for fixture in v2_fixtures() {
        let doc = read_yaml(&document(&fixture));
        let version = doc["asyncapi"].as_str().expect("asyncapi version");
        let minor = version.rsplit_once('.').map_or(version, |(m, _)| m);
        let errors = schema_errors(&official_schema(&format!("{minor}.0")), &doc);
        if !errors.is_empty() {
            failures.push(format!("{}: not valid AsyncAPI {version}:\n  {}", fixture_name(&fixture), errors.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn our_conversion_matches_the_official_converter_and_the_3_0_schema() {
    let schema_3_0 = official_schema("3.0.0");
    let scratch = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut observed = Vec::new();
    for fixture in v2_fixtures() {
        let name = fixture_name(&fixture);
        let input = document(&fixture);
        let official_dir = side(scratch.path(), &format!("{name}-official"), &fixture);
        let ours_dir = side(scratch.path(), &format!("{name}-ours"), &fixture);
        let file = format!("{name}.yaml");
        official_convert(&input, &official_dir.join(&file));
        let conversion = asyncapi_codegen::convert(&input, &Default::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        std::fs::write(ours_dir.join(&file), serde_yaml_ng::to_string(&conversion.document).unwrap()).unwrap();

        let errors = schema_errors(&schema_3_0, &conversion.document);
        if !errors.is_empty() {
            failures.push(format!("{name}: our conversion is not valid AsyncAPI 3.0.0:\n  {}", errors.join("\n  ")));
        }
        let official = official_dir.join(&file).to_string_lossy().to_string();
        let ours = ours_dir.join(&file).to_string_lossy().to_string();
        let report = asyncapi_codegen::diff::diff(&[official], &[ours], &[]).unwrap_or_else(|e| panic!("{name}: diff: {e}"));
        for change in report.changes.iter().filter(|c| c.classification != Classification::Docs) {
            match OFFICIAL_DIFFERS.iter().find(|(f, kind, _)| *f == name && *kind == change.kind) {
                Some(known) => observed.push(*known),
                None => failures.push(format!("{name}: {:?} {} at {}: {}", change.classification, change.kind, change.path, change.reason)),
            }
        }
    }
    for known in OFFICIAL_DIFFERS {
        if !observed.contains(known) {
            failures.push(format!("documented difference not seen any more: {known:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A URI fragment's `%XX` escapes decoded.
fn percent_decoded(fragment: &str) -> String {
    let mut bytes = Vec::new();
    let mut rest = fragment.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        match (b, tail) {
            (b'%', [h, l, more @ ..]) => {
                bytes.push(u8::from_str_radix(std::str::from_utf8(&[*h, *l]).unwrap(), 16).expect("hex escape"));
                rest = more;
            }
            _ => {
                bytes.push(b);
                rest = tail;
            }
        }
    }
    String::from_utf8(bytes).expect("UTF-8")
}

/// The converted document says what the 2.x one said, read back through the 3.0 reader: every
/// 2.x operation is an operation, every message a message, with the same direction.
#[test]
fn converted_documents_keep_every_operation_and_message() {
    for fixture in v2_fixtures() {
        let name = fixture_name(&fixture);
        let source = read_yaml(&document(&fixture));
        let converted = asyncapi_codegen::convert(&document(&fixture), &Default::default()).unwrap().document;
        let mut expected = Vec::new();
        for (address, channel) in source["channels"].as_object().unwrap() {
            for (verb, action) in [("publish", "receive"), ("subscribe", "send")] {
                let Some(op) = channel.get(verb) else { continue };
                let messages = op["message"].get("oneOf").and_then(Value::as_array).map_or(1, Vec::len);
                expected.push((address.clone(), action.to_string(), messages));
            }
        }
        let mut found = Vec::new();
        for op in converted["operations"].as_object().unwrap().values() {
            let channel = op["channel"]["$ref"].as_str().unwrap().trim_start_matches("#/channels/");
            let channel = &converted["channels"][&percent_decoded(channel).replace("~1", "/").replace("~0", "~")];
            found.push((channel["address"].as_str().unwrap().to_string(), op["action"].as_str().unwrap().to_string(), op["messages"].as_array().unwrap().len()));
        }
        expected.sort();
        found.sort();
        assert_eq!(found, expected, "{name}");
    }
}

/// `conform` and `diff` read 2.x documents like 3.0 ones.
#[test]
fn conform_and_diff_read_2x_documents() {
    use asyncapi_codegen::conform::{run, Checker, Framing};
    let spec = root().join("tests/fixtures/valid/v2-realistic-chat-gateway.yaml");
    let checker = Checker::new(std::slice::from_ref(&spec)).expect("2.x spec loads");
    let capture = concat!(
        r#"{"channel": "/ws", "message": {"type": "post_message", "room": "general", "text": "Hi"}}"#,
        "\n",
        r#"{"channel": "/ws", "message": {"type": "presence", "user": {"id": "u-1", "name": "Ada"}, "status": "online"}}"#,
        "\n",
        r#"{"channel": "/ws", "message": {"type": "presence", "user": {"id": "u-1", "name": "Ada"}, "status": "busy"}}"#,
        "\n",
        r#"{"channel": "/ws", "message": {"type": "typing"}}"#,
        "\n",
    );
    let report = run(&checker, std::io::Cursor::new(capture), &Framing::Wrapped, "capture").unwrap();
    assert_eq!((report.lines, report.conforming), (4, 2), "{:?}", report.failures);
    let reasons: Vec<(usize, &str, &str)> = report.failures.iter().map(|f| (f.line, f.path.as_str(), f.reason)).collect();
    assert_eq!(reasons, [(3, "/status", "closed-enum"), (4, "/room", "missing-required")]);

    // A 2.x document against its own 3.0 conversion: nothing changed.
    let scratch = tempfile::tempdir().unwrap();
    let converted = scratch.path().join("v2-realistic-chat-gateway.yaml");
    let document = asyncapi_codegen::convert(&spec, &Default::default()).unwrap().document;
    std::fs::write(&converted, serde_yaml_ng::to_string(&document).unwrap()).unwrap();
    let report = asyncapi_codegen::diff::diff(&[spec.to_string_lossy().into()], &[converted.to_string_lossy().into()], &[]).unwrap();
    assert!(report.changes.is_empty(), "{:?}", report.changes);
    // And a real change between two 2.x versions is found: a message removed from what the gateway sends.
    let older = scratch.path().join("old/v2-realistic-chat-gateway.yaml");
    std::fs::create_dir_all(older.parent().unwrap()).unwrap();
    let text = std::fs::read_to_string(&spec).unwrap();
    let edited = text.replace("          - $ref: '#/components/messages/Presence'\n", "");
    assert_ne!(edited, text);
    std::fs::write(&older, text).unwrap();
    let newer = scratch.path().join("new/v2-realistic-chat-gateway.yaml");
    std::fs::create_dir_all(newer.parent().unwrap()).unwrap();
    std::fs::write(&newer, edited).unwrap();
    let report = asyncapi_codegen::diff::diff(&[older.to_string_lossy().into()], &[newer.to_string_lossy().into()], &[]).unwrap();
    assert!(report.fails(), "{:?}", report.changes);
    assert!(report.changes.iter().any(|c| c.path.contains("presence")), "{:?}", report.changes);
}

/// A 2.x document whose server is a `$ref` to another file (the official converter leaves such
/// servers as they are): read with the server converted, and `convert` says the file needs it too.
#[test]
fn servers_in_other_files_are_converted_for_reading() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("common")).unwrap();
    std::fs::write(
        dir.path().join("common/servers.yaml"),
        "gateway:\n  url: ws://gateway.example.com:8080/live\n  protocol: ws\n  description: The gateway.\n",
    )
    .unwrap();
    let doc = dir.path().join("api.yaml");
    std::fs::write(
        &doc,
        "asyncapi: 2.6.0
info: {title: Live, version: 1.0.0}
servers:
  gateway:
    $ref: './common/servers.yaml#/gateway'
channels:
  scores:
    subscribe:
      operationId: sendScore
      message:
        payload: {type: object, required: [home], properties: {home: {type: integer}}}
        examples:
          - payload: {home: 1}
",
    )
    .unwrap();
    let rendered = asyncapi_codegen::Generator::new([&doc]).crate_name("live").render().unwrap_or_else(|e| panic!("{e}"));
    let docs = &rendered.files[&PathBuf::from("docs/api.md")];
    assert!(docs.contains("gateway.example.com:8080") && docs.contains("/live"), "{docs}");
    assert!(rendered.files.contains_key(&PathBuf::from("src/api/server.rs")), "a ws server is generated");
    let conversion = asyncapi_codegen::convert(&doc, &Default::default()).unwrap();
    assert_eq!(conversion.document["servers"]["gateway"]["$ref"], "./common/servers.yaml#/gateway");
    assert!(
        conversion.warnings.iter().any(|w| w.code.as_str() == "converted" && w.file.ends_with("common/servers.yaml")),
        "{:?}",
        conversion.warnings
    );
}
