//! Schemas normalised for comparison: `$ref`s followed, `allOf` merged, property order and
//! component names gone. Two schemas that accept the same JSON have equal shapes.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::keywords::{all_of_members, declared_types, open_enum, union_members, MergedObject};
use crate::load::{Loc, SourceSet};

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub nullable: bool,
    pub description: Option<String>,
    pub title: Option<String>,
    /// Where the schema is written (after `$ref`s), as `file#pointer`: the identity of a shared schema.
    pub origin: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Any,
    Boolean,
    String { format: Option<String>, enumeration: Option<Enumeration>, limits: Limits },
    Integer { format: Option<String>, enumeration: Option<Enumeration>, limits: Limits },
    Number { format: Option<String>, limits: Limits },
    Const(Value),
    Object { props: BTreeMap<String, (Node, bool)>, additional: Additional },
    Array { items: Box<Node>, limits: Limits },
    /// `prefixItems: [..]` or `items: [..]`: one schema per position.
    Tuple(Vec<Node>),
    Union(Vec<Node>),
    /// A schema already open further up: recursion.
    Cycle(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Enumeration {
    pub values: BTreeSet<String>,
    pub open: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Additional {
    /// Not given or `true`.
    Open,
    Closed,
    Schema(Box<Node>),
}

/// Numeric and pattern constraints, by keyword.
pub type Limits = BTreeMap<String, Value>;

impl NodeKind {
    /// Short type label, used to tell a type change from a refinement.
    pub fn label(&self) -> String {
        match self {
            NodeKind::Any => "any".into(),
            NodeKind::Boolean => "boolean".into(),
            NodeKind::String { format, .. } => format.as_ref().map_or("string".into(), |f| format!("string({f})")),
            NodeKind::Integer { format, .. } => format.as_ref().map_or("integer".into(), |f| format!("integer({f})")),
            NodeKind::Number { format, .. } => format.as_ref().map_or("number".into(), |f| format!("number({f})")),
            NodeKind::Const(_) => "const".into(),
            NodeKind::Object { .. } => "object".into(),
            NodeKind::Array { .. } => "array".into(),
            NodeKind::Tuple(items) => format!("tuple({})", items.len()),
            NodeKind::Union(_) => "union".into(),
            NodeKind::Cycle(_) => "recursive".into(),
        }
    }
}

impl Node {
    /// A canonical text of what the schema accepts (no docs, no origins), for matching union variants.
    pub fn signature(&self) -> String {
        let mut out = String::new();
        self.sign(&mut out);
        out
    }

    fn sign(&self, out: &mut String) {
        if self.nullable {
            out.push('?');
        }
        match &self.kind {
            NodeKind::Object { props, additional } => {
                out.push('{');
                for (k, (n, req)) in props {
                    out.push_str(k);
                    out.push(if *req { '!' } else { ':' });
                    n.sign(out);
                    out.push(',');
                }
                match additional {
                    Additional::Open => out.push_str("..."),
                    Additional::Closed => {}
                    Additional::Schema(n) => {
                        out.push('*');
                        n.sign(out);
                    }
                }
                out.push('}');
            }
            NodeKind::Array { items, limits } => {
                out.push('[');
                items.sign(out);
                out.push_str(&format!("{limits:?}]"));
            }
            NodeKind::Tuple(items) => {
                out.push_str("([");
                for i in items {
                    i.sign(out);
                    out.push(',');
                }
                out.push_str("])");
            }
            NodeKind::Union(vs) => {
                out.push('(');
                for v in vs {
                    v.sign(out);
                    out.push('|');
                }
                out.push(')');
            }
            NodeKind::String { format, enumeration, limits } | NodeKind::Integer { format, enumeration, limits } => {
                out.push_str(&format!("{}{format:?}{enumeration:?}{limits:?}", self.kind.label()));
            }
            other => out.push_str(&format!("{other:?}")),
        }
    }
}

/// Builds shapes from one source set.
pub struct Shaper<'a> {
    pub set: &'a SourceSet,
    stack: Vec<Loc>,
}

impl<'a> Shaper<'a> {
    pub fn new(set: &'a SourceSet) -> Self {
        Shaper { set, stack: Vec::new() }
    }

    fn origin(&self, loc: &Loc) -> String {
        format!("{}#{}", self.set.file(loc.file).path.display(), self.set.display_pointer(loc))
    }

    pub fn node(&mut self, loc: &Loc) -> Node {
        let target = self.set.deref(loc).unwrap_or_else(|_| loc.clone());
        let origin = self.origin(&target);
        if self.stack.contains(&target) {
            return Node { kind: NodeKind::Cycle(origin.clone()), nullable: false, description: None, title: None, origin };
        }
        let set: &'a SourceSet = self.set;
        let Some(Value::Object(s)) = set.get(&target) else {
            return Node { kind: NodeKind::Any, nullable: false, description: None, title: None, origin };
        };
        self.stack.push(target.clone());
        let mut node = self.object_node(&target, s);
        self.stack.pop();
        node.origin = origin;
        node.description = s.get("description").and_then(Value::as_str).map(str::to_string);
        node.title = s.get("title").and_then(Value::as_str).map(str::to_string);
        node
    }

    fn object_node(&mut self, loc: &Loc, s: &'a Map<String, Value>) -> Node {
        let (types, null_type) = declared_types(s);
        let mut nullable = null_type || s.get("nullable") == Some(&Value::Bool(true));
        let limits: Limits = crate::keywords::limits(s).into_iter().collect();
        let format = s.get("format").and_then(Value::as_str).map(str::to_string);
        let kind = if let Some(c) = s.get("const") {
            NodeKind::Const(c.clone())
        } else if let Some(Value::Array(values)) = s.get("enum") {
            if values.iter().any(Value::is_null) {
                nullable = true;
            }
            let enumeration = Some(Enumeration {
                values: values.iter().filter(|v| !v.is_null()).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)).collect(),
                open: false,
            });
            if values.iter().all(|v| v.is_i64() || v.is_null()) {
                NodeKind::Integer { format, enumeration, limits }
            } else {
                NodeKind::String { format, enumeration, limits }
            }
        } else if let Some(key) = ["oneOf", "anyOf"].into_iter().find(|k| s.get(*k).is_some_and(Value::is_array)) {
            let (raw, null_member) = union_members(self.set, &loc.child(key));
            nullable |= null_member;
            if let Some((values, at)) = open_enum(&raw) {
                let (format, limits) = match self.node(&raw[at].0).kind {
                    NodeKind::String { format, limits, .. } => (format, limits),
                    _ => (None, Limits::new()),
                };
                let values = values.iter().filter_map(Value::as_str).map(str::to_string).collect();
                NodeKind::String { format, enumeration: Some(Enumeration { values, open: true }), limits }
            } else {
                let mut members: Vec<Node> = raw.iter().map(|(l, _)| self.node(l)).collect();
                if members.len() == 1 {
                    let m = members.remove(0);
                    nullable |= m.nullable;
                    m.kind
                } else {
                    NodeKind::Union(members)
                }
            }
        } else if s.contains_key("allOf") {
            self.all_of(loc)
        } else if types.len() > 1 {
            NodeKind::Union(
                types
                    .iter()
                    .map(|t| Node { kind: self.typed(loc, s, t, format.clone(), limits.clone()), nullable: false, description: None, title: None, origin: String::new() })
                    .collect(),
            )
        } else if let Some(t) = types.first() {
            self.typed(loc, s, t, format, limits)
        } else if s.contains_key("properties") || s.contains_key("additionalProperties") {
            self.typed(loc, s, "object", format, limits)
        } else {
            NodeKind::Any
        };
        Node { kind, nullable, description: None, title: None, origin: String::new() }
    }

    fn typed(&mut self, loc: &Loc, s: &'a Map<String, Value>, t: &str, format: Option<String>, limits: Limits) -> NodeKind {
        match t {
            "boolean" => NodeKind::Boolean,
            "string" => NodeKind::String { format, enumeration: None, limits },
            "integer" => NodeKind::Integer { format, enumeration: None, limits },
            "number" => NodeKind::Number { format, limits },
            "array" => {
                // Tuples, as the generator types them: one schema per position.
                let positions = ["prefixItems", "items"].into_iter().find_map(|k| s.get(k).and_then(Value::as_array).map(|a| (k, a.len())));
                if let Some((key, count)) = positions {
                    return NodeKind::Tuple((0..count).map(|i| self.node(&loc.child(key).index(i))).collect());
                }
                let items = if s.contains_key("items") { self.node(&loc.child("items")) } else { any() };
                NodeKind::Array { items: Box::new(items), limits }
            }
            "object" => {
                let mut object = MergedObject::default();
                object.add(self.set, loc);
                self.object_kind(object)
            }
            _ => NodeKind::Any,
        }
    }

    /// `allOf`: the members' properties and requirements merged into one object.
    fn all_of(&mut self, loc: &Loc) -> NodeKind {
        let mut object = MergedObject::default();
        for member in all_of_members(self.set, loc).0 {
            object.add(self.set, &member);
        }
        self.object_kind(object)
    }

    fn object_kind(&mut self, object: MergedObject) -> NodeKind {
        let props = object.props.iter().map(|(k, l)| (k.clone(), (self.node(l), object.is_required(k)))).collect();
        let additional = match &object.additional {
            None | Some((_, Value::Bool(true))) => Additional::Open,
            Some((_, Value::Bool(false))) => Additional::Closed,
            Some((l, _)) => Additional::Schema(Box::new(self.node(l))),
        };
        NodeKind::Object { props, additional }
    }
}

fn any() -> Node {
    Node { kind: NodeKind::Any, nullable: false, description: None, title: None, origin: String::new() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_all_of_cycle_is_folded_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("doc.yaml");
        std::fs::write(
            &path,
            "components:
  schemas:
    A: {allOf: [{$ref: '#/components/schemas/B'}], properties: {a: {type: string}}, required: [a]}
    B: {allOf: [{$ref: '#/components/schemas/A'}], properties: {b: {type: integer}}}
",
        )
        .expect("written");
        let (set, roots) = SourceSet::load(&[path], &crate::load::LoadOptions::default()).expect("loads");
        let node = Shaper::new(&set).node(&Loc::new(roots[0], "/components/schemas/A"));
        let NodeKind::Object { props, additional } = node.kind else { panic!("an object: {node:?}") };
        assert_eq!(props.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert!(props["a"].1 && !props["b"].1);
        assert_eq!(additional, Additional::Open);
    }
}
