//! Client side: connecting, the reader task, reconnects, errors and the typed event stream.
//!
//! ```no_run
//! use asyncapi_runtime::ws::client::{self, ClientConfig, ClientError, Incoming};
//! use asyncapi_runtime::ws::Credentials;
//!
//! /// What this client expects from the server.
//! enum Event {
//!     Message(serde_json::Value),
//!     Reconnected,
//! }
//!
//! impl Incoming for Event {
//!     fn decode(raw: String) -> Result<Self, ClientError> {
//!         match serde_json::from_str(&raw) {
//!             Ok(value) => Ok(Event::Message(value)),
//!             Err(error) => Err(ClientError::Decode { raw, error }),
//!         }
//!     }
//!
//!     fn reconnected() -> Self {
//!         Event::Reconnected
//!     }
//! }
//!
//! # async fn run() -> Result<(), ClientError> {
//! let credentials = Credentials::new().with("token", "demo");
//! let (connection, mut events) =
//!     client::connect::<Event>("ws://127.0.0.1:8080/echo", &credentials, ClientConfig::default()).await?;
//! connection.send_json(&serde_json::json!({ "hello": "world" })).await?;
//! while let Some(event) = events.next().await {
//!     match event {
//!         Ok(Event::Message(value)) => println!("{value}"),
//!         Ok(Event::Reconnected) => println!("reconnected"),
//!         Err(error) => eprintln!("{error}"),
//!     }
//! }
//! # Ok(())
//! # }
//! ```

use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{SinkExt, Stream, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::{
    frame::coding::CloseCode as WireCloseCode, CloseFrame, WebSocketConfig,
};
use tokio_tungstenite::tungstenite::{self, Message};

use super::{CloseCode, Credentials};

/// Exponential backoff between reconnect attempts.
#[derive(Clone, Debug)]
pub struct Backoff {
    /// Delay before the first attempt.
    pub initial: Duration,
    /// Longest delay between attempts.
    pub max: Duration,
    /// Give up after this many failed attempts in a row (`None`: never).
    pub max_attempts: Option<u32>,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(10),
            max_attempts: Some(10),
        }
    }
}

/// Limits, pings and reconnects of a connection.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Largest accepted message, in bytes.
    pub max_message_size: usize,
    /// Reconnect after the connection drops (not after `close()`).
    pub reconnect: Option<Backoff>,
    /// Ping the server this often to keep the connection alive.
    pub ping_interval: Option<Duration>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            max_message_size: 16 << 20,
            reconnect: None,
            ping_interval: Some(Duration::from_secs(20)),
        }
    }
}

/// What can go wrong on a connection.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered the handshake with this HTTP status (401: bad or missing credentials).
    #[error("handshake rejected with HTTP {status}: {body}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The response body, as text.
        body: String,
    },
    /// The connection could not be made or broke.
    #[error("connection error: {0}")]
    Transport(#[source] tungstenite::Error),
    /// The connection ended without a close frame.
    #[error("the connection ended without a close frame")]
    ConnectionLost,
    /// The connection is over: nothing can be sent on it any more.
    #[error("the connection is closed")]
    NotConnected,
    /// The server closed the connection.
    #[error("closed by the server ({code}): {reason}")]
    Closed {
        /// The close code.
        code: CloseCode,
        /// The close reason.
        reason: String,
    },
    /// A message could not be encoded.
    #[error("cannot encode message: {0}")]
    Encode(#[source] serde_json::Error),
    /// A message from the server could not be decoded; the stream goes on.
    #[error("cannot decode {raw}: {error}")]
    Decode {
        /// The message as received.
        raw: String,
        /// Why it does not decode.
        #[source]
        error: serde_json::Error,
    },
}

/// What the reader task hands to the typed event stream.
#[derive(Debug)]
enum RawEvent {
    Text(String),
    Reconnected,
    Error(ClientError),
}

#[derive(Debug)]
enum Command {
    Text(String),
    Close,
}

/// The sending half of a connection: cheap to clone and usable from any task.
#[derive(Clone, Debug)]
pub struct Connection {
    tx: mpsc::Sender<Command>,
}

impl Connection {
    /// Sends a JSON text frame.
    pub async fn send_json<T: serde::Serialize + ?Sized>(
        &self,
        message: &T,
    ) -> Result<(), ClientError> {
        let text = serde_json::to_string(message).map_err(ClientError::Encode)?;
        self.tx
            .send(Command::Text(text))
            .await
            .map_err(|_| ClientError::NotConnected)
    }

    /// Closes the connection with 1000 (no reconnect follows).
    pub async fn close(&self) {
        let _ = self.tx.send(Command::Close).await;
    }
}

/// What a client's event stream yields: implemented by the generated `Incoming` enums.
pub trait Incoming: Sized {
    /// Decodes one text message from the server.
    fn decode(raw: String) -> Result<Self, ClientError>;
    /// The event telling that the connection was re-established.
    fn reconnected() -> Self;
}

/// The typed stream of what the server sends; it ends once the connection is over for good.
pub struct Events<M> {
    rx: mpsc::Receiver<RawEvent>,
    _message: PhantomData<fn() -> M>,
}

impl<M> std::fmt::Debug for Events<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events").finish_non_exhaustive()
    }
}

impl<M: Incoming> Events<M> {
    /// The next event; `None` once the connection is over for good.
    pub async fn next(&mut self) -> Option<Result<M, ClientError>> {
        StreamExt::next(self).await
    }

    fn typed(event: RawEvent) -> Result<M, ClientError> {
        match event {
            RawEvent::Text(raw) => M::decode(raw),
            RawEvent::Reconnected => Ok(M::reconnected()),
            RawEvent::Error(e) => Err(e),
        }
    }
}

impl<M: Incoming> Stream for Events<M> {
    type Item = Result<M, ClientError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx).map(|event| event.map(Self::typed))
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(url: &str, config: &ClientConfig) -> Result<Socket, ClientError> {
    let ws_config = WebSocketConfig::default().max_message_size(Some(config.max_message_size));
    match tokio_tungstenite::connect_async_with_config(url, Some(ws_config), true).await {
        Ok((socket, _)) => Ok(socket),
        Err(tungstenite::Error::Http(response)) => {
            let status = response.status().as_u16();
            let body = response
                .body()
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).to_string())
                .unwrap_or_default();
            Err(ClientError::Rejected { status, body })
        }
        Err(e) => Err(ClientError::Transport(e)),
    }
}

/// `url` with the credentials appended as query parameters.
fn with_query(url: &str, credentials: &Credentials) -> String {
    let query = credentials.query_string();
    if query.is_empty() {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&{query}")
    } else {
        format!("{url}?{query}")
    }
}

/// Connects to `url` (path included) with the credentials as query parameters.
pub async fn connect<M: Incoming>(
    url: &str,
    credentials: &Credentials,
    config: ClientConfig,
) -> Result<(Connection, Events<M>), ClientError> {
    let full = with_query(url, credentials);
    let socket = open(&full, &config).await?;
    let (tx, commands) = mpsc::channel(1024);
    let (events_tx, rx) = mpsc::channel(1024);
    tokio::spawn(run(socket, full, config, commands, events_tx));
    Ok((
        Connection { tx },
        Events {
            rx,
            _message: PhantomData,
        },
    ))
}

/// Why one connection ended.
enum Ended {
    /// By this side: no reconnect.
    Closed,
    /// By the server or the network.
    Dropped(ClientError),
}

/// Reads and writes one connection until it ends.
async fn pump(
    socket: &mut Socket,
    config: &ClientConfig,
    commands: &mut mpsc::Receiver<Command>,
    events: &mpsc::Sender<RawEvent>,
) -> Ended {
    let period = config.ping_interval.unwrap_or(Duration::from_secs(3600));
    let mut ping = tokio::time::interval(period);
    ping.tick().await;
    loop {
        tokio::select! {
            frame = socket.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    if events.send(RawEvent::Text(text.to_string())).await.is_err() {
                        return Ended::Closed;
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    let (code, reason) = frame.map(|f| (CloseCode::from(u16::from(f.code)), f.reason.to_string())).unwrap_or((CloseCode::NoStatus, String::new()));
                    return Ended::Dropped(ClientError::Closed { code, reason });
                }
                Some(Ok(_)) => {
                    let _ = socket.flush().await;
                }
                Some(Err(e)) => return Ended::Dropped(ClientError::Transport(e)),
                None => return Ended::Dropped(ClientError::ConnectionLost),
            },
            command = commands.recv() => match command {
                Some(Command::Text(text)) => {
                    if let Err(e) = socket.send(Message::text(text)).await {
                        return Ended::Dropped(ClientError::Transport(e));
                    }
                }
                Some(Command::Close) | None => {
                    let _ = socket.close(Some(CloseFrame { code: WireCloseCode::Normal, reason: "".into() })).await;
                    return Ended::Closed;
                }
            },
            _ = ping.tick(), if config.ping_interval.is_some() => {
                if let Err(e) = socket.send(Message::Ping(Default::default())).await {
                    return Ended::Dropped(ClientError::Transport(e));
                }
            }
        }
    }
}

/// Runs the connection; reconnects with backoff when configured.
async fn run(
    mut socket: Socket,
    url: String,
    config: ClientConfig,
    mut commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<RawEvent>,
) {
    loop {
        let Ended::Dropped(error) = pump(&mut socket, &config, &mut commands, &events).await else {
            return;
        };
        let _ = events.send(RawEvent::Error(error)).await;
        let Some(backoff) = &config.reconnect else {
            return;
        };
        let mut delay = backoff.initial;
        let mut attempts = 0u32;
        socket = loop {
            tokio::time::sleep(delay).await;
            match open(&url, &config).await {
                Ok(s) => break s,
                Err(e) => {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_join_the_url_query() {
        let credentials = Credentials::new().with("token", "t");
        assert_eq!(with_query("ws://h/p", &credentials), "ws://h/p?token=t");
        assert_eq!(
            with_query("ws://h/p?x=1", &credentials),
            "ws://h/p?x=1&token=t"
        );
        assert_eq!(with_query("ws://h/p", &Credentials::new()), "ws://h/p");
    }
}
