//! Every message example becomes a test: decode into the Rust type, re-encode, compare.

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use super::models::ty_tokens;
use crate::ir::{IrDocument, Ty};

/// `#[ignore]` with the reason, for an example that contradicts its own schema.
fn ignored(mismatch: Option<&str>) -> TokenStream {
    match mismatch {
        Some(reason) => {
            let reason = format!("the example does not match its schema: {reason}");
            quote!(#[ignore = #reason])
        }
        None => quote!(),
    }
}

/// Decode, re-encode to wire text, parse back, compare: what a peer would receive.
fn round_trip(doc: &IrDocument, test: &str, ty: &Ty, value: &Value, what: &str, mismatch: Option<&str>) -> TokenStream {
    let name = format_ident!("{}", test);
    let ignore = ignored(mismatch);
    let t = ty_tokens(doc, ty, false);
    let json = serde_json::to_string_pretty(value).unwrap_or_default();
    let decode_msg = format!("{what} should decode");
    let equal_msg = format!("{what} should re-encode unchanged");
    quote! {
        #[test]
        #ignore
        fn #name() {
            let expected: ::serde_json::Value = ::serde_json::from_str(#json).expect("example is JSON");
            let decoded: #t = ::serde_json::from_value(expected.clone()).expect(#decode_msg);
            let wire = ::serde_json::to_string(&decoded).expect("encodes");
            let encoded: ::serde_json::Value = ::serde_json::from_str(&wire).expect("wire text is JSON");
            assert!(crate::rt::json_eq(&expected, &encoded), "{}\nexpected: {expected}\nencoded:  {encoded}", #equal_msg);
        }
    }
}

/// The example built as a Rust value (struct literal, variants, `Some`/`None`) encodes to the
/// example: what the generated examples send is what the spec shows.
fn built_in_rust(doc: &IrDocument, test: &str, ty: &Ty, value: &Value, what: &str) -> Option<TokenStream> {
    let built = super::values::literal(doc, ty, false, value, &super::values::Paths::in_crate())?;
    let name = format_ident!("{}", test);
    let t = ty_tokens(doc, ty, false);
    let json = serde_json::to_string_pretty(value).unwrap_or_default();
    let msg = format!("{what}, built in Rust, should encode as the example");
    Some(quote! {
        #[test]
        fn #name() {
            let expected: ::serde_json::Value = ::serde_json::from_str(#json).expect("example is JSON");
            let built: #t = #built;
            let encoded = ::serde_json::to_value(&built).expect("encodes");
            assert!(crate::rt::json_eq(&expected, &encoded), "{}\nexpected: {expected}\nencoded:  {encoded}", #msg);
        }
    })
}

fn rejects(doc: &IrDocument, test: &str, ty: &Ty, value: &Value, what: &str) -> TokenStream {
    let name = format_ident!("{}", test);
    let t = ty_tokens(doc, ty, false);
    let json = serde_json::to_string_pretty(value).unwrap_or_default();
    let msg = format!("{what} must be rejected, but decoded as {{:?}}");
    quote! {
        #[test]
        fn #name() {
            let invalid: ::serde_json::Value = ::serde_json::from_str(#json).expect("example is JSON");
            let decoded = ::serde_json::from_value::<#t>(invalid);
            assert!(decoded.is_err(), #msg, decoded);
        }
    }
}

/// Kafka headers of an example: encoded as record headers and decoded back to the same value.
fn kafka_headers(doc: &IrDocument, test: &str, ty: &Ty, value: &Value, what: &str, mismatch: Option<&str>) -> TokenStream {
    let name = format_ident!("{}", test);
    let ignore = ignored(mismatch);
    let t = ty_tokens(doc, ty, false);
    let json = serde_json::to_string_pretty(value).unwrap_or_default();
    let msg = format!("{what} should survive Kafka record headers");
    quote! {
        #[cfg(feature = "kafka")]
        #[test]
        #ignore
        fn #name() {
            let headers: #t = ::serde_json::from_str(#json).expect("headers decode");
            let wire = crate::rt::kafka::KafkaHeaders::to_kafka(&headers).expect("headers encode");
            let back: #t = crate::rt::kafka::KafkaHeaders::from_kafka(&wire).expect(#msg);
            assert_eq!(::serde_json::to_value(&back).expect("encodes"), ::serde_json::to_value(&headers).expect("encodes"), #msg);
        }
    }
}

/// Through binary Avro: the decoded example written as a datum of its message's writer schema
/// and read back keeps every value of the example (fields it leaves out come back with their
/// defaults, as Avro writes them), and a second trip changes nothing.
fn avro_round_trip(doc: &IrDocument, test: &str, ty: &Ty, value: &Value, what: &str, schema: &syn::Ident) -> TokenStream {
    let name = format_ident!("{}", test);
    let t = ty_tokens(doc, ty, false);
    let json = serde_json::to_string_pretty(value).unwrap_or_default();
    let write = format!("{what} should be a datum of its Avro schema");
    let equal = format!("{what} should come back from binary Avro with every value it has");
    let stable = format!("{what} should come back from a second trip through binary Avro unchanged");
    quote! {
        #[cfg(feature = "kafka")]
        #[test]
        fn #name() {
            let expected: ::serde_json::Value = ::serde_json::from_str(#json).expect("example is JSON");
            let decoded: #t = ::serde_json::from_value(expected.clone()).expect("example decodes");
            let datum = super::kafka::#schema.to_datum(&::serde_json::to_value(&decoded).expect("encodes")).expect(#write);
            let back: #t = ::serde_json::from_value(super::kafka::#schema.from_datum(&datum).expect("the datum reads back")).expect("decodes");
            let encoded = ::serde_json::to_value(&back).expect("encodes");
            assert!(crate::rt::json_within(&expected, &encoded), "{}\nexpected: {expected}\nencoded:  {encoded}", #equal);
            let again = super::kafka::#schema.from_datum(&super::kafka::#schema.to_datum(&encoded).expect(#write)).expect("the datum reads back");
            assert!(crate::rt::json_eq(&encoded, &again), "{}\nfirst:  {encoded}\nsecond: {again}", #stable);
        }
    }
}

/// The `examples` test module of a document, or `None` when it has no examples.
pub fn emit(doc: &IrDocument) -> Option<TokenStream> {
    let mut tests = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let avro = super::kafka::avro_statics(doc);
    for (mi, m) in doc.messages.iter().enumerate() {
        let produced = doc.kafka.iter().any(|t| t.produced.iter().any(|(p, _)| *p == mi));
        let kafka_headers_typed = produced && super::kafka::typed_headers(m).is_some();
        for (i, ex) in m.examples.iter().enumerate() {
            let label = ex.name.clone().unwrap_or_else(|| format!("example {}", i + 1));
            let base = format!("{}_{}", m.rust.to_snake_case(), crate::ir::naming::field_name(&label));
            let mut base = base.trim_end_matches('_').to_string();
            while !seen.insert(base.clone()) {
                base.push('_');
                base.push('x');
            }
            if let (Some(ty), Some(payload)) = (&m.payload, &ex.payload) {
                let what = format!("payload of example `{label}` of message `{}`", m.key);
                tests.push(round_trip(doc, &format!("{base}_payload"), ty, payload, &what, ex.payload_mismatch.as_deref()));
                if ex.payload_mismatch.is_none() {
                    tests.extend(built_in_rust(doc, &format!("{base}_payload_built_in_rust"), ty, payload, &what));
                    if let Some(schema) = avro.get(&mi) {
                        tests.push(avro_round_trip(doc, &format!("{base}_payload_through_avro"), ty, payload, &what, schema));
                    }
                }
            }
            if let (Some(ty), Some(headers)) = (&m.headers, &ex.headers) {
                let what = format!("headers of example `{label}` of message `{}`", m.key);
                tests.push(round_trip(doc, &format!("{base}_headers"), ty, headers, &what, ex.headers_mismatch.as_deref()));
                if kafka_headers_typed {
                    tests.push(kafka_headers(doc, &format!("{base}_kafka_headers"), ty, headers, &what, ex.headers_mismatch.as_deref()));
                }
            }
        }
    }
    for m in &doc.messages {
        for (i, ex) in m.invalid_examples.iter().enumerate() {
            let label = ex.name.clone().unwrap_or_else(|| format!("invalid {}", i + 1));
            let mut base = format!("{}_{}", m.rust.to_snake_case(), crate::ir::naming::field_name(&label)).trim_end_matches('_').to_string();
            while !seen.insert(base.clone()) {
                base.push_str("_x");
            }
            if let (Some(ty), Some(payload)) = (&m.payload, &ex.payload) {
                let what = format!("invalid example `{label}` of message `{}`", m.key);
                tests.push(rejects(doc, &format!("{base}_is_rejected"), ty, payload, &what));
            }
        }
    }
    if tests.is_empty() {
        return None;
    }
    Some(quote! {
        //! Round-trip tests generated from the spec's message examples.
        #![allow(unused_imports)]
        use super::*;
        #(#tests)*
    })
}
