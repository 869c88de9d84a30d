//! Kafka topics of a document: name, settings from the channel binding, and how each message's
//! record key is made.

use super::types::{Kind, Ty, TypeDef};
use super::{Connection, IrMessage, TypeId};
use crate::diag::{Code, Diagnostic};
use crate::load::{Loc, SourceSet};
use crate::spec::{is_kafka_protocol, Document};

#[derive(Debug, Clone)]
pub struct KafkaTopic {
    pub name: String,
    /// Index into the document's connections.
    pub connection: usize,
    pub partitions: Option<i32>,
    pub replicas: Option<i32>,
    /// `topicConfiguration`, as Kafka topic properties (lists joined with commas).
    pub config: Vec<(String, String)>,
    /// Messages producers send to it (indexes into the document's messages), with their keys.
    pub produced: Vec<(usize, KeySource)>,
    /// The union over `produced`, in the same order.
    pub produced_type: Option<TypeId>,
    /// The union consumers decode.
    pub consumed: Option<TypeId>,
    /// The payload schemas of every message on the topic, in channel order: its registry schema.
    pub payloads: Vec<Loc>,
    /// For a topic of Avro messages: where each message (by index) carries its schema id.
    /// Empty for a topic of JSON messages.
    pub avro: std::collections::BTreeMap<usize, SchemaIdLocation>,
}

/// Where an Avro record carries its writer schema's id (the message binding's
/// `schemaIdLocation` and `schemaIdPayloadEncoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaIdLocation {
    /// No `schemaIdLocation`: the bare datum.
    None,
    /// Magic byte 0 and a 4-byte id before the datum (`confluent`, `apicurio-legacy`, `4`).
    Payload,
    /// Magic byte 0 and an 8-byte id before the datum (`apicurio-new`, `8`).
    PayloadLong,
    /// The id in a record header.
    Header,
}

/// The schema-id location a message's Kafka binding gives, or a warning for one the
/// producers cannot write.
fn schema_id_location(set: &SourceSet, m: &IrMessage, binding: Option<&crate::spec::bindings::KafkaMessage>) -> Result<SchemaIdLocation, Diagnostic> {
    let Some(binding) = binding else { return Ok(SchemaIdLocation::None) };
    let Some((loc, location)) = &binding.schema_id_location else { return Ok(SchemaIdLocation::None) };
    let encoding = binding.schema_id_encoding.as_ref();
    match (location.as_str(), encoding.map(|(_, e)| e.as_str())) {
        ("header", _) => Ok(SchemaIdLocation::Header),
        ("payload", None | Some("confluent" | "apicurio-legacy" | "4")) => Ok(SchemaIdLocation::Payload),
        ("payload", Some("apicurio-new" | "8")) => Ok(SchemaIdLocation::PayloadLong),
        ("payload", Some(other)) => {
            let at = encoding.map_or(loc, |(l, _)| l);
            Err(set.diag(Code::Unsupported, at, format!("`schemaIdPayloadEncoding: {other}` is not one the Kafka clients can write (confluent, apicurio-legacy, apicurio-new, 4, 8); message `{}`", m.key)).warning())
        }
        (other, _) => Err(set.diag(Code::Unsupported, loc, format!("`schemaIdLocation: {other}` is neither `payload` nor `header`; message `{}`", m.key)).warning()),
    }
}

/// Where a message's record key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// No `key` binding: records carry no key.
    None,
    /// `x-key-field`: a top-level property of the payload.
    Field { rust: String, wire: String },
    /// A key schema with a single `const` or `enum` value.
    Const(String),
    /// A key schema and nothing to derive it from: the caller supplies it.
    Explicit,
}

/// A topic name the broker accepts: a legal Kafka topic, with no address parameters.
pub fn is_topic_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 249 && name != "." && name != ".." && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// How a typed send takes a message's headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderMode {
    /// The message has no headers schema.
    #[default]
    None,
    /// A generated struct implementing `KafkaHeaders`.
    Typed(TypeId),
    /// Any other headers schema: the caller passes raw Kafka headers.
    Raw,
}

pub(super) fn header_mode(types: &[TypeDef], headers: Option<&Ty>) -> HeaderMode {
    match headers {
        None => HeaderMode::None,
        Some(ty) => match ty.direct_named().filter(|id| matches!(types[id.0].kind, Kind::Struct(_))) {
            Some(id) if !matches!(ty, Ty::Nullable(_)) => HeaderMode::Typed(id),
            _ => HeaderMode::Raw,
        },
    }
}

fn key_source(set: &SourceSet, types: &[TypeDef], m: &IrMessage) -> Result<KeySource, Diagnostic> {
    let Some(key) = &m.kafka_key else {
        return Ok(KeySource::None);
    };
    if let Some(field) = key.field() {
        let at = key.loc.child("x-key-field");
        let Ok(wire) = field else {
            return Err(set.diag(Code::WrongType, &at, "`x-key-field` must be the name of a payload property"));
        };
        let st = match m.payload.as_ref().and_then(Ty::direct_named).map(|id| &types[id.0].kind) {
            Some(Kind::Struct(st)) => st,
            _ => return Err(set.diag(Code::InvalidValue, &at, format!("`x-key-field: {wire}` needs an object payload with that property"))),
        };
        return match st.fields.iter().find(|f| f.wire == wire) {
            Some(f) => Ok(KeySource::Field { rust: f.rust.clone(), wire: wire.to_string() }),
            None => {
                let known = st.fields.iter().map(|f| format!("`{}`", f.wire)).collect::<Vec<_>>().join(", ");
                Err(set.diag(Code::InvalidValue, &at, format!("`x-key-field: {wire}` is not a property of the payload (it has {known})")))
            }
        };
    }
    Ok(match key.single_value() {
        Some(value) => KeySource::Const(value.to_string()),
        None => KeySource::Explicit,
    })
}

/// The Kafka topics of a document, one per connection whose channels name a topic.
pub fn topics(
    set: &SourceSet,
    doc: &Document,
    messages: &[IrMessage],
    connections: &[Connection],
    types: &[TypeDef],
    warnings: &mut Vec<Diagnostic>,
) -> Result<Vec<KafkaTopic>, Vec<Diagnostic>> {
    if !doc.servers.iter().any(|s| is_kafka_protocol(&s.protocol)) {
        return Ok(Vec::new());
    }
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (ci, conn) in connections.iter().enumerate() {
        let channel = &doc.channels[conn.channels[0]];
        let Some(name) = doc.kafka_topic(channel).filter(|t| is_topic_name(t)) else { continue };
        // Avro messages are binary Avro on the topic, JSON Schema ones JSON: one topic carries
        // one or the other.
        let spec_messages: Vec<&crate::spec::Message> = conn.channels.iter().flat_map(|c| &doc.channels[*c].messages).filter(|m| m.payload.is_some()).collect();
        let mut avro = std::collections::BTreeMap::new();
        if spec_messages.iter().any(|m| m.avro.is_some()) {
            if let Some(json) = spec_messages.iter().find(|m| m.avro.is_none()) {
                let message = format!("topic `{name}` carries Avro and JSON Schema messages: its types are generated, its Kafka producer and consumer are not (a topic holds one encoding)");
                warnings.push(set.diag(Code::Unsupported, &json.loc, message).warning());
                continue;
            }
            let mut refused = false;
            for m in &spec_messages {
                let Some(mi) = messages.iter().position(|x| x.loc == m.loc) else { continue };
                match schema_id_location(set, &messages[mi], m.bindings.kafka_message.as_ref()) {
                    Ok(location) => {
                        avro.insert(mi, location);
                    }
                    Err(warning) => {
                        warnings.push(warning);
                        refused = true;
                    }
                }
            }
            if refused {
                continue;
            }
        }
        let binding = channel.bindings.kafka_topic.as_ref();
        // Producers send the document's `send` messages; a topic the document only receives from
        // is produced to with those.
        let (senders, produced_type) = if conn.sent.is_empty() { (&conn.received, conn.received_type) } else { (&conn.sent, conn.sent_type) };
        let mut produced = Vec::new();
        for &mi in senders.iter().filter(|&&mi| messages[mi].payload.is_some()) {
            match key_source(set, types, &messages[mi]) {
                Ok(key) => produced.push((mi, key)),
                Err(e) => errors.push(e),
            }
        }
        out.push(KafkaTopic {
            name: name.to_string(),
            connection: ci,
            partitions: binding.and_then(|b| b.partitions),
            replicas: binding.and_then(|b| b.replicas),
            config: binding.map(|b| b.configuration.clone()).unwrap_or_default(),
            payloads: payloads(doc, conn),
            avro,
            produced,
            produced_type,
            consumed: conn.received_type.or(conn.sent_type),
        });
    }
    // A topic of one message type is consumed as that type, not as a one-variant union, unless
    // another topic consumes the same type (a type is the message of one topic).
    let single: Vec<Option<TypeId>> = out.iter().map(|t| t.consumed.and_then(|id| only_variant(types, id))).collect();
    for i in 0..out.len() {
        if let Some(id) = single[i] {
            if single.iter().filter(|s| **s == Some(id)).count() == 1 {
                out[i].consumed = Some(id);
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The payload schemas of the messages of a connection's channels, each once.
fn payloads(doc: &Document, conn: &Connection) -> Vec<Loc> {
    let mut out: Vec<Loc> = Vec::new();
    for m in conn.channels.iter().flat_map(|c| &doc.channels[*c].messages) {
        if let Some(p) = &m.payload {
            if !out.contains(p) {
                out.push(p.clone());
            }
        }
    }
    out
}

/// The struct a one-variant union wraps, when it is a plain (unboxed) named struct.
fn only_variant(types: &[TypeDef], union: TypeId) -> Option<TypeId> {
    let Kind::Union(u) = &types[union.0].kind else { return None };
    // An adjacently tagged variant holds the content, not the record: it keeps its union.
    if matches!(u.tagging, super::types::Tagging::Adjacent { .. }) {
        return None;
    }
    let [only] = u.variants.as_slice() else { return None };
    match &only.ty {
        Ty::Named(id) if !only.boxed && matches!(types[id.0].kind, Kind::Struct(_)) => Some(*id),
        _ => None,
    }
}
