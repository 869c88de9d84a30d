//! The per-topic registry schemas (`generated/schemas/<topic>.json`, Tansu's file-registry layout):
//! every spec example of a topic's messages is accepted, records that fit no message are not.
//! Like Tansu, the checks compile `properties.value` on its own and validate the record value with it.
//! `tests/kafka.rs` checks the same files loaded into a running broker.

use serde_json::{json, Value};
use workspace_tests::root;

fn validator(topic: &str) -> jsonschema::Validator {
    let path = root().join("generated/schemas").join(format!("{topic}.json"));
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap();
    assert_eq!(schema["type"], "object");
    assert!(schema["properties"]["value"].is_object(), "the record value sits under properties.value");
    assert!(schema.get("definitions").is_none(), "definitions must sit inside properties.value, which is compiled alone");
    jsonschema::validator_for(&schema["properties"]["value"]).expect("the value schema compiles on its own")
}

/// Spec examples per topic.
fn examples() -> Vec<(String, Value)> {
    let text = std::fs::read_to_string(root().join("asyncapi/agent-assist-cdr.yaml")).unwrap();
    let doc: Value = serde_yaml_ng::from_str(&text).unwrap();
    let mut out = Vec::new();
    for channel in doc["channels"].as_object().unwrap().values() {
        let topic = channel["bindings"]["kafka"]["topic"].as_str().unwrap().to_string();
        for r in channel["messages"].as_object().unwrap().values() {
            let key = r["$ref"].as_str().unwrap().rsplit('/').next().unwrap();
            for ex in doc["components"]["messages"][key]["examples"].as_array().into_iter().flatten() {
                out.push((topic.clone(), ex["payload"].clone()));
            }
        }
    }
    out
}

#[test]
fn every_topic_has_a_registry_schema_that_accepts_its_examples() {
    let examples = examples();
    assert!(examples.len() >= 3);
    for (topic, payload) in &examples {
        let v = validator(topic);
        let errors: Vec<String> = v.iter_errors(payload).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{topic}: example rejected: {errors:?}");
    }
    let mut files: Vec<String> = std::fs::read_dir(root().join("generated/schemas")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    files.sort();
    assert_eq!(files, ["agent_assist_step.json", "agent_assist_summary.json"]);
}

#[test]
fn records_that_fit_no_message_of_the_topic_are_rejected() {
    let examples = examples();
    let step = examples.iter().find(|(t, _)| t == "agent_assist_step").unwrap().1.clone();
    let start = examples.iter().find(|(t, p)| t == "agent_assist_summary" && p["message_type"] == "agent_assist_start").unwrap().1.clone();
    let cases = [
        ("agent_assist_step", start.clone()),
        ("agent_assist_summary", step.clone()),
        ("agent_assist_summary", json!({"message_type": "agent_assist_unknown", "dialog_id": "d"})),
        ("agent_assist_summary", json!({"message_type": "agent_assist_start", "dialog_id": 5})),
        ("agent_assist_step", json!({"message_type": "agent_assist_step", "dialog_id": "d", "step": "one"})),
        ("agent_assist_step", json!({"message_type": "agent_assist_step"})),
        ("agent_assist_step", json!(["not", "an", "object"])),
    ];
    for (topic, record) in cases {
        assert!(!validator(topic).is_valid(&record), "{topic} accepted {record}");
    }
}
