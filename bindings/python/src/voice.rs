//! `relay.VoiceSession`: a voice conversation (OpenAI Realtime, or the offline text transport)
//! whose model calls a `relay.Tools` registry. Async-iterable over its events (dicts).

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use relay_bindings_common::{DEFAULT_BATCH, VoiceHandle, VoiceOptions};

use crate::errors::to_py_err;
use crate::tools::PyTools;
use crate::workspace::value_to_py;
use crate::{aio, json};

/// A running voice session. Start one with `await VoiceSession.start(tools, ...)`.
#[pyclass(module = "relay", name = "VoiceSession", frozen)]
pub struct PyVoiceSession {
    inner: Arc<VoiceHandle>,
    pending: aio::Pending,
}

#[pymethods]
impl PyVoiceSession {
    /// Coroutine: connects (transport "realtime": OpenAI Realtime at `url`, key `api_key` or
    /// OPENAI_API_KEY) or starts (transport "text": typed utterances, no model) a session
    /// whose model calls `tools`. Default transport: realtime when a URL or key is available.
    /// `config` is a dict of further session settings laid over the others.
    #[staticmethod]
    #[pyo3(signature = (
        tools, *, transport = None, url = None, model = None, api_key = None,
        instructions = None, voice = None, audio_format = None, output_audio = None,
        turn_detection = None, config = None
    ))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn start<'py>(
        py: Python<'py>,
        tools: PyRef<'py, PyTools>,
        transport: Option<String>,
        url: Option<String>,
        model: Option<String>,
        api_key: Option<String>,
        instructions: Option<String>,
        voice: Option<String>,
        audio_format: Option<String>,
        output_audio: Option<bool>,
        turn_detection: Option<String>,
        config: Option<Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = VoiceOptions {
            transport,
            url,
            model,
            api_key,
            instructions,
            voice,
            audio_format,
            output_audio,
            turn_detection,
            config_json: config.map(|c| json::dumps(c.as_any())).transpose()?,
        };
        let tools = tools.handle().clone();
        aio::coroutine(py, async move {
            let handle = VoiceHandle::start(&tools, options).await?;
            Ok(PyVoiceSession {
                inner: Arc::new(handle),
                pending: aio::Pending::default(),
            })
        })
    }

    /// "openai-realtime" or "text".
    #[getter]
    fn transport(&self) -> &str {
        self.inner.transport()
    }

    /// Coroutine: the next events (a list of dicts, at most `max`; assistant audio as bytes),
    /// or None once the session has ended and every event was read. `async for` uses this.
    #[pyo3(signature = (max = DEFAULT_BATCH))]
    fn next_batch<'py>(&self, py: Python<'py>, max: usize) -> PyResult<Bound<'py, PyAny>> {
        if let Some(held) = self.pending.take(py)? {
            return aio::ready(py, held);
        }
        let inner = Arc::clone(&self.inner);
        aio::voice_batch_coroutine(py, async move {
            Ok(inner
                .next_batch_json(max)
                .await
                .unwrap_or_else(|| "null".to_owned()))
        })
    }

    /// Events fetched by an `async for` that was left early (see `aio::Pending`).
    fn _pending(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.pending.deque(py)
    }

    /// Iterates over the events until the session ends (a `closed` event is the last).
    fn __aiter__<'py>(slf: Py<Self>, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        aio::iterate(py, slf.into_any())
    }

    /// Sends a typed user message; the model replies.
    fn send_text(&self, text: &str) -> PyResult<()> {
        self.inner.send_text(text).map_err(to_py_err)
    }

    /// Sends audio in the session's input format (PCM16 24 kHz mono little-endian by default).
    fn send_audio(&self, audio: std::borrow::Cow<'_, [u8]>) -> PyResult<()> {
        self.inner.send_audio(audio.into_owned()).map_err(to_py_err)
    }

    /// Ends the user's spoken turn (only with turn_detection="none").
    fn commit_audio(&self) -> PyResult<()> {
        self.inner.commit_audio().map_err(to_py_err)
    }

    /// Reports how much of assistant item `item_id` the user has heard, so that a barge-in
    /// truncates the model's memory of its reply there.
    fn report_playback(&self, item_id: &str, played_ms: u64) -> PyResult<()> {
        self.inner
            .report_playback(item_id, played_ms)
            .map_err(to_py_err)
    }

    /// Ends the session; events already produced can still be read (the last is `closed`).
    fn close(&self) {
        self.inner.close();
    }

    /// Token usage, responses, time to first audio, rate limits, reconnects, tool calls and
    /// audio bytes so far.
    fn metrics(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        value_to_py(py, &self.inner.metrics())
    }

    fn __aenter__<'py>(slf: Py<Self>, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        aio::coroutine(py, async move { Ok(slf) })
    }

    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _exc_type: Bound<'py, PyAny>,
        _exc: Bound<'py, PyAny>,
        _traceback: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.inner.close();
        aio::coroutine(py, async move { Ok(false) })
    }

    fn __repr__(&self) -> String {
        format!(
            "<relay.VoiceSession transport='{}'>",
            self.inner.transport()
        )
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyVoiceSession>()
}
