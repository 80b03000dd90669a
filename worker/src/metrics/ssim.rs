//! Structural similarity with scikit-image's `structural_similarity` defaults (docs/definitions.md#ssim):
//! 7×7 uniform window, K1 = 0.01, K2 = 0.03, sample covariance, data range 255.

use super::metric_error::MetricError;

/// Window edge.
pub(crate) const WIN: usize = 7;
const K1: f64 = 0.01;
const K2: f64 = 0.03;
const DATA_RANGE: f64 = 255.0;

/// Mean SSIM of two `height × width` 8-bit images (row-major).
///
/// For every pixel whose 7×7 window lies inside the image, with local means μ, sample
/// variances σ² and covariance σxy (the window's 49 pixels, normalised by 48 — skimage's
/// `cov_norm = N/(N−1)` applied to the biased moments):
/// S = (2μxμy + C1)(2σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2)), C1 = (0.01·255)²,
/// C2 = (0.03·255)². The result is the mean of S over those pixels — skimage filters the
/// whole image but averages only after cropping 3 pixels at each border, i.e. exactly the
/// windows that fit, so its border mode never matters.
///
/// Errors when the sizes are inconsistent or an edge is shorter than 7 (skimage refuses too).
pub fn ssim(out: &[u8], gt: &[u8], height: usize, width: usize) -> Result<f64, MetricError> {
    if out.len() != height * width || gt.len() != height * width {
        return Err(MetricError::NotOfSize {
            out: out.len(),
            gt: gt.len(),
            height,
            width,
        });
    }
    if height < WIN || width < WIN {
        return Err(MetricError::SmallerThanTheWindow { height, width });
    }
    let n = (WIN * WIN) as f64;
    let cov_norm = n / (n - 1.0);
    let (c1, c2) = ((K1 * DATA_RANGE).powi(2), (K2 * DATA_RANGE).powi(2));
    let x: Vec<f64> = out.iter().map(|&v| f64::from(v)).collect();
    let y: Vec<f64> = gt.iter().map(|&v| f64::from(v)).collect();
    let xx: Vec<f64> = x.iter().map(|v| v * v).collect();
    let yy: Vec<f64> = y.iter().map(|v| v * v).collect();
    let xy: Vec<f64> = x.iter().zip(&y).map(|(a, b)| a * b).collect();
    let [mx, my, mxx, myy, mxy] =
        [&x, &y, &xx, &yy, &xy].map(|img| window_means(img, height, width));

    let mut total = 0.0;
    for i in 0..mx.len() {
        let (ux, uy) = (mx[i], my[i]);
        let vx = cov_norm * (mxx[i] - ux * ux);
        let vy = cov_norm * (myy[i] - uy * uy);
        let vxy = cov_norm * (mxy[i] - ux * uy);
        total +=
            ((2.0 * ux * uy + c1) * (2.0 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
    }
    Ok(total / mx.len() as f64)
}

/// Means over every 7×7 window fully inside the image, row-major over the
/// (height − 6) × (width − 6) window positions (separable box sums).
fn window_means(img: &[f64], height: usize, width: usize) -> Vec<f64> {
    let out_w = width - WIN + 1;
    let mut rows = vec![0.0; height * out_w];
    for r in 0..height {
        let line = &img[r * width..(r + 1) * width];
        for c in 0..out_w {
            rows[r * out_w + c] = line[c..c + WIN].iter().sum();
        }
    }
    let out_h = height - WIN + 1;
    let norm = 1.0 / (WIN * WIN) as f64;
    let mut means = vec![0.0; out_h * out_w];
    for r in 0..out_h {
        for c in 0..out_w {
            means[r * out_w + c] = (r..r + WIN).map(|k| rows[k * out_w + c]).sum::<f64>() * norm;
        }
    }
    means
}
