//! Binary Avro for the messages of Avro payloads (feature `avro`), on the `apache-avro` crate.
//!
//! Generated types serialise to the JSON their Avro schema means (the mapping
//! `asyncapi-codegen` documents); this module writes that JSON as an Avro datum of the message's
//! writer schema, and reads a datum back into that JSON, so the types' serde derives serve both
//! encodings. Unions take the first branch the value fits, as Avro's JSON mapping does; a record
//! field the value lacks (or holds as `null` where the schema has no `null`) takes its default.
//!
//! Schema ids travel as a schema registry writes them ([`SchemaIdLocation`]): the Confluent
//! frame (magic byte 0, 4-byte id), Apicurio's 8-byte frame, or a record header.
//!
//! ```
//! use asyncapi_runtime::avro::{AvroSchema, SchemaIdLocation};
//! use serde_json::json;
//!
//! static READING: AvroSchema = AvroSchema::new(
//!     "iot.Reading",
//!     r#"{"type": "record", "name": "Reading", "namespace": "iot", "fields": [
//!         {"name": "sensor", "type": "string"},
//!         {"name": "celsius", "type": ["null", "double"], "default": null}]}"#,
//!     SchemaIdLocation::Payload,
//! );
//!
//! let (payload, headers) = READING.encode(&json!({"sensor": "s1", "celsius": 21.5}), Some(7)).unwrap();
//! assert_eq!(&payload[..5], &[0, 0, 0, 0, 7]);
//! let (id, value) = READING.decode(&payload, &headers).unwrap();
//! assert_eq!(id, Some(7));
//! assert_eq!(value, json!({"sensor": "s1", "celsius": 21.5}));
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::schema::{
    DecimalSchema, InnerDecimalSchema, Name, NamesRef, RecordSchema, ResolvedSchema, UuidSchema,
};
use apache_avro::types::Value as Avro;
use apache_avro::writer::datum::GenericDatumWriter;
use apache_avro::Schema;
use serde_json::{Map, Number, Value as Json};

/// Record headers: name and raw value, in wire order.
pub type Headers = Vec<(String, Vec<u8>)>;

/// The header Apicurio's serialisers write the value schema's global id to (8 bytes, big-endian).
pub const ID_HEADER: &str = "apicurio.value.globalId";

/// Where a record carries the id of its writer schema in a registry (the Kafka message
/// binding's `schemaIdLocation` and `schemaIdPayloadEncoding`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaIdLocation {
    /// No id: the record value is the bare datum.
    None,
    /// Before the datum: magic byte 0, then the id in 4 bytes, big-endian (Confluent; Apicurio's
    /// legacy encoding).
    Payload,
    /// Before the datum: magic byte 0, then the id in 8 bytes, big-endian (Apicurio's encoding).
    PayloadLong,
    /// In the record header [`ID_HEADER`], 8 bytes big-endian; the value is the bare datum.
    Header,
}

/// Why a value could not be written as, or read from, Avro.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvroError {
    /// The writer schema's name.
    pub schema: String,
    /// Where in the value, as a JSON pointer (empty for the whole value).
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for AvroError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "Avro `{}`: {}", self.schema, self.reason)
        } else {
            write!(f, "Avro `{}` at `{}`: {}", self.schema, self.path, self.reason)
        }
    }
}

impl std::error::Error for AvroError {}

/// A message's Avro writer schema, parsed on first use.
pub struct AvroSchema {
    name: &'static str,
    json: &'static str,
    id_location: SchemaIdLocation,
    parsed: OnceLock<Result<Schema, String>>,
}

impl fmt::Debug for AvroSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AvroSchema")
            .field("name", &self.name)
            .field("id_location", &self.id_location)
            .finish_non_exhaustive()
    }
}

impl AvroSchema {
    /// The schema `json` (self-contained: every named type defined where first used), known to
    /// schema-id configuration as `name`.
    pub const fn new(name: &'static str, json: &'static str, id_location: SchemaIdLocation) -> Self {
        Self {
            name,
            json,
            id_location,
            parsed: OnceLock::new(),
        }
    }

    /// The name schema ids are configured under: the payload's Avro full name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The schema as JSON text, to register with a schema registry.
    pub fn json(&self) -> &'static str {
        self.json
    }

    /// Where records carry the schema id.
    pub fn id_location(&self) -> SchemaIdLocation {
        self.id_location
    }

    fn error(&self, path: &str, reason: impl Into<String>) -> AvroError {
        AvroError {
            schema: self.name.to_string(),
            path: path.to_string(),
            reason: reason.into(),
        }
    }

    /// The parsed schema and its named types.
    fn parsed(&self) -> Result<(&Schema, ResolvedSchema<'_>), AvroError> {
        let parse = || -> Result<Schema, String> {
            let schema = Schema::parse_str(self.json).map_err(|e| e.to_string())?;
            ResolvedSchema::try_from(&schema).map_err(|e| e.to_string())?;
            Ok(schema)
        };
        let root = self
            .parsed
            .get_or_init(parse)
            .as_ref()
            .map_err(|e| self.error("", format!("the schema does not parse: {e}")))?;
        let resolved = ResolvedSchema::try_from(root).map_err(|e| self.error("", e.to_string()))?;
        Ok((root, resolved))
    }

    /// `value` as an Avro datum of this schema.
    pub fn to_datum(&self, value: &Json) -> Result<Vec<u8>, AvroError> {
        let (root, resolved) = self.parsed()?;
        let walk = Walk { names: resolved.get_names() };
        let avro = walk.to_avro(root, value, "").map_err(|(path, reason)| self.error(&path, reason))?;
        GenericDatumWriter::builder(root)
            .resolved_schemata(resolved)
            .build()
            .and_then(|w| w.write_value_to_vec(avro))
            .map_err(|e| self.error("", e.to_string()))
    }

    /// An Avro datum of this schema as JSON; every byte must belong to the datum.
    pub fn from_datum(&self, bytes: &[u8]) -> Result<Json, AvroError> {
        let (root, resolved) = self.parsed()?;
        let mut rest = bytes;
        let value = GenericDatumReader::builder(root)
            .resolved_writer_schemata(resolved)
            .build()
            .and_then(|r| r.read_value(&mut rest))
            .map_err(|e| self.error("", format!("not a datum of this schema: {e}")))?;
        if !rest.is_empty() {
            let reason = format!("{} bytes left after the datum: not a datum of this schema", rest.len());
            return Err(self.error("", reason));
        }
        to_json(value).map_err(|(path, reason)| self.error(&path, reason))
    }

    /// The record value and headers for `value`: the datum, framed with `id` as
    /// [`id_location`](Self::id_location) says. An id is needed unless the location is
    /// [`SchemaIdLocation::None`].
    pub fn encode(
        &self,
        value: &Json,
        id: Option<u32>,
    ) -> Result<(Vec<u8>, Headers), AvroError> {
        let datum = self.to_datum(value)?;
        let id = match (self.id_location, id) {
            (SchemaIdLocation::None, _) => return Ok((datum, Vec::new())),
            (_, Some(id)) => id,
            (_, None) => {
                let reason = format!(
                    "records carry a schema id and none is configured for `{}` (KafkaConfig::schema_id)",
                    self.name
                );
                return Err(self.error("", reason));
            }
        };
        Ok(match self.id_location {
            SchemaIdLocation::Payload => ([&[0][..], &id.to_be_bytes(), &datum].concat(), Vec::new()),
            SchemaIdLocation::PayloadLong => ([&[0][..], &u64::from(id).to_be_bytes(), &datum].concat(), Vec::new()),
            SchemaIdLocation::Header | SchemaIdLocation::None => {
                (datum, vec![(ID_HEADER.to_string(), u64::from(id).to_be_bytes().to_vec())])
            }
        })
    }

    /// The schema id a record carries (if its location says it carries one) and its datum.
    pub fn unframe<'a>(
        &self,
        payload: &'a [u8],
        headers: &[(String, Vec<u8>)],
    ) -> Result<(Option<u64>, &'a [u8]), AvroError> {
        let width = match self.id_location {
            SchemaIdLocation::None => return Ok((None, payload)),
            SchemaIdLocation::Header => {
                let Some((_, bytes)) = headers.iter().rev().find(|(name, _)| name == ID_HEADER) else {
                    return Err(self.error("", format!("the record has no `{ID_HEADER}` header")));
                };
                let id: [u8; 8] = bytes.as_slice().try_into().map_err(|_| {
                    self.error("", format!("header `{ID_HEADER}` has {} bytes, not 8", bytes.len()))
                })?;
                return Ok((Some(u64::from_be_bytes(id)), payload));
            }
            SchemaIdLocation::Payload => 4,
            SchemaIdLocation::PayloadLong => 8,
        };
        match payload.split_first() {
            Some((0, rest)) if rest.len() >= width => {
                let (id, datum) = rest.split_at(width);
                let id = id.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b));
                Ok((Some(id), datum))
            }
            _ => Err(self.error(
                "",
                format!("the value does not start with the schema-id frame (magic byte 0 and a {width}-byte id)"),
            )),
        }
    }

    /// The schema id and the value of a record written with this schema.
    pub fn decode(
        &self,
        payload: &[u8],
        headers: &[(String, Vec<u8>)],
    ) -> Result<(Option<u64>, Json), AvroError> {
        let (id, datum) = self.unframe(payload, headers)?;
        Ok((id, self.from_datum(datum)?))
    }
}

/// A failure while walking a value: where (JSON pointer) and why.
type Failure = (String, String);

fn fail<T>(path: &str, reason: impl Into<String>) -> Result<T, Failure> {
    Err((path.to_string(), reason.into()))
}

/// JSON to Avro values, guided by the schema.
struct Walk<'a, 's> {
    names: &'a NamesRef<'s>,
}

fn kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn bytes(value: &Json, path: &str) -> Result<Vec<u8>, Failure> {
    let Json::Array(items) = value else {
        return fail(path, format!("expected bytes (an array of 0-255), got {}", kind(value)));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, b)| match b.as_u64().and_then(|b| u8::try_from(b).ok()) {
            Some(b) => Ok(b),
            None => fail(&format!("{path}/{i}"), format!("expected a byte (0-255), got {b}")),
        })
        .collect()
}

fn fixed(value: &Json, size: usize, path: &str) -> Result<Vec<u8>, Failure> {
    let bytes = bytes(value, path)?;
    if bytes.len() != size {
        return fail(path, format!("expected exactly {size} bytes, got {}", bytes.len()));
    }
    Ok(bytes)
}

fn long(value: &Json, path: &str) -> Result<i64, Failure> {
    match value.as_i64() {
        Some(n) => Ok(n),
        None => fail(path, format!("expected a long, got {value}")),
    }
}

fn int(value: &Json, path: &str) -> Result<i32, Failure> {
    match value.as_i64().and_then(|n| i32::try_from(n).ok()) {
        Some(n) => Ok(n),
        None => fail(path, format!("expected an int, got {value}")),
    }
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

impl Walk<'_, '_> {
    fn named<'n>(&'n self, name: &Name, path: &str) -> Result<&'n Schema, Failure> {
        match self.names.get(name) {
            Some(schema) => Ok(schema),
            None => fail(path, format!("the schema names `{}` and does not define it", name.fullname(None))),
        }
    }

    fn to_avro(&self, schema: &Schema, value: &Json, path: &str) -> Result<Avro, Failure> {
        Ok(match schema {
            Schema::Null => match value {
                Json::Null => Avro::Null,
                _ => return fail(path, format!("expected null, got {}", kind(value))),
            },
            Schema::Boolean => match value {
                Json::Bool(b) => Avro::Boolean(*b),
                _ => return fail(path, format!("expected a boolean, got {}", kind(value))),
            },
            Schema::Int => Avro::Int(int(value, path)?),
            Schema::Long => Avro::Long(long(value, path)?),
            Schema::Float | Schema::Double => match value.as_f64() {
                Some(x) if matches!(schema, Schema::Float) => Avro::Float(x as f32),
                Some(x) => Avro::Double(x),
                None => return fail(path, format!("expected a number, got {}", kind(value))),
            },
            Schema::Bytes => Avro::Bytes(bytes(value, path)?),
            Schema::String => match value {
                Json::String(s) => Avro::String(s.clone()),
                _ => return fail(path, format!("expected a string, got {}", kind(value))),
            },
            Schema::Array(array) => match value {
                Json::Array(items) => Avro::Array(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| self.to_avro(&array.items, item, &format!("{path}/{i}")))
                        .collect::<Result<_, _>>()?,
                ),
                _ => return fail(path, format!("expected an array, got {}", kind(value))),
            },
            Schema::Map(map) => match value {
                Json::Object(entries) => Avro::Map(
                    entries
                        .iter()
                        .map(|(k, v)| Ok((k.clone(), self.to_avro(&map.types, v, &format!("{path}/{}", escape(k)))?)))
                        .collect::<Result<HashMap<_, _>, Failure>>()?,
                ),
                _ => return fail(path, format!("expected a map (an object), got {}", kind(value))),
            },
            Schema::Union(union) => {
                let mut first_failure = None;
                for (i, branch) in union.variants().iter().enumerate() {
                    match self.to_avro(branch, value, path) {
                        Ok(v) => return Ok(Avro::Union(i as u32, Box::new(v))),
                        Err(f) => {
                            first_failure.get_or_insert(f);
                        }
                    }
                }
                let detail = first_failure.map(|(at, why)| format!(" (first branch: {why} at `{at}`)")).unwrap_or_default();
                return fail(path, format!("{} fits no branch of the union{detail}", kind(value)));
            }
            Schema::Record(record) => self.record(record, value, path)?,
            Schema::Enum(e) => match value.as_str().and_then(|s| e.symbols.iter().position(|x| x == s)) {
                Some(i) => Avro::Enum(i as u32, e.symbols[i].clone()),
                None => return fail(path, format!("expected one of {:?}, got {value}", e.symbols)),
            },
            Schema::Fixed(f) => Avro::Fixed(f.size, fixed(value, f.size, path)?),
            Schema::Decimal(DecimalSchema { inner, .. }) => {
                let bytes = match inner {
                    InnerDecimalSchema::Bytes => bytes(value, path)?,
                    InnerDecimalSchema::Fixed(f) => fixed(value, f.size, path)?,
                };
                Avro::Decimal(bytes.into())
            }
            Schema::BigDecimal => return fail(path, "the big-decimal logical type is not supported"),
            Schema::Uuid(uuid) => {
                let parsed = match (uuid, value) {
                    (_, Json::String(s)) => apache_avro::Uuid::parse_str(s).map_err(|e| (path.to_string(), format!("not a UUID: {e}")))?,
                    (UuidSchema::Fixed(_) | UuidSchema::Bytes, _) => {
                        let raw = fixed(value, 16, path)?;
                        apache_avro::Uuid::from_slice(&raw).map_err(|e| (path.to_string(), e.to_string()))?
                    }
                    (UuidSchema::String, _) => return fail(path, format!("expected a UUID string, got {}", kind(value))),
                };
                Avro::Uuid(parsed)
            }
            Schema::Date => Avro::Date(int(value, path)?),
            Schema::TimeMillis => Avro::TimeMillis(int(value, path)?),
            Schema::TimeMicros => Avro::TimeMicros(long(value, path)?),
            Schema::TimestampMillis => Avro::TimestampMillis(long(value, path)?),
            Schema::TimestampMicros => Avro::TimestampMicros(long(value, path)?),
            Schema::TimestampNanos => Avro::TimestampNanos(long(value, path)?),
            Schema::LocalTimestampMillis => Avro::LocalTimestampMillis(long(value, path)?),
            Schema::LocalTimestampMicros => Avro::LocalTimestampMicros(long(value, path)?),
            Schema::LocalTimestampNanos => Avro::LocalTimestampNanos(long(value, path)?),
            Schema::Duration(_) => {
                let raw: [u8; 12] = fixed(value, 12, path)?.try_into().map_err(|_| (path.to_string(), "expected 12 bytes".to_string()))?;
                Avro::Duration(raw.into())
            }
            Schema::Ref { name } => return self.to_avro(self.named(name, path)?, value, path),
        })
    }

    fn record(&self, record: &RecordSchema, value: &Json, path: &str) -> Result<Avro, Failure> {
        let Json::Object(object) = value else {
            return fail(path, format!("expected a record (an object), got {}", kind(value)));
        };
        let mut fields = Vec::with_capacity(record.fields.len());
        for field in &record.fields {
            let at = format!("{path}/{}", escape(&field.name));
            let given = object.get(&field.name).filter(|v| !v.is_null() || accepts_null(self, &field.schema));
            let avro = match (given, &field.default) {
                (Some(v), _) => self.to_avro(&field.schema, v, &at)?,
                (None, Some(default)) => self.default(&field.schema, default, &at)?,
                (None, None) => return fail(&at, "missing, and the field has no default"),
            };
            fields.push((field.name.clone(), avro));
        }
        Ok(Avro::Record(fields))
    }

    /// A field's default: for a union, a value of its first branch (the Avro specification).
    fn default(&self, schema: &Schema, default: &Json, path: &str) -> Result<Avro, Failure> {
        match schema {
            Schema::Union(union) => match union.variants().first() {
                Some(first) => Ok(Avro::Union(0, Box::new(self.default(first, default, path)?))),
                None => fail(path, "an empty union has no default"),
            },
            Schema::Ref { name } => self.default(self.named(name, path)?, default, path),
            // Bytes and fixed defaults are strings of code points 0-255 in Avro's JSON.
            Schema::Bytes | Schema::Fixed(_) | Schema::Decimal(_) | Schema::Duration(_) if default.is_string() => {
                let text = default.as_str().unwrap_or_default();
                let as_bytes: Vec<Json> = text.chars().map(|c| Json::from(c as u32)).collect();
                self.to_avro(schema, &Json::Array(as_bytes), path)
            }
            _ => self.to_avro(schema, default, path),
        }
    }
}

fn accepts_null(walk: &Walk<'_, '_>, schema: &Schema) -> bool {
    match schema {
        Schema::Null => true,
        Schema::Union(u) => u.variants().iter().any(|v| accepts_null(walk, v)),
        Schema::Ref { name } => walk.names.get(name).is_some_and(|s| accepts_null(walk, s)),
        _ => false,
    }
}

fn number(x: f64, path: &str) -> Result<Json, Failure> {
    match Number::from_f64(x) {
        Some(n) => Ok(Json::Number(n)),
        None => fail(path, format!("{x} has no JSON form")),
    }
}

fn byte_array(bytes: &[u8]) -> Json {
    Json::Array(bytes.iter().map(|b| Json::from(*b)).collect())
}

/// An Avro value as the JSON the generated types read.
fn to_json(value: Avro) -> Result<Json, Failure> {
    to_json_at(value, "")
}

fn to_json_at(value: Avro, path: &str) -> Result<Json, Failure> {
    Ok(match value {
        Avro::Null => Json::Null,
        Avro::Boolean(b) => Json::Bool(b),
        Avro::Int(n) | Avro::Date(n) | Avro::TimeMillis(n) => Json::from(n),
        Avro::Long(n)
        | Avro::TimeMicros(n)
        | Avro::TimestampMillis(n)
        | Avro::TimestampMicros(n)
        | Avro::TimestampNanos(n)
        | Avro::LocalTimestampMillis(n)
        | Avro::LocalTimestampMicros(n)
        | Avro::LocalTimestampNanos(n) => Json::from(n),
        Avro::Float(x) => number(f64::from(x), path)?,
        Avro::Double(x) => number(x, path)?,
        Avro::Bytes(b) | Avro::Fixed(_, b) => byte_array(&b),
        Avro::String(s) | Avro::Enum(_, s) => Json::String(s),
        Avro::Union(_, inner) => to_json_at(*inner, path)?,
        Avro::Array(items) => Json::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| to_json_at(v, &format!("{path}/{i}")))
                .collect::<Result<_, _>>()?,
        ),
        Avro::Map(entries) => {
            let mut sorted: Vec<(String, Avro)> = entries.into_iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            let mut out = Map::new();
            for (k, v) in sorted {
                let at = format!("{path}/{}", escape(&k));
                out.insert(k, to_json_at(v, &at)?);
            }
            Json::Object(out)
        }
        Avro::Record(fields) => {
            let mut out = Map::new();
            for (k, v) in fields {
                let at = format!("{path}/{}", escape(&k));
                out.insert(k, to_json_at(v, &at)?);
            }
            Json::Object(out)
        }
        Avro::Decimal(d) => match Vec::<u8>::try_from(d) {
            Ok(b) => byte_array(&b),
            Err(e) => return fail(path, e.to_string()),
        },
        Avro::Duration(d) => byte_array(&<[u8; 12]>::from(d)),
        Avro::Uuid(u) => Json::String(u.as_hyphenated().to_string()),
        Avro::BigDecimal(_) => return fail(path, "the big-decimal logical type is not supported"),
    })
}

/// Decodes a record written with one of `schemas` (the messages of one topic): the one whose
/// configured id (`ids`: schema name → id) is the record's, else the first that reads the whole
/// value. Returns its index and the value as JSON.
pub fn decode_any(
    schemas: &[&AvroSchema],
    ids: &dyn Fn(&str) -> Option<u32>,
    payload: &[u8],
    headers: &[(String, Vec<u8>)],
) -> Result<(usize, Json), AvroError> {
    let mut first_error = None;
    let mut tried = Vec::new();
    for (i, schema) in schemas.iter().enumerate() {
        let (id, datum) = match schema.unframe(payload, headers) {
            Ok(framed) => framed,
            Err(e) => {
                first_error.get_or_insert(e);
                continue;
            }
        };
        if let Some(id) = id {
            if let Some(j) = schemas.iter().position(|s| ids(s.name).is_some_and(|known| u64::from(known) == id)) {
                let (_, datum) = schemas[j].unframe(payload, headers)?;
                return schemas[j].from_datum(datum).map(|v| (j, v));
            }
        }
        tried.push(schema.name);
        match schema.from_datum(datum) {
            Ok(value) => return Ok((i, value)),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(match (first_error, tried.len()) {
        (Some(e), 0 | 1) => e,
        (_, _) => AvroError {
            schema: tried.join(" | "),
            path: String::new(),
            reason: String::from("the value is a datum of none of the topic's schemas"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static ORDER: AvroSchema = AvroSchema::new(
        "shop.Order",
        r#"{"type": "record", "name": "Order", "namespace": "shop", "fields": [
            {"name": "id", "type": "string"},
            {"name": "quantity", "type": "int"},
            {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["OPEN", "SHIPPED"]}},
            {"name": "note", "type": ["null", "string"], "default": null},
            {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
            {"name": "prices", "type": {"type": "map", "values": "double"}, "default": {}},
            {"name": "amount", "type": ["long", "string"]},
            {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 2}},
            {"name": "raw", "type": "bytes", "default": "\u00ff"},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "ref", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "next", "type": ["null", "Order"], "default": null}
        ]}"#,
        SchemaIdLocation::Payload,
    );

    fn order() -> Json {
        json!({
            "id": "o-1", "quantity": 3, "status": "SHIPPED", "note": "fragile", "tags": ["a", "b"],
            "prices": {"eur": 1.5}, "amount": "12.30", "hash": [1, 255], "raw": [0, 7],
            "at": 1_714_564_800_123_i64, "ref": "550e8400-e29b-41d4-a716-446655440000",
            "next": {"id": "o-2", "quantity": 1, "status": "OPEN", "amount": 5, "hash": [0, 0],
                     "at": 0, "ref": "550e8400-e29b-41d4-a716-446655440001"}
        })
    }

    #[test]
    fn the_datum_is_avro_binary_as_the_specification_writes_it() {
        static SMALL: AvroSchema = AvroSchema::new(
            "Small",
            r#"{"type": "record", "name": "Small", "fields": [
                {"name": "n", "type": "int"}, {"name": "s", "type": "string"},
                {"name": "o", "type": ["null", "long"]}, {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A", "B"]}}]}"#,
            SchemaIdLocation::None,
        );
        let datum = SMALL.to_datum(&json!({"n": -2, "s": "hi", "o": 64, "e": "B"})).unwrap();
        // zigzag(-2) = 3; "hi" = length 2 (zigzag 4) + bytes; union branch 1 (2) then zigzag(64) =
        // 128 as a varint (0x80 0x01); enum index 1 (2).
        assert_eq!(datum, vec![3, 4, b'h', b'i', 2, 0x80, 0x01, 2]);
        assert_eq!(SMALL.from_datum(&datum).unwrap(), json!({"n": -2, "s": "hi", "o": 64, "e": "B"}));
    }

    #[test]
    fn every_construct_round_trips_and_defaults_fill_missing_fields() {
        let (payload, headers) = ORDER.encode(&order(), Some(258)).unwrap();
        assert!(headers.is_empty());
        assert_eq!(&payload[..5], &[0, 0, 0, 1, 2]);
        let (id, value) = ORDER.decode(&payload, &[]).unwrap();
        assert_eq!(id, Some(258));
        let mut expected = order();
        expected["next"]["note"] = Json::Null;
        expected["next"]["tags"] = json!([]);
        expected["next"]["prices"] = json!({});
        expected["next"]["raw"] = json!([255]);
        expected["next"]["next"] = Json::Null;
        assert_eq!(value, expected);
    }

    #[test]
    fn a_null_where_the_schema_has_none_takes_the_default() {
        let mut value = order();
        value["tags"] = Json::Null;
        let (_, back) = ORDER.decode(&ORDER.encode(&value, Some(1)).unwrap().0, &[]).unwrap();
        assert_eq!(back["tags"], json!([]));
    }

    #[test]
    fn values_that_do_not_fit_are_located() {
        let mut value = order();
        value["next"]["quantity"] = json!("three");
        let e = ORDER.to_datum(&value).unwrap_err();
        assert_eq!((e.path.as_str(), e.reason.as_str()), ("/next", "an object fits no branch of the union (first branch: expected null, got an object at `/next`)"));
        let mut value = order();
        value["quantity"] = json!(1_i64 << 40);
        assert_eq!(ORDER.to_datum(&value).unwrap_err().path, "/quantity");
        let mut value = order();
        value.as_object_mut().unwrap().remove("id");
        let e = ORDER.to_datum(&value).unwrap_err();
        assert_eq!(e.to_string(), "Avro `shop.Order` at `/id`: missing, and the field has no default");
        let mut value = order();
        value["status"] = json!("LOST");
        assert!(ORDER.to_datum(&value).unwrap_err().reason.contains("OPEN"));
    }

    #[test]
    fn frames_and_headers_carry_the_id() {
        let long = AvroSchema::new("shop.Order", ORDER.json(), SchemaIdLocation::PayloadLong);
        let (payload, _) = long.encode(&order(), Some(9)).unwrap();
        assert_eq!(&payload[..9], &[0, 0, 0, 0, 0, 0, 0, 0, 9]);
        assert_eq!(long.decode(&payload, &[]).unwrap().0, Some(9));

        let header = AvroSchema::new("shop.Order", ORDER.json(), SchemaIdLocation::Header);
        let (payload, headers) = header.encode(&order(), Some(9)).unwrap();
        assert_eq!(headers, vec![(ID_HEADER.to_string(), vec![0, 0, 0, 0, 0, 0, 0, 9])]);
        assert_eq!(payload, ORDER.to_datum(&order()).unwrap());
        assert_eq!(header.decode(&payload, &headers).unwrap().0, Some(9));
        assert!(header.decode(&payload, &[]).unwrap_err().reason.contains(ID_HEADER));

        assert!(ORDER.encode(&order(), None).unwrap_err().reason.contains("KafkaConfig::schema_id"));
        let unframed = ORDER.to_datum(&order()).unwrap();
        assert!(ORDER.decode(&unframed, &[]).unwrap_err().reason.contains("magic byte 0"));
    }

    #[test]
    fn trailing_or_missing_bytes_are_refused() {
        let mut datum = ORDER.to_datum(&order()).unwrap();
        datum.push(0);
        assert!(ORDER.from_datum(&datum).unwrap_err().reason.contains("1 bytes left"));
        datum.truncate(3);
        assert!(ORDER.from_datum(&datum).is_err());
        let broken = AvroSchema::new("Broken", r#"{"type": "record"}"#, SchemaIdLocation::None);
        assert!(broken.to_datum(&json!({})).unwrap_err().reason.starts_with("the schema does not parse"));
    }

    #[test]
    fn hostile_lengths_are_errors_not_allocations() {
        // A string length of about 2^31 for `id`, and an array of 2^40 nulls.
        assert!(ORDER.from_datum(&[0xfe, 0xff, 0xff, 0xff, 0x0f, b'x']).is_err());
        static NULLS: AvroSchema = AvroSchema::new("Nulls", r#"{"type": "array", "items": "null"}"#, SchemaIdLocation::None);
        assert!(NULLS.from_datum(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40]).is_err());
        assert!(NULLS.from_datum(&[]).is_err());
    }

    #[test]
    fn one_of_several_schemas_is_chosen_by_id_then_by_fit() {
        static A: AvroSchema = AvroSchema::new(
            "A",
            r#"{"type": "record", "name": "A", "fields": [{"name": "a", "type": "string"}]}"#,
            SchemaIdLocation::Payload,
        );
        static B: AvroSchema = AvroSchema::new(
            "B",
            r#"{"type": "record", "name": "B", "fields": [{"name": "b", "type": "long"}, {"name": "c", "type": "long"}]}"#,
            SchemaIdLocation::Payload,
        );
        // `b: 1, c: 2` is also a datum of A (a 1-byte string), so only the id tells them apart.
        let (payload, _) = B.encode(&json!({"b": 1, "c": 2}), Some(5)).unwrap();
        let ids = |name: &str| (name == "B").then_some(5);
        assert_eq!(decode_any(&[&A, &B], &ids, &payload, &[]).unwrap(), (1, json!({"b": 1, "c": 2})));
        let none = |_: &str| None;
        assert_eq!(decode_any(&[&A, &B], &none, &payload, &[]).unwrap(), (0, json!({"a": "\u{4}"})));
        // Without ids, the first schema that reads every byte: A cannot read a negative length.
        let (payload, _) = B.encode(&json!({"b": -1, "c": 2}), Some(5)).unwrap();
        assert_eq!(decode_any(&[&A, &B], &none, &payload, &[]).unwrap(), (1, json!({"b": -1, "c": 2})));
        let e = decode_any(&[&A, &B], &none, &[0, 0, 0, 0, 1, 0xff], &[]).unwrap_err();
        assert_eq!(e.schema, "A | B");
    }
}
