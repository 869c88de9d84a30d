//! The generated WebSocket servers and clients, over real sockets on 127.0.0.1.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use agent_assist_api::agent_vb::server::{AuthError, CloseCode, Credentials, HandlerError, SendError, ServerConfig, Shutdown};
use agent_assist_api::{agent_assist, agent_vb};
use asyncapi_codegen::__private::{Loc, SourceSet};
use asyncapi_codegen::LoadOptions;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use workspace_tests::root;

const TOKEN: &str = "s3cret";

/// Example payloads of a document's messages, by message key, in document order.
fn examples(file: &str) -> Vec<(String, Value)> {
    let (set, ids) = SourceSet::load(&[root().join("asyncapi").join(file)], &LoadOptions::default()).unwrap();
    let doc = set.get(&Loc::new(ids[0], "")).unwrap().clone();
    let mut out = Vec::new();
    for (key, m) in doc["components"]["messages"].as_object().unwrap() {
        for ex in m["examples"].as_array().into_iter().flatten() {
            out.push((key.clone(), ex["payload"].clone()));
        }
    }
    out
}

/// Server-sent and client-sent examples of a document, decoded into the generated unions.
fn typed<S: serde::de::DeserializeOwned, C: serde::de::DeserializeOwned>(file: &str) -> (Vec<S>, Vec<C>) {
    let (mut server, mut client) = (Vec::new(), Vec::new());
    for (key, payload) in examples(file) {
        if payload.get("topic").is_some() {
            server.push(serde_json::from_value(payload).unwrap_or_else(|e| panic!("{key}: {e}")));
        } else {
            client.push(serde_json::from_value(payload).unwrap_or_else(|e| panic!("{key}: {e}")));
        }
    }
    (server, client)
}

async fn listen(router: agent_vb::server::Router, shutdown: Shutdown) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(agent_vb::server::serve(listener, router, shutdown));
    addr
}

// ---------- AgentVB: a recording handler ----------

struct Vb {
    script: Vec<agent_vb::ServerMessage>,
    commands: mpsc::UnboundedSender<agent_vb::ClientMessage>,
    /// Debug messages to push to every new session, after the script.
    burst: usize,
}

impl agent_vb::server::Handler for Vb {
    type Auth = Credentials;
    fn authenticate(&self, credentials: &Credentials) -> impl std::future::Future<Output = Result<Credentials, AuthError>> + Send {
        let result = if credentials.get("token") == Some(TOKEN) { Ok(credentials.clone()) } else { Err(AuthError::new("unknown token")) };
        async move { result }
    }
    fn on_connect(&self, session: &agent_vb::server::Session, auth: Credentials) -> impl std::future::Future<Output = ()> + Send {
        for m in &self.script {
            session.send(m.clone()).unwrap();
        }
        if let Some(sig) = auth.get("signature") {
            session.send_debug(format!("signature={sig}")).unwrap();
        }
        let (session, burst) = (session.clone(), self.burst);
        async move {
            if burst > 0 {
                tokio::spawn(async move {
                    for i in 0..burst {
                        if session.send_debug(i.to_string()).is_err() {
                            return;
                        }
                        tokio::task::yield_now().await;
                    }
                });
            }
        }
    }
    async fn on_get_verification(&self, _session: &agent_vb::server::Session, message: agent_vb::GetVerificationPayload) -> Result<(), HandlerError> {
        let _ = self.commands.send(agent_vb::ClientMessage::GetVerification(message));
        Ok(())
    }
    async fn on_get_echo(&self, session: &agent_vb::server::Session, message: agent_vb::GetEchoPayload) -> Result<(), HandlerError> {
        let refused = message.parameters.as_ref().and_then(|p| p.get("refuse")).cloned();
        let _ = self.commands.send(agent_vb::ClientMessage::GetEcho(message));
        // A handler error: answered on the error channel, or as the close it asks for.
        match refused.as_deref() {
            Some("close") => return Err(HandlerError::close(CloseCode::PolicyViolation, "refused by the handler")),
            Some(reason) => return Err(HandlerError::new(reason)),
            None => {}
        }
        session.send_debug("echo".into())?;
        Ok(())
    }
}

async fn vb_server(script: Vec<agent_vb::ServerMessage>, burst: usize, config: ServerConfig) -> (SocketAddr, Shutdown, mpsc::UnboundedReceiver<agent_vb::ClientMessage>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let shutdown = Shutdown::new();
    let router = agent_vb::server::router(Arc::new(Vb { script, commands: tx, burst }), config, shutdown.clone());
    (listen(router, shutdown.clone()).await, shutdown, rx)
}

fn vb_url(addr: SocketAddr) -> String {
    format!("ws://{addr}{}", agent_vb::server::ADDRESS)
}

async fn next_message(events: &mut agent_vb::client::Events) -> agent_vb::client::Incoming {
    tokio::time::timeout(Duration::from_secs(10), events.next()).await.expect("no message in time").expect("stream open").expect("decodes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_vb_every_message_type_both_ways() {
    let (server_msgs, client_msgs) = typed::<agent_vb::ServerMessage, agent_vb::ClientMessage>("agent-vb.yaml");
    assert!(server_msgs.len() >= 9 && client_msgs.len() >= 2);
    let (addr, _shutdown, mut commands) = vb_server(server_msgs.clone(), 0, ServerConfig::default()).await;
    let (client, mut events) = agent_vb::client::connect(&vb_url(addr), &Credentials::new().with("token", TOKEN)).await.unwrap();
    for expected in &server_msgs {
        assert_eq!(next_message(&mut events).await, agent_vb::client::Incoming::Message(expected.clone()));
    }
    for m in &client_msgs {
        client.send(m.clone()).await.unwrap();
        let got = tokio::time::timeout(Duration::from_secs(10), commands.recv()).await.unwrap().unwrap();
        assert_eq!(&got, m);
    }
    // Typed sends too.
    client.send_get_echo(agent_vb::GetEchoPayload { command: Default::default(), parameters: None }).await.unwrap();
    assert!(matches!(commands.recv().await, Some(agent_vb::ClientMessage::GetEcho(_))));
}

// ---------- Agent Assist: the same, with the open command fallback ----------

struct Aa {
    script: Vec<agent_assist::ServerMessage>,
    commands: mpsc::UnboundedSender<agent_assist::ClientMessage>,
}

impl agent_assist::server::Handler for Aa {
    type Auth = ();
    fn authenticate(&self, credentials: &Credentials) -> impl std::future::Future<Output = Result<(), AuthError>> + Send {
        let ok = credentials.get("token") == Some(TOKEN);
        async move { if ok { Ok(()) } else { Err(AuthError::new("unknown token")) } }
    }
    fn on_connect(&self, session: &agent_assist::server::Session, _auth: ()) -> impl std::future::Future<Output = ()> + Send {
        for m in &self.script {
            session.send(m.clone()).unwrap();
        }
        async {}
    }
    async fn on_get_dialog(&self, _s: &agent_assist::server::Session, m: agent_assist::GetDialogPayload) -> Result<(), HandlerError> {
        let _ = self.commands.send(agent_assist::ClientMessage::GetDialog(m));
        Ok(())
    }
    async fn on_get_businessflow_instances(&self, _s: &agent_assist::server::Session, m: agent_assist::GetBusinessflowInstancesPayload) -> Result<(), HandlerError> {
        let _ = self.commands.send(agent_assist::ClientMessage::GetBusinessflowInstances(m));
        Ok(())
    }
    async fn on_command_request(&self, _s: &agent_assist::server::Session, m: agent_assist::CommandRequestPayload) -> Result<(), HandlerError> {
        let _ = self.commands.send(agent_assist::ClientMessage::CommandRequest(m));
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_assist_every_message_type_both_ways() {
    let (server_msgs, client_msgs) = typed::<agent_assist::ServerMessage, agent_assist::ClientMessage>("agent-assist.yaml");
    assert!(server_msgs.len() >= 14 && client_msgs.len() >= 3);
    let (tx, mut commands) = mpsc::unbounded_channel();
    let shutdown = Shutdown::new();
    let router = agent_assist::server::router(Arc::new(Aa { script: server_msgs.clone(), commands: tx }), ServerConfig::default(), shutdown.clone());
    let addr = listen(router, shutdown).await;
    let url = format!("ws://{addr}{}", agent_assist::server::ADDRESS);
    let (client, mut events) = agent_assist::client::connect(&url, &Credentials::new().with("token", TOKEN)).await.unwrap();
    for expected in &server_msgs {
        let got = tokio::time::timeout(Duration::from_secs(10), events.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(got, agent_assist::client::Incoming::Message(expected.clone()));
    }
    for m in &client_msgs {
        client.send(m.clone()).await.unwrap();
        assert_eq!(&tokio::time::timeout(Duration::from_secs(10), commands.recv()).await.unwrap().unwrap(), m);
    }
    // A command the spec does not list reaches the open fallback.
    let raw: agent_assist::ClientMessage = serde_json::from_str(r#"{"command": "GET_SOMETHING_NEW"}"#).unwrap();
    client.send(raw).await.unwrap();
    match commands.recv().await.unwrap() {
        agent_assist::ClientMessage::CommandRequest(c) => assert_eq!(c.command.as_str(), "GET_SOMETHING_NEW"),
        other => panic!("expected the fallback, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_happens_before_the_upgrade() {
    let (addr, _s, _c) = vb_server(Vec::new(), 0, ServerConfig::default()).await;
    let url = vb_url(addr);
    for creds in [Credentials::new(), Credentials::new().with("token", "wrong")] {
        match agent_vb::client::connect(&url, &creds).await {
            Err(agent_vb::client::ClientError::Rejected { status, .. }) => assert_eq!(status, 401),
            other => panic!("expected 401, got {:?}", other.map(|_| ())),
        }
    }
    // The optional JWT reaches the authenticated context.
    let (_client, mut events) = agent_vb::client::connect(&url, &Credentials::new().with("token", TOKEN).with("signature", "eyJ.jwt")).await.unwrap();
    let expected: agent_vb::ServerMessage = serde_json::from_str(r#"{"topic": "debug", "data": "signature=eyJ.jwt"}"#).unwrap();
    assert_eq!(next_message(&mut events).await, agent_vb::client::Incoming::Message(expected));
}

type Raw = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn raw(addr: SocketAddr) -> Raw {
    tokio_tungstenite::connect_async(format!("{}?token={TOKEN}", vb_url(addr))).await.unwrap().0
}

/// The next text frame, as JSON (skipping pings).
async fn next_json(ws: &mut Raw) -> Value {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("in time").expect("open").expect("ok") {
            Message::Text(t) => return serde_json::from_str(&t).unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected text, got {other:?}"),
        }
    }
}

async fn close_code_of(ws: &mut Raw) -> u16 {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("in time") {
            Some(Ok(Message::Close(Some(frame)))) => return u16::from(frame.code),
            Some(Ok(Message::Close(None))) | None => return 1005,
            Some(Ok(_)) => continue,
            Some(Err(e)) => panic!("error before close: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_an_error_message_and_the_session_keeps_serving() {
    let (addr, _s, _c) = vb_server(Vec::new(), 0, ServerConfig::default()).await;
    let mut ws = raw(addr).await;
    let mut other = raw(addr).await;
    let cases: Vec<(Message, &str)> = vec![
        (Message::text("not json"), "invalid message"),
        (Message::text(r#"{"command": "GET_NOTHING"}"#), "unknown `command` value `GET_NOTHING`"),
        (Message::text(r#"{"command": "GET_VERIFICATION", "parameters": {"users": 5}}"#), "invalid type"),
        (Message::text(r#"{"topic": "status", "data": "CALL_OPENED"}"#), "missing or non-string `command`"),
        (Message::binary(vec![1u8, 2, 3]), "binary frames are not supported"),
    ];
    for (frame, reason) in cases {
        ws.send(frame).await.unwrap();
        let reply = next_json(&mut ws).await;
        assert_eq!(reply["topic"], "error", "{reply}");
        let text = reply["data"]["message"].as_str().unwrap();
        assert!(text.contains(reason), "expected `{reason}` in `{text}`");
        // Still serving: a valid command is answered.
        ws.send(Message::text(r#"{"command": "GET_ECHO"}"#)).await.unwrap();
        assert_eq!(next_json(&mut ws).await, serde_json::json!({"topic": "debug", "data": "echo"}));
    }
    // The other session was never disturbed.
    other.send(Message::text(r#"{"command": "GET_ECHO"}"#)).await.unwrap();
    assert_eq!(next_json(&mut other).await["data"], "echo");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_assist_answers_bad_input_on_error_info() {
    let (tx, _rx) = mpsc::unbounded_channel();
    let shutdown = Shutdown::new();
    let router = agent_assist::server::router(Arc::new(Aa { script: Vec::new(), commands: tx }), ServerConfig::default(), shutdown.clone());
    let addr = listen(router, shutdown).await;
    let url = format!("ws://{addr}{}?token={TOKEN}", agent_assist::server::ADDRESS);
    let mut ws = tokio_tungstenite::connect_async(url).await.unwrap().0;
    ws.send(Message::text("{")).await.unwrap();
    let reply = next_json(&mut ws).await;
    assert_eq!(reply["topic"], "error_info");
    assert!(reply["data"]["message"].as_str().unwrap().starts_with("invalid message"), "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_messages_close_with_1009_and_others_keep_going() {
    let config = ServerConfig { max_message_size: 1024, max_frame_size: 1024, ..ServerConfig::default() };
    let (addr, _s, _c) = vb_server(Vec::new(), 0, config).await;
    let mut big = raw(addr).await;
    let mut other = raw(addr).await;
    let payload = format!(r#"{{"command": "GET_ECHO", "parameters": {{"pad": "{}"}}}}"#, "x".repeat(4096));
    big.send(Message::text(payload)).await.unwrap();
    assert_eq!(close_code_of(&mut big).await, CloseCode::MessageTooBig.code());
    other.send(Message::text(r#"{"command": "GET_ECHO"}"#)).await.unwrap();
    assert_eq!(next_json(&mut other).await["data"], "echo");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_outbound_queue_closes_with_1013() {
    let config = ServerConfig { outbound_queue: 4, ..ServerConfig::default() };
    let script: Vec<agent_vb::ServerMessage> = (0..50).map(|i| serde_json::from_value(serde_json::json!({"topic": "debug", "data": i.to_string()})).unwrap()).collect();
    // on_connect queues 50 before the session loop drains any: the 5th overflows.
    let shutdown = Shutdown::new();
    struct Flood(Vec<agent_vb::ServerMessage>, mpsc::UnboundedSender<Result<(), SendError>>);
    impl agent_vb::server::Handler for Flood {
        type Auth = ();
        async fn authenticate(&self, _c: &Credentials) -> Result<(), AuthError> {
            Ok(())
        }
        fn on_connect(&self, session: &agent_vb::server::Session, _a: ()) -> impl std::future::Future<Output = ()> + Send {
            for m in &self.0 {
                let _ = self.1.send(session.send(m.clone()));
            }
            async {}
        }
        async fn on_get_verification(&self, _s: &agent_vb::server::Session, _m: agent_vb::GetVerificationPayload) -> Result<(), HandlerError> {
            Ok(())
        }
        async fn on_get_echo(&self, _s: &agent_vb::server::Session, _m: agent_vb::GetEchoPayload) -> Result<(), HandlerError> {
            Ok(())
        }
    }
    let (results_tx, mut results) = mpsc::unbounded_channel();
    let router = agent_vb::server::router(Arc::new(Flood(script, results_tx)), config, shutdown.clone());
    let addr = listen(router, shutdown).await;
    let mut ws = raw(addr).await;
    assert_eq!(close_code_of(&mut ws).await, CloseCode::TryAgainLater.code());
    let mut outcomes = Vec::new();
    while let Ok(r) = results.try_recv() {
        outcomes.push(r);
    }
    assert_eq!(outcomes.iter().filter(|r| r.is_ok()).count(), 4, "exactly the queue's capacity is accepted");
    assert!(outcomes.iter().skip(4).all(|r| matches!(r, Err(SendError::QueueFull))));
}

/// Opens a WebSocket by hand, never answers anything, and returns the code of the close frame
/// the server sends (server frames are unmasked: opcode 0x8, then a 2-byte code).
async fn silent_peer_close_code(addr: SocketAddr) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {}?token={TOKEN} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        agent_vb::server::ADDRESS
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut bytes)).await.expect("the server ends the connection");
    let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n").expect("handshake response") + 4;
    assert!(bytes.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&bytes[..head_end]));
    let mut frames = &bytes[head_end..];
    let mut pings = 0;
    while frames.len() >= 2 {
        let (opcode, len) = (frames[0] & 0x0f, (frames[1] & 0x7f) as usize);
        let body = &frames[2..2 + len];
        match opcode {
            0x9 => pings += 1,
            0x8 => {
                assert!(pings >= 1, "the server pings before giving up");
                return u16::from_be_bytes([body[0], body[1]]);
            }
            _ => {}
        }
        frames = &frames[2 + len..];
    }
    panic!("no close frame in {} bytes", bytes.len() - head_end);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sessions_time_out_and_shutdown_closes_with_1001() {
    let config = ServerConfig { ping_interval: Duration::from_millis(50), idle_timeout: Duration::from_millis(300), ..ServerConfig::default() };
    let (addr, shutdown, _c) = vb_server(Vec::new(), 0, config).await;
    // A client that never answers pings goes idle: a bare TCP peer that only completes the handshake.
    assert_eq!(silent_peer_close_code(addr).await, CloseCode::GoingAway.code());
    // Graceful shutdown closes live sessions with 1001.
    let (_client, mut events) = agent_vb::client::connect(&vb_url(addr), &Credentials::new().with("token", TOKEN)).await.unwrap();
    shutdown.trigger();
    match tokio::time::timeout(Duration::from_secs(10), events.next()).await.unwrap() {
        Some(Err(agent_vb::client::ClientError::Closed { code, .. })) => assert_eq!(code, CloseCode::GoingAway),
        other => panic!("expected a 1001 close, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_topics_reach_an_older_client_as_unknown() {
    // A newer server: it sends a topic this spec does not know.
    let shutdown = Shutdown::new();
    struct Newer;
    impl agent_vb::server::Handler for Newer {
        type Auth = ();
        async fn authenticate(&self, _c: &Credentials) -> Result<(), AuthError> {
            Ok(())
        }
        fn on_connect(&self, session: &agent_vb::server::Session, _a: ()) -> impl std::future::Future<Output = ()> + Send {
            session.send_frame(&agent_vb::server::Frame::text(r#"{"topic": "sentiment_v2", "data": {"score": 1}}"#)).unwrap();
            session.send_debug("after".into()).unwrap();
            async {}
        }
        async fn on_get_verification(&self, _s: &agent_vb::server::Session, _m: agent_vb::GetVerificationPayload) -> Result<(), HandlerError> {
            Ok(())
        }
        async fn on_get_echo(&self, _s: &agent_vb::server::Session, _m: agent_vb::GetEchoPayload) -> Result<(), HandlerError> {
            Ok(())
        }
    }
    let addr = listen(agent_vb::server::router(Arc::new(Newer), ServerConfig::default(), shutdown.clone()), shutdown).await;
    let (_c, mut events) = agent_vb::client::connect(&vb_url(addr), &Credentials::new().with("token", TOKEN)).await.unwrap();
    match next_message(&mut events).await {
        agent_vb::client::Incoming::Unknown { raw } => assert!(raw.contains("sentiment_v2")),
        other => panic!("expected Unknown, got {other:?}"),
    }
    assert!(matches!(next_message(&mut events).await, agent_vb::client::Incoming::Message(agent_vb::ServerMessage::Debug(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_sessions_each_get_every_message_in_order() {
    const SESSIONS: usize = 1000;
    const PER_SESSION: usize = 20;
    let (addr, _s, _c) = vb_server(Vec::new(), PER_SESSION, ServerConfig::default()).await;
    let url = vb_url(addr);
    let mut tasks = Vec::new();
    for _ in 0..SESSIONS {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let (_client, mut events) = agent_vb::client::connect(&url, &Credentials::new().with("token", TOKEN)).await.expect("connects");
            let mut got = Vec::new();
            while got.len() < PER_SESSION {
                match tokio::time::timeout(Duration::from_secs(60), events.next()).await.expect("in time") {
                    Some(Ok(agent_vb::client::Incoming::Message(agent_vb::ServerMessage::Debug(n)))) => got.push(n),
                    other => panic!("unexpected {other:?}"),
                }
            }
            got
        }));
    }
    let expected: Vec<String> = (0..PER_SESSION).map(|i| i.to_string()).collect();
    let mut counts: BTreeMap<bool, usize> = BTreeMap::new();
    for t in tasks {
        *counts.entry(t.await.unwrap() == expected).or_default() += 1;
    }
    assert_eq!(counts.get(&true), Some(&SESSIONS), "sessions with all messages in order: {counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_reconnects_with_backoff() {
    let (addr, shutdown, _c) = vb_server(Vec::new(), 0, ServerConfig::default()).await;
    let config = agent_vb::client::ClientConfig {
        reconnect: Some(agent_vb::client::Backoff { initial: Duration::from_millis(50), max: Duration::from_millis(200), max_attempts: Some(100) }),
        ..Default::default()
    };
    let (client, mut events) = agent_vb::client::connect_with(&vb_url(addr), &Credentials::new().with("token", TOKEN), config).await.unwrap();
    shutdown.trigger();
    assert!(matches!(events.next().await, Some(Err(agent_vb::client::ClientError::Closed { .. }))));
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A new server on the same port.
    let (tx, _rx) = mpsc::unbounded_channel();
    let again = Shutdown::new();
    let router = agent_vb::server::router(Arc::new(Vb { script: Vec::new(), commands: tx, burst: 0 }), ServerConfig::default(), again.clone());
    let listener = loop {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => break l,
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    tokio::spawn(agent_vb::server::serve(listener, router, again));
    let event = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match events.next().await {
                Some(Ok(agent_vb::client::Incoming::Reconnected)) => return true,
                Some(Err(_)) => continue,
                other => panic!("unexpected {other:?}"),
            }
        }
    })
    .await
    .unwrap();
    assert!(event);
    client.send_get_echo(agent_vb::GetEchoPayload { command: Default::default(), parameters: None }).await.unwrap();
    assert_eq!(next_message(&mut events).await, agent_vb::client::Incoming::Message(serde_json::from_str(r#"{"topic": "debug", "data": "echo"}"#).unwrap()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_error_is_answered_on_the_error_channel_or_closes() {
    let (addr, _s, _c) = vb_server(Vec::new(), 0, ServerConfig::default()).await;
    let mut ws = raw(addr).await;
    ws.send(Message::text(r#"{"command": "GET_ECHO", "parameters": {"refuse": "not today"}}"#)).await.unwrap();
    let reply = next_json(&mut ws).await;
    assert_eq!(reply["topic"], "error", "{reply}");
    assert_eq!(reply["data"]["message"], "not today", "{reply}");
    // The session goes on after an error reply.
    ws.send(Message::text(r#"{"command": "GET_ECHO"}"#)).await.unwrap();
    assert_eq!(next_json(&mut ws).await["data"], "echo");
    // A handler asking for a close gets it, with its code.
    ws.send(Message::text(r#"{"command": "GET_ECHO", "parameters": {"refuse": "close"}}"#)).await.unwrap();
    assert_eq!(close_code_of(&mut ws).await, CloseCode::PolicyViolation.code());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_on_a_full_queue_is_not_lost() {
    // The queue is full when the handler asks for the close: the close still happens, after
    // the queued messages.
    let config = ServerConfig { outbound_queue: 3, ..ServerConfig::default() };
    let shutdown = Shutdown::new();
    struct FillThenClose;
    impl agent_vb::server::Handler for FillThenClose {
        type Auth = ();
        async fn authenticate(&self, _c: &Credentials) -> Result<(), AuthError> {
            Ok(())
        }
        fn on_connect(&self, session: &agent_vb::server::Session, _a: ()) -> impl std::future::Future<Output = ()> + Send {
            for i in 0..3 {
                session.send_debug(i.to_string()).unwrap();
            }
            session.close(CloseCode::Other(4000), "done");
            async {}
        }
        async fn on_get_verification(&self, _s: &agent_vb::server::Session, _m: agent_vb::GetVerificationPayload) -> Result<(), HandlerError> {
            Ok(())
        }
        async fn on_get_echo(&self, _s: &agent_vb::server::Session, _m: agent_vb::GetEchoPayload) -> Result<(), HandlerError> {
            Ok(())
        }
    }
    let addr = listen(agent_vb::server::router(Arc::new(FillThenClose), config, shutdown.clone()), shutdown).await;
    let mut ws = raw(addr).await;
    for i in 0..3 {
        assert_eq!(next_json(&mut ws).await["data"], i.to_string());
    }
    assert_eq!(close_code_of(&mut ws).await, 4000);
}
