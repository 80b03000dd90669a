//! The virtual experiment (paper §3.1, docs/data.md#the-virtual-experiment): from one reference HR sequence make
//! the HR/LR pair the model trains on.

use super::binning::{bin4, BinningError};
use super::frame::{PairedVideo, Video};
use super::pairing_error::PairingError;
use super::renorm::{clip_and_normalise, quantise_to_8bit};

/// Why a reference sequence cannot go through the virtual experiment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VirtualExperimentError {
    /// A frame of video `video` cannot be binned.
    #[error("video {video}: {source}")]
    Binning { video: String, source: BinningError },
    /// The reference and its binned sequence do not pair (no frames, or frames of several
    /// sizes).
    #[error(transparent)]
    Pairing(#[from] PairingError),
}

/// LR = 4×4 mean binning of every reference frame; then each sequence (HR and LR separately)
/// is clipped at its 0.35/99.65 percentiles, min–max scaled to [0, 1] over all its frames,
/// and quantised to 8 bits as the reference's stored PNG frames are.
///
/// (HR temporal down-sampling by the separation D is not a transformation of the data: it is
/// which HR frames the model may see — see `sample` for training and `eval_input` for
/// validation/inference.)
pub fn virtual_experiment(reference: &Video) -> Result<PairedVideo, VirtualExperimentError> {
    let binned = reference
        .frames
        .iter()
        .map(bin4)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| VirtualExperimentError::Binning {
            video: reference.name.clone(),
            source,
        })?;
    let mut hr = clip_and_normalise(&reference.frames);
    let mut lr = clip_and_normalise(&binned);
    hr.iter_mut()
        .chain(lr.iter_mut())
        .for_each(quantise_to_8bit);
    Ok(PairedVideo::new(&reference.name, hr, lr)?)
}
