//! A Tansu broker (Kafka protocol) on a free loopback port, for one test: in-memory storage, or
//! durable storage in an SQLite file that outlives a killed broker.
//!
//! `TANSU_BIN` names the binary for memory storage, `TANSU_DURABLE_BIN` one built with SQLite
//! storage (`scripts/install-test-deps.sh` installs both into `.cache/`). The broker is killed
//! when the handle drops.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::root;

pub fn tansu_bin() -> PathBuf {
    std::env::var_os("TANSU_BIN").map(PathBuf::from).unwrap_or_else(|| root().join(".cache/tansu-0.6.0/tansu"))
}

/// A Tansu built with its `libsql` feature (SQLite storage).
pub fn tansu_durable_bin() -> PathBuf {
    std::env::var_os("TANSU_DURABLE_BIN").map(PathBuf::from).unwrap_or_else(|| root().join(".cache/tansu-libsql-0.6.0/tansu"))
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0").local_addr().expect("local addr").port()
}

pub struct Broker {
    child: Option<Child>,
    pub port: u16,
    /// Working directory: the broker's log, and `registry/` when a schema registry is loaded.
    pub dir: tempfile::TempDir,
    registry: bool,
    durable: bool,
}

impl Broker {
    /// A broker on a free port.
    pub fn start() -> Broker {
        Self::start_on(free_port(), None)
    }

    /// A broker whose file schema registry holds a copy of `schemas` (`<topic>.json` files).
    pub fn with_registry(schemas: &Path) -> Broker {
        Self::start_on(free_port(), Some(schemas))
    }

    /// A broker on `port`; it fails the test when it does not listen within 30 s.
    pub fn start_on(port: u16, schemas: Option<&Path>) -> Broker {
        let dir = tempfile::tempdir().expect("temp dir");
        if let Some(schemas) = schemas {
            let registry = dir.path().join("registry");
            std::fs::create_dir(&registry).expect("registry dir");
            for entry in std::fs::read_dir(schemas).expect("schemas dir") {
                let path = entry.expect("entry").path();
                std::fs::copy(&path, registry.join(path.file_name().expect("file name"))).expect("copy schema");
            }
        }
        let mut broker = Broker { child: None, port, dir, registry: schemas.is_some(), durable: false };
        broker.restart();
        broker
    }

    /// A broker keeping its data in `tansu.db` (SQLite) in its working directory, so a restart
    /// after [`Broker::kill`] finds the topics, the records and the committed offsets again.
    pub fn durable() -> Broker {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut broker = Broker { child: None, port: free_port(), dir, registry: false, durable: true };
        broker.restart();
        broker
    }

    /// Starts the broker process (again) on the same port. Memory storage starts empty; durable
    /// storage reopens the same file.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "broker already running");
        let bin = if self.durable { tansu_durable_bin() } else { tansu_bin() };
        // Relative to the working directory, like the registry.
        let storage = if self.durable { "sqlite://tansu.db" } else { "memory://tansu/" };
        let listener = format!("tcp://127.0.0.1:{}", self.port);
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.dir.path().join("broker.log")).expect("log file");
        let mut cmd = Command::new(&bin);
        cmd.args(["broker", "--listener-url", &listener, "--advertised-listener-url", &listener, "--storage-engine", storage]);
        if self.registry {
            // Tansu resolves file:// URLs against its working directory.
            cmd.args(["--schema-registry", "file://./registry"]);
        }
        cmd.current_dir(self.dir.path()).stdin(Stdio::null()).stdout(log.try_clone().expect("log")).stderr(log);
        let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {} (run scripts/install-test-deps.sh, or set TANSU_BIN or TANSU_DURABLE_BIN): {e}", bin.display()));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("tansu exited with {status}: {}", self.log());
            }
            assert!(Instant::now() < deadline, "tansu does not listen on {} after 30 s: {}", self.port, self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the broker at once, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `host:port` for `bootstrap.servers`.
    pub fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("broker.log")).unwrap_or_default()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.kill();
    }
}
