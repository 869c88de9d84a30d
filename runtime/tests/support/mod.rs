//! Helpers of the WebSocket tests: a small protocol (echo, failures, floods, closes) served by
//! `route`, the runtime's client, and a plain `tokio-tungstenite` client.
#![allow(dead_code)]

pub mod raw;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncapi_runtime::ws::client::{self, Backoff, ClientConfig, ClientError, Events, Incoming};
use asyncapi_runtime::ws::server::{
    self, Frame, HandlerError, Protocol, ServerConfig, SessionHandle, Shutdown,
};
use asyncapi_runtime::ws::{AuthError, CloseCode, Credentials};
use futures_util::StreamExt;
use serde_json::{json, Value};

pub const WAIT: Duration = Duration::from_secs(10);

/// What the test protocol saw, for the assertions.
#[derive(Default)]
pub struct Seen {
    pub sessions: Vec<SessionHandle>,
    pub flood_results: Vec<Result<(), String>>,
    pub closed: usize,
}

/// Commands arrive as `{"op": ..}`; the replies are plain JSON values.
pub struct TestProtocol {
    pub error_channel: bool,
    pub seen: Mutex<Seen>,
}

impl TestProtocol {
    pub fn new(error_channel: bool) -> Arc<Self> {
        Arc::new(TestProtocol {
            error_channel,
            seen: Mutex::new(Seen::default()),
        })
    }

    pub fn sessions(&self) -> Vec<SessionHandle> {
        self.seen.lock().unwrap().sessions.clone()
    }
}

impl Protocol for TestProtocol {
    type Auth = String;

    async fn authenticate(&self, credentials: &Credentials) -> Result<String, AuthError> {
        match credentials.get("token") {
            Some("secret") => Ok(credentials.get("user").unwrap_or("anonymous").to_string()),
            _ => Err(AuthError::new("bad token")),
        }
    }

    async fn on_connect(&self, session: &SessionHandle, user: String) {
        self.seen.lock().unwrap().sessions.push(session.clone());
        session.send_json(&json!({ "hello": user })).unwrap();
    }

    async fn on_text(&self, session: &SessionHandle, text: &str) -> Result<(), HandlerError> {
        let command: Value = serde_json::from_str(text)?;
        match command["op"].as_str() {
            Some("echo") => session.send_json(&command["value"])?,
            Some("fail") => return Err(HandlerError::new("refused")),
            Some("panic") => panic!("a handler bug"),
            Some("sleep") => {
                let ms = command["ms"].as_u64().unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                session.send_json(&json!({ "slept": ms }))?;
            }
            Some("kick") => return Err(HandlerError::close(CloseCode::Other(4001), "kicked")),
            Some("flood") => {
                let count = command["count"].as_u64().unwrap_or(0);
                let results: Vec<_> = (0..count)
                    .map(|n| {
                        session
                            .send_json(&json!({ "n": n }))
                            .map_err(|e| e.to_string())
                    })
                    .collect();
                self.seen.lock().unwrap().flood_results = results;
            }
            Some("close") => {
                for n in 0..3 {
                    session.send_json(&json!({ "n": n }))?;
                }
                session.close(CloseCode::Other(4000), "done");
            }
            Some("raw") => {
                session.send_frame(&Frame::text("not json"))?;
                session.send_json(&json!({ "after": 1 }))?;
            }
            _ => return Err(HandlerError::new("unknown op")),
        }
        Ok(())
    }

    fn error_message(&self, reason: &str) -> Option<String> {
        self.error_channel
            .then(|| json!({ "error": reason }).to_string())
    }

    async fn on_close(&self, _session: &SessionHandle) {
        self.seen.lock().unwrap().closed += 1;
    }
}

/// What the test client's stream yields.
#[derive(Debug, PartialEq)]
pub enum Event {
    Message(Value),
    Reconnected,
}

impl Incoming for Event {
    fn decode(raw: String) -> Result<Self, ClientError> {
        match serde_json::from_str(&raw) {
            Ok(value) => Ok(Event::Message(value)),
            Err(error) => Err(ClientError::Decode { raw, error }),
        }
    }

    fn reconnected() -> Self {
        Event::Reconnected
    }
}

pub struct Server {
    pub url: String,
    pub shutdown: Shutdown,
}

pub async fn start(protocol: Arc<TestProtocol>, config: ServerConfig) -> Server {
    start_with_handshake_timeout(protocol, config, server::HANDSHAKE_TIMEOUT).await
}

pub async fn start_with_handshake_timeout(protocol: Arc<TestProtocol>, config: ServerConfig, timeout: Duration) -> Server {
    let shutdown = Shutdown::new();
    let router = server::route("/ws", &["token"], protocol, config, shutdown.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws", listener.local_addr().unwrap());
    tokio::spawn(server::serve_with_handshake_timeout(listener, router, shutdown.clone(), timeout));
    Server { url, shutdown }
}

pub fn credentials() -> Credentials {
    Credentials::new()
        .with("token", "secret")
        .with("user", "ada")
}

pub async fn connect(server: &Server, config: ClientConfig) -> (client::Connection, Events<Event>) {
    client::connect(&server.url, &credentials(), config)
        .await
        .unwrap()
}

/// A connection whose greeting has been read.
pub async fn connected(server: &Server, config: ClientConfig) -> (client::Connection, Events<Event>) {
    let (connection, mut events) = connect(server, config).await;
    assert_eq!(next_message(&mut events).await, json!({ "hello": "ada" }));
    (connection, events)
}

pub async fn send(connection: &client::Connection, command: Value) {
    connection.send_json(&command).await.unwrap();
}

/// Client settings that reconnect quickly, up to `max_attempts` tries.
pub fn reconnecting(max_attempts: u32) -> ClientConfig {
    ClientConfig {
        reconnect: Some(Backoff {
            initial: Duration::from_millis(10),
            max: Duration::from_millis(100),
            max_attempts: Some(max_attempts),
        }),
        ..ClientConfig::default()
    }
}

pub async fn next(events: &mut Events<Event>) -> Result<Event, ClientError> {
    tokio::time::timeout(WAIT, events.next())
        .await
        .expect("an event within the timeout")
        .expect("the stream is still open")
}

pub async fn next_message(events: &mut Events<Event>) -> Value {
    match next(events).await {
        Ok(Event::Message(value)) => value,
        other => panic!("expected a message, got {other:?}"),
    }
}

/// Reads until the server's close, skipping messages; the close code and reason.
pub async fn close_of(events: &mut Events<Event>) -> (CloseCode, String) {
    loop {
        match next(events).await {
            Ok(_) => continue,
            Err(ClientError::Closed { code, reason }) => return (code, reason),
            Err(other) => panic!("expected a close, got {other:?}"),
        }
    }
}


/// A plain client, for frames the runtime's client never sends.
pub async fn raw_client(
    server: &Server,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let url = format!("{}?{}", server.url, credentials().query_string());
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let greeting = socket.next().await.unwrap().unwrap();
    assert_eq!(greeting.into_text().unwrap().as_str(), r#"{"hello":"ada"}"#);
    socket
}
