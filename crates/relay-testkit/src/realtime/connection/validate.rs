//! What the GA service refuses in a `session.update` (and in a response's options): beta-era
//! fields, unknown keys at any level Relay's peers know, both output modalities at once, audio
//! formats other than 24 kHz `audio/pcm`, `audio/pcmu` and `audio/pcma`, tools without a `type`
//! and function tools whose `parameters` are not a valid JSON Schema. Keys the service accepts
//! but the fake ignores (`tracing`, `prompt`, ...) pass.

use serde_json::{Map, Value};

use super::conn::Rejection;

/// Session fields of the beta protocol that the GA service rejects.
const BETA_FIELDS: &[&str] = &[
    "modalities",
    "input_audio_format",
    "output_audio_format",
    "input_audio_transcription",
    "turn_detection",
    "voice",
    "input_audio_noise_reduction",
    "max_response_output_tokens",
];

/// Keys of the GA session object (`id`, `object` and `expires_at` are the server's, echoed
/// back harmlessly by clients that resend the session they were given).
const SESSION_KEYS: &[&str] = &[
    "type",
    "model",
    "output_modalities",
    "instructions",
    "audio",
    "include",
    "tracing",
    "tools",
    "tool_choice",
    "max_output_tokens",
    "truncation",
    "prompt",
    "parallel_tool_calls",
    "reasoning",
    "id",
    "object",
    "expires_at",
];

const AUDIO_KEYS: &[&str] = &["input", "output"];
const INPUT_KEYS: &[&str] = &[
    "format",
    "transcription",
    "noise_reduction",
    "turn_detection",
];
const OUTPUT_KEYS: &[&str] = &["format", "voice", "speed"];
const TRANSCRIPTION_KEYS: &[&str] = &["model", "language", "prompt"];
const SERVER_VAD_KEYS: &[&str] = &[
    "type",
    "threshold",
    "prefix_padding_ms",
    "silence_duration_ms",
    "idle_timeout_ms",
    "create_response",
    "interrupt_response",
];
const SEMANTIC_VAD_KEYS: &[&str] = &["type", "eagerness", "create_response", "interrupt_response"];
const FUNCTION_TOOL_KEYS: &[&str] = &["type", "name", "description", "parameters"];

/// Checks a `session.update` patch; `Err` is what the service answers.
pub(super) fn session_patch(patch: &Map<String, Value>) -> Result<(), Rejection> {
    if let Some(beta) = BETA_FIELDS.iter().find(|f| patch.contains_key(**f)) {
        return Err(Rejection::unknown(&format!("session.{beta}")));
    }
    match patch.get("type").and_then(Value::as_str) {
        Some("realtime") => {}
        Some(other) => {
            return Err(Rejection::invalid(
                "session.type",
                format!(
                    "Invalid value: '{other}'. This endpoint supports session.type 'realtime'."
                ),
            ));
        }
        None => return Err(Rejection::missing("session.type")),
    }
    known_keys(patch, SESSION_KEYS, "session")?;
    if let Some(m) = patch.get("output_modalities") {
        output_modalities(m, "session.output_modalities")?;
    }
    if let Some(audio) = patch.get("audio") {
        audio_config(audio)?;
    }
    if let Some(tools) = patch.get("tools") {
        tool_list(tools)?;
    }
    Ok(())
}

/// Checks the options of a `response.create` the fake acts on.
pub(super) fn response_options(opts: &Value) -> Result<(), Rejection> {
    match opts.get("output_modalities") {
        Some(m) => output_modalities(m, "response.output_modalities"),
        None => Ok(()),
    }
}

fn known_keys(map: &Map<String, Value>, allowed: &[&str], path: &str) -> Result<(), Rejection> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(Rejection::unknown(&format!("{path}.{k}"))),
        None => Ok(()),
    }
}

/// An object, or `null` when `nullable`; `Ok(None)` for `null`.
fn object<'a>(
    v: &'a Value,
    path: &str,
    nullable: bool,
) -> Result<Option<&'a Map<String, Value>>, Rejection> {
    match v {
        Value::Object(m) => Ok(Some(m)),
        Value::Null if nullable => Ok(None),
        other => Err(Rejection::invalid(
            path,
            format!(
                "Invalid type for '{path}': expected an object, but got {}.",
                kind(other)
            ),
        )),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn output_modalities(v: &Value, path: &str) -> Result<(), Rejection> {
    let Some(list) = v.as_array() else {
        return Err(Rejection::invalid(
            path,
            format!(
                "Invalid type for '{path}': expected an array, but got {}.",
                kind(v)
            ),
        ));
    };
    for m in list {
        if !matches!(m.as_str(), Some("audio" | "text")) {
            return Err(Rejection::invalid(
                path,
                format!("Invalid value: {m}. Supported values are: 'audio' and 'text'."),
            ));
        }
    }
    if list.iter().any(|m| m == "audio") && list.iter().any(|m| m == "text") {
        return Err(Rejection::invalid(
            path,
            format!(
                "Invalid '{path}': ['audio', 'text'] is not supported. Use ['audio'] (audio with a transcript) or ['text']."
            ),
        ));
    }
    Ok(())
}

fn audio_config(audio: &Value) -> Result<(), Rejection> {
    let Some(audio) = object(audio, "session.audio", false)? else {
        return Ok(());
    };
    known_keys(audio, AUDIO_KEYS, "session.audio")?;
    if let Some(input) = audio.get("input")
        && let Some(input) = object(input, "session.audio.input", false)?
    {
        known_keys(input, INPUT_KEYS, "session.audio.input")?;
        if let Some(f) = input.get("format") {
            format(f, "session.audio.input.format")?;
        }
        if let Some(t) = input.get("transcription")
            && let Some(t) = object(t, "session.audio.input.transcription", true)?
        {
            known_keys(t, TRANSCRIPTION_KEYS, "session.audio.input.transcription")?;
        }
        if let Some(n) = input.get("noise_reduction")
            && let Some(n) = object(n, "session.audio.input.noise_reduction", true)?
        {
            known_keys(n, &["type"], "session.audio.input.noise_reduction")?;
        }
        if let Some(td) = input.get("turn_detection") {
            turn_detection(td)?;
        }
    }
    if let Some(output) = audio.get("output")
        && let Some(output) = object(output, "session.audio.output", false)?
    {
        known_keys(output, OUTPUT_KEYS, "session.audio.output")?;
        if let Some(f) = output.get("format") {
            format(f, "session.audio.output.format")?;
        }
    }
    Ok(())
}

fn format(f: &Value, path: &str) -> Result<(), Rejection> {
    let Some(f) = object(f, path, false)? else {
        return Ok(());
    };
    known_keys(f, &["type", "rate"], path)?;
    let type_path = format!("{path}.type");
    match f.get("type").and_then(Value::as_str) {
        Some("audio/pcm") => match f.get("rate") {
            None => Ok(()),
            Some(r) if r.as_u64() == Some(24_000) => Ok(()),
            Some(r) => Err(Rejection::invalid(
                &format!("{path}.rate"),
                format!("Invalid value: {r}. The supported rate for 'audio/pcm' is 24000."),
            )),
        },
        Some("audio/pcmu" | "audio/pcma") => Ok(()),
        Some(other) => Err(Rejection::invalid(
            &type_path,
            format!(
                "Invalid value: '{other}'. Supported values are: 'audio/pcm', 'audio/pcmu', and 'audio/pcma'."
            ),
        )),
        None => Err(Rejection::missing(&type_path)),
    }
}

fn turn_detection(td: &Value) -> Result<(), Rejection> {
    let path = "session.audio.input.turn_detection";
    let Some(td) = object(td, path, true)? else {
        return Ok(());
    };
    let keys = match td.get("type").and_then(Value::as_str) {
        Some("server_vad") => SERVER_VAD_KEYS,
        Some("semantic_vad") => SEMANTIC_VAD_KEYS,
        Some(other) => {
            return Err(Rejection::invalid(
                &format!("{path}.type"),
                format!(
                    "Invalid value: '{other}'. Supported values are: 'server_vad' and 'semantic_vad'."
                ),
            ));
        }
        None => return Err(Rejection::missing(&format!("{path}.type"))),
    };
    known_keys(td, keys, path)
}

fn tool_list(tools: &Value) -> Result<(), Rejection> {
    let Some(list) = tools.as_array() else {
        return Err(Rejection::invalid(
            "session.tools",
            format!(
                "Invalid type for 'session.tools': expected an array, but got {}.",
                kind(tools)
            ),
        ));
    };
    for (i, tool) in list.iter().enumerate() {
        let path = format!("session.tools[{i}]");
        let Some(tool) = object(tool, &path, false)? else {
            continue;
        };
        match tool.get("type").and_then(Value::as_str) {
            None => return Err(Rejection::missing(&format!("{path}.type"))),
            Some("function") => {
                known_keys(tool, FUNCTION_TOOL_KEYS, &path)?;
                let Some(name) = tool.get("name").and_then(Value::as_str) else {
                    return Err(Rejection::missing(&format!("{path}.name")));
                };
                if let Some(params) = tool.get("parameters")
                    && let Err(why) = super::schema::check_parameters(params)
                {
                    return Err(Rejection {
                        code: "invalid_function_parameters",
                        message: format!("Invalid schema for function '{name}': {why}"),
                        param: Some(format!("{path}.parameters")),
                    });
                }
            }
            Some("mcp") => {}
            Some(other) => {
                return Err(Rejection::invalid(
                    &format!("{path}.type"),
                    format!(
                        "Invalid value: '{other}'. Supported values are: 'function' and 'mcp'."
                    ),
                ));
            }
        }
    }
    Ok(())
}
