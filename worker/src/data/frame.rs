//! Grey-level frames and videos: the one in-memory image type of the data pipeline.

use xvr_contract::model::SCALE;

use super::pairing_error::PairingError;

/// One grey-level image, row-major, intensities as `f32` (in [0, 1] once normalised).
///
/// Pixel (row `y`, column `x`) is `pixels[y * width + x]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub height: usize,
    pub width: usize,
    pub pixels: Vec<f32>,
}

impl Frame {
    /// A frame of `height × width` pixels all equal to `value`.
    pub fn filled(height: usize, width: usize, value: f32) -> Self {
        Self {
            height,
            width,
            pixels: vec![value; height * width],
        }
    }

    /// A frame whose pixel (y, x) is `f(y, x)`.
    pub fn from_fn(height: usize, width: usize, mut f: impl FnMut(usize, usize) -> f32) -> Self {
        let mut pixels = Vec::with_capacity(height * width);
        for y in 0..height {
            for x in 0..width {
                pixels.push(f(y, x));
            }
        }
        Self {
            height,
            width,
            pixels,
        }
    }

    /// The pixel at row `y`, column `x`.
    pub fn at(&self, y: usize, x: usize) -> f32 {
        self.pixels[y * self.width + x]
    }
}

/// A named sequence of equally sized frames.
#[derive(Debug, Clone, PartialEq)]
pub struct Video {
    pub name: String,
    pub frames: Vec<Frame>,
}

/// One video as the model sees it: the HR sequence and the LR sequence of the same scene,
/// frame-aligned in time (`lr[t]` and `hr[t]` show the same instant), with
/// `hr` exactly 4× `lr` in both dimensions. Both are normalised to [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct PairedVideo {
    pub name: String,
    pub hr: Vec<Frame>,
    pub lr: Vec<Frame>,
}

impl PairedVideo {
    /// Pairs an HR and an LR sequence of the same scene, checking that they have the same
    /// number of frames (≥ 1), one size each, and HR exactly 4× LR in both dimensions.
    pub fn new(name: &str, hr: Vec<Frame>, lr: Vec<Frame>) -> Result<Self, PairingError> {
        let video = || name.to_string();
        if hr.is_empty() || hr.len() != lr.len() {
            return Err(PairingError::FrameCounts {
                video: video(),
                hr: hr.len(),
                lr: lr.len(),
            });
        }
        let (hh, hw) = (hr[0].height, hr[0].width);
        let (lh, lw) = (lr[0].height, lr[0].width);
        if hh != SCALE * lh || hw != SCALE * lw {
            return Err(PairingError::NotScaled {
                video: video(),
                hr: (hh, hw),
                lr: (lh, lw),
            });
        }
        for (t, (h, l)) in hr.iter().zip(&lr).enumerate() {
            if (h.height, h.width, l.height, l.width) != (hh, hw, lh, lw) {
                return Err(PairingError::FrameSize {
                    video: video(),
                    frame: t,
                });
            }
        }
        Ok(Self {
            name: name.to_string(),
            hr,
            lr,
        })
    }

    /// Number of frames (the same in both sequences).
    pub fn len(&self) -> usize {
        self.hr.len()
    }

    /// True when the video has no frames.
    pub fn is_empty(&self) -> bool {
        self.hr.is_empty()
    }

    /// LR frame size `(height, width)`.
    pub fn lr_size(&self) -> (usize, usize) {
        self.lr.first().map_or((0, 0), |f| (f.height, f.width))
    }
}
