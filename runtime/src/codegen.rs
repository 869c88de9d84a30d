//! The one path generated code reaches the runtime through, the way generated tonic code
//! uses `tonic::codegen`. Not a stable API: it follows the generator.

pub use super::serde_helpers::{from_json_bytes, json_eq, json_within, required_nullable};
#[cfg(any(feature = "ws-server", feature = "ws-client"))]
pub use super::ws::{AuthError, CloseCode, Credentials};
pub use super::{MissingField, Nullable};

/// What generated servers use.
#[cfg(feature = "ws-server")]
pub mod server {
    pub use super::super::ws::server::{
        route, serve, Frame, HandlerError, Protocol, SendError, ServerConfig, SessionHandle,
        Shutdown,
    };
    pub use axum::Router;
}

/// What generated clients use.
#[cfg(feature = "ws-client")]
pub mod client {
    pub use super::super::ws::client::{
        connect, Backoff, ClientConfig, ClientError, Connection, Events, Incoming,
    };
}

/// What generated producers and consumers use.
#[cfg(feature = "kafka")]
pub mod kafka {
    pub use super::super::kafka::*;
}

/// What generated producers and consumers of Avro messages use.
#[cfg(feature = "avro")]
pub mod avro {
    pub use super::super::avro::*;
}
