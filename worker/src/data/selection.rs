//! Which videos train and which validate: held-out validation videos and the
//! `data.fraction` ablation (docs/data.md: whole videos are kept or dropped).

use rand::RngExt;

use super::seeding::{stream, Purpose};

/// More validation videos than the set leaves room for: none would train.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "data.val_videos: {val_videos}: must be smaller than the number of videos ({count}) so that at least one trains"
)]
pub struct ValidationSplitError {
    pub val_videos: usize,
    pub count: usize,
}

/// Indices (into a list of `count` videos in order) of the held-out validation videos: the
/// last `val_videos` ones. Errors when no training video would remain.
pub fn validation_indices(
    count: usize,
    val_videos: usize,
) -> Result<std::ops::Range<usize>, ValidationSplitError> {
    if val_videos >= count {
        return Err(ValidationSplitError { val_videos, count });
    }
    Ok(count - val_videos..count)
}

/// Training videos kept for `fraction`: training video `i` (0-based among the `count`
/// training videos) is kept when its own seeded uniform draw u_i ∈ [0, 1) is below
/// `fraction`, so the kept set is deterministic in `seed`, grows monotonically with
/// `fraction`, and is everything at fraction 1. If no video passes, the one with the smallest
/// u_i is kept (a trial never has an empty training set).
pub fn kept_training_videos(count: usize, fraction: f64, seed: u64) -> Vec<usize> {
    let draws: Vec<f64> = (0..count)
        .map(|i| stream(seed, Purpose::VideoSelection, i as u64).random::<f64>())
        .collect();
    let kept: Vec<usize> = (0..count).filter(|&i| draws[i] < fraction).collect();
    if !kept.is_empty() || count == 0 {
        return kept;
    }
    let smallest = (0..count)
        .min_by(|&a, &b| draws[a].total_cmp(&draws[b]))
        .expect("count > 0");
    vec![smallest]
}
