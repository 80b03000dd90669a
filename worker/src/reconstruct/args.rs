//! The command line of `xvr-worker reconstruct` (also what `xvr reconstruct` passes on).

use std::path::PathBuf;

use crate::train::checkpoint::Weights;
use xvr_contract::reconstruct::HrEvery;

/// Reconstructs every HR frame at the LR frame rate with a trained trial's model.
///
/// Either a real experiment — an LR sequence (`--lr`) and an HR sequence (`--hr`) whose HR
/// frame j was taken together with LR frame `--hr-offset` + j·`--hr-every` — or one
/// well-sampled sequence (`--sequence`) re-simulated as evaluation does: LR = the frames
/// binned 4×4, HR = every `--hr-every`-th frame from `--hr-offset` plus the last one, both
/// re-normalised (docs/data.md). A sequence is a folder of PNG or TIFF frames (8 or 16 bit),
/// a multi-page TIFF stack, or an HDF5 file with the dataset given by the matching
/// `--*-dataset` (frames along the first axis).
///
/// Writes to `--out` (which must not exist or be empty): the frames in the HR input's format
/// and bit depth (`frames/` or `frames.tif` / `frames.h5`), `manifest.csv` (one row per frame:
/// time, the LR and HR frames used, the rank, the forward time; PSNR/SSIM/AAD against the HR
/// frame where one exists at that time) and `reconstruct.json` (totals, frames/s). Frames are
/// split round-robin over the ranks (`mpiexec -n N … --ranks N`). Everything that would make
/// the result wrong is refused before any frame is computed (exit 2).
#[derive(clap::Args, Debug, Clone)]
pub struct ReconstructArgs {
    /// The trained trial's directory (its trial.yaml and checkpoint/).
    pub trial_dir: PathBuf,
    /// LR sequence of a real experiment (folder, TIFF stack or HDF5 file).
    #[arg(long, requires = "hr", conflicts_with = "sequence")]
    pub lr: Option<PathBuf>,
    /// Dataset path of an HDF5 `--lr` (e.g. /exchange/data).
    #[arg(long, value_name = "DATASET")]
    pub lr_dataset: Option<String>,
    /// HR sequence of a real experiment.
    #[arg(long, requires = "lr", conflicts_with = "sequence")]
    pub hr: Option<PathBuf>,
    /// Dataset path of an HDF5 `--hr`.
    #[arg(long, value_name = "DATASET")]
    pub hr_dataset: Option<String>,
    /// One well-sampled sequence, re-simulated as evaluation does (instead of --lr/--hr).
    #[arg(long, required_unless_present = "lr")]
    pub sequence: Option<PathBuf>,
    /// Dataset path of an HDF5 `--sequence`.
    #[arg(long, value_name = "DATASET")]
    pub sequence_dataset: Option<String>,
    /// LR frames between two HR frames (δ): HR frame j is at LR frame offset + j·δ.
    #[arg(long, value_name = "DELTA", required_unless_present = "first_last")]
    pub hr_every: Option<usize>,
    /// With --sequence: only the sequence's first and last frames are HR inputs (the paper's
    /// extreme test condition; δ = frames − 1).
    #[arg(long, conflicts_with = "hr_every", requires = "sequence")]
    pub first_last: bool,
    /// LR frame of the first HR frame.
    #[arg(long, default_value_t = 0, value_name = "FRAME")]
    pub hr_offset: usize,
    /// LR frame rate, for the manifest's time column in seconds (without it, time is in LR
    /// frame periods).
    #[arg(long, value_name = "FPS")]
    pub lr_fps: Option<f64>,
    /// Output folder (must not exist, or be empty).
    #[arg(long)]
    pub out: PathBuf,
    /// Which weights of the checkpoint: the EMA (as evaluation uses) or the raw weights.
    #[arg(long, value_enum, default_value = "ema")]
    pub weights: Weights,
    /// Ranks of this job (the `-n` of mpiexec; checked against MPI's world).
    #[arg(long, default_value_t = 1)]
    pub ranks: usize,
    /// Test condition: photon noise on every LR frame with this blank-scan factor b0, as the
    /// paper's noisy test inputs (docs/data.md#one-training-sample: clip(Poisson(b0·v)/b0, 0,
    /// 1)); the LR PSNR it gives is in reconstruct.json.
    #[arg(long, value_name = "B0")]
    pub lr_b0: Option<f64>,
    /// Test condition: photon noise as --lr-b0, with the b0 found (by bisection on the LR
    /// frames) to make the LR PSNR this many dB — the paper's 20 … 60 dB conditions.
    #[arg(long, value_name = "DB", conflicts_with = "lr_b0")]
    pub lr_psnr: Option<f64>,
    /// Seed of the --lr-b0 noise (frame t draws from its own stream).
    #[arg(long, default_value_t = 0)]
    pub noise_seed: u64,
    /// Reconstruct only the first N LR frames (0 = all).
    #[arg(long, default_value_t = 0)]
    pub frames: usize,
}

impl ReconstructArgs {
    /// The HR frame separation asked for (`--hr-every` or `--first-last`).
    pub fn hr_separation(&self) -> HrEvery {
        match self.hr_every {
            Some(delta) if !self.first_last => HrEvery::Frames(delta),
            _ => HrEvery::FirstLast,
        }
    }
}
