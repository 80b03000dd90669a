//! The 8 dihedral augmentations of training samples (docs/data.md#one-training-sample): horizontal flip,
//! then vertical flip, then transpose, each with probability 0.5, the same for every image
//! of a sample.

use rand::{Rng, RngExt};

use super::frame::Frame;

/// One of the 8 symmetries of the square, as the three independent coin flips.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dihedral {
    /// Mirror left ↔ right (columns reversed).
    pub hflip: bool,
    /// Mirror top ↔ bottom (rows reversed).
    pub vflip: bool,
    /// Swap rows and columns (applied last).
    pub transpose: bool,
}

impl Dihedral {
    /// Three fair coin flips in the order hflip, vflip, transpose.
    pub fn random(rng: &mut impl Rng) -> Self {
        Self {
            hflip: rng.random_bool(0.5),
            vflip: rng.random_bool(0.5),
            transpose: rng.random_bool(0.5),
        }
    }

    /// The transformed frame: output pixel (y, x) is input pixel `source(y, x)`.
    pub fn apply(&self, frame: &Frame) -> Frame {
        let (h, w) = if self.transpose {
            (frame.width, frame.height)
        } else {
            (frame.height, frame.width)
        };
        Frame::from_fn(h, w, |y, x| {
            let (sy, sx) = self.source(y, x, frame.height, frame.width);
            frame.at(sy, sx)
        })
    }

    /// Where output pixel (y, x) comes from in an `h × w` input.
    fn source(&self, y: usize, x: usize, h: usize, w: usize) -> (usize, usize) {
        // Undo the transforms in reverse order: transpose, then vflip, then hflip.
        let (mut sy, mut sx) = if self.transpose { (x, y) } else { (y, x) };
        if self.vflip {
            sy = h - 1 - sy;
        }
        if self.hflip {
            sx = w - 1 - sx;
        }
        (sy, sx)
    }
}
