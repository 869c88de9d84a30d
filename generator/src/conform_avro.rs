//! Avro's JSON encoding in captures: a non-null union value is wrapped in an object keyed by its
//! branch (`{"string": "x"}`, `{"com.example.Card": {...}}`), and `bytes`/`fixed` are strings
//! of code points 0–255. [`AvroJson::plain`] turns such a message into the plain JSON the
//! payload's schema describes, guided by the Avro schema.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::spec::avro::{full_name, PRIMITIVES};

/// The Avro schemas of a document: named types by full name, for resolving references.
#[derive(Debug, Default)]
pub(crate) struct AvroJson {
    named: BTreeMap<String, (Value, Option<String>)>,
}

impl AvroJson {
    /// Collects the named types declared in `schemas`.
    pub(crate) fn new<'a>(schemas: impl IntoIterator<Item = &'a Value>) -> Self {
        let mut out = AvroJson::default();
        for s in schemas {
            out.collect(s, None);
        }
        out
    }

    fn collect(&mut self, schema: &Value, namespace: Option<&str>) {
        match schema {
            Value::Array(branches) => branches.iter().for_each(|b| self.collect(b, namespace)),
            Value::Object(o) => match o.get("type") {
                Some(Value::String(kind)) if matches!(kind.as_str(), "record" | "error" | "enum" | "fixed") => {
                    let Some(name) = o.get("name").and_then(Value::as_str) else { return };
                    let full = full_name(name, o.get("namespace").and_then(Value::as_str).or(namespace));
                    let inner = full.rsplit_once('.').map(|(ns, _)| ns.to_string());
                    if self.named.contains_key(&full) {
                        return;
                    }
                    self.named.insert(full, (schema.clone(), inner.clone()));
                    for f in o.get("fields").and_then(Value::as_array).into_iter().flatten() {
                        if let Some(t) = f.get("type") {
                            self.collect(t, inner.as_deref());
                        }
                    }
                }
                Some(Value::String(kind)) if kind == "array" => {
                    if let Some(items) = o.get("items") {
                        self.collect(items, namespace);
                    }
                }
                Some(Value::String(kind)) if kind == "map" => {
                    if let Some(values) = o.get("values") {
                        self.collect(values, namespace);
                    }
                }
                Some(inner @ (Value::Object(_) | Value::Array(_))) => self.collect(inner, namespace),
                _ => {}
            },
            _ => {}
        }
    }

    /// The named type `name` refers to from `namespace`.
    fn lookup(&self, name: &str, namespace: Option<&str>) -> Option<&(Value, Option<String>)> {
        self.named.get(&full_name(name, namespace)).or_else(|| self.named.get(name))
    }

    /// `value`, written in Avro's JSON encoding of `schema`, as plain JSON. Values that do not
    /// follow the encoding are left as they are, for the schema check to report.
    pub(crate) fn plain(&self, value: Value, schema: &Value, namespace: Option<&str>) -> Value {
        self.plain_at(value, schema, namespace, 0)
    }

    fn plain_at(&self, value: Value, schema: &Value, namespace: Option<&str>, depth: usize) -> Value {
        if depth > 64 {
            return value;
        }
        match schema {
            Value::String(name) => match name.as_str() {
                "bytes" => code_points(value),
                p if PRIMITIVES.contains(&p) => value,
                other => match self.lookup(other, namespace) {
                    Some((named, ns)) => self.plain_at(value, named, ns.as_deref(), depth + 1),
                    None => value,
                },
            },
            Value::Array(branches) => self.union(value, branches, namespace, depth),
            Value::Object(o) => match o.get("type") {
                Some(Value::String(kind)) => match kind.as_str() {
                    "record" | "error" => {
                        let ns = o.get("name").and_then(Value::as_str).map(|n| full_name(n, o.get("namespace").and_then(Value::as_str).or(namespace)));
                        let ns = ns.as_deref().and_then(|f| f.rsplit_once('.')).map(|(ns, _)| ns.to_string());
                        let Value::Object(mut fields) = value else { return value };
                        for f in o.get("fields").and_then(Value::as_array).into_iter().flatten() {
                            let (Some(name), Some(ty)) = (f.get("name").and_then(Value::as_str), f.get("type")) else { continue };
                            if let Some(v) = fields.remove(name) {
                                fields.insert(name.to_string(), self.plain_at(v, ty, ns.as_deref(), depth + 1));
                            }
                        }
                        Value::Object(fields)
                    }
                    "fixed" | "bytes" => code_points(value),
                    "array" => match (value, o.get("items")) {
                        (Value::Array(items), Some(ty)) => Value::Array(items.into_iter().map(|v| self.plain_at(v, ty, namespace, depth + 1)).collect()),
                        (other, _) => other,
                    },
                    "map" => match (value, o.get("values")) {
                        (Value::Object(m), Some(ty)) => {
                            Value::Object(m.into_iter().map(|(k, v)| (k, self.plain_at(v, ty, namespace, depth + 1))).collect())
                        }
                        (other, _) => other,
                    },
                    "enum" => value,
                    other => self.plain_at(value, &Value::String(other.to_string()), namespace, depth + 1),
                },
                Some(inner) => self.plain_at(value, inner, namespace, depth + 1),
                None => value,
            },
            _ => value,
        }
    }

    /// A union value: `null`, or `{"<branch>": value}` unwrapped by the branch it names.
    fn union(&self, value: Value, branches: &[Value], namespace: Option<&str>, depth: usize) -> Value {
        let key = match &value {
            Value::Object(wrapper) if wrapper.len() == 1 => wrapper.keys().next().cloned().unwrap_or_default(),
            _ => return value,
        };
        let names = |b: &Value| self.branch_name(b, namespace);
        let Some(branch) = branches.iter().find(|b| names(b).is_some_and(|n| n == key || n.rsplit('.').next() == Some(key.as_str()))) else {
            return value;
        };
        match value {
            Value::Object(mut wrapper) => {
                let inner = wrapper.remove(&key).unwrap_or(Value::Null);
                self.plain_at(inner, branch, namespace, depth + 1)
            }
            other => other,
        }
    }

    /// The name Avro's JSON encoding gives a union branch: a primitive's type name, a named
    /// type's full name, `array` or `map`.
    fn branch_name(&self, branch: &Value, namespace: Option<&str>) -> Option<String> {
        match branch {
            Value::String(name) if PRIMITIVES.contains(&name.as_str()) => Some(name.clone()),
            Value::String(name) => Some(full_name(name, namespace)),
            Value::Object(o) => {
                let kind = o.get("type")?.as_str()?;
                match kind {
                    "record" | "error" | "enum" | "fixed" => {
                        let name = o.get("name")?.as_str()?;
                        Some(full_name(name, o.get("namespace").and_then(Value::as_str).or(namespace)))
                    }
                    other => Some(other.to_string()),
                }
            }
            _ => None,
        }
    }
}

/// A string of code points 0–255 (Avro's JSON encoding of bytes) as an array of byte values.
fn code_points(value: Value) -> Value {
    match value {
        Value::String(s) if s.chars().all(|c| (c as u32) < 256) => Value::Array(s.chars().map(|c| Value::from(c as u32)).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn union_wrappers_and_byte_strings_become_plain_json() {
        let schema = json!({"type": "record", "name": "Payment", "namespace": "com.example", "fields": [
            {"name": "note", "type": ["null", "string"]},
            {"name": "amount", "type": ["long", "double"]},
            {"name": "method", "type": [
                {"type": "record", "name": "Card", "fields": [{"name": "last4", "type": "string"}]},
                {"type": "record", "name": "Transfer", "fields": [{"name": "iban", "type": "string"}]}]},
            {"name": "raw", "type": "bytes"},
            {"name": "tags", "type": {"type": "array", "items": ["null", "Card"]}}]});
        let avro = AvroJson::new([&schema]);
        let encoded = json!({
            "note": {"string": "Dinner"},
            "amount": {"double": 12.5},
            "method": {"com.example.Transfer": {"iban": "DE00"}},
            "raw": "hi\u{00ff}",
            "tags": [null, {"Card": {"last4": "4242"}}],
        });
        let plain = avro.plain(encoded, &schema, None);
        assert_eq!(
            plain,
            json!({"note": "Dinner", "amount": 12.5, "method": {"iban": "DE00"}, "raw": [104, 105, 255], "tags": [null, {"last4": "4242"}]})
        );
        // Plain JSON passes through unchanged.
        let already = json!({"note": null, "amount": 3, "method": {"last4": "1"}, "raw": [1], "tags": []});
        assert_eq!(avro.plain(already.clone(), &schema, None), already);
    }
}
