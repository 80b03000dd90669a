//! Layer 3: running planned trials. A [`Scheduler`] adapter submits job scripts, polls
//! many jobs at once and cancels them; [`local`] runs them on this machine, [`pbs`] shells
//! out to qsub / `qstat -x -f -F json` / qdel. Above the adapters, the trial state machine
//! ([`state`]), the submit loop ([`submit`]), status, cancel and the budget are shared.

pub mod adapter;
pub mod budget;
pub mod cancel;
pub mod depend;
pub mod local;
pub mod lock;
pub mod pbs;
pub mod signals;
pub mod state;
pub mod status;
pub mod submit;
pub mod sweep_dir;
pub mod sweep_run;

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
    /// Job ids that must end successfully before this job starts (PBS
    /// `-W depend=afterok:…`), e.g. the jobs of an earlier stage of the study.
    pub after: Vec<String>,
}

impl JobRequest {
    /// Nodes × walltime hours: what this job may be charged at most.
    pub fn node_hours(&self) -> f64 {
        f64::from(self.nodes) * self.walltime_s as f64 / 3600.0
    }
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
    /// Over without having run, so without an exit status: deleted while queued, or
    /// removed by PBS because an `afterok` parent failed. The text is PBS's comment.
    EndedWithoutExit(String),
    /// Gone from the scheduler's records for longer than its grace period.
    Lost(String),
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
    /// Whether a new submitter takes over tracking jobs that an earlier one submitted
    /// (PBS jobs outlive their submitter and their end can still be read) instead of
    /// leaving them alone while they live (local jobs, whose exit only their parent sees).
    fn adopts_jobs(&self) -> bool {
        false
    }
    /// The scheduler's latest word on a job not yet over (PBS: state and comment, such
    /// as why it does not start), for state.json and `xvr status`.
    fn note(&self, _id: &str) -> Option<String> {
        None
    }
    /// Run time the scheduler measured for a job (PBS `resources_used.walltime`), which
    /// beats the submitter's own clock: it may never have seen the job running.
    fn used_walltime_s(&self, _id: &str) -> Option<f64> {
        None
    }
}
