//! Kafka bindings per document: topic specs from the bindings, a typed producer with one send per
//! message, and a typed consumer per topic. The shared machinery is in the runtime crate
//! (`asyncapi-runtime`, feature `kafka`).

use heck::{ToShoutySnakeCase, ToSnakeCase};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::models::ty_path;
use crate::ir::kafka::{HeaderMode, KafkaTopic, KeySource, SchemaIdLocation};
use crate::ir::naming::{type_name, Scope};
use crate::ir::{IrDocument, IrMessage, Kind, Tagging, Ty, TypeId};

/// The generated headers struct of a message, when its sends take typed headers.
pub fn typed_headers(m: &IrMessage) -> Option<TypeId> {
    match m.kafka_headers {
        HeaderMode::Typed(id) => Some(id),
        _ => None,
    }
}

/// Whether values of a type are JSON strings (sent as raw UTF-8 header values).
fn is_string_like(doc: &IrDocument, ty: &Ty) -> bool {
    match ty {
        Ty::String | Ty::DateTime | Ty::Uuid => true,
        Ty::Named(id) => match &doc.type_def(*id).kind {
            Kind::Enum { .. } => true,
            Kind::Const { value } => value.is_string(),
            Kind::Alias(inner) => is_string_like(doc, inner),
            _ => false,
        },
        _ => false,
    }
}

fn key_expr(key: &KeySource) -> TokenStream {
    match key {
        KeySource::None => quote!(::std::option::Option::None),
        KeySource::Field { rust, .. } => {
            let f = format_ident!("{}", rust);
            quote!(crate::rt::kafka::key_text(&record.#f))
        }
        KeySource::Const(value) => quote!(::std::option::Option::Some(::std::string::String::from(#value))),
        KeySource::Explicit => quote!(::std::option::Option::Some(key.into())),
    }
}

fn key_doc(key: &KeySource) -> String {
    match key {
        KeySource::None => String::from("Records carry no key."),
        KeySource::Field { wire, .. } => format!("The record key is the `{wire}` property (`x-key-field`)."),
        KeySource::Const(value) => format!("The record key is always `{value}`."),
        KeySource::Explicit => String::from("The key binding gives no way to derive the key, so the caller passes it."),
    }
}

/// The method names of the typed sends, per topic and produced message.
pub fn send_methods(doc: &IrDocument) -> Vec<Vec<String>> {
    let mut scope = Scope::with_reserved(&["new", "raw", "send_batch", "flush"]);
    let mut repeats = std::collections::BTreeMap::<usize, usize>::new();
    for t in &doc.kafka {
        for (mi, _) in &t.produced {
            *repeats.entry(*mi).or_default() += 1;
        }
    }
    doc.kafka
        .iter()
        .map(|t| {
            t.produced
                .iter()
                .map(|(mi, _)| {
                    let base = doc.messages[*mi].rust.to_snake_case();
                    let wanted = if repeats[mi] > 1 { format!("send_{base}_to_{}", t.name.to_snake_case()) } else { format!("send_{base}") };
                    scope.claim(&wanted)
                })
                .collect()
        })
        .collect()
}

fn send_method(doc: &IrDocument, topic: &KafkaTopic, mi: usize, key: &KeySource, name: &str, avro: &std::collections::BTreeMap<usize, syn::Ident>) -> TokenStream {
    let m = &doc.messages[mi];
    let prefix = quote!(super::);
    let ty = ty_path(doc, m.payload.as_ref().expect("produced messages have payloads"), false, &prefix);
    let method = format_ident!("{}", name);
    let topic_name = &topic.name;
    let key_value = key_expr(key);
    let key_param = (*key == KeySource::Explicit).then(|| quote!(key: impl ::std::convert::Into<::std::string::String>,));
    let (headers_param, headers_value) = match m.kafka_headers {
        HeaderMode::None => (None, quote!(crate::rt::kafka::Headers::new())),
        HeaderMode::Typed(id) => {
            let h = ty_path(doc, &Ty::Named(id), false, &prefix);
            (
                Some(quote!(headers: &#h,)),
                quote!(match crate::rt::kafka::KafkaHeaders::to_kafka(headers) {
                    ::std::result::Result::Ok(headers) => headers,
                    ::std::result::Result::Err(e) => {
                        return ::std::result::Result::Err(crate::rt::kafka::SendError { record, failure: crate::rt::kafka::SendFailure::Encode(e) })
                    }
                }),
            )
        }
        HeaderMode::Raw => (Some(quote!(headers: crate::rt::kafka::Headers,)), quote!(headers)),
    };
    let label = m.name.as_deref().unwrap_or(&m.key);
    let summary = format!(" Sends `{label}` to `{topic_name}` and waits for the broker's confirmation.");
    let key_line = format!(" {}", key_doc(key));
    let (send, encoding) = match (topic.avro.get(&mi), avro.get(&mi)) {
        (Some(location), Some(schema)) => (
            quote!(self.inner.send_avro(record, &#schema, #topic_name, key, headers).await),
            Some(format!(" The value is binary Avro of [`{schema}`]{}.", id_doc(*location))),
        ),
        _ => (quote!(self.inner.send_value(record, #topic_name, key, headers).await), None),
    };
    let encoding = encoding.map(|line| quote!(#[doc = #line]));
    quote! {
        #[doc = #summary]
        ///
        #[doc = #key_line]
        #encoding
        /// On failure the record comes back in the error.
        pub async fn #method(&self, record: #ty, #key_param #headers_param) -> ::std::result::Result<crate::rt::kafka::Delivered, crate::rt::kafka::SendError<#ty>> {
            let key = #key_value;
            let headers = #headers_value;
            #send
        }
    }
}

/// How a send's docs say where the schema id goes.
fn id_doc(location: SchemaIdLocation) -> &'static str {
    match location {
        SchemaIdLocation::None => ", with no schema id",
        SchemaIdLocation::Payload => ", after the schema-id frame (magic byte 0 and the 4-byte id set with `KafkaConfig::schema_id`)",
        SchemaIdLocation::PayloadLong => ", after the schema-id frame (magic byte 0 and the 8-byte id set with `KafkaConfig::schema_id`)",
        SchemaIdLocation::Header => ", with the id set with `KafkaConfig::schema_id` in the `apicurio.value.globalId` header",
    }
}

/// The statics holding the Avro writer schemas, by message index.
pub fn avro_statics(doc: &IrDocument) -> std::collections::BTreeMap<usize, syn::Ident> {
    let mut reserved: Vec<String> = topic_consts(doc).iter().map(ToString::to_string).collect();
    reserved.extend(["TOPICS", "DEFAULT_BROKERS", "AVRO_SCHEMAS"].map(String::from));
    let reserved: Vec<&str> = reserved.iter().map(String::as_str).collect();
    let mut scope = Scope::with_reserved(&reserved);
    let mut out = std::collections::BTreeMap::new();
    for mi in doc.kafka.iter().flat_map(|t| t.avro.keys()) {
        if !out.contains_key(mi) {
            let name = scope.claim(&format!("{}_AVRO", doc.messages[*mi].rust.to_shouty_snake_case()));
            out.insert(*mi, format_ident!("{}", name));
        }
    }
    out
}

/// The writer-schema statics and the list of them, for a document with Avro topics.
fn avro_schema_items(doc: &IrDocument, statics: &std::collections::BTreeMap<usize, syn::Ident>) -> Option<TokenStream> {
    if statics.is_empty() {
        return None;
    }
    let location = |mi: usize| doc.kafka.iter().find_map(|t| t.avro.get(&mi)).copied().unwrap_or(SchemaIdLocation::None);
    let items = statics.iter().map(|(mi, ident)| {
        let m = &doc.messages[*mi];
        let (name, writer) = m.avro_writer.clone().unwrap_or_default();
        let name = name.unwrap_or_else(|| m.key.clone());
        let json = serde_json::to_string(&writer).unwrap_or_default();
        let location = match location(*mi) {
            SchemaIdLocation::None => quote!(None),
            SchemaIdLocation::Payload => quote!(Payload),
            SchemaIdLocation::PayloadLong => quote!(PayloadLong),
            SchemaIdLocation::Header => quote!(Header),
        };
        let line = format!(" Avro writer schema of `{}`, registered as `{name}`.", m.name.as_deref().unwrap_or(&m.key));
        quote! {
            #[doc = #line]
            pub static #ident: crate::rt::avro::AvroSchema = crate::rt::avro::AvroSchema::new(#name, #json, crate::rt::avro::SchemaIdLocation::#location);
        }
    });
    let all = statics.values();
    Some(quote! {
        #(#items)*
        /// Every Avro writer schema of the document, to register with a schema registry.
        pub static AVRO_SCHEMAS: &[&crate::rt::avro::AvroSchema] = &[#(&#all),*];
    })
}

/// `TopicMessage::decode_record` for a topic of Avro messages: the schema is the one whose
/// configured id the record carries, else the first that reads the whole value; the value then
/// decodes into that message's type.
fn avro_decode(doc: &IrDocument, topic: &KafkaTopic, consumed: TypeId, statics: &std::collections::BTreeMap<usize, syn::Ident>) -> TokenStream {
    let prefix = quote!(super::);
    let schemas: Vec<usize> = match &doc.type_def(consumed).kind {
        Kind::Union(u) => u.variants.iter().filter_map(|v| topic.avro.keys().find(|mi| doc.messages[**mi].rust == v.rust).copied()).collect(),
        _ => topic.avro.keys().filter(|mi| doc.messages[**mi].payload.as_ref().and_then(Ty::direct_named) == Some(consumed)).copied().collect(),
    };
    let idents = schemas.iter().map(|mi| &statics[mi]);
    let arms = schemas.iter().enumerate().map(|(i, mi)| {
        let value = match &doc.type_def(consumed).kind {
            Kind::Union(u) if !matches!(u.tagging, Tagging::Adjacent { .. }) => {
                let v = u.variants.iter().find(|v| v.rust == doc.messages[*mi].rust).expect("a variant per message");
                let variant = format_ident!("{}", v.rust);
                let ty = ty_path(doc, &v.ty, false, &prefix);
                let wrap = if v.boxed { quote!(|v| Self::#variant(::std::boxed::Box::new(v))) } else { quote!(Self::#variant) };
                quote!(::serde_json::from_value::<#ty>(value).map(#wrap))
            }
            _ => quote!(::serde_json::from_value::<Self>(value)),
        };
        quote!(#i => #value,)
    });
    quote! {
        fn decode(bytes: &[u8]) -> ::std::result::Result<Self, ::serde_json::Error> {
            let ids = ::std::collections::BTreeMap::new();
            let context = crate::rt::kafka::RecordContext { headers: &[], schema_ids: &ids };
            Self::decode_record(bytes, &context).map_err(<::serde_json::Error as ::serde::de::Error>::custom)
        }
        fn decode_record(payload: &[u8], context: &crate::rt::kafka::RecordContext<'_>) -> ::std::result::Result<Self, ::std::string::String> {
            let (index, value) = crate::rt::avro::decode_any(&[#(&#idents),*], &|name| context.schema_id(name), payload, context.headers).map_err(|e| e.to_string())?;
            let decoded = match index {
                #(#arms)*
                _ => return ::std::result::Result::Err(::std::format!("no message type for Avro schema {index}")),
            };
            decoded.map_err(|e| e.to_string())
        }
    }
}

/// `KafkaMessage` for the union of the messages sent to a topic, so whole batches can be sent.
/// Left out when a variant needs headers or a caller-supplied key, or wraps an envelope's content.
fn batch_impl(doc: &IrDocument, topic: &KafkaTopic) -> Option<TokenStream> {
    let union_id = topic.produced_type?;
    // Avro records are encoded with their message's schema: sent by the typed sends only.
    if !topic.avro.is_empty() {
        return None;
    }
    let Kind::Union(u) = &doc.type_def(union_id).kind else { return None };
    if u.variants.len() != topic.produced.len() {
        return None;
    }
    let enveloped = matches!(u.tagging, Tagging::Adjacent { .. });
    let mut arms = Vec::new();
    for (v, (mi, key)) in u.variants.iter().zip(&topic.produced) {
        let m = &doc.messages[*mi];
        if m.headers.is_some() || *key == KeySource::Explicit || (enveloped && matches!(key, KeySource::Field { .. })) {
            return None;
        }
        let variant = format_ident!("{}", v.rust);
        let value = key_expr(key);
        let binding = if matches!(key, KeySource::Field { .. }) { quote!(record) } else { quote!(_) };
        arms.push(quote!(Self::#variant(#binding) => #value,));
    }
    let union = format_ident!("{}", doc.type_def(union_id).name);
    let topic_name = &topic.name;
    Some(quote! {
        impl crate::rt::kafka::KafkaMessage for super::#union {
            fn topic(&self) -> &'static str {
                #topic_name
            }
            fn key(&self) -> ::std::option::Option<::std::string::String> {
                match self {
                    #(#arms)*
                }
            }
        }
    })
}

fn headers_impls(doc: &IrDocument) -> Vec<TokenStream> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for t in &doc.kafka {
        for (mi, _) in &t.produced {
            let HeaderMode::Typed(id) = doc.messages[*mi].kafka_headers else { continue };
            if !seen.insert(id) {
                continue;
            }
            let Kind::Struct(st) = &doc.type_def(id).kind else { continue };
            let strings: Vec<&str> = st.fields.iter().filter(|f| is_string_like(doc, &f.ty)).map(|f| f.wire.as_str()).collect();
            let name = format_ident!("{}", doc.type_def(id).name);
            out.push(quote! {
                impl crate::rt::kafka::KafkaHeaders for super::#name {
                    const STRING_HEADERS: &'static [&'static str] = &[#(#strings),*];
                }
            });
        }
    }
    out
}

/// `TopicMessage::decode` for a union tagged by a property: read only the tag, then decode the
/// bytes straight into that variant (no intermediate `serde_json::Value`). Anything else (no tag,
/// an unknown one, not an object) goes through the union's own decoder and its error messages.
fn tagged_decode(doc: &IrDocument, union_id: TypeId) -> Option<TokenStream> {
    let Kind::Union(u) = &doc.type_def(union_id).kind else { return None };
    let Tagging::Property { property } = &u.tagging else { return None };
    let arms: Vec<TokenStream> = u
        .variants
        .iter()
        .filter_map(|v| {
            let tag = v.tag.as_ref()?;
            let variant = format_ident!("{}", v.rust);
            let ty = ty_path(doc, &v.ty, false, &quote!(super::));
            let wrap = if v.boxed { quote!(|v| Self::#variant(::std::boxed::Box::new(v))) } else { quote!(Self::#variant) };
            Some(quote!(::std::option::Option::Some(#tag) => ::serde_json::from_str::<#ty>(text).map(#wrap),))
        })
        .collect();
    if arms.is_empty() {
        return None;
    }
    let tag_reader = super::tag_reader(property);
    Some(quote! {
        fn decode(bytes: &[u8]) -> ::std::result::Result<Self, ::serde_json::Error> {
            #tag_reader
            // UTF-8 checked once for both passes; bytes that are not UTF-8 get `serde_json`'s located error.
            let ::std::result::Result::Ok(text) = ::std::str::from_utf8(bytes) else {
                return ::serde_json::from_slice(bytes);
            };
            match ::serde_json::from_str::<Tag<'_>>(text) {
                ::std::result::Result::Ok(tag) => match tag.tag.as_deref() {
                    #(#arms)*
                    _ => ::serde_json::from_str(text),
                },
                ::std::result::Result::Err(_) => ::serde_json::from_str(text),
            }
        }
    })
}

/// The topic constants' names, in topic order.
pub fn topic_consts(doc: &IrDocument) -> Vec<syn::Ident> {
    let mut scope = Scope::with_reserved(&["TOPICS", "DEFAULT_BROKERS"]);
    doc.kafka.iter().map(|t| format_ident!("{}", scope.claim(&t.name.to_shouty_snake_case()))).collect()
}

/// The consumer aliases' names, in topic order (`None` when the topic has no decodable messages).
/// Runtime types every document's `kafka` module re-exports, so applications need one path.
const REEXPORTS: &[&str] = &[
    "AdminError", "ConsumeError", "DecodeError", "Delivered", "Error", "ErrorCode", "Headers", "KafkaConfig", "KafkaHeaders",
    "KafkaMessage", "Position", "RawRecord", "Received", "RecordContext", "SendError", "SendFailure", "StartFrom", "TopicConsumer",
    "TopicMessage", "TopicOverrides", "TopicStatus",
];

pub fn consumer_names(doc: &IrDocument) -> Vec<Option<syn::Ident>> {
    let mut reserved = vec!["Producer"];
    reserved.extend_from_slice(REEXPORTS);
    let mut scope = Scope::with_reserved(&reserved);
    doc.kafka.iter().map(|t| t.consumed.map(|_| format_ident!("{}", scope.claim(&format!("{}Consumer", type_name(&t.name)))))).collect()
}

/// `src/<module>/kafka.rs`, or `None` when the document has no Kafka topics.
pub fn emit(doc: &IrDocument) -> Option<TokenStream> {
    if doc.kafka.is_empty() {
        return None;
    }
    let consts = topic_consts(doc);
    let specs = doc.kafka.iter().zip(&consts).map(|(t, c)| {
        let name = &t.name;
        let opt = |v: Option<i32>| match v {
            Some(n) => {
                let n = proc_macro2::Literal::i32_unsuffixed(n);
                quote!(::std::option::Option::Some(#n))
            }
            None => quote!(::std::option::Option::None),
        };
        let partitions = opt(t.partitions);
        let replicas = opt(t.replicas);
        let keys = t.config.iter().map(|(k, _)| k);
        let values = t.config.iter().map(|(_, v)| v);
        let line = format!(" Topic `{name}`.");
        quote! {
            #[doc = #line]
            pub const #c: crate::rt::kafka::TopicSpec = crate::rt::kafka::TopicSpec {
                name: #name,
                partitions: #partitions,
                replicas: #replicas,
                config: &[#((#keys, #values)),*],
            };
        }
    });
    let brokers = doc.kafka_brokers.as_ref().map(|b| {
        quote! {
            /// Bootstrap servers of the document's Kafka server, with its variables at their defaults.
            pub const DEFAULT_BROKERS: &str = #b;
        }
    });
    let methods = send_methods(doc);
    let statics = avro_statics(doc);
    let sends: Vec<TokenStream> = doc
        .kafka
        .iter()
        .zip(&methods)
        .flat_map(|(t, names)| t.produced.iter().zip(names).map(|((mi, key), name)| send_method(doc, t, *mi, key, name, &statics)).collect::<Vec<_>>())
        .collect();
    let avro_items = avro_schema_items(doc, &statics);
    let avro_reexports = (!statics.is_empty()).then(|| quote!(pub use crate::rt::avro::{AvroError, AvroSchema, SchemaIdLocation};));
    let batches = doc.kafka.iter().filter_map(|t| batch_impl(doc, t));
    let consumers = doc.kafka.iter().zip(consumer_names(doc)).filter_map(|(t, alias)| {
        let alias = alias?;
        let union = format_ident!("{}", doc.type_def(t.consumed?).name);
        let topic_name = &t.name;
        let line = format!(" Typed consumer of topic `{topic_name}`: yields [`super::{union}`] records.");
        let decode = if t.avro.is_empty() { tagged_decode(doc, t.consumed?) } else { Some(avro_decode(doc, t, t.consumed?, &statics)) };
        Some(quote! {
            impl crate::rt::kafka::TopicMessage for super::#union {
                const TOPIC: &'static str = #topic_name;
                #decode
            }
            #[doc = #line]
            pub type #alias = crate::rt::kafka::TopicConsumer<super::#union>;
        })
    });
    let headers = headers_impls(doc);
    let reexports = REEXPORTS.iter().map(|n| format_ident!("{}", n));
    Some(quote! {
        //! Kafka topics of this document, its typed producer, and a typed consumer per topic.
        pub use crate::rt::kafka::{#(#reexports),*};
        #avro_reexports
        #brokers
        #(#specs)*
        /// Every topic of the document.
        pub const TOPICS: &[crate::rt::kafka::TopicSpec] = &[#(#consts),*];
        #avro_items

        /// Creates the document's topics with the partitions, replicas and configuration of the
        /// channel bindings; topics that exist are left alone.
        pub async fn ensure_topics(config: &crate::rt::kafka::KafkaConfig) -> ::std::result::Result<::std::vec::Vec<crate::rt::kafka::TopicStatus>, crate::rt::kafka::AdminError> {
            crate::rt::kafka::ensure_topics(config, TOPICS, crate::rt::kafka::TopicOverrides::default()).await
        }

        /// [`ensure_topics`] with partitions or replicas overridden, for clusters smaller than the
        /// bindings assume.
        pub async fn ensure_topics_with(config: &crate::rt::kafka::KafkaConfig, overrides: crate::rt::kafka::TopicOverrides) -> ::std::result::Result<::std::vec::Vec<crate::rt::kafka::TopicStatus>, crate::rt::kafka::AdminError> {
            crate::rt::kafka::ensure_topics(config, TOPICS, overrides).await
        }

        /// Typed producer: one send per message, each completing on the broker's confirmation.
        #[derive(Clone, Debug)]
        pub struct Producer {
            inner: crate::rt::kafka::Producer,
        }

        impl Producer {
            /// An idempotent producer with `acks=all` (`enable.idempotence=true`, `acks=all`).
            pub fn new(config: &crate::rt::kafka::KafkaConfig) -> ::std::result::Result<Self, crate::rt::kafka::Error> {
                ::std::result::Result::Ok(Self { inner: crate::rt::kafka::Producer::new(config)? })
            }

            /// The untyped producer underneath, for raw records and batches.
            pub fn raw(&self) -> &crate::rt::kafka::Producer {
                &self.inner
            }

            /// Sends many records, pipelined, and reports the fate of each in input order.
            pub async fn send_batch<M: crate::rt::kafka::KafkaMessage>(&self, records: ::std::vec::Vec<M>) -> ::std::vec::Vec<::std::result::Result<crate::rt::kafka::Delivered, crate::rt::kafka::SendError<M>>> {
                self.inner.send_batch(records).await
            }

            #(#sends)*
        }

        #(#batches)*
        #(#headers)*
        #(#consumers)*
    })
}
