//! Reads AsyncAPI 3.x documents from a source set into the typed model.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::node::Reader;
use super::*;
use crate::diag::{Code, Errors, Result};
use crate::load::{traits::apply_traits, SourceSet};

/// Reads every root document; all structural problems are reported together.
pub fn read_documents(set: &mut SourceSet, roots: &[FileId]) -> Result<Vec<Document>> {
    let synthetic = apply_all_traits(set, roots);
    let mut reader = Reader::new(set);
    let mut docs = Vec::new();
    for root in roots {
        if let Some(doc) = read_document(&mut reader, &synthetic, *root) {
            docs.push(doc);
        }
    }
    if reader.errors.is_empty() {
        super::avro::translate(set, &mut docs)?;
        Ok(docs)
    } else {
        Err(Errors(reader.errors))
    }
}

/// Materialises messages and operations that use traits as synthetic nodes.
fn apply_all_traits(set: &mut SourceSet, roots: &[FileId]) -> HashMap<Loc, Loc> {
    let mut candidates = Vec::new();
    for root in roots {
        let doc = &set.file(*root).value;
        let base = Loc::new(*root, "");
        for (section, nested) in [("channels", Some("messages")), ("operations", None), ("components", Some("messages"))] {
            let Some(Value::Object(m)) = doc.get(section) else { continue };
            for (k, v) in m {
                let at = base.child(section).child(k);
                match nested {
                    None => candidates.push(at),
                    Some(inner) => {
                        if let Some(Value::Object(msgs)) = v.get(inner) {
                            candidates.extend(msgs.keys().map(|mk| at.child(inner).child(mk)));
                        }
                    }
                }
            }
        }
    }
    let mut out = HashMap::new();
    for loc in candidates {
        let Ok(target) = set.deref(&loc) else { continue };
        if out.contains_key(&target) {
            continue;
        }
        let Some(node) = set.get(&target) else { continue };
        let Some(Value::Array(traits)) = node.get("traits") else { continue };
        let mut resolved = Vec::new();
        for i in 0..traits.len() {
            let tl = target.child("traits").index(i);
            if let Ok(t) = set.deref(&tl) {
                if let Some(v) = set.get(&t) {
                    resolved.push(v.clone());
                }
            }
        }
        let merged = apply_traits(node, &resolved);
        let id = set.add_synthetic(merged, target.clone());
        out.insert(target, Loc::new(id, ""));
    }
    out
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn scalar_string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn read_document(r: &mut Reader<'_>, synthetic: &HashMap<Loc, Loc>, file: FileId) -> Option<Document> {
    let root = Loc::new(file, "");
    let Some(map) = r.set.get(&root).and_then(Value::as_object) else {
        let found = r.set.get(&root).cloned().unwrap_or(Value::Null);
        r.error(Code::WrongType, &root, format!("expected an AsyncAPI document (a mapping), found {found}"));
        return None;
    };
    let asyncapi = match map.get("asyncapi") {
        None => {
            r.error(Code::MissingField, &root, "not an AsyncAPI document: `asyncapi` version field is missing");
            return None;
        }
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            let s = other.to_string();
            r.error(Code::WrongType, &root.child("asyncapi"), format!("expected a version string such as \"3.0.0\", found {s}"));
            return None;
        }
    };
    if !(asyncapi.starts_with("3.0.") || asyncapi.starts_with("3.1.")) {
        r.error(
            Code::UnsupportedVersion,
            &root.child("asyncapi"),
            format!("AsyncAPI {asyncapi} is not supported; expected 2.0–2.6, 3.0.x or 3.1.x"),
        );
        return None;
    }
    let info = read_info(r, &root, map);
    let default_content_type = r.string(&root, map, "defaultContentType");
    let module = r.string(&root, map, "x-rust-module");
    let role = match r.string(&root, map, "x-rust-role").as_deref() {
        None => None,
        Some("server") => Some(Role::Server),
        Some("client") => Some(Role::Client),
        Some(other) => {
            let msg = format!("`x-rust-role` must be `server` or `client`, found `{other}`");
            r.error(Code::InvalidValue, &root.child("x-rust-role"), msg);
            None
        }
    };
    let components = map.get("components").and_then(Value::as_object);
    let comp_loc = root.child("components");
    let security_schemes = match components {
        Some(c) => read_security_schemes(r, &comp_loc, c),
        None => Vec::new(),
    };
    let component_schemas = match components {
        Some(c) => r.entries(&comp_loc, c, "schemas"),
        None => Vec::new(),
    };
    let servers = r
        .entries(&root, map, "servers")
        .into_iter()
        .filter_map(|(key, loc)| read_server(r, key, &loc))
        .collect();
    let channels: Vec<Channel> = r
        .entries(&root, map, "channels")
        .into_iter()
        .filter_map(|(key, loc)| read_channel(r, synthetic, key, &loc))
        .collect();
    let mut operations = Vec::new();
    for (key, loc) in r.entries(&root, map, "operations") {
        if let Some(op) = read_operation(r, synthetic, &channels, file, key, &loc) {
            operations.push(op);
        }
    }
    // Checked for its type; the model does not keep it.
    r.string(&root, map, "id");
    Some(Document {
        file,
        module,
        role,
        info,
        default_content_type,
        servers,
        channels,
        operations,
        security_schemes,
        component_schemas,
    })
}

fn read_info(r: &mut Reader<'_>, root: &Loc, map: &Map<String, Value>) -> Info {
    if !map.contains_key("info") {
        r.error(Code::MissingField, root, "document needs `info`");
        return Info::default();
    }
    let Some((loc, info)) = r.object(&root.child("info")) else { return Info::default() };
    Info {
        title: r.required_string(&loc, info, "title", "info").unwrap_or_default(),
        version: r.required_string(&loc, info, "version", "info").unwrap_or_default(),
        description: r.string(&loc, info, "description"),
    }
}

fn read_security_schemes(r: &mut Reader<'_>, comp: &Loc, c: &Map<String, Value>) -> Vec<SecurityScheme> {
    let mut out = Vec::new();
    for (key, loc) in r.entries(comp, c, "securitySchemes") {
        let Some((sl, s)) = r.object(&loc) else { continue };
        out.push(SecurityScheme {
            key,
            kind: r.required_string(&sl, s, "type", "a security scheme").unwrap_or_default(),
            name: r.string(&sl, s, "name"),
            location: r.string(&sl, s, "in"),
            scheme: r.string(&sl, s, "scheme"),
            description: r.string(&sl, s, "description"),
        });
    }
    out
}

/// Keys of the security schemes a `security` list names.
fn security_keys(r: &mut Reader<'_>, loc: &Loc, map: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    for item in r.items(loc, map, "security") {
        if let Some(reference) = r.set.ref_at(&item) {
            match r.set.resolve_ref(&item, reference) {
                Ok(t) => out.push(crate::diag::unescape_segment(t.pointer.rsplit('/').next().unwrap_or_default())),
                Err(d) => r.errors.push(d),
            }
        } else if let Some(Value::Object(o)) = r.set.get(&item) {
            // An inline scheme: named after its type.
            out.push(o.get("type").and_then(Value::as_str).unwrap_or("inline").to_string());
        }
    }
    out
}

fn read_server(r: &mut Reader<'_>, key: String, loc: &Loc) -> Option<Server> {
    let (sl, s) = r.object(loc)?;
    let host = r.required_string(&sl, s, "host", "a server")?;
    let protocol = r.required_string(&sl, s, "protocol", "a server")?;
    let mut variables = Vec::new();
    for (name, vloc) in r.entries(&sl, s, "variables") {
        let Some((vl, v)) = r.object(&vloc) else { continue };
        variables.push(ServerVariable {
            name,
            default: r.string(&vl, v, "default"),
            enum_values: strings(v.get("enum")),
            description: r.string(&vl, v, "description"),
            examples: strings(v.get("examples")),
        });
    }
    Some(Server {
        key,
        protocol_version: r.string(&sl, s, "protocolVersion"),
        pathname: r.string(&sl, s, "pathname"),
        title: r.string(&sl, s, "title"),
        description: r.string(&sl, s, "description"),
        security: security_keys(r, &sl, s),
        bindings: bindings::read(r, &sl, s, bindings::Owner::Server),
        host,
        protocol,
        variables,
    })
}

fn read_channel(r: &mut Reader<'_>, synthetic: &HashMap<Loc, Loc>, key: String, loc: &Loc) -> Option<Channel> {
    let (cl, c) = r.object(loc)?;
    let address = match c.get("address") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            let msg = format!("expected a string (or null), found {other}");
            r.error(Code::WrongType, &cl.child("address"), msg);
            None
        }
    };
    let mut messages = Vec::new();
    for (mkey, mloc) in r.entries(&cl, c, "messages") {
        if let Some(m) = read_message(r, synthetic, mkey, &mloc) {
            messages.push(m);
        }
    }
    let mut parameters = Vec::new();
    for (name, ploc) in r.entries(&cl, c, "parameters") {
        let Some((pl, p)) = r.object(&ploc) else { continue };
        parameters.push(Parameter {
            name,
            description: r.string(&pl, p, "description"),
            enum_values: strings(p.get("enum")),
            default: scalar_string(p.get("default")),
            location: r.string(&pl, p, "location"),
        });
    }
    let mut servers = Vec::new();
    for item in r.items(&cl, c, "servers") {
        if let Some(reference) = r.set.ref_at(&item) {
            match r.set.resolve_ref(&item, reference) {
                Ok(t) => servers.push(crate::diag::unescape_segment(t.pointer.rsplit('/').next().unwrap_or_default())),
                Err(d) => r.errors.push(d),
            }
        }
    }
    Some(Channel {
        key,
        title: r.string(&cl, c, "title"),
        summary: r.string(&cl, c, "summary"),
        description: r.string(&cl, c, "description"),
        bindings: bindings::read(r, &cl, c, bindings::Owner::Channel),
        loc: cl,
        address,
        messages,
        parameters,
        servers,
    })
}

/// Splits a Multi Format Schema into its format and schema location.
fn payload_schema(r: &mut Reader<'_>, ml: &Loc, m: &Map<String, Value>, key: &str) -> (Option<Loc>, Option<String>) {
    let Some(v) = m.get(key) else { return (None, None) };
    let at = ml.child(key);
    if let Value::Object(o) = v {
        if o.contains_key("schemaFormat") && o.contains_key("schema") {
            let format = r.string(&at, o, "schemaFormat");
            return (Some(at.child("schema")), format);
        }
    }
    (Some(at), None)
}

fn read_message(r: &mut Reader<'_>, synthetic: &HashMap<Loc, Loc>, key: String, loc: &Loc) -> Option<Message> {
    let (raw_loc, _) = r.object(loc)?;
    let component = raw_loc.pointer.strip_prefix("/components/messages/").map(crate::diag::unescape_segment);
    let ml = synthetic.get(&raw_loc).cloned().unwrap_or(raw_loc);
    let m = r.set.get(&ml)?.as_object()?;
    let (payload, schema_format) = payload_schema(r, &ml, m, "payload");
    let (headers, _) = payload_schema(r, &ml, m, "headers");
    // A correlation id is checked (it needs a `location`); the model does not keep it.
    if m.contains_key("correlationId") {
        if let Some((cl, c)) = r.object(&ml.child("correlationId")) {
            r.required_string(&cl, c, "location", "a correlation id");
            r.string(&cl, c, "description");
        }
    }
    let mut examples = read_examples(r, &ml, m, "examples");
    let mut mock = read_mock(r, &ml, m);
    for (name, script, at) in std::mem::take(&mut mock.examples) {
        match examples.iter_mut().find(|e| e.name.as_deref() == Some(name.as_str())) {
            Some(example) => example.mock = Some((script, at)),
            None => r.error(Code::InvalidValue, &at, format!("`x-mock.examples` names `{name}`, which is not the name of one of this message's examples")),
        }
    }
    let invalid_examples = read_examples(r, &ml, m, "x-invalid-examples");
    Some(Message {
        key,
        component,
        name: r.string(&ml, m, "name"),
        title: r.string(&ml, m, "title"),
        summary: r.string(&ml, m, "summary"),
        description: r.string(&ml, m, "description"),
        content_type: r.string(&ml, m, "contentType"),
        schema_format: schema_format.or_else(|| m.get("schemaFormat").and_then(Value::as_str).map(str::to_string)),
        error_reply: r.boolean(&ml, m, "x-rust-error-reply"),
        mock,
        bindings: bindings::read(r, &ml, m, bindings::Owner::Message),
        loc: ml,
        payload,
        avro: None,
        headers,
        examples,
        invalid_examples,
    })
}

fn read_mock(r: &mut Reader<'_>, ml: &Loc, m: &Map<String, Value>) -> super::MockScript {
    if !m.contains_key("x-mock") {
        return super::MockScript::default();
    }
    let Some((at, x)) = r.object(&ml.child("x-mock")) else { return super::MockScript::default() };
    let mut script = mock_fields(r, &at, x);
    for (name, el) in r.entries(&at, x, "examples") {
        if let Some((el, e)) = r.object(&el) {
            script.examples.push((name, mock_fields(r, &el, e), el));
        }
    }
    script
}

/// `push`, `interval`, `repeat` and `after` of an `x-mock` object.
fn mock_fields(r: &mut Reader<'_>, at: &Loc, x: &Map<String, Value>) -> super::MockScript {
    super::MockScript {
        push: r.boolean(at, x, "push"),
        interval_ms: r.positive_int(at, x, "interval"),
        repeat: r.positive_int(at, x, "repeat"),
        after: r.string(at, x, "after"),
        examples: Vec::new(),
    }
}

fn read_examples(r: &mut Reader<'_>, ml: &Loc, m: &Map<String, Value>, key: &str) -> Vec<Example> {
    let mut examples = Vec::new();
    for el in r.items(ml, m, key) {
        let Some((el, e)) = r.object(&el) else { continue };
        examples.push(Example {
            loc: el.clone(),
            payload_mismatch: None,
            headers_mismatch: None,
            name: e.get("name").and_then(Value::as_str).map(str::to_string),
            summary: e.get("summary").and_then(Value::as_str).map(str::to_string),
            payload: e.get("payload").cloned(),
            headers: e.get("headers").cloned(),
            mock: None,
        });
    }
    examples
}

/// Finds the channel a `channel: {$ref}` names.
fn channel_index(r: &mut Reader<'_>, channels: &[Channel], file: FileId, at: &Loc) -> Option<usize> {
    let Some(reference) = r.set.ref_at(at).map(str::to_string) else {
        r.error(Code::WrongType, at, "expected a `$ref` to a channel of this document");
        return None;
    };
    let target = crate::load::refs_parse(&reference);
    if target.file.is_none() {
        if let Some(name) = target.pointer.strip_prefix("/channels/") {
            let name = crate::diag::unescape_segment(name);
            if let Some(i) = channels.iter().position(|c| c.key == name) {
                return Some(i);
            }
            let d = r.set.ref_diag(Code::UnknownChannel, at, format!("`$ref: {reference}` names channel `{name}`, which this document does not define"));
            r.errors.push(d);
            return None;
        }
    }
    match r.set.resolve_ref(at, &reference) {
        Ok(t) => {
            let hit = channels.iter().position(|c| c.loc == t);
            if hit.is_none() || t.file != file {
                let d = r.set.ref_diag(Code::UnknownChannel, at, format!("`$ref: {reference}` must point to a channel under `#/channels` of this document"));
                r.errors.push(d);
            }
            hit
        }
        Err(mut d) => {
            d.line = r.set.line(&at.child("$ref")).or(d.line);
            r.errors.push(d);
            None
        }
    }
}

/// Keys of the channel messages a `messages: [{$ref}]` list names.
fn message_keys(r: &mut Reader<'_>, channel: &Channel, loc: &Loc, map: &Map<String, Value>) -> Vec<String> {
    let mut keys = Vec::new();
    for item in r.items(loc, map, "messages") {
        let Some(reference) = r.set.ref_at(&item).map(str::to_string) else {
            r.error(Code::WrongType, &item, "expected a `$ref` to a message of the operation's channel");
            continue;
        };
        let target = match r.set.resolve_ref(&item, &reference) {
            Ok(t) => t,
            Err(mut d) => {
                d.line = r.set.line(&item.child("$ref")).or(d.line);
                r.errors.push(d);
                continue;
            }
        };
        let direct = channel.messages.iter().find(|m| channel.loc.child("messages").child(&m.key) == target);
        let found = direct.or_else(|| {
            let resolved = r.set.deref(&target).ok();
            channel.messages.iter().find(|m| {
                let own = r.set.deref(&channel.loc.child("messages").child(&m.key)).ok();
                own.is_some() && own == resolved
            })
        });
        match found {
            Some(m) => keys.push(m.key.clone()),
            None => {
                let d = r.set.ref_diag(
                    Code::MessageNotInChannel,
                    &item,
                    format!("`$ref: {reference}` is not a message of channel `{}`", channel.key),
                );
                r.errors.push(d);
            }
        }
    }
    keys
}

fn read_operation(
    r: &mut Reader<'_>,
    synthetic: &HashMap<Loc, Loc>,
    channels: &[Channel],
    file: FileId,
    key: String,
    loc: &Loc,
) -> Option<Operation> {
    let (raw, _) = r.object(loc)?;
    let ol = synthetic.get(&raw).cloned().unwrap_or(raw);
    let o = r.set.get(&ol)?.as_object()?;
    let action = match o.get("action") {
        Some(Value::String(s)) if s == "send" => Action::Send,
        Some(Value::String(s)) if s == "receive" => Action::Receive,
        Some(Value::String(s)) => {
            let msg = format!("`action` must be `send` or `receive`, found `{s}`");
            r.error(Code::InvalidValue, &ol.child("action"), msg);
            return None;
        }
        Some(other) => {
            let msg = format!("expected a string (`send` or `receive`), found {other}");
            r.error(Code::WrongType, &ol.child("action"), msg);
            return None;
        }
        None => {
            r.error(Code::MissingField, &ol, "an operation needs `action`");
            return None;
        }
    };
    if !o.contains_key("channel") {
        r.error(Code::MissingField, &ol, "an operation needs `channel`");
        return None;
    }
    let channel = channel_index(r, channels, file, &ol.child("channel"))?;
    let messages = o.contains_key("messages").then(|| message_keys(r, &channels[channel], &ol, o));
    let reply = match o.get("reply") {
        None => None,
        Some(_) => {
            let (rl, rm) = r.object(&ol.child("reply"))?;
            let reply_channel = if rm.contains_key("channel") {
                channel_index(r, channels, file, &rl.child("channel"))
            } else {
                None
            };
            let messages = match reply_channel {
                Some(c) => message_keys(r, &channels[c], &rl, rm),
                None => Vec::new(),
            };
            // A dynamic reply address is checked; replies are told apart by their messages.
            if rm.contains_key("address") {
                if let Some((al, a)) = r.object(&rl.child("address")) {
                    r.string(&al, a, "location");
                }
            }
            Some(Reply { channel: reply_channel, messages })
        }
    };
    // Checked: security keys must name schemes, bindings must resolve.
    security_keys(r, &ol, o);
    bindings::read(r, &ol, o, bindings::Owner::Operation);
    Some(Operation {
        key,
        action,
        channel,
        messages,
        title: r.string(&ol, o, "title"),
        summary: r.string(&ol, o, "summary"),
        description: r.string(&ol, o, "description"),
        reply,
    })
}
