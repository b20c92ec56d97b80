//! The gateway's test rig: the gateway served on loopback, the testkit's Realtime peer behind
//! it, a real WebSocket client, and the app's tools (a lookup, a long sync, a deploy that asks
//! for approval through the conversation's approver).

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
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
use tokio::sync::{Notify, oneshot};

pub use relay_core::tools::test_util::{Lookup, SlowSync};
#[allow(unused_imports)]
pub use relay_testkit::gateway_client::{Client, Frame, summary, typed_turn_reaches_everyone};

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
        let question = args["question"]
            .as_str()
            .unwrap_or("Relay wants to deploy to production. Allow it?")
            .to_string();
        let request = ApprovalRequest::new(
            question,
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

/// The team's workload report: a lead's tool (`Permission::Team`), counting its runs.
pub struct TeamReport {
    pub runs: Arc<AtomicUsize>,
}

#[async_trait]
impl Tool for TeamReport {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "team_report",
            "Reports everyone's work in progress.",
            json!({"type": "object"}),
            Permission::Team,
        )
    }
    async fn call(&self, _args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        Ok(json!({"members": 3}))
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
    /// How many times `team_report` ran.
    pub team_runs: Arc<AtomicUsize>,
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
            .with(Arc::new(TeamReport {
                runs: self.team_runs.clone(),
            }))
            .for_caller(request.caller);
        let registry = Arc::new(request.guests.guard(registry));
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

/// The owner (ana) starts session `pairing` on `owners` and invites; bob (a developer) joins
/// with the code on `guests` (the same rig, or another server on one store). Checks what each
/// is told on the way; returns the owner's client, the guest's and the invite code.
pub async fn pair_on(owners: &Rig, guests: &Rig) -> (Client, Client, String) {
    let mut owner = owners.connect("?session=pairing").await;
    owner.expect("ready").await;
    owner.send(json!({"type": "invite"})).await;
    let invite = owner.expect("invite").await;
    let code = invite["code"].as_str().unwrap().to_string();
    assert_eq!(invite["url"], format!("/?join={code}"));
    let mut guest = guests
        .connect(&format!("?join={code}&as=bob:developer"))
        .await;
    let ready = guest.expect("ready").await;
    assert_eq!(ready["session_id"], "pairing");
    assert_eq!(ready["user"], "bob");
    assert_eq!(ready["role"], "developer");
    assert_eq!(ready["owner"], "ana");
    assert_eq!(
        ready["participants"],
        json!([{"user": "ana", "role": "admin"}, {"user": "bob", "role": "developer"}])
    );
    assert!(
        ready["tools"]
            .as_array()
            .unwrap()
            .contains(&json!("slow_sync"))
    );
    let joined = owner.expect("participant_joined").await;
    assert_eq!(joined["user"], "bob");
    assert_eq!(joined["role"], "developer");
    (owner, guest, code)
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
            team_runs: Arc::new(AtomicUsize::new(0)),
        }));
        let voice = VoiceSessionConfig::builder()
            .progress_interval_ms(150)
            .build();
        let gateway = builder(Gateway::builder(factory.clone(), ana()).voice(voice)).build();
        let server = Server::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        // Stands in for the auth layer: `?as=USER:ROLE` says who the request is.
        let router = gateway.router().layer(axum::middleware::from_fn(test_auth));
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
        Client::connect(&self.url(query)).await
    }

    /// Attempts an upgrade that must be refused: the HTTP status and the JSON body (`Null` when
    /// the body is not JSON).
    pub async fn refused(&self, query: &str) -> (u16, Value) {
        match Client::try_connect(&self.url(query)).await {
            Ok(_) => panic!("the upgrade was not refused"),
            Err((0, error)) => panic!("not an HTTP refusal: {error}"),
            Err(refusal) => refusal,
        }
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

/// `?as=bob:developer` puts that caller into the request, as an auth layer would.
async fn test_auth(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let query = request.uri().query().unwrap_or("").to_string();
    for pair in query.split('&') {
        if let Some(who) = pair.strip_prefix("as=")
            && let Some((user, role)) = who.split_once(':')
        {
            let role: Role = serde_json::from_value(json!(role)).expect("a role");
            request.extensions_mut().insert(Caller::new(user, role));
        }
    }
    next.run(request).await
}
