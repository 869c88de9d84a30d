//! The WebSocket server and client of the runtime, end to end on loopback: a small protocol
//! (echo, failures, floods, closes) served by `route` and driven by `connect`, and by a plain
//! `tokio-tungstenite` client where the runtime's client cannot send what is tested.

mod support;

use std::time::Duration;

use asyncapi_runtime::ws::client::{self, ClientConfig, ClientError};
use asyncapi_runtime::ws::server::{Frame, SendError, ServerConfig};
use asyncapi_runtime::ws::{CloseCode, Credentials};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use support::*;
use tokio_tungstenite::tungstenite::Message;
#[tokio::test]
async fn messages_round_trip_after_the_greeting() {
    let server = start(TestProtocol::new(true), ServerConfig::default()).await;
    let (connection, mut events) = connected(&server, ClientConfig::default()).await;
    for n in 0..3 {
        send(&connection, json!({ "op": "echo", "value": { "n": n } })).await;
    }
    for n in 0..3 {
        assert_eq!(next_message(&mut events).await, json!({ "n": n }));
    }
}

#[tokio::test]
async fn handshakes_without_credentials_are_rejected_with_401() {
    let server = start(TestProtocol::new(true), ServerConfig::default()).await;
    let missing =
        client::connect::<Event>(&server.url, &Credentials::new(), ClientConfig::default())
            .await
            .unwrap_err();
    match missing {
        ClientError::Rejected { status, body } => {
            assert_eq!(status, 401);
            assert!(body.contains("token"), "{body}");
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    let wrong = Credentials::new().with("token", "guess");
    let refused = client::connect::<Event>(&server.url, &wrong, ClientConfig::default())
        .await
        .unwrap_err();
    match refused {
        ClientError::Rejected { status, body } => {
            assert_eq!(status, 401);
            assert_eq!(body, "bad token");
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn handler_errors_are_answered_on_the_error_channel_and_the_session_goes_on() {
    let server = start(TestProtocol::new(true), ServerConfig::default()).await;
    let (connection, mut events) = connected(&server, ClientConfig::default()).await;
    send(&connection, json!({ "op": "fail" })).await;
    assert_eq!(
        next_message(&mut events).await,
        json!({ "error": "refused" })
    );
    connection.send_json(&[1, 2]).await.unwrap();
    assert_eq!(
        next_message(&mut events).await,
        json!({ "error": "unknown op" })
    );
    send(&connection, json!({ "op": "echo", "value": "still here" })).await;
    assert_eq!(next_message(&mut events).await, json!("still here"));
}

#[tokio::test]
async fn handler_errors_close_with_1007_when_there_is_no_error_channel() {
    let server = start(TestProtocol::new(false), ServerConfig::default()).await;
    let (connection, mut events) = connected(&server, ClientConfig::default()).await;
    send(&connection, json!({ "op": "fail" })).await;
    assert_eq!(
        close_of(&mut events).await,
        (CloseCode::InvalidPayload, "refused".to_string())
    );
    assert!(events.next().await.is_none(), "no reconnect was configured");
}

#[tokio::test]
async fn a_handler_error_can_pick_its_close_code() {
    let protocol = TestProtocol::new(true);
    let server = start(protocol.clone(), ServerConfig::default()).await;
    let (connection, mut events) = connected(&server, ClientConfig::default()).await;
    send(&connection, json!({ "op": "kick" })).await;
    assert_eq!(
        close_of(&mut events).await,
        (CloseCode::Other(4001), "kicked".to_string())
    );
    tokio::time::timeout(WAIT, async {
        while protocol.seen.lock().unwrap().closed == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("on_close runs");
}

#[tokio::test]
async fn a_full_outbound_queue_fails_the_send_and_closes_with_1013() {
    let protocol = TestProtocol::new(true);
    let config = ServerConfig {
        outbound_queue: 4,
        ..ServerConfig::default()
    };
    let server = start(protocol.clone(), config).await;
    let (connection, mut events) = connected(&server, ClientConfig::default()).await;
    send(&connection, json!({ "op": "flood", "count": 6 })).await;
    let (code, _) = close_of(&mut events).await;
    assert_eq!(code, CloseCode::TryAgainLater);
    let results = protocol.seen.lock().unwrap().flood_results.clone();
    let queue_full = SendError::QueueFull.to_string();
    assert_eq!(
        results,
        vec![
            Ok(()),
            Ok(()),
            Ok(()),
            Ok(()),
            Err(queue_full.clone()),
            Err(queue_full)
        ]
    );
}

#[tokio::test]
async fn a_panicking_handler_ends_only_its_session_and_its_senders_learn_it() {
    let protocol = TestProtocol::new(true);
    let server = start(protocol.clone(), ServerConfig::default()).await;
    let (connection, _events) = connected(&server, ClientConfig::default()).await;
    let handle = protocol.sessions().pop().expect("the session");
    send(&connection, json!({ "op": "panic" })).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !handle.is_closed() {
        assert!(
            std::time::Instant::now() < deadline,
            "the session never ended"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(matches!(handle.send_json(&1), Err(SendError::Closed)));
    assert!(matches!(
        handle.send_json_wait(&1).await,
        Err(SendError::Closed)
    ));
    // The server goes on serving other sessions.
    let (other, mut events) = connected(&server, ClientConfig::default()).await;
    send(&other, json!({ "op": "echo", "value": 7 })).await;
    assert_eq!(next_message(&mut events).await, json!(7));
}

#[tokio::test]
async fn a_close_writes_what_is_queued_first() {
    let server = start(TestProtocol::new(true), ServerConfig::default()).await;
    let (connection, mut events) = connected(&server, ClientConfig::default()).await;
    send(&connection, json!({ "op": "close" })).await;
    for n in 0..3 {
        assert_eq!(next_message(&mut events).await, json!({ "n": n }));
    }
    assert!(matches!(
        next(&mut events).await,
        Err(ClientError::Closed { code: CloseCode::Other(4000), reason }) if reason == "done"
    ));
}

#[tokio::test]
async fn oversized_messages_close_with_1009() {
    let config = ServerConfig {
        max_message_size: 1024,
        max_frame_size: 1024,
        ..ServerConfig::default()
    };
    let server = start(TestProtocol::new(true), config).await;
    let (connection, mut events) = connected(&server, ClientConfig::default()).await;
    let big = "x".repeat(4096);
    send(&connection, json!({ "op": "echo", "value": big })).await;
    assert_eq!(close_of(&mut events).await.0, CloseCode::MessageTooBig);
}


#[tokio::test]
async fn binary_frames_are_answered_or_closed_with_1003() {
    let answered = start(TestProtocol::new(true), ServerConfig::default()).await;
    let mut socket = raw_client(&answered).await;
    socket.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    let reply: Value =
        serde_json::from_str(socket.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
    assert!(
        reply["error"].as_str().unwrap().contains("binary"),
        "{reply}"
    );
    // A text frame that is not JSON: the handler's `?` turns the parse error into the reply.
    socket.send(Message::text("{ not json")).await.unwrap();
    let reply: Value =
        serde_json::from_str(socket.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
    assert!(
        reply["error"].as_str().unwrap().contains("line 1"),
        "{reply}"
    );

    let closed = start(TestProtocol::new(false), ServerConfig::default()).await;
    let mut socket = raw_client(&closed).await;
    socket.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    match socket.next().await.unwrap().unwrap() {
        Message::Close(Some(frame)) => assert_eq!(u16::from(frame.code), 1003),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[tokio::test]
async fn shutdown_closes_every_session_with_1001() {
    let server = start(TestProtocol::new(true), ServerConfig::default()).await;
    let (_first, mut first_events) = connected(&server, ClientConfig::default()).await;
    let (_second, mut second_events) = connected(&server, ClientConfig::default()).await;
    server.shutdown.trigger();
    assert_eq!(close_of(&mut first_events).await.0, CloseCode::GoingAway);
    assert_eq!(close_of(&mut second_events).await.0, CloseCode::GoingAway);
}

#[tokio::test]
async fn the_client_reconnects_after_the_server_closes() {
    let server = start(TestProtocol::new(true), ServerConfig::default()).await;
    let config = reconnecting(5);
    let (connection, mut events) = connected(&server, config).await;
    send(&connection, json!({ "op": "close" })).await;
    assert_eq!(close_of(&mut events).await.0, CloseCode::Other(4000));
    assert_eq!(next(&mut events).await.unwrap(), Event::Reconnected);
    assert_eq!(next_message(&mut events).await, json!({ "hello": "ada" }));
    send(&connection, json!({ "op": "echo", "value": "again" })).await;
    assert_eq!(next_message(&mut events).await, json!("again"));
}

#[tokio::test]
async fn reconnects_give_up_after_the_configured_attempts() {
    let server = start(TestProtocol::new(true), ServerConfig::default()).await;
    let config = reconnecting(2);
    let (_connection, mut events) = connected(&server, config).await;
    server.shutdown.trigger();
    assert_eq!(close_of(&mut events).await.0, CloseCode::GoingAway);
    assert!(
        matches!(next(&mut events).await, Err(ClientError::Transport(_))),
        "the last failed attempt is reported"
    );
    assert!(events.next().await.is_none());
}

#[tokio::test]
async fn undecodable_messages_are_errors_and_the_stream_goes_on() {
    let server = start(TestProtocol::new(true), ServerConfig::default()).await;
    let (connection, mut events) = connected(&server, ClientConfig::default()).await;
    send(&connection, json!({ "op": "raw" })).await;
    match next(&mut events).await {
        Err(ClientError::Decode { raw, .. }) => assert_eq!(raw, "not json"),
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert_eq!(next_message(&mut events).await, json!({ "after": 1 }));
}

#[tokio::test]
async fn one_frame_reaches_many_sessions() {
    let protocol = TestProtocol::new(true);
    let server = start(protocol.clone(), ServerConfig::default()).await;
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(connected(&server, ClientConfig::default()).await);
    }
    let frame = Frame::json(&json!({ "broadcast": true })).unwrap();
    let sessions = protocol.sessions();
    assert_eq!(sessions.len(), 3);
    for session in &sessions {
        session.send_frame(&frame).unwrap();
    }
    for (_, events) in &mut clients {
        assert_eq!(next_message(events).await, json!({ "broadcast": true }));
    }
}

#[tokio::test]
async fn closing_the_client_ends_its_stream_and_its_session() {
    let protocol = TestProtocol::new(true);
    let server = start(protocol.clone(), ServerConfig::default()).await;
    let (connection, mut events) = connected(&server, ClientConfig::default()).await;
    connection.close().await;
    let end = tokio::time::timeout(WAIT, events.next()).await.unwrap();
    assert!(end.is_none(), "{end:?}");
    assert!(matches!(
        connection.send_json(&json!({})).await,
        Err(ClientError::NotConnected)
    ));
    let session = protocol.sessions().pop().unwrap();
    tokio::time::timeout(WAIT, async {
        while !session.is_closed() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the server ends the session");
    assert!(matches!(
        session.send_json(&json!({})),
        Err(SendError::Closed)
    ));
}
