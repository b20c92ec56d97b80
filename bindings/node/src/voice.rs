//! `VoiceSession`: a conversation with the OpenAI Realtime API (or the offline text transport)
//! whose model calls a `Tools` registry. `for await (const event of session)` reads its events.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use relay_bindings_common::{DEFAULT_BATCH, VoiceHandle, VoiceOptions, to_json};

use crate::convert::{js_error, next_batch_promise, parse_json, spawn_with};
use crate::tools::Tools;

/// Options of `VoiceSession.start`; everything is optional.
#[napi(object)]
pub struct VoiceStartOptions {
    /// `realtime` (OpenAI Realtime) or `text` (offline: typed utterances, no model). Default:
    /// `realtime` when `url` or an API key is available, else `text`.
    pub transport: Option<String>,
    /// Realtime WebSocket URL (a proxy, Azure, a test server). Default: OpenAI.
    pub url: Option<String>,
    /// Realtime model (default `gpt-realtime`).
    pub model: Option<String>,
    /// API key from the app; else `OPENAI_API_KEY`. Never logged.
    pub api_key: Option<String>,
    /// System instructions.
    pub instructions: Option<String>,
    /// Voice name, e.g. `marin`.
    pub voice: Option<String>,
    /// `pcm16` (24 kHz, default), `pcmu` or `pcma` (8 kHz G.711), both directions.
    pub audio_format: Option<String>,
    /// Whether replies carry audio (default true).
    pub output_audio: Option<bool>,
    /// `server_vad` (default), `semantic_vad` or `none` (then call `commitAudio()`).
    pub turn_detection: Option<String>,
    /// Further session configuration fields as a JSON object text, laid over the above.
    pub config_json: Option<String>,
}

/// A running voice session. Send with `sendText`, `sendAudio`, `commitAudio`; tell it what the
/// user heard with `reportPlayback`; read events with `for await`; end it with `close()`.
#[napi]
pub struct VoiceSession {
    inner: Arc<VoiceHandle>,
}

#[napi]
impl VoiceSession {
    /// Connects (Realtime) or starts (text) a session whose model calls `tools`. Rejects with
    /// kind `voice` (e.g. code `auth`, `connect`) or `usage` on bad options.
    #[napi(ts_return_type = "Promise<VoiceSession>")]
    pub fn start<'env>(
        env: &'env Env,
        tools: &Tools,
        options: Option<VoiceStartOptions>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let tools = tools.inner.clone();
        let options = options.map_or_else(VoiceOptions::default, |o| VoiceOptions {
            transport: o.transport,
            url: o.url,
            model: o.model,
            api_key: o.api_key,
            instructions: o.instructions,
            voice: o.voice,
            audio_format: o.audio_format,
            output_audio: o.output_audio,
            turn_detection: o.turn_detection,
            config_json: o.config_json,
        });
        spawn_with(
            env,
            async move { VoiceHandle::start(&tools, options).await },
            |env, started| match started {
                Ok(handle) => {
                    let session = VoiceSession {
                        inner: Arc::new(handle),
                    };
                    // SAFETY: this callback runs on the JavaScript thread with its live `env`.
                    let raw = unsafe { VoiceSession::to_napi_value(env.raw(), session)? };
                    // SAFETY: `raw` was just made in `env`; `Unknown` assumes no type.
                    Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), raw) })
                }
                Err(e) => Err(js_error(env, e)),
            },
        )
    }

    /// `openai-realtime` or `text`.
    #[napi(getter)]
    pub fn transport(&self) -> String {
        self.inner.transport().to_owned()
    }

    /// The next events (at most `max`, default 512), or `null` once the session has ended and
    /// every event was read. `for await` uses this (and turns `assistant_audio`'s base64 `audio`
    /// into a Buffer).
    #[napi(ts_return_type = "Promise<VoiceEvent[] | null>")]
    pub fn next_batch<'env>(
        &self,
        env: &'env Env,
        max: Option<u32>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = Arc::clone(&self.inner);
        let max = max.map_or(DEFAULT_BATCH, |m| m as usize);
        next_batch_promise(env, async move { inner.next_batch_json(max).await })
    }

    /// Sends a typed user message; the model replies.
    #[napi]
    pub fn send_text(&self, env: &Env, text: String) -> Result<()> {
        self.inner.send_text(&text).map_err(|e| js_error(env, e))
    }

    /// Sends audio in the session's input format (PCM16 24 kHz mono by default).
    #[napi]
    pub fn send_audio(&self, env: &Env, audio: Buffer) -> Result<()> {
        self.inner
            .send_audio(audio.to_vec())
            .map_err(|e| js_error(env, e))
    }

    /// Ends the user's spoken turn (only with turn detection `none`).
    #[napi]
    pub fn commit_audio(&self, env: &Env) -> Result<()> {
        self.inner.commit_audio().map_err(|e| js_error(env, e))
    }

    /// Reports how much of assistant item `itemId` the user has heard (ms), so that a barge-in
    /// truncates the model's memory of its reply there.
    #[napi]
    pub fn report_playback(&self, env: &Env, item_id: String, played_ms: u32) -> Result<()> {
        self.inner
            .report_playback(&item_id, u64::from(played_ms))
            .map_err(|e| js_error(env, e))
    }

    /// Ends the session; events already produced can still be read, the last is `closed`.
    #[napi]
    pub fn close(&self) {
        self.inner.close();
    }

    /// Token usage, responses, time to first audio, tool calls, audio bytes so far.
    #[napi(ts_return_type = "VoiceMetrics")]
    pub fn metrics<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        parse_json(env, to_json(&self.inner.metrics()))
    }
}
