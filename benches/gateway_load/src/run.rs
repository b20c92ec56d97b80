//! One load run against one server: the peer, the server, a warm-up conversation, the
//! baseline memory, `N` conversations opened at a bounded rate, their turns, the numbers.

use std::time::Duration;

use relay_testkit::realtime::{FakeRealtime, Scenario};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::API_KEY;
use crate::analysis::{Analysis, analyse};
use crate::conversation::{ConversationRecord, Plan, converse};
use crate::server::{ServerKind, ServerProcess};

/// How hard to push.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Concurrent conversations.
    pub conversations: usize,
    /// Turns each (alternating text and speech, text first).
    pub turns: usize,
    /// Time between opening two conversations (the ramp).
    pub open_interval: Duration,
    /// Audio per binary frame, ms.
    pub frame_ms: u32,
    /// Speech per speech turn, ms.
    pub speech_ms: u32,
    /// Silence after it, ms (longer than the voice activity detection's silence duration).
    pub silence_ms: u32,
    /// How long one step (connecting, a reply) may take.
    pub turn_timeout: Duration,
    /// The whole run's limit: conversations still going then are stopped.
    pub deadline: Duration,
    /// Conversations start their turns spread over this window (not all at once).
    pub start_spread: Duration,
}

impl Default for LoadConfig {
    fn default() -> Self {
        LoadConfig {
            conversations: 200,
            turns: 4,
            open_interval: Duration::from_millis(20),
            frame_ms: 100,
            speech_ms: 600,
            silence_ms: 800,
            turn_timeout: Duration::from_secs(30),
            deadline: Duration::from_secs(300),
            start_spread: Duration::from_secs(1),
        }
    }
}

/// Why a run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The server under test did not start or listen.
    #[error("server {what}: {message}")]
    Server {
        /// Which server.
        what: String,
        /// What went wrong, with its output.
        message: String,
    },
    /// The workspace or the Realtime peer could not be set up.
    #[error("cannot set up the run: {0}")]
    Setup(String),
}

/// What one run measured.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// Which server (`relay serve`, `node example`).
    pub server: String,
    /// The configuration.
    pub config: LoadConfig,
    /// Each conversation's record.
    pub conversations: Vec<ConversationRecord>,
    /// Conversations that got `ready`.
    pub opened: usize,
    /// Server RSS after the warm-up conversation, before the load, KiB.
    pub rss_base_kib: u64,
    /// Server RSS with every conversation open (before their turns), KiB.
    pub rss_open_kib: u64,
    /// Highest server RSS sampled (every 100 ms) while the turns ran, KiB.
    pub rss_peak_kib: u64,
    /// Server CPU time used while the turns ran.
    pub cpu: Duration,
    /// Wall time of the turns.
    pub wall: Duration,
    /// The latency split.
    pub analysis: Analysis,
    /// The run's deadline stopped conversations.
    pub deadline_hit: bool,
    /// The server's last output lines.
    pub server_output: String,
}

impl RunReport {
    /// Turns planned over all conversations.
    pub fn turns_planned(&self) -> usize {
        self.config.conversations * self.config.turns
    }

    /// Turns that got reply audio and a completed response.
    pub fn turns_answered(&self) -> usize {
        self.conversations
            .iter()
            .flat_map(|c| &c.turns)
            .filter(|t| t.answered())
            .count()
    }

    /// `error` frames over all conversations.
    pub fn error_frames(&self) -> usize {
        self.conversations.iter().map(|c| c.errors.len()).sum()
    }

    /// (RSS with all open − baseline) / conversations, KiB.
    pub fn kib_per_conversation_open(&self) -> f64 {
        per(
            self.rss_open_kib,
            self.rss_base_kib,
            self.config.conversations,
        )
    }

    /// (peak RSS during the turns − baseline) / conversations, KiB.
    pub fn kib_per_conversation_peak(&self) -> f64 {
        per(
            self.rss_peak_kib,
            self.rss_base_kib,
            self.config.conversations,
        )
    }
}

fn per(total: u64, base: u64, n: usize) -> f64 {
    total.saturating_sub(base) as f64 / n.max(1) as f64
}

/// Runs `config` against `kind`: starts the Realtime peer (in this process) and the server,
/// and stops both before returning.
pub async fn run(kind: &ServerKind, config: &LoadConfig) -> Result<RunReport, LoadError> {
    let dir = tempfile::tempdir().map_err(|e| LoadError::Setup(format!("temp dir: {e}")))?;
    let workspace = dir.path().join("ws");
    std::fs::create_dir_all(&workspace).map_err(|e| LoadError::Setup(e.to_string()))?;
    relay_testkit::git::write_workspace(
        &workspace,
        &[("shared-api", &[]), ("backend", &["shared-api"])],
    );
    let peer = FakeRealtime::start(Scenario::new().api_key(API_KEY))
        .await
        .map_err(|e| LoadError::Setup(format!("the Realtime peer: {e}")))?;
    let server =
        ServerProcess::start(kind, &workspace, &peer.url(), Duration::from_secs(120)).await?;
    let started = Instant::now();
    let global = started + config.deadline;
    let plan = Plan {
        turns: config.turns,
        frame_ms: config.frame_ms,
        speech_ms: config.speech_ms,
        silence_ms: config.silence_ms,
        turn_timeout: config.turn_timeout,
        deadline: global,
    };

    // A warm-up conversation (one turn of each kind), so one-time costs (code loaded, pools)
    // are in the baseline, not charged to the conversations.
    let (go_tx, go) = watch::channel(true);
    let (opened_tx, _opened) = mpsc::unbounded_channel();
    let warm = Plan {
        turns: 2,
        ..plan.clone()
    };
    let warm_record = converse(
        config.conversations,
        server.url().to_string(),
        warm,
        Duration::ZERO,
        opened_tx,
        go,
    )
    .await;
    if warm_record.failure.is_some() || warm_record.turns.iter().any(|t| !t.answered()) {
        let output = server.last_output();
        return Err(LoadError::Server {
            what: kind.label().into(),
            message: format!(
                "the warm-up conversation failed: {:?} (errors {:?}); its output:\n{output}",
                warm_record.failure, warm_record.errors
            ),
        });
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_base_kib = server.rss_kib().unwrap_or(0);

    // Open the conversations at a bounded rate; each waits for `go` once ready.
    go_tx.send_replace(false);
    let (opened_tx, mut opened) = mpsc::unbounded_channel();
    let mut tasks = Vec::with_capacity(config.conversations);
    let spread = config.start_spread.as_secs_f64() / config.conversations.max(1) as f64;
    for id in 0..config.conversations {
        let delay = Duration::from_secs_f64(spread * id as f64);
        tasks.push(tokio::spawn(converse(
            id,
            server.url().to_string(),
            plan.clone(),
            delay,
            opened_tx.clone(),
            go_tx.subscribe(),
        )));
        tokio::time::sleep(config.open_interval).await;
    }
    drop(opened_tx);
    let mut ready = 0;
    for _ in 0..config.conversations {
        match tokio::time::timeout_at(global, opened.recv()).await {
            Ok(Some(true)) => ready += 1,
            Ok(Some(false)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rss_open_kib = server.rss_kib().unwrap_or(0);

    // The turns, with the server's memory sampled as they run.
    let cpu_before = server.cpu_time().unwrap_or_default();
    let turns_started = Instant::now();
    let (stop_sampling, mut stopped) = watch::channel(false);
    let pid = server.pid();
    let sampler = tokio::spawn(async move {
        let mut peak = 0;
        loop {
            if let Some((rss, _)) = relay_testkit::memory::process_rss_kib(pid) {
                peak = peak.max(rss);
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                _ = stopped.changed() => return peak,
            }
        }
    });
    go_tx.send_replace(true);
    let mut conversations = Vec::with_capacity(tasks.len());
    let mut deadline_hit = false;
    // Each conversation stops itself at the deadline; this is the backstop.
    let backstop = global + Duration::from_secs(10);
    for (id, task) in tasks.into_iter().enumerate() {
        let abort = task.abort_handle();
        let failed = |why: String| ConversationRecord {
            id,
            failure: Some(why),
            ..ConversationRecord::default()
        };
        let record = match tokio::time::timeout_at(backstop, task).await {
            Ok(Ok(record)) => record,
            Ok(Err(e)) => failed(format!("the task failed: {e}")),
            Err(_) => {
                abort.abort();
                deadline_hit = true;
                failed("still running after the deadline".into())
            }
        };
        conversations.push(record);
    }
    let wall = turns_started.elapsed();
    let cpu = server
        .cpu_time()
        .unwrap_or_default()
        .saturating_sub(cpu_before);
    let _ = stop_sampling.send(true);
    let rss_peak_kib = sampler.await.unwrap_or(0).max(rss_open_kib);
    deadline_hit |= Instant::now() >= global;
    let server_output = server.last_output();
    server.stop(Duration::from_secs(5)).await;
    let analysis = analyse(&conversations, &peer);
    Ok(RunReport {
        server: kind.label().into(),
        config: config.clone(),
        conversations,
        opened: ready,
        rss_base_kib,
        rss_open_kib,
        rss_peak_kib,
        cpu,
        wall,
        analysis,
        deadline_hit,
        server_output,
    })
}
