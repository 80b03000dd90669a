//! Why `xvr-worker reconstruct` (or a reconstruction trial's reconstruction) did not finish,
//! and its exit status.

use std::io;
use std::path::PathBuf;

use burn::tensor::DataError;
use xvr_contract::trial::TrialFileError;

use super::experiment_error::ExperimentError;
use super::manifest_error::ManifestError;
use crate::data::sequence_error::SequenceError;
use crate::dist::CommError;
use crate::metrics::MetricError;
use crate::train::checkpoint::CheckpointError;

/// Why a reconstruction did not finish.
#[derive(Debug, thiserror::Error)]
pub enum ReconstructError {
    /// Refused before any frame was computed (exit 2): bad inputs, trial or output folder.
    #[error("refused, nothing computed: {0}")]
    Refused(#[from] Refusal),
    /// Failed while working (exit 1).
    #[error(transparent)]
    Failed(#[from] ReconstructFailure),
}

impl ReconstructError {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Refused(_) => 2,
            Self::Failed(_) => 1,
        }
    }
}

/// What is wrong with a reconstruction's job, trial, experiment or output folder.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("joining the job: {0}")]
    Join(#[source] CommError),
    #[error("--out {}: {source}", out.display())]
    ListOut { out: PathBuf, source: io::Error },
    #[error(
        "--out {}: already holds files (earlier results?); give a new or empty folder",
        out.display()
    )]
    OutNotEmpty { out: PathBuf },
    #[error("--lr-fps {fps}: expected frames per second > 0")]
    LrFps { fps: f64 },
    /// The trained trial's trial.yaml.
    #[error(transparent)]
    Trial(#[from] TrialFileError),
    /// The trained trial's checkpoint.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Experiment(#[from] ExperimentError),
}

/// What failed once the reconstruction was working.
#[derive(Debug, thiserror::Error)]
pub enum ReconstructFailure {
    #[error("barrier: {0}")]
    Barrier(#[source] CommError),
    #[error("gathering frame times: {0}")]
    Gather(#[source] CommError),
    /// A folder of the output that cannot be created or removed.
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    /// The model's output for frame `frame` cannot be read back from the device.
    #[error("frame {frame}: {source}")]
    Output { frame: usize, source: DataError },
    #[error("frame {frame}: {source}")]
    WriteFrame { frame: usize, source: SequenceError },
    /// Frame `frame` cannot be scored against its reference.
    #[error("frame {frame}: {source}")]
    Score { frame: usize, source: MetricError },
    #[error("frame {frame}: came back from no rank")]
    NotReturned { frame: usize },
    /// The one-frame parts of a stack cannot be read, or the stack cannot be written.
    #[error(transparent)]
    Stack(SequenceError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
}
