//! Why evaluation (validation or a reconstruction trial's scoring) did not finish: each error
//! names the video and frame, or the rank exchange, at fault.

use burn::tensor::DataError;

use crate::dist::CommError;
use crate::metrics::MetricError;
use crate::model::InputShapeError;

/// Evaluation that did not finish.
#[derive(Debug, thiserror::Error)]
pub enum EvaluationError {
    /// The frame's inputs do not fit the model.
    #[error("video {video} frame {frame}: {source}")]
    Inputs {
        video: String,
        frame: usize,
        source: InputShapeError,
    },
    /// The model's output cannot be read back from the device.
    #[error("video {video} frame {frame}: {source}")]
    Output {
        video: String,
        frame: usize,
        source: DataError,
    },
    /// The output or the bicubic baseline cannot be scored against the ground truth.
    #[error("video {video} frame {frame}: {source}")]
    Metric {
        video: String,
        frame: usize,
        source: MetricError,
    },
    #[error("gathering validation rows: {0}")]
    Gather(#[source] CommError),
    /// Another rank's frame failed; that rank printed why.
    #[error("evaluation failed on a rank (its message is in the job output)")]
    FailedOnARank,
    #[error("evaluation job {job} came back from no rank")]
    NotReturned { job: usize },
}
