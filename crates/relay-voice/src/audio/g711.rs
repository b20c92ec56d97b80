//! ITU-T G.711 μ-law and A-law companding (8-bit codes <-> 16-bit linear PCM).

const ULAW_BIAS: i32 = 0x84;
const ULAW_CLIP: i32 = 32635;

fn linear_to_ulaw(sample: i16) -> u8 {
    let mut s = i32::from(sample);
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    s = s.min(ULAW_CLIP) + ULAW_BIAS;
    let top = ((s >> 7) & 0xFF) as u8;
    let exponent = if top == 0 {
        0
    } else {
        7 - top.leading_zeros() as i32
    };
    let mantissa = (s >> (exponent + 3)) & 0x0F;
    !((sign | (exponent << 4) | mantissa) as u8)
}

fn ulaw_to_linear(code: u8) -> i16 {
    let u = !code;
    let exponent = i32::from((u >> 4) & 0x07);
    let mantissa = i32::from(u & 0x0F);
    let magnitude = (((mantissa << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
    if u & 0x80 != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

const ALAW_SEGMENT_END: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];

fn linear_to_alaw(sample: i16) -> u8 {
    let mut p = i32::from(sample) >> 3;
    let mask = if p >= 0 {
        0xD5
    } else {
        p = -p - 1;
        0x55
    };
    let Some(seg) = ALAW_SEGMENT_END.iter().position(|&end| p <= end) else {
        return (0x7F ^ mask) as u8;
    };
    let shift = if seg < 2 { 1 } else { seg as i32 };
    let aval = ((seg as i32) << 4) | ((p >> shift) & 0x0F);
    (aval ^ mask) as u8
}

fn alaw_to_linear(code: u8) -> i16 {
    let a = code ^ 0x55;
    let mut t = i32::from(a & 0x0F) << 4;
    let seg = i32::from((a & 0x70) >> 4);
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    if a & 0x80 != 0 { t as i16 } else { -t as i16 }
}

/// Encodes PCM16 samples as μ-law bytes.
pub fn mulaw_encode(samples: &[i16]) -> Vec<u8> {
    samples.iter().map(|&s| linear_to_ulaw(s)).collect()
}

/// Decodes μ-law bytes to PCM16 samples.
pub fn mulaw_decode(codes: &[u8]) -> Vec<i16> {
    codes.iter().map(|&c| ulaw_to_linear(c)).collect()
}

/// Encodes PCM16 samples as A-law bytes.
pub fn alaw_encode(samples: &[i16]) -> Vec<u8> {
    samples.iter().map(|&s| linear_to_alaw(s)).collect()
}

/// Decodes A-law bytes to PCM16 samples.
pub fn alaw_decode(codes: &[u8]) -> Vec<i16> {
    codes.iter().map(|&c| alaw_to_linear(c)).collect()
}
