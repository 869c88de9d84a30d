//! `conform` on generated captures: every example in the spec conforms, and each kind of drift
//! is reported at its exact line with its field path.

use std::io::Cursor;

use asyncapi_codegen::conform::{run, Checker, Framing, Report};
use asyncapi_codegen::__private::SourceSet;
use asyncapi_codegen::LoadOptions;
use serde_json::{json, Value};
use workspace_tests::root;

fn checker() -> Checker {
    Checker::new(&[root().join("asyncapi")]).expect("spec set compiles")
}

fn check(lines: &[String], framing: &Framing) -> Report {
    run(&checker(), Cursor::new(lines.join("\n")), framing, "capture").expect("capture reads")
}

/// Every example of every message of the spec set, wrapped with its channel's address.
fn example_lines() -> Vec<String> {
    let mut out = Vec::new();
    for name in ["agent-assist.yaml", "agent-vb.yaml", "agent-assist-cdr.yaml"] {
        let (set, ids) = SourceSet::load(&[root().join("asyncapi").join(name)], &LoadOptions::default()).unwrap();
        let doc = set.get(&asyncapi_codegen::__private::Loc::new(ids[0], "")).unwrap().clone();
        for (_, channel) in doc["channels"].as_object().unwrap() {
            let address = channel["address"].as_str().unwrap().to_string();
            for (_, mref) in channel["messages"].as_object().unwrap() {
                let key = mref["$ref"].as_str().unwrap().rsplit('/').next().unwrap();
                let message = &doc["components"]["messages"][key];
                for ex in message["examples"].as_array().into_iter().flatten() {
                    out.push(json!({"channel": address, "message": ex["payload"]}).to_string());
                }
            }
        }
    }
    out
}

#[test]
fn every_spec_example_conforms() {
    let lines = example_lines();
    assert!(lines.len() >= 31, "expected an example per message, got {}", lines.len());
    let report = check(&lines, &Framing::Wrapped);
    assert!(report.conforms(), "{}", asyncapi_codegen::conform::text(&report));
    assert_eq!(report.conforming, lines.len());
    assert!(report.messages.len() >= 30, "examples should cover the messages: {:?}", report.messages.keys());
}

#[test]
fn each_kind_of_drift_is_reported_at_its_line() {
    let ok = |v: Value| json!({"channel": "/agent-vb-mw/ws/agent-vb", "message": v}).to_string();
    let cdr = |v: Value| json!({"channel": "agent_assist_step", "message": v}).to_string();
    let lines = vec![
        ok(json!({"topic": "status", "data": "BIO_ACTIVE"})),                                        // 1 conforms
        ok(json!({"topic": "error", "data": {}})),                                                  // 2 missing required `message`
        ok(json!({"topic": "status", "data": "BIO_ACTIVE", "extra": 1})),                            // 3 unknown field, closed envelope
        ok(json!({"topic": "tts_detection", "data": {"label": "GENUINE", "global_post": "high"}})), // 4 wrong type
        ok(json!({"topic": "status", "data": "NOT_A_STATUS"})),                                     // 5 closed enum
        ok(json!({"topic": "no_such_topic", "data": {}})),                                          // 6 unknown topic
        cdr(json!({"message_type": "agent_assist_nope", "dialog_id": "d"})),                        // 7 unknown message type
        "{not json".to_string(),                                                                    // 8 invalid JSON
        json!({"channel": "no-such-channel", "message": {}}).to_string(),                            // 9 unknown channel
        cdr(json!({"message_type": "agent_assist_step", "dialog_id": "d", "participant_type": "BOT"})), // 10 closed enum in CDR
        ok(json!({"topic": "debug", "data": "echo"})),                                              // 11 conforms
    ];
    let report = check(&lines, &Framing::Wrapped);
    let found: Vec<(usize, &str, &str)> = report.failures.iter().map(|f| (f.line, f.reason, f.path.as_str())).collect();
    let expected = [
        (2, "missing-required", "/data/message"),
        (3, "unknown-field", "/extra"),
        (4, "wrong-type", "/data/global_post"),
        (5, "closed-enum", "/data"),
        (6, "unknown-message", "/topic"),
        (7, "unknown-message", "/message_type"),
        (8, "invalid-json", ""),
        (9, "unknown-channel", ""),
        (10, "closed-enum", "/participant_type"),
    ];
    for e in expected {
        assert!(found.contains(&e), "missing {e:?} in {found:?}");
    }
    assert_eq!(found.len(), expected.len(), "unexpected extra failures: {found:?}");
    assert_eq!((report.lines, report.conforming), (11, 2));
    assert_eq!(report.messages["agent_vb:status"].lines, 3);
    assert_eq!(report.messages["agent_vb:status"].conforming, 1);
}

#[test]
fn const_mismatch_is_reported_when_the_channel_fixes_the_message() {
    // On the Kafka topic with one message type, a wrong `message_type` on a known record.
    let lines = vec![json!({"message_type": "agent_assist_step", "dialog_id": "d", "step": "one"}).to_string()];
    let report = check(&lines, &Framing::Channel("agent_assist_step".into()));
    assert_eq!(report.failures.len(), 1, "{:?}", report.failures);
    assert_eq!((report.failures[0].line, report.failures[0].reason, report.failures[0].path.as_str()), (1, "wrong-type", "/step"));
    let checker = checker();
    let value = json!({"topic": "status", "data": "BIO_ACTIVE"});
    assert!(checker.check(1, "status", &value).is_ok(), "a channel key names the channel too");
}

#[test]
fn plain_lines_on_a_named_channel() {
    let lines = vec![
        json!({"topic": "status", "data": "CALL_OPENED"}).to_string(),
        String::new(),
        json!({"topic": "status", "data": 7}).to_string(),
    ];
    let report = check(&lines, &Framing::Channel("/agent-vb-mw/ws/agent-vb".into()));
    assert_eq!(report.lines, 2, "blank lines are skipped");
    // 7 is both the wrong type and not one of the enum's values.
    assert!(!report.failures.is_empty());
    assert!(report.failures.iter().all(|f| f.line == 3 && f.path == "/data"), "line numbers count blank lines: {:?}", report.failures);
}
