//! Why the experiment a model is to be applied to is refused: every error names the option or
//! the file at fault and says what would be accepted.

use std::path::PathBuf;

use xvr_contract::model::SCALE;

use super::noise_level_error::NoiseLevelError;
use crate::data::experiment::VirtualExperimentError;
use crate::data::sequence_error::SequenceError;

/// An experiment that cannot be reconstructed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExperimentError {
    #[error("--hr-every 0: the HR frames are δ ≥ 1 LR frames apart")]
    HrEveryZero,
    /// Neither or both of the measured (`--lr`, `--hr`) and the re-simulated (`--sequence`)
    /// inputs.
    #[error("give either --lr and --hr, or --sequence")]
    Inputs,
    #[error("--first-last: only with --sequence; give --hr-every for a measured experiment")]
    FirstLastMeasured,
    /// An input sequence cannot be read.
    #[error(transparent)]
    Read(#[from] SequenceError),
    /// Measured HR frames (`size`: height, width) that are not multiples of the scale.
    #[error(
        "{}: HR frames are {}x{} (HxW), not multiples of the scale {SCALE}",
        hr.display(), size.0, size.1
    )]
    HrNotScalable { hr: PathBuf, size: (usize, usize) },
    /// Measured HR and LR frames that do not show one field of view (sizes: height, width).
    #[error(
        "{} ({}x{}) and {} ({}x{}): the HR and LR fields of view do not match; HR frames must be exactly {SCALE}x the LR frames in both directions (crop or bin the inputs to the same field of view)",
        hr.display(), hr_size.0, hr_size.1, lr.display(), lr_size.0, lr_size.1
    )]
    FieldsOfView {
        hr: PathBuf,
        hr_size: (usize, usize),
        lr: PathBuf,
        lr_size: (usize, usize),
    },
    /// HR frame j taken at LR frame `hr_offset + j·hr_every` runs past the LR sequence.
    #[error(
        "{}: {hr_frames} HR frames at LR frames {hr_offset} + j·{hr_every} reach LR frame {last}, but {} has {lr_frames} frames; check --hr-every and --hr-offset",
        hr.display(), lr.display()
    )]
    HrBeyondLr {
        hr: PathBuf,
        hr_frames: usize,
        hr_offset: usize,
        hr_every: usize,
        last: usize,
        lr: PathBuf,
        lr_frames: usize,
    },
    /// A sequence to re-simulate whose frames (`size`: height, width) cannot be binned.
    #[error(
        "{}: frames are {}x{} (HxW), not multiples of the scale {SCALE} (LR is binned {SCALE}x{SCALE})",
        sequence.display(), size.0, size.1
    )]
    SequenceNotScalable {
        sequence: PathBuf,
        size: (usize, usize),
    },
    #[error("--hr-offset {hr_offset}: {} has {frames} frames", sequence.display())]
    HrOffsetBeyond {
        hr_offset: usize,
        sequence: PathBuf,
        frames: usize,
    },
    #[error("{}: {source}", sequence.display())]
    VirtualExperiment {
        sequence: PathBuf,
        source: VirtualExperimentError,
    },
    /// `--lr-psnr`: no b0 gives the wanted LR PSNR.
    #[error("--lr-psnr: {0}")]
    LrPsnr(#[source] NoiseLevelError),
    /// `--lr-b0` (or the b0 found for `--lr-psnr`): the noise cannot be added.
    #[error("--lr-b0: {0}")]
    LrB0(#[source] NoiseLevelError),
}
