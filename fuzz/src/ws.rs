//! The generated AgentAssist server (runtime session loop, generated decoding and dispatch) on
//! loopback, fed raw WebSocket frames built from the input: any opcode, fragmentation, invalid
//! UTF-8, oversized lengths, control frames. After them a valid `GET_DIALOG` must get its reply
//! or the session must have been closed; the server must keep accepting sessions.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use agent_assist_api::agent_assist::{self, server};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[path = "../../runtime/tests/support/raw.rs"]
mod raw;
use raw::{frame, read_frame, upgrade};

/// Answers `GET_DIALOG` with a canned `call_info`, fails `command_request` (the error path).
struct Fuzzed {
    reply: agent_assist::ServerMessage,
}

impl server::Handler for Fuzzed {
    type Auth = ();

    async fn authenticate(&self, _: &server::Credentials) -> Result<(), server::AuthError> {
        Ok(())
    }

    async fn on_get_dialog(&self, session: &server::Session, _: agent_assist::GetDialogPayload) -> Result<(), server::HandlerError> {
        session.send(self.reply.clone()).map_err(|e| server::HandlerError::new(e.to_string()))
    }

    async fn on_get_businessflow_instances(&self, _: &server::Session, _: agent_assist::GetBusinessflowInstancesPayload) -> Result<(), server::HandlerError> {
        Ok(())
    }

    async fn on_command_request(&self, _: &server::Session, _: agent_assist::CommandRequestPayload) -> Result<(), server::HandlerError> {
        Err(server::HandlerError::new("refused"))
    }
}

struct Running {
    runtime: tokio::runtime::Runtime,
    address: SocketAddr,
}

fn running() -> &'static Running {
    static SERVER: OnceLock<Running> = OnceLock::new();
    SERVER.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let reply = serde_json::from_str(r#"{"topic": "call_info", "data": {"status": "ACTIVE"}}"#).expect("a server message");
        let config = server::ServerConfig { max_message_size: 64 * 1024, ..Default::default() };
        let shutdown = server::Shutdown::new();
        let router = server::router(Arc::new(Fuzzed { reply }), config, shutdown.clone());
        let address = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let address = listener.local_addr().expect("address");
            tokio::spawn(server::serve(listener, router, shutdown));
            address
        });
        Running { runtime, address }
    })
}

/// Frames from the input: each starts with a header byte (bit 7 FIN, low nibble opcode) and a
/// length byte (payload bytes that follow, ×16 when bit 7 is set, so large messages occur).
fn frames(data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = data;
    while let [header, length, tail @ ..] = rest {
        let wanted = if length & 0x80 != 0 { usize::from(length & 0x7f) * 16 } else { usize::from(*length) };
        let n = wanted.min(tail.len());
        out.push(frame(header & 0x80 != 0, header & 0x0f, &tail[..n]));
        rest = &tail[n..];
    }
    out
}

async fn handshake(address: SocketAddr) -> TcpStream {
    upgrade(&address.to_string(), &format!("{}?token=fuzz", server::ADDRESS)).await
}

/// Reads server frames until a text frame (true) or a close frame or the end (false).
async fn answer(stream: &mut TcpStream) -> bool {
    while let Some((opcode, _)) = read_frame(stream).await {
        match opcode {
            0x1 => return true,
            0x8 => return false,
            _ => {}
        }
    }
    false
}

pub fn ws_frames(data: &[u8]) {
    let server = running();
    server.runtime.block_on(async {
        let mut stream = handshake(server.address).await;
        for f in frames(data) {
            if stream.write_all(&f).await.is_err() {
                break;
            }
        }
        let probe = frame(true, 0x1, br#"{"command": "GET_DIALOG"}"#);
        if stream.write_all(&probe).await.is_ok() {
            let answered = tokio::time::timeout(Duration::from_secs(5), answer(&mut stream)).await;
            assert!(answered.is_ok(), "the session neither answered nor closed within 5 s");
        }
        drop(stream);
        // Another session is served whatever this one did.
        let mut fresh = handshake(server.address).await;
        fresh.write_all(&frame(true, 0x1, br#"{"command": "GET_DIALOG"}"#)).await.expect("send");
        let answered = tokio::time::timeout(Duration::from_secs(5), answer(&mut fresh)).await;
        assert_eq!(answered.ok(), Some(true), "a fresh session was not answered");
    });
}
