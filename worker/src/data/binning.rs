//! Spatial binning: the LR camera of the virtual experiment (paper §3.1).

use xvr_contract::model::SCALE;

use super::frame::Frame;

/// A frame that cannot be binned `SCALE × SCALE`: its size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot bin a {height}x{width} frame {SCALE}x{SCALE}: height and width must be positive multiples of {SCALE}"
)]
pub struct BinningError {
    pub height: usize,
    pub width: usize,
}

/// Mean of each non-overlapping `SCALE × SCALE` block (the reference's 4×4 binning; mean vs
/// sum does not matter because both sequences are re-normalised afterwards).
///
/// Errors when the frame's size is not a multiple of `SCALE`.
pub fn bin4(hr: &Frame) -> Result<Frame, BinningError> {
    if hr.height % SCALE != 0 || hr.width % SCALE != 0 || hr.height == 0 || hr.width == 0 {
        return Err(BinningError {
            height: hr.height,
            width: hr.width,
        });
    }
    let (h, w) = (hr.height / SCALE, hr.width / SCALE);
    let norm = 1.0 / (SCALE * SCALE) as f32;
    Ok(Frame::from_fn(h, w, |y, x| {
        let mut sum = 0.0f32;
        for dy in 0..SCALE {
            let row = (SCALE * y + dy) * hr.width + SCALE * x;
            sum += hr.pixels[row..row + SCALE].iter().sum::<f32>();
        }
        sum * norm
    }))
}
