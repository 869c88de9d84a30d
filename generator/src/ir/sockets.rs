//! The WebSocket API of a document: one socket per `ws`/`wss` connection, with its handler
//! methods, typed sends, handshake query and error reply. Emitters only print these.

use heck::ToSnakeCase;

use super::naming::{field_name, Scope};
use super::types::{Kind, Ty, TypeDef, Union};
use super::{Connection, IrMessage, TypeId};
use crate::diag::{Code, Diagnostic};
use crate::load::SourceSet;
use crate::spec::{Action, Document, Role};

/// One WebSocket connection (a socket address) of a document, seen from the server.
#[derive(Debug, Clone)]
pub struct Socket {
    /// Index into the document's connections.
    pub connection: usize,
    /// Submodule name when the document has several sockets.
    pub module: Option<String>,
    /// Where the socket is mounted (the channel address, `/` when it has none).
    pub address: String,
    /// The unions of what the server receives / sends.
    pub incoming: Option<TypeId>,
    pub outgoing: Option<TypeId>,
    /// Handshake query parameters from the `ws` binding.
    pub required_query: Vec<String>,
    pub optional_query: Vec<String>,
    /// One per variant of `incoming`, in order: the server's handler methods.
    pub handlers: Vec<Handler>,
    /// One per variant of `outgoing`: the server `Session`'s typed sends.
    pub session_sends: Vec<String>,
    /// One per variant of `incoming`: the `Client`'s typed sends.
    pub client_sends: Vec<String>,
    /// The message that carries a handler's error back to the client.
    pub error_reply: Option<ErrorReply>,
}

/// A handler method of the server trait.
#[derive(Debug, Clone)]
pub struct Handler {
    pub method: String,
    /// The message it handles (index into the document's messages).
    pub message: Option<usize>,
    /// The messages its operation's `reply` names.
    pub replies: Vec<usize>,
}

/// The outgoing message a handler error is answered with, and the string field the reason goes in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReply {
    /// Index of the variant in the outgoing union.
    pub variant: usize,
    /// Index of the reason field in the variant's struct.
    pub field: usize,
}

/// Sends reserved by the generated `Session` and `Client`.
const SESSION_METHODS: &[&str] = &["send", "send_wait", "send_frame", "encode", "id", "close", "is_closed"];
const CLIENT_METHODS: &[&str] = &["send", "close"];
const HANDLER_METHODS: &[&str] = &["on_connect", "on_close", "authenticate"];

pub(super) struct Context<'a> {
    pub set: &'a SourceSet,
    pub doc: &'a Document,
    pub role: Role,
    pub messages: &'a [IrMessage],
    pub connections: &'a [Connection],
    pub types: &'a [TypeDef],
}

/// The sockets of a document (none when it has no `ws`/`wss` server).
pub(super) fn build(cx: &Context<'_>) -> Result<Vec<Socket>, Vec<Diagnostic>> {
    let sockets: Vec<usize> = cx.connections.iter().enumerate().filter(|(_, c)| c.is_socket()).map(|(i, _)| i).collect();
    let several = sockets.len() > 1;
    let mut modules = Scope::default();
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for ci in sockets {
        let conn = &cx.connections[ci];
        let (incoming, outgoing) = match cx.role {
            Role::Server => (conn.received_type, conn.sent_type),
            Role::Client => (conn.sent_type, conn.received_type),
        };
        let ws = conn.channels.iter().find_map(|c| cx.doc.channels[*c].bindings.ws.as_ref());
        let module = several.then(|| {
            let base = if conn.name.is_empty() { String::from("socket") } else { conn.name.to_snake_case() };
            modules.claim(&field_name(&base))
        });
        let incoming_union = union(cx.types, incoming);
        let outgoing_union = union(cx.types, outgoing);
        let error_reply = match outgoing_union.map(|u| error_reply(cx, u)).transpose() {
            Ok(reply) => reply.flatten(),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        out.push(Socket {
            connection: ci,
            module,
            address: conn.address.clone().unwrap_or_else(|| String::from("/")),
            incoming,
            outgoing,
            required_query: ws.map(|w| w.required_query().map(str::to_string).collect()).unwrap_or_default(),
            optional_query: ws.map(|w| w.optional_query().map(str::to_string).collect()).unwrap_or_default(),
            handlers: incoming_union.map(|u| handlers(cx, conn, u)).unwrap_or_default(),
            session_sends: outgoing_union.map(|u| send_names(u, SESSION_METHODS)).unwrap_or_default(),
            client_sends: incoming_union.map(|u| send_names(u, CLIENT_METHODS)).unwrap_or_default(),
            error_reply,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn union(types: &[TypeDef], id: Option<TypeId>) -> Option<&Union> {
    match &types[id?.0].kind {
        Kind::Union(u) => Some(u),
        _ => None,
    }
}

fn message_index(cx: &Context<'_>, rust: &str) -> Option<usize> {
    cx.messages.iter().position(|m| m.rust == rust)
}

/// `send_<message>` per variant, clear of the methods the type already has.
fn send_names(u: &Union, reserved: &[&str]) -> Vec<String> {
    let mut scope = Scope::with_reserved(reserved);
    u.variants.iter().map(|v| scope.claim(&format!("send_{}", v.rust.to_snake_case()))).collect()
}

/// One handler per incoming variant, named after the operation that receives it (without a
/// `receive_`/`on_`/… prefix), or after the message when no operation names it.
fn handlers(cx: &Context<'_>, conn: &Connection, u: &Union) -> Vec<Handler> {
    let doc = cx.doc;
    let receive = match cx.role {
        Role::Server => Action::Receive,
        Role::Client => Action::Send,
    };
    let mut scope = Scope::with_reserved(HANDLER_METHODS);
    u.variants
        .iter()
        .map(|v| {
            let message = message_index(cx, &v.rust);
            let op = message.and_then(|mi| {
                let loc = &cx.messages[mi].loc;
                doc.operations.iter().find(|o| {
                    o.action == receive && conn.channels.contains(&o.channel) && doc.channels[o.channel].messages.iter().any(|cm| &cm.loc == loc && o.carries(&cm.key))
                })
            });
            let base = match op {
                Some(o) => {
                    let key = o.key.to_snake_case();
                    let stripped = ["receive_", "send_", "on_", "handle_"].iter().find_map(|p| key.strip_prefix(p)).unwrap_or(&key).to_string();
                    // An operation carrying several messages gets one handler per message, named after both.
                    if o.message_keys(&doc.channels[o.channel]).len() > 1 {
                        format!("{stripped}_{}", v.rust.to_snake_case())
                    } else {
                        stripped
                    }
                }
                None => v.rust.to_snake_case(),
            };
            let replies = op
                .and_then(|o| o.reply.as_ref())
                .and_then(|r| Some((r.channel?, &r.messages)))
                .map(|(c, keys)| {
                    keys.iter()
                        .filter_map(|k| {
                            let loc = &doc.channels[c].messages.iter().find(|m| &m.key == k)?.loc;
                            cx.messages.iter().position(|m| &m.loc == loc)
                        })
                        .collect()
                })
                .unwrap_or_default();
            Handler { method: scope.claim(&field_name(&format!("on_{base}"))), message, replies }
        })
        .collect()
}

/// The outgoing message a handler error is answered with: the one marked
/// `x-rust-error-reply: true`, else the first whose key or name says "error", skipping those
/// marked `false`. It needs an object payload with a string field (`message` preferred) and no
/// other required field but constants.
fn error_reply(cx: &Context<'_>, u: &Union) -> Result<Option<ErrorReply>, Diagnostic> {
    let marked = |v: &super::UnionVariant| message_index(cx, &v.rust).and_then(|mi| cx.messages[mi].error_reply);
    if let Some(variant) = u.variants.iter().position(|v| marked(v) == Some(true)) {
        let mi = message_index(cx, &u.variants[variant].rust).expect("marked messages exist");
        return match reason_field(cx.types, &u.variants[variant].ty) {
            Some(field) => Ok(Some(ErrorReply { variant, field })),
            None => Err(cx.set.diag(
                Code::InvalidValue,
                &cx.messages[mi].loc.child("x-rust-error-reply"),
                "an error reply needs an object payload with a string field for the reason and no other required field but constants",
            )),
        };
    }
    Ok(u.variants.iter().enumerate().find_map(|(variant, v)| {
        let mi = message_index(cx, &v.rust)?;
        let m = &cx.messages[mi];
        let label = format!("{} {}", m.key, m.name.clone().unwrap_or_default()).to_lowercase();
        if m.error_reply == Some(false) || !label.contains("error") {
            return None;
        }
        Some(ErrorReply { variant, field: reason_field(cx.types, &v.ty)? })
    }))
}

/// The string field a reason can go in, when every other field is optional or a constant.
fn reason_field(types: &[TypeDef], ty: &Ty) -> Option<usize> {
    let Ty::Named(id) = ty else { return None };
    let Kind::Struct(st) = &types[id.0].kind else { return None };
    let field = st.fields.iter().position(|f| f.wire == "message" && f.ty == Ty::String).or_else(|| st.fields.iter().position(|f| f.ty == Ty::String))?;
    let fillable = |f: &super::Field| !f.required || f.is_const(types);
    st.fields.iter().enumerate().all(|(i, f)| i == field || fillable(f)).then_some(field)
}
