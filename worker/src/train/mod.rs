//! Training, checkpoints, evaluation and the `xvr-worker run` loop (docs/training.md,
//! docs/definitions.md, the results contract in results/README.md).
//!
//! - [`schedule`]: cosine annealing with linear warm-up.
//! - [`flat_params`]: parameters / gradients ↔ one flat buffer (broadcast, all-reduce).
//! - [`ema`]: the EMA weights used for evaluation.
//! - [`batch`]: samples → model tensors.
//! - [`trainer`]: one data-parallel training step ([`Trainer`]).
//! - [`checkpoint`]: atomic checkpoints and resume.
//! - [`evaluate`]: whole-video validation / inference with the bicubic baseline;
//!   [`sharded_eval`] splits it over ranks; [`evaluation_error`] says why it failed.
//! - [`run`]: `xvr-worker run` — the loop, resume, SIGTERM ([`stop_signal`]), train.csv
//!   ([`train_log`]), the progress line ([`progress`]); [`outputs`]: validation.csv and
//!   summary.json.
pub mod batch;
pub mod checkpoint;
mod checkpoint_error;
pub mod ema;
pub mod evaluate;
pub mod evaluation_error;
pub mod flat_params;
pub mod outputs;
pub mod progress;
pub mod run;
mod run_error;
pub mod schedule;
pub mod sharded_eval;
pub mod stop_signal;
pub mod train_log;
pub mod trainer;

pub use batch::Batch;
pub use ema::ModelEma;
pub use run::{run, RunError, RunOptions};
pub use run_error::{Failure, SetupError};
pub use schedule::LrSchedule;
pub use trainer::{StepError, StepReport, Trainer};
