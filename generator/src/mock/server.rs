//! The mock's WebSocket side: every socket plan mounted on one port with the runtime's session
//! loop (the generated servers' limits, queue, close codes and error replies), playing the
//! script on connect and answering each received message with its operation's replies.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use asyncapi_runtime::ws::server::{route, serve, HandlerError, Protocol, ServerConfig, SessionHandle, Shutdown};
use asyncapi_runtime::ws::{AuthError, Credentials};

use super::plan::SocketPlan;

/// Writes one line per event to stderr unless quiet.
#[derive(Clone, Debug)]
pub struct Events {
    pub quiet: bool,
}

impl Events {
    pub fn say(&self, line: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("mock: {}", line.as_ref());
        }
    }
}

/// One socket's mock; clones share it (the script task holds one).
#[derive(Clone)]
struct Mock(Arc<Shared>);

struct Shared {
    plan: SocketPlan,
    /// `--accept NAME=VALUE`: the values each query parameter must have.
    accept: BTreeMap<String, Vec<String>>,
    events: Events,
}

impl std::ops::Deref for Mock {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl Shared {
    /// Sends value `value` of outgoing message `outgoing`; `false` once the session is gone.
    fn send(&self, session: &SessionHandle, outgoing: usize, value: usize) -> bool {
        let Some(value) = self.plan.outgoing[outgoing].values.get(value) else { return true };
        let key = &self.plan.outgoing[outgoing].key;
        match session.send_json(value) {
            Ok(()) => {
                self.events.say(format!("{} session {}: sent `{key}`", self.plan.label, session.id()));
                true
            }
            Err(e) => {
                self.events.say(format!("{} session {}: `{key}` not sent: {e}", self.plan.label, session.id()));
                false
            }
        }
    }
}

impl Protocol for Mock {
    type Auth = ();

    async fn authenticate(&self, credentials: &Credentials) -> Result<(), AuthError> {
        for (name, accepted) in &self.accept {
            if let Some(given) = credentials.get(name) {
                if !accepted.iter().any(|a| a == given) {
                    self.events.say(format!("{}: refused a handshake: `{name}` not accepted", self.plan.label));
                    return Err(AuthError::new(format!("`{name}` is not accepted")));
                }
            }
        }
        Ok(())
    }

    async fn on_connect(&self, session: &SessionHandle, _auth: ()) {
        self.events.say(format!("{} session {} connected", self.plan.label, session.id()));
        let session = session.clone();
        let script = self.plan.script.clone();
        let this = self.clone();
        tokio::spawn(async move {
            for push in script {
                tokio::time::sleep(push.interval).await;
                if session.is_closed() || !this.send(&session, push.outgoing, push.value) {
                    return;
                }
            }
        });
    }

    async fn on_text(&self, session: &SessionHandle, text: &str) -> Result<(), HandlerError> {
        match self.plan.recognise(text) {
            Ok(i) => {
                let incoming = &self.plan.incoming[i];
                self.events.say(format!("{} session {}: received `{}`", self.plan.label, session.id(), incoming.key));
                // A reply is its message's first value, every time.
                for &reply in &incoming.replies {
                    self.send(session, reply, 0);
                }
                Ok(())
            }
            Err(reason) => {
                self.events.say(format!("{} session {}: bad input: {reason}", self.plan.label, session.id()));
                Err(HandlerError::new(reason))
            }
        }
    }

    fn error_message(&self, reason: &str) -> Option<String> {
        self.plan.error_message(reason)
    }

    async fn on_close(&self, session: &SessionHandle) {
        self.events.say(format!("{} session {} closed", self.plan.label, session.id()));
    }
}

/// Serves `plans` on `listen` until Ctrl-C (or `shutdown`), then closes every session.
pub async fn run(plans: Vec<SocketPlan>, listen: SocketAddr, accept: BTreeMap<String, Vec<String>>, events: Events, shutdown: Shutdown) -> std::io::Result<()> {
    let mocks: Vec<Mock> = plans
        .into_iter()
        .map(|plan| {
            Mock(Arc::new(Shared { plan, accept: accept.clone(), events: events.clone() }))
        })
        .collect();
    let mut router = axum::Router::new();
    for mock in &mocks {
        let query: &'static [&'static str] = Box::leak(mock.plan.required_query.iter().map(|q| &*Box::leak(q.clone().into_boxed_str())).collect::<Vec<&'static str>>().into_boxed_slice());
        router = router.merge(route(&mock.plan.address, query, Arc::new(mock.clone()), ServerConfig::default(), shutdown.clone()));
    }
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let local = listener.local_addr()?;
    for mock in &mocks {
        events.say(format!("serving {} at ws://{local}{}", mock.plan.label, mock.plan.address));
    }
    // The bound address on stdout, so a caller that asked for port 0 learns the port.
    println!("ws://{local}");
    let signal = shutdown.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            signal.trigger();
        }
    });
    serve(listener, router, shutdown).await?;
    events.say("stopped");
    Ok(())
}
