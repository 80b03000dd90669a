//! Why a test condition's LR noise cannot be set.

use crate::data::poisson_noise::{B0OutOfRange, MAX_B0};
use crate::metrics::MetricError;

/// LR noise that cannot be added, or an LR PSNR no b0 gives.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NoiseLevelError {
    #[error(transparent)]
    B0(#[from] B0OutOfRange),
    /// A noisy frame cannot be scored against its noise-free one (a frame without pixels).
    #[error(transparent)]
    Metric(#[from] MetricError),
    #[error("no LR frames to set the noise on")]
    NoFrames,
    /// Even the noisiest b0 searched (`lowest_b0`) gives more than `target_db`.
    #[error(
        "LR PSNR {target_db} dB: too low for these frames; even b0 = {lowest_b0:e} gives {psnr_db:.2} dB"
    )]
    TooLow {
        target_db: f64,
        lowest_b0: f64,
        psnr_db: f64,
    },
    /// Even b0 = `MAX_B0` gives less than `target_db`.
    #[error(
        "LR PSNR {target_db} dB: not reached by these frames; b0 = {MAX_B0:e} gives {psnr_db:.2} dB"
    )]
    NotReached { target_db: f64, psnr_db: f64 },
}
