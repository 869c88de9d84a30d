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
    /// Definitions of a polymorphic base's own fields (without its `oneOf` of subtypes).
    base_fields: HashMap<Loc, String>,
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
                        let value = if DATA_KEYWORDS.contains(&k.as_str()) {
                            v.clone()
                        } else if k == "allOf" {
                            self.all_of(loc, v)
                        } else {
                            self.walk(&loc.child(k))
                        };
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

impl Bundler<'_> {
    /// `allOf` members; a member that is a base listing this schema among its `oneOf`/`anyOf`
    /// subtypes contributes only its own fields (what a discriminator means), not the union again,
    /// which would make the subtype require itself. A subtype of a discriminated base must carry
    /// its tag (the `mapping` key, else its schema name), as the generated types do.
    fn all_of(&mut self, holder: &Loc, members: &Value) -> Value {
        let count = members.as_array().map_or(0, Vec::len);
        let at = holder.child("allOf");
        let me = self.set.deref(holder).ok();
        let targets: Vec<Option<Loc>> = (0..count).map(|i| self.set.deref(&at.index(i)).ok()).collect();
        let bases: Vec<bool> =
            targets.iter().map(|t| t.as_ref().zip(me.as_ref()).is_some_and(|(t, me)| crate::keywords::lists_subtype(self.set, t, me))).collect();
        let has_union = |t: &Option<Loc>| {
            t.as_ref().and_then(|t| self.set.get(t)).is_some_and(|v| v.get("oneOf").is_some() || v.get("anyOf").is_some())
        };
        let own_union = targets.iter().zip(&bases).any(|(t, base)| has_union(t) && !base);
        let mut items: Vec<Value> = Vec::new();
        let mut tags = Vec::new();
        for (i, target) in targets.iter().enumerate() {
            let item = at.index(i);
            match target {
                Some(t) if bases[i] && self.set.ref_at(&item).is_some() => items.push(self.fields_of(t)),
                _ => items.push(self.walk(&item)),
            }
            if let (Some(t), Some(me), false) = (target, &me, own_union) {
                tags.extend(crate::keywords::subtype_tag(self.set, t, me));
            }
        }
        for (property, tag) in tags {
            items.push(serde_json::json!({ "properties": { property: { "const": tag } } }));
        }
        Value::Array(items)
    }

    /// A `$ref` to the base at `t` without its subtype union.
    fn fields_of(&mut self, t: &Loc) -> Value {
        let name = match self.base_fields.get(t) {
            Some(n) => n.clone(),
            None => {
                let last = t.pointer.rsplit('/').next().filter(|s| !s.is_empty()).unwrap_or("Schema");
                let name = self.scope.claim(&format!("{}Fields", type_name(&crate::diag::unescape_segment(last))));
                self.base_fields.insert(t.clone(), name.clone());
                self.definitions.insert(name.clone(), Value::Bool(true));
                let mut body = match self.walk(t) {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                for k in ["oneOf", "anyOf", "discriminator"] {
                    body.remove(k);
                }
                self.definitions.insert(name.clone(), Value::Object(body));
                name
            }
        };
        serde_json::json!({ "$ref": format!("#/definitions/{name}") })
    }
}

fn finish(root: Map<String, Value>, definitions: BTreeMap<String, Value>) -> Value {
    let mut out = Map::new();
    out.insert("$schema".into(), Value::String("http://json-schema.org/draft-07/schema#".into()));
    out.extend(root);
    if !definitions.is_empty() {
        out.insert("definitions".into(), Value::Object(definitions.into_iter().collect()));
    }
    Value::Object(out)
}

/// The schema at `loc` as one self-contained draft-07 document.
pub fn bundle(set: &SourceSet, loc: &Loc) -> Value {
    let mut b = Bundler { set, names: HashMap::new(), base_fields: HashMap::new(), scope: Scope::default(), definitions: BTreeMap::new() };
    let root = match b.walk(loc) {
        Value::Object(m) => m,
        other => [("allOf".to_string(), Value::Array(vec![other]))].into_iter().collect(),
    };
    finish(root, b.definitions)
}

/// A schema-registry document for a Kafka topic, in Tansu's file registry layout:
/// `{"type": "object", "properties": {"value": <any of the topic's message schemas>}}`.
///
/// The broker compiles `properties.value` on its own, so the definitions live inside it. Every
/// `required` list is written as `allOf: [{required: [...]}]`, which means the same and sidesteps
/// a validator bug in Tansu 0.6 (a two-name `required` next to 15 or more properties is ignored).
pub fn registry_schema(set: &SourceSet, payloads: &[Loc]) -> Value {
    let mut b = Bundler { set, names: HashMap::new(), base_fields: HashMap::new(), scope: Scope::default(), definitions: BTreeMap::new() };
    let mut variants: Vec<Value> = payloads.iter().map(|l| b.walk(l)).collect();
    let mut value = if variants.len() == 1 { variants.remove(0) } else { serde_json::json!({ "anyOf": variants }) };
    if !b.definitions.is_empty() {
        let definitions = Value::Object(std::mem::take(&mut b.definitions).into_iter().collect());
        match &mut value {
            Value::Object(map) => {
                map.insert("definitions".into(), definitions);
            }
            _ => value = serde_json::json!({ "allOf": [value], "definitions": definitions }),
        }
    }
    required_in_all_of(&mut value);
    let mut properties = Map::new();
    properties.insert("value".into(), value);
    let mut root = Map::new();
    root.insert("$comment".into(), Value::String("@generated by asyncapi-codegen. Do not edit: change the AsyncAPI documents and regenerate.".into()));
    root.insert("type".into(), Value::String("object".into()));
    root.insert("properties".into(), Value::Object(properties));
    finish(root, BTreeMap::new())
}

/// Rewrites every `required: [...]` of a schema tree as `allOf: [{required: [...]}]`.
fn required_in_all_of(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if !DATA_KEYWORDS.contains(&k.as_str()) {
                    required_in_all_of(v);
                }
            }
            if let Some(required @ Value::Array(_)) = map.remove("required") {
                let clause = serde_json::json!({ "required": required });
                match map.get_mut("allOf") {
                    Some(Value::Array(all)) => all.push(clause),
                    _ => {
                        map.insert("allOf".into(), Value::Array(vec![clause]));
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(required_in_all_of),
        _ => {}
    }
}
