//! Clients that misbehave on purpose, against the runtime's server on loopback: invalid UTF-8,
//! fragmented messages beyond the limit, ping floods, a disconnect in the middle of a frame, slow
//! handlers, handshakes sent a byte at a time. Each gets its documented close code, is ignored or
//! is dropped; the server stays up and the other sessions are not disturbed.

mod support;

use std::time::{Duration, Instant};

use asyncapi_runtime::ws::client::ClientConfig;
use asyncapi_runtime::ws::server::ServerConfig;
use serde_json::json;
use support::raw::{frame, read_frame, upgrade};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A TCP connection that has done the upgrade and read the greeting.
async fn upgraded(server: &Server) -> TcpStream {
    let authority = server.url.trim_start_matches("ws://").split('/').next().unwrap().to_string();
    let mut stream = upgrade(&authority, &format!("/ws?{}", credentials().query_string())).await;
    let (opcode, greeting) = read_frame(&mut stream).await.expect("the greeting");
    assert_eq!((opcode, greeting.as_slice()), (1, br#"{"hello":"ada"}"#.as_slice()));
    stream
}

/// Reads until a close frame: its code (`None` when the stream ends without one).
async fn close_code(stream: &mut TcpStream) -> Option<u16> {
    tokio::time::timeout(WAIT, async {
        while let Some((opcode, payload)) = read_frame(stream).await {
            if opcode == 8 {
                return payload.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]));
            }
        }
        None
    })
    .await
    .expect("a close within the timeout")
}

/// An echo through the runtime's own client on a fresh session: the server still serves.
async fn still_serving(server: &Server) {
    let (connection, mut events) = connected(server, ClientConfig::default()).await;
    send(&connection, json!({ "op": "echo", "value": 42 })).await;
    assert_eq!(next_message(&mut events).await, json!(42));
}

#[tokio::test]
async fn invalid_utf8_in_a_text_frame_closes_with_1007() {
    let server = start(TestProtocol::new(true), ServerConfig::default()).await;
    let mut stream = upgraded(&server).await;
    stream.write_all(&frame(true, 1, b"{\"op\": \"echo\", \"value\": \"\xff\xfe\"}")).await.unwrap();
    assert_eq!(close_code(&mut stream).await, Some(1007));
    still_serving(&server).await;
}

#[tokio::test]
async fn a_client_close_is_answered_with_a_close() {
    let protocol = TestProtocol::new(true);
    let server = start(protocol.clone(), ServerConfig::default()).await;
    let mut stream = upgraded(&server).await;
    stream.write_all(&frame(true, 8, &[0x03, 0xe8, b'b', b'y', b'e'])).await.unwrap();
    assert_eq!(close_code(&mut stream).await, Some(1000));
}

#[tokio::test]
async fn a_frame_that_breaks_the_protocol_closes_with_1002() {
    let server = start(TestProtocol::new(true), ServerConfig::default()).await;
    for broken in [frame(true, 3, b"reserved opcode"), frame(false, 9, b"fragmented ping"), frame(true, 0, b"continuation of nothing")] {
        let mut stream = upgraded(&server).await;
        stream.write_all(&broken).await.unwrap();
        assert_eq!(close_code(&mut stream).await, Some(1002), "{broken:?}");
    }
    still_serving(&server).await;
}

#[tokio::test]
async fn a_fragmented_message_beyond_the_limit_closes_with_1009() {
    let config = ServerConfig { max_message_size: 4096, max_frame_size: 4096, ..ServerConfig::default() };
    let server = start(TestProtocol::new(true), config).await;
    let mut stream = upgraded(&server).await;
    // Fragments of 1 KiB each, none over the frame limit, 8 KiB in all.
    stream.write_all(&frame(false, 1, &[b' '; 1024])).await.unwrap();
    for _ in 0..6 {
        stream.write_all(&frame(false, 0, &[b' '; 1024])).await.unwrap();
    }
    let _ = stream.write_all(&frame(true, 0, &[b' '; 1024])).await;
    assert_eq!(close_code(&mut stream).await, Some(1009));
    still_serving(&server).await;
}

#[tokio::test]
async fn a_ping_flood_is_answered_and_disturbs_no_other_session() {
    let server = start(TestProtocol::new(true), ServerConfig::default()).await;
    let (other, mut other_events) = connected(&server, ClientConfig::default()).await;
    let mut flooder = upgraded(&server).await;
    let pings: Vec<u8> = (0..10_000u32).flat_map(|n| frame(true, 9, &n.to_be_bytes())).collect();
    let (mut reader, mut writer) = flooder.split();
    let flood = async move { writer.write_all(&pings).await.is_ok() };
    // The other session echoes while the flood is read.
    let echo = async {
        let started = Instant::now();
        send(&other, json!({ "op": "echo", "value": "during" })).await;
        assert_eq!(next_message(&mut other_events).await, json!("during"));
        started.elapsed()
    };
    let (written, waited) = tokio::join!(flood, echo);
    assert!(written, "the server stopped reading the flood");
    assert!(waited < Duration::from_secs(2), "the other session waited {waited:?}");
    // The flooder's pongs come back (the last ping's payload among them), then an echo.
    let mut pongs = 0;
    let mut last = Vec::new();
    while last != 9_999u32.to_be_bytes() {
        let mut header = [0u8; 2];
        tokio::time::timeout(WAIT, reader.read_exact(&mut header)).await.expect("pongs").unwrap();
        let mut payload = vec![0u8; usize::from(header[1] & 0x7f)];
        reader.read_exact(&mut payload).await.unwrap();
        if header[0] & 0x0f == 10 {
            pongs += 1;
            last = payload;
        }
    }
    assert!(pongs >= 1);
    flooder.write_all(&frame(true, 1, br#"{"op": "echo", "value": "after"}"#)).await.unwrap();
    let (opcode, payload) = loop {
        let (opcode, payload) = read_frame(&mut flooder).await.expect("the echo after the flood");
        if opcode != 10 {
            break (opcode, payload);
        }
    };
    assert_eq!((opcode, payload.as_slice()), (1, br#""after""#.as_slice()));
}

#[tokio::test]
async fn a_client_gone_in_the_middle_of_a_frame_ends_only_its_session() {
    let protocol = TestProtocol::new(true);
    let server = start(protocol.clone(), ServerConfig::default()).await;
    let mut stream = upgraded(&server).await;
    // A header announcing 1000 bytes, ten of them, then the connection is gone.
    let whole = frame(true, 1, &[b'x'; 1000]);
    stream.write_all(&whole[..18]).await.unwrap();
    drop(stream);
    let deadline = Instant::now() + WAIT;
    while protocol.seen.lock().unwrap().closed == 0 {
        assert!(Instant::now() < deadline, "the session was never closed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    still_serving(&server).await;
}

#[tokio::test]
async fn a_slow_handler_stalls_only_its_own_session() {
    let server = start(TestProtocol::new(true), ServerConfig::default()).await;
    let (slow, mut slow_events) = connected(&server, ClientConfig::default()).await;
    send(&slow, json!({ "op": "sleep", "ms": 2000 })).await;
    send(&slow, json!({ "op": "echo", "value": "queued" })).await;
    let started = Instant::now();
    still_serving(&server).await;
    assert!(started.elapsed() < Duration::from_secs(1), "another session waited {:?}", started.elapsed());
    // Its own messages are handled in order, after the slow one.
    assert_eq!(next_message(&mut slow_events).await, json!({ "slept": 2000 }));
    assert_eq!(next_message(&mut slow_events).await, json!("queued"));
}

#[tokio::test]
async fn slow_handshakes_are_dropped_at_the_deadline_and_starve_no_one() {
    let timeout = Duration::from_millis(500);
    let server = start_with_handshake_timeout(TestProtocol::new(true), ServerConfig::default(), timeout).await;
    let authority = server.url.trim_start_matches("ws://").split('/').next().unwrap().to_string();
    let request = format!("GET /ws?{} HTTP/1.1\r\nHost: {authority}\r\nUpgrade: websocket\r\n", credentials().query_string());
    // 200 connections that send the upgrade request one byte every 50 ms, and never finish it.
    let started = Instant::now();
    let trickles: Vec<_> = (0..200)
        .map(|_| {
            let (authority, request) = (authority.clone(), request.clone());
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(&authority).await.unwrap();
                for byte in request.bytes() {
                    if stream.write_all(&[byte]).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    // A dropped connection reads as the end of the stream (or a reset).
                    let mut probe = [0u8; 1];
                    if let Ok(read) = tokio::time::timeout(Duration::from_millis(1), stream.read(&mut probe)).await {
                        if !matches!(read, Ok(n) if n > 0) {
                            return Some(Instant::now());
                        }
                    }
                }
                None
            })
        })
        .collect();
    // Meanwhile a well-behaved client is served at once.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let served = Instant::now();
    still_serving(&server).await;
    assert!(served.elapsed() < Duration::from_secs(1), "a normal session waited {:?}", served.elapsed());
    for trickle in trickles {
        let dropped = trickle.await.unwrap().expect("a slow handshake was never dropped");
        let after = dropped - started;
        assert!(after >= timeout && after < timeout * 4, "dropped after {after:?}");
    }
    still_serving(&server).await;
}
