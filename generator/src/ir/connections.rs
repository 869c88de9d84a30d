//! Groups channels into connections and builds the union of each direction.

use heck::ToUpperCamelCase;

use super::naming::type_name;
use super::schema::{const_tag, discriminate, SchemaBuilder};
use super::types::*;
use super::{Connection, IrMessage};
use crate::diag::Code;
use crate::load::SourceSet;
use crate::spec::{Action, Document, Role};

/// Channel indexes grouped by address, in first-seen order.
fn groups(doc: &Document) -> Vec<(Option<String>, Vec<usize>)> {
    let mut out: Vec<(Option<String>, Vec<usize>)> = Vec::new();
    for (i, c) in doc.channels.iter().enumerate() {
        match c.address.as_ref().and_then(|a| out.iter_mut().find(|(addr, _)| addr.as_ref() == Some(a))) {
            Some((_, members)) => members.push(i),
            None => out.push((c.address.clone(), vec![i])),
        }
    }
    out
}

fn protocol_of(doc: &Document, channel: usize) -> Option<String> {
    let wanted = &doc.channels[channel].servers;
    doc.servers
        .iter()
        .find(|s| wanted.is_empty() || wanted.contains(&s.key))
        .map(|s| s.protocol.to_ascii_lowercase())
}

/// Messages used by `action` operations on the given channels, in order, without repeats.
fn used(doc: &Document, messages: &[IrMessage], channels: &[usize], action: Action) -> Vec<usize> {
    let mut out = Vec::new();
    for op in doc.operations.iter().filter(|o| o.action == action && channels.contains(&o.channel)) {
        let channel = &doc.channels[op.channel];
        for m in &channel.messages {
            if !op.carries(&m.key) {
                continue;
            }
            if let Some(i) = messages.iter().position(|x| x.loc == m.loc) {
                if !out.contains(&i) {
                    out.push(i);
                }
            }
        }
    }
    out
}

pub fn build(set: &SourceSet, doc: &Document, role: Role, messages: &[IrMessage], b: &mut SchemaBuilder<'_>) -> Vec<Connection> {
    let groups = groups(doc);
    let sockets = groups.iter().filter(|(_, ch)| super::is_socket_protocol(protocol_of(doc, ch[0]).as_deref())).count();
    let mut out = Vec::new();
    for (address, channels) in groups {
        let protocol = protocol_of(doc, channels[0]);
        let sent = used(doc, messages, &channels, Action::Send);
        let received = used(doc, messages, &channels, Action::Receive);
        let socket = super::is_socket_protocol(protocol.as_deref());
        let base = match (&address, socket && sockets == 1) {
            (_, true) => String::new(),
            (Some(a), false) => type_name(&a.replace(['{', '}'], " ")),
            (None, false) => type_name(&doc.channels[channels[0]].key),
        };
        let (sent_name, received_name) = if socket {
            let (mine, theirs) = match role {
                Role::Server => ("ServerMessage", "ClientMessage"),
                Role::Client => ("ClientMessage", "ServerMessage"),
            };
            (format!("{base}{mine}"), format!("{base}{theirs}"))
        } else if !sent.is_empty() && !received.is_empty() {
            (format!("{base}Sent"), format!("{base}Received"))
        } else {
            (format!("{base}Message"), format!("{base}Message"))
        };
        let sent_type = union(set, messages, &sent, &sent_name, b);
        let received_type = union(set, messages, &received, &received_name, b);
        out.push(Connection {
            name: base.to_upper_camel_case(),
            address,
            protocol,
            channels,
            sent,
            received,
            sent_type,
            received_type,
        });
    }
    out
}

/// `{tag: const, content: payload}` with exactly those two required properties.
fn envelope_shape(types: &[TypeDef], ty: &Ty) -> Option<(String, String, String, Ty)> {
    let Ty::Named(id) = ty else { return None };
    let Kind::Struct(st) = &types[id.0].kind else { return None };
    if st.fields.len() != 2 || matches!(st.extra, Extra::Keep { .. }) || st.fields.iter().any(|f| !f.required) {
        return None;
    }
    for (t, c) in [(0, 1), (1, 0)] {
        let tag_field = &st.fields[t];
        if let Some(value) = const_tag(types, ty, &tag_field.wire) {
            let content = &st.fields[c];
            let cty = if content.nullable { Ty::Nullable(Box::new(content.ty.clone())) } else { content.ty.clone() };
            return Some((tag_field.wire.clone(), content.wire.clone(), value, cty));
        }
    }
    None
}

fn union(set: &SourceSet, messages: &[IrMessage], members: &[usize], name: &str, b: &mut SchemaBuilder<'_>) -> Option<super::TypeId> {
    let with_payload: Vec<&IrMessage> = members.iter().map(|i| &messages[*i]).filter(|m| m.payload.is_some()).collect();
    if with_payload.is_empty() {
        return None;
    }
    let shapes: Vec<_> = with_payload.iter().map(|m| envelope_shape(&b.types, m.payload.as_ref().expect("payload"))).collect();
    let first = shapes[0].clone();
    // An envelope (`{tag: const, content}` on every message) wins when its tags are all distinct.
    let envelope = first.as_ref().filter(|(tag, content, ..)| {
        let mut values: Vec<&String> = shapes.iter().filter_map(|s| s.as_ref().map(|s| &s.2)).collect();
        values.sort();
        values.dedup();
        values.len() == shapes.len() && shapes.iter().all(|s| s.as_ref().is_some_and(|(t, c, ..)| t == tag && c == content))
    });
    let mut variants: Vec<UnionVariant> = with_payload
        .iter()
        .zip(&shapes)
        .map(|(m, shape)| UnionVariant {
            rust: m.rust.clone(),
            ty: match (envelope, shape) {
                (Some(_), Some((_, _, _, content))) => content.clone(),
                _ => m.payload.clone().expect("payload"),
            },
            tag: envelope.and(shape.as_ref()).map(|s| s.2.clone()),
            boxed: false,
        })
        .collect();
    let tagging = match envelope {
        Some((tag, content, ..)) => Tagging::Adjacent { tag: tag.clone(), content: content.clone() },
        None => match discriminate(&b.types, &mut variants, None) {
            Some(property) => Tagging::Property { property },
            None => Tagging::Untagged,
        },
    };
    for (tag, members) in super::schema::tag_groups(&variants).into_iter().filter(|(_, members)| members.len() > 1) {
        let keys: Vec<String> = members.iter().filter_map(|v| with_payload.iter().find(|m| m.rust == v.rust)).map(|m| format!("`{}`", m.key)).collect();
        let first = with_payload.iter().find(|m| m.rust == members[0].rust).map_or(&with_payload[0].loc, |m| &m.loc);
        let property = match &tagging {
            Tagging::Property { property } => property.as_str(),
            _ => "",
        };
        let msg = format!("messages {} share one connection and direction and all have `{property}: {tag}`; decoding tries them in this order and keeps the first that fits", keys.join(", "));
        b.warnings.push(set.diag(Code::Untagged, first, msg).warning());
    }
    if tagging == Tagging::Untagged && variants.len() > 1 {
        let keys: Vec<String> = with_payload.iter().map(|m| format!("`{}`", m.key)).collect();
        let msg = format!(
            "messages {} share one connection and direction, and no single-value property (`const`, one-value `enum`) tells them apart; decoding tries them in this order and keeps the first that fits",
            keys.join(", ")
        );
        b.warnings.push(set.diag(Code::Untagged, &with_payload[0].loc, msg).warning());
    }
    let doc_line = Some(format!("Every message of this direction on one connection; decoding dispatches on {}.", match &tagging {
        Tagging::Adjacent { tag, .. } | Tagging::Property { property: tag } => format!("`{tag}`"),
        Tagging::Untagged => String::from("the first variant that decodes, in the order listed"),
    }));
    Some(b.add_type(name, doc_line, Kind::Union(Union { tagging, variants })))
}
