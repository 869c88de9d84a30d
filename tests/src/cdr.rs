//! CDR records for the Kafka tests, built from the spec's own examples.

use std::sync::OnceLock;

use agent_assist_api::cdr::AgentAssistStep;
use serde_json::Value;

use crate::root;

/// The payloads of a CDR message's examples in `asyncapi/agent-assist-cdr.yaml`, by component key.
pub fn spec_examples(message: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(root().join("asyncapi/agent-assist-cdr.yaml")).expect("spec");
    let doc: Value = serde_yaml_ng::from_str(&text).expect("yaml");
    doc["components"]["messages"][message]["examples"].as_array().expect("examples").iter().map(|e| e["payload"].clone()).collect()
}

/// The first example of a CDR message, decoded.
pub fn example<T: serde::de::DeserializeOwned>(message: &str) -> T {
    serde_json::from_value(spec_examples(message).remove(0)).expect("the spec example decodes")
}

/// Step `n` of call `call` (dialog id `call-<call>`, the record's key), from the spec's first step example.
pub fn step(call: usize, n: i64) -> AgentAssistStep {
    static EXAMPLE: OnceLock<AgentAssistStep> = OnceLock::new();
    let mut s = EXAMPLE.get_or_init(|| example("agentAssistStep")).clone();
    s.dialog_id = format!("call-{call}");
    s.step = Some(n);
    s
}
