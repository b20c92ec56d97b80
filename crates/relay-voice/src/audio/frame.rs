use relay_core::voice::AudioFormat;

/// Bytes in one frame of `ms` milliseconds of `format` audio.
pub fn frame_bytes(format: AudioFormat, ms: u32) -> usize {
    (format.bytes_per_ms() * ms) as usize
}

/// Splits encoded audio into frames of `ms` milliseconds; the last frame may be shorter.
pub fn frames(bytes: &[u8], format: AudioFormat, ms: u32) -> impl Iterator<Item = &[u8]> {
    bytes.chunks(frame_bytes(format, ms).max(1))
}
