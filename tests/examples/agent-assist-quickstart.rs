//! An `agent_assist` server and a client printing its typed stream, in one process: the server
//! authenticates, pushes `call_info` and `sound_info` from a task of its own and answers
//! `GET_DIALOG` with a `dialog_info` built in Rust.
use std::sync::Arc;

use agent_assist_api::agent_assist::server::{AuthError, Credentials, HandlerError, Session};
use agent_assist_api::agent_assist::*;

struct Assist;

impl server::Handler for Assist {
    type Auth = String;

    async fn authenticate(&self, credentials: &Credentials) -> Result<String, AuthError> {
        match credentials.get("token") {
            Some("demo-token") => Ok("agent-7".into()),
            _ => Err(AuthError::new("unknown token")),
        }
    }

    async fn on_connect(&self, session: &Session, agent: String) {
        println!("server: {agent} connected");
        let session = session.clone();
        tokio::spawn(async move {
            let call = CallInfo {
                status: Some(CallStatus::Active),
                ..Default::default()
            };
            let sound = SoundInfo {
                level: Some(2),
                ..Default::default()
            };
            session
                .send_call_info(call)
                .and_then(|()| session.send_sound_info(sound))
        });
    }

    async fn on_get_dialog(
        &self,
        session: &Session,
        _: GetDialogPayload,
    ) -> Result<(), HandlerError> {
        let hello = DialogStep {
            seq_id: Some(1),
            participant_type: Some(ParticipantType::User),
            utterance: Some("Hello, I lost my card".into()),
            is_final: Some(true),
            ..Default::default()
        };
        let dialog = DialogInfo {
            latest_seq_id: Some(1),
            utterances: Some(vec![hello]),
            ..Default::default()
        };
        session.send_dialog_info(dialog)?;
        Ok(())
    }

    async fn on_get_businessflow_instances(
        &self,
        _: &Session,
        _: GetBusinessflowInstancesPayload,
    ) -> Result<(), HandlerError> {
        Err(HandlerError::new("no business flows here"))
    }

    async fn on_command_request(
        &self,
        _: &Session,
        _: CommandRequestPayload,
    ) -> Result<(), HandlerError> {
        Err(HandlerError::new("no commands here"))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let shutdown = server::Shutdown::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("ws://{}{}", listener.local_addr()?, server::ADDRESS);
    let router = server::router(Arc::new(Assist), Default::default(), shutdown.clone());
    tokio::spawn(server::serve(listener, router, shutdown.clone()));

    let credentials = client::Credentials::new().with("token", "demo-token");
    let (client, mut events) = client::connect(&url, &credentials).await?;
    client.send_get_dialog(GetDialogPayload::default()).await?;
    for _ in 0..3 {
        match events.next().await {
            Some(event) => println!("client: {:?}", event?),
            None => break,
        }
    }
    shutdown.trigger();
    Ok(())
}
