//! Server side: sessions, limits, the session loop, routing and graceful shutdown.
//!
//! A generated server implements [`Protocol`] for its document (decoding, dispatch to the
//! application's handler, the spec's error message) and mounts it with [`route`]. Everything
//! else (handshake checks, queues, pings, limits, close codes) happens here.
//!
//! Messages of one session are handled one at a time, in order: while a handler runs, what is
//! queued for that session waits. Spawn a task for long work and push its result from there.
//!
//! ```no_run
//! use std::sync::Arc;
//! use asyncapi_runtime::ws::server::{self, HandlerError, Protocol, ServerConfig, SessionHandle, Shutdown};
//! use asyncapi_runtime::ws::{AuthError, Credentials};
//!
//! /// Echoes every message back, to clients that bring `token=demo`.
//! struct Echo;
//!
//! impl Protocol for Echo {
//!     type Auth = ();
//!
//!     async fn authenticate(&self, credentials: &Credentials) -> Result<(), AuthError> {
//!         match credentials.get("token") {
//!             Some("demo") => Ok(()),
//!             _ => Err(AuthError::new("unknown token")),
//!         }
//!     }
//!
//!     async fn on_connect(&self, _session: &SessionHandle, _auth: ()) {}
//!
//!     async fn on_text(&self, session: &SessionHandle, text: &str) -> Result<(), HandlerError> {
//!         let message: serde_json::Value = serde_json::from_str(text)?;
//!         session.send_json(&message)?;
//!         Ok(())
//!     }
//!
//!     fn error_message(&self, reason: &str) -> Option<String> {
//!         Some(serde_json::json!({ "error": reason }).to_string())
//!     }
//!
//!     async fn on_close(&self, _session: &SessionHandle) {}
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let shutdown = Shutdown::new();
//! let router = server::route("/echo", &["token"], Arc::new(Echo), ServerConfig::default(), shutdown.clone());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! server::serve(listener, router, shutdown).await
//! # }
//! ```

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{
    rejection::WebSocketUpgradeRejection, CloseFrame, Message, Utf8Bytes, WebSocket,
    WebSocketUpgrade,
};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::SinkExt;
use tokio::sync::watch;

use super::outbox::{Outbox, Refused};
use super::{AuthError, CloseCode, Credentials};

/// Limits and timers of every session.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Largest accepted message, in bytes; larger ones close the session with 1009.
    pub max_message_size: usize,
    /// Largest accepted frame, in bytes.
    pub max_frame_size: usize,
    /// Read buffer per session, in bytes: allocated up front, so it sets most of the memory of
    /// an idle session, and it bounds each read (a larger message takes several reads). Raise it
    /// when clients send large messages often.
    pub read_buffer_size: usize,
    /// Bytes of frames gathered before they are written to the socket; allocated on the first
    /// push and kept while the session lives.
    pub write_buffer_size: usize,
    /// Messages queued per session before the overflow policy applies.
    pub outbound_queue: usize,
    /// How often the server pings the client.
    pub ping_interval: Duration,
    /// A session that sends nothing (not even a pong) for this long is closed with 1001. It also
    /// bounds the close handshake: how long a closing session waits for the client to take its
    /// close frame and answer it.
    pub idle_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_message_size: 1 << 20,
            max_frame_size: 1 << 20,
            read_buffer_size: 2 << 10,
            write_buffer_size: 16 << 10,
            outbound_queue: 1024,
            ping_interval: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// A message encoded once, to queue on any number of sessions without encoding it again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame(Utf8Bytes);

impl Frame {
    /// Encodes a message as a JSON text frame.
    pub fn json<T: serde::Serialize + ?Sized>(message: &T) -> Result<Frame, serde_json::Error> {
        serde_json::to_string(message).map(|text| Frame(text.into()))
    }

    /// A text frame as it is.
    pub fn text(text: impl Into<String>) -> Frame {
        Frame(text.into().into())
    }

    /// The frame's text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// Why a message could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The outbound queue was full. Overflow policy: the message is not queued and the
    /// session is closed with 1013, so a slow client never silently misses messages and
    /// memory stays bounded.
    #[error("outbound queue full; the session is being closed")]
    QueueFull,
    /// The session has ended.
    #[error("session closed")]
    Closed,
    /// The message could not be encoded as JSON.
    #[error("cannot encode message: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Why a handler did not handle a message.
///
/// The session answers it with the spec's error message when the document has one, else
/// closes with [`CloseCode::InvalidPayload`]; [`HandlerError::close`] picks the close instead.
/// Either way the error is logged (`tracing`, target `asyncapi_runtime`) and the server goes
/// on serving the other sessions.
#[derive(Debug)]
pub struct HandlerError {
    reason: String,
    close: Option<CloseCode>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl HandlerError {
    /// An error answered with the spec's error message carrying `reason`.
    pub fn new(reason: impl Into<String>) -> Self {
        HandlerError {
            reason: reason.into(),
            close: None,
            source: None,
        }
    }

    /// An error that closes the session with `code`, `reason` in the close frame.
    pub fn close(code: CloseCode, reason: impl Into<String>) -> Self {
        HandlerError {
            reason: reason.into(),
            close: Some(code),
            source: None,
        }
    }

    /// The reason sent to the client.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The close code, when the error closes the session.
    pub fn close_code(&self) -> Option<CloseCode> {
        self.close
    }

    /// The underlying error, when there is one.
    pub fn source(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.source.as_deref()
    }
}

impl std::fmt::Display for HandlerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// Any error converts, so handlers can use `?`; its text becomes the reason.
impl<E: std::error::Error + Send + Sync + 'static> From<E> for HandlerError {
    fn from(error: E) -> Self {
        HandlerError {
            reason: error.to_string(),
            close: None,
            source: Some(Box::new(error)),
        }
    }
}

static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

/// Handle to one session: cheap to clone and usable from any task.
#[derive(Clone, Debug)]
pub struct SessionHandle {
    id: u64,
    outbox: Arc<Outbox>,
}

impl SessionHandle {
    /// A new session with its bounded outbound queue.
    fn new(capacity: usize) -> SessionHandle {
        SessionHandle {
            id: NEXT_SESSION.fetch_add(1, Ordering::Relaxed),
            outbox: Arc::new(Outbox::new(capacity)),
        }
    }

    /// A process-unique id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Queues any serialisable message as a JSON text frame. A full queue fails at once and
    /// closes the session (see [`SendError::QueueFull`]).
    pub fn send_json<T: serde::Serialize + ?Sized>(&self, message: &T) -> Result<(), SendError> {
        Ok(self.outbox.push_json(message)??)
    }

    /// Queues a frame encoded once with [`Frame::json`], for pushing one message to many sessions.
    pub fn send_frame(&self, frame: &Frame) -> Result<(), SendError> {
        Ok(self.outbox.push_frame(&frame.0)?)
    }

    /// Queues a JSON message, waiting for room in the queue instead of failing when it is
    /// full: for producers that push as fast as the client reads.
    pub async fn send_json_wait<T: serde::Serialize + ?Sized>(
        &self,
        message: &T,
    ) -> Result<(), SendError> {
        Ok(self.outbox.push_json_wait(message).await??)
    }

    /// Queues a frame, waiting for room in the queue.
    pub async fn send_frame_wait(&self, frame: &Frame) -> Result<(), SendError> {
        Ok(self.outbox.push_frame_wait(&frame.0).await?)
    }

    /// Closes the session with a close code and reason, after writing the messages already
    /// queued. Never lost, even when the queue is full; the first close asked for wins.
    pub fn close(&self, code: CloseCode, reason: &str) {
        self.outbox.close(code, reason);
    }

    /// Whether the session has ended.
    pub fn is_closed(&self) -> bool {
        self.outbox.is_closed()
    }
}

impl From<Refused> for SendError {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::Full => SendError::QueueFull,
            Refused::Closed => SendError::Closed,
        }
    }
}

/// What a generated server does with one document's sessions.
pub trait Protocol: Send + Sync + 'static {
    /// What [`Protocol::authenticate`] learns about the client.
    type Auth: Send + 'static;

    /// Checks the handshake's credentials before the upgrade; `Err` answers HTTP 401.
    fn authenticate(
        &self,
        credentials: &Credentials,
    ) -> impl Future<Output = Result<Self::Auth, AuthError>> + Send;

    /// A session was opened.
    fn on_connect(
        &self,
        session: &SessionHandle,
        auth: Self::Auth,
    ) -> impl Future<Output = ()> + Send;

    /// Decodes and handles one text message.
    fn on_text(
        &self,
        session: &SessionHandle,
        text: &str,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send;

    /// The spec's error message carrying `reason`, when the document has an error channel.
    fn error_message(&self, reason: &str) -> Option<String>;

    /// The session has ended.
    fn on_close(&self, session: &SessionHandle) -> impl Future<Output = ()> + Send;
}

/// Stops every session with close code 1001 and stops accepting connections.
#[derive(Clone, Debug)]
pub struct Shutdown {
    tx: Arc<watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown {
            tx: Arc::new(watch::channel(false).0),
        }
    }
}

impl Shutdown {
    /// A shutdown not yet triggered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts the shutdown.
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    /// Resolves once the shutdown has started.
    pub async fn wait(&self) {
        let mut rx = self.tx.subscribe();
        let _ = rx.wait_for(|down| *down).await;
    }

    fn subscribe(&self) -> watch::Receiver<bool> {
        self.tx.subscribe()
    }
}

/// How long a connection may take to send its whole upgrade request (the HTTP request head)
/// under [`serve`]: 10 seconds.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` is triggered. A connection that has not sent
/// its whole upgrade request within [`HANDSHAKE_TIMEOUT`] is dropped.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    serve_with_handshake_timeout(listener, router, shutdown, HANDSHAKE_TIMEOUT).await
}

/// [`serve`] with another handshake timeout: connections that have not sent their whole upgrade
/// request (the HTTP request head) within `timeout` are dropped, so slow or silent clients
/// cannot hold connections.
pub async fn serve_with_handshake_timeout(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    shutdown: Shutdown,
    timeout: Duration,
) -> std::io::Result<()> {
    let signal = shutdown.clone();
    let listener = super::handshake::DeadlineListener { inner: listener, timeout };
    axum::serve(listener, router)
        .with_graceful_shutdown(async move { signal.wait().await })
        .await
}

struct Route<P> {
    protocol: Arc<P>,
    required_query: &'static [&'static str],
    config: ServerConfig,
    shutdown: Shutdown,
}

/// Mounts `protocol` at `address`. A handshake without one of `required_query` is answered
/// with 401 before [`Protocol::authenticate`] runs. Merge several routers to serve several
/// documents on one port.
pub fn route<P: Protocol>(
    address: &str,
    required_query: &'static [&'static str],
    protocol: Arc<P>,
    config: ServerConfig,
    shutdown: Shutdown,
) -> axum::Router {
    let state = Arc::new(Route {
        protocol,
        required_query,
        config,
        shutdown,
    });
    axum::Router::new()
        .route(address, axum::routing::get(upgrade::<P>))
        .with_state(state)
}

async fn upgrade<P: Protocol>(
    State(route): State<Arc<Route<P>>>,
    Query(query): Query<BTreeMap<String, String>>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let credentials = Credentials { query };
    if let Some(name) = route
        .required_query
        .iter()
        .find(|name| credentials.get(name).is_none())
    {
        return (
            StatusCode::UNAUTHORIZED,
            format!("missing query parameter `{name}`"),
        )
            .into_response();
    }
    let auth = match route.protocol.authenticate(&credentials).await {
        Ok(auth) => auth,
        Err(e) => return (StatusCode::UNAUTHORIZED, e.reason().to_string()).into_response(),
    };
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let config = &route.config;
    ws.max_message_size(config.max_message_size)
        .max_frame_size(config.max_frame_size)
        .read_buffer_size(config.read_buffer_size)
        .write_buffer_size(config.write_buffer_size)
        .on_upgrade(move |socket| async move {
            let handle = SessionHandle::new(route.config.outbound_queue);
            route.protocol.on_connect(&handle, auth).await;
            run_session(
                socket,
                &*route.protocol,
                &handle,
                &route.config,
                &route.shutdown,
            )
            .await;
        })
}

type Close = Option<(CloseCode, String)>;

/// Rejects bad input: the spec's error message when it has one, else a close with `code`.
async fn reject<P: Protocol>(
    socket: &mut WebSocket,
    protocol: &P,
    reason: &str,
    code: CloseCode,
) -> Close {
    let answered = match protocol.error_message(reason) {
        Some(text) => socket.send(Message::Text(text.into())).await.is_ok(),
        None => false,
    };
    (!answered).then(|| (code, reason.to_string()))
}

/// Sends the close frame, then reads (and drops) what the client still sends until its close
/// arrives, all within `limit`. Dropping the connection while the client's last frames are
/// unread would reset it, and a reset destroys the close frame on its way to the client (a slow
/// reader would never learn why it was closed). A client that neither reads nor answers within
/// `limit` is dropped.
async fn close_handshake(socket: &mut WebSocket, frame: CloseFrame, limit: Duration) {
    let _ = tokio::time::timeout(limit, async {
        if socket.send(Message::Close(Some(frame))).await.is_ok() {
            while let Some(Ok(message)) = socket.recv().await {
                if matches!(message, Message::Close(_)) {
                    break;
                }
            }
        }
    })
    .await;
}

/// Writes a batch of messages with one flush.
async fn write_all(socket: &mut WebSocket, messages: Vec<Utf8Bytes>) -> Result<(), axum::Error> {
    for text in messages {
        socket.feed(Message::Text(text)).await?;
    }
    socket.flush().await
}

/// Ends a session's queue when dropped.
struct EndOnDrop<'a>(&'a Outbox);

impl Drop for EndOnDrop<'_> {
    fn drop(&mut self) {
        self.0.end();
    }
}

/// Whether a read error means the client sent more than the limits allow.
/// The close a read error calls for: 1009 past the size limits, 1007 for a text message that is
/// not UTF-8, 1002 for a frame that breaks the protocol; none when the connection is gone.
fn read_failure(error: &axum::Error, config: &ServerConfig) -> Close {
    use std::error::Error as _;
    let inner = error
        .source()
        .and_then(|e| e.downcast_ref::<tungstenite::Error>());
    match inner {
        Some(tungstenite::Error::Capacity(_)) => Some((CloseCode::MessageTooBig, format!("message larger than {} bytes", config.max_message_size))),
        Some(tungstenite::Error::Utf8(_)) => Some((CloseCode::InvalidPayload, String::from("text message is not valid UTF-8"))),
        Some(tungstenite::Error::Protocol(e)) => Some((CloseCode::ProtocolError, e.to_string())),
        _ => None,
    }
}

/// Runs one upgraded session until it ends: reads, writes, pings, limits, shutdown.
async fn run_session<P: Protocol>(
    mut socket: WebSocket,
    protocol: &P,
    handle: &SessionHandle,
    config: &ServerConfig,
    shutdown: &Shutdown,
) {
    // Ends the queue however the session ends (a panicking handler included), so senders learn
    // it is closed instead of filling a queue nobody drains.
    let _ended = EndOnDrop(&handle.outbox);
    let mut down = shutdown.subscribe();
    let mut ping = tokio::time::interval(config.ping_interval);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ping.tick().await;
    let mut last_seen = tokio::time::Instant::now();
    let close: Close = loop {
        if *down.borrow() {
            break Some((CloseCode::GoingAway, "server shutting down".into()));
        }
        tokio::select! {
            incoming = socket.recv() => {
                last_seen = tokio::time::Instant::now();
                match incoming {
                    None => break None,
                    // The close reply tungstenite has queued goes out before the socket is dropped.
                    Some(Ok(Message::Close(_))) => {
                        let _ = socket.flush().await;
                        break None;
                    }
                    Some(Err(e)) => break read_failure(&e, config),
                    Some(Ok(Message::Text(text))) => {
                        if let Err(error) = protocol.on_text(handle, text.as_str()).await {
                            tracing::warn!(target: "asyncapi_runtime", session = handle.id(), %error, "message not handled");
                            let close = match error.close_code() {
                                Some(code) => Some((code, error.reason().to_string())),
                                None => reject(&mut socket, protocol, error.reason(), CloseCode::InvalidPayload).await,
                            };
                            if close.is_some() {
                                break close;
                            }
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        let reason = "binary frames are not supported: send JSON text frames";
                        if let Some(close) = reject(&mut socket, protocol, reason, CloseCode::UnsupportedData).await {
                            break Some(close);
                        }
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                }
            }
            () = handle.outbox.ready() => {
                let batch = handle.outbox.take();
                if batch.overflow {
                    break Some((CloseCode::TryAgainLater, "outbound queue overflow: the client reads too slowly".into()));
                }
                if write_all(&mut socket, batch.messages).await.is_err() {
                    break None;
                }
                if batch.closing.is_some() {
                    break batch.closing;
                }
            }
            _ = ping.tick() => {
                if last_seen.elapsed() > config.idle_timeout {
                    break Some((CloseCode::GoingAway, "idle timeout".into()));
                } else if socket.send(Message::Ping(Default::default())).await.is_err() {
                    break None;
                }
            }
            _ = down.changed() => {}
        }
    };
    if let Some((code, reason)) = close {
        let frame = CloseFrame {
            code: code.code(),
            reason: reason.into(),
        };
        close_handshake(&mut socket, frame, config.idle_timeout).await;
    }
    drop(_ended);
    protocol.on_close(handle).await;
}
