//! What the docs print of a document besides its types: servers, security, channels and
//! operations, with every message reference resolved to the IR's messages.

use super::IrMessage;
use crate::spec::bindings::{KafkaTopic, WsChannel};
use crate::spec::{Action, Document, Info, Parameter, SecurityScheme, Server};

#[derive(Debug, Clone)]
pub struct Outline {
    pub info: Info,
    pub servers: Vec<Server>,
    pub security_schemes: Vec<SecurityScheme>,
    pub channels: Vec<ChannelOutline>,
    pub operations: Vec<OperationOutline>,
}

#[derive(Debug, Clone)]
pub struct ChannelOutline {
    pub key: String,
    pub address: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub parameters: Vec<Parameter>,
    /// Indexes into the document's messages.
    pub messages: Vec<usize>,
    pub ws: Option<WsChannel>,
    /// The Kafka topic it stands for: its binding's `topic`, else its address on a Kafka server.
    pub topic: Option<String>,
    /// The Kafka topic settings, when the channel has a `kafka` binding.
    pub kafka: Option<KafkaTopic>,
    /// An example connection URL (for `ws`/`http` servers), query parameters as placeholders.
    pub example_url: Option<String>,
}

#[derive(Debug, Clone)]
pub struct OperationOutline {
    pub key: String,
    pub action: Action,
    /// Index into the outline's channels.
    pub channel: usize,
    /// Indexes into the document's messages.
    pub messages: Vec<usize>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub reply: Option<ReplyOutline>,
}

#[derive(Debug, Clone)]
pub struct ReplyOutline {
    pub channel: Option<usize>,
    pub messages: Vec<usize>,
}

impl Outline {
    /// The first operation that carries a message, if any.
    pub fn first_operation_of(&self, message: usize) -> Option<usize> {
        self.operations.iter().position(|o| o.messages.contains(&message))
    }
}

pub(super) fn build(doc: &Document, messages: &[IrMessage]) -> Outline {
    let resolve = |channel: usize, key: &str| -> Option<usize> {
        let loc = &doc.channels[channel].messages.iter().find(|m| m.key == key)?.loc;
        messages.iter().position(|m| &m.loc == loc)
    };
    let channels = doc
        .channels
        .iter()
        .enumerate()
        .map(|(i, c)| ChannelOutline {
            key: c.key.clone(),
            address: c.address.clone(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            description: c.description.clone(),
            parameters: c.parameters.clone(),
            messages: c.messages.iter().filter_map(|m| resolve(i, &m.key)).collect(),
            ws: c.bindings.ws.clone(),
            topic: doc.kafka_topic(c).map(str::to_string),
            kafka: c.bindings.kafka_topic.clone().map(|mut k| {
                k.topic = k.topic.or_else(|| c.address.clone());
                k
            }),
            example_url: example_url(doc, c),
        })
        .collect();
    let operations = doc
        .operations
        .iter()
        .map(|o| OperationOutline {
            key: o.key.clone(),
            action: o.action,
            channel: o.channel,
            messages: o.message_keys(&doc.channels[o.channel]).into_iter().filter_map(|k| resolve(o.channel, k)).collect(),
            title: o.title.clone(),
            summary: o.summary.clone(),
            description: o.description.clone(),
            reply: o.reply.as_ref().map(|r| ReplyOutline {
                channel: r.channel,
                messages: r.channel.map(|c| r.messages.iter().filter_map(|k| resolve(c, k)).collect()).unwrap_or_default(),
            }),
        })
        .collect();
    Outline {
        info: doc.info.clone(),
        servers: doc.servers.clone(),
        security_schemes: doc.security_schemes.clone(),
        channels,
        operations,
    }
}

/// An example connection URL with the query parameters the `ws` binding declares.
fn example_url(doc: &Document, channel: &crate::spec::Channel) -> Option<String> {
    let server = doc.servers.iter().find(|s| channel.servers.is_empty() || channel.servers.contains(&s.key))?;
    if !matches!(server.protocol.as_str(), "ws" | "wss" | "http" | "https") {
        return None;
    }
    let host = server.host_with_defaults(false)?;
    let path = format!("{}{}", server.pathname.clone().unwrap_or_default(), channel.address.clone().unwrap_or_default());
    let params: Vec<String> = channel.bindings.ws.iter().flat_map(|w| &w.query).map(|q| format!("{}=<{}>", q.name, q.name.to_uppercase())).collect();
    let query = if params.is_empty() { String::new() } else { format!("?{}", params.join("&")) };
    Some(format!("{}://{host}{path}{query}", server.protocol))
}
