//! Layer 3: running planned trials. A [`Scheduler`] adapter submits job scripts, polls
//! many jobs at once and cancels them; [`local`] runs them on this machine, [`pbs`] shells
//! out to qsub / `qstat -x -f -F json` / qdel. Above the adapters, the trial state machine
//! ([`state`]), the submit loop ([`submit`]), status, cancel and the budget are shared.

pub mod adapter;
pub mod budget;
pub mod cancel;
pub mod depend;
mod error;
pub mod local;
pub mod lock;
pub mod pbs;
pub mod signals;
pub mod state;
pub mod status;
pub mod submit;
pub mod sweep_dir;
pub mod sweep_submit;

use std::path::PathBuf;
use std::time::Duration;

pub use error::{SchedError, SchedulerError};

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
    /// Project charged (`#PBS -A` of the job script, or `--account`); `None` when
    /// the script names none.
    pub account: Option<String>,
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
    /// Over; the adapter has classified how ([`Outcome`]).
    Ended(Outcome),
    /// Gone from the scheduler's records for longer than its grace period.
    Lost(String),
    /// The scheduler does not know the id (yet or any more). Never read as "finished":
    /// a failed poll says nothing about the job.
    Unknown(String),
}

/// How a job ended, as the adapter that ran it classifies it. The submit loop and the
/// trial state machine act on the kind alone; they never read a scheduler's exit codes or
/// comments themselves.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub kind: EndKind,
    /// The scheduler's exit status, when the job ran (PBS `Exit_status`).
    pub exit_status: Option<i64>,
    /// The scheduler's own words on the end (PBS's comment), or the adapter's reading of
    /// the exit status; shown as the trial's reason.
    pub detail: String,
}

/// The kinds of job ends the trial state machine tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndKind {
    /// The job script ran to its end; `exit_status` is its exit code (0–255).
    Exited,
    /// Killed for exceeding its walltime: resumed from the checkpoint.
    Walltime,
    /// Preempted by the site (a job of higher priority took the nodes): resumed from the
    /// checkpoint, like a walltime kill.
    Preempted,
    /// Removed by a person (PBS `qdel`, `xvr cancel`): cancelled, never resubmitted
    /// automatically.
    CancelledByUser,
    /// Killed by a signal that no walltime, preemption or user explains.
    Killed,
    /// The scheduler failed to run the job (not the job's fault): failed, and
    /// `xvr resubmit --failed` reruns it.
    SchedulerFailure,
    /// Deleted before it ran because a job it waited for (`afterok`) did not succeed.
    DependencyFailed,
    /// Deleted before it ran for another reason.
    NeverRan,
}

impl Outcome {
    pub fn new(kind: EndKind, exit_status: Option<i64>, detail: impl Into<String>) -> Self {
        Outcome {
            kind,
            exit_status,
            detail: detail.into(),
        }
    }

    /// The job script exited with `code`.
    pub fn exited(code: i64) -> Self {
        let detail = if code == 0 {
            "the job script exited 0".to_string()
        } else {
            format!("job script exited with status {code} (the end of job.out is in `xvr status`)")
        };
        Outcome::new(EndKind::Exited, Some(code), detail)
    }
}

/// A batch scheduler as the submit loop sees it. Job ids are the scheduler's own strings
/// (`<seq>.<server>` for PBS).
pub trait Scheduler {
    /// `local` or `pbs` (recorded in state.json).
    fn name(&self) -> &'static str;
    /// Submits one job; returns its id.
    fn submit(&mut self, job: &JobRequest) -> Result<String, SchedulerError>;
    /// The command [`Scheduler::submit`] would run for `job`, for `--dry-run`.
    fn describe_submission(&self, job: &JobRequest) -> String;
    /// States of many jobs in one call (PBS: one qstat for all ids).
    fn poll(&mut self, ids: &[String]) -> Result<Vec<(String, JobState)>, SchedulerError>;
    /// Asks for a job to be stopped; `poll` later reports it finished.
    fn cancel(&mut self, id: &str) -> Result<(), SchedulerError>;
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
    /// Why a queued job can never start as requested, when the scheduler says so (PBS:
    /// a `Can Never Run` comment for a resource no node has, or a filesystem marked down).
    fn cannot_start(&self, _id: &str) -> Option<String> {
        None
    }
    /// Run time the scheduler measured for a job (PBS `resources_used.walltime`), which
    /// beats the submitter's own clock: it may never have seen the job running.
    fn used_walltime_s(&self, _id: &str) -> Option<f64> {
        None
    }
    /// Whether a submitted job starts at once (local) rather than waiting in a queue.
    fn starts_at_once(&self) -> bool {
        false
    }
    /// Whether jobs can wait in the queue for other jobs to succeed (PBS `afterok`).
    fn waits_for_dependencies(&self) -> bool {
        true
    }
    /// Whether a submission must name the project to charge (PBS `-A`).
    fn charges_an_account(&self) -> bool {
        false
    }
    /// Defaults of the submit loop for this scheduler: jobs in flight at once, and
    /// submissions per trial in one run (walltime resumes included).
    fn loop_defaults(&self) -> LoopDefaults;
}

/// Submit-loop defaults that depend on the scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopDefaults {
    pub max_parallel: usize,
    pub max_attempts: u32,
}
