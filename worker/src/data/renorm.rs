//! Per-sequence re-normalisation of the virtual experiment (paper §3.1, docs/data.md#the-virtual-experiment):
//! clip at the 0.35th / 99.65th percentiles of all pixels of all frames, then min–max to
//! [0, 1] with the minimum and maximum taken over the whole sequence, then store as 8 bits.

use super::frame::Frame;

/// Lower clipping percentile (per cent).
pub const CLIP_LOW_PERCENT: f64 = 0.35;
/// Upper clipping percentile (per cent).
pub const CLIP_HIGH_PERCENT: f64 = 99.65;

/// Percentile `p` (per cent) of `values` with numpy's default linear interpolation:
/// position p/100·(n−1) in the sorted values, interpolated between its two neighbours.
pub fn percentile(values: &[f32], p: f64) -> f32 {
    assert!(!values.is_empty(), "percentile of an empty set");
    // Two order statistics by selection (O(n)) instead of a full sort: the sequences are
    // millions of pixels.
    let mut work = values.to_vec();
    let pos = p / 100.0 * (work.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let frac = pos - lo as f64;
    let (_, &mut below, above) = work.select_nth_unstable_by(lo, f32::total_cmp);
    let next = above
        .iter()
        .copied()
        .min_by(f32::total_cmp)
        .unwrap_or(below);
    (f64::from(below) + frac * (f64::from(next) - f64::from(below))) as f32
}

/// The sequence's clipping range: its [0.35 %, 99.65 %] percentiles over all pixels of
/// all frames (`frames` must not be empty).
pub fn clip_range(frames: &[Frame]) -> (f32, f32) {
    let all: Vec<f32> = frames
        .iter()
        .flat_map(|f| f.pixels.iter().copied())
        .collect();
    (
        percentile(&all, CLIP_LOW_PERCENT),
        percentile(&all, CLIP_HIGH_PERCENT),
    )
}

/// Clips `frames` to the sequence's [0.35 %, 99.65 %] percentiles and maps the clipped range
/// linearly onto [0, 1] (after clipping, the sequence minimum and maximum are exactly the two
/// percentiles). A constant sequence maps to all zeros. Returns the normalised frames.
pub fn clip_and_normalise(frames: &[Frame]) -> Vec<Frame> {
    if frames.is_empty() {
        return Vec::new();
    }
    let (lo, hi) = clip_range(frames);
    let scale = if hi > lo { 1.0 / (hi - lo) } else { 0.0 };
    frames
        .iter()
        .map(|f| Frame {
            height: f.height,
            width: f.width,
            pixels: f
                .pixels
                .iter()
                .map(|&v| (v.clamp(lo, hi) - lo) * scale)
                .collect(),
        })
        .collect()
}

/// Rounds every pixel to the nearest of the 256 levels k/255 (ties to even), as storing the
/// sequence as 8-bit PNG frames does in the reference pipeline.
pub fn quantise_to_8bit(frame: &mut Frame) {
    for v in &mut frame.pixels {
        *v = (v.clamp(0.0, 1.0) * 255.0).round_ties_even() / 255.0;
    }
}
