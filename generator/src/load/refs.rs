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

/// A URI fragment with its `%XX` escapes decoded (left as written where they are not UTF-8).
pub(crate) fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(high * 16 + low);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// A JSON pointer written as a URI fragment: characters a fragment cannot hold (`{`, `}`,
/// spaces, `%`, non-ASCII…) as `%XX` escapes of their UTF-8 bytes.
pub(crate) fn percent_encode_fragment(pointer: &str) -> String {
    let mut out = String::with_capacity(pointer.len());
    for b in pointer.bytes() {
        let allowed = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(&b);
        if allowed {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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
        // A `%` before something that is not two hex digits stays as written, multi-byte text too.
        assert_eq!(parse_ref("#/a%é/b%2").pointer, "/a%é/b%2");
    }

    #[test]
    fn fragments_are_encoded_so_that_decoding_gives_the_pointer_back() {
        for pointer in ["/channels/rooms~1{roomId}", "/a b/100%/é", "/plain/x.y"] {
            let encoded = percent_encode_fragment(pointer);
            assert!(encoded.bytes().all(|b| b.is_ascii_graphic() && !b"{}\"<>^`|[]#".contains(&b)), "{encoded}");
            assert_eq!(parse_ref(&format!("#{encoded}")).pointer, pointer);
        }
        assert_eq!(percent_encode_fragment("/rooms~1{id}"), "/rooms~1%7Bid%7D");
    }
}
