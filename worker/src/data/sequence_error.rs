//! What can be wrong with a stored frame sequence: every error names the file (and the
//! frame, where there is one) and says what is allowed.

use std::fmt;
use std::path::{Path, PathBuf};

/// What the readers accept, quoted in every error about a file's content.
pub const ALLOWED: &str = "8-bit greyscale or 16-bit greyscale frames: PNG or TIFF files (one \
frame each) in a folder, a multi-page TIFF stack, or an HDF5 dataset of u8 or u16 with frames \
along the first axis (rank 3)";

/// An unreadable or unsuitable frame sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceError {
    /// The file or folder at fault.
    pub path: PathBuf,
    /// The frame at fault (0-based, in sequence order), where there is one.
    pub frame: Option<usize>,
    pub kind: SequenceErrorKind,
}

/// The kinds of [`SequenceError`].
#[derive(Debug, Clone, PartialEq)]
pub enum SequenceErrorKind {
    /// The file or folder cannot be opened, listed, created or written (the OS's message).
    Io(String),
    /// The file is not a readable image of its format ("not a readable PNG: " and the
    /// decoder's message): truncated, corrupt or another format.
    Corrupt(String),
    /// Pixels of a type the model cannot use (e.g. "Rgb with 8-bit samples", "f32").
    PixelType(String),
    /// An HDF5 dataset that is not frames × height × width.
    Rank(usize),
    /// A frame whose size differs from the sequence's first frame.
    Size {
        found: (usize, usize),
        first: (usize, usize),
    },
    /// A frame whose bit depth differs from the sequence's first frame.
    MixedDepth { found: u8, first: u8 },
    /// A folder without frames, or a stack/dataset with none.
    Empty,
    /// A folder holding both PNG and TIFF frames.
    MixedFormats,
    /// Not a supported kind of sequence (the reason).
    Unsupported(String),
}

impl SequenceError {
    /// Writing `path` as a `format` file failed with `error`.
    pub fn cannot_write(path: &Path, format: &str, error: &dyn std::fmt::Display) -> Self {
        Self::new(path, SequenceErrorKind::Io(format!("cannot write {format}: {error}")))
    }

    /// An error about `path` as a whole.
    pub fn new(path: &Path, kind: SequenceErrorKind) -> Self {
        Self {
            path: path.to_path_buf(),
            frame: None,
            kind,
        }
    }

    /// An error about frame `frame` of `path`.
    pub fn at_frame(path: &Path, frame: usize, kind: SequenceErrorKind) -> Self {
        Self {
            path: path.to_path_buf(),
            frame: Some(frame),
            kind,
        }
    }
}

impl fmt::Display for SequenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(frame) = self.frame {
            write!(f, ": frame {frame}")?;
        }
        match &self.kind {
            SequenceErrorKind::Io(e) => write!(f, ": {e}"),
            SequenceErrorKind::Corrupt(e) => {
                write!(f, ": {e} (truncated or corrupt?); allowed: {ALLOWED}")
            }
            SequenceErrorKind::PixelType(t) => write!(f, ": pixels are {t}; allowed: {ALLOWED}"),
            SequenceErrorKind::Rank(r) => write!(
                f,
                ": dataset has rank {r}; allowed: rank 3 (frames × height × width)"
            ),
            SequenceErrorKind::Size { found, first } => write!(
                f,
                ": frame is {}x{} (HxW) but the first frame is {}x{}; all frames of a sequence must have one size",
                found.0, found.1, first.0, first.1
            ),
            SequenceErrorKind::MixedDepth { found, first } => write!(
                f,
                ": frame is {found}-bit but the first frame is {first}-bit; all frames of a sequence must have one bit depth"
            ),
            SequenceErrorKind::Empty => write!(f, ": no frames; allowed: {ALLOWED}"),
            SequenceErrorKind::MixedFormats => write!(
                f,
                ": folder holds both PNG and TIFF frames; one format per sequence"
            ),
            SequenceErrorKind::Unsupported(why) => write!(f, ": {why}; allowed: {ALLOWED}"),
        }
    }
}

impl std::error::Error for SequenceError {}
