//! Errors of layer 3. An adapter's call fails with a [`SchedulerError`] (whose message
//! a refused submission keeps as the trial's reason); everything above the adapters —
//! reading the sweep directory and state.json, the submit loop, `--after`, the budget,
//! cancel — fails with a [`SchedError`] naming the file, trial or option concerned.

use std::io;
use std::path::PathBuf;

use super::local::LocalError;
use super::pbs::PbsError;
use super::state::StateError;
use super::sweep_dir::SweepDirError;
use crate::plan::pack::NoSelectLine;

/// Why a scheduler adapter could not submit, poll or cancel a job.
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    #[error(transparent)]
    Pbs(#[from] PbsError),
    #[error(transparent)]
    Local(#[from] LocalError),
}

/// Why a submit, status, cancel or dry run could not do its work.
#[derive(Debug, thiserror::Error)]
pub enum SchedError {
    #[error(transparent)]
    SweepDir(#[from] SweepDirError),
    #[error(transparent)]
    State(#[from] StateError),
    /// A trial's lock file could not be taken (the message names the file).
    #[error(transparent)]
    Lock(io::Error),
    /// A file or directory of a pack job could not be read or written.
    #[error("{}: {source}", path.display())]
    File { path: PathBuf, source: io::Error },
    #[error("{}: not inside a sweep", trial_dir.display())]
    NotInASweep { trial_dir: PathBuf },
    #[error(transparent)]
    Pack(#[from] NoSelectLine),
    #[error("trial {trial}: cannot cancel job {job}: {source}")]
    CannotCancel { trial: String, job: String, source: SchedulerError },
    #[error(
        "--after: {} trial {trial} is still running; the {scheduler} scheduler has no queue to wait in, so submit this stage once it has succeeded",
        sweep.display()
    )]
    ParentStillRunning { sweep: PathBuf, trial: String, scheduler: &'static str },
    #[error(
        "--after: {} trial {trial} is {status} ({reason}), so an afterok dependency on it could never be met; run it to success first",
        sweep.display()
    )]
    ParentNeverSucceeds { sweep: PathBuf, trial: String, status: String, reason: String },
    #[error(
        "refusing to submit: {trials} trial(s) request {node_hours:.2} node-hours (nodes x walltime), over the budget of {budget:.2} (--budget); submit fewer trials or raise the budget"
    )]
    OverBudget { trials: usize, node_hours: f64, budget: f64 },
    #[error(
        "no project to charge for {} trial(s) of {} ({}): nothing submitted. Set `account:` in the spec or the site profile (pbs/<site>.yaml), or pass --account PROJECT",
        trials.len(),
        sweep.display(),
        trials.join(", ")
    )]
    NoProject { sweep: PathBuf, trials: Vec<String> },
    #[error("--trial {trial}: no such trial in {}", sweep.display())]
    NoSuchTrial { trial: String, sweep: PathBuf },
}
