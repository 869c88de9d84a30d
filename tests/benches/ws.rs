//! WebSocket server benchmark: `cargo bench -p workspace-tests --bench ws`
//! (run `scripts/install-test-deps.sh` first: the Node.js baselines need the `ws` package).
//!
//! Four servers, each in its own process on 127.0.0.1, driven by the same raw clients:
//! - `generated`: the generated `agent_assist` server; each pushed message is a typed value
//!   serialised by the session (`Session::send_wait`);
//! - `raw`: tokio-tungstenite with pre-serialised frames (our overhead is the difference);
//! - `node`: a Node.js `ws` server with pre-serialised frames (what many teams run today);
//! - `node-stringify`: the same Node.js server doing the generated server's work,
//!   `JSON.stringify` of an object per message.
//!
//! Figures: push throughput (messages/s) over 1, 100 and 1,000 sessions with small (sound_info)
//! and large (dialog_info, ~4 KB) messages; a broadcast (each message serialised once and queued
//! on every session) to 100 and 1,000 sessions; p50/p99 request→reply latency, alone and with
//! 1,000 other sessions receiving pushes; RSS per idle session at 10,000 sessions; and, in the
//! bench process, what cloning and serialising one message costs (the floor of a typed push).
//!
//! `WS_BENCH_SERVERS=generated,raw` and `WS_BENCH_CASES=small/1,broadcast large/100,latency,
//! loaded latency,idle,encode` pick servers and cases; `WS_BENCH_WRAP="valgrind --tool=callgrind"`
//! runs our servers under a profiler (figures written when the server is stopped).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use agent_assist_api::agent_assist::{self, server};
use agent_assist_api::agent_assist::server::{AuthError, Credentials};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

const PATH: &str = "/agent-assist/ws?token=bench";

use workspace_tests::bench_messages::{large, small};
use workspace_tests::status_kb;

// ---------- servers (run in child processes) ----------

struct Bench {
    small: agent_assist::ServerMessage,
    large: agent_assist::ServerMessage,
    sessions: std::sync::Mutex<Vec<server::Session>>,
}

impl server::Handler for Bench {
    type Auth = ();
    fn authenticate(&self, c: &Credentials) -> impl std::future::Future<Output = Result<(), AuthError>> + Send {
        let ok = c.get("token") == Some("bench");
        async move { if ok { Ok(()) } else { Err(AuthError::new("bad token")) } }
    }
    async fn on_connect(&self, session: &server::Session, _auth: ()) {
        self.sessions.lock().unwrap().push(session.clone());
    }
    async fn on_close(&self, session: &server::Session) {
        self.sessions.lock().unwrap().retain(|s| s.id() != session.id());
    }
    async fn on_get_dialog(&self, session: &server::Session, _m: agent_assist::GetDialogPayload) -> Result<(), server::HandlerError> {
        session.send(self.large.clone())?;
        Ok(())
    }
    async fn on_get_businessflow_instances(&self, _s: &server::Session, _m: agent_assist::GetBusinessflowInstancesPayload) -> Result<(), server::HandlerError> {
        Ok(())
    }
    async fn on_command_request(&self, session: &server::Session, m: agent_assist::CommandRequestPayload) -> Result<(), server::HandlerError> {
        let params = m.parameters.unwrap_or_default();
        let count: usize = params.get("count").and_then(|c| c.parse().ok()).unwrap_or(0);
        let message = if params.get("size").map(String::as_str) == Some("large") { self.large.clone() } else { self.small.clone() };
        if m.command.as_str() == "BROADCAST" {
            // Serialise once, queue the frame on every session, once all `sessions` are open.
            let expected: usize = params.get("sessions").and_then(|c| c.parse().ok()).unwrap_or(1);
            let open = || self.sessions.lock().unwrap().iter().filter(|s| !s.is_closed()).cloned().collect::<Vec<_>>();
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut sessions = open();
            while sessions.len() < expected && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(2)).await;
                sessions = open();
            }
            tokio::spawn(async move {
                for _ in 0..count {
                    let frame = server::Session::encode(&message.clone()).expect("encodes");
                    for session in &sessions {
                        let _ = session.send_frame_wait(&frame).await;
                    }
                }
            });
            return Ok(());
        }
        if m.command.as_str() == "FLOOD" {
            // Pushes that do not wait, of one frame encoded once, as an application pushing events
            // does: a client that does not read fills its queue and the overflow policy closes it
            // (1013).
            let session = session.clone();
            let frame = server::Session::encode(&message).expect("encodes");
            tokio::spawn(async move {
                for n in 0..count {
                    if session.send_frame(&frame).is_err() {
                        return;
                    }
                    if n % 64 == 63 {
                        tokio::task::yield_now().await;
                    }
                }
            });
            return Ok(());
        }
        let session = session.clone();
        tokio::spawn(async move {
            for _ in 0..count {
                // A fresh message per push, as an application building each one would have.
                if session.send_wait(message.clone()).await.is_err() {
                    return;
                }
            }
        });
        Ok(())
    }
}

async fn serve_generated(port: u16) {
    let shutdown = server::Shutdown::new();
    let router = server::router(Arc::new(Bench { small: small(), large: large(), sessions: Default::default() }), server::ServerConfig::default(), shutdown.clone());
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    // `WS_BENCH_SNDBUF=N`: the kernel send buffer of every session (accepted sockets inherit the
    // listener's), in place of Linux's autotuning up to 4 MiB.
    if let Some(size) = std::env::var("WS_BENCH_SNDBUF").ok().and_then(|v| v.parse().ok()) {
        socket.set_send_buffer_size(size).unwrap();
    }
    socket.bind(([127, 0, 0, 1], port).into()).unwrap();
    let listener = socket.listen(1024).unwrap();
    println!("listening");
    server::serve(listener, router, shutdown).await.unwrap();
}

async fn serve_raw(port: u16) {
    let small = serde_json::to_string(&small()).unwrap();
    let large = serde_json::to_string(&large()).unwrap();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    println!("listening");
    loop {
        let (tcp, _) = listener.accept().await.unwrap();
        let (small, large) = (small.clone(), large.clone());
        tokio::spawn(async move {
            let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else { return };
            let (small, large) = (Message::text(small), Message::text(large));
            while let Some(Ok(Message::Text(t))) = ws.next().await {
                let m: serde_json::Value = serde_json::from_str(&t).unwrap_or_default();
                if m["command"] == "BENCH" {
                    let frame = if m["parameters"]["size"] == "large" { &large } else { &small };
                    let count: usize = m["parameters"]["count"].as_str().and_then(|c| c.parse().ok()).unwrap_or(0);
                    for _ in 0..count {
                        if ws.feed(frame.clone()).await.is_err() {
                            return;
                        }
                    }
                    let _ = ws.flush().await;
                } else if m["command"] == "GET_DIALOG" {
                    let _ = ws.send(large.clone()).await;
                }
            }
        });
    }
}

// ---------- the driver ----------

struct Server {
    child: Child,
    addr: SocketAddr,
    name: &'static str,
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM first, so a profiler wrapping the server writes its figures.
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        std::thread::sleep(Duration::from_millis(200));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start(name: &'static str) -> Option<Server> {
    start_with(name, &[])
}

/// [`start`] with environment variables for the server process.
fn start_with(name: &'static str, env: &[(&str, String)]) -> Option<Server> {
    let port = free_port();
    let mut cmd = if name.starts_with("node") {
        let modules = std::env::var("DOCS_NODE_MODULES").unwrap_or_else(|_| workspace_tests::root().join(".cache/node-tools-1/node_modules").to_string_lossy().into());
        if !std::path::Path::new(&modules).join("ws").exists() {
            eprintln!("node baseline skipped: no `ws` package in {modules} (run scripts/install-test-deps.sh)");
            return None;
        }
        let dir = std::env::temp_dir();
        std::fs::write(dir.join("bench-small.json"), serde_json::to_string(&small()).unwrap()).unwrap();
        std::fs::write(dir.join("bench-large.json"), serde_json::to_string(&large()).unwrap()).unwrap();
        let mut c = Command::new("node");
        c.arg(workspace_tests::root().join("tests/benches/ws_node_server.js")).arg(port.to_string()).arg(dir.join("bench-small.json")).arg(dir.join("bench-large.json")).arg(if name == "node" { "frames" } else { "stringify" }).env("NODE_PATH", modules);
        c
    } else {
        // `WS_BENCH_WRAP="valgrind --tool=callgrind"` (say) runs our servers under a profiler.
        let wrap = std::env::var("WS_BENCH_WRAP").unwrap_or_default();
        let mut words = wrap.split_whitespace();
        let mut c = match words.next() {
            Some(program) => {
                let mut c = Command::new(program);
                c.args(words).arg(std::env::current_exe().unwrap());
                c
            }
            None => Command::new(std::env::current_exe().unwrap()),
        };
        c.args(["serve", name, &port.to_string()]);
        c
    };
    let child = cmd.envs(env.iter().map(|(k, v)| (k, v))).stdout(Stdio::null()).spawn().unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "{name} server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(Server { child, addr, name })
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(addr: SocketAddr) -> Ws {
    tokio_tungstenite::connect_async(format!("ws://{addr}{PATH}")).await.expect("connects").0
}

/// Messages per second pushed to `sessions` clients, `total` messages in all: each asks for its
/// share with `BENCH`.
async fn throughput(addr: SocketAddr, sessions: usize, total: usize, size: &str) -> f64 {
    let per = total / sessions;
    let cmd = serde_json::json!({"command": "BENCH", "parameters": {"count": per.to_string(), "size": size}}).to_string();
    receive(addr, sessions, per, |_| Some(cmd.clone())).await
}

/// Messages per second received by `sessions` clients when one message at a time goes to all of
/// them. The generated and Node servers serialise each message once and queue it on every session
/// (`BROADCAST`); the raw server has no sessions registry, so each of its sessions writes the same
/// pre-serialised frame (`BENCH`): the same bytes on the wire.
async fn broadcast(server: &Server, sessions: usize, total: usize, size: &str) -> f64 {
    let per = total / sessions;
    if server.name == "raw" {
        return throughput(server.addr, sessions, total, size).await;
    }
    let cmd = serde_json::json!({"command": "BROADCAST", "parameters": {"count": per.to_string(), "size": size, "sessions": sessions.to_string()}}).to_string();
    receive(server.addr, sessions, per, |i| (i == 0).then(|| cmd.clone())).await
}

/// Connects `sessions` clients; client `i` sends `command(i)` if any, then every client reads
/// `per` messages. Messages per second received in all, from the first command on.
async fn receive(addr: SocketAddr, sessions: usize, per: usize, command: impl Fn(usize) -> Option<String>) -> f64 {
    let mut clients = Vec::new();
    for _ in 0..sessions {
        clients.push(connect(addr).await);
    }
    let start = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, mut ws)| {
            let cmd = command(i);
            tokio::spawn(async move {
                if let Some(cmd) = cmd {
                    ws.send(Message::text(cmd)).await.unwrap();
                }
                let mut n = 0;
                while n < per {
                    match ws.next().await {
                        Some(Ok(Message::Text(_))) => n += 1,
                        Some(Ok(_)) => {}
                        other => panic!("stream ended after {n}: {other:?}"),
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    (per * sessions) as f64 / start.elapsed().as_secs_f64()
}

/// Sessions that keep receiving small pushes: each asks for 20 more as soon as it has read the
/// last 20.
struct Loaders {
    stop: Arc<AtomicBool>,
    pushed: Arc<AtomicU64>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Loaders {
    async fn start(addr: SocketAddr, sessions: usize) -> Loaders {
        let stop = Arc::new(AtomicBool::new(false));
        let pushed = Arc::new(AtomicU64::new(0));
        // All connected first: a session connecting while others already load the server would
        // wait behind them.
        let mut connected = Vec::with_capacity(sessions);
        for _ in 0..sessions {
            connected.push(connect(addr).await);
        }
        let mut tasks = Vec::with_capacity(sessions);
        for mut ws in connected {
            let (stop, pushed) = (stop.clone(), pushed.clone());
            tasks.push(tokio::spawn(async move {
                let cmd = serde_json::json!({"command": "BENCH", "parameters": {"count": "20", "size": "small"}}).to_string();
                while !stop.load(Ordering::Relaxed) {
                    ws.send(Message::text(cmd.clone())).await.unwrap();
                    let mut n = 0;
                    while n < 20 {
                        match ws.next().await {
                            Some(Ok(Message::Text(_))) => n += 1,
                            Some(Ok(_)) => {}
                            other => panic!("a loaded session ended: {other:?}"),
                        }
                    }
                    pushed.fetch_add(20, Ordering::Relaxed);
                }
            }));
        }
        Loaders { stop, pushed, tasks }
    }

    /// Pushes received so far, in all.
    fn pushed(&self) -> u64 {
        self.pushed.load(Ordering::Relaxed)
    }

    /// Stops every session after its current 20; the pushes received in all.
    async fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.tasks {
            t.await.unwrap();
        }
        self.pushed.load(Ordering::Relaxed)
    }
}

/// Request → reply latency while `load` other sessions keep receiving small pushes; also the
/// pushes they received meanwhile.
async fn latency_under_load(addr: SocketAddr, load: usize, rounds: usize) -> (Duration, Duration, u64) {
    let loaders = Loaders::start(addr, load).await;
    let (p50, p99) = latency(addr, rounds).await;
    (p50, p99, loaders.stop().await)
}

/// Time to clone and serialise one message, as the generated server's push does: the floor of
/// the generated server's cost per pushed message.
fn encode_cost(message: &agent_assist::ServerMessage) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..2000 {
            std::hint::black_box(serde_json::to_string(&std::hint::black_box(message).clone()).unwrap());
        }
        best = best.min(start.elapsed() / 2000);
    }
    best
}

async fn latency(addr: SocketAddr, rounds: usize) -> (Duration, Duration) {
    let mut ws = connect(addr).await;
    let mut times = Vec::with_capacity(rounds);
    // A server too slow to answer `rounds` requests in 20 s is measured on what it answered.
    let deadline = Instant::now() + Duration::from_secs(20);
    for _ in 0..rounds {
        if Instant::now() > deadline {
            break;
        }
        let t = Instant::now();
        ws.send(Message::text(r#"{"command": "GET_DIALOG"}"#)).await.unwrap();
        loop {
            if let Some(Ok(Message::Text(_))) = ws.next().await {
                break;
            }
        }
        times.push(t.elapsed());
    }
    times.sort();
    (times[times.len() / 2], times[times.len() * 99 / 100])
}

/// What the readers saw in one slow-readers run, and what the server did to the non-readers.
struct SlowReaders {
    pushes_per_second: f64,
    p50: Duration,
    p99: Duration,
    closed_1013: usize,
    peak_rss_kb: u64,
}

/// `readers` sessions keep asking for small pushes and reading them (20 at a time) while one more
/// session measures request → reply latency; `non_readers` sessions, connected first, ask for a
/// million non-waiting pushes each (`FLOOD`) and never read. Their sockets have 16 KiB receive
/// buffers, so the server's queue, not the kernel, holds what they do not read. Run on a fresh
/// server process: its peak RSS is the run's.
async fn slow_readers(server: &Server, readers: usize, non_readers: usize, rounds: usize) -> SlowReaders {
    let mut silent = Vec::with_capacity(non_readers);
    for _ in 0..non_readers {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(16 << 10).unwrap();
        let tcp = socket.connect(server.addr).await.expect("connects");
        let (mut ws, _) = tokio_tungstenite::client_async(format!("ws://{}{PATH}", server.addr), tcp).await.expect("upgrades");
        ws.send(Message::text(serde_json::json!({"command": "FLOOD", "parameters": {"count": "1000000", "size": "small"}}).to_string())).await.unwrap();
        silent.push(ws);
    }
    let loaders = Loaders::start(server.addr, readers).await;
    let start = Instant::now();
    let before = loaders.pushed();
    let (p50, p99) = latency(server.addr, rounds).await;
    let pushes_per_second = (loaders.pushed() - before) as f64 / start.elapsed().as_secs_f64();
    loaders.stop().await;
    let peak_rss_kb = status_kb(server.child.id(), "VmHWM:");
    // What the non-readers find when they finally read: the backlog, then the close.
    let mut closed_1013 = 0;
    for mut ws in silent {
        let code = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(Ok(m)) = ws.next().await {
                if let Message::Close(frame) = m {
                    return frame.map(|f| u16::from(f.code));
                }
            }
            None
        })
        .await
        .ok()
        .flatten();
        closed_1013 += usize::from(code == Some(1013));
    }
    SlowReaders { pushes_per_second, p50, p99, closed_1013, peak_rss_kb }
}

async fn idle_rss(server: &Server, sessions: usize) -> f64 {
    let pid = server.child.id();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = status_kb(pid, "VmRSS:");
    let mut held = Vec::with_capacity(sessions);
    for _ in 0..sessions {
        held.push(connect(server.addr).await);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = status_kb(pid, "VmRSS:");
    drop(held);
    (after.saturating_sub(before)) as f64 * 1024.0 / sessions as f64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    if args.get(1).map(String::as_str) == Some("serve") {
        let port: u16 = args[3].parse().unwrap();
        match args[2].as_str() {
            "generated" => rt.block_on(serve_generated(port)),
            _ => rt.block_on(serve_raw(port)),
        }
        return;
    }
    let mut table: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    // `WS_BENCH_SERVERS=generated,raw` (say) runs only those servers.
    let servers = std::env::var("WS_BENCH_SERVERS").unwrap_or_default();
    let cases = std::env::var("WS_BENCH_CASES").unwrap_or_default();
    if cases.is_empty() || cases.split(',').any(|c| c == "encode") {
        for (size, message) in [("small", small()), ("large", large())] {
            let cost = encode_cost(&message);
            println!("   encode: {size}: clone + serde_json::to_string {:.2} µs, at most {:.0} msg/s on one core", cost.as_secs_f64() * 1e6, 1.0 / cost.as_secs_f64());
        }
    }
    for name in ["generated", "raw", "node", "node-stringify"] {
        if !servers.is_empty() && !servers.split(',').any(|s| s == name) {
            continue;
        }
        let Some(server) = start(name) else { continue };
        rt.block_on(async {
            let mut row = Vec::new();
            for (size, total) in [("small", 200_000), ("large", 40_000)] {
                for sessions in [1, 100, 1000] {
                    // `WS_BENCH_CASES=small/1,large/100` (say) runs only those cases.
                    let case = format!("{size}/{sessions}");
                    if !cases.is_empty() && !cases.split(',').any(|c| c == case) {
                        continue;
                    }
                    let rate = throughput(server.addr, sessions, total, size).await;
                    row.push(format!("{size}/{sessions}: {rate:.0} msg/s"));
                }
            }
            for (size, total) in [("small", 200_000), ("large", 40_000)] {
                for sessions in [100, 1000] {
                    let case = format!("broadcast {size}/{sessions}");
                    if !cases.is_empty() && !cases.split(',').any(|c| c == case) {
                        continue;
                    }
                    let rate = broadcast(&server, sessions, total, size).await;
                    row.push(format!("{case}: {rate:.0} msg/s"));
                }
            }
            if cases.is_empty() || cases.split(',').any(|c| c == "latency") {
                let (p50, p99) = latency(server.addr, 2000).await;
                row.push(format!("latency p50 {:.0} µs p99 {:.0} µs", p50.as_secs_f64() * 1e6, p99.as_secs_f64() * 1e6));
            }
            if cases.is_empty() || cases.split(',').any(|c| c == "loaded latency") {
                let (p50, p99, pushed) = latency_under_load(server.addr, 1000, 500).await;
                row.push(format!("latency with 1,000 sessions receiving pushes p50 {:.0} µs p99 {:.0} µs ({pushed} pushed meanwhile)", p50.as_secs_f64() * 1e6, p99.as_secs_f64() * 1e6));
            }
            table.insert(server.name, row);
        });
        drop(server);
        if !cases.is_empty() && !cases.split(',').any(|c| c == "idle") {
            continue;
        }
        // A fresh process for the memory figure.
        let Some(server) = start(name) else { continue };
        let per = rt.block_on(idle_rss(&server, 10_000));
        table.get_mut(name).unwrap().push(format!("idle RSS {:.1} KiB/session at 10,000 sessions", per / 1024.0));
    }
    if cases.split(',').any(|c| c == "slow readers") {
        // Pairs of fresh generated servers, with and without the non-readers, interleaved.
        let var = |name: &str, default: usize| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
        let (sessions, non_readers, pairs) = (var("WS_SLOW_SESSIONS", 10_000), var("WS_SLOW_NON_READERS", 1_000), var("WS_SLOW_PAIRS", 3));
        let readers = sessions - non_readers;
        for pair in 1..=pairs {
            for silent in [0, non_readers] {
                // 64 KiB kernel send buffers: otherwise each stalled socket holds up to 4 MiB in
                // the kernel, and a thousand of them exceed the machine's TCP memory limit.
                let server = start_with("generated", &[("WS_BENCH_SNDBUF", "65536".into())]).expect("the generated server starts");
                let run = rt.block_on(slow_readers(&server, readers, silent, 500));
                println!(
                    "slow readers {pair}: {readers} readers + {silent} non-readers: {:.0} pushes/s, latency p50 {:.1} ms p99 {:.1} ms, {} of {silent} closed with 1013, server peak RSS {:.1} MiB",
                    run.pushes_per_second,
                    run.p50.as_secs_f64() * 1e3,
                    run.p99.as_secs_f64() * 1e3,
                    run.closed_1013,
                    run.peak_rss_kb as f64 / 1024.0
                );
            }
        }
    }
    for (name, row) in &table {
        println!("{name:>14}: {}", row.join(" | "));
    }
}
