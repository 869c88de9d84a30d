//! JSON Schema → type graph. Named types get ids before their children are converted, so
//! recursion terminates; identity is the schema's location after `$ref`s.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::naming::{field_name, type_name, Scope};
use super::types::*;
use crate::diag::{Code, Diagnostic};
use crate::load::{Loc, SourceSet};

/// Options that change how formats map to Rust.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TypeOptions {
    pub chrono: bool,
    pub uuid: bool,
}

pub struct SchemaBuilder<'a> {
    set: &'a SourceSet,
    options: TypeOptions,
    pub types: Vec<TypeDef>,
    by_loc: HashMap<Loc, TypeId>,
    names: Scope,
    pub errors: Vec<Diagnostic>,
}

/// JSON Schema keywords this generator cannot express in Rust types.
const UNSUPPORTED: &[&str] = &["not", "if", "then", "else", "dependentSchemas", "unevaluatedProperties"];

fn as_obj(v: &Value) -> Option<&Map<String, Value>> {
    v.as_object()
}

/// The name a `$ref` target suggests: its last pointer segment, for definition-like places.
fn ref_name(target: &Loc) -> Option<String> {
    let segs: Vec<&str> = target.pointer.split('/').skip(1).collect();
    let last = segs.last()?;
    let parent = if segs.len() >= 2 { segs[segs.len() - 2] } else { "" };
    let defining = segs.len() == 1
        || matches!(parent, "schemas" | "definitions" | "$defs" | "messages")
        || last.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    defining.then(|| crate::diag::unescape_segment(last))
}

impl<'a> SchemaBuilder<'a> {
    pub fn new(set: &'a SourceSet, options: TypeOptions) -> Self {
        SchemaBuilder {
            set,
            options,
            types: Vec::new(),
            by_loc: HashMap::new(),
            names: Scope::default(),
            errors: Vec::new(),
        }
    }

    fn error(&mut self, code: Code, loc: &Loc, message: impl Into<String>) {
        self.errors.push(self.set.diag(code, loc, message));
    }

    /// Reserves a type name (for types emitted outside the schema graph).
    pub fn claim_name(&mut self, wanted: &str) -> String {
        self.names.claim(wanted)
    }

    fn new_type(&mut self, wanted: &str, loc: Option<Loc>, doc: Option<String>) -> TypeId {
        let name = self.names.claim(wanted);
        let id = TypeId(self.types.len());
        self.types.push(TypeDef {
            name,
            doc,
            loc: loc.clone(),
            kind: Kind::Alias(Ty::Any),
        });
        if let Some(l) = loc {
            self.by_loc.insert(l, id);
        }
        id
    }

    /// Adds a type built outside the schema graph (connection unions).
    pub fn add_type(&mut self, wanted: &str, doc: Option<String>, kind: Kind) -> TypeId {
        let id = self.new_type(wanted, None, doc);
        self.types[id.0].kind = kind;
        id
    }

    /// A named type for a component schema, even when it is a primitive.
    pub fn component(&mut self, loc: &Loc, key: &str) -> Ty {
        let ty = self.ty(loc, &type_name(key));
        match ty {
            Ty::Named(_) => ty,
            other => {
                let Ok(target) = self.set.deref(loc) else { return other };
                if let Some(id) = self.by_loc.get(&target) {
                    return Ty::Named(*id);
                }
                let doc = self.description(&target);
                let id = self.new_type(&type_name(key), Some(target), doc);
                self.types[id.0].kind = Kind::Alias(other);
                Ty::Named(id)
            }
        }
    }

    fn description(&self, loc: &Loc) -> Option<String> {
        let o = self.set.get(loc)?.as_object()?;
        let title = o.get("title").and_then(Value::as_str);
        let desc = o.get("description").and_then(Value::as_str);
        match (title, desc) {
            (_, Some(d)) => Some(d.to_string()),
            (Some(t), None) => Some(t.to_string()),
            _ => None,
        }
    }

    /// Converts the schema at `loc`; `hint` names it when nothing better does.
    pub fn ty(&mut self, loc: &Loc, hint: &str) -> Ty {
        let mut hint = hint.to_string();
        let mut named = false;
        if let Some(reference) = self.set.ref_at(loc).map(str::to_string) {
            match self.set.resolve_ref(loc, &reference) {
                Ok(first) => {
                    if let Some(n) = ref_name(&first) {
                        hint = type_name(&n);
                        named = true;
                    }
                }
                Err(mut d) => {
                    d.line = self.set.line(&loc.child("$ref")).or(d.line);
                    self.errors.push(d);
                    return Ty::Any;
                }
            }
        }
        let target = match self.set.deref(loc) {
            Ok(t) => t,
            Err(d) => {
                self.errors.push(d);
                return Ty::Any;
            }
        };
        if let Some(id) = self.by_loc.get(&target) {
            return Ty::Named(*id);
        }
        let set: &'a SourceSet = self.set;
        let value: &'a Value = set.get(&target).unwrap_or(&Value::Null);
        let schema = match value {
            Value::Bool(true) => return Ty::Any,
            Value::Object(o) => o,
            Value::Bool(false) => {
                self.error(Code::Unsupported, &target, "the `false` schema (no value allowed) has no Rust type");
                return Ty::Any;
            }
            other => {
                let msg = format!("expected a schema object, found {other}");
                self.error(Code::WrongType, &target, msg);
                return Ty::Any;
            }
        };
        for kw in UNSUPPORTED {
            if schema.contains_key(*kw) {
                let msg = format!("JSON Schema keyword `{kw}` is not supported by the Rust generator");
                self.error(Code::Unsupported, &target.child(kw), msg);
                return Ty::Any;
            }
        }
        if !named {
            if let Some(title) = schema.get("title").and_then(Value::as_str) {
                hint = type_name(title);
            }
        }
        let (ty, nullable) = self.convert(&target, schema, &hint);
        if nullable {
            Ty::Nullable(Box::new(ty))
        } else {
            ty
        }
    }

    /// Returns the type and whether `null` is allowed too.
    fn convert(&mut self, loc: &Loc, s: &'a Map<String, Value>, hint: &str) -> (Ty, bool) {
        let (types, mut nullable) = declared_types(s);
        if s.get("nullable") == Some(&Value::Bool(true)) {
            nullable = true;
        }
        let doc = self.description(loc);
        if let Some(c) = s.get("const") {
            if c.is_null() {
                return (Ty::Any, true);
            }
            let id = self.new_type(hint, Some(loc.clone()), doc);
            self.types[id.0].kind = Kind::Const { value: c.clone() };
            return (Ty::Named(id), nullable);
        }
        if let Some(Value::Array(values)) = s.get("enum") {
            return self.enum_type(loc, values, hint, doc, false, nullable);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(items)) = s.get(key) {
                let (ty, n) = self.union(loc, key, items, hint, doc);
                return (ty, n || nullable);
            }
        }
        if s.contains_key("allOf") {
            return (self.all_of(loc, s, hint, doc), nullable);
        }
        let objectish = s.contains_key("properties") || s.contains_key("additionalProperties") || s.contains_key("required");
        match types.as_slice() {
            [] if objectish => (self.object(loc, s, hint, doc), nullable),
            [] => (Ty::Any, nullable),
            [t] => (self.single(loc, s, t, hint, doc), nullable),
            many => {
                let variants: Vec<(String, Ty)> = many
                    .iter()
                    .map(|t| (type_name(t), self.single(loc, s, t, &format!("{hint}{}", type_name(t)), None)))
                    .collect();
                let id = self.new_type(hint, Some(loc.clone()), doc);
                self.types[id.0].kind = Kind::Union(Union {
                    tagging: Tagging::Untagged,
                    variants: variants
                        .into_iter()
                        .map(|(rust, ty)| UnionVariant { rust, ty, tag: None, boxed: false })
                        .collect(),
                });
                (Ty::Named(id), nullable)
            }
        }
    }

    fn single(&mut self, loc: &Loc, s: &Map<String, Value>, t: &str, hint: &str, doc: Option<String>) -> Ty {
        let format = s.get("format").and_then(Value::as_str).unwrap_or_default();
        match t {
            "string" => match format {
                "date-time" if self.options.chrono => Ty::DateTime,
                "uuid" if self.options.uuid => Ty::Uuid,
                _ => Ty::String,
            },
            "boolean" => Ty::Bool,
            "integer" => match format {
                "int32" | "int16" | "int8" => Ty::I32,
                "uint32" | "uint16" | "uint8" => Ty::U32,
                "uint64" | "uint" => Ty::U64,
                _ => Ty::I64,
            },
            "number" => match format {
                "float" => Ty::F32,
                _ => Ty::F64,
            },
            "array" => {
                let item = match s.get("items") {
                    Some(Value::Object(_)) | Some(Value::Bool(_)) => self.ty(&loc.child("items"), &format!("{hint}Item")),
                    Some(Value::Array(_)) => {
                        self.error(Code::Unsupported, &loc.child("items"), "tuple arrays (`items` as a list) are not supported");
                        Ty::Any
                    }
                    _ => Ty::Any,
                };
                Ty::Vec(Box::new(item))
            }
            "object" => self.object(loc, s, hint, doc),
            "null" => Ty::Any,
            other => {
                let msg = format!("unknown schema type `{other}`");
                self.error(Code::InvalidValue, &loc.child("type"), msg);
                Ty::Any
            }
        }
    }

    fn enum_type(&mut self, loc: &Loc, values: &[Value], hint: &str, doc: Option<String>, open: bool, nullable: bool) -> (Ty, bool) {
        let nullable = nullable || values.iter().any(Value::is_null);
        let values: Vec<&Value> = values.iter().filter(|v| !v.is_null()).collect();
        if !values.is_empty() && values.iter().all(|v| v.is_string()) {
            let mut scope = Scope::with_reserved(if open { &["Other"] } else { &[] });
            let variants = values
                .iter()
                .map(|v| {
                    let wire = v.as_str().unwrap_or_default().to_string();
                    EnumVariant { rust: scope.claim(&type_name(&wire)), wire }
                })
                .collect();
            let id = self.new_type(hint, Some(loc.clone()), doc);
            self.types[id.0].kind = Kind::Enum { variants, open };
            return (Ty::Named(id), nullable);
        }
        if !values.is_empty() && values.iter().all(|v| v.as_i64().is_some()) {
            let id = self.new_type(hint, Some(loc.clone()), doc);
            self.types[id.0].kind = Kind::IntEnum { values: values.iter().filter_map(|v| v.as_i64()).collect() };
            return (Ty::Named(id), nullable);
        }
        self.error(Code::Unsupported, &loc.child("enum"), "`enum` values must be all strings or all integers");
        (Ty::Any, nullable)
    }

    /// `oneOf` / `anyOf`: open enums, nullable wrappers, then tagged or untagged unions.
    fn union(&mut self, loc: &Loc, key: &str, items: &[Value], hint: &str, doc: Option<String>) -> (Ty, bool) {
        let at = loc.child(key);
        let mut members = Vec::new();
        let mut nullable = false;
        for i in 0..items.len() {
            let l = at.index(i);
            let set: &'a SourceSet = self.set;
            let resolved = set.deref(&l).ok().and_then(|t| set.get(&t));
            if let Some(Value::Object(o)) = &resolved {
                let is_null = o.get("type") == Some(&Value::String("null".into())) && o.len() == 1
                    || o.get("const") == Some(&Value::Null) && o.len() == 1;
                if is_null {
                    nullable = true;
                    continue;
                }
            }
            members.push((l, resolved));
        }
        if let Some(values) = open_enum_values(&members) {
            return self.enum_type(loc, values, hint, doc, true, nullable);
        }
        if members.len() == 1 {
            let (l, _) = members.remove(0);
            return (self.ty(&l, hint), nullable);
        }
        let id = self.new_type(hint, Some(loc.clone()), doc);
        let mut scope = Scope::default();
        let mut variants = Vec::new();
        for (i, (l, _)) in members.iter().enumerate() {
            let ty = self.ty(l, &format!("{hint}Variant{}", i + 1));
            let wanted = match &ty {
                Ty::Named(t) => self.types[t.0].name.clone(),
                other => primitive_variant_name(other).to_string(),
            };
            variants.push(UnionVariant {
                rust: scope.claim(&wanted),
                ty,
                tag: None,
                boxed: false,
            });
        }
        let explicit = self.set.get(loc).and_then(|v| v.get("discriminator")).and_then(Value::as_str).map(str::to_string);
        let tagging = match discriminate(&self.types, &mut variants, explicit.as_deref()) {
            Some(property) => Tagging::Property { property },
            None => Tagging::Untagged,
        };
        self.types[id.0].kind = Kind::Union(Union { tagging, variants });
        (Ty::Named(id), nullable)
    }

    /// `allOf`: every member's properties merged into one struct.
    fn all_of(&mut self, loc: &Loc, s: &Map<String, Value>, hint: &str, doc: Option<String>) -> Ty {
        let mut merged = Map::new();
        let mut props = Map::new();
        let mut required: Vec<Value> = Vec::new();
        // Property schemas keep their own locations through a side table.
        let mut prop_locs: Vec<(String, Loc)> = Vec::new();
        let mut stack = vec![loc.clone()];
        let mut own = true;
        let mut additional: Option<(Loc, Value)> = None;
        while let Some(l) = stack.pop() {
            let Ok(t) = self.set.deref(&l) else {
                if let Err(d) = self.set.deref(&l) {
                    self.errors.push(d);
                }
                continue;
            };
            let set: &'a SourceSet = self.set;
            let Some(o) = set.get(&t).and_then(as_obj) else { continue };
            if let Some(Value::Array(members)) = o.get("allOf") {
                for i in (0..members.len()).rev() {
                    stack.push(t.child("allOf").index(i));
                }
            }
            for kw in ["oneOf", "anyOf"] {
                if o.contains_key(kw) && !own {
                    self.error(Code::Unsupported, &t.child(kw), format!("`{kw}` inside an `allOf` member is not supported"));
                }
            }
            own = false;
            if let Some(Value::Object(p)) = o.get("properties") {
                for k in p.keys() {
                    props.insert(k.clone(), Value::Null);
                    prop_locs.retain(|(n, _)| n != k);
                    prop_locs.push((k.clone(), t.child("properties").child(k)));
                }
            }
            if let Some(Value::Array(r)) = o.get("required") {
                for v in r {
                    if !required.contains(v) {
                        required.push(v.clone());
                    }
                }
            }
            if let Some(a) = o.get("additionalProperties") {
                if additional.as_ref().is_none_or(|(_, v)| *v != Value::Bool(false)) {
                    additional = Some((t.child("additionalProperties"), a.clone()));
                }
            }
        }
        merged.insert("required".into(), Value::Array(required));
        let only_ref = s.get("allOf").and_then(Value::as_array).is_some_and(|a| a.len() == 1)
            && !s.contains_key("properties")
            && !s.contains_key("required");
        if only_ref {
            return self.ty(&loc.child("allOf").index(0), hint);
        }
        let id = self.new_type(hint, Some(loc.clone()), doc);
        let name = self.types[id.0].name.clone();
        let kind = self.struct_kind(&name, &merged, &prop_locs, additional);
        self.types[id.0].kind = kind;
        Ty::Named(id)
    }

    /// An object schema: a struct, or a map when it declares no properties.
    fn object(&mut self, loc: &Loc, s: &Map<String, Value>, hint: &str, doc: Option<String>) -> Ty {
        let prop_locs: Vec<(String, Loc)> = match s.get("properties") {
            Some(Value::Object(p)) => p.keys().map(|k| (k.clone(), loc.child("properties").child(k))).collect(),
            _ => Vec::new(),
        };
        let additional = s.get("additionalProperties").map(|a| (loc.child("additionalProperties"), a.clone()));
        if prop_locs.is_empty() {
            match &additional {
                Some((_, Value::Bool(false))) => {}
                Some((al, Value::Object(_))) => {
                    let value = self.ty(al, &format!("{hint}Value"));
                    return Ty::Map(Box::new(value));
                }
                // No properties and no value schema (`patternProperties` included): a free-form map.
                _ => return Ty::Map(Box::new(Ty::Any)),
            }
        }
        let id = self.new_type(hint, Some(loc.clone()), doc);
        let name = self.types[id.0].name.clone();
        let kind = self.struct_kind(&name, s, &prop_locs, additional);
        self.types[id.0].kind = kind;
        Ty::Named(id)
    }

    fn struct_kind(&mut self, name: &str, s: &Map<String, Value>, props: &[(String, Loc)], additional: Option<(Loc, Value)>) -> Kind {
        let required: Vec<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut scope = Scope::default();
        let mut fields = Vec::new();
        for (wire, ploc) in props {
            let ty = self.ty(ploc, &format!("{name}{}", type_name(wire)));
            let (ty, nullable) = match ty {
                Ty::Nullable(inner) => (*inner, true),
                other => (other, false),
            };
            let target = self.set.deref(ploc).ok();
            let pnode = target.as_ref().and_then(|t| self.set.get(t));
            fields.push(Field {
                rust: scope.claim(&field_name(wire)),
                wire: wire.clone(),
                ty,
                required: required.contains(&wire.as_str()),
                nullable,
                doc: target.as_ref().and_then(|t| self.description(t)),
                default: pnode.and_then(|p| p.get("default")).cloned(),
                boxed: false,
                loc: ploc.clone(),
            });
        }
        let extra = match additional {
            None => Extra::Ignore,
            Some((_, Value::Bool(false))) => Extra::Deny,
            Some((_, Value::Bool(true))) => Extra::Keep {
                field: scope.claim("additional_properties"),
                value: Ty::Any,
            },
            Some((al, _)) => {
                let value = self.ty(&al, &format!("{name}Value"));
                Extra::Keep {
                    field: scope.claim("additional_properties"),
                    value,
                }
            }
        };
        Kind::Struct(Struct { fields, extra })
    }
}

/// `type` as a list of names, with `null` split off.
fn declared_types(s: &Map<String, Value>) -> (Vec<String>, bool) {
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

/// `anyOf: [{enum: [...]}, {type: string}]` (either order): the enum's values.
fn open_enum_values<'v>(members: &[(Loc, Option<&'v Value>)]) -> Option<&'v [Value]> {
    if members.len() != 2 {
        return None;
    }
    let objs: Vec<&'v Map<String, Value>> = members.iter().filter_map(|(_, v)| v.as_ref()?.as_object()).collect();
    if objs.len() != 2 {
        return None;
    }
    let is_plain_string = |o: &Map<String, Value>| {
        o.get("type") == Some(&Value::String("string".into())) && !o.contains_key("enum") && !o.contains_key("const")
    };
    let enum_of = |o: &'v Map<String, Value>| o.get("enum").and_then(Value::as_array).filter(|a| a.iter().all(Value::is_string)).map(Vec::as_slice);
    match (enum_of(objs[0]), enum_of(objs[1])) {
        (Some(values), None) if is_plain_string(objs[1]) => Some(values),
        (None, Some(values)) if is_plain_string(objs[0]) => Some(values),
        _ => None,
    }
}

fn primitive_variant_name(ty: &Ty) -> &'static str {
    match ty {
        Ty::String | Ty::DateTime | Ty::Uuid => "String",
        Ty::Bool => "Boolean",
        Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64 => "Integer",
        Ty::F32 | Ty::F64 => "Number",
        Ty::Vec(_) => "Array",
        Ty::Map(_) => "Object",
        Ty::Nullable(_) => "Nullable",
        Ty::Any | Ty::Named(_) => "Value",
    }
}

/// The string `const` of a required property of a struct type, if it has one.
pub fn const_tag(types: &[TypeDef], ty: &Ty, property: &str) -> Option<String> {
    let Ty::Named(id) = ty else { return None };
    let Kind::Struct(st) = &types[id.0].kind else { return None };
    let field = st.fields.iter().find(|f| f.wire == property && f.required && !f.nullable)?;
    let Ty::Named(cid) = &field.ty else { return None };
    match &types[cid.0].kind {
        Kind::Const { value: Value::String(s) } => Some(s.clone()),
        _ => None,
    }
}

/// The first required string-`const` property of a struct and its value: its discriminator.
pub fn tag_of(types: &[TypeDef], ty: &Ty) -> Option<(String, String)> {
    let Ty::Named(id) = ty else { return None };
    let Kind::Struct(st) = &types[id.0].kind else { return None };
    st.fields.iter().find_map(|f| const_tag(types, ty, &f.wire).map(|v| (f.wire.clone(), v)))
}

/// Candidate discriminator properties: required string consts present in the first struct variant.
fn const_properties(types: &[TypeDef], ty: &Ty) -> Vec<String> {
    let Ty::Named(id) = ty else { return Vec::new() };
    let Kind::Struct(st) = &types[id.0].kind else { return Vec::new() };
    st.fields
        .iter()
        .filter(|f| const_tag(types, ty, &f.wire).is_some())
        .map(|f| f.wire.clone())
        .collect()
}

/// Finds a property whose `const` tells every variant apart (at most one variant may lack it,
/// and becomes the fallback); fills in the tags. Returns the property.
pub fn discriminate(types: &[TypeDef], variants: &mut [UnionVariant], explicit: Option<&str>) -> Option<String> {
    let candidates: Vec<String> = match explicit {
        Some(p) => vec![p.to_string()],
        None => variants.iter().flat_map(|v| const_properties(types, &v.ty)).collect(),
    };
    for property in candidates {
        let tags: Vec<Option<String>> = variants.iter().map(|v| const_tag(types, &v.ty, &property)).collect();
        let missing = tags.iter().filter(|t| t.is_none()).count();
        let mut present: Vec<&String> = tags.iter().flatten().collect();
        let total = present.len();
        present.sort();
        present.dedup();
        if present.len() == total && total >= 1 && missing <= 1 && (total >= 2 || variants.len() == 1) {
            for (v, t) in variants.iter_mut().zip(tags) {
                v.tag = t;
            }
            // The fallback is tried last.
            if let Some(i) = variants.iter().position(|v| v.tag.is_none()) {
                variants[i..].rotate_left(1);
            }
            return Some(property);
        }
    }
    None
}
