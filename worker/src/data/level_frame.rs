//! Frames as a detector stores them: integer grey levels of a known bit depth
//! (docs/data.md#detector-formats). [`super::sequence`] turns a sequence of them into the
//! [0, 1] frames the model sees, and back.

/// Bits per grey level of a stored frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BitDepth {
    Eight,
    Sixteen,
}

impl BitDepth {
    /// The largest level: 255 or 65 535.
    pub fn max_level(self) -> u16 {
        match self {
            Self::Eight => u16::from(u8::MAX),
            Self::Sixteen => u16::MAX,
        }
    }

    /// 8 or 16.
    pub fn bits(self) -> u8 {
        match self {
            Self::Eight => 8,
            Self::Sixteen => 16,
        }
    }
}

/// One stored frame, row-major: level of pixel (y, x) is `levels[y * width + x]`
/// (8-bit frames hold values ≤ 255).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelFrame {
    pub height: usize,
    pub width: usize,
    pub levels: Vec<u16>,
}

impl LevelFrame {
    /// The levels as bytes, for 8-bit storage (every level must be ≤ 255).
    pub fn to_u8(&self) -> Vec<u8> {
        self.levels.iter().map(|&v| v.min(255) as u8).collect()
    }
}
