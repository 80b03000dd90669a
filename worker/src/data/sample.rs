//! One training sample, built exactly as the reference's `XrayDatasetSTF.__getitem__`
//! (docs/data.md#one-training-sample).

use rand::{Rng, RngExt};

use xvr_contract::model::SCALE;
use xvr_contract::trial::DataConfig;

use super::crop::crop;
use super::dihedral::Dihedral;
use super::frame::{Frame, PairedVideo};
use super::poisson_noise::{add_poisson_noise, draw_b0};

/// A training video samples cannot be drawn from with the trial's sampling settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnsampleableVideo {
    /// The LR frames (`lr_size`: height, width) are smaller than the crop.
    #[error(
        "video {video}: LR frames are {}x{}, smaller than data.crop_lr {crop_lr}",
        lr_size.0, lr_size.1
    )]
    SmallerThanTheCrop {
        video: String,
        lr_size: (usize, usize),
        crop_lr: usize,
    },
    /// Fewer frames than NL LR frames at the largest interval span.
    #[error(
        "video {video}: {frames} frames; NL {lr_frames} LR frames at the largest interval of data.lr_intervals need at least {needed}"
    )]
    TooShort {
        video: String,
        frames: usize,
        lr_frames: usize,
        needed: usize,
    },
}

/// A training sample, all arrays row-major `f32` in [0, 1]:
/// - `lq`: `[NL, h, w]` — the NL noisy LR crops, earliest first;
/// - `hq`: `[2, 4h, 4w]` — the HR crops before and after the target time;
/// - `gt`: `[4h, 4w]` — the HR crop at the target time (the middle LR frame's time).
///
/// A batch of B samples stacks to the model's `[B, NL, 1, h, w]`, `[B, 2, 1, 4h, 4w]` and
/// `[B, 1, 4h, 4w]` tensors by concatenating the vectors in batch order.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub lq: Vec<f32>,
    pub hq: Vec<f32>,
    pub gt: Vec<f32>,
    pub h: usize,
    pub w: usize,
    /// How the sample was drawn (for tests, logs and debugging).
    pub origin: SampleOrigin,
}

/// The random choices behind a [`Sample`].
#[derive(Debug, Clone, PartialEq)]
pub struct SampleOrigin {
    /// Index of the video in the training set.
    pub video: usize,
    /// Frame indices of the LR inputs (the middle one is the target time).
    pub lr_frames: Vec<usize>,
    /// Frame indices of the HR inputs (before, after).
    pub hr_frames: [usize; 2],
    /// Top-left corner of the LR crop; the HR crops start at 4× these.
    pub lr_top: usize,
    pub lr_left: usize,
    pub dihedral: Dihedral,
    /// Blank-scan factor of the LR Poisson noise.
    pub b0: f64,
}

/// What sample drawing needs from the trial: the model's NL and the `data` section.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleParams {
    /// NL, the number of LR frames (odd).
    pub lr_frames: usize,
    /// LR crop edge (HR crop = 4×).
    pub crop_lr: usize,
    /// Candidate LR intervals.
    pub lr_intervals: Vec<usize>,
    /// Largest HR gap on each side.
    pub hr_gap_max: usize,
    /// b0 = 10^U(lo, hi).
    pub b0_exp: [f64; 2],
}

impl SampleParams {
    /// Takes the sampling settings of `data` for a model with `lr_frames` LR frames. They
    /// satisfy the trial's rules (`xvr_contract::rules`, checked when the trial was loaded).
    pub fn new(data: &DataConfig, lr_frames: usize) -> Self {
        Self {
            lr_frames,
            crop_lr: data.crop_lr,
            lr_intervals: data.lr_intervals.clone(),
            hr_gap_max: data.hr_gap_max,
            b0_exp: data.b0_exp,
        }
    }

    /// Checks that every sample can be drawn from `video`: the LR frame is at least the crop
    /// and the video is long enough for NL frames at the largest interval.
    pub fn check_video(&self, video: &PairedVideo) -> Result<(), UnsampleableVideo> {
        let (h, w) = video.lr_size();
        if h < self.crop_lr || w < self.crop_lr {
            return Err(UnsampleableVideo::SmallerThanTheCrop {
                video: video.name.clone(),
                lr_size: (h, w),
                crop_lr: self.crop_lr,
            });
        }
        let span = (self.lr_frames - 1) * self.lr_intervals.iter().max().copied().unwrap_or(1) + 1;
        if video.len() < span.max(2) {
            return Err(UnsampleableVideo::TooShort {
                video: video.name.clone(),
                frames: video.len(),
                lr_frames: self.lr_frames,
                needed: span.max(2),
            });
        }
        Ok(())
    }
}

/// Draws the sample whose key is `(video_index, centre)` from `video`, with every random
/// choice taken from `rng` in this order: LR interval, centre re-draws, HR gaps m1 and m2,
/// crop top and left, the three flips, b0, the per-pixel noise.
///
/// Steps (docs/data.md#one-training-sample): LR frames centre + k·interval (k = −NL/2 … NL/2), re-drawing the
/// centre uniformly while any is outside the video; GT = HR at the centre; HR inputs at
/// centre − m1 and centre + m2 with m1, m2 uniform in [1, hr_gap_max], each falling back to a
/// gap of 1 when outside the video (and clamped into it for NL = 1 at the very ends, where the
/// reference would wrap around); one LR crop position, HR crops at 4× it; one dihedral
/// transform for all images; Poisson noise on the LR crops only.
///
/// `video` must have passed [`SampleParams::check_video`].
pub fn draw_sample(
    video: &PairedVideo,
    video_index: usize,
    centre: usize,
    params: &SampleParams,
    rng: &mut impl Rng,
) -> Sample {
    let n = video.len();
    let half = params.lr_frames / 2;
    let interval = params.lr_intervals[rng.random_range(0..params.lr_intervals.len())];
    let reach = half * interval;
    let mut centre = centre;
    while centre < reach || centre + reach >= n {
        centre = rng.random_range(0..n);
    }
    let lr_frames: Vec<usize> = (0..params.lr_frames)
        .map(|k| centre - reach + k * interval)
        .collect();

    let m1 = rng.random_range(1..=params.hr_gap_max);
    let m2 = rng.random_range(1..=params.hr_gap_max);
    let before = if centre >= m1 {
        centre - m1
    } else {
        centre.saturating_sub(1)
    };
    let after = if centre + m2 < n {
        centre + m2
    } else {
        (centre + 1).min(n - 1)
    };

    let (lr_h, lr_w) = video.lr_size();
    let c = params.crop_lr;
    let lr_top = rng.random_range(0..=lr_h - c);
    let lr_left = rng.random_range(0..=lr_w - c);
    let hr_crop = |f: &Frame| crop(f, SCALE * lr_top, SCALE * lr_left, SCALE * c, SCALE * c);

    let dihedral = Dihedral::random(rng);
    let b0 = draw_b0(rng, params.b0_exp);

    let mut lq: Vec<f32> = Vec::with_capacity(params.lr_frames * c * c);
    for &t in &lr_frames {
        lq.extend(
            dihedral
                .apply(&crop(&video.lr[t], lr_top, lr_left, c, c))
                .pixels,
        );
    }
    add_poisson_noise(&mut lq, b0, rng).expect("b0 range checked with the trial's rules");
    let mut hq: Vec<f32> = Vec::with_capacity(2 * SCALE * SCALE * c * c);
    for t in [before, after] {
        hq.extend(dihedral.apply(&hr_crop(&video.hr[t])).pixels);
    }
    let gt = dihedral.apply(&hr_crop(&video.hr[centre])).pixels;
    Sample {
        lq,
        hq,
        gt,
        h: c,
        w: c,
        origin: SampleOrigin {
            video: video_index,
            lr_frames,
            hr_frames: [before, after],
            lr_top,
            lr_left,
            dihedral,
            b0,
        },
    }
}
