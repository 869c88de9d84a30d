//! Serde functions the generated models call.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A required field that may be `null`: present-and-null is `None`, absent is an error.
///
/// Used as `#[serde(deserialize_with = "...")]` without `default`, so serde still reports
/// a missing field.
pub fn required_nullable<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer)
}

/// JSON equality with numbers compared by value, so `1` equals `1.0`.
///
/// ```
/// use asyncapi_runtime::serde_helpers::json_eq;
/// use serde_json::json;
///
/// assert!(json_eq(&json!([1, {"a": 2.0}]), &json!([1.0, {"a": 2}])));
/// assert!(!json_eq(&json!({"a": 1}), &json!({"a": 1, "b": null})));
/// ```
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(p), Some(q), _, _) => p == q,
                (_, _, Some(p), Some(q)) => p == q,
                _ => x.as_f64() == y.as_f64(),
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Whether `whole` holds everything `part` holds: [`json_eq`], except that objects of `whole`
/// may have members `part` lacks (fields a reader filled with their defaults).
///
/// ```
/// use asyncapi_runtime::serde_helpers::json_within;
/// use serde_json::json;
///
/// assert!(json_within(&json!({"a": [{"b": 1}]}), &json!({"a": [{"b": 1.0, "c": 0}], "d": null})));
/// assert!(!json_within(&json!({"a": 1, "b": 2}), &json!({"a": 1})));
/// assert!(!json_within(&json!([1]), &json!([1, 2])));
/// ```
pub fn json_within(part: &Value, whole: &Value) -> bool {
    match (part, whole) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_within(p, q))
        }
        (Value::Object(x), Value::Object(y)) => x
            .iter()
            .all(|(k, v)| y.get(k).is_some_and(|w| json_within(v, w))),
        _ => json_eq(part, whole),
    }
}

/// Decodes JSON bytes, checking UTF-8 once for the whole text rather than once per string
/// (what `serde_json::from_slice` does): the generated decoders' entry point. Errors are
/// `serde_json`'s, located as usual.
///
/// ```
/// use asyncapi_runtime::serde_helpers::from_json_bytes;
///
/// let level: std::collections::BTreeMap<String, u8> = from_json_bytes(br#"{"level": 2}"#).unwrap();
/// assert_eq!(level["level"], 2);
/// let error = from_json_bytes::<serde_json::Value>(b"{\"a\": \"\xff\"}").unwrap_err();
/// assert_eq!(error.column(), 8);
/// ```
pub fn from_json_bytes<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<T, serde_json::Error> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        // Not UTF-8: `serde_json` finds and locates the bad byte (or an earlier syntax error).
        Err(_) => serde_json::from_slice(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Fields {
        #[serde(deserialize_with = "required_nullable")]
        required: Option<u8>,
    }

    #[test]
    fn a_required_nullable_field_must_be_present() {
        let null: Fields = serde_json::from_value(json!({"required": null})).unwrap();
        assert_eq!(null, Fields { required: None });
        let set: Fields = serde_json::from_value(json!({"required": 1})).unwrap();
        assert_eq!(set, Fields { required: Some(1) });
        let missing = serde_json::from_value::<Fields>(json!({})).unwrap_err();
        assert!(
            missing.to_string().contains("missing field `required`"),
            "{missing}"
        );
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(json_eq(&json!(1), &json!(1.0)));
        assert!(json_eq(&json!(u64::MAX), &json!(u64::MAX)));
        assert!(!json_eq(&json!(1), &json!(2)));
        assert!(!json_eq(&json!([1]), &json!([1, 2])));
        assert!(!json_eq(&json!("1"), &json!(1)));
    }
}
