//! The crate's `support` module: the few helpers generated types call.

use proc_macro2::TokenStream;
use quote::quote;

pub fn emit() -> TokenStream {
    quote! {
        //! Helpers the generated types use. Not part of the API.

        use ::serde::Deserialize;

        /// A required field that may be `null`: present-and-null is `None`, absent is an error.
        pub fn required_nullable<'de, D, T>(deserializer: D) -> ::std::result::Result<::std::option::Option<T>, D::Error>
        where
            D: ::serde::Deserializer<'de>,
            T: ::serde::Deserialize<'de>,
        {
            ::std::option::Option::<T>::deserialize(deserializer)
        }

        /// An optional field that may be `null`: absent is `None`, null is `Some(None)`.
        pub fn double_option<'de, D, T>(deserializer: D) -> ::std::result::Result<::std::option::Option<::std::option::Option<T>>, D::Error>
        where
            D: ::serde::Deserializer<'de>,
            T: ::serde::Deserialize<'de>,
        {
            ::std::option::Option::<T>::deserialize(deserializer).map(::std::option::Option::Some)
        }

        /// JSON equality with numbers compared by value, so `1` equals `1.0`.
        pub fn json_eq(a: &::serde_json::Value, b: &::serde_json::Value) -> bool {
            use ::serde_json::Value;
            match (a, b) {
                (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                    (Some(p), Some(q), _, _) => p == q,
                    (_, _, Some(p), Some(q)) => p == q,
                    _ => x.as_f64() == y.as_f64(),
                },
                (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q)),
                (Value::Object(x), Value::Object(y)) => {
                    x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
                }
                _ => a == b,
            }
        }
    }
}
