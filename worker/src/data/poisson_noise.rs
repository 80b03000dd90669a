//! Photon-counting noise of the LR camera (docs/data.md#one-training-sample).

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Poisson};

/// A blank-scan factor outside (0, [`MAX_B0`]] (or NaN).
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("blank-scan factor b0 = {b0}: must be in (0, {MAX_B0:e}]")]
pub struct B0OutOfRange {
    pub b0: f64,
}

/// Draws the blank-scan factor b0 = 10^u, u ~ Uniform(lo, hi) (once per training sample).
pub fn draw_b0(rng: &mut impl Rng, exponent_range: [f64; 2]) -> f64 {
    let [lo, hi] = exponent_range;
    let u = if hi > lo {
        rng.random_range(lo..hi)
    } else {
        lo
    };
    10f64.powf(u)
}

/// Replaces every pixel v ∈ [0, 1] by clip(Poisson(b0·v) / b0, 0, 1), independently.
///
/// Mean b0·v counts, variance b0·v counts, so the relative noise shrinks as 1/√(b0·v);
/// a pixel of 0 stays 0 (Poisson(0) = 0). Pixels are clamped to [0, 1] first.
///
/// Errors unless 0 < b0 ≤ [`MAX_B0`].
pub fn add_poisson_noise(
    pixels: &mut [f32],
    b0: f64,
    rng: &mut impl Rng,
) -> Result<(), B0OutOfRange> {
    if !(b0 > 0.0 && b0 <= MAX_B0) {
        return Err(B0OutOfRange { b0 });
    }
    for v in pixels {
        let lambda = b0 * f64::from(v.clamp(0.0, 1.0));
        if lambda > 0.0 {
            let poisson = Poisson::new(lambda).expect("0 < λ ≤ MAX_B0 is a valid Poisson rate");
            let counts: f64 = poisson.sample(rng);
            *v = (counts / b0).clamp(0.0, 1.0) as f32;
        } else {
            *v = 0.0;
        }
    }
    Ok(())
}

/// Largest accepted b0 (one value for the spec rules and the sampler): far below
/// `Poisson::MAX_LAMBDA` (1.8e19), and already noise-free at 8-bit precision (relative
/// noise 1e-9).
pub use xvr_contract::rules::MAX_B0;
