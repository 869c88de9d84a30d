//! Avro payloads through `diff`: schema changes get the schema registry's compatibility verdicts
//! that Avro's resolution rules give (readers ignore fields they do not know, a missing field
//! takes the reader's default).

use asyncapi_codegen::diff::diff;
use workspace_tests::root;

/// `(backward, forward)` of the fixture's topic after replacing `from` with `to`.
fn verdict(from: &str, to: &str) -> (bool, bool) {
    let fixture = root().join("tests/fixtures/valid/avro-records.yaml");
    let text = std::fs::read_to_string(&fixture).unwrap();
    assert!(text.contains(from), "the fixture no longer contains {from:?}");
    let dir = tempfile::tempdir().unwrap();
    for (side, body) in [("old", text.clone()), ("new", text.replace(from, to))] {
        std::fs::create_dir_all(dir.path().join(side)).unwrap();
        std::fs::write(dir.path().join(side).join("avro-records.yaml"), body).unwrap();
    }
    let path = |side: &str| dir.path().join(side).to_string_lossy().to_string();
    let report = diff(&[path("old")], &[path("new")], &[]).unwrap_or_else(|e| panic!("{e}"));
    let topic = report.summary.kafka.iter().find(|t| t.topic == "accounts.v1").expect("the topic's verdict");
    (topic.backward, topic.forward)
}

const VERSION: &str = "            - name: version\n              type: long\n";

#[test]
fn a_field_added_with_a_default_is_fully_compatible() {
    let to = format!("{VERSION}            - name: region\n              type: string\n              default: eu\n");
    assert_eq!(verdict(VERSION, &to), (true, true));
}

#[test]
fn a_field_added_without_a_default_is_forward_compatible_only() {
    // New readers cannot fill it in for old records; old readers ignore it.
    let to = format!("{VERSION}            - name: region\n              type: string\n");
    assert_eq!(verdict(VERSION, &to), (false, true));
}

#[test]
fn a_field_removed_without_a_default_is_backward_compatible_only() {
    // New readers ignore it in old records; old readers need it and have no default.
    assert_eq!(verdict(VERSION, ""), (true, false));
}

#[test]
fn a_field_whose_type_changes_is_incompatible() {
    let from = "              type: string\n              doc: The account's id.";
    let to = "              type: long\n              doc: The account's id.";
    assert_eq!(verdict(from, to), (false, false));
}

/// A union branch named by a type declared only under `components.schemas` (in Avro's JSON
/// encoding, `{"com.example.common.Money": {...}}`) is read like any other, inside and out.
#[test]
fn conform_knows_avro_types_declared_only_in_components() {
    use asyncapi_codegen::conform::{run, Checker, Framing};
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("refunds.yaml");
    std::fs::write(
        &spec,
        r#"asyncapi: 3.0.0
info: {title: Refunds, version: 1.0.0}
channels:
  refunds:
    address: refunds.v1
    messages:
      refund:
        payload:
          schemaFormat: application/vnd.apache.avro;version=1.9.0
          schema:
            type: record
            name: Refund
            namespace: com.example.billing
            fields:
              - {name: id, type: string}
              - {name: amount, type: ["null", com.example.common.Money], default: null}
operations:
  refund: {action: send, channel: {$ref: '#/channels/refunds'}}
components:
  schemas:
    Money:
      schemaFormat: application/vnd.apache.avro;version=1.9.0
      schema:
        type: record
        name: Money
        namespace: com.example.common
        fields: [{name: units, type: long}, {name: currency, type: string}, {name: note, type: ["null", string], default: null}]
"#,
    )
    .unwrap();
    let checker = Checker::new(std::slice::from_ref(&spec)).unwrap();
    let lines = [
        // The type's own fields are read in Avro's encoding too.
        r#"{"id": "r-1", "amount": {"com.example.common.Money": {"units": 5, "currency": "EUR", "note": {"string": "cash"}}}}"#,
        r#"{"id": "r-2", "amount": {"units": 5, "currency": "EUR"}}"#,
        r#"{"id": "r-3", "amount": {"com.example.common.Money": {"units": "5", "currency": "EUR"}}}"#,
    ];
    let capture: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let report = run(&checker, std::io::Cursor::new(capture), &Framing::Channel("refunds.v1".into()), "capture").unwrap();
    assert_eq!((report.lines, report.conforming), (3, 2), "{:?}", report.failures);
    assert_eq!(report.failures[0].line, 3, "{:?}", report.failures);
}

/// `conform` reads Avro payloads in plain JSON and in Avro's JSON encoding (union values wrapped
/// by their branch name), and still reports what neither reading accepts.
#[test]
fn conform_reads_avro_json_encoding() {
    use asyncapi_codegen::conform::{run, Checker, Framing};
    let spec = root().join("tests/fixtures/valid/avro-unions.yaml");
    let checker = Checker::new(std::slice::from_ref(&spec)).unwrap();
    let lines = [
        // Plain JSON, as the spec's examples are written.
        r#"{"id": "p-1", "note": "Dinner", "amount": 42, "method": {"last4": "4242", "kind": "CARD"}}"#,
        // Avro's JSON encoding of the same record.
        r#"{"id": "p-1", "note": {"string": "Dinner"}, "amount": {"long": 42}, "method": {"Card": {"last4": "4242", "kind": "CARD"}}}"#,
        r#"{"id": "p-2", "note": null, "amount": {"double": 12.5}, "method": {"Transfer": {"iban": "DE00", "kind": "TRANSFER"}}}"#,
        // A branch the union does not have.
        r#"{"id": "p-3", "amount": {"boolean": true}, "method": {"Card": {"last4": "1", "kind": "CARD"}}}"#,
        // A missing required field, in either reading.
        r#"{"note": {"string": "x"}, "amount": {"long": 1}, "method": {"Card": {"last4": "1", "kind": "CARD"}}}"#,
    ];
    let capture: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let report = run(&checker, std::io::Cursor::new(capture), &Framing::Channel("payments.v1".into()), "capture").unwrap();
    assert_eq!((report.lines, report.conforming), (5, 3), "{:?}", report.failures);
    let failed: Vec<(usize, &str)> = report.failures.iter().map(|f| (f.line, f.path.as_str())).collect();
    assert!(failed.iter().any(|(line, path)| *line == 4 && path.starts_with("/amount")), "{failed:?}");
    assert!(failed.iter().any(|(line, path)| *line == 5 && *path == "/id"), "{failed:?}");
}
