//! Self-contained JSON Schemas: a schema with every `$ref` (across files too) moved into
//! `definitions`, so a validator or a schema registry needs nothing else.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use crate::ir::naming::{type_name, Scope};
use crate::load::{Loc, SourceSet};

/// Keywords whose values are data, not schemas: copied as they are.
const DATA_KEYWORDS: &[&str] = &["examples", "example", "default", "const", "enum"];

struct Bundler<'a> {
    set: &'a SourceSet,
    names: HashMap<Loc, String>,
    scope: Scope,
    definitions: BTreeMap<String, Value>,
}

impl Bundler<'_> {
    fn walk(&mut self, loc: &Loc) -> Value {
        if self.set.ref_at(loc).is_some() {
            let Ok(target) = self.set.deref(loc) else { return Value::Bool(true) };
            let name = match self.names.get(&target) {
                Some(n) => n.clone(),
                None => {
                    let last = target.pointer.rsplit('/').next().filter(|s| !s.is_empty()).unwrap_or("Schema");
                    let name = self.scope.claim(&type_name(&crate::diag::unescape_segment(last)));
                    self.names.insert(target.clone(), name.clone());
                    self.definitions.insert(name.clone(), Value::Bool(true));
                    let body = self.walk(&target);
                    self.definitions.insert(name.clone(), body);
                    name
                }
            };
            let mut m = Map::new();
            m.insert("$ref".into(), Value::String(format!("#/definitions/{name}")));
            return Value::Object(m);
        }
        match self.set.get(loc) {
            Some(Value::Object(map)) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let value = if DATA_KEYWORDS.contains(&k.as_str()) { v.clone() } else { self.walk(&loc.child(k)) };
                        (k.clone(), value)
                    })
                    .collect(),
            ),
            Some(Value::Array(items)) => Value::Array((0..items.len()).map(|i| self.walk(&loc.index(i))).collect()),
            Some(other) => other.clone(),
            None => Value::Bool(true),
        }
    }
}

/// The schema at `loc` as one self-contained draft-07 document.
pub fn bundle(set: &SourceSet, loc: &Loc) -> Value {
    let mut b = Bundler { set, names: HashMap::new(), scope: Scope::default(), definitions: BTreeMap::new() };
    let root = b.walk(loc);
    let mut out = Map::new();
    out.insert("$schema".into(), Value::String("http://json-schema.org/draft-07/schema#".into()));
    match root {
        Value::Object(m) => out.extend(m),
        other => {
            out.insert("allOf".into(), Value::Array(vec![other]));
        }
    }
    if !b.definitions.is_empty() {
        out.insert("definitions".into(), Value::Object(b.definitions.into_iter().collect()));
    }
    Value::Object(out)
}
