//! WebSocket sessions: what servers and clients share, then [`server`] and [`client`].

use std::collections::BTreeMap;
use std::fmt;

#[cfg(feature = "ws-client")]
pub mod client;
#[cfg(feature = "ws-server")]
mod handshake;
#[cfg(feature = "ws-server")]
mod outbox;
#[cfg(feature = "ws-server")]
pub mod server;

/// Close codes of RFC 6455 (section 7.4.1) that servers and clients send or receive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseCode {
    /// 1000: normal closure.
    Normal,
    /// 1001: the server is shutting down, or the session was idle too long.
    GoingAway,
    /// 1002: the peer broke the WebSocket protocol.
    ProtocolError,
    /// 1003: a binary frame where JSON text is expected (when the spec has no error channel).
    UnsupportedData,
    /// 1005: the close frame carried no code.
    NoStatus,
    /// 1006: the connection dropped without a close frame.
    Abnormal,
    /// 1007: a text frame that is not a valid message (when the spec has no error channel).
    InvalidPayload,
    /// 1008: the message broke the application's policy.
    PolicyViolation,
    /// 1009: a frame or message larger than the configured maximum.
    MessageTooBig,
    /// 1011: the server met an unexpected condition.
    InternalError,
    /// 1013: the session's outbound queue overflowed: the client reads too slowly.
    TryAgainLater,
    /// Any other code (4000–4999 are the application's own).
    Other(u16),
}

impl CloseCode {
    /// The numeric code sent on the wire.
    pub const fn code(self) -> u16 {
        match self {
            CloseCode::Normal => 1000,
            CloseCode::GoingAway => 1001,
            CloseCode::ProtocolError => 1002,
            CloseCode::UnsupportedData => 1003,
            CloseCode::NoStatus => 1005,
            CloseCode::Abnormal => 1006,
            CloseCode::InvalidPayload => 1007,
            CloseCode::PolicyViolation => 1008,
            CloseCode::MessageTooBig => 1009,
            CloseCode::InternalError => 1011,
            CloseCode::TryAgainLater => 1013,
            CloseCode::Other(code) => code,
        }
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        match code {
            1000 => CloseCode::Normal,
            1001 => CloseCode::GoingAway,
            1002 => CloseCode::ProtocolError,
            1003 => CloseCode::UnsupportedData,
            1005 => CloseCode::NoStatus,
            1006 => CloseCode::Abnormal,
            1007 => CloseCode::InvalidPayload,
            1008 => CloseCode::PolicyViolation,
            1009 => CloseCode::MessageTooBig,
            1011 => CloseCode::InternalError,
            1013 => CloseCode::TryAgainLater,
            other => CloseCode::Other(other),
        }
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.code()
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// The query parameters of the handshake URL (`?token=...`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    /// Every query parameter by name.
    pub query: BTreeMap<String, String>,
}

impl Credentials {
    /// No credentials.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one query parameter.
    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.query.insert(name.to_string(), value.to_string());
        self
    }

    /// The value of one query parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    /// `name=value&...`, percent-encoded.
    ///
    /// ```
    /// use asyncapi_runtime::ws::Credentials;
    ///
    /// let credentials = Credentials::new().with("token", "a b&c");
    /// assert_eq!(credentials.query_string(), "token=a%20b%26c");
    /// ```
    pub fn query_string(&self) -> String {
        fn encode(s: &str) -> String {
            let mut out = String::with_capacity(s.len());
            for b in s.bytes() {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    out.push(b as char);
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            out
        }
        self.query
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Why credentials were refused; answered with HTTP 401 before any upgrade.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct AuthError {
    reason: String,
}

impl AuthError {
    /// A refusal with the reason sent in the 401 body.
    pub fn new(reason: impl Into<String>) -> Self {
        AuthError {
            reason: reason.into(),
        }
    }

    /// The reason sent in the 401 body.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_codes_round_trip_through_u16() {
        for code in [
            1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1011, 1013, 4000, 4999,
        ] {
            assert_eq!(u16::from(CloseCode::from(code)), code);
        }
        assert_eq!(CloseCode::from(1009), CloseCode::MessageTooBig);
        assert_eq!(CloseCode::from(4001), CloseCode::Other(4001));
    }

    #[test]
    fn credentials_encode_reserved_characters() {
        let credentials = Credentials::new().with("token", "x/y=z").with("a", "1");
        assert_eq!(credentials.query_string(), "a=1&token=x%2Fy%3Dz");
        assert_eq!(credentials.get("token"), Some("x/y=z"));
        assert_eq!(credentials.get("missing"), None);
    }
}
