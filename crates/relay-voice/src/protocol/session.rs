//! The GA `session` object sent in `session.update` and echoed in `session.created/updated`.

use relay_core::tools::ToolSpec;
use relay_core::voice::{AudioFormat, ToolChoice, TurnDetection, VoiceSessionConfig};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Wire audio format: `{"type": "audio/pcm", "rate": 24000}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireFormat {
    /// `audio/pcm`, `audio/pcmu` or `audio/pcma`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Sample rate (only for `audio/pcm`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<u32>,
}

impl From<AudioFormat> for WireFormat {
    fn from(f: AudioFormat) -> Self {
        match f {
            AudioFormat::Pcm16 => WireFormat {
                kind: "audio/pcm".into(),
                rate: Some(24_000),
            },
            AudioFormat::Pcmu => WireFormat {
                kind: "audio/pcmu".into(),
                rate: None,
            },
            AudioFormat::Pcma => WireFormat {
                kind: "audio/pcma".into(),
                rate: None,
            },
        }
    }
}

impl WireFormat {
    /// The matching [`AudioFormat`], if supported.
    pub fn to_audio_format(&self) -> Option<AudioFormat> {
        match self.kind.as_str() {
            "audio/pcm" => Some(AudioFormat::Pcm16),
            "audio/pcmu" => Some(AudioFormat::Pcmu),
            "audio/pcma" => Some(AudioFormat::Pcma),
            _ => None,
        }
    }
}

/// Input transcription settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcription {
    /// Model name.
    pub model: String,
    /// Language hint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// `session.audio.input`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AudioInput {
    /// Encoding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<WireFormat>,
    /// Transcription (`null` disables).
    #[serde(default)]
    pub transcription: Option<Transcription>,
    /// Turn detection (`null` disables).
    #[serde(default)]
    pub turn_detection: Option<TurnDetection>,
    /// Fields Relay does not model (e.g. `speed`, `noise_reduction`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `session.audio.output`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AudioOutput {
    /// Encoding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<WireFormat>,
    /// Voice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    /// Fields Relay does not model (e.g. `speed`, `noise_reduction`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `session.audio`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SessionAudio {
    /// Input side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<AudioInput>,
    /// Output side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<AudioOutput>,
    /// Fields Relay does not model (e.g. `speed`, `noise_reduction`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A function tool as advertised to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionTool {
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// JSON Schema.
    pub parameters: Value,
}

impl From<&ToolSpec> for FunctionTool {
    fn from(s: &ToolSpec) -> Self {
        FunctionTool {
            kind: "function".into(),
            name: s.name.clone(),
            description: s.description.clone(),
            parameters: s.parameters.clone(),
        }
    }
}

/// The GA realtime session object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Always `realtime` for speech-to-speech sessions.
    #[serde(rename = "type")]
    pub kind: String,
    /// Session id (server-assigned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// `["audio"]` or `["text"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_modalities: Option<Vec<String>>,
    /// Audio configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<SessionAudio>,
    /// Tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<FunctionTool>>,
    /// `auto`, `none`, `required` or `{"type":"function","name":...}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    /// Fields Relay does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Session fields of the beta protocol that the GA protocol moved or renamed.
pub const BETA_SESSION_FIELDS: &[&str] = &[
    "modalities",
    "input_audio_format",
    "output_audio_format",
    "input_audio_transcription",
    "turn_detection",
    "voice",
    "input_audio_noise_reduction",
    "max_response_output_tokens",
];

impl Session {
    /// Builds the session object for `config` and `tools`. Returns warnings for beta-era fields
    /// found in `config.session_overrides` (they are still sent, since the user asked for them).
    pub fn from_config(
        config: &VoiceSessionConfig,
        model: &str,
        tools: &[ToolSpec],
    ) -> (Session, Vec<String>) {
        let tool_choice = match &config.tool_choice {
            ToolChoice::Auto => Value::from("auto"),
            ToolChoice::None => Value::from("none"),
            ToolChoice::Required => Value::from("required"),
            ToolChoice::Function(name) => serde_json::json!({"type": "function", "name": name}),
        };
        let mut session = Session {
            kind: "realtime".into(),
            id: None,
            model: Some(model.to_string()),
            instructions: Some(config.instructions.clone()),
            output_modalities: Some(vec![
                if config.output_audio { "audio" } else { "text" }.into(),
            ]),
            audio: Some(SessionAudio {
                input: Some(AudioInput {
                    format: Some(config.input_format.into()),
                    transcription: config.transcription.as_ref().map(|t| Transcription {
                        model: t.model.clone(),
                        language: t.language.clone(),
                    }),
                    turn_detection: config.turn_detection.clone(),
                    extra: Map::new(),
                }),
                output: Some(AudioOutput {
                    format: Some(config.output_format.into()),
                    voice: Some(config.voice.clone()),
                    extra: Map::new(),
                }),
                extra: Map::new(),
            }),
            tools: Some(tools.iter().map(FunctionTool::from).collect()),
            tool_choice: Some(tool_choice),
            extra: Map::new(),
        };
        let mut warnings = Vec::new();
        if let Some(overrides) = &config.session_overrides {
            if let Value::Object(map) = overrides {
                for k in map
                    .keys()
                    .filter(|k| BETA_SESSION_FIELDS.contains(&k.as_str()))
                {
                    warnings.push(format!(
                        "session override `{k}` is a beta-era Realtime field; the GA protocol uses \
                         `output_modalities` and `audio.input`/`audio.output` instead — move it there"
                    ));
                }
            }
            // Overrides win over typed fields: merge at the JSON level, then re-type.
            let mut merged = serde_json::to_value(&session).unwrap_or(Value::Null);
            merge(&mut merged, overrides);
            match serde_json::from_value(merged) {
                Ok(s) => session = s,
                Err(e) => warnings.push(format!("session overrides ignored: {e}")),
            }
        }
        (session, warnings)
    }
}

fn merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, p) => *b = p.clone(),
    }
}
