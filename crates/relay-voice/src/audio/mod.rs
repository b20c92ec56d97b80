//! Audio utilities: PCM16 conversion, resampling to 24 kHz mono, G.711, WAV files, framing.

mod frame;
mod g711;
mod pcm;
mod resample;
mod wav;

pub use frame::{frame_bytes, frames};
pub use g711::{alaw_decode, alaw_encode, mulaw_decode, mulaw_encode};
pub use pcm::{pcm16_from_bytes, pcm16_to_bytes, rms};
pub use resample::{resample_to_24k_mono, to_mono};
pub use wav::{Wav, parse_wav, read_wav, wav_bytes_pcm16, write_wav_pcm16};

/// Encodes 24 kHz mono PCM16 samples into `format`, resampling to 8 kHz for G.711.
pub fn encode_for(format: relay_core::voice::AudioFormat, samples_24k: &[i16]) -> Vec<u8> {
    use relay_core::voice::AudioFormat;
    match format {
        AudioFormat::Pcm16 => pcm16_to_bytes(samples_24k),
        AudioFormat::Pcmu => mulaw_encode(&resample::resample(samples_24k, 24_000, 8_000)),
        AudioFormat::Pcma => alaw_encode(&resample::resample(samples_24k, 24_000, 8_000)),
    }
}

/// Decodes audio in `format` into 24 kHz mono PCM16 samples.
pub fn decode_from(format: relay_core::voice::AudioFormat, bytes: &[u8]) -> Vec<i16> {
    use relay_core::voice::AudioFormat;
    match format {
        AudioFormat::Pcm16 => pcm16_from_bytes(bytes),
        AudioFormat::Pcmu => resample::resample(&mulaw_decode(bytes), 8_000, 24_000),
        AudioFormat::Pcma => resample::resample(&alaw_decode(bytes), 8_000, 24_000),
    }
}

#[cfg(test)]
mod tests;
