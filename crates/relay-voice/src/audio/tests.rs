use super::*;
use relay_core::voice::AudioFormat;

fn sine(freq: f64, rate: u32, ms: u32, amp: f64) -> Vec<i16> {
    let n = (rate * ms / 1000) as usize;
    (0..n)
        .map(|i| {
            ((i as f64 * freq * 2.0 * std::f64::consts::PI / f64::from(rate)).sin() * amp) as i16
        })
        .collect()
}

#[test]
fn mulaw_known_codes_and_round_trip() {
    assert_eq!(mulaw_encode(&[0]), vec![0xFF]);
    assert_eq!(mulaw_decode(&[0xFF]), vec![0]);
    assert_eq!(mulaw_decode(&[0x00]), vec![-32124]);
    assert_eq!(mulaw_decode(&[0x80]), vec![32124]);
    for s in [-32768i16, -12000, -100, -1, 1, 50, 1000, 8000, 32767] {
        let back = mulaw_decode(&mulaw_encode(&[s]))[0];
        let err = (i32::from(back) - i32::from(s)).abs();
        assert!(
            err <= (i32::from(s).abs() / 16).max(8) + 132,
            "{s} -> {back}"
        );
    }
}

#[test]
fn alaw_known_codes_and_round_trip() {
    assert_eq!(alaw_encode(&[0]), vec![0xD5]);
    assert_eq!(alaw_decode(&[0xD5]), vec![8]);
    assert_eq!(alaw_decode(&[0x2A]), vec![-32256]);
    for s in [-32768i16, -12000, -100, -1, 1, 50, 1000, 8000, 32767] {
        let back = alaw_decode(&alaw_encode(&[s]))[0];
        let err = (i32::from(back) - i32::from(s)).abs();
        assert!(err <= (i32::from(s).abs() / 16).max(16), "{s} -> {back}");
    }
}

#[test]
fn resampling_keeps_duration_and_frequency() {
    let input = sine(440.0, 16_000, 1000, 10_000.0);
    let out = resample_to_24k_mono(&input, 16_000, 1);
    assert_eq!(out.len(), 24_000);
    // Count zero crossings: a 440 Hz tone crosses zero ~880 times per second at any rate.
    let crossings = out.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
    assert!((870..=890).contains(&crossings), "{crossings}");
}

#[test]
fn stereo_is_mixed_to_mono() {
    assert_eq!(to_mono(&[100, 300, -50, 50], 2), vec![200, 0]);
}

#[test]
fn wav_write_then_read_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.wav");
    let samples = sine(300.0, 24_000, 250, 8000.0);
    write_wav_pcm16(&path, &samples, 24_000, 1).unwrap();
    let wav = read_wav(&path).unwrap();
    assert_eq!(wav.sample_rate, 24_000);
    assert_eq!(wav.channels, 1);
    assert_eq!(wav.samples, samples);
    assert_eq!(wav.duration_ms(), 250);
    assert!(!dir.path().join("a.wav.partial").exists());
}

#[test]
fn wav_errors_say_what_is_wrong() {
    let err = parse_wav(b"hello", "x.wav").unwrap_err().to_string();
    assert!(err.contains("x.wav: not a RIFF/WAVE file"), "{err}");
    let mut bytes = wav_bytes_pcm16(&[1, 2], 8000, 1);
    bytes[20] = 85; // MPEG format tag
    let err = parse_wav(&bytes, "y.wav").unwrap_err().to_string();
    assert!(err.contains("unsupported encoding (format tag 85"), "{err}");
}

#[test]
fn framing_splits_into_100ms_frames() {
    let bytes = vec![0u8; 4800 * 2 + 100];
    let f: Vec<usize> = frames(&bytes, AudioFormat::Pcm16, 100)
        .map(<[u8]>::len)
        .collect();
    assert_eq!(f, vec![4800, 4800, 100]);
    assert_eq!(frame_bytes(AudioFormat::Pcmu, 20), 160);
}

#[test]
fn g711_encode_for_resamples_to_8k() {
    let samples = sine(200.0, 24_000, 100, 5000.0);
    let enc = encode_for(AudioFormat::Pcmu, &samples);
    assert_eq!(enc.len(), 800);
    let dec = decode_from(AudioFormat::Pcmu, &enc);
    assert_eq!(dec.len(), 2400);
    assert!((rms(&dec) - rms(&samples)).abs() < 0.01);
}
