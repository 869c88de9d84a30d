//! `$ref` strings: parsing and discovery.

use serde_json::Value;

use crate::diag::{child, unescape_segment};

/// A parsed `$ref`: an optional file part and a JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefTarget {
    pub file: Option<String>,
    pub pointer: String,
}

/// Splits `file.yaml#/a/b` into its file and pointer parts.
pub fn parse_ref(reference: &str) -> RefTarget {
    let (file, fragment) = match reference.split_once('#') {
        Some((f, p)) => (f, p),
        None => (reference, ""),
    };
    let pointer = percent_decode(fragment);
    // Normalise escaping so equal pointers compare equal.
    let pointer = if pointer.is_empty() {
        String::new()
    } else {
        pointer
            .trim_start_matches('/')
            .split('/')
            .fold(String::new(), |acc, seg| child(&acc, &unescape_segment(seg)))
    };
    RefTarget {
        file: (!file.is_empty()).then(|| file.to_string()),
        pointer,
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// Collects `(pointer of the holding object, ref string)` for every `$ref` in `value`.
pub fn collect_refs(value: &Value, pointer: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push((pointer.to_string(), r.clone()));
            }
            for (k, v) in map {
                collect_refs(v, &child(pointer, k), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect_refs(v, &child(pointer, &i.to_string()), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_local_file_and_escaped_refs() {
        assert_eq!(parse_ref("#/components/schemas/A").file, None);
        assert_eq!(parse_ref("#/components/schemas/A").pointer, "/components/schemas/A");
        let t = parse_ref("./common/x.yaml#/Foo");
        assert_eq!(t.file.as_deref(), Some("./common/x.yaml"));
        assert_eq!(t.pointer, "/Foo");
        assert_eq!(parse_ref("other.yaml").pointer, "");
        assert_eq!(parse_ref("#/a~1b/c%20d").pointer, "/a~1b/c d");
    }
}
