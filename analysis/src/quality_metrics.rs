//! A trial's validation numbers, recomputed from validation.csv with the paper's
//! averaging (eq. 4–5: mean over videos of the per-video mean over frames), so the report
//! does not just echo summary.json but checks it.

use std::collections::BTreeMap;
use xvr_contract::results::{Summary, ValidationRow};

/// Largest |recomputed − summary.json| accepted before the report flags a mismatch.
/// summary.json values are full-precision floats, so any real difference is a bug.
pub const CROSS_CHECK_TOLERANCE: f64 = 1e-6;

#[derive(Debug, Clone, PartialEq)]
pub struct QualityMetrics {
    pub psnr_db: f64,
    pub ssim: f64,
    pub aad: f64,
    pub bicubic_psnr_db: f64,
    pub bicubic_ssim: f64,
    pub bicubic_aad: f64,
    /// Mean forward time per frame over every evaluated frame (s).
    pub infer_s: f64,
    pub videos: usize,
    pub frames: usize,
}

impl QualityMetrics {
    pub fn from_rows(rows: &[ValidationRow]) -> Option<Self> {
        if rows.is_empty() {
            return None;
        }
        let mut per_video: BTreeMap<&str, Vec<&ValidationRow>> = BTreeMap::new();
        for row in rows {
            per_video.entry(row.video.as_str()).or_default().push(row);
        }
        let video_mean = |f: &dyn Fn(&ValidationRow) -> f64| -> f64 {
            let means: Vec<f64> = per_video
                .values()
                .map(|frames| frames.iter().map(|r| f(r)).sum::<f64>() / frames.len() as f64)
                .collect();
            means.iter().sum::<f64>() / means.len() as f64
        };
        Some(Self {
            psnr_db: video_mean(&|r| r.psnr_db),
            ssim: video_mean(&|r| r.ssim),
            aad: video_mean(&|r| r.aad),
            bicubic_psnr_db: video_mean(&|r| r.bicubic_psnr_db),
            bicubic_ssim: video_mean(&|r| r.bicubic_ssim),
            bicubic_aad: video_mean(&|r| r.bicubic_aad),
            infer_s: rows.iter().map(|r| r.infer_s).sum::<f64>() / rows.len() as f64,
            videos: per_video.len(),
            frames: rows.len(),
        })
    }

    /// Differences from summary.json beyond [`CROSS_CHECK_TOLERANCE`], as sentences.
    pub fn cross_check(&self, summary: &Summary) -> Vec<String> {
        [
            ("psnr_db", self.psnr_db, summary.psnr_db),
            ("ssim", self.ssim, summary.ssim),
            ("aad", self.aad, summary.aad),
            ("bicubic_psnr_db", self.bicubic_psnr_db, summary.bicubic_psnr_db),
        ]
        .into_iter()
        .filter(|(_, mine, theirs)| (mine - theirs).abs() > CROSS_CHECK_TOLERANCE)
        .map(|(name, mine, theirs)| {
            format!("summary.json {name} = {theirs} but validation.csv gives {mine} (mean over videos of per-video means)")
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(video: &str, psnr: f64) -> ValidationRow {
        ValidationRow {
            video: video.into(),
            frame: 0,
            psnr_db: psnr,
            ssim: 0.5,
            aad: 2.0,
            bicubic_psnr_db: 30.0,
            bicubic_ssim: 0.4,
            bicubic_aad: 3.0,
            infer_s: 0.01,
        }
    }

    #[test]
    fn mean_of_video_means_not_of_frames() {
        // Video a: 30, 32 → 31; video b: 36 → 36; eq. 4–5: (31 + 36)/2 = 33.5 (pooled: 32.67).
        let m =
            QualityMetrics::from_rows(&[row("a", 30.0), row("a", 32.0), row("b", 36.0)]).unwrap();
        assert_eq!(m.psnr_db, 33.5);
        assert_eq!((m.videos, m.frames), (2, 3));
        assert_eq!(QualityMetrics::from_rows(&[]), None);
    }
}
