//! WebSocket frames by hand, for clients that break the rules on purpose (also used by the
//! `ws_frames` fuzz target).

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A TCP connection to `authority` that has asked for `target` (path and query) and been
/// switched to WebSocket (101).
pub async fn upgrade(authority: &str, target: &str) -> TcpStream {
    let mut stream = TcpStream::connect(authority).await.expect("the server accepts connections");
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("send the upgrade request");
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(stream.read_u8().await.expect("the server answers the upgrade request"));
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
    stream
}

/// A client frame, masked as clients must: FIN, opcode (low nibble), payload.
pub fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | (opcode & 0x0f)];
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n <= usize::from(u16::MAX) => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    let mask = [7, 1, 8, 3];
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    out
}

/// The next server frame (opcode, payload), or `None` at the end of the stream.
pub async fn read_frame(stream: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut header = [0u8; 2];
    stream.read_exact(&mut header).await.ok()?;
    let length = match header[1] & 0x7f {
        126 => u64::from(stream.read_u16().await.ok()?),
        127 => stream.read_u64().await.ok()?,
        n => u64::from(n),
    };
    let mut payload = vec![0u8; usize::try_from(length).ok()?];
    stream.read_exact(&mut payload).await.ok()?;
    Some((header[0] & 0x0f, payload))
}
