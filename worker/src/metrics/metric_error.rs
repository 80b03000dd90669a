//! Why an image metric cannot compare two images: the sizes it was given.

use super::ssim::WIN;

/// Two images a metric cannot compare.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricError {
    /// The images have different numbers of pixels, or none.
    #[error(
        "image metric: output has {out} pixels and ground truth {gt}; need the same, non-zero"
    )]
    PixelCounts { out: usize, gt: usize },
    /// SSIM: an image does not have the `height × width` pixels it was said to have.
    #[error("ssim: images have {out} and {gt} pixels, expected {height}x{width}")]
    NotOfSize {
        out: usize,
        gt: usize,
        height: usize,
        width: usize,
    },
    /// SSIM: an edge is shorter than the 7×7 window (scikit-image refuses these too).
    #[error("ssim: image is {height}x{width}; both edges must be at least {WIN}")]
    SmallerThanTheWindow { height: usize, width: usize },
}
