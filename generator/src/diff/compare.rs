//! Walks two documents side by side and lists what changed, with its impact.

use std::collections::BTreeSet;

use serde_json::Value;

use super::change::{Change, Direction, Impact};
use super::shape::{Additional, Enumeration, Limits, Node, NodeKind, Shaper};
use crate::ir::IrDocument;
use crate::load::SourceSet;
use crate::spec::{Action, Channel, Message};

pub struct Side<'a> {
    pub set: &'a SourceSet,
    pub doc: &'a IrDocument,
    /// The document `doc` was built from.
    pub spec: &'a crate::spec::Document,
}

/// Collects changes for one pair of documents.
pub struct Comparer<'a> {
    old: Side<'a>,
    new: Side<'a>,
    old_shapes: Shaper<'a>,
    new_shapes: Shaper<'a>,
    pub changes: Vec<Change>,
    document: String,
    channel: Option<String>,
}

fn push_path(path: &str, seg: &str) -> String {
    format!("{path}/{seg}")
}

const LOWER: &[&str] = &["minimum", "exclusiveMinimum", "minLength", "minItems"];
const UPPER: &[&str] = &["maximum", "exclusiveMaximum", "maxLength", "maxItems"];

impl<'a> Comparer<'a> {
    pub fn new(old: Side<'a>, new: Side<'a>) -> Self {
        Comparer {
            old_shapes: Shaper::new(old.set),
            new_shapes: Shaper::new(new.set),
            document: new.doc.module.clone(),
            old,
            new,
            changes: Vec::new(),
            channel: None,
        }
    }

    fn add(&mut self, path: String, kind: &'static str, impact: Impact, dir: Direction, reason: String, identity: String) {
        self.changes.push(Change {
            document: self.document.clone(),
            classification: impact.classify(dir),
            path,
            kind,
            reason,
            also: Vec::new(),
            accepted: false,
            accepted_reason: None,
            impact,
            identity,
            channel: self.channel.clone(),
        });
    }

    /// A change that is not about a message payload: its impact does not depend on direction.
    fn fixed(&mut self, path: String, kind: &'static str, breaking: bool, reason: String) {
        let impact = if breaking { Impact::Both } else { Impact::Neither };
        let identity = format!("path:{path}");
        self.add(path, kind, impact, Direction { sent: true, received: true }, reason, identity);
    }

    fn docs(&mut self, path: String, kind: &'static str, reason: String, identity: String) {
        self.add(path, kind, Impact::Docs, Direction { sent: true, received: true }, reason, identity);
    }

    pub fn run(&mut self) {
        let (old, new) = (self.old.spec, self.new.spec);
        if old.info.description != new.info.description {
            self.docs("/info".into(), "description-changed", "document description changed".into(), "path:/info".into());
        }
        for s in &old.servers {
            match new.servers.iter().find(|n| n.key == s.key) {
                None => self.fixed(format!("/servers/{}", s.key), "server-removed", true, format!("server `{}` was removed", s.key)),
                Some(n) => {
                    if n.protocol != s.protocol {
                        self.fixed(format!("/servers/{}/protocol", s.key), "protocol-changed", true, format!("protocol `{}` → `{}`", s.protocol, n.protocol));
                    }
                    if n.host != s.host {
                        self.fixed(format!("/servers/{}/host", s.key), "host-changed", false, format!("host `{}` → `{}`", s.host, n.host));
                    }
                }
            }
        }
        for n in new.servers.iter().filter(|n| !old.servers.iter().any(|s| s.key == n.key)) {
            self.fixed(format!("/servers/{}", n.key), "server-added", false, format!("server `{}` was added", n.key));
        }
        let (old_ops, new_ops) = (old.operations.clone(), new.operations.clone());
        for (oi, oc) in old.channels.clone().iter().enumerate() {
            let path = format!("/channels/{}", oc.key);
            self.channel = Some(oc.key.clone());
            let Some(ni) = new.channels.iter().position(|c| c.key == oc.key) else {
                self.fixed(path, "channel-removed", true, format!("channel `{}` was removed", oc.key));
                continue;
            };
            let nc = new.channels[ni].clone();
            if oc.address != nc.address {
                self.fixed(format!("{path}/address"), "address-changed", true, format!("address {} → {}", oc.address.as_deref().unwrap_or("(none)"), nc.address.as_deref().unwrap_or("(none)")));
            }
            let topic = |c: &Channel| c.bindings.kafka_topic.as_ref().and_then(|k| k.topic.clone()).map(Value::String);
            if topic(oc) != topic(&nc) {
                self.fixed(format!("{path}/bindings/kafka/topic"), "kafka-topic-changed", true, format!("Kafka topic {} → {}", show(topic(oc)), show(topic(&nc))));
            }
            for om in &oc.messages {
                let mpath = format!("{path}/messages/{}", om.key);
                match nc.messages.iter().find(|m| m.key == om.key) {
                    None => self.fixed(mpath, "message-removed", true, format!("message `{}` no longer travels on `{}`", om.key, oc.key)),
                    Some(nm) => {
                        let dir = direction(&self.new.spec.operations, ni, &nm.key)
                            .merge(direction(&old_ops, oi, &om.key));
                        self.message(&mpath, om, nm, dir);
                    }
                }
            }
            for nm in nc.messages.iter().filter(|m| !oc.messages.iter().any(|o| o.key == m.key)) {
                self.fixed(format!("{path}/messages/{}", nm.key), "message-added", false, format!("message `{}` now travels on `{}`", nm.key, nc.key));
            }
        }
        self.channel = None;
        for nc in new.channels.iter().filter(|c| !old.channels.iter().any(|o| o.key == c.key)) {
            self.fixed(format!("/channels/{}", nc.key), "channel-added", false, format!("channel `{}` was added", nc.key));
        }
        for op in &old_ops {
            let path = format!("/operations/{}", op.key);
            match new_ops.iter().find(|o| o.key == op.key) {
                None => self.fixed(path, "operation-removed", true, format!("operation `{}` was removed", op.key)),
                Some(n) => {
                    if n.action != op.action {
                        self.fixed(format!("{path}/action"), "action-changed", true, format!("action {} → {}", action(op.action), action(n.action)));
                    }
                    let (oc, nc) = (&old.channels[op.channel].key, &new.channels[n.channel].key);
                    if oc != nc {
                        self.fixed(format!("{path}/channel"), "operation-channel-changed", true, format!("channel `{oc}` → `{nc}`"));
                    }
                }
            }
        }
        for n in new_ops.iter().filter(|n| !old_ops.iter().any(|o| o.key == n.key)) {
            self.fixed(format!("/operations/{}", n.key), "operation-added", false, format!("operation `{}` was added", n.key));
        }
    }

    fn message(&mut self, path: &str, old: &Message, new: &Message, dir: Direction) {
        if old.description != new.description || old.summary != new.summary {
            self.docs(path.into(), "description-changed", "message description changed".into(), format!("path:{path}#description"));
        }
        if old.title != new.title {
            self.docs(path.into(), "title-changed", "message title changed".into(), format!("path:{path}#title"));
        }
        let examples = |m: &Message| m.examples.iter().map(|e| (e.name.clone(), e.payload.clone(), e.headers.clone())).collect::<Vec<_>>();
        if examples(old) != examples(new) {
            self.docs(path.into(), "examples-changed", "message examples changed".into(), format!("path:{path}#examples"));
        }
        let key = |m: &Message| m.bindings.kafka_message.as_ref().and_then(|k| k.key.as_ref()).map(|k| strip_docs(&k.schema));
        if key(old) != key(new) {
            self.fixed(format!("{path}/bindings/kafka/key"), "kafka-key-changed", true, "the record key changed, so records of one entity may land on other partitions".into());
        }
        for (part, o, n) in [("payload", &old.payload, &new.payload), ("headers", &old.headers, &new.headers)] {
            let p = format!("{path}/{part}");
            match (o, n) {
                (Some(o), Some(n)) => {
                    let on = self.old_shapes.node(o);
                    let nn = self.new_shapes.node(n);
                    self.schema(&p, &on, &nn, dir);
                }
                (None, Some(_)) => self.add(p.clone(), "field-added", Impact::Writers, dir, format!("{part} added"), format!("path:{p}")),
                (Some(_), None) => self.add(p.clone(), "field-removed", Impact::Readers, dir, format!("{part} removed"), format!("path:{p}")),
                (None, None) => {}
            }
        }
    }

    fn schema(&mut self, path: &str, old: &Node, new: &Node, dir: Direction) {
        let id = |suffix: &str| format!("schema:{}|{}|{suffix}", old.origin, new.origin);
        if old.description != new.description {
            self.docs(path.into(), "description-changed", "description changed".into(), id("description"));
        }
        if old.title != new.title {
            self.docs(path.into(), "title-changed", "title changed".into(), id("title"));
        }
        if old.nullable != new.nullable {
            let (kind, impact, what) = if new.nullable { ("nullable-added", Impact::Readers, "may now be null") } else { ("nullable-removed", Impact::Writers, "may no longer be null") };
            self.add(path.into(), kind, impact, dir, what.into(), id(kind));
        }
        if old.kind.label() != new.kind.label() {
            let reason = format!("type {} → {}", old.kind.label(), new.kind.label());
            self.add(path.into(), "type-changed", Impact::Both, dir, reason, id("type"));
            return;
        }
        match (&old.kind, &new.kind) {
            (NodeKind::Const(a), NodeKind::Const(b)) if a != b => {
                self.add(path.into(), "const-changed", Impact::Both, dir, format!("const {a} → {b}"), id("const"));
            }
            (NodeKind::String { enumeration: oe, limits: ol, .. }, NodeKind::String { enumeration: ne, limits: nl, .. })
            | (NodeKind::Integer { enumeration: oe, limits: ol, .. }, NodeKind::Integer { enumeration: ne, limits: nl, .. }) => {
                self.enumeration(path, oe.as_ref(), ne.as_ref(), dir, &id("enum"));
                self.limits(path, ol, nl, dir, &id("limits"));
            }
            (NodeKind::Number { limits: ol, .. }, NodeKind::Number { limits: nl, .. }) => self.limits(path, ol, nl, dir, &id("limits")),
            (NodeKind::Array { items: oi, limits: ol }, NodeKind::Array { items: ni, limits: nl }) => {
                self.limits(path, ol, nl, dir, &id("limits"));
                self.schema(&push_path(path, "[]"), oi, ni, dir);
            }
            // Same length (the label says so): position by position.
            (NodeKind::Tuple(o), NodeKind::Tuple(n)) => {
                for (i, (on, nn)) in o.iter().zip(n).enumerate() {
                    self.schema(&push_path(path, &i.to_string()), on, nn, dir);
                }
            }
            (NodeKind::Object { props: op, additional: oa }, NodeKind::Object { props: np, additional: na }) => {
                for (name, (on, oreq)) in op {
                    let p = push_path(path, name);
                    match np.get(name) {
                        None => {
                            let impact = if *na == Additional::Closed { Impact::Both } else { Impact::Readers };
                            self.add(p, "field-removed", impact, dir, format!("field `{name}` was removed"), id(&format!("-{name}")));
                        }
                        Some((nn, nreq)) => {
                            if oreq != nreq {
                                let (kind, impact, what) = if *nreq { ("required-added", Impact::Writers, "is now required") } else { ("required-removed", Impact::Readers, "is no longer required") };
                                self.add(p.clone(), kind, impact, dir, format!("field `{name}` {what}"), id(&format!("{kind}{name}")));
                            }
                            self.schema(&p, on, nn, dir);
                        }
                    }
                }
                for (name, (_, req)) in np.iter().filter(|(k, _)| !op.contains_key(*k)) {
                    let impact = if *req { Impact::Writers } else { Impact::Neither };
                    let what = if *req { "required" } else { "optional" };
                    self.add(push_path(path, name), "field-added", impact, dir, format!("{what} field `{name}` was added"), id(&format!("+{name}")));
                }
                match (oa, na) {
                    (Additional::Closed, Additional::Open | Additional::Schema(_)) => {
                        self.add(path.into(), "additional-properties-opened", Impact::Readers, dir, "unknown properties are now allowed".into(), id("additional"));
                    }
                    (Additional::Open | Additional::Schema(_), Additional::Closed) => {
                        self.add(path.into(), "additional-properties-closed", Impact::Writers, dir, "unknown properties are now rejected".into(), id("additional"));
                    }
                    (Additional::Schema(a), Additional::Schema(b)) => self.schema(&push_path(path, "*"), a, b, dir),
                    _ => {}
                }
            }
            (NodeKind::Union(ov), NodeKind::Union(nv)) => {
                let old_sigs: BTreeSet<String> = ov.iter().map(Node::signature).collect();
                let new_sigs: BTreeSet<String> = nv.iter().map(Node::signature).collect();
                for (i, v) in nv.iter().enumerate().filter(|(_, v)| !old_sigs.contains(&v.signature())) {
                    self.add(path.into(), "variant-added", Impact::Readers, dir, format!("variant {} ({}) was added", i + 1, v.kind.label()), id(&format!("+v{}", v.signature())));
                }
                for (i, v) in ov.iter().enumerate().filter(|(_, v)| !new_sigs.contains(&v.signature())) {
                    self.add(path.into(), "variant-removed", Impact::Writers, dir, format!("variant {} ({}) was removed", i + 1, v.kind.label()), id(&format!("-v{}", v.signature())));
                }
            }
            _ => {}
        }
    }

    fn enumeration(&mut self, path: &str, old: Option<&Enumeration>, new: Option<&Enumeration>, dir: Direction, id: &str) {
        let empty = Enumeration { values: BTreeSet::new(), open: true };
        let (o, n) = (old.unwrap_or(&empty), new.unwrap_or(&empty));
        match (old.is_some(), new.is_some(), o.open, n.open) {
            (_, _, false, true) => self.add(path.into(), "enum-opened", Impact::Readers, dir, "the enumeration now allows any value".into(), format!("{id}open")),
            (_, _, true, false) if old.is_some() => self.add(path.into(), "enum-closed", Impact::Writers, dir, "the enumeration no longer allows other values".into(), format!("{id}close")),
            (false, true, _, false) => self.add(path.into(), "constraint-narrowed", Impact::Writers, dir, "values are now restricted to an enumeration".into(), format!("{id}close")),
            _ => {}
        }
        if old.is_none() || new.is_none() {
            return;
        }
        for v in n.values.difference(&o.values) {
            let impact = if n.open { Impact::Neither } else { Impact::Readers };
            self.add(path.into(), "enum-value-added", impact, dir, format!("value `{v}` was added"), format!("{id}+{v}"));
        }
        for v in o.values.difference(&n.values) {
            let impact = if o.open && n.open { Impact::Neither } else { Impact::Writers };
            self.add(path.into(), "enum-value-removed", impact, dir, format!("value `{v}` was removed"), format!("{id}-{v}"));
        }
    }

    fn limits(&mut self, path: &str, old: &Limits, new: &Limits, dir: Direction, id: &str) {
        let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        for k in keys {
            let (o, n) = (old.get(k), new.get(k));
            if o == n {
                continue;
            }
            let (a, b) = (o.and_then(Value::as_f64), n.and_then(Value::as_f64));
            let widened = if LOWER.contains(&k.as_str()) {
                match (a, b) {
                    (Some(a), Some(b)) => b < a,
                    (Some(_), None) => true,
                    _ => false,
                }
            } else if UPPER.contains(&k.as_str()) {
                match (a, b) {
                    (Some(a), Some(b)) => b > a,
                    (Some(_), None) => true,
                    _ => false,
                }
            } else {
                // pattern: removed widens; added or changed narrows.
                n.is_none()
            };
            let (kind, impact) = if widened { ("constraint-widened", Impact::Readers) } else { ("constraint-narrowed", Impact::Writers) };
            let reason = format!("`{k}` {} → {}", show(o.cloned()), show(n.cloned()));
            self.add(path.into(), kind, impact, dir, reason, format!("{id}{k}"));
        }
    }
}

fn show(v: Option<Value>) -> String {
    v.map_or_else(|| "(none)".to_string(), |v| v.to_string())
}

fn action(a: Action) -> &'static str {
    match a {
        Action::Send => "send",
        Action::Receive => "receive",
    }
}

/// A binding value without its prose, so description edits are not key changes.
fn strip_docs(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter().filter(|(k, _)| *k != "description" && *k != "title" && *k != "examples").map(|(k, v)| (k.clone(), strip_docs(v))).collect(),
        ),
        other => other.clone(),
    }
}

impl Direction {
    fn merge(self, other: Direction) -> Direction {
        Direction { sent: self.sent || other.sent, received: self.received || other.received }
    }
}

/// Whether operations send or receive a channel's message; neither counts as both.
fn direction(ops: &[crate::spec::Operation], channel: usize, message: &str) -> Direction {
    let mut d = Direction { sent: false, received: false };
    for op in ops.iter().filter(|o| o.channel == channel && o.carries(message)) {
        match op.action {
            Action::Send => d.sent = true,
            Action::Receive => d.received = true,
        }
    }
    if !d.sent && !d.received {
        d = Direction { sent: true, received: true };
    }
    d
}

/// Folds repeated changes of one shared schema into the first place they show up.
pub fn dedupe(changes: Vec<Change>) -> Vec<Change> {
    let mut out: Vec<Change> = Vec::new();
    for c in changes {
        let same = out.iter_mut().find(|o| o.kind == c.kind && o.identity == c.identity && o.document == c.document && c.identity.starts_with("schema:"));
        match same {
            Some(o) => {
                if c.classification < o.classification {
                    o.classification = c.classification;
                }
                o.also.push(c.path);
            }
            None => out.push(c),
        }
    }
    out
}
