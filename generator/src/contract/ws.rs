//! One socket of a live system, exercised as a client: the handshake without its credentials must
//! be refused; with them, what the server pushes is recorded for the listening time, then every
//! value of every message the server receives is sent, and each operation's reply is awaited.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{Mutex, Notify};
use tokio_tungstenite::tungstenite::{self, Message};

use super::{Problem, SocketOutcome};
use crate::mock::plan::SocketPlan;

/// The value of a required query parameter no `--credential` gives (a mock accepts it).
const PLACEHOLDER: &str = "asyncapi-test";

/// What a session received, in order, shared with the reading task.
#[derive(Default)]
struct Inbox {
    texts: Mutex<Vec<String>>,
    arrived: Notify,
}

/// The URL of `plan`'s socket under `base`, with `query` parameters.
fn url(base: &str, plan: &SocketPlan, query: &[(String, String)]) -> String {
    let mut url = format!("{}{}", base.trim_end_matches('/'), plan.address);
    for (i, (name, value)) in query.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(&format!("{}={}", encode(name), encode(value)));
    }
    url
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// Exercises one socket. Connection failures are problems of the socket, never panics.
pub async fn exercise(base: &str, plan: &SocketPlan, credentials: &[(String, String)], listen: Duration, timeout: Duration) -> SocketOutcome {
    let mut outcome = SocketOutcome { label: plan.label.clone(), channel: plan.channel.clone(), ..SocketOutcome::default() };
    // The handshake without credentials must be refused when the spec requires some.
    if let Some(required) = plan.required_query.first() {
        let without: Vec<(String, String)> = credentials.iter().filter(|(n, _)| !plan.required_query.contains(n)).cloned().collect();
        match tokio::time::timeout(timeout, tokio_tungstenite::connect_async(url(base, plan, &without))).await {
            Ok(Ok((mut ws, _))) => {
                let _ = ws.close(None).await;
                outcome.problems.push(Problem::new("handshake", format!("the server accepted a handshake without `{required}`")));
            }
            Ok(Err(tungstenite::Error::Http(response))) if matches!(response.status().as_u16(), 401 | 403) => {
                outcome.handshake_refused = Some(response.status().as_u16());
            }
            Ok(Err(tungstenite::Error::Http(response))) => {
                let status = response.status().as_u16();
                outcome.problems.push(Problem::new("handshake", format!("a handshake without `{required}` was answered {status}, not 401 or 403")));
            }
            Ok(Err(e)) => outcome.problems.push(Problem::new("handshake", format!("the handshake without `{required}` failed oddly: {e}"))),
            Err(_) => outcome.problems.push(Problem::new("handshake", format!("no answer to a handshake without `{required}` within {timeout:?}"))),
        }
    }
    let mut query: Vec<(String, String)> = credentials.iter().filter(|(n, _)| plan.required_query.contains(n)).cloned().collect();
    for name in &plan.required_query {
        if !query.iter().any(|(n, _)| n == name) {
            outcome.notes.push(format!("no --credential {name}=...: sending `{name}={PLACEHOLDER}`"));
            query.push((name.clone(), PLACEHOLDER.to_string()));
        }
    }
    let ws = match tokio::time::timeout(timeout, tokio_tungstenite::connect_async(url(base, plan, &query))).await {
        Ok(Ok((ws, _))) => ws,
        Ok(Err(e)) => {
            outcome.problems.push(Problem::new("connect", format!("cannot connect: {e}")));
            return outcome;
        }
        Err(_) => {
            outcome.problems.push(Problem::new("connect", format!("no handshake answer within {timeout:?}")));
            return outcome;
        }
    };
    let (mut sink, mut stream) = ws.split();
    let inbox = Arc::new(Inbox::default());
    let reader = {
        let inbox = inbox.clone();
        tokio::spawn(async move {
            while let Some(frame) = stream.next().await {
                match frame {
                    Ok(Message::Text(text)) => {
                        inbox.texts.lock().await.push(text.to_string());
                        inbox.arrived.notify_waiters();
                    }
                    Ok(Message::Close(frame)) => return frame.map(|f| format!("{} {}", u16::from(f.code), f.reason)),
                    Ok(_) => {}
                    Err(e) => return Some(e.to_string()),
                }
            }
            None
        })
    };
    tokio::time::sleep(listen).await;
    for incoming in &plan.incoming {
        if incoming.values.is_empty() {
            outcome.problems.push(Problem::new(&incoming.key, "no example and no value could be made from its schema: not sent"));
            continue;
        }
        for value in &incoming.values {
            let seen = inbox.texts.lock().await.len();
            if let Err(e) = sink.send(Message::Text(value.to_string().into())).await {
                outcome.problems.push(Problem::new(&incoming.key, format!("cannot send: {e}")));
                break;
            }
            outcome.sent.push(incoming.key.clone());
            if incoming.replies.is_empty() {
                continue;
            }
            let wanted: Vec<&str> = incoming.replies.iter().map(|r| plan.outgoing[*r].key.as_str()).collect();
            if !await_reply(&inbox, plan, &incoming.replies, seen, timeout).await {
                outcome.problems.push(Problem::new(&incoming.key, format!("no reply ({}) within {timeout:?}", wanted.join(" or "))));
            } else {
                outcome.replied.push(incoming.key.clone());
            }
        }
    }
    // What arrives right after the last send still counts.
    tokio::time::sleep(Duration::from_millis(50)).await;
    if reader.is_finished() {
        // The server ended the session before the client did.
        let reason = reader.await.ok().flatten().unwrap_or_else(|| String::from("the connection ended"));
        outcome.problems.push(Problem::new("session", format!("the server ended the session: {reason}")));
    } else {
        let _ = sink.send(Message::Close(None)).await;
        let _ = tokio::time::timeout(timeout, reader).await;
    }
    outcome.received = std::mem::take(&mut *inbox.texts.lock().await);
    outcome
}

/// Waits until a message after the first `seen` is one of `replies` (by tag and schema).
async fn await_reply(inbox: &Inbox, plan: &SocketPlan, replies: &[usize], seen: usize, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    let mut checked = seen;
    loop {
        let arrived = inbox.arrived.notified();
        {
            let texts = inbox.texts.lock().await;
            for text in &texts[checked..] {
                if plan.recognise_outgoing(text).is_ok_and(|i| replies.contains(&i)) {
                    return true;
                }
            }
            checked = texts.len();
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || tokio::time::timeout(left, arrived).await.is_err() {
            return false;
        }
    }
}
