//! Layer 3: running planned trials. A [`Scheduler`] adapter submits job scripts, polls
//! many jobs at once and cancels them; `local` runs them on this machine, a `pbs` adapter
//! (qsub / `qstat -x -f -F json` / qdel) fits the same trait. Above the adapters, the
//! trial state machine ([`state`]) and the submit loop ([`submit`]) are shared.

pub mod cancel;
pub mod local;
pub mod lock;
pub mod signals;
pub mod state;
pub mod status;
pub mod submit;
pub mod sweep_dir;

use std::path::PathBuf;
use std::time::Duration;

/// What a scheduler needs to run one trial's job script.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRequest {
    pub trial_id: String,
    /// `results/<sweep>/trials/<id>`, absolute.
    pub trial_dir: PathBuf,
    /// The rendered `job.pbs`.
    pub script: PathBuf,
    /// `#PBS -N`.
    pub job_name: String,
    pub queue: String,
    pub nodes: u32,
    pub walltime_s: u64,
}

/// Where a job is, as its scheduler reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum JobState {
    /// Accepted, not started (PBS Q/H/W/T).
    Queued,
    /// Started (PBS R/E/B).
    Running,
    /// Over, with PBS's exit status: 0-255 the script's exit code, 256+N killed by
    /// signal N, -29 killed for exceeding its walltime.
    Finished { exit_status: i64 },
    /// The scheduler does not know the id (yet or any more). Never read as "finished":
    /// a failed poll says nothing about the job.
    Unknown(String),
}

/// A batch scheduler as the submit loop sees it. Job ids are the scheduler's own strings
/// (`<seq>.<server>` for PBS).
pub trait Scheduler {
    /// `local` or `pbs` (recorded in state.json).
    fn name(&self) -> &'static str;
    /// Submits one job; returns its id.
    fn submit(&mut self, job: &JobRequest) -> Result<String, String>;
    /// States of many jobs in one call (PBS: one qstat for all ids).
    fn poll(&mut self, ids: &[String]) -> Result<Vec<(String, JobState)>, String>;
    /// Asks for a job to be stopped; `poll` later reports it finished.
    fn cancel(&mut self, id: &str) -> Result<(), String>;
    /// How long to wait between polls (PBS asks for at most one qstat a minute).
    fn poll_interval(&self) -> Duration;
    /// Whether a job another process submitted is still alive, for trials whose state
    /// says running but whose submitter has gone.
    fn is_alive(&mut self, id: &str) -> bool;
}
