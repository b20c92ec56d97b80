//! `relay voice`: talk to Relay through the OpenAI Realtime transport, from text or a WAV file.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use relay::core::approval::{ApprovalEvent, Approver, FixedApprover, QuestionSpeaker};
use relay::core::tools::{SessionContext, ToolRegistry};
use relay::core::voice::{AudioFormat, ReplyTracker, VoiceEvent, VoiceSession, VoiceSessionConfig};
use relay::voice::audio;
use relay::{AgentChoice, Part, Relay, SessionMemory, TransportKind, VoiceConfig};

use crate::agent::AgentArgs;
use crate::approvals::{self, ApproveArgs, Spoken};
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
    #[command(flatten)]
    approve: ApproveArgs,
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
/// conversation to save and resume. Tools that need approval, and the agent's permission
/// questions, ask the approver `approver` makes for the caller (their user name).
pub async fn registry(
    g: &Global,
    tools: &ToolArgs,
    default_agent: AgentChoice,
    session: Option<&str>,
    approve: &ApproveArgs,
    approver: impl FnOnce(&str) -> Arc<dyn Approver>,
) -> Result<Conversation, CliError> {
    let relay = build(g, tools, Some(default_agent), session.is_some()).await?;
    let user = relay.caller().user.clone();
    let memory = match session {
        Some(name) => Some(relay.session(name).await?),
        None => None,
    };
    let context = memory
        .as_ref()
        .map(SessionMemory::context)
        .unwrap_or_else(SessionContext::new);
    let registry = Arc::new(
        relay
            .tools_for_session(session.map(str::to_owned))?
            .with_approver(approver(&user))
            .approval_timeout(approve.timeout()),
    );
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
    // The user's own speech (and typed answers) answer approval questions, and the terminal
    // when stdin is one; `--approve` answers them all instead.
    let interactive = std::io::IsTerminal::is_terminal(&std::io::stdin());
    let mut spoken: Option<Spoken> = None;
    let conversation = registry(
        g,
        &args.tools,
        AgentChoice::Claude,
        args.session.as_deref(),
        &args.approve,
        |user| match args.approve.approve {
            Some(decision) => Arc::new(FixedApprover(decision)),
            None => {
                let hub = Spoken::new(user, interactive);
                let approver = hub.hub.clone();
                spoken = Some(hub);
                approver
            }
        },
    )
    .await?;
    let memory = conversation.memory.as_ref();
    if memory.is_some_and(SessionMemory::is_resumed) && !args.json {
        eprintln!(
            "resuming session with {} earlier turn(s)",
            memory.map(|m| m.history().len()).unwrap_or(0)
        );
    }
    let session = Arc::new(
        voice
            .session(conversation.session_config())
            .start(conversation.registry.clone(), conversation.context.clone())
            .await?,
    );
    // Questions are spoken in the conversation.
    let _speaker = spoken
        .as_ref()
        .map(|s| QuestionSpeaker::start(&s.hub, session.clone()));
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
        wait_reply_with(
            &session,
            args.json,
            timeout,
            &mut reply_audio,
            memory,
            spoken.as_mut(),
        )
        .await?;
    }
    // The utterances in order; with spoken approvals, the next one also answers a question
    // (and is then sent at once).
    let mut texts: std::collections::VecDeque<String> = args.text.iter().cloned().collect();
    if let Some(spoken) = spoken.as_mut() {
        spoken.answers = std::mem::take(&mut texts);
    }
    loop {
        let next = match spoken.as_mut() {
            Some(spoken) => spoken.answers.pop_front(),
            None => texts.pop_front(),
        };
        let Some(utterance) = next else { break };
        session.send_text(utterance)?;
        wait_reply_with(
            &session,
            args.json,
            timeout,
            &mut reply_audio,
            memory,
            spoken.as_mut(),
        )
        .await?;
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
    wait_reply_with(session, json, timeout, audio_out, memory, None).await
}

/// [`wait_reply`] in a conversation with spoken approvals: the user's transcripts are heard
/// by the hub, its questions and answers are printed, and a question is answered by the next
/// `--text` utterance, sent at once.
pub async fn wait_reply_with(
    session: &VoiceSession,
    json: bool,
    timeout: Duration,
    audio_out: &mut Vec<u8>,
    memory: Option<&SessionMemory>,
    mut spoken: Option<&mut Spoken>,
) -> CliResult {
    let mut tracker = ReplyTracker::default();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let next = async {
            match spoken.as_mut() {
                Some(s) => tokio::select! {
                    event = session.next_event() => Ok(event),
                    Ok(approval) = s.events.recv() => Err(approval),
                },
                None => Ok(session.next_event().await),
            }
        };
        let event = match tokio::time::timeout_at(deadline, next).await {
            Ok(Err(approval)) => {
                if json {
                    if let Ok(line) = serde_json::to_string(&approval) {
                        println!("{line}");
                    }
                } else {
                    println!("{}", approvals::describe(&approval));
                }
                if let (ApprovalEvent::ApprovalRequested { .. }, Some(s)) =
                    (&approval, spoken.as_mut())
                    && let Some(answer) = s.answers.pop_front()
                {
                    session.send_text(answer)?;
                }
                continue;
            }
            Ok(Ok(event)) => Ok(event),
            Err(e) => Err(e),
        };
        let event = match event {
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
        if let Some(s) = spoken.as_ref() {
            // Only the user's own transcript can answer, never the model's words.
            s.hub.hear(&s.user, &event);
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
