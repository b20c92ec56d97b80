//! [`VoiceHandle`]: a voice session (OpenAI Realtime or the offline text transport) driving a
//! [`ToolsHandle`]'s registry, as every binding exposes it.

use futures::FutureExt;
use relay::core::store::Turn;
use relay::core::voice::{
    AudioFormat, SessionMetrics, TurnDetection, VoiceEvent, VoiceSession, VoiceSessionConfig,
};
use relay::{SessionMemory, TransportKind, VoiceConfig};
use serde_json::Value;
use std::sync::Arc;

use crate::error::BindingError;
use crate::tools::ToolsHandle;

/// How to hold the conversation. Everything is optional.
#[derive(Clone, Default)]
pub struct VoiceOptions {
    /// `"realtime"` (OpenAI Realtime) or `"text"` (offline: typed utterances, no model).
    /// Default: `realtime` when `url` or an API key is available, else `text`.
    pub transport: Option<String>,
    /// Realtime WebSocket URL (a proxy, Azure, a test server). Default: OpenAI.
    pub url: Option<String>,
    /// Realtime model. Default: `gpt-realtime`.
    pub model: Option<String>,
    /// API key from the embedding app; else `OPENAI_API_KEY`. Never logged.
    pub api_key: Option<String>,
    /// System instructions.
    pub instructions: Option<String>,
    /// Voice name, e.g. `marin`.
    pub voice: Option<String>,
    /// Audio encoding in both directions: `pcm16` (24 kHz), `pcmu` or `pcma` (8 kHz G.711).
    pub audio_format: Option<String>,
    /// Whether replies carry audio (default true); false for text-only replies.
    pub output_audio: Option<bool>,
    /// `server_vad` (default), `semantic_vad`, or `none` (the app calls `commit_audio`).
    pub turn_detection: Option<String>,
    /// Any further [`VoiceSessionConfig`] fields as a JSON object, laid over the above.
    pub config_json: Option<String>,
}

impl std::fmt::Debug for VoiceOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoiceOptions")
            .field("transport", &self.transport)
            .field("url", &self.url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("instructions", &self.instructions)
            .field("voice", &self.voice)
            .field("audio_format", &self.audio_format)
            .field("output_audio", &self.output_audio)
            .field("turn_detection", &self.turn_detection)
            .field("config_json", &self.config_json)
            .finish()
    }
}

impl VoiceOptions {
    fn session_config(&self) -> Result<VoiceSessionConfig, BindingError> {
        let mut builder = VoiceSessionConfig::builder();
        if let Some(instructions) = &self.instructions {
            builder = builder.instructions(instructions.clone());
        }
        if let Some(voice) = &self.voice {
            builder = builder.voice(voice.clone());
        }
        if let Some(format) = &self.audio_format {
            let format: AudioFormat = serde_json::from_value(Value::from(format.as_str()))
                .map_err(|_| {
                    BindingError::usage(format!(
                        "unknown audio format `{format}`; use pcm16, pcmu or pcma"
                    ))
                })?;
            builder = builder.audio_format(format);
        }
        if let Some(on) = self.output_audio {
            builder = builder.output_audio(on);
        }
        if let Some(detection) = &self.turn_detection {
            builder = builder.turn_detection(match detection.as_str() {
                "server_vad" => Some(TurnDetection::server_vad()),
                "semantic_vad" => Some(TurnDetection::SemanticVad {
                    eagerness: Default::default(),
                    create_response: true,
                    interrupt_response: true,
                }),
                "none" => None,
                other => {
                    return Err(BindingError::usage(format!(
                        "unknown turn detection `{other}`; use server_vad, semantic_vad or none"
                    )));
                }
            });
        }
        let config = builder.build();
        match &self.config_json {
            None => Ok(config),
            Some(text) => overlay(config, text),
        }
    }

    /// The facade's voice configuration: transport, endpoint, model, key and session (with the
    /// `history` of a resumed conversation).
    fn voice_config(&self, history: Vec<Turn>) -> Result<VoiceConfig, BindingError> {
        let mut session = self.session_config()?;
        session.history = history;
        let mut config = VoiceConfig::new().session(session);
        if let Some(name) = &self.transport {
            config = config.transport(name.parse::<TransportKind>()?);
        }
        if let Some(url) = &self.url {
            config = config.url(url.clone());
        }
        if let Some(model) = &self.model {
            config = config.model(model.clone());
        }
        if let Some(key) = &self.api_key {
            config = config.api_key(key.clone());
        }
        Ok(config)
    }
}

/// Lays the fields of JSON object `text` over `config`.
fn overlay(config: VoiceSessionConfig, text: &str) -> Result<VoiceSessionConfig, BindingError> {
    let fields: serde_json::Map<String, Value> = serde_json::from_str(text)
        .map_err(|e| BindingError::usage(format!("config_json must be a JSON object: {e}")))?;
    let mut merged = serde_json::to_value(config).expect("voice configuration serializes");
    if let Value::Object(base) = &mut merged {
        base.extend(fields);
    }
    serde_json::from_value(merged)
        .map_err(|e| BindingError::usage(format!("config_json has a bad field: {e}")))
}

/// A running voice session. Input: [`send_text`](Self::send_text),
/// [`send_audio`](Self::send_audio), [`report_playback`](Self::report_playback); output: the
/// events, in order, none dropped. Dropping the handle closes the session.
pub struct VoiceHandle {
    transport: String,
    session: VoiceSession,
    memory: Option<Arc<SessionMemory>>,
}

impl VoiceHandle {
    /// Connects (Realtime) or starts (text) a session whose model calls `tools`.
    /// With tools from [`MemoryHandle::tools`](crate::MemoryHandle::tools) naming a session,
    /// the conversation is saved as it goes and a resumed one is replayed first.
    pub async fn start(tools: &ToolsHandle, options: VoiceOptions) -> Result<Self, BindingError> {
        let memory = tools.memory();
        let history = memory.as_ref().map(|m| m.history()).unwrap_or_default();
        let config = options.voice_config(history)?;
        let session = config.start(tools.registry(), tools.session()).await?;
        Ok(Self {
            transport: config.transport_kind().as_str().to_string(),
            session,
            memory,
        })
    }

    /// `"openai-realtime"` or `"text"`.
    pub fn transport(&self) -> &str {
        &self.transport
    }

    /// Waits for the next event and returns it with every further event already available, up
    /// to `max` (at least 1). Empty once the session has ended and every event was read.
    pub async fn next_events(&self, max: usize) -> Vec<VoiceEvent> {
        let mut batch = Vec::new();
        if let Some(first) = self.session.next_event().await {
            batch.push(first);
            while batch.len() < max.max(1) {
                match self.session.next_event().now_or_never() {
                    Some(Some(event)) => batch.push(event),
                    _ => break,
                }
            }
        }
        if let Some(memory) = &self.memory {
            for event in &batch {
                // A store that fails mid-conversation must not end the conversation.
                if let Err(e) = memory.observe(event).await {
                    tracing::warn!(error = %e, "could not save the conversation turn");
                }
            }
        }
        batch
    }

    /// [`VoiceHandle::next_events`] as a JSON array (each event an object tagged by `type`;
    /// audio as base64), or `None` once the session is over.
    pub async fn next_batch_json(&self, max: usize) -> Option<String> {
        let batch = self.next_events(max).await;
        (!batch.is_empty()).then(|| serde_json::to_string(&batch).expect("voice events serialize"))
    }

    /// Sends a typed user message; the model replies.
    pub fn send_text(&self, text: &str) -> Result<(), BindingError> {
        Ok(self.session.send_text(text)?)
    }

    /// Sends audio in the session's input format (PCM16 24 kHz mono by default).
    pub fn send_audio(&self, audio: Vec<u8>) -> Result<(), BindingError> {
        Ok(self.session.send_audio(audio)?)
    }

    /// Ends the user's spoken turn (only with turn detection `none`).
    pub fn commit_audio(&self) -> Result<(), BindingError> {
        Ok(self.session.commit_audio()?)
    }

    /// Reports how much of assistant item `item_id` the user has heard, so a barge-in
    /// truncates the model's memory of its reply there.
    pub fn report_playback(&self, item_id: &str, played_ms: u64) -> Result<(), BindingError> {
        Ok(self.session.report_playback(item_id, played_ms)?)
    }

    /// Ends the session; events already produced can still be read.
    pub fn close(&self) {
        self.session.close();
    }

    /// Token usage, time to first audio, rate limits so far.
    pub fn metrics(&self) -> SessionMetrics {
        self.session.metrics()
    }
}

impl Drop for VoiceHandle {
    fn drop(&mut self) {
        self.session.close();
    }
}

impl std::fmt::Debug for VoiceHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoiceHandle")
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::workspace;
    use crate::tools::ToolsOptions;
    use crate::workspace::WorkspaceHandle;

    fn tools(dir: &tempfile::TempDir) -> ToolsHandle {
        let ws = WorkspaceHandle::open(Some(dir.path().to_str().unwrap())).unwrap();
        ToolsHandle::new(ToolsOptions {
            workspace: Some(ws),
            ..ToolsOptions::default()
        })
        .unwrap()
    }

    async fn events_until_reply(voice: &VoiceHandle) -> Vec<Value> {
        let mut seen = Vec::new();
        while let Some(batch) = voice.next_batch_json(16).await {
            let batch: Vec<Value> = serde_json::from_str(&batch).unwrap();
            let done = batch.iter().any(|e| e["type"] == "response_done");
            seen.extend(batch);
            if done {
                break;
            }
        }
        seen
    }

    #[tokio::test]
    async fn the_text_transport_calls_tools_and_replies() {
        let dir = workspace();
        let voice = VoiceHandle::start(
            &tools(&dir),
            VoiceOptions {
                transport: Some("text".into()),
                ..VoiceOptions::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(voice.transport(), "text");
        voice
            .send_text("what is the impact of a change to api?")
            .unwrap();
        let events = events_until_reply(&voice).await;
        let types: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
        assert!(types.contains(&"tool_call_started"), "{types:?}");
        let result = events
            .iter()
            .find(|e| e["type"] == "tool_call_finished")
            .expect("a tool result");
        assert!(result.to_string().contains("app"), "{result}");
        voice.close();
    }

    #[test]
    fn debug_output_never_shows_the_api_key() {
        let options = VoiceOptions {
            api_key: Some("sk-secret-123".into()),
            ..VoiceOptions::default()
        };
        let text = format!("{options:?}");
        assert!(
            !text.contains("sk-secret-123") && text.contains("<redacted>"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn bad_options_and_missing_keys_are_clear_errors() {
        let dir = workspace();
        let tools = tools(&dir);
        let start = |options| VoiceHandle::start(&tools, options);
        let err = start(VoiceOptions {
            transport: Some("phone".into()),
            ..VoiceOptions::default()
        })
        .await
        .unwrap_err();
        assert!(
            err.message.contains("unknown voice transport"),
            "{}",
            err.message
        );
        let err = start(VoiceOptions {
            transport: Some("text".into()),
            audio_format: Some("mp3".into()),
            ..VoiceOptions::default()
        })
        .await
        .unwrap_err();
        assert!(
            err.message.contains("pcm16, pcmu or pcma"),
            "{}",
            err.message
        );
        let err = start(VoiceOptions {
            transport: Some("text".into()),
            config_json: Some(r#"{"voice": 3}"#.into()),
            ..VoiceOptions::default()
        })
        .await
        .unwrap_err();
        assert!(err.message.contains("config_json"), "{}", err.message);
    }
}
