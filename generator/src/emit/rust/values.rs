//! A JSON value written as the Rust expression that builds it in the generated types: struct
//! literals, enum variants, `Some`/`None`, `Nullable`, `vec!`. What examples and defaults use
//! instead of parsing JSON text at run time.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

use crate::ir::{EpochUnit, Extra, FieldRepr, IrDocument, Kind, Struct, Tagging, Ty, Union};

/// Where generated code finds the crate's types: inside the crate, or from an example.
pub struct Paths {
    /// Prefix of the document's types (empty, `super::`, or `my_crate::module::`).
    pub types: TokenStream,
    /// The `Nullable` type.
    pub nullable: TokenStream,
}

impl Paths {
    /// Inside the crate, with the document's types in scope.
    pub fn in_crate() -> Self {
        Paths { types: TokenStream::new(), nullable: quote!(crate::rt::Nullable) }
    }

    /// From an example of the crate `krate` that imports the document module as `alias`.
    pub fn from_example(krate: &syn::Ident, alias: &syn::Ident) -> Self {
        Paths { types: quote!(#alias::), nullable: quote!(#krate::Nullable) }
    }
}

/// The expression of type `ty` (boxed when `boxed`) whose JSON encoding is `value`; `None` when
/// the value does not fit the type.
pub fn literal(doc: &IrDocument, ty: &Ty, boxed: bool, value: &Value, paths: &Paths) -> Option<TokenStream> {
    let built = Builder { doc, prefix: &paths.types, nullable: &paths.nullable }.value(ty, value)?;
    Some(if boxed && matches!(ty, Ty::Named(_)) { quote!(::std::boxed::Box::new(#built)) } else { built })
}

struct Builder<'a> {
    doc: &'a IrDocument,
    prefix: &'a TokenStream,
    nullable: &'a TokenStream,
}

impl Builder<'_> {
    fn value(&self, ty: &Ty, v: &Value) -> Option<TokenStream> {
        Some(match (ty, v) {
            (Ty::String, Value::String(s)) => quote!(::std::string::String::from(#s)),
            (Ty::Bool, Value::Bool(b)) => quote!(#b),
            (Ty::I32, Value::Number(n)) => lit(Literal::i32_unsuffixed(i32::try_from(n.as_i64()?).ok()?)),
            (Ty::I64, Value::Number(n)) => lit(Literal::i64_unsuffixed(n.as_i64()?)),
            (Ty::U32, Value::Number(n)) => lit(Literal::u32_unsuffixed(u32::try_from(n.as_u64()?).ok()?)),
            (Ty::U64, Value::Number(n)) => lit(Literal::u64_unsuffixed(n.as_u64()?)),
            (Ty::F64, Value::Number(n)) => lit(Literal::f64_unsuffixed(n.as_f64()?)),
            (Ty::F32, Value::Number(n)) => {
                let f = n.as_f64()?;
                // Only values `f32` holds exactly: anything else would not re-encode the same.
                if f64::from(f as f32) != f {
                    return None;
                }
                lit(Literal::f32_unsuffixed(f as f32))
            }
            (Ty::DateTime, Value::String(s)) => quote!(#s.parse::<::chrono::DateTime<::chrono::Utc>>().expect("an RFC 3339 time")),
            (Ty::Uuid, Value::String(s)) => quote!(::uuid::Uuid::parse_str(#s).expect("a UUID")),
            (Ty::Epoch(unit), Value::Number(n)) => {
                let prefix = self.prefix;
                let name = format_ident!("{}", unit.rust_name());
                match unit {
                    EpochUnit::Millis => {
                        let n = Literal::i64_unsuffixed(n.as_i64()?);
                        quote!(#prefix avro_time::#name::from_millis(#n).expect("a time in range"))
                    }
                    EpochUnit::Micros => {
                        let n = Literal::i64_unsuffixed(n.as_i64()?);
                        quote!(#prefix avro_time::#name::from_micros(#n).expect("a time in range"))
                    }
                    EpochUnit::Days => {
                        let n = Literal::i32_unsuffixed(i32::try_from(n.as_i64()?).ok()?);
                        quote!(#prefix avro_time::#name::from_days(#n).expect("a date in range"))
                    }
                }
            }
            (Ty::Any, v) => {
                let json = json(v);
                quote!(::serde_json::json!(#json))
            }
            (Ty::Nullable(_), Value::Null) => quote!(::std::option::Option::None),
            (Ty::Nullable(inner), v) => {
                let inner = self.value(inner, v)?;
                quote!(::std::option::Option::Some(#inner))
            }
            (Ty::Vec(inner), Value::Array(items)) => {
                let items = items.iter().map(|i| self.value(inner, i)).collect::<Option<Vec<_>>>()?;
                if items.is_empty() {
                    quote!(::std::vec::Vec::new())
                } else {
                    quote!(::std::vec::Vec::from([#(#items),*]))
                }
            }
            (Ty::Tuple(types), Value::Array(items)) if types.len() == items.len() => {
                let items = types.iter().zip(items).map(|(t, i)| self.value(t, i)).collect::<Option<Vec<_>>>()?;
                quote!((#(#items,)*))
            }
            (Ty::Map(inner), Value::Object(entries)) => self.map(inner, entries.iter())?,
            (Ty::Named(id), v) => self.named(*id, v)?,
            _ => return None,
        })
    }

    fn map<'v>(&self, inner: &Ty, entries: impl Iterator<Item = (&'v String, &'v Value)>) -> Option<TokenStream> {
        let entries = entries
            .map(|(k, v)| {
                let v = self.value(inner, v)?;
                Some(quote!((::std::string::String::from(#k), #v)))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(if entries.is_empty() {
            quote!(::std::collections::BTreeMap::new())
        } else {
            quote!(::std::collections::BTreeMap::from([#(#entries),*]))
        })
    }

    fn named(&self, id: crate::ir::TypeId, v: &Value) -> Option<TokenStream> {
        let def = self.doc.type_def(id);
        let prefix = self.prefix;
        let name = format_ident!("{}", def.name);
        Some(match (&def.kind, v) {
            (Kind::Struct(st), Value::Object(o)) => self.structure(&name, st, o)?,
            (Kind::Enum { variants, open }, Value::String(s)) => match variants.iter().find(|x| x.wire == *s) {
                Some(x) => {
                    let variant = format_ident!("{}", x.rust);
                    quote!(#prefix #name::#variant)
                }
                None if *open => quote!(#prefix #name::Other(::std::string::String::from(#s))),
                None => return None,
            },
            (Kind::IntEnum { values }, Value::Number(n)) => {
                let n = n.as_i64().filter(|n| values.contains(n))?;
                let variant = super::models::int_variant(n);
                quote!(#prefix #name::#variant)
            }
            // A string constant is a one-variant enum, any other a unit struct.
            (Kind::Const { value }, v) if value == v && value.is_string() => quote!(#prefix #name::Value),
            (Kind::Const { value }, v) if value == v => quote!(#prefix #name),
            (Kind::Union(u), v) => self.union(&name, u, v)?,
            (Kind::Alias(inner), v) => self.value(inner, v)?,
            _ => return None,
        })
    }

    /// A struct literal naming every field: absent optional fields `None`, constants filled in.
    fn structure(&self, name: &syn::Ident, st: &Struct, o: &serde_json::Map<String, Value>) -> Option<TokenStream> {
        let prefix = self.prefix;
        let nullable = self.nullable;
        let mut fields = Vec::new();
        for f in &st.fields {
            let ident = format_ident!("{}", f.rust);
            let given = o.get(&f.wire);
            let one = |v: &Value| -> Option<TokenStream> {
                let built = self.value(&f.ty, v)?;
                Some(if f.boxed { quote!(::std::boxed::Box::new(#built)) } else { built })
            };
            let value = match (f.repr(), given) {
                (FieldRepr::Plain, Some(v)) => one(v)?,
                (FieldRepr::Plain | FieldRepr::RequiredNullable, None) => return None,
                (FieldRepr::RequiredNullable | FieldRepr::Optional, Some(Value::Null)) | (FieldRepr::Optional, None) => quote!(::std::option::Option::None),
                (FieldRepr::RequiredNullable | FieldRepr::Optional, Some(v)) => {
                    let v = one(v)?;
                    quote!(::std::option::Option::Some(#v))
                }
                (FieldRepr::TriState, None) => quote!(#nullable::Absent),
                (FieldRepr::TriState, Some(Value::Null)) => quote!(#nullable::Null),
                (FieldRepr::TriState, Some(v)) => {
                    let v = one(v)?;
                    quote!(#nullable::Value(#v))
                }
            };
            fields.push(quote!(#ident: #value,));
        }
        let undeclared = o.iter().filter(|(k, _)| !st.fields.iter().any(|f| f.wire == **k));
        match &st.extra {
            Extra::Deny | Extra::Ignore if undeclared.clone().next().is_some() => return None,
            Extra::Deny | Extra::Ignore => {}
            Extra::Keep { field, value } => {
                let ident = format_ident!("{}", field);
                let map = self.map(value, undeclared)?;
                fields.push(quote!(#ident: #map,));
            }
        }
        Some(quote!(#prefix #name { #(#fields)* }))
    }

    /// The variant the value decodes to: by its tag, else the first whose shape it fits.
    fn union(&self, name: &syn::Ident, u: &Union, v: &Value) -> Option<TokenStream> {
        let prefix = self.prefix;
        let (variant, inner) = match &u.tagging {
            Tagging::Property { property } => {
                let tag = v.get(property)?.as_str()?;
                let variant = u.variants.iter().find(|x| x.tag.as_deref() == Some(tag)).or_else(|| u.variants.iter().find(|x| x.tag.is_none()))?;
                (variant, self.value(&variant.ty, v)?)
            }
            Tagging::Adjacent { tag, content } => {
                let tag = v.get(tag)?.as_str()?;
                let variant = u.variants.iter().find(|x| x.tag.as_deref() == Some(tag))?;
                (variant, self.value(&variant.ty, v.get(content)?)?)
            }
            Tagging::Untagged => u.variants.iter().find_map(|x| Some((x, self.value(&x.ty, v)?)))?,
        };
        let ident = format_ident!("{}", variant.rust);
        let inner = if variant.boxed { quote!(::std::boxed::Box::new(#inner)) } else { inner };
        Some(quote!(#prefix #name::#ident(#inner)))
    }
}

fn lit(l: Literal) -> TokenStream {
    quote!(#l)
}

/// A JSON value as `serde_json::json!` input.
fn json(v: &Value) -> TokenStream {
    match v {
        Value::Null => quote!(null),
        Value::Bool(b) => quote!(#b),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => lit(Literal::i64_unsuffixed(i)),
            (None, Some(u), _) => lit(Literal::u64_unsuffixed(u)),
            (_, _, Some(f)) => lit(Literal::f64_unsuffixed(f)),
            _ => quote!(null),
        },
        Value::String(s) => quote!(#s),
        Value::Array(items) => {
            let items = items.iter().map(json);
            quote!([#(#items),*])
        }
        Value::Object(o) => {
            let entries = o.iter().map(|(k, v)| {
                let v = json(v);
                quote!(#k: #v)
            });
            quote!({ #(#entries),* })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document() -> (tempfile::TempDir, crate::ir::Ir) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("doc.yaml");
        std::fs::write(
            &path,
            "asyncapi: 3.0.0
info: {title: V, version: '1'}
channels:
  c:
    address: c
    messages:
      m:
        payload:
          type: object
          required: [kind, level]
          additionalProperties: false
          properties:
            kind: {const: reading}
            level: {type: integer}
            state: {type: string, enum: [on, off]}
            note: {type: [string, 'null']}
",
        )
        .expect("written");
        let (_, ir) = crate::load_ir(&[path], &crate::LoadOptions::default(), &crate::ir::IrOptions::default()).expect("loads");
        (dir, ir)
    }

    fn text(tokens: TokenStream) -> String {
        tokens.to_string().split_whitespace().collect()
    }

    #[test]
    fn a_value_is_written_as_the_literal_that_encodes_to_it() {
        let (_dir, ir) = document();
        let doc = &ir.documents[0];
        let ty = doc.messages[0].payload.clone().expect("a payload");
        let built = literal(doc, &ty, false, &json!({"kind": "reading", "level": 3, "state": "off", "note": null}), &Paths::in_crate()).expect("fits");
        let built = text(built);
        assert!(built.contains("kind:MPayloadKind::Value"), "{built}");
        assert!(built.contains("level:3"), "{built}");
        assert!(built.contains("state:::std::option::Option::Some(MPayloadState::Off)"), "{built}");
        assert!(built.contains("note:crate::rt::Nullable::Null"), "{built}");
    }

    #[test]
    fn a_value_that_does_not_fit_its_type_has_no_literal() {
        let (_dir, ir) = document();
        let doc = &ir.documents[0];
        let ty = doc.messages[0].payload.clone().expect("a payload");
        let paths = Paths::in_crate();
        // A wrong constant, a missing required field, an unknown key of a closed object, a value outside a closed enum.
        for value in [
            json!({"kind": "other", "level": 3}),
            json!({"kind": "reading"}),
            json!({"kind": "reading", "level": 3, "extra": 1}),
            json!({"kind": "reading", "level": 3, "state": "dim"}),
        ] {
            assert!(literal(doc, &ty, false, &value, &paths).is_none(), "{value}");
        }
    }
}
