/// Averages interleaved `channels` into one channel.
pub fn to_mono(samples: &[i16], channels: u16) -> Vec<i16> {
    let ch = usize::from(channels.max(1));
    if ch == 1 {
        return samples.to_vec();
    }
    samples
        .chunks_exact(ch)
        .map(|frame| (frame.iter().map(|&s| i32::from(s)).sum::<i32>() / ch as i32) as i16)
        .collect()
}

/// Resamples mono samples from `from_hz` to `to_hz` by linear interpolation.
///
/// Linear interpolation is enough for speech going to a speech model; it keeps the output length
/// exactly `len * to / from` (rounded) so durations stay consistent for truncation arithmetic.
pub fn resample(samples: &[i16], from_hz: u32, to_hz: u32) -> Vec<i16> {
    if from_hz == to_hz || samples.is_empty() || from_hz == 0 {
        return samples.to_vec();
    }
    let out_len = (samples.len() as u64 * u64::from(to_hz) / u64::from(from_hz)) as usize;
    let step = f64::from(from_hz) / f64::from(to_hz);
    (0..out_len)
        .map(|i| {
            let pos = i as f64 * step;
            let idx = pos.floor() as usize;
            let frac = pos - idx as f64;
            let a = f64::from(samples[idx.min(samples.len() - 1)]);
            let b = f64::from(samples[(idx + 1).min(samples.len() - 1)]);
            (a + (b - a) * frac).round() as i16
        })
        .collect()
}

/// Converts interleaved audio at any rate and channel count to 24 kHz mono.
pub fn resample_to_24k_mono(samples: &[i16], sample_rate: u32, channels: u16) -> Vec<i16> {
    resample(&to_mono(samples, channels), sample_rate, 24_000)
}
