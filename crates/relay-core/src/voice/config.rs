use serde::{Deserialize, Serialize};

/// Audio encodings a voice session can use on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AudioFormat {
    /// 16-bit little-endian PCM, 24 kHz, mono (`audio/pcm`).
    #[default]
    Pcm16,
    /// G.711 μ-law, 8 kHz, mono (`audio/pcmu`).
    Pcmu,
    /// G.711 A-law, 8 kHz, mono (`audio/pcma`).
    Pcma,
}

impl AudioFormat {
    /// Bytes of encoded audio per millisecond.
    pub fn bytes_per_ms(self) -> u32 {
        match self {
            AudioFormat::Pcm16 => 48,
            AudioFormat::Pcmu | AudioFormat::Pcma => 8,
        }
    }

    /// Sample rate in Hz.
    pub fn sample_rate(self) -> u32 {
        match self {
            AudioFormat::Pcm16 => 24_000,
            AudioFormat::Pcmu | AudioFormat::Pcma => 8_000,
        }
    }

    /// Milliseconds of audio in `bytes` bytes (rounded down).
    pub fn duration_ms(self, bytes: usize) -> u64 {
        bytes as u64 / u64::from(self.bytes_per_ms())
    }
}

/// How eagerly semantic VAD ends the user's turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Eagerness {
    /// Waits longer before responding.
    Low,
    /// Balanced.
    Medium,
    /// Responds quickly.
    High,
    /// Let the service choose (equivalent to medium).
    #[default]
    Auto,
}

/// How the service decides the user has finished speaking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TurnDetection {
    /// Energy/voice-activity based end of turn.
    ServerVad {
        /// Activation threshold, 0.0–1.0.
        threshold: f32,
        /// Audio kept before detected speech, ms.
        prefix_padding_ms: u32,
        /// Silence that ends the turn, ms.
        silence_duration_ms: u32,
        /// Start a response automatically at the end of the turn.
        create_response: bool,
        /// Interrupt the assistant when the user starts speaking.
        interrupt_response: bool,
    },
    /// Model-based end of turn.
    SemanticVad {
        /// How quickly to respond.
        eagerness: Eagerness,
        /// Start a response automatically at the end of the turn.
        create_response: bool,
        /// Interrupt the assistant when the user starts speaking.
        interrupt_response: bool,
    },
}

impl TurnDetection {
    /// Server VAD with the service's documented defaults (0.5, 300 ms, 500 ms).
    pub fn server_vad() -> Self {
        TurnDetection::ServerVad {
            threshold: 0.5,
            prefix_padding_ms: 300,
            silence_duration_ms: 500,
            create_response: true,
            interrupt_response: true,
        }
    }
}

/// Transcription of the user's audio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptionConfig {
    /// Transcription model, e.g. `gpt-4o-transcribe` or `whisper-1`.
    pub model: String,
    /// ISO-639-1 language hint.
    pub language: Option<String>,
}

/// Which tools the model may call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "type", content = "name", rename_all = "snake_case")]
pub enum ToolChoice {
    /// The model decides.
    #[default]
    Auto,
    /// No tool calls.
    None,
    /// The model must call some tool.
    Required,
    /// The model must call this tool.
    Function(String),
}

/// Everything a voice session is configured with. Build with [`VoiceSessionConfig::builder`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoiceSessionConfig {
    /// System instructions for the model.
    pub instructions: String,
    /// Voice name, e.g. `marin`.
    pub voice: String,
    /// Encoding of audio the application sends.
    pub input_format: AudioFormat,
    /// Encoding of audio the session returns.
    pub output_format: AudioFormat,
    /// Whether replies include audio (otherwise text only).
    pub output_audio: bool,
    /// End-of-turn detection; `None` means the application commits turns itself.
    pub turn_detection: Option<TurnDetection>,
    /// Transcription of user audio; `None` disables it.
    pub transcription: Option<TranscriptionConfig>,
    /// Tool choice policy.
    pub tool_choice: ToolChoice,
    /// Milliseconds between spoken progress updates while a long tool runs.
    pub progress_interval_ms: u64,
    /// Speak a short acknowledgement as soon as a long tool starts.
    pub acknowledge_long_tools: bool,
    /// Raw JSON merged into the transport's session object, for fields Relay does not model yet.
    /// Beta-era field names here produce a warning.
    pub session_overrides: Option<serde_json::Value>,
    /// The conversation so far, when resuming a saved session (`relay voice --session NAME`):
    /// the transport replays it into the new connection the way it replays after a reconnect.
    #[serde(default)]
    pub history: Vec<crate::store::Turn>,
}

impl Default for VoiceSessionConfig {
    fn default() -> Self {
        VoiceSessionConfig {
            instructions: DEFAULT_INSTRUCTIONS.to_string(),
            voice: "marin".to_string(),
            input_format: AudioFormat::Pcm16,
            output_format: AudioFormat::Pcm16,
            output_audio: true,
            turn_detection: Some(TurnDetection::server_vad()),
            transcription: Some(TranscriptionConfig {
                model: "gpt-4o-transcribe".to_string(),
                language: None,
            }),
            tool_choice: ToolChoice::Auto,
            progress_interval_ms: 7_000,
            acknowledge_long_tools: true,
            session_overrides: None,
            history: Vec::new(),
        }
    }
}

const DEFAULT_INSTRUCTIONS: &str = "You are Relay, a voice assistant for a developer working across \
several git repositories. Keep spoken answers short. Use the tools to answer questions about \
repositories and to act on them; say what you are about to do before long operations.";

impl VoiceSessionConfig {
    /// Starts a builder with the defaults.
    pub fn builder() -> VoiceSessionConfigBuilder {
        VoiceSessionConfigBuilder {
            config: VoiceSessionConfig::default(),
        }
    }
}

/// Builder for [`VoiceSessionConfig`].
#[derive(Debug, Clone)]
pub struct VoiceSessionConfigBuilder {
    config: VoiceSessionConfig,
}

impl VoiceSessionConfigBuilder {
    /// Sets the instructions.
    pub fn instructions(mut self, v: impl Into<String>) -> Self {
        self.config.instructions = v.into();
        self
    }
    /// Sets the voice.
    pub fn voice(mut self, v: impl Into<String>) -> Self {
        self.config.voice = v.into();
        self
    }
    /// Sets both input and output audio formats.
    pub fn audio_format(mut self, f: AudioFormat) -> Self {
        self.config.input_format = f;
        self.config.output_format = f;
        self
    }
    /// Sets the input audio format.
    pub fn input_format(mut self, f: AudioFormat) -> Self {
        self.config.input_format = f;
        self
    }
    /// Sets the output audio format.
    pub fn output_format(mut self, f: AudioFormat) -> Self {
        self.config.output_format = f;
        self
    }
    /// Enables or disables audio in replies.
    pub fn output_audio(mut self, on: bool) -> Self {
        self.config.output_audio = on;
        self
    }
    /// Sets turn detection (`None` for manual turns).
    pub fn turn_detection(mut self, t: Option<TurnDetection>) -> Self {
        self.config.turn_detection = t;
        self
    }
    /// Sets input transcription (`None` to disable).
    pub fn transcription(mut self, t: Option<TranscriptionConfig>) -> Self {
        self.config.transcription = t;
        self
    }
    /// Sets the tool choice.
    pub fn tool_choice(mut self, t: ToolChoice) -> Self {
        self.config.tool_choice = t;
        self
    }
    /// Sets the interval between spoken progress updates for long tools.
    pub fn progress_interval_ms(mut self, ms: u64) -> Self {
        self.config.progress_interval_ms = ms;
        self
    }
    /// Enables or disables the spoken acknowledgement of long tools.
    pub fn acknowledge_long_tools(mut self, on: bool) -> Self {
        self.config.acknowledge_long_tools = on;
        self
    }
    /// Raw JSON merged into the session object.
    pub fn session_overrides(mut self, v: serde_json::Value) -> Self {
        self.config.session_overrides = Some(v);
        self
    }
    /// The conversation to resume (see [`VoiceSessionConfig::history`]).
    pub fn history(mut self, turns: Vec<crate::store::Turn>) -> Self {
        self.config.history = turns;
        self
    }
    /// Finishes the builder.
    pub fn build(self) -> VoiceSessionConfig {
        self.config
    }
}
