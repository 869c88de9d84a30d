//! The AsyncAPI 3.0 document model, read from the source set with located checks.

pub mod avro;
pub mod bindings;
pub(crate) mod node;
mod read;

use serde_json::Value;

use crate::load::{FileId, Loc};

pub use bindings::Bindings;
pub use read::read_documents;

/// Which side of the connection a document describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// `send` is what the server sends (the default).
    Server,
    /// `send` is what the client sends.
    Client,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Send,
    Receive,
}

#[derive(Debug, Clone)]
pub struct Document {
    pub file: FileId,
    /// Rust module name requested with `x-rust-module`.
    pub module: Option<String>,
    /// Role requested with `x-rust-role`.
    pub role: Option<Role>,
    pub info: Info,
    pub default_content_type: Option<String>,
    pub servers: Vec<Server>,
    pub channels: Vec<Channel>,
    pub operations: Vec<Operation>,
    pub security_schemes: Vec<SecurityScheme>,
    /// `components/schemas` entries, in order.
    pub component_schemas: Vec<(String, Loc)>,
}

/// Whether a server protocol is a Kafka one.
pub fn is_kafka_protocol(protocol: &str) -> bool {
    protocol.eq_ignore_ascii_case("kafka") || protocol.eq_ignore_ascii_case("kafka-secure")
}

impl Document {
    /// The Kafka topic a channel stands for: its `kafka` binding's `topic`, else its address when
    /// the document has a Kafka server.
    pub fn kafka_topic<'a>(&'a self, channel: &'a Channel) -> Option<&'a str> {
        let bound = channel.bindings.kafka_topic.as_ref().and_then(|k| k.topic.as_deref());
        let kafka_server = self.servers.iter().any(|s| is_kafka_protocol(&s.protocol));
        bound.or_else(|| kafka_server.then_some(channel.address.as_deref()).flatten())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Info {
    pub title: String,
    pub version: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Server {
    pub key: String,
    pub host: String,
    pub protocol: String,
    pub protocol_version: Option<String>,
    pub pathname: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub variables: Vec<ServerVariable>,
    /// Keys of the security schemes it accepts.
    pub security: Vec<String>,
    pub bindings: Bindings,
}

impl Server {
    /// The host with each `{variable}` at its default; with `complete`, `None` when a variable
    /// in it has no default.
    pub fn host_with_defaults(&self, complete: bool) -> Option<String> {
        let mut host = self.host.clone();
        for v in &self.variables {
            if let Some(d) = &v.default {
                host = host.replace(&format!("{{{}}}", v.name), d);
            }
        }
        (!complete || !host.contains('{')).then_some(host)
    }
}

#[derive(Debug, Clone)]
pub struct ServerVariable {
    pub name: String,
    pub default: Option<String>,
    pub enum_values: Vec<String>,
    pub description: Option<String>,
    pub examples: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct SecurityScheme {
    pub key: String,
    pub kind: String,
    pub name: Option<String>,
    pub location: Option<String>,
    pub scheme: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Channel {
    pub key: String,
    pub loc: Loc,
    pub address: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub messages: Vec<Message>,
    pub parameters: Vec<Parameter>,
    /// Server keys; empty means all servers.
    pub servers: Vec<String>,
    pub bindings: Bindings,
}

#[derive(Debug, Clone)]
pub struct Parameter {
    pub name: String,
    pub description: Option<String>,
    pub enum_values: Vec<String>,
    pub default: Option<String>,
    pub location: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Message {
    /// Key inside the channel's `messages`.
    pub key: String,
    /// The message node after `$ref`s and traits: its identity.
    pub loc: Loc,
    /// Key under `components/messages`, when the message is defined there.
    pub component: Option<String>,
    pub name: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub content_type: Option<String>,
    pub schema_format: Option<String>,
    /// JSON Schema of the payload (for an Avro payload, its translation; see [`avro`]).
    pub payload: Option<Loc>,
    /// An Avro payload's self-contained writer schema and name.
    pub avro: Option<avro::AvroPayload>,
    pub headers: Option<Loc>,
    pub examples: Vec<Example>,
    /// `x-invalid-examples`: payloads that must NOT decode (become negative tests).
    pub invalid_examples: Vec<Example>,
    /// `x-rust-error-reply`: whether this message carries handler errors back to clients.
    pub error_reply: Option<bool>,
    /// `x-mock`: how `asyncapi-codegen mock` plays this message.
    pub mock: MockScript,
    pub bindings: Bindings,
}

/// A message's `x-mock` extension: when and how often the mock server pushes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MockScript {
    /// `push: false`: sent only as a reply, never on its own.
    pub push: Option<bool>,
    /// `interval`: milliseconds before each push (else the mock's `--interval-ms`).
    pub interval_ms: Option<i32>,
    /// `repeat`: how many times it is pushed (its examples in turn); default once.
    pub repeat: Option<i32>,
    /// `after`: the key of the message it follows in the script.
    pub after: Option<String>,
    /// `examples`: scripts of single examples, by example name (set on them as [`Example::mock`]).
    pub examples: Vec<(String, MockScript, Loc)>,
}

#[derive(Debug, Clone)]
pub struct Example {
    /// The example object.
    pub loc: Loc,
    pub name: Option<String>,
    pub summary: Option<String>,
    pub payload: Option<Value>,
    pub headers: Option<Value>,
    /// Its own place in the mock's script (`x-mock.examples.<name>` of its message), and where
    /// that is.
    pub mock: Option<(MockScript, Loc)>,
    /// Why the payload / headers do not match the message's schemas, when they do not (set by the IR).
    pub payload_mismatch: Option<String>,
    pub headers_mismatch: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub key: String,
    pub action: Action,
    /// Index into the document's channels.
    pub channel: usize,
    /// Keys of the channel's messages this operation uses: `None` when the operation has no
    /// `messages` (it carries every message of its channel), `Some([])` for `messages: []` (none).
    pub messages: Option<Vec<String>>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub reply: Option<Reply>,
}

impl Operation {
    /// Whether the operation carries the channel message with this key.
    pub fn carries(&self, key: &str) -> bool {
        self.messages.as_ref().is_none_or(|keys| keys.iter().any(|k| k == key))
    }

    /// The keys of the channel messages it carries, in the channel's order when implicit.
    pub fn message_keys<'a>(&'a self, channel: &'a Channel) -> Vec<&'a str> {
        match &self.messages {
            Some(keys) => keys.iter().map(String::as_str).collect(),
            None => channel.messages.iter().map(|m| m.key.as_str()).collect(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Reply {
    /// Index into the document's channels.
    pub channel: Option<usize>,
    pub messages: Vec<String>,
}
