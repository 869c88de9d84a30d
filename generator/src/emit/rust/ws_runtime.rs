//! The crate's `ws` module: WebSocket machinery shared by every generated server and client.
//! Spec-specific code (handler traits, typed sessions, routes, clients) is generated per document
//! and calls into this.

use proc_macro2::TokenStream;
use quote::quote;

pub fn emit() -> TokenStream {
    let common = common();
    let server = server();
    let client = client();
    quote! {
        //! WebSocket runtime shared by the generated servers and clients.
        #common
        #server
        #client
    }
}

fn common() -> TokenStream {
    quote! {
        /// Close codes the servers and clients use (RFC 6455, section 7.4.1).
        pub mod close_code {
            /// Normal closure.
            pub const NORMAL: u16 = 1000;
            /// The server is shutting down, or the session was idle too long.
            pub const GOING_AWAY: u16 = 1001;
            /// A binary frame where JSON text is expected (when the spec has no error channel).
            pub const UNSUPPORTED_DATA: u16 = 1003;
            /// A text frame that is not a valid message (when the spec has no error channel).
            pub const INVALID_PAYLOAD: u16 = 1007;
            /// A frame or message larger than the configured maximum.
            pub const MESSAGE_TOO_BIG: u16 = 1009;
            /// The session's outbound queue overflowed: the client reads too slowly.
            pub const TRY_AGAIN_LATER: u16 = 1013;
        }

        /// The query parameters of the handshake URL (`?token=...`).
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct Credentials {
            pub query: ::std::collections::BTreeMap<::std::string::String, ::std::string::String>,
        }

        impl Credentials {
            pub fn new() -> Self {
                Self::default()
            }

            /// Adds one query parameter.
            pub fn with(mut self, name: &str, value: &str) -> Self {
                self.query.insert(name.to_string(), value.to_string());
                self
            }

            pub fn get(&self, name: &str) -> ::std::option::Option<&str> {
                self.query.get(name).map(::std::string::String::as_str)
            }

            /// `name=value&...`, percent-encoded.
            pub fn query_string(&self) -> ::std::string::String {
                fn encode(s: &str) -> ::std::string::String {
                    let mut out = ::std::string::String::new();
                    for b in s.bytes() {
                        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                            out.push(b as char);
                        } else {
                            out.push_str(&::std::format!("%{b:02X}"));
                        }
                    }
                    out
                }
                self.query.iter().map(|(k, v)| ::std::format!("{}={}", encode(k), encode(v))).collect::<::std::vec::Vec<_>>().join("&")
            }
        }

        /// Why credentials were refused; answered with HTTP 401 before any upgrade.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct AuthError(pub ::std::string::String);

        impl ::std::fmt::Display for AuthError {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl ::std::error::Error for AuthError {}
    }
}

fn server() -> TokenStream {
    quote! {
        /// Server side: sessions, limits, the session loop and graceful shutdown.
        #[cfg(feature = "server")]
        pub mod server {
            use ::std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
            use ::std::sync::Arc;
            use ::std::time::Duration;

            use ::axum::extract::ws::{CloseFrame, Message, WebSocket};
            use ::futures_util::SinkExt;
            use ::tokio::sync::{mpsc, watch, Notify};

            /// Queued messages written before one flush.
            const WRITE_BATCH: usize = 64;

            /// Limits and timers of every session.
            #[derive(Clone, Debug)]
            pub struct ServerConfig {
                /// Largest accepted message, in bytes; larger ones close the session with 1009.
                pub max_message_size: usize,
                /// Largest accepted frame, in bytes.
                pub max_frame_size: usize,
                /// Read buffer per session, in bytes (allocated up front: it sets the memory of an idle session).
                pub read_buffer_size: usize,
                /// Write buffer per session, in bytes.
                pub write_buffer_size: usize,
                /// Messages queued per session before the overflow policy applies.
                pub outbound_queue: usize,
                /// How often the server pings the client.
                pub ping_interval: Duration,
                /// A session that sends nothing (not even a pong) for this long is closed with 1001.
                pub idle_timeout: Duration,
            }

            impl ::std::default::Default for ServerConfig {
                fn default() -> Self {
                    ServerConfig {
                        max_message_size: 1 << 20,
                        max_frame_size: 1 << 20,
                        read_buffer_size: 4 << 10,
                        write_buffer_size: 4 << 10,
                        outbound_queue: 1024,
                        ping_interval: Duration::from_secs(20),
                        idle_timeout: Duration::from_secs(60),
                    }
                }
            }

            /// Why a message could not be queued.
            #[derive(Clone, Debug, PartialEq, Eq)]
            pub enum SendError {
                /// The outbound queue was full. Overflow policy: the message is not queued and the
                /// session is closed with 1013, so a slow client never silently misses messages and
                /// memory stays bounded.
                QueueFull,
                /// The session has ended.
                Closed,
                /// The message could not be encoded as JSON.
                Encode(::std::string::String),
            }

            impl ::std::fmt::Display for SendError {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    match self {
                        SendError::QueueFull => f.write_str("outbound queue full; the session is being closed"),
                        SendError::Closed => f.write_str("session closed"),
                        SendError::Encode(e) => ::std::write!(f, "cannot encode message: {e}"),
                    }
                }
            }

            impl ::std::error::Error for SendError {}

            #[derive(Debug)]
            enum Outbound {
                Text(::std::string::String),
                Close(u16, ::std::string::String),
            }

            #[derive(Debug, Default)]
            struct Shared {
                overflow: AtomicBool,
                wake: Notify,
            }

            static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

            /// Handle to one session: cheap to clone and usable from any task.
            #[derive(Clone, Debug)]
            pub struct SessionHandle {
                id: u64,
                tx: mpsc::Sender<Outbound>,
                shared: Arc<Shared>,
            }

            /// The receiving half of a session's queue, consumed by the session loop.
            #[derive(Debug)]
            pub struct SessionQueue {
                rx: mpsc::Receiver<Outbound>,
                shared: Arc<Shared>,
            }

            impl SessionHandle {
                /// A new session with its bounded outbound queue.
                pub fn new(capacity: usize) -> (SessionHandle, SessionQueue) {
                    let (tx, rx) = mpsc::channel(capacity.max(1));
                    let shared = Arc::new(Shared::default());
                    let id = NEXT_SESSION.fetch_add(1, Ordering::Relaxed);
                    (SessionHandle { id, tx, shared: shared.clone() }, SessionQueue { rx, shared })
                }

                /// A process-unique id.
                pub fn id(&self) -> u64 {
                    self.id
                }

                /// Queues any serialisable message as a JSON text frame.
                pub fn send_json<T: ::serde::Serialize>(&self, message: &T) -> ::std::result::Result<(), SendError> {
                    let text = ::serde_json::to_string(message).map_err(|e| SendError::Encode(e.to_string()))?;
                    self.send_text(text)
                }

                /// Queues a raw text frame.
                pub fn send_text(&self, text: ::std::string::String) -> ::std::result::Result<(), SendError> {
                    match self.tx.try_send(Outbound::Text(text)) {
                        ::std::result::Result::Ok(()) => ::std::result::Result::Ok(()),
                        ::std::result::Result::Err(mpsc::error::TrySendError::Full(_)) => {
                            self.shared.overflow.store(true, Ordering::SeqCst);
                            self.shared.wake.notify_one();
                            ::std::result::Result::Err(SendError::QueueFull)
                        }
                        ::std::result::Result::Err(mpsc::error::TrySendError::Closed(_)) => ::std::result::Result::Err(SendError::Closed),
                    }
                }

                /// Queues a JSON message, waiting for room in the queue instead of failing when it is
                /// full: for producers that push as fast as the client reads.
                pub async fn send_json_wait<T: ::serde::Serialize>(&self, message: &T) -> ::std::result::Result<(), SendError> {
                    let text = ::serde_json::to_string(message).map_err(|e| SendError::Encode(e.to_string()))?;
                    self.tx.send(Outbound::Text(text)).await.map_err(|_| SendError::Closed)
                }

                /// Closes the session with a close code and reason, after the messages already queued.
                pub fn close(&self, code: u16, reason: &str) {
                    let _ = self.tx.try_send(Outbound::Close(code, reason.to_string()));
                }

                /// Whether the session has ended.
                pub fn is_closed(&self) -> bool {
                    self.tx.is_closed()
                }
            }

            /// What the generated code does with one session's traffic.
            pub trait Protocol: Send + Sync + 'static {
                /// Decodes and handles one text message; `Err(reason)` rejects it.
                fn on_text(&self, session: &SessionHandle, text: ::std::string::String) -> impl ::std::future::Future<Output = ::std::result::Result<(), ::std::string::String>> + Send;
                /// The spec's error message carrying `reason`, when the spec has an error channel.
                fn error_message(&self, reason: &str) -> ::std::option::Option<::std::string::String>;
                /// Called once when the session has ended.
                fn on_close(&self, session: &SessionHandle) -> impl ::std::future::Future<Output = ()> + Send;
            }

            /// Stops every session with close code 1001 and stops accepting connections.
            #[derive(Clone, Debug)]
            pub struct Shutdown {
                tx: Arc<watch::Sender<bool>>,
            }

            impl ::std::default::Default for Shutdown {
                fn default() -> Self {
                    Shutdown { tx: Arc::new(watch::channel(false).0) }
                }
            }

            impl Shutdown {
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

            /// Serves `router` on `listener` until `shutdown` is triggered.
            pub async fn serve(listener: ::tokio::net::TcpListener, router: ::axum::Router, shutdown: Shutdown) -> ::std::io::Result<()> {
                let signal = shutdown.clone();
                ::axum::serve(listener, router).with_graceful_shutdown(async move { signal.wait().await }).await
            }

            /// Rejects bad input: the spec's error message when it has one, else a close.
            async fn reject<P: Protocol>(socket: &mut WebSocket, protocol: &P, reason: &str, close: u16) -> ::std::option::Option<(u16, ::std::string::String)> {
                match protocol.error_message(reason) {
                    ::std::option::Option::Some(text) => match socket.send(Message::Text(text.into())).await {
                        ::std::result::Result::Ok(()) => ::std::option::Option::None,
                        ::std::result::Result::Err(_) => ::std::option::Option::Some((close, reason.to_string())),
                    },
                    ::std::option::Option::None => ::std::option::Option::Some((close, reason.to_string())),
                }
            }

            /// Writes `first` and what else is already queued (up to a batch), flushing once. Returns a
            /// close that was queued behind them, or `Err` when the socket is gone.
            async fn write_batch(socket: &mut WebSocket, first: ::std::string::String, rx: &mut mpsc::Receiver<Outbound>) -> ::std::result::Result<::std::option::Option<(u16, ::std::string::String)>, ()> {
                socket.feed(Message::Text(first.into())).await.map_err(|_| ())?;
                let mut close = ::std::option::Option::None;
                for _ in 0..WRITE_BATCH {
                    match rx.try_recv() {
                        ::std::result::Result::Ok(Outbound::Text(more)) => socket.feed(Message::Text(more.into())).await.map_err(|_| ())?,
                        ::std::result::Result::Ok(Outbound::Close(code, reason)) => {
                            close = ::std::option::Option::Some((code, reason));
                            break;
                        }
                        ::std::result::Result::Err(_) => break,
                    }
                }
                socket.flush().await.map_err(|_| ())?;
                ::std::result::Result::Ok(close)
            }

            /// Runs one upgraded session until it ends: reads, writes, pings, limits, shutdown.
            pub async fn run_session<P: Protocol>(
                mut socket: WebSocket,
                protocol: Arc<P>,
                handle: SessionHandle,
                mut queue: SessionQueue,
                config: ServerConfig,
                shutdown: Shutdown,
            ) {
                let mut down = shutdown.subscribe();
                let mut ping = ::tokio::time::interval(config.ping_interval);
                ping.set_missed_tick_behavior(::tokio::time::MissedTickBehavior::Delay);
                ping.tick().await;
                let mut last_seen = ::tokio::time::Instant::now();
                let close: ::std::option::Option<(u16, ::std::string::String)> = loop {
                    if *down.borrow() {
                        break ::std::option::Option::Some((super::close_code::GOING_AWAY, "server shutting down".into()));
                    }
                    ::tokio::select! {
                        incoming = socket.recv() => {
                            last_seen = ::tokio::time::Instant::now();
                            match incoming {
                                ::std::option::Option::None => break ::std::option::Option::None,
                                ::std::option::Option::Some(::std::result::Result::Err(e)) => {
                                    let text = e.to_string();
                                    if text.contains("too long") || text.contains("Space limit") || text.contains("too big") {
                                        break ::std::option::Option::Some((super::close_code::MESSAGE_TOO_BIG, ::std::format!("message larger than {} bytes", config.max_message_size)));
                                    }
                                    break ::std::option::Option::None;
                                }
                                ::std::option::Option::Some(::std::result::Result::Ok(message)) => match message {
                                    Message::Text(text) => {
                                        if let ::std::result::Result::Err(reason) = protocol.on_text(&handle, text.to_string()).await {
                                            if let ::std::option::Option::Some(close) = reject(&mut socket, &*protocol, &reason, super::close_code::INVALID_PAYLOAD).await {
                                                break ::std::option::Option::Some(close);
                                            }
                                        }
                                    }
                                    Message::Binary(_) => {
                                        let reason = "binary frames are not supported: send JSON text frames";
                                        if let ::std::option::Option::Some(close) = reject(&mut socket, &*protocol, reason, super::close_code::UNSUPPORTED_DATA).await {
                                            break ::std::option::Option::Some(close);
                                        }
                                    }
                                    Message::Close(_) => break ::std::option::Option::None,
                                    Message::Ping(_) | Message::Pong(_) => {}
                                },
                            }
                        }
                        outgoing = queue.rx.recv() => match outgoing {
                            ::std::option::Option::Some(Outbound::Text(text)) => match write_batch(&mut socket, text, &mut queue.rx).await {
                                ::std::result::Result::Ok(::std::option::Option::None) => {}
                                ::std::result::Result::Ok(close) => break close,
                                ::std::result::Result::Err(()) => break ::std::option::Option::None,
                            },
                            ::std::option::Option::Some(Outbound::Close(code, reason)) => break ::std::option::Option::Some((code, reason)),
                            ::std::option::Option::None => break ::std::option::Option::None,
                        },
                        _ = queue.shared.wake.notified() => {
                            if queue.shared.overflow.load(Ordering::SeqCst) {
                                break ::std::option::Option::Some((super::close_code::TRY_AGAIN_LATER, "outbound queue overflow: the client reads too slowly".into()));
                            }
                        }
                        _ = ping.tick() => {
                            if last_seen.elapsed() > config.idle_timeout {
                                break ::std::option::Option::Some((super::close_code::GOING_AWAY, "idle timeout".into()));
                            } else if socket.send(Message::Ping(::axum::body::Bytes::new())).await.is_err() {
                                break ::std::option::Option::None;
                            }
                        }
                        _ = down.changed() => {}
                    }
                };
                if let ::std::option::Option::Some((code, reason)) = close {
                    let _ = socket.send(Message::Close(::std::option::Option::Some(CloseFrame { code, reason: reason.into() }))).await;
                }
                queue.rx.close();
                protocol.on_close(&handle).await;
            }
        }
    }
}

fn client() -> TokenStream {
    quote! {
        /// Client side: connecting, the reader task, reconnects and errors.
        #[cfg(feature = "client")]
        pub mod client {
            use ::std::time::Duration;

            use ::futures_util::{SinkExt, StreamExt};
            use ::tokio::sync::mpsc;
            use ::tokio_tungstenite::tungstenite::protocol::{frame::coding::CloseCode, CloseFrame, WebSocketConfig};
            use ::tokio_tungstenite::tungstenite::{self, Message};

            /// Exponential backoff between reconnect attempts.
            #[derive(Clone, Debug)]
            pub struct Backoff {
                pub initial: Duration,
                pub max: Duration,
                /// Give up after this many failed attempts in a row (`None`: never).
                pub max_attempts: ::std::option::Option<u32>,
            }

            impl ::std::default::Default for Backoff {
                fn default() -> Self {
                    Backoff { initial: Duration::from_millis(200), max: Duration::from_secs(10), max_attempts: ::std::option::Option::Some(10) }
                }
            }

            #[derive(Clone, Debug)]
            pub struct ClientConfig {
                /// Largest accepted message, in bytes.
                pub max_message_size: usize,
                /// Reconnect after the connection drops (not after `close()`).
                pub reconnect: ::std::option::Option<Backoff>,
                /// Ping the server this often to keep the connection alive.
                pub ping_interval: ::std::option::Option<Duration>,
            }

            impl ::std::default::Default for ClientConfig {
                fn default() -> Self {
                    ClientConfig { max_message_size: 16 << 20, reconnect: ::std::option::Option::None, ping_interval: ::std::option::Option::Some(Duration::from_secs(20)) }
                }
            }

            #[derive(Clone, Debug, PartialEq, Eq)]
            pub enum ClientError {
                /// The server answered the handshake with this HTTP status (401: bad or missing credentials).
                Rejected { status: u16, body: ::std::string::String },
                /// The connection could not be made or broke.
                Transport(::std::string::String),
                /// The server closed the connection.
                Closed { code: u16, reason: ::std::string::String },
                /// A message could not be encoded.
                Encode(::std::string::String),
                /// A message from the server could not be decoded; the stream goes on.
                Decode { raw: ::std::string::String, error: ::std::string::String },
            }

            impl ::std::fmt::Display for ClientError {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    match self {
                        ClientError::Rejected { status, body } => ::std::write!(f, "handshake rejected with HTTP {status}: {body}"),
                        ClientError::Transport(e) => ::std::write!(f, "connection error: {e}"),
                        ClientError::Closed { code, reason } => ::std::write!(f, "closed by the server ({code}): {reason}"),
                        ClientError::Encode(e) => ::std::write!(f, "cannot encode message: {e}"),
                        ClientError::Decode { raw, error } => ::std::write!(f, "cannot decode {raw}: {error}"),
                    }
                }
            }

            impl ::std::error::Error for ClientError {}

            /// What the reader task hands to the typed event stream.
            #[derive(Debug)]
            pub enum RawEvent {
                Text(::std::string::String),
                Reconnected,
                Error(ClientError),
            }

            enum Command {
                Text(::std::string::String),
                Close,
            }

            /// The sending half of a connection.
            #[derive(Clone, Debug)]
            pub struct RawClient {
                tx: mpsc::Sender<Command>,
            }

            impl ::std::fmt::Debug for Command {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str("Command")
                }
            }

            impl RawClient {
                /// Sends a JSON text frame.
                pub async fn send_json<T: ::serde::Serialize>(&self, message: &T) -> ::std::result::Result<(), ClientError> {
                    let text = ::serde_json::to_string(message).map_err(|e| ClientError::Encode(e.to_string()))?;
                    self.tx.send(Command::Text(text)).await.map_err(|_| ClientError::Transport("connection closed".into()))
                }

                /// Closes the connection (no reconnect follows).
                pub async fn close(&self) {
                    let _ = self.tx.send(Command::Close).await;
                }
            }

            type Socket = ::tokio_tungstenite::WebSocketStream<::tokio_tungstenite::MaybeTlsStream<::tokio::net::TcpStream>>;

            async fn open(url: &str, config: &ClientConfig) -> ::std::result::Result<Socket, ClientError> {
                let ws_config = WebSocketConfig::default().max_message_size(::std::option::Option::Some(config.max_message_size));
                match ::tokio_tungstenite::connect_async_with_config(url, ::std::option::Option::Some(ws_config), true).await {
                    ::std::result::Result::Ok((socket, _)) => ::std::result::Result::Ok(socket),
                    ::std::result::Result::Err(tungstenite::Error::Http(response)) => {
                        let status = response.status().as_u16();
                        let body = response.body().as_ref().map(|b| ::std::string::String::from_utf8_lossy(b).to_string()).unwrap_or_default();
                        ::std::result::Result::Err(ClientError::Rejected { status, body })
                    }
                    ::std::result::Result::Err(e) => ::std::result::Result::Err(ClientError::Transport(e.to_string())),
                }
            }

            /// Connects to `url` (path included) with the credentials as query parameters.
            pub async fn connect(url: &str, credentials: &super::Credentials, config: ClientConfig) -> ::std::result::Result<(RawClient, mpsc::Receiver<RawEvent>), ClientError> {
                let query = credentials.query_string();
                let full = if query.is_empty() {
                    url.to_string()
                } else if url.contains('?') {
                    ::std::format!("{url}&{query}")
                } else {
                    ::std::format!("{url}?{query}")
                };
                let socket = open(&full, &config).await?;
                let (tx, commands) = mpsc::channel(1024);
                let (events_tx, events) = mpsc::channel(1024);
                ::tokio::spawn(run(socket, full, config, commands, events_tx));
                ::std::result::Result::Ok((RawClient { tx }, events))
            }

            /// Reads and writes one connection; reconnects when configured.
            async fn run(mut socket: Socket, url: ::std::string::String, config: ClientConfig, mut commands: mpsc::Receiver<Command>, events: mpsc::Sender<RawEvent>) {
                let period = config.ping_interval.unwrap_or(Duration::from_secs(3600));
                let mut ping = ::tokio::time::interval(period);
                ping.tick().await;
                loop {
                    let ended: ::std::option::Option<ClientError> = loop {
                        ::tokio::select! {
                            frame = socket.next() => match frame {
                                ::std::option::Option::Some(::std::result::Result::Ok(Message::Text(text))) => {
                                    if events.send(RawEvent::Text(text.to_string())).await.is_err() {
                                        return;
                                    }
                                }
                                ::std::option::Option::Some(::std::result::Result::Ok(Message::Close(frame))) => {
                                    let (code, reason) = frame.map(|f| (u16::from(f.code), f.reason.to_string())).unwrap_or((1005, ::std::string::String::new()));
                                    break ::std::option::Option::Some(ClientError::Closed { code, reason });
                                }
                                ::std::option::Option::Some(::std::result::Result::Ok(_)) => {
                                    // Pings are answered by tungstenite on the next flush.
                                    let _ = socket.flush().await;
                                }
                                ::std::option::Option::Some(::std::result::Result::Err(e)) => break ::std::option::Option::Some(ClientError::Transport(e.to_string())),
                                ::std::option::Option::None => break ::std::option::Option::Some(ClientError::Transport("connection ended".into())),
                            },
                            command = commands.recv() => match command {
                                ::std::option::Option::Some(Command::Text(text)) => {
                                    if let ::std::result::Result::Err(e) = socket.send(Message::text(text)).await {
                                        break ::std::option::Option::Some(ClientError::Transport(e.to_string()));
                                    }
                                }
                                ::std::option::Option::Some(Command::Close) | ::std::option::Option::None => {
                                    let _ = socket.close(::std::option::Option::Some(CloseFrame { code: CloseCode::Normal, reason: "".into() })).await;
                                    return;
                                }
                            },
                            _ = ping.tick(), if config.ping_interval.is_some() => {
                                if let ::std::result::Result::Err(e) = socket.send(Message::Ping(::std::default::Default::default())).await {
                                    break ::std::option::Option::Some(ClientError::Transport(e.to_string()));
                                }
                            }
                        }
                    };
                    let error = ended.unwrap_or_else(|| ClientError::Transport("connection ended".into()));
                    let ::std::option::Option::Some(backoff) = &config.reconnect else {
                        let _ = events.send(RawEvent::Error(error)).await;
                        return;
                    };
                    let _ = events.send(RawEvent::Error(error)).await;
                    let mut delay = backoff.initial;
                    let mut attempts = 0u32;
                    socket = loop {
                        ::tokio::time::sleep(delay).await;
                        match open(&url, &config).await {
                            ::std::result::Result::Ok(s) => break s,
                            ::std::result::Result::Err(e) => {
                                attempts += 1;
                                if backoff.max_attempts.is_some_and(|m| attempts >= m) {
                                    let _ = events.send(RawEvent::Error(e)).await;
                                    return;
                                }
                                delay = (delay * 2).min(backoff.max);
                            }
                        }
                    };
                    if events.send(RawEvent::Reconnected).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}
