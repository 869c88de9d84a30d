//! Protocol bindings, read once into typed structs. `ws` and `kafka` are the ones the generator
//! acts on; every other protocol's binding is kept as written, for the docs.

use serde_json::{Map, Value};

use super::node::Reader;
use crate::load::Loc;

/// The bindings of a server, channel, operation or message.
#[derive(Debug, Clone, Default)]
pub struct Bindings {
    /// Channel `ws` binding.
    pub ws: Option<WsChannel>,
    /// Channel `kafka` binding.
    pub kafka_topic: Option<KafkaTopic>,
    /// Message `kafka` binding.
    pub kafka_message: Option<KafkaMessage>,
    /// Every binding, by protocol, as written (after `$ref`s).
    pub raw: Vec<(String, Value)>,
}

/// A channel's `ws` binding: what the handshake carries.
#[derive(Debug, Clone, Default)]
pub struct WsChannel {
    pub method: Option<String>,
    /// Query parameters, from the `query` object schema, in order.
    pub query: Vec<QueryParam>,
}

#[derive(Debug, Clone)]
pub struct QueryParam {
    pub name: String,
    pub required: bool,
    /// The declared JSON type (`string` when not given).
    pub ty: String,
    pub description: Option<String>,
    /// Marked `x-name-source: reconstructed`: a name inferred, not documented.
    pub reconstructed: bool,
}

impl WsChannel {
    pub fn required_query(&self) -> impl Iterator<Item = &str> {
        self.query.iter().filter(|q| q.required).map(|q| q.name.as_str())
    }

    pub fn optional_query(&self) -> impl Iterator<Item = &str> {
        self.query.iter().filter(|q| !q.required).map(|q| q.name.as_str())
    }
}

/// A channel's `kafka` binding: the topic and how to create it.
#[derive(Debug, Clone, Default)]
pub struct KafkaTopic {
    pub topic: Option<String>,
    pub partitions: Option<i32>,
    pub replicas: Option<i32>,
    /// `topicConfiguration` as Kafka topic properties (lists joined with commas).
    pub configuration: Vec<(String, String)>,
}

/// A message's `kafka` binding.
#[derive(Debug, Clone, Default)]
pub struct KafkaMessage {
    pub key: Option<KafkaKey>,
    /// `schemaIdLocation` (`payload` or `header`), where it is written.
    pub schema_id_location: Option<(Loc, String)>,
    /// `schemaIdPayloadEncoding` (`confluent`, `apicurio-legacy`, `apicurio-new`, or a byte count).
    pub schema_id_encoding: Option<(Loc, String)>,
}

/// The record key schema of a message.
#[derive(Debug, Clone)]
pub struct KafkaKey {
    /// Where the `key` is written.
    pub loc: Loc,
    /// The key schema, after `$ref`s.
    pub schema: Value,
}

impl KafkaKey {
    /// `x-key-field`: the payload property the key is taken from (`Err` holds a non-string value).
    pub fn field(&self) -> Option<Result<&str, &Value>> {
        self.schema.get("x-key-field").map(|v| v.as_str().ok_or(v))
    }

    /// The one value a `const` or one-item `enum` key schema allows.
    pub fn single_value(&self) -> Option<&str> {
        self.schema.get("const").and_then(Value::as_str).or_else(|| match self.schema.get("enum").and_then(Value::as_array) {
            Some(values) if values.len() == 1 => values[0].as_str(),
            _ => None,
        })
    }

    /// The key's type in words, e.g. `string (the record's callId)`.
    pub fn describe(&self) -> String {
        let ty = match self.schema.get("type") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::from("bytes"),
        };
        match self.field() {
            Some(Ok(f)) => format!("{ty} (the record's {f})"),
            _ => ty,
        }
    }
}

/// Which object the bindings belong to: decides which protocols are read as typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    Server,
    Channel,
    Operation,
    Message,
}

/// Reads the `bindings` of the object at `loc`, following `$ref`s at the top and protocol level.
pub(crate) fn read(r: &mut Reader<'_>, loc: &Loc, map: &Map<String, Value>, owner: Owner) -> Bindings {
    let mut out = Bindings::default();
    if !map.contains_key("bindings") {
        return out;
    }
    let Some((bl, bmap)) = r.object(&loc.child("bindings")) else { return out };
    for protocol in bmap.keys() {
        let Some((pl, binding)) = r.object(&bl.child(protocol)) else { continue };
        match (owner, protocol.as_str()) {
            (Owner::Channel, "ws") => out.ws = Some(ws_channel(r, &pl, binding)),
            (Owner::Channel, "kafka") => out.kafka_topic = Some(kafka_topic(r, &pl, binding)),
            (Owner::Message, "kafka") => out.kafka_message = Some(kafka_message(r, &pl, binding)),
            _ => {}
        }
        out.raw.push((protocol.clone(), Value::Object(binding.clone())));
    }
    out
}

fn ws_channel(r: &mut Reader<'_>, loc: &Loc, map: &Map<String, Value>) -> WsChannel {
    let method = r.string(loc, map, "method");
    let mut query = Vec::new();
    if map.contains_key("query") {
        if let Some((ql, schema)) = r.object(&loc.child("query")) {
            let required: Vec<&str> = schema.get("required").and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            for (name, pl) in r.entries(&ql, schema, "properties") {
                let property = r.set.deref(&pl).ok().and_then(|t| r.set.get(&t)).and_then(Value::as_object);
                let text = |key: &str| property.and_then(|p| p.get(key));
                query.push(QueryParam {
                    required: required.contains(&name.as_str()),
                    ty: match text("type") {
                        Some(Value::String(s)) => s.clone(),
                        Some(other) => other.to_string(),
                        None => String::from("string"),
                    },
                    description: text("description").and_then(Value::as_str).map(str::to_string),
                    reconstructed: text("x-name-source").and_then(Value::as_str) == Some("reconstructed"),
                    name,
                });
            }
        }
    }
    WsChannel { method, query }
}

fn kafka_topic(r: &mut Reader<'_>, loc: &Loc, map: &Map<String, Value>) -> KafkaTopic {
    let configuration = match map.get("topicConfiguration") {
        Some(Value::Object(c)) => c.iter().filter_map(|(k, v)| Some((k.clone(), config_value(v)?))).collect(),
        _ => Vec::new(),
    };
    KafkaTopic {
        topic: r.string(loc, map, "topic"),
        partitions: r.positive_int(loc, map, "partitions"),
        replicas: r.positive_int(loc, map, "replicas"),
        configuration,
    }
}

fn kafka_message(r: &mut Reader<'_>, loc: &Loc, map: &Map<String, Value>) -> KafkaMessage {
    let mut text = |key: &str| {
        let value = r.string(loc, map, key)?;
        Some((loc.child(key), value))
    };
    let schema_id_location = text("schemaIdLocation");
    let schema_id_encoding = text("schemaIdPayloadEncoding");
    let key = map.contains_key("key").then(|| {
        let at = loc.child("key");
        let schema = r.set.deref(&at).ok().and_then(|t| r.set.get(&t)).cloned().unwrap_or_else(|| map["key"].clone());
        KafkaKey { loc: at, schema }
    });
    KafkaMessage { key, schema_id_location, schema_id_encoding }
}

/// A topic property's text: lists joined with commas, as Kafka writes them.
fn config_value(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => Some(items.iter().filter_map(config_value).collect::<Vec<_>>().join(",")),
        _ => None,
    }
}
