//! RIFF/WAVE reading (PCM 8/16/24/32-bit, float32, μ-law, A-law) and PCM16 writing.

use std::path::Path;

use relay_core::voice::VoiceError;

use super::{alaw_decode, mulaw_decode};

/// Decoded WAV audio as interleaved PCM16 samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wav {
    /// Sample rate, Hz.
    pub sample_rate: u32,
    /// Channel count.
    pub channels: u16,
    /// Interleaved samples.
    pub samples: Vec<i16>,
}

impl Wav {
    /// Duration in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        let frames = self.samples.len() as u64 / u64::from(self.channels.max(1));
        frames * 1000 / u64::from(self.sample_rate.max(1))
    }
}

fn bad(path: &str, what: impl std::fmt::Display) -> VoiceError {
    VoiceError::InvalidAudio(format!("{path}: {what}"))
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// Parses WAV bytes; `name` is used in error messages.
pub fn parse_wav(bytes: &[u8], name: &str) -> Result<Wav, VoiceError> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(bad(
            name,
            "not a RIFF/WAVE file (convert it with `sox in.mp3 out.wav`)",
        ));
    }
    let mut pos = 12;
    let mut fmt: Option<(u16, u16, u32, u16)> = None;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size = u32_at(bytes, pos + 4) as usize;
        let body_start = pos + 8;
        let body_end = (body_start + size).min(bytes.len());
        let body = &bytes[body_start..body_end];
        if id == b"fmt " {
            if body.len() < 16 {
                return Err(bad(name, "fmt chunk is shorter than 16 bytes"));
            }
            let mut tag = u16_at(body, 0);
            if tag == 0xFFFE && body.len() >= 26 {
                tag = u16_at(body, 24); // WAVE_FORMAT_EXTENSIBLE: sub-format GUID starts with the tag
            }
            fmt = Some((tag, u16_at(body, 2), u32_at(body, 4), u16_at(body, 14)));
        } else if id == b"data" {
            let (tag, channels, rate, bits) =
                fmt.ok_or_else(|| bad(name, "data chunk before fmt chunk"))?;
            if channels == 0 || rate == 0 {
                return Err(bad(name, "zero channels or sample rate"));
            }
            let samples = match (tag, bits) {
                (1, 16) => super::pcm16_from_bytes(body),
                (1, 8) => body.iter().map(|&b| (i16::from(b) - 128) << 8).collect(),
                (1, 24) => body
                    .chunks_exact(3)
                    .map(|c| i16::from_le_bytes([c[1], c[2]]))
                    .collect(),
                (1, 32) => body
                    .chunks_exact(4)
                    .map(|c| (i32::from_le_bytes([c[0], c[1], c[2], c[3]]) >> 16) as i16)
                    .collect(),
                (3, 32) => body
                    .chunks_exact(4)
                    .map(|c| {
                        let f = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                        (f.clamp(-1.0, 1.0) * 32767.0) as i16
                    })
                    .collect(),
                (6, 8) => alaw_decode(body),
                (7, 8) => mulaw_decode(body),
                _ => {
                    return Err(bad(
                        name,
                        format!(
                            "unsupported encoding (format tag {tag}, {bits} bits); use 16-bit PCM"
                        ),
                    ));
                }
            };
            return Ok(Wav {
                sample_rate: rate,
                channels,
                samples,
            });
        }
        pos = body_start + size + (size & 1);
    }
    Err(bad(name, "no data chunk found"))
}

/// Reads a WAV file.
pub fn read_wav(path: impl AsRef<Path>) -> Result<Wav, VoiceError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let bytes =
        std::fs::read(path).map_err(|e| VoiceError::Io(format!("cannot read {name}: {e}")))?;
    parse_wav(&bytes, &name)
}

/// Encodes PCM16 samples as WAV bytes.
pub fn wav_bytes_pcm16(samples: &[i16], sample_rate: u32, channels: u16) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * u32::from(channels) * 2).to_le_bytes());
    out.extend_from_slice(&(channels * 2).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.extend_from_slice(&super::pcm16_to_bytes(samples));
    out
}

/// Writes PCM16 samples as a WAV file, atomically (temp file then rename), so a failure never
/// leaves a half-written file behind.
pub fn write_wav_pcm16(
    path: impl AsRef<Path>,
    samples: &[i16],
    sample_rate: u32,
    channels: u16,
) -> Result<(), VoiceError> {
    let path = path.as_ref();
    let tmp = path.with_extension("wav.partial");
    let bytes = wav_bytes_pcm16(samples, sample_rate, channels);
    std::fs::write(&tmp, bytes)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            VoiceError::Io(format!("cannot write {}: {e}", path.display()))
        })
}
