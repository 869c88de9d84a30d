//! Runtime of the crates `asyncapi-codegen` generates.
//!
//! Generated code supplies what is specific to a document (message types, topics, handler
//! traits, typed sends) and calls into this crate for the rest:
//!
//! - [`Nullable`]: optional fields whose schema allows `null`: absent, `null` or a value.
//! - [`MissingField`]: what a generated builder's `build` returns when a required field is unset.
//! - [`serde_helpers`]: the few serde functions generated models use.
//! - `ws` (features `ws-server`, `ws-client`): the WebSocket session loop with its limits, queue
//!   and close codes, and the client with reconnects.
//! - `kafka` (feature `kafka`): an idempotent producer, typed consumers, topic creation.
//! - `avro` (feature `avro`): binary Avro for messages with Avro payloads, with schema-id framing.
//!
//! Every feature is off by default, so a crate that only needs the models compiles no
//! networking code and no C library. Generated crates reach this crate through one hidden
//! module, `codegen`; the other modules are the documented API.
//!
//! ```
//! use asyncapi_runtime::serde_helpers::json_eq;
//! use serde_json::json;
//!
//! assert!(json_eq(&json!({"level": 1}), &json!({"level": 1.0})));
//! ```
#![warn(missing_docs)]
// --- modules (kept in step with the vendored `runtime/mod.rs` asyncapi-codegen writes) ---
#[cfg(feature = "avro")]
pub mod avro;
mod builder;
#[doc(hidden)]
pub mod codegen;
#[cfg(feature = "kafka")]
pub mod kafka;
mod nullable;
pub mod serde_helpers;
#[cfg(any(feature = "ws-server", feature = "ws-client"))]
pub mod ws;

pub use builder::MissingField;
pub use nullable::Nullable;
