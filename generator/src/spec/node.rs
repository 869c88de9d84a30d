//! Typed, located access to the raw JSON tree, collecting diagnostics as it goes.

use serde_json::{Map, Value};

use crate::diag::{Code, Diagnostic};
use crate::load::{Loc, SourceSet};

/// Reads fields of the node at a location, recording wrong types instead of failing fast.
pub struct Reader<'a> {
    pub set: &'a SourceSet,
    pub errors: Vec<Diagnostic>,
}

/// How a JSON value is named in messages (`a string`, `an object`, …).
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<'a> Reader<'a> {
    pub fn new(set: &'a SourceSet) -> Self {
        Reader {
            set,
            errors: Vec::new(),
        }
    }

    pub fn error(&mut self, code: Code, loc: &Loc, message: impl Into<String>) {
        self.errors.push(self.set.diag(code, loc, message));
    }

    fn wrong_type(&mut self, loc: &Loc, expected: &str, found: &Value) {
        let msg = format!("expected {expected}, found {}", kind(found));
        self.error(Code::WrongType, loc, msg);
    }

    /// The object at `loc` after following `$ref`s, or `None` (recorded) if it is not one.
    pub fn object(&mut self, loc: &Loc) -> Option<(Loc, &'a Map<String, Value>)> {
        let target = match self.set.deref(loc) {
            Ok(t) => t,
            Err(d) => {
                self.errors.push(d);
                return None;
            }
        };
        let value = self.set.get(&target)?;
        match value.as_object() {
            Some(map) => Some((target, map)),
            None => {
                self.wrong_type(&target, "an object", value);
                None
            }
        }
    }

    /// An optional string field.
    pub fn string(&mut self, loc: &Loc, map: &Map<String, Value>, key: &str) -> Option<String> {
        match map.get(key)? {
            Value::String(s) => Some(s.clone()),
            other => {
                self.wrong_type(&loc.child(key), "a string", other);
                None
            }
        }
    }

    /// An optional integer field that must be at least 1 and fit an `i32`.
    pub fn positive_int(&mut self, loc: &Loc, map: &Map<String, Value>, key: &str) -> Option<i32> {
        let value = map.get(key)?;
        match value.as_i64().map(i32::try_from) {
            Some(Ok(n)) if n > 0 => Some(n),
            Some(_) => {
                self.error(Code::InvalidValue, &loc.child(key), format!("`{key}` must be a whole number from 1 to {}, found {value}", i32::MAX));
                None
            }
            None => {
                self.wrong_type(&loc.child(key), "an integer", value);
                None
            }
        }
    }

    /// An optional boolean field.
    pub fn boolean(&mut self, loc: &Loc, map: &Map<String, Value>, key: &str) -> Option<bool> {
        match map.get(key)? {
            Value::Bool(b) => Some(*b),
            other => {
                self.wrong_type(&loc.child(key), "a boolean", other);
                None
            }
        }
    }

    /// A required string field.
    pub fn required_string(&mut self, loc: &Loc, map: &Map<String, Value>, key: &str, what: &str) -> Option<String> {
        if !map.contains_key(key) {
            self.error(Code::MissingField, loc, format!("{what} needs `{key}`"));
            return None;
        }
        self.string(loc, map, key)
    }

    /// An optional map field whose entries are visited in order.
    pub fn entries(&mut self, loc: &Loc, map: &Map<String, Value>, key: &str) -> Vec<(String, Loc)> {
        match map.get(key) {
            None => Vec::new(),
            Some(Value::Object(m)) => {
                let at = loc.child(key);
                m.keys().map(|k| (k.clone(), at.child(k))).collect()
            }
            Some(other) => {
                self.wrong_type(&loc.child(key), "an object", other);
                Vec::new()
            }
        }
    }

    /// An optional array field's item locations.
    pub fn items(&mut self, loc: &Loc, map: &Map<String, Value>, key: &str) -> Vec<Loc> {
        match map.get(key) {
            None => Vec::new(),
            Some(Value::Array(a)) => (0..a.len()).map(|i| loc.child(key).index(i)).collect(),
            Some(other) => {
                self.wrong_type(&loc.child(key), "an array", other);
                Vec::new()
            }
        }
    }
}
