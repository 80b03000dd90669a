//! HDF5 datasets ↔ frame sequences (docs/data.md#detector-formats): a dataset of u8 or u16
//! with shape (frames, height, width), as beamline files store image stacks (e.g. the Data
//! Exchange layout's `/exchange/data`). Built with the `hdf5` feature (the system libhdf5,
//! installed by scripts/setup.sh).

use std::path::Path;

use hdf5::types::{IntSize, TypeDescriptor};

use super::level_frame::{BitDepth, LevelFrame};
use super::sequence_error::{SequenceError, SequenceErrorKind};

/// The frames of dataset `dataset` in the HDF5 file `path`, frames along the first axis.
pub fn read_hdf5_frames(
    path: &Path,
    dataset: &str,
) -> Result<(Vec<LevelFrame>, BitDepth), SequenceError> {
    let error = |kind| SequenceError::new(path, kind);
    let file = hdf5::File::open(path).map_err(|e| {
        error(SequenceErrorKind::Corrupt(format!(
            "not a readable HDF5 file: {e}"
        )))
    })?;
    let ds = file.dataset(dataset).map_err(|e| {
        error(SequenceErrorKind::Unsupported(format!(
            "no dataset {dataset} ({e})"
        )))
    })?;
    let shape = ds.shape();
    let &[frames, height, width] = &shape[..] else {
        return Err(error(SequenceErrorKind::Rank(shape.len())));
    };
    let descriptor = ds.dtype().and_then(|t| t.to_descriptor()).map_err(|e| {
        error(SequenceErrorKind::PixelType(format!(
            "an unknown type ({e})"
        )))
    })?;
    let read_failed = |e: hdf5::Error| {
        error(SequenceErrorKind::Corrupt(format!(
            "cannot read dataset {dataset}: {e}"
        )))
    };
    let (levels, depth): (Vec<u16>, BitDepth) = match descriptor {
        TypeDescriptor::Unsigned(IntSize::U1) => (
            ds.read_raw::<u8>()
                .map_err(read_failed)?
                .into_iter()
                .map(u16::from)
                .collect(),
            BitDepth::Eight,
        ),
        TypeDescriptor::Unsigned(IntSize::U2) => (
            ds.read_raw::<u16>().map_err(read_failed)?,
            BitDepth::Sixteen,
        ),
        other => {
            return Err(error(SequenceErrorKind::PixelType(format!(
                "HDF5 {other} in dataset {dataset}"
            ))))
        }
    };
    if frames == 0 || height == 0 || width == 0 {
        return Err(error(SequenceErrorKind::Empty));
    }
    let plane = height * width;
    let frames = levels
        .chunks_exact(plane)
        .map(|chunk| LevelFrame {
            height,
            width,
            levels: chunk.to_vec(),
        })
        .collect();
    Ok((frames, depth))
}

/// Writes `frames` (all one size) as dataset `dataset` of a new HDF5 file `path`, u8 or u16
/// after `depth`, creating the groups on the dataset's path.
pub fn write_hdf5_frames(
    path: &Path,
    dataset: &str,
    frames: &[LevelFrame],
    depth: BitDepth,
) -> Result<(), SequenceError> {
    let error = |e: &dyn std::fmt::Display| SequenceError::cannot_write(path, "HDF5", e);
    let (height, width) = frames.first().map_or((0, 0), |f| (f.height, f.width));
    let shape = [frames.len(), height, width];
    let file = hdf5::File::create(path).map_err(|e| error(&e))?;
    let mut group: hdf5::Group = (*file).clone();
    let mut parts: Vec<&str> = dataset.split('/').filter(|p| !p.is_empty()).collect();
    let name = parts
        .pop()
        .ok_or_else(|| error(&format!("empty dataset path {dataset:?}")))?;
    for part in parts {
        group = if group.link_exists(part) {
            group.group(part)
        } else {
            group.create_group(part)
        }
        .map_err(|e| error(&e))?;
    }
    match depth {
        BitDepth::Eight => {
            let data: Vec<u8> = frames.iter().flat_map(|f| f.to_u8()).collect();
            let ds = group
                .new_dataset::<u8>()
                .shape(shape)
                .create(name)
                .map_err(|e| error(&e))?;
            ds.write_raw(&data).map_err(|e| error(&e))?;
        }
        BitDepth::Sixteen => {
            let data: Vec<u16> = frames
                .iter()
                .flat_map(|f| f.levels.iter().copied())
                .collect();
            let ds = group
                .new_dataset::<u16>()
                .shape(shape)
                .create(name)
                .map_err(|e| error(&e))?;
            ds.write_raw(&data).map_err(|e| error(&e))?;
        }
    }
    drop(group);
    file.close().map_err(|e| error(&e))
}
