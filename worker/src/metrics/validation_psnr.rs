//! The trial-level validation score (docs/definitions.md#validation-psnr, paper eq. 4–5).

/// Mean over videos of the per-video mean over frames. `per_video[v]` holds the per-frame
/// values of video v; videos without frames are skipped. `None` when nothing was evaluated.
pub fn mean_of_video_means(per_video: &[Vec<f64>]) -> Option<f64> {
    let means: Vec<f64> = per_video
        .iter()
        .filter(|frames| !frames.is_empty())
        .map(|frames| frames.iter().sum::<f64>() / frames.len() as f64)
        .collect();
    (!means.is_empty()).then(|| means.iter().sum::<f64>() / means.len() as f64)
}
