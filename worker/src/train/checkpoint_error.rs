//! Why a checkpoint could not be written, resumed or loaded: each error names the file and,
//! for a checkpoint a run would resume from, what to do about it.

use std::io;
use std::path::PathBuf;

use burn::record::RecorderError;
use xvr_contract::trial::ModelConfig;

use super::checkpoint::FORMAT_VERSION;

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("writing checkpoint {}: {source}", dir.display())]
    Write { dir: PathBuf, source: io::Error },
    #[error("writing checkpoint {}: {source}", dir.display())]
    Record { dir: PathBuf, source: RecorderError },
    #[error("replacing checkpoint {}: {source}", dir.display())]
    Replace { dir: PathBuf, source: io::Error },
    /// The checkpoint a run would resume from cannot be used; `path` is the file at fault.
    #[error(
        "{}: {problem}; move {} away (or delete it) to train this trial from iteration 0",
        path.display(),
        checkpoint_dir.display()
    )]
    CannotResume {
        path: PathBuf,
        checkpoint_dir: PathBuf,
        problem: Problem,
    },
    #[error(
        "{}: no checkpoint (the trial has not been trained, or its checkpoint was removed)",
        dir.display()
    )]
    NoCheckpoint { dir: PathBuf },
    /// The checkpoint a trained model is built from cannot be used; `path` is the file at fault.
    #[error("{}: {problem}", path.display())]
    CannotLoad { path: PathBuf, problem: Problem },
}

/// What is wrong with a checkpoint's file.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error("cannot read: {0}")]
    Read(io::Error),
    #[error("not a checkpoint state ({0})")]
    NotAState(serde_json::Error),
    #[error("checkpoint format {0} but this worker reads format {FORMAT_VERSION}")]
    Format(u32),
    #[error("checkpoint of trial {found}, but this is trial {expected}")]
    OtherTrial { found: String, expected: String },
    #[error(
        "checkpoint of a run of {found_iterations} iterations on {found_ranks} ranks, but this run has {iterations} on {ranks}"
    )]
    OtherRunSize {
        found_iterations: u64,
        found_ranks: u64,
        iterations: u64,
        ranks: u64,
    },
    #[error("checkpoint at iteration {iteration}, beyond the run's {total} iterations")]
    BeyondTheRun { iteration: u64, total: u64 },
    /// Resuming: the recorded model settings are not this run's.
    #[error("checkpoint of model {found:?}, but this trial's model is {expected:?}")]
    OtherModel {
        found: Box<ModelConfig>,
        expected: Box<ModelConfig>,
    },
    /// Loading a trained model: the recorded model settings are not the trial file's.
    #[error("checkpoint model settings {found:?} differ from the trial's {expected:?} ({})", trial_yaml.display())]
    ModelSettings {
        found: Box<ModelConfig>,
        expected: Box<ModelConfig>,
        trial_yaml: PathBuf,
    },
    #[error(
        "checkpoint at iteration {iteration} but train.csv holds iterations 1..={logged} only (the log of the checkpointed iterations is missing)"
    )]
    AheadOfTheLog { iteration: u64, logged: u64 },
    /// burn's own message names its version, which tells the user nothing: it is kept as
    /// the source, not shown.
    #[error("unreadable checkpoint record (truncated, corrupt or written by another version of xvr-worker)")]
    UnreadableRecord(#[source] RecorderError),
    #[error("parameter shapes differ from the trial's model (another model size)")]
    Shapes,
}
