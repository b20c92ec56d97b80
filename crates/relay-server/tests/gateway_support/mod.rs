//! The gateway's test rig: the gateway served on loopback, the testkit's Realtime peer behind
//! it, a real WebSocket client, and the app's tools (a lookup, a long sync, a deploy that asks
//! for approval through the conversation's approver).

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::{SinkExt, StreamExt};
use relay_core::Progress;
use relay_core::approval::{ApprovalAction, ApprovalRequest, Approver};
use relay_core::store::Turn;
use relay_core::team::{Caller, Role};
use relay_core::tools::{Permission, Tool, ToolContext, ToolError, ToolRegistry, ToolSpec};
use relay_core::voice::{VoiceEvent, VoiceSessionConfig};
use relay_server::Server;
use relay_server::gateway::{
    ConversationFactory, ConversationParts, ConversationRequest, Gateway, OpenError,
    StoredConversation,
};
use relay_testkit::realtime::{FakeRealtime, Scenario};
use relay_voice::{RealtimeConfig, RealtimeTransport, ReconnectPolicy};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::{Notify, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Looks a repository up in a fixed table.
pub struct Lookup;

#[async_trait]
impl Tool for Lookup {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "lookup",
            "Looks up the state of a repository.",
            json!({"type": "object", "properties": {"repo": {"type": "string"}}, "required": ["repo"]}),
            Permission::Read,
        )
    }
    async fn call(&self, args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        let repo = args["repo"].as_str().unwrap_or_default();
        Ok(json!({"repo": repo, "state": format!("{repo}-is-green")}))
    }
}

/// A long sync: reports progress, finishes when released.
pub struct SlowSync {
    pub release: Arc<Notify>,
}

#[async_trait]
impl Tool for SlowSync {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "slow_sync",
            "Syncs every repository (slow).",
            json!({"type": "object"}),
            Permission::WriteRepos,
        )
        .long_running()
    }
    async fn call(&self, _args: Value, ctx: ToolContext) -> Result<Value, ToolError> {
        ctx.progress.report(
            Progress::message("synced 1 of 3 repositories (auth-service)")
                .done(1)
                .total(3)
                .repo("auth-service"),
        );
        self.release.notified().await;
        Ok(json!({"synced": 3}))
    }
}

/// Deploys after asking the conversation's approver (an app tool asking like Relay's own
/// hard-to-undo tools do).
pub struct Deploy {
    pub approver: Arc<dyn Approver>,
}

#[async_trait]
impl Tool for Deploy {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "deploy",
            "Deploys to production.",
            json!({"type": "object"}),
            Permission::ManageInfra,
        )
    }
    async fn call(&self, args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        let request = ApprovalRequest::new(
            "Relay wants to deploy to production. Allow it?",
            ApprovalAction::Tool {
                name: "deploy".into(),
                arguments: args,
            },
        );
        let answer = self.approver.approve(request).await;
        if answer.allows() {
            Ok(json!({"deployed": true, "approved_by": answer.answered_by}))
        } else {
            Err(ToolError::Failed(format!(
                "not deployed: {}",
                answer.reason.unwrap_or_else(|| "denied".into())
            )))
        }
    }
}

/// A stored session kept in memory by the test (the facade's store-backed one is tested in
/// crates/relay/tests).
#[derive(Default)]
pub struct Memory {
    pub id: String,
    pub turns: Mutex<Vec<Turn>>,
    pub observed: Mutex<Vec<VoiceEvent>>,
}

#[async_trait]
impl StoredConversation for Memory {
    fn id(&self) -> String {
        self.id.clone()
    }
    fn history(&self) -> Vec<Turn> {
        self.turns.lock().unwrap().clone()
    }
    async fn observe(&self, event: &VoiceEvent) -> Result<(), String> {
        self.observed.lock().unwrap().push(event.clone());
        Ok(())
    }
}

/// The app's conversation factory: the tools above over a Realtime transport to `url`.
pub struct Factory {
    pub url: String,
    pub release: Arc<Notify>,
    pub requests: Mutex<Vec<(String, String, bool)>>,
    pub memory: Option<Arc<Memory>>,
    pub refuse: Option<OpenError>,
}

#[async_trait]
impl ConversationFactory for Factory {
    async fn open(&self, request: ConversationRequest) -> Result<ConversationParts, OpenError> {
        self.requests.lock().unwrap().push((
            request.caller.user.clone(),
            request.session.clone(),
            request.fresh,
        ));
        if let Some(e) = &self.refuse {
            return Err(e.clone());
        }
        let registry = ToolRegistry::new()
            .with(Arc::new(Lookup))
            .with(Arc::new(SlowSync {
                release: self.release.clone(),
            }))
            .with(Arc::new(Deploy {
                approver: request.approver.clone(),
            }))
            .for_caller(request.caller);
        let registry = Arc::new(registry);
        let config = RealtimeConfig::builder()
            .url(self.url.clone())
            .api_key("sk-test-key")
            .reconnect(ReconnectPolicy {
                max_attempts: 2,
                initial_backoff: Duration::from_millis(20),
                max_backoff: Duration::from_millis(50),
            })
            .build()
            .unwrap();
        let transport = Arc::new(RealtimeTransport::new(config, registry.clone()));
        Ok(ConversationParts {
            registry,
            transport,
            memory: self
                .memory
                .clone()
                .map(|m| m as Arc<dyn StoredConversation>),
        })
    }

    async fn briefing(&self, caller: &Caller) -> Option<Value> {
        Some(json!({"for": caller.user, "highlights": ["CI on backend is red"]}))
    }
}

/// The gateway served on loopback in front of the Realtime peer.
pub struct Rig {
    pub peer: FakeRealtime,
    pub gateway: Gateway,
    pub factory: Arc<Factory>,
    pub addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

pub fn ana() -> Caller {
    Caller::new("ana", Role::Admin)
}

impl Rig {
    pub async fn start(scenario: Scenario) -> Rig {
        Self::with(scenario, |f| f, |b| b).await
    }

    pub async fn with(
        scenario: Scenario,
        factory: impl FnOnce(Factory) -> Factory,
        builder: impl FnOnce(
            relay_server::gateway::GatewayBuilder,
        ) -> relay_server::gateway::GatewayBuilder,
    ) -> Rig {
        let peer = FakeRealtime::start(scenario).await.unwrap();
        let factory = Arc::new(factory(Factory {
            url: peer.url(),
            release: Arc::new(Notify::new()),
            requests: Mutex::new(Vec::new()),
            memory: None,
            refuse: None,
        }));
        let voice = VoiceSessionConfig::builder()
            .progress_interval_ms(150)
            .build();
        let gateway = builder(Gateway::builder(factory.clone(), ana()).voice(voice)).build();
        let server = Server::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let router = gateway.router();
        tokio::spawn(async move {
            let _ = server
                .serve(router, async {
                    let _ = stopped.await;
                })
                .await;
        });
        Rig {
            peer,
            gateway,
            factory,
            addr,
            stop: Some(stop),
        }
    }

    pub fn url(&self, query: &str) -> String {
        format!("ws://{}/v1/conversation{query}", self.addr)
    }

    pub async fn connect(&self, query: &str) -> Client {
        let (ws, _) = tokio_tungstenite::connect_async(self.url(query))
            .await
            .expect("the upgrade succeeds");
        Client { ws }
    }

    /// Waits (bounded) until no socket is open.
    pub async fn idle(&self) {
        tokio::time::timeout(Duration::from_secs(30), self.gateway.idle())
            .await
            .expect("every socket closed");
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A frame the client received.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Json(Value),
    Audio(Vec<u8>),
    /// The server closed the socket.
    Closed,
}

impl Frame {
    pub fn kind(&self) -> &str {
        match self {
            Frame::Json(v) => v["type"].as_str().unwrap_or(""),
            Frame::Audio(_) => "<audio>",
            Frame::Closed => "<closed>",
        }
    }
    pub fn json(&self) -> &Value {
        match self {
            Frame::Json(v) => v,
            other => panic!("not JSON: {other:?}"),
        }
    }
}

pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    pub async fn send(&mut self, frame: Value) {
        self.ws
            .send(Message::Text(frame.to_string().into()))
            .await
            .unwrap();
    }

    pub async fn send_raw(&mut self, text: &str) {
        self.ws
            .send(Message::Text(text.to_string().into()))
            .await
            .unwrap();
    }

    pub async fn audio(&mut self, pcm: Vec<u8>) {
        self.ws.send(Message::Binary(pcm.into())).await.unwrap();
    }

    /// Sends `pcm` in 100 ms frames.
    pub async fn speak(&mut self, pcm: &[u8]) {
        for chunk in pcm.chunks(4800) {
            self.audio(chunk.to_vec()).await;
        }
    }

    pub async fn next(&mut self) -> Frame {
        loop {
            match self.ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Frame::Closed,
                Some(Ok(Message::Text(t))) => {
                    return Frame::Json(serde_json::from_str(t.as_str()).expect("JSON frame"));
                }
                Some(Ok(Message::Binary(b))) => return Frame::Audio(b.to_vec()),
                Some(Ok(_)) => continue,
            }
        }
    }

    /// Frames until `stop` matches (inclusive); fails after 60 s (a hang guard, no timing).
    pub async fn until(&mut self, mut stop: impl FnMut(&Frame) -> bool) -> Vec<Frame> {
        let mut seen = Vec::new();
        let result = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                let frame = self.next().await;
                let done = stop(&frame) || frame == Frame::Closed;
                seen.push(frame);
                if done {
                    return;
                }
            }
        })
        .await;
        assert!(
            result.is_ok(),
            "timed out; frames so far: {:#?}",
            summary(&seen)
        );
        seen
    }

    /// Frames until one of type `kind`; returns them all (the last is it).
    pub async fn until_type(&mut self, kind: &str) -> Vec<Frame> {
        let frames = self.until(|f| f.kind() == kind).await;
        assert_eq!(
            frames.last().map(Frame::kind),
            Some(kind),
            "the socket closed first: {:#?}",
            summary(&frames)
        );
        frames
    }

    /// The next frame of type `kind`.
    pub async fn expect(&mut self, kind: &str) -> Value {
        self.until_type(kind).await.last().unwrap().json().clone()
    }
}

/// Frames without the audio bytes, for failure messages.
pub fn summary(frames: &[Frame]) -> Vec<String> {
    frames
        .iter()
        .map(|f| match f {
            Frame::Audio(a) => format!("<{} audio bytes>", a.len()),
            Frame::Json(v) => v.to_string(),
            Frame::Closed => "<closed>".into(),
        })
        .collect()
}

/// PCM16 24 kHz: `ms` of silence, or of a loud tone (speech to the peer's VAD).
pub fn pcm(ms: u32, loud: bool) -> Vec<u8> {
    let n = ms * 24;
    let mut out = Vec::with_capacity(n as usize * 2);
    for i in 0..n {
        let s = if loud {
            ((f64::from(i) * 300.0 * std::f64::consts::TAU / 24_000.0).sin() * 12_000.0) as i16
        } else {
            0
        };
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// One spoken turn: silence, speech, silence (the peer's VAD ends the turn).
pub fn utterance() -> Vec<u8> {
    [pcm(300, false), pcm(600, true), pcm(800, false)].concat()
}
