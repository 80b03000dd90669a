//! The files `xvr-worker reconstruct` (and a reconstruction trial, in its `reconstruction/`
//! folder) writes beside the frames: `manifest.csv`, one row per reconstructed frame, and
//! `reconstruct.json`, the run (docs/reconstruction.md#outputs). The worker writes them, the
//! analysis reads the run's noise level for the test-condition report.

use serde::{Deserialize, Serialize};

/// One reconstructed frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestRow {
    /// LR time index t (= output frame index).
    pub frame: usize,
    /// t / LR frame rate in seconds with `--lr-fps`, else t (LR frame periods).
    pub time: f64,
    /// LR frames used, space separated (the middle one is t).
    pub lr_frames: String,
    /// HR frames used (before, after): indices into the HR sequence, space separated.
    pub hr_frames: String,
    /// LR times of those HR frames.
    pub hr_times: String,
    /// Where the frame is, relative to the output folder.
    pub file: String,
    /// Rank that computed it.
    pub rank: usize,
    /// Forward time (s), inputs on the device to the output back on the host.
    pub infer_s: f64,
    /// Against the reference HR frame of this time (the re-simulated truth, or the measured HR
    /// frame at an HR time); empty where there is none. Definitions: docs/definitions.md.
    pub psnr_db: Option<f64>,
    pub ssim: Option<f64>,
    pub aad: Option<f64>,
    /// The same for the bicubic upscale of LR frame t.
    pub bicubic_psnr_db: Option<f64>,
    pub bicubic_ssim: Option<f64>,
    pub bicubic_aad: Option<f64>,
    /// Whether an HR frame was taken at this time (a key frame: the HR input holds this
    /// very frame, so its scores say little about reconstruction between HR frames).
    pub hr_key: bool,
}

/// The run as a whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconstructSummary {
    pub trial_dir: String,
    pub trial_id: String,
    /// Iteration of the checkpoint the weights come from, and of the whole run.
    pub checkpoint_iteration: u64,
    pub total_iterations: u64,
    /// `ema` or `raw`.
    pub weights: String,
    /// `measured` (--lr/--hr) or `resimulated` (--sequence).
    pub mode: String,
    pub inputs: Vec<String>,
    /// HR frame separation δ used (with `first_last`, the frames − 1).
    pub hr_every: usize,
    /// Only the first and last frames were HR inputs (`--first-last`).
    pub first_last: bool,
    pub hr_offset: usize,
    /// LR times that have an HR frame.
    pub hr_times: Vec<usize>,
    /// `s` with --lr-fps, else `lr_frame`.
    pub time_unit: String,
    pub frames: usize,
    pub ranks: usize,
    /// Output format and bit depth (the HR input's).
    pub format: String,
    pub bit_depth: u8,
    pub lr_size: [usize; 2],
    pub hr_size: [usize; 2],
    /// Trainable parameters of the model.
    pub params: u64,
    /// Forward FLOPs per frame at this size (docs/model.md#flops).
    pub flops_per_frame: u64,
    /// Wall time from the first frame to the last file written (s).
    pub total_s: f64,
    pub frames_per_s: f64,
    /// Mean forward time per frame over all ranks (s).
    pub mean_infer_s: f64,
    /// The b0 of the LR noise (`--lr-b0`, or found for `--lr-psnr`, the target here), and
    /// the LR PSNR it gave (noisy vs noise-free LR, mean over frames).
    pub lr_b0: Option<f64>,
    pub lr_psnr_target_db: Option<f64>,
    pub lr_psnr_db: Option<f64>,
    /// Means over the frames that have a reference (absent when none has).
    pub mean_psnr_db: Option<f64>,
    pub mean_bicubic_psnr_db: Option<f64>,
}
