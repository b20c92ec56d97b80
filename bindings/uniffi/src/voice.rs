//! `VoiceSession`: a conversation (OpenAI Realtime or the offline text transport) whose model
//! acts through a `Tools` registry. Events are awaited in batches (`nextEvents`) or pushed to a
//! listener with a cancellable `TaskHandle`, like a job's.

use std::sync::Arc;

use relay::core::voice::{SessionMetrics, VoiceEvent as CoreEvent};
use relay_bindings_common::{DEFAULT_BATCH, VoiceHandle, VoiceOptions as CommonOptions};

use crate::error::RelayError;
use crate::job::TaskHandle;
use crate::runtime;
use crate::tools::Tools;

/// How to hold the conversation; every field is optional (`VoiceOptions()` is the text
/// transport unless an API key or `url` is given). The API key is a parameter of
/// `VoiceSession.start`, not a field: records print every field in `toString()`.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct VoiceOptions {
    /// `"realtime"` (OpenAI Realtime) or `"text"` (offline: typed utterances, no model).
    /// Default: `realtime` when `url` or an API key is available, else `text`.
    #[uniffi(default = None)]
    pub transport: Option<String>,
    /// Realtime WebSocket URL (a proxy, Azure, a test server). Default: OpenAI.
    #[uniffi(default = None)]
    pub url: Option<String>,
    /// Realtime model. Default: `gpt-realtime`.
    #[uniffi(default = None)]
    pub model: Option<String>,
    /// System instructions.
    #[uniffi(default = None)]
    pub instructions: Option<String>,
    /// Voice name, e.g. `marin`.
    #[uniffi(default = None)]
    pub voice: Option<String>,
    /// Audio encoding in both directions: `pcm16` (24 kHz), `pcmu` or `pcma` (8 kHz G.711).
    #[uniffi(default = None)]
    pub audio_format: Option<String>,
    /// Whether replies carry audio (default true); false for text-only replies.
    #[uniffi(default = None)]
    pub output_audio: Option<bool>,
    /// `server_vad` (default), `semantic_vad`, or `none` (then call `commitAudio`).
    #[uniffi(default = None)]
    pub turn_detection: Option<String>,
    /// Any further session configuration fields as a JSON object, laid over the above.
    #[uniffi(default = None)]
    pub config_json: Option<String>,
}

/// One event of a voice session.
#[derive(Debug, Clone, uniffi::Record)]
pub struct VoiceEvent {
    /// The event's `type`: `session_started`, `user_transcript`, `assistant_text_delta`,
    /// `assistant_text`, `assistant_audio`, `tool_call_started`, `tool_progress`,
    /// `tool_call_finished`, `interrupted`, `response_done`, `error`, `closed`, ...
    pub kind: String,
    /// The whole event as a JSON object (the same object Python and Node receive; audio is
    /// base64 there).
    pub json: String,
    /// For `assistant_audio`: the audio bytes in the session's output format.
    pub audio: Option<Vec<u8>>,
}

impl From<CoreEvent> for VoiceEvent {
    fn from(event: CoreEvent) -> Self {
        let value = serde_json::to_value(&event).expect("voice events always serialize");
        let kind = value["type"].as_str().unwrap_or_default().to_owned();
        let json = value.to_string();
        let audio = match event {
            CoreEvent::AssistantAudio { audio, .. } => Some(audio),
            _ => None,
        };
        VoiceEvent { kind, json, audio }
    }
}

/// One rate limit reported by the service.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RateLimit {
    /// `requests` or `tokens`.
    pub name: String,
    /// The limit.
    pub limit: u64,
    /// What is left.
    pub remaining: u64,
    /// Seconds until it resets.
    pub reset_seconds: f64,
}

/// Measurements of a session so far.
#[derive(Debug, Clone, uniffi::Record)]
pub struct VoiceMetrics {
    /// Input tokens over all responses.
    pub input_tokens: u64,
    /// Output tokens over all responses.
    pub output_tokens: u64,
    /// Total tokens over all responses.
    pub total_tokens: u64,
    /// Responses completed (any status).
    pub responses: u64,
    /// From the last request for a response (or end of user speech) to its first audio, ms.
    pub last_time_to_first_audio_ms: Option<u64>,
    /// Latest rate limits.
    pub rate_limits: Vec<RateLimit>,
    /// Reconnects performed.
    pub reconnects: u32,
    /// Tool calls answered.
    pub tool_calls: u64,
    /// Audio bytes sent.
    pub audio_bytes_in: u64,
    /// Audio bytes received.
    pub audio_bytes_out: u64,
}

impl From<SessionMetrics> for VoiceMetrics {
    fn from(m: SessionMetrics) -> Self {
        VoiceMetrics {
            input_tokens: m.usage.input_tokens,
            output_tokens: m.usage.output_tokens,
            total_tokens: m.usage.total_tokens,
            responses: m.responses,
            last_time_to_first_audio_ms: m.last_time_to_first_audio_ms,
            rate_limits: m
                .rate_limits
                .into_iter()
                .map(|r| RateLimit {
                    name: r.name,
                    limit: r.limit,
                    remaining: r.remaining,
                    reset_seconds: r.reset_seconds,
                })
                .collect(),
            reconnects: m.reconnects,
            tool_calls: m.tool_calls,
            audio_bytes_in: m.audio_bytes_in,
            audio_bytes_out: m.audio_bytes_out,
        }
    }
}

/// Receives a voice session's events, in order, on a Relay thread; the last is `closed`.
#[uniffi::export(callback_interface)]
pub trait VoiceEventListener: Send + Sync {
    /// Called once per event.
    fn on_event(&self, event: VoiceEvent);
}

/// A running conversation. `end()` (or freeing it while no listener runs) ends the session;
/// events already produced can still be read.
#[derive(uniffi::Object)]
pub struct VoiceSession {
    inner: Arc<VoiceHandle>,
}

fn batch_size(max: u32) -> usize {
    if max == 0 {
        DEFAULT_BATCH
    } else {
        max as usize
    }
}

#[uniffi::export]
impl VoiceSession {
    /// Connects (Realtime) or starts (text) a session whose model uses `tools`. `apiKey` is the
    /// OpenAI key from the app (else `OPENAI_API_KEY`); it never appears in logs or errors.
    /// Throws `Voice` (`missing_config`, `unauthorized`, `connect`, ...) or `Usage` for a bad
    /// option.
    #[uniffi::constructor(default(api_key = None))]
    pub async fn start(
        tools: Arc<Tools>,
        options: VoiceOptions,
        api_key: Option<String>,
    ) -> Result<Arc<Self>, RelayError> {
        let tools = tools.handle().clone();
        let options = CommonOptions {
            transport: options.transport,
            url: options.url,
            model: options.model,
            api_key,
            instructions: options.instructions,
            voice: options.voice,
            audio_format: options.audio_format,
            output_audio: options.output_audio,
            turn_detection: options.turn_detection,
            config_json: options.config_json,
        };
        let handle =
            runtime::run(async move { VoiceHandle::start(&tools, options).await }).await??;
        Ok(Arc::new(Self {
            inner: Arc::new(handle),
        }))
    }

    /// `"openai-realtime"` or `"text"`.
    pub fn transport(&self) -> String {
        self.inner.transport().to_owned()
    }

    /// The next events (at most `max`; 0 means 512): at least one, unless the session is over,
    /// when the list is empty. Cancelling the calling coroutine loses no event.
    pub async fn next_events(&self, max: u32) -> Result<Vec<VoiceEvent>, RelayError> {
        let inner = Arc::clone(&self.inner);
        let batch = runtime::run(async move { inner.next_events(batch_size(max)).await }).await?;
        Ok(batch.into_iter().map(Into::into).collect())
    }

    /// Delivers every event to `listener` on a Relay thread, in order, ending with `closed`.
    /// Cancelling the returned handle stops the delivery and closes the session. Read events
    /// either this way or with `nextEvents`, not both: each event goes to one reader.
    pub fn listen(&self, listener: Box<dyn VoiceEventListener>) -> Arc<TaskHandle> {
        let inner = Arc::clone(&self.inner);
        let task = runtime::spawn(async move {
            loop {
                let batch = inner.next_events(DEFAULT_BATCH).await;
                if batch.is_empty() {
                    break;
                }
                for event in batch {
                    listener.on_event(event.into());
                }
            }
        });
        let session = Arc::clone(&self.inner);
        TaskHandle::new(task.abort_handle(), move || session.close())
    }

    /// Sends a typed user message and asks for a reply.
    pub fn send_text(&self, text: String) -> Result<(), RelayError> {
        Ok(self.inner.send_text(&text)?)
    }

    /// Sends audio in the session's input format (PCM16 24 kHz mono by default).
    pub fn send_audio(&self, audio: Vec<u8>) -> Result<(), RelayError> {
        Ok(self.inner.send_audio(audio)?)
    }

    /// Ends the user's spoken turn (only needed with `turnDetection = "none"`).
    pub fn commit_audio(&self) -> Result<(), RelayError> {
        Ok(self.inner.commit_audio()?)
    }

    /// Reports how much of assistant item `itemId` the user has heard, so that an interruption
    /// cuts the reply there.
    pub fn report_playback(&self, item_id: String, played_ms: u64) -> Result<(), RelayError> {
        Ok(self.inner.report_playback(&item_id, played_ms)?)
    }

    /// Ends the session; the event stream then ends with `closed`. Idempotent. (Named `end`, not
    /// `close`: Kotlin objects already have `close()`, which frees the native object.)
    pub fn end(&self) {
        self.inner.close();
    }

    /// Measurements so far (tokens, responses, tool calls, audio bytes, rate limits).
    pub fn metrics(&self) -> VoiceMetrics {
        self.inner.metrics().into()
    }
}
