//! Peak signal-to-noise ratio of 8-bit images (docs/definitions.md#psnr).

use super::metric_error::MetricError;

/// PSNR = 10·log10(255² / MSE) in dB, over all pixels, with MSE in grey levels².
///
/// Identical images (MSE = 0) give `f64::INFINITY`, as the reference's numpy code does; a
/// mean that includes such a frame is infinite too, and JSON writers must decide how to
/// store it. Errors when the sizes differ or the images are empty.
pub fn psnr(out: &[u8], gt: &[u8]) -> Result<f64, MetricError> {
    check_same_size(out, gt)?;
    let sum: f64 = out
        .iter()
        .zip(gt)
        .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
        .sum();
    let mse = sum / out.len() as f64;
    Ok(if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0f64 * 255.0 / mse).log10()
    })
}

/// Errors unless both images are non-empty and have the same number of pixels.
pub(crate) fn check_same_size(out: &[u8], gt: &[u8]) -> Result<(), MetricError> {
    if out.is_empty() || out.len() != gt.len() {
        return Err(MetricError::PixelCounts {
            out: out.len(),
            gt: gt.len(),
        });
    }
    Ok(())
}
