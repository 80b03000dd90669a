//! The submit loop: hands trials to a scheduler, polls every job in flight with one call,
//! records every transition in state.json and prints progress. `xvr submit`, `xvr
//! resubmit` and `xvr run` all go through [`submit`].
//!
//! - Never twice: each trial is claimed under its lock and its state re-read first, so a
//!   second `xvr submit` (another login shell) skips what the first one holds; finished
//!   trials are skipped; a trial whose recorded job died with its submitter is run again
//!   (local), or its job is adopted and tracked to its end (PBS jobs outlive submitters).
//! - Limits: at most `max_parallel` jobs in flight, and at most the site's `max_jobs` per
//!   queue; trials over a limit are held back until a job of theirs ends, never flooded
//!   into qsub. `budget_node_hours` stops submissions that would exceed it.
//! - Ends: as the adapter classifies them ([`super::Outcome`]): exit 0 counts only with the
//!   trial's summary.json (which, once written, is never failed); a walltime kill or preemption is
//!   resubmitted at once to resume from the checkpoint, up to `max_attempts` submissions
//!   per trial in one run; a user's qdel is cancelled and never resubmitted; a refused qsub
//!   leaves the trial planned with PBS's message.
//! - Packing (`pack` > 1): one-node trials of one queue are submitted together, up to
//!   `pack` per job ([`crate::plan::pack`]); each member is still its own trial, judged
//!   by its own exit status (`.pack.exit`) and summary.json.
//!
//! [`main_loop`] is the loop (start, poll, record ends), [`start`] hands claimed trials to the
//! scheduler, [`claim`] decides under a trial's lock whether this submitter runs it, and
//! [`pack`] submits several one-node trials as one job.

mod claim;
mod main_loop;
mod pack;
mod start;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Write;
use std::time::Instant;

use super::lock::TrialLock;
use super::{JobRequest, SchedError, Scheduler};
use crate::results::{TrialState, TrialStatus};

/// Options of `xvr submit`.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmitOptions {
    /// Jobs in flight at once.
    pub max_parallel: usize,
    /// Finished states to run again (resuming from checkpoints): `--retry` gives failed,
    /// timed_out and cancelled; `xvr resubmit --failed` failed and timed_out.
    pub rerun: Vec<TrialStatus>,
    /// Submissions of one trial in one run, automatic resubmissions after walltime
    /// kills included; 1 turns automatic resubmission off.
    pub max_attempts: u32,
    /// Jobs in flight per queue (the site profile's `max_jobs`); unlisted queues: no limit.
    pub queue_limits: HashMap<String, usize>,
    /// Node-hours (nodes × walltime) this run may request in all, resubmissions included.
    pub budget_node_hours: Option<f64>,
    /// One-node trials per allocation (packing); 0 or 1: one job per trial.
    pub pack: usize,
}

impl Default for SubmitOptions {
    fn default() -> Self {
        SubmitOptions {
            max_parallel: 1,
            rerun: Vec::new(),
            max_attempts: 3,
            queue_limits: HashMap::new(),
            budget_node_hours: None,
            pack: 1,
        }
    }
}

/// `--retry`: every unsuccessful end.
pub const RETRY_ALL: [TrialStatus; 3] = [
    TrialStatus::Failed,
    TrialStatus::TimedOut,
    TrialStatus::Cancelled,
];

/// How a submit run ended.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubmitReport {
    pub started: usize,
    pub skipped: usize,
    pub succeeded: usize,
    pub unsuccessful: usize,
    /// Submissions that continue from a checkpoint (after a walltime kill, Ctrl-C, a
    /// cancel or a failure), automatic resubmissions included; counted in `started` too.
    pub resumed: usize,
    /// Jobs of earlier submitters tracked by this one.
    pub adopted: usize,
    /// Node-hours requested by this run's submissions.
    pub node_hours: f64,
    /// Stopped by SIGINT/SIGTERM: local jobs were killed and put back to planned; PBS
    /// jobs were left in the queue for the next `xvr submit` to track.
    pub interrupted: bool,
}

/// A trial waiting to be submitted; `claimed` once this submitter holds its lock.
struct Pending {
    job: JobRequest,
    claimed: Option<(TrialLock, TrialState)>,
}

struct Active {
    job: JobRequest,
    id: String,
    since: Instant,
    lock: TrialLock,
    /// Run inside a pack job: its own exit status is in `.pack.exit`.
    packed: bool,
}

/// One submit run: the trials it still has to settle and the jobs it follows.
struct Submitter<'a> {
    sched: &'a mut dyn Scheduler,
    opts: &'a SubmitOptions,
    out: &'a mut dyn Write,
    total: usize,
    done: usize,
    pending: VecDeque<Pending>,
    active: Vec<Active>,
    report: SubmitReport,
    /// Submissions per trial in this run.
    submissions: HashMap<String, u32>,
    /// Trials whose hold-back was already announced.
    held: HashSet<String>,
    /// Jobs whose "Can Never Run" comment was already announced.
    warned: HashSet<String>,
    stopping: bool,
}

/// Runs `jobs` to completion (or until a stop is requested).
pub fn submit(
    jobs: Vec<JobRequest>,
    sched: &mut dyn Scheduler,
    opts: &SubmitOptions,
    out: &mut dyn Write,
) -> Result<SubmitReport, SchedError> {
    let mut submitter = Submitter {
        total: jobs.len(),
        pending: jobs
            .into_iter()
            .map(|job| Pending { job, claimed: None })
            .collect(),
        sched,
        opts,
        out,
        done: 0,
        active: Vec::new(),
        report: SubmitReport::default(),
        submissions: HashMap::new(),
        held: HashSet::new(),
        warned: HashSet::new(),
        stopping: false,
    };
    submitter.drive()?;
    Ok(submitter.report)
}

/// The snake_case name used in state.json.
pub fn status_name(status: TrialStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

fn describe(s: &TrialState) -> String {
    let mut text = status_name(s.status);
    if let Some(e) = s.exit_status {
        text.push_str(&format!(" (exit {e}"));
        if let Some(t) = s.elapsed_s {
            text.push_str(&format!(", {t:.1} s"));
        }
        text.push(')');
    }
    if let Some(r) = &s.reason {
        text.push_str(&format!(": {r}"));
    }
    text
}
