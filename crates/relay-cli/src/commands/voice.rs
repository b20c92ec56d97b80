//! `relay voice`: talk to Relay through the OpenAI Realtime transport, from text or a WAV file.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use relay::core::tools::{SessionContext, ToolRegistry};
use relay::core::voice::{AudioFormat, ReplyTracker, VoiceEvent, VoiceSession, VoiceSessionConfig};
use relay::voice::audio;
use relay::{AgentChoice, Part, Relay, SessionMemory, TransportKind, VoiceConfig};

use crate::agent::AgentArgs;
use crate::context::Global;
use crate::error::{CliError, CliResult, EXIT_FAILED};

/// Arguments of `relay voice`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["text", "wav"])))]
pub struct Args {
    /// Save the conversation as NAME as it goes; an existing one is resumed (the model hears
    /// the earlier turns, replayed like after a reconnect).
    #[arg(long, value_name = "NAME")]
    session: Option<String>,
    /// Realtime WebSocket URL (a proxy, Azure, or a test server). Default: OpenAI.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// Realtime model.
    #[arg(long, value_name = "M", default_value = relay::voice::realtime::DEFAULT_MODEL)]
    model: String,
    /// Send each utterance as a user message and wait for the reply.
    #[arg(long, value_name = "UTTERANCE", num_args = 1..)]
    text: Vec<String>,
    /// Stream this WAV file as speech, in 100 ms frames at real-time pace.
    #[arg(long, value_name = "IN.wav")]
    wav: Option<PathBuf>,
    /// Write the reply audio to this WAV file (24 kHz mono PCM16).
    #[arg(long, value_name = "OUT.wav", requires = "wav")]
    out: Option<PathBuf>,
    /// Stream the WAV file as fast as possible instead of in real time.
    #[arg(long, requires = "wav")]
    fast: bool,
    /// Print every event as one JSON object per line.
    #[arg(long)]
    json: bool,
    /// Give up when a reply takes longer than this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    timeout: u64,
    #[command(flatten)]
    tools: ToolArgs,
}

/// What a conversation may use: the coding agent for `run_agent_task` and the environment
/// provider for the `env_*` tools.
#[derive(Debug, Clone, clap::Args)]
pub struct ToolArgs {
    #[command(flatten)]
    pub agent: AgentArgs,
    /// Environment provider for the env_* tools: proxmox or local (default: infra.provider,
    /// else proxmox when PROXMOX_URL or infra.proxmox is set, else local).
    #[arg(long, value_name = "PROVIDER")]
    pub provider: Option<String>,
    /// Model for the claude agent.
    #[arg(long, value_name = "MODEL")]
    pub agent_model: Option<String>,
    /// Stop an agent run (in one repository) longer than this many seconds.
    #[arg(long, value_name = "SECS")]
    pub agent_timeout: Option<u64>,
}

/// What a conversation runs with: the tools, the shared context and, with `--session`, the
/// memory that saves it as it goes.
pub struct Conversation {
    /// The tools, restricted to the caller's role and audited when there is a store.
    pub registry: Arc<ToolRegistry>,
    /// The tools' shared context (restored from a resumed session).
    pub context: Arc<SessionContext>,
    /// The saved session, with `--session NAME`.
    pub memory: Option<SessionMemory>,
}

impl Conversation {
    /// The voice configuration's session settings with a resumed session's history.
    pub fn session_config(&self) -> VoiceSessionConfig {
        let history = self
            .memory
            .as_ref()
            .map(|m| m.history())
            .unwrap_or_default();
        VoiceSessionConfig::builder().history(history).build()
    }
}

/// The tools of a conversation, from the facade: repository and agent tools over the workspace,
/// environment tools over the provider. A part that cannot be had is left out with a note on
/// stderr, unless its flag asked for it explicitly: then it is an error. With a workspace (or
/// `--store`) the store is opened: every tool call is audited, and `session` names the
/// conversation to save and resume.
pub async fn registry(
    g: &Global,
    tools: &ToolArgs,
    default_agent: AgentChoice,
    session: Option<&str>,
) -> Result<Conversation, CliError> {
    let relay = build(g, tools, Some(default_agent), session.is_some()).await?;
    let memory = match session {
        Some(name) => Some(relay.session(name).await?),
        None => None,
    };
    let context = memory
        .as_ref()
        .map(SessionMemory::context)
        .unwrap_or_else(SessionContext::new);
    let registry = Arc::new(relay.tools_for_session(session.map(str::to_owned))?);
    Ok(Conversation {
        registry,
        context,
        memory,
    })
}

/// Relay with the parts [`registry`] describes; no agent when `default_agent` is `None`. The
/// store is opened with a workspace, an explicit `--store`, or when `with_session` needs it.
pub async fn build(
    g: &Global,
    tools: &ToolArgs,
    default_agent: Option<AgentChoice>,
    with_session: bool,
) -> Result<Relay, CliError> {
    let environments = crate::infra::environments(tools.provider.as_deref())?;
    let mut builder = g.relay().workspace_if_found();
    let explicit = g.store.as_deref().is_some_and(|s| !s.trim().is_empty());
    if explicit || with_session || g.workspace().is_ok() {
        builder = builder.store(g.store_choice()?);
    }
    if let Some(default_agent) = default_agent {
        let mut agent = tools.agent.config(
            default_agent,
            tools.agent_model.as_deref(),
            tools.agent_timeout,
        );
        // The agent of `run_agent_task` asks the graph through MCP like `relay run`'s.
        if let Ok(workspace) = g.workspace() {
            agent = tools.agent.with_relay_mcp(agent, &workspace);
        }
        builder = match tools.agent.agent {
            Some(_) => builder.agent(agent),
            None => builder.agent_if_available(agent),
        };
    }
    builder = match tools.provider {
        Some(_) => builder.environments(environments),
        None => builder.environments_if_available(environments),
    };
    let relay = builder.build().await?;
    for left in relay.left_out() {
        match left.part {
            Part::Workspace => eprintln!(
                "note: no workspace, so no repository or agent tools ({})",
                left.reason
            ),
            // Without a workspace there is no agent tool to miss: said above.
            Part::Agent if relay.graph().is_none() => {}
            Part::Agent => eprintln!(
                "note: no agent tool ({}); --agent shell runs commands without it",
                left.reason
            ),
            Part::Environments => eprintln!("note: no environment tools ({})", left.reason),
            Part::McpServers => eprintln!("note: {}", left.reason),
            Part::GitHub => eprintln!("note: no GitHub tools ({})", left.reason),
        }
    }
    if relay.agent().is_some() {
        // Tools the agent starts must not linger as zombies.
        relay::agent::become_child_subreaper();
    }
    Ok(relay)
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    // SIGINT, SIGTERM, SIGHUP: the session and its tool runs stop, their processes are killed.
    crate::shutdown::until_signal(talk(g, args)).await
}

async fn talk(g: &Global, args: Args) -> CliResult {
    let mut voice = VoiceConfig::new()
        .transport(TransportKind::Realtime)
        .model(&args.model);
    if let Some(url) = &args.url {
        voice = voice.url(url);
    }
    // A missing key or a bad URL shows before anything else is prepared.
    voice.realtime_config()?;
    // Read the input before connecting so a bad file costs no session.
    let input = match &args.wav {
        Some(path) => {
            let wav = audio::read_wav(path)?;
            Some(audio::pcm16_to_bytes(&audio::resample_to_24k_mono(
                &wav.samples,
                wav.sample_rate,
                wav.channels,
            )))
        }
        None => None,
    };
    let conversation =
        registry(g, &args.tools, AgentChoice::Claude, args.session.as_deref()).await?;
    let memory = conversation.memory.as_ref();
    if memory.is_some_and(SessionMemory::is_resumed) && !args.json {
        eprintln!(
            "resuming session with {} earlier turn(s)",
            memory.map(|m| m.history().len()).unwrap_or(0)
        );
    }
    let session = voice
        .session(conversation.session_config())
        .start(conversation.registry.clone(), conversation.context.clone())
        .await?;
    let timeout = Duration::from_secs(args.timeout);
    let mut reply_audio = Vec::new();
    if let Some(pcm) = input {
        let frames: Vec<&[u8]> = audio::frames(&pcm, AudioFormat::Pcm16, 100).collect();
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        for frame in frames {
            if !args.fast {
                tick.tick().await;
            }
            session.send_audio(frame.to_vec())?;
        }
        // Trailing silence lets voice activity detection end the turn.
        for _ in 0..10 {
            if !args.fast {
                tick.tick().await;
            }
            session.send_audio(vec![0; audio::frame_bytes(AudioFormat::Pcm16, 100)])?;
        }
        wait_reply(&session, args.json, timeout, &mut reply_audio, memory).await?;
    }
    for utterance in &args.text {
        session.send_text(utterance.clone())?;
        wait_reply(&session, args.json, timeout, &mut reply_audio, memory).await?;
    }
    if let Some(out) = &args.out {
        let samples = audio::pcm16_from_bytes(&reply_audio);
        audio::write_wav_pcm16(out, &samples, 24_000, 1)?;
        if !args.json {
            println!(
                "wrote {} ms of reply audio to {}",
                samples.len() / 24,
                out.display()
            );
        }
    }
    session.close();
    Ok(())
}

/// Prints events until the reply to the last input is complete.
pub async fn wait_reply(
    session: &VoiceSession,
    json: bool,
    timeout: Duration,
    audio_out: &mut Vec<u8>,
    memory: Option<&SessionMemory>,
) -> CliResult {
    let mut tracker = ReplyTracker::default();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let event = match tokio::time::timeout_at(deadline, session.next_event()).await {
            Err(_) => {
                return Err(CliError {
                    code: EXIT_FAILED,
                    message: format!(
                        "no complete reply within {} s (raise --timeout)",
                        timeout.as_secs()
                    ),
                });
            }
            Ok(None) => {
                return Err(CliError {
                    code: EXIT_FAILED,
                    message: "the session ended unexpectedly".into(),
                });
            }
            Ok(Some(e)) => e,
        };
        if let VoiceEvent::AssistantAudio { audio, .. } = &event {
            audio_out.extend_from_slice(audio);
        }
        print_event(&event, json);
        if let Some(memory) = memory {
            memory.observe(&event).await?;
        }
        let done = tracker.observe(&event);
        if let VoiceEvent::Closed {
            reason,
            by_application: false,
        } = &event
        {
            return Err(CliError {
                code: EXIT_FAILED,
                message: format!("session closed: {reason}"),
            });
        }
        if done {
            return Ok(());
        }
    }
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

/// Renders one event: JSON lines, or a readable transcript.
pub fn print_event(event: &VoiceEvent, json: bool) {
    if json {
        if let Ok(line) = serde_json::to_string(event) {
            println!("{line}");
        }
        return;
    }
    match event {
        VoiceEvent::UserTranscript { text, .. } => println!("you: {text}"),
        VoiceEvent::AssistantText { text, .. } => println!("relay: {text}"),
        VoiceEvent::ToolCallStarted {
            name, arguments, ..
        } => println!("  tool {name}({arguments})"),
        VoiceEvent::ToolProgress { progress, .. } => println!("  … {}", progress.message),
        VoiceEvent::ToolCallFinished {
            name, ok, output, ..
        } => {
            println!(
                "  {} {name}: {}",
                if *ok { "ok" } else { "failed" },
                clip(output, 300)
            );
        }
        VoiceEvent::Interrupted { audio_end_ms, .. } => {
            println!("  (interrupted at {audio_end_ms} ms)");
        }
        VoiceEvent::Reconnecting {
            attempt, reason, ..
        } => eprintln!("reconnecting (attempt {attempt}): {reason}"),
        VoiceEvent::Warning { message } => eprintln!("warning: {message}"),
        VoiceEvent::Error { code, message } => eprintln!("error {code}: {message}"),
        _ => {}
    }
}
