//! Avro payloads (`schemaFormat: application/vnd.apache.avro…`) read as the JSON Schema they
//! mean for JSON data, so types, docs, example checks, `conform` and `diff` treat them like any
//! payload. Named types (records, enums, fixed) become named schemas, found by full name across
//! every Avro payload and Avro component schema of a document (namespaces resolved as the Avro
//! specification says).
//!
//! | Avro | JSON Schema |
//! | --- | --- |
//! | `null`, `boolean`, `string` | the same type |
//! | `int`, `long` | `integer` (`format: int32` / `int64`) |
//! | `float`, `double` | `number` (`format: float` for `float`) |
//! | `bytes`, `fixed` | an array of bytes (0–255), `fixed` of exactly `size` |
//! | `record` | `object`: every field a property, fields without `default` required; others allowed (readers ignore them) |
//! | `enum` | `string` with `enum: symbols` |
//! | `array`, `map` | `array` of `items`, `object` of `values` |
//! | union with `null` and one type | that type, nullable |
//! | other unions | `anyOf` (Avro picks the first branch that fits) |
//! | `doc`, `default` | `description`, `default` |
//! | logical type `uuid` | `format: uuid`; others keep their base type and are named in the description (`timestamp-millis`, `-micros` and `date` also in `x-avro-logical-type`, for `--chrono`) |

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::Document;
use crate::diag::{escape_segment, Code, Diagnostic, Errors, Result};
use crate::load::{Loc, SourceSet};

/// Whether a `schemaFormat` is Avro (`application/vnd.apache.avro`, `+json`, `+yaml`).
pub fn is_avro_format(format: &str) -> bool {
    format.trim().to_ascii_lowercase().starts_with("application/vnd.apache.avro")
}

/// The key under which a translated schema keeps an Avro `logicalType` its JSON Schema cannot say.
pub const LOGICAL_TYPE: &str = "x-avro-logical-type";

/// Avro's primitive type names (never namespaced).
pub(crate) const PRIMITIVES: &[&str] = &["null", "boolean", "int", "long", "float", "double", "bytes", "string"];

/// An Avro payload: the writer schema records are encoded with.
#[derive(Debug, Clone)]
pub struct AvroPayload {
    /// The payload's full name, when it is a named type (a record, most often).
    pub name: Option<String>,
    /// The schema on its own: every named type it uses defined where first used, every
    /// reference by full name.
    pub writer: Value,
}

/// A named type found in the document's Avro schemas.
struct Named<'a> {
    schema: &'a Value,
    loc: Loc,
    /// The namespace its nested names resolve against.
    namespace: Option<String>,
}

/// Replaces every Avro payload of `docs` with its JSON Schema translation, in one synthetic file
/// per document (`/definitions/<full name>` and `/payloads/<n>`). The named types join the
/// document's component schemas; each message keeps its Avro schema's location in `avro`.
pub fn translate(set: &mut SourceSet, docs: &mut [Document]) -> Result<()> {
    let mut errors = Vec::new();
    for doc in docs.iter_mut() {
        if let Err(e) = translate_document(set, doc) {
            errors.extend(e.0);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Errors(errors))
    }
}

fn translate_document(set: &mut SourceSet, doc: &mut Document) -> Result<()> {
    // Each Avro payload once, after `$ref`s (an `.avsc` file, a component).
    let mut payloads: Vec<Loc> = Vec::new();
    for m in doc.channels.iter().flat_map(|c| &c.messages) {
        if let (Some(format), Some(payload)) = (&m.schema_format, &m.payload) {
            if is_avro_format(format) {
                let target = set.deref(payload).map_err(Errors::from)?;
                if !payloads.contains(&target) {
                    payloads.push(target);
                }
            }
        }
    }
    if payloads.is_empty() {
        return Ok(());
    }
    // Avro schemas under `components.schemas` (multi-format) define named types too, for
    // payloads that only reference them.
    let mut components: Vec<Loc> = Vec::new();
    for (_, loc) in &doc.component_schemas {
        let Ok(target) = set.deref(loc) else { continue };
        let format = set.get(&target).and_then(|v| v.get("schemaFormat")).and_then(Value::as_str);
        if format.is_some_and(is_avro_format) {
            if let Ok(schema) = set.deref(&target.child("schema")) {
                components.push(schema);
            }
        }
    }
    let (definitions, translated, names, writers) = {
        let mut t = Translator { set, named: BTreeMap::new(), keys: BTreeMap::new(), errors: Vec::new() };
        for p in payloads.iter().chain(&components) {
            if let Some(v) = set.get(p) {
                t.collect(v, p, None);
            }
        }
        t.assign_keys();
        let named: Vec<(String, Value, Loc, Option<String>)> =
            t.named.iter().map(|(full, n)| (t.keys[full].clone(), n.schema.clone(), n.loc.clone(), n.namespace.clone())).collect();
        let mut definitions = Map::new();
        for (key, schema, loc, namespace) in &named {
            definitions.insert(key.clone(), t.named_type(schema, loc, namespace.as_deref()));
        }
        let translated: Vec<Value> = payloads.iter().map(|p| set.get(p).map_or(Value::Bool(true), |v| t.schema(v, p, None))).collect();
        if !t.errors.is_empty() {
            return Err(Errors(t.errors));
        }
        let writers: Vec<AvroPayload> = payloads
            .iter()
            .map(|p| {
                let schema = set.get(p).unwrap_or(&Value::Null);
                AvroPayload { name: t.full_name_of(schema, None), writer: t.standalone(schema, None, &mut BTreeSet::new()) }
            })
            .collect();
        (definitions, translated, named.into_iter().map(|(key, ..)| key).collect::<Vec<_>>(), writers)
    };
    let file = set.add_translated(json!({ "definitions": definitions, "payloads": translated }), payloads[0].clone());
    for m in doc.channels.iter_mut().flat_map(|c| c.messages.iter_mut()) {
        let avro = m.schema_format.as_deref().is_some_and(is_avro_format);
        let Some(payload) = m.payload.clone().filter(|_| avro) else { continue };
        let Ok(target) = set.deref(&payload) else { continue };
        if let Some(i) = payloads.iter().position(|p| *p == target) {
            m.avro = Some(writers[i].clone());
            m.payload = Some(Loc::new(file, format!("/payloads/{i}")));
            m.schema_format = None;
        }
    }
    for key in names {
        let short = key.rsplit('.').next().unwrap_or(&key).to_string();
        doc.component_schemas.push((short, Loc::new(file, format!("/definitions/{}", escape_segment(&key)))));
    }
    Ok(())
}

struct Translator<'s> {
    set: &'s SourceSet,
    named: BTreeMap<String, Named<'s>>,
    /// Full name → key under `/definitions`: the short name where no other type shares it.
    keys: BTreeMap<String, String>,
    errors: Vec<Diagnostic>,
}

/// The full name of `name` declared or referenced in `namespace`.
pub(crate) fn full_name(name: &str, namespace: Option<&str>) -> String {
    match namespace.filter(|ns| !ns.is_empty() && !name.contains('.')) {
        Some(ns) => format!("{ns}.{name}"),
        None => name.to_string(),
    }
}

impl<'s> Translator<'s> {
    fn assign_keys(&mut self) {
        let short = |full: &str| full.rsplit('.').next().unwrap_or(full).to_string();
        for full in self.named.keys() {
            let shared = self.named.keys().filter(|other| short(other) == short(full)).count() > 1;
            self.keys.insert(full.clone(), if shared { full.clone() } else { short(full) });
        }
    }

    /// A `$ref` to the definition of the named type `full`.
    fn reference(&self, full: &str) -> Value {
        let key = self.keys.get(full).map_or(full, String::as_str);
        json!({ "$ref": format!("#/definitions/{}", escape_segment(key)) })
    }

    fn error(&mut self, loc: &Loc, message: String) {
        self.errors.push(self.set.diag(Code::InvalidValue, loc, message));
    }

    /// Records every named type in `schema` (declared in `namespace`).
    fn collect(&mut self, schema: &'s Value, loc: &Loc, namespace: Option<&str>) {
        match schema {
            Value::Array(branches) => {
                for (i, b) in branches.iter().enumerate() {
                    self.collect(b, &loc.index(i), namespace);
                }
            }
            Value::Object(o) => {
                let kind = o.get("type");
                match kind.and_then(Value::as_str) {
                    Some("record" | "error" | "enum" | "fixed") => {
                        let Some(name) = o.get("name").and_then(Value::as_str) else {
                            self.error(loc, "a named Avro type (record, enum, fixed) needs a `name`".into());
                            return;
                        };
                        let own_ns = o.get("namespace").and_then(Value::as_str).or(namespace);
                        let full = full_name(name, own_ns);
                        let inner_ns = full.rsplit_once('.').map(|(ns, _)| ns.to_string());
                        if let Some(existing) = self.named.get(&full) {
                            if existing.schema != schema {
                                let message = format!("Avro type `{full}` is defined twice, differently");
                                self.error(loc, message);
                            }
                            return;
                        }
                        self.named.insert(full, Named { schema, loc: loc.clone(), namespace: inner_ns.clone() });
                        if let Some(Value::Array(fields)) = o.get("fields") {
                            for (i, f) in fields.iter().enumerate() {
                                if let Some(t) = f.get("type") {
                                    self.collect(t, &loc.child("fields").index(i).child("type"), inner_ns.as_deref());
                                }
                            }
                        }
                    }
                    Some("array") => {
                        if let Some(items) = o.get("items") {
                            self.collect(items, &loc.child("items"), namespace);
                        }
                    }
                    Some("map") => {
                        if let Some(values) = o.get("values") {
                            self.collect(values, &loc.child("values"), namespace);
                        }
                    }
                    _ => {
                        if let Some(inner @ (Value::Object(_) | Value::Array(_))) = kind {
                            self.collect(inner, &loc.child("type"), namespace);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// The full name of the named type `schema` declares or references, if any.
    fn full_name_of(&self, schema: &Value, namespace: Option<&str>) -> Option<String> {
        match schema {
            Value::String(name) if !PRIMITIVES.contains(&name.as_str()) => {
                let full = full_name(name, namespace);
                Some(if self.named.contains_key(&full) { full } else { name.clone() })
            }
            Value::Object(o) => match o.get("type") {
                Some(Value::String(kind)) if matches!(kind.as_str(), "record" | "error" | "enum" | "fixed") => {
                    let name = o.get("name").and_then(Value::as_str)?;
                    Some(full_name(name, o.get("namespace").and_then(Value::as_str).or(namespace)))
                }
                Some(inner @ Value::Object(_)) => self.full_name_of(inner, namespace),
                Some(Value::String(name)) if o.len() == 1 => self.full_name_of(&Value::String(name.clone()), namespace),
                _ => None,
            },
            _ => None,
        }
    }

    /// `schema` (used in `namespace`) on its own: each named type defined at its first use,
    /// with its full name and no `namespace`, and referenced by full name after that
    /// (`defined` holds the names already defined). `error` records become records.
    fn standalone(&self, schema: &Value, namespace: Option<&str>, defined: &mut BTreeSet<String>) -> Value {
        match schema {
            Value::String(name) if PRIMITIVES.contains(&name.as_str()) => schema.clone(),
            Value::String(name) => {
                let full = full_name(name, namespace);
                let full = if self.named.contains_key(&full) { full } else { name.clone() };
                match self.named.get(&full) {
                    Some(named) if !defined.contains(&full) => self.standalone(named.schema, named.namespace.as_deref(), defined),
                    _ => Value::String(full),
                }
            }
            Value::Array(branches) => Value::Array(branches.iter().map(|b| self.standalone(b, namespace, defined)).collect()),
            Value::Object(o) => {
                let mut out = o.clone();
                match o.get("type") {
                    Some(Value::String(kind)) => match kind.as_str() {
                        "record" | "error" | "enum" | "fixed" => {
                            let name = o.get("name").and_then(Value::as_str).unwrap_or_default();
                            let full = full_name(name, o.get("namespace").and_then(Value::as_str).or(namespace));
                            if !defined.insert(full.clone()) {
                                return Value::String(full);
                            }
                            let inner_ns = full.rsplit_once('.').map(|(ns, _)| ns.to_string());
                            out.remove("namespace");
                            out.insert("name".into(), Value::String(full));
                            if kind == "error" {
                                out.insert("type".into(), json!("record"));
                            }
                            if let Some(Value::Array(fields)) = o.get("fields") {
                                let fields = fields
                                    .iter()
                                    .map(|f| {
                                        let mut f = f.clone();
                                        if let Some(ty) = f.get("type").cloned() {
                                            f["type"] = self.standalone(&ty, inner_ns.as_deref(), defined);
                                        }
                                        f
                                    })
                                    .collect();
                                out.insert("fields".into(), Value::Array(fields));
                            }
                        }
                        "array" => {
                            if let Some(items) = o.get("items") {
                                out.insert("items".into(), self.standalone(items, namespace, defined));
                            }
                        }
                        "map" => {
                            if let Some(values) = o.get("values") {
                                out.insert("values".into(), self.standalone(values, namespace, defined));
                            }
                        }
                        primitive if PRIMITIVES.contains(&primitive) => {}
                        other => {
                            out.insert("type".into(), self.standalone(&Value::String(other.to_string()), namespace, defined));
                        }
                    },
                    Some(inner) => {
                        out.insert("type".into(), self.standalone(inner, namespace, defined));
                    }
                    None => {}
                }
                Value::Object(out)
            }
            other => other.clone(),
        }
    }

    /// The JSON Schema of a named type's own definition.
    fn named_type(&mut self, schema: &Value, loc: &Loc, namespace: Option<&str>) -> Value {
        let Value::Object(o) = schema else { return Value::Bool(true) };
        let mut out = match o.get("type").and_then(Value::as_str) {
            Some("record" | "error") => self.record(o, loc, namespace),
            Some("enum") => {
                let symbols = o.get("symbols").cloned().unwrap_or_else(|| Value::Array(Vec::new()));
                if !symbols.as_array().is_some_and(|s| !s.is_empty() && s.iter().all(Value::is_string)) {
                    self.error(&loc.child("symbols"), "an Avro enum needs `symbols`, a non-empty list of names".into());
                }
                json!({ "type": "string", "enum": symbols })
            }
            Some("fixed") => {
                let size = o.get("size").and_then(Value::as_u64);
                if size.is_none() {
                    self.error(&loc.child("size"), "an Avro fixed type needs a `size`".into());
                }
                let mut bytes = byte_array();
                bytes.insert("minItems".into(), json!(size.unwrap_or(0)));
                bytes.insert("maxItems".into(), json!(size.unwrap_or(0)));
                logical(&mut bytes, o);
                Value::Object(bytes)
            }
            _ => Value::Bool(true),
        };
        if let (Value::Object(m), Some(doc)) = (&mut out, o.get("doc").and_then(Value::as_str)) {
            describe(m, doc);
        }
        if let (Value::Object(m), Some(name)) = (&mut out, o.get("name").and_then(Value::as_str)) {
            m.insert("title".into(), Value::String(name.rsplit('.').next().unwrap_or(name).to_string()));
        }
        out
    }

    fn record(&mut self, o: &Map<String, Value>, loc: &Loc, namespace: Option<&str>) -> Value {
        let Some(Value::Array(fields)) = o.get("fields") else {
            self.error(loc, "an Avro record needs `fields`, a list".into());
            return Value::Bool(true);
        };
        let mut properties = Map::new();
        let mut required = Vec::new();
        for (i, f) in fields.iter().enumerate() {
            let at = loc.child("fields").index(i);
            let (Some(name), Some(ty)) = (f.get("name").and_then(Value::as_str), f.get("type")) else {
                self.error(&at, "an Avro record field needs a `name` and a `type`".into());
                continue;
            };
            let mut schema = self.schema(ty, &at.child("type"), namespace);
            if let Value::Object(m) = &mut schema {
                if let Some(doc) = f.get("doc").and_then(Value::as_str) {
                    describe(m, doc);
                }
                if let Some(default) = f.get("default") {
                    m.insert("default".into(), default.clone());
                }
            }
            if f.get("default").is_none() {
                required.push(Value::String(name.to_string()));
            }
            properties.insert(name.to_string(), schema);
        }
        let mut out = Map::new();
        out.insert("type".into(), json!("object"));
        out.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            out.insert("required".into(), Value::Array(required));
        }
        // Avro readers ignore the fields a writer has and they do not: other properties are
        // allowed (for `diff` and `conform`), and dropped by the Rust type.
        out.insert("additionalProperties".into(), json!({ "x-ignored": true }));
        Value::Object(out)
    }

    /// The JSON Schema of an Avro schema used at `loc` (a reference for named types).
    fn schema(&mut self, schema: &Value, loc: &Loc, namespace: Option<&str>) -> Value {
        match schema {
            Value::String(name) => self.by_name(name, loc, namespace),
            Value::Array(branches) => {
                let nulls = branches.iter().filter(|b| b.as_str() == Some("null")).count();
                let others: Vec<(usize, &Value)> = branches.iter().enumerate().filter(|(_, b)| b.as_str() != Some("null")).collect();
                let mut translated: Vec<Value> = others.iter().map(|(i, b)| self.schema(b, &loc.index(*i), namespace)).collect();
                match (translated.len(), nulls) {
                    (0, _) => json!({ "type": "null" }),
                    (1, 0) => translated.remove(0),
                    _ => {
                        if nulls > 0 {
                            translated.push(json!({ "type": "null" }));
                        }
                        json!({ "anyOf": translated })
                    }
                }
            }
            Value::Object(o) => match o.get("type") {
                Some(Value::String(kind)) => match kind.as_str() {
                    "record" | "error" | "enum" | "fixed" => {
                        let name = o.get("name").and_then(Value::as_str).unwrap_or_default();
                        let own_ns = o.get("namespace").and_then(Value::as_str).or(namespace);
                        self.reference(&full_name(name, own_ns))
                    }
                    "array" => match o.get("items") {
                        Some(items) => json!({ "type": "array", "items": self.schema(items, &loc.child("items"), namespace) }),
                        None => {
                            self.error(loc, "an Avro array needs `items`".into());
                            Value::Bool(true)
                        }
                    },
                    "map" => match o.get("values") {
                        Some(values) => {
                            json!({ "type": "object", "additionalProperties": self.schema(values, &loc.child("values"), namespace) })
                        }
                        None => {
                            self.error(loc, "an Avro map needs `values`".into());
                            Value::Bool(true)
                        }
                    },
                    primitive if PRIMITIVES.contains(&primitive) => {
                        let mut out = match primitive_schema(primitive) {
                            Value::Object(m) => m,
                            _ => Map::new(),
                        };
                        logical(&mut out, o);
                        Value::Object(out)
                    }
                    other => self.by_name(other, &loc.child("type"), namespace),
                },
                Some(inner) => self.schema(inner, &loc.child("type"), namespace),
                None => {
                    self.error(loc, "an Avro schema object needs a `type`".into());
                    Value::Bool(true)
                }
            },
            _ => {
                self.error(loc, format!("not an Avro schema: {schema}"));
                Value::Bool(true)
            }
        }
    }

    /// A primitive, or a reference to a named type (its name resolved in `namespace`, then bare).
    fn by_name(&mut self, name: &str, loc: &Loc, namespace: Option<&str>) -> Value {
        if PRIMITIVES.contains(&name) {
            return primitive_schema(name);
        }
        let full = full_name(name, namespace);
        if self.named.contains_key(&full) {
            return self.reference(&full);
        }
        if self.named.contains_key(name) {
            return self.reference(name);
        }
        self.error(loc, format!("Avro type `{name}` is not defined in this document's Avro schemas"));
        Value::Bool(true)
    }
}

fn byte_array() -> Map<String, Value> {
    match json!({ "type": "array", "items": { "type": "integer", "format": "uint8", "minimum": 0, "maximum": 255 } }) {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn primitive_schema(name: &str) -> Value {
    match name {
        "null" => json!({ "type": "null" }),
        "boolean" => json!({ "type": "boolean" }),
        "int" => json!({ "type": "integer", "format": "int32" }),
        "long" => json!({ "type": "integer", "format": "int64" }),
        "float" => json!({ "type": "number", "format": "float" }),
        "double" => json!({ "type": "number" }),
        "bytes" => Value::Object(byte_array()),
        _ => json!({ "type": "string" }),
    }
}

/// A logical type: `uuid` as `format: uuid`; the others named in the description.
fn logical(out: &mut Map<String, Value>, avro: &Map<String, Value>) {
    let Some(logical) = avro.get("logicalType").and_then(Value::as_str) else { return };
    if matches!(logical, "timestamp-millis" | "timestamp-micros" | "date") {
        out.insert(LOGICAL_TYPE.into(), json!(logical));
    }
    match logical {
        "uuid" => {
            out.insert("format".into(), json!("uuid"));
        }
        "decimal" => {
            let precision = avro.get("precision").map_or_else(|| "?".to_string(), Value::to_string);
            let scale = avro.get("scale").map_or_else(|| "0".to_string(), Value::to_string);
            describe(out, &format!("Avro logical type `decimal({precision}, {scale})`: a big-endian two's-complement unscaled value."));
        }
        "timestamp-millis" | "local-timestamp-millis" => describe(out, &format!("Avro logical type `{logical}`: milliseconds since the Unix epoch.")),
        "timestamp-micros" | "local-timestamp-micros" => describe(out, &format!("Avro logical type `{logical}`: microseconds since the Unix epoch.")),
        "date" => describe(out, "Avro logical type `date`: days since the Unix epoch."),
        "time-millis" => describe(out, "Avro logical type `time-millis`: milliseconds after midnight."),
        "time-micros" => describe(out, "Avro logical type `time-micros`: microseconds after midnight."),
        other => describe(out, &format!("Avro logical type `{other}`.")),
    }
}

/// Adds `text` to a schema's description.
fn describe(out: &mut Map<String, Value>, text: &str) {
    let joined = match out.get("description").and_then(Value::as_str) {
        Some(existing) => format!("{existing}\n\n{text}"),
        None => text.to_string(),
    };
    out.insert("description".into(), Value::String(joined));
}
