//! What the mock server plays, decided from the IR before anything listens: per socket, the
//! values of each message (the spec's examples, else values made from the schema and checked
//! against it), the push script (`x-mock`), how received messages are recognised and answered,
//! and the error reply.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use super::order::Candidate;
use super::values::{generate, Seeded};
use crate::diag::{Code, Diagnostic, Errors, Result};
use crate::ir::{IrDocument, Kind, Tagging};
use crate::load::SourceSet;

/// How many seeds are tried for values that validate.
const ATTEMPTS: u64 = 32;
/// How many distinct values a message without examples gets.
const GENERATED_VALUES: usize = 3;

/// A message the socket sends, with the values the mock sends for it.
#[derive(Debug)]
pub struct Outgoing {
    /// The message key, as events name it.
    pub key: String,
    /// Its examples' payloads, else one value made from its schema; empty when neither exists.
    pub values: Vec<Value>,
    /// Whether the values were made from the schema.
    pub generated: bool,
    /// `(property, value)` that picks it out, when the union is tagged.
    pub tag: Option<(String, String)>,
    pub validator: jsonschema::Validator,
}

/// One push of the script a session is played on connect.
#[derive(Debug, Clone, PartialEq)]
pub struct Push {
    /// Index into the socket's outgoing messages.
    pub outgoing: usize,
    /// Index into its values.
    pub value: usize,
    /// Pause before it.
    pub interval: Duration,
}

/// A message the socket receives: how it is recognised and what answers it.
pub struct Incoming {
    pub key: String,
    /// `(property, value)` that picks it out, when the union is tagged.
    pub tag: Option<(String, String)>,
    pub validator: jsonschema::Validator,
    /// Indexes into the socket's outgoing messages: its operation's `reply`.
    pub replies: Vec<usize>,
    /// Its examples' payloads, else values made from its schema: what a client sends.
    pub values: Vec<Value>,
}

/// An operation of a socket, for coverage.
#[derive(Debug, Clone)]
pub struct OperationPlan {
    pub key: String,
    /// Whether the server sends its messages (else it receives them).
    pub server_sends: bool,
    /// Its messages' keys.
    pub messages: Vec<String>,
}

/// One socket of one document, as the mock serves it.
pub struct SocketPlan {
    /// `module address`, for events.
    pub label: String,
    /// The route (an axum path: `{name}` segments match anything).
    pub address: String,
    /// The channel address as the spec writes it (the channel name `conform` knows).
    pub channel: String,
    /// The document's module.
    pub module: String,
    pub operations: Vec<OperationPlan>,
    pub required_query: Vec<String>,
    pub outgoing: Vec<Outgoing>,
    pub incoming: Vec<Incoming>,
    pub script: Vec<Push>,
    /// The outgoing message that carries errors and the JSON path of its reason field.
    pub error: Option<(usize, Vec<String>)>,
}

impl SocketPlan {
    /// The spec's error message carrying `reason`, when the socket has one.
    pub fn error_message(&self, reason: &str) -> Option<String> {
        let (index, path) = self.error.as_ref()?;
        let mut value = self.outgoing[*index].values.first()?.clone();
        let mut at = &mut value;
        for key in path {
            at = at.as_object_mut()?.entry(key.clone()).or_insert(Value::Null);
        }
        *at = Value::String(reason.to_string());
        serde_json::to_string(&value).ok()
    }

    /// The incoming message `text` is, or why it is none.
    pub fn recognise(&self, text: &str) -> std::result::Result<usize, String> {
        let candidates = self.incoming.iter().map(|i| (i.key.as_str(), i.tag.as_ref(), &i.validator));
        recognise(candidates, text, "receives")
    }

    /// The outgoing message `text` (as a client received it) is, or why it is none.
    pub fn recognise_outgoing(&self, text: &str) -> std::result::Result<usize, String> {
        let candidates = self.outgoing.iter().map(|o| (o.key.as_str(), o.tag.as_ref(), &o.validator));
        recognise(candidates, text, "sends")
    }
}

/// The first of `candidates` (key, tag, validator) whose tag `text` carries and whose schema it
/// fits; else the first reason.
fn recognise<'a>(candidates: impl Iterator<Item = (&'a str, Option<&'a (String, String)>, &'a jsonschema::Validator)>, text: &str, verb: &str) -> std::result::Result<usize, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("invalid message: not JSON: {e}"))?;
    let mut first_error = None;
    for (i, (key, tag, validator)) in candidates.enumerate() {
        if tag.is_some_and(|(property, tag)| value.get(property).and_then(Value::as_str) != Some(tag)) {
            continue;
        }
        match validator.iter_errors(&value).next() {
            None => return Ok(i),
            Some(e) => {
                first_error.get_or_insert_with(|| format!("as `{key}`: {e} at `{}`", e.instance_path()));
            }
        }
    }
    Err(match first_error {
        Some(why) => format!("invalid message: {why}"),
        None => format!("invalid message: it is none of the messages this socket {verb}"),
    })
}

/// Options of the plan.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Seed of the values made from schemas.
    pub seed: u64,
    /// Pause before each push when `x-mock` gives none.
    pub interval: Duration,
}

/// The plans of every socket of `docs`, with warnings for messages that have no value.
pub fn plan(set: &SourceSet, docs: &[IrDocument], options: &PlanOptions) -> Result<(Vec<SocketPlan>, Vec<Diagnostic>)> {
    let mut plans = Vec::new();
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    for doc in docs {
        for socket in &doc.sockets {
            match socket_plan(set, doc, socket, options, &mut warnings) {
                Ok(p) => plans.push(p),
                Err(e) => errors.extend(e.0),
            }
        }
    }
    let mut seen = BTreeMap::new();
    for p in &plans {
        if let Some(other) = seen.insert(p.address.clone(), p.label.clone()) {
            let source = docs.first().map(|d| d.source.clone()).unwrap_or_default();
            errors.push(Diagnostic::new(Code::InvalidValue, &source, format!("sockets `{other}` and `{}` share the address `{}`: the mock cannot serve both on one port", p.label, p.address)));
        }
    }
    if errors.is_empty() {
        Ok((plans, warnings))
    } else {
        Err(Errors(errors))
    }
}

/// The examples of message `mi` that have a payload fitting its schema, in order.
fn fitting_examples(doc: &IrDocument, mi: usize) -> impl Iterator<Item = &crate::spec::Example> {
    doc.messages[mi].examples.iter().filter(|e| e.payload_mismatch.is_none() && e.payload.is_some())
}

/// The values of message `mi`: its examples that fit its schema, else one made from the schema.
fn values(doc: &IrDocument, mi: usize, validator: &jsonschema::Validator, schema: &Value, seed: u64) -> (Vec<Value>, bool) {
    let examples: Vec<Value> = fitting_examples(doc, mi).filter_map(|e| e.payload.clone()).collect();
    if !examples.is_empty() {
        return (examples, false);
    }
    // Up to three values, so repeated pushes vary; each one valid against the schema.
    let mut made: Vec<Value> = Vec::new();
    for i in 0..ATTEMPTS {
        let seed = seed.wrapping_mul(0x100_0000_01B3).wrapping_add(mi as u64 * 7919).wrapping_add(i);
        if let Some(v) = generate(schema, &mut Seeded::new(seed)).filter(|v| validator.is_valid(v) && !made.contains(v)) {
            made.push(v);
            if made.len() == GENERATED_VALUES {
                break;
            }
        }
    }
    (made, true)
}

/// The values a client or producer sends for message `mi`: its examples that fit, else values made
/// from its schema and checked against it (none when its schema does not compile).
pub fn message_values(set: &SourceSet, doc: &IrDocument, mi: usize, seed: u64) -> Vec<Value> {
    match compile(set, doc, mi) {
        Ok((validator, schema)) => values(doc, mi, &validator, &schema, seed).0,
        Err(_) => Vec::new(),
    }
}

/// Message `mi`'s payload schema, bundled, and its validator; a located error when it does not
/// compile.
fn compile(set: &SourceSet, doc: &IrDocument, mi: usize) -> Result<(jsonschema::Validator, Value)> {
    let m = &doc.messages[mi];
    let schema = m.payload_schema.as_ref().map_or(Value::Bool(true), |l| crate::bundle::bundle(set, l));
    let validator = jsonschema::draft7::new(&schema)
        .map_err(|e| Errors(vec![set.diag(Code::Unsupported, &m.loc, format!("message `{}`: its schema cannot be compiled: {e}", m.key))]))?;
    Ok((validator, schema))
}

/// `address` as an axum route: a leading `/`, parameters as whole `{name}` segments.
fn route(address: &str) -> std::result::Result<String, String> {
    let path = if address.starts_with('/') { address.to_string() } else { format!("/{address}") };
    for segment in path.split('/') {
        let braces = segment.contains('{') || segment.contains('}');
        let whole = segment.starts_with('{') && segment.ends_with('}') && segment[1..segment.len() - 1].chars().all(|c| c.is_alphanumeric() || c == '_') && segment.len() > 2;
        if braces && !whole {
            return Err(format!("address `{address}`: a parameter must be a whole path segment (`/{{name}}`) for the mock to serve it"));
        }
    }
    Ok(path)
}

fn socket_plan(set: &SourceSet, doc: &IrDocument, socket: &crate::ir::sockets::Socket, options: &PlanOptions, warnings: &mut Vec<Diagnostic>) -> Result<SocketPlan> {
    let label = format!("{} {}", doc.module, socket.address);
    let address = route(&socket.address).map_err(|e| Errors(vec![Diagnostic::new(Code::Unsupported, &doc.source, e)]))?;
    let members = |id: Option<crate::ir::TypeId>| -> Vec<usize> {
        let Some(Kind::Union(u)) = id.map(|id| &doc.type_def(id).kind) else { return Vec::new() };
        u.variants.iter().filter_map(|v| doc.messages.iter().position(|m| m.rust == v.rust)).collect()
    };
    // What the socket sends, then the replies no `send` operation names.
    let mut out_members = members(socket.outgoing);
    for reply in socket.handlers.iter().flat_map(|h| &h.replies) {
        if !out_members.contains(reply) {
            out_members.push(*reply);
        }
    }
    let mut outgoing = Vec::new();
    for &mi in &out_members {
        let (validator, schema) = compile(set, doc, mi)?;
        let (values, generated) = values(doc, mi, &validator, &schema, options.seed);
        let m = &doc.messages[mi];
        if values.is_empty() {
            warnings.push(set.diag(Code::Unsupported, &m.loc, format!("message `{}` has no example and no value could be made from its schema: it is never sent", m.key)).warning());
        }
        outgoing.push(Outgoing { key: m.key.clone(), values, generated, tag: doc.message_tag(mi), validator });
    }
    let mut incoming = Vec::new();
    for (mi, handler) in members(socket.incoming).into_iter().zip(&socket.handlers) {
        let (validator, schema) = compile(set, doc, mi)?;
        let replies = handler.replies.iter().filter_map(|r| out_members.iter().position(|o| o == r)).collect();
        let (values, _) = values(doc, mi, &validator, &schema, options.seed);
        incoming.push(Incoming { key: doc.messages[mi].key.clone(), tag: doc.message_tag(mi), validator, replies, values });
    }
    let error = socket.error_reply.as_ref().and_then(|reply| {
        let Some(Kind::Union(u)) = socket.outgoing.map(|id| &doc.type_def(id).kind) else { return None };
        let variant = u.variants.get(reply.variant)?;
        let Kind::Struct(st) = &doc.type_def(variant.ty.direct_named()?).kind else { return None };
        let field = st.fields.get(reply.field)?.wire.clone();
        let path = match &u.tagging {
            Tagging::Adjacent { content, .. } => vec![content.clone(), field],
            _ => vec![field],
        };
        Some((out_members.iter().position(|&o| doc.messages[o].rust == variant.rust)?, path))
    });
    let script = script(doc, &out_members, &outgoing, options).map_err(|(at, why)| Errors(vec![set.diag(Code::InvalidValue, &at, why)]))?;
    let channels = &doc.connections[socket.connection].channels;
    let operations = doc
        .outline
        .operations
        .iter()
        // An operation that lists no message has nothing to exercise.
        .filter(|op| channels.contains(&op.channel) && !op.messages.is_empty())
        .map(|op| OperationPlan {
            key: op.key.clone(),
            // A document written from the client's side says `send` for what the server receives.
            server_sends: (op.action == crate::spec::Action::Send) == (doc.role == crate::spec::Role::Server),
            messages: op.messages.iter().map(|m| doc.messages[*m].key.clone()).collect(),
        })
        .collect();
    Ok(SocketPlan {
        label,
        address,
        channel: socket.address.clone(),
        module: doc.module.clone(),
        operations,
        required_query: socket.required_query.clone(),
        outgoing,
        incoming,
        script,
        error,
    })
}

/// The push script (see [`super::order`]), each push's pause defaulting to `--interval-ms`.
fn script(doc: &IrDocument, members: &[usize], outgoing: &[Outgoing], options: &PlanOptions) -> std::result::Result<Vec<Push>, (crate::load::Loc, String)> {
    let candidates: Vec<Candidate<'_>> = members
        .iter()
        .zip(outgoing)
        .map(|(&mi, out)| {
            let m = &doc.messages[mi];
            let values = match out.generated {
                true => vec![None; out.values.len()],
                false => fitting_examples(doc, mi).map(|e| e.mock.as_ref().map(|(script, at)| (script, at))).collect(),
            };
            Candidate { key: &m.key, script: &m.mock, loc: m.loc.child("x-mock"), values, generated: out.generated }
        })
        .collect();
    let steps = super::order::order(&candidates)?;
    Ok(steps
        .into_iter()
        .map(|s| Push { outgoing: s.candidate, value: s.value, interval: s.interval_ms.map_or(options.interval, |ms| Duration::from_millis(u64::from(ms))) })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::route;

    #[test]
    fn addresses_become_routes_or_errors() {
        assert_eq!(route("/ws").unwrap(), "/ws");
        assert_eq!(route("rooms/{room}").unwrap(), "/rooms/{room}");
        assert!(route("/rooms/id-{room}").is_err());
        assert!(route("/rooms/{").is_err());
    }
}
