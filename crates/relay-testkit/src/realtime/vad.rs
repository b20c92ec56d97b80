//! Voice activity detection from input audio energy, in 10 ms windows.

/// What one window changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VadEvent {
    /// Speech began at this position (ms from the start of the session's input audio).
    Started(u64),
    /// Speech ended at this position.
    Stopped(u64),
}

/// Energy-based VAD state.
#[derive(Debug, Default)]
pub struct Vad {
    /// Total input audio seen, ms.
    pub position_ms: u64,
    speaking: bool,
    silence_ms: u64,
    pending: Vec<i16>,
}

impl Vad {
    /// Feeds 24 kHz PCM16 samples; returns the transitions.
    pub fn feed(
        &mut self,
        samples: &[i16],
        energy_threshold: f32,
        prefix_padding_ms: u64,
        silence_duration_ms: u64,
    ) -> Vec<VadEvent> {
        const WINDOW: usize = 240; // 10 ms at 24 kHz
        self.pending.extend_from_slice(samples);
        let mut events = Vec::new();
        let mut offset = 0;
        while self.pending.len() - offset >= WINDOW {
            let window = &self.pending[offset..offset + WINDOW];
            offset += WINDOW;
            self.position_ms += 10;
            let loud = rms(window) >= energy_threshold;
            if loud {
                self.silence_ms = 0;
                if !self.speaking {
                    self.speaking = true;
                    let start = (self.position_ms - 10).saturating_sub(prefix_padding_ms);
                    events.push(VadEvent::Started(start));
                }
            } else if self.speaking {
                self.silence_ms += 10;
                if self.silence_ms >= silence_duration_ms {
                    self.speaking = false;
                    self.silence_ms = 0;
                    events.push(VadEvent::Stopped(self.position_ms));
                }
            }
        }
        self.pending.drain(..offset);
        events
    }
}

fn rms(samples: &[i16]) -> f32 {
    let sum: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    ((sum / samples.len().max(1) as f64).sqrt() / 32768.0) as f32
}

/// Decodes one G.711 μ-law code to linear PCM (the server needs levels, not fidelity).
pub fn mulaw_level(code: u8) -> i16 {
    let u = !code;
    let exponent = i32::from((u >> 4) & 7);
    let mantissa = i32::from(u & 0x0F);
    let mag = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    if u & 0x80 != 0 {
        -mag as i16
    } else {
        mag as i16
    }
}

/// Decodes one G.711 A-law code to linear PCM.
pub fn alaw_level(code: u8) -> i16 {
    let a = code ^ 0x55;
    let seg = i32::from((a & 0x70) >> 4);
    let mut t = i32::from(a & 0x0F) << 4;
    t += if seg == 0 { 8 } else { 0x108 };
    if seg > 1 {
        t <<= seg - 1;
    }
    if a & 0x80 != 0 { t as i16 } else { -t as i16 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_speech_and_silence_with_padding() {
        let mut vad = Vad::default();
        let silence = vec![0i16; 240 * 50]; // 500 ms
        let loud = vec![8000i16; 240 * 30]; // 300 ms
        assert!(vad.feed(&silence, 0.02, 300, 200).is_empty());
        assert_eq!(
            vad.feed(&loud, 0.02, 300, 200),
            vec![VadEvent::Started(200)]
        );
        assert_eq!(
            vad.feed(&silence, 0.02, 300, 200),
            vec![VadEvent::Stopped(1000)]
        );
    }
}
