//! Copied into the `error-reply` fixture crate by `scripts/fixture-crates.sh`: a handler error is
//! answered with the message marked `x-rust-error-reply: true`, its const tag filled in and the
//! reason in its string field; the session stays open.
use std::sync::Arc;

use fixture_error_reply::server::{AuthError, Credentials, HandlerError, Session};
use fixture_error_reply::*;

struct Jobs;

impl server::Handler for Jobs {
    type Auth = ();

    async fn authenticate(&self, _: &Credentials) -> Result<(), AuthError> {
        Ok(())
    }

    async fn on_submit(&self, session: &Session, message: SubmitPayload) -> Result<(), HandlerError> {
        if message.job == "resize" {
            session.send_accepted(AcceptedPayload::new(7))?;
            Ok(())
        } else {
            Err(HandlerError::new(format!("unknown job {}", message.job)))
        }
    }
}

#[tokio::test]
async fn a_handler_error_is_answered_with_the_marked_message() {
    let shutdown = server::Shutdown::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bound");
    let url = format!("ws://{}{}", listener.local_addr().expect("address"), server::ADDRESS);
    let router = server::router(Arc::new(Jobs), Default::default(), shutdown.clone());
    tokio::spawn(server::serve(listener, router, shutdown.clone()));

    let (client, mut events) = client::connect(&url, &client::Credentials::new()).await.expect("connected");
    client.send_submit(SubmitPayload::new("crop")).await.expect("sent");
    let first = events.next().await.expect("an event").expect("decoded");
    match first {
        client::Incoming::Message(ServerMessage::Problem(problem)) => {
            assert_eq!(problem.text.as_deref(), Some("unknown job crop"));
            assert_eq!(problem.code, None);
        }
        other => panic!("expected the problem message, got {other:?}"),
    }
    // The session is still served after the error.
    client.send_submit(SubmitPayload::new("resize")).await.expect("sent");
    let second = events.next().await.expect("an event").expect("decoded");
    assert!(matches!(second, client::Incoming::Message(ServerMessage::Accepted(ref a)) if a.id == 7), "{second:?}");
    shutdown.trigger();
}
