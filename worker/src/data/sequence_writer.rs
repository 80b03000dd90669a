//! Writing frames back in a stored sequence's format and bit depth (the output of
//! `xvr-worker reconstruct`): one file per frame for PNG and TIFF folders, one file for a
//! TIFF stack or an HDF5 dataset. Every file is written under a temporary name and renamed
//! into place, so a file that exists is complete.

use std::path::{Path, PathBuf};

use super::level_frame::{BitDepth, LevelFrame};
use super::png_frame::write_png_levels;
use super::sequence::SequenceFormat;
use super::sequence_error::{SequenceError, SequenceErrorKind};
use super::tiff_file::write_tiff_pages;

/// How output frames are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceLayout {
    pub format: SequenceFormat,
    pub depth: BitDepth,
    /// Dataset path of an HDF5 output.
    pub dataset: Option<String>,
}

/// Name of the folder of per-frame files, or of the stack file, inside an output folder.
pub const FRAMES_DIR: &str = "frames";
const STACK_STEM: &str = "frames";

impl SequenceLayout {
    /// Whether every frame is its own file (PNG and TIFF folders) rather than part of one
    /// file (TIFF stack, HDF5).
    pub fn one_file_per_frame(&self) -> bool {
        matches!(
            self.format,
            SequenceFormat::PngFolder | SequenceFormat::TiffFolder
        )
    }

    /// Where frame `t` goes under `out` (per-frame formats), or the one output file.
    pub fn frame_path(&self, out: &Path, t: usize) -> PathBuf {
        match self.format {
            SequenceFormat::PngFolder => out.join(FRAMES_DIR).join(format!("{t:08}.png")),
            SequenceFormat::TiffFolder => out.join(FRAMES_DIR).join(format!("{t:08}.tif")),
            SequenceFormat::TiffStack => out.join(format!("{STACK_STEM}.tif")),
            SequenceFormat::Hdf5 => out.join(format!("{STACK_STEM}.h5")),
        }
    }

    /// Writes one frame as its own file at `path` (PNG, or a one-page TIFF for every other
    /// format: the parts a stack is assembled from).
    pub fn write_frame(&self, path: &Path, frame: &LevelFrame) -> Result<(), SequenceError> {
        atomically(path, |tmp| match self.format {
            SequenceFormat::PngFolder => write_png_levels(tmp, frame, self.depth),
            _ => write_tiff_pages(tmp, std::slice::from_ref(frame), self.depth),
        })
    }

    /// Writes all `frames` as the one output file at `path` (TIFF stack or HDF5).
    pub fn write_stack(&self, path: &Path, frames: &[LevelFrame]) -> Result<(), SequenceError> {
        atomically(path, |tmp| match self.format {
            SequenceFormat::Hdf5 => write_hdf5(tmp, self.dataset.as_deref(), frames, self.depth),
            _ => write_tiff_pages(tmp, frames, self.depth),
        })
    }
}

/// Runs `write` on a temporary file beside `path`, then renames it to `path`.
fn atomically(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), SequenceError>,
) -> Result<(), SequenceError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    write(&tmp)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        SequenceError::new(
            path,
            SequenceErrorKind::Io(format!("cannot rename into place: {e}")),
        )
    })
}

#[cfg(feature = "hdf5")]
fn write_hdf5(
    path: &Path,
    dataset: Option<&str>,
    frames: &[LevelFrame],
    depth: BitDepth,
) -> Result<(), SequenceError> {
    super::hdf5_dataset::write_hdf5_frames(path, dataset.unwrap_or("/data"), frames, depth)
}

#[cfg(not(feature = "hdf5"))]
fn write_hdf5(
    path: &Path,
    _: Option<&str>,
    _: &[LevelFrame],
    _: BitDepth,
) -> Result<(), SequenceError> {
    Err(SequenceError::new(
        path,
        SequenceErrorKind::Unsupported(
            "this xvr-worker was built without HDF5 support (cargo feature `hdf5`)".into(),
        ),
    ))
}
