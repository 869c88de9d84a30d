//! The generated crate's README table: each message, its Rust type and the method that sends,
//! handles or reads it. Names come from the same functions the emitters use.

use heck::ToSnakeCase;
use serde::Serialize;

use super::{kafka, models::ty_tokens, socket};
use crate::ir::{IrDocument, Ty, Union};

/// One message as a user of the crate meets it.
#[derive(Debug, Serialize)]
pub struct ApiRow {
    /// The module, e.g. `agent_assist::server`.
    pub module: String,
    /// The message's key in the document.
    pub message: String,
    /// The Rust type carrying it.
    pub rust_type: String,
    /// The type's path from the crate root: `agent_assist::SoundInfo`, or `String`.
    pub rust_path: String,
    /// Whether the type has a valid `Default`.
    pub has_default: bool,
    /// Where it is handled or sent, e.g. `Session::send_sound_info`.
    pub method: String,
}

/// The Rust type as a reader writes it (`SoundInfo`, `Vec<String>`), and its path from the
/// crate root.
fn type_text(doc: &IrDocument, ty: &Ty) -> (String, String) {
    let text = ty_tokens(doc, ty, false).to_string().replace(' ', "");
    let text = ["::std::string::", "::std::vec::", "::std::collections::", "::std::option::", "::serde_json::"]
        .iter()
        .fold(text, |t, prefix| t.replace(prefix, ""));
    let path = match ty {
        Ty::Named(_) => format!("{}::{text}", doc.module),
        _ => text.clone(),
    };
    (text, path)
}

fn row(doc: &IrDocument, module: &str, message: String, ty: &Ty, method: String) -> ApiRow {
    let (rust_type, rust_path) = type_text(doc, ty);
    let has_default = matches!(ty, Ty::Named(id) if doc.derives[id.0].default);
    ApiRow { module: module.to_string(), message, rust_type, rust_path, has_default, method }
}

fn variant_rows(doc: &IrDocument, module: &str, u: &Union, methods: Vec<String>) -> Vec<ApiRow> {
    u.variants
        .iter()
        .zip(methods)
        .map(|(v, method)| {
            let message = socket::message(doc, &v.rust).map_or_else(|| v.rust.to_snake_case(), |m| m.key.clone());
            row(doc, module, message, &v.ty, method)
        })
        .collect()
}

/// Every message of a document with its type and method: socket handlers and sends, then Kafka
/// sends and consumers.
pub fn rows(doc: &IrDocument) -> Vec<ApiRow> {
    let mut rows = Vec::new();
    for e in socket::endpoints(doc) {
        let sub = e.module.as_ref().map(|m| format!("::{m}")).unwrap_or_default();
        let server = format!("{}::server{sub}", doc.module);
        let client = format!("{}::client{sub}", doc.module);
        if let Some((_, u)) = socket::union(doc, e.incoming) {
            let handlers = e.handlers.iter().map(|h| format!("Handler::{}", h.method)).collect();
            rows.extend(variant_rows(doc, &server, u, handlers));
        }
        if let Some((_, u)) = socket::union(doc, e.outgoing) {
            let sends = e.session_sends.iter().map(|m| format!("Session::{m}")).collect();
            rows.extend(variant_rows(doc, &server, u, sends));
        }
        if let Some((_, u)) = socket::union(doc, e.incoming) {
            let sends = e.client_sends.iter().map(|m| format!("Client::{m}")).collect();
            rows.extend(variant_rows(doc, &client, u, sends));
        }
    }
    let module = format!("{}::kafka", doc.module);
    let consumers = kafka::consumer_names(doc);
    for ((topic, sends), consumer) in doc.kafka.iter().zip(kafka::send_methods(doc)).zip(consumers) {
        for ((mi, _), send) in topic.produced.iter().zip(sends) {
            let m = &doc.messages[*mi];
            let Some(payload) = &m.payload else { continue };
            rows.push(row(doc, &module, m.key.clone(), payload, format!("Producer::{send}")));
        }
        if let (Some(consumer), Some(id)) = (consumer, topic.consumed) {
            rows.push(row(doc, &module, format!("topic `{}`", topic.name), &Ty::Named(id), format!("{consumer}::recv")));
        }
    }
    rows
}

/// A method and the type it takes, for the README's quick start.
#[derive(Debug, Serialize)]
pub struct Call {
    pub method: String,
    pub rust_type: String,
    pub rust_path: String,
    pub has_default: bool,
}

/// What the README's quick start shows: the first socket server, client and Kafka module.
#[derive(Debug, Default, Serialize)]
pub struct QuickStart {
    /// `(module, handlers, handlers left out)` of the first server.
    pub server: Option<(String, Vec<Call>, usize)>,
    /// A push from the server, if its socket pushes anything.
    pub push: Option<Call>,
    /// The first client's module and one of its sends.
    pub client: Option<(String, Option<Call>)>,
    /// The first Kafka module, one typed send and one consumer.
    pub kafka: Option<(String, Option<Call>, Option<String>)>,
}

/// Handlers shown in the quick start's server before "and the others".
const SHOWN_HANDLERS: usize = 3;

/// The quick start, from the rows of every document.
pub fn quick_start(rows: &[ApiRow]) -> QuickStart {
    let call = |r: &ApiRow, prefix: &str| Call {
        method: r.method.trim_start_matches(prefix).to_string(),
        rust_type: r.rust_type.clone(),
        rust_path: r.rust_path.clone(),
        has_default: r.has_default,
    };
    let mut start = QuickStart::default();
    if let Some(first) = rows.iter().find(|r| r.module.contains("::server") && (r.method.starts_with("Handler::") || r.method.starts_with("Session::"))) {
        let module = first.module.clone();
        let handlers: Vec<&ApiRow> = rows.iter().filter(|r| r.module == module && r.method.starts_with("Handler::")).collect();
        let shown = handlers.iter().take(SHOWN_HANDLERS).map(|r| call(r, "Handler::")).collect();
        start.push = rows.iter().find(|r| r.module == module && r.method.starts_with("Session::")).map(|r| call(r, "Session::"));
        start.server = Some((module, shown, handlers.len().saturating_sub(SHOWN_HANDLERS)));
    }
    if let Some(first) = rows.iter().find(|r| r.module.contains("::client")) {
        // A send the snippet can build with `Default`, when there is one.
        let module = first.module.clone();
        let send = rows.iter().find(|r| r.module == module && r.has_default).unwrap_or(first);
        start.client = Some((module, Some(call(send, "Client::"))));
    }
    if let Some(first) = rows.iter().find(|r| r.module.ends_with("::kafka")) {
        let module = first.module.clone();
        let send = rows.iter().find(|r| r.module == module && r.method.starts_with("Producer::")).map(|r| call(r, "Producer::"));
        let consumer = rows.iter().find(|r| r.module == module && r.method.ends_with("::recv")).map(|r| r.method.trim_end_matches("::recv").to_string());
        start.kafka = Some((module, send, consumer));
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_row(module: &str, method: &str, has_default: bool) -> ApiRow {
        ApiRow {
            module: module.into(),
            message: "m".into(),
            rust_type: "T".into(),
            rust_path: "doc::T".into(),
            has_default,
            method: method.into(),
        }
    }

    #[test]
    fn the_quick_start_takes_the_first_server_client_and_kafka_module() {
        let rows = vec![
            api_row("doc::kafka", "Producer::send_a", false),
            api_row("doc::kafka", "AConsumer::recv", false),
            api_row("doc::server", "Handler::on_a", false),
            api_row("doc::server", "Handler::on_b", false),
            api_row("doc::server", "Handler::on_c", false),
            api_row("doc::server", "Handler::on_d", false),
            api_row("doc::server", "Session::send_x", false),
            api_row("doc::client", "Client::send_a", false),
            api_row("doc::client", "Client::send_b", true),
        ];
        let start = quick_start(&rows);
        let (module, handlers, more) = start.server.expect("a server");
        assert_eq!(module, "doc::server");
        assert_eq!(handlers.iter().map(|h| h.method.as_str()).collect::<Vec<_>>(), ["on_a", "on_b", "on_c"]);
        assert_eq!(more, 1);
        assert_eq!(start.push.expect("a push").method, "send_x");
        let (client, send) = start.client.expect("a client");
        assert_eq!(client, "doc::client");
        assert_eq!(send.expect("a send").method, "send_b", "a send the snippet can build with Default");
        let (kafka, send, consumer) = start.kafka.expect("kafka");
        assert_eq!(kafka, "doc::kafka");
        assert_eq!(send.expect("a send").method, "send_a");
        assert_eq!(consumer.as_deref(), Some("AConsumer"));
        assert!(quick_start(&[]).server.is_none());
    }
}
