//! Bicubic ×4 up-sampling as OpenCV's `cv2.resize(..., INTER_CUBIC)` does it on `float32`
//! images: the baseline the reference reports next to SWIN-XVR (§6).

/// OpenCV's cubic convolution parameter.
const A: f32 = -0.75;

/// The four weights for taps at offsets −1, 0, 1, 2 of a sample at fractional position `t`
/// ∈ [0, 1) (Keys' cubic convolution kernel with a = −0.75; the last weight makes them sum
/// to 1, as OpenCV does).
fn cubic_weights(t: f32) -> [f32; 4] {
    let near = |d: f32| ((A + 2.0) * d - (A + 3.0)) * d * d + 1.0; // |d| ≤ 1
    let far = |d: f32| ((A * d - 5.0 * A) * d + 8.0 * A) * d - 4.0 * A; // 1 < |d| < 2
    let w0 = far(t + 1.0);
    let w1 = near(t);
    let w2 = near(1.0 - t);
    [w0, w1, w2, 1.0 - w0 - w1 - w2]
}

/// Up-samples a `height × width` row-major image by `scale` in both directions.
///
/// Output pixel centres map to source coordinates (d + 0.5)/scale − 0.5 (half-pixel
/// centres); taps outside the image repeat the nearest edge pixel (border replicate);
/// rows are interpolated first, then columns, in `f32` like OpenCV's float path. No clamping.
pub fn bicubic_upscale(image: &[f32], height: usize, width: usize, scale: usize) -> Vec<f32> {
    assert_eq!(image.len(), height * width, "bicubic_upscale: image size");
    let taps = |out_len: usize, in_len: usize| -> Vec<([usize; 4], [f32; 4])> {
        (0..out_len)
            .map(|d| {
                let pos = ((d as f64 + 0.5) / scale as f64 - 0.5) as f32;
                let base = pos.floor();
                let weights = cubic_weights(pos - base);
                let idx = [-1i64, 0, 1, 2]
                    .map(|k| (base as i64 + k).clamp(0, in_len as i64 - 1) as usize);
                (idx, weights)
            })
            .collect()
    };
    let (out_h, out_w) = (height * scale, width * scale);
    let x_taps = taps(out_w, width);
    let y_taps = taps(out_h, height);
    // Horizontal pass: every source row at the output width.
    let mut rows = vec![0.0f32; height * out_w];
    for r in 0..height {
        let line = &image[r * width..(r + 1) * width];
        for (c, (idx, w)) in x_taps.iter().enumerate() {
            rows[r * out_w + c] = (0..4).map(|k| w[k] * line[idx[k]]).sum();
        }
    }
    // Vertical pass.
    let mut out = vec![0.0f32; out_h * out_w];
    for (r, (idx, w)) in y_taps.iter().enumerate() {
        for c in 0..out_w {
            out[r * out_w + c] = (0..4).map(|k| w[k] * rows[idx[k] * out_w + c]).sum();
        }
    }
    out
}
