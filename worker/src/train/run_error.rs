//! Why `xvr-worker run` did not finish, and the exit status of each case.

use std::path::PathBuf;

use xvr_contract::trial::TrialFileError;

use super::batch::BatchError;
use super::checkpoint::CheckpointError;
use super::evaluation_error::EvaluationError;
use super::outputs::OutputsError;
use super::stop_signal::SignalError;
use super::train_log::TrainLogError;
use super::trainer::{StepError, TrainerError};
use crate::data::{DatasetError, SamplerError};
use crate::dist::CommError;
use crate::model::ModelInfoError;
use crate::profile::ProfileError;
use crate::reconstruct::trial::TrialReconstructionError;

/// Why a run did not finish.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The trial, its data or the job set-up is unusable (nothing was trained).
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// A stop was requested (SIGTERM); the state after `iteration` is checkpointed.
    #[error(
        "stopped on request (SIGTERM) after iteration {iteration}/{total}; state saved in {}; run again to resume",
        checkpoint.display()
    )]
    Stopped {
        iteration: u64,
        total: u64,
        checkpoint: PathBuf,
    },
    /// The loss became NaN/Inf; the last good checkpoint (after `last_saved`) is kept.
    #[error(
        "{source}; the last good checkpoint (iteration {last_saved}) is kept in {}",
        checkpoint.display()
    )]
    NonFiniteLoss {
        source: StepError,
        last_saved: u64,
        checkpoint: PathBuf,
    },
    /// Anything else (I/O, collectives).
    #[error(transparent)]
    Failed(#[from] Failure),
}

impl RunError {
    /// Process exit status: 2 set-up, 3 non-finite loss, 143 (128 + SIGTERM) stopped, 1 other.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Setup(_) => 2,
            Self::NonFiniteLoss { .. } => 3,
            Self::Stopped { .. } => 143,
            Self::Failed(_) => 1,
        }
    }
}

/// Why a run could not start training.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Trial(#[from] TrialFileError),
    #[error("joining the job: {0}")]
    Join(CommError),
    #[error(transparent)]
    Signal(#[from] SignalError),
    /// The trial's videos.
    #[error(transparent)]
    Data(#[from] DatasetError),
    /// Samples cannot be drawn from the training videos.
    #[error(transparent)]
    Sampler(#[from] SamplerError),
    #[error("data.val_videos: 0: evaluation needs at least one validation video")]
    NoValidationVideos,
    #[error(transparent)]
    Trainer(#[from] TrainerError),
    #[error(transparent)]
    TrainLog(#[from] TrainLogError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// `model-info` settings that describe no buildable model.
    #[error(transparent)]
    ModelInfo(#[from] ModelInfoError),
    #[error("--backend cuda: the NVIDIA driver (libcuda.so) cannot be loaded on this machine; run on a GPU node or use --backend cpu")]
    NoCudaDriver,
    #[error("--backend cuda: this xvr-worker was built without the `cuda` feature")]
    NoCudaBuild,
    /// A reconstruction trial's trained trial, test video or inputs are unusable.
    #[error(transparent)]
    Reconstruction(TrialReconstructionError),
}

/// Why a run failed after training started.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Batch(#[from] BatchError),
    #[error(transparent)]
    Step(StepError),
    #[error(transparent)]
    TrainLog(#[from] TrainLogError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("barrier after checkpoint: {0}")]
    Barrier(CommError),
    #[error("profiler outputs: {0}")]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Evaluation(#[from] EvaluationError),
    #[error(transparent)]
    Results(#[from] OutputsError),
    /// A reconstruction trial failed while working.
    #[error(transparent)]
    Reconstruction(TrialReconstructionError),
}
