//! Whole-video evaluation and inference (docs/definitions.md#image-quality): every evaluated frame of every
//! validation video through the model, against the ground truth and the bicubic baseline.

use std::time::Instant;

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use xvr_contract::results::ValidationRow;

use super::evaluation_error::EvaluationError;
use crate::data::{eval_frames, eval_input, PairedVideo};
use crate::metrics::{
    aad, bicubic_upscale, mean_of_video_means, psnr, ssim, to_grey_levels, MetricError,
};
use crate::model::SwinXvr;
use xvr_contract::model::{HR_FRAMES, SCALE};

/// PSNR reported for a frame identical to its ground truth (MSE = 0, mathematically +∞).
///
/// JSON cannot hold infinity and one such frame would make a whole trial's mean infinite,
/// so the value is capped here, in validation.csv and summary.json alike. 100 dB is far above
/// any real 8-bit result (an MSE of one grey level² in a single pixel of a 100×256 frame is
/// already 92.2 dB), so the cap only ever replaces the infinite case.
pub const PSNR_CAP_DB: f64 = 100.0;

/// What to evaluate: the validation videos' first `frames` frames (0 = all), HR inputs on
/// the grid of `separation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalSettings {
    pub lr_frames: usize,
    pub separation: usize,
    pub frames: usize,
}

/// Every (video index, frame) evaluated, videos in order.
pub fn eval_jobs(videos: &[PairedVideo], settings: EvalSettings) -> Vec<(usize, usize)> {
    videos
        .iter()
        .enumerate()
        .flat_map(|(v, video)| eval_frames(video.len(), settings.frames).map(move |t| (v, t)))
        .collect()
}

/// One row per evaluated frame of `videos`, in order. `model` should be the EMA model on a
/// non-autodiff backend (no stochastic depth, no graph).
pub fn evaluate<B: Backend>(
    model: &SwinXvr<B>,
    videos: &[PairedVideo],
    settings: EvalSettings,
    device: &B::Device,
) -> Result<Vec<ValidationRow>, EvaluationError> {
    eval_jobs(videos, settings)
        .into_iter()
        .map(|(v, t)| evaluate_frame(model, &videos[v], t, settings, device))
        .collect()
}

/// Frame `t` of `video` through the model, with the metrics of the output and of the
/// bicubic baseline.
///
/// The time is the forward pass from input tensors on the device to the output synced back
/// on the host (the reference brackets its forward with CUDA synchronize).
pub fn evaluate_frame<B: Backend>(
    model: &SwinXvr<B>,
    video: &PairedVideo,
    t: usize,
    settings: EvalSettings,
    device: &B::Device,
) -> Result<ValidationRow, EvaluationError> {
    let input = eval_input(video, t, settings.lr_frames, settings.separation);
    let (h, w) = (input.h, input.w);
    let (hh, hw) = (SCALE * h, SCALE * w);
    let lq = Tensor::<B, 5>::from_data(
        TensorData::new(input.lq.clone(), [1, settings.lr_frames, 1, h, w]),
        device,
    );
    let hq = Tensor::<B, 5>::from_data(
        TensorData::new(input.hq.clone(), [1, HR_FRAMES, 1, hh, hw]),
        device,
    );
    model
        .check_inputs(lq.dims(), hq.dims())
        .map_err(|source| EvaluationError::Inputs {
            video: video.name.clone(),
            frame: t,
            source,
        })?;

    let start = Instant::now();
    let output: Vec<f32> = model
        .forward(lq, hq)
        .into_data()
        .convert::<f32>()
        .into_vec()
        .map_err(|source| EvaluationError::Output {
            video: video.name.clone(),
            frame: t,
            source,
        })?;
    let infer_s = start.elapsed().as_secs_f64();

    let gt = to_grey_levels(&input.gt);
    let out = to_grey_levels(&output);
    let bicubic = to_grey_levels(&bicubic_upscale(input.centre_lr(), h, w, SCALE));
    let metrics = |image: &[u8]| -> Result<(f64, f64, f64), EvaluationError> {
        let scores = || -> Result<_, MetricError> {
            Ok((
                capped_psnr(image, &gt)?,
                ssim(image, &gt, hh, hw)?,
                aad(image, &gt)?,
            ))
        };
        scores().map_err(|source| EvaluationError::Metric {
            video: video.name.clone(),
            frame: t,
            source,
        })
    };
    let (psnr_db, ssim_value, aad_value) = metrics(&out)?;
    let (bicubic_psnr_db, bicubic_ssim, bicubic_aad) = metrics(&bicubic)?;
    Ok(ValidationRow {
        video: video.name.clone(),
        frame: t,
        psnr_db,
        ssim: ssim_value,
        aad: aad_value,
        bicubic_psnr_db,
        bicubic_ssim,
        bicubic_aad,
        infer_s,
    })
}

/// PSNR with identical images reported as [`PSNR_CAP_DB`].
pub fn capped_psnr(out: &[u8], gt: &[u8]) -> Result<f64, MetricError> {
    psnr(out, gt).map(|db| db.min(PSNR_CAP_DB))
}

/// The trial-level numbers of a set of validation rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidationSummary {
    /// Mean over videos of the per-video mean over frames (paper eq. 4–5), for each metric.
    pub psnr_db: f64,
    pub ssim: f64,
    pub aad: f64,
    pub bicubic_psnr_db: f64,
    /// Mean forward time per frame over all evaluated frames (s).
    pub infer_s_per_frame: f64,
}

/// Summarises `rows` (grouped by consecutive equal `video`); `None` when empty.
pub fn summarise(rows: &[ValidationRow]) -> Option<ValidationSummary> {
    let per_video = |metric: fn(&ValidationRow) -> f64| -> Vec<Vec<f64>> {
        rows.chunk_by(|a, b| a.video == b.video)
            .map(|video| video.iter().map(metric).collect())
            .collect()
    };
    let mean = |metric: fn(&ValidationRow) -> f64| mean_of_video_means(&per_video(metric));
    Some(ValidationSummary {
        psnr_db: mean(|r| r.psnr_db)?,
        ssim: mean(|r| r.ssim)?,
        aad: mean(|r| r.aad)?,
        bicubic_psnr_db: mean(|r| r.bicubic_psnr_db)?,
        infer_s_per_frame: rows.iter().map(|r| r.infer_s).sum::<f64>() / rows.len() as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(video: &str, psnr_db: f64, infer_s: f64) -> ValidationRow {
        ValidationRow {
            video: video.into(),
            frame: 0,
            psnr_db,
            ssim: psnr_db / 100.0,
            aad: 1.0,
            bicubic_psnr_db: 20.0,
            bicubic_ssim: 0.5,
            bicubic_aad: 2.0,
            infer_s,
        }
    }

    #[test]
    fn summary_is_the_mean_of_video_means() {
        // Video a: frames 30, 40 → 35; video b: 20 → 20; trial: (35 + 20) / 2 = 27.5
        // (a plain mean over frames would give 30).
        let rows = [
            row("a", 30.0, 0.1),
            row("a", 40.0, 0.2),
            row("b", 20.0, 0.3),
        ];
        let s = summarise(&rows).unwrap();
        assert!((s.psnr_db - 27.5).abs() < 1e-12);
        assert!((s.ssim - 0.275).abs() < 1e-12);
        assert!((s.infer_s_per_frame - 0.2).abs() < 1e-12);
        assert!(summarise(&[]).is_none());
    }

    #[test]
    fn identical_images_get_the_cap_and_others_are_untouched() {
        assert_eq!(capped_psnr(&[7, 8], &[7, 8]).unwrap(), PSNR_CAP_DB);
        // MSE = 1 → 10·log10(65025) = 48.1308…
        assert!((capped_psnr(&[0, 0], &[1, 1]).unwrap() - 48.130_803_608).abs() < 1e-6);
    }
}
