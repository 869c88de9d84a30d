//! Traits, applied as AsyncAPI 3.0 says: JSON merge patch, in order, never overriding the target.

use serde_json::Value;

/// RFC 7386 merge patch of `patch` onto `target`.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(serde_json::Map::new());
            }
            let t = target.as_object_mut().expect("object");
            for (k, v) in p {
                if v.is_null() {
                    t.shift_remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// The effective object: traits merged in order, then the target on top so it always wins.
pub fn apply_traits(target: &Value, traits: &[Value]) -> Value {
    let mut merged = Value::Object(serde_json::Map::new());
    for t in traits {
        merge_patch(&mut merged, t);
    }
    let mut own = target.clone();
    if let Some(o) = own.as_object_mut() {
        o.shift_remove("traits");
    }
    merge_patch(&mut merged, &own);
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn target_wins_and_later_traits_override_earlier() {
        let target = json!({"contentType": "application/json", "traits": [], "bindings": {"ws": {"a": 1}}});
        let traits = [
            json!({"contentType": "text/plain", "summary": "first", "bindings": {"kafka": {"k": 1}}}),
            json!({"summary": "second", "headers": {"type": "object"}}),
        ];
        let out = apply_traits(&target, &traits);
        assert_eq!(out["contentType"], "application/json");
        assert_eq!(out["summary"], "second");
        assert_eq!(out["bindings"], json!({"kafka": {"k": 1}, "ws": {"a": 1}}));
        assert!(out.get("traits").is_none());
        assert_eq!(out["headers"], json!({"type": "object"}));
    }
}
