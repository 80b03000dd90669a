//! Image-quality metrics on 8-bit images, exactly as docs/definitions.md defines them, and the
//! bicubic baseline (docs/definitions.md#bicubic-baseline).
//!
//! Convert model outputs and ground truth with [`to_grey_levels`] first; every metric then
//! compares 8-bit images. Images a metric cannot compare give a [`MetricError`].

pub mod aad;
pub mod bicubic;
pub mod grey_levels;
pub mod metric_error;
pub mod psnr;
pub mod ssim;
pub mod validation_psnr;

pub use aad::aad;
pub use bicubic::bicubic_upscale;
pub use grey_levels::to_grey_levels;
pub use metric_error::MetricError;
pub use psnr::psnr;
pub use ssim::ssim;
pub use validation_psnr::mean_of_video_means;
