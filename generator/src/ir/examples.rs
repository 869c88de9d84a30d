//! Message examples checked against their own schemas: a mismatch is a located warning, and the
//! generated round-trip test for that example is ignored with the reason.

use serde_json::Value;

use super::IrMessage;
use crate::diag::{Code, Diagnostic};
use crate::load::{Loc, SourceSet};

/// What a JSON value is, in JSON Schema's words.
fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// One line per validation error: `/path: what was expected`.
fn reasons(schema: &Value, instance: &Value) -> Result<Vec<(String, String)>, String> {
    use jsonschema::error::ValidationErrorKind as K;
    let validator = jsonschema::options().with_draft(jsonschema::Draft::Draft7).build(schema).map_err(|e| e.to_string())?;
    Ok(validator
        .iter_errors(instance)
        .map(|e| {
            let path = e.instance_path().to_string();
            let found = crate::diag::lookup(instance, &path);
            let what = match (e.kind(), found) {
                (K::Type { kind }, Some(v)) => {
                    let expected = format!("{kind:?}").to_lowercase().replace("single(", "").replace("multiple(", "").replace(')', "");
                    format!("expected {expected}, found {}", json_type(v))
                }
                (K::Required { property }, _) => format!("missing required property {property}"),
                _ => e.to_string(),
            };
            (path, what)
        })
        .collect())
}

/// Checks the examples of every message (payload and headers) and records each mismatch on the
/// example; returns one warning per mismatching part.
pub fn check(set: &SourceSet, messages: &mut [IrMessage]) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    for m in messages.iter_mut() {
        let bundled = [("payload", &m.payload_schema), ("headers", &m.headers_schema)].map(|(part, loc)| (part, loc.as_ref().map(|l| crate::bundle::bundle(set, l))));
        for ex in &mut m.examples {
            for (part, schema) in &bundled {
                let mut found = Vec::new();
                let (Some(schema), Some(value)) = (schema, if *part == "payload" { &ex.payload } else { &ex.headers }) else { continue };
                match reasons(schema, value) {
                    Ok(list) => {
                        for (path, what) in list {
                            let at = Loc::new(ex.loc.file, format!("{}/{part}{path}", ex.loc.pointer));
                            let line_at = if set.get(&at).is_some() { at.clone() } else { ex.loc.child(part) };
                            let mut d = set.diag(Code::ExampleMismatch, &line_at, what.clone()).warning();
                            d.pointer = set.diag(Code::ExampleMismatch, &at, "").pointer;
                            found.push(format!("{part}{path}: {what}"));
                            warnings.push(d);
                        }
                    }
                    // A schema the validator cannot compile is left to `generate`'s own errors.
                    Err(_) => continue,
                }
                let reason = (!found.is_empty()).then(|| found.join("; "));
                if *part == "payload" {
                    ex.payload_mismatch = reason;
                } else {
                    ex.headers_mismatch = reason;
                }
            }
        }
    }
    warnings
}
