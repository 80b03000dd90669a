//! Average absolute difference of 8-bit images (docs/definitions.md#aad).

use super::metric_error::MetricError;
use super::psnr::check_same_size;

/// AAD = mean |out − gt| in grey levels (0–255). Errors when the sizes differ or are 0.
pub fn aad(out: &[u8], gt: &[u8]) -> Result<f64, MetricError> {
    check_same_size(out, gt)?;
    let sum: f64 = out
        .iter()
        .zip(gt)
        .map(|(&a, &b)| (f64::from(a) - f64::from(b)).abs())
        .sum();
    Ok(sum / out.len() as f64)
}
