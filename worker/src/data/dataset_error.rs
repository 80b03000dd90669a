//! Why a trial's videos cannot be loaded or generated: each error names the `data` setting or
//! the file at fault.

use std::path::PathBuf;

use super::experiment::VirtualExperimentError;
use super::pairing_error::PairingError;
use super::png_frame::GrayPngError;
use super::selection::ValidationSplitError;
use super::video_root_error::VideoRootError;

/// A trial's `data` section that gives no usable videos.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error(
        "data.synthetic: {height}x{width} pixels, {frames} frames: height and width must be positive multiples of 4 and frames >= 1"
    )]
    SyntheticShape {
        height: usize,
        width: usize,
        frames: usize,
    },
    /// `data.synthetic.texture` is not an 8-bit greyscale PNG.
    #[error(transparent)]
    Texture(#[from] GrayPngError),
    /// Stored videos without `data.hr_root`; `data_source` is the `data.source` named.
    #[error("data.hr_root: missing: required when data.source is {data_source}")]
    NoHrRoot { data_source: &'static str },
    #[error(transparent)]
    Root(#[from] VideoRootError),
    #[error("{}: no LR video for video {video} of {}", lr_root.display(), hr_root.display())]
    NoLrVideo {
        lr_root: PathBuf,
        video: String,
        hr_root: PathBuf,
    },
    /// A stored HR video and its stored LR video do not pair.
    #[error("{} / {}: {source}", hr_root.display(), lr_root.display())]
    Pairing {
        hr_root: PathBuf,
        lr_root: PathBuf,
        source: PairingError,
    },
    #[error(transparent)]
    VirtualExperiment(#[from] VirtualExperimentError),
    #[error(transparent)]
    Split(#[from] ValidationSplitError),
}
