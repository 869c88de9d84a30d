//! Building messages in Rust: `Default` where every field allows it, `new` with the required
//! fields, constant tags filled in; the wire form is what the spec says.

use agent_assist_api::{agent_assist, agent_vb, cdr};
use serde_json::json;

#[test]
fn default_fills_constant_tags_and_leaves_optional_fields_out() {
    let message = agent_vb::GetVerificationPayload::default();
    assert_eq!(serde_json::to_value(&message).unwrap(), json!({ "command": "GET_VERIFICATION" }));
    let dialog = agent_assist::DialogInfo::default();
    assert_eq!(serde_json::to_value(&dialog).unwrap(), json!({}));
}

#[test]
fn new_takes_the_required_fields_and_fills_the_envelope_tag() {
    let error = agent_vb::ErrorData::new("boom");
    assert_eq!(serde_json::to_value(&error).unwrap(), json!({ "message": "boom" }));
    let command = agent_assist::CommandRequestPayload::new(agent_assist::CommandName::GetDialog);
    assert_eq!(serde_json::to_value(&command).unwrap(), json!({ "command": "GET_DIALOG" }));
    let pushed = agent_assist::DialogInfoPayload::new(agent_assist::DialogInfo { latest_seq_id: Some(4), ..Default::default() });
    assert_eq!(serde_json::to_value(&pushed).unwrap(), json!({ "topic": "dialog_info", "data": { "latestSeqId": 4 } }));
    let decoded: agent_assist::DialogInfoPayload = serde_json::from_value(json!({ "topic": "dialog_info", "data": { "latestSeqId": 4 } })).unwrap();
    assert_eq!(decoded, pushed);
}

#[test]
fn a_record_is_built_from_its_required_fields() {
    let fields = cdr::AgentAssistRecordFields::new(cdr::MessageType::AgentAssistStep, "dialog-1");
    let value = serde_json::to_value(&fields).unwrap();
    assert_eq!(value, json!({ "message_type": "agent_assist_step", "dialog_id": "dialog-1" }));
}

#[test]
fn optional_nullable_fields_keep_absent_null_and_value_apart() {
    use agent_assist_api::Nullable;
    for (wire, state) in [
        (json!({}), Nullable::Absent),
        (json!({ "error_description": null }), Nullable::Null),
        (json!({ "error_description": "line dropped" }), Nullable::Value("line dropped".to_string())),
    ] {
        let call: agent_assist::CallInfo = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(call.error_description, state, "{wire}");
        assert_eq!(serde_json::to_value(&call).unwrap(), wire);
    }
    assert!(serde_json::from_value::<agent_assist::CallInfo>(json!({ "error_description": 3 })).is_err());
}
