//! Clients that never read, among many that do, against the generated AgentVB server on
//! loopback: the overflow policy closes the non-readers with 1013, the server's memory stays
//! bounded by the queue size, and every reader gets every message in order. The same scenario at
//! 10,000 sessions, with throughput and latency against a run without the non-readers, is the
//! `slow readers` case of the `ws` bench (figures in RELIABILITY.md).
//!
//! The server runs in a child process (this test binary again, running the ignored test
//! `server_process`), so its memory is measured apart from the clients'.

use std::sync::Arc;
use std::time::Duration;

use agent_assist_api::agent_vb::server::{AuthError, Credentials, HandlerError, ServerConfig, Shutdown};
use agent_assist_api::agent_vb::{self, client::Incoming, ServerMessage};
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use workspace_tests::status_kb;

const READERS: usize = 900;
const NON_READERS: usize = 100;
/// Messages each reader asks for: fewer than the queue holds, so a reader never overflows.
const PER_READER: usize = 200;
/// Messages each non-reader is sent, without waiting: more than the kernel buffers of its socket
/// take (about 4 MiB on the server's side here). Without the overflow policy the queue would hold
/// the rest: about 20 MiB per non-reader, 2 GiB for the hundred.
const PER_NON_READER: usize = 20_000;
/// Messages queued per session before the overflow policy applies.
const QUEUE: usize = 256;
/// Each pushed message: a debug string of 1 KiB.
const MESSAGE_SIZE: usize = 1024;

/// Pushes `count` debug messages (a credential) of 1 KiB to each new session without waiting for
/// room, as an application pushing events does, until the session refuses one; then prints
/// `refused after N` on stdout.
struct Pusher;

impl agent_vb::server::Handler for Pusher {
    type Auth = usize;
    async fn authenticate(&self, c: &Credentials) -> Result<usize, AuthError> {
        c.get("count").and_then(|n| n.parse().ok()).ok_or_else(|| AuthError::new("count expected"))
    }
    fn on_connect(&self, session: &agent_vb::server::Session, count: usize) -> impl std::future::Future<Output = ()> + Send {
        let session = session.clone();
        tokio::spawn(async move {
            for i in 0..count {
                if session.send_debug(format!("{i:0>width$}", width = MESSAGE_SIZE)).is_err() {
                    println!("refused after {i}");
                    return;
                }
                if i % 64 == 63 {
                    tokio::task::yield_now().await;
                }
            }
        });
        async {}
    }
    async fn on_get_verification(&self, _s: &agent_vb::server::Session, _m: agent_vb::GetVerificationPayload) -> Result<(), HandlerError> {
        Ok(())
    }
    async fn on_get_echo(&self, _s: &agent_vb::server::Session, _m: agent_vb::GetEchoPayload) -> Result<(), HandlerError> {
        Ok(())
    }
}

/// Set in the child process that runs the server.
const SERVE: &str = "SLOW_READERS_SERVE";

/// The server process: serves on a free port, prints it, and runs until killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the server process of the test below, which starts it"]
async fn server_process() {
    if std::env::var_os(SERVE).is_none() {
        return;
    }
    // Frequent pings: each non-reader's backlog holds some, which it answers when it reads at
    // last, so the server must read those pongs before it drops the connection (dropping it with
    // unread data resets it, and the reset destroys the close frame on its way).
    let config = ServerConfig { outbound_queue: QUEUE, ping_interval: Duration::from_millis(500), ..ServerConfig::default() };
    let shutdown = Shutdown::new();
    let router = agent_vb::server::router(Arc::new(Pusher), config, shutdown.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("port {}", listener.local_addr().unwrap().port());
    agent_vb::server::serve(listener, router, shutdown).await.unwrap();
}

/// The server in a child process; killed on drop. `refused` collects how many messages each
/// refused session had accepted.
struct ServerProcess {
    child: std::process::Child,
    refused: Arc<std::sync::Mutex<Vec<usize>>>,
}

impl ServerProcess {
    fn start() -> (ServerProcess, u16) {
        use std::io::BufRead;
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "server_process", "--nocapture"])
            .env(SERVE, "1")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the server process starts");
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let port = lines.find_map(|l| l.ok()?.strip_prefix("port ")?.parse().ok()).expect("the server prints its port");
        let refused = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = refused.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Some(n) = line.strip_prefix("refused after ").and_then(|n| n.parse().ok()) {
                    sink.lock().unwrap().push(n);
                }
            }
        });
        (ServerProcess { child, refused }, port)
    }

    fn refused(&self) -> Vec<usize> {
        self.refused.lock().unwrap().clone()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A reader: connects with the generated client and reads its `PER_READER` messages' numbers.
async fn reader(url: String) -> Vec<usize> {
    let (_client, mut events) = agent_vb::client::connect(&url, &Credentials::new().with("token", "t").with("count", &PER_READER.to_string())).await.expect("connects");
    let mut got = Vec::with_capacity(PER_READER);
    while got.len() < PER_READER {
        match tokio::time::timeout(Duration::from_secs(60), events.next()).await.expect("a message within 60 s") {
            Some(Ok(Incoming::Message(ServerMessage::Debug(text)))) => {
                assert_eq!(text.len(), MESSAGE_SIZE);
                got.push(text.parse().expect("a number"));
            }
            other => panic!("a reader got {other:?} after {} messages", got.len()),
        }
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_never_read_are_closed_with_1013_and_memory_stays_bounded_while_the_others_get_everything() {
    let (server, port) = ServerProcess::start();
    let pid = server.child.id();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let url = format!("ws://{addr}{}", agent_vb::server::ADDRESS);
    let before = status_kb(pid, "VmRSS:");
    assert!(before > 0, "the server process's RSS is readable");

    // The non-readers: small receive buffers, so that what they do not read waits in the
    // server's queue rather than in the kernel.
    let mut silent = Vec::with_capacity(NON_READERS);
    for _ in 0..NON_READERS {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(16 << 10).unwrap();
        let tcp = socket.connect(addr).await.expect("connects");
        let (ws, _) = tokio_tungstenite::client_async(format!("{url}?token=t&count={PER_NON_READER}"), tcp).await.expect("upgrades");
        silent.push(ws);
    }
    let readers: Vec<_> = (0..READERS).map(|_| tokio::spawn(reader(url.clone()))).collect();
    let expected: Vec<usize> = (0..PER_READER).collect();
    for r in readers {
        assert_eq!(r.await.expect("reader task"), expected, "a reader got every message, in order");
    }

    // The server refuses a push to each non-reader once its queue is full (the kernel's buffers
    // having filled first).
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while server.refused().len() < NON_READERS {
        assert!(std::time::Instant::now() < deadline, "only {} of {NON_READERS} non-readers were refused a push", server.refused().len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(server.refused().iter().all(|n| *n >= QUEUE), "a full queue refuses, not before: {:?}", server.refused());

    // Each non-reader, reading at last: its backlog, then the close the overflow policy sent.
    let mut backlog = Vec::new();
    for mut ws in silent {
        let mut messages = 0usize;
        let code = loop {
            let item = tokio::time::timeout(Duration::from_secs(10), ws.next()).await;
            match item.unwrap_or_else(|_| panic!("a non-reader waited 10 s for more after {messages} messages")) {
                Some(Ok(Message::Text(_))) => messages += 1,
                Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("a non-reader's stream broke after {messages} messages: {e}"),
                None => break None,
            }
        };
        assert_eq!(code, Some(1013), "a non-reader is closed by the overflow policy after {messages} messages");
        backlog.push(messages);
    }
    // What the server holds for a session at most: the batch it is writing (up to a queue's worth)
    // and a full queue behind it, each message ~1.06 KiB as JSON, plus the 16 KiB write buffer:
    // 560 KiB per non-reader. A reader's session holds its write buffer and little else; allow
    // 32 KiB each, and 16 MiB for the rest. About 97 MiB in all, against 2 GiB were the queues
    // unbounded.
    let bound_mib = (NON_READERS * (2 * QUEUE * (MESSAGE_SIZE + 64) + (16 << 10)) + READERS * (32 << 10) + (16 << 20)) as f64 / f64::from(1 << 20);
    let peak = status_kb(pid, "VmHWM:");
    assert!(peak > 0, "the server process's peak RSS is readable");
    let grown_mib = peak.saturating_sub(before) as f64 / 1024.0;
    eprintln!(
        "{READERS} readers got {PER_READER} messages each; {NON_READERS} non-readers refused after {:?} pushes, closed with 1013 after {}..{} messages; server peak RSS {grown_mib:.1} MiB above the start (bound {bound_mib:.0} MiB)",
        server.refused().iter().min().zip(server.refused().iter().max()).unwrap(),
        backlog.iter().min().unwrap(),
        backlog.iter().max().unwrap(),
    );
    assert!(backlog.iter().all(|n| *n < PER_NON_READER), "no non-reader got everything: the policy closed them");
    assert!(grown_mib < bound_mib, "server peak RSS grew by {grown_mib:.1} MiB, more than {bound_mib:.0} MiB");

    // And the server still serves a new session.
    assert_eq!(reader(url.clone()).await, expected);
}
