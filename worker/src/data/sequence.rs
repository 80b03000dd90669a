//! One reader for every stored frame sequence (docs/data.md#detector-formats): a folder of
//! PNG or TIFF frames, a multi-page TIFF stack, or an HDF5 dataset. Training, validation and
//! reconstruction all read through [`read_sequence`], and reconstruction writes its output
//! back in the input's format and bit depth ([`super::sequence_writer`]).

use std::path::{Path, PathBuf};

use super::frame::{Frame, Video};
use super::level_frame::{BitDepth, LevelFrame};
use super::png_frame::read_png_levels;
use super::renorm::clip_range;
use super::sequence_error::{SequenceError, SequenceErrorKind};
use super::tiff_file::read_tiff_pages;

/// Where a sequence is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SequenceSource {
    /// A folder of one-frame PNG or TIFF files, frames in file-name order.
    FrameFolder(PathBuf),
    /// One multi-page TIFF file, one frame per page.
    TiffStack(PathBuf),
    /// An HDF5 file and the path of a (frames, height, width) dataset in it.
    Hdf5 { file: PathBuf, dataset: String },
}

/// How a sequence is stored, which is also how reconstructed frames are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceFormat {
    PngFolder,
    TiffFolder,
    TiffStack,
    Hdf5,
}

impl SequenceFormat {
    /// Short name for manifests and messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::PngFolder => "png folder",
            Self::TiffFolder => "tiff folder",
            Self::TiffStack => "tiff stack",
            Self::Hdf5 => "hdf5",
        }
    }
}

/// File name extensions of TIFF files.
const TIFF_EXTENSIONS: [&str; 2] = ["tif", "tiff"];
/// File name extensions taken as HDF5 files.
const HDF5_EXTENSIONS: [&str; 5] = ["h5", "hdf5", "hdf", "nxs", "nx"];

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// Whether `path` names a one-file sequence by its extension (a TIFF stack or an HDF5 file).
pub fn is_sequence_file(path: &Path) -> bool {
    has_extension(path, &TIFF_EXTENSIONS) || has_extension(path, &HDF5_EXTENSIONS)
}

impl SequenceSource {
    /// The source at `path`: a folder is a frame folder, a `.tif`/`.tiff` file a stack, an
    /// HDF5 file (by extension) needs `dataset`. Anything else is refused, naming the path.
    pub fn at(path: &Path, dataset: Option<&str>) -> Result<Self, SequenceError> {
        if path.is_dir() {
            return Ok(Self::FrameFolder(path.to_path_buf()));
        }
        if !path.is_file() {
            return Err(SequenceError::new(
                path,
                SequenceErrorKind::Io("no such file or folder".into()),
            ));
        }
        if has_extension(path, &TIFF_EXTENSIONS) {
            return Ok(Self::TiffStack(path.to_path_buf()));
        }
        if has_extension(path, &HDF5_EXTENSIONS) {
            let dataset = dataset.ok_or_else(|| {
                SequenceError::new(
                    path,
                    SequenceErrorKind::Unsupported(
                        "an HDF5 file needs the path of its frame dataset (data.hdf5_dataset, or --lr-dataset/--hr-dataset; e.g. /exchange/data)"
                            .into(),
                    ),
                )
            })?;
            return Ok(Self::Hdf5 {
                file: path.to_path_buf(),
                dataset: dataset.to_string(),
            });
        }
        Err(SequenceError::new(
            path,
            SequenceErrorKind::Unsupported(format!(
                "not a folder, a TIFF stack (.{}) or an HDF5 file (.{})",
                TIFF_EXTENSIONS.join(", ."),
                HDF5_EXTENSIONS.join(", .")
            )),
        ))
    }

    /// The file or folder.
    pub fn path(&self) -> &Path {
        match self {
            Self::FrameFolder(p) | Self::TiffStack(p) => p,
            Self::Hdf5 { file, .. } => file,
        }
    }
}

/// A stored sequence as read: levels, bit depth and format.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelSequence {
    pub frames: Vec<LevelFrame>,
    pub depth: BitDepth,
    pub format: SequenceFormat,
}

impl LevelSequence {
    /// Frame size `(height, width)`.
    pub fn size(&self) -> (usize, usize) {
        self.frames.first().map_or((0, 0), |f| (f.height, f.width))
    }

    /// How this sequence maps to the model's [0, 1] range (see [`Normalisation`]).
    pub fn normalisation(&self) -> Normalisation {
        Normalisation::of(self)
    }

    /// The sequence as level / max, not normalised.
    pub fn raw_video(&self, name: &str) -> Video {
        let max = f32::from(self.depth.max_level());
        Video {
            name: name.to_string(),
            frames: self
                .frames
                .iter()
                .map(|f| Frame {
                    height: f.height,
                    width: f.width,
                    pixels: f.levels.iter().map(|&v| f32::from(v) / max).collect(),
                })
                .collect(),
        }
    }

    /// The sequence as a [`Video`] named `name`, normalised by [`Self::normalisation`].
    pub fn to_video(&self, name: &str) -> Video {
        let norm = self.normalisation();
        Video {
            name: name.to_string(),
            frames: self.frames.iter().map(|f| norm.to_unit(f)).collect(),
        }
    }
}

/// The map between a sequence's levels and the model's [0, 1] intensities
/// (docs/data.md#detector-formats).
///
/// - 8-bit sequences are taken as stored, level / 255: they are what the reference's own
///   (prepared) PNG data are.
/// - 16-bit sequences (raw detector counts, which rarely fill the range) get the paper's
///   re-normalisation (§3.1): clipped at the 0.35th and 99.65th percentiles of all pixels of
///   all frames and min–max scaled so that the two percentiles become 0 and 1.
///
/// The inverse ([`Self::to_levels`]) writes reconstructed frames in the input's levels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalisation {
    pub depth: BitDepth,
    /// Level / max that maps to 0.
    pub lo: f32,
    /// Level / max that maps to 1 (equal to `lo` for a constant sequence: all 0).
    pub hi: f32,
}

impl Normalisation {
    fn of(sequence: &LevelSequence) -> Self {
        match sequence.depth {
            BitDepth::Eight => Self {
                depth: BitDepth::Eight,
                lo: 0.0,
                hi: 1.0,
            },
            BitDepth::Sixteen => Self::clipped(sequence),
        }
    }

    /// The paper's re-normalisation of `sequence` whatever its depth: its 0.35th and 99.65th
    /// percentiles map to 0 and 1 (what the virtual experiment does to a reference sequence).
    pub fn clipped(sequence: &LevelSequence) -> Self {
        let (lo, hi) = clip_range(&sequence.raw_video("").frames);
        Self {
            depth: sequence.depth,
            lo,
            hi,
        }
    }

    /// A stored frame in [0, 1].
    pub fn to_unit(&self, frame: &LevelFrame) -> Frame {
        let max = f32::from(self.depth.max_level());
        let scale = if self.hi > self.lo {
            1.0 / (self.hi - self.lo)
        } else {
            0.0
        };
        Frame {
            height: frame.height,
            width: frame.width,
            pixels: frame
                .levels
                .iter()
                .map(|&v| ((f32::from(v) / max).clamp(self.lo, self.hi) - self.lo) * scale)
                .collect(),
        }
    }

    /// A [0, 1] frame (values outside are clamped) in this sequence's levels, rounded to
    /// the nearest level, ties to even.
    pub fn to_levels(&self, frame: &Frame) -> LevelFrame {
        let max = f64::from(self.depth.max_level());
        let (lo, span) = (f64::from(self.lo), f64::from(self.hi - self.lo));
        LevelFrame {
            height: frame.height,
            width: frame.width,
            levels: frame
                .pixels
                .iter()
                .map(|&v| {
                    let unit = lo + f64::from(v.clamp(0.0, 1.0)) * span;
                    (unit * max).round_ties_even().clamp(0.0, max) as u16
                })
                .collect(),
        }
    }
}

/// Reads the whole sequence at `source`. Every frame must have the first frame's size and
/// bit depth; errors name the file, the frame and what is allowed.
pub fn read_sequence(source: &SequenceSource) -> Result<LevelSequence, SequenceError> {
    let (pages, format) = match source {
        SequenceSource::FrameFolder(dir) => read_folder(dir)?,
        SequenceSource::TiffStack(file) => (
            read_tiff_pages(file, 0)?
                .into_iter()
                .map(|(frame, depth)| (frame, depth, file.clone()))
                .collect(),
            SequenceFormat::TiffStack,
        ),
        SequenceSource::Hdf5 { file, dataset } => {
            let (frames, depth) = read_hdf5(file, dataset)?;
            (
                frames
                    .into_iter()
                    .map(|frame| (frame, depth, file.clone()))
                    .collect(),
                SequenceFormat::Hdf5,
            )
        }
    };
    let Some((first, depth, _)) = pages.first() else {
        return Err(SequenceError::new(source.path(), SequenceErrorKind::Empty));
    };
    let (size, depth) = ((first.height, first.width), *depth);
    for (t, (frame, d, file)) in pages.iter().enumerate() {
        if (frame.height, frame.width) != size {
            return Err(SequenceError::at_frame(
                file,
                t,
                SequenceErrorKind::Size {
                    found: (frame.height, frame.width),
                    first: size,
                },
            ));
        }
        if *d != depth {
            return Err(SequenceError::at_frame(
                file,
                t,
                SequenceErrorKind::MixedDepth {
                    found: d.bits(),
                    first: depth.bits(),
                },
            ));
        }
    }
    Ok(LevelSequence {
        frames: pages.into_iter().map(|(frame, _, _)| frame).collect(),
        depth,
        format,
    })
}

/// A frame as read, with its depth and the file it came from.
type Page = (LevelFrame, BitDepth, PathBuf);

/// The PNG or TIFF frames of a folder, in file-name order (`00000000.png` is frame 0).
fn read_folder(dir: &Path) -> Result<(Vec<Page>, SequenceFormat), SequenceError> {
    let io = |e: std::io::Error| {
        SequenceError::new(
            dir,
            SequenceErrorKind::Io(format!("cannot list frames: {e}")),
        )
    };
    let mut pngs = Vec::new();
    let mut tiffs = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if has_extension(&path, &["png"]) {
            pngs.push(path);
        } else if has_extension(&path, &TIFF_EXTENSIONS) {
            tiffs.push(path);
        }
    }
    let (mut files, format) = match (pngs.is_empty(), tiffs.is_empty()) {
        (false, true) => (pngs, SequenceFormat::PngFolder),
        (true, false) => (tiffs, SequenceFormat::TiffFolder),
        (true, true) => return Err(SequenceError::new(dir, SequenceErrorKind::Empty)),
        (false, false) => return Err(SequenceError::new(dir, SequenceErrorKind::MixedFormats)),
    };
    files.sort();
    let mut pages = Vec::with_capacity(files.len());
    for (t, file) in files.into_iter().enumerate() {
        let (frame, depth) = match format {
            SequenceFormat::PngFolder => read_png_levels(&file).map_err(|e| SequenceError {
                frame: Some(t),
                ..e
            })?,
            _ => {
                let mut in_file = read_tiff_pages(&file, t)?;
                if in_file.len() != 1 {
                    return Err(SequenceError::at_frame(
                        &file,
                        t,
                        SequenceErrorKind::Unsupported(format!(
                            "a TIFF in a frame folder must hold one frame, this one has {} pages (a multi-page stack is given as the file itself)",
                            in_file.len()
                        )),
                    ));
                }
                in_file.remove(0)
            }
        };
        pages.push((frame, depth, file));
    }
    Ok((pages, format))
}

#[cfg(feature = "hdf5")]
fn read_hdf5(file: &Path, dataset: &str) -> Result<(Vec<LevelFrame>, BitDepth), SequenceError> {
    super::hdf5_dataset::read_hdf5_frames(file, dataset)
}

#[cfg(not(feature = "hdf5"))]
fn read_hdf5(file: &Path, _: &str) -> Result<(Vec<LevelFrame>, BitDepth), SequenceError> {
    Err(SequenceError::new(
        file,
        SequenceErrorKind::Unsupported(
            "this xvr-worker was built without HDF5 support (cargo feature `hdf5`)".into(),
        ),
    ))
}
