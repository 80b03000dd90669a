//! A reconstruction trial (docs/reconstruction.md#as-a-trial): `xvr-worker run` on a
//! trial.yaml with a `reconstruct` section applies the trained trial's model instead of
//! training, through the same reconstruction as `xvr-worker reconstruct`, and writes the
//! trial's result files like a training trial: `validation.csv` (one row per scored frame)
//! and `summary.json` (whose presence tells the driver it finished).
//!
//! Inside the trial directory:
//! - `test_video/`: the synthetic test video when the section names none (16-bit PNG frames);
//! - `reconstruction/`: the output folder of the reconstruction (frames, manifest.csv,
//!   reconstruct.json). A run that was stopped before summary.json starts it again from
//!   the beginning: inference keeps no state worth resuming.

use std::path::{Path, PathBuf};

use burn::tensor::backend::Backend;
use xvr_contract::reconstruct::{HrEvery, ReconstructConfig};
use xvr_contract::results::names::{self, RECONSTRUCTION_DIR, TEST_VIDEO_DIR};
use xvr_contract::results::{Summary, ValidationRow};
use xvr_contract::trial::TrialConfig;

use super::args::ReconstructArgs;
use super::manifest::ManifestRow;
use super::reconstruct_error::ReconstructError;
use super::run::execute;
use crate::data::dataset::held_out_synthetic_video;
use crate::data::frame::Frame;
use crate::data::level_frame::BitDepth;
use crate::data::sequence::{Normalisation, SequenceFormat};
use crate::data::sequence_error::SequenceError;
use crate::data::sequence_writer::SequenceLayout;
use crate::data::DatasetError;
use crate::dist::{Collectives, CommError};
use crate::train::outputs::{write_results, RunFacts};
use crate::train::RunError;
use crate::train::{Failure, SetupError};
use xvr_contract::trial::TrialFileError;

/// Name of the test video in validation.csv.
const VIDEO_NAME: &str = "test";

/// Why a reconstruction trial could not start (exit 2 through [`SetupError`]) or did not
/// finish (exit 1 through [`Failure`]).
#[derive(Debug, thiserror::Error)]
pub enum TrialReconstructionError {
    #[error("reconstruct.trained: {0}")]
    Trained(#[source] TrialFileError),
    #[error("reconstruct.trained: the model of {0} is not the model of this trial.yaml (the trained trial was changed after `xvr plan`?); re-plan")]
    ModelChanged(String),
    /// The synthetic test video's settings.
    #[error("test video: {0}")]
    TestVideo(#[source] DatasetError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// What an earlier, unfinished run of the trial left cannot be cleared.
    #[error("{}: cannot remove the unfinished reconstruction: {source}", out.display())]
    RemoveUnfinished {
        out: PathBuf,
        source: std::io::Error,
    },
    #[error("test video: {0}")]
    WriteVideo(#[source] SequenceError),
    #[error("barrier: {0}")]
    Barrier(#[source] CommError),
    #[error("reconstruct: {0}")]
    Reconstruct(#[source] ReconstructError),
}

/// Runs the reconstruction trial `trial` (read from `trial_dir`) on this rank; returns the
/// summary on rank 0.
pub fn run_trial<B: Backend>(
    trial_dir: &Path,
    trial: &TrialConfig,
    section: &ReconstructConfig,
    coll: &dyn Collectives,
    device: &B::Device,
) -> Result<Option<Summary>, RunError> {
    let world = coll.world();
    let lead = world.rank == 0;
    let setup = |e| RunError::Setup(SetupError::Reconstruction(e));
    let failed = |e| RunError::Failed(Failure::Reconstruction(e));
    let trained = TrialConfig::from_yaml_file(&Path::new(&section.trained).join(names::TRIAL_YAML))
        .map_err(|e| setup(TrialReconstructionError::Trained(e)))?;
    if trained.model != trial.model {
        return Err(setup(TrialReconstructionError::ModelChanged(
            section.trained.clone(),
        )));
    }
    let out = trial_dir.join(RECONSTRUCTION_DIR);
    // No video named and no measured experiment: the trial makes its own synthetic video.
    let synthetic = section.video.is_none() && !section.is_measured();
    let video = match &section.video {
        Some(video) => Some(PathBuf::from(video)),
        None => synthetic.then(|| trial_dir.join(TEST_VIDEO_DIR)),
    };
    if lead {
        if out.exists() {
            // What an earlier, unfinished run of this trial left.
            std::fs::remove_dir_all(&out).map_err(|source| {
                failed(TrialReconstructionError::RemoveUnfinished {
                    out: out.clone(),
                    source,
                })
            })?;
        }
        if synthetic {
            write_test_video(trial, &trial_dir.join(TEST_VIDEO_DIR)).map_err(|e| match e {
                TrialReconstructionError::TestVideo(_) => setup(e),
                _ => failed(e),
            })?;
        }
    }
    coll.barrier()
        .map_err(|e| failed(TrialReconstructionError::Barrier(e)))?;
    let args = ReconstructArgs {
        trial_dir: PathBuf::from(&section.trained),
        lr: section.lr.as_ref().map(PathBuf::from),
        lr_dataset: section.lr_dataset.clone(),
        hr: section.hr.as_ref().map(PathBuf::from),
        hr_dataset: section.hr_dataset.clone(),
        sequence: video,
        sequence_dataset: section.video_dataset.clone(),
        hr_every: match section.hr_every {
            HrEvery::Frames(delta) => Some(delta),
            HrEvery::FirstLast => None,
        },
        first_last: section.hr_every == HrEvery::FirstLast,
        hr_offset: section.hr_offset,
        lr_fps: None,
        out,
        weights: section.weights,
        ranks: world.size,
        lr_b0: None,
        lr_psnr: section.noise_target_db(),
        noise_seed: section.noise_seed,
        frames: section.frames,
    };
    let done = execute::<B>(&args, coll, device).map_err(|e| match e {
        ReconstructError::Refused(_) => setup(TrialReconstructionError::Reconstruct(e)),
        ReconstructError::Failed(_) => failed(TrialReconstructionError::Reconstruct(e)),
    })?;
    let Some((summary, rows)) = done else {
        return Ok(None);
    };
    let scored = scored_rows(&rows);
    let facts = RunFacts {
        world_size: world.size,
        iterations: summary.checkpoint_iteration,
        train_wall_s: 0.0,
        params: summary.params,
        flops_per_sample: summary.flops_per_frame,
    };
    let summary = write_results(trial_dir, trial, &scored, facts).map_err(Failure::from)?;
    Ok(Some(summary))
}

/// The frames a reconstruction trial is scored on, as validation rows: those with a
/// reference that the HR input did not already hold (between HR frames); for a measured
/// experiment, whose only references are its HR frames, those.
fn scored_rows(rows: &[ManifestRow]) -> Vec<ValidationRow> {
    let with_reference = || rows.iter().filter(|r| r.psnr_db.is_some());
    let between: Vec<&ManifestRow> = with_reference().filter(|r| !r.hr_key).collect();
    let chosen = if between.is_empty() {
        with_reference().collect()
    } else {
        between
    };
    chosen
        .into_iter()
        .map(|r| ValidationRow {
            video: VIDEO_NAME.into(),
            frame: r.frame,
            psnr_db: r.psnr_db.unwrap_or(f64::NAN),
            ssim: r.ssim.unwrap_or(f64::NAN),
            aad: r.aad.unwrap_or(f64::NAN),
            bicubic_psnr_db: r.bicubic_psnr_db.unwrap_or(f64::NAN),
            bicubic_ssim: r.bicubic_ssim.unwrap_or(f64::NAN),
            bicubic_aad: r.bicubic_aad.unwrap_or(f64::NAN),
            infer_s: r.infer_s,
        })
        .collect()
}

/// Writes the synthetic test video of `trial`'s data settings into `dir` as 16-bit PNG
/// frames (raw intensities scaled so that the video's brightest pixel is 65 535; the
/// re-simulation re-normalises them anyway). Each file is written whole under a temporary name, so a rerun after
/// a kill simply writes the same frames again.
fn write_test_video(trial: &TrialConfig, dir: &Path) -> Result<(), TrialReconstructionError> {
    let video =
        held_out_synthetic_video(&trial.data).map_err(TrialReconstructionError::TestVideo)?;
    std::fs::create_dir_all(dir).map_err(|source| TrialReconstructionError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let layout = SequenceLayout {
        format: SequenceFormat::PngFolder,
        depth: BitDepth::Sixteen,
        dataset: None,
    };
    let brightest = video
        .frames
        .iter()
        .flat_map(|f| &f.pixels)
        .fold(f32::MIN_POSITIVE, |m, &v| m.max(v));
    let sixteen_bit = Normalisation {
        depth: BitDepth::Sixteen,
        lo: 0.0,
        hi: 1.0,
    };
    for (t, frame) in video.frames.iter().enumerate() {
        let scaled = Frame {
            height: frame.height,
            width: frame.width,
            pixels: frame.pixels.iter().map(|v| v / brightest).collect(),
        };
        let levels = sixteen_bit.to_levels(&scaled);
        let path = dir.join(format!("{t:08}.png"));
        layout
            .write_frame(&path, &levels)
            .map_err(TrialReconstructionError::WriteVideo)?;
    }
    Ok(())
}
