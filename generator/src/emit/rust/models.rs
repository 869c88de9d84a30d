//! Message, header and schema types: structs, enums, unions, consts and aliases.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

use super::{docs, values};
use crate::ir::naming::Scope;
use crate::ir::{Derives, EnumVariant, Extra, Field, FieldRepr, IrDocument, Kind, Struct, Tagging, Ty, TypeDef, Union};

/// The Rust type of a type expression; `boxed` boxes the named type it mentions directly.
pub fn ty_tokens(doc: &IrDocument, ty: &Ty, boxed: bool) -> TokenStream {
    ty_path(doc, ty, boxed, &TokenStream::new())
}

/// Like [`ty_tokens`], with named types reached through `prefix` (e.g. `super::`).
pub fn ty_path(doc: &IrDocument, ty: &Ty, boxed: bool, prefix: &TokenStream) -> TokenStream {
    match ty {
        Ty::String => quote!(::std::string::String),
        Ty::Bool => quote!(bool),
        Ty::I32 => quote!(i32),
        Ty::I64 => quote!(i64),
        Ty::U32 => quote!(u32),
        Ty::U64 => quote!(u64),
        Ty::F32 => quote!(f32),
        Ty::F64 => quote!(f64),
        Ty::DateTime => quote!(::chrono::DateTime<::chrono::Utc>),
        Ty::Uuid => quote!(::uuid::Uuid),
        Ty::Epoch(unit) => {
            let name = format_ident!("{}", unit.rust_name());
            quote!(#prefix avro_time::#name)
        }
        Ty::Any => quote!(::serde_json::Value),
        Ty::Named(id) => {
            let name = format_ident!("{}", doc.type_def(*id).name);
            if boxed {
                quote!(::std::boxed::Box<#prefix #name>)
            } else {
                quote!(#prefix #name)
            }
        }
        Ty::Vec(inner) => {
            let t = ty_path(doc, inner, false, prefix);
            quote!(::std::vec::Vec<#t>)
        }
        Ty::Map(inner) => {
            let t = ty_path(doc, inner, false, prefix);
            quote!(::std::collections::BTreeMap<::std::string::String, #t>)
        }
        Ty::Tuple(items) => {
            let ts = items.iter().map(|i| ty_path(doc, i, false, prefix));
            quote!((#(#ts,)*))
        }
        Ty::Nullable(inner) => {
            let t = ty_path(doc, inner, boxed, prefix);
            quote!(::std::option::Option<#t>)
        }
    }
}

fn derive_attr(d: Derives, serde: bool, extra: &[&str]) -> TokenStream {
    let mut items = vec![quote!(Clone), quote!(Debug), quote!(PartialEq)];
    if d.eq {
        items.push(quote!(Eq));
    }
    if d.hash {
        items.push(quote!(Hash));
    }
    for e in extra {
        let i = format_ident!("{}", e);
        items.push(quote!(#i));
    }
    if serde {
        items.push(quote!(::serde::Serialize));
        items.push(quote!(::serde::Deserialize));
    }
    quote!(#[derive(#(#items),*)])
}

/// Every named type of a document.
pub fn emit(doc: &IrDocument) -> TokenStream {
    let items = doc.types.iter().enumerate().map(|(i, def)| emit_type(doc, def, doc.derives[i]));
    let avro_time = doc.uses(&|t| matches!(t, Ty::Epoch(_))).then(avro_time);
    quote! {
        #(#items)*
        #avro_time
    }
}

/// The wrappers of Avro date and time logical types as chrono values (`--chrono`).
fn avro_time() -> TokenStream {
    // (type, doc, constructor, accessor, chrono constructor, chrono accessor, unit): the two
    // instants differ only in their unit.
    let instants = [
        ("TimestampMillis", " Avro `timestamp-millis`: an instant, written as milliseconds since the Unix epoch.", "from_millis", "millis", "from_timestamp_millis", "timestamp_millis", "ms"),
        ("TimestampMicros", " Avro `timestamp-micros`: an instant, written as microseconds since the Unix epoch.", "from_micros", "micros", "from_timestamp_micros", "timestamp_micros", "µs"),
    ]
    .map(|(name, doc, from, get, chrono_from, chrono_get, unit)| {
        let (name, from, get) = (format_ident!("{name}"), format_ident!("{from}"), format_ident!("{get}"));
        let (chrono_from, chrono_get) = (format_ident!("{chrono_from}"), format_ident!("{chrono_get}"));
        let from_doc = format!(" The instant `{get}` {unit} after the epoch; `None` beyond chrono's range.");
        let get_doc = format!(" {unit} since the epoch.");
        let range = format!("{{n}} {unit} after the epoch is out of range");
        quote! {
            #[doc = #doc]
            #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
            pub struct #name(pub ::chrono::DateTime<::chrono::Utc>);

            impl #name {
                #[doc = #from_doc]
                pub fn #from(#get: i64) -> ::std::option::Option<Self> {
                    ::chrono::DateTime::#chrono_from(#get).map(Self)
                }
                #[doc = #get_doc]
                pub fn #get(&self) -> i64 {
                    self.0.#chrono_get()
                }
            }

            impl ::serde::Serialize for #name {
                fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                    serializer.serialize_i64(self.#get())
                }
            }

            impl<'de> ::serde::Deserialize<'de> for #name {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                    let n = <i64 as ::serde::Deserialize>::deserialize(deserializer)?;
                    Self::#from(n).ok_or_else(|| <D::Error as ::serde::de::Error>::custom(::std::format!(#range)))
                }
            }
        }
    });
    quote! {
        /// Avro date and time logical types as chrono values (`--chrono`). On the wire they stay the
        /// integers Avro writes: `timestamp-millis` and `timestamp-micros` count from the Unix epoch
        /// in UTC, `date` counts days.
        pub mod avro_time {
            #(#instants)*

            /// Avro `date`: a calendar date, written as days since 1970-01-01.
            #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
            pub struct Date(pub ::chrono::NaiveDate);

            /// 1970-01-01 counted from 0001-01-01 as day 1.
            const EPOCH_DAYS_FROM_CE: i32 = 719_163;

            impl Date {
                /// The date `days` after 1970-01-01; `None` beyond chrono's range.
                pub fn from_days(days: i32) -> ::std::option::Option<Self> {
                    ::chrono::NaiveDate::from_num_days_from_ce_opt(days.checked_add(EPOCH_DAYS_FROM_CE)?).map(Self)
                }
                /// Days since 1970-01-01.
                pub fn days(&self) -> i32 {
                    ::chrono::Datelike::num_days_from_ce(&self.0) - EPOCH_DAYS_FROM_CE
                }
            }

            impl ::serde::Serialize for Date {
                fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                    serializer.serialize_i32(self.days())
                }
            }

            impl<'de> ::serde::Deserialize<'de> for Date {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                    let days = <i32 as ::serde::Deserialize>::deserialize(deserializer)?;
                    Self::from_days(days).ok_or_else(|| <D::Error as ::serde::de::Error>::custom(::std::format!("{days} days after 1970-01-01 is out of range")))
                }
            }
        }
    }
}

fn emit_type(doc: &IrDocument, def: &TypeDef, derives: Derives) -> TokenStream {
    let name = format_ident!("{}", def.name);
    let docs = docs::attrs(def.doc.as_deref());
    match &def.kind {
        Kind::Struct(s) => emit_struct(doc, &name, docs, s, derives),
        Kind::Enum { variants, open: false } => emit_closed_enum(&name, docs, variants),
        Kind::Enum { variants, open: true } => emit_open_enum(&name, docs, variants),
        Kind::IntEnum { values } => emit_int_enum(&name, docs, values),
        Kind::Const { value } => emit_const(&name, docs, value),
        Kind::Union(u) => emit_union(doc, &name, docs, u, derives),
        Kind::Alias(ty) => {
            let t = ty_tokens(doc, ty, false);
            quote! { #docs pub type #name = #t; }
        }
    }
}

fn field_doc(f: &Field) -> TokenStream {
    let mut text = f.doc.clone().unwrap_or_default();
    if let Some(d) = &f.default {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(&format!("Default when absent: `{d}`."));
    }
    docs::attrs((!text.is_empty()).then_some(text.as_str()))
}

fn emit_struct(doc: &IrDocument, name: &syn::Ident, docs: TokenStream, s: &Struct, derives: Derives) -> TokenStream {
    let deny = (s.extra == Extra::Deny).then(|| quote!(#[serde(deny_unknown_fields)]));
    let fields = s.fields.iter().map(|f| {
        let ident = format_ident!("{}", f.rust);
        let fdoc = field_doc(f);
        let wire = &f.wire;
        let rename = (f.rust != f.wire).then(|| quote!(#[serde(rename = #wire)]));
        let inner = ty_tokens(doc, &f.ty, f.boxed);
        let (ty, attr) = match f.repr() {
            FieldRepr::Plain => (inner, quote!()),
            FieldRepr::RequiredNullable => (
                quote!(::std::option::Option<#inner>),
                quote!(#[serde(deserialize_with = "crate::rt::required_nullable")]),
            ),
            FieldRepr::Optional => (
                quote!(::std::option::Option<#inner>),
                quote!(#[serde(default, skip_serializing_if = "::std::option::Option::is_none")]),
            ),
            FieldRepr::TriState => (
                quote!(crate::rt::Nullable<#inner>),
                quote!(#[serde(default, skip_serializing_if = "crate::rt::Nullable::is_absent")]),
            ),
        };
        quote! { #fdoc #rename #attr pub #ident: #ty, }
    });
    let extra = match &s.extra {
        Extra::Keep { field, value } => {
            let ident = format_ident!("{}", field);
            let t = ty_tokens(doc, value, false);
            quote! {
                /// Properties the schema does not declare, kept as they arrived.
                #[serde(flatten)]
                pub #ident: ::std::collections::BTreeMap<::std::string::String, #t>,
            }
        }
        _ => quote!(),
    };
    let derive = derive_attr(derives, true, if derives.default { &["Default"] } else { &[] });
    let builder_name = s.builder.as_ref().map(|b| format_ident!("{}", b));
    let mut methods: Vec<TokenStream> = match &builder_name {
        Some(b) => vec![builder_method(b)],
        None => constructor(doc, name, s).into_iter().collect(),
    };
    methods.extend(default_accessors(doc, s));
    let accessors = (!methods.is_empty()).then(|| quote! { impl #name { #(#methods)* } });
    let builder = builder_name.map(|b| builder(doc, name, &b, s));
    quote! {
        #docs
        #derive
        #deny
        pub struct #name { #(#fields)* #extra }
        #accessors
        #builder
    }
}

/// The initialiser of a struct's map of undeclared properties, empty; nothing when it has none.
pub(super) fn empty_extra(s: &Struct) -> TokenStream {
    match &s.extra {
        Extra::Keep { field, .. } => {
            let ident = format_ident!("{}", field);
            quote!(#ident: ::std::default::Default::default(),)
        }
        Extra::Deny | Extra::Ignore => quote!(),
    }
}

/// `new(required fields)`: optional fields `None`, const tags filled in. None when no field is
/// required (then `Default` builds the struct).
fn constructor(doc: &IrDocument, name: &syn::Ident, s: &Struct) -> Option<TokenStream> {
    let params: Vec<&Field> = s.fields.iter().filter(|f| f.required && !f.is_const(&doc.types)).collect();
    if params.is_empty() {
        return None;
    }
    let args = params.iter().map(|f| {
        let ident = format_ident!("{}", f.rust);
        let inner = ty_tokens(doc, &f.ty, false);
        match (&f.ty, f.nullable) {
            (Ty::String, false) => quote!(#ident: impl ::std::convert::Into<::std::string::String>),
            (_, false) => quote!(#ident: #inner),
            (_, true) => quote!(#ident: ::std::option::Option<#inner>),
        }
    });
    let inits = s.fields.iter().map(|f| {
        let ident = format_ident!("{}", f.rust);
        // Optional fields start absent; constant tags hold their one value.
        let value = if !f.required || f.is_const(&doc.types) {
            quote!(::std::default::Default::default())
        } else {
            match (&f.ty, f.boxed, f.nullable) {
                (Ty::String, _, false) => quote!(#ident.into()),
                (_, true, false) => quote!(::std::boxed::Box::new(#ident)),
                (_, true, true) => quote!(#ident.map(::std::boxed::Box::new)),
                _ => return quote!(#ident,),
            }
        };
        quote!(#ident: #value,)
    });
    let extra = empty_extra(s);
    let doc_line = format!(" Builds `{name}` from its required fields: optional fields are `None`, constant tags filled in.");
    Some(quote! {
        #[doc = #doc_line]
        pub fn new(#(#args),*) -> Self {
            #name { #(#inits)* #extra }
        }
    })
}

/// `Name::builder()`, for structs with many required fields.
fn builder_method(builder: &syn::Ident) -> TokenStream {
    let note = format!(" A [`{builder}`]: set the fields, then `build` (which checks the required ones are set).");
    quote! {
        #[doc = #note]
        pub fn builder() -> #builder {
            ::std::default::Default::default()
        }
    }
}

/// `NameBuilder`: one setter per field (constants excepted), `build` failing with the first
/// required field left unset.
fn builder(doc: &IrDocument, name: &syn::Ident, builder: &syn::Ident, s: &Struct) -> TokenStream {
    let settable: Vec<&Field> = s.fields.iter().filter(|f| !f.is_const(&doc.types)).collect();
    let mut setters = Scope::with_reserved(&["build"]);
    let slots = settable.iter().map(|f| {
        let ident = format_ident!("{}", f.rust);
        let inner = ty_tokens(doc, &f.ty, f.boxed);
        let ty = match f.repr() {
            FieldRepr::Plain | FieldRepr::Optional => quote!(::std::option::Option<#inner>),
            FieldRepr::RequiredNullable => quote!(::std::option::Option<::std::option::Option<#inner>>),
            FieldRepr::TriState => quote!(crate::rt::Nullable<#inner>),
        };
        quote!(#ident: #ty,)
    });
    let methods = settable.iter().map(|f| {
        let field = format_ident!("{}", f.rust);
        let method = format_ident!("{}", setters.claim(&f.rust));
        let inner = ty_tokens(doc, &f.ty, false);
        let wrap = |v: TokenStream| if f.boxed { quote!(::std::boxed::Box::new(#v)) } else { v };
        let (param, store) = match (f.repr(), &f.ty) {
            (FieldRepr::Plain | FieldRepr::Optional, Ty::String) => (quote!(value: impl ::std::convert::Into<::std::string::String>), quote!(::std::option::Option::Some(value.into()))),
            (FieldRepr::Plain | FieldRepr::Optional, _) => {
                let v = wrap(quote!(value));
                (quote!(value: #inner), quote!(::std::option::Option::Some(#v)))
            }
            (FieldRepr::RequiredNullable, _) => {
                let v = wrap(quote!(v));
                (quote!(value: ::std::option::Option<#inner>), quote!(::std::option::Option::Some(value.map(|v| #v))))
            }
            (FieldRepr::TriState, _) => {
                let v = wrap(quote!(v));
                (quote!(value: crate::rt::Nullable<#inner>), quote!(value.map(|v| #v)))
            }
        };
        let note = format!(" Sets `{}`.", f.wire);
        quote! {
            #[doc = #note]
            pub fn #method(mut self, #param) -> Self {
                self.#field = #store;
                self
            }
        }
    });
    let inits = s.fields.iter().map(|f| {
        let ident = format_ident!("{}", f.rust);
        let wire = &f.wire;
        if f.is_const(&doc.types) {
            quote!(#ident: ::std::default::Default::default(),)
        } else if f.required {
            quote!(#ident: self.#ident.ok_or(crate::rt::MissingField(#wire))?,)
        } else {
            quote!(#ident: self.#ident,)
        }
    });
    let extra = empty_extra(s);
    let note = format!(" Builds a [`{name}`] field by field; constant tags are filled in.");
    quote! {
        #[doc = #note]
        #[derive(Clone, Debug, Default)]
        #[must_use]
        pub struct #builder { #(#slots)* }
        impl #builder {
            #(#methods)*
            /// The struct, or the first required field left unset.
            pub fn build(self) -> ::std::result::Result<#name, crate::rt::MissingField> {
                ::std::result::Result::Ok(#name { #(#inits)* #extra })
            }
        }
    }
}

/// `field_or_default()` for optional, non-nullable fields whose schema gives a default.
fn default_accessors(doc: &IrDocument, s: &Struct) -> Vec<TokenStream> {
    s.fields
        .iter()
        .filter(|f| !f.required && !f.nullable && !f.boxed)
        .filter_map(|f| {
            let default = f.default.as_ref()?;
            let field = format_ident!("{}", f.rust);
            let method = format_ident!("{}_or_default", f.rust.trim_end_matches('_'));
            let ty = ty_tokens(doc, &f.ty, false);
            // Scalars and string enums: a value the accessor can hand out cheaply.
            let scalar = match &f.ty {
                Ty::String | Ty::Bool | Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64 | Ty::F32 | Ty::F64 => true,
                Ty::Named(id) => matches!(doc.type_def(*id).kind, Kind::Enum { .. }),
                _ => false,
            };
            let value = scalar.then(|| values::literal(doc, &f.ty, false, default, &values::Paths::in_crate())).flatten()?;
            let note = format!(" `{}`, or the schema default `{default}` when absent.", f.wire);
            let copy = match &f.ty {
                Ty::String => false,
                Ty::Named(id) => matches!(doc.type_def(*id).kind, Kind::Enum { open: false, .. }),
                _ => true,
            };
            let body = if copy {
                quote!(self.#field.unwrap_or(#value))
            } else {
                quote!(self.#field.clone().unwrap_or_else(|| #value))
            };
            Some(quote! {
                #[doc = #note]
                pub fn #method(&self) -> #ty {
                    #body
                }
            })
        })
        .collect()
}

fn enum_common(name: &syn::Ident, variants: &[EnumVariant], open: bool) -> TokenStream {
    let arms = variants.iter().map(|v| {
        let ident = format_ident!("{}", v.rust);
        let wire = &v.wire;
        quote!(Self::#ident => #wire,)
    });
    let other = open.then(|| quote!(Self::Other(value) => value.as_str(),));
    quote! {
        impl #name {
            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self { #(#arms)* #other }
            }
        }
        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    }
}

fn emit_closed_enum(name: &syn::Ident, docs: TokenStream, variants: &[EnumVariant]) -> TokenStream {
    let vs = variants.iter().map(|v| {
        let ident = format_ident!("{}", v.rust);
        let wire = &v.wire;
        quote!(#[serde(rename = #wire)] #ident,)
    });
    let common = enum_common(name, variants, false);
    quote! {
        #docs
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        pub enum #name { #(#vs)* }
        #common
    }
}

fn emit_open_enum(name: &syn::Ident, docs: TokenStream, variants: &[EnumVariant]) -> TokenStream {
    let vs = variants.iter().map(|v| {
        let ident = format_ident!("{}", v.rust);
        let wire = format!(" `{}`", v.wire);
        quote!(#[doc = #wire] #ident,)
    });
    let from_arms = variants.iter().map(|v| {
        let ident = format_ident!("{}", v.rust);
        let wire = &v.wire;
        quote!(#wire => Self::#ident,)
    });
    let common = enum_common(name, variants, true);
    quote! {
        #docs
        ///
        /// This enum is open: values the spec does not list are kept in `Other` and re-encoded unchanged.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum #name {
            #(#vs)*
            /// A value the spec does not list, kept verbatim.
            Other(::std::string::String),
        }
        #common
        impl ::std::convert::From<::std::string::String> for #name {
            fn from(value: ::std::string::String) -> Self {
                match value.as_str() {
                    #(#from_arms)*
                    _ => Self::Other(value),
                }
            }
        }
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                <::std::string::String as ::serde::Deserialize>::deserialize(deserializer).map(Self::from)
            }
        }
    }
}

pub(super) fn int_variant(v: i64) -> syn::Ident {
    if v < 0 {
        format_ident!("VMinus{}", v.unsigned_abs())
    } else {
        format_ident!("V{}", v.unsigned_abs())
    }
}

fn emit_int_enum(name: &syn::Ident, docs: TokenStream, values: &[i64]) -> TokenStream {
    let idents: Vec<syn::Ident> = values.iter().map(|v| int_variant(*v)).collect();
    let lits: Vec<Literal> = values.iter().map(|v| Literal::i64_unsuffixed(*v)).collect();
    let expected = values.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let expected = format!("unexpected value {{}}, expected one of {expected}");
    let vdocs = values.iter().map(|v| format!(" `{v}`"));
    quote! {
        #docs
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum #name { #( #[doc = #vdocs] #idents, )* }
        impl #name {
            /// The integer on the wire.
            pub fn value(self) -> i64 {
                match self { #( Self::#idents => #lits, )* }
            }
        }
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_i64(self.value())
            }
        }
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                match <i64 as ::serde::Deserialize>::deserialize(deserializer)? {
                    #( #lits => ::std::result::Result::Ok(Self::#idents), )*
                    other => ::std::result::Result::Err(<D::Error as ::serde::de::Error>::custom(::std::format!(#expected, other))),
                }
            }
        }
    }
}

fn emit_const(name: &syn::Ident, docs: TokenStream, value: &Value) -> TokenStream {
    match value {
        Value::String(s) => {
            let note = format!(" Always `{s}`; any other value is rejected when decoding.");
            quote! {
                #docs
                #[doc = #note]
                #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
                pub enum #name {
                    #[default]
                    #[serde(rename = #s)]
                    Value,
                }
                impl #name {
                    /// The only value on the wire.
                    pub const VALUE: &'static str = #s;
                }
            }
        }
        other => {
            let json = other.to_string();
            let note = format!(" Always `{json}`; any other value is rejected when decoding.");
            let expected = format!("expected {json}, found {{}}");
            quote! {
                #docs
                #[doc = #note]
                #[derive(Clone, Copy, Debug, Default, PartialEq)]
                pub struct #name;
                impl #name {
                    /// The only value on the wire, as JSON.
                    pub const JSON: &'static str = #json;
                    fn value() -> ::serde_json::Value {
                        ::serde_json::from_str(Self::JSON).unwrap_or(::serde_json::Value::Null)
                    }
                }
                impl ::serde::Serialize for #name {
                    fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                        ::serde::Serialize::serialize(&Self::value(), serializer)
                    }
                }
                impl<'de> ::serde::Deserialize<'de> for #name {
                    fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                        let found = <::serde_json::Value as ::serde::Deserialize>::deserialize(deserializer)?;
                        if crate::rt::json_eq(&found, &Self::value()) {
                            ::std::result::Result::Ok(Self)
                        } else {
                            ::std::result::Result::Err(<D::Error as ::serde::de::Error>::custom(::std::format!(#expected, found)))
                        }
                    }
                }
            }
        }
    }
}

fn emit_union(doc: &IrDocument, name: &syn::Ident, docs: TokenStream, u: &Union, derives: Derives) -> TokenStream {
    let variants: Vec<TokenStream> = u
        .variants
        .iter()
        .map(|v| {
            let ident = format_ident!("{}", v.rust);
            let t = ty_tokens(doc, &v.ty, v.boxed);
            let rename = match (&u.tagging, &v.tag) {
                (Tagging::Adjacent { .. }, Some(tag)) => quote!(#[serde(rename = #tag)]),
                _ => quote!(),
            };
            let vdoc = match &v.tag {
                Some(tag) => format!(" `{tag}`"),
                None => String::from(" Decoded when no other variant's tag matches."),
            };
            quote!(#[doc = #vdoc] #rename #ident(#t),)
        })
        .collect();
    match &u.tagging {
        Tagging::Untagged => {
            let derive = derive_attr(derives, true, &[]);
            let order = u.variants.iter().map(|v| v.rust.as_str()).collect::<Vec<_>>().join(", ");
            let note = format!(" Untagged: decoding tries the variants in this order and keeps the first that fits: {order}.");
            quote! {
                #docs
                ///
                #[doc = #note]
                #derive
                #[serde(untagged)]
                pub enum #name { #(#variants)* }
            }
        }
        Tagging::Adjacent { tag, content } => {
            let derive = derive_attr(derives, true, &[]);
            quote! {
                #docs
                #derive
                #[serde(tag = #tag, content = #content)]
                pub enum #name { #(#variants)* }
            }
        }
        Tagging::Property { property } => emit_property_union(doc, name, docs, u, property, variants, derives),
    }
}

/// A union told apart by a property every variant keeps; decoding dispatches on its value.
fn emit_property_union(
    _doc: &IrDocument,
    name: &syn::Ident,
    docs: TokenStream,
    u: &Union,
    property: &str,
    variants: Vec<TokenStream>,
    derives: Derives,
) -> TokenStream {
    let derive = derive_attr(derives, false, &[]);
    let idents: Vec<syn::Ident> = u.variants.iter().map(|v| format_ident!("{}", v.rust)).collect();
    // Variants sharing a tag value are tried in order, the last one's error reported.
    let tagged = crate::ir::schema::tag_groups(&u.variants).into_iter().map(|(tag, members)| {
        let idents: Vec<syn::Ident> = members.iter().map(|v| format_ident!("{}", v.rust)).collect();
        let (last, earlier) = idents.split_last().expect("a tag group has a member");
        let mut expr = quote!(::serde_json::from_value(value).map(Self::#last));
        for ident in earlier.iter().rev() {
            expr = quote!(::serde_json::from_value(value.clone()).map(Self::#ident).or_else(|_| #expr));
        }
        quote! {
            ::std::option::Option::Some(#tag) => #expr.map_err(<D::Error as ::serde::de::Error>::custom),
        }
    });
    let known = u.variants.iter().filter_map(|v| v.tag.as_deref()).map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ");
    let fallback = match u.variants.iter().find(|v| v.tag.is_none()) {
        Some(v) => {
            let ident = format_ident!("{}", v.rust);
            quote!(_ => ::serde_json::from_value(value).map(Self::#ident).map_err(<D::Error as ::serde::de::Error>::custom),)
        }
        None => {
            let unknown = format!("unknown `{property}` value `{{}}`, expected one of {known}");
            let missing = format!("missing or non-string `{property}`, expected one of {known}");
            quote! {
                ::std::option::Option::Some(other) => ::std::result::Result::Err(<D::Error as ::serde::de::Error>::custom(::std::format!(#unknown, other))),
                ::std::option::Option::None => ::std::result::Result::Err(<D::Error as ::serde::de::Error>::custom(#missing)),
            }
        }
    };
    let note = format!(" Tagged by the `{property}` property, which each variant keeps.");
    quote! {
        #docs
        ///
        #[doc = #note]
        #derive
        pub enum #name { #(#variants)* }
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                match self { #( Self::#idents(inner) => ::serde::Serialize::serialize(inner, serializer), )* }
            }
        }
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(deserializer)?;
                let tag = value.get(#property).and_then(::serde_json::Value::as_str).map(::std::string::ToString::to_string);
                match tag.as_deref() {
                    #(#tagged)*
                    #fallback
                }
            }
        }
    }
}
