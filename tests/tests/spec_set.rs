//! The spec set under asyncapi/: complete against the seeds, valid against the official
//! AsyncAPI 3.0.0 JSON Schema, and accepted by `validate`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use asyncapi_codegen::__private::{Loc, SourceSet};
use asyncapi_codegen::LoadOptions;
use serde_json::Value;
use workspace_tests::root;

const DOCUMENTS: [&str; 3] = ["agent-assist.yaml", "agent-vb.yaml", "agent-assist-cdr.yaml"];

fn load(name: &str) -> (SourceSet, Loc) {
    let path = root().join("asyncapi").join(name);
    let (set, ids) = SourceSet::load(&[path], &LoadOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    (set, Loc::new(ids[0], ""))
}

/// Places where AsyncAPI 3.0 requires a Reference Object: they stay references.
fn must_stay_reference(pointer: &str) -> bool {
    let parts: Vec<&str> = pointer.split('/').collect();
    matches!(
        parts.as_slice(),
        ["", "operations", _, "channel"]
            | ["", "operations", _, "messages", _]
            | ["", "operations", _, "reply", "channel"]
            | ["", "operations", _, "reply", "messages", _]
            | ["", "channels", _, "servers", _]
    )
}

/// The document with every `$ref` (across files too) replaced by its target, except where the
/// spec requires references.
fn resolve(set: &SourceSet, loc: &Loc, at: &str, depth: usize) -> Value {
    assert!(depth < 64, "reference nesting too deep at {at}");
    let value = set.get(loc).cloned().unwrap_or(Value::Null);
    if set.ref_at(loc).is_some() && !must_stay_reference(at) {
        let target = set.deref(loc).unwrap_or_else(|d| panic!("{d}"));
        return resolve(set, &target, at, depth + 1);
    }
    match value {
        Value::Object(map) => Value::Object(
            map.keys()
                .map(|k| (k.clone(), resolve(set, &loc.child(k), &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), depth)))
                .collect(),
        ),
        Value::Array(items) => Value::Array((0..items.len()).map(|i| resolve(set, &loc.index(i), &format!("{at}/{i}"), depth)).collect()),
        other => other,
    }
}

fn resolved(name: &str) -> Value {
    let (set, loc) = load(name);
    resolve(&set, &loc, "", 0)
}

fn official_schema() -> Value {
    let dir = std::env::var_os("ASYNCAPI_SPECS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".cache/asyncapi-specs-6.11.1/package/schemas"));
    let path = dir.join("3.0.0-without-$id.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{}: {e}. Run scripts/install-test-deps.sh (scripts/test.sh does) to fetch @asyncapi/specs", path.display())
    });
    serde_json::from_str(&text).expect("schema is JSON")
}

#[test]
fn documents_pass_the_official_asyncapi_3_schema() {
    let schema = official_schema();
    let validator = jsonschema::validator_for(&schema).expect("official schema compiles");
    for name in DOCUMENTS {
        let doc = resolved(name);
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| format!("{} at {}", e, e.instance_path())).take(10).collect();
        assert!(errors.is_empty(), "{name} fails the official AsyncAPI 3.0.0 schema:\n{}", errors.join("\n"));
    }
}

#[test]
fn the_official_schema_check_catches_a_broken_document() {
    let schema = official_schema();
    let validator = jsonschema::validator_for(&schema).expect("official schema compiles");
    let mut doc = resolved("agent-vb.yaml");
    doc["channels"]["status"]["address"] = Value::from(42);
    assert!(!validator.is_valid(&doc), "a numeric channel address must be rejected");
}

#[test]
fn generator_validate_accepts_the_spec_set() {
    let v = asyncapi_codegen::validate(&[root().join("asyncapi")], &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(v.warnings.is_empty(), "the spec set has warnings: {:?}", v.warnings);
    let n = v.documents;
    assert_eq!(n, 3);
}

/// Every property name, const, address, Kafka topic and message name in a resolved document.
fn names(value: &Value, props: &mut BTreeSet<String>, words: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(p)) = map.get("properties") {
                props.extend(p.keys().cloned());
            }
            for key in ["const", "address", "topic", "name"] {
                if let Some(Value::String(s)) = map.get(key) {
                    words.insert(s.clone());
                }
            }
            for v in map.values() {
                names(v, props, words);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| names(v, props, words)),
        _ => {}
    }
}

#[test]
fn every_seed_field_and_topic_is_in_the_spec() {
    let coverage: Value = serde_json::from_str(&std::fs::read_to_string(root().join("tests/data/seed-coverage.json")).unwrap()).unwrap();
    let mut missing = Vec::new();
    for name in DOCUMENTS {
        let (mut props, mut words) = (BTreeSet::new(), BTreeSet::new());
        names(&resolved(name), &mut props, &mut words);
        let wanted = &coverage[name];
        assert!(wanted.is_object(), "seed-coverage.json lists nothing for {name}");
        for field in wanted["fields"].as_array().expect("fields") {
            let f = field.as_str().unwrap();
            if !props.contains(f) {
                missing.push(format!("{name}: field `{f}`"));
            }
        }
        for key in ["topics", "message_types"] {
            for topic in wanted[key].as_array().into_iter().flatten() {
                let t = topic.as_str().unwrap();
                if !words.contains(t) {
                    missing.push(format!("{name}: {key} `{t}`"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "not in the spec set:\n{}", missing.join("\n"));
}

#[test]
fn the_coverage_list_is_checked_against_something() {
    // Guards the completeness test itself: a name that is not in the spec is reported.
    let (mut props, mut words) = (BTreeSet::new(), BTreeSet::new());
    names(&resolved("agent-assist.yaml"), &mut props, &mut words);
    assert!(props.contains("latestSeqId") && props.contains("ageEstimate") && props.contains("user_sentiment"));
    assert!(!props.contains("no_such_field_anywhere"));
}

#[test]
fn seed_002_examples_are_in_the_spec_verbatim() {
    let doc = resolved("agent-assist-cdr.yaml");
    let mut found = Vec::new();
    for (_, m) in doc["components"]["messages"].as_object().expect("messages") {
        for ex in m["examples"].as_array().into_iter().flatten() {
            found.push(ex["payload"]["message_type"].as_str().unwrap_or_default().to_string());
        }
    }
    for t in ["agent_assist_start", "agent_assist_step", "agent_assist_end"] {
        assert!(found.iter().any(|f| f == t), "no example for {t}");
    }
    // The step example keeps the seed's quirks.
    let step = doc["components"]["messages"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|m| m["examples"].as_array().cloned().unwrap_or_default())
        .find(|e| e["payload"]["message_type"] == "agent_assist_step")
        .unwrap();
    assert_eq!(step["payload"]["step_duration"], "3862");
    assert_eq!(step["payload"]["antifraud"], serde_json::json!({}));
}

#[test]
fn generated_crate_has_one_module_per_document() {
    let lib = std::fs::read_to_string(root().join("generated/src/lib.rs")).unwrap();
    for m in ["agent_assist", "agent_vb", "cdr"] {
        assert!(lib.contains(&format!("pub mod {m};")), "generated/src/lib.rs lacks module {m}");
    }
}

#[test]
fn every_message_has_an_example() {
    for name in DOCUMENTS {
        let doc = resolved(name);
        for (key, m) in doc["components"]["messages"].as_object().expect("components/messages") {
            let n = m["examples"].as_array().map(Vec::len).unwrap_or(0);
            assert!(n >= 1, "{name}: message `{key}` has no example");
        }
    }
}

#[test]
fn reconstructed_names_are_marked_and_explained() {
    // Seed 001 lost its field names: each reconstructed property carries the marker and says so.
    fn walk(v: &Value, at: &str, marked: &mut usize, bad: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if map.get("x-name-source").and_then(Value::as_str) == Some("reconstructed") {
                    *marked += 1;
                    let d = map.get("description").and_then(Value::as_str).unwrap_or_default().to_lowercase();
                    if !d.contains("reconstructed") {
                        bad.push(at.to_string());
                    }
                }
                for (k, c) in map {
                    walk(c, &format!("{at}/{k}"), marked, bad);
                }
            }
            Value::Array(items) => items.iter().enumerate().for_each(|(i, c)| walk(c, &format!("{at}/{i}"), marked, bad)),
            _ => {}
        }
    }
    let (set, loc) = load("agent-vb.yaml");
    let raw = set.get(&loc).unwrap().clone();
    let (mut marked, mut bad) = (0, Vec::new());
    walk(&raw, "", &mut marked, &mut bad);
    assert!(marked >= 20, "expected every reconstructed AgentVB name to be marked, found {marked}");
    assert!(bad.is_empty(), "marked without a sentence in the description: {bad:?}");
}

/// The three example payloads of seed 002, in the order the seed gives them.
fn seed_002_examples() -> Vec<Value> {
    let seeds = root().parent().expect("parent").join("shared/seeds");
    let file = std::fs::read_dir(&seeds)
        .unwrap_or_else(|e| panic!("{}: {e} (the seeds sit beside the repository)", seeds.display()))
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("002_"))
        .expect("seed 002");
    let text = std::fs::read_to_string(file).unwrap();
    let mut out = Vec::new();
    let mut block: Option<String> = None;
    for line in text.lines() {
        match &mut block {
            None if line == "{" => block = Some(String::from("{\n")),
            Some(b) => {
                b.push_str(line);
                b.push('\n');
                if line == "}" {
                    out.push(serde_json::from_str(b).expect("seed example is JSON"));
                    block = None;
                }
            }
            None => {}
        }
    }
    out
}

#[test]
fn seed_002_examples_are_verbatim_with_key_order() {
    let seed = seed_002_examples();
    assert_eq!(seed.len(), 3, "seed 002 has three example payloads");
    let doc = resolved("agent-assist-cdr.yaml");
    let in_spec: Vec<Value> = doc["components"]["messages"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|m| m["examples"].as_array().cloned().unwrap_or_default())
        .map(|e| e["payload"].clone())
        .collect();
    for example in &seed {
        let text = serde_json::to_string(example).unwrap();
        assert!(
            in_spec.iter().any(|e| serde_json::to_string(e).unwrap() == text),
            "seed example `{}` is not in the spec verbatim (same keys, values and order)",
            example["message_type"]
        );
    }
}
