//! A root of stored videos, one per entry (docs/data.md#videos): XFusion's layout
//! `<root>/<clip>/<frame>.png`, and with `source: files` also TIFF frame folders,
//! multi-page TIFF stacks and HDF5 files. Every entry is read by [`read_sequence`].

use std::path::Path;

use super::frame::Video;
use super::sequence::{is_sequence_file, read_sequence, SequenceFormat, SequenceSource};
use super::sequence_error::{SequenceError, SequenceErrorKind};
use super::video_root_error::VideoRootError;

/// Which entries of a root are videos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootKind<'a> {
    /// `source: png`: sub-folders of PNG frames only.
    PngFolders,
    /// `source: files`: sub-folders of PNG or TIFF frames, `.tif`/`.tiff` stacks, and HDF5
    /// files, whose frames are the dataset at the given path.
    Files { hdf5_dataset: Option<&'a str> },
}

/// Reads every video under `root`, normalised to [0, 1] (see
/// [`super::sequence::Normalisation`]).
///
/// Videos are ordered numerically when their names are numbers (XFusion's clip names are
/// numeric strings), otherwise by name; a video's name is its folder name or its file name
/// without the extension. Errors name the offending folder or file.
pub fn read_videos(root: &Path, kind: RootKind) -> Result<Vec<Video>, VideoRootError> {
    let listing_failed = |source| VideoRootError::List {
        root: root.to_path_buf(),
        source,
    };
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(root).map_err(listing_failed)? {
        let path = entry.map_err(listing_failed)?.path();
        let Some(name) = video_name(&path, kind) else {
            continue;
        };
        entries.push((name, path));
    }
    if entries.is_empty() {
        return Err(VideoRootError::NoVideos {
            root: root.to_path_buf(),
            expected: match kind {
                RootKind::PngFolders => "<root>/<clip>/<frame:08d>.png",
                RootKind::Files { .. } =>
                    "<root>/<clip>/<frame>.png or .tif folders, <root>/<clip>.tif stacks or <root>/<clip>.h5 files",
            },
        });
    }
    entries.sort_by_key(|(name, _)| (name.parse::<u64>().ok(), name.clone()));
    entries
        .iter()
        .map(|(name, path)| Ok(read_video(name, path, kind)?))
        .collect()
}

/// The video name of a root entry, or `None` when the entry is not a video of `kind`.
fn video_name(path: &Path, kind: RootKind) -> Option<String> {
    let is_dir = path.is_dir();
    let name = if is_dir {
        path.file_name()?
    } else {
        path.file_stem()?
    }
    .to_string_lossy()
    .into_owned();
    let wanted = match kind {
        RootKind::PngFolders => is_dir,
        RootKind::Files { .. } => is_dir || is_sequence_file(path),
    };
    wanted.then_some(name)
}

fn read_video(name: &str, path: &Path, kind: RootKind) -> Result<Video, SequenceError> {
    let dataset = match kind {
        RootKind::PngFolders => None,
        RootKind::Files { hdf5_dataset } => hdf5_dataset,
    };
    let sequence = read_sequence(&SequenceSource::at(path, dataset)?)?;
    if kind == RootKind::PngFolders && sequence.format != SequenceFormat::PngFolder {
        return Err(SequenceError::new(
            path,
            SequenceErrorKind::Unsupported(
                "data.source png reads PNG frames only (data.source files reads TIFF and HDF5)"
                    .into(),
            ),
        ));
    }
    Ok(sequence.to_video(name))
}
