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

/// One `(path, what was expected)` per validation error.
fn reasons(validator: &jsonschema::Validator, instance: &Value) -> Vec<(String, String)> {
    use jsonschema::error::ValidationErrorKind as K;
    validator
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
        .collect()
}

/// Checks the examples of every message (payload and headers) and records each mismatch on the
/// example; returns one warning per validation error, located at the example's value.
pub fn check(set: &SourceSet, messages: &mut [IrMessage]) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    for m in messages.iter_mut() {
        // A schema the validator cannot compile is left to `generate`'s own errors.
        let compile = |loc: &Option<Loc>| {
            let schema = crate::bundle::bundle(set, loc.as_ref()?);
            jsonschema::options().with_draft(jsonschema::Draft::Draft7).build(&schema).ok()
        };
        let validators = [("payload", compile(&m.payload_schema)), ("headers", compile(&m.headers_schema))];
        for ex in &mut m.examples {
            for (part, validator) in &validators {
                let value = if *part == "payload" { &ex.payload } else { &ex.headers };
                let (Some(validator), Some(value)) = (validator, value) else { continue };
                let mut found = Vec::new();
                for (path, what) in reasons(validator, value) {
                    let at = Loc::new(ex.loc.file, format!("{}/{part}{path}", ex.loc.pointer));
                    // The line of the offending value where it is written out, else of the part.
                    let line_at = if set.get(&at).is_some() { at.clone() } else { ex.loc.child(part) };
                    let mut d = set.diag(Code::ExampleMismatch, &line_at, what.clone()).warning();
                    d.pointer = set.display_pointer(&at);
                    found.push(format!("{part}{path}: {what}"));
                    warnings.push(d);
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
