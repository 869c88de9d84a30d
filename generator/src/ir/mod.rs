//! The protocol-neutral intermediate representation every emitter reads.

mod connections;
mod examples;
#[cfg(test)]
mod tests;
pub mod graph;
pub mod kafka;
pub mod naming;
pub mod outline;
pub mod schema;
pub mod sockets;
pub mod types;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::diag::{Code, Errors, Result};
use crate::load::{Loc, SourceSet};
use crate::spec::{self, Document, Example, Role};
pub use graph::Derives;
pub use schema::TypeOptions;
pub use types::*;

/// The whole generated API: one entry per document.
#[derive(Debug)]
pub struct Ir {
    pub documents: Vec<IrDocument>,
    /// Located warnings: constructs the Rust types do not enforce, messages told apart by order.
    pub warnings: Vec<crate::diag::Diagnostic>,
}

#[derive(Debug, Clone, Default)]
pub struct IrOptions {
    pub types: TypeOptions,
    /// Role per document, keyed by module name or file stem; overrides `x-rust-role`.
    pub roles: BTreeMap<String, Role>,
}

#[derive(Debug)]
pub struct IrDocument {
    /// Rust module name.
    pub module: String,
    /// Source file, as given.
    pub source: PathBuf,
    /// The AsyncAPI version of a 2.x source, converted to 3.0 when it was read.
    pub converted_from: Option<String>,
    pub role: Role,
    /// Servers, channels and operations, for the docs.
    pub outline: outline::Outline,
    pub types: Vec<TypeDef>,
    pub derives: Vec<Derives>,
    pub messages: Vec<IrMessage>,
    pub connections: Vec<Connection>,
    /// WebSocket sockets, when the document has `ws`/`wss` servers.
    pub sockets: Vec<sockets::Socket>,
    /// Kafka topics, when the document has Kafka servers.
    pub kafka: Vec<kafka::KafkaTopic>,
    /// The bootstrap servers of the first Kafka server, variables at their defaults.
    pub kafka_brokers: Option<String>,
}

#[derive(Debug, Clone)]
pub struct IrMessage {
    /// `UpperCamelCase` name, unique in the document.
    pub rust: String,
    pub loc: Loc,
    /// Key under `components/messages`, or in its first channel.
    pub key: String,
    pub name: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub content_type: Option<String>,
    pub payload: Option<Ty>,
    pub headers: Option<Ty>,
    /// The payload and headers schemas in the spec.
    pub payload_schema: Option<Loc>,
    pub headers_schema: Option<Loc>,
    /// An Avro payload's full name (when it is a named type) and its self-contained writer schema.
    pub avro_writer: Option<(Option<String>, serde_json::Value)>,
    pub examples: Vec<Example>,
    pub invalid_examples: Vec<Example>,
    /// Indexes of the channels that carry it.
    pub channels: Vec<usize>,
    /// `x-rust-error-reply`, when given.
    pub error_reply: Option<bool>,
    /// `x-mock`: how the mock server plays it.
    pub mock: crate::spec::MockScript,
    /// The `kafka` binding's record key schema.
    pub kafka_key: Option<crate::spec::bindings::KafkaKey>,
    /// How a producer's send takes this message's headers.
    pub kafka_headers: kafka::HeaderMode,
}

/// Channels that share one address share one connection.
#[derive(Debug, Clone)]
pub struct Connection {
    pub name: String,
    pub address: Option<String>,
    pub protocol: Option<String>,
    pub channels: Vec<usize>,
    /// Messages the document's application sends / receives (indexes into `messages`).
    pub sent: Vec<usize>,
    pub received: Vec<usize>,
    /// The union over each direction, when it has messages with payloads.
    pub sent_type: Option<TypeId>,
    pub received_type: Option<TypeId>,
}

/// Whether a server protocol is a WebSocket one.
pub fn is_socket_protocol(protocol: Option<&str>) -> bool {
    matches!(protocol, Some("ws" | "wss"))
}

impl Connection {
    pub fn is_socket(&self) -> bool {
        is_socket_protocol(self.protocol.as_deref())
    }
}

impl IrDocument {
    pub fn type_def(&self, id: TypeId) -> &TypeDef {
        &self.types[id.0]
    }

    /// Whether a field, variant or alias of any type is `wanted` (alone or in a `Vec`, map,
    /// tuple or nullable).
    pub fn uses(&self, wanted: &dyn Fn(&Ty) -> bool) -> bool {
        fn walk(t: &Ty, wanted: &dyn Fn(&Ty) -> bool) -> bool {
            match t {
                Ty::Vec(i) | Ty::Map(i) | Ty::Nullable(i) => walk(i, wanted),
                Ty::Tuple(items) => items.iter().any(|i| walk(i, wanted)),
                other => wanted(other),
            }
        }
        self.types.iter().any(|t| match &t.kind {
            Kind::Struct(s) => s.fields.iter().any(|f| walk(&f.ty, wanted)),
            Kind::Union(u) => u.variants.iter().any(|v| walk(&v.ty, wanted)),
            Kind::Alias(a) => walk(a, wanted),
            _ => false,
        })
    }

    /// The property and value that pick a message out of its connection's union, if it is tagged.
    pub fn message_tag(&self, message: usize) -> Option<(String, String)> {
        let rust = &self.messages[message].rust;
        self.connections.iter().flat_map(|c| c.sent_type.into_iter().chain(c.received_type)).find_map(|id| {
            let Kind::Union(u) = &self.type_def(id).kind else { return None };
            let property = match &u.tagging {
                Tagging::Property { property } => property,
                Tagging::Adjacent { tag, .. } => tag,
                Tagging::Untagged => return None,
            };
            let variant = u.variants.iter().find(|v| v.rust == *rust)?;
            Some((property.clone(), variant.tag.clone()?))
        })
    }
}

/// Payload formats that are JSON Schema.
fn is_json_schema_format(format: &str) -> bool {
    let f = format.to_ascii_lowercase();
    f.starts_with("application/vnd.aai.asyncapi") || f.starts_with("application/schema+json") || f.starts_with("application/schema+yaml")
}

/// Lowers read documents into the IR.
pub fn build(set: &SourceSet, docs: &[Document], options: &IrOptions) -> Result<Ir> {
    let mut errors = Vec::new();
    let mut modules = naming::Scope::with_reserved(&["rt", "runtime"]);
    let mut documents = Vec::new();
    let mut warnings = set.conversion_warnings.clone();
    for doc in docs {
        let source = set.file(doc.file).path.clone();
        let stem = source.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
        let wanted = doc.module.clone().unwrap_or_else(|| naming::field_name(&stem));
        let module = modules.claim(&naming::field_name(&wanted));
        let role = options
            .roles
            .get(&module)
            .or_else(|| options.roles.get(&stem))
            .copied()
            .or(doc.role)
            .unwrap_or(Role::Server);
        match build_document(set, doc, module, source, role, options) {
            Ok((d, w)) => {
                documents.push(d);
                warnings.extend(w);
            }
            Err(e) => errors.extend(e.0),
        }
    }
    if errors.is_empty() {
        Ok(Ir { documents, warnings })
    } else {
        Err(Errors(errors))
    }
}

fn build_document(set: &SourceSet, doc: &Document, module: String, source: PathBuf, role: Role, options: &IrOptions) -> Result<(IrDocument, Vec<crate::diag::Diagnostic>)> {
    let mut b = schema::SchemaBuilder::new(set, options.types);
    b.set_components(&doc.component_schemas);
    for (key, loc) in &doc.component_schemas {
        // A Multi Format Schema (`{schemaFormat, schema}`): its JSON Schema, or nothing for other
        // formats (an error only where a message uses it).
        let node = set.deref(loc).ok().and_then(|t| set.get(&t).map(|v| (t, v)));
        match node.as_ref().and_then(|(t, v)| Some((t, v.get("schemaFormat")?.as_str()?, v.get("schema")?))) {
            Some((t, format, _)) if is_json_schema_format(format) => {
                b.component(&t.child("schema"), key);
            }
            Some(_) => {}
            None => {
                b.component(loc, key);
            }
        }
    }
    let mut messages: Vec<IrMessage> = Vec::new();
    let mut names = naming::Scope::default();
    for (ci, channel) in doc.channels.iter().enumerate() {
        for m in &channel.messages {
            if let Some(existing) = messages.iter_mut().find(|x| x.loc == m.loc) {
                existing.channels.push(ci);
                continue;
            }
            if let Some(format) = &m.schema_format {
                if !is_json_schema_format(format) {
                    let payload = m.loc.child("payload");
                    let at = if set.get(&payload.child("schemaFormat")).is_some() { payload.child("schemaFormat") } else { payload };
                    b.errors.push(set.diag(
                        Code::Unsupported,
                        &at,
                        format!("payload schemaFormat `{format}` is not supported; only JSON Schema and Avro payloads can be generated"),
                    ));
                    continue;
                }
            }
            let key = m.component.clone().unwrap_or_else(|| m.key.clone());
            let base = naming::type_name(m.component.as_deref().or(m.name.as_deref()).unwrap_or(&m.key));
            let rust = names.claim(&base);
            let payload = m.payload.as_ref().map(|l| b.ty(l, &format!("{rust}Payload")));
            let headers = m.headers.as_ref().map(|l| b.ty(l, &format!("{rust}Headers")));
            messages.push(IrMessage {
                rust,
                loc: m.loc.clone(),
                key,
                name: m.name.clone(),
                title: m.title.clone(),
                summary: m.summary.clone(),
                description: m.description.clone(),
                content_type: m.content_type.clone().or_else(|| doc.default_content_type.clone()),
                payload,
                headers,
                payload_schema: m.payload.clone(),
                headers_schema: m.headers.clone(),
                avro_writer: m.avro.as_ref().map(|a| (a.name.clone(), a.writer.clone())),
                examples: m.examples.clone(),
                invalid_examples: m.invalid_examples.clone(),
                channels: vec![ci],
                error_reply: m.error_reply,
                mock: m.mock.clone(),
                kafka_key: m.bindings.kafka_message.as_ref().and_then(|k| k.key.clone()),
                kafka_headers: kafka::HeaderMode::None,
            });
        }
    }
    b.warnings.extend(examples::check(set, &mut messages));
    let connections = connections::build(set, doc, role, &messages, &mut b);
    let mut kafka_warnings = Vec::new();
    let kafka = kafka::topics(set, doc, &messages, &connections, &b.types, &mut kafka_warnings);
    b.warnings.extend(kafka_warnings);
    let kafka = match kafka {
        Ok(topics) => topics,
        Err(errors) => {
            b.errors.extend(errors);
            Vec::new()
        }
    };
    b.name_builders();
    if !b.errors.is_empty() {
        let mut errs = std::mem::take(&mut b.errors);
        errs.dedup();
        return Err(Errors(errs));
    }
    let mut types = b.types;
    graph::box_recursion(&mut types);
    for m in &mut messages {
        m.kafka_headers = kafka::header_mode(&types, m.headers.as_ref());
    }
    let sockets = sockets::build(&sockets::Context { set, doc, role, messages: &messages, connections: &connections, types: &types }).map_err(Errors)?;
    let derives = graph::derives(&types);
    let warnings = std::mem::take(&mut b.warnings);
    let kafka_brokers = doc.servers.iter().find(|s| spec::is_kafka_protocol(&s.protocol)).and_then(|s| s.host_with_defaults(true));
    Ok((IrDocument {
        module,
        source,
        converted_from: set.file(doc.file).converted.as_ref().map(|(version, _)| version.clone()),
        role,
        outline: outline::build(doc, &messages),
        types,
        derives,
        messages,
        connections,
        sockets,
        kafka,
        kafka_brokers,
    }, warnings))
}
