//! The videos of a trial, split into training and validation, from the trial's `data`
//! section.

use std::path::Path;

use xvr_contract::trial::{DataConfig, DataSource};

use super::dataset_error::DatasetError;
use super::experiment::virtual_experiment;
use super::frame::{Frame, PairedVideo, Video};
use super::png_frame::read_gray_png;
use super::selection::{kept_training_videos, validation_indices, ValidationSplitError};
use super::synthetic::{generate_video, SyntheticShape};
use super::video_root::{read_videos, RootKind};

/// Training and validation videos (normalised HR/LR pairs).
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Videos samples are drawn from (after `data.fraction`).
    pub train: Vec<PairedVideo>,
    /// Held-out videos, never used for training.
    pub val: Vec<PairedVideo>,
}

impl Dataset {
    /// Loads or generates the videos `cfg` names and splits them.
    ///
    /// - `synthetic`: `synthetic.videos` generated videos through the virtual experiment.
    /// - `png` with `lr_root`: HR and LR folders are used as stored (they are the prepared
    ///   output of a virtual experiment, as in the reference); clips are paired by name.
    /// - `png` without `lr_root`: HR folders are the *reference* sequences and go through the
    ///   virtual experiment (LR binned from HR, both re-normalised).
    /// - `files`: as `png`, with TIFF frame folders, TIFF stacks and HDF5 files
    ///   (`hdf5_dataset`) as videos too.
    pub fn load(cfg: &DataConfig) -> Result<Self, DatasetError> {
        Ok(Self::split(load_videos(cfg)?, cfg)?)
    }

    /// Splits `videos` (in order) into the last `cfg.val_videos` for validation and the rest
    /// for training, then keeps the training videos `data.fraction` selects.
    pub fn split(
        mut videos: Vec<PairedVideo>,
        cfg: &DataConfig,
    ) -> Result<Self, ValidationSplitError> {
        let val_range = validation_indices(videos.len(), cfg.val_videos)?;
        let val = videos.split_off(val_range.start);
        let kept = kept_training_videos(videos.len(), cfg.fraction, cfg.seed);
        let train = videos
            .into_iter()
            .enumerate()
            .filter(|(i, _)| kept.binary_search(i).is_ok())
            .map(|(_, video)| video)
            .collect();
        Ok(Self { train, val })
    }
}

/// All videos of the configured source, in order.
fn load_videos(cfg: &DataConfig) -> Result<Vec<PairedVideo>, DatasetError> {
    match cfg.source {
        DataSource::Synthetic => {
            let (shape, texture) = synthetic_generator(cfg)?;
            (0..cfg.synthetic.videos)
                .map(|i| {
                    Ok(virtual_experiment(&generate_video(
                        shape,
                        texture.as_ref(),
                        cfg.seed,
                        i,
                    ))?)
                })
                .collect()
        }
        DataSource::Png => stored_videos(cfg, RootKind::PngFolders),
        DataSource::Files => stored_videos(
            cfg,
            RootKind::Files {
                hdf5_dataset: cfg.hdf5_dataset.as_deref(),
            },
        ),
    }
}

/// The synthetic generator's settings: frame shape and background texture.
fn synthetic_generator(cfg: &DataConfig) -> Result<(SyntheticShape, Option<Frame>), DatasetError> {
    let s = &cfg.synthetic;
    if s.height == 0 || s.width == 0 || s.height % 4 != 0 || s.width % 4 != 0 || s.frames == 0 {
        return Err(DatasetError::SyntheticShape {
            height: s.height,
            width: s.width,
            frames: s.frames,
        });
    }
    let texture = s
        .texture
        .as_deref()
        .map(|p| read_gray_png(Path::new(p)))
        .transpose()?;
    let shape = SyntheticShape {
        frames: s.frames,
        height: s.height,
        width: s.width,
    };
    Ok((shape, texture))
}

/// A synthetic test video for a trial with these `data` settings: the reference sequence
/// (raw transmitted intensities, before the virtual experiment) of video number
/// `synthetic.videos`, the first past the set such a trial trains and validates on.
pub fn held_out_synthetic_video(cfg: &DataConfig) -> Result<Video, DatasetError> {
    let (shape, texture) = synthetic_generator(cfg)?;
    Ok(generate_video(
        shape,
        texture.as_ref(),
        cfg.seed,
        cfg.synthetic.videos,
    ))
}

/// Videos stored under `hr_root` (and `lr_root`) as `kind` says.
fn stored_videos(cfg: &DataConfig, kind: RootKind) -> Result<Vec<PairedVideo>, DatasetError> {
    let hr_root = Path::new(cfg.hr_root.as_deref().ok_or(DatasetError::NoHrRoot {
        data_source: match kind {
            RootKind::PngFolders => "png",
            RootKind::Files { .. } => "files",
        },
    })?);
    let hr = read_videos(hr_root, kind)?;
    match cfg.lr_root.as_deref().map(Path::new) {
        None => hr.iter().map(|h| Ok(virtual_experiment(h)?)).collect(),
        Some(lr_root) => {
            let mut lr = read_videos(lr_root, kind)?;
            hr.into_iter()
                .map(|h| {
                    let at = lr.iter().position(|l| l.name == h.name).ok_or_else(|| {
                        DatasetError::NoLrVideo {
                            lr_root: lr_root.to_path_buf(),
                            video: h.name.clone(),
                            hr_root: hr_root.to_path_buf(),
                        }
                    })?;
                    let l = lr.swap_remove(at);
                    PairedVideo::new(&h.name, h.frames, l.frames).map_err(|source| {
                        DatasetError::Pairing {
                            hr_root: hr_root.to_path_buf(),
                            lr_root: lr_root.to_path_buf(),
                            source,
                        }
                    })
                })
                .collect()
        }
    }
}
