//! What JSON Schema keywords mean, decided once for every reader of schemas: the IR's types,
//! `diff`'s shapes and `bundle`'s registry schemas. `allOf` folding, `null` members, open enums,
//! declared types and discriminators.

use serde_json::{Map, Value};

use crate::diag::Diagnostic;
use crate::load::{Loc, SourceSet};

/// `type` as a list of names, with `null` split off.
pub(crate) fn declared_types(s: &Map<String, Value>) -> (Vec<String>, bool) {
    match s.get("type") {
        Some(Value::String(t)) if t == "null" => (Vec::new(), true),
        Some(Value::String(t)) => (vec![t.clone()], false),
        Some(Value::Array(a)) => {
            let names: Vec<String> = a.iter().filter_map(Value::as_str).map(str::to_string).collect();
            let nullable = names.iter().any(|n| n == "null");
            (names.into_iter().filter(|n| n != "null").collect(), nullable)
        }
        _ => (Vec::new(), false),
    }
}

/// Value constraints beside a schema's type, in the order docs list them.
pub(crate) const LIMITS: &[&str] = &["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern", "minItems", "maxItems"];

/// The schema's `LIMITS` keywords that it gives, with their values, in that order.
pub(crate) fn limits(s: &Map<String, Value>) -> Vec<(String, Value)> {
    LIMITS.iter().filter_map(|k| Some((k.to_string(), s.get(*k)?.clone()))).collect()
}

/// `x-name-source: reconstructed`: a name inferred from traffic, not documented.
pub(crate) fn is_reconstructed(s: &Map<String, Value>) -> bool {
    s.get("x-name-source").and_then(Value::as_str) == Some("reconstructed")
}

/// Keywords that describe a schema without constraining it.
fn is_annotation(key: &str) -> bool {
    matches!(key, "title" | "description" | "$comment" | "examples" | "example" | "deprecated" | "readOnly" | "writeOnly" | "$id") || key.starts_with("x-")
}

/// A `oneOf`/`anyOf` member that only allows `null` (`{type: 'null'}` or `{const: null}`, with
/// annotations at most): it makes the union nullable rather than adding a variant.
pub(crate) fn is_null_member(member: &Value) -> bool {
    let Some(o) = member.as_object() else { return false };
    let only_null = o.get("type") == Some(&Value::String("null".into())) || o.get("const") == Some(&Value::Null);
    only_null && o.keys().all(|k| k == "type" || k == "const" || is_annotation(k))
}

/// The `oneOf`/`anyOf` members at `union` (its array's location) after `$ref`s, without the
/// `null` ones, and whether there was one.
pub(crate) fn union_members<'s>(set: &'s SourceSet, union: &Loc) -> (Vec<(Loc, Option<&'s Value>)>, bool) {
    let count = set.get(union).and_then(Value::as_array).map_or(0, Vec::len);
    let mut nullable = false;
    let mut members = Vec::new();
    for i in 0..count {
        let at = union.index(i);
        let resolved = set.deref(&at).ok().and_then(|t| set.get(&t));
        if resolved.is_some_and(is_null_member) {
            nullable = true;
        } else {
            members.push((at, resolved));
        }
    }
    (members, nullable)
}

/// `anyOf: [{enum: [strings]}, {type: string}]` (either order), the open enum idiom: the known
/// values and the position of the member that lists them.
pub(crate) fn open_enum<'v>(members: &[(Loc, Option<&'v Value>)]) -> Option<(&'v [Value], usize)> {
    let [(_, Some(a)), (_, Some(b))] = members else { return None };
    let is_plain_string = |v: &Value| v.get("type") == Some(&Value::String("string".into())) && v.get("enum").is_none() && v.get("const").is_none();
    let enum_of = |v: &'v Value| v.get("enum").and_then(Value::as_array).filter(|a| a.iter().all(Value::is_string)).map(Vec::as_slice);
    match (enum_of(a), enum_of(b)) {
        (Some(values), None) if is_plain_string(b) => Some((values, 0)),
        (None, Some(values)) if is_plain_string(a) => Some((values, 1)),
        _ => None,
    }
}

/// The schemas an `allOf` at `loc` folds together, after `$ref`s: the schema itself first, then
/// its members depth-first in order; each once (`allOf` cycles add nothing twice).
pub(crate) fn all_of_members(set: &SourceSet, loc: &Loc) -> (Vec<Loc>, Vec<Diagnostic>) {
    let mut out: Vec<Loc> = Vec::new();
    let mut errors = Vec::new();
    let mut stack = vec![loc.clone()];
    while let Some(l) = stack.pop() {
        let t = match set.deref(&l) {
            Ok(t) => t,
            Err(d) => {
                errors.push(d);
                continue;
            }
        };
        if out.contains(&t) {
            continue;
        }
        if let Some(Value::Array(members)) = set.get(&t).and_then(|v| v.get("allOf")) {
            stack.extend((0..members.len()).rev().map(|i| t.child("allOf").index(i)));
        }
        out.push(t);
    }
    (out, errors)
}

/// The object an `allOf` describes: properties (a later member's definition wins, in first-seen
/// order), the union of `required`, and `additionalProperties` (`false` anywhere closes it).
#[derive(Debug, Default, Clone)]
pub(crate) struct MergedObject {
    pub props: Vec<(String, Loc)>,
    pub required: Vec<String>,
    pub additional: Option<(Loc, Value)>,
}

impl MergedObject {
    /// Adds one member schema (at its location after `$ref`s).
    pub fn add(&mut self, set: &SourceSet, member: &Loc) {
        let Some(Value::Object(o)) = set.get(member) else { return };
        if let Some(Value::Object(p)) = o.get("properties") {
            for k in p.keys() {
                self.props.retain(|(n, _)| n != k);
                self.props.push((k.clone(), member.child("properties").child(k)));
            }
        }
        for r in o.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !self.required.iter().any(|x| x == r) {
                self.required.push(r.to_string());
            }
        }
        if let Some(a) = o.get("additionalProperties") {
            if self.additional.as_ref().is_none_or(|(_, v)| *v != Value::Bool(false)) {
                self.additional = Some((member.child("additionalProperties"), a.clone()));
            }
        }
    }

    pub fn is_required(&self, property: &str) -> bool {
        self.required.iter().any(|r| r == property)
    }
}

/// A schema's `discriminator`: the property, and explicit tag values by target schema.
#[derive(Debug, Clone)]
pub(crate) struct Discriminator {
    pub property: String,
    /// `(tag, target)` from `mapping`, targets after `$ref`s.
    pub mapping: Vec<(String, Loc)>,
}

impl Discriminator {
    /// The tag of the subtype at `sub`: its `mapping` key, else its schema name.
    pub fn tag_for(&self, sub: &Loc) -> Option<String> {
        self.mapping.iter().find(|(_, t)| t == sub).map(|(tag, _)| tag.clone()).or_else(|| ref_name(sub))
    }
}

/// The name a `$ref` target suggests: its last pointer segment, for definition-like places
/// (`schemas`, `definitions`, `$defs`, `messages`, a fragment's top level, a capitalised key).
pub(crate) fn ref_name(target: &Loc) -> Option<String> {
    let segs: Vec<&str> = target.pointer.split('/').skip(1).collect();
    let last = segs.last()?;
    let parent = if segs.len() >= 2 { segs[segs.len() - 2] } else { "" };
    let defining = segs.len() == 1
        || matches!(parent, "schemas" | "definitions" | "$defs" | "messages")
        || last.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    defining.then(|| crate::diag::unescape_segment(last))
}

/// The `discriminator` of the schema at `t` (string or `{propertyName, mapping}` form).
pub(crate) fn discriminator(set: &SourceSet, t: &Loc) -> Option<Discriminator> {
    let d = set.get(t)?.get("discriminator")?;
    let property = match d {
        Value::String(p) => p.clone(),
        Value::Object(o) => o.get("propertyName")?.as_str()?.to_string(),
        _ => return None,
    };
    let mut mapping = Vec::new();
    if let Some(Value::Object(m)) = d.get("mapping") {
        let at = t.child("discriminator").child("mapping");
        for (tag, target) in m {
            let Some(target) = target.as_str() else { continue };
            let reference = if target.contains('#') || target.contains('/') { target.to_string() } else { format!("#/components/schemas/{target}") };
            if let Ok(resolved) = set.resolve_ref(&at.child(tag), &reference).and_then(|r| set.deref(&r)) {
                mapping.push((tag.clone(), resolved));
            }
        }
    }
    Some(Discriminator { property, mapping })
}

/// Whether the schema at `t` lists the schema at `me` among its `oneOf`/`anyOf` members: a base
/// listing its subtypes, which contributes its fields to them but not its union again.
pub(crate) fn lists_subtype(set: &SourceSet, t: &Loc, me: &Loc) -> bool {
    let Some(Value::Object(o)) = set.get(t) else { return false };
    ["oneOf", "anyOf"].iter().any(|kw| match o.get(*kw) {
        Some(Value::Array(items)) => (0..items.len()).any(|i| set.deref(&t.child(kw).index(i)).ok().as_ref() == Some(me)),
        _ => false,
    })
}

/// The property and value a subtype at `sub` of the discriminated base at `base` must carry.
pub(crate) fn subtype_tag(set: &SourceSet, base: &Loc, sub: &Loc) -> Option<(String, String)> {
    let d = discriminator(set, base)?;
    let tag = d.tag_for(sub)?;
    Some((d.property, tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The source set of one YAML document, and the root's file id.
    fn load(yaml: &str) -> (tempfile::TempDir, SourceSet, crate::load::FileId) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("doc.yaml");
        std::fs::write(&path, yaml).expect("written");
        let (set, roots) = SourceSet::load(&[path], &crate::load::LoadOptions::default()).expect("loads");
        (dir, set, roots[0])
    }

    fn schema(file: crate::load::FileId, name: &str) -> Loc {
        Loc::new(file, "").child("components").child("schemas").child(name)
    }

    #[test]
    fn all_of_cycles_fold_each_member_once_in_order() {
        let (_dir, set, f) = load(
            "components:
  schemas:
    A: {allOf: [{$ref: '#/components/schemas/B'}, {properties: {a: {type: string}}, required: [a]}]}
    B: {allOf: [{$ref: '#/components/schemas/A'}], properties: {b: {type: integer}}, additionalProperties: false}
",
        );
        let (members, errors) = all_of_members(&set, &schema(f, "A"));
        assert!(errors.is_empty());
        let pointers: Vec<&str> = members.iter().map(|l| l.pointer.as_str()).collect();
        assert_eq!(pointers, ["/components/schemas/A", "/components/schemas/B", "/components/schemas/A/allOf/1"]);
        let mut object = MergedObject::default();
        for m in &members {
            object.add(&set, m);
        }
        let names: Vec<&str> = object.props.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
        assert!(object.is_required("a") && !object.is_required("b"));
        assert_eq!(object.additional.map(|(_, v)| v), Some(Value::Bool(false)));
    }

    #[test]
    fn null_members_allow_annotations_only() {
        assert!(is_null_member(&serde_json::json!({"type": "null"})));
        assert!(is_null_member(&serde_json::json!({"const": null, "description": "none yet"})));
        assert!(!is_null_member(&serde_json::json!({"type": "null", "minLength": 1})));
        assert!(!is_null_member(&serde_json::json!({"type": "string"})));
    }

    #[test]
    fn open_enums_are_found_in_either_order_and_only_for_strings() {
        let (_dir, set, f) = load(
            "components:
  schemas:
    Open: {anyOf: [{type: string}, {type: 'null'}, {enum: [a, b]}]}
    Ints: {anyOf: [{enum: [1, 2]}, {type: string}]}
",
        );
        let (members, nullable) = union_members(&set, &schema(f, "Open").child("anyOf"));
        assert!(nullable);
        let (values, at) = open_enum(&members).expect("an open enum");
        assert_eq!(values, [Value::from("a"), Value::from("b")]);
        assert_eq!(members[at].0.pointer, "/components/schemas/Open/anyOf/2");
        let (members, _) = union_members(&set, &schema(f, "Ints").child("anyOf"));
        assert!(open_enum(&members).is_none());
    }

    #[test]
    fn discriminator_tags_come_from_the_mapping_then_the_schema_name() {
        let (_dir, set, f) = load(
            "components:
  schemas:
    Pet:
      discriminator: {propertyName: kind, mapping: {doggo: '#/components/schemas/Dog'}}
      oneOf: [{$ref: '#/components/schemas/Dog'}, {$ref: '#/components/schemas/Cat'}]
    Dog: {allOf: [{$ref: '#/components/schemas/Pet'}]}
    Cat: {allOf: [{$ref: '#/components/schemas/Pet'}]}
",
        );
        let pet = schema(f, "Pet");
        assert!(lists_subtype(&set, &pet, &schema(f, "Dog")));
        assert_eq!(subtype_tag(&set, &pet, &schema(f, "Dog")), Some(("kind".into(), "doggo".into())));
        assert_eq!(subtype_tag(&set, &pet, &schema(f, "Cat")), Some(("kind".into(), "Cat".into())));
    }
}
