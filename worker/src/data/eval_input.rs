//! Validation and inference inputs for whole frames (docs/data.md#validation-and-inference-inputs).

use super::frame::PairedVideo;

/// The model inputs for one target frame of a video, full frames, row-major `f32`:
/// `lq` `[NL, h, w]`, `hq` `[2, 4h, 4w]` (before, after), `gt` `[4h, 4w]`. No noise is added.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalInput {
    pub lq: Vec<f32>,
    pub hq: Vec<f32>,
    pub gt: Vec<f32>,
    pub h: usize,
    pub w: usize,
    /// The target frame t.
    pub frame: usize,
    /// LR frame indices used (the middle one is t).
    pub lr_frames: Vec<usize>,
    /// HR frame indices used (before, after) on the separation grid.
    pub hr_frames: [usize; 2],
    /// True when t is on the HR grid (t mod D = 0): the "before" HR frame *is* the target
    /// (the reference's mask flag).
    pub on_grid: bool,
}

impl EvalInput {
    /// The target time's LR frame (`[h, w]`, the middle of `lq`): the input of the bicubic
    /// baseline.
    pub fn centre_lr(&self) -> &[f32] {
        let (plane, middle) = (self.h * self.w, self.lr_frames.len() / 2);
        &self.lq[middle * plane..(middle + 1) * plane]
    }
}

/// LR neighbour indices of target `t` in an `n`-frame video with BasicSR's
/// "reflection_circle" padding: t − NL/2 … t + NL/2, where an index i < 0 becomes
/// t + NL/2 − i and an index i > n − 1 becomes (t − NL/2) − (i − (n − 1)); e.g. NL = 3:
/// t = 0 → [2, 0, 1], t = n − 1 → [n − 2, n − 1, n − 3]. Videos shorter than NL are clamped
/// into [0, n − 1] as a last resort.
pub fn reflection_circle_frames(t: usize, n: usize, lr_frames: usize) -> Vec<usize> {
    let half = (lr_frames / 2) as i64;
    let (t, last) = (t as i64, n as i64 - 1);
    (t - half..=t + half)
        .map(|i| {
            let j = if i < 0 {
                t + half - i
            } else if i > last {
                (t - half) - (i - last)
            } else {
                i
            };
            j.clamp(0, last) as usize
        })
        .collect()
}

/// HR frames on the separation grid for target `t`: before = ⌊t/D⌋·D, after =
/// min(n − 1, (⌊t/D⌋ + 1)·D) (the reference can index frame n here; we clamp).
pub fn hr_grid_frames(t: usize, n: usize, separation: usize) -> [usize; 2] {
    let d = separation.max(1);
    let before = t / d * d;
    [before, (before + d).min(n - 1)]
}

/// Target frames evaluated in a video of `n` frames: the first `limit` (all when 0).
pub fn eval_frames(n: usize, limit: usize) -> std::ops::Range<usize> {
    0..if limit == 0 { n } else { limit.min(n) }
}

/// The full-frame inputs for target frame `t` of `video`.
pub fn eval_input(video: &PairedVideo, t: usize, lr_frames: usize, separation: usize) -> EvalInput {
    let n = video.len();
    let lr_idx = reflection_circle_frames(t, n, lr_frames);
    let hr_idx = hr_grid_frames(t, n, separation);
    let (h, w) = video.lr_size();
    EvalInput {
        lq: lr_idx
            .iter()
            .flat_map(|&i| video.lr[i].pixels.iter().copied())
            .collect(),
        hq: hr_idx
            .iter()
            .flat_map(|&i| video.hr[i].pixels.iter().copied())
            .collect(),
        gt: video.hr[t].pixels.clone(),
        h,
        w,
        frame: t,
        lr_frames: lr_idx,
        hr_frames: hr_idx,
        on_grid: t % separation.max(1) == 0,
    }
}
