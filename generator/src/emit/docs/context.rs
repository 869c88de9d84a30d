//! The data the docs templates render: built from the IR, so the docs describe exactly the
//! types, names and directions the generated code has.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use super::markdown::to_html;
use crate::ir::{Extra, IrDocument, Kind, Tagging, Ty, TypeId};
use crate::spec::bindings::KafkaKey;
use crate::spec::{Action, Role};

/// Markdown text with its HTML rendering.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Text {
    pub md: String,
    pub html: String,
}

/// Text inside an entry (below its `h3`): its own headings start at `h4`.
fn text(s: Option<&str>) -> Option<Text> {
    text_at(s, 4)
}

fn text_at(s: Option<&str>, base: usize) -> Option<Text> {
    let s = s?.trim();
    (!s.is_empty()).then(|| Text { md: s.to_string(), html: to_html(s, base) })
}

#[derive(Debug, Serialize)]
pub struct Page {
    pub module: String,
    pub file: String,
    /// The AsyncAPI version of a 2.x source (read as 3.0).
    pub converted_from: Option<String>,
    pub title: String,
    pub version: String,
    pub description: Option<Text>,
    pub servers: Vec<ServerDoc>,
    pub security: Vec<SecurityDoc>,
    pub channels: Vec<ChannelDoc>,
    pub operations: Vec<OperationDoc>,
    pub messages: Vec<MessageDoc>,
    pub schemas: Vec<SchemaDoc>,
}

#[derive(Debug, Serialize)]
pub struct ServerDoc {
    pub key: String,
    pub protocol: String,
    pub host: String,
    pub pathname: Option<String>,
    pub title: Option<String>,
    pub description: Option<Text>,
    pub variables: Vec<VariableDoc>,
    pub security: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct VariableDoc {
    pub name: String,
    pub default: Option<String>,
    pub enum_values: Vec<String>,
    pub examples: Vec<String>,
    pub description: Option<Text>,
}

#[derive(Debug, Serialize)]
pub struct SecurityDoc {
    pub key: String,
    pub kind: String,
    pub name: Option<String>,
    pub location: Option<String>,
    pub required: bool,
    pub description: Option<Text>,
}

#[derive(Debug, Serialize)]
pub struct QueryParamDoc {
    pub name: String,
    pub required: bool,
    pub ty: String,
    pub description: Option<Text>,
    pub reconstructed: bool,
}

#[derive(Debug, Serialize)]
pub struct KafkaDoc {
    pub topic: String,
    pub partitions: Option<String>,
    pub replicas: Option<String>,
    pub key: Option<String>,
    pub configuration: Vec<(String, String)>,
}

#[derive(Debug, Serialize)]
pub struct ChannelDoc {
    pub key: String,
    pub anchor: String,
    pub address: Option<String>,
    pub title: Option<String>,
    pub description: Option<Text>,
    pub messages: Vec<Link>,
    pub parameters: Vec<VariableDoc>,
    pub query: Vec<QueryParamDoc>,
    pub example_url: Option<String>,
    pub kafka: Option<KafkaDoc>,
}

#[derive(Debug, Serialize, Clone)]
pub struct Link {
    pub label: String,
    pub anchor: String,
}

#[derive(Debug, Serialize)]
pub struct OperationDoc {
    pub key: String,
    pub anchor: String,
    pub action: String,
    /// Who sends to whom, in plain words: `server → client`, `producer → topic`, ...
    pub direction: String,
    pub channel: Link,
    pub messages: Vec<Link>,
    pub summary: Option<String>,
    pub description: Option<Text>,
    pub reply: Option<ReplyDoc>,
}

#[derive(Debug, Serialize)]
pub struct ReplyDoc {
    pub channel: Option<Link>,
    pub messages: Vec<Link>,
}

#[derive(Debug, Serialize)]
pub struct MessageDoc {
    pub key: String,
    pub anchor: String,
    pub name: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub description: Option<Text>,
    pub content_type: Option<String>,
    pub rust_type: Option<String>,
    pub directions: Vec<String>,
    pub channels: Vec<Link>,
    /// The wire shape in one line, e.g. `{"topic": "sound_info", "data": SoundInfo}`.
    pub envelope: Option<String>,
    pub fields: Vec<FieldDoc>,
    pub headers: Vec<FieldDoc>,
    pub examples: Vec<ExampleDoc>,
    pub kafka_key: Option<String>,
    pub search: String,
}

#[derive(Debug, Serialize, Clone)]
pub struct FieldDoc {
    /// Dotted path from the payload root, as on the wire (`data.satResult.ageEstimate`).
    pub path: String,
    pub depth: usize,
    pub ty: String,
    pub type_anchor: Option<String>,
    pub required: bool,
    pub nullable: bool,
    pub enum_values: Vec<String>,
    pub open: bool,
    pub description: Option<Text>,
    pub constraints: String,
    pub reconstructed: bool,
}

#[derive(Debug, Serialize)]
pub struct ExampleDoc {
    pub name: String,
    pub summary: Option<String>,
    pub payload: Option<String>,
    pub headers: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SchemaDoc {
    pub name: String,
    pub anchor: String,
    pub kind: String,
    pub description: Option<Text>,
    pub fields: Vec<FieldDoc>,
    pub values: Vec<String>,
    pub open: bool,
}

/// A stable HTML id: lowercase ASCII letters, digits and dashes.
pub fn anchor(prefix: &str, key: &str) -> String {
    let mut out = format!("{prefix}-");
    let mut dash = false;
    for c in key.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && !dash && !out.ends_with('-') {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
            dash = false;
        } else if !dash {
            out.push('-');
            dash = true;
        }
    }
    out.trim_end_matches('-').to_string()
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

struct Builder<'a> {
    doc: &'a IrDocument,
    anchors: std::collections::HashMap<(&'static str, String), String>,
}

/// Unique anchors for every channel, operation, message and schema of a page.
fn anchors(doc: &IrDocument) -> std::collections::HashMap<(&'static str, String), String> {
    let mut scope = crate::ir::naming::Scope::default();
    let mut out = std::collections::HashMap::new();
    let keys = doc
        .outline
        .channels
        .iter()
        .map(|c| ("channel", c.key.clone()))
        .chain(doc.outline.operations.iter().map(|o| ("operation", o.key.clone())))
        .chain(doc.messages.iter().map(|m| ("message", m.key.clone())))
        .chain(doc.types.iter().map(|t| ("schema", t.name.clone())));
    for (kind, key) in keys {
        let id = scope.claim(&anchor(kind, &key));
        out.insert((kind, key), id);
    }
    out
}

impl<'a> Builder<'a> {
    fn anchor(&self, kind: &'static str, key: &str) -> String {
        self.anchors.get(&(kind, key.to_string())).cloned().unwrap_or_else(|| anchor(kind, key))
    }

    /// A short type description and the schema anchor it links to.
    fn describe(&self, ty: &Ty) -> (String, Option<String>) {
        match ty {
            Ty::String => ("string".into(), None),
            Ty::Bool => ("boolean".into(), None),
            Ty::I32 => ("integer (int32)".into(), None),
            Ty::I64 => ("integer".into(), None),
            Ty::U32 => ("integer (uint32)".into(), None),
            Ty::U64 => ("integer (uint64)".into(), None),
            Ty::F32 => ("number (float)".into(), None),
            Ty::F64 => ("number".into(), None),
            Ty::DateTime => ("string (date-time)".into(), None),
            Ty::Uuid => ("string (uuid)".into(), None),
            Ty::Epoch(unit) => (format!("integer ({})", unit.logical_type()), None),
            Ty::Any => ("any".into(), None),
            Ty::Vec(inner) => {
                let (t, a) = self.describe(inner);
                (format!("array of {t}"), a)
            }
            Ty::Map(inner) => {
                let (t, a) = self.describe(inner);
                (format!("map of {t}"), a)
            }
            Ty::Tuple(items) => {
                let parts: Vec<String> = items.iter().map(|i| self.describe(i).0).collect();
                (format!("tuple [{}]", parts.join(", ")), None)
            }
            Ty::Nullable(inner) => {
                let (t, a) = self.describe(inner);
                (format!("{t} or null"), a)
            }
            Ty::Named(id) => {
                let def = &self.doc.types[id.0];
                match &def.kind {
                    Kind::Const { value } => (format!("const {value}"), None),
                    Kind::Enum { .. } => ("string (enum)".into(), Some(self.anchor("schema", &def.name))),
                    Kind::IntEnum { .. } => ("integer (enum)".into(), Some(self.anchor("schema", &def.name))),
                    Kind::Alias(t) => self.describe(t),
                    _ => (def.name.clone(), Some(self.anchor("schema", &def.name))),
                }
            }
        }
    }

    fn enum_info(&self, ty: &Ty) -> (Vec<String>, bool) {
        let id = match ty {
            Ty::Named(id) => *id,
            Ty::Nullable(inner) | Ty::Vec(inner) => return self.enum_info(inner),
            _ => return (Vec::new(), false),
        };
        match &self.doc.types[id.0].kind {
            Kind::Enum { variants, open } => (variants.iter().map(|v| v.wire.clone()).collect(), *open),
            Kind::IntEnum { values } => (values.iter().map(i64::to_string).collect(), false),
            Kind::Alias(t) => self.enum_info(t),
            _ => (Vec::new(), false),
        }
    }

    /// A field's format, limits and default, in words.
    fn constraints(f: &crate::ir::Field) -> String {
        fn label(key: &str) -> &str {
            match key {
            "minimum" => "min",
            "maximum" => "max",
            "exclusiveMinimum" => "greater than",
            "exclusiveMaximum" => "less than",
            "minLength" => "min length",
            "maxLength" => "max length",
            "minItems" => "min items",
            "maxItems" => "max items",
            other => other,
            }
        }
        let format = f.format.iter().map(|v| format!("format {v}"));
        let limits = f.limits.iter().map(|(k, v)| format!("{} {}", label(k), scalar(v)));
        let default = f.default.iter().map(|v| format!("default {}", scalar(v)));
        format.chain(limits).chain(default).collect::<Vec<_>>().join(", ")
    }

    /// Field rows of a type, recursing into nested structs (each type once per branch).
    fn fields(&self, ty: &Ty, prefix: &str, depth: usize, max_depth: usize, seen: &mut Vec<TypeId>, out: &mut Vec<FieldDoc>) {
        let id = match ty {
            Ty::Named(id) => *id,
            Ty::Nullable(inner) => return self.fields(inner, prefix, depth, max_depth, seen, out),
            Ty::Vec(inner) => return self.fields(inner, &format!("{prefix}[]"), depth, max_depth, seen, out),
            Ty::Map(inner) => return self.fields(inner, &format!("{prefix}.*"), depth, max_depth, seen, out),
            _ => return,
        };
        if seen.contains(&id) || depth > max_depth {
            return;
        }
        seen.push(id);
        match &self.doc.types[id.0].kind {
            Kind::Struct(st) => {
                for f in &st.fields {
                    let path = if prefix.is_empty() { f.wire.clone() } else { format!("{prefix}.{}", f.wire) };
                    let (ty_text, type_anchor) = self.describe(&f.ty);
                    let (enum_values, open) = self.enum_info(&f.ty);
                    out.push(FieldDoc {
                        path: path.clone(),
                        depth,
                        ty: ty_text,
                        type_anchor,
                        required: f.required,
                        nullable: f.nullable,
                        enum_values,
                        open,
                        description: text(f.doc.as_deref()),
                        constraints: Self::constraints(f),
                        reconstructed: f.reconstructed,
                    });
                    self.fields(&f.ty, &path, depth + 1, max_depth, seen, out);
                }
                if let Extra::Keep { value, .. } = &st.extra {
                    let (t, a) = self.describe(value);
                    out.push(FieldDoc {
                        path: if prefix.is_empty() { String::from("*") } else { format!("{prefix}.*") },
                        depth,
                        ty: t,
                        type_anchor: a,
                        required: false,
                        nullable: false,
                        enum_values: Vec::new(),
                        open: false,
                        description: text(Some("Any other property, kept as received.")),
                        constraints: String::new(),
                        reconstructed: false,
                    });
                }
            }
            Kind::Alias(t) => self.fields(t, prefix, depth, max_depth, seen, out),
            _ => {}
        }
        seen.pop();
    }

    /// Every field, nested fields included (to a depth of 8).
    fn field_rows(&self, ty: &Ty) -> Vec<FieldDoc> {
        let mut out = Vec::new();
        self.fields(ty, "", 0, 8, &mut Vec::new(), &mut out);
        out
    }

    /// The type's own fields only.
    fn top_fields(&self, ty: &Ty) -> Vec<FieldDoc> {
        let mut out = Vec::new();
        self.fields(ty, "", 0, 0, &mut Vec::new(), &mut out);
        out
    }

    /// `{"topic": "sound_info", "data": <SoundInfo>}` for envelope payloads.
    fn envelope_line(&self, payload: &Ty) -> Option<String> {
        let doc = self.doc;
        let (tag, content) = doc.connections.iter().find_map(|c| {
            [c.sent_type, c.received_type].into_iter().flatten().find_map(|id| match &doc.types[id.0].kind {
                Kind::Union(crate::ir::Union { tagging: Tagging::Adjacent { tag, content }, .. }) => Some((tag.clone(), content.clone())),
                _ => None,
            })
        })?;
        let Ty::Named(id) = payload else { return None };
        let Kind::Struct(st) = &doc.types[id.0].kind else { return None };
        let tag_field = st.fields.iter().find(|f| f.wire == tag)?;
        let content_field = st.fields.iter().find(|f| f.wire == content)?;
        let Ty::Named(cid) = &tag_field.ty else { return None };
        let Kind::Const { value } = &doc.types[cid.0].kind else { return None };
        let (shape, _) = self.describe(&content_field.ty);
        Some(format!("{{\"{tag}\": {value}, \"{content}\": <{shape}>}}"))
    }

    fn direction(&self, action: Action, protocol: Option<&str>) -> String {
        let socket = crate::ir::is_socket_protocol(protocol);
        let server_view = self.doc.role == Role::Server;
        match (socket, action, server_view) {
            (true, Action::Send, true) | (true, Action::Receive, false) => "server → client".into(),
            (true, _, _) => "client → server".into(),
            (false, Action::Send, _) => format!("producer → {}", if protocol == Some("kafka") { "topic" } else { "channel" }),
            (false, Action::Receive, _) => format!("{} → consumer", if protocol == Some("kafka") { "topic" } else { "channel" }),
        }
    }
}

/// Builds the docs page of one document.
pub fn page(doc: &IrDocument) -> Page {
    let b = Builder { doc, anchors: anchors(doc) };
    let spec = &doc.outline;
    let channel_link = |i: usize| Link {
        label: spec.channels[i].key.clone(),
        anchor: b.anchor("channel", &spec.channels[i].key),
    };
    let message_link = |m: usize| -> Link {
        let key = &doc.messages[m].key;
        Link { label: key.clone(), anchor: b.anchor("message", key) }
    };
    let protocol_of = |channel: usize| {
        doc.connections.iter().find(|c| c.channels.contains(&channel)).and_then(|c| c.protocol.clone())
    };

    let servers = spec
        .servers
        .iter()
        .map(|s| ServerDoc {
            key: s.key.clone(),
            protocol: s.protocol.clone(),
            host: s.host.clone(),
            pathname: s.pathname.clone(),
            title: s.title.clone(),
            description: text_at(s.description.as_deref(), 3),
            variables: s
                .variables
                .iter()
                .map(|v| VariableDoc {
                    name: v.name.clone(),
                    default: v.default.clone(),
                    enum_values: v.enum_values.clone(),
                    examples: v.examples.clone(),
                    description: text_at(v.description.as_deref(), 3),
                })
                .collect(),
            security: s.security.clone(),
        })
        .collect();
    let required_schemes: BTreeSet<&str> = spec.servers.iter().flat_map(|s| s.security.iter().map(String::as_str)).collect();
    let security = spec
        .security_schemes
        .iter()
        .map(|s| SecurityDoc {
            key: s.key.clone(),
            kind: s.kind.clone(),
            name: s.name.clone(),
            location: s.location.clone(),
            required: required_schemes.contains(s.key.as_str()),
            description: text_at(s.description.as_deref(), 3),
        })
        .collect();

    let channels = spec
        .channels
        .iter()
        .map(|c| {
            let query: Vec<QueryParamDoc> = c
                .ws
                .iter()
                .flat_map(|w| &w.query)
                .map(|q| QueryParamDoc {
                    name: q.name.clone(),
                    required: q.required,
                    ty: q.ty.clone(),
                    description: text(q.description.as_deref()),
                    reconstructed: q.reconstructed,
                })
                .collect();
            let kafka = c.kafka.as_ref().map(|k| KafkaDoc {
                topic: k.topic.clone().unwrap_or_default(),
                partitions: k.partitions.map(|n| n.to_string()),
                replicas: k.replicas.map(|n| n.to_string()),
                key: c.messages.iter().find_map(|m| doc.messages[*m].kafka_key.as_ref().map(KafkaKey::describe)),
                configuration: k.configuration.clone(),
            });
            ChannelDoc {
                key: c.key.clone(),
                anchor: b.anchor("channel", &c.key),
                address: c.address.clone(),
                title: c.title.clone(),
                description: text(c.description.as_deref().or(c.summary.as_deref())),
                messages: c.messages.iter().map(|m| message_link(*m)).collect(),
                parameters: c
                    .parameters
                    .iter()
                    .map(|p| VariableDoc {
                        name: p.name.clone(),
                        default: p.default.clone(),
                        enum_values: p.enum_values.clone(),
                        examples: Vec::new(),
                        description: text(p.description.as_deref()),
                    })
                    .collect(),
                query,
                example_url: c.example_url.clone(),
                kafka,
            }
        })
        .collect();

    let operations = spec
        .operations
        .iter()
        .map(|o| {
            let messages: Vec<Link> = o.messages.iter().map(|m| message_link(*m)).collect();
            OperationDoc {
                key: o.key.clone(),
                anchor: b.anchor("operation", &o.key),
                action: match o.action {
                    Action::Send => "send".into(),
                    Action::Receive => "receive".into(),
                },
                direction: b.direction(o.action, protocol_of(o.channel).as_deref()),
                channel: channel_link(o.channel),
                messages,
                summary: o.summary.clone().or_else(|| o.title.clone()),
                description: text(o.description.as_deref()),
                reply: o.reply.as_ref().map(|r| ReplyDoc {
                    channel: r.channel.map(channel_link),
                    messages: r.messages.iter().map(|m| message_link(*m)).collect(),
                }),
            }
        })
        .collect();

    let messages = doc
        .messages
        .iter()
        .enumerate()
        .map(|(mi, m)| {
            let mut directions = BTreeSet::new();
            for o in spec.operations.iter().filter(|o| o.messages.contains(&mi)) {
                directions.insert(b.direction(o.action, protocol_of(o.channel).as_deref()));
            }
            let envelope = m.payload.as_ref().and_then(|p| b.envelope_line(p));
            let rust_type = m.payload.as_ref().map(|p| b.describe(p).0);
            let fields = m.payload.as_ref().map(|p| b.field_rows(p)).unwrap_or_default();
            let headers = m.headers.as_ref().map(|h| b.field_rows(h)).unwrap_or_default();
            let kafka_key = m.kafka_key.as_ref().map(KafkaKey::describe);
            let examples = m
                .examples
                .iter()
                .enumerate()
                .map(|(i, e)| ExampleDoc {
                    name: e.name.clone().unwrap_or_else(|| format!("Example {}", i + 1)),
                    summary: e.summary.clone(),
                    payload: e.payload.as_ref().map(|v| serde_json::to_string_pretty(v).unwrap_or_default()),
                    headers: e.headers.as_ref().map(|v| serde_json::to_string_pretty(v).unwrap_or_default()),
                })
                .collect();
            let title = m.title.clone().or_else(|| m.name.clone()).unwrap_or_else(|| m.key.clone());
            let search = format!(
                "{} {} {} {}",
                m.key,
                m.name.clone().unwrap_or_default(),
                title,
                fields.iter().map(|f| f.path.as_str()).collect::<Vec<_>>().join(" ")
            )
            .to_lowercase();
            MessageDoc {
                key: m.key.clone(),
                anchor: b.anchor("message", &m.key),
                name: m.name.clone(),
                title,
                summary: m.summary.clone(),
                description: text(m.description.as_deref()),
                content_type: m.content_type.clone(),
                rust_type,
                directions: directions.into_iter().collect(),
                channels: m.channels.iter().map(|c| channel_link(*c)).collect(),
                envelope,
                fields,
                headers,
                examples,
                kafka_key,
                search,
            }
        })
        .collect();

    let schemas = doc
        .types
        .iter()
        .enumerate()
        .filter(|(_, t)| !matches!(t.kind, Kind::Const { .. }))
        .map(|(i, t)| {
            let (kind, values, open) = match &t.kind {
                Kind::Struct(_) => ("object".to_string(), Vec::new(), false),
                Kind::Enum { variants, open } => ("string enum".to_string(), variants.iter().map(|v| v.wire.clone()).collect(), *open),
                Kind::IntEnum { values } => ("integer enum".to_string(), values.iter().map(i64::to_string).collect(), false),
                Kind::Union(u) => (
                    match &u.tagging {
                        Tagging::Untagged => "one of (untagged)".to_string(),
                        Tagging::Property { property } => format!("one of, by `{property}`"),
                        Tagging::Adjacent { tag, content } => format!("one of, by `{tag}` with `{content}`"),
                    },
                    u.variants.iter().map(|v| format!("{}{}", v.tag.as_ref().map(|t| format!("{t}: ")).unwrap_or_default(), b.describe(&v.ty).0)).collect(),
                    false,
                ),
                Kind::Alias(ty) => (b.describe(ty).0, Vec::new(), false),
                Kind::Const { .. } => unreachable!("filtered"),
            };
            SchemaDoc {
                name: t.name.clone(),
                anchor: b.anchor("schema", &t.name),
                kind,
                description: text(t.doc.as_deref()),
                fields: if matches!(t.kind, Kind::Struct(_)) { b.top_fields(&Ty::Named(TypeId(i))) } else { Vec::new() },
                values,
                open,
            }
        })
        .collect();

    Page {
        module: doc.module.clone(),
        file: doc.source.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default(),
        converted_from: doc.converted_from.clone(),
        title: spec.info.title.clone(),
        version: spec.info.version.clone(),
        description: text_at(spec.info.description.as_deref(), 2),
        servers,
        security,
        channels,
        operations,
        messages,
        schemas,
    }
}
