//! AsyncAPI 2.0–2.6 documents converted to 3.0, so that every command reads one model.
//!
//! The conversion follows the 3.0 migration guide and names things the way the official
//! converter (`@asyncapi/converter`) does, so a document converted by either reads the same:
//!
//! - `servers.*.url` → `host` + `pathname` (+ `protocol` from the scheme when missing);
//! - a channel key becomes its `address`; the channel key is `x-channelId` or the address;
//! - `publish` (what the application receives) → a `receive` operation, `subscribe` (what it
//!   sends) → a `send` operation, keyed by `operationId`, else `<channel key>.<publish|subscribe>`;
//! - an operation's `message` (or each of its `oneOf`) moves into the channel's `messages`, keyed
//!   by `messageId`, else `<operation>.message[.<index>]`; the operation lists references to them;
//! - a message's `schemaFormat` wraps its `payload` into a multi-format schema;
//! - security requirements become references to `components.securitySchemes` (OAuth scopes are
//!   kept on an inline copy, as in 3.0), `flows.*.scopes` → `availableScopes`;
//! - channel parameters keep `enum`, `default`, `examples`, `description`, `location`;
//! - root `tags` and `externalDocs` move into `info`;
//! - everything else (bindings, traits, `x-` extensions, components) is kept as written.
//!
//! Where the official converter loses information, this one keeps it (and the cross-check test
//! names each case): a parameter whose `schema` is a local `$ref` keeps its `enum`/`default`; an
//! operation `message` that references a `oneOf` of messages lists each of them; a security
//! requirement with scopes on a non-OAuth scheme stays a reference instead of being dropped.
//!
//! Every moved node is recorded in [`Moves`], so diagnostics on the converted document point at
//! the 2.x source (pointer and line), and local `$ref`s to moved nodes are rewritten.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::refs::{percent_decode, percent_encode_fragment};
use crate::diag::{escape_segment, lookup, Code};

/// The 2.x versions read: 2.0.0 to 2.6.x.
pub fn is_v2(doc: &Value) -> bool {
    let Some(version) = doc.get("asyncapi").and_then(Value::as_str) else { return false };
    let mut parts = version.split('.');
    parts.next() == Some("2") && parts.next().and_then(|m| m.parse::<u32>().ok()).is_some_and(|minor| minor <= 6)
}

/// Pointer prefixes moved by the conversion, as (2.x pointer, 3.0 pointer) pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moves(Vec<(String, String)>);

impl Moves {
    fn record(&mut self, old: String, new: String) {
        if old != new {
            self.0.push((old, new));
        }
    }

    /// The 2.x pointer a node of the converted document came from.
    pub fn source<'p>(&self, pointer: &'p str) -> Cow<'p, str> {
        swap(self.0.iter().map(|(old, new)| (new.as_str(), old.as_str())), pointer)
    }

    /// Adds the moves of another conversion in the same file.
    pub fn extend(&mut self, other: Moves) {
        self.0.extend(other.0);
    }

    /// Where a 2.x pointer is in the converted document.
    pub fn target<'p>(&self, pointer: &'p str) -> Cow<'p, str> {
        swap(self.0.iter().map(|(old, new)| (old.as_str(), new.as_str())), pointer)
    }
}

/// `pointer` with its longest prefix among `from` replaced by the matching `to`.
fn swap<'a, 'p>(pairs: impl Iterator<Item = (&'a str, &'a str)>, pointer: &'p str) -> Cow<'p, str> {
    let is_prefix = |prefix: &str| {
        pointer.starts_with(prefix) && (pointer.len() == prefix.len() || pointer.as_bytes()[prefix.len()] == b'/')
    };
    match pairs.filter(|(from, _)| is_prefix(from)).max_by_key(|(from, _)| from.len()) {
        Some((from, to)) => Cow::Owned(format!("{to}{}", &pointer[from.len()..])),
        None => Cow::Borrowed(pointer),
    }
}

/// Something the 3.0 document cannot say as the 2.x one did, at a 2.x pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub pointer: String,
    pub message: String,
    /// The error, when the 2.x document is wrong here (not only lossy).
    pub error: Option<Code>,
}

/// A converted document.
#[derive(Debug, Clone)]
pub struct Converted {
    pub value: Value,
    pub moves: Moves,
    pub notes: Vec<Note>,
}

/// Converts a 2.x document (see [`is_v2`]) to 3.0.0. Nodes of the wrong type are copied as they
/// are, for the 3.0 reader to report.
pub fn convert(doc: &Value) -> Converted {
    let mut c = Converter { root: doc, moves: Moves::default(), notes: Vec::new() };
    let Value::Object(src) = doc else {
        return Converted { value: doc.clone(), moves: c.moves, notes: c.notes };
    };
    let mut out = src.clone();
    out.insert("asyncapi".into(), Value::String("3.0.0".into()));
    c.info(&mut out);
    if let Some(Value::Object(servers)) = src.get("servers") {
        out.insert("servers".into(), Value::Object(c.servers("/servers", servers)));
    }
    let mut operations = Map::new();
    if let Some(Value::Object(channels)) = src.get("channels") {
        out.insert("channels".into(), Value::Object(c.channels("", channels, &mut operations)));
    }
    if let Some(Value::Object(components)) = src.get("components") {
        let (components, used) = c.components(components, src.get("channels"));
        out.insert("components".into(), Value::Object(components));
        operations.extend(used);
    }
    if !operations.is_empty() {
        out.insert("operations".into(), Value::Object(operations));
    }
    let mut value = Value::Object(ordered(
        out,
        &["asyncapi", "id", "info", "defaultContentType", "servers", "channels", "operations", "components"],
    ));
    rewrite_refs(&mut value, &c.moves);
    Converted { value, moves: c.moves, notes: c.notes }
}

/// A 2.x server object that another file holds (`servers: {x: {$ref: ...}}`), as 3.0, with the
/// moves inside that file; `root` is the (converted) document, for its security schemes.
pub fn convert_server(root: &Value, at: &str, server: &Map<String, Value>) -> (Map<String, Value>, Moves) {
    let mut c = Converter { root, moves: Moves::default(), notes: Vec::new() };
    let converted = c.server(at, server);
    (converted, c.moves)
}

struct Converter<'a> {
    /// The 2.x document, for `messageId`s and security schemes behind local `$ref`s.
    root: &'a Value,
    moves: Moves,
    notes: Vec<Note>,
}

fn child(pointer: &str, segment: &str) -> String {
    format!("{pointer}/{}", escape_segment(segment))
}

/// A local `$ref` to `pointer`, written as a valid URI fragment.
fn reference(pointer: &str) -> Value {
    let mut m = Map::new();
    m.insert("$ref".into(), Value::String(format!("#{}", percent_encode_fragment(pointer))));
    Value::Object(m)
}

/// `map` with `first` keys in that order, then the others as they were.
fn ordered(mut map: Map<String, Value>, first: &[&str]) -> Map<String, Value> {
    let mut out = Map::new();
    for key in first {
        if let Some(v) = map.remove(*key) {
            out.insert((*key).to_string(), v);
        }
    }
    out.extend(map);
    out
}

fn is_ref(v: &Value) -> bool {
    v.get("$ref").is_some()
}

impl Converter<'_> {
    fn note(&mut self, pointer: String, message: impl Into<String>) {
        self.notes.push(Note { pointer, message: message.into(), error: None });
    }

    fn wrong(&mut self, code: Code, pointer: String, message: impl Into<String>) {
        self.notes.push(Note { pointer, message: message.into(), error: Some(code) });
    }

    /// The node a local `$ref` chain from `v` ends at (`v` itself when it is not a reference).
    fn resolve<'v>(&'v self, mut v: &'v Value) -> Option<&'v Value> {
        for _ in 0..32 {
            match v.get("$ref").and_then(Value::as_str) {
                None => return Some(v),
                Some(r) => v = lookup(self.root, &percent_decode(r.strip_prefix('#')?))?,
            }
        }
        None
    }

    /// Root `tags` and `externalDocs` move into `info`.
    fn info(&mut self, out: &mut Map<String, Value>) {
        let Some(Value::Object(info)) = out.get("info") else { return };
        let mut info = info.clone();
        for key in ["tags", "externalDocs"] {
            if let Some(v) = out.remove(key) {
                info.insert(key.into(), v);
                self.moves.record(format!("/{key}"), format!("/info/{key}"));
            }
        }
        let first = ["title", "version", "description", "termsOfService", "contact", "license", "tags", "externalDocs"];
        out.insert("info".into(), Value::Object(ordered(info, &first)));
    }

    fn servers(&mut self, at: &str, servers: &Map<String, Value>) -> Map<String, Value> {
        let mut out = Map::new();
        for (name, server) in servers {
            let converted = match server {
                Value::Object(s) if !is_ref(server) => Value::Object(self.server(&child(at, name), s)),
                other => other.clone(),
            };
            out.insert(name.clone(), converted);
        }
        out
    }

    fn server(&mut self, at: &str, server: &Map<String, Value>) -> Map<String, Value> {
        let mut s = server.clone();
        if let Some(Value::String(url)) = s.remove("url") {
            let (scheme, rest) = match url.split_once("://") {
                Some((scheme, rest)) => (Some(scheme), rest),
                None => (None, url.as_str()),
            };
            let (host, pathname) = match rest.split_once('/') {
                Some((host, path)) => (host, Some(format!("/{path}"))),
                None => (rest, None),
            };
            s.insert("host".into(), Value::String(host.into()));
            self.moves.record(format!("{at}/url"), format!("{at}/host"));
            if let Some(p) = pathname {
                s.insert("pathname".into(), Value::String(p));
                self.moves.record(format!("{at}/url"), format!("{at}/pathname"));
            }
            if let (Some(scheme), false) = (scheme, s.contains_key("protocol")) {
                s.insert("protocol".into(), Value::String(scheme.into()));
            }
        }
        if let Some(Value::Array(security)) = server.get("security") {
            s.insert("security".into(), Value::Array(self.security(security)));
        }
        let first = [
            "host", "pathname", "protocol", "protocolVersion", "title", "summary", "description", "variables", "security",
            "tags", "externalDocs", "bindings",
        ];
        ordered(s, &first)
    }

    /// 2.x requirements (`[{scheme: [scopes]}]`) → references to the schemes, or an inline copy
    /// carrying `scopes` for OAuth 2 and OpenID Connect schemes with scopes.
    fn security(&mut self, requirements: &[Value]) -> Vec<Value> {
        let mut out = Vec::new();
        for requirement in requirements {
            let Value::Object(r) = requirement else {
                out.push(requirement.clone());
                continue;
            };
            for (name, scopes) in r {
                let at = child("/components/securitySchemes", name);
                let scheme = lookup(self.root, &at).and_then(|s| self.resolve(s));
                let oauth = scheme.and_then(|s| s.get("type")).and_then(Value::as_str).is_some_and(|t| t == "oauth2" || t == "openIdConnect");
                let has_scopes = scopes.as_array().is_some_and(|s| !s.is_empty());
                match (scheme, oauth && has_scopes) {
                    (Some(Value::Object(scheme)), true) => {
                        let mut inline = security_scheme(scheme);
                        inline.insert("scopes".into(), scopes.clone());
                        out.push(Value::Object(inline));
                    }
                    _ => out.push(reference(&at)),
                }
            }
        }
        out
    }

    /// Channels of `prefix` (`""` or `"/components"`); their operations go into `operations`.
    fn channels(&mut self, prefix: &str, channels: &Map<String, Value>, operations: &mut Map<String, Value>) -> Map<String, Value> {
        let section = format!("{prefix}/channels");
        let mut out = Map::new();
        for (address, channel) in channels {
            let id = match channel {
                Value::Object(c) if !is_ref(channel) => c.get("x-channelId").and_then(Value::as_str).unwrap_or(address).to_string(),
                _ => address.clone(),
            };
            let (old, new) = (child(&section, address), child(&section, &id));
            self.moves.record(old.clone(), new.clone());
            let Value::Object(c) = channel else {
                out.insert(id, channel.clone());
                continue;
            };
            if let Some(r) = channel.get("$ref").and_then(Value::as_str) {
                if !r.starts_with('#') {
                    let message = format!(
                        "channel `{address}` is a `$ref` to another file: its `publish`/`subscribe` operations are not converted; move the channel into this document"
                    );
                    self.note(old.clone(), message);
                }
                out.insert(id, channel.clone());
                continue;
            }
            let mut ch = c.clone();
            ch.insert("address".into(), Value::String(address.clone()));
            if let Some(Value::Array(servers)) = c.get("servers") {
                let refs = servers
                    .iter()
                    .map(|s| match s.as_str() {
                        Some(name) => reference(&child("/servers", name)),
                        None => s.clone(),
                    })
                    .collect();
                ch.insert("servers".into(), Value::Array(refs));
            }
            if let Some(Value::Object(parameters)) = c.get("parameters") {
                ch.insert("parameters".into(), Value::Object(self.parameters(&format!("{old}/parameters"), parameters)));
            }
            let mut messages = Map::new();
            for kind in ["publish", "subscribe"] {
                ch.remove(kind);
                let op = match c.get(kind) {
                    None => continue,
                    Some(Value::Object(op)) => op,
                    Some(other) => {
                        self.wrong(Code::WrongType, format!("{old}/{kind}"), format!("expected an operation object, found {}", crate::spec::node::kind(other)));
                        continue;
                    }
                };
                let place = OperationPlace { prefix, channel_id: &id, old_channel: &old, new_channel: &new, kind };
                let (op_id, op) = self.operation(&place, op, &mut messages);
                operations.insert(op_id, op);
            }
            if !messages.is_empty() {
                ch.insert("messages".into(), Value::Object(messages));
            }
            let first = [
                "address", "messages", "title", "summary", "description", "servers", "parameters", "tags", "externalDocs", "bindings",
            ];
            out.insert(id, Value::Object(ordered(ch, &first)));
        }
        out
    }

    fn operation(&mut self, place: &OperationPlace<'_>, op: &Map<String, Value>, messages: &mut Map<String, Value>) -> (String, Value) {
        let OperationPlace { prefix, channel_id, old_channel, new_channel, kind } = *place;
        let old_op = format!("{old_channel}/{kind}");
        let op_id = match op.get("operationId") {
            Some(Value::String(id)) => id.clone(),
            Some(other) => {
                self.wrong(Code::WrongType, format!("{old_op}/operationId"), format!("expected a string, found {}", crate::spec::node::kind(other)));
                format!("{channel_id}.{kind}")
            }
            None => format!("{channel_id}.{kind}"),
        };
        self.moves.record(old_op.clone(), child(&format!("{prefix}/operations"), &op_id));
        let mut out = op.clone();
        out.remove("operationId");
        out.remove("message");
        out.insert("action".into(), Value::String(if kind == "publish" { "receive" } else { "send" }.into()));
        out.insert("channel".into(), reference(new_channel));
        if let Some(Value::Array(security)) = op.get("security") {
            out.insert("security".into(), Value::Array(self.security(security)));
        }
        if let Some(message) = op.get("message") {
            let old_message = format!("{old_op}/message");
            let new_messages = format!("{new_channel}/messages");
            let mut listed = Vec::new();
            for (old, value, index) in Self::operation_messages(self.root, &old_message, message) {
                let mut id = self.message_id(value, &op_id, index);
                let converted = message_3_0(value);
                if messages.get(&id).is_some_and(|existing| *existing != converted) {
                    let base = id.clone();
                    let mut n = 2;
                    while messages.contains_key(&id) {
                        id = format!("{base}_{n}");
                        n += 1;
                    }
                    self.note(old.clone(), format!("another message of channel `{channel_id}` is also keyed `{base}`; this one is keyed `{id}`"));
                }
                let new = child(&new_messages, &id);
                self.moves.record(old.clone(), new.clone());
                self.message_moves(&old, &new, value, &converted);
                messages.insert(id, converted);
                listed.push(reference(&new));
            }
            out.insert("messages".into(), Value::Array(listed));
        }
        let first = ["action", "channel", "title", "summary", "description", "security", "tags", "externalDocs", "bindings", "traits"];
        (op_id, Value::Object(ordered(out, &first)))
    }

    /// An operation's messages with their 2.x pointers: each `oneOf` member, also behind a local
    /// `$ref`, or the one message.
    fn operation_messages<'v>(root: &'v Value, at: &str, message: &'v Value) -> Vec<(String, &'v Value, Option<usize>)> {
        if let Some(Value::Array(items)) = message.get("oneOf") {
            return items.iter().enumerate().map(|(i, m)| (format!("{at}/oneOf/{i}"), m, Some(i))).collect();
        }
        let behind_ref = message.get("$ref").and_then(Value::as_str).and_then(|r| {
            let pointer = percent_decode(r.strip_prefix('#')?);
            let Value::Array(items) = lookup(root, &pointer)?.get("oneOf")? else { return None };
            Some(items.iter().enumerate().map(|(i, m)| (format!("{pointer}/oneOf/{i}"), m, Some(i))).collect::<Vec<_>>())
        });
        behind_ref.unwrap_or_else(|| vec![(at.to_string(), message, None)])
    }

    /// `messageId` (also behind a local `$ref`), else `<operation>.message[.<index>]`, where
    /// `<operation>` is the last dot-separated part of the operation's key.
    fn message_id(&self, message: &Value, op_id: &str, index: Option<usize>) -> String {
        let id = self.resolve(message).unwrap_or(message).get("messageId").and_then(Value::as_str);
        if let Some(id) = id {
            return id.to_string();
        }
        let kind = op_id.rsplit('.').next().unwrap_or(op_id);
        match index {
            Some(i) => format!("{kind}.message.{i}"),
            None => format!("{kind}.message"),
        }
    }

    /// Records the moves of a message converted by [`message_3_0`] from `old` to `new`.
    fn message_moves(&mut self, old: &str, new: &str, message: &Value, converted: &Value) {
        if converted.get("payload").and_then(|p| p.get("schema")).is_some() && message.get("schemaFormat").is_some() {
            self.moves.record(format!("{old}/payload"), format!("{new}/payload/schema"));
            self.moves.record(format!("{old}/schemaFormat"), format!("{new}/payload/schemaFormat"));
        }
    }

    fn parameters(&mut self, at: &str, parameters: &Map<String, Value>) -> Map<String, Value> {
        let mut out = Map::new();
        for (name, p) in parameters {
            let converted = match p {
                Value::Object(o) if !is_ref(p) => Value::Object(self.parameter(&child(at, name), name, o)),
                other => other.clone(),
            };
            out.insert(name.clone(), converted);
        }
        out
    }

    /// A 2.x parameter (`description`, `schema`, `location`) → 3.0 (`enum`, `default`,
    /// `description`, `examples`, `location`); other schema keywords have no place and are noted.
    fn parameter(&mut self, at: &str, name: &str, p: &Map<String, Value>) -> Map<String, Value> {
        let mut out: Map<String, Value> = p.iter().filter(|(k, _)| !matches!(k.as_str(), "location" | "schema" | "description")).map(|(k, v)| (k.clone(), v.clone())).collect();
        let raw_schema = p.get("schema");
        if let Some(r) = raw_schema.and_then(|s| s.get("$ref")).and_then(Value::as_str).filter(|r| !r.starts_with('#')) {
            self.note(format!("{at}/schema"), format!("parameter `{name}`: its schema is a `$ref` to another file (`{r}`); its enum, default and examples are not carried over"));
        }
        let local_ref = raw_schema.and_then(|s| s.get("$ref")).and_then(Value::as_str).filter(|r| r.starts_with('#'));
        if let (Some(r), None) = (local_ref, raw_schema.and_then(|s| self.resolve(s))) {
            self.wrong(Code::UnresolvedRef, format!("{at}/schema"), format!("`$ref: {r}` does not resolve to a schema in this document"));
        }
        let schema = raw_schema.and_then(|s| self.resolve(s)).and_then(Value::as_object).cloned().unwrap_or_default();
        if let Some(v) = schema.get("enum") {
            out.insert("enum".into(), v.clone());
            self.moves.record(format!("{at}/schema/enum"), format!("{at}/enum"));
        } else if let Some(v) = schema.get("const") {
            out.insert("enum".into(), Value::Array(vec![v.clone()]));
            self.moves.record(format!("{at}/schema/const"), format!("{at}/enum"));
        }
        if let Some(v) = schema.get("default") {
            out.insert("default".into(), v.clone());
            self.moves.record(format!("{at}/schema/default"), format!("{at}/default"));
        }
        if let Some(v) = p.get("description").or_else(|| schema.get("description")) {
            out.insert("description".into(), v.clone());
        }
        if let Some(v) = schema.get("examples") {
            out.insert("examples".into(), v.clone());
            self.moves.record(format!("{at}/schema/examples"), format!("{at}/examples"));
        }
        if let Some(v) = p.get("location") {
            out.insert("location".into(), v.clone());
        }
        let dropped: Vec<&str> = schema
            .keys()
            .map(String::as_str)
            .filter(|k| !matches!(*k, "$ref" | "enum" | "const" | "default" | "examples" | "description" | "type" | "title") && !k.starts_with("x-"))
            .collect();
        let not_string = schema.get("type").is_some_and(|t| t != "string");
        if !dropped.is_empty() || not_string {
            let mut what: Vec<String> = dropped.iter().map(|k| format!("`{k}`")).collect();
            if not_string {
                what.push(format!("`type: {}`", schema["type"]));
            }
            self.note(
                format!("{at}/schema"),
                format!("parameter `{name}`: {} cannot be said by a 3.0 parameter (a string with `enum`, `default`, `examples`) and is dropped", what.join(", ")),
            );
        }
        out
    }

    /// Components: servers, channels (their operations into `components.operations`, listed in
    /// `operations` where a root channel references the channel), security schemes, messages
    /// and parameters converted; the rest kept.
    fn components(&mut self, components: &Map<String, Value>, root_channels: Option<&Value>) -> (Map<String, Value>, Map<String, Value>) {
        let mut out = components.clone();
        let mut used = Map::new();
        if let Some(Value::Object(servers)) = components.get("servers") {
            out.insert("servers".into(), Value::Object(self.servers("/components/servers", servers)));
        }
        if let Some(Value::Object(channels)) = components.get("channels") {
            let mut component_ops = match components.get("operations") {
                Some(Value::Object(o)) => o.clone(),
                _ => Map::new(),
            };
            let mut converted_channels = Map::new();
            for (address, channel) in channels {
                let mut ops = Map::new();
                let one: Map<String, Value> = [(address.clone(), channel.clone())].into_iter().collect();
                let converted = self.channels("/components", &one, &mut ops);
                let old = child("/components/channels", address);
                let referenced = root_channels.and_then(Value::as_object).is_some_and(|rc| {
                    rc.values().any(|c| c.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')).is_some_and(|f| percent_decode(f) == old))
                });
                if referenced {
                    used.extend(ops.keys().map(|k| (k.clone(), reference(&child("/components/operations", k)))));
                }
                component_ops.extend(ops);
                converted_channels.extend(converted);
            }
            out.insert("channels".into(), Value::Object(converted_channels));
            out.insert("operations".into(), Value::Object(component_ops));
        }
        if let Some(Value::Object(schemes)) = components.get("securitySchemes") {
            let converted = schemes
                .iter()
                .map(|(name, s)| {
                    let value = match s {
                        Value::Object(o) if !is_ref(s) => Value::Object(security_scheme(o)),
                        other => other.clone(),
                    };
                    (name.clone(), value)
                })
                .collect();
            out.insert("securitySchemes".into(), Value::Object(converted));
        }
        if let Some(Value::Object(messages)) = components.get("messages") {
            let mut converted = Map::new();
            for (name, m) in messages {
                let at = child("/components/messages", name);
                let message = message_3_0(m);
                self.message_moves(&at, &at, m, &message);
                converted.insert(name.clone(), message);
            }
            out.insert("messages".into(), Value::Object(converted));
        }
        if let Some(Value::Object(parameters)) = components.get("parameters") {
            out.insert("parameters".into(), Value::Object(self.parameters("/components/parameters", parameters)));
        }
        (out, used)
    }
}

/// Where an operation is: its channel before and after, and which 2.x verb it was.
#[derive(Clone, Copy)]
struct OperationPlace<'a> {
    prefix: &'a str,
    channel_id: &'a str,
    old_channel: &'a str,
    new_channel: &'a str,
    kind: &'a str,
}

/// A 2.x message as 3.0: without `messageId`, its payload wrapped with its `schemaFormat`.
fn message_3_0(message: &Value) -> Value {
    let Value::Object(m) = message else { return message.clone() };
    if is_ref(message) {
        return message.clone();
    }
    let mut out = m.clone();
    out.remove("messageId");
    if let Some(format) = out.remove("schemaFormat") {
        if let Some(payload) = out.remove("payload") {
            let mut wrapped = Map::new();
            wrapped.insert("schemaFormat".into(), format);
            wrapped.insert("schema".into(), payload);
            out.insert("payload".into(), Value::Object(wrapped));
        }
    }
    Value::Object(out)
}

/// A security scheme with each OAuth flow's `scopes` renamed `availableScopes`.
fn security_scheme(scheme: &Map<String, Value>) -> Map<String, Value> {
    let mut out = scheme.clone();
    if let Some(Value::Object(flows)) = out.get_mut("flows") {
        for flow in flows.values_mut() {
            if let Value::Object(f) = flow {
                if let Some(scopes) = f.remove("scopes") {
                    f.insert("availableScopes".into(), scopes);
                }
            }
        }
    }
    out
}

/// Rewrites local `$ref`s that point at or into moved nodes.
fn rewrite_refs(value: &mut Value, moves: &Moves) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match v {
                    Value::String(r) if k == "$ref" => {
                        if let Some(fragment) = r.strip_prefix('#') {
                            let pointer = percent_decode(fragment);
                            if let Cow::Owned(moved) = moves.target(&pointer) {
                                *r = format!("#{}", percent_encode_fragment(&moved));
                            }
                        }
                    }
                    _ => rewrite_refs(v, moves),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, moves)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn doc(channels: Value) -> Value {
        json!({"asyncapi": "2.6.0", "info": {"title": "T", "version": "1"}, "channels": channels})
    }

    #[test]
    fn versions_2_0_to_2_6_are_converted_and_others_are_not() {
        for v in ["2.0.0", "2.3.0", "2.6.0"] {
            assert!(is_v2(&json!({"asyncapi": v})), "{v}");
        }
        for v in ["1.2.0", "2.7.0", "3.0.0", "two"] {
            assert!(!is_v2(&json!({"asyncapi": v})), "{v}");
        }
        assert!(!is_v2(&json!({"asyncapi": 2})));
    }

    #[test]
    fn publish_is_received_and_subscribe_is_sent_on_the_same_channel() {
        let c = convert(&doc(json!({"orders/{id}": {
            "publish": {"operationId": "onOrder", "message": {"messageId": "order", "payload": {"type": "object"}}},
            "subscribe": {"message": {"payload": {"type": "string"}}},
        }})));
        let v = &c.value;
        assert_eq!(v["asyncapi"], "3.0.0");
        let channel = &v["channels"]["orders/{id}"];
        assert_eq!(channel["address"], "orders/{id}");
        assert!(channel.get("publish").is_none() && channel.get("subscribe").is_none());
        assert_eq!(v["operations"]["onOrder"]["action"], "receive");
        // References are URI fragments: `{` and `}` escaped.
        assert_eq!(v["operations"]["onOrder"]["channel"]["$ref"], "#/channels/orders~1%7Bid%7D");
        assert_eq!(v["operations"]["onOrder"]["messages"][0]["$ref"], "#/channels/orders~1%7Bid%7D/messages/order");
        // No operationId: `<channel key>.subscribe`, its message `subscribe.message`.
        let sent = &v["operations"]["orders/{id}.subscribe"];
        assert_eq!(sent["action"], "send");
        assert_eq!(sent["messages"][0]["$ref"], "#/channels/orders~1%7Bid%7D/messages/subscribe.message");
        assert_eq!(channel["messages"]["order"], json!({"payload": {"type": "object"}}));
        assert_eq!(channel["messages"]["subscribe.message"]["payload"]["type"], "string");
        // Diagnostics on the converted nodes point at the 2.x ones.
        assert_eq!(c.moves.source("/operations/onOrder/summary"), "/channels/orders~1{id}/publish/summary");
        assert_eq!(c.moves.source("/channels/orders~1{id}/messages/order/payload"), "/channels/orders~1{id}/publish/message/payload");
        assert_eq!(c.moves.source("/channels/orders~1{id}/address"), "/channels/orders~1{id}/address");
    }

    #[test]
    fn one_of_messages_and_message_refs_take_their_message_ids() {
        let mut d = doc(json!({"chat": {"subscribe": {"operationId": "send.chat", "message": {"oneOf": [
            {"$ref": "#/components/messages/Joined"},
            {"$ref": "#/components/messages/Left"},
        ]}}}}));
        d["components"] = json!({"messages": {
            "Joined": {"messageId": "joined", "payload": {"type": "object"}},
            "Left": {"payload": {"type": "object"}},
        }});
        let c = convert(&d);
        let messages = &c.value["channels"]["chat"]["messages"];
        assert_eq!(messages["joined"]["$ref"], "#/components/messages/Joined");
        // No messageId: the last part of the operation key, `.message.<index>`.
        assert_eq!(messages["chat.message.1"]["$ref"], "#/components/messages/Left");
        assert!(c.value["components"]["messages"]["Joined"].get("messageId").is_none());
        assert_eq!(c.moves.source("/channels/chat/messages/chat.message.1"), "/channels/chat/subscribe/message/oneOf/1");
    }

    #[test]
    fn a_message_ref_to_a_one_of_lists_each_member() {
        let mut d = doc(json!({"chat": {"publish": {"operationId": "in", "message": {"$ref": "#/components/messages/Any"}}}}));
        d["components"] = json!({"messages": {
            "Any": {"oneOf": [{"$ref": "#/components/messages/A"}, {"$ref": "#/components/messages/B"}]},
            "A": {"messageId": "a", "payload": {}},
            "B": {"messageId": "b", "payload": {}},
        }});
        let c = convert(&d);
        let refs: Vec<&str> = c.value["operations"]["in"]["messages"].as_array().unwrap().iter().map(|m| m["$ref"].as_str().unwrap()).collect();
        assert_eq!(refs, ["#/channels/chat/messages/a", "#/channels/chat/messages/b"]);
    }

    #[test]
    fn servers_split_their_url_and_reference_their_security_schemes() {
        let mut d = doc(json!({}));
        d["servers"] = json!({
            "prod": {"url": "wss://api.example.com:443/v1/stream", "protocol": "wss", "security": [{"key": []}, {"oauth": ["read"]}]},
            "local": {"url": "localhost:{port}", "protocol": "mqtt"},
        });
        d["components"] = json!({"securitySchemes": {
            "key": {"type": "httpApiKey", "in": "query", "name": "token"},
            "oauth": {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "https://t", "scopes": {"read": "Read"}}}},
        }});
        let c = convert(&d);
        let prod = &c.value["servers"]["prod"];
        assert_eq!(prod["host"], "api.example.com:443");
        assert_eq!(prod["pathname"], "/v1/stream");
        assert!(prod.get("url").is_none());
        assert_eq!(prod["security"][0], json!({"$ref": "#/components/securitySchemes/key"}));
        assert_eq!(prod["security"][1]["scopes"], json!(["read"]));
        assert_eq!(prod["security"][1]["flows"]["clientCredentials"]["availableScopes"], json!({"read": "Read"}));
        assert_eq!(c.value["servers"]["local"]["host"], "localhost:{port}");
        assert!(c.value["servers"]["local"].get("pathname").is_none());
        let scheme = &c.value["components"]["securitySchemes"]["oauth"]["flows"]["clientCredentials"];
        assert!(scheme.get("scopes").is_none() && scheme.get("availableScopes").is_some());
        assert_eq!(c.moves.source("/servers/prod/host"), "/servers/prod/url");
    }

    #[test]
    fn channel_ids_servers_parameters_and_schema_formats() {
        let mut d = doc(json!({"devices/{id}/telemetry": {
            "x-channelId": "telemetry",
            "servers": ["prod"],
            "parameters": {"id": {"description": "Device", "schema": {"type": "string", "enum": ["a", "b"], "pattern": "^[a-z]$"}}},
            "subscribe": {"operationId": "sendTelemetry", "message": {
                "schemaFormat": "application/vnd.aai.asyncapi+json;version=2.6.0", "payload": {"type": "object"},
            }},
        }}));
        d["tags"] = json!([{"name": "iot"}]);
        let c = convert(&d);
        let channel = &c.value["channels"]["telemetry"];
        assert_eq!(channel["address"], "devices/{id}/telemetry");
        assert_eq!(channel["servers"], json!([{"$ref": "#/servers/prod"}]));
        assert_eq!(channel["parameters"]["id"], json!({"enum": ["a", "b"], "description": "Device"}));
        let payload = &channel["messages"]["sendTelemetry.message"]["payload"];
        assert_eq!(payload["schemaFormat"], "application/vnd.aai.asyncapi+json;version=2.6.0");
        assert_eq!(payload["schema"], json!({"type": "object"}));
        assert_eq!(c.value["info"]["tags"], json!([{"name": "iot"}]));
        assert!(c.value.get("tags").is_none());
        // `pattern` has no 3.0 parameter equivalent: noted at the 2.x schema.
        assert_eq!(c.notes.len(), 1, "{:?}", c.notes);
        assert_eq!(c.notes[0].pointer, "/channels/devices~1{id}~1telemetry/parameters/id/schema");
        assert!(c.notes[0].message.contains("`pattern`"));
        assert_eq!(
            c.moves.source("/channels/telemetry/messages/sendTelemetry.message/payload/schema/type"),
            "/channels/devices~1{id}~1telemetry/subscribe/message/payload/type"
        );
    }

    #[test]
    fn local_refs_to_moved_nodes_are_rewritten() {
        let mut d = doc(json!({
            "a": {"x-channelId": "first", "publish": {"operationId": "p", "message": {"messageId": "m", "payload": {"type": "string"}}}},
            "b": {"subscribe": {"operationId": "s", "message": {"$ref": "#/channels/a/publish/message"}}},
        }));
        d["externalDocs"] = json!({"url": "https://docs"});
        let c = convert(&d);
        assert_eq!(c.value["channels"]["b"]["messages"]["m"]["$ref"], "#/channels/first/messages/m");
        assert_eq!(c.value["info"]["externalDocs"]["url"], "https://docs");
    }

    #[test]
    fn component_channels_used_at_the_root_list_their_operations() {
        let mut d = doc(json!({"used": {"$ref": "#/components/channels/used"}}));
        d["components"] = json!({"channels": {
            "used": {"publish": {"operationId": "take", "message": {"payload": {}}}},
            "unused": {"subscribe": {"operationId": "give", "message": {"payload": {}}}},
        }});
        let c = convert(&d);
        assert_eq!(c.value["operations"], json!({"take": {"$ref": "#/components/operations/take"}}));
        assert_eq!(c.value["components"]["operations"]["give"]["action"], "send");
        assert_eq!(c.value["components"]["channels"]["used"]["address"], "used");
    }

    #[test]
    fn nodes_of_the_wrong_type_are_left_for_the_reader() {
        for d in [json!("text"), json!({"asyncapi": "2.6.0", "channels": "x", "servers": [1], "components": {"messages": 3}})] {
            let c = convert(&d);
            assert!(c.notes.is_empty());
            if let Some(channels) = c.value.get("channels") {
                assert_eq!(channels, "x");
            }
        }
    }

    #[test]
    fn wrong_2x_nodes_the_conversion_would_drop_are_errors() {
        let c = convert(&doc(json!({
            "a": {"publish": "text", "subscribe": {"operationId": 7, "message": {"payload": {}}}},
            "b": {"parameters": {"p": {"schema": {"$ref": "#/nowhere"}}}},
        })));
        let errors: Vec<(&str, Option<Code>)> = c.notes.iter().map(|n| (n.pointer.as_str(), n.error)).collect();
        assert_eq!(
            errors,
            [
                ("/channels/a/publish", Some(Code::WrongType)),
                ("/channels/a/subscribe/operationId", Some(Code::WrongType)),
                ("/channels/b/parameters/p/schema", Some(Code::UnresolvedRef)),
            ]
        );
    }
}
