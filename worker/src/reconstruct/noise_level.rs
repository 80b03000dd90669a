//! The noise of a test condition (docs/reconstruction.md#test-conditions-noise): photon noise of
//! blank-scan factor b0 on every LR frame, stored as 8 bits as the paper's noisy test inputs
//! are, and the b0 that makes the LR frames' PSNR a wanted number of dB (the paper's 20 … 60
//! dB conditions give no b0, only the PSNR).

use crate::data::frame::Frame;
use crate::data::poisson_noise::{add_poisson_noise, MAX_B0};
use crate::data::renorm::quantise_to_8bit;
use crate::data::seeding::{stream, Purpose};
use crate::metrics::to_grey_levels;
use crate::train::evaluate::capped_psnr;

use super::noise_level_error::NoiseLevelError;

/// Frames the b0 search looks at (evenly spaced over the video): enough for a PSNR within a
/// few hundredths of a dB of the whole video's, few enough for a fast search on long videos.
const SEARCH_FRAMES: usize = 8;
/// Search range of log10 b0: from far noisier than any test condition (b0 = 0.01, below one
/// count per pixel) to [`MAX_B0`].
const SEARCH_LOG10_LO: f64 = -2.0;
/// Bisection steps: the range of 20 decades shrinks to 2e-8 decades of b0.
const SEARCH_STEPS: usize = 30;

/// Frame `t` (whose noise comes from its own stream of `seed`) with noise of `b0`, quantised
/// to 8 bits, and its PSNR against the noise-free frame (8-bit, capped as evaluation caps).
fn noisy(frame: &Frame, t: usize, b0: f64, seed: u64) -> Result<(Frame, f64), NoiseLevelError> {
    let mut noisy = frame.clone();
    let mut rng = stream(seed, Purpose::TestNoise, t as u64);
    add_poisson_noise(&mut noisy.pixels, b0, &mut rng)?;
    quantise_to_8bit(&mut noisy);
    let psnr = capped_psnr(
        &to_grey_levels(&noisy.pixels),
        &to_grey_levels(&frame.pixels),
    )?;
    Ok((noisy, psnr))
}

/// Adds the noise of `b0` to every frame (frame t from stream t of `seed`); returns the mean
/// over frames of the noisy frames' PSNR against the noise-free ones.
pub fn add_noise(frames: &mut [Frame], b0: f64, seed: u64) -> Result<f64, NoiseLevelError> {
    let mut sum = 0.0;
    for (t, frame) in frames.iter_mut().enumerate() {
        let (noisy, psnr) = noisy(frame, t, b0, seed)?;
        *frame = noisy;
        sum += psnr;
    }
    Ok(sum / frames.len().max(1) as f64)
}

/// The b0 whose noise gives `frames` (up to [`SEARCH_FRAMES`] of them, evenly spaced, each
/// with the stream [`add_noise`] gives it) a mean LR PSNR of `target_db`: bisection on
/// log10 b0, the PSNR growing with b0 (the squared error of Poisson noise is v/b0 per pixel).
/// Refused when no b0 in range reaches the target.
pub fn b0_for_psnr(frames: &[Frame], target_db: f64, seed: u64) -> Result<f64, NoiseLevelError> {
    let n = frames.len();
    if n == 0 {
        return Err(NoiseLevelError::NoFrames);
    }
    let picks: Vec<usize> = if n <= SEARCH_FRAMES {
        (0..n).collect()
    } else {
        (0..SEARCH_FRAMES)
            .map(|k| k * (n - 1) / (SEARCH_FRAMES - 1))
            .collect()
    };
    let psnr_at = |log10_b0: f64| -> Result<f64, NoiseLevelError> {
        let b0 = 10f64.powf(log10_b0);
        let mut sum = 0.0;
        for &t in &picks {
            sum += noisy(&frames[t], t, b0, seed)?.1;
        }
        Ok(sum / picks.len() as f64)
    };
    let (mut lo, mut hi) = (SEARCH_LOG10_LO, MAX_B0.log10());
    let (at_lo, at_hi) = (psnr_at(lo)?, psnr_at(hi)?);
    if at_lo > target_db {
        return Err(NoiseLevelError::TooLow {
            target_db,
            lowest_b0: 10f64.powf(lo),
            psnr_db: at_lo,
        });
    }
    if at_hi < target_db {
        return Err(NoiseLevelError::NotReached {
            target_db,
            psnr_db: at_hi,
        });
    }
    for _ in 0..SEARCH_STEPS {
        let mid = 0.5 * (lo + hi);
        if psnr_at(mid)? < target_db {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(10f64.powf(hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(level: f32, frames: usize) -> Vec<Frame> {
        (0..frames)
            .map(|_| Frame {
                height: 64,
                width: 64,
                pixels: vec![level; 64 * 64],
            })
            .collect()
    }

    #[test]
    fn b0_for_30_db_on_a_flat_grey_matches_the_poisson_closed_form() {
        // Poisson noise of b0 on level v has variance v/b0; 8-bit rounding adds 1/(12·255²).
        // 30 dB on a [0, 1] scale is an MSE of 1e-3: b0 = 0.5 / (1e-3 − 1/(12·255²)) ≈ 500.6.
        let frames = flat(128.0 / 255.0, 4);
        let v = 128.0 / 255.0;
        let closed_form = v / (1e-3 - 1.0 / (12.0 * 255.0 * 255.0));
        let b0 = b0_for_psnr(&frames, 30.0, 7).unwrap();
        assert!(
            (b0 / closed_form - 1.0).abs() < 0.05,
            "b0 {b0} vs {closed_form}"
        );
        // Noise of that b0 from another seed lands on 30 dB too (within sampling error).
        let mut again = frames.clone();
        let psnr = add_noise(&mut again, b0, 99).unwrap();
        assert!((psnr - 30.0).abs() < 0.2, "{psnr}");
    }

    #[test]
    fn higher_targets_need_more_counts_and_unreachable_ones_are_refused() {
        let frames = flat(0.3, 2);
        let b20 = b0_for_psnr(&frames, 20.0, 0).unwrap();
        let b40 = b0_for_psnr(&frames, 40.0, 0).unwrap();
        // 20 dB more is 100× less squared error: about 100× the counts.
        assert!((b40 / b20 / 100.0 - 1.0).abs() < 0.1, "{b20} {b40}");
        let err = b0_for_psnr(&frames, 1.0, 0).unwrap_err().to_string();
        assert!(err.contains("too low"), "{err}");
        let err = b0_for_psnr(&frames, 150.0, 0).unwrap_err().to_string();
        assert!(err.contains("not reached"), "{err}");
    }

    #[test]
    fn the_noise_is_the_same_however_often_it_is_drawn() {
        let mut a = flat(0.4, 3);
        let mut b = a.clone();
        add_noise(&mut a, 1e3, 5).unwrap();
        add_noise(&mut b, 1e3, 5).unwrap();
        assert_eq!(a, b);
        assert_ne!(a[0], a[1], "frames draw from their own streams");
    }
}
