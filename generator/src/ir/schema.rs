//! JSON Schema → type graph. Named types get ids before their children are converted, so
//! recursion terminates; identity is the schema's location after `$ref`s.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::naming::{field_name, type_name, Scope};
use super::types::*;
use crate::diag::{Code, Diagnostic};
use crate::keywords::{all_of_members, declared_types, discriminator, lists_subtype, open_enum, ref_name, union_members, Discriminator, MergedObject};
use crate::load::{Loc, SourceSet};

/// More required fields than this, and a struct gets a builder instead of a constructor.
pub const MAX_CONSTRUCTOR_ARGS: usize = 7;

/// Options that change how formats map to Rust.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TypeOptions {
    /// `format: date-time` → `chrono::DateTime<Utc>` (else `String`).
    pub chrono: bool,
    /// `format: uuid` → `uuid::Uuid` (else `String`).
    pub uuid: bool,
}

pub struct SchemaBuilder<'a> {
    set: &'a SourceSet,
    options: TypeOptions,
    pub types: Vec<TypeDef>,
    by_loc: HashMap<Loc, TypeId>,
    names: Scope,
    /// Component schema locations (after `$ref`s), searched for subtypes of a discriminated base.
    components: Vec<Loc>,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

/// JSON Schema keywords with no Rust shape: accepted, not enforced by the type, warned about.
const NOT_ENFORCED: &[&str] = &[
    "not",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contains",
    "propertyNames",
];

/// An `allOf` (or a lone schema) folded into one object shape.
#[derive(Debug, Default)]
struct Merged {
    object: MergedObject,
    /// The first `oneOf`/`anyOf` that is not a base's list of its own subtypes: the array's location.
    union: Option<Loc>,
    /// The first `discriminator` met (own or a member's).
    discriminator: Option<Discriminator>,
    /// Discriminator values this schema must carry as a subtype of a discriminated base.
    subtype_tags: Vec<(String, String)>,
}

impl<'a> SchemaBuilder<'a> {
    pub fn new(set: &'a SourceSet, options: TypeOptions) -> Self {
        SchemaBuilder {
            set,
            options,
            types: Vec::new(),
            by_loc: HashMap::new(),
            names: Scope::default(),
            components: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Registers the document's component schemas (for subtype lookup).
    pub fn set_components(&mut self, components: &[(String, Loc)]) {
        self.components = components.iter().filter_map(|(_, l)| self.set.deref(l).ok()).collect();
    }

    fn warn(&mut self, loc: &Loc, message: impl Into<String>) {
        let d = self.set.diag(Code::NotEnforced, loc, message).warning();
        if !self.warnings.contains(&d) {
            self.warnings.push(d);
        }
    }

    fn error(&mut self, code: Code, loc: &Loc, message: impl Into<String>) {
        self.errors.push(self.set.diag(code, loc, message));
    }

    /// Gives a builder to every struct with more required fields than a constructor should take.
    pub fn name_builders(&mut self) {
        let many: Vec<(usize, String)> = self
            .types
            .iter()
            .enumerate()
            .filter_map(|(i, t)| match &t.kind {
                Kind::Struct(st) if st.fields.iter().filter(|f| f.required && !f.is_const(&self.types)).count() > MAX_CONSTRUCTOR_ARGS => Some((i, t.name.clone())),
                _ => None,
            })
            .collect();
        for (i, name) in many {
            let builder = self.names.claim(&format!("{name}Builder"));
            if let Kind::Struct(st) = &mut self.types[i].kind {
                st.builder = Some(builder);
            }
        }
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

    /// Whether the schema at `loc` is a string with no `const` or `enum` of its own.
    fn is_plain_string(&self, loc: &Loc) -> bool {
        let Some(o) = self.set.deref(loc).ok().and_then(|t| self.set.get(&t)).and_then(Value::as_object) else { return false };
        !o.contains_key("const") && !o.contains_key("enum") && o.get("type").is_none_or(|t| t == "string")
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
        let text = match (title, desc) {
            (_, Some(d)) => Some(d.to_string()),
            (Some(t), None) => Some(t.to_string()),
            _ => None,
        };
        let unenforced: Vec<String> = NOT_ENFORCED.iter().filter(|k| o.contains_key(**k)).map(|k| format!("`{k}`")).collect();
        if unenforced.is_empty() {
            return text;
        }
        let note = format!("Not enforced by this Rust type (checked by `validate` and `conform`): {}.", unenforced.join(", "));
        Some(match text {
            Some(t) => format!("{t}\n\n{note}"),
            None => note,
        })
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
                self.warn(&target, "the `false` schema (no value allowed) has no Rust type; any value is accepted");
                return Ty::Any;
            }
            other => {
                let msg = format!("expected a schema object, found {other}");
                self.error(Code::WrongType, &target, msg);
                return Ty::Any;
            }
        };
        for kw in NOT_ENFORCED {
            if schema.contains_key(*kw) {
                let msg = format!("`{kw}` is not enforced by the generated Rust type; `validate` and `conform` still apply it");
                self.warn(&target.child(kw), msg);
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
        let has_union = s.contains_key("oneOf") || s.contains_key("anyOf");
        if s.contains_key("allOf") || (has_union && s.contains_key("properties")) || (!has_union && s.contains_key("discriminator")) {
            return (self.composite(loc, s, hint, doc), nullable);
        }
        for key in ["oneOf", "anyOf"] {
            if s.get(key).is_some_and(Value::is_array) {
                let (ty, n) = self.union(loc, key, hint, doc);
                return (ty, n || nullable);
            }
        }
        let objectish = s.contains_key("properties") || s.contains_key("additionalProperties") || s.contains_key("required");
        match types.as_slice() {
            [] if objectish => (self.object(loc, hint, doc), nullable),
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
        // An Avro date or time logical type, as chrono values when asked for.
        let logical = s.get(crate::spec::avro::LOGICAL_TYPE).and_then(Value::as_str).and_then(EpochUnit::of_logical_type);
        if let (true, "integer", Some(unit)) = (self.options.chrono, t, logical) {
            return Ty::Epoch(unit);
        }
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
                if let Some(tuple) = self.tuple(loc, s, hint) {
                    return tuple;
                }
                let item = match s.get("items") {
                    Some(Value::Object(_)) | Some(Value::Bool(true)) => self.ty(&loc.child("items"), &format!("{hint}Item")),
                    _ => Ty::Any,
                };
                Ty::Vec(Box::new(item))
            }
            "object" => self.object(loc, hint, doc),
            "null" => Ty::Any,
            other => {
                let msg = format!("unknown schema type `{other}`");
                self.error(Code::InvalidValue, &loc.child("type"), msg);
                Ty::Any
            }
        }
    }

    /// `prefixItems: [..]` or `items: [..]`: a tuple of the positions. Arrays longer or shorter than
    /// the tuple, when the schema allows them, are rejected by the type: a warning says so.
    fn tuple(&mut self, loc: &Loc, s: &Map<String, Value>, hint: &str) -> Option<Ty> {
        let (key, rest_key) = match (s.get("prefixItems"), s.get("items")) {
            (Some(Value::Array(_)), _) => ("prefixItems", "items"),
            (None, Some(Value::Array(_))) => ("items", "additionalItems"),
            _ => return None,
        };
        let count = s.get(key).and_then(Value::as_array).map_or(0, Vec::len);
        let at = loc.child(key);
        let items: Vec<Ty> = (0..count).map(|i| self.ty(&at.index(i), &format!("{hint}Item{}", i + 1))).collect();
        let closed = s.get(rest_key) == Some(&Value::Bool(false)) || s.get("maxItems").and_then(Value::as_u64) == Some(count as u64);
        let full = s.get("minItems").and_then(Value::as_u64) == Some(count as u64);
        if !(closed && full) {
            let msg = format!("this tuple type decodes exactly {count} items; arrays with fewer or more, which the schema allows, are rejected (add `minItems`/`maxItems` of {count}, or `{rest_key}: false`, to say so in the schema)");
            self.warn(&at, msg);
        }
        Some(Ty::Tuple(items))
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
    fn union(&mut self, loc: &Loc, key: &str, hint: &str, doc: Option<String>) -> (Ty, bool) {
        let (mut members, nullable) = union_members(self.set, &loc.child(key));
        if let Some((values, _)) = open_enum(&members) {
            return self.enum_type(loc, values, hint, doc, true, nullable);
        }
        if members.len() == 1 {
            let (l, _) = members.remove(0);
            return (self.ty(&l, hint), nullable);
        }
        let id = self.new_type(hint, Some(loc.clone()), doc);
        let discriminator = discriminator(self.set, loc);
        let mut scope = Scope::default();
        let mut variants = Vec::new();
        let mut tags = Vec::new();
        for (i, (l, _)) in members.iter().enumerate() {
            let fallback = format!("{hint}Variant{}", i + 1);
            let ty = self.ty(l, &fallback);
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
            let target = self.set.deref(l).ok();
            tags.push(discriminator.as_ref().zip(target).and_then(|(d, t)| d.tag_for(&t)));
        }
        let tagging = self.tagging(&mut variants, discriminator.as_ref(), tags);
        self.types[id.0].kind = Kind::Union(Union { tagging, variants });
        (Ty::Named(id), nullable)
    }

    /// The name a `$ref` at `loc` suggests, if it is one.
    fn ref_hint(&self, loc: &Loc) -> Option<String> {
        let reference = self.set.ref_at(loc)?;
        self.set.resolve_ref(loc, reference).ok().and_then(|t| ref_name(&t)).map(|n| type_name(&n))
    }

    /// Folds the schema at `loc` and its `allOf` members (recursively) into one object shape.
    fn merge(&mut self, loc: &Loc) -> Merged {
        let mut m = Merged::default();
        let (members, errors) = all_of_members(self.set, loc);
        self.errors.extend(errors);
        let Some(me) = members.first().cloned() else { return m };
        for (i, t) in members.iter().enumerate() {
            let own = i == 0;
            let Some(o) = self.set.get(t).and_then(Value::as_object) else { continue };
            let discriminator = discriminator(self.set, t);
            // A base listing its subtypes contributes its fields to each subtype, not its union.
            let is_base_of_me = !own && lists_subtype(self.set, t, &me);
            if !is_base_of_me {
                for kw in ["oneOf", "anyOf"] {
                    if o.get(kw).is_some_and(Value::is_array) {
                        if m.union.is_none() {
                            m.union = Some(t.child(kw));
                        } else {
                            self.warn(&t.child(kw), format!("a second `{kw}` in one `allOf` is not enforced by the generated Rust type"));
                        }
                    }
                }
            }
            if let (false, Some(d)) = (own, &discriminator) {
                if let Some(tag) = d.tag_for(&me) {
                    m.subtype_tags.push((d.property.clone(), tag));
                }
            }
            if m.discriminator.is_none() {
                m.discriminator = discriminator;
            }
            m.object.add(self.set, t);
        }
        m
    }

    /// Component schemas whose `allOf` names the schema at `base` directly: its subtypes.
    fn subtypes_of(&self, base: &Loc) -> Vec<Loc> {
        self.components
            .iter()
            .filter(|c| {
                let Some(Value::Array(members)) = self.set.get(c).and_then(|v| v.get("allOf")) else { return false };
                (0..members.len()).any(|i| self.set.deref(&c.child("allOf").index(i)).ok().as_ref() == Some(base))
            })
            .cloned()
            .collect()
    }

    /// `allOf`, properties beside a `oneOf`/`anyOf`, or a discriminated base: a struct of the merged
    /// fields, or a tagged union whose variants carry the base's fields too.
    fn composite(&mut self, loc: &Loc, s: &Map<String, Value>, hint: &str, doc: Option<String>) -> Ty {
        let only_ref = s.get("allOf").and_then(Value::as_array).is_some_and(|a| a.len() == 1)
            && !["properties", "required", "oneOf", "anyOf", "discriminator"].iter().any(|k| s.contains_key(*k));
        if only_ref {
            return self.ty(&loc.child("allOf").index(0), hint);
        }
        let merged = self.merge(loc);
        if let Some(union_loc) = merged.union.clone() {
            return self.distributed_union(loc, &union_loc, merged, hint, doc);
        }
        if let Some(d) = discriminator(self.set, loc) {
            let subtypes = self.subtypes_of(loc);
            if !subtypes.is_empty() {
                let id = self.new_type(hint, Some(loc.clone()), doc);
                let mut scope = Scope::default();
                let mut variants = Vec::new();
                let mut tags = Vec::new();
                for sub in &subtypes {
                    let wanted = ref_name(sub).map(|n| type_name(&n)).unwrap_or_else(|| format!("{hint}Variant"));
                    let ty = self.ty(sub, &wanted);
                    variants.push(UnionVariant { rust: scope.claim(&self.variant_name(&ty, &wanted)), ty, tag: None, boxed: false });
                    tags.push(d.tag_for(sub));
                }
                let tagging = self.tagging(&mut variants, Some(&d), tags);
                self.types[id.0].kind = Kind::Union(Union { tagging, variants });
                return Ty::Named(id);
            }
        }
        let id = self.new_type(hint, Some(loc.clone()), doc);
        let name = self.types[id.0].name.clone();
        let kind = self.struct_kind(&name, &merged.object.required, &merged.object.props, merged.object.additional, &merged.subtype_tags);
        self.types[id.0].kind = kind;
        Ty::Named(id)
    }

    /// A union whose members each get the base's fields: one variant per `oneOf`/`anyOf` member.
    fn distributed_union(&mut self, loc: &Loc, union_loc: &Loc, base: Merged, hint: &str, doc: Option<String>) -> Ty {
        let id = self.new_type(hint, Some(loc.clone()), doc);
        let count = self.set.get(union_loc).and_then(Value::as_array).map_or(0, Vec::len);
        let mut scope = Scope::default();
        let mut variants = Vec::new();
        let mut tags = Vec::new();
        for i in 0..count {
            let member = union_loc.index(i);
            let Ok(target) = self.set.deref(&member) else { continue };
            let tag = base.discriminator.as_ref().and_then(|d| d.tag_for(&target));
            let referenced = self.ref_hint(&member);
            let wanted = referenced.clone().unwrap_or_else(|| format!("{hint}Variant{}", i + 1));
            let own = self.merge(&member);
            let covers = base.object.props.iter().all(|(n, _)| own.object.props.iter().any(|(o, _)| o == n));
            let ty = if covers || own.union.is_some() {
                self.ty(&member, &wanted)
            } else {
                let mut props = base.object.props.clone();
                for (n, l) in &own.object.props {
                    props.retain(|(p, _)| p != n);
                    props.push((n.clone(), l.clone()));
                }
                let mut required = base.object.required.clone();
                required.extend(own.object.required.iter().filter(|r| !base.object.required.contains(r)).cloned());
                let additional = own.object.additional.or_else(|| base.object.additional.clone());
                let overrides: Vec<(String, String)> =
                    base.discriminator.iter().zip(&tag).map(|(d, t)| (d.property.clone(), t.clone())).collect();
                let doc = self.description(&target);
                let struct_name = if referenced.is_some() { format!("{hint}{wanted}") } else { wanted.clone() };
                let vid = self.new_type(&struct_name, None, doc);
                let name = self.types[vid.0].name.clone();
                self.types[vid.0].kind = self.struct_kind(&name, &required, &props, additional, &overrides);
                Ty::Named(vid)
            };
            variants.push(UnionVariant { rust: scope.claim(&self.variant_name(&ty, &wanted)), ty, tag: None, boxed: false });
            tags.push(tag);
        }
        let tagging = self.tagging(&mut variants, base.discriminator.as_ref(), tags);
        self.types[id.0].kind = Kind::Union(Union { tagging, variants });
        Ty::Named(id)
    }

    fn variant_name(&self, ty: &Ty, fallback: &str) -> String {
        match ty {
            Ty::Named(t) => self.types[t.0].name.clone(),
            Ty::Any => fallback.to_string(),
            other => primitive_variant_name(other).to_string(),
        }
    }

    /// How a union's variants are told apart: the explicit discriminator's values when every variant
    /// has a distinct one (its own `const` of the property, else the `mapping` key or schema name),
    /// else a property found by [`discriminate`], else untagged.
    fn tagging(&self, variants: &mut [UnionVariant], d: Option<&Discriminator>, names: Vec<Option<String>>) -> Tagging {
        if let Some(d) = d {
            let explicit: Vec<Option<String>> =
                variants.iter().zip(names).map(|(v, name)| single_value(&self.types, &v.ty, &d.property, false).or(name)).collect();
            let mut known: Vec<&String> = explicit.iter().flatten().collect();
            known.sort();
            known.dedup();
            if known.len() == variants.len() && explicit.iter().all(Option::is_some) {
                for (v, t) in variants.iter_mut().zip(explicit) {
                    v.tag = t;
                }
                return Tagging::Property { property: d.property.clone() };
            }
        }
        match discriminate(&self.types, variants, d.map(|d| d.property.as_str())) {
            Some(property) => Tagging::Property { property },
            None => Tagging::Untagged,
        }
    }

    /// An object schema: a struct, or a map when it declares no properties.
    fn object(&mut self, loc: &Loc, hint: &str, doc: Option<String>) -> Ty {
        let mut object = MergedObject::default();
        object.add(self.set, loc);
        let MergedObject { props: prop_locs, required, additional } = object;
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
        let kind = self.struct_kind(&name, &required, &prop_locs, additional, &[]);
        self.types[id.0].kind = kind;
        Ty::Named(id)
    }

    /// A struct of `props`; `tags` fixes discriminator properties of a subtype to their value.
    fn struct_kind(&mut self, name: &str, required: &[String], props: &[(String, Loc)], additional: Option<(Loc, Value)>, tags: &[(String, String)]) -> Kind {
        let mut scope = Scope::default();
        let mut fields = Vec::new();
        for (wire, ploc) in props {
            let hint = format!("{name}{}", type_name(wire));
            let fixed = tags.iter().find(|(p, _)| p == wire).filter(|_| self.is_plain_string(ploc));
            let ty = match fixed {
                Some((_, tag)) => {
                    let doc = Some(format!("The discriminator value of `{name}`."));
                    Ty::Named(self.add_type(&hint, doc, Kind::Const { value: Value::String(tag.clone()) }))
                }
                None => self.ty(ploc, &hint),
            };
            let (ty, nullable) = match ty {
                Ty::Nullable(inner) => (*inner, true),
                other => (other, false),
            };
            let target = self.set.deref(ploc).ok();
            let pnode = target.as_ref().and_then(|t| self.set.get(t));
            let pmap = pnode.and_then(Value::as_object);
            fields.push(Field {
                rust: scope.claim(&field_name(wire)),
                wire: wire.clone(),
                ty,
                required: fixed.is_some() || required.iter().any(|r| r == wire),
                nullable,
                doc: target.as_ref().and_then(|t| self.description(t)),
                default: pnode.and_then(|p| p.get("default")).cloned(),
                format: pmap.and_then(|p| p.get("format")).and_then(Value::as_str).map(str::to_string),
                limits: pmap.map(crate::keywords::limits).unwrap_or_default(),
                reconstructed: pmap.is_some_and(crate::keywords::is_reconstructed),
                boxed: false,
                loc: ploc.clone(),
            });
        }
        // JSON Schema's default is `additionalProperties: true`: undeclared properties are kept.
        let extra = match additional {
            None => Extra::Keep {
                field: scope.claim("additional_properties"),
                value: Ty::Any,
            },
            Some((_, Value::Bool(false))) => Extra::Deny,
            Some((_, Value::Object(m))) if m.get("x-ignored") == Some(&Value::Bool(true)) => Extra::Ignore,
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
        Kind::Struct(Struct { fields, extra, builder: None })
    }
}

fn primitive_variant_name(ty: &Ty) -> &'static str {
    match ty {
        Ty::String | Ty::DateTime | Ty::Uuid => "String",
        Ty::Bool => "Boolean",
        Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64 | Ty::Epoch(_) => "Integer",
        Ty::F32 | Ty::F64 => "Number",
        Ty::Vec(_) | Ty::Tuple(_) => "Array",
        Ty::Map(_) => "Object",
        Ty::Nullable(_) => "Nullable",
        Ty::Any | Ty::Named(_) => "Value",
    }
}

/// The single string value (`const`, or a one-value closed `enum`) of a required property of a
/// struct type, if it has one.
pub fn const_tag(types: &[TypeDef], ty: &Ty, property: &str) -> Option<String> {
    single_value(types, ty, property, true)
}

/// The single string value of a non-nullable property, required or (with `required: false`) not.
fn single_value(types: &[TypeDef], ty: &Ty, property: &str, required: bool) -> Option<String> {
    let Ty::Named(id) = ty else { return None };
    let Kind::Struct(st) = &types[id.0].kind else { return None };
    let field = st.fields.iter().find(|f| f.wire == property && (f.required || !required) && !f.nullable)?;
    let Ty::Named(cid) = &field.ty else { return None };
    match &types[cid.0].kind {
        Kind::Const { value: Value::String(s) } => Some(s.clone()),
        Kind::Enum { variants, open: false } if variants.len() == 1 => Some(variants[0].wire.clone()),
        _ => None,
    }
}

/// Candidate discriminator properties of a struct: its single-value string properties, required
/// ones or optional ones.
fn const_properties(types: &[TypeDef], ty: &Ty, required: bool) -> Vec<String> {
    let Ty::Named(id) = ty else { return Vec::new() };
    let Kind::Struct(st) = &types[id.0].kind else { return Vec::new() };
    st.fields
        .iter()
        .filter(|f| f.required == required && single_value(types, ty, &f.wire, false).is_some())
        .map(|f| f.wire.clone())
        .collect()
}

/// Finds a property whose single value tells every variant apart (at most one variant may lack it,
/// and becomes the fallback); fills in the tags. Returns the property. The explicit discriminator
/// is tried first, then required candidates in name order, then optional ones (documents often
/// leave a tag like `type: {enum: [hello]}` out of `required`), so a `const` all variants share
/// (a version, a common `type`) is passed over for one that differs.
pub fn discriminate(types: &[TypeDef], variants: &mut [UnionVariant], explicit: Option<&str>) -> Option<String> {
    let sorted = |required: bool| {
        let mut found: Vec<String> = variants.iter().flat_map(|v| const_properties(types, &v.ty, required)).collect();
        found.sort();
        found.dedup();
        found
    };
    let (required, optional) = (sorted(true), sorted(false));
    let candidates: Vec<String> = explicit.map(str::to_string).into_iter().chain(required).chain(optional).collect();
    // A property with a distinct value per variant; failing that, the one with the most distinct
    // values, whose shared values are then decoded by trying those variants in order.
    let mut best: Option<(usize, String, Vec<Option<String>>)> = None;
    for property in candidates {
        let tags: Vec<Option<String>> = variants.iter().map(|v| single_value(types, &v.ty, &property, false)).collect();
        let missing = tags.iter().filter(|t| t.is_none()).count();
        let mut present: Vec<&String> = tags.iter().flatten().collect();
        let total = present.len();
        present.sort();
        present.dedup();
        if total == 0 || missing > 1 || (total < 2 && variants.len() > 1) {
            continue;
        }
        if present.len() == total {
            return Some(apply_tags(variants, property, tags));
        }
        if present.len() >= 2 && best.as_ref().is_none_or(|(n, ..)| present.len() > *n) {
            best = Some((present.len(), property, tags));
        }
    }
    best.map(|(_, property, tags)| apply_tags(variants, property, tags))
}

/// Sets each variant's tag; the variant without one (the fallback) is tried last.
fn apply_tags(variants: &mut [UnionVariant], property: String, tags: Vec<Option<String>>) -> String {
    for (v, t) in variants.iter_mut().zip(tags) {
        v.tag = t;
    }
    if let Some(i) = variants.iter().position(|v| v.tag.is_none()) {
        variants[i..].rotate_left(1);
    }
    property
}

/// The tagged variants grouped by tag value, in order. A group of several is decoded by trying
/// each of its variants in turn.
pub fn tag_groups(variants: &[UnionVariant]) -> Vec<(&str, Vec<&UnionVariant>)> {
    let mut groups: Vec<(&str, Vec<&UnionVariant>)> = Vec::new();
    for v in variants {
        let Some(tag) = v.tag.as_deref() else { continue };
        match groups.iter_mut().find(|(t, _)| *t == tag) {
            Some((_, members)) => members.push(v),
            None => groups.push((tag, vec![v])),
        }
    }
    groups
}
